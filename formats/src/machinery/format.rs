//! The shape every file family shares: an optional fixed-size file header, then
//! records (fixed-size, or variable-size with a 16-bit length prefix), then
//! nothing. [`Reader`] streams such a file in constant memory; [`Writer`]
//! writes one; [`Document`] holds a whole (small) file.
//!
//! A family implements [`Format`]: how to decode and encode one header and one
//! record from and to bytes. Everything else (size rules, truncation errors
//! that name the field, salvage of trailing bytes, JSON documents) lives here
//! once.

use std::io::{Read, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codepage::CodePage;
use crate::error::{Cut, Error, FieldFault, Result, SizeCut};
use crate::kind::FileKind;
use crate::layout::{field_at, Annotate, Field, Layout};

/// How records are delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordSize {
    /// The file is the header alone (REQCONF.GLB).
    None,
    /// Every record has this many bytes.
    Fixed(usize),
    /// Every record starts with a little-endian `u16` holding its total length
    /// (including the prefix), which must lie in `min..=max`.
    Prefixed {
        /// The smallest valid record.
        min: usize,
        /// The largest valid record.
        max: usize,
    },
}

/// A model value: what a header or record decodes to.
pub trait Model:
    Serialize + DeserializeOwned + Annotate + Clone + std::fmt::Debug + PartialEq + Default
{
}
impl<T> Model for T where
    T: Serialize + DeserializeOwned + Annotate + Clone + std::fmt::Debug + PartialEq + Default
{
}

/// The header of a family that has none (zero bytes, read and written by binrw
/// like any other fixed header).
#[binrw::binrw]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct NoHeader;

impl Annotate for NoHeader {
    fn spans(&self, _cp: crate::codepage::CodePage, _out: &mut Vec<crate::layout::Span>) {}
}

/// One file family's byte layout.
pub trait Format: std::fmt::Debug + 'static {
    /// The file header's model ([`NoHeader`] when `HEADER_LEN` is 0).
    type Header: Model;
    /// The record's model.
    type Record: Model;
    /// Derived facts about a record shown in JSON under `info` and ignored by `build`.
    type Info<'a>: Serialize
    where
        Self: 'a;

    /// Size of the file header in bytes (0 for none).
    const HEADER_LEN: usize;
    /// How records are delimited.
    const RECORD: RecordSize;

    /// The documented size rule, with its source, for size errors
    /// (for example "NME files are a whole number of 45-byte records (KB Q77926)").
    fn size_rule() -> &'static str;

    /// The spec page of the family, relative to the repository
    /// (`docs/formats/network.md`).
    const SPEC: &'static str;

    /// The header's declared fields (empty when there is no header).
    fn header_fields() -> &'static [Field];
    /// The record's declared fields (for variable records, the fixed leading
    /// part, then the variable text and what follows it).
    fn record_fields() -> &'static [Field];

    /// The family's layout: spec page and field tables.
    fn layout() -> Layout {
        Layout {
            spec: Self::SPEC,
            header: Self::header_fields(),
            record: Self::record_fields(),
        }
    }

    /// Decodes a header from exactly `HEADER_LEN` bytes.
    fn decode_header(bytes: &[u8]) -> Result<Self::Header, FieldFault>;
    /// Decodes a record from exactly its bytes into `out` (reusing its buffers).
    fn decode_record(bytes: &[u8], out: &mut Self::Record) -> Result<(), FieldFault>;
    /// Appends a header's bytes.
    fn encode_header(h: &Self::Header, out: &mut Vec<u8>) -> Result<(), FieldFault>;
    /// Appends a record's bytes.
    fn encode_record(r: &Self::Record, out: &mut Vec<u8>) -> Result<(), FieldFault>;

    /// Derived facts for JSON, if any, with text in code page `cp`.
    fn info(_r: &Self::Record, _cp: CodePage) -> Option<Self::Info<'_>> {
        None
    }

    /// The stored field a derived fact under `info` comes from (`"length"`
    /// of a queue record comes from `"text"`): `build` names it when a
    /// document's derived value differs from what the stored fields give.
    fn derived_from(_key: &str) -> &'static str {
        "the record's stored fields"
    }

    /// Whether the record's stored checksum is the one glbtool computes;
    /// `None` for families without a checksum.
    fn sealed(_r: &Self::Record) -> Option<bool> {
        None
    }

    /// Replaces the record's stored checksum by the one glbtool computes.
    fn reseal(_r: &mut Self::Record) {}

    /// Brings a record that was edited in JSON to glbtool's canonical form
    /// where its text has one (a RESYNC.GLB header written as Import would
    /// read it); returns what was changed.
    fn normalize(_kind: FileKind, _r: &mut Self::Record) -> Option<String> {
        None
    }

    /// For `build`: fills in a stored field the document leaves out from the
    /// structured form under `info` (a queue record's `text` from
    /// `info.resync_header` or `info.transaction`). Returns what was filled
    /// in, or the path below the record and the reason it cannot be.
    fn from_structured(
        _stored: &mut serde_json::Map<String, serde_json::Value>,
        _info: &serde_json::Value,
        _cp: CodePage,
    ) -> Result<Option<&'static str>, (String, String)> {
        Ok(None)
    }

    /// Checks a whole-file size against the documented rule.
    fn check_size(kind: FileKind, size: u64) -> Result<()> {
        let h = Self::HEADER_LEN as u64;
        let ok = match Self::RECORD {
            RecordSize::None => size == h,
            RecordSize::Fixed(n) => size >= h && (size - h).is_multiple_of(n as u64),
            RecordSize::Prefixed { .. } => size >= h,
        };
        if ok {
            Ok(())
        } else {
            Err(size_error::<Self>(kind, size, ""))
        }
    }

    /// The number of records a file of `size` bytes holds, when the size alone tells.
    fn record_count_for_size(size: u64) -> Option<u64> {
        match Self::RECORD {
            RecordSize::None => Some(0),
            RecordSize::Fixed(n) => Some(size.saturating_sub(Self::HEADER_LEN as u64) / n as u64),
            RecordSize::Prefixed { .. } => None,
        }
    }
}

