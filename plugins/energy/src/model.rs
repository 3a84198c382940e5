//! What is kept: buildings, their meters, each meter's use a day (a
//! document a meter and year) and its interval readings (a document a
//! meter and month), the counter readings of manual meters, weather
//! stations with their daily mean temperatures (a document a station and
//! year), and each meter's baseline.

use chrono::{Datelike, Months, NaiveDate};
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{Context, Error, Result, audit, numbers};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

use crate::caltrack::Fit;

pub const BUILDINGS: Collection = Collection::new("buildings");
pub const METERS: Collection = Collection::new("meters");
pub const DAYS: Collection = Collection::new("days");
pub const INTERVALS: Collection = Collection::new("intervals");
pub const COUNTER: Collection = Collection::new("counter");
pub const STATIONS: Collection = Collection::new("stations");
pub const TEMPS: Collection = Collection::new("temps");
pub const MODELS: Collection = Collection::new("models");
pub const ANOMALIES: Collection = Collection::new("anomalies");

/// A number rounded to `decimals` places, as the reader's language writes it.
pub fn num(ctx: &Context, n: f64, decimals: i32) -> String {
    num_in(n, decimals, ctx.lang())
}

/// A number rounded to `decimals` places, as `lang` writes it.
pub fn num_in(n: f64, decimals: i32, lang: &str) -> String {
    let scale = 10f64.powi(decimals);
    numbers::format((n * scale).round() / scale, lang)
}

/// The first day of `day`'s month.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The same day a month later (the first of the next month for a first).
pub fn next_month(day: NaiveDate) -> NaiveDate {
    day.checked_add_months(Months::new(1)).unwrap_or(day)
}

pub fn date(ctx: &Context, d: NaiveDate) -> String {
    portico_sdk::calendar::format_date(d, ctx.lang())
}

/// A kept `YYYY-MM-DD` as the reader's language writes it (as kept if it
/// is not a date).
pub fn date_text(ctx: &Context, kept: &str) -> String {
    portico_sdk::calendar::parse_date(kept).map_or_else(|| kept.to_owned(), |d| date(ctx, d))
}

/// The first day of a kept month, `YYYY-MM`.
pub fn month_of(kept: &str) -> Option<NaiveDate> {
    portico_sdk::calendar::parse_date(&format!("{kept}-01"))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Building {
    /// Its code in the organization: the asset register's number, or one
    /// given (`B-123456`). Meters and reports name it by this.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    /// Energy reference floor area, m².
    #[serde(default)]
    pub area_m2: f64,
    /// What it is used for (`Use::code`).
    #[serde(default)]
    pub usage: String,
    /// The energy performance certificate's class (A–G), if any.
    #[serde(default)]
    pub penb: String,
    /// When the certificate expires, `YYYY-MM-DD`.
    #[serde(default)]
    pub penb_expires: String,
    /// The weather station (its code) whose temperatures drive its
    /// baselines.
    #[serde(default)]
    pub station: String,
    /// Who is told of anomalies and of the certificate's expiry (e-mail).
    #[serde(default)]
    pub contact: String,
    /// The expiry the certificate's reminder was sent for.
    #[serde(default)]
    pub penb_reminded: String,
    /// The key of the building in the organization's property register
    /// when it came from there: its name, address and area are kept there.
    #[serde(default)]
    pub property: String,
}

/// What the property register says of one of its buildings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PropertyBuilding {
    pub key: String,
    pub name: String,
    pub code: String,
    pub address: String,
    pub area: f64,
    pub path: String,
}

/// The topic the property register publishes its buildings under.
pub const PROPERTY_TOPIC: &str = "assets.building";

