//! Single-file checks of a transaction queue, in one streaming pass, and the
//! facts the cross-file checks need (sync-number range, RESYNC header).
//!
//! Checks (see `docs/checks.md`): checksums (GLB304/GLB305), sync numbers
//! strictly increasing (GLB306), control characters (GLB307), RESYNC header
//! present and first (GLB308), Import grammar and limits (GLB0nn).

use std::io::Read;

use serde::Serialize;

use super::{from_error, import_code, shell_quote, Capped, FileRef, Finding, Fix, Predicted};

pub use super::FINDINGS_PER_CODE;
use crate::format::Reader;
use crate::import::{self, Command};
use crate::kind::FileKind;
use crate::queue::{Queue, ResyncHeader, TEXT_OFFSET};

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
    /// Transactions that are not `#` dummies: (record index, offset, sync), in file order,
    /// capped at [`FINDINGS_PER_CODE`] entries.
    pub pending: Vec<(u64, u64, u32)>,
    /// How many non-dummy transactions there are in all.
    pub pending_count: u64,
    /// True when the whole file could be read.
    pub complete: bool,
}

/// Checks a queue file read through `reader`, appending findings; returns its facts.
pub fn check<R: Read>(
    file: &FileRef,
    reader: &mut Reader<Queue, R>,
    findings: &mut Vec<Finding>,
) -> QueueFacts {
    let mut facts = QueueFacts::default();
    let mut out = Capped::new(findings);
    let mut prev_sync: Option<u32> = None;
    let mut matched = 0u64;
    let mut mismatched: Vec<(u64, u64, u16, u16)> = Vec::new();
    let mut mismatch_count = 0u64;
    let path = shell_quote(&file.path);
    loop {
        let r = match reader.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => {
                facts.complete = reader.salvage_error().is_none();
                break;
            }
            Err(e) => {
                out.push(from_error(file, &e));
                break;
            }
        };
        facts.records += 1;
        let rec = r.record;
        // Checksums: decided at the end (all-mismatch means "other algorithm").
        let (stored, computed) = (rec.stored_checksum(), rec.computed_checksum());
        if stored == computed {
            matched += 1;
        } else {
            mismatch_count += 1;
            if mismatched.len() < FINDINGS_PER_CODE + 1 {
                mismatched.push((r.index, r.offset, stored, computed));
            }
        }
        // The RESYNC header.
        if let Some(h) = rec.resync_header_numbers() {
            if r.index == 0 {
                facts.resync_header = Some(h);
            } else {
                out.push(
                    file.finding(
                        "GLB308",
                        format!(
                            "a RESYNC header transaction appears as record {} instead of first",
                            r.index
                        ),
                    )
                    .at(r.offset, Some(r.index))
                    .fix(resync_fix()),
                );
            }
            continue;
        }
        if r.index == 0 && file.kind == FileKind::Resync {
            out.push(
                file.finding("GLB308", "the first record of RESYNC.GLB is not the header transaction that carries IMPSEQ, REQSEQ and SRVSEQ")
                    .at(r.offset, Some(0))
                    .predicts(Predicted { program: "IMPORT -Q", number: Some(14), text: "Fatal error 14: \"Error processing Resync.glb\"".into() })
                    .fix(resync_fix()),
            );
        }
        // Sync numbers strictly increasing.
        if let Some(p) = prev_sync {
            if rec.sync <= p {
                let fix = if file.kind == FileKind::Reqtrans {
                    Fix::Command {
                        command: format!(
                            "glbtool patch-seq {path} --renumber-from {}",
                            p.saturating_add(1)
                        ),
                    }
                } else {
                    Fix::Procedure { text: "regenerate the file: requestors Export, then a RESYNC.GLB from the server".into(), source: "KB Q96060" }
                };
                out.push(
                    file.finding(
                        "GLB306",
                        format!(
                            "sync number {} follows {p}; sync numbers must increase",
                            rec.sync
                        ),
                    )
                    .at(r.offset + 4, Some(r.index))
                    .fix(fix),
                );
            }
        }
        prev_sync = Some(rec.sync);
        facts.min_sync = Some(facts.min_sync.map_or(rec.sync, |m| m.min(rec.sync)));
        facts.max_sync = Some(facts.max_sync.map_or(rec.sync, |m| m.max(rec.sync)));
        // Control characters.
        if let Some(bad) = rec
            .text
            .iter()
            .position(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f)
        {
            out.push(
                file.finding(
                    "GLB307",
                    format!(
                        "the text holds the control character 0x{:02x}",
                        rec.text[bad]
                    ),
                )
                .at(r.offset + (TEXT_OFFSET + bad) as u64, Some(r.index)),
            );
        }
        // Import grammar and limits.
        let t = import::parse(&rec.text);
        if t.command != Command::Comment {
            facts.pending_count += 1;
            if facts.pending.len() < FINDINGS_PER_CODE {
                facts.pending.push((r.index, r.offset, rec.sync));
            }
        }
        for issue in &t.issues {
            let code = import_code(issue.message);
            out.push(
                file.finding(code, issue.detail.clone())
                    .at(r.offset + (TEXT_OFFSET + issue.at) as u64, Some(r.index))
                    .predicts(Predicted::ms_mail("IMPORT", if issue.message == 16 { "Warning" } else { "Error " }, issue.message))
                    .fix(Fix::Procedure {
                        text: "correct the entry in ADMIN at the postoffice that owns it, so that the next export carries a valid transaction".into(),
                        source: crate::messages::message(issue.message).map_or("KB Q96001", |m| m.source),
                    }),
            );
        }
    }
    // Checksum verdict.
    if mismatch_count > 0 && matched == 0 {
        out.push(
            file.finding(
                "GLB305",
                format!(
                    "all {mismatch_count} records' checksums differ from glbtool's CRC-16/ARC: the file was probably written by MS Mail, whose checksum algorithm is undocumented, so glbtool cannot verify them"
                ),
            )
            .fix(Fix::None),
        );
    } else {
        for (index, offset, stored, computed) in mismatched.into_iter().take(FINDINGS_PER_CODE) {
            out.push(
                file.finding("GLB304", format!("stored checksum {stored:04X}, computed {computed:04X}: the record was damaged after it was written"))
                    .at(offset + 2, Some(index))
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
    }
    out.summarise(file);
    facts
}

fn resync_fix() -> Fix {
    Fix::Procedure {
        text: "make a new RESYNC.GLB on the Dir-Sync server (glbtool resync --server DIR -o RESYNC.GLB, or IMPORT -S)".into(),
        source: "KB Q119449",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Stamp;
    use crate::format::{Document, ReadOptions};
    use crate::queue::{Checksum, QueueRecord};

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
        assert_eq!(
            (facts.min_sync, facts.max_sync, facts.pending_count),
            (Some(17), Some(18), 1)
        );
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
        let (_, f) = run(FileKind::Msttrans, vec![bad1, bad]);
        assert_eq!(codes(&f), vec!["GLB305"]);
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
            matches!(&f[0].fix, Fix::Command { command } if command.contains("--renumber-from 6"))
        );
    }

    #[test]
    fn resync_needs_its_header_first() {
        let (_, f) = run(
            FileKind::Resync,
            vec![QueueRecord::new(1, Stamp(0), b"R PCM:N/P")],
        );
        assert_eq!(codes(&f), vec!["GLB308"]);
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
    fn findings_of_one_code_are_capped() {
        let recs: Vec<QueueRecord> = (0..150)
            .map(|i| QueueRecord::new(i, Stamp(0), b"A \tPCM:N/P/x"))
            .collect();
        let (_, f) = run(FileKind::Msttrans, recs);
        let n = f.iter().filter(|f| f.code == "GLB046").count();
        assert_eq!(n, FINDINGS_PER_CODE + 1);
        assert!(f.last().unwrap().cause.contains("50 more"));
    }
}
