//! The CLI's per-family hooks: each format's text view.
//!
//! Generic commands (`dump`, `build`, `identify`) are written once over
//! [`Format`]; the only per-family code is the text view, declared here.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use glb_dirsync::postoffice::Postoffice;
use glb_dirsync::resolve::Resolver;
use glb_formats::codepage::CodePage;
use glb_formats::dssched;
use glb_formats::format::{Format, Reader};
use glb_formats::kind::{Family, FileKind};
use glb_formats::netpo::{Galnetpo, Netpo};
use glb_formats::network::Network;
use glb_formats::nme::Nme;
use glb_formats::process::ProcessFile;
use glb_formats::queue::Queue;
use glb_formats::reqconf::ReqConfFile;
use glb_formats::srvconf::SrvConfFile;
use glb_formats::usr::Usr;
use glb_formats::xtn::Xtn;

use crate::output::CliError;
use crate::render::config::ConfigView;
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
    /// The layout statement printed under the title: the spec page and which
    /// field positions are documented ([`Layout::summary`](glb_formats::layout::Layout::summary)).
    pub layout: String,
    /// The file's path as given (`-` for standard input), for views that
    /// look at the postoffice directory around the file.
    pub path: PathBuf,
    /// False when the view must depend on the file's bytes and name alone
    /// (`--textconv`): the list views then do not look at the postoffice.
    pub surroundings: bool,
    /// Standard error, for notes beside the view (which must stay the
    /// file's view alone: a DSSCHED file, say).
    pub err: RefCell<&'a mut dyn Write>,
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

    /// Writes the DSSCHED text form (`T1 Sat 13:45` lines); only PROCESS.GLB
    /// has one.
    fn dssched<R: Read, W: Write>(
        _reader: &mut Reader<Self, R>,
        _out: &mut W,
        _ctx: &TextContext,
    ) -> Result<u8, CliError>
    where
        Self: Sized,
    {
        Err(CliError::usage(
            "--format dssched is the DSSCHED text form of PROCESS.GLB; this file is not one",
        ))
    }
}

/// A configuration view, after writing its title and time-zone statement.
fn config_view<'a, W: Write>(
    ctx: &'a TextContext,
    out: &mut W,
) -> Result<ConfigView<'a>, CliError> {
    let view = ConfigView {
        painter: ctx.painter,
        zone: ctx.zone,
        codepage: ctx.codepage,
    };
    view.title(out, &ctx.title, &ctx.layout)?;
    Ok(view)
}

impl TextView for ReqConfFile {
    fn text<R: Read, W: Write>(
        reader: &mut Reader<Self, R>,
        out: &mut W,
        ctx: &TextContext,
    ) -> Result<u8, CliError> {
        let view = config_view(ctx, out)?;
        if let Some(h) = reader.header() {
            view.reqconf(out, h)?;
        }
        // Reports bytes after the 512 (a size error) when the size was unknown.
        while reader.next_record()?.is_some() {}
        Ok(0)
    }
}

impl TextView for SrvConfFile {
    fn text<R: Read, W: Write>(
        reader: &mut Reader<Self, R>,
        out: &mut W,
        ctx: &TextContext,
    ) -> Result<u8, CliError> {
        let view = config_view(ctx, out)?;
        let header = reader.header().cloned();
        let first = reader.next_record()?.map(|r| r.record.clone());
        if let Some(h) = &header {
            let server = first.as_ref().map(|r| r.net_po(ctx.codepage));
            view.srvconf_header(out, h, server.as_deref())?;
        }
        let Some(first) = first else {
            writeln!(out, "No requestor records.")?;
            return Ok(0);
        };
        view.requestor(out, 1, &first)?;
        while let Some(r) = reader.next_record()? {
            view.requestor(out, r.index + 1, r.record)?;
        }
        Ok(0)
    }
}

impl TextView for ProcessFile {
    fn text<R: Read, W: Write>(
        reader: &mut Reader<Self, R>,
        out: &mut W,
        ctx: &TextContext,
    ) -> Result<u8, CliError> {
        let view = config_view(ctx, out)?;
        if let Some(h) = reader.header() {
            view.process_header(out, &h.reserved)?;
        }
        let mut count = 0;
        while let Some(r) = reader.next_record()? {
            view.process(out, r.index + 1, r.record)?;
            count += 1;
        }
        if count == 0 {
            writeln!(out, "No scheduled processes (a reset PROCESS.GLB is the 512-byte header alone, KB Q119111).")?;
        }
        Ok(0)
    }