/// Takes a building the property register entered or changed: the same
/// building here, its name and address as the register keeps them, its
/// floor area as the first guess of its energy reference area, the rest
/// (use, certificate, weather station) as the energy manager sets it.
pub fn take_building(b: &PropertyBuilding) -> Result<()> {
    if b.key.is_empty() || b.name.is_empty() {
        return Ok(());
    }
    let kept = BUILDINGS
        .find()
        .sort("code")
        .fetch_all::<Building>(10_000)?
        .into_iter()
        .find(|d| d.data.property == b.key);
    let name = if b.code.is_empty() || b.code == b.name {
        b.name.clone()
    } else {
        format!("{} {}", b.code, b.name)
    };
    match kept {
        Some(doc) => {
            let mut building = doc.data;
            building.name = name;
            building.address.clone_from(&b.address);
            // The energy reference area is the energy manager's once set:
            // the register's floor area is only its first guess.
            if building.area_m2 <= 0.0 && b.area > 0.0 {
                building.area_m2 = b.area;
            }
            BUILDINGS.update(&doc.id, doc.version, &building)?;
        }
        None => {
            let code = portico_sdk::spoken_number("B-", |c| Ok(building_by_code(c).is_ok()))?;
            BUILDINGS.insert(&Building {
                code,
                name,
                address: b.address.clone(),
                area_m2: b.area.max(0.0),
                usage: "other".into(),
                penb: String::new(),
                penb_expires: String::new(),
                station: String::new(),
                contact: String::new(),
                penb_reminded: String::new(),
                property: b.key.clone(),
            })?;
        }
    }
    Ok(())
}

/// What a building is used for.
pub const USES: [(&str, &str, &str); 8] = [
    ("office", "Offices", "Administrativní budova"),
    ("school", "School", "Škola"),
    ("hospital", "Hospital", "Nemocnice"),
    ("social", "Social care", "Sociální služby"),
    ("culture", "Culture", "Kultura"),
    ("sport", "Sport", "Sport"),
    ("housing", "Housing", "Bydlení"),
    ("other", "Other", "Jiné"),
];

pub fn use_name(ctx: &Context, code: &str) -> String {
    USES.iter()
        .find(|u| u.0 == code)
        .map_or_else(|| code.to_owned(), |u| ctx.tr(u.1, u.2).to_owned())
}

/// An energy carrier: what a meter measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    Electricity,
    Gas,
    Heat,
    Water,
}

pub const CARRIERS: [Carrier; 4] = [
    Carrier::Electricity,
    Carrier::Gas,
    Carrier::Heat,
    Carrier::Water,
];

impl Carrier {
    pub fn code(self) -> &'static str {
        match self {
            Carrier::Electricity => "electricity",
            Carrier::Gas => "gas",
            Carrier::Heat => "heat",
            Carrier::Water => "water",
        }
    }

    pub fn parse(code: &str) -> Option<Carrier> {
        CARRIERS.into_iter().find(|c| c.code() == code)
    }

    pub fn name(self, ctx: &Context) -> &'static str {
        match self {
            Carrier::Electricity => ctx.tr("Electricity", "Elektřina"),
            Carrier::Gas => ctx.tr("Natural gas", "Zemní plyn"),
            Carrier::Heat => ctx.tr("Heat", "Teplo"),
            Carrier::Water => ctx.tr("Water", "Voda"),
        }
    }

    /// The units its meters count in.
    pub fn units(self) -> &'static [&'static str] {
        match self {
            Carrier::Electricity => &["kWh", "MWh"],
            Carrier::Gas => &["m3", "kWh", "MWh"],
            Carrier::Heat => &["GJ", "kWh", "MWh"],
            Carrier::Water => &["m3"],
        }
    }

    /// Whether cooling can drive its use (gas and heat are fitted on
    /// heating degree days only, as CalTRACK fits gas).
    pub fn cools(self) -> bool {
        matches!(self, Carrier::Electricity)
    }

    /// What the module counts its use in.
    pub fn measure(self) -> &'static str {
        match self {
            Carrier::Water => "m³",
            _ => "kWh",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meter {
    /// The building's code.
    pub building: String,
    /// Its code in the organization (the EAN, the EIC or one of its own):
    /// readings, baselines and gateways name it by this.
    pub label: String,
    pub carrier: String,
    /// What the readings count: `kWh`, `MWh`, `GJ`, `m3`.
    pub unit: String,
    /// A main meter or a sub-meter below one (`main`, `sub`).
    #[serde(default)]
    pub role: String,
    /// Gas in m³: the calorific value that turns a m³ into kWh, before
    /// the first of `calorific`'s periods.
    #[serde(default)]
    pub kwh_per_m3: f64,
    /// Gas in m³: the calorific values of later periods (the distributor's
    /// monthly figure, as on the invoice), in order of their first day.
    #[serde(default)]
    pub calorific: Vec<Calorific>,
    /// A virtual meter: the meters whose use it adds or subtracts.
    #[serde(default)]
    pub parts: Vec<Part>,
    /// The counter's digits, for its roll-over (manual meters).
    #[serde(default)]
    pub digits: u32,
    /// The last day of the baseline period, `YYYY-MM-DD`; the latest day
    /// with data when empty.
    #[serde(default)]
    pub baseline_end: String,
}

/// A calorific value from a day on, until the next period's first day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calorific {
    /// The period's first day, `YYYY-MM-DD`.
    pub from: String,
    pub kwh_per_m3: f64,
}

