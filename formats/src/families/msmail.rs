//! The MS Mail files glbtool recognises by name but does not decode: what
//! each is and its documented size rule, if any (KB Q77926 lists the sizes;
//! `../shared/research/nme-usr-facts.md` and `dirsync-facts.md` section 7).
//!
//! A file named like one of these is reported as "MS Mail file, not decoded
//! by glbtool" and shown, if asked, as plain bytes: never guessed to be one of
//! the kinds glbtool decodes because its size happens to fit (a 1,024-byte
//! CONTROL.GLB is not a SRVCONF.GLB).

use serde::Serialize;

/// A documented size rule of a file glbtool does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum SizeRule {
    /// No size is documented.
    None,
    /// Always exactly this many bytes.
    Exactly {
        /// Bytes.
        bytes: u64,
    },
    /// A header of `header` bytes, then whole records of `record` bytes.
    Records {
        /// Header bytes (0 for none).
        header: u64,
        /// Record bytes.
        record: u64,
    },
    /// Whole records of `record` bytes, at most `max` bytes in all.
    RecordsAtMost {
        /// Record bytes.
        record: u64,
        /// The largest size.
        max: u64,
    },
    /// The size one documented case shows (not a rule every file follows).
    Seen {
        /// Bytes.
        bytes: u64,
    },
}

impl SizeRule {
    /// Whether `size` meets the rule; `None` when there is no rule to meet.
    pub fn fits(self, size: u64) -> Option<bool> {
        match self {
            SizeRule::None | SizeRule::Seen { .. } => None,
            SizeRule::Exactly { bytes } => Some(size == bytes),
            SizeRule::Records { header, record } => {
                Some(size >= header && (size - header).is_multiple_of(record))
            }
            SizeRule::RecordsAtMost { record, max } => {
                Some(size.is_multiple_of(record) && size <= max)
            }
        }
    }

    /// The rule in words: `8 bytes`, `a 4-byte header and 51-byte records`.
    pub fn describe(self) -> String {
        match self {
            SizeRule::None => "no documented size".into(),
            SizeRule::Exactly { bytes } => format!("always {bytes} bytes"),
            SizeRule::Records { header: 0, record } => {
                format!("a whole number of {record}-byte records")
            }
            SizeRule::Records { header, record } => {
                format!("a {header}-byte header and a whole number of {record}-byte records")
            }
            SizeRule::RecordsAtMost { record, max } => {
                format!("a whole number of {record}-byte records, at most {max} bytes")
            }
            SizeRule::Seen { bytes } => format!("{bytes} bytes in the documented case"),
        }
    }
}

/// An MS Mail file glbtool recognises by name and does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MsMailFile {
    /// The name as the documentation gives it: `CONTROL.GLB`, `ACCESS2.GLB`,
    /// `<hexid>.KEY`.
    pub name: &'static str,
    /// What it is.
    pub what: &'static str,
    /// Its documented size rule.
    pub size: SizeRule,
    /// Where the name, the meaning and the size are documented.
    pub source: &'static str,
}

impl MsMailFile {
    /// What to say about a file of this name and `size`: what it is, that
    /// glbtool does not decode it, and its documented size rule.
    pub fn describe(&self, size: Option<u64>) -> String {
        let mut s = format!(
            "MS Mail file, not decoded by glbtool: {} ({})",
            self.what, self.source
        );
        match (self.size, size.map(|n| (n, self.size.fits(n)))) {
            (SizeRule::None, _) => {}
            (rule, Some((n, Some(false)))) => s.push_str(&format!(
                "; documented size: {}, this file is {n} bytes",
                rule.describe()
            )),
            (rule, _) => s.push_str(&format!("; documented size: {}", rule.describe())),
        }
        s
    }
}

const fn exactly(bytes: u64) -> SizeRule {
    SizeRule::Exactly { bytes }
}

const fn records(header: u64, record: u64) -> SizeRule {
    SizeRule::Records { header, record }
}

const fn file(
    name: &'static str,
    what: &'static str,
    size: SizeRule,
    source: &'static str,
) -> MsMailFile {
    MsMailFile {
        name,
        what,
        size,
        source,
    }
}

