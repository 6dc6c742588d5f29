//! Wall-clock time, and parsing `--since` values (RFC 3339 itself is `agent_auth_contract::rfc3339`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_auth_contract::rfc3339;

/// Now, in seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs() as i64
}

/// Parses `--since`: an RFC 3339 time, or an age such as `30m`, `24h`, `7d`, relative to `now`.
pub fn parse_since(text: &str, now: i64) -> Option<i64> {
    if let Some(t) = rfc3339::parse(text) {
        return Some(t);
    }
    let t = text.trim();
    let (number, unit) = t.split_at(t.len().checked_sub(1)?);
    let n: i64 = number.parse().ok()?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    Some(now - n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_times_and_ages() {
        assert_eq!(parse_since("2000-02-29T00:00:00Z", 0), Some(951_782_400));
        assert_eq!(parse_since("30m", 10_000), Some(8_200));
        assert_eq!(parse_since("2d", 200_000), Some(27_200));
        assert_eq!(parse_since("soon", 0), None);
    }
}
