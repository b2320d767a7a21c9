//! The hostile-input sweep (docs/robustness.md): at least 10,000 inputs
//! through the command line's entry points, `identify`, `dump` in every
//! format, `validate`, `diff`, `doctor` and `probe` (each of its options in
//! turn: text, JSON, redacted, a redacted copy). Every run must end with
//! exit code 0, 1 or 2, never panic, and stay within bounded memory and time.
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
//! The sweep runs three ways, over the same inputs:
//! - in this process (the normal suite), through `glbtool::run`, the whole
//!   command with writers for its standard streams: about 84,000 runs in a
//!   debug build in a minute or two. A panic is caught and fails the test;
//!   each run's heap is counted on its thread (peak at most 64 MiB; past
//!   1 GiB the allocation is refused and the test ends naming the input);
//!   a run still going after [`HANG_S`] seconds ends the test naming it;
//! - as processes, for a sample of the inputs (the normal suite): `glbtool`
//!   under `ulimit -v` (64 MiB of address space) and `ulimit -t` (20 CPU
//!   seconds), so the limits hold for the real binary, every thread of it;
//! - as processes, every input (ignored here: `.ci/run` runs it on a release
//!   build with `--ignored`).
//!
//! Adding a family: one line in `FAMILIES`. Adding a command: one line in
//! `COMMANDS` or `TREE_COMMANDS` (the test fails while `glbtool CMD --help`
//! does).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// Heap a run may hold at its peak, in this process (the process runs'
/// `ulimit -v` is [`MEMORY_LIMIT_KIB`] of address space, code and stacks
/// included).
const HEAP_LIMIT: usize = 64 << 20;
/// Past this much heap a run's allocation is refused (the test then ends,
/// naming the input), so that a run allocating without bound never takes
/// the machine's memory.
const HEAP_STOP: usize = 1 << 30;
/// A run in this process still going after this many seconds hangs (a
/// generous wall-clock bound: a debug build, on a loaded machine).
const HANG_S: u64 = 120;
/// One input in this many goes through the process sample of the normal
/// suite (and the first [`SAMPLE_TREES`] networks).
const SAMPLE_EVERY: usize = 100;
/// Networks in the process sample.
const SAMPLE_TREES: usize = 3;

/// Counts the heap of runs in this process, per thread: each run's
/// allocations are made on the thread that runs it (the inputs are small:
/// the ordered pipeline starts no threads for them; `diff` reads its second
/// file on a thread of its own, which the process runs cover). Written here
/// because the allocator-statistics crates (`stats_alloc`, `cap`) count the
/// whole process, not one run among several running at once.
struct PerThread;

thread_local! {
    /// Bytes allocated less bytes freed on this thread (wrapping: a block
    /// may be freed on another thread than the one that allocated it).
    static LIVE: Cell<usize> = const { Cell::new(0) };
    /// `LIVE` when the current run started; `None` outside runs.
    static BASE: Cell<Option<usize>> = const { Cell::new(None) };
    /// The current run's peak above `BASE`.
    static PEAK: Cell<usize> = const { Cell::new(0) };
    /// What the current run is, for the message when it passes `HEAP_STOP`.
    static RUNNING: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Counts `by` more bytes on this thread; false when the current run would
/// pass [`HEAP_STOP`] (the allocation is then refused).
fn grow(by: usize) -> bool {
    let live = LIVE.try_with(|l| {
        let now = l.get().wrapping_add(by);
        l.set(now);
        now
    });
    let (Ok(live), Ok(Some(base))) = (live, BASE.try_with(Cell::get)) else {
        return true;
    };
    let above = live.wrapping_sub(base);
    if above > isize::MAX as usize {
        return true; // below the base: freed what an earlier run had
    }
    let _ = PEAK.try_with(|p| p.set(p.get().max(above)));
    if above <= HEAP_STOP {
        return true;
    }
    let _ = RUNNING.try_with(|r| {
        if let Ok(r) = r.try_borrow() {
            let mut e = std::io::stderr();
            let _ = e.write_all(b"\nsweep: a run allocates more than 1 GiB; refused: ");
            let _ = e.write_all(r.as_bytes());
            let _ = e.write_all(b"\n");
        }
    });
    false
}

fn shrink(by: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().wrapping_sub(by)));
}

