//! The kinds of file glbtool knows, and how a file's kind is recognised from
//! its name (the names are documented in KB Q96060, Q122750, Q77926).

use serde::{Deserialize, Serialize};

/// Every file kind glbtool reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// `REQTRANS.GLB`: the requestor's outgoing transactions.
    Reqtrans,
    /// `SRVTRANS.GLB`: updates received from the server, before Import sorts them.
    Srvtrans,
    /// `MSTTRANS.GLB`: the server's master transaction list.
    Msttrans,
    /// `RESYNC.GLB`: a full address list with a header transaction.
    Resync,
    /// `USRTRANS.GLB`: Import's sort queue for network/postoffice names.
    Usrtrans,
    /// `NMETRANS.GLB`: Import's sort queue for names to delete or modify.
    Nmetrans,
    /// `GWTRANS.GLB`: Import's sort queue for gateway names.
    Gwtrans,
    /// `SRVUPDS.GLB`: the server's per-cycle temporary updates file.
    Srvupds,
    /// `REQUPDS.GLB`: the requestor's temporary updates file.
    Requpds,
    /// `IUSRTRAN.GLB`: Import's temporary copy of USRTRANS.
    Iusrtran,
    /// `INMETRAN.GLB`: Import's temporary copy of NMETRANS.
    Inmetran,
    /// `IGWTRANS.GLB`: Import's temporary copy of GWTRANS.
    Igwtrans,
    /// `REQCONF.GLB`: the requestor configuration (512 bytes).
    Reqconf,
    /// `SRVCONF.GLB`: the server configuration (1024 + 1024 per requestor).
    Srvconf,
    /// `PROCESS.GLB`: the Dir-Sync schedule (512 + 197 per record).
    Process,
    /// `*.NME`: an address list (POL, GAL, PAL, gateway name list).
    Nme,
    /// `*.USR`: the user list of one external postoffice or gateway node.
    Usr,
    /// `NETPO.GLB`: external addresses referenced by POL and PAL records.
    Netpo,
    /// `GALNETPO.GLB` (and REBUILD's temporary `TMPNETPO.GLB`): the GAL's
    /// external addresses.
    Galnetpo,
    /// `NETWORK.GLB`: the external networks and gateways.
    Network,
    /// `*.XTN`: the postoffices of one network.
    Xtn,
}

/// The families of file kinds that share one on-disk layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Variable-length transaction records (`docs/formats/queue.md`).
    Queue,
    /// REQCONF.GLB.
    ReqConf,
    /// SRVCONF.GLB.
    SrvConf,
    /// PROCESS.GLB.
    Process,
    /// NME files.
    Nme,
    /// USR files.
    Usr,
    /// NETPO.GLB.
    Netpo,
    /// GALNETPO.GLB.
    Galnetpo,
    /// NETWORK.GLB.
    Network,
    /// XTN files.
    Xtn,
}

/// The files that carry the state of the Dir-Sync cycle: its sequence
/// numbers (KB Q119449, Q119452) and its schedule. The checks across files
/// and the repairs treat each of them one by one, and no other kind; a
/// match on [`FileKind::sync_file`] names each of them and `None`, so adding
/// one makes the compiler point at every such decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncFile {
    /// `REQTRANS.GLB`.
    Reqtrans,
    /// `MSTTRANS.GLB`.
    Msttrans,
    /// `RESYNC.GLB`.
    Resync,
    /// `REQCONF.GLB`.
    Reqconf,
    /// `SRVCONF.GLB`.
    Srvconf,
    /// `PROCESS.GLB`.
    Process,
}

/// The address lists among the kinds: the files a postoffice keeps its
/// names in, matched on through [`FileKind::list_file`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFile {
    /// `*.NME`.
    Nme,
    /// `*.USR`.
    Usr,
}

impl FileKind {
    /// Every kind, in documentation order.
    pub const ALL: [FileKind; 21] = [
        FileKind::Reqtrans,
        FileKind::Srvtrans,
        FileKind::Msttrans,
        FileKind::Resync,
        FileKind::Usrtrans,
        FileKind::Nmetrans,
        FileKind::Gwtrans,
        FileKind::Srvupds,
        FileKind::Requpds,
        FileKind::Iusrtran,
        FileKind::Inmetran,
        FileKind::Igwtrans,
        FileKind::Reqconf,
        FileKind::Srvconf,
        FileKind::Process,
        FileKind::Nme,
        FileKind::Usr,
        FileKind::Netpo,
        FileKind::Galnetpo,
        FileKind::Network,
        FileKind::Xtn,
    ];