/// The files known by their exact name.
const BY_NAME: &[MsMailFile] = &[
    file(
        "MASTER.GLB",
        "the postoffice's master file (version, options)",
        exactly(176),
        "KB Q77926, Q128358",
    ),
    file(
        "CONTROL.GLB",
        "the mailbag and letter counters (nmailbag, nletter)",
        exactly(8),
        "KB Q77926, Q87388, Q124042",
    ),
    file(
        "GLOBAL.GLB",
        "the postoffice's global defaults",
        exactly(512),
        "KB Q77926, Q87392",
    ),
    file(
        "FLAG.GLB",
        "the flag Import touches so External refreshes its lists",
        exactly(2),
        "KB Q77926, Q120449",
    ),
    file("MODEM.GLB", "modem settings", exactly(64), "KB Q77926"),
    file(
        "TID.GLB",
        "the TID counter",
        exactly(4),
        "KB Q77926, Q135486",
    ),
    file(
        "ACCESS.GLB",
        "the user accounts (passwords encrypted)",
        records(0, 586),
        "KB Q87402, Q87465, Q130322",
    ),
    file(
        "ACCESS2.GLB",
        "the users' mailbag lookup, one record per ACCESS.GLB record",
        records(0, 69),
        "KB Q87402, Q107767",
    ),
    file(
        "ACCESS3.GLB",
        "more user data, one record per ACCESS.GLB record",
        records(0, 512),
        "KB Q87402",
    ),
    file(
        "GROUP.GLB",
        "the postoffice groups",
        records(4, 51),
        "KB Q77926, Q112886, Q107767",
    ),
    file(
        "GRPMEM.GLB",
        "group folder membership",
        records(4, 128),
        "KB Q77926, Q102669",
    ),
    file(
        "SERVER.GLB",
        "the server list",
        records(0, 181),
        "KB Q77926",
    ),
    file(
        "RNETWORK.GLB",
        "the Remote client's packed directory",
        SizeRule::None,
        "KB Q117713, Q103291",
    ),
    file(
        "GALINDEX.GLB",
        "the GAL's index of name words",
        SizeRule::None,
        "KB Q86375, Q108878",
    ),
    file(
        "DS_MSG.GLB",
        "the Dir-Sync and Import message texts",
        SizeRule::Seen { bytes: 32_512 },
        "KB Q135868, Q130064",
    ),
    file(
        "SORTLOCK.GLB",
        "Import's lock against a second Import",
        SizeRule::None,
        "KB Q112301",
    ),
    file(
        "ILOCAL.GLB",
        "Import's temporary file (must not exist between cycles)",
        SizeRule::None,
        "KB Q122750",
    ),
    file(
        "INDEX.GLB",
        "Import's temporary file (must not exist between cycles)",
        SizeRule::None,
        "KB Q122750",
    ),
    file(
        "ADMIN.GRP",
        "the postoffice groups' member chains",
        records(8, 8),
        "KB Q135932, Q107767",
    ),
    file(
        "ADMINSHD.GRP",
        "the shadow of ADMIN.GRP",
        records(8, 8),
        "KB Q135932, Q85647",
    ),
    file(
        "C850SORT.GLB",
        "the sort table",
        SizeRule::Seen { bytes: 795 },
        "KB Q132693, Q134953",
    ),
    file(
        "C850INT.GLB",
        "a collation table",
        SizeRule::Seen { bytes: 795 },
        "KB Q132693",
    ),
    file(
        "C850SCAN.GLB",
        "a collation table",
        SizeRule::Seen { bytes: 795 },
        "KB Q132693",
    ),
    file(
        "ANSISORT.GLB",
        "a collation table",
        SizeRule::Seen { bytes: 795 },
        "KB Q132693",
    ),
    file(
        "ANSIINT.GLB",
        "a collation table",
        SizeRule::Seen { bytes: 795 },
        "KB Q132693",
    ),
    file(
        "ANSISCAN.GLB",
        "a collation table",
        SizeRule::Seen { bytes: 795 },
        "KB Q132693",
    ),
    file(
        "ADMIN.TPL",
        "the local users' template (text)",
        SizeRule::None,
        "KB Q117927, Q87432",
    ),
    file(
        "ADMIN.INF",
        "the local users' template data",
        SizeRule::None,
        "KB Q117927",
    ),
    file(
        "COURIER.TPL",
        "the system template defaults",
        SizeRule::None,
        "KB Q117927",
    ),
    file(
        "FOLDROOT.IDX",
        "the folder index",
        records(100, 158),
        "KB Q77926",
    ),
];

/// The gateway address files `GLB\<gw>.GLB` the documentation names.
const GATEWAY_LISTS: &[&str] = &["X400", "SMTP", "MHS", "MCI", "FAX", "MSMAIL"];

const GATEWAY_LIST: MsMailFile = file(
    "<gateway>.GLB",
    "a gateway's address file (X400, SMTP, MHS, MCI, FAX, MSMAIL), 4 bytes when fresh",
    SizeRule::None,
    "KB Q102300, Q119240, Q148666",
);

