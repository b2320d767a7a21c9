//! Writing a file so that a crash, a kill or a concurrent writer can never
//! leave a mix of old and new bytes, never replaces what it should not, and
//! never loses the previous version. Every command that writes a file
//! (`patch-seq`, `resync`, `build`) goes through [`Destination`] and
//! [`Staged`]:
//!
//! 1. [`Destination::claim`] checks the output before anything is written:
//!    `-` is standard output; otherwise only a regular file (or no file) is
//!    accepted (directories, devices, FIFOs, sockets and symbolic links are
//!    refused without being opened for writing, and without blocking), a file
//!    whose name or content is of another kind is refused unless `--force`,
//!    and `--backup` may not name the target, an input or anything but a
//!    regular file. An existing target is opened read-only, locked
//!    (advisory, non-blocking: a second glbtool refuses) and fingerprinted.
//! 2. [`Destination::stage`] creates the temporary file in the target's
//!    directory with the target's mode (owner bits only until it has the
//!    target's owner and group), so it is never more readable than the target.
//! 3. The command writes it, [`Staged::finish`] syncs it, the command re-reads
//!    and validates it.
//! 4. [`Staged::commit`]: every input is fingerprinted again; the old target
//!    is copied to a new backup that never replaces an existing one (numbered
//!    `FILE.bak`, `FILE.bak.1`, ... or `STEM.BAK`, `STEM.B01`, ... with 8.3
//!    names); then, immediately before the rename, the target is checked once
//!    more (same file, size, modification and change times); the temporary
//!    file is renamed over it and the directory synced. A change to the old
//!    file that arrived during the rename is saved to a further backup and
//!    reported.
//!
//! `docs/safety.md` says what a crash at each step leaves behind and which
//! test shows each guarantee.

use std::fs::{self, File, Metadata};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clap::Args;
use glb_dirsync::check::{self, file::Facts, FileRef, Finding};
use glb_formats::identify;
use glb_formats::{CodePage, FileKind};
use tempfile::NamedTempFile;

use crate::console::Console;
use crate::output::CliError;

/// Options about the backup and file names, shared by every command that writes a file.
#[derive(Args, Debug, Clone, Default)]
pub struct BackupOptions {
    /// Do not keep the previous file as a backup.
    #[arg(long, conflicts_with = "backup")]
    pub no_backup: bool,
    /// Keep the previous file at PATH instead of FILE.bak (if PATH exists,
    /// PATH.1, PATH.2, ...: an existing file is never overwritten).
    #[arg(long, value_name = "PATH")]
    pub backup: Option<PathBuf>,
    /// Use 8.3 names for the backup (STEM.BAK, then STEM.B01 to STEM.B99) and
    /// the temporary file (GLB?????.TMP), as a DOS or NetWare volume without
    /// long names needs. Automatic when the directory refuses long names.
    #[arg(long)]
    pub dos_names: bool,
}

/// The steps of the write sequence, in order. Test builds can pause at each
/// (see [`hook`]); the names appear in `docs/safety.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The target is checked, locked and fingerprinted.
    Claimed,
    /// The temporary file exists, empty, with its final owner and mode.
    TempCreated,
    /// The new content is written, not yet synced.
    TempWritten,
    /// The new content is synced.
    TempSynced,
    /// The new content was validated; nothing checked again yet.
    Validated,
    /// The backup's temporary copy is complete and synced.
    BackupWritten,
    /// The backup has its name.
    BackupInPlace,
    /// The last check before the rename passed.
    Checked,
    /// The new file has the target's name; the directory is not synced yet.
    Renamed,
    /// Everything is done.
    Done,
}

impl Step {
    /// The step's name, as the test hook takes it.
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    pub fn name(self) -> &'static str {
        match self {
            Step::Claimed => "claimed",
            Step::TempCreated => "temp-created",
            Step::TempWritten => "temp-written",
            Step::TempSynced => "temp-synced",
            Step::Validated => "validated",
            Step::BackupWritten => "backup-written",
            Step::BackupInPlace => "backup-in-place",
            Step::Checked => "checked",
            Step::Renamed => "renamed",
            Step::Done => "done",
        }
    }
}

