//! The dates reports and deadlines are kept in: instants as RFC 3339 in
//! UTC to the second, days (a deadline's last day) as YYYY-MM-DD. UTC
//! only: a module has no time-zone database.

use chrono::{DateTime, Days, NaiveDate, SecondsFormat, Utc};

/// Now, RFC 3339 in UTC to the second.
pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Today, YYYY-MM-DD (UTC).
pub fn today() -> String {
    Utc::now().date_naive().to_string()
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The date `days` after `date` (YYYY-MM-DD).
pub fn date_after(date: &str, days: u64) -> String {
    parse_date(date)
        .and_then(|d| d.checked_add_days(Days::new(days)))
        .map_or_else(|| date.to_owned(), |d| d.to_string())
}

/// The date `days` before `date` (both YYYY-MM-DD); `date` when it cannot be read.
pub fn date_before(date: &str, days: u64) -> String {
    parse_date(date)
        .and_then(|d| d.checked_sub_days(Days::new(days)))
        .map_or_else(|| date.to_owned(), |d| d.to_string())
}

/// Whole days from `from` to `to` (RFC 3339).
pub fn days_between(from: &str, to: &str) -> Option<f64> {
    let a = DateTime::parse_from_rfc3339(from).ok()?;
    let b = DateTime::parse_from_rfc3339(to).ok()?;
    Some((b - a).num_seconds() as f64 / 86_400.0)
}
