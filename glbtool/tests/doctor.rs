//! `glbtool doctor` end to end: a small two-postoffice network built from the
//! committed samples with the library, healthy and then damaged the way each
//! documented scenario damages it; the committed corpus; hostile trees.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_has, copy_dir, corpus, glbtool};
use glb_formats::fields::{Stamp, Text};
use glb_formats::queue::{Queue, QueueRecord, ResyncHeader};
use glb_formats::reqconf::{ReqConf, ReqConfFile};
use glb_formats::srvconf::{RequestorRecord, SrvConfFile, SrvConfHeader};
use glb_formats::{CodePage, Document, FileKind, Format};

const T: Stamp = Stamp(765_720_832); // Thu Apr 07 12:13:52 1994

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::encode(s, CodePage::Cp850).unwrap()
}

fn write<F: Format>(
    path: &Path,
    kind: FileKind,
    header: Option<F::Header>,
    records: Vec<F::Record>,
) {
    let doc = Document::<F> {
        kind,
        header,
        records,
        trailing: vec![],
    };
    std::fs::write(path, doc.to_bytes().unwrap()).unwrap();
}

fn queue(path: &Path, kind: FileKind, records: Vec<QueueRecord>) {
    write::<Queue>(path, kind, None, records);
}

/// The postoffice's REQCONF.GLB: registered with MONTGOMERY, idle pointers.
fn reqconf(local: &str, reqsync: u32, srvsync: u32) -> ReqConf {
    ReqConf {
        server_network: text("POLYNOMIAL"),
        server_postoffice: text("MONTGOMERY"),
        reqsync,
        srvsync,
        impsync: 1,
        last_export: T,
        srvtrans_pointer: -1,
        usrtrans_pointer: -1,
        gwtrans_pointer: -1,
        nmetrans_pointer: -1,
        types: text("PCM"),
        local_network: text("POLYNOMIAL"),
        local_postoffice: text(local),
        ..ReqConf::default()
    }
}

fn record(po: &str, reqsync: u32, srvsync: u32) -> RequestorRecord {
    RequestorRecord {
        name: text(&format!("PCM:POLYNOMIAL/{po}")),
        reqsync,
        srvsync,
        impsync: 1,
        last_cycle: 3,
        last_update: T,
        types: text("PCM"),
        ..RequestorRecord::default()
    }
}

/// A healthy POLYNOMIAL network after a full cycle: MONTGOMERY, the server
/// (the sample MSTTRANS.GLB, transactions 1-16: MONTGOMERY sent 8 of them,
/// TAYLOR 4), and TAYLOR, a requestor; both have every update (SrvSync 16).
struct Network {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Network {
    fn new() -> Network {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("POLYNOMIAL");
        let net = Network { _dir: dir, root };
        let (srv, req) = (net.server(), net.taylor());
        copy_dir(&corpus("samples/postoffice/server"), &srv);
        copy_dir(&corpus("samples/postoffice/requestor"), &req);
        std::fs::copy(
            corpus("samples/queue/server/MSTTRANS.GLB"),
            srv.join("GLB/MSTTRANS.GLB"),
        )
        .unwrap();
        std::fs::copy(
            corpus("samples/config/server/PROCESS.GLB"),
            srv.join("GLB/PROCESS.GLB"),
        )
        .unwrap();
        std::fs::copy(
            corpus("samples/config/requestor/PROCESS.GLB"),
            req.join("GLB/PROCESS.GLB"),
        )
        .unwrap();
        net.srvconf(
            16,
            vec![record("MONTGOMERY", 8, 16), record("TAYLOR", 4, 16)],
        );
        net.reqconf(&srv, reqconf("MONTGOMERY", 8, 16));
        net.reqconf(&req, reqconf("TAYLOR", 4, 16));
        for (po, reqsync) in [(&srv, 8), (&req, 4)] {
            queue(
                &po.join("GLB/REQTRANS.GLB"),
                FileKind::Reqtrans,
                vec![QueueRecord::ack_dummy(reqsync, T)],
            );
            for q in ["SRVTRANS", "USRTRANS", "NMETRANS", "GWTRANS"] {
                std::fs::write(po.join(format!("GLB/{q}.GLB")), []).unwrap();
            }
        }
        net
    }

