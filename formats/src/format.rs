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

use crate::error::{Error, FieldFault, Result};
use crate::kind::FileKind;
use crate::layout::{field_at, Annotate};

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

/// The header of a family that has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct NoHeader;

impl Annotate for NoHeader {
    fn spans(&self, _out: &mut Vec<crate::layout::Span>) {}
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

    /// `(start, len, name)` of the header fields, for truncation errors.
    fn header_fields() -> &'static [(usize, usize, &'static str)];
    /// `(start, len, name)` of the record's fields (for variable records, the
    /// fixed leading part and then a last entry covering the rest).
    fn record_fields() -> &'static [(usize, usize, &'static str)];

    /// Decodes a header from exactly `HEADER_LEN` bytes.
    fn decode_header(bytes: &[u8]) -> Result<Self::Header, FieldFault>;
    /// Decodes a record from exactly its bytes into `out` (reusing its buffers).
    fn decode_record(bytes: &[u8], out: &mut Self::Record) -> Result<(), FieldFault>;
    /// Appends a header's bytes.
    fn encode_header(h: &Self::Header, out: &mut Vec<u8>) -> Result<(), FieldFault>;
    /// Appends a record's bytes.
    fn encode_record(r: &Self::Record, out: &mut Vec<u8>) -> Result<(), FieldFault>;

    /// Derived facts for JSON, if any.
    fn info(_r: &Self::Record) -> Option<Self::Info<'_>> {
        None
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
            Err(Error::Size {
                kind,
                size,
                rule: Self::size_rule().to_string(),
            })
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

/// Options for reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Keep going past a damaged end: instead of failing, keep every byte from
    /// the first unreadable item onwards as `trailing` bytes.
    pub salvage: bool,
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

/// Streams a file of format `F` record by record in constant memory.
pub struct Reader<F: Format, R: Read> {
    src: R,
    kind: FileKind,
    opts: ReadOptions,
    offset: u64,
    index: u64,
    buf: Vec<u8>,
    header: Option<F::Header>,
    header_raw: Vec<u8>,
    record: F::Record,
    trailing: Vec<u8>,
    trailing_offset: Option<u64>,
    salvage_error: Option<Error>,
    done: bool,
}

