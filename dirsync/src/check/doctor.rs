//! `doctor`: every check glbtool has, over a tree of postoffices.
//!
//! [`find_postoffices`] finds the postoffices below a directory (a directory
//! holding a `GLB` folder, in any letter case: the directory itself, or its
//! subdirectories one or two levels down). [`Tree::open`] reads each with
//! [`Postoffice::open`]; [`Tree::examine`] then
//!
//! 1. checks every file whose kind glbtool knows ([`super::file::check`]);
//! 2. runs the postoffice rules ([`super::postoffice::check`]);
//! 3. runs the cross-file checks ([`super::cross::check`]) over each Dir-Sync
//!    server (the postoffice with `GLB\SRVCONF.GLB`) together with its
//!    requestors, and over the requestors whose server is not in the tree
//!    (Exchange as the server has no postoffice) together, grouped by the
//!    server they name. A requestor belongs to the server its REQCONF.GLB names
//!    (`server_network/server_postoffice`), matched against the server's own
//!    name (its own SRVCONF record, [`crate::resync::server_record`], else the
//!    server its REQCONF names; a server whose name its files do not tell is
//!    matched by a SRVCONF record of that name); when several servers carry
//!    that name the nearest in the directory tree wins;
//! 4. compares each postoffice of a server's group with the server's
//!    MSTTRANS.GLB replayed up to its SrvSync ([`crate::compare`], GLB350);
//!
//! and returns the findings with a summary of each postoffice.

use std::io::Read;
use std::path::{Path, PathBuf};

use glb_formats::codepage::CodePage;
use glb_formats::error::{Error, Result};
use glb_formats::format::ReadOptions;
use glb_formats::kind::FileKind;
use glb_formats::reqconf::ReqConf;
use glb_formats::srvconf::RequestorRecord;
use serde::Serialize;

use super::file::Facts;
use super::queue::QueueFacts;
use super::{unreadable, FileRef, Finding, Fix, Severity};
use crate::postoffice::{Folder, Postoffice};

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::io(format!("{what} {}", path.display()), e)
}

/// True when `dir` holds a `GLB` directory (any letter case; links followed).
fn holds_glb(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        e.file_name().to_string_lossy().eq_ignore_ascii_case("GLB")
            && std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir())
    })
}

/// The subdirectories of `dir` (links followed, hidden ones skipped), sorted.
fn subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| io_error("listing", dir, e))? {
        let e = e.map_err(|e| io_error("listing", dir, e))?;
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if std::fs::metadata(e.path()).is_ok_and(|m| m.is_dir()) {
            out.push(e.path());
        }
    }
    out.sort();
    Ok(out)
}

/// What [`find_postoffices`] found.
#[derive(Debug, Default)]
pub struct Found {
    /// The postoffice directories, in tree order.
    pub postoffices: Vec<PathBuf>,
    /// Subdirectories that could not be listed, with the error.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Finds the postoffices at or below `dir`: `dir` itself when it holds a
/// `GLB` directory, else each subdirectory that does, else each of their
/// subdirectories that does (two levels down at most). Fails when `dir` is not
/// a directory that can be listed.
pub fn find_postoffices(dir: &Path) -> Result<Found> {
    let meta = std::fs::metadata(dir).map_err(|e| io_error("opening", dir, e))?;
    if !meta.is_dir() {
        return Err(io_error(
            "opening",
            dir,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a directory"),
        ));
    }
    let mut found = Found::default();
    if holds_glb(dir) {
        found.postoffices.push(dir.to_path_buf());
        return Ok(found);
    }
    for child in subdirs(dir)? {
        if holds_glb(&child) {
            found.postoffices.push(child);
            continue;
        }
        match subdirs(&child) {
            Ok(grand) => found
                .postoffices
                .extend(grand.into_iter().filter(|g| holds_glb(g))),
            Err(e) => found.unreadable.push((child, e.to_string())),
        }
    }
    Ok(found)
}

/// True when the server whose SRVCONF.GLB holds `records` (and whose own
/// REQCONF.GLB is `conf`, when readable) is the postoffice `want` (`NET/PO`):
/// its own record ([`crate::resync::server_record`]) carries that name; when
/// its files do not tell which record is its own, the server its REQCONF
/// names, else a record of that name.
pub fn is_server_named(
    records: &[RequestorRecord],
    conf: Option<&ReqConf>,
    want: &str,
    cp: CodePage,
) -> bool {
    if let Some(i) = crate::resync::server_record(records, conf, cp).index() {
        return records[i].is_named(want, cp);
    }
    match conf.map(|c| c.server(cp)).filter(|s| s != "/") {
        Some(s) => s.eq_ignore_ascii_case(want.trim()),
        None => glb_formats::srvconf::position_of(records, want, cp).is_some(),
    }
}

/// `dir/GLB/name`, letters in any case, when it is a file.
pub fn in_glb(dir: &Path, name: &str) -> Option<PathBuf> {
    let glb = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case("GLB"))?
        .path();
    std::fs::read_dir(&glb)
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name))
        .map(|e| e.path())
        .filter(|p| p.is_file())
}

