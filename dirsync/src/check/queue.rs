//! Single-file checks of a transaction queue, in one streaming pass, and the
//! facts the cross-file checks need (sync-number range, RESYNC header).
//!
//! Checks (see `docs/checks.md`): checksums (GLB304/GLB305), sync numbers
//! strictly increasing (GLB306), control characters (GLB307), RESYNC header
//! in glbtool's form and first (GLB311, GLB308), Import grammar and limits
//! (GLB0nn).

use std::io::Read;

use glb_formats::codepage::CodePage;
use glb_formats::format::{Format, Reader};
use glb_formats::import::{self, Command};
use glb_formats::kind::FileKind;
use glb_formats::pipeline::{self, Pipeline};
use glb_formats::queue::{checksum_of_stored, Queue, QueueRecord, ResyncHeader, TEXT_OFFSET};
use serde::Serialize;

pub use super::FINDINGS_PER_CODE;
use super::{from_error, import_code, shell_quote, Capped, FileRef, Finding, Fix, Predicted};

/// What a queue file holds, for the cross-file checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueueFacts {
    /// Records read.
    pub records: u64,
    /// Smallest sync number of a transaction (the RESYNC header excluded).
    pub min_sync: Option<u32>,
    /// Largest sync number of a transaction.
    pub max_sync: Option<u32>,
    /// The RESYNC header, when the first record is one.
    pub resync_header: Option<ResyncHeader>,
    /// Every record's (index, offset, sync), in file order, the RESYNC header
    /// excluded; at most [`SYNCS_KEPT`] (compare with `records`).
    pub syncs: Vec<(u64, u64, u32)>,
    /// REQTRANS.GLB's first record when its text is not a transaction Import
    /// would apply (a `#` line, or text Import's grammar rejects): taken as
    /// REQMAIN's dummy, which keeps the last confirmed ReqSync and whose text
    /// is not documented (KB Q96060, Q133428).
    pub dummy: Option<Dummy>,
    /// True when the whole file could be read.
    pub complete: bool,
    /// Whose checksums the file holds.
    #[serde(flatten)]
    pub checksums: ChecksumVerdict,
}

/// How many records' sync numbers [`QueueFacts::syncs`] keeps.
pub const SYNCS_KEPT: usize = 10 * FINDINGS_PER_CODE;

/// REQTRANS.GLB's first record taken as REQMAIN's dummy ([`QueueFacts::dummy`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Dummy {
    /// Its sync number.
    pub sync: u32,
    /// Its offset.
    pub offset: u64,
    /// True for a `#` line; false for text Import's grammar rejects.
    pub comment: bool,
    /// What Import would say of the text if the record were sent as a
    /// transaction (it is sent when numbered above REQCONF ReqSync).
    #[serde(skip)]
    pub held: Vec<Finding>,
}

/// What one record says, worked out independently of every other record
/// (so on any thread); [`check`] folds these in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verdict {
    index: u64,
    offset: u64,
    stored: u16,
    computed: u16,
    sync: u32,
    resync_header: Option<ResyncHeader>,
    /// Position and value of the first control character in the text.
    control: Option<(usize, u8)>,
    /// True for a `#` transaction (no effect, not pending).
    comment: bool,
    /// Import grammar problems (empty, and unallocated, in the common case).
    issues: Vec<import::Issue>,
}

/// A batch's verdicts as they travel between threads: a small [`Brief`] per
/// record, and the rare details (problems, RESYNC headers) apart, so that
/// little memory moves from the worker's core to the folding one.
struct Verdicts {
    briefs: Vec<Brief>,
    details: Vec<Detail>,
}

/// The part of a verdict every record has.
#[derive(Debug, Clone, Copy)]
struct Brief {
    sync: u32,
    stored: u16,
    computed: u16,
    comment: bool,
    /// The next [`Detail`] belongs to this record.
    detailed: bool,
}

/// The part of a verdict only unusual records have.
#[derive(Debug)]
struct Detail {
    resync_header: Option<ResyncHeader>,
    control: Option<(usize, u8)>,
    issues: Vec<import::Issue>,
}