const SORT_TEMP: MsMailFile = file(
    "SORTxxxx.GLB",
    "Import's temporary sort file (must not exist between cycles)",
    SizeRule::None,
    "KB Q122750, Q96060",
);

/// The files known by their extension.
const BY_EXTENSION: &[(&str, MsMailFile)] = &[
    (
        "KEY",
        file(
            "<hexid>.KEY",
            "a mailbag's key file (outgoing queue or mailbox)",
            exactly(560),
            "KB Q77926, Q96060, Q124042",
        ),
    ),
    (
        "MBG",
        file(
            "<hexid>.MBG",
            "a mailbag",
            records(0, 116),
            "KB Q77926, Q148705",
        ),
    ),
    (
        "MMF",
        file(
            "<hexid>.MMF",
            "a user's message file (encrypted; its structure is not published)",
            SizeRule::None,
            "KB Q130322, Q233243",
        ),
    ),
    (
        "MEM",
        file(
            "<tid>.MEM",
            "a group's local members (4-byte mailbag numbers)",
            SizeRule::RecordsAtMost {
                record: 4,
                max: 2000,
            },
            "KB Q77926, Q87396, Q107767",
        ),
    ),
    (
        "GRP",
        file(
            "<hexid>.GRP",
            "a personal group pointer file",
            records(0, 8),
            "KB Q77926",
        ),
    ),
    (
        "TPL",
        file(
            "<hexid>.TPL",
            "a template (text)",
            SizeRule::None,
            "KB Q87432, Q117927",
        ),
    ),
    (
        "INF",
        file(
            "<hexid>.INF",
            "template data, laid out by its TPL",
            SizeRule::None,
            "KB Q87432, Q117927",
        ),
    ),
    (
        "MAI",
        file(
            "<letter>.MAI",
            "a message (encrypted)",
            SizeRule::None,
            "KB Q130322",
        ),
    ),
    (
        "ATT",
        file(
            "<letter>.ATT",
            "an attachment (encrypted)",
            SizeRule::None,
            "KB Q130322",
        ),
    ),
    (
        "CAL",
        file(
            "<hexid>.CAL",
            "a Schedule+ calendar (encrypted)",
            SizeRule::None,
            "KB Q130322, Q77926",
        ),
    ),
];

/// The MS Mail file a name designates, when it is one glbtool knows but does
/// not decode (case-insensitive, any directory).
pub fn by_name(name: &str) -> Option<&'static MsMailFile> {
    let base = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_ascii_uppercase();
    if let Some(f) = BY_NAME.iter().find(|f| f.name == base) {
        return Some(f);
    }
    let (stem, ext) = base.rsplit_once('.')?;
    if ext == "GLB" {
        if GATEWAY_LISTS.contains(&stem) {
            return Some(&GATEWAY_LIST);
        }
        if stem.len() == 8
            && stem.starts_with("SORT")
            && stem[4..].bytes().all(|b| b.is_ascii_digit())
        {
            return Some(&SORT_TEMP);
        }
        return None;
    }
    BY_EXTENSION.iter().find(|(e, _)| *e == ext).map(|(_, f)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_names_are_recognised_with_their_sizes() {
        let control = by_name("po/GLB/control.glb").unwrap();
        assert_eq!(control.size.fits(8), Some(true));
        assert_eq!(control.size.fits(1024), Some(false));
        assert!(control
            .describe(Some(1024))
            .contains("documented size: always 8 bytes, this file is 1024 bytes"));
        assert_eq!(
            by_name("ACCESS2.GLB").unwrap().size.fits(69 * 3),
            Some(true)
        );
        assert_eq!(by_name("GROUP.GLB").unwrap().size.fits(4 + 51), Some(true));
        assert_eq!(by_name("0000002E.KEY").unwrap().size.fits(560), Some(true));
        assert_eq!(
            by_name("SYSTEM.MBG").unwrap().size.fits(116 * 2),
            Some(true)
        );
        assert_eq!(
            by_name("00000106.MEM").unwrap().size.fits(2004),
            Some(false)
        );
        assert!(by_name("SMTP.GLB").is_some());
        assert!(by_name("SORT0001.GLB").is_some());
        assert_eq!(by_name("DS_MSG.GLB").unwrap().size.fits(1), None);
        // What glbtool decodes, and unknown names, are not here.
        for name in [
            "REQCONF.GLB",
            "NETPO.GLB",
            "ADMIN.NME",
            "0000002E.USR",
            "notes.txt",
            "OTHER.GLB",
        ] {
            assert!(by_name(name).is_none(), "{name}");
        }
    }
}