/// Reads a small fixed-layout file whole (its first item, or `None`).
fn read_small<F: glb_formats::format::Format>(path: &Path, kind: FileKind) -> Option<F::Header> {
    let bytes =
        crate::open::read_whole(path, 16 << 20, "a small file's header is read whole").ok()?;
    glb_formats::format::Document::<F>::from_bytes(&bytes, kind, ReadOptions::default())
        .ok()?
        .header
}

/// The Dir-Sync server postoffice named `want` (`NET/PO`, as a requestor's
/// REQCONF.GLB names it) in the tree around the postoffice `po_root`: the
/// postoffices beside it, found as `doctor` finds postoffices in its parent
/// directory (one or two levels down); the nearest server (a postoffice with
/// `GLB\SRVCONF.GLB`) that carries the name. `po_root` itself is a candidate
/// too. Folders further up are not searched: copies of other networks (old
/// backups side by side) would be found there. Names are read in code page `cp`.
pub fn find_server(po_root: &Path, want: &str, cp: CodePage) -> Option<PathBuf> {
    let named = |root: &Path| -> bool {
        let Some(sc) = in_glb(root, "SRVCONF.GLB") else {
            return false;
        };
        // A regular file, of a size SRVCONF.GLB can have.
        let Ok(bytes) = crate::open::read_whole(&sc, 64 << 20, "SRVCONF.GLB is read whole") else {
            return false;
        };
        let Ok(doc) =
            glb_formats::format::Document::<glb_formats::srvconf::SrvConfFile>::from_bytes(
                &bytes,
                FileKind::Srvconf,
                ReadOptions::default(),
            )
        else {
            return false;
        };
        let conf = in_glb(root, "REQCONF.GLB")
            .and_then(|p| read_small::<glb_formats::reqconf::ReqConfFile>(&p, FileKind::Reqconf));
        is_server_named(&doc.records, conf.as_ref(), want, cp)
    };
    if named(po_root) {
        return Some(po_root.to_path_buf());
    }
    let dir = match po_root.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        Some(_) => Path::new("."),
        None => return None,
    };
    let found = find_postoffices(dir).ok()?;
    let mut servers: Vec<&PathBuf> = found
        .postoffices
        .iter()
        .filter(|p| p.as_path() != po_root && named(p))
        .collect();
    servers.sort_by_key(|p| std::cmp::Reverse(shared_components(po_root, p)));
    servers.first().map(|s| (*s).clone())
}

/// A postoffice's role in Dir-Sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The Dir-Sync server: it has SRVCONF.GLB.
    Server,
    /// A requestor.
    Requestor,
}

/// One queue file in a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueSummary {
    /// The file name (`REQTRANS.GLB`).
    pub name: &'static str,
    /// Its size in bytes; `None` when the file does not exist.
    pub size: Option<u64>,
    /// Records read, when it could be read.
    pub records: Option<u64>,
    /// The smallest and largest sync number in it.
    pub syncs: Option<(u32, u32)>,
}

/// SRVCONF.GLB in a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerSummary {
    /// Highest SrvSync.
    pub highest_srvsync: u32,
    /// Current Dir-Sync cycle.
    pub cycle: u32,
    /// Registered requestors.
    pub requestors: Vec<String>,
}

