//! The write path (docs/safety.md), end to end on copies of the corpus
//! scenarios: outputs of another kind, directories, devices and FIFOs are
//! refused; `-o -` writes standard output; backups are never overwritten
//! (numbered, 8.3 names too); a kill at each step of the write sequence
//! leaves the old or the new file and an intact backup; concurrent writers
//! and appends are never silently lost; owner, group and mode are kept.
//!
//! The tests that pause glbtool at a step use its test hooks, which exist
//! only in debug builds (`cargo test` without `--release`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{corpus, glbtool, listing};

/// The steps of the write sequence, as the test hook names them (glbtool/src/safe_write.rs).
const STEPS: [&str; 10] = [
    "claimed",
    "temp-created",
    "temp-written",
    "temp-synced",
    "validated",
    "backup-written",
    "backup-in-place",
    "checked",
    "renamed",
    "done",
];

/// Copies a committed corpus directory into `to`.
fn copy_tree(rel: &str, to: &Path) {
    let from = corpus(rel);
    for f in common::files_below(&from) {
        let dest = to.join(f.strip_prefix(&from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dest).unwrap();
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A temporary file glbtool made (long or 8.3 name).
fn is_temp(name: &str) -> bool {
    (name.starts_with(".glbtool-") && name.ends_with(".tmp"))
        || (name.len() == 12 && name.starts_with("GLB") && name.ends_with(".TMP"))
}

/// Runs glbtool with `args`; returns its output.
fn run(args: &[&std::ffi::OsStr]) -> Output {
    glbtool().args(args).output().unwrap()
}

fn os<'a>(parts: &'a [&'a str]) -> Vec<&'a std::ffi::OsStr> {
    parts.iter().map(std::ffi::OsStr::new).collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The TAYLOR requestor of the `reqtrans-below-reqsync` scenario: its
/// REQTRANS.GLB, whose two pending transactions lie at or below REQCONF's
/// ReqSync 12 (GLB171; the fix renumbers them from 13).
fn taylor(tmp: &Path) -> PathBuf {
    copy_tree("scenarios/reqtrans-below-reqsync/TAYLOR", tmp);
    tmp.join("GLB/REQTRANS.GLB")
}

/// `patch-seq FILE --renumber-from N ARGS`, expecting success.
fn renumber(file: &Path, from: u32, args: &[&str]) -> String {
    let out = glbtool()
        .arg("patch-seq")
        .arg(file)
        .args(["--renumber-from", &from.to_string()])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// The JSON of a committed REQTRANS.GLB, to build from.
fn reqtrans_json() -> Vec<u8> {
    glbtool()
        .args(["dump", "--format", "json"])
        .arg(corpus("samples/queue/acknowledged/REQTRANS.GLB"))
        .output()
        .unwrap()
        .stdout
}

#[test]
fn outputs_of_another_kind_are_refused_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree("scenarios/error14", tmp.path());
    let glb = tmp.path().join("MONTGOMERY/GLB");
    let srvconf = glb.join("SRVCONF.GLB");
    let original = read(&srvconf);
    let json = tmp.path().join("r.json");
    std::fs::write(&json, reqtrans_json()).unwrap();
    let before = listing(&glb);

    // The red team's case: a queue built over the server's SRVCONF.GLB.
    let out = glbtool()
        .args(["build", "--kind", "reqtrans"])
        .arg(&json)
        .arg("-o")
        .arg(&srvconf)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the name says SRVCONF.GLB") && stderr(&out).contains("--force"),
        "{}",
        stderr(&out)
    );
    // By content: SRVCONF's bytes under a name that says nothing; the GAL
    // with --no-backup.
    let renamed = glb.join("SERVER.CFG");
    std::fs::copy(&srvconf, &renamed).unwrap();
    let gal = tmp.path().join("MONTGOMERY/NME/GAL.NME");
    let gal_bytes = read(&gal);
    for (target, says) in [
        (&renamed, "its content is SRVCONF.GLB"),
        (&gal, "the name says NME"),
    ] {
        let out = glbtool()
            .args(["build", "--kind", "reqtrans", "--no-backup"])
            .arg(&json)
            .arg("-o")
            .arg(target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    assert_eq!(read(&gal), gal_bytes);
    assert_eq!(read(&renamed), original);
    std::fs::remove_file(&renamed).unwrap();
    // A JSON document is no Dir-Sync file either: building over the input itself.
    let out = glbtool()
        .args(["build", "--kind", "reqtrans"])
        .arg(&json)
        .arg("-o")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no Dir-Sync file"),
        "{}",
        stderr(&out)
    );

    // resync over SRVCONF.GLB, or over its own input MSTTRANS.GLB.
    let server = tmp.path().join("MONTGOMERY");
    let msttrans = glb.join("MSTTRANS.GLB");
    let mst = read(&msttrans);
    for target in [&srvconf, &msttrans] {
        let out = glbtool()
            .args(["resync", "--server"])
            .arg(&server)
            .arg("-o")
            .arg(target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("the name says"), "{}", stderr(&out));
    }
    // patch-seq -o onto a file of another kind.
    let resync = tmp.path().join("TAYLOR/GLB/RESYNC.GLB");
    let out = glbtool()
        .args(["patch-seq", "--impseq", "1", "-o"])
        .arg(glb.join("REQCONF.GLB"))
        .arg(&resync)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the name says REQCONF.GLB"));
    // A directory is refused even with --force.
    let out = glbtool()
        .args(["build", "--kind", "reqtrans", "--force"])
        .arg(&json)
        .arg("-o")
        .arg(&glb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
    // Nothing changed, nothing was added.
    assert_eq!(read(&srvconf), original);
    assert_eq!(read(&msttrans), mst);
    assert_eq!(listing(&glb), before);

    // --force: the output that equals an input goes through the safe
    // sequence; the old file is the backup.
    let out = glbtool()
        .args(["resync", "--force", "--server"])
        .arg(&server)
        .arg("-o")
        .arg(&msttrans)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(read(&glb.join("MSTTRANS.GLB.bak")), mst);
    assert_ne!(read(&msttrans), mst);
}

#[test]
fn dash_writes_standard_output() {
    let tmp = tempfile::tempdir().unwrap();
    let json = reqtrans_json();
    let want = read(&corpus("samples/queue/acknowledged/REQTRANS.GLB"));
    let out = glbtool()
        .current_dir(tmp.path())
        .args(["build", "--kind", "reqtrans", "-", "-o", "-"])
        .write_stdin(json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(out.stdout, want);
    assert!(stderr(&out).contains("wrote standard output"));
    assert!(listing(tmp.path()).is_empty(), "no file named -");

    // patch-seq -o -: the result on standard output, the report on standard
    // error, the input untouched.
    let f = taylor(tmp.path());
    let original = read(&f);
    let out = glbtool()
        .current_dir(tmp.path())
        .arg("patch-seq")
        .arg(&f)
        .args(["--renumber-from", "13", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("wrote standard output"));
    assert_eq!(read(&f), original);
    renumber(&f, 13, &["--no-backup"]);
    assert_eq!(out.stdout, read(&f), "the same bytes as patching in place");

    // resync -o -: the same bytes as resync -o FILE.
    let net = tmp.path().join("net");
    copy_tree("network", &net);
    let file = tmp.path().join("RESYNC.GLB");
    let args = ["resync", "--date", "1994-04-11T12:13:52Z", "--server"];
    glbtool()
        .args(args)
        .arg(net.join("MONTGOMERY"))
        .arg("-o")
        .arg(&file)
        .assert()
        .success();
    let out = glbtool()
        .args(args)
        .arg(net.join("MONTGOMERY"))
        .args(["-o", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(out.stdout, read(&file));
    assert!(stderr(&out).contains("wrote standard output"));
}

#[test]
fn three_repairs_keep_the_original_as_the_first_backup() {
    for (dos, names) in [
        (
            false,
            [
                "REQTRANS.GLB.bak",
                "REQTRANS.GLB.bak.1",
                "REQTRANS.GLB.bak.2",
            ],
        ),
        (true, ["REQTRANS.BAK", "REQTRANS.B01", "REQTRANS.B02"]),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let f = taylor(tmp.path());
        let glb = f.parent().unwrap();
        let mut versions = vec![read(&f)];
        let extra: &[&str] = if dos { &["--dos-names"] } else { &[] };
        for (i, from) in [13, 14, 15].into_iter().enumerate() {
            let report = renumber(&f, from, extra);
            let bak = glb.join(names[i]);
            assert!(
                report.contains(&format!("the previous file is kept as {}", bak.display())),
                "{report}"
            );
            versions.push(read(&f));
        }
        // Each backup holds the version before its repair; the first, the original.
        for (i, name) in names.iter().enumerate() {
            assert_eq!(read(&glb.join(name)), versions[i], "{name}");
        }
        assert_ne!(versions[1], versions[2]);
        let listed = listing(glb);
        for name in names {
            assert!(listed.iter().any(|n| n == name), "{listed:?}");
        }
        assert!(!listed.iter().any(|n| is_temp(n)), "{listed:?}");
    }
}

#[test]
fn devices_fifos_and_odd_backups_are_refused_without_hanging() {
    let tmp = tempfile::tempdir().unwrap();
    let f = taylor(tmp.path());
    let original = read(&f);
    let fifo = tmp.path().join("OUT.GLB");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let dir = tmp.path().join("GLB");
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (
            vec!["-o".into(), "/dev/null".into()],
            "is a character device",
        ),
        (
            vec!["-o".into(), "/dev/zero".into()],
            "is a character device",
        ),
        (vec!["-o".into(), fifo.clone().into()], "is a FIFO"),
        (
            vec!["--backup".into(), "/dev/null".into()],
            "is a character device",
        ),
        (vec!["--backup".into(), fifo.clone().into()], "is a FIFO"),
        (
            vec!["--backup".into(), dir.clone().into()],
            "is a directory",
        ),
        (
            vec!["--backup".into(), f.clone().into()],
            "names the file being written",
        ),
        (
            vec!["--backup".into(), dir.join("REQCONF.GLB").into()],
            "names an input",
        ),
    ];
    for (extra, says) in cases {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("glbtool"))
            .arg("patch-seq")
            .arg(&f)
            .args(["--renumber-from", "13", "--force"])
            .args(&extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = wait_at_most(&mut child, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("{extra:?}: glbtool hung"));
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{extra:?}: {}", stderr(&out));
        assert_eq!(read(&f), original, "{extra:?}");
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    // The backup may not be an input: the red team's IN.GLB -o OUT.GLB --backup IN.GLB.
    let out_file = tmp.path().join("OUT2.GLB");
    std::fs::copy(&f, &out_file).unwrap();
    let out = glbtool()
        .arg("patch-seq")
        .arg(&f)
        .args(["--renumber-from", "13", "-o"])
        .arg(&out_file)
        .arg("--backup")
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("names an input"), "{}", stderr(&out));
    assert_eq!(read(&f), original);
    assert_eq!(read(&out_file), original);
}

/// Waits for `child` at most `limit`; kills it and returns `None` when it is still running.
fn wait_at_most(child: &mut Child, limit: Duration) -> Option<Output> {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            let mut out = Output {
                status: child.wait().unwrap(),
                stdout: Vec::new(),
                stderr: Vec::new(),
            };
            use std::io::Read;
            if let Some(mut s) = child.stdout.take() {
                s.read_to_end(&mut out.stdout).unwrap();
            }
            if let Some(mut s) = child.stderr.take() {
                s.read_to_end(&mut out.stderr).unwrap();
            }
            return Some(out);
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_file_with_other_names_is_refused_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let f = taylor(tmp.path());
    let other = tmp.path().join("LINK.GLB");
    std::fs::hard_link(&f, &other).unwrap();
    let out = glbtool()
        .arg("patch-seq")
        .arg(&f)
        .args(["--renumber-from", "13"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("hard links"), "{}", stderr(&out));
    renumber(&f, 13, &["--force"]);
    assert_ne!(read(&f), read(&other));
}

/// A glbtool run paused by the test hook.
struct Paused {
    child: Child,
    hooks: tempfile::TempDir,
}

impl Paused {
    /// Starts `glbtool ARGS`, to pause at each of `steps` (comma-separated).
    fn start(args: &[&std::ffi::OsStr], steps: &str) -> Paused {
        let hooks = tempfile::tempdir().unwrap();
        let child = Command::new(assert_cmd::cargo::cargo_bin("glbtool"))
            .args(args)
            .env("GLBTOOL_TEST_PAUSE_DIR", hooks.path())
            .env("GLBTOOL_TEST_PAUSE_AT", steps)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Paused { child, hooks }
    }

    /// Waits until glbtool pauses at `step` (true) or exits without reaching it (false).
    fn reach(&mut self, step: &str) -> bool {
        let waiting = self.hooks.path().join(format!("{step}.waiting"));
        let start = Instant::now();
        loop {
            if waiting.exists() {
                return true;
            }
            if self.child.try_wait().unwrap().is_some() {
                return waiting.exists();
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "never reached {step}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Lets glbtool go on from `step`.
    fn go(&self, step: &str) {
        std::fs::write(self.hooks.path().join(format!("{step}.go")), b"").unwrap();
    }

    /// Lets it go on from every step and waits for the end.
    fn finish(self) -> Output {
        for s in STEPS {
            self.go(s);
        }
        self.child.wait_with_output().unwrap()
    }

    /// Kills it (SIGKILL) where it is.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the test hooks exist only in debug builds: run cargo test without --release"
)]
fn a_kill_at_each_step_leaves_the_old_or_the_new_file_and_an_intact_backup() {
    // Each way of keeping backups: the first one, a numbered one after an
    // existing backup, 8.3 names (first and numbered), a named path.
    let setups: [(&str, &[&str], &[&str]); 5] = [
        ("first backup", &[], &[]),
        ("numbered", &[], &["REQTRANS.GLB.bak", "REQTRANS.GLB.bak.1"]),
        ("8.3", &["--dos-names"], &[]),
        ("8.3 numbered", &["--dos-names"], &["REQTRANS.BAK"]),
        ("--backup", &["--backup", "KEEP.OLD"], &["KEEP.OLD"]),
    ];
    let mut tally = (0, 0);
    for (what, extra, existing) in setups {
        let tmp = tempfile::tempdir().unwrap();
        let f = taylor(tmp.path());
        let glb = f.parent().unwrap().to_path_buf();
        let extra: Vec<String> = extra
            .iter()
            .map(|a| {
                if *a == "KEEP.OLD" {
                    glb.join(a).display().to_string()
                } else {
                    a.to_string()
                }
            })
            .collect();
        let original = read(&f);
        // The result, from an undisturbed run on a copy.
        let expected = {
            let t = tempfile::tempdir().unwrap();
            let g = taylor(t.path());
            renumber(&g, 13, &["--no-backup"]);
            read(&g)
        };
        let old_backups: Vec<(String, Vec<u8>)> = existing
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), format!("older backup {i}").into_bytes()))
            .collect();
        let others: Vec<String> = listing(&glb);
        for step in STEPS {
            // Back to the start.
            for name in listing(&glb) {
                if !others.contains(&name) {
                    std::fs::remove_file(glb.join(&name)).unwrap();
                }
            }
            std::fs::write(&f, &original).unwrap();
            for (n, b) in &old_backups {
                std::fs::write(glb.join(n), b).unwrap();
            }
            let mut args = vec!["patch-seq".to_string(), f.display().to_string()];
            args.extend(["--renumber-from".into(), "13".into()]);
            args.extend(extra.iter().cloned());
            let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
            let mut p = Paused::start(&args, step);
            assert!(p.reach(step), "{what}: glbtool never reached {step}");
            p.kill();
            // The target: old or new, whole.
            let now = read(&f);
            let replaced = if now == original {
                false
            } else if now == expected {
                true
            } else {
                panic!("{what}, killed at {step}: the target is neither the old nor the new file")
            };
            // Older backups untouched; at most one new file besides
            // temporary ones, the backup, equal to the original; present
            // whenever the target was replaced.
            for (n, b) in &old_backups {
                assert_eq!(&read(&glb.join(n)), b, "{what}, {step}: {n} changed");
            }
            let new: Vec<String> = listing(&glb)
                .into_iter()
                .filter(|n| !others.contains(n) && !old_backups.iter().any(|(o, _)| o == n))
                .filter(|n| !is_temp(n))
                .collect();
            assert!(new.len() <= 1, "{what}, {step}: {new:?}");
            if let Some(b) = new.first() {
                assert_eq!(read(&glb.join(b)), original, "{what}, {step}: backup {b}");
            }
            assert!(
                !replaced || new.len() == 1,
                "{what}, {step}: replaced without a backup"
            );
            if extra.iter().any(|a| a == "--dos-names") {
                for n in listing(&glb).iter().filter(|n| !others.contains(n)) {
                    let (stem, ext) = n.split_once('.').unwrap();
                    assert!(
                        stem.len() <= 8 && ext.len() <= 3,
                        "{what}, {step}: {n} is not 8.3"
                    );
                }
            }
            if replaced {
                tally.1 += 1;
            } else {
                tally.0 += 1;
            }
        }
    }
    eprintln!(
        "kills leaving the old file: {}, the new one: {}",
        tally.0, tally.1
    );
    // Before the rename the old file, from the rename on the new one, in each setup.
    assert_eq!(tally, (5 * 8, 5 * 2));
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the test hooks exist only in debug builds: run cargo test without --release"
)]
fn an_append_at_any_step_is_never_lost() {
    // A complete transaction record, appended by another program.
    let record = racer();
    let contains = |hay: &[u8]| hay.windows(record.len()).any(|w| w == record.as_slice());
    for step in &STEPS[..STEPS.len() - 1] {
        let tmp = tempfile::tempdir().unwrap();
        let f = taylor(tmp.path());
        let original = read(&f);
        let fs = f.display().to_string();
        let mut p = Paused::start(&os(&["patch-seq", &fs, "--renumber-from", "13"]), step);
        assert!(p.reach(step));
        append(&f, &record);
        let out = p.finish();
        let now = read(&f);
        if *step == "renamed" {
            // After the rename the append went to the new file: both succeed, nothing lost.
            assert_eq!(out.status.code(), Some(0), "{step}: {}", stderr(&out));
            assert!(contains(&now));
        } else if *step == "checked" {
            // Between the last check and the rename it went to the old file,
            // which glbtool notices after the rename: it keeps that version
            // as a further backup and says so.
            assert_eq!(out.status.code(), Some(2), "{step}: {}", stderr(&out));
            assert!(
                stderr(&out).contains("written by another program"),
                "{}",
                stderr(&out)
            );
            assert!(contains(&read(&f.with_file_name("REQTRANS.GLB.bak.1"))));
            assert_eq!(read(&f.with_file_name("REQTRANS.GLB.bak")), original);
        } else {
            // Before it, glbtool notices and leaves the file as the other program left it.
            assert_eq!(out.status.code(), Some(2), "{step}: {}", stderr(&out));
            assert!(
                stderr(&out).contains("on disk while glbtool was working"),
                "{step}: {}",
                stderr(&out)
            );
            assert_eq!(now, [original.as_slice(), &record].concat(), "{step}");
        }
    }
    // An append through a file opened before the rename and written after it
    // reaches the old file: glbtool says so and keeps that version.
    let tmp = tempfile::tempdir().unwrap();
    let f = taylor(tmp.path());
    let fs = f.display().to_string();
    let mut p = Paused::start(
        &os(&["patch-seq", &fs, "--renumber-from", "13"]),
        "checked,renamed",
    );
    assert!(p.reach("checked"));
    let mut held = std::fs::OpenOptions::new().append(true).open(&f).unwrap();
    p.go("checked");
    assert!(p.reach("renamed"));
    use std::io::Write;
    held.write_all(&record).unwrap();
    drop(held);
    let out = p.finish();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("written by another program"),
        "{}",
        stderr(&out)
    );
    let glb = f.parent().unwrap();
    assert!(
        contains(&read(&glb.join("REQTRANS.GLB.bak.1"))),
        "the change is kept"
    );
}

/// The text of the transaction another program appends.
const RACER: &[u8] = b"A Racer\tPCM:NET/PO/racer";

/// A complete REQTRANS.GLB transaction record, sync 90, text `RACER`.
fn racer() -> Vec<u8> {
    use glb_formats::fields::Stamp;
    use glb_formats::queue::{Queue, QueueRecord};
    let mut w = glb_formats::Writer::<Queue, _>::new(Vec::new(), glb_formats::FileKind::Reqtrans);
    w.record(&QueueRecord::new(90, Stamp(765_720_900), RACER))
        .unwrap();
    w.finish().unwrap()
}

/// Appends `bytes` to `path` as an ordinary program does (open, write, close; no lock).
fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the test hooks exist only in debug builds: run cargo test without --release"
)]
fn a_second_writer_is_refused_while_the_first_holds_the_file() {
    for step in &STEPS[..STEPS.len() - 2] {
        let tmp = tempfile::tempdir().unwrap();
        let f = taylor(tmp.path());
        let fs = f.display().to_string();
        let mut first = Paused::start(&os(&["patch-seq", &fs, "--renumber-from", "13"]), step);
        assert!(first.reach(step));
        let second = run(&os(&["patch-seq", &fs, "--renumber-from", "14"]));
        let first = first.finish();
        assert_eq!(first.status.code(), Some(0), "{step}: {}", stderr(&first));
        assert_eq!(second.status.code(), Some(2), "{step}: {}", stderr(&second));
        assert!(stderr(&second).contains("locked"), "{}", stderr(&second));
    }
}

#[test]
fn concurrent_writers_and_appends_never_both_succeed_with_a_change_lost() {
    const TRIALS: usize = 40;
    let record = racer();
    // The appended text (glbtool may renumber the record, never its text).
    let text = RACER;
    let contains = |hay: &[u8]| hay.windows(text.len()).any(|w| w == text);
    let mut rng = common::Rng(0x5eed);
    let (mut both, mut one, mut appended_first, mut refused) = (0, 0, 0, 0);
    for trial in 0..TRIALS {
        // Two writers on one REQCONF.GLB, each changing a different number:
        // if both exit 0, both changes are in the file.
        let tmp = tempfile::tempdir().unwrap();
        copy_tree("samples/config/reset", tmp.path());
        let conf = tmp.path().join("REQCONF.GLB");
        let a = Command::new(assert_cmd::cargo::cargo_bin("glbtool"))
            .arg("patch-seq")
            .arg(&conf)
            .args(["--reqsync", "31", "--no-backup"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(3000)));
        let b = glbtool()
            .arg("patch-seq")
            .arg(&conf)
            .args(["--impsync", "7", "--no-backup"])
            .output()
            .unwrap();
        let a = a.wait_with_output().unwrap();
        let dump = String::from_utf8(
            glbtool()
                .args(["dump", "--format", "json"])
                .arg(&conf)
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&dump).unwrap();
        let h = &v["header"];
        let (has_a, has_b) = (h["reqsync"] == 31, h["impsync"] == 7);
        match (a.status.code(), b.status.code()) {
            (Some(0), Some(0)) => {
                both += 1;
                assert!(
                    has_a && has_b,
                    "trial {trial}: both exited 0 but a change is lost: {h}"
                );
            }
            (Some(0), Some(2)) => {
                one += 1;
                assert!(has_a && !has_b, "trial {trial}: {h}");
            }
            (Some(2), Some(0)) => {
                one += 1;
                assert!(has_b && !has_a, "trial {trial}: {h}");
            }
            other => panic!("trial {trial}: exits {other:?}"),
        }

        // A writer racing an append.
        let tmp = tempfile::tempdir().unwrap();
        let f = taylor(tmp.path());
        let child = Command::new(assert_cmd::cargo::cargo_bin("glbtool"))
            .arg("patch-seq")
            .arg(&f)
            .args(["--renumber-from", "13"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(40_000)));
        append(&f, &record);
        let status = child.wait_with_output().unwrap().status;
        let now = read(&f);
        if contains(&now) {
            if status.success() {
                appended_first += 1;
            } else {
                refused += 1;
            }
        } else {
            // Not in the file: glbtool must have failed and kept it in a backup.
            assert!(
                !status.success(),
                "trial {trial}: glbtool exited 0 and the append is lost"
            );
            let glb = f.parent().unwrap();
            assert!(
                listing(glb)
                    .iter()
                    .any(|n| n.starts_with("REQTRANS.GLB.bak") && contains(&read(&glb.join(n)))),
                "trial {trial}: the append is nowhere"
            );
            refused += 1;
        }
    }
    eprintln!(
        "{TRIALS} trials: two writers both succeeded {both} times (both changes kept), one refused {one} times; appends: {appended_first} kept with glbtool succeeding, {refused} with glbtool refusing"
    );
}

#[cfg(unix)]
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the test hooks exist only in debug builds: run cargo test without --release"
)]
fn owner_group_and_mode_are_kept_and_a_private_file_stays_private() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let tmp = tempfile::tempdir().unwrap();
    let f = taylor(tmp.path());
    let glb = f.parent().unwrap().to_path_buf();
    let root = rustix::process::geteuid().is_root();
    // Owned by another account (the MS Mail service account, say) when we may.
    let (uid, gid) = if root {
        (4321, 4322)
    } else {
        let m = std::fs::metadata(&f).unwrap();
        (m.uid(), m.gid())
    };
    if root {
        std::os::unix::fs::chown(&f, Some(uid), Some(gid)).unwrap();
    }
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    // At every step, no file in the directory is readable by group or others
    // (the others in GLB/ are made 0600 too).
    for n in listing(&glb) {
        std::fs::set_permissions(glb.join(&n), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let fs = f.display().to_string();
    let mut p = Paused::start(&os(&["patch-seq", &fs, "--renumber-from", "13"]), "all");
    let mut seen = 0;
    for step in STEPS {
        if !p.reach(step) {
            continue;
        }
        for n in listing(&glb) {
            let Ok(m) = std::fs::symlink_metadata(glb.join(&n)) else {
                continue;
            };
            assert_eq!(
                m.mode() & 0o077,
                0,
                "at {step}: {n} is {:o}",
                m.mode() & 0o777
            );
            seen += 1;
        }
        p.go(step);
    }
    let out = p.finish();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(seen > 30, "{seen}");
    for name in ["REQTRANS.GLB", "REQTRANS.GLB.bak"] {
        let m = std::fs::metadata(glb.join(name)).unwrap();
        assert_eq!((m.uid(), m.gid()), (uid, gid), "{name}");
        assert_eq!(m.mode() & 0o7777, 0o600, "{name}");
    }
    // A group-readable file keeps its group bits too.
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    renumber(&f, 14, &[]);
    assert_eq!(std::fs::metadata(&f).unwrap().mode() & 0o7777, 0o640);
    assert_eq!(
        std::fs::metadata(glb.join("REQTRANS.GLB.bak.1"))
            .unwrap()
            .mode()
            & 0o7777,
        0o640
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "checks the release binary: run cargo test --release"
)]
fn release_builds_have_no_test_hooks() {
    let tmp = tempfile::tempdir().unwrap();
    let f = taylor(tmp.path());
    let hooks = tempfile::tempdir().unwrap();
    let out = glbtool()
        .arg("patch-seq")
        .arg(&f)
        .args(["--renumber-from", "13"])
        .env("GLBTOOL_TEST_PAUSE_DIR", hooks.path())
        .env("GLBTOOL_TEST_PAUSE_AT", "all")
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        listing(hooks.path()).is_empty(),
        "the release binary paused"
    );
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the test hooks exist only in debug builds: run cargo test without --release"
)]
fn a_failed_rename_leaves_the_old_backups_and_no_new_one() {
    // The red team's immutable target: the rename fails after the backup
    // step. Here a directory takes the target's name just before the rename.
    let tmp = tempfile::tempdir().unwrap();
    let f = taylor(tmp.path());
    let glb = f.parent().unwrap().to_path_buf();
    let older = glb.join("REQTRANS.GLB.bak");
    std::fs::write(&older, b"the original, from the first repair").unwrap();
    let before = listing(&glb);
    let fs = f.display().to_string();
    let mut p = Paused::start(&os(&["patch-seq", &fs, "--renumber-from", "13"]), "checked");
    assert!(p.reach("checked"));
    assert!(
        glb.join("REQTRANS.GLB.bak.1").exists(),
        "the new backup is made"
    );
    std::fs::remove_file(&f).unwrap();
    std::fs::create_dir(&f).unwrap();
    let out = p.finish();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(read(&older), b"the original, from the first repair");
    assert_eq!(listing(&glb), before, "no new backup, no temporary file");
}
