//! ISO-8601 timestamps from the host's clock, without a date library, and
//! the RFC 3339 grammar the registry's timestamps must follow.

/// Whether `s` is an RFC 3339 `date-time` (section 5.6):
/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`, `T` and `Z` in either
/// case, a real calendar day, hours to 23, minutes and seconds to 59, and a
/// leap second (`:60`) only at 23:59 UTC. The same set as the registry
/// schema's `"format": "date-time"` with its `pattern`.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |at: usize, n: usize| -> Option<u32> {
        let part = b.get(at..at + n)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    };
    let at = |i: usize, c: u8| b.get(i).is_some_and(|x| x.eq_ignore_ascii_case(&c));
    let (Some(year), Some(month), Some(day)) = (digits(0, 4), digits(5, 2), digits(8, 2)) else {
        return false;
    };
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return false;
    }
    let (Some(hour), Some(minute), Some(second)) = (digits(11, 2), digits(14, 2), digits(17, 2))
    else {
        return false;
    };
    let mut i = 19;
    if at(i, b'.') {
        let run = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if run == 0 {
            return false;
        }
        i += 1 + run;
    }
    let offset_minutes: i64 = if at(i, b'Z') && i + 1 == b.len() {
        0
    } else if (at(i, b'+') || at(i, b'-')) && i + 6 == b.len() && at(i + 3, b':') {
        let (Some(h), Some(m)) = (digits(i + 1, 2), digits(i + 4, 2)) else {
            return false;
        };
        if h > 23 || m > 59 {
            return false;
        }
        let sign = if at(i, b'-') { -1 } else { 1 };
        sign * i64::from(h * 60 + m)
    } else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    if second == 60 {
        // In UTC the minute must be 23:59.
        let utc = (i64::from(hour * 60 + minute) - offset_minutes).rem_euclid(1440);
        return utc == 23 * 60 + 59;
    }
    true
}

/// `2026-11-26T10:31:44.123Z` for milliseconds since the epoch.
pub fn iso_utc(ms_since_epoch: f64) -> String {
    let ms = if ms_since_epoch.is_finite() {
        ms_since_epoch.floor() as i64
    } else {
        0
    };
    let days = ms.div_euclid(86_400_000);
    let ms_of_day = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

/// Milliseconds since the epoch of an RFC 3339 date-time
/// (`2026-12-01T11:27:44.916881261Z`, or with a `±HH:MM` offset); `None`
/// when it is not one.
pub fn parse_utc_ms(s: &str) -> Option<f64> {
    if !is_rfc3339(s) {
        return None;
    }
    let num = |a: usize, b: usize| s.get(a..b)?.parse::<i64>().ok();
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hh, mm, ss) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let rest = &s[19..];
    let (frac, zone) = match rest.strip_prefix('.') {
        Some(r) => {
            let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            (&r[..n], &r[n..])
        }
        None => ("", rest),
    };
    let ms_frac = frac
        .chars()
        .chain("000".chars())
        .take(3)
        .collect::<String>()
        .parse::<i64>()
        .ok()?;
    let offset = if zone.eq_ignore_ascii_case("z") {
        0
    } else {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        sign * (zone.get(1..3)?.parse::<i64>().ok()? * 60 + zone.get(4..6)?.parse::<i64>().ok()?)
    };
    let days = days_from_civil(y, m, d);
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss - offset * 60;
    Some((secs * 1000 + ms_frac) as f64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::{is_rfc3339, iso_utc, parse_utc_ms};

    #[test]
    fn rfc3339_date_times() {
        for ok in [
            "2026-01-01T00:00:00.000Z",
            "2026-01-01t00:00:00z",
            "2024-02-29T12:00:00+05:30",
            "2026-12-31T23:59:59.123456789-08:00",
            "2016-12-31T23:59:60Z",
            "2017-01-01T05:29:60+05:30",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "yesterday",
            "",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00+0100",
            "2026-01-01T00:00:00+01",
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T12:59:60Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00Zjunk",
            "2026-01-01T00:00:00+24:00",
            "２026-01-01T00:00:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
        assert!(is_rfc3339(&iso_utc(1_795_689_104_123.0)));
    }

    #[test]
    fn formats_like_javascript_to_iso_string() {
        assert_eq!(iso_utc(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(951_782_400_000.0), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_utc(1_795_689_104_123.0), "2026-11-26T10:31:44.123Z");
        assert_eq!(iso_utc(-1.0), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn parses_back_what_it_formats() {
        for ms in [0.0, 951_782_400_000.0, 1_795_689_104_123.0, -1.0] {
            assert_eq!(parse_utc_ms(&iso_utc(ms)), Some(ms));
        }
        assert_eq!(
            parse_utc_ms("2026-11-26T12:31:44.1239Z"),
            Some(1_795_696_304_123.0)
        );
        assert_eq!(
            parse_utc_ms("2026-11-26T12:31:44+02:00"),
            parse_utc_ms("2026-11-26T10:31:44Z")
        );
        assert_eq!(parse_utc_ms("yesterday"), None);
    }
}
