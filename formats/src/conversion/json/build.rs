//! `build`: a JSON document or an NDJSON stream back to the file it
//! describes (`docs/json.md`).
//!
//! Both forms stream: one record at a time is read, checked, written and
//! forgotten. Each record, header and key is read within its own byte budget
//! ([`strict::Budget`]), so a value too long for any record (a 300 MB
//! `text`, a 48 MB `info`) is refused as soon as it passes the budget,
//! before it is held in memory.
//!
//! Per record, `index`, `offset` and `info` are derived: `build` recomputes
//! them from the stored fields and refuses a document whose values differ,
//! naming the JSON path and the stored field to edit instead. `info` carries
//! `stored_digest`, a CRC-32 of the record's bytes when it was dumped: when
//! the stored fields no longer give it, they were edited and the rest of
//! `info` is out of date (it is then used only for `checksum_ok`, to re-seal
//! a record whose checksum was glbtool's).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::io::{BufRead, Read, Write};
use std::rc::Rc;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::strict::{self, Budget, Guarded};
use super::{
    digest_crc, first_difference, info_value, stored_crc32, Style, DOCUMENT_FORMAT, LINES_FORMAT,
};
use crate::codepage::CodePage;
use crate::error::{Error, Result};
use crate::format::{Format, Writer};
use crate::kind::FileKind;

/// The most JSON one record may take, in a document or as one NDJSON line.
/// No record needs half of it: the longest (a queue record of 65,535 bytes)
/// is at most about 400 KB of JSON text even with every byte escaped, and
/// its derived `info` (the parsed transaction, at most 100 issues) a few
/// times that.
pub const RECORD_BUDGET: u64 = 16 << 20;
/// The most JSON values (array elements and object members, nested ones
/// included) one record may hold: a transaction of 30,000 template lines
/// has about 100,000. With [`RECORD_BUDGET`] it bounds the memory one
/// record's JSON can take, whatever its shape.
pub const RECORD_NODES: u64 = 250_000;
/// The most JSON a file header may take (the longest, SRVCONF's 1,024
/// bytes, is about 2 KB).
pub const HEADER_BUDGET: u64 = 1 << 20;
/// The most JSON values a header or another top-level value may hold.
pub const HEADER_NODES: u64 = 10_000;
/// The most JSON a key or a small top-level value may take.
pub const KEY_BUDGET: u64 = 64 << 10;
/// The most JSON `trailing` may take: 16 MiB of hex, 8 MiB of bytes.
pub const TRAILING_BUDGET: u64 = 16 << 20;

/// How `build` reads a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildOptions {
    /// The kind asked for (`--kind`): the document's `kind` must be this one.
    pub kind: Option<FileKind>,
    /// The code page asked for (`--codepage`): the document's `codepage`
    /// must be this one. Without either, text is read as code page 850.
    pub codepage: Option<CodePage>,
    /// Refuse derived values (`index`, `offset`, `info`) that differ from
    /// what the stored fields give, and use them: `info.checksum_ok` to
    /// re-seal an edited record, an edited RESYNC header rewritten in
    /// glbtool's form. `--ignore-derived` turns this off: the stored fields
    /// are then written exactly as given.
    pub check_derived: bool,
    /// Re-seal every record whose stored checksum is not glbtool's
    /// (`--reseal`), not only the edited records whose checksum was.
    pub reseal: bool,
    /// Let NETPO.GLB records move (`--allow-moves`): by default a NETPO or
    /// GALNETPO record must stay at its index, because NME entries point at
    /// it by byte offset (KB Q107767).
    pub allow_moves: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            kind: None,
            codepage: None,
            check_derived: true,
            reseal: false,
            allow_moves: false,
        }
    }
}

/// How many notes (and re-sealed record numbers) a summary keeps.
pub const SUMMARY_LIMIT: usize = 20;

/// What `build` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSummary {
    /// The kind of file written (from the document, or `--kind`).
    pub kind: FileKind,
    /// The code page its text was written in.
    pub codepage: CodePage,
    /// Which form the input was in.
    pub style: Style,
    /// Records written.
    pub records: u64,
    /// Trailing bytes written.
    pub trailing: u64,
    /// Records whose checksum `build` computed anew (their numbers: the first
    /// [`SUMMARY_LIMIT`]).
    pub resealed: Vec<u64>,
    /// How many records were re-sealed in all.
    pub resealed_count: u64,
    /// What `build` wrote differently from the document's text, with the
    /// JSON path (the first [`SUMMARY_LIMIT`]).
    pub notes: Vec<String>,
    /// How many notes there were in all.
    pub notes_count: u64,
    /// NDJSON: records of the dumped file not in the stream (removed by
    /// filtering), when its end line says how many there were.
    pub dropped: Option<u64>,
}

impl BuildSummary {
    fn new(kind: FileKind, codepage: CodePage, style: Style) -> Self {
        BuildSummary {
            kind,
            codepage,
            style,
            records: 0,
            trailing: 0,
            resealed: Vec::new(),
            resealed_count: 0,
            notes: Vec::new(),
            notes_count: 0,
            dropped: None,
        }
    }

    fn note(&mut self, text: String) {
        if self.notes.len() < SUMMARY_LIMIT {
            self.notes.push(text);
        }
        self.notes_count += 1;
    }
}

/// One record as read, before it is checked: its stored fields and its
/// derived ones.
#[derive(Debug, Default)]
struct RawRecord {
    stored: Map<String, Value>,
    index: Option<Value>,
    offset: Option<Value>,
    info: Option<Value>,
}

impl RawRecord {
    fn put(&mut self, key: String, value: Value) {
        match key.as_str() {
            "index" => self.index = Some(value),
            "offset" => self.offset = Some(value),
            "info" => self.info = Some(value),
            _ => {
                self.stored.insert(key, value);
            }
        }
    }

    fn from_object(m: Map<String, Value>) -> RawRecord {
        let mut r = RawRecord::default();
        for (k, v) in m {
            r.put(k, v);
        }
        r
    }
}

