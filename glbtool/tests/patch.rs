//! End-to-end tests of `patch-seq` and of the safe write sequence
//! (docs/safety.md): dry runs write nothing, backups equal the original, a
//! concurrent change is refused and bad arguments change nothing (kills at
//! each step of the write sequence: tests/writes.rs).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_has, corpus, finding_codes, glbtool, listing};
use glb_dirsync::patch::{self, Renumber};
use glb_formats::fields::Stamp;
use glb_formats::queue::{Checksum, Queue, QueueRecord};
use glb_formats::{FileKind, Writer};
use predicates::prelude::*;

/// A REQTRANS.GLB: the acknowledged dummy (17), then `n` pending
/// transactions numbered 1.. (too low: the "No requestor updates to send" case).
fn reqtrans(n: u32) -> Vec<u8> {
    let mut w = Writer::<Queue, _>::new(Vec::new(), FileKind::Reqtrans);
    w.record(&QueueRecord::ack_dummy(17, Stamp(765_720_832)))
        .unwrap();
    for i in 1..=n {
        let text = format!("A User {i:06}\tPCM:NET/PO/u{i:06}");
        w.record(&QueueRecord::new(
            i,
            Stamp(765_720_900 + i),
            text.as_bytes(),
        ))
        .unwrap();
    }
    w.finish().unwrap()
}

/// The result the library gives for `--renumber-from from`.
fn renumbered(input: &[u8], from: u32) -> Vec<u8> {
    patch::rewrite::<Queue, _, _, _>(
        input,
        FileKind::Reqtrans,
        Some(input.len() as u64),
        glb_formats::CodePage::Cp850,
        Vec::new(),
        &mut Renumber::new(from),
        &mut |_| {},
    )
    .unwrap()
    .0
}

/// Offsets of every record of a queue file, found by walking the length fields.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let (mut at, mut out) = (0, Vec::new());
    while at < bytes.len() {
        out.push(at);
        at += usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]]));
    }
    out
}

fn setup(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, bytes).unwrap();
    (dir, f)
}

