//! The invariants every input must satisfy, written once and run by the fuzz
//! targets (`fuzz/`), by their regression replays
//! (`formats/tests/fuzz_regressions.rs`, plain `cargo test`) and by the
//! property tests. Spec: `docs/robustness.md`.
//!
//! Each check takes raw bytes and returns the first broken invariant as a
//! [`Broken`] rather than panicking, so it can live in the library; the fuzz
//! harness turns a `Broken` into a crash. [`targets`] names every check: the
//! fuzz target `fuzz/fuzz_targets/NAME.rs` runs the check called `NAME`.
//!
//! Adding a file family is one line in [`targets`]
//! (`family::<crate::nme::Nme>(&mut t, "nme");`), which names two checks,
//! `parse_nme` and `roundtrip_nme`, plus their two fuzz target files.

use std::any::TypeId;
use std::io::Read;

use crate::codepage::CodePage;
use crate::format::{Document, Format, ReadOptions, Reader};
use crate::import;
use crate::json::{self, Style};
use crate::kind::FileKind;
use crate::layout::{Annotate, Span};
use crate::with_format;

/// A broken invariant: what was expected and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken(pub String);

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Broken {}

macro_rules! broken {
    ($($arg:tt)*) => { Broken(format!($($arg)*)) };
}

/// The result of a check.
pub type Outcome = Result<(), Broken>;

/// A check over raw input bytes.
pub type Check = fn(&[u8]) -> Outcome;

/// A named check: one fuzz target.
#[derive(Debug, Clone)]
pub struct Target {
    /// The target's name (`parse_queue`, `import_grammar`, ...).
    pub name: String,
    /// What it checks.
    pub check: Check,
}

impl Target {
    fn new(name: impl Into<String>, check: Check) -> Target {
        Target {
            name: name.into(),
            check,
        }
    }
}

/// Every check, by target name.
///
/// With the `arbitrary` feature each family has two: `parse_<family>` (any
/// bytes through [`parsed_bytes`]) and `roundtrip_<family>` (a typed value
/// from `arbitrary` through [`written_value`]); without it, only the first.
pub fn targets() -> Vec<Target> {
    let mut t = vec![
        Target::new("import_grammar", import_text),
        Target::new("json_build", json_document),
        Target::new("probe", probed_bytes),
    ];
    // One line per file family:
    family::<crate::queue::Queue>(&mut t, "queue");
    family::<crate::reqconf::ReqConfFile>(&mut t, "reqconf");
    family::<crate::srvconf::SrvConfFile>(&mut t, "srvconf");
    family::<crate::process::ProcessFile>(&mut t, "process");
    family::<crate::nme::Nme>(&mut t, "nme");
    family::<crate::usr::Usr>(&mut t, "usr");
    family::<crate::netpo::Netpo>(&mut t, "netpo");
    family::<crate::network::Network>(&mut t, "network");
    family::<crate::xtn::Xtn>(&mut t, "xtn");
    t
}

/// The check called `name`, if there is one.
pub fn find(name: &str) -> Option<Check> {
    targets()
        .into_iter()
        .find(|t| t.name == name)
        .map(|t| t.check)
}

#[cfg(feature = "arbitrary")]
fn family<F: Format>(t: &mut Vec<Target>, name: &str)
where
    F::Header: for<'a> arbitrary::Arbitrary<'a>,
    F::Record: for<'a> arbitrary::Arbitrary<'a>,
{
    t.push(Target::new(format!("parse_{name}"), parsed_bytes_of::<F>));
    t.push(Target::new(
        format!("roundtrip_{name}"),
        written_value_of::<F>,
    ));
}

#[cfg(not(feature = "arbitrary"))]
fn family<F: Format>(t: &mut Vec<Target>, name: &str) {
    t.push(Target::new(format!("parse_{name}"), parsed_bytes_of::<F>));
}

