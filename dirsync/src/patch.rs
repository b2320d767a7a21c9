//! Patches: rewrite a file with a few fields changed and every other byte kept,
//! and say exactly which bytes changed.
//!
//! [`rewrite`] streams a file of any [`Format`] through an [`Edit`]. An item
//! (file header or record) the edit leaves equal is copied verbatim from the
//! input; an item it changes is sealed again ([`Seal`]: its checksum
//! recomputed), encoded, and compared with its old bytes. Each run of
//! differing bytes becomes a [`ByteRange`] named by the model's field map
//! ([`Annotate`]), and each field whose bytes differ a [`Change`] with its old
//! and new value. A patch never changes an item's size, so every offset in
//! the file stays where it was.
//!
//! The edits of queue files: [`SetResyncHeader`] (the numbers of the
//! RESYNC.GLB header transaction, KB Q119449) and [`Renumber`] (the pending
//! transactions of REQTRANS.GLB, the "No requestor updates to send" repair,
//! KB Q119452). Layouts: `docs/formats/queue.md`; the write sequence around a
//! patch: `docs/safety.md`.

use std::io::{Read, Write};

use glb_formats::codepage::CodePage;
use glb_formats::error::{Error, FieldFault, Result};
use glb_formats::format::{Format, NoHeader, ReadOptions, Reader};
use glb_formats::import::{self, Command};
use glb_formats::kind::FileKind;
use glb_formats::layout::{Annotate, Span, Value};
use glb_formats::queue::{Checksum, Queue, QueueRecord, TEXT_OFFSET};
use glb_formats::reqconf::{ReqConf, ReqConfFile};
use glb_formats::srvconf::{RequestorRecord, SrvConfFile, SrvConfHeader};
use serde::Serialize;

/// One field whose bytes a patch changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Zero-based record index; `None` for the file header.
    pub record: Option<u64>,
    /// The field, as named in `docs/formats/` and JSON.
    pub field: &'static str,
    /// Absolute byte offset of the field.
    pub offset: u64,
    /// The field's length in bytes.
    pub len: usize,
    /// The old value, as text.
    pub old: String,
    /// The new value, as text.
    pub new: String,
}

/// A run of bytes a patch changes, with the fields it lies in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ByteRange {
    /// Absolute offset of the first changed byte.
    pub start: u64,
    /// Absolute offset just past the last changed byte.
    pub end: u64,
    /// Zero-based record index; `None` for the file header.
    pub record: Option<u64>,
    /// The fields the run touches, in offset order.
    pub fields: Vec<&'static str>,
}

/// What a rewrite did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Records read.
    pub records: u64,
    /// Records whose bytes changed.
    pub records_changed: u64,
    /// True when the file header's bytes changed.
    pub header_changed: bool,
    /// Bytes that differ between the old and the new file.
    pub bytes_changed: u64,
    /// The file's size (the same before and after).
    pub size: u64,
    /// The changed runs of bytes, in file order: the first [`RANGES_KEPT`].
    pub ranges: Vec<ByteRange>,
    /// How many runs of bytes changed in all (`ranges` lists the first).
    pub ranges_total: u64,
}

/// The most changed byte ranges a [`Summary`] lists (1,000): a patch of a
/// file of any size keeps a bounded summary; the rest are counted
/// ([`Summary::ranges_total`]) and covered by `bytes_changed`.
pub const RANGES_KEPT: usize = 1000;

impl Summary {
    /// True when the patch changes nothing.
    pub fn is_unchanged(&self) -> bool {
        self.bytes_changed == 0
    }
}

/// A model whose integrity fields (checksums) can be recomputed after an edit.
pub trait Seal {
    /// Recomputes the item's checksum, if it has one.
    fn seal(&mut self);
}

impl Seal for NoHeader {
    fn seal(&mut self) {}
}

// REQCONF.GLB and SRVCONF.GLB carry no checksum (documented contents, KB
// Q96060; glbtool's reconstructed layouts have none): nothing to recompute.
impl Seal for ReqConf {
    fn seal(&mut self) {}
}

impl Seal for SrvConfHeader {
    fn seal(&mut self) {}
}

impl Seal for RequestorRecord {
    fn seal(&mut self) {}
}

impl Seal for QueueRecord {
    fn seal(&mut self) {
        self.checksum = Checksum::Stored(self.computed_checksum());
    }
}

/// What a patch changes, item by item. The rewrite calls `header` once (for
/// families with a header), `record` for every record in file order, then
/// `finish`. An edit that wants to refuse returns [`Error::Patch`].
pub trait Edit<F: Format> {
    /// Edits the file header.
    fn header(&mut self, _kind: FileKind, _header: &mut F::Header) -> Result<()> {
        Ok(())
    }
    /// Edits one record (`offset` is its absolute byte offset).
    fn record(
        &mut self,
        kind: FileKind,
        index: u64,
        offset: u64,
        record: &mut F::Record,
    ) -> Result<()>;
    /// Called after the last record.
    fn finish(&mut self, _kind: FileKind, _records: u64) -> Result<()> {
        Ok(())
    }
}