/// Runs `glbtool patch-seq ARGS FILE`, expects success, returns standard output.
fn patch_seq_ok(args: &[&str], file: &Path) -> String {
    let out = glbtool()
        .arg("patch-seq")
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn dry_run_prints_the_changes_and_writes_nothing() {
    let original = reqtrans(3);
    let (dir, f) = setup("REQTRANS.GLB", &original);
    let before = std::fs::metadata(&f).unwrap().modified().unwrap();
    let text = patch_seq_ok(&["--renumber-from", "18", "--dry-run"], &f);
    // Field, old value, new value and byte offset of each change: the first
    // pending record starts after the 49-byte dummy, its sync at +4.
    assert_has(
        &text,
        &[
            "record 1, offset 53 (0x35), 4 bytes: sync 1 -> 18",
            "record 3, offset",
            "sync 3 -> 20",
            "dry run: nothing was written",
        ],
    );
    assert_eq!(std::fs::read(&f).unwrap(), original);
    assert_eq!(std::fs::metadata(&f).unwrap().modified().unwrap(), before);
    assert_eq!(listing(dir.path()), vec!["REQTRANS.GLB"]);
}

#[test]
fn a_patch_changes_only_the_intended_fields_and_keeps_a_backup() {
    let original = reqtrans(5);
    let (dir, f) = setup("REQTRANS.GLB", &original);
    // Before: GLB306 (the pending numbers lie below the dummy's 17).
    glbtool()
        .args(["validate", "--format", "json"])
        .arg(&f)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("GLB306"));
    let out = patch_seq_ok(&["--renumber-from", "18", "--format", "json"], &f);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let patched = std::fs::read(&f).unwrap();
    assert_eq!(patched, renumbered(&original, 18));
    // The backup is the original, byte for byte.
    let bak = dir.path().join("REQTRANS.GLB.bak");
    assert_eq!(std::fs::read(&bak).unwrap(), original);
    assert_eq!(report["backup"], bak.display().to_string());
    assert_eq!(report["written"], true);
    // Only bytes +2..+8 (checksum and sync) of records 1..=5 changed, and the
    // report lists exactly the runs of changed bytes.
    let offs = record_offsets(&original);
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for (i, (a, b)) in original.iter().zip(&patched).enumerate() {
        if a != b {
            let r = offs.iter().rposition(|&o| o <= i).unwrap();
            assert!(
                r >= 1 && (2..8).contains(&(i - offs[r])),
                "byte {i} changed"
            );
            match runs.last_mut() {
                Some(x) if x.1 == i as u64 => x.1 += 1,
                _ => runs.push((i as u64, i as u64 + 1)),
            }
        }
    }
    let reported: Vec<(u64, u64)> = report["ranges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["start"].as_u64().unwrap(), r["end"].as_u64().unwrap()))
        .collect();
    assert_eq!(reported, runs);
    assert_eq!(report["records_changed"], 5);
    // After: clean.
    glbtool().arg("validate").arg(&f).assert().code(0);
    assert_eq!(
        listing(dir.path()),
        vec!["REQTRANS.GLB", "REQTRANS.GLB.bak"]
    );
}

#[test]
fn output_elsewhere_and_custom_backup_paths() {
    let original = reqtrans(2);
    let (dir, f) = setup("REQTRANS.GLB", &original);
    let out = dir.path().join("NEW.GLB");
    glbtool()
        .args([
            "patch-seq",
            "--renumber-from",
            "100",
            "--kind",
            "reqtrans",
            "-o",
        ])
        .arg(&out)
        .arg(&f)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&f).unwrap(),
        original,
        "the input is untouched"
    );
    assert_eq!(std::fs::read(&out).unwrap(), renumbered(&original, 100));
    assert_eq!(listing(dir.path()), vec!["NEW.GLB", "REQTRANS.GLB"]);
    // Patching over an existing OUT keeps OUT's old content at --backup.
    let keep = dir.path().join("keep.old");
    glbtool()
        .args(["patch-seq", "--renumber-from", "200", "-o"])
        .arg(&out)
        .arg("--backup")
        .arg(&keep)
        .arg(&f)
        .assert()
        .success();
    assert_eq!(std::fs::read(&keep).unwrap(), renumbered(&original, 100));
    assert_eq!(std::fs::read(&out).unwrap(), renumbered(&original, 200));
}

#[test]
fn the_resync_header_is_patched_in_place() {
    let original = std::fs::read(corpus("samples/queue/resync/RESYNC.GLB")).unwrap();
    let (dir, f) = setup("RESYNC.GLB", &original);
    glbtool()
        .args([
            "patch-seq",
            "--reqseq",
            "25",
            "--srvseq",
            "90",
            "--no-backup",
        ])
        .arg(&f)
        .assert()
        .success()
        .stdout(predicate::str::contains("REQSEQ=0000000025"));
    let patched = std::fs::read(&f).unwrap();
    assert_eq!(patched.len(), original.len());
    let dump =
        String::from_utf8(glbtool().args(["dump"]).arg(&f).output().unwrap().stdout).unwrap();
    assert!(dump.contains("IMPSEQ 1, REQSEQ 25, SRVSEQ 90"), "{dump}");
    // Only the first record (the header) changed.
    let first_len = usize::from(u16::from_le_bytes([original[0], original[1]]));
    assert_eq!(&patched[first_len..], &original[first_len..]);
    assert_eq!(listing(dir.path()), vec!["RESYNC.GLB"]);
    glbtool().arg("validate").arg(&f).assert().code(0);
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message_and_change_nothing() {
    let original = reqtrans(3);
    let (dir, f) = setup("REQTRANS.GLB", &original);
    let msttrans = dir.path().join("MSTTRANS.GLB");
    std::fs::copy(corpus("samples/queue/server/MSTTRANS.GLB"), &msttrans).unwrap();
    let mst = std::fs::read(&msttrans).unwrap();
    let fs = f.to_str().unwrap();
    let ms = msttrans.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--renumber-from", "-3", fs], "cannot be negative"),
        (&["--renumber-from", "ten", fs], "not a sync number"),
        (&["--renumber-from", "4294967296", fs], "not a sync number"),
        (
            &["--impseq", "1", fs],
            "--impseq does not apply to REQTRANS.GLB",
        ),
        (&[fs], "nothing to patch"),
        (&["--renumber-from", "5", ms], "this file is MSTTRANS.GLB"),
        (
            &["--renumber-from", "17", fs],
            "--renumber-from 18 or higher",
        ),
        (&["--renumber-from", "4294967295", fs], "runs past"),
        (
            &["--renumber-from", "18", "--no-backup", "--backup", "x", fs],
            "cannot be used with",
        ),
        (
            &["--renumber-from", "18", "/nonexistent/REQTRANS.GLB"],
            "No such file",
        ),
    ];
    for (args, says) in cases {
        let out = glbtool().arg("patch-seq").args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(says),
            "{args:?}: expected {says:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(std::fs::read(&f).unwrap(), original, "{args:?}");
        assert_eq!(std::fs::read(&msttrans).unwrap(), mst, "{args:?}");
        assert_eq!(
            listing(dir.path()),
            vec!["MSTTRANS.GLB", "REQTRANS.GLB"],
            "{args:?}"
        );
    }
}

