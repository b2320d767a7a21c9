use glb_formats::codepage::CodePage;
use glb_formats::fields::{Stamp, Text};
use glb_formats::hexid::Hexid;
use glb_formats::network::{Network, NetworkRecord};
use glb_formats::nme::NmeRecord;
use glb_formats::queue::QueueRecord;
use glb_formats::reqconf::ReqConf;
use glb_formats::usr::UsrRecord;
use glb_formats::xtn::{Xtn, XtnRecord};

use super::*;
use crate::testdir::file_bytes as bytes;

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp(name: &str) -> TempDir {
    let p = std::env::temp_dir().join(format!("glb-compare-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    TempDir(p)
}

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::encode(s, CodePage::Cp850).unwrap()
}

fn put(root: &Path, rel: &str, data: Vec<u8>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn queue(records: &[(u32, &str)]) -> Vec<u8> {
    let recs = records
        .iter()
        .map(|&(s, t)| QueueRecord::new(s, Stamp(0), t.as_bytes()))
        .collect();
    bytes::<Queue>(FileKind::Msttrans, Default::default(), recs)
}

fn server(records: &[(u32, &str)]) -> ServerView {
    ServerView::from_queue(
        &queue(records),
        FileKind::Msttrans,
        "MSTTRANS.GLB",
        glb_formats::codepage::CodePage::Cp850,
    )
    .unwrap()
}

fn usr(status: u8, mailbox: &str, name: &str) -> UsrRecord {
    UsrRecord {
        status,
        mailbox: text(mailbox),
        name: text(name),
        ..UsrRecord::default()
    }
}

/// A requestor postoffice of network N: one USR file per `(postoffice, users)`,
/// gateway NME lists, optional REQCONF (local NET/PO, types) and POL users.
struct Requestor<'a> {
    remotes: &'a [(&'a str, Vec<UsrRecord>)],
    gateways: &'a [(&'a str, &'a [&'a str])],
    reqconf: Option<(&'a str, &'a str)>,
    pol: &'a [&'a str],
}

impl Requestor<'_> {
    fn write(&self, root: &Path) {
        let network = NetworkRecord {
            status: 1,
            network_type: 0x10,
            name: text("N"),
            xtn_hexid: Hexid(3).to_text(),
            ..NetworkRecord::default()
        };
        put(
            root,
            "GLB/NETWORK.GLB",
            bytes::<Network>(FileKind::Network, Default::default(), vec![network]),
        );
        let mut xtn = Vec::new();
        for (i, (po, users)) in self.remotes.iter().enumerate() {
            let mailbag = Hexid(0x10 + i as u32);
            xtn.push(XtnRecord {
                status: 1,
                postoffice: text(po),
                mailbag_hexid: mailbag.to_text(),
                ..XtnRecord::default()
            });
            put(
                root,
                &format!("USR/{mailbag}.USR"),
                bytes::<Usr>(FileKind::Usr, Default::default(), users.clone()),
            );
        }
        put(
            root,
            "XTN/00000003.XTN",
            bytes::<Xtn>(FileKind::Xtn, Default::default(), xtn),
        );
        for (gw, names) in self.gateways {
            let recs = names
                .iter()
                .map(|n| NmeRecord {
                    entry_type: 2,
                    name: text(n),
                    ..NmeRecord::default()
                })
                .collect();
            put(
                root,
                &format!("NME/{gw}.NME"),
                bytes::<Nme>(FileKind::Nme, Default::default(), recs),
            );
        }
        let pol = self
            .pol
            .iter()
            .map(|n| NmeRecord {
                entry_type: 1,
                name: text(n),
                ..NmeRecord::default()
            })
            .collect();
        put(
            root,
            "NME/ADMIN.NME",
            bytes::<Nme>(FileKind::Nme, Default::default(), pol),
        );
        if let Some((local, types)) = self.reqconf {
            let (n, p) = local.split_once('/').unwrap();
            let rc = ReqConf {
                local_network: text(n),
                local_postoffice: text(p),
                types: text(types),
                ..ReqConf::default()
            };
            put(
                root,
                "GLB/REQCONF.GLB",
                bytes::<ReqConfFile>(FileKind::Reqconf, rc, vec![]),
            );
        }
    }
}

