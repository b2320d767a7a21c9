//! Server versus requestor: what the Dir-Sync server believes each
//! postoffice's address list holds, against what a requestor holds.
//!
//! Spec: `docs/diff.md`. The server's view ([`ServerView`]) is a replay
//! ([`crate::replay`]) of its MSTTRANS.GLB in sync order, or of a RESYNC.GLB
//! (its header transaction skipped): `R` empties a list, `A` adds, `D`
//! deletes, `M` modifies (KB Q96060, Q96001, Q159308). The requestor's view
//! ([`RequestorView`]) is its postoffice directory: each `USR\<hexid>.USR`
//! named `NETWORK/POSTOFFICE` through NETWORK.GLB and XTN
//! ([`crate::postoffice`]), deleted USR records left out (and counted), and
//! the gateway name lists `NME\<TYPE>.NME`, which hold names only.
//! [`compare`] pairs the lists and their entries through ordered maps
//! (O(n log n)), and [`PostofficeDiff::cause_and_remedy`] names the likely
//! cause and the documented remedy.
//!
//! The requestor's own postoffice is not compared: Import ignores
//! transactions for it (`[ 66] Local postoffice transaction ignored`,
//! KB Q96003).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use glb_formats::codepage::CodePage;
use glb_formats::error::{Error, Result};
use glb_formats::format::{Document, Format, ReadOptions, Reader};
use glb_formats::import::{Address, AddressType};
use glb_formats::kind::{FileKind, ListFile};
use glb_formats::messages;
use glb_formats::nme::{entry_type, Nme};
use glb_formats::queue::{Payload, Queue, ResyncHeader};
use glb_formats::reqconf::ReqConfFile;
use glb_formats::usr::Usr;
use serde::Serialize;

use crate::postoffice::{Folder, ListName, Postoffice};
use crate::replay::{self, Directory, Event};

// ---------------------------------------------------------------------------
// The server's view
// ---------------------------------------------------------------------------

/// The address lists the server believes each postoffice and gateway has.
#[derive(Debug, Clone)]
pub struct ServerView {
    /// The queue replayed (MSTTRANS.GLB or RESYNC.GLB).
    pub kind: FileKind,
    /// Where it came from, as given.
    pub source: String,
    /// The lists, keyed `PCM:NET/PO`, `PROFS:GW/NODE`, `SMTP:`.
    pub directory: Directory,
    /// Records replayed (RESYNC header excluded).
    pub transactions: u64,
    /// Lowest and highest sync number in the file (RESYNC header excluded).
    pub syncs: Option<(u32, u32)>,
    /// A RESYNC.GLB's header numbers.
    pub resync: Option<ResyncHeader>,
    /// The highest sync number replayed, when the replay stopped at a
    /// requestor's SrvSync: what it has been sent.
    pub replayed_to: Option<u32>,
    /// Transactions above [`ServerView::replayed_to`], not replayed: the
    /// server sends them at the next T2. The first [`PENDING_SHOWN`], in
    /// sync order.
    pub pending: Vec<PendingTransaction>,
    /// How many transactions are pending in all.
    pub pending_count: u64,
    /// The code page of the queue's text.
    pub codepage: CodePage,
}

/// How many pending transactions a [`ServerView`] keeps to show.
pub const PENDING_SHOWN: usize = 50;

/// A server transaction a requestor has not been sent yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingTransaction {
    /// Its sync number.
    pub sync: u32,
    /// `A`, `D`, `M`, `R`, `T`.
    pub command: char,
    /// The list it touches, when it names one.
    pub list: String,
    /// The alias it names, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ServerView {
    /// Replays a queue file held in memory, in sync order (records with
    /// equal numbers in file order).
    pub fn from_queue(
        bytes: &[u8],
        kind: FileKind,
        source: &str,
        cp: CodePage,
    ) -> Result<ServerView> {
        ServerView::from_queue_upto(bytes, kind, source, None, cp)
    }

    /// [`ServerView::from_queue`], replaying an MSTTRANS.GLB only up to sync
    /// number `upto` (a requestor's SrvSync: what the server has sent it,
    /// KB Q96060); the transactions above are listed as pending. A RESYNC.GLB
    /// is always replayed whole (its numbers are its own).
    pub fn from_queue_upto(
        bytes: &[u8],
        kind: FileKind,
        source: &str,
        upto: Option<u32>,
        cp: CodePage,
    ) -> Result<ServerView> {
        if !kind.is_queue() {
            return Err(Error::Diff {
                message: format!(
                    "{source}: the server's view is replayed from a transaction queue \
                     (MSTTRANS.GLB or RESYNC.GLB), not {kind}"
                ),
            });
        }
        let upto = upto.filter(|_| kind != FileKind::Resync);
        let mut reader = Reader::<Queue, _>::new(
            bytes,
            kind,
            Some(bytes.len() as u64),
            ReadOptions::default(),
        )?;
        // (sync, offset, len): the index is all that is kept besides the bytes.
        let mut index: Vec<(u32, usize, usize)> = Vec::new();
        let mut resync = None;
        while let Some(r) = reader.next_record()? {
            if let Some(h) = r.record.resync_header_numbers() {
                resync.get_or_insert(h);
                continue;
            }
            index.push((r.record.sync, r.offset as usize, r.raw.len()));
        }
        // Stable: equal sync numbers keep their file order.
        if !index.windows(2).all(|w| w[0].0 <= w[1].0) {
            index.sort_by_key(|e| e.0);
        }
        let syncs = index.first().zip(index.last()).map(|(f, l)| (f.0, l.0));
        let mut view = ServerView {
            kind,
            source: source.to_string(),
            directory: Directory {
                // Older transactions were purged (Keep Updates, KB Q108067).
                partial: kind == FileKind::Msttrans && syncs.is_some_and(|(f, _)| f > 1),
                ..Directory::new()
            },
            transactions: 0,
            syncs,
            resync,
            replayed_to: upto,
            codepage: cp,
            pending: Vec::new(),
            pending_count: 0,
        };
        let mut record = glb_formats::queue::QueueRecord::default();
        let held = |view: &ServerView, sync: u32, off: usize| {
            view.directory.check_held(
                || format!("replayed up to sync number {sync} (byte offset {off})"),
                "compare a server's lists with a requestor's",
            )
        };
        for (i, &(sync, off, len)) in index.iter().enumerate() {
            if i % 4096 == 4095 {
                held(&view, sync, off)?;
            }
            let raw = &bytes[off..off + len];
            Queue::decode_record(raw, &mut record).map_err(|f| f.at(kind, off as u64, None))?;
            let Payload::Transaction(t) = record.payload(cp) else {
                continue;
            };
            if upto.is_some_and(|u| sync > u) {
                if t.command == glb_formats::import::Command::Comment {
                    continue;
                }
                view.pending_count += 1;
                if view.pending.len() < PENDING_SHOWN {
                    view.pending.push(PendingTransaction {
                        sync,
                        command: t.command.letter(),
                        list: replay::transaction_list(&t)
                            .map_or_else(String::new, |k| text(cp, &k)),
                        name: t.alias.map(|a| text(cp, a)),
                    });
                }
                continue;
            }
            view.transactions += 1;
            view.directory.apply(sync, &t);
        }
        if let Some(&(sync, off, _)) = index.last() {
            held(&view, sync, off)?;
        }
        Ok(view)
    }

    /// Reads and replays a queue file; its kind from its name (MSTTRANS.GLB
    /// when the name does not say). `upto` as for [`ServerView::from_queue_upto`].
    pub fn open(path: &Path, upto: Option<u32>, cp: CodePage) -> Result<ServerView> {
        let bytes = read(path)?;
        let kind = file_kind(path)
            .filter(|k| k.is_queue())
            .unwrap_or(FileKind::Msttrans);
        ServerView::from_queue_upto(&bytes, kind, &path.display().to_string(), upto, cp)
            .map_err(|e| Error::in_file(path, e))
    }

    /// The server postoffice's `GLB\MSTTRANS.GLB` (or, without one, its
    /// `GLB\RESYNC.GLB`).
    pub fn open_postoffice(dir: &Path, upto: Option<u32>, cp: CodePage) -> Result<ServerView> {
        let po = Postoffice::open(dir, cp)?;
        let file = po
            .find(Folder::Glb, "MSTTRANS.GLB")
            .or_else(|| po.find(Folder::Glb, "RESYNC.GLB"))
            .ok_or_else(|| Error::Diff {
                message: format!(
                    "{}: no GLB/MSTTRANS.GLB (or RESYNC.GLB): is this the Dir-Sync server's postoffice?",
                    dir.display()
                ),
            })?;
        ServerView::open(&file.path, upto, cp)
    }

    /// The server's view a requestor is compared with: `dss` is the
    /// server's postoffice directory or its MSTTRANS.GLB (or a RESYNC.GLB),
    /// replayed up to the requestor's SrvSync when its REQCONF.GLB gives one
    /// (what the server has sent it; the rest is pending, KB Q96060).
    pub fn open_for(dss: &Path, requestor: &RequestorView) -> Result<ServerView> {
        if dss.is_dir() {
            ServerView::open_postoffice(dss, requestor.srvsync, requestor.codepage)
        } else {
            ServerView::open(dss, requestor.srvsync, requestor.codepage)
        }
    }

    /// True when the server's view holds the whole of list `key`: always,
    /// unless MSTTRANS.GLB was purged (its first transaction is above 1,
    /// Keep Updates, KB Q96060, Q108067) and no remaining `R` replaced the
    /// list. A RESYNC.GLB holds every list whole (KB Q119449).
    pub fn holds_whole(&self, key: &[u8]) -> bool {
        !self.purged() || self.directory.replaced.contains(key)
    }

    /// True for an MSTTRANS.GLB whose first transaction is above 1: older
    /// ones were purged (Keep Updates, KB Q96060, Q108067).
    pub fn purged(&self) -> bool {
        self.kind == FileKind::Msttrans && self.syncs.is_some_and(|(first, _)| first > 1)
    }
}

