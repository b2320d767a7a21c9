//! `glbtool resync`: make a RESYNC.GLB on the Dir-Sync server, the way
//! `IMPORT -S` does (KB Q119449), with the header numbers that suit every
//! requestor (KB Q215505), validated before it is written through the safe
//! write sequence (`docs/safety.md`).

use std::path::{Path, PathBuf};

use clap::Args;
use glb_dirsync::check::Severity;
use glb_dirsync::postoffice::Postoffice;
use glb_dirsync::replay::Directory;
use glb_dirsync::resync;
use glb_formats::fields::Stamp;
use glb_formats::srvconf;
use glb_formats::FileKind;

use crate::console::{Console, Stdin};
use crate::input;
use crate::options::{CodepageOption, QuietOption};
use crate::output::{self, CliError, CliResult, WroteFormat};
use crate::safe_write::{self, BackupOptions, Destination, Expect};

/// Arguments of `resync`.
#[derive(Args, Debug)]
#[command(after_help = crate::help::RESYNC)]
pub struct ResyncArgs {
    /// The Dir-Sync server's postoffice directory: SRVCONF.GLB, REQCONF.GLB
    /// and MSTTRANS.GLB are taken from its GLB folder, the address lists from
    /// its USR files. The options below override each.
    #[arg(long, value_name = "DIR")]
    pub server: Option<PathBuf>,
    /// The server's SRVCONF.GLB (the header numbers come from its requestor
    /// records; at most 10,000 are held, a file with more is refused).
    #[arg(long, value_name = "SRVCONF.GLB")]
    pub srvconf: Option<PathBuf>,
    /// The server's own REQCONF.GLB, which names its SRVCONF record (default:
    /// the one beside SRVCONF.GLB; without it glbtool cannot tell which record
    /// is the server's and makes no RESYNC.GLB).
    #[arg(long, value_name = "REQCONF.GLB")]
    pub reqconf: Option<PathBuf>,
    /// The server's MSTTRANS.GLB, replayed for the lists no USR file holds
    /// (the server's own users, gateway lists). The lists are held in
    /// memory: at most 150,000 entries (with the removed addresses), else
    /// exit 2 saying so.
    #[arg(long, value_name = "MSTTRANS.GLB")]
    pub msttrans: Option<PathBuf>,
    /// The postoffice directory whose USR files give the external
    /// postoffices' lists (default: --server).
    #[arg(long, value_name = "DIR")]
    pub lists: Option<PathBuf>,
    /// The RESYNC.GLB to write (`-` for standard output). A directory, device
    /// or FIFO is refused, and so is a file whose name or content is of
    /// another kind (SRVCONF.GLB, MSTTRANS.GLB, ...), unless --force.
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    /// Replace OUTPUT even when its name or content is of another kind.
    #[arg(long)]
    pub force: bool,
    /// Date stamp of every record, RFC 3339 (default: now).
    #[arg(long, value_name = "TIME")]
    pub date: Option<String>,
    #[command(flatten)]
    pub backup: BackupOptions,
    #[command(flatten)]
    pub codepage: CodepageOption,
    /// Format of the report (on standard error with `-o -`).
    #[arg(long, short = 'f', value_enum, default_value_t = WroteFormat::Text)]
    pub format: WroteFormat,
    #[command(flatten)]
    pub quiet: QuietOption,
}

/// The `format` value of the JSON report.
pub const FORMAT: &str = "glbtool-resync/1";

/// The JSON report of `resync`.
#[derive(serde::Serialize)]
struct Report<'a> {
    format: &'static str,
    /// The file written (`-` for standard output).
    wrote: &'a str,
    header: glb_formats::queue::ResyncHeader,
    /// Where the header numbers come from.
    srvconf: String,
    /// The server postoffice's SRVCONF record, whose SrvSync is SRVSEQ.
    server: &'a str,
    lists: usize,
    lists_from_usr: usize,
    addresses: usize,
    records: u64,
    /// USR files left out, and why.
    skipped: &'a [String],
    /// Transactions of MSTTRANS.GLB that changed no list, as Import reports them.
    replay_events: &'a [glb_dirsync::replay::Event],
    /// The previous file, kept.
    backup: Option<String>,
    /// Where the positions of the numbers read and written come from.
    layouts: Vec<glb_formats::layout::Statement>,
}

