//! Field detectors: what each byte range of the records is, by evidence
//! across records.
//!
//! Text is found first (columns that hold text or NULs in every record,
//! split where texts start after a NUL); then, over the other bytes, every
//! 2- and 4-byte window in both byte orders is tested as a time stamp, a
//! counter, a checksum ([`super::checksum`]), a pointer and a hexid, and
//! single bytes as codes; the best reading of each byte wins (time stamps,
//! then counters, checksums, pointers, hexids, codes), then constants, and
//! what is left "varies". Ties between byte orders go to the order the rest
//! of the file uses, else little-endian (KB Q119563).

use std::collections::{BTreeMap, HashSet};

use super::checksum;
use super::frame::{is_text_byte, Framing, Records};
use super::{limits, Confidence, Endian, Found, Sibling, TimeEncoding, What};
use crate::codepage::CodePage;
use crate::layout::Role;
use crate::probe::layout::Ty;

/// What the detectors know about the file besides the records.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The whole file's size.
    pub size: u64,
    /// How the records were cut.
    pub framing: &'a Framing,
    /// The other files of the postoffice.
    pub siblings: &'a [Sibling],
    /// The file is a transaction queue (its texts are Import transactions).
    pub queue: bool,
    /// The code page of the text.
    pub codepage: CodePage,
}

/// 1985-01-01T00:00:00Z.
pub const EARLIEST: i64 = 473_385_600;
/// 2011-01-01T00:00:00Z (the window ends with 2010).
pub const LATEST: i64 = 1_293_840_000;
/// Time stamps of one file lie within this many seconds of each other (10 years).
const SPREAD: i64 = 10 * 366 * 86_400;

/// True when most time stamps lie close together: 80% within three years of
/// their median (times of one file cluster; bytes that merely fall in the
/// 1985-2010 window scatter).
fn clustered(set: &[i64]) -> bool {
    let mut v = set.to_vec();
    v.sort_unstable();
    let Some(&median) = v.get(v.len() / 2) else {
        return false;
    };
    let near = v
        .iter()
        .filter(|&&t| (t - median).abs() <= 3 * 366 * 86_400)
        .count();
    near * 5 >= v.len() * 4
}

/// True for a C `time_t` between 1985 and 2010.
pub fn plausible_unix(v: u64) -> bool {
    (EARLIEST as u64..LATEST as u64).contains(&v)
}

/// Reads an MS-DOS date word and time word as seconds since 1970 (of the
/// local time they hold), if both are valid and the year is 1985 to 2010.
pub fn dos_time(date: u16, time: u16) -> Option<i64> {
    let year = 1980 + i64::from(date >> 9);
    let month = (date >> 5) & 0xF;
    let day = date & 0x1F;
    let (h, m, s2) = (time >> 11, (time >> 5) & 0x3F, time & 0x1F);
    if !(1985..=2010).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || h > 23
        || m > 59
        || s2 > 29
    {
        return None;
    }
    let days = days_from_civil(year, i64::from(month), i64::from(day))?;
    Some(days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s2) * 2)
}