fn names(entries: &[Entry]) -> Vec<&str> {
    entries.iter().map(|e| e.name.as_str()).collect()
}

fn list<'c>(c: &'c Comparison, key: &str) -> &'c PostofficeDiff {
    c.lists
        .iter()
        .find(|l| l.list == key)
        .unwrap_or_else(|| panic!("no list {key} in {:#?}", c.lists))
}

/// The server's transactions; the M (sync 7) is stored first to show that
/// replay follows sync order, not file order.
const MST: &[(u32, &str)] = &[
    (
        7,
        "M Paul\tPCM:N/MONT/paul\r\n \tPaul Montgomery\tPCM:N/MONT/paul",
    ),
    (1, "R PCM:N/MONT"),
    (2, "A Paul\tPCM:N/MONT/paul"),
    (3, "A apple\tPCM:N/MONT/apple"),
    (4, "R PCM:N/TAYLOR"),
    (5, "A Brook Taylor\tPCM:N/TAYLOR/brook"),
    (6, "D apple\tPCM:N/MONT/apple"),
    (8, "A Sales\tSMTP:sales@example.com"),
    (9, "A Joe\tPCM:N/LAGRANGE/joe"),
    (10, "R PCM:N/LAGRANGE"),
    (11, "A Joseph\tPCM:N/LAGRANGE/joseph"),
    (12, "A Fax\tFAX:J~T~L~1"),
];

#[test]
fn replay_follows_r_a_d_m_in_sync_order() {
    let s = server(MST);
    assert_eq!(s.transactions, 12);
    assert_eq!(s.syncs, Some((1, 12)));
    let mont = &s.directory.lists[&b"PCM:N/MONT"[..]];
    let aliases: Vec<&[u8]> = mont.values().map(|e| e.alias.as_slice()).collect();
    assert_eq!(
        aliases,
        [&b"Paul Montgomery"[..]],
        "D removed apple, M renamed Paul"
    );
    let lagrange = &s.directory.lists[&b"PCM:N/LAGRANGE"[..]];
    assert_eq!(lagrange.len(), 1, "R emptied the list before Joseph");
    assert!(s.directory.events.is_empty(), "{:?}", s.directory.events);
}

