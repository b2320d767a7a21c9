//! Opening input files: standard input or a path, with the kind recognised.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use glb_dirsync::open::{self, Limited};
use glb_formats::format::{Document, Format, ReadOptions};
use glb_formats::identify::{self, Evidence};
use glb_formats::reqconf::{ReqConf, ReqConfFile};
use glb_formats::{CodePage, FileKind};

use crate::console::Stdin;
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
pub fn head<R: Read>(file: &mut R, path: &Path) -> Result<Vec<u8>, CliError> {
    let mut head = Vec::with_capacity(HEAD);
    file.by_ref()
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|e| CliError::from(e).file(path))?;
    Ok(head)
}

/// The way out [`open_error`] gives for a directory where a file was wanted.
const DIR_HINT: &str = "give one of the files inside it (glbtool identify DIR/* lists them); for a whole postoffice: glbtool doctor DIR (every check) or glbtool dump --postoffice DIR (its lists)";

/// The error for a `path` that cannot be opened, with `dir_hint` as the way
/// out when it is a directory.
pub fn open_error(path: &Path, e: io::Error, dir_hint: &str) -> CliError {
    let dir = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
    let err = CliError::from(e).file(path);
    if dir {
        err.with_hint(dir_hint)
    } else {
        err
    }
}

/// Opens `path` (or standard input for `-`) and settles its kind: `kind` if
/// given, else the file name, else the content when only one kind fits.
///
/// A regular file's size is known; a pipe's (`<(command)`) or device's is
/// not, and it can be read only once: its first bytes are read to recognise
/// it and then read again from memory, never by reopening it. A pipe or
/// device is opened without blocking (a FIFO no writer holds is refused, not
/// waited for) and read up to [`open::stream_limit`], as is standard input.
pub fn open(path: &Path, kind: Option<FileKind>, stdin: &Stdin) -> Result<Input, CliError> {
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
            reader: Box::new(Limited::new(stdin.reader(), open::stream_limit())),
        });
    }
    let opened = open::stream(path).map_err(|e| open_error(path, e, DIR_HINT))?;
    settle(path, kind, opened)
}

/// Opens `path`, a file glbtool found rather than was given (a file beside
/// one given): a regular file only, never a FIFO or device ([`open::regular`]).
pub fn open_found(path: &Path, kind: Option<FileKind>) -> Result<Input, CliError> {
    let (file, meta) = open::regular(path).map_err(|e| CliError::from(e).file(path))?;
    let opened = open::Opened {
        file,
        meta,
        first: Vec::new(),
    };
    settle(path, kind, opened)
}

