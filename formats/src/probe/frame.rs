//! Framing: where the header ends and each record starts.
//!
//! Four kinds of evidence, tried in this order:
//! 1. a **length field** (1, 2 or 4 bytes, either byte order, at one of the
//!    first bytes of the record, counting the whole record or what follows
//!    some bytes) whose values chain from record to record exactly to the end
//!    of the file;
//! 2. a **record size** whose bytes repeat best: the autocorrelation of byte
//!    values (the share of bytes equal to the byte `s` further on) peaks at
//!    the record size and its multiples; the header is then the leading
//!    record-sized slots that look least like the rest;
//! 3. **NUL-terminated texts** after a fixed part of the same size in every
//!    record, chaining to the end of the file;
//! 4. else the file is one block.
//!
//! When glbtool declares a layout for the kind, its documented size rule is
//! checked and its framing used when the bytes agree with it.

use std::ops::Range;

use serde::Serialize;

use super::layout::Layout;
use super::{limits, Confidence, Endian};

/// A field that holds each record's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LengthField {
    /// Its offset in the record.
    pub offset: usize,
    /// Its width: 1, 2 or 4 bytes.
    pub width: usize,
    /// Its byte order.
    pub endian: Endian,
    /// The record is the value plus this many bytes long (0: the value
    /// counts the whole record).
    pub adjust: usize,
}

impl LengthField {
    /// The record length this field gives in a record starting with `rec`.
    pub fn record_len(&self, rec: &[u8]) -> Option<usize> {
        let b = rec.get(self.offset..self.offset + self.width)?;
        let len = usize::try_from(self.endian.read(b))
            .ok()?
            .checked_add(self.adjust)?;
        (len > self.offset + self.width).then_some(len)
    }

    /// "u16 LE at +0, counting the whole record".
    pub fn describe(&self) -> String {
        let counts = if self.adjust == 0 {
            "the whole record".to_string()
        } else {
            format!("the record less its first {} bytes", self.adjust)
        };
        format!(
            "u{} {} at +{}, counting {counts}",
            self.width * 8,
            self.endian.short(),
            self.offset
        )
    }
}

/// How records follow the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Records {
    /// No records: the file is its header alone (or one block of unknown structure).
    None,
    /// Records of one size.
    Fixed {
        /// Bytes per record.
        len: usize,
    },
    /// Records whose length a field gives.
    Prefixed {
        /// The length field.
        length: LengthField,
    },
    /// A fixed part of `fixed` bytes, then text ended by a NUL.
    Terminated {
        /// Bytes before the text.
        fixed: usize,
    },
}

/// Header length and record framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Framing {
    /// Bytes before the first record.
    pub header: usize,
    /// How the records are delimited.
    pub records: Records,
}

impl Framing {
    /// One sentence: "a 4-byte header, then 43-byte records".
    pub fn describe(&self) -> String {
        let head = if self.header == 0 {
            String::new()
        } else {
            format!("a {}-byte header, then ", self.header)
        };
        match self.records {
            Records::None if self.header == 0 => "no bytes".to_string(),
            Records::None => format!("one {}-byte block with no records", self.header),
            Records::Fixed { len } => format!("{head}{len}-byte records"),
            Records::Prefixed { length } => {
                format!(
                    "{head}records of varying length given by a {}",
                    length.describe()
                )
            }
            Records::Terminated { fixed } => {
                format!("{head}records of a {fixed}-byte fixed part and a text ended by a NUL")
            }
        }
    }
}

/// The documented (or declared) size rule and whether the file meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SizeRule {
    /// The rule, with its source.
    pub rule: String,
    /// The file's size meets it.
    pub holds: bool,
}

/// A candidate record size and its autocorrelation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Period {
    /// Record size.
    pub size: usize,
    /// Share of bytes equal to the byte `size` further on.
    pub score: f64,
    /// Bytes compared.
    #[serde(skip)]
    pub compared: usize,
}