/// The file being written, whatever its family.
trait Target<W> {
    fn layout(&mut self, v: Value, at: &str) -> Result<()>;
    fn header(&mut self, v: Value, at: &str) -> Result<()>;
    fn record(&mut self, raw: RawRecord, place: &str) -> Result<()>;
    fn records(&self) -> u64;
    fn trailing(&mut self, bytes: &[u8]) -> Result<()>;
    fn trailing_offset(&mut self, v: Value);
    fn source_count(&mut self, n: u64);
    fn finish(self: Box<Self>) -> Result<(W, BuildSummary)>;
}

/// What a file is built as: its kind and code page, the form of the input, the options.
#[derive(Clone, Copy)]
struct Setup {
    kind: FileKind,
    cp: CodePage,
    style: Style,
    opts: BuildOptions,
}

/// Makes the writer of a file of `setup.kind`.
type Factory<'w, W> = fn(Setup, W) -> Result<Box<dyn Target<W> + 'w>>;

/// The family's format, chosen by the kind (`with_format!`).
fn make_target<'w, W: Write + 'w>(setup: Setup, out: W) -> Result<Box<dyn Target<W> + 'w>> {
    crate::with_format!(setup.kind.family(), |F| builder_for::<F, W>(setup, out))
}

/// The format `F`, whatever the kind.
fn builder_for<'w, F: Format, W: Write + 'w>(
    setup: Setup,
    out: W,
) -> Result<Box<dyn Target<W> + 'w>> {
    Ok(Box::new(Builder::<F, W>::new(setup, out)))
}

struct Builder<F: Format, W: Write> {
    kind: FileKind,
    cp: CodePage,
    style: Style,
    opts: BuildOptions,
    writer: Writer<F, W>,
    saw_header: bool,
    offset: u64,
    trailing_at: Option<u64>,
    dumped_end: Option<u64>,
    trailing_offset: Option<Value>,
    source_count: Option<u64>,
    summary: BuildSummary,
    buf: Vec<u8>,
}

impl<F: Format, W: Write> Builder<F, W> {
    fn new(setup: Setup, out: W) -> Self {
        let Setup {
            kind,
            cp,
            style,
            opts,
        } = setup;
        Builder {
            kind,
            cp,
            style,
            opts,
            writer: Writer::new(out, kind),
            saw_header: F::HEADER_LEN == 0,
            offset: 0,
            trailing_at: None,
            dumped_end: None,
            trailing_offset: None,
            source_count: None,
            summary: BuildSummary::new(kind, cp, style),
            buf: Vec::with_capacity(256),
        }
    }

    fn encode_error(e: Error, at: &str) -> Error {
        match e {
            Error::Encode { field, message, .. } => Error::json(format!("{at}.{field}"), message),
            other => other,
        }
    }

