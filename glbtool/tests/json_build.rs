//! `glbtool build` as a user runs it: strict JSON, bounded memory, documents
//! and NDJSON streams, and what each edit does (`docs/json.md`).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{corpus, glbtool, listing};

/// The path of the glbtool binary under test.
fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("glbtool")
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
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
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
    assert!(listing(dir.path()).is_empty());
    let o = glbtool()
        .args(["build", "--kind", "reqtrans", "-", "-o"])
        .arg(&out)
        .write_stdin(r#"{"format": "glbtool-json/1"}"#)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("JSON records: missing"), "{err}");
    assert!(listing(dir.path()).is_empty());
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
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn an_ndjson_duplicate_key_is_reported_on_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    let queue = corpus("samples/queue/server/MSTTRANS.GLB");
    let dump = glbtool()
        .args(["dump", "-f", "ndjson"])
        .arg(&queue)
        .output()
        .unwrap();
    assert!(dump.status.success());
    let text = String::from_utf8(dump.stdout).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(lines.len() > 4, "{text}");
    // Line 3 is the second record: give it a second `sync`, as a person
    // editing by hand might.
    assert!(lines[2].starts_with('{'), "{}", lines[2]);
    lines[2] = format!("{{\"sync\":7,{}", &lines[2][1..]);
    let stream = dir.path().join("MSTTRANS.ndjson");
    std::fs::write(&stream, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("OUT.GLB");
    let o = glbtool()
        .args(["build"])
        .arg(&stream)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("JSON line 3: .sync: duplicate key `sync`"),
        "{err}"
    );
    // serde_json's own position (it reads one line at a time) said line 1.
    assert!(err.contains(" at line 3 column "), "{err}");
    assert!(!err.contains("line 1"), "{err}");
    assert!(!out.exists());
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

/// Copies `corpus/<rel>` to `to`.
fn copy_tree(rel: &str, to: &Path) {
    for f in common::files_below(&corpus(rel)) {
        let dest = to.join(f.strip_prefix(corpus(rel)).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dest).unwrap();
    }
}

fn dump_json(file: &Path) -> serde_json::Value {
    let o = glbtool()
        .args(["dump", "-f", "json"])
        .arg(file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// `build` of `doc` to `out`: exit code and standard error.
fn build_doc(doc: &serde_json::Value, out: &Path, extra: &[&str]) -> (i32, String) {
    let o = glbtool()
        .arg("build")
        .args(extra)
        .args(["-", "-o"])
        .arg(out)
        .write_stdin(doc.to_string())
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Each GAL entry's name with the address the text view resolves it to.
fn gal_addresses(gal: &Path) -> Vec<(String, String)> {
    let o = glbtool()
        .args(["dump", "--color", "never"])
        .arg(gal)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.contains("external user"))
        .map(|l| {
            // "#  Type  TID  Hexid  Name  Address (GALNETPO.GLB record N)":
            // columns apart by two spaces or more.
            let cols: Vec<&str> = l
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            let addr = cols[5].split(" (GALNETPO").next().unwrap().to_string();
            (cols[4].to_string(), addr)
        })
        .collect()
}

#[test]
fn a_galnetpo_record_is_deleted_by_its_status_not_by_removing_it() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree("network/MONTGOMERY", tmp.path());
    let galnetpo = tmp.path().join("GLB/GALNETPO.GLB");
    let gal_path = tmp.path().join("NME/GAL.NME");
    let before = gal_addresses(&gal_path);
    assert!(before.len() > 5, "{before:?}");
    let netpo = dump_json(&galnetpo);
    let gal = dump_json(&gal_path);
    // Colin Gauss has a GALNETPO record of his own.
    let colin = gal["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Colin Gauss")
        .unwrap()
        .clone();
    let pointer = colin["pointer"].as_u64().unwrap();
    // KB Q107767 and Q77926: the pointer is the byte offset 4 + 43 × index.
    assert_eq!((pointer - 4) % 43, 0);
    let k = ((pointer - 4) / 43) as usize;
    assert_eq!(netpo["records"][k]["mailbox"], "colin");

    // Removing the record from the array is refused: every later pointer
    // would lead to the next person's address.
    let mut removed = netpo.clone();
    removed["records"].as_array_mut().unwrap().remove(k);
    let (code, err) = build_doc(&removed, &galnetpo, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("JSON records[{k}].index")), "{err}");
    assert!(err.contains("status"), "{err}");
    // So is removing it with its index and offset, or removing the last record:
    // the GAL entries beside the output would break.
    for r in removed["records"].as_array_mut().unwrap() {
        let r = r.as_object_mut().unwrap();
        r.remove("index");
        r.remove("offset");
    }
    let (code, err) = build_doc(&removed, &galnetpo, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("would break"), "{err}");
    let mut last = netpo.clone();
    last["records"].as_array_mut().unwrap().pop();
    let (code, err) = build_doc(&last, &galnetpo, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("would break"), "{err}");
    assert_eq!(
        std::fs::read(&galnetpo).unwrap(),
        std::fs::read(corpus("network/MONTGOMERY/GLB/GALNETPO.GLB")).unwrap()
    );

    // The documented way: status 0 (deleted), the record left in place;
    // the GAL entry that led there goes (GAL.NME records are not pointed at
    // by these files). GALNETPO.GLB's first 4 bytes are REBUILD's TID source
    // (KB Q135486), not a delete chain: they stay.
    let mut deleted = netpo.clone();
    deleted["records"][k]["status"] = 0.into();
    let (code, err) = build_doc(&deleted, &galnetpo, &["--no-backup"]);
    assert_eq!(code, 2, "the GAL entry still points at it: {err}");
    let mut gal2 = gal.clone();
    let recs = gal2["records"].as_array_mut().unwrap();
    let at = recs
        .iter()
        .position(|r| r["name"] == "Colin Gauss")
        .unwrap();
    recs.remove(at);
    for r in recs.iter_mut().skip(at) {
        let r = r.as_object_mut().unwrap();
        r.remove("index");
        r.remove("offset");
    }
    let (code, err) = build_doc(&gal2, &gal_path, &["--no-backup"]);
    assert_eq!(code, 0, "{err}");
    let (code, err) = build_doc(&deleted, &galnetpo, &["--no-backup"]);
    assert_eq!(code, 0, "{err}");

    // doctor is clean, and every other GAL entry leads to the address it had.
    let o = glbtool().arg("doctor").arg(tmp.path()).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let after = gal_addresses(&gal_path);
    let expected: Vec<(String, String)> = before
        .into_iter()
        .filter(|(n, _)| n != "Colin Gauss")
        .collect();
    assert_eq!(after, expected);
}