#[test]
fn requestor_differences_by_postoffice_with_cause_and_remedy() {
    let dir = temp("differences");
    Requestor {
        remotes: &[
            (
                "MONT",
                vec![
                    usr(1, "paul", "Paul"),
                    usr(1, "apple", "apple"),
                    usr(0, "gone", "Gone"),
                ],
            ),
            ("LAGRANGE", vec![usr(1, "joe", "Joe")]),
        ],
        gateways: &[("SMTP", &["Sales"])],
        reqconf: Some(("N/TAYLOR", "PCM|SMTP")),
        pol: &["Brook Taylor"],
    }
    .write(&dir.0);
    let r = RequestorView::open_postoffice(&dir.0, None, glb_formats::codepage::CodePage::Cp850)
        .unwrap();
    let c = compare(&server(MST), &r, None);
    let keys: Vec<&str> = c.lists.iter().map(|l| l.list.as_str()).collect();
    assert_eq!(keys, ["PCM:N/LAGRANGE", "PCM:N/MONT", "SMTP:"]);
    // R replaced LAGRANGE's list: Joe is gone from the server's view.
    let lag = list(&c, "PCM:N/LAGRANGE");
    assert_eq!(lag.status, ListStatus::Differs);
    assert_eq!(names(&lag.missing), ["Joseph"]);
    assert_eq!(names(&lag.extra), ["Joe"]);
    assert_eq!(
        lag.missing[0].address.as_deref(),
        Some("PCM:N/LAGRANGE/joseph")
    );
    assert_eq!(lag.missing[0].sync, Some(11));
    // D and M: apple kept, Paul not renamed; the deleted record is counted, not compared.
    let mont = list(&c, "PCM:N/MONT");
    assert!(mont.missing.is_empty());
    assert_eq!(names(&mont.extra), ["apple"]);
    assert_eq!(mont.extra[0].record, Some(1));
    assert_eq!(mont.changed.len(), 1);
    assert_eq!(mont.changed[0].server.name, "Paul Montgomery");
    assert_eq!(mont.changed[0].requestor.name, "Paul");
    assert_eq!(mont.requestor_deleted, 1);
    let advice = mont.cause_and_remedy().unwrap();
    assert!(
        advice.cause.contains("modifications (M)"),
        "{}",
        advice.cause
    );
    assert!(advice.cause.contains("External-Admin"), "{}", advice.cause);
    assert!(advice
        .remedy
        .contains("Config, Dir-Sync, Requestor, Import"));
    assert!(advice.remedy.contains("RESYNC.GLB"));
    // The gateway list, by name.
    let smtp = list(&c, "SMTP:");
    assert_eq!(
        (smtp.status, smtp.matching),
        (ListStatus::Equal, Matching::Name)
    );
    assert!(smtp.cause_and_remedy().is_none());
    // Own postoffice and unrequested types are left out, saying why.
    let excluded: Vec<(&str, bool)> = c
        .excluded
        .iter()
        .map(|e| (e.list.as_str(), e.reason.contains("[ 66]")))
        .collect();
    assert_eq!(excluded, [("PCM:N/TAYLOR", true), ("FAX:", false)]);
    // The POL's local users tell the postoffice; REQCONF's name (a field
    // glbtool reconstructed, KB Q123437) is only the last resort.
    assert_eq!(
        c.local.as_ref().unwrap().source,
        LocalSource::InferredFromPol
    );
    assert_eq!(c.totals(), (1, 2, 1));
    assert!(!c.is_equal());
    // --postoffice selects one list.
    let only = compare(&server(MST), &r, Some("n/mont"));
    let keys: Vec<&str> = only.lists.iter().map(|l| l.list.as_str()).collect();
    assert_eq!(keys, ["PCM:N/MONT"]);
}

#[test]
fn a_damaged_requestor_list_keeps_its_file_offset_record_and_field() {
    let dir = temp("damaged");
    Requestor {
        remotes: &[("MONT", vec![usr(1, "PAUL", "Paul"), usr(1, "ANNE", "Anne")])],
        gateways: &[],
        reqconf: Some(("N/TAYLOR", "")),
        pol: &[],
    }
    .write(&dir.0);
    // The second 53-byte record cut 3 bytes short, in its last field.
    let usr_path = dir.0.join("USR/00000010.USR");
    let mut b = std::fs::read(&usr_path).unwrap();
    b.truncate(b.len() - 3);
    std::fs::write(&usr_path, &b).unwrap();
    let err = RequestorView::open_postoffice(&dir.0, None, glb_formats::codepage::CodePage::Cp850)
        .unwrap_err();
    // The structure is kept, not turned into words.
    let Error::InFile { path, source } = &err else {
        panic!("not an error in a file: {err:?}");
    };
    assert_eq!(path, &usr_path);
    assert!(
        matches!(
            **source,
            Error::Size {
                kind: FileKind::Usr,
                size: 103,
                ..
            }
        ),
        "{err:?}"
    );
    let cut = err.size_cut().expect("where the file goes wrong");
    assert_eq!(cut.end, 53);
    let c = cut.cut.as_ref().unwrap();
    assert_eq!((c.record, c.got, c.len), (Some(1), 50, 53));
    assert_eq!(c.field, "reserved");
    assert!(!err.is_io());
}

#[test]
fn a_requestor_in_step_is_equal() {
    let dir = temp("equal");
    Requestor {
        remotes: &[
            (
                "MONT",
                vec![usr(1, "PAUL", "Paul Montgomery"), usr(0, "apple", "apple")],
            ),
            ("LAGRANGE", vec![usr(1, "joseph", "Joseph")]),
        ],
        gateways: &[("SMTP", &["Sales"]), ("FAX", &["Fax"])],
        reqconf: Some(("N/TAYLOR", "")),
        pol: &[],
    }
    .write(&dir.0);
    let r = RequestorView::open_postoffice(&dir.0, None, glb_formats::codepage::CodePage::Cp850)
        .unwrap();
    assert_eq!(r.types, None, "empty Types: no filter");
    let c = compare(&server(MST), &r, None);
    assert!(c.is_equal(), "{:#?}", c.lists);
    assert_eq!(c.lists.len(), 4);
}