/// What framing was found, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FramingReport {
    /// The framing the fields were analysed with.
    pub found: Framing,
    /// How sure.
    pub confidence: Confidence,
    /// The evidence, one sentence each.
    pub evidence: Vec<String>,
    /// The declared layout's size rule, when the kind is known.
    pub size_rule: Option<SizeRule>,
    /// The record sizes whose bytes repeat best (highest first).
    pub periods: Vec<Period>,
    /// The autocorrelation's median over all sizes tried (the baseline of `periods`).
    pub baseline: f64,
    /// Whole records in the sample.
    pub records_in_sample: usize,
    /// Records in the whole file, when that follows from its size.
    pub records_in_file: Option<u64>,
    /// `(n, of)`: records whose last byte is a NUL (variable records).
    pub ends_with_nul: Option<(usize, usize)>,
}

/// The header and record ranges of a sample.
#[derive(Debug, Clone, Default)]
pub struct Items {
    /// The header, if any (cut to the sample).
    pub header: Option<Range<usize>>,
    /// Whole records in the sample, at most [`limits::RECORDS`].
    pub records: Vec<Range<usize>>,
}

/// Cuts a sample into header and records by `framing`.
pub fn items(bytes: &[u8], framing: &Framing) -> Items {
    let mut out = Items::default();
    if framing.header > 0 {
        out.header = Some(0..framing.header.min(bytes.len()));
    }
    let mut pos = framing.header;
    while out.records.len() < limits::RECORDS && pos < bytes.len() {
        let Some(len) = next_len(&bytes[pos..], &framing.records) else {
            break;
        };
        let Some(end) = pos.checked_add(len).filter(|&e| e <= bytes.len()) else {
            break;
        };
        out.records.push(pos..end);
        pos = end;
    }
    out
}

/// The length of the record at the start of `rest`, if it can be told.
pub fn next_len(rest: &[u8], records: &Records) -> Option<usize> {
    match *records {
        Records::None => None,
        Records::Fixed { len } => (len > 0).then_some(len),
        Records::Prefixed { length } => length.record_len(rest),
        Records::Terminated { fixed } => {
            let text = rest.get(fixed..)?;
            memchr::memchr(0, text).map(|n| fixed + n + 1)
        }
    }
}

/// A byte that can be part of text: printable ASCII, tab, CR, LF, or a
/// code-page character (0x80 and above).
pub fn is_text_byte(b: u8) -> bool {
    matches!(b, 0x20..=0x7E | b'\t' | b'\r' | b'\n') || b >= 0x80
}