// SAFETY: every call is forwarded unchanged to the system allocator, or
// refused (null) before it reaches it; the wrapper only updates counters.
unsafe impl GlobalAlloc for PerThread {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !grow(layout.size()) {
            shrink(layout.size());
            return std::ptr::null_mut();
        }
        // SAFETY: same layout, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        // SAFETY: same pointer and layout, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            if !grow(new_size - layout.size()) {
                shrink(new_size - layout.size());
                return std::ptr::null_mut();
            }
        } else {
            shrink(layout.size() - new_size);
        }
        // SAFETY: same arguments, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: PerThread = PerThread;

/// Runs `f` counting its heap on this thread; returns its value and the
/// peak of live bytes above those live when it started. `what` names the
/// run for the message when it passes [`HEAP_STOP`].
fn measured<T>(what: &str, f: impl FnOnce() -> T) -> (T, usize) {
    RUNNING.with(|r| {
        let mut r = r.borrow_mut();
        r.clear();
        r.push_str(what);
    });
    PEAK.with(|p| p.set(0));
    BASE.with(|b| b.set(Some(LIVE.with(Cell::get))));
    let value = f();
    BASE.with(|b| b.set(None));
    (value, PEAK.with(Cell::get))
}

/// What a worker in this process is running, and since when (for the hang watch).
type Slot = Mutex<Option<(Instant, String)>>;

/// How each glbtool run is made.
#[derive(Clone, Copy)]
enum Runner<'a> {
    /// `glbtool::run` in this process, watched through the slot.
    InProcess(&'a Slot),
    /// A `glbtool` process under `ulimit -v` and `ulimit -t`.
    Process,
}

impl Runner<'_> {
    /// Runs glbtool with `args` (standard input from `stdin`); returns its
    /// exit code, or why it had none, and its standard error.
    fn run(self, args: &[String], stdin: Option<&Path>) -> (Result<i32, String>, String) {
        match self {
            Runner::Process => {
                let (code, stderr) = run_limited(args, stdin, MEMORY_LIMIT_KIB);
                let code = code.ok_or_else(|| {
                    "killed by a signal (memory or CPU limit, or a crash)".to_string()
                });
                (code, stderr)
            }
            Runner::InProcess(slot) => {
                let what = format!("glbtool {}", args.join(" "));
                *slot.lock().unwrap() = Some((Instant::now(), what.clone()));
                let (code, stderr) = run_in_process(&what, args, stdin);
                *slot.lock().unwrap() = None;
                (code, stderr)
            }
        }
    }
}

/// One run of `glbtool::run` in this process, with standard output thrown
/// away (as the process runs send it to /dev/null).
fn run_in_process(
    what: &str,
    args: &[String],
    stdin: Option<&Path>,
) -> (Result<i32, String>, String) {
    let input: Box<dyn Read> = match stdin {
        Some(p) => Box::new(std::fs::File::open(p).unwrap()),
        None => Box::new(std::io::empty()),
    };
    let mut stderr = Vec::new();
    let argv = std::iter::once("glbtool").chain(args.iter().map(String::as_str));
    let (result, peak) = measured(what, || {
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            glbtool::run(argv, input, &mut std::io::sink(), &mut stderr)
        }))
    });
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    let code = match result {
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("panicked: {msg}"))
        }
        Ok(_) if peak > HEAP_LIMIT => Err(format!(
            "its heap reached {} MiB, more than {} MiB",
            peak >> 20,
            HEAP_LIMIT >> 20
        )),
        Ok(code) => Ok(i32::from(code)),
    };
    (code, stderr)
}

