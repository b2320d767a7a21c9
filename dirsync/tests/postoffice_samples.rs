//! The committed postoffice samples (`corpus/samples/postoffice/`): every
//! USR file is named by its postoffice, and every file survives
//! bytes -> JSON -> bytes unchanged.

mod common;

use std::path::{Path, PathBuf};

use glb_dirsync::postoffice::{ListName, Postoffice};
use glb_formats::codepage::CodePage;
use glb_formats::format::{Format, ReadOptions, Reader};
use glb_formats::json::{self, Style};
use glb_formats::{netpo, network, nme, usr, xtn, Family, FileKind, Hexid};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/samples/postoffice")
}

/// Opens a sample postoffice and checks each list's file name, name and
/// entry count, and that nothing is reported wrong.
fn open_named(dir: &str, expect: &[(&str, &str, u64)]) -> Postoffice {
    let po = Postoffice::open(&samples().join(dir), glb_formats::CodePage::Cp850).unwrap();
    let got: Vec<(&str, String, u64)> = po
        .address_lists()
        .iter()
        .map(|l| (l.file_name.as_str(), l.name.to_string(), l.entries))
        .collect();
    let want: Vec<(&str, String, u64)> = expect
        .iter()
        .map(|&(f, n, e)| (f, n.to_string(), e))
        .collect();
    assert_eq!(got, want);
    for l in po.address_lists() {
        assert!(l.problems.is_empty(), "{}: {:?}", l.file_name, l.problems);
    }
    assert!(po.problems().is_empty(), "{:?}", po.problems());
    po
}

#[test]
fn server_lists_are_named_by_postoffice() {
    let po = open_named(
        "server",
        &[
            ("00000003.NME", "PAL of 00000003", 2),
            ("ADMIN.NME", "POL", 7),
            ("ADMINSHD.NME", "POL shadow", 7),
            ("GAL.NME", "GAL", 9),
            ("00000007.USR", "POLYNOMIAL/TAYLOR", 2),
            ("00000008.USR", "POLYNOMIAL/LAGRANGE", 1),
        ],
    );
    assert_eq!(
        po.usr_for("POLYNOMIAL", "LAGRANGE"),
        Some(samples().join("server").join("USR").join("00000008.USR"))
    );
    // NETWORK.GLB: the network (its type code is undocumented), the FFAPI
    // gateway with its XTN and the MSMAIL connection record with its queue's
    // mailbag and no XTN (KB Q148666 steps 5 to 8).
    let nets: Vec<(String, Option<&str>, usize)> = po
        .networks()
        .iter()
        .map(|n| {
            (
                n.record.name.decode(glb_formats::CodePage::Cp850),
                n.record.network_type_meaning(),
                n.postoffices.len(),
            )
        })
        .collect();
    assert_eq!(
        nets,
        vec![
            ("POLYNOMIAL".into(), None, 2),
            ("PAGER".into(), Some("FFAPI gateway"), 1),
            ("MSMAIL".into(), Some("MSMAIL connection"), 0)
        ]
    );
    // KB Q148666 step 8: the FFAPI record's hexid names its XTN file, whose
    // record's mailbag names the gateway's KEY, MBG and USR files.
    assert_eq!(
        po.networks()[1].postoffices[0].record.mailbag(),
        Some(Hexid(0x0A))
    );
    let msmail = &po.networks()[2].record;
    assert_eq!((msmail.xtn(), msmail.mailbag()), (None, Some(Hexid(0x0C))));
}

#[test]
fn requestor_lists_are_named_by_postoffice() {
    let po = open_named(
        "requestor",
        &[
            ("ADMIN.NME", "POL", 2),
            ("ADMINSHD.NME", "POL shadow", 2),
            ("GAL.NME", "GAL", 7),
            ("00000004.USR", "POLYNOMIAL/MONTGOMERY", 5),
            ("00000005.USR", "POLYNOMIAL/LAGRANGE", 1),
        ],
    );
    let usr = &po.address_lists()[3];
    assert_eq!(
        usr.name,
        ListName::Postoffice {
            network: "POLYNOMIAL".into(),
            postoffice: "MONTGOMERY".into()
        }
    );
    // The deleted postoffice EULER is kept in the XTN file, and flagged.
    let euler = po.networks()[0]
        .postoffices
        .iter()
        .find(|p| p.record.postoffice.decode(glb_formats::CodePage::Cp850) == "EULER")
        .unwrap();
    assert!(euler.record.is_deleted());
    assert_eq!(euler.record.mailbag(), Some(Hexid(6)));
}

fn json_round_trip<F: Format>(path: &Path, kind: FileKind) {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = Reader::<F, _>::new(
        &bytes[..],
        kind,
        Some(bytes.len() as u64),
        ReadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = Vec::new();
    json::write(&mut reader, &mut text, Style::Document, CodePage::Cp850).unwrap();
    let (back, summary) = json::build::<F, _, _>(&text[..], kind, Vec::new(), CodePage::Cp850)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(back, bytes, "{} changed through JSON", path.display());
    assert_eq!(
        summary.records,
        F::record_count_for_size(bytes.len() as u64).unwrap()
    );
}

#[test]
fn every_sample_file_round_trips_through_json() {
    let files = common::files_below(&samples());
    assert_eq!(files.len(), 20, "{files:?}");
    for path in files {
        let kind = FileKind::from_file_name(&path.to_string_lossy())
            .unwrap_or_else(|| panic!("{} has no kind", path.display()));
        match kind.family() {
            Family::Nme => json_round_trip::<nme::Nme>(&path, kind),
            Family::Usr => json_round_trip::<usr::Usr>(&path, kind),
            Family::Netpo => json_round_trip::<netpo::Netpo>(&path, kind),
            Family::Galnetpo => json_round_trip::<netpo::Galnetpo>(&path, kind),
            Family::Network => json_round_trip::<network::Network>(&path, kind),
            Family::Xtn => json_round_trip::<xtn::Xtn>(&path, kind),
            other => panic!("{}: unexpected family {other:?}", path.display()),
        }
    }
}

#[test]
fn json_shows_names_hexids_and_meanings() {
    let path = samples().join("server/NME/ADMIN.NME");
    let bytes = std::fs::read(&path).unwrap();
    let mut reader =
        Reader::<nme::Nme, _>::new(&bytes[..], FileKind::Nme, None, ReadOptions::default())
            .unwrap();
    let mut text = Vec::new();
    json::write(&mut reader, &mut text, Style::Document, CodePage::Cp850).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let andre = &v["records"][1];
    assert_eq!(andre["name"], "Andr\u{e9} Weil");
    assert_eq!(andre["hexid"], "00000009");
    assert_eq!(andre["info"]["entry_type"], "local user");
    let group = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["entry_type"] == 4)
        .unwrap();
    assert_eq!(group["info"]["pointer_into"], "ADMIN.GRP");
}
