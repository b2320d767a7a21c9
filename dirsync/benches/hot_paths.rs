//! Benchmarks of the hot paths, one per function, so a regression shows where
//! it happened: record decoding, the checksum, the Import grammar, JSON
//! rendering, and whole-stream reading and checking. Run with
//! `cargo bench -p glb-dirsync`; `bench/run.sh` times the command line.
//!
//! The input is the same realistic Dir-Sync traffic `glb-corpus large` writes
//! (generated here in memory, so the benches need no files).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use glb_dirsync::check::{self, FileRef};
use glb_formats::format::{Format, ReadOptions, Reader};
use glb_formats::import;
use glb_formats::json::{self, Style};
use glb_formats::pipeline::Pipeline;
use glb_formats::queue::{checksum_of_stored, Queue, QueueRecord};
use glb_formats::{CodePage, FileKind};

/// A queue file of `n` realistic transactions.
fn queue_file(n: u64) -> Vec<u8> {
    let mut v = Vec::new();
    glb_corpus::large::write_msttrans(
        &mut v,
        glb_corpus::large::QueueSpec {
            transactions: Some(n),
            bytes: None,
            seed: 1,
        },
    )
    .expect("writing to memory cannot fail");
    v
}

/// A reader over a queue file in memory.
fn reader(bytes: &[u8]) -> Reader<Queue, &[u8]> {
    Reader::new(bytes, FileKind::Msttrans, None, ReadOptions::default()).expect("valid file")
}

/// The raw records of a queue file.
fn raw_records(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut r = reader(bytes);
    let mut out = Vec::new();
    while let Some(rec) = r.next_record().expect("valid file") {
        out.push(rec.raw.to_vec());
    }
    out
}

fn per_record(c: &mut Criterion) {
    let file = queue_file(1000);
    let raws = raw_records(&file);
    let texts: Vec<Vec<u8>> = raws.iter().map(|r| r[24..r.len() - 1].to_vec()).collect();
    let bytes: u64 = raws.iter().map(|r| r.len() as u64).sum();

    let mut g = c.benchmark_group("record");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("decode", |b| {
        let mut rec = QueueRecord::default();
        b.iter(|| {
            for raw in &raws {
                Queue::decode_record(black_box(raw), &mut rec).expect("valid");
            }
            black_box(&rec);
        })
    });
    g.bench_function("checksum_of_stored", |b| {
        b.iter(|| {
            raws.iter()
                .fold(0u16, |a, r| a ^ checksum_of_stored(black_box(r)))
        })
    });
    let recs: Vec<QueueRecord> = raws
        .iter()
        .map(|r| {
            let mut q = QueueRecord::default();
            Queue::decode_record(r, &mut q).expect("valid");
            q
        })
        .collect();
    g.bench_function("computed_checksum", |b| {
        b.iter(|| {
            recs.iter()
                .fold(0u16, |a, r| a ^ black_box(r).computed_checksum())
        })
    });
    g.bench_function("import_parse", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| {
                    import::parse(black_box(t), glb_formats::CodePage::Cp850)
                        .issues
                        .len()
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

fn streams(c: &mut Criterion) {
    let file = queue_file(20_000);
    let mut g = c.benchmark_group("stream");
    g.throughput(Throughput::Bytes(file.len() as u64));
    g.sample_size(20);
    g.bench_function("read", |b| {
        b.iter(|| {
            let mut r = reader(&file);
            let mut n = 0u64;
            while let Some(rec) = r.next_record().expect("valid") {
                n += u64::from(rec.record.sync);
            }
            n
        })
    });
    for threads in [1, 2] {
        g.bench_function(format!("check_{threads}_thread"), |b| {
            let file_ref = FileRef {
                path: "MSTTRANS.GLB".into(),
                kind: FileKind::Msttrans,
                codepage: glb_formats::CodePage::Cp850,
            };
            b.iter(|| {
                let mut r = reader(&file);
                let mut findings = Vec::new();
                let pipeline = Pipeline {
                    threads,
                    ..Pipeline::default()
                };
                check::queue::check_with(&file_ref, &mut r, &mut findings, pipeline)
            })
        });
    }
    g.bench_function("ndjson", |b| {
        b.iter_batched_ref(
            || Vec::with_capacity(file.len() * 7),
            |out| {
                let mut r = reader(&file);
                json::write(&mut r, out, Style::Lines, CodePage::Cp850).expect("valid")
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, per_record, streams);
criterion_main!(benches);
