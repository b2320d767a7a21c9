//! `glbtool doctor DIR...`: find the postoffices in each DIR, run every
//! check on them (`glb_dirsync::check::doctor`), and show one summary per
//! postoffice, then the findings, errors first, grouped by file.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use glb_dirsync::check::doctor::{self, QueueSummary, Report, Role, Summary, Tree};
use glb_formats::FileKind;
use serde::Serialize;

use crate::console::Console;
use crate::output::{self, use_color, CliResult};
use crate::progress::Progress;
use crate::render::findings::{self, Tally};
use crate::render::Painter;
use crate::validate::{ReportFormat, ReportOptions};

/// The `format` value of the JSON document.
pub const FORMAT: &str = "glbtool-doctor/1";

/// Arguments of `doctor`.
#[derive(Args, Debug)]
#[command(after_help = crate::help::DOCTOR)]
pub struct DoctorArgs {
    /// Postoffice directories (holding GLB, NME, USR, XTN), or folders of
    /// postoffices (searched one and two levels down).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub report: ReportOptions,
}

#[derive(Serialize)]
struct Json<'a> {
    format: &'static str,
    postoffices: &'a [Summary],
    findings: &'a [glb_dirsync::check::Finding],
    errors: usize,
    warnings: usize,
    notes: usize,
    /// Of the counts, findings not listed one by one (at most 100 of a code per file are).
    unlisted: usize,
    /// Where the field positions the summaries and findings quote come
    /// from: one statement per layout doctor reads (docs/json.md).
    layouts: Vec<glb_formats::layout::Statement>,
}

