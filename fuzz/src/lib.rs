//! Glue between libFuzzer and the checks in `glb_formats::invariants`: a fuzz
//! target named `NAME` runs the check called `NAME` and crashes when it
//! reports a broken invariant.

use std::sync::OnceLock;

use glb_formats::invariants::{self, Check};

/// Runs the check `name` on `data`; panics (a libFuzzer crash) when an
/// invariant is broken.
pub fn check(name: &str, data: &[u8]) {
    static CHECK: OnceLock<Check> = OnceLock::new();
    let check = CHECK.get_or_init(|| {
        invariants::find(name).unwrap_or_else(|| {
            panic!("no check is called {name}: see glb_formats::invariants::targets")
        })
    });
    if let Err(broken) = check(data) {
        panic!("{name}: {broken}");
    }
}
