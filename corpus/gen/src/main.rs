//! `glb-corpus`: writes glbtool's sample files.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Makes glbtool's sample files with the project's own code.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write every static sample and fuzzing seed below DIR (normally `corpus/`).
    Samples {
        /// Output directory.
        #[arg(long, default_value = "corpus")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Samples { out } => {
            let samples = glb_corpus::all();
            if let Err(e) = glb_corpus::write_all(&out, &samples) {
                eprintln!("glb-corpus: writing below {}: {e}", out.display());
                return ExitCode::from(2);
            }
            eprintln!(
                "glb-corpus: wrote {} files below {}",
                samples.len(),
                out.display()
            );
            ExitCode::SUCCESS
        }
    }
}
