//! Readings into days: a day line is the day's use; interval lines are kept
//! a month a document (a re-import replaces the same quarter-hours, so
//! nothing is counted twice) and a day's use is the sum of its intervals
//! once the day is whole; counter readings of manual meters are spread
//! over the days since the previous reading, marked as estimated.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate};
use portico_sdk::Result;
use portico_sdk::records::Filters;

use crate::import::{When, day_of};
use crate::model::{
    COUNTER, Calorific, CounterReading, INTERVALS, METERS, Meter, MonthIntervals, upsert,
    write_days, write_marked,
};
use portico_sdk::records::Document;

/// What a file or a gateway's call brought.
#[derive(Debug, Default)]
pub struct Stored {
    /// Days whose use is known now.
    pub days: usize,
    /// Days whose intervals are not whole yet (no use for them).
    pub partial: Vec<NaiveDate>,
    /// Days between the first and the last without any reading.
    pub gaps: Vec<NaiveDate>,
    /// Days whose use is above the median plus three interquartile ranges.
    pub extreme: Vec<NaiveDate>,
    /// The days and whole months found outside the baseline's intervals.
    pub told: crate::alerts::Told,
}

/// The shortest interval kept: 5 minutes (a month of them fits its
/// document).
const MIN_STEP: i64 = 300;
/// The interval of a month whose step nothing told: a quarter-hour.
const DEFAULT_STEP: i64 = 900;

/// The step of intervals: the most common gap between the moments in
/// order; None for fewer than two.
fn step_of(moments: &mut Vec<i64>) -> Option<i64> {
    moments.sort_unstable();
    moments.dedup();
    let mut steps: BTreeMap<i64, usize> = BTreeMap::new();
    for w in moments.windows(2) {
        *steps.entry(w[1] - w[0]).or_default() += 1;
    }
    steps.iter().max_by_key(|(_, n)| **n).map(|(s, _)| *s)
}

/// Whether the rows' intervals are shorter than the 5 minutes kept.
pub fn too_fine(rows: &[(usize, When, f64)]) -> bool {
    let mut moments: Vec<i64> = rows
        .iter()
        .filter_map(|(_, w, _)| match w {
            When::At(at) => Some(*at),
            When::Day(_) => None,
        })
        .collect();
    step_of(&mut moments).is_some_and(|s| s < MIN_STEP)
}

/// The seconds a day of Europe/Prague lasts (23, 24 or 25 hours).
fn day_seconds(day: NaiveDate) -> i64 {
    (crate::model::day_length(day) * 86_400.0).round() as i64
}

/// Stores `rows` of a meter (values in the meter's unit), and checks the
/// days written against the meter's baseline.
pub fn store(meter: &Meter, rows: &[(usize, When, f64)]) -> Result<Stored> {
    let mut out = Stored::default();
    let mut days: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    let mut intervals: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    let mut moments: Vec<i64> = Vec::new();
    for (_, when, v) in rows {
        match when {
            When::Day(d) => {
                days.insert(*d, meter.to_measure(*v, *d));
            }
            When::At(at) => {
                moments.push(*at);
                let d = day_of(*at);
                intervals
                    .entry(format!("{:04}-{:02}", d.year(), d.month()))
                    .or_default()
                    .push((*at, meter.to_measure(*v, d)));
            }
        }
    }
    // None when the call brought a single moment (a gateway's reading):
    // the month's step stands then.
    let file_step = step_of(&mut moments).map(|s| s.clamp(MIN_STEP, 3600));

    for (month, new) in intervals {
        let key = format!("{}:{month}", meter.label);
        let days_of_file: BTreeSet<NaiveDate> = new.iter().map(|(at, _)| day_of(*at)).collect();
        upsert(INTERVALS, "key", &key, |kept: Option<MonthIntervals>| {
            let mut doc = kept.unwrap_or_else(|| MonthIntervals {
                key: key.clone(),
                meter: meter.label.clone(),
                month: month.clone(),
                q: Vec::new(),
                step: file_step.unwrap_or(DEFAULT_STEP),
            });
            let mut merged: BTreeMap<i64, f64> = doc.q.iter().copied().collect();
            // Intervals of another length replace what the days they reach held.
            if let Some(s) = file_step.filter(|s| *s != doc.step) {
                merged.retain(|at, _| !days_of_file.contains(&day_of(*at)));
                doc.step = s;
            }
            merged.extend(new);
            doc.q = merged.into_iter().collect();
            // A day is whole when its intervals cover it.
            let mut sums: BTreeMap<NaiveDate, (f64, i64)> = BTreeMap::new();
            for (at, v) in &doc.q {
                let e = sums.entry(day_of(*at)).or_insert((0.0, 0));
                e.0 += v;
                e.1 += 1;
            }
            for (d, (sum, n)) in sums {
                if !days_of_file.contains(&d) {
                    continue;
                }
                if n * doc.step >= day_seconds(d) {
                    days.insert(d, sum);
                } else {
                    out.partial.push(d);
                }
            }
            doc
        })?;
    }
    write_days(meter, &days, false)?;
    out.days = days.len();
    if let (Some(first), Some(last)) = (days.keys().next(), days.keys().next_back()) {
        let mut d = *first;
        while d < *last {
            if !days.contains_key(&d) && !out.partial.contains(&d) {
                out.gaps.push(d);
            }
            d += Duration::days(1);
        }
    }
    out.extreme = extreme(&days);
    let written: Vec<NaiveDate> = days.keys().copied().collect();
    out.told = crate::alerts::check(meter, &written)?;
    Ok(out)
}