/// The largest file a comparison reads whole: 32 MiB. The server's view
/// holds the queue and the replayed lists (at most [`replay::MAX_HELD`]
/// items), so a larger file is refused with the reason instead of
/// exhausting memory.
pub const READ_LIMIT: u64 = 32 << 20;

fn read(path: &Path) -> Result<Vec<u8>> {
    crate::open::read_whole(
        path,
        READ_LIMIT,
        "comparing a server with a requestor holds the files and the replayed lists in memory",
    )
}

fn file_kind(path: &Path) -> Option<FileKind> {
    FileKind::from_file_name(&path.file_name()?.to_string_lossy())
}

// ---------------------------------------------------------------------------
// The requestor's view
// ---------------------------------------------------------------------------

/// How the entries of a list are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Matching {
    /// By address (USR entries: the list's `NET/PO` and the mailbox).
    Address,
    /// By friendly name only (NME files hold no addresses).
    Name,
}

/// One entry of a requestor's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestorEntry {
    /// The friendly name, raw code-page bytes.
    pub alias: Vec<u8>,
    /// For a USR entry: the mailbox name.
    pub mailbox: Option<Vec<u8>>,
    /// For an NME entry: the bytes that tell one entry from another of
    /// the same name (entry type, TID, pointer, hexid; *reconstructed*
    /// fields, docs/formats/nme.md): two records equal in these and in the
    /// name are the same entry twice.
    pub identity: Vec<u8>,
    /// Zero-based record index in its file.
    pub record: u64,
}

/// One address list the requestor holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestorList {
    /// What it is: `NETWORK/POSTOFFICE` for a USR file, `TYPE:` for a gateway list.
    pub name: ListName,
    /// The file.
    pub file: PathBuf,
    /// How its entries are matched.
    pub matching: Matching,
    /// Its active entries, in file order.
    pub entries: Vec<RequestorEntry>,
    /// Deleted records left out.
    pub deleted: u64,
}

/// How the requestor's own postoffice was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalSource {
    /// Given by the caller (`--local`).
    Given,
    /// From the requestor's REQCONF.GLB (reconstructed field, docs/formats/reqconf.md).
    Reqconf,
    /// Inferred: the server's list of that postoffice holds the requestor's
    /// own local users (its POL).
    InferredFromPol,
}

/// The requestor's own postoffice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalPostoffice {
    /// `NETWORK/POSTOFFICE`.
    pub name: String,
    /// Where that came from.
    pub source: LocalSource,
}

/// What the requestor view covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// A whole postoffice directory.
    Postoffice,
    /// One list file.
    List,
    /// A GAL.NME: every name of every list, by friendly name.
    Gal,
}

/// The address lists a requestor holds.
#[derive(Debug, Clone)]
pub struct RequestorView {
    /// The directory or file read.
    pub source: PathBuf,
    /// What it covers.
    pub scope: Scope,
    /// Its own postoffice, when known.
    pub local: Option<LocalPostoffice>,
    /// The address types it requests (REQCONF Types), when known and not empty.
    pub types: Option<Vec<String>>,
    /// Its SrvSync (REQCONF): the last server transaction it received.
    pub srvsync: Option<u32>,
    /// Its lists.
    pub lists: Vec<RequestorList>,
    /// Friendly names of its local users (POL entries of type 1), folded
    /// and sorted, to recognise its own postoffice among the server's lists.
    pub local_users: Vec<Vec<u8>>,
    /// Friendly names of its other POL entries (its own gateway addresses,
    /// externals added to its POL), folded and sorted.
    pub pol_others: Vec<Vec<u8>>,
    /// Lists not compared and why, and other remarks.
    pub notes: Vec<String>,
    /// The code page of the lists' text.
    pub codepage: CodePage,
}

fn fold(b: &[u8]) -> Vec<u8> {
    b.iter().map(u8::to_ascii_uppercase).collect()
}

/// Calls `f` with each record of `path`, at most [`replay::MAX_HELD`] of
/// them (the entries a comparison holds): a file with more is refused.
fn each_record<F: Format>(
    path: &Path,
    bytes: &[u8],
    kind: FileKind,
    mut f: impl FnMut(u64, &F::Record),
) -> Result<()> {
    let mut reader = Reader::<F, _>::new(
        bytes,
        kind,
        Some(bytes.len() as u64),
        ReadOptions::default(),
    )
    .map_err(|e| Error::in_file(path, e))?;
    while let Some(r) = reader.next_record().map_err(|e| Error::in_file(path, e))? {
        if r.index >= replay::MAX_HELD as u64 {
            let what = format!("record {} (byte offset {})", r.index, r.offset);
            return Err(Error::in_file(
                path,
                replay::too_much(&what, "compare a requestor's lists with the server's"),
            ));
        }
        f(r.index, r.record);
    }
    Ok(())
}

