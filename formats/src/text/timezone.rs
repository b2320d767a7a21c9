//! Time zones for Dir-Sync times: the MS-DOS / MS C `TZ` variable that ADMIN,
//! DSSCHED and Dispatch read (KB Q101753, Q96060, Q135352), and the zone
//! glbtool's `--tz` option names.
//!
//! Stored times are C `time_t` values (seconds since 1970 UTC); the programs
//! converted them to and from local time with the MS C run-time library,
//! which reads `TZ` in the form `xxxNN[yyy]` (three-letter zone name, hours
//! west of Greenwich, optional daylight-saving name) and assumes `PST8PDT`
//! when `TZ` is not set (KB Q101753). That the daylight name means U.S.
//! daylight saving is documented ("Daylight Savings Time (U.S. only)",
//! KB Q101753); which days it starts and ends is not in the KB;
//! [`US_DST_RULE`] uses the United States rule of the
//! era (first Sunday of April to last Sunday of October, 02:00), which the
//! MS C library of that time applied to every zone that has a daylight name.
//! That rule is *reconstructed*; see `docs/formats/process.md`.
//!
//! glbtool itself shows times in UTC unless `--tz` names a zone.

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The zone the MS C run-time library assumes when `TZ` is unset (KB Q101753).
pub const MS_C_DEFAULT_TZ: &str = "PST8PDT";

/// The daylight-saving rule of the era, as a POSIX TZ rule: from the first
/// Sunday of April to the last Sunday of October, changing at 02:00 local
/// time. That the daylight name means the U.S. rule is documented ("Daylight
/// Savings Time (U.S. only)", KB Q101753); these dates are reconstructed (the
/// United States rule of 1987-2006).
pub const US_DST_RULE: &str = "M4.1.0/2,M10.5.0/2";

/// An MS C `TZ` value, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsTz {
    /// The standard-time zone name (three characters, not checked, KB Q96060).
    pub std_name: String,
    /// Standard time's offset in seconds west of Greenwich (the MS C `timezone` variable).
    pub seconds_west: i32,
    /// The daylight-saving name, when one follows the hours (any text turns daylight saving on, KB Q96060).
    pub dst_name: Option<String>,
}

/// Parses an MS C `TZ` value such as `PST8PDT`, `EST5EDT`, `GMT0`, `ast-10` or
/// `aus14` (KB Q101753, Q96060): three characters, then hours west of
/// Greenwich (optionally signed, optionally `:MM[:SS]`), then optionally a
/// daylight-saving name.
pub fn parse_ms_c_tz(value: &str) -> Result<MsTz, String> {
    let bad = |why: &str| {
        format!("`{value}` is not an MS C TZ value ({why}); expected a three-letter name, hours west of Greenwich and an optional daylight-saving name, such as PST8PDT, EST5EDT or GMT0")
    };
    let chars: Vec<char> = value.trim().chars().collect();
    if chars.len() < 4 {
        return Err(bad("too short"));
    }
    let name: String = chars[..3].iter().collect();
    if !chars[..3].iter().all(|c| c.is_ascii_alphabetic()) {
        return Err(bad("the first three characters must be letters"));
    }
    let mut i = 3;
    let mut sign = 1i32;
    if let Some(&c) = chars.get(i) {
        if c == '+' || c == '-' {
            sign = if c == '-' { -1 } else { 1 };
            i += 1;
        }
    }
    let mut parts = [0i32; 3];
    for (n, part) in parts.iter_mut().enumerate() {
        if n > 0 {
            if chars.get(i) != Some(&':') {
                break;
            }
            i += 1;
        }
        let start = i;
        while i < chars.len() && i - start < 2 && chars[i].is_ascii_digit() {
            *part = *part * 10 + chars[i].to_digit(10).map_or(0, |d| d as i32);
            i += 1;
        }
        if i == start {
            return Err(bad(if n == 0 {
                "no hours after the name"
            } else {
                "no digits after `:`"
            }));
        }
    }
    let [h, m, s] = parts;
    if h > 24 || m > 59 || s > 59 {
        return Err(bad("the offset is out of range"));
    }
    let rest: String = chars[i..].iter().collect();
    if !rest.is_empty() && !rest.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(bad("the daylight-saving name must be letters"));
    }
    Ok(MsTz {
        std_name: name,
        seconds_west: sign * (h * 3600 + m * 60 + s),
        dst_name: (!rest.is_empty()).then_some(rest),
    })
}

