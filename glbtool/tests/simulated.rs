//! glbtool on the simulated networks of `corpus/network/` and
//! `corpus/scenarios/` (made by `glb-corpus`, see `corpus/README.md`).

mod common;

use common::{corpus, files_below, glbtool};

#[test]
fn validate_reports_nothing_on_the_healthy_network() {
    let files = files_below(&corpus("network"));
    assert!(files.len() > 60, "{} files", files.len());
    let out = glbtool().arg("validate").args(&files).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("0 errors, 0 warnings"), "{stdout}");
}

#[test]
fn every_simulated_postoffice_opens_without_problems() {
    for po in ["MONTGOMERY", "TAYLOR", "LAGRANGE"] {
        let dir = corpus("network").join(po);
        let out = glbtool()
            .args(["dump", "--postoffice"])
            .arg(&dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{po}: {stdout}");
        for other in ["MONTGOMERY", "TAYLOR", "LAGRANGE"]
            .iter()
            .filter(|o| **o != po)
        {
            assert!(
                stdout.contains(&format!("POLYNOMIAL/{other}")),
                "{po}: {stdout}"
            );
        }
        assert!(stdout.contains("PROFSGW/NODE1"), "{stdout}");
    }
}

#[test]
fn validate_finds_the_file_level_scenarios() {
    // The cross-file findings (GLB014, GLB138, ...) are doctor's; these two
    // are visible in a single file.
    for (file, code) in [
        (
            "scenarios/corrupt-record/MONTGOMERY/GLB/MSTTRANS.GLB",
            "GLB304",
        ),
        ("scenarios/wrong-size/TAYLOR/NME/GAL.NME", "GLB303"),
    ] {
        let out = glbtool()
            .arg("validate")
            .arg(corpus(file))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{file}: {stdout}");
        assert!(stdout.contains(code), "{file}: {stdout}");
    }
}

/// Codes that need a whole postoffice (doctor), not files given to validate.
const DOCTOR_ONLY: [&str; 3] = ["GLB330", "GLB331", "GLB350"];

#[test]
fn validate_across_a_scenarios_files_reports_its_documented_finding() {
    for (name, expected) in glb_corpus::scenario_expectations() {
        let files = files_below(&corpus(&format!("scenarios/{name}")));
        let out = glbtool()
            .args(["validate", "--format", "json"])
            .args(&files)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut codes: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] != "info")
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        codes.sort();
        codes.dedup();
        let want: Vec<String> = expected
            .iter()
            .filter(|c| !DOCTOR_ONLY.contains(c))
            .map(|c| c.to_string())
            .collect();
        assert_eq!(codes, want, "{name}");
    }
}
