//! What is kept: the network (sections, routes and the tiles that find a
//! section by a position), vehicles and the units that report for them,
//! events with their assignments, what was treated when, the positions
//! reported, and the dispatcher's log.

use chrono::{DateTime, TimeZone};
use chrono_tz::Europe::Prague;
use chrono_tz::Tz;
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{Context, Result, audit, folding, numbers, settings};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const SECTIONS: Collection = Collection::new("sections");
pub const ROUTES: Collection = Collection::new("routes");
pub const SHAPES: Collection = Collection::new("shapes");
pub const TILES: Collection = Collection::new("tiles");
pub const VEHICLES: Collection = Collection::new("vehicles");
pub const UNITS: Collection = Collection::new("units");
pub const EVENTS: Collection = Collection::new("events");
pub const TREATED: Collection = Collection::new("treated");
pub const POSITIONS: Collection = Collection::new("positions");
pub const LOG: Collection = Collection::new("log");

/// The most sections a network holds.
pub const MOST_SECTIONS: usize = 20_000;
/// The most vehicles a fleet holds.
pub const MOST_VEHICLES: usize = 2_000;

/// The English or the Czech text: both are written in the log.
pub fn tr_in<'a>(in_cs: bool, en: &'a str, cs: &'a str) -> &'a str {
    if in_cs { cs } else { en }
}

/// Now, in seconds since 1970 (the host's wall clock).
pub fn now() -> i64 {
    portico_sdk::calendar::now().timestamp()
}

/// A moment as people of the reader's language write it, in Europe/Prague:
/// `5. 12. 2026 4:05` or `5 December 2026 04:05`.
pub fn when(ctx: &Context, at: i64) -> String {
    when_in(ctx.is_czech(), at)
}

/// [`when`] in Czech or English.
pub fn when_in(in_cs: bool, at: i64) -> String {
    local(at).map_or_else(String::new, |t| {
        format!(
            "{} {}",
            portico_sdk::calendar::format_date(t.date_naive(), if in_cs { "cs" } else { "en" }),
            clock_in(in_cs, t)
        )
    })
}

/// A moment (seconds since 1970) in Europe/Prague.
pub fn local(at: i64) -> Option<DateTime<Tz>> {
    Prague.timestamp_opt(at, 0).single()
}

/// The time of day as the reader's language writes it: `6:00`, `06:00`.
pub fn clock_in(in_cs: bool, t: DateTime<Tz>) -> String {
    t.format(if in_cs { "%-H:%M" } else { "%H:%M" }).to_string()
}

/// A moment in RFC 3339, as APIs and histories write it.
pub fn rfc3339(at: i64) -> String {
    local(at).map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// Reads an RFC 3339 moment.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

/// Kilometres, as the reader's language writes them (one decimal).
pub fn km(ctx: &Context, metres: f64) -> String {
    format!(
        "{} km",
        numbers::format((metres / 100.0).round() / 10.0, ctx.locale())
    )
}

/// The order in which a section is maintained: I, II or III; 0 for a
/// section that is not maintained in winter.
pub fn priority_name(ctx: &Context, priority: u8) -> &'static str {
    priority_name_in(ctx.is_czech(), priority)
}

/// [`priority_name`] in Czech or English.
pub fn priority_name_in(in_cs: bool, priority: u8) -> &'static str {
    match priority {
        1 => "I",
        2 => "II",
        3 => "III",
        _ => tr_in(in_cs, "not maintained", "neudržovaný"),
    }
}

/// A priority as a label: `Priority I` in English, `I. pořadí` in Czech.
pub fn priority_label(ctx: &Context, priority: u8) -> String {
    match priority {
        1..=3 if ctx.is_czech() => format!("{}. pořadí", priority_name(ctx, priority)),
        1..=3 => format!("Priority {}", priority_name(ctx, priority)),
        _ => priority_name(ctx, priority).to_owned(),
    }
}

/// What a section is treated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Treatment {
    /// Salt or brine.
    Chemical,
    /// Grit, sand or chippings.
    Inert,
    /// Ploughing only.
    Plough,
}

impl Treatment {
    pub const ALL: [Treatment; 3] = [Treatment::Chemical, Treatment::Inert, Treatment::Plough];

