//! The hostile-input sweep (docs/robustness.md): at least 10,000 inputs
//! through the command line's entry points, `identify`, `dump` in every
//! format, `validate`, `diff`, `doctor` and `probe` (each of its options in
//! turn: text, JSON, redacted, a redacted copy). Every run must
//! end with exit code 0, 1 or 2, never print `panicked`, and stay inside a
//! 64 MiB address space and 20 CPU seconds (a run that allocates more, or
//! hangs, is killed and fails the test).
//!
//! The inputs are deterministic (seeded): every corpus file as is, truncated
//! at every record boundary (and one byte either side), with every length
//! field set to its largest and smallest value, then truncations at random
//! offsets, bit flips, overwritten bytes, splices and random bytes, plus a
//! 0-byte file and a directory where a file is expected. Some runs read
//! standard input (size unknown), some salvage.
//!
//! Each input is written where a postoffice keeps it (`GLB/`, `NME/`, `USR/`
//! or `XTN/` of a directory that also has `GLB/`), so `doctor` on that
//! directory sees a postoffice holding the one hostile file. Besides, a few
//! whole networks (copies of `corpus/network`, most with random damage: a
//! file cut, bit flips, a directory where a file is expected, a file where a
//! directory is expected, a file missing) go through `doctor` and through
//! `validate` of every file of one postoffice.
//!
//! Adding a family: one line in `FAMILIES`. Adding a command: one line in
//! `COMMANDS` or `TREE_COMMANDS` (it is skipped while `glbtool CMD --help`
//! fails).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use common::{copy_dir, corpus, files_below, Rng};
use glb_formats::format::{Format, ReadOptions, Reader};
use glb_formats::layout::{Annotate, Role, Span};
use glb_formats::{with_format, FileKind};

/// Inputs in all, shared among the families (so the sweep's time stays the
/// same as families are added).
const TOTAL: usize = 10_500;
/// Address-space limit of every run, in KiB (`ulimit -v`).
const MEMORY_LIMIT_KIB: u64 = 64 * 1024;
/// CPU-time limit of every run, in seconds (`ulimit -t`).
const CPU_LIMIT_S: u64 = 20;
/// Inputs identified by one `identify` run.
const BATCH: usize = 50;

/// The families swept: the kind, and the name an input file gets (which
/// makes glbtool read it as that kind). Seeds: every file of the family
/// below `corpus/samples/` and `corpus/network/`. One line per family.
const FAMILIES: &[(&str, FileKind, &str)] = &[
    ("queue", FileKind::Msttrans, "MSTTRANS.GLB"),
    ("reqconf", FileKind::Reqconf, "REQCONF.GLB"),
    ("srvconf", FileKind::Srvconf, "SRVCONF.GLB"),
    ("process", FileKind::Process, "PROCESS.GLB"),
    ("nme", FileKind::Nme, "ADMIN.NME"),
    ("usr", FileKind::Usr, "00000002.USR"),
    ("netpo", FileKind::Netpo, "NETPO.GLB"),
    ("network", FileKind::Network, "NETWORK.GLB"),
    ("xtn", FileKind::Xtn, "00000001.XTN"),
];

/// Whole networks swept (the first a plain copy of `corpus/network`, the
/// others damaged).
const TREES: usize = 24;

/// Every run per input. `{file}` is the input, `{dir}` its directory,
/// `{origin}` the corpus file it was made from, `{salvage}` becomes
/// `--salvage` for every other input. `identify` runs once per batch.
const COMMANDS: &[&[&str]] = &[
    &["dump", "--format", "text", "{salvage}", "{file}"],
    &["dump", "--format", "hex", "{no-salvage}", "{file}"],
    &["dump", "--format", "json", "{salvage}", "{file}"],
    &["dump", "--format", "ndjson", "{no-salvage}", "{file}"],
    &["validate", "{file}"],
    &["diff", "{origin}", "{file}"],
    &["doctor", "{dir}"],
    &["probe", "{probe-options}", "{file}"],
];

/// Every run per network: `{tree}` is the network, `{po}` one postoffice in
/// it, `{po-files}` every file and directory in that postoffice's
/// subdirectories.
const TREE_COMMANDS: &[&[&str]] = &[
    &["validate", "{po-files}"],
    &["doctor", "{tree}"],
    &["doctor", "{po}"],
];

