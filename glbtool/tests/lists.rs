//! The address-list views (NME, USR, NETPO, NETWORK, XTN) and
//! `dump --postoffice`, on the postoffice samples.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_has, corpus, glbtool, stdout_exiting, Rng};
use predicates::prelude::*;

fn po(rel: &str) -> PathBuf {
    corpus("samples/postoffice").join(rel)
}

/// `glbtool dump ARGS FILE` without colour, with the sample directory's path
/// replaced by `PO`, so snapshots do not depend on where the checkout is.
fn view(args: &[&str], target: &Path) -> String {
    let out = glbtool()
        .args(["dump", "--color", "never"])
        .args(args)
        .arg(target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dump {}: {}",
        target.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let root = corpus("samples/postoffice").display().to_string();
    String::from_utf8(out.stdout).unwrap().replace(&root, "PO")
}

#[test]
fn text_views_of_the_server_lists() {
    for (name, rel) in [
        ("nme_pol", "server/NME/ADMIN.NME"),
        ("nme_gal", "server/NME/GAL.NME"),
        ("nme_pal", "server/NME/00000003.NME"),
        ("netpo", "server/GLB/NETPO.GLB"),
        ("network", "server/GLB/NETWORK.GLB"),
        ("usr_server", "server/USR/00000007.USR"),
        ("xtn_requestor", "requestor/XTN/00000003.XTN"),
        ("usr_requestor", "requestor/USR/00000004.USR"),
    ] {
        insta::assert_snapshot!(name, view(&[], &po(rel)));
    }
}

#[test]
fn views_mark_deleted_and_corrupt_records_and_keep_stored_order() {
    let usr = view(&[], &po("requestor/USR/00000004.USR"));
    let lines: Vec<&str> = usr.lines().collect();
    // Export order, the deleted user still in place and marked (after the
    // title, the layout statement and the columns).
    assert!(
        lines[3].contains("able") && lines[4].contains("DELETED") && lines[4].contains("apple"),
        "{usr}"
    );
    assert!(usr.contains("1 deleted"), "{usr}");
    let xtn = view(&[], &po("requestor/XTN/00000003.XTN"));
    assert!(
        xtn.lines()
            .any(|l| l.contains("DELETED") && l.contains("EULER")),
        "{xtn}"
    );
    // An NME record whose type was corrupted to 0 (KB Q85647) is shown, marked.
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("ADMIN.NME");
    let mut bytes = std::fs::read(po("server/NME/ADMIN.NME")).unwrap();
    bytes[45] = 0; // second record's type
    std::fs::write(&f, &bytes).unwrap();
    let text = view(&[], &f);
    let row = text.lines().find(|l| l.contains("Andr")).unwrap();
    assert!(row.contains("corrupt"), "{text}");
    assert!(text.contains("7 records, 1 deleted or corrupt"), "{text}");
}

#[test]
fn an_nme_outside_a_postoffice_shows_pointers_unresolved() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("ADMIN.NME");
    std::fs::copy(po("server/NME/ADMIN.NME"), &f).unwrap();
    let text = view(&[], &f);
    assert_has(&text, &["Joseph-Louis Lagrange", "NETPO.GLB record 0 (@4)"]);
    assert!(!text.contains("POLYNOMIAL/LAGRANGE/joseph"), "{text}");
}

