//! Text views of the address-list families (NME, USR, NETPO.GLB,
//! NETWORK.GLB, XTN): one record per line in stored order. Deleted records
//! are marked `DELETED` and corrupt ones (NME type 0) `corrupt`, never hidden.
//!
//! When the file sits in a postoffice directory (`<po>/NME/ADMIN.NME`), the
//! view names it through the library's postoffice view: a USR file by its
//! network and postoffice, an NME external entry by the NETPO.GLB (for the
//! GAL: GALNETPO.GLB) record its pointer designates. The views read nothing
//! themselves: the command gathers the postoffice and the NETPO records
//! first ([`ListContext`]), and `--textconv` gives them none.

use std::io::{Read, Write};
use std::path::Path;

use glb_dirsync::postoffice::{AddressList, Folder, ListName, NetworkEntry, Postoffice};
use glb_dirsync::resolve::{Pointers, Resolver, Target};
use glb_formats::codepage::CodePage;
use glb_formats::fields::Text;
use glb_formats::fixed;
use glb_formats::format::{Format, Reader};
use glb_formats::hexid::Hexid;
use glb_formats::netpo::{self, Galnetpo, Netpo, NetpoRecord};
use glb_formats::network::{Network, NetworkRecord};
use glb_formats::nme::{entry_type, Nme, NmeRecord};
use glb_formats::usr::{Usr, UsrRecord};
use glb_formats::xtn::{Xtn, XtnRecord};

use super::{visible, Painter};
use crate::output::CliError;

/// What a list view knows besides the records.
pub struct ListContext {
    /// Colours.
    pub painter: Painter,
    /// Code page of the text.
    pub codepage: CodePage,
    /// The file's name.
    pub file_name: String,
    /// The postoffice the file sits in, when the command looked at it.
    pub po: Option<Postoffice>,
    /// For an NME file: the records of the NETPO file its external entries
    /// point into, when the command read them.
    pub netpo: Option<Resolver>,
    /// The layout statement printed under the title (empty: none).
    pub layout: String,
}

impl ListContext {
    /// A context for the file named `file_name` alone: no postoffice around
    /// it, no NETPO records.
    pub fn alone(painter: Painter, codepage: CodePage, file_name: &str) -> Self {
        ListContext {
            painter,
            codepage,
            file_name: file_name.to_string(),
            po: None,
            netpo: None,
            layout: String::new(),
        }
    }

    fn text<const N: usize>(&self, t: &Text<N>) -> String {
        visible(&t.decode(self.codepage))
    }

    /// This file among the postoffice's address lists.
    fn list(&self) -> Option<&AddressList> {
        self.po
            .as_ref()?
            .address_lists()
            .iter()
            .find(|l| l.file_name == self.file_name)
    }

    /// The NETWORK.GLB entry whose XTN file this is.
    fn network_of_xtn(&self) -> Option<&NetworkEntry> {
        self.po.as_ref()?.networks().iter().find(|n| {
            n.xtn_path
                .as_deref()
                .and_then(Path::file_name)
                .is_some_and(|f| f.to_string_lossy() == self.file_name)
        })
    }

    /// A status cell padded to 8: `active`, `DELETED` (marked) or `status XX`.
    fn status(&self, code: u64) -> String {
        match fixed::status_meaning(code) {
            Some("active") => format!("{:<8}", "active"),
            Some(_) => self.painter.warn(&format!("{:<8}", "DELETED")),
            None => self
                .painter
                .error(&format!("{:<8}", format!("status {code:02X}"))),
        }
    }

    /// The hexid in a text field, or the text as stored when it is not one (`-` when empty).
    fn hexid_text<const N: usize>(&self, t: &Text<N>) -> String {
        match Hexid::from_text(t) {
            Some(h) => h.to_string(),
            None if t.bytes().is_empty() => "-".into(),
            None => format!("\"{}\"", self.text(t)),
        }
    }
}

