//! The static samples: small files that show one documented shape each.

use glb_formats::fields::Stamp;

use crate::Sample;

pub mod config;
pub mod lists;
pub mod queue;

/// `Thu Apr 07 12:13:52 1994`, the date stamp of the LISTQ sample (KB Q96060), as UTC.
pub const LISTQ_DATE: Stamp = Stamp(765_720_832);

/// Every static sample, in a fixed order.
pub fn samples() -> Vec<Sample> {
    let mut out = Vec::new();
    out.extend(queue::samples());
    out.extend(config::samples());
    out.extend(lists::samples());
    out
}
