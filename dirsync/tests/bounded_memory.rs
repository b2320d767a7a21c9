//! Bounded resources (docs/architecture.md): measures, with a counting
//! allocator, the largest single allocation and the peak memory of reading
//! hostile and large inputs, and checks that
//!
//! - no length field makes the reader allocate beyond the input's own size,
//! - reading (and writing JSON) streams: memory does not grow with the file.
//!
//! The figures are printed (`cargo test --test bounded_memory -- --nocapture`)
//! and quoted in docs/architecture.md. Everything runs in one test, so no
//! other test thread allocates while a measurement runs.
//!
//! Adding a family: one line in `FAMILIES` below.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use glb_dirsync::diff::{self, Key, StreamSide, Streamed};
use glb_formats::format::{Document, Format, ReadOptions, Reader};
use glb_formats::invariants::Pieces;
use glb_formats::json::{self, Style};
use glb_formats::{with_format, CodePage, FileKind};

/// Counts live bytes, their peak and the largest single request. Written here
/// because the allocator-statistics crates (`stats_alloc`, `cap`) do not
/// record the largest single allocation, the figure this test is about.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize, request: usize) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
    LARGEST.fetch_max(request, Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// wrapper only updates counters.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size(), layout.size());
        // SAFETY: same layout, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: same pointer and layout, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grew(new_size - layout.size(), new_size);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Relaxed);
        }
        // SAFETY: same arguments, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What one measured run allocated: the largest single allocation, and the
/// peak of live bytes above what was live when it started.
#[derive(Debug, Clone, Copy)]
struct Measure {
    largest: usize,
    peak: usize,
}

fn measure(f: impl FnOnce()) -> Measure {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    LARGEST.store(0, Relaxed);
    f();
    Measure {
        largest: LARGEST.load(Relaxed),
        peak: PEAK.load(Relaxed).saturating_sub(base),
    }
}

/// A source that hands out at most 4 KiB per read, like a pipe.
fn pipe(data: &[u8]) -> Pieces<'_> {
    Pieces { data, max: 4096 }
}

/// Reads `data` as a stream (size known and not) and writes it as NDJSON to
/// nowhere; returns the worst measurement.
fn stream<F: Format>(data: &[u8], kind: FileKind, salvage: bool) -> Measure {
    let mut worst = Measure {
        largest: 0,
        peak: 0,
    };
    for size in [Some(data.len() as u64), None] {
        let m = measure(|| {
            let opts = ReadOptions {
                salvage,
                ..ReadOptions::default()
            };
            if let Ok(mut r) = Reader::<F, _>::new(pipe(data), kind, size, opts) {
                while let Ok(Some(_)) = r.next_record() {}
            }
            if let Ok(mut r) = Reader::<F, _>::new(pipe(data), kind, size, opts) {
                let _ = json::write(&mut r, &mut std::io::sink(), Style::Lines, CodePage::Cp850);
            }
        });
        worst.largest = worst.largest.max(m.largest);
        worst.peak = worst.peak.max(m.peak);
    }
    worst
}

/// Per family: a kind, a valid file of about `n` bytes, and hostile inputs
/// (length or count fields claiming the most they can).
struct Family {
    kind: FileKind,
    big: fn(usize) -> Vec<u8>,
    hostile: fn() -> Vec<(&'static str, Vec<u8>)>,
}

const FAMILIES: &[Family] = &[
    // One line per file family:
    Family {
        kind: FileKind::Msttrans,
        big: queue::big,
        hostile: queue::hostile,
    },
    Family {
        kind: FileKind::Reqconf,
        big: fixed::big::<glb_formats::reqconf::ReqConfFile>,
        hostile: fixed::hostile::<glb_formats::reqconf::ReqConfFile>,
    },
    Family {
        kind: FileKind::Srvconf,
        big: fixed::big::<glb_formats::srvconf::SrvConfFile>,
        hostile: fixed::hostile::<glb_formats::srvconf::SrvConfFile>,
    },
    Family {
        kind: FileKind::Process,
        big: fixed::big::<glb_formats::process::ProcessFile>,
        hostile: fixed::hostile::<glb_formats::process::ProcessFile>,
    },
    Family {
        kind: FileKind::Nme,
        big: fixed::big::<glb_formats::nme::Nme>,
        hostile: fixed::hostile::<glb_formats::nme::Nme>,
    },
    Family {
        kind: FileKind::Usr,
        big: fixed::big::<glb_formats::usr::Usr>,
        hostile: fixed::hostile::<glb_formats::usr::Usr>,
    },
    Family {
        kind: FileKind::Netpo,
        big: fixed::big::<glb_formats::netpo::Netpo>,
        hostile: fixed::hostile::<glb_formats::netpo::Netpo>,
    },
    Family {
        kind: FileKind::Network,
        big: fixed::big::<glb_formats::network::Network>,
        hostile: fixed::hostile::<glb_formats::network::Network>,
    },
    Family {
        kind: FileKind::Xtn,
        big: fixed::big::<glb_formats::xtn::Xtn>,
        hostile: fixed::hostile::<glb_formats::xtn::Xtn>,
    },
];

/// The families of fixed-size headers and records (no length fields: the
/// hostile inputs are sizes and contents no valid file has).
mod fixed {
    use glb_formats::format::{Document, Format, RecordSize};
    use glb_formats::invariants::kind_of;

