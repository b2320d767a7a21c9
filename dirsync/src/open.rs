//! Opening input files so that no input can make glbtool wait forever.
//!
//! Files the user did not name (the files of a postoffice directory, the
//! REQCONF.GLB or NETPO.GLB beside a file) are read only when they are
//! regular files: [`regular`] refuses a FIFO, a device, a socket or a
//! directory, naming what it is, and never opens a FIFO for reading (which
//! blocks until a writer comes). A file the user names explicitly may also be
//! a pipe or a device: [`stream`] opens it without blocking, and
//! [`Limited`] stops reading it at a clear limit.

use std::fs::{File, FileType, Metadata, OpenOptions};
use std::io::{self, Read};
#[cfg(unix)]
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What a directory entry is, in words: `a FIFO`, `a directory`, ...
pub fn describe(ft: &FileType) -> &'static str {
    if ft.is_file() {
        return "a regular file";
    }
    if ft.is_dir() {
        return "a directory";
    }
    if ft.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// The error for an entry that is not a regular file: `not readable: is a FIFO`.
pub fn not_regular(ft: &FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not readable: is {}", describe(ft)),
    )
}

/// The metadata of `path`, links followed; a link whose target does not
/// exist is reported as such (`not readable: is a dangling symbolic link`).
pub fn metadata(path: &Path) -> io::Result<Metadata> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => match std::fs::symlink_metadata(path) {
            Ok(l) if l.file_type().is_symlink() => Err(io::Error::new(
                io::ErrorKind::NotFound,
                match std::fs::read_link(path) {
                    Ok(t) => format!(
                        "not readable: is a dangling symbolic link (to {}, which does not exist)",
                        t.display()
                    ),
                    Err(_) => "not readable: is a dangling symbolic link".to_string(),
                },
            )),
            _ => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// Opens `path` for reading without ever blocking in `open` (a FIFO with
/// no writer would block a plain open until one comes).
fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    o.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    o.open(path)
}

/// Opens the regular file `path` with its metadata; anything else is refused
/// without being read (`not readable: is a FIFO`). Links are followed.
pub fn regular(path: &Path) -> io::Result<(File, Metadata)> {
    let meta = metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    let file = open_nonblocking(path)?;
    // What was opened may not be what was examined a moment before.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    Ok((file, meta))
}

/// Opens the regular file `path` for reading, buffered, with its size: the
/// one way the library opens a file it found or was given to read as a
/// stream ([`regular`]: never a FIFO or device). The error names the path
/// (`opening PATH: ...`).
///
/// Written here rather than taken from a crate such as `fs-err`: what
/// matters is refusing FIFOs and devices without blocking ([`regular`]),
/// which no such crate does, and the error is the library's own.
pub fn buffered(path: &Path) -> glb_formats::Result<(io::BufReader<File>, u64)> {
    let (file, meta) = regular(path)
        .map_err(|e| glb_formats::Error::io(format!("opening {}", path.display()), e))?;
    Ok((io::BufReader::new(file), meta.len()))
}

/// Opens a NETPO.GLB (or GALNETPO.GLB, as named) for looking records up by
/// the offsets NME pointers hold; errors name the path.
pub fn netpo_lookup(
    path: &Path,
) -> glb_formats::Result<glb_formats::netpo::Lookup<io::BufReader<File>>> {
    let (src, size) = buffered(path)?;
    let kind = path
        .file_name()
        .and_then(|n| glb_formats::FileKind::from_file_name(&n.to_string_lossy()))
        .unwrap_or(glb_formats::FileKind::Netpo);
    Ok(glb_formats::netpo::Lookup::new(src, size).with_kind(kind))
}