#[test]
fn a_whole_missing_list_and_an_unknown_list() {
    let dir = temp("missing-list");
    Requestor {
        remotes: &[
            ("MONT", vec![usr(1, "paul", "Paul Montgomery")]),
            ("EULER", vec![usr(1, "leonhard", "Leonhard Euler")]),
        ],
        gateways: &[],
        reqconf: None,
        pol: &["Brook Taylor", "Someone Local"],
    }
    .write(&dir.0);
    let r = RequestorView::open_postoffice(&dir.0, None, glb_formats::codepage::CodePage::Cp850)
        .unwrap();
    let c = compare(&server(MST), &r, Some("PCM:"));
    // TAYLOR is recognised as the requestor's own through its POL.
    assert_eq!(
        c.local,
        Some(LocalPostoffice {
            name: "N/TAYLOR".into(),
            source: LocalSource::InferredFromPol
        })
    );
    let lag = list(&c, "PCM:N/LAGRANGE");
    assert_eq!(lag.status, ListStatus::MissingList);
    assert_eq!(names(&lag.missing), ["Joseph"]);
    assert!(lag
        .cause_and_remedy()
        .unwrap()
        .cause
        .contains("never received"));
    let euler = list(&c, "PCM:N/EULER");
    assert_eq!(euler.status, ListStatus::ExtraList);
    assert_eq!(names(&euler.extra), ["Leonhard Euler"]);
    assert!(euler
        .cause_and_remedy()
        .unwrap()
        .remedy
        .contains("Requestor, Export"));
    assert!(list(&c, "PCM:N/MONT").is_equal());
    // Given explicitly, the local name wins.
    let r = RequestorView::open_postoffice(
        &dir.0,
        Some("N/MONT"),
        glb_formats::codepage::CodePage::Cp850,
    )
    .unwrap();
    let c = compare(&server(MST), &r, Some("PCM:"));
    assert_eq!(c.local.as_ref().unwrap().source, LocalSource::Given);
    assert!(c.lists.iter().any(|l| l.list == "PCM:N/TAYLOR"));
}

#[test]
fn own_gateway_addresses_in_the_pol_are_left_out() {
    let dir = temp("own-gateway");
    // The requestor's POL holds "Sales", its own SMTP address; the server's
    // SMTP list holds it too, and FAX's only entry.
    Requestor {
        remotes: &[
            ("MONT", vec![usr(1, "paul", "Paul Montgomery")]),
            ("LAGRANGE", vec![usr(1, "joseph", "Joseph")]),
        ],
        gateways: &[],
        reqconf: Some(("N/TAYLOR", "")),
        pol: &["Brook Taylor"],
    }
    .write(&dir.0);
    let pol = ["Brook Taylor", "Sales", "Fax"]
        .iter()
        .enumerate()
        .map(|(i, n)| NmeRecord {
            entry_type: if i == 0 { 1 } else { 2 },
            name: text(n),
            ..NmeRecord::default()
        })
        .collect();
    put(
        &dir.0,
        "NME/ADMIN.NME",
        bytes::<Nme>(FileKind::Nme, Default::default(), pol),
    );
    let r = RequestorView::open_postoffice(&dir.0, None, glb_formats::codepage::CodePage::Cp850)
        .unwrap();
    let c = compare(&server(MST), &r, None);
    assert!(c.is_equal(), "{:#?}", c.lists);
    let smtp = list(&c, "SMTP:");
    assert_eq!((smtp.server_entries, smtp.own_entries), (1, 1));
    // A PCM list is never thinned that way: a POL may hold real external users.
    let mut mst = MST.to_vec();
    mst.push((13, "A Sales\tPCM:N/MONT/sales"));
    let c = compare(&server(&mst), &r, None);
    assert_eq!(names(&list(&c, "PCM:N/MONT").missing), ["Sales"]);
}

