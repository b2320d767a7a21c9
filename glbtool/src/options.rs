//! The command-line options several commands share, each declared once:
//! `--color`, `--codepage`, `--kind` and `--quiet` (flattened into each command's
//! arguments), and the options of the commands that show text.

use clap::{Args, ValueEnum};
use glb_formats::{CodePage, FileKind};

use crate::timefmt;

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `--color`.
#[derive(Args, Debug, Clone, Copy)]
pub(crate) struct ColorOption {
    /// Colour output: auto (terminal and NO_COLOR unset), always or never.
    #[arg(id = "color", long = "color", value_name = "COLOR", value_enum, default_value_t = ColorChoice::Auto)]
    pub value: ColorChoice,
}

/// `--codepage`, for the commands that read text in the files (`build`,
/// whose document names its code page, has its own).
#[derive(Args, Debug, Clone, Copy)]
pub(crate) struct CodepageOption {
    /// Code page of the text in the files: 850 (English and Western European
    /// postoffices, the default), 852 (Czech, Hungarian, Polish), 866
    /// (Russian), 737 (Greek) (KB Q156063), or 437 (not a documented
    /// postoffice code page). The double-byte 932, 936, 949 and 950 of the
    /// Asian builds are refused: no exact round trip (docs/formats/README.md).
    #[arg(
        id = "codepage",
        long = "codepage",
        value_name = "CODEPAGE",
        default_value = "850"
    )]
    pub value: CodePage,
}

/// `--kind`, for the commands that read files of any kind (`build`, `probe`
/// and `layout` give the kind a meaning of their own).
#[derive(Args, Debug, Clone, Copy)]
pub(crate) struct KindOption {
    /// Treat the files given as this kind instead of recognising each one's
    /// kind from its name or content (see `glbtool identify`).
    #[arg(id = "kind", long = "kind", value_name = "KIND", value_parser = crate::help::KindParser)]
    pub value: Option<FileKind>,
}

/// `--quiet`, for the commands that may read large files.
#[derive(Args, Debug, Clone, Copy)]
pub(crate) struct QuietOption {
    /// No progress bar. One is shown on standard error while more than a
    /// few megabytes are read, only when standard error is a terminal.
    #[arg(id = "quiet", long = "quiet", short = 'q')]
    pub value: bool,
}

/// Options shared by commands that show text.
#[derive(Args, Debug, Clone)]
pub(crate) struct ShowOptions {
    #[command(flatten)]
    pub color: ColorOption,
    /// Time zone for showing time stamps: UTC, an offset such as -08:00,
    /// `local`, an MS C TZ value such as PST8PDT, or a name of the system's
    /// time-zone database such as America/Los_Angeles, CET or EST. Default:
    /// the TZ environment variable when set, else UTC. Stored values never
    /// change.
    #[arg(long, global = true, value_name = "ZONE", value_parser = timefmt::Zone::parse, allow_hyphen_values = true)]
    pub tz: Option<timefmt::Zone>,
    #[command(flatten)]
    pub codepage: CodepageOption,
    #[command(flatten)]
    pub quiet: QuietOption,
}

impl ShowOptions {
    /// The zone to show times in: --tz, else the TZ environment variable's,
    /// else UTC (an unreadable `TZ` is said on `err`).
    pub fn zone(&self, err: &mut dyn std::io::Write) -> timefmt::Zone {
        self.tz
            .clone()
            .unwrap_or_else(|| timefmt::Zone::from_env(err))
    }
}
