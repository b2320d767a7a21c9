//! `probe`: what a file is made of, found from its bytes alone, side by side
//! with the layout glbtool expects (`docs/probe.md`).
//!
//! glbtool's record layouts are reconstructions (Microsoft never published
//! them), so a real file may not fit them. Probing turns such a file into
//! evidence instead of an error:
//!
//! 1. **framing** ([`frame`]): the documented size rule, record boundaries
//!    found from length fields that chain to the end of the file, from
//!    NUL-terminated texts after a fixed part, or from the record size whose
//!    bytes best repeat (autocorrelation), and a header before the records;
//! 2. **fields** ([`detect`]): by evidence across records, each with its
//!    offset, width, byte order, a confidence and the reason: constants,
//!    counters, time stamps (C `time_t` or DOS date/time), text (with the
//!    Import grammar where it applies), small codes, pointers, hexids and
//!    checksums, the last searched for ([`checksum`]) among the `crc`
//!    crate's CRC-16 and CRC-32 catalogue and simple sums over every byte
//!    range of the record that excludes the field;
//! 3. **comparison** ([`layout`]) of each declared field of glbtool's layout
//!    for the kind with what the bytes show;
//! 4. a **proposal** in the declaration form of the families ([`layout`]);
//! 5. **redaction** ([`redact`]): text replaced, lengths, byte classes,
//!    numbers and checksum relations kept.
//!
//! Bytes in, evidence out: nothing here reads files or prints. The caller
//! gives a bounded [`Sample`] (the first bytes of a large file, its size, the
//! names and sizes of the files beside it) and renders the [`Report`]. Every
//! search is bounded ([`limits`]), whatever the input.

pub mod checksum;
pub mod detect;
pub mod frame;
pub mod layout;
#[cfg(test)]
mod proposal_tests;
pub mod redact;

use serde::Serialize;

use crate::codepage::CodePage;
use crate::kind::FileKind;

pub use frame::{Framing, FramingReport, LengthField, Records};
pub use layout::{Claim, Comparison, FieldDecl, Fit, Layout, Status, Ty, Verdict};

/// The bounds every probe keeps, whatever the input.
pub mod limits {
    /// The most bytes of a file a probe looks at (the caller reads at most
    /// this much from the start of the file).
    pub const SAMPLE_BYTES: usize = 1 << 20;
    /// The most records whose fields are analysed.
    pub const RECORDS: usize = 2048;
    /// Bytes over which length fields and NUL-terminated texts are chained.
    pub const FRAMING_BYTES: usize = 1 << 18;
    /// Bytes used for the autocorrelation of candidate record sizes.
    pub const AUTOCORRELATION_BYTES: usize = 1 << 15;
    /// The largest fixed record size considered.
    pub const RECORD_SIZE: usize = 4096;
    /// The largest header considered before fixed or prefixed records.
    pub const HEADER: usize = 1 << 14;
    /// The most records a checksum candidate is tested on.
    pub const CHECKSUM_RECORDS: usize = 64;
    /// The most bytes of a record over which checksum ranges are searched.
    pub const CHECKSUM_SPAN: usize = 1024;
    /// The most checksum candidate fields searched.
    pub const CHECKSUM_FIELDS: usize = 8;
    /// The most byte steps the checksum search may spend (a tenth of a
    /// second or so).
    pub const CHECKSUM_WORK: u64 = 16_000_000;
    /// Sibling files considered for pointers and hexids.
    pub const SIBLINGS: usize = 4096;
}

/// Byte order of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Endian {
    /// Least significant byte first (the documented order of postoffice files, KB Q119563).
    Little,
    /// Most significant byte first.
    Big,
}

impl Endian {
    /// Reads an unsigned number of 1 to 8 bytes.
    pub fn read(self, b: &[u8]) -> u64 {
        let mut v = 0u64;
        match self {
            Endian::Little => {
                for &x in b.iter().rev() {
                    v = (v << 8) | u64::from(x);
                }
            }
            Endian::Big => {
                for &x in b {
                    v = (v << 8) | u64::from(x);
                }
            }
        }
        v
    }

    /// Writes the low `out.len()` bytes of `v`.
    pub fn write(self, v: u64, out: &mut [u8]) {
        let n = out.len();
        for (i, o) in out.iter_mut().enumerate() {
            let shift = match self {
                Endian::Little => 8 * i,
                Endian::Big => 8 * (n - 1 - i),
            };
            *o = (v >> shift) as u8;
        }
    }

    /// `LE` or `BE`.
    pub fn short(self) -> &'static str {
        match self {
            Endian::Little => "LE",
            Endian::Big => "BE",
        }
    }
}

/// How sure a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Few records or a weak pattern: a lead, not a conclusion.
    Low,
    /// A clear pattern over a handful of records.
    Medium,
    /// A pattern that holds over many records and is unlikely by chance.
    High,
}

