//! The energy module's nightly refit: 1,000 meters with three years of
//! daily use each, in 100 buildings on one weather station, fitted by the
//! `baselines` job a batch of meters a call through the host's event
//! dispatcher (`energy_baseline_1000_meters_s`, bar ≤ 60 s), while the
//! energy manager reads a building's page every 100 ms
//! (`energy_page_during_baselines_p95_ms`); then three years of one
//! meter's quarter-hours imported through the form
//! (`energy_import_105120_quarter_hours_s`). Then the region's energy
//! manager's overview of 300 organizations' 2,000 buildings, as their
//! reports left it (`energy_region_overview_p95_ms`, bar ≤ 100 ms).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use portico_host::workers::WorkerConfig;
use portico_platform::identity::users::UserKind;
use portico_runtime::api::CallContext;
use portico_tests::browser::Browser;
use portico_tests::{TEST_CITY, TestPortal};
use serde_json::json;

use crate::{PASSWORD, bar, p95, print, size};

/// The day's mean temperature of a Czech-like climate, °C.
fn temperature(day: NaiveDate) -> f64 {
    let d = day.ordinal() as f64;
    9.0 + 10.5 * (2.0 * std::f64::consts::PI * (d - 110.0) / 365.25).sin()
        + 3.0 * ((i64::from(day.num_days_from_ce()) * 7919 % 1000) as f64 / 500.0 - 1.0)
}

