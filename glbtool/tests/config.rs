//! The configuration files on the command line: the LISTDS and DSSCHED text
//! views, `--format dssched` and `build --from-dssched`.

mod common;

use common::{assert_has, corpus, dump_outcomes, glbtool, Rng};
use predicates::prelude::*;

fn run(args: &[&str]) -> (String, String) {
    let out = glbtool().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "glbtool {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn view(rel: &str, extra: &[&str]) -> String {
    let f = corpus(rel);
    let mut args = vec!["dump"];
    args.extend_from_slice(extra);
    args.push(f.to_str().unwrap());
    let (text, _) = run(&args);
    text.replace(f.to_str().unwrap(), rel)
}

/// True when `lines` appear one after another in `text`.
fn has_block(text: &str, lines: &[&str]) -> bool {
    text.contains(&lines.join("\n"))
}

#[test]
fn srvconf_view_shows_exactly_the_documented_listds_sample() {
    let text = view("samples/config/server/SRVCONF.GLB", &[]);
    // LISTDS -s sample output, KB Q96060.
    assert!(
        has_block(
            &text,
            &[
                "Examining POLYNOMIAL/MONTGOMERY Server Configuration Record",
                "Highest SrvSync is 80, Current Dirsync Cycle is 11",
            ]
        ),
        "{text}"
    );
    let records = [
        [
            "     Server Requestor Record #1",
            "Requestor name: PCM:POLYNOMIAL/MONTGOMERY",
            "ReqSync = 17, SrvSync = 80, Last Cycle = 11",
            "Last update received Fri Feb 18 13:11:58 1994",
        ],
        [
            "     Server Requestor Record #2",
            "Requestor name: PCM:POLYNOMIAL/NOVEMBER",
            "ReqSync = 18, SrvSync = 0, Last Cycle = 9",
            "Last update received Thu Feb 17 08:52:45 1994",
        ],
        [
            "     Server Requestor Record #3",
            "Requestor name: PCM:POLYNOMIAL/OCTOBER",
            "ReqSync = 12, SrvSync = 71, Last Cycle = 9",
            "Last update received Thu Feb 17 08:52:45 1994",
        ],
    ];
    for r in records {
        assert!(has_block(&text, &r), "{r:?} missing:\n{text}");
    }
    assert_eq!(text.matches("Server Requestor Record #").count(), 3);
    assert!(text.contains("Times are shown in UTC"), "{text}");
    insta::assert_snapshot!("listds_srvconf", text);
}

#[test]
fn reqconf_views_follow_listds_r() {
    let text = view("samples/config/server/REQCONF.GLB", &[]);
    // LISTDS -r sample output, KB Q96060.
    assert!(
        has_block(
            &text,
            &[
                "Dir-Sync Server: POLYNOMIAL/MONTGOMERY",
                "ReqSync = 17, SrvSync = 80",
            ]
        ),
        "{text}"
    );
    insta::assert_snapshot!("listds_reqconf", text);
    // After `listds -r -z` both numbers read 0 and the pointers -1 (KB Q96060, Q140462).
    let reset = view("samples/config/reset/REQCONF.GLB", &[]);
    assert!(reset.contains("ReqSync = 0, SrvSync = 0"), "{reset}");
    assert!(
        reset.contains(
            "SRVTRANS -1 (none), USRTRANS -1 (none), GWTRANS -1 (none), NMETRANS -1 (none)"
        ),
        "{reset}"
    );
    assert!(
        reset.contains("Last Import request: Thu Feb 10 11:05:00 1994"),
        "{reset}"
    );
    insta::assert_snapshot!("listds_reqconf_reset", reset);
}

#[test]
fn process_view_is_the_dssched_record_dump() {
    let text = view("samples/config/requestor/PROCESS.GLB", &[]);
    // DSSCHED's dump of one record, KB Q148718.
    let documented = [
        "Record number 1",
        "ID = 1",
        "Requestor sends updates (Dispatch runs NSDA -RT)",
        "Current time to run NSDA -RT: Fri Dec 22 16:30:00 1995",
        "Run window is 8 hours (28800 seconds)",
        "Time after which this process will not run: Sat Dec 23 00:30:00 1995",
        "If this time is exceeded, an error (missed run window) is recorded.",
        "Next scheduled time is used instead of this time.",
        "This instance next runs on Fri Dec 29 16:30:00 1995",
        "Process comment: <null>",
    ];
    assert!(has_block(&text, &documented), "{text}");
    assert!(
        text.contains("Requestor processes updates (Dispatch runs NSDA -RR)"),
        "{text}"
    );
    insta::assert_snapshot!("dssched_requestor", text);
    let server = view("samples/config/server/PROCESS.GLB", &[]);
    // The DSSCHED -x sample of KB Q96060.
    assert_has(
        &server,
        &[
            "Current time to run NSDA -RT: Sat Feb 26 13:45:00 1994",
            "Current time to run NSDA -RR: Mon Feb 28 15:00:00 1994",
            "Current time to run NSDA -S: Mon Feb 28 14:55:00 1994",
            "Server process (Dispatch runs NSDA -S)",
        ],
    );
    insta::assert_snapshot!("dssched_server", server);
}

#[test]
fn every_view_states_its_time_zone_and_tz_changes_the_times() {
    for rel in [
        "samples/config/server/SRVCONF.GLB",
        "samples/config/server/REQCONF.GLB",
        "samples/config/server/PROCESS.GLB",
    ] {
        assert!(view(rel, &[]).contains("Times are shown in UTC; use --tz to change."));
        let pst = view(rel, &["--tz", "PST8PDT"]);
        assert!(pst.contains("Times are shown in PST8PDT"), "{pst}");
    }
    // 13:11:58 UTC on Feb 18 1994 is 05:11:58 Pacific standard time, the MS C default zone.
    let pst = view("samples/config/server/SRVCONF.GLB", &["--tz", "PST8PDT"]);
    assert!(
        pst.contains("Last update received Fri Feb 18 05:11:58 1994"),
        "{pst}"
    );
}

