//! `glbtool probe` end to end: the verdict first, the evidence after; a file
//! that does not fit says where its fields are; the redacted report and
//! copy hide names and keep numbers, lengths and checksum relations.

mod common;

use std::path::Path;

use common::{assert_has, corpus, glbtool, stdout_of};
use glb_formats::probe::checksum;

/// Runs `glbtool probe ARGS`; returns exit code and standard output.
fn probe(args: &[&str]) -> (i32, String) {
    let out = glbtool().arg("probe").args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_verdict_comes_first_and_the_json_says_the_same() {
    let f = corpus("network/MONTGOMERY/GLB/MSTTRANS.GLB");
    let (code, text) = probe(&[path(&f)]);
    assert_eq!(code, 0, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("probe of "), "{text}");
    assert_eq!(lines[2], "Verdict: FITS", "{text}");
    assert!(
        lines[3].contains("fits glbtool's MSTTRANS layout"),
        "{text}"
    );
    // A fit does not turn a reconstruction into fact, and the verdict says so.
    assert!(
        lines[3].contains("still its reconstruction, not documented fact"),
        "{text}"
    );
    // The evidence follows: framing, then the layout field by field.
    let framing = text.find("\nFraming\n").unwrap();
    let layout = text.find("layout against the bytes").unwrap();
    assert!(framing < layout);
    assert!(text.contains("CRC-16/ARC over every byte of the record except the field"));

    let (code, json) = probe(&["--format", "json", path(&f)]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["verdict"], "fits");
    assert_eq!(v["comparison"]["framing"], "fits");
    let record = v["comparison"]["record"].as_array().unwrap();
    let sync = record.iter().find(|f| f["name"] == "sync").unwrap();
    assert_eq!(sync["status"], "fits");
    assert_eq!(sync["claim"], "sequence");
    assert!(v["proposal"]["record"].as_array().unwrap().len() >= 5);
}

/// The export sample holds the six checksums LISTQ printed (KB Q96060),
/// which glbtool's reconstructed algorithm does not reproduce.
#[test]
fn a_file_written_by_ms_mail_fits_except_the_checksum() {
    let f = corpus("samples/queue/export/REQTRANS.GLB");
    let (code, text) = probe(&[path(&f)]);
    assert_eq!(code, 1, "{text}");
    assert_has(
        &text,
        &[
            "Verdict: FITS EXCEPT THE CHECKSUM",
            "probe searched this field: no CRC-16, CRC-32 or sum",
        ],
    );
}

/// A queue whose sync number and checksum have swapped places: the report
/// says the file does not fit, and where the fields are.
#[test]
fn a_file_that_does_not_fit_says_where_its_fields_are() {
    let alg = checksum::algorithm("CRC-16/ARC").unwrap();
    let mut file = Vec::new();
    for i in 0..12u32 {
        let text = format!("A Person {i}\tPCM:NET/PO/P{i}");
        let mut r = vec![0u8; 24];
        r.extend_from_slice(text.as_bytes());
        r.push(0);
        let n = r.len() as u16;
        r[0..2].copy_from_slice(&n.to_le_bytes());
        r[2..6].copy_from_slice(&(100 + i).to_le_bytes());
        r[8..12].copy_from_slice(&(765_720_832 + 60 * i).to_le_bytes());
        let c = checksum::compute(alg, &[&r[..6], &r[8..]]) as u16;
        r[6..8].copy_from_slice(&c.to_le_bytes());
        file.extend_from_slice(&r);
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("MSTTRANS.GLB");
    std::fs::write(&f, &file).unwrap();
    let (code, text) = probe(&[path(&f)]);
    assert_eq!(code, 1, "{text}");
    assert_has(&text, &["Verdict: DOES NOT FIT", "(checksum, sync)"]);
    let sync = text
        .lines()
        .find(|l| l.trim_start().starts_with("sync "))
        .unwrap();
    assert!(
        sync.contains("DIFFERS") && sync.contains("values there are not increasing"),
        "{sync}"
    );
    assert_has(&text, &["-> a counter (u32 LE) is at +2: +1 per record in 11 of 11 steps", "-> a checksum (u16 LE) is at +6: CRC-16/ARC over every byte of the record except the field"]);
}

#[test]
fn every_corpus_file_probed_in_its_postoffice_fits() {
    // One postoffice of the committed network, with its files beside each
    // other (pointers and hexids are tested against them).
    for f in common::files_below(&corpus("network/MONTGOMERY")) {
        let (code, text) = probe(&[path(&f)]);
        assert_eq!(code, 0, "{}:\n{text}", f.display());
        assert!(text.contains("Verdict: FITS\n"), "{}:\n{text}", f.display());
    }
    // Pointers into NETPO.GLB beside the address list are seen.
    let (_, text) = probe(&[path(&corpus("network/MONTGOMERY/NME/GAL.NME"))]);
    let pointer = text
        .lines()
        .find(|l| l.trim_start().starts_with("pointer "))
        .unwrap();
    assert!(
        pointer.contains("fits") && pointer.contains("GLB/"),
        "{pointer}"
    );
}

#[test]
fn redact_replaces_text_and_keeps_numbers() {
    let f = corpus("network/MONTGOMERY/NME/GAL.NME");
    let plain = stdout_of(&["probe", path(&f)]);
    assert!(plain.contains("Alonzo Hermite"), "{plain}");
    for args in [vec!["--redact"], vec!["--redact", "--format", "json"]] {
        let mut a: Vec<&str> = args.clone();
        a.push(path(&f));
        let (code, out) = probe(&a);
        assert_eq!(code, 0);
        for name in ["Alonzo", "Hermite", "apple", "able is he"] {
            assert!(!out.contains(name), "{args:?} shows {name}:\n{out}");
        }
        assert!(out.contains("Xxxxxx Xxxxxxx"), "{args:?}:\n{out}");
    }
    // Numbers, times and lengths stay as in the file; the checksum keeps
    // its rule, with values recomputed over the redacted bytes.
    let q = corpus("network/MONTGOMERY/GLB/MSTTRANS.GLB");
    let fields = |args: &[&str]| -> Vec<serde_json::Value> {
        let mut a = vec!["-f", "json"];
        a.extend_from_slice(args);
        a.push(path(&q));
        let v: serde_json::Value = serde_json::from_str(&probe(&a).1).unwrap();
        v["record"].as_array().unwrap().clone()
    };
    let (plain, redacted) = (fields(&[]), fields(&["--redact"]));
    assert_eq!(plain.len(), redacted.len());
    for (p, r) in plain.iter().zip(&redacted) {
        assert_eq!(
            (&p["start"], &p["len"], &p["what"]),
            (&r["start"], &r["len"], &r["what"])
        );
        match p["what"]["kind"].as_str().unwrap() {
            "text" => assert_ne!(p["examples"], r["examples"]),
            "checksum" => {}
            _ => assert_eq!(p["examples"], r["examples"], "{p}"),
        }
    }
    assert!(plain.iter().any(|f| f["what"]["kind"] == "counter"));
    assert!(plain.iter().any(|f| f["what"]["kind"] == "time"));
}

#[test]
fn a_redacted_copy_keeps_framing_numbers_and_checksums() {
    let dir = tempfile::tempdir().unwrap();
    let src = corpus("network/MONTGOMERY/GLB/MSTTRANS.GLB");
    let out = dir.path().join("MSTTRANS.GLB");
    let (code, text) = probe(&["--redacted-copy", path(&out), path(&src)]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Redacted copy written to"), "{text}");
    let a = std::fs::read(&src).unwrap();
    let b = std::fs::read(&out).unwrap();
    assert_eq!(a.len(), b.len());
    // No name survives; every record keeps its number, stamp and length,
    // and glbtool reads the copy with every checksum matching.
    for name in ["Hermite", "MONTGOMERY/apple", "able is he"] {
        assert!(!String::from_utf8_lossy(&b).contains(name), "{name}");
    }
    let ja: serde_json::Value =
        serde_json::from_str(&stdout_of(&["dump", "-f", "json", path(&src)])).unwrap();
    let jb: serde_json::Value =
        serde_json::from_str(&stdout_of(&["dump", "-f", "json", path(&out)])).unwrap();
    let (ra, rb) = (
        ja["records"].as_array().unwrap(),
        jb["records"].as_array().unwrap(),
    );
    assert_eq!(ra.len(), rb.len());
    for (x, y) in ra.iter().zip(rb) {
        assert_eq!(x["sync"], y["sync"]);
        assert_eq!(x["date_stamp"], y["date_stamp"]);
        assert_eq!(
            x["text"].as_str().unwrap().len(),
            y["text"].as_str().unwrap().len()
        );
        assert_eq!(y["info"]["checksum_ok"], true, "{y}");
        // The transaction's command letter and address type stay.
        assert_eq!(
            x["text"].as_str().unwrap()[..2],
            y["text"].as_str().unwrap()[..2]
        );
    }
    // An existing file is not replaced without --force, nor the input itself.
    let (code, _) = probe(&["--redacted-copy", path(&out), path(&src)]);
    assert_eq!(code, 2);
    let (code, _) = probe(&["--redacted-copy", path(&src), "--force", path(&src)]);
    assert_eq!(code, 2);
    assert_eq!(std::fs::read(&src).unwrap(), a);
}

#[test]
fn standard_input_and_trouble() {
    let f = corpus("samples/queue/server/MSTTRANS.GLB");
    let out = glbtool()
        .args(["probe", "--kind", "msttrans", "-"])
        .pipe_stdin(&f)
        .unwrap()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verdict: FITS"));
    let (code, _) = probe(&[path(&corpus("samples"))]);
    assert_eq!(code, 2);
    let (code, _) = probe(&["/nonexistent/FILE.GLB"]);
    assert_eq!(code, 2);
    // A file of no known kind: described, not compared.
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("DATA.BIN");
    std::fs::copy(corpus("network/MONTGOMERY/NME/GAL.NME"), &g).unwrap();
    let (code, text) = probe(&[path(&g)]);
    assert_eq!(code, 0);
    assert_has(&text, &["Verdict: NO LAYOUT TO COMPARE", "45-byte records"]);
}

/// `--kind` names the layout to compare a renamed file with: the right
/// kind fits, a wrong one does not (its size rule, KB Q77926, breaks), and
/// the JSON names the kind compared.
#[test]
fn kind_names_the_layout_of_a_renamed_file() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("ADDRESS.DAT");
    std::fs::copy(corpus("network/MONTGOMERY/NME/GAL.NME"), &g).unwrap();
    let (code, text) = probe(&["--kind", "nme", path(&g)]);
    assert_eq!(code, 0, "{text}");
    assert_has(
        &text,
        &["Verdict: FITS\n", "glbtool's nme layout against the bytes"],
    );
    let (code, text) = probe(&["--kind", "usr", path(&g)]);
    assert_eq!(code, 1, "{text}");
    assert_has(
        &text,
        &[
            "Verdict: DOES NOT FIT",
            "53-byte records",
            "the bytes show 45-byte records",
        ],
    );
    let (_, json) = probe(&["--kind", "nme", "-f", "json", path(&g)]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["kind"], "nme");
    assert_eq!(v["summary"]["verdict"], "fits");
    let (code, _) = probe(&["--kind", "nosuchkind", path(&g)]);
    assert_eq!(code, 2);
}
