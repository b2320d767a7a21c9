//! Layouts as probe compares and proposes them: glbtool's declared layout of
//! a kind, read from the family's own field tables; the comparison of each
//! declared field with the bytes; and a proposal, made from what was found,
//! printed in the declaration form the families use.

use serde::{Serialize, Serializer};

use super::checksum::{Cover, Rule};
use super::detect::{self, plausible_unix, text_of, Context};
use super::frame::{is_text_byte, plural, Framing, FramingReport, LengthField, Records};
use super::{Endian, Found, TimeEncoding, What};
use crate::format::{Format, RecordSize};
use crate::kind::FileKind;
use crate::layout::{Field, Role};

/// How a field's bytes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// One byte.
    U8,
    /// A 16-bit number.
    U16(Endian),
    /// A 32-bit number.
    U32(Endian),
    /// Code-page text.
    Text,
    /// Bytes.
    Bytes,
}

impl Ty {
    /// The number type of a width (bytes for other widths).
    pub fn of_width(w: usize, endian: Endian) -> Ty {
        match w {
            1 => Ty::U8,
            2 => Ty::U16(endian),
            4 => Ty::U32(endian),
            _ => Ty::Bytes,
        }
    }

    /// The byte order of a multi-byte number.
    pub fn endian(self) -> Option<Endian> {
        match self {
            Ty::U16(e) | Ty::U32(e) => Some(e),
            _ => None,
        }
    }

    /// Reads a number of this type (0 for text and bytes).
    pub fn read(self, b: &[u8]) -> u64 {
        match self {
            Ty::U8 | Ty::U16(_) | Ty::U32(_) => self.endian().unwrap_or(Endian::Little).read(b),
            Ty::Text | Ty::Bytes => 0,
        }
    }

    /// `u8`, `u16 LE`, `u32 BE`, `text`, `bytes` (the names `glbtool layout` uses).
    pub fn name(self) -> String {
        match self {
            Ty::U8 => "u8".into(),
            Ty::U16(e) => format!("u16 {}", e.short()),
            Ty::U32(e) => format!("u32 {}", e.short()),
            Ty::Text => "text".into(),
            Ty::Bytes => "bytes".into(),
        }
    }
}

impl Serialize for Ty {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// What a declared field claims, as far as bytes can test it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "claim", rename_all = "snake_case")]
pub enum Claim {
    /// The record's length: it frames the file.
    Length,
    /// A checksum, by this rule when known.
    Checksum {
        /// The rule, if known.
        rule: Option<Rule>,
    },
    /// A number that increases from record to record (a sync number).
    Sequence,
    /// A time stamp.
    Time {
        /// How it is stored.
        encoding: TimeEncoding,
    },
    /// Text, NUL-terminated or padded.
    Text,
    /// A code of few values.
    Code,
    /// An offset of a record in this or another file.
    Pointer,
    /// A hexid (a number naming files of the postoffice).
    Hexid,
    /// A number with nothing testable about it.
    Number,
    /// Bytes of unknown meaning.
    Unknown,
}

impl Claim {
    /// A few words: "increasing number", "time stamp".
    pub fn label(&self) -> &'static str {
        match self {
            Claim::Length => "record length",
            Claim::Checksum { .. } => "checksum",
            Claim::Sequence => "increasing number",
            Claim::Time { .. } => "time stamp",
            Claim::Text => "text",
            Claim::Code => "code",
            Claim::Pointer => "pointer",
            Claim::Hexid => "hexid",
            Claim::Number => "number",
            Claim::Unknown => "unknown bytes",
        }
    }

    /// The role this claim has in the families' declarations.
    pub fn role(&self) -> Role {
        match self {
            Claim::Length => Role::Length,
            Claim::Checksum { .. } => Role::Checksum,
            Claim::Sequence => Role::Sync,
            Claim::Time { .. } => Role::Time,
            Claim::Text => Role::Text,
            Claim::Code => Role::Flag,
            Claim::Pointer => Role::Pointer,
            Claim::Hexid | Claim::Number => Role::Number,
            Claim::Unknown => Role::Unknown,
        }
    }
}