/// `dump --textconv FILE`: standard output, checking it exits 0 and says
/// nothing on standard error.
fn textconv(file: &Path) -> String {
    let out = glbtool()
        .args(["dump", "--textconv"])
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn textconv_of_a_gal_is_the_same_inside_and_outside_its_postoffice() {
    let inside = corpus("network/TAYLOR/NME/GAL.NME");
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("GAL.NME");
    std::fs::copy(&inside, &outside).unwrap();
    let (a, b) = (textconv(&inside), textconv(&outside));
    assert_eq!(
        a, b,
        "the view of git's copy differs from the file in place"
    );
    // By the file's name alone: the GAL's pointers go into GALNETPO.GLB
    // (docs/formats/nme.md), shown as offsets, not looked up.
    assert!(a.contains("GALNETPO.GLB record 0 (@4)"), "{a}");
    assert!(!a.contains("POLYNOMIAL/"), "{a}");
    // The plain view looks at the postoffice around the file.
    let plain = view(&[], &inside);
    assert!(
        plain.contains("POLYNOMIAL/MONTGOMERY/able (GALNETPO.GLB record 0)"),
        "{plain}"
    );
}

#[test]
fn an_unusable_netpo_is_said_not_passed_over() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("server");
    common::copy_dir(&po("server"), &root);
    let nme = root.join("NME/ADMIN.NME");
    let dump = || {
        let out = glbtool()
            .args(["dump", "--color", "never"])
            .arg(&nme)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (text(&out.stdout), text(&out.stderr))
    };
    // A NETPO.GLB cut inside its first record, the one the POL's external
    // entry points to: the view says why it is not resolved.
    let netpo = root.join("GLB/NETPO.GLB");
    let bytes = std::fs::read(&netpo).unwrap();
    std::fs::write(&netpo, &bytes[..4 + 20]).unwrap();
    let (text, err) = dump();
    assert!(
        text.contains("NETPO.GLB record 0 (@4, past the end)"),
        "{text}"
    );
    assert!(err.contains("NETPO.GLB") && err.contains("43"), "{err}");
    // One that cannot be opened at all: said, and the pointers shown as offsets.
    std::fs::remove_file(&netpo).unwrap();
    std::fs::create_dir(&netpo).unwrap();
    let (text, err) = dump();
    assert!(text.contains("NETPO.GLB record 0 (@4)"), "{text}");
    assert!(err.contains("not resolved"), "{err}");
}

#[test]
fn dump_postoffice_names_every_usr_file_by_its_postoffice() {
    let dir = po("server");
    let text = view(&["--postoffice"], &dir);
    let mut usr_files: Vec<String> = std::fs::read_dir(dir.join("USR"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    usr_files.sort();
    assert_eq!(usr_files.len(), 2);
    for (file, name) in usr_files
        .iter()
        .zip(["POLYNOMIAL/TAYLOR", "POLYNOMIAL/LAGRANGE"])
    {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("USR/{file}")))
            .unwrap_or_else(|| panic!("USR/{file} missing:\n{text}"));
        assert!(line.contains(name), "{line}");
    }
    insta::assert_snapshot!("postoffice_server", text);
    insta::assert_snapshot!(
        "postoffice_requestor",
        view(&["--postoffice"], &po("requestor"))
    );

    let json = view(&["--format", "json", "--postoffice"], &dir);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["format"], "glbtool-postoffice/1");
    let lists = v["address_lists"].as_array().unwrap();
    let usr: Vec<(&str, &str, &str, u64)> = lists
        .iter()
        .filter(|l| l["kind"] == "usr")
        .map(|l| {
            (
                l["file_name"].as_str().unwrap(),
                l["name"]["network"].as_str().unwrap(),
                l["name"]["postoffice"].as_str().unwrap(),
                l["entries"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        usr,
        vec![
            ("00000007.USR", "POLYNOMIAL", "TAYLOR", 2),
            ("00000008.USR", "POLYNOMIAL", "LAGRANGE", 1)
        ]
    );
    assert!(lists.iter().all(|l| l["name"]["type"] != "unresolved"));
    assert_eq!(v["networks"][0]["postoffices"][1]["name"], "LAGRANGE");
}

#[test]
fn dump_postoffice_reports_problems_with_exit_1_and_refuses_hex() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for sub in ["GLB", "NME", "USR", "XTN"] {
        std::fs::create_dir(root.join(sub)).unwrap();
        for e in std::fs::read_dir(po("server").join(sub)).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, root.join(sub).join(p.file_name().unwrap())).unwrap();
        }
    }
    // A USR file no XTN record names, and a shadow that differs from the POL.
    std::fs::write(root.join("USR/0000000F.USR"), [0u8; 53]).unwrap();
    std::fs::write(root.join("NME/ADMINSHD.NME"), [0u8; 45]).unwrap();
    let text = stdout_exiting(
        glbtool()
            .args(["dump", "--color", "never", "--postoffice"])
            .arg(root),
        1,
    );
    assert_has(
        &text,
        &["unresolved 0000000F", "must be identical (KB Q85647)"],
    );
    glbtool()
        .args(["dump", "--format", "hex", "--postoffice"])
        .arg(root)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("text or json"));
    glbtool()
        .args(["dump", "--postoffice"])
        .arg(root.join("NME"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a postoffice directory"));
}

#[test]
fn a_size_that_is_not_whole_records_exits_2_naming_the_record_size() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, size, rule) in [
        ("ADMIN.NME", 50, "45-byte"),
        ("00000007.USR", 52, "53-byte"),
        ("NETPO.GLB", 4 + 44, "43-byte"),
        ("NETWORK.GLB", 121, "122-byte"),
        ("00000006.XTN", 700, "698-byte"),
    ] {
        let f = tmp.path().join(name);
        std::fs::write(&f, vec![1u8; size]).unwrap();
        glbtool()
            .arg("dump")
            .arg(&f)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(name).and(predicate::str::contains(rule)));
    }
}

