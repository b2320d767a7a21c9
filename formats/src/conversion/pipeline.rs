//! Ordered parallel work over a record stream, in bounded memory.
//!
//! [`run`] reads records with a [`Reader`] on the calling thread, gathers
//! their raw bytes into batches of about [`Pipeline::batch_bytes`], hands the
//! batches round-robin to worker threads, and gives each batch's result to a
//! `fold` closure on the calling thread *in file order*. Everything that
//! depends on order (sync numbers, caps on findings, output) happens in
//! `fold`; everything per record (checksums, grammar, rendering) can happen in
//! `work`. At most `3 × threads` batches exist at once, so memory stays
//! constant whatever the file size.
//!
//! With one thread, or when the whole input fits in one batch, no thread is
//! started: the same `work` and `fold` run inline, so results never depend on
//! the number of threads.
//!
//! Written with `std::thread::scope` and `std::sync::mpsc` rather than rayon:
//! the pattern is a fixed ring of workers with in-order delivery, which those
//! give directly, with no dependency.

use std::io::Read;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use crate::error::Result;
use crate::format::{Format, Reader};

/// How to spread work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pipeline {
    /// Worker threads (1 = everything on the calling thread).
    pub threads: usize,
    /// Bytes of records gathered into one batch before it is handed out.
    pub batch_bytes: usize,
}

static DEFAULT_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets the number of threads [`Pipeline::default`] uses (0 = one per core, at most 4).
pub fn set_default_threads(n: usize) {
    DEFAULT_THREADS.store(n, Ordering::Relaxed);
}

impl Default for Pipeline {
    fn default() -> Self {
        let threads = match DEFAULT_THREADS.load(Ordering::Relaxed) {
            0 => std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(4),
            n => n,
        };
        Pipeline {
            threads,
            batch_bytes: 1 << 18,
        }
    }
}

/// One record of a batch: where it came from and where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    index: u64,
    offset: u64,
    range: Range<usize>,
}

/// Consecutive records' raw bytes, as the reader read them.
#[derive(Debug, Default)]
pub struct Batch {
    bytes: Vec<u8>,
    items: Vec<Item>,
}

/// One record of a [`Batch`].
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    /// Zero-based record index in the file.
    pub index: u64,
    /// Absolute byte offset of the record.
    pub offset: u64,
    /// The record's bytes (already framed and decoded once by the reader,
    /// so decoding them again cannot fail).
    pub raw: &'a [u8],
}

impl Batch {
    /// The records, in file order.
    pub fn records(&self) -> impl ExactSizeIterator<Item = RawRecord<'_>> + '_ {
        self.items.iter().map(|it| RawRecord {
            index: it.index,
            offset: it.offset,
            raw: &self.bytes[it.range.clone()],
        })
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.items.clear();
    }
}

/// What ended the reading.
enum Fill {
    /// The batch is full; more may follow.
    Full,
    /// The reader is at its end (cleanly or salvaged).
    End,
    /// The reader failed; the batch holds the records before the failure.
    Failed(crate::Error),
}

fn fill<F: Format, R: Read>(reader: &mut Reader<F, R>, batch: &mut Batch, limit: usize) -> Fill {
    batch.clear();
    loop {
        match reader.next_record() {
            Ok(Some(r)) => {
                let start = batch.bytes.len();
                batch.bytes.extend_from_slice(r.raw);
                batch.items.push(Item {
                    index: r.index,
                    offset: r.offset,
                    range: start..batch.bytes.len(),
                });
                if batch.bytes.len() >= limit {
                    return Fill::Full;
                }
            }
            Ok(None) => return Fill::End,
            Err(e) => return Fill::Failed(e),
        }
    }
}

