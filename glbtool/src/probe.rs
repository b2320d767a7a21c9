//! `glbtool probe`: what a file is made of, found from its bytes, side by
//! side with glbtool's layout for its kind (`docs/probe.md`).
//!
//! This module reads: the first [`limits::SAMPLE_BYTES`] of the file (a pipe
//! is read to its end to learn its size, in constant memory), the names and
//! sizes of the files of its postoffice (for pointers and hexids), and, for
//! `--redacted-copy`, the whole file once more, streaming. The analysis is
//! `glb_formats::probe`; the text view is `render::probe`.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use glb_formats::probe::{self, limits, redact, Options, Report, Sample, Sibling, Verdict};
use glb_formats::FileKind;

use crate::console::{Console, Stdin};
use crate::output::{self, use_color, CliError, CliResult};
use crate::render::Painter;
use crate::safe_write::{BackupOptions, Destination, Expect};
use crate::ShowOptions;

/// Output format of `probe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProbeFormat {
    /// A report for people: the verdict first, the evidence after.
    Text,
    /// The whole report as one JSON document.
    Json,
}

/// Arguments of `probe`.
#[derive(Args, Debug)]
#[command(after_help = crate::help::PROBE)]
pub struct ProbeArgs {
    /// The file to probe: any file, of any size (`-` reads standard input).
    pub file: PathBuf,
    /// Compare with glbtool's layout for this kind (default: the kind the
    /// file's name gives; without one, probe only describes the bytes).
    #[arg(long, value_parser = crate::help::KindParser)]
    pub kind: Option<FileKind>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ProbeFormat::Text)]
    pub format: ProbeFormat,
    /// Replace text in the report (names and addresses are personal data);
    /// lengths, byte classes, numbers, times and checksum relations are kept,
    /// so the report can be shared.
    #[arg(long)]
    pub redact: bool,
    /// Also write a redacted copy of the whole file to PATH (a new file;
    /// implies --redact): the same framing, numbers and checksum relations,
    /// none of the text.
    #[arg(long, value_name = "PATH")]
    pub redacted_copy: Option<PathBuf>,
    /// Let --redacted-copy replace an existing file.
    #[arg(long, requires = "redacted_copy")]
    pub force: bool,
    #[command(flatten)]
    pub show: ShowOptions,
}

/// Runs `probe`.
pub fn run(args: ProbeArgs, con: &mut Console) -> CliResult {
    let zone = args.show.zone(con.err);
    let path = &args.file;
    let (bytes, size, regular) = read_sample(path, &con.stdin).map_err(|e| e.file(path))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kind = args.kind.or_else(|| FileKind::from_file_name(&name));
    let siblings = if regular {
        siblings_of(path)
    } else {
        Vec::new()
    };
    let redacting = args.redact || args.redacted_copy.is_some();
    let sample = Sample {
        bytes: &bytes,
        size,
        kind,
        siblings: &siblings,
    };
    let report = probe::probe(
        &sample,
        &Options {
            codepage: args.show.codepage.value,
            redact: redacting,
        },
    );
    drop(bytes);
    let copy = match &args.redacted_copy {
        Some(target) => Some(write_copy(path, target, &report, regular, args.force, con)?),
        None => None,
    };
    let mut out = output::buffered(con.out);
    match args.format {
        ProbeFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)
                .map_err(|e| CliError::from(io::Error::other(e)))?;
            writeln!(out)?;
        }
        ProbeFormat::Text => {
            let painter = Painter::new(use_color(args.show.color.value, con.tty));
            crate::render::probe::report(
                &mut out,
                &report,
                &path.display().to_string(),
                painter,
                &zone,
            )?;
            if let Some(c) = &copy {
                writeln!(out)?;
                writeln!(
                    out,
                    "Redacted copy written to {} ({} bytes).",
                    c.display(),
                    report.size
                )?;
            }
        }
    }
    output::finish(out)?;
    Ok(exit_code(&report))
}

/// 0 fits (or nothing to compare), 1 does not fit.
fn exit_code(r: &Report) -> u8 {
    match r.summary.verdict {
        Verdict::Fits | Verdict::NoLayout => 0,
        Verdict::FitsExceptChecksum | Verdict::DoesNotFit => 1,
    }
}

/// The first bytes of the file, its size, and whether it is a regular file.
/// Standard input and pipes are read to the end to learn their size, keeping
/// only the first bytes.
fn read_sample(path: &Path, stdin: &Stdin) -> Result<(Vec<u8>, u64, bool), CliError> {
    use glb_dirsync::open::{self, Limited};
    let (src, size, regular): (Box<dyn Read>, Option<u64>, bool) = if path.as_os_str() == "-" {
        (
            Box::new(Limited::new(stdin.reader(), open::stream_limit())),
            None,
            false,
        )
    } else {
        let meta = std::fs::metadata(path).map_err(CliError::from)?;
        if meta.is_dir() {
            return Err(CliError::usage("is a directory, not a file").with_hint(
                "give one of the files inside it, e.g. glbtool probe DIR/GLB/MSTTRANS.GLB",
            ));
        }
        // A pipe or device: opened without blocking (a FIFO with no writer
        // is refused), read up to the stream limit (docs/architecture.md).
        let opened = open::stream(path).map_err(CliError::from)?;
        let regular = opened.meta.is_file();
        let size = regular.then_some(opened.meta.len());
        let src: Box<dyn Read> = if regular {
            Box::new(opened.file)
        } else {
            Box::new(Limited::new(
                io::Cursor::new(opened.first).chain(opened.file),
                open::stream_limit(),
            ))
        };
        (src, size, regular)
    };
    let mut src = src;
    let mut bytes = Vec::new();
    (&mut src)
        .take(limits::SAMPLE_BYTES as u64)
        .read_to_end(&mut bytes)
        .map_err(CliError::from)?;
    let size = match size {
        Some(s) => s.max(bytes.len() as u64),
        None => bytes.len() as u64 + io::copy(&mut src, &mut io::sink()).map_err(CliError::from)?,
    };
    Ok((bytes, size, regular))
}

