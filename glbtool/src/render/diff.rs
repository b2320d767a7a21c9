//! `glbtool diff` reports: two files grouped by record, or server versus
//! requestor grouped by postoffice; as coloured text or as JSON with the same
//! content. Everything shown comes from the library's diff and comparison.

use std::io::{self, Write};

use glb_dirsync::compare::{
    Comparison, Entry, ListStatus, LocalSource, Matching, PostofficeDiff, RequestorView, ServerView,
};
use glb_dirsync::diff::{
    ByteRange, Difference, End, FieldChange, Flow, Item, Key, Place, RecordKey, Shown, Sink, Start,
};
use glb_formats::format::Format;
use glb_formats::kind::Family;
use glb_formats::layout::{Layout, Statement, MARK_LEGEND};
use glb_formats::{with_format, FileKind};
use owo_colors::Style;
use serde::Serialize;

use super::{visible, Painter};
use crate::diff::DiffFormat;
use crate::output::Guarded;
use crate::timefmt::{ctime, Zone};

/// The `format` value of the server-versus-requestor JSON document.
pub const FORMAT: &str = "glbtool-diff/1";

/// The `format` value of the two-file JSON document (version 2: the
/// differences in one list, in key order, written as they are found).
pub const FORMAT_FILES: &str = "glbtool-diff/2";

/// The two files as given.
pub struct Sources {
    /// The first file.
    pub a: String,
    /// The second file.
    pub b: String,
}

fn json<W: Write, T: Serialize>(out: &mut W, doc: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc).map_err(io::Error::from)?;
    writeln!(out)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// ---------------------------------------------------------------------------
// Two files
// ---------------------------------------------------------------------------

/// The layout of a kind's family.
fn layout_of(kind: FileKind) -> Layout {
    with_format!(kind.family(), |F| F::layout())
}

/// How a key is named in the text report: `sync 12`, `"Paul"`, `address PCM:N/P/paul`.
fn key_label(k: &RecordKey) -> String {
    match k.by {
        "name" => format!("\"{}\"", visible(&k.key)),
        by => format!("{by} {}", visible(&k.key)),
    }
}

fn place(p: &Place) -> String {
    format!("record {} at byte {}", p.index, p.offset)
}

/// A value as the text report shows it.
fn value(field: &str, v: &Shown, zone: &Zone) -> String {
    match v {
        Shown::Unsigned(n) if field == "tid" => format!("{n:08X}"),
        Shown::Unsigned(n) => n.to_string(),
        Shown::Signed(n) => n.to_string(),
        Shown::Time(t) => ctime(*t, zone),
        Shown::Text(t) => format!("\"{}\"", visible(t)),
        Shown::Code { raw, meaning } => match meaning {
            Some(m) => format!("{raw} ({m})"),
            None => format!("{raw} (unknown)"),
        },
        Shown::Checksum { stored, .. } => stored.clone(),
        Shown::Bytes { hex } => hex.clone(),
    }
}

fn range(r: &ByteRange) -> String {
    let at = if r.a_offset == r.b_offset {
        format!("byte {} (0x{:x})", r.a_offset, r.a_offset)
    } else {
        format!(
            "byte {} (0x{:x}) of A, {} (0x{:x}) of B",
            r.a_offset, r.a_offset, r.b_offset, r.b_offset
        )
    };
    format!(
        "{at}, {}: {} -> {}",
        plural(r.len, "byte", "bytes"),
        if r.a.is_empty() { "(none)" } else { &r.a },
        if r.b.is_empty() { "(none)" } else { &r.b }
    )
}

fn field_change<W: Write>(
    out: &mut W,
    p: Painter,
    zone: &Zone,
    indent: &str,
    f: &FieldChange,
) -> io::Result<()> {
    let name = format!(
        "{} {}",
        f.provenance.mark(),
        p.paint(f.field, Painter::role_style(f.role))
    );
    if f.bytes.is_empty() || f.a != f.b && !matches!(f.a, Shown::Bytes { .. }) {
        writeln!(
            out,
            "{indent}{name}: {} -> {}",
            value(f.field, &f.a, zone),
            value(f.field, &f.b, zone)
        )?;
    }
    for r in &f.bytes {
        let label = if matches!(f.a, Shown::Bytes { .. }) {
            "unknown bytes"
        } else {
            "bytes differ"
        };
        writeln!(out, "{indent}{name}: {label} at {}", range(r))?;
    }
    Ok(())
}

