use glb_formats::codepage::CodePage;
use glb_formats::fields::Text;
use glb_formats::hexid::Hexid;
use glb_formats::netpo::{Netpo, NetpoHeader, NetpoRecord};
use glb_formats::network::{Network, NetworkRecord};
use glb_formats::nme::NmeRecord;
use glb_formats::process::{ProcessFile, ProcessHeader, ProcessKind, ProcessRecord};
use glb_formats::queue::{Queue, QueueRecord};
use glb_formats::reqconf::{ReqConf, ReqConfFile};
use glb_formats::srvconf::{RequestorRecord, SrvConfFile, SrvConfHeader};
use glb_formats::usr::{Usr, UsrRecord};
use glb_formats::xtn::{Xtn, XtnRecord};
use proptest::prelude::*;

use super::*;
use crate::testdir::file_bytes as file;

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::encode(s, CodePage::Cp850).unwrap()
}

fn q(sync: u32, t: &str) -> QueueRecord {
    QueueRecord::new(sync, Stamp(765_720_832), t.as_bytes())
}

fn queue(records: Vec<QueueRecord>) -> Vec<u8> {
    file::<Queue>(FileKind::Msttrans, Default::default(), records)
}

fn nme(entry_type: u16, name: &str, tid: u32, pointer: u32) -> NmeRecord {
    NmeRecord {
        entry_type,
        name: text(name),
        tid,
        pointer,
        hexid: Hexid(7),
    }
}

fn nmes(records: Vec<NmeRecord>) -> Vec<u8> {
    file::<Nme>(FileKind::Nme, Default::default(), records)
}

/// One side of a comparison, its text in CP850.
fn side(bytes: &[u8], kind: FileKind) -> Side<'_> {
    Side::new(bytes, kind, glb_formats::codepage::CodePage::Cp850)
}

fn diff_of(a: &[u8], b: &[u8], kind: FileKind, key: Key) -> FileDiff {
    both(&side(a, kind), &side(b, kind), key)
}

/// A side read as a stream, in pieces of 5 bytes.
fn in_pieces<'a>(s: &Side<'a>) -> StreamSide<'a, glb_formats::invariants::Pieces<'a>> {
    StreamSide {
        path: None,
        src: glb_formats::invariants::Pieces {
            data: s.bytes,
            max: 5,
        },
        size: Some(s.bytes.len() as u64),
        kind: s.kind,
        netpo: s.netpo,
        list: s.list,
        codepage: s.codepage,
    }
}

/// The streaming diff of two sides, read in pieces of 5 bytes.
fn streamed(a: &Side<'_>, b: &Side<'_>, key: Key) -> Result<Streamed> {
    diff_streams(in_pieces(a), in_pieces(b), key)
}

/// The diff of two sides, checking that the streaming diff gives the same
/// whenever both files are in key order, and says so when they are not;
/// and that the one-pass streaming diff, which tells a sink after a few
/// records, tells the same, or stops where a file goes out of key order
/// having told only changed records the whole comparison also reports.
fn both(a: &Side<'_>, b: &Side<'_>, key: Key) -> FileDiff {
    let d = diff(a, b, key).unwrap();
    let ordered = in_key_order(a, d.key) && in_key_order(b, d.key);
    match streamed(a, b, key).unwrap() {
        Streamed::Diff(s) => assert_eq!(*s, d, "the streaming diff differs"),
        Streamed::OutOfOrder => assert!(
            !ordered,
            "both files are in key order, yet the streaming diff gave up"
        ),
    }
    let mut told = Told::default();
    match diff_streams_to(in_pieces(a), in_pieces(b), key, (None, None), 2, &mut told).unwrap() {
        Outcome::Complete(end) => {
            assert!(ordered, "out of key order, yet the one-pass diff ended");
            let mut c = Collector::default();
            let _ = c
                .start(told.start.as_ref().expect("told the start"))
                .unwrap();
            for x in told.all {
                let _ = c.difference(x).unwrap();
            }
            assert_eq!(c.finish(end), d, "the one-pass streaming diff differs");
        }
        Outcome::OutOfOrder(_) => {
            assert!(!ordered);
            assert!(!told.started, "told something before giving up");
        }
        Outcome::CutShort(why) => {
            assert!(!ordered && told.started);
            let (n, m) = why.compared;
            assert!(n <= d.records_a && m <= d.records_b, "{why:?}");
            for x in &told.all {
                if let Difference::Changed(c) = x {
                    assert!(d.changed.contains(c), "told {c:?}, not in the whole diff");
                }
            }
        }
        Outcome::Stopped => panic!("the sink never stops"),
    }
    d
}

