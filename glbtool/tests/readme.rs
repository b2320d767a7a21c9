//! README.md's examples run as written: every `sh` block, in order, in one
//! shell, from a copy of the repository's corpus, with the tested glbtool
//! first on PATH. `cargo run -p glbtool -- ARGS` is run as `glbtool ARGS`;
//! the lines that build or install glbtool and run the test suite are not
//! run here (this test is part of that suite).

mod common;

/// The `sh` blocks of README.md, each as its command lines (continued lines joined).
fn blocks() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let mut out = Vec::new();
    for chunk in readme.split("```sh\n").skip(1) {
        let body = chunk.split("\n```").next().unwrap();
        let mut lines: Vec<String> = Vec::new();
        let mut continued = false;
        for l in body.lines() {
            let (text, more) = match l.trim_end().strip_suffix('\\') {
                Some(t) => (t.to_string(), true),
                None => (l.to_string(), false),
            };
            match lines.last_mut() {
                Some(last) if continued => {
                    last.push(' ');
                    last.push_str(text.trim());
                }
                _ => lines.push(text),
            }
            continued = more;
        }
        out.push(lines);
    }
    out
}

/// What of a README line this test runs: the line, `cargo run -p glbtool --`
/// as `glbtool`, or nothing for building, installing and the test suite.
fn runnable(line: &str) -> Option<String> {
    let l = line.trim();
    if l.is_empty() {
        return None;
    }
    if let Some(rest) = l.strip_prefix("cargo run -p glbtool -- ") {
        return Some(format!("glbtool {rest}"));
    }
    if l.starts_with("cargo ") || l.contains(".ci/run") {
        return None;
    }
    Some(l.to_string())
}

#[test]
fn the_readmes_examples_run_as_written() {
    let blocks = blocks();
    assert!(
        blocks.len() >= 6,
        "README.md has {} sh blocks",
        blocks.len()
    );
    // The two set-up commands come first, exactly two: glbtool's main job on
    // a committed sample, and the whole test suite.
    assert_eq!(blocks[0].len(), 2, "{:?}", blocks[0]);
    assert!(blocks[0][0].starts_with("cargo run -p glbtool -- doctor corpus/"));
    assert!(blocks[0][1].contains(".ci/run"));
    // The install command comes before any example that needs it.
    let install = blocks
        .iter()
        .position(|b| b.iter().any(|l| l.trim() == "cargo install --path glbtool"))
        .expect("an install command");
    let first_bare = blocks
        .iter()
        .position(|b| b.iter().any(|l| l.trim_start().starts_with("glbtool ")))
        .unwrap();
    assert!(
        install < first_bare,
        "glbtool is used before it is installed"
    );

    let scratch = common::scratch_with_corpus();
    let mut script =
        String::from("set -o pipefail\nexport VISUAL=true EDITOR=true GIT_CONFIG_NOSYSTEM=1\n");
    let mut count = 0;
    for line in blocks.iter().flatten().filter_map(|l| runnable(l)) {
        count += 1;
        let quoted = line.replace('\'', "'\\''");
        script.push_str(&format!(
            "{line}\nrc=$?; if [ $rc -gt 1 ]; then echo 'README example failed with exit '$rc': {quoted}' >&2; exit 3; fi\n"
        ));
    }
    assert!(count >= 40, "only {count} examples");
    // Under a pseudo-terminal (util-linux script), as a person types them:
    // `glbtool edit` needs one. No colour, no pager; $VISUAL leaves the
    // document as it is.
    std::fs::write(scratch.path().join("readme.sh"), &script).unwrap();
    let out = common::run_shell(
        scratch.path(),
        "NO_COLOR=1 GIT_PAGER=cat PAGER=cat script -qec 'bash readme.sh' /dev/null",
    );
    // The terminal shows standard output and standard error together.
    let stdout = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let stderr = stdout.clone();
    assert!(out.status.success(), "{stdout}");
    assert!(!stdout.contains("README example failed"), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The first command's result: the error, what MS Mail says, the repair.
    assert!(
        stdout.contains("GLB014") && stdout.contains("Fatal error 14"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fix: glbtool patch-seq corpus/scenarios/error14/TAYLOR/GLB/RESYNC.GLB"),
        "{stdout}"
    );
    // The git block showed a USR list through textconv.
    assert!(
        stdout.contains("diff --git a/TAYLOR/USR/00000002.USR"),
        "{stdout}"
    );
}
