//! `glbtool patch-seq`: repair the sync numbers of a Dir-Sync file, changing
//! only the intended fields and their checksums, through the safe write
//! sequence of `safe_write` (`docs/safety.md`).

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use glb_dirsync::check::file::Facts;
use glb_dirsync::check::{Finding, Severity};
use glb_dirsync::patch::{
    self, ByteRange, Change, Renumber, SetReqConf, SetResyncHeader, SetSrvConf, Summary,
};
use glb_dirsync::resync;
use glb_formats::format::{Document, ReadOptions};
use glb_formats::queue::Queue;
use glb_formats::reqconf::ReqConfFile;
use glb_formats::srvconf::{self, SrvConfFile};
use glb_formats::{CodePage, FileKind, SyncFile};
use serde::Serialize;

use crate::console::{Console, Stdin};
use crate::input;
use crate::options::{CodepageOption, KindOption};
use crate::output::{self, CliError, CliResult};
use crate::repair::{self, Surroundings};
use crate::safe_write::{self, BackupOptions, Destination, Expect};

/// Output format of the `patch-seq` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The changes and the changed byte ranges, one per line.
    Text,
    /// One JSON document with the changes and every changed byte range.
    Json,
}

/// How many changes a report lists one by one (every changed byte range is listed).
const LISTED_CHANGES: usize = 1000;