    fn dssched<R: Read, W: Write>(
        reader: &mut Reader<Self, R>,
        out: &mut W,
        ctx: &TextContext,
    ) -> Result<u8, CliError> {
        // The zone and the layout go to standard error so that the output
        // stays a DSSCHED file.
        let mut err = ctx.err.borrow_mut();
        say!(
            err,
            "glbtool: DSSCHED times are local times in {} (use --tz to change)",
            ctx.zone.label()
        );
        say!(
            err,
            "glbtool: the times and process codes come from PROCESS.GLB's run_at and process: {}",
            ctx.layout
        );
        let mut skipped = 0;
        while let Some(r) = reader.next_record()? {
            match dssched::export(std::slice::from_ref(r.record), ctx.zone.tz()).first() {
                Some(line) => writeln!(out, "{line}")?,
                None => skipped += 1,
            }
        }
        if skipped > 0 {
            say!(
                err,
                "glbtool: {skipped} record(s) with an unknown process code have no DSSCHED form and were left out"
            );
        }
        Ok(0)
    }
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
        view.header(out, &ctx.title, &ctx.layout)?;
        let mut count = 0;
        let mut bad = 0;
        while let Some(r) = reader.next_record()? {
            if !view.record(out, r.record)? {
                bad += 1;
            }
            count += 1;
        }
        view.footer(out, count, bad)?;
        // A marked mismatch is a finding: exit 1, as validate's.
        Ok(u8::from(ctx.check_crc && bad > 0))
    }
}

/// What a list view is given besides the records, gathered before it is
/// written: the postoffice around the file and, for an NME file, the records
/// of the NETPO file its external entries point into. A NETPO file there
/// that cannot be used is said on standard error, never passed over. Under
/// `--textconv` (no surroundings), the file's name alone.
fn list_context(ctx: &TextContext, kind: FileKind) -> ListContext {
    let name = ctx
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut lctx = ListContext::alone(ctx.painter, ctx.codepage, &name);
    if !ctx.surroundings {
        return lctx;
    }
    let mut err = ctx.err.borrow_mut();
    lctx.po = around(&ctx.path, ctx.codepage, &mut **err);
    if kind.family() == Family::Nme {
        lctx.netpo = netpo_records(lctx.po.as_ref(), &ctx.path, &name, &mut **err);
    }
    lctx
}

/// The postoffice directory the file at `path` sits in, if any; one that
/// cannot be opened is said on `err`, standard error (the file is then shown
/// on its own), never passed over.
pub fn around(path: &Path, cp: CodePage, err: &mut dyn Write) -> Option<Postoffice> {
    Postoffice::around(path, cp).unwrap_or_else(|e| {
        say!(
            err,
            "glbtool: note: {}: shown without the postoffice around it, which cannot be read: {e}",
            path.display()
        );
        None
    })
}

/// The records of the NETPO file the NME list at `path` points into, when
/// it sits in a postoffice that has one; one that cannot be used is said
/// on `err` (standard error).
fn netpo_records(
    po: Option<&Postoffice>,
    path: &Path,
    name: &str,
    err: &mut dyn Write,
) -> Option<Resolver> {
    match Resolver::for_list(po?, name) {
        Ok(r) => {
            if let Some(d) = r.as_ref().and_then(Resolver::damage) {
                say!(
                    err,
                    "glbtool: note: {}: {d}; its external entries are shown through the whole records",
                    path.display()
                );
            }
            r
        }
        Err(e) => {
            say!(
                err,
                "glbtool: note: {}: its external entries are not resolved: {e}",
                path.display()
            );
            None
        }
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
                let mut lctx = list_context(ctx, reader.kind());
                lctx.layout = ctx.layout.clone();
                lists::view(reader, out, &lctx, &ctx.title)
            }
        }
    )*};
}

list_views!(Nme, Usr, Netpo, Galnetpo, Network, Xtn);
