//! `glbtool patch-seq`: repair the sync numbers of a Dir-Sync file, changing
//! only the intended fields and their checksums, through the safe write
//! sequence of `safe_write` (`docs/safety.md`).

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use glb_formats::check::{Finding, Severity};
use glb_formats::patch::{self, ByteRange, Change, Renumber, SetResyncHeader, Summary};
use glb_formats::queue::Queue;
use glb_formats::{codepage, CodePage, FileKind};
use serde::Serialize;

use crate::input;
use crate::output::{self, CliError, CliResult};
use crate::safe_write::{self, BackupOptions, Expect, Staged};
use crate::validate::ReportFormat;

/// How many changes a report lists one by one (every changed byte range is listed).
const LISTED_CHANGES: usize = 1000;

/// Arguments of `patch-seq`.
#[derive(Args, Debug)]
pub struct PatchSeqArgs {
    /// The file to patch: RESYNC.GLB (its header numbers) or REQTRANS.GLB (its
    /// pending transactions).
    pub file: PathBuf,
    /// Treat FILE as this kind instead of recognising it from its name or content.
    #[arg(long)]
    pub kind: Option<FileKind>,
    /// Set IMPSEQ, the import count, in the RESYNC.GLB header.
    #[arg(long, value_name = "N", value_parser = seq_number, allow_hyphen_values = true, help_heading = "RESYNC.GLB")]
    pub impseq: Option<u32>,
    /// Set REQSEQ in the RESYNC.GLB header (it should be the largest ReqSync
    /// over all requestor records of SRVCONF.GLB, KB Q119449).
    #[arg(long, value_name = "N", value_parser = seq_number, allow_hyphen_values = true, help_heading = "RESYNC.GLB")]
    pub reqseq: Option<u32>,
    /// Set SRVSEQ in the RESYNC.GLB header (it should be the server
    /// postoffice's own SrvSync in SRVCONF.GLB, KB Q119449).
    #[arg(long, value_name = "N", value_parser = seq_number, allow_hyphen_values = true, help_heading = "RESYNC.GLB")]
    pub srvseq: Option<u32>,
    /// Renumber the pending (non-`#`) transactions N, N+1, ... in file order;
    /// `#` dummies keep their numbers. Choose N above REQCONF's ReqSync: the
    /// "No requestor updates to send" repair (KB Q119452).
    #[arg(long, value_name = "N", value_parser = seq_number, allow_hyphen_values = true, help_heading = "REQTRANS.GLB")]
    pub renumber_from: Option<u32>,
    /// Write the result to OUT instead of over FILE.
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Show what would change (field, old value, new value, byte offset) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Patch even when FILE has error findings this patch does not repair.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub backup: BackupOptions,
    /// Output format of the report.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Code page of the text in the file.
    #[arg(long, default_value = "850")]
    pub codepage: CodePage,
}

/// Parses a sync number with a message that says what is allowed.
fn seq_number(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let range = format!("a whole number from 0 to {}", u32::MAX);
    if t.starts_with('-') {
        return Err(format!("sync numbers cannot be negative; give {range}"));
    }
    t.parse::<u32>()
        .map_err(|_| format!("not a sync number; give {range}"))
}

/// What to change.
#[derive(Debug, Clone, Copy)]
enum Plan {
    Resync(SetResyncHeader),
    Renumber(u32),
}