/// Writes the title, the column line, one line per record and the closing
/// count. `row` returns a record's line and whether it is deleted or corrupt.
pub fn table<F: Format, R: Read, W: Write>(
    reader: &mut Reader<F, R>,
    out: &mut W,
    ctx: &ListContext,
    title: &str,
    columns: &str,
    mut row: impl FnMut(u64, u64, &F::Record) -> Result<(String, bool), CliError>,
) -> Result<u8, CliError> {
    // The layout statement goes right under the title's first line (the
    // file), before what the view adds (the NETPO delete chain, a list's name).
    let (first, rest) = title.split_once('\n').unwrap_or((title, ""));
    writeln!(out, "{}", ctx.painter.heading(first))?;
    if !ctx.layout.is_empty() {
        writeln!(out, "{}", ctx.painter.dim(&ctx.layout))?;
    }
    if !rest.is_empty() {
        writeln!(out, "{}", ctx.painter.heading(rest))?;
    }
    writeln!(out, "{}", ctx.painter.heading(columns))?;
    let (mut count, mut marked) = (0u64, 0u64);
    while let Some(r) = reader.next_record()? {
        let (line, flagged) = row(r.index, r.offset, r.record)?;
        writeln!(out, "{line}")?;
        count += 1;
        marked += u64::from(flagged);
    }
    writeln!(
        out,
        "End of file ({}, {marked} deleted or corrupt)",
        plural(count, "record", "records")
    )?;
    Ok(0)
}

/// `1 record`, `2 records`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The title line: the file, and what the postoffice view calls it.
pub fn title(ctx: &ListContext, base: &str) -> String {
    match ctx.list() {
        Some(l) => format!("{base}: {}", describe(&l.name)),
        None => base.to_string(),
    }
}

fn describe(name: &ListName) -> String {
    match name {
        ListName::Postoffice { .. } => format!("user list of {name}"),
        ListName::Pol => "POL (postoffice address list)".into(),
        ListName::PolShadow => "POL shadow (must equal ADMIN.NME)".into(),
        ListName::Gal => "GAL (global address list)".into(),
        other => other.to_string(),
    }
}

/// Column line of the NME view.
pub const NME_COLUMNS: &str =
    "    #  Type           TID       Hexid     Name                            Address";

/// Shows NME external entries through the NETPO.GLB records the command
/// gathered (GALNETPO.GLB for the GAL), by [`Resolver::get`].
pub struct NmeResolver {
    pointers: Pointers,
}

impl NmeResolver {
    /// Where the list's pointers lead: by the postoffice's name of the list,
    /// or by the file's name when the view does not look at the postoffice
    /// (--textconv).
    pub fn new(ctx: &ListContext) -> Self {
        NmeResolver {
            pointers: Pointers::of(ctx.list().map(|l| &l.name), &ctx.file_name),
        }
    }

    fn external(&self, ctx: &ListContext, pointer: u32) -> String {
        let target = match &self.pointers {
            Pointers::Gateway(gw) => {
                return format!("GLB/{gw}.GLB @{pointer} (the gateway's address file, not decoded)")
            }
            Pointers::Netpo(kind) => kind.file_name(),
        };
        let Some(index) = netpo::record_index(pointer) else {
            return ctx
                .painter
                .error(&format!("{target} @{pointer} (not the start of a record)"));
        };
        let at = format!("{target} record {index}");
        let Some(resolver) = &ctx.netpo else {
            return format!("{at} (@{pointer})");
        };
        match resolver.get(pointer) {
            Target::Record { record, .. } => external_address(ctx, record, &at),
            Target::PastEnd { .. } | Target::NotARecord => ctx
                .painter
                .error(&format!("{at} (@{pointer}, past the end)")),
        }
    }

    /// One NME line.
    pub fn row(&self, ctx: &ListContext, index: u64, r: &NmeRecord) -> (String, bool) {
        let ty = match r.entry_type_meaning() {
            Some("corrupt") => ctx.painter.error(&format!("{:<13}", "corrupt")),
            Some(m) => format!("{m:<13}"),
            None => ctx
                .painter
                .error(&format!("{:<13}", format!("type {}", r.entry_type))),
        };
        let address = match r.entry_type {
            entry_type::LOCAL_USER => format!("local mailbox (ACCESS2.GLB by TID {:08X})", r.tid),
            entry_type::EXTERNAL_USER => self.external(ctx, r.pointer),
            entry_type::GROUP => format!("group (ADMIN.GRP @{}, MEM/{:08X}.MEM)", r.pointer, r.tid),
            _ => format!("pointer @{}", r.pointer),
        };
        let line = format!(
            "{index:>5}  {ty}  {:08X}  {}  {:<30}  {address}",
            r.tid,
            r.hexid,
            ctx.text(&r.name)
        );
        (line, r.entry_type_meaning().is_none() || r.is_corrupt())
    }
}