/// Finds the framing of a sample (`size` is the whole file's size).
pub fn find(bytes: &[u8], size: u64, declared: Option<&Layout>) -> FramingReport {
    let whole = bytes.len() as u64 == size;
    let mut rep = FramingReport {
        found: Framing {
            header: 0,
            records: Records::None,
        },
        confidence: Confidence::Low,
        evidence: Vec::new(),
        size_rule: declared.map(|d| SizeRule {
            rule: d.size_rule.clone(),
            holds: d.size_fits(size),
        }),
        periods: Vec::new(),
        baseline: 0.0,
        records_in_sample: 0,
        records_in_file: None,
        ends_with_nul: None,
    };
    if bytes.is_empty() {
        rep.evidence.push("the file is empty".into());
        rep.confidence = Confidence::High;
        return rep;
    }
    if !whole {
        rep.evidence.push(format!(
            "only the first {} of {size} bytes were read",
            bytes.len()
        ));
    }

    // Chains are followed over a window of the sample, which is whole only
    // when it holds the whole file.
    let win = &bytes[..bytes.len().min(limits::FRAMING_BYTES)];
    let win_whole = whole && win.len() == bytes.len();

    // The declared framing, when the bytes agree with it.
    let declared_fit = declared.and_then(|d| declared_fits(win, win_whole, size, d));

    // 1. Length fields.
    let chain = best_chain(win, win_whole, declared);
    // 2. Record sizes.
    let (periods, baseline) = autocorrelation(bytes);
    rep.baseline = baseline;
    rep.periods = top_periods(&periods, 5);
    let period = clear_period(&periods, baseline);
    // 3. NUL-terminated texts.
    let terminated = best_terminated(win, win_whole);

    let mut chosen: Option<(Framing, Confidence, String)> = None;
    let chain_text = |c: &Chain| {
        format!(
            "a {} chains {} record{} {}{}",
            c.field.describe(),
            c.records,
            plural(c.records),
            if c.reaches_end {
                "exactly to the end of the file"
            } else {
                "to the end of the sample"
            },
            if c.nul_ends == c.records {
                ", each ending with a NUL"
            } else {
                ""
            }
        )
    };
    let equal = chain.iter().find(|c| c.equal_lengths);
    let varying = chain.iter().find(|c| !c.equal_lengths);
    // The declared framing, unless the bytes clearly say otherwise.
    if let Some((fr, why)) = &declared_fit {
        // Contrary evidence counts only when the bytes do not repeat at the
        // declared record size.
        let contrary = match fr.records {
            // Fewer than three declared records cannot show their rhythm.
            Records::Fixed { len }
                if bytes.len() >= 3 * len && !supports(&periods, baseline, len) =>
            {
                varying
                    .filter(|c| c.records >= 8 && c.nul_ends * 10 >= c.records * 9)
                    .map(chain_text)
                    .or_else(|| {
                        period
                            .filter(|p| p.size % len != 0 && len % p.size != 0)
                            .map(|p| format!("bytes repeat best every {} bytes", p.size))
                    })
            }
            _ => None,
        };
        match contrary {
            None => chosen = Some((*fr, Confidence::High, why.clone())),
            Some(e) => rep.evidence.push(format!(
                "the declared framing ({why}) would fit the size, but {e}"
            )),
        }
    }
    if chosen.is_none() {
        if let Some(c) = varying {
            let conf = if c.records >= 8 {
                Confidence::High
            } else if c.records >= 3 {
                Confidence::Medium
            } else {
                Confidence::Low
            };
            chosen = Some((
                Framing {
                    header: c.header,
                    records: Records::Prefixed { length: c.field },
                },
                conf,
                chain_text(c),
            ));
        }
    }
    if chosen.is_none() {
        if let Some(p) = period {
            let header = fixed_header(bytes, size, p.size);
            let conf = if bytes.len() >= 8 * p.size {
                Confidence::High
            } else {
                Confidence::Medium
            };
            chosen = Some((
                Framing {
                    header,
                    records: Records::Fixed { len: p.size },
                },
                conf,
                format!(
                    "bytes repeat best every {} bytes ({:.0}% equal, against {:.0}% for a typical size)",
                    p.size,
                    100.0 * p.score,
                    100.0 * baseline
                ),
            ));
        }
    }
    if chosen.is_none() {
        if let Some(t) = &terminated {
            chosen = Some((
                Framing {
                    header: 0,
                    records: Records::Terminated { fixed: t.fixed },
                },
                if t.records >= 8 {
                    Confidence::Medium
                } else {
                    Confidence::Low
                },
                format!(
                    "after a {}-byte fixed part, texts ended by a NUL chain {} records {}",
                    t.fixed,
                    t.records,
                    if t.reaches_end {
                        "exactly to the end of the file"
                    } else {
                        "to the end of the sample"
                    }
                ),
            ));
        }
    }

    if let (Some(c), Some((f, _, _))) = (equal, &chosen) {
        if !matches!(f.records, Records::Prefixed { .. }) {
            rep.evidence.push(format!(
                "a {} gives (nearly) every record the same length: records of one size",
                c.field.describe()
            ));
        }
    }
    let (found, conf, why) = chosen.unwrap_or_else(|| {
        (
            Framing {
                header: bytes.len(),
                records: Records::None,
            },
            Confidence::Low,
            "no length field, repeating record size or NUL-terminated records found: the file is read as one block".to_string(),
        )
    });
    rep.evidence.insert(0, why);
    rep.found = found;
    rep.confidence = conf;
    let it = items(bytes, &found);
    rep.records_in_sample = it.records.len();
    rep.records_in_file = match found.records {
        Records::Fixed { len } => Some(size.saturating_sub(found.header as u64) / len as u64),
        // Of a large file only the sample is one block: the rest is unread.
        Records::None if whole => Some(0),
        _ if whole && it.records.len() < limits::RECORDS => Some(it.records.len() as u64),
        _ => None,
    };
    if let Records::Fixed { len } = found.records {
        let rest = size.saturating_sub(found.header as u64) % len as u64;
        if rest != 0 {
            rep.evidence.push(format!(
                "{rest} byte{} at the end do not make a whole record",
                plural(rest as usize)
            ));
        }
    }
    if matches!(
        found.records,
        Records::Prefixed { .. } | Records::Terminated { .. }
    ) {
        let nul = it
            .records
            .iter()
            .filter(|r| r.end > r.start && bytes[r.end - 1] == 0)
            .count();
        rep.ends_with_nul = Some((nul, it.records.len()));
    }
    rep
}