/// The first file kind whose family is read with `F` (checks are per family;
/// the kind only labels errors and JSON).
pub fn kind_of<F: Format>() -> Option<FileKind> {
    FileKind::ALL
        .into_iter()
        .find(|k| with_format!(k.family(), |G| TypeId::of::<G>() == TypeId::of::<F>()))
}

fn parsed_bytes_of<F: Format>(data: &[u8]) -> Outcome {
    let kind = kind_of::<F>().ok_or_else(|| broken!("no file kind is read with this format"))?;
    parsed_bytes::<F>(data, kind)
}

/// The code page a check uses for `data`: every one is exercised, chosen by the input.
fn codepage_for(data: &[u8]) -> CodePage {
    CodePage::ALL[data.len() % CodePage::ALL.len()]
}

fn same_bytes(what: &str, got: &[u8], want: &[u8]) -> Outcome {
    if got == want {
        return Ok(());
    }
    let at = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    Err(broken!(
        "{what}: {} bytes instead of {}, first difference at offset {at}",
        got.len(),
        want.len()
    ))
}

/// Header, records and trailing bytes are equal (`Document` derives no
/// `PartialEq` for every `F`).
fn same_document<F: Format>(a: &Document<F>, b: &Document<F>) -> bool {
    a.header == b.header && a.records == b.records && a.trailing == b.trailing
}

/// A reader that hands out at most `max` bytes per `read`, like a pipe or
/// standard input, to exercise the reader's handling of short reads.
pub struct Pieces<'a> {
    /// What is left to read.
    pub data: &'a [u8],
    /// The most bytes one `read` returns.
    pub max: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.data.len()).min(self.max);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Checks that an item's field map covers its bytes exactly, in order.
fn spans_cover<M: Annotate>(what: &str, model: &M, raw: &[u8]) -> Outcome {
    let mut spans: Vec<Span> = Vec::new();
    model.spans(CodePage::default(), &mut spans);
    let mut at = 0;
    for s in &spans {
        if s.start != at {
            return Err(broken!(
                "{what}: field `{}` starts at {} but the previous field ends at {at}",
                s.name,
                s.start
            ));
        }
        at += s.len;
    }
    if at != raw.len() {
        return Err(broken!(
            "{what}: the field map covers {at} bytes of {}",
            raw.len()
        ));
    }
    Ok(())
}

/// What a streaming read gave: the records, the trailing bytes, and the first
/// broken field map or derived fact met on the way.
struct Streamed<R> {
    records: Vec<R>,
    trailing: Vec<u8>,
    problem: Option<Broken>,
}

/// Reads `data` as a stream and returns the records, checking field maps and
/// derived facts on the way.
fn streamed<F: Format>(
    data: &[u8],
    kind: FileKind,
    size: Option<u64>,
    opts: ReadOptions,
) -> crate::Result<Streamed<F::Record>> {
    let mut reader = Reader::<F, _>::new(Pieces { data, max: 7 }, kind, size, opts)?;
    let mut problem = None;
    if let Some(h) = reader.header() {
        if let Err(b) = spans_cover("file header", h, reader.header_raw()) {
            problem.get_or_insert(b);
        }
    }
    let mut records = Vec::new();
    while let Some(r) = reader.next_record()? {
        if let Err(b) = spans_cover(&format!("record {}", r.index), r.record, r.raw) {
            problem.get_or_insert(b);
        }
        if let Some(info) = F::info(r.record, CodePage::default()) {
            if let Err(e) = serde_json::to_vec(&info) {
                problem.get_or_insert(broken!("record {}: info is not JSON: {e}", r.index));
            }
        }
        records.push(r.record.clone());
    }
    Ok(Streamed {
        records,
        trailing: reader.trailing().to_vec(),
        problem,
    })
}