/// One declared field: the families' declaration ([`crate::layout::Field`]:
/// offset, width, name, type, role, note, provenance), owned so that a
/// proposal made at run time has the same form, plus what probe can test of
/// it ([`Claim`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDecl {
    /// Offset from the start of the record (or header).
    pub start: usize,
    /// Width; `None` for text that runs to the record's end (its NUL included).
    pub len: Option<usize>,
    /// The field's name.
    pub name: String,
    /// How its bytes read.
    pub ty: Ty,
    /// Its role, as the families declare it.
    #[serde(serialize_with = "serialize_role")]
    pub role: Role,
    /// What it claims.
    #[serde(flatten)]
    pub claim: Claim,
    /// What it holds, in a few words.
    pub note: String,
    /// Where its position comes from (`documented (KB ...)`, `reconstructed: ...`).
    pub provenance: String,
}

fn serialize_role<S: Serializer>(role: &Role, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(crate::layout::role_name(*role))
}

/// A layout: framing, header fields and record fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layout {
    /// Whose layout: a kind's name, or `proposal`.
    pub name: String,
    /// The size rule, with its source.
    pub size_rule: String,
    /// Bytes before the first record.
    pub header_len: usize,
    /// How records are delimited.
    pub records: Records,
    /// The header's fields.
    pub header: Vec<FieldDecl>,
    /// The record's fields.
    pub record: Vec<FieldDecl>,
}

impl Layout {
    /// The framing this layout declares.
    pub fn framing(&self) -> Framing {
        Framing {
            header: self.header_len,
            records: self.records,
        }
    }

    /// True when a file of `size` bytes can have this layout.
    pub fn size_fits(&self, size: u64) -> bool {
        let h = self.header_len as u64;
        match self.records {
            Records::None => size == h,
            Records::Fixed { len } => size >= h && (size - h).is_multiple_of(len as u64),
            Records::Prefixed { .. } | Records::Terminated { .. } => size >= h,
        }
    }

    /// The layout in the declaration form of the families
    /// (`fixed::fixed_struct!`, one line per field: name, type, role, what
    /// it holds, provenance), so it can be pasted into a family module and
    /// read back with `glbtool layout`. Big-endian numbers carry
    /// `#[brw(big)]`; the text of variable records, which no fixed struct
    /// holds, follows as a comment (as in `queue.rs`).
    pub fn declaration(&self) -> String {
        let mut s = format!("// {}: {}.\n", self.name, self.framing().describe());
        if let Records::Prefixed { length } = self.records {
            s.push_str(&format!("// Record length: {}.\n", length.describe()));
        }
        let block = |s: &mut String, what: &str, name: &str, table: &str, fields: &[FieldDecl]| {
            s.push_str(&format!(
                "fixed_struct! {{\n    /// {what}\n    pub struct {name} in {table} {{\n"
            ));
            let mut tail = None;
            for d in fields {
                let Some(len) = d.len else {
                    tail = Some(d);
                    continue;
                };
                let (ty, big) = rust_type(d, len);
                if big {
                    s.push_str("        #[brw(big)]\n");
                }
                let prov = if d.provenance.starts_with("documented") {
                    format!("Documented({:?})", d.provenance)
                } else {
                    format!("Reconstructed({:?})", d.provenance)
                };
                s.push_str(&format!(
                    "        pub {}: {ty} = ({:?}, {:?}, {prov}),\n",
                    d.name, d.role, d.note
                ));
            }
            s.push_str("    }\n}\n");
            if let Some(t) = tail {
                s.push_str(&format!(
                    "// then `{}` at +{}: {} ({})\n",
                    t.name, t.start, t.note, t.provenance
                ));
            }
        };
        if !self.header.is_empty() {
            block(
                &mut s,
                "The file header.",
                "Header",
                "HEADER_FIELDS",
                &self.header,
            );
        }
        if !self.record.is_empty() {
            block(&mut s, "One record.", "Record", "FIELDS", &self.record);
        }
        s
    }
}

/// The Rust type a field is declared with, and whether it is big-endian.
fn rust_type(d: &FieldDecl, len: usize) -> (String, bool) {
    match (d.ty, &d.claim) {
        (
            Ty::U32(Endian::Little),
            Claim::Time {
                encoding: TimeEncoding::Unix,
            },
        ) => ("Stamp".into(), false),
        (Ty::U32(Endian::Little), Claim::Hexid) => ("Hexid".into(), false),
        (Ty::U8, _) => ("u8".into(), false),
        (Ty::U16(e), _) => ("u16".into(), e == Endian::Big),
        (Ty::U32(e), _) => ("u32".into(), e == Endian::Big),
        (Ty::Text, _) => (format!("Text<{len}>"), false),
        (Ty::Bytes, _) => (format!("Reserved<{len}>"), false),
    }
}