    /// `index` and `offset`: where the record was in the dumped file.
    fn check_position(&self, raw: &RawRecord, i: u64, at: &str) -> Result<()> {
        let exact = self.style == Style::Document && self.opts.check_derived;
        let pinned =
            matches!(self.kind, FileKind::Netpo | FileKind::Galnetpo) && !self.opts.allow_moves;
        let number = |v: &Value, name: &str| {
            v.as_u64().ok_or_else(|| {
                Error::json(
                    format!("{at}.{name}"),
                    format!("expected a whole number 0 or more, got {}", short(v)),
                )
            })
        };
        if let Some(v) = &raw.index {
            let n = number(v, "index")?;
            if n != i && pinned {
                return Err(Error::json(
                    format!("{at}.index"),
                    format!(
                        "record {n} of the dumped file would be written as record {i}: NME entries point at NETPO.GLB and GALNETPO.GLB records by byte offset (KB Q107767), so every entry pointing at it or at a later record would lead to another address. To remove an address, set its `status` to 0 (deleted) and leave the record in place (docs/json.md); --allow-moves builds it anyway"
                    ),
                ));
            }
            if n != i && exact {
                return Err(Error::json(
                    format!("{at}.index"),
                    format!(
                        "the document says {n}, but this is record {i} of the file being built: `index` is derived (the record's position; records are written in array order). After removing or adding a record, delete `index` and `offset` from the records after it; --ignore-derived skips this check"
                    ),
                ));
            }
        }
        if let Some(v) = &raw.offset {
            let n = number(v, "offset")?;
            // Where the record was in the dumped file: just after the record
            // before it as it was dumped (its size then, not now: editing a
            // text moves the records after it, which is fine).
            let want = if i == 0 {
                Some(F::HEADER_LEN as u64)
            } else {
                self.dumped_end
            };
            if let Some(want) = want.filter(|&w| w != n && exact) {
                return Err(Error::json(
                    format!("{at}.offset"),
                    format!(
                        "the document says {n}, but in the dumped file this record started at byte {want}, where the record before it ended: `offset` is derived (where the record was read from). After removing or adding a record, delete `index` and `offset` from the records after it; --ignore-derived skips this check"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Where the record ended in the dumped file, when the document says.
    fn dumped_end(raw: &RawRecord) -> Option<u64> {
        let start = raw.offset.as_ref()?.as_u64()?;
        let len = match F::RECORD {
            crate::format::RecordSize::Fixed(n) => n as u64,
            _ => raw.info.as_ref()?.get("length")?.as_u64()?,
        };
        start.checked_add(len)
    }
}

impl<F: Format, W: Write> Target<W> for Builder<F, W> {
    /// `layout` says what `dump` knows of the layout's provenance: derived
    /// from the kind, nothing to build from, so it must be what glbtool says.
    fn layout(&mut self, v: Value, at: &str) -> Result<()> {
        if !self.opts.check_derived {
            return Ok(());
        }
        let want =
            serde_json::to_value(F::layout().statement(self.kind.name())).unwrap_or(Value::Null);
        if let Some((path, given, got)) = first_difference(&v, &want) {
            return Err(Error::json(
                format!("{at}{path}"),
                if got.is_empty() {
                    format!("{given} is not part of the layout statement glbtool writes; `layout` is derived from the kind and never written: remove it, or --ignore-derived skips this check")
                } else {
                    format!("the document says {given}, but the layout of {} says {got}: `layout` is derived from the kind and never written; remove it, or --ignore-derived skips this check", self.kind)
                },
            ));
        }
        Ok(())
    }

    fn header(&mut self, v: Value, at: &str) -> Result<()> {
        self.saw_header = true;
        if F::HEADER_LEN == 0 {
            if !v.is_null() {
                return Err(Error::json(
                    at,
                    format!("{} has no file header; use null", self.kind),
                ));
            }
            return Ok(());
        }
        if v.is_null() {
            // A salvaged file whose header could not be read: its bytes are in `trailing`.
            self.writer.header_in_trailing();
            return Ok(());
        }
        let h: F::Header = super::from_value(v, at, self.cp)?;
        self.writer
            .header(&h)
            .map_err(|e| Self::encode_error(e, at))?;
        self.offset = F::HEADER_LEN as u64;
        Ok(())
    }

    fn record(&mut self, raw: RawRecord, place: &str) -> Result<()> {
        let i = self.summary.records;
        let at = format!("{place}records[{i}]");
        if !self.saw_header {
            return Err(Error::json(
                format!("{place}header"),
                format!(
                    "missing: {} files start with a header, which must come before the records",
                    self.kind
                ),
            ));
        }
        self.check_position(&raw, i, &at)?;
        self.dumped_end = Self::dumped_end(&raw);
        let cp = self.cp;
        let RawRecord {
            mut stored, info, ..
        } = raw;
        let constructed = match &info {
            Some(v) => F::from_structured(&mut stored, v, cp)
                .map_err(|(p, m)| Error::json(format!("{at}.{p}"), m))?,
            None => None,
        };
        if let Some(what) = constructed {
            self.summary.note(format!("{at}: {what}"));
        }
        let mut rec: F::Record = super::from_value(Value::Object(stored), &at, cp)?;
        self.buf.clear();
        F::encode_record(&rec, &mut self.buf)
            .map_err(|f| Error::json(format!("{at}.{}", f.field), f.message))?;
        let crc = stored_crc32(&self.buf);
        let dumped_crc = match info.as_ref().and_then(|i| i.get("stored_digest")) {
            None => None,
            Some(v) => Some(v.as_str().and_then(digest_crc).ok_or_else(|| {
                Error::json(
                    format!("{at}.info.stored_digest"),
                    format!(
                        "{} is not a digest glbtool wrote (its check digits do not match): it is derived and never written; remove it, or --ignore-derived skips this check",
                        short(v)
                    ),
                )
            })?),
        };
        // Stored fields edited since the dump: the rest of `info` is out of date.
        let edited = constructed.is_some() || dumped_crc.is_some_and(|c| c != crc);
        let unchanged = constructed.is_none() && dumped_crc == Some(crc);
        if let (Some(doc), true, false) = (&info, self.opts.check_derived, edited) {
            let want = info_value::<F>(&rec, crc, cp);
            if let Some((path, given, got)) = first_difference(doc, &want) {
                let key = path
                    .trim_start_matches('.')
                    .split(['.', '['])
                    .next()
                    .unwrap_or("");
                let message = if got.is_empty() {
                    format!(
                        "{given} is not a derived fact glbtool writes: `info` is never written to the file; remove it, or --ignore-derived skips this check"
                    )
                } else {
                    format!(
                        "the document says {given}, but the stored fields give {got}. `info` is derived and never written to the file: edit `{}` instead (or remove `info`); --ignore-derived skips this check",
                        F::derived_from(key)
                    )
                };
                return Err(Error::json(format!("{at}.info{path}"), message));
            }
        }
        let sealed_given = F::sealed(&rec);
        let mut changed = false;
        // With --ignore-derived the stored fields are taken literally.
        let literal = !self.opts.check_derived;
        if !unchanged && !literal {
            if let Some(what) = F::normalize(self.kind, &mut rec) {
                self.summary.note(format!("{at}: {what}"));
                changed = true;
            }
        }
        if F::sealed(&rec) == Some(false) {
            let was_sealed = info
                .as_ref()
                .and_then(|i| i.get("checksum_ok"))
                .and_then(Value::as_bool)
                == Some(true);
            let said_unsealed = info
                .as_ref()
                .and_then(|i| i.get("checksum_ok"))
                .and_then(Value::as_bool)
                == Some(false);
            // A text written from `info` is new: a stored checksum cannot be
            // for it, unless the document says the record was never sealed.
            let new_text = constructed.is_some() && !said_unsealed;
            // The checksum field alone edited (the rest as dumped, by
            // `checksum_computed`) is the user's checksum: kept.
            let content_changed = match info.as_ref().and_then(|i| i.get("checksum_computed")) {
                Some(v) => {
                    let want = info_value::<F>(&rec, crc, cp);
                    want.get("checksum_computed") != Some(v)
                }
                None => true,
            };
            if self.opts.reseal
                || (!literal && edited && was_sealed && content_changed)
                || new_text
                || (changed && sealed_given == Some(true))
            {
                F::reseal(&mut rec);
                changed = true;
                if self.summary.resealed.len() < SUMMARY_LIMIT {
                    self.summary.resealed.push(i);
                }
                self.summary.resealed_count += 1;
            }
        }
        if changed {
            self.buf.clear();
            F::encode_record(&rec, &mut self.buf)
                .map_err(|f| Error::json(format!("{at}.{}", f.field), f.message))?;
        }
        self.writer
            .record_bytes(&self.buf)
            .map_err(|e| Self::encode_error(e, &at))?;
        self.offset += self.buf.len() as u64;
        self.summary.records += 1;
        Ok(())
    }

    fn records(&self) -> u64 {
        self.summary.records
    }

    fn trailing(&mut self, bytes: &[u8]) -> Result<()> {
        self.trailing_at = Some(self.offset);
        self.summary.trailing = bytes.len() as u64;
        self.writer.trailing(bytes)
    }

    fn trailing_offset(&mut self, v: Value) {
        self.trailing_offset = Some(v);
    }

    fn source_count(&mut self, n: u64) {
        self.source_count = Some(n);
    }

    fn finish(mut self: Box<Self>) -> Result<(W, BuildSummary)> {
        if !self.saw_header {
            return Err(Error::json(
                "header",
                format!("missing: {} files start with a header", self.kind),
            ));
        }
        if let Some(v) = self.trailing_offset.take() {
            // Where the reader stopped reading whole records.
            let want = self.trailing_at.unwrap_or(self.offset);
            let ok = v.is_null() || v.as_u64() == Some(want);
            if !ok && (self.opts.check_derived || v.as_u64().is_none()) {
                return Err(Error::json(
                    "trailing_offset",
                    format!(
                        "the document says {}, but the records end at byte {want}: `trailing_offset` is derived; remove it, or --ignore-derived skips this check",
                        short(&v)
                    ),
                ));
            }
        }
        if let Some(n) = self.source_count {
            let built = self.summary.records;
            if n != built
                && matches!(self.kind, FileKind::Netpo | FileKind::Galnetpo)
                && !self.opts.allow_moves
            {
                return Err(Error::json(
                    "end.records",
                    format!(
                        "the dumped file had {n} records and {built} were given: NME entries point at NETPO.GLB and GALNETPO.GLB records by byte offset (KB Q107767), so removing records breaks them. Set a record's `status` to 0 (deleted) instead (docs/json.md); --allow-moves builds it anyway"
                    ),
                ));
            }
            self.summary.dropped = Some(n.saturating_sub(built));
        }
        let Builder {
            writer, summary, ..
        } = *self;
        let out = writer
            .finish()
            .map_err(|e| Self::encode_error(e, "header"))?;
        Ok((out, summary))
    }
}

fn short(v: &Value) -> String {
    super::short(v)
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

struct Doc<'w, W: Write> {
    factory: Factory<'w, W>,
    opts: BuildOptions,
    budget: Rc<Budget>,
    failure: RefCell<Option<Error>>,
    out: Option<W>,
    target: Option<Box<dyn Target<W> + 'w>>,
    kind: Option<FileKind>,
    cp: Option<CodePage>,
    /// The header and the layout statement, read before the kind was known
    /// (keys in any order).
    header: Option<Value>,
    layout: Option<Value>,
}

impl<'w, W: Write + 'w> Doc<'w, W> {
    /// Keeps our own error and hands serde a marker, so the caller can return
    /// the precise error after serde unwinds.
    fn fail<E: serde::de::Error>(&self, err: Error) -> E {
        let mut f = self.failure.borrow_mut();
        if f.is_none() {
            *f = Some(err);
        }
        E::custom("glbtool build error")
    }

    fn target<E: serde::de::Error>(&mut self, key: &str) -> Result<&mut (dyn Target<W> + 'w), E> {
        if self.target.is_none() {
            let kind = match (self.kind, self.opts.kind) {
                (Some(k), _) | (None, Some(k)) => k,
                (None, None) => {
                    return Err(self.fail(Error::json(
                        key,
                        "the document names no `kind` before it (or give --kind)",
                    )))
                }
            };
            let cp = self.cp.or(self.opts.codepage).unwrap_or_default();
            let out = self
                .out
                .take()
                .ok_or_else(|| self.fail::<E>(Error::json(key, "internal: no output")))?;
            let setup = Setup {
                kind,
                cp,
                style: Style::Document,
                opts: self.opts,
            };
            let mut t = (self.factory)(setup, out).map_err(|e| self.fail::<E>(e))?;
            if let Some(l) = self.layout.take() {
                t.layout(l, "layout").map_err(|e| self.fail::<E>(e))?;
            }
            if let Some(h) = self.header.take() {
                t.header(h, "header").map_err(|e| self.fail::<E>(e))?;
            }
            self.target = Some(t);
        }
        match self.target.as_deref_mut() {
            Some(t) => Ok(t),
            None => Err(E::custom("no target")),
        }
    }

    /// Reads a value with a budget, naming `at` when it is too long.
    fn value<'de, A: MapAccess<'de>>(
        &self,
        map: &mut A,
        at: &str,
        budget: u64,
    ) -> Result<Value, A::Error> {
        self.budget.allow(budget);
        let nodes = std::cell::Cell::new(HEADER_NODES);
        let seed = Strict {
            fail: &self.failure,
            budget: &self.budget,
            nodes: &nodes,
            at,
            limit: budget,
        };
        map.next_value_seed(seed)
    }
}

/// A strict value read through [`strict::read_value`], its errors located at `at`.
struct Strict<'a> {
    fail: &'a RefCell<Option<Error>>,
    budget: &'a Budget,
    nodes: &'a std::cell::Cell<u64>,
    at: &'a str,
    limit: u64,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        strict::read_value(d, self.nodes).map_err(|(path, msg)| {
            let err = if self.budget.tripped() {
                too_long(self.at, self.limit)
            } else {
                Error::json(format!("{}{path}", self.at), msg.to_string())
            };
            let mut f = self.fail.borrow_mut();
            if f.is_none() {
                *f = Some(err);
            }
            <D::Error as serde::de::Error>::custom("glbtool build error")
        })
    }
}

fn too_long(at: &str, limit: u64) -> Error {
    Error::json(
        at,
        format!(
            "longer than {} of JSON, more than any value of a glbtool document needs (a queue record's text holds at most {} bytes): refused before reading further",
            human(limit),
            crate::queue::MAX_TEXT
        ),
    )
}

fn human(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{} KiB", n >> 10)
    }
}

struct TopVisitor<'d, 'w, W: Write>(&'d mut Doc<'w, W>);

impl<'de, 'w, W: Write + 'w> Visitor<'de> for TopVisitor<'_, 'w, W> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "a glbtool JSON document (an object with \"format\", \"kind\", \"header\" and \"records\")"
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let st = self.0;
        let mut seen = BTreeSet::new();
        loop {
            st.budget.allow(KEY_BUDGET);
            let key = match map.next_key::<String>() {
                Ok(Some(k)) => k,
                Ok(None) => break,
                Err(e) if st.budget.tripped() => {
                    let _ = e;
                    return Err(st.fail(too_long("a key", KEY_BUDGET)));
                }
                Err(e) => return Err(e),
            };
            if !seen.insert(key.clone()) {
                return Err(st.fail(Error::json(key.as_str(), strict::duplicate(&key))));
            }
            let after_trailing = seen.contains("trailing") && key != "trailing";
            if after_trailing && matches!(key.as_str(), "header" | "records" | "kind" | "codepage")
            {
                return Err(st.fail(Error::json(
                    key.as_str(),
                    format!("`{key}` must come before `trailing`"),
                )));
            }
            match key.as_str() {
                "format" => {
                    let v = st.value(&mut map, "format", KEY_BUDGET)?;
                    match v.as_str() {
                        Some(DOCUMENT_FORMAT) => {}
                        Some(LINES_FORMAT) => {
                            return Err(st.fail(Error::json(
                                "format",
                                "this is the first line of an NDJSON stream: give the whole stream, one JSON value per line",
                            )))
                        }
                        _ => {
                            return Err(st.fail(Error::json(
                                "format",
                                format!("expected \"{DOCUMENT_FORMAT}\" (the output of `glbtool dump --format json`), got {}", short(&v)),
                            )))
                        }
                    }
                }
                "kind" => {
                    let v = st.value(&mut map, "kind", KEY_BUDGET)?;
                    let kind = kind_of(&v, st.opts.kind, "kind").map_err(|e| st.fail(e))?;
                    if st.target.is_some() && st.kind.or(st.opts.kind) != Some(kind) {
                        return Err(st.fail(Error::json("kind", "`kind` must come before `records`")));
                    }
                    st.kind = Some(kind);
                }
                "codepage" => {
                    let v = st.value(&mut map, "codepage", KEY_BUDGET)?;
                    let cp = codepage_of(&v, st.opts.codepage, "codepage").map_err(|e| st.fail(e))?;
                    if st.target.is_some() && st.cp.or(st.opts.codepage).unwrap_or_default() != cp {
                        return Err(st.fail(Error::json("codepage", "`codepage` must come before `records`")));
                    }
                    st.cp = Some(cp);
                }
                "header" => {
                    if seen.contains("records") {
                        return Err(st.fail(Error::json("header", "`header` must come before `records`")));
                    }
                    // Kept until the kind is known (it may follow).
                    st.header = Some(st.value(&mut map, "header", HEADER_BUDGET)?);
                }
                "records" => {
                    st.target(&key)?;
                    map.next_value_seed(RecordsSeed(&mut *st))?;
                }
                "trailing" => {
                    let v = st.value(&mut map, "trailing", TRAILING_BUDGET)?;
                    let bytes = hex_of(&v, "trailing").map_err(|e| st.fail(e))?;
                    let r = st.target(&key)?.trailing(&bytes);
                    r.map_err(|e| st.fail(e))?;
                }
                "trailing_offset" => {
                    let v = st.value(&mut map, "trailing_offset", KEY_BUDGET)?;
                    st.target(&key)?.trailing_offset(v);
                }
                "trailing_omitted" => {
                    let v = st.value(&mut map, "trailing_omitted", KEY_BUDGET)?;
                    return Err(st.fail(Error::json(
                        "trailing_omitted",
                        format!(
                            "{v}: dump --salvage kept only the first bytes after the last whole record and named the rest by offset and length; a file cannot be built back from a document that lacks bytes (dump --salvage --format hex, or a hex editor, shows them)"
                        ),
                    )));
                }
                // `dump` says so when it guessed the kind from the content;
                // the document's `kind` is what is built.
                "kind_guessed" => {
                    st.value(&mut map, "kind_guessed", KEY_BUDGET)?;
                }
                "layout" => {
                    let v = st.value(&mut map, "layout", HEADER_BUDGET)?;
                    match st.target.as_deref_mut() {
                        Some(t) => t.layout(v, "layout").map_err(|e| st.fail(e))?,
                        None => st.layout = Some(v),
                    }
                }
                other => {
                    return Err(st.fail(Error::json(
                        other,
                        "unknown field; a document has format, kind, kind_guessed, codepage, layout, header, records, trailing, trailing_offset",
                    )))
                }
            }
        }
        if !seen.contains("format") {
            return Err(st.fail(Error::json(
                "format",
                format!(
                    "missing: a glbtool document starts with \"format\": \"{DOCUMENT_FORMAT}\""
                ),
            )));
        }
        if !seen.contains("records") {
            return Err(st.fail(Error::json(
                "records",
                "missing: a document lists the file's records (a file without records has \"records\": [])",
            )));
        }
        st.target::<A::Error>("header")?;
        Ok(())
    }
}