/// The declared framing, when the sample agrees with it.
fn declared_fits(bytes: &[u8], whole: bool, size: u64, d: &Layout) -> Option<(Framing, String)> {
    if !d.size_fits(size) {
        return None;
    }
    let fr = d.framing();
    match fr.records {
        Records::Prefixed { length } => {
            let c = chain(bytes, whole, fr.header, length).filter(|c| c.reaches_end || !whole)?;
            Some((
                fr,
                format!(
                    "the declared {} chains {} record{} {}",
                    length.describe(),
                    c.records,
                    plural(c.records),
                    if c.reaches_end {
                        "exactly to the end of the file"
                    } else {
                        "to the end of the sample"
                    }
                ),
            ))
        }
        Records::Fixed { len } => Some((
            fr,
            format!(
                "the size fits the declared framing ({})",
                Framing {
                    header: fr.header,
                    records: Records::Fixed { len }
                }
                .describe()
            ),
        )),
        Records::None => Some((fr, format!("the size is the declared {} bytes", fr.header))),
        Records::Terminated { .. } => None,
    }
}

struct Chain {
    header: usize,
    field: LengthField,
    records: usize,
    reaches_end: bool,
    equal_lengths: bool,
    /// Records whose last byte is a NUL.
    nul_ends: usize,
    /// How much better the records' first columns agree than bytes at random places.
    excess: f64,
}

/// Follows the length field from `header`; `None` unless it chains to the
/// end of the file (or, for a sample, past its end after at least 8 records).
fn chain(bytes: &[u8], whole: bool, header: usize, field: LengthField) -> Option<Chain> {
    let mut pos = header;
    let mut starts = Vec::new();
    let mut first_len = None;
    let mut equal = true;
    let mut nul_ends = 0;
    let mut zeros = 0;
    let done = |starts: Vec<usize>, reaches_end: bool, equal: bool, nul_ends: usize| {
        // Records nearly all of one length are fixed records (a constant
        // that happens to chain them, or a length field of fixed records).
        let mut lens: Vec<usize> = starts.windows(2).map(|w| w[1] - w[0]).collect();
        lens.sort_unstable();
        let mut most = 0;
        for run in lens.chunk_by(|a, b| a == b) {
            most = most.max(run.len());
        }
        let nearly = lens.len() >= 4 && most * 10 >= lens.len() * 9;
        Chain {
            header,
            field,
            records: starts.len(),
            reaches_end,
            equal_lengths: equal || nearly,
            nul_ends,
            excess: column_excess(bytes, &starts, &field),
        }
    };
    loop {
        if pos == bytes.len() {
            let n = starts.len();
            return (n > 0 && (whole || n >= 8)).then(|| done(starts, whole, equal, nul_ends));
        }
        let Some(len) = field.record_len(&bytes[pos..]) else {
            // The sample may end inside a length field.
            let cut = !whole && pos + field.offset + field.width > bytes.len();
            return (cut && starts.len() >= 8).then(|| done(starts, false, equal, nul_ends));
        };
        if len > 1 << 20 {
            return None;
        }
        match first_len {
            None => first_len = Some(len),
            Some(f) if f != len => equal = false,
            _ => {}
        }
        // A length field that holds 0 is no length field: chains through
        // runs of zero bytes end here.
        if len == field.adjust {
            zeros += 1;
            if zeros * 10 > starts.len() + 1 {
                return None;
            }
        }
        if pos + len > bytes.len() {
            return (!whole && starts.len() >= 8).then(|| done(starts, false, equal, nul_ends));
        }
        if bytes[pos + len - 1] == 0 {
            nul_ends += 1;
        }
        starts.push(pos);
        pos += len;
        if equal && starts.len() >= 64 {
            // Records of one size: fixed records with a length field (or a
            // constant that happens to fit). Enough to say so.
            return Some(done(starts, false, true, nul_ends));
        }
        if starts.len() >= limits::RECORDS {
            // Far enough: a chain this long is no accident.
            return Some(done(starts, false, equal, nul_ends));
        }
    }
}