/// glbtool's own layout for `kind`, read from the family's field tables.
pub fn declared(kind: FileKind) -> Layout {
    crate::with_format!(kind.family(), |F| from_format::<F>(kind))
}

fn from_format<F: Format>(kind: FileKind) -> Layout {
    let records = match F::RECORD {
        RecordSize::None => Records::None,
        RecordSize::Fixed(n) => Records::Fixed { len: n },
        // `RecordSize::Prefixed`: a little-endian u16 holding the whole length.
        RecordSize::Prefixed { .. } => Records::Prefixed {
            length: LengthField {
                offset: 0,
                width: 2,
                endian: Endian::Little,
                adjust: 0,
            },
        },
    };
    Layout {
        name: kind.name().into(),
        size_rule: F::size_rule().into(),
        header_len: F::HEADER_LEN,
        records,
        header: decls(F::header_fields(), kind, false),
        record: decls(F::record_fields(), kind, true),
    }
}

/// Probe's reading of a family's declared fields. A text wider than any
/// record runs to the record's end (a queue's), and includes the NUL that
/// follows it (declared after it, at no fixed offset).
fn decls(table: &[Field], kind: FileKind, in_record: bool) -> Vec<FieldDecl> {
    table
        .iter()
        .filter(|f| f.start != crate::queue::AFTER_TEXT)
        .map(|f| {
            let to_end = f.len > u16::MAX as usize;
            let hexid = f.ty.starts_with("hexid");
            let claim = match f.role {
                Role::Length => Claim::Length,
                Role::Checksum if kind.is_queue() => Claim::Checksum {
                    rule: Some(Rule {
                        algorithm: crate::checksum::ALGORITHM_NAME,
                        cover: Cover::AllButField,
                        endian: Endian::Little,
                    }),
                },
                Role::Checksum => Claim::Checksum { rule: None },
                // Only a queue's records are a sequence of numbered transactions.
                Role::Sync if kind.is_queue() && in_record => Claim::Sequence,
                Role::Time => Claim::Time {
                    encoding: TimeEncoding::Unix,
                },
                Role::Text => Claim::Text,
                Role::Flag => Claim::Code,
                Role::Pointer => Claim::Pointer,
                Role::Number if hexid => Claim::Hexid,
                Role::Sync | Role::Number => Claim::Number,
                Role::Unknown | Role::Terminator => Claim::Unknown,
            };
            let ty = if f.ty.starts_with("text") {
                Ty::Text
            } else if f.ty == "bytes" {
                Ty::Bytes
            } else {
                // Every number glbtool declares is little-endian (KB Q119563).
                Ty::of_width(f.len, Endian::Little)
            };
            FieldDecl {
                start: f.start,
                len: (!to_end).then_some(f.len),
                name: f.name.to_string(),
                ty,
                role: f.role,
                claim,
                note: f.note.to_string(),
                provenance: f.provenance.statement(),
            }
        })
        .collect()
}

/// Whether a declared field fits the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The bytes agree with the declaration.
    Fits,
    /// The bytes contradict it.
    Differs,
    /// Nothing in the bytes can confirm or contradict it.
    Untested,
}

/// One declared field against the bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// The field.
    #[serde(flatten)]
    pub decl: FieldDecl,
    /// Fits, differs or untested.
    pub status: Status,
    /// What the bytes show there.
    pub evidence: String,
    /// Where the bytes show such a field instead, when it differs.
    pub instead: Option<String>,
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every field that can be tested fits.
    Fits,
    /// Everything fits except the checksum algorithm (as for any file
    /// written by MS Mail: glbtool's checksum is a reconstruction).
    FitsExceptChecksum,
    /// The framing or some field differs.
    DoesNotFit,
    /// No layout to compare with (unknown kind).
    NoLayout,
}

/// glbtool's layout against the bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The layout compared (the kind's name).
    pub layout: String,
    /// Its framing.
    pub framing: Status,
    /// What the bytes say about the framing.
    pub framing_evidence: String,
    /// The header's fields.
    pub header: Vec<Fit>,
    /// The record's fields.
    pub record: Vec<Fit>,
    /// The verdict.
    pub verdict: Verdict,
}

impl Comparison {
    /// Every field, header first.
    pub fn fits(&self) -> impl Iterator<Item = &Fit> {
        self.header.iter().chain(self.record.iter())
    }
}

