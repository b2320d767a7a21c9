//! The DSSCHED text form of a PROCESS.GLB schedule (`dssched -x<file>` exports
//! it, `dssched -i<file>` imports it; KB Q96060, Q119590): one entry per line,
//! `T<x> <Day> <HH>:<MM>`, with `x` 1, 2 or 3, `Day` one of Sun..Sat and a
//! 24-hour time, e.g. `T1 Sat 13:45`. A requestor ignores T2 lines.
//!
//! Spec: the DSSCHED section of `docs/formats/process.md`. Times in the file
//! are local times of a zone the caller names (DSSCHED used the MS C `TZ`
//! variable, `PST8PDT` when unset; glbtool defaults to UTC).

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use crate::fields::Stamp;
use crate::format::Document;
use crate::process::{ProcessFile, ProcessKind, ProcessRecord, WINDOW_ADMIN_32};
use crate::timezone::seconds_west;

/// The day a schedule without any existing run time is placed from: Saturday
/// 26 February 1994, so that the seven days from it hold both dates of the
/// DSSCHED sample in KB Q96060 (`T1 Sat 13:45` = Sat Feb 26 1994, `T3 Mon
/// 15:00` and `T2 Mon 14:55` = Mon Feb 28 1994). (Reconstructed choice: what
/// ADMIN and DSSCHED chose is not documented.)
pub const REFERENCE_DAY: Date = jiff::civil::date(1994, 2, 26);

const DAYS: [(&str, Weekday); 7] = [
    ("Sun", Weekday::Sunday),
    ("Mon", Weekday::Monday),
    ("Tue", Weekday::Tuesday),
    ("Wed", Weekday::Wednesday),
    ("Thu", Weekday::Thursday),
    ("Fri", Weekday::Friday),
    ("Sat", Weekday::Saturday),
];

/// The three-letter name DSSCHED uses for a weekday.
pub fn day_name(d: Weekday) -> &'static str {
    DAYS[d.to_sunday_zero_offset() as usize].0
}

/// One entry of a DSSCHED text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScheduleLine {
    /// Which process.
    pub kind: ProcessKind,
    /// The local weekday.
    pub weekday: Weekday,
    /// The local hour, 0..=23.
    pub hour: u8,
    /// The local minute, 0..=59.
    pub minute: u8,
}

impl std::fmt::Display for ScheduleLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {:02}:{:02}",
            self.kind.tag(),
            day_name(self.weekday),
            self.hour,
            self.minute
        )
    }
}

/// Which kind of postoffice the schedule is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostofficeRole {
    /// The Dir-Sync server: T1, T2 and T3 lines are used.
    Server,
    /// A requestor: T2 lines are ignored, as DSSCHED did (KB Q96060, Q119590).
    Requestor,
}

/// A DSSCHED text that does not follow the format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DSSCHED text line {line}: {message}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A schedule that cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DSSCHED entry {entry} ({text}): {message}")]
pub struct ApplyError {
    /// 1-based entry number (the line number in a file `export` wrote).
    pub entry: usize,
    /// The entry as text.
    pub text: String,
    /// What is wrong.
    pub message: String,
}

/// The schedule of `records` as DSSCHED text entries, in record order: the
/// weekday, hour and minute of each record's run time in zone `tz` (seconds
/// are dropped, the format has none). Records with an undocumented process
/// code cannot be written in the format and are left out.
pub fn export(records: &[ProcessRecord], tz: &TimeZone) -> Vec<ScheduleLine> {
    records
        .iter()
        .filter_map(|r| {
            let kind = r.kind()?;
            let local = tz.to_datetime(r.run_at.timestamp());
            Some(ScheduleLine {
                kind,
                weekday: local.weekday(),
                hour: local.hour() as u8,
                minute: local.minute() as u8,
            })
        })
        .collect()
}

