//! `glb-formats`: models, readers and writers for the binary files of
//! Microsoft Mail for PC Networks 3.x directory synchronization (Dir-Sync) and
//! the address lists it keeps in step.
//!
//! It owns bytes <-> typed records, one file at a time, and nothing else:
//! the machinery (`format`, `error`, `fields`, `fixed`, `layout`, `hexid`),
//! text (`codepage`, `checksum`, `timezone`, `messages`), one module per
//! file family (`queue`, `reqconf`, `srvconf`, `process`, `nme`, `usr`,
//! `netpo`, `network`, `xtn`, `dssched`, `msmail`), the family registry (`kind`, `identify`,
//! `dispatch`), conversion (`json`, `import`, `pipeline`), and what reads
//! bytes without knowing the family (`probe`, `invariants`). It never opens
//! a file: it reads from any `Read`/`Seek` it is given. Reasoning across
//! files, and opening them, is `glb-dirsync`'s job, which depends on this
//! crate and never the other way round (`.ci/run` checks it).
//!
//! Data flows one way: bytes -> typed records ([`format::Reader`]) -> findings,
//! diffs and patches (glb-dirsync) -> the CLI's renderers. Nothing here prints
//! or exits. Every layout is specified in `docs/formats/`, each field tagged
//! *documented* (with its KB article) or *reconstructed* (with the reasoning).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checksum;
pub mod codepage;
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
pub mod pipeline;
pub mod probe;
pub mod process;
pub mod queue;
pub mod reqconf;
pub mod srvconf;
pub mod timezone;
pub mod usr;
pub mod xtn;

pub use codepage::CodePage;
pub use error::{Error, Location, Result};
pub use format::{Document, Format, ReadOptions, Reader, RecordRef, Writer};
pub use hexid::Hexid;
pub use kind::{Family, FileKind};