/// Days since 1970-01-01 of a proleptic Gregorian date, `None` for a day the
/// month does not have. (Arithmetic rather than a calendar crate's date
/// type: it runs for every record of every candidate field.)
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d > month_days[usize::try_from(m - 1).ok()?] {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Reads a 4-byte DOS stamp.
pub fn dos_stamp(b: &[u8], endian: Endian, date_first: bool) -> Option<i64> {
    let w1 = endian.read(&b[0..2]) as u16;
    let w2 = endian.read(&b[2..4]) as u16;
    let (date, time) = if date_first { (w1, w2) } else { (w2, w1) };
    dos_time(date, time)
}

/// Fields of one block (a header, or a file's only record): values only, so
/// every finding is of low confidence.
pub fn single(block: &[u8], ctx: &Context<'_>) -> Vec<Found> {
    let mut out = Vec::new();
    let n = block.len();
    let mut i = 0;
    let mut taken = vec![false; n];
    // Texts: runs of at least 3 text bytes, mostly letters or digits, with
    // the NULs after them.
    while i < n {
        if block[i] != 0 && is_text_byte(block[i]) {
            let start = i;
            while i < n && block[i] != 0 && is_text_byte(block[i]) {
                i += 1;
            }
            let run = &block[start..i];
            let alnum = run.iter().filter(|b| b.is_ascii_alphanumeric()).count();
            if run.len() >= 3 && alnum * 2 >= run.len() {
                let mut end = i;
                while end < n && block[end] == 0 {
                    end += 1;
                }
                // The NULs after a text pad it, unless there are many (then
                // they are probably a field of their own).
                if end - i > 16 {
                    end = i + 1;
                }
                let end = end.min(n);
                let f = text_found(&[block], start, end - start, false, ctx);
                taken[start..end].iter_mut().for_each(|t| *t = true);
                out.push(f);
                i = end;
            }
        } else {
            i += 1;
        }
    }
    // Time stamps (little-endian only: one instance cannot tell byte order).
    let mut o = 0;
    while o + 4 <= n {
        if taken[o..o + 4].iter().any(|&t| t) {
            o += 1;
            continue;
        }
        let v = Endian::Little.read(&block[o..o + 4]);
        if plausible_unix(v) {
            taken[o..o + 4].iter_mut().for_each(|t| *t = true);
            out.push(one_unix_time(
                o,
                v,
                "one value, reading as a date between 1985 and 2010".into(),
            ));
            o += 4;
        } else {
            o += 1;
        }
    }
    rest_as_runs(&[block], &taken, &mut out);
    out.sort_by_key(|f| f.start);
    fill_examples(&mut out, Some(block), ctx, false);
    out
}

/// A little-endian 32-bit field at `start` that holds one value, `v`,
/// plausible as a C `time_t`: a time stamp, at low confidence (one value
/// cannot tell more).
fn one_unix_time(start: usize, v: u64, evidence: String) -> Found {
    Found {
        start,
        len: Some(4),
        ty: Ty::U32(Endian::Little),
        what: What::Time {
            encoding: TimeEncoding::Unix,
            earliest: v as i64,
            latest: v as i64,
            unset: 0,
        },
        confidence: Confidence::Low,
        evidence,
        examples: Vec::new(),
    }
}

/// A candidate reading of a byte range.
struct Candidate {
    found: Found,
    /// Lower is preferred: the kind of reading.
    rank: u8,
    /// Lower is preferred among readings of one rank and confidence (for
    /// counters: 0 for +1 per record, else the median step).
    quality: u64,
}

/// Fields of records (at least one), by evidence across them.
pub fn fields(records: &[&[u8]], ctx: &Context<'_>) -> Vec<Found> {
    if records.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    // The fixed part every record has (provisionally, for variable records:
    // all but the NUL of the shortest record), and the length field.
    let variable = matches!(
        ctx.framing.records,
        Records::Prefixed { .. } | Records::Terminated { .. }
    );
    let shortest = records.iter().map(|r| r.len()).min().unwrap_or(0);
    let mut width = match ctx.framing.records {
        Records::Fixed { len } => len,
        _ if variable => shortest.saturating_sub(1),
        _ => shortest,
    };
    let mut taken = vec![false; width];
    if let Records::Prefixed { length } = ctx.framing.records {
        if length.offset + length.width <= width {
            taken[length.offset..length.offset + length.width]
                .iter_mut()
                .for_each(|t| *t = true);
            out.push(Found {
                start: length.offset,
                len: Some(length.width),
                ty: Ty::of_width(length.width, length.endian),
                what: What::Length {
                    adjust: length.adjust,
                },
                confidence: Confidence::High,
                evidence: "its values chain the records (see framing)".into(),
                examples: Vec::new(),
            });
        }
    }

    // Time stamps and counters sure enough to go before text: many records
    // agree, and some of their bytes are control bytes, which text never
    // holds (the high bytes of a time stamp can be text; sorted names can
    // look like increasing numbers; a command letter and a space, `A `,
    // read as a DOS date in February 1996, and code-page letters are text).
    let rows: Vec<&[u8]> = records.iter().map(|r| &r[..width]).collect();
    let early: Vec<Candidate> = number_candidates(&rows, &taken, ctx)
        .into_iter()
        .filter(|c| {
            let (s, l) = (c.found.start, c.found.len.unwrap_or(0));
            let sure = match c.found.what {
                What::Time { .. } => c.found.confidence >= Confidence::Medium,
                _ => c.found.confidence == Confidence::High,
            };
            c.rank <= 1
                && sure
                && rows
                    .iter()
                    .any(|r| r[s..s + l].iter().any(|&b| b != 0 && !is_text_byte(b)))
        })
        .collect();
    let endian = vote(&early);
    assign(early, endian, &mut taken, &mut out);

    // The text of variable records: after the fixed part (which ends after
    // the last number found above) to the NUL.
    if variable {
        let numbers_end = out
            .iter()
            .map(|f| f.start + f.len.unwrap_or(0))
            .max()
            .unwrap_or(0);
        let t = match ctx.framing.records {
            Records::Terminated { fixed } => fixed,
            _ => tail_start(records).max(numbers_end),
        }
        .min(width);
        width = t;
        taken.truncate(t);
        let texts: Vec<&[u8]> = records.iter().map(|r| &r[t..]).collect();
        // Text when every record holds text and ends with its NUL; else
        // bytes of varying length with no pattern.
        let is_text = texts.iter().all(|x| match x.split_last() {
            Some((0, body)) => body.iter().all(|&b| b != 0 && is_text_byte(b)),
            _ => false,
        });
        let mut f = if is_text {
            text_found(&texts, 0, usize::MAX, true, ctx)
        } else {
            Found {
                start: 0,
                len: None,
                ty: Ty::Bytes,
                what: What::Varies {
                    distinct: texts.iter().collect::<HashSet<_>>().len(),
                    classes: classes(texts.iter().copied()),
                    checksum_searched: false,
                },
                confidence: Confidence::Low,
                evidence: "the rest of each record: not text ended by a NUL in every record".into(),
                examples: Vec::new(),
            }
        };
        f.start = t;
        f.len = None;
        out.push(f);
    }
    let rows: Vec<&[u8]> = records.iter().map(|r| &r[..width]).collect();

    // Text fields of the fixed part.
    for (start, len) in text_columns(&rows, &taken) {
        taken[start..start + len].iter_mut().for_each(|t| *t = true);
        out.push(text_found(&rows, start, len, false, ctx));
    }

    // Numbers: time stamps and counters first, then checksums among the
    // random-looking windows left, then the rest.
    let cands = number_candidates(&rows, &taken, ctx);
    let endian = vote(&cands).or(endian);
    let (strong, mut weak): (Vec<Candidate>, Vec<Candidate>) =
        cands.into_iter().partition(|c| c.rank <= 1);
    assign(strong, endian, &mut taken, &mut out);
    let free_random = random_windows(&rows, &taken);
    let (sums, searched) = checksum::search(records, &free_random, width);
    for s in sums {
        weak.push(Candidate {
            rank: 2,
            quality: 0,
            found: Found {
                start: s.start,
                len: Some(s.width),
                ty: Ty::of_width(s.width, s.rule.endian),
                confidence: s.confidence(),
                evidence: format!(
                    "{} reproduces it in all {} records tested",
                    s.rule.describe(),
                    s.tested
                ),
                what: What::Checksum {
                    rule: Some(s.rule),
                    tested: s.tested,
                    alternatives: s.alternatives,
                },
                examples: Vec::new(),
            },
        });
    }
    // Windows searched for a checksum in vain, if nothing better explains them.
    for &(start, w) in &searched {
        let distinct: HashSet<&[u8]> = rows.iter().map(|r| &r[start..start + w]).collect();
        weak.push(Candidate {
            rank: 7,
            quality: 0,
            found: Found {
                start,
                len: Some(w),
                ty: Ty::Bytes,
                what: What::Varies {
                    distinct: distinct.len(),
                    classes: classes(rows.iter().map(|r| &r[start..start + w])),
                    checksum_searched: true,
                },
                confidence: Confidence::Low,
                evidence: format!(
                    "looks random ({} distinct values in {} records), but no CRC-16, CRC-32 or sum of the catalogue over any byte range reproduces it",
                    distinct.len(),
                    rows.len()
                ),
                examples: Vec::new(),
            },
        });
    }
    assign(weak, endian, &mut taken, &mut out);
    rest_as_runs(&rows, &taken, &mut out);
    out.sort_by_key(|f| f.start);
    fill_examples_records(&mut out, records, ctx, false);
    out
}

/// Gives each candidate its bytes, best first, when they are still free.
fn assign(
    mut cands: Vec<Candidate>,
    endian: Option<Endian>,
    taken: &mut [bool],
    out: &mut Vec<Found>,
) {
    // Where two byte orders read alike, the order of the file's clear
    // fields wins, else little-endian (the order of postoffice files, KB
    // Q119563): `00 00 00 07` before a zero is a big-endian 7 at one offset
    // and a little-endian 7 three bytes on.
    let endian = endian.unwrap_or(Endian::Little);
    cands.sort_by(|a, b| {
        let ea = a.found.ty.endian().is_none_or(|e| e == endian);
        let eb = b.found.ty.endian().is_none_or(|e| e == endian);
        a.rank
            .cmp(&b.rank)
            .then(b.found.confidence.cmp(&a.found.confidence))
            .then(a.quality.cmp(&b.quality))
            .then(eb.cmp(&ea))
            .then(b.found.len.cmp(&a.found.len))
            .then(a.found.start.cmp(&b.found.start))
    });
    for c in cands {
        let (s, l) = (c.found.start, c.found.len.unwrap_or(0));
        if s + l <= taken.len() && !taken[s..s + l].iter().any(|&t| t) {
            taken[s..s + l].iter_mut().for_each(|t| *t = true);
            out.push(c.found);
        }
    }
}

/// Where the text of variable records starts: the commonest start of the
/// text run that ends with each record's last (NUL) byte.
fn tail_start(records: &[&[u8]]) -> usize {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for r in records {
        let body = match r.split_last() {
            Some((0, body)) => body,
            _ => r,
        };
        let mut s = body.len();
        while s > 0 && is_text_byte(body[s - 1]) {
            s -= 1;
        }
        *counts.entry(s).or_default() += 1;
    }
    // The commonest start; on a tie, the later one.
    counts
        .iter()
        .max_by_key(|(s, c)| (**c, **s))
        .map_or(0, |(s, _)| *s)
}

/// Text fields among the free columns of fixed rows: `(start, len)`.
fn text_columns(rows: &[&[u8]], taken: &[bool]) -> Vec<(usize, usize)> {
    let width = taken.len();
    let texty: Vec<bool> = (0..width)
        .map(|j| !taken[j] && rows.iter().all(|r| r[j] == 0 || is_text_byte(r[j])))
        .collect();
    let mut out = Vec::new();
    let mut j = 0;
    while j < width {
        if !texty[j] {
            j += 1;
            continue;
        }
        let a = j;
        while j < width && texty[j] {
            j += 1;
        }
        let b = j;
        // Where texts start: after a NUL (or at the run's start).
        let starts: Vec<usize> = (a..b)
            .filter(|&c| {
                let nonzero = rows.iter().filter(|r| r[c] != 0).count();
                let begin = rows
                    .iter()
                    .filter(|r| r[c] != 0 && (c == a || r[c - 1] == 0))
                    .count();
                // With few records one text starting after a NUL marks a
                // new field; with more, two (a byte left after a NUL is rare).
                let needed = if rows.len() <= 4 { 1 } else { 2 };
                begin > 0 && (c == a || (begin >= needed && begin * 10 >= nonzero * 3))
            })
            .collect();
        for (k, &s) in starts.iter().enumerate() {
            let e = starts.get(k + 1).copied().unwrap_or(b);
            if is_wordy(rows, s, e) {
                out.push((s, e - s));
            }
        }
    }
    out
}

/// True when columns `s..e` hold text worth the name: some text of at least
/// 3 bytes (2 in a wide field), mostly letters, digits and spaces.
fn is_wordy(rows: &[&[u8]], s: usize, e: usize) -> bool {
    let (mut longest, mut chars, mut alnum) = (0, 0, 0);
    for r in rows {
        let t = text_of(&r[s..e]);
        longest = longest.max(t.len());
        chars += t.len();
        alnum += t
            .iter()
            .filter(|b| b.is_ascii_alphanumeric() || **b == b' ')
            .count();
    }
    (longest >= 3 || (longest >= 2 && e - s >= 4)) && alnum * 2 >= chars
}

/// The bytes of a text field before its first NUL.
pub fn text_of(b: &[u8]) -> &[u8] {
    memchr::memchr(0, b).map_or(b, |n| &b[..n])
}

/// A text field found at `start..start+len` of `rows` (`len` may run past
/// short rows: a variable record's tail).
fn text_found(rows: &[&[u8]], start: usize, len: usize, tail: bool, ctx: &Context<'_>) -> Found {
    let mut longest = 0;
    let mut empty = 0;
    let mut terminated = 0;
    let mut hexids = 0;
    let mut parsed = 0;
    for r in rows {
        let end = start.saturating_add(len).min(r.len());
        let field = &r[start.min(end)..end];
        let t = text_of(field);
        longest = longest.max(t.len());
        if t.is_empty() {
            empty += 1;
        }
        if t.len() < field.len() {
            terminated += 1;
        }
        if crate::hexid::Hexid::from_digits(t).is_some() {
            hexids += 1;
        }
        // Whether a text has issues does not depend on the code page.
        if tail
            && crate::import::parse(t, crate::codepage::CodePage::default())
                .issues
                .is_empty()
        {
            parsed += 1;
        }
    }
    let n = rows.len();
    let import = (tail && (ctx.queue || parsed > 0)).then_some((parsed, n));
    let mut evidence = if n == 1 {
        "one value: text".to_string()
    } else {
        format!("text or NULs in all {n} records")
    };
    if tail {
        evidence.push_str("; the text runs to the end of each record");
    }
    if terminated == n && n > 0 {
        evidence.push_str(", ended by a NUL");
    }
    if hexids > 0 && hexids + empty == n {
        evidence.push_str("; every text is 8 hex digits (a hexid)");
    }
    if let Some((p, of)) = import {
        evidence.push_str(&format!("; {p} of {of} parse as Import transactions"));
    }
    Found {
        start,
        len: Some(len),
        ty: Ty::Text,
        what: What::Text {
            longest,
            empty,
            terminated,
            import,
            hexids,
        },
        confidence: if n >= 4 {
            Confidence::High
        } else if n >= 2 {
            Confidence::Medium
        } else {
            Confidence::Low
        },
        evidence,
        examples: Vec::new(),
    }
}

/// Readings of every free 1-, 2- and 4-byte window.
fn number_candidates(rows: &[&[u8]], taken: &[bool], ctx: &Context<'_>) -> Vec<Candidate> {
    let n = rows.len();
    let width = taken.len();
    let mut out = Vec::new();
    let constant: Vec<bool> = (0..width)
        .map(|j| rows.iter().all(|r| r[j] == rows[0][j]))
        .collect();
    let hexids: HashSet<u32> = ctx.siblings.iter().filter_map(Sibling::hexid).collect();
    for o in 0..width {
        for w in [4usize, 2, 1] {
            if o + w > width || taken[o..o + w].iter().any(|&t| t) {
                continue;
            }
            let fixed = constant[o..o + w].iter().all(|&c| c);
            if fixed {
                // One value in every record: only a time stamp can be told.
                let v = Endian::Little.read(&rows[0][o..o + w]);
                if w == 4 && n >= 2 && plausible_unix(v) {
                    out.push(Candidate {
                        rank: 0,
                        quality: 0,
                        found: one_unix_time(
                            o,
                            v,
                            format!(
                                "the same value in all {n} records, reading as a C time_t date between 1985 and 2010"
                            ),
                        ),
                    });
                }
                continue;
            }
            for endian in [Endian::Little, Endian::Big] {
                if w == 1 && endian == Endian::Big {
                    continue;
                }
                let vals: Vec<u64> = rows.iter().map(|r| endian.read(&r[o..o + w])).collect();
                let cand =
                    |rank: u8, what: What, confidence: Confidence, evidence: String| Candidate {
                        rank,
                        quality: 0,
                        found: Found {
                            start: o,
                            len: Some(w),
                            ty: Ty::of_width(w, endian),
                            what,
                            confidence,
                            evidence,
                            examples: Vec::new(),
                        },
                    };
                let by_count = |k: usize| {
                    if k >= 8 {
                        Confidence::High
                    } else if k >= 3 {
                        Confidence::Medium
                    } else {
                        Confidence::Low
                    }
                };
                if w == 4 {
                    if let Some(c) = unix_time(&vals) {
                        let dos = (0..2).any(|df| dos_times(rows, o, endian, df == 0).is_some());
                        // A DOS stamp read as a number often lands in the
                        // window too; with several records DOS's stricter
                        // rules decide.
                        if !(dos && n >= 6) {
                            out.push(cand(0, c.0, by_count(c.1), c.2));
                        }
                    }
                    for date_first in [true, false] {
                        if let Some(t) = dos_times(rows, o, endian, date_first) {
                            out.push(cand(0, t.0, by_count(t.1), t.2));
                        }
                    }
                }
                if w >= 2 {
                    if let Some((what, conf, why)) = counter(&vals) {
                        let mut steps: Vec<u64> =
                            vals.windows(2).map(|p| p[1].saturating_sub(p[0])).collect();
                        steps.sort_unstable();
                        let plus_one = matches!(what, What::Counter { plus_one: true, .. });
                        let mut c = cand(1, what, conf, why);
                        c.quality = if plus_one {
                            0
                        } else {
                            steps[steps.len() / 2].max(1)
                        };
                        out.push(c);
                    }
                    if let Some((what, conf, why)) = number(rows, o, w, endian, &vals) {
                        out.push(cand(5, what, conf, why));
                    }
                }
                if w == 4 {
                    if let Some((what, conf, why)) = pointer(&vals, ctx) {
                        out.push(cand(3, what, conf, why));
                    }
                    if let Some((what, conf, why)) = hexid(&vals, &hexids) {
                        out.push(cand(4, what, conf, why));
                    }
                }
                let high_constant = match (w, endian) {
                    (1, _) => true,
                    (2, Endian::Little) => constant[o + 1] && rows[0][o + 1] == 0,
                    (2, Endian::Big) => constant[o] && rows[0][o] == 0,
                    _ => false,
                };
                if high_constant && w <= 2 {
                    if let Some((what, conf, why)) = code(&vals) {
                        out.push(cand(6, what, conf, why));
                    }
                }
            }
        }
    }
    out
}

/// The byte order most strong readings use, if any do.
fn vote(cands: &[Candidate]) -> Option<Endian> {
    let (mut le, mut be) = (0, 0);
    for c in cands {
        let strong = c.found.confidence == Confidence::High
            && matches!(
                c.found.what,
                What::Time { .. } | What::Counter { plus_one: true, .. }
            );
        match (strong, c.found.ty.endian()) {
            (true, Some(Endian::Little)) => le += 1,
            (true, Some(Endian::Big)) => be += 1,
            _ => {}
        }
    }
    match le.cmp(&be) {
        std::cmp::Ordering::Greater => Some(Endian::Little),
        std::cmp::Ordering::Less => Some(Endian::Big),
        std::cmp::Ordering::Equal => (le == 0).then_some(Endian::Little),
    }
}

/// Free 2- and 4-byte windows whose values look random (almost all
/// distinct, every byte varying):
/// `(start, width)`, the most random first, at most
/// [`limits::CHECKSUM_FIELDS`].
fn random_windows(rows: &[&[u8]], taken: &[bool]) -> Vec<(usize, usize)> {
    let n = rows.len();
    if n < 2 {
        return Vec::new();
    }
    let width = taken.len();
    let varies: Vec<bool> = (0..width)
        .map(|j| rows.iter().any(|r| r[j] != rows[0][j]))
        .collect();
    let mut out: Vec<(usize, usize, usize)> = Vec::new();
    for w in [4usize, 2] {
        for o in 0..width.saturating_sub(w - 1) {
            if taken[o..o + w].iter().any(|&t| t) || !varies[o..o + w].iter().all(|&v| v) {
                continue;
            }
            let distinct: HashSet<&[u8]> = rows.iter().map(|r| &r[o..o + w]).collect();
            if distinct.len() * 4 >= n * 3 {
                out.push((distinct.len(), o, w));
            }
        }
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then(b.2.cmp(&a.2)).then(a.1.cmp(&b.1)));
    out.truncate(limits::CHECKSUM_FIELDS * 2);
    out.into_iter().map(|(_, o, w)| (o, w)).collect()
}

/// A C `time_t` reading: every non-zero value in 1985..2010, close together.
fn unix_time(vals: &[u64]) -> Option<(What, usize, String)> {
    let set: Vec<i64> = vals
        .iter()
        .filter(|&&v| v != 0)
        .map(|&v| v as i64)
        .collect();
    if set.is_empty() || set.len() * 2 < vals.len() {
        return None;
    }
    if !set.iter().all(|&v| plausible_unix(v as u64)) {
        return None;
    }
    // Seconds vary in their middle bytes; a value whose middle bytes are
    // always zero is a byte read from the field after it (the `0` that
    // starts a hexid as text, 0x30, is a high byte of 1995).
    if set.iter().all(|&v| (v >> 8) & 0xFFFF == 0) {
        return None;
    }
    let (lo, hi) = (*set.iter().min()?, *set.iter().max()?);
    if hi - lo > SPREAD || !clustered(&set) {
        return None;
    }
    let unset = vals.len() - set.len();
    Some((
        What::Time {
            encoding: TimeEncoding::Unix,
            earliest: lo,
            latest: hi,
            unset,
        },
        set.len(),
        format!(
            "{} of {} values read as C time_t dates between 1985 and 2010, within {} days of each other{}",
            set.len(),
            vals.len(),
            (hi - lo) / 86_400,
            if unset > 0 {
                format!("; {unset} are 0")
            } else {
                String::new()
            }
        ),
    ))
}

/// A DOS date/time reading of the 4 bytes at `o`.
fn dos_times(
    rows: &[&[u8]],
    o: usize,
    endian: Endian,
    date_first: bool,
) -> Option<(What, usize, String)> {
    let mut set = Vec::new();
    for r in rows {
        let b = &r[o..o + 4];
        if b == [0, 0, 0, 0] {
            continue;
        }
        set.push(dos_stamp(b, endian, date_first)?);
    }
    if set.is_empty() || set.len() * 2 < rows.len() {
        return None;
    }
    let (lo, hi) = (*set.iter().min()?, *set.iter().max()?);
    if hi - lo > SPREAD || !clustered(&set) {
        return None;
    }
    let order = if date_first {
        "date word then time word"
    } else {
        "time word then date word"
    };
    Some((
        What::Time {
            encoding: TimeEncoding::Dos { date_first },
            earliest: lo,
            latest: hi,
            unset: rows.len() - set.len(),
        },
        set.len(),
        format!(
            "{} of {} values read as MS-DOS date/time pairs ({order}, {}) between 1985 and 2010, within {} days of each other",
            set.len(),
            rows.len(),
            endian.short(),
            (hi - lo) / 86_400
        ),
    ))
}

/// An increasing number: +1 per record, or increasing (sync numbers).
pub(crate) fn counter(vals: &[u64]) -> Option<(What, Confidence, String)> {
    let n = vals.len();
    if n < 3 {
        return None;
    }
    let steps = n - 1;
    let (mut up, mut down, mut ones) = (0, 0, 0);
    for w in vals.windows(2) {
        match w[1].cmp(&w[0]) {
            std::cmp::Ordering::Greater => {
                up += 1;
                if w[1] - w[0] == 1 {
                    ones += 1;
                }
            }
            std::cmp::Ordering::Less => down += 1,
            std::cmp::Ordering::Equal => {}
        }
    }
    if up * 10 < steps * 9 || down * 20 > steps {
        return None;
    }
    let plus_one = ones * 20 >= steps * 19;
    let conf = if steps >= 7 {
        Confidence::High
    } else {
        Confidence::Medium
    };
    let why = if plus_one {
        format!(
            "+1 per record in {ones} of {steps} steps, {} to {}",
            vals[0],
            vals[n - 1]
        )
    } else {
        format!(
            "increases in {up} of {steps} steps (decreases in {down}), {} to {}",
            vals[0],
            vals[n - 1]
        )
    };
    Some((
        What::Counter {
            plus_one,
            first: vals[0],
            last: vals[n - 1],
        },
        conf,
        why,
    ))
}

/// Values that are record starts in this file or a sibling.
fn pointer(vals: &[u64], ctx: &Context<'_>) -> Option<(What, Confidence, String)> {
    let tested: Vec<u64> = vals
        .iter()
        .copied()
        .filter(|&v| v != 0 && v != 0xFFFF_FFFF)
        .collect();
    let distinct: HashSet<u64> = tested.iter().copied().collect();
    if distinct.len() < 2 {
        return None;
    }
    type Target<'a> = (String, Box<dyn Fn(u64) -> bool + 'a>);
    let mut targets: Vec<Target<'_>> = Vec::new();
    if let Records::Fixed { len } = ctx.framing.records {
        if len >= 8 {
            let h = ctx.framing.header as u64;
            let size = ctx.size;
            targets.push((
                "this file".into(),
                Box::new(move |v| v >= h && v < size && (v - h).is_multiple_of(len as u64)),
            ));
        }
    }
    for s in ctx.siblings.iter().take(limits::SIBLINGS) {
        if s.grid.is_some_and(|(_, n)| n >= 8) {
            targets.push((s.name.clone(), Box::new(move |v| s.is_record_start(v))));
        }
    }
    let mut best: Option<(String, usize)> = None;
    for (name, hit) in &targets {
        let hits = tested.iter().filter(|&&v| hit(v)).count();
        if best.as_ref().is_none_or(|b| hits > b.1) {
            best = Some((name.clone(), hits));
        }
    }
    let (file, hits) = best?;
    let distinct_hits: HashSet<u64> = tested
        .iter()
        .copied()
        .filter(|&v| targets.iter().any(|(n, hit)| *n == file && hit(v)))
        .collect();
    // Every value, or most of them and enough distinct ones that chance is
    // out of the question (some entries may point into another file).
    let enough =
        hits == tested.len() || (hits * 10 >= tested.len() * 7 && distinct_hits.len() >= 3);
    if !enough {
        return None;
    }
    // Two values are a coincidence as often as not, and so are values whose
    // low byte is always zero: a small number read one byte off is a
    // multiple of 256, which is a record start in any file of 256-, 512- or
    // 1024-byte records.
    let shifted = distinct.iter().all(|v| v & 0xFF == 0);
    let conf = match distinct.len() {
        n if n >= 4 && !shifted => Confidence::High,
        n if n >= 3 && !shifted => Confidence::Medium,
        _ => Confidence::Low,
    };
    let why = format!(
        "{hits} of {} values (not 0 or all ones) are offsets of record starts in {file}{}",
        tested.len(),
        if shifted {
            "; every one is a multiple of 256, as a smaller number read one byte off would be"
        } else {
            ""
        }
    );
    Some((
        What::Pointer {
            file,
            hits,
            of: tested.len(),
        },
        conf,
        why,
    ))
}

