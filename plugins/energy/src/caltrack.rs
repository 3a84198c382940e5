//! The CalTRACK 2.0 daily method: a day's use against its heating and
//! cooling degree days, with the balance points chosen by search.
//!
//! - Candidates: intercept only; heating only and cooling only at every
//!   balance point from 30 °F to 90 °F; both, at every pair whose heating
//!   point is not above the cooling one (CalTRACK 3.2.2.1).
//! - A candidate is tried only with at least 10 days of non-zero degree
//!   days and 20 degree days in all (3.2.2.2); it qualifies only with no
//!   negative coefficient (3.4.3.2); the qualified one with the highest
//!   adjusted R² wins (3.4.3.3), the first found on a tie.
//! - Ordinary least squares, solved on sums: one pass over the days gives a
//!   balance point's Σx, Σx² and Σxy; degree days are zero on one side of
//!   a balance point, so no day has both and every pair is a 2×2 system
//!   of those sums.
//!
//! Temperatures are in °F here, as the method's grid is; pages show °C.

/// One day with both a use and a mean temperature.
#[derive(Debug, Clone, Copy)]
pub struct Day {
    /// Use a day of 24 hours (kWh): a day of 23 or 25 hours, when the
    /// clocks change, counts its use per 24 hours, as CalTRACK's use per
    /// day does.
    pub usage: f64,
    /// The day's mean temperature, °F.
    pub temp_f: f64,
    /// The day's length in days (23/24, 1 or 25/24).
    pub length: f64,
}

impl Day {
    /// A day's use, of its length.
    pub fn new(used: f64, temp_f: f64, length: f64) -> Day {
        Day {
            usage: used / length,
            temp_f,
            length,
        }
    }
}

/// The lowest and highest balance points searched, °F.
pub const LOWEST: i32 = 30;
pub const HIGHEST: i32 = 90;
/// A degree day type's minimum non-zero days and total (CalTRACK 3.2.2.2).
const MIN_NON_ZERO: usize = 10;
const MIN_TOTAL: f64 = 20.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    InterceptOnly,
    HddOnly,
    CddOnly,
    CddHdd,
}

impl Kind {
    /// The number of parameters besides the intercept.
    pub fn parameters(self) -> usize {
        match self {
            Kind::InterceptOnly => 0,
            Kind::HddOnly | Kind::CddOnly => 1,
            Kind::CddHdd => 2,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Kind::InterceptOnly => "intercept_only",
            Kind::HddOnly => "hdd_only",
            Kind::CddOnly => "cdd_only",
            Kind::CddHdd => "cdd_hdd",
        }
    }
}

/// The model chosen, with its fit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fit {
    pub kind: Kind,
    pub intercept: f64,
    /// kWh per °F heating degree day.
    pub beta_hdd: f64,
    /// kWh per °F cooling degree day.
    pub beta_cdd: f64,
    /// Balance points, °F.
    pub heating_bp: Option<i32>,
    pub cooling_bp: Option<i32>,
    pub r_squared: f64,
    pub r_squared_adj: f64,
    /// Days fitted.
    pub n: usize,
    /// Mean use a day, of the days' lengths.
    pub mean: f64,
    /// CV(RMSE) with the degrees of freedom (ASHRAE Guideline 14), a fraction.
    pub cvrmse: f64,
    /// Normalised mean bias error, a fraction (predicted minus observed).
    pub nmbe: f64,
    /// The residuals' lag-1 autocorrelation.
    pub autocorr: f64,
    /// RMSE with the degrees of freedom, kWh a day.
    pub rmse: f64,
}

impl Fit {
    /// What the model predicts for a day of `length` days (1, or 23/24
    /// and 25/24 when the clocks change) and mean temperature `temp_f`.
    pub fn predict_day(&self, temp_f: f64, length: f64) -> f64 {
        self.predict(temp_f) * length
    }

    /// What the model predicts for 24 hours of mean temperature `temp_f`.
    pub fn predict(&self, temp_f: f64) -> f64 {
        let hdd = self
            .heating_bp
            .map_or(0.0, |b| (b as f64 - temp_f).max(0.0));
        let cdd = self
            .cooling_bp
            .map_or(0.0, |b| (temp_f - b as f64).max(0.0));
        self.intercept + self.beta_hdd * hdd + self.beta_cdd * cdd
    }
}