impl Verdicts {
    fn push(&mut self, v: Verdict) {
        let detailed = v.resync_header.is_some() || v.control.is_some() || !v.issues.is_empty();
        self.briefs.push(Brief {
            sync: v.sync,
            stored: v.stored,
            computed: v.computed,
            comment: v.comment,
            detailed,
        });
        if detailed {
            self.details.push(Detail {
                resync_header: v.resync_header,
                control: v.control,
                issues: v.issues,
            });
        }
    }
}

impl Brief {
    /// The whole verdict again, taking its details (if any) from `details`.
    fn expand(
        self,
        index: u64,
        offset: u64,
        details: &mut impl Iterator<Item = Detail>,
    ) -> Verdict {
        let d = if self.detailed { details.next() } else { None };
        let (resync_header, control, issues) = match d {
            Some(d) => (d.resync_header, d.control, d.issues),
            None => (None, None, Vec::new()),
        };
        Verdict {
            index,
            offset,
            stored: self.stored,
            computed: self.computed,
            sync: self.sync,
            resync_header,
            control,
            comment: self.comment,
            issues,
        }
    }
}

/// True for a control character other than tab, CR and LF.
fn is_control(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f
}

/// True when `text` holds a control character: a branch-free scan in
/// 32-byte blocks, written with plain comparisons so that the compiler turns
/// it into vector instructions.
fn has_control(text: &[u8]) -> bool {
    let mut blocks = text.chunks_exact(32);
    for block in &mut blocks {
        let mut acc = 0u8;
        for &b in block {
            let low = u8::from(b < 0x20)
                & u8::from(b != b'\t')
                & u8::from(b != b'\r')
                & u8::from(b != b'\n');
            acc |= low | u8::from(b == 0x7f);
        }
        if acc != 0 {
            return true;
        }
    }
    blocks.remainder().iter().any(|&b| is_control(b))
}

/// `raw` is the record's bytes as stored, `rec` what they decode to, its
/// text in code page `cp`.
fn verdict(index: u64, offset: u64, raw: &[u8], rec: &QueueRecord, cp: CodePage) -> Verdict {
    let resync_header = rec.resync_header_numbers();
    let (control, comment, issues) = if resync_header.is_some() {
        (None, true, Vec::new())
    } else {
        let control = if has_control(&rec.text) {
            rec.text
                .iter()
                .position(|&b| is_control(b))
                .map(|i| (i, rec.text[i]))
        } else {
            None
        };
        if import::plainly_valid(&rec.text) {
            (control, false, Vec::new())
        } else {
            let t = import::parse(&rec.text, cp);
            (control, t.command == Command::Comment, t.issues)
        }
    };
    Verdict {
        index,
        offset,
        stored: rec.stored_checksum(),
        computed: checksum_of_stored(raw),
        sync: rec.sync,
        resync_header,
        control,
        comment,
        issues,
    }
}

/// Checks a queue file read through `reader`, appending findings; returns its facts.
///
/// Large files are checked on several threads ([`Pipeline::default`]); the
/// findings are the same, in the same order, whatever the number of threads.
pub fn check<R: Read>(
    file: &FileRef,
    reader: &mut Reader<Queue, R>,
    findings: &mut Vec<Finding>,
) -> QueueFacts {
    check_with(file, reader, findings, Pipeline::default())
}

/// [`check`] with an explicit way of spreading the work.
pub fn check_with<R: Read>(
    file: &FileRef,
    reader: &mut Reader<Queue, R>,
    findings: &mut Vec<Finding>,
    pipeline: Pipeline,
) -> QueueFacts {
    let mut facts = QueueFacts::default();
    let first = findings.len();
    let mut out = Capped::new(findings);
    let mut prev_sync: Option<u32> = None;
    let mut sums = SumTally::default();
    let path = shell_quote(&file.path);
    let read = pipeline::run(
        reader,
        pipeline,
        QueueRecord::default,
        |rec, batch| {
            let mut out = Verdicts {
                briefs: Vec::with_capacity(batch.len()),
                details: Vec::new(),
            };
            for r in batch.records() {
                Queue::decode_record(r.raw, rec).expect("the reader decoded it already");
                out.push(verdict(r.index, r.offset, r.raw, rec, file.codepage));
            }
            out
        },
        |batch, verdicts| {
            let mut details = verdicts.details.into_iter();
            for (r, b) in batch.records().zip(verdicts.briefs) {
                let v = b.expand(r.index, r.offset, &mut details);
                fold(
                    file,
                    &path,
                    v,
                    &mut facts,
                    &mut out,
                    &mut prev_sync,
                    &mut sums,
                );
            }
            Ok::<(), std::convert::Infallible>(())
        },
    );
    match read {
        Ok(Ok(())) => facts.complete = reader.salvage_error().is_none(),
        Ok(Err(e)) => out.push(from_error(file, &e)),
        Err(never) => match never {},
    }
    facts.checksums = sums.verdict(file, &mut out);
    out.summarise(file);
    // The repairs of a file MS Mail wrote need --force, and say what they risk.
    if facts.checksums.foreign() {
        for f in &mut findings[first..] {
            f.fix = std::mem::replace(&mut f.fix, Fix::None).on_ms_mail_checksums(true);
        }
    }
    facts
}

