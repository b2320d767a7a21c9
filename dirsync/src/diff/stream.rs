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
//! [`super::diff`], which sorts.
//!
//! A caller that prints differences as they are found ([`diff_streams_into`]
//! with a printing [`Sink`]) either reads each file once first with
//! [`scan_order`], which checks that it reads and is in key order, so that
//! nothing printed is ever withdrawn; or merges in one pass, the sink hearing
//! nothing until each file has given `hold` records (or ended), so that a
//! file out of key order early stops with [`Outcome::OutOfOrder`] and nothing
//! told. A file that goes out of key order later stops with
//! [`Outcome::CutShort`]: the sink was told the differences between the
//! records compared so far, which the [`Disorder`] counts. Those are right
//! for those records (a changed record `~` is paired as the whole comparison
//! pairs it: equal keys pair in file order either way), but a record told as
//! only in one file may have its partner among the records not compared.

use std::cmp::Ordering;
use std::io::Read;

use glb_formats::error::{Location, Result};
use glb_formats::format::{Format, ReadOptions, Reader};
use glb_formats::kind::FileKind;

use super::{
    changed_records, item_of, key_maker, key_parts, tell, Collector, Difference, End, FileDiff,
    Key, KeyMaker, Outcome, Part, Place, RecordKey, Side, Sink, Start,
};

/// One of the two files, read as a stream, with what its keys may need.
pub struct StreamSide<'a, R> {
    /// The file's bytes, from the start.
    pub src: R,
    /// Its path, when it has one: errors met reading it name it.
    pub path: Option<&'a std::path::Path>,
    /// The file's size when known (a file), `None` for standard input.
    pub size: Option<u64>,
    /// Its kind.
    pub kind: FileKind,
    /// As [`Side::netpo`].
    pub netpo: Option<&'a crate::resolve::Resolver>,
    /// As [`Side::list`].
    pub list: Option<&'a str>,
    /// As [`Side::codepage`].
    pub codepage: glb_formats::codepage::CodePage,
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
    /// Records compared (paired or told as only in this file).
    done: u64,
    /// The record that came out of key order: where, its key, the key before.
    disorder: Option<(Place, RecordKey, RecordKey)>,
    /// The file's path, for its errors.
    path: Option<&'a std::path::Path>,
}

impl<'a, F: Format, R: Read> Cursor<'a, F, R> {
    fn new(reader: Reader<F, R>, maker: KeyMaker<'a>, path: Option<&'a std::path::Path>) -> Self {
        Cursor {
            path,
            reader,
            maker,
            at: None,
            last: Vec::new(),
            duplicates: 0,
            done: 0,
            disorder: None,
        }
    }

    /// True when it has ended or given more than `hold` records.
    fn past(&self, hold: u64) -> bool {
        self.at.is_none() || self.reader.records_read() > hold
    }

    /// Moves to the next record; `Ok(false)` when it is out of key order.
    /// An error names the file, when it has a path.
    fn advance(&mut self) -> Result<bool> {
        let path = self.path;
        self.step().map_err(|e| match path {
            Some(p) => glb_formats::error::Error::in_file(p, e),
            None => e,
        })
    }