fn kind_of(v: &Value, asked: Option<FileKind>, at: &str) -> Result<FileKind> {
    let s = v.as_str().ok_or_else(|| {
        Error::json(
            at,
            format!(
                "expected a kind name such as \"reqtrans\", got {}",
                short(v)
            ),
        )
    })?;
    let kind: FileKind = s.parse().map_err(|e: String| Error::json(at, e))?;
    match asked {
        Some(k) if k != kind => Err(Error::json(
            at,
            format!(
                "the document is for kind `{kind}` but `--kind {}` was given",
                k.name()
            ),
        )),
        _ => Ok(kind),
    }
}

fn codepage_of(v: &Value, asked: Option<CodePage>, at: &str) -> Result<CodePage> {
    let n = v
        .as_u64()
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| {
            Error::json(
                at,
                format!("expected a code page number such as 850, got {}", short(v)),
            )
        })?;
    let cp = CodePage::try_from(n).map_err(|m| Error::json(at, m))?;
    match asked {
        Some(a) if a != cp => Err(Error::json(
            at,
            format!("the document's text is in code page {cp} but `--codepage {a}` was given"),
        )),
        _ => Ok(cp),
    }
}

fn hex_of(v: &Value, at: &str) -> Result<Vec<u8>> {
    let s = v
        .as_str()
        .ok_or_else(|| Error::json(at, format!("expected a hex string, got {}", short(v))))?;
    hex::decode(s).map_err(|e| Error::json(at, format!("expected hex: {e}")))
}

