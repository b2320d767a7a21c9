//! The simulator keeps the invariant Dir-Sync exists for: after any number of
//! healthy cycles, every postoffice's copy of every other postoffice's list
//! equals the server's view. The files are read back from disk with
//! glb-formats, independently of the simulator's own state.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use glb_corpus::sim::{self, Params};
use glb_corpus::Sample;
use glb_dirsync::check::{self, FileRef, Severity};
use glb_dirsync::postoffice::Postoffice;
use glb_dirsync::replay::Directory;
use glb_formats::format::{Document, Format, ReadOptions};
use glb_formats::import::Address;
use glb_formats::netpo::Netpo;
use glb_formats::nme::{self, entry_type, Nme};
use glb_formats::queue::{Queue, QueueRecord};
use glb_formats::reqconf::{ReqConf, ReqConfFile};
use glb_formats::srvconf::SrvConfFile;
use glb_formats::usr::Usr;
use glb_formats::FileKind;

fn params(postoffices: usize, users: usize, cycles: u32, seed: u64) -> Params {
    Params {
        postoffices,
        users,
        cycles,
        seed,
        scenario: None,
    }
}

fn doc<F: Format>(bytes: &[u8], kind: FileKind) -> Document<F> {
    Document::<F>::from_bytes(bytes, kind, ReadOptions::default())
        .unwrap_or_else(|e| panic!("{kind}: {e}"))
}

fn file<'a>(files: &'a [Sample], path: &str) -> &'a [u8] {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .bytes
}

fn reqconf(files: &[Sample], po: &str) -> ReqConf {
    doc::<ReqConfFile>(
        file(files, &format!("{po}/GLB/REQCONF.GLB")),
        FileKind::Reqconf,
    )
    .header
    .unwrap()
}

fn queue(files: &[Sample], path: &str) -> Vec<QueueRecord> {
    doc::<Queue>(file(files, path), FileKind::from_file_name(path).unwrap()).records
}

/// Entries as `(MAILBOX upper-cased, friendly name bytes)`.
type Names = BTreeSet<(Vec<u8>, Vec<u8>)>;

