//! Everyday use: every command that prints a result prints it as JSON too.

mod common;

use common::{assert_has, corpus, glbtool};

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
        vec!["probe".into(), reqtrans.clone()],
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
    let json = dir.path().join("r.json");
    let dumped = glbtool()
        .args(["dump", &reqtrans, "-f", "json"])
        .output()
        .unwrap();
    std::fs::write(&json, dumped.stdout).unwrap();
    let mut cases = cases;
    cases.push(vec![
        "build".into(),
        json.display().to_string(),
        "-o".into(),
        out("REQTRANS.GLB"),
    ]);
    for mut args in cases {
        args.extend(["-f".to_string(), "json".to_string()]);
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _) = json_of(&a);
        assert!(code == 0 || code == 1, "{a:?}: exit {code}");
    }
}

#[test]
fn build_reports_what_it_wrote_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let reqtrans = c("network/TAYLOR/GLB/REQTRANS.GLB");
    let (_, doc) = json_of(&["dump", &reqtrans, "-f", "json"]);
    let json = dir.path().join("r.json");
    std::fs::write(&json, doc.to_string()).unwrap();
    let target = dir.path().join("REQTRANS.GLB");
    for round in 0..2 {
        let (code, v) = json_of(&[
            "build",
            json.to_str().unwrap(),
            "-o",
            target.to_str().unwrap(),
            "-f",
            "json",
        ]);
        assert_eq!(code, 0);
        assert_eq!(v["format"], "glbtool-build/1");
        assert_eq!(v["kind"], "reqtrans");
        assert_eq!(v["wrote"], target.display().to_string());
        assert_eq!(
            v["records"].as_u64(),
            Some(doc["records"].as_array().unwrap().len() as u64)
        );
        assert_eq!(v["trailing_bytes"], 0);
        // The second build keeps the first file as a backup and says so.
        let backup = dir.path().join("REQTRANS.GLB.bak");
        if round == 0 {
            assert_eq!(v["backup"], serde_json::Value::Null);
        } else {
            assert_eq!(v["backup"], backup.display().to_string());
        }
    }
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(corpus("network/TAYLOR/GLB/REQTRANS.GLB")).unwrap()
    );
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
    assert_has(
        &text,
        &[
            "Last Export request: Mon Feb 14 17:00:00 1994",
            "Times are shown in local time (Asia/Tokyo)",
        ],
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
    // ... and when standard error cannot be written (a full disk), the
    // command still runs (through `eprintln!` the warning panicked: exit 101).
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("\"$0\" dump \"$1\" 2>/dev/full")
        .arg(env!("CARGO_BIN_EXE_glbtool"))
        .arg(corpus("network/TAYLOR/GLB/REQCONF.GLB"))
        .env("TZ", "Not/AZone")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
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
        (&["probe", ok_q], 0),
        (&["probe", cut], 1),
        (&["probe", "missing.GLB"], 2),
        (&["layout", "reqconf"], 0),
        (&["layout", "nosuch"], 2),
        (&["completions", "bash"], 0),
        (&["completions", "tcsh"], 2),
        (&["man"], 0),
        (&["man", "nosuch"], 2),
        (&["nosuch"], 2),
    ];
    // `edit` needs a terminal: tests/edit.rs checks its 0 (saved, unchanged
    // or abandoned) and 2 (no terminal, the file changed meanwhile).
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

/// The `.gitattributes` recipe of README.md's "From git" block: its
/// `printf ... >> .gitattributes` and `git config ...` lines, as written.
fn readme_git_recipe() -> Vec<String> {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let block = readme
        .split("```sh\n")
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains(".gitattributes") && b.contains("textconv"))
        .expect("README.md has the .gitattributes recipe");
    let lines: Vec<String> = block
        .lines()
        .map(|l| l.split("  #").next().unwrap().trim().to_string())
        .filter(|l| l.starts_with("printf") || l.starts_with("git config"))
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("diff.glb.textconv")),
        "{lines:?}"
    );
    lines
}

