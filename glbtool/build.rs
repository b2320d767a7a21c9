//! Puts the commit glbtool is built from into `--version`
//! (`GLBTOOL_COMMIT`, ` (commit 1a2b3c4d 2026-12-05)`), when it is built from
//! a git checkout; empty when git or the repository is missing, so a build
//! from a source archive works the same.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=GLBTOOL_COMMIT");
    let commit = match std::env::var("GLBTOOL_COMMIT") {
        // A packager may set it (empty for none).
        Ok(given) => given,
        Err(_) => git(&["log", "-1", "--format=%h %cs"])
            .map(|c| format!(" (commit {c})"))
            .unwrap_or_default(),
    };
    if !commit.is_empty() {
        // Rebuild when HEAD moves: a checkout changes HEAD, a commit changes
        // the branch's file under refs/heads (a new file there when the branch
        // was packed) or packed-refs.
        for name in ["HEAD", "refs/heads", "packed-refs"] {
            if let Some(p) = git(&["rev-parse", "--git-path", name]) {
                let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(p);
                if path.exists() {
                    println!("cargo:rerun-if-changed={}", path.display());
                }
            }
        }
    }
    println!("cargo:rustc-env=GLBTOOL_COMMIT={commit}");
}
