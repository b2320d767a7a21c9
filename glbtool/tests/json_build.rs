//! `glbtool build` as a user runs it: strict JSON, bounded memory, documents
//! and NDJSON streams, and what each edit does (`docs/json.md`).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{corpus, glbtool};

/// The path of the glbtool binary under test.
fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("glbtool")
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Runs `build - -o OUT` under a 256 MiB address-space limit with standard
/// input `head`, `n` bytes of `A`, `tail` (written as it is read, never
/// held); returns the exit code and standard error.
fn build_limited(dir: &Path, head: &str, n: u64, tail: &str) -> (i32, String) {
    let out = dir.join("OUT.GLB");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 262144 && exec \"$0\" build - -o \"$1\"")
        .arg(binary())
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let head = head.as_bytes().to_vec();
    let tail = tail.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        // The reader may stop early (that is the point): write errors end it.
        let chunk = vec![b'A'; 1 << 16];
        let _ = stdin.write_all(&head);
        let mut left = n;
        while left > 0 {
            let k = left.min(chunk.len() as u64) as usize;
            if stdin.write_all(&chunk[..k]).is_err() {
                return;
            }
            left -= k as u64;
        }
        let _ = stdin.write_all(&tail);
    });
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn huge_values_exit_2_with_their_path_under_256_mib_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let head = r#"{"format": "glbtool-json/1", "kind": "reqtrans", "codepage": 850, "header": null, "records": [{"sync": 1, "date_stamp": 0, "text": ""#;
    let (code, err) = build_limited(dir.path(), head, 300_000_000, "\"}]}");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("JSON records[0].text"), "{err}");
    assert!(!err.contains("memory allocation"), "{err}");

    let head = r#"{"format": "glbtool-json/1", "kind": "reqtrans", "codepage": 850, "header": null, "records": [{"sync": 1, "date_stamp": 0, "text": "R PCM:N/P", "info": {"x": ""#;
    let (code, err) = build_limited(dir.path(), head, 48_000_000, "\"}}]}");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("JSON records[0].info"), "{err}");

    // 48 MB of small values in `info`: bounded by the count of values too.
    let zeros = "0,".repeat(24_000_000);
    let head = format!(
        r#"{{"format": "glbtool-json/1", "kind": "reqtrans", "header": null, "records": [{{"sync": 1, "date_stamp": 0, "text": "R PCM:N/P", "info": {{"x": [{zeros}"#
    );
    let (code, err) = build_limited(dir.path(), &head, 0, "0]}}]}");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("JSON records[0].info.x["), "{err}");

    // No output and no temporary file beside it.
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

#[test]
fn an_empty_object_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("REQTRANS.GLB");
    let o = glbtool()
        .args(["build", "-", "-o"])
        .arg(&out)
        .write_stdin("{}")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("JSON format: missing"), "{err}");
    assert!(names(dir.path()).is_empty());
    let o = glbtool()
        .args(["build", "--kind", "reqtrans", "-", "-o"])
        .arg(&out)
        .write_stdin(r#"{"format": "glbtool-json/1"}"#)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("JSON records: missing"), "{err}");
    assert!(names(dir.path()).is_empty());
}

#[test]
fn duplicate_records_arrays_are_refused_not_concatenated() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("REQTRANS.GLB");
    let rec = r#"{"sync": 1, "date_stamp": 0, "text": "R PCM:N/P"}"#;
    let json = format!(
        r#"{{"format": "glbtool-json/1", "kind": "reqtrans", "header": null, "records": [{rec}], "records": [{rec}]}}"#
    );
    let o = glbtool()
        .args(["build", "-", "-o"])
        .arg(&out)
        .write_stdin(json)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("JSON records: duplicate key `records`"),
        "{err}"
    );
    assert!(names(dir.path()).is_empty());
}

