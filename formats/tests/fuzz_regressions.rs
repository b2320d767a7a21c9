//! Replays every input the fuzzers ever crashed on, on stable, with plain
//! `cargo test`: `formats/tests/fuzz-regressions/<target>/<file>` is run
//! through the same check as the fuzz target `<target>`
//! (`glb_formats::invariants`). See docs/robustness.md.

use std::path::Path;

use glb_formats::invariants;

#[test]
fn every_committed_fuzz_input_passes_its_check() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut replayed = 0;
    let mut failures = Vec::new();
    let mut targets: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fuzz-regressions exists")
        .map(|e| e.unwrap().path())
        .collect();
    targets.sort();
    for target_dir in targets {
        let name = target_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let check = invariants::find(&name).unwrap_or_else(|| {
            panic!("tests/fuzz-regressions/{name}: no fuzz target is called {name}")
        });
        let mut inputs: Vec<_> = std::fs::read_dir(&target_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        inputs.sort();
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            if let Err(broken) = check(&data) {
                failures.push(format!(
                    "{name}/{}: {broken}",
                    input.file_name().unwrap().to_string_lossy()
                ));
            }
            replayed += 1;
        }
    }
    println!("replayed {replayed} fuzz regression inputs");
    assert!(
        replayed > 0,
        "no regression inputs found below {}",
        dir.display()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every check has a fuzz target of the same name, and every fuzz target a
/// check: `fuzz/fuzz_targets/NAME.rs` and a `[[bin]]` in `fuzz/Cargo.toml`.
#[test]
fn fuzz_targets_match_the_checks() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).unwrap();
    let stub = std::fs::read_to_string(fuzz.join("fuzz_targets/parse_queue.rs")).unwrap();
    for t in invariants::targets() {
        let file = fuzz.join(format!("fuzz_targets/{}.rs", t.name));
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e} (copy parse_queue.rs)", file.display()));
        assert_eq!(
            text,
            stub,
            "{} differs from the common stub",
            file.display()
        );
        assert!(
            manifest.contains(&format!(
                "name = \"{}\"\npath = \"fuzz_targets/{}.rs\"",
                t.name, t.name
            )),
            "fuzz/Cargo.toml has no [[bin]] for {}",
            t.name
        );
    }
    let count = manifest.matches("[[bin]]").count();
    assert_eq!(
        count,
        invariants::targets().len(),
        "fuzz/Cargo.toml has a [[bin]] without a check"
    );
}