/// Counts of findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Notes (information).
    pub notes: usize,
    /// Of these, how many are counted but not listed (the cap per code and file).
    pub unlisted: usize,
}

impl Counts {
    /// Counts `findings`: a finding that closes a capped list counts the
    /// findings it stands for ([`Finding::unlisted`]), so the counts are real.
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            let n = if f.unlisted > 0 {
                c.unlisted += f.unlisted as usize;
                f.unlisted as usize
            } else {
                1
            };
            match f.severity {
                Severity::Error => c.errors += n,
                Severity::Warning => c.warnings += n,
                Severity::Info => c.notes += n,
            }
        }
        c
    }
}

/// One postoffice at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The postoffice directory.
    #[serde(serialize_with = "crate::postoffice::lossy_path")]
    pub root: PathBuf,
    /// `NET/PO` from its REQCONF.GLB, else the directory's name.
    pub name: String,
    /// Server or requestor.
    pub role: Role,
    /// The Dir-Sync server its REQCONF names (`NET/PO`).
    pub registered_with: Option<String>,
    /// The directory of that server, when it was found in the tree.
    pub server_found: Option<String>,
    /// True when `GLB\REQCONF.GLB` exists (its numbers are `None` when it
    /// exists but cannot be read).
    pub has_reqconf: bool,
    /// ReqSync from REQCONF.GLB.
    pub reqsync: Option<u32>,
    /// SrvSync from REQCONF.GLB.
    pub srvsync: Option<u32>,
    /// The import count from REQCONF.GLB.
    pub impsync: Option<u32>,
    /// SRVCONF.GLB's header and requestors, on the server.
    pub srvconf: Option<ServerSummary>,
    /// The transaction queues of GLB (REQTRANS, SRVTRANS, USRTRANS, NMETRANS,
    /// GWTRANS; MSTTRANS on the server; RESYNC.GLB when present).
    pub queues: Vec<QueueSummary>,
    /// Address lists (NME and USR files).
    pub address_lists: usize,
    /// Entries in them.
    pub entries: u64,
    /// Files in its folders.
    pub files: usize,
    /// Findings about its files.
    pub findings: Counts,
}

/// Everything doctor found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// One summary per postoffice, in tree order.
    pub postoffices: Vec<Summary>,
    /// Every finding, errors first (see [`super::sort`]).
    pub findings: Vec<Finding>,
    /// True when some folder, file or postoffice could not be read (GLB301).
    pub unreadable: bool,
}

struct Opened {
    po: Postoffice,
    files: Vec<(FileRef, Facts)>,
}

impl Opened {
    fn reqconf(&self) -> Option<&ReqConf> {
        self.files.iter().find_map(|(f, facts)| match facts {
            Facts::ReqConf(c) if f.kind == FileKind::Reqconf => Some(&**c),
            _ => None,
        })
    }

    fn is_server(&self) -> bool {
        super::postoffice::is_server(&self.po)
    }

    fn srvconf_records(&self) -> Option<&[RequestorRecord]> {
        self.files.iter().find_map(|(_, facts)| match facts {
            Facts::SrvConf { records, .. } => Some(records.as_slice()),
            _ => None,
        })
    }

    /// The postoffice's own `NET/PO`, as far as its files say: on the
    /// server, its own SRVCONF record ([`crate::resync::server_record`],
    /// named by its REQCONF.GLB), else the server its REQCONF names (itself);
    /// elsewhere the name REQCONF records (reconstructed).
    fn own_name(&self) -> Option<String> {
        let conf = self.reqconf();
        let cp = self.po.codepage();
        if self.is_server() {
            if let Some(records) = self.srvconf_records() {
                if let Some(i) = crate::resync::server_record(records, conf, cp).index() {
                    return Some(records[i].net_po(cp));
                }
            }
            return conf
                .map(|c| c.server(cp))
                .filter(|s| s != "/")
                .or_else(|| conf.and_then(|c| c.local(cp)));
        }
        conf.and_then(|c| c.local(cp))
    }

    fn queue_facts(&self, name: &str) -> Option<&QueueFacts> {
        self.files.iter().find_map(|(f, facts)| match facts {
            Facts::Queue(q)
                if Path::new(&f.path)
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(name)) =>
            {
                Some(q)
            }
            _ => None,
        })
    }
}

