//! The checksum search: which algorithm, over which bytes of the record,
//! reproduces a 16- or 32-bit field.
//!
//! The catalogue is every CRC-16 and CRC-32 algorithm of the `crc` crate
//! (its `crc-catalog`, the reveng catalogue) and the simple sums a DOS
//! program might use: byte sums and their two's complement, 16-bit word sums
//! in either byte order, Fletcher-16 and Adler-32. The ranges are every
//! contiguous byte range of the record that leaves the field out (ending at
//! a fixed offset, or, for records of varying length, a fixed distance from
//! the end) and "every byte of the record except the field" (glbtool's own
//! choice for queues). Each candidate is found on one record (the shortest),
//! then tested on up to [`limits::CHECKSUM_RECORDS`] others; it is dropped
//! at its first failure. The work is bounded by [`limits::CHECKSUM_WORK`]
//! byte updates, whatever the input.

use crc::{Crc, Digest};
use serde::Serialize;

use super::{limits, Confidence, Endian};

/// How an algorithm computes.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Crc16(&'static crc::Algorithm<u16>),
    Crc32(&'static crc::Algorithm<u32>),
    /// Sum of bytes, modulo 2^(8 × width).
    Sum,
    /// Two's complement of the byte sum (the record sums to 0 with it).
    NegSum,
    /// Sum of 16-bit words in this byte order (an odd last byte counts alone).
    Words(Endian),
    Fletcher16,
    Adler32,
}

/// One algorithm of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Algorithm {
    /// Its catalogue name (`CRC-16/ARC`) or a description.
    pub name: &'static str,
    /// Its width in bytes (2 or 4).
    pub width: usize,
    kind: Kind,
}

macro_rules! crcs {
    ($variant:ident, $w:expr, $($name:literal => $alg:ident),* $(,)?) => {
        [$(Algorithm { name: $name, width: $w, kind: Kind::$variant(&crc::$alg) }),*]
    };
}

const CRC16: [Algorithm; 31] = crcs!(Crc16, 2,
    "CRC-16/ARC" => CRC_16_ARC,
    "CRC-16/CDMA2000" => CRC_16_CDMA2000,
    "CRC-16/CMS" => CRC_16_CMS,
    "CRC-16/DDS-110" => CRC_16_DDS_110,
    "CRC-16/DECT-R" => CRC_16_DECT_R,
    "CRC-16/DECT-X" => CRC_16_DECT_X,
    "CRC-16/DNP" => CRC_16_DNP,
    "CRC-16/EN-13757" => CRC_16_EN_13757,
    "CRC-16/GENIBUS" => CRC_16_GENIBUS,
    "CRC-16/GSM" => CRC_16_GSM,
    "CRC-16/IBM-3740" => CRC_16_IBM_3740,
    "CRC-16/IBM-SDLC" => CRC_16_IBM_SDLC,
    "CRC-16/ISO-IEC-14443-3-A" => CRC_16_ISO_IEC_14443_3_A,
    "CRC-16/KERMIT" => CRC_16_KERMIT,
    "CRC-16/LJ1200" => CRC_16_LJ1200,
    "CRC-16/M17" => CRC_16_M17,
    "CRC-16/MAXIM-DOW" => CRC_16_MAXIM_DOW,
    "CRC-16/MCRF4XX" => CRC_16_MCRF4XX,
    "CRC-16/MODBUS" => CRC_16_MODBUS,
    "CRC-16/NRSC-5" => CRC_16_NRSC_5,
    "CRC-16/OPENSAFETY-A" => CRC_16_OPENSAFETY_A,
    "CRC-16/OPENSAFETY-B" => CRC_16_OPENSAFETY_B,
    "CRC-16/PROFIBUS" => CRC_16_PROFIBUS,
    "CRC-16/RIELLO" => CRC_16_RIELLO,
    "CRC-16/SPI-FUJITSU" => CRC_16_SPI_FUJITSU,
    "CRC-16/T10-DIF" => CRC_16_T10_DIF,
    "CRC-16/TELEDISK" => CRC_16_TELEDISK,
    "CRC-16/TMS37157" => CRC_16_TMS37157,
    "CRC-16/UMTS" => CRC_16_UMTS,
    "CRC-16/USB" => CRC_16_USB,
    "CRC-16/XMODEM" => CRC_16_XMODEM,
);