/// True when the records of `s` are in `key` order (equal keys allowed).
fn in_key_order(s: &Side<'_>, key: Key) -> bool {
    glb_formats::with_format!(s.kind.family(), |F| {
        let ix = Indexed::new::<F>(s).unwrap();
        let parts = key_parts::<F>(s.kind.family(), key);
        let maker = key_maker(s, &parts, s.kind.family(), key);
        let keys: Vec<Vec<u8>> = (0..ix.records.len())
            .map(|i| {
                let mut k = Vec::new();
                maker.push(ix.raw(i).0, i as u64, &mut k, true);
                k
            })
            .collect();
        keys.windows(2).all(|w| w[0] <= w[1])
    })
}

fn keys(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.key.key.as_str()).collect()
}

fn fields(c: &Changed) -> Vec<&str> {
    c.fields.iter().map(|f| f.field).collect()
}

/// `(key, changed fields)` of every changed record.
fn changed_fields(d: &FileDiff) -> Vec<(&str, Vec<&str>)> {
    d.changed
        .iter()
        .map(|c| (c.key.key.as_str(), fields(c)))
        .collect()
}

#[test]
fn identical_files_are_equal() {
    let a = queue(vec![q(1, "R PCM:N/P"), q(2, "A Joe\tPCM:N/P/joe")]);
    let d = diff_of(&a, &a, FileKind::Msttrans, Key::Auto);
    assert!(d.is_equal());
    assert_eq!((d.unchanged, d.key), (2, Key::Sync));
    let empty = diff_of(&[], &[], FileKind::Nme, Key::Auto);
    assert!(empty.is_equal());
    assert_eq!(empty.records_a, 0);
}

#[test]
fn queues_pair_by_sync_and_name_the_changed_parts() {
    let a = queue(vec![
        q(1, "R PCM:N/P"),
        q(2, "A Paul\tPCM:N/P/paul"),
        q(3, "A Joe\tPCM:N/P/joe"),
        q(5, "A Ann\tPCM:N/P/ann\r\n- Phone:/555"),
    ]);
    let mut first = q(1, "R PCM:N/P");
    first.reserved.0[3] = 0xAB; // an unknown byte, checksum left as stored
    let b = queue(vec![
        first,
        q(2, "A Paul Smith\tPCM:N/P/paul"),
        q(4, "D Joe\tPCM:N/P/joe"),
        q(5, "A Ann\tPCM:N/P/ann\r\n- Phone:/556"),
    ]);
    let d = diff_of(&a, &b, FileKind::Msttrans, Key::Auto);
    assert_eq!(keys(&d.removed), ["3"]);
    assert_eq!(keys(&d.added), ["4"]);
    assert_eq!(d.unchanged, 0);
    let changed: Vec<&str> = d.changed.iter().map(|c| c.key.key.as_str()).collect();
    assert_eq!(changed, ["1", "2", "5"]);
    // Record 1: only the unknown byte, as a byte range at its absolute offset.
    assert_eq!(fields(&d.changed[0]), ["reserved"]);
    assert_eq!(
        d.changed[0].fields[0].bytes,
        [ByteRange {
            a_offset: 15,
            b_offset: 15,
            len: 1,
            a: "00".into(),
            b: "ab".into(),
        }]
    );
    assert!(d.changed[0].transaction.is_empty());
    // Record 2: the alias, in the text; length and checksum follow the text.
    let c = &d.changed[1];
    assert_eq!(fields(c), ["length", "checksum", "text"]);
    assert_eq!(
        c.transaction,
        [PartChange {
            part: "alias",
            a: Some("Paul".into()),
            b: Some("Paul Smith".into())
        }]
    );
    // Record 5: a template line.
    let parts: Vec<&str> = d.changed[2].transaction.iter().map(|p| p.part).collect();
    assert_eq!(parts, ["template lines"]);
    // Removed and added records show their text.
    assert_eq!(
        d.added[0].fields.get("text"),
        Some(&Shown::Text("D Joe\tPCM:N/P/joe".into()))
    );
    assert!(!d.is_equal());
}

#[test]
fn transaction_parts_cover_command_address_and_modify_target() {
    let p = transaction_changes(
        b"M Paul\tPCM:N/P/paul\r\n \tPaul M\tPCM:N/P/paul",
        b"D Paul\tPCM:N/Q/paul",
        glb_formats::codepage::CodePage::Cp850,
    );
    let parts: Vec<&str> = p.iter().map(|c| c.part).collect();
    assert_eq!(parts, ["command", "address", "new alias", "new address"]);
    assert_eq!(p[3].b, None);
}