impl MsTz {
    /// The equivalent POSIX TZ string, with [`US_DST_RULE`] when the value has
    /// a daylight-saving name (for example `PST8PDT,M4.1.0/2,M10.5.0/2`).
    pub fn posix(&self) -> String {
        let w = self.seconds_west.unsigned_abs();
        let sign = if self.seconds_west < 0 { "-" } else { "" };
        let mut offset = format!("{sign}{}", w / 3600);
        if !w.is_multiple_of(3600) {
            offset.push_str(&format!(":{:02}:{:02}", w % 3600 / 60, w % 60));
        }
        match &self.dst_name {
            None => format!("{}{offset}", posix_name(&self.std_name)),
            Some(d) => format!(
                "{}{offset}{},{US_DST_RULE}",
                posix_name(&self.std_name),
                posix_name(d)
            ),
        }
    }

    /// The zone as a `jiff` time zone.
    pub fn time_zone(&self) -> Result<TimeZone, String> {
        let posix = self.posix();
        TimeZone::posix(&posix).map_err(|e| format!("cannot build the time zone `{posix}`: {e}"))
    }
}

/// POSIX wants names of at least three letters; MS C took any text after the
/// hours as "daylight saving on", so a shorter name becomes `DST`.
fn posix_name(name: &str) -> &str {
    if name.len() >= 3 {
        name
    } else {
        "DST"
    }
}

/// The `jiff` time zone for an MS C `TZ` value (see [`parse_ms_c_tz`]).
pub fn ms_c_time_zone(value: &str) -> Result<TimeZone, String> {
    parse_ms_c_tz(value)?.time_zone()
}

/// The zone a `--tz` value names: `UTC`, an MS C `TZ` value such as `PST8PDT`
/// (daylight saving by the rule of the era), or an IANA zone name such as
/// `America/Los_Angeles` (today's rules, from the system's zone database).
pub fn resolve(value: &str) -> Result<TimeZone, String> {
    if value.eq_ignore_ascii_case("UTC") || value.eq_ignore_ascii_case("Z") {
        return Ok(TimeZone::UTC);
    }
    match parse_ms_c_tz(value) {
        Ok(tz) => tz.time_zone(),
        Err(ms_c_error) => TimeZone::get(value).map_err(|_| {
            format!("{ms_c_error}; it is not an IANA zone name such as America/Los_Angeles either, and not UTC")
        }),
    }
}