#[test]
fn git_diff_through_textconv_never_breaks_on_a_real_looking_postoffice() {
    let repo = tempfile::tempdir().unwrap();
    let d = repo.path();
    let git = |args: &[&str]| {
        common::run_shell(
            d,
            &format!(
                "GIT_CONFIG_NOSYSTEM=1 git -c user.name=t -c user.email=t@example.com {}",
                args.join(" ")
            ),
        )
    };
    assert!(git(&["init", "-q"]).status.success());
    for line in readme_git_recipe() {
        let out = common::run_shell(d, &line);
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A postoffice as one finds it: the Dir-Sync files glbtool decodes and
    // MS Mail files it does not (ACCESS2.GLB: 69-byte user records, KB
    // Q87402; CONTROL.GLB; MASTER.GLB).
    let po = d.join("TAYLOR");
    common::copy_dir(&corpus("network/TAYLOR"), &po);
    let mut rng = common::Rng(20);
    std::fs::write(po.join("GLB/ACCESS2.GLB"), rng.bytes(69 * 7)).unwrap();
    std::fs::write(po.join("GLB/CONTROL.GLB"), rng.bytes(300)).unwrap();
    std::fs::write(po.join("GLB/MASTER.GLB"), rng.bytes(1000)).unwrap();
    assert!(git(&["add", "-A"]).status.success());
    assert!(git(&["commit", "-qm", "as-found"]).status.success());

    // The NME and USR views of git's copy (outside the postoffice) and of
    // the working file (inside it) are the same.
    for f in [
        "TAYLOR/USR/00000002.USR",
        "TAYLOR/NME/GAL.NME",
        "TAYLOR/GLB/ACCESS2.GLB",
    ] {
        let from_git = git(&["cat-file", "--textconv", &format!("HEAD:{f}")]);
        assert!(
            from_git.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&from_git.stderr)
        );
        let here = glbtool()
            .current_dir(d)
            .args(["dump", "--textconv", f])
            .output()
            .unwrap();
        assert_eq!(here.status.code(), Some(0));
        let (a, b) = (
            String::from_utf8_lossy(&from_git.stdout),
            String::from_utf8_lossy(&here.stdout),
        );
        assert_eq!(
            a, b,
            "{f}: git's copy and the working file are shown differently"
        );
        if f.ends_with("GAL.NME") {
            // Its pointers go into GALNETPO.GLB, by its name alone.
            assert!(a.contains("GALNETPO.GLB record 0 (@4)"), "{a}");
        }
        if f.ends_with("ACCESS2.GLB") {
            // Named by what it is (provenance's recognition of MS Mail
            // files glbtool does not decode), with the KB article.
            assert!(
                a.starts_with(
                    "ACCESS2.GLB: not shown as records: MS Mail file, not decoded by glbtool: "
                ) && a.lines().next().unwrap().contains("KB Q87402"),
                "{a}"
            );
            assert_eq!(a.lines().nth(1), Some("ACCESS2.GLB: all 483 bytes in hex"));
        }
    }

    // Changes of every sort: an unknown file's byte, a damaged list, other
    // transactions, a shorter user list, an emptied and a removed unknown file.
    let mut access = std::fs::read(po.join("GLB/ACCESS2.GLB")).unwrap();
    access[70] ^= 0xff;
    std::fs::write(po.join("GLB/ACCESS2.GLB"), access).unwrap();
    for (f, from) in [
        ("NME/GAL.NME", "scenarios/wrong-size/TAYLOR/NME/GAL.NME"),
        (
            "GLB/REQTRANS.GLB",
            "scenarios/reqtrans-below-reqsync/TAYLOR/GLB/REQTRANS.GLB",
        ),
        (
            "USR/00000002.USR",
            "scenarios/missing-names/TAYLOR/USR/00000002.USR",
        ),
    ] {
        std::fs::copy(corpus(from), po.join(f)).unwrap();
    }
    std::fs::write(po.join("GLB/CONTROL.GLB"), b"").unwrap();
    std::fs::remove_file(po.join("GLB/MASTER.GLB")).unwrap();

    let diff = git(&["diff", "--no-color"]);
    let (text, err) = (
        String::from_utf8_lossy(&diff.stdout),
        String::from_utf8_lossy(&diff.stderr),
    );
    assert_eq!(diff.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "git said: {err}");
    // The changed byte of ACCESS2.GLB (offset 70 = 0x46, line 0x40).
    assert!(text.lines().any(|l| l.starts_with("-00000040  ")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("+00000040  ")), "{text}");
    assert!(text.contains("ACCESS2.GLB: all 483 bytes in hex"), "{text}");
    // The cut GAL.NME: shown as far as it reads, then why and the rest.
    assert!(
        text.contains("+salvaged: NME file at byte offset 788"),
        "{text}"
    );
    // The emptied and the removed unknown files.
    assert_has(
        &text,
        &[
            "+CONTROL.GLB: all 0 bytes in hex",
            "-MASTER.GLB: all 1000 bytes in hex",
        ],
    );
    // Transactions by their text.
    assert!(
        text.contains("diff --git a/TAYLOR/GLB/REQTRANS.GLB"),
        "{text}"
    );

    assert!(git(&["add", "-A"]).status.success());
    assert!(git(&["commit", "-qm", "changed"]).status.success());
    let log = git(&["log", "-p", "--no-color"]);
    assert_eq!(log.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&log.stderr).is_empty());
    assert!(String::from_utf8_lossy(&log.stdout).contains("+salvaged: NME file"));
}

