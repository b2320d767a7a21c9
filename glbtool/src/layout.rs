//! `glbtool layout KIND`: a family's field table (offset, width, type, name,
//! what it holds, and whether its position is documented, with the KB
//! articles, or glbtool's reconstruction, with the reasoning).
//!
//! The table is printed from the same declaration the reader, the writer and
//! the annotated dump use (`glb_formats::layout::Field`); the tables in
//! `docs/formats/*.md` are this command's `--format markdown` output, and a
//! test (`glbtool/tests/layout.rs`) fails when they differ.

use std::io::Write;

use clap::{Args, ValueEnum};
use glb_formats::format::Format;
use glb_formats::layout::{Field, Layout, Provenance, MARK_LEGEND};
use glb_formats::queue::AFTER_TEXT;
use glb_formats::{with_format, FileKind};
use serde::Serialize;

use crate::console::Console;
use crate::options::ColorOption;
use crate::output::{self, use_color, CliResult};
use crate::render::Painter;

/// Output format of `layout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayoutFormat {
    /// A table for people, with the reasoning under each field.
    Text,
    /// The Markdown tables of `docs/formats/*.md`.
    Markdown,
    /// A JSON document.
    Json,
}

/// Arguments of `layout`.
#[derive(Args, Debug)]
#[command(
    after_help = "Marks: D documented position (KB), S documented start with reconstructed width,\n\
    R position reconstructed by glbtool, ? unknown bytes kept verbatim.\n\n\
    Examples:\n  \
    glbtool layout reqconf\n  \
    glbtool layout network --format markdown\n  \
    glbtool layout reqtrans --format json"
)]
pub struct LayoutArgs {
    /// The file kind: reqtrans (and every queue), reqconf, srvconf, process,
    /// nme, usr, netpo, galnetpo, network, xtn; or a file name such as
    /// REQCONF.GLB.
    #[arg(value_parser = crate::help::KindParser)]
    pub kind: FileKind,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = LayoutFormat::Text)]
    pub format: LayoutFormat,
    #[command(flatten)]
    pub color: ColorOption,
}

/// The two parts of a layout, each with its name and size.
fn parts(layout: &Layout) -> Vec<(&'static str, &'static [Field])> {
    [("file header", layout.header), ("record", layout.record)]
        .into_iter()
        .filter(|(_, fields)| !fields.is_empty())
        .collect()
}

/// Bytes a part covers, or `None` for a variable record.
fn part_len(fields: &[Field]) -> Option<usize> {
    let last = fields.last()?;
    if last.start == AFTER_TEXT || last.len > u32::MAX as usize {
        None
    } else {
        Some(last.start + last.len)
    }
}

/// `+13 (0x0D)`; `+24+n` after a variable text.
fn offset_text(f: &Field) -> String {
    if f.start == AFTER_TEXT {
        "+24+n".into()
    } else if f.start < 10 {
        format!("+{}", f.start)
    } else {
        format!("+{} (0x{:02X})", f.start, f.start)
    }
}

/// The width, `n` for a variable text.
fn size_text(f: &Field) -> String {
    if f.len > u32::MAX as usize {
        "n".into()
    } else {
        f.len.to_string()
    }
}

fn part_title(kind: FileKind, part: &str, fields: &[Field]) -> String {
    match part_len(fields) {
        Some(n) => format!("{kind} {part} ({n} bytes)"),
        None => format!("{kind} {part} (24 + n + 1 bytes)"),
    }
}

/// A `docs/formats` table cell: `|` escaped.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The Markdown statement of a field's provenance.
fn markdown_provenance(p: Provenance) -> String {
    match p {
        Provenance::Documented(src) => format!("*documented* ({src})"),
        Provenance::Start(src, why) => {
            format!("start *documented* ({src}); width *reconstructed*: {why}")
        }
        Provenance::Reconstructed(why) => format!("*reconstructed*: {why}"),
        Provenance::Unknown("") => "unknown, kept verbatim".into(),
        Provenance::Unknown(note) => format!("unknown, kept verbatim: {note}"),
    }
}