/// Compares a layout with the bytes: `head` is the header, `records` the
/// records cut by the framing found, `found` what was found in them.
pub fn compare(
    layout: &Layout,
    framing: &FramingReport,
    head: Option<&[u8]>,
    records: &[&[u8]],
    found: &[Found],
    ctx: &Context<'_>,
) -> Comparison {
    let declared = layout.framing();
    let size_ok = framing.size_rule.as_ref().is_none_or(|r| r.holds) && layout.size_fits(ctx.size);
    let (fstatus, fevidence) = if !size_ok {
        (
            Status::Differs,
            format!(
                "the size ({} bytes) breaks the rule \"{}\"; the bytes show {}",
                ctx.size,
                layout.size_rule,
                framing.found.describe()
            ),
        )
    } else if framing.found == declared {
        (
            Status::Fits,
            format!("{}, as declared", declared.describe()),
        )
    } else if ctx.size == 0 {
        (Status::Fits, "an empty file".into())
    } else {
        (
            Status::Differs,
            format!(
                "declared: {}; the bytes show {}",
                declared.describe(),
                framing.found.describe()
            ),
        )
    };
    let same_framing = framing.found == declared;
    let header: Vec<Fit> = layout
        .header
        .iter()
        .map(|d| match head {
            Some(h) => fit(d, &[h], &[], ctx, true, &framing.found),
            None => untested(d, "the file has no header here".into()),
        })
        .collect();
    let record: Vec<Fit> = layout
        .record
        .iter()
        .map(|d| {
            let mut f = if records.is_empty() {
                untested(d, "no records to test".into())
            } else {
                fit(d, records, found, ctx, false, &framing.found)
            };
            if !same_framing && f.status != Status::Untested {
                f.evidence
                    .push_str(" (in the records as the bytes frame them)");
            }
            f
        })
        .collect();
    let differs: Vec<&Fit> = header
        .iter()
        .chain(record.iter())
        .filter(|f| f.status == Status::Differs)
        .collect();
    let verdict = if fstatus == Status::Differs {
        Verdict::DoesNotFit
    } else if differs.is_empty() {
        Verdict::Fits
    } else if differs
        .iter()
        .all(|f| matches!(f.decl.claim, Claim::Checksum { .. }))
    {
        Verdict::FitsExceptChecksum
    } else {
        Verdict::DoesNotFit
    };
    Comparison {
        layout: layout.name.clone(),
        framing: fstatus,
        framing_evidence: fevidence,
        header,
        record,
        verdict,
    }
}

fn untested(d: &FieldDecl, evidence: String) -> Fit {
    Fit {
        decl: d.clone(),
        status: Status::Untested,
        evidence,
        instead: None,
    }
}