#[test]
fn textconv_shows_any_bytes_under_any_name_with_exit_0_and_from_the_file_alone() {
    // Every file of a server postoffice and a RESYNC.GLB, each as it is,
    // cut in half, with bytes flipped, as another file's bytes, and as
    // noise; and files glbtool does not decode. Shown in the postoffice and
    // alone in an empty directory (as git's copy is): exit 0, the same view.
    let scratch = tempfile::tempdir().unwrap();
    let po = scratch.path().join("MONTGOMERY");
    let alone = scratch.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    common::copy_dir(&corpus("network/MONTGOMERY"), &po);
    std::fs::copy(
        corpus("samples/queue/resync/RESYNC.GLB"),
        po.join("GLB/RESYNC.GLB"),
    )
    .unwrap();
    let mut files = common::files_below(&po);
    for unknown in ["GLB/ACCESS2.GLB", "GLB/CONTROL.GLB", "NOTES.TXT"] {
        std::fs::write(po.join(unknown), b"x").unwrap();
        files.push(po.join(unknown));
    }
    let gal = std::fs::read(po.join("NME/GAL.NME")).unwrap();
    let mut rng = common::Rng(0x7e47);
    let mut shown = 0;
    for file in files {
        let real = std::fs::read(&file).unwrap();
        let mut flipped = real.clone();
        for _ in 0..4 {
            if !flipped.is_empty() {
                let at = rng.below(flipped.len() as u64) as usize;
                flipped[at] ^= 0x5a;
            }
        }
        let noise_len = 1 + rng.below(700) as usize;
        let noise = rng.bytes(noise_len);
        let variants = [
            real.clone(),
            real[..real.len() / 2].to_vec(),
            flipped,
            gal.clone(),
            noise,
            Vec::new(),
        ];
        let name = file.file_name().unwrap().to_owned();
        for bytes in variants {
            std::fs::write(&file, &bytes).unwrap();
            std::fs::write(alone.join(&name), &bytes).unwrap();
            let view = |path: &std::path::Path| {
                let out = glbtool()
                    .arg("dump")
                    .arg("--textconv")
                    .arg(path)
                    .env_remove("TZ")
                    .output()
                    .unwrap();
                let err = String::from_utf8_lossy(&out.stderr).into_owned();
                assert_eq!(out.status.code(), Some(0), "{}: {err}", path.display());
                assert!(!err.contains("panicked"), "{err}");
                out.stdout
            };
            let (here, there) = (view(&file), view(&alone.join(&name)));
            assert!(!here.is_empty(), "{}: nothing shown", file.display());
            assert_eq!(
                String::from_utf8_lossy(&here),
                String::from_utf8_lossy(&there),
                "{}: shown differently in its postoffice and alone",
                file.display()
            );
            shown += 1;
        }
        std::fs::write(&file, &real).unwrap();
    }
    assert!(shown >= 150, "{shown}");
}

