//! The code page travels with the command, never with the thread: text in a
//! code page other than 850 reads the same on one thread and on many, and a
//! JSON dump builds back with the code page it names (issue 19 point 2).

mod common;

use common::{corpus, glbtool};

/// An MSTTRANS.GLB of 8,000 records whose names hold byte 0xD0 (`╨` in code
/// page 437, `ð` in 850), every fifth with a mailbox name too long for the
/// Import grammar, so validate quotes the name in its finding.
fn non_ascii_msttrans() -> Vec<u8> {
    use glb_formats::fields::Stamp;
    use glb_formats::format::Document;
    use glb_formats::queue::{Queue, QueueRecord};
    use glb_formats::FileKind;

    let mut doc = Document::<Queue>::new(FileKind::Msttrans);
    for i in 0..8000u32 {
        let mut text = b"A Pa\xD0\xD0l ".to_vec();
        text.extend_from_slice(i.to_string().as_bytes());
        text.extend_from_slice(b"\tPCM:N/PO/pa\xD0\xD0l");
        if i % 5 == 0 {
            text.extend_from_slice(b"toolong");
        }
        text.extend_from_slice(i.to_string().as_bytes());
        doc.records
            .push(QueueRecord::new(i + 1, Stamp(765_720_832 + i * 60), &text));
    }
    doc.to_bytes().unwrap()
}

/// `validate --codepage 437` and `doctor --codepage 437` word their findings
/// in code page 437 whatever the number of threads: the issue saw `pa╨╨l` on
/// one thread and `paððl` (code page 850) on the worker threads.
#[test]
fn non_ascii_text_in_cp437_does_not_depend_on_the_number_of_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let glb = tmp.path().join("PO").join("GLB");
    std::fs::create_dir_all(&glb).unwrap();
    let bytes = non_ascii_msttrans();
    // Larger than one batch, so the worker threads really share the work.
    assert!(bytes.len() > 300_000, "{} bytes", bytes.len());
    let path = glb.join("MSTTRANS.GLB");
    std::fs::write(&path, &bytes).unwrap();
    let run = |threads: Option<&str>, args: &[&str], target: &std::path::Path| {
        let mut cmd = glbtool();
        match threads {
            Some(n) => cmd.env("GLBTOOL_THREADS", n),
            None => cmd.env_remove("GLBTOOL_THREADS"),
        };
        let out = cmd.args(args).arg(target).output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let po = tmp.path().join("PO");
    for (args, target) in [
        (&["validate", "--codepage", "437"][..], path.as_path()),
        (
            &["validate", "--codepage", "437", "--format", "json"],
            &path,
        ),
        (&["doctor", "--codepage", "437"], &po),
        (&["doctor", "--codepage", "437", "--format", "json"], &po),
    ] {
        let one = run(Some("1"), args, target);
        // The mailbox name as code page 437 reads it, never as 850 does.
        assert!(one.1.contains("pa╨╨ltoolong"), "{args:?}: {}", one.1);
        assert!(!one.1.contains('ð'), "{args:?}: {}", one.1);
        for threads in [None, Some("2"), Some("3")] {
            assert!(
                run(threads, args, target) == one,
                "{args:?} with GLBTOOL_THREADS={threads:?} differs from one thread"
            );
        }
    }
}

/// `dump -f json --codepage 437 | build` gives back the file byte for byte
/// when its header holds a high byte: the document names code page 437 and
/// build reads the header with it (the issue saw SRVCONF.GLB's header byte
/// 0x9D come back as 0xBE).
#[test]
fn a_cp437_json_dump_builds_back_byte_exact_with_high_bytes_in_the_header() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(corpus("network/MONTGOMERY/GLB/SRVCONF.GLB")).unwrap();
    // The header's administrator mailbox starts at offset 8: "ADMIN" becomes
    // "A\x9DMIN", `A¥MIN` in code page 437 (`AØMIN` in 850).
    assert_eq!(&bytes[8..13], b"ADMIN");
    bytes[9] = 0x9D;
    let src = tmp.path().join("SRVCONF.GLB");
    std::fs::write(&src, &bytes).unwrap();
    let out = glbtool()
        .args(["dump", "-f", "json", "--codepage", "437"])
        .arg(&src)
        .output()
        .unwrap();
    assert!(out.status.success());
    let json = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["codepage"], 437);
    assert_eq!(v["header"]["admin_mailbox"], "A¥MIN");
    let built = tmp.path().join("OUT.GLB");
    glbtool()
        .args(["build", "-", "-o"])
        .arg(&built)
        .write_stdin(json.clone())
        .assert()
        .success();
    assert_eq!(std::fs::read(&built).unwrap(), bytes);
    // And the same with the kind named, as a script would write it.
    let built = tmp.path().join("OUT2.GLB");
    glbtool()
        .args(["build", "--kind", "srvconf", "-", "-o"])
        .arg(&built)
        .write_stdin(json)
        .assert()
        .success();
    assert_eq!(std::fs::read(&built).unwrap(), bytes);
}
