//! The annotated hex dump: every byte range labelled with its field name and
//! value, coloured by the field's role, and marked with where its position
//! comes from (`D` documented, `S` documented start, `R` reconstructed, `?`
//! unknown bytes; the legend opens every dump).
//!
//! A dump can be a gigabyte of text, so the writer formats into a reusable
//! byte buffer with lookup tables (hex digits, cached dates, pre-rendered
//! colour codes) instead of `format!` per line, and an item's lines reach the
//! output in one write.

use std::io::{self, Write};

use glb_formats::layout::{Annotate, Layout, Provenance, Role, Span, Value, MARK_LEGEND};
use glb_formats::CodePage;
use owo_colors::Style;

use super::Painter;
use crate::timefmt::{CtimeCache, Zone};

/// Bytes per line.
const WIDTH: usize = 16;
/// Width of the hex column: three characters per byte and one space.
const HEX_COLUMN: usize = WIDTH * 3 + 1;
/// Width a title line is padded to, in characters.
const TITLE_WIDTH: usize = 78;

const HEX: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the decimal digits of `n`.
fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends `n` as four upper-case hex digits.
fn push_hex4(out: &mut Vec<u8>, n: u16) {
    for shift in [12, 8, 4, 0] {
        out.push(HEX_UPPER[usize::from((n >> shift) & 15)]);
    }
}

/// Appends text as [`super::visible`] shows it: tabs as `<tab>`, other
/// control characters as `<xx>`. Works on the UTF-8 bytes: every control
/// character is one byte below 0x20 (or 0x7f), and no other character
/// contains such a byte.
fn push_visible(out: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        match b {
            b'\t' => out.extend_from_slice(b"<tab>"),
            0..=0x1f | 0x7f => out.extend_from_slice(&[
                b'<',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
                b'>',
            ]),
            _ => out.push(b),
        }
    }
}

/// Appends a field value for the label column.
fn push_value(out: &mut Vec<u8>, v: &Value, times: &mut CtimeCache, raw: &[u8]) {
    match v {
        Value::Unsigned(n) => push_u64(out, *n),
        Value::Signed(n) => {
            if *n < 0 {
                out.push(b'-');
            }
            push_u64(out, n.unsigned_abs());
        }
        // 0 is the value of a time never set (reconstructed), as the text
        // views show it; never 1970.
        Value::Time(s) if s.0 == 0 => out.extend_from_slice(b"never (0)"),
        Value::Time(s) => {
            times.push(*s, out);
            out.extend_from_slice(b" (");
            push_u64(out, u64::from(s.0));
            out.push(b')');
        }
        Value::Text(t) => {
            out.push(b'"');
            push_visible(out, t);
            out.push(b'"');
        }
        Value::Checksum { stored, computed } => {
            push_hex4(out, *stored);
            if stored == computed {
                out.extend_from_slice(b" (matches CRC-16/ARC)");
            } else {
                out.extend_from_slice(b" (CRC-16/ARC gives ");
                push_hex4(out, *computed);
                out.push(b')');
            }
        }
        Value::Code { raw, meaning } => {
            push_u64(out, *raw);
            out.extend_from_slice(b" (");
            out.extend_from_slice(meaning.unwrap_or("unknown code").as_bytes());
            out.push(b')');
        }
        Value::Bytes => {
            push_u64(out, raw.len() as u64);
            if raw.iter().all(|&b| b == 0) {
                out.extend_from_slice(b" bytes, all zero");
            } else {
                out.extend_from_slice(b" bytes, unknown meaning");
            }
        }
    }
}

/// Appends a file offset: 8 hex digits, 16 past 4 GiB, then two spaces.
fn push_offset(line: &mut Vec<u8>, offset: u64) {
    let digits = if offset > 0xffff_ffff { 16 } else { 8 };
    for i in (0..digits).rev() {
        line.push(HEX[((offset >> (i * 4)) & 15) as usize]);
    }
    line.extend_from_slice(b"  ");
}

/// The escape codes a painter puts before and after text in one style
/// (both empty when colour is off), worked out once.
#[derive(Debug, Clone, Default)]
struct Paint {
    before: Vec<u8>,
    after: Vec<u8>,
}

impl Paint {
    fn new(painter: Painter, style: Style) -> Paint {
        // Painting a marker shows what surrounds any text in this style.
        let marked = painter.paint("\u{1}", style);
        let (before, after) = marked.split_once('\u{1}').unwrap_or((&marked, ""));
        Paint {
            before: before.as_bytes().to_vec(),
            after: after.as_bytes().to_vec(),
        }
    }
}