const CRC32: [Algorithm; 12] = crcs!(Crc32, 4,
    "CRC-32/AIXM" => CRC_32_AIXM,
    "CRC-32/AUTOSAR" => CRC_32_AUTOSAR,
    "CRC-32/BASE91-D" => CRC_32_BASE91_D,
    "CRC-32/BZIP2" => CRC_32_BZIP2,
    "CRC-32/CD-ROM-EDC" => CRC_32_CD_ROM_EDC,
    "CRC-32/CKSUM" => CRC_32_CKSUM,
    "CRC-32/ISCSI" => CRC_32_ISCSI,
    "CRC-32/ISO-HDLC" => CRC_32_ISO_HDLC,
    "CRC-32/JAMCRC" => CRC_32_JAMCRC,
    "CRC-32/MEF" => CRC_32_MEF,
    "CRC-32/MPEG-2" => CRC_32_MPEG_2,
    "CRC-32/XFER" => CRC_32_XFER,
);

const SUMS: [Algorithm; 8] = [
    Algorithm {
        name: "16-bit sum of bytes",
        width: 2,
        kind: Kind::Sum,
    },
    Algorithm {
        name: "two's complement of the 16-bit sum of bytes",
        width: 2,
        kind: Kind::NegSum,
    },
    Algorithm {
        name: "16-bit sum of little-endian words",
        width: 2,
        kind: Kind::Words(Endian::Little),
    },
    Algorithm {
        name: "16-bit sum of big-endian words",
        width: 2,
        kind: Kind::Words(Endian::Big),
    },
    Algorithm {
        name: "Fletcher-16",
        width: 2,
        kind: Kind::Fletcher16,
    },
    Algorithm {
        name: "32-bit sum of bytes",
        width: 4,
        kind: Kind::Sum,
    },
    Algorithm {
        name: "two's complement of the 32-bit sum of bytes",
        width: 4,
        kind: Kind::NegSum,
    },
    Algorithm {
        name: "Adler-32",
        width: 4,
        kind: Kind::Adler32,
    },
];

/// The CRC engines (tables), built at compile time, in catalogue order.
static CRC16_ENGINES: [Crc<u16>; 31] = engines16();
static CRC32_ENGINES: [Crc<u32>; 12] = engines32();

const fn engines16() -> [Crc<u16>; 31] {
    let mut out = [const { Crc::<u16>::new(&crc::CRC_16_ARC) }; 31];
    let mut i = 0;
    while i < 31 {
        if let Kind::Crc16(a) = CRC16[i].kind {
            out[i] = Crc::<u16>::new(a);
        }
        i += 1;
    }
    out
}

const fn engines32() -> [Crc<u32>; 12] {
    let mut out = [const { Crc::<u32>::new(&crc::CRC_32_ISO_HDLC) }; 12];
    let mut i = 0;
    while i < 12 {
        if let Kind::Crc32(a) = CRC32[i].kind {
            out[i] = Crc::<u32>::new(a);
        }
        i += 1;
    }
    out
}

/// Every algorithm searched: CRCs first.
pub fn catalogue() -> impl Iterator<Item = &'static Algorithm> {
    CRC16.iter().chain(CRC32.iter()).chain(SUMS.iter())
}

/// The algorithm called `name`, if the catalogue has it.
pub fn algorithm(name: &str) -> Option<&'static Algorithm> {
    catalogue().find(|a| a.name == name)
}

/// Where a covered range ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// At this offset from the record's start.
    At(usize),
    /// This many bytes before the record's end.
    FromEnd(usize),
}

/// The bytes a checksum covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Cover {
    /// Every byte of the record except the checksum field.
    AllButField,
    /// Bytes `start..end` of the record.
    Span {
        /// First byte covered.
        start: usize,
        /// Where the range ends.
        end: End,
    },
}

/// A checksum rule: algorithm, covered bytes, byte order of the stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Rule {
    /// The algorithm's name.
    pub algorithm: &'static str,
    /// The bytes covered.
    pub cover: Cover,
    /// The stored value's byte order.
    pub endian: Endian,
}

impl Rule {
    /// "CRC-16/ARC over bytes +4..end-1, stored LE".
    pub fn describe(&self) -> String {
        format!(
            "{} over {}, stored {}",
            self.algorithm,
            self.cover.describe(),
            self.endian.short()
        )
    }

    /// The value this rule gives for a record whose field is at
    /// `start..start + width`; `None` when the record is too short for it.
    pub fn compute(&self, rec: &[u8], start: usize, width: usize) -> Option<u64> {
        let alg = algorithm(self.algorithm)?;
        let end = start.checked_add(width)?;
        match self.cover {
            Cover::AllButField => Some(compute(alg, &[rec.get(..start)?, rec.get(end..)?])),
            Cover::Span { .. } => Some(compute(alg, &[rec.get(self.cover.range(rec.len())?)?])),
        }
    }

