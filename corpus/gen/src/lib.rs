//! `glb-corpus`: makes every committed sample under `corpus/` with the
//! project's own library code, never by editing bytes by hand.
//!
//! [`samples`] lists each sample file with its path below `corpus/samples/`
//! and its bytes; [`sim`] simulates a Dir-Sync network and writes it as
//! postoffice directories (`corpus/network/`, `corpus/scenarios/`). `corpus/README.md` says what each one is; a test in this
//! crate regenerates them all and fails if a committed file differs.
#![forbid(unsafe_code)]

pub mod large;
pub mod samples;
pub mod seeds;
pub mod sim;

/// The NETWORK.GLB type code the samples and the simulator write for every
/// network kind whose code is not documented: an ordinary PC Mail network
/// (POLYNOMIAL) and the PROFS, SMTP and FAX gateways. Only 0x10 (the MSMAIL
/// connection record) and 0x64 (an FFAPI gateway) are documented
/// (KB Q148666, Q103820); this placeholder is glbtool's choice, and glbtool
/// shows it as undocumented.
pub const UNDOCUMENTED_NETWORK_TYPE: u8 = 0x20;

/// One generated file: its path below the output directory, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Relative path, `/`-separated.
    pub path: String,
    /// File contents.
    pub bytes: Vec<u8>,
}

impl Sample {
    /// Builds a sample.
    pub fn new(path: impl Into<String>, bytes: Vec<u8>) -> Sample {
        Sample {
            path: path.into(),
            bytes,
        }
    }
}

/// Every committed file: the samples and the fuzzing seeds derived from them.
pub fn all() -> Vec<Sample> {
    let mut out = samples::samples();
    let seeds = seeds::seeds(&out);
    out.extend(seeds);
    out
}

/// Writes samples below `dir`, creating directories.
pub fn write_all(dir: &std::path::Path, samples: &[Sample]) -> std::io::Result<()> {
    for s in samples {
        let p = dir.join(&s.path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, &s.bytes)?;
    }
    Ok(())
}

/// The committed simulated networks: `network` (the healthy network of
/// [`sim::Params::committed`]) and `scenarios/<name>` for every scenario on
/// the same base, each with its files (paths below its own folder).
pub fn committed_networks() -> Result<Vec<(String, Vec<Sample>)>, String> {
    let mut out = vec![(
        "network".to_string(),
        sim::generate(&sim::Params::committed())?,
    )];
    for s in sim::Scenario::ALL {
        let params = sim::Params {
            scenario: Some(s),
            ..sim::Params::committed()
        };
        out.push((format!("scenarios/{}", s.name()), sim::generate(&params)?));
    }
    Ok(out)
}

/// Every scenario with the finding codes `glbtool doctor` reports on it (an
/// empty list: no finding), for tests that run doctor on `corpus/scenarios/`.
pub fn scenario_expectations() -> Vec<(&'static str, &'static [&'static str])> {
    sim::Scenario::ALL
        .iter()
        .map(|s| (s.name(), s.expected()))
        .collect()
}
