//! `glbtool build`: write a file from the JSON `dump --format json` printed.

use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

use clap::Args;
use glb_formats::format::Format;
use glb_formats::json;
use glb_formats::{with_format, CodePage, FileKind};

use crate::output::{CliError, CliResult};

/// Arguments of `build`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    /// The JSON document (`-` for standard input).
    pub input: PathBuf,
    /// The kind of file to write.
    #[arg(long)]
    pub kind: FileKind,
    /// The file to write. It is written to a temporary file beside it and
    /// renamed into place only when complete, so a failure writes nothing.
    #[arg(long, short = 'o')]
    pub output: PathBuf,
    /// Code page for text when the document does not name one.
    #[arg(long, default_value = "850")]
    pub codepage: CodePage,
}

/// Runs `build`.
pub fn run(args: BuildArgs) -> CliResult {
    let source: Box<dyn Read> = if args.input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&args.input).map_err(|e| CliError::from(e).file(&args.input))?)
    };
    let source = std::io::BufReader::with_capacity(1 << 16, source);
    let family = args.kind.family();
    let r = with_format!(family, |F| build_with::<F>(source, &args), else Err(CliError::usage(format!(
        "glbtool cannot build {} files yet",
        args.kind
    ))));
    r.map_err(|e| e.file(&args.input))
}

fn build_with<F: Format>(source: impl Read, args: &BuildArgs) -> CliResult {
    let dir = parent_dir(&args.output);
    let tmp = tempfile::Builder::new()
        .prefix(".glbtool-build-")
        .tempfile_in(dir)
        .map_err(|e| CliError::from(e).file(&args.output))?;
    let (writer, summary) =
        json::build::<F, _, _>(source, args.kind, BufWriter::new(tmp), args.codepage)
            .map_err(|e| CliError::from(e).with_hint("the output file was not written"))?;
    let tmp = writer
        .into_inner()
        .map_err(|e| CliError::from(e.into_error()).file(&args.output))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| CliError::from(e).file(&args.output))?;
    tmp.persist(&args.output)
        .map_err(|e| CliError::from(e.error).file(&args.output))?;
    eprintln!(
        "glbtool: wrote {} ({} record{}{})",
        args.output.display(),
        summary.records,
        if summary.records == 1 { "" } else { "s" },
        if summary.trailing > 0 {
            format!(", {} trailing bytes", summary.trailing)
        } else {
            String::new()
        }
    );
    Ok(0)
}

/// The directory a path lives in (`.` for a bare file name).
pub fn parent_dir(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}