    pub fn code(self) -> &'static str {
        match self {
            Treatment::Chemical => "chemical",
            Treatment::Inert => "inert",
            Treatment::Plough => "plough",
        }
    }

    pub fn parse(text: &str) -> Option<Treatment> {
        match text.trim().to_lowercase().as_str() {
            "chemical" | "chemicky" | "chemický" | "chemicke" | "chemické" | "salt" => {
                Some(Treatment::Chemical)
            }
            "inert" | "inertni" | "inertní" | "grit" => Some(Treatment::Inert),
            "plough" | "plow" | "pluh" | "pluhovani" | "pluhování" => Some(Treatment::Plough),
            _ => None,
        }
    }

    pub fn name(self, ctx: &Context) -> &'static str {
        self.name_in(ctx.is_czech())
    }

    pub fn name_in(self, in_cs: bool) -> &'static str {
        let t = |en, cs| tr_in(in_cs, en, cs);
        match self {
            Treatment::Chemical => t("chemical (salt)", "chemický posyp (sůl)"),
            Treatment::Inert => t("inert (grit)", "inertní posyp"),
            Treatment::Plough => t("ploughing only", "jen pluhování"),
        }
    }
}

/// A road section of the network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Section {
    /// The section's code, unique in the network, e.g. `II/152-03`.
    pub code: String,
    /// The road's number, e.g. `II/152`, or a street's name.
    pub road: String,
    /// What it is called, e.g. `Rosice – Zastávka`.
    pub name: String,
    /// Who owns the road.
    pub owner: String,
    /// 1, 2 or 3; 0 when not maintained.
    pub priority: u8,
    pub treatment: Treatment,
    /// The route (okruh) that takes it, by code; empty for none.
    #[serde(default)]
    pub route: String,
    /// The ORP (municipality with extended powers) it lies in, by its
    /// `CISORP` code; empty when not given.
    #[serde(default)]
    pub orp: String,
    /// Its length in metres.
    pub length_m: f64,
    /// A point of it to put it on a map: the middle of its first line.
    #[serde(default)]
    pub middle: Option<[f64; 2]>,
    /// Its lines simplified to within about 20 m (at most 64 points each),
    /// to draw on maps without reading its shape.
    #[serde(default)]
    pub outline: Vec<Vec<[f64; 2]>>,
    /// The box that holds it: west, south, east, north.
    #[serde(default)]
    pub bbox: Option<[f64; 4]>,
    /// When it was last treated (seconds since 1970), if ever.
    #[serde(default)]
    pub last_treated: Option<i64>,
}

impl Section {
    /// Its code, road and name as search compares them.
    pub fn folded(&self) -> String {
        folding::fold(&format!("{} {} {}", self.code, self.road, self.name))
    }
}

/// A section's geometry, kept apart so that lists and figures of the
/// network read only what they show.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shape {
    /// The network it belongs to: there is one, 1 (indexed, to sum over).
    pub net: u8,
    /// The section's code.
    pub code: String,
    /// One or more lines of `[longitude, latitude]`.
    pub lines: Vec<Vec<[f64; 2]>>,
    /// A sum over its coordinates, so that a changed geometry changes the
    /// network's fingerprint.
    pub checksum: f64,
}

/// A route (okruh): sections one crew treats in one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Route {
    pub code: String,
    pub name: String,
}

/// The part of a section near a tile, to find sections near a position.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Piece {
    /// The section's code.
    pub c: String,
    /// Its stretches within reach of the tile.
    pub l: Vec<Vec<[f64; 2]>>,
}

/// One square of the grid the network is cut into, with every section
/// that comes within the matching distance of it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Tile {
    pub tile: String,
    pub pieces: Vec<Piece>,
    /// On the tile `meta` only: the network the tiles were built from.
    #[serde(default)]
    pub fingerprint: String,
    /// On the tile `meta` only: the network a rebuild under way builds,
    /// and since when.
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub since: i64,
}

/// A gritter, plough or other vehicle of the road administration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vehicle {
    /// Its call sign, e.g. `S-12`.
    pub code: String,
    /// What it is, e.g. `Tatra 815 with a spreader and a plough`.
    pub name: String,
    /// The registration plate.
    #[serde(default)]
    pub plate: String,
    /// The crew.
    #[serde(default)]
    pub crew: String,
    /// The unit that reports for it: the API token's principal
    /// (`token:…`); empty until one is paired.
    #[serde(default)]
    pub unit: String,
    /// The event it works in now (its number), or empty.
    #[serde(default)]
    pub event: String,
    /// The route it is assigned in that event, or empty.
    #[serde(default)]
    pub route: String,
    /// When that event began (seconds since 1970): work before it is not
    /// the event's.
    #[serde(default)]
    pub since: i64,
    /// Its last report.
    #[serde(default)]
    pub last: Option<Fix>,
}

/// Where a vehicle was and what it did, as it last reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fix {
    pub at: i64,
    pub lat: f64,
    pub lon: f64,
    pub work: Work,
    /// The section it was on (its code), if any.
    #[serde(default)]
    pub section: String,
}