impl Plan {
    /// Settles what to do from the arguments and the file's kind.
    fn from_args(a: &PatchSeqArgs, kind: FileKind) -> Result<Plan, CliError> {
        let resync = SetResyncHeader {
            impseq: a.impseq,
            reqseq: a.reqseq,
            srvseq: a.srvseq,
        };
        let has_resync = resync != SetResyncHeader::default();
        let f = &a.file;
        match kind {
            FileKind::Resync => {
                if a.renumber_from.is_some() {
                    return Err(CliError::usage(
                        "--renumber-from applies to REQTRANS.GLB; this file is RESYNC.GLB",
                    )
                    .file(f)
                    .with_hint("set the RESYNC.GLB header with --impseq, --reqseq, --srvseq"));
                }
                if !has_resync {
                    return Err(nothing_to_do(f, "--impseq, --reqseq or --srvseq"));
                }
                Ok(Plan::Resync(resync))
            }
            FileKind::Reqtrans => {
                if has_resync {
                    return Err(CliError::usage(
                        "--impseq, --reqseq and --srvseq set the RESYNC.GLB header; this file is REQTRANS.GLB",
                    )
                    .file(f)
                    .with_hint("renumber its pending transactions with --renumber-from N"));
                }
                a.renumber_from
                    .map(Plan::Renumber)
                    .ok_or_else(|| nothing_to_do(f, "--renumber-from N"))
            }
            other => Err(CliError::usage(format!(
                "patch-seq patches RESYNC.GLB and REQTRANS.GLB; this file is {other}"
            ))
            .file(f)
            .with_hint(if other.is_queue() {
                "the numbers in the other queues are assigned by Dir-Sync itself: regenerate them (requestors Export, then a new RESYNC.GLB, KB Q96060)"
            } else {
                "glbtool cannot patch this kind of file yet"
            })),
        }
    }

    fn describe(&self) -> String {
        match self {
            Plan::Resync(h) => {
                let mut parts = Vec::new();
                for (name, v) in [
                    ("IMPSEQ", h.impseq),
                    ("REQSEQ", h.reqseq),
                    ("SRVSEQ", h.srvseq),
                ] {
                    if let Some(v) = v {
                        parts.push(format!("{name}={v}"));
                    }
                }
                format!("set the RESYNC header: {}", parts.join(", "))
            }
            Plan::Renumber(n) => format!("renumber the pending transactions from {n}"),
        }
    }

    /// Findings this patch repairs: they do not stop it.
    fn repairs(&self) -> &'static [&'static str] {
        match self {
            Plan::Resync(_) => &["GLB014"],
            Plan::Renumber(_) => &["GLB306"],
        }
    }

    /// Streams `src` to `out` with the patch applied.
    fn apply<R: Read, W: Write>(
        &self,
        src: R,
        kind: FileKind,
        size: u64,
        out: W,
        on_change: &mut dyn FnMut(Change),
    ) -> glb_formats::Result<(W, Summary)> {
        match *self {
            Plan::Resync(mut e) => {
                patch::rewrite::<Queue, _, _, _>(src, kind, Some(size), out, &mut e, on_change)
            }
            Plan::Renumber(n) => patch::rewrite::<Queue, _, _, _>(
                src,
                kind,
                Some(size),
                out,
                &mut Renumber::new(n),
                on_change,
            ),
        }
    }
}

fn nothing_to_do(f: &Path, options: &str) -> CliError {
    CliError::usage(format!("nothing to patch: give {options}")).file(f)
}

/// The first changes, and how many there were.
#[derive(Default)]
struct Changes {
    listed: Vec<Change>,
    total: u64,
}

impl Changes {
    fn push(&mut self, c: Change) {
        self.total += 1;
        if self.listed.len() < LISTED_CHANGES {
            self.listed.push(c);
        }
    }
}