/// The postoffices to examine, opened.
pub struct Tree {
    opened: Vec<Opened>,
    findings: Vec<Finding>,
}

impl Tree {
    /// Opens every postoffice directory in `roots` (duplicates are read once).
    /// One that cannot be opened becomes a GLB301 finding. Names are read
    /// in code page `cp`.
    pub fn open(roots: &[PathBuf], cp: CodePage) -> Tree {
        let mut tree = Tree {
            opened: Vec::new(),
            findings: Vec::new(),
        };
        let mut seen: Vec<PathBuf> = Vec::new();
        for root in roots {
            let key = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            match Postoffice::open(root, cp) {
                Ok(po) => tree.opened.push(Opened {
                    po,
                    files: Vec::new(),
                }),
                Err(e) => tree.findings.push(unreadable(root, e.to_string())),
            }
        }
        tree
    }

    /// The bytes [`Tree::examine`] will read: the sizes of every file whose kind glbtool knows.
    pub fn bytes_to_read(&self) -> u64 {
        self.opened
            .iter()
            .flat_map(|o| o.po.files())
            .filter(|f| f.kind.is_some())
            .map(|f| f.size)
            .sum()
    }

    /// Runs every check. `progress` is told how many bytes were read, as they are read.
    pub fn examine(mut self, progress: &dyn Fn(u64)) -> Report {
        let mut findings = std::mem::take(&mut self.findings);
        for o in &mut self.opened {
            for f in o.po.files() {
                let Some(kind) = f.kind else {
                    // An MS Mail file glbtool does not decode: its documented size.
                    if let Some(finding) = super::sizes::check(&f.path, f.size) {
                        findings.push(finding);
                    }
                    continue;
                };
                let file = FileRef::new(f.path.display().to_string(), kind, o.po.codepage());
                let facts = match crate::open::buffered(&f.path) {
                    Ok((inner, _)) => {
                        let src = Counting { inner, progress };
                        super::file::check(&file, src, Some(f.size), &mut findings)
                    }
                    Err(e) => {
                        findings.push(unreadable(&f.path, e.to_string()));
                        Facts::None
                    }
                };
                o.files.push((file, facts));
            }
            super::postoffice::check(&o.po, o.reqconf(), &mut findings);
        }
        let servers = self.servers_of_requestors();
        for (i, o) in self.opened.iter().enumerate() {
            let unit: Vec<usize> = if o.is_server() {
                std::iter::once(i)
                    .chain((0..self.opened.len()).filter(|&r| servers[r] == Some(i)))
                    .collect()
            } else if servers[i].is_none() {
                // Requestors whose server is not in the tree (an Exchange
                // server has no postoffice) are checked together when they
                // name the same server: their REQCONF.GLB files stand in for
                // SRVCONF.GLB (KB Q119449, Q215505).
                let named = |o: &Opened| {
                    o.reqconf()
                        .map(|c| c.server(o.po.codepage()).to_ascii_uppercase())
                        .filter(|s| s != "/")
                };
                match named(o) {
                    Some(want) => {
                        let peers: Vec<usize> = (0..self.opened.len())
                            .filter(|&j| {
                                servers[j].is_none()
                                    && !self.opened[j].is_server()
                                    && named(&self.opened[j]).as_deref() == Some(want.as_str())
                            })
                            .collect();
                        if peers.first() != Some(&i) {
                            continue; // checked with the first of them
                        }
                        peers
                    }
                    None => vec![i],
                }
            } else {
                continue; // checked with its server
            };
            let checked: Vec<(&FileRef, &Facts)> = unit
                .iter()
                .flat_map(|&u| self.opened[u].files.iter().map(|(f, x)| (f, x)))
                .collect();
            super::cross::check(&checked, &mut findings);
            if o.is_server() {
                let members: Vec<&Opened> = unit.iter().map(|&u| &self.opened[u]).collect();
                lists_against_server(o, &members, &mut findings);
            }
        }
        super::sort(&mut findings);
        let postoffices = self
            .opened
            .iter()
            .enumerate()
            .map(|(i, o)| self.summary(o, servers[i], &findings))
            .collect();
        let unreadable = findings.iter().any(|f| f.code == "GLB301");
        Report {
            postoffices,
            findings,
            unreadable,
        }
    }

