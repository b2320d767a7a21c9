use super::*;
use crate::codepage::CodePage;
use crate::fields::{Stamp, Text};
use crate::fixed::testing::file_bytes as bytes;
use crate::hexid::Hexid;
use crate::network::{Network, NetworkRecord};
use crate::nme::NmeRecord;
use crate::queue::QueueRecord;
use crate::reqconf::ReqConf;
use crate::usr::UsrRecord;
use crate::xtn::{Xtn, XtnRecord};

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
    ServerView::from_queue(&queue(records), FileKind::Msttrans, "MSTTRANS.GLB").unwrap()
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
    let r = RequestorView::open_postoffice(&dir.0, None).unwrap();
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
    assert_eq!(c.local.as_ref().unwrap().source, LocalSource::Reqconf);
    assert_eq!(c.totals(), (1, 2, 1));
    assert!(!c.is_equal());
    // --postoffice selects one list.
    let only = compare(&server(MST), &r, Some("n/mont"));
    let keys: Vec<&str> = only.lists.iter().map(|l| l.list.as_str()).collect();
    assert_eq!(keys, ["PCM:N/MONT"]);
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
    let r = RequestorView::open_postoffice(&dir.0, None).unwrap();
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
    let r = RequestorView::open_postoffice(&dir.0, None).unwrap();
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
    let r = RequestorView::open_postoffice(&dir.0, Some("N/MONT")).unwrap();
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
    let r = RequestorView::open_postoffice(&dir.0, None).unwrap();
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
    let mut r = RequestorView::open_postoffice(&dir.0, None).unwrap();
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
    let s = ServerView::from_queue(&b, FileKind::Resync, "RESYNC.GLB").unwrap();
    assert_eq!(s.transactions, 2);
    assert_eq!(s.resync.unwrap().srvseq, 80);
    assert_eq!(s.directory.entry_count(), 1);
    assert!(ServerView::from_queue(&[], FileKind::Usr, "x").is_err());
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
        RequestorView::open_file(&usr_path, None).is_err(),
        "whose list?"
    );
    let r = RequestorView::open_file(&usr_path, Some("N/LAGRANGE")).unwrap();
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
    let r = RequestorView::open_file(&nme_path, None).unwrap();
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
    let r = RequestorView::open_file(&gal_path, None).unwrap();
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
    let r = RequestorView::open_postoffice(&dir.0, None).unwrap();
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