/// The layouts `resync` reads numbers from and writes: RESYNC.GLB, the
/// SRVCONF.GLB and REQCONF.GLB it takes the header from, the USR lists.
const RESYNC_LAYOUTS: [FileKind; 4] = [
    FileKind::Resync,
    FileKind::Srvconf,
    FileKind::Reqconf,
    FileKind::Usr,
];

/// `DIR/GLB/NAME`, letters in any case, when it exists.
fn in_glb(dir: &Path, name: &str) -> Option<PathBuf> {
    let glb = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case("GLB"))?
        .path();
    safe_write::beside(&glb.join(name), name)
}

/// Refuses a file that is not of the kind `want` (recognised by name or content).
fn need_kind(path: &Path, want: FileKind, stdin: &Stdin) -> Result<(), CliError> {
    let kind = input::open(path, None, stdin)?.kind;
    if kind == want {
        Ok(())
    } else {
        Err(CliError::usage(format!("expected {want}, but this file is {kind}")).file(path))
    }
}

/// Runs `resync`.
pub fn run(args: ResyncArgs, con: &mut Console) -> CliResult {
    let cp = args.codepage.value;
    let server = args.server.as_deref();
    let srvconf = args
        .srvconf
        .clone()
        .or_else(|| server.and_then(|d| in_glb(d, "SRVCONF.GLB")))
        .ok_or_else(|| {
            CliError::usage(
                "no SRVCONF.GLB: give --server DIR (the Dir-Sync server's postoffice) or --srvconf",
            )
            .with_hint(
                "RESYNC.GLB is made on the Dir-Sync server, from its SRVCONF.GLB (KB Q119449)",
            )
        })?;
    let reqconf = args
        .reqconf
        .clone()
        .or_else(|| safe_write::beside(&srvconf, "REQCONF.GLB"));
    let msttrans = args
        .msttrans
        .clone()
        .or_else(|| server.and_then(|d| in_glb(d, "MSTTRANS.GLB")));
    let lists = args.lists.clone().or_else(|| server.map(Path::to_path_buf));
    if msttrans.is_none() && lists.is_none() {
        return Err(CliError::usage(
            "no addresses: give --server DIR, or --msttrans and/or --lists DIR",
        ));
    }
    need_kind(&srvconf, FileKind::Srvconf, &con.stdin)?;
    if let Some(p) = &reqconf {
        need_kind(p, FileKind::Reqconf, &con.stdin)?;
    }
    if let Some(p) = &msttrans {
        need_kind(p, FileKind::Msttrans, &con.stdin)?;
    }
    let stamp = match &args.date {
        Some(d) => Stamp::parse(d).map_err(CliError::usage)?,
        None => Stamp(u32::try_from(jiff::Timestamp::now().as_second()).unwrap_or(u32::MAX)),
    };

    // The output checked and claimed, then fingerprints of everything read,
    // before reading.
    let inputs: Vec<&Path> = [Some(&srvconf), reqconf.as_ref(), msttrans.as_ref()]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect();
    let dest = Destination::claim(
        &args.output,
        FileKind::Resync,
        &args.backup,
        args.force,
        &inputs,
    )?;
    let mut expect = Vec::new();
    for p in inputs.iter().filter(|p| !dest.is(p)) {
        expect.push(Expect::now(p)?);
    }
    let shown = dest.shown();

    let bar = crate::progress::Progress::spinner(
        "reading the server's lists",
        crate::progress::size_of(inputs.iter().copied()),
        !con.progress(args.quiet.value),
    );
    // The header (KB Q119449, Q215505) and the lists.
    let read = || -> Result<_, CliError> {
        // Record by record, holding at most srvconf::MAX_HELD records; a
        // regular file only.
        let (src, size) = glb_dirsync::open::buffered(&srvconf)?;
        let records = srvconf::read_held(src, Some(size), "work out the RESYNC header numbers")
            .map_err(|e| CliError::from(e).file(&srvconf))?
            .1;
        let conf = match &reqconf {
            Some(p) => crate::input::found_reqconf(p, cp)?,
            None => None,
        };
        let (header, name) = resync::header_from_srvconf(&records, conf.as_ref(), cp)
            .map_err(|reason| {
                CliError::usage(format!(
                    "cannot tell which SRVCONF.GLB record is the server postoffice's, whose SrvSync is SRVSEQ (KB Q119449): {reason}"
                ))
                .file(&srvconf)
                .with_hint("give the server's REQCONF.GLB with --reqconf (it names the Dir-Sync server)")
            })?;
        let mut dir = Directory::new();
        if let Some(p) = &msttrans {
            resync::replay_queue(p, FileKind::Msttrans, &mut dir, cp)
                .map_err(|e| CliError::located(e, p))?;
        }
        let mut taken = resync::Taken::default();
        if let Some(d) = &lists {
            let po = Postoffice::open(d, cp).map_err(|e| CliError::from(e).file(d))?;
            taken =
                resync::add_postoffice_lists(&po, &mut dir).map_err(|e| CliError::located(e, d))?;
        }
        Ok((header, name, dir, taken))
    };
    let (header, server_name, dir, taken) = read()?;

    bar.finish();
    // Written beside the target, synced, validated, then put in place.
    let out = &args.output;
    let mut staged = dest.stage(con)?;
    let (w, records) = resync::write(staged.writer(), header, stamp, &dir)
        .map_err(|e| CliError::from(e).file(out))?;
    w.into_inner()
        .map_err(|e| CliError::from(e.into_error()).file(out))?;
    staged.finish()?;
    let (mut findings, facts) =
        safe_write::validate_facts(staged.path(), out, FileKind::Resync, cp);
    let mut others = vec![(srvconf.as_path(), FileKind::Srvconf)];
    others.extend(reqconf.iter().map(|p| (p.as_path(), FileKind::Reqconf)));
    findings.extend(safe_write::cross_check(
        out,
        FileKind::Resync,
        facts,
        &others,
        cp,
    ));
    if let Some(f) = findings
        .iter()
        .find(|f| f.severity == Severity::Error && f.file == out.display().to_string())
    {
        return Err(CliError::usage(format!(
            "the new RESYNC.GLB fails validation ({}: {}); nothing was written",
            f.code, f.cause
        ))
        .file(out));
    }
    let done = staged.commit(&expect, con)?;
    let entries = dir.entry_count();
    // With -o - the file went to standard output: the report goes to standard error.
    let report: &mut dyn std::io::Write = if args.output.as_os_str() == "-" {
        con.err
    } else {
        con.out
    };
    if args.format == WroteFormat::Json {
        output::write_json(
            report,
            &Report {
                format: FORMAT,
                wrote: &shown,
                header,
                srvconf: srvconf.display().to_string(),
                server: &server_name,
                lists: dir.lists.len(),
                lists_from_usr: taken.lists,
                addresses: entries,
                records,
                skipped: &taken.skipped,
                replay_events: &dir.events,
                backup: done.backup.map(|b| b.display().to_string()),
                layouts: crate::render::layout_statements(RESYNC_LAYOUTS),
            },
        )?;
        report.flush()?;
        return Ok(0);
    }
    writeln!(
        report,
        "wrote {}: header IMPSEQ={} REQSEQ={} SRVSEQ={} (from {}: largest import count, largest ReqSync, {}'s SrvSync); {} lists ({} from USR files), {} addresses, {} records",
        shown,
        header.impseq,
        header.reqseq,
        header.srvseq,
        srvconf.display(),
        server_name,
        dir.lists.len(),
        taken.lists,
        entries,
        records
    )?;
    // The header's form and the numbers' places in SRVCONF.GLB and the
    // queues are glbtool's reconstruction: say so where they are shown.
    for line in crate::render::layout_lines(RESYNC_LAYOUTS) {
        writeln!(report, "{line}")?;
    }
    for s in &taken.skipped {
        writeln!(report, "note: {s}")?;
    }
    for e in &dir.events {
        writeln!(
            report,
            "note: replaying MSTTRANS: transaction {}: [{:>3}] {} ({})",
            e.sync, e.message, e.detail, e.list
        )?;
    }
    if let Some(b) = done.backup {
        writeln!(report, "the previous file is kept as {}", b.display())?;
    }
    report.flush()?;
    Ok(0)
}