#[test]
fn error_findings_stop_the_patch_unless_forced() {
    // Record 2's checksum is damaged: GLB304, which renumbering does not repair.
    let mut bytes = reqtrans(3);
    let offs = record_offsets(&bytes);
    bytes[offs[2] + 2] ^= 0xFF;
    let (dir, f) = setup("REQTRANS.GLB", &bytes);
    glbtool()
        .args(["patch-seq", "--renumber-from", "18"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("GLB304").and(predicate::str::contains("--force")));
    assert_eq!(std::fs::read(&f).unwrap(), bytes);
    assert_eq!(listing(dir.path()), vec!["REQTRANS.GLB"]);
    glbtool()
        .args(["patch-seq", "--renumber-from", "18", "--force"])
        .arg(&f)
        .assert()
        .success()
        .stdout(predicate::str::contains("--force"));
    // The damaged record was renumbered and so re-sealed; the file is now clean.
    glbtool().arg("validate").arg(&f).assert().code(0);
    assert_eq!(
        std::fs::read(dir.path().join("REQTRANS.GLB.bak")).unwrap(),
        bytes
    );
}

#[test]
fn a_file_written_by_ms_mail_is_only_patched_with_force() {
    // Every checksum foreign: renumbering one record would mix algorithms.
    let mut w = Writer::<Queue, _>::new(Vec::new(), FileKind::Reqtrans);
    for (i, text) in [
        b"# Last confirmed ReqSync".as_slice(),
        b"A X\tPCM:N/P/x",
        b"A Y\tPCM:N/P/y",
    ]
    .iter()
    .enumerate()
    {
        let mut r = QueueRecord::new(if i == 0 { 17 } else { i as u32 + 20 }, Stamp(0), text);
        r.checksum = Checksum::Stored(0x1111 * (i as u16 + 1));
        w.record(&r).unwrap();
    }
    let bytes = w.finish().unwrap();
    let (_dir, f) = setup("REQTRANS.GLB", &bytes);
    glbtool()
        .args(["patch-seq", "--renumber-from", "30"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("MS Mail's algorithm"));
    assert_eq!(std::fs::read(&f).unwrap(), bytes);
    glbtool()
        .args(["patch-seq", "--renumber-from", "30", "--force"])
        .arg(&f)
        .assert()
        .success();
    assert_ne!(std::fs::read(&f).unwrap(), bytes);
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the test hooks exist only in debug builds: run cargo test without --release"
)]
fn a_concurrent_change_of_the_target_is_refused() {
    let original = reqtrans(3);
    let (dir, f) = setup("REQTRANS.GLB", &original);
    let hooks = tempfile::tempdir().unwrap();
    let child = Command::new(assert_cmd::cargo::cargo_bin("glbtool"))
        .args(["patch-seq", "--renumber-from", "18"])
        .arg(&f)
        .env("GLBTOOL_TEST_PAUSE_DIR", hooks.path())
        .env("GLBTOOL_TEST_PAUSE_AT", "validated")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until glbtool has written and validated the new file, then change
    // the target behind its back: same size, one byte different.
    let waiting = hooks.path().join("validated.waiting");
    let start = Instant::now();
    while !waiting.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "glbtool never paused"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut changed = original.clone();
    let last = changed.len() - 2;
    changed[last] ^= 0x20;
    std::fs::write(&f, &changed).unwrap();
    std::fs::write(hooks.path().join("validated.go"), b"").unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("changed") && stderr.contains("nothing was written"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&f).unwrap(),
        changed,
        "the other writer's bytes stay"
    );
    assert_eq!(listing(dir.path()), vec!["REQTRANS.GLB"]);
}

