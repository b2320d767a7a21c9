//! `glb-formats`: models, readers and writers for the binary files of
//! Microsoft Mail for PC Networks 3.x directory synchronization (Dir-Sync) and
//! the address lists it keeps in step.
//!
//! Data flows one way: bytes -> typed records ([`format::Reader`]) -> findings,
//! diffs and patches -> the CLI's renderers. Nothing here prints or exits.
//! Every layout is specified in `docs/formats/`, each field tagged *documented*
//! (with its KB article) or *reconstructed* (with the reasoning).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod check;
pub mod checksum;
pub mod codepage;
pub mod compare;
pub mod diff;
pub mod dispatch;
pub mod dssched;
pub mod error;
pub mod fields;
pub mod fixed;
pub mod format;
pub mod hexid;
pub mod identify;
pub mod import;
pub mod invariants;
pub mod json;
pub mod kind;
pub mod layout;
pub mod messages;
pub mod msmail;
pub mod netpo;
pub mod network;
pub mod nme;
pub mod open;
pub mod patch;
pub mod pipeline;
pub mod postoffice;
pub mod probe;
pub mod process;
pub mod queue;
pub mod replay;
pub mod reqconf;
pub mod resolve;
pub mod resync;
pub mod srvconf;
#[cfg(test)]
pub(crate) mod testdir;
pub mod timezone;
pub mod usr;
pub mod xtn;

pub use codepage::CodePage;
pub use error::{Error, Location, Result};
pub use format::{Document, Format, ReadOptions, Reader, RecordRef, Writer};
pub use hexid::Hexid;
pub use kind::{Family, FileKind};