fn item_line(i: &Item, zone: &Zone) -> String {
    // The field the key already shows is not repeated.
    let keyed = match i.key.by {
        "sync" => "sync",
        "TID" => "tid",
        "id" => "id",
        _ => "",
    };
    let fields: Vec<String> = i
        .fields
        .0
        .iter()
        .filter(|(n, _)| *n != keyed)
        .map(|(n, v)| format!("{n}={}", value(n, v, zone)))
        .collect();
    format!(
        "{}  {}: {}",
        key_label(&i.key),
        place(&i.place),
        fields.join("  ")
    )
}

/// A file's record count, in words (`None`: not known before comparing).
fn records(kind: FileKind, n: Option<u64>) -> String {
    if kind.family() == Family::ReqConf {
        ", 512 bytes".to_string()
    } else {
        n.map_or(String::new(), |n| {
            format!(", {}", plural(n, "record", "records"))
        })
    }
}

/// How records were paired, in words.
fn pairing(kind: FileKind, key: Key) -> String {
    if kind.family() == Family::ReqConf {
        "one 512-byte record, compared field by field".to_string()
    } else {
        format!("records paired by {}", key.name())
    }
}

/// The report of a two-file diff, written as the differences are found: the
/// start (files, pairing, header), each difference in key order, then the
/// order, the counts and the verdict. Memory holds one difference at a time.
///
/// Written through [`Guarded`]: when the reader of standard output goes
/// away, the report stops being written, and the diff stops at the first
/// difference (the exit status is then 1, never 0).
pub struct FileReport<'z, W: Write> {
    out: io::BufWriter<Guarded<W>>,
    style: DiffFormat,
    p: Painter,
    zone: &'z Zone,
    sources: Sources,
    start: Option<Start>,
    /// A difference was told (a header field, or a record).
    differs: bool,
    /// A record difference was written (its heading is out).
    listed: bool,
}

fn io_err(e: io::Error) -> glb_formats::Error {
    glb_formats::Error::io("writing the diff report", e)
}

impl<'z, W: Write> FileReport<'z, W> {
    /// A report of `sources` to `out`.
    pub fn new(out: W, style: DiffFormat, p: Painter, zone: &'z Zone, sources: Sources) -> Self {
        FileReport {
            out: io::BufWriter::with_capacity(1 << 16, Guarded::new(out)),
            style,
            p,
            zone,
            sources,
            start: None,
            differs: false,
            listed: false,
        }
    }

    /// The flow after writing: stop when nobody reads and the answer (the
    /// files differ) is known.
    fn flow(&self) -> Flow {
        if self.differs && self.out.get_ref().closed() {
            Flow::Break(())
        } else {
            Flow::Continue(())
        }
    }

    fn text_start(&mut self, d: &Start) -> io::Result<()> {
        let (p, out, s) = (self.p, &mut self.out, &self.sources);
        let red = Style::new().red();
        let green = Style::new().green();
        writeln!(
            out,
            "{}",
            p.paint(
                &format!(
                    "--- A {} ({}{})",
                    s.a,
                    d.kind_a,
                    records(d.kind_a, d.records_a)
                ),
                red
            )
        )?;
        writeln!(
            out,
            "{}",
            p.paint(
                &format!(
                    "+++ B {} ({}{})",
                    s.b,
                    d.kind_b,
                    records(d.kind_b, d.records_b)
                ),
                green
            )
        )?;
        writeln!(
            out,
            "{}",
            p.dim(&format!(
                "{}; times in {}",
                pairing(d.kind_a, d.key),
                self.zone.label()
            ))
        )?;
        let layout = layout_of(d.kind_a);
        writeln!(out, "{}", p.dim(&layout.summary(d.kind_a.name())))?;
        writeln!(
            out,
            "{}",
            p.dim(&format!("Marks before changed fields: {MARK_LEGEND}"))
        )?;
        for n in &d.notes {
            writeln!(out, "{}", p.dim(&format!("note: {n}")))?;
        }
        if !d.header.is_empty() {
            writeln!(out, "{}", p.heading("File header"))?;
            for f in &d.header {
                field_change(out, p, self.zone, "  ~ ", f)?;
            }
        }
        Ok(())
    }

