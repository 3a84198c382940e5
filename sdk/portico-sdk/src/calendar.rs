//! Dates as a Czech office counts them: today in Europe/Prague, the Czech
//! public holidays (Easter computed), working days, and dates written the
//! way people of each language write them.
//!
//! ```no_run
//! use portico_sdk::calendar;
//! // Three working days before a deadline, a reminder.
//! let due = calendar::parse_date("2026-12-28").unwrap();
//! let remind = calendar::add_working_days(due, -3);
//! assert_eq!(remind.to_string(), "2026-12-21"); // 24–26 December are holidays
//! ```

use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Europe::Prague;

pub use chrono::{Days, NaiveDate as Date};

/// A Czech public holiday (státní svátek or ostatní svátek, zákon
/// č. 245/2000 Sb.): a day off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holiday {
    /// Its Czech name.
    pub cs: &'static str,
    /// Its English name.
    pub en: &'static str,
}

impl Holiday {
    /// Its name in `locale`'s language (Czech for `cs…`, else English).
    pub fn name(&self, locale: &str) -> &'static str {
        if locale.starts_with("cs") {
            self.cs
        } else {
            self.en
        }
    }
}

/// Today's date in Europe/Prague, by the host's wall clock.
pub fn today() -> NaiveDate {
    now().date_naive()
}

/// Now, in Europe/Prague, by the host's wall clock.
pub fn now() -> chrono::DateTime<chrono_tz::Tz> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let utc = chrono::DateTime::from_timestamp(
        i64::try_from(since.as_secs()).unwrap_or(0),
        since.subsec_nanos(),
    )
    .unwrap_or_default();
    utc.with_timezone(&Prague)
}

/// Now as a module keeps it in a history: `YYYY-MM-DD HH:MM`,
/// Europe/Prague (sorts as text; shown by [`format_stamp`]).
pub fn stamp() -> String {
    now().format("%Y-%m-%d %H:%M").to_string()
}

/// A [`stamp`] as people of `locale`'s language write it (`2. 12. 2026
/// 14:05`); text that is not one, as it is.
pub fn format_stamp(stamp: &str, locale: &str) -> String {
    let (date, time) = stamp.split_once(' ').unwrap_or((stamp, ""));
    match parse_date(date) {
        Some(d) => format!("{} {time}", format_date(d, locale))
            .trim_end()
            .to_owned(),
        None => stamp.to_owned(),
    }
}

/// Reads a date written as `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

const FIXED: [(u32, u32, Holiday); 11] = [
    (
        1,
        1,
        Holiday {
            cs: "Den obnovy samostatného českého státu; Nový rok",
            en: "Restoration Day of the Independent Czech State; New Year's Day",
        },
    ),
    (
        5,
        1,
        Holiday {
            cs: "Svátek práce",
            en: "Labour Day",
        },
    ),
    (
        5,
        8,
        Holiday {
            cs: "Den vítězství",
            en: "Victory Day",
        },
    ),
    (
        7,
        5,
        Holiday {
            cs: "Den slovanských věrozvěstů Cyrila a Metoděje",
            en: "Saints Cyril and Methodius Day",
        },
    ),
    (
        7,
        6,
        Holiday {
            cs: "Den upálení mistra Jana Husa",
            en: "Jan Hus Day",
        },
    ),
    (
        9,
        28,
        Holiday {
            cs: "Den české státnosti",
            en: "Statehood Day",
        },
    ),
    (
        10,
        28,
        Holiday {
            cs: "Den vzniku samostatného československého státu",
            en: "Independent Czechoslovak State Day",
        },
    ),
    (
        11,
        17,
        Holiday {
            cs: "Den boje za svobodu a demokracii a Mezinárodní den studentstva",
            en: "Struggle for Freedom and Democracy Day and International Students' Day",
        },
    ),
    (
        12,
        24,
        Holiday {
            cs: "Štědrý den",
            en: "Christmas Eve",
        },
    ),
    (
        12,
        25,
        Holiday {
            cs: "1. svátek vánoční",
            en: "Christmas Day",
        },
    ),
    (
        12,
        26,
        Holiday {
            cs: "2. svátek vánoční",
            en: "Second Day of Christmas",
        },
    ),
];

const GOOD_FRIDAY: Holiday = Holiday {
    cs: "Velký pátek",
    en: "Good Friday",
};

const EASTER_MONDAY: Holiday = Holiday {
    cs: "Velikonoční pondělí",
    en: "Easter Monday",
};