/// Arguments of `patch-seq`.
#[derive(Args, Debug)]
#[command(after_help = crate::help::PATCH_SEQ)]
pub struct PatchSeqArgs {
    /// The file to patch: RESYNC.GLB (its header numbers), REQTRANS.GLB (its
    /// pending transactions), REQCONF.GLB or SRVCONF.GLB (their sync numbers).
    pub file: PathBuf,
    #[command(flatten)]
    pub kind: KindOption,
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
    /// Set all three RESYNC.GLB header numbers from the server's SRVCONF.GLB
    /// by the rule of IMPORT -S (KB Q119449): REQSEQ the largest ReqSync,
    /// SRVSEQ the SrvSync of the server postoffice's record (named by the
    /// REQCONF.GLB beside SRVCONF.GLB; without it glbtool refuses rather than
    /// guess), IMPSEQ the largest import count (as Exchange's DXA does with
    /// GlobalMaxSeqInResync=1, KB Q215505). Holds at most 10,000 requestor
    /// records; a SRVCONF.GLB with more is refused.
    #[arg(long, value_name = "SRVCONF.GLB", conflicts_with_all = ["impseq", "reqseq", "srvseq"], help_heading = "RESYNC.GLB")]
    pub from_srvconf: Option<PathBuf>,
    /// Set all three RESYNC.GLB header numbers from requestors' REQCONF.GLB
    /// files, when the Dir-Sync server keeps no SRVCONF.GLB (Exchange, KB
    /// Q215505, Q150976): the KB Q119449 rule over the files given and the
    /// REQCONF.GLB beside RESYNC.GLB (the requestor's own numbers are a
    /// floor): REQSEQ the largest ReqSync, SRVSEQ the largest SrvSync, IMPSEQ
    /// the largest import count. Give every requestor's: one not given may
    /// hold higher numbers, which Exchange takes with GlobalMaxSeqInResync=1.
    #[arg(long, num_args = 1.., value_name = "REQCONF.GLB", conflicts_with_all = ["impseq", "reqseq", "srvseq", "from_srvconf"], help_heading = "RESYNC.GLB")]
    pub from_reqconf: Vec<PathBuf>,
    /// Renumber the pending transactions N, N+1, ... in file order: the
    /// "No requestor updates to send" repair (KB Q119452); give N = REQCONF's
    /// ReqSync + 1. `#` lines keep their numbers; the first record, when its
    /// text is no transaction (REQMAIN's dummy, whose text is undocumented,
    /// KB Q133428), takes N-1, the last confirmed ReqSync, if it held less.
    #[arg(long, value_name = "N", value_parser = seq_number, allow_hyphen_values = true, help_heading = "REQTRANS.GLB")]
    pub renumber_from: Option<u32>,
    /// Set ReqSync (REQCONF.GLB; SRVCONF.GLB with --requestor).
    #[arg(long, value_name = "N", value_parser = seq_number, allow_hyphen_values = true, help_heading = "REQCONF.GLB and SRVCONF.GLB")]
    pub reqsync: Option<u32>,
    /// Set SrvSync (REQCONF.GLB; SRVCONF.GLB with --requestor).
    #[arg(long, value_name = "N", value_parser = seq_number, allow_hyphen_values = true, help_heading = "REQCONF.GLB and SRVCONF.GLB")]
    pub srvsync: Option<u32>,
    /// Set the import count.
    #[arg(long, value_name = "N", value_parser = seq_number, allow_hyphen_values = true, help_heading = "REQCONF.GLB")]
    pub impsync: Option<u32>,
    /// Reset as `LISTDS -r -z` does: the numbers 0, the four queue pointers -1
    /// (which LISTDS 3.5 failed to do, KB Q140462), types and options cleared;
    /// numbers given with it are set afterwards.
    #[arg(long, help_heading = "REQCONF.GLB")]
    pub reset: bool,
    /// The requestor whose record --reqsync, --srvsync and --last-cycle change:
    /// `PCM:NET/PO`, or `NET/PO`.
    #[arg(long, value_name = "NAME", help_heading = "SRVCONF.GLB")]
    pub requestor: Option<String>,
    /// Set the requestor's last cycle.
    #[arg(long, value_name = "N", value_parser = seq_number, allow_hyphen_values = true, help_heading = "SRVCONF.GLB")]
    pub last_cycle: Option<u32>,
    /// Set the header's highest SrvSync (the number of the last MSTTRANS entry).
    #[arg(long, value_name = "N", value_parser = seq_number, allow_hyphen_values = true, help_heading = "SRVCONF.GLB")]
    pub highest_srvsync: Option<u32>,
    /// Write the result to OUT instead of over FILE (`-` for standard output;
    /// the report then goes to standard error). A directory, device or FIFO
    /// is refused, and so is a file whose name or content is of another kind,
    /// unless --force.
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Files the result must agree with, besides the ones glbtool finds by
    /// itself (the REQCONF.GLB beside FILE; the Dir-Sync server's SRVCONF.GLB,
    /// REQCONF.GLB and MSTTRANS.GLB in the same tree); they take the place of
    /// the files found of the same kind.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub against: Vec<PathBuf>,
    /// Do not look for the files beside FILE: check the result only against
    /// what is given.
    #[arg(long)]
    pub alone: bool,
    /// Show what would change (field, old value, new value, byte offset) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Patch even when FILE has error findings this patch does not repair, or
    /// the result still predicts an MS Mail error for the files beside it (the
    /// report says what was overridden); with -o, replace OUT even when its
    /// name or content is of another kind.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub backup: BackupOptions,
    /// Output format of the report.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub codepage: CodepageOption,
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

/// The patch options given, by name.
fn given(a: &PatchSeqArgs) -> Vec<&'static str> {
    let mut g = Vec::new();
    let mut add = |name, present: bool| {
        if present {
            g.push(name);
        }
    };
    add("--impseq", a.impseq.is_some());
    add("--reqseq", a.reqseq.is_some());
    add("--srvseq", a.srvseq.is_some());
    add("--from-srvconf", a.from_srvconf.is_some());
    add("--from-reqconf", !a.from_reqconf.is_empty());
    add("--renumber-from", a.renumber_from.is_some());
    add("--reqsync", a.reqsync.is_some());
    add("--srvsync", a.srvsync.is_some());
    add("--impsync", a.impsync.is_some());
    add("--reset", a.reset);
    add("--requestor", a.requestor.is_some());
    add("--last-cycle", a.last_cycle.is_some());
    add("--highest-srvsync", a.highest_srvsync.is_some());
    g
}

/// The files patch-seq patches.
#[derive(Debug, Clone, Copy)]
enum Patched {
    Resync,
    Reqtrans,
    Reqconf,
    Srvconf,
}

