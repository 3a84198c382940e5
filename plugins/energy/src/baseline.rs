//! A meter's baseline: the 365 days up to its end, fitted by the CalTRACK
//! daily method, accepted only when enough days have data and the model
//! is within the acceptance limits; and what it says of the days after.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{Duration, NaiveDate};
use portico_sdk::calendar::format_date;
use portico_sdk::{Result, settings};

use crate::caltrack::{self, Day, Fit, Kind};
use crate::model::{
    Baseline, Building, MODELS, Meter, Series, Temperatures, building_by_code, day_length, num_in,
};
use crate::readings::extreme_limit;

/// Days in a baseline (CalTRACK 2.2.1.1).
pub const BASELINE_DAYS: i64 = 365;
/// The share of them that must have both a use and a temperature (2.2.1.2).
pub const MIN_COVERAGE: f64 = 0.9;

/// The acceptance limits: CV(RMSE) and |NMBE|, in per cent (settings).
fn limits() -> Result<(f64, f64)> {
    let read = |key: &str, default: f64| -> Result<f64> {
        Ok(settings::get(key)?
            .and_then(|v| v.trim().replace(',', ".").parse::<f64>().ok())
            .filter(|v| *v > 0.0)
            .unwrap_or(default))
    };
    Ok((read("max-cvrmse", 30.0)?, read("max-nmbe", 0.5)?))
}

/// The days of a meter with both a use and a temperature, from `from` to
/// `to` inclusive.
pub fn days(
    series: &Series,
    temps: &Temperatures,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(NaiveDate, Day)> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        if let (Some(usage), Some(t)) = (series.get(d), temps.get(d))
            && !series.estimated(d)
        {
            out.push((d, Day::new(usage, caltrack::fahrenheit(t), day_length(d))));
        }
        d += Duration::days(1);
    }
    out
}

/// Fits baselines: the acceptance limits read once, and each station's
/// temperatures once, however many of its meters a call fits.
pub struct Fitter {
    limits: (f64, f64),
    temps: HashMap<String, Temperatures>,
}

impl Fitter {
    pub fn new() -> Result<Fitter> {
        Ok(Fitter {
            limits: limits()?,
            temps: HashMap::new(),
        })
    }

    /// Fits a meter's baseline and keeps it (replacing the one before).
    pub fn fit(&mut self, meter: &Meter) -> Result<Baseline> {
        let building = building_by_code(&meter.building)?.data;
        let series = Series::of(&meter.label)?;
        let temps = match self.temps.entry(building.station.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(Temperatures::of(&building.station)?),
        };
        let baseline = fit_with(meter, &building, &series, temps, self.limits);
        let kept = baseline.clone();
        crate::model::upsert(MODELS, "meter", &meter.label, |_| kept)?;
        Ok(baseline)
    }
}

fn refused(mut b: Baseline, en: String, cs: String) -> Baseline {
    b.accepted = false;
    b.reason_en = en;
    b.reason_cs = cs;
    b
}

