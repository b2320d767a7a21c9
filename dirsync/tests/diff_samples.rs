//! `diff` on every committed sample with every key its family allows: a file
//! equals itself, and any single changed byte is reported (as a changed
//! field, a byte range of unknown bytes, a header field, or a record only in
//! one file when the byte belongs to the key).

mod common;

use std::path::{Path, PathBuf};

use glb_dirsync::diff::{self, FileDiff, Key, Side};
use glb_formats::{Family, FileKind};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/samples")
}

/// True when the diff reports the byte at absolute offset `at` of file B.
fn reports(d: &FileDiff, at: u64) -> bool {
    let in_range = |r: &diff::ByteRange| (r.b_offset..r.b_offset + r.len).contains(&at);
    let header = d
        .header
        .iter()
        .any(|f| f.bytes.is_empty() || f.bytes.iter().any(in_range));
    let changed = d.changed.iter().any(|c| {
        c.fields
            .iter()
            .any(|f| f.bytes.iter().any(in_range) || (f.bytes.is_empty() && f.a != f.b))
    });
    header || changed || !d.added.is_empty() || !d.removed.is_empty() || d.reordered.is_some()
}

#[test]
fn every_sample_equals_itself_and_every_changed_byte_is_reported() {
    let all = common::files_below(&samples());
    let mut checked = 0;
    for path in all {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let kind = FileKind::from_file_name(&name).unwrap();
        let family = kind.family();
        let a = std::fs::read(&path).unwrap();
        for &key in Key::choices(family) {
            if family == Family::Nme && key == Key::Address {
                continue; // needs its NETPO.GLB: covered by the unit tests
            }
            let same = diff::diff(
                &Side::new(&a, kind, glb_formats::CodePage::Cp850),
                &Side::new(&a, kind, glb_formats::CodePage::Cp850),
                key,
            )
            .unwrap();
            assert!(same.is_equal(), "{name} by {key:?}");
            // Every byte of small files, a spread of the others (each queue
            // diff reads through a 256 KiB window, slow in a debug build).
            let step = match (kind.is_queue(), a.len() > 1200) {
                (true, _) => 11,
                (false, true) => 23,
                (false, false) => 1,
            };
            for at in (0..a.len()).step_by(step) {
                let mut b = a.clone();
                b[at] ^= 0x41;
                let Ok(d) = diff::diff(
                    &Side::new(&a, kind, glb_formats::CodePage::Cp850),
                    &Side::new(&b, kind, glb_formats::CodePage::Cp850),
                    key,
                ) else {
                    // A queue record's length or terminator: the file no longer reads.
                    assert!(kind.is_queue(), "{name}: byte {at} made it unreadable");
                    continue;
                };
                assert!(
                    !d.is_equal(),
                    "{name} by {key:?}: byte {at} changed, nothing reported"
                );
                assert!(
                    reports(&d, at as u64),
                    "{name} by {key:?}: byte {at} not reported: {d:#?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 2_000, "{checked} single-byte changes checked");
}