/// Runs `TREE_COMMANDS` on `trees` networks made in `dir`; returns (runs, failures).
fn sweep_trees(dir: &Path, trees: usize, rng: &mut Rng, runner: Runner) -> (usize, Vec<String>) {
    let mut runs = 0;
    let mut failures = Vec::new();
    for n in 0..trees {
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
        for template in TREE_COMMANDS {
            let mut args = Vec::new();
            for &a in template.iter() {
                match a {
                    "{tree}" => args.push(tree.display().to_string()),
                    "{po}" => args.push(po.display().to_string()),
                    "{po-files}" => args.extend(po_files.iter().map(|p| p.display().to_string())),
                    other => args.push(other.to_string()),
                }
            }
            let (code, stderr) = runner.run(&args, None);
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
fn judge(args: &[String], code: Result<i32, String>, stderr: &str, how: &str) -> Option<String> {
    let bad = match code {
        Ok(0..=2) if !stderr.contains("panicked") => return None,
        Ok(c) => format!("exit {c}"),
        Err(why) => why,
    };
    Some(format!(
        "glbtool {}: {bad} on input {how}\n{}",
        args.join(" "),
        stderr.lines().take(6).collect::<Vec<_>>().join("\n")
    ))
}

/// Runs one worker's inputs; returns (runs, failures).
fn work(dir: &Path, inputs: &[&Input], runner: Runner) -> (usize, Vec<String>) {
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
        let (code, stderr) = runner.run(&args, None);
        runs += 1;
        if let Some(f) = judge(&args, code, &stderr, &format!("batch {b}")) {
            failures.push(f);
        }
        for (j, (input, path)) in batch.iter().zip(&paths).enumerate() {
            let n = b * BATCH + j;
            for (c, template) in COMMANDS.iter().enumerate() {
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
                let (code, stderr) = runner.run(&args, stdin);
                runs += 1;
                if let Some(f) = judge(&args, code, &stderr, &input.how) {
                    failures.push(f);
                }
            }
        }
    }
    (runs, failures)
}

/// Every hostile input, and the seed of the networks' damage.
fn all_inputs() -> (Vec<Input>, Rng) {
    let mut rng = Rng(0x5eed_5eed);
    let share = TOTAL.div_ceil(FAMILIES.len());
    let inputs: Vec<Input> = (0..FAMILIES.len())
        .flat_map(|f| family_inputs(f, share, &mut rng))
        .collect();
    assert!(inputs.len() >= 10_000, "only {} inputs", inputs.len());
    let tree_rng = Rng(rng.next());
    (inputs, tree_rng)
}

/// Runs `inputs` and `trees` networks, on parallel workers, in this process
/// or as processes; fails the test on any failure, and prints the tally.
fn sweep(what: &str, inputs: &[&Input], trees: usize, mut tree_rng: Rng, in_process: bool) {
    let started = Instant::now();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    let tmp = tempfile::tempdir().unwrap();
    // One slot per worker and one for the networks, watched for hangs.
    let slots: Vec<Slot> = (0..=workers).map(|_| Mutex::new(None)).collect();
    let done = AtomicBool::new(false);
    let runner = |i: usize| {
        if in_process {
            Runner::InProcess(&slots[i])
        } else {
            Runner::Process
        }
    };
    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|s| {
        if in_process {
            let (slots, done) = (&slots, &done);
            s.spawn(move || watch(slots, done));
        }
        let trees = {
            let dir = tmp.path().join("trees");
            let runner = runner(workers);
            s.spawn(move || sweep_trees(&dir, trees, &mut tree_rng, runner))
        };
        let mut handles: Vec<_> = (0..workers)
            .map(|w| {
                let mine: Vec<&Input> = inputs.iter().skip(w).step_by(workers).copied().collect();
                let dir = tmp.path().join(format!("w{w}"));
                let runner = runner(w);
                s.spawn(move || work(&dir, &mine, runner))
            })
            .collect();
        handles.push(trees);
        let joined: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        done.store(true, Ordering::Relaxed);
        joined
    })
    .into_iter()
    .map(|r| r.unwrap_or_else(|p| std::panic::resume_unwind(p)))
    .collect();
    let runs: usize = results.iter().map(|r| r.0).sum();
    let failures: Vec<&String> = results.iter().flat_map(|r| &r.1).collect();
    let per_input: Vec<String> = COMMANDS
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
        "sweep ({what}): {} inputs and {trees} networks, {runs} glbtool runs (per input: {}; identify per {BATCH} inputs; per network: {}), {} failures, {:.1} s",
        inputs.len(),
        per_input.join(", "),
        TREE_COMMANDS.len(),
        failures.len(),
        started.elapsed().as_secs_f64(),
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

/// Ends the test when a run in this process has been going for [`HANG_S`]
/// seconds (a thread cannot be stopped: the process is), naming it.
fn watch(slots: &[Slot], done: &AtomicBool) {
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(250));
        for slot in slots {
            if let Some((since, what)) = &*slot.lock().unwrap() {
                if since.elapsed() > Duration::from_secs(HANG_S) {
                    eprintln!("sweep: hangs (still running after {HANG_S} s): {what}");
                    std::process::exit(1);
                }
            }
        }
    }
}

