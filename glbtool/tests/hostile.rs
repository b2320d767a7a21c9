//! Hostile inputs (issue 18): errors that say where the file goes wrong,
//! exit codes and counts that tell the truth, pipes and devices that never
//! hang, and memory that stays bounded under an address-space limit.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{corpus, glbtool};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Copies the sample postoffice `name` (`requestor`, `server`) into `dest`.
fn copy_postoffice(name: &str, dest: &Path) -> PathBuf {
    let from = corpus("samples/postoffice").join(name);
    let to = dest.join(name);
    for sub in std::fs::read_dir(&from).unwrap() {
        let sub = sub.unwrap().path();
        let target = to.join(sub.file_name().unwrap());
        std::fs::create_dir_all(&target).unwrap();
        for f in std::fs::read_dir(&sub).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, target.join(f.file_name().unwrap())).unwrap();
        }
    }
    to
}

/// Cuts `n` bytes off the end of `path`.
fn cut(path: &Path, n: u64) {
    let len = std::fs::metadata(path).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_len(len - n).unwrap();
}

// ---------------------------------------------------------------------------
// Every size error is located (point 4)
// ---------------------------------------------------------------------------

/// GAL.NME of the requestor sample is 7 records of 45 bytes (315 bytes); 10
/// bytes cut leave 6 whole records ending at 270 and 35 bytes of record 6,
/// whose end falls in its `tid` (bytes 32..36 of an NME record).
const GAL_WHERE: &str = "the last whole record (record 5) ends at byte offset 270 (0x10e); the end cuts record 6 after 35 of its 45 bytes, in field `tid`";

#[test]
fn size_errors_name_the_last_whole_record_and_the_cut_field_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let po = copy_postoffice("requestor", dir.path());
    let gal = po.join("NME/GAL.NME");
    assert_eq!(std::fs::metadata(&gal).unwrap().len(), 315);
    cut(&gal, 10);
    let g = gal.to_str().unwrap();
    let sound = corpus("samples/postoffice/server/NME/GAL.NME");
    let s = sound.to_str().unwrap();
    for args in [
        vec!["dump", g],
        vec!["dump", "-f", "json", g],
        vec!["dump", "-f", "hex", g],
        vec!["diff", s, g],
        vec!["diff", g, s],
    ] {
        let o = glbtool().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(GAL_WHERE), "{args:?}: {}", stderr(&o));
    }
    let o = glbtool().args(["identify", g]).output().unwrap();
    assert!(stdout(&o).contains(GAL_WHERE), "{}", stdout(&o));
    // validate and doctor: GLB303 placed at the cut record, where the last whole one ends.
    let check = |args: &[&str]| {
        let o = glbtool().args(args).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "GLB303")
            .unwrap_or_else(|| panic!("{args:?}: no GLB303: {v}"))
            .clone();
        assert_eq!(
            (f["offset"].as_u64(), f["record"].as_u64()),
            (Some(270), Some(6))
        );
        assert!(f["cause"].as_str().unwrap().contains(GAL_WHERE), "{f}");
    };
    check(&["validate", "-f", "json", g]);
    check(&["doctor", "-f", "json", po.to_str().unwrap()]);
}

#[test]
fn size_errors_of_headers_and_header_only_files_are_located() {
    let dir = tempfile::tempdir().unwrap();
    // SRVCONF cut inside record 1 (50 bytes into it: its `impsync`).
    let srvconf = dir.path().join("SRVCONF.GLB");
    let mut b = std::fs::read(corpus("samples/config/server/SRVCONF.GLB")).unwrap();
    assert!(b.len() >= 3072, "the sample has at least two requestors");
    b.truncate(2048 + 50);
    std::fs::write(&srvconf, &b).unwrap();
    let o = glbtool().arg("dump").arg(&srvconf).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("(record 0) ends at byte offset 2048 (0x800); the end cuts record 1 after 50 of its 1024 bytes, in field `impsync`"),
        "{}",
        stderr(&o)
    );
    // REQCONF with bytes after its 512: patch-seq refuses, saying where.
    let reqconf = dir.path().join("REQCONF.GLB");
    let mut b = std::fs::read(corpus("samples/config/server/REQCONF.GLB")).unwrap();
    b.extend_from_slice(&[0; 88]);
    std::fs::write(&reqconf, &b).unwrap();
    let o = glbtool()
        .args(["patch-seq", "--reqsync", "1", "--dry-run"])
        .arg(&reqconf)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("GLB303 at offset 512")
            && stderr(&o)
                .contains("the header ends at byte offset 512 (0x200) and 88 more bytes follow it"),
        "{}",
        stderr(&o)
    );
    // A header cut short.
    b.truncate(100);
    std::fs::write(&reqconf, &b).unwrap();
    let o = glbtool().arg("dump").arg(&reqconf).output().unwrap();
    assert!(
        stderr(&o)
            .contains("the end cuts the 512-byte file header after 100 bytes, in field `types`"),
        "{}",
        stderr(&o)
    );
}
