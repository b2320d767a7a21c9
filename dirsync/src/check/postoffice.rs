//! Checks of a postoffice directory as a whole ([`Postoffice`]): the rules
//! that hold between Dir-Sync cycles, and the files that must agree with
//! each other inside one postoffice.
//!
//! | code | rule | source |
//! |---|---|---|
//! | GLB330 | SRVTRANS, USRTRANS, NMETRANS and GWTRANS are 0 bytes between cycles | KB Q96060, Q122750, Q148705 |
//! | GLB331 | no temporary file of Import, REBUILD, SRVMAIN, REQMAIN (or glbtool) exists between cycles | KB Q122750, Q96060, Q148705, Q99117 |
//! | GLB332 | no RESYNC.GLB stays on the Dir-Sync server | KB Q96060, Q119014, Q156124 |
//! | GLB343 | ADMIN.NME and ADMINSHD.NME are identical | KB Q85647, Q135932 |
//! | GLB045 | REQCONF's queue pointers are -1 while the queues are empty, and never past a queue's end | KB Q140462, Q112301 |
//! | GLB347 | NETWORK.GLB, the XTN files and the USR files name each other | KB Q134228, Q148666, Q86625 |
//! | GLB002 | a requestor has REQTRANS.GLB, a server MSTTRANS.GLB | KB Q119017, Q119014, Q112280 |
//! | GLB301 | every folder and file can be read | |
//!
//! A postoffice is the Dir-Sync server when `GLB\SRVCONF.GLB` exists (KB Q96060).

use std::path::Path;

use glb_formats::kind::FileKind;
use glb_formats::nme;
use glb_formats::reqconf::{ReqConf, NO_POINTER};

use super::{FileRef, Finding, Fix, Severity};
use crate::postoffice::{temporary, Folder, ListName, Postoffice, Shadow};

/// The queues Import empties at the end of every cycle (KB Q96060, Q122750).
pub const IDLE_EMPTY: [FileKind; 4] = [
    FileKind::Srvtrans,
    FileKind::Usrtrans,
    FileKind::Nmetrans,
    FileKind::Gwtrans,
];