/// An opened input with its kind settled (see [`open()`]).
fn settle(path: &Path, kind: Option<FileKind>, opened: open::Opened) -> Result<Input, CliError> {
    let mut size = opened.meta.is_file().then_some(opened.meta.len());
    // A pipe or device: what was read to see whether anything comes, then
    // the rest, up to the stream limit.
    let mut file: Box<dyn Read> = if size.is_some() {
        Box::new(opened.file)
    } else {
        Box::new(Limited::new(
            io::Cursor::new(opened.first).chain(opened.file),
            open::stream_limit(),
        ))
    };
    let Some(kind) = kind else {
        let head = head(&mut file, path)?;
        if size.is_none() && head.len() < HEAD {
            // The whole of a pipe's content is in `head`.
            size = Some(head.len() as u64);
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(known) = size else {
            match identify::by_name(&name) {
                Some(identify::Named::Kind(kind)) => {
                    return Ok(Input {
                        path: path.to_path_buf(),
                        kind,
                        evidence: Evidence::Name,
                        size,
                        reader: Box::new(io::Cursor::new(head).chain(file)),
                    });
                }
                Some(identify::Named::Undecoded(f)) => return Err(undecoded(path, f, None)),
                None => {}
            }
            return Err(CliError::usage(
                "cannot tell the kind of a pipe or device from its first bytes: its size is unknown",
            )
            .file(path)
            .with_hint("name the kind with --kind"));
        };
        let (kind, evidence) = identify::recognise(&name, known, &head).map_err(|why| {
            let cands = match why {
                identify::Unrecognised::Undecoded(f) => return undecoded(path, f, Some(known)),
                identify::Unrecognised::Candidates(c) => c,
            };
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

/// Reads the whole of `path` (`-`: standard input), a small input held in
/// memory, refusing one longer than `limit` bytes (`what` says what it is,
/// for the message): a pipe or device is opened without blocking, as in
/// [`open()`], and never read past the limit.
pub fn read_small(path: &Path, limit: u64, what: &str, stdin: &Stdin) -> Result<Vec<u8>, CliError> {
    let src: Box<dyn Read> = if path.as_os_str() == "-" {
        stdin.reader()
    } else {
        let opened = open::stream(path).map_err(|e| open_error(path, e, DIR_HINT))?;
        Box::new(io::Cursor::new(opened.first).chain(opened.file))
    };
    let mut bytes = Vec::new();
    src.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::from(e).file(path))?;
    if bytes.len() as u64 > limit {
        return Err(CliError::from(io::Error::other(format!(
            "longer than {}, the most glbtool reads as {what}",
            open::human(limit)
        )))
        .file(path));
    }
    Ok(bytes)
}

/// The most bytes glbtool reads of a REQCONF.GLB it found beside a file: the
/// file is always exactly 512 bytes (KB Q77926, Q123437, Q148705), so this
/// leaves room for a damaged one to be read and its size reported.
const FOUND_REQCONF_LIMIT: u64 = 4096;

/// Reads the REQCONF.GLB found at `path` (found, not given: a regular file
/// only, never a FIFO or device), its names in code page `cp`: the one way
/// glbtool reads the REQCONF.GLB beside a file. Every error names the file;
/// one larger than [`FOUND_REQCONF_LIMIT`] is refused unread, with the
/// located size error reading it whole would give (`file is 5512 bytes, but
/// REQCONF.GLB is always exactly 512 bytes ...: the header ends at byte
/// offset 512 (0x200) and 5000 more bytes follow it`).
pub fn found_reqconf(path: &Path, cp: CodePage) -> Result<Option<ReqConf>, glb_formats::Error> {
    let bytes = open::read_whole(
        path,
        FOUND_REQCONF_LIMIT,
        "REQCONF.GLB is always exactly 512 bytes (KB Q77926, Q123437, Q148705)",
    )
    .map_err(|e| {
        // Too large: what is wrong is its size, said as for any REQCONF.GLB.
        let size = matches!(e.inner(), glb_formats::Error::Limit { .. })
            .then(|| open::metadata(path).ok())
            .flatten()
            .map(|m| m.len());
        match size.and_then(|n| ReqConfFile::check_size(FileKind::Reqconf, n).err()) {
            Some(located) => glb_formats::Error::in_file(path, located),
            None => e,
        }
    })?;
    let opts = ReadOptions {
        codepage: cp,
        ..ReadOptions::default()
    };
    Ok(
        Document::<ReqConfFile>::from_bytes(&bytes, FileKind::Reqconf, opts)
            .map_err(|e| glb_formats::Error::in_file(path, e))?
            .header,
    )
}

/// What `e`, an error reading a file glbtool found, says, without the
/// file's path (for a sentence that names the file itself).
pub fn reason(e: &glb_formats::Error) -> String {
    match e.inner() {
        glb_formats::Error::Io { source, .. } => source.to_string(),
        inner => inner.to_string(),
    }
}

/// The error for a file whose name says it is an MS Mail file glbtool does
/// not decode: it is named, never guessed to be another kind.
fn undecoded(
    path: &Path,
    f: &'static glb_formats::msmail::MsMailFile,
    size: Option<u64>,
) -> CliError {
    CliError {
        path: None,
        kind: crate::output::CliErrorKind::Undecoded(f, size),
        hint: Some(
            "glbtool dump shows its bytes; --kind reads it as one of the kinds glbtool decodes"
                .into(),
        ),
    }
    .file(path)
}