fn encode_error(kind: FileKind, record: Option<u64>, f: FieldFault) -> Error {
    Error::Encode {
        kind,
        record,
        field: f.field,
        message: f.message,
    }
}

/// Streams the file in `src` to `out` with `edit` applied, calling
/// `on_change` for every field that changes (text values decoded in code
/// page `cp`). `size` is the file size when known (checked against the
/// documented size rule). Memory stays constant except for the list of
/// changed ranges in the summary.
#[allow(clippy::too_many_arguments)]
pub fn rewrite<F, R, W, E>(
    src: R,
    kind: FileKind,
    size: Option<u64>,
    cp: CodePage,
    mut out: W,
    edit: &mut E,
    on_change: &mut dyn FnMut(Change),
) -> Result<(W, Summary)>
where
    F: Format,
    F::Header: Seal,
    F::Record: Seal,
    R: Read,
    W: Write,
    E: Edit<F> + ?Sized,
{
    let mut reader = Reader::<F, R>::new(src, kind, size, ReadOptions::default())?;
    let io = |e| Error::io(format!("writing {kind}"), e);
    let mut summary = Summary::default();
    let mut differ = Differ {
        cp,
        ..Differ::default()
    };
    let mut buf = Vec::new();
    if F::HEADER_LEN > 0 {
        let old = reader.header().cloned().ok_or_else(|| Error::Patch {
            at: None,
            message: format!("{kind}: the file header cannot be read"),
        })?;
        let mut new = old.clone();
        edit.header(kind, &mut new)?;
        if new == old {
            out.write_all(reader.header_raw()).map_err(io)?;
        } else {
            new.seal();
            buf.clear();
            F::encode_header(&new, &mut buf).map_err(|f| encode_error(kind, None, f))?;
            let item = Item {
                kind,
                base: 0,
                record: None,
                old_raw: reader.header_raw(),
                new_raw: &buf,
            };
            summary.header_changed = differ.compare(&item, &old, &new, &mut summary, on_change)?;
            out.write_all(&buf).map_err(io)?;
        }
    }
    let mut work = F::Record::default();
    while let Some(r) = reader.next_record()? {
        summary.records += 1;
        work.clone_from(r.record);
        edit.record(kind, r.index, r.offset, &mut work)?;
        if work == *r.record {
            out.write_all(r.raw).map_err(io)?;
            continue;
        }
        work.seal();
        buf.clear();
        F::encode_record(&work, &mut buf).map_err(|f| encode_error(kind, Some(r.index), f))?;
        let item = Item {
            kind,
            base: r.offset,
            record: Some(r.index),
            old_raw: r.raw,
            new_raw: &buf,
        };
        if differ.compare(&item, r.record, &work, &mut summary, on_change)? {
            summary.records_changed += 1;
        }
        out.write_all(&buf).map_err(io)?;
    }
    edit.finish(kind, summary.records)?;
    out.flush().map_err(io)?;
    summary.size = reader.bytes_read();
    Ok((out, summary))
}

/// One item's old and new bytes and where it lies.
struct Item<'a> {
    kind: FileKind,
    base: u64,
    record: Option<u64>,
    old_raw: &'a [u8],
    new_raw: &'a [u8],
}

/// Compares an item's old and new bytes (buffers reused between items).
#[derive(Default)]
struct Differ {
    old_spans: Vec<Span>,
    new_spans: Vec<Span>,
    cp: CodePage,
}

impl Differ {
    /// Records the item's changed ranges and fields; true when any byte differs.
    fn compare<T: Annotate>(
        &mut self,
        item: &Item<'_>,
        old: &T,
        new: &T,
        summary: &mut Summary,
        on_change: &mut dyn FnMut(Change),
    ) -> Result<bool> {
        let (a, b) = (item.old_raw, item.new_raw);
        if a.len() != b.len() {
            return Err(Error::patch(
                item.kind,
                item.base,
                item.record,
                "length",
                format!(
                    "the patch would change this item's size from {} to {} bytes; a patch keeps every size",
                    a.len(),
                    b.len()
                ),
            ));
        }
        if a == b {
            return Ok(false);
        }
        self.old_spans.clear();
        old.spans(self.cp, &mut self.old_spans);
        self.new_spans.clear();
        new.spans(self.cp, &mut self.new_spans);
        let n = a.len();
        for std::ops::Range { start, end: i } in glb_formats::layout::differing_runs(a, b) {
            let mut fields: Vec<&'static str> = self
                .new_spans
                .iter()
                .filter(|s| s.start < i && s.start + s.len > start)
                .map(|s| s.name)
                .collect();
            if fields.is_empty() {
                fields.push("bytes");
            }
            summary.bytes_changed += (i - start) as u64;
            summary.ranges_total += 1;
            if summary.ranges.len() < RANGES_KEPT {
                summary.ranges.push(ByteRange {
                    start: item.base + start as u64,
                    end: item.base + i as u64,
                    record: item.record,
                    fields,
                });
            }
        }
        for s in &self.new_spans {
            let (lo, hi) = (s.start.min(n), (s.start + s.len).min(n));
            if a[lo..hi] == b[lo..hi] {
                continue;
            }
            let old_text = self
                .old_spans
                .iter()
                .find(|o| o.start == s.start && o.len == s.len && o.name == s.name)
                .map_or_else(
                    || hex::encode(&a[lo..hi]),
                    |o| value_text(&o.value, &a[lo..hi]),
                );
            on_change(Change {
                record: item.record,
                field: s.name,
                offset: item.base + lo as u64,
                len: hi - lo,
                old: old_text,
                new: value_text(&s.value, &b[lo..hi]),
            });
        }
        Ok(true)
    }
}

