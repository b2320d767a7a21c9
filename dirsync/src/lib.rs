//! `glb-dirsync`: reasoning across the files of a Dir-Sync network, and the
//! only library code that opens files.
//!
//! It owns what needs more than one file, or a path: the postoffice
//! directory ([`postoffice`]), the checks behind `validate` and `doctor`
//! ([`check`]), diffs ([`diff`]), replaying and comparing address lists
//! ([`replay`], [`compare`]), patches and resync ([`patch`], [`resync`]),
//! NME -> NETPO resolution ([`resolve`]) and the one reader for paths
//! ([`open`]). Bytes <-> typed records is `glb-formats`' job, which this crate
//! uses and never the other way round (glbtool -> glb-dirsync -> glb-formats;
//! `.ci/run` checks the direction). Nothing here prints or exits.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod check;
pub mod compare;
pub mod diff;
pub mod open;
pub mod patch;
pub mod postoffice;
pub mod replay;
pub mod resolve;
pub mod resync;
#[cfg(test)]
pub(crate) mod testdir;