/// How much more the first bytes of the records agree, column by column,
/// than bytes taken at arbitrary places of the sample: the mean share of the
/// commonest value per column, less the same for pseudo-random places. A
/// true framing lines fields up (constants, high bytes of numbers, padding);
/// a chance chain does not.
fn column_excess(bytes: &[u8], starts: &[usize], field: &LengthField) -> f64 {
    const K: usize = 24;
    let starts = &starts[..starts.len().min(256)];
    if starts.len() < 2 {
        return 0.0;
    }
    // The same columns for every width of field at this offset, so that
    // readings giving the same chain score alike.
    let cols: Vec<usize> = (0..K)
        .filter(|j| !(field.offset..field.offset + 4).contains(j))
        .collect();
    let concentration = |at: &mut dyn Iterator<Item = usize>| -> f64 {
        let pos: Vec<usize> = at.collect();
        let mut sum = 0.0;
        let mut cols_used = 0;
        for &j in &cols {
            let mut counts = [0u16; 256];
            let mut n = 0;
            for &p in &pos {
                if let Some(&b) = bytes.get(p + j) {
                    counts[usize::from(b)] += 1;
                    n += 1;
                }
            }
            if n >= 2 {
                sum += f64::from(*counts.iter().max().unwrap_or(&0)) / f64::from(n);
                cols_used += 1;
            }
        }
        if cols_used == 0 {
            0.0
        } else {
            sum / cols_used as f64
        }
    };
    let aligned = concentration(&mut starts.iter().copied());
    // Deterministic pseudo-random places (a fixed LCG), as many as records.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let n = bytes.len().max(1) as u64;
    let mut random = (0..starts.len()).map(|_| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((x >> 33) % n) as usize
    });
    aligned - concentration(&mut random)
}

/// Length-field chains the bytes support: the best one with records of
/// varying length and, if any, one with records of one length.
fn best_chain(bytes: &[u8], whole: bool, declared: Option<&Layout>) -> Vec<Chain> {
    let mut headers = vec![0usize];
    if let Some(d) = declared {
        if d.header_len > 0 && d.header_len < bytes.len() {
            headers.push(d.header_len);
        }
    }
    headers.extend(1..=64usize.min(bytes.len()));
    headers.dedup();
    type Key = (i64, usize, usize, usize, usize, usize);
    let mut best: Option<(Chain, Key)> = None;
    let mut equal: Option<Chain> = None;
    for (hi, &header) in headers.iter().enumerate() {
        let known = hi == 0 || declared.is_some_and(|d| d.header_len == header);
        for offset in 0..=8usize {
            for width in [2usize, 4, 1] {
                for endian in [Endian::Little, Endian::Big] {
                    if width == 1 && endian == Endian::Big {
                        continue;
                    }
                    for adjust in 0..=16usize {
                        // After a guessed header, only the natural
                        // adjustments: the value counts the whole record, or
                        // what follows the field.
                        if !known && adjust != 0 && adjust != offset + width {
                            continue;
                        }
                        let field = LengthField {
                            offset,
                            width,
                            endian,
                            adjust,
                        };
                        let Some(c) = chain(bytes, whole, header, field) else {
                            continue;
                        };
                        if c.equal_lengths {
                            if equal.is_none() && c.records >= 4 && known {
                                equal = Some(c);
                            }
                            continue;
                        }
                        // Evidence beyond landing on the end: the records'
                        // columns line up, over enough records (a chain from
                        // a guessed header needs more).
                        let needed = if known { 2 } else { 4 };
                        let nul = c.nul_ends * 10 >= c.records * 9;
                        if c.records < needed || c.excess < 0.15 || (c.records < 4 && !nul) {
                            continue;
                        }
                        let key = (
                            -((c.excess * 10.0).floor() as i64),
                            usize::MAX - c.records,
                            header,
                            adjust,
                            offset,
                            // The widest reading that gives this chain: its
                            // high bytes are then the length's, not a field
                            // that is always zero.
                            [4, 2, 1].iter().position(|&w| w == width).unwrap_or(3),
                        );
                        if best.as_ref().is_none_or(|(_, b)| key < *b) {
                            best = Some((c, key));
                        }
                    }
                }
            }
        }
    }
    best.map(|(c, _)| c).into_iter().chain(equal).collect()
}