fn finding_line(f: &Finding) -> String {
    let mut s = f.code.to_string();
    if let Some(o) = f.offset {
        s.push_str(&format!(" at offset {o}"));
    }
    if let Some(r) = f.record {
        s.push_str(&format!(" (record {r})"));
    }
    format!("{s}: {}", f.cause)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Runs `patch-seq`.
pub fn run(args: PatchSeqArgs) -> CliResult {
    let file = &args.file;
    if file.as_os_str() == "-" {
        return Err(CliError::usage(
            "patch-seq patches a file in place; it cannot read standard input",
        )
        .with_hint("give the file's path (use -o OUT to write the result elsewhere)"));
    }
    let kind = input::open(file, args.kind)?.kind;
    let plan = Plan::from_args(&args, kind)?;
    let target = args.output.clone().unwrap_or_else(|| file.clone());
    let cp = args.codepage;
    let job = Job {
        args: &args,
        kind,
        plan,
        target: &target,
    };

    // 1. Fingerprints, before reading anything.
    let mut expect = vec![Expect::now(file)?];
    let size = match &expect[0].state {
        Some(s) => s.size,
        None => return Err(CliError::usage("no such file").file(file)),
    };
    if !same_file(file, &target) {
        expect.push(Expect::now(&target)?);
    }

    // 2. The input is validated first.
    let before = safe_write::validate(file, file, kind, cp);
    if let Some(f) = before.iter().find(|f| safe_write::is_structural(f.code)) {
        return Err(CliError::usage(format!(
            "cannot be patched because it does not read: {}",
            finding_line(f)
        ))
        .file(file)
        .with_hint(format!(
            "glbtool dump --salvage {} shows what can be read",
            file.display()
        )));
    }
    let blocking: Vec<&Finding> = before
        .iter()
        .filter(|f| f.severity == Severity::Error && !plan.repairs().contains(&f.code))
        .collect();
    let foreign_checksums = before.iter().any(|f| f.code == "GLB305");
    let mut notes = Vec::new();
    if !blocking.is_empty() {
        let list: Vec<String> = blocking.iter().take(5).map(|f| finding_line(f)).collect();
        let msg = format!(
            "has {} error finding{} this patch does not repair: {}{}",
            blocking.len(),
            if blocking.len() == 1 { "" } else { "s" },
            list.join("; "),
            if blocking.len() > 5 { "; ..." } else { "" }
        );
        if args.force {
            notes.push(format!("--force: patching although the file {msg}"));
        } else if args.dry_run {
            notes.push(format!(
                "the file {msg}; without --dry-run glbtool would refuse unless --force is given"
            ));
        } else {
            return Err(CliError::usage(msg).file(file).with_hint(format!(
                "glbtool validate {} explains them; --force patches anyway",
                file.display()
            )));
        }
    }
    let foreign_note = "every checksum in the file was written with MS Mail's algorithm, which is undocumented; the changed records get glbtool's CRC-16/ARC instead, which MS Mail may reject";

    // 3. A dry run computes the same patch into nothing.
    let mut changes = Changes::default();
    let open_src = || -> Result<BufReader<File>, CliError> {
        File::open(file)
            .map(|f| BufReader::with_capacity(1 << 18, f))
            .map_err(|e| CliError::from(e).file(file))
    };
    if args.dry_run {
        let (_, summary) = codepage::scope(cp, || {
            plan.apply(open_src()?, kind, size, io::sink(), &mut |c| {
                changes.push(c)
            })
            .map_err(|e| CliError::from(e).file(file))
        })?;
        if foreign_checksums && !summary.is_unchanged() {
            notes.push(format!(
                "{foreign_note}; without --dry-run glbtool would refuse unless --force is given"
            ));
        }
        job.report(&summary, &changes, &notes, Outcome::DryRun)?;
        return Ok(0);
    }

    // 4. The new file is written beside the target, flushed and synced.
    let mut staged = Staged::create(&target)?;
    let summary = {
        let w = staged.writer();
        let (w, summary) = codepage::scope(cp, || {
            plan.apply(open_src()?, kind, size, w, &mut |c| changes.push(c))
                .map_err(|e| CliError::from(e).file(file))
        })?;
        w.into_inner()
            .map_err(|e| CliError::from(e.into_error()).file(&target))?;
        summary
    };
    staged.finish()?;
    if summary.is_unchanged() && same_file(file, &target) {
        job.report(&summary, &changes, &notes, Outcome::Unchanged)?;
        return Ok(0);
    }
    if foreign_checksums && !summary.is_unchanged() {
        if !args.force {
            return Err(
                CliError::usage(format!("{foreign_note}; nothing was written"))
                    .file(file)
                    .with_hint("--force writes anyway; --dry-run shows the changes"),
            );
        }
        notes.push(foreign_note.to_string());
    }

    // 5. The new file is re-read and validated.
    let after = safe_write::validate(staged.path(), &target, kind, cp);
    let tolerated = |code: &str| {
        args.force
            && (blocking.iter().any(|f| f.code == code) || (foreign_checksums && code == "GLB304"))
    };
    if let Some(f) = after
        .iter()
        .find(|f| f.severity == Severity::Error && !tolerated(f.code))
    {
        return Err(CliError::usage(format!(
            "the patched file fails validation ({}); nothing was written",
            finding_line(f)
        ))
        .file(&target));
    }

    // 6. Unchanged targets, backup, atomic rename.
    let backup = args.backup.path_for(&target);
    let done = staged.commit(&expect, backup.as_deref())?;
    job.report(&summary, &changes, &notes, Outcome::Written(done.backup))?;
    Ok(0)
}

/// How the command ended.
enum Outcome {
    DryRun,
    Unchanged,
    Written(Option<PathBuf>),
}

#[derive(Serialize)]
struct Report<'a> {
    file: String,
    kind: FileKind,
    output: String,
    patch: String,
    dry_run: bool,
    written: bool,
    backup: Option<String>,
    size: u64,
    records: u64,
    records_changed: u64,
    bytes_changed: u64,
    changes: &'a [Change],
    changes_total: u64,
    ranges: &'a [ByteRange],
    notes: &'a [String],
}

