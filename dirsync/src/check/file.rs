//! Checks one file of any kind: structure (it parses, sizes), then the
//! family's own checks (`queue.rs` for transaction queues, `fixed.rs` for the
//! fixed-layout families). Returns the facts cross-file checks need.

use std::io::Read;

use glb_formats::format::{ReadOptions, Reader};
use glb_formats::kind::Family;
use glb_formats::nme::Nme;
use glb_formats::process::{ProcessFile, ProcessKind};
use glb_formats::reqconf::ReqConfFile;
use glb_formats::srvconf::{self, SrvConfFile};
use serde::Serialize;

use super::fixed;
use super::queue::QueueFacts;
use super::{from_error, FileRef, Finding};

/// What a checked file holds, for the cross-file checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "family", rename_all = "lowercase")]
pub enum Facts {
    /// A queue file.
    Queue(QueueFacts),
    /// REQCONF.GLB.
    ReqConf(Box<glb_formats::reqconf::ReqConf>),
    /// SRVCONF.GLB.
    SrvConf {
        /// The header.
        header: Box<glb_formats::srvconf::SrvConfHeader>,
        /// The requestor records.
        records: Vec<glb_formats::srvconf::RequestorRecord>,
    },
    /// PROCESS.GLB.
    Process(ProcessFacts),
    /// Nothing the cross-file checks use (or the file did not parse).
    None,
}

/// What PROCESS.GLB holds, for the cross-file checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProcessFacts {
    /// The records that schedule T2, `NSDA -S` (the server's process; code 2
    /// in glbtool's reconstructed encoding): (record index, offset).
    pub server_runs: Vec<(u64, u64)>,
}

/// Checks one file. `size` is its length when known (checked against the
/// documented size rule).
pub fn check<R: Read>(
    file: &FileRef,
    src: R,
    size: Option<u64>,
    findings: &mut Vec<Finding>,
) -> Facts {
    match file.kind.family() {
        Family::Queue => {
            let mut reader = match Reader::<glb_formats::queue::Queue, R>::new(
                src,
                file.kind,
                size,
                ReadOptions::default(),
            ) {
                Ok(r) => r,
                Err(e) => {
                    findings.push(from_error(file, &e));
                    return Facts::None;
                }
            };
            Facts::Queue(super::queue::check(file, &mut reader, findings))
        }
        Family::ReqConf => {
            match fixed::scan::<ReqConfFile, R>(file, src, size, findings, |_, _| {}) {
                Some((Some(h), _)) => {
                    fixed::reqconf(file, &h, findings);
                    Facts::ReqConf(Box::new(h))
                }
                _ => Facts::None,
            }
        }
        Family::SrvConf => {
            // Every record is checked as it is read; at most MAX_HELD are
            // kept for the checks across files.
            let mut records = Vec::new();
            let mut blank = fixed::srvconf_hook(file);
            let read = fixed::scan::<SrvConfFile, R>(file, src, size, findings, |r, out| {
                blank(r, out);
                if records.len() < srvconf::MAX_HELD {
                    records.push(r.record.clone());
                }
            });
            match read {
                Some((Some(h), n)) if n <= srvconf::MAX_HELD as u64 => Facts::SrvConf {
                    header: Box::new(h),
                    records,
                },
                Some((Some(_), n)) => {
                    findings.push(
                        file.finding(
                            "GLB355",
                            format!(
                                "{}: the checks across files that need its requestor records (GLB014, GLB138, GLB139, GLB341) were not made",
                                srvconf::too_many(Some(n), "compare them with other files")
                            ),
                        )
                        .fix(super::Fix::Procedure {
                            text: "restore SRVCONF.GLB from a backup taken before the damage".into(),
                            source: "KB Q96060",
                        }),
                    );
                    Facts::None
                }
                _ => Facts::None,
            }
        }
        Family::Process => {
            let mut facts = ProcessFacts::default();
            let mut hook = fixed::process_hook(file);
            let read = fixed::scan::<ProcessFile, R>(file, src, size, findings, |r, out| {
                if r.record.kind() == Some(ProcessKind::ServerProcess) {
                    facts.server_runs.push((r.index, r.offset));
                }
                hook(r, out)
            });
            match read {
                Some(_) => Facts::Process(facts),
                None => Facts::None,
            }
        }
        Family::Nme => {
            fixed::scan::<Nme, R>(file, src, size, findings, fixed::nme_hook(file));
            Facts::None
        }
        Family::Usr => {
            fixed::scan::<glb_formats::usr::Usr, R>(
                file,
                src,
                size,
                findings,
                fixed::usr_hook(file),
            );
            Facts::None
        }
        family @ (Family::Netpo | Family::Galnetpo | Family::Network | Family::Xtn) => {
            glb_formats::with_format!(family, |F| {
                fixed::scan::<F, R>(file, src, size, findings, |_, _| {});
            });
            Facts::None
        }
    }
}
