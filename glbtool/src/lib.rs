//! `glbtool`: read, dump, build, validate, diff and patch the binary files of
//! MS Mail for PC Networks 3.x directory synchronization.
//!
//! This crate is the command line only: argument parsing, opening files,
//! rendering text, hex and JSON. Every format lives in `glb-formats`. Its
//! one entry point, [`run`], is the whole `glbtool` command on given
//! arguments and streams (the binary calls [`run_process`]); the modules
//! are private.
#![forbid(unsafe_code)]

/// `eprintln!` on a command's standard error: writes a line to `$err`,
/// ignoring a failed write (nowhere is left to say it).
macro_rules! say {
    ($err:expr, $($arg:tt)*) => {{
        let _ = ::std::io::Write::write_fmt(
            &mut *$err,
            format_args!("{}\n", format_args!($($arg)*)),
        );
    }};
}

mod build;
mod console;
mod context;
mod diff;
mod dispatch;
mod doctor;
mod dump;
mod edit;
mod excerpt;
mod help;
mod identify;
mod input;
mod layout;
mod options;
mod output;
mod patch_seq;
mod postoffice;
mod probe;
mod progress;
mod reference;
mod render;
mod repair;
mod report;
mod resync;
mod safe_write;
mod timefmt;
mod validate;

use std::ffi::OsString;
use std::io::{self, Read, Write};

use clap::{Parser, Subcommand};

pub(crate) use options::{ColorChoice, ShowOptions};

/// Inspect, convert and repair MS Mail 3.x Dir-Sync files.
///
/// glbtool reads the transaction queues (REQTRANS, SRVTRANS, MSTTRANS,
/// RESYNC, Import queues), the configuration files (REQCONF, SRVCONF,
/// PROCESS) and the address lists (NME, USR, NETPO, NETWORK, XTN). The byte
/// layouts inside records are not public: glbtool's are reconstructed and
/// documented field by field in docs/formats/; every view marks which field
/// positions are documented and which are reconstructed, and
/// `glbtool layout KIND` prints a kind's field table with the sources.
///
/// Exit codes: 0 fine, 1 findings or differences, 2 trouble (unreadable or
/// invalid input; the message on stderr names file, offset, record and field).
#[derive(Parser, Debug)]
#[command(
    name = "glbtool",
    version = VERSION,
    about,
    long_about,
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Say what each file is: its kind, size, record count and whether it parses.
    Identify(identify::IdentifyArgs),
    /// Show a file as LISTQ-style text, an annotated hex dump, JSON or NDJSON.
    Dump(dump::DumpArgs),
    /// Write a file from the JSON that `dump --format json` printed.
    Build(build::BuildArgs),
    /// Edit a file as JSON in $VISUAL or $EDITOR: on save, the change is
    /// shown, validated and written safely (backup, atomic rename); an edit
    /// that does not build reopens the editor with the error at the top.
    Edit(edit::EditArgs),
    /// Check files alone and against each other; predict MS Mail's errors and say how to fix them.
    Validate(validate::ValidateArgs),
    /// Repair sync numbers (RESYNC.GLB header, REQTRANS.GLB pending transactions,
    /// REQCONF.GLB, SRVCONF.GLB): validated first, written atomically, the old
    /// file kept as FILE.bak.
    PatchSeq(patch_seq::PatchSeqArgs),
    /// Make RESYNC.GLB on the Dir-Sync server (as IMPORT -S), with header
    /// numbers that suit every requestor; validated before it is written.
    Resync(resync::ResyncArgs),
    /// Compare two files of one kind record by record, or a Dir-Sync
    /// server's view of every postoffice's list with what a requestor holds.
    /// Exit 0 equal, 1 different, 2 trouble.
    ///
    /// Two files whose records are in key order (queues in sync order,
    /// GAL.NME, --key position) are streamed in constant memory, and each
    /// difference is printed as it is found. Files out of key order, and a
    /// pipe or standard input, are held in memory to be paired: at most
    /// --memory-limit MiB (default 64), else diff refuses (exit 2).
    Diff(diff::DiffArgs),
    /// Check whole postoffices (or a folder of them): every file, the idle-state
    /// rules, and each Dir-Sync server against its requestors.
    Doctor(doctor::DoctorArgs),
    /// Print a file kind's field table: offset, width, type, name, and whether
    /// each position is documented (with the KB articles) or reconstructed.
    Layout(layout::LayoutArgs),
    /// Find what a file is made of (framing, fields, checksums) from its
    /// bytes, and compare it with glbtool's layout for its kind: for a real
    /// file that glbtool's reconstructed layouts may not read. Exit 0 it
    /// fits (or there is no layout to compare), 1 it does not, 2 trouble.
    Probe(probe::ProbeArgs),
    /// Print a shell completion script (bash, zsh, fish, PowerShell, elvish).
    Completions(reference::CompletionsArgs),
    /// Print glbtool's manual page, or a subcommand's, as roff (or write them all with --dir).
    Man(reference::ManArgs),
}

