//! Field maps: which byte range of an item is which field, with its typed value.
//!
//! The annotated hex dump and the diff of unknown bytes are built from these
//! maps, so renderers never decode bytes themselves.

use crate::fields::Stamp;

/// What kind of thing a field is; renderers colour by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A length or count field.
    Length,
    /// A stored checksum.
    Checksum,
    /// A sync (sequence) number.
    Sync,
    /// A time stamp.
    Time,
    /// Text.
    Text,
    /// A flag, type or status code.
    Flag,
    /// Any other number.
    Number,
    /// A byte offset into another file, or into this one.
    Pointer,
    /// Bytes of unknown meaning, kept verbatim.
    Unknown,
    /// A terminating NUL or padding of known meaning.
    Terminator,
}

/// The typed value of a field, for display.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An unsigned number.
    Unsigned(u64),
    /// A signed number.
    Signed(i64),
    /// A time stamp.
    Time(Stamp),
    /// Text, already decoded with the active code page.
    Text(String),
    /// A stored checksum and, when known, the one computed over the data.
    Checksum {
        /// As stored.
        stored: u16,
        /// As computed by glbtool's algorithm.
        computed: u16,
    },
    /// A code with its meaning.
    Code {
        /// The raw number.
        raw: u64,
        /// What it means, `None` when unknown.
        meaning: Option<&'static str>,
    },
    /// Bytes shown only as hex (unknown bytes).
    Bytes,
}

/// One field's place in an item and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Offset from the start of the item (header or record).
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
    /// Field name as in `docs/formats/*.md` and JSON.
    pub name: &'static str,
    /// What kind of field it is.
    pub role: Role,
    /// Its value.
    pub value: Value,
}

impl Span {
    /// Builds a span.
    pub fn new(start: usize, len: usize, name: &'static str, role: Role, value: Value) -> Self {
        Span {
            start,
            len,
            name,
            role,
            value,
        }
    }
}

/// A value that can describe its own bytes.
pub trait Annotate {
    /// Appends this item's field spans, in offset order, covering every byte.
    fn spans(&self, out: &mut Vec<Span>);
}

/// The name of the field that covers `rel` in a static field table of
/// `(start, len, name)` triples, for error messages about truncated items.
pub fn field_at(table: &[(usize, usize, &'static str)], rel: usize) -> &'static str {
    table
        .iter()
        .find(|(s, l, _)| rel >= *s && rel < s + l)
        .or(table.last())
        .map_or("record", |t| t.2)
}

/// The runs of differing bytes of two slices, over their common length, in
/// order (the diff and patch reports name changed bytes by these runs).
pub fn differing_runs<'a>(
    a: &'a [u8],
    b: &'a [u8],
) -> impl Iterator<Item = std::ops::Range<usize>> + 'a {
    let n = a.len().min(b.len());
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < n && a[i] == b[i] {
            i += 1;
        }
        if i == n {
            return None;
        }
        let start = i;
        while i < n && a[i] != b[i] {
            i += 1;
        }
        Some(start..i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differing_runs_are_maximal_and_in_order() {
        let runs: Vec<_> = differing_runs(b"abcdefgh", b"aXYdeZgh!").collect();
        assert_eq!(runs, [1..3, 5..6]);
        assert_eq!(differing_runs(b"same", b"same").count(), 0);
        assert_eq!(differing_runs(b"", b"x").count(), 0);
    }
}
