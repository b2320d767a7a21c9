//! Redaction: names and addresses are personal data. A redacted record keeps
//! its length, the class of every byte (upper- and lower-case letters,
//! digits, other code-page characters, punctuation, spaces, control bytes
//! and NULs stay what they were), every number probe recognised (lengths,
//! counters, time stamps, pointers, hexids, codes) and the checksum's
//! relation to the bytes it covers (recomputed with the rule probe found,
//! when that rule held for the record), but none of the text: letters
//! become `X`/`x`, digits `9`, other characters `é` (0x82).
//!
//! Kept as they are: the command letter that starts a transaction (`A`,
//! `D`, `M`, `R`, `T`, `#`), address types before a colon (`SMTP:`, `MS:`)
//! and glbtool's RESYNC.GLB header transaction (numbers only). Outside the
//! fields probe recognised, every run of three or more text bytes holding a
//! letter is replaced too, so text in bytes of unknown meaning does not leak.

use std::io::{self, Read, Write};

use super::checksum::Rule;
use super::frame::{is_text_byte, next_len, Framing, Records};
use super::{Found, What};

/// The replacement of one text byte (its class kept).
pub fn mask_byte(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => b'X',
        b'a'..=b'z' => b'x',
        b'0'..=b'9' => b'9',
        0x80..=0xFF => 0x82,
        other => other,
    }
}