struct RecordsSeed<'d, 'w, W: Write>(&'d mut Doc<'w, W>);

impl<'de, 'w, W: Write + 'w> DeserializeSeed<'de> for RecordsSeed<'_, 'w, W> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, 'w, W: Write + 'w> Visitor<'de> for RecordsSeed<'_, 'w, W> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let st = self.0;
        loop {
            let i = st.target.as_ref().map_or(0, |t| t.records());
            let at = format!("records[{i}]");
            st.budget.allow(RECORD_BUDGET);
            let seed = RecordSeed {
                fail: &st.failure,
                budget: &st.budget,
                at: &at,
            };
            let raw = match seq.next_element_seed(seed) {
                Ok(Some(raw)) => raw,
                Ok(None) => break,
                Err(e) => {
                    if st.budget.tripped() {
                        return Err(st.fail(too_long(&at, RECORD_BUDGET)));
                    }
                    return Err(e);
                }
            };
            let r = st.target::<A::Error>("records")?.record(raw, "");
            r.map_err(|e| st.fail(e))?;
        }
        Ok(())
    }
}

struct RecordSeed<'a> {
    fail: &'a RefCell<Option<Error>>,
    budget: &'a Budget,
    at: &'a str,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = RawRecord;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<RawRecord, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = RawRecord;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a record (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<RawRecord, A::Error> {
        let mut raw = RawRecord::default();
        let mut seen = BTreeSet::new();
        let nodes = std::cell::Cell::new(RECORD_NODES);
        while let Some(key) = map.next_key::<String>()? {
            let at = format!("{}.{key}", self.at);
            if !seen.insert(key.clone()) {
                *self.fail.borrow_mut() = Some(Error::json(at, strict::duplicate(&key)));
                return Err(serde::de::Error::custom("duplicate"));
            }
            let v = map.next_value_seed(Strict {
                fail: self.fail,
                budget: self.budget,
                nodes: &nodes,
                at: &at,
                limit: RECORD_BUDGET,
            })?;
            raw.put(key, v);
        }
        Ok(raw)
    }
}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/// Reads a JSON document (`dump --format json`) or an NDJSON stream
/// (`dump --format ndjson`, also after filtering it with jq) and writes the
/// file it describes to `out`. Streams: memory does not grow with the number
/// of records, and no value longer than its budget is held.
pub fn build_from<R: Read, W: Write>(
    input: R,
    opts: BuildOptions,
    out: W,
) -> Result<(W, BuildSummary)> {
    build_with(input, opts, out, make_target::<W>)
}