fn names_of_list(d: &Directory, key: &str) -> Names {
    d.lists
        .get(key.as_bytes())
        .map(|l| {
            l.values()
                .map(|e| {
                    let a = Address::parse(&e.address);
                    let mbx = a.body.rsplit(|&b| b == b'/').next().unwrap();
                    (mbx.to_ascii_uppercase(), e.alias.clone())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn names_of_usr(path: &Path) -> Names {
    let bytes = std::fs::read(path).unwrap();
    doc::<Usr>(&bytes, FileKind::Usr)
        .records
        .iter()
        .filter(|r| !r.is_deleted())
        .map(|r| {
            (
                r.mailbox.bytes().to_ascii_uppercase(),
                r.name.bytes().to_vec(),
            )
        })
        .collect()
}

/// The server's view: MSTTRANS.GLB replayed from its first transaction.
fn server_view(files: &[Sample]) -> Directory {
    let mst = queue(files, "MONTGOMERY/GLB/MSTTRANS.GLB");
    assert_eq!(mst.first().map(|r| r.sync), Some(1), "MSTTRANS was purged");
    let mut d = Directory::new();
    for r in &mst {
        d.apply_text(r.sync, &r.text, glb_formats::CodePage::Cp850);
    }
    assert!(d.events.is_empty(), "{:?}", d.events);
    d
}

/// Writes the files to a fresh temporary directory.
fn on_disk(files: &[Sample]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    glb_corpus::write_all(dir.path(), files).unwrap();
    dir
}

/// Checks every postoffice's lists against `view` (the server's lists) and
/// the idle-state rules of a healthy network.
fn assert_in_sync(files: &[Sample], root: &Path, view: &Directory, names: &[String]) {
    let srvconf = doc::<SrvConfFile>(file(files, "MONTGOMERY/GLB/SRVCONF.GLB"), FileKind::Srvconf);
    let highest = srvconf.header.as_ref().unwrap().highest_srvsync;
    for (i, po_name) in names.iter().enumerate() {
        let po = Postoffice::open(&root.join(po_name), glb_formats::CodePage::Cp850).unwrap();
        assert!(po.problems().is_empty(), "{po_name}: {:?}", po.problems());
        // Every other postoffice's list equals the server's.
        for other in names.iter().filter(|o| *o != po_name) {
            let usr = po
                .usr_for("POLYNOMIAL", other)
                .unwrap_or_else(|| panic!("{po_name} has no list of {other}"));
            let expected = names_of_list(view, &format!("PCM:POLYNOMIAL/{other}"));
            assert!(!expected.is_empty());
            assert_eq!(names_of_usr(&usr), expected, "{po_name}'s list of {other}");
        }
        // Gateway lists: the server's, less this postoffice's own addresses
        // (which are in its POL, and which Import skips).
        let pol = doc::<Nme>(
            file(files, &format!("{po_name}/NME/ADMIN.NME")),
            FileKind::Nme,
        )
        .records;
        let own_gateway: BTreeSet<Vec<u8>> = pol
            .iter()
            .filter(|r| r.entry_type == entry_type::EXTERNAL_USER)
            .map(|r| r.name.bytes().to_vec())
            .collect();
        for gw in ["SMTP", "FAX"] {
            let nme = doc::<Nme>(
                file(files, &format!("{po_name}/NME/{gw}.NME")),
                FileKind::Nme,
            )
            .records;
            let got: BTreeSet<Vec<u8>> = nme.iter().map(|r| r.name.bytes().to_vec()).collect();
            let expected: BTreeSet<Vec<u8>> = names_of_list(view, &format!("{gw}:"))
                .into_iter()
                .map(|(_, name)| name)
                .filter(|n| !own_gateway.contains(n))
                .collect();
            assert_eq!(got, expected, "{po_name}'s {gw} list");
        }
        for node in ["NODE1", "NODE2"] {
            let usr = po.usr_for("PROFSGW", node).expect("node list");
            let expected: Names = names_of_list(view, &format!("PROFS:PROFSGW/{node}"))
                .into_iter()
                .filter(|(_, name)| !own_gateway.contains(name))
                .collect();
            assert_eq!(names_of_usr(&usr), expected, "{po_name}'s list of {node}");
        }
        // The GAL is everything, sorted by full name.
        let gal = doc::<Nme>(
            file(files, &format!("{po_name}/NME/GAL.NME")),
            FileKind::Nme,
        )
        .records;
        assert_eq!(
            nme::first_out_of_order(&gal, glb_formats::CodePage::Cp850),
            None,
            "{po_name} GAL order"
        );
        let listed: u64 = po
            .address_lists()
            .iter()
            .filter(|l| {
                !l.file_name.eq_ignore_ascii_case("GAL.NME")
                    && !l.file_name.eq_ignore_ascii_case("ADMINSHD.NME")
            })
            .map(|l| l.entries)
            .sum();
        assert_eq!(
            gal.len() as u64,
            listed,
            "{po_name}: GAL = POL + gateway lists + USR lists"
        );
        let galnetpo = doc::<Netpo>(
            file(files, &format!("{po_name}/GLB/GALNETPO.GLB")),
            FileKind::Netpo,
        );
        for r in gal
            .iter()
            .filter(|r| r.entry_type == entry_type::EXTERNAL_USER)
        {
            let i = r.netpo_record().expect("points at a GALNETPO record") as usize;
            assert!(i < galnetpo.records.len(), "{po_name}: {:?}", r.name);
        }
        assert_eq!(
            file(files, &format!("{po_name}/NME/ADMIN.NME")),
            file(files, &format!("{po_name}/NME/ADMINSHD.NME"))
        );
        // Idle queues, and numbers that agree with the server's.
        for q in ["SRVTRANS", "USRTRANS", "NMETRANS", "GWTRANS"] {
            assert!(
                file(files, &format!("{po_name}/GLB/{q}.GLB")).is_empty(),
                "{po_name} {q}"
            );
        }
        let conf = reqconf(files, po_name);
        let reqtrans = file(files, &format!("{po_name}/GLB/REQTRANS.GLB"));
        assert_eq!(
            reqtrans.len(),
            49,
            "{po_name}: REQTRANS holds only the dummy (KB Q133428)"
        );
        assert_eq!(
            queue(files, &format!("{po_name}/GLB/REQTRANS.GLB"))[0].sync,
            conf.reqsync
        );
        let rec = &srvconf.records[i];
        assert_eq!(
            rec.net_po(glb_formats::CodePage::Cp850),
            format!("POLYNOMIAL/{po_name}")
        );
        assert_eq!(
            (rec.reqsync, rec.srvsync, rec.impsync),
            (conf.reqsync, conf.srvsync, conf.impsync),
            "{po_name}"
        );
        assert_eq!(conf.srvsync, highest);
        assert!(conf.reqsync <= conf.srvsync, "KB Q96060's health rule");
        assert_eq!(
            conf.local_postoffice.decode(glb_formats::CodePage::Cp850),
            *po_name
        );
    }
}

fn names(files: &[Sample]) -> Vec<String> {
    let mut seen = Vec::new();
    for f in files {
        let po = f.path.split('/').next().unwrap().to_string();
        if !seen.contains(&po) {
            seen.push(po);
        }
    }
    seen
}

#[test]
fn after_any_number_of_healthy_cycles_every_list_equals_the_servers() {
    for (postoffices, users, cycles, seed) in [
        (1, 1, 1, 9),
        (2, 1, 1, 3),
        (3, 4, 3, 1),
        (3, 4, 5, 1),
        (5, 10, 7, 2),
        (8, 30, 12, 4),
        (4, 3, 0, 6),
    ] {
        let files = sim::generate(&params(postoffices, users, cycles, seed)).unwrap();
        let names = names(&files);
        assert_eq!(names.len(), postoffices);
        if cycles == 0 {
            // Nothing has been sent yet: every REQTRANS holds the export.
            let mst = file(&files, "MONTGOMERY/GLB/MSTTRANS.GLB");
            assert!(mst.is_empty());
            continue;
        }
        let dir = on_disk(&files);
        assert_in_sync(&files, dir.path(), &server_view(&files), &names);
    }
}

#[test]
fn after_the_keep_updates_purge_the_lists_still_agree_with_the_servers_own() {
    // 18 cycles: MSTTRANS entries older than 14 days are gone, so the
    // server's view is its own postoffice's lists (the database a RESYNC.GLB
    // or a full import sends), which every requestor must match.
    let net = sim::simulate(&params(4, 5, 18, 5)).unwrap();
    let files = net.files();
    let mst = queue(&files, "MONTGOMERY/GLB/MSTTRANS.GLB");
    assert!(mst[0].sync > 1, "purged");
    let mut view = Directory::new();
    for r in net.server.dump(sim::epoch()) {
        view.apply_text(r.sync, &r.text, glb_formats::CodePage::Cp850);
    }
    let dir = on_disk(&files);
    assert_in_sync(&files, dir.path(), &view, &names(&files));
    // And the replayed MSTTRANS tail agrees with that database.
    let mut tail = view.clone();
    for r in &mst {
        tail.apply_text(r.sync, &r.text, glb_formats::CodePage::Cp850);
    }
    let entries = |d: &Directory| -> BTreeSet<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        d.lists
            .iter()
            .flat_map(|(l, es)| {
                es.values()
                    .map(|e| (l.clone(), e.alias.clone(), e.address.clone()))
            })
            .collect()
    };
    assert!(
        entries(&tail) == entries(&view),
        "MSTTRANS tail disagrees with the database"
    );
}

#[test]
fn the_same_seed_gives_the_same_bytes_another_seed_other_bytes() {
    let a = sim::generate(&params(4, 6, 4, 11)).unwrap();
    let b = sim::generate(&params(4, 6, 4, 11)).unwrap();
    let c = sim::generate(&params(4, 6, 4, 12)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn every_file_of_a_healthy_network_passes_validate_checks() {
    let files = sim::generate(&params(5, 8, 6, 21)).unwrap();
    let mut findings = Vec::new();
    for f in &files {
        let kind = FileKind::from_file_name(&f.path).unwrap_or_else(|| panic!("{}", f.path));
        let r = FileRef {
            path: f.path.clone(),
            kind,
            codepage: glb_formats::CodePage::Cp850,
        };
        check::file::check(&r, &f.bytes[..], Some(f.bytes.len() as u64), &mut findings);
    }
    let bad: Vec<_> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn every_transaction_obeys_the_import_grammar() {
    let files = sim::generate(&params(6, 12, 5, 8)).unwrap();
    let mut count = 0;
    for path in ["MONTGOMERY/GLB/MSTTRANS.GLB"] {
        for r in queue(&files, path) {
            let t = glb_formats::import::parse(&r.text, glb_formats::CodePage::Cp850);
            assert!(
                t.issues.is_empty(),
                "{}: {:?}",
                String::from_utf8_lossy(&r.text),
                t.issues
            );
            count += 1;
        }
    }
    assert!(count > 50);
}

#[test]
fn the_first_cycle_is_a_full_import_and_later_cycles_send_only_new_entries() {
    let mut net = sim::Network::new(params(3, 4, 0, 1));
    // Before any cycle: the export waits in every REQTRANS, numbered from 1.
    for po in &net.postoffices {
        assert_eq!(po.reqtrans[0].sync, 1);
        assert!(po.reqtrans[0].text.starts_with(b"R PCM:POLYNOMIAL/"));
        let tx = po.send(0);
        assert_eq!((tx.was, tx.srvsync, tx.imports), (0, 0, 0));
        assert!(tx.subject().starts_with("$SYSTEM ReqTx R="));
    }
    net.run_healthy(1);
    let after_one: BTreeMap<String, (u32, u32, u32)> = net
        .postoffices
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                (p.reqconf.reqsync, p.reqconf.srvsync, p.reqconf.impsync),
            )
        })
        .collect();
    // The first cycle counts as an import (KB Q99961).
    assert!(after_one.values().all(|&(_, _, i)| i == 1));
    let highest = net.server.header.highest_srvsync;
    net.run_healthy(1);
    for p in &net.postoffices {
        assert_eq!(p.reqconf.impsync, 1, "no second import");
        assert_eq!(p.reqconf.srvsync, net.server.header.highest_srvsync);
        assert!(p.reqconf.srvsync > highest);
    }
}
