//! `glb-formats`: models, readers and writers for the binary files of
//! Microsoft Mail for PC Networks 3.x directory synchronization (Dir-Sync) and
//! the address lists it keeps in step.
//!
//! It owns bytes <-> typed records, one file at a time, and nothing else,
//! each part in its folder of `src/`: `machinery/` (`format`, `error`,
//! `fields`, `fixed`, `layout`, `hexid`), `text/` (`codepage`, `checksum`,
//! `timezone`, `messages`), `families/` (one module per file family: `queue`,
//! `reqconf`, `srvconf`, `process`, `nme`, `usr`, `netpo`, `network`, `xtn`,
//! `dssched`, `msmail`), `registry/` (`kind`, `identify`, `dispatch`) and
//! `conversion/` (`json`, `import`, `pipeline`); `probe/` and `invariants`
//! read bytes without knowing the family. Module paths stay flat
//! (`glb_formats::queue`). It never opens a file: it reads from any
//! `Read`/`Seek` it is given. Reasoning across files, and opening them, is
//! `glb-dirsync`'s job, which depends on this crate and never the other way
//! round (`.ci/run` checks it).
//!
//! Data flows one way: bytes -> typed records ([`format::Reader`]) -> findings,
//! diffs and patches (glb-dirsync) -> the CLI's renderers. Nothing here prints
//! or exits. Every layout is specified in `docs/formats/`, each field tagged
//! *documented* (with its KB article) or *reconstructed* (with the reasoning).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Machinery: the Format trait, reader and writer, errors, field types, field maps.
#[path = "machinery/error.rs"]
pub mod error;
#[path = "machinery/fields.rs"]
pub mod fields;
#[path = "machinery/fixed.rs"]
pub mod fixed;
#[path = "machinery/format.rs"]
pub mod format;
#[path = "machinery/hexid.rs"]
pub mod hexid;
#[path = "machinery/layout.rs"]
pub mod layout;

// Text: code pages, the checksum, time zones, the numbered messages.
#[path = "text/checksum.rs"]
pub mod checksum;
#[path = "text/codepage.rs"]
pub mod codepage;
#[path = "text/messages.rs"]
pub mod messages;
#[path = "text/timezone.rs"]
pub mod timezone;

// One module per file family: its binrw model, field declaration and views' data.
#[path = "families/dssched.rs"]
pub mod dssched;
#[path = "families/msmail.rs"]
pub mod msmail;
#[path = "families/netpo.rs"]
pub mod netpo;
#[path = "families/network.rs"]
pub mod network;
#[path = "families/nme.rs"]
pub mod nme;
#[path = "families/process.rs"]
pub mod process;
#[path = "families/queue.rs"]
pub mod queue;
#[path = "families/reqconf.rs"]
pub mod reqconf;
#[path = "families/srvconf.rs"]
pub mod srvconf;
#[path = "families/usr.rs"]
pub mod usr;
#[path = "families/xtn.rs"]
pub mod xtn;

// The family registry: kinds, recognition, the exhaustive dispatch.
#[path = "registry/dispatch.rs"]
pub mod dispatch;
#[path = "registry/identify.rs"]
pub mod identify;
#[path = "registry/kind.rs"]
pub mod kind;

// Conversion: JSON/NDJSON both ways, the Import grammar, the ordered pipeline.
#[path = "conversion/import.rs"]
pub mod import;
#[path = "conversion/json/mod.rs"]
pub mod json;
#[path = "conversion/pipeline.rs"]
pub mod pipeline;

// Reading bytes without knowing the family: probe, and the invariants every input must pass.
pub mod invariants;
pub mod probe;

pub use codepage::CodePage;
pub use error::{Error, Location, Result};
pub use format::{Document, Format, ReadOptions, Reader, RecordRef, Writer};
pub use hexid::Hexid;
pub use kind::{Family, FileKind, ListFile, SyncFile};