impl Patched {
    /// The file's kind as one patch-seq patches; `None` for the others.
    fn of(kind: FileKind) -> Option<Patched> {
        Some(match kind.sync_file()? {
            SyncFile::Resync => Patched::Resync,
            SyncFile::Reqtrans => Patched::Reqtrans,
            SyncFile::Reqconf => Patched::Reqconf,
            SyncFile::Srvconf => Patched::Srvconf,
            SyncFile::Msttrans | SyncFile::Process => return None,
        })
    }

    /// The options each kind accepts.
    fn options(self) -> &'static [&'static str] {
        match self {
            Patched::Resync => &[
                "--impseq",
                "--reqseq",
                "--srvseq",
                "--from-srvconf",
                "--from-reqconf",
            ],
            Patched::Reqtrans => &["--renumber-from"],
            Patched::Reqconf => &["--reqsync", "--srvsync", "--impsync", "--reset"],
            Patched::Srvconf => &[
                "--requestor",
                "--reqsync",
                "--srvsync",
                "--last-cycle",
                "--highest-srvsync",
            ],
        }
    }
}

/// Where a `--from-srvconf` or `--from-reqconf` patch took the header's numbers.
#[derive(Debug, Clone)]
struct FromSrvconf {
    /// The files and the rule, for the report.
    source: String,
    /// What the report must add (what could not be checked, what may be higher).
    note: Option<String>,
}

/// What to change.
#[derive(Debug, Clone)]
enum Plan {
    Resync(SetResyncHeader, Option<FromSrvconf>),
    Renumber(u32),
    ReqConf(SetReqConf),
    SrvConf(SetSrvConf),
}

impl Plan {
    /// Settles what to do from the arguments and the file's kind (`stdin`
    /// for a file given as `-`).
    fn from_args(
        a: &PatchSeqArgs,
        kind: FileKind,
        cp: CodePage,
        stdin: &Stdin,
    ) -> Result<Plan, CliError> {
        let f = &a.file;
        let Some(patched) = Patched::of(kind) else {
            return Err(CliError::usage(format!(
                "patch-seq patches RESYNC.GLB, REQTRANS.GLB, REQCONF.GLB and SRVCONF.GLB; this file is {kind}"
            ))
            .file(f)
            .with_hint(if kind.is_queue() {
                "the numbers in the other queues are assigned by Dir-Sync itself: regenerate them (requestors Export, then a new RESYNC.GLB, KB Q96060)"
            } else {
                "glbtool patches no numbers in this kind of file"
            }));
        };
        let allowed = patched.options();
        let given = given(a);
        if let Some(bad) = given.iter().find(|g| !allowed.contains(g)) {
            return Err(CliError::usage(format!("{bad} does not apply to {kind}"))
                .file(f)
                .with_hint(format!("for {kind} give {}", allowed.join(", "))));
        }
        if given.is_empty() {
            return Err(
                CliError::usage(format!("nothing to patch: give {}", allowed.join(", "))).file(f),
            );
        }
        Ok(match patched {
            Patched::Resync => match &a.from_srvconf {
                Some(sc) => {
                    let (edit, from) = from_srvconf(sc, f, a.codepage.value, stdin)?;
                    Plan::Resync(edit, Some(from))
                }
                None if !a.from_reqconf.is_empty() => {
                    let (edit, from) = from_reqconf(&a.from_reqconf, f, a.codepage.value, stdin)?;
                    Plan::Resync(edit, Some(from))
                }
                None => Plan::Resync(
                    SetResyncHeader {
                        impseq: a.impseq,
                        reqseq: a.reqseq,
                        srvseq: a.srvseq,
                    },
                    None,
                ),
            },
            Patched::Reqtrans => Plan::Renumber(a.renumber_from.unwrap_or_default()),
            Patched::Reqconf => Plan::ReqConf(SetReqConf {
                reset: a.reset,
                reqsync: a.reqsync,
                srvsync: a.srvsync,
                impsync: a.impsync,
            }),
            Patched::Srvconf => {
                let per_requestor =
                    a.reqsync.is_some() || a.srvsync.is_some() || a.last_cycle.is_some();
                if per_requestor && a.requestor.is_none() {
                    return Err(CliError::usage(
                        "--reqsync, --srvsync and --last-cycle change one requestor's record of SRVCONF.GLB: name it with --requestor PCM:NET/PO",
                    )
                    .file(f));
                }
                if a.requestor.is_some() && !per_requestor {
                    return Err(CliError::usage(
                        "--requestor names the record to change: give --reqsync, --srvsync or --last-cycle with it",
                    )
                    .file(f));
                }
                Plan::SrvConf(SetSrvConf::new(
                    a.highest_srvsync,
                    a.requestor.clone(),
                    a.reqsync,
                    a.srvsync,
                    a.last_cycle,
                    cp,
                ))
            }
        })
    }

