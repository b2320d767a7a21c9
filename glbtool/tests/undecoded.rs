//! Files glbtool does not model are named, not guessed (issue 15 point 6),
//! and a kind guessed from the content says so in every output.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_has, corpus, glbtool};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], files: &[&Path]) -> Out {
    let o = glbtool().args(args).args(files).output().unwrap();
    Out {
        code: o.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A copy of TAYLOR's GLB folder with a 1,024-byte CONTROL.GLB (KB Q77926
/// says 8), an ACCESS2.GLB of two 69-byte records and a backup of REQTRANS.GLB
/// named RESYNC.GLB.bak.
fn glb_with_undecoded() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let po = tmp.path().join("TAYLOR");
    let glb = po.join("GLB");
    std::fs::create_dir_all(&glb).unwrap();
    for e in std::fs::read_dir(corpus("network/TAYLOR/GLB")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), glb.join(e.file_name())).unwrap();
    }
    std::fs::write(glb.join("CONTROL.GLB"), vec![0u8; 1024]).unwrap();
    std::fs::write(glb.join("ACCESS2.GLB"), vec![0u8; 138]).unwrap();
    std::fs::copy(glb.join("REQTRANS.GLB"), glb.join("RESYNC.GLB.bak")).unwrap();
    (tmp, glb)
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn identify_names_ms_mail_files_and_never_guesses_them() {
    let (_tmp, glb) = glb_with_undecoded();
    let files = files_in(&glb);
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let o = run(&["identify"], &refs);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let line = |name: &str| {
        o.stdout
            .lines()
            .find(|l| l.contains(&format!("/{name}:")))
            .unwrap_or_else(|| panic!("{name} in\n{}", o.stdout))
            .to_string()
    };
    let control = line("CONTROL.GLB");
    assert_has(
        &control,
        &[
            "MS Mail file, not decoded by glbtool: CONTROL.GLB",
            "documented size: always 8 bytes, which this file does not meet",
        ],
    );
    assert!(!control.contains("SRVCONF"), "{control}");
    let access2 = line("ACCESS2.GLB");
    assert!(
        access2.contains("MS Mail file, not decoded by glbtool: ACCESS2.GLB"),
        "{access2}"
    );
    // A backup of RESYNC.GLB is read as RESYNC.GLB, by its name.
    let bak = line("RESYNC.GLB.bak");
    assert!(bak.contains(": RESYNC.GLB, 49 bytes"), "{bak}");
    assert!(!bak.contains("guessed"), "{bak}");
    let o = run(&["identify", "-f", "json"], &refs);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let control = v
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("CONTROL.GLB"))
        .unwrap();
    assert_eq!(control["kind"], serde_json::Value::Null);
    assert_eq!(control["msmail"]["name"], "CONTROL.GLB");
    assert_eq!(control["msmail"]["size_fits"], false);
}

#[test]
fn validate_and_doctor_skip_them_without_failing() {
    let (tmp, glb) = glb_with_undecoded();
    let files = files_in(&glb);
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let o = run(&["validate"], &refs);
    // CONTROL.GLB breaks its documented size (KB Q77926): GLB303, exit 1.
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("GLB303  CONTROL.GLB"), "{}", o.stdout);
    assert!(
        o.stdout
            .contains("GLB360  MS Mail file, not decoded by glbtool: the users' mailbag lookup"),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains("not read ("), "{}", o.stdout);
    assert!(o.stderr.is_empty(), "{}", o.stderr);
    let o = run(&["doctor"], &[tmp.path()]);
    assert!(o.code != 2, "{}{}", o.stdout, o.stderr);
    assert!(!o.stdout.contains("SRVCONF.GLB"), "{}", o.stdout);
    // A file that keeps its documented size is skipped without a word.
    std::fs::write(glb.join("CONTROL.GLB"), [0u8; 8]).unwrap();
    let files = files_in(&glb);
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let o = run(&["validate"], &refs);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
}

#[test]
fn dump_shows_their_bytes_plainly_and_says_so() {
    let (_tmp, glb) = glb_with_undecoded();
    let control = glb.join("CONTROL.GLB");
    for format in ["text", "hex"] {
        let o = run(&["dump", "-f", format], &[&control]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let mut lines = o.stdout.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .contains("not shown as records: MS Mail file, not decoded by glbtool"),
            "{}",
            o.stdout
        );
        assert_eq!(lines.next().unwrap(), "CONTROL.GLB: all 1024 bytes in hex");
        assert!(!o.stdout.contains("highest_srvsync"), "{}", o.stdout);
    }
    let o = run(&["dump", "-f", "json"], &[&control]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("MS Mail file, not decoded by glbtool"),
        "{}",
        o.stderr
    );
    // --kind still reads it as what the user says.
    let o = run(&["dump", "--kind", "srvconf"], &[&control]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[test]
fn a_kind_guessed_from_the_content_is_labelled_in_every_output() {
    let (tmp, glb) = glb_with_undecoded();
    let x = tmp.path().join("x.bin");
    std::fs::copy(glb.join("REQTRANS.GLB"), &x).unwrap();
    let title = "guessed from size and content";
    let text = run(&["dump"], &[&x]);
    assert!(
        text.stdout.lines().next().unwrap().contains(title),
        "{}",
        text.stdout
    );
    let hex = run(&["dump", "-f", "hex"], &[&x]);
    assert!(
        hex.stdout.lines().next().unwrap().contains(title),
        "{}",
        hex.stdout
    );
    let json = run(&["dump", "-f", "json"], &[&x]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["kind_guessed"], true);
    // build takes the document back.
    glbtool()
        .args(["build", "-", "-o"])
        .arg(tmp.path().join("back.GLB"))
        .write_stdin(json.stdout.as_bytes())
        .assert()
        .success();
    let nd = run(&["dump", "-f", "ndjson"], &[&x]);
    let first: serde_json::Value = serde_json::from_str(nd.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["kind_guessed"], true);
    let html = run(&["dump", "-f", "html"], &[&x]);
    assert!(html.stdout.contains(title), "no label in the HTML page");
    let id = run(&["identify"], &[&x]);
    assert!(id.stdout.contains(title), "{}", id.stdout);
    let val = run(&["validate"], &[&x]);
    assert!(
        val.stdout.contains("guessed from its size and content"),
        "{}",
        val.stdout
    );
    let named = glb.join("REQTRANS.GLB");
    let d = run(&["diff"], &[&x, &named]);
    assert!(
        d.stdout.lines().next().unwrap().contains("kind guessed"),
        "{}",
        d.stdout
    );
}
