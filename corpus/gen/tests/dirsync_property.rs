//! Issue 14's property test: on random healthy networks made by the
//! simulator, `diff --dss` of the server against each requestor reports
//! every list equal, and the RESYNC.GLB `resync` writes, replayed, gives
//! exactly the server's lists. Everything runs in-process through the
//! library (the same calls `glbtool diff --dss` and `glbtool resync` make),
//! on the files the simulator writes to disk.

use std::collections::BTreeMap;

use glb_corpus::sim::{self, Params};
use glb_dirsync::compare::{self, RequestorView, ServerView};
use glb_dirsync::postoffice::Postoffice;
use glb_dirsync::replay::Directory;
use glb_dirsync::resync;
use glb_formats::fields::Stamp;
use glb_formats::format::{Document, ReadOptions};
use glb_formats::queue::{Queue, ResyncHeader};
use glb_formats::FileKind;
use proptest::prelude::*;

/// The lists of a directory as (list, address key) -> (alias, address):
/// what a requestor would hold, without sync numbers or template lines.
type Lists = BTreeMap<Vec<u8>, BTreeMap<Vec<u8>, (Vec<u8>, Vec<u8>)>>;

fn lists(d: &Directory) -> Lists {
    d.lists
        .iter()
        .map(|(k, l)| {
            let entries = l
                .iter()
                .map(|(ek, e)| (ek.clone(), (e.alias.clone(), e.address.clone())))
                .collect();
            (k.clone(), entries)
        })
        .collect()
}

/// One network: every requestor (the server's own postoffice included)
/// compares equal with the server, and RESYNC.GLB replayed gives the
/// server's database.
fn check(params: &Params) -> Result<(), TestCaseError> {
    let net = sim::simulate(params).map_err(TestCaseError::fail)?;
    let files = net.files();
    let dir = tempfile::tempdir().unwrap();
    glb_corpus::write_all(dir.path(), &files).unwrap();
    let server_dir = dir.path().join("MONTGOMERY");
    for po in net.names() {
        let requestor = RequestorView::open_postoffice(
            &dir.path().join(&po),
            None,
            glb_formats::CodePage::Cp850,
        )
        .unwrap();
        let server = ServerView::open_for(&server_dir, &requestor).unwrap();
        let c = compare::compare(&server, &requestor, None);
        let differing: Vec<_> = c.lists.iter().filter(|l| !l.is_equal()).collect();
        prop_assert!(differing.is_empty(), "{po}: {differing:#?}");
        prop_assert!(c.pending.is_none(), "{po}: {:?}", c.pending);
        prop_assert!(c.server_events.is_empty(), "{po}: {:?}", c.server_events);
        prop_assert!(c.server_behind.is_none());
        prop_assert!(
            !c.lists.is_empty(),
            "{po}: nothing compared ({:?})",
            c.excluded
        );
    }
    // resync, as `glbtool resync --server MONTGOMERY` does it.
    let mut d = Directory::new();
    resync::replay_queue(
        &server_dir.join("GLB/MSTTRANS.GLB"),
        FileKind::Msttrans,
        &mut d,
        glb_formats::CodePage::Cp850,
    )
    .unwrap();
    let po = Postoffice::open(&server_dir, glb_formats::CodePage::Cp850).unwrap();
    resync::add_postoffice_lists(&po, &mut d).unwrap();
    let (bytes, _) = resync::write(Vec::new(), ResyncHeader::default(), Stamp(0), &d).unwrap();
    let doc =
        Document::<Queue>::from_bytes(&bytes, FileKind::Resync, ReadOptions::default()).unwrap();
    let mut back = Directory::new();
    for r in &doc.records {
        back.apply_text(r.sync, &r.text, glb_formats::CodePage::Cp850);
    }
    prop_assert!(back.events.is_empty(), "{:?}", back.events);
    prop_assert_eq!(lists(&back), lists(&net.server.database));
    Ok(())
}

fn healthy() -> impl Strategy<Value = Params> {
    // Sizes sampled towards the small end (most cases cost little), the
    // documented ranges still reached: 2 to 8 postoffices, 3 to 60 users,
    // 1 to 12 cycles.
    let small_or = |lo: usize, mid: usize, hi: usize| prop_oneof![3 => lo..=mid, 1 => lo..=hi];
    (
        small_or(2, 4, 8),
        small_or(3, 12, 60),
        small_or(1, 4, 12),
        any::<u64>(),
    )
        .prop_map(|(postoffices, users, cycles, seed)| Params {
            postoffices,
            users,
            cycles: cycles as u32,
            seed,
            scenario: None,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(50))]

    #[test]
    fn healthy_networks_compare_equal_and_resync_gives_the_servers_lists(params in healthy()) {
        check(&params)?;
    }
}

/// The largest network of the documented ranges, once.
#[test]
fn the_largest_network_in_range() {
    check(&Params {
        postoffices: 8,
        users: 60,
        cycles: 12,
        seed: 14,
        scenario: None,
    })
    .unwrap();
}
