//! Each scenario changes exactly what it should: the files that differ from
//! the healthy network with the same parameters, and the numbers that make
//! the failure.

use std::collections::{BTreeMap, BTreeSet};

use glb_corpus::sim::{self, Params, Scenario};
use glb_corpus::Sample;
use glb_formats::format::{Document, Format, ReadOptions};
use glb_formats::queue::{Queue, QueueRecord};
use glb_formats::reqconf::{ReqConf, ReqConfFile};
use glb_formats::srvconf::{RequestorRecord, SrvConfFile, SrvConfHeader};
use glb_formats::usr::Usr;
use glb_formats::FileKind;

fn run(scenario: Option<Scenario>) -> Vec<Sample> {
    run_with(scenario, Params::committed())
}

fn run_with(scenario: Option<Scenario>, base: Params) -> Vec<Sample> {
    sim::generate(&Params { scenario, ..base }).unwrap()
}

fn map(files: &[Sample]) -> BTreeMap<&str, &[u8]> {
    files
        .iter()
        .map(|f| (f.path.as_str(), f.bytes.as_slice()))
        .collect()
}

/// Paths whose bytes differ, or that exist on one side only.
fn changed(a: &[Sample], b: &[Sample]) -> BTreeSet<String> {
    let (a, b) = (map(a), map(b));
    a.keys()
        .chain(b.keys())
        .filter(|p| a.get(*p) != b.get(*p))
        .map(|p| p.to_string())
        .collect()
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

fn get<'a>(files: &'a [Sample], path: &str) -> &'a [u8] {
    map(files)
        .get(path)
        .copied()
        .unwrap_or_else(|| panic!("no {path}"))
}

fn doc<F: Format>(bytes: &[u8], kind: FileKind) -> Document<F> {
    Document::<F>::from_bytes(bytes, kind, ReadOptions::default()).unwrap()
}

fn reqconf(files: &[Sample], po: &str) -> ReqConf {
    doc::<ReqConfFile>(
        get(files, &format!("{po}/GLB/REQCONF.GLB")),
        FileKind::Reqconf,
    )
    .header
    .unwrap()
}

fn srvconf(files: &[Sample]) -> (SrvConfHeader, Vec<RequestorRecord>) {
    let d = doc::<SrvConfFile>(get(files, "MONTGOMERY/GLB/SRVCONF.GLB"), FileKind::Srvconf);
    (d.header.unwrap(), d.records)
}

fn queue(files: &[Sample], path: &str) -> Vec<QueueRecord> {
    let kind = FileKind::from_file_name(path).unwrap_or(FileKind::Srvtrans);
    doc::<Queue>(get(files, path), kind).records
}

fn record<'a>(records: &'a [RequestorRecord], po: &str) -> &'a RequestorRecord {
    records
        .iter()
        .find(|r| r.net_po(glb_formats::CodePage::Cp850) == format!("POLYNOMIAL/{po}"))
        .unwrap()
}

#[test]
fn every_scenario_has_a_name_a_description_and_its_expected_findings() {
    let names: BTreeSet<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(names.len(), 10);
    for s in Scenario::ALL {
        assert_eq!(s.name().parse::<Scenario>(), Ok(s));
        assert!(!s.description().is_empty());
        assert!(s.expected().iter().all(|c| c.starts_with("GLB")));
    }
    assert!(Scenario::GoodResync.expected().is_empty());
    assert!("nonsense".parse::<Scenario>().is_err());
    let listed = glb_corpus::scenario_expectations();
    assert_eq!(listed.len(), 10);
    assert_eq!(listed[0], ("error14", &["GLB014"][..]));
}

