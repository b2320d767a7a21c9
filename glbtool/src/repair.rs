//! What a `patch-seq` repair must agree with, and whether its result does:
//! the files beside the one patched, found as `validate` finds them
//! (`context`), and the cross-file verdicts (`check::cross`) of the file
//! before and after the patch against them. A result that still predicts an
//! MS Mail error for those files is refused unless `--force`
//! (`docs/safety.md`, `docs/checks.md`).

use std::io::BufReader;
use std::path::{Path, PathBuf};

use glb_dirsync::check::doctor::is_server_named;
use glb_dirsync::check::file::Facts;
use glb_dirsync::check::{self, FileRef, Finding, Severity};
use glb_formats::reqconf::ReqConf;
use glb_formats::srvconf::RequestorRecord;
use glb_formats::{CodePage, FileKind};

use crate::context::{self, ContextFile};
use crate::input;
use crate::output::CliError;
use crate::safe_write::beside;

/// True when `a` and `b` name the same file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The files beside the one patched, read once.
pub struct Surroundings {
    /// The context files found, and the ones given.
    pub files: Vec<(FileRef, Facts)>,
    /// The files found by themselves (for the report).
    pub found: Vec<ContextFile>,
    /// What the verdicts could not be checked against (GLB313 causes).
    pub unchecked: Vec<String>,
    /// The code page of the files' text.
    codepage: CodePage,
}

/// The facts of a file found or named as context; `None` facts when it is
/// not a regular file or cannot be read (a FIFO there is never opened).
fn facts_of(path: &Path, kind: FileKind, cp: CodePage) -> Facts {
    let Ok(inp) = input::open_found(path, Some(kind)) else {
        return Facts::None;
    };
    let file = FileRef::new(path.display().to_string(), kind, cp);
    let mut ignored = Vec::new();
    check::file::check(&file, BufReader::new(inp.reader), inp.size, &mut ignored)
}

impl Surroundings {
    /// The context of `file` (of `kind`): the files given (`given`, with
    /// their kinds: `--against`, `--from-srvconf`) and, unless `alone`, the
    /// ones found beside it.
    pub fn find(
        file: &Path,
        kind: FileKind,
        given: &[(PathBuf, FileKind)],
        alone: bool,
        cp: CodePage,
    ) -> Surroundings {
        let mut all = vec![(file.to_path_buf(), kind)];
        all.extend(given.iter().cloned());
        let ctx = context::find(&all, alone, cp);
        let mut files = Vec::new();
        let found = ctx.files.iter().map(|c| (&c.path, &c.kind));
        for (p, k) in given.iter().map(|(p, k)| (p, k)).chain(found) {
            files.push((
                FileRef::new(p.display().to_string(), *k, cp),
                facts_of(p, *k, cp),
            ));
        }
        let unread: Vec<String> = files
            .iter()
            .filter(|(_, f)| context::unread(f))
            .map(|(r, _)| r.path.clone())
            .collect();
        let unchecked = ctx
            .notes(&[(file.display().to_string(), kind)], &unread, cp)
            .into_iter()
            .map(|f| f.cause)
            .collect();
        Surroundings {
            files,
            found: ctx.files,
            unchecked,
            codepage: cp,
        }
    }

    /// The paths read (to fingerprint before reading).
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .map(|(r, _)| PathBuf::from(&r.path))
            .collect()
    }

    /// The cross-file findings of `file` (shown as `shown`, with `facts`)
    /// against these files.
    pub fn verdicts(&self, shown: &Path, kind: FileKind, facts: Facts) -> Vec<Finding> {
        let me = (
            FileRef::new(shown.display().to_string(), kind, self.codepage),
            facts,
        );
        let mut checked: Vec<(&FileRef, &Facts)> = vec![(&me.0, &me.1)];
        checked.extend(self.files.iter().map(|(r, f)| (r, f)));
        let mut out = Vec::new();
        check::cross::check(&checked, &mut out);
        out
    }
}

/// True for a finding that predicts an MS Mail or Exchange error.
fn predicts_error(f: &Finding) -> bool {
    f.severity == Severity::Error && f.predicts.is_some()
}

