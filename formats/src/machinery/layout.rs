//! Field maps: which byte range of an item is which field, with its typed value,
//! and where glbtool's knowledge of that field's position comes from.
//!
//! Every fixed layout is declared once, as a table of [`Field`]s (offset,
//! width, name, type, role and [`Provenance`]); the binrw struct of a fixed
//! family is generated beside its table by `fixed::fixed_struct!`, so the two
//! cannot disagree. The annotated hex dump, the diff, the truncation errors,
//! the JSON header's provenance list, `glbtool layout` and the tables in
//! `docs/formats/*.md` (checked by a test) all come from these tables;
//! renderers never decode bytes themselves.

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

/// The lower-case name of a field role, for JSON and colours.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Length => "length",
        Role::Checksum => "checksum",
        Role::Sync => "sync",
        Role::Time => "time",
        Role::Text => "text",
        Role::Flag => "flag",
        Role::Number => "number",
        Role::Pointer => "pointer",
        Role::Unknown => "unknown",
        Role::Terminator => "terminator",
    }
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
    /// Text, already decoded with the code page the spans were asked in.
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

/// Where glbtool's knowledge of a field's position (offset and width) comes from.
///
/// The byte layouts inside MS Mail's records were never published: only a few
/// offsets are stated in Knowledge Base articles. Every view of a file says,
/// field by field, which of these holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provenance {
    /// Offset and width are stated by Microsoft: the KB articles (and any note).
    Documented(&'static str),
    /// The start is stated by Microsoft (first: the KB articles); the width is
    /// glbtool's reconstruction (second: why).
    Start(&'static str, &'static str),
    /// Offset and width are glbtool's reconstruction: why (including what is
    /// documented about the field's content, with its KB numbers).
    Reconstructed(&'static str),
    /// Bytes of unknown meaning, kept verbatim; where they lie follows from the
    /// fields around them (any note).
    Unknown(&'static str),
}

/// What the one-character provenance marks of the annotated dump mean.
pub const MARK_LEGEND: &str = "D documented position (KB), S documented start with reconstructed width, R position reconstructed by glbtool, ? unknown bytes kept verbatim";

impl Provenance {
    /// The mark shown before a field's name in the annotated dump.
    pub fn mark(self) -> char {
        match self {
            Provenance::Documented(_) => 'D',
            Provenance::Start(..) => 'S',
            Provenance::Reconstructed(_) => 'R',
            Provenance::Unknown(_) => '?',
        }
    }

    /// `documented`, `start documented`, `reconstructed` or `unknown`, as in
    /// JSON and `glbtool layout`.
    pub fn label(self) -> &'static str {
        match self {
            Provenance::Documented(_) => "documented",
            Provenance::Start(..) => "start documented",
            Provenance::Reconstructed(_) => "reconstructed",
            Provenance::Unknown(_) => "unknown",
        }
    }

    /// True when offset and width are both documented.
    pub fn is_documented(self) -> bool {
        matches!(self, Provenance::Documented(_))
    }

    /// The whole statement, for tables: `documented (KB Q148666)`,
    /// `start documented (KB ...); width reconstructed: why`,
    /// `reconstructed: why`, `unknown, kept verbatim`.
    pub fn statement(self) -> String {
        match self {
            Provenance::Documented(src) => format!("documented ({src})"),
            Provenance::Start(src, why) => {
                format!("start documented ({src}); width reconstructed: {why}")
            }
            Provenance::Reconstructed(why) => format!("reconstructed: {why}"),
            Provenance::Unknown("") => "unknown, kept verbatim".to_string(),
            Provenance::Unknown(note) => format!("unknown, kept verbatim: {note}"),
        }
    }
}

impl serde::Serialize for Provenance {
    /// As its [`label`](Provenance::label).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

/// One field of a fixed layout, as declared once per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Offset from the start of the item (header or record).
    pub start: usize,
    /// Width in bytes (for the variable text of a queue record, the width of
    /// the shortest record's text, 0).
    pub len: usize,
    /// Field name, as in `docs/formats/*.md` and JSON.
    pub name: &'static str,
    /// How the bytes are read: `u8`, `u16 LE`, `text`, `bytes`, ...
    pub ty: &'static str,
    /// What kind of field it is.
    pub role: Role,
    /// What the field holds, in a few words.
    pub note: &'static str,
    /// Where its position comes from.
    pub provenance: Provenance,
}

impl Field {
    /// A placeholder, for building tables in `const` code.
    pub const EMPTY: Field = Field {
        start: 0,
        len: 0,
        name: "",
        ty: "",
        role: Role::Unknown,
        note: "",
        provenance: Provenance::Unknown(""),
    };
}

/// A field as declared, before its offset is worked out (see [`table`]).
#[derive(Debug, Clone, Copy)]
pub struct Decl {
    /// Field name.
    pub name: &'static str,
    /// Width in bytes.
    pub len: usize,
    /// How the bytes are read.
    pub ty: &'static str,
    /// What kind of field it is.
    pub role: Role,
    /// What the field holds.
    pub note: &'static str,
    /// Where its position comes from.
    pub provenance: Provenance,
}

/// Lays declared fields out back to back from offset 0.
pub const fn table<const N: usize>(decls: [Decl; N]) -> [Field; N] {
    let mut out = [Field::EMPTY; N];
    let mut at = 0;
    let mut i = 0;
    while i < N {
        let d = decls[i];
        out[i] = Field {
            start: at,
            len: d.len,
            name: d.name,
            ty: d.ty,
            role: d.role,
            note: d.note,
            provenance: d.provenance,
        };
        at += d.len;
        i += 1;
    }
    out
}

/// A family's layout: its header and record tables and its spec page.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The spec page, relative to the repository (`docs/formats/network.md`).
    pub spec: &'static str,
    /// The file header's fields (empty when there is none).
    pub header: &'static [Field],
    /// The record's fields (empty when the file is the header alone).
    pub record: &'static [Field],
}

