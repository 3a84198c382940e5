//! The API vehicle units report to: `POST /api/v1/positions` with an API
//! token that carries `winter-dispatch.report`, one token per unit. The
//! dispatcher pairs a unit with its vehicle; a unit not paired yet is
//! told so and listed for the dispatcher to pair.

use portico_sdk::records::{Document, Filters};
use portico_sdk::{Context, Error, FieldError, Request, Response, Result};
use serde::Deserialize;
use serde_json::json;

use crate::model::{
    Fix, POSITIONS, Position, SECTIONS, Section, TREATED, Treated, UNITS, Unit, VEHICLES, Work,
    match_metres, now, parse_rfc3339, rfc3339, section_by_code, vehicle_of_unit,
};
use crate::network::Matcher;

/// The most positions one request may carry (a unit that was out of
/// signal sends what it kept).
const MOST_PER_REQUEST: usize = 100;
/// How far ahead of the host's clock a unit's clock may run.
const AHEAD_S: i64 = 120;
/// How old a position may be when it arrives.
const OLDEST_S: i64 = 7 * 86_400;
/// How often a section's last treatment is written for the public page
/// while a vehicle keeps treating it.
const NOTE_EVERY_S: i64 = 900;

/// One position as a unit sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    /// RFC 3339, with its offset.
    time: String,
    lat: f64,
    lon: f64,
    #[serde(default)]
    speed_kmh: Option<f64>,
    #[serde(default)]
    heading: Option<f64>,
    /// `none`, `ploughing`, `salting` or `gritting`.
    #[serde(default = "no_work")]
    work: Work,
    #[serde(default)]
    rate_g_m2: Option<f64>,
    #[serde(default)]
    material: Option<String>,
    #[serde(default)]
    amount_kg: Option<f64>,
}

fn no_work() -> Work {
    Work::None
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Body {
    Many { positions: Vec<Report> },
    One(Report),
}

fn invalid(field: String, message: String) -> Error {
    Error::Invalid(vec![FieldError { field, message }])
}

/// Checks one report; `at` names it in a batch.
fn check(r: &Report, at: &str, now: i64) -> Result<i64> {
    let time = parse_rfc3339(&r.time).ok_or_else(|| {
        invalid(
            format!("{at}time"),
            format!(
                "`{}` is not a moment in RFC 3339 with its offset (2026-12-05T04:10:00+01:00).",
                r.time
            ),
        )
    })?;
    if time > now + AHEAD_S {
        return Err(invalid(
            format!("{at}time"),
            format!(
                "{} is in the future: set the unit's clock (the portal's is {}).",
                r.time,
                rfc3339(now)
            ),
        ));
    }
    if time < now - OLDEST_S {
        return Err(invalid(
            format!("{at}time"),
            format!("{} is more than seven days old.", r.time),
        ));
    }
    if !(-90.0..=90.0).contains(&r.lat) || !r.lat.is_finite() {
        return Err(invalid(
            format!("{at}lat"),
            "The latitude must be in degrees, from −90 to 90 (WGS 84).".into(),
        ));
    }
    if !(-180.0..=180.0).contains(&r.lon) || !r.lon.is_finite() {
        return Err(invalid(
            format!("{at}lon"),
            "The longitude must be in degrees, from −180 to 180 (WGS 84).".into(),
        ));
    }
    if r.speed_kmh.is_some_and(|s| !(0.0..=200.0).contains(&s)) {
        return Err(invalid(
            format!("{at}speed_kmh"),
            "The speed must be from 0 to 200 km/h.".into(),
        ));
    }
    if r.heading.is_some_and(|h| !(0.0..=360.0).contains(&h)) {
        return Err(invalid(
            format!("{at}heading"),
            "The heading must be from 0 to 360 degrees.".into(),
        ));
    }
    if r.rate_g_m2.is_some_and(|g| !(0.0..=500.0).contains(&g)) {
        return Err(invalid(
            format!("{at}rate_g_m2"),
            "The spreading rate must be from 0 to 500 g/m².".into(),
        ));
    }
    if r.amount_kg.is_some_and(|k| !(0.0..=20_000.0).contains(&k)) {
        return Err(invalid(
            format!("{at}amount_kg"),
            "The amount spread since the last report must be from 0 to 20,000 kg.".into(),
        ));
    }
    if r.material.as_ref().is_some_and(|m| m.chars().count() > 40) {
        return Err(invalid(
            format!("{at}material"),
            "The material's name takes at most 40 characters.".into(),
        ));
    }
    Ok(time)
}

/// `POST /api/v1/positions`.
pub fn positions(ctx: &Context, req: &Request) -> Result<Response> {
    let Some(unit) = ctx.principal() else {
        return Err(Error::forbidden(
            "Send positions with the unit's API token.",
        ));
    };
    let body: Body = req.json()?;
    let reports = match body {
        Body::One(r) => vec![r],
        Body::Many { positions } => positions,
    };
    if reports.is_empty() || reports.len() > MOST_PER_REQUEST {
        return Err(invalid(
            "positions".into(),
            format!("Send 1 to {MOST_PER_REQUEST} positions at once."),
        ));
    }
    let now = now();
    let batch = reports.len() > 1;
    // In a batch (what a unit kept while out of signal), a bad position is
    // named and the others are kept, so the unit need not send it again.
    let mut good = Vec::with_capacity(reports.len());
    let mut rejected: Vec<FieldError> = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        let at = if batch {
            format!("positions[{i}].")
        } else {
            String::new()
        };
        match check(r, &at, now) {
            Ok(time) => good.push((i, r, time)),
            Err(Error::Invalid(problems)) => rejected.extend(problems),
            Err(other) => return Err(other),
        }
    }
    if good.is_empty() {
        return Err(Error::Invalid(rejected));
    }
    let Some(vehicle) = vehicle_of_unit(unit.user_id())? else {
        return not_paired(unit.user_id(), unit.name(), now);
    };
    // A position sent again (the answer to a unit was lost) is kept once.
    let (first, last) = good.iter().fold((i64::MAX, i64::MIN), |(f, l), (_, _, t)| {
        (f.min(*t), l.max(*t))
    });
    let known: Vec<i64> = POSITIONS
        .find()
        .eq("vehicle", &vehicle.id)
        .ge("at", first)
        .le("at", last)
        .limit(500)
        .fetch::<Position>()?
        .documents
        .into_iter()
        .map(|d| d.data.at)
        .collect();
    let within = match_metres()?;
    let mut matcher = Matcher::default();
    let mut sections = vec![serde_json::Value::Null; reports.len()];
    let mut latest: Option<Fix> = vehicle.data.last.clone();
    let (mut accepted, mut again) = (0, 0);
    let event = vehicle.data.event.clone();
    for (i, r, at) in good {
        let code = matcher.nearest(r.lat, r.lon, within)?;
        if let Some(c) = &code {
            sections[i] = json!(c);
        }
        if known.contains(&at) {
            again += 1;
            continue;
        }
        // Work counts in the event the vehicle works in, from its start.
        if let Some(c) = &code
            && r.work != Work::None
            && !event.is_empty()
            && at >= vehicle.data.since
        {
            treat(&event, c, at)?;
        }
        POSITIONS.insert(&Position {
            vehicle: vehicle.id.clone(),
            code: vehicle.data.code.clone(),
            event: event.clone(),
            at,
            lat: r.lat,
            lon: r.lon,
            speed_kmh: r.speed_kmh,
            work: r.work,
            rate_g_m2: r.rate_g_m2,
            material: r.material.clone().unwrap_or_default(),
            amount_kg: r.amount_kg.unwrap_or(0.0),
            section: code.clone().unwrap_or_default(),
        })?;
        accepted += 1;
        if latest.as_ref().is_none_or(|l| l.at <= at) {
            latest = Some(Fix {
                at,
                lat: r.lat,
                lon: r.lon,
                work: r.work,
                section: code.unwrap_or_default(),
            });
        }
    }
    let mut v = vehicle.data;
    if accepted > 0 {
        v.last = latest;
        VEHICLES.update(&vehicle.id, vehicle.version, &v)?;
    }
    Ok(Response::json(&json!({
        "accepted": accepted,
        "already_kept": again,
        "vehicle": v.code,
        "sections": sections,
        "rejected": rejected
            .iter()
            .map(|e| json!({ "field": e.field, "message": e.message }))
            .collect::<Vec<_>>(),
    }))
    .status(202))
}