/// A field value as text for a change report.
fn value_text(v: &Value, raw: &[u8]) -> String {
    match v {
        Value::Unsigned(n) => n.to_string(),
        Value::Signed(n) => n.to_string(),
        Value::Time(t) => t.rfc3339(),
        Value::Text(s) => format!("{s:?}"),
        Value::Checksum { stored, .. } => format!("{stored:04X}"),
        Value::Code { raw, meaning } => match meaning {
            Some(m) => format!("{raw} ({m})"),
            None => raw.to_string(),
        },
        Value::Bytes => hex::encode(raw),
    }
}

/// Sets numbers in the RESYNC.GLB header transaction, its first record
/// (KB Q119449). Numbers left `None` keep their value. The header text has
/// fixed-width 10-digit numbers, so the record keeps its size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetResyncHeader {
    /// New IMPSEQ (import count).
    pub impseq: Option<u32>,
    /// New REQSEQ (the largest ReqSync over all requestors).
    pub reqseq: Option<u32>,
    /// New SRVSEQ (the server postoffice's SrvSync).
    pub srvseq: Option<u32>,
}

impl Edit<Queue> for SetResyncHeader {
    fn record(
        &mut self,
        kind: FileKind,
        index: u64,
        offset: u64,
        record: &mut QueueRecord,
    ) -> Result<()> {
        if index != 0 {
            return Ok(());
        }
        let Some(mut h) = record.resync_header_numbers() else {
            return Err(Error::patch(
                kind,
                offset + TEXT_OFFSET as u64,
                Some(0),
                "text",
                "the first record is not a RESYNC header transaction (IMPSEQ, REQSEQ, SRVSEQ), so there are no header numbers to patch; make a new RESYNC.GLB on the server (glbtool resync, or IMPORT -S, KB Q119449)",
            ));
        };
        if let Some(v) = self.impseq {
            h.impseq = v;
        }
        if let Some(v) = self.reqseq {
            h.reqseq = v;
        }
        if let Some(v) = self.srvseq {
            h.srvseq = v;
        }
        record.text = h.text().into_bytes();
        Ok(())
    }

    fn finish(&mut self, kind: FileKind, records: u64) -> Result<()> {
        if records == 0 {
            return Err(Error::Patch {
                at: None,
                message: format!(
                    "{kind} is empty: it has no header transaction to patch; make a new one on the server (glbtool resync, or IMPORT -S, KB Q119449)"
                ),
            });
        }
        Ok(())
    }
}

/// Sets the numbers of REQCONF.GLB. With `reset`, first does what
/// `LISTDS -r -z` does ([`ReqConf::reset`]: the numbers 0 and the four queue
/// pointers -1, which LISTDS 3.5 failed to do, KB Q140462); numbers given are
/// set after that.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetReqConf {
    /// Reset as `LISTDS -r -z` first.
    pub reset: bool,
    /// New ReqSync.
    pub reqsync: Option<u32>,
    /// New SrvSync.
    pub srvsync: Option<u32>,
    /// New import count.
    pub impsync: Option<u32>,
}

impl Edit<ReqConfFile> for SetReqConf {
    fn header(&mut self, _kind: FileKind, h: &mut ReqConf) -> Result<()> {
        if self.reset {
            h.reset();
        }
        set(&mut h.reqsync, self.reqsync);
        set(&mut h.srvsync, self.srvsync);
        set(&mut h.impsync, self.impsync);
        Ok(())
    }

    fn record(
        &mut self,
        _: FileKind,
        _: u64,
        _: u64,
        _: &mut glb_formats::format::NoHeader,
    ) -> Result<()> {
        Ok(())
    }
}

fn set(field: &mut u32, value: Option<u32>) {
    if let Some(v) = value {
        *field = v;
    }
}