/// The Czech public holiday on `date`, if it is one. Good Friday is a
/// holiday from 2016 on; the list is the law's since 2000.
pub fn holiday(date: NaiveDate) -> Option<Holiday> {
    if let Some((_, _, h)) = FIXED
        .iter()
        .find(|(m, d, _)| date.month() == *m && date.day() == *d)
    {
        return Some(*h);
    }
    let easter = computus::gregorian_naive(date.year()).ok()?;
    if date == easter + chrono::Days::new(1) {
        return Some(EASTER_MONDAY);
    }
    if date.year() >= 2016 && easter.checked_sub_days(chrono::Days::new(2)) == Some(date) {
        return Some(GOOD_FRIDAY);
    }
    None
}

/// Whether `date` is a working day: neither a weekend nor a holiday.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && holiday(date).is_none()
}

/// The date `n` working days after `date` (before it for a negative `n`);
/// `date` itself for 0.
pub fn add_working_days(date: NaiveDate, n: i64) -> NaiveDate {
    let step = if n < 0 { -1 } else { 1 };
    let mut left = n.abs();
    let mut d = date;
    while left > 0 {
        d = shift(d, step);
        if is_working_day(d) {
            left -= 1;
        }
    }
    d
}

/// How many working days lie after `from` up to and including `to`; the
/// negative count when `to` is before `from`.
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let (a, b, sign) = if to >= from {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let count = a
        .iter_days()
        .skip(1)
        .take_while(|d| *d <= b)
        .filter(|d| is_working_day(*d))
        .count();
    sign * i64::try_from(count).unwrap_or(i64::MAX)
}

fn shift(d: NaiveDate, step: i64) -> NaiveDate {
    if step < 0 {
        d.pred_opt().unwrap_or(d)
    } else {
        d.succ_opt().unwrap_or(d)
    }
}

/// `date` as people of `locale`'s language write it: `2. 12. 2026` in
/// Czech, `2 December 2026` in English.
pub fn format_date(date: NaiveDate, locale: &str) -> String {
    portico_types::written::date(date, locale)
}

/// A stored `YYYY-MM-DD` text, or the day of an RFC 3339 time in Prague,
/// as people of `locale`'s language write it ([`format_date`]); any other
/// text as it is.
///
/// ```
/// use portico_sdk::calendar::format_date_text;
/// assert_eq!(format_date_text("2026-12-02", "cs"), "2. 12. 2026");
/// assert_eq!(format_date_text("soon", "cs"), "soon");
/// ```
pub fn format_date_text(text: &str, locale: &str) -> String {
    portico_types::written::date_text(text, locale)
}

/// A stored moment (RFC 3339, as `Utc::now()` writes it) as people of
/// `locale`'s language read it, in Prague time: `4. 12. 2026 9:05`,
/// `4 December 2026, 09:05`; a date as [`format_date_text`] writes it.
pub fn format_moment_text(text: &str, locale: &str) -> String {
    portico_types::written::moment_text(text, locale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn easter_and_christmas_are_days_off() {
        // Easter 2026 is on 5 April.
        assert_eq!(holiday(d("2026-04-03")), Some(GOOD_FRIDAY));
        assert_eq!(holiday(d("2026-04-06")), Some(EASTER_MONDAY));
        assert_eq!(holiday(d("2026-04-05")), None);
        assert!(!is_working_day(d("2026-12-24")));
        // Before 2016 Good Friday was a working day.
        assert!(holiday(d("2015-04-03")).is_none());
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Wed 23 Dec 2026 + 1 working day: 24–27 are off, Mon 28.
        assert_eq!(add_working_days(d("2026-12-23"), 1), d("2026-12-28"));
        assert_eq!(add_working_days(d("2026-12-28"), -1), d("2026-12-23"));
        assert_eq!(working_days_between(d("2026-12-23"), d("2026-12-28")), 1);
        assert_eq!(working_days_between(d("2026-12-28"), d("2026-12-23")), -1);
        assert_eq!(add_working_days(d("2026-12-23"), 0), d("2026-12-23"));
    }

    #[test]
    fn dates_are_written_as_each_language_writes_them() {
        assert_eq!(format_date(d("2026-12-02"), "cs-CZ"), "2. 12. 2026");
        assert_eq!(format_date(d("2026-12-02"), "en"), "2 December 2026");
        assert_eq!(format_stamp("2026-12-02 14:05", "cs"), "2. 12. 2026 14:05");
        assert_eq!(format_stamp("2026-12-02", "en"), "2 December 2026");
        assert_eq!(format_stamp("soon", "en"), "soon");
    }
}