#[test]
fn dssched_format_prints_the_documented_mytimes_txt() {
    let f = corpus("samples/config/server/PROCESS.GLB");
    let (text, err) = run(&["dump", "--format", "dssched", f.to_str().unwrap()]);
    // KB Q96060: `dssched -xmytimes.txt` wrote these lines for this schedule.
    assert_eq!(text, "T1 Sat 13:45\nT3 Mon 15:00\nT2 Mon 14:55\n");
    assert!(err.contains("UTC"), "{err}");
    let (pst, err) = run(&[
        "dump",
        "--format",
        "dssched",
        "--tz",
        "PST8PDT",
        f.to_str().unwrap(),
    ]);
    assert_eq!(pst, "T1 Sat 05:45\nT3 Mon 07:00\nT2 Mon 06:55\n");
    assert!(err.contains("PST8PDT"), "{err}");
    glbtool()
        .args(["dump", "--format", "dssched"])
        .arg(corpus("samples/config/server/SRVCONF.GLB"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PROCESS.GLB"));
}

#[test]
fn build_from_dssched_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    for rel in [
        "samples/config/server/PROCESS.GLB",
        "samples/config/requestor/PROCESS.GLB",
    ] {
        let f = corpus(rel);
        let (lines, _) = run(&["dump", "--format", "dssched", f.to_str().unwrap()]);
        let times = tmp.path().join("times.txt");
        std::fs::write(&times, &lines).unwrap();
        // On top of the file it came from: the same bytes.
        let out = tmp.path().join("PROCESS.GLB");
        glbtool()
            .args(["build", "--kind", "process", "--from-dssched"])
            .arg(&times)
            .arg("--base")
            .arg(&f)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        assert_eq!(
            std::fs::read(&out).unwrap(),
            std::fs::read(&f).unwrap(),
            "{rel}"
        );
        // On a new file, as the server: the same lines again.
        let fresh = tmp.path().join("NEW.GLB");
        glbtool()
            .args([
                "build",
                "--kind",
                "process",
                "--role",
                "server",
                "--from-dssched",
            ])
            .arg(&times)
            .arg("-o")
            .arg(&fresh)
            .assert()
            .success();
        let (again, _) = run(&["dump", "--format", "dssched", fresh.to_str().unwrap()]);
        assert_eq!(again, lines, "{rel}");
    }
}

#[test]
fn build_from_dssched_applies_the_documented_rules_and_reports_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let times = tmp.path().join("times.txt");
    let out = tmp.path().join("PROCESS.GLB");
    // A requestor ignores T2 (KB Q96060, Q119590); a new file gets 8-hour windows (KB Q119590).
    std::fs::write(&times, "T1 Mon 22:00\r\nT2 Mon 01:00\r\nT3 Tue 03:00\r\n").unwrap();
    glbtool()
        .args(["build", "--kind", "process", "--from-dssched"])
        .arg(&times)
        .arg("-o")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("1 T2 entry ignored"));
    assert_eq!(std::fs::metadata(&out).unwrap().len(), 512 + 2 * 197);
    let text = view_path(&out);
    assert_has(
        &text,
        &[
            "Run window is 8 hours (28800 seconds)",
            "Current time to run NSDA -RR: Tue Mar 01 03:00:00 1994",
        ],
    );
    // A bad entry names its line and writes nothing.
    let bad_out = tmp.path().join("BAD.GLB");
    std::fs::write(&times, "T1 Mon 22:00\nT3 Thursday 03:00\n").unwrap();
    glbtool()
        .args(["build", "--kind", "process", "--from-dssched"])
        .arg(&times)
        .arg("-o")
        .arg(&bad_out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 2").and(predicate::str::contains("Thursday")));
    assert!(!bad_out.exists());
    // Only PROCESS.GLB has a DSSCHED form.
    glbtool()
        .args(["build", "--kind", "reqconf", "--from-dssched"])
        .arg(&times)
        .arg("-o")
        .arg(&bad_out)
        .assert()
        .code(2);
}

fn view_path(p: &std::path::Path) -> String {
    let (text, _) = run(&["dump", p.to_str().unwrap()]);
    text
}

#[test]
fn wrong_sizes_name_the_documented_size() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("REQCONF.GLB", 500usize, "512"),
        ("SRVCONF.GLB", 1500, "1024"),
        ("PROCESS.GLB", 600, "197"),
    ];
    for (name, size, rule) in cases {
        let f = tmp.path().join(name);
        std::fs::write(&f, vec![0u8; size]).unwrap();
        glbtool()
            .arg("dump")
            .arg(&f)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(rule).and(predicate::str::contains(name)));
    }
}

#[test]
fn random_config_bytes_never_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng(0xc0f1);
    let kinds = [
        ("REQCONF.GLB", 512u64, 0u64),
        ("SRVCONF.GLB", 1024, 1024),
        ("PROCESS.GLB", 512, 197),
    ];
    for i in 0..30 {
        let (name, header, record) = kinds[i % 3];
        let n = if i % 2 == 0 {
            (header + record * rng.below(3)) as usize
        } else {
            rng.below(2000) as usize
        };
        let f = tmp.path().join(name);
        std::fs::write(&f, rng.bytes(n)).unwrap();
        for (code, stderr) in dump_outcomes(&f, &["text", "hex", "json", "dssched"]) {
            // A failure names the file and either the documented size or the field.
            if code == 2 {
                assert!(stderr.contains(name), "{name} input {i}: {stderr}");
            }
        }
    }
}