fn external_address(ctx: &ListContext, r: &NetpoRecord, at: &str) -> String {
    let addr = format!(
        "{}/{}/{}",
        ctx.text(&r.network),
        ctx.text(&r.postoffice),
        ctx.text(&r.mailbox)
    );
    if r.is_deleted() {
        format!("{addr} ({at}, {})", ctx.painter.warn("DELETED"))
    } else {
        format!("{addr} ({at})")
    }
}

/// Column line of the USR view.
pub const USR_COLUMNS: &str =
    "    #  Status    TID       Mailbox     Name                            Address";

/// One USR line.
pub fn usr_row(ctx: &ListContext, index: u64, r: &UsrRecord) -> (String, bool) {
    let mailbox = ctx.text(&r.mailbox);
    let address = match ctx.list().map(|l| &l.name) {
        Some(ListName::Postoffice {
            network,
            postoffice,
        }) => format!("{network}/{postoffice}/{mailbox}"),
        _ => String::new(),
    };
    let line = format!(
        "{index:>5}  {}  {:08X}  {mailbox:<10}  {:<30}  {address}",
        ctx.status(u64::from(r.status)),
        r.tid,
        ctx.text(&r.name)
    );
    (line.trim_end().to_string(), r.status != fixed::ACTIVE)
}

/// Column line of the NETPO view.
pub const NETPO_COLUMNS: &str = "    #  Offset  Status    TID       Mailbag   Address";

/// The NETPO header line.
pub fn netpo_header(delete_chain: u32) -> String {
    match (delete_chain, netpo::record_index(delete_chain)) {
        (0, _) => "Delete chain: 0 (no deleted record is chained)".into(),
        (c, Some(i)) => format!("Delete chain: @{c} (record {i})"),
        (c, None) => format!("Delete chain: @{c} (not the start of a record)"),
    }
}

/// One NETPO line.
pub fn netpo_row(ctx: &ListContext, index: u64, offset: u64, r: &NetpoRecord) -> (String, bool) {
    let line = format!(
        "{index:>5}  {offset:>6}  {}  {:08X}  {}  {}/{}/{}",
        ctx.status(u64::from(r.status)),
        r.tid,
        r.mailbag,
        ctx.text(&r.network),
        ctx.text(&r.postoffice),
        ctx.text(&r.mailbox)
    );
    (line, r.status != u16::from(fixed::ACTIVE))
}

/// Column line of the NETWORK view.
pub const NETWORK_COLUMNS: &str =
    "    #  Status    Type                      Name        XTN       Mailbag";

/// One NETWORK line.
pub fn network_row(ctx: &ListContext, index: u64, r: &NetworkRecord) -> (String, bool) {
    let ty = match r.network_type_meaning() {
        Some(m) => format!("0x{:02X} {m:<19}", r.network_type),
        None => ctx.painter.warn(&format!(
            "0x{:02X} {:<19}",
            r.network_type, "(undocumented)"
        )),
    };
    let line = format!(
        "{index:>5}  {}  {ty}  {:<10}  {:<8}  {}",
        ctx.status(u64::from(r.status)),
        ctx.text(&r.name),
        ctx.hexid_text(&r.xtn_hexid),
        ctx.hexid_text(&r.mailbag_hexid)
    );
    (line, r.status != fixed::ACTIVE)
}

/// Column line of the XTN view.
pub const XTN_COLUMNS: &str = "    #  Status    Postoffice  Mailbag   Indirect  User list";

/// The XTN title: the file and, in a postoffice, its network.
pub fn xtn_title(ctx: &ListContext, base: &str) -> String {
    match ctx.network_of_xtn() {
        Some(n) => format!("{base}: postoffices of {}", ctx.text(&n.record.name)),
        None => base.to_string(),
    }
}

/// One XTN line.
pub fn xtn_row(ctx: &ListContext, index: u64, r: &XtnRecord) -> (String, bool) {
    let usr = match (r.mailbag(), ctx.po.as_ref()) {
        (Some(h), Some(po)) => match po.find(Folder::Usr, &format!("{h}.USR")) {
            Some(f) => {
                let entries = po
                    .address_lists()
                    .iter()
                    .find(|l| l.path == f.path)
                    .map_or(0, |l| l.entries);
                format!("USR/{} ({})", f.name, plural(entries, "entry", "entries"))
            }
            None => format!("USR/{h}.USR (not present)"),
        },
        (Some(h), None) => format!("USR/{h}.USR"),
        (None, _) => ctx.painter.error("(mailbag field is not a hexid)"),
    };
    let line = format!(
        "{index:>5}  {}  {:<10}  {:<8}  {:>8}  {usr}",
        ctx.status(u64::from(r.status)),
        ctx.text(&r.postoffice),
        ctx.hexid_text(&r.mailbag_hexid),
        r.indirect_counter
    );
    (line, r.status != fixed::ACTIVE)
}

