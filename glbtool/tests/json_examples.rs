//! Every worked example of `docs/json.md` runs as written, and does what the
//! page says it does (the expectations here are written from the page).
//! The examples use jq, which is not part of the Rust toolchain: `cargo test
//! --workspace` leaves them out (ignored, with the reason), and `.ci/run`
//! installs jq and runs them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{corpus, glbtool, root};

/// `(title, script)` of each example under "## Worked examples".
fn examples() -> Vec<(String, String)> {
    let page = std::fs::read_to_string(root().join("docs/json.md")).unwrap();
    let start = page
        .find("## Worked examples")
        .expect("a Worked examples section");
    let section = &page[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let mut out = Vec::new();
    for part in section[..end].split("\n### ").skip(1) {
        let title = part.lines().next().unwrap().trim().to_string();
        let code = part
            .split("```sh\n")
            .nth(1)
            .and_then(|c| c.split("```").next())
            .unwrap_or_else(|| panic!("example {title:?} has no sh block"))
            .to_string();
        out.push((title, code));
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for f in common::files_below(from) {
        let dest = to.join(f.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dest).unwrap();
    }
}

/// The directory of the glbtool binary, for PATH.
fn bin_dir() -> PathBuf {
    assert_cmd::cargo::cargo_bin("glbtool")
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs `script` with `sh -e` in `dir`, glbtool and jq on PATH.
fn run(dir: &Path, script: &str) -> (i32, String) {
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("sh")
        .args(["-ec", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

fn dump(dir: &Path, file: &str, args: &[&str]) -> String {
    let o = glbtool()
        .args(["dump", "--color", "never"])
        .args(args)
        .arg(dir.join(file))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(dir: &Path, file: &str) -> serde_json::Value {
    serde_json::from_str(&dump(dir, file, &["-f", "json"])).unwrap()
}

fn codes(dir: &Path, files: &[&str]) -> Vec<String> {
    let o = glbtool()
        .args(["validate", "--format", "json"])
        .args(files.iter().map(|f| dir.join(f)))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// A fresh postoffice for one example: the committed server MONTGOMERY and
/// the RESYNC.GLB sample beside it.
fn postoffice() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&corpus("network/MONTGOMERY"), dir.path());
    std::fs::copy(
        corpus("samples/queue/resync/RESYNC.GLB"),
        dir.path().join("RESYNC.GLB"),
    )
    .unwrap();
    dir
}

#[test]
#[ignore = "needs jq: .ci/run installs it and runs this test"]
fn jq_is_there() {
    // .ci/run installs jq; the examples need it, and no test skips them.
    let o = Command::new("jq").arg("--version").output();
    assert!(
        o.is_ok_and(|o| o.status.success()),
        "jq is missing: install it (apt-get install jq); .ci/run does"
    );
}

#[test]
#[ignore = "needs jq: .ci/run installs it and runs this test"]
fn every_worked_example_runs_as_written_and_does_what_it_says() {
    let all = examples();
    let titles: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Rename a user",
            "Add a transaction",
            "Delete an address-list entry",
            "Change a RESYNC header",
            "Change a PROCESS schedule",
            "Filter NDJSON with jq and build it back",
        ]
    );
    for (title, script) in &all {
        let dir = postoffice();
        let d = dir.path();
        let (code, out) = run(d, script);
        assert_eq!(code, 0, "{title}: exit {code}\n{script}\n{out}");
        match title.as_str() {
            "Rename a user" => {
                let pol = dump(d, "NME/ADMIN.NME", &[]);
                assert!(pol.contains("Évariste Galois"), "{pol}");
                assert!(!pol.contains("Lovelace"), "{pol}");
                assert_eq!(
                    std::fs::read(d.join("NME/ADMIN.NME")).unwrap(),
                    std::fs::read(d.join("NME/ADMINSHD.NME")).unwrap()
                );
                // Only the name changed: 5 entries, the rest as they were.
                let before = corpus("network/MONTGOMERY/NME/ADMIN.NME");
                let (a, b) = (
                    std::fs::read(before).unwrap(),
                    std::fs::read(d.join("NME/ADMIN.NME")).unwrap(),
                );
                assert_eq!(a.len(), b.len());
                let differ: Vec<usize> = (0..a.len())
                    .filter(|&i| a[i] != b[i])
                    .map(|i| i / 45)
                    .collect();
                assert!(differ.iter().all(|&r| r == 4), "{differ:?}");
            }
            "Add a transaction" => {
                let v = json(d, "GLB/REQTRANS.GLB");
                let recs = v["records"].as_array().unwrap();
                assert_eq!(recs.len(), 2);
                assert_eq!(recs[1]["sync"], recs[0]["sync"].as_u64().unwrap() + 1);
                assert_eq!(
                    recs[1]["text"],
                    "A Ada Byron\tPCM:POLYNOMIAL/MONTGOMERY/ada"
                );
                assert_eq!(recs[1]["info"]["checksum_ok"], true);
                assert_eq!(recs[1]["reserved"], "");
                assert!(!codes(d, &["GLB/REQTRANS.GLB"]).contains(&"GLB304".to_string()));
            }
            "Delete an address-list entry" => {
                let gal = dump(d, "NME/GAL.NME", &[]);
                assert!(!gal.contains("Alonzo Hermite"), "{gal}");
                let netpo = json(d, "GLB/GALNETPO.GLB");
                // Alonzo's record was record 0 of GALNETPO.GLB (byte 4): deleted, still there.
                assert_eq!(netpo["records"][0]["status"], 0);
                assert_eq!(netpo["records"][0]["mailbox"], "alonzo");
                let before = std::fs::metadata(corpus("network/MONTGOMERY/GLB/GALNETPO.GLB"))
                    .unwrap()
                    .len();
                assert_eq!(
                    std::fs::metadata(d.join("GLB/GALNETPO.GLB")).unwrap().len(),
                    before
                );
                let o = glbtool().arg("doctor").arg(d).output().unwrap();
                assert_eq!(
                    o.status.code(),
                    Some(0),
                    "{}",
                    String::from_utf8_lossy(&o.stdout)
                );
            }
            "Change a RESYNC header" => {
                let r = dump(d, "RESYNC.GLB", &[]);
                assert!(
                    r.contains("# RESYNC IMPSEQ=0000000001 REQSEQ=0000000020 SRVSEQ=0000000080"),
                    "{r}"
                );
                assert!(out.contains("re-sealed 1 edited record"), "{out}");
                let v = json(d, "RESYNC.GLB");
                assert_eq!(v["records"][0]["info"]["checksum_ok"], true);
                assert_eq!(v["records"][0]["info"]["resync_header"]["reqseq"], 20);
            }
            "Change a PROCESS schedule" => {
                let before = json(&corpus("network/MONTGOMERY"), "GLB/PROCESS.GLB");
                let after = json(d, "GLB/PROCESS.GLB");
                let secs = |v: &serde_json::Value| {
                    v.as_str()
                        .unwrap()
                        .parse::<jiff::Timestamp>()
                        .unwrap()
                        .as_second()
                };
                for (b, a) in before["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(after["records"].as_array().unwrap())
                {
                    let shift = if b["process"] == 1 { 3600 } else { 0 };
                    assert_eq!(secs(&b["run_at"]) - shift, secs(&a["run_at"]), "{a}");
                    assert_eq!(
                        secs(&a["deadline"]),
                        secs(&a["run_at"]) + a["window_seconds"].as_i64().unwrap()
                    );
                    assert_eq!(secs(&a["next_run"]), secs(&a["run_at"]) + 7 * 86400);
                }
                assert!(!codes(d, &["GLB/PROCESS.GLB"]).contains(&"GLB346".to_string()));
            }
            "Filter NDJSON with jq and build it back" => {
                let before = json(&corpus("network/MONTGOMERY"), "GLB/MSTTRANS.GLB");
                let kept: Vec<u64> = before["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["sync"].as_u64().unwrap())
                    .filter(|&s| s > 20)
                    .collect();
                let o = glbtool()
                    .args(["dump", "-f", "json", "--kind", "msttrans"])
                    .arg(d.join("MSTTRANS.RECENT"))
                    .output()
                    .unwrap();
                let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                let got: Vec<u64> = v["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["sync"].as_u64().unwrap())
                    .collect();
                assert_eq!(got, kept);
                assert!(
                    out.contains("20 records of the dumped file were not in the stream"),
                    "{out}"
                );
            }
            other => panic!("no expectation for example {other:?}"),
        }
    }
}