    fn server(&self) -> PathBuf {
        self.root.join("MONTGOMERY")
    }

    fn taylor(&self) -> PathBuf {
        self.root.join("TAYLOR")
    }

    fn srvconf(&self, highest: u32, records: Vec<RequestorRecord>) {
        let header = SrvConfHeader {
            highest_srvsync: highest,
            cycle: 3,
            admin_mailbox: text("ADMIN"),
            keep_updates: 14,
            ..SrvConfHeader::default()
        };
        write::<SrvConfFile>(
            &self.server().join("GLB/SRVCONF.GLB"),
            FileKind::Srvconf,
            Some(header),
            records,
        );
    }

    fn reqconf(&self, po: &Path, conf: ReqConf) {
        write::<ReqConfFile>(
            &po.join("GLB/REQCONF.GLB"),
            FileKind::Reqconf,
            Some(conf),
            vec![],
        );
    }

    /// The server's MSTTRANS.GLB with only the transactions numbered `keep`.
    fn keep_mst(&self, keep: std::ops::RangeInclusive<u32>) {
        let path = self.server().join("GLB/MSTTRANS.GLB");
        let bytes = std::fs::read(&path).unwrap();
        let mut doc =
            Document::<Queue>::from_bytes(&bytes, FileKind::Msttrans, Default::default()).unwrap();
        doc.records.retain(|r| keep.contains(&r.sync));
        std::fs::write(path, doc.to_bytes().unwrap()).unwrap();
    }