/// [`build_from`] with the format `F` (the caller knows the family; the
/// document's kind must be `opts.kind`).
pub fn build_as<F: Format, R: Read, W: Write>(
    input: R,
    opts: BuildOptions,
    out: W,
) -> Result<(W, BuildSummary)> {
    build_with(input, opts, out, builder_for::<F, W>)
}

fn build_with<'w, R: Read, W: Write + 'w>(
    input: R,
    opts: BuildOptions,
    out: W,
    factory: Factory<'w, W>,
) -> Result<(W, BuildSummary)> {
    let mut input = std::io::BufReader::with_capacity(1 << 16, input);
    // The first line tells NDJSON from a document: an NDJSON stream's first
    // line is a whole JSON object naming glbtool-ndjson/1.
    let mut first = Vec::new();
    let got = read_line(&mut input, &mut first, HEADER_BUDGET as usize)
        .map_err(|e| Error::io("reading JSON", e))?;
    if got == Line::Complete {
        if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&first) {
            if m.get("format").and_then(Value::as_str) == Some(LINES_FORMAT) {
                return build_lines(input, &first, opts, out, factory);
            }
        }
        first.push(b'\n');
    }
    build_document(std::io::Cursor::new(first).chain(input), opts, out, factory)
}

fn build_document<'w, R: Read, W: Write + 'w>(
    input: R,
    opts: BuildOptions,
    out: W,
    factory: Factory<'w, W>,
) -> Result<(W, BuildSummary)> {
    let (guarded, budget) = Guarded::new(input, KEY_BUDGET);
    let mut doc = Doc {
        factory,
        opts,
        budget: Rc::clone(&budget),
        failure: RefCell::new(None),
        out: Some(out),
        target: None,
        kind: None,
        cp: None,
        header: None,
        layout: None,
    };
    let mut de = serde_json::Deserializer::from_reader(guarded);
    let result = de.deserialize_map(TopVisitor(&mut doc)).and_then(|()| {
        budget.allow(KEY_BUDGET);
        de.end()
    });
    if let Some(err) = doc.failure.take() {
        return Err(err);
    }
    if let Err(e) = result {
        let at = format!("line {} column {}", e.line(), e.column());
        if budget.tripped() {
            return Err(too_long(&at, KEY_BUDGET));
        }
        if e.is_io() {
            return Err(Error::io("reading JSON", e.into()));
        }
        return Err(Error::json(at, e.to_string()));
    }
    let Some(target) = doc.target else {
        return Err(Error::json(
            "records",
            "missing: a document lists the file's records",
        ));
    };
    target.finish()
}

#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A whole line (without its line break), or the last one.
    Complete,
    /// No more input.
    End,
    /// Longer than the limit: what was read is kept, the rest is not read.
    TooLong,
}

/// Reads one line into `buf` (cleared first), reading at most `cap` bytes of it.
fn read_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>, cap: usize) -> std::io::Result<Line> {
    buf.clear();
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(if buf.is_empty() {
                Line::End
            } else {
                Line::Complete
            });
        }
        let (take, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i, true),
            None => (avail.len(), false),
        };
        if buf.len() + take > cap {
            let room = cap - buf.len();
            buf.extend_from_slice(&avail[..room]);
            r.consume(room);
            return Ok(Line::TooLong);
        }
        buf.extend_from_slice(&avail[..take]);
        r.consume(if done { take + 1 } else { take });
        if done {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Line::Complete);
        }
    }
}

/// The place of NDJSON line `line_no` in an error's path: `line 3: `.
fn line_place(line_no: u64) -> String {
    format!("line {line_no}: ")
}

/// One NDJSON line (line `line_no` of the stream) as a strict value, its
/// errors located at that line.
fn line_value(line: &[u8], line_no: u64) -> Result<Value> {
    let at = |path: &str| {
        format!("{}{path}", line_place(line_no))
            .trim_end_matches(": ")
            .to_string()
    };
    let mut de = serde_json::Deserializer::from_slice(line);
    let nodes = std::cell::Cell::new(RECORD_NODES);
    let v = strict::read_value(&mut de, &nodes)
        .map_err(|(path, e)| Error::json(at(&path), in_stream(&e, line_no)))?;
    de.end().map_err(|e| {
        Error::json(
            at(""),
            format!(
                "more than one JSON value on the line: {}",
                in_stream(&e, line_no)
            ),
        )
    })?;
    Ok(v)
}