struct Terminated {
    fixed: usize,
    records: usize,
    reaches_end: bool,
}

/// The smallest fixed part after which NUL-terminated texts chain to the end.
fn best_terminated(bytes: &[u8], whole: bool) -> Option<Terminated> {
    'fixed: for fixed in 0..=64usize {
        let mut pos = 0;
        let mut records = 0;
        let mut texts = 0;
        while pos < bytes.len() {
            let Some(text) = bytes.get(pos + fixed..) else {
                if !whole && records >= 8 {
                    break;
                }
                continue 'fixed;
            };
            let Some(n) = memchr::memchr(0, text) else {
                if !whole && records >= 8 {
                    break;
                }
                continue 'fixed;
            };
            if !text[..n].iter().all(|&b| is_text_byte(b)) {
                continue 'fixed;
            }
            if n >= 2 {
                texts += 1;
            }
            pos += fixed + n + 1;
            records += 1;
            if records >= limits::RECORDS * 16 {
                break;
            }
        }
        // Most records must hold some text, else NULs in binary data chain too.
        if records >= 2 && texts * 2 >= records {
            return Some(Terminated {
                fixed,
                records,
                reaches_end: pos == bytes.len() && whole,
            });
        }
    }
    None
}

/// The autocorrelation of the sample's first bytes for every candidate
/// record size (up to a third of them: a size must repeat three times), and
/// its median.
fn autocorrelation(bytes: &[u8]) -> (Vec<Period>, f64) {
    let m = bytes.len().min(limits::AUTOCORRELATION_BYTES);
    let b = &bytes[..m];
    let max = limits::RECORD_SIZE.min(m / 3);
    let mut out = Vec::new();
    for s in 2..=max {
        let n = m - s;
        if n < 32 {
            break;
        }
        let (same, compared) = sampled_equal_bytes(b, s);
        out.push(Period {
            size: s,
            score: same as f64 / compared as f64,
            compared: n,
        });
    }
    let mut scores: Vec<f64> = out.iter().map(|p| p.score).collect();
    scores.sort_by(f64::total_cmp);
    let median = scores.get(scores.len() / 2).copied().unwrap_or(0.0);
    (out, median)
}

/// The most 8-byte groups compared for one candidate record size.
const GROUPS: usize = 128;

/// Equal bytes between `b` and `b` shifted by `s`: all of them when there
/// are few, else [`GROUPS`] groups of 8 spread evenly over the bytes (an odd
/// step, so that the groups fall on every column of any record size).
/// Returns (equal, compared).
fn sampled_equal_bytes(b: &[u8], s: usize) -> (usize, usize) {
    let n = b.len() - s;
    if n / 8 <= GROUPS {
        return (equal_bytes(&b[..n], &b[s..]), n);
    }
    let step = ((n - 8) / GROUPS) | 1;
    let mut same = 0;
    let mut compared = 0;
    let mut p = 0;
    while p + 8 <= n && compared < 8 * GROUPS {
        same += equal8(word(&b[p..]), word(&b[s + p..]));
        compared += 8;
        p += step;
    }
    (same, compared.max(1))
}

/// How many positions of `a` and `b` (of one length) hold equal bytes,
/// eight at a time (this runs for every candidate record size, so it is
/// written for speed, even in debug builds).
fn equal_bytes(a: &[u8], b: &[u8]) -> usize {
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut count = 0usize;
    for (x, y) in ca.zip(cb) {
        count += equal8(word(x), word(y));
    }
    count + ra.iter().zip(rb).filter(|(x, y)| x == y).count()
}