/// 32-bit values that name files of the postoffice.
fn hexid(vals: &[u64], names: &HashSet<u32>) -> Option<(What, Confidence, String)> {
    if names.is_empty() {
        return None;
    }
    let tested: Vec<u64> = vals.iter().copied().filter(|&v| v != 0).collect();
    let matched = tested
        .iter()
        .filter(|&&v| u32::try_from(v).is_ok_and(|v| names.contains(&v)))
        .count();
    let distinct: HashSet<u64> = tested
        .iter()
        .copied()
        .filter(|&v| u32::try_from(v).is_ok_and(|v| names.contains(&v)))
        .collect();
    if distinct.len() < 2 || matched * 2 < tested.len() {
        return None;
    }
    let conf = if distinct.len() >= 4 && matched * 5 >= tested.len() * 4 {
        Confidence::Medium
    } else {
        Confidence::Low
    };
    Some((
        What::Hexid {
            matched,
            of: tested.len(),
        },
        conf,
        format!(
            "{matched} of {} values (not 0) are hexids that name files of the postoffice",
            tested.len()
        ),
    ))
}

/// A number of no recognised kind: the least significant byte varies most,
/// the most significant byte least, most values distinct.
fn number(
    rows: &[&[u8]],
    o: usize,
    w: usize,
    endian: Endian,
    vals: &[u64],
) -> Option<(What, Confidence, String)> {
    let n = rows.len();
    if n < 4 {
        return None;
    }
    let (lsb, msb) = match endian {
        Endian::Little => (o, o + w - 1),
        Endian::Big => (o + w - 1, o),
    };
    let distinct_at = |j: usize| rows.iter().map(|r| r[j]).collect::<HashSet<u8>>().len();
    let (dl, dm) = (distinct_at(lsb), distinct_at(msb));
    let values: HashSet<u64> = vals.iter().copied().collect();
    if dl < 4.max(n / 4) || dm * 2 > n || dm >= dl || values.len() * 2 < n {
        return None;
    }
    let (min, max) = (*vals.iter().min()?, *vals.iter().max()?);
    Some((
        What::Number {
            min,
            max,
            distinct: values.len(),
        },
        Confidence::Low,
        format!(
            "a number of no recognised kind: {} distinct values from {min} to {max}; its low byte varies most",
            values.len()
        ),
    ))
}

