//! HTTP dates (RFC 9110 IMF-fixdate, `Tue, 01 Dec 2026 14:44:18 GMT`): the virtual Scalekit
//! sends them in `Date`, and `--doctor` reads the server's against this machine's clock.

use crate::rfc3339;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/// 1970-01-01 was a Thursday.
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Seconds since the epoch as an HTTP date.
pub fn format(secs: i64) -> String {
    let civil = rfc3339::format(secs);
    let (year, month, day, time) = (&civil[0..4], &civil[5..7], &civil[8..10], &civil[11..19]);
    let month = MONTHS[month.parse::<usize>().unwrap_or(1) - 1];
    format!("{}, {day} {month} {year} {time} GMT", WEEKDAYS[secs.div_euclid(86_400).rem_euclid(7) as usize])
}

/// An HTTP date in seconds since the epoch; `None` for anything else (the obsolete forms too).
pub fn parse(text: &str) -> Option<i64> {
    let [_, day, month, year, time, "GMT"] = text.split_whitespace().collect::<Vec<_>>()[..] else { return None };
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    rfc3339::parse(&format!("{year}-{month:02}-{day:0>2}T{time}Z"))
}

#[cfg(test)]
mod tests {
    use super::{format, parse};

    #[test]
    fn dates_round_trip() {
        let at = crate::rfc3339::parse("2026-12-01T14:44:18Z").unwrap();
        assert_eq!(format(at), "Tue, 01 Dec 2026 14:44:18 GMT");
        assert_eq!(parse("Tue, 01 Dec 2026 14:44:18 GMT"), Some(at));
        assert_eq!(format(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(parse("Tue, 01 Dec 2026 14:44:18 PST"), None);
        assert_eq!(parse("yesterday"), None);
    }
}