/// True when the postoffice is a Dir-Sync server: it has `GLB\SRVCONF.GLB`.
pub fn is_server(po: &Postoffice) -> bool {
    po.find(Folder::Glb, "SRVCONF.GLB").is_some()
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

/// Runs every postoffice-level check. `reqconf` is the postoffice's own
/// REQCONF.GLB when it could be read.
pub fn check(po: &Postoffice, reqconf: Option<&ReqConf>, out: &mut Vec<Finding>) {
    unreadable_parts(po, out);
    missing_queues(po, out);
    idle_queues(po, out);
    leftovers(po, out);
    resync_on_server(po, out);
    shadow(po, out);
    if let Some(conf) = reqconf {
        pointers(po, conf, out);
    }
    references(po, out);
    super::links::check(po, out);
}

fn unreadable_parts(po: &Postoffice, out: &mut Vec<Finding>) {
    for (path, err) in po.unreadable() {
        out.push(super::unreadable(path, err.clone()));
    }
}

/// The queues Dir-Sync cannot run without: a requestor (`GLB\REQCONF.GLB`)
/// needs REQTRANS.GLB (KB Q119017), a server MSTTRANS.GLB (KB Q112280).
fn missing_queues(po: &Postoffice, out: &mut Vec<Finding>) {
    let Some(glb) = po
        .folders()
        .iter()
        .find(|(f, _)| *f == Folder::Glb)
        .map(|(_, p)| p)
    else {
        return;
    };
    let mut missing = |needed_by: &str, name: &str, kind: FileKind, effect: &str, fix: Fix| {
        if po.find(Folder::Glb, needed_by).is_none()
            || po.find(Folder::Glb, name).is_some()
            || po.unreadable_in(Folder::Glb, name)
        {
            // Not missing: there, or there but unreadable (GLB301).
            return;
        }
        out.push(
            Finding::new(
                "GLB002",
                display(&glb.join(name)),
                Some(kind),
                format!("{name} is missing although {needed_by} is here: {effect}"),
            )
            .fix(fix),
        );
    };
    let requestor_fix = if is_server(po) {
        Fix::Procedure {
            text: "create REQTRANS.GLB as a 0-byte file; the server postoffice's own addresses cannot be sent again with RESYNC.GLB, because Import does not process it on the server, so recovering them on the server is much harder than on a requestor".into(),
            source: "KB Q119014, Q96060",
        }
    } else {
        Fix::Procedure {
            text: "create REQTRANS.GLB as a 0-byte file, then bring this requestor back in step: a RESYNC.GLB from the server (IMPORT -S) applied here, and the requestor numbers reset as LISTDS -r -z does (`glbtool patch-seq REQCONF.GLB --reset`)".into(),
            source: "KB Q119014, Q96060",
        }
    };
    missing(
        "REQCONF.GLB",
        "REQTRANS.GLB",
        FileKind::Reqtrans,
        "REQMAIN logs `Warning[ 2] Error opening file: REQTRANS`, `Fatal [ 40] Possible database corruption detected: REQTRANS` and `Warning[152] Failure to transmit requestor updates`, and Export writes nothing while still recording the export date in REQCONF.GLB",
        requestor_fix,
    );
    missing(
        "SRVCONF.GLB",
        "MSTTRANS.GLB",
        FileKind::Msttrans,
        "SRVMAIN logs `Warning [ 2]` and `Fatal [ 2] Error opening file: MSTTRANS`",
        Fix::Procedure {
            text: "create MSTTRANS.GLB as a 0-byte file, then have every requestor Export its addresses again; the `138` and `139` errors Dir-Sync 3.2 and 3.5 log after that can be ignored".into(),
            source: "KB Q112280",
        },
    );
}

fn idle_queues(po: &Postoffice, out: &mut Vec<Finding>) {
    for f in po.files() {
        let Some(kind) = f.kind.filter(|k| IDLE_EMPTY.contains(k)) else {
            continue;
        };
        if f.folder != Folder::Glb || f.size == 0 {
            continue;
        }
        let what = if kind == FileKind::Srvtrans {
            "the server's last reply (or a RESYNC.GLB) arrived, but Import -Q did not finish applying it"
        } else {
            "Import sorted updates into this queue and stopped before applying them"
        };
        out.push(
            Finding::new(
                "GLB330",
                display(&f.path),
                Some(kind),
                format!(
                    "{} holds {} bytes between Dir-Sync cycles, where it must be 0 bytes: {what} (ignore this while a Dir-Sync cycle is running)",
                    f.name, f.size
                ),
            )
            .fix(Fix::Procedure {
                text: "when no Dir-Sync process is running, run T3 again (NSDA -RR, or IMPORT admin -pPASSWORD -Q -Y) and read DIRSYNC.LOG for the error that stopped it".into(),
                source: "KB Q96060, Q122750, Q148705",
            }),
        );
    }
}

fn leftovers(po: &Postoffice, out: &mut Vec<Finding>) {
    for f in po.files() {
        let Some(t) = temporary(f.folder, &f.name) else {
            continue;
        };
        let fix = if t.source == "docs/safety.md" {
            Fix::Procedure {
                text: "delete it: glbtool writes through a temporary file and renames it into place, so the file it was writing was left as it was".into(),
                source: t.source,
            }
        } else {
            Fix::Procedure {
                text: format!(
                    "make sure no {} process (and no Dir-Sync cycle) is running, delete the file, then run the step that failed again and read DIRSYNC.LOG",
                    t.made_by
                ),
                source: t.source,
            }
        };
        out.push(
            Finding::new(
                "GLB331",
                display(&f.path),
                f.kind,
                format!(
                    "{} is a temporary file of {}, which must not exist between Dir-Sync cycles: the run that made it failed or was interrupted ({} bytes)",
                    f.name, t.made_by, f.size
                ),
            )
            .fix(fix),
        );
    }
}

fn resync_on_server(po: &Postoffice, out: &mut Vec<Finding>) {
    if !is_server(po) {
        return;
    }
    let Some(f) = po.find(Folder::Glb, "RESYNC.GLB") else {
        return;
    };
    out.push(
        Finding::new(
            "GLB332",
            display(&f.path),
            Some(FileKind::Resync),
            "RESYNC.GLB is on the Dir-Sync server: IMPORT -S makes it there for the requestors, and it must be removed once copied, because Import must not process it on the server",
        )
        .fix(Fix::Procedure {
            text: "copy it to the GLB directory of each requestor that needs it (where IMPORT -Q applies it), then delete it from the server".into(),
            source: "KB Q96060, Q119014, Q156124",
        }),
    );
}

fn shadow(po: &Postoffice, out: &mut Vec<Finding>) {
    let path_of = |name: ListName, file: &str| {
        po.address_lists()
            .iter()
            .find(|l| l.name == name)
            .map(|l| display(&l.path))
            .or_else(|| {
                po.folders()
                    .iter()
                    .find(|(f, _)| *f == Folder::Nme)
                    .map(|(_, p)| display(&p.join(file)))
            })
            .unwrap_or_else(|| format!("NME/{file}"))
    };
    if let Some(state) = po.shadow() {
        out.extend(shadow_finding(
            state,
            &path_of(ListName::Pol, "ADMIN.NME"),
            &path_of(ListName::PolShadow, "ADMINSHD.NME"),
        ));
    }
}

/// The GLB343 finding for a POL (`pol`, ADMIN.NME) and its shadow (`shadow`,
/// ADMINSHD.NME) in the given state; `None` when they are identical.
pub fn shadow_finding(state: Shadow, pol: &str, shadow: &str) -> Option<Finding> {
    let (file, cause, at) = match state {
        Shadow::Identical => return None,
        Shadow::Differs { first_difference } => (
            shadow,
            format!(
                "ADMINSHD.NME differs from ADMIN.NME, first at byte {first_difference} (record {}): the POL and its shadow must be identical",
                first_difference / nme::RECORD_LEN as u64
            ),
            Some(first_difference),
        ),
        Shadow::MissingShadow => (
            shadow,
            "ADMINSHD.NME is missing: the POL's shadow must exist and be identical to ADMIN.NME".to_string(),
            None,
        ),
        Shadow::MissingPol => (
            pol,
            "ADMIN.NME is missing while its shadow ADMINSHD.NME exists: the POL and its shadow must be identical".to_string(),
            None,
        ),
    };
    let mut f = Finding::new("GLB343", file.to_string(), Some(FileKind::Nme), cause).fix(
        Fix::Procedure {
            text: "find which of the two is good (ADMIN.NME normally; ADMIN shows its users), then copy it over the other so both have the same size, date and time".into(),
            source: "KB Q85647, Q135932",
        },
    );
    if let Some(at) = at {
        f = f.at(at, Some(at / nme::RECORD_LEN as u64));
    }
    Some(f)
}

/// For files given together (`validate`): each ADMIN.NME whose ADMINSHD.NME
/// in the same directory is given too is compared with it byte by byte.
pub fn twins_given(paths: &[&str], out: &mut Vec<Finding>) {
    let named = |p: &str, name: &str| {
        Path::new(p)
            .file_name()
            .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(name))
    };
    for pol in paths.iter().filter(|p| named(p, "ADMIN.NME")) {
        let dir = Path::new(pol).parent();
        let Some(shadow) = paths
            .iter()
            .find(|s| named(s, "ADMINSHD.NME") && Path::new(s).parent() == dir)
        else {
            continue;
        };
        match crate::postoffice::first_difference(Path::new(pol), Path::new(shadow)) {
            Ok(None) => {}
            Ok(Some(at)) => out.extend(shadow_finding(
                Shadow::Differs {
                    first_difference: at,
                },
                pol,
                shadow,
            )),
            Err(e) => out.push(super::unreadable(Path::new(shadow), e.to_string())),
        }
    }
}

