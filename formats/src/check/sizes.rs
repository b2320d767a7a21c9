//! The documented sizes of the MS Mail files glbtool does not decode: KB
//! Q77926 lists, folder by folder, the fixed size or the record size each file
//! must have ("the Mail administrator should NEVER modify file sizes"), and KB
//! Q124042 names what ADMIN says when two of them are too short. Only what the
//! KB states is checked; a file of another name is not judged.
//!
//! [`check`] gives the GLB303 finding such a file carries when its size breaks
//! its rule (`identify`, `validate` and `doctor` report these files as MS Mail
//! files glbtool does not decode; `doctor` runs this check on them).

use std::path::Path;

use super::{Finding, Fix, Predicted};

/// A documented size rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Exactly this many bytes.
    Fixed(u64),
    /// A header of `header` bytes, then whole records of `record` bytes.
    Records {
        /// Bytes before the records.
        header: u64,
        /// Bytes per record.
        record: u64,
    },
    /// Whole records of `record` bytes, at most `max` bytes in all.
    RecordsUpTo {
        /// Bytes per record.
        record: u64,
        /// The largest size.
        max: u64,
    },
}

impl Rule {
    /// True when `size` keeps the rule.
    pub fn holds(self, size: u64) -> bool {
        match self {
            Rule::Fixed(n) => size == n,
            Rule::Records { header, record } => {
                size >= header && (size - header).is_multiple_of(record)
            }
            Rule::RecordsUpTo { record, max } => size.is_multiple_of(record) && size <= max,
        }
    }

    /// The rule in words.
    pub fn describe(self) -> String {
        match self {
            Rule::Fixed(n) => format!("{n} bytes, a fixed size"),
            Rule::Records { header: 0, record } => format!("a multiple of {record} bytes"),
            Rule::Records { header, record } => {
                format!("{header} bytes plus a multiple of {record} (the file size less {header} divisible by {record})")
            }
            Rule::RecordsUpTo { record, max } => {
                format!("a multiple of {record} bytes, at most {max}")
            }
        }
    }
}

/// One file's documented size rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeRule {
    /// What the file is.
    pub what: &'static str,
    /// Its rule.
    pub rule: Rule,
    /// Where it is documented.
    pub source: &'static str,
}

const fn r(what: &'static str, rule: Rule, source: &'static str) -> SizeRule {
    SizeRule { what, rule, source }
}

/// Files known by their whole name (the GLB directory's, KB Q77926).
const BY_NAME: &[(&str, SizeRule)] = &[
    (
        "ACCESS.GLB",
        r(
            "the user account file",
            Rule::Records {
                header: 0,
                record: 586,
            },
            "KB Q77926",
        ),
    ),
    (
        "ACCESS2.GLB",
        r(
            "the second user account file",
            Rule::Records {
                header: 0,
                record: 69,
            },
            "KB Q77926",
        ),
    ),
    (
        "ACCESS3.GLB",
        r(
            "the third user account file",
            Rule::Records {
                header: 0,
                record: 512,
            },
            "KB Q77926",
        ),
    ),
    (
        "CONTROL.GLB",
        r(
            "the mailbag and message counters",
            Rule::Fixed(8),
            "KB Q77926, Q124042",
        ),
    ),
    (
        "FLAG.GLB",
        r("the database lock flag", Rule::Fixed(2), "KB Q77926"),
    ),
    (
        "GLOBAL.GLB",
        r(
            "the postoffice's global settings",
            Rule::Fixed(512),
            "KB Q77926",
        ),
    ),
    (
        "GROUP.GLB",
        r(
            "the group list",
            Rule::Records {
                header: 4,
                record: 51,
            },
            "KB Q77926",
        ),
    ),
    (
        "GRPMEM.GLB",
        r(
            "the group members",
            Rule::Records {
                header: 4,
                record: 128,
            },
            "KB Q77926",
        ),
    ),
    (
        "MASTER.GLB",
        r(
            "the postoffice's master record",
            Rule::Fixed(176),
            "KB Q77926",
        ),
    ),
    (
        "MODEM.GLB",
        r("the modem settings", Rule::Fixed(64), "KB Q77926"),
    ),
    (
        "SERVER.GLB",
        r(
            "the server list",
            Rule::Records {
                header: 0,
                record: 181,
            },
            "KB Q77926",
        ),
    ),
    ("TID.GLB", r("the next TID", Rule::Fixed(4), "KB Q77926")),
    (
        "FOLDROOT.IDX",
        r(
            "the folder index",
            Rule::Records {
                header: 100,
                record: 158,
            },
            "KB Q77926",
        ),
    ),
];

/// Files known by their extension (the KEY, MBG, GRP and MEM folders' files, KB Q77926).
const BY_EXTENSION: &[(&str, SizeRule)] = &[
    (
        "KEY",
        r("a mailbag index", Rule::Fixed(560), "KB Q77926, Q124042"),
    ),
    (
        "MBG",
        r(
            "a mailbag",
            Rule::Records {
                header: 0,
                record: 116,
            },
            "KB Q77926",
        ),
    ),
    (
        "GRP",
        r(
            "a group pointer file",
            Rule::Records {
                header: 0,
                record: 8,
            },
            "KB Q77926",
        ),
    ),
    (
        "MEM",
        r(
            "a group's local members",
            Rule::RecordsUpTo {
                record: 4,
                max: 2000,
            },
            "KB Q77926",
        ),
    ),
];

/// The documented size rule of the file at `path`, by its name, when KB
/// Q77926 gives one for a file glbtool does not decode.
pub fn rule_for(path: &Path) -> Option<SizeRule> {
    let name = path.file_name()?.to_str()?;
    if let Some((_, rule)) = BY_NAME.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return Some(*rule);
    }
    let (_, ext) = name.rsplit_once('.')?;
    BY_EXTENSION
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map(|(_, rule)| *rule)
}

/// The GLB303 finding of a file glbtool does not decode whose size (`size`)
/// breaks its documented rule; `None` when it keeps it or has none. A
/// CONTROL.GLB under 8 bytes or an INQUEUE.KEY under 560 also predict ADMIN's
/// Notice 40 at Config, Dir-Sync, Requestor, Import (KB Q124042).
pub fn check(path: &Path, size: u64) -> Option<Finding> {
    let rule = rule_for(path)?;
    if rule.rule.holds(size) {
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
            rule.what,
            rule.rule.describe(),
            rule.source
        ),
    );
    let short = matches!(rule.rule, Rule::Fixed(n) if size < n);
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
    } else if rule.rule == Rule::Fixed(560) {
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
        assert!(f.cause.contains("8 bytes, a fixed size") && f.cause.contains("KB Q77926"));
    }
}