/// Replaces the text of an Import transaction or any text, keeping its
/// command letter, address types before a colon and the RESYNC header.
pub fn mask_text(t: &mut [u8]) {
    if crate::queue::ResyncHeader::from_text(super::detect::text_of(t)).is_some() {
        return;
    }
    let n = t.len();
    let mut i = 0;
    while i < n {
        let line_start = i == 0 || matches!(t[i - 1], b'\n' | b'\r');
        // A transaction's command letter (or `#`) at the start of a line.
        if line_start
            && (t[i].is_ascii_alphabetic() || t[i] == b'#')
            && t.get(i + 1)
                .is_none_or(|&c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        {
            i += 1;
            continue;
        }
        // An address type: a short token of letters or digits before a colon.
        let token_start = i == 0 || matches!(t[i - 1], b' ' | b'\t' | b'\r' | b'\n' | b'[');
        if token_start && t[i].is_ascii_alphanumeric() {
            let mut j = i;
            while j < n && t[j].is_ascii_alphanumeric() {
                j += 1;
            }
            if j < n && t[j] == b':' && j - i <= 8 {
                i = j + 1;
                continue;
            }
        }
        t[i] = mask_byte(t[i]);
        i += 1;
    }
}

/// Replaces runs of at least three text bytes that hold a letter.
pub fn mask_runs(b: &mut [u8]) {
    let n = b.len();
    let mut i = 0;
    while i < n {
        if b[i] != 0 && is_text_byte(b[i]) {
            let s = i;
            while i < n && b[i] != 0 && is_text_byte(b[i]) {
                i += 1;
            }
            let run = &mut b[s..i];
            if run.len() >= 3 && run.iter().any(|c| c.is_ascii_alphabetic() || *c >= 0x80) {
                run.iter_mut().for_each(|c| *c = mask_byte(*c));
            }
        } else {
            i += 1;
        }
    }
}

/// What to replace in the header and in each record.
#[derive(Debug, Clone)]
pub struct Plan {
    framing: Framing,
    header: Part,
    record: Part,
}

#[derive(Debug, Clone, Default)]
struct Part {
    /// Text fields: `(start, len)`, `None` to the end.
    texts: Vec<(usize, Option<usize>)>,
    /// Fields kept as they are (numbers).
    keep: Vec<(usize, usize)>,
    /// Checksums to recompute: `(start, width, rule)`.
    sums: Vec<(usize, usize, Rule)>,
}

impl Part {
    fn new(found: &[Found]) -> Part {
        let mut p = Part::default();
        for f in found {
            match &f.what {
                What::Text { .. } => p.texts.push((f.start, f.len)),
                What::Constant { .. } | What::Varies { .. } => {}
                What::Checksum { rule, .. } => {
                    let w = f.len.unwrap_or(0);
                    p.keep.push((f.start, w));
                    if let Some(r) = rule {
                        p.sums.push((f.start, w, *r));
                    }
                }
                _ => p.keep.push((f.start, f.len.unwrap_or(0))),
            }
        }
        p
    }

    fn apply(&self, item: &mut [u8]) {
        let held: Vec<bool> = self
            .sums
            .iter()
            .map(|(s, w, r)| r.holds(item, *s, *w))
            .collect();
        let n = item.len();
        let mut covered = vec![false; n];
        for &(s, l) in &self.texts {
            let e = l.map_or(n, |l| s.saturating_add(l)).min(n);
            if s < e {
                mask_text(&mut item[s..e]);
                covered[s..e].iter_mut().for_each(|c| *c = true);
            }
        }
        for &(s, l) in &self.keep {
            let e = s.saturating_add(l).min(n);
            if s < e {
                covered[s..e].iter_mut().for_each(|c| *c = true);
            }
        }
        // Every other run of bytes: text in it is replaced too.
        let mut i = 0;
        while i < n {
            if covered[i] {
                i += 1;
                continue;
            }
            let s = i;
            while i < n && !covered[i] {
                i += 1;
            }
            mask_runs(&mut item[s..i]);
        }
        for ((s, w, r), held) in self.sums.iter().zip(held) {
            if held {
                if let Some(v) = r.compute(item, *s, *w) {
                    r.endian.write(v, &mut item[*s..*s + *w]);
                }
            }
        }
    }
}

impl Plan {
    /// A plan from the framing and the fields found.
    pub fn new(framing: &Framing, header: &[Found], record: &[Found]) -> Plan {
        Plan {
            framing: *framing,
            header: Part::new(header),
            record: Part::new(record),
        }
    }

    /// What a redacted copy keeps of the checksums, one sentence each.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (part, p) in [("header", &self.header), ("record", &self.record)] {
            for (s, _, r) in &p.sums {
                out.push(format!(
                    "the {part} checksum at +{s} is recomputed over the redacted bytes ({}), where it held",
                    r.describe()
                ));
            }
        }
        if out.is_empty() {
            out.push("no checksum rule was found: any stored checksum keeps its value, which no longer matches the replaced text".into());
        }
        out
    }

    /// Redacts a header in place.
    pub fn redact_header(&self, h: &mut [u8]) {
        self.header.apply(h);
    }

    /// Redacts a record in place.
    pub fn redact_record(&self, r: &mut [u8]) {
        self.record.apply(r);
    }

    /// Redacted copies of a sample's header and records.
    pub fn redact_sample(
        &self,
        head: Option<&[u8]>,
        records: &[&[u8]],
    ) -> (Option<Vec<u8>>, Vec<Vec<u8>>) {
        let h = head.map(|h| {
            let mut v = h.to_vec();
            self.redact_header(&mut v);
            v
        });
        let r = records
            .iter()
            .map(|r| {
                let mut v = r.to_vec();
                self.redact_record(&mut v);
                v
            })
            .collect();
        (h, r)
    }

    /// Copies a whole file from `src` to `dst`, redacted, in bounded memory
    /// (one record, at most 1 MiB, plus a 256 KiB buffer). Bytes the framing
    /// does not cover (a damaged end) get the generic replacement of text
    /// runs. Returns the bytes written.
    pub fn copy<R: Read, W: Write>(&self, src: R, mut dst: W) -> io::Result<u64> {
        const CHUNK: usize = 1 << 18;
        const MAX_ITEM: usize = 1 << 20;
        let mut input = Input::new(src);
        let mut item: Vec<u8> = Vec::new();
        let mut written = 0u64;
        // The header.
        if self.framing.header > 0 {
            let n = input.fill(self.framing.header)?.min(self.framing.header);
            item.clear();
            item.extend_from_slice(&input.avail()[..n]);
            self.redact_header(&mut item);
            dst.write_all(&item)?;
            written += n as u64;
            input.consume(n);
        }
        // The records.
        let mut framed = self.framing.records != Records::None;
        loop {
            if input.fill(CHUNK)? == 0 {
                break;
            }
            let len = if framed {
                let mut len = next_len(input.avail(), &self.framing.records);
                // A terminated record may be longer than what is buffered.
                while len.is_none() && !input.eof && input.avail().len() < MAX_ITEM {
                    let want = input.avail().len() + CHUNK;
                    input.fill(want)?;
                    len = next_len(input.avail(), &self.framing.records);
                }
                match len {
                    Some(l) if l <= MAX_ITEM => (input.fill(l)? >= l).then_some(l),
                    _ => None,
                }
            } else {
                None
            };
            item.clear();
            match len {
                Some(l) => {
                    item.extend_from_slice(&input.avail()[..l]);
                    self.redact_record(&mut item);
                }
                None => {
                    // The rest is not framed: replace text runs, chunk by
                    // chunk (a run cut at a chunk boundary is still replaced
                    // where it is at least three bytes long on each side).
                    framed = false;
                    let n = input.avail().len().min(CHUNK);
                    item.extend_from_slice(&input.avail()[..n]);
                    mask_runs(&mut item);
                }
            }
            dst.write_all(&item)?;
            written += item.len() as u64;
            input.consume(item.len());
        }
        dst.flush()?;
        Ok(written)
    }
}