/// Another file of the postoffice: its name and size, and where its records
/// start when its kind is known (pointers are record starts in some file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sibling {
    /// The file name (with its folder, e.g. `GLB/NETPO.GLB`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its header length and record size, when glbtool knows its kind.
    pub grid: Option<(u64, u64)>,
}

impl Sibling {
    /// A sibling named `name` of `size` bytes; its grid comes from the kind
    /// its name gives, when that kind has fixed records.
    pub fn new(name: &str, size: u64) -> Sibling {
        let grid = FileKind::from_file_name(name).and_then(|k| {
            crate::with_format!(k.family(), |F| {
                match <F as crate::format::Format>::RECORD {
                    crate::format::RecordSize::Fixed(n) => {
                        Some((<F as crate::format::Format>::HEADER_LEN as u64, n as u64))
                    }
                    _ => None,
                }
            })
        });
        Sibling {
            name: name.to_string(),
            size,
            grid,
        }
    }

    /// The hexid its name carries (`0000002E.USR`), if any.
    pub fn hexid(&self) -> Option<u32> {
        crate::hexid::Hexid::from_file_name(&self.name).map(|h| h.0)
    }

    /// True when `v` is the offset of a record start in this file.
    pub fn is_record_start(&self, v: u64) -> bool {
        match self.grid {
            Some((h, n)) => v >= h && v < self.size && (v - h).is_multiple_of(n),
            None => false,
        }
    }
}

/// What a probe is given: the first bytes of a file and what surrounds it.
#[derive(Debug, Clone)]
pub struct Sample<'a> {
    /// The first bytes of the file (at most [`limits::SAMPLE_BYTES`] are used).
    pub bytes: &'a [u8],
    /// The file's whole size (at least `bytes.len()`).
    pub size: u64,
    /// The kind glbtool expects (from `--kind` or the file name), if any.
    pub kind: Option<FileKind>,
    /// The other files of the postoffice (names, sizes).
    pub siblings: &'a [Sibling],
}

/// How to probe.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The code page of the text (examples are decoded with it).
    pub codepage: CodePage,
    /// Replace text content in every example the report shows.
    pub redact: bool,
}

/// One field found in the bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Found {
    /// Offset from the start of the record (or header).
    pub start: usize,
    /// Width in bytes; `None` for the text that runs to the end of a record.
    pub len: Option<usize>,
    /// How its bytes read.
    pub ty: Ty,
    /// What it is, with the numbers behind it.
    pub what: What,
    /// How sure.
    pub confidence: Confidence,
    /// Why, in a sentence.
    pub evidence: String,
    /// A few of its values, as text (redacted when asked).
    pub examples: Vec<String>,
}

impl Found {
    /// The first byte after the field in a record of `record_len` bytes.
    pub fn end(&self, record_len: usize) -> usize {
        self.len.map_or(record_len, |l| self.start + l)
    }
}

/// What a found field is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    /// The record's length (the field that frames the file).
    Length {
        /// The record's length is the value plus this.
        adjust: usize,
    },
    /// A number that increases from record to record.
    Counter {
        /// It increases by exactly 1 per record.
        plus_one: bool,
        /// The first value seen.
        first: u64,
        /// The last value seen.
        last: u64,
    },
    /// A time stamp.
    Time {
        /// How it is stored.
        encoding: TimeEncoding,
        /// The earliest value, in seconds since 1970 (for DOS stamps, of the
        /// local time the stamp holds, read as if it were UTC).
        earliest: i64,
        /// The latest value, likewise.
        latest: i64,
        /// Records where it is 0 (unset).
        unset: usize,
    },
    /// Text.
    Text {
        /// The longest text seen, in bytes.
        longest: usize,
        /// Records where it is empty.
        empty: usize,
        /// Records where a NUL ends it.
        terminated: usize,
        /// `(parsed, of)`: texts that parse as Import transactions, where that applies.
        import: Option<(usize, usize)>,
        /// Texts that are exactly 8 hex digits (a hexid as text).
        hexids: usize,
    },
    /// A small code: few distinct values.
    Code {
        /// Each value with the number of records holding it.
        values: Vec<(u64, usize)>,
    },
    /// Offsets of record starts in this file or a sibling file.
    Pointer {
        /// The file its values point into.
        file: String,
        /// Values that are record starts there.
        hits: usize,
        /// Values tested (not 0, not all ones).
        of: usize,
    },
    /// 32-bit numbers that are hexids of files in the postoffice.
    Hexid {
        /// Values that name a file.
        matched: usize,
        /// Values tested (not 0).
        of: usize,
    },
    /// A checksum, with its algorithm and range when found.
    Checksum {
        /// The rule that reproduces it, if any.
        rule: Option<checksum::Rule>,
        /// Records it was tested on.
        tested: usize,
        /// Other rules that also reproduced every tested record.
        alternatives: usize,
    },
    /// The same bytes in every record.
    Constant {
        /// The bytes, as hex.
        hex: String,
    },
    /// A number of no recognised kind: its low byte varies most.
    Number {
        /// The smallest value.
        min: u64,
        /// The largest value.
        max: u64,
        /// Distinct values.
        distinct: usize,
    },
    /// Bytes that vary with no pattern found.
    Varies {
        /// Distinct values seen.
        distinct: usize,
        /// The classes of its bytes (`binary`, `text`, `zero`, ...).
        classes: String,
        /// The bytes look random and were searched for a checksum rule, in vain.
        checksum_searched: bool,
    },
}