/// Every invariant of reading `data` as a `kind` file:
///
/// - salvage reads any input, and writing what it read gives `data` back;
/// - when the strict reader accepts `data`, writing gives `data` back, and the
///   salvaging reader reads the same records with no trailing bytes;
/// - streaming in small pieces, with or without the file size, reads the same
///   records as the whole-file reader (standard input and files agree);
/// - every header and record field map covers its bytes exactly, and derived
///   facts serialize;
/// - JSON (document form) then `build` gives `data` back; NDJSON is one JSON
///   value per line, one line per record plus two.
pub fn parsed_bytes<F: Format>(data: &[u8], kind: FileKind) -> Outcome {
    let salvage = ReadOptions {
        salvage: true,
        ..ReadOptions::default()
    };
    let salvaged = Document::<F>::from_bytes(data, kind, salvage)
        .map_err(|e| broken!("salvage refused the input: {e}"))?;
    let written = salvaged
        .to_bytes()
        .map_err(|e| broken!("cannot write back what salvage read: {e}"))?;
    same_bytes("salvaged file written back", &written, data)?;
    let strict = Document::<F>::from_bytes(data, kind, ReadOptions::default());
    if let Ok(doc) = &strict {
        let written = doc
            .to_bytes()
            .map_err(|e| broken!("cannot write back what was read: {e}"))?;
        same_bytes("file written back", &written, data)?;
        if !same_document(doc, &salvaged) {
            return Err(broken!(
                "salvage reads a sound file differently ({} records and {} trailing bytes instead of {} records)",
                salvaged.records.len(),
                salvaged.trailing.len(),
                doc.records.len()
            ));
        }
    }
    // Streaming reads what the whole-file reader read: strictly when that
    // accepted the file, else salvaging.
    let (opts, doc) = match &strict {
        Ok(doc) => (ReadOptions::default(), doc),
        Err(_) => (salvage, &salvaged),
    };
    for size in [Some(data.len() as u64), None] {
        let s = streamed::<F>(data, kind, size, opts).map_err(|e| {
            broken!("streaming (size {size:?}) fails where reading the whole file does not: {e}")
        })?;
        if let Some(b) = s.problem {
            return Err(b);
        }
        if s.records != doc.records || s.trailing != doc.trailing {
            return Err(broken!(
                "streaming (size {size:?}) reads {} records and {} trailing bytes, the whole-file reader {} and {}",
                s.records.len(),
                s.trailing.len(),
                doc.records.len(),
                doc.trailing.len()
            ));
        }
    }
    json_round_trip::<F>(data, kind, opts)
}

/// JSON document and NDJSON forms of `data`; `build` of either gives `data` back.
fn json_round_trip<F: Format>(data: &[u8], kind: FileKind, opts: ReadOptions) -> Outcome {
    let cp = codepage_for(data);
    let size = Some(data.len() as u64);
    let mut reader = Reader::<F, _>::new(data, kind, size, opts)
        .map_err(|e| broken!("reader refused what Document read: {e}"))?;
    let mut text = Vec::new();
    let count = json::write(&mut reader, &mut text, Style::Document, cp)
        .map_err(|e| broken!("cannot write JSON: {e}"))?;
    let (back, summary) = json::build::<F, _, _>(&text[..], kind, Vec::new(), cp)
        .map_err(|e| broken!("build refuses the JSON that dump wrote: {e}"))?;
    same_bytes("JSON built back", &back, data)?;
    if summary.records != count {
        return Err(broken!(
            "build wrote {} records from a document of {count}",
            summary.records
        ));
    }
    let mut reader = Reader::<F, _>::new(data, kind, size, opts)
        .map_err(|e| broken!("reader refused what Document read: {e}"))?;
    let mut lines = Vec::new();
    json::write(&mut reader, &mut lines, Style::Lines, cp)
        .map_err(|e| broken!("cannot write NDJSON: {e}"))?;
    let mut n = 0;
    for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        serde_json::from_slice::<serde_json::Value>(line)
            .map_err(|e| broken!("NDJSON line {} is not JSON: {e}", n + 1))?;
        n += 1;
    }
    if n != count + 2 {
        return Err(broken!("NDJSON has {n} lines for {count} records"));
    }
    let (back, _) = json::build::<F, _, _>(&lines[..], kind, Vec::new(), cp)
        .map_err(|e| broken!("build refuses the NDJSON that dump wrote: {e}"))?;
    same_bytes("NDJSON built back", &back, data)?;
    Ok(())
}