    /// For each postoffice, the index of the server it belongs to (`None` for
    /// servers and for requestors whose server is not in the tree).
    fn servers_of_requestors(&self) -> Vec<Option<usize>> {
        let names: Vec<Option<String>> = self
            .opened
            .iter()
            .map(|o| o.own_name().map(|n| n.to_ascii_uppercase()))
            .collect();
        self.opened
            .iter()
            .map(|o| {
                if o.is_server() {
                    return None;
                }
                let want = o.reqconf()?.server(o.po.codepage()).to_ascii_uppercase();
                // A server whose own name its files do not tell is matched
                // by a SRVCONF record carrying the name the requestor gives.
                let serves = |s: usize| match self.opened[s].srvconf_records() {
                    Some(r) => is_server_named(
                        r,
                        self.opened[s].reqconf(),
                        &want,
                        self.opened[s].po.codepage(),
                    ),
                    None => names[s].as_deref() == Some(&want),
                };
                (0..self.opened.len())
                    .filter(|&s| self.opened[s].is_server() && serves(s))
                    .max_by_key(|&s| shared_components(o.po.root(), self.opened[s].po.root()))
            })
            .collect()
    }

    fn summary(&self, o: &Opened, server: Option<usize>, findings: &[Finding]) -> Summary {
        let conf = o.reqconf();
        let root = o.po.root();
        let mut queues = Vec::new();
        for kind in [
            FileKind::Reqtrans,
            FileKind::Srvtrans,
            FileKind::Usrtrans,
            FileKind::Nmetrans,
            FileKind::Gwtrans,
            FileKind::Msttrans,
            FileKind::Resync,
        ] {
            let name = kind.file_name();
            let file = o.po.find(Folder::Glb, name);
            let optional = matches!(kind, FileKind::Msttrans | FileKind::Resync);
            if file.is_none()
                && (optional || !o.po.folders().iter().any(|(f, _)| *f == Folder::Glb))
            {
                continue;
            }
            let q = o.queue_facts(name);
            queues.push(QueueSummary {
                name,
                size: file.map(|f| f.size),
                records: q.filter(|q| q.complete).map(|q| q.records),
                syncs: q.and_then(|q| q.min_sync.zip(q.max_sync)),
            });
        }
        let srvconf = o.files.iter().find_map(|(_, facts)| match facts {
            Facts::SrvConf { header, records } => Some(ServerSummary {
                highest_srvsync: header.highest_srvsync,
                cycle: header.cycle,
                requestors: records
                    .iter()
                    .map(|r| r.name.decode(o.po.codepage()))
                    .collect(),
            }),
            _ => None,
        });
        let lists = o.po.address_lists();
        Summary {
            root: root.to_path_buf(),
            name: o.own_name().unwrap_or_else(|| {
                root.file_name().map_or_else(
                    || root.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            }),
            role: if o.is_server() {
                Role::Server
            } else {
                Role::Requestor
            },
            has_reqconf: o.po.find(Folder::Glb, "REQCONF.GLB").is_some(),
            registered_with: conf.map(|c| c.server(o.po.codepage())).filter(|s| s != "/"),
            server_found: server.map(|s| self.opened[s].po.root().display().to_string()),
            reqsync: conf.map(|c| c.reqsync),
            srvsync: conf.map(|c| c.srvsync),
            impsync: conf.map(|c| c.impsync),
            srvconf,
            queues,
            address_lists: lists.len(),
            entries: lists.iter().map(|l| l.entries).sum(),
            files: o.po.files().len(),
            findings: Counts::of(
                findings
                    .iter()
                    .filter(|f| Path::new(&f.file).starts_with(root)),
            ),
        }
    }
}

/// GLB350: each postoffice of a server's unit (the server included) holds
/// the address lists the server's MSTTRANS.GLB says it should, replayed up to
/// that postoffice's SrvSync ([`crate::compare`]). Left out, because the
/// server's view would be incomplete and another finding names the cause:
/// a purged MSTTRANS.GLB (GLB139), one that ends below the postoffice's
/// SrvSync (GLB138), and a postoffice whose REQCONF.GLB cannot be read.
/// A comparison that would hold more than glbtool holds in memory
/// ([`crate::replay::MAX_HELD`], [`crate::compare::READ_LIMIT`]) is not
/// made, and a GLB313 note says so. One replayed view is held at a time:
/// the postoffices are taken in SrvSync order.
fn lists_against_server(server: &Opened, members: &[&Opened], out: &mut Vec<Finding>) {
    use crate::compare::{RequestorView, ServerView};
    let Some(mst) = server.po.find(Folder::Glb, "MSTTRANS.GLB") else {
        return;
    };
    let Some(facts) = server.queue_facts("MSTTRANS.GLB") else {
        return;
    };
    let (Some(first), Some(last), true) = (facts.min_sync, facts.max_sync, facts.complete) else {
        return;
    };
    if first > 1 {
        return; // purged (Keep Updates): the early lists are not in MSTTRANS
    }
    let not_compared = |file: String, e: Error| {
        Finding::new(
            "GLB313",
            file,
            Some(FileKind::Msttrans),
            format!(
                "the lists were not compared with what the server's MSTTRANS.GLB says they hold (GLB350): {e}"
            ),
        )
    };
    let mut wanted: Vec<(usize, u32)> = members
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let srvsync = m.reqconf().map(|c| c.srvsync)?;
            (srvsync != 0 && srvsync <= last).then_some((i, srvsync))
        })
        .collect();
    wanted.sort_by_key(|&(i, srvsync)| (srvsync, i));
    let mut found: Vec<(usize, Finding)> = Vec::new();
    let mut view: Option<(u32, ServerView)> = None;
    for (i, srvsync) in wanted {
        if view.as_ref().map(|(s, _)| *s) != Some(srvsync) {
            drop(view.take()); // the last one goes before the next is made
            match ServerView::open(&mst.path, Some(srvsync), server.po.codepage()) {
                Ok(v) => view = Some((srvsync, v)),
                Err(e) if matches!(e.inner(), Error::Limit { .. }) => {
                    found.push((i, not_compared(mst.path.display().to_string(), e)));
                    break;
                }
                Err(_) => break,
            }
        }
        let Some((_, v)) = &view else { break };
        let m = members[i];
        let requestor = match RequestorView::open_postoffice(m.po.root(), None, m.po.codepage()) {
            Ok(r) => r,
            Err(e) if matches!(e.inner(), Error::Limit { .. }) => {
                let mut f = not_compared(m.po.root().display().to_string(), e);
                f.kind = None;
                found.push((i, f));
                continue;
            }
            Err(_) => continue,
        };
        let cmp = crate::compare::compare(v, &requestor, None);
        for d in cmp.differing() {
            found.push((i, list_finding(m, d, srvsync)));
        }
    }
    found.sort_by_key(|(i, _)| *i);
    out.extend(found.into_iter().map(|(_, f)| f));
}