fn pointers(po: &Postoffice, conf: &ReqConf, out: &mut Vec<Finding>) {
    let Some(rc) = po.find(Folder::Glb, "REQCONF.GLB") else {
        return;
    };
    let file = FileRef::new(display(&rc.path), FileKind::Reqconf, po.codepage());
    for (i, (queue, p)) in conf.pointers().into_iter().enumerate() {
        if p <= NO_POINTER {
            continue; // -1 is "none"; below -1 is reported by the single-file check
        }
        let size = po.find(Folder::Glb, queue).map_or(0, |f| f.size);
        let at = p as u64;
        if at > size {
            out.push(super::fixed::pointer_finding(
                &file,
                conf,
                queue,
                i,
                format!("the {queue} pointer is {p}, past the end of {queue} ({size} bytes)"),
            ));
        } else if size == 0 {
            out.push(
                super::fixed::pointer_finding(
                    &file,
                    conf,
                    queue,
                    i,
                    format!(
                        "the {queue} pointer is {p} while {queue} is empty; glbtool expects -1 (none) between cycles (reconstructed: KB Q140462 and Q112301 repair pointers by setting them to -1, which suggests -1 is the idle value; no article says 0 is wrong)"
                    ),
                )
                .severity(Severity::Warning),
            );
        }
    }
}