    fn describe(&self) -> String {
        let numbers = |pairs: &[(&str, Option<u32>)]| {
            pairs
                .iter()
                .filter_map(|(n, v)| v.map(|v| format!("{n}={v}")))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Plan::Resync(h, from) => {
                let n = numbers(&[
                    ("IMPSEQ", h.impseq),
                    ("REQSEQ", h.reqseq),
                    ("SRVSEQ", h.srvseq),
                ]);
                match from {
                    Some(fs) => format!("set the RESYNC header from {}: {n}", fs.source),
                    None => format!("set the RESYNC header: {n}"),
                }
            }
            Plan::Renumber(n) => format!("renumber the pending transactions from {n}"),
            Plan::ReqConf(e) => {
                let n = numbers(&[
                    ("ReqSync", e.reqsync),
                    ("SrvSync", e.srvsync),
                    ("import count", e.impsync),
                ]);
                match (e.reset, n.is_empty()) {
                    (true, true) => "reset as LISTDS -r -z (numbers 0, queue pointers -1)".into(),
                    (true, false) => format!(
                        "reset as LISTDS -r -z (numbers 0, queue pointers -1), then set {n}"
                    ),
                    (false, _) => format!("set {n}"),
                }
            }
            Plan::SrvConf(e) => {
                let mut parts = Vec::new();
                if let Some(v) = e.highest_srvsync {
                    parts.push(format!("highest SrvSync={v}"));
                }
                if let Some(r) = &e.requestor {
                    parts.push(format!(
                        "requestor {r}: {}",
                        numbers(&[
                            ("ReqSync", e.reqsync),
                            ("SrvSync", e.srvsync),
                            ("last cycle", e.last_cycle)
                        ])
                    ));
                }
                format!("set {}", parts.join("; "))
            }
        }
    }

    /// What `--from-srvconf` could not check about the requestor's registration.
    fn srvconf_note(&self) -> Option<&str> {
        match self {
            Plan::Resync(_, Some(from)) => from.note.as_deref(),
            _ => None,
        }
    }

    /// Findings this patch repairs: they do not stop it.
    fn repairs(&self) -> &'static [&'static str] {
        match self {
            Plan::Resync(..) => &["GLB014"],
            Plan::Renumber(_) => &["GLB306", "GLB171"],
            Plan::ReqConf(_) | Plan::SrvConf(_) => &[],
        }
    }

    /// Streams `src` to `out` with the patch applied.
    fn apply<R: Read, W: Write>(
        &self,
        src: R,
        kind: FileKind,
        size: u64,
        cp: CodePage,
        out: W,
        on_change: &mut dyn FnMut(Change),
    ) -> glb_formats::Result<(W, Summary)> {
        let size = Some(size);
        match self {
            Plan::Resync(e, _) => patch::rewrite::<Queue, _, _, _>(
                src,
                kind,
                size,
                cp,
                out,
                &mut e.clone(),
                on_change,
            ),
            Plan::Renumber(n) => {
                let mut e = Renumber::new(*n);
                patch::rewrite::<Queue, _, _, _>(src, kind, size, cp, out, &mut e, on_change)
            }
            Plan::ReqConf(e) => patch::rewrite::<ReqConfFile, _, _, _>(
                src,
                kind,
                size,
                cp,
                out,
                &mut e.clone(),
                on_change,
            ),
            Plan::SrvConf(e) => patch::rewrite::<SrvConfFile, _, _, _>(
                src,
                kind,
                size,
                cp,
                out,
                &mut e.clone(),
                on_change,
            ),
        }
    }
}

