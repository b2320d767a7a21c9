//! Structural differences between two files of one family: transaction
//! queues matched by sync number, configuration files field by field
//! (SRVCONF requestor records by requestor name, PROCESS records by ID),
//! address lists entry by entry (by address, TID or friendly name).
//!
//! Spec: `docs/diff.md`. Records are paired by a key built from their raw
//! bytes, through the family's own field table (`Format::record_fields`), so
//! nothing is decoded until two records differ. Each side's keys are sorted
//! (a file already in key order, such as a queue in sync order or a GAL in
//! name order, is only checked) and the two sides merged: O(n log n) at worst.
//! Records whose keys occur more than once are paired in file order.
//!
//! Two paired records are compared field by field through their field maps
//! ([`Annotate`]): every byte belongs to a field, so every differing byte is
//! reported. Unknown bytes (`Role::Unknown`), and bytes that differ while the
//! shown values are equal (text after its NUL), are reported as byte ranges
//! with their absolute offsets in both files.

use std::cmp::Ordering;

use glb_formats::codepage::CodePage;
use glb_formats::error::{Error, Result};
use glb_formats::fields::Stamp;
use glb_formats::format::{Format, ReadOptions, Reader, RecordSize};
use glb_formats::import::{self, Transaction};
use glb_formats::kind::{Family, FileKind};
use glb_formats::layout::{role_name, Annotate, Role, Span, Value};
use glb_formats::netpo::NetpoRecord;
use glb_formats::nme::{Nme, NmeRecord};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::resolve::Resolver;

/// How records of the two files are paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Key {
    /// The family's natural key (see [`Key::resolve`]).
    Auto,
    /// Queue records: the sync number.
    Sync,
    /// Address-list entries: the address (`NET/PO/MAILBOX`).
    Address,
    /// Address-list entries: the TID.
    Tid,
    /// Friendly name (NME, USR), requestor name (SRVCONF), network or
    /// postoffice name (NETWORK, XTN).
    Name,
    /// PROCESS records: the record ID.
    Id,
    /// Record position: the n-th record of one file with the n-th of the other.
    Position,
}

impl Key {
    /// The lower-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Key::Auto => "auto",
            Key::Sync => "sync",
            Key::Address => "address",
            Key::Tid => "tid",
            Key::Name => "name",
            Key::Id => "id",
            Key::Position => "position",
        }
    }

    /// The keys a family can be matched by; the first is its `auto` choice
    /// (NME: `address` only when both files' NETPO.GLB is at hand, else `name`).
    pub fn choices(family: Family) -> &'static [Key] {
        match family {
            Family::Queue => &[Key::Sync, Key::Position],
            Family::ReqConf => &[Key::Position],
            Family::SrvConf => &[Key::Name, Key::Position],
            Family::Process => &[Key::Id, Key::Position],
            Family::Nme => &[Key::Name, Key::Address, Key::Tid, Key::Position],
            Family::Usr => &[Key::Address, Key::Name, Key::Tid, Key::Position],
            Family::Netpo | Family::Galnetpo => &[Key::Address, Key::Tid, Key::Position],
            Family::Network | Family::Xtn => &[Key::Name, Key::Position],
        }
    }

    /// The key to use for `family`: `self` when it applies, the family's
    /// natural key for `Auto`; an error naming the keys that do apply otherwise.
    pub fn resolve(self, family: Family, kind: FileKind, addresses: bool) -> Result<Key> {
        let choices = Key::choices(family);
        if self == Key::Auto {
            return Ok(if family == Family::Nme && addresses {
                Key::Address
            } else {
                choices[0]
            });
        }
        if !choices.contains(&self) {
            let names: Vec<&str> = choices.iter().map(|k| k.name()).collect();
            return Err(Error::Diff {
                message: format!(
                    "--key {} does not apply to {kind}; its records can be matched by: {}",
                    self.name(),
                    names.join(", ")
                ),
            });
        }
        if family == Family::Nme && self == Key::Address && !addresses {
            return Err(Error::Diff {
                message: "NME records hold no addresses: --key address needs the NETPO.GLB \
                          (GALNETPO.GLB for a GAL) beside each NME file, in the postoffice's GLB folder"
                    .into(),
            });
        }
        Ok(self)
    }
}

impl std::str::FromStr for Key {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Key, String> {
        const ALL: [Key; 7] = [
            Key::Auto,
            Key::Sync,
            Key::Address,
            Key::Tid,
            Key::Name,
            Key::Id,
            Key::Position,
        ];
        ALL.into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown key `{s}`; keys: auto, sync, address, tid, name, id, position")
            })
    }
}

/// One of the two files, held in memory, with what its keys may need.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The file's bytes.
    pub bytes: &'a [u8],
    /// Its kind.
    pub kind: FileKind,
    /// For an NME file: the records of the NETPO.GLB (GALNETPO.GLB for a
    /// GAL) its external entries point into, to match them by address.
    pub netpo: Option<&'a Resolver>,
    /// For a USR file: its list's `NETWORK/POSTOFFICE`, the first elements of
    /// its entries' addresses.
    pub list: Option<&'a str>,
    /// The code page of its text.
    pub codepage: CodePage,
}

impl<'a> Side<'a> {
    /// A side with no context, its text in code page `cp`.
    pub fn new(bytes: &'a [u8], kind: FileKind, cp: CodePage) -> Self {
        Side {
            bytes,
            kind,
            netpo: None,
            list: None,
            codepage: cp,
        }
    }
}