    /// True when the record's stored field equals the computed value.
    pub fn holds(&self, rec: &[u8], start: usize, width: usize) -> bool {
        let Some(stored) = rec.get(start..start + width) else {
            return false;
        };
        if let Cover::Span { .. } = self.cover {
            match self.cover.range(rec.len()) {
                Some(r) if r.end <= start || r.start >= start + width => {}
                _ => return false,
            }
        }
        self.compute(rec, start, width) == Some(self.endian.read(stored))
    }
}

impl Cover {
    /// The byte range in a record of `len` bytes (not for `AllButField`).
    pub fn range(&self, len: usize) -> Option<std::ops::Range<usize>> {
        match *self {
            Cover::AllButField => None,
            Cover::Span { start, end } => {
                let e = match end {
                    End::At(e) => e,
                    End::FromEnd(k) => len.checked_sub(k)?,
                };
                (start < e && e <= len).then_some(start..e)
            }
        }
    }

    /// "bytes +4..+45" / "bytes +4..end-1" / "the record except the field".
    pub fn describe(&self) -> String {
        match *self {
            Cover::AllButField => "every byte of the record except the field".into(),
            Cover::Span { start, end } => match end {
                End::At(e) => format!("bytes +{start}..+{e}"),
                End::FromEnd(0) => format!("bytes +{start}..end"),
                End::FromEnd(k) => format!("bytes +{start}..end-{k}"),
            },
        }
    }
}

/// An incremental computation of one algorithm.
#[derive(Clone)]
enum State<'a> {
    Crc16(Digest<'a, u16>),
    Crc32(Digest<'a, u32>),
    Sum(u64),
    Words {
        acc: u64,
        odd: Option<u8>,
        endian: Endian,
    },
    Fletcher {
        a: u32,
        b: u32,
    },
    Adler {
        a: u32,
        b: u32,
    },
}

/// Starts an incremental computation of `alg`.
fn begin(alg: &Algorithm) -> State<'static> {
    match alg.kind {
        Kind::Crc16(_) => match CRC16.iter().position(|x| x.name == alg.name) {
            Some(i) => State::Crc16(CRC16_ENGINES[i].digest()),
            None => State::Sum(0),
        },
        Kind::Crc32(_) => match CRC32.iter().position(|x| x.name == alg.name) {
            Some(i) => State::Crc32(CRC32_ENGINES[i].digest()),
            None => State::Sum(0),
        },
        Kind::Sum | Kind::NegSum => State::Sum(0),
        Kind::Words(endian) => State::Words {
            acc: 0,
            odd: None,
            endian,
        },
        Kind::Fletcher16 => State::Fletcher { a: 0, b: 0 },
        Kind::Adler32 => State::Adler { a: 1, b: 0 },
    }
}

impl State<'_> {
    fn update(&mut self, byte: u8) {
        match self {
            State::Crc16(d) => d.update(&[byte]),
            State::Crc32(d) => d.update(&[byte]),
            State::Sum(s) => *s = s.wrapping_add(u64::from(byte)),
            State::Words { acc, odd, endian } => match odd.take() {
                None => *odd = Some(byte),
                Some(first) => *acc = acc.wrapping_add(endian.read(&[first, byte])),
            },
            State::Fletcher { a, b } => {
                *a = (*a + u32::from(byte)) % 255;
                *b = (*b + *a) % 255;
            }
            State::Adler { a, b } => {
                *a = (*a + u32::from(byte)) % 65_521;
                *b = (*b + *a) % 65_521;
            }
        }
    }

    fn value(&self, alg: &Algorithm) -> u64 {
        let mask = if alg.width == 2 { 0xFFFF } else { 0xFFFF_FFFF };
        match (self, alg.kind) {
            (State::Crc16(d), _) => u64::from(d.clone().finalize()),
            (State::Crc32(d), _) => u64::from(d.clone().finalize()),
            (State::Sum(s), Kind::NegSum) => s.wrapping_neg() & mask,
            (State::Sum(s), _) => s & mask,
            (State::Words { acc, odd, endian }, _) => {
                let last = odd.map_or(0, |b| endian.read(&[b, 0]));
                acc.wrapping_add(last) & mask
            }
            (State::Fletcher { a, b }, _) => u64::from((*b << 8) | *a),
            (State::Adler { a, b }, _) => u64::from((*b << 16) | *a),
        }
    }
}

/// The algorithm's value over the concatenation of `parts`.
pub fn compute(alg: &Algorithm, parts: &[&[u8]]) -> u64 {
    let mut st = begin(alg);
    match &mut st {
        State::Crc16(d) => parts.iter().for_each(|p| d.update(p)),
        State::Crc32(d) => parts.iter().for_each(|p| d.update(p)),
        _ => {
            for p in parts {
                for &b in *p {
                    st.update(b);
                }
            }
        }
    }
    st.value(alg)
}

