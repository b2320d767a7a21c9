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

/// The exit code of `glbtool ARGS` run in `dir` (a scratch copy of corpus/).
fn code_in(dir: &std::path::Path, args: &[&str]) -> i32 {
    let out = glbtool().current_dir(dir).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    out.status.code().unwrap()
}

#[test]
fn each_exit_code_has_one_meaning_in_every_command() {
    // 0 fine, 1 findings or differences, 2 trouble (the input cannot be
    // read, is not what it must be, or the command is wrong).
    let scratch = common::scratch_with_corpus();
    let d = scratch.path();
    std::fs::write(d.join("NOTES.TXT"), b"not a Dir-Sync file at all").unwrap();
    std::fs::write(
        d.join("bad.json"),
        b"{\"format\": \"glbtool-json/1\", \"records\": [",
    )
    .unwrap();
    let ok_q = "corpus/network/TAYLOR/GLB/REQTRANS.GLB";
    let corrupt = "corpus/scenarios/corrupt-record/MONTGOMERY/GLB/MSTTRANS.GLB";
    let cut = "corpus/scenarios/wrong-size/TAYLOR/NME/GAL.NME";
    let json = d.join("r.json");
    let dumped = glbtool()
        .current_dir(d)
        .args(["dump", ok_q, "-f", "json"])
        .output()
        .unwrap();
    std::fs::write(&json, dumped.stdout).unwrap();
    let cases: &[(&[&str], i32)] = &[
        (&["identify", ok_q], 0),
        (&["identify", ok_q, cut], 1),
        (&["identify", "NOTES.TXT"], 1),
        (&["identify", "missing.GLB"], 2),
        (&["identify", "-"], 2),
        (&["dump", ok_q], 0),
        (&["dump", ok_q, "--check-crc"], 0),
        (&["dump", corrupt, "--check-crc"], 1),
        (&["dump", corrupt, "--check-crc", "-f", "json"], 2),
        (&["dump", cut], 2),
        (&["dump", "missing.GLB"], 2),
        (
            &[
                "build",
                "--kind",
                "reqtrans",
                "r.json",
                "-o",
                "REQTRANS.GLB",
            ],
            0,
        ),
        (
            &[
                "build",
                "--kind",
                "reqtrans",
                "bad.json",
                "-o",
                "REQTRANS2.GLB",
            ],
            2,
        ),
        (
            &["validate", "corpus/network/MONTGOMERY/GLB/MSTTRANS.GLB"],
            0,
        ),
        (&["validate", corrupt], 1),
        (&["validate", "missing.GLB"], 2),
        (
            &[
                "patch-seq",
                "corpus/network/TAYLOR/GLB/REQCONF.GLB",
                "--reset",
                "--dry-run",
            ],
            0,
        ),
        (&["patch-seq", ok_q, "--reset"], 2),
        (&["patch-seq", "missing.GLB", "--reset"], 2),
        (
            &[
                "resync",
                "--server",
                "corpus/network/MONTGOMERY",
                "-o",
                "RESYNC.GLB",
            ],
            0,
        ),
        (
            &[
                "resync",
                "--server",
                "corpus/network/TAYLOR",
                "-o",
                "RESYNC2.GLB",
            ],
            2,
        ),
        (&["diff", ok_q, ok_q], 0),
        (
            &[
                "diff",
                ok_q,
                "corpus/scenarios/reqtrans-below-reqsync/TAYLOR/GLB/REQTRANS.GLB",
            ],
            1,
        ),
        (&["diff", ok_q, "missing.GLB"], 2),
        (&["doctor", "corpus/network"], 0),
        (&["doctor", "corpus/scenarios/error14"], 1),
        (&["doctor", "missing"], 2),
        (&["layout", "reqconf"], 0),
        (&["layout", "nosuch"], 2),
        (&["completions", "bash"], 0),
        (&["completions", "tcsh"], 2),
        (&["man"], 0),
        (&["man", "nosuch"], 2),
        (&["nosuch"], 2),
    ];
    for (args, want) in cases {
        assert_eq!(code_in(d, args), *want, "glbtool {}", args.join(" "));
    }
    // A reader that leaves early is not trouble.
    for cmd in [
        "glbtool dump corpus/scenarios/corrupt-record/MONTGOMERY/GLB/MSTTRANS.GLB -f hex",
        "glbtool dump corpus/network/MONTGOMERY/GLB/MSTTRANS.GLB -f json",
    ] {
        let out = common::run_shell(
            d,
            &format!("{cmd} | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}"),
        );
        let code = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            code.trim(),
            "0",
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("Broken pipe"),
            "{cmd}"
        );
    }
}
