//! `glbtool diff`: two files of one kind, and server versus requestor; exit
//! codes 0/1/2, text and JSON, colour, and use from git (textconv, difftool).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_has, copy_dir, corpus, finding_codes, glbtool};

fn run(args: &[&str]) -> Output {
    glbtool().args(args).output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            text(o),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn sample(rel: &str) -> String {
    corpus("samples").join(rel).display().to_string()
}

/// Copies `bytes` to a file named `name` in a fresh directory.
fn temp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// The differences of a two-file JSON report of one `change` (`changed`,
/// `removed`, `added`), in key order.
fn of(v: &serde_json::Value, change: &str) -> Vec<serde_json::Value> {
    v["differences"]
        .as_array()
        .unwrap_or_else(|| panic!("no differences list: {v}"))
        .iter()
        .filter(|d| d["change"] == change)
        .cloned()
        .collect()
}

#[test]
fn identical_files_exit_0_for_every_kind() {
    for rel in [
        "queue/server/MSTTRANS.GLB",
        "queue/empty/REQTRANS.GLB",
        "config/server/REQCONF.GLB",
        "config/server/SRVCONF.GLB",
        "config/server/PROCESS.GLB",
        "postoffice/server/NME/GAL.NME",
        "postoffice/server/USR/00000007.USR",
        "postoffice/server/GLB/NETPO.GLB",
        "postoffice/server/GLB/NETWORK.GLB",
        "postoffice/server/XTN/00000006.XTN",
    ] {
        let f = sample(rel);
        let o = run(&["diff", &f, &f]);
        assert_eq!(code(&o), 0, "{rel}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(
            text(&o).contains("the files are equal"),
            "{rel}: {}",
            text(&o)
        );
    }
}

#[test]
fn different_queues_exit_1_listing_every_difference() {
    let o = run(&[
        "diff",
        "--color",
        "never",
        &sample("queue/export/REQTRANS.GLB"),
        &sample("queue/server/MSTTRANS.GLB"),
    ]);
    assert_eq!(code(&o), 1);
    let t = text(&o);
    // Syncs 1-6 differ only in their stored checksum (the export keeps the
    // documented LISTQ values); syncs 7-16 are only in MSTTRANS.
    assert_has(
        &t,
        &["Records that differ, in sync order", "checksum: FB16 -> "],
    );
    assert!(
        t.contains("+ sync 15  record 14 at byte 977: ")
            && t.contains("text=\"D apple<tab>PCM:POLYNOMIAL/MONTGOMERY/apple\""),
        "{t}"
    );
    assert!(
        t.ends_with("6 changed, 0 only in A, 10 only in B, 0 unchanged: the files differ\n"),
        "{t}"
    );
}

#[test]
fn json_has_the_same_content() {
    let o = run(&[
        "diff",
        "-f",
        "json",
        &sample("queue/export/REQTRANS.GLB"),
        &sample("queue/server/MSTTRANS.GLB"),
    ]);
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(v["format"], "glbtool-diff/2");
    assert_eq!(v["mode"], "files");
    assert_eq!(v["equal"], false);
    assert_eq!(v["key"], "sync");
    assert_eq!(of(&v, "changed").len(), 6);
    assert_eq!(of(&v, "added").len(), 10);
    assert_eq!(of(&v, "changed")[0]["fields"][0]["field"], "checksum");
    assert_eq!(of(&v, "changed")[0]["fields"][0]["a"]["stored"], "FB16");
    assert_eq!(of(&v, "added")[8]["key"], "15");
    assert_eq!(of(&v, "added")[8]["offset"], 977);
    assert_eq!(
        of(&v, "added")[8]["fields"]["text"],
        "D apple\tPCM:POLYNOMIAL/MONTGOMERY/apple"
    );
}

#[test]
fn changed_transactions_and_unknown_bytes() {
    // MSTTRANS with one transaction edited through the JSON form: a changed
    // alias, and one unknown (reserved) byte.
    let dir = tempfile::tempdir().unwrap();
    let orig = sample("queue/server/MSTTRANS.GLB");
    let doc = run(&["dump", "-f", "json", &orig]);
    let mut v = json(&doc);
    let recs = v["records"].as_array_mut().unwrap();
    recs[3]["text"] = "A Paul Erdos\tPCM:POLYNOMIAL/MONTGOMERY/paul".into();
    recs[3]["checksum"] = "auto".into();
    recs[0]["reserved"] = "000000ab".into();
    let edited = temp_file(&dir, "edited.json", v.to_string().as_bytes());
    let out = dir.path().join("MSTTRANS.GLB");
    let b = glbtool()
        .args(["build", "--kind", "msttrans", &edited, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let o = run(&["diff", "--color", "never", &orig, out.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let t = text(&o);
    assert_has(
        &t,
        &[
            "~ sync 1  record 0 at byte 0",
            "reserved: unknown bytes at byte 15 (0xf), 1 byte: 00 -> ab",
            "alias: \"Paul\" -> \"Paul Erdos\"",
        ],
    );
    let v = json(&run(&["diff", "-f", "json", &orig, out.to_str().unwrap()]));
    // The record was sealed with glbtool's checksum (info.checksum_ok), so
    // build re-sealed it after the edit (issue 17): its checksum changes too.
    let fields = of(&v, "changed")[0]["fields"].as_array().unwrap().clone();
    assert_eq!(fields[0]["field"], "checksum");
    let reserved = &fields[1];
    assert_eq!(reserved["field"], "reserved");
    assert_eq!(reserved["role"], "unknown");
    assert_eq!(reserved["bytes"][0]["a_offset"], 15);
    assert_eq!(reserved["bytes"][0]["b"], "ab");
    assert_eq!(of(&v, "changed")[1]["transaction"][0]["part"], "alias");
}

#[test]
fn lists_by_each_key() {
    let a = sample("postoffice/server/NME/GAL.NME");
    let b = sample("postoffice/requestor/NME/GAL.NME");
    // Beside a NETPO.GLB (GALNETPO.GLB for a GAL), NME entries pair by address.
    let by_address = json(&run(&["diff", "-f", "json", &a, &b]));
    assert_eq!(by_address["key"], "address");
    let by_name = json(&run(&["diff", "-f", "json", "--key", "name", &a, &b]));
    assert_eq!(by_name["key"], "name");
    // The server's GAL has its own local users and André; the requestor's has its own.
    let keys = |v: &serde_json::Value, side: &str| -> Vec<String> {
        of(v, side)
            .iter()
            .map(|i| i["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(keys(&by_name, "removed").contains(&"André Weil".to_string()));
    let by_tid = json(&run(&["diff", "-f", "json", "--key", "tid", &a, &b]));
    assert_eq!(by_tid["key"], "tid");
    // By position: the server's GAL has 9 entries, the requestor's 7.
    let by_position = json(&run(&["diff", "-f", "json", "--key", "position", &a, &b]));
    assert_eq!(keys(&by_position, "removed"), ["7", "8"]);
    assert_eq!(of(&by_position, "removed")[0]["by"], "record");
    // A USR file in its postoffice pairs by full address.
    let u = json(&run(&[
        "diff",
        "-f",
        "json",
        &sample("postoffice/server/USR/00000008.USR"),
        &sample("postoffice/requestor/USR/00000005.USR"),
    ]));
    assert_eq!(u["key"], "address");
    // Joseph is in both; each postoffice gave him its own TID.
    assert_eq!(
        of(&u, "changed")[0]["key"],
        "PCM:POLYNOMIAL/LAGRANGE/joseph"
    );
    assert_eq!(of(&u, "changed")[0]["fields"][0]["field"], "tid");
    assert_eq!(of(&u, "changed")[0]["fields"].as_array().unwrap().len(), 1);
    // SRVCONF by requestor name, PROCESS by id.
    let p = run(&[
        "diff",
        "--color",
        "never",
        &sample("config/server/PROCESS.GLB"),
        &sample("config/requestor/PROCESS.GLB"),
    ]);
    assert_eq!(code(&p), 1);
    assert!(text(&p).contains("records paired by id"), "{}", text(&p));
}

/// An MSTTRANS.GLB with one `verb` transaction (about 70 bytes) per sync number.
fn queue_bytes(syncs: impl Iterator<Item = u32>, verb: &str) -> Vec<u8> {
    use glb_formats::fields::Stamp;
    use glb_formats::queue::{Queue, QueueRecord};
    let records = syncs
        .map(|i| {
            QueueRecord::new(
                i,
                Stamp(765_720_832),
                format!("{verb} User {i}\tPCM:POLY/TAYLOR/u{i}").as_bytes(),
            )
        })
        .collect();
    glb_formats::Document::<Queue> {
        kind: glb_formats::FileKind::Msttrans,
        header: None,
        records,
        trailing: vec![],
    }
    .to_bytes()
    .unwrap()
}

#[test]
fn large_files_in_or_out_of_order_and_from_standard_input_agree() {
    // Files well past the 4 KiB glbtool reads to recognise them: in sync
    // order they are compared as streams; reversed, or from standard input,
    // read whole; the report is the same.
    let dir = tempfile::tempdir().unwrap();
    let a = queue_bytes(1..=3000, "A");
    let mut b_bytes = queue_bytes((1..=3000).filter(|i| i % 500 != 0), "A");
    b_bytes.extend(queue_bytes(3001..=3002, "D"));
    let reversed = queue_bytes((1..=3000).rev().filter(|i| i % 500 != 0), "A");
    let fa = temp_file(&dir, "A.GLB", &a);
    let fb = temp_file(&dir, "B.GLB", &b_bytes);
    let fr = temp_file(&dir, "R.GLB", &reversed);
    let report = |args: &[&str], stdin: Option<&[u8]>| {
        let mut c = glbtool();
        c.args(["diff", "-f", "json", "--kind", "msttrans"])
            .args(args);
        if let Some(bytes) = stdin {
            c.write_stdin(bytes.to_vec());
        }
        let o = c.output().unwrap();
        assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stderr));
        json(&o)
    };
    let streamed = report(&[&fa, &fb], None);
    assert_eq!(of(&streamed, "removed").len(), 6);
    assert_eq!(of(&streamed, "added").len(), 2);
    assert_eq!(of(&streamed, "removed")[0]["key"], "500");
    assert_eq!(of(&streamed, "added")[1]["key"], "3002");
    assert_eq!(streamed["unchanged"], 2994);
    assert!(streamed["reordered"].is_null());
    let from_stdin = report(&["-", &fb], Some(&a));
    assert_eq!(from_stdin["differences"], streamed["differences"]);
    assert_eq!(from_stdin["unchanged"], streamed["unchanged"]);
    let sorted = report(&[&fa, &fr], None);
    assert_eq!(of(&sorted, "removed"), of(&streamed, "removed"));
    assert_eq!(sorted["unchanged"], 2994);
    assert_eq!(sorted["records_b"], 2994);
    assert!(
        !sorted["reordered"].is_null(),
        "the reversed file is out of order"
    );
}

/// A pipe (`glbtool diff <(command) FILE`) can be read only once: it is read
/// whole, not recognised by its first bytes and then reopened.
#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let a = queue_bytes(1..=3000, "A");
    let fifo = common::fifo_with(dir.path(), "A.GLB", a);
    let fb = temp_file(&dir, "B.GLB", &queue_bytes(1..=3001, "A"));
    let o = run(&[
        "diff",
        "-f",
        "json",
        "--kind",
        "msttrans",
        fifo.to_str().unwrap(),
        &fb,
    ]);
    let v = json(&o);
    assert_eq!(code(&o), 1);
    assert_eq!(v["records_a"], 3000);
    assert_eq!(v["unchanged"], 3000);
    assert_eq!(of(&v, "added")[0]["key"], "3001");
}

#[test]
fn unreadable_or_incomparable_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let short = temp_file(&dir, "ADMIN.NME", &[0; 44]);
    let gal = sample("postoffice/server/NME/GAL.NME");
    for args in [
        vec!["diff", "/no/such/REQTRANS.GLB", &gal],
        vec!["diff", &short, &gal],
        vec!["diff", &gal, &sample("config/server/SRVCONF.GLB")],
        vec!["diff", "--key", "sync", &gal, &gal],
        vec!["diff", "--key", "colour", &gal, &gal],
        vec!["diff", &gal],
    ] {
        let o = run(&args);
        assert_eq!(code(&o), 2, "{args:?}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{err}");
    }
    let o = run(&["diff", &short, &gal]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ADMIN.NME") && err.contains("45-byte records"),
        "{err}"
    );
}

/// An HTML report refused before it compares anything writes nothing to
/// standard output (it wrote the page's head, then exited 2: half a page).
#[cfg(unix)]
#[test]
fn an_html_diff_refused_before_comparing_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let queue = sample("queue/server/MSTTRANS.GLB");
    let gal = sample("postoffice/server/NME/GAL.NME");
    let fifo = dir.path().join("REQTRANS.GLB");
    common::mkfifo(&fifo);
    let fifo = fifo.display().to_string();
    // Sync 2 before sync 1, with no memory to sort them: refused when the
    // first records are read, before anything is printed.
    let disordered = temp_file(&dir, "A.GLB", &queue_bytes([2, 1, 3].into_iter(), "A"));
    let in_order = temp_file(&dir, "B.GLB", &queue_bytes(1..=3, "A"));
    let samples = corpus("samples").display().to_string();
    for (args, names) in [
        (
            vec!["/no/such/REQTRANS.GLB", &queue],
            "/no/such/REQTRANS.GLB",
        ),
        (vec![&samples, &queue], samples.as_str()),
        (vec![&gal, &queue], gal.as_str()),
        (vec![&fifo, &queue], fifo.as_str()),
        (
            vec![
                "--kind",
                "msttrans",
                "--memory-limit",
                "0",
                &disordered,
                &in_order,
            ],
            disordered.as_str(),
        ),
    ] {
        let o = glbtool()
            .args(["diff", "-f", "html"])
            .args(&args)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(code(&o), 2, "{args:?}: {err}");
        assert_eq!(text(&o), "", "{args:?}: {err}");
        assert!(err.contains(names), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A report cut short after it has started printing (B out of sync order
/// past the records held back) is still a whole page, ending with the note.
#[test]
fn an_html_diff_cut_short_is_a_whole_page() {
    let dir = tempfile::tempdir().unwrap();
    let a = temp_file(&dir, "A.GLB", &queue_bytes(1..=5000, "A"));
    let b = temp_file(&dir, "B.GLB", &queue_bytes((2..=5000).chain([1]), "A"));
    let o = run(&[
        "diff",
        "-f",
        "html",
        "--kind",
        "msttrans",
        "--memory-limit",
        "0",
        &a,
        &b,
    ]);
    let (out, err) = (text(&o), String::from_utf8_lossy(&o.stderr));
    assert_eq!(code(&o), 2, "{err}");
    assert!(err.contains("B.GLB"), "{err}");
    assert!(out.starts_with("<!DOCTYPE html>\n"), "{out}");
    assert!(
        out.contains("Cut short: B is not in sync order at its record 4999"),
        "{out}"
    );
    assert!(out.contains("</pre>\n"), "{out}");
    assert!(out.ends_with("</body>\n</html>\n"), "{out}");
}

#[test]
fn colour_is_optional() {
    let a = sample("queue/export/REQTRANS.GLB");
    let b = sample("queue/server/MSTTRANS.GLB");
    let always = text(&run(&["diff", "--color", "always", &a, &b]));
    assert!(always.contains("\u{1b}["), "{always}");
    let never = text(&run(&["diff", "--color", "never", &a, &b]));
    assert!(!never.contains("\u{1b}["));
    let piped = glbtool()
        .env("NO_COLOR", "1")
        .args(["diff", &a, &b])
        .output()
        .unwrap();
    assert!(!text(&piped).contains("\u{1b}["));
}

#[test]
fn server_versus_requestor_on_the_samples() {
    let o = run(&[
        "diff",
        "--color",
        "never",
        "--dss",
        &sample("queue/server/MSTTRANS.GLB"),
        "--requestor",
        &sample("postoffice/requestor"),
    ]);
    assert_eq!(code(&o), 1);
    let t = text(&o);
    // TAYLOR is the requestor itself; MONTGOMERY (apple deleted, Paul
    // renamed) and LAGRANGE agree; the requestor sample keeps no gateway lists.
    assert_has(
        &t,
        &[
            "own postoffice POLYNOMIAL/TAYLOR, recognised by its local users",
            "POLYNOMIAL/MONTGOMERY  equal: 4 names",
            "1 deleted record ignored",
            "POLYNOMIAL/LAGRANGE  equal: 1 name",
            "missing \"Taylor Sales\"  SMTP:sales@taylor.example.com  (sync 10)",
            "remedy: request a full import on the requestor",
            "[ 66] Local postoffice transaction ignored",
            "Summary: 3 of 5 lists differ: 3 names missing",
        ],
    );
    let v = json(&run(&[
        "diff",
        "-f",
        "json",
        "--dss",
        &sample("queue/server/MSTTRANS.GLB"),
        "--requestor",
        &sample("postoffice/requestor"),
    ]));
    assert_eq!(v["mode"], "server-requestor");
    assert_eq!(v["local"]["name"], "POLYNOMIAL/TAYLOR");
    assert_eq!(v["server"]["transactions"], 16);
    let differing: Vec<&str> = v["lists"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] != "equal")
        .map(|l| l["list"].as_str().unwrap())
        .collect();
    assert_eq!(differing, ["FAX:", "PROFS:PROFSGW/NODE1", "SMTP:"]);
    assert!(v["lists"][0]["advice"]["remedy"]
        .as_str()
        .unwrap()
        .contains("RESYNC.GLB"));
    // One list only, and a single USR file named through its postoffice.
    let one = run(&[
        "diff",
        "--dss",
        &sample("queue/server/MSTTRANS.GLB"),
        "--requestor",
        &sample("postoffice/requestor/USR/00000004.USR"),
    ]);
    assert_eq!(code(&one), 0, "{}", text(&one));
    let filtered = run(&[
        "diff",
        "--dss",
        &sample("queue/server/MSTTRANS.GLB"),
        "--requestor",
        &sample("postoffice/requestor"),
        "--postoffice",
        "POLYNOMIAL/MONTGOMERY",
    ]);
    assert_eq!(code(&filtered), 0, "{}", text(&filtered));
}

/// A damaged file on either side of `diff --dss` is named with the byte
/// offset, the record and the field where it goes wrong.
#[test]
fn a_damaged_file_in_a_server_comparison_is_reported_where_it_goes_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let net = tmp.path();
    for po in ["MONTGOMERY", "TAYLOR"] {
        copy_dir(&corpus("network").join(po), &net.join(po));
    }
    let diff = || {
        glbtool()
            .current_dir(net)
            .args(["diff", "--dss", "MONTGOMERY", "--requestor", "TAYLOR"])
            .output()
            .unwrap()
    };
    // A requestor's USR file of 4 whole 53-byte records, cut 12 bytes into the
    // fourth: its friendly name is cut.
    let usr = net.join("TAYLOR/USR/00000002.USR");
    let bytes = std::fs::read(&usr).unwrap();
    assert_eq!(bytes.len(), 4 * 53, "the sample changed");
    std::fs::write(&usr, &bytes[..3 * 53 + 41]).unwrap();
    let o = diff();
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_has(
        &err,
        &[
            "TAYLOR/USR/00000002.USR",
            "ends at byte offset 159",
            "the end cuts record 3 after 41 of its 53 bytes",
            "in field `name`",
            // The error stays structured to the output, so it names the layout
            // whose field it quotes.
            "Layout: docs/formats/usr.md",
        ],
    );
    std::fs::write(&usr, &bytes).unwrap();

    // The server's queue cut inside a record's text.
    let mst = net.join("MONTGOMERY/GLB/MSTTRANS.GLB");
    let bytes = std::fs::read(&mst).unwrap();
    std::fs::write(&mst, &bytes[..1000]).unwrap();
    let o = diff();
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_has(
        &err,
        &[
            "MONTGOMERY/GLB/MSTTRANS.GLB",
            "byte offset 1000",
            "record 14",
            "field `text`",
        ],
    );
}

#[test]
fn server_versus_requestor_trouble_exits_2() {
    let o = run(&[
        "diff",
        "--dss",
        &sample("config/server/SRVCONF.GLB"),
        "--requestor",
        &sample("postoffice/requestor"),
    ]);
    assert_eq!(code(&o), 2);
    let o = run(&["diff", "--dss", &sample("queue/server/MSTTRANS.GLB")]);
    assert_eq!(code(&o), 2, "--requestor is required");
    let o = run(&[
        "diff",
        "--dss",
        &sample("queue/server/MSTTRANS.GLB"),
        "--requestor",
        "/no/such/dir",
    ]);
    assert_eq!(code(&o), 2);
}

/// Fails, saying how to install it, where git is missing (.ci/run installs
/// it and runs the test).
fn need_git() {
    let found = std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "git is not installed: apt-get install -y git (.ci/run does it)"
    );
}

fn git(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env_remove("NO_COLOR")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap()
}

fn glbtool_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_glbtool"))
}

#[test]
#[ignore = "needs git: .ci/run installs it and runs this test (cargo test -p glbtool --test diff -- --ignored)"]
fn works_as_git_textconv_and_difftool() {
    need_git();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(git(d, &["init", "-q"]).status.success());
    std::fs::write(
        d.join(".gitattributes"),
        "*.GLB diff=glb\n*.NME diff=glb\n*.USR diff=glb\n",
    )
    .unwrap();
    let tool = glbtool_path().display().to_string();
    git(
        d,
        &[
            "config",
            "diff.glb.textconv",
            &format!("{tool} dump --textconv"),
        ],
    );
    git(
        d,
        &[
            "config",
            "difftool.glb.cmd",
            &format!("{tool} diff \"$LOCAL\" \"$REMOTE\""),
        ],
    );
    std::fs::copy(
        corpus("samples/queue/export/REQTRANS.GLB"),
        d.join("REQTRANS.GLB"),
    )
    .unwrap();
    assert!(git(d, &["add", "."]).status.success());
    assert!(git(d, &["commit", "-q", "-m", "export"]).status.success());
    std::fs::copy(
        corpus("samples/queue/server/MSTTRANS.GLB"),
        d.join("REQTRANS.GLB"),
    )
    .unwrap();
    let textconv = git(d, &["diff", "--no-color"]);
    let t = String::from_utf8_lossy(&textconv.stdout);
    let stderr = String::from_utf8_lossy(&textconv.stderr);
    // The LISTQ views differ in the checksums and the new transactions only:
    // the title names the file alone on both sides.
    assert!(
        t.contains("-FB16   Thu Apr 07 12:13:52 1994      000001  R PCM:POLYNOMIAL/MONTGOMERY\n")
            && t.contains(
                "+323D   Thu Apr 07 12:13:52 1994      000001  R PCM:POLYNOMIAL/MONTGOMERY\n"
            )
            && t.contains("+690B   Sat Apr 09 12:13:52 1994      000015  D apple"),
        "git diff through textconv:\n{t}\n{stderr}"
    );
    assert!(
        t.contains("\n Layout: docs/formats/queue.md")
            && !t
                .lines()
                .any(|l| l.starts_with(['-', '+']) && l.contains("(REQTRANS.GLB)")),
        "unchanged title and layout lines:\n{t}"
    );
    let tool = git(d, &["difftool", "-y", "--tool=glb", "--trust-exit-code"]);
    let t = String::from_utf8_lossy(&tool.stdout);
    assert!(
        t.contains("6 changed, 0 only in A, 10 only in B"),
        "git difftool:\n{t}\n{}",
        String::from_utf8_lossy(&tool.stderr)
    );
}

/// The friendly names in `po`'s user list of `postoffice` (active records).
fn usr_names(po: &Path, postoffice: &str) -> std::collections::BTreeSet<String> {
    use glb_dirsync::postoffice::Postoffice;
    use glb_formats::format::{Document, ReadOptions};
    use glb_formats::usr::Usr;
    let path = Postoffice::open(po, glb_formats::CodePage::Cp850)
        .unwrap()
        .usr_for("POLYNOMIAL", postoffice)
        .unwrap_or_else(|| panic!("{} has no list of {postoffice}", po.display()));
    let bytes = std::fs::read(path).unwrap();
    Document::<Usr>::from_bytes(&bytes, glb_formats::FileKind::Usr, ReadOptions::default())
        .unwrap()
        .records
        .iter()
        .filter(|r| !r.is_deleted())
        .map(|r| r.name.decode(glb_formats::CodePage::Cp850))
        .collect()
}

fn server_vs(server: &Path, requestor: &Path) -> (i32, serde_json::Value) {
    let o = glbtool()
        .args(["diff", "-f", "json", "--dss"])
        .arg(server)
        .arg("--requestor")
        .arg(requestor)
        .output()
        .unwrap();
    (code(&o), json(&o))
}

#[test]
fn the_healthy_simulated_network_shows_no_difference() {
    let net = corpus("network");
    for po in ["MONTGOMERY", "TAYLOR", "LAGRANGE"] {
        let (c, v) = server_vs(&net.join("MONTGOMERY"), &net.join(po));
        assert_eq!(c, 0, "{po}: {v:#}");
        assert_eq!(v["equal"], true);
        // Its own local users tell the postoffice (REQCONF's name is a
        // reconstructed field, KB Q123437: the last resort).
        assert_eq!(v["local"]["source"], "inferred_from_pol");
        assert_eq!(
            v["excluded"][0]["list"],
            format!("PCM:POLYNOMIAL/{po}"),
            "its own postoffice is left out"
        );
        assert!(v["summary"]["lists"].as_u64().unwrap() >= 5, "{v:#}");
    }
}

#[test]
fn missing_names_shows_exactly_the_names_the_generator_removed() {
    // What the scenario removed, found independently of glbtool diff: the
    // healthy network's copy of MONTGOMERY's list at TAYLOR, less the
    // scenario's copy (the scenario starts from the same healthy network).
    let healthy = usr_names(&corpus("network/TAYLOR"), "MONTGOMERY");
    let scenario = corpus("scenarios/missing-names");
    let damaged = usr_names(&scenario.join("TAYLOR"), "MONTGOMERY");
    assert!(damaged.is_subset(&healthy));
    let removed: Vec<String> = healthy.difference(&damaged).cloned().collect();
    assert_eq!(removed.len(), glb_corpus::sim::scenario::MISSING_NAMES);

    let (c, v) = server_vs(&scenario.join("MONTGOMERY"), &scenario.join("TAYLOR"));
    assert_eq!(c, 1);
    let differing: Vec<&serde_json::Value> = v["lists"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] != "equal")
        .collect();
    assert_eq!(differing.len(), 1, "only MONTGOMERY's list differs: {v:#}");
    let mont = differing[0];
    assert_eq!(mont["list"], "PCM:POLYNOMIAL/MONTGOMERY");
    let mut missing: Vec<String> = mont["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    missing.sort();
    assert_eq!(missing, removed);
    assert_eq!(mont["extra"].as_array().unwrap().len(), 0);
    assert_eq!(mont["changed"].as_array().unwrap().len(), 0);
    assert_eq!(v["summary"]["missing"].as_u64(), Some(removed.len() as u64));
    let remedy = mont["advice"]["remedy"].as_str().unwrap();
    assert!(
        remedy.contains("Config, Dir-Sync, Requestor, Import") && remedy.contains("RESYNC.GLB")
    );
    // The other requestor of the scenario is in step.
    let (c, _) = server_vs(&scenario.join("MONTGOMERY"), &scenario.join("LAGRANGE"));
    assert_eq!(c, 0);
}

#[test]
fn a_server_restored_from_a_backup_is_named_as_the_older_side() {
    let s = corpus("scenarios/restored-backup");
    let (c, v) = server_vs(&s.join("MONTGOMERY"), &s.join("TAYLOR"));
    assert_eq!(c, 1);
    let behind = &v["server_behind"];
    assert!(
        behind["requestor_srvsync"].as_u64() > behind["server_last"].as_u64(),
        "{v:#}"
    );
    assert!(behind["advice"]["remedy"]
        .as_str()
        .unwrap()
        .contains("Requestor, Export"));
    // A healthy requestor is not behind anything.
    let net = corpus("network");
    let (_, v) = server_vs(&net.join("MONTGOMERY"), &net.join("TAYLOR"));
    assert!(v["server_behind"].is_null());
}

/// Edits `file` the way a person does: `dump -f json`, change the JSON,
/// `build` it beside the file, and put it in place.
fn edit_json(file: &Path, kind: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let o = glbtool()
        .args(["dump", "-f", "json"])
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let mut v = json(&o);
    edit(&mut v);
    let built = file.with_extension("NEW");
    let o = glbtool()
        .args(["build", "--kind", kind, "-", "-o"])
        .arg(&built)
        .write_stdin(serde_json::to_vec(&v).unwrap())
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::rename(&built, file).unwrap();
}

/// Appends a transaction to a copy of MONTGOMERY's MSTTRANS.GLB and raises
/// a copy of LAGRANGE's REQCONF SrvSync to it (so it has been sent).
/// Returns the temporary directory holding `MONTGOMERY` and `LAGRANGE`.
fn network_with(texts: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for po in ["MONTGOMERY", "LAGRANGE"] {
        copy_dir(&corpus("network").join(po), &dir.path().join(po));
    }
    let mst = dir.path().join("MONTGOMERY/GLB/MSTTRANS.GLB");
    let mut last = 0;
    edit_json(&mst, "msttrans", |v| {
        let records = v["records"].as_array_mut().unwrap();
        last = records.last().unwrap()["sync"].as_u64().unwrap();
        for t in texts {
            last += 1;
            records.push(serde_json::json!({
                "checksum": "auto",
                "sync": last,
                "date_stamp": "1994-02-18T01:00:00Z",
                "reserved": "",
                "text": t,
            }));
        }
    });
    edit_json(
        &dir.path().join("LAGRANGE/GLB/REQCONF.GLB"),
        "reqconf",
        |v| v["header"]["srvsync"] = serde_json::json!(last),
    );
    dir
}

/// Issue 14 point 1: an `M` whose new-entry line begins with a TAB gives
/// the new alias whole (KB Q159308, Q151782): the server's view holds
/// "New Name", which LAGRANGE, never having received the M, holds as
/// "Colin Gauss" (the corpus MSTTRANS renames TAYLOR/colin to Colin Gauss
/// at sync 34).
#[test]
fn a_modify_line_led_by_a_tab_keeps_its_first_letter() {
    let dir = network_with(&[
        "M Colin Gauss\tPCM:POLYNOMIAL/TAYLOR/colin\r\n\tNew Name\tPCM:POLYNOMIAL/TAYLOR/colin",
    ]);
    let mst = dir.path().join("MONTGOMERY/GLB/MSTTRANS.GLB");
    let o = glbtool()
        .args(["dump", "-f", "json"])
        .arg(&mst)
        .output()
        .unwrap();
    let v = json(&o);
    let last = v["records"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["info"]["transaction"]["new"]["alias"], "New Name");
    // The text view tells this form from glbtool's own `<SP><TAB>` form.
    let o = glbtool().arg("dump").arg(&mst).output().unwrap();
    assert!(
        text(&o).contains(&format!("{:41}<tab>New Name<tab>PCM:", "")),
        "{}",
        text(&o)
    );
    let (c, v) = server_vs(&dir.path().join("MONTGOMERY"), &dir.path().join("LAGRANGE"));
    assert_eq!(c, 1, "{v:#}");
    let taylor = v["lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["list"] == "PCM:POLYNOMIAL/TAYLOR")
        .unwrap();
    let changed = taylor["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{taylor:#}");
    assert_eq!(changed[0]["server"]["name"], "New Name");
    assert_eq!(changed[0]["requestor"]["name"], "Colin Gauss");
    assert_eq!(taylor["missing"].as_array().unwrap().len(), 0);
    assert_eq!(taylor["extra"].as_array().unwrap().len(), 0);
}

/// Issue 14 point 4: a transaction Import rejects (here `[ 20] Address
/// element is too long`, a 14-character mailbox, KB Q96001) is not applied
/// at any requestor, so LAGRANGE's list of TAYLOR is right without it: the
/// lists are equal, and the transaction is reported once, as the server's
/// own problem, with the code and fix validate gives for the same record.
#[test]
fn a_transaction_import_rejects_is_the_servers_problem_not_a_missing_name() {
    let dir = network_with(&["A Evariste Galois\tPCM:POLYNOMIAL/TAYLOR/evaristegalo"]);
    let (c, v) = server_vs(&dir.path().join("MONTGOMERY"), &dir.path().join("LAGRANGE"));
    assert_eq!(c, 0, "{v:#}");
    assert_eq!(v["summary"]["missing"], 0);
    let events = v["server_events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{v:#}");
    assert_eq!(events[0]["sync"], 36);
    assert_eq!(events[0]["message"], 20);
    assert_eq!(events[0]["code"], "GLB020");
    assert_eq!(events[0]["list"], "PCM:POLYNOMIAL/TAYLOR");
    let fix = events[0]["fix"].as_str().unwrap();
    assert!(fix.starts_with("correct the entry in ADMIN at the postoffice that owns it"));
    // validate says the same of the same record.
    let mst = dir.path().join("MONTGOMERY/GLB/MSTTRANS.GLB");
    let o = glbtool()
        .args(["validate", "-f", "json"])
        .arg(&mst)
        .output()
        .unwrap();
    let findings = json(&o)["findings"].as_array().unwrap().clone();
    let f = findings
        .iter()
        .find(|f| f["code"] == "GLB020")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(f["record"], 35);
    assert!(f["fix"]["text"]
        .as_str()
        .unwrap()
        .starts_with(fix.split(" (").next().unwrap()));
    // The text report shows it once, with the code and the fix.
    let o = glbtool()
        .args(["diff", "--dss"])
        .arg(dir.path().join("MONTGOMERY"))
        .arg("--requestor")
        .arg(dir.path().join("LAGRANGE"))
        .output()
        .unwrap();
    let t = text(&o);
    assert_eq!(t.matches("sync 36:").count(), 1, "{t}");
    assert!(t.contains("GLB020 as validate reports it"), "{t}");
}

/// Issue 14 point 2: a list keeps its address type and has one `R`
/// (KB Q119449; a PCM copy would make requestors create a PCM postoffice
/// PROFSGW/NODE1, KB Q96060). The server's MSTTRANS.GLB only ever names
/// `PROFS:PROFSGW/NODE1/brookjr`; its USR file of PROFSGW/NODE1 holds the
/// same entry. A requestor in step then compares equal with the file.
#[test]
fn resync_keeps_each_lists_address_type() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("R.GLB");
    let s = corpus("scenarios/good-resync");
    let o = glbtool()
        .args(["resync", "--date", "1994-02-17T03:00:00Z", "--server"])
        .arg(s.join("MONTGOMERY"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = glbtool()
        .args(["dump", "-f", "json"])
        .arg(&out)
        .output()
        .unwrap();
    let texts: Vec<String> = json(&o)["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_string())
        .collect();
    let replaces: Vec<&str> = texts
        .iter()
        .filter(|t| t.starts_with("R "))
        .map(String::as_str)
        .collect();
    // One R per list, written by hand from the server's lists: its own,
    // the two requestors', the PROFS node its transactions name, and the
    // SMTP and FAX gateway lists (in key order).
    assert_eq!(
        replaces,
        [
            "R FAX:",
            "R PCM:POLYNOMIAL/LAGRANGE",
            "R PCM:POLYNOMIAL/MONTGOMERY",
            "R PCM:POLYNOMIAL/TAYLOR",
            "R PROFS:PROFSGW/NODE1",
            "R SMTP:",
        ]
    );
    assert!(texts.contains(&"A Brook Taylor Jr\tPROFS:PROFSGW/NODE1/brookjr".to_string()));
    assert!(
        !texts.iter().any(|t| t.contains("PCM:PROFSGW")),
        "{texts:#?}"
    );
    // The empty USR list of PROFSGW/NODE2, whose type nothing names, is said to be left out.
    let stdout = String::from_utf8(
        glbtool()
            .args(["resync", "--date", "1994-02-17T03:00:00Z", "--server"])
            .arg(s.join("MONTGOMERY"))
            .arg("-o")
            .arg(dir.path().join("R2.GLB"))
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        stdout.contains("(PROFSGW/NODE2, 0 records): left out"),
        "{stdout}"
    );
    let o = glbtool()
        .args(["diff", "-f", "json", "--dss"])
        .arg(&out)
        .arg("--requestor")
        .arg(s.join("TAYLOR"))
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{:#}", json(&o));
}

/// The REQCONF SrvSync of a postoffice directory, and the sync numbers of
/// a queue file, read with glb-formats (not through glbtool diff).
fn srvsync_of(po: &Path) -> u32 {
    use glb_formats::format::{Document, ReadOptions};
    use glb_formats::reqconf::ReqConfFile;
    let bytes = std::fs::read(po.join("GLB/REQCONF.GLB")).unwrap();
    Document::<ReqConfFile>::from_bytes(
        &bytes,
        glb_formats::FileKind::Reqconf,
        ReadOptions::default(),
    )
    .unwrap()
    .header
    .unwrap()
    .srvsync
}

fn syncs_of(queue: &Path) -> Vec<u64> {
    use glb_formats::format::{Document, ReadOptions};
    use glb_formats::queue::Queue;
    let bytes = std::fs::read(queue).unwrap();
    Document::<Queue>::from_bytes(
        &bytes,
        glb_formats::FileKind::Msttrans,
        ReadOptions::default(),
    )
    .unwrap()
    .records
    .iter()
    .map(|r| u64::from(r.sync))
    .collect()
}

/// Issue 14 point 6: in `lost-reply` the server processed TAYLOR's last
/// ReqTx but its reply never arrived: the transactions above TAYLOR's
/// SrvSync are still to be sent (KB Q96060), not differences.
#[test]
fn transactions_not_sent_yet_are_pending_not_differences() {
    let s = corpus("scenarios/lost-reply");
    let srvsync = u64::from(srvsync_of(&s.join("TAYLOR")));
    let expected: Vec<u64> = syncs_of(&s.join("MONTGOMERY/GLB/MSTTRANS.GLB"))
        .into_iter()
        .filter(|&n| n > srvsync)
        .collect();
    assert!(!expected.is_empty());
    let (c, v) = server_vs(&s.join("MONTGOMERY"), &s.join("TAYLOR"));
    assert_eq!(c, 0, "{v:#}");
    assert_eq!(v["summary"]["differing"], 0);
    let p = &v["pending"];
    assert_eq!(p["requestor_srvsync"].as_u64(), Some(srvsync));
    let got: Vec<u64> = p["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["sync"].as_u64().unwrap())
        .collect();
    assert_eq!(got, expected);
    assert!(p["note"]
        .as_str()
        .unwrap()
        .starts_with("pending: will be sent at the next T2"));
    // A requestor that received everything has nothing pending.
    let (c, v) = server_vs(&s.join("MONTGOMERY"), &s.join("LAGRANGE"));
    assert_eq!(c, 0, "{v:#}");
    assert!(v["pending"].is_null());
}

/// Issue 14 point 7: one list file gives the verdict its directory gives
/// for that list. TAYLOR's own gateway addresses (Taylor Sales, SMTP;
/// Brook Taylor Jr, PROFS:PROFSGW/NODE1) are in its POL and left out.
#[test]
fn one_list_file_and_its_directory_agree() {
    let net = corpus("network");
    let (c, whole) = server_vs(&net.join("MONTGOMERY"), &net.join("TAYLOR"));
    assert_eq!(c, 0);
    let status = |v: &serde_json::Value, list: &str| {
        let l = v["lists"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["list"] == list)
            .unwrap_or_else(|| panic!("no {list}: {v:#}"))
            .clone();
        (l["status"].clone(), l["own_entries"].clone())
    };
    for (file, list) in [
        ("NME/SMTP.NME", "SMTP:"),
        ("USR/00000006.USR", "PROFS:PROFSGW/NODE1"),
    ] {
        let (c, one) = server_vs(&net.join("MONTGOMERY"), &net.join("TAYLOR").join(file));
        assert_eq!(c, 0, "{file}: {one:#}");
        assert_eq!(status(&one, list), status(&whole, list), "{file}");
        assert_eq!(status(&one, list).1, 1, "{file}: its own address left out");
    }
}

/// Issue 14 point 8: LAGRANGE's list of MONTGOMERY holding one record
/// twice (copied through JSON and build) differs, and validate says so.
#[test]
fn a_list_holding_an_address_twice_differs() {
    let dir = tempfile::tempdir().unwrap();
    for po in ["MONTGOMERY", "LAGRANGE"] {
        copy_dir(&corpus("network").join(po), &dir.path().join(po));
    }
    let usr = glb_dirsync::postoffice::Postoffice::open(
        &dir.path().join("LAGRANGE"),
        glb_formats::CodePage::Cp850,
    )
    .unwrap()
    .usr_for("POLYNOMIAL", "MONTGOMERY")
    .unwrap();
    let mut copied = String::new();
    edit_json(&usr, "usr", |v| {
        let records = v["records"].as_array_mut().unwrap();
        let mut first = records[0].clone();
        copied = first["name"].as_str().unwrap().to_string();
        // A copy's position and derived facts are its own: left out (docs/json.md).
        for derived in ["index", "offset", "info"] {
            first.as_object_mut().unwrap().remove(derived);
        }
        records.push(first);
    });
    let (c, v) = server_vs(&dir.path().join("MONTGOMERY"), &dir.path().join("LAGRANGE"));
    assert_eq!(c, 1, "{v:#}");
    let mont = v["lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["list"] == "PCM:POLYNOMIAL/MONTGOMERY")
        .unwrap()
        .clone();
    assert_eq!(mont["status"], "differs");
    let dups = mont["duplicates"].as_array().unwrap();
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0]["name"], copied.as_str());
    assert_eq!(v["summary"]["duplicates"], 1);
    let o = glbtool()
        .args(["validate", "-f", "json"])
        .arg(&usr)
        .output()
        .unwrap();
    let report = json(&o);
    let codes = finding_codes(&report);
    assert_eq!(codes, ["GLB351"], "{report:#}");
}

/// Issue 14 point 9: in `purged`, MSTTRANS.GLB starts above TAYLOR's
/// SrvSync and holds no list's R: no list can be judged, the remaining
/// transactions are pending, and the purged gap is named with KB Q108067's
/// remedy.
#[test]
fn lists_whose_r_was_purged_cannot_be_judged() {
    let s = corpus("scenarios/purged");
    let mst = syncs_of(&s.join("MONTGOMERY/GLB/MSTTRANS.GLB"));
    let srvsync = u64::from(srvsync_of(&s.join("TAYLOR")));
    assert!(srvsync + 1 < mst[0], "purged above TAYLOR's SrvSync");
    let (c, v) = server_vs(&s.join("MONTGOMERY"), &s.join("TAYLOR"));
    assert_eq!(c, 1, "{v:#}");
    for l in v["lists"].as_array().unwrap() {
        assert_eq!(l["status"], "cannot_judge", "{l:#}");
        assert_eq!(l["whole"], false);
        assert!(l["missing"].as_array().unwrap().is_empty());
        assert!(l["extra"].as_array().unwrap().is_empty());
    }
    assert_eq!(v["summary"]["differing"], 0);
    assert_eq!(v["pending"]["count"].as_u64(), Some(mst.len() as u64));
    let gap = format!("transactions {}..{} were purged", srvsync + 1, mst[0] - 1);
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains(&gap)
                && n.as_str().unwrap().contains("Requestor, Export")),
        "{v:#}"
    );
    let o = glbtool()
        .args(["diff", "--dss"])
        .arg(s.join("MONTGOMERY"))
        .arg("--requestor")
        .arg(s.join("TAYLOR"))
        .output()
        .unwrap();
    assert!(
        text(&o).contains("cannot judge: the list's R was purged (Keep Updates, KB Q108067)"),
        "{}",
        text(&o)
    );
}
