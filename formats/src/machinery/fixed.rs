//! Helpers shared by the fixed-layout families (REQCONF, SRVCONF, PROCESS,
//! NME, USR, NETPO, NETWORK, XTN): decoding and encoding a binrw struct from
//! and to exactly its bytes, building an item's field map from its static
//! field table, the one-byte delete code, and the `Format` implementations
//! of fixed-record families.
//!
//! A family declares each struct once with `fixed_struct!`: the binrw
//! struct, its field table (offset, width, name, type, role, provenance) and
//! its spans in the annotated dump (the [`Annotate`] impl, each field's value
//! by its type, [`FieldValue`], or by the view its declaration names) come
//! from the one declaration, offsets and widths from the field types. The
//! same table names the field a truncation cuts (`Format::header_fields` and
//! `record_fields`), lists the reconstructed fields in JSON, is printed by
//! `glbtool layout` and is the table of `docs/formats/*.md` (a test compares
//! them).

use std::io::Cursor;

use binrw::{BinRead, BinWrite, Endian};

use crate::codepage::CodePage;
use crate::error::FieldFault;
use crate::fields::{Reserved, Stamp, Text};
use crate::hexid::Hexid;
#[cfg(doc)]
use crate::layout::Annotate;
use crate::layout::{Field, Span, Value};

/// A field table in offset order, covering every byte.
pub type FieldTable = [Field];

/// The width and type name of a field type of a fixed layout.
pub trait Width {
    /// Bytes on disk.
    const LEN: usize;
    /// How the bytes are read, for `glbtool layout` and the spec tables.
    const TYPE: &'static str;
}

macro_rules! width {
    ($($t:ty => $len:expr, $name:expr;)*) => {$(
        impl Width for $t {
            const LEN: usize = $len;
            const TYPE: &'static str = $name;
        }
    )*};
}

width! {
    u8 => 1, "u8";
    u16 => 2, "u16 LE";
    u32 => 4, "u32 LE";
    i32 => 4, "i32 LE";
    Stamp => 4, "time (u32 LE)";
    Hexid => 4, "hexid (u32 LE)";
}

impl<const N: usize> Width for Text<N> {
    const LEN: usize = N;
    const TYPE: &'static str = "text";
}

impl<const N: usize> Width for Reserved<N> {
    const LEN: usize = N;
    const TYPE: &'static str = "bytes";
}

/// How a field of a fixed layout is shown in the annotated dump, by its type
/// (numbers as numbers, times as times, text decoded with the code page,
/// hexids as their digits, unknown bytes as bytes). A field whose number is
/// a code with a meaning names its own view in its declaration.
pub trait FieldValue {
    /// The field's value.
    fn value(&self, cp: CodePage) -> Value;
}

macro_rules! unsigned_value {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            fn value(&self, _cp: CodePage) -> Value {
                Value::Unsigned(u64::from(*self))
            }
        }
    )*};
}

unsigned_value!(u8, u16, u32);

impl FieldValue for i32 {
    fn value(&self, _cp: CodePage) -> Value {
        Value::Signed(i64::from(*self))
    }
}

impl FieldValue for Stamp {
    fn value(&self, _cp: CodePage) -> Value {
        Value::Time(*self)
    }
}

impl FieldValue for Hexid {
    fn value(&self, _cp: CodePage) -> Value {
        Value::Text(self.digits())
    }
}

impl<const N: usize> FieldValue for Text<N> {
    fn value(&self, cp: CodePage) -> Value {
        Value::Text(self.decode(cp))
    }
}

impl<const N: usize> FieldValue for Reserved<N> {
    fn value(&self, _cp: CodePage) -> Value {
        Value::Bytes
    }
}

/// One field's value in [`fixed_struct!`]'s [`Annotate`] impl: by its type,
/// or through the view its declaration names.
macro_rules! field_value {
    ($value:expr, $cp:expr) => {
        $crate::fixed::FieldValue::value(&$value, $cp)
    };
    ($value:expr, $cp:expr, $view:expr) => {
        ($view)(&$value)
    };
}
pub(crate) use field_value;

