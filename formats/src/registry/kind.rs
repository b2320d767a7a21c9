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

    /// The lower-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Reqtrans => "reqtrans",
            FileKind::Srvtrans => "srvtrans",
            FileKind::Msttrans => "msttrans",
            FileKind::Resync => "resync",
            FileKind::Usrtrans => "usrtrans",
            FileKind::Nmetrans => "nmetrans",
            FileKind::Gwtrans => "gwtrans",
            FileKind::Srvupds => "srvupds",
            FileKind::Requpds => "requpds",
            FileKind::Iusrtran => "iusrtran",
            FileKind::Inmetran => "inmetran",
            FileKind::Igwtrans => "igwtrans",
            FileKind::Reqconf => "reqconf",
            FileKind::Srvconf => "srvconf",
            FileKind::Process => "process",
            FileKind::Nme => "nme",
            FileKind::Usr => "usr",
            FileKind::Netpo => "netpo",
            FileKind::Galnetpo => "galnetpo",
            FileKind::Network => "network",
            FileKind::Xtn => "xtn",
        }
    }

    /// The file's usual name on a postoffice (`*` for per-object files).
    pub fn file_name(self) -> &'static str {
        match self {
            FileKind::Reqtrans => "REQTRANS.GLB",
            FileKind::Srvtrans => "SRVTRANS.GLB",
            FileKind::Msttrans => "MSTTRANS.GLB",
            FileKind::Resync => "RESYNC.GLB",
            FileKind::Usrtrans => "USRTRANS.GLB",
            FileKind::Nmetrans => "NMETRANS.GLB",
            FileKind::Gwtrans => "GWTRANS.GLB",
            FileKind::Srvupds => "SRVUPDS.GLB",
            FileKind::Requpds => "REQUPDS.GLB",
            FileKind::Iusrtran => "IUSRTRAN.GLB",
            FileKind::Inmetran => "INMETRAN.GLB",
            FileKind::Igwtrans => "IGWTRANS.GLB",
            FileKind::Reqconf => "REQCONF.GLB",
            FileKind::Srvconf => "SRVCONF.GLB",
            FileKind::Process => "PROCESS.GLB",
            FileKind::Nme => "*.NME",
            FileKind::Usr => "*.USR",
            FileKind::Netpo => "NETPO.GLB",
            FileKind::Galnetpo => "GALNETPO.GLB",
            FileKind::Network => "NETWORK.GLB",
            FileKind::Xtn => "*.XTN",
        }
    }

    /// The layout family.
    pub fn family(self) -> Family {
        match self {
            FileKind::Reqtrans
            | FileKind::Srvtrans
            | FileKind::Msttrans
            | FileKind::Resync
            | FileKind::Usrtrans
            | FileKind::Nmetrans
            | FileKind::Gwtrans
            | FileKind::Srvupds
            | FileKind::Requpds
            | FileKind::Iusrtran
            | FileKind::Inmetran
            | FileKind::Igwtrans => Family::Queue,
            FileKind::Reqconf => Family::ReqConf,
            FileKind::Srvconf => Family::SrvConf,
            FileKind::Process => Family::Process,
            FileKind::Nme => Family::Nme,
            FileKind::Usr => Family::Usr,
            FileKind::Netpo => Family::Netpo,
            FileKind::Galnetpo => Family::Galnetpo,
            FileKind::Network => Family::Network,
            FileKind::Xtn => Family::Xtn,
        }
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