    fn step(&mut self) -> Result<bool> {
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
                Ordering::Less => {
                    let place = Place {
                        index: r.index,
                        offset: r.offset,
                    };
                    let before = self.maker.shown(&cur.raw, cur.place.index);
                    self.disorder = Some((place, self.maker.shown(r.raw, r.index), before));
                    return Ok(false);
                }
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
    // Held to the end: a file out of key order anywhere tells nothing.
    Ok(
        match diff_streams_into::<F, RA, RB>(a, b, key, (None, None), u64::MAX, &mut c)? {
            Outcome::Complete(end) => Streamed::Diff(Box::new(c.finish(end))),
            Outcome::OutOfOrder(_) => Streamed::OutOfOrder,
            Outcome::Stopped | Outcome::CutShort(_) => {
                unreachable!("a collector never stops, and hears nothing before the end")
            }
        },
    )
}

/// A record that came out of key order in a streamed file.
#[derive(Debug, Clone, PartialEq)]
pub struct Disorder {
    /// False: the first file (A); true: the second (B).
    pub second: bool,
    /// Where: the record and its key's field.
    pub at: Location,
    /// Its key.
    pub key: RecordKey,
    /// The key of the record before it, which is greater.
    pub before: RecordKey,
    /// Records of each file compared (paired, or told as only in one file)
    /// before it: what the differences told cover.
    pub compared: (u64, u64),
}

/// What the sink has not heard yet while the first records are held back.
struct Held {
    start: Start,
    differences: Vec<Difference>,
}

/// Compares two streamed files of the family `F` (see the module comment),
/// telling `sink` each difference as it is found. `records` are the files'
/// record counts when known beforehand (from [`scan_order`]), for the start
/// of the report.
///
/// The sink hears nothing until each file has given `hold` records or
/// ended (`u64::MAX`: until the end; 0: at once). When a record comes out
/// of key order before that, it stops with [`Outcome::OutOfOrder`], the sink
/// told nothing; after that, with [`Outcome::CutShort`], the sink told the
/// differences of the records compared so far (see the module comment).
pub fn diff_streams_into<F: Format, RA: Read, RB: Read>(
    a: StreamSide<'_, RA>,
    b: StreamSide<'_, RB>,
    key: Key,
    records: (Option<u64>, Option<u64>),
    hold: u64,
    sink: &mut dyn Sink,
) -> Result<Outcome> {
    let (sa, sb) = (a.side(), b.side());
    let family = super::check_families(&sa, &sb)?;
    let key = key.resolve(family, a.kind, a.netpo.is_some() && b.netpo.is_some())?;
    let named = |path: Option<&std::path::Path>, e| match path {
        Some(p) => glb_formats::error::Error::in_file(p, e),
        None => e,
    };
    for (kind, size, path) in [(a.kind, a.size, a.path), (b.kind, b.size, b.path)] {
        if let Some(size) = size {
            F::check_size(kind, size).map_err(|e| named(path, e))?;
        }
    }
    let parts = key_parts::<F>(family, key);
    let field = key_field::<F>(&parts, key);
    let mut ca = Cursor::new(
        Reader::<F, _>::new(a.src, a.kind, a.size, ReadOptions::default())
            .map_err(|e| named(a.path, e))?,
        key_maker(&sa, &parts, family, key),
        a.path,
    );
    let mut cb = Cursor::new(
        Reader::<F, _>::new(b.src, b.kind, b.size, ReadOptions::default())
            .map_err(|e| named(b.path, e))?,
        key_maker(&sb, &parts, family, key),
        b.path,
    );
    let mut start = Start::new(&sa, &sb, family, key);
    (start.records_a, start.records_b) = records;
    let (ha, hb) = (ca.reader.header_raw(), cb.reader.header_raw());
    if ha != hb {
        if let (Some(x), Some(y)) = (ca.reader.header(), cb.reader.header()) {
            start.header = super::field_changes(x, ha, 0, y, hb, 0, sa.codepage);
        }
    }
    let mut held = Some(Held {
        start,
        differences: Vec::new(),
    });
    let mut end = End::new(0, 0);
    let mut in_order = ca.advance()? && cb.advance()?;
    while in_order {
        // Past the held stretch: the sink hears what was held, then the rest as found.
        if held.is_some() && ca.past(hold) && cb.past(hold) {
            let h = held.take().expect("held");
            if sink.start(&h.start)?.is_break() {
                return Ok(Outcome::Stopped);
            }
            for d in h.differences {
                if sink.difference(d)?.is_break() {
                    return Ok(Outcome::Stopped);
                }
            }
        }
        let ord = match (&ca.at, &cb.at) {
            (Some(x), Some(y)) => x.key.cmp(&y.key),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => break,
        };
        let (d, ok) = match ord {
            Ordering::Less => {
                let x = ca.at.as_ref().expect("compared");
                let d = Difference::Removed(item_of(&ca.maker, &x.record, &x.raw, x.place));
                ca.done += 1;
                (Some(d), ca.advance()?)
            }
            Ordering::Greater => {
                let y = cb.at.as_ref().expect("compared");
                let d = Difference::Added(item_of(&cb.maker, &y.record, &y.raw, y.place));
                cb.done += 1;
                (Some(d), cb.advance()?)
            }
            Ordering::Equal => {
                let (x, y) = (
                    ca.at.as_ref().expect("compared"),
                    cb.at.as_ref().expect("compared"),
                );
                let d = if x.raw == y.raw {
                    end.unchanged += 1;
                    None
                } else {
                    Some(Difference::Changed(changed_records(
                        a.kind,
                        (&x.record, &x.raw, x.place),
                        (&y.record, &y.raw, y.place),
                        &ca.maker,
                    )))
                };
                ca.done += 1;
                cb.done += 1;
                (d, ca.advance()? && cb.advance()?)
            }
        };
        in_order = ok;
        if let Some(d) = d {
            match &mut held {
                Some(h) => {
                    end.count(&d);
                    h.differences.push(d);
                }
                None => {
                    if tell(sink, &mut end, d)?.is_break() {
                        return Ok(Outcome::Stopped);
                    }
                }
            }
        }
    }
    if !in_order {
        let (second, found, kind) = match ca.disorder.take() {
            Some(d) => (false, Some(d), a.kind),
            None => (true, cb.disorder.take(), b.kind),
        };
        let (place, key, before) = found.expect("a record out of order");
        let disorder = Box::new(Disorder {
            second,
            at: Location {
                kind,
                offset: place.offset + field.1 as u64,
                record: Some(place.index),
                field: field.0,
            },
            key,
            before,
            compared: (ca.done, cb.done),
        });
        return Ok(if held.is_some() {
            Outcome::OutOfOrder(disorder)
        } else {
            Outcome::CutShort(disorder)
        });
    }
    if let Some(h) = held {
        if sink.start(&h.start)?.is_break() {
            return Ok(Outcome::Stopped);
        }
        for d in h.differences {
            if sink.difference(d)?.is_break() {
                return Ok(Outcome::Stopped);
            }
        }
    }
    end.records_a = ca.reader.records_read();
    end.records_b = cb.reader.records_read();
    super::note_duplicates(&mut end.notes, ca.duplicates + cb.duplicates);
    Ok(Outcome::Complete(end))
}

/// The field a key is read from, and its place in the record: the key's
/// first field (an NME address, read through NETPO.GLB: the record itself).
fn key_field<F: Format>(parts: &[Part], key: Key) -> (&'static str, usize) {
    let start = parts.iter().find_map(|p| match *p {
        Part::Text(s, _) | Part::U32(s, _) | Part::U16(s) => Some(s),
        Part::Lit(_) | Part::ListPrefix | Part::NmeAddress | Part::Index => None,
    });
    start
        .and_then(|s| F::record_fields().iter().find(|f| f.start == s))
        .map_or((key.name(), 0), |f| (f.name, f.start))
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
        None,
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
    glb_formats::with_format!(s.kind.family(), |F| scan_order_with::<F, R>(
        s, key, addresses
    ))
}

/// Compares two streamed files of one family, picking the family's format.
pub fn diff_streams<RA: Read, RB: Read>(
    a: StreamSide<'_, RA>,
    b: StreamSide<'_, RB>,
    key: Key,
) -> Result<Streamed> {
    glb_formats::with_format!(a.kind.family(), |F| diff_streams_with::<F, RA, RB>(
        a, b, key
    ))
}

/// [`diff_streams_into`], picking the family's format.
pub fn diff_streams_to<RA: Read, RB: Read>(
    a: StreamSide<'_, RA>,
    b: StreamSide<'_, RB>,
    key: Key,
    records: (Option<u64>, Option<u64>),
    hold: u64,
    sink: &mut dyn Sink,
) -> Result<Outcome> {
    glb_formats::with_format!(a.kind.family(), |F| diff_streams_into::<F, RA, RB>(
        a, b, key, records, hold, sink
    ))
}