/// The error predictions a patch's result still gives (`after`) for the file
/// patched (`shown`) and the files beside it: every one about the file
/// itself, and those about files in its directory that the file before the
/// patch (`before`) did not give.
pub fn still_predicted(shown: &Path, before: &[Finding], after: &[Finding]) -> Vec<Finding> {
    let me = shown.display().to_string();
    let dir = shown.parent().unwrap_or(Path::new(""));
    after
        .iter()
        .filter(|f| predicts_error(f))
        .filter(|f| {
            f.file == me
                || (Path::new(&f.file).parent() == Some(dir)
                    && !before
                        .iter()
                        .any(|b| predicts_error(b) && b.code == f.code && b.file == f.file))
        })
        .cloned()
        .collect()
}

/// The postoffice a file in `<po>/GLB/` belongs to, by its directory name.
fn postoffice_dir_name(file: &Path) -> Option<String> {
    let glb = file.parent()?;
    if !glb.file_name()?.to_str()?.eq_ignore_ascii_case("GLB") {
        return None;
    }
    Some(glb.parent()?.file_name()?.to_str()?.to_string())
}

/// `--from-srvconf`: the requestor that will import the RESYNC.GLB at `file`
/// (the one whose REQCONF.GLB is beside it) must be registered with the
/// server whose SRVCONF.GLB (`records`, with the server's REQCONF.GLB
/// `server_conf`) gives the numbers: its REQCONF names that server, and a
/// SRVCONF record carries its name (its postoffice directory's, else the name
/// REQCONF records, reconstructed). Refuses otherwise; says what it could not
/// check.
pub fn registered(
    file: &Path,
    srvconf: &Path,
    records: &[RequestorRecord],
    server_conf: Option<&ReqConf>,
    cp: CodePage,
) -> Result<Option<String>, CliError> {
    let Some(rc) = beside(file, "REQCONF.GLB") else {
        return Ok(Some(format!(
            "not checked that the requestor is registered in {}: no REQCONF.GLB beside {} says which requestor will import it",
            srvconf.display(),
            file.display()
        )));
    };
    let conf = match input::found_reqconf(&rc, cp) {
        Ok(Some(conf)) => conf,
        Ok(None) => {
            return Ok(Some(format!(
                "not checked that the requestor is registered in {}: {} holds no configuration",
                srvconf.display(),
                rc.display()
            )))
        }
        Err(e) => {
            return Ok(Some(format!(
                "not checked that the requestor is registered in {}: {} cannot be read ({})",
                srvconf.display(),
                rc.display(),
                input::reason(&e)
            )))
        }
    };
    let server = conf.server(cp);
    if server != "/" && !is_server_named(records, server_conf, &server, cp) {
        return Err(CliError::usage(format!(
            "--from-srvconf: {} names the Dir-Sync server {server}, but {} is not that server's SRVCONF.GLB; nothing was written",
            rc.display(),
            srvconf.display()
        ))
        .file(file)
        .with_hint(format!("give the SRVCONF.GLB of {server}")));
    }
    let names: Vec<String> = records.iter().map(|r| r.name.decode(cp)).collect();
    // The requestor's name: its postoffice directory's, else the name its
    // REQCONF records (reconstructed), as the cross-file checks match it.
    let by_dir = |dir: &str| {
        records.iter().any(|r| {
            r.net_po(cp)
                .rsplit_once('/')
                .is_some_and(|(_, po)| po.trim().eq_ignore_ascii_case(dir))
        })
    };
    let found = match (postoffice_dir_name(file), conf.local(cp)) {
        (Some(dir), _) if by_dir(&dir) => Some((dir, true)),
        (_, Some(local)) => Some((
            local.clone(),
            records.iter().any(|r| r.is_named(&local, cp)),
        )),
        (Some(dir), None) => Some((dir, false)),
        (None, None) => None,
    };
    match found {
        Some((_, true)) => Ok(None),
        Some((who, false)) => Err(CliError::usage(format!(
            "--from-srvconf: the requestor {who} (whose REQCONF.GLB is beside {}) is not registered in {}, whose requestors are {}: that server's numbers are not this requestor's; nothing was written",
            file.display(),
            srvconf.display(),
            if names.is_empty() { "none".to_string() } else { names.join(", ") }
        ))
        .file(file)
        .with_hint("give the SRVCONF.GLB of the server this requestor is registered with (Config, Dir-Sync, Server, Requestors lists them, KB Q96060)")),
        None => Ok(Some(format!(
            "not checked that the requestor is registered in {}: {} does not record the postoffice's name",
            srvconf.display(),
            rc.display()
        ))),
    }
}
