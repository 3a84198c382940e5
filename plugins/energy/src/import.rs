//! Reading the files that come in: a meter's readings as distributors and
//! meter gateways export them (a quarter-hour or an hour a line, or a day a
//! line), and a weather station's temperatures (an hour or a day a line).
//!
//! A line is a moment or a date, then a value; `;` or `,` between them,
//! a decimal comma where `;` separates. A first line that is no date is a
//! header. The date and time may be in columns of their own. A moment
//! without an offset is Europe/Prague's clock; in the autumn's repeated
//! hour the first time seen is the earlier one. An interval's value is
//! the use from its moment to the next.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Europe::Prague;

/// A line refused: its number, and what is wrong in both languages.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub line: usize,
    pub en: String,
    pub cs: String,
}

/// At most this many lines are named when a file is refused.
pub const MOST_NAMED: usize = 20;

/// What one line holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    Day(NaiveDate),
    /// A moment, seconds since 1970.
    At(i64),
}

pub struct Parsed {
    pub rows: Vec<(usize, When, f64)>,
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&t.replace(' ', ""), "%d.%m.%Y"))
        .ok()
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    let t = text.trim();
    NaiveTime::parse_from_str(t, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        .ok()
}

/// A moment with an offset, or a local date and time.
enum Moment {
    Fixed(i64),
    Local(NaiveDateTime),
}

fn parse_moment(text: &str) -> Option<Moment> {
    let t = text.trim();
    if let Ok(m) = DateTime::parse_from_rfc3339(t) {
        return Some(Moment::Fixed(m.timestamp()));
    }
    if let Ok(m) = DateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%:z") {
        return Some(Moment::Fixed(m.timestamp()));
    }
    let (d, time) = t.split_once(['T', ' ']).map_or((t, ""), |(d, rest)| {
        // `1. 1. 2024 00:15`: the date holds spaces; the time is last.
        if d.ends_with('.') {
            let (date, time) = t.rsplit_once(' ').unwrap_or((t, ""));
            (date, time)
        } else {
            (d, rest)
        }
    });
    let date = parse_date(d)?;
    if let Some(utc) = time.strip_suffix('Z') {
        let at = date.and_time(parse_time(utc)?).and_utc();
        return Some(Moment::Fixed(at.timestamp()));
    }
    let time = parse_time(time)?;
    Some(Moment::Local(date.and_time(time)))
}

fn parse_value(text: &str, decimal_comma: bool) -> Option<f64> {
    let t = text.trim().replace([' ', '\u{a0}'], "");
    let t = if decimal_comma {
        t.replace(',', ".")
    } else {
        t
    };
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Reads a file of readings or temperatures. `negative` allows values
/// below zero (temperatures).
pub fn parse(text: &str, negative: bool) -> Result<Parsed, Vec<Refusal>> {
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first.contains(';') { b';' } else { b',' };
    let decimal_comma = delimiter == b';';
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    let mut refuse = |line: usize, en: String, cs: String| {
        refused.push(Refusal { line, en, cs });
    };
    // Local moments seen, for the autumn's repeated hour.
    let mut seen: HashSet<NaiveDateTime> = HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(i + 1, |p| p.line() as usize);
                refuse(
                    line,
                    format!("not a line of CSV: {e}"),
                    format!("není řádek CSV: {e}"),
                );
                continue;
            }
        };
        let line = record.position().map_or(i + 1, |p| p.line() as usize);
        let cells: Vec<&str> = record.iter().collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        // The date and the time in columns of their own.
        let (when_text, value_text) = match cells.as_slice() {
            [d, t, v, ..] if parse_date(d).is_some() && parse_time(t).is_some() => {
                (format!("{d} {t}"), *v)
            }
            [w, v, ..] => ((*w).to_owned(), *v),
            [w] => ((*w).to_owned(), ""),
            [] => continue,
        };
        let when = if let Some(d) = parse_date(&when_text) {
            Some(When::Day(d))
        } else {
            match parse_moment(&when_text) {
                Some(Moment::Fixed(at)) => Some(When::At(at)),
                Some(Moment::Local(local)) => match Prague.from_local_datetime(&local) {
                    chrono::LocalResult::Single(t) => Some(When::At(t.timestamp())),
                    chrono::LocalResult::Ambiguous(a, b) => {
                        let t = if seen.insert(local) { a } else { b };
                        Some(When::At(t.timestamp()))
                    }
                    chrono::LocalResult::None => {
                        refuse(
                            line,
                            format!("{when_text} did not happen: the clocks skipped that hour"),
                            format!("{when_text} nenastalo: hodiny ten čas přeskočily"),
                        );
                        continue;
                    }
                },
                None => None,
            }
        };
        let Some(when) = when else {
            if i == 0 {
                // A header.
                continue;
            }
            refuse(
                line,
                format!(
                    "\"{when_text}\" is not a date (2024-01-31) or a moment (2024-01-31 00:15)"
                ),
                format!(
                    "„{when_text}“ není datum (2024-01-31 nebo 31.1.2024) ani okamžik (2024-01-31 00:15)"
                ),
            );
            continue;
        };
        let Some(value) = parse_value(value_text, decimal_comma) else {
            refuse(
                line,
                format!("\"{value_text}\" is not a number"),
                format!("„{value_text}“ není číslo"),
            );
            continue;
        };
        if value < 0.0 && !negative {
            refuse(
                line,
                format!(
                    "{value_text} is below zero: a use cannot be (a counter's readings are entered as readings)"
                ),
                format!(
                    "{value_text} je záporné: spotřeba nemůže být (stavy počítadla se zadávají jako odečty)"
                ),
            );
            continue;
        }
        rows.push((line, when, value));
    }
    if rows.is_empty() && refused.is_empty() {
        refused.push(Refusal {
            line: 1,
            en: "the file has no readings".into(),
            cs: "soubor neobsahuje žádné hodnoty".into(),
        });
    }
    if refused.is_empty() {
        Ok(Parsed { rows })
    } else {
        Err(refused)
    }
}

/// A moment's hour of the day in Europe/Prague.
fn hour_of(at: i64) -> u32 {
    use chrono::Timelike;
    Prague.timestamp_opt(at, 0).single().map_or(0, |t| t.hour())
}

/// A moment's day in Europe/Prague.
pub fn day_of(at: i64) -> NaiveDate {
    Prague
        .timestamp_opt(at, 0)
        .single()
        .map_or(NaiveDate::MIN, |t| t.date_naive())
}

/// Daily mean temperatures from a station's lines: a day line is the
/// day's mean; hour lines make a mean of a day that has at least 12 of
/// them (CalTRACK 2.2.2.3). Days with too few hours are returned apart.
pub fn daily_means(rows: &[(usize, When, f64)]) -> (BTreeMap<NaiveDate, f64>, Vec<NaiveDate>) {
    let mut means = BTreeMap::new();
    let mut hours: BTreeMap<NaiveDate, (f64, usize, HashSet<u32>)> = BTreeMap::new();
    for (_, when, v) in rows {
        match when {
            When::Day(d) => {
                means.insert(*d, *v);
            }
            When::At(at) => {
                // Hours are counted by the clock of the file: a local moment
                // is its day, one with an offset the day in Prague.
                let e = hours.entry(day_of(*at)).or_insert((0.0, 0, HashSet::new()));
                e.0 += v;
                e.1 += 1;
                e.2.insert(hour_of(*at));
            }
        }
    }
    let mut short = Vec::new();
    for (d, (sum, n, distinct)) in hours {
        if distinct.len() >= 12 {
            means.insert(d, sum / n as f64);
        } else {
            short.push(d);
        }
    }
    (means, short)
}
