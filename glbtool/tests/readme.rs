//! README.md's examples run as written: every `sh` block, in order, in one
//! shell, from a copy of the repository's corpus, with the tested glbtool
//! first on PATH. `cargo run -p glbtool -- ARGS` is run as `glbtool ARGS`;
//! the lines that build or install glbtool and run the test suite are not
//! run here (this test is part of that suite). Two examples pipe into jq,
//! which is not part of the Rust toolchain: `cargo test --workspace` leaves
//! them out (ignored, with the reason) and `.ci/run` installs jq and runs
//! them; the set-up commands are checked either way.

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
    if l.starts_with("cargo ") {
        return None;
    }
    Some(l.to_string())
}

/// `.ci/run`'s lines, trimmed.
fn ci_lines() -> Vec<String> {
    std::fs::read_to_string(common::root().join(".ci/run"))
        .unwrap()
        .lines()
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn the_readme_starts_with_the_two_set_up_commands_and_the_first_gives_a_result() {
    let blocks = blocks();
    // Exactly two: glbtool's main job on a committed sample, and the whole
    // test suite with the very command CI runs.
    assert_eq!(blocks[0].len(), 2, "{:?}", blocks[0]);
    let (first, second) = (blocks[0][0].trim(), blocks[0][1].trim());
    let args = first
        .strip_prefix("cargo run -p glbtool -- doctor ")
        .expect("the first set-up command runs doctor through cargo run");
    // Cargo's progress shows while the first build runs (about 1½ minutes):
    // no `-q` to make it look hung.
    assert!(
        !first.contains(" -q") && !first.contains("--quiet"),
        "{first}"
    );
    for dir in args.split_whitespace() {
        assert!(
            dir.starts_with("corpus/") && common::root().join(dir).is_dir(),
            "{dir}: not a committed sample"
        );
    }
    assert_eq!(second, "cargo test --workspace");
    assert!(
        ci_lines().iter().any(|l| l == second),
        ".ci/run does not run `{second}`"
    );
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
    // The first command's result, as the README describes it: the error,
    // what MS Mail says, the repair, exit 1 for a finding.
    let out = common::run_shell(&common::root(), runnable(first).as_deref().unwrap());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("GLB014") && text.contains("Fatal error 14"),
        "{text}"
    );
    assert!(
        text.contains("fix: glbtool patch-seq corpus/scenarios/error14/TAYLOR/GLB/RESYNC.GLB"),
        "{text}"
    );
}

#[test]
#[ignore = "needs jq, which two examples pipe into: .ci/run installs it and runs this test"]
fn the_readmes_examples_run_as_written() {
    let blocks = blocks();
    assert!(
        blocks.len() >= 6,
        "README.md has {} sh blocks",
        blocks.len()
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