#[test]
fn a_server_older_than_the_requestor_is_named() {
    let dir = temp("behind");
    Requestor {
        remotes: &[("MONT", vec![usr(1, "paul", "Paul Montgomery")])],
        gateways: &[],
        reqconf: Some(("N/TAYLOR", "PCM")),
        pol: &[],
    }
    .write(&dir.0);
    let mut r =
        RequestorView::open_postoffice(&dir.0, None, glb_formats::codepage::CodePage::Cp850)
            .unwrap();
    assert_eq!(r.srvsync, Some(0));
    assert_eq!(compare(&server(MST), &r, None).server_behind, None);
    r.srvsync = Some(20);
    let c = compare(&server(MST), &r, None);
    let behind = c.server_behind.expect("SrvSync 20 is above MSTTRANS's 12");
    assert_eq!((behind.requestor_srvsync, behind.server_last), (20, 12));
    assert!(behind.advice.remedy.contains("Requestor, Export"));
}

#[test]
fn resync_header_is_skipped() {
    let mut recs = vec![QueueRecord::resync_header(
        ResyncHeader {
            impseq: 1,
            reqseq: 18,
            srvseq: 80,
        },
        Stamp(0),
    )];
    recs.push(QueueRecord::new(1, Stamp(0), b"R PCM:N/MONT"));
    recs.push(QueueRecord::new(2, Stamp(0), b"A Paul\tPCM:N/MONT/paul"));
    let b = bytes::<Queue>(FileKind::Resync, Default::default(), recs);
    let s = ServerView::from_queue(
        &b,
        FileKind::Resync,
        "RESYNC.GLB",
        glb_formats::codepage::CodePage::Cp850,
    )
    .unwrap();
    assert_eq!(s.transactions, 2);
    assert_eq!(s.resync.unwrap().srvseq, 80);
    assert_eq!(s.directory.entry_count(), 1);
    assert!(ServerView::from_queue(
        &[],
        FileKind::Usr,
        "x",
        glb_formats::codepage::CodePage::Cp850
    )
    .is_err());
}

#[test]
fn single_files_by_address_or_by_name() {
    let dir = temp("single");
    let usr_path = dir.0.join("LAG.USR");
    std::fs::write(
        &usr_path,
        bytes::<Usr>(
            FileKind::Usr,
            Default::default(),
            vec![usr(1, "joe", "Joe")],
        ),
    )
    .unwrap();
    assert!(
        RequestorView::open_file(&usr_path, None, glb_formats::codepage::CodePage::Cp850).is_err(),
        "whose list?"
    );
    let r = RequestorView::open_file(
        &usr_path,
        Some("N/LAGRANGE"),
        glb_formats::codepage::CodePage::Cp850,
    )
    .unwrap();
    let c = compare(&server(MST), &r, None);
    assert_eq!(c.lists.len(), 1, "{:#?}", c.lists);
    assert_eq!(names(&c.lists[0].missing), ["Joseph"]);
    // A gateway NME list is compared by name, and says so.
    let nme_path = dir.0.join("SMTP.NME");
    let recs = vec![NmeRecord {
        name: text("Sales Dept"),
        ..NmeRecord::default()
    }];
    std::fs::write(
        &nme_path,
        bytes::<Nme>(FileKind::Nme, Default::default(), recs),
    )
    .unwrap();
    let r =
        RequestorView::open_file(&nme_path, None, glb_formats::codepage::CodePage::Cp850).unwrap();
    let c = compare(&server(MST), &r, None);
    assert_eq!(c.lists.len(), 1);
    assert_eq!(c.lists[0].matching, Matching::Name);
    assert_eq!(names(&c.lists[0].missing), ["Sales"]);
    assert_eq!(names(&c.lists[0].extra), ["Sales Dept"]);
    assert!(c.notes.iter().any(|n| n.contains("friendly name")));
    // A GAL against every list.
    let gal_path = dir.0.join("GAL.NME");
    let recs = ["Brook Taylor", "Fax", "Joseph", "Paul Montgomery", "Sales"]
        .iter()
        .map(|n| NmeRecord {
            name: text(n),
            ..NmeRecord::default()
        })
        .collect();
    std::fs::write(
        &gal_path,
        bytes::<Nme>(FileKind::Nme, Default::default(), recs),
    )
    .unwrap();
    let r =
        RequestorView::open_file(&gal_path, None, glb_formats::codepage::CodePage::Cp850).unwrap();
    assert_eq!(r.scope, Scope::Gal);
    let c = compare(&server(MST), &r, None);
    assert!(c.is_equal(), "{:#?}", c.lists);
}

