//! `glbtool build`: write a file from the JSON `dump --format json` printed.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use glb_formats::dssched::{self, PostofficeRole};
use glb_formats::format::{Document, ReadOptions};
use glb_formats::json;
use glb_formats::process::{schedule, ProcessFile, ProcessKind};
use glb_formats::{CodePage, FileKind};

use crate::console::Console;
use crate::options::QuietOption;
use crate::output::{self, CliError, CliResult, WroteFormat};
use crate::safe_write::{self, BackupOptions, Destination, Expect};
use crate::timefmt::Zone;

/// Which kind of postoffice a DSSCHED schedule is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// The Dir-Sync server: T1, T2 and T3 entries are used.
    Server,
    /// A requestor: T2 entries are ignored, as DSSCHED did.
    Requestor,
}

/// Arguments of `build`.
#[derive(Args, Debug)]
#[command(after_help = crate::help::BUILD)]
pub struct BuildArgs {
    /// The JSON document (`-` for standard input); not with --from-dssched.
    #[arg(
        required_unless_present = "from_dssched",
        conflicts_with = "from_dssched"
    )]
    pub input: Option<PathBuf>,
    /// The kind of file to write. The document names its kind; when given,
    /// --kind must agree with it (a document without `kind` needs it).
    #[arg(long, value_parser = crate::help::KindParser)]
    pub kind: Option<FileKind>,
    /// The file to write (`-` for standard output). It is written to a
    /// temporary file beside it, synced, read back, and renamed into place only
    /// when complete, so a failure writes nothing; an existing file is kept as
    /// FILE.bak, never over an older backup (see docs/safety.md). A directory,
    /// device or FIFO is refused, and so is a file whose name or content is of
    /// another kind, unless --force.
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    /// Replace OUTPUT even when its name or content is of another kind.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub backup: BackupOptions,
    /// Code page of the text. The document names its code page; when given,
    /// --codepage must agree with it (a document without `codepage` is read
    /// as 850 unless this says otherwise).
    #[arg(long)]
    pub codepage: Option<CodePage>,
    /// Take the stored fields literally: do not check the derived values
    /// (`index`, `offset`, `info`) against them, nor re-seal edited records
    /// or rewrite an edited RESYNC header in glbtool's form. For documents
    /// written by other tools. Without it, a derived value that differs
    /// stops the build with its JSON path.
    #[arg(long)]
    pub ignore_derived: bool,
    /// Re-seal every record whose stored checksum is not glbtool's, also
    /// records written by MS Mail (whose algorithm is undocumented: MS Mail
    /// may reject records glbtool sealed). Without it, only records the
    /// document says were sealed (`info.checksum_ok: true`) and that were
    /// edited are re-sealed.
    #[arg(long)]
    pub reseal: bool,
    /// Let NETPO.GLB / GALNETPO.GLB records move or disappear. NME entries
    /// point at them by byte offset (KB Q107767), so by default build refuses
    /// a document whose records were removed or reordered; delete an address
    /// by setting its `status` to 0 instead (docs/json.md).
    #[arg(long)]
    pub allow_moves: bool,
    /// Build PROCESS.GLB from a DSSCHED text file (`T1 Sat 13:45` lines, as
    /// `dump --format dssched` or `dssched -x` wrote) instead of JSON.
    #[arg(long, value_name = "TIMES.TXT")]
    pub from_dssched: Option<PathBuf>,
    /// With --from-dssched: the PROCESS.GLB to start from (header, IDs, windows,
    /// comments are kept); without it the schedule starts from an empty file.
    #[arg(long, value_name = "PROCESS.GLB", requires = "from_dssched")]
    pub base: Option<PathBuf>,
    /// With --from-dssched: server or requestor (a requestor ignores T2
    /// entries). Default: server when the base has a T2 record, else requestor.
    #[arg(long, value_enum, requires = "from_dssched")]
    pub role: Option<RoleArg>,
    /// With --from-dssched: the time zone of the times in the text, written
    /// as for dump's --tz (default: the TZ environment variable when set, as
    /// DSSCHED read it, else UTC; DSSCHED itself took PST8PDT when TZ was unset).
    #[arg(long, value_name = "ZONE", value_parser = Zone::parse, allow_hyphen_values = true)]
    pub tz: Option<Zone>,
    /// Format of the report of what was written: text on standard error, or
    /// one JSON document on standard output (standard error with `-o -`).
    #[arg(long, short = 'f', value_enum, default_value_t = WroteFormat::Text)]
    pub format: WroteFormat,
    #[command(flatten)]
    pub quiet: QuietOption,
}