impl What {
    /// A short name for the kind of field.
    pub fn label(&self) -> &'static str {
        match self {
            What::Length { .. } => "length",
            What::Counter { .. } => "counter",
            What::Time { .. } => "time stamp",
            What::Text { .. } => "text",
            What::Code { .. } => "code",
            What::Pointer { .. } => "pointer",
            What::Hexid { .. } => "hexid",
            What::Checksum { .. } => "checksum",
            What::Constant { .. } => "constant",
            What::Number { .. } => "number",
            What::Varies { .. } => "varies",
        }
    }
}

/// How a time stamp is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeEncoding {
    /// Seconds since 1970-01-01 UTC (C `time_t`).
    Unix,
    /// An MS-DOS date and time, two 16-bit words (date first when `date_first`).
    Dos {
        /// The date word comes before the time word.
        date_first: bool,
    },
}

/// The summary an administrator reads first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The verdict.
    pub verdict: Verdict,
    /// One or two sentences.
    pub headline: String,
}

/// Everything a probe found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The verdict first.
    pub summary: Summary,
    /// The file's size.
    pub size: u64,
    /// How many of its first bytes were looked at.
    pub sampled_bytes: usize,
    /// The kind compared with, if any.
    pub kind: Option<FileKind>,
    /// How the file divides into header and records.
    pub framing: FramingReport,
    /// Records whose fields were analysed.
    pub records_analysed: usize,
    /// Fields found in the header (one instance: values only).
    pub header: Vec<Found>,
    /// Fields found in the records.
    pub record: Vec<Found>,
    /// glbtool's layout for the kind, field by field, against the bytes.
    pub comparison: Option<Comparison>,
    /// A layout that fits the bytes, in the families' declaration form.
    pub proposal: Layout,
    /// Examples in this report have their text replaced.
    pub redacted: bool,
    /// When redacted: what a redacted copy keeps of the checksums.
    pub redaction: Vec<String>,
}

/// Probes a sample. Never fails and never panics: a file with no structure
/// gives a report that says so.
pub fn probe(sample: &Sample<'_>, opts: &Options) -> Report {
    let bytes = &sample.bytes[..sample.bytes.len().min(limits::SAMPLE_BYTES)];
    let size = sample.size.max(bytes.len() as u64);
    let declared = sample.kind.map(layout::declared);
    let framing = frame::find(bytes, size, declared.as_ref());
    let items = frame::items(bytes, &framing.found);
    let ctx = detect::Context {
        size,
        framing: &framing.found,
        siblings: sample.siblings,
        queue: sample.kind.is_some_and(FileKind::is_queue),
        codepage: opts.codepage,
    };
    let head = items.header.map(|r| &bytes[r]);
    let records: Vec<&[u8]> = items.records.iter().map(|r| &bytes[r.clone()]).collect();
    let mut header = head.map_or_else(Vec::new, |h| detect::single(h, &ctx));
    let mut record = if records.len() == 1 && matches!(framing.found.records, Records::Fixed { .. })
    {
        detect::single(records[0], &ctx)
    } else {
        detect::fields(&records, &ctx)
    };
    let comparison = declared
        .as_ref()
        .map(|d| layout::compare(d, &framing, head, &records, &record, &ctx));
    let proposal = layout::propose(&framing.found, &header, &record, comparison.as_ref(), size);
    if opts.redact {
        let plan = redact::Plan::new(&framing.found, &header, &record);
        let (h, r) = plan.redact_sample(head, &records);
        detect::fill_examples(&mut header, h.as_deref(), &ctx, true);
        let rr: Vec<&[u8]> = r.iter().map(Vec::as_slice).collect();
        detect::fill_examples_records(&mut record, &rr, &ctx, true);
    }
    let redaction = if opts.redact {
        redact::Plan::new(&framing.found, &header, &record).describe()
    } else {
        Vec::new()
    };
    let summary = layout::summarise(sample.kind, size, &framing, comparison.as_ref());
    Report {
        summary,
        size,
        sampled_bytes: bytes.len(),
        kind: sample.kind,
        framing,
        records_analysed: records.len(),
        header,
        record,
        comparison,
        proposal,
        redacted: opts.redact,
        redaction,
    }
}
