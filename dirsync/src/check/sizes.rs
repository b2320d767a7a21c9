//! The documented sizes of the MS Mail files glbtool does not decode: KB
//! Q77926 lists, folder by folder, the fixed size or the record size each file
//! must have ("the Mail administrator should NEVER modify file sizes"), and KB
//! Q124042 names what ADMIN says when two of them are too short. Only what the
//! KB states is checked; a file of another name is not judged.
//!
//! The files and their rules are declared once, in [`glb_formats::msmail`] (which
//! `identify`, `validate` and `doctor` use to name these files as MS Mail files
//! glbtool does not decode); [`check`] gives the GLB303 finding such a file
//! carries when its size breaks its rule, and what ADMIN says of it.

use std::path::Path;

use glb_formats::msmail::{self, SizeRule};

use super::{Finding, Fix, Predicted};

/// The GLB303 finding of a file glbtool does not decode whose size (`size`)
/// breaks its documented rule; `None` when it keeps it or has none. A
/// CONTROL.GLB under 8 bytes or an INQUEUE.KEY under 560 also predict ADMIN's
/// Notice 40 at Config, Dir-Sync, Requestor, Import (KB Q124042).
pub fn check(path: &Path, size: u64) -> Option<Finding> {
    let file = msmail::by_name(&path.file_name()?.to_string_lossy())?;
    if file.size.fits(size) != Some(false) {
        return None;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_uppercase())
        .unwrap_or_default();
    let mut f = Finding::new(
        "GLB303",
        path.display().to_string(),
        None,
        format!(
            "{name} ({}, an MS Mail file glbtool does not decode) is {size} bytes; it should be {} ({})",
            file.what,
            file.size.describe(),
            file.source
        ),
    );
    let short = matches!(file.size, SizeRule::Exactly { bytes } if size < bytes);
    let notice_40 = short && (name == "CONTROL.GLB" || name == "INQUEUE.KEY");
    if notice_40 {
        f = f.predicts(Predicted {
            program: "ADMIN (Config, Dir-Sync, Requestor, Import)",
            number: Some(40),
            text: "Notice 40 Error in sending updated users and groups.".into(),
        });
    }
    let fix = if name == "CONTROL.GLB" {
        Fix::Procedure {
            text: "restore CONTROL.GLB from a recent backup, and increase both values it holds to suitably larger ones".into(),
            source: "KB Q124042",
        }
    } else if file.size == (SizeRule::Exactly { bytes: 560 }) {
        Fix::Procedure {
            text: "reset the mailbag: make its .MBG file 0 bytes and fill the .KEY file's 560 bytes with zeros (DEBUG: f100,32f,0)".into(),
            source: "KB Q124042, Q96060",
        }
    } else {
        Fix::Procedure {
            text: "restore the file from a backup taken before the damage; the Mail administrator should never change these sizes without Microsoft's support".into(),
            source: "KB Q77926",
        }
    };
    Some(f.fix(fix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(path: &str, size: u64) -> Option<(&'static str, Option<u16>)> {
        check(Path::new(path), size).map(|f| (f.code, f.predicts.and_then(|p| p.number)))
    }

    #[test]
    fn the_kb_q77926_sizes_are_checked_and_only_those() {
        // Every rule as KB Q77926 states it, written out by hand.
        for (name, good, bad) in [
            ("GLB/CONTROL.GLB", 8, 1024),
            ("GLB/FLAG.GLB", 2, 3),
            ("GLB/GLOBAL.GLB", 512, 511),
            ("GLB/MASTER.GLB", 176, 177),
            ("GLB/MODEM.GLB", 64, 65),
            ("GLB/TID.GLB", 4, 8),
            ("GLB/ACCESS.GLB", 586 * 3, 586 * 3 + 1),
            ("GLB/ACCESS2.GLB", 69 * 3, 70),
            ("GLB/ACCESS3.GLB", 512 * 3, 513),
            ("GLB/GROUP.GLB", 4 + 51 * 2, 51 * 2),
            ("GLB/GRPMEM.GLB", 4 + 128, 128),
            ("GLB/SERVER.GLB", 181 * 2, 182),
            ("KEY/00000001.KEY", 560, 559),
            ("MBG/SYSTEM.MBG", 116 * 10, 116 * 10 + 5),
            ("GRP/ADMIN.GRP", 8 * 4, 12),
            ("MEM/00000106.MEM", 2000, 2004),
            ("FOLDERS/FOLDROOT.IDX", 100 + 158, 158),
            ("glb/control.glb", 8, 7),
        ] {
            assert_eq!(codes(name, good), None, "{name} {good}");
            assert_eq!(
                codes(name, bad).map(|c| c.0),
                Some("GLB303"),
                "{name} {bad}"
            );
        }
        assert_eq!(codes("MEM/1.MEM", 6), Some(("GLB303", None)));
        // Files of other names are not judged.
        for name in [
            "GLB/DS_MSG.GLB",
            "GLB/C850SORT.GLB",
            "NME/ADMIN.NME",
            "MMF/X.MMF",
        ] {
            assert_eq!(codes(name, 1), None, "{name}");
        }
        // KB Q124042: too short a CONTROL.GLB or INQUEUE.KEY gives Notice 40.
        assert_eq!(codes("GLB/CONTROL.GLB", 4), Some(("GLB303", Some(40))));
        assert_eq!(codes("KEY/INQUEUE.KEY", 100), Some(("GLB303", Some(40))));
        assert_eq!(codes("KEY/INQUEUE.KEY", 600), Some(("GLB303", None)));
        assert_eq!(codes("KEY/SYSTEM.KEY", 100), Some(("GLB303", None)));
        let f = check(Path::new("GLB/CONTROL.GLB"), 1024).unwrap();
        assert!(f.cause.contains("always 8 bytes") && f.cause.contains("KB Q77926"));
    }
}