/// A checksum found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The field's offset.
    pub start: usize,
    /// Its width.
    pub width: usize,
    /// The rule that reproduces it.
    pub rule: Rule,
    /// Records it held on.
    pub tested: usize,
    /// Other rules that held on every tested record too.
    pub alternatives: usize,
}

impl Found {
    /// High from 8 records, medium from 3.
    pub fn confidence(&self) -> Confidence {
        if self.tested >= 8 {
            Confidence::High
        } else if self.tested >= 3 {
            Confidence::Medium
        } else {
            Confidence::Low
        }
    }
}

/// Searches each candidate field `(start, width)` of `records` (fields lie
/// in the first `head` bytes, which every record has). Needs at least three
/// records (one to find a rule, two to test it). Returns the checksums found
/// and the windows searched completely in vain.
pub fn search(
    records: &[&[u8]],
    windows: &[(usize, usize)],
    head: usize,
) -> (Vec<Found>, Vec<(usize, usize)>) {
    let mut out = Vec::new();
    let mut vain = Vec::new();
    if records.len() < 3 {
        return (out, vain);
    }
    let variable = records.iter().any(|r| r.len() != records[0].len());
    let mut work = 0u64;
    for &(start, width) in windows {
        if start + width > head || out.len() >= limits::CHECKSUM_FIELDS {
            continue;
        }
        if out
            .iter()
            .any(|f: &Found| start < f.start + f.width && f.start < start + width)
        {
            continue;
        }
        let Some(first) = records.iter().min_by_key(|r| r.len()) else {
            break;
        };
        let others: Vec<&[u8]> = records
            .iter()
            .take(limits::CHECKSUM_RECORDS)
            .filter(|r| !std::ptr::eq(**r, *first))
            .copied()
            .collect();
        let Some(mut rules) = candidates(first, start, width, variable, &mut work) else {
            // So many rules fit one record that its bytes are too regular
            // (runs of zeros) to tell them apart.
            continue;
        };
        let complete = work <= limits::CHECKSUM_WORK;
        let mut tested = 1;
        let mut next = others.iter();
        // Many rules fit the first record: narrow them with the rules that
        // fit the next records, found the same way, before testing each.
        while rules.len() > MAX_RULES {
            let Some(rec) = next.next() else { break };
            let Some(fit) = candidates(rec, start, width, variable, &mut work) else {
                break;
            };
            let fit: std::collections::HashSet<Rule> = fit.into_iter().collect();
            rules.retain(|r| fit.contains(r));
            tested += 1;
        }
        if rules.len() > MAX_RULES {
            continue;
        }
        let mut unfinished = false;
        for rec in next {
            if rules.is_empty() {
                break;
            }
            if work > limits::CHECKSUM_WORK {
                // Out of time: a rule not tested on every record is no finding.
                unfinished = true;
                break;
            }
            work += (rec.len() * rules.len()) as u64;
            rules.retain(|r| r.holds(rec, start, width));
            tested += 1;
        }
        if unfinished {
            break;
        }
        if rules.is_empty() {
            if complete {
                vain.push((start, width));
            }
            if work > limits::CHECKSUM_WORK {
                break;
            }
            continue;
        }
        // The widest cover wins; then CRCs before sums (catalogue order).
        let len = first.len();
        let covered = |r: &Rule| match r.cover {
            Cover::AllButField => len.saturating_sub(width),
            c => c.range(len).map_or(0, |r| r.len()),
        };
        let best = rules
            .iter()
            .copied()
            .max_by_key(|r| (covered(r), std::cmp::Reverse(rank(r.algorithm))))
            .unwrap_or(rules[0]);
        out.push(Found {
            start,
            width,
            rule: best,
            tested,
            alternatives: rules.len() - 1,
        });
        if work > limits::CHECKSUM_WORK {
            break;
        }
    }
    (out, vain)
}

/// The most rules tested one by one on further records.
const MAX_RULES: usize = 64;
/// The most rules one record may fit before its field is taken to be
/// unidentifiable (bytes too regular).
const MAX_FOUND: usize = 4096;

fn rank(name: &str) -> usize {
    catalogue()
        .position(|a| a.name == name)
        .unwrap_or(usize::MAX)
}

