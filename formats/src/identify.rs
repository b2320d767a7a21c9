//! Recognising a file's kind from its name, size and first bytes.

use crate::format::{Format, RecordSize};
use crate::kind::{Family, FileKind};

/// How a kind was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// Given on the command line.
    Given,
    /// From the file name.
    Name,
    /// From size and content only: a guess.
    Content,
}

/// True when a file of this size (and these first bytes) could be of `F`'s layout.
pub fn fits<F: Format>(size: u64, head: &[u8]) -> bool {
    if F::check_size(FileKind::Srvtrans, size).is_err() {
        return false;
    }
    match F::RECORD {
        RecordSize::Prefixed { min, max } => {
            if size == 0 {
                return true;
            }
            // The first record must have a plausible length and end with its NUL.
            let Some(len) = head
                .get(..2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
            else {
                return false;
            };
            if len < min || len > max || len as u64 > size {
                return false;
            }
            head.get(len - 1).is_none_or(|&b| b == 0)
        }
        _ => size > 0,
    }
}

/// Kinds a file could be, judged by size and content, most specific first.
pub fn candidates(size: u64, head: &[u8]) -> Vec<FileKind> {
    let mut out = Vec::new();
    let families = [
        (Family::ReqConf, FileKind::Reqconf),
        (Family::SrvConf, FileKind::Srvconf),
        (Family::Process, FileKind::Process),
        (Family::Network, FileKind::Network),
        (Family::Xtn, FileKind::Xtn),
        (Family::Usr, FileKind::Usr),
        (Family::Nme, FileKind::Nme),
        (Family::Netpo, FileKind::Netpo),
        (Family::Galnetpo, FileKind::Galnetpo),
        (Family::Queue, FileKind::Srvtrans),
    ];
    for (family, kind) in families {
        let ok = crate::with_format!(family, |F| fits::<F>(size, head), else false);
        if ok {
            out.push(kind);
        }
    }
    out
}

/// The kind of a file: from its name when the name is one glbtool knows,
/// else the single content candidate. Returns the evidence, or the candidates
/// when the content is ambiguous.
pub fn recognise(
    name: &str,
    size: u64,
    head: &[u8],
) -> Result<(FileKind, Evidence), Vec<FileKind>> {
    if let Some(k) = FileKind::from_file_name(name) {
        return Ok((k, Evidence::Name));
    }
    let c = candidates(size, head);
    match c.as_slice() {
        [one] => Ok((*one, Evidence::Content)),
        _ => Err(c),
    }
}