#[test]
fn queue_records_out_of_sync_order_still_pair() {
    let a = queue(vec![q(3, "A C\tPCM:N/P/c"), q(1, "A A\tPCM:N/P/a")]);
    let b = queue(vec![q(1, "A A\tPCM:N/P/a"), q(3, "A C\tPCM:N/P/c")]);
    let d = diff_of(&a, &b, FileKind::Msttrans, Key::Sync);
    assert_eq!(d.unchanged, 2);
    // The same transactions in another order: a difference of order only.
    let r = d.reordered.as_ref().expect("order differs");
    assert_eq!((r.key.key.as_str(), r.before.key.as_str()), ("1", "3"));
    assert_eq!((r.a.index, r.b.index), (1, 0));
    assert!(!d.is_equal());
    let by_position = diff_of(&a, &b, FileKind::Msttrans, Key::Position);
    assert_eq!(by_position.changed.len(), 2);
}

#[test]
fn nme_by_name_ignores_case_and_reports_changed_fields() {
    let a = nmes(vec![
        nme(1, "Bryan", 2, 0),
        nme(1, "Mark", 3, 69),
        nme(1, "Paul", 1, 138),
    ]);
    let mut bryan = nme(1, "Bryan", 9, 0);
    bryan.name.0[10] = b'x'; // after the NUL: shown the same, bytes differ
    let b = nmes(vec![bryan, nme(1, "PAUL", 1, 138), nme(2, "Zed", 4, 4)]);
    let d = diff_of(&a, &b, FileKind::Nme, Key::Auto);
    assert_eq!(d.key, Key::Name);
    assert_eq!(keys(&d.removed), ["Mark"]);
    assert_eq!(keys(&d.added), ["Zed"]);
    assert_eq!(d.changed.len(), 2);
    let bryan = &d.changed[0];
    assert_eq!(bryan.key.key, "Bryan");
    assert_eq!(fields(bryan), ["name", "tid"]);
    let name = &bryan.fields[0];
    assert_eq!(name.a, name.b);
    assert_eq!(
        name.bytes,
        [ByteRange {
            a_offset: 12,
            b_offset: 12,
            len: 1,
            a: "00".into(),
            b: "78".into(),
        }]
    );
    assert_eq!(
        (&bryan.fields[1].a, &bryan.fields[1].b),
        (&Shown::Unsigned(2), &Shown::Unsigned(9))
    );
    let paul = &d.changed[1];
    assert_eq!(paul.key.key, "Paul");
    assert_eq!(fields(paul), ["name"]);
    assert_eq!(paul.fields[0].b, Shown::Text("PAUL".into()));
    assert!(paul.fields[0].bytes.is_empty(), "a visible change");
    assert!(d.notes.iter().any(|n| n.contains("friendly name")));
}

#[test]
fn nme_by_tid_follows_a_renamed_entry() {
    let a = nmes(vec![nme(1, "Paul", 0x101, 0)]);
    let b = nmes(vec![nme(1, "Paul Montgomery", 0x101, 0)]);
    let d = diff_of(&a, &b, FileKind::Nme, Key::Tid);
    assert_eq!(d.changed.len(), 1);
    assert_eq!(d.changed[0].key.key, "00000101");
    assert_eq!(fields(&d.changed[0]), ["name"]);
    let by_name = diff_of(&a, &b, FileKind::Nme, Key::Name);
    assert_eq!((by_name.removed.len(), by_name.added.len()), (1, 1));
}

fn netpo_file(records: &[(&str, &str, &str)]) -> Vec<u8> {
    let recs = records
        .iter()
        .map(|(n, p, m)| NetpoRecord {
            status: 1,
            tid: 0,
            network: text(n),
            postoffice: text(p),
            mailbox: text(m),
            mailbag: Hexid(8),
        })
        .collect();
    file::<Netpo>(FileKind::Netpo, NetpoHeader::default(), recs)
}