#[test]
fn error14_resync_header_is_below_the_requestors_numbers_good_resync_is_not() {
    let bad = run(Some(Scenario::Error14));
    let good = run(Some(Scenario::GoodResync));
    // The two networks are the same but for the header of TAYLOR's RESYNC.GLB.
    assert_eq!(changed(&bad, &good), set(&["TAYLOR/GLB/RESYNC.GLB"]));
    let (_, records) = srvconf(&bad);
    let max_reqsync = records.iter().map(|r| r.reqsync).max().unwrap();
    let taylor = reqconf(&bad, "TAYLOR");
    let header = |files: &[Sample]| {
        let r = queue(files, "TAYLOR/GLB/RESYNC.GLB");
        assert!(r[1..].iter().all(|r| r.resync_header_numbers().is_none()));
        r[0].resync_header_numbers().expect("header first")
    };
    let h = header(&bad);
    // KB Q215505: DXA took the highest numbers from the requestors named in
    // ResyncConnectionRDNs, here TAYLOR alone: its own SRVCONF record's.
    let named = records
        .iter()
        .find(|r| r.name.decode(glb_formats::CodePage::Cp850) == "PCM:POLYNOMIAL/TAYLOR")
        .unwrap();
    assert_eq!(
        (h.impseq, h.reqseq, h.srvseq),
        (named.impsync, named.reqsync, named.srvsync)
    );
    assert_eq!(h.reqseq, taylor.reqsync);
    // Another postoffice holds the largest ReqSync, so the header breaks
    // the KB Q119449 rule.
    assert!(h.reqseq < max_reqsync, "{h:?} vs {max_reqsync}");
    let g = header(&good);
    assert_eq!(g.reqseq, max_reqsync);
    assert_eq!(
        g.srvseq, records[0].srvsync,
        "the server postoffice's record"
    );
    assert_eq!(g.impseq, records.iter().map(|r| r.impsync).max().unwrap());
    assert!(g.reqseq >= taylor.reqsync && g.srvseq >= taylor.srvsync);
    // The body is the server's whole database, as R and A transactions.
    let body = queue(&good, "TAYLOR/GLB/RESYNC.GLB");
    assert!(body[1].text.starts_with(b"R "));
    assert!(body[1..]
        .iter()
        .all(|r| r.text[0] == b'R' || r.text[0] == b'A'));
}

#[test]
fn reqtrans_below_reqsync_numbers_new_changes_from_one() {
    let healthy = run(None);
    let files = run(Some(Scenario::ReqtransBelowReqsync));
    // The administrator's changes are in the POL; the GAL waits for the
    // next REBUILD at T3.
    assert_eq!(
        changed(&healthy, &files),
        set(&[
            "TAYLOR/GLB/REQTRANS.GLB",
            "TAYLOR/NME/ADMIN.NME",
            "TAYLOR/NME/ADMINSHD.NME",
        ])
    );
    let reqtrans = queue(&files, "TAYLOR/GLB/REQTRANS.GLB");
    let syncs: Vec<u32> = reqtrans.iter().map(|r| r.sync).collect();
    assert_eq!(syncs, [1, 2]);
    let conf = reqconf(&files, "TAYLOR");
    assert!(reqtrans.iter().all(|r| r.sync <= conf.reqsync));
    // T1 would send nothing: KB Q119452 "No requestor updates to send".
    let net = sim::simulate(&Params {
        scenario: Some(Scenario::ReqtransBelowReqsync),
        ..Params::committed()
    })
    .unwrap();
    assert!(net.postoffices[1].send(1).records.is_empty());
}

#[test]
fn restored_backup_leaves_the_requestors_srvsync_above_msttrans() {
    let healthy = run(None);
    let files = run(Some(Scenario::RestoredBackup));
    assert_eq!(
        changed(&healthy, &files),
        set(&["MONTGOMERY/GLB/SRVCONF.GLB", "MONTGOMERY/GLB/MSTTRANS.GLB"])
    );
    let (header, records) = srvconf(&files);
    let highest = queue(&files, "MONTGOMERY/GLB/MSTTRANS.GLB")
        .last()
        .unwrap()
        .sync;
    assert_eq!(header.highest_srvsync, highest);
    assert_eq!(header.cycle, 1, "3 cycles, restored from 2 cycles back");
    for po in ["MONTGOMERY", "TAYLOR", "LAGRANGE"] {
        let c = reqconf(&files, po);
        assert!(c.srvsync > highest, "{po}: {} <= {highest}", c.srvsync);
        assert!(c.reqsync > record(&records, po).reqsync);
    }
}

#[test]
fn purged_requestor_srvsync_is_below_the_oldest_msttrans_entry() {
    let files = run(Some(Scenario::Purged));
    let (header, records) = srvconf(&files);
    assert_eq!(header.keep_updates, 1);
    let mst = queue(&files, "MONTGOMERY/GLB/MSTTRANS.GLB");
    let taylor = reqconf(&files, "TAYLOR");
    let oldest = mst.first().unwrap().sync;
    assert!(
        taylor.srvsync + 1 < oldest,
        "entries {}..{} are gone",
        taylor.srvsync + 1,
        oldest - 1
    );
    let t = record(&records, "TAYLOR");
    assert_eq!((t.srvsync, t.last_cycle), (taylor.srvsync, 3));
    for po in ["MONTGOMERY", "LAGRANGE"] {
        assert_eq!(reqconf(&files, po).srvsync, header.highest_srvsync);
        assert_eq!(record(&records, po).last_cycle, 6);
    }
}