/// The version `--version` prints: the package's, and the commit it was
/// built from when built from a git checkout (build.rs; nothing when git or
/// the repository is missing).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), env!("GLBTOOL_COMMIT"));

/// Runs glbtool on `args` (the first is the program's name, as in
/// `std::env::args_os`) with the given standard input, output and error,
/// none of them a terminal; returns the exit code: 0 fine, 1 findings or
/// differences, 2 trouble. The same as the `glbtool` command, in-process
/// (what it would print goes to `stdout` and `stderr`), except that a panic
/// reaches the caller instead of ending the process with exit code 101, and
/// that the environment (`TZ`, `GLBTOOL_THREADS`) is the calling process's.
pub fn run<I, T>(
    args: I,
    stdin: Box<dyn Read>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut con = console::Console::given(stdin, stdout, stderr);
    run_on(args, &mut con)
}

/// Runs glbtool on the process's arguments and standard streams (the
/// `glbtool` binary); returns the exit code.
pub fn run_process() -> u8 {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut err = io::stderr();
    let mut con = console::Console::process(&mut out, &mut err);
    run_on(std::env::args_os(), &mut con)
}

fn run_on<I, T>(args: I, con: &mut console::Console) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // --help, --version, or a usage error: clap's message, on standard
        // output (0) or standard error (2).
        Err(e) => {
            if con.is_process() {
                let _ = e.print();
            } else if e.use_stderr() {
                let _ = write!(con.err, "{}", e.render());
            } else {
                let _ = write!(con.out, "{}", e.render());
            }
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    // GLBTOOL_THREADS=N caps the worker threads large files are checked and
    // rendered on (default: one per core, at most 4); 1 keeps everything on
    // one thread. Output never depends on it.
    if let Some(n) = std::env::var("GLBTOOL_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        glb_formats::pipeline::set_default_threads(n);
    }
    let result = match cli.command {
        Command::Identify(a) => identify::run(a, con),
        Command::Dump(a) => dump::run(a, con),
        Command::Build(a) => build::run(a, con),
        Command::Edit(a) => edit::run(a, con),
        Command::Validate(a) => validate::run(a, con),
        Command::PatchSeq(a) => patch_seq::run(a, con),
        Command::Resync(a) => resync::run(a, con),
        Command::Diff(a) => diff::run(a, con),
        Command::Doctor(a) => doctor::run(a, con),
        Command::Layout(a) => layout::run(a, con),
        Command::Probe(a) => probe::run(a, con),
        Command::Completions(a) => reference::completions(a, con),
        Command::Man(a) => reference::man(a, con),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if e.is_broken_pipe() {
                // `glbtool dump ... | head`: the reader left; that is not an error.
                return 0;
            }
            say!(con.err, "glbtool: {e}");
            if let Some(hint) = e.hint() {
                say!(con.err, "  hint: {hint}");
            }
            // An error that quotes a field or a value says, as every view
            // does, which positions are documented (issue 15 point 3).
            for line in render::layout_lines(e.quoted_kind()) {
                say!(con.err, "  {line}");
            }
            2
        }
    }
}