#[test]
fn nme_by_address_resolves_external_entries_through_netpo() {
    let na = netpo_file(&[("POLY", "TAYLOR", "brook"), ("POLY", "LAGRANGE", "joe")]);
    // B's NETPO holds the same addresses in another order, so the pointers differ.
    let nb = netpo_file(&[("POLY", "LAGRANGE", "joe"), ("POLY", "TAYLOR", "BROOK")]);
    let a = nmes(vec![
        nme(2, "Brook Taylor", 1, 4),
        nme(2, "Joseph", 2, 47),
        nme(1, "Local Larry", 3, 0),
    ]);
    let b = nmes(vec![
        nme(2, "Brook T.", 1, 47),
        nme(2, "Joseph", 2, 4),
        nme(1, "Local Larry", 3, 0),
    ]);
    let resolver =
        |b: &[u8]| crate::resolve::Resolver::read(b, FileKind::Netpo, b.len() as u64).unwrap();
    let (na, nb) = (resolver(&na), resolver(&nb));
    let side = |bytes, netpo| Side {
        bytes,
        kind: FileKind::Nme,
        netpo: Some(netpo),
        list: None,
        codepage: glb_formats::codepage::CodePage::Cp850,
    };
    let d = both(&side(&a, &na), &side(&b, &nb), Key::Auto);
    assert_eq!(d.key, Key::Address);
    assert!(d.added.is_empty() && d.removed.is_empty(), "{d:#?}");
    assert_eq!(
        changed_fields(&d),
        [
            ("PCM:POLY/LAGRANGE/joe", vec!["pointer"]),
            ("PCM:POLY/TAYLOR/brook", vec!["name", "pointer"]),
        ]
    );
    assert_eq!(d.unchanged, 1, "the local user, matched by name");
}

#[test]
fn usr_entries_pair_by_address_and_show_deletion() {
    let usr = |status: u8, mbx: &str, name: &str, tid: u32| UsrRecord {
        status,
        mailbox: text(mbx),
        name: text(name),
        tid,
        ..UsrRecord::default()
    };
    let a = file::<Usr>(
        FileKind::Usr,
        Default::default(),
        vec![
            usr(1, "brook", "Brook Taylor", 1),
            usr(1, "colin", "Colin", 2),
        ],
    );
    let b = file::<Usr>(
        FileKind::Usr,
        Default::default(),
        vec![
            usr(1, "BROOK", "Brook Taylor", 1),
            usr(0, "colin", "Colin", 2),
        ],
    );
    let side = |bytes| Side {
        bytes,
        kind: FileKind::Usr,
        netpo: None,
        list: Some("POLY/TAYLOR"),
        codepage: glb_formats::codepage::CodePage::Cp850,
    };
    let d = both(&side(&a), &side(&b), Key::Auto);
    assert_eq!(d.key, Key::Address);
    assert_eq!(
        changed_fields(&d),
        [
            ("PCM:POLY/TAYLOR/brook", vec!["mailbox"]),
            ("PCM:POLY/TAYLOR/colin", vec!["status"])
        ]
    );
    assert_eq!(
        d.changed[1].fields[0].b,
        Shown::Code {
            raw: 0,
            meaning: Some("deleted")
        }
    );
    // Without a postoffice, by mailbox alone, and said so.
    let plain = diff_of(&a, &b, FileKind::Usr, Key::Auto);
    assert_eq!(plain.changed[0].key.key, "brook");
    assert!(plain.notes.iter().any(|n| n.contains("mailbox name")));
}

#[test]
fn netpo_header_and_records() {
    let a = netpo_file(&[("POLY", "TAYLOR", "brook")]);
    let mut b = netpo_file(&[("POLY", "TAYLOR", "brook"), ("POLY", "TAYLOR", "colin")]);
    b[0] = 4; // delete chain
    let d = diff_of(&a, &b, FileKind::Netpo, Key::Auto);
    assert_eq!(d.header.len(), 1);
    assert_eq!(d.header[0].field, "delete_chain");
    assert_eq!(keys(&d.added), ["POLY/TAYLOR/colin"]);
    assert_eq!(d.unchanged, 1);
    let by_tid = diff_of(&a, &b, FileKind::Netpo, Key::Tid);
    assert_eq!(by_tid.key, Key::Tid);
}

