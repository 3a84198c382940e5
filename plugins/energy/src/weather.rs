//! Daily mean temperatures fetched from the Czech Hydrometeorological
//! Institute's open data through the connection `chmi`: a file a station
//! and month (`dly-{WSI}-{YYYYMM}.json`, a closed month in the folder of
//! its number, the running one above them), whose rows of element `T` and
//! value type `AVG` are the days' means. Once the temperatures are kept,
//! the days they complete are checked against the baselines. The manager fetches months on
//! the station's page; every morning a job fetches the current month and
//! the one before for each station with a WSI, a station a call through
//! the module's own events (an outside system is asked before the call's
//! first data operation).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use portico_sdk::connections::{self, Outgoing};
use portico_sdk::{Error, Result, settings};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    BUILDINGS, Building, METERS, Meter, STATIONS, Station, month_start, next_month, write_temps,
};
use portico_sdk::records::Filters;

pub const TOPIC: &str = "energy.weather";
/// The most months one fetch asks for.
pub const MOST_MONTHS: usize = 24;
const DEFAULT_PATH: &str = "/meteorology/climate/recent/data/daily/{mm}/dly-{wsi}-{month}.json";

/// One station's months to fetch (the job's step, an event to itself).
#[derive(Debug, Serialize, Deserialize)]
pub struct Fetch {
    pub station: String,
    pub wsi: String,
    /// `YYYY-MM-01` of each month.
    pub months: Vec<NaiveDate>,
}

/// What the institute gave for the months asked.
#[derive(Debug, Default)]
pub struct Fetched {
    pub means: BTreeMap<NaiveDate, f64>,
    /// Months it had no file for, or answered with an error, with the
    /// status.
    pub missing: Vec<(NaiveDate, u16)>,
    /// Months whose file was not the open data's JSON.
    pub unreadable: Vec<NaiveDate>,
}

/// Whether `wsi` looks like a WIGOS station identifier
/// (`0-20000-0-11723`): digits in four parts.
pub fn is_wsi(wsi: &str) -> bool {
    let parts: Vec<&str> = wsi.split('-').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 16 && p.chars().all(|c| c.is_ascii_digit()))
}

/// The months from `from`'s to `to`'s, at most [`MOST_MONTHS`] (the
/// latest).
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut m = month_start(from);
    while m <= to {
        out.push(m);
        m = next_month(m);
    }
    let extra = out.len().saturating_sub(MOST_MONTHS);
    out.split_off(extra)
}

/// Asks the institute for each month; call before any data operation.
/// `path` is the setting read beforehand.
pub fn fetch(path: &str, wsi: &str, months: &[NaiveDate]) -> Result<Fetched> {
    let mut out = Fetched::default();
    for m in months {
        let month = format!("{:04}{:02}", m.year(), m.month());
        let at = path.replace("{wsi}", wsi).replace("{month}", &month);
        let mut answer = connections::call(
            "chmi",
            &Outgoing::get(at.replace("{mm}", &format!("{:02}", m.month()))),
        )?;
        // The running month is not in a month's folder yet.
        if answer.status == 404 && at.contains("{mm}/") {
            answer = connections::call("chmi", &Outgoing::get(at.replace("{mm}/", "")))?;
        }
        if !answer.is_success() {
            out.missing.push((*m, answer.status));
            continue;
        }
        match answer.json::<Value>().ok().and_then(|v| daily_means(&v)) {
            Some(days) => out.means.extend(
                days.into_iter()
                    .filter(|(d, _)| month_start(*d) == *m)
                    .filter(|(_, t)| (-50.0..=50.0).contains(t)),
            ),
            None => out.unreadable.push(*m),
        }
    }
    Ok(out)
}

/// Where the files are, below the connection's address (a setting).
pub fn path() -> Result<String> {
    Ok(settings::get("weather-path")?
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_PATH.to_owned()))
}

/// The days' means in an open data file: the table under `header` (the
/// column names, comma-separated) and `values`, rows of element `T` whose
/// value type, if the table has one, is `AVG`. None when the file has no
/// such table.
pub fn daily_means(file: &Value) -> Option<BTreeMap<NaiveDate, f64>> {
    let table = find_table(file)?;
    let header: Vec<String> = table
        .get("header")?
        .as_str()?
        .split(',')
        .map(|h| h.trim().to_ascii_uppercase())
        .collect();
    let column = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let element = column(&["ELEMENT"])?;
    let at = column(&["DT", "DATE"])?;
    let value = column(&["VAL", "VALUE"])?;
    let kind = column(&["VTYPE", "TIMEFUNCTION"]);
    let mut out = BTreeMap::new();
    for row in table.get("values")?.as_array()? {
        let cell = |i: usize| row.get(i);
        let text = |i: usize| cell(i).and_then(Value::as_str).unwrap_or_default();
        if text(element) != "T" || kind.is_some_and(|k| text(k) != "AVG") {
            continue;
        }
        let Some(day) = text(at)
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        else {
            continue;
        };
        let t = match cell(value) {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        if let Some(t) = t.filter(|t| t.is_finite()) {
            out.insert(day, t);
        }
    }
    Some(out)
}

/// The object holding `header` and `values`, however deep.
fn find_table(v: &Value) -> Option<&serde_json::Map<String, Value>> {
    let o = v.as_object()?;
    if o.contains_key("header") && o.contains_key("values") {
        return Some(o);
    }
    o.values().find_map(find_table)
}

/// The morning job: a step for each station with a WSI, the current
/// month and the one before.
pub fn daily() -> Result<()> {
    let today = portico_sdk::calendar::today();
    let months = months(month_start(today).pred_opt().unwrap_or(today), today);
    for page in STATIONS.find().limit(200).pages::<Station>() {
        for s in page? {
            if s.data.wsi.is_empty() {
                continue;
            }
            portico_sdk::events::publish(
                TOPIC,
                &Fetch {
                    station: s.data.code,
                    wsi: s.data.wsi,
                    months: months.clone(),
                },
            )?;
        }
    }
    Ok(())
}

/// One station's step: fetched first, then kept, and the days it
/// completes checked.
pub fn step(f: &Fetch) -> Result<()> {
    let path = path()?;
    let got = fetch(&path, &f.wsi, &f.months)?;
    if got.means.is_empty() && !f.months.is_empty() {
        return Err(Error::Unavailable(format!(
            "the weather service gave no temperatures of station {} ({})",
            f.station, f.wsi
        )));
    }
    kept(&f.station, &got.means)
}

/// Keeps a station's daily means and checks the days of the meters on it
/// against their baselines: a day metered before its temperature came is
/// checked now.
pub fn kept(station: &str, means: &BTreeMap<NaiveDate, f64>) -> Result<()> {
    write_temps(station, means)?;
    let days: Vec<NaiveDate> = means.keys().copied().collect();
    for b in BUILDINGS.find().fetch_all::<Building>(5_000)? {
        if b.data.station != station {
            continue;
        }
        for m in METERS
            .find()
            .eq("building", &b.data.code)
            .fetch_all::<Meter>(1_000)?
        {
            crate::alerts::check(&m.data, &days)?;
        }
    }
    Ok(())
}
