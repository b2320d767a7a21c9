//! `glbtool build`: write a file from the JSON `dump --format json` printed.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use glb_formats::dssched::{self, PostofficeRole};
use glb_formats::format::{Document, Format, ReadOptions};
use glb_formats::json;
use glb_formats::process::{schedule, ProcessFile, ProcessKind};
use glb_formats::{with_format, CodePage, FileKind};

use crate::output::{CliError, CliResult};
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
    /// The kind of file to write.
    #[arg(long, value_parser = crate::help::KindParser)]
    pub kind: FileKind,
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
    /// Code page for text when the document does not name one.
    #[arg(long, default_value = "850")]
    pub codepage: CodePage,
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
}

/// Runs `build`.
pub fn run(args: BuildArgs) -> CliResult {
    if let Some(times) = &args.from_dssched {
        return from_dssched(times, &args).map_err(|e| e.file(times));
    }
    let input = args.input.clone().ok_or_else(|| {
        CliError::usage("give the JSON document to build from, or --from-dssched")
    })?;
    let source: Box<dyn Read> = if input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&input).map_err(|e| CliError::from(e).file(&input))?)
    };
    let source = std::io::BufReader::with_capacity(1 << 16, source);
    let family = args.kind.family();
    let r = with_format!(family, |F| build_with::<F>(source, &args), else Err(CliError::usage(format!(
        "glbtool cannot build {} files yet",
        args.kind
    ))));
    r.map_err(|e| e.file(&input))
}

fn build_with<F: Format>(source: impl Read, args: &BuildArgs) -> CliResult {
    let (summary, shown, backup) = write_atomically(args, |w| {
        json::build::<F, _, _>(source, args.kind, w, args.codepage)
            .map_err(|e| CliError::from(e).with_hint("the output file was not written"))
    })?;
    report(&shown, summary.records, summary.trailing, backup);
    Ok(0)
}

/// Writes `output` through the safe sequence (`safe_write`, docs/safety.md):
/// the output checked and claimed, a temporary file beside it, synced, read
/// back, renamed into place only when `fill` succeeded and nobody changed
/// `output` or the input meanwhile; an existing file is kept as a new backup.
/// A failure leaves nothing behind. Returns `fill`'s value, the output in
/// words and the backup written.
fn write_atomically<T>(
    args: &BuildArgs,
    fill: impl FnOnce(BufWriter<&mut File>) -> Result<(BufWriter<&mut File>, T), CliError>,
) -> Result<(T, String, Option<PathBuf>), CliError> {
    let output = &args.output;
    let inputs: Vec<&Path> = [&args.input, &args.from_dssched, &args.base]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .filter(|p| p.as_os_str() != "-")
        .collect();
    let dest = Destination::claim(output, args.kind, &args.backup, args.force, &inputs)?;
    let mut expect = Vec::new();
    if let Some(json) = args.input.as_deref().filter(|p| p.as_os_str() != "-") {
        if !dest.is(json) {
            expect.push(Expect::now(json)?);
        }
    }
    let shown = dest.shown();
    let mut staged = dest.stage()?;
    let (writer, value) = fill(staged.writer())?;
    writer
        .into_inner()
        .map_err(|e| CliError::from(e.into_error()).file(output))?;
    staged.finish()?;
    // The new file must read back; findings about its content are the user's business.
    let findings = safe_write::validate(staged.path(), output, args.kind, args.codepage);
    if let Some(f) = findings.iter().find(|f| safe_write::is_structural(f.code)) {
        return Err(CliError::usage(format!(
            "the built file does not read back ({}: {}); nothing was written",
            f.code, f.cause
        ))
        .file(output));
    }
    let done = staged.commit(&expect)?;
    Ok((value, shown, done.backup))
}

fn report(shown: &str, records: u64, trailing: u64, backup: Option<PathBuf>) {
    eprintln!(
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
fn from_dssched(times: &Path, args: &BuildArgs) -> CliResult {
    if args.kind != FileKind::Process {
        return Err(CliError::usage(format!(
            "--from-dssched builds PROCESS.GLB (--kind process), not {}",
            args.kind
        )));
    }
    let text = if times.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        std::fs::read_to_string(times)?
    };
    let lines = dssched::parse(&text).map_err(|e| CliError::usage(e.to_string()))?;
    let base = match &args.base {
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|e| CliError::from(e).file(p))?;
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
    let zone = args.tz.clone().unwrap_or_else(Zone::from_env);
    let doc = dssched::apply(&base, &lines, role, zone.tz())
        .map_err(|e| CliError::usage(e.to_string()))?;
    let skipped = lines.len() - doc.records.len();
    if skipped > 0 {
        eprintln!(
            "glbtool: {skipped} T2 entr{} ignored: a requestor does not run T2 (use --role server for the Dir-Sync server)",
            if skipped == 1 { "y" } else { "ies" }
        );
    }
    eprintln!(
        "glbtool: DSSCHED times read as local times in {}",
        zone.label()
    );
    let bytes = doc.to_bytes()?;
    let ((), shown, backup) = write_atomically(args, |mut w| {
        w.write_all(&bytes)
            .map_err(|e| CliError::from(e).file(&args.output))?;
        Ok((w, ()))
    })?;
    report(&shown, doc.records.len() as u64, 0, backup);
    Ok(0)
}
