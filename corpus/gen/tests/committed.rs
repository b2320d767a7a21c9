//! The committed corpus never drifts from the generator: every generated
//! sample must equal the committed file byte for byte, and the committed
//! simulated networks (`corpus/network/`, `corpus/scenarios/<name>/`) must
//! hold exactly the files a fresh simulation writes, no more, no fewer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn committed_samples_equal_a_fresh_generation() {
    let root = root();
    let mut stale = Vec::new();
    for s in glb_corpus::all() {
        let p = root.join(&s.path);
        match std::fs::read(&p) {
            Ok(b) if b == s.bytes => {}
            Ok(_) => stale.push(format!("{} differs", s.path)),
            Err(e) => stale.push(format!("{}: {e}", s.path)),
        }
    }
    assert!(
        stale.is_empty(),
        "regenerate with `cargo run -p glb-corpus -- samples --out corpus`:\n{}",
        stale.join("\n")
    );
}

/// Every file below `dir`, by `/`-separated path relative to it.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap();
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(rel.join("/"), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn committed_networks_equal_a_fresh_simulation() {
    let corpus = root();
    let mut problems = Vec::new();
    let generated = glb_corpus::committed_networks().unwrap();
    for (dir, files) in &generated {
        let committed = tree(&corpus.join(dir));
        let fresh: BTreeMap<&str, &[u8]> = files
            .iter()
            .map(|f| (f.path.as_str(), f.bytes.as_slice()))
            .collect();
        for (path, bytes) in &fresh {
            match committed.get(*path) {
                None => problems.push(format!("{dir}/{path} is missing")),
                Some(b) if b != bytes => problems.push(format!("{dir}/{path} differs")),
                Some(_) => {}
            }
        }
        for path in committed.keys() {
            if !fresh.contains_key(path.as_str()) {
                problems.push(format!("{dir}/{path} is not generated any more"));
            }
        }
    }
    // No scenario folder without a scenario.
    if let Ok(entries) = std::fs::read_dir(corpus.join("scenarios")) {
        for e in entries {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            if !generated
                .iter()
                .any(|(d, _)| *d == format!("scenarios/{name}"))
            {
                problems.push(format!("scenarios/{name} is not a scenario"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "regenerate with `cargo run -p glb-corpus -- corpus --out corpus`:\n{}",
        problems.join("\n")
    );
}
