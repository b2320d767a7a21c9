//! Text views of the configuration files, laid out like the Microsoft tools
//! that showed them (KB Q96060, Q148718): LISTDS `-s` for SRVCONF.GLB,
//! LISTDS `-r` for REQCONF.GLB and DSSCHED's record dump for PROCESS.GLB.
//! The lines those tools printed come first, in their layout; the fields
//! they did not print follow.

use std::io::{self, Write};

use glb_formats::fields::{Reserved, Stamp};
use glb_formats::process::ProcessRecord;
use glb_formats::reqconf::{template_options_meaning, ReqConf};
use glb_formats::srvconf::{RequestorRecord, SrvConfHeader};

use super::{visible, Painter};
use crate::timefmt::{ctime, Zone};

/// What every configuration view needs.
pub struct ConfigView<'a> {
    /// Colours.
    pub painter: Painter,
    /// Time zone for the times shown.
    pub zone: &'a Zone,
    /// Code page of the text shown.
    pub codepage: glb_formats::CodePage,
}

/// `Password: (none)` or `set`: the text views do not print passwords
/// (`--format json` and `--format hex` show the stored bytes).
fn password_note(p: &glb_formats::fields::Text<9>) -> &'static str {
    if p.bytes().is_empty() {
        "(none)"
    } else {
        "set (shown by --format json)"
    }
}

/// A time, or `never` for 0 (the value of a time never set; reconstructed).
fn time_or_never(s: Stamp, zone: &Zone) -> String {
    if s.0 == 0 {
        "never (0)".into()
    } else {
        ctime(s, zone)
    }
}

/// An address-type list as `PCM, SNADS`, or `(none)`.
fn types_text(types: &[String]) -> String {
    if types.is_empty() {
        "(none)".into()
    } else {
        visible(&types.join(", "))
    }
}

/// A note on unknown bytes: nothing when all zero.
fn unknown_note<const N: usize>(r: &Reserved<N>, what: &str) -> Option<String> {
    let nonzero = r.0.iter().filter(|&&b| b != 0).count();
    (nonzero > 0).then(|| {
        format!("{what}: {nonzero} of {N} bytes of unknown meaning are not zero (see --format hex)")
    })
}