fn usr_list(path: &Path, bytes: &[u8], name: ListName) -> Result<RequestorList> {
    let (mut entries, mut deleted) = (Vec::new(), 0);
    each_record::<Usr>(path, bytes, FileKind::Usr, |record, r| {
        if r.is_deleted() {
            deleted += 1;
        } else {
            entries.push(RequestorEntry {
                alias: r.name.bytes().to_vec(),
                mailbox: Some(r.mailbox.bytes().to_vec()),
                identity: Vec::new(),
                record,
            });
        }
    })?;
    Ok(RequestorList {
        name,
        file: path.to_path_buf(),
        matching: Matching::Address,
        entries,
        deleted,
    })
}

fn nme_list(path: &Path, bytes: &[u8], name: ListName) -> Result<RequestorList> {
    let mut entries = Vec::new();
    each_record::<Nme>(path, bytes, FileKind::Nme, |record, r| {
        let mut identity = r.entry_type.to_le_bytes().to_vec();
        identity.extend_from_slice(&r.tid.to_le_bytes());
        identity.extend_from_slice(&r.pointer.to_le_bytes());
        identity.extend_from_slice(&r.hexid.0.to_le_bytes());
        entries.push(RequestorEntry {
            alias: r.name.bytes().to_vec(),
            mailbox: None,
            identity,
            record,
        })
    })?;
    Ok(RequestorList {
        name,
        file: path.to_path_buf(),
        matching: Matching::Name,
        entries,
        deleted: 0,
    })
}

/// Folded names, sorted.
type Names = Vec<Vec<u8>>;

/// The folded, sorted names of the POL (`NME\ADMIN.NME`) entries of `po`
/// that are not local users: its own gateway addresses and the externals
/// added to it (empty without a POL).
pub fn pol_others(po: &Postoffice) -> Result<Names> {
    match po.address_lists().iter().find(|l| l.name == ListName::Pol) {
        Some(l) => Ok(pol_names(&l.path)?.1),
        None => Ok(Vec::new()),
    }
}

/// The names in a POL, folded and sorted: local users, and the others.
fn pol_names(path: &Path) -> Result<(Names, Names)> {
    let (mut users, mut others) = (Vec::new(), Vec::new());
    each_record::<Nme>(path, &read(path)?, FileKind::Nme, |_, r| {
        let name = fold(r.name.bytes());
        if r.entry_type == entry_type::LOCAL_USER {
            users.push(name);
        } else {
            others.push(name);
        }
    })?;
    users.sort();
    others.sort();
    Ok((users, others))
}

impl RequestorView {
    /// Reads a requestor's postoffice directory: its USR files (named
    /// through NETWORK.GLB and XTN), its gateway name lists, its POL's local
    /// users, and from REQCONF.GLB its own name and the types it requests.
    /// `local` (`NET/PO`) overrides REQCONF's name.
    pub fn open_postoffice(dir: &Path, local: Option<&str>, cp: CodePage) -> Result<RequestorView> {
        let po = Postoffice::open(dir, cp)?;
        let mut view = RequestorView {
            source: dir.to_path_buf(),
            scope: Scope::Postoffice,
            local: local.map(|l| LocalPostoffice {
                name: l.to_string(),
                source: LocalSource::Given,
            }),
            types: None,
            srvsync: None,
            lists: Vec::new(),
            local_users: Vec::new(),
            pol_others: Vec::new(),
            notes: Vec::new(),
            codepage: cp,
        };
        view.read_context(&po)?;
        for l in po.address_lists() {
            match (l.kind.list_file(), &l.name) {
                (Some(ListFile::Usr), ListName::Postoffice { .. }) => {
                    let bytes = read(&l.path)?;
                    view.lists.push(usr_list(&l.path, &bytes, l.name.clone())?);
                }
                (Some(ListFile::Usr), ListName::Gateway { .. }) => {
                    let bytes = read(&l.path)?;
                    let mut list = usr_list(&l.path, &bytes, l.name.clone())?;
                    list.matching = Matching::Name;
                    view.lists.push(list);
                }
                (Some(ListFile::Nme), ListName::Gateway { .. }) => {
                    let bytes = read(&l.path)?;
                    view.lists.push(nme_list(&l.path, &bytes, l.name.clone())?);
                }
                (Some(ListFile::Usr), ListName::Unresolved { .. } | ListName::Unknown { .. }) => {
                    view.notes.push(format!(
                        "{}: not compared: no NETWORK.GLB or XTN record names it ({})",
                        l.path.display(),
                        l.name
                    ))
                }
                // Lists of the other kinds, and the lists compared as part
                // of the postoffice above (the local and GAL lists).
                (Some(ListFile::Usr | ListFile::Nme) | None, _) => {}
            }
            view.check_held(&l.path)?;
        }
        Ok(view)
    }

    /// [`replay::too_much`] when the lists read so far, the last from
    /// `path`, hold more than [`replay::MAX_HELD`] entries together.
    fn check_held(&self, path: &Path) -> Result<()> {
        let held = self.local_users.len()
            + self.pol_others.len()
            + self.lists.iter().map(|l| l.entries.len()).sum::<usize>();
        if held > replay::MAX_HELD {
            let what = format!("the requestor's lists read up to {}", path.display());
            return Err(Error::in_file(
                &self.source,
                replay::too_much(&what, "compare a requestor's lists with the server's"),
            ));
        }
        Ok(())
    }

    /// What the postoffice around the lists says about the comparison:
    /// from `GLB\REQCONF.GLB` its own name (unless given), the types it
    /// requests and its SrvSync; from its POL its local users and other
    /// names. The same for a directory and for one of its list files, so
    /// both give the same verdict for the same list.
    fn read_context(&mut self, po: &Postoffice) -> Result<()> {
        match po.find(Folder::Glb, "REQCONF.GLB") {
            Some(f) => {
                let bytes = read(&f.path)?;
                let doc = Document::<ReqConfFile>::from_bytes(
                    &bytes,
                    FileKind::Reqconf,
                    ReadOptions::default(),
                )
                .map_err(|e| Error::in_file(&f.path, e))?;
                if let Some(rc) = doc.header {
                    if self.local.is_none() {
                        self.local = rc.local(self.codepage).map(|name| LocalPostoffice {
                            name,
                            source: LocalSource::Reqconf,
                        });
                    }
                    let types = rc.types_list(self.codepage);
                    if !types.is_empty() {
                        self.types = Some(types);
                    }
                    self.srvsync = Some(rc.srvsync);
                }
            }
            None => self.notes.push(
                "no GLB/REQCONF.GLB: the requestor's own postoffice, requested types and SrvSync are not known from it"
                    .into(),
            ),
        }
        if let Some(l) = po.address_lists().iter().find(|l| l.name == ListName::Pol) {
            (self.local_users, self.pol_others) = pol_names(&l.path)?;
        }
        Ok(())
    }