/// The standard-time offset of `tz` at `at`, in seconds west of UTC: what the
/// MS C `timezone` variable held on a machine in that zone (daylight saving is
/// taken as one hour, as MS C did).
pub fn seconds_west(tz: &TimeZone, at: Timestamp) -> i32 {
    let info = tz.to_offset_info(at);
    let east = info.offset().seconds();
    let standard_east = if info.dst().is_dst() {
        east - 3600
    } else {
        east
    };
    -standard_east
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn local(tz: &TimeZone, y: i16, m: i8, d: i8, h: i8) -> String {
        let ts = date(y, m, d)
            .at(h, 0, 0, 0)
            .to_zoned(TimeZone::UTC)
            .unwrap()
            .timestamp();
        tz.to_datetime(ts).to_string()
    }

    #[test]
    fn pst8pdt_follows_the_us_rule_of_the_era() {
        let tz = ms_c_time_zone(MS_C_DEFAULT_TZ).unwrap();
        // Winter: UTC-8. Summer: UTC-7.
        assert_eq!(local(&tz, 1994, 2, 18, 21), "1994-02-18T13:00:00");
        assert_eq!(local(&tz, 1994, 7, 1, 20), "1994-07-01T13:00:00");
        // 1994: DST began Sunday April 3 (first Sunday) and ended Sunday October 30 (last).
        assert_eq!(local(&tz, 1994, 4, 2, 20), "1994-04-02T12:00:00");
        assert_eq!(local(&tz, 1994, 4, 3, 20), "1994-04-03T13:00:00");
        assert_eq!(local(&tz, 1994, 10, 29, 20), "1994-10-29T13:00:00");
        assert_eq!(local(&tz, 1994, 10, 30, 20), "1994-10-30T12:00:00");
        // The rule of the era, not today's: 2010-03-20 is still standard time.
        assert_eq!(local(&tz, 2010, 3, 20, 20), "2010-03-20T12:00:00");
    }

    #[test]
    fn documented_values_parse() {
        let p = parse_ms_c_tz("PST8PDT").unwrap();
        assert_eq!(
            (p.std_name.as_str(), p.seconds_west, p.dst_name.as_deref()),
            ("PST", 28_800, Some("PDT"))
        );
        assert_eq!(p.posix(), "PST8PDT,M4.1.0/2,M10.5.0/2");
        // KB Q101753: Sydney either as ast-10 or ast14; east is negative.
        assert_eq!(parse_ms_c_tz("ast-10").unwrap().seconds_west, -36_000);
        assert_eq!(parse_ms_c_tz("aus14").unwrap().seconds_west, 50_400);
        assert_eq!(parse_ms_c_tz("GMT0").unwrap().posix(), "GMT0");
        assert_eq!(parse_ms_c_tz("pst8").unwrap().dst_name, None);
        assert_eq!(parse_ms_c_tz("IST-5:30").unwrap().seconds_west, -19_800);
        let india = ms_c_time_zone("IST-5:30").unwrap();
        assert_eq!(local(&india, 1995, 1, 1, 0), "1995-01-01T05:30:00");
        let sydney = ms_c_time_zone("ast-10").unwrap();
        assert_eq!(local(&sydney, 1995, 1, 1, 0), "1995-01-01T10:00:00");
    }

    #[test]
    fn bad_values_say_what_is_expected() {
        for v in ["", "PST", "8PST", "PSTX", "PST99", "PST8P-T", "PST8:"] {
            let e = parse_ms_c_tz(v).unwrap_err();
            assert!(e.contains("PST8PDT"), "{v}: {e}");
        }
        assert!(resolve("Nowhere/Atlantis").is_err());
    }

    #[test]
    fn resolve_accepts_utc_ms_c_and_fixed_forms() {
        assert_eq!(resolve("UTC").unwrap(), TimeZone::UTC);
        let tz = resolve("EST5EDT").unwrap();
        assert_eq!(local(&tz, 1995, 1, 1, 12), "1995-01-01T07:00:00");
    }

    #[test]
    fn seconds_west_is_the_standard_offset_like_ms_c() {
        let tz = ms_c_time_zone("PST8PDT").unwrap();
        let summer = date(1995, 7, 1)
            .at(12, 0, 0, 0)
            .to_zoned(TimeZone::UTC)
            .unwrap()
            .timestamp();
        let winter = date(1995, 1, 1)
            .at(12, 0, 0, 0)
            .to_zoned(TimeZone::UTC)
            .unwrap()
            .timestamp();
        assert_eq!(seconds_west(&tz, summer), 28_800);
        assert_eq!(seconds_west(&tz, winter), 28_800);
        assert_eq!(seconds_west(&TimeZone::UTC, winter), 0);
        assert_eq!(
            seconds_west(&ms_c_time_zone("ast-10").unwrap(), winter),
            -36_000
        );
    }
}