/// Sets numbers in SRVCONF.GLB: the header's highest SrvSync, and the
/// ReqSync, SrvSync and last cycle of the requestor named `requestor`
/// (`PCM:NET/PO` or `NET/PO`, [`RequestorRecord::is_named`]). Refuses when no
/// record has that name, listing the names there are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetSrvConf {
    /// New highest SrvSync (the header's "Sync").
    pub highest_srvsync: Option<u32>,
    /// The requestor whose record changes.
    pub requestor: Option<String>,
    /// Its new ReqSync.
    pub reqsync: Option<u32>,
    /// Its new SrvSync.
    pub srvsync: Option<u32>,
    /// Its new last cycle.
    pub last_cycle: Option<u32>,
    /// The code page of the requestors' names.
    pub codepage: CodePage,
    found: bool,
    names: Vec<String>,
}

impl SetSrvConf {
    /// The header's highest SrvSync, and the numbers of the requestor
    /// `requestor` (names read in code page `cp`).
    pub fn new(
        highest_srvsync: Option<u32>,
        requestor: Option<String>,
        reqsync: Option<u32>,
        srvsync: Option<u32>,
        last_cycle: Option<u32>,
        cp: CodePage,
    ) -> Self {
        SetSrvConf {
            highest_srvsync,
            requestor,
            reqsync,
            srvsync,
            last_cycle,
            codepage: cp,
            ..SetSrvConf::default()
        }
    }
}

impl Edit<SrvConfFile> for SetSrvConf {
    fn header(&mut self, _kind: FileKind, h: &mut SrvConfHeader) -> Result<()> {
        set(&mut h.highest_srvsync, self.highest_srvsync);
        Ok(())
    }

    fn record(
        &mut self,
        _kind: FileKind,
        _index: u64,
        _offset: u64,
        r: &mut RequestorRecord,
    ) -> Result<()> {
        let Some(name) = &self.requestor else {
            return Ok(());
        };
        if self.found || !r.is_named(name, self.codepage) {
            self.names.push(r.name.decode(self.codepage));
            return Ok(());
        }
        self.found = true;
        set(&mut r.reqsync, self.reqsync);
        set(&mut r.srvsync, self.srvsync);
        set(&mut r.last_cycle, self.last_cycle);
        Ok(())
    }