/// The `format` value of the JSON report.
pub const FORMAT: &str = "glbtool-build/1";

/// The JSON report of `build`.
#[derive(serde::Serialize)]
struct Report<'a> {
    format: &'static str,
    /// The file written.
    wrote: &'a str,
    kind: FileKind,
    records: u64,
    trailing_bytes: u64,
    /// Records whose checksum build computed anew (the first ones), and how many in all.
    resealed: &'a [u64],
    resealed_count: u64,
    /// What build wrote differently from the document's text (the first ones), and how many.
    notes: &'a [String],
    notes_count: u64,
    /// NDJSON: records of the dumped file not in the stream.
    dropped: Option<u64>,
    /// The previous file, kept.
    backup: Option<String>,
}

/// Runs `build`.
pub fn run(args: BuildArgs, con: &mut Console) -> CliResult {
    if let Some(times) = &args.from_dssched {
        return from_dssched(times, &args, con).map_err(|e| e.file(times));
    }
    let input = args.input.clone().ok_or_else(|| {
        CliError::usage("give the JSON document to build from, or --from-dssched")
    })?;
    let bar = crate::progress::Progress::bytes(
        "building from",
        crate::progress::size_of([input.as_path()]),
        !con.progress(args.quiet.value),
    );
    // A pipe, device or standard input is opened without blocking and read
    // up to the stream limit (docs/architecture.md, "Inputs").
    let limit = glb_dirsync::open::stream_limit();
    let source: Box<dyn Read> = if input.as_os_str() == "-" {
        Box::new(glb_dirsync::open::Limited::new(con.stdin.reader(), limit))
    } else {
        let opened =
            glb_dirsync::open::stream(&input).map_err(|e| CliError::from(e).file(&input))?;
        if opened.meta.is_file() {
            Box::new(bar.reader(opened.file))
        } else {
            Box::new(glb_dirsync::open::Limited::new(
                std::io::Cursor::new(opened.first).chain(opened.file),
                limit,
            ))
        }
    };
    // The kind decides which output is acceptable before anything is
    // written: from --kind, or from the top of the document.
    let (head, source) = peek(source).map_err(|e| CliError::from(e).file(&input))?;
    let kind = match args.kind.or_else(|| json::peek_kind(&head)) {
        Some(k) => k,
        None => {
            // A short input is whole: say what is wrong with it.
            if head.len() < PEEK {
                if let Err(e) = json::build_from(&head[..], options(&args), std::io::sink()) {
                    return Err(CliError::from(e)
                        .file(&input)
                        .with_hint("the output file was not written"));
                }
            }
            return Err(CliError::usage(
                "the document names no kind near its top (\"kind\": \"reqtrans\"); give --kind",
            )
            .file(&input));
        }
    };
    let source = std::io::Cursor::new(head).chain(source);
    let opts = json::BuildOptions {
        kind: Some(kind),
        ..options(&args)
    };
    let (summary, shown, backup) = write_atomically(&args, kind, con, |w| {
        json::build_from(source, opts, w)
            .map(|(w, summary)| {
                let cp = summary.codepage;
                (w, summary, cp)
            })
            .map_err(|e| {
                CliError::from(e)
                    .file(&input)
                    .with_hint("the output file was not written")
            })
    })?;
    bar.finish();
    if args.format == WroteFormat::Json {
        return json_report(
            &args,
            con,
            &Report {
                format: FORMAT,
                wrote: &shown,
                kind: summary.kind,
                records: summary.records,
                trailing_bytes: summary.trailing,
                resealed: &summary.resealed,
                resealed_count: summary.resealed_count,
                notes: &summary.notes,
                notes_count: summary.notes_count,
                dropped: summary.dropped,
                backup: backup.map(|b| b.display().to_string()),
            },
        );
    }
    report_build(&summary, con.err);
    report(&shown, summary.records, summary.trailing, backup, con.err);
    Ok(0)
}