/// The seeds of a family: every file of its kinds' family below
/// `corpus/samples` and `corpus/network`.
fn seeds_of(kind: FileKind) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = files_below(&corpus("samples"));
    files.extend(files_below(&corpus("network")));
    files.sort();
    files
        .into_iter()
        .filter(|p| {
            FileKind::from_file_name(&p.to_string_lossy())
                .is_some_and(|k| k.family() == kind.family())
        })
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect()
}

/// Where a postoffice keeps a file called `name`: `GLB/` for `*.GLB`, else
/// the directory named by its extension (`NME/`, `USR/`, `XTN/`).
fn subdir_of(name: &str) -> &str {
    name.rsplit_once('.').map_or("GLB", |(_, ext)| ext)
}

/// One hostile input.
struct Input {
    family: usize,
    /// The bytes; `None` for a directory where a file is expected.
    bytes: Option<Vec<u8>>,
    /// The corpus file it was made from.
    origin: PathBuf,
    /// What was done to it, for failure messages.
    how: String,
}

/// Byte ranges of a file's items and fields, from the library's field maps.
struct Structure {
    /// Offsets where a header or record starts or ends.
    boundaries: Vec<usize>,
    /// Absolute (start, len) of every length or count field.
    lengths: Vec<(usize, usize)>,
}

fn structure<F: Format>(bytes: &[u8], kind: FileKind) -> Structure {
    let mut s = Structure {
        boundaries: vec![0],
        lengths: Vec::new(),
    };
    let opts = ReadOptions {
        salvage: true,
        ..ReadOptions::default()
    };
    let Ok(mut reader) = Reader::<F, _>::new(bytes, kind, Some(bytes.len() as u64), opts) else {
        return s;
    };
    let cp = reader.codepage();
    let mut spans: Vec<Span> = Vec::new();
    if let Some(h) = reader.header() {
        h.spans(cp, &mut spans);
        s.boundaries.push(F::HEADER_LEN);
        collect_lengths(&spans, 0, &mut s.lengths);
    }
    while let Ok(Some(r)) = reader.next_record() {
        spans.clear();
        r.record.spans(cp, &mut spans);
        collect_lengths(&spans, r.offset as usize, &mut s.lengths);
        s.boundaries.push(r.offset as usize + r.raw.len());
    }
    s
}

fn collect_lengths(spans: &[Span], base: usize, out: &mut Vec<(usize, usize)>) {
    for sp in spans {
        if matches!(sp.role, Role::Length | Role::Pointer) && (1..=8).contains(&sp.len) {
            out.push((base + sp.start, sp.len));
        }
    }
}

/// The inputs for one family: structure-aware ones first, then random
/// mutations up to `share`.
fn family_inputs(family: usize, share: usize, rng: &mut Rng) -> Vec<Input> {
    let (name, kind, _) = FAMILIES[family];
    let seeds = seeds_of(kind);
    assert!(!seeds.is_empty(), "no {name} files in the corpus");
    let mut out = Vec::new();
    let mut push = |origin: &Path, bytes: Option<Vec<u8>>, how: String| {
        out.push(Input {
            family,
            bytes,
            origin: origin.to_path_buf(),
            how,
        });
        out.len()
    };
    push(&seeds[0].0, Some(Vec::new()), "a 0-byte file".into());
    push(
        &seeds[0].0,
        None,
        "a directory where a file is expected".into(),
    );
    for (path, bytes) in &seeds {
        let s = with_format!(kind.family(), |F| structure::<F>(bytes, kind));
        push(path, Some(bytes.clone()), "as committed".into());
        for &b in &s.boundaries {
            for cut in [b.saturating_sub(1), b, b + 1] {
                if cut < bytes.len() {
                    push(path, Some(bytes[..cut].to_vec()), format!("cut at {cut}"));
                }
            }
        }
        for &(at, len) in &s.lengths {
            for fill in [0xFFu8, 0x00, 0x7F] {
                let mut b = bytes.clone();
                b[at..at + len].fill(fill);
                if fill == 0x7F {
                    b[at..at + len - 1].fill(0xFF); // the largest signed value
                }
                push(
                    path,
                    Some(b),
                    format!("{len}-byte length field at {at} filled with {fill:#04x}"),
                );
            }
        }
    }
    let mut count = 0;
    while count < share {
        let (path, seed) = &seeds[rng.below(seeds.len() as u64) as usize];
        let mut b = seed.clone();
        let how = match rng.below(7) {
            0 if !b.is_empty() => {
                let cut = rng.below(b.len() as u64) as usize;
                b.truncate(cut);
                format!("cut at random offset {cut}")
            }
            1 | 2 if !b.is_empty() => {
                let n = 1 + rng.below(4);
                for _ in 0..n {
                    let i = rng.below(b.len() as u64) as usize;
                    b[i] ^= 1 << rng.below(8);
                }
                format!("{n} bit flips")
            }
            3 if !b.is_empty() => {
                let i = rng.below(b.len() as u64) as usize;
                b[i] ^= 1 << rng.below(8);
                let cut = rng.below(b.len() as u64 + 1) as usize;
                b.truncate(cut);
                format!("bit flip at {i}, cut at {cut}")
            }
            4 if !b.is_empty() => {
                let i = rng.below(b.len() as u64) as usize;
                let n = (1 + rng.below(8) as usize).min(b.len() - i);
                let v = rng.bytes(n);
                b[i..i + n].copy_from_slice(&v);
                format!("{n} bytes overwritten at {i}")
            }
            5 => {
                let (_, other) = &seeds[rng.below(seeds.len() as u64) as usize];
                let a = rng.below(b.len() as u64 + 1) as usize;
                let o = rng.below(other.len() as u64 + 1) as usize;
                b.truncate(a);
                b.extend_from_slice(&other[o..]);
                format!("spliced at {a} with another file from {o}")
            }
            _ => {
                let n = rng.below(600) as usize;
                b = rng.bytes(n);
                format!("{n} random bytes")
            }
        };
        count = push(path, Some(b), how);
    }
    out
}

