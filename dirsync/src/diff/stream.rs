//! The streaming diff: two files whose records are already in key order (a
//! queue in sync order, a GAL in name order, any file compared by position)
//! are merged record by record as they are read, so memory holds one record
//! of each file and the differences found, never the files themselves.
//!
//! It gives exactly the [`FileDiff`] of [`super::diff`] (the unit tests run
//! both on every input): with both sides in key order, pairing equal keys in
//! file order is the merge itself, and no paired record can be reordered.
//! When a record comes out of key order it stops with
//! [`Streamed::OutOfOrder`]; the caller then reads the files whole and uses
//! [`super::diff`], which sorts. A caller that prints differences as they are
//! found ([`diff_streams_into`] with a printing [`Sink`]) first reads each
//! file once with [`scan_order`], which checks that it reads and is in key
//! order, so that nothing printed is ever withdrawn.

use std::cmp::Ordering;
use std::io::Read;

use super::{
    changed_records, item_of, key_maker, key_parts, tell, Collector, Difference, End, FileDiff,
    Flow, Key, KeyMaker, Outcome, Place, Side, Sink, Start,
};
use crate::error::Result;
use crate::format::{Format, ReadOptions, Reader};
use crate::kind::FileKind;

/// One of the two files, read as a stream, with what its keys may need.
pub struct StreamSide<'a, R> {
    /// The file's bytes, from the start.
    pub src: R,
    /// The file's size when known (a file), `None` for standard input.
    pub size: Option<u64>,
    /// Its kind.
    pub kind: FileKind,
    /// As [`Side::netpo`].
    pub netpo: Option<&'a crate::resolve::Resolver>,
    /// As [`Side::list`].
    pub list: Option<&'a str>,
    /// As [`Side::codepage`].
    pub codepage: crate::codepage::CodePage,
}

impl<'a, R> StreamSide<'a, R> {
    fn side(&self) -> Side<'a> {
        Side {
            bytes: &[],
            kind: self.kind,
            netpo: self.netpo,
            list: self.list,
            codepage: self.codepage,
        }
    }
}

/// What [`diff_streams`] found.
#[derive(Debug)]
pub enum Streamed {
    /// Both files were in key order: the differences.
    Diff(Box<FileDiff>),
    /// A record of one file came before the record ahead of it in key order:
    /// compare the files with [`super::diff`], which sorts.
    OutOfOrder,
}

/// The record a side is at, with its matching key.
struct Current<T> {
    key: Vec<u8>,
    raw: Vec<u8>,
    place: Place,
    record: T,
}

/// One side being read: its reader, its key maker and the record it is at.
struct Cursor<'a, F: Format, R: Read> {
    reader: Reader<F, R>,
    maker: KeyMaker<'a>,
    at: Option<Current<F::Record>>,
    /// The key of the last record read, to check the order.
    last: Vec<u8>,
    duplicates: u64,
}

impl<'a, F: Format, R: Read> Cursor<'a, F, R> {
    fn new(reader: Reader<F, R>, maker: KeyMaker<'a>) -> Self {
        Cursor {
            reader,
            maker,
            at: None,
            last: Vec::new(),
            duplicates: 0,
        }
    }

    /// Moves to the next record; `Ok(false)` when it is out of key order.
    fn advance(&mut self) -> Result<bool> {
        let Some(r) = self.reader.next_record()? else {
            self.at = None;
            return Ok(true);
        };
        // Reuse the buffers of the record left behind.
        let mut cur = self.at.take().unwrap_or_else(|| Current {
            key: Vec::new(),
            raw: Vec::new(),
            place: Place {
                index: 0,
                offset: 0,
            },
            record: F::Record::default(),
        });
        cur.key.clear();
        self.maker.push(r.raw, r.index, &mut cur.key, true);
        if r.index > 0 {
            match cur.key.cmp(&self.last) {
                Ordering::Less => return Ok(false),
                Ordering::Equal => self.duplicates += 1,
                Ordering::Greater => {}
            }
        }
        self.last.clone_from(&cur.key);
        cur.raw.clear();
        cur.raw.extend_from_slice(r.raw);
        cur.place = Place {
            index: r.index,
            offset: r.offset,
        };
        cur.record.clone_from(r.record);
        self.at = Some(cur);
        Ok(true)
    }
}

/// Compares two streamed files of the family `F` (see the module comment),
/// collecting the differences.
pub fn diff_streams_with<F: Format, RA: Read, RB: Read>(
    a: StreamSide<'_, RA>,
    b: StreamSide<'_, RB>,
    key: Key,
) -> Result<Streamed> {
    let mut c = Collector::default();
    Ok(
        match diff_streams_into::<F, RA, RB>(a, b, key, (None, None), &mut c)? {
            Outcome::Complete(end) => Streamed::Diff(Box::new(c.finish(end))),
            Outcome::OutOfOrder => Streamed::OutOfOrder,
            Outcome::Stopped => unreachable!("a collector never stops"),
        },
    )
}