fn dest_is_stdout(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// How much of the input is read to find its kind.
const PEEK: usize = 1 << 16;

/// The first [`PEEK`] bytes of `source` (fewer at its end), and the rest of it.
fn peek<R: Read>(mut source: R) -> std::io::Result<(Vec<u8>, R)> {
    let mut head = Vec::new();
    (&mut source).take(PEEK as u64).read_to_end(&mut head)?;
    Ok((head, source))
}

/// The build options the arguments ask for.
pub fn options(args: &BuildArgs) -> json::BuildOptions {
    json::BuildOptions {
        kind: args.kind,
        codepage: args.codepage,
        check_derived: !args.ignore_derived,
        reseal: args.reseal,
        allow_moves: args.allow_moves,
    }
}

/// What build did beyond copying the document: notes, re-sealed records,
/// records filtered out of an NDJSON stream; on `err` (standard error).
pub fn report_build(s: &json::BuildSummary, err: &mut dyn Write) {
    for n in &s.notes {
        say!(err, "glbtool: {n}");
    }
    if s.notes_count > s.notes.len() as u64 {
        say!(
            err,
            "glbtool: ... and {} more",
            s.notes_count - s.notes.len() as u64
        );
    }
    if s.resealed_count > 0 {
        let list: Vec<String> = s.resealed.iter().map(u64::to_string).collect();
        let more = s.resealed_count - s.resealed.len() as u64;
        say!(
            err,
            "glbtool: re-sealed {} edited record{} with glbtool's checksum (records {}{}); MS Mail's checksum algorithm is undocumented, so MS Mail may reject re-sealed records",
            s.resealed_count,
            if s.resealed_count == 1 { "" } else { "s" },
            list.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        );
    }
    if let Some(n) = s.dropped.filter(|&n| n > 0) {
        say!(
            err,
            "glbtool: {n} record{} of the dumped file {} not in the stream: the rest were renumbered",
            if n == 1 { "" } else { "s" },
            if n == 1 { "was" } else { "were" }
        );
    }
}

/// Writes `output` through the safe sequence (`safe_write`, docs/safety.md):
/// the output checked and claimed, a temporary file beside it, synced, read
/// back, renamed into place only when `fill` succeeded and nobody changed
/// `output` or the input meanwhile; an existing file is kept as a new backup.
/// A failure leaves nothing behind. `fill` returns the writer, its value and
/// the code page of the text it wrote (the document's, which reading back
/// uses). Returns `fill`'s value, the output in words and the backup written.
fn write_atomically<T>(
    args: &BuildArgs,
    kind: FileKind,
    con: &mut Console,
    fill: impl FnOnce(BufWriter<&mut File>) -> Result<(BufWriter<&mut File>, T, CodePage), CliError>,
) -> Result<(T, String, Option<PathBuf>), CliError> {
    let output = &args.output;
    let inputs: Vec<&Path> = [&args.input, &args.from_dssched, &args.base]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .filter(|p| p.as_os_str() != "-")
        .collect();
    let dest = Destination::claim(output, kind, &args.backup, args.force, &inputs)?;
    let mut expect = Vec::new();
    if let Some(json) = args.input.as_deref().filter(|p| p.as_os_str() != "-") {
        if !dest.is(json) {
            expect.push(Expect::now(json)?);
        }
    }
    let shown = dest.shown();
    let mut staged = dest.stage(con)?;
    let (writer, value, cp) = fill(staged.writer())?;
    writer
        .into_inner()
        .map_err(|e| CliError::from(e.into_error()).file(output))?;
    staged.finish()?;
    // The new file must read back; findings about its content are the user's business.
    let findings = safe_write::validate(staged.path(), output, kind, cp);
    if let Some(f) = findings.iter().find(|f| safe_write::is_structural(f.code)) {
        return Err(CliError::usage(format!(
            "the built file does not read back ({}: {}); nothing was written",
            f.code, f.cause
        ))
        .file(output));
    }
    // NETPO.GLB / GALNETPO.GLB: the postoffice's NME entries point at its
    // records by byte offset (KB Q107767); a new version may not break them.
    if matches!(kind, FileKind::Netpo | FileKind::Galnetpo)
        && !args.allow_moves
        && !dest_is_stdout(output)
    {
        let before =
            glb_dirsync::check::links::with_new_netpo(output, output, cp).map_or(0, |f| f.len());
        if let Some(after) = glb_dirsync::check::links::with_new_netpo(output, staged.path(), cp) {
            if after.len() > before {
                let f = &after[0];
                return Err(CliError::usage(format!(
                    "the new file would break {} NME entr{} of this postoffice that point into it (KB Q107767), e.g. {} record {}: {}; nothing was written",
                    after.len() - before,
                    if after.len() - before == 1 { "y" } else { "ies" },
                    f.file,
                    f.record.unwrap_or(0),
                    f.cause
                ))
                .file(output)
                .with_hint("delete an address by setting its `status` to 0 and leaving the record in place (docs/json.md); --allow-moves writes it anyway"));
            }
        }
    }
    let done = staged.commit(&expect, con)?;
    Ok((value, shown, done.backup))
}

/// Writes the JSON report on standard output, or on standard error when
/// standard output is the file itself (`-o -`).
fn json_report(args: &BuildArgs, con: &mut Console, r: &Report) -> CliResult {
    if args.output.as_os_str() == "-" {
        output::write_json(&mut con.err, r)?;
    } else {
        let mut out = output::buffered(con.out);
        output::write_json(&mut out, r)?;
        output::finish(out)?;
    }
    Ok(0)
}

fn report(shown: &str, records: u64, trailing: u64, backup: Option<PathBuf>, err: &mut dyn Write) {
    say!(
        err,
        "glbtool: wrote {} ({} record{}{}){}",
        shown,
        records,
        if records == 1 { "" } else { "s" },
        if trailing > 0 {
            format!(", {trailing} trailing bytes")
        } else {
            String::new()
        },
        match backup {
            Some(b) => format!("; the previous file is kept as {}", b.display()),
            None => String::new(),
        }
    );
}

/// `build --kind process --from-dssched TIMES.TXT [--base PROCESS.GLB]`:
/// what `dssched -i` does (KB Q96060, Q119590).
fn from_dssched(times: &Path, args: &BuildArgs, con: &mut Console) -> CliResult {
    if let Some(kind) = args.kind.filter(|k| *k != FileKind::Process) {
        return Err(CliError::usage(format!(
            "--from-dssched builds PROCESS.GLB (--kind process), not {kind}"
        )));
    }
    // A schedule is a few lines: anything past 1 MiB is not one (and
    // /dev/zero is refused there instead of read without end).
    let bytes = crate::input::read_small(times, 1 << 20, "a DSSCHED schedule", &con.stdin)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        CliError::usage(format!(
            "not a DSSCHED schedule: the text is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        ))
        .file(times)
    })?;
    let lines = dssched::parse(&text).map_err(|e| CliError::usage(e.to_string()))?;
    let base = match &args.base {
        Some(p) => {
            // Held whole to be rewritten: 16 MiB is 85,000 records, far more than a schedule has.
            let bytes =
                crate::input::read_small(p, 16 << 20, "a PROCESS.GLB to start from", &con.stdin)?;
            Document::<ProcessFile>::from_bytes(&bytes, FileKind::Process, ReadOptions::default())
                .map_err(|e| CliError::from(e).file(p))?
        }
        None => schedule(Vec::new()),
    };
    let role = match args.role {
        Some(RoleArg::Server) => PostofficeRole::Server,
        Some(RoleArg::Requestor) => PostofficeRole::Requestor,
        None if base
            .records
            .iter()
            .any(|r| r.kind() == Some(ProcessKind::ServerProcess)) =>
        {
            PostofficeRole::Server
        }
        None => PostofficeRole::Requestor,
    };
    let zone = args.tz.clone().unwrap_or_else(|| Zone::from_env(con.err));
    let doc = dssched::apply(&base, &lines, role, zone.tz())
        .map_err(|e| CliError::usage(e.to_string()))?;
    let skipped = lines.len() - doc.records.len();
    if skipped > 0 {
        say!(
            con.err,
            "glbtool: {skipped} T2 entr{} ignored: a requestor does not run T2 (use --role server for the Dir-Sync server)",
            if skipped == 1 { "y" } else { "ies" }
        );
    }
    say!(
        con.err,
        "glbtool: DSSCHED times read as local times in {}",
        zone.label()
    );
    let bytes = doc.to_bytes()?;
    let ((), shown, backup) = write_atomically(args, FileKind::Process, con, |mut w| {
        w.write_all(&bytes)
            .map_err(|e| CliError::from(e).file(&args.output))?;
        Ok((w, (), args.codepage.unwrap_or_default()))
    })?;
    if args.format == WroteFormat::Json {
        return json_report(
            args,
            con,
            &Report {
                format: FORMAT,
                wrote: &shown,
                kind: FileKind::Process,
                records: doc.records.len() as u64,
                trailing_bytes: 0,
                resealed: &[],
                resealed_count: 0,
                notes: &[],
                notes_count: 0,
                dropped: None,
                backup: backup.map(|b| b.display().to_string()),
            },
        );
    }
    report(&shown, doc.records.len() as u64, 0, backup, con.err);
    Ok(0)
}