/// A field's value as a report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Shown {
    /// An unsigned number.
    Unsigned(u64),
    /// A signed number.
    Signed(i64),
    /// A time stamp (JSON: RFC 3339).
    Time(Stamp),
    /// Text, decoded with the file's code page.
    Text(String),
    /// A code with its meaning.
    Code {
        /// The raw number.
        raw: u64,
        /// What it means, `null` when unknown.
        meaning: Option<&'static str>,
    },
    /// A stored checksum and the one glbtool computes.
    Checksum {
        /// As stored, 4 hex digits.
        stored: String,
        /// As computed, 4 hex digits.
        computed: String,
    },
    /// Bytes of unknown meaning.
    Bytes {
        /// The bytes as lower-case hex.
        hex: String,
    },
}

impl Shown {
    fn of(value: &Value, raw: &[u8]) -> Shown {
        match value {
            Value::Unsigned(v) => Shown::Unsigned(*v),
            Value::Signed(v) => Shown::Signed(*v),
            Value::Time(t) => Shown::Time(*t),
            Value::Text(t) => Shown::Text(t.clone()),
            Value::Code { raw, meaning } => Shown::Code {
                raw: *raw,
                meaning: *meaning,
            },
            Value::Checksum { stored, computed } => Shown::Checksum {
                stored: format!("{stored:04X}"),
                computed: format!("{computed:04X}"),
            },
            Value::Bytes => Shown::Bytes {
                hex: hex::encode(raw),
            },
        }
    }
}

fn serialize_role<S: Serializer>(role: &Role, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(role_name(*role))
}

/// A run of differing bytes: where it starts in each file, and its length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ByteRange {
    /// Absolute offset in the first file.
    pub a_offset: u64,
    /// Absolute offset in the second file.
    pub b_offset: u64,
    /// Number of bytes (the longer side's, when one side is shorter).
    pub len: u64,
    /// The first file's bytes, as hex.
    pub a: String,
    /// The second file's bytes, as hex.
    pub b: String,
}

/// One field whose bytes differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// The field name, as in `docs/formats/*.md` and JSON.
    pub field: &'static str,
    /// What kind of field it is.
    #[serde(serialize_with = "serialize_role")]
    pub role: Role,
    /// Whether its position is documented or glbtool's reconstruction.
    pub provenance: glb_formats::layout::Provenance,
    /// Its value in the first file.
    pub a: Shown,
    /// Its value in the second file.
    pub b: Shown,
    /// The differing bytes, for unknown bytes and for fields whose shown
    /// values are equal while their bytes are not.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bytes: Vec<ByteRange>,
}

/// One part of a transaction that differs (queue records only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartChange {
    /// `command`, `alias`, `address`, `new alias`, `new address`,
    /// `template lines`, `template definition` or `comment`.
    pub part: &'static str,
    /// In the first file (`null` when absent).
    pub a: Option<String>,
    /// In the second file.
    pub b: Option<String>,
}

/// Fields in order, serialized as a JSON object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields(pub Vec<(&'static str, Shown)>);

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Fields {
    /// The value of a field, if present.
    pub fn get(&self, name: &str) -> Option<&Shown> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// Where a record is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Place {
    /// Zero-based record index.
    pub index: u64,
    /// Absolute byte offset.
    pub offset: u64,
}

/// A record's key, as shown, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordKey {
    /// The key as written in the record (numbers in decimal, TIDs in hex).
    pub key: String,
    /// What the key is: `sync`, `address`, `TID`, `name`, `id` or `record`
    /// (an NME entry without an address is keyed by `name` under `--key address`).
    pub by: &'static str,
}

/// A record found in one file only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// Its key.
    #[serde(flatten)]
    pub key: RecordKey,
    /// Where it is.
    #[serde(flatten)]
    pub place: Place,
    /// Its fields (unknown bytes left out).
    pub fields: Fields,
}

/// A record present in both files with different bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changed {
    /// Its key.
    #[serde(flatten)]
    pub key: RecordKey,
    /// Where it is in the first file.
    pub a: Place,
    /// Where it is in the second file.
    pub b: Place,
    /// The fields whose bytes differ, in field order.
    pub fields: Vec<FieldChange>,
    /// For a transaction: which of its parts differ.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transaction: Vec<PartChange>,
}

/// Two records present in both files whose order differs: the first record
/// (in the first file's order) that comes before one it followed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reordered {
    /// The record's key.
    pub key: RecordKey,
    /// Where it is in the first file.
    pub a: Place,
    /// Where it is in the second file.
    pub b: Place,
    /// The key of the record it followed in the first file and precedes in the second.
    pub before: RecordKey,
}

/// The differences between two files of one family.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileDiff {
    /// The first file's kind.
    pub kind_a: FileKind,
    /// The second file's kind.
    pub kind_b: FileKind,
    /// How records were paired.
    pub key: Key,
    /// Records in the first file.
    pub records_a: u64,
    /// Records in the second file.
    pub records_b: u64,
    /// Header fields that differ.
    pub header: Vec<FieldChange>,
    /// Records only in the first file, in key order.
    pub removed: Vec<Item>,
    /// Records only in the second file, in key order.
    pub added: Vec<Item>,
    /// Records in both whose bytes differ, in key order.
    pub changed: Vec<Changed>,
    /// Records in both with identical bytes.
    pub unchanged: u64,
    /// Set when records present in both files are in a different order.
    pub reordered: Option<Reordered>,
    /// What the reader should know about how the files were compared.
    pub notes: Vec<String>,
}

