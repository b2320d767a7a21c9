//! Writing a file so that a crash, a kill or a concurrent writer can never
//! leave a mix of old and new bytes. Every command that writes a file
//! (`patch-seq`, `build`) goes through [`Staged`]:
//!
//! 1. [`fingerprint`] the target (size, modification time, BLAKE3 hash of
//!    the content) before reading anything;
//! 2. write the new content to a temporary file in the target's directory
//!    ([`Staged::create`]), flush it and `sync_all` it ([`Staged::finish`]);
//! 3. re-read and validate the temporary file (the caller's `verify`);
//! 4. fingerprint the target again and refuse if it changed;
//! 5. keep the old file as a backup (`FILE.bak`, or `--backup PATH`), itself
//!    written to a temporary file, synced and renamed into place;
//! 6. rename the temporary file over the target and sync the directory.
//!
//! A rename within one directory is atomic, so at every instant the target
//! holds either the old file or the new one. `docs/safety.md` says what a
//! crash at each step leaves behind.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use clap::Args;
use glb_formats::check::{self, file::Facts, FileRef, Finding};
use glb_formats::{codepage, CodePage, FileKind};
use tempfile::NamedTempFile;

use crate::output::CliError;

/// The hidden test hook: pause between validating the new file and the final
/// fingerprint check, so a test can change the target in that window. Its
/// value is a number of seconds to sleep, or a path: glbtool creates
/// `PATH.waiting` and waits (at most 60 s) until `PATH` exists. Test use only.
pub const PAUSE_HOOK: &str = "GLBTOOL_TEST_PAUSE_BEFORE_RENAME";

/// Options about the backup, shared by every command that writes a file.
#[derive(Args, Debug, Clone, Default)]
pub struct BackupOptions {
    /// Do not keep the previous file as a backup.
    #[arg(long, conflicts_with = "backup")]
    pub no_backup: bool,
    /// Keep the previous file at PATH instead of FILE.bak.
    #[arg(long, value_name = "PATH")]
    pub backup: Option<PathBuf>,
}

impl BackupOptions {
    /// Where the previous version of `target` is kept, if anywhere.
    pub fn path_for(&self, target: &Path) -> Option<PathBuf> {
        if self.no_backup {
            return None;
        }
        Some(self.backup.clone().unwrap_or_else(|| {
            let mut name = target.file_name().unwrap_or_default().to_os_string();
            name.push(".bak");
            target.with_file_name(name)
        }))
    }
}

/// What identifies a file's state: size, modification time and content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Size in bytes.
    pub size: u64,
    /// Last modification time, where the file system keeps one.
    pub modified: Option<SystemTime>,
    /// BLAKE3 hash of the content.
    pub hash: blake3::Hash,
}

/// The fingerprint of the file at `path`, or `None` when there is no file there.
pub fn fingerprint(path: &Path) -> Result<Option<Fingerprint>, CliError> {
    let err = |e: io::Error| CliError::from(e).file(path);
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(e)),
    };
    let meta = file.metadata().map_err(err)?;
    if meta.is_dir() {
        return Err(CliError::usage("is a directory, not a file").file(path));
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(&mut file).map_err(err)?;
    Ok(Some(Fingerprint {
        size: meta.len(),
        modified: meta.modified().ok(),
        hash: hasher.finalize(),
    }))
}

/// A file this command read and expects to find unchanged when it commits.
#[derive(Debug, Clone)]
pub struct Expect {
    /// The path.
    pub path: PathBuf,
    /// Its state when the command began (`None`: it did not exist).
    pub state: Option<Fingerprint>,
}

impl Expect {
    /// Fingerprints `path` now.
    pub fn now(path: &Path) -> Result<Expect, CliError> {
        Ok(Expect {
            path: path.to_path_buf(),
            state: fingerprint(path)?,
        })
    }

    /// Refuses when the file changed since [`Expect::now`].
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
                if a.modified != b.modified {
                    w.push("modification time".to_string());
                }
                if a.hash != b.hash {
                    w.push("content".to_string());
                }
                format!("changed ({})", w.join(", "))
            }
            (None, None) => unreachable!("equal states return early"),
        };
        Err(CliError::usage(format!(
            "{what} on disk while glbtool was working; nothing was written"
        ))
        .file(&self.path)
        .with_hint("another program is using the file (is Dir-Sync or Import running?); run the command again when it is idle"))
    }
}

/// A new version of a file, being written beside it.
pub struct Staged {
    target: PathBuf,
    tmp: NamedTempFile,
}