/// Reads until `buf` is full or the source ends; returns how many bytes were read.
fn read_full<R: Read>(src: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match src.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

impl<F: Format, R: Read> Reader<F, R> {
    /// Opens a stream. `total` is the file size when known (checked against the
    /// documented size rule up front, unless salvaging). Reads the header.
    pub fn new(mut src: R, kind: FileKind, total: Option<u64>, opts: ReadOptions) -> Result<Self> {
        if let (Some(size), false) = (total, opts.salvage) {
            F::check_size(kind, size)?;
        }
        let mut header_raw = vec![0u8; F::HEADER_LEN];
        let mut header = None;
        let mut me_trailing = Vec::new();
        let mut trailing_offset = None;
        let mut salvage_error = None;
        let mut done = false;
        if F::HEADER_LEN > 0 {
            let got = read_full(&mut src, &mut header_raw)
                .map_err(|e| Error::io(format!("reading {kind} header"), e))?;
            if got < F::HEADER_LEN {
                let err = if got == 0 {
                    Error::Size {
                        kind,
                        size: 0,
                        rule: F::size_rule().to_string(),
                    }
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
                };
                if !opts.salvage {
                    return Err(err);
                }
                header_raw.truncate(got);
                me_trailing = std::mem::take(&mut header_raw);
                trailing_offset = Some(0);
                salvage_error = Some(err);
                done = true;
            } else {
                match F::decode_header(&header_raw) {
                    Ok(h) => header = Some(h),
                    Err(fault) => {
                        let err = fault.at(kind, 0, None);
                        if !opts.salvage {
                            return Err(err);
                        }
                        me_trailing = std::mem::take(&mut header_raw);
                        trailing_offset = Some(0);
                        salvage_error = Some(err);
                        done = true;
                    }
                }
            }
        } else {
            header = Some(F::Header::default());
        }
        let offset = if header.is_some() {
            F::HEADER_LEN as u64
        } else {
            0
        };
        let mut reader = Reader {
            src,
            kind,
            opts,
            offset,
            index: 0,
            buf: Vec::new(),
            header,
            header_raw,
            record: F::Record::default(),
            trailing: me_trailing,
            trailing_offset,
            salvage_error,
            done,
        };
        if done {
            reader.slurp_rest()?;
        }
        Ok(reader)
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

    /// Bytes kept after the last whole record when salvaging (empty otherwise).
    pub fn trailing(&self) -> &[u8] {
        &self.trailing
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
        self.offset + self.trailing.len() as u64
    }

    fn slurp_rest(&mut self) -> Result<()> {
        let kind = self.kind;
        self.src
            .read_to_end(&mut self.trailing)
            .map_err(|e| Error::io(format!("reading {kind}"), e))?;
        Ok(())
    }

    fn fail(&mut self, err: Error, consumed: &[u8]) -> Result<()> {
        self.done = true;
        if !self.opts.salvage {
            return Err(err);
        }
        self.trailing_offset = Some(self.offset);
        self.trailing.extend_from_slice(consumed);
        self.salvage_error = Some(err);
        self.slurp_rest()
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
                let mut probe = [0u8; 1];
                let got = read_full(&mut self.src, &mut probe)
                    .map_err(|e| Error::io(format!("reading {kind}"), e))?;
                self.done = true;
                if got == 0 {
                    return Ok(None);
                }
                let err = Error::Size {
                    kind,
                    size: offset + 1,
                    rule: format!("{} (extra bytes follow the header)", F::size_rule()),
                };
                self.fail(err, &probe)?;
                return Ok(None);
            }
            RecordSize::Fixed(n) => n,
            RecordSize::Prefixed { min, max } => {
                let mut len = [0u8; 2];
                let got = read_full(&mut self.src, &mut len)
                    .map_err(|e| Error::io(format!("reading {kind}"), e))?;
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
                    self.fail(err, &len[..got])?;
                    return Ok(None);
                }
                let n = u16::from_le_bytes(len) as usize;
                if n < min || n > max {
                    let err = FieldFault::new(
                        0,
                        field_at(F::record_fields(), 0),
                        format!("record length {n} is outside the valid range {min}..={max}"),
                    )
                    .at(kind, offset, Some(index));
                    self.fail(err, &len)?;
                    return Ok(None);
                }
                self.buf.clear();
                self.buf.extend_from_slice(&len);
                // The buffer grows with the bytes actually there, never to the
                // claimed length up front: a length field cannot make the
                // reader allocate more than the input holds (docs/architecture.md,
                // "Bounded resources").
                let got = (&mut self.src)
                    .take((n - 2) as u64)
                    .read_to_end(&mut self.buf)
                    .map_err(|e| Error::io(format!("reading {kind}"), e))?;
                if got < n - 2 {
                    let at = 2 + got;
                    let err = FieldFault::new(
                        at,
                        field_at(F::record_fields(), at.min(n - 1)),
                        format!("file ends {at} bytes into a record whose length field says {n}"),
                    )
                    .at(kind, offset, Some(index));
                    let consumed = std::mem::take(&mut self.buf);
                    self.fail(err, &consumed[..at])?;
                    self.buf = consumed;
                    return Ok(None);
                }
                0
            }
        };
        if size > 0 {
            self.buf.clear();
            self.buf.resize(size, 0);
            let got = read_full(&mut self.src, &mut self.buf)
                .map_err(|e| Error::io(format!("reading {kind}"), e))?;
            if got == 0 {
                self.done = true;
                return Ok(None);
            }
            if got < size {
                let err = FieldFault::new(
                    got,
                    field_at(F::record_fields(), got),
                    format!(
                        "file ends {got} bytes into a {size}-byte record; {}",
                        F::size_rule()
                    ),
                )
                .at(kind, offset, Some(index));
                let consumed = std::mem::take(&mut self.buf);
                self.fail(err, &consumed[..got])?;
                self.buf = consumed;
                return Ok(None);
            }
        }
        if let Err(fault) = F::decode_record(&self.buf, &mut self.record) {
            let err = fault.at(kind, offset, Some(index));
            let consumed = std::mem::take(&mut self.buf);
            self.fail(err, &consumed)?;
            self.buf = consumed;
            return Ok(None);
        }
        self.index += 1;
        self.offset += self.buf.len() as u64;
        Ok(Some(RecordRef {
            index,
            offset,
            record: &self.record,
            raw: &self.buf,
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
        Ok(Document {
            kind,
            header: reader.header().cloned(),
            records,
            trailing: reader.trailing().to_vec(),
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