impl Start {
    /// The start of a diff of `a` and `b`, with the notes on how they are compared.
    fn new(a: &Side<'_>, b: &Side<'_>, family: Family, key: Key) -> Start {
        Start {
            kind_a: a.kind,
            kind_b: b.kind,
            key,
            records_a: None,
            records_b: None,
            header: Vec::new(),
            notes: notes(a, b, family, key),
        }
    }
}

impl FileDiff {
    /// True when the files hold the same bytes in the same records.
    pub fn is_equal(&self) -> bool {
        self.header.is_empty()
            && self.removed.is_empty()
            && self.added.is_empty()
            && self.changed.is_empty()
            && self.reordered.is_none()
    }
}

/// One difference, as the diff finds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "lowercase")]
pub enum Difference {
    /// A record only in the first file.
    Removed(Item),
    /// A record only in the second file.
    Added(Item),
    /// A record in both files whose bytes differ.
    Changed(Changed),
}

/// What is known before the first difference: how the files are compared,
/// their header fields that differ, and what the reader should know.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Start {
    /// The first file's kind.
    pub kind_a: FileKind,
    /// The second file's kind.
    pub kind_b: FileKind,
    /// How records are paired.
    pub key: Key,
    /// Records in the first file, when known before comparing.
    pub records_a: Option<u64>,
    /// Records in the second file, when known before comparing.
    pub records_b: Option<u64>,
    /// Header fields that differ.
    pub header: Vec<FieldChange>,
    /// How the files are compared.
    pub notes: Vec<String>,
}

/// What is known after the last difference: the counts, the order, and
/// notes that needed the whole files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct End {
    /// Records in the first file.
    pub records_a: u64,
    /// Records in the second file.
    pub records_b: u64,
    /// Records only in the first file.
    pub removed: u64,
    /// Records only in the second file.
    pub added: u64,
    /// Records in both whose bytes differ.
    pub changed: u64,
    /// Records in both with identical bytes.
    pub unchanged: u64,
    /// Set when records present in both files are in a different order.
    pub reordered: Option<Reordered>,
    /// Notes that needed the whole files (records sharing a key).
    pub notes: Vec<String>,
}

impl End {
    /// True when the files hold the same bytes in the same records (`start`
    /// says whether their headers differ).
    pub fn is_equal(&self, start: &Start) -> bool {
        start.header.is_empty()
            && self.removed == 0
            && self.added == 0
            && self.changed == 0
            && self.reordered.is_none()
    }

    fn new(records_a: u64, records_b: u64) -> End {
        End {
            records_a,
            records_b,
            removed: 0,
            added: 0,
            changed: 0,
            unchanged: 0,
            reordered: None,
            notes: Vec::new(),
        }
    }

    fn count(&mut self, d: &Difference) {
        match d {
            Difference::Removed(_) => self.removed += 1,
            Difference::Added(_) => self.added += 1,
            Difference::Changed(_) => self.changed += 1,
        }
    }
}

/// Whether the diff goes on after telling a [`Sink`] something.
pub type Flow = std::ops::ControlFlow<()>;

/// Where a diff's report goes as it is found: the start, then each
/// difference in key order. A renderer writes them out at once, so memory
/// holds one difference at a time whatever the files' size; [`FileDiff`]
/// collects them.
pub trait Sink {
    /// Before the first difference.
    fn start(&mut self, start: &Start) -> Result<Flow>;
    /// One difference, in key order.
    fn difference(&mut self, d: Difference) -> Result<Flow>;
}

/// How a diff into a [`Sink`] ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every record was compared.
    Complete(End),
    /// The sink asked to stop.
    Stopped,
    /// A streamed file's records were not in key order, found before the
    /// sink was told anything (see [`diff_streams_into`]): compare the files
    /// with [`diff_into`], which sorts.
    OutOfOrder(Box<Disorder>),
    /// A streamed file's records went out of key order after the sink had
    /// been told the differences of the records compared so far (see
    /// [`diff_streams_into`]): the report is cut short there.
    CutShort(Box<Disorder>),
}

/// A [`Sink`] that keeps everything: the [`FileDiff`] of small files.
#[derive(Debug, Default)]
pub struct Collector {
    start: Option<Start>,
    removed: Vec<Item>,
    added: Vec<Item>,
    changed: Vec<Changed>,
}

impl Sink for Collector {
    fn start(&mut self, start: &Start) -> Result<Flow> {
        self.start = Some(start.clone());
        Ok(Flow::Continue(()))
    }

    fn difference(&mut self, d: Difference) -> Result<Flow> {
        match d {
            Difference::Removed(i) => self.removed.push(i),
            Difference::Added(i) => self.added.push(i),
            Difference::Changed(c) => self.changed.push(c),
        }
        Ok(Flow::Continue(()))
    }
}

impl Collector {
    /// The whole diff, once `end` is known.
    pub fn finish(self, end: End) -> FileDiff {
        let start = self.start.expect("a diff starts before it ends");
        let mut notes = start.notes;
        notes.extend(end.notes);
        FileDiff {
            kind_a: start.kind_a,
            kind_b: start.kind_b,
            key: start.key,
            records_a: end.records_a,
            records_b: end.records_b,
            header: start.header,
            removed: self.removed,
            added: self.added,
            changed: self.changed,
            unchanged: end.unchanged,
            reordered: end.reordered,
            notes,
        }
    }
}

