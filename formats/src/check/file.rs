//! Checks one file of any kind: structure (it parses, sizes), then the
//! family's own checks. Returns the facts cross-file checks need.

use std::io::Read;

use serde::Serialize;

use super::queue::QueueFacts;
use super::{from_error, FileRef, Finding};
use crate::format::{Format, ReadOptions, Reader};
use crate::kind::Family;

/// What a checked file holds, for the cross-file checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "family", rename_all = "lowercase")]
pub enum Facts {
    /// A queue file.
    Queue(QueueFacts),
    /// REQCONF.GLB.
    ReqConf(Box<crate::reqconf::ReqConf>),
    /// SRVCONF.GLB.
    SrvConf {
        /// The header.
        header: Box<crate::srvconf::SrvConfHeader>,
        /// The requestor records.
        records: Vec<crate::srvconf::RequestorRecord>,
    },
    /// Nothing the cross-file checks use (or the file did not parse).
    None,
}

/// Reads a whole file of format `F`, turning a read error into a finding.
pub fn parse_all<F: Format, R: Read>(
    file: &FileRef,
    src: R,
    size: Option<u64>,
    findings: &mut Vec<Finding>,
) -> Option<(Option<F::Header>, u64)> {
    let mut reader = match Reader::<F, R>::new(src, file.kind, size, ReadOptions::default()) {
        Ok(r) => r,
        Err(e) => {
            findings.push(from_error(file, &e));
            return None;
        }
    };
    loop {
        match reader.next_record() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                findings.push(from_error(file, &e));
                return None;
            }
        }
    }
    Some((reader.header().cloned(), reader.records_read()))
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
            let mut reader = match Reader::<crate::queue::Queue, R>::new(
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
            match parse_all::<crate::reqconf::ReqConfFile, R>(file, src, size, findings) {
                Some((Some(h), _)) => Facts::ReqConf(Box::new(h)),
                _ => Facts::None,
            }
        }
        Family::SrvConf => {
            let mut reader = match Reader::<crate::srvconf::SrvConfFile, R>::new(
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
            let mut records = Vec::new();
            loop {
                match reader.next_record() {
                    Ok(Some(r)) => records.push(r.record.clone()),
                    Ok(None) => break,
                    Err(e) => {
                        findings.push(from_error(file, &e));
                        return Facts::None;
                    }
                }
            }
            match reader.header() {
                Some(h) => Facts::SrvConf {
                    header: Box::new(h.clone()),
                    records,
                },
                None => Facts::None,
            }
        }
        family => {
            crate::with_format!(family, |F| { parse_all::<F, R>(file, src, size, findings); }, else {
                findings.push(file.finding("GLB302", format!("glbtool cannot read {} files yet", file.kind)));
            });
            Facts::None
        }
    }
}