    /// A valid file of about `n` bytes: the header, then default records.
    pub fn big<F: Format>(n: usize) -> Vec<u8> {
        let mut doc = Document::<F>::new(kind_of::<F>().unwrap());
        if let RecordSize::Fixed(len) = F::RECORD {
            for _ in 0..n.saturating_sub(F::HEADER_LEN) / len {
                doc.records.push(F::Record::default());
            }
        }
        doc.to_bytes().unwrap()
    }

    pub fn hostile<F: Format>() -> Vec<(&'static str, Vec<u8>)> {
        let valid = big::<F>(4096);
        let mut half = valid.clone();
        half.truncate(F::HEADER_LEN + (valid.len() - F::HEADER_LEN) / 2 + 1);
        vec![
            ("1 byte", vec![0xFF]),
            ("a valid file cut in the middle of a record", half),
            ("64 KiB of 0xFF", vec![0xFF; 65536]),
            (
                "random-looking 64 KiB",
                (0..65536u32)
                    .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                    .collect(),
            ),
        ]
    }
}

mod queue {
    use glb_formats::fields::Stamp;
    use glb_formats::format::Document;
    use glb_formats::queue::{Queue, QueueRecord};
    use glb_formats::FileKind;

    pub fn big(n: usize) -> Vec<u8> {
        let mut doc = Document::<Queue>::new(FileKind::Msttrans);
        let text = b"A Somebody Somewhere\tPCM:NETWORK/POSTOFFICE/somebody";
        let per = 25 + text.len();
        for i in 0..n / per {
            doc.records.push(QueueRecord::new(i as u32, Stamp(0), text));
        }
        doc.to_bytes().unwrap()
    }