/// A copy of `corpus/network` at `dest`; unless `n` is 0, with one to three
/// random kinds of damage. Returns what was done.
fn make_tree(dest: &Path, n: usize, rng: &mut Rng) -> String {
    copy_dir(&corpus("network"), dest);
    if n == 0 {
        return "corpus/network as committed".into();
    }
    let mut done = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let files = files_below(dest);
        if files.is_empty() {
            break;
        }
        let f = &files[rng.below(files.len() as u64) as usize];
        let rel = f.strip_prefix(dest).unwrap().display().to_string();
        let mut bytes = std::fs::read(f).unwrap();
        match rng.below(6) {
            0 => {
                let cut = rng.below(bytes.len() as u64 + 1) as usize;
                bytes.truncate(cut);
                std::fs::write(f, &bytes).unwrap();
                done.push(format!("{rel} cut at {cut}"));
            }
            1 if !bytes.is_empty() => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(bytes.len() as u64) as usize;
                    bytes[i] ^= 1 << rng.below(8);
                }
                std::fs::write(f, &bytes).unwrap();
                done.push(format!("bit flips in {rel}"));
            }
            2 => {
                std::fs::remove_file(f).unwrap();
                std::fs::create_dir(f).unwrap();
                done.push(format!("{rel} is a directory"));
            }
            3 => {
                let d = f.parent().unwrap();
                std::fs::remove_dir_all(d).unwrap();
                let n = rng.below(64) as usize;
                std::fs::write(d, rng.bytes(n)).unwrap();
                let rel = d.strip_prefix(dest).unwrap().display();
                done.push(format!("{rel} is a {n}-byte file"));
            }
            4 => {
                std::fs::remove_file(f).unwrap();
                done.push(format!("{rel} missing"));
            }
            _ => {
                let n = rng.below(2048) as usize;
                std::fs::write(f, rng.bytes(n)).unwrap();
                done.push(format!("{rel} replaced by {n} random bytes"));
            }
        }
    }
    done.join(", ")
}