/// Whose checksums a queue file holds (KB Q96060: each record has one; MS
/// Mail's algorithm is undocumented, glbtool writes CRC-16/ARC). A stored
/// value equal to glbtool's CRC is, all but certainly (1 in 65,536 by
/// chance), glbtool's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "checksums")]
pub enum ChecksumVerdict {
    /// No record.
    #[default]
    None,
    /// Every record carries glbtool's CRC: damage is detected.
    Glbtool,
    /// A few records do not (GLB304): damaged, in a file glbtool sealed.
    Damaged,
    /// No record carries glbtool's CRC: MS Mail's (GLB305); damage cannot be
    /// detected.
    Foreign,
    /// Most records carry another algorithm's checksum and some carry
    /// glbtool's: re-sealed by glbtool (GLB314); damage cannot be detected.
    Mixed {
        /// The records carrying glbtool's CRC (the first ones, when many).
        resealed: Vec<u64>,
    },
}

impl ChecksumVerdict {
    /// True when the file holds checksums glbtool did not write (MS Mail's):
    /// a repair re-seals the records it changes with glbtool's CRC.
    pub fn foreign(&self) -> bool {
        matches!(
            self,
            ChecksumVerdict::Foreign | ChecksumVerdict::Mixed { .. }
        )
    }
}

/// The checksum counts of one file.
#[derive(Default)]
struct SumTally {
    matched: u64,
    /// The first records whose checksum matches.
    matching: Vec<u64>,
    /// Their sync numbers, for the text.
    matching_syncs: Vec<u32>,
    mismatch_count: u64,
    /// (index, offset, stored, computed, sync) of the first mismatching records.
    mismatched: Vec<(u64, u64, u16, u16, u32)>,
}

impl SumTally {
    fn add(&mut self, v: &Verdict) {
        if v.stored == v.computed {
            self.matched += 1;
            if self.matching.len() < FINDINGS_PER_CODE {
                self.matching.push(v.index);
                self.matching_syncs.push(v.sync);
            }
        } else {
            self.mismatch_count += 1;
            if self.mismatched.len() < FINDINGS_PER_CODE + 1 {
                self.mismatched
                    .push((v.index, v.offset, v.stored, v.computed, v.sync));
            }
        }
    }