/// A read buffer: bytes are consumed from the front by moving a position,
/// and moved down only once a whole chunk has been consumed.
struct Input<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Input<R> {
    fn new(src: R) -> Self {
        Input {
            src,
            buf: Vec::new(),
            pos: 0,
            eof: false,
        }
    }

    /// The unconsumed bytes.
    fn avail(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Makes at least `n` bytes available (fewer at the end of the source);
    /// returns how many are.
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        if self.pos >= 1 << 18 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let mut chunk = [0u8; 1 << 14];
        while self.buf.len() - self.pos < n && !self.eof {
            match self.src.read(&mut chunk) {
                Ok(0) => self.eof = true,
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.buf.len() - self.pos)
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_replaced_with_its_classes_and_grammar_kept() {
        let mut t = b"A Paul Smith\tSMTP:paul@example.com\r\n- Phone: 555 1234".to_vec();
        mask_text(&mut t);
        assert_eq!(
            &t[..],
            &b"A Xxxx Xxxxx\tSMTP:xxxx@xxxxxxx.xxx\r\n- Phone: 999 9999"[..]
        );
        let mut h = b"# RESYNC IMPSEQ=0000000002 REQSEQ=0000000018 SRVSEQ=0000000080".to_vec();
        let keep = h.clone();
        mask_text(&mut h);
        assert_eq!(h, keep);
        let mut r = vec![0x01, 0x00, b'J', b'o', b'e', 0, 0x17, 0x2D, b'a', b'b'];
        mask_runs(&mut r);
        assert_eq!(r, [0x01, 0x00, b'X', b'x', b'x', 0, 0x17, 0x2D, b'x', b'x']);
    }

    /// A reader that hands out one byte at a time.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), out.first_mut()) {
                (Some((b, rest)), Some(o)) => {
                    *o = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn a_copy_is_the_same_however_the_bytes_arrive() {
        let mut file = Vec::new();
        for i in 0..300u32 {
            let text = format!("A Person Number {i}\tSMTP:p{i}@example.com");
            let mut r = vec![0u8; 8];
            r.extend_from_slice(text.as_bytes());
            r.push(0);
            let n = r.len() as u16;
            r[0..2].copy_from_slice(&n.to_le_bytes());
            r[2..6].copy_from_slice(&i.to_le_bytes());
            file.extend_from_slice(&r);
        }
        let report = crate::probe::probe(
            &crate::probe::Sample {
                bytes: &file,
                size: file.len() as u64,
                kind: None,
                siblings: &[],
            },
            &crate::probe::Options::default(),
        );
        let plan = Plan::new(&report.framing.found, &report.header, &report.record);
        let mut fast = Vec::new();
        plan.copy(&file[..], &mut fast).unwrap();
        let mut slow = Vec::new();
        plan.copy(Trickle(&file), &mut slow).unwrap();
        assert_eq!(fast, slow);
        assert_eq!(fast.len(), file.len());
        let copy = String::from_utf8_lossy(&fast);
        assert!(
            !copy.contains("Person") && copy.contains("A Xxxxxx Xxxxxx 999\tSMTP:x999@"),
            "{copy}"
        );
        // The numbers are kept.
        assert_eq!(&fast[2..6], &file[2..6]);
    }
}
