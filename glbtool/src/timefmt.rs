//! Showing stored time stamps: the `--tz` option and C `ctime()` layout.
//!
//! Stored stamps are seconds since 1970 UTC (reconstructed encoding, see
//! docs/formats/queue.md). They are shown in UTC unless `--tz` names a zone.

use glb_formats::fields::Stamp;
use glb_formats::timezone;
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

    /// The zone.
    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// The zone's name as given (`UTC`, `PST8PDT (as POSIX ...)`).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// What text views print under their title: the zone and, when it is
    /// not the one asked for with --tz, where it came from.
    pub fn banner(&self) -> String {
        if self.label == "UTC" {
            "Times are shown in UTC; use --tz to change.".into()
        } else {
            format!("Times are shown in {}.", self.label)
        }
    }

    /// The zone when --tz is not given: the `TZ` environment variable's
    /// when it is set (as DSSCHED and every MS C program read it, KB
    /// Q96060), else UTC. A `TZ` glbtool cannot read is said on `err`
    /// (standard error) and UTC is used: the option, not the environment,
    /// is the place for a hard error.
    pub fn from_env(err: &mut dyn std::io::Write) -> Zone {
        match std::env::var("TZ") {
            Ok(v) if !v.trim().is_empty() => Zone::from_tz_variable(&v).unwrap_or_else(|e| {
                // A closed standard error must not stop the command.
                let _ = writeln!(
                    err,
                    "glbtool: the TZ environment variable is not used: {e}; times are shown in UTC"
                );
                Zone::utc()
            }),
            _ => Zone::utc(),
        }
    }

    /// The zone of a `TZ` environment variable's value (with POSIX's
    /// optional leading `:`).
    fn from_tz_variable(value: &str) -> Result<Zone, String> {
        let name = value.trim().trim_start_matches(':');
        Zone::parse(name).map(|z| {
            if z.label == "UTC" {
                z
            } else {
                Zone {
                    label: format!("{} (from the TZ environment variable)", z.label),
                    tz: z.tz,
                }
            }
        })
    }

    /// Parses a `--tz` value, as people write zones: `UTC`; an offset
    /// (`-08:00`); `local` (the system's zone); an MS C `TZ` value
    /// (`PST8PDT`, with the daylight rule of the era, KB Q96060); a name of
    /// the system's time-zone database, IANA (`America/Los_Angeles`) or
    /// not (`CET`, `EST`, `Japan`); else a POSIX TZ string
    /// (`CET-1CEST,M3.5.0,M10.5.0/3`).
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
        if t.eq_ignore_ascii_case("local") {
            let tz = TimeZone::try_system()
                .map_err(|e| format!("the system's time zone cannot be read: {e}"))?;
            let label = match tz.iana_name() {
                Some(name) => format!("local time ({name})"),
                None => "local time".to_string(),
            };
            return Ok(Zone { tz, label });
        }
        // MS C TZ values (`PST8PDT`, `ast-10`) get the daylight rule of the era
        // (glb_formats::timezone).
        if let Ok(ms) = timezone::parse_ms_c_tz(t) {
            let posix = ms.posix();
            if let Ok(tz) = TimeZone::posix(&posix) {
                let label = if posix == t {
                    t.to_string()
                } else {
                    format!("{t} (as POSIX {posix})")
                };
                return Ok(Zone { tz, label });
            }
        }
        if let Ok(tz) = TimeZone::get(t) {
            let label = match tz.iana_name() {
                Some(name) if name != t => format!("{t} ({name})"),
                _ => t.to_string(),
            };
            return Ok(Zone { tz, label });
        }
        TimeZone::posix(t)
            .map(|tz| Zone {
                tz,
                label: t.to_string(),
            })
            .map_err(|_| {
                format!(
                    "`{t}` is not a time zone: give UTC, an offset such as -08:00, local, an MS C TZ value such as PST8PDT, or a name from the system's time-zone database such as America/Los_Angeles or CET"
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

/// A stamp the way C `ctime()` prints it in the LISTQ/LISTDS samples:
/// `Thu Apr 07 12:13:52 1994`.
pub fn ctime(stamp: Stamp, zone: &Zone) -> String {
    stamp
        .timestamp()
        .to_zoned(zone.tz.clone())
        .strftime("%a %b %d %H:%M:%S %Y")
        .to_string()
}

/// [`ctime`] for many stamps: the date parts are formatted once per local
/// day and the time of day is written from the seconds, so a dump of a
/// million records formats a few hundred dates instead of a million.
#[derive(Debug, Clone)]
pub struct CtimeCache {
    zone: Zone,
    /// Local day number (days since 1970 in the zone) of the cached parts.
    day: Option<i64>,
    /// `Thu Apr 07 ` and ` 1994` for that day.
    prefix: [u8; 11],
    suffix: [u8; 5],
}

impl CtimeCache {
    /// A cache for stamps shown in `zone`.
    pub fn new(zone: &Zone) -> CtimeCache {
        CtimeCache {
            zone: zone.clone(),
            day: None,
            prefix: [b' '; 11],
            suffix: [b' '; 5],
        }
    }

    /// The zone.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// Appends `ctime(stamp, zone)` to `out`.
    pub fn push(&mut self, stamp: Stamp, out: &mut Vec<u8>) {
        let offset = self.zone.tz.to_offset(stamp.timestamp()).seconds();
        let local = i64::from(stamp.0) + i64::from(offset);
        let (day, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
        if self.day != Some(day) {
            let full = ctime(stamp, &self.zone);
            let b = full.as_bytes();
            if b.len() != 24 {
                // Not the usual shape (a year beyond 9999 cannot occur for
                // 32-bit stamps, but stay exact whatever happens).
                out.extend_from_slice(b);
                return;
            }
            self.prefix.copy_from_slice(&b[..11]);
            self.suffix.copy_from_slice(&b[19..]);
            self.day = Some(day);
        }
        out.extend_from_slice(&self.prefix);
        let two = |n: i64| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        out.extend_from_slice(&two(secs / 3600));
        out.push(b':');
        out.extend_from_slice(&two(secs / 60 % 60));
        out.push(b':');
        out.extend_from_slice(&two(secs % 60));
        out.extend_from_slice(&self.suffix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_formats_exactly_as_ctime_in_every_kind_of_zone() {
        for tz in [
            "UTC",
            "-08:00",
            "+05:45",
            "PST8PDT",
            "America/Los_Angeles",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
        ] {
            let Ok(zone) = Zone::parse(tz) else {
                continue; // a system without that IANA zone
            };
            let mut cache = CtimeCache::new(&zone);
            // Steps of 17 minutes and 13 seconds cross days, months, years
            // and daylight-saving changes; the extremes of the 32-bit range too.
            let mut stamps: Vec<u32> = (0..40_000u32).map(|i| 765_000_000 + i * 1033).collect();
            stamps.extend([0, 1, 86_399, 86_400, u32::MAX - 1, u32::MAX]);
            for s in stamps {
                let mut out = Vec::new();
                cache.push(Stamp(s), &mut out);
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    ctime(Stamp(s), &zone),
                    "{tz} {s}"
                );
            }
        }
    }

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