    fn json_start(&mut self, d: &Start) -> io::Result<()> {
        let out = &mut self.out;
        let s = &self.sources;
        writeln!(out, "{{")?;
        writeln!(out, "  \"format\": {},", compact(&FORMAT_FILES))?;
        writeln!(out, "  \"mode\": \"files\",")?;
        writeln!(out, "  \"a\": {},", compact(&s.a))?;
        writeln!(out, "  \"b\": {},", compact(&s.b))?;
        let layout = layout_of(d.kind_a).statement(d.kind_a.name());
        writeln!(out, "  \"layout\": {},", compact(&layout))?;
        writeln!(out, "  \"kind_a\": {},", compact(&d.kind_a))?;
        writeln!(out, "  \"kind_b\": {},", compact(&d.kind_b))?;
        writeln!(out, "  \"key\": {},", compact(&d.key))?;
        // The counts when known now, else at the end (never both: one key once).
        if let (Some(ra), Some(rb)) = (d.records_a, d.records_b) {
            writeln!(out, "  \"records_a\": {ra},")?;
            writeln!(out, "  \"records_b\": {rb},")?;
        }
        json_list(out, "header", &d.header)?;
        writeln!(out, ",")?;
        write!(out, "  \"differences\": [")
    }

    fn text_difference(&mut self, d: &Difference) -> io::Result<()> {
        let (p, zone) = (self.p, self.zone);
        let out = &mut self.out;
        if !self.listed {
            let key = self.start.as_ref().map_or(Key::Auto, |s| s.key);
            writeln!(
                out,
                "{}",
                p.heading(&format!("Records that differ, in {} order", key.name()))
            )?;
        }
        let red = Style::new().red();
        let green = Style::new().green();
        let yellow = Style::new().yellow();
        match d {
            Difference::Removed(i) => writeln!(
                out,
                "{}",
                p.paint(&format!("- {}", item_line(i, zone)), red)
            ),
            Difference::Added(i) => writeln!(
                out,
                "{}",
                p.paint(&format!("+ {}", item_line(i, zone)), green)
            ),
            Difference::Changed(c) => {
                let at = if c.a == c.b {
                    place(&c.a)
                } else {
                    format!("{} in A, {} in B", place(&c.a), place(&c.b))
                };
                writeln!(
                    out,
                    "{} {}  {}",
                    p.paint("~", yellow),
                    p.paint(&key_label(&c.key), yellow),
                    p.dim(&at)
                )?;
                for t in &c.transaction {
                    let shown = |v: &Option<String>| {
                        v.as_deref()
                            .map_or_else(|| "(none)".to_string(), |s| format!("\"{}\"", visible(s)))
                    };
                    writeln!(out, "    {}: {} -> {}", t.part, shown(&t.a), shown(&t.b))?;
                }
                for f in &c.fields {
                    field_change(out, p, zone, "    ", f)?;
                }
                Ok(())
            }
        }
    }