    fn finish(&mut self, kind: FileKind, _records: u64) -> Result<()> {
        match &self.requestor {
            Some(name) if !self.found => Err(Error::Patch {
                at: None,
                message: format!(
                    "{kind} has no requestor named {name}; its requestors are: {}",
                    if self.names.is_empty() {
                        "none".to_string()
                    } else {
                        self.names.join(", ")
                    }
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// True for a transaction that waits to be sent: anything but a `#` line
/// (the REQMAIN and PODIAG dummies, the RESYNC header).
pub fn is_pending(r: &QueueRecord) -> bool {
    // The command does not depend on the code page.
    import::parse(&r.text, CodePage::default()).command != Command::Comment
}

/// Renumbers a REQTRANS.GLB from `from`: the pending transactions (see
/// [`is_pending`]) get `from`, `from + 1`, ... in file order; `#` lines keep
/// their numbers. The first record, when its text is no transaction Import
/// would apply ([`glb_formats::queue::not_a_transaction`]), is taken as REQMAIN's
/// dummy, which keeps the last confirmed ReqSync (KB Q96060, Q133428): it
/// gets `from - 1` when it holds less (so the numbering REQMAIN continues
/// from it lies above ReqSync), else keeps its number. Refuses when the
/// result would not be strictly increasing (for example `from` not above the
/// dummy) or would run past the largest 32-bit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renumber {
    from: u32,
    next: u64,
    prev: Option<(u64, u32, bool)>,
    renumbered: u64,
}

impl Renumber {
    /// Renumbering from `from`.
    pub fn new(from: u32) -> Self {
        Renumber {
            from,
            next: u64::from(from),
            prev: None,
            renumbered: 0,
        }
    }

    /// How many records were given numbers so far.
    pub fn renumbered(&self) -> u64 {
        self.renumbered
    }
}

impl Edit<Queue> for Renumber {
    fn record(
        &mut self,
        kind: FileKind,
        index: u64,
        offset: u64,
        record: &mut QueueRecord,
    ) -> Result<()> {
        let at_sync = offset + 4;
        let dummy = index == 0 && glb_formats::queue::not_a_transaction(&record.text);
        let pending = !dummy && is_pending(record);
        if dummy {
            let confirmed = self.from.saturating_sub(1);
            if self.from > 0 && record.sync < confirmed {
                record.sync = confirmed;
                self.renumbered += 1;
            }
        } else if pending {
            record.sync = u32::try_from(self.next).map_err(|_| {
                Error::patch(
                    kind,
                    at_sync,
                    Some(index),
                    "sync",
                    format!(
                        "renumbering from {} runs past {}, the largest sync number, at this transaction; choose a smaller --renumber-from",
                        self.from,
                        u32::MAX
                    ),
                )
            })?;
            self.next += 1;
            self.renumbered += 1;
        }
        if let Some((prev_index, prev, prev_pending)) = self.prev {
            if record.sync <= prev {
                let message = if pending && !prev_pending {
                    format!(
                        "the pending transactions would be numbered from {} here, but the dummy before them (record {prev_index}) holds {prev}, the last ReqSync the server confirmed; choose --renumber-from {} or higher",
                        record.sync,
                        u64::from(prev) + 1
                    )
                } else if pending {
                    format!(
                        "this transaction would get number {} after {prev}; sync numbers must increase",
                        record.sync
                    )
                } else {
                    format!(
                        "this `#` transaction keeps its number {}, which would not be above the {prev} of the renumbered transaction before it (record {prev_index}); sync numbers must increase, so renumbering cannot repair this file",
                        record.sync
                    )
                };
                return Err(Error::patch(kind, at_sync, Some(index), "sync", message));
            }
        }
        self.prev = Some((index, record.sync, pending));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use glb_formats::fields::Stamp;
    use glb_formats::format::Document;
    use glb_formats::queue::ResyncHeader;
    use proptest::prelude::*;

    use super::*;

    fn bytes_of(kind: FileKind, records: &[QueueRecord]) -> Vec<u8> {
        let mut doc = Document::<Queue>::new(kind);
        doc.records = records.to_vec();
        doc.to_bytes().unwrap()
    }

    fn patch<E: Edit<Queue>>(
        kind: FileKind,
        input: &[u8],
        edit: &mut E,
    ) -> Result<(Vec<u8>, Summary, Vec<Change>)> {
        rewrite_all::<Queue, _>(kind, input, edit)
    }

    /// Offsets of every record in a queue file, found by walking the length fields.
    fn record_offsets(bytes: &[u8]) -> Vec<usize> {
        let mut at = 0;
        let mut out = Vec::new();
        while at < bytes.len() {
            out.push(at);
            at += usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]));
        }
        out
    }

    /// Maximal runs of differing bytes, computed independently of the library.
    fn runs(a: &[u8], b: &[u8]) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        for i in 0..a.len() {
            if a[i] != b[i] {
                match out.last_mut() {
                    Some(r) if r.1 == i as u64 => r.1 += 1,
                    _ => out.push((i as u64, i as u64 + 1)),
                }
            }
        }
        out
    }

    fn reqtrans() -> Vec<QueueRecord> {
        let mut odd = QueueRecord::new(6, Stamp(765_720_900), b"A Joe\tPCM:N/P/joe");
        odd.reserved.0[5] = 0xEE;
        odd.checksum = Checksum::Stored(odd.computed_checksum());
        vec![
            QueueRecord::ack_dummy(17, Stamp(765_720_832)),
            QueueRecord::new(5, Stamp(765_720_850), b"R PCM:N/P"),
            odd,
            QueueRecord::new(7, Stamp(765_720_999), b"D PCM:N/P/ann"),
        ]
    }

    #[test]
    fn renumbering_changes_only_the_pending_sync_numbers_and_their_checksums() {
        let input = bytes_of(FileKind::Reqtrans, &reqtrans());
        let (out, summary, changes) =
            patch(FileKind::Reqtrans, &input, &mut Renumber::new(18)).unwrap();
        assert_eq!(out.len(), input.len());
        // Byte level: every differing byte lies in bytes +2..+8 (checksum, sync)
        // of records 1..=3; record 0 (the dummy) is untouched.
        let offs = record_offsets(&input);
        assert_eq!(record_offsets(&out), offs);
        for (i, (a, b)) in input.iter().zip(&out).enumerate() {
            if a != b {
                let r = offs.iter().rposition(|&o| o <= i).unwrap();
                let rel = i - offs[r];
                assert!(
                    r >= 1 && (2..8).contains(&rel),
                    "byte {i} (record {r} +{rel})"
                );
            }
        }
        assert_eq!(&out[..49], &input[..49]);
        // The reported ranges are exactly the runs of differing bytes.
        let reported: Vec<(u64, u64)> = summary.ranges.iter().map(|r| (r.start, r.end)).collect();
        assert_eq!(reported, runs(&input, &out));
        assert_eq!(summary.records_changed, 3);
        for r in &summary.ranges {
            assert!(r.fields.iter().all(|f| *f == "sync" || *f == "checksum"));
        }
        // The result reads back with the new numbers, valid checksums and the rest intact.
        let doc = Document::<Queue>::from_bytes(&out, FileKind::Reqtrans, ReadOptions::default())
            .unwrap();
        let syncs: Vec<u32> = doc.records.iter().map(|r| r.sync).collect();
        assert_eq!(syncs, vec![17, 18, 19, 20]);
        for (new, old) in doc.records.iter().zip(reqtrans()) {
            assert!(new.checksum_ok());
            assert_eq!(
                (&new.text, new.date_stamp, new.reserved),
                (&old.text, old.date_stamp, old.reserved)
            );
        }
        // The changes name the field, its offset and both values.
        let sync_changes: Vec<(u64, &str, &str)> = changes
            .iter()
            .filter(|c| c.field == "sync")
            .map(|c| (c.offset, c.old.as_str(), c.new.as_str()))
            .collect();
        assert_eq!(
            sync_changes,
            vec![
                (offs[1] as u64 + 4, "5", "18"),
                (offs[2] as u64 + 4, "6", "19"),
                (offs[3] as u64 + 4, "7", "20")
            ]
        );
        assert_eq!(changes.iter().filter(|c| c.field == "checksum").count(), 3);
    }

    #[test]
    fn a_first_record_that_is_no_transaction_is_the_dummy_and_takes_the_confirmed_number() {
        // REQMAIN's dummy text is not documented (KB Q133428): whatever it
        // holds, the first record that is no transaction keeps or takes
        // from - 1 (the last confirmed ReqSync) and is never renumbered into
        // a transaction T1 would send.
        let syncs = |recs: &[QueueRecord], from: u32| -> Vec<u32> {
            let input = bytes_of(FileKind::Reqtrans, recs);
            let (out, _, _) = patch(FileKind::Reqtrans, &input, &mut Renumber::new(from)).unwrap();
            Document::<Queue>::from_bytes(&out, FileKind::Reqtrans, ReadOptions::default())
                .unwrap()
                .records
                .iter()
                .map(|r| r.sync)
                .collect()
        };
        for dummy in [
            &b"XXXXXXXXXXXXXXXXXXXXXXXX"[..],
            b"\x01 last sync",
            b"# Last confirmed ReqSync",
        ] {
            // REQTRANS restored from an old backup: dummy 12, two changes, ReqSync 17.
            let recs = [
                QueueRecord::new(12, Stamp(0), dummy),
                QueueRecord::new(13, Stamp(0), b"A A\tPCM:N/P/a"),
                QueueRecord::new(14, Stamp(0), b"A B\tPCM:N/P/b"),
            ];
            assert_eq!(syncs(&recs, 18), vec![17, 18, 19], "{dummy:?}");
            // The dummy alone, behind ReqSync 17.
            assert_eq!(syncs(&recs[..1], 18), vec![17], "{dummy:?}");
            // Already at the confirmed number: kept.
            let recs = [
                QueueRecord::new(17, Stamp(0), dummy),
                QueueRecord::new(1, Stamp(0), b"A A\tPCM:N/P/a"),
            ];
            assert_eq!(syncs(&recs, 18), vec![17, 18], "{dummy:?}");
        }
        // A first record that is a transaction is renumbered like the others.
        let recs = [
            QueueRecord::new(1, Stamp(0), b"A A\tPCM:N/P/a"),
            QueueRecord::new(2, Stamp(0), b"A B\tPCM:N/P/b"),
        ];
        assert_eq!(syncs(&recs, 13), vec![13, 14]);
    }

    #[test]
    fn renumbering_refuses_a_start_not_above_the_dummy() {
        let input = bytes_of(FileKind::Reqtrans, &reqtrans());
        let err = patch(FileKind::Reqtrans, &input, &mut Renumber::new(17)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("--renumber-from 18"), "{msg}");
        let at = err.location().unwrap();
        assert_eq!((at.record, at.field, at.offset), (Some(1), "sync", 49 + 4));
    }

    #[test]
    fn renumbering_refuses_to_run_past_the_largest_number() {
        let input = bytes_of(FileKind::Reqtrans, &reqtrans());
        let err = patch(FileKind::Reqtrans, &input, &mut Renumber::new(u32::MAX - 1)).unwrap_err();
        assert!(err.to_string().contains("runs past"), "{err}");
        assert_eq!(err.location().unwrap().record, Some(3));
    }

    #[test]
    fn a_dummy_after_pending_transactions_that_would_break_the_order_is_refused() {
        let input = bytes_of(
            FileKind::Reqtrans,
            &[
                QueueRecord::new(1, Stamp(0), b"A A\tPCM:N/P/a"),
                QueueRecord::ack_dummy(3, Stamp(0)),
            ],
        );
        let err = patch(FileKind::Reqtrans, &input, &mut Renumber::new(10)).unwrap_err();
        assert!(err.to_string().contains("keeps its number 3"), "{err}");
    }

    #[test]
    fn an_edit_that_changes_nothing_gives_the_identical_file() {
        // A foreign checksum on an untouched record must survive too.
        let mut recs = reqtrans();
        recs[2].checksum = Checksum::Stored(0xBEEF);
        let input = bytes_of(FileKind::Reqtrans, &recs[1..]);
        let (out, summary, changes) =
            patch(FileKind::Reqtrans, &input, &mut Renumber::new(5)).unwrap();
        assert_eq!(out, input);
        assert!(summary.is_unchanged() && summary.ranges.is_empty() && changes.is_empty());
    }

    fn resync() -> Vec<QueueRecord> {
        vec![
            QueueRecord::resync_header(
                ResyncHeader {
                    impseq: 2,
                    reqseq: 18,
                    srvseq: 80,
                },
                Stamp(765_720_832),
            ),
            QueueRecord::new(1, Stamp(0), b"R PCM:N/P"),
        ]
    }

    #[test]
    fn the_resync_header_keeps_its_size_and_only_the_number_and_checksum_change() {
        let input = bytes_of(FileKind::Resync, &resync());
        let mut edit = SetResyncHeader {
            reqseq: Some(4_000_000_000),
            ..Default::default()
        };
        let (out, summary, changes) = patch(FileKind::Resync, &input, &mut edit).unwrap();
        assert_eq!(out.len(), input.len());
        // "# RESYNC IMPSEQ=0000000002 REQSEQ=" is 34 characters: REQSEQ's digits
        // are at text offset 34..44.
        let digits = TEXT_OFFSET + 34..TEXT_OFFSET + 44;
        for (i, (a, b)) in input.iter().zip(&out).enumerate() {
            if a != b {
                assert!(
                    (2..4).contains(&i) || digits.contains(&i),
                    "byte {i} changed"
                );
            }
        }
        assert_eq!(&out[digits], b"4000000000");
        let h = Document::<Queue>::from_bytes(&out, FileKind::Resync, ReadOptions::default())
            .unwrap()
            .records[0]
            .clone();
        assert!(h.checksum_ok());
        assert_eq!(
            h.resync_header_numbers(),
            Some(ResyncHeader {
                impseq: 2,
                reqseq: 4_000_000_000,
                srvseq: 80
            })
        );
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, vec!["checksum", "text"]);
        assert!(changes[1].old.contains("REQSEQ=0000000018"));
        assert!(changes[1].new.contains("REQSEQ=4000000000"));
        assert_eq!(summary.records_changed, 1);
        assert_eq!(
            summary
                .ranges
                .iter()
                .map(|r| (r.start, r.end))
                .collect::<Vec<_>>(),
            runs(&input, &out)
        );
    }

    #[test]
    fn a_resync_without_header_or_records_is_refused() {
        let input = bytes_of(FileKind::Resync, &resync()[1..]);
        let mut edit = SetResyncHeader {
            impseq: Some(1),
            ..Default::default()
        };
        let err = patch(FileKind::Resync, &input, &mut edit).unwrap_err();
        assert!(err.to_string().contains("not a RESYNC header"), "{err}");
        let err = patch(FileKind::Resync, &[], &mut edit).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    fn rewrite_all<F: Format, E: Edit<F>>(
        kind: FileKind,
        input: &[u8],
        edit: &mut E,
    ) -> Result<(Vec<u8>, Summary, Vec<Change>)>
    where
        F::Header: Seal,
        F::Record: Seal,
    {
        let mut changes = Vec::new();
        let (out, summary) = rewrite::<F, _, _, _>(
            input,
            kind,
            Some(input.len() as u64),
            glb_formats::codepage::CodePage::Cp850,
            Vec::new(),
            edit,
            &mut |c| changes.push(c),
        )?;
        Ok((out, summary, changes))
    }

    /// Every differing byte lies in one of `allowed` (absolute ranges).
    fn only_in(a: &[u8], b: &[u8], allowed: &[std::ops::Range<usize>]) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            if x != y {
                assert!(allowed.iter().any(|r| r.contains(&i)), "byte {i} changed");
            }
        }
    }