/// Declares a fixed-layout struct, its field table and its spans together.
///
/// ```ignore
/// fixed_struct! {
///     /// One network.
///     #[derive(BinRead, BinWrite, ...)]
///     #[brw(little)]
///     pub struct NetworkRecord in FIELDS {
///         /// The delete code.
///         pub status: u8 = (Flag, "01 active, 00 deleted", Documented("KB Q148666"),
///             view = fixed::status),
///         pub name: Text<11> = (Text, "network name", Start("KB Q148666", "...")),
///         ...
///     }
/// }
/// ```
///
/// Each field is followed by its role (a [`Role`](crate::layout::Role)
/// variant), what it holds and its [`Provenance`](crate::layout::Provenance)
/// (variants in scope), and optionally `view =` a function from the field to
/// its [`Value`] (for codes with a meaning; otherwise the type's
/// [`FieldValue`]). The table, a `const` named after `in`, lays the fields
/// out back to back in declaration order, each as wide as its type
/// ([`Width`]), exactly as binrw reads the struct; the struct's [`Annotate`]
/// impl gives one span per table entry, so the annotated dump cannot
/// disagree with the table.
macro_rules! fixed_struct {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident in $table:ident {
            $(
                $(#[$fmeta:meta])*
                $fvis:vis $field:ident : $fty:ty = (
                    $role:ident, $note:expr, $prov:expr $(, view = $view:expr)? $(,)?
                )
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $fty, )*
        }

        const $table: &$crate::fixed::FieldTable = &$crate::layout::table([
            $(
                $crate::layout::Decl {
                    name: stringify!($field),
                    len: <$fty as $crate::fixed::Width>::LEN,
                    ty: <$fty as $crate::fixed::Width>::TYPE,
                    role: $crate::layout::Role::$role,
                    note: $note,
                    provenance: {
                        #[allow(unused_imports)]
                        use $crate::layout::Provenance::*;
                        $prov
                    },
                }
            ),*
        ]);

        impl $crate::layout::Annotate for $name {
            fn spans(
                &self,
                cp: $crate::codepage::CodePage,
                out: &mut Vec<$crate::layout::Span>,
            ) {
                $crate::fixed::spans(
                    $table,
                    [$($crate::fixed::field_value!(self.$field, cp $(, $view)?)),*],
                    out,
                );
            }
        }
    };
}
pub(crate) use fixed_struct;

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
        Some(f) => f.start + f.len,
        None => 0,
    }
}

fn first_name(table: &FieldTable) -> &'static str {
    table.first().map_or("header", |f| f.name)
}

/// Appends one span per table entry, with the values in table order.
pub fn spans<const N: usize>(table: &'static FieldTable, values: [Value; N], out: &mut Vec<Span>) {
    debug_assert_eq!(table.len(), N, "one value per field");
    for (field, value) in table.iter().zip(values) {
        out.push(Span::of(field, value));
    }
}

/// The view of a delete code ([`status_meaning`]), for `view =` in
/// `fixed_struct!`.
pub fn status<T: Copy + Into<u64>>(code: &T) -> Value {
    self::code(*code, status_meaning)
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
        derived: $derived:expr,
        rule: $rule:expr,
        spec: $spec:expr $(,)?
    ) => {
        $crate::fixed::fixed_format!(@impl $file, $header, $header_table, $record, $record_table, $info, $info_fn, $derived, $rule, $spec);
    };
    (
        $file:ty,
        record: $record:ty = $record_table:expr,
        info: $info:ty = $info_fn:expr,
        derived: $derived:expr,
        rule: $rule:expr,
        spec: $spec:expr $(,)?
    ) => {
        $crate::fixed::fixed_format!(
            @impl $file, $crate::format::NoHeader, &[], $record, $record_table, $info, $info_fn, $derived, $rule, $spec
        );
    };
    (
        @impl $file:ty, $header:ty, $header_table:expr, $record:ty, $record_table:expr,
        $info:ty, $info_fn:expr, $derived:expr, $rule:expr, $spec:expr
    ) => {
        impl $crate::format::Format for $file {
            type Header = $header;
            type Record = $record;
            type Info<'a> = $info;
            const HEADER_LEN: usize = $crate::fixed::table_len($header_table);
            const RECORD: $crate::format::RecordSize =
                $crate::format::RecordSize::Fixed($crate::fixed::table_len($record_table));
            const SPEC: &'static str = $spec;

            fn size_rule() -> &'static str {
                $rule
            }

            fn header_fields() -> &'static $crate::fixed::FieldTable {
                $header_table
            }

            fn record_fields() -> &'static $crate::fixed::FieldTable {
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

            fn info(r: &$record, cp: $crate::codepage::CodePage) -> Option<$info> {
                $info_fn(r, cp)
            }

            fn derived_from(key: &str) -> &'static str {
                let table: &[(&str, &'static str)] = $derived;
                table
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or("the record's stored fields", |(_, f)| *f)
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
        for f in table {
            let name = f.name;
            assert_eq!(
                f.start, at,
                "field `{name}` starts at {}, expected {at}",
                f.start
            );
            assert!(f.len > 0, "field `{name}` is empty");
            at = f.start + f.len;
        }
        assert_eq!(at, len, "table covers {at} bytes, expected {len}");
    }

    /// The spans of `item` cover every one of its `len` bytes, in order, and
    /// carry the table's names.
    pub fn assert_spans_cover<T: Annotate>(item: &T, table: &FieldTable) {
        let mut spans = Vec::new();
        item.spans(crate::codepage::CodePage::Cp850, &mut spans);
        let got: Vec<_> = spans
            .iter()
            .map(|s| (s.start, s.len, s.name, s.role, s.provenance))
            .collect();
        let want: Vec<_> = table
            .iter()
            .map(|f| (f.start, f.len, f.name, f.role, f.provenance))
            .collect();
        assert_eq!(got, want);
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
