//! `glbtool dump --postoffice DIR`: a postoffice directory's networks and
//! every address list, each named (a USR file by the network and postoffice
//! whose XTN record carries its hexid), with entry counts. Text or JSON.

use std::io::Write;
use std::path::Path;

use glb_dirsync::postoffice::{AddressList, PoFile, Postoffice};
use glb_formats::codepage::CodePage;
use glb_formats::format::Format;
use glb_formats::hexid::Hexid;
use glb_formats::layout::Statement;
use glb_formats::network::Network;
use glb_formats::xtn::Xtn;
use serde::Serialize;

use crate::console::Console;
use crate::output::{self, use_color, CliError, CliResult};
use crate::render::lists::{self, plural, ListContext};
use crate::render::Painter;
use crate::ShowOptions;

/// The `format` value of the JSON document.
pub const FORMAT: &str = "glbtool-postoffice/1";

#[derive(Serialize)]
struct PostofficeJson<'a> {
    format: &'static str,
    root: String,
    codepage: CodePage,
    /// Where the names and numbers shown come from: NETWORK.GLB and the XTN files.
    layouts: Vec<Statement>,
    networks: Vec<NetworkJson>,
    address_lists: &'a [AddressList],
    files: &'a [PoFile],
    problems: &'a [String],
}

#[derive(Serialize)]
struct NetworkJson {
    index: u64,
    name: String,
    status: u8,
    deleted: bool,
    network_type: u8,
    network_type_meaning: Option<&'static str>,
    xtn: Option<Hexid>,
    mailbag: Option<Hexid>,
    postoffices: Vec<XtnJson>,
}

#[derive(Serialize)]
struct XtnJson {
    index: u64,
    name: String,
    status: u8,
    deleted: bool,
    mailbag: Option<Hexid>,
}

/// Runs `dump --postoffice DIR` (`json`: `--format json`, else text; `dump`
/// refuses the other formats). Exit 0, or 1 when something was found wrong
/// (a list whose size is not whole records, a USR named only through deleted
/// records, a differing shadow, a damaged NETWORK.GLB or XTN).
pub fn run(dir: &Path, json: bool, show: &ShowOptions, con: &mut Console) -> CliResult {
    let cp = show.codepage.value;
    let po = Postoffice::open(dir, cp)?;
    let mut out = output::buffered(con.out);
    if json {
        write_json(&po, cp, &mut out)?;
    } else {
        write_text(
            &po,
            cp,
            Painter::new(use_color(show.color.value, con.tty)),
            &mut out,
        )?;
    }
    output::finish(out)?;
    let clean =
        po.problems().is_empty() && po.address_lists().iter().all(|l| l.problems.is_empty());
    Ok(if clean { 0 } else { 1 })
}

/// The layout statements of the two files the view reads fields from
/// (NETWORK.GLB and the XTN files; the lists are only counted from their size).
fn layout_lines() -> [String; 2] {
    [
        Network::layout().summary("network"),
        Xtn::layout().summary("xtn"),
    ]
}

/// A path below the postoffice root, `/`-separated.
fn relative(po: &Postoffice, p: &Path) -> String {
    let rel = p.strip_prefix(po.root()).unwrap_or(p);
    let parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

fn write_json<W: Write>(po: &Postoffice, cp: CodePage, out: &mut W) -> Result<(), CliError> {
    let networks = po
        .networks()
        .iter()
        .map(|n| NetworkJson {
            index: n.index,
            name: n.record.name.decode(cp),
            status: n.record.status,
            deleted: n.record.is_deleted(),
            network_type: n.record.network_type,
            network_type_meaning: n.record.network_type_meaning(),
            xtn: n.record.xtn(),
            mailbag: n.record.mailbag(),
            postoffices: n
                .postoffices
                .iter()
                .map(|p| XtnJson {
                    index: p.index,
                    name: p.record.postoffice.decode(cp),
                    status: p.record.status,
                    deleted: p.record.is_deleted(),
                    mailbag: p.record.mailbag(),
                })
                .collect(),
        })
        .collect();
    let doc = PostofficeJson {
        format: FORMAT,
        root: po.root().display().to_string(),
        codepage: cp,
        layouts: vec![
            Network::layout().statement("network"),
            Xtn::layout().statement("xtn"),
        ],
        networks,
        address_lists: po.address_lists(),
        files: po.files(),
        problems: po.problems(),
    };
    output::write_json(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

fn write_text<W: Write>(
    po: &Postoffice,
    cp: CodePage,
    painter: Painter,
    out: &mut W,
) -> Result<(), CliError> {
    let ctx = ListContext::alone(painter, cp, "");
    writeln!(
        out,
        "{}",
        painter.heading(&format!("Postoffice {}", po.root().display()))
    )?;
    writeln!(out, "{}", painter.heading("Networks (GLB/NETWORK.GLB)"))?;
    for line in layout_lines() {
        writeln!(out, "{}", painter.dim(&line))?;
    }
    writeln!(out, "{}", painter.heading(lists::NETWORK_COLUMNS))?;
    for n in po.networks() {
        writeln!(out, "{}", lists::network_row(&ctx, n.index, &n.record).0)?;
        if !n.postoffices.is_empty() {
            let names: Vec<String> = n
                .postoffices
                .iter()
                .map(|p| {
                    let mailbag = p
                        .record
                        .mailbag()
                        .map_or_else(|| "?".into(), |h| h.to_string());
                    let name = format!("{} {mailbag}", p.record.postoffice.decode(cp));
                    if p.record.is_deleted() {
                        format!("{name} {}", painter.warn("DELETED"))
                    } else {
                        name
                    }
                })
                .collect();
            writeln!(out, "{:7}postoffices: {}", "", names.join(", "))?;
        }
    }
    writeln!(out, "{}", painter.heading("Address lists"))?;
    writeln!(
        out,
        "{}",
        painter.heading(&format!("{:<20}  {:<28}  {:>7}", "File", "List", "Entries"))
    )?;
    let mut total = 0;
    for l in po.address_lists() {
        writeln!(
            out,
            "{:<20}  {:<28}  {:>7}",
            relative(po, &l.path),
            l.name.to_string(),
            l.entries
        )?;
        total += l.entries;
        for p in &l.problems {
            writeln!(out, "{:22}{}", "", painter.warn(&format!("! {p}")))?;
        }
    }
    writeln!(
        out,
        "{}, {}",
        plural(
            po.address_lists().len() as u64,
            "address list",
            "address lists"
        ),
        plural(total, "entry", "entries")
    )?;
    for p in po.problems() {
        writeln!(out, "{}", painter.warn(&format!("! {p}")))?;
    }
    Ok(())
}