/// The test hook, compiled into debug builds only (`cargo test` builds the
/// binary it runs with debug assertions; `cargo build --release` and
/// `cargo install` leave them out, and this function does nothing).
///
/// With `GLBTOOL_TEST_PAUSE_DIR=DIR` and `GLBTOOL_TEST_PAUSE_AT=STEP,...` (or
/// `all`), glbtool creates `DIR/STEP.waiting` at each step named and waits
/// until `DIR/STEP.go` exists (at most 60 s), so a test can kill it there or
/// change files at that very moment.
#[cfg(debug_assertions)]
pub fn hook(step: Step) -> Result<(), CliError> {
    use std::time::{Duration, Instant};
    let Some(dir) = std::env::var_os("GLBTOOL_TEST_PAUSE_DIR") else {
        return Ok(());
    };
    let at = std::env::var("GLBTOOL_TEST_PAUSE_AT").unwrap_or_default();
    if at != "all" && !at.split(',').any(|s| s.trim() == step.name()) {
        return Ok(());
    }
    let dir = PathBuf::from(dir);
    let waiting = dir.join(format!("{}.waiting", step.name()));
    let go = dir.join(format!("{}.go", step.name()));
    File::create(&waiting).map_err(io_err(&waiting))?;
    let start = Instant::now();
    while !go.exists() {
        if start.elapsed() > Duration::from_secs(60) {
            return Err(CliError::usage(format!(
                "test hook: {} did not appear within 60 s",
                go.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

/// In release builds the test hook does not exist.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn hook(_: Step) -> Result<(), CliError> {
    Ok(())
}

/// What identifies a file's state: size, times and content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Size in bytes.
    pub size: u64,
    /// Last modification time, where the file system keeps one.
    pub modified: Option<SystemTime>,
    /// Last status change (POSIX ctime, seconds and nanoseconds): any write,
    /// even one that restores the modification time, changes it.
    pub changed: Option<(i64, i64)>,
    /// BLAKE3 hash of the content.
    pub hash: blake3::Hash,
}

/// Size, modification and change time: what [`Fingerprint`] holds besides the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    size: u64,
    modified: Option<SystemTime>,
    changed: Option<(i64, i64)>,
}

impl Stat {
    fn of(meta: &Metadata) -> Stat {
        #[cfg(unix)]
        let changed = {
            use std::os::unix::fs::MetadataExt;
            Some((meta.ctime(), meta.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let changed = None;
        Stat {
            size: meta.len(),
            modified: meta.modified().ok(),
            changed,
        }
    }
}

impl Fingerprint {
    fn stat(&self) -> Stat {
        Stat {
            size: self.size,
            modified: self.modified,
            changed: self.changed,
        }
    }
}

/// Hashes an open file from its start.
fn hash_file(mut file: &File) -> io::Result<blake3::Hash> {
    file.seek(SeekFrom::Start(0))?;
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(file)?;
    Ok(hasher.finalize())
}

/// The fingerprint of an open regular file.
fn fingerprint_of(file: &File) -> io::Result<Fingerprint> {
    let meta = file.metadata()?;
    let hash = hash_file(file)?;
    let Stat {
        size,
        modified,
        changed,
    } = Stat::of(&meta);
    Ok(Fingerprint {
        size,
        modified,
        changed,
        hash,
    })
}

/// The fingerprint of the file at `path`, or `None` when there is no file there.
pub fn fingerprint(path: &Path) -> Result<Option<Fingerprint>, CliError> {
    let err = |e: io::Error| CliError::from(e).file(path);
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(e)),
    };
    if meta.is_dir() {
        return Err(CliError::usage("is a directory, not a file").file(path));
    }
    // Only a regular file has a content to fingerprint: a FIFO is never
    // opened (it would wait for a writer), nor a device read (it may not end).
    let (file, _) = glb_dirsync::open::regular(path).map_err(err)?;
    fingerprint_of(&file).map(Some).map_err(err)
}

/// A file this command read and expects to find unchanged when it commits.
#[derive(Debug, Clone)]
pub struct Expect {
    /// The path.
    pub path: PathBuf,
    /// Its state when the command began (`None`: it did not exist).
    pub state: Option<Fingerprint>,
}

/// "changed on disk while glbtool was working".
fn changed_meanwhile(path: &Path, what: &str) -> CliError {
    CliError::usage(format!(
        "{what} on disk while glbtool was working; nothing was written"
    ))
    .file(path)
    .with_hint("another program is using the file (is Dir-Sync or Import running?); run the command again when it is idle")
}

impl Expect {
    /// Fingerprints `path` now.
    pub fn now(path: &Path) -> Result<Expect, CliError> {
        Ok(Expect {
            path: path.to_path_buf(),
            state: fingerprint(path)?,
        })
    }

    /// Refuses when the file changed since [`Expect::now`] (content included).
    pub fn check(&self) -> Result<(), CliError> {
        let now = fingerprint(&self.path)?;
        if now == self.state {
            return Ok(());
        }
        let what = match (&self.state, &now) {
            (None, Some(_)) => "appeared".to_string(),
            (Some(_), None) => "disappeared".to_string(),
            (Some(a), Some(b)) => {
                let mut w = Vec::new();
                if a.size != b.size {
                    w.push(format!("size {} -> {}", a.size, b.size));
                }
                if a.modified != b.modified || a.changed != b.changed {
                    w.push("modification time".to_string());
                }
                if a.hash != b.hash {
                    w.push("content".to_string());
                }
                format!("changed ({})", w.join(", "))
            }
            (None, None) => unreachable!("equal states return early"),
        };
        Err(changed_meanwhile(&self.path, &what))
    }

    /// The last check, without reading the content: size and times.
    fn quick_check(&self) -> Result<(), CliError> {
        let now = match fs::metadata(&self.path) {
            Ok(m) => Some(Stat::of(&m)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(CliError::from(e).file(&self.path)),
        };
        if now == self.state.as_ref().map(Fingerprint::stat) {
            Ok(())
        } else {
            Err(changed_meanwhile(&self.path, "changed"))
        }
    }
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> CliError + '_ {
    move |e| CliError::from(e).file(path)
}

/// The directory a path lives in (`.` for a bare file name).
pub fn parent_dir(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Syncs a directory so that a rename inside it is durable (POSIX; elsewhere
/// the rename is made durable by the file system itself).
fn sync_dir(dir: &Path) -> Result<(), CliError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// What a file system object is, in words, when it is not a regular file.
fn odd_kind(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    if t.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// Device and inode, where the platform has them.
fn identity(meta: &Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// True when `a` and `b` name the same file: the same inode when both exist,
/// else the same absolute path.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => match (identity(&x), identity(&y)) {
            (Some(i), Some(j)) => i == j,
            _ => fs::canonicalize(a).ok() == fs::canonicalize(b).ok(),
        },
        (Err(_), Err(_)) => absolute(a) == absolute(b),
        _ => false,
    }
}

/// `p` made absolute through its (canonical) directory.
fn absolute(p: &Path) -> PathBuf {
    let dir = fs::canonicalize(parent_dir(p)).unwrap_or_else(|_| parent_dir(p).to_path_buf());
    dir.join(p.file_name().unwrap_or_default())
}

/// Opens an existing target for reading only, never blocking (a FIFO
/// swapped in after the check opens at once and is then refused), never
/// following a symbolic link.
fn open_quietly(path: &Path) -> io::Result<File> {
    let mut o = fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    o.open(path)
}

/// The target as it was when claimed: open, locked, fingerprinted.
#[derive(Debug)]
struct Old {
    file: File,
    meta: Metadata,
    fingerprint: Fingerprint,
}

/// Where a command writes: standard output, or a file (new or existing).
#[derive(Debug)]
pub struct Destination {
    /// As given on the command line.
    path: PathBuf,
    stdout: bool,
    old: Option<Old>,
    opts: BackupOptions,
}

/// How many times claiming retries when the target is replaced between
/// opening and locking it.
const CLAIM_TRIES: usize = 10;

impl Destination {
    /// Checks the output `path` for a file of `kind`, before anything is read
    /// or written; see the module documentation. `inputs` are the files the
    /// command reads (the backup may not be one of them). `force` allows a
    /// target of another kind, or with other names (hard links).
    pub fn claim(
        path: &Path,
        kind: FileKind,
        opts: &BackupOptions,
        force: bool,
        inputs: &[&Path],
    ) -> Result<Destination, CliError> {
        let mut dest = Destination {
            path: path.to_path_buf(),
            stdout: path.as_os_str() == "-",
            old: None,
            opts: opts.clone(),
        };
        if dest.stdout {
            return Ok(dest);
        }
        dest.old = claim_file(path, kind, force)?;
        dest.check_backup(inputs)?;
        hook(Step::Claimed)?;
        Ok(dest)
    }

    /// The output in words: the path, or "standard output".
    pub fn shown(&self) -> String {
        if self.stdout {
            "standard output".to_string()
        } else {
            self.path.display().to_string()
        }
    }

    /// True when `p` is the target itself.
    pub fn is(&self, p: &Path) -> bool {
        !self.stdout && same_file(p, &self.path)
    }

    /// `--backup` may not name the target, an input, or anything but a regular file.
    fn check_backup(&self, inputs: &[&Path]) -> Result<(), CliError> {
        let Some(bak) = self.opts.backup.as_deref().filter(|_| !self.opts.no_backup) else {
            return Ok(());
        };
        let refuse = |why: String| {
            Err(CliError::usage(format!("--backup {why}"))
                .file(bak)
                .with_hint("name a new file for the backup (an existing one is kept, and the backup numbered), or give --no-backup"))
        };
        if same_file(bak, &self.path) {
            return refuse("names the file being written".into());
        }
        if let Some(i) = inputs.iter().find(|i| same_file(bak, i)) {
            return refuse(format!("names an input of this command ({})", i.display()));
        }
        if let Ok(meta) = fs::symlink_metadata(bak) {
            if let Some(what) = odd_kind(&meta) {
                return refuse(format!(
                    "is {what}; a backup is written only as a new regular file"
                ));
            }
        }
        Ok(())
    }

    /// Creates the temporary file the new version is written to: beside the
    /// target, with its mode, owner and group; for standard output, a private
    /// file in the system's temporary directory. Refuses to write a binary
    /// file to a terminal. A note about the new file's owner goes to the
    /// console's standard error.
    pub fn stage(self, con: &mut Console) -> Result<Staged, CliError> {
        if self.stdout {
            if con.tty.stdout {
                return Err(CliError::usage(
                    "standard output is a terminal; glbtool does not print a binary file there",
                )
                .with_hint("redirect it (-o - > FILE, or | into a program), or give -o FILE"));
            }
            let tmp = tempfile::Builder::new()
                .prefix("glbtool-")
                .suffix(".tmp")
                .tempfile()
                .map_err(CliError::from)?;
            hook(Step::TempCreated)?;
            return Ok(Staged {
                dest: self,
                tmp,
                dos: false,
            });
        }
        let mut dos = self.opts.dos_names;
        let tmp = temp_in(
            parent_dir(&self.path),
            &self.path,
            self.old.as_ref().map(|o| &o.meta),
            &mut dos,
            con.err,
        )?;
        hook(Step::TempCreated)?;
        Ok(Staged {
            dest: self,
            tmp,
            dos,
        })
    }
}

/// The checks and the lock of [`Destination::claim`] for a path that is not `-`.
fn claim_file(path: &Path, kind: FileKind, force: bool) -> Result<Option<Old>, CliError> {
    let refuse = |msg: String| CliError::usage(msg).file(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let by_name = FileKind::from_file_name(&name);
    let name_check = || match by_name {
        Some(k) if k != kind && !force => Err(refuse(format!(
            "the name says {k}, but glbtool would write {kind} here; nothing was written"
        ))
        .with_hint(format!(
            "check the output path; --force writes {kind} under this name anyway"
        ))),
        _ => Ok(()),
    };
    for _ in 0..CLAIM_TRIES {
        let meta = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                name_check()?;
                return Ok(None);
            }
            Err(e) => return Err(CliError::from(e).file(path)),
        };
        if let Some(what) = odd_kind(&meta) {
            let hint = if meta.is_symlink() {
                "glbtool replaces files by renaming, which would replace the link: give the file it points to"
            } else if meta.is_dir() {
                "give the path of a file (for example DIR/RESYNC.GLB)"
            } else {
                "glbtool replaces only regular files; write to a file, or -o - for standard output"
            };
            return Err(refuse(format!("is {what}; nothing was written")).with_hint(hint));
        }
        let file = open_quietly(path).map_err(io_err(path))?;
        let fmeta = file.metadata().map_err(io_err(path))?;
        if !fmeta.is_file() || identity(&fmeta) != identity(&meta) {
            continue; // replaced between the two looks: look again
        }
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(refuse(
                    "is locked by another program (another glbtool writing it?); nothing was written".into(),
                )
                .with_hint("run the command again when the other one has finished"));
            }
            // A file system without locks: the fingerprint checks remain.
            Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {}
            Err(fs::TryLockError::Error(e)) => return Err(CliError::from(e).file(path)),
        }
        // Locked: is the path still this file (not replaced by a rename meanwhile)?
        match fs::symlink_metadata(path) {
            Ok(m) if identity(&m) == identity(&fmeta) => {}
            _ => continue,
        }
        name_check()?;
        if !force {
            content_check(&file, &fmeta, path, kind, by_name)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                if fmeta.nlink() > 1 {
                    return Err(refuse(format!(
                        "has {} names (hard links); replacing it would leave the others with the old content; nothing was written",
                        fmeta.nlink()
                    ))
                    .with_hint("--force replaces this name only"));
                }
            }
        }
        let fingerprint = fingerprint_of(&file).map_err(io_err(path))?;
        return Ok(Some(Old {
            file,
            meta: fmeta,
            fingerprint,
        }));
    }
    Err(refuse(
        "keeps being replaced while glbtool opens it; nothing was written".into(),
    ))
}

/// Refuses an existing target whose content is of another kind than `kind`:
/// its size and first bytes fit only other layouts, or (when its name is not
/// `kind`'s) no layout at all. An empty file holds nothing to lose.
fn content_check(
    file: &File,
    meta: &Metadata,
    path: &Path,
    kind: FileKind,
    by_name: Option<FileKind>,
) -> Result<(), CliError> {
    if meta.len() == 0 {
        return Ok(());
    }
    let mut head = Vec::with_capacity(crate::input::HEAD);
    let mut f = file;
    f.seek(SeekFrom::Start(0)).map_err(io_err(path))?;
    f.take(crate::input::HEAD as u64)
        .read_to_end(&mut head)
        .map_err(io_err(path))?;
    let mut cands = identify::candidates(meta.len(), &head);
    if cands.iter().any(|k| k.family() == kind.family()) {
        // The first bytes fit; when they fit other layouts too, the whole
        // file must read as `kind` (a SRVCONF.GLB can begin like a queue).
        if cands.len() == 1 || reads_as(file, meta.len(), kind) {
            return Ok(());
        }
        cands.retain(|k| k.family() != kind.family());
    }
    let what = match cands.as_slice() {
        [] if by_name == Some(kind) => return Ok(()), // a damaged file of this kind
        [] => "its content is no Dir-Sync file glbtool knows".to_string(),
        _ => format!(
            "its content is {}",
            cands
                .iter()
                .map(|k| if k.is_queue() {
                    "a transaction queue"
                } else {
                    k.file_name()
                })
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    };
    Err(CliError::usage(format!(
        "exists and {what}, not {kind}; nothing was written"
    ))
    .file(path)
    .with_hint(format!(
        "check the output path (glbtool identify {} says what it is); --force replaces it anyway",
        path.display()
    )))
}

/// True when the whole of `file` (of `size` bytes) reads as `kind`.
fn reads_as(file: &File, size: u64, kind: FileKind) -> bool {
    use glb_formats::format::{Format, ReadOptions, Reader};
    fn all<F: Format>(file: &File, size: u64, kind: FileKind) -> bool {
        let mut f = file;
        if f.seek(SeekFrom::Start(0)).is_err() {
            return false;
        }
        let src = io::BufReader::with_capacity(1 << 16, f);
        let Ok(mut r) = Reader::<F, _>::new(src, kind, Some(size), ReadOptions::default()) else {
            return false;
        };
        loop {
            match r.next_record() {
                Ok(Some(_)) => {}
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    }
    glb_formats::with_format!(kind.family(), |F| all::<F>(file, size, kind))
}

/// Makes a temporary file in `dir` for `for_path` (deleted when dropped
/// unless persisted), `.glbtool-XXXXXX.tmp` or, with `dos`, `GLB?????.TMP`.
/// When the volume refuses or shortens the long name, `dos` is set and the
/// 8.3 name used.
///
/// `like` is the file it replaces: the temporary file is created with only
/// the owner's bits of its mode, given its owner and group where the process
/// may, then its exact mode, before a byte is written, so it is never
/// readable by more accounts than `like`. Without `like` it is created like
/// any new file (0666 less the umask).
fn temp_in(
    dir: &Path,
    for_path: &Path,
    like: Option<&Metadata>,
    dos: &mut bool,
    err: &mut dyn Write,
) -> Result<NamedTempFile, CliError> {
    let mut b = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = like.map_or(0o666, |m| m.permissions().mode() & 0o700);
        b.permissions(fs::Permissions::from_mode(mode));
    }
    let tmp = loop {
        if *dos {
            b.prefix("GLB").suffix(".TMP").rand_bytes(5);
            break b.tempfile_in(dir).map_err(io_err(for_path))?;
        }
        b.prefix(".glbtool-").suffix(".tmp").rand_bytes(6);
        match b.tempfile_in(dir) {
            Ok(t) if keeps_name(dir, t.path()) => break t,
            Ok(t) => drop(t), // the volume shortened the name
            Err(e) if refuses_name(&e) => {}
            Err(e) => return Err(CliError::from(e).file(for_path)),
        }
        *dos = true;
    };
    if let Some(meta) = like {
        take_owner_and_mode(tmp.as_file(), meta, tmp.path(), for_path, err)?;
    }
    Ok(tmp)
}

/// True when an error says the volume does not take such a name.
fn refuses_name(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidFilename
    )
}

/// True when the directory lists `created` under exactly the name it was
/// created with (a volume without long names shortens or upper-cases it).
fn keeps_name(dir: &Path, created: &Path) -> bool {
    let Some(name) = created.file_name() else {
        return true;
    };
    match fs::read_dir(dir) {
        Ok(entries) => listed(entries.filter_map(Result::ok).map(|e| e.file_name()), name),
        Err(_) => true,
    }
}

/// True when `name` is among `names`, byte for byte.
fn listed(mut names: impl Iterator<Item = std::ffi::OsString>, name: &std::ffi::OsStr) -> bool {
    names.any(|n| n == name)
}

/// Gives `file` (new and empty, at `at`) the owner, group and mode of `like`.
/// The owner and group are given where the process may (root may give both;
/// others only a group they belong to); otherwise a note says who owns it now.
fn take_owner_and_mode(
    file: &File,
    like: &Metadata,
    at: &Path,
    for_path: &Path,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let now = file.metadata().map_err(io_err(at))?;
        if (now.uid(), now.gid()) != (like.uid(), like.gid()) {
            let whole = std::os::unix::fs::fchown(file, Some(like.uid()), Some(like.gid()));
            if whole.is_err() {
                let group = std::os::unix::fs::fchown(file, None, Some(like.gid())).is_ok();
                say!(
                    err,
                    "glbtool: note: {} belonged to uid {} gid {}; only root may give a file away, so the new file belongs to uid {} gid {}",
                    for_path.display(),
                    like.uid(),
                    like.gid(),
                    now.uid(),
                    if group { like.gid() } else { now.gid() }
                );
            }
        }
        file.set_permissions(fs::Permissions::from_mode(like.mode() & 0o7777))
            .map_err(io_err(at))?;
    }
    #[cfg(not(unix))]
    {
        file.set_permissions(like.permissions())
            .map_err(io_err(at))?;
        let _ = for_path;
    }
    Ok(())
}

/// A new version of a file, being written.
pub struct Staged {
    dest: Destination,
    tmp: NamedTempFile,
    /// 8.3 names in the target's directory.
    dos: bool,
}

/// What a commit did.
#[derive(Debug, Clone, Default)]
pub struct Committed {
    /// Where the previous version was kept, if it existed and a backup was asked for.
    pub backup: Option<PathBuf>,
}

impl Staged {
    /// Where the new version is being written.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// A buffered writer to the new version.
    pub fn writer(&mut self) -> BufWriter<&mut File> {
        BufWriter::with_capacity(1 << 18, self.tmp.as_file_mut())
    }

    /// Flushes the new version to stable storage. Call after the writer is
    /// flushed and dropped, before verifying.
    pub fn finish(&mut self) -> Result<(), CliError> {
        let file = self.tmp.as_file_mut();
        file.flush().map_err(io_err(&self.dest.path))?;
        hook(Step::TempWritten)?;
        file.sync_all().map_err(io_err(&self.dest.path))?;
        hook(Step::TempSynced)
    }

    /// Puts the new version in place (see the module documentation). On any
    /// error the target is not replaced, the temporary file is removed and no
    /// new backup is left. The console's standard output receives the file
    /// for `-o -`; its standard error, a note about a backup's owner.
    pub fn commit(self, expect: &[Expect], con: &mut Console) -> Result<Committed, CliError> {
        hook(Step::Validated)?;
        for e in expect {
            e.check()?;
        }
        let Staged { dest, tmp, dos } = self;
        if dest.stdout {
            let mut src = tmp.reopen().map_err(CliError::from)?;
            io::copy(&mut src, con.out)?;
            con.out.flush()?;
            hook(Step::Done)?;
            return Ok(Committed::default());
        }
        let target = dest.path.as_path();
        let Some(old) = &dest.old else {
            // A new file: the rename itself refuses if one appeared meanwhile.
            for e in expect {
                e.quick_check()?;
            }
            hook(Step::Checked)?;
            match tmp.persist_noclobber(target) {
                Ok(_) => {}
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(changed_meanwhile(target, "appeared"));
                }
                Err(e) => return Err(CliError::from(e.error).file(target)),
            }
            hook(Step::Renamed)?;
            sync_dir(parent_dir(target))?;
            hook(Step::Done)?;
            return Ok(Committed::default());
        };
        let backup = match dest.backup_base(dos) {
            Some((base, numbered_dos)) => {
                let made = copy_backup(
                    old,
                    target,
                    &base,
                    numbered_dos,
                    Some(&old.fingerprint.hash),
                    con.err,
                )?;
                Some(made)
            }
            None => {
                let now = hash_file(&old.file).map_err(io_err(target))?;
                if now != old.fingerprint.hash {
                    return Err(changed_meanwhile(target, "changed (content)"));
                }
                None
            }
        };
        // The last look, immediately before the rename: the same file, not
        // written since it was claimed; the inputs unchanged.
        let last = (|| {
            let same = fs::symlink_metadata(target)
                .ok()
                .is_some_and(|m| identity(&m) == identity(&old.meta));
            let stat = old.file.metadata().map(|m| Stat::of(&m)).ok();
            if !same {
                return Err(changed_meanwhile(target, "replaced"));
            }
            if stat != Some(old.fingerprint.stat()) {
                return Err(changed_meanwhile(target, "changed"));
            }
            for e in expect {
                e.quick_check()?;
            }
            hook(Step::Checked)
        })();
        let renamed = last.and_then(|()| {
            tmp.persist(target)
                .map(drop)
                .map_err(|e| CliError::from(e.error).file(target))
        });
        if let Err(e) = renamed {
            // The target still holds what the new backup holds: remove the copy.
            if let Some(b) = &backup {
                let _ = fs::remove_file(b);
            }
            return Err(e);
        }
        hook(Step::Renamed)?;
        // A write to the old file that slipped in around the rename went to
        // the file that is no longer the target: keep it and say so. (The
        // rename itself changed the old file's change time: size and
        // modification time tell.)
        let after = old.file.metadata().ok();
        if after.as_ref().map(|m| (m.len(), m.modified().ok()))
            != Some((old.fingerprint.size, old.fingerprint.modified))
        {
            let base = dest
                .backup_base(dos)
                .map_or_else(|| default_backup(target, dos), |(b, _)| b);
            let saved = copy_backup(old, target, &base, dos, None, con.err)?;
            sync_dir(parent_dir(target))?;
            return Err(CliError::usage(format!(
                "was written by another program while glbtool replaced it; the file now holds glbtool's result, and the version with the other program's change is kept as {}",
                saved.display()
            ))
            .file(target)
            .with_hint("compare the two; run the command again when nothing else writes the file"));
        }
        sync_dir(parent_dir(target))?;
        hook(Step::Done)?;
        Ok(Committed { backup })
    }
}

impl Destination {
    /// The backup's first name and whether it is numbered the 8.3 way, or
    /// `None` without a backup.
    fn backup_base(&self, dos: bool) -> Option<(PathBuf, bool)> {
        if self.opts.no_backup {
            return None;
        }
        Some(match &self.opts.backup {
            Some(p) => (p.clone(), dos || self.opts.dos_names),
            None => (default_backup(&self.path, dos), dos),
        })
    }
}

/// `FILE.bak`, or with 8.3 names `STEM.BAK` (the stem cut to 8 characters).
fn default_backup(target: &Path, dos: bool) -> PathBuf {
    let name = target.file_name().unwrap_or_default();
    if dos {
        let stem: String = Path::new(name)
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .chars()
            .take(8)
            .collect();
        target.with_file_name(format!("{stem}.BAK"))
    } else {
        let mut n = name.to_os_string();
        n.push(".bak");
        target.with_file_name(n)
    }
}

/// The `n`th numbered name after `base` (n >= 1): `BASE.n`, or with 8.3
/// names `STEM.Bnn` (n <= 99).
fn numbered(base: &Path, n: u32, dos: bool) -> Option<PathBuf> {
    if dos {
        if n > 99 {
            return None;
        }
        Some(base.with_extension(format!("B{n:02}")))
    } else {
        let mut name = base.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{n}"));
        Some(base.with_file_name(name))
    }
}

/// The number of `name` if it is a numbered name after `base` ([`numbered`]).
fn number_of(base: &Path, name: &str, dos: bool) -> Option<u32> {
    let base_name = base.file_name()?.to_string_lossy().into_owned();
    if dos {
        let stem = Path::new(&base_name)
            .file_stem()?
            .to_string_lossy()
            .into_owned();
        let (s, ext) = name.rsplit_once('.')?;
        let digits = ext.strip_prefix(['B', 'b'])?;
        (s.eq_ignore_ascii_case(&stem) && digits.len() == 2)
            .then(|| digits.parse().ok())
            .flatten()
    } else {
        let rest = name.strip_prefix(&base_name)?.strip_prefix('.')?;
        (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
            .then(|| rest.parse().ok())
            .flatten()
    }
}

/// The names to try for a new backup, in order: `base` when free, else the
/// number after the highest one in use (so the order of backups stays the
/// order they were made in).
fn next_backup_names(base: &Path, dos: bool) -> Vec<PathBuf> {
    let mut names = Vec::new();
    if fs::symlink_metadata(base).is_err() {
        names.push(base.to_path_buf());
    }
    let highest = fs::read_dir(parent_dir(base))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| number_of(base, &e.file_name().to_string_lossy(), dos))
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    names.extend(
        (highest.saturating_add(1)..highest.saturating_add(20))
            .filter_map(|n| numbered(base, n, dos)),
    );
    names
}

/// Copies the old target to a new backup named after `base` (never over an
/// existing file): through a synced temporary file with the old file's
/// owner, group, mode and modification time, given its name by a rename that
/// refuses to replace anything, then the directory synced. When `want` is
/// given the copied bytes must hash to it. Returns the backup's path.
fn copy_backup(
    old: &Old,
    target: &Path,
    base: &Path,
    dos: bool,
    want: Option<&blake3::Hash>,
    err: &mut dyn Write,
) -> Result<PathBuf, CliError> {
    let dir = parent_dir(base);
    let mut dos_here = dos;
    let mut tmp = temp_in(dir, base, Some(&old.meta), &mut dos_here, err)?;
    let mut src = &old.file;
    src.seek(SeekFrom::Start(0)).map_err(io_err(target))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 18];
    {
        let mut w = BufWriter::with_capacity(1 << 18, tmp.as_file_mut());
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CliError::from(e).file(target)),
            };
            hasher.update(&buf[..n]);
            w.write_all(&buf[..n]).map_err(io_err(base))?;
        }
        w.flush().map_err(io_err(base))?;
    }
    if want.is_some_and(|h| *h != hasher.finalize()) {
        return Err(changed_meanwhile(target, "changed (content)"));
    }
    if let Some(t) = old.fingerprint.modified {
        // Like `cp -p`: the backup says when the original was last written.
        let _ = tmp.as_file().set_modified(t);
    }
    tmp.as_file().sync_all().map_err(io_err(base))?;
    hook(Step::BackupWritten)?;
    let names = next_backup_names(base, dos_here);
    let mut tmp = Some(tmp);
    for name in &names {
        let t = tmp.take().expect("kept on every failed try");
        match t.persist_noclobber(name) {
            Ok(_) => {
                sync_dir(dir)?;
                hook(Step::BackupInPlace)?;
                return Ok(name.clone());
            }
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => tmp = Some(e.file),
            // A volume that can neither link nor rename without replacing:
            // rename when the name is free (the target's lock keeps other
            // glbtools away).
            Err(e) if fs::symlink_metadata(name).is_err() => {
                e.file
                    .persist(name)
                    .map_err(|e| CliError::from(e.error).file(name))?;
                sync_dir(dir)?;
                hook(Step::BackupInPlace)?;
                return Ok(name.clone());
            }
            Err(e) => tmp = Some(e.file),
        }
    }
    let last = names.last().map_or(base, PathBuf::as_path);
    Err(CliError::usage(format!(
        "no free name for the backup ({} and the names before it exist); nothing was written",
        last.display()
    ))
    .file(target)
    .with_hint("move old backups elsewhere, or give --backup PATH or --no-backup"))
}