/// The parser of the Import grammar on any text:
///
/// - every issue points inside the text, at a line that exists, and names a
///   message glbtool knows;
/// - the transaction serializes to JSON;
/// - text -> transaction -> text: [`import::Transaction::to_text`] gives
///   canonical text that parses to the same structure and writes back to the
///   same bytes (a fixed point).
pub fn import_text(data: &[u8]) -> Outcome {
    let t = import::parse(data, CodePage::default());
    let line_count = data.split(|&b| b == b'\n').count();
    for i in &t.issues {
        if i.at > data.len() || i.line == 0 || i.line > line_count {
            return Err(broken!(
                "issue [{}] at byte {} line {} is outside the {}-byte, {line_count}-line text",
                i.message,
                i.at,
                i.line,
                data.len()
            ));
        }
        if crate::messages::message(i.message).is_none() {
            return Err(broken!("issue cites unknown message {}", i.message));
        }
    }
    serde_json::to_vec(&t).map_err(|e| broken!("transaction is not JSON: {e}"))?;
    let canonical = t.to_text();
    let again = import::parse(&canonical, CodePage::default());
    if again.without_issues() != t.without_issues() {
        return Err(broken!(
            "the canonical text {:?} parses to {:?}, not {:?}",
            String::from_utf8_lossy(&canonical),
            again.without_issues(),
            t.without_issues()
        ));
    }
    same_bytes("canonical text written again", &again.to_text(), &canonical)
}

/// `build` on any JSON text: it either refuses with an error or writes bytes
/// that glbtool reads back, and that pass [`parsed_bytes`]. The family is the
/// one of the document's `kind` (queue files when it has none).
pub fn json_document(data: &[u8]) -> Outcome {
    #[derive(serde::Deserialize)]
    struct Kind {
        kind: FileKind,
    }
    let kind = serde_json::from_slice::<Kind>(data).map_or(FileKind::Msttrans, |k| k.kind);
    with_format!(kind.family(), |F| built::<F>(data, kind))
}

fn built<F: Format>(data: &[u8], kind: FileKind) -> Outcome {
    let Ok((bytes, summary)) = json::build::<F, _, _>(data, kind, Vec::new(), codepage_for(data))
    else {
        return Ok(());
    };
    if summary.trailing == 0 {
        let doc = Document::<F>::from_bytes(&bytes, kind, ReadOptions::default())
            .map_err(|e| broken!("glbtool cannot read the file build wrote: {e}"))?;
        if doc.records.len() as u64 != summary.records {
            return Err(broken!(
                "build says {} records, reading finds {}",
                summary.records,
                doc.records.len()
            ));
        }
    }
    parsed_bytes::<F>(&bytes, kind)
}

#[cfg(feature = "arbitrary")]
fn written_value_of<F: Format>(data: &[u8]) -> Outcome
where
    F::Header: for<'a> arbitrary::Arbitrary<'a>,
    F::Record: for<'a> arbitrary::Arbitrary<'a>,
{
    let kind = kind_of::<F>().ok_or_else(|| broken!("no file kind is read with this format"))?;
    match arbitrary_document::<F>(data, kind) {
        Ok(doc) => written_value(&doc),
        Err(_) => Ok(()), // too few bytes for a value: nothing to check
    }
}