const ROLES: [Role; 10] = [
    Role::Length,
    Role::Checksum,
    Role::Sync,
    Role::Time,
    Role::Text,
    Role::Flag,
    Role::Number,
    Role::Pointer,
    Role::Unknown,
    Role::Terminator,
];

fn role_index(role: Role) -> usize {
    ROLES.iter().position(|&r| r == role).unwrap_or(0)
}

/// The marks' styles, in [`mark_index`] order: documented, documented start,
/// reconstructed, unknown.
fn mark_styles() -> [Style; 4] {
    [
        Style::new().green().bold(),
        Style::new().yellow().bold(),
        Style::new().magenta().italic(),
        Style::new().bright_black(),
    ]
}

fn mark_index(p: Provenance) -> usize {
    match p {
        Provenance::Documented(_) => 0,
        Provenance::Start(..) => 1,
        Provenance::Reconstructed(_) => 2,
        Provenance::Unknown(_) => 3,
    }
}

/// The provenance of bytes no field describes (trailing bytes, gaps).
const UNDESCRIBED: Provenance = Provenance::Unknown("");

/// Writes hex dumps of items, reusing buffers.
pub struct HexWriter {
    times: CtimeCache,
    spans: Vec<Span>,
    buf: Vec<u8>,
    roles: [Paint; 10],
    marks: [Paint; 4],
    heading: Paint,
    squeeze: Vec<u8>,
    painter: Painter,
    cp: CodePage,
}

impl HexWriter {
    /// A writer showing times in `zone` and text in code page `cp`.
    pub fn new(painter: Painter, zone: &Zone, cp: CodePage) -> Self {
        let roles = ROLES.map(|r| Paint::new(painter, Painter::role_style(r)));
        let marks = mark_styles().map(|s| Paint::new(painter, s));
        let mut squeeze = painter.dim("*").into_bytes();
        squeeze.push(b'\n');
        HexWriter {
            times: CtimeCache::new(zone),
            spans: Vec::with_capacity(16),
            buf: Vec::with_capacity(1 << 12),
            roles,
            marks,
            heading: Paint::new(painter, Style::new().bold()),
            squeeze,
            painter,
            cp,
        }
    }

    /// Writes the three lines that open a dump: the layout statement (spec
    /// page, which positions are documented), the legend of the marks, each
    /// mark in its own style, and the time zone of the stamps.
    pub fn legend<W: Write>(&mut self, out: &mut W, layout: &Layout, kind: &str) -> io::Result<()> {
        writeln!(out, "{}", self.painter.dim(&layout.summary(kind)))?;
        let styles = mark_styles();
        let marks: Vec<String> = MARK_LEGEND
            .split(", ")
            .zip(styles)
            .map(|(item, style)| {
                let (mark, rest) = item.split_at(1);
                format!("{}{rest}", self.painter.paint(mark, style))
            })
            .collect();
        writeln!(out, "Marks: {}", marks.join(", "))?;
        writeln!(out, "{}", self.painter.dim(&self.times.zone().banner()))
    }

    /// Writes a title line for an item.
    pub fn title<W: Write>(
        &mut self,
        out: &mut W,
        title: &str,
        offset: u64,
        len: usize,
    ) -> io::Result<()> {
        self.buf.clear();
        let mut buf = std::mem::take(&mut self.buf);
        self.push_title(&mut buf, title.as_bytes(), None, offset, len);
        let r = out.write_all(&buf);
        self.buf = buf;
        r
    }

    /// Appends `── {title}[ {number}] · offset 0x{offset:08x} ({offset}) · {len} bytes ───…`.
    fn push_title(
        &self,
        out: &mut Vec<u8>,
        title: &[u8],
        number: Option<u64>,
        offset: u64,
        len: usize,
    ) {
        out.extend_from_slice(&self.heading.before);
        let start = out.len();
        out.extend_from_slice("── ".as_bytes());
        out.extend_from_slice(title);
        if let Some(n) = number {
            out.push(b' ');
            push_u64(out, n);
        }
        out.extend_from_slice(" · offset 0x".as_bytes());
        let digits = (64 - offset.leading_zeros() as usize).div_ceil(4).max(8);
        for i in (0..digits).rev() {
            out.push(HEX[((offset >> (i * 4)) & 15) as usize]);
        }
        out.extend_from_slice(b" (");
        push_u64(out, offset);
        out.extend_from_slice(") · ".as_bytes());
        push_u64(out, len as u64);
        out.extend_from_slice(b" bytes ");
        // Characters, not bytes: count every byte that does not continue a UTF-8 sequence.
        let chars = out[start..].iter().filter(|&&b| b & 0xC0 != 0x80).count();
        for _ in chars..TITLE_WIDTH {
            out.extend_from_slice("─".as_bytes());
        }
        out.extend_from_slice(&self.heading.after);
        out.push(b'\n');
    }