#[test]
fn random_list_files_never_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x11575);
    for (name, unit) in [
        ("GAL.NME", 45),
        ("0000000A.USR", 53),
        ("NETPO.GLB", 43),
        ("NETWORK.GLB", 122),
        ("0000000B.XTN", 698),
    ] {
        let f = tmp.path().join(name);
        for i in 0..6 {
            // Whole records half the time, any length otherwise.
            let n = if i % 2 == 0 {
                unit * rng.below(4) as usize + usize::from(name == "NETPO.GLB") * 4
            } else {
                rng.below(1500) as usize
            };
            std::fs::write(&f, rng.bytes(n)).unwrap();
            let runs =
                common::dump_survives(&f, &["text", "hex", "json"], &format!("{name} input {i}"));
            if i % 2 == 0 {
                // Any bytes in whole records are accepted (unknown codes are kept, not refused).
                assert!(
                    runs.iter().all(|(code, _)| *code == 0),
                    "{name} input {i}: {runs:?}"
                );
            }
        }
    }
}

#[cfg(unix)]
#[test]
fn a_postoffice_around_a_list_that_cannot_be_opened_is_said_not_passed_over() {
    // Every folder of the postoffice is a symbolic link: glbtool does not take
    // such a directory for a postoffice, so the NME list is shown on its own.
    // That was silent; dump and diff now say why on standard error, and
    // still show the file (exit 0).
    let tmp = tempfile::tempdir().unwrap();
    let po = tmp.path().join("TAYLOR");
    common::copy_dir(&corpus("network/TAYLOR"), &po);
    for folder in ["GLB", "NME", "USR", "XTN"] {
        let real = po.join(format!("{folder}.real"));
        std::fs::rename(po.join(folder), &real).unwrap();
        std::os::unix::fs::symlink(&real, po.join(folder)).unwrap();
    }
    let gal = po.join("NME/GAL.NME");
    let note = format!(
        "glbtool: note: {}: shown without the postoffice around it, which cannot be read: opening postoffice {}: ",
        gal.display(),
        po.display()
    );
    for args in [vec!["dump"], vec!["diff"]] {
        let mut cmd = glbtool();
        cmd.args(&args).arg(&gal);
        if args == ["diff"] {
            cmd.arg(&gal);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.contains(&note), "{args:?}: {err}");
    }
    // Compared with the server's lists, the list alone: the note says why.
    let out = glbtool()
        .args(["diff", "--dss"])
        .arg(corpus("network/MONTGOMERY"))
        .arg("--requestor")
        .arg(&gal)
        .output()
        .unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains(&format!(
            "the postoffice around it was not read (opening postoffice {}: ",
            po.display()
        )),
        "{all}"
    );
}