/// What a commit did.
#[derive(Debug, Clone, Default)]
pub struct Committed {
    /// Where the previous version was kept, if it existed and a backup was asked for.
    pub backup: Option<PathBuf>,
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

/// Makes a temporary file in `dir` (deleted when dropped unless persisted).
/// On POSIX it is created like any new file (0666 less the umask), not with
/// a temporary file's usual 0600, so a new target gets the usual permissions.
fn temp_in(dir: &Path, for_path: &Path) -> Result<NamedTempFile, CliError> {
    let mut b = tempfile::Builder::new();
    b.prefix(".glbtool-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(dir).map_err(io_err(for_path))
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

impl Staged {
    /// Starts a new version of `target`: a temporary file in its directory.
    pub fn create(target: &Path) -> Result<Staged, CliError> {
        if fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(CliError::usage(
                "is a symbolic link; glbtool replaces files by renaming, which would replace the link: give the file it points to",
            )
            .file(target));
        }
        Ok(Staged {
            target: target.to_path_buf(),
            tmp: temp_in(parent_dir(target), target)?,
        })
    }

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
        file.flush().map_err(io_err(&self.target))?;
        file.sync_all().map_err(io_err(&self.target))
    }

    /// Puts the new version in place: test pause, checks that every file in
    /// `expect` is unchanged, backup of the old target to `backup`, atomic
    /// rename, directory sync. On any error nothing is replaced and the
    /// temporary file is removed.
    pub fn commit(self, expect: &[Expect], backup: Option<&Path>) -> Result<Committed, CliError> {
        test_pause()?;
        for e in expect {
            e.check()?;
        }
        let target = self.target;
        let mut done = Committed::default();
        let old = fs::metadata(&target).ok();
        if let Some(meta) = &old {
            if let Some(bak) = backup {
                let want = expect
                    .iter()
                    .find(|e| e.path == target)
                    .and_then(|e| e.state.as_ref());
                copy_backup(&target, bak, want)?;
                done.backup = Some(bak.to_path_buf());
            }
            // The new file keeps the old one's permissions.
            fs::set_permissions(self.tmp.path(), meta.permissions()).map_err(io_err(&target))?;
        }
        self.tmp
            .persist(&target)
            .map_err(|e| CliError::from(e.error).file(&target))?;
        sync_dir(parent_dir(&target))?;
        Ok(done)
    }
}

/// Copies `target` to `bak` through a synced temporary file and a rename, so
/// the backup is either absent, the previous backup, or complete. When `want`
/// is given, the copied bytes must hash to it (the file did not change since
/// the command began).
fn copy_backup(target: &Path, bak: &Path, want: Option<&Fingerprint>) -> Result<(), CliError> {
    let mut src = File::open(target).map_err(io_err(target))?;
    let mut tmp = temp_in(parent_dir(bak), bak)?;
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
            w.write_all(&buf[..n]).map_err(io_err(bak))?;
        }
        w.flush().map_err(io_err(bak))?;
    }
    if let Some(want) = want {
        if hasher.finalize() != want.hash {
            return Err(CliError::usage(
                "changed on disk while glbtool was working; nothing was written",
            )
            .file(target));
        }
    }
    // The backup keeps the file's permissions.
    let perms = src.metadata().map_err(io_err(target))?.permissions();
    fs::set_permissions(tmp.path(), perms).map_err(io_err(bak))?;
    tmp.as_file().sync_all().map_err(io_err(bak))?;
    tmp.persist(bak)
        .map_err(|e| CliError::from(e.error).file(bak))?;
    sync_dir(parent_dir(bak))
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
    };
    let mut findings = Vec::new();
    let facts = match File::open(path).and_then(|f| Ok((f.metadata()?.len(), f))) {
        Ok((size, f)) => {
            let src = io::BufReader::with_capacity(1 << 18, f);
            codepage::scope(cp, || {
                check::file::check(&file, src, Some(size), &mut findings)
            })
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

/// The test hook ([`PAUSE_HOOK`]).
fn test_pause() -> Result<(), CliError> {
    let Some(v) = std::env::var_os(PAUSE_HOOK) else {
        return Ok(());
    };
    let v = v.to_string_lossy().into_owned();
    if let Ok(secs) = v.parse::<f64>() {
        std::thread::sleep(Duration::from_secs_f64(secs.clamp(0.0, 60.0)));
        return Ok(());
    }
    let go = PathBuf::from(&v);
    let waiting = PathBuf::from(format!("{v}.waiting"));
    File::create(&waiting).map_err(io_err(&waiting))?;
    let start = Instant::now();
    while !go.exists() {
        if start.elapsed() > Duration::from_secs(60) {
            return Err(CliError::usage(format!(
                "{PAUSE_HOOK}: {v} did not appear within 60 s"
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_file_is_refused_and_nothing_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("X.GLB");
        fs::write(&target, b"old").unwrap();
        let expect = Expect::now(&target).unwrap();
        let mut staged = Staged::create(&target).unwrap();
        {
            let mut w = staged.writer();
            w.write_all(b"new").unwrap();
            w.flush().unwrap();
        }
        staged.finish().unwrap();
        // Same size, different content: the hash notices.
        fs::write(&target, b"odd").unwrap();
        let err = staged
            .commit(
                std::slice::from_ref(&expect),
                Some(&dir.path().join("X.GLB.bak")),
            )
            .unwrap_err();
        assert!(err.to_string().contains("changed"), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"odd");
        // Neither a backup nor a temporary file is left.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("X.GLB")]);
    }

    #[test]
    fn commit_keeps_a_backup_and_replaces_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("X.GLB");
        fs::write(&target, b"old bytes").unwrap();
        let expect = Expect::now(&target).unwrap();
        let mut staged = Staged::create(&target).unwrap();
        {
            let mut w = staged.writer();
            w.write_all(b"new bytes!").unwrap();
            w.flush().unwrap();
        }
        staged.finish().unwrap();
        let bak = BackupOptions::default().path_for(&target).unwrap();
        assert_eq!(bak, dir.path().join("X.GLB.bak"));
        let done = staged.commit(&[expect], Some(&bak)).unwrap();
        assert_eq!(done.backup.as_deref(), Some(bak.as_path()));
        assert_eq!(fs::read(&target).unwrap(), b"new bytes!");
        assert_eq!(fs::read(&bak).unwrap(), b"old bytes");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_file_that_appears_meanwhile_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("NEW.GLB");
        let expect = Expect::now(&target).unwrap();
        assert!(expect.state.is_none());
        let mut staged = Staged::create(&target).unwrap();
        staged.finish().unwrap();
        fs::write(&target, b"someone else").unwrap();
        let err = staged.commit(&[expect], None).unwrap_err();
        assert!(err.to_string().contains("appeared"), "{err}");
        assert_eq!(fs::read(&target).unwrap(), b"someone else");
    }
}