    #[test]
    fn reqconf_reset_changes_only_the_reset_fields() {
        use glb_formats::fields::{Reserved, Text};
        let conf = ReqConf {
            server_network: Text::from_bytes(b"POLYNOMIAL").unwrap(),
            server_postoffice: Text::from_bytes(b"MONTGOMERY").unwrap(),
            reqsync: 18,
            impsync: 1,
            last_export: Stamp(761_412_600),
            usrtrans_pointer: 0x1234,
            template_options: 1,
            types: Text::from_bytes(b"PCM").unwrap(),
            local_network: Text::from_bytes(b"POLYNOMIAL").unwrap(),
            local_postoffice: Text::from_bytes(b"NOVEMBER").unwrap(),
            reserved: Reserved([0xA5; 289]),
            ..ReqConf::default()
        };
        let doc = Document::<ReqConfFile> {
            kind: FileKind::Reqconf,
            header: Some(conf),
            records: vec![],
            trailing: vec![],
        };
        let input = doc.to_bytes().unwrap();
        let mut edit = SetReqConf {
            reset: true,
            srvsync: Some(5),
            ..Default::default()
        };
        let (out, summary, changes) =
            rewrite_all::<ReqConfFile, _>(FileKind::Reqconf, &input, &mut edit).unwrap();
        // The numbers (+31..+43), the pointers (+51..+67), template options,
        // size limit and types (+67..+201): nothing else.
        only_in(&input, &out, &[31..43, 51..201]);
        assert!(summary.header_changed);
        let back =
            Document::<ReqConfFile>::from_bytes(&out, FileKind::Reqconf, ReadOptions::default())
                .unwrap()
                .header
                .unwrap();
        assert_eq!((back.reqsync, back.srvsync, back.impsync), (0, 5, 0));
        assert_eq!(back.pointers().map(|p| p.1), [-1; 4]);
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            vec![
                "reqsync",
                "srvsync",
                "impsync",
                "srvtrans_pointer",
                "usrtrans_pointer",
                "gwtrans_pointer",
                "nmetrans_pointer",
                "template_options",
                "types"
            ]
        );
        assert_eq!(
            (changes[4].old.as_str(), changes[4].new.as_str()),
            ("4660", "-1")
        );
    }

    fn srvconf_bytes() -> Vec<u8> {
        use glb_formats::fields::Text;
        let rec = |name: &str, reqsync: u32, srvsync: u32| RequestorRecord {
            name: Text::from_bytes(name.as_bytes()).unwrap(),
            reqsync,
            srvsync,
            impsync: 1,
            last_cycle: 9,
            ..RequestorRecord::default()
        };
        let doc = Document::<SrvConfFile> {
            kind: FileKind::Srvconf,
            header: Some(SrvConfHeader {
                highest_srvsync: 80,
                cycle: 11,
                ..SrvConfHeader::default()
            }),
            records: vec![
                rec("PCM:POLYNOMIAL/MONTGOMERY", 17, 80),
                rec("PCM:POLYNOMIAL/NOVEMBER", 18, 0),
                rec("PCM:POLYNOMIAL/OCTOBER", 12, 71),
            ],
            trailing: vec![],
        };
        doc.to_bytes().unwrap()
    }

    #[test]
    fn a_srvconf_requestor_is_found_by_name_and_only_its_numbers_change() {
        let input = srvconf_bytes();
        let mut edit = SetSrvConf {
            requestor: Some("polynomial/november".into()),
            reqsync: Some(25),
            last_cycle: Some(11),
            highest_srvsync: Some(81),
            ..Default::default()
        };
        let (out, summary, _) =
            rewrite_all::<SrvConfFile, _>(FileKind::Srvconf, &input, &mut edit).unwrap();
        // Header +0..+4; NOVEMBER is record 1 at 2048: reqsync +41..+45, last_cycle +53..+57.
        only_in(
            &input,
            &out,
            &[0..4, 2048 + 41..2048 + 45, 2048 + 53..2048 + 57],
        );
        assert_eq!(summary.records_changed, 1);
        assert_eq!(&out[2048 + 41..2048 + 45], &25u32.to_le_bytes());
        let err = rewrite_all::<SrvConfFile, _>(
            FileKind::Srvconf,
            &input,
            &mut SetSrvConf {
                requestor: Some("PCM:POLYNOMIAL/DECEMBER".into()),
                reqsync: Some(1),
                ..Default::default()
            },
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("no requestor named PCM:POLYNOMIAL/DECEMBER"),
            "{msg}"
        );
        assert!(msg.contains("PCM:POLYNOMIAL/OCTOBER"), "{msg}");
    }

    proptest! {
        /// Whatever the queue holds, renumbering changes only sync numbers and
        /// checksums of pending transactions, and the result increases.
        #[test]
        fn renumbering_touches_only_sync_and_checksum(
            texts in proptest::collection::vec(
                prop_oneof![Just(&b"# dummy"[..]), Just(&b"A X\tPCM:N/P/x"[..]), Just(&b"R PCM:N/P"[..])],
                0..20),
            syncs in proptest::collection::vec(any::<u32>(), 20),
            reserved in any::<[u8; 12]>(),
            from in 0u32..1000,
        ) {
            let recs: Vec<QueueRecord> = texts
                .iter()
                .zip(&syncs)
                .map(|(t, s)| {
                    let mut r = QueueRecord::new(*s, Stamp(*s / 3), t);
                    r.reserved.0 = reserved;
                    r
                })
                .collect();
            let input = bytes_of(FileKind::Reqtrans, &recs);
            match patch(FileKind::Reqtrans, &input, &mut Renumber::new(from)) {
                Err(e) => prop_assert!(matches!(e, Error::Patch { .. }), "{e}"),
                Ok((out, summary, _)) => {
                    let offs = record_offsets(&input);
                    for (i, (a, b)) in input.iter().zip(&out).enumerate() {
                        if a != b {
                            let r = offs.iter().rposition(|&o| o <= i).unwrap();
                            let rel = i - offs[r];
                            prop_assert!((2..8).contains(&rel));
                            prop_assert!(
                                is_pending(&recs[r])
                                    || (r == 0 && glb_formats::queue::not_a_transaction(&recs[0].text))
                            );
                        }
                    }
                    let doc = Document::<Queue>::from_bytes(&out, FileKind::Reqtrans, ReadOptions::default()).unwrap();
                    prop_assert!(doc.records.windows(2).all(|w| w[0].sync < w[1].sync));
                    prop_assert_eq!(
                        summary.ranges.iter().map(|r| (r.start, r.end)).collect::<Vec<_>>(),
                        runs(&input, &out)
                    );
                }
            }
        }
    }
}
