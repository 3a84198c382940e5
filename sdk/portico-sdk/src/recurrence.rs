//! Schedules that repeat, as iCalendar's recurrence rules (RFC 5545
//! `RRULE`) say: "every quarter on the 15th" is
//! `FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15`. Dates only: a schedule names
//! days, each a deadline or a day something is due.
//!
//! ```no_run
//! use portico_sdk::{calendar, recurrence::Schedule};
//! let start = calendar::parse_date("2027-01-01").unwrap();
//! let quarterly = Schedule::parse("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15", start).unwrap();
//! let next: Vec<_> = quarterly
//!     .between(start, calendar::parse_date("2027-12-31").unwrap())
//!     .into_iter()
//!     .map(|d| d.to_string())
//!     .collect();
//! assert_eq!(next, ["2027-01-15", "2027-04-15", "2027-07-15", "2027-10-15"]);
//! ```

use chrono::{NaiveDate, TimeZone};
use rrule::{RRuleSet, Tz};

/// The most dates one expansion gives.
pub const MOST_DATES: u16 = 1_000;

/// A recurrence rule from a start date.
#[derive(Debug, Clone)]
pub struct Schedule {
    rule: String,
    start: NaiveDate,
}

impl Schedule {
    /// A schedule of `rule` (an `RRULE` value, without the `RRULE:`
    /// prefix) from `start`, the first day it may fall on. The error says
    /// what is wrong with the rule, in English (for the log and for
    /// vendors; a module shows people its own words).
    pub fn parse(rule: &str, start: NaiveDate) -> Result<Schedule, String> {
        let rule = rule.trim().trim_start_matches("RRULE:").to_owned();
        if rule.is_empty() {
            return Err("the rule is empty".into());
        }
        let upper = rule.to_ascii_uppercase();
        for part in ["FREQ=HOURLY", "FREQ=MINUTELY", "FREQ=SECONDLY"] {
            if upper.contains(part) {
                return Err(format!(
                    "`{part}` repeats within a day; a schedule names days"
                ));
            }
        }
        let schedule = Schedule { rule, start };
        schedule.set()?;
        Ok(schedule)
    }

    /// The rule, as given.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The first day the schedule may fall on.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    fn set(&self) -> Result<RRuleSet, String> {
        format!(
            "DTSTART:{}T000000Z\nRRULE:{}",
            self.start.format("%Y%m%d"),
            self.rule
        )
        .parse::<RRuleSet>()
        .map_err(|e| e.to_string())
    }

    /// The days of the schedule from `from` to `until`, both included, at
    /// most [`MOST_DATES`] of them.
    pub fn between(&self, from: NaiveDate, until: NaiveDate) -> Vec<NaiveDate> {
        let Ok(set) = self.set() else {
            return Vec::new();
        };
        let midnight =
            |d: NaiveDate| Tz::UTC.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN));
        set.after(midnight(from))
            .before(midnight(until))
            .all(MOST_DATES)
            .dates
            .into_iter()
            .map(|d| d.date_naive())
            .collect()
    }

    /// The first day of the schedule on or after `date`.
    pub fn next_from(&self, date: NaiveDate) -> Option<NaiveDate> {
        let Ok(set) = self.set() else {
            return None;
        };
        let midnight = Tz::UTC.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN));
        set.after(midnight)
            .all(1)
            .dates
            .first()
            .map(|d| d.date_naive())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::parse_date;

    #[test]
    fn a_quarterly_rule_falls_on_its_day() {
        let s = Schedule::parse(
            "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15",
            parse_date("2027-01-01").unwrap(),
        )
        .unwrap();
        let days = s.between(
            parse_date("2027-01-01").unwrap(),
            parse_date("2027-06-30").unwrap(),
        );
        assert_eq!(
            days.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["2027-01-15", "2027-04-15"]
        );
        assert_eq!(
            s.next_from(parse_date("2027-04-16").unwrap())
                .unwrap()
                .to_string(),
            "2027-07-15"
        );
    }

    #[test]
    fn a_bad_rule_is_refused_with_the_reason() {
        let start = parse_date("2027-01-01").unwrap();
        assert!(Schedule::parse("FREQ=FORTNIGHTLY", start).is_err());
        assert!(
            Schedule::parse("FREQ=HOURLY", start)
                .unwrap_err()
                .contains("within a day")
        );
        assert!(Schedule::parse("", start).is_err());
    }
}
