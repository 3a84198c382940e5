"""The energy module's baselines checked against OpenEEmeter (eemeter 2.x,
the CalTRACK 2.0 daily method).

Writes, into the folder given, the files the test imports into Portico and
what eemeter makes of the same data (expected.json):

- `sample`: the daily electricity sample eemeter ships
  (il-electricity-cdd-hdd-daily), its days read as days of Europe/Prague
  and its hourly temperatures converted to °C;
- `czech`: a school's gas for heating over three winters in Prague's
  climate, made here with a fixed seed, 12 % less heating in the year
  after the baseline.

Hourly temperatures are written with their UTC offset, so that both sides
make the same days of them.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import eemeter

out = Path(sys.argv[1])
PRAGUE = "Europe/Prague"


def write_temperatures(name, temp_f):
    lines = [
        f"{t.isoformat()};{(v - 32) / 1.8!r}"
        for t, v in temp_f.items()
        if not np.isnan(v)
    ]
    (out / f"{name}-temperatures.csv").write_text(
        "time;temperature_c\n" + "\n".join(lines) + "\n"
    )


def write_readings(name, meter):
    lines = [
        f"{t.strftime('%Y-%m-%d')};{v!r}"
        for t, v in meter.value.items()
        if not np.isnan(v)
    ]
    (out / f"{name}-readings.csv").write_text("date;kwh\n" + "\n".join(lines) + "\n")


def fit(meter, temp_f, baseline_end, fit_cdd):
    baseline, _ = eemeter.get_baseline_data(meter, end=baseline_end, max_days=365)
    design = eemeter.create_caltrack_daily_design_matrix(baseline, temp_f)
    result = eemeter.fit_caltrack_usage_per_day_model(design, fit_cdd=fit_cdd)
    assert result.status == "SUCCESS", result.warnings
    params = result.model.model_params
    days = design.dropna()
    reporting, _ = eemeter.get_reporting_data(meter, start=baseline_end, max_days=365)
    savings, bands = eemeter.metered_savings(
        result, reporting, temp_f, with_disaggregated=False, confidence_level=0.90
    )
    kept = savings.dropna(subset=["reporting_observed", "counterfactual_usage"])
    return {
        "model_type": result.model.model_type,
        "intercept": params.get("intercept", 0.0),
        "beta_hdd": params.get("beta_hdd", 0.0),
        "beta_cdd": params.get("beta_cdd", 0.0),
        "heating_balance_point": params.get("heating_balance_point"),
        "cooling_balance_point": params.get("cooling_balance_point"),
        "r_squared_adj": result.r_squared_adj,
        "cvrmse_adj": result.totals_metrics.cvrmse_adj,
        "days": int(len(days)),
        "baseline_from": days.index.min().strftime("%Y-%m-%d"),
        "baseline_to": days.index.max().strftime("%Y-%m-%d"),
        "reporting_days": int(len(kept)),
        "reporting_predicted": float(kept.counterfactual_usage.sum()),
        "reporting_used": float(kept.reporting_observed.sum()),
        "fsu_band_90": (bands or {}).get("FSU Error Band"),
    }


expected = {}

# The sample, its days read as Prague's.
meter, temp_f, meta = eemeter.load_sample("il-electricity-cdd-hdd-daily")
meter.index = meter.index.tz_localize(None).tz_localize(PRAGUE)
temp_f = temp_f.tz_convert(PRAGUE)
end = pd.Timestamp(meta["blackout_start_date"]).tz_localize(None).tz_localize(PRAGUE)
write_readings("sample", meter)
write_temperatures("sample", temp_f)
expected["sample"] = fit(meter, temp_f, end, fit_cdd=True)

# A school's gas in Prague's climate.
rng = np.random.default_rng(20261205)
hours = pd.date_range("2021-09-01", "2024-09-01", freq="H", tz=PRAGUE, inclusive="left")
day_of_year = hours.dayofyear.values
daily_noise = pd.Series(rng.normal(0, 3.0, len(hours) // 24 + 2))
day_index = (hours.normalize() - hours[0].normalize()).days.values
temp_c = (
    9.0
    + 10.5 * np.sin(2 * np.pi * (day_of_year - 110) / 365.25)
    + daily_noise.values[day_index]
    + 4.0 * np.sin(2 * np.pi * (hours.hour.values - 9) / 24)
)
temp_f = pd.Series(temp_c * 1.8 + 32, index=hours, name="tempF")
temp_f.index.freq = "H"
days = pd.date_range("2021-09-01", "2024-08-31", freq="D", tz=PRAGUE)
mean_c = pd.Series(temp_c, index=hours).groupby(hours.normalize()).mean().reindex(days)
heating = 26.0 * np.maximum(15.5 - mean_c.values, 0)
after = days >= pd.Timestamp("2023-09-01", tz=PRAGUE)
heating = np.where(after, heating * 0.88, heating)
use = 90.0 + heating + rng.normal(0, 18.0, len(days))
meter = pd.DataFrame({"value": np.maximum(use, 0.0)}, index=days)
end = pd.Timestamp("2023-09-01", tz=PRAGUE)
write_readings("czech", meter)
write_temperatures("czech", temp_f)
expected["czech"] = fit(meter, temp_f, end, fit_cdd=False)

(out / "expected.json").write_text(json.dumps(expected, indent=1))
print(json.dumps(expected, indent=1))
