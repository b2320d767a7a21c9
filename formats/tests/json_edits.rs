//! Issue 17's promise, for every family: an edit of a dumped JSON document
//! either takes effect (the built file, dumped again, carries exactly that
//! change) or is refused with its JSON path. No edit leaves the file as it
//! was with success. Every stored field and every derived value (`index`,
//! `offset`, each value under `info`) of the first and last record, and
//! every header field, is edited in turn.

use glb_formats::format::{ReadOptions, Reader};
use glb_formats::json::{self, Style};
use glb_formats::{with_format, CodePage, FileKind};
use serde_json::Value;

fn corpus(rel: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn dump(bytes: &[u8], kind: FileKind) -> Value {
    let mut out = Vec::new();
    with_format!(kind.family(), |F| {
        let mut r = Reader::<F, _>::new(
            bytes,
            kind,
            Some(bytes.len() as u64),
            ReadOptions::default(),
        )
        .unwrap();
        json::write(&mut r, &mut out, Style::Document, CodePage::Cp850).unwrap();
    });
    serde_json::from_slice(&out).unwrap()
}

fn build(doc: &Value) -> Result<Vec<u8>, String> {
    json::build_from(
        doc.to_string().as_bytes(),
        json::BuildOptions::default(),
        Vec::new(),
    )
    .map(|(b, _)| b)
    .map_err(|e| e.to_string())
}

/// A different value of the same shape, or `None` when there is none to try.
fn changed(key: &str, v: &Value) -> Option<Value> {
    Some(match v {
        Value::Null => Value::String("x".into()),
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(0), _) => 1.into(),
            (Some(i), _) => (i - 1).into(),
            (None, Some(u)) => (u - 1).into(),
            _ => return None,
        },
        Value::String(s) => {
            if let Ok(t) = s.parse::<jiff::Timestamp>() {
                let t = t + jiff::SignedDuration::from_secs(1);
                Value::String(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            } else if s.is_empty() && key.starts_with("reserved") {
                Value::String("01".into())
            } else if !s.is_empty()
                && s.trim_start_matches("0x")
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit())
                && s.trim_start_matches("0x").len() % 2 == 0
            {
                // Hex (checksums, TIDs, hexids, codes, digests): the last digit.
                let mut c: Vec<char> = s.chars().collect();
                let last = c.last_mut().unwrap();
                *last = if *last == '0' { '1' } else { '0' };
                Value::String(c.into_iter().collect())
            } else {
                let mut c: Vec<char> = s.chars().collect();
                match c.first_mut() {
                    Some(f) => *f = if *f == 'Q' { 'R' } else { 'Q' },
                    None => c.push('Q'),
                }
                Value::String(c.into_iter().collect())
            }
        }
        Value::Object(o) if o.contains_key("raw") => {
            // A text field in its exact form: change its last byte.
            let raw = o["raw"].as_str()?;
            let mut r = raw.to_string();
            r.pop();
            r.push(if raw.ends_with('1') { '2' } else { '1' });
            serde_json::json!({ "raw": r })
        }
        _ => return None,
    })
}

/// Every leaf below `v` as (JSON pointer, key).
fn leaves(v: &Value, at: &str, key: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) if !o.contains_key("raw") => {
            for (k, x) in o {
                leaves(x, &format!("{at}/{k}"), k, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, &format!("{at}/{i}"), key, out);
            }
        }
        _ => out.push((at.to_string(), key.to_string())),
    }
}