/// Every command the sweep runs exists: none is skipped.
fn every_command_exists() {
    for c in COMMANDS.iter().chain(TREE_COMMANDS) {
        let code = glbtool::run(
            ["glbtool", c[0], "--help"],
            Box::new(std::io::empty()),
            &mut std::io::sink(),
            &mut std::io::sink(),
        );
        assert_eq!(code, 0, "glbtool {} --help fails: the sweep runs it", c[0]);
    }
}

#[test]
fn hostile_inputs_never_crash_hang_or_allocate_without_bound() {
    every_command_exists();
    // The heap limit really applies to a run: 65 MiB held at once is seen.
    let (_, peak) = measured("a 65 MiB test block", || {
        std::hint::black_box(vec![1u8; 65 << 20]).len()
    });
    assert!(
        peak > HEAP_LIMIT,
        "the heap of a run is not counted: {peak}"
    );
    // And a good file passes.
    let f = corpus("samples/queue/server/MSTTRANS.GLB")
        .display()
        .to_string();
    let slot = Mutex::new(None);
    let (code, stderr) = Runner::InProcess(&slot).run(&["dump".to_string(), f], None);
    assert_eq!(code, Ok(0), "{stderr}");

    let (inputs, tree_rng) = all_inputs();
    let all: Vec<&Input> = inputs.iter().collect();
    sweep("in-process", &all, TREES, tree_rng, true);
}

/// The limits hold for the real binary: a sample of the inputs, each a
/// `glbtool` process under `ulimit -v` and `ulimit -t`.
#[test]
fn a_sample_of_hostile_inputs_as_processes_under_ulimit() {
    // The limit really applies to glbtool: with 4 MiB it cannot even start.
    let f = corpus("samples/queue/server/MSTTRANS.GLB")
        .display()
        .to_string();
    let probe = ["dump".to_string(), f];
    let (code, _) = run_limited(&probe, None, 4 * 1024);
    assert_ne!(code, Some(0), "ulimit -v does not reach glbtool");
    assert_eq!(run_limited(&probe, None, MEMORY_LIMIT_KIB).0, Some(0));

    let (inputs, tree_rng) = all_inputs();
    let sample: Vec<&Input> = inputs.iter().step_by(SAMPLE_EVERY).collect();
    sweep("process sample", &sample, SAMPLE_TREES, tree_rng, false);
}

/// Every input as a `glbtool` process under `ulimit -v` and `ulimit -t`:
/// about 84,000 processes (a few minutes on two cores in release mode).
#[test]
#[ignore = "about 84,000 processes: .ci/run runs it in release mode (cargo test --release -p glbtool --test sweep -- --ignored)"]
fn every_hostile_input_as_a_process_under_ulimit() {
    let (inputs, tree_rng) = all_inputs();
    let all: Vec<&Input> = inputs.iter().collect();
    sweep("processes", &all, TREES, tree_rng, false);
}