/// Reads the server's SRVCONF.GLB (and its REQCONF.GLB beside it, which names
/// the server's own record) and works out the RESYNC header (KB Q119449,
/// Q215505) for the RESYNC.GLB `file`, whose requestor must be registered there.
fn from_srvconf(
    path: &Path,
    file: &Path,
    cp: CodePage,
    stdin: &Stdin,
) -> Result<(SetResyncHeader, FromSrvconf), CliError> {
    let inp = input::open(path, None, stdin)?;
    let kind = inp.kind;
    if kind != FileKind::Srvconf {
        return Err(CliError::usage(format!(
            "--from-srvconf needs the server's SRVCONF.GLB; this file is {kind}"
        ))
        .file(path));
    }
    // Record by record, holding at most srvconf::MAX_HELD records.
    let records = srvconf::read_held(inp.reader, inp.size, "work out the RESYNC header numbers")
        .map_err(|e| CliError::from(e).file(path))?
        .1;
    let reqconf = safe_write::beside(path, "REQCONF.GLB");
    let conf = match &reqconf {
        Some(p) => input::found_reqconf(p, cp)?,
        None => None,
    };
    let (h, name) = resync::header_from_srvconf(&records, conf.as_ref(), cp).map_err(|reason| {
        CliError::usage(format!(
            "--from-srvconf cannot tell which SRVCONF.GLB record is the server postoffice's, whose SrvSync is SRVSEQ (KB Q119449): {reason}"
        ))
        .file(path)
        .with_hint(
            "put the server's REQCONF.GLB beside SRVCONF.GLB (it names the Dir-Sync server), or give the numbers with --impseq, --reqseq and --srvseq",
        )
    })?;
    let note = repair::registered(file, path, &records, conf.as_ref(), cp)?;
    Ok((
        SetResyncHeader {
            impseq: Some(h.impseq),
            reqseq: Some(h.reqseq),
            srvseq: Some(h.srvseq),
        },
        FromSrvconf {
            source: format!(
                "{} (largest ReqSync, {name}'s SrvSync, largest import count)",
                path.display()
            ),
            note,
        },
    ))
}