/// Runs `work` over every remaining record of `reader` in batches, and
/// `fold` over the results in file order.
///
/// `init` makes each worker's scratch state (decode buffers, output
/// buffers); it runs on the worker's own thread. Returns the reader's error,
/// if reading failed, after every record read before the failure has been
/// folded; or the first error `fold` returns, at once.
pub fn run<F, R, S, T, E>(
    reader: &mut Reader<F, R>,
    opts: Pipeline,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &Batch) -> T + Sync,
    mut fold: impl FnMut(&Batch, T) -> std::result::Result<(), E>,
) -> std::result::Result<Result<()>, E>
where
    F: Format,
    R: Read,
    T: Send,
{
    let limit = opts.batch_bytes.max(1);
    let mut first = Batch::default();
    let state = fill(reader, &mut first, limit);
    if opts.threads <= 1 || !matches!(state, Fill::Full) {
        // Inline: one thread, or everything fits in one batch.
        let mut scratch = init();
        let mut batch = first;
        let mut state = state;
        loop {
            let t = work(&mut scratch, &batch);
            fold(&batch, t)?;
            match state {
                Fill::Full => state = fill(reader, &mut batch, limit),
                Fill::End => return Ok(Ok(())),
                Fill::Failed(e) => return Ok(Err(e)),
            }
        }
    }
    let n = opts.threads;
    std::thread::scope(|scope| {
        let mut to: Vec<SyncSender<Batch>> = Vec::with_capacity(n);
        let mut from: Vec<Receiver<(Batch, T)>> = Vec::with_capacity(n);
        for _ in 0..n {
            let (tx, rx) = sync_channel::<Batch>(1);
            let (rtx, rrx) = sync_channel::<(Batch, T)>(1);
            let (init, work) = (&init, &work);
            scope.spawn(move || {
                let mut scratch = init();
                for batch in rx {
                    let t = work(&mut scratch, &batch);
                    if rtx.send((batch, t)).is_err() {
                        return;
                    }
                }
            });
            to.push(tx);
            from.push(rrx);
        }
        // Batches sent and results folded so far; batch k goes to worker k % n.
        let (mut sent, mut folded) = (0usize, 0usize);
        let mut spare: Vec<Batch> = Vec::new();
        let mut next = Some(first);
        let mut state = state;
        let outcome = loop {
            if let Some(batch) = next.take() {
                if !batch.is_empty() {
                    if to[sent % n].send(batch).is_err() {
                        break Ok(Ok(()));
                    }
                    sent += 1;
                }
            }
            let more = matches!(state, Fill::Full);
            // Keep at most 2 batches per worker in flight; drain at the end.
            if sent - folded >= 2 * n || (!more && folded < sent) {
                let Ok((batch, t)) = from[folded % n].recv() else {
                    break Ok(Ok(()));
                };
                folded += 1;
                if let Err(e) = fold(&batch, t) {
                    break Err(e);
                }
                spare.push(batch);
                continue;
            }
            if !more {
                break match std::mem::replace(&mut state, Fill::End) {
                    Fill::Failed(e) => Ok(Err(e)),
                    _ => Ok(Ok(())),
                };
            }
            let mut batch = spare.pop().unwrap_or_default();
            state = fill(reader, &mut batch, limit);
            next = Some(batch);
        };
        // Closing the channels ends the workers; the scope joins them.
        drop(to);
        drop(from);
        outcome
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Stamp;
    use crate::format::{Document, ReadOptions};
    use crate::kind::FileKind;
    use crate::queue::{Queue, QueueRecord};

    fn file(n: u32) -> Vec<u8> {
        let mut doc = Document::<Queue>::new(FileKind::Msttrans);
        doc.records = (0..n)
            .map(|i| QueueRecord::new(i, Stamp(i), format!("A U{i}\tPCM:N/P/u{i}").as_bytes()))
            .collect();
        doc.to_bytes().unwrap()
    }

    fn reader(bytes: &[u8]) -> Reader<Queue, &[u8]> {
        Reader::new(bytes, FileKind::Msttrans, None, ReadOptions::default()).unwrap()
    }

    fn sums(bytes: &[u8], opts: Pipeline) -> (Vec<(u64, u64, usize)>, Result<()>) {
        let mut reader = reader(bytes);
        let mut seen = Vec::new();
        let r = run(
            &mut reader,
            opts,
            || (),
            |_, b| {
                b.records()
                    .map(|r| (r.index, r.offset, r.raw.len()))
                    .collect::<Vec<_>>()
            },
            |_, v| {
                seen.extend(v);
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        (seen, r)
    }

    #[test]
    fn results_arrive_in_file_order_whatever_the_threads() {
        let bytes = file(3000);
        let one = sums(
            &bytes,
            Pipeline {
                threads: 1,
                batch_bytes: 1000,
            },
        )
        .0;
        assert_eq!(one.len(), 3000);
        assert!(one
            .windows(2)
            .all(|w| w[1].0 == w[0].0 + 1 && w[1].1 == w[0].1 + w[0].2 as u64));
        for threads in [2, 3, 5] {
            for batch_bytes in [1, 700, 1 << 20] {
                let (many, r) = sums(
                    &bytes,
                    Pipeline {
                        threads,
                        batch_bytes,
                    },
                );
                assert!(r.is_ok());
                assert_eq!(many, one, "threads {threads}, batch {batch_bytes}");
            }
        }
    }

    #[test]
    fn records_before_a_read_error_are_folded_then_the_error_returned() {
        let mut bytes = file(500);
        let cut = bytes.len() - 10;
        bytes.truncate(cut);
        for threads in [1, 2] {
            let (seen, r) = sums(
                &bytes,
                Pipeline {
                    threads,
                    batch_bytes: 300,
                },
            );
            assert_eq!(seen.len(), 499);
            let err = r.unwrap_err();
            assert_eq!(err.location().unwrap().record, Some(499));
        }
    }

    #[test]
    fn a_fold_error_stops_at_once() {
        let bytes = file(2000);
        for threads in [1, 2] {
            let mut reader = reader(&bytes);
            let mut folded = 0;
            let r = run(
                &mut reader,
                Pipeline {
                    threads,
                    batch_bytes: 100,
                },
                || (),
                |_, b| b.len(),
                |_, _| {
                    folded += 1;
                    if folded == 3 {
                        Err("stop")
                    } else {
                        Ok(())
                    }
                },
            );
            assert_eq!(r.unwrap_err(), "stop");
            assert_eq!(folded, 3);
        }
    }
}