    /// A RESYNC.GLB in TAYLOR's GLB directory with this header.
    fn resync(&self, impseq: u32, reqseq: u32, srvseq: u32) {
        queue(
            &self.taylor().join("GLB/RESYNC.GLB"),
            FileKind::Resync,
            vec![
                QueueRecord::resync_header(
                    ResyncHeader {
                        impseq,
                        reqseq,
                        srvseq,
                    },
                    T,
                ),
                QueueRecord::new(1, T, b"R PCM:POLYNOMIAL/MONTGOMERY"),
                QueueRecord::new(2, T, b"A Bryan\tPCM:POLYNOMIAL/MONTGOMERY/bryan"),
            ],
        );
    }
}

/// Runs doctor on `dir` in text and JSON; checks they carry the same codes and
/// that the exit code follows them; returns the codes (sorted) and the text.
fn doctor(dir: &Path) -> (Vec<String>, String) {
    let text = glbtool()
        .args(["doctor", "--color", "never"])
        .arg(dir)
        .output()
        .unwrap();
    let json = glbtool()
        .args(["doctor", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(text.status.code(), json.status.code());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let mut codes: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    let out = String::from_utf8(text.stdout).unwrap();
    let mut in_text: Vec<String> = out
        .split_whitespace()
        .filter(|w| {
            w.len() == 6 && w.starts_with("GLB") && w[3..].bytes().all(|b| b.is_ascii_digit())
        })
        .map(str::to_string)
        .collect();
    in_text.sort();
    assert_eq!(codes, in_text, "text and JSON differ:\n{out}");
    let serious = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["severity"] != "info");
    // A file that exists but cannot be read (GLB301) is trouble (issue 18).
    let unreadable = codes.iter().any(|c| c == "GLB301");
    let want = if unreadable {
        2
    } else if serious {
        1
    } else {
        0
    };
    assert_eq!(text.status.code(), Some(want), "{out}");
    (codes, out)
}

#[test]
fn a_healthy_network_has_no_findings() {
    let net = Network::new();
    let (codes, text) = doctor(&net.root);
    assert!(codes.is_empty(), "{text}");
    // One summary block per postoffice, with role, numbers, queues and lists.
    assert_has(
        &text,
        &[
            "Postoffice POLYNOMIAL/MONTGOMERY  Dir-Sync server",
            "Postoffice POLYNOMIAL/TAYLOR  requestor",
            "ReqSync 4, SrvSync 16, import count 1; server POLYNOMIAL/MONTGOMERY at",
            "Highest SrvSync 16, cycle 3, 2 requestors",
            "MSTTRANS 1136 B (16 rec, sync 1-16)",
            "REQTRANS 49 B (1 rec, sync 4)",
            "No findings.",
            "0 errors, 0 warnings, 0 notes in 2 postoffices",
        ],
    );
    // Given one level up, or as the two postoffices, doctor finds the same.
    assert!(doctor(net.root.parent().unwrap()).0.is_empty());
    let both = glbtool()
        .arg("doctor")
        .arg(net.server())
        .arg(net.taylor())
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(0));
}

#[test]
fn error_14_resync_made_the_pre_fix_dxa_way() {
    // DXA before GlobalMaxSeqInResync took REQSEQ from TAYLOR alone (4), below
    // MONTGOMERY's ReqSync 8 in SRVCONF (KB Q215505).
    let net = Network::new();
    net.resync(1, 4, 16);
    let (codes, text) = doctor(&net.root);
    assert_eq!(codes, ["GLB014"], "{text}");
    assert_has(
        &text,
        &[
            "Fatal error 14: \"Error processing Resync.glb\"",
            "--from-srvconf",
            "TAYLOR/GLB/RESYNC.GLB",
        ],
    );
}

#[test]
fn a_correctly_made_resync_is_clean() {
    // KB Q119449: REQSEQ the largest ReqSync (8), SRVSEQ the server's own record (16).
    let net = Network::new();
    net.resync(1, 8, 16);
    let (codes, text) = doctor(&net.root);
    assert!(codes.is_empty(), "{text}");
    assert!(
        text.contains("RESYNC 2"),
        "the summary lists RESYNC.GLB: {text}"
    );
}

#[test]
fn reqtrans_numbered_at_or_below_reqsync_is_171() {
    // A re-created REQTRANS whose numbering began again (KB Q119014, Q119452).
    let net = Network::new();
    queue(
        &net.taylor().join("GLB/REQTRANS.GLB"),
        FileKind::Reqtrans,
        vec![
            QueueRecord::new(3, T, b"A Brook Taylor\tPCM:POLYNOMIAL/TAYLOR/brook"),
            QueueRecord::new(4, T, b"A Colin Maclaurin\tPCM:POLYNOMIAL/TAYLOR/colin"),
        ],
    );
    let (codes, text) = doctor(&net.root);
    assert_eq!(codes, ["GLB171"], "{text}");
    assert!(text.contains("--renumber-from 5"), "{text}");
}

#[test]
fn server_restored_from_backup_is_138() {
    // The server's GLB came back from a backup taken after transaction 10;
    // TAYLOR already had 16 (KB Q96060 Problem 9).
    let net = Network::new();
    net.keep_mst(1..=10);
    net.srvconf(
        10,
        vec![record("MONTGOMERY", 6, 10), record("TAYLOR", 4, 10)],
    );
    let (codes, text) = doctor(&net.root);
    assert_eq!(codes, ["GLB138"], "{text}");
    assert_has(
        &text,
        &[
            "Server sync does not exist anymore",
            "TAYLOR/GLB/REQCONF.GLB",
        ],
    );
}

#[test]
fn purged_msttrans_is_139() {
    // TAYLOR stopped at 10; Keep Updates purged 1-11 before it came back.
    let net = Network::new();
    net.keep_mst(12..=16);
    net.srvconf(
        16,
        vec![record("MONTGOMERY", 8, 16), record("TAYLOR", 4, 10)],
    );
    net.reqconf(&net.taylor(), reqconf("TAYLOR", 4, 10));
    let (codes, text) = doctor(&net.root);
    // Both copies of TAYLOR's SrvSync: its SRVCONF record and its REQCONF.
    assert_eq!(codes, ["GLB139", "GLB139"], "{text}");
    assert!(text.contains("transactions 11..11 were purged"), "{text}");
}

#[test]
fn a_lost_reply_is_341() {
    // TAYLOR sent 5 and 6; the server took them (its record says ReqSync 6),
    // but the reply that would have confirmed them never arrived: TAYLOR's
    // REQCONF still says 4 and REQTRANS still holds them (KB Q142841).
    let net = Network::new();
    net.srvconf(
        16,
        vec![record("MONTGOMERY", 8, 16), record("TAYLOR", 6, 16)],
    );
    queue(
        &net.taylor().join("GLB/REQTRANS.GLB"),
        FileKind::Reqtrans,
        vec![
            QueueRecord::ack_dummy(4, T),
            QueueRecord::new(5, T, b"A Brook Taylor\tPCM:POLYNOMIAL/TAYLOR/brook"),
            QueueRecord::new(6, T, b"A Colin Maclaurin\tPCM:POLYNOMIAL/TAYLOR/colin"),
        ],
    );
    let (codes, text) = doctor(&net.root);
    assert_eq!(codes, ["GLB341"], "{text}");
    assert!(
        text.contains("ReqSync 4 < 6 in the server's record"),
        "{text}"
    );
}

#[test]
fn a_list_missing_names_the_server_sent_is_350() {
    // TAYLOR's list of MONTGOMERY (USR/00000004.USR) loses Bryan, whom the
    // server's MSTTRANS.GLB added at transaction 5.
    let net = Network::new();
    let usr = net.taylor().join("USR/00000004.USR");
    let bytes = std::fs::read(&usr).unwrap();
    let mut doc =
        Document::<glb_formats::usr::Usr>::from_bytes(&bytes, FileKind::Usr, Default::default())
            .unwrap();
    let before = doc.records.len();
    doc.records
        .retain(|r| r.name.decode(glb_formats::CodePage::Cp850) != "Bryan");
    assert_eq!(doc.records.len(), before - 1);
    std::fs::write(&usr, doc.to_bytes().unwrap()).unwrap();
    let (codes, text) = doctor(&net.root);
    assert_eq!(codes, ["GLB350"], "{text}");
    assert_has(
        &text,
        &[
            "TAYLOR/USR/00000004.USR",
            "list of POLYNOMIAL/MONTGOMERY",
            "missing \"Bryan\"",
            "full import",
        ],
    );
}

#[test]
fn a_stale_queue_and_a_leftover_temporary_file_are_330_and_331() {
    let net = Network::new();
    queue(
        &net.taylor().join("GLB/SRVTRANS.GLB"),
        FileKind::Srvtrans,
        vec![QueueRecord::new(
            16,
            T,
            b"A Brook Taylor Jr\tPROFS:PROFSGW/NODE1/brookjr",
        )],
    );
    std::fs::write(net.taylor().join("GLB/IUSRTRAN.GLB"), []).unwrap();
    let (codes, text) = doctor(&net.root);
    assert_eq!(codes, ["GLB330", "GLB331"], "{text}");
    assert_has(
        &text,
        &[
            "TAYLOR/GLB/SRVTRANS.GLB",
            "IUSRTRAN.GLB is a temporary file of Import",
        ],
    );
}

#[test]
fn a_missing_reqtrans_on_a_requestor_is_002_with_the_resync_repair() {
    let net = Network::new();
    std::fs::remove_file(net.taylor().join("GLB/REQTRANS.GLB")).unwrap();
    let (codes, text) = doctor(&net.root);
    assert_eq!(codes, ["GLB002"], "{text}");
    assert_has(
        &text,
        &[
            "TAYLOR/GLB/REQTRANS.GLB",
            "Fatal [ 40]",
            "patch-seq REQCONF.GLB --reset",
        ],
    );
}

#[test]
fn a_missing_msttrans_on_the_server_is_002() {
    let net = Network::new();
    std::fs::remove_file(net.server().join("GLB/MSTTRANS.GLB")).unwrap();
    let (codes, text) = doctor(&net.root);
    assert!(codes.contains(&"GLB002".to_string()), "{text}");
    assert_has(
        &text,
        &[
            "MONTGOMERY/GLB/MSTTRANS.GLB",
            "Error opening file: MSTTRANS",
        ],
    );
}

#[test]
fn a_corrupt_record_checksum_is_304() {
    let net = Network::new();
    let path = net.server().join("GLB/MSTTRANS.GLB");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[30] ^= 0x20; // a letter of transaction 1 changes case
    std::fs::write(&path, bytes).unwrap();
    let (codes, text) = doctor(&net.root);
    assert_eq!(codes, ["GLB304"], "{text}");
    // Named by its sync number, as LISTQ shows it (issue 20 point 6).
    assert!(text.contains("sync 1, at byte 2"), "{text}");
}

#[test]
fn a_file_of_the_wrong_size_is_303() {
    let net = Network::new();
    let path = net.taylor().join("GLB/REQCONF.GLB");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..511]).unwrap();
    let (codes, text) = doctor(&net.root);
    assert_eq!(codes, ["GLB303"], "{text}");
    assert_has(&text, &["512", "REQCONF   cannot be read"]);
}