#[test]
fn lost_reply_leaves_taylor_a_cycle_behind_the_server() {
    let files = run(Some(Scenario::LostReply));
    let (_, records) = srvconf(&files);
    let taylor = reqconf(&files, "TAYLOR");
    let t = record(&records, "TAYLOR");
    assert!(t.reqsync > taylor.reqsync && t.srvsync > taylor.srvsync);
    // The transactions the server accepted are still waiting in REQTRANS.
    let pending: Vec<u32> = queue(&files, "TAYLOR/GLB/REQTRANS.GLB")
        .iter()
        .map(|r| r.sync)
        .filter(|&s| s > taylor.reqsync)
        .collect();
    assert_eq!(pending.last(), Some(&t.reqsync));
    for po in ["MONTGOMERY", "LAGRANGE"] {
        let c = reqconf(&files, po);
        let r = record(&records, po);
        assert_eq!((c.reqsync, c.srvsync), (r.reqsync, r.srvsync), "{po}");
    }
}

#[test]
fn stale_queue_leaves_srvtrans_and_a_sort_file_but_numbers_agree() {
    let files = run(Some(Scenario::StaleQueue));
    let srvtrans = queue(&files, "TAYLOR/GLB/SRVTRANS.GLB");
    assert!(!srvtrans.is_empty());
    let sort = queue(&files, "TAYLOR/GLB/SORT0001.GLB");
    assert!(!sort.is_empty() && sort.len() <= srvtrans.len());
    let (_, records) = srvconf(&files);
    let taylor = reqconf(&files, "TAYLOR");
    let t = record(&records, "TAYLOR");
    assert_eq!((taylor.reqsync, taylor.srvsync), (t.reqsync, t.srvsync));
    assert_eq!(srvtrans.last().unwrap().sync, taylor.srvsync);
    // No other postoffice has leftovers.
    let others: Vec<&Sample> = files
        .iter()
        .filter(|f| f.path.ends_with("SRVTRANS.GLB") && !f.path.starts_with("TAYLOR/"))
        .collect();
    assert!(others.iter().all(|f| f.bytes.is_empty()));
    assert_eq!(files.iter().filter(|f| f.path.contains("SORT")).count(), 1);
}

#[test]
fn corrupt_record_breaks_one_checksum_and_nothing_else() {
    let healthy = run(None);
    let files = run(Some(Scenario::CorruptRecord));
    assert_eq!(
        changed(&healthy, &files),
        set(&["MONTGOMERY/GLB/MSTTRANS.GLB"])
    );
    let (a, b) = (
        get(&healthy, "MONTGOMERY/GLB/MSTTRANS.GLB"),
        get(&files, "MONTGOMERY/GLB/MSTTRANS.GLB"),
    );
    assert_eq!(a.len(), b.len());
    let differing = a.iter().zip(b).filter(|(x, y)| x != y).count();
    assert!((1..=2).contains(&differing));
    let bad: Vec<QueueRecord> = queue(&files, "MONTGOMERY/GLB/MSTTRANS.GLB")
        .into_iter()
        .filter(|r| !r.checksum_ok())
        .collect();
    assert_eq!(bad.len(), 1);
}

#[test]
fn wrong_size_cuts_taylors_gal_inside_a_record() {
    let healthy = run(None);
    let files = run(Some(Scenario::WrongSize));
    assert_eq!(changed(&healthy, &files), set(&["TAYLOR/NME/GAL.NME"]));
    let (whole, cut) = (
        get(&healthy, "TAYLOR/NME/GAL.NME"),
        get(&files, "TAYLOR/NME/GAL.NME"),
    );
    assert!(whole.starts_with(cut));
    assert_ne!(cut.len() % 45, 0);
}

#[test]
fn missing_names_drops_two_of_montgomerys_users_from_taylors_list() {
    let healthy = run(None);
    let files = run(Some(Scenario::MissingNames));
    // TAYLOR's USR list of MONTGOMERY is 00000002.USR (the first mailbag
    // after the network's XTN).
    let usr = "TAYLOR/USR/00000002.USR";
    assert_eq!(
        changed(&healthy, &files),
        set(&[usr, "TAYLOR/NME/GAL.NME", "TAYLOR/GLB/GALNETPO.GLB"])
    );
    let names = |files: &[Sample]| -> BTreeSet<Vec<u8>> {
        doc::<Usr>(get(files, usr), FileKind::Usr)
            .records
            .iter()
            .map(|r| r.mailbox.bytes().to_vec())
            .collect()
    };
    let (all, some) = (names(&healthy), names(&files));
    assert!(some.is_subset(&all));
    assert_eq!(all.len() - some.len(), 2);
    // The server still has them: MONTGOMERY's own POL lists every one.
    let mst = queue(&files, "MONTGOMERY/GLB/MSTTRANS.GLB");
    for missing in all.difference(&some) {
        let needle = [b"/MONTGOMERY/".as_slice(), missing].concat();
        assert!(mst
            .iter()
            .any(|r| r.text.windows(needle.len()).any(|w| w == needle)));
    }
}