/// A meter a virtual meter adds (`sign` 1) or subtracts (-1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub meter: String,
    pub sign: i8,
}

impl Meter {
    /// Whether its use counts in the building's energy: a main meter of
    /// energy (not a sub-meter, not a virtual one, not water).
    pub fn counted(&self) -> bool {
        !matches!(self.role.as_str(), "sub" | "virtual") && self.carrier() != Carrier::Water
    }

    /// Whether its use is computed from other meters'.
    pub fn is_virtual(&self) -> bool {
        self.role == "virtual"
    }

    /// Gas in m³: the calorific value on `day`.
    pub fn kwh_per_m3_on(&self, day: NaiveDate) -> f64 {
        let day = day.to_string();
        self.calorific
            .iter()
            .rev()
            .find(|c| c.from <= day)
            .map_or(self.kwh_per_m3, |c| c.kwh_per_m3)
    }

    pub fn carrier(&self) -> Carrier {
        Carrier::parse(&self.carrier).unwrap_or(Carrier::Electricity)
    }

    /// A reading of `day` in the meter's unit as kWh (water stays in m³).
    pub fn to_measure(&self, value: f64, day: NaiveDate) -> f64 {
        match (self.carrier(), self.unit.as_str()) {
            (Carrier::Water, _) => value,
            (_, "MWh") => value * 1000.0,
            (_, "GJ") => value * 1000.0 / 3.6,
            (_, "m3") => value * self.kwh_per_m3_on(day),
            _ => value,
        }
    }
}

pub fn unit_name(unit: &str) -> &str {
    if unit == "m3" { "m³" } else { unit }
}

/// A meter's use a day in one calendar year (kWh, or m³ of water),
/// index 0 being 1 January; `est` marks days spread from counter readings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct YearDays {
    pub key: String,
    pub meter: String,
    pub year: i32,
    pub v: Vec<Option<f64>>,
    #[serde(default)]
    pub est: Vec<u16>,
    /// The year's use so far: the sum of `v`.
    #[serde(default)]
    pub total: f64,
    /// The days of `v` with a use.
    #[serde(default)]
    pub known: u32,
    /// The meter's building, and 1 when its use counts in the building's
    /// energy (a main meter, not water): the overview sums a year by
    /// building in one aggregate.
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub counted: u8,
}

/// A station's daily mean temperatures in one year, °C.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct YearTemps {
    pub key: String,
    pub station: String,
    pub year: i32,
    pub t: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Station {
    pub code: String,
    pub name: String,
    /// Its WIGOS station identifier at the Czech Hydrometeorological
    /// Institute (`0-20000-0-11723`), when its temperatures are fetched.
    #[serde(default)]
    pub wsi: String,
}

/// A meter's interval readings in one month (Europe/Prague): each
/// interval's start (seconds since 1970) with its use in kWh.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MonthIntervals {
    pub key: String,
    pub meter: String,
    pub month: String,
    pub q: Vec<(i64, f64)>,
    /// The intervals' length, seconds.
    #[serde(default = "quarter_hour")]
    pub step: i64,
}

fn quarter_hour() -> i64 {
    900
}

/// A counter reading of a manual meter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CounterReading {
    pub meter: String,
    pub date: String,
    pub reading: f64,
    /// The first reading of a new counter (the meter was replaced).
    #[serde(default)]
    pub new_counter: bool,
    #[serde(default)]
    pub by: String,
}

/// A meter's baseline as last fitted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    pub meter: String,
    pub building: String,
    pub fitted: String,
    pub from: String,
    pub to: String,
    /// Days with both a use and a temperature.
    pub days: usize,
    /// Days above the median plus three interquartile ranges.
    #[serde(default)]
    pub extreme_days: usize,
    /// Accepted for savings, or refused with the reason.
    pub accepted: bool,
    #[serde(default)]
    pub reason_en: String,
    #[serde(default)]
    pub reason_cs: String,
    pub fit: Option<Fit>,
}