#[test]
fn a_resync_left_on_the_server_is_332() {
    let net = Network::new();
    std::fs::copy(
        net.root.join("MONTGOMERY/GLB/MSTTRANS.GLB"),
        net.server().join("GLB/RESYNC.GLB"),
    )
    .unwrap();
    // The sample MSTTRANS has no header in glbtool's form: its first record
    // is noted as a header glbtool cannot read (GLB311), nothing predicted.
    let (codes, text) = doctor(&net.root);
    assert_eq!(codes, ["GLB311", "GLB332"], "{text}");
}

#[test]
fn networks_side_by_side_are_not_mixed_up() {
    // Two copies of POLYNOMIAL, as the scenario folders hold them: the
    // requestor of each belongs to the server next to it, not the other.
    let restored = Network::new();
    restored.keep_mst(1..=10);
    restored.srvconf(
        10,
        vec![record("MONTGOMERY", 6, 10), record("TAYLOR", 4, 10)],
    );
    let healthy = Network::new();
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&restored.root, &tmp.path().join("a"));
    copy_dir(&healthy.root, &tmp.path().join("b"));
    let (codes, text) = doctor(tmp.path());
    assert_eq!(codes, ["GLB138"], "{text}");
    assert!(text.contains("/a/TAYLOR/GLB/REQCONF.GLB"), "{text}");
}

