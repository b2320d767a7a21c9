//! What the fixed-size record families (NME, USR, NETPO, NETWORK, XTN) share:
//! decoding and encoding a binrw record from and to exactly its bytes, the
//! one-byte delete code, field spans built from the same table that names
//! fields in truncation errors, and the [`Format`](crate::format::Format)
//! implementation of a family without a file header.

use std::io::Cursor;

use binrw::{BinRead, BinWrite, Endian};

use crate::error::FieldFault;
use crate::layout::{Role, Span, Value};

/// A field table: `(start, len, name)` per field, in offset order.
pub type FieldTable = &'static [(usize, usize, &'static str)];

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

/// Decodes a fixed-size record. The reader hands over exactly the record's
/// bytes, and every field type accepts any bytes, so this fails only if the
/// model and its size disagree (a bug); the fault then names `first_field`.
pub fn decode<T>(bytes: &[u8], first_field: &'static str) -> Result<T, FieldFault>
where
    T: for<'a> BinRead<Args<'a> = ()>,
{
    T::read_options(&mut Cursor::new(bytes), Endian::Little, ())
        .map_err(|e| FieldFault::new(0, first_field, format!("unreadable record: {e}")))
}

/// Appends a fixed-size record's bytes.
pub fn encode<T>(value: &T, out: &mut Vec<u8>, first_field: &'static str) -> Result<(), FieldFault>
where
    T: for<'a> BinWrite<Args<'a> = ()>,
{
    let start = out.len();
    let mut cur = Cursor::new(std::mem::take(out));
    cur.set_position(start as u64);
    let result = value.write_options(&mut cur, Endian::Little, ());
    *out = cur.into_inner();
    result.map_err(|e| FieldFault::new(0, first_field, format!("cannot encode: {e}")))
}

/// Appends one span per table entry, pairing each with its role and value.
pub fn push_spans<const N: usize>(
    table: FieldTable,
    values: [(Role, Value); N],
    out: &mut Vec<Span>,
) {
    debug_assert_eq!(table.len(), N, "one value per field");
    for (&(start, len, name), (role, value)) in table.iter().zip(values) {
        out.push(Span::new(start, len, name, role, value));
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
/// records with no file header, whose record model derives binrw.
macro_rules! headerless_fixed_format {
    (
        $(#[$doc:meta])*
        $name:ident {
            record: $record:ty,
            size: $size:expr,
            fields: $fields:expr,
            info: $info:ty = $info_fn:expr,
            rule: $rule:expr $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl $crate::format::Format for $name {
            type Header = $crate::format::NoHeader;
            type Record = $record;
            type Info<'a> = $info;
            const HEADER_LEN: usize = 0;
            const RECORD: $crate::format::RecordSize = $crate::format::RecordSize::Fixed($size);

            fn size_rule() -> &'static str {
                $rule
            }

            fn header_fields() -> &'static [(usize, usize, &'static str)] {
                &[]
            }

            fn record_fields() -> &'static [(usize, usize, &'static str)] {
                $fields
            }

            fn decode_header(
                _: &[u8],
            ) -> Result<$crate::format::NoHeader, $crate::error::FieldFault> {
                Ok($crate::format::NoHeader)
            }

            fn decode_record(
                bytes: &[u8],
                out: &mut $record,
            ) -> Result<(), $crate::error::FieldFault> {
                *out = $crate::fixed::decode(bytes, $fields[0].2)?;
                Ok(())
            }

            fn encode_header(
                _: &$crate::format::NoHeader,
                _: &mut Vec<u8>,
            ) -> Result<(), $crate::error::FieldFault> {
                Ok(())
            }

            fn encode_record(
                r: &$record,
                out: &mut Vec<u8>,
            ) -> Result<(), $crate::error::FieldFault> {
                $crate::fixed::encode(r, out, $fields[0].2)
            }

            fn info(r: &$record) -> Option<$info> {
                Some($info_fn(r))
            }
        }
    };
}
pub(crate) use headerless_fixed_format;

#[cfg(test)]
pub(crate) mod testing {
    //! Checks every fixed-size family runs.

    use crate::error::Error;
    use crate::format::{Document, Format, ReadOptions, RecordSize};
    use crate::kind::FileKind;
    use crate::layout::Annotate;

    /// The field table covers `0..size` with no gap or overlap, and the
    /// record's spans follow the same table.
    pub fn table_covers<F: Format>(size: usize) {
        let table = F::record_fields();
        let mut at = 0;
        for &(start, len, name) in table {
            assert_eq!(start, at, "field `{name}` should start at {at}");
            at += len;
        }
        assert_eq!(at, size, "the fields add up to the record size");
        assert_eq!(F::RECORD, RecordSize::Fixed(size));
        let mut spans = Vec::new();
        F::Record::default().spans(&mut spans);
        let from_spans: Vec<_> = spans.iter().map(|s| (s.start, s.len, s.name)).collect();
        assert_eq!(from_spans, table.to_vec());
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