/// The files of the postoffice the file belongs to: the folders `GLB`,
/// `NME`, `USR`, `XTN` beside the file's own folder when it is one of them,
/// else the file's own folder. Names and sizes only, at most
/// [`limits::SIBLINGS`].
fn siblings_of(path: &Path) -> Vec<Sibling> {
    const PO_DIRS: [&str; 4] = ["GLB", "NME", "USR", "XTN"];
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let in_po_dir = dir
        .file_name()
        .is_some_and(|n| PO_DIRS.iter().any(|d| n.eq_ignore_ascii_case(d)));
    let mut dirs: Vec<(String, PathBuf)> = Vec::new();
    if in_po_dir {
        let root = dir
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        if let Ok(entries) = std::fs::read_dir(&root) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if PO_DIRS.iter().any(|d| n.eq_ignore_ascii_case(d)) {
                    dirs.push((format!("{n}/"), e.path()));
                }
            }
        }
    } else {
        dirs.push((String::new(), dir));
    }
    dirs.sort();
    let me = std::fs::canonicalize(path).ok();
    let mut out = Vec::new();
    for (prefix, d) in dirs {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut files: Vec<(String, u64, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                meta.is_file().then(|| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        meta.len(),
                        e.path(),
                    )
                })
            })
            .take(limits::SIBLINGS)
            .collect();
        files.sort();
        for (name, size, p) in files {
            if me.is_some() && std::fs::canonicalize(&p).ok() == me {
                continue;
            }
            if out.len() < limits::SIBLINGS {
                out.push(Sibling::new(&format!("{prefix}{name}"), size));
            }
        }
    }
    out
}

/// Writes the redacted copy through the safe write sequence: a new file
/// (never the input, never an existing file without --force), written to a
/// temporary file beside it, synced, re-read and checked (same size, same
/// framing), then renamed into place.
fn write_copy(
    input: &Path,
    target: &Path,
    report: &Report,
    regular: bool,
    force: bool,
    con: &mut Console,
) -> Result<PathBuf, CliError> {
    if !regular {
        return Err(CliError::usage(
            "--redacted-copy needs a regular file to read a second time (not standard input or a pipe)",
        )
        .file(input));
    }
    let same = std::fs::canonicalize(input).ok();
    if same.is_some() && std::fs::canonicalize(target).ok() == same {
        return Err(
            CliError::usage("--redacted-copy would replace the file being probed")
                .file(target)
                .with_hint("give another path for the copy"),
        );
    }
    let exists = std::fs::symlink_metadata(target).is_ok();
    if exists && !force {
        return Err(CliError::usage("exists; the redacted copy is written to a new file")
            .file(target)
            .with_hint("choose a new path, or add --force to replace it (the old file is kept as a backup)"));
    }
    // The copy has the file's kind; a copy of a file of no known kind may
    // not take a name glbtool gives to a kind (unless --force).
    let named = target
        .file_name()
        .and_then(|n| FileKind::from_file_name(&n.to_string_lossy()));
    let (kind, force) = match (report.kind, named) {
        (Some(k), _) => (k, force),
        (None, None) => (FileKind::Msttrans, true),
        (None, Some(k)) if force => (k, true),
        (None, Some(k)) => {
            return Err(CliError::usage(format!(
                "the name says {k}, but the file probed is of no kind glbtool knows; nothing was written"
            ))
            .file(target)
            .with_hint("choose another name, or add --force"))
        }
    };
    let dest = Destination::claim(target, kind, &BackupOptions::default(), force, &[input])?;
    let expect = [Expect::now(input)?];
    let plan = redact::Plan::new(&report.framing.found, &report.header, &report.record);
    let mut staged = dest.stage(con)?;
    {
        // Read a second time, so only a regular file: a FIFO or device is
        // refused here instead of waited for (its bytes were read already).
        let (src, _) =
            glb_dirsync::open::regular(input).map_err(|e| CliError::from(e).file(input))?;
        let mut w = staged.writer();
        plan.copy(io::BufReader::with_capacity(1 << 18, src), &mut w)
            .map_err(|e| CliError::from(e).file(target))?;
        w.flush().map_err(|e| CliError::from(e).file(target))?;
    }
    staged.finish()?;
    // Re-read the copy: it has the file's size, and, as redaction keeps
    // every length and NUL, it frames as the file did.
    let (bytes, size, _) = read_sample(staged.path(), &con.stdin).map_err(|e| e.file(target))?;
    let declared = report.kind.map(probe::layout::declared);
    let again = probe::frame::find(&bytes, size, declared.as_ref());
    if size != report.size || again.found != report.framing.found {
        return Err(CliError::usage(format!(
            "the redacted copy ({size} bytes, {}) does not match the file ({} bytes, {}); nothing was written",
            again.found.describe(),
            report.size,
            report.framing.found.describe()
        ))
        .file(target));
    }
    staged.commit(&expect, con)?;
    Ok(target.to_path_buf())
}
