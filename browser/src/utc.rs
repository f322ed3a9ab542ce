//! Times as people read them, in UTC: Clef records seconds since the Unix epoch (audit log,
//! saved pages) and shows them as dates.

/// "YYYY-MM-DD HH:MM UTC".
pub fn minutes(epoch_seconds: u64) -> String {
    let (date, hour, minute, _) = parts(epoch_seconds);
    format!("{date} {hour:02}:{minute:02} UTC")
}

/// "YYYY-MM-DD HH:MM:SS UTC".
pub fn seconds(epoch_seconds: u64) -> String {
    let (date, hour, minute, second) = parts(epoch_seconds);
    format!("{date} {hour:02}:{minute:02}:{second:02} UTC")
}

fn parts(epoch_seconds: u64) -> (String, u64, u64, u64) {
    let days = i64::try_from(epoch_seconds / 86_400).unwrap_or(0);
    let of_day = epoch_seconds % 86_400;
    let (year, month, day) = civil_date(days);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60,
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Hinnant's days-to-civil algorithm).
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = u32::try_from(day_of_year - (153 * month_index + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    })
    .unwrap_or(1);
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_read_as_utc_dates() {
        assert_eq!(minutes(0), "1970-01-01 00:00 UTC");
        assert_eq!(minutes(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(minutes(1_795_613_918), "2026-11-25 13:38 UTC");
        assert_eq!(seconds(1_795_613_918), "2026-11-25 13:38:38 UTC");
        assert_eq!(seconds(4_107_542_399), "2100-02-28 23:59:59 UTC");
    }
}