/// Tests one declared field on `rows` (the header alone when `single`).
fn fit(
    d: &FieldDecl,
    rows: &[&[u8]],
    found: &[Found],
    ctx: &Context<'_>,
    single: bool,
    framing: &Framing,
) -> Fit {
    let short = rows
        .iter()
        .filter(|r| d.start + d.len.unwrap_or(1) > r.len())
        .count();
    if short > 0 {
        let min = rows.iter().map(|r| r.len()).min().unwrap_or(0);
        return Fit {
            decl: d.clone(),
            status: Status::Differs,
            evidence: format!(
                "{short} of {} records are too short for it (shortest: {min} bytes)",
                rows.len()
            ),
            instead: None,
        };
    }
    let field = |r: &'_ [u8]| -> Vec<u8> {
        let end = d.len.map_or(r.len(), |l| d.start + l);
        r[d.start..end].to_vec()
    };
    let vals: Vec<u64> = rows.iter().map(|r| d.ty.read(&field(r))).collect();
    let n = rows.len();
    let mk = |status: Status, evidence: String, instead: Option<String>| Fit {
        decl: d.clone(),
        status,
        evidence,
        instead,
    };
    let elsewhere = |pred: &dyn Fn(&What) -> bool| -> Option<String> {
        found
            .iter()
            .filter(|f| pred(&f.what) && f.start != d.start)
            .min_by_key(|f| f.start.abs_diff(d.start))
            .map(|f| {
                format!(
                    "a {} ({}) is at +{}: {}",
                    f.what.label(),
                    f.ty.name(),
                    f.start,
                    f.evidence
                )
            })
    };
    match d.claim {
        Claim::Length => match framing.records {
            Records::Prefixed { length }
                if length.offset == d.start && Some(length.width) == d.len =>
            {
                mk(
                    Status::Fits,
                    format!("the {} frames every record", length.describe()),
                    None,
                )
            }
            _ => mk(
                Status::Differs,
                "its values do not chain the records to the end of the file".into(),
                match framing.records {
                    Records::Prefixed { length } => Some(format!(
                        "a length field is at +{}: {}",
                        length.offset,
                        length.describe()
                    )),
                    _ => None,
                },
            ),
        },
        Claim::Checksum { rule: Some(rule) } => {
            let w = d.len.unwrap_or(0);
            let tested: Vec<&&[u8]> = rows.iter().take(super::limits::CHECKSUM_RECORDS).collect();
            let ok = tested.iter().filter(|r| rule.holds(r, d.start, w)).count();
            if ok == tested.len() {
                mk(
                    Status::Fits,
                    format!("{} reproduces all {ok} checksums tested", rule.describe()),
                    None,
                )
            } else {
                mk(
                    Status::Differs,
                    format!(
                        "{} reproduces {ok} of {} checksums tested",
                        rule.describe(),
                        tested.len()
                    ),
                    elsewhere(&|w| matches!(w, What::Checksum { rule: Some(_), .. })).or_else(|| {
                        found
                            .iter()
                            .any(|f| {
                                f.start == d.start
                                    && matches!(f.what, What::Varies { checksum_searched: true, .. })
                            })
                            .then(|| "probe searched this field: no CRC-16, CRC-32 or sum of its catalogue over any byte range of the record reproduces it".into())
                    }),
                )
            }
        }
        Claim::Checksum { rule: None } => mk(
            Status::Untested,
            "no algorithm declared to test".into(),
            None,
        ),
        Claim::Sequence => {
            if n < 3 {
                return mk(
                    Status::Untested,
                    format!("{n} record{}: too few to see a sequence", plural(n)),
                    None,
                );
            }
            match detect::counter(&vals) {
                Some((_, _, why)) => mk(Status::Fits, why, None),
                None => {
                    let up = vals.windows(2).filter(|w| w[1] > w[0]).count();
                    let down = vals.windows(2).filter(|w| w[1] < w[0]).count();
                    mk(
                        Status::Differs,
                        format!(
                            "values there are not increasing: up in {up} of {} steps, down in {down}",
                            n - 1
                        ),
                        elsewhere(&|w| matches!(w, What::Counter { .. })),
                    )
                }
            }
        }
        Claim::Time { encoding } => {
            let bytes: Vec<Vec<u8>> = rows.iter().map(|r| field(r)).collect();
            let set: Vec<&Vec<u8>> = bytes.iter().filter(|b| b.iter().any(|&x| x != 0)).collect();
            if set.is_empty() {
                return mk(Status::Untested, "0 (unset) everywhere".into(), None);
            }
            let e = d.ty.endian().unwrap_or(Endian::Little);
            let good = set
                .iter()
                .filter(|b| match encoding {
                    TimeEncoding::Unix => b.len() == 4 && plausible_unix(e.read(b)),
                    TimeEncoding::Dos { date_first } => {
                        b.len() == 4 && detect::dos_stamp(b, e, date_first).is_some()
                    }
                })
                .count();
            if good == set.len() {
                mk(
                    Status::Fits,
                    format!(
                        "{good} value{} read as dates between 1985 and 2010{}",
                        plural(good),
                        if set.len() < n {
                            format!("; {} are 0", n - set.len())
                        } else {
                            String::new()
                        }
                    ),
                    None,
                )
            } else if single {
                mk(
                    Status::Untested,
                    "the value does not read as a date between 1985 and 2010; one value cannot tell".into(),
                    None,
                )
            } else {
                mk(
                    Status::Differs,
                    format!(
                        "{} of {} values do not read as dates between 1985 and 2010",
                        set.len() - good,
                        set.len()
                    ),
                    elsewhere(&|w| matches!(w, What::Time { .. })),
                )
            }
        }
        Claim::Text => {
            let mut bad = 0;
            let mut example = None;
            let mut nonempty = 0;
            for r in rows {
                let f = field(r);
                // Text to the record's end ends with its NUL.
                let body: &[u8] = if d.len.is_none() {
                    match f.split_last() {
                        Some((0, b)) => b,
                        _ => {
                            bad += 1;
                            example.get_or_insert((r.len() - 1, f.last().copied().unwrap_or(0)));
                            continue;
                        }
                    }
                } else {
                    text_of(&f)
                };
                if !body.is_empty() {
                    nonempty += 1;
                }
                if let Some(p) = body.iter().position(|&b| !is_text_byte(b) || b == 0) {
                    bad += 1;
                    example.get_or_insert((d.start + p, body[p]));
                }
            }
            if bad == 0 && nonempty == 0 {
                mk(
                    Status::Untested,
                    format!("empty (NULs) in all {n} records"),
                    None,
                )
            } else if bad == 0 {
                mk(
                    Status::Fits,
                    format!("text in all {n} records ({nonempty} not empty)"),
                    None,
                )
            } else {
                let (at, b) = example.unwrap_or((d.start, 0));
                mk(
                    Status::Differs,
                    format!(
                        "{bad} of {n} records hold bytes that are not text (e.g. 0x{b:02X} at +{at})"
                    ),
                    elsewhere(&|w| matches!(w, What::Text { .. })),
                )
            }
        }
        Claim::Code => {
            let mut distinct: Vec<u64> = vals.clone();
            distinct.sort_unstable();
            distinct.dedup();
            let list = distinct
                .iter()
                .take(8)
                .map(|v| format!("{v:#x}"))
                .collect::<Vec<_>>()
                .join(", ");
            if n < 4 || distinct.len() <= 8 {
                mk(
                    if n < 4 {
                        Status::Untested
                    } else {
                        Status::Fits
                    },
                    format!(
                        "{} distinct value{}: {list}",
                        distinct.len(),
                        plural(distinct.len())
                    ),
                    None,
                )
            } else {
                mk(
                    Status::Differs,
                    format!(
                        "{} distinct values in {n} records: not a code of few values",
                        distinct.len()
                    ),
                    elsewhere(&|w| matches!(w, What::Code { .. })),
                )
            }
        }
        Claim::Pointer => {
            let tested: Vec<u64> = vals
                .iter()
                .copied()
                .filter(|&v| v != 0 && v != 0xFFFF_FFFF)
                .collect();
            if tested.is_empty() {
                return mk(
                    Status::Untested,
                    "0 or all ones (none) everywhere".into(),
                    None,
                );
            }
            let mut best = (0, String::new());
            for s in ctx.siblings {
                let hits = tested.iter().filter(|&&v| s.is_record_start(v)).count();
                if hits > best.0 {
                    best = (hits, s.name.clone());
                }
            }
            if best.0 * 2 >= tested.len() && best.0 > 0 {
                mk(
                    Status::Fits,
                    format!(
                        "{} of {} values are record starts in {}",
                        best.0,
                        tested.len(),
                        best.1
                    ),
                    None,
                )
            } else {
                mk(
                    Status::Untested,
                    if ctx.siblings.is_empty() {
                        "no files beside it to test the values against".into()
                    } else {
                        format!(
                            "{} of {} values are record starts in a file beside it (the file it points into may be missing)",
                            best.0,
                            tested.len()
                        )
                    },
                    None,
                )
            }
        }
        Claim::Hexid => {
            let names: std::collections::HashSet<u32> =
                ctx.siblings.iter().filter_map(|s| s.hexid()).collect();
            let tested: Vec<u64> = vals.iter().copied().filter(|&v| v != 0).collect();
            let hits = tested
                .iter()
                .filter(|&&v| u32::try_from(v).is_ok_and(|v| names.contains(&v)))
                .count();
            if hits > 0 {
                mk(
                    Status::Fits,
                    format!(
                        "{hits} of {} values name files of the postoffice",
                        tested.len()
                    ),
                    None,
                )
            } else {
                mk(
                    Status::Untested,
                    "no value names a file beside it (a user's hexid names files only some users have)".into(),
                    None,
                )
            }
        }
        Claim::Number => {
            let (lo, hi) = (
                vals.iter().min().copied().unwrap_or(0),
                vals.iter().max().copied().unwrap_or(0),
            );
            mk(
                Status::Untested,
                if lo == hi {
                    format!("a number: {lo}")
                } else {
                    format!("a number: {lo} to {hi}")
                },
                None,
            )
        }
        Claim::Unknown => {
            let all_zero = rows.iter().all(|r| field(r).iter().all(|&b| b == 0));
            let same = rows.iter().all(|r| field(r) == field(rows[0]));
            mk(
                Status::Untested,
                if all_zero {
                    if single {
                        "zero bytes".into()
                    } else {
                        format!("zero in all {n} records")
                    }
                } else if same && n > 1 {
                    format!("the same in all {n} records")
                } else {
                    "bytes of unknown meaning (not zero)".into()
                },
                None,
            )
        }
    }
}