/// A unit that reported without being paired with a vehicle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unit {
    pub unit: String,
    pub name: String,
    pub seen: i64,
}

/// What a vehicle was doing at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Work {
    /// Driving without treating.
    None,
    Ploughing,
    /// Spreading salt or brine.
    Salting,
    /// Spreading grit.
    Gritting,
}

impl Work {
    pub fn name(self, ctx: &Context) -> &'static str {
        match self {
            Work::None => ctx.tr("driving", "přejezd"),
            Work::Ploughing => ctx.tr("ploughing", "pluhování"),
            Work::Salting => ctx.tr("salting", "solení"),
            Work::Gritting => ctx.tr("gritting", "posyp inertem"),
        }
    }
}

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Snowfall,
    BlackIce,
    FreezingRain,
    Drifts,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Snowfall,
        Kind::BlackIce,
        Kind::FreezingRain,
        Kind::Drifts,
        Kind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Snowfall => "snowfall",
            Kind::BlackIce => "black-ice",
            Kind::FreezingRain => "freezing-rain",
            Kind::Drifts => "drifts",
            Kind::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn name(self, ctx: &Context) -> &'static str {
        self.name_in(ctx.is_czech())
    }

    pub fn name_in(self, in_cs: bool) -> &'static str {
        let t = |en, cs| tr_in(in_cs, en, cs);
        match self {
            Kind::Snowfall => t("Snowfall", "Sněžení"),
            Kind::BlackIce => t("Black ice", "Náledí"),
            Kind::FreezingRain => t("Freezing rain", "Mrznoucí déšť"),
            Kind::Drifts => t("Snow drifts", "Sněhové jazyky a závěje"),
            Kind::Other => t("Other", "Jiná situace"),
        }
    }
}

/// A winter event: from the dispatcher's call-out to its end.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// E.g. `2026/07`: the year and its order in the season.
    pub number: String,
    pub kind: Kind,
    #[serde(default)]
    pub note: String,
    /// When it began (seconds since 1970): response times count from here.
    pub started: i64,
    #[serde(default)]
    pub closed: Option<i64>,
    /// 1 while open, 0 once closed (indexed).
    pub open: u8,
    pub opened_by: String,
    #[serde(default)]
    pub assignments: Vec<Assignment>,
    /// The coverage when it was closed.
    #[serde(default)]
    pub summary: Option<crate::coverage::Summary>,
}

/// A route given to a vehicle in an event.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assignment {
    pub route: String,
    pub vehicle: String,
    pub vehicle_code: String,
    pub at: i64,
    pub by: String,
}

/// A section treated in an event: when first and last, how often.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Treated {
    /// The event's number.
    pub event: String,
    /// The section's code.
    pub section: String,
    pub priority: u8,
    pub length_m: f64,
    pub first: i64,
    pub last: i64,
    pub passes: u32,
    /// When the section's `last_treated` was last written.
    #[serde(default)]
    pub noted: i64,
    /// The section's document, to link to.
    #[serde(default)]
    pub section_id: String,
    /// The section's outline, to draw on the event's map without reading
    /// the network.
    #[serde(default)]
    pub outline: Vec<Vec<[f64; 2]>>,
}

/// One position a vehicle reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Position {
    pub vehicle: String,
    pub code: String,
    /// The event it worked in (its number), or empty.
    pub event: String,
    pub at: i64,
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub speed_kmh: Option<f64>,
    pub work: Work,
    /// Grams a square metre.
    #[serde(default)]
    pub rate_g_m2: Option<f64>,
    /// E.g. `NaCl`, `CaCl2`, `grit`; empty when not spreading.
    #[serde(default)]
    pub material: String,
    /// Kilograms spread since the previous report.
    #[serde(default)]
    pub amount_kg: f64,
    /// The section matched (its document), or empty.
    #[serde(default)]
    pub section: String,
}

/// One entry of the dispatcher's log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub at: i64,
    pub by: String,
    /// What kind of entry, e.g. `event.opened`.
    pub kind: String,
    /// The event it belongs to (its number), or empty.
    #[serde(default)]
    pub event: String,
    pub en: String,
    pub cs: String,
}

/// Who acts: the principal's name, or the host for a job.
pub fn actor(ctx: &Context) -> String {
    ctx.principal()
        .map_or_else(|| "Portico".to_owned(), |p| p.name().to_owned())
}