/// A candidate's figures, before the metrics of the winner.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    kind: Kind,
    intercept: f64,
    beta_hdd: f64,
    beta_cdd: f64,
    heating_bp: Option<i32>,
    cooling_bp: Option<i32>,
    r_squared: f64,
    r_squared_adj: f64,
}

/// Sums of one degree-day feature over the days.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    non_zero: usize,
    /// Σx, Σx², Σxy.
    x: f64,
    xx: f64,
    xy: f64,
}

fn sums(days: &[Day], f: impl Fn(f64) -> f64) -> Sums {
    let mut s = Sums::default();
    for d in days {
        let x = f(d.temp_f);
        if x > 0.0 {
            s.non_zero += 1;
            s.x += x;
            s.xx += x * x;
            s.xy += x * d.usage;
        }
    }
    s
}

fn degree_days_suffice(s: &Sums) -> bool {
    s.non_zero >= MIN_NON_ZERO && s.x >= MIN_TOTAL
}

/// Fits the daily model; `cooling` is false for meters no cooling can
/// drive (gas, heat), which are fitted without cooling degree days.
/// None when no day is given.
pub fn fit(days: &[Day], cooling: bool) -> Option<Fit> {
    let n = days.len();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let sy: f64 = days.iter().map(|d| d.usage).sum();
    let mean = sy / nf;
    let syy: f64 = days.iter().map(|d| (d.usage - mean).powi(2)).sum();
    let adj = |r2: f64, p: usize| 1.0 - (1.0 - r2) * (nf - 1.0) / (nf - p as f64 - 1.0);

    let points: Vec<i32> = (LOWEST..=HIGHEST).collect();
    let hdd: Vec<Sums> = points
        .iter()
        .map(|&b| sums(days, |t| (b as f64 - t).max(0.0)))
        .collect();
    let cdd: Vec<Sums> = if cooling {
        points
            .iter()
            .map(|&b| sums(days, |t| (t - b as f64).max(0.0)))
            .collect()
    } else {
        Vec::new()
    };

    // The slope and R² of one feature, centred.
    let single = |s: &Sums| -> Option<(f64, f64, f64)> {
        let sxx = s.xx - s.x * s.x / nf;
        let sxy = s.xy - s.x * sy / nf;
        if sxx <= 0.0 || syy <= 0.0 {
            return None;
        }
        let beta = sxy / sxx;
        let intercept = mean - beta * s.x / nf;
        let r2 = (beta * sxy) / syy;
        Some((intercept, beta, r2))
    };

    let mut candidates = vec![Candidate {
        kind: Kind::InterceptOnly,
        intercept: mean,
        beta_hdd: 0.0,
        beta_cdd: 0.0,
        heating_bp: None,
        cooling_bp: None,
        r_squared: 0.0,
        r_squared_adj: 0.0,
    }];
    for (i, s) in hdd.iter().enumerate() {
        if !degree_days_suffice(s) {
            continue;
        }
        if let Some((intercept, beta, r2)) = single(s) {
            candidates.push(Candidate {
                kind: Kind::HddOnly,
                intercept,
                beta_hdd: beta,
                beta_cdd: 0.0,
                heating_bp: Some(points[i]),
                cooling_bp: None,
                r_squared: r2,
                r_squared_adj: adj(r2, 1),
            });
        }
    }
    // Gas and heat have no cooling degree days: `cdd` is empty for them.
    for (i, s) in cdd.iter().enumerate() {
        if !degree_days_suffice(s) {
            continue;
        }
        if let Some((intercept, beta, r2)) = single(s) {
            candidates.push(Candidate {
                kind: Kind::CddOnly,
                intercept,
                beta_hdd: 0.0,
                beta_cdd: beta,
                heating_bp: None,
                cooling_bp: Some(points[i]),
                r_squared: r2,
                r_squared_adj: adj(r2, 1),
            });
        }
    }
    for (ci, c) in cdd.iter().enumerate() {
        if !degree_days_suffice(c) {
            continue;
        }
        for (hi, h) in hdd.iter().enumerate().take(ci + 1) {
            if !degree_days_suffice(h) {
                continue;
            }
            // No day has both: Σ cdd·hdd is zero.
            let scc = c.xx - c.x * c.x / nf;
            let shh = h.xx - h.x * h.x / nf;
            let sch = -c.x * h.x / nf;
            let scy = c.xy - c.x * sy / nf;
            let shy = h.xy - h.x * sy / nf;
            let det = scc * shh - sch * sch;
            if det <= 0.0 || syy <= 0.0 {
                continue;
            }
            let beta_cdd = (scy * shh - shy * sch) / det;
            let beta_hdd = (shy * scc - scy * sch) / det;
            let intercept = mean - beta_cdd * c.x / nf - beta_hdd * h.x / nf;
            let r2 = (beta_cdd * scy + beta_hdd * shy) / syy;
            candidates.push(Candidate {
                kind: Kind::CddHdd,
                intercept,
                beta_hdd,
                beta_cdd,
                heating_bp: Some(points[hi]),
                cooling_bp: Some(points[ci]),
                r_squared: r2,
                r_squared_adj: adj(r2, 2),
            });
        }
    }

    let mut best: Option<Candidate> = None;
    for c in candidates {
        let qualified = c.intercept >= 0.0 && c.beta_hdd >= 0.0 && c.beta_cdd >= 0.0;
        if qualified && best.is_none_or(|b| c.r_squared_adj > b.r_squared_adj) {
            best = Some(c);
        }
    }
    let best = best?;
    Some(metrics(days, best))
}