    /// One requestor list file: a USR file (named through the postoffice
    /// directory around it, else by `list`, `NET/PO`), or an NME file (a
    /// gateway list `<TYPE>.NME`, a GAL, or any other list named by `list`),
    /// compared by friendly name.
    pub fn open_file(path: &Path, list: Option<&str>, cp: CodePage) -> Result<RequestorView> {
        let kind = file_kind(path);
        let bytes = read(path)?;
        // A postoffice around it that cannot be opened is said in the notes.
        let (around, unopened) = match Postoffice::around(path, cp) {
            Ok(po) => (po, None),
            Err(e) => (None, Some(e)),
        };
        let listed = around.as_ref().and_then(|po| {
            po.address_lists()
                .iter()
                .find(|l| l.path.file_name() == path.file_name())
                .map(|l| l.name.clone())
        });
        let given = list.map(list_name);
        let mut view = RequestorView {
            source: path.to_path_buf(),
            scope: Scope::List,
            local: None,
            types: None,
            srvsync: None,
            lists: Vec::new(),
            local_users: Vec::new(),
            pol_others: Vec::new(),
            notes: Vec::new(),
            codepage: cp,
        };
        if let Some(po) = &around {
            view.read_context(po)?;
        }
        if let Some(e) = unopened {
            view.notes.push(format!(
                "the postoffice around it was not read ({e}): its own postoffice, requested types and SrvSync are not known from it"
            ));
        }
        match kind.and_then(FileKind::list_file) {
            Some(ListFile::Usr) => {
                let name = given.or(listed).ok_or_else(|| Error::Diff {
                    message: format!(
                        "{}: a USR file does not say whose list it is; name it with --postoffice NET/PO \
                         (or give the file inside its postoffice directory)",
                        path.display()
                    ),
                })?;
                view.lists.push(usr_list(path, &bytes, name)?);
            }
            Some(ListFile::Nme) => {
                let name = match (given, listed) {
                    (Some(g), _) => g,
                    (None, Some(ListName::Gal)) => ListName::Gal,
                    (None, Some(n @ ListName::Gateway { .. })) => n,
                    (None, _) => {
                        let stem = path
                            .file_stem()
                            .map(|s| s.to_string_lossy().to_ascii_uppercase())
                            .unwrap_or_default();
                        match stem.as_str() {
                            "GAL" => ListName::Gal,
                            "ADMIN" | "ADMINSHD" => {
                                return Err(Error::Diff {
                                    message: format!(
                                        "{}: the POL mixes local users and external names; say which \
                                         server list to compare it with (--postoffice NET/PO)",
                                        path.display()
                                    ),
                                })
                            }
                            _ if glb_formats::hexid::Hexid::from_file_name(&stem).is_none() => {
                                ListName::Gateway { name: stem }
                            }
                            _ => {
                                return Err(Error::Diff {
                                    message: format!(
                                        "{}: a personal address list; say which server list to compare \
                                         it with (--postoffice NET/PO)",
                                        path.display()
                                    ),
                                })
                            }
                        }
                    }
                };
                if name == ListName::Gal {
                    view.scope = Scope::Gal;
                }
                view.lists.push(nme_list(path, &bytes, name)?);
                view.notes.push(
                    "NME records hold no addresses (KB Q107767): names compared by friendly name only"
                        .into(),
                );
            }
            None => {
                return Err(Error::Diff {
                    message: format!(
                        "{}: compare a requestor's postoffice directory, a USR file or an NME file",
                        path.display()
                    ),
                })
            }
        }
        view.check_held(path)?;
        Ok(view)
    }
}

/// A `NET/PO` (or `TYPE:NET/PO`, or `TYPE:`) given by the user, as a list name.
fn list_name(s: &str) -> ListName {
    let body = s.split_once(':').map_or(s, |(_, b)| b);
    match body.split_once('/') {
        Some((n, p)) => ListName::Postoffice {
            network: n.to_string(),
            postoffice: p.to_string(),
        },
        None => ListName::Gateway {
            name: s.trim_end_matches(':').to_string(),
        },
    }
}

// ---------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------

/// One name in a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The friendly name.
    pub name: String,
    /// The address, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// On the server: the sync number of the transaction that last set it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<u32>,
    /// On the requestor: the record index in its file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

/// A name both sides hold, differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedEntry {
    /// As the server has it.
    pub server: Entry,
    /// As the requestor has it.
    pub requestor: Entry,
    /// What differs: `name`.
    pub fields: Vec<&'static str>,
}

/// How one list compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListStatus {
    /// Both hold the same names.
    Equal,
    /// Both hold the list, with differences.
    Differs,
    /// The server has the list; the requestor has none.
    MissingList,
    /// The requestor has a list the server's transactions never mention.
    ExtraList,
    /// Nothing proves a difference, but the server's view does not hold the
    /// whole list: MSTTRANS.GLB was purged of the list's `R` (Keep Updates,
    /// KB Q108067), so names the requestor holds beyond it cannot be judged.
    CannotJudge,
}

/// The comparison of one postoffice's (or gateway's) list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostofficeDiff {
    /// The list's key: `PCM:NET/PO`, `SMTP:`, `GAL`.
    pub list: String,
    /// What it is, for people: `POLYNOMIAL/TAYLOR`, `gateway SMTP`.
    pub name: String,
    /// How it compares.
    pub status: ListStatus,
    /// How entries were matched.
    pub matching: Matching,
    /// The requestor's file, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requestor_file: Option<String>,
    /// Entries the server believes the list has.
    pub server_entries: u64,
    /// Active entries in the requestor's list.
    pub requestor_entries: u64,
    /// Deleted records in the requestor's file (left out).
    pub requestor_deleted: u64,
    /// Gateway entries of the server's list that the requestor holds in its
    /// own POL: its own addresses, which its Import skips (left out).
    pub own_entries: u64,
    /// Names the server has and the requestor lacks.
    pub missing: Vec<Entry>,
    /// Names the requestor has and the server does not.
    pub extra: Vec<Entry>,
    /// Names both have, differently.
    pub changed: Vec<ChangedEntry>,
    /// Entries the requestor holds more than once: the same address (USR),
    /// or the same entry (NME: name, type, TID, pointer and hexid equal);
    /// each occurrence after the first.
    pub duplicates: Vec<Entry>,
    /// False when the server's view does not hold the whole list (its `R`
    /// was purged from MSTTRANS.GLB, [`ServerView::holds_whole`]): only what
    /// the remaining transactions prove is reported.
    pub whole: bool,
    /// Names the requestor holds that the remaining transactions neither
    /// add nor remove: they cannot be judged (only when not `whole`).
    pub unjudged: Vec<Entry>,
}

/// What the report says of a list whose `R` was purged.
pub const PURGED_R: &str = "cannot judge: the list's R was purged (Keep Updates, KB Q108067)";

/// How to judge such a list after all.
pub const PURGED_REMEDY: &str = "to judge the whole list, compare with a RESYNC.GLB made on the \
    server (glbtool resync, or IMPORT -S), which holds the server's complete lists (KB Q119449); \
    a requestor that missed purged updates needs Export and Import (ADMIN: Config, Dir-Sync, \
    Requestor, Export, then Import, KB Q108067)";

/// The likely cause of a difference and the documented remedy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advice {
    /// What probably happened.
    pub cause: String,
    /// What to do.
    pub remedy: String,
}