#[test]
fn network_and_xtn_by_name() {
    let net = |name: &str, t: u8| NetworkRecord {
        status: 1,
        network_type: t,
        name: text(name),
        ..NetworkRecord::default()
    };
    let a = file::<Network>(
        FileKind::Network,
        Default::default(),
        vec![net("POLY", 0x10), net("PAGER", 0x64)],
    );
    let b = file::<Network>(
        FileKind::Network,
        Default::default(),
        vec![net("POLY", 0x10), net("PAGER", 0x65)],
    );
    let d = diff_of(&a, &b, FileKind::Network, Key::Auto);
    assert_eq!(d.changed[0].key.key, "PAGER");
    assert_eq!(fields(&d.changed[0]), ["network_type"]);
    let xtn = |po: &str, status: u8| XtnRecord {
        status,
        postoffice: text(po),
        ..XtnRecord::default()
    };
    let a = file::<Xtn>(FileKind::Xtn, Default::default(), vec![xtn("EULER", 1)]);
    let b = file::<Xtn>(FileKind::Xtn, Default::default(), vec![xtn("euler", 0)]);
    let d = diff_of(&a, &b, FileKind::Xtn, Key::Auto);
    assert_eq!(fields(&d.changed[0]), ["status", "postoffice"]);
}

#[test]
fn srvconf_records_pair_by_requestor_name() {
    let req = |name: &str, reqsync: u32| RequestorRecord {
        name: text(name),
        reqsync,
        ..RequestorRecord::default()
    };
    let header = SrvConfHeader {
        highest_srvsync: 80,
        ..SrvConfHeader::default()
    };
    let a = file::<SrvConfFile>(
        FileKind::Srvconf,
        header.clone(),
        vec![
            req("PCM:P/MONT", 17),
            req("PCM:P/NOV", 18),
            req("PCM:P/OCT", 12),
        ],
    );
    let mut h2 = header;
    h2.highest_srvsync = 81;
    h2.reserved.0[0] = 1;
    let b = file::<SrvConfFile>(
        FileKind::Srvconf,
        h2,
        vec![
            req("PCM:P/MONT", 17),
            req("pcm:p/oct", 12),
            req("PCM:P/NOV", 19),
        ],
    );
    let d = diff_of(&a, &b, FileKind::Srvconf, Key::Auto);
    let hf: Vec<&str> = d.header.iter().map(|f| f.field).collect();
    assert_eq!(hf, ["highest_srvsync", "reserved"]);
    assert_eq!(d.header[1].bytes[0].a_offset, 21, "reserved starts at +21");
    assert_eq!(
        changed_fields(&d),
        [("PCM:P/NOV", vec!["reqsync"]), ("PCM:P/OCT", vec!["name"])]
    );
    assert!(d.reordered.is_some(), "OCT moved before NOV");
    assert_eq!(d.changed[0].b.offset, 1024 + 2 * 1024);
}

#[test]
fn reqconf_field_by_field_with_unknown_bytes_as_ranges() {
    let a = ReqConf {
        reqsync: 17,
        srvsync: 80,
        ..ReqConf::default()
    };
    let mut b = a.clone();
    b.srvsync = 81;
    b.reserved.0[10] = 0xFF;
    b.reserved.0[11] = 0xFE;
    b.reserved.0[20] = 1;
    let (fa, fb) = (
        file::<ReqConfFile>(FileKind::Reqconf, a, vec![]),
        file::<ReqConfFile>(FileKind::Reqconf, b, vec![]),
    );
    let d = diff_of(&fa, &fb, FileKind::Reqconf, Key::Auto);
    let hf: Vec<&str> = d.header.iter().map(|f| f.field).collect();
    assert_eq!(hf, ["srvsync", "reserved"]);
    let ranges: Vec<(u64, u64)> = d.header[1]
        .bytes
        .iter()
        .map(|r| (r.a_offset, r.len))
        .collect();
    assert_eq!(ranges, [(233, 2), (243, 1)]);
    assert!(!d.is_equal());
}

#[test]
fn process_records_pair_by_id() {
    let rec = |id, kind, at| ProcessRecord::scheduled(id, kind, Stamp(at), 28_800, 0);
    let a = file::<ProcessFile>(
        FileKind::Process,
        ProcessHeader::default(),
        vec![
            rec(1, ProcessKind::RequestorSends, 1000),
            rec(2, ProcessKind::RequestorProcesses, 2000),
        ],
    );
    let b = file::<ProcessFile>(
        FileKind::Process,
        ProcessHeader::default(),
        vec![
            rec(2, ProcessKind::RequestorProcesses, 2600),
            rec(3, ProcessKind::ServerProcess, 3000),
        ],
    );
    let d = diff_of(&a, &b, FileKind::Process, Key::Auto);
    assert_eq!(d.key, Key::Id);
    assert_eq!(keys(&d.removed), ["1"]);
    assert_eq!(keys(&d.added), ["3"]);
    assert_eq!(fields(&d.changed[0]), ["run_at", "deadline", "next_run"]);
}