/// Checks the file at `path` as if it were `shown_as` (the name findings
/// carry) of `kind`, and returns the findings. An unreadable file gives a
/// GLB301 finding.
pub fn validate(path: &Path, shown_as: &Path, kind: FileKind, cp: CodePage) -> Vec<Finding> {
    validate_facts(path, shown_as, kind, cp).0
}

/// [`validate`], with the facts the cross-file checks need.
pub fn validate_facts(
    path: &Path,
    shown_as: &Path,
    kind: FileKind,
    cp: CodePage,
) -> (Vec<Finding>, Facts) {
    let file = FileRef {
        path: shown_as.display().to_string(),
        kind,
        codepage: cp,
    };
    let mut findings = Vec::new();
    let facts = match File::open(path).and_then(|f| Ok((f.metadata()?.len(), f))) {
        Ok((size, f)) => {
            let src = io::BufReader::with_capacity(1 << 18, f);
            check::file::check(&file, src, Some(size), &mut findings)
        }
        Err(e) => {
            findings.push(file.finding("GLB301", e.to_string()));
            Facts::None
        }
    };
    (findings, facts)
}

/// Runs the cross-file checks over a new file (`shown_as`, with its `facts`)
/// and the files it must agree with (`others`, each checked too). Returns
/// every finding: the others' own and the cross-file ones.
pub fn cross_check(
    shown_as: &Path,
    kind: FileKind,
    facts: Facts,
    others: &[(&Path, FileKind)],
    cp: CodePage,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut files = vec![(
        FileRef {
            path: shown_as.display().to_string(),
            kind,
            codepage: cp,
        },
        facts,
    )];
    for &(p, kind) in others {
        let (f, facts) = validate_facts(p, p, kind, cp);
        findings.extend(f);
        files.push((
            FileRef {
                path: p.display().to_string(),
                kind,
                codepage: cp,
            },
            facts,
        ));
    }
    let checked: Vec<_> = files.iter().map(|(f, x)| (f, x)).collect();
    check::cross::check(&checked, &mut findings);
    findings
}

