//! The annotated hex dump: every byte range labelled with its field name and
//! value, coloured by the field's role.

use std::io::{self, Write};

use glb_formats::layout::{Annotate, Role, Span, Value};

use super::{visible, Painter};
use crate::timefmt::{ctime, Zone};

/// Bytes per line.
const WIDTH: usize = 16;

/// Formats a field value for the label column.
pub fn value_text(v: &Value, zone: &Zone, raw: &[u8]) -> String {
    match v {
        Value::Unsigned(n) => n.to_string(),
        Value::Signed(n) => n.to_string(),
        Value::Time(s) => format!("{} ({})", ctime(*s, zone), s.0),
        Value::Text(t) => format!("\"{}\"", visible(t)),
        Value::Checksum { stored, computed } => {
            if stored == computed {
                format!("{stored:04X} (matches CRC-16/ARC)")
            } else {
                format!("{stored:04X} (CRC-16/ARC gives {computed:04X})")
            }
        }
        Value::Code { raw, meaning } => match meaning {
            Some(m) => format!("{raw} ({m})"),
            None => format!("{raw} (unknown code)"),
        },
        Value::Bytes => {
            if raw.iter().all(|&b| b == 0) {
                format!("{} bytes, all zero", raw.len())
            } else {
                format!("{} bytes, unknown meaning", raw.len())
            }
        }
    }
}

/// Writes hex dumps of items, reusing buffers.
pub struct HexWriter<'a> {
    painter: Painter,
    zone: &'a Zone,
    spans: Vec<Span>,
    line: Vec<u8>,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl<'a> HexWriter<'a> {
    /// A writer.
    pub fn new(painter: Painter, zone: &'a Zone) -> Self {
        HexWriter {
            painter,
            zone,
            spans: Vec::with_capacity(16),
            line: Vec::with_capacity(128),
        }
    }

    /// Writes a title line for an item.
    pub fn title<W: Write>(
        &self,
        out: &mut W,
        title: &str,
        offset: u64,
        len: usize,
    ) -> io::Result<()> {
        let t = format!("── {title} · offset 0x{offset:08x} ({offset}) · {len} bytes ");
        let pad = 78usize.saturating_sub(t.chars().count());
        writeln!(
            out,
            "{}",
            self.painter.heading(&format!("{t}{}", "─".repeat(pad)))
        )
    }

    /// Dumps one item: `model` describes `raw`, which starts at `base` in the file.
    pub fn item<W: Write, M: Annotate>(
        &mut self,
        out: &mut W,
        model: &M,
        raw: &[u8],
        base: u64,
    ) -> io::Result<()> {
        self.spans.clear();
        model.spans(&mut self.spans);
        let spans = std::mem::take(&mut self.spans);
        let mut covered = 0;
        for s in &spans {
            let end = (s.start + s.len).min(raw.len());
            if s.start > covered {
                // Defensive: a gap the model did not describe is shown as unknown.
                self.field(
                    out,
                    &raw[covered..s.start],
                    base + covered as u64,
                    "(undescribed)",
                    Role::Unknown,
                    "",
                )?;
            }
            if s.start >= end && s.len > 0 {
                continue;
            }
            let bytes = &raw[s.start.min(raw.len())..end];
            let value = value_text(&s.value, self.zone, bytes);
            self.field(out, bytes, base + s.start as u64, s.name, s.role, &value)?;
            covered = end;
        }
        if covered < raw.len() {
            self.field(
                out,
                &raw[covered..],
                base + covered as u64,
                "(undescribed)",
                Role::Unknown,
                "",
            )?;
        }
        self.spans = spans;
        Ok(())
    }

    /// Dumps bytes with one label (trailing bytes, damaged headers).
    pub fn raw<W: Write>(
        &mut self,
        out: &mut W,
        bytes: &[u8],
        base: u64,
        name: &str,
    ) -> io::Result<()> {
        let note = format!("{} bytes kept verbatim", bytes.len());
        self.field(out, bytes, base, name, Role::Unknown, &note)
    }

    fn field<W: Write>(
        &mut self,
        out: &mut W,
        bytes: &[u8],
        offset: u64,
        name: &str,
        role: Role,
        value: &str,
    ) -> io::Result<()> {
        let style = Painter::role_style(role);
        let mut first = true;
        let mut prev: Option<&[u8]> = None;
        let mut squeezed = false;
        let chunks = bytes.chunks(WIDTH);
        let n_chunks = bytes.len().div_ceil(WIDTH).max(1);
        if bytes.is_empty() {
            // An empty field (for example empty text) still gets its label.
            self.line.clear();
            write_offset(&mut self.line, offset);
            self.line.extend_from_slice(&[b' '; WIDTH * 3 + 1]);
            out.write_all(&self.line)?;
            writeln!(
                out,
                "{} {}",
                self.painter.paint(&format!("{name:<14}"), style),
                value
            )?;
            return Ok(());
        }
        for (i, chunk) in chunks.enumerate() {
            let last = i + 1 == n_chunks;
            if !first && !last && prev == Some(chunk) && chunk.len() == WIDTH {
                if !squeezed {
                    writeln!(out, "{}", self.painter.dim("*"))?;
                    squeezed = true;
                }
                continue;
            }
            squeezed = false;
            prev = Some(chunk);
            self.line.clear();
            write_offset(&mut self.line, offset + (i * WIDTH) as u64);
            let mut hex = Vec::with_capacity(WIDTH * 3);
            for &b in chunk {
                hex.push(HEX[(b >> 4) as usize]);
                hex.push(HEX[(b & 15) as usize]);
                hex.push(b' ');
            }
            hex.resize(WIDTH * 3 + 1, b' ');
            if self.painter.enabled() {
                out.write_all(&self.line)?;
                let h = String::from_utf8_lossy(&hex);
                out.write_all(self.painter.paint(&h, style).as_bytes())?;
            } else {
                self.line.extend_from_slice(&hex);
                out.write_all(&self.line)?;
            }
            if first {
                writeln!(
                    out,
                    "{} {}",
                    self.painter.paint(&format!("{name:<14}"), style),
                    value
                )?;
                first = false;
            } else {
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    }
}

fn write_offset(line: &mut Vec<u8>, offset: u64) {
    let digits = if offset > 0xffff_ffff { 16 } else { 8 };
    for i in (0..digits).rev() {
        line.push(HEX[((offset >> (i * 4)) & 15) as usize]);
    }
    line.extend_from_slice(b"  ");
}
