//! `glbtool edit` as a person uses it: on a terminal (script(1) gives it
//! one), with $VISUAL a small script that edits the JSON with sed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{assert_has, corpus, glbtool};

/// Runs `glbtool edit ARGS` on a pseudo-terminal with `visual` as $VISUAL;
/// returns the exit code and what the terminal showed.
fn edit_on_a_terminal(dir: &Path, visual: &str, args: &str) -> (Option<i32>, String) {
    let script = dir.join("visual.sh");
    std::fs::write(&script, format!("#!/bin/sh\nset -e\n{visual}\n")).unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("glbtool");
    let o = Command::new("script")
        .args([
            "-qec",
            &format!("{} edit {args}", bin.display()),
            "/dev/null",
        ])
        .env("VISUAL", &script)
        .env("TZ", "UTC")
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// A scratch directory holding a copy of TAYLOR's REQTRANS.GLB, and the copy.
fn scratch_reqtrans() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let f = copy(
        "network/TAYLOR/GLB/REQTRANS.GLB",
        dir.path(),
        "REQTRANS.GLB",
    );
    (dir, f)
}

fn copy(rel: &str, dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::copy(corpus(rel), &p).unwrap();
    p
}

fn dump(file: &Path) -> String {
    let o = glbtool()
        .args(["dump", "--color", "never"])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn without_a_terminal_edit_refuses_and_says_what_to_do() {
    let (_dir, f) = scratch_reqtrans();
    let o = glbtool()
        .arg("edit")
        .arg(&f)
        .env("VISUAL", "true")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_has(&err, &["needs a terminal", "glbtool build"]);
    assert_eq!(
        std::fs::read(&f).unwrap(),
        std::fs::read(corpus("network/TAYLOR/GLB/REQTRANS.GLB")).unwrap()
    );
}

#[test]
fn a_saved_edit_is_shown_validated_and_written_with_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let f = copy("samples/queue/resync/RESYNC.GLB", dir.path(), "RESYNC.GLB");
    // The RESYNC header's REQSEQ, written as a person would: 13, not 0000000013.
    let (code, out) = edit_on_a_terminal(
        dir.path(),
        r#"sed -i 's/REQSEQ=0000000018/REQSEQ=13/' "$1""#,
        "RESYNC.GLB",
    );
    assert_eq!(code, Some(0), "{out}");
    // The structural diff of what changes.
    assert_has(&out, &["REQSEQ", "re-sealed"]);
    // Written in glbtool's header form, the old file kept.
    let shown = dump(&f);
    assert!(shown.contains("REQSEQ=0000000013"), "{shown}");
    assert!(dir.path().join("RESYNC.GLB.bak").exists());
    let v = glbtool().arg("validate").arg(&f).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&v.stdout).contains("GLB308"),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
}

#[test]
fn an_edit_that_does_not_build_reopens_the_editor_with_the_error_on_top() {
    let (dir, f) = scratch_reqtrans();
    let before = std::fs::read(&f).unwrap();
    // First save: a sync number that cannot be stored. Second: the error is
    // at the top of the file; the script records it and fixes the number.
    let visual = r#"
if [ -e round1 ]; then
  head -3 "$1" > seen.txt
  sed -i 's/"sync": -5/"sync": 5/' "$1"
else
  touch round1
  sed -i '0,/"sync": [0-9]*/s//"sync": -5/' "$1"
fi"#;
    let (code, out) = edit_on_a_terminal(dir.path(), visual, "REQTRANS.GLB");
    assert_eq!(code, Some(0), "{out}");
    let seen = std::fs::read_to_string(dir.path().join("seen.txt")).unwrap();
    assert!(
        seen.starts_with("# glbtool could not build this edit"),
        "{seen}"
    );
    assert!(seen.contains("records[0].sync"), "{seen}");
    assert_ne!(std::fs::read(&f).unwrap(), before);
    assert!(dump(&f).contains("000005"), "{}", dump(&f));
}

#[test]
fn an_unchanged_or_abandoned_edit_writes_nothing() {
    let (dir, f) = scratch_reqtrans();
    let before = std::fs::read(&f).unwrap();
    for visual in ["true", r#": > "$1""#, "exit 3"] {
        let (_, out) = edit_on_a_terminal(dir.path(), visual, "REQTRANS.GLB");
        assert!(out.contains("nothing was written"), "{visual}: {out}");
        assert_eq!(std::fs::read(&f).unwrap(), before);
        assert!(!dir.path().join("REQTRANS.GLB.bak").exists());
    }
}

#[test]
fn a_file_changed_during_the_edit_is_not_overwritten() {
    let (dir, f) = scratch_reqtrans();
    // While the editor is open, someone else writes the file.
    let visual = r#"
printf 'x' >> REQTRANS.GLB
sed -i '0,/"sync": [0-9]*/s//"sync": 99/' "$1""#;
    let (code, out) = edit_on_a_terminal(dir.path(), visual, "REQTRANS.GLB");
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("changed"), "{out}");
    assert!(std::fs::read(&f).unwrap().ends_with(b"x"));
}