/// The remedy for names a requestor lacks or keeps wrongly.
pub const IMPORT_REMEDY: &str = "request a full import on the requestor (ADMIN: Config, Dir-Sync, \
    Requestor, Import): at the next cycle the server sends its complete address lists and the \
    requestor's lists are rebuilt from them (KB Q105125, Q99961); or create RESYNC.GLB on the \
    server (IMPORT -S), copy it to the requestor postoffice and let IMPORT -Q process it \
    (KB Q119449, Q105125)";

/// The remedy for a list the server does not know.
pub const EXPORT_REMEDY: &str = "if that postoffice takes part in Dir-Sync, have it send its \
    complete list to the server (on it, ADMIN: Config, Dir-Sync, Requestor, Export, KB Q108067); \
    a list the server never sends is dropped by the requestor's next full import (KB Q105125)";

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl PostofficeDiff {
    /// True when both sides hold the same names.
    pub fn is_equal(&self) -> bool {
        self.status == ListStatus::Equal
    }

    /// True when something proves the lists differ.
    pub fn differs(&self) -> bool {
        !matches!(self.status, ListStatus::Equal | ListStatus::CannotJudge)
    }

    /// The likely cause and the documented remedy; `None` when equal.
    pub fn cause_and_remedy(&self) -> Option<Advice> {
        let what = &self.name;
        match self.status {
            ListStatus::Equal => None,
            ListStatus::MissingList => Some(Advice {
                cause: format!(
                    "the requestor has no list for {what}: it never received that list from the \
                     server (or lost its file)"
                ),
                remedy: IMPORT_REMEDY.into(),
            }),
            ListStatus::CannotJudge => Some(Advice {
                cause: match self.unjudged.len() {
                    0 => format!(
                        "{PURGED_R}: the transactions that remain prove no difference, but names \
                         added before them cannot be checked"
                    ),
                    n => format!(
                        "{PURGED_R}: {} the requestor holds {} not in the transactions that remain",
                        count(n, "name", "names"),
                        if n == 1 { "is" } else { "are" }
                    ),
                },
                remedy: PURGED_REMEDY.into(),
            }),
            ListStatus::ExtraList => Some(Advice {
                cause: format!(
                    "the requestor holds a list for {what}, which the server's transactions never \
                     mention: it was defined locally (External-Admin), or the server no longer has it"
                ),
                remedy: EXPORT_REMEDY.into(),
            }),
            ListStatus::Differs => {
                let mut causes = Vec::new();
                if !self.missing.is_empty() {
                    causes.push(format!(
                        "{} the server has did not reach the requestor (updates it never applied)",
                        count(self.missing.len(), "name", "names")
                    ));
                }
                if !self.extra.is_empty() {
                    causes.push(format!(
                        "the requestor keeps {} the server does not have: deletions it never \
                         applied, or names added locally with External-Admin, which a full import \
                         removes (KB Q105125)",
                        count(self.extra.len(), "name", "names")
                    ));
                }
                if !self.changed.is_empty() {
                    causes.push(format!(
                        "{} differently: modifications (M) it never applied",
                        count(self.changed.len(), "name is held", "names are held")
                    ));
                }
                if !self.duplicates.is_empty() {
                    causes.push(format!(
                        "the requestor holds {} more than once: a damaged list, which a full \
                         import rebuilds (KB Q105125)",
                        count(self.duplicates.len(), "entry", "entries")
                    ));
                }
                if !self.unjudged.is_empty() {
                    let n = self.unjudged.len();
                    causes.push(format!(
                        "{n} other {} the requestor holds: {PURGED_R}",
                        if n == 1 { "name" } else { "names" }
                    ));
                }
                Some(Advice {
                    cause: causes.join("; "),
                    remedy: IMPORT_REMEDY.into(),
                })
            }
        }
    }
}

/// A server list left out of the comparison, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excluded {
    /// The list's key.
    pub list: String,
    /// Why it was not compared.
    pub reason: String,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Every list compared, in key order (equal ones included).
    pub lists: Vec<PostofficeDiff>,
    /// Server lists not compared.
    pub excluded: Vec<Excluded>,
    /// The requestor's own postoffice, when known.
    pub local: Option<LocalPostoffice>,
    /// What the reader should know about how the sides were read.
    pub notes: Vec<String>,
    /// The server's own transactions that changed no list: rejected by
    /// Import's rules, or without effect (messages 27, 29).
    pub server_events: Vec<Event>,
    /// Server transactions above the requestor's SrvSync, not compared:
    /// the server sends them at the next T2.
    pub pending: Option<Pending>,
    /// Set when the requestor has received server transactions numbered
    /// above the server's last: the server's list is the older one.
    pub server_behind: Option<ServerBehind>,
}

/// Server transactions the requestor has not been sent yet (KB Q96060:
/// SRVMAIN -T sends the entries above the SrvSync the requestor reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pending {
    /// The requestor's SrvSync: the comparison stops there.
    pub requestor_srvsync: u32,
    /// How many transactions are pending.
    pub count: u64,
    /// The first of them ([`PENDING_SHOWN`]).
    pub transactions: Vec<PendingTransaction>,
    /// What it means.
    pub note: String,
}

/// A server whose MSTTRANS.GLB ends below what a requestor has received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerBehind {
    /// The requestor's SrvSync (REQCONF).
    pub requestor_srvsync: u32,
    /// The server's highest sync number replayed.
    pub server_last: u32,
    /// What it means and what to do.
    pub advice: Advice,
}

impl Comparison {
    /// True when every compared list is equal (a list that cannot be
    /// judged is not known to be).
    pub fn is_equal(&self) -> bool {
        self.lists.iter().all(PostofficeDiff::is_equal)
    }

    /// The lists something proves different.
    pub fn differing(&self) -> impl Iterator<Item = &PostofficeDiff> {
        self.lists.iter().filter(|l| l.differs())
    }

    /// The lists that cannot be judged.
    pub fn unjudged(&self) -> impl Iterator<Item = &PostofficeDiff> {
        self.lists
            .iter()
            .filter(|l| l.status == ListStatus::CannotJudge)
    }

    /// Missing, extra and changed names over all lists.
    pub fn totals(&self) -> (usize, usize, usize) {
        self.lists.iter().fold((0, 0, 0), |t, l| {
            (
                t.0 + l.missing.len(),
                t.1 + l.extra.len(),
                t.2 + l.changed.len(),
            )
        })
    }
}

fn text(cp: CodePage, b: &[u8]) -> String {
    cp.decode(b)
}

/// `TYPE` and `NET/PO` of a list key (`PCM:NET/PO` → (`PCM`, `NET/PO`)).
fn split_key(key: &[u8]) -> (&[u8], &[u8]) {
    match key.iter().position(|&b| b == b':') {
        Some(i) => (&key[..i], &key[i + 1..]),
        None => (key, &[]),
    }
}

fn is_elemental(ty: &[u8]) -> bool {
    AddressType::from_name(ty).is_elemental()
}

/// A list's name for people.
fn display_name(cp: CodePage, key: &[u8]) -> String {
    let (ty, body) = split_key(key);
    if key == b"GAL" {
        "GAL".into()
    } else if is_elemental(ty) && !body.is_empty() {
        if ty.eq_ignore_ascii_case(b"PCM") {
            text(cp, body)
        } else {
            format!("{} {}", text(cp, ty), text(cp, body))
        }
    } else {
        format!("gateway {}", text(cp, ty))
    }
}

