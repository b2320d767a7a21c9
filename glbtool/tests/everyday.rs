//! Everyday use: every command that prints a result prints it as JSON too.

mod common;

use common::{corpus, glbtool};

/// Runs glbtool and parses its standard output as one JSON document.
fn json_of(args: &[&str]) -> (i32, serde_json::Value) {
    let out = glbtool().args(args).output().unwrap();
    let code = out.status.code().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "glbtool {args:?} (exit {code}) did not print JSON: {e}\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, value)
}

fn c(rel: &str) -> String {
    corpus(rel).display().to_string()
}

#[test]
fn every_command_that_prints_a_result_prints_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).display().to_string();
    let reqtrans = c("network/TAYLOR/GLB/REQTRANS.GLB");
    let cases: Vec<Vec<String>> = vec![
        vec!["identify".into(), reqtrans.clone()],
        vec!["dump".into(), reqtrans.clone()],
        vec!["validate".into(), reqtrans.clone()],
        vec!["diff".into(), reqtrans.clone(), reqtrans.clone()],
        vec!["doctor".into(), c("network")],
        vec!["layout".into(), "reqconf".into()],
        vec![
            "patch-seq".into(),
            c("network/TAYLOR/GLB/REQCONF.GLB"),
            "--reset".into(),
            "--dry-run".into(),
        ],
        vec![
            "resync".into(),
            "--server".into(),
            c("network/MONTGOMERY"),
            "-o".into(),
            out("RESYNC.GLB"),
        ],
    ];
    for mut args in cases {
        args.extend(["-f".to_string(), "json".to_string()]);
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _) = json_of(&a);
        assert!(code == 0 || code == 1, "{a:?}: exit {code}");
    }
}

#[test]
fn resync_reports_the_header_it_wrote_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("RESYNC.GLB");
    let (code, v) = json_of(&[
        "resync",
        "--server",
        &c("network/MONTGOMERY"),
        "-o",
        target.to_str().unwrap(),
        "--date",
        "1994-04-07T12:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["format"], "glbtool-resync/1");
    // KB Q119449 on the sample server's SRVCONF.GLB (its requestor records:
    // MONTGOMERY ReqSync 12 SrvSync 35, TAYLOR 12/35, LAGRANGE 11/35, import
    // counts 1): REQSEQ the largest ReqSync, SRVSEQ the server postoffice's
    // SrvSync, IMPSEQ the largest import count.
    assert_eq!(v["header"]["reqseq"], 12);
    assert_eq!(v["header"]["srvseq"], 35);
    assert_eq!(v["header"]["impseq"], 1);
    assert_eq!(v["server"], "PCM:POLYNOMIAL/MONTGOMERY");
    assert_eq!(v["wrote"], target.display().to_string());
    assert_eq!(v["backup"], serde_json::Value::Null);
    // The record count is the file's: the header transaction, one R per
    // list and one A per address.
    let (_, dumped) = json_of(&["dump", target.to_str().unwrap(), "-f", "json"]);
    let n = dumped["records"].as_array().unwrap().len() as u64;
    assert_eq!(v["records"].as_u64(), Some(n));
    let (lists, addresses) = (
        v["lists"].as_u64().unwrap(),
        v["addresses"].as_u64().unwrap(),
    );
    assert_eq!(1 + lists + addresses, n);
}