#[test]
fn keys_that_do_not_apply_are_refused() {
    let n = file::<Network>(FileKind::Network, Default::default(), vec![]);
    let err = diff(
        &side(&n, FileKind::Network),
        &side(&n, FileKind::Network),
        Key::Tid,
    )
    .unwrap_err();
    assert!(err.to_string().contains("name, position"), "{err}");
    let e = nmes(vec![]);
    let err = diff(
        &side(&e, FileKind::Nme),
        &side(&e, FileKind::Nme),
        Key::Address,
    )
    .unwrap_err();
    assert!(err.to_string().contains("NETPO.GLB"), "{err}");
    let err = diff(
        &side(&e, FileKind::Nme),
        &side(&n, FileKind::Network),
        Key::Auto,
    )
    .unwrap_err();
    assert!(err.to_string().contains("different layouts"), "{err}");
    assert_eq!("TID".parse::<Key>(), Ok(Key::Tid));
    assert!("colour".parse::<Key>().is_err());
}

#[test]
fn every_key_of_every_family_resolves_its_fields() {
    for kind in FileKind::ALL {
        let family = kind.family();
        for &key in Key::choices(family) {
            glb_formats::with_format!(family, |F| key_parts::<F>(family, key));
        }
    }
}

#[test]
fn size_errors_are_errors() {
    let err = diff(
        &side(&[0; 44], FileKind::Nme),
        &side(&[], FileKind::Nme),
        Key::Auto,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Size { size: 44, .. }), "{err}");
    let err = diff(
        &side(&[30, 0, 1], FileKind::Msttrans),
        &side(&[], FileKind::Msttrans),
        Key::Auto,
    )
    .unwrap_err();
    assert!(err.location().is_some(), "{err}");
}

#[test]
fn duplicate_keys_pair_in_file_order() {
    let a = nmes(vec![nme(1, "John", 1, 0), nme(1, "John", 2, 0)]);
    let b = nmes(vec![nme(1, "John", 1, 0), nme(1, "John", 3, 0)]);
    let d = diff_of(&a, &b, FileKind::Nme, Key::Name);
    assert_eq!(d.unchanged, 1);
    assert_eq!(d.changed.len(), 1);
    assert_eq!((d.changed[0].a.index, d.changed[0].b.index), (1, 1));
    assert!(
        d.notes.iter().any(|n| n.contains("file order")),
        "{:?}",
        d.notes
    );
}

#[test]
fn large_shuffled_lists_diff_by_sorting() {
    // 100,000 names; B holds them in reverse order with every 1000th TID
    // changed and one name replaced.
    let names: Vec<NmeRecord> = (0..100_000u32)
        .map(|i| nme(1, &format!("User {i:06}"), i, 0))
        .collect();
    let a = nmes(names.clone());
    let mut rev: Vec<NmeRecord> = names.into_iter().rev().collect();
    for (i, r) in rev.iter_mut().enumerate() {
        if i % 1000 == 0 {
            r.tid += 1_000_000;
        }
    }
    rev[5] = nme(1, "Someone Else", 5, 0);
    let b = nmes(rev);
    let d = diff_of(&a, &b, FileKind::Nme, Key::Name);
    assert_eq!(d.changed.len(), 100);
    assert_eq!(keys(&d.removed), ["User 099994"]);
    assert_eq!(keys(&d.added), ["Someone Else"]);
    assert_eq!(d.unchanged, 100_000 - 101);
    assert!(d.reordered.is_some());
    let (sa, sb) = (side(&a, FileKind::Nme), side(&b, FileKind::Nme));
    assert!(matches!(
        streamed(&sa, &sb, Key::Name).unwrap(),
        Streamed::OutOfOrder
    ));
}

#[test]
fn queues_in_sync_order_diff_as_streams() {
    // 20,000 transactions each; B lacks 100 of A's, changes 200 and adds 300
    // past A's end: the streaming diff pairs them as it reads.
    let text = |i: u32| format!("A User {i}\tPCM:POLY/TAYLOR/u{i}");
    let a: Vec<QueueRecord> = (1..=20_000).map(|i| q(i, &text(i))).collect();
    let mut b: Vec<QueueRecord> = a
        .iter()
        .filter(|r| r.sync % 200 != 0)
        .cloned()
        .map(|mut r| {
            if r.sync % 100 == 1 {
                r = q(
                    r.sync,
                    &format!("D User {}\tPCM:POLY/TAYLOR/u{}", r.sync, r.sync),
                );
            }
            r
        })
        .collect();
    b.extend((20_001..=20_300).map(|i| q(i, &text(i))));
    let (fa, fb) = (queue(a), queue(b));
    let (sa, sb) = (side(&fa, FileKind::Msttrans), side(&fb, FileKind::Msttrans));
    let Streamed::Diff(d) = streamed(&sa, &sb, Key::Auto).unwrap() else {
        panic!("both queues are in sync order");
    };
    assert_eq!(
        (d.removed.len(), d.changed.len(), d.added.len()),
        (100, 200, 300)
    );
    assert_eq!(d.unchanged, 20_000 - 100 - 200);
    assert_eq!((d.records_a, d.records_b), (20_000, 20_200));
    assert_eq!(keys(&d.removed)[..2], ["200", "400"]);
    assert_eq!(d.changed[0].transaction[0].part, "command");
    assert_eq!(*d, diff(&sa, &sb, Key::Auto).unwrap());
}