/// Runs `TREE_COMMANDS` on `TREES` networks made in `dir`; returns (runs, failures).
fn sweep_trees(dir: &Path, commands: &[&[&str]], rng: &mut Rng) -> (usize, Vec<String>) {
    let mut runs = 0;
    let mut failures = Vec::new();
    for n in 0..TREES {
        let tree = dir.join(format!("net{n:02}"));
        let how = make_tree(&tree, n, rng);
        let mut pos: Vec<PathBuf> = std::fs::read_dir(&tree)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        pos.sort();
        let po = &pos[n % pos.len()];
        let mut po_files = Vec::new();
        if let Ok(subdirs) = std::fs::read_dir(po) {
            for sub in subdirs {
                let sub = sub.unwrap().path();
                match std::fs::read_dir(&sub) {
                    Ok(entries) => po_files.extend(entries.map(|e| e.unwrap().path())),
                    Err(_) => po_files.push(sub),
                }
            }
        }
        po_files.sort();
        if po_files.is_empty() {
            po_files.push(po.clone());
        }
        for template in commands {
            let mut args = Vec::new();
            for &a in template.iter() {
                match a {
                    "{tree}" => args.push(tree.display().to_string()),
                    "{po}" => args.push(po.display().to_string()),
                    "{po-files}" => args.extend(po_files.iter().map(|p| p.display().to_string())),
                    other => args.push(other.to_string()),
                }
            }
            let (code, stderr) = run_limited(&args, None, MEMORY_LIMIT_KIB);
            runs += 1;
            if let Some(f) = judge(&args, code, &stderr, &format!("network {n}: {how}")) {
                failures.push(f);
            }
        }
    }
    (runs, failures)
}

fn glbtool_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("glbtool")
}