/// The Markdown table of one part, as `docs/formats/*.md` holds it between
/// `<!-- begin layout KIND PART -->` and `<!-- end layout -->`.
pub fn markdown(fields: &[Field]) -> String {
    let mut out =
        String::from("| offset | size | type | field | provenance |\n|---|---|---|---|---|\n");
    for f in fields {
        out.push_str(&format!(
            "| {} | {} | {} | `{}`: {} | {} |\n",
            offset_text(f),
            size_text(f),
            f.ty,
            f.name,
            cell(f.note),
            cell(&markdown_provenance(f.provenance))
        ));
    }
    out
}

#[derive(Serialize)]
struct FieldJson {
    offset: Option<usize>,
    after_text: bool,
    size: Option<usize>,
    name: &'static str,
    #[serde(rename = "type")]
    ty: &'static str,
    holds: &'static str,
    provenance: &'static str,
    source: Option<&'static str>,
    reasoning: Option<&'static str>,
}

#[derive(Serialize)]
struct PartJson {
    part: &'static str,
    size: Option<usize>,
    fields: Vec<FieldJson>,
}

#[derive(Serialize)]
struct LayoutJson {
    format: &'static str,
    kind: FileKind,
    spec: &'static str,
    parts: Vec<PartJson>,
}

fn field_json(f: &Field) -> FieldJson {
    let (source, reasoning) = match f.provenance {
        Provenance::Documented(src) => (Some(src), None),
        Provenance::Start(src, why) => (Some(src), Some(why)),
        Provenance::Reconstructed(why) => (None, Some(why)),
        Provenance::Unknown(note) => (None, (!note.is_empty()).then_some(note)),
    };
    FieldJson {
        offset: (f.start != AFTER_TEXT).then_some(f.start),
        after_text: f.start == AFTER_TEXT,
        size: (f.len <= u32::MAX as usize).then_some(f.len),
        name: f.name,
        ty: f.ty,
        holds: f.note,
        provenance: f.provenance.label(),
        source,
        reasoning,
    }
}

/// Runs `layout`.
pub fn run(args: LayoutArgs, con: &mut Console) -> CliResult {
    let layout = with_format!(args.kind.family(), |F| F::layout());
    let painter = Painter::new(use_color(args.color.value, con.tty));
    let mut out = output::buffered(con.out);
    match args.format {
        LayoutFormat::Markdown => {
            for (part, fields) in parts(&layout) {
                writeln!(
                    out,
                    "<!-- begin layout {} {} -->",
                    args.kind.name(),
                    part_key(part)
                )?;
                write!(out, "{}", markdown(fields))?;
                writeln!(out, "<!-- end layout -->")?;
            }
        }
        LayoutFormat::Json => {
            let doc = LayoutJson {
                format: "glbtool-layout/1",
                kind: args.kind,
                spec: layout.spec,
                parts: parts(&layout)
                    .into_iter()
                    .map(|(part, fields)| PartJson {
                        part,
                        size: part_len(fields),
                        fields: fields.iter().map(field_json).collect(),
                    })
                    .collect(),
            };
            output::write_json(&mut out, &doc)?;
            writeln!(out)?;
        }
        LayoutFormat::Text => {
            writeln!(
                out,
                "{}",
                painter.heading(&format!(
                    "{} ({}): {}",
                    args.kind,
                    args.kind.name(),
                    layout.spec
                ))
            )?;
            writeln!(out, "{}", painter.dim(&format!("Marks: {MARK_LEGEND}")))?;
            for (part, fields) in parts(&layout) {
                writeln!(out)?;
                writeln!(
                    out,
                    "{}",
                    painter.heading(&part_title(args.kind, part, fields))
                )?;
                writeln!(
                    out,
                    "{}",
                    painter.heading(&format!(
                        "  {:<12}  {:>4}  {:<15}  {:<18}  position",
                        "offset", "size", "type", "field"
                    ))
                )?;
                for f in fields {
                    writeln!(
                        out,
                        "{} {:<12}  {:>4}  {:<15}  {:<18}  {}",
                        f.provenance.mark(),
                        offset_text(f),
                        size_text(f),
                        f.ty,
                        f.name,
                        f.provenance.label()
                    )?;
                    writeln!(out, "{:22}{}", "", f.note)?;
                    writeln!(out, "{:22}{}", "", painter.dim(&f.provenance.statement()))?;
                }
            }
        }
    }
    output::finish(out)?;
    Ok(0)
}

/// `header` or `record`, as in the docs markers.
fn part_key(part: &str) -> &'static str {
    if part == "record" {
        "record"
    } else {
        "header"
    }
}