/// Runs `doctor`. Exit 0 when nothing worth a warning was found, 1 when
/// findings exist, 2 when a DIR holds no postoffice or something cannot be read.
pub fn run(args: DoctorArgs, con: &mut Console) -> CliResult {
    let mut trouble = false;
    let mut roots = Vec::new();
    for dir in &args.dirs {
        match doctor::find_postoffices(dir) {
            Ok(found) => {
                for (path, err) in &found.unreadable {
                    say!(con.err, "glbtool: {}: {err}", path.display());
                    trouble = true;
                }
                if found.postoffices.is_empty() {
                    say!(
                        con.err,
                        "glbtool: {}: no postoffice found (a directory holding GLB, here or one or two levels down)",
                        dir.display()
                    );
                    trouble = true;
                }
                roots.extend(found.postoffices);
            }
            Err(e) => {
                say!(con.err, "glbtool: {e}");
                trouble = true;
            }
        }
    }
    if roots.is_empty() {
        return Ok(2);
    }
    let tree = Tree::open(&roots, args.report.codepage.value);
    let bar = Progress::bytes(
        "checking",
        tree.bytes_to_read(),
        !con.progress(args.report.quiet.value),
    );
    let report = tree.examine(&|n| bar.inc(n));
    bar.finish();
    let tally = Tally::of(&report.findings);
    let mut out = output::guarded(con.out);
    match args.report.format {
        ReportFormat::Json => {
            let doc = Json {
                format: FORMAT,
                postoffices: &report.postoffices,
                findings: &report.findings,
                errors: tally.errors,
                warnings: tally.warnings,
                notes: tally.infos,
                unlisted: tally.unlisted,
                layouts: crate::render::layout_statements(FileKind::ALL),
            };
            serde_json::to_writer_pretty(&mut out, &doc).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        ReportFormat::Html => {
            let mut summary = Vec::new();
            let plain = Painter::new(false);
            for s in &report.postoffices {
                self::summary(&mut summary, &plain, s)?;
                writeln!(summary)?;
            }
            writeln!(summary, "{}", crate::render::layout_digest(FileKind::ALL))?;
            let roots: Vec<(PathBuf, String)> = report
                .postoffices
                .iter()
                .map(|s| (s.root.clone(), s.name.clone()))
                .collect();
            let n = report.postoffices.len();
            let dirs: Vec<String> = args.dirs.iter().map(|d| d.display().to_string()).collect();
            crate::report::html(
                &mut out,
                format!("glbtool doctor {}", dirs.join(" ")),
                String::from_utf8_lossy(&summary).trim_end().to_string(),
                format!(
                    "{} in {n} postoffice{}",
                    tally.summary(),
                    if n == 1 { "" } else { "s" }
                ),
                crate::report::by_postoffice(&report.findings, &roots),
                &report.findings,
                args.report.codepage.value,
            )?;
        }
        ReportFormat::Text => {
            let p =
                Painter::new(use_color(args.report.color.value, con.tty)).wrapping(con.tty.width);
            write_text(&mut out, &p, &report, &tally)?;
        }
    }
    output::finish(out)?;
    Ok(if trouble || report.unreadable {
        2
    } else {
        tally.exit_code()
    })
}

fn write_text<W: Write>(
    out: &mut W,
    p: &Painter,
    report: &Report,
    tally: &Tally,
) -> std::io::Result<()> {
    for s in &report.postoffices {
        summary(out, p, s)?;
        writeln!(out)?;
    }
    if report.findings.is_empty() {
        writeln!(
            out,
            "{}",
            p.paint("No findings.", owo_colors::Style::new().green())
        )?;
    } else {
        findings::by_severity(out, p, &report.findings)?;
        writeln!(out)?;
    }
    p.line(out, &p.dim(&crate::render::layout_digest(FileKind::ALL)), 0)?;
    let n = report.postoffices.len();
    writeln!(
        out,
        "{}",
        p.heading(&format!(
            "{} in {n} postoffice{}",
            tally.summary(),
            if n == 1 { "" } else { "s" }
        ))
    )
}

fn summary<W: Write>(out: &mut W, p: &Painter, s: &Summary) -> std::io::Result<()> {
    let role = match s.role {
        Role::Server => "Dir-Sync server".to_string(),
        Role::Requestor => "requestor".to_string(),
    };
    p.line(
        out,
        &format!(
            "{}  {}  {}",
            p.heading(&format!("Postoffice {}", s.name)),
            role,
            p.dim(&s.root.display().to_string())
        ),
        2,
    )?;
    let label = |l: &str| format!("  {:<10}", l);
    // Wrapped summary lines hang under the values.
    const HANG: usize = 12;
    if let (Some(r), Some(sv), Some(i)) = (s.reqsync, s.srvsync, s.impsync) {
        let server = match (&s.registered_with, &s.server_found, s.role) {
            (Some(w), _, Role::Server) => format!("; registered with {w}"),
            (Some(w), Some(dir), _) => format!("; server {w} at {dir}"),
            (Some(w), None, _) => format!("; server {w} (not in this tree)"),
            (None, _, _) => "; no Dir-Sync server registered".into(),
        };
        p.line(
            out,
            &format!(
                "{}ReqSync {r}, SrvSync {sv}, import count {i}{server}",
                label("REQCONF")
            ),
            HANG,
        )?;
    } else if s.has_reqconf {
        writeln!(out, "{}cannot be read (see the findings)", label("REQCONF"))?;
    } else {
        writeln!(out, "{}not present", label("REQCONF"))?;
    }
    if let Some(c) = &s.srvconf {
        p.line(
            out,
            &format!(
                "{}Highest SrvSync {}, cycle {}, {} requestor{}: {}",
                label("SRVCONF"),
                c.highest_srvsync,
                c.cycle,
                c.requestors.len(),
                if c.requestors.len() == 1 { "" } else { "s" },
                c.requestors.join(", ")
            ),
            HANG,
        )?;
    }
    if s.queues.iter().all(|q| q.size.is_none()) {
        writeln!(out, "{}no queue files", label("queues"))?;
    } else {
        let qs: Vec<String> = s.queues.iter().map(queue).collect();
        p.line(out, &format!("{}{}", label("queues"), qs.join(", ")), HANG)?;
    }
    writeln!(
        out,
        "{}{} address list{}, {} entr{} ({} files)",
        label("lists"),
        s.address_lists,
        if s.address_lists == 1 { "" } else { "s" },
        s.entries,
        if s.entries == 1 { "y" } else { "ies" },
        s.files
    )?;
    let c = s.findings;
    let text = Tally::from(c).summary();
    let painted = if c.errors > 0 {
        p.error(&text)
    } else if c.warnings > 0 {
        p.warn(&text)
    } else {
        p.paint(&text, owo_colors::Style::new().green())
    };
    writeln!(out, "{}{painted}", label("findings"))
}

fn queue(q: &QueueSummary) -> String {
    let stem = q.name.trim_end_matches(".GLB");
    let Some(size) = q.size else {
        return format!("{stem} missing");
    };
    let mut s = format!("{stem} {size} B");
    match (q.records, q.syncs) {
        (Some(n), Some((lo, hi))) if lo == hi => s.push_str(&format!(" ({n} rec, sync {lo})")),
        (Some(n), Some((lo, hi))) => s.push_str(&format!(" ({n} rec, sync {lo}-{hi})")),
        (Some(n), None) if n > 0 => s.push_str(&format!(" ({n} rec)")),
        _ => {}
    }
    s
}