    /// The checksum findings (GLB304, GLB305, GLB314) and the verdict.
    fn verdict(self, file: &FileRef, out: &mut Capped<'_>) -> ChecksumVerdict {
        let (matched, mismatch_count) = (self.matched, self.mismatch_count);
        if mismatch_count == 0 {
            return if matched == 0 {
                ChecksumVerdict::None
            } else {
                ChecksumVerdict::Glbtool
            };
        }
        if matched == 0 {
            out.push(
                file.finding(
                    "GLB305",
                    format!(
                        "all {mismatch_count} records' checksums differ from glbtool's CRC-16/ARC: the file was probably written by MS Mail, whose checksum algorithm is undocumented, so glbtool cannot verify them, and damage to a record cannot be detected in this file"
                    ),
                )
                .fix(Fix::None),
            );
            return ChecksumVerdict::Foreign;
        }
        if matched < mismatch_count {
            let list: Vec<String> = self.matching_syncs.iter().map(u32::to_string).collect();
            let more = if matched > self.matching.len() as u64 {
                format!(" and {} more", matched - self.matching.len() as u64)
            } else {
                String::new()
            };
            let at = self.matching.first().copied().unwrap_or(0);
            out.push(
                file.finding(
                    "GLB314",
                    format!(
                        "mixed checksums: {matched} record(s) carry glbtool's CRC-16/ARC (sync {}{more}), re-sealed by glbtool (a repair forced on a file MS Mail wrote, patch-seq --force) or written by it, while the other {mismatch_count} carry another algorithm's, probably MS Mail's (undocumented): MS Mail may reject the re-sealed records, and damage to a record cannot be detected in this file",
                        list.join(", ")
                    ),
                )
                .at(0, Some(at))
                .fix(Fix::Procedure {
                    text: "if MS Mail rejects the re-sealed records, restore the file from the backup the repair kept and repair it the documented way instead (for RESYNC.GLB: a new one from the server, IMPORT -S)".into(),
                    source: "KB Q119449, Q96060",
                }),
            );
            return ChecksumVerdict::Mixed {
                resealed: self.matching,
            };
        }
        for (index, offset, stored, computed, sync) in
            self.mismatched.into_iter().take(FINDINGS_PER_CODE)
        {
            out.push(
                file.finding("GLB304", format!("stored checksum {stored:04X}, computed {computed:04X}: the record was damaged after it was written ({matched} of the file's records carry glbtool's CRC-16/ARC; were this one written by MS Mail, its undocumented algorithm would explain the difference)"))
                    .at(offset + 2, Some(index))
                    .sync(sync)
                    .fix(Fix::Procedure {
                        text: "restore the file from backup; SRVMAIN 3.2 processes the records before a corrupt one and stops there".into(),
                        source: "KB Q103421",
                    }),
            );
        }
        if mismatch_count as usize > FINDINGS_PER_CODE {
            let more = mismatch_count - FINDINGS_PER_CODE as u64;
            out.push(file.finding("GLB304", format!("... and {more} more records with a mismatched checksum ({mismatch_count} in all)")));
        }
        ChecksumVerdict::Damaged
    }
}

/// Folds one record's verdict into the facts and findings, in file order.
fn fold(
    file: &FileRef,
    path: &str,
    v: Verdict,
    facts: &mut QueueFacts,
    out: &mut Capped<'_>,
    prev_sync: &mut Option<u32>,
    sums: &mut SumTally,
) {
    facts.records += 1;
    // Checksums: decided at the end (all-mismatch means "other algorithm").
    sums.add(&v);
    // The RESYNC header. Its encoding is glbtool's reconstruction (KB Q119449
    // says only that the header transaction carries IMPSEQ, REQSEQ and
    // SRVSEQ): numbers are read only from that form, and nothing is
    // predicted from a first record in another form.
    if let Some(h) = v.resync_header {
        if v.index == 0 {
            facts.resync_header = Some(h);
        } else {
            out.push(
                file.finding(
                    "GLB308",
                    format!(
                        "glbtool's RESYNC header transaction comes after {} other record(s) instead of first; no article says what Import does with it, so no error is predicted",
                        v.index
                    ),
                )
                .at(v.offset, Some(v.index))
                .sync(v.sync)
                .fix(resync_fix()),
            );
        }
        return;
    }
    if v.index == 0 && file.kind == FileKind::Resync {
        out.push(
            file.finding("GLB311", "the first record is not in glbtool's reconstructed header form (`# RESYNC IMPSEQ=... REQSEQ=... SRVSEQ=...`): it is taken as the header transaction, whose encoding is not documented (KB Q119449 says only that it carries IMPSEQ, REQSEQ and SRVSEQ), so its numbers cannot be checked and it is not read as a transaction")
                .at(v.offset, Some(0))
                .sync(v.sync),
        );
        return;
    }
    // Sync numbers strictly increasing.
    if let Some(p) = *prev_sync {
        if v.sync <= p {
            let fix = if file.kind == FileKind::Reqtrans {
                Fix::Command {
                    command: format!(
                        "glbtool patch-seq {path} --renumber-from {}",
                        p.saturating_add(1)
                    ),
                    risk: None,
                }
            } else {
                Fix::Procedure {
                    text:
                        "regenerate the file: requestors Export, then a RESYNC.GLB from the server"
                            .into(),
                    source: "KB Q96060",
                }
            };
            out.push(
                file.finding(
                    "GLB306",
                    format!(
                        "sync number {} follows {p}; sync numbers must increase",
                        v.sync
                    ),
                )
                .at(v.offset + 4, Some(v.index))
                .sync(v.sync)
                .fix(fix),
            );
        }
    }
    *prev_sync = Some(v.sync);
    facts.min_sync = Some(facts.min_sync.map_or(v.sync, |m| m.min(v.sync)));
    facts.max_sync = Some(facts.max_sync.map_or(v.sync, |m| m.max(v.sync)));
    facts.records_kept(v.index, v.offset, v.sync);
    // A `#` line (the parser also gives `#` for a first line it cannot use,
    // with issues), or text the grammar rejects: the same test as
    // `queue::not_a_transaction`.
    let comment = v.comment && v.issues.is_empty();
    let rejected = v.issues.iter().any(|i| i.message != 16);
    let said = transaction_findings(file, (v.index, v.sync), v.offset, v.control, v.issues);
    // REQTRANS.GLB's first record, when it is not a transaction Import would
    // apply, is taken as REQMAIN's dummy: what Import would say of it is held
    // back (the cross-file check gives it when REQCONF's ReqSync shows the
    // record will be sent), and the assumption is noted.
    if file.kind == FileKind::Reqtrans && v.index == 0 && (comment || rejected) {
        if !said.is_empty() {
            out.push(
                file.finding(
                    "GLB312",
                    format!(
                        "the first record's text is not a transaction Import would apply: it is taken as REQMAIN's dummy, which keeps the last confirmed ReqSync (here {}) and whose text is not documented (KB Q96060, Q133428); it is not checked as a transaction unless REQCONF.GLB's ReqSync shows it will be sent",
                        v.sync
                    ),
                )
                .at(v.offset, Some(0))
                .sync(v.sync),
            );
        }
        facts.dummy = Some(Dummy {
            sync: v.sync,
            offset: v.offset,
            comment,
            held: said,
        });
        return;
    }
    for f in said {
        out.push(f);
    }
}

