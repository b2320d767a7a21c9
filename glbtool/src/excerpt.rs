//! The annotated bytes of the records that findings name: each field's
//! offset, bytes, name, value and provenance, read from the files for
//! reports that show them beside the findings (`--format html`). Renderers
//! only print these rows; reading the files happens here.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use glb_dirsync::check::Finding;
use glb_formats::format::{Format, ReadOptions, Reader};
use glb_formats::layout::{Annotate, Provenance, Span};
use glb_formats::{with_format, CodePage};

use crate::console::Stdin;
use crate::input;
use crate::render::hex::value_text;
use crate::timefmt::{CtimeCache, Zone};

/// One field of an item.
#[derive(Debug, Clone)]
pub struct Row {
    /// Offset in the file.
    pub offset: u64,
    /// The bytes (at most [`SHOWN_BYTES`] of them).
    pub bytes: Vec<u8>,
    /// How many bytes the field has.
    pub len: usize,
    /// The field's name (`(undescribed)` for bytes no field covers).
    pub name: &'static str,
    /// Its value as the annotated dump shows it.
    pub value: String,
    /// Where its position comes from.
    pub provenance: Provenance,
}

/// The annotated bytes of one item (a record or the file header).
#[derive(Debug, Clone)]
pub struct Excerpt {
    /// `record 17` or `file header`.
    pub title: String,
    /// The item's offset in the file.
    pub offset: u64,
    /// Its size.
    pub len: usize,
    /// Its fields, in offset order, covering every byte.
    pub rows: Vec<Row>,
}

/// Bytes shown per field (a long text shows its start).
pub const SHOWN_BYTES: usize = 64;

/// How many items a report annotates at most (the first ones named).
pub const MAX_EXCERPTS: usize = 200;

/// The rows of one item from its model's spans, each with at most `shown` of its bytes.
pub fn rows_of<M: Annotate>(
    model: &M,
    raw: &[u8],
    base: u64,
    times: &mut CtimeCache,
    shown: usize,
    cp: CodePage,
) -> Vec<Row> {
    let mut spans: Vec<Span> = Vec::new();
    model.spans(cp, &mut spans);
    let mut rows = Vec::with_capacity(spans.len() + 1);
    let mut covered = 0;
    let undescribed = |from: usize, to: usize| Row {
        offset: base + from as u64,
        bytes: raw[from..to.min(from.saturating_add(shown))].to_vec(),
        len: to - from,
        name: "(undescribed)",
        value: String::new(),
        provenance: Provenance::Unknown(""),
    };
    for s in &spans {
        let end = (s.start + s.len).min(raw.len());
        if s.start > covered && covered < raw.len() {
            rows.push(undescribed(covered, s.start.min(raw.len())));
        }
        let start = s.start.min(raw.len());
        let bytes = &raw[start..end.max(start)];
        rows.push(Row {
            offset: base + start as u64,
            bytes: bytes[..bytes.len().min(shown)].to_vec(),
            len: bytes.len(),
            name: s.name,
            value: value_text(&s.value, times, bytes),
            provenance: s.provenance,
        });
        covered = covered.max(end);
    }
    if covered < raw.len() {
        rows.push(undescribed(covered, raw.len()));
    }
    rows
}

/// Which item of a file a finding names: a record by its index, or the
/// file header by an offset inside it.
fn item_of(f: &Finding, header_len: usize) -> Option<Option<u64>> {
    match (f.record, f.offset) {
        (Some(r), _) => Some(Some(r)),
        (None, Some(o)) if o < header_len as u64 => Some(None),
        _ => None,
    }
}

/// The annotated items the findings name, by file and item (`None`: the
/// file header); at most [`MAX_EXCERPTS`]. A file that cannot be read, or
/// an item it does not have, has none: the report shows the finding alone.
pub fn for_findings(
    findings: &[Finding],
    zone: &Zone,
    cp: CodePage,
) -> BTreeMap<(String, Option<u64>), Excerpt> {
    let mut wanted: BTreeMap<&str, BTreeSet<Option<u64>>> = BTreeMap::new();
    // Each item titled as the findings' text names it (sync number, #n).
    let mut titles: BTreeMap<(&str, Option<u64>), String> = BTreeMap::new();
    let mut count = 0;
    for f in findings {
        if count >= MAX_EXCERPTS {
            break;
        }
        let Some(kind) = f
            .kind
            .or_else(|| glb_formats::FileKind::from_file_name(&f.file))
        else {
            continue;
        };
        let header = with_format!(kind.family(), |F| F::HEADER_LEN);
        if let Some(item) = item_of(f, header) {
            if wanted.entry(f.file.as_str()).or_default().insert(item) {
                count += 1;
                titles.insert((f.file.as_str(), item), title(f, kind, item));
            }
        }
    }
    let mut out = BTreeMap::new();
    for (file, items) in wanted {
        let kind = findings
            .iter()
            .find(|f| f.file == file)
            .and_then(|f| f.kind);
        // Standard input (`-`) was read to its end by the check.
        let Ok(inp) = input::open(Path::new(file), kind, &Stdin::spent()) else {
            continue;
        };
        let family = inp.kind.family();
        let found: Vec<(Option<u64>, Excerpt)> =
            with_format!(family, |F| read_items::<F>(inp, &items, zone, cp));
        for (item, mut e) in found {
            if let Some(t) = titles.get(&(file, item)) {
                e.title.clone_from(t);
            }
            out.insert((file.to_string(), item), e);
        }
    }
    out
}

/// An item's title, numbered as the findings' text numbers records
/// (`render::findings::place`).
fn title(f: &Finding, kind: glb_formats::FileKind, item: Option<u64>) -> String {
    use glb_formats::Family;
    match (item, f.sync, kind.family()) {
        (None, _, _) => "file header".into(),
        (Some(_), Some(s), _) => format!("the transaction of sync {s}"),
        (Some(r), None, Family::SrvConf | Family::Process) => format!("record #{}", r + 1),
        (Some(_), None, Family::Queue) => "the record".into(),
        (Some(r), None, _) => format!("record {r}"),
    }
}

/// Reads `items` of one file, stopping after the last one wanted.
fn read_items<F: Format>(
    inp: input::Input,
    items: &BTreeSet<Option<u64>>,
    zone: &Zone,
    cp: CodePage,
) -> Vec<(Option<u64>, Excerpt)> {
    let mut times = CtimeCache::new(zone);
    let mut out = Vec::new();
    let opts = ReadOptions {
        salvage: true,
        codepage: cp,
    };
    let Ok(mut reader) = Reader::<F, Box<dyn Read>>::new(inp.reader, inp.kind, inp.size, opts)
    else {
        return out;
    };
    if items.contains(&None) {
        if let Some(h) = reader.header().cloned() {
            let raw = reader.header_raw().to_vec();
            out.push((
                None,
                Excerpt {
                    title: "file header".into(),
                    offset: 0,
                    len: raw.len(),
                    rows: rows_of(&h, &raw, 0, &mut times, SHOWN_BYTES, cp),
                },
            ));
        }
    }
    let Some(last) = items.iter().flatten().max().copied() else {
        return out;
    };
    while let Ok(Some(r)) = reader.next_record() {
        if items.contains(&Some(r.index)) {
            out.push((
                Some(r.index),
                Excerpt {
                    title: format!("record {}", r.index),
                    offset: r.offset,
                    len: r.raw.len(),
                    rows: rows_of(r.record, r.raw, r.offset, &mut times, SHOWN_BYTES, cp),
                },
            ));
        }
        if r.index >= last {
            break;
        }
    }
    out
}