impl Layout {
    /// Every field, header first.
    pub fn fields(&self) -> impl Iterator<Item = &'static Field> {
        self.header.iter().chain(self.record.iter())
    }

    /// The one-line statement text views print under their title: the spec
    /// page and which positions are documented; `kind` names the file kind
    /// for the `glbtool layout` hint.
    pub fn summary(&self, kind: &str) -> String {
        let names = |keep: fn(Provenance) -> bool| -> Vec<&str> {
            self.fields()
                .filter(|f| keep(f.provenance))
                .map(|f| f.name)
                .collect()
        };
        let documented = names(|p| matches!(p, Provenance::Documented(_)));
        let starts = names(|p| matches!(p, Provenance::Start(..)));
        let mut parts = Vec::new();
        if !documented.is_empty() {
            parts.push(format!(
                "positions documented (KB): {}",
                documented.join(", ")
            ));
        }
        if !starts.is_empty() {
            parts.push(format!(
                "start documented, width reconstructed: {}",
                starts.join(", ")
            ));
        }
        let rest = if parts.is_empty() {
            "every field position is glbtool's reconstruction".to_string()
        } else {
            parts.push("every other position is glbtool's reconstruction".to_string());
            parts.join("; ")
        };
        format!(
            "Layout: {}; {rest} (`glbtool layout {kind}` gives each field's source).",
            self.spec
        )
    }
}

/// What JSON documents say about a layout (`"layout"` in the document and in
/// the first NDJSON line): the spec page and the field names by provenance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    /// The spec page, relative to the repository.
    pub spec: &'static str,
    /// Fields whose offset and width are documented (KB).
    pub documented: Vec<&'static str>,
    /// Fields whose start is documented and whose width is reconstructed.
    pub start_documented: Vec<&'static str>,
    /// Fields whose position is glbtool's reconstruction.
    pub reconstructed: Vec<&'static str>,
    /// Bytes of unknown meaning, kept verbatim.
    pub unknown: Vec<&'static str>,
    /// Where the reasons are.
    pub note: String,
}

impl Layout {
    /// The layout's [`Statement`], header fields first (a name that appears
    /// in both header and record, such as `reserved`, is listed once per
    /// provenance); `kind` names the file kind for the `glbtool layout` hint.
    pub fn statement(&self, kind: &str) -> Statement {
        let mut st = Statement {
            spec: self.spec,
            documented: Vec::new(),
            start_documented: Vec::new(),
            reconstructed: Vec::new(),
            unknown: Vec::new(),
            note: format!("field positions are glbtool's reconstruction unless listed as documented; `glbtool layout {kind}` and the spec page give each field's source"),
        };
        for f in self.fields() {
            let list = match f.provenance {
                Provenance::Documented(_) => &mut st.documented,
                Provenance::Start(..) => &mut st.start_documented,
                Provenance::Reconstructed(_) => &mut st.reconstructed,
                Provenance::Unknown(_) => &mut st.unknown,
            };
            if !list.contains(&f.name) {
                list.push(f.name);
            }
        }
        st
    }
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
    /// Where its position comes from.
    pub provenance: Provenance,
    /// Its value.
    pub value: Value,
}

impl Span {
    /// The span of a declared field, with its value.
    pub fn of(field: &Field, value: Value) -> Self {
        Span {
            start: field.start,
            len: field.len,
            name: field.name,
            role: field.role,
            provenance: field.provenance,
            value,
        }
    }

    /// The span of a declared field whose width in this item differs from the
    /// declared one (the text of a queue record).
    pub fn sized(field: &Field, len: usize, value: Value) -> Self {
        Span {
            len,
            ..Span::of(field, value)
        }
    }
}

/// A value that can describe its own bytes.
pub trait Annotate {
    /// Appends this item's field spans, in offset order, covering every byte.
    fn spans(&self, cp: crate::codepage::CodePage, out: &mut Vec<Span>);
}

/// The name of the field that covers `rel` in a field table, for error
/// messages about truncated items.
pub fn field_at(table: &[Field], rel: usize) -> &'static str {
    table
        .iter()
        .find(|f| rel >= f.start && rel < f.start.saturating_add(f.len))
        .or(table.last())
        .map_or("record", |f| f.name)
}

/// The field called `name` in a table.
pub fn field_named(table: &'static [Field], name: &str) -> Option<&'static Field> {
    table.iter().find(|f| f.name == name)
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