    /// What glbtool knows of each kind, one line a kind: its lower-case
    /// name, its usual file name, its layout family, and whether it is one
    /// of the Dir-Sync cycle's files ([`SyncFile`]) or an address list
    /// ([`ListFile`]). Adding a kind starts here: the compiler points at
    /// this match, and the questions below answer from it.
    #[rustfmt::skip]
    fn facts(self) -> (&'static str, &'static str, Family, Option<SyncFile>, Option<ListFile>) {
        use {Family as F, FileKind as K, ListFile as L, SyncFile as S};
        match self {
            K::Reqtrans => ("reqtrans", "REQTRANS.GLB", F::Queue,     Some(S::Reqtrans),  None),
            K::Srvtrans => ("srvtrans", "SRVTRANS.GLB", F::Queue,     None,               None),
            K::Msttrans => ("msttrans", "MSTTRANS.GLB", F::Queue,     Some(S::Msttrans),  None),
            K::Resync =>   ("resync",   "RESYNC.GLB",   F::Queue,     Some(S::Resync),    None),
            K::Usrtrans => ("usrtrans", "USRTRANS.GLB", F::Queue,     None,               None),
            K::Nmetrans => ("nmetrans", "NMETRANS.GLB", F::Queue,     None,               None),
            K::Gwtrans =>  ("gwtrans",  "GWTRANS.GLB",  F::Queue,     None,               None),
            K::Srvupds =>  ("srvupds",  "SRVUPDS.GLB",  F::Queue,     None,               None),
            K::Requpds =>  ("requpds",  "REQUPDS.GLB",  F::Queue,     None,               None),
            K::Iusrtran => ("iusrtran", "IUSRTRAN.GLB", F::Queue,     None,               None),
            K::Inmetran => ("inmetran", "INMETRAN.GLB", F::Queue,     None,               None),
            K::Igwtrans => ("igwtrans", "IGWTRANS.GLB", F::Queue,     None,               None),
            K::Reqconf =>  ("reqconf",  "REQCONF.GLB",  F::ReqConf,   Some(S::Reqconf),   None),
            K::Srvconf =>  ("srvconf",  "SRVCONF.GLB",  F::SrvConf,   Some(S::Srvconf),   None),
            K::Process =>  ("process",  "PROCESS.GLB",  F::Process,   Some(S::Process),   None),
            K::Nme =>      ("nme",      "*.NME",        F::Nme,       None,               Some(L::Nme)),
            K::Usr =>      ("usr",      "*.USR",        F::Usr,       None,               Some(L::Usr)),
            K::Netpo =>    ("netpo",    "NETPO.GLB",    F::Netpo,     None,               None),
            K::Galnetpo => ("galnetpo", "GALNETPO.GLB", F::Galnetpo,  None,               None),
            K::Network =>  ("network",  "NETWORK.GLB",  F::Network,   None,               None),
            K::Xtn =>      ("xtn",      "*.XTN",        F::Xtn,       None,               None),
        }
    }

    /// The lower-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        self.facts().0
    }

    /// The file's usual name on a postoffice (`*` for per-object files).
    pub fn file_name(self) -> &'static str {
        self.facts().1
    }

    /// The layout family.
    pub fn family(self) -> Family {
        self.facts().2
    }

    /// Which of the Dir-Sync cycle's files this is; `None` for every other
    /// kind.
    pub fn sync_file(self) -> Option<SyncFile> {
        self.facts().3
    }

    /// Which kind of address list this is; `None` for every other kind.
    pub fn list_file(self) -> Option<ListFile> {
        self.facts().4
    }

    /// True for the transaction-queue kinds.
    pub fn is_queue(self) -> bool {
        self.family() == Family::Queue
    }

    /// Recognises a kind from a file name (case-insensitive, any directory).
    pub fn from_file_name(name: &str) -> Option<FileKind> {
        let base = name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(name)
            .to_ascii_uppercase();
        if let Some(k) = FileKind::ALL
            .iter()
            .copied()
            .find(|k| !k.file_name().starts_with('*') && k.file_name() == base)
        {
            return Some(k);
        }
        // REBUILD's temporary name for GALNETPO.GLB (KB Q99117).
        if base == "TMPNETPO.GLB" {
            return Some(FileKind::Galnetpo);
        }
        let ext = base.rsplit_once('.').map(|(_, e)| e)?;
        match ext {
            "NME" => Some(FileKind::Nme),
            "USR" => Some(FileKind::Usr),
            "XTN" => Some(FileKind::Xtn),
            _ => None,
        }
    }
}

impl std::fmt::Display for FileKind {
    /// The file name (`REQTRANS.GLB`), or `NME file` for per-object kinds.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.file_name().strip_prefix("*.") {
            Some(ext) => write!(f, "{ext} file"),
            None => f.write_str(self.file_name()),
        }
    }
}

impl std::str::FromStr for FileKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let lower = s.to_ascii_lowercase();
        FileKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == lower)
            .or_else(|| FileKind::from_file_name(s))
            .ok_or_else(|| {
                let names: Vec<&str> = FileKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown kind `{s}`; known kinds: {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in FileKind::ALL {
            assert_eq!(k.name().parse::<FileKind>().unwrap(), k);
        }
    }

    #[test]
    fn file_names_are_recognised_case_insensitively() {
        assert_eq!(
            FileKind::from_file_name("po/GLB/reqtrans.glb"),
            Some(FileKind::Reqtrans)
        );
        assert_eq!(
            FileKind::from_file_name("NME\\ADMIN.NME"),
            Some(FileKind::Nme)
        );
        assert_eq!(
            FileKind::from_file_name("0000002E.usr"),
            Some(FileKind::Usr)
        );
        assert_eq!(
            FileKind::from_file_name("GALNETPO.GLB"),
            Some(FileKind::Galnetpo)
        );
        assert_eq!(FileKind::from_file_name("notes.txt"), None);
    }
}