/// The error for a `kind` file of `size` bytes that breaks `F`'s size rule
/// (`note` is appended to the rule): it says where the last whole item ends
/// and which item and field the file's end cuts.
pub fn size_error<F: Format + ?Sized>(kind: FileKind, size: u64, note: &str) -> Error {
    let h = F::HEADER_LEN as u64;
    let at = if size < h {
        let rel = size as usize;
        SizeCut {
            end: 0,
            size,
            cut: Some(Cut {
                record: None,
                field: field_at(F::header_fields(), rel),
                got: size,
                len: h,
            }),
        }
    } else {
        match F::RECORD {
            RecordSize::Fixed(n) => {
                let n64 = n as u64;
                let whole = (size - h) / n64;
                let end = h + whole * n64;
                let got = size - end;
                SizeCut {
                    end,
                    size,
                    cut: Some(Cut {
                        record: Some(whole),
                        field: field_at(F::record_fields(), got as usize),
                        got,
                        len: n64,
                    }),
                }
            }
            RecordSize::None | RecordSize::Prefixed { .. } => SizeCut {
                end: h,
                size,
                cut: None,
            },
        }
    };
    Error::Size {
        kind,
        size,
        rule: format!("{}{note}", F::size_rule()),
        at: Some(Box::new(at)),
    }
}

/// Options for reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Keep going past a damaged end: instead of failing, keep the bytes from
    /// the first unreadable item onwards as `trailing` bytes (a streaming
    /// [`Reader`] the first [`TRAILING_KEPT`] of them, counting the rest).
    pub salvage: bool,
    /// The code page of the file's text: what views, messages and JSON
    /// decode text with (850 unless `--codepage` says otherwise).
    pub codepage: CodePage,
}

/// The record the reader just read, with where it came from.
#[derive(Debug)]
pub struct RecordRef<'a, R> {
    /// Zero-based record index.
    pub index: u64,
    /// Absolute byte offset of the record.
    pub offset: u64,
    /// The decoded record.
    pub record: &'a R,
    /// The record's bytes exactly as read.
    pub raw: &'a [u8],
}