/// A document of `F` built by `arbitrary` from `data` (header, then records).
#[cfg(feature = "arbitrary")]
pub fn arbitrary_document<F: Format>(data: &[u8], kind: FileKind) -> arbitrary::Result<Document<F>>
where
    F::Header: for<'a> arbitrary::Arbitrary<'a>,
    F::Record: for<'a> arbitrary::Arbitrary<'a>,
{
    use arbitrary::{Arbitrary, Unstructured};
    let mut u = Unstructured::new(data);
    let header = if F::HEADER_LEN == 0 {
        F::Header::default()
    } else {
        F::Header::arbitrary(&mut u)?
    };
    let records = if F::RECORD == crate::format::RecordSize::None {
        Vec::new()
    } else {
        Vec::<F::Record>::arbitrary_take_rest(u)?
    };
    Ok(Document {
        kind,
        header: Some(header),
        records,
        trailing: Vec::new(),
    })
}

/// Write-read-write on a typed value: a document glbtool can write (some
/// values cannot be written, such as text too long for its field: those must
/// fail with an error, not a panic) reads back with the strict reader, writes
/// back to the identical bytes, reads back to the same value, and its bytes
/// pass [`parsed_bytes`].
pub fn written_value<F: Format>(doc: &Document<F>) -> Outcome {
    let bytes = match doc.to_bytes() {
        Ok(b) => b,
        Err(crate::Error::Encode { .. }) => return Ok(()),
        Err(e) => return Err(broken!("writing failed with a non-encoding error: {e}")),
    };
    let back = Document::<F>::from_bytes(&bytes, doc.kind, ReadOptions::default())
        .map_err(|e| broken!("glbtool cannot read a file it wrote: {e}"))?;
    let again = back
        .to_bytes()
        .map_err(|e| broken!("cannot write back what was read: {e}"))?;
    same_bytes("written, read and written again", &again, &bytes)?;
    let back2 = Document::<F>::from_bytes(&again, doc.kind, ReadOptions::default())
        .map_err(|e| broken!("cannot read the second write: {e}"))?;
    if !same_document(&back2, &back) {
        return Err(broken!(
            "the value changed between the second and third write"
        ));
    }
    parsed_bytes::<F>(&bytes, doc.kind)
}

