//! `glbtool validate`: check files, alone and against each other, and say
//! what MS Mail or Exchange would report and how to fix it.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use glb_dirsync::check::{self, file::Facts, FileRef, Finding};
use glb_formats::{CodePage, FileKind};
use serde::Serialize;

use crate::console::Console;
use crate::context::{self, ContextFile};
use crate::input;
use crate::options::{CodepageOption, ColorOption, KindOption, QuietOption};
use crate::output::{self, use_color, CliResult};
use crate::progress::Progress;
use crate::render::findings::{self, Tally};
use crate::render::Painter;

/// Output format of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Grouped by file, coloured by severity.
    Text,
    /// A JSON document with every finding.
    Json,
    /// One self-contained HTML page to hand on: summary, predicted MS Mail
    /// messages, fix commands, findings by postoffice and severity, each
    /// with the annotated bytes of the record it names.
    Html,
}

/// Arguments of `validate`.
#[derive(Args, Debug)]
#[command(after_help = crate::help::VALIDATE)]
pub struct ValidateArgs {
    /// Files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Further files to check the first ones against (for example the
    /// server's SRVCONF.GLB when validating a RESYNC.GLB). They are checked
    /// too, and take the place of the files glbtool would find by itself.
    #[arg(long, num_args = 1..)]
    pub against: Vec<PathBuf>,
    /// Do not look for the files beside (the postoffice's REQCONF.GLB, the
    /// Dir-Sync server's SRVCONF.GLB, REQCONF.GLB and MSTTRANS.GLB in the same
    /// tree): check only what is given.
    #[arg(long)]
    pub alone: bool,
    #[command(flatten)]
    pub kind: KindOption,
    #[command(flatten)]
    pub report: ReportOptions,
}

/// How findings are shown: the options `validate` and `doctor` share.
#[derive(Args, Debug)]
pub struct ReportOptions {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub color: ColorOption,
    #[command(flatten)]
    pub codepage: CodepageOption,
    #[command(flatten)]
    pub quiet: QuietOption,
}

#[derive(Serialize)]
struct Report<'a> {
    files: Vec<FileReport<'a>>,
    context: &'a [ContextFile],
    findings: &'a [Finding],
    errors: usize,
    warnings: usize,
    notes: usize,
    /// Of the counts, findings not listed one by one (at most 100 of a code per file are).
    unlisted: usize,
    /// Where the field positions the findings quote come from: one statement
    /// per layout read (docs/json.md).
    layouts: Vec<glb_formats::layout::Statement>,
}

#[derive(Serialize)]
struct FileReport<'a> {
    path: &'a str,
    kind: Option<FileKind>,
    /// True when the kind was guessed from the size and content (the name
    /// says nothing and no --kind was given).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    kind_guessed: bool,
    facts: &'a Facts,
}

/// One checked file: its path as given, its kind (when it could be opened) and its facts.
pub type Checked = (String, Option<FileKind>, Facts);

/// Checks files and returns them with their findings, and whether any could not be opened.
///
/// `named`: the user gave these files; otherwise glbtool found them and reads
/// regular files only (never a FIFO or device it was not given).
/// `con`: standard input (for `-`) and error (where a file that cannot be
/// opened is said).
pub fn check_files(
    paths: &[(PathBuf, Option<FileKind>)],
    cp: CodePage,
    named: bool,
    bar: &Progress,
    con: &mut Console,
) -> (Vec<Checked>, Vec<Finding>, bool) {
    let mut findings = Vec::new();
    let mut checked = Vec::new();
    let mut trouble = false;
    for (path, kind) in paths {
        let name = path.display().to_string();
        let opened = if named {
            input::open(path, *kind, &con.stdin)
        } else {
            input::open_found(path, *kind)
        };
        match opened {
            Ok(inp) => {
                let file = FileRef {
                    path: name.clone(),
                    kind: inp.kind,
                    codepage: cp,
                };
                let before = findings.len();
                let facts =
                    check::file::check(&file, bar.reader(inp.reader), inp.size, &mut findings);
                // A file that could not be read to its end is trouble, not a finding only.
                trouble |= findings[before..].iter().any(|f| f.code == "GLB301");
                checked.push((name, Some(inp.kind), facts));
            }
            // Named, not guessed: skipped with a note, never a failure.
            Err(e) if e.undecoded().is_some() => {
                let (f, size) = e.undecoded().expect("matched");
                findings.push(
                    check::Finding::new("GLB360", name.clone(), None, f.describe(size))
                        .fix(check::Fix::None),
                );
                // Its documented size rule, as doctor checks it (GLB303).
                if let Some(size) = size {
                    findings.extend(check::sizes::check(path, size));
                }
                checked.push((name, None, Facts::None));
            }
            Err(e) => {
                let mut msg = e.to_string();
                if let Some(h) = e.hint() {
                    msg.push_str(&format!(" ({h})"));
                }
                say!(con.err, "glbtool: {msg}");
                trouble = true;
                checked.push((name, None, Facts::None));
            }
        }
    }
    (checked, findings, trouble)
}

