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
    /// The size, when known (not for standard input, nor for a pipe given
    /// with --kind).
    pub size: Option<u64>,
    /// The bytes (the library's reader buffers them).
    pub reader: Box<dyn Read>,
}

/// The bytes read from the start of a file to recognise its kind.
pub const HEAD: usize = 4096;

/// Reads up to [`HEAD`] bytes from the start of `file` (at `path`, for errors).
pub fn head(file: &mut File, path: &Path) -> Result<Vec<u8>, CliError> {
    let mut head = Vec::with_capacity(HEAD);
    file.take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|e| CliError::from(e).file(path))?;
    Ok(head)
}

fn open_file(path: &Path) -> Result<(File, std::fs::Metadata), CliError> {
    let meta = std::fs::metadata(path).map_err(|e| CliError::from(e).file(path))?;
    if meta.is_dir() {
        return Err(CliError::usage("is a directory, not a file")
            .file(path)
            .with_hint(
                "give one of the files inside it (glbtool identify DIR/* lists them); for a whole postoffice: glbtool doctor DIR (every check) or glbtool dump --postoffice DIR (its lists)",
            ));
    }
    let f = File::open(path).map_err(|e| CliError::from(e).file(path))?;
    Ok((f, meta))
}

/// Opens `path` (or standard input for `-`) and settles its kind: `kind` if
/// given, else the file name, else the content when only one kind fits.
///
/// A regular file's size is known; a pipe's (`<(command)`) or device's is
/// not, and it can be read only once: its first bytes are read to recognise
/// it and then read again from memory, never by reopening it.
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
    let (mut file, meta) = open_file(path)?;
    let mut size = meta.is_file().then_some(meta.len());
    let Some(kind) = kind else {
        let head = head(&mut file, path)?;
        if size.is_none() && head.len() < HEAD {
            // The whole of a pipe's content is in `head`.
            size = Some(head.len() as u64);
        }
        let Some(known) = size else {
            return Err(CliError::usage(
                "cannot tell the kind of a pipe or device from its first bytes: its size is unknown",
            )
            .file(path)
            .with_hint("name the kind with --kind"));
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (kind, evidence) = identify::recognise(&name, known, &head).map_err(|cands| {
            let hint = if cands.is_empty() {
                "no known layout fits this size; name the kind with --kind".to_string()
            } else {
                let names: Vec<&str> = cands.iter().map(|k| k.name()).collect();
                format!("it could be: {}; name it with --kind", names.join(", "))
            };
            CliError::usage("cannot tell the file's kind from its name or content")
                .file(path)
                .with_hint(hint)
        })?;
        return Ok(Input {
            path: path.to_path_buf(),
            kind,
            evidence,
            size,
            reader: Box::new(io::Cursor::new(head).chain(file)),
        });
    };
    Ok(Input {
        path: path.to_path_buf(),
        kind,
        evidence: Evidence::Given,
        size,
        reader: Box::new(file),
    })
}