/// `probe` on any bytes, compared with any kind or none (the first byte
/// chooses: a kind's index in [`FileKind::ALL`], anything larger none; its
/// top bit asks for redaction): the report stays within its bounds and
/// serialises, the layout it proposes fits the bytes it came from (when the
/// framing covers the whole file), and the redacted copy has the same
/// length and the same records.
pub fn probed_bytes(data: &[u8]) -> Outcome {
    use crate::probe::{self, frame, layout, limits, redact, Options, Records, Sample, Verdict};
    let (sel, bytes) = data.split_first().map_or((0, data), |(s, r)| (*s, r));
    let kind = FileKind::ALL.get(usize::from(sel & 0x7F)).copied();
    let size = bytes.len() as u64;
    let sample = Sample {
        bytes,
        size,
        kind,
        siblings: &[],
    };
    let opts = Options {
        redact: sel & 0x80 != 0,
        ..Options::default()
    };
    let report = probe::probe(&sample, &opts);
    if report.records_analysed > limits::RECORDS || report.size != size {
        return Err(broken!(
            "{} records analysed, size {} of {size}",
            report.records_analysed,
            report.size
        ));
    }
    let framing = report.framing.found;
    let items = frame::items(bytes, &framing);
    let shortest = items.records.iter().map(|r| r.len()).min().unwrap_or(0);
    for f in &report.record {
        if f.len.is_some_and(|l| f.start + l > shortest) {
            return Err(broken!(
                "field {f:?} runs past the shortest record ({shortest} bytes)"
            ));
        }
    }
    if let Some(h) = &items.header {
        for f in &report.header {
            if f.len.is_some_and(|l| f.start + l > h.len()) {
                return Err(broken!("header field {f:?} runs past the header"));
            }
        }
    }
    serde_json::to_string(&report).map_err(|e| broken!("the report does not serialise: {e}"))?;
    let covers = match framing.records {
        Records::Fixed { len } => {
            size >= framing.header as u64
                && (size - framing.header as u64).is_multiple_of(len as u64)
        }
        _ => true,
    };
    if covers {
        let back = layout::check(&report.proposal, bytes, size, &[]);
        if back.verdict != Verdict::Fits {
            let differs: Vec<String> = back
                .fits()
                .filter(|f| f.status == layout::Status::Differs)
                .map(|f| format!("{} at +{}: {}", f.decl.name, f.decl.start, f.evidence))
                .collect();
            return Err(broken!(
                "the proposal does not fit its own file ({:?}): framing {}; {}",
                back.verdict,
                back.framing_evidence,
                differs.join("; ")
            ));
        }
    }
    let plan = redact::Plan::new(&framing, &report.header, &report.record);
    let mut copy = Vec::new();
    plan.copy(bytes, &mut copy)
        .map_err(|e| broken!("redacting failed: {e}"))?;
    if copy.len() != bytes.len() {
        return Err(broken!(
            "the redacted copy has {} bytes, not {}",
            copy.len(),
            bytes.len()
        ));
    }
    if frame::items(&copy, &framing).records != items.records {
        return Err(broken!(
            "the redacted copy's records differ from the file's"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_name_is_unique_and_found() {
        let t = targets();
        for target in &t {
            assert_eq!(t.iter().filter(|x| x.name == target.name).count(), 1);
            assert!(find(&target.name).is_some());
        }
        assert!(find("parse_queue").is_some());
        assert!(find("no_such_target").is_none());
        #[cfg(feature = "arbitrary")]
        assert!(find("roundtrip_queue").is_some());
    }

    #[test]
    fn kind_of_finds_the_family_kind() {
        assert_eq!(kind_of::<crate::queue::Queue>(), Some(FileKind::Reqtrans));
        assert_eq!(kind_of::<crate::nme::Nme>(), Some(FileKind::Nme));
        assert_eq!(kind_of::<crate::netpo::Netpo>(), Some(FileKind::Netpo));
        assert_eq!(
            kind_of::<crate::srvconf::SrvConfFile>(),
            Some(FileKind::Srvconf)
        );
    }

    #[test]
    fn a_broken_round_trip_is_reported() {
        // A reader that loses bytes would be caught: compare against other bytes.
        assert!(same_bytes("x", b"abc", b"abd")
            .unwrap_err()
            .0
            .contains("offset 2"));
        // Spans that leave a gap are caught.
        use crate::layout::{Field, Provenance, Role};
        const GAPPY: [Field; 2] = crate::layout::table([
            crate::layout::Decl {
                name: "a",
                len: 1,
                ty: "u8",
                role: Role::Number,
                note: "",
                provenance: Provenance::Unknown(""),
            },
            crate::layout::Decl {
                name: "b",
                len: 1,
                ty: "u8",
                role: Role::Number,
                note: "",
                provenance: Provenance::Unknown(""),
            },
        ]);
        let gap = Field {
            start: 2,
            ..GAPPY[1]
        };
        struct Gappy(Field);
        impl Annotate for Gappy {
            fn spans(&self, _cp: crate::codepage::CodePage, out: &mut Vec<Span>) {
                use crate::layout::Value;
                out.push(Span::of(&GAPPY[0], Value::Unsigned(0)));
                out.push(Span::of(&self.0, Value::Unsigned(0)));
            }
        }
        assert!(spans_cover("item", &Gappy(gap), &[0, 0, 0]).is_err());
    }

    /// Toy layouts with a file header (the queue family has none), so the
    /// framework's header paths meet the same invariants before the header
    /// families arrive: a 6-byte header whose first byte must not be 0xFF,
    /// then 5-byte records (or, for the header-only layout, nothing).
    mod toy {
        use crate::error::FieldFault;
        use crate::fields::Reserved;
        use crate::format::{Format, RecordSize};
        use crate::layout::{Annotate, Decl, Field, Provenance, Role, Span, Value};

        const fn bytes(len: usize) -> [Field; 1] {
            crate::layout::table([Decl {
                name: "bytes",
                len,
                ty: "bytes",
                role: Role::Unknown,
                note: "",
                provenance: Provenance::Unknown(""),
            }])
        }
        const BYTES: [Field; 1] = bytes(0);
        const TOY_HEADER: [Field; 1] = bytes(6);
        const TOY_RECORD: [Field; 1] = bytes(5);

        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize,
        )]
        pub struct Item<const N: usize> {
            pub bytes: Reserved<N>,
        }

        impl<const N: usize> Annotate for Item<N> {
            fn spans(&self, _cp: crate::codepage::CodePage, out: &mut Vec<Span>) {
                out.push(Span {
                    len: N,
                    ..Span::of(&BYTES[0], Value::Bytes)
                });
            }
        }

        fn decode<const N: usize>(b: &[u8]) -> Result<Item<N>, FieldFault> {
            if b[0] == 0xFF {
                return Err(FieldFault::new(0, "bytes", "0xFF is not allowed here"));
            }
            let mut r = Reserved([0; N]);
            r.0.copy_from_slice(b);
            Ok(Item { bytes: r })
        }

        macro_rules! toy {
            ($name:ident, $record:expr) => {
                #[derive(Debug)]
                pub struct $name;
                impl Format for $name {
                    type Header = Item<6>;
                    type Record = Item<5>;
                    type Info<'a> = ();
                    const HEADER_LEN: usize = 6;
                    const RECORD: RecordSize = $record;
                    fn size_rule() -> &'static str {
                        "a toy layout"
                    }
                    const SPEC: &'static str = "a toy";
                    fn header_fields() -> &'static [Field] {
                        &TOY_HEADER
                    }
                    fn record_fields() -> &'static [Field] {
                        &TOY_RECORD
                    }
                    fn decode_header(b: &[u8]) -> Result<Item<6>, FieldFault> {
                        decode(b)
                    }
                    fn decode_record(b: &[u8], out: &mut Item<5>) -> Result<(), FieldFault> {
                        *out = decode(b)?;
                        Ok(())
                    }
                    fn encode_header(h: &Item<6>, out: &mut Vec<u8>) -> Result<(), FieldFault> {
                        out.extend_from_slice(&h.bytes.0);
                        Ok(())
                    }
                    fn encode_record(r: &Item<5>, out: &mut Vec<u8>) -> Result<(), FieldFault> {
                        out.extend_from_slice(&r.bytes.0);
                        Ok(())
                    }
                }
            };
        }
        toy!(Records, RecordSize::Fixed(5));
        toy!(HeaderOnly, RecordSize::None);
    }

    proptest::proptest! {
        #[test]
        fn layouts_with_a_header_meet_every_invariant(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![proptest::strategy::Just(0xFFu8), proptest::prelude::any::<u8>()],
                0..40,
            )
        ) {
            let records = parsed_bytes::<toy::Records>(&bytes, FileKind::Process);
            proptest::prop_assert!(records.is_ok(), "{:?}", records);
            let header_only = parsed_bytes::<toy::HeaderOnly>(&bytes, FileKind::Reqconf);
            proptest::prop_assert!(header_only.is_ok(), "{:?}", header_only);
        }
    }

    #[test]
    fn checks_pass_on_plain_inputs() {
        for t in targets() {
            for input in [&b""[..], b"\x19\x00", b"A Joe\tPCM:N/P/joe", b"{}"] {
                (t.check)(input).unwrap_or_else(|b| panic!("{}: {b}", t.name));
            }
        }
    }
}
