//! The reference around the commands: every subcommand's help ends with
//! examples that run as written on the committed corpus, `--kind` lists the
//! kinds, shell completions and manual pages match the command line, and
//! `--version` names the commit.

mod common;

use common::{glbtool, root, run_shell, scratch_with_corpus, stdout_of};

/// The subcommands `glbtool --help` lists (without `help`).
fn subcommands() -> Vec<String> {
    let help = stdout_of(&["--help"]);
    let list = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands: section")
        .split("\n\n")
        .next()
        .unwrap();
    let names: Vec<String> = list
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(String::from)
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    names
}

/// The example lines that end a help text (at most 80 columns each, so no
/// terminal rewraps them).
fn example_lines(help: &str) -> Vec<&str> {
    let tail = help
        .rsplit_once("\nExamples:\n")
        .map(|(_, t)| t)
        .unwrap_or("");
    let lines: Vec<&str> = tail.lines().filter(|l| !l.trim().is_empty()).collect();
    for l in &lines {
        assert!(l.chars().count() <= 80, "longer than 80 columns: {l}");
    }
    lines
}

/// The example commands that end a help text, continued lines joined.
fn examples(help: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut continued = false;
    for l in example_lines(help) {
        let (text, more) = match l.trim_end().strip_suffix('\\') {
            Some(t) => (t, true),
            None => (l, false),
        };
        match out.last_mut() {
            Some(last) if continued => {
                last.push(' ');
                last.push_str(text.trim());
            }
            _ => out.push(text.trim_end().to_string()),
        }
        continued = more;
    }
    out
}