/// The list key a requestor list answers to, and its `NET/PO` when it has one.
fn requestor_key(l: &RequestorList) -> Vec<u8> {
    match &l.name {
        ListName::Postoffice {
            network,
            postoffice,
        } => fold(format!("PCM:{network}/{postoffice}").as_bytes()),
        ListName::Gateway { name } => fold(format!("{name}:").as_bytes()),
        ListName::Gal => b"GAL".to_vec(),
        other => fold(other.to_string().as_bytes()),
    }
}

impl ServerView {
    /// True when the server's transactions hold a PCM list of another
    /// postoffice of the network of `key` (`PCM:NET/PO`, folded): the
    /// network's postoffices have PCM addresses. NETWORK.GLB cannot tell: the
    /// type code of an ordinary PC Mail network is undocumented, and 0x10 is
    /// the MSMAIL connection record (KB Q148666).
    fn pcm_network(&self, key: &[u8]) -> bool {
        let (_, body) = split_key(key);
        let Some(slash) = body.iter().position(|&b| b == b'/') else {
            return false;
        };
        let prefix = [&b"PCM:"[..], &body[..=slash]].concat();
        self.directory.lists.keys().any(|k| k.starts_with(&prefix))
    }

    /// The key of the list of postoffice (or gateway node) `net_po`
    /// (`NET/PO`, folded) under any 10/10/10 type, PCM first.
    fn list_at(&self, net_po: &[u8]) -> Option<Vec<u8>> {
        self.directory
            .lists
            .keys()
            .filter(|k| {
                let (ty, b) = split_key(k);
                is_elemental(ty) && b == net_po
            })
            .min_by_key(|k| !k.starts_with(b"PCM:"))
            .cloned()
    }
}

/// True when `filter` (`NET/PO`, `TYPE:NET/PO`, `TYPE:` or `TYPE`) selects list `key`.
fn selected(key: &[u8], filter: &str) -> bool {
    let f = fold(filter.as_bytes());
    let (ty, body) = split_key(key);
    if f.contains(&b':') {
        let (fty, fbody) = split_key(&f);
        fty == ty && (fbody.is_empty() || fbody == body)
    } else {
        f == body || (body.is_empty() && f == ty)
    }
}

/// Keyed entries of one side of one list: (key, entry).
type Keyed = BTreeMap<Vec<u8>, (Vec<u8>, Entry)>;

/// Keys entries by name: folded name, a 0 byte, the occurrence number.
fn by_name<'a>(items: impl Iterator<Item = (&'a [u8], Entry)>) -> Keyed {
    let mut seen: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
    let mut out = Keyed::new();
    for (alias, entry) in items {
        let f = fold(alias);
        let n = seen.entry(f.clone()).or_insert(0);
        let mut k = f;
        k.push(0);
        k.extend_from_slice(&n.to_be_bytes());
        *n += 1;
        out.insert(k, (alias.to_vec(), entry));
    }
    out
}

fn server_entries<'a>(
    lists: impl Iterator<Item = &'a BTreeMap<Vec<u8>, replay::Entry>>,
    matching: Matching,
    cp: CodePage,
) -> Keyed {
    let entries = lists.flat_map(|l| l.iter()).map(|(k, e)| {
        (
            k,
            e.alias.as_slice(),
            Entry {
                name: text(cp, &e.alias),
                address: Some(text(cp, &e.address)),
                sync: Some(e.sync),
                record: None,
            },
        )
    });
    match matching {
        Matching::Address => entries
            .map(|(k, alias, e)| (k.clone(), (alias.to_vec(), e)))
            .collect(),
        Matching::Name => by_name(entries.map(|(_, a, e)| (a, e))),
    }
}

/// The requestor's entries of one list, keyed, and the entries it holds
/// more than once (each occurrence after the first): the same address in a
/// list matched by address, the same entry (name and identity) in one
/// matched by name.
fn requestor_entries(
    l: &RequestorList,
    ty: &[u8],
    matching: Matching,
    cp: CodePage,
) -> (Keyed, Vec<Entry>) {
    let net_po = match &l.name {
        ListName::Postoffice {
            network,
            postoffice,
        } => cp.encode(&format!("{network}/{postoffice}")).ok(),
        _ => None,
    };
    let mut duplicates = Vec::new();
    let mut seen: std::collections::BTreeSet<(Vec<u8>, &[u8])> = Default::default();
    let mut entries = Vec::new();
    for e in &l.entries {
        let address = match (&net_po, &e.mailbox) {
            (Some(np), Some(m)) if ty.is_empty() => Some([np, &b"/"[..], m].concat()),
            (Some(np), Some(m)) => Some([ty, b":", np, b"/", m].concat()),
            _ => None,
        };
        let key = match (matching, &address) {
            (Matching::Address, Some(a)) => Address::parse(a).key(),
            (Matching::Address, None) => continue,
            (Matching::Name, _) => fold(&e.alias),
        };
        let entry = Entry {
            name: text(cp, &e.alias),
            address: address.map(|a| text(cp, &a)),
            sync: None,
            record: Some(e.record),
        };
        let identity: &[u8] = if matching == Matching::Name {
            &e.identity
        } else {
            &[]
        };
        if !seen.insert((key.clone(), identity)) {
            duplicates.push(entry);
            continue;
        }
        entries.push((key, e.alias.as_slice(), entry));
    }
    let keyed = match matching {
        Matching::Address => entries
            .into_iter()
            .map(|(k, alias, entry)| (k, (alias.to_vec(), entry)))
            .collect(),
        Matching::Name => by_name(entries.into_iter().map(|(_, alias, entry)| (alias, entry))),
    };
    (keyed, duplicates)
}

/// What the server's remaining transactions took out of a list it does not
/// hold whole, to tell provable extras from names that cannot be judged:
/// address keys (for lists matched by address) or folded names.
struct Removed(Option<std::collections::BTreeSet<Vec<u8>>>);

impl Removed {
    /// For list `key` of `server`, matched by `matching`: `None` inside when
    /// the server holds the list whole (every extra is proven).
    fn of(server: &ServerView, key: &[u8], matching: Matching) -> Removed {
        if server.holds_whole(key) {
            return Removed(None);
        }
        let gone = server.directory.removed.get(key);
        Removed(Some(
            gone.into_iter()
                .flatten()
                .map(|(k, alias)| match matching {
                    Matching::Address => k.clone(),
                    Matching::Name => fold(alias),
                })
                .collect(),
        ))
    }

    /// True when the requestor holding `key` (with `alias`) proves it
    /// missed a transaction.
    fn proves(&self, key: &[u8], alias: &[u8], matching: Matching) -> bool {
        match &self.0 {
            None => true,
            Some(gone) => match matching {
                Matching::Address => gone.contains(key),
                Matching::Name => gone.contains(&fold(alias)),
            },
        }
    }
}