/// A day's length in Europe/Prague, in days: 23/24 and 25/24 on the days
/// the clocks change.
pub fn day_length(day: NaiveDate) -> f64 {
    use chrono::TimeZone;
    use chrono_tz::Europe::Prague;
    let start = |d: NaiveDate| {
        Prague
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map_or(0, |t| t.timestamp())
    };
    (start(day + chrono::Duration::days(1)) - start(day)) as f64 / 86_400.0
}

pub fn days_in_year(year: i32) -> usize {
    if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
        366
    } else {
        365
    }
}

/// Every day of a meter with a value, in order.
pub struct Series {
    years: Vec<YearDays>,
}

impl Series {
    /// A meter's years already read.
    pub fn from_years(mut years: Vec<YearDays>) -> Series {
        years.sort_by_key(|y| y.year);
        Series { years }
    }

    pub fn of(meter: &str) -> Result<Series> {
        let found = DAYS
            .find()
            .eq("meter", meter)
            .limit(200)
            .fetch::<YearDays>()?;
        Ok(Series::from_years(
            found.documents.into_iter().map(|d| d.data).collect(),
        ))
    }

    pub fn get(&self, day: NaiveDate) -> Option<f64> {
        let y = self.years.iter().find(|y| y.year == day.year())?;
        y.v.get(day.ordinal0() as usize).copied().flatten()
    }

    pub fn estimated(&self, day: NaiveDate) -> bool {
        self.years
            .iter()
            .any(|y| y.year == day.year() && y.est.contains(&(day.ordinal0() as u16)))
    }

    pub fn first(&self) -> Option<NaiveDate> {
        self.years.iter().find_map(|y| {
            let i = y.v.iter().position(Option::is_some)?;
            NaiveDate::from_yo_opt(y.year, i as u32 + 1)
        })
    }

    pub fn last(&self) -> Option<NaiveDate> {
        self.years.iter().rev().find_map(|y| {
            let i = y.v.iter().rposition(Option::is_some)?;
            NaiveDate::from_yo_opt(y.year, i as u32 + 1)
        })
    }
}

/// A station's temperatures, by day.
pub struct Temperatures {
    years: Vec<YearTemps>,
}

impl Temperatures {
    pub fn of(station: &str) -> Result<Temperatures> {
        if station.is_empty() {
            return Ok(Temperatures { years: Vec::new() });
        }
        let found = TEMPS
            .find()
            .eq("station", station)
            .limit(200)
            .fetch::<YearTemps>()?;
        Ok(Temperatures {
            years: found.documents.into_iter().map(|d| d.data).collect(),
        })
    }

    pub fn get(&self, day: NaiveDate) -> Option<f64> {
        let y = self.years.iter().find(|y| y.year == day.year())?;
        y.t.get(day.ordinal0() as usize).copied().flatten()
    }
}

/// Days by year: each year's days as (index in the year, value).
fn by_year<T: Copy>(days: &BTreeMap<NaiveDate, T>) -> BTreeMap<i32, Vec<(usize, T)>> {
    let mut out: BTreeMap<i32, Vec<(usize, T)>> = BTreeMap::new();
    for (d, v) in days {
        out.entry(d.year())
            .or_default()
            .push((d.ordinal0() as usize, *v));
    }
    out
}

/// Stores what `make` makes of the document of `collection` whose indexed
/// `field` is `key` (None when there is none yet): an update, or an insert.
pub fn upsert<T: Serialize + DeserializeOwned>(
    collection: Collection,
    field: &str,
    key: &str,
    make: impl FnOnce(Option<T>) -> T,
) -> Result<()> {
    match collection.find_by::<T>(field, key)? {
        Some(d) => collection
            .update(&d.id, d.version, &make(Some(d.data)))
            .map(drop),
        None => collection.insert(&make(None)).map(drop),
    }
}

/// Writes days into a meter's year documents: each given day replaces
/// what the day held. `estimated` marks them as spread from counter
/// readings.
pub fn write_days(meter: &Meter, days: &BTreeMap<NaiveDate, f64>, estimated: bool) -> Result<()> {
    write_marked(
        meter,
        &days.iter().map(|(d, v)| (*d, (*v, estimated))).collect(),
    )
}