/// Tells `sink` about one difference, counting it in `end`.
fn tell(sink: &mut dyn Sink, end: &mut End, d: Difference) -> Result<Flow> {
    end.count(&d);
    sink.difference(d)
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// One part of a key, with its field already placed.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// Text field `(start, len)`, up to its NUL; case folded.
    Text(usize, usize),
    /// Little-endian u32 at `start`; shown in hex when `hex`.
    U32(usize, bool),
    /// Little-endian u16 at `start`.
    U16(usize),
    /// A literal separator.
    Lit(u8),
    /// The USR list's `NET/PO` and a `/`, when known.
    ListPrefix,
    /// An NME entry's address through NETPO.GLB; its name when it has none.
    NmeAddress,
    /// The record's position.
    Index,
}

fn field(table: &'static [glb_formats::layout::Field], name: &str) -> (usize, usize) {
    glb_formats::layout::field_named(table, name)
        .map(|f| (f.start, f.len))
        // The tables are static; a unit test resolves every key of every family.
        .unwrap_or_else(|| panic!("no field `{name}` in the record table"))
}

/// The parts of `key` for family `F`.
fn key_parts<F: Format>(family: Family, key: Key) -> Vec<Part> {
    let t = F::record_fields();
    let text = |name| {
        let (s, l) = field(t, name);
        Part::Text(s, l)
    };
    let u32_at = |name, hex| Part::U32(field(t, name).0, hex);
    match (family, key) {
        (_, Key::Position) => vec![Part::Index],
        (Family::Queue, _) => vec![u32_at("sync", false)],
        (Family::Process, _) => vec![Part::U16(field(t, "id").0)],
        (_, Key::Tid) => vec![u32_at("tid", true)],
        (Family::Nme, Key::Address) => vec![Part::NmeAddress],
        (Family::Usr, Key::Address) => vec![Part::ListPrefix, text("mailbox")],
        (Family::Netpo | Family::Galnetpo, _) => vec![
            text("network"),
            Part::Lit(b'/'),
            text("postoffice"),
            Part::Lit(b'/'),
            text("mailbox"),
        ],
        (Family::Xtn, _) => vec![text("postoffice")],
        (Family::ReqConf | Family::SrvConf | Family::Nme | Family::Usr | Family::Network, _) => {
            vec![text("name")]
        }
    }
}

fn text_at(raw: &[u8], start: usize, len: usize) -> &[u8] {
    let f = raw.get(start..start + len).unwrap_or(&[]);
    let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
    &f[..end]
}

fn u32_at(raw: &[u8], start: usize) -> u32 {
    raw.get(start..start + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// NME entries' addresses for keys, through the one resolver
/// ([`crate::resolve::Resolver`]) on the typed NME record.
struct NmeAddresses<'a> {
    resolver: &'a Resolver,
}

impl<'a> NmeAddresses<'a> {
    /// The typed record of an item's bytes (`None`: it does not decode).
    fn entry(raw: &[u8]) -> Option<NmeRecord> {
        let mut r = NmeRecord::default();
        Nme::decode_record(raw, &mut r).ok().map(|()| r)
    }

    /// The NETPO record an external entry points to.
    fn target(&self, raw: &[u8]) -> Option<&'a NetpoRecord> {
        self.resolver.address_of(&Self::entry(raw)?)
    }

    /// Appends `PCM:NET/PO/MAILBOX`, or (no address) a 0 byte and the name.
    fn push(&self, raw: &[u8], out: &mut Vec<u8>, fold: bool) {
        let entry = Self::entry(raw);
        match entry.as_ref().and_then(|e| self.resolver.address_of(e)) {
            Some(rec) => {
                out.extend_from_slice(b"PCM:");
                push_text(out, rec.network.bytes(), fold);
                out.push(b'/');
                push_text(out, rec.postoffice.bytes(), fold);
                out.push(b'/');
                push_text(out, rec.mailbox.bytes(), fold);
            }
            None => {
                if fold {
                    out.push(0);
                }
                let name = entry.as_ref().map_or(&[][..], |e| e.name.bytes());
                push_text(out, name, fold);
            }
        }
    }
}

fn push_text(out: &mut Vec<u8>, text: &[u8], fold: bool) {
    if fold {
        out.extend(text.iter().map(u8::to_ascii_uppercase));
    } else {
        out.extend_from_slice(text);
    }
}

/// Builds keys of one side.
struct KeyMaker<'a> {
    parts: Vec<Part>,
    by: &'static str,
    list: Option<&'a str>,
    nme: Option<NmeAddresses<'a>>,
    cp: CodePage,
}

impl KeyMaker<'_> {
    /// Appends the key of record `index` to `out`: folded and numbers
    /// big-endian for matching (`fold`), or as written for showing.
    fn push(&self, raw: &[u8], index: u64, out: &mut Vec<u8>, fold: bool) {
        for p in &self.parts {
            match *p {
                Part::Text(s, l) => push_text(out, text_at(raw, s, l), fold),
                Part::U32(s, hex) => {
                    let v = u32_at(raw, s);
                    if fold {
                        out.extend_from_slice(&v.to_be_bytes());
                    } else if hex {
                        out.extend_from_slice(format!("{v:08X}").as_bytes());
                    } else {
                        out.extend_from_slice(v.to_string().as_bytes());
                    }
                }
                Part::U16(s) => {
                    let v = raw
                        .get(s..s + 2)
                        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
                    if fold {
                        out.extend_from_slice(&v.to_be_bytes());
                    } else {
                        out.extend_from_slice(v.to_string().as_bytes());
                    }
                }
                Part::Lit(c) => out.push(c),
                Part::ListPrefix => {
                    if let Some(l) = self.list {
                        if let Ok(b) = self.cp.encode(l) {
                            push_text(out, b"PCM:", false);
                            push_text(out, &b, fold);
                            out.push(b'/');
                        }
                    }
                }
                Part::NmeAddress => {
                    if let Some(r) = &self.nme {
                        r.push(raw, out, fold);
                    }
                }
                Part::Index => {
                    if fold {
                        out.extend_from_slice(&index.to_be_bytes());
                    } else {
                        out.extend_from_slice(index.to_string().as_bytes());
                    }
                }
            }
        }
    }

    fn shown(&self, raw: &[u8], index: u64) -> RecordKey {
        let mut b = Vec::new();
        self.push(raw, index, &mut b, false);
        let by = match &self.nme {
            Some(r) if r.target(raw).is_none() => "name",
            _ => self.by,
        };
        RecordKey {
            key: self.cp.decode(&b),
            by,
        }
    }
}