fn list_finding(m: &Opened, d: &crate::compare::PostofficeDiff, srvsync: u32) -> Finding {
    use crate::compare::ListStatus;
    let file = d.requestor_file.clone().unwrap_or_else(|| {
        m.po.folders()
            .iter()
            .find(|(f, _)| *f == Folder::Usr)
            .map_or_else(
                || m.po.root().display().to_string(),
                |(_, p)| p.display().to_string(),
            )
    });
    let names = |entries: &mut dyn Iterator<Item = &String>| {
        let all: Vec<&String> = entries.collect();
        let shown: Vec<String> = all.iter().take(3).map(|n| format!("{n:?}")).collect();
        let more = all.len().saturating_sub(3);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    let mut detail = Vec::new();
    if !d.missing.is_empty() {
        detail.push(format!(
            "missing {}",
            names(&mut d.missing.iter().map(|e| &e.name))
        ));
    }
    if !d.extra.is_empty() {
        detail.push(format!(
            "extra {}",
            names(&mut d.extra.iter().map(|e| &e.name))
        ));
    }
    if !d.changed.is_empty() {
        detail.push(format!(
            "held differently {}",
            names(&mut d.changed.iter().map(|c| &c.server.name))
        ));
    }
    if !d.duplicates.is_empty() {
        detail.push(format!(
            "held twice {}",
            names(&mut d.duplicates.iter().map(|e| &e.name))
        ));
    }
    let advice = d.cause_and_remedy();
    let cause = format!(
        "{}'s list of {} differs from what the server's MSTTRANS.GLB says it holds after transaction {srvsync} (its SrvSync): {}{}",
        m.own_name().unwrap_or_else(|| m.po.root().display().to_string()),
        d.name,
        advice.as_ref().map_or("", |a| a.cause.as_str()),
        if detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", detail.join("; "))
        }
    );
    let mut f = Finding::new("GLB350", file, Some(FileKind::Usr), cause).fix(Fix::Procedure {
        text: advice.map_or_else(|| crate::compare::IMPORT_REMEDY.to_string(), |a| a.remedy),
        source: "KB Q96060",
    });
    if d.requestor_file
        .as_deref()
        .is_some_and(|p| p.to_ascii_uppercase().ends_with(".NME"))
    {
        f.kind = Some(FileKind::Nme);
    }
    if d.status == ListStatus::ExtraList {
        // A postoffice defined locally (External-Admin) is allowed.
        f = f.severity(Severity::Info);
    }
    f
}

