//! Opening input files: standard input or a path, with the kind recognised.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use glb_formats::identify::{self, Evidence};
use glb_formats::FileKind;

use crate::output::CliError;

/// An opened input.
pub struct Input {
    /// The path as given (`-` for standard input).
    pub path: PathBuf,
    /// The recognised kind.
    pub kind: FileKind,
    /// How the kind was recognised.
    pub evidence: Evidence,
    /// The size, when known (not for standard input).
    pub size: Option<u64>,
    /// The bytes (the library's reader buffers them).
    pub reader: Box<dyn Read>,
}

fn open_file(path: &Path) -> Result<(File, u64), CliError> {
    let meta = std::fs::metadata(path).map_err(|e| CliError::from(e).file(path))?;
    if meta.is_dir() {
        return Err(CliError::usage("is a directory, not a file")
            .file(path)
            .with_hint("give one of the files inside it (glbtool identify DIR/* lists them)"));
    }
    let f = File::open(path).map_err(|e| CliError::from(e).file(path))?;
    Ok((f, meta.len()))
}

/// Opens `path` (or standard input for `-`) and settles its kind: `kind` if
/// given, else the file name, else the content when only one kind fits.
pub fn open(path: &Path, kind: Option<FileKind>) -> Result<Input, CliError> {
    if path.as_os_str() == "-" {
        let kind = kind.ok_or_else(|| {
            CliError::usage("reading standard input needs --kind")
                .with_hint("for example --kind reqtrans")
        })?;
        return Ok(Input {
            path: path.to_path_buf(),
            kind,
            evidence: Evidence::Given,
            size: None,
            reader: Box::new(io::stdin()),
        });
    }
    let (mut file, size) = open_file(path)?;
    let (kind, evidence) = match kind {
        Some(k) => (k, Evidence::Given),
        None => {
            let mut head = vec![0u8; 4096.min(size as usize)];
            file.read_exact(&mut head)
                .map_err(|e| CliError::from(e).file(path))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let r = identify::recognise(&name, size, &head);
            // Reopen to read from the start (cheap, and keeps readers simple).
            file = open_file(path)?.0;
            match r {
                Ok(x) => x,
                Err(cands) => {
                    let hint = if cands.is_empty() {
                        "no known layout fits this size; name the kind with --kind".to_string()
                    } else {
                        let names: Vec<&str> = cands.iter().map(|k| k.name()).collect();
                        format!("it could be: {}; name it with --kind", names.join(", "))
                    };
                    return Err(CliError::usage(
                        "cannot tell the file's kind from its name or content",
                    )
                    .file(path)
                    .with_hint(hint));
                }
            }
        }
    };
    Ok(Input {
        path: path.to_path_buf(),
        kind,
        evidence,
        size: Some(size),
        reader: Box::new(file),
    })
}
