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

/// The text view of the sample REQCONF.GLB (last export 1994-02-14 08:00:00
/// UTC) with `args`, and `TZ` set to `tz` (unset for `None`).
fn reqconf_view(args: &[&str], tz: Option<&str>) -> std::process::Output {
    let mut cmd = glbtool();
    cmd.arg("dump")
        .arg(corpus("network/TAYLOR/GLB/REQCONF.GLB"))
        .args(args);
    match tz {
        Some(tz) => cmd.env("TZ", tz),
        None => cmd.env_remove("TZ"),
    };
    cmd.output().unwrap()
}

#[test]
fn time_zones_are_taken_as_people_write_them() {
    // Expected local times of 1994-02-14 08:00:00 UTC, by hand: CET is
    // UTC+1 in February, EST UTC-5, Japan UTC+9, PST8PDT UTC-8 (no daylight
    // time in February under the 1987-2006 US rule), -03:30 itself.
    for (zone, shown, label) in [
        ("CET", "Mon Feb 14 09:00:00 1994", "CET"),
        ("EST", "Mon Feb 14 03:00:00 1994", "EST"),
        ("Japan", "Mon Feb 14 17:00:00 1994", "Japan"),
        ("Asia/Tokyo", "Mon Feb 14 17:00:00 1994", "Asia/Tokyo"),
        (
            "America/Los_Angeles",
            "Mon Feb 14 00:00:00 1994",
            "America/Los_Angeles",
        ),
        ("PST8PDT", "Mon Feb 14 00:00:00 1994", "PST8PDT (as POSIX"),
        ("-03:30", "Mon Feb 14 04:30:00 1994", "UTC-03:30"),
        ("utc", "Mon Feb 14 08:00:00 1994", "UTC"),
    ] {
        let out = reqconf_view(&["--tz", zone], Some("UTC"));
        assert!(out.status.success(), "--tz {zone}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains(&format!("Last Export request: {shown}")),
            "--tz {zone}:\n{text}"
        );
        assert!(
            text.contains(&format!("Times are shown in {label}")),
            "--tz {zone}:\n{text}"
        );
    }
    // `local` is the system's zone, which TZ sets.
    let text =
        String::from_utf8(reqconf_view(&["--tz", "local"], Some("Asia/Tokyo")).stdout).unwrap();
    assert!(
        text.contains("Last Export request: Mon Feb 14 17:00:00 1994"),
        "{text}"
    );
    assert!(
        text.contains("Times are shown in local time (Asia/Tokyo)"),
        "{text}"
    );
}

#[test]
fn the_tz_environment_variable_is_the_default_and_said_so() {
    let text = String::from_utf8(reqconf_view(&[], Some("EST5EDT")).stdout).unwrap();
    assert!(
        text.contains("Last Export request: Mon Feb 14 03:00:00 1994"),
        "{text}"
    );
    assert!(
        text.contains("Times are shown in EST5EDT (as POSIX")
            && text.contains("(from the TZ environment variable)"),
        "{text}"
    );
    // POSIX's leading colon.
    let text = String::from_utf8(reqconf_view(&[], Some(":Europe/Paris")).stdout).unwrap();
    assert!(
        text.contains("Last Export request: Mon Feb 14 09:00:00 1994"),
        "{text}"
    );
    // --tz wins over TZ.
    let text =
        String::from_utf8(reqconf_view(&["--tz", "UTC"], Some("Asia/Tokyo")).stdout).unwrap();
    assert!(
        text.contains("Mon Feb 14 08:00:00 1994") && !text.contains("environment"),
        "{text}"
    );
    // No TZ: UTC.
    let text = String::from_utf8(reqconf_view(&[], None).stdout).unwrap();
    assert!(
        text.contains("Mon Feb 14 08:00:00 1994") && text.contains("in UTC"),
        "{text}"
    );
    // A TZ glbtool cannot read: said on standard error, times in UTC.
    let out = reqconf_view(&[], Some("Not/AZone"));
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TZ environment variable is not used"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Mon Feb 14 08:00:00 1994"));
    // The hex view says its zone too.
    let out = glbtool()
        .args(["dump", "-f", "hex", "--tz", "CET"])
        .arg(corpus("network/TAYLOR/GLB/REQCONF.GLB"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().take(4).any(|l| l == "Times are shown in CET."),
        "{text}"
    );
    assert!(text.contains("Mon Feb 14 09:00:00 1994"), "{text}");
}

#[test]
fn an_invalid_zone_is_an_option_error_not_a_file_error() {
    for cmd in [
        vec!["dump", "FILE", "--tz", "Nowhere/Land"],
        vec!["diff", "FILE", "FILE", "--tz", "Nowhere/Land"],
        vec![
            "build",
            "--kind",
            "process",
            "--from-dssched",
            "FILE",
            "-o",
            "x",
            "--tz",
            "Mars",
        ],
    ] {
        let file = corpus("network/TAYLOR/GLB/PROCESS.GLB");
        let args: Vec<String> = cmd
            .iter()
            .map(|a| {
                if *a == "FILE" {
                    file.display().to_string()
                } else {
                    a.to_string()
                }
            })
            .collect();
        let out = glbtool().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: invalid value"), "{args:?}: {err}");
        assert!(
            err.contains("for '--tz <ZONE>'") && err.contains("is not a time zone"),
            "{err}"
        );
        assert!(
            !err.contains("PROCESS.GLB"),
            "reads like a file problem: {err}"
        );
    }
}