/// A layout made of what was found, named after the declared fields it matches.
pub fn propose(
    framing: &Framing,
    header: &[Found],
    record: &[Found],
    comparison: Option<&Comparison>,
    size: u64,
) -> Layout {
    let name_for = |f: &Found, declared: &[Fit], used: &mut Vec<String>| -> String {
        let base = declared
            .iter()
            .find(|d| {
                d.decl.start == f.start
                    && d.decl.len == f.len
                    && d.status != Status::Differs
                    && compatible(&d.decl.claim, &f.what)
            })
            .map(|d| d.decl.name.clone())
            .unwrap_or_else(|| {
                match &f.what {
                    What::Counter { .. } => "counter",
                    What::Time { .. } => "time",
                    What::Constant { .. } | What::Varies { .. } => "unknown",
                    What::Number { .. } => "number",
                    What::Text { .. } => "text",
                    w => w.label(),
                }
                .to_string()
            });
        let mut name = base.clone();
        let mut k = 2;
        while used.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        used.push(name.clone());
        name
    };
    let empty: Vec<Fit> = Vec::new();
    let (dh, dr) = comparison.map_or((&empty, &empty), |c| (&c.header, &c.record));
    let mut used = Vec::new();
    let header_decls: Vec<FieldDecl> = header
        .iter()
        .map(|f| decl_of(f, name_for(f, dh, &mut used)))
        .collect();
    used.clear();
    let record_decls: Vec<FieldDecl> = record
        .iter()
        .map(|f| decl_of(f, name_for(f, dr, &mut used)))
        .collect();
    let size_rule = match framing.records {
        Records::Fixed { len } => format!(
            "{}a whole number of {len}-byte records (found by glbtool probe in a {size}-byte file)",
            if framing.header > 0 {
                format!("a {}-byte header, then ", framing.header)
            } else {
                String::new()
            }
        ),
        _ => format!("{} (found by glbtool probe)", framing.describe()),
    };
    Layout {
        name: "proposal".into(),
        size_rule,
        header_len: framing.header,
        records: framing.records,
        header: header_decls,
        record: record_decls,
    }
}