#[test]
fn json_carries_every_difference() {
    let dir = temp("json");
    Requestor {
        remotes: &[("MONT", vec![usr(1, "paul", "Paul")])],
        gateways: &[],
        reqconf: Some(("N/TAYLOR", "PCM")),
        pol: &[],
    }
    .write(&dir.0);
    let r = RequestorView::open_postoffice(&dir.0, None, glb_formats::codepage::CodePage::Cp850)
        .unwrap();
    let c = compare(&server(MST), &r, None);
    let v = serde_json::to_value(&c).unwrap();
    let lists = v["lists"].as_array().unwrap();
    let mont = lists.iter().find(|l| l["list"] == "PCM:N/MONT").unwrap();
    assert_eq!(mont["status"], "differs");
    assert_eq!(mont["matching"], "address");
    assert_eq!(mont["changed"][0]["server"]["name"], "Paul Montgomery");
    assert_eq!(mont["changed"][0]["requestor"]["name"], "Paul");
    assert_eq!(mont["changed"][0]["fields"][0], "name");
    let lag = lists
        .iter()
        .find(|l| l["list"] == "PCM:N/LAGRANGE")
        .unwrap();
    assert_eq!(lag["status"], "missing_list");
    assert_eq!(lag["missing"][0]["address"], "PCM:N/LAGRANGE/joseph");
    assert_eq!(v["local"]["source"], "reqconf");
    assert_eq!(v["excluded"][0]["list"], "PCM:N/TAYLOR");
}

/// Sets the SrvSync in the requestor's REQCONF.GLB at `root`.
fn set_srvsync(root: &Path, srvsync: u32) {
    let p = root.join("GLB/REQCONF.GLB");
    let mut doc = Document::<ReqConfFile>::from_bytes(
        &std::fs::read(&p).unwrap(),
        FileKind::Reqconf,
        ReadOptions::default(),
    )
    .unwrap();
    doc.header.as_mut().unwrap().srvsync = srvsync;
    std::fs::write(&p, doc.to_bytes().unwrap()).unwrap();
}

/// Issue 14 point 6: transactions above the requestor's SrvSync have not
/// been sent to it yet (KB Q96060: SRVMAIN -T sends the entries above the
/// SrvSync the requestor reports); they are pending, not differences.
#[test]
fn transactions_above_the_requestors_srvsync_are_pending() {
    let dir = temp("pending");
    // The requestor holds what transactions 1 to 11 give (sync 7's M
    // included): Paul Montgomery; Joseph; Sales.
    Requestor {
        remotes: &[
            ("MONT", vec![usr(1, "paul", "Paul Montgomery")]),
            ("LAGRANGE", vec![usr(1, "joseph", "Joseph")]),
        ],
        gateways: &[("SMTP", &["Sales"])],
        reqconf: Some(("N/TAYLOR", "PCM|SMTP|FAX")),
        pol: &[],
    }
    .write(&dir.0);
    set_srvsync(&dir.0, 11);
    let r = RequestorView::open_postoffice(&dir.0, None, glb_formats::codepage::CodePage::Cp850)
        .unwrap();
    assert_eq!(r.srvsync, Some(11));
    let bytes = queue(MST);
    let s = ServerView::from_queue_upto(
        &bytes,
        FileKind::Msttrans,
        "M",
        r.srvsync,
        glb_formats::codepage::CodePage::Cp850,
    )
    .unwrap();
    let c = compare(&s, &r, None);
    assert!(c.is_equal(), "{:#?}", c.lists);
    let p = c.pending.as_ref().expect("pending");
    assert_eq!((p.requestor_srvsync, p.count), (11, 1));
    assert_eq!(
        p.transactions,
        [PendingTransaction {
            sync: 12,
            command: 'A',
            list: "FAX:".into(),
            name: Some("Fax".into()),
        }]
    );
    assert!(p.note.starts_with("pending: will be sent at the next T2"));
    // The whole file replayed would call the FAX list missing.
    let all = compare(&server(MST), &r, None);
    assert!(all.pending.is_none());
    assert_eq!(list(&all, "FAX:").status, ListStatus::MissingList);
    assert!(
        all.notes.iter().any(|n| n.contains("replayed whole")),
        "{:?}",
        all.notes
    );
}