pub async fn nightly_refit() {
    let meters = size(1_000, 20);
    let buildings = meters / 10;
    let portal = TestPortal::builder().module("energy").build().await;
    let addr = portal.serve().await;
    let manager = portal.user("eva", UserKind::Staff, PASSWORD).await;
    portal.grant(&manager, TEST_CITY, "energy.manager").await;
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("eva", PASSWORD).await.status, 303);

    // The station, its three years, the buildings and their meters, loaded
    // as `portico records import` loads them.
    let station = "station-bench";
    let years = [2023, 2024, 2025];
    let days_of = |year: i32| {
        (0..if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
            366
        } else {
            365
        })
            .map(move |i| NaiveDate::from_yo_opt(year, i + 1).expect("a day of the year"))
    };
    let mut temps = String::new();
    for year in years {
        let t: Vec<f64> = days_of(year).map(temperature).collect();
        temps.push_str(
            &json!({"key": format!("{station}:{year}"), "station": station, "year": year, "t": t})
                .to_string(),
        );
        temps.push('\n');
    }
    portal.import(TEST_CITY, "energy", "temps", &temps).await;
    let mut lines = String::new();
    for b in 0..buildings {
        lines.push_str(&json!({"code": format!("B-{b:03}"), "name": format!("Budova {b:03}"), "area_m2": 1500.0 + b as f64, "usage": "school", "station": station}).to_string());
        lines.push('\n');
    }
    portal
        .import(TEST_CITY, "energy", "buildings", &lines)
        .await;
    let mut meter_lines = String::new();
    let mut day_lines = String::new();
    for m in 0..meters {
        let code = format!("EAN-{m:04}");
        meter_lines.push_str(&json!({"building": format!("B-{:03}", m / 10), "label": code, "carrier": if m % 3 == 0 { "gas" } else { "electricity" }, "unit": "kWh", "role": "main"}).to_string());
        meter_lines.push('\n');
        for year in years {
            let v: Vec<f64> = days_of(year)
                .map(|d| {
                    let t = temperature(d);
                    let noise = ((d.num_days_from_ce() as usize * 31 + m * 17) % 100) as f64 / 10.0;
                    60.0 + m as f64 % 40.0
                        + 12.0 * (15.0 - t).max(0.0)
                        + 3.0 * (t - 22.0).max(0.0)
                        + noise
                })
                .collect();
            let total: f64 = v.iter().sum();
            day_lines.push_str(&json!({"key": format!("{code}:{year}"), "meter": code, "year": year, "v": v, "total": total, "known": v.len(), "building": format!("B-{:03}", m / 10), "counted": 1}).to_string());
            day_lines.push('\n');
        }
    }
    portal
        .import(TEST_CITY, "energy", "meters", &meter_lines)
        .await;
    portal.import(TEST_CITY, "energy", "days", &day_lines).await;
    let building = "B-000";

    // The manager reads the building's page meanwhile.
    let reading = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let times = Arc::new(Mutex::new(Vec::new()));
    // The manager is logged in before the refit starts.
    let reader_browser = Browser::new(addr);
    assert_eq!(reader_browser.log_in("eva", PASSWORD).await.status, 303);
    let reader = {
        let (reading, times) = (reading.clone(), times.clone());
        let path = format!("/m/energy/buildings/{building}");
        let browser = reader_browser;
        tokio::spawn(async move {
            while reading.load(std::sync::atomic::Ordering::Relaxed) {
                let start = Instant::now();
                let page = browser.get(&path).await;
                assert_eq!(page.status, 200, "{}", page.body);
                times.lock().expect("the times").push(start.elapsed());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let start = Instant::now();
    let ctx = CallContext {
        org_id: TEST_CITY.into(),
        principal: None,
        request_id: "bench-baselines".into(),
        locale: "cs".into(),
    };
    portal
        .module("energy")
        .run_job(&ctx, "baselines")
        .await
        .expect("the job runs");
    let config = WorkerConfig {
        backoff: Duration::ZERO,
        ..WorkerConfig::default()
    };
    while portal.dispatch(&config).await > 0 {}
    let took = start.elapsed().as_secs_f64();
    reading.store(false, std::sync::atomic::Ordering::Relaxed);
    reader.await.expect("the reader ends");
    let models = portal.documents(TEST_CITY, "energy", "models").await;
    assert_eq!(models.len(), meters, "every meter fitted");
    assert!(
        models.iter().all(|m| m["accepted"] == true),
        "every baseline accepted"
    );
    print(&format!("energy_baseline_{meters}_meters_s"), took, "s");
    bar("energy_baseline_1000_meters_s", took <= 60.0, "≤ 60 s");
    let times = std::mem::take(&mut *times.lock().expect("the times"));
    if !times.is_empty() {
        print("energy_page_during_baselines_p95_ms", p95(times), "ms");
    }

    // Three years of a meter's quarter-hours, through the manager's form.
    let quarters = size(105_120, 960);
    let mut file = String::from("from;kwh\n");
    let start_at = chrono::DateTime::parse_from_rfc3339("2023-01-01T00:00:00+01:00")
        .expect("a moment")
        .timestamp();
    for q in 0..quarters {
        let at = chrono::DateTime::from_timestamp(start_at + q as i64 * 900, 0)
            .expect("a moment")
            .to_rfc3339();
        file.push_str(&format!("{at};{}\n", 1.0 + (q % 7) as f64 * 0.25));
    }
    let page = "/m/energy/meters/EAN-0000/import";
    let form = browser.get(page).await;
    let csrf = form.csrf();
    let start = Instant::now();
    let imported = browser
        .post_multipart(
            page,
            &[("_csrf", csrf.as_str())],
            ("readings", "quarters.csv", file.as_bytes()),
        )
        .await;
    assert_eq!(imported.status, 303, "{}", imported.body);
    print(
        &format!("energy_import_{quarters}_quarter_hours_s"),
        start.elapsed().as_secs_f64(),
        "s",
    );
}

/// The founder's overview of 300 organizations and 2,000 buildings.
pub async fn region_overview() {
    let orgs = size(300, 10);
    let buildings = size(2_000, 40);
    let portal = TestPortal::builder().module("energy").build().await;
    let addr = portal.serve().await;
    let manager = portal.user("radka", UserKind::Staff, PASSWORD).await;
    portal.grant(&manager, TEST_CITY, "energy.manager").await;
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("radka", PASSWORD).await.status, 303);
    let (mut reports, mut members) = (String::new(), String::new());
    for o in 0..orgs {
        let org = format!("org-{o:03}");
        let mine: Vec<usize> = (0..buildings).filter(|b| b % orgs == o).collect();
        let (mut area, mut used) = (0.0, 0.0);
        for b in &mine {
            let a = 800.0 + (*b % 37) as f64 * 100.0;
            let u = a * (60.0 + (*b * 7919 % 200) as f64);
            area += a;
            used += u;
            let months: Vec<f64> = (0..12)
                .map(|m| u / 12.0 * (1.0 + (m as f64 - 5.5).abs() / 10.0))
                .collect();
            reports.push_str(&json!({
                "key": format!("{org}:B-{b:04}"), "org": org, "org_name": format!("Organizace {o:03}"),
                "name": format!("Budova {b:04}"), "usage": "school", "area_m2": a, "used": u,
                "intensity": u / a, "saved": u * 0.03,
                "meters": [{"label": format!("EAN-{b:04}"), "carrier": "electricity", "sub": false,
                            "first_month": "2025-11", "months": months, "accepted": true,
                            "cvrmse": 0.12, "saved": u * 0.03}],
            }).to_string());
            reports.push('\n');
        }
        members.push_str(&json!({
            "org": org, "org_name": format!("Organizace {o:03}"), "buildings": mine.len(),
            "area_m2": area, "used": used, "saved": used * 0.03, "received": "2026-12-01T05:00:00Z",
        }).to_string());
        members.push('\n');
    }
    portal
        .import(TEST_CITY, "energy", "reports", &reports)
        .await;
    portal
        .import(TEST_CITY, "energy", "members", &members)
        .await;
    let mut times = Vec::new();
    for i in 0..size(200, 5) {
        let start = Instant::now();
        let page = browser.get("/m/energy/region").await;
        times.push(start.elapsed());
        assert_eq!(page.status, 200, "{}", page.body);
        if i == 0 {
            assert!(
                page.body.contains("Organizace 299") || smoke_sized(orgs),
                "every organization listed"
            );
        }
    }
    let p = p95(times);
    print("energy_region_overview_p95_ms", p, "ms");
    bar("energy_region_overview_p95_ms", p <= 100.0, "≤ 100 ms");
}

fn smoke_sized(orgs: usize) -> bool {
    orgs < 300
}