/// Every rule that reproduces the field in one record; `None` when more than
/// [`MAX_FOUND`] do.
fn candidates(
    rec: &[u8],
    start: usize,
    width: usize,
    variable: bool,
    work: &mut u64,
) -> Option<Vec<Rule>> {
    let len = rec.len();
    let end = start + width;
    let Some(stored) = rec.get(start..end) else {
        return Some(Vec::new());
    };
    let le = Endian::Little.read(stored);
    let be = Endian::Big.read(stored);
    let algs: Vec<&Algorithm> = catalogue().filter(|a| a.width == width).collect();
    let fresh: Vec<State<'static>> = algs.iter().map(|a| begin(a)).collect();
    let mut found: Vec<(usize, Cover, u64)> = Vec::new();
    for (ai, alg) in algs.iter().enumerate() {
        let v = compute(alg, &[&rec[..start], &rec[end..]]);
        found.push((ai, Cover::AllButField, v));
    }
    // Starts in order of likelihood: the record's start, just after the
    // field, then the rest.
    let span = limits::CHECKSUM_SPAN;
    let mut starts: Vec<usize> = vec![0, end];
    starts.extend((1..len.min(span)).filter(|&a| a != end && !(start..end).contains(&a)));
    'starts: for a in starts {
        if a >= len {
            continue;
        }
        let stop = if a < start { start } else { len.min(a + span) };
        for (ai, alg) in algs.iter().enumerate() {
            *work += (stop - a) as u64;
            if *work > limits::CHECKSUM_WORK {
                break 'starts;
            }
            let mut st = fresh[ai].clone();
            for (b, &byte) in rec.iter().enumerate().take(stop).skip(a) {
                st.update(byte);
                let v = st.value(alg);
                if v == le || v == be {
                    if found.len() > MAX_FOUND {
                        return None;
                    }
                    let e = b + 1;
                    found.push((
                        ai,
                        Cover::Span {
                            start: a,
                            end: End::At(e),
                        },
                        v,
                    ));
                    if variable {
                        found.push((
                            ai,
                            Cover::Span {
                                start: a,
                                end: End::FromEnd(len - e),
                            },
                            v,
                        ));
                    }
                }
            }
        }
    }
    let mut rules = Vec::new();
    for (ai, cover, v) in found {
        for (endian, stored) in [(Endian::Little, le), (Endian::Big, be)] {
            if v == stored {
                rules.push(Rule {
                    algorithm: algs[ai].name,
                    cover,
                    endian,
                });
            }
        }
    }
    Some(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_names_match_their_check_values() {
        for a in CRC16.iter().chain(CRC32.iter()) {
            let check = match a.kind {
                Kind::Crc16(x) => u64::from(x.check),
                Kind::Crc32(x) => u64::from(x.check),
                _ => unreachable!(),
            };
            assert_eq!(compute(a, &[b"123456789"]), check, "{}", a.name);
            // The incremental engine agrees with the one-shot one.
            let mut st = begin(a);
            b"123456789".iter().for_each(|&b| st.update(b));
            assert_eq!(st.value(a), check, "{}", a.name);
        }
        // Known values of the sums.
        let s = |n: &str| compute(algorithm(n).unwrap(), &[b"123456789"]);
        assert_eq!(s("16-bit sum of bytes"), 0x1DD);
        assert_eq!(s("two's complement of the 16-bit sum of bytes"), 0xFE23);
        assert_eq!(s("Fletcher-16"), 0x1EDE);
        assert_eq!(s("Adler-32"), 0x091E_01DE);
        assert_eq!(
            s("16-bit sum of little-endian words"),
            0x3231 + 0x3433 + 0x3635 + 0x3837 + 0x39
        );
    }

    #[test]
    fn a_crc_over_a_range_is_found_and_tested() {
        let alg = algorithm("CRC-16/XMODEM").unwrap();
        let recs: Vec<Vec<u8>> = (0..10u32)
            .map(|i| {
                let mut r = vec![0u8; 30];
                r[0] = 0xA5;
                r[1] = 0x5A;
                r[2..6].copy_from_slice(&(i * 977 + 13).to_le_bytes());
                r[6..20].copy_from_slice(format!("name number {i:02}").as_bytes());
                let c = compute(alg, &[&r[2..20]]) as u16;
                r[28..30].copy_from_slice(&c.to_be_bytes());
                r
            })
            .collect();
        let rows: Vec<&[u8]> = recs.iter().map(Vec::as_slice).collect();
        let (f, _) = search(&rows, &[(28, 2)], 30);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].rule,
            Rule {
                algorithm: "CRC-16/XMODEM",
                cover: Cover::Span {
                    start: 2,
                    end: End::At(20)
                },
                endian: Endian::Big
            }
        );
        assert_eq!(f[0].tested, 10);
    }
}