#[test]
fn findings_are_ordered_by_severity_and_grouped_by_file() {
    let net = Network::new();
    net.resync(1, 4, 16); // an error
    std::fs::write(net.server().join("GLB/SORT0001.GLB"), []).unwrap(); // a warning
    let (_, text) = doctor(&net.root);
    let errors = text.find("Errors (1)").expect(&text);
    let warnings = text.find("Warnings (1)").expect(&text);
    assert!(errors < warnings, "{text}");
    assert!(
        text.contains("1 error, 1 warning, 0 notes in 2 postoffices"),
        "{text}"
    );
    // The summaries count each postoffice's own findings.
    let taylor = text.find("Postoffice POLYNOMIAL/TAYLOR").unwrap();
    assert!(
        text[taylor..].contains("findings  1 error, 0 warnings"),
        "{text}"
    );
}

#[test]
fn validate_checks_the_pol_shadow_and_the_gal_order() {
    let tmp = tempfile::tempdir().unwrap();
    let nme = tmp.path().join("NME");
    copy_dir(&corpus("samples/postoffice/server/NME"), &nme);
    let validate = |files: &[&str]| {
        let out = glbtool()
            .args(["validate", "--format", "json"])
            .args(files.iter().map(|f| nme.join(f)))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let codes: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        (out.status.code(), codes, v)
    };
    assert_eq!(
        validate(&["ADMIN.NME", "ADMINSHD.NME", "GAL.NME"]).0,
        Some(0)
    );
    // The shadow loses its last record; the GAL is written in reverse order.
    let shadow = nme.join("ADMINSHD.NME");
    let bytes = std::fs::read(&shadow).unwrap();
    std::fs::write(&shadow, &bytes[..bytes.len() - 45]).unwrap();
    let gal = nme.join("GAL.NME");
    let mut doc = Document::<glb_formats::nme::Nme>::from_bytes(
        &std::fs::read(&gal).unwrap(),
        FileKind::Nme,
        Default::default(),
    )
    .unwrap();
    doc.records.reverse();
    std::fs::write(&gal, doc.to_bytes().unwrap()).unwrap();
    let (code, codes, v) = validate(&["ADMIN.NME", "ADMINSHD.NME", "GAL.NME"]);
    assert_eq!(code, Some(1));
    assert_eq!(codes, ["GLB343", "GLB342"], "{v:#}");
    assert_eq!(v["findings"][0]["record"], bytes.len() / 45 - 1);
    assert_eq!(v["findings"][1]["record"], 1);
}