/// Writes days each with its own mark (estimated or not) into a meter's
/// year documents. The virtual meters the meter is a part of follow.
pub fn write_marked(meter: &Meter, days: &BTreeMap<NaiveDate, (f64, bool)>) -> Result<()> {
    for (year, values) in by_year(days) {
        let key = format!("{}:{year}", meter.label);
        let new = || YearDays {
            key: key.clone(),
            meter: meter.label.clone(),
            year,
            v: vec![None; days_in_year(year)],
            ..YearDays::default()
        };
        upsert(DAYS, "key", &key, |kept: Option<YearDays>| {
            let mut doc = kept.unwrap_or_else(new);
            for (i, (v, estimated)) in values {
                doc.v[i] = Some(v);
                let i = i as u16;
                let marked = doc.est.contains(&i);
                if estimated && !marked {
                    doc.est.push(i);
                } else if !estimated && marked {
                    doc.est.retain(|e| *e != i);
                }
            }
            doc.total = doc.v.iter().flatten().sum();
            doc.known = doc.v.iter().flatten().count() as u32;
            doc.building = meter.building.clone();
            doc.counted = u8::from(meter.counted());
            doc
        })?;
    }
    let written: Vec<NaiveDate> = days.keys().copied().collect();
    crate::virtual_meters::follow(meter, &written)
}

/// A sum over a year's documents of counted meters (main meters, not
/// water), grouped by `by` (`building` or `meter`): one aggregate, however
/// many meters.
pub fn year_sums(
    year: i32,
    by: &str,
    field: &str,
) -> Result<std::collections::HashMap<String, f64>> {
    Ok(DAYS
        .count_by(by)
        .eq("year", year)
        .eq("counted", 1)
        .sum(field)
        .fetch()?
        .into_iter()
        .map(|g| (g.key.unwrap_or_default(), g.sum.unwrap_or(0.0)))
        .collect())
}

/// Writes daily mean temperatures into a station's year documents.
pub fn write_temps(station: &str, days: &BTreeMap<NaiveDate, f64>) -> Result<()> {
    for (year, values) in by_year(days) {
        let key = format!("{station}:{year}");
        let new = || YearTemps {
            key: key.clone(),
            station: station.to_owned(),
            year,
            t: vec![None; days_in_year(year)],
        };
        upsert(TEMPS, "key", &key, |kept: Option<YearTemps>| {
            let mut doc = kept.unwrap_or_else(new);
            for (i, v) in values {
                doc.t[i] = Some(v);
            }
            doc
        })?;
    }
    Ok(())
}

/// The building of `code`.
pub fn building_by_code(code: &str) -> Result<Document<Building>> {
    BUILDINGS
        .find_by("code", code)?
        .ok_or_else(|| Error::not_found(format!("no building {code}")))
}

/// The station of `code`.
pub fn station_by_code(code: &str) -> Result<Document<Station>> {
    STATIONS
        .find_by("code", code)?
        .ok_or_else(|| Error::not_found(format!("no station {code}")))
}

/// The meter of `code`.
pub fn meter_by_code(code: &str) -> Result<Document<Meter>> {
    METERS
        .find_by("label", code)?
        .ok_or_else(|| Error::not_found(format!("no meter {code}")))
}

/// The meter's baseline as last fitted.
pub fn baseline(meter: &str) -> Result<Option<Document<Baseline>>> {
    MODELS.find_by("meter", meter)
}

/// Who acts, for the audit chain.
pub fn actor(ctx: &Context) -> String {
    ctx.principal()
        .map_or_else(|| "system".to_owned(), |p| p.name().to_owned())
}

/// An entry on the audit chain.
pub fn audit(ctx: &Context, action: &str, subject: &str, text: String) -> Result<()> {
    audit::append(action, subject, &json!({ "text": text, "by": actor(ctx) }))
}

pub fn manager(ctx: &Context) -> Result<()> {
    match ctx.principal() {
        Some(p) if p.has_permission("energy.manage") => Ok(()),
        _ => Err(Error::forbidden(ctx.tr(
            "Only the energy manager may do this.",
            "Toto smí jen energetický manažer.",
        ))),
    }
}