/// True when a found field is the kind of thing a declaration claims.
fn compatible(claim: &Claim, what: &What) -> bool {
    matches!(
        (claim, what),
        (Claim::Length, What::Length { .. })
            | (
                Claim::Checksum { .. },
                What::Checksum { .. } | What::Varies { .. }
            )
            | (Claim::Sequence | Claim::Number, What::Counter { .. })
            | (Claim::Time { .. }, What::Time { .. })
            | (Claim::Text, What::Text { .. })
            | (Claim::Code, What::Code { .. } | What::Constant { .. })
            | (Claim::Pointer, What::Pointer { .. })
            | (Claim::Hexid, What::Hexid { .. })
            | (Claim::Number | Claim::Hexid | Claim::Pointer, _)
            | (
                Claim::Unknown,
                What::Constant { .. } | What::Varies { .. } | What::Number { .. }
            )
    )
}

/// The declaration of a found field.
fn decl_of(f: &Found, name: String) -> FieldDecl {
    let claim = match &f.what {
        What::Length { .. } => Claim::Length,
        What::Counter { .. } => Claim::Sequence,
        What::Time { encoding, .. } => Claim::Time {
            encoding: *encoding,
        },
        What::Text { .. } => Claim::Text,
        What::Code { .. } => Claim::Code,
        What::Pointer { .. } => Claim::Pointer,
        What::Hexid { .. } => Claim::Hexid,
        What::Checksum { rule, .. } => Claim::Checksum { rule: *rule },
        What::Number { .. } => Claim::Number,
        What::Constant { .. } | What::Varies { .. } => Claim::Unknown,
    };
    let note = match &f.what {
        What::Checksum { rule: Some(r), .. } => r.describe(),
        What::Constant { hex } => format!("constant {hex}"),
        What::Time {
            encoding: TimeEncoding::Dos { date_first: true },
            ..
        } => "MS-DOS date word, then time word".into(),
        What::Time {
            encoding: TimeEncoding::Dos { date_first: false },
            ..
        } => "MS-DOS time word, then date word".into(),
        What::Time { .. } => "seconds since 1970 (C time_t)".into(),
        What::Counter { plus_one: true, .. } => "+1 per record".into(),
        What::Counter { .. } => "increasing".into(),
        What::Text { .. } if f.len.is_none() => {
            "text to the end of the record, ended by a NUL".into()
        }
        What::Length { adjust: 0 } => "the whole record's length".into(),
        What::Length { adjust } => format!("the record's length less {adjust}"),
        w => w.label().into(),
    };
    FieldDecl {
        start: f.start,
        len: f.len,
        name,
        ty: f.ty,
        role: super::detect::role_of(&f.what),
        claim,
        note,
        provenance: format!(
            "glbtool probe, {} confidence: {}",
            format!("{:?}", f.confidence).to_lowercase(),
            f.evidence
        ),
    }
}

