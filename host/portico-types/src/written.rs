//! Numbers, dates and moments as people write them in each of the
//! portal's languages: the one place that decides it, for the host's
//! pages and messages and, through the SDK, for every module.
//!
//! Czech writes a decimal comma and parts numbers of five digits and more
//! into groups of three with a non-breaking space (`44,5`, `1250`,
//! `52 830`), dates as `4. 12. 2026`; English writes a decimal point and
//! thousands separated by commas (`44.5`, `1,250`, `52,830`), dates as
//! `4 December 2026`. Times are Europe/Prague time, summer time included.
//! Any language but Czech (`cs…`) is written as English.

use chrono::{DateTime, NaiveDate, Utc};

fn czech(lang: &str) -> bool {
    lang.starts_with("cs")
}

/// `n` as `lang` writes it, with as many decimals as it has.
pub fn number(n: f64, lang: &str) -> String {
    if !n.is_finite() {
        return "–".to_owned();
    }
    // Display never writes an exponent and gives the shortest decimals
    // that read back as the same number; -0 is 0.
    let n = if n == 0.0 { 0.0 } else { n };
    let text = n.to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let (group, point, from) = if czech(lang) {
        ('\u{a0}', ',', 5)
    } else {
        (',', '.', 4)
    };
    let mut out = String::from(sign);
    if whole.len() >= from {
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(group);
            }
            out.push(c);
        }
    } else {
        out.push_str(whole);
    }
    if !fraction.is_empty() {
        out.push(point);
        out.push_str(fraction);
    }
    out
}

/// A date as `lang` writes it: `4. 12. 2026`, `4 December 2026`.
pub fn date(d: NaiveDate, lang: &str) -> String {
    if czech(lang) {
        d.format("%-d. %-m. %Y").to_string()
    } else {
        d.format("%-d %B %Y").to_string()
    }
}

/// A date (`2026-12-04`), or the day of an RFC 3339 time in Prague, as
/// `lang` writes it; `text` as it is when it is neither.
pub fn date_text(text: &str, lang: &str) -> String {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        let here = t.with_timezone(&chrono_tz::Europe::Prague);
        return date(here.date_naive(), lang);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_or_else(|_| text.to_owned(), |d| date(d, lang))
}

/// A moment as people here read it, in Europe/Prague time: `2. 12. 2026
/// 14:05`, `2 December 2026, 14:05`.
pub fn moment(t: DateTime<Utc>, lang: &str) -> String {
    let here = t.with_timezone(&chrono_tz::Europe::Prague);
    if czech(lang) {
        here.format("%-d. %-m. %Y %H:%M").to_string()
    } else {
        here.format("%-d %B %Y, %H:%M").to_string()
    }
}

/// A stored moment (RFC 3339) as `lang` writes it in Prague time, a
/// stored date as [`date_text`] does; any other text as it is.
pub fn moment_text(text: &str, lang: &str) -> String {
    match DateTime::parse_from_rfc3339(text.trim()) {
        Ok(t) => moment(t.to_utc(), lang),
        Err(_) => date_text(text, lang),
    }
}

/// The time of day of a moment, in Europe/Prague time: `14:05`.
pub fn time_of_day(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Prague)
        .format("%H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn czech_groups_five_digits_and_more_and_writes_a_decimal_comma() {
        assert_eq!(number(0.0, "cs"), "0");
        assert_eq!(number(1250.0, "cs"), "1250");
        assert_eq!(number(41250.0, "cs"), "41\u{a0}250");
        assert_eq!(number(1_234_567.25, "cs-CZ"), "1\u{a0}234\u{a0}567,25");
        assert_eq!(number(-52830.5, "cs"), "-52\u{a0}830,5");
        assert_eq!(number(f64::NAN, "cs"), "–");
        assert_eq!(number(-0.0, "cs"), "0");
    }

    #[test]
    fn english_groups_thousands_with_commas_and_writes_a_decimal_point() {
        assert_eq!(number(999.0, "en"), "999");
        assert_eq!(number(1250.0, "en"), "1,250");
        assert_eq!(number(1_234_567.25, "en"), "1,234,567.25");
    }

    #[test]
    fn dates_and_moments_are_written_in_prague_time_per_language() {
        assert_eq!(date_text("2026-12-04", "cs"), "4. 12. 2026");
        assert_eq!(date_text("2026-12-04T10:00:00Z", "en"), "4 December 2026");
        // Past midnight in Prague, a day later than in UTC.
        assert_eq!(date_text("2026-12-04T23:30:00Z", "cs"), "5. 12. 2026");
        assert_eq!(date_text("next week", "cs"), "next week");
        let summer = DateTime::parse_from_rfc3339("2026-07-01T22:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(moment(summer, "cs"), "2. 7. 2026 00:30");
        assert_eq!(moment(summer, "en"), "2 July 2026, 00:30");
        let winter = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(time_of_day(winter), "11:00");
        assert_eq!(
            moment_text("2026-12-01T10:00:00Z", "cs"),
            "1. 12. 2026 11:00"
        );
        assert_eq!(moment_text("2026-12-01", "cs"), "1. 12. 2026");
    }
}