/// Runs glbtool with `args` under the memory and CPU limits; returns the
/// exit code (`None` when killed by a signal) and standard error.
fn run_limited(args: &[String], stdin: Option<&Path>, limit_kib: u64) -> (Option<i32>, String) {
    let script = format!("ulimit -v {limit_kib} && ulimit -t {CPU_LIMIT_S} && exec \"$0\" \"$@\"");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .arg(glbtool_bin())
        .args(args)
        .env("TZ", "UTC")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match stdin {
        Some(p) => cmd.stdin(std::fs::File::open(p).unwrap()),
        None => cmd.stdin(Stdio::null()),
    };
    let out = cmd.output().expect("spawn sh");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Checks one run's outcome; returns a failure message.
fn judge(args: &[String], code: Option<i32>, stderr: &str, how: &str) -> Option<String> {
    let bad = match code {
        Some(0..=2) if !stderr.contains("panicked") => return None,
        Some(c) => format!("exit {c}"),
        None => "killed by a signal (memory or CPU limit, or a crash)".to_string(),
    };
    Some(format!(
        "glbtool {}: {bad} on input {how}\n{}",
        args.join(" "),
        stderr.lines().take(6).collect::<Vec<_>>().join("\n")
    ))
}

fn available(command: &str) -> bool {
    Command::new(glbtool_bin())
        .args([command, "--help"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs one worker's inputs; returns (runs, failures).
fn work(dir: &Path, inputs: &[&Input], commands: &[&[&str]]) -> (usize, Vec<String>) {
    let mut runs = 0;
    let mut failures = Vec::new();
    for (b, batch) in inputs.chunks(BATCH).enumerate() {
        let mut paths = Vec::new();
        for (j, input) in batch.iter().enumerate() {
            let slot = dir.join(format!("{j:02}"));
            let _ = std::fs::remove_dir_all(&slot);
            let name = FAMILIES[input.family].2;
            std::fs::create_dir_all(slot.join("GLB")).unwrap();
            std::fs::create_dir_all(slot.join(subdir_of(name))).unwrap();
            let path = slot.join(subdir_of(name)).join(name);
            match &input.bytes {
                Some(bytes) => std::fs::File::create(&path)
                    .and_then(|mut f| f.write_all(bytes))
                    .unwrap(),
                None => std::fs::create_dir(&path).unwrap(),
            }
            paths.push(path);
        }
        let mut args: Vec<String> = vec!["identify".into()];
        args.extend(paths.iter().map(|p| p.display().to_string()));
        let (code, stderr) = run_limited(&args, None, MEMORY_LIMIT_KIB);
        runs += 1;
        if let Some(f) = judge(&args, code, &stderr, &format!("batch {b}")) {
            failures.push(f);
        }
        for (j, (input, path)) in batch.iter().zip(&paths).enumerate() {
            let n = b * BATCH + j;
            for (c, template) in commands.iter().enumerate() {
                let salvage = (n + c).is_multiple_of(2);
                // Every fourth input reaches `dump` and `probe` through standard input.
                let piped = matches!(template[0], "dump" | "probe")
                    && n % 4 == c % 4
                    && input.bytes.is_some();
                let mut args = Vec::new();
                for &a in template.iter() {
                    match a {
                        "{file}" if piped => {
                            args.push("--kind".to_string());
                            args.push(FAMILIES[input.family].1.name().to_string());
                            args.push("-".into());
                        }
                        "{file}" => args.push(path.display().to_string()),
                        "{dir}" => {
                            let slot = path.parent().unwrap().parent().unwrap();
                            args.push(slot.display().to_string());
                        }
                        "{origin}" => args.push(input.origin.display().to_string()),
                        "{salvage}" if salvage => args.push("--salvage".into()),
                        "{no-salvage}" if !salvage => args.push("--salvage".into()),
                        "{salvage}" | "{no-salvage}" => {}
                        // probe's options in turn; a redacted copy needs a
                        // regular file to read twice.
                        "{probe-options}" => match n % 5 {
                            1 => args.push("--redact".into()),
                            2 => args.extend(["--format".into(), "json".into()]),
                            3 => args.extend(["--redact".into(), "-f".into(), "json".into()]),
                            4 if !piped => {
                                let copy = path.parent().unwrap().join("REDACTED.BIN");
                                args.extend([
                                    "--force".into(),
                                    "--redacted-copy".into(),
                                    copy.display().to_string(),
                                ]);
                            }
                            _ => {}
                        },
                        other => args.push(other.to_string()),
                    }
                }
                let stdin = piped.then_some(path.as_path());
                let (code, stderr) = run_limited(&args, stdin, MEMORY_LIMIT_KIB);
                runs += 1;
                if let Some(f) = judge(&args, code, &stderr, &input.how) {
                    failures.push(f);
                }
            }
        }
    }
    (runs, failures)
}

#[test]
fn hostile_inputs_never_crash_hang_or_allocate_without_bound() {
    let started = Instant::now();
    // The limit really applies to glbtool: with 4 MiB it cannot even start.
    let f = corpus("samples/queue/server/MSTTRANS.GLB")
        .display()
        .to_string();
    let probe = ["dump".to_string(), f];
    let (code, _) = run_limited(&probe, None, 4 * 1024);
    assert_ne!(code, Some(0), "ulimit -v does not reach glbtool");
    assert_eq!(run_limited(&probe, None, MEMORY_LIMIT_KIB).0, Some(0));

    let mut rng = Rng(0x5eed_5eed);
    let share = TOTAL.div_ceil(FAMILIES.len());
    let inputs: Vec<Input> = (0..FAMILIES.len())
        .flat_map(|f| family_inputs(f, share, &mut rng))
        .collect();
    assert!(inputs.len() >= 10_000, "only {} inputs", inputs.len());

    let mut skipped = Vec::new();
    let mut usable = |list: &[&'static [&'static str]]| {
        let mut out: Vec<&[&str]> = Vec::new();
        for &c in list {
            if available(c[0]) {
                out.push(c);
            } else if !skipped.contains(&c[0]) {
                skipped.push(c[0]);
            }
        }
        out
    };
    let commands = usable(COMMANDS);
    let tree_commands = usable(TREE_COMMANDS);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    let tmp = tempfile::tempdir().unwrap();
    let mut tree_rng = Rng(rng.next());
    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|s| {
        let trees = {
            let dir = tmp.path().join("trees");
            let commands = &tree_commands;
            s.spawn(move || sweep_trees(&dir, commands, &mut tree_rng))
        };
        let mut handles: Vec<_> = (0..workers)
            .map(|w| {
                let mine: Vec<&Input> = inputs.iter().skip(w).step_by(workers).collect();
                let dir = tmp.path().join(format!("w{w}"));
                let commands = &commands;
                s.spawn(move || work(&dir, &mine, commands))
            })
            .collect();
        handles.push(trees);
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let runs: usize = results.iter().map(|r| r.0).sum();
    let failures: Vec<&String> = results.iter().flat_map(|r| &r.1).collect();
    let per_input: Vec<String> = commands
        .iter()
        .map(|c| {
            c.iter()
                .filter(|a| !a.starts_with('{'))
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    println!(
        "sweep: {} inputs and {TREES} networks, {runs} glbtool runs (per input: {}; identify per {BATCH} inputs; per network: {}), {} failures, {:.1} s; not yet swept: {}",
        inputs.len(),
        per_input.join(", "),
        tree_commands.len(),
        failures.len(),
        started.elapsed().as_secs_f64(),
        if skipped.is_empty() {
            "none".to_string()
        } else {
            skipped.join(", ")
        }
    );
    assert!(
        failures.is_empty(),
        "{} of {runs} runs failed; the first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
