//! The files a verdict needs beside the ones given, found by themselves
//! (`validate` and `patch-seq`): the REQCONF.GLB of the requestor a file
//! belongs to, and the Dir-Sync server's SRVCONF.GLB, REQCONF.GLB and
//! MSTTRANS.GLB when that REQCONF names a server reachable in the same tree
//! (found the way `doctor` finds postoffices). Files given on the command
//! line (or with `--against`) take the place of the ones found; `--alone`
//! turns the search off. Whatever a verdict needed and did not get is said
//! (GLB313, "not checked against ..."), never passed over as "ok".

use std::path::{Path, PathBuf};

use glb_dirsync::check::doctor::{find_server, in_glb};
use glb_dirsync::check::file::Facts;
use glb_dirsync::check::{FileRef, Finding, Fix};
use glb_dirsync::postoffice::Folder;
use glb_formats::reqconf::ReqConf;
use glb_formats::{CodePage, FileKind, SyncFile};
use serde::Serialize;

use crate::safe_write::beside;

/// What a context file is to the files given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The REQCONF.GLB of the postoffice a file sits in.
    RequestorReqconf,
    /// The Dir-Sync server's SRVCONF.GLB.
    ServerSrvconf,
    /// The Dir-Sync server's own REQCONF.GLB (it names the server's SRVCONF record).
    ServerReqconf,
    /// The Dir-Sync server's MSTTRANS.GLB.
    ServerMsttrans,
    /// The REQTRANS.GLB beside a REQCONF.GLB (numbered against its ReqSync).
    PostofficeReqtrans,
    /// A RESYNC.GLB waiting beside a REQCONF.GLB (its header against its numbers).
    PostofficeResync,
    /// The REQCONF.GLB of another requestor of the same Dir-Sync server, when
    /// the server is not in the tree (Exchange as the server has no SRVCONF.GLB).
    PeerReqconf,
}

impl Role {
    /// What the role is, for the output.
    pub fn describe(self) -> &'static str {
        match self {
            Role::RequestorReqconf => "the postoffice's REQCONF.GLB",
            Role::ServerSrvconf => "the Dir-Sync server's SRVCONF.GLB",
            Role::ServerReqconf => "the Dir-Sync server's REQCONF.GLB",
            Role::ServerMsttrans => "the Dir-Sync server's MSTTRANS.GLB",
            Role::PostofficeReqtrans => "the postoffice's REQTRANS.GLB",
            Role::PostofficeResync => "the RESYNC.GLB waiting in the postoffice",
            Role::PeerReqconf => {
                "another requestor's REQCONF.GLB, registered with the same Dir-Sync server"
            }
        }
    }

    fn kind(self) -> FileKind {
        match self {
            Role::RequestorReqconf | Role::ServerReqconf | Role::PeerReqconf => FileKind::Reqconf,
            Role::ServerSrvconf => FileKind::Srvconf,
            Role::ServerMsttrans => FileKind::Msttrans,
            Role::PostofficeReqtrans => FileKind::Reqtrans,
            Role::PostofficeResync => FileKind::Resync,
        }
    }
}

/// A file found as context.
#[derive(Debug, Clone, Serialize)]
pub struct ContextFile {
    /// Its path.
    #[serde(serialize_with = "lossy")]
    pub path: PathBuf,
    /// Its kind.
    pub kind: FileKind,
    /// What it is to the files given.
    pub role: Role,
}

fn lossy<S: serde::Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.display().to_string())
}

/// The roles a file of `kind` needs for its verdicts. `on_server`: the file
/// sits beside a SRVCONF.GLB.
fn needs(kind: FileKind, on_server: bool) -> &'static [Role] {
    match (kind.sync_file(), on_server) {
        (Some(SyncFile::Resync), false) => &[
            Role::RequestorReqconf,
            Role::ServerSrvconf,
            Role::ServerReqconf,
        ],
        (Some(SyncFile::Resync), true) => &[Role::ServerSrvconf, Role::ServerReqconf],
        (Some(SyncFile::Reqtrans), _) => &[Role::RequestorReqconf],
        // Whether it is a requestor's: REQCONF.GLB and no SRVCONF.GLB beside.
        (Some(SyncFile::Process), _) => &[Role::RequestorReqconf],
        (Some(SyncFile::Reqconf), _) => &[Role::ServerSrvconf, Role::ServerMsttrans],
        (Some(SyncFile::Srvconf), _) | (Some(SyncFile::Msttrans), _) => &[
            Role::ServerSrvconf,
            Role::ServerReqconf,
            Role::ServerMsttrans,
        ],
        (None, _) => &[],
    }
}

