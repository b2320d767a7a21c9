//! Progress on long work: a bar on standard error (indicatif) while a
//! command reads more than a few megabytes. Shown only when standard error
//! is a terminal and `--quiet` was not given; cleared when the work ends, so
//! that nothing of it stays in the terminal or ever reaches a pipe or file.

use std::io::Read;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// Work that reads fewer bytes than this is quick: no bar (4 MiB; the
/// environment variable GLBTOOL_PROGRESS_BYTES sets another).
pub const THRESHOLD: u64 = 4 << 20;

fn threshold() -> u64 {
    std::env::var("GLBTOOL_PROGRESS_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(THRESHOLD)
}

/// A progress bar, or nothing (hidden), as the terminal and options decide.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
}

/// Whether a bar for work of `size` bytes is drawn. `quiet`: no bar at all
/// (`--quiet`, or standard error is no terminal: callers pass
/// `!Console::progress(quiet)`).
fn shown(size: u64, quiet: bool) -> bool {
    !quiet && size >= threshold()
}

impl Progress {
    /// A bar for reading `total` bytes: `{what} 12.5 MiB/80.0 MiB [=====> ] 3s left`.
    pub fn bytes(what: &str, total: u64, quiet: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), target(shown(total, quiet)))
            .with_finish(ProgressFinish::AndClear)
            .with_message(what.to_string());
        bar.set_style(
            ProgressStyle::with_template("{msg} {bytes}/{total_bytes} [{bar:30}] {eta} left")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Progress { bar }
    }

    /// A spinner for work whose progress cannot be counted, that reads
    /// about `size` bytes: `{what} (12 s)`.
    pub fn spinner(what: &str, size: u64, quiet: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(None, target(shown(size, quiet)))
            .with_finish(ProgressFinish::AndClear)
            .with_message(what.to_string());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        // Drawn at once, not at the first tick: work that ends within it
        // still shows it was going on (and the bar is cleared at the end).
        bar.tick();
        Progress { bar }
    }

    /// A bar that is never shown.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    /// Counts `n` more bytes done.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Starts a new phase of the same size: `what`, from 0.
    pub fn phase(&self, what: &str) {
        self.bar.set_message(what.to_string());
        self.bar.set_position(0);
    }

    /// `src`, counting what is read from it on this bar.
    pub fn reader<R: Read>(&self, src: R) -> Counted<R> {
        Counted {
            src,
            bar: self.bar.clone(),
        }
    }

    /// Ends the work: the bar is cleared.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn target(shown: bool) -> ProgressDrawTarget {
    if shown {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// A reader whose bytes are counted on a progress bar.
pub struct Counted<R> {
    src: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.src.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// The bytes of the regular files among `paths` (what a command will read).
pub fn size_of<'a>(paths: impl IntoIterator<Item = &'a std::path::Path>) -> u64 {
    paths
        .into_iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
        .sum()
}