#[test]
fn kind_and_code_page_come_from_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let file = corpus("network/MONTGOMERY/NME/GAL.NME");
    let doc = glbtool()
        .args(["dump", "-f", "json", "--codepage", "437"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(doc.status.success());
    let out = dir.path().join("GAL.NME");
    let b = glbtool()
        .args(["build", "-", "-o"])
        .arg(&out)
        .write_stdin(doc.stdout.clone())
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&file).unwrap());
    // Options that disagree with the document are refused.
    for (opt, val, says) in [
        ("--kind", "usr", "--kind usr"),
        ("--codepage", "850", "--codepage 850"),
    ] {
        let b = glbtool()
            .args(["build", opt, val, "-", "-o"])
            .arg(dir.path().join("OUT.BIN"))
            .write_stdin(doc.stdout.clone())
            .output()
            .unwrap();
        assert_eq!(b.status.code(), Some(2));
        let err = String::from_utf8_lossy(&b.stderr);
        assert!(err.contains(says), "{err}");
    }
}

/// Files with bytes above 0x7F in header and record text fields, one per
/// family that has text: (name, kind, bytes).
fn high_byte_files() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    use glb_formats::fields::Text;
    use glb_formats::format::Document;
    use glb_formats::nme::{Nme, NmeRecord};
    use glb_formats::queue::{Queue, QueueRecord};
    use glb_formats::srvconf::{RequestorRecord, SrvConfFile, SrvConfHeader};
    use glb_formats::{FileKind, Hexid};
    fn high<const N: usize>(from: u8) -> Text<N> {
        let mut raw = [0u8; N];
        for (i, b) in raw.iter_mut().take(N - 1).enumerate() {
            *b = from.wrapping_add(i as u8) | 0x80;
        }
        Text(raw)
    }
    let every: Vec<u8> = (1..=255u8).collect();
    let mut queue = Document::<Queue>::new(FileKind::Reqtrans);
    queue
        .records
        .push(QueueRecord::new(1, Default::default(), &every));
    let mut srvconf = Document::<SrvConfFile>::new(FileKind::Srvconf);
    srvconf.header = Some(SrvConfHeader {
        admin_mailbox: high(0x80),
        ..SrvConfHeader::default()
    });
    srvconf.records.push(RequestorRecord {
        name: high(0xA0),
        password: high(0xC0),
        types: high(0x81),
        ..RequestorRecord::default()
    });
    let mut nme = Document::<Nme>::new(FileKind::Nme);
    for from in (0x80..=0xFF).step_by(30) {
        nme.records.push(NmeRecord {
            entry_type: 1,
            name: high(from as u8),
            tid: 0x100,
            pointer: 0,
            hexid: Hexid(7),
        });
    }
    vec![
        ("REQTRANS.GLB", "reqtrans", queue.to_bytes().unwrap()),
        ("SRVCONF.GLB", "srvconf", srvconf.to_bytes().unwrap()),
        ("ADMIN.NME", "nme", nme.to_bytes().unwrap()),
    ]
}

#[test]
fn dump_with_any_code_page_then_build_is_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    for &cp in glb_formats::CodePage::ALL {
        for (name, kind, bytes) in high_byte_files() {
            let file = dir.path().join(name);
            std::fs::write(&file, &bytes).unwrap();
            for form in ["json", "ndjson"] {
                let doc = glbtool()
                    .args(["dump", "-f", form, "--kind", kind, "--codepage"])
                    .arg(cp.to_string())
                    .arg(&file)
                    .output()
                    .unwrap();
                assert!(
                    doc.status.success(),
                    "{}",
                    String::from_utf8_lossy(&doc.stderr)
                );
                let out = dir.path().join(format!("built-{name}"));
                let b = glbtool()
                    .args(["build", "--no-backup", "-", "-o"])
                    .arg(&out)
                    .write_stdin(doc.stdout)
                    .output()
                    .unwrap();
                assert!(
                    b.status.success(),
                    "{cp} {name} {form}: {}",
                    String::from_utf8_lossy(&b.stderr)
                );
                assert_eq!(
                    std::fs::read(&out).unwrap(),
                    bytes,
                    "code page {cp}, {name}, {form}"
                );
            }
        }
    }
}
