//! Helpers shared by the fixed-layout families (REQCONF, SRVCONF, PROCESS,
//! NME, USR, NETPO, NETWORK, XTN): decoding and encoding a binrw struct from
//! and to exactly its bytes, building an item's field map from its static
//! field table, the one-byte delete code, and the `Format` implementations
//! of fixed-record families.
//!
//! A family keeps one table of `(start, len, name)` per struct; the same table
//! names the field a truncation cuts (`Format::header_fields` and
//! `record_fields`) and places the spans of the annotated dump, so the two
//! can never disagree.

use std::io::Cursor;

use binrw::{BinRead, BinWrite, Endian};

use crate::error::FieldFault;
use crate::layout::{Role, Span, Value};

/// A field table: `(start, len, name)` in offset order, covering every byte.
pub type FieldTable = [(usize, usize, &'static str)];

/// Decodes a little-endian binrw struct from exactly its bytes.
pub fn decode<T>(bytes: &[u8], table: &'static FieldTable) -> Result<T, FieldFault>
where
    T: for<'a> BinRead<Args<'a> = ()>,
{
    let len = table_len(table);
    if bytes.len() != len {
        let at = bytes.len().min(len.saturating_sub(1));
        return Err(FieldFault::new(
            at,
            crate::layout::field_at(table, at),
            format!("expected {len} bytes, got {}", bytes.len()),
        ));
    }
    T::read_options(&mut Cursor::new(bytes), Endian::Little, ())
        .map_err(|e| FieldFault::new(0, first_name(table), format!("unreadable: {e}")))
}

/// Appends a little-endian binrw struct's bytes to `out`.
pub fn encode<T>(value: &T, out: &mut Vec<u8>, table: &'static FieldTable) -> Result<(), FieldFault>
where
    T: for<'a> BinWrite<Args<'a> = ()>,
{
    let start = out.len();
    let mut cur = Cursor::new(std::mem::take(out));
    cur.set_position(start as u64);
    let result = value.write_options(&mut cur, Endian::Little, ());
    *out = cur.into_inner();
    result.map_err(|e| FieldFault::new(0, first_name(table), format!("cannot encode: {e}")))?;
    debug_assert_eq!(out.len() - start, table_len(table));
    Ok(())
}

/// The number of bytes a table covers.
pub const fn table_len(table: &FieldTable) -> usize {
    match table.last() {
        Some(&(start, len, _)) => start + len,
        None => 0,
    }
}

fn first_name(table: &FieldTable) -> &'static str {
    table.first().map_or("header", |t| t.2)
}

/// Appends one span per table entry, taking each field's role and value from
/// `values` in table order.
pub fn spans<const N: usize>(
    table: &'static FieldTable,
    values: [(Role, Value); N],
    out: &mut Vec<Span>,
) {
    debug_assert_eq!(table.len(), N, "one value per field");
    for (&(start, len, name), (role, value)) in table.iter().zip(values) {
        out.push(Span::new(start, len, name, role, value));
    }
}

/// The value of a text field, decoded with the active code page.
pub fn text<const N: usize>(t: &crate::fields::Text<N>) -> Value {
    Value::Text(t.text())
}

/// The delete code of an active record (KB Q148666, Q86625).
pub const ACTIVE: u8 = 0x01;
/// The delete code of a deleted record, which stays in the file (KB Q148666, Q86625).
pub const DELETED: u8 = 0x00;

/// What a delete code means: 01 active, 00 deleted (KB Q148666, Q86625);
/// `None` for any other value.
pub fn status_meaning(code: u64) -> Option<&'static str> {
    match code {
        0x01 => Some("active"),
        0x00 => Some("deleted"),
        _ => None,
    }
}

/// The value of a numeric code with its meaning.
pub fn code(raw: impl Into<u64>, meaning: fn(u64) -> Option<&'static str>) -> Value {
    let raw = raw.into();
    Value::Code {
        raw,
        meaning: meaning(raw),
    }
}

/// Implements [`Format`](crate::format::Format) for a family of fixed-size
/// binrw records, each described by a field table, after an optional fixed
/// binrw header with its own table (a family without `header:` has
/// [`NoHeader`](crate::format::NoHeader) and `HEADER_LEN` 0). `info` maps a
/// record to `Option<Info>`.
macro_rules! fixed_format {
    (
        $file:ty,
        header: $header:ty = $header_table:expr,
        record: $record:ty = $record_table:expr,
        info: $info:ty = $info_fn:expr,
        rule: $rule:expr $(,)?
    ) => {
        $crate::fixed::fixed_format!(@impl $file, $header, $header_table, $record, $record_table, $info, $info_fn, $rule);
    };
    (
        $file:ty,
        record: $record:ty = $record_table:expr,
        info: $info:ty = $info_fn:expr,
        rule: $rule:expr $(,)?
    ) => {
        $crate::fixed::fixed_format!(
            @impl $file, $crate::format::NoHeader, &[], $record, $record_table, $info, $info_fn, $rule
        );
    };
    (
        @impl $file:ty, $header:ty, $header_table:expr, $record:ty, $record_table:expr,
        $info:ty, $info_fn:expr, $rule:expr
    ) => {
        impl $crate::format::Format for $file {
            type Header = $header;
            type Record = $record;
            type Info<'a> = $info;
            const HEADER_LEN: usize = $crate::fixed::table_len($header_table);
            const RECORD: $crate::format::RecordSize =
                $crate::format::RecordSize::Fixed($crate::fixed::table_len($record_table));

            fn size_rule() -> &'static str {
                $rule
            }

            fn header_fields() -> &'static [(usize, usize, &'static str)] {
                $header_table
            }

            fn record_fields() -> &'static [(usize, usize, &'static str)] {
                $record_table
            }

            fn decode_header(bytes: &[u8]) -> Result<$header, $crate::error::FieldFault> {
                $crate::fixed::decode(bytes, $header_table)
            }

            fn decode_record(
                bytes: &[u8],
                out: &mut $record,
            ) -> Result<(), $crate::error::FieldFault> {
                *out = $crate::fixed::decode(bytes, $record_table)?;
                Ok(())
            }

            fn encode_header(
                h: &$header,
                out: &mut Vec<u8>,
            ) -> Result<(), $crate::error::FieldFault> {
                $crate::fixed::encode(h, out, $header_table)
            }

            fn encode_record(
                r: &$record,
                out: &mut Vec<u8>,
            ) -> Result<(), $crate::error::FieldFault> {
                $crate::fixed::encode(r, out, $record_table)
            }

            fn info(r: &$record) -> Option<$info> {
                $info_fn(r)
            }
        }
    };
}
pub(crate) use fixed_format;