#[test]
fn the_committed_sample_postoffices() {
    // List-only samples (no queues or configuration): nothing to report.
    for dir in [
        "samples/postoffice",
        "samples/postoffice/server",
        "samples/postoffice/requestor",
    ] {
        let (codes, text) = doctor(&corpus(dir));
        assert!(codes.is_empty(), "{dir}: {text}");
        assert!(text.contains("REQCONF   not present"), "{text}");
    }
}

#[test]
fn no_postoffice_or_no_directory_is_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    glbtool()
        .arg("doctor")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no postoffice found"));
    glbtool()
        .args(["doctor", "/nonexistent/po"])
        .assert()
        .code(2);
    let file = tmp.path().join("REQCONF.GLB");
    std::fs::write(&file, [0; 512]).unwrap();
    glbtool()
        .arg("doctor")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a directory"));
}

#[test]
fn hostile_trees_do_not_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path();
    // GLB is a file, not a directory: not a postoffice.
    std::fs::create_dir_all(base.join("a")).unwrap();
    std::fs::write(base.join("a/GLB"), b"x").unwrap();
    // A postoffice whose files are directories, empty, or random bytes.
    let po = base.join("b");
    for d in ["GLB/REQCONF.GLB", "NME/ADMIN.NME", "USR", "XTN"] {
        std::fs::create_dir_all(po.join(d)).unwrap();
    }
    let mut rng = common::Rng(7);
    for (i, name) in [
        "GLB/SRVCONF.GLB",
        "GLB/MSTTRANS.GLB",
        "GLB/REQTRANS.GLB",
        "GLB/NETWORK.GLB",
        "GLB/PROCESS.GLB",
        "GLB/RESYNC.GLB",
        "NME/GAL.NME",
        "NME/ADMINSHD.NME",
        "USR/0000000A.USR",
        "XTN/00000001.XTN",
    ]
    .into_iter()
    .enumerate()
    {
        let n = rng.below(3000) as usize + i;
        std::fs::write(po.join(name), rng.bytes(n)).unwrap();
    }
    // A lower-case postoffice with nothing but empty folders.
    std::fs::create_dir_all(base.join("c/glb")).unwrap();
    // A dangling link where a file should be.
    #[cfg(unix)]
    std::os::unix::fs::symlink(base.join("nowhere"), po.join("GLB/REQTRANS.BAK")).unwrap();
    for format in ["text", "json"] {
        let out = glbtool()
            .args(["doctor", "--format", format])
            .arg(base)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(matches!(out.status.code(), Some(1 | 2)), "{stderr}");
    }
    let (codes, _) = doctor(base);
    assert!(
        codes.iter().any(|c| c == "GLB303" || c == "GLB302"),
        "{codes:?}"
    );
}