/// Writes an entry in the dispatcher's log and on the audit chain.
pub fn log(
    ctx: &Context,
    kind: &str,
    event: &str,
    subject: &str,
    en: String,
    cs: String,
) -> Result<()> {
    let entry = Entry {
        at: now(),
        by: actor(ctx),
        kind: kind.to_owned(),
        event: event.to_owned(),
        en,
        cs,
    };
    audit::append(
        kind,
        subject,
        &json!({ "event": entry.event, "text": entry.en, "by": entry.by }),
    )?;
    LOG.insert(&entry)?;
    Ok(())
}

/// The response time of each priority, in hours (the settings).
pub fn response_hours() -> Result<[f64; 3]> {
    let read = |key: &str, default: f64| -> Result<f64> {
        Ok(settings::get(key)?
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|h| *h > 0.0)
            .unwrap_or(default))
    };
    Ok([
        read("response-hours-1", 3.0)?,
        read("response-hours-2", 6.0)?,
        read("response-hours-3", 12.0)?,
    ])
}

/// How close to a section a vehicle must be to be on it, in metres.
pub fn match_metres() -> Result<f64> {
    Ok(settings::get("match-metres")?
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|m| (5.0..=200.0).contains(m))
        .unwrap_or(30.0))
}

fn first<T: serde::de::DeserializeOwned>(found: Vec<Document<T>>) -> Option<Document<T>> {
    found.into_iter().next()
}

pub fn vehicle_of_unit(unit: &str) -> Result<Option<Document<Vehicle>>> {
    Ok(first(
        VEHICLES.find().eq("unit", unit).limit(1).fetch()?.documents,
    ))
}

pub fn open_events() -> Result<Vec<Document<Event>>> {
    EVENTS.find().eq("open", 1).fetch_all(50)
}

pub fn routes() -> Result<Vec<Document<Route>>> {
    let mut all = ROUTES.find().fetch_all::<Route>(2_000)?;
    all.sort_by(|a, b| a.data.code.cmp(&b.data.code));
    Ok(all)
}

pub fn vehicles() -> Result<Vec<Document<Vehicle>>> {
    let mut all = VEHICLES.find().fetch_all::<Vehicle>(MOST_VEHICLES)?;
    all.sort_by(|a, b| a.data.code.cmp(&b.data.code));
    Ok(all)
}

/// Every section of the network, in pages of 500.
pub fn all_sections() -> Result<Vec<Document<Section>>> {
    SECTIONS.find().fetch_all(MOST_SECTIONS)
}

/// The next number of this year in `collection` (indexed by `number`):
/// `YYYY/NN` with `width` digits, never one already given, and the year
/// and order apart. Events and alerts are named by it everywhere.
pub fn next_number(collection: Collection, width: usize) -> Result<(String, String, u64)> {
    let year = portico_sdk::calendar::today().format("%Y").to_string();
    let mut n: u64 = collection
        .count_by("number")
        .prefix("number", format!("{year}/"))
        .fetch()?
        .iter()
        .map(|g| g.count)
        .sum();
    loop {
        n += 1;
        let number = format!("{year}/{n:0width$}");
        let taken = collection
            .find()
            .eq("number", &number)
            .limit(1)
            .fetch::<serde_json::Value>()?;
        if taken.documents.is_empty() {
            return Ok((number, year, n));
        }
    }
}

/// The section `code`, if the network has it.
pub fn section_by_code(code: &str) -> Result<Option<Document<Section>>> {
    Ok(first(
        SECTIONS.find().eq("code", code).limit(1).fetch()?.documents,
    ))
}

/// Lengths by priority (index 0: not maintained) from an aggregate of
/// `length_m` grouped by `priority`.
pub fn by_priority(groups: &[portico_sdk::records::Group]) -> [f64; 4] {
    let mut out = [0.0; 4];
    for g in groups {
        if let Some(p) = g.key.as_deref().and_then(|k| k.parse::<f64>().ok())
            && (0.0..4.0).contains(&p)
        {
            out[p as usize] = g.sum.unwrap_or(0.0);
        }
    }
    out
}

/// Checks that `value` is filled in (when `required`) and at most `most`
/// characters; what is wrong goes to `errors` under `name`.
pub fn check_length(
    ctx: &Context,
    errors: &mut Vec<(&'static str, String)>,
    name: &'static str,
    value: &str,
    required: bool,
    most: usize,
) {
    if required && value.is_empty() {
        errors.push((name, ctx.tr("Fill this in.", "Vyplňte prosím.").into()));
    } else if value.chars().count() > most {
        let most = numbers::format(most as f64, ctx.locale());
        errors.push((
            name,
            if ctx.is_czech() {
                format!("Použijte nejvýše {most} znaků.")
            } else {
                format!("Use at most {most} characters.")
            },
        ));
    }
}
