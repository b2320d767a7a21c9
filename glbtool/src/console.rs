//! Where a command reads and writes: the process's standard streams, or the
//! reader and writers given to [`crate::run`] (the in-process hostile-input
//! sweep runs every command that way, thousands of times, in one process).
//!
//! Commands never name `std::io::stdout()`, `stdin()` or `stderr()`, nor ask
//! whether they are terminals: they are handed a [`Console`].

use std::cell::RefCell;
use std::io::{self, IsTerminal, Read, Write};

/// A command's standard streams, and what is known about them.
pub struct Console<'a> {
    /// Standard input.
    pub stdin: Stdin,
    /// Standard output, unbuffered (commands buffer it: [`crate::output::buffered`]).
    pub out: &'a mut dyn Write,
    /// Standard error, unbuffered.
    pub err: &'a mut dyn Write,
    /// Which streams are terminals, and the terminal's width.
    pub tty: Terminals,
    /// True for the process's own streams.
    process: bool,
}

impl<'a> Console<'a> {
    /// The process's streams: `out` and `err` are its standard output
    /// (locked) and standard error.
    pub fn process(out: &'a mut dyn Write, err: &'a mut dyn Write) -> Console<'a> {
        let stdout = io::stdout();
        let width = if stdout.is_terminal() {
            terminal_size::terminal_size_of(&stdout).map(|(w, _)| usize::from(w.0))
        } else {
            None
        };
        Console {
            stdin: Stdin(None),
            out,
            err,
            tty: Terminals {
                stdin: io::stdin().is_terminal(),
                stdout: stdout.is_terminal(),
                stderr: io::stderr().is_terminal(),
                width,
            },
            process: true,
        }
    }

    /// Given streams, none of them a terminal.
    pub fn given(
        stdin: Box<dyn Read>,
        out: &'a mut dyn Write,
        err: &'a mut dyn Write,
    ) -> Console<'a> {
        Console {
            stdin: Stdin(Some(RefCell::new(Some(stdin)))),
            out,
            err,
            tty: Terminals::default(),
            process: false,
        }
    }

    /// True when the process's own streams are used.
    pub fn is_process(&self) -> bool {
        self.process
    }

    /// True when a progress bar may be drawn on standard error: it is a
    /// terminal (of this process) and `--quiet` was not given.
    pub fn progress(&self, quiet: bool) -> bool {
        !quiet && self.tty.stderr && self.is_process()
    }
}

/// Which standard streams are terminals; the terminal's width when standard
/// output is one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminals {
    /// Standard input is a terminal.
    pub stdin: bool,
    /// Standard output is a terminal.
    pub stdout: bool,
    /// Standard error is a terminal.
    pub stderr: bool,
    /// The width to wrap text at: the terminal's, when standard output is
    /// one; `None` (no wrapping) when it is a pipe or a file.
    pub width: Option<usize>,
}

/// Standard input: the process's, or a reader given once (read by the
/// first command that asks; whoever asks again reads nothing, as from a
/// standard input already read to its end).
pub struct Stdin(Option<RefCell<Option<Box<dyn Read>>>>);

impl Stdin {
    /// A standard input already read to its end.
    pub fn spent() -> Stdin {
        Stdin(Some(RefCell::new(None)))
    }

    /// A reader of standard input.
    pub fn reader(&self) -> Box<dyn Read> {
        match &self.0 {
            None => Box::new(io::stdin()),
            Some(given) => given
                .borrow_mut()
                .take()
                .unwrap_or_else(|| Box::new(io::empty())),
        }
    }
}