/// The winner's fit statistics over the days it was fitted on, each day's
/// use of its length (as OpenEEmeter's metrics of totals).
fn metrics(days: &[Day], c: Candidate) -> Fit {
    let mut fit = Fit {
        kind: c.kind,
        intercept: c.intercept,
        beta_hdd: c.beta_hdd,
        beta_cdd: c.beta_cdd,
        heating_bp: c.heating_bp,
        cooling_bp: c.cooling_bp,
        r_squared: c.r_squared,
        r_squared_adj: c.r_squared_adj,
        n: days.len(),
        mean: 0.0,
        cvrmse: 0.0,
        nmbe: 0.0,
        autocorr: 0.0,
        rmse: 0.0,
    };
    let n = days.len() as f64;
    let p = c.kind.parameters() as f64;
    let residuals: Vec<f64> = days
        .iter()
        .map(|d| (fit.predict(d.temp_f) - d.usage) * d.length)
        .collect();
    let ssr: f64 = residuals.iter().map(|r| r * r).sum();
    let total: f64 = days.iter().map(|d| d.usage * d.length).sum();
    fit.mean = total / n;
    fit.rmse = (ssr / (n - p)).sqrt();
    fit.cvrmse = fit.rmse / fit.mean;
    fit.nmbe = residuals.iter().sum::<f64>() / total;
    fit.autocorr = if residuals.len() > 2 {
        correlation(&residuals[1..], &residuals[..residuals.len() - 1]).unwrap_or(0.0)
    } else {
        0.0
    };
    fit
}

/// Pearson's correlation; None when either side does not vary.
fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

/// The fractional savings uncertainty's error band on savings over
/// `reporting_days` days, at `confidence` (ASHRAE Guideline 14 with the
/// CalTRACK daily coefficients, as OpenEEmeter computes it), kWh. None when
/// the residuals make it undefined.
pub fn fsu_band(fit: &Fit, reporting_days: usize, confidence: f64) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let base = fit.n as f64;
    let post = reporting_days as f64;
    let rho = fit.autocorr;
    if post == 0.0 || base == 0.0 || fit.mean == 0.0 || rho.abs() >= 1.0 {
        return None;
    }
    let df = base - fit.kind.parameters() as f64;
    let t = StudentsT::new(0.0, 1.0, df)
        .ok()?
        .inverse_cdf(1.0 - (1.0 - confidence) / 2.0);
    let nprime = base * (1.0 - rho) / (1.0 + rho);
    let months = post / 30.0;
    let shape = -0.00024 * months * months + 0.03535 * months + 1.00286;
    let total_base = fit.mean * base;
    Some(
        total_base
            * t
            * shape
            * (fit.rmse / fit.mean)
            * ((base / nprime) * (1.0 + 2.0 / nprime) * (1.0 / post)).sqrt(),
    )
}

/// °C to °F, rounded to a nanodegree so that a temperature given in
/// either scale falls on the same side of a balance point.
pub fn fahrenheit(celsius: f64) -> f64 {
    ((celsius * 1.8 + 32.0) * 1e9).round() / 1e9
}

/// °F to °C.
pub fn celsius(fahrenheit: f64) -> f64 {
    (fahrenheit - 32.0) / 1.8
}