/// Merges two keyed sides into missing, extra, changed and (for a list the
/// server does not hold whole) unjudged.
fn merge(server: Keyed, requestor: Keyed, d: &mut PostofficeDiff, removed: &Removed) {
    let mut r = requestor.into_iter().peekable();
    let only_requestor = |k: Vec<u8>, alias: Vec<u8>, e: Entry, d: &mut PostofficeDiff| {
        if removed.proves(&k, &alias, d.matching) {
            d.extra.push(e);
        } else {
            d.unjudged.push(e);
        }
    };
    for (k, (alias, entry)) in server {
        while let Some((rk, _)) = r.peek() {
            if *rk >= k {
                break;
            }
            let (rk, (ralias, e)) = r.next().expect("peeked");
            only_requestor(rk, ralias, e, d);
        }
        match r.peek() {
            Some((rk, _)) if *rk == k => {
                let (_, (ralias, re)) = r.next().expect("peeked");
                if ralias != alias {
                    d.changed.push(ChangedEntry {
                        server: entry,
                        requestor: re,
                        fields: vec!["name"],
                    });
                }
            }
            _ => d.missing.push(entry),
        }
    }
    for (rk, (ralias, e)) in r {
        only_requestor(rk, ralias, e, d);
    }
}

fn new_diff(key: &[u8], matching: Matching, cp: CodePage) -> PostofficeDiff {
    PostofficeDiff {
        list: text(cp, key),
        name: display_name(cp, key),
        status: ListStatus::Equal,
        matching,
        requestor_file: None,
        server_entries: 0,
        requestor_entries: 0,
        requestor_deleted: 0,
        own_entries: 0,
        missing: Vec::new(),
        extra: Vec::new(),
        changed: Vec::new(),
        duplicates: Vec::new(),
        whole: true,
        unjudged: Vec::new(),
    }
}

/// The status of a list from what was found: different when something
/// proves it; otherwise equal only when the server's view holds the whole
/// list (a purged list's missing names cannot be known either).
fn finish(mut d: PostofficeDiff) -> PostofficeDiff {
    if d.status == ListStatus::Equal {
        if !(d.missing.is_empty()
            && d.extra.is_empty()
            && d.changed.is_empty()
            && d.duplicates.is_empty())
        {
            d.status = ListStatus::Differs;
        } else if !d.whole || !d.unjudged.is_empty() {
            d.status = ListStatus::CannotJudge;
        }
    }
    d
}

/// The server list the requestor's own postoffice is, and how it was found:
/// the postoffice given (`--local`), else the one whose server list holds the
/// requestor's own local users (its POL says), else the name its REQCONF.GLB
/// holds in `local_network`/`local_postoffice`, fields glbtool reconstructed
/// that MS Mail's REQCONF.GLB may not hold (KB Q123437, Q112301).
fn own_list(
    server: &ServerView,
    requestor: &RequestorView,
    paired: &BTreeMap<Vec<u8>, usize>,
) -> Option<(Vec<u8>, LocalPostoffice)> {
    let cp = requestor.codepage;
    let keyed = |l: &LocalPostoffice| {
        let body = fold(cp.encode(&l.name).unwrap_or_default().as_slice());
        let key = server
            .list_at(&body)
            .unwrap_or_else(|| [b"PCM:", body.as_slice()].concat());
        (key, l.clone())
    };
    match &requestor.local {
        Some(l) if l.source == LocalSource::Given => Some(keyed(l)),
        local => inferred_from_pol(server, requestor, paired).or_else(|| local.as_ref().map(keyed)),
    }
}

/// The PCM list the requestor has no file for whose names are most often the
/// requestor's own local users (at least half of them).
fn inferred_from_pol(
    server: &ServerView,
    requestor: &RequestorView,
    paired: &BTreeMap<Vec<u8>, usize>,
) -> Option<(Vec<u8>, LocalPostoffice)> {
    let cp = requestor.codepage;
    if requestor.scope != Scope::Postoffice || requestor.local_users.is_empty() {
        return None;
    }
    // The PCM list the requestor has no file for whose names are most often
    // the requestor's own local users (at least half of them).
    let mut best: Option<(usize, &Vec<u8>)> = None;
    for (k, entries) in &server.directory.lists {
        let (ty, body) = split_key(k);
        if !ty.eq_ignore_ascii_case(b"PCM") || body.is_empty() || paired.contains_key(k) {
            continue;
        }
        let hits = entries
            .values()
            .filter(|e| requestor.local_users.binary_search(&fold(&e.alias)).is_ok())
            .count();
        if hits > 0 && hits * 2 >= entries.len() && best.is_none_or(|(h, _)| hits > h) {
            best = Some((hits, k));
        }
    }
    best.map(|(_, k)| {
        (
            k.clone(),
            LocalPostoffice {
                name: text(cp, split_key(k).1),
                source: LocalSource::InferredFromPol,
            },
        )
    })
}