/// Why a role could not be filled, for the "not checked against" note.
#[derive(Debug, Clone)]
struct Missing {
    role: Role,
    why: String,
}

/// The context found for the files given, and what could not be found.
#[derive(Debug, Default)]
pub struct Context {
    /// The files found, each once.
    pub files: Vec<ContextFile>,
    /// Per given file (by path as shown): what its verdicts lack, and why.
    missing: Vec<(String, Vec<Missing>)>,
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The postoffice directory of a file in its GLB folder.
fn po_root_of(path: &Path) -> Option<PathBuf> {
    let folder = path.parent()?;
    let name = folder.file_name()?.to_str()?;
    if !name.eq_ignore_ascii_case(Folder::Glb.name()) {
        return None;
    }
    Some(match folder.parent() {
        Some(r) if !r.as_os_str().is_empty() => r.to_path_buf(),
        _ => PathBuf::from("."),
    })
}

/// The REQCONF.GLB at `path`, or why it cannot be read (without its path:
/// the sentences around name it).
fn read_reqconf(path: &Path, cp: CodePage) -> Result<ReqConf, String> {
    match crate::input::found_reqconf(path, cp) {
        Ok(Some(conf)) => Ok(conf),
        Ok(None) => Err("it holds no configuration".into()),
        Err(e) => Err(crate::input::reason(&e)),
    }
}

/// The Dir-Sync server's files for a file at `path`: `Ok(dir of its GLB)` or why not.
fn server_glb(path: &Path, reqconf: Option<&Path>, cp: CodePage) -> Result<PathBuf, String> {
    if beside(path, "SRVCONF.GLB").is_some() {
        return Ok(path.parent().unwrap_or(Path::new(".")).to_path_buf());
    }
    let Some(rc) = reqconf else {
        return Err("no REQCONF.GLB beside it names its Dir-Sync server".into());
    };
    let conf = match read_reqconf(rc, cp) {
        Ok(conf) => conf,
        Err(why) => {
            return Err(format!(
                "{} cannot be read ({why}), so its Dir-Sync server is not known",
                rc.display()
            ))
        }
    };
    let name = conf.server(cp);
    if name == "/" {
        return Err(format!("{} names no Dir-Sync server", rc.display()));
    }
    let Some(root) = po_root_of(path) else {
        return Err(format!(
            "the file is not in a postoffice's GLB folder, so the Dir-Sync server {name} its REQCONF.GLB names was not looked for; give its files with --against"
        ));
    };
    match find_server(&root, &name, cp) {
        Some(server) => Ok(in_glb(&server, "SRVCONF.GLB")
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or(server)),
        None => Err(format!(
            "the Dir-Sync server {name} its REQCONF.GLB names is not in this tree (with Exchange as the server there is no SRVCONF.GLB: give the requestors' REQCONF.GLB files instead); give its files with --against"
        )),
    }
}

/// The REQCONF.GLB files of the other requestors in the tree around the
/// postoffice of `path` (found as `doctor` finds postoffices, below its parent)
/// registered with the same Dir-Sync server as its own REQCONF.GLB names,
/// and those that cannot be read (whether they are is not known), each with
/// the reason.
fn peer_reqconfs(
    path: &Path,
    reqconf: Option<&Path>,
    cp: CodePage,
) -> (Vec<PathBuf>, Vec<Missing>) {
    let none = (Vec::new(), Vec::new());
    // Its own REQCONF.GLB unread is said with the server's files (`server_glb`).
    let Some(want) = reqconf
        .and_then(|rc| read_reqconf(rc, cp).ok())
        .map(|c| c.server(cp))
        .filter(|s| s != "/")
    else {
        return none;
    };
    let Some(root) = po_root_of(path) else {
        return none;
    };
    let parent = match root.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(found) = glb_dirsync::check::doctor::find_postoffices(&parent) else {
        return none;
    };
    let (mut peers, mut unread) = none;
    for rc in found
        .postoffices
        .iter()
        .filter(|po| !same_path(po, &root) && in_glb(po, "SRVCONF.GLB").is_none())
        .filter_map(|po| in_glb(po, "REQCONF.GLB"))
    {
        match read_reqconf(&rc, cp) {
            Ok(c) if c.server(cp).eq_ignore_ascii_case(&want) => peers.push(rc),
            Ok(_) => {}
            Err(why) => unread.push(Missing {
                role: Role::PeerReqconf,
                why: format!(
                    "{} cannot be read ({why}), so whether it is registered with {want} is not known",
                    rc.display()
                ),
            }),
        }
    }
    (peers, unread)
}

/// Finds the context of the files `given` (path and kind; files and `--against`
/// alike). A role already filled by a file given is not searched for.
pub fn find(given: &[(PathBuf, FileKind)], alone: bool, cp: CodePage) -> Context {
    let mut ctx = Context::default();
    let given_kind = |k: FileKind| given.iter().any(|(_, g)| *g == k);
    let is_given = |p: &Path| given.iter().any(|(g, _)| same_path(g, p));
    for (path, kind) in given {
        let on_server = beside(path, "SRVCONF.GLB").is_some();
        let roles = needs(*kind, on_server);
        if roles.is_empty() {
            continue;
        }
        let mut missing = Vec::new();
        let add = |ctx: &mut Context, p: PathBuf, role: Role| {
            if is_given(&p) || ctx.files.iter().any(|f| same_path(&f.path, &p)) {
                return;
            }
            ctx.files.push(ContextFile {
                path: p,
                kind: role.kind(),
                role,
            });
        };
        // The postoffice's own REQCONF.GLB.
        let own_reqconf = beside(path, "REQCONF.GLB");
        if roles.contains(&Role::RequestorReqconf) && !given_kind(FileKind::Reqconf) {
            match (&own_reqconf, alone) {
                (Some(rc), false) => add(&mut ctx, rc.clone(), Role::RequestorReqconf),
                (_, true) => missing.push(Missing {
                    role: Role::RequestorReqconf,
                    why: "--alone".into(),
                }),
                (None, false) => missing.push(Missing {
                    role: Role::RequestorReqconf,
                    why: "there is none beside it; give it with --against".into(),
                }),
            }
        }
        // A RESYNC.GLB waiting on a requestor: the REQTRANS.GLB beside it,
        // whose changes not yet sent IMPORT -Q leaves behind (GLB317, KB
        // Q119452). Read when it is there; its absence is no verdict missing.
        if *kind == FileKind::Resync
            && !on_server
            && !alone
            && own_reqconf.is_some()
            && !given_kind(FileKind::Reqtrans)
        {
            if let Some(p) = beside(path, "REQTRANS.GLB") {
                add(&mut ctx, p, Role::PostofficeReqtrans);
            }
        }
        // PROCESS.GLB: a SRVCONF.GLB beside it makes the postoffice the server.
        if *kind == FileKind::Process && !alone && !given_kind(FileKind::Srvconf) {
            if let Some(p) = beside(path, "SRVCONF.GLB") {
                add(&mut ctx, p, Role::ServerSrvconf);
            }
            ctx.missing.push((path.display().to_string(), missing));
            continue;
        }
        // The queues whose numbers a REQCONF.GLB governs, when they are there.
        if *kind == FileKind::Reqconf && !alone {
            for (name, role, k) in [
                ("REQTRANS.GLB", Role::PostofficeReqtrans, FileKind::Reqtrans),
                ("RESYNC.GLB", Role::PostofficeResync, FileKind::Resync),
            ] {
                if given_kind(k) {
                    continue;
                }
                if let Some(p) = beside(path, name) {
                    add(&mut ctx, p, role);
                }
            }
        }
        // The server's files.
        let server_roles: Vec<Role> = roles
            .iter()
            .copied()
            .filter(|r| *r != Role::RequestorReqconf)
            .collect();
        if server_roles.is_empty() {
            ctx.missing.push((path.display().to_string(), missing));
            continue;
        }
        // A SRVCONF.GLB given: its directory is the server's.
        let given_srvconf = given
            .iter()
            .find(|(_, k)| *k == FileKind::Srvconf)
            .map(|(p, _)| p.parent().unwrap_or(Path::new(".")).to_path_buf());
        let glb = match (given_srvconf, alone) {
            (Some(dir), _) => Ok(dir),
            (None, true) => Err("--alone".to_string()),
            (None, false) => server_glb(path, own_reqconf.as_deref(), cp),
        };
        match glb {
            Ok(dir) => {
                for role in server_roles {
                    let name = match role {
                        Role::ServerSrvconf => "SRVCONF.GLB",
                        Role::ServerReqconf => "REQCONF.GLB",
                        _ => "MSTTRANS.GLB",
                    };
                    let filled = match role {
                        Role::ServerSrvconf => given_kind(FileKind::Srvconf),
                        Role::ServerMsttrans => given_kind(FileKind::Msttrans),
                        // The server's REQCONF: one given in its directory.
                        _ => given.iter().any(|(p, k)| {
                            *k == FileKind::Reqconf
                                && p.parent().is_some_and(|d| same_path(d, &dir))
                        }),
                    };
                    if filled {
                        continue;
                    }
                    match (alone, beside(&dir.join(name), name)) {
                        (false, Some(p)) => add(&mut ctx, p, role),
                        (true, _) => missing.push(Missing {
                            role,
                            why: "--alone".into(),
                        }),
                        (false, None) => missing.push(Missing {
                            role,
                            why: format!("{} has none", dir.display()),
                        }),
                    }
                }
            }
            Err(why) => {
                // The server is not in the tree: for a RESYNC.GLB, the other
                // requestors registered with the same server stand in for its
                // SRVCONF.GLB (the KB Q119449 rule over their REQCONF.GLB).
                if *kind == FileKind::Resync && !alone && !given_kind(FileKind::Srvconf) {
                    let (peers, unread) = peer_reqconfs(path, own_reqconf.as_deref(), cp);
                    for p in peers {
                        add(&mut ctx, p, Role::PeerReqconf);
                    }
                    missing.extend(unread);
                }
                for role in server_roles {
                    let filled = match role {
                        Role::ServerSrvconf => given_kind(FileKind::Srvconf),
                        Role::ServerMsttrans => given_kind(FileKind::Msttrans),
                        _ => given_kind(FileKind::Srvconf),
                    };
                    if !filled {
                        missing.push(Missing {
                            role,
                            why: why.clone(),
                        });
                    }
                }
            }
        }
        ctx.missing.push((path.display().to_string(), missing));
    }
    ctx
}

impl Context {
    /// The paths and kinds to check with the files given.
    pub fn paths(&self) -> Vec<(PathBuf, Option<FileKind>)> {
        self.files
            .iter()
            .map(|f| (f.path.clone(), Some(f.kind)))
            .collect()
    }