    fn text_end(&mut self, start: &Start, e: &End) -> io::Result<()> {
        let (p, out) = (self.p, &mut self.out);
        let yellow = Style::new().yellow();
        if let Some(r) = &e.reordered {
            writeln!(out, "{}", p.heading("Order"))?;
            writeln!(
                out,
                "{} {} comes after {} in A ({}) and before it in B ({})",
                p.paint("~", yellow),
                key_label(&r.key),
                key_label(&r.before),
                place(&r.a),
                place(&r.b)
            )?;
        }
        for n in &e.notes {
            writeln!(out, "{}", p.dim(&format!("note: {n}")))?;
        }
        if start.records_a.is_none() || start.records_b.is_none() {
            writeln!(
                out,
                "{}",
                p.dim(&format!(
                    "A has {}, B {}",
                    plural(e.records_a, "record", "records"),
                    plural(e.records_b, "record", "records")
                ))
            )?;
        }
        let summary = format!(
            "{} changed, {} only in A, {} only in B, {} unchanged{}: {}",
            e.changed,
            e.removed,
            e.added,
            e.unchanged,
            if start.header.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} in the header",
                    plural(start.header.len() as u64, "field", "fields")
                )
            },
            if e.is_equal(start) {
                "the files are equal"
            } else {
                "the files differ"
            }
        );
        writeln!(out, "{}", p.heading(&summary))
    }

    fn json_end(&mut self, start: &Start, e: &End) -> io::Result<()> {
        let out = &mut self.out;
        writeln!(out, "{}],", if self.listed { "\n  " } else { "" })?;
        writeln!(out, "  \"reordered\": {},", compact(&e.reordered))?;
        let notes: Vec<&String> = start.notes.iter().chain(&e.notes).collect();
        writeln!(out, "  \"notes\": {},", compact(&notes))?;
        if start.records_a.is_none() || start.records_b.is_none() {
            writeln!(out, "  \"records_a\": {},", e.records_a)?;
            writeln!(out, "  \"records_b\": {},", e.records_b)?;
        }
        writeln!(out, "  \"changed\": {},", e.changed)?;
        writeln!(out, "  \"removed\": {},", e.removed)?;
        writeln!(out, "  \"added\": {},", e.added)?;
        writeln!(out, "  \"unchanged\": {},", e.unchanged)?;
        writeln!(out, "  \"equal\": {}", e.is_equal(start))?;
        writeln!(out, "}}")
    }

    /// Writes the end of the report; returns whether the files are equal.
    pub fn end(mut self, e: &End) -> Result<bool, glb_formats::Error> {
        let start = self.start.take().expect("a report starts before it ends");
        match self.style {
            // HTML: the text, escaped inside a page (diff.rs).
            DiffFormat::Text | DiffFormat::Html => self.text_end(&start, e),
            DiffFormat::Json => self.json_end(&start, e),
        }
        .map_err(io_err)?;
        self.finish()?;
        Ok(e.is_equal(&start))
    }

    /// True once the start of the report is out (or in its buffer).
    pub fn started(&self) -> bool {
        self.start.is_some()
    }

    /// Ends a report cut short before the end of the files: the text says
    /// `why` on its last line; a JSON document is left unfinished, so that
    /// no reader takes it for a whole comparison. Flushes what was written.
    pub fn cut_short(mut self, why: &str) -> Result<(), glb_formats::Error> {
        match self.style {
            DiffFormat::Text | DiffFormat::Html => {
                let line = self.p.heading(&format!("Cut short: {why}"));
                writeln!(self.out, "{line}").map_err(io_err)?;
            }
            DiffFormat::Json => {}
        }
        self.finish()
    }

    /// Flushes what was written (a report cut short ends here).
    pub fn finish(mut self) -> Result<(), glb_formats::Error> {
        self.out.flush().map_err(io_err)
    }
}

impl<W: Write> Sink for FileReport<'_, W> {
    fn start(&mut self, start: &Start) -> Result<Flow, glb_formats::Error> {
        self.differs = !start.header.is_empty();
        match self.style {
            // HTML: the text, escaped inside a page (diff.rs).
            DiffFormat::Text | DiffFormat::Html => self.text_start(start),
            DiffFormat::Json => self.json_start(start),
        }
        .map_err(io_err)?;
        self.start = Some(start.clone());
        Ok(self.flow())
    }

    fn difference(&mut self, d: Difference) -> Result<Flow, glb_formats::Error> {
        self.differs = true;
        match self.style {
            // HTML: the text, escaped inside a page (diff.rs).
            DiffFormat::Text | DiffFormat::Html => self.text_difference(&d),
            DiffFormat::Json => {
                let sep = if self.listed { "," } else { "" };
                write!(self.out, "{sep}\n    {}", compact(&d))
            }
        }
        .map_err(io_err)?;
        self.listed = true;
        Ok(self.flow())
    }
}

/// Writes `"name": [` the items one per line `]` (no trailing newline).
fn json_list<W: Write, T: Serialize>(out: &mut W, name: &str, items: &[T]) -> io::Result<()> {
    write!(out, "  \"{name}\": [")?;
    for (i, x) in items.iter().enumerate() {
        write!(out, "{}\n    {}", if i > 0 { "," } else { "" }, compact(x))?;
    }
    write!(out, "{}]", if items.is_empty() { "" } else { "\n  " })
}