/// The `--long` options a help text lists.
fn long_options(help: &str) -> Vec<String> {
    let mut opts: Vec<String> = help
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("--") || l.starts_with('-') && l.contains(", --"))
        .filter_map(|l| {
            let at = l.find("--")?;
            let name: String = l[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect();
    opts.sort();
    opts.dedup();
    opts
}

#[test]
fn every_subcommands_help_ends_with_two_to_four_examples_that_run_as_written() {
    let scratch = scratch_with_corpus();
    for sub in subcommands() {
        for flag in ["--help", "-h"] {
            let help = stdout_of(&[&sub, flag]);
            let ex = examples(&help);
            assert!(
                (2..=4).contains(&ex.len()),
                "glbtool {sub} {flag} ends with {} examples:\n{help}",
                ex.len()
            );
            for line in &ex {
                assert!(
                    line.starts_with(&format!("  glbtool {sub}"))
                        || line.starts_with("  glbtool dump"),
                    "glbtool {sub}: not an example of it: {line}"
                );
            }
        }
        // The manual-page examples install pages or need man(1); `man`'s own
        // test covers them.
        if sub == "man" {
            continue;
        }
        // `edit` opens an editor on a terminal; glbtool/tests/edit.rs runs it
        // under script(1) with a scripted $VISUAL.
        if sub == "edit" {
            continue;
        }
        if sub == "completions" {
            for d in [
                ".local/share/bash-completion/completions",
                ".zfunc",
                ".config/fish/completions",
            ] {
                std::fs::create_dir_all(scratch.path().join(d)).unwrap();
            }
        }
        for line in examples(&stdout_of(&[&sub, "--help"])) {
            let line = line.trim().replace("$PROFILE", "profile.ps1");
            let out = run_shell(scratch.path(), &line);
            let code = out.status.code();
            assert!(
                code == Some(0) || code == Some(1),
                "`{line}` exited {code:?}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn kind_lists_every_kind_with_what_it_is() {
    for sub in ["dump", "identify", "validate", "diff", "build", "patch-seq"] {
        let long = stdout_of(&[sub, "--help"]);
        let short = stdout_of(&[sub, "-h"]);
        for kind in [
            "reqtrans", "msttrans", "resync", "reqconf", "srvconf", "nme", "xtn",
        ] {
            assert!(long.contains(&format!("- {kind}:")), "{sub} --help: {kind}");
            assert!(short.contains(kind), "{sub} -h: {kind}");
        }
        assert!(
            long.contains("REQCONF.GLB, the requestor configuration"),
            "{sub}"
        );
    }
    // A file name still works as a kind; a wrong one lists the kinds.
    glbtool().args(["layout", "REQCONF.GLB"]).assert().success();
    let out = glbtool()
        .args(["dump", "--kind", "reqtrnas", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'reqtrnas'") && err.contains("reqtrans, srvtrans"),
        "{err}"
    );
}

#[test]
fn completions_cover_every_subcommand_and_bash_completes_them() {
    let subs = subcommands();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        for sub in &subs {
            assert!(script.contains(sub.as_str()), "{shell}: {sub}");
        }
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(script.contains("reqtrans"), "{shell}: the kinds");
        }
    }
    // bash itself, with the script loaded, completes a subcommand and a kind.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("glbtool.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"])).unwrap();
    let complete = |words: &str| {
        let line = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; \
             _glbtool glbtool \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let out = run_shell(dir.path(), &line);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let subs_of_d = complete("glbtool d");
    for s in ["dump", "diff", "doctor"] {
        assert!(subs_of_d.lines().any(|l| l == s), "{subs_of_d}");
    }
    let kinds = complete("glbtool dump --kind r");
    for k in ["reqtrans", "resync", "reqconf", "requpds"] {
        assert!(kinds.lines().any(|l| l == k), "{kinds}");
    }
    assert!(!kinds.lines().any(|l| l == "nme"), "{kinds}");
}

#[test]
fn manual_pages_hold_every_option_and_example_of_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let listed = stdout_of(&["man", "--dir", dir.path().to_str().unwrap()]);
    let subs = subcommands();
    assert_eq!(listed.lines().count(), subs.len() + 1, "{listed}");
    let main = std::fs::read_to_string(dir.path().join("glbtool.1")).unwrap();
    assert_eq!(main, stdout_of(&["man"]));
    for sub in &subs {
        assert!(
            main.contains(&format!("glbtool\\-{}(1)", sub.replace('-', "\\-"))),
            "{sub}"
        );
        let page = std::fs::read_to_string(dir.path().join(format!("glbtool-{sub}.1")))
            .unwrap_or_else(|e| panic!("glbtool-{sub}.1: {e}"));
        assert_eq!(page, stdout_of(&["man", sub]), "{sub}");
        let help = stdout_of(&[sub, "--help"]);
        for opt in long_options(&help) {
            assert!(
                page.contains(&format!("\\-\\-{}", opt.replace('-', "\\-"))),
                "glbtool-{sub}.1 lacks --{opt}"
            );
        }
        assert!(page.contains(".SH EXAMPLES"), "{sub}");
        for ex in examples(&help) {
            // roff escapes the minus signs and the backslashes.
            let word = ex.split_whitespace().last().unwrap().replace('-', "\\-");
            assert!(
                page.contains(&word),
                "glbtool-{sub}.1 lacks the example `{ex}`"
            );
        }
    }
    glbtool().args(["man", "nosuch"]).assert().code(2);
}

#[test]
#[ignore = "needs man (Debian's man-db): .ci/run installs it and runs this test"]
fn man_renders_the_generated_pages_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let listed = stdout_of(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(listed.lines().count() > 10, "{listed}");
    for page in std::fs::read_dir(dir.path()).unwrap() {
        let page = page.unwrap().file_name().into_string().unwrap();
        let rendered = run_shell(
            dir.path(),
            &format!("MANWIDTH=80 man -l {page} 2>&1 | cat; exit ${{PIPESTATUS[0]}}"),
        );
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(rendered.status.success(), "{page}: {text}");
        assert!(
            page == "glbtool.1" || text.contains("EXAMPLES"),
            "{page}: {text}"
        );
        assert!(!text.contains("warning"), "{page}: {text}");
        if page == "glbtool-dump.1" {
            assert!(text.contains("check-crc"), "{text}");
        }
    }
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let version = stdout_of(&["--version"]);
    let head = std::process::Command::new("git")
        .args(["log", "-1", "--format=%h"])
        .current_dir(root())
        .output();
    match head {
        Ok(o) if o.status.success() => {
            let h = String::from_utf8(o.stdout).unwrap();
            assert!(
                version.contains(&format!("(commit {} ", h.trim())),
                "{version} does not name {h}"
            );
        }
        // Built from a source archive: the version alone.
        _ => assert!(!version.contains("commit"), "{version}"),
    }
    assert!(version.starts_with(&format!("glbtool {}", env!("CARGO_PKG_VERSION"))));
    // Every subcommand says the same.
    let sub = stdout_of(&["dump", "--version"]);
    assert_eq!(
        sub.split_once(' ').unwrap().1,
        version.split_once(' ').unwrap().1
    );
}