/// The first 8 bytes of `c` as a word.
fn word(c: &[u8]) -> u64 {
    u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
}

/// Equal bytes of two words: the XOR of equal bytes is 0, and this marks
/// each zero byte with its top bit.
fn equal8(x: u64, y: u64) -> usize {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let v = x ^ y;
    (!(((v & LOW7).wrapping_add(LOW7)) | v | LOW7)).count_ones() as usize
}

/// The `n` best-scoring sizes.
fn top_periods(periods: &[Period], n: usize) -> Vec<Period> {
    let mut p = periods.to_vec();
    p.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.size.cmp(&b.size)));
    p.truncate(n);
    p
}

/// The smallest fixed record size probe reports (smaller periods come from
/// runs of zeros and arrays inside records).
const MIN_RECORD: usize = 8;

/// The record size whose bytes repeat best, if one stands out: the size
/// whose multiples (up to 8 of them) score best on average, as only the true
/// record size and its multiples line every field up; the smallest of
/// nearly equal ones (a multiple of the record size does as well).
fn clear_period(periods: &[Period], baseline: f64) -> Option<Period> {
    let top = periods.iter().map(|p| p.score).fold(0.0, f64::max);
    // The peak must stand out from the typical size by a tenth of what the
    // typical size leaves unmatched.
    if top - baseline < 0.1 * (1.0 - baseline) || top - baseline < 0.01 {
        return None;
    }
    // `periods[i]` is the size i + 2.
    let harmonic = |p: &Period| -> f64 {
        let (mut sum, mut k) = (0.0, 0);
        let mut m = p.size;
        while k < 8 {
            let Some(q) = m.checked_sub(2).and_then(|i| periods.get(i)) else {
                break;
            };
            sum += q.score;
            k += 1;
            m += p.size;
        }
        sum / f64::from(k.max(1)) - baseline
    };
    // A record size must repeat at least three times in the bytes compared.
    let m = periods
        .iter()
        .map(|p| p.size + p.compared)
        .max()
        .unwrap_or(0);
    let scored: Vec<(Period, f64)> = periods
        .iter()
        .filter(|p| {
            p.size >= MIN_RECORD && 3 * p.size <= m && p.score >= baseline + 0.5 * (top - baseline)
        })
        .map(|p| (*p, harmonic(p)))
        .collect();
    let best = scored.iter().map(|s| s.1).fold(0.0, f64::max);
    scored.iter().find(|s| s.1 >= 0.9 * best).map(|s| s.0)
}

/// True when the record size `len` (or a multiple of it) is among the sizes
/// whose bytes repeat well.
fn supports(periods: &[Period], baseline: f64, len: usize) -> bool {
    let top = periods.iter().map(|p| p.score).fold(0.0, f64::max);
    periods
        .iter()
        .any(|p| p.size % len == 0 && p.score >= baseline + 0.5 * (top - baseline))
}