/// A sink that keeps every difference in the order it was told, and can stop.
#[derive(Default)]
struct Told {
    started: bool,
    start: Option<Start>,
    all: Vec<Difference>,
    stop_after: Option<usize>,
}

impl Sink for Told {
    fn start(&mut self, start: &Start) -> Result<Flow> {
        self.started = true;
        self.start = Some(start.clone());
        Ok(Flow::Continue(()))
    }
    fn difference(&mut self, d: Difference) -> Result<Flow> {
        assert!(self.started, "a difference before the start");
        self.all.push(d);
        Ok(if Some(self.all.len()) == self.stop_after {
            Flow::Break(())
        } else {
            Flow::Continue(())
        })
    }
}

fn key_of(d: &Difference) -> u64 {
    match d {
        Difference::Removed(i) | Difference::Added(i) => i.key.key.parse().unwrap(),
        Difference::Changed(c) => c.key.key.parse().unwrap(),
    }
}

#[test]
fn differences_are_told_as_found_in_key_order_by_both_ways() {
    let text = |i: u32| format!("A User {i}\tPCM:POLY/TAYLOR/u{i}");
    let a: Vec<QueueRecord> = (1..=2_000)
        .filter(|i| i % 7 != 0)
        .map(|i| q(i, &text(i)))
        .collect();
    let b: Vec<QueueRecord> = (1..=2_100)
        .filter(|i| i % 11 != 0)
        .map(|i| q(i, &text(if i % 13 == 0 { i + 1 } else { i })))
        .collect();
    let (fa, fb) = (queue(a), queue(b));
    let (sa, sb) = (side(&fa, FileKind::Msttrans), side(&fb, FileKind::Msttrans));
    fn stream<'a>(s: &Side<'a>) -> StreamSide<'a, glb_formats::invariants::Pieces<'a>> {
        StreamSide {
            path: None,
            src: glb_formats::invariants::Pieces {
                data: s.bytes,
                max: 7,
            },
            size: Some(s.bytes.len() as u64),
            kind: s.kind,
            netpo: None,
            list: None,
            codepage: s.codepage,
        }
    }
    // Both files read through first: they read, and they are in sync order.
    let scan_a = scan_order(stream(&sa), Key::Auto, false).unwrap();
    assert_eq!((scan_a.records, scan_a.in_order), (1_715, true));
    let mut streamed = Told::default();
    let Outcome::Complete(end) = diff_streams_to(
        stream(&sa),
        stream(&sb),
        Key::Auto,
        (Some(scan_a.records), None),
        0,
        &mut streamed,
    )
    .unwrap() else {
        panic!("in order");
    };
    let mut sorted = Told::default();
    let Outcome::Complete(end2) = diff_to(&sa, &sb, Key::Auto, &mut sorted).unwrap() else {
        panic!("sorting never stops");
    };
    assert_eq!(streamed.all, sorted.all);
    assert_eq!(end, end2);
    // In key order, each told once, and counted.
    let keys: Vec<u64> = streamed.all.iter().map(key_of).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    assert_eq!(
        end.removed + end.added + end.changed,
        streamed.all.len() as u64
    );
    let collected = diff(&sa, &sb, Key::Auto).unwrap();
    assert_eq!(end.changed, collected.changed.len() as u64);
    // A sink that has heard enough stops either way.
    for way in 0..2 {
        let mut first = Told {
            stop_after: Some(3),
            ..Told::default()
        };
        let outcome = if way == 0 {
            diff_streams_to(
                stream(&sa),
                stream(&sb),
                Key::Auto,
                (None, None),
                0,
                &mut first,
            )
        } else {
            diff_to(&sa, &sb, Key::Auto, &mut first)
        };
        assert_eq!(outcome.unwrap(), Outcome::Stopped);
        assert_eq!(first.all, streamed.all[..3]);
    }
    // A file out of key order is found by the first read.
    let rev = queue((1..=50).rev().map(|i| q(i, &text(i))).collect());
    let scan = scan_order(stream(&side(&rev, FileKind::Msttrans)), Key::Sync, false).unwrap();
    assert_eq!((scan.records, scan.in_order), (1, false));
    // And an unreadable one is an error, naming where.
    let cut = &fa[..fa.len() - 3];
    let e = scan_order(stream(&side(cut, FileKind::Msttrans)), Key::Sync, false).unwrap_err();
    assert!(e.location().is_some(), "{e}");
}