#[test]
fn build_over_an_existing_file_keeps_a_backup() {
    let original = reqtrans(2);
    let (dir, f) = setup("REQTRANS.GLB", &original);
    let json = glbtool()
        .args(["dump", "--format", "json"])
        .arg(corpus("samples/queue/acknowledged/REQTRANS.GLB"))
        .output()
        .unwrap()
        .stdout;
    glbtool()
        .args(["build", "--kind", "reqtrans", "-", "-o"])
        .arg(&f)
        .write_stdin(json)
        .assert()
        .success()
        .stderr(predicate::str::contains("kept as"));
    assert_eq!(
        std::fs::read(&f).unwrap(),
        std::fs::read(corpus("samples/queue/acknowledged/REQTRANS.GLB")).unwrap()
    );
    assert_eq!(
        std::fs::read(dir.path().join("REQTRANS.GLB.bak")).unwrap(),
        original
    );
}

/// Copies a committed sample into `dir`.
fn copy_sample(rel: &str, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let to = dir.join(Path::new(rel).file_name().unwrap());
    std::fs::copy(corpus(rel), &to).unwrap();
    to
}

/// `glbtool validate --format json ARGS`: exit code and report.
fn validate_json(args: &[&Path]) -> (i32, serde_json::Value) {
    let out = glbtool()
        .args(["validate", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

#[test]
fn error_14_on_the_sample_network_is_repaired_by_the_command_validate_suggests() {
    let tmp = tempfile::tempdir().unwrap();
    let resync = copy_sample(
        "samples/queue/dxa-resync/RESYNC.GLB",
        &tmp.path().join("october"),
    );
    let server = tmp.path().join("server");
    let srvconf = copy_sample("samples/config/server/SRVCONF.GLB", &server);
    let reqconf = copy_sample("samples/config/server/REQCONF.GLB", &server);
    let files = [resync.as_path(), Path::new("--against"), &srvconf, &reqconf];
    let (code, report) = validate_json(&files);
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["code"], "GLB014");
    assert_eq!(findings[0]["predicts"]["number"], 14);
    let fix = findings[0]["fix"]["command"].as_str().unwrap().to_string();
    assert_eq!(
        fix,
        format!(
            "glbtool patch-seq {} --from-srvconf {}",
            resync.display(),
            srvconf.display()
        )
    );
    // Run the suggested command as written.
    let words: Vec<&str> = fix.split_whitespace().collect();
    let out = glbtool().args(&words[1..]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Clean now, and byte for byte the RESYNC.GLB made by the KB Q119449 rule.
    let (code, report) = validate_json(&files);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        std::fs::read(&resync).unwrap(),
        std::fs::read(corpus("samples/queue/resync/RESYNC.GLB")).unwrap()
    );
    assert_eq!(
        std::fs::read(resync.with_file_name("RESYNC.GLB.bak")).unwrap(),
        std::fs::read(corpus("samples/queue/dxa-resync/RESYNC.GLB")).unwrap()
    );
}

/// A requestor's REQCONF.GLB with the given numbers, made from the reset sample.
fn reqconf_with(dir: &Path, reqsync: u32, srvsync: u32, impsync: u32) -> PathBuf {
    let f = copy_sample("samples/config/reset/REQCONF.GLB", dir);
    let (r, s, i) = (
        reqsync.to_string(),
        srvsync.to_string(),
        impsync.to_string(),
    );
    patch_seq_ok(
        &[
            "--reqsync",
            &r,
            "--srvsync",
            &s,
            "--impsync",
            &i,
            "--no-backup",
            // A fixture, perhaps deliberately at odds with the files beside
            // it: not checked against them.
            "--alone",
        ],
        &f,
    );
    f
}

#[test]
fn resync_on_the_server_directory_suits_every_requestor() {
    let tmp = tempfile::tempdir().unwrap();
    // The server postoffice: its address lists, configuration and master queue.
    let server = tmp.path().join("MONTGOMERY");
    for f in common::files_below(&corpus("samples/postoffice/server")) {
        let rel = f.strip_prefix(corpus("samples/postoffice/server")).unwrap();
        std::fs::create_dir_all(server.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&f, server.join(rel)).unwrap();
    }
    let glb = server.join("GLB");
    let srvconf = copy_sample("samples/config/server/SRVCONF.GLB", &glb);
    let reqconf = copy_sample("samples/config/server/REQCONF.GLB", &glb);
    copy_sample("samples/queue/server/MSTTRANS.GLB", &glb);
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let resync = out_dir.join("RESYNC.GLB");
    glbtool()
        .args(["resync", "--date", "1994-04-11T12:13:52Z", "--server"])
        .arg(&server)
        .arg("-o")
        .arg(&resync)
        .assert()
        .success()
        .stdout(predicate::str::contains("IMPSEQ=1 REQSEQ=18 SRVSEQ=80"));
    // The header by KB Q119449; the lists of TAYLOR and LAGRANGE from the USR
    // files, the server's own users from MSTTRANS.
    let dump =
        String::from_utf8(glbtool().arg("dump").arg(&resync).output().unwrap().stdout).unwrap();
    assert_has(
        &dump,
        &[
            "R PCM:POLYNOMIAL/TAYLOR",
            "A Brook Taylor<tab>PCM:POLYNOMIAL/TAYLOR/brook",
            "R PCM:POLYNOMIAL/LAGRANGE",
            "A Paul Montgomery<tab>PCM:POLYNOMIAL/MONTGOMERY/paul",
        ],
    );
    assert!(!dump.contains("/apple"), "apple was deleted:\n{dump}");
    // Accepted against the server's configuration...
    let (code, report) = validate_json(&[&resync, Path::new("--against"), &srvconf, &reqconf]);
    assert_eq!(code, 0, "{report:#}");
    // ... and by every requestor of SRVCONF, each importing it in its own GLB
    // directory (MONTGOMERY 17/80/1, NOVEMBER 18/0/1, OCTOBER 12/71/1).
    for (name, r, s, i) in [("mont", 17, 80, 1), ("nov", 18, 0, 1), ("oct", 12, 71, 1)] {
        let dir = tmp.path().join(name);
        let conf = reqconf_with(&dir, r, s, i);
        let copy = dir.join("RESYNC.GLB");
        std::fs::copy(&resync, &copy).unwrap();
        let (code, report) = validate_json(&[&copy, &conf]);
        assert_eq!(code, 0, "{name}: {report:#}");
    }
    // A requestor whose ReqSync lies above every SRVCONF record would fail: the check can fail.
    let dir = tmp.path().join("ahead");
    let conf = reqconf_with(&dir, 40, 80, 1);
    std::fs::copy(&resync, dir.join("RESYNC.GLB")).unwrap();
    let (code, report) = validate_json(&[&dir.join("RESYNC.GLB"), &conf]);
    assert_eq!(code, 1);
    assert_eq!(report["findings"][0]["code"], "GLB014");
    // Files of the wrong kind are refused.
    glbtool()
        .args(["resync", "--srvconf"])
        .arg(glb.join("MSTTRANS.GLB"))
        .arg("--lists")
        .arg(&server)
        .arg("-o")
        .arg(out_dir.join("X.GLB"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected SRVCONF.GLB"));
    assert!(!out_dir.join("X.GLB").exists());
}

#[test]
fn reqconf_reset_sets_the_queue_pointers_that_listds_3_5_forgot() {
    use glb_formats::reqconf::{ReqConf, ReqConfFile};
    let conf = ReqConf {
        reqsync: 18,
        impsync: 1,
        usrtrans_pointer: 0x1234,
        srvtrans_pointer: 77,
        ..ReqConf::default()
    };
    let doc = glb_formats::Document::<ReqConfFile> {
        kind: FileKind::Reqconf,
        header: Some(conf),
        records: vec![],
        trailing: vec![],
    };
    let original = doc.to_bytes().unwrap();
    let (dir, f) = setup("REQCONF.GLB", &original);
    let text = patch_seq_ok(&["--reset"], &f);
    assert!(text.contains("usrtrans_pointer 4660 -> -1"), "{text}");
    let patched = std::fs::read(&f).unwrap();
    // ReqSync..import count (+31..+43) and the four pointers (+51..+67) only.
    for (i, (a, b)) in original.iter().zip(&patched).enumerate() {
        if a != b {
            assert!((31..43).contains(&i) || (51..67).contains(&i), "byte {i}");
        }
    }
    assert_eq!(&patched[51..67], &[0xFF; 16]);
    assert_eq!(
        std::fs::read(dir.path().join("REQCONF.GLB.bak")).unwrap(),
        original
    );
}

#[test]
fn srvconf_requestors_are_named_and_an_unknown_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let f = copy_sample("samples/config/server/SRVCONF.GLB", tmp.path());
    let original = std::fs::read(&f).unwrap();
    glbtool()
        .args([
            "patch-seq",
            "--requestor",
            "PCM:POLYNOMIAL/DECEMBER",
            "--reqsync",
            "5",
        ])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no requestor named PCM:POLYNOMIAL/DECEMBER")
                .and(predicate::str::contains("PCM:POLYNOMIAL/OCTOBER")),
        );
    glbtool()
        .args(["patch-seq", "--reqsync", "5"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--requestor"));
    glbtool()
        .args(["patch-seq", "--reset"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--reset does not apply to SRVCONF.GLB",
        ));
    assert_eq!(std::fs::read(&f).unwrap(), original);
    assert_eq!(listing(tmp.path()), vec!["SRVCONF.GLB"]);
    // OCTOBER is record 2, at 1024 + 2 * 1024: its SrvSync at +45.
    patch_seq_ok(
        &["--requestor", "polynomial/october", "--srvsync", "80"],
        &f,
    );
    let patched = std::fs::read(&f).unwrap();
    for (i, (a, b)) in original.iter().zip(&patched).enumerate() {
        if a != b {
            assert!((3072 + 45..3072 + 49).contains(&i), "byte {i}");
        }
    }
    assert_eq!(&patched[3072 + 45..3072 + 49], &80u32.to_le_bytes());
    // --from-srvconf wants a SRVCONF.GLB.
    let r = copy_sample("samples/queue/resync/RESYNC.GLB", tmp.path());
    glbtool()
        .args(["patch-seq", "--from-srvconf"])
        .arg(corpus("samples/queue/server/MSTTRANS.GLB"))
        .arg(&r)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("needs the server's SRVCONF.GLB"));
}

#[test]
fn renumbering_must_clear_the_reqsync_of_the_reqconf_beside_it() {
    // "No requestor updates to send" (KB Q119452): REQCONF ReqSync 25, the
    // pending transactions numbered 1..3 (GLB171, with the fix validate gives).
    let original = reqtrans(3);
    let (dir, f) = setup("REQTRANS.GLB", &original);
    let conf = reqconf_with(dir.path(), 25, 80, 1);
    let (code, report) = validate_json(&[&f, &conf]);
    assert_eq!(code, 1);
    let fix = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "GLB171")
        .unwrap()["fix"]["command"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fix.ends_with("--renumber-from 26"), "{fix}");
    // Numbers above the dummy but not above ReqSync are refused.
    glbtool()
        .args(["patch-seq", "--renumber-from", "18"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("GLB171").and(predicate::str::contains("nothing was written")),
        );
    assert_eq!(std::fs::read(&f).unwrap(), original);
    // The suggested command repairs it.
    let words: Vec<&str> = fix.split_whitespace().collect();
    glbtool().args(&words[1..]).assert().success();
    assert_eq!(std::fs::read(&f).unwrap(), renumbered(&original, 26));
    let (code, report) = validate_json(&[&f, &conf]);
    assert_eq!(code, 0, "{report:#}");
}

/// Copies a committed corpus directory into `to`; returns every file copied.
fn copy_tree(rel: &str, to: &Path) -> Vec<PathBuf> {
    let from = corpus(rel);
    common::files_below(&from)
        .into_iter()
        .map(|f| {
            let dest = to.join(f.strip_prefix(&from).unwrap());
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(&f, &dest).unwrap();
            dest
        })
        .collect()
}

#[test]
fn the_error14_scenario_of_the_simulated_network_is_repaired_by_the_suggested_command() {
    let tmp = tempfile::tempdir().unwrap();
    let files = copy_tree("scenarios/error14", tmp.path());
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (code, report) = validate_json(&paths);
    assert_eq!(code, 1);
    let codes = finding_codes(&report);
    assert_eq!(codes, vec!["GLB014"], "{report:#}");
    let fix = report["findings"][0]["fix"]["command"]
        .as_str()
        .unwrap()
        .to_string();
    let words: Vec<&str> = fix.split_whitespace().collect();
    assert_eq!(&words[..2], &["glbtool", "patch-seq"]);
    glbtool().args(&words[1..]).assert().success();
    // Clean now, and the same file the simulator makes by the KB Q119449 rule.
    let (code, report) = validate_json(&paths);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        std::fs::read(tmp.path().join("TAYLOR/GLB/RESYNC.GLB")).unwrap(),
        std::fs::read(corpus("scenarios/good-resync/TAYLOR/GLB/RESYNC.GLB")).unwrap()
    );
}

#[test]
fn resync_on_the_simulated_server_is_accepted_by_every_requestor() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = copy_tree("network", tmp.path());
    let taylor = tmp.path().join("TAYLOR/GLB/RESYNC.GLB");
    glbtool()
        .args(["resync", "--server"])
        .arg(tmp.path().join("MONTGOMERY"))
        .arg("-o")
        .arg(&taylor)
        .assert()
        .success();
    // Each requestor imports it from its own GLB directory, beside its REQCONF.GLB.
    let lagrange = tmp.path().join("LAGRANGE/GLB/RESYNC.GLB");
    std::fs::copy(&taylor, &lagrange).unwrap();
    files.extend([taylor.clone(), lagrange]);
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (code, report) = validate_json(&paths);
    assert_eq!(code, 0, "{report:#}");
    // Replaying it gives every list the server holds for the other postoffices.
    let dump =
        String::from_utf8(glbtool().arg("dump").arg(&taylor).output().unwrap().stdout).unwrap();
    assert_has(
        &dump,
        &[
            "R PCM:POLYNOMIAL/TAYLOR",
            "R PCM:POLYNOMIAL/LAGRANGE",
            "R PCM:POLYNOMIAL/MONTGOMERY",
        ],
    );
}