/// The entries as text, one per line.
pub fn render(lines: &[ScheduleLine]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Parses a DSSCHED text. Entries are read as whitespace-separated triples,
/// so the one-entry-per-line form and the wrapped form printed in KB Q119590
/// both parse; CR LF line ends and a DOS end-of-file mark (Ctrl-Z) are
/// accepted. Errors name the line of the offending word.
pub fn parse(text: &str) -> Result<Vec<ScheduleLine>, ParseError> {
    let text = text.split('\u{1a}').next().unwrap_or("");
    let mut words = text
        .lines()
        .enumerate()
        .flat_map(|(i, l)| l.split_whitespace().map(move |w| (i + 1, w)));
    let mut out = Vec::new();
    while let Some((line, first)) = words.next() {
        let err = |line, message: String| ParseError { line, message };
        let kind = match first.to_ascii_uppercase().as_str() {
            "T1" => ProcessKind::RequestorSends,
            "T2" => ProcessKind::ServerProcess,
            "T3" => ProcessKind::RequestorProcesses,
            _ => return Err(err(line, format!("expected T1, T2 or T3, found `{first}`"))),
        };
        let incomplete = || {
            err(line, format!("the entry starting `{first}` is incomplete: expected `{first} <Day> <HH>:<MM>`"))
        };
        let (dline, day) = words.next().ok_or_else(incomplete)?;
        let weekday = DAYS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(day))
            .map(|&(_, d)| d)
            .ok_or_else(|| {
                err(
                    dline,
                    format!("expected a day Sun, Mon, Tue, Wed, Thu, Fri or Sat, found `{day}`"),
                )
            })?;
        let (tline, time) = words.next().ok_or_else(incomplete)?;
        let (hour, minute) = parse_time(time).ok_or_else(|| {
            err(
                tline,
                format!("expected a 24-hour time HH:MM such as 13:45, found `{time}`"),
            )
        })?;
        out.push(ScheduleLine {
            kind,
            weekday,
            hour,
            minute,
        });
    }
    Ok(out)
}

fn parse_time(s: &str) -> Option<(u8, u8)> {
    let (h, m) = s.split_once(':')?;
    let digits = |t: &str, max: u8| -> Option<u8> {
        if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok().filter(|&v| v <= max)
    };
    if m.len() != 2 {
        return None;
    }
    Some((digits(h, 23)?, digits(m, 59)?))
}

/// Builds the schedule `lines` describe on top of `base`, the way
/// `dssched -i` sets the process times:
///
/// - one record per line, in line order (records are per weekday, KB
///   Q197407); T2 lines are skipped for a requestor (KB Q96060, Q119590);
/// - a base record of the same process on the same local weekday is reused
///   (keeping its ID, window, time zone, comment and unknown bytes); base
///   records no line reuses are dropped;
/// - new records get IDs after the highest in `base`, the run window of the
///   base's first record (8 hours, ADMIN 3.2's value, when the base has none;
///   KB Q119590) and the base's time zone (or `tz`'s standard offset);
/// - deadline = run time + window, next run = run time + one week (KB Q96060);
/// - each run time is the first date with the line's weekday on or after the
///   local day of the base's earliest run time (or [`REFERENCE_DAY`]), at the
///   line's hour and minute in zone `tz`;
/// - the 512-byte header is kept verbatim (a default one when `base` has none).
///
/// `export` of the result, in the same zone, gives back the used lines,
/// except for local times that do not exist because daylight saving begins.
pub fn apply(
    base: &Document<ProcessFile>,
    lines: &[ScheduleLine],
    role: PostofficeRole,
    tz: &TimeZone,
) -> Result<Document<ProcessFile>, ApplyError> {
    let anchor = base
        .records
        .iter()
        .map(|r| r.run_at)
        .min()
        .map_or(REFERENCE_DAY, |s| tz.to_datetime(s.timestamp()).date());
    let first = base.records.first();
    let window = first.map_or(WINDOW_ADMIN_32, |r| r.window_seconds);
    let anchor_instant = tz
        .to_ambiguous_timestamp(anchor.to_datetime(jiff::civil::Time::midnight()))
        .compatible();
    let tz_offset = first.map_or_else(
        || anchor_instant.map_or(0, |t| seconds_west(tz, t)),
        |r| r.tz_offset,
    );
    let mut next_id = base
        .records
        .iter()
        .map(|r| u32::from(r.id) + 1)
        .max()
        .unwrap_or(1);
    let mut used = vec![false; base.records.len()];
    let mut records = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if role == PostofficeRole::Requestor && line.kind == ProcessKind::ServerProcess {
            continue;
        }
        let fail = |message: String| ApplyError {
            entry: i + 1,
            text: line.to_string(),
            message,
        };
        let run_at = place(anchor, line, tz).map_err(fail)?;
        let reuse = base.records.iter().enumerate().position(|(j, r)| {
            !used[j]
                && r.kind() == Some(line.kind)
                && tz.to_datetime(r.run_at.timestamp()).weekday() == line.weekday
        });
        let record = match reuse {
            Some(j) => {
                used[j] = true;
                let mut r = base.records[j].clone();
                r.set_run_at(run_at);
                r
            }
            None => {
                let id = u16::try_from(next_id).map_err(|_| {
                    fail("no record ID is left: the base already uses ID 65535".into())
                })?;
                next_id += 1;
                ProcessRecord::scheduled(id, line.kind, run_at, window, tz_offset)
            }
        };
        records.push(record);
    }
    Ok(Document {
        kind: base.kind,
        header: Some(base.header.clone().unwrap_or_default()),
        records,
        trailing: Vec::new(),
    })
}

