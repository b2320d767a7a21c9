//! Helpers shared by the CLI tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A path inside `corpus/`.
pub fn corpus(rel: &str) -> PathBuf {
    root().join("corpus").join(rel)
}

/// The glbtool binary with a clean environment for output (no colour).
pub fn glbtool() -> Command {
    let mut c = Command::cargo_bin("glbtool").unwrap();
    c.env_remove("NO_COLOR").env("TZ", "UTC");
    c
}

/// Asserts that `text` contains each of `parts`, in turn; the message names
/// the missing part and shows `text`.
#[track_caller]
pub fn assert_has(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "no {part:?} in:\n{text}");
    }
}

/// The code of each finding of a validate or doctor JSON report, in order.
pub fn finding_codes(report: &serde_json::Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

/// Runs `cmd` (a `glbtool()`), checks that it exits `code` and returns its
/// standard output.
pub fn stdout_exiting(cmd: &mut Command, code: i32) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The standard output of a glbtool run that must succeed.
pub fn stdout_of(args: &[&str]) -> String {
    let out = glbtool().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "glbtool {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Dumps `file` in each of `formats` and returns each exit code with its
/// standard error, after checking that glbtool exited 0 or 2 without panicking.
pub fn dump_outcomes(file: &Path, formats: &[&str]) -> Vec<(i32, String)> {
    dump_survives(file, formats, &file.display().to_string())
}

/// Copies the directory `from` to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// Every file below `dir`, sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let walk = walkdir::WalkDir::new(dir).sort_by_file_name().into_iter();
    let paths = walk.map(|e| e.unwrap().into_path());
    paths.filter(|p| !p.is_dir()).collect()
}

/// A deterministic pseudo-random byte source (xorshift), for hostile inputs.
pub struct Rng(pub u64);

impl Rng {
    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// Runs `glbtool dump --format F FILE` for each format and checks it ends
/// with exit 0 or 2 and no panic; returns each run's exit code and stderr.
pub fn dump_survives(file: &Path, formats: &[&str], what: &str) -> Vec<(i32, String)> {
    formats
        .iter()
        .map(|format| {
            let out = glbtool()
                .args(["dump", "--format", format])
                .arg(file)
                .output()
                .unwrap();
            let code = out.status.code().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(
                code == 0 || code == 2,
                "{what}: exit {code} for --format {format}"
            );
            assert!(!stderr.contains("panicked"), "{what}: {stderr}");
            (code, stderr)
        })
        .collect()
}

/// Makes a named pipe at `path` (mkfifo(1), from coreutils).
pub fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo(1) runs (coreutils)");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A named pipe `name` in `dir` that a background thread fills with `bytes`
/// once a reader opens it (write errors, such as a reader that stops early,
/// are ignored).
pub fn fifo_with(dir: &Path, name: &str, bytes: Vec<u8>) -> PathBuf {
    fifo_writer(dir, name, bytes).0
}

/// `fifo_with`, and the writing thread: it ends once a reader has opened the
/// pipe (joining it waits for that).
pub fn fifo_writer(
    dir: &Path,
    name: &str,
    bytes: Vec<u8>,
) -> (PathBuf, std::thread::JoinHandle<()>) {
    let fifo = dir.join(name);
    mkfifo(&fifo);
    let path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let _ = std::fs::write(path, bytes);
    });
    (fifo, writer)
}

/// The names in a directory, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A scratch directory holding a copy of `corpus/`, for running documented
/// examples as written (some write files beside them).
pub fn scratch_with_corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("corpus"), &dir.path().join("corpus"));
    dir
}

/// Runs one documented shell command line as a user would type it, with
/// `bash -c` in `dir`, the tested glbtool first on PATH, no colour and UTC.
pub fn run_shell(dir: &Path, line: &str) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("glbtool");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::process::Command::new("bash")
        .args(["-o", "pipefail", "-c", line])
        .current_dir(dir)
        .env("PATH", path)
        .env("TZ", "UTC")
        .env("HOME", dir)
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}
