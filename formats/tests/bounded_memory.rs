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
            let opts = ReadOptions { salvage };
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
];

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

#[test]
fn reading_is_bounded_and_streaming() {
    for fam in FAMILIES {
        let kind = fam.kind;
        with_format!(kind.family(), |F| check::<F>(fam, kind), else panic!("{kind}: no format"));
    }
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
    // needs no more memory.
    let small = (fam.big)(64 * 1024);
    let large = (fam.big)(1024 * 1024);
    let (ms, ml) = (
        stream::<F>(&small, kind, false),
        stream::<F>(&large, kind, false),
    );
    println!(
        "{kind}: streaming {} bytes peaks at {} bytes, {} bytes at {} bytes (largest allocation {})",
        small.len(),
        ms.peak,
        large.len(),
        ml.peak,
        ml.largest
    );
    assert!(
        ml.peak <= ms.peak + 1024,
        "{kind}: reading 1 MiB peaks at {} bytes, 64 KiB at {}: memory grows with the file",
        ml.peak,
        ms.peak
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
