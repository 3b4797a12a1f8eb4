//! ISO-8601 timestamps from the host's clock, without a date library.

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
    use super::iso_utc;

    #[test]
    fn formats_like_javascript_to_iso_string() {
        assert_eq!(iso_utc(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(951_782_400_000.0), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_utc(1_795_689_104_123.0), "2026-11-26T10:31:44.123Z");
        assert_eq!(iso_utc(-1.0), "1969-12-31T23:59:59.999Z");
    }
}