/// The file called `name` (any letter case, as on a DOS volume copied
/// elsewhere) in the directory of `path`, if there is one.
pub fn beside(path: &Path, name: &str) -> Option<PathBuf> {
    std::fs::read_dir(parent_dir(path))
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name))
        .map(|e| e.path())
}

/// True for the findings that say a file cannot be read at all (GLB301-303).
pub fn is_structural(code: &str) -> bool {
    matches!(code, "GLB301" | "GLB302" | "GLB303")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `f` with a console of no input whose output is thrown away.
    fn quiet<T>(f: impl FnOnce(&mut Console) -> T) -> T {
        let (mut out, mut err) = (io::sink(), io::sink());
        f(&mut Console::given(
            Box::new(io::empty()),
            &mut out,
            &mut err,
        ))
    }

    fn write_new(target: &Path, bytes: &[u8], opts: &BackupOptions) -> Staged {
        let dest = Destination::claim(target, FileKind::Reqtrans, opts, true, &[]).unwrap();
        let mut staged = quiet(|con| dest.stage(con)).unwrap();
        {
            let mut w = staged.writer();
            w.write_all(bytes).unwrap();
            w.flush().unwrap();
        }
        staged.finish().unwrap();
        staged
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_changed_file_is_refused_and_nothing_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("X.GLB");
        fs::write(&target, b"old").unwrap();
        let staged = write_new(&target, b"new", &BackupOptions::default());
        // Same size, different content: the hash notices.
        fs::write(&target, b"odd").unwrap();
        let err = quiet(|con| staged.commit(&[], con)).unwrap_err();
        assert!(err.to_string().contains("changed"), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"odd");
        // Neither a backup nor a temporary file is left.
        assert_eq!(names(dir.path()), vec!["X.GLB"]);
    }

    #[test]
    fn commit_keeps_a_backup_and_replaces_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("X.GLB");
        fs::write(&target, b"old bytes").unwrap();
        let staged = write_new(&target, b"new bytes!", &BackupOptions::default());
        let done = quiet(|con| staged.commit(&[], con)).unwrap();
        let bak = dir.path().join("X.GLB.bak");
        assert_eq!(done.backup.as_deref(), Some(bak.as_path()));
        assert_eq!(fs::read(&target).unwrap(), b"new bytes!");
        assert_eq!(fs::read(&bak).unwrap(), b"old bytes");
        assert_eq!(names(dir.path()), vec!["X.GLB", "X.GLB.bak"]);
    }

    #[test]
    fn a_file_that_appears_meanwhile_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("NEW.GLB");
        let staged = write_new(&target, b"", &BackupOptions::default());
        fs::write(&target, b"someone else").unwrap();
        let err = quiet(|con| staged.commit(&[], con)).unwrap_err();
        assert!(err.to_string().contains("appeared"), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"someone else");
    }

    #[test]
    fn backup_names_count_up_from_the_highest_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("RESYNC.GLB.bak");
        assert_eq!(next_backup_names(&base, false)[0], base);
        fs::write(&base, b"").unwrap();
        assert_eq!(
            next_backup_names(&base, false)[0],
            dir.path().join("RESYNC.GLB.bak.1")
        );
        fs::write(dir.path().join("RESYNC.GLB.bak.7"), b"").unwrap();
        fs::write(dir.path().join("RESYNC.GLB.bak.x"), b"").unwrap();
        assert_eq!(
            next_backup_names(&base, false)[0],
            dir.path().join("RESYNC.GLB.bak.8")
        );
        let dos = default_backup(&dir.path().join("RESYNC.GLB"), true);
        assert_eq!(dos, dir.path().join("RESYNC.BAK"));
        fs::write(&dos, b"").unwrap();
        fs::write(dir.path().join("resync.b03"), b"").unwrap();
        assert_eq!(
            next_backup_names(&dos, true)[0],
            dir.path().join("RESYNC.B04")
        );
        fs::write(dir.path().join("RESYNC.B99"), b"").unwrap();
        assert!(next_backup_names(&dos, true).is_empty());
        // A free first name comes first, the numbered ones after it (should
        // another program take it meanwhile).
        let free = dir.path().join("OTHER.GLB.bak");
        assert_eq!(
            next_backup_names(&free, false)[..2],
            [free.clone(), dir.path().join("OTHER.GLB.bak.1")]
        );
        assert_eq!(
            default_backup(Path::new("d/LONGERNAME.GLB"), true),
            Path::new("d/LONGERNA.BAK")
        );
    }

    #[test]
    fn a_name_the_volume_changed_is_noticed() {
        let names = || {
            ["GLBTOO~1.TMP", "RESYNC.GLB"]
                .map(std::ffi::OsString::from)
                .into_iter()
        };
        assert!(!listed(
            names(),
            std::ffi::OsStr::new(".glbtool-AbC123.tmp")
        ));
        assert!(listed(names(), std::ffi::OsStr::new("RESYNC.GLB")));
        assert!(!listed(names(), std::ffi::OsStr::new("resync.glb")));
    }
}