/// The header before fixed records of `s` bytes: the remainder of the size
/// plus the leading record-sized slots that look least like the others.
fn fixed_header(bytes: &[u8], size: u64, s: usize) -> usize {
    let r = (size % s as u64) as usize;
    let slots: Vec<&[u8]> = bytes
        .get(r..)
        .unwrap_or(&[])
        .chunks_exact(s)
        .take(256)
        .collect();
    if slots.len() < 4 {
        return r;
    }
    let reference = &slots[slots.len() / 2..];
    // Byte classes, not values: an unusual record still has text, zeros and
    // numbers where the others do; a header does not.
    let class = |b: u8| match b {
        0 => 0usize,
        0x20..=0x7E => 1,
        _ => 2,
    };
    let mut freq = vec![[0usize; 3]; s];
    for o in reference {
        for (j, &b) in o.iter().enumerate() {
            freq[j][class(b)] += 1;
        }
    }
    let mismatch = |slot: &[u8]| -> f64 {
        let sum: usize = slot
            .iter()
            .enumerate()
            .map(|(j, &b)| freq[j][class(b)])
            .sum();
        1.0 - sum as f64 / (s * reference.len()) as f64
    };
    let scores: Vec<f64> = slots.iter().map(|s| mismatch(s)).collect();
    let mut refs: Vec<f64> = scores[slots.len() / 2..].to_vec();
    refs.sort_by(f64::total_cmp);
    let med = refs[refs.len() / 2];
    // A header slot is unlike every record: beyond the most unusual of the
    // reference records, and well above the typical one.
    let most = refs[refs.len() - 1];
    let theta = (med + 0.7 * (1.0 - med)).max(most + 0.05);
    // The prefix of slots that most exceeds the threshold.
    let (mut best_k, mut best_sum, mut sum) = (0usize, 0.0f64, 0.0f64);
    for (k, &m) in scores.iter().enumerate().take(slots.len() / 2) {
        sum += m - theta;
        if sum > best_sum {
            best_sum = sum;
            best_k = k + 1;
        }
    }
    let header = r + best_k * s;
    if header > limits::HEADER {
        r
    } else {
        header
    }
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed_file(header: usize, len: usize, n: usize) -> Vec<u8> {
        let mut b = vec![0xEEu8; header];
        for i in 0..n {
            let mut rec = vec![0u8; len];
            rec[0] = 1;
            rec[1..6].copy_from_slice(b"Name_");
            rec[6] = b'a' + (i % 26) as u8;
            rec[len - 4..].copy_from_slice(&(i as u32 * 7919).to_le_bytes());
            b.extend_from_slice(&rec);
        }
        b
    }

    #[test]
    fn fixed_records_and_header_are_found() {
        let b = fixed_file(0, 45, 40);
        let r = find(&b, b.len() as u64, None);
        assert_eq!(
            r.found,
            Framing {
                header: 0,
                records: Records::Fixed { len: 45 }
            }
        );
        let b = fixed_file(100, 40, 40);
        let r = find(&b, b.len() as u64, None);
        assert_eq!(
            r.found,
            Framing {
                header: 100,
                records: Records::Fixed { len: 40 }
            },
            "{:?}",
            r.evidence
        );
    }

    #[test]
    fn length_prefixed_records_are_found() {
        let mut b = Vec::new();
        for i in 0..20usize {
            let text = format!("A Person{i}\tSMTP:p{i}@example.com");
            let len = 2 + 4 + text.len() + 1;
            b.extend_from_slice(&(len as u16 - 2).to_be_bytes());
            b.extend_from_slice(&(i as u32).to_le_bytes());
            b.extend_from_slice(text.as_bytes());
            b.push(0);
        }
        let r = find(&b, b.len() as u64, None);
        assert_eq!(
            r.found.records,
            Records::Prefixed {
                length: LengthField {
                    offset: 0,
                    width: 2,
                    endian: Endian::Big,
                    adjust: 2
                }
            },
            "{:?}",
            r.evidence
        );
        assert_eq!(r.ends_with_nul, Some((20, 20)));
    }

    #[test]
    fn equal_bytes_counts_every_equal_position() {
        let a: Vec<u8> = (0..200u32).map(|i| (i * 7 % 13) as u8).collect();
        for shift in 0..20 {
            let (x, y) = (&a[..a.len() - shift], &a[shift..]);
            let want = x.iter().zip(y).filter(|(p, q)| p == q).count();
            assert_eq!(equal_bytes(x, y), want, "shift {shift}");
        }
        assert_eq!(equal_bytes(&[0x80; 9], &[0x80; 9]), 9);
        assert_eq!(equal_bytes(&[0x00; 9], &[0x80; 9]), 0);
    }

    #[test]
    fn empty_and_structureless_inputs() {
        let r = find(&[], 0, None);
        assert_eq!(r.found.records, Records::None);
        let r = find(&[7], 1, None);
        assert_eq!(r.found.header, 1);
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let b: Vec<u8> = (0..3000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        let r = find(&b, b.len() as u64, None);
        assert_eq!(r.found.records, Records::None, "{:?}", r.evidence);
        assert_eq!(r.records_in_file, Some(0));
        // The first bytes of a larger file: how many records the unread
        // rest holds is not known.
        let r = find(&b, 1 << 30, None);
        assert_eq!(r.found.records, Records::None, "{:?}", r.evidence);
        assert_eq!(r.records_in_file, None);
    }
}