// ---------------------------------------------------------------------------
// Indexing one file
// ---------------------------------------------------------------------------

/// Where the records of one file lie.
struct Indexed<'a> {
    bytes: &'a [u8],
    kind: FileKind,
    header: &'a [u8],
    /// `(offset, len)` of each record.
    records: Records,
}

enum Records {
    Fixed {
        start: usize,
        size: usize,
        count: usize,
    },
    Listed(Vec<(usize, usize)>),
}

impl Records {
    fn len(&self) -> usize {
        match self {
            Records::Fixed { count, .. } => *count,
            Records::Listed(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> (usize, usize) {
        match self {
            Records::Fixed { start, size, .. } => (start + i * size, *size),
            Records::Listed(v) => v[i],
        }
    }
}

impl<'a> Indexed<'a> {
    fn new<F: Format>(side: &Side<'a>) -> Result<Self> {
        let bytes = side.bytes;
        F::check_size(side.kind, bytes.len() as u64)?;
        let h = F::HEADER_LEN;
        let records = match F::RECORD {
            RecordSize::None => Records::Listed(Vec::new()),
            RecordSize::Fixed(size) => Records::Fixed {
                start: h,
                size,
                count: (bytes.len() - h) / size,
            },
            RecordSize::Prefixed { .. } => {
                let mut reader = Reader::<F, _>::new(
                    bytes,
                    side.kind,
                    Some(bytes.len() as u64),
                    ReadOptions::default(),
                )?;
                let mut v = Vec::new();
                while let Some(r) = reader.next_record()? {
                    v.push((r.offset as usize, r.raw.len()));
                }
                Records::Listed(v)
            }
        };
        if h > 0 {
            F::decode_header(&bytes[..h]).map_err(|f| f.at(side.kind, 0, None))?;
        }
        Ok(Indexed {
            bytes,
            kind: side.kind,
            header: &bytes[..h],
            records,
        })
    }

    fn raw(&self, i: usize) -> (&'a [u8], u64) {
        let (off, len) = self.records.get(i);
        (&self.bytes[off..off + len], off as u64)
    }

    fn decode<F: Format>(&self, i: usize) -> Result<(F::Record, &'a [u8], Place)> {
        let (raw, offset) = self.raw(i);
        let mut rec = F::Record::default();
        F::decode_record(raw, &mut rec).map_err(|f| f.at(self.kind, offset, Some(i as u64)))?;
        Ok((
            rec,
            raw,
            Place {
                index: i as u64,
                offset,
            },
        ))
    }
}

/// Sorted keys of one side: a byte arena and `(start, len, record)` per record.
struct Keys {
    arena: Vec<u8>,
    entries: Vec<(u32, u32, u32)>,
    duplicates: u64,
}

impl Keys {
    fn build(ix: &Indexed<'_>, maker: &KeyMaker<'_>) -> Result<Keys> {
        let n = ix.records.len();
        if n > u32::MAX as usize {
            return Err(Error::Diff {
                message: format!("{}: too many records to compare ({n})", ix.kind),
            });
        }
        let mut arena = Vec::with_capacity(n * 16);
        let mut entries = Vec::with_capacity(n);
        for i in 0..n {
            let (raw, _) = ix.raw(i);
            let start = arena.len();
            maker.push(raw, i as u64, &mut arena, true);
            let (s, l) = (start as u64, (arena.len() - start) as u64);
            if arena.len() > u32::MAX as usize {
                return Err(Error::Diff {
                    message: format!("{}: keys too large to compare", ix.kind),
                });
            }
            entries.push((s as u32, l as u32, i as u32));
        }
        let mut keys = Keys {
            arena,
            entries,
            duplicates: 0,
        };
        let sorted = keys
            .entries
            .windows(2)
            .all(|w| keys.cmp_entries(&w[0], &w[1]) != Ordering::Greater);
        if !sorted {
            let arena = &keys.arena;
            keys.entries
                .sort_by(|a, b| key_of(arena, a).cmp(key_of(arena, b)).then(a.2.cmp(&b.2)));
        }
        keys.duplicates = keys
            .entries
            .windows(2)
            .filter(|w| keys.key(&w[0]) == keys.key(&w[1]))
            .count() as u64;
        Ok(keys)
    }

    fn key(&self, e: &(u32, u32, u32)) -> &[u8] {
        key_of(&self.arena, e)
    }

    /// Key order, then file order (so equal keys pair up in file order).
    fn cmp_entries(&self, a: &(u32, u32, u32), b: &(u32, u32, u32)) -> Ordering {
        self.key(a).cmp(self.key(b)).then(a.2.cmp(&b.2))
    }
}

fn key_of<'k>(arena: &'k [u8], e: &(u32, u32, u32)) -> &'k [u8] {
    &arena[e.0 as usize..(e.0 + e.1) as usize]
}

// ---------------------------------------------------------------------------
// Comparing items field by field
// ---------------------------------------------------------------------------

/// The runs of differing bytes of two fields, with their absolute offsets; a
/// longer side's extra bytes are one more run.
fn differing_runs(a: &[u8], b: &[u8], a_base: u64, b_base: u64, out: &mut Vec<ByteRange>) {
    let run = |r: std::ops::Range<usize>, ea: usize, eb: usize| ByteRange {
        a_offset: a_base + r.start as u64,
        b_offset: b_base + r.start as u64,
        len: (ea.max(eb) - r.start) as u64,
        a: hex::encode(a.get(r.start..ea).unwrap_or(&[])),
        b: hex::encode(b.get(r.start..eb).unwrap_or(&[])),
    };
    out.extend(glb_formats::layout::differing_runs(a, b).map(|r| run(r.clone(), r.end, r.end)));
    let n = a.len().min(b.len());
    if a.len() != b.len() {
        out.push(run(n..n, a.len(), b.len()));
    }
}

fn slice<'r>(raw: &'r [u8], s: &Span) -> &'r [u8] {
    raw.get(s.start..s.start + s.len).unwrap_or(&[])
}