#[test]
fn validate_survives_random_files_of_every_fixed_kind() {
    // Random bytes in whole records parse, so every text-field check runs on
    // garbage; random sizes break the size rule. Exit 1 or 2, never a panic,
    // and text and JSON agree on the codes.
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = common::Rng(0xd0c);
    let kinds: &[(&str, &str, usize, usize)] = &[
        ("REQCONF.GLB", "reqconf", 512, 0),
        ("SRVCONF.GLB", "srvconf", 1024, 1024),
        ("PROCESS.GLB", "process", 512, 197),
        ("GAL.NME", "nme", 0, 45),
        ("0000000A.USR", "usr", 0, 53),
        ("NETPO.GLB", "netpo", 4, 43),
        ("NETWORK.GLB", "network", 0, 122),
        ("00000001.XTN", "xtn", 0, 698),
    ];
    for &(name, kind, header, record) in kinds {
        for round in 0..6 {
            let n = if round % 2 == 0 {
                header + record * rng.below(40) as usize
            } else {
                rng.below(4000) as usize
            };
            let f = tmp.path().join(name);
            std::fs::write(&f, rng.bytes(n)).unwrap();
            let codes = |format: &str| {
                let out = glbtool()
                    .args([
                        "validate", "--color", "never", "--kind", kind, "--format", format,
                    ])
                    .arg(&f)
                    .output()
                    .unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                assert!(!stderr.contains("panicked"), "{name} {n}: {stderr}");
                let code = out.status.code().unwrap();
                assert!(code <= 2, "{name} {n}: exit {code}");
                let mut c: Vec<String> = String::from_utf8_lossy(&out.stdout)
                    .split(|ch: char| !ch.is_ascii_alphanumeric())
                    .filter(|w| {
                        w.len() == 6
                            && w.starts_with("GLB")
                            && w[3..].bytes().all(|b| b.is_ascii_digit())
                    })
                    .map(str::to_string)
                    .collect();
                c.sort();
                (code, c)
            };
            assert_eq!(codes("text"), codes("json"), "{name}, {n} bytes");
        }
    }
}

/// The simulator's committed corpus (`corpus/README.md`): the network is
/// clean, and each scenario reports exactly its documented codes, whether
/// doctor is given the scenario or the folder of all of them.
#[test]
fn the_simulated_network_and_scenarios() {
    let network = corpus("network");
    let (codes, text) = doctor(&network);
    assert!(codes.is_empty(), "{text}");
    let expect: &[(&str, &[&str])] = &[
        ("error14", &["GLB014"]),
        ("good-resync", &[]),
        ("reqtrans-below-reqsync", &["GLB171"]),
        ("restored-backup", &["GLB138"]),
        ("purged", &["GLB139"]),
        ("lost-reply", &["GLB341"]),
        ("stale-queue", &["GLB330", "GLB331"]),
        ("corrupt-record", &["GLB304"]),
        ("wrong-size", &["GLB303"]),
        ("missing-names", &["GLB350"]),
    ];
    for (name, want) in expect {
        let dir = corpus(&format!("scenarios/{name}"));
        assert!(dir.exists(), "corpus/scenarios/{name} is missing");
        let (mut codes, text) = doctor(&dir);
        codes.dedup();
        assert_eq!(&codes, want, "{name}:\n{text}");
    }
    // All scenarios at once: each requestor is checked with its own server.
    let (mut all, text) = doctor(&corpus("scenarios"));
    all.dedup();
    let mut want: Vec<&str> = expect.iter().flat_map(|(_, w)| w.iter().copied()).collect();
    want.sort();
    want.dedup();
    assert_eq!(all, want, "{text}");
}