/// Runs a shell command line under a pseudo-terminal of 80 columns
/// (util-linux `script`), in `dir`, and returns what the terminal showed.
fn on_terminal(dir: &std::path::Path, line: &str) -> String {
    let out = common::run_shell(
        dir,
        &format!("script -qec 'stty cols 80 rows 40; {line}' /dev/null"),
    );
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

#[test]
fn findings_wrap_at_80_columns_on_a_terminal_with_a_hanging_indent_and_never_when_piped() {
    let scratch = common::scratch_with_corpus();
    let d = scratch.path();
    let cmd = "glbtool doctor corpus/scenarios/error14 --color never";
    let shown = on_terminal(d, cmd);
    let piped = String::from_utf8(common::run_shell(d, cmd).stdout).unwrap();
    assert!(shown.contains("GLB014"), "{shown}");
    // Piped: one line per finding part, longer than 80 columns.
    assert!(
        piped.lines().any(|l| l.contains("GLB014") && l.len() > 200),
        "{piped}"
    );
    // On the terminal: no line longer than 80 columns but the fix command
    // (kept whole so that it can be pasted), and continuation lines hang
    // under the text.
    let mut hanging = 0;
    for l in shown.lines() {
        if l.trim_start().starts_with("fix: glbtool ") {
            assert!(piped.contains(l), "the command was changed: {l}");
            continue;
        }
        assert!(l.chars().count() <= 80, "longer than 80 columns: {l}");
        if l.starts_with(&" ".repeat(18)) && !l.trim_start().starts_with("predicts") {
            hanging += 1;
        }
    }
    assert!(hanging >= 3, "{shown}");
    // The same words in the same order.
    let words = |t: &str| t.split_whitespace().map(String::from).collect::<Vec<_>>();
    assert_eq!(words(&shown), words(&piped));
    // validate wraps the same way.
    let shown = on_terminal(
        d,
        "glbtool validate corpus/scenarios/error14/TAYLOR/GLB/RESYNC.GLB --color never",
    );
    assert!(
        shown
            .lines()
            .all(|l| l.chars().count() <= 80 || l.contains("fix: glbtool")),
        "{shown}"
    );
    assert!(shown.contains(&format!("\n{}", " ".repeat(18))), "{shown}");
}

#[test]
fn procedures_cite_each_article_once() {
    for s in [
        "purged",
        "lost-reply",
        "restored-backup",
        "missing-names",
        "stale-queue",
    ] {
        let out = glbtool()
            .args(["doctor", "--color", "never"])
            .arg(corpus(&format!("scenarios/{s}")))
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for l in text.lines() {
            assert!(!l.contains(") (KB"), "{s}: a doubled reference: {l}");
        }
    }
}

#[test]
fn the_sync_column_stays_aligned_for_any_sync_number() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut doc) = json_of(&[
        "dump",
        &c("network/MONTGOMERY/GLB/MSTTRANS.GLB"),
        "-f",
        "json",
    ]);
    // Sync numbers of 1 to 10 digits, as a person would edit them.
    let syncs = [7u64, 999_999, 1_000_000, 12_345_678, 4_294_967_295];
    let records = doc["records"].as_array_mut().unwrap();
    records.truncate(syncs.len());
    for (r, s) in records.iter_mut().zip(syncs) {
        r["sync"] = s.into();
    }
    let json = dir.path().join("m.json");
    std::fs::write(&json, doc.to_string()).unwrap();
    let file = dir.path().join("MSTTRANS.GLB");
    glbtool()
        .args([
            "build",
            json.to_str().unwrap(),
            "-o",
            file.to_str().unwrap(),
        ])
        .assert()
        .success();
    let text = common::stdout_of(&["dump", file.to_str().unwrap()]);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" 1994 ") || l.contains(" 199"))
        .collect();
    assert_eq!(rows.len(), syncs.len(), "{text}");
    let header = text.lines().find(|l| l.starts_with("CRC")).unwrap();
    let column = header.find("Transaction").unwrap();
    for (row, s) in rows.iter().zip(syncs) {
        // LISTQ's six digits (KB Q96060) up to 999999, every digit above,
        // right-aligned under Sync#; the text starts under Transaction.
        let shown = format!("{s:06}");
        assert_eq!(&row[column - 2 - shown.len()..column - 2], shown, "{row}");
        assert_eq!(row.as_bytes()[column - 1], b' ', "{row}");
        assert_ne!(row.as_bytes()[column], b' ', "{row}");
    }
}