/// A value as compact JSON. Serialising the report's values (strings,
/// numbers, derived structs whose map keys are strings) cannot fail.
fn compact<T: Serialize + ?Sized>(x: &T) -> String {
    serde_json::to_string(x).unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
}

// ---------------------------------------------------------------------------
// Server versus requestor
// ---------------------------------------------------------------------------

#[derive(Serialize)]
struct ServerJson<'a> {
    source: &'a str,
    kind: glb_formats::FileKind,
    transactions: u64,
    first_sync: Option<u32>,
    last_sync: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resync_header: Option<glb_formats::queue::ResyncHeader>,
    lists: usize,
}

#[derive(Serialize)]
struct RequestorJson<'a> {
    source: String,
    scope: glb_dirsync::compare::Scope,
    types: &'a Option<Vec<String>>,
    lists: usize,
}

#[derive(Serialize)]
struct ListJson<'a> {
    #[serde(flatten)]
    list: &'a PostofficeDiff,
    #[serde(skip_serializing_if = "Option::is_none")]
    advice: Option<glb_dirsync::compare::Advice>,
}

#[derive(Serialize)]
struct Summary {
    lists: usize,
    differing: usize,
    cannot_judge: usize,
    missing: usize,
    extra: usize,
    changed: usize,
    duplicates: usize,
    pending: u64,
}

#[derive(Serialize)]
struct CompareJson<'a> {
    format: &'static str,
    mode: &'static str,
    equal: bool,
    server: ServerJson<'a>,
    requestor: RequestorJson<'a>,
    local: &'a Option<glb_dirsync::compare::LocalPostoffice>,
    lists: Vec<ListJson<'a>>,
    excluded: &'a [glb_dirsync::compare::Excluded],
    notes: &'a [String],
    server_events: &'a [glb_dirsync::replay::Event],
    pending: &'a Option<glb_dirsync::compare::Pending>,
    server_behind: &'a Option<glb_dirsync::compare::ServerBehind>,
    summary: Summary,
    /// Where the positions of the fields read come from: the server's queue,
    /// the requestor's lists and configuration.
    layouts: Vec<Statement>,
}

/// The layouts `diff --dss` reads fields from.
const COMPARE_LAYOUTS: [FileKind; 6] = [
    FileKind::Msttrans,
    FileKind::Reqconf,
    FileKind::Usr,
    FileKind::Nme,
    FileKind::Netpo,
    FileKind::Network,
];

fn summary(c: &Comparison) -> Summary {
    let (missing, extra, changed) = c.totals();
    Summary {
        lists: c.lists.len(),
        differing: c.differing().count(),
        cannot_judge: c.unjudged().count(),
        missing,
        extra,
        changed,
        duplicates: c.lists.iter().map(|l| l.duplicates.len()).sum(),
        pending: c.pending.as_ref().map_or(0, |p| p.count),
    }
}

/// Writes the JSON document of a server-versus-requestor comparison.
pub fn compare_json<W: Write>(
    out: &mut W,
    server: &ServerView,
    requestor: &RequestorView,
    c: &Comparison,
) -> io::Result<()> {
    json(
        out,
        &CompareJson {
            format: FORMAT,
            mode: "server-requestor",
            equal: c.is_equal(),
            server: ServerJson {
                source: &server.source,
                kind: server.kind,
                transactions: server.transactions,
                first_sync: server.syncs.map(|s| s.0),
                last_sync: server.syncs.map(|s| s.1),
                resync_header: server.resync,
                lists: server.directory.lists.len(),
            },
            requestor: RequestorJson {
                source: requestor.source.display().to_string(),
                scope: requestor.scope,
                types: &requestor.types,
                lists: requestor.lists.len(),
            },
            local: &c.local,
            lists: c
                .lists
                .iter()
                .map(|l| ListJson {
                    list: l,
                    advice: l.cause_and_remedy(),
                })
                .collect(),
            excluded: &c.excluded,
            notes: &c.notes,
            server_events: &c.server_events,
            pending: &c.pending,
            server_behind: &c.server_behind,
            summary: summary(c),
            layouts: crate::render::layout_statements(COMPARE_LAYOUTS),
        },
    )
}