impl QueueFacts {
    fn records_kept(&mut self, index: u64, offset: u64, sync: u32) {
        if self.syncs.len() < SYNCS_KEPT {
            self.syncs.push((index, offset, sync));
        }
    }
}

/// What Import (and glbtool's text check) says of one transaction: its control
/// characters (GLB307) and its grammar and limit problems (GLB0nn).
fn transaction_findings(
    file: &FileRef,
    (index, sync): (u64, u32),
    offset: u64,
    control: Option<(usize, u8)>,
    issues: Vec<import::Issue>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some((bad, byte)) = control {
        out.push(
            file.finding(
                "GLB307",
                format!("the text holds the control character 0x{byte:02x}"),
            )
            .at(offset + (TEXT_OFFSET + bad) as u64, Some(index))
            .sync(sync),
        );
    }
    for issue in issues {
        let code = import_code(issue.message);
        out.push(
            file.finding(code, issue.detail)
                .at(offset + (TEXT_OFFSET + issue.at) as u64, Some(index))
                .sync(sync)
                .predicts(Predicted::ms_mail(
                    "IMPORT",
                    if issue.message == 16 {
                        "Warning"
                    } else {
                        "Error "
                    },
                    issue.message,
                ))
                .fix(Fix::Procedure {
                    text: import::REJECTED_FIX.into(),
                    source: glb_formats::messages::message(issue.message)
                        .map_or("KB Q96001", |m| m.source),
                }),
        );
    }
    out
}

fn resync_fix() -> Fix {
    Fix::Procedure {
        text: "make a new RESYNC.GLB on the Dir-Sync server (glbtool resync --server DIR -o RESYNC.GLB, or IMPORT -S)".into(),
        source: "KB Q119449",
    }
}

#[cfg(test)]
mod tests {
    use glb_formats::fields::Stamp;
    use glb_formats::format::{Document, ReadOptions};
    use glb_formats::queue::{Checksum, QueueRecord};

    use super::*;
    use crate::check::Severity;

    fn run(kind: FileKind, records: Vec<QueueRecord>) -> (QueueFacts, Vec<Finding>) {
        let mut doc = Document::<Queue>::new(kind);
        doc.records = records;
        let bytes = doc.to_bytes().unwrap();
        let mut reader = Reader::<Queue, _>::new(
            &bytes[..],
            kind,
            Some(bytes.len() as u64),
            ReadOptions::default(),
        )
        .unwrap();
        let mut findings = Vec::new();
        let facts = check(
            &FileRef {
                path: "X".into(),
                kind,
                codepage: CodePage::Cp850,
            },
            &mut reader,
            &mut findings,
        );
        (facts, findings)
    }