#[test]
fn a_time_never_set_is_never_in_the_hex_view() {
    // The sample REQCONF.GLB's last import time is 0: never set.
    let text = common::stdout_of(&["dump", "-f", "hex", &c("network/TAYLOR/GLB/REQCONF.GLB")]);
    let line = text.lines().find(|l| l.contains("last_import")).unwrap();
    assert!(line.ends_with("never (0)"), "{line}");
    assert!(!text.contains("1970"), "{text}");
}

/// The browser the HTML test drives: Debian's `chromium`, which `.ci/run`
/// installs before it runs the ignored browser test; a missing browser is a
/// failure there.
fn chromium() -> &'static str {
    for name in ["chromium", "chromium-browser"] {
        let found = std::process::Command::new(name).arg("--version").output();
        if found.is_ok_and(|o| o.status.success()) {
            return name;
        }
    }
    panic!("chromium is not installed: `apt-get install -y chromium chromium-driver` (.ci/run does it)");
}

/// Loads `page` in headless Chromium, with every host name unresolvable so
/// that nothing can leave the machine, and returns the page's DOM after
/// loading, the screenshot's bytes and the URLs the page itself requested
/// (from Chromium's network log: requests made on behalf of the file://
/// page, not the browser's own background requests).
fn render(
    browser: &str,
    page: &std::path::Path,
    dir: &std::path::Path,
) -> (String, Vec<u8>, Vec<String>) {
    let profile = dir.join("profile");
    let base = |extra: &[String]| {
        let mut cmd = std::process::Command::new("timeout");
        cmd.args(["120", browser])
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--host-resolver-rules=MAP * ~NOTFOUND",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(format!("file://{}", page.display()));
        cmd.output().unwrap()
    };
    let shot = dir.join("shot.png");
    let netlog = dir.join("net.json");
    let out = base(&[
        format!("--screenshot={}", shot.display()),
        "--window-size=1200,1600".to_string(),
        format!("--log-net-log={}", netlog.display()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = base(&["--dump-dom".to_string()]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&netlog).unwrap()).unwrap();
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    let requested = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == start_job)
        .filter(|e| {
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str())
        .filter(|u| !u.starts_with("file://"))
        .map(String::from)
        .collect();
    (
        String::from_utf8(dom.stdout).unwrap(),
        std::fs::read(&shot).unwrap(),
        requested,
    )
}

/// The text of an HTML document: tags dropped, entities of the escaper undone.
fn page_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The reports the HTML tests write, each into `d` by its name, with the
/// command and the exit code it must give.
const HTML_REPORTS: &[(&str, &[&str], i32)] = &[
    ("doctor.html", &["doctor", "corpus/scenarios/error14"], 1),
    (
        "validate.html",
        &[
            "validate",
            "corpus/scenarios/corrupt-record/MONTGOMERY/GLB/MSTTRANS.GLB",
        ],
        1,
    ),
    (
        "diff.html",
        &[
            "diff",
            "corpus/network/TAYLOR/GLB/REQTRANS.GLB",
            "corpus/scenarios/reqtrans-below-reqsync/TAYLOR/GLB/REQTRANS.GLB",
        ],
        1,
    ),
    (
        "dss.html",
        &[
            "diff",
            "--dss",
            "corpus/scenarios/missing-names/MONTGOMERY",
            "--requestor",
            "corpus/scenarios/missing-names/TAYLOR",
        ],
        1,
    ),
    (
        "dump.html",
        &["dump", "corpus/network/TAYLOR/GLB/REQCONF.GLB"],
        0,
    ),
];

/// Writes `name` of [`HTML_REPORTS`] into `d` (a scratch copy of corpus/),
/// checking its exit code and that it is one file that fetches nothing.
fn write_html_report(d: &std::path::Path, name: &str) {
    let (_, args, code) = HTML_REPORTS.iter().find(|r| r.0 == name).unwrap();
    let out = glbtool()
        .current_dir(d)
        .args(*args)
        .args(["-f", "html"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(*code),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout).unwrap();
    // One self-contained file: nothing to fetch, and a policy that forbids fetching.
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"),
        "{name}"
    );
    assert!(html.contains("default-src 'none'"), "{name}");
    for outside in [
        "http:", "https:", "src=", "href=", "url(", "@import", "<script", "<link", "<img",
        "<iframe",
    ] {
        assert!(
            !html.contains(outside),
            "{name} refers to something outside: {outside}"
        );
    }
    std::fs::write(d.join(name), &html).unwrap();
}

#[test]
fn html_reports_are_self_contained_and_say_what_the_text_says() {
    let scratch = common::scratch_with_corpus();
    let d = scratch.path();
    for (name, _, _) in HTML_REPORTS {
        write_html_report(d, name);
    }
    // What each report says, as a reader sees it.
    let doctor = page_text(&std::fs::read_to_string(d.join("doctor.html")).unwrap());
    for said in [
        "Summary",
        "Postoffice POLYNOMIAL/TAYLOR",
        "Errors (1)",
        "GLB014",
        "IMPORT -Q: Fatal error 14: \"Error processing Resync.glb\"",
        "glbtool patch-seq corpus/scenarios/error14/TAYLOR/GLB/RESYNC.GLB --from-srvconf corpus/scenarios/error14/MONTGOMERY/GLB/SRVCONF.GLB",
        // The record the finding names, field by field, with provenance.
        "the record at byte 0 (0x0), 87 bytes",
        "text \"# RESYNC IMPSEQ=0000000001 REQSEQ=0000000012 SRVSEQ=0000000037\"",
        "terminator 0 documented (KB Q110496",
        "sync 0 reconstructed:",
    ] {
        assert!(doctor.contains(said), "doctor.html lacks {said:?}:\n{doctor}");
    }
    let validate = page_text(&std::fs::read_to_string(d.join("validate.html")).unwrap());
    assert!(
        validate.contains("GLB304") && validate.contains("the transaction of sync 18 at byte 1163"),
        "{validate}"
    );
    let dump = page_text(&std::fs::read_to_string(d.join("dump.html")).unwrap());
    assert_has(
        &dump,
        &[
            "file header at byte 0 (0x0), 512 bytes",
            "last_import never (0)",
        ],
    );
}

#[test]
#[ignore = "needs Debian's chromium: .ci/run installs it and runs this test"]
fn html_reports_render_in_a_headless_browser_and_request_nothing() {
    let scratch = common::scratch_with_corpus();
    let d = scratch.path();
    write_html_report(d, "doctor.html");
    let browser = chromium();
    let (dom, png, requested) = render(browser, &d.join("doctor.html"), d);
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000,
        "screenshot of {} bytes",
        png.len()
    );
    let shown = page_text(&dom);
    assert!(
        shown.contains("GLB014") && shown.contains("Fatal error 14"),
        "{shown}"
    );
    assert!(
        shown.contains("Fix commands") && shown.contains("MS Mail messages predicted"),
        "{shown}"
    );
    assert!(requested.is_empty(), "the page requested {requested:?}");
    // The check sees a request when a page makes one.
    let control = d.join("control.html");
    std::fs::write(&control, "<!DOCTYPE html><html><body><p>x</p><img src=\"http://example.invalid/x.png\"></body></html>").unwrap();
    let (_, _, requested) = render(browser, &control, d);
    assert_eq!(requested, ["http://example.invalid/x.png"]);
}

#[test]
fn a_progress_bar_shows_on_a_terminal_for_long_work_and_never_when_piped_or_quiet() {
    use glb_corpus::large::{write_msttrans, QueueSpec};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A server postoffice whose MSTTRANS.GLB is above the size from which
    // a bar is shown (4 MiB; lowered here to 64 KiB with
    // GLBTOOL_PROGRESS_BYTES, so that the test runs fast on a debug build).
    let po = d.join("SERVER");
    common::copy_dir(&corpus("network/MONTGOMERY"), &po);
    let big = po.join("GLB/MSTTRANS.GLB");
    let file = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    write_msttrans(
        file,
        QueueSpec {
            transactions: None,
            bytes: Some(200_000),
            seed: 20,
        },
    )
    .unwrap();
    let m = "SERVER/GLB/MSTTRANS.GLB";
    glbtool()
        .current_dir(d)
        .args(["dump", m, "-f", "json"])
        .output()
        .map(|o| std::fs::write(d.join("m.json"), o.stdout))
        .unwrap()
        .unwrap();
    let on_terminal = |d: &std::path::Path, cmd: &str| {
        on_terminal(d, &format!("export GLBTOOL_PROGRESS_BYTES=65536; {cmd}"))
    };
    let commands = [
        (
            "dump",
            format!("glbtool dump {m} -f ndjson > out.txt"),
            "reading",
        ),
        (
            "validate",
            format!("glbtool validate {m} --alone > out.txt"),
            "checking",
        ),
        (
            "diff",
            format!("glbtool diff {m} {m} > out.txt"),
            "checking",
        ),
        (
            "doctor",
            "glbtool doctor SERVER > out.txt".to_string(),
            "checking",
        ),
        (
            "build",
            "glbtool build m.json -o BUILT.GLB --force".to_string(),
            "building from",
        ),
        (
            "resync",
            "glbtool resync --server SERVER -o RESYNC.GLB --force > out.txt".to_string(),
            "reading the server's lists",
        ),
    ];
    for (name, cmd, said) in &commands {
        // On a terminal: the bar, cleared at the end.
        let shown = on_terminal(d, cmd);
        assert!(
            shown.contains(said),
            "{name}: no progress bar on the terminal:\n{shown}"
        );
        if *name != "resync" {
            assert!(shown.contains("KiB/"), "{name}: {shown}");
        }
        // --quiet: none.
        let quiet = on_terminal(
            d,
            &cmd.replacen(
                &format!("glbtool {name}"),
                &format!("glbtool {name} --quiet"),
                1,
            ),
        );
        assert!(!quiet.contains(said), "{name} --quiet drew a bar:\n{quiet}");
        // Piped: standard error holds no trace of it.
        let piped = common::run_shell(d, &format!("export GLBTOOL_PROGRESS_BYTES=65536; {cmd}"));
        let err = String::from_utf8_lossy(&piped.stderr);
        assert!(
            !err.contains(said) && !err.contains('\u{1b}'),
            "{name}: {err}"
        );
        assert!(matches!(piped.status.code(), Some(0 | 1)), "{name}: {err}");
    }
    // Below the size (4 MiB by default), nothing, even on a terminal.
    let small = self::on_terminal(d, &format!("glbtool dump {m} -f json > out.txt"));
    assert!(!small.contains("reading"), "{small}");
}

#[test]
fn findings_number_records_as_the_files_tools_do() {
    // A queue record by its sync number (LISTQ's Sync#, KB Q96060); its
    // 0-based position only in JSON. The corrupt-record scenario damaged
    // the 18th transaction of MSTTRANS.GLB, whose sync number is 18.
    let m = c("scenarios/corrupt-record/MONTGOMERY/GLB/MSTTRANS.GLB");
    let out = glbtool()
        .args(["validate", &m, "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.contains("GLB304")).unwrap();
    assert!(
        line.contains("GLB304  sync 18, at byte 1165 (0x48d): "),
        "{line}"
    );
    assert!(!text.contains("record 17"), "{text}");
    let listq = String::from_utf8(
        glbtool()
            .args(["dump", "--check-crc", &m])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let marked: Vec<&str> = listq.lines().filter(|l| l.get(4..5) == Some("!")).collect();
    assert_eq!(marked.len(), 1, "{listq}");
    assert!(
        marked[0].contains("  000018  "),
        "the LISTQ view marks another row: {}",
        marked[0]
    );
    let (_, v) = json_of(&["validate", &m, "-f", "json"]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "GLB304")
        .unwrap();
    assert_eq!(
        (f["record"].as_u64(), f["sync"].as_u64()),
        (Some(17), Some(18))
    );
    // A SRVCONF record as LISTDS numbers it, in the place and the sentence alike.
    let out = glbtool()
        .args(["doctor", "--color", "never"])
        .arg(corpus("scenarios/purged"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("GLB139"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("GLB139  record #2 at byte 2048 (0x800): SRVCONF record #2 "),
        "{line}"
    );
    let (_, v) = json_of(&["doctor", &c("scenarios/purged"), "-f", "json"]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "GLB139")
        .unwrap();
    assert_eq!((f["record"].as_u64(), f.get("sync")), (Some(1), None));
}