/// Issue 14 point 7: one list file is judged as its postoffice directory
/// judges the same list. The requestor's own gateway address (Brook Taylor's
/// SMTP entry, in its POL) is left out in both modes.
#[test]
fn a_list_file_and_its_directory_give_the_same_verdict() {
    let dir = temp("one-file");
    let mst: &[(u32, &str)] = &[
        (1, "A Sales\tSMTP:sales@example.com"),
        (2, "A Brook Taylor\tSMTP:brook@taylor.example.com"),
        (3, "R PCM:N/MONT"),
        (4, "A Paul\tPCM:N/MONT/paul"),
    ];
    Requestor {
        remotes: &[("MONT", vec![usr(1, "paul", "Paul")])],
        gateways: &[("SMTP", &["Sales"])],
        reqconf: Some(("N/TAYLOR", "PCM|SMTP")),
        pol: &[],
    }
    .write(&dir.0);
    // Its own SMTP address, an external entry of its POL.
    let pol = vec![NmeRecord {
        entry_type: 2,
        name: text("Brook Taylor"),
        ..NmeRecord::default()
    }];
    put(
        &dir.0,
        "NME/ADMIN.NME",
        bytes::<Nme>(FileKind::Nme, Default::default(), pol),
    );
    let whole = compare(
        &server(mst),
        &RequestorView::open_postoffice(&dir.0, None, glb_formats::codepage::CodePage::Cp850)
            .unwrap(),
        None,
    );
    let file = RequestorView::open_file(
        &dir.0.join("NME/SMTP.NME"),
        None,
        glb_formats::codepage::CodePage::Cp850,
    )
    .unwrap();
    let one = compare(&server(mst), &file, None);
    let smtp = |c: &Comparison| {
        let l = list(c, "SMTP:");
        (l.status, l.own_entries, names(&l.missing).len())
    };
    assert_eq!(smtp(&whole), (ListStatus::Equal, 1, 0));
    assert_eq!(smtp(&one), smtp(&whole));
    let usr = RequestorView::open_file(
        &dir.0.join("USR/00000010.USR"),
        None,
        glb_formats::codepage::CodePage::Cp850,
    )
    .unwrap();
    let c = compare(&server(mst), &usr, None);
    assert_eq!(c.lists.len(), 1);
    assert_eq!(list(&c, "PCM:N/MONT").status, ListStatus::Equal);
}

/// Issue 14 point 8: a list holding the same address twice is not equal:
/// the second occurrence is reported.
#[test]
fn the_same_address_twice_is_a_difference() {
    let dir = temp("twice");
    Requestor {
        remotes: &[(
            "MONT",
            vec![
                usr(1, "paul", "Paul Montgomery"),
                usr(1, "PAUL", "Paul Montgomery"),
            ],
        )],
        gateways: &[("SMTP", &["Sales", "Sales"])],
        reqconf: Some(("N/TAYLOR", "PCM|SMTP")),
        pol: &[],
    }
    .write(&dir.0);
    let mst: &[(u32, &str)] = &[
        (1, "R PCM:N/MONT"),
        (2, "A Paul Montgomery\tPCM:N/MONT/paul"),
        (3, "A Sales\tSMTP:sales@example.com"),
    ];
    let c = compare(
        &server(mst),
        &RequestorView::open_postoffice(&dir.0, None, glb_formats::codepage::CodePage::Cp850)
            .unwrap(),
        None,
    );
    let mont = list(&c, "PCM:N/MONT");
    assert_eq!(mont.status, ListStatus::Differs);
    assert_eq!(mont.duplicates.len(), 1);
    assert_eq!(mont.duplicates[0].record, Some(1));
    assert!((mont.missing.is_empty() && mont.extra.is_empty()));
    assert!(mont
        .cause_and_remedy()
        .unwrap()
        .cause
        .contains("more than once"));
    // Two identical NME records: the same entry twice.
    let smtp = list(&c, "SMTP:");
    assert_eq!(smtp.status, ListStatus::Differs);
    assert_eq!(names(&smtp.duplicates), ["Sales"]);
    assert!(smtp.extra.is_empty());
    assert!(!c.is_equal());
}