fn references(po: &Postoffice, out: &mut Vec<Finding>) {
    let glb = po.folders().iter().find(|(f, _)| *f == Folder::Glb);
    let needs_network = po
        .address_lists()
        .iter()
        .any(|l| l.kind == FileKind::Usr && !matches!(l.name, ListName::Temporary { .. }));
    if let (Some((_, glb)), true, None) = (glb, needs_network, po.find(Folder::Glb, "NETWORK.GLB"))
    {
        out.push(
            Finding::new(
                "GLB347",
                display(&glb.join("NETWORK.GLB")),
                Some(FileKind::Network),
                "NETWORK.GLB is missing, so no USR file can be named: the postoffice's networks and their postoffices are unknown",
            )
            .fix(restore()),
        );
    }
    if let Some(network) = po.find(Folder::Glb, "NETWORK.GLB") {
        for n in po.networks() {
            let Some(xtn) = n.record.xtn() else { continue };
            if n.xtn_path.is_some() || n.record.is_deleted() {
                continue;
            }
            out.push(
                Finding::new(
                    "GLB347",
                    display(&network.path),
                    Some(FileKind::Network),
                    format!(
                        "network {} names XTN/{xtn}.XTN, which does not exist: its postoffices are unknown",
                        n.record.name.decode(po.codepage())
                    ),
                )
                .at(n.index * glb_formats::network::RECORD_LEN as u64, Some(n.index))
                .fix(restore()),
            );
        }
    }
    for l in po.address_lists() {
        let cause = match &l.name {
            ListName::Unresolved { hexid } => format!(
                "no XTN or NETWORK.GLB record carries the hexid {hexid}: MS Mail does not know which postoffice this user list belongs to"
            ),
            ListName::Unknown { name } => format!(
                "{name} is not named by a hexid, so no postoffice refers to it"
            ),
            _ => continue,
        };
        out.push(Finding::new("GLB347", display(&l.path), Some(l.kind), cause).fix(restore()));
    }
}

