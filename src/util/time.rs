//! UTC timestamps. The dispatcher writes one per event without a date-time
//! dependency, so that code lives in its crate; reading the dates people
//! and registries write (`2026-11-30`, RFC 3339) is jiff's.

pub use paii_dispatch::time::{now_millis, utc};

/// Seconds since the Unix epoch, now.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// An RFC 3339 time (`2026-11-30T12:00:00Z`, any offset) or a date
/// (`2026-11-30`, midnight UTC), in seconds since the Unix epoch.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t.as_second());
    }
    let date: jiff::civil::Date = text
        .parse()
        .map_err(|_| format!("`{text}` is not a date; expected `YYYY-MM-DD` or an RFC 3339 time such as `2026-11-30T12:00:00Z`"))?;
    date.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp().as_second()).map_err(|e| format!("`{text}`: {e}"))
}

/// `secs` as RFC 3339 in UTC, for the lock and messages.
pub fn rfc3339(secs: i64) -> String {
    utc(secs.max(0) as u64)
}

/// How long ago `secs` was, as a person says it: `3 days`, `5 hours`.
pub fn ago(secs: i64, now: i64) -> String {
    let d = (now - secs).max(0);
    match d {
        d if d >= 2 * 86_400 => format!("{} days", d / 86_400),
        d if d >= 2 * 3_600 => format!("{} hours", d / 3_600),
        d if d >= 120 => format!("{} minutes", d / 60),
        d => format!("{d} seconds"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_read_as_seconds_since_the_epoch() {
        assert_eq!(parse_timestamp("1970-01-02").unwrap(), 86_400);
        assert_eq!(parse_timestamp("1970-01-01T01:00:00Z").unwrap(), 3_600);
        assert_eq!(parse_timestamp("1970-01-01T02:00:00+01:00").unwrap(), 3_600);
        assert!(parse_timestamp("yesterday").is_err());
        assert_eq!(rfc3339(86_400), "1970-01-02T00:00:00Z");
    }
}