fn entry_line(e: &Entry) -> String {
    let mut s = format!("\"{}\"", visible(&e.name));
    if let Some(a) = &e.address {
        s.push_str(&format!("  {}", visible(a)));
    }
    if let Some(n) = e.sync {
        s.push_str(&format!("  (sync {n})"));
    }
    if let Some(r) = e.record {
        s.push_str(&format!("  (record {r})"));
    }
    s
}

fn list_heading(l: &PostofficeDiff) -> String {
    let names = |n: u64| plural(n, "name", "names");
    match l.status {
        ListStatus::Equal => format!("equal: {}", names(l.server_entries - l.own_entries)),
        ListStatus::MissingList => format!(
            "the requestor has no list: {} missing",
            names(l.missing.len() as u64)
        ),
        ListStatus::ExtraList => format!(
            "the server has no list: {} only on the requestor",
            names(l.extra.len() as u64)
        ),
        ListStatus::Differs => {
            let mut h = format!(
                "{} missing, {} extra, {} changed",
                l.missing.len(),
                l.extra.len(),
                l.changed.len()
            );
            if !l.duplicates.is_empty() {
                h.push_str(&format!(", {} held twice", l.duplicates.len()));
            }
            if !l.unjudged.is_empty() {
                h.push_str(&format!(", {} not judged", l.unjudged.len()));
            }
            h.push_str(&format!(
                " (server {}, requestor {})",
                l.server_entries, l.requestor_entries
            ));
            h
        }
        ListStatus::CannotJudge => format!(
            "{} ({} not in the remaining transactions)",
            glb_dirsync::compare::PURGED_R,
            names(l.unjudged.len() as u64)
        ),
    }
}

