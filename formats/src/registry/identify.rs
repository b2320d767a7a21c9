//! Recognising a file's kind from its name, size and first bytes.
//!
//! A name that says what a file is decides: a kind glbtool decodes
//! (`REQCONF.GLB`, `*.NME`, and backups or copies of them such as
//! `RESYNC.GLB.bak` or `RESYNC.B01`), or an MS Mail file glbtool does not
//! decode (`CONTROL.GLB`, `*.KEY`, [`crate::msmail`]). Only a name that says
//! nothing leaves the kind to the content, and that is a guess
//! ([`Evidence::Content`]), labelled so wherever it is shown.

use crate::format::{Format, RecordSize};
use crate::kind::{Family, FileKind};
use crate::msmail::{self, MsMailFile};

/// What a file's name says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// A kind glbtool decodes.
    Kind(FileKind),
    /// An MS Mail file glbtool does not decode.
    Undecoded(&'static MsMailFile),
}

/// Removes one backup or copy suffix from an upper-case file name:
/// `X.GLB~`, `X.GLB.BAK`, `X.GLB.BAK.3`, `X.GLB.OLD`, `X.GLB.ORIG`,
/// `X.GLB.SAVE`, `X.GLB.TMP`, `X.GLB.NEW`, `X.GLB.COPY`, and the 8.3 forms
/// `X.BAK`, `X.B01`, `X.TMP`, `X.OLD` (of a `X.GLB`; KB Q148666 itself
/// copies NETWORK.GLB to NETWORK.BAK and NETWORK.TMP). `None` when there is
/// none.
fn strip_backup(name: &str) -> Option<String> {
    if let Some(s) = name.strip_suffix('~') {
        return Some(s.to_string());
    }
    let (rest, last) = name.rsplit_once('.')?;
    let numbered = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if numbered(last) {
        // `X.GLB.BAK.3`
        let (before, bak) = rest.rsplit_once('.')?;
        return (bak == "BAK").then(|| before.to_string());
    }
    let copy = matches!(
        last,
        "BAK" | "OLD" | "ORIG" | "SAVE" | "SAV" | "TMP" | "NEW" | "COPY"
    ) || (last.len() == 3 && last.starts_with('B') && numbered(&last[1..]));
    if !copy {
        return None;
    }
    // An 8.3 copy keeps only the stem: `RESYNC.BAK` is a copy of RESYNC.GLB.
    Some(if rest.contains('.') {
        rest.to_string()
    } else {
        format!("{rest}.GLB")
    })
}

/// What `name` says the file is: its own name, else the name it is a backup
/// or copy of (`RESYNC.GLB.bak` says RESYNC.GLB). `None` when the name says
/// nothing glbtool knows.
pub fn by_name(name: &str) -> Option<Named> {
    let base = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_ascii_uppercase();
    let mut current = base;
    for _ in 0..4 {
        if let Some(k) = FileKind::from_file_name(&current) {
            return Some(Named::Kind(k));
        }
        if let Some(f) = msmail::by_name(&current) {
            return Some(Named::Undecoded(f));
        }
        current = strip_backup(&current)?;
    }
    None
}

/// Why a file's kind could not be settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unrecognised {
    /// Its name says it is an MS Mail file glbtool does not decode.
    Undecoded(&'static MsMailFile),
    /// Its name says nothing, and these kinds fit its size and first bytes
    /// (none, or more than one).
    Candidates(Vec<FileKind>),
}

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
        let ok = crate::with_format!(family, |F| fits::<F>(size, head));
        if ok {
            out.push(kind);
        }
    }
    out
}

/// The kind of a file: what its name says ([`by_name`]), else the single
/// content candidate (a guess, [`Evidence::Content`]). A name that says an
/// MS Mail file glbtool does not decode is never read as another kind.
pub fn recognise(name: &str, size: u64, head: &[u8]) -> Result<(FileKind, Evidence), Unrecognised> {
    match by_name(name) {
        Some(Named::Kind(k)) => return Ok((k, Evidence::Name)),
        Some(Named::Undecoded(f)) => return Err(Unrecognised::Undecoded(f)),
        None => {}
    }
    let c = candidates(size, head);
    match c.as_slice() {
        [one] => Ok((*one, Evidence::Content)),
        _ => Err(Unrecognised::Candidates(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_decides_and_backups_keep_their_kind() {
        let kind = |n: &str| match by_name(n) {
            Some(Named::Kind(k)) => Some(k),
            _ => None,
        };
        for n in [
            "RESYNC.GLB",
            "resync.glb.bak",
            "RESYNC.GLB.bak.3",
            "RESYNC.BAK",
            "RESYNC.B07",
            "RESYNC.GLB~",
            "x/RESYNC.GLB.orig",
        ] {
            assert_eq!(kind(n), Some(FileKind::Resync), "{n}");
        }
        assert_eq!(kind("NETWORK.TMP"), Some(FileKind::Network));
        assert_eq!(kind("ADMIN.NME.bak"), Some(FileKind::Nme));
        assert_eq!(kind("notes.txt"), None);
        assert_eq!(kind("RESYNC.GLB.json"), None);
        assert!(matches!(by_name("CONTROL.GLB"), Some(Named::Undecoded(_))));
        assert!(matches!(by_name("CONTROL.BAK"), Some(Named::Undecoded(_))));
        assert!(matches!(by_name("0000002E.KEY"), Some(Named::Undecoded(_))));
    }

    #[test]
    fn an_undecoded_name_is_never_guessed_from_its_content() {
        // A 1,024-byte CONTROL.GLB fits SRVCONF.GLB's size rule.
        let head = vec![0u8; 1024];
        assert!(candidates(1024, &head).contains(&FileKind::Srvconf));
        assert!(matches!(
            recognise("CONTROL.GLB", 1024, &head),
            Err(Unrecognised::Undecoded(f)) if f.name == "CONTROL.GLB"
        ));
        assert_eq!(
            recognise("x.bin", 1024, &head),
            Ok((FileKind::Srvconf, Evidence::Content))
        );
    }
}
