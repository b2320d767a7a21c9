//! Command errors, colour decisions and the buffered standard output.

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::console::Terminals;
use crate::ColorChoice;

/// An error a command reports: what went wrong, which file, and a way out.
#[derive(Debug)]
pub struct CliError {
    /// The file concerned, if any.
    pub path: Option<PathBuf>,
    /// The error.
    pub kind: CliErrorKind,
    /// A suggestion for the user.
    pub hint: Option<String>,
}

/// The underlying error.
#[derive(Debug)]
pub enum CliErrorKind {
    /// From the library (already names kind, offset, record, field).
    Format(glb_formats::Error),
    /// Writing to standard output or a file failed.
    Io(io::Error),
    /// A usage problem.
    Usage(String),
    /// The file's name says it is an MS Mail file glbtool does not decode
    /// (with its size, when known): not trouble, nothing to read.
    Undecoded(&'static glb_formats::msmail::MsMailFile, Option<u64>),
}

impl CliError {
    /// A usage error.
    pub fn usage(msg: impl Into<String>) -> Self {
        CliError {
            path: None,
            kind: CliErrorKind::Usage(msg.into()),
            hint: None,
        }
    }

    /// Attaches the file.
    pub fn file(mut self, path: &Path) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_path_buf());
        }
        self
    }

    /// The error `e` met reading `path`, located there, unless `e` is a
    /// replay's or a comparison's limit, which names the file it stopped in
    /// and where (`path` may be the directory around it).
    pub fn located(e: glb_formats::Error, path: &Path) -> Self {
        match e.inner() {
            glb_formats::Error::Limit { .. } => CliError::from(e),
            _ => CliError::from(e).file(path),
        }
    }

    /// Attaches a hint: what the user can do about it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The hint, if any.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// True when the input could not be opened or read (the operating
    /// system's error, not the data's): trouble, exit 2.
    pub fn is_io(&self) -> bool {
        match &self.kind {
            CliErrorKind::Io(_) => true,
            CliErrorKind::Format(e) => e.is_io(),
            CliErrorKind::Usage(_) | CliErrorKind::Undecoded(..) => false,
        }
    }

    /// The MS Mail file glbtool does not decode that this is about, with the
    /// file's size.
    pub fn undecoded(&self) -> Option<(&'static glb_formats::msmail::MsMailFile, Option<u64>)> {
        match self.kind {
            CliErrorKind::Undecoded(f, size) => Some((f, size)),
            _ => None,
        }
    }

    /// The kind whose bytes the error quotes (a field, a size, a record),
    /// so that the message can say where its field positions come from.
    pub fn quoted_kind(&self) -> Option<glb_formats::FileKind> {
        match &self.kind {
            CliErrorKind::Format(e) => match e.inner() {
                glb_formats::Error::Size { kind, .. } | glb_formats::Error::Encode { kind, .. } => {
                    Some(*kind)
                }
                e => e.location().map(|at| at.kind),
            },
            _ => None,
        }
    }

    /// True when standard output was closed by its reader.
    pub fn is_broken_pipe(&self) -> bool {
        match &self.kind {
            CliErrorKind::Io(e) => e.kind() == io::ErrorKind::BrokenPipe,
            CliErrorKind::Format(glb_formats::Error::Io { source, .. }) => {
                source.kind() == io::ErrorKind::BrokenPipe
            }
            _ => false,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{}: ", p.display())?;
        }
        match &self.kind {
            CliErrorKind::Format(e) => write!(f, "{e}"),
            CliErrorKind::Io(e) => write!(f, "{e}"),
            CliErrorKind::Usage(m) => write!(f, "{m}"),
            CliErrorKind::Undecoded(file, size) => write!(f, "{}", file.describe(*size)),
        }
    }
}

impl From<glb_formats::Error> for CliError {
    fn from(e: glb_formats::Error) -> Self {
        CliError {
            path: None,
            kind: CliErrorKind::Format(e),
            hint: None,
        }
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        CliError {
            path: None,
            kind: CliErrorKind::Io(e),
            hint: None,
        }
    }
}

/// How a command that writes a file reports what it wrote (`build`, `resync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum WroteFormat {
    /// A sentence.
    #[default]
    Text,
    /// One JSON document.
    Json,
}

/// Writes a command's JSON report, pretty, with a final newline. A failed
/// write keeps its kind (a reader that left is a broken pipe, not trouble).
pub fn write_json<W: Write + ?Sized, T: serde::Serialize>(
    out: &mut W,
    value: &T,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)
}

/// Result of a command: the exit code on success.
pub type CliResult = Result<u8, CliError>;

/// Decides whether to colour standard output (`tty`: what the console's streams are).
pub fn use_color(choice: ColorChoice, tty: Terminals) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            !no_color && tty.stdout
        }
    }
}

/// Buffered standard output (the console's `out`, flushed at the end).
pub fn buffered(out: &mut dyn Write) -> io::BufWriter<&mut dyn Write> {
    io::BufWriter::with_capacity(1 << 16, out)
}

/// Flushes, mapping errors.
pub fn finish<W: Write>(mut w: W) -> Result<(), CliError> {
    w.flush().map_err(CliError::from)
}

/// A writer that, once its reader has gone away (a closed pipe: `| head`),
/// swallows what follows instead of failing, and remembers it. Commands whose
/// exit status says something (`diff`: equal or not; `validate`: findings)
/// write through it, so that a closed pipe never turns their answer into 0.
pub struct Guarded<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> Guarded<W> {
    /// Guards `inner`.
    pub fn new(inner: W) -> Self {
        Guarded {
            inner,
            closed: false,
        }
    }

    /// True once the reader has gone away.
    pub fn closed(&self) -> bool {
        self.closed
    }
}

impl<W: Write> Write for Guarded<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            r => r,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r,
        }
    }
}

/// Buffered standard output through [`Guarded`]: a closed pipe never fails a write.
pub fn guarded(out: &mut dyn Write) -> io::BufWriter<Guarded<&mut dyn Write>> {
    io::BufWriter::with_capacity(1 << 16, Guarded::new(out))
}