/// A meter's baseline from its days and its station's temperatures,
/// judged by the acceptance limits (CV(RMSE), |NMBE|, per cent).
fn fit_with(
    meter: &Meter,
    building: &Building,
    series: &Series,
    temps: &Temperatures,
    (max_cvrmse, max_nmbe): (f64, f64),
) -> Baseline {
    let end = portico_sdk::calendar::parse_date(&meter.baseline_end).or_else(|| series.last());
    let mut b = Baseline {
        meter: meter.label.clone(),
        building: meter.building.clone(),
        fitted: portico_sdk::calendar::stamp(),
        from: String::new(),
        to: String::new(),
        days: 0,
        extreme_days: 0,
        accepted: false,
        reason_en: String::new(),
        reason_cs: String::new(),
        fit: None,
    };
    let Some(end) = end else {
        return refused(
            b,
            "The meter has no readings yet.".into(),
            "Měřidlo zatím nemá žádné hodnoty.".into(),
        );
    };
    if building.station.is_empty() {
        return refused(
            b,
            "The building has no weather station: choose one on the building's page.".into(),
            "Budova nemá meteorologickou stanici: zvolte ji na stránce budovy.".into(),
        );
    }
    let from = end - Duration::days(BASELINE_DAYS - 1);
    b.from = from.to_string();
    b.to = end.to_string();
    let data = days(series, temps, from, end);
    b.days = data.len();
    let needed = (BASELINE_DAYS as f64 * MIN_COVERAGE).ceil() as usize;
    let estimated = (0..BASELINE_DAYS)
        .map(|i| from + Duration::days(i))
        .filter(|d| series.estimated(*d))
        .count();
    if data.len() < needed && data.len() + estimated >= needed {
        return refused(
            b,
            format!(
                "{estimated} of the 365 days have only a use spread from counter readings; the daily method needs each day's use as metered (a file of readings or a gateway)."
            ),
            format!(
                "{estimated} z 365 dnů má jen spotřebu rozpočítanou ze stavů počítadla; denní metoda potřebuje spotřebu naměřenou za každý den (soubor odečtů nebo měřicí bránu)."
            ),
        );
    }
    if data.len() < needed {
        return refused(
            b,
            format!(
                "Only {} of the 365 days from {} to {} have both a use and a temperature; the daily method needs at least {needed} (90 %).",
                data.len(),
                format_date(from, "en"),
                format_date(end, "en")
            ),
            format!(
                "Jen {} z 365 dnů od {} do {} má spotřebu i teplotu; denní metoda jich potřebuje alespoň {needed} (90 %).",
                data.len(),
                format_date(from, "cs"),
                format_date(end, "cs")
            ),
        );
    }
    let mut sorted: Vec<f64> = data.iter().map(|(_, d)| d.usage * d.length).collect();
    sorted.sort_by(f64::total_cmp);
    let limit = extreme_limit(&sorted);
    b.extreme_days = sorted.iter().filter(|v| **v > limit).count();
    let days: Vec<Day> = data.iter().map(|(_, d)| *d).collect();
    let Some(fit) = caltrack::fit(&days, meter.carrier().cools()) else {
        return refused(
            b,
            "No model qualified: every candidate had a negative coefficient.".into(),
            "Žádný model nevyhověl: každý kandidát měl záporný koeficient.".into(),
        );
    };
    let cvrmse = fit.cvrmse * 100.0;
    let nmbe = fit.nmbe * 100.0;
    b.fit = Some(fit.clone());
    if !cvrmse.is_finite() || cvrmse > max_cvrmse {
        return refused(
            b,
            format!(
                "The model misses too much: CV(RMSE) {} % is above the limit of {} % (ASHRAE Guideline 14). Savings are not computed from it; look for days that are wrong, or a change in the building within the baseline.",
                num_in(cvrmse, 1, "en"),
                num_in(max_cvrmse, 2, "en")
            ),
            format!(
                "Model se příliš míjí: CV(RMSE) {} % je nad mezí {} % (ASHRAE Guideline 14). Úspory se z něj nepočítají; hledejte chybné dny nebo změnu v budově během referenčního období.",
                num_in(cvrmse, 1, "cs"),
                num_in(max_cvrmse, 2, "cs")
            ),
        );
    }
    if nmbe.abs() > max_nmbe {
        return refused(
            b,
            format!(
                "The model is biased: NMBE {} % is beyond ±{} %.",
                num_in(nmbe, 2, "en"),
                num_in(max_nmbe, 2, "en")
            ),
            format!(
                "Model je vychýlený: NMBE {} % je mimo ±{} %.",
                num_in(nmbe, 2, "cs"),
                num_in(max_nmbe, 2, "cs")
            ),
        );
    }
    b.accepted = true;
    if fit.kind == Kind::InterceptOnly {
        // Said, never silent: no weather dependence was found.
        b.reason_en = "No dependence on the weather was found: the baseline is the mean day (intercept only).".into();
        b.reason_cs = "Závislost na počasí se nenašla: referenční spotřeba je průměrný den (jen absolutní člen).".into();
    }
    b
}

/// What the baseline says of the days after it.
#[derive(Debug, Clone, Default)]
pub struct Savings {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub days: usize,
    pub predicted: f64,
    pub used: f64,
    /// The 90 % error band of the savings, kWh.
    pub band: Option<f64>,
}

impl Savings {
    pub fn saved(&self) -> f64 {
        self.predicted - self.used
    }

    pub fn fraction(&self) -> f64 {
        if self.predicted > 0.0 {
            self.saved() / self.predicted
        } else {
            0.0
        }
    }
}

/// Normalised savings over the (up to) 365 days after the baseline.
pub fn savings(
    fit: &Fit,
    baseline_to: NaiveDate,
    series: &Series,
    temps: &Temperatures,
) -> Savings {
    let from = baseline_to + Duration::days(1);
    let last = series.last().unwrap_or(baseline_to);
    let to = last.min(baseline_to + Duration::days(BASELINE_DAYS));
    let mut s = Savings::default();
    if to < from {
        return s;
    }
    for (_, d) in days(series, temps, from, to) {
        s.days += 1;
        s.predicted += fit.predict_day(d.temp_f, d.length);
        s.used += d.usage * d.length;
    }
    s.from = Some(from);
    s.to = Some(to);
    s.band = caltrack::fsu_band(fit, s.days, 0.9);
    s
}