/// What each list family's view adds to [`table`]: its columns, its title
/// and how one record becomes a line.
pub trait ListView: Format + Sized {
    /// The column line.
    const COLUMNS: &'static str;

    /// The title line(s); by default the file and what the postoffice calls it.
    fn title<R: Read>(_reader: &Reader<Self, R>, ctx: &ListContext, base: &str) -> String {
        title(ctx, base)
    }

    /// The function that makes one record's line (and says whether it is marked).
    fn rows(
        ctx: &ListContext,
    ) -> impl FnMut(u64, u64, &Self::Record) -> Result<(String, bool), CliError> + '_;
}

/// The text view of any list family.
pub fn view<F: ListView, R: Read, W: Write>(
    reader: &mut Reader<F, R>,
    out: &mut W,
    ctx: &ListContext,
    base: &str,
) -> Result<u8, CliError> {
    let title = F::title(reader, ctx, base);
    table(reader, out, ctx, &title, F::COLUMNS, F::rows(ctx))
}

impl ListView for Nme {
    const COLUMNS: &'static str = NME_COLUMNS;

    fn rows(
        ctx: &ListContext,
    ) -> impl FnMut(u64, u64, &NmeRecord) -> Result<(String, bool), CliError> + '_ {
        let resolver = NmeResolver::new(ctx);
        move |i, _, r| Ok(resolver.row(ctx, i, r))
    }
}

impl ListView for Usr {
    const COLUMNS: &'static str = USR_COLUMNS;

    fn rows(
        ctx: &ListContext,
    ) -> impl FnMut(u64, u64, &UsrRecord) -> Result<(String, bool), CliError> + '_ {
        move |i, _, r| Ok(usr_row(ctx, i, r))
    }
}

impl ListView for Netpo {
    const COLUMNS: &'static str = NETPO_COLUMNS;

    fn title<R: Read>(reader: &Reader<Self, R>, _ctx: &ListContext, base: &str) -> String {
        let chain = reader.header().map_or(0, |h| h.delete_chain);
        format!("{base}\n{}", netpo_header(chain))
    }

    fn rows(
        ctx: &ListContext,
    ) -> impl FnMut(u64, u64, &NetpoRecord) -> Result<(String, bool), CliError> + '_ {
        move |i, off, r| Ok(netpo_row(ctx, i, off, r))
    }
}

impl ListView for Galnetpo {
    const COLUMNS: &'static str = NETPO_COLUMNS;

    fn title<R: Read>(reader: &Reader<Self, R>, _ctx: &ListContext, base: &str) -> String {
        let first = reader.header().map_or(0, |h| h.tid_source);
        format!(
            "{base}\nFirst 4 bytes: {first} (0x{first:08X}); REBUILD reads them with the first record to determine its next TID (KB Q135486)"
        )
    }

    fn rows(
        ctx: &ListContext,
    ) -> impl FnMut(u64, u64, &NetpoRecord) -> Result<(String, bool), CliError> + '_ {
        move |i, off, r| Ok(netpo_row(ctx, i, off, r))
    }
}

impl ListView for Network {
    const COLUMNS: &'static str = NETWORK_COLUMNS;

    fn title<R: Read>(_reader: &Reader<Self, R>, _ctx: &ListContext, base: &str) -> String {
        base.to_string()
    }

    fn rows(
        ctx: &ListContext,
    ) -> impl FnMut(u64, u64, &NetworkRecord) -> Result<(String, bool), CliError> + '_ {
        move |i, _, r| Ok(network_row(ctx, i, r))
    }
}

impl ListView for Xtn {
    const COLUMNS: &'static str = XTN_COLUMNS;

    fn title<R: Read>(_reader: &Reader<Self, R>, ctx: &ListContext, base: &str) -> String {
        xtn_title(ctx, base)
    }

    fn rows(
        ctx: &ListContext,
    ) -> impl FnMut(u64, u64, &XtnRecord) -> Result<(String, bool), CliError> + '_ {
        move |i, _, r| Ok(xtn_row(ctx, i, r))
    }
}