/// Issue 14 point 9: MSTTRANS.GLB purged up to sync 19 (Keep Updates,
/// KB Q108067). List Q's R remains: judged whole. List P's R was purged:
/// the remaining transactions prove Ann (A, missing), Joe gone (D, extra)
/// and Old renamed New (M, changed); Zed, which no remaining transaction
/// names, cannot be judged. The SMTP list no transaction names.
#[test]
fn a_list_whose_r_was_purged_is_judged_by_what_remains() {
    let dir = temp("purged");
    Requestor {
        remotes: &[
            (
                "P",
                vec![
                    usr(1, "joe", "Joe"),
                    usr(1, "old", "Old"),
                    usr(1, "zed", "Zed"),
                ],
            ),
            ("Q", vec![usr(1, "bob", "Bob"), usr(1, "carl", "Carl")]),
        ],
        gateways: &[("SMTP", &["Sales"])],
        reqconf: Some(("N/TAYLOR", "PCM|SMTP")),
        pol: &[],
    }
    .write(&dir.0);
    let mst: &[(u32, &str)] = &[
        (20, "A Ann\tPCM:N/P/ann"),
        (21, "D Joe\tPCM:N/P/joe"),
        (22, "M Old\tPCM:N/P/old\r\n \tNew\tPCM:N/P/old"),
        (23, "R PCM:N/Q"),
        (24, "A Bob\tPCM:N/Q/bob"),
    ];
    let s = server(mst);
    assert!(s.purged());
    assert!(
        s.directory.events.is_empty(),
        "no [ 29]: {:?}",
        s.directory.events
    );
    let c = compare(
        &s,
        &RequestorView::open_postoffice(&dir.0, None, glb_formats::codepage::CodePage::Cp850)
            .unwrap(),
        None,
    );
    let p = list(&c, "PCM:N/P");
    assert!(!p.whole);
    assert_eq!(p.status, ListStatus::Differs);
    assert_eq!(names(&p.missing), ["Ann"]);
    assert_eq!(names(&p.extra), ["Joe"]);
    assert_eq!(p.changed.len(), 1);
    assert_eq!(
        (
            p.changed[0].server.name.as_str(),
            p.changed[0].requestor.name.as_str()
        ),
        ("New", "Old")
    );
    assert_eq!(names(&p.unjudged), ["Zed"]);
    let q = list(&c, "PCM:N/Q");
    assert!(q.whole);
    assert_eq!(names(&q.extra), ["Carl"]);
    assert!(q.unjudged.is_empty());
    let smtp = list(&c, "SMTP:");
    assert_eq!(smtp.status, ListStatus::CannotJudge);
    assert_eq!(names(&smtp.unjudged), ["Sales"]);
    let advice = smtp.cause_and_remedy().unwrap();
    assert!(advice.cause.starts_with(PURGED_R), "{}", advice.cause);
    assert_eq!(
        PURGED_R,
        "cannot judge: the list's R was purged (Keep Updates, KB Q108067)"
    );
    assert_eq!(c.unjudged().count(), 1);
    assert_eq!(c.differing().count(), 2);
    // A list held whole and equal is equal; one whose R was purged is not
    // known to be, even when nothing remaining tells them apart.
    let s = server(&[(20, "A Bob\tPCM:N/Q/bob"), (21, "A Carl\tPCM:N/Q/carl")]);
    let c = compare(
        &s,
        &RequestorView::open_postoffice(
            &dir.0,
            Some("N/P"),
            glb_formats::codepage::CodePage::Cp850,
        )
        .unwrap(),
        Some("N/Q"),
    );
    assert_eq!(list(&c, "PCM:N/Q").status, ListStatus::CannotJudge);
}