/// Few distinct values over enough records.
fn code(vals: &[u64]) -> Option<(What, Confidence, String)> {
    let n = vals.len();
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for &v in vals {
        *counts.entry(v).or_default() += 1;
    }
    let k = counts.len();
    if n < 4 || !(2..=8).contains(&k) || k * 2 > n {
        return None;
    }
    let conf = if n >= 16 {
        Confidence::Medium
    } else {
        Confidence::Low
    };
    Some((
        What::Code {
            values: counts.into_iter().collect(),
        },
        conf,
        format!("{k} distinct values in {n} records"),
    ))
}

/// The free bytes left: constant runs and runs that vary.
fn rest_as_runs(rows: &[&[u8]], taken: &[bool], out: &mut Vec<Found>) {
    let width = taken.len();
    let n = rows.len();
    // With one instance, only runs of zeros can be told from the rest.
    let constant = |j: usize| {
        if n >= 2 {
            rows.iter().all(|r| r[j] == rows[0][j])
        } else {
            rows[0][j] == 0
        }
    };
    let mut j = 0;
    while j < width {
        if taken[j] {
            j += 1;
            continue;
        }
        let c = constant(j);
        let s = j;
        while j < width && !taken[j] && constant(j) == c {
            j += 1;
        }
        let cols = s..j;
        let found = if c {
            let hex = hex_of(&rows[0][cols.clone()]);
            Found {
                start: s,
                len: Some(j - s),
                ty: Ty::Bytes,
                what: What::Constant { hex },
                confidence: if n >= 8 {
                    Confidence::High
                } else {
                    Confidence::Medium
                },
                evidence: if n == 1 {
                    "one value: zero bytes".into()
                } else {
                    format!("the same in all {n} records")
                },
                examples: Vec::new(),
            }
        } else {
            let distinct: HashSet<&[u8]> = rows.iter().map(|r| &r[cols.clone()]).collect();
            Found {
                start: s,
                len: Some(j - s),
                ty: Ty::Bytes,
                what: What::Varies {
                    distinct: distinct.len(),
                    classes: classes(rows.iter().map(|r| &r[cols.clone()])),
                    checksum_searched: false,
                },
                confidence: Confidence::Low,
                evidence: if n == 1 {
                    "one value: no pattern can be seen in one instance".into()
                } else {
                    format!(
                        "{} distinct values in {n} records, no pattern found",
                        distinct.len()
                    )
                },
                examples: Vec::new(),
            }
        };
        out.push(found);
    }
}