/// Days above the median plus three interquartile ranges (CalTRACK 2.3.6).
pub fn extreme(days: &BTreeMap<NaiveDate, f64>) -> Vec<NaiveDate> {
    let mut values: Vec<f64> = days.values().copied().collect();
    if values.len() < 4 {
        return Vec::new();
    }
    values.sort_by(f64::total_cmp);
    let limit = extreme_limit(&values);
    days.iter()
        .filter(|(_, v)| **v > limit)
        .map(|(d, _)| *d)
        .collect()
}

/// The use above which a day is extreme: the median plus three
/// interquartile ranges of the sorted uses.
pub fn extreme_limit(sorted: &[f64]) -> f64 {
    quantile(sorted, 0.5) + 3.0 * (quantile(sorted, 0.75) - quantile(sorted, 0.25))
}

/// A quantile of sorted values, interpolated linearly (as pandas does).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Why a counter reading is refused.
pub enum CounterError {
    /// Lower than the previous one, and the counter cannot have rolled over.
    Lower { previous: f64, date: String },
    /// Not after the previous reading.
    NotAfter { date: String },
}

/// Records a counter reading and spreads the use since the previous one
/// over the days between. Returns the use (in the meter's unit).
pub fn counter(
    meter: &Meter,
    reading: CounterReading,
) -> Result<std::result::Result<Option<f64>, CounterError>> {
    let previous = COUNTER
        .find()
        .eq("meter", &meter.label)
        .sort_desc("date")
        .limit(1)
        .fetch::<CounterReading>()?
        .documents
        .into_iter()
        .next();
    let Some(date) = portico_sdk::calendar::parse_date(&reading.date) else {
        return Ok(Ok(None));
    };
    let used = match &previous {
        Some(p) if p.data.date >= reading.date => {
            return Ok(Err(CounterError::NotAfter {
                date: p.data.date.clone(),
            }));
        }
        Some(_) if reading.new_counter => None,
        Some(p) if reading.reading < p.data.reading => {
            // The counter rolled over, if it has digits to roll over and
            // the use that makes is less than half its range; else the
            // reading is wrong, or the meter was replaced.
            let full = 10f64.powi(meter.digits as i32);
            let used = reading.reading + full - p.data.reading;
            if meter.digits == 0 || used >= full / 2.0 {
                return Ok(Err(CounterError::Lower {
                    previous: p.data.reading,
                    date: p.data.date.clone(),
                }));
            }
            Some((p.data.date.clone(), used))
        }
        Some(p) => Some((p.data.date.clone(), reading.reading - p.data.reading)),
        None => None,
    };
    COUNTER.insert(&reading)?;
    let Some((since, used)) = used else {
        return Ok(Ok(None));
    };
    let Some(since) = portico_sdk::calendar::parse_date(&since) else {
        return Ok(Ok(None));
    };
    // The use from the previous reading's day to this one's, a day each;
    // a day measured otherwise (a file, a gateway) keeps its measure.
    let n = (date - since).num_days();
    let per_day = used / n as f64;
    let series = crate::model::Series::of(&meter.label)?;
    let days: BTreeMap<NaiveDate, f64> = (0..n)
        .map(|i| since + Duration::days(i))
        .filter(|d| series.get(*d).is_none() || series.estimated(*d))
        .map(|d| (d, meter.to_measure(per_day, d)))
        .collect();
    write_days(meter, &days, true)?;
    Ok(Ok(Some(used)))
}

/// Gas in m³: sets the calorific value from `from` on (until the next
/// period's first day) and converts again what the days and intervals of
/// that period hold. Returns how many days changed.
pub fn set_calorific(kept: Document<Meter>, from: NaiveDate, kwh_per_m3: f64) -> Result<usize> {
    let first = from.to_string();
    let mut now = kept.data.clone();
    now.calorific.retain(|c| c.from != first);
    now.calorific.push(Calorific {
        from: first.clone(),
        kwh_per_m3,
    });
    now.calorific.sort_by(|a, b| a.from.cmp(&b.from));
    // The period ends where the next one starts; what it held was
    // converted with the value then in force, one value throughout.
    let until = now
        .calorific
        .iter()
        .find(|c| c.from > first)
        .and_then(|c| portico_sdk::calendar::parse_date(&c.from));
    let within = |d: NaiveDate| d >= from && until.is_none_or(|u| d < u);
    let ratio = kwh_per_m3 / kept.data.kwh_per_m3_on(from);
    let mut changed = BTreeMap::new();
    if (ratio - 1.0).abs() > f64::EPSILON {
        let series = crate::model::Series::of(&now.label)?;
        let mut d = from;
        let last = series.last().unwrap_or(from);
        while d <= last && within(d) {
            if let Some(v) = series.get(d) {
                changed.insert(d, (v * ratio, series.estimated(d)));
            }
            d += Duration::days(1);
        }
        for page in INTERVALS
            .find()
            .eq("meter", &now.label)
            .limit(100)
            .pages::<MonthIntervals>()
        {
            for doc in page? {
                if !doc.data.q.iter().any(|(at, _)| within(day_of(*at))) {
                    continue;
                }
                let mut m = doc.data;
                for (at, v) in &mut m.q {
                    if within(day_of(*at)) {
                        *v *= ratio;
                    }
                }
                INTERVALS.update(&doc.id, doc.version, &m)?;
            }
        }
    }
    METERS.update(&kept.id, kept.version, &now)?;
    write_marked(&now, &changed)?;
    Ok(changed.len())
}