/// Reads requestors' REQCONF.GLB files (and the one beside the RESYNC.GLB
/// `file`, the requestor's own) and works out the RESYNC header by the KB
/// Q119449 rule over them (`resync::header_from_reqconfs`): the way to repair
/// a RESYNC.GLB when the Dir-Sync server is Exchange, which keeps no
/// SRVCONF.GLB (KB Q215505, Q150976).
fn from_reqconf(
    paths: &[PathBuf],
    file: &Path,
    cp: CodePage,
    stdin: &Stdin,
) -> Result<(SetResyncHeader, FromSrvconf), CliError> {
    let read = |p: &Path| -> Result<glb_formats::reqconf::ReqConf, CliError> {
        let inp = input::open(p, None, stdin)?;
        if inp.kind != FileKind::Reqconf {
            return Err(CliError::usage(format!(
                "--from-reqconf needs requestors' REQCONF.GLB files; this file is {}",
                inp.kind
            ))
            .file(p));
        }
        let mut bytes = Vec::new();
        inp.reader
            .take(64 << 10)
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::from(e).file(p))?;
        Document::<ReqConfFile>::from_bytes(&bytes, FileKind::Reqconf, ReadOptions::default())
            .map_err(|e| CliError::from(e).file(p))?
            .header
            .ok_or_else(|| CliError::usage("REQCONF.GLB holds no configuration").file(p))
    };
    let mut confs = Vec::new();
    for p in paths {
        confs.push((p.clone(), read(p)?));
    }
    // The requestor's own numbers are a floor.
    let own = safe_write::beside(file, "REQCONF.GLB");
    if let Some(own) = &own {
        if !paths.iter().any(|p| repair::same_file(p, own)) {
            confs.push((own.clone(), read(own)?));
        }
    }
    // Every REQCONF.GLB must name the Dir-Sync server the requestor's names.
    if let Some((own_path, own_conf)) = own
        .as_ref()
        .and_then(|o| confs.iter().find(|(p, _)| repair::same_file(p, o)))
    {
        let server = own_conf.server(cp);
        if let Some((p, c)) = confs
            .iter()
            .find(|(_, c)| !c.server(cp).eq_ignore_ascii_case(&server))
        {
            return Err(CliError::usage(format!(
                "--from-reqconf: {} names the Dir-Sync server {}, but {} (the requestor's own) names {server}: their numbers are not of one server's requestors; nothing was written",
                p.display(),
                c.server(cp),
                own_path.display()
            ))
            .file(file));
        }
    }
    let h = resync::header_from_reqconfs(confs.iter().map(|(_, c)| c));
    let names: Vec<String> = confs.iter().map(|(p, _)| p.display().to_string()).collect();
    Ok((
        SetResyncHeader {
            impseq: Some(h.impseq),
            reqseq: Some(h.reqseq),
            srvseq: Some(h.srvseq),
        },
        FromSrvconf {
            source: format!(
                "{} requestors' REQCONF.GLB ({}: largest ReqSync, SrvSync and import count)",
                confs.len(),
                names.join(", ")
            ),
            note: Some("numbers of requestors whose REQCONF.GLB was not given may be higher: Exchange's DXA with GlobalMaxSeqInResync=1 takes the highest numbers of every requestor registered on the server (KB Q215505); give them all".into()),
        },
    ))
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
    // Numbered as the findings' text numbers records (render::findings::place).
    use glb_formats::Family;
    match (f.sync, f.record, f.kind.map(FileKind::family)) {
        (Some(n), _, _) => s.push_str(&format!(" (sync {n})")),
        (None, _, Some(Family::Queue)) | (None, None, _) => {}
        (None, Some(r), Some(Family::SrvConf | Family::Process)) => {
            s.push_str(&format!(" (record #{})", r.saturating_add(1)))
        }
        (None, Some(r), _) => s.push_str(&format!(" (record {r})")),
    }
    format!("{s}: {}", f.cause)
}