/// "record N", or "header" for the file header.
fn item_name(record: Option<u64>) -> String {
    match record {
        Some(i) => format!("record {i}"),
        None => "header".to_string(),
    }
}

/// One run of the command: what it was asked, for the report.
struct Job<'a> {
    args: &'a PatchSeqArgs,
    kind: FileKind,
    plan: Plan,
    target: &'a Path,
}

impl Job<'_> {
    /// Prints the report: the changes, every changed byte range, and what was written.
    fn report(
        &self,
        summary: &Summary,
        changes: &Changes,
        notes: &[String],
        outcome: Outcome,
    ) -> Result<(), CliError> {
        let Job {
            args,
            kind,
            plan,
            target,
        } = self;
        let kind = *kind;
        let mut out = output::stdout();
        let (written, backup) = match &outcome {
            Outcome::Written(b) => (true, b.as_ref().map(|p| p.display().to_string())),
            _ => (false, None),
        };
        match args.format {
            ReportFormat::Json => {
                let r = Report {
                    file: args.file.display().to_string(),
                    kind,
                    output: target.display().to_string(),
                    patch: plan.describe(),
                    dry_run: matches!(outcome, Outcome::DryRun),
                    written,
                    backup,
                    size: summary.size,
                    records: summary.records,
                    records_changed: summary.records_changed,
                    bytes_changed: summary.bytes_changed,
                    changes: &changes.listed,
                    changes_total: changes.total,
                    ranges: &summary.ranges,
                    notes,
                };
                serde_json::to_writer_pretty(&mut out, &r).map_err(io::Error::other)?;
                writeln!(out)?;
            }
            ReportFormat::Text => {
                writeln!(out, "{}: {}", args.file.display(), plan.describe())?;
                for n in notes {
                    writeln!(out, "note: {n}")?;
                }
                for c in &changes.listed {
                    let at = item_name(c.record);
                    writeln!(
                        out,
                        "  {at}, offset {} (0x{:x}), {} bytes: {} {} -> {}",
                        c.offset, c.offset, c.len, c.field, c.old, c.new
                    )?;
                }
                if changes.total > changes.listed.len() as u64 {
                    writeln!(
                        out,
                        "  ... {} more changes (every changed byte range is listed below)",
                        changes.total - changes.listed.len() as u64
                    )?;
                }
                writeln!(
                    out,
                    "changed bytes: {} in {} of {} records ({} bytes in the file)",
                    summary.bytes_changed, summary.records_changed, summary.records, summary.size
                )?;
                for r in &summary.ranges {
                    let at = item_name(r.record);
                    writeln!(
                        out,
                        "  {}..{} (0x{:x}..0x{:x})  {at}: {}",
                        r.start,
                        r.end,
                        r.start,
                        r.end,
                        r.fields.join(", ")
                    )?;
                }
                match outcome {
                    Outcome::DryRun => writeln!(out, "dry run: nothing was written")?,
                    Outcome::Unchanged => writeln!(
                    out,
                    "nothing to change: the file already holds these numbers; nothing was written"
                )?,
                    Outcome::Written(b) => match b {
                        Some(b) => writeln!(
                            out,
                            "wrote {}; the previous file is kept as {}",
                            target.display(),
                            b.display()
                        )?,
                        None => writeln!(out, "wrote {} (no backup kept)", target.display())?,
                    },
                }
            }
        }
        output::finish(out)
    }
}