/// The JSON path `build` names for a pointer: `/records/0/info/a/1` is
/// `records[0].info.a[1]`.
fn path_of(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.split('/').skip(1) {
        if part.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

fn every_edit(rel: &str, kind: FileKind) -> usize {
    let original = corpus(rel);
    let doc = dump(&original, kind);
    assert_eq!(
        build(&doc).unwrap(),
        original,
        "{rel}: the unedited document builds back"
    );
    let mut targets = Vec::new();
    if doc["header"].is_object() {
        leaves(&doc["header"], "/header", "header", &mut targets);
    }
    let n = doc["records"].as_array().unwrap().len();
    for i in [0, n.saturating_sub(1)].into_iter().filter(|_| n > 0) {
        for (k, v) in doc["records"][i].as_object().unwrap() {
            let at = format!("/records/{i}/{k}");
            match k.as_str() {
                "info" => leaves(v, &at, k, &mut targets),
                _ => targets.push((at, k.clone())),
            }
        }
    }
    targets.sort();
    targets.dedup();
    let mut tried = 0;
    for (pointer, key) in targets {
        let old = doc.pointer(&pointer).unwrap();
        let Some(new) = changed(&key, old) else {
            continue;
        };
        let mut edited = doc.clone();
        *edited.pointer_mut(&pointer).unwrap() = new.clone();
        tried += 1;
        let derived = pointer.contains("/info") || key == "index" || key == "offset";
        match build(&edited) {
            Err(e) => {
                let path = path_of(&pointer);
                assert!(
                    e.contains(&format!("JSON {path}")),
                    "{rel} {pointer}: refused without its path: {e}"
                );
            }
            Ok(bytes) => {
                assert!(
                    !derived,
                    "{rel} {pointer}: an edit of a derived value was not refused"
                );
                assert_ne!(bytes, original, "{rel} {pointer}: built with the edit lost");
                let back = dump(&bytes, kind);
                let got = back.pointer(&pointer).unwrap();
                if new.get("raw").is_some() {
                    assert_eq!(got.get("raw"), new.get("raw"), "{rel} {pointer}");
                } else {
                    assert_eq!(got, &new, "{rel} {pointer}: the built file says {got}");
                }
            }
        }
    }
    tried
}

#[test]
fn every_edit_of_every_family_takes_effect_or_is_refused_with_its_path() {
    let files = [
        ("samples/queue/export/REQTRANS.GLB", FileKind::Reqtrans),
        ("samples/queue/resync/RESYNC.GLB", FileKind::Resync),
        ("network/MONTGOMERY/GLB/MSTTRANS.GLB", FileKind::Msttrans),
        ("network/MONTGOMERY/GLB/REQCONF.GLB", FileKind::Reqconf),
        ("network/MONTGOMERY/GLB/SRVCONF.GLB", FileKind::Srvconf),
        ("network/MONTGOMERY/GLB/PROCESS.GLB", FileKind::Process),
        ("network/MONTGOMERY/NME/GAL.NME", FileKind::Nme),
        ("network/MONTGOMERY/NME/ADMIN.NME", FileKind::Nme),
        ("network/MONTGOMERY/USR/00000002.USR", FileKind::Usr),
        ("network/MONTGOMERY/GLB/NETPO.GLB", FileKind::Netpo),
        ("network/MONTGOMERY/GLB/GALNETPO.GLB", FileKind::Galnetpo),
        ("network/MONTGOMERY/GLB/NETWORK.GLB", FileKind::Network),
        ("network/MONTGOMERY/XTN/00000001.XTN", FileKind::Xtn),
    ];
    let mut families = std::collections::BTreeSet::new();
    for (rel, kind) in files {
        let n = every_edit(rel, kind);
        eprintln!("{rel}: {n} edits");
        assert!(n >= 3, "{rel}: only {n} edits tried");
        families.insert(format!("{:?}", kind.family()));
    }
    // Every family that builds is covered.
    let all: std::collections::BTreeSet<String> = FileKind::ALL
        .iter()
        .map(|k| format!("{:?}", k.family()))
        .collect();
    assert_eq!(families, all);
}

#[test]
fn every_corpus_file_round_trips_through_json_and_ndjson() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let mut n = 0;
    let walks = ["network", "scenarios", "samples"].map(|d| walkdir::WalkDir::new(root.join(d)));
    for p in walks.into_iter().flatten().map(|e| e.unwrap().into_path()) {
        if p.is_dir() {
            continue;
        }
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let Some(kind) = FileKind::from_file_name(&name) else {
            continue;
        };
        let data = std::fs::read(&p).unwrap();
        // Document and NDJSON built back byte for byte (salvaged when damaged).
        let outcome = with_format!(
            kind.family(),
            |F| glb_formats::invariants::parsed_bytes::<F>(&data, kind)
        );
        assert!(outcome.is_ok(), "{}: {outcome:?}", p.display());
        n += 1;
    }
    assert!(n > 300, "{n} corpus files");
}