    /// Dumps one item: `model` describes `raw`, which starts at `base` in the file.
    pub fn item<W: Write, M: Annotate>(
        &mut self,
        out: &mut W,
        model: &M,
        raw: &[u8],
        base: u64,
    ) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        self.push_item(&mut buf, model, raw, base);
        let r = out.write_all(&buf);
        self.buf = buf;
        r
    }

    /// Appends the title `record {index}` and the dump of one record.
    pub fn push_record<M: Annotate>(
        &mut self,
        out: &mut Vec<u8>,
        index: u64,
        model: &M,
        raw: &[u8],
        base: u64,
    ) {
        self.push_title(out, b"record", Some(index), base, raw.len());
        self.push_item(out, model, raw, base);
    }

    /// Appends the dump of one item.
    fn push_item<M: Annotate>(&mut self, out: &mut Vec<u8>, model: &M, raw: &[u8], base: u64) {
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        model.spans(self.cp, &mut spans);
        let mut covered = 0;
        let mut value = Vec::with_capacity(64);
        for s in &spans {
            let end = (s.start + s.len).min(raw.len());
            if s.start > covered {
                // Defensive: a gap the model did not describe is shown as unknown.
                self.push_field(
                    out,
                    &raw[covered..s.start],
                    base + covered as u64,
                    "(undescribed)",
                    (Role::Unknown, UNDESCRIBED),
                    b"",
                );
            }
            if s.start >= end && s.len > 0 {
                continue;
            }
            let bytes = &raw[s.start.min(raw.len())..end];
            value.clear();
            push_value(&mut value, &s.value, &mut self.times, bytes);
            self.push_field(
                out,
                bytes,
                base + s.start as u64,
                s.name,
                (s.role, s.provenance),
                &value,
            );
            covered = end;
        }
        if covered < raw.len() {
            self.push_field(
                out,
                &raw[covered..],
                base + covered as u64,
                "(undescribed)",
                (Role::Unknown, UNDESCRIBED),
                b"",
            );
        }
        self.spans = spans;
    }

    /// Dumps bytes with one label (trailing bytes, damaged headers).
    pub fn raw<W: Write>(
        &mut self,
        out: &mut W,
        bytes: &[u8],
        base: u64,
        name: &str,
    ) -> io::Result<()> {
        let mut note = Vec::new();
        push_u64(&mut note, bytes.len() as u64);
        note.extend_from_slice(b" bytes kept verbatim");
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        self.push_field(
            &mut buf,
            bytes,
            base,
            name,
            (Role::Unknown, UNDESCRIBED),
            &note,
        );
        let r = out.write_all(&buf);
        self.buf = buf;
        r
    }

    /// Appends the provenance mark and a space, the field's name padded to 14
    /// characters in its role's colour, then a space, the value and the end of
    /// the line.
    fn push_label(
        &self,
        out: &mut Vec<u8>,
        paint: &Paint,
        provenance: Provenance,
        name: &str,
        value: &[u8],
    ) {
        let mark = &self.marks[mark_index(provenance)];
        out.extend_from_slice(&mark.before);
        out.push(provenance.mark() as u8);
        out.extend_from_slice(&mark.after);
        out.push(b' ');
        out.extend_from_slice(&paint.before);
        out.extend_from_slice(name.as_bytes());
        for _ in name.chars().count()..14 {
            out.push(b' ');
        }
        out.extend_from_slice(&paint.after);
        out.push(b' ');
        out.extend_from_slice(value);
        out.push(b'\n');
    }

    fn push_field(
        &self,
        out: &mut Vec<u8>,
        bytes: &[u8],
        offset: u64,
        name: &str,
        (role, provenance): (Role, Provenance),
        value: &[u8],
    ) {
        let paint = &self.roles[role_index(role)];
        if bytes.is_empty() {
            // An empty field (for example empty text) still gets its label.
            push_offset(out, offset);
            out.extend_from_slice(&[b' '; HEX_COLUMN]);
            self.push_label(out, paint, provenance, name, value);
            return;
        }
        let n_chunks = bytes.len().div_ceil(WIDTH);
        let mut prev: Option<&[u8]> = None;
        let mut squeezed = false;
        for (i, chunk) in bytes.chunks(WIDTH).enumerate() {
            let first = i == 0;
            let last = i + 1 == n_chunks;
            if !first && !last && prev == Some(chunk) && chunk.len() == WIDTH {
                if !squeezed {
                    out.extend_from_slice(&self.squeeze);
                    squeezed = true;
                }
                continue;
            }
            squeezed = false;
            prev = Some(chunk);
            push_offset(out, offset + (i * WIDTH) as u64);
            out.extend_from_slice(&paint.before);
            for &b in chunk {
                out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)], b' ']);
            }
            for _ in chunk.len() * 3..HEX_COLUMN {
                out.push(b' ');
            }
            out.extend_from_slice(&paint.after);
            if first {
                self.push_label(out, paint, provenance, name, value);
            } else {
                out.push(b'\n');
            }
        }
    }
}

