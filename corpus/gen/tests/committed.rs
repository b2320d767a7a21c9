//! The committed corpus never drifts from the generator: every generated
//! sample must equal the committed file byte for byte.

use std::path::Path;

#[test]
fn committed_samples_equal_a_fresh_generation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
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
