//! Showing stored time stamps: the `--tz` option and C `ctime()` layout.
//!
//! Stored stamps are seconds since 1970 UTC (reconstructed encoding, see
//! docs/formats/queue.md). They are shown in UTC unless `--tz` names a zone.

use glb_formats::fields::Stamp;
use jiff::tz::{Offset, TimeZone};

/// A zone for display, with the label text views print.
#[derive(Debug, Clone)]
pub struct Zone {
    tz: TimeZone,
    label: String,
}

impl Zone {
    /// UTC.
    pub fn utc() -> Zone {
        Zone {
            tz: TimeZone::UTC,
            label: "UTC".into(),
        }
    }

    /// What text views print: `times in UTC (use --tz to change)`.
    pub fn banner(&self) -> String {
        if self.label == "UTC" {
            "Times are shown in UTC; use --tz to change.".into()
        } else {
            format!("Times are shown in {}.", self.label)
        }
    }

    /// Parses a `--tz` value.
    pub fn parse(s: &str) -> Result<Zone, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("gmt") || t == "Z" {
            return Ok(Zone::utc());
        }
        if let Some(off) = parse_offset(t) {
            return Ok(Zone {
                tz: TimeZone::fixed(off),
                label: format!("UTC{t}"),
            });
        }
        if t.contains('/') {
            return TimeZone::get(t)
                .map(|tz| Zone {
                    tz,
                    label: t.to_string(),
                })
                .map_err(|e| format!("unknown time zone `{t}`: {e}"));
        }
        let posix = ms_c_tz_to_posix(t).unwrap_or_else(|| t.to_string());
        TimeZone::posix(&posix)
            .map(|tz| Zone {
                tz,
                label: if posix == t { t.to_string() } else { format!("{t} (as POSIX {posix})") },
            })
            .map_err(|e| {
                format!(
                    "`{t}` is not a time zone glbtool understands (UTC, -08:00, America/Los_Angeles, PST8PDT): {e}"
                )
            })
    }
}

/// `+05:30`, `-08:00`, `-8`: a fixed offset from UTC (east positive).
fn parse_offset(t: &str) -> Option<Offset> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None => (rest.parse::<i32>().ok()?, 0),
    };
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// Translates an MS C run-time TZ value (`xxxN[yyy]`, hours west of UTC
/// positive, KB Q101753) into a POSIX TZ string. When a daylight name is
/// given, the US rules of the era (first Sunday of April to last Sunday of
/// October, 02:00) apply, as the MS C run time assumed (reconstructed).
pub fn ms_c_tz_to_posix(t: &str) -> Option<String> {
    let b = t.as_bytes();
    if b.len() < 4 || !b[..3].iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let mut i = 3;
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits_start || i - digits_start > 2 {
        return None;
    }
    let dst = &t[i..];
    if dst.is_empty() {
        return Some(t.to_string());
    }
    if dst.len() == 3 && dst.bytes().all(|c| c.is_ascii_alphabetic()) {
        return Some(format!("{t},M4.1.0/2,M10.5.0/2"));
    }
    None
}

/// A stamp the way C `ctime()` prints it in the LISTQ/LISTDS samples:
/// `Thu Apr 07 12:13:52 1994`.
pub fn ctime(stamp: Stamp, zone: &Zone) -> String {
    stamp
        .timestamp()
        .to_zoned(zone.tz.clone())
        .strftime("%a %b %d %H:%M:%S %Y")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctime_matches_the_listq_sample_layout() {
        assert_eq!(
            ctime(Stamp(765_720_832), &Zone::utc()),
            "Thu Apr 07 12:13:52 1994"
        );
    }

    #[test]
    fn ms_c_zones_follow_the_era_rules() {
        let z = Zone::parse("PST8PDT").unwrap();
        // 1994-04-07 12:13:52 UTC is 05:13:52 PDT (daylight time began 1994-04-03).
        assert_eq!(ctime(Stamp(765_720_832), &z), "Thu Apr 07 05:13:52 1994");
        let z = Zone::parse("-08:00").unwrap();
        assert_eq!(ctime(Stamp(765_720_832), &z), "Thu Apr 07 04:13:52 1994");
        assert!(Zone::parse("Nowhere/Land").is_err());
    }
}