/// The instant of `line` in the seven days starting at `anchor`, local to `tz`.
fn place(anchor: Date, line: &ScheduleLine, tz: &TimeZone) -> Result<Stamp, String> {
    let days = (line.weekday.to_sunday_zero_offset() - anchor.weekday().to_sunday_zero_offset())
        .rem_euclid(7);
    let date = anchor
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .map_err(|e| format!("no date {days} days after {anchor}: {e}"))?;
    let local = date.at(line.hour as i8, line.minute as i8, 0, 0);
    let ts = tz
        .to_ambiguous_timestamp(local)
        .compatible()
        .map_err(|e| format!("{local} has no instant in the zone: {e}"))?;
    u32::try_from(ts.as_second())
        .map(Stamp)
        .map_err(|_| format!("{local} is outside 1970..2106, the range of a 32-bit time stamp"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codepage::CodePage;
    use crate::fields::Text;
    use crate::process::{schedule, WINDOW_ADMIN_30};
    use crate::timezone::ms_c_time_zone;
    use proptest::prelude::*;

    fn utc(y: i16, m: i8, d: i8, h: i8, mi: i8) -> Stamp {
        let ts = jiff::civil::date(y, m, d)
            .at(h, mi, 0, 0)
            .to_zoned(TimeZone::UTC)
            .unwrap()
            .timestamp();
        Stamp(u32::try_from(ts.as_second()).unwrap())
    }

    /// The schedule `text` makes on a new, empty PROCESS.GLB.
    fn fresh(text: &str, role: PostofficeRole, tz: &TimeZone) -> Document<ProcessFile> {
        apply(&schedule(vec![]), &parse(text).unwrap(), role, tz).unwrap()
    }

    fn texts(lines: &[ScheduleLine]) -> Vec<String> {
        lines.iter().map(ToString::to_string).collect()
    }

    /// The PROCESS.GLB behind the DSSCHED sample of KB Q96060, times as UTC.
    fn q96060_server() -> Document<ProcessFile> {
        schedule(vec![
            ProcessRecord::scheduled(
                1,
                ProcessKind::RequestorSends,
                utc(1994, 2, 26, 13, 45),
                28_800,
                0,
            ),
            ProcessRecord::scheduled(
                2,
                ProcessKind::RequestorProcesses,
                utc(1994, 2, 28, 15, 0),
                28_800,
                0,
            ),
            ProcessRecord::scheduled(
                3,
                ProcessKind::ServerProcess,
                utc(1994, 2, 28, 14, 55),
                28_800,
                0,
            ),
        ])
    }

    #[test]
    fn export_gives_the_documented_mytimes_txt() {
        // KB Q96060: `dssched -xmytimes.txt` of that schedule writes these lines.
        let lines = export(&q96060_server().records, &TimeZone::UTC);
        assert_eq!(
            texts(&lines),
            ["T1 Sat 13:45", "T3 Mon 15:00", "T2 Mon 14:55"]
        );
        assert_eq!(render(&lines), "T1 Sat 13:45\nT3 Mon 15:00\nT2 Mon 14:55\n");
    }

    #[test]
    fn export_uses_the_given_zone() {
        let pst = ms_c_time_zone("PST8PDT").unwrap();
        // 13:45 UTC on Sat Feb 26 1994 is 05:45 Pacific standard time.
        assert_eq!(
            texts(&export(&q96060_server().records[..1], &pst)),
            ["T1 Sat 05:45"]
        );
        // In July the same zone is on daylight time (UTC-7).
        let july = ProcessRecord::scheduled(
            1,
            ProcessKind::RequestorSends,
            utc(1995, 7, 1, 2, 0),
            28_800,
            0,
        );
        assert_eq!(texts(&export(&[july], &pst)), ["T1 Fri 19:00"]);
    }

    #[test]
    fn applying_the_sample_to_an_empty_file_reproduces_the_sample_dates() {
        let out = fresh(
            "T1 Sat 13:45\r\nT3 Mon 15:00\r\nT2 Mon 14:55\r\n\u{1a}",
            PostofficeRole::Server,
            &TimeZone::UTC,
        );
        assert_eq!(out, q96060_server());
        assert_eq!(out.records[0].deadline, utc(1994, 2, 26, 21, 45));
        assert_eq!(out.records[0].next_run, utc(1994, 3, 5, 13, 45));
    }

    #[test]
    fn a_requestor_ignores_t2_lines() {
        let out = fresh(
            "T1 Sat 13:45\nT2 Mon 14:55\nT3 Mon 15:00\n",
            PostofficeRole::Requestor,
            &TimeZone::UTC,
        );
        assert_eq!(
            texts(&export(&out.records, &TimeZone::UTC)),
            ["T1 Sat 13:45", "T3 Mon 15:00"]
        );
        assert_eq!(out.records.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn existing_records_are_reused_and_new_ones_take_the_base_window() {
        let mut base = q96060_server();
        for r in &mut base.records {
            r.window_seconds = WINDOW_ADMIN_30;
            r.tz_offset = 28_800;
        }
        base.records[1].comment = Text::encode("keep me", CodePage::Cp850).unwrap();
        base.records[1].reserved.0[0] = 0x77;
        base.header.as_mut().unwrap().reserved.0[5] = 0x99;
        let lines = parse("T3 Mon 16:00\nT1 Sun 09:30").unwrap();
        let out = apply(&base, &lines, PostofficeRole::Server, &TimeZone::UTC).unwrap();
        assert_eq!(out.header, base.header);
        assert_eq!(out.records.len(), 2);
        let t3 = &out.records[0];
        assert_eq!(
            (
                t3.id,
                t3.comment.decode(crate::codepage::CodePage::Cp850).as_str(),
                t3.reserved.0[0]
            ),
            (2, "keep me", 0x77)
        );
        assert_eq!(t3.run_at, utc(1994, 2, 28, 16, 0));
        assert_eq!(t3.deadline, utc(1994, 2, 28, 20, 0));
        let t1 = &out.records[1];
        // No T1 on a Sunday in the base: a new record with the next free ID,
        // the base's window and time zone, in the week from Sat Feb 26.
        assert_eq!(
            (t1.id, t1.window_seconds, t1.tz_offset),
            (4, WINDOW_ADMIN_30, 28_800)
        );
        assert_eq!(t1.run_at, utc(1994, 2, 27, 9, 30));
        assert_eq!(t1.next_run, utc(1994, 3, 6, 9, 30));
    }

    #[test]
    fn new_files_get_eight_hour_windows_and_the_zone_offset() {
        let pst = ms_c_time_zone("PST8PDT").unwrap();
        let out = fresh("T1 Fri 16:30", PostofficeRole::Requestor, &pst);
        let r = &out.records[0];
        assert_eq!((r.id, r.window_seconds, r.tz_offset), (1, 28_800, 28_800));
        // Fri Mar 4 1994 16:30 PST is 00:30 UTC the next day.
        assert_eq!(r.run_at, utc(1994, 3, 5, 0, 30));
    }

    #[test]
    fn the_wrapped_kb_q119590_sample_parses() {
        let text = "  T1 Mon 22:00\n  T1 Tue 22:00 T1\n  Wed 22:00 T1 Thu\n  22:00 T1 Fri\n  22:00 T1 Sat\n  22:00 T1 Sun\n  22:00 T2 Mon\n  01:00 T2 Tue\n  01:00 T2 Wed\n  01:00 T2 Thu\n  01:00 T2 Fri\n  01:00 T2 Sat\n  01:00 T2 Sun\n  01:00 T3 Mon\n  03:00 T3 Tue\n  03:00 T3 Wed\n  03:00 T3 Thu\n  03:00 T3 Fri\n  03:00 T3 Sat\n  03:00 T3 Sun\n  03:00\n";
        let lines = parse(text).unwrap();
        assert_eq!(lines.len(), 21);
        assert_eq!(lines[7].to_string(), "T2 Mon 01:00");
        assert_eq!(lines[20].to_string(), "T3 Sun 03:00");
        let out = fresh(text, PostofficeRole::Server, &TimeZone::UTC);
        assert_eq!(out.to_bytes().unwrap().len(), 512 + 21 * 197);
        assert_eq!(export(&out.records, &TimeZone::UTC), lines);
    }

    #[test]
    fn parse_errors_name_the_line() {
        let cases = [
            ("T1 Sat 13:45\nT4 Sat 13:45", 2, "T1, T2 or T3"),
            ("T1 Sat 13:45\n\nT2 Sab 13:45", 3, "Sun, Mon"),
            ("T1 Sat 24:00", 1, "HH:MM"),
            ("T1 Sat 13:60", 1, "HH:MM"),
            ("T1 Sat 1345", 1, "HH:MM"),
            ("T1 Sat 13:5", 1, "HH:MM"),
            ("T1 Sat 13:45\nT3 Mon", 2, "incomplete"),
        ];
        for (text, line, words) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(
                e.to_string().contains(words) && e.to_string().contains(&format!("line {line}")),
                "{e}"
            );
        }
        assert_eq!(parse("t3 mon 7:05").unwrap()[0].to_string(), "T3 Mon 07:05");
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn unknown_process_codes_are_not_exported() {
        let odd = ProcessRecord {
            process: 7,
            ..ProcessRecord::default()
        };
        assert!(export(&[odd], &TimeZone::UTC).is_empty());
    }

    fn arb_line() -> impl Strategy<Value = ScheduleLine> {
        (0usize..3, 0usize..7, 0u8..24, 0u8..60).prop_map(|(k, d, hour, minute)| ScheduleLine {
            kind: ProcessKind::ALL[k],
            weekday: DAYS[d].1,
            hour,
            minute,
        })
    }

    proptest! {
        #[test]
        fn export_apply_export_gives_the_same_lines(
            lines in prop::collection::vec(arb_line(), 0..25),
            zone in prop::sample::select(vec!["UTC", "PST8PDT", "EST5EDT", "ast-10", "IST-5:30"]),
            server in any::<bool>(),
        ) {
            let tz = crate::timezone::resolve(zone).unwrap();
            let role = if server { PostofficeRole::Server } else { PostofficeRole::Requestor };
            let first = apply(&schedule(vec![]), &lines, role, &tz).unwrap();
            let exported = export(&first.records, &tz);
            let kept: Vec<_> = lines.iter().copied().filter(|l| server || l.kind != ProcessKind::ServerProcess).collect();
            prop_assert_eq!(&exported, &kept);
            // Text round trip, then applied on top of the file it came from.
            let reparsed = parse(&render(&exported)).unwrap();
            prop_assert_eq!(&reparsed, &exported);
            let second = apply(&first, &reparsed, role, &tz).unwrap();
            prop_assert_eq!(export(&second.records, &tz), exported);
            prop_assert_eq!(second.records.iter().map(|r| r.id).collect::<Vec<_>>(),
                            first.records.iter().map(|r| r.id).collect::<Vec<_>>());
        }

        #[test]
        fn parse_never_panics(text in "[T0-9a-zA-Z: \r\n\t\u{1a}]{0,80}") {
            let _ = parse(&text);
        }
    }
}