    /// True when `path` (as shown) is a context file.
    pub fn holds(&self, shown: &str) -> bool {
        self.files
            .iter()
            .any(|f| f.path.display().to_string() == shown)
    }

    /// The GLB313 notes: for each file given, the verdicts not reached for
    /// want of a file (`unread`: context files that could not be read).
    pub fn notes(
        &self,
        given: &[(String, FileKind)],
        unread: &[String],
        cp: CodePage,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        for (shown, kind) in given {
            let mut lacks: Vec<String> = self
                .missing
                .iter()
                .filter(|(p, _)| p == shown)
                .flat_map(|(_, m)| m.iter())
                .filter(|m| m.role != Role::ServerReqconf)
                .map(|m| format!("{} ({})", m.role.describe(), m.why))
                .collect();
            lacks.extend(
                self.files
                    .iter()
                    .filter(|f| unread.contains(&f.path.display().to_string()))
                    .filter(|f| {
                        needs(*kind, false).contains(&f.role)
                            || needs(*kind, true).contains(&f.role)
                    })
                    .map(|f| {
                        format!(
                            "{} ({} cannot be read)",
                            f.role.describe(),
                            f.path.display()
                        )
                    }),
            );
            if lacks.is_empty() {
                continue;
            }
            let what = match kind.sync_file() {
                Some(SyncFile::Resync) => "its header numbers (GLB014, KB Q119449)",
                Some(SyncFile::Reqtrans) => {
                    "its transaction numbers against ReqSync (GLB171, KB Q119452)"
                }
                Some(SyncFile::Reqconf) => {
                    "its numbers against the server's (GLB138, GLB139, GLB341)"
                }
                Some(SyncFile::Process) => "whether it schedules T2 on a requestor (GLB161)",
                Some(SyncFile::Srvconf | SyncFile::Msttrans) | None => {
                    "its numbers against the server's (GLB138, GLB139)"
                }
            };
            out.push(
                FileRef::new(shown.clone(), *kind, cp)
                    .finding(
                        "GLB313",
                        format!("{what}: not checked against {}", lacks.join("; ")),
                    )
                    .fix(Fix::Procedure {
                        text: "give the missing files with --against (or run glbtool doctor on the folder that holds the postoffices)".into(),
                        source: "KB Q96060",
                    }),
            );
        }
        out
    }
}

/// True when the facts of a context file say it could not be read.
pub fn unread(facts: &Facts) -> bool {
    matches!(facts, Facts::None)
}