/// A field value as the annotated dump shows it (times in the cache's zone,
/// 0 as never), for other views of the same spans.
pub fn value_text(v: &Value, times: &mut CtimeCache, raw: &[u8]) -> String {
    let mut out = Vec::new();
    push_value(&mut out, v, times, raw);
    String::from_utf8_lossy(&out).into_owned()
}

/// Appends `bytes` (found at `offset`) as plain dump lines: offset, sixteen
/// bytes in hex, the bytes as ASCII (`.` for the rest), no labels and no
/// squeezing, so that a line-by-line diff of two dumps shows every change.
/// Written here rather than with a crate: it is four lines over the
/// offset and hex helpers the annotated dump already has.
pub fn push_plain(out: &mut Vec<u8>, bytes: &[u8], offset: u64) {
    for (i, chunk) in bytes.chunks(WIDTH).enumerate() {
        push_offset(out, offset + (i * WIDTH) as u64);
        for &b in chunk {
            out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)], b' ']);
        }
        out.resize(out.len() + HEX_COLUMN - chunk.len() * 3, b' ');
        out.push(b'|');
        out.extend(
            chunk
                .iter()
                .map(|&b| if (0x20..0x7f).contains(&b) { b } else { b'.' }),
        );
        out.extend_from_slice(b"|\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glb_formats::fields::Stamp;

    fn value_text(v: &Value, zone: &Zone, raw: &[u8]) -> String {
        let mut out = Vec::new();
        push_value(&mut out, v, &mut CtimeCache::new(zone), raw);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_read_as_documented() {
        let z = Zone::utc();
        assert_eq!(value_text(&Value::Unsigned(0), &z, &[]), "0");
        assert_eq!(value_text(&Value::Signed(-42), &z, &[]), "-42");
        assert_eq!(
            value_text(&Value::Signed(i64::MIN), &z, &[]),
            i64::MIN.to_string()
        );
        assert_eq!(
            value_text(&Value::Time(Stamp(765_720_832)), &z, &[]),
            "Thu Apr 07 12:13:52 1994 (765720832)"
        );
        assert_eq!(
            value_text(&Value::Text("a\tb\u{1}\u{7f}é".into()), &z, &[]),
            "\"a<tab>b<01><7f>é\""
        );
        assert_eq!(
            value_text(
                &Value::Checksum {
                    stored: 0xAB,
                    computed: 0xAB
                },
                &z,
                &[]
            ),
            "00AB (matches CRC-16/ARC)"
        );
        assert_eq!(
            value_text(
                &Value::Checksum {
                    stored: 0xFB16,
                    computed: 0x1
                },
                &z,
                &[]
            ),
            "FB16 (CRC-16/ARC gives 0001)"
        );
        assert_eq!(
            value_text(
                &Value::Code {
                    raw: 9,
                    meaning: None
                },
                &z,
                &[]
            ),
            "9 (unknown code)"
        );
        assert_eq!(value_text(&Value::Bytes, &z, &[0, 0]), "2 bytes, all zero");
        assert_eq!(
            value_text(&Value::Bytes, &z, &[0, 1, 0]),
            "3 bytes, unknown meaning"
        );
    }

    #[test]
    fn visible_text_matches_the_text_view() {
        let s: String = (0u32..0x200).filter_map(char::from_u32).collect();
        let mut out = Vec::new();
        push_visible(&mut out, &s);
        assert_eq!(String::from_utf8(out).unwrap(), super::super::visible(&s));
    }

    #[test]
    fn titles_are_padded_to_78_characters_at_any_offset() {
        let w = HexWriter::new(Painter::new(false), &Zone::utc(), CodePage::Cp850);
        for (offset, hex) in [(0u64, "0x00000000"), (0x1_0000_0000, "0x100000000")] {
            let mut out = Vec::new();
            w.push_title(&mut out, b"record", Some(7), offset, 49);
            let line = String::from_utf8(out).unwrap();
            assert!(
                line.starts_with(&format!(
                    "── record 7 · offset {hex} ({offset}) · 49 bytes ─"
                )),
                "{line}"
            );
            assert_eq!(line.trim_end().chars().count(), 78, "{line}");
        }
    }
}
