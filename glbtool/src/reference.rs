//! `glbtool completions SHELL` and `glbtool man`: shell completion scripts and
//! manual pages, generated from the command line itself by the clap
//! ecosystem's crates (clap_complete, clap_mangen), so they always match it.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::console::Console;
use crate::output::{self, CliError, CliResult};

/// Arguments of `completions`.
#[derive(Args, Debug)]
#[command(after_help = crate::help::COMPLETIONS)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Arguments of `man`.
#[derive(Args, Debug)]
#[command(after_help = crate::help::MAN)]
pub struct ManArgs {
    /// The subcommand whose page to print (`glbtool-dump(1)`); the main page
    /// `glbtool(1)` without it.
    #[arg(conflicts_with = "dir")]
    pub subcommand: Option<String>,
    /// Write every page (glbtool.1 and glbtool-SUBCOMMAND.1) into DIR
    /// instead, and list them.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The command line as clap sees it, with the subcommands' page names set.
fn command() -> clap::Command {
    let mut cmd = crate::Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Runs `completions`.
pub fn completions(args: CompletionsArgs, con: &mut Console) -> CliResult {
    let mut cmd = command();
    let mut out = output::buffered(con.out);
    clap_complete::generate(args.shell, &mut cmd, "glbtool", &mut out);
    output::finish(out)?;
    Ok(0)
}

/// One page as roff: clap_mangen's sections, with the text after the
/// options (each subcommand's examples) under EXAMPLES.
fn page(cmd: clap::Command) -> Result<Vec<u8>, CliError> {
    let mut roff = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut roff)?;
    let text = String::from_utf8_lossy(&roff).replace(".SH EXTRA\n", ".SH EXAMPLES\n");
    Ok(text.into_bytes())
}

/// Runs `man`.
pub fn man(args: ManArgs, con: &mut Console) -> CliResult {
    let cmd = command();
    let mut pages = vec![cmd.clone()];
    pages.extend(cmd.get_subcommands().cloned());
    if let Some(dir) = &args.dir {
        let mut out = output::buffered(con.out);
        for p in pages {
            let name = format!("{}.1", p.get_display_name().unwrap_or(p.get_name()));
            let path = dir.join(&name);
            std::fs::write(&path, page(p)?).map_err(|e| CliError::from(e).file(&path))?;
            writeln!(out, "{}", path.display())?;
        }
        output::finish(out)?;
        return Ok(0);
    }
    let wanted = match &args.subcommand {
        None => cmd,
        Some(name) => cmd.find_subcommand(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
            CliError::usage(format!("no subcommand `{name}`"))
                .with_hint(format!("one of: {}", names.join(", ")))
        })?,
    };
    let mut out = output::buffered(con.out);
    out.write_all(&page(wanted)?)?;
    output::finish(out)?;
    Ok(0)
}