#[cfg(test)]
pub(crate) mod testing {
    //! Checks every fixed-size family runs: field tables, spans, sizes and
    //! round trips.

    use super::FieldTable;
    use crate::error::Error;
    use crate::format::{Document, Format, ReadOptions, RecordSize};
    use crate::kind::FileKind;
    use crate::layout::Annotate;

    /// The field table covers `0..size` with no gap or overlap, and the
    /// record's spans follow the same table.
    pub fn table_covers<F: Format>(size: usize) {
        assert_table_covers(F::record_fields(), size);
        assert_eq!(F::RECORD, RecordSize::Fixed(size));
        assert_spans_cover(&F::Record::default(), F::record_fields());
    }

    /// The table is contiguous from 0 and has `len` bytes.
    pub fn assert_table_covers(table: &FieldTable, len: usize) {
        let mut at = 0;
        for &(s, l, name) in table {
            assert_eq!(s, at, "field `{name}` starts at {s}, expected {at}");
            assert!(l > 0, "field `{name}` is empty");
            at = s + l;
        }
        assert_eq!(at, len, "table covers {at} bytes, expected {len}");
    }

    /// The spans of `item` cover every one of its `len` bytes, in order, and
    /// carry the table's names.
    pub fn assert_spans_cover<T: Annotate>(item: &T, table: &FieldTable) {
        let mut spans = Vec::new();
        item.spans(&mut spans);
        let got: Vec<(usize, usize, &str)> =
            spans.iter().map(|s| (s.start, s.len, s.name)).collect();
        assert_eq!(got, table.to_vec());
    }

    /// The bytes of a file made of `header` and `records`.
    pub fn file_bytes<F: Format>(
        kind: FileKind,
        header: F::Header,
        records: Vec<F::Record>,
    ) -> Vec<u8> {
        Document::<F> {
            kind,
            header: Some(header),
            records,
            trailing: vec![],
        }
        .to_bytes()
        .unwrap()
    }

    /// Parses `bytes` as a whole file and checks writing gives them back.
    pub fn bytes_round_trip<F: Format>(kind: FileKind, bytes: &[u8]) -> Document<F> {
        let doc = Document::<F>::from_bytes(bytes, kind, ReadOptions::default())
            .unwrap_or_else(|e| panic!("{kind} should accept {} bytes: {e}", bytes.len()));
        assert_eq!(
            doc.to_bytes().unwrap(),
            bytes,
            "{kind} writes back what it read"
        );
        doc
    }

    /// Encodes records then decodes them and compares.
    pub fn value_round_trip<F: Format>(kind: FileKind, header: F::Header, records: Vec<F::Record>) {
        let doc = Document::<F> {
            kind,
            header: Some(header),
            records,
            trailing: vec![],
        };
        let bytes = doc.to_bytes().unwrap();
        let back = Document::<F>::from_bytes(&bytes, kind, ReadOptions::default()).unwrap();
        assert_eq!(back.header, doc.header);
        assert_eq!(back.records, doc.records);
        assert!(back.trailing.is_empty());
    }

    /// A file one byte too long (and one too short) is a size error naming
    /// the record size; truncation inside a record names the cut field.
    pub fn wrong_sizes<F: Format>(kind: FileKind, one_record: &[u8], size: usize) {
        let header = F::HEADER_LEN;
        for len in [header + size - 1, header + size + 1, header + 2 * size - 3] {
            let mut bytes = one_record.to_vec();
            bytes.resize(len, 0);
            let err = Document::<F>::from_bytes(&bytes, kind, ReadOptions::default()).unwrap_err();
            match &err {
                Error::Size {
                    size: got, rule, ..
                } => {
                    assert_eq!(*got, len as u64);
                    assert!(rule.contains(&format!("{size}-byte")), "{rule}");
                    assert!(rule.contains("KB Q"), "the rule cites its source: {rule}");
                }
                other => panic!("expected a size error for {len} bytes, got {other}"),
            }
            assert!(err.to_string().contains(&size.to_string()), "{err}");
        }
    }
}