/// Writes the text report of a server-versus-requestor comparison, grouped by postoffice.
pub fn compare_text<W: Write>(
    out: &mut W,
    p: Painter,
    server: &ServerView,
    requestor: &RequestorView,
    c: &Comparison,
) -> io::Result<()> {
    let (red, green, yellow) = (
        Style::new().red(),
        Style::new().green(),
        Style::new().yellow(),
    );
    let syncs = server
        .syncs
        .map_or_else(String::new, |(f, l)| format!(", sync {f} to {l}"));
    writeln!(
        out,
        "{} {} ({} replayed: {}{syncs}; {})",
        p.heading("Server:   "),
        server.source,
        server.kind,
        plural(server.transactions, "transaction", "transactions"),
        plural(server.directory.lists.len() as u64, "list", "lists")
    )?;
    let local = c.local.as_ref().map_or_else(
        || "own postoffice unknown".to_string(),
        |l| {
            let how = match l.source {
                LocalSource::Given => "given with --local",
                LocalSource::Reqconf => "from its REQCONF.GLB",
                LocalSource::InferredFromPol => "recognised by its local users",
            };
            format!("own postoffice {}, {how}", l.name)
        },
    );
    writeln!(
        out,
        "{} {} ({}; {})",
        p.heading("Requestor:"),
        requestor.source.display(),
        plural(requestor.lists.len() as u64, "list", "lists"),
        local
    )?;
    writeln!(
        out,
        "{}",
        p.dim(&crate::render::layout_digest(COMPARE_LAYOUTS))
    )?;
    if let Some(b) = &c.server_behind {
        writeln!(out)?;
        writeln!(out, "{} {}", p.error("server behind:"), b.advice.cause)?;
        writeln!(out, "    {} {}", p.heading("remedy:"), b.advice.remedy)?;
    }
    for l in &c.lists {
        writeln!(out)?;
        let head = format!("{}  {}", l.name, list_heading(l));
        let style = if l.is_equal() { green } else { yellow.bold() };
        let mut detail = Vec::new();
        if let Some(f) = &l.requestor_file {
            detail.push(f.clone());
        }
        detail.push(match l.matching {
            Matching::Address => "matched by address".to_string(),
            Matching::Name => {
                "matched by friendly name only: the requestor keeps names, not addresses"
                    .to_string()
            }
        });
        if l.own_entries > 0 {
            detail.push(format!(
                "{} in the requestor's own POL (its own addresses) left out",
                plural(l.own_entries, "name", "names")
            ));
        }
        if l.requestor_deleted > 0 {
            detail.push(format!(
                "{} ignored",
                plural(l.requestor_deleted, "deleted record", "deleted records")
            ));
        }
        writeln!(out, "{}", p.paint(&head, style))?;
        writeln!(out, "    {}", p.dim(&detail.join("; ")))?;
        for e in &l.missing {
            writeln!(out, "    {} {}", p.paint("missing", red), entry_line(e))?;
        }
        for e in &l.extra {
            writeln!(out, "    {} {}", p.paint("extra  ", green), entry_line(e))?;
        }
        for ch in &l.changed {
            writeln!(
                out,
                "    {} server {}",
                p.paint("differs", yellow),
                entry_line(&ch.server)
            )?;
            writeln!(out, "            requestor {}", entry_line(&ch.requestor))?;
        }
        for e in &l.duplicates {
            writeln!(out, "    {} {}", p.paint("twice  ", red), entry_line(e))?;
        }
        for e in &l.unjudged {
            writeln!(out, "    {} {}", p.dim("unknown"), entry_line(e))?;
        }
        if let Some(a) = l.cause_and_remedy() {
            writeln!(out, "    {} {}", p.heading("cause: "), a.cause)?;
            writeln!(out, "    {} {}", p.heading("remedy:"), a.remedy)?;
        }
    }
    if !c.excluded.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", p.heading("Not compared"))?;
        for e in &c.excluded {
            writeln!(out, "    {}: {}", e.list, e.reason)?;
        }
    }
    if let Some(pending) = &c.pending {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            p.heading(&format!(
                "Pending: {} above the requestor's SrvSync {}",
                plural(pending.count, "server transaction", "server transactions"),
                pending.requestor_srvsync
            ))
        )?;
        writeln!(out, "    {}", p.dim(&pending.note))?;
        for t in &pending.transactions {
            let name = t
                .name
                .as_ref()
                .map_or_else(String::new, |n| format!(" \"{}\"", visible(n)));
            writeln!(out, "    sync {}: {}{name} ({})", t.sync, t.command, t.list)?;
        }
        let more = pending
            .count
            .saturating_sub(pending.transactions.len() as u64);
        if more > 0 {
            writeln!(out, "    ... and {more} more")?;
        }
    }
    if !c.server_events.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            p.heading("The server's own transactions that changed no list")
        )?;
        for e in &c.server_events {
            writeln!(
                out,
                "    sync {}: {} {} ({})",
                e.sync,
                glb_formats::messages::bracketed(e.message),
                e.detail,
                e.list
            )?;
            if let Some(code) = e.code {
                writeln!(out, "        {} as validate reports it", p.warn(code))?;
            }
            if let Some(fix) = &e.fix {
                writeln!(out, "        {} {fix}", p.heading("fix:"))?;
            }
        }
    }
    if !c.notes.is_empty() {
        writeln!(out)?;
        for n in &c.notes {
            writeln!(out, "{}", p.dim(&format!("note: {n}")))?;
        }
    }
    writeln!(out)?;
    let s = summary(c);
    let mut text = if c.is_equal() {
        format!(
            "Summary: {} compared, all equal",
            plural(s.lists as u64, "list", "lists")
        )
    } else if s.differing == 0 {
        format!(
            "Summary: {} compared, none proven different",
            plural(s.lists as u64, "list", "lists")
        )
    } else {
        format!(
            "Summary: {} of {} differ: {} missing, {} extra, {} changed",
            s.differing,
            plural(s.lists as u64, "list", "lists"),
            plural(s.missing as u64, "name", "names"),
            s.extra,
            s.changed
        )
    };
    if s.duplicates > 0 {
        text.push_str(&format!(", {} held twice", s.duplicates));
    }
    if s.cannot_judge > 0 {
        text.push_str(&format!(
            "; {} cannot be judged (purged)",
            plural(s.cannot_judge as u64, "list", "lists")
        ));
    }
    if s.pending > 0 {
        text.push_str(&format!(
            "; {} pending",
            plural(s.pending, "transaction", "transactions")
        ));
    }
    writeln!(out, "{}", p.heading(&text))
}
