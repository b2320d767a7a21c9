//! The CLI's per-family hooks: each format's text view.
//!
//! Generic commands (`dump`, `build`, `identify`) are written once over
//! [`Format`]; the only per-family code is the text view, declared here.

use std::io::{Read, Write};
use std::path::PathBuf;

use glb_formats::codepage::CodePage;
use glb_formats::format::{Format, Reader};
use glb_formats::netpo::Netpo;
use glb_formats::network::Network;
use glb_formats::nme::Nme;
use glb_formats::queue::Queue;
use glb_formats::usr::Usr;
use glb_formats::xtn::Xtn;

use crate::output::CliError;
use crate::render::lists::{self, ListContext};
use crate::render::queue::QueueView;
use crate::render::Painter;
use crate::timefmt::Zone;

/// What a text view needs besides the records.
pub struct TextContext<'a> {
    /// Colours.
    pub painter: Painter,
    /// Time zone for stamps.
    pub zone: &'a Zone,
    /// Code page of the text.
    pub codepage: CodePage,
    /// LISTQ `-c`: mark checksum mismatches.
    pub check_crc: bool,
    /// The file's name, for titles.
    pub title: String,
    /// The file's path as given (`-` for standard input), for views that
    /// look at the postoffice directory around the file.
    pub path: PathBuf,
}

/// A family's human-readable view.
pub trait TextView: Format {
    /// Writes the view of every record the reader yields; returns the exit code.
    fn text<R: Read, W: Write>(
        reader: &mut Reader<Self, R>,
        out: &mut W,
        ctx: &TextContext,
    ) -> Result<u8, CliError>
    where
        Self: Sized;
}

impl TextView for Queue {
    fn text<R: Read, W: Write>(
        reader: &mut Reader<Self, R>,
        out: &mut W,
        ctx: &TextContext,
    ) -> Result<u8, CliError> {
        let view = QueueView {
            painter: ctx.painter,
            zone: ctx.zone,
            codepage: ctx.codepage,
            check_crc: ctx.check_crc,
        };
        view.header(out, &ctx.title)?;
        let mut count = 0;
        let mut bad = 0;
        while let Some(r) = reader.next_record()? {
            if !view.record(out, r.record)? {
                bad += 1;
            }
            count += 1;
        }
        view.footer(out, count, bad)?;
        Ok(0)
    }
}

/// Implements [`TextView`] for the address-list families through their
/// [`lists::ListView`].
macro_rules! list_views {
    ($($format:ty),* $(,)?) => {$(
        impl TextView for $format {
            fn text<R: Read, W: Write>(
                reader: &mut Reader<Self, R>,
                out: &mut W,
                ctx: &TextContext,
            ) -> Result<u8, CliError> {
                let lctx = ListContext::new(ctx.painter, ctx.codepage, &ctx.path);
                lists::view(reader, out, &lctx, &ctx.title)
            }
        }
    )*};
}

list_views!(Nme, Usr, Netpo, Network, Xtn);