    pub fn hostile() -> Vec<(&'static str, Vec<u8>)> {
        let mut longest = Document::<Queue>::new(FileKind::Msttrans);
        longest.records.push(QueueRecord::new(
            1,
            Stamp(0),
            &vec![b'x'; glb_formats::queue::MAX_TEXT],
        ));
        let longest = longest.to_bytes().unwrap();
        let mut claims = vec![0xFF, 0xFF];
        claims.extend_from_slice(&[0; 28]);
        let mut many = Vec::new();
        for _ in 0..2000 {
            many.extend_from_slice(&[0xFF, 0xFF, 0, 0]);
        }
        vec![
            ("record claiming 65535 bytes in a 30-byte file", claims),
            ("the longest record (65535 bytes)", longest),
            ("2000 length fields of 65535, 4 bytes each", many),
            (
                "random-looking 64 KiB",
                (0..65536u32)
                    .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
                    .collect(),
            ),
        ]
    }
}

/// Measures the streaming diff of `data` with itself, by record position.
fn diff_streams<F: Format>(data: &[u8], kind: FileKind) -> Measure {
    let side = || StreamSide {
        path: None,
        src: pipe(data),
        size: Some(data.len() as u64),
        kind,
        netpo: None,
        list: None,
        codepage: glb_formats::CodePage::Cp850,
    };
    measure(
        || match diff::diff_streams_with::<F, _, _>(side(), side(), Key::Position) {
            Ok(Streamed::Diff(d)) => assert!(d.is_equal(), "{kind}: a file equals itself"),
            other => panic!("{kind}: positions are always in order: {other:?}"),
        },
    )
}

/// A report that writes each difference out at once (here: nowhere).
struct Drop;

impl diff::Sink for Drop {
    fn start(&mut self, _: &diff::Start) -> glb_formats::Result<diff::Flow> {
        Ok(diff::Flow::Continue(()))
    }
    fn difference(&mut self, d: diff::Difference) -> glb_formats::Result<diff::Flow> {
        std::hint::black_box(d);
        Ok(diff::Flow::Continue(()))
    }
}

/// Measures the streaming diff of an empty file (the header alone) against
/// `data`, by record position: every record of `data` is a difference.
fn diff_all_added<F: Format>(data: &[u8], kind: FileKind) -> Measure {
    let empty = &data[..F::HEADER_LEN];
    let side = |bytes| StreamSide {
        path: None,
        src: pipe(bytes),
        size: Some(bytes.len() as u64),
        kind,
        netpo: None,
        list: None,
        codepage: glb_formats::CodePage::Cp850,
    };
    measure(|| {
        match diff::diff_streams_to(
            side(empty),
            side(data),
            Key::Position,
            (None, None),
            0,
            &mut Drop,
        ) {
            Ok(diff::Outcome::Complete(end)) => {
                assert!(end.added > 0 && end.removed == 0, "{kind}: {end:?}")
            }
            other => panic!("{kind}: positions are always in order: {other:?}"),
        }
    })
}

#[test]
fn reading_is_bounded_and_streaming() {
    for fam in FAMILIES {
        let kind = fam.kind;
        with_format!(kind.family(), |F| check::<F>(fam, kind));
    }
}

/// Runs `run` on the `small` file and on the 16 times `large` one, prints
/// what each peaked at, and checks that the large one peaks at most 1 KiB
/// above the small one: memory does not grow with the file. Returns the
/// large file's measurement.
fn assert_flat(
    kind: FileKind,
    what: &str,
    small: &[u8],
    large: &[u8],
    run: impl Fn(&[u8]) -> Measure,
) -> Measure {
    let (ms, ml) = (run(small), run(large));
    println!(
        "{kind}: {what}: {} bytes peak at {} bytes, {} bytes at {} bytes (largest allocation {})",
        small.len(),
        ms.peak,
        large.len(),
        ml.peak,
        ml.largest
    );
    assert!(
        ml.peak <= ms.peak + 1024,
        "{kind}: {what}: 1 MiB peaks at {} bytes, 64 KiB at {}: memory grows with the file",
        ml.peak,
        ms.peak
    );
    ml
}

fn check<F: Format>(fam: &Family, kind: FileKind) {
    // Hostile inputs. Strict reading: no allocation beyond twice the input's
    // size (vector growth) plus 4 KiB, and never beyond 128 KiB. Salvage keeps
    // the bytes after the first unreadable item: up to twice the input's size.
    for (what, data) in (fam.hostile)() {
        let strict = stream::<F>(&data, kind, false);
        let salvage = stream::<F>(&data, kind, true);
        println!(
            "{kind}: {what}: {} bytes in; largest allocation {} bytes strict, {} salvaging; peak {} / {} bytes",
            data.len(),
            strict.largest,
            salvage.largest,
            strict.peak,
            salvage.peak
        );
        assert!(
            strict.largest <= 2 * data.len() + 4096 && strict.largest <= 128 * 1024,
            "{kind}: {what}: an allocation of {} bytes for a {}-byte input",
            strict.largest,
            data.len()
        );
        assert!(
            salvage.largest <= 2 * data.len() + 4096,
            "{kind}: {what}: salvage allocates {} bytes for a {}-byte input",
            salvage.largest,
            data.len()
        );
    }
    // Streaming: reading (and writing NDJSON of) a file 16 times larger
    // needs no more memory. (REQCONF is one 512-byte header: nothing to stream.)
    if F::RECORD == glb_formats::format::RecordSize::None {
        return;
    }
    let small = (fam.big)(64 * 1024);
    let large = (fam.big)(1024 * 1024);
    let ml = assert_flat(kind, "streaming", &small, &large, |d| {
        stream::<F>(d, kind, false)
    });
    // The streaming diff (records paired by position, so in key order for any
    // family) holds one record of each side, not the files: diffing a file
    // 16 times larger with itself needs no more memory.
    assert_flat(
        kind,
        "the streaming diff with itself",
        &small,
        &large,
        |d| diff_streams::<F>(d, kind),
    );
    // Every record a difference (an empty file against the whole one), told
    // to a sink that writes each out at once: memory does not grow with the
    // differences either.
    assert_flat(
        kind,
        "the streaming diff of an empty file (every record added)",
        &small,
        &large,
        |d| diff_all_added::<F>(d, kind),
    );
    // A whole Document, by contrast, holds every record (it is for small files).
    let doc = measure(|| {
        let _ = Document::<F>::from_bytes(&large, kind, ReadOptions::default());
    });
    assert!(
        doc.peak > ml.peak * 4,
        "the measurement itself works: {doc:?} vs {ml:?}"
    );
}