/// Compares what the server believes each list holds with what the
/// requestor holds. `filter` (`NET/PO`, `TYPE:NET/PO` or `TYPE:`) limits the
/// comparison to the lists it names.
pub fn compare(server: &ServerView, requestor: &RequestorView, filter: Option<&str>) -> Comparison {
    let cp = requestor.codepage;
    let mut cmp = Comparison {
        lists: Vec::new(),
        excluded: Vec::new(),
        local: None,
        notes: requestor.notes.clone(),
        server_events: server.directory.events.clone(),
        pending: None,
        server_behind: None,
    };
    if let (Some(upto), true) = (server.replayed_to, server.pending_count > 0) {
        cmp.pending = Some(Pending {
            requestor_srvsync: upto,
            count: server.pending_count,
            transactions: server.pending.clone(),
            note: format!(
                "pending: will be sent at the next T2: the server sends a requestor the \
                 transactions above the SrvSync it reports ({upto}), KB Q96060; they are not \
                 compared"
            ),
        });
    }
    if server.kind == FileKind::Msttrans
        && requestor.srvsync.is_some()
        && server.replayed_to != requestor.srvsync
    {
        cmp.notes.push(format!(
            "the server's transactions were replayed {}, not up to the requestor's SrvSync {}",
            server
                .replayed_to
                .map_or_else(|| "whole".to_string(), |u| format!("up to {u}")),
            requestor.srvsync.unwrap_or(0)
        ));
    }
    if let (Some(srvsync), Some((_, last)), FileKind::Msttrans) =
        (requestor.srvsync, server.syncs, server.kind)
    {
        if srvsync > last {
            cmp.server_behind = Some(ServerBehind {
                requestor_srvsync: srvsync,
                server_last: last,
                advice: Advice {
                    cause: format!(
                        "the requestor has received server transactions up to {srvsync}, but MSTTRANS.GLB ends at {last}: the server's lists are older than the requestor's, as after restoring the server from a backup (KB Q96060, Q113453); differences below may be the server's, not the requestor's"
                    ),
                    remedy: "every requestor sends its complete list (ADMIN: Config, Dir-Sync, Requestor, Export); after a cycle, make RESYNC.GLB on the server (IMPORT -S) and process it on every requestor (IMPORT -Q) (KB Q96060, Q113453)"
                        .into(),
                },
            });
        }
    }
    if server.kind == FileKind::Msttrans {
        if let Some((first, _)) = server.syncs.filter(|s| s.0 > 1) {
            cmp.notes.push(format!(
                "MSTTRANS.GLB starts at sync {first}: older transactions were purged (Keep Updates, \
                 KB Q96060, Q108067); a list whose R went with them is judged only by what the \
                 remaining transactions prove, and the rest is reported as {PURGED_R:?}; a \
                 RESYNC.GLB (IMPORT -S) holds the server's complete lists"
            ));
        }
    }
    if let (Some(srvsync), Some((first, _)), true) =
        (requestor.srvsync, server.syncs, server.purged())
    {
        if srvsync > 0 && srvsync.saturating_add(1) < first {
            cmp.notes.push(format!(
                "the requestor's SrvSync is {srvsync}, but MSTTRANS.GLB's oldest remaining \
                 transaction is {first}: transactions {}..{} were purged before it received them \
                 and will never reach it (GLB139); KB Q108067: {}",
                srvsync + 1,
                first - 1,
                crate::check::cross::PURGED_GAP_REMEDY
            ));
        }
    }
    if requestor.scope == Scope::Gal {
        compare_gal(server, requestor, filter, &mut cmp);
        return cmp;
    }
    // Pair each requestor list with a server list: by key, or for a USR file
    // by NET/PO under any 10/10/10 type (a PROFS node's list is a USR file too).
    let mut paired: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
    let mut unpaired: Vec<usize> = Vec::new();
    for (i, l) in requestor.lists.iter().enumerate() {
        let rk = requestor_key(l);
        let key = if server.directory.lists.contains_key(&rk) {
            Some(rk.clone())
        } else if l.matching == Matching::Address {
            server.list_at(split_key(&rk).1)
        } else {
            None
        };
        match key {
            Some(k) if !paired.contains_key(&k) => {
                paired.insert(k, i);
            }
            _ => unpaired.push(i),
        }
    }
    let own = own_list(server, requestor, &paired);
    if let Some((key, local)) = &own {
        cmp.excluded.push(Excluded {
            list: text(cp, key),
            reason: format!(
                "the requestor's own postoffice: Import ignores transactions for it ({}, KB Q96003)",
                messages::bracketed(66)
            ),
        });
        cmp.local = Some(local.clone());
    } else if requestor.scope == Scope::Postoffice {
        cmp.notes.push(
            "the requestor's own postoffice is not known (no REQCONF.GLB naming it, no --local, and \
             no server list holds its local users): a list missing entirely may be its own"
                .into(),
        );
    }
    let wanted = |key: &[u8]| -> Option<String> {
        let (ty, _) = split_key(key);
        let types = requestor.types.as_ref()?;
        (!types.iter().any(|t| t.as_bytes().eq_ignore_ascii_case(ty))).then(|| {
            format!(
                "the requestor does not request {} addresses (its REQCONF Types: {})",
                text(cp, ty),
                types.join("|")
            )
        })
    };
    for (key, entries) in &server.directory.lists {
        if filter.is_some_and(|f| !selected(key, f)) {
            continue;
        }
        if own.as_ref().is_some_and(|(k, _)| k == key) {
            continue;
        }
        let req = paired.get(key).map(|&i| &requestor.lists[i]);
        if requestor.scope == Scope::List && req.is_none() {
            continue;
        }
        if let Some(reason) = wanted(key) {
            cmp.excluded.push(Excluded {
                list: text(cp, key),
                reason,
            });
            continue;
        }
        let matching = req.map_or_else(
            || {
                if is_elemental(split_key(key).0) {
                    Matching::Address
                } else {
                    Matching::Name
                }
            },
            |l| l.matching,
        );
        let mut d = new_diff(key, matching, cp);
        d.server_entries = entries.len() as u64;
        d.whole = server.holds_whole(key);
        let removed = Removed::of(server, key, matching);
        let mut s = server_entries(std::iter::once(entries), matching, cp);
        // A gateway list holds the requestor's own addresses too; they are
        // in its POL, and its Import skips them like its own postoffice's.
        if !split_key(key).0.eq_ignore_ascii_case(b"PCM") && !requestor.pol_others.is_empty() {
            let before = s.len();
            s.retain(|_, (alias, _)| requestor.pol_others.binary_search(&fold(alias)).is_err());
            d.own_entries = (before - s.len()) as u64;
        }
        match req {
            Some(l) => {
                d.requestor_file = Some(l.file.display().to_string());
                d.requestor_entries = l.entries.len() as u64;
                d.requestor_deleted = l.deleted;
                let (r, duplicates) = requestor_entries(l, split_key(key).0, matching, cp);
                d.duplicates = duplicates;
                merge(s, r, &mut d, &removed);
            }
            None if s.is_empty() => {}
            None => {
                d.status = ListStatus::MissingList;
                d.missing = s.into_values().map(|(_, e)| e).collect();
            }
        }
        cmp.lists.push(finish(d));
    }
    for i in unpaired {
        let l = &requestor.lists[i];
        let key = requestor_key(l);
        if filter.is_some_and(|f| !selected(&key, f)) {
            continue;
        }
        let mut d = new_diff(&key, l.matching, cp);
        d.status = ListStatus::ExtraList;
        d.requestor_file = Some(l.file.display().to_string());
        d.requestor_entries = l.entries.len() as u64;
        d.requestor_deleted = l.deleted;
        let ty = match l.matching {
            Matching::Address if server.pcm_network(&key) => &b"PCM"[..],
            Matching::Address => &b""[..],
            Matching::Name => split_key(&key).0,
        };
        let (r, duplicates) = requestor_entries(l, ty, l.matching, cp);
        let entries: Vec<Entry> = r.into_values().map(|(_, e)| e).collect();
        d.duplicates = duplicates;
        if server.purged() {
            // The list's R (and its entries) may have been purged.
            d.whole = false;
            d.status = ListStatus::Equal;
            d.unjudged = entries;
            d = finish(d);
        } else {
            d.extra = entries;
            if d.extra.is_empty() && d.duplicates.is_empty() {
                d.status = ListStatus::Equal;
            }
        }
        cmp.lists.push(d);
    }
    if requestor.scope == Scope::List && cmp.lists.is_empty() {
        if let Some(l) = requestor.lists.first() {
            let key = requestor_key(l);
            let mut d = new_diff(&key, l.matching, cp);
            d.requestor_file = Some(l.file.display().to_string());
            cmp.lists.push(d);
        }
    }
    cmp.lists.sort_by(|a, b| a.list.cmp(&b.list));
    cmp
}

/// A GAL against every server list (filtered), by friendly name.
fn compare_gal(
    server: &ServerView,
    requestor: &RequestorView,
    filter: Option<&str>,
    cmp: &mut Comparison,
) {
    let cp = requestor.codepage;
    let Some(gal) = requestor.lists.first() else {
        return;
    };
    let lists: Vec<_> = server
        .directory
        .lists
        .iter()
        .filter(|(k, _)| filter.is_none_or(|f| selected(k, f)))
        .map(|(_, v)| v)
        .collect();
    let mut d = new_diff(b"GAL", Matching::Name, cp);
    d.name = "GAL (every list, by friendly name)".into();
    d.requestor_file = Some(gal.file.display().to_string());
    d.server_entries = lists.iter().map(|l| l.len() as u64).sum();
    d.requestor_entries = gal.entries.len() as u64;
    let s = server_entries(lists.into_iter(), Matching::Name, cp);
    let (r, duplicates) = requestor_entries(gal, b"", Matching::Name, cp);
    d.duplicates = duplicates;
    merge(s, r, &mut d, &Removed(None));
    cmp.notes.push(
        "a GAL also holds the requestor's own users and locally defined names, which the server's \
         lists may not: names it has beyond the server's are not necessarily wrong"
            .into(),
    );
    cmp.lists.push(finish(d));
}

#[cfg(test)]
mod tests;