/// Runs `patch-seq`.
pub fn run(args: PatchSeqArgs, con: &mut Console) -> CliResult {
    let file = &args.file;
    if file.as_os_str() == "-" {
        return Err(CliError::usage(
            "patch-seq patches a file in place; it cannot read standard input",
        )
        .with_hint("give the file's path (use -o OUT to write the result elsewhere)"));
    }
    let kind = input::open(file, args.kind.value, &con.stdin)?.kind;
    let target = args.output.clone().unwrap_or_else(|| file.clone());
    let cp = args.codepage.value;

    // 1. The target checked, locked and fingerprinted, then fingerprints of
    // the file and the files the patch takes its numbers from, before
    // reading anything.
    let mut given = Vec::new();
    for p in &args.against {
        given.push((p.clone(), input::open(p, None, &con.stdin)?.kind));
    }
    if let Some(sc) = &args.from_srvconf {
        given.push((sc.clone(), FileKind::Srvconf));
    }
    if !args.from_reqconf.is_empty() {
        given.extend(
            args.from_reqconf
                .iter()
                .map(|p| (p.clone(), FileKind::Reqconf)),
        );
        // The requestor's own REQCONF.GLB is one of them (its numbers are a floor).
        if let Some(own) = safe_write::beside(file, "REQCONF.GLB") {
            if !given.iter().any(|(p, _)| repair::same_file(p, &own)) {
                given.push((own, FileKind::Reqconf));
            }
        }
    }
    let around = Surroundings::find(file, kind, &given, args.alone, cp);
    let around_paths = around.paths();
    let mut inputs: Vec<&Path> = vec![file];
    inputs.extend(around_paths.iter().map(PathBuf::as_path));
    let dest = Destination::claim(&target, kind, &args.backup, args.force, &inputs)?;
    let in_place = dest.is(file);
    let mut expect = Vec::new();
    for p in inputs.iter().filter(|p| !dest.is(p)) {
        expect.push(Expect::now(p)?);
    }
    let size = std::fs::metadata(file)
        .map_err(|e| CliError::from(e).file(file))?
        .len();
    let plan = Plan::from_args(&args, kind, cp, &con.stdin)?;
    let job = Job {
        args: &args,
        kind,
        plan: &plan,
        target: &target,
    };

    // 2. The input is validated first, alone and against the files beside it.
    let (before, before_facts) = safe_write::validate_facts(file, file, kind, cp);
    let before_cross = around.verdicts(file, kind, before_facts);
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
    // MS Mail's checksums in every record (GLB305), or in most, some already
    // re-sealed by an earlier forced repair (GLB314).
    let foreign_checksums = before
        .iter()
        .any(|f| f.code == "GLB305" || f.code == "GLB314");
    let mut notes = Vec::new();
    for c in &around.found {
        notes.push(format!(
            "checked against {} ({})",
            c.path.display(),
            c.role.describe()
        ));
    }
    if let Some(n) = plan.srvconf_note() {
        notes.push(n.to_string());
    }
    notes.extend(around.unchecked.iter().cloned());
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
    let foreign_note = "the file's checksums were written with MS Mail's algorithm, which is undocumented; the changed records get glbtool's CRC-16/ARC instead, which MS Mail may reject (validate will then report the mixed checksums, GLB314)";

    // 3. A dry run computes the same patch into nothing.
    let mut changes = Changes::default();
    let open_src = || -> Result<BufReader<File>, CliError> {
        // Opened again: a regular file only (errors name it); read in large blocks.
        let (src, _) = glb_dirsync::open::buffered(file)?;
        Ok(BufReader::with_capacity(1 << 18, src.into_inner()))
    };
    if args.dry_run {
        // The result is kept in memory, when small enough, to be checked.
        let keep = size <= DRY_RUN_CHECKED;
        let sink = if keep { Some(Vec::new()) } else { None };
        let (bytes, summary) = plan
            .apply(open_src()?, kind, size, cp, OptionalSink(sink), &mut |c| {
                changes.push(c)
            })
            .map_err(|e| CliError::from(e).file(file))?;
        match bytes.0 {
            Some(bytes) if !summary.is_unchanged() => {
                let facts = facts_of_bytes(&bytes, file, kind, cp);
                let still =
                    repair::still_predicted(file, &before_cross, &around.verdicts(file, kind, facts));
                if !still.is_empty() {
                    notes.push(format!(
                        "the result would still predict {}; without --dry-run glbtool would refuse unless --force is given",
                        still.iter().map(finding_line).collect::<Vec<_>>().join("; ")
                    ));
                }
            }
            None => notes.push(format!(
                "the file is larger than {DRY_RUN_CHECKED} bytes: the result is checked against the files beside it only when written"
            )),
            _ => {}
        }
        if foreign_checksums && !summary.is_unchanged() {
            notes.push(format!(
                "{foreign_note}; without --dry-run glbtool would refuse unless --force is given"
            ));
        }
        job.report(&summary, &changes, &notes, Outcome::DryRun, con)?;
        return Ok(0);
    }

    // 4. The new file is written beside the target, flushed and synced.
    let mut staged = dest.stage(con)?;
    let summary = {
        let w = staged.writer();
        let (w, summary) = plan
            .apply(open_src()?, kind, size, cp, w, &mut |c| changes.push(c))
            .map_err(|e| CliError::from(e).file(file))?;
        w.into_inner()
            .map_err(|e| CliError::from(e.into_error()).file(&target))?;
        summary
    };
    staged.finish()?;
    if summary.is_unchanged() && in_place {
        job.report(&summary, &changes, &notes, Outcome::Unchanged, con)?;
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
    let (after, facts) = safe_write::validate_facts(staged.path(), &target, kind, cp);
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

    // The result against the files beside it: an MS Mail error it still
    // predicts (for itself, or newly for a file beside it) stops the patch.
    let still = repair::still_predicted(file, &before_cross, &around.verdicts(file, kind, facts));
    if !still.is_empty() {
        let list: Vec<String> = still.iter().take(5).map(finding_line).collect();
        if args.force {
            notes.push(format!(
                "--force: written although the result still predicts {}",
                list.join("; ")
            ));
        } else {
            let hint = match still[0].fix.clone() {
                glb_dirsync::check::Fix::Command { command, .. } => {
                    format!("the repair it needs: {command}; --force writes anyway")
                }
                _ => "glbtool validate explains it; --force writes anyway".to_string(),
            };
            return Err(CliError::usage(format!(
                "the patched file would still fail ({}); nothing was written",
                list.join("; ")
            ))
            .file(&target)
            .with_hint(hint));
        }
    }

    // 6. Unchanged inputs, backup, unchanged target, atomic rename.
    let done = staged.commit(&expect, con)?;
    job.report(
        &summary,
        &changes,
        &notes,
        Outcome::Written(done.backup),
        con,
    )?;
    Ok(0)
}

/// Dry runs check results of files up to this size, kept in memory.
const DRY_RUN_CHECKED: u64 = 16 << 20;

/// A writer that keeps the bytes, or drops them.
struct OptionalSink(Option<Vec<u8>>);

impl Write for OptionalSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(v) = &mut self.0 {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The facts of a patched file held in memory (a dry run's result).
fn facts_of_bytes(bytes: &[u8], shown: &Path, kind: FileKind, cp: CodePage) -> Facts {
    let file = glb_dirsync::check::FileRef::new(shown.display().to_string(), kind, cp);
    let mut ignored = Vec::new();
    glb_dirsync::check::file::check(&file, bytes, Some(bytes.len() as u64), &mut ignored)
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
    /// How many byte ranges changed in all (`ranges` lists the first 1,000).
    ranges_total: u64,
    notes: &'a [String],
    /// Where the positions of the changed fields come from (docs/json.md).
    layout: Option<glb_formats::layout::Statement>,
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
    plan: &'a Plan,
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
        con: &mut Console,
    ) -> Result<(), CliError> {
        let Job {
            args,
            kind,
            plan,
            target,
        } = self;
        let kind = *kind;
        // With -o - the file went to standard output: the report goes to standard error.
        let to_stdout = target.as_os_str() == "-";
        let mut out: Box<dyn Write + '_> = if to_stdout {
            Box::new(&mut *con.err)
        } else {
            Box::new(output::buffered(con.out))
        };
        let shown = if to_stdout {
            "standard output".to_string()
        } else {
            target.display().to_string()
        };
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
                    ranges_total: summary.ranges_total,
                    notes,
                    layout: crate::render::layout_statements([kind]).pop(),
                };
                serde_json::to_writer_pretty(&mut out, &r).map_err(io::Error::from)?;
                writeln!(out)?;
            }
            ReportFormat::Text => {
                writeln!(out, "{}: {}", args.file.display(), plan.describe())?;
                for line in crate::render::layout_lines([kind]) {
                    writeln!(out, "{line}")?;
                }
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
                        "  ... {} more changes, not listed (the changed byte ranges below cover them)",
                        changes.total - changes.listed.len() as u64
                    )?;
                }
                let mut parts = Vec::new();
                if summary.header_changed {
                    parts.push("the file header".to_string());
                }
                if summary.records > 0 {
                    parts.push(format!(
                        "{} of {} records",
                        summary.records_changed, summary.records
                    ));
                }
                writeln!(
                    out,
                    "changed bytes: {} in {} ({} bytes in the file)",
                    summary.bytes_changed,
                    parts.join(" and "),
                    summary.size
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
                let unlisted = summary.ranges_total - summary.ranges.len() as u64;
                if unlisted > 0 {
                    let last = summary.ranges.last().map_or(0, |r| r.end);
                    writeln!(
                        out,
                        "  ... {unlisted} more changed byte ranges after offset {last} (0x{last:x}), not listed ({} in all; at most {} are listed)",
                        summary.ranges_total,
                        glb_dirsync::patch::RANGES_KEPT
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
                            "wrote {shown}; the previous file is kept as {}",
                            b.display()
                        )?,
                        None if to_stdout => writeln!(out, "wrote {shown}")?,
                        None => writeln!(out, "wrote {shown} (no backup kept)")?,
                    },
                }
            }
        }
        output::finish(out)
    }
}
