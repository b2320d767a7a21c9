//! The LISTQ-style text view of a queue file (KB Q96060): CRC, date stamp,
//! sync number and transaction text, one transaction per row.

use std::io::{self, Write};

use glb_formats::codepage::CodePage;
use glb_formats::queue::{QueueRecord, ResyncHeader};

use super::{visible_line, Painter};
use crate::timefmt::{ctime, Zone};

/// Options for the view.
pub struct QueueView<'a> {
    /// Colours.
    pub painter: Painter,
    /// Time zone.
    pub zone: &'a Zone,
    /// Code page of the text.
    pub codepage: CodePage,
    /// Mark checksum mismatches (LISTQ `-c`).
    pub check_crc: bool,
}

impl QueueView<'_> {
    /// The title, the layout statement, the time-zone statement and the
    /// column header.
    pub fn header<W: Write>(&self, out: &mut W, title: &str, layout: &str) -> io::Result<()> {
        writeln!(out, "{}", self.painter.heading(title))?;
        writeln!(out, "{}", self.painter.dim(layout))?;
        writeln!(out, "{}", self.painter.dim(&self.zone.banner()))?;
        writeln!(
            out,
            "{}",
            self.painter
                .heading("CRC    Date stamp                     Sync#  Transaction")
        )
    }

    /// One record.
    pub fn record<W: Write>(&self, out: &mut W, r: &QueueRecord) -> io::Result<bool> {
        let stored = r.stored_checksum();
        let ok = !self.check_crc || stored == r.computed_checksum();
        let crc = format!("{stored:04X}");
        let mark = if ok { " " } else { "!" };
        let crc = if ok { crc } else { self.painter.warn(&crc) };
        let text = self.codepage.decode(&r.text);
        // Lines break at CR LF (docs/formats/queue.md); a lone CR or LF is
        // shown where it is, so every stored form reads differently.
        let mut lines = text.split("\r\n");
        let first = lines.next().unwrap_or("");
        let shown = match ResyncHeader::from_text(&r.text) {
            Some(h) => format!(
                "{}  {}",
                visible_line(first),
                self.painter.dim(&format!(
                    "[RESYNC header: IMPSEQ {}, REQSEQ {}, SRVSEQ {}]",
                    h.impseq, h.reqseq, h.srvseq
                ))
            ),
            None => visible_line(first),
        };
        // LISTQ's six digits (KB Q96060), right-aligned in a column wide
        // enough for any 32-bit sync number, so the text column never moves.
        writeln!(
            out,
            "{crc}{mark}  {}  {:>10}  {shown}",
            ctime(r.date_stamp, self.zone),
            format!("{:06}", r.sync)
        )?;
        for l in lines {
            writeln!(out, "{:45}{}", "", visible_line(l))?;
        }
        Ok(ok)
    }

    /// The closing line.
    pub fn footer<W: Write>(&self, out: &mut W, count: u64, mismatches: u64) -> io::Result<()> {
        writeln!(
            out,
            "End of Queue ({count} transaction{})",
            if count == 1 { "" } else { "s" }
        )?;
        if self.check_crc && mismatches > 0 {
            let note = if mismatches == count {
                format!(
                    "! all {count} stored checksums differ from CRC-16/ARC: the file was probably written by MS Mail, whose checksum algorithm is undocumented (not corruption by itself)"
                )
            } else {
                format!("! {mismatches} of {count} stored checksums differ from CRC-16/ARC: those records are probably corrupt")
            };
            writeln!(out, "{}", self.painter.warn(&note))?;
        }
        Ok(())
    }
}