/// What a fit does not prove, said with every verdict that something fits:
/// bytes that agree with a reconstruction do not make it documented.
pub const STILL_RECONSTRUCTED: &str = "Fitting means nothing in these bytes contradicts the layout; the positions and widths glbtool reconstructed (marked R and S below) are still its reconstruction, not documented fact.";

/// The verdict and its headline.
pub fn summarise(
    kind: Option<FileKind>,
    size: u64,
    framing: &FramingReport,
    comparison: Option<&Comparison>,
) -> super::Summary {
    let Some(c) = comparison else {
        return super::Summary {
            verdict: Verdict::NoLayout,
            headline: format!(
                "glbtool has no layout to compare with (the kind is not known). The file is {}; the evidence below shows what it is made of. Name a kind with --kind to compare.",
                framing.found.describe()
            ),
        };
    };
    let kind = kind.map_or_else(|| c.layout.clone(), |k| k.name().to_uppercase());
    let tested = c.fits().filter(|f| f.status != Status::Untested).count();
    let total = c.fits().count();
    let headline = match c.verdict {
        Verdict::Fits if size == 0 => format!("The file is empty, which glbtool's {kind} layout allows."),
        Verdict::Fits => format!(
            "The file fits glbtool's {kind} layout: {}; all {tested} of {total} declared fields that the bytes can test fit. {STILL_RECONSTRUCTED}",
            framing.found.describe()
        ),
        Verdict::FitsExceptChecksum => format!(
            "The file fits glbtool's {kind} layout except the checksum: glbtool's reconstructed checksum algorithm does not reproduce the stored values (expected of a file written by MS Mail, whose algorithm is unknown); every other field that can be tested fits. {STILL_RECONSTRUCTED}"
        ),
        Verdict::DoesNotFit => {
            let names: Vec<&str> = c
                .fits()
                .filter(|f| f.status == Status::Differs)
                .map(|f| f.decl.name.as_str())
                .collect();
            let mut s = format!("The file does NOT fit glbtool's {kind} layout");
            if c.framing == Status::Differs {
                s.push_str(&format!(": its framing differs ({})", c.framing_evidence));
                if !names.is_empty() {
                    s.push_str(&format!(", and {} of {total} fields differ ({})", names.len(), names.join(", ")));
                }
            } else {
                s.push_str(&format!(
                    ": {} of {total} declared fields differ ({})",
                    names.len(),
                    names.join(", ")
                ));
            }
            s.push_str(". glbtool's views of this file cannot be trusted; the evidence below shows what the bytes hold and a layout that fits them.");
            s
        }
        Verdict::NoLayout => String::new(),
    };
    super::Summary {
        verdict: c.verdict,
        headline,
    }
}

/// Holds a layout against a sample: the comparison a test makes of a
/// proposal with the file it came from.
pub fn check(layout: &Layout, bytes: &[u8], size: u64, siblings: &[super::Sibling]) -> Comparison {
    let framing = FramingReport {
        found: layout.framing(),
        confidence: super::Confidence::High,
        evidence: Vec::new(),
        size_rule: Some(super::frame::SizeRule {
            rule: layout.size_rule.clone(),
            holds: layout.size_fits(size),
        }),
        periods: Vec::new(),
        baseline: 0.0,
        records_in_sample: 0,
        records_in_file: None,
        ends_with_nul: None,
    };
    let items = super::frame::items(bytes, &framing.found);
    let head = items.header.map(|r| &bytes[r]);
    let records: Vec<&[u8]> = items.records.iter().map(|r| &bytes[r.clone()]).collect();
    let ctx = Context {
        size,
        framing: &framing.found,
        siblings,
        queue: false,
        codepage: crate::codepage::CodePage::default(),
    };
    compare(layout, &framing, head, &records, &[], &ctx)
}