/// A unit no vehicle has: listed for the dispatcher to pair; its positions
/// are not kept.
fn not_paired(unit: &str, name: &str, now: i64) -> Result<Response> {
    let seen = UNITS
        .find()
        .eq("unit", unit)
        .limit(1)
        .fetch::<Unit>()?
        .documents;
    let record = Unit {
        unit: unit.to_owned(),
        name: name.to_owned(),
        seen: now,
    };
    match seen.into_iter().next() {
        Some(d) if now - d.data.seen > 60 => {
            UNITS.update(&d.id, d.version, &record)?;
        }
        Some(_) => {}
        None => {
            UNITS.insert(&record)?;
        }
    }
    Ok(Response::json(&json!({
        "error": "not-paired",
        "message": format!(
            "The unit `{name}` is not paired with a vehicle yet: the dispatcher pairs it on the vehicle's page. Its positions were not kept."
        ),
        "message_cs": format!(
            "Jednotka `{name}` zatím není spárována s vozidlem: dispečer ji spáruje na stránce vozidla. Její polohy nebyly uloženy."
        ),
    }))
    .status(403))
}

/// Records work on the section `code` in `event`.
fn treat(event: &str, code: &str, at: i64) -> Result<()> {
    let known = TREATED
        .find()
        .eq("event", event)
        .eq("section", code)
        .limit(1)
        .fetch::<Treated>()?
        .documents
        .into_iter()
        .next();
    match known {
        Some(doc) => {
            let mut t = doc.data;
            t.first = t.first.min(at);
            t.last = t.last.max(at);
            t.passes += 1;
            if at - t.noted >= NOTE_EVERY_S {
                if let Some(section) = section_by_code(code)? {
                    note_treated(section, at)?;
                }
                t.noted = at;
            }
            TREATED.update(&doc.id, doc.version, &t)?;
        }
        None => {
            let Some(section) = section_by_code(code)? else {
                return Ok(());
            };
            TREATED.insert(&Treated {
                event: event.to_owned(),
                section: code.to_owned(),
                priority: section.data.priority,
                length_m: section.data.length_m,
                first: at,
                last: at,
                passes: 1,
                noted: at,
                section_id: section.id.clone(),
                outline: section.data.outline.clone(),
            })?;
            note_treated(section, at)?;
        }
    }
    Ok(())
}

/// Writes when a section was last treated, for the public page.
fn note_treated(section: Document<Section>, at: i64) -> Result<()> {
    if section.data.last_treated.is_none_or(|l| l < at) {
        let mut data = section.data;
        data.last_treated = Some(at);
        SECTIONS.update(&section.id, section.version, &data)?;
    }
    Ok(())
}