/// Reads the regular file `path` whole, refusing one larger than `limit`
/// bytes ([`glb_formats::Error::Limit`] naming the file, the limit and `why` the
/// file is held in memory): the one way the library reads a file whole.
/// Errors name the path.
pub fn read_whole(path: &Path, limit: u64, why: &str) -> glb_formats::Result<Vec<u8>> {
    let err = |e| glb_formats::Error::io(format!("reading {}", path.display()), e);
    let (file, meta) = regular(path).map_err(err)?;
    if meta.len() > limit {
        let message = format!(
            "{} bytes; {why}, so glbtool reads files of at most {} for it",
            meta.len(),
            human(limit)
        );
        return Err(glb_formats::Error::in_file(
            path,
            glb_formats::Error::Limit { message },
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // A file that grows while it is read stops at the limit all the same.
    file.take(limit).read_to_end(&mut bytes).map_err(err)?;
    Ok(bytes)
}

/// An opened pipe, device or regular file.
pub struct Opened {
    /// The file, in blocking mode again.
    pub file: File,
    /// Its metadata.
    pub meta: Metadata,
    /// Bytes already read from a pipe or device to see whether anything
    /// comes (read them first).
    pub first: Vec<u8>,
}

/// How long a FIFO that no writer holds open is watched for one before it is
/// refused: a writer started just before glbtool, in the background, may
/// not have opened it yet. Short, so that a FIFO nobody writes to is refused
/// without seeming to hang.
pub const WRITER_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Opens `path`, which the user named, for reading: a regular file, or a
/// pipe or device (never a directory). A FIFO is opened without blocking; one
/// that no writer holds open within [`WRITER_GRACE`] is refused (`is a FIFO
/// with no writer: nothing to read`) instead of waited for. Once something
/// can come, the file is put back in blocking mode.
pub fn stream(path: &Path) -> io::Result<Opened> {
    let meta = metadata(path)?;
    if meta.is_dir() {
        return Err(not_regular(&meta.file_type()));
    }
    let mut file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(not_regular(&meta.file_type()));
    }
    let mut first = Vec::new();
    if !meta.is_file() {
        let started = std::time::Instant::now();
        let mut buf = [0u8; 4096];
        loop {
            match file.read(&mut buf) {
                Ok(0) => {
                    #[cfg(unix)]
                    if meta.file_type().is_fifo() && started.elapsed() < WRITER_GRACE {
                        // A writer started a moment before glbtool
                        // (`cmd > FIFO & glbtool dump FIFO`) may not have
                        // reached its open yet: look again shortly.
                        std::thread::sleep(std::time::Duration::from_millis(10));
                        continue;
                    }
                    #[cfg(unix)]
                    if meta.file_type().is_fifo() {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "is a FIFO with no writer: nothing to read (start the writer first)",
                        ));
                    }
                    break;
                }
                Ok(n) => {
                    first.extend_from_slice(&buf[..n]);
                    break;
                }
                // A writer holds it open but has written nothing yet.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        #[cfg(unix)]
        {
            let flags = rustix::fs::fcntl_getfl(&file)?;
            rustix::fs::fcntl_setfl(&file, flags - rustix::fs::OFlags::NONBLOCK)?;
        }
    }
    Ok(Opened { file, meta, first })
}

/// The most bytes read from a pipe, a device or standard input, whose size
/// is not known in advance, unless `GLBTOOL_STREAM_LIMIT` says otherwise:
/// 4 GiB. No Dir-Sync file comes near it; an endless source (`/dev/zero`)
/// stops there with an error instead of being read forever.
pub const STREAM_LIMIT: u64 = 4 << 30;

/// The stream limit in force: `GLBTOOL_STREAM_LIMIT` (bytes) when set to a
/// number, else [`STREAM_LIMIT`].
pub fn stream_limit() -> u64 {
    std::env::var("GLBTOOL_STREAM_LIMIT")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(STREAM_LIMIT)
}

/// A reader that fails once more than `limit` bytes come from `inner`.
pub struct Limited<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Limited<R> {
    /// Reads at most `limit` bytes of `inner`.
    pub fn new(inner: R, limit: u64) -> Self {
        Limited {
            inner,
            left: limit,
            limit,
        }
    }
}

/// The error a [`Limited`] reader gives past its limit.
pub fn limit_error(limit: u64) -> io::Error {
    io::Error::other(
        format!(
            "stopped after {limit} bytes: a pipe, device or standard input is read up to {} (GLBTOOL_STREAM_LIMIT sets another limit in bytes); save the data to a file first",
            human(limit)
        ),
    )
}

/// `4 GiB`, `64 MiB`, `1000 bytes`.
pub fn human(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // At the limit: only the end of the source is still acceptable.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(limit_error(self.limit)),
            };
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_reads_up_to_the_limit_then_fails_unless_the_source_ends() {
        let mut r = Limited::new(&[1u8; 10][..], 10);
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        assert_eq!(v.len(), 10);
        let mut r = Limited::new(&[1u8; 11][..], 10);
        let e = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("stopped after 10 bytes"), "{e}");
    }

    #[test]
    fn regular_refuses_directories_and_names_what_they_are() {
        let dir = std::env::temp_dir();
        let e = regular(&dir).unwrap_err();
        assert_eq!(e.to_string(), "not readable: is a directory");
    }

    #[cfg(unix)]
    #[test]
    fn dangling_links_are_named() {
        let dir = crate::testdir::temp("open-dangling");
        let link = dir.0.join("REQTRANS.GLB");
        std::os::unix::fs::symlink(dir.0.join("gone"), &link).unwrap();
        let e = regular(&link).unwrap_err();
        assert!(e.to_string().contains("dangling symbolic link"), "{e}");
    }
}
