//! What the energy manager is told: a day, or a whole month, whose use
//! falls outside its baseline's prediction interval (an event, and a
//! message to the building's contact), and an energy performance
//! certificate about to expire (once per certificate).

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate};
use portico_sdk::notify::{self, To};
use portico_sdk::records::Filters;
use portico_sdk::{Result, events};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::caltrack::{self, Fit};
use crate::model::{
    ANOMALIES, BUILDINGS, Building, Meter, Series, Temperatures, baseline, building_by_code,
    month_start, next_month,
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
    /// The day, `YYYY-MM-DD`; or the month, `YYYY-MM`.
    pub date: String,
    pub used: f64,
    pub predicted: f64,
    pub limit: f64,
    /// A whole month outside its interval (its days may each be within
    /// theirs).
    #[serde(default)]
    pub month: bool,
    /// A month: its days told on their own, and its use with them counted
    /// as predicted (what was compared with the interval).
    #[serde(default)]
    pub told_days: usize,
    #[serde(default)]
    pub without_told: f64,
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

/// How many days and whole months a check found out of their intervals.
#[derive(Debug, Default, Clone, Copy)]
pub struct Told {
    pub days: usize,
    pub months: usize,
}

/// The half-width of the baseline's prediction interval for the total of
/// `days` days whose predicted mean a day is `mean`, at 95 %: the model's
/// error and the days' noise (with the residuals' autocorrelation) added
/// in quadrature, as OpenEEmeter's OLS error band of a period's total.
/// The baseline's variance is its residuals' over 1 − R².
pub fn period_interval(fit: &Fit, days: usize, mean: f64) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let (n, m, rho) = (fit.n as f64, days as f64, fit.autocorr);
    if days == 0 || fit.n == 0 || rho.abs() >= 1.0 || fit.r_squared >= 1.0 {
        return None;
    }
    let t = StudentsT::new(0.0, 1.0, n - fit.kind.parameters() as f64)
        .ok()?
        .inverse_cdf(1.0 - (1.0 - CONFIDENCE) / 2.0);
    let nprime = n * (1.0 - rho) / (1.0 + rho);
    let variance = fit.rmse * fit.rmse / (1.0 - fit.r_squared);
    let model = t * fit.rmse * m / n.sqrt() * (1.0 + (fit.mean - mean).powi(2) / variance).sqrt();
    let noise = t * fit.rmse * (m * n / nprime).sqrt();
    Some(model.hypot(noise))
}

/// A whole month (after the baseline): every day metered and with a
/// temperature. Its use; its use with each day `flagged` on its own
/// counted as predicted (a month is told of for a drift its days do not
/// show); its prediction; how many days it has, and how many of them are
/// `flagged`.
fn month_figures(
    fit: &Fit,
    month: NaiveDate,
    series: &Series,
    temps: &Temperatures,
    flagged: &BTreeSet<String>,
) -> Option<(f64, f64, f64, usize, usize)> {
    let (mut used, mut drift, mut predicted, mut n, mut told) = (0.0, 0.0, 0.0, 0, 0);
    let mut d = month;
    while d < next_month(month) {
        let (Some(u), Some(t)) = (series.get(d), temps.get(d)) else {
            return None;
        };
        if series.estimated(d) {
            return None;
        }
        let p = fit.predict_day(caltrack::fahrenheit(t), crate::model::day_length(d));
        used += u;
        if flagged.contains(&d.to_string()) {
            drift += p;
            told += 1;
        } else {
            drift += u;
        }
        predicted += p;
        n += 1;
        d += Duration::days(1);
    }
    Some((used, drift, predicted, n, told))
}

/// Checks `days` of a meter against its accepted baseline, and the whole
/// months they complete; each day or month out of its interval for the
/// first time is kept, published and, with the building's contact, told.
/// Returns how many of each.
pub fn check(meter: &Meter, days: &[NaiveDate]) -> Result<Told> {
    let meter_id = meter.label.as_str();
    let Some(model) = baseline(meter_id)?.map(|d| d.data) else {
        return Ok(Told::default());
    };
    let (Some(fit), true) = (model.fit.as_ref(), model.accepted) else {
        return Ok(Told::default());
    };
    let Some(end) = portico_sdk::calendar::parse_date(&model.to) else {
        return Ok(Told::default());
    };
    let Some(half) = interval(fit) else {
        return Ok(Told::default());
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
        if ANOMALIES.find_by::<Anomaly>("key", &key)?.is_some() {
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
            month: false,
            told_days: 0,
            without_told: 0.0,
        };
        ANOMALIES.insert(&a)?;
        found.push(a);
    }
    let mut months = Vec::new();
    // The months after the baseline the days reach, ended by now.
    let today = portico_sdk::calendar::today();
    let due: BTreeSet<NaiveDate> = days
        .iter()
        .map(|d| month_start(*d))
        .filter(|m| *m > end && next_month(*m) <= today)
        .collect();
    // The days told on their own, read only when a month is due.
    let flagged: BTreeSet<String> = if due.is_empty() {
        BTreeSet::new()
    } else {
        ANOMALIES
            .find()
            .eq("meter", meter_id)
            .fetch_all::<Anomaly>(5_000)?
            .into_iter()
            .filter(|a| !a.data.month)
            .map(|a| a.data.date)
            .collect()
    };
    for month in due {
        let Some((used, drift, predicted, n, told_days)) =
            month_figures(fit, month, &series, &temps, &flagged)
        else {
            continue;
        };
        let Some(limit) = period_interval(fit, n, predicted / n as f64) else {
            continue;
        };
        let label = month.format("%Y-%m").to_string();
        let key = format!("{meter_id}:{label}");
        if (drift - predicted).abs() <= limit
            || ANOMALIES.find_by::<Anomaly>("key", &key)?.is_some()
        {
            continue;
        }
        let a = Anomaly {
            key,
            meter: meter_id.to_owned(),
            building: meter.building.clone(),
            date: label,
            used,
            predicted,
            limit,
            month: true,
            told_days,
            without_told: drift,
        };
        ANOMALIES.insert(&a)?;
        months.push(a);
    }
    if found.is_empty() && months.is_empty() {
        return Ok(Told::default());
    }
    events::publish(
        "energy.anomaly",
        &json!({
            "meter": meter_id,
            "building": meter.building,
            "days": found,
            "months": months,
        }),
    )?;
    let path = format!("/meters/{}", portico_sdk::segment(meter_id));
    if !building.contact.is_empty() {
        for m in &months {
            let first = crate::model::month_of(&m.date).unwrap_or_default();
            notify::send(
                To::Email(&building.contact),
                "anomaly-month",
                &json!({
                    "building": building.name,
                    "meter": meter.label,
                    "month_en": first.format("%B %Y").to_string(),
                    "month_cs": format!("{}/{}", first.month(), first.year()),
                    "used": m.used.round(),
                    "predicted": m.predicted.round(),
                    "limit": m.limit.round(),
                    "told_days": m.told_days,
                    "without_told": m.without_told.round(),
                    "unit": meter.carrier().measure(),
                    "path": path,
                }),
            )?;
        }
    }
    let told = Told {
        days: found.len(),
        months: months.len(),
    };
    if found.is_empty() {
        return Ok(told);
    }
    let dates: Vec<&str> = found.iter().take(10).map(|a| a.date.as_str()).collect();
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
                "path": path,
            }),
        )?;
    }
    Ok(told)
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