proptest! {
    #[test]
    fn every_record_is_accounted_for(
        a in proptest::collection::vec((0u8..6, 0u32..3), 0..20),
        b in proptest::collection::vec((0u8..6, 0u32..3), 0..20),
    ) {
        let rec = |(n, t): &(u8, u32)| nme(1, &format!("N{n}"), *t, 0);
        let fa = nmes(a.iter().map(rec).collect());
        let fb = nmes(b.iter().map(rec).collect());
        for key in [Key::Name, Key::Tid, Key::Position] {
            let d = diff_of(&fa, &fb, FileKind::Nme, key);
            let paired = d.unchanged + d.changed.len() as u64;
            prop_assert_eq!(paired + d.removed.len() as u64, a.len() as u64);
            prop_assert_eq!(paired + d.added.len() as u64, b.len() as u64);
            prop_assert_eq!(d.is_equal(), fa == fb);
        }
    }
}

#[test]
fn a_queue_out_of_sync_order_late_cuts_the_one_pass_report_short() {
    // A: syncs 1..=100, then 50 again (record 100) and 101..=110; B: 1..=120
    // with 30 changed. Holding back 10 records, the sink hears the
    // differences of the records before A's record 100, then it stops there.
    let text = |i: u32| format!("A User {i}\tPCM:POLY/TAYLOR/u{i}");
    let mut a: Vec<QueueRecord> = (1..=100).map(|i| q(i, &text(i))).collect();
    a.push(q(50, &text(50)));
    a.extend((101..=110).map(|i| q(i, &text(i))));
    let b: Vec<QueueRecord> = (1..=120)
        .map(|i| q(i, &text(if i == 30 { 999 } else { i })))
        .collect();
    let (fa, fb) = (queue(a), queue(b));
    let (sa, sb) = (side(&fa, FileKind::Msttrans), side(&fb, FileKind::Msttrans));
    let mut told = Told::default();
    let out = diff_streams_to(
        in_pieces(&sa),
        in_pieces(&sb),
        Key::Auto,
        (None, None),
        10,
        &mut told,
    )
    .unwrap();
    let Outcome::CutShort(why) = out else {
        panic!("{out:?}");
    };
    assert!(!why.second);
    assert_eq!(why.at.record, Some(100));
    assert_eq!(why.at.field, "sync");
    assert_eq!(
        (why.key.key.as_str(), why.before.key.as_str()),
        ("50", "100")
    );
    // A's 100 records were compared with B's first 100.
    assert_eq!(why.compared, (100, 100));
    // Told: sync 30 changed, which the whole comparison also says.
    assert_eq!(told.all.iter().map(key_of).collect::<Vec<_>>(), [30]);
    let whole = diff(&sa, &sb, Key::Auto).unwrap();
    let changed: Vec<&str> = whole.changed.iter().map(|c| c.key.key.as_str()).collect();
    assert_eq!(changed, ["30"]);
    // The offset is that of record 100's sync field.
    let at = glb_formats::with_format!(Family::Queue, |F| {
        let ix = Indexed::new::<F>(&sa).unwrap();
        ix.decode::<F>(100).unwrap().2.offset
    });
    let sync = glb_formats::layout::field_named(glb_formats::queue::Queue::record_fields(), "sync")
        .unwrap();
    assert_eq!(why.at.offset, at + sync.start as u64);
    // Held back longer, the same file gives up before telling anything.
    let mut none = Told::default();
    let out = diff_streams_to(
        in_pieces(&sa),
        in_pieces(&sb),
        Key::Auto,
        (None, None),
        1_000,
        &mut none,
    )
    .unwrap();
    assert!(matches!(out, Outcome::OutOfOrder(_)), "{out:?}");
    assert!(!none.started && none.all.is_empty());
}