/// `e`'s message with its position restated in the stream: serde_json read
/// the line alone, so it counts that line as line 1.
fn in_stream(e: &serde_json::Error, line_no: u64) -> String {
    let text = e.to_string();
    if e.line() == 0 {
        return text;
    }
    let said = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&said) {
        Some(message) => format!(
            "{message} at line {} column {}",
            line_no + e.line() as u64 - 1,
            e.column()
        ),
        None => text,
    }
}

fn build_lines<'w, R: BufRead, W: Write + 'w>(
    mut input: R,
    first: &[u8],
    opts: BuildOptions,
    out: W,
    factory: Factory<'w, W>,
) -> Result<(W, BuildSummary)> {
    let Value::Object(file) = line_value(first, 1)? else {
        return Err(Error::json(
            "line 1",
            "expected the file line, a JSON object",
        ));
    };
    let mut kind = opts.kind;
    let mut cp = opts.codepage;
    let mut header = None;
    let mut layout = None;
    for (k, v) in file {
        match k.as_str() {
            "format" | "kind_guessed" => {}
            "kind" => kind = Some(kind_of(&v, opts.kind, "line 1: kind")?),
            "codepage" => cp = Some(codepage_of(&v, opts.codepage, "line 1: codepage")?),
            "header" => header = Some(v),
            "layout" => layout = Some(v),
            other => {
                return Err(Error::json(
                    format!("line 1: {other}"),
                    "unknown field; the first line of an NDJSON stream has format, kind, kind_guessed, codepage, layout, header",
                ))
            }
        }
    }
    let kind = kind.ok_or_else(|| Error::json("line 1: kind", "missing (or give --kind)"))?;
    let setup = Setup {
        kind,
        cp: cp.unwrap_or_default(),
        style: Style::Lines,
        opts,
    };
    let mut target = factory(setup, out)?;
    if let Some(l) = layout {
        target.layout(l, "line 1: layout")?;
    }
    if let Some(h) = header {
        target.header(h, "line 1: header")?;
    }
    let mut buf = Vec::new();
    let mut line_no = 1u64;
    let mut ended = false;
    loop {
        line_no += 1;
        let place = line_place(line_no);
        match read_line(&mut input, &mut buf, RECORD_BUDGET as usize)
            .map_err(|e| Error::io("reading NDJSON", e))?
        {
            Line::End => break,
            Line::TooLong => {
                return Err(too_long(
                    &format!("{place}records[{}]", target.records()),
                    RECORD_BUDGET,
                ))
            }
            Line::Complete => {}
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v = line_value(&buf, line_no)?;
        let Value::Object(mut m) = v else {
            return Err(Error::json(
                place.trim_end_matches(": "),
                "expected a JSON object (a record, or the end line)",
            ));
        };
        if ended {
            return Err(Error::json(
                place.trim_end_matches(": "),
                "nothing may follow the end line",
            ));
        }
        if let Some(end) = m.remove("end") {
            if let Some(k) = m.keys().next() {
                return Err(Error::json(
                    format!("{place}{k}"),
                    "unknown field beside `end`",
                ));
            }
            ended = true;
            let Value::Object(end) = end else {
                return Err(Error::json(format!("{place}end"), "expected an object"));
            };
            for (k, v) in end {
                match k.as_str() {
                    "records" => target.source_count(v.as_u64().ok_or_else(|| {
                        Error::json(format!("{place}end.records"), "expected a whole number")
                    })?),
                    "bytes" => {}
                    "trailing" => {
                        let bytes = hex_of(&v, &format!("{place}end.trailing"))?;
                        target.trailing(&bytes)?;
                    }
                    "trailing_offset" => target.trailing_offset(v),
                    other => return Err(Error::json(
                        format!("{place}end.{other}"),
                        "unknown field; the end line has records, bytes, trailing, trailing_offset",
                    )),
                }
            }
            continue;
        }
        target.record(RawRecord::from_object(m), &place)?;
    }
    target.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"{"format": "glbtool-json/1", "kind": "reqtrans", "codepage": 850, "header": null, "records": ["#;

    fn record(fields: &str) -> String {
        format!(
            r#"{{"sync": 1, "date_stamp": "1994-04-07T12:13:52Z", "text": "R PCM:N/P"{fields}}}"#
        )
    }

    fn doc(records: &[String]) -> String {
        format!("{HEAD}{}]}}", records.join(","))
    }

    fn build(json: &str) -> Result<(Vec<u8>, BuildSummary)> {
        build_from(json.as_bytes(), BuildOptions::default(), Vec::new())
    }

    /// The error `build` gives, which must name `path`.
    fn refused(json: &str, path: &str) -> String {
        let err = build(json).expect_err("refused").to_string();
        assert!(
            err.contains(&format!("JSON {path}")),
            "expected the path {path}: {err}"
        );
        err
    }

    #[test]
    fn a_plain_record_builds() {
        let (bytes, s) = build(&doc(&[record("")])).unwrap();
        assert_eq!(s.records, 1);
        assert_eq!(s.kind, FileKind::Reqtrans);
        assert_eq!(bytes.len(), 25 + 9, "checksum and reserved may be left out");
    }

    #[test]
    fn duplicate_keys_are_refused_at_every_level() {
        refused(&format!("{HEAD}], \"records\": []}}"), "records");
        refused(
            r#"{"format": "glbtool-json/1", "kind": "reqtrans", "kind": "reqtrans", "records": []}"#,
            "kind",
        );
        let err = refused(&doc(&[record(r#", "sync": 2"#)]), "records[0].sync");
        assert!(err.contains("duplicate key `sync`"), "{err}");
        refused(
            &doc(&[record(r#", "info": {"length": 34, "length": 34}"#)]),
            "records[0].info.length",
        );
        let netpo = r#"{"format": "glbtool-json/1", "kind": "netpo", "header": {"delete_chain": 0, "delete_chain": 4}, "records": []}"#;
        refused(netpo, "header.delete_chain");
    }

    #[test]
    fn an_ndjson_error_names_the_line_of_the_stream_it_is_on() {
        // serde_json reads each line alone and calls it line 1: the message
        // must give the line of the stream instead (here line 4, after a
        // blank line 3), with the path and the column inside that line.
        let stream = |third: &str| {
            format!(
                "{{\"format\":\"glbtool-ndjson/1\",\"kind\":\"reqtrans\",\"header\":null}}\n{}\n\n{third}\n",
                record("")
            )
        };
        let err = |s: String| {
            build_from(s.as_bytes(), BuildOptions::default(), Vec::new())
                .unwrap_err()
                .to_string()
        };
        assert!(build_from(
            stream(&record("")).as_bytes(),
            BuildOptions::default(),
            Vec::new()
        )
        .is_ok());
        // The column is serde_json's, inside the line; the line is the
        // stream's.
        let e = err(stream(r#"{"info": {"a": 1, "a": 2}}"#));
        assert!(e.contains("JSON line 4: .info.a: duplicate key `a`"), "{e}");
        assert!(e.contains(" at line 4 column "), "{e}");
        assert!(!e.contains("line 1"), "{e}");
        let e = err(stream(r#"{"sync": 1} {}"#));
        assert!(
            e.starts_with("JSON line 4: more than one JSON value on the line: trailing characters at line 4 column "),
            "{e}"
        );
        let e = err(stream(r#"{"sync": 1,"#));
        assert!(e.starts_with("JSON line 4"), "{e}");
        assert!(
            e.contains("EOF while parsing a value at line 4 column "),
            "{e}"
        );
    }

    #[test]
    fn a_document_needs_format_and_records() {
        let err = refused("{}", "format");
        assert!(err.contains("missing"), "{err}");
        let err = refused(
            r#"{"format": "glbtool-json/1", "kind": "reqtrans"}"#,
            "records",
        );
        assert!(err.contains("\"records\": []"), "{err}");
        // An empty queue is written only when the document says so.
        let (bytes, _) = build(&doc(&[])).unwrap();
        assert!(bytes.is_empty());
        refused(r#"{"format": "glbtool-json/1", "records": []}"#, "records");
    }

    #[test]
    fn values_that_cannot_be_stored_exactly_are_refused() {
        let leap = record("").replace("12:13:52Z", "23:59:60Z");
        let err = refused(&doc(&[leap]), "records[0].date_stamp");
        assert!(err.contains("leap second"), "{err}");
        let frac = record("").replace("12:13:52Z", "12:13:52.25Z");
        let err = refused(&doc(&[frac]), "records[0].date_stamp");
        assert!(err.contains("fraction"), "{err}");
        for sync in ["4294967296", "-1", "1.0", "1e3", "18446744073709551616"] {
            let r = record("").replace("\"sync\": 1", &format!("\"sync\": {sync}"));
            refused(&doc(&[r]), "records[0].sync");
        }
        let r = record(r#", "checksum": "1FB16""#);
        refused(&doc(&[r]), "records[0].checksum");
        let r = record(r#", "reserved": "00000000000000000000000001""#);
        refused(&doc(&[r]), "records[0].reserved");
        let big = format!(
            r#"{HEAD}{}]}}"#,
            record("").replace("\"sync\": 1", "\"sync\": 1e400")
        );
        assert!(build(&big).is_err());
    }

    #[test]
    fn a_text_longer_than_a_record_holds_is_refused_with_its_limit() {
        let long = "x".repeat(crate::queue::MAX_TEXT + 1);
        let r = record("").replace("R PCM:N/P", &long);
        let err = refused(&doc(&[r]), "records[0].text");
        assert!(err.contains(&crate::queue::MAX_TEXT.to_string()), "{err}");
        let exact = "x".repeat(crate::queue::MAX_TEXT);
        let r = record("").replace("R PCM:N/P", &exact);
        assert!(build(&doc(&[r])).is_ok());
    }

    /// Bytes that a `Read` hands out without ever being held: `head`, then
    /// `n` copies of `fill`, then `tail`.
    struct Endless {
        head: Vec<u8>,
        fill: u8,
        n: u64,
        tail: Vec<u8>,
        at: u64,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let total = self.head.len() as u64 + self.n + self.tail.len() as u64;
            let mut k = 0;
            while k < buf.len() && self.at < total {
                let i = self.at;
                let h = self.head.len() as u64;
                buf[k] = if i < h {
                    self.head[i as usize]
                } else if i < h + self.n {
                    self.fill
                } else {
                    self.tail[(i - h - self.n) as usize]
                };
                k += 1;
                self.at += 1;
            }
            Ok(k)
        }
    }

    fn endless(head: &str, n: u64, tail: &str) -> Endless {
        Endless {
            head: head.as_bytes().to_vec(),
            fill: b'A',
            n,
            tail: tail.as_bytes().to_vec(),
            at: 0,
        }
    }

    #[test]
    fn a_huge_text_or_info_is_refused_before_it_is_read_whole() {
        let head = format!(r#"{HEAD}{{"sync": 1, "date_stamp": 0, "text": ""#);
        let mut src = endless(&head, 300_000_000, "\"}]}");
        let err = build_from(&mut src, BuildOptions::default(), Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("JSON records[0].text"), "{err}");
        assert!(src.at < 2 * RECORD_BUDGET, "stopped after {} bytes", src.at);

        let head = format!(
            r#"{HEAD}{}"#,
            record(r#", "info": {"x": ""#).trim_end_matches("}")
        );
        let mut src = endless(&head, 48_000_000, "\"}}]}");
        let err = build_from(&mut src, BuildOptions::default(), Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("JSON records[0].info"), "{err}");
        assert!(src.at < 2 * RECORD_BUDGET, "stopped after {} bytes", src.at);

        // One NDJSON line: the same limit.
        let head = "{\"format\":\"glbtool-ndjson/1\",\"kind\":\"reqtrans\",\"codepage\":850,\"header\":null}\n{\"text\":\"";
        let mut src = endless(head, 300_000_000, "\"}\n");
        let err = build_from(&mut src, BuildOptions::default(), Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2: records[0]"), "{err}");
        assert!(src.at < 2 * RECORD_BUDGET, "stopped after {} bytes", src.at);
    }

    #[test]
    fn keys_in_any_order_build_the_same_file() {
        let sorted = r#"{"codepage": 850, "format": "glbtool-json/1", "header": null, "kind": "reqtrans", "records": [{"date_stamp": 0, "sync": 1, "text": "R PCM:N/P"}], "trailing": ""}"#;
        let (a, _) = build(sorted).unwrap();
        let (b, _) = build(&doc(&[record("").replace("\"1994-04-07T12:13:52Z\"", "0")])).unwrap();
        assert_eq!(a, b);
    }
}