/// How many leading path components two paths share.
fn shared_components(a: &Path, b: &Path) -> usize {
    a.components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .count()
}

/// A reader that reports the bytes it reads.
struct Counting<'a, R> {
    inner: R,
    progress: &'a dyn Fn(u64),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.progress)(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdir::{put, temp};

    #[test]
    fn postoffices_are_found_here_or_one_or_two_levels_down() {
        let d = temp("doctor-find");
        let root = &d.0;
        put(root, "net/MONT/GLB/REQCONF.GLB", &[]);
        put(root, "net/taylor/glb/REQCONF.GLB", &[]);
        put(root, "lone/GLB/x", &[]);
        put(root, "deep/a/b/GLB/x", &[]); // three levels down: not searched
        put(root, ".hidden/PO/GLB/x", &[]);
        put(root, "file-not-dir/GLB", b"a file named GLB");
        let found = find_postoffices(root).unwrap();
        let rel: Vec<String> = found
            .postoffices
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(rel, ["lone", "net/MONT", "net/taylor"]);
        // A postoffice given directly is that postoffice alone.
        let one = find_postoffices(&root.join("net/MONT")).unwrap();
        assert_eq!(one.postoffices, [root.join("net/MONT")]);
        // Not a directory, or missing: an error naming it.
        let e = find_postoffices(&root.join("file-not-dir/GLB")).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
        assert!(find_postoffices(&root.join("nowhere")).is_err());
    }

    #[test]
    fn a_postoffice_that_cannot_be_opened_is_a_301_finding() {
        let d = temp("doctor-open");
        let tree = Tree::open(
            &[d.0.join("missing")],
            glb_formats::codepage::CodePage::Cp850,
        );
        assert_eq!(tree.bytes_to_read(), 0);
        let report = tree.examine(&|_| {});
        assert!(report.unreadable);
        assert_eq!(report.findings[0].code, "GLB301");
        assert!(report.postoffices.is_empty());
    }

    #[test]
    fn progress_counts_every_byte_read() {
        let d = temp("doctor-progress");
        put(&d.0, "GLB/REQCONF.GLB", &[0; 512]);
        put(&d.0, "GLB/NOTES.TXT", &[0; 100]); // not a known kind: not read
        put(&d.0, "NME/ADMIN.NME", &[0; 90]);
        put(&d.0, "NME/ADMINSHD.NME", &[0; 90]);
        let tree = Tree::open(
            std::slice::from_ref(&d.0),
            glb_formats::codepage::CodePage::Cp850,
        );
        assert_eq!(tree.bytes_to_read(), 512 + 90 + 90);
        let read = std::cell::Cell::new(0u64);
        let report = tree.examine(&|n| read.set(read.get() + n));
        assert_eq!(read.get(), 512 + 90 + 90);
        assert_eq!(report.postoffices.len(), 1);
        assert!(report.postoffices[0].has_reqconf);
    }
}