/// Compares two streamed files of the family `F` (see the module comment),
/// telling `sink` each difference as it is found. `records` are the files'
/// record counts when known beforehand (from [`scan_order`]), for the start
/// of the report.
///
/// When a record comes out of key order it stops with
/// [`Outcome::OutOfOrder`], and what the sink was told is incomplete: check
/// both files with [`scan_order`] first when the sink prints as it goes.
pub fn diff_streams_into<F: Format, RA: Read, RB: Read>(
    a: StreamSide<'_, RA>,
    b: StreamSide<'_, RB>,
    key: Key,
    records: (Option<u64>, Option<u64>),
    sink: &mut dyn Sink,
) -> Result<Outcome> {
    let (sa, sb) = (a.side(), b.side());
    let family = super::check_families(&sa, &sb)?;
    let key = key.resolve(family, a.kind, a.netpo.is_some() && b.netpo.is_some())?;
    for (kind, size) in [(a.kind, a.size), (b.kind, b.size)] {
        if let Some(size) = size {
            F::check_size(kind, size)?;
        }
    }
    let parts = key_parts::<F>(family, key);
    let mut ca = Cursor::new(
        Reader::<F, _>::new(a.src, a.kind, a.size, ReadOptions::default())?,
        key_maker(&sa, &parts, family, key),
    );
    let mut cb = Cursor::new(
        Reader::<F, _>::new(b.src, b.kind, b.size, ReadOptions::default())?,
        key_maker(&sb, &parts, family, key),
    );
    let mut start = Start::new(&sa, &sb, family, key);
    (start.records_a, start.records_b) = records;
    let (ha, hb) = (ca.reader.header_raw(), cb.reader.header_raw());
    if ha != hb {
        if let (Some(x), Some(y)) = (ca.reader.header(), cb.reader.header()) {
            start.header = super::field_changes(x, ha, 0, y, hb, 0, sa.codepage);
        }
    }
    if !ca.advance()? || !cb.advance()? {
        return Ok(Outcome::OutOfOrder);
    }
    if sink.start(&start)?.is_break() {
        return Ok(Outcome::Stopped);
    }
    let mut end = End::new(0, 0);
    loop {
        let ord = match (&ca.at, &cb.at) {
            (Some(x), Some(y)) => x.key.cmp(&y.key),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => break,
        };
        let (flow, in_order) = match ord {
            Ordering::Less => {
                let x = ca.at.as_ref().expect("compared");
                let d = Difference::Removed(item_of(&ca.maker, &x.record, &x.raw, x.place));
                (tell(sink, &mut end, d)?, ca.advance()?)
            }
            Ordering::Greater => {
                let y = cb.at.as_ref().expect("compared");
                let d = Difference::Added(item_of(&cb.maker, &y.record, &y.raw, y.place));
                (tell(sink, &mut end, d)?, cb.advance()?)
            }
            Ordering::Equal => {
                let (x, y) = (
                    ca.at.as_ref().expect("compared"),
                    cb.at.as_ref().expect("compared"),
                );
                let flow = if x.raw == y.raw {
                    end.unchanged += 1;
                    Flow::Continue(())
                } else {
                    let d = Difference::Changed(changed_records(
                        a.kind,
                        (&x.record, &x.raw, x.place),
                        (&y.record, &y.raw, y.place),
                        &ca.maker,
                    ));
                    tell(sink, &mut end, d)?
                };
                (flow, ca.advance()? && cb.advance()?)
            }
        };
        if !in_order {
            return Ok(Outcome::OutOfOrder);
        }
        if flow.is_break() {
            return Ok(Outcome::Stopped);
        }
    }
    end.records_a = ca.reader.records_read();
    end.records_b = cb.reader.records_read();
    super::note_duplicates(&mut end.notes, ca.duplicates + cb.duplicates);
    Ok(Outcome::Complete(end))
}

/// What [`scan_order`] found in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    /// Records read (up to the first one out of key order).
    pub records: u64,
    /// True when every record's key is at or after the one before.
    pub in_order: bool,
}

/// Reads one file of the family `F` through, checking that it reads and that
/// its records are in `key` order (keys only: nothing is decoded beyond what
/// reading checks). One record in memory at a time.
pub fn scan_order_with<F: Format, R: Read>(
    s: StreamSide<'_, R>,
    key: Key,
    addresses: bool,
) -> Result<Scan> {
    let side = s.side();
    let family = s.kind.family();
    let key = key.resolve(family, s.kind, addresses)?;
    let parts = key_parts::<F>(family, key);
    let mut cursor = Cursor::<F, R>::new(
        Reader::<F, _>::new(s.src, s.kind, s.size, ReadOptions::default())?,
        key_maker(&side, &parts, family, key),
    );
    let mut key_now = Vec::new();
    while let Some(r) = cursor.reader.next_record()? {
        key_now.clear();
        cursor.maker.push(r.raw, r.index, &mut key_now, true);
        if r.index > 0 && key_now < cursor.last {
            return Ok(Scan {
                records: r.index,
                in_order: false,
            });
        }
        std::mem::swap(&mut cursor.last, &mut key_now);
    }
    Ok(Scan {
        records: cursor.reader.records_read(),
        in_order: true,
    })
}

/// `scan_order_with`, picking the family's format. `addresses`: both
/// files of the comparison have a NETPO.GLB at hand (see [`Key::resolve`]).
pub fn scan_order<R: Read>(s: StreamSide<'_, R>, key: Key, addresses: bool) -> Result<Scan> {
    crate::with_format!(s.kind.family(), |F| scan_order_with::<F, R>(
        s, key, addresses
    ))
}

/// Compares two streamed files of one family, picking the family's format.
pub fn diff_streams<RA: Read, RB: Read>(
    a: StreamSide<'_, RA>,
    b: StreamSide<'_, RB>,
    key: Key,
) -> Result<Streamed> {
    crate::with_format!(a.kind.family(), |F| diff_streams_with::<F, RA, RB>(
        a, b, key
    ))
}

/// [`diff_streams_into`], picking the family's format.
pub fn diff_streams_to<RA: Read, RB: Read>(
    a: StreamSide<'_, RA>,
    b: StreamSide<'_, RB>,
    key: Key,
    records: (Option<u64>, Option<u64>),
    sink: &mut dyn Sink,
) -> Result<Outcome> {
    crate::with_format!(a.kind.family(), |F| diff_streams_into::<F, RA, RB>(
        a, b, key, records, sink
    ))
}