fn restore() -> Fix {
    Fix::Procedure {
        text: "check the networks and postoffices in ADMIN (External-Admin); restore the missing file from backup, or remove the stray one".into(),
        source: "KB Q148666, Q134228",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdir::{put, temp};

    /// An idle postoffice: empty queues, identical POL and shadow.
    fn idle(root: &Path) {
        for q in ["SRVTRANS", "USRTRANS", "NMETRANS", "GWTRANS", "REQTRANS"] {
            put(root, &format!("GLB/{q}.GLB"), &[]);
        }
        put(root, "GLB/NETWORK.GLB", &[]);
        put(root, "NME/ADMIN.NME", &[1; 90]);
        put(root, "NME/ADMINSHD.NME", &[1; 90]);
    }

    fn run(root: &Path, conf: Option<&ReqConf>) -> Vec<Finding> {
        let po = Postoffice::open(root, glb_formats::codepage::CodePage::Cp850).unwrap();
        let mut out = Vec::new();
        check(&po, conf, &mut out);
        out
    }

    fn codes(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.code).collect()
    }

    #[test]
    fn an_idle_postoffice_is_clean() {
        let d = temp("chk-idle");
        idle(&d.0);
        let conf = ReqConf {
            srvtrans_pointer: -1,
            usrtrans_pointer: -1,
            gwtrans_pointer: -1,
            nmetrans_pointer: -1,
            ..ReqConf::default()
        };
        put(&d.0, "GLB/SORTLOCK.GLB", &[]); // the Import lock is not debris
        let f = run(&d.0, Some(&conf));
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn non_empty_sort_queues_and_leftover_temporaries() {
        let d = temp("chk-stale");
        idle(&d.0);
        put(&d.0, "GLB/SRVTRANS.GLB", &[0; 49]);
        put(&d.0, "GLB/usrtrans.glb", &[0; 10]);
        put(&d.0, "GLB/IUSRTRAN.GLB", &[]);
        put(&d.0, "GLB/SORT0003.GLB", &[0; 3]);
        put(&d.0, "GLB/SRVUPDS.GLB", &[]);
        put(&d.0, "NME/GAL$.NME", &[]);
        put(&d.0, "GLB/.glbtool-x1Yz.tmp", &[]);
        let f = run(&d.0, None);
        let mut c = codes(&f);
        c.sort();
        assert_eq!(
            c,
            vec!["GLB330", "GLB330", "GLB331", "GLB331", "GLB331", "GLB331", "GLB331"]
        );
        let srv = f.iter().find(|f| f.file.ends_with("SRVTRANS.GLB")).unwrap();
        assert!(srv.cause.contains("49 bytes"), "{}", srv.cause);
        assert_eq!(srv.kind, Some(FileKind::Srvtrans));
        let sort = f.iter().find(|f| f.file.ends_with("SORT0003.GLB")).unwrap();
        assert!(sort.cause.contains("Import's sort"), "{}", sort.cause);
        let ours = f.iter().find(|f| f.file.contains(".glbtool-")).unwrap();
        assert!(matches!(&ours.fix, Fix::Procedure { text, .. } if text.contains("renames")));
    }

    #[test]
    fn resync_on_the_server_but_not_on_a_requestor() {
        let d = temp("chk-resync");
        idle(&d.0);
        put(&d.0, "GLB/RESYNC.GLB", &[]);
        assert!(
            run(&d.0, None).is_empty(),
            "a requestor's RESYNC.GLB waits for IMPORT -Q"
        );
        put(&d.0, "GLB/SRVCONF.GLB", &[0; 1024]);
        put(&d.0, "GLB/MSTTRANS.GLB", &[]);
        assert_eq!(codes(&run(&d.0, None)), vec!["GLB332"]);
    }

    #[test]
    fn a_missing_reqtrans_or_msttrans_is_002_with_the_documented_messages() {
        let d = temp("chk-missing");
        idle(&d.0);
        std::fs::remove_file(d.0.join("GLB/REQTRANS.GLB")).unwrap();
        assert!(
            run(&d.0, None).is_empty(),
            "without REQCONF.GLB Dir-Sync is not set up here, so no queue is owed"
        );
        put(&d.0, "GLB/reqconf.glb", &[0; 512]);
        let f = run(&d.0, None);
        assert_eq!(codes(&f), vec!["GLB002"]);
        assert!(f[0].file.ends_with("REQTRANS.GLB"), "{}", f[0].file);
        assert_eq!(f[0].kind, Some(FileKind::Reqtrans));
        for logged in [
            "Error opening file: REQTRANS",
            "Fatal [ 40]",
            "Warning[152]",
        ] {
            assert!(f[0].cause.contains(logged), "{}", f[0].cause);
        }
        assert!(
            matches!(&f[0].fix, Fix::Procedure { text, .. } if text.contains("RESYNC.GLB") && text.contains("--reset")),
            "{:?}",
            f[0].fix
        );
        put(&d.0, "GLB/Reqtrans.Glb", &[]);
        assert!(run(&d.0, None).is_empty(), "found in any letter case");

        // The server: MSTTRANS.GLB is owed too, and RESYNC cannot repair REQTRANS there.
        put(&d.0, "GLB/SRVCONF.GLB", &[0; 1024]);
        let f = run(&d.0, None);
        assert_eq!(codes(&f), vec!["GLB002"]);
        assert!(f[0].file.ends_with("MSTTRANS.GLB"), "{}", f[0].file);
        assert!(
            f[0].cause.contains("Error opening file: MSTTRANS"),
            "{}",
            f[0].cause
        );
        assert!(matches!(&f[0].fix, Fix::Procedure { source, .. } if source.contains("Q112280")));
        std::fs::remove_file(d.0.join("GLB/Reqtrans.Glb")).unwrap();
        let f = run(&d.0, None);
        assert_eq!(codes(&f), vec!["GLB002", "GLB002"]);
        assert!(
            matches!(&f[0].fix, Fix::Procedure { text, .. } if text.contains("does not process it on the server")),
            "{:?}",
            f[0].fix
        );
    }

    #[test]
    fn a_differing_or_missing_shadow_is_343_with_the_first_difference() {
        let d = temp("chk-shadow");
        idle(&d.0);
        let mut other = vec![1u8; 90];
        other[50] = 7;
        put(&d.0, "NME/ADMINSHD.NME", &other);
        let f = run(&d.0, None);
        assert_eq!(codes(&f), vec!["GLB343"]);
        assert_eq!((f[0].offset, f[0].record), (Some(50), Some(1)));
        assert!(f[0].file.ends_with("ADMINSHD.NME"));
        std::fs::remove_file(d.0.join("NME/ADMINSHD.NME")).unwrap();
        let f = run(&d.0, None);
        assert_eq!(codes(&f), vec!["GLB343"]);
        assert!(f[0].cause.contains("missing"), "{}", f[0].cause);
    }

    #[test]
    fn twins_given_together_are_compared() {
        let d = temp("chk-twins");
        put(&d.0, "a/ADMIN.NME", &[1; 90]);
        put(&d.0, "a/adminshd.nme", &[1; 90]);
        put(&d.0, "b/ADMINSHD.NME", &[2; 45]);
        let p = |r: &str| d.0.join(r).display().to_string();
        let (pol, same, other) = (p("a/ADMIN.NME"), p("a/adminshd.nme"), p("b/ADMINSHD.NME"));
        let mut out = Vec::new();
        twins_given(&[&pol, &same, &other], &mut out);
        assert!(out.is_empty(), "{out:#?}");
        put(&d.0, "a/adminshd.nme", &[1; 45]);
        twins_given(&[&pol, &same], &mut out);
        assert_eq!(codes(&out), vec!["GLB343"]);
        assert_eq!((out[0].offset, out[0].record), (Some(45), Some(1)));
        assert_eq!(out[0].file, same);
    }

    #[test]
    fn queue_pointers_past_the_end_or_into_empty_queues() {
        let d = temp("chk-pointers");
        idle(&d.0);
        put(&d.0, "GLB/GWTRANS.GLB", &[0; 100]);
        let conf = ReqConf {
            srvtrans_pointer: -1,
            usrtrans_pointer: 0x1234,
            gwtrans_pointer: 50,
            nmetrans_pointer: 0,
            ..ReqConf::default()
        };
        put(&d.0, "GLB/REQCONF.GLB", &[0; 512]);
        let f: Vec<Finding> = run(&d.0, Some(&conf))
            .into_iter()
            .filter(|f| f.code == "GLB045")
            .collect();
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert!(
            f[0].cause
                .contains("USRTRANS.GLB pointer is 4660, past the end"),
            "{}",
            f[0].cause
        );
        assert_eq!(f[0].offset, Some(55));
        assert_eq!(f[1].severity, Severity::Warning);
        assert!(
            f[1].cause.contains("NMETRANS.GLB is empty"),
            "{}",
            f[1].cause
        );
    }

    #[test]
    fn unresolved_user_lists_and_a_missing_network_file() {
        let d = temp("chk-refs");
        idle(&d.0);
        put(&d.0, "USR/00000009.USR", &[0; 53]);
        assert_eq!(codes(&run(&d.0, None)), vec!["GLB347"]);
        std::fs::remove_file(d.0.join("GLB/NETWORK.GLB")).unwrap();
        let f = run(&d.0, None);
        assert_eq!(codes(&f), vec!["GLB347", "GLB347"]);
        assert!(f[0].cause.contains("NETWORK.GLB is missing"));
    }
}