/// Runs `validate`. Exit 0 when nothing worth a warning was found, 1 when
/// findings exist, 2 when an input cannot be opened or read to its end.
pub fn run(args: ValidateArgs, con: &mut Console) -> CliResult {
    let mut paths: Vec<(PathBuf, Option<FileKind>)> = args
        .files
        .iter()
        .map(|p| (p.clone(), args.kind.value))
        .collect();
    paths.extend(args.against.iter().map(|p| (p.clone(), None)));
    let cp = args.report.codepage.value;
    let bar = Progress::bytes(
        "checking",
        crate::progress::size_of(paths.iter().map(|(p, _)| p.as_path())),
        !con.progress(args.report.quiet.value),
    );
    let (checked, mut all, trouble) = check_files(&paths, cp, true, &bar, con);
    bar.finish();
    // Files read as a kind their name does not say (no --kind): guessed from
    // their size and content, and said so.
    let guessed: Vec<(String, FileKind)> = paths
        .iter()
        .zip(&checked)
        .filter(|((p, given), _)| {
            given.is_none()
                && p.as_os_str() != "-"
                && glb_formats::identify::by_name(
                    &p.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default(),
                )
                .is_none()
        })
        .filter_map(|(_, (name, kind, _))| kind.map(|k| (name.clone(), k)))
        .collect();
    // The files beside that the verdicts need, found by themselves.
    let given: Vec<(PathBuf, FileKind)> = paths
        .iter()
        .zip(&checked)
        .filter_map(|((p, _), (_, k, _))| k.map(|k| (p.clone(), k)))
        .collect();
    let ctx = context::find(&given, args.alone, cp);
    let (ctx_checked, _, _) = check_files(&ctx.paths(), cp, false, &Progress::hidden(), con);
    let refs: Vec<(FileRef, &Facts)> = checked
        .iter()
        .chain(&ctx_checked)
        .filter_map(|(p, k, f)| {
            k.map(|kind| {
                (
                    FileRef {
                        path: p.clone(),
                        kind,
                        codepage: cp,
                    },
                    f,
                )
            })
        })
        .collect();
    let pairs: Vec<(&FileRef, &Facts)> = refs.iter().map(|(r, f)| (r, *f)).collect();
    check::cross::check(&pairs, &mut all);
    // Findings about the context files are theirs, not the files' given.
    all.retain(|f| !ctx.holds(&f.file));
    let unread: Vec<String> = ctx_checked
        .iter()
        .filter(|(_, k, f)| k.is_none() || context::unread(f))
        .map(|(p, _, _)| p.clone())
        .collect();
    // Notes on what was not checked: for the files to check, not for the
    // reference files given with --against.
    let shown: Vec<(String, FileKind)> = given
        .iter()
        .filter(|(p, _)| args.files.contains(p))
        .map(|(p, k)| (p.display().to_string(), *k))
        .collect();
    all.extend(ctx.notes(&shown, &unread, cp));
    // The files checked against: those found and read (one that could not be
    // read is named in the GLB313 note instead).
    let read_ctx: Vec<ContextFile> = ctx
        .files
        .iter()
        .filter(|c| !unread.contains(&c.path.display().to_string()))
        .cloned()
        .collect();
    let given_names: Vec<&str> = refs
        .iter()
        .map(|(r, _)| r.path.as_str())
        .filter(|p| !ctx.holds(p))
        .collect();
    check::postoffice::twins_given(&given_names, &mut all);
    // The pointers of a given address list, or into a given NETPO file,
    // within the postoffice it sits in.
    if !args.alone {
        for (p, k) in given.iter().filter(|(p, _)| args.files.contains(p)) {
            if std::fs::metadata(p).is_ok_and(|m| m.is_file()) {
                check::links::check_file(p, *k, cp, &mut all);
            }
        }
    }
    check::sort(&mut all);
    let tally = Tally::of(&all);
    let kinds_read: Vec<FileKind> = refs.iter().map(|(r, _)| r.kind).collect();
    let mut out = output::guarded(con.out);
    match args.report.format {
        ReportFormat::Json => {
            let report = Report {
                files: checked
                    .iter()
                    .map(|(p, k, f)| FileReport {
                        path: p,
                        kind: *k,
                        kind_guessed: guessed.iter().any(|(g, _)| g == p),
                        facts: f,
                    })
                    .collect(),
                context: &read_ctx,
                findings: &all,
                errors: tally.errors,
                warnings: tally.warnings,
                notes: tally.infos,
                unlisted: tally.unlisted,
                layouts: crate::render::layout_statements(kinds_read.iter().copied()),
            };
            // The facts hold records whose text is in the code page given.
            glb_formats::json::to_writer_pretty(&mut out, &report, cp)?;
            use std::io::Write;
            writeln!(out)?;
        }
        ReportFormat::Html => {
            let names: Vec<&str> = checked.iter().map(|c| c.0.as_str()).collect();
            let mut summary = String::new();
            for (name, kind, _) in &checked {
                let mine = Tally::of(
                    &all.iter()
                        .filter(|f| &f.file == name)
                        .cloned()
                        .collect::<Vec<_>>(),
                );
                let status = match kind {
                    None if mine.infos > 0 => format!("skipped: {}", mine.summary()),
                    None => "not read (the reason was on standard error)".to_string(),
                    Some(k) if guessed.iter().any(|(g, _)| g == name) => format!(
                        "{k} (guessed from its size and content; --kind names it): {}",
                        mine.summary()
                    ),
                    Some(k) => format!("{k}: {}", mine.summary()),
                };
                summary.push_str(&format!("{name}  {status}\n"));
            }
            for c in &read_ctx {
                summary.push_str(&format!(
                    "checked against {} ({})\n",
                    c.path.display(),
                    c.role.describe()
                ));
            }
            for line in crate::render::layout_lines(kinds_read.iter().copied()) {
                summary.push_str(&line);
                summary.push('\n');
            }
            let files = names.len();
            crate::report::html(
                &mut out,
                format!("glbtool validate {}", names.join(" ")),
                summary,
                format!(
                    "{} in {files} file{}",
                    tally.summary(),
                    if files == 1 { "" } else { "s" }
                ),
                crate::report::by_postoffice(&all, &[]),
                &all,
                cp,
            )?;
        }
        ReportFormat::Text => {
            use std::io::Write;
            let p =
                Painter::new(use_color(args.report.color.value, con.tty)).wrapping(con.tty.width);
            // A file glbtool does not decode (GLB360) was skipped, not unread.
            let skipped = |name: &str| all.iter().any(|f| f.file == name && f.code == "GLB360");
            let names: Vec<(String, bool)> = checked
                .iter()
                .map(|c| (c.0.clone(), c.1.is_some() || skipped(&c.0)))
                .collect();
            findings::grouped(&mut out, &p, &names, &guessed, &all)?;
            for c in &read_ctx {
                p.line(
                    &mut out,
                    &format!(
                        "{} {} ({})",
                        p.dim("checked against"),
                        c.path.display(),
                        c.role.describe()
                    ),
                    2,
                )?;
            }
            for line in crate::render::layout_lines(kinds_read.iter().copied()) {
                p.line(&mut out, &p.dim(&line), 0)?;
            }
            let unread = names.iter().filter(|(_, read)| !read).count();
            writeln!(
                out,
                "{}",
                p.heading(&format!(
                    "{} in {} file{}{}",
                    tally.summary(),
                    names.len(),
                    if names.len() == 1 { "" } else { "s" },
                    if unread > 0 {
                        format!(", {unread} not read")
                    } else {
                        String::new()
                    }
                ))
            )?;
        }
    }
    output::finish(out)?;
    Ok(if trouble { 2 } else { tally.exit_code() })
}