/// Hex of constant bytes: `00 × 12` for a run of one value, else the bytes.
pub fn hex_of(b: &[u8]) -> String {
    match b {
        [first, ..] if b.len() > 4 && b.iter().all(|x| x == first) => {
            format!("{first:02X} × {}", b.len())
        }
        _ => b
            .iter()
            .map(|x| format!("{x:02X}"))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The classes of the bytes of `parts`: "binary", "text", "zero" with their shares.
fn classes<'a>(parts: impl Iterator<Item = &'a [u8]>) -> String {
    let (mut zero, mut text, mut bin) = (0, 0, 0);
    for r in parts {
        for &b in r {
            if b == 0 {
                zero += 1;
            } else if b.is_ascii_graphic() || b == b' ' {
                text += 1;
            } else {
                bin += 1;
            }
        }
    }
    let mut parts = Vec::new();
    let total = (zero + text + bin).max(1);
    for (name, k) in [("binary", bin), ("text", text), ("zero", zero)] {
        if k > 0 {
            parts.push(format!("{name} {}%", 100 * k / total));
        }
    }
    parts.join(", ")
}

/// Sets the examples of fields found in records (up to three distinct values).
pub fn fill_examples_records(
    found: &mut [Found],
    records: &[&[u8]],
    ctx: &Context<'_>,
    redacted: bool,
) {
    for f in found.iter_mut() {
        let mut ex: Vec<String> = Vec::new();
        for r in records {
            if ex.len() >= 3 {
                break;
            }
            let e = example(f, r, ctx.codepage, redacted);
            if let Some(e) = e {
                if !ex.contains(&e) {
                    ex.push(e);
                }
            }
        }
        f.examples = ex;
    }
}

/// Sets the examples of fields found in one block.
pub fn fill_examples(found: &mut [Found], block: Option<&[u8]>, ctx: &Context<'_>, redacted: bool) {
    let rows: Vec<&[u8]> = block.into_iter().collect();
    fill_examples_records(found, &rows, ctx, redacted)
}

/// One field's value in one record, as text.
fn example(f: &Found, r: &[u8], cp: CodePage, redacted: bool) -> Option<String> {
    let end = f.end(r.len()).min(r.len());
    let b = r.get(f.start.min(end)..end)?;
    Some(match (&f.what, f.ty) {
        (What::Text { .. }, _) => cp.decode(text_of(b)),
        (What::Constant { hex }, _) => hex.clone(),
        (What::Varies { .. }, _) if redacted => b
            .iter()
            .map(|&c| {
                if c == 0 {
                    '.'
                } else if c.is_ascii_graphic() {
                    'x'
                } else {
                    '#'
                }
            })
            .collect(),
        (What::Varies { .. }, _) => hex::encode_upper(b),
        (What::Time { encoding, .. }, Ty::U32(e)) => {
            let secs = match encoding {
                TimeEncoding::Unix => Some(e.read(b) as i64),
                TimeEncoding::Dos { date_first } => dos_stamp(b, e, *date_first),
            };
            secs.map_or_else(|| "0".into(), |s| s.to_string())
        }
        (What::Checksum { .. }, t) => format!("{:0w$X}", t.read(b), w = 2 * b.len()),
        (_, t) => t.read(b).to_string(),
    })
}

/// The role a found field would have in a declaration.
pub fn role_of(what: &What) -> Role {
    match what {
        What::Length { .. } => Role::Length,
        What::Counter { .. } => Role::Sync,
        What::Time { .. } => Role::Time,
        What::Text { .. } => Role::Text,
        What::Code { .. } => Role::Flag,
        What::Pointer { .. } => Role::Pointer,
        What::Hexid { .. } => Role::Number,
        What::Checksum { .. } => Role::Checksum,
        What::Number { .. } => Role::Number,
        What::Constant { .. } | What::Varies { .. } => Role::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_times_match_the_calendar() {
        // 1994-04-07 12:13:52, the LISTQ sample's stamp (765720832).
        let date = (14 << 9) | (4 << 5) | 7;
        let time = (12 << 11) | (13 << 5) | 26;
        assert_eq!(dos_time(date, time), Some(765_720_832));
        assert_eq!(dos_time((20 << 9) | (2 << 5) | 29, 0), Some(951_782_400)); // 2000-02-29
        assert_eq!(dos_time((21 << 9) | (2 << 5) | 29, 0), None); // 2001 has no Feb 29
        assert_eq!(dos_time((14 << 9) | (13 << 5) | 1, 0), None);
        assert_eq!(dos_time((14 << 9) | (4 << 5) | 7, 24 << 11), None);
    }

    #[test]
    fn pointers_are_as_sure_as_their_values_allow() {
        let framing = Framing {
            header: 0,
            records: Records::Fixed { len: 45 },
        };
        let siblings = [Sibling::new("GLB/SRVCONF.GLB", 4096)];
        let ctx = Context {
            size: 45 * 20,
            framing: &framing,
            siblings: &siblings,
            queue: false,
            codepage: CodePage::default(),
        };
        let conf = |vals: &[u64]| pointer(vals, &ctx).map(|(_, c, _)| c);
        // Record starts of this file (45-byte records), many distinct: high.
        assert_eq!(conf(&[45, 90, 135, 180, 0]), Some(Confidence::High));
        assert_eq!(conf(&[45, 90, 135]), Some(Confidence::Medium));
        // Two values: as likely chance as not.
        assert_eq!(conf(&[45, 90]), Some(Confidence::Low));
        // 4 and 8 read one byte off are 1024 and 2048, record starts in a
        // file of 1024-byte records: a coincidence, however many there are.
        assert_eq!(conf(&[1024, 2048, 3072, 1024]), Some(Confidence::Low));
        // Not record starts anywhere: no pointer.
        assert_eq!(conf(&[44, 91, 136]), None);
    }
}
