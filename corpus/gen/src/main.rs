//! `glb-corpus`: writes glbtool's sample files and simulated Dir-Sync networks.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use glb_corpus::sim::{self, Params, Scenario};

/// Makes glbtool's sample files and simulated Dir-Sync networks with the
/// project's own code. Without a subcommand the `network` options apply:
/// `glb-corpus --postoffices 3 --cycles 5 --seed 1 --out X`.
#[derive(Parser)]
#[command(
    version,
    about,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    network: NetworkArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Write every static sample and fuzzing seed below DIR (normally `corpus/`).
    Samples {
        /// Output directory.
        #[arg(long, default_value = "corpus")]
        out: PathBuf,
    },
    /// Simulate a Dir-Sync network and write one directory per postoffice.
    Network(NetworkArgs),
    /// Write the committed corpus below DIR: the samples, `network/` and
    /// `scenarios/<name>/` (replacing earlier `network/` and `scenarios/`).
    Corpus {
        /// Output directory.
        #[arg(long, default_value = "corpus")]
        out: PathBuf,
    },
    /// Write large benchmark inputs (never committed; see bench/run.sh).
    Large(glb_corpus::large::LargeArgs),
}

#[derive(Args)]
struct NetworkArgs {
    /// Postoffices, the Dir-Sync server MONTGOMERY included.
    #[arg(long, default_value_t = 3)]
    postoffices: usize,
    /// Users each postoffice starts with.
    #[arg(long, default_value_t = 4)]
    users: usize,
    /// Healthy Dir-Sync cycles (one a day from Mon 14 Feb 1994).
    #[arg(long, default_value_t = 3)]
    cycles: u32,
    /// Seed of every random choice: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A documented failure to apply to the healthy network.
    #[arg(long)]
    scenario: Option<Scenario>,
    /// Output directory: must not exist or be empty (see --force).
    #[arg(long, required = true)]
    out: Option<PathBuf>,
    /// Replace DIR when it holds an earlier simulated network.
    #[arg(long)]
    force: bool,
    /// Print what the Dir-Sync programs would have logged.
    #[arg(long)]
    log: bool,
}

fn network(args: NetworkArgs) -> Result<String, String> {
    let out = args.out.expect("clap requires --out");
    let params = Params {
        postoffices: args.postoffices,
        users: args.users,
        cycles: args.cycles,
        seed: args.seed,
        scenario: args.scenario,
    };
    let started = std::time::Instant::now();
    let net = sim::simulate(&params)?;
    if args.log {
        for line in &net.log {
            eprintln!("{line}");
        }
    }
    let mut files = net.files();
    if let Some(s) = params.scenario {
        s.edit_files(&net, &mut files);
    }
    sim::write_network(&out, &files, args.force)?;
    let bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
    Ok(format!(
        "wrote {} postoffices ({} files, {bytes} bytes) below {} after {} cycles in {:.2?}{}",
        net.postoffices.len(),
        files.len(),
        out.display(),
        net.cycle,
        started.elapsed(),
        params
            .scenario
            .map(|s| format!("; scenario {s}: {}", s.description()))
            .unwrap_or_default()
    ))
}

fn run(cli: Cli) -> Result<String, String> {
    match cli.command {
        Some(Command::Samples { out }) => {
            let samples = glb_corpus::all();
            glb_corpus::write_all(&out, &samples)
                .map_err(|e| format!("writing below {}: {e}", out.display()))?;
            Ok(format!(
                "wrote {} files below {}",
                samples.len(),
                out.display()
            ))
        }
        Some(Command::Corpus { out }) => {
            let samples = glb_corpus::all();
            glb_corpus::write_all(&out, &samples)
                .map_err(|e| format!("writing below {}: {e}", out.display()))?;
            let mut n = samples.len();
            for (dir, files) in glb_corpus::committed_networks()? {
                n += files.len();
                sim::write_network(&out.join(dir), &files, true)?;
            }
            Ok(format!("wrote {n} files below {}", out.display()))
        }
        Some(Command::Network(args)) => network(args),
        Some(Command::Large(args)) => glb_corpus::large::run(args),
        None => network(cli.network),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(summary) => {
            eprintln!("glb-corpus: {summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("glb-corpus: {e}");
            ExitCode::from(2)
        }
    }
}