#[test]
fn scenarios_work_on_other_sizes_and_seeds() {
    for base in [
        Params {
            postoffices: 2,
            users: 1,
            cycles: 1,
            seed: 5,
            scenario: None,
        },
        Params {
            postoffices: 6,
            users: 12,
            cycles: 4,
            seed: 77,
            scenario: None,
        },
    ] {
        for s in Scenario::ALL {
            let files = run_with(Some(s), base.clone());
            assert!(!files.is_empty(), "{s}");
        }
        let bad = run_with(Some(Scenario::Error14), base.clone());
        let h = queue(&bad, "TAYLOR/GLB/RESYNC.GLB")[0]
            .resync_header_numbers()
            .unwrap();
        let (_, records) = srvconf(&bad);
        assert!(h.reqseq < records.iter().map(|r| r.reqsync).max().unwrap());
        assert_eq!(h.reqseq, reqconf(&bad, "TAYLOR").reqsync);
        let purged = run_with(Some(Scenario::Purged), base.clone());
        let oldest = queue(&purged, "MONTGOMERY/GLB/MSTTRANS.GLB")[0].sync;
        assert!(reqconf(&purged, "TAYLOR").srvsync + 1 < oldest);
    }
    // A server alone has no requestor to damage.
    let err = sim::generate(&Params {
        postoffices: 1,
        scenario: Some(Scenario::LostReply),
        ..Params::committed()
    })
    .unwrap_err();
    assert!(err.contains("--postoffices 2"), "{err}");
}

/// Issue 14 point 11: SRVMAIN T2 rejects the transactions numbered *less
/// than* the ReqSync stored for the requestor (KB Q96060: "Any transactions
/// that are numbered less than the stored ReqSync number are rejected as
/// old information, and the remaining transactions are added to the
/// MSTTRANS.GLB file"). After a lost reply TAYLOR sends its last cycle's
/// transactions again: those below the stored number are rejected, the one
/// equal to it is appended a second time, and its second replay changes no
/// list.
#[test]
fn t2_rejects_only_transactions_numbered_below_the_stored_reqsync() {
    use glb_corpus::sim::{Disturbance, Network};
    let mut net = Network::new(Params {
        postoffices: 3,
        users: 4,
        cycles: 0,
        seed: 7,
        scenario: None,
    });
    net.run_healthy(2);
    let was = net.postoffices[1].reqconf.reqsync;
    net.run_cycle(&Disturbance {
        lost_reply: Some(1),
        ..Disturbance::default()
    });
    let stored = net.server.records[1].reqsync;
    assert_eq!(
        net.postoffices[1].reqconf.reqsync, was,
        "the reply was lost"
    );
    assert!(stored > was);
    let text_of = |sync: u32| {
        net.postoffices[1]
            .reqtrans
            .iter()
            .find(|r| r.sync == sync)
            .unwrap()
            .text
            .clone()
    };
    let resent: Vec<(u32, Vec<u8>)> = (was + 1..=stored).map(|n| (n, text_of(n))).collect();
    let before = net.server.msttrans.len();
    net.run_healthy(1);
    let appended: Vec<&[u8]> = net.server.msttrans[before..]
        .iter()
        .map(|r| r.text.as_slice())
        .collect();
    let count = |t: &[u8]| net.server.msttrans.iter().filter(|r| r.text == t).count();
    for (n, t) in &resent {
        if *n < stored {
            assert_eq!(count(t), 1, "transaction {n} is below {stored}: rejected");
        } else {
            assert_eq!(count(t), 2, "transaction {n} equals {stored}: taken again");
            assert!(appended.contains(&t.as_slice()));
        }
    }
    let rejected = (stored - was - 1) as usize;
    if rejected > 0 {
        assert!(
            net.log
                .iter()
                .any(|l| l == &format!("SERVER: {rejected} old transactions from TAYLOR rejected")),
            "{:#?}",
            net.log
        );
    }
    // The lists stay right: every requestor's copy of every other
    // postoffice's list is the server's.
    for (i, po) in net.postoffices.iter().enumerate() {
        for (key, list) in &net.server.database.lists {
            if *key == po.own_list() || !key.starts_with(b"PCM:") {
                continue;
            }
            let got: Vec<&Vec<u8>> = po.received.lists[key].values().map(|e| &e.alias).collect();
            let want: Vec<&Vec<u8>> = list.values().map(|e| &e.alias).collect();
            assert_eq!(
                got,
                want,
                "postoffice {i}, list {}",
                String::from_utf8_lossy(key)
            );
        }
    }
}