/// The fields of two items whose bytes differ. Spans are paired by name.
fn field_changes<T: Annotate>(
    a: &T,
    a_raw: &[u8],
    a_off: u64,
    b: &T,
    b_raw: &[u8],
    b_off: u64,
    cp: CodePage,
) -> Vec<FieldChange> {
    let (mut sa, mut sb) = (Vec::new(), Vec::new());
    a.spans(cp, &mut sa);
    b.spans(cp, &mut sb);
    let mut out = Vec::new();
    for x in &sa {
        let Some(y) = sb.iter().find(|y| y.name == x.name) else {
            continue;
        };
        let (ra, rb) = (slice(a_raw, x), slice(b_raw, y));
        if ra == rb {
            continue;
        }
        let (va, vb) = (Shown::of(&x.value, ra), Shown::of(&y.value, rb));
        let mut bytes = Vec::new();
        let fixed_width = x.len == y.len;
        if fixed_width && (x.role == Role::Unknown || va == vb) {
            differing_runs(
                ra,
                rb,
                a_off + x.start as u64,
                b_off + y.start as u64,
                &mut bytes,
            );
        }
        out.push(FieldChange {
            field: x.name,
            role: x.role,
            provenance: x.provenance,
            a: va,
            b: vb,
            bytes,
        });
    }
    out
}

/// The fields of an item, unknown bytes and terminators left out.
fn item_fields<T: Annotate>(rec: &T, raw: &[u8], cp: CodePage) -> Fields {
    let mut spans = Vec::new();
    rec.spans(cp, &mut spans);
    Fields(
        spans
            .iter()
            .filter(|s| !matches!(s.role, Role::Unknown | Role::Terminator | Role::Length))
            .map(|s| (s.name, Shown::of(&s.value, slice(raw, s))))
            .collect(),
    )
}

/// Which parts of two transaction texts (in code page `cp`) differ.
pub fn transaction_changes(a: &[u8], b: &[u8], cp: CodePage) -> Vec<PartChange> {
    let (ta, tb) = (import::parse(a, cp), import::parse(b, cp));
    let s = |b: &[u8]| cp.decode(b);
    let address = |t: &Transaction<'_>| {
        t.address
            .as_ref()
            .map(|a| s(&[a.type_upper().as_bytes(), b":", a.body].concat()))
    };
    let target_alias = |t: &Transaction<'_>| t.modify_target.as_ref().map(|m| s(m.alias));
    let target_address = |t: &Transaction<'_>| {
        t.modify_target
            .as_ref()
            .map(|m| s(&[m.address.type_upper().as_bytes(), b":", m.address.body].concat()))
    };
    let template = |t: &Transaction<'_>| {
        (!t.template_info.is_empty()).then(|| {
            t.template_info
                .iter()
                .map(|i| format!("- {}/{}", s(i.prompt), s(i.value)))
                .collect::<Vec<_>>()
                .join("\n")
        })
    };
    let defs = |t: &Transaction<'_>| {
        (!t.template_defs.is_empty()).then(|| {
            t.template_defs
                .iter()
                .map(|d| s(d))
                .collect::<Vec<_>>()
                .join("\n")
        })
    };
    let parts: [(&'static str, Option<String>, Option<String>); 8] = [
        (
            "command",
            Some(ta.command.letter().to_string()),
            Some(tb.command.letter().to_string()),
        ),
        ("alias", ta.alias.map(s), tb.alias.map(s)),
        ("address", address(&ta), address(&tb)),
        ("new alias", target_alias(&ta), target_alias(&tb)),
        ("new address", target_address(&ta), target_address(&tb)),
        ("template lines", template(&ta), template(&tb)),
        ("template definition", defs(&ta), defs(&tb)),
        ("comment", ta.comment.map(s), tb.comment.map(s)),
    ];
    parts
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(part, a, b)| PartChange { part, a, b })
        .collect()
}

// ---------------------------------------------------------------------------
// The diff
// ---------------------------------------------------------------------------

