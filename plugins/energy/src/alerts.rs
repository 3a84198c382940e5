//! What the energy manager is told: a day whose use falls outside its
//! baseline's prediction interval (an event, and a message to the
//! building's contact), and an energy performance certificate about to
//! expire (once per certificate).

use chrono::{Duration, NaiveDate};
use portico_sdk::notify::{self, To};
use portico_sdk::{Result, events};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::caltrack::{self, Fit};
use crate::model::{
    ANOMALIES, BUILDINGS, Building, Meter, Series, Temperatures, baseline, building_by_code,
    find_one,
};

/// Days of warning before a certificate expires.
pub const PENB_WARNING_DAYS: i64 = 90;
/// The prediction interval's confidence.
const CONFIDENCE: f64 = 0.95;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Anomaly {
    pub key: String,
    pub meter: String,
    pub building: String,
    pub date: String,
    pub used: f64,
    pub predicted: f64,
    pub limit: f64,
}

/// The half-width of the baseline's prediction interval for one day.
pub fn interval(fit: &Fit) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let df = fit.n as f64 - fit.kind.parameters() as f64 - 1.0;
    let t = StudentsT::new(0.0, 1.0, df)
        .ok()?
        .inverse_cdf(1.0 - (1.0 - CONFIDENCE) / 2.0);
    Some(t * fit.rmse * (1.0 + 1.0 / fit.n as f64).sqrt())
}

/// Checks `days` of a meter against its accepted baseline; each day out
/// of the interval for the first time is kept, published and, with the
/// building's contact, told. Returns how many.
pub fn check(meter: &Meter, days: &[NaiveDate]) -> Result<usize> {
    let meter_id = meter.label.as_str();
    let Some(model) = baseline(meter_id)?.map(|d| d.data) else {
        return Ok(0);
    };
    let (Some(fit), true) = (model.fit.as_ref(), model.accepted) else {
        return Ok(0);
    };
    let Some(end) = portico_sdk::calendar::parse_date(&model.to) else {
        return Ok(0);
    };
    let Some(half) = interval(fit) else {
        return Ok(0);
    };
    let building = building_by_code(&meter.building)?.data;
    let series = Series::of(meter_id)?;
    let temps = Temperatures::of(&building.station)?;
    let mut found = Vec::new();
    for day in days.iter().filter(|d| **d > end) {
        let (Some(used), Some(t)) = (series.get(*day), temps.get(*day)) else {
            continue;
        };
        if series.estimated(*day) {
            continue;
        }
        let predicted = fit.predict_day(caltrack::fahrenheit(t), crate::model::day_length(*day));
        if (used - predicted).abs() <= half {
            continue;
        }
        let key = format!("{meter_id}:{day}");
        if find_one::<Anomaly>(ANOMALIES, "key", &key)?.is_some() {
            continue;
        }
        let a = Anomaly {
            key,
            meter: meter_id.to_owned(),
            building: meter.building.clone(),
            date: day.to_string(),
            used,
            predicted,
            limit: half,
        };
        ANOMALIES.insert(&a)?;
        found.push(a);
    }
    if found.is_empty() {
        return Ok(0);
    }
    let dates: Vec<&str> = found.iter().take(10).map(|a| a.date.as_str()).collect();
    events::publish(
        "energy.anomaly",
        &json!({
            "meter": meter_id,
            "building": meter.building,
            "days": found,
        }),
    )?;
    if !building.contact.is_empty() {
        let first = &found[0];
        notify::send(
            To::Email(&building.contact),
            "anomaly",
            &json!({
                "building": building.name,
                "meter": meter.label,
                "count": found.len(),
                "days": dates,
                "more": found.len() > dates.len(),
                "first": first.date,
                "used": first.used.round(),
                "predicted": first.predicted.round(),
                "unit": meter.carrier().measure(),
                "path": format!("/meters/{}", portico_sdk::segment(meter_id)),
            }),
        )?;
    }
    Ok(found.len())
}

/// The daily job: tells each building's contact, once per certificate,
/// that its energy performance certificate expires within 90 days.
pub fn penb_reminders() -> Result<()> {
    let today = portico_sdk::calendar::today();
    for page in BUILDINGS.find().limit(200).pages::<Building>() {
        for doc in page? {
            let b = &doc.data;
            let Some(expires) = portico_sdk::calendar::parse_date(&b.penb_expires) else {
                continue;
            };
            // One already expired shows as expired on the building's
            // page; the reminder is for one about to.
            if b.contact.is_empty()
                || b.penb_reminded == b.penb_expires
                || expires < today
                || expires - today > Duration::days(PENB_WARNING_DAYS)
            {
                continue;
            }
            notify::send(
                To::Email(&b.contact),
                "penb-expiring",
                &json!({
                    "building": b.name,
                    "class": b.penb,
                    "expires": b.penb_expires,
                    "days": (expires - today).num_days(),
                    "path": format!("/buildings/{}", portico_sdk::segment(&b.code)),
                }),
            )?;
            let mut reminded = b.clone();
            reminded.penb_reminded = b.penb_expires.clone();
            BUILDINGS.update(&doc.id, doc.version, &reminded)?;
            portico_sdk::audit::append(
                "penb.reminded",
                &b.code,
                &json!({ "text": format!("{}: the energy performance certificate expires {}; {} told.", b.name, b.penb_expires, b.contact) }),
            )?;
        }
    }
    Ok(())
}