/// A read window over a source: bytes are read in large chunks and records are
/// decoded in place, so a record is copied once (from the kernel) on its way in.
struct Window<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
}

/// The window's largest usual size; an item is at most 65,535 bytes, so it always fits.
const WINDOW: usize = 1 << 18;
/// The window's first size: small inputs never cause a larger allocation.
const WINDOW_START: usize = 1 << 12;

impl<R: Read> Window<R> {
    fn new(src: R) -> Self {
        Window {
            src,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            eof: false,
        }
    }

    /// Makes `n` bytes available from the current position if the source has
    /// them; returns how many are available (fewer only at the end of the source).
    ///
    /// The buffer grows only when bytes actually fill it (doubling from
    /// [`WINDOW_START`] up to [`WINDOW`], or to `n` for an item larger than
    /// that), so no length field can make the reader allocate more than about
    /// twice what the input really holds.
    #[inline]
    fn ensure(&mut self, n: usize) -> std::io::Result<usize> {
        if self.end - self.pos >= n {
            return Ok(n);
        }
        self.refill(n)
    }

    /// The rare part of [`Window::ensure`]: move the unread bytes to the
    /// front and read more.
    #[cold]
    fn refill(&mut self, n: usize) -> std::io::Result<usize> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.buf.is_empty() {
            self.buf.resize(WINDOW_START, 0);
        }
        while self.end < n && !self.eof {
            if self.end == self.buf.len() {
                let grown = (self.buf.len() * 2).min(WINDOW.max(n));
                self.buf.resize(grown, 0);
            }
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => {
                    self.end += k;
                    // A source that fills the whole buffer is a big one: read
                    // larger chunks from now on.
                    if self.end == self.buf.len() && self.buf.len() < WINDOW {
                        let grown = (self.buf.len() * 2).min(WINDOW);
                        self.buf.resize(grown, 0);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n.min(self.end - self.pos))
    }

    /// The available bytes from the current position.
    fn avail(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Moves past `n` available bytes.
    fn consume(&mut self, n: usize) {
        self.pos += n;
    }

    /// Appends at most `keep` of the remaining bytes (buffered and unread) to
    /// `out`, and returns how many remain in all: `total` minus what was
    /// consumed when the source's size is known (the rest is not read), else
    /// counted by reading the rest through.
    fn rest_into(
        &mut self,
        out: &mut Vec<u8>,
        keep: usize,
        consumed: u64,
        total: Option<u64>,
    ) -> std::io::Result<u64> {
        let buffered = &self.buf[self.pos..self.end];
        let n = buffered.len().min(keep);
        out.extend_from_slice(&buffered[..n]);
        self.pos = self.end;
        let mut seen = buffered.len() as u64;
        if out.len() < keep {
            let more = (&mut self.src)
                .take((keep - out.len()) as u64)
                .read_to_end(out)?;
            seen += more as u64;
        }
        if let Some(total) = total {
            return Ok(total.saturating_sub(consumed).max(seen));
        }
        // The size is unknown (a pipe): count the rest in a fixed buffer.
        let mut scratch = [0u8; 8192];
        loop {
            match self.src.read(&mut scratch) {
                Ok(0) => return Ok(seen),
                Ok(k) => seen += k as u64,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// The most bytes after the last whole record a salvaging [`Reader`] keeps
/// (1 MiB): the rest is counted ([`Reader::trailing_len`]), not held, so a
/// damaged file of any size is salvaged in bounded memory.
/// [`Document::from_bytes`], which has the whole file already, keeps them all.
pub const TRAILING_KEPT: usize = 1 << 20;

/// Streams a file of format `F` record by record in constant memory.
pub struct Reader<F: Format, R: Read> {
    win: Window<R>,
    kind: FileKind,
    opts: ReadOptions,
    offset: u64,
    index: u64,
    header: Option<F::Header>,
    header_raw: Vec<u8>,
    record: F::Record,
    trailing: Vec<u8>,
    trailing_offset: Option<u64>,
    /// How many bytes follow `trailing_offset` (`trailing` keeps the first ones).
    trailing_len: u64,
    /// The source's size, when known.
    total: Option<u64>,
    salvage_error: Option<Error>,
    done: bool,
}

impl<F: Format, R: Read> Reader<F, R> {
    /// Opens a stream. `total` is the file size when known (checked against the
    /// documented size rule up front, unless salvaging). Reads the header.
    pub fn new(src: R, kind: FileKind, total: Option<u64>, opts: ReadOptions) -> Result<Self> {
        if let (Some(size), false) = (total, opts.salvage) {
            F::check_size(kind, size)?;
        }
        let mut reader = Reader {
            win: Window::new(src),
            kind,
            opts,
            offset: 0,
            index: 0,
            header: None,
            header_raw: Vec::new(),
            record: F::Record::default(),
            trailing: Vec::new(),
            trailing_offset: None,
            trailing_len: 0,
            total,
            salvage_error: None,
            done: false,
        };
        if F::HEADER_LEN == 0 {
            reader.header = Some(F::Header::default());
            return Ok(reader);
        }
        let got = reader
            .win
            .ensure(F::HEADER_LEN)
            .map_err(|e| Error::io(format!("reading {kind} header"), e))?;
        let err = if got < F::HEADER_LEN {
            if got == 0 {
                size_error::<F>(kind, 0, "")
            } else {
                FieldFault::new(
                    got,
                    field_at(F::header_fields(), got),
                    format!(
                        "file ends after {got} bytes, inside the {}-byte header",
                        F::HEADER_LEN
                    ),
                )
                .at(kind, 0, None)
            }
        } else {
            let bytes = &reader.win.avail()[..F::HEADER_LEN];
            match F::decode_header(bytes) {
                Ok(h) => {
                    reader.header = Some(h);
                    reader.header_raw = bytes.to_vec();
                    reader.win.consume(F::HEADER_LEN);
                    reader.offset = F::HEADER_LEN as u64;
                    return Ok(reader);
                }
                Err(fault) => fault.at(kind, 0, None),
            }
        };
        reader.fail(err)?;
        Ok(reader)
    }

    /// The code page of the file's text ([`ReadOptions::codepage`]).
    pub fn codepage(&self) -> CodePage {
        self.opts.codepage
    }

    /// The file kind being read.
    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// The decoded header (`None` only when salvaging a file whose header is damaged).
    pub fn header(&self) -> Option<&F::Header> {
        self.header.as_ref()
    }

    /// The header's bytes exactly as read.
    pub fn header_raw(&self) -> &[u8] {
        &self.header_raw
    }

    /// Bytes kept after the last whole record when salvaging (empty
    /// otherwise): the first [`TRAILING_KEPT`] of them at most; see
    /// [`Reader::trailing_len`] for how many there are.
    pub fn trailing(&self) -> &[u8] {
        &self.trailing
    }

    /// How many bytes follow the last whole record when salvaging: all of
    /// them, of which [`Reader::trailing`] holds the first.
    pub fn trailing_len(&self) -> u64 {
        self.trailing_len
    }

    /// Offset of the trailing bytes, if any were kept.
    pub fn trailing_offset(&self) -> Option<u64> {
        self.trailing_offset
    }

    /// When salvaging: the error that made the reader keep the rest as trailing bytes.
    pub fn salvage_error(&self) -> Option<&Error> {
        self.salvage_error.as_ref()
    }

    /// Records read so far.
    pub fn records_read(&self) -> u64 {
        self.index
    }

    /// Bytes consumed so far (header, records and trailing bytes).
    pub fn bytes_read(&self) -> u64 {
        self.offset + self.trailing_len
    }

    /// Ends reading: fails, or (salvaging) keeps every byte from the current
    /// item onwards as trailing bytes.
    fn fail(&mut self, err: Error) -> Result<()> {
        self.done = true;
        if !self.opts.salvage {
            return Err(err);
        }
        let kind = self.kind;
        self.trailing_offset = Some(self.offset);
        self.trailing_len = self
            .win
            .rest_into(&mut self.trailing, TRAILING_KEPT, self.offset, self.total)
            .map_err(|e| Error::io(format!("reading {kind}"), e))?;
        self.salvage_error = Some(err);
        Ok(())
    }

    fn io(&self, e: std::io::Error) -> Error {
        let at = self.offset;
        Error::io(
            format!(
                "reading {} at byte offset {at} (0x{at:x}), record {}",
                self.kind, self.index
            ),
            e,
        )
    }

    /// Reads the next record; `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<RecordRef<'_, F::Record>>> {
        if self.done {
            return Ok(None);
        }
        let kind = self.kind;
        let index = self.index;
        let offset = self.offset;
        let size = match F::RECORD {
            RecordSize::None => {
                let got = self.win.ensure(1).map_err(|e| self.io(e))?;
                self.done = true;
                if got == 0 {
                    return Ok(None);
                }
                let err = size_error::<F>(kind, offset + 1, " (extra bytes follow the header)");
                self.fail(err)?;
                return Ok(None);
            }
            RecordSize::Fixed(n) => n,
            RecordSize::Prefixed { min, max } => {
                let got = self.win.ensure(2).map_err(|e| self.io(e))?;
                if got == 0 {
                    self.done = true;
                    return Ok(None);
                }
                if got < 2 {
                    let err = FieldFault::new(
                        0,
                        field_at(F::record_fields(), 0),
                        "file ends inside the 2-byte record length",
                    )
                    .at(kind, offset, Some(index));
                    self.fail(err)?;
                    return Ok(None);
                }
                let a = self.win.avail();
                let n = u16::from_le_bytes([a[0], a[1]]) as usize;
                if n < min || n > max {
                    let err = FieldFault::new(
                        0,
                        field_at(F::record_fields(), 0),
                        format!("record length {n} is outside the valid range {min}..={max}"),
                    )
                    .at(kind, offset, Some(index));
                    self.fail(err)?;
                    return Ok(None);
                }
                n
            }
        };
        let got = self.win.ensure(size).map_err(|e| self.io(e))?;
        if got == 0 {
            self.done = true;
            return Ok(None);
        }
        if got < size {
            let message = match F::RECORD {
                RecordSize::Prefixed { .. } => {
                    format!("file ends {got} bytes into a record whose length field says {size}")
                }
                _ => format!(
                    "file ends {got} bytes into a {size}-byte record (the last whole item ends at byte offset {offset}, 0x{offset:x}); {}",
                    F::size_rule()
                ),
            };
            let err = FieldFault::new(
                got,
                field_at(F::record_fields(), got.min(size - 1)),
                message,
            )
            .at(kind, offset, Some(index));
            self.fail(err)?;
            return Ok(None);
        }
        let start = self.win.pos;
        if let Err(fault) = F::decode_record(&self.win.buf[start..start + size], &mut self.record) {
            let err = fault.at(kind, offset, Some(index));
            self.fail(err)?;
            return Ok(None);
        }
        self.win.consume(size);
        self.index += 1;
        self.offset += size as u64;
        Ok(Some(RecordRef {
            index,
            offset,
            record: &self.record,
            raw: &self.win.buf[start..start + size],
        }))
    }
}

/// Writes a file of format `F`.
pub struct Writer<F: Format, W: Write> {
    out: W,
    kind: FileKind,
    buf: Vec<u8>,
    index: u64,
    wrote_header: bool,
    header_in_trailing: bool,
    _f: std::marker::PhantomData<F>,
}

impl<F: Format, W: Write> Writer<F, W> {
    /// Starts a file.
    pub fn new(out: W, kind: FileKind) -> Self {
        Writer {
            out,
            kind,
            buf: Vec::with_capacity(256),
            index: 0,
            wrote_header: F::HEADER_LEN == 0,
            header_in_trailing: false,
            _f: std::marker::PhantomData,
        }
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::io(format!("writing {}", self.kind), e)
    }

    /// Writes the header (must come first, and only for families that have one).
    pub fn header(&mut self, h: &F::Header) -> Result<()> {
        if F::HEADER_LEN == 0 {
            return Ok(());
        }
        self.buf.clear();
        F::encode_header(h, &mut self.buf).map_err(|f| Error::Encode {
            kind: self.kind,
            record: None,
            field: f.field,
            message: f.message,
        })?;
        debug_assert_eq!(self.buf.len(), F::HEADER_LEN);
        self.out.write_all(&self.buf).map_err(|e| self.io(e))?;
        self.wrote_header = true;
        Ok(())
    }

    /// For a salvaged file whose header could not be read: writes no header,
    /// because its bytes come with the trailing bytes; no record may follow.
    pub fn header_in_trailing(&mut self) {
        self.wrote_header = true;
        self.header_in_trailing = F::HEADER_LEN > 0;
    }

    /// Writes one record.
    pub fn record(&mut self, r: &F::Record) -> Result<()> {
        if self.header_in_trailing {
            return Err(Error::Encode {
                kind: self.kind,
                record: Some(self.index),
                field: "header",
                message: "a file whose header is kept among the trailing bytes has no records"
                    .into(),
            });
        }
        if !self.wrote_header {
            return Err(Error::Encode {
                kind: self.kind,
                record: None,
                field: "header",
                message: "the file header must be written before any record".into(),
            });
        }
        if F::RECORD == RecordSize::None {
            return Err(Error::Encode {
                kind: self.kind,
                record: Some(self.index),
                field: "records",
                message: format!("{} holds no records: {}", self.kind, F::size_rule()),
            });
        }
        self.buf.clear();
        let index = self.index;
        F::encode_record(r, &mut self.buf).map_err(|f| Error::Encode {
            kind: self.kind,
            record: Some(index),
            field: f.field,
            message: f.message,
        })?;
        self.out.write_all(&self.buf).map_err(|e| self.io(e))?;
        self.index += 1;
        Ok(())
    }

    /// Writes one record already encoded by [`Format::encode_record`].
    pub fn record_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        if self.header_in_trailing || !self.wrote_header || F::RECORD == RecordSize::None {
            // The same refusals as `record`, with their messages.
            return self.record(&F::Record::default());
        }
        self.out.write_all(bytes).map_err(|e| self.io(e))?;
        self.index += 1;
        Ok(())
    }

    /// Writes bytes kept verbatim after the last record.
    pub fn trailing(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(|e| self.io(e))
    }

    /// Flushes and returns the sink.
    pub fn finish(mut self) -> Result<W> {
        if !self.wrote_header {
            return Err(Error::Encode {
                kind: self.kind,
                record: None,
                field: "header",
                message: "the file needs a header".into(),
            });
        }
        self.out.flush().map_err(|e| self.io(e))?;
        Ok(self.out)
    }
}

/// A whole file in memory: for small files, tests and building.
#[derive(Debug, Clone, PartialEq)]
pub struct Document<F: Format> {
    /// The file kind.
    pub kind: FileKind,
    /// The header (`None` only for a salvaged file whose header is damaged).
    pub header: Option<F::Header>,
    /// The records in file order.
    pub records: Vec<F::Record>,
    /// Bytes kept verbatim after the last whole record (salvage only).
    pub trailing: Vec<u8>,
}

impl<F: Format> Document<F> {
    /// An empty file of this kind with a default header.
    pub fn new(kind: FileKind) -> Self {
        Document {
            kind,
            header: Some(F::Header::default()),
            records: Vec::new(),
            trailing: Vec::new(),
        }
    }

    /// Parses a whole file.
    pub fn from_bytes(bytes: &[u8], kind: FileKind, opts: ReadOptions) -> Result<Self> {
        let mut reader = Reader::<F, _>::new(bytes, kind, Some(bytes.len() as u64), opts)?;
        let mut records = Vec::new();
        while let Some(r) = reader.next_record()? {
            records.push(r.record.clone());
        }
        // The whole input is at hand: the trailing bytes are all kept.
        let trailing = match reader.trailing_offset() {
            Some(off) => {
                bytes[usize::try_from(off).unwrap_or(bytes.len()).min(bytes.len())..].to_vec()
            }
            None => Vec::new(),
        };
        Ok(Document {
            kind,
            header: reader.header().cloned(),
            records,
            trailing,
        })
    }

    /// Writes the whole file to bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut w = Writer::<F, _>::new(Vec::new(), self.kind);
        if let Some(h) = &self.header {
            w.header(h)?;
        }
        if self.header.is_none() && F::HEADER_LEN > 0 {
            // A damaged header was kept among the trailing bytes.
            let mut out = Vec::new();
            out.extend_from_slice(&self.trailing);
            return Ok(out);
        }
        for r in &self.records {
            w.record(r)?;
        }
        w.trailing(&self.trailing)?;
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invariants::Pieces;
    use crate::nme::Nme;
    use crate::queue::Queue;

    #[test]
    fn salvage_keeps_a_bounded_prefix_and_counts_the_rest() {
        // 3 MiB that no queue record starts: everything is trailing.
        let data = vec![0u8; 3 << 20];
        for size in [Some(data.len() as u64), None] {
            let src = Pieces {
                data: &data,
                max: 4096,
            };
            let salvage = ReadOptions {
                salvage: true,
                ..ReadOptions::default()
            };
            let mut r = Reader::<Queue, _>::new(src, FileKind::Reqtrans, size, salvage).unwrap();
            assert!(r.next_record().unwrap().is_none());
            assert_eq!(r.trailing_offset(), Some(0));
            assert_eq!(r.trailing().len(), TRAILING_KEPT, "{size:?}");
            assert_eq!(r.trailing_len(), data.len() as u64, "{size:?}");
            assert_eq!(r.bytes_read(), data.len() as u64);
        }
        // A whole document keeps every byte: it has them already.
        let doc = Document::<Queue>::from_bytes(
            &data,
            FileKind::Reqtrans,
            ReadOptions {
                salvage: true,
                ..ReadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(doc.trailing.len(), data.len());
        assert_eq!(doc.to_bytes().unwrap(), data);
    }
    use crate::reqconf::ReqConfFile;
    use crate::srvconf::SrvConfFile;

    fn cut_of(e: &Error) -> (u64, Option<u64>, Option<&'static str>) {
        let at = e.size_cut().expect("a located size error");
        (at.end, at.record(), at.cut.as_ref().map(|c| c.field))
    }

    #[test]
    fn size_errors_say_where_the_last_whole_item_ends_and_what_the_end_cuts() {
        // 788 bytes of 45-byte NME records: 17 whole records end at 765; the
        // end cuts record 17 after 23 bytes, inside its 30-byte name (bytes 2..32).
        let e = Nme::check_size(FileKind::Nme, 788).unwrap_err();
        assert_eq!(cut_of(&e), (765, Some(17), Some("name")));
        let text = e.to_string();
        assert!(
            text.contains("record 16) ends at byte offset 765 (0x2fd)")
                && text.contains("cuts record 17 after 23 of its 45 bytes, in field `name`"),
            "{text}"
        );
        // No whole record at all.
        let e = Nme::check_size(FileKind::Nme, 1).unwrap_err();
        assert_eq!(cut_of(&e), (0, Some(0), Some("entry_type")));
        assert!(e.to_string().contains("no record is whole"), "{e}");
        // SRVCONF: inside the 1024-byte header, then inside record 1.
        let e = SrvConfFile::check_size(FileKind::Srvconf, 10).unwrap_err();
        assert_eq!(cut_of(&e), (0, None, Some("admin_mailbox")));
        let e = SrvConfFile::check_size(FileKind::Srvconf, 2048 + 50).unwrap_err();
        assert_eq!(cut_of(&e), (2048, Some(1), Some("impsync")));
        assert!(
            e.to_string()
                .contains("(record 0) ends at byte offset 2048"),
            "{e}"
        );
        // REQCONF is its header alone: extra bytes are counted.
        let e = ReqConfFile::check_size(FileKind::Reqconf, 600).unwrap_err();
        assert_eq!(cut_of(&e), (512, None, None));
        assert!(e.to_string().contains("and 88 more bytes follow it"), "{e}");
        // The same error when a stream turns out empty.
        let e =
            Reader::<SrvConfFile, _>::new(&[][..], FileKind::Srvconf, None, ReadOptions::default())
                .err()
                .unwrap();
        assert_eq!(cut_of(&e), (0, None, Some("highest_srvsync")));
    }
}