/// Compares two files of the family `F`, pairing records by `key`
/// (`Key::Auto`: the family's natural key).
pub fn diff_with<F: Format>(a: &Side<'_>, b: &Side<'_>, key: Key) -> Result<FileDiff> {
    let mut c = Collector::default();
    match diff_into::<F>(a, b, key, &mut c)? {
        Outcome::Complete(end) => Ok(c.finish(end)),
        _ => unreachable!("a collector never stops, and sorting needs no order"),
    }
}

/// Compares two files of the family `F` held in memory, pairing records by
/// `key` (sorting the keys of a file out of key order), and tells `sink`
/// each difference in key order.
pub fn diff_into<F: Format>(
    a: &Side<'_>,
    b: &Side<'_>,
    key: Key,
    sink: &mut dyn Sink,
) -> Result<Outcome> {
    let family = check_families(a, b)?;
    let addresses = a.netpo.is_some() && b.netpo.is_some();
    let key = key.resolve(family, a.kind, addresses)?;
    let (ia, ib) = (Indexed::new::<F>(a)?, Indexed::new::<F>(b)?);
    let parts = key_parts::<F>(family, key);
    let (ma, mb) = (
        key_maker(a, &parts, family, key),
        key_maker(b, &parts, family, key),
    );
    let mut start = Start::new(a, b, family, key);
    let mut end = End::new(ia.records.len() as u64, ib.records.len() as u64);
    (start.records_a, start.records_b) = (Some(end.records_a), Some(end.records_b));
    if a.bytes == b.bytes && a.list == b.list && a.netpo == b.netpo {
        // The same bytes read the same way: every record pairs with itself.
        end.unchanged = end.records_a;
        return Ok(match sink.start(&start)? {
            Flow::Continue(()) => Outcome::Complete(end),
            Flow::Break(()) => Outcome::Stopped,
        });
    }
    if ia.header != ib.header {
        let ha = F::decode_header(ia.header).map_err(|f| f.at(a.kind, 0, None))?;
        let hb = F::decode_header(ib.header).map_err(|f| f.at(b.kind, 0, None))?;
        start.header = field_changes(&ha, ia.header, 0, &hb, ib.header, 0, a.codepage);
    }
    let (ka, kb) = (Keys::build(&ia, &ma)?, Keys::build(&ib, &mb)?);
    note_duplicates(&mut end.notes, ka.duplicates + kb.duplicates);
    if sink.start(&start)?.is_break() {
        return Ok(Outcome::Stopped);
    }
    let item = |ix: &Indexed<'_>, m: &KeyMaker<'_>, i: usize| -> Result<Item> {
        let (rec, raw, place) = ix.decode::<F>(i)?;
        Ok(item_of(m, &rec, raw, place))
    };
    let (mut i, mut j) = (0, 0);
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(ka.entries.len().min(kb.entries.len()));
    while i < ka.entries.len() || j < kb.entries.len() {
        let ord = match (ka.entries.get(i), kb.entries.get(j)) {
            (Some(x), Some(y)) => ka.key(x).cmp(kb.key(y)),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        let flow = match ord {
            Ordering::Less => {
                let d = Difference::Removed(item(&ia, &ma, ka.entries[i].2 as usize)?);
                i += 1;
                tell(sink, &mut end, d)?
            }
            Ordering::Greater => {
                let d = Difference::Added(item(&ib, &mb, kb.entries[j].2 as usize)?);
                j += 1;
                tell(sink, &mut end, d)?
            }
            Ordering::Equal => {
                let (x, y) = (ka.entries[i].2 as usize, kb.entries[j].2 as usize);
                pairs.push((x as u32, y as u32));
                i += 1;
                j += 1;
                if ia.raw(x).0 == ib.raw(y).0 {
                    end.unchanged += 1;
                    Flow::Continue(())
                } else {
                    let d = Difference::Changed(changed::<F>(&ia, x, &ib, y, &ma)?);
                    tell(sink, &mut end, d)?
                }
            }
        };
        if flow.is_break() {
            return Ok(Outcome::Stopped);
        }
    }
    drop((ka, kb));
    end.reordered = reordered(pairs, &ia, &ib, &ma)?;
    Ok(Outcome::Complete(end))
}

/// The first paired record that comes, in the second file, before a record
/// it followed in the first.
fn reordered(
    mut pairs: Vec<(u32, u32)>,
    ia: &Indexed<'_>,
    ib: &Indexed<'_>,
    maker: &KeyMaker<'_>,
) -> Result<Option<Reordered>> {
    if !pairs.windows(2).all(|w| w[0].0 < w[1].0) {
        pairs.sort_unstable();
    }
    let Some(w) = pairs.windows(2).find(|w| w[1].1 < w[0].1) else {
        return Ok(None);
    };
    let place = |ix: &Indexed<'_>, i: u32| Place {
        index: u64::from(i),
        offset: ix.raw(i as usize).1,
    };
    let (x, y) = w[1];
    let (prev, _) = w[0];
    Ok(Some(Reordered {
        key: maker.shown(ia.raw(x as usize).0, u64::from(x)),
        a: place(ia, x),
        b: place(ib, y),
        before: maker.shown(ia.raw(prev as usize).0, u64::from(prev)),
    }))
}

fn key_maker<'a>(s: &Side<'a>, parts: &[Part], family: Family, key: Key) -> KeyMaker<'a> {
    KeyMaker {
        parts: parts.to_vec(),
        by: match key {
            Key::Sync => "sync",
            Key::Address => "address",
            Key::Tid => "TID",
            Key::Id => "id",
            Key::Position => "record",
            Key::Name | Key::Auto => "name",
        },
        list: s.list,
        cp: s.codepage,
        nme: (family == Family::Nme && key == Key::Address)
            .then(|| s.netpo.map(|resolver| NmeAddresses { resolver }))
            .flatten(),
    }
}

