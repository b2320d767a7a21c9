//! `glbtool edit FILE`: the file's JSON in an editor; on save, the change
//! shown as a structural diff, validated, and written with the safe sequence
//! `patch-seq` and `build` use (`safe_write`, docs/safety.md). An edit that
//! does not build reopens the editor with the error at the top, as
//! `git commit` and `kubectl edit` do.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;
use glb_formats::format::{ReadOptions, Reader};
use glb_formats::json::{self, Style};
use glb_formats::{with_format, CodePage, FileKind};

use crate::console::Console;
use crate::options::{CodepageOption, KindOption};
use crate::output::{CliError, CliResult};
use crate::safe_write::{self, BackupOptions, Destination, Expect};

/// Arguments of `edit`. The editor is $VISUAL, else $EDITOR, else vi (a
/// command line such as `code --wait` is run by the shell).
#[derive(Args, Debug)]
#[command(after_help = crate::help::EDIT)]
pub struct EditArgs {
    /// The file to edit.
    pub file: PathBuf,
    #[command(flatten)]
    pub kind: KindOption,
    #[command(flatten)]
    pub codepage: CodepageOption,
    /// Re-seal every record whose checksum is not glbtool's (as `build --reseal`).
    #[arg(long)]
    pub reseal: bool,
    #[command(flatten)]
    pub backup: BackupOptions,
}

/// The lines `edit` puts above the JSON when an edit must be fixed; they
/// start with `#` and are removed before the JSON is read.
const COMMENT: &str = "# ";

/// The editor: $VISUAL, else $EDITOR, else vi.
fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

/// Runs `edit`.
pub fn run(args: EditArgs, con: &mut Console) -> CliResult {
    let file = &args.file;
    // The editor runs on the process's own terminal (and `show_diff` runs
    // glbtool again on it): never with given streams.
    if !(con.tty.stdin && con.tty.stderr && con.is_process()) {
        return Err(CliError::usage(
            "glbtool edit opens an editor and needs a terminal; none is attached",
        )
        .file(file)
        .with_hint(format!(
            "without a terminal: glbtool dump {} -f json > FILE.json, change FILE.json, then glbtool build FILE.json -o {} (docs/json.md)",
            file.display(),
            file.display()
        )));
    }
    let inp = crate::input::open(file, args.kind.value, &con.stdin)?;
    let kind = inp.kind;
    let cp = args.codepage.value;
    // The file as it is now: changed by someone else before the end, nothing is written.
    let dest = Destination::claim(file, kind, &args.backup, false, &[])?;
    let expect = vec![Expect::now(file)?];
    // Read whole (a regular file only, errors naming it), as large as it was
    // when opened: one that grew since is refused now, naming its size, as
    // `expect` would refuse it before writing.
    let original = glb_dirsync::open::read_whole(
        file,
        inp.size.unwrap_or(0),
        "it grew since glbtool edit opened it, and edit reads it as it was then",
    )?;
    let mut text = Vec::new();
    with_format!(kind.family(), |F| {
        let mut reader = Reader::<F, _>::new(
            &original[..],
            kind,
            Some(original.len() as u64),
            ReadOptions::default(),
        )
        .map_err(|e| {
            CliError::from(e).file(file).with_hint(
                "glbtool edit reads whole files only; dump --salvage shows what can be read",
            )
        })?;
        json::write(&mut reader, &mut text, Style::Document, cp)
            .map_err(|e| CliError::from(e).file(file))?;
        Ok::<(), CliError>(())
    })?;

    let dir = tempfile::Builder::new()
        .prefix("glbtool-edit-")
        .tempdir()
        .map_err(CliError::from)?;
    let name = file
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let doc = dir.path().join(format!("{name}.json"));
    let mut shown = text.clone();
    let (built, summary) = loop {
        std::fs::write(&doc, &shown).map_err(|e| CliError::from(e).file(&doc))?;
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("{} \"$1\"", editor()))
            .arg("sh")
            .arg(&doc)
            .status()
            .map_err(|e| CliError::usage(format!("cannot start the editor `{}`: {e}", editor())))?;
        if !status.success() {
            return Err(CliError::usage(format!(
                "the editor `{}` exited with {status}; nothing was written",
                editor()
            ))
            .file(file));
        }
        let edited = std::fs::read(&doc).map_err(|e| CliError::from(e).file(&doc))?;
        let json_text = strip_comments(&edited);
        if json_text == strip_comments(&text) || json_text.iter().all(u8::is_ascii_whitespace) {
            say!(con.err, "glbtool: no changes; nothing was written");
            return Ok(0);
        }
        let opts = json::BuildOptions {
            kind: Some(kind),
            reseal: args.reseal,
            ..json::BuildOptions::default()
        };
        match json::build_from(json_text, opts, Vec::new()) {
            Ok((bytes, summary)) => {
                if bytes == original {
                    say!(
                        con.err,
                        "glbtool: the edit leaves the file as it was; nothing was written"
                    );
                    return Ok(0);
                }
                break (bytes, summary);
            }
            Err(e) => {
                // Reopen with the error on top, the edit kept below it.
                let mut again = Vec::new();
                for line in format!(
                    "glbtool could not build this edit:\n{e}\nFix it and save, or delete everything to give up.\nLines starting with '#' at the top are removed."
                )
                .lines()
                {
                    again.extend_from_slice(COMMENT.as_bytes());
                    again.extend_from_slice(line.as_bytes());
                    again.push(b'\n');
                }
                again.extend_from_slice(json_text);
                shown = again;
            }
        }
    };
    crate::build::report_build(&summary, con.err);

    // The new version beside the file, checked, shown, then put in place.
    let mut staged = dest.stage(con)?;
    {
        let mut w = staged.writer();
        w.write_all(&built)
            .map_err(|e| CliError::from(e).file(file))?;
        w.into_inner()
            .map_err(|e| CliError::from(e.into_error()).file(file))?;
    }
    staged.finish()?;
    show_diff(file, staged.path(), kind, cp);
    let findings = safe_write::validate(staged.path(), file, kind, cp);
    if let Some(f) = findings.iter().find(|f| safe_write::is_structural(f.code)) {
        return Err(CliError::usage(format!(
            "the edited file does not read back ({}: {}); nothing was written",
            f.code, f.cause
        ))
        .file(file));
    }
    for f in findings
        .iter()
        .filter(|f| f.severity == glb_dirsync::check::Severity::Error)
    {
        say!(con.err, "glbtool: after the edit: {} {}", f.code, f.cause);
    }
    let done = staged.commit(&expect, con)?;
    say!(
        con.err,
        "glbtool: wrote {} ({} record{}){}",
        file.display(),
        summary.records,
        if summary.records == 1 { "" } else { "s" },
        match done.backup {
            Some(b) => format!("; the previous file is kept as {}", b.display()),
            None => String::new(),
        }
    );
    Ok(0)
}

/// The text without the `#` lines `edit` put at its top.
fn strip_comments(text: &[u8]) -> &[u8] {
    let mut rest = text;
    while rest.starts_with(b"#") {
        match memchr_newline(rest) {
            Some(i) => rest = &rest[i + 1..],
            None => return &[],
        }
    }
    rest
}

fn memchr_newline(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == b'\n')
}

/// Shows what will change: `glbtool diff` of the file and its new version.
fn show_diff(old: &Path, new: &Path, kind: FileKind, cp: CodePage) {
    let Ok(me) = std::env::current_exe() else {
        return;
    };
    let _ = Command::new(me)
        .args(["diff", "--kind", kind.name(), "--codepage"])
        .arg(cp.to_string())
        .arg(old)
        .arg(new)
        .status();
}