impl ConfigView<'_> {
    /// The title, the layout statement and the time-zone statement every
    /// view starts with.
    pub fn title<W: Write>(&self, out: &mut W, title: &str, layout: &str) -> io::Result<()> {
        writeln!(out, "{}", self.painter.heading(title))?;
        writeln!(out, "{}", self.painter.dim(layout))?;
        writeln!(out, "{}", self.painter.dim(&self.zone.banner()))
    }

    fn note<W: Write>(&self, out: &mut W, note: Option<String>) -> io::Result<()> {
        match note {
            Some(n) => writeln!(out, "{}", self.painter.warn(&n)),
            None => Ok(()),
        }
    }

    /// The LISTDS `-s` header lines. `server` is requestor record #1's
    /// `NET/PO` (normally the server postoffice, KB Q96060), when there is one.
    pub fn srvconf_header<W: Write>(
        &self,
        out: &mut W,
        h: &SrvConfHeader,
        server: Option<&str>,
    ) -> io::Result<()> {
        writeln!(
            out,
            "Examining {} Server Configuration Record",
            server.unwrap_or("SRVCONF.GLB")
        )?;
        writeln!(
            out,
            "Highest SrvSync is {}, Current Dirsync Cycle is {}",
            h.highest_srvsync, h.cycle
        )?;
        let mailbox = h.admin_mailbox.decode(self.codepage);
        writeln!(
            out,
            "Administrator mailbox: {}, Keep Updates: {} days",
            if mailbox.is_empty() {
                "(none)".to_string()
            } else {
                visible(&mailbox)
            },
            h.keep_updates
        )?;
        if server.is_some() {
            writeln!(
                out,
                "{}",
                self.painter
                    .dim("(server name from requestor record #1, normally the server postoffice)")
            )?;
        }
        self.note(out, unknown_note(&h.reserved, "header"))
    }

    /// One `Server Requestor Record` (numbered from 1).
    pub fn requestor<W: Write>(
        &self,
        out: &mut W,
        number: u64,
        r: &RequestorRecord,
    ) -> io::Result<()> {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            self.painter
                .heading(&format!("     Server Requestor Record #{number}"))
        )?;
        writeln!(
            out,
            "Requestor name: {}",
            visible(&r.name.decode(self.codepage))
        )?;
        writeln!(
            out,
            "ReqSync = {}, SrvSync = {}, Last Cycle = {}",
            r.reqsync, r.srvsync, r.last_cycle
        )?;
        writeln!(
            out,
            "Last update received {}",
            ctime(r.last_update, self.zone)
        )?;
        writeln!(
            out,
            "Import count = {}, Types: {}, Password: {}",
            r.impsync,
            types_text(&r.types_list(self.codepage)),
            password_note(&r.password)
        )?;
        self.note(out, unknown_note(&r.reserved, &format!("record #{number}")))
    }

    /// The LISTDS `-r` view, then the fields LISTDS does not print.
    pub fn reqconf<W: Write>(&self, out: &mut W, c: &ReqConf) -> io::Result<()> {
        let local = c
            .local(self.codepage)
            .unwrap_or_else(|| "REQCONF.GLB".into());
        writeln!(out, "Examining {local} Requestor Configuration Record")?;
        if c.local(self.codepage).is_some() {
            writeln!(
                out,
                "{}",
                self.painter.dim(
                    "(postoffice name from local_network/local_postoffice: glbtool's reconstruction, which MS Mail's REQCONF.GLB may not hold, KB Q123437)"
                )
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "Dir-Sync Server: {}",
            visible(&c.server(self.codepage))
        )?;
        writeln!(out, "ReqSync = {}, SrvSync = {}", c.reqsync, c.srvsync)?;
        writeln!(out, "Import count = {}", c.impsync)?;
        writeln!(
            out,
            "Last Export request: {}",
            time_or_never(c.last_export, self.zone)
        )?;
        writeln!(
            out,
            "Last Import request: {}",
            time_or_never(c.last_import, self.zone)
        )?;
        let pointers: Vec<String> = c
            .pointers()
            .iter()
            .map(|(file, p)| {
                let name = file.trim_end_matches(".GLB");
                if *p == -1 {
                    format!("{name} -1 (none)")
                } else {
                    format!("{name} {p}")
                }
            })
            .collect();
        writeln!(out, "Queue pointers: {}", pointers.join(", "))?;
        writeln!(
            out,
            "Requested address types: {}",
            types_text(&c.types_list(self.codepage))
        )?;
        writeln!(
            out,
            "Template options: {} ({})",
            c.template_options,
            template_options_meaning(c.template_options).unwrap_or("unknown code")
        )?;
        writeln!(
            out,
            "Size limit: {}{}",
            c.size_limit,
            if c.size_limit == 0 { " (no limit)" } else { "" }
        )?;
        writeln!(out, "Password: {}", password_note(&c.password))?;
        self.note(out, unknown_note(&c.reserved, "REQCONF.GLB"))
    }

    /// The line before the PROCESS.GLB records.
    pub fn process_header<W: Write>(&self, out: &mut W, header: &Reserved<512>) -> io::Result<()> {
        writeln!(out, "Examining Dir-Sync process times")?;
        match unknown_note(header, "file header") {
            Some(n) => writeln!(out, "{}", self.painter.warn(&n)),
            None => writeln!(
                out,
                "{}",
                self.painter
                    .dim("File header: 512 bytes of unknown meaning, all zero")
            ),
        }
    }

    /// One record, laid out like DSSCHED's dump (KB Q148718), numbered from 1.
    pub fn process<W: Write>(&self, out: &mut W, number: u64, r: &ProcessRecord) -> io::Result<()> {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            self.painter.heading(&format!("Record number {number}"))
        )?;
        writeln!(out, "ID = {}", r.id)?;
        let command = match r.kind() {
            Some(k) => {
                writeln!(out, "{}", k.description())?;
                format!(" {}", k.command())
            }
            None => {
                writeln!(
                    out,
                    "{}",
                    self.painter
                        .warn(&format!("Unknown process code {}", r.process))
                )?;
                String::new()
            }
        };
        writeln!(
            out,
            "Current time to run{command}: {}",
            ctime(r.run_at, self.zone)
        )?;
        writeln!(
            out,
            "Run window is {} ({} seconds)",
            hours(r.window_seconds),
            r.window_seconds
        )?;
        writeln!(
            out,
            "Time after which this process will not run: {}",
            ctime(r.deadline, self.zone)
        )?;
        writeln!(
            out,
            "If this time is exceeded, an error (missed run window) is recorded."
        )?;
        writeln!(out, "Next scheduled time is used instead of this time.")?;
        writeln!(
            out,
            "This instance next runs on {}",
            ctime(r.next_run, self.zone)
        )?;
        let comment = r.comment.decode(self.codepage);
        writeln!(
            out,
            "Process comment: {}",
            if comment.is_empty() {
                "<null>".to_string()
            } else {
                visible(&comment)
            }
        )?;
        writeln!(
            out,
            "{}",
            self.painter.dim(&format!(
                "Time-zone field (glbtool's reconstruction, may not exist in MS Mail's files): {} seconds west of UTC",
                r.tz_offset
            ))
        )?;
        self.note(out, unknown_note(&r.reserved, &format!("record {number}")))
    }
}

/// `8 hours`, `1 hour`, `1.50 hours`.
fn hours(seconds: u32) -> String {
    if seconds == 3600 {
        "1 hour".into()
    } else if seconds.is_multiple_of(3600) {
        format!("{} hours", seconds / 3600)
    } else {
        format!("{:.2} hours", f64::from(seconds) / 3600.0)
    }
}