fn changed<F: Format>(
    ia: &Indexed<'_>,
    x: usize,
    ib: &Indexed<'_>,
    y: usize,
    maker: &KeyMaker<'_>,
) -> Result<Changed> {
    let (ra, raw_a, pa) = ia.decode::<F>(x)?;
    let (rb, raw_b, pb) = ib.decode::<F>(y)?;
    Ok(changed_records(
        ia.kind,
        (&ra, raw_a, pa),
        (&rb, raw_b, pb),
        maker,
    ))
}

/// A decoded record, its bytes and its place.
type Located<'r, T> = (&'r T, &'r [u8], Place);

/// How two paired records of a `kind` file differ.
fn changed_records<T: Annotate>(
    kind: FileKind,
    (ra, raw_a, pa): Located<'_, T>,
    (rb, raw_b, pb): Located<'_, T>,
    maker: &KeyMaker<'_>,
) -> Changed {
    let fields = field_changes(ra, raw_a, pa.offset, rb, raw_b, pb.offset, maker.cp);
    let mut transaction = Vec::new();
    if kind.is_queue() {
        let text = |raw: &'_ [u8]| -> Vec<u8> {
            raw.get(glb_formats::queue::TEXT_OFFSET..raw.len().saturating_sub(1))
                .unwrap_or(&[])
                .to_vec()
        };
        let (ta, tb) = (text(raw_a), text(raw_b));
        if ta != tb {
            transaction = transaction_changes(&ta, &tb, maker.cp);
        }
    }
    Changed {
        key: maker.shown(raw_a, pa.index),
        a: pa,
        b: pb,
        fields,
        transaction,
    }
}

/// A record found in one file only.
fn item_of<T: Annotate>(maker: &KeyMaker<'_>, rec: &T, raw: &[u8], place: Place) -> Item {
    Item {
        key: maker.shown(raw, place.index),
        place,
        fields: item_fields(rec, raw, maker.cp),
    }
}

/// The family of two sides, which must share one.
fn check_families(a: &Side<'_>, b: &Side<'_>) -> Result<Family> {
    let family = a.kind.family();
    if b.kind.family() != family {
        return Err(Error::Diff {
            message: format!(
                "{} and {} have different layouts and cannot be compared",
                a.kind, b.kind
            ),
        });
    }
    Ok(family)
}

/// Tells the reader that records sharing a key were paired in file order.
fn note_duplicates(notes: &mut Vec<String>, duplicates: u64) {
    if duplicates > 0 {
        notes.push(format!(
            "{duplicates} record(s) share a key with an earlier record of the same file; such records were paired in file order"
        ));
    }
}

fn notes(a: &Side<'_>, b: &Side<'_>, family: Family, key: Key) -> Vec<String> {
    let mut notes = Vec::new();
    if a.kind != b.kind {
        notes.push(format!(
            "{} and {} share one record layout; compared record by record",
            a.kind, b.kind
        ));
    }
    match (family, key) {
        (Family::Nme, Key::Name) => notes.push(
            "NME records hold no addresses (KB Q107767): entries matched by friendly name, \
             letter case ignored"
                .into(),
        ),
        (Family::Nme, Key::Address) => notes.push(
            "external entries matched by the address of the NETPO.GLB record they point to; \
             local users and groups, which have no address in the NME file, by friendly name"
                .into(),
        ),
        (Family::Usr, Key::Address) if a.list.is_none() || b.list.is_none() => notes.push(
            "the USR file's postoffice is unknown (it does not sit in a postoffice directory): \
             entries matched by mailbox name"
                .into(),
        ),
        (Family::Usr | Family::Netpo | Family::Galnetpo, Key::Address) => {
            notes.push("entries matched by address, letter case ignored".into())
        }
        (Family::SrvConf, Key::Name) => {
            notes.push("requestor records matched by requestor name, letter case ignored".into())
        }
        // The other keys need no note.
        (
            Family::Queue
            | Family::ReqConf
            | Family::SrvConf
            | Family::Process
            | Family::Nme
            | Family::Usr
            | Family::Netpo
            | Family::Galnetpo
            | Family::Network
            | Family::Xtn,
            _,
        ) => {}
    }
    notes
}

/// Checks that one side can be read whole (its size rule, every record of a
/// queue), so that a caller can say which file is unreadable before comparing.
pub fn readable(side: &Side<'_>) -> Result<()> {
    glb_formats::with_format!(side.kind.family(), |F| Indexed::new::<F>(side).map(|_| ()))
}

/// Compares two files of one family, picking the family's format.
pub fn diff(a: &Side<'_>, b: &Side<'_>, key: Key) -> Result<FileDiff> {
    glb_formats::with_format!(a.kind.family(), |F| diff_with::<F>(a, b, key))
}

/// [`diff_into`], picking the family's format.
pub fn diff_to(a: &Side<'_>, b: &Side<'_>, key: Key, sink: &mut dyn Sink) -> Result<Outcome> {
    glb_formats::with_format!(a.kind.family(), |F| diff_into::<F>(a, b, key, sink))
}

mod stream;
pub use stream::{
    diff_streams, diff_streams_into, diff_streams_to, diff_streams_with, scan_order, Disorder,
    Scan, StreamSide, Streamed,
};

#[cfg(test)]
mod tests;