    fn codes(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.code).collect()
    }

    #[test]
    fn a_healthy_queue_has_no_findings() {
        let (facts, f) = run(
            FileKind::Reqtrans,
            vec![
                QueueRecord::ack_dummy(17, Stamp(1)),
                QueueRecord::new(18, Stamp(2), b"A Joe\tPCM:N/P/joe"),
            ],
        );
        assert!(f.is_empty(), "{f:?}");
        assert_eq!((facts.min_sync, facts.max_sync), (Some(17), Some(18)));
        assert_eq!(facts.syncs, vec![(0, 0, 17), (1, 49, 18)]);
        assert_eq!(
            facts.dummy.as_ref().map(|d| (d.sync, d.comment)),
            Some((17, true))
        );
    }

    #[test]
    fn a_first_reqtrans_record_that_is_no_transaction_is_taken_as_the_dummy() {
        // REQMAIN's dummy text is not documented (KB Q133428): a 49-byte
        // REQTRANS.GLB whose one record holds any 24 characters.
        for text in [
            &b"Last confirmed: 00000017"[..],
            b"\x01\x02 binary dummy 12345678",
            b"XXXXXXXXXXXXXXXXXXXXXXXX",
            b"                        ",
        ] {
            let mut doc = Document::<Queue>::new(FileKind::Reqtrans);
            doc.records = vec![QueueRecord::new(17, Stamp(1), text)];
            assert_eq!(doc.to_bytes().unwrap().len(), 49);
            let (facts, f) = run(FileKind::Reqtrans, doc.records);
            assert!(
                f.iter()
                    .all(|f| f.predicts.is_none() && f.severity == Severity::Info),
                "{text:?}: {f:?}"
            );
            assert_eq!(codes(&f), vec!["GLB312"], "{text:?}");
            let d = facts.dummy.unwrap();
            assert_eq!((d.sync, d.offset, d.comment), (17, 0, false));
            assert!(!d.held.is_empty());
        }
        // The same text after the first record is a transaction: judged as one.
        let (_, f) = run(
            FileKind::Reqtrans,
            vec![
                QueueRecord::ack_dummy(17, Stamp(1)),
                QueueRecord::new(18, Stamp(1), b"XXXXXXXXXXXXXXXXXXXXXXXX"),
            ],
        );
        assert!(f.iter().any(|f| f.predicts.is_some()), "{f:?}");
    }

    #[test]
    fn one_corrupt_checksum_is_named_but_all_mismatching_is_one_warning() {
        let mut bad = QueueRecord::new(2, Stamp(0), b"A Joe\tPCM:N/P/joe");
        bad.checksum = Checksum::Stored(0x1234);
        let (_, f) = run(
            FileKind::Msttrans,
            vec![QueueRecord::new(1, Stamp(0), b"R PCM:N/P"), bad.clone()],
        );
        assert_eq!(codes(&f), vec!["GLB304"]);
        assert_eq!(f[0].record, Some(1));
        let mut bad1 = QueueRecord::new(1, Stamp(0), b"R PCM:N/P");
        bad1.checksum = Checksum::Stored(0x4321);
        let (facts, f) = run(FileKind::Msttrans, vec![bad1, bad]);
        assert_eq!(codes(&f), vec!["GLB305"]);
        assert_eq!(facts.checksums, ChecksumVerdict::Foreign);
        assert!(f[0].cause.contains("cannot be detected"), "{}", f[0].cause);
    }

    #[test]
    fn a_file_mixing_ms_mail_checksums_and_resealed_ones_names_the_resealed() {
        // A RESYNC.GLB written by MS Mail (no checksum is glbtool's), whose
        // header glbtool re-sealed (patch-seq --force): one warning naming
        // record 0, no per-record damage claims.
        let foreign = |sync: u32, text: &[u8]| {
            let mut r = QueueRecord::new(sync, Stamp(0), text);
            r.checksum = Checksum::Stored(r.computed_checksum() ^ 0x1111);
            r
        };
        let mut recs = vec![QueueRecord::resync_header(
            ResyncHeader::default(),
            Stamp(0),
        )];
        for i in 1..=5 {
            recs.push(foreign(i, b"A Joe\tPCM:N/P/joe"));
        }
        let (facts, f) = run(FileKind::Resync, recs.clone());
        assert_eq!(codes(&f), vec!["GLB314"]);
        assert_eq!(f[0].severity, Severity::Warning);
        // Named by sync number, as LISTQ shows records (issue 20 point 6).
        assert!(f[0].cause.contains("(sync 0)") && f[0].cause.contains("cannot be detected"));
        assert_eq!(
            facts.checksums,
            ChecksumVerdict::Mixed { resealed: vec![0] }
        );
        assert!(facts.checksums.foreign());
        // Two renumbered records in a REQTRANS of six.
        let mut recs: Vec<QueueRecord> =
            (1..=6).map(|i| foreign(i, b"A Joe\tPCM:N/P/joe")).collect();
        recs[2] = QueueRecord::new(3, Stamp(0), b"A Joe\tPCM:N/P/joe");
        recs[4] = QueueRecord::new(5, Stamp(0), b"A Joe\tPCM:N/P/joe");
        let (facts, f) = run(FileKind::Reqtrans, recs);
        assert_eq!(codes(&f), vec!["GLB314"]);
        assert!(f[0].cause.contains("(sync 3, 5)"), "{}", f[0].cause);
        assert_eq!(
            facts.checksums,
            ChecksumVerdict::Mixed {
                resealed: vec![2, 4]
            }
        );
        // Every checksum glbtool's: nothing to say.
        let (facts, f) = run(
            FileKind::Msttrans,
            vec![QueueRecord::new(1, Stamp(0), b"R PCM:N/P")],
        );
        assert!(f.is_empty());
        assert_eq!(facts.checksums, ChecksumVerdict::Glbtool);
        assert!(!facts.checksums.foreign());
    }

    #[test]
    fn sync_numbers_must_increase() {
        let (_, f) = run(
            FileKind::Reqtrans,
            vec![
                QueueRecord::new(5, Stamp(0), b"A A\tPCM:N/P/a"),
                QueueRecord::new(5, Stamp(0), b"A B\tPCM:N/P/b"),
            ],
        );
        assert_eq!(codes(&f), vec!["GLB306"]);
        assert!(
            matches!(&f[0].fix, Fix::Command { command, .. } if command.contains("--renumber-from 6"))
        );
    }

    #[test]
    fn a_resync_header_in_another_form_is_noted_and_predicts_nothing() {
        // A genuine IMPORT -S file's header is in an undocumented encoding:
        // any first record other than glbtool's form, even text Import's
        // grammar would reject, is a note, never an error or a prediction.
        for first in [
            &b"R PCM:N/P"[..],
            b"",
            b"\x01\x02\xff binary \x7f header",
            b"# RESYNC IMPSEQ=1 REQSEQ=2",
            b"IMPSEQ=0000000001 REQSEQ=0000000002 SRVSEQ=0000000003",
            b"X 12 13 14",
        ] {
            let (facts, f) = run(
                FileKind::Resync,
                vec![
                    QueueRecord::new(0, Stamp(0), first),
                    QueueRecord::new(1, Stamp(0), b"R PCM:N/P"),
                    QueueRecord::new(2, Stamp(0), b"A Joe\tPCM:N/P/joe"),
                ],
            );
            assert_eq!(codes(&f), vec!["GLB311"], "{first:?}: {f:?}");
            assert!(f
                .iter()
                .all(|f| f.predicts.is_none() && f.severity == Severity::Info));
            assert_eq!(facts.resync_header, None);
            assert_eq!((facts.min_sync, facts.max_sync), (Some(1), Some(2)));
        }
        // glbtool's header after the first record: a warning, no prediction.
        let h = ResyncHeader::default();
        let (_, f) = run(
            FileKind::Resync,
            vec![
                QueueRecord::new(0, Stamp(0), b"R PCM:N/P"),
                QueueRecord::resync_header(h, Stamp(0)),
            ],
        );
        assert_eq!(codes(&f), vec!["GLB311", "GLB308"]);
        assert!(f.iter().all(|f| f.predicts.is_none()));
    }

    #[test]
    fn resync_header_in_glbtools_form_is_read() {
        let h = ResyncHeader {
            impseq: 1,
            reqseq: 2,
            srvseq: 3,
        };
        let (facts, f) = run(
            FileKind::Resync,
            vec![
                QueueRecord::resync_header(h, Stamp(0)),
                QueueRecord::new(1, Stamp(0), b"R PCM:N/P"),
            ],
        );
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(facts.resync_header, Some(h));
    }

    #[test]
    fn grammar_issues_predict_the_import_message() {
        let (_, f) = run(
            FileKind::Msttrans,
            vec![QueueRecord::new(
                1,
                Stamp(0),
                b"A Joe\tPCM:NETWORKNAME1/P/joe",
            )],
        );
        assert_eq!(codes(&f), vec!["GLB020"]);
        let p = f[0].predicts.as_ref().unwrap();
        assert_eq!(p.text, "Error [ 20] Address element is too long");
        assert_eq!(f[0].offset, Some(24 + 10));
    }

    #[test]
    fn control_characters_are_found_in_every_position() {
        assert!(!has_control(b""));
        let clean = b"A Joe\tPCM:N/P/joe\r\n- Phone:/1 \xe9\xff ".repeat(3);
        assert!(!has_control(&clean));
        for at in 0..clean.len() {
            for bad in [0x00, 0x01, 0x1b, 0x1f, 0x7f] {
                let mut t = clean.clone();
                t[at] = bad;
                assert!(has_control(&t), "0x{bad:02x} at {at}");
            }
        }
    }

    #[test]
    fn findings_of_one_code_are_capped() {
        let recs: Vec<QueueRecord> = (0..150)
            .map(|i| QueueRecord::new(i, Stamp(0), b"A \tPCM:N/P/x"))
            .collect();
        let (_, f) = run(FileKind::Msttrans, recs);
        let n = f.iter().filter(|f| f.code == "GLB046").count();
        assert_eq!(n, FINDINGS_PER_CODE + 1);
        assert!(f.last().unwrap().cause.contains("50 more"));
    }

    #[test]
    fn threads_do_not_change_findings_or_facts() {
        // Every kind of finding, spread over many small batches.
        let mut recs = Vec::new();
        for i in 0..3000u32 {
            let text: &[u8] = match i % 7 {
                0 => b"A \tPCM:N/P/x",
                1 => b"A Joe\tPCM:NETWORKNAME1/P/joe",
                2 => b"A Jo\x01e\tPCM:N/P/joe",
                3 => b"# comment",
                _ => b"A Joe\tPCM:N/P/joe",
            };
            let sync = if i % 500 == 499 { i - 3 } else { i };
            let mut r = QueueRecord::new(sync, Stamp(0), text);
            if i % 1000 == 17 {
                r.checksum = Checksum::Stored(0x1234);
            }
            recs.push(r);
        }
        recs.insert(
            2000,
            QueueRecord::resync_header(ResyncHeader::default(), Stamp(0)),
        );
        let mut doc = Document::<Queue>::new(FileKind::Msttrans);
        doc.records = recs;
        let mut bytes = doc.to_bytes().unwrap();
        bytes.truncate(bytes.len() - 3);
        let file = FileRef {
            path: "X".into(),
            kind: FileKind::Msttrans,
            codepage: CodePage::Cp850,
        };
        let run = |threads, batch_bytes| {
            let mut reader = Reader::<Queue, _>::new(
                &bytes[..],
                FileKind::Msttrans,
                None,
                ReadOptions::default(),
            )
            .unwrap();
            let mut findings = Vec::new();
            let facts = check_with(
                &file,
                &mut reader,
                &mut findings,
                Pipeline {
                    threads,
                    batch_bytes,
                },
            );
            (facts, findings)
        };
        let (facts, findings) = run(1, 1 << 20);
        assert_eq!(facts.records, 3000);
        let codes: std::collections::BTreeSet<&str> = findings.iter().map(|f| f.code).collect();
        for want in [
            "GLB046", "GLB020", "GLB307", "GLB306", "GLB304", "GLB308", "GLB302",
        ] {
            assert!(codes.contains(want), "{want} missing from {codes:?}");
        }
        for (threads, batch) in [(2, 1), (2, 4096), (3, 777)] {
            assert_eq!(run(threads, batch), (facts.clone(), findings.clone()));
        }
    }
}
