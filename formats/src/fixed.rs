//! Helpers shared by the fixed-layout families (REQCONF, SRVCONF, PROCESS):
//! decoding and encoding a binrw struct from and to exactly its bytes, and
//! building an item's field map from its static field table.
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
pub(crate) fn decode<T>(bytes: &[u8], table: &'static FieldTable) -> Result<T, FieldFault>
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
pub(crate) fn encode<T>(
    value: &T,
    out: &mut Vec<u8>,
    table: &'static FieldTable,
) -> Result<(), FieldFault>
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
pub(crate) const fn table_len(table: &FieldTable) -> usize {
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
pub(crate) fn spans<const N: usize>(
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
pub(crate) fn text<const N: usize>(t: &crate::fields::Text<N>) -> Value {
    Value::Text(t.text())
}

/// Implements [`Format`](crate::format::Format) for a family made of a fixed
/// binrw header and fixed binrw records, each described by a field table.
macro_rules! fixed_format {
    (
        $file:ty,
        header: $header:ty = $header_table:expr,
        record: $record:ty = $record_table:expr,
        info: $info:ty = $info_fn:expr,
        rule: $rule:expr $(,)?
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
pub(crate) mod test_support {
    use super::*;
    use crate::layout::Annotate;

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
}
