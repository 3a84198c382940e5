//! Energy management as a region's energy manager uses it: weather
//! stations with hourly temperatures, buildings and their meters, readings
//! imported from the distributor's files, and a baseline per meter whose
//! model, fit and savings agree with OpenEEmeter (eemeter 2.x, the CalTRACK
//! 2.0 daily method) on the sample it ships and on a Czech school's gas.
//! Three years of quarter-hours import whole, twice without counting
//! anything twice; a bad line is named and nothing is stored; a caretaker
//! reads a counter on the phone through its roll-over and a replacement;
//! another organization sees none of it.

use std::process::Command;

use portico_host::workers::WorkerConfig;
use portico_runtime::api::CallContext;
use portico_tests::browser::{Browser, Page};
use portico_tests::{TEST_CITY, TestPortal};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery staple";
const BASE: &str = "/m/energy";
/// Another region, with energy management of its own.
const OTHER: &str = "jiny-kraj";

/// Eva, the energy manager, logged in; and the test portal.
async fn energy_manager() -> (TestPortal, std::net::SocketAddr, Browser) {
    let portal = TestPortal::builder()
        .module("energy")
        .tree_org(
            OTHER,
            portico_platform::organizations::Kind::Region,
            None,
            None,
        )
        .build()
        .await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(addr, PASSWORD, &[("eva", &[(TEST_CITY, "energy.manager")])])
        .await;
    let eva = people.remove("eva").unwrap().1;
    (portal, addr, eva)
}

async fn submit(b: &Browser, page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
    b.submit(&format!("{BASE}{page}"), &format!("{BASE}{path}"), fields)
        .await
}

async fn upload(b: &Browser, page: &str, field: &str, name: &str, content: &[u8]) -> Page {
    let form = b.get(&format!("{BASE}{page}")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    b.post_multipart(
        &format!("{BASE}{page}"),
        &[("_csrf", csrf.as_str())],
        (field, name, content),
    )
    .await
}

/// The id in a redirect to `…/<prefix>/<id>`.
fn id_in(page: &Page, prefix: &str) -> String {
    page.redirected_id(&format!("{BASE}{prefix}/"))
}

/// A station with its temperatures, a building on it and a meter.
async fn building_with_meter(
    eva: &Browser,
    name: &str,
    carrier: &str,
    temperatures: &[u8],
) -> String {
    let station = id_in(
        &submit(
            eva,
            "/stations",
            "/stations",
            &[("code", &format!("ST-{name}")), ("name", name)],
        )
        .await,
        "/stations",
    );
    let imported = upload(
        eva,
        &format!("/stations/{station}"),
        "temperatures",
        "t.csv",
        temperatures,
    )
    .await;
    assert_eq!(imported.status, 303, "{}", imported.body);
    let building = id_in(
        &submit(
            eva,
            "/buildings/new",
            "/buildings/new",
            &[
                ("name", name),
                ("address", "Žižkova 57, Jihlava"),
                ("area_m2", "2400"),
                ("usage", "school"),
                ("penb", "D"),
                ("penb_expires", "2031-06-30"),
                ("station", &format!("ST-{name}")),
            ],
        )
        .await,
        "/buildings",
    );
    id_in(
        &submit(
            eva,
            &format!("/buildings/{building}"),
            &format!("/buildings/{building}/meters"),
            &[
                ("label", &format!("{name} {carrier}")),
                ("carrier", carrier),
                ("unit", "kWh"),
                ("role", "main"),
            ],
        )
        .await,
        "/meters",
    )
}

/// The manager imports a file of readings into a meter.
async fn import_readings(b: &Browser, meter: &str, file: &[u8]) -> Page {
    let imported = upload(
        b,
        &format!("/meters/{meter}/import"),
        "readings",
        "readings.csv",
        file,
    )
    .await;
    assert_eq!(imported.status, 303, "{}", imported.body);
    imported
}

/// The manager fits a meter's baseline to the last day `end`.
async fn fit_baseline(b: &Browser, meter: &str, end: &str) {
    let page = format!("/meters/{meter}");
    let fitted = submit(b, &page, &page, &[("baseline_end", end), ("fit", "")]).await;
    assert_eq!(fitted.status, 303, "{}", fitted.body);
}

/// The baseline's CSV, as `key → value`.
async fn baseline_csv(eva: &Browser, meter: &str) -> std::collections::HashMap<String, String> {
    let csv = eva
        .get(&format!("{BASE}/meters/{meter}/baseline.csv"))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    csv.csv_rows()
        .into_iter()
        .filter(|r| r.len() >= 2)
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

fn close(what: &str, ours: f64, theirs: f64, relative: f64) {
    let off = ((ours - theirs) / theirs).abs();
    assert!(
        off <= relative,
        "{what}: Portico {ours}, OpenEEmeter {theirs} ({off:e} apart, at most {relative:e})"
    );
}

/// The sample eemeter ships and a Czech school's gas: the same model,
/// balance points, coefficients (1e-4), CV(RMSE) (0.1 point), and the same
/// weather-normalised savings, imported and fitted as the manager would.
#[tokio::test]
async fn baselines_agree_with_openeemeter() {
    let dir = tempfile::tempdir().unwrap();
    let script = portico_tests::repo_root().join("tests/data/energy/openeemeter.py");
    let out = Command::new(portico_tests::peer_python(
        "ENERGY_PYTHON",
        "energy-venv",
        "OpenEEmeter",
    ))
    .arg(&script)
    .arg(dir.path())
    .output()
    .expect("OpenEEmeter runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("expected.json")).unwrap())
            .unwrap();

    let (_portal, _addr, eva) = energy_manager().await;
    eva.get("/lang/en").await;
    for (name, carrier) in [("sample", "electricity"), ("czech", "gas")] {
        let theirs = &expected[name];
        let temperatures =
            std::fs::read(dir.path().join(format!("{name}-temperatures.csv"))).unwrap();
        let meter = building_with_meter(&eva, name, carrier, &temperatures).await;
        let readings = std::fs::read(dir.path().join(format!("{name}-readings.csv"))).unwrap();
        import_readings(&eva, &meter, &readings).await;
        fit_baseline(&eva, &meter, theirs["baseline_to"].as_str().unwrap()).await;
        let ours = baseline_csv(&eva, &meter).await;
        let f = |k: &str| {
            ours[k]
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("{k}: {:?}", ours.get(k)))
        };
        let t = |k: &str| theirs[k].as_f64().unwrap_or(0.0);
        assert_eq!(ours["accepted"], "true", "{name}: {ours:?}");
        // The figures side by side (`cargo test … -- --nocapture` shows them).
        for key in [
            "intercept",
            "beta_hdd",
            "beta_cdd",
            "r_squared_adj",
            "cvrmse_adj",
        ] {
            let ours_key = match key {
                "beta_hdd" | "beta_cdd" => format!("{key}_per_degF"),
                _ => key.to_owned(),
            };
            eprintln!(
                "{name} {key}: Portico {} OpenEEmeter {}",
                ours[&ours_key], theirs[key]
            );
        }
        assert_eq!(
            ours["model_type"],
            theirs["model_type"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            ours["baseline_from"],
            theirs["baseline_from"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(f("days"), t("days"), "{name}: days fitted");
        for (bp, key) in [
            ("heating_balance_point_degF", "heating_balance_point"),
            ("cooling_balance_point_degF", "cooling_balance_point"),
        ] {
            let theirs = theirs[key]
                .as_i64()
                .map(|b| b.to_string())
                .unwrap_or_default();
            assert_eq!(ours[bp], theirs, "{name}: {bp}");
        }
        close(
            &format!("{name} intercept"),
            f("intercept"),
            t("intercept"),
            1e-4,
        );
        for beta in ["beta_hdd", "beta_cdd"] {
            let key = format!("{beta}_per_degF");
            if t(beta) == 0.0 {
                assert_eq!(f(&key), 0.0, "{name}: {beta}");
            } else {
                close(&format!("{name} {beta}"), f(&key), t(beta), 1e-4);
            }
        }
        close(
            &format!("{name} adjusted R²"),
            f("r_squared_adj"),
            t("r_squared_adj"),
            1e-4,
        );
        assert!(
            (f("cvrmse_adj") - t("cvrmse_adj")).abs() * 100.0 <= 0.1,
            "{name}: CV(RMSE) {} against {}",
            f("cvrmse_adj"),
            t("cvrmse_adj")
        );
        assert_eq!(
            f("reporting_days"),
            t("reporting_days"),
            "{name}: reporting days"
        );
        // OpenEEmeter predicts the day the clocks go back (25 hours) from
        // degree days it sums over that day otherwise than over any other;
        // Portico predicts it as 25/24 of a day of its mean temperature.
        // The rest agrees to the cent: the year within 0.5 %.
        close(
            &format!("{name} predicted"),
            f("reporting_predicted"),
            t("reporting_predicted"),
            5e-3,
        );
        close(
            &format!("{name} used"),
            f("reporting_used"),
            t("reporting_used"),
            1e-9,
        );
        close(
            &format!("{name} FSU band"),
            f("savings_fsu_band_90"),
            t("fsu_band_90"),
            1e-2,
        );

        // What the manager reads on the meter's page, in Czech.
        eva.get("/lang/cs").await;
        let page = eva.get(&format!("{BASE}/meters/{meter}")).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("Úspory po normalizaci na počasí"),
            "{}",
            page.body
        );
        let saved = f("reporting_predicted") - f("reporting_used");
        let shown = portico_types::written::number(saved.round(), "cs");
        assert!(
            page.body.contains(&shown),
            "{name}: savings {shown} on the page"
        );
        eva.get("/lang/en").await;
    }
}

/// Quarter-hours of three years (2023–2025): the day's use is the sum of
/// its 96 (92, 100 at the clock changes) quarters.
fn quarter_hours(bad_line: Option<usize>) -> (String, usize) {
    use chrono::{Duration, TimeZone};
    use chrono_tz::Europe::Prague;
    let start = Prague.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap();
    let end = Prague.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut out = String::from("from;kwh\n");
    let mut t = start;
    let mut n = 0;
    while t < end {
        n += 1;
        if Some(n + 1) == bad_line {
            out.push_str("2024-02-30 00:00;1,5\n");
        } else {
            let v = 1.0 + (n % 7) as f64 * 0.25;
            out.push_str(&format!(
                "{};{}\n",
                t.to_rfc3339(),
                format!("{v}").replace('.', ",")
            ));
        }
        t += Duration::minutes(15);
    }
    (out, n)
}

/// A year and more of quarter-hours import whole with the day's use their
/// sum; the same file again stores nothing twice; a bad line is named and
/// nothing of its file is stored.
#[tokio::test]
async fn three_years_of_quarter_hours_import_once() {
    let (portal, _addr, eva) = energy_manager().await;
    eva.get("/lang/en").await;
    let meter = building_with_meter(&eva, "Gymnázium", "electricity", b"2023-01-01;1,0\n").await;
    let import = format!("/meters/{meter}/import");

    let (bad, _) = quarter_hours(Some(5_000));
    let refused = upload(&eva, &import, "readings", "bad.csv", bad.as_bytes()).await;
    refused.assert_refused(&["line 5000", "2024-02-30 00:00", "Nothing was stored"]);
    assert!(
        portal
            .documents(TEST_CITY, "energy", "intervals")
            .await
            .is_empty()
    );
    assert!(
        portal
            .documents(TEST_CITY, "energy", "days")
            .await
            .is_empty()
    );

    let (file, rows) = quarter_hours(None);
    assert_eq!(rows, 105_216, "three years, 2024 a leap year");
    for round in 0..2 {
        let imported = upload(&eva, &import, "readings", "quarters.csv", file.as_bytes()).await;
        assert_eq!(imported.status, 303, "{}", imported.body);
        let months = portal.documents(TEST_CITY, "energy", "intervals").await;
        assert_eq!(months.len(), 36, "round {round}: a document a month");
        let quarters: usize = months
            .iter()
            .map(|m| m["q"].as_array().unwrap().len())
            .sum();
        assert_eq!(quarters, rows, "round {round}: every quarter once");
        let years = portal.documents(TEST_CITY, "energy", "days").await;
        assert_eq!(years.len(), 3, "round {round}");
        let days: usize = years
            .iter()
            .map(|y| {
                y["v"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|v| !v.is_null())
                    .count()
            })
            .sum();
        assert_eq!(days, 365 + 366 + 365, "round {round}: every day whole");
    }
    // The day of the spring clock change has 92 quarters, summed.
    let years = portal.documents(TEST_CITY, "energy", "days").await;
    let y2024 = years.iter().find(|y| y["year"] == 2024).unwrap();
    let (file_days, _) = sums_by_day(&file);
    let march_31 = chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap();
    let ours = y2024["v"][90].as_f64().unwrap();
    assert!(
        (ours - file_days[&march_31]).abs() < 1e-9,
        "{ours} against {}",
        file_days[&march_31]
    );

    let page = eva.get(&format!("{BASE}/meters/{meter}")).await;
    assert!(page.body.contains("Monthly consumption"), "{}", page.body);

    // The 1.9 % a year: whole years compared, the use as good as flat.
    let home = eva.get(&format!("{BASE}/")).await;
    let total = |year: i32| -> f64 {
        file_days
            .iter()
            .filter(|(d, _)| chrono::Datelike::year(*d) == year)
            .map(|(_, v)| v)
            .sum()
    };
    let change = (total(2025) - total(2024)) / total(2024) * 100.0;
    let shown = format!("{:.1} %", change);
    assert!(
        home.body.contains("Final energy use a year") && home.body.contains(&shown),
        "2025 against 2024: {shown}: {}",
        home.body
    );
    assert!(home.body.contains("not met"), "{}", home.body);

    // A meter added in 2025 is no rise: the change is the same meters'.
    let building = portal.documents(TEST_CITY, "energy", "buildings").await[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let added = id_in(
        &submit(
            &eva,
            &format!("/buildings/{building}"),
            &format!("/buildings/{building}/meters"),
            &[
                ("label", "Tělocvična"),
                ("carrier", "electricity"),
                ("unit", "kWh"),
                ("role", "main"),
            ],
        )
        .await,
        "/meters",
    );
    let first = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let year_2025: String = (0..365)
        .map(|i| format!("{};100\n", first + chrono::Duration::days(i)))
        .collect();
    import_readings(&eva, &added, year_2025.as_bytes()).await;
    let home = eva.get(&format!("{BASE}/")).await;
    assert!(
        home.body.contains(&shown),
        "still {shown} with the new meter: {}",
        home.body
    );
    assert!(
        home.body
            .contains(&format!("{:.1}", (total(2025) + 36_500.0) / 1000.0)),
        "the year's energy counts it: {}",
        home.body
    );
}

/// The file's use by day of Prague, as a reader of it would sum it.
fn sums_by_day(file: &str) -> (std::collections::BTreeMap<chrono::NaiveDate, f64>, usize) {
    let mut days = std::collections::BTreeMap::new();
    let mut n = 0;
    for line in file.lines().skip(1) {
        let (at, v) = line.split_once(';').unwrap();
        let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
        let day = at.with_timezone(&chrono_tz::Europe::Prague).date_naive();
        *days.entry(day).or_insert(0.0) += v.replace(',', ".").parse::<f64>().unwrap();
        n += 1;
    }
    (days, n)
}

/// A caretaker reads a gas counter on the phone: the use is spread over
/// the days since the reading before; a lower reading is refused unless the
/// counter rolled over or the meter was replaced. Too few days refuse a
/// baseline with the reason, never a flat line.
#[tokio::test]
async fn a_caretaker_reads_a_counter_through_its_roll_over_and_a_replacement() {
    let (portal, addr, eva) = energy_manager().await;
    eva.get("/lang/cs").await;
    let building = id_in(
        &submit(
            &eva,
            "/buildings/new",
            "/buildings/new",
            &[
                ("name", "Domov seniorů"),
                ("area_m2", "1800"),
                ("usage", "social"),
            ],
        )
        .await,
        "/buildings",
    );
    let refused = submit(
        &eva,
        &format!("/buildings/{building}"),
        &format!("/buildings/{building}/meters"),
        &[
            ("label", "Plyn"),
            ("carrier", "gas"),
            ("unit", "m3"),
            ("kwh_per_m3", ""),
            ("role", "main"),
        ],
    )
    .await;
    refused.assert_refused(&["spalné teplo"]);
    let meter = id_in(
        &submit(
            &eva,
            &format!("/buildings/{building}"),
            &format!("/buildings/{building}/meters"),
            &[
                ("label", "Plyn"),
                ("carrier", "gas"),
                ("unit", "m3"),
                ("kwh_per_m3", "10,5"),
                ("role", "main"),
                ("digits", "5"),
            ],
        )
        .await,
        "/meters",
    );
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[("karel", &[(TEST_CITY, "energy.caretaker")])],
        )
        .await;
    let karel = people.remove("karel").unwrap().1;
    karel.get("/lang/cs").await;
    let page = format!("/meters/{meter}");
    let read = |date: &'static str, reading: &'static str, new: bool| {
        let karel = &karel;
        let page = page.clone();
        async move {
            let mut fields = vec![("date", date), ("reading", reading)];
            if new {
                fields.push(("new_counter", "1"));
            }
            submit(karel, &page, &format!("{page}/reading"), &fields).await
        }
    };
    assert_eq!(read("2025-01-01", "99900", false).await.status, 303);
    let rolled = read("2025-01-11", "00100", false).await;
    assert_eq!(rolled.status, 303, "{}", rolled.body);
    let shown = karel.get(rolled.location()).await;
    assert!(
        shown.body.contains("200"),
        "the counter rolled over at 100 000: {}",
        shown.body
    );
    read("2025-01-21", "00050", false).await.assert_refused(&[
        "nižší než minulý",
        "z 11. 1. 2025",
        "výměnu",
    ]);
    assert_eq!(read("2025-01-21", "00012", true).await.status, 303);
    let after = read("2025-01-31", "00112", false).await;
    assert_eq!(after.status, 303, "{}", after.body);
    // 200 m³ over ten days, then nothing counted across the replacement,
    // then 100 m³ over ten days: 210 kWh a day, then 105.
    let years = portal.documents(TEST_CITY, "energy", "days").await;
    let v = &years[0]["v"];
    assert!((v[0].as_f64().unwrap() - 210.0).abs() < 1e-9, "{v}");
    assert!(v[15].is_null(), "no use across the replacement: {v}");
    assert!((v[25].as_f64().unwrap() - 105.0).abs() < 1e-9, "{v}");

    // The caretaker cannot fit; the manager is told why no baseline.
    let forbidden = karel
        .post_form(
            &format!("{BASE}{page}"),
            &[("_csrf", &karel.csrf_token().await), ("fit", "")],
        )
        .await;
    assert_eq!(forbidden.status, 403, "{}", forbidden.body);
    let fitted = submit(&eva, &page, &page, &[("baseline_end", ""), ("fit", "")]).await;
    assert_eq!(fitted.status, 303, "{}", fitted.body);
    let shown = eva.get(&format!("{BASE}{page}")).await;
    assert!(
        shown.body.contains("Budova nemá meteorologickou stanici"),
        "{}",
        shown.body
    );

    // Another organization's manager sees none of it.
    let mut others = portal
        .staff(addr, PASSWORD, &[("olga", &[(OTHER, "energy.manager")])])
        .await;
    let olga = others.remove("olga").unwrap().1;
    let theirs = olga
        .get(&format!("/o/{OTHER}/m/energy/meters/{meter}"))
        .await;
    assert!(
        theirs.status == 404 || theirs.status == 403,
        "{}: {}",
        theirs.status,
        theirs.body
    );
    let ours = olga.get(&format!("{BASE}/meters/{meter}")).await;
    assert!(
        ours.status == 403 || ours.status == 404 || ours.status == 303,
        "{}",
        ours.status
    );
}

/// The nightly job fits every meter a batch a call, through the module's
/// own events.
#[tokio::test]
async fn the_nightly_job_fits_every_meter_in_batches() {
    let (portal, _addr, eva) = energy_manager().await;
    let temperatures: String = (0..400)
        .map(|d| {
            let day =
                chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(d);
            let t = 8.0 + 10.0 * ((d as f64 - 100.0) / 58.0).sin();
            format!("{day};{t}\n")
        })
        .collect();
    let meter = building_with_meter(&eva, "Úřad", "heat", temperatures.as_bytes()).await;
    let meters = portal.documents(TEST_CITY, "energy", "meters").await;
    let mut meter_doc = meters[0].clone();
    let readings: String = (0..400)
        .map(|d| {
            let day =
                chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(d);
            let t = 8.0 + 10.0 * ((d as f64 - 100.0) / 58.0).sin();
            format!(
                "{day};{}\n",
                200.0 + 40.0 * (15.0 - t).max(0.0) + (d % 5) as f64
            )
        })
        .collect();
    assert_eq!(
        upload(
            &eva,
            &format!("/meters/{meter}/import"),
            "readings",
            "r.csv",
            readings.as_bytes()
        )
        .await
        .status,
        303
    );
    // 59 more meters like it, loaded as `portico records import` would.
    let mut lines = Vec::new();
    for i in 0..59 {
        meter_doc["label"] = format!("Měřidlo {i}").into();
        lines.push(meter_doc.to_string());
    }
    portal
        .import(TEST_CITY, "energy", "meters", &lines.join("\n"))
        .await;
    let ctx = CallContext {
        org_id: TEST_CITY.into(),
        principal: None,
        request_id: "test-baselines".into(),
        locale: "cs".into(),
    };
    portal
        .module("energy")
        .run_job(&ctx, "baselines")
        .await
        .unwrap();
    let quickly = WorkerConfig {
        backoff: std::time::Duration::ZERO,
        ..WorkerConfig::default()
    };
    let mut calls = 0;
    while portal.dispatch(&quickly).await > 0 {
        calls += 1;
        assert!(calls < 20);
    }
    let models = portal.documents(TEST_CITY, "energy", "models").await;
    assert_eq!(models.len(), 60, "every meter has its baseline");
    let accepted = models.iter().filter(|m| m["accepted"] == true).count();
    assert_eq!(accepted, 1, "the one with readings; the others say why not");
    let refused = models.iter().find(|m| m["accepted"] == false).unwrap();
    assert_eq!(refused["reason_en"], "The meter has no readings yet.");
    let fit = &models.iter().find(|m| m["accepted"] == true).unwrap()["fit"];
    assert_eq!(
        fit["kind"], "hdd_only",
        "heat is fitted without cooling: {fit}"
    );
}

/// A year of a heated building's days and the one after (°C, kWh): the
/// heating follows the degree days, with noise of up to ±60 kWh that
/// repeats.
fn heated_building(days: i64, spike: Option<i64>) -> (String, String) {
    let first = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let (mut temps, mut uses) = (String::new(), String::new());
    for d in 0..days {
        let day = first + chrono::Duration::days(d);
        let t = 9.0
            + 10.5 * (2.0 * std::f64::consts::PI * (d as f64 - 110.0) / 365.25).sin()
            + ((d * 37 % 11) as f64 - 5.0) * 0.6;
        let mut used = 150.0 + 30.0 * (15.0 - t).max(0.0) + ((d * 54 % 121) as f64 - 60.0);
        if Some(d) == spike {
            used *= 3.0;
        }
        temps.push_str(&format!("{day};{t}\n"));
        uses.push_str(&format!("{day};{used}\n"));
    }
    (temps, uses)
}

/// A day of three times the use, imported after the baseline, is found,
/// published and mailed to the building's contact, once even if the file
/// comes again; a certificate about to expire is reminded once.
#[tokio::test]
async fn an_anomaly_and_an_expiring_certificate_are_told_once() {
    use portico_platform::identity::users::UserKind;
    use portico_tests::peers::SmtpSink;
    let smtp = SmtpSink::start(0).await;
    let portal = TestPortal::builder()
        .module("energy")
        .smtp(&smtp.url())
        .build()
        .await;
    let addr = portal.serve().await;
    let user = portal.user("eva", UserKind::Staff, PASSWORD).await;
    portal.grant(&user, TEST_CITY, "energy.manager").await;
    let eva = Browser::new(addr);
    assert_eq!(eva.log_in("eva", PASSWORD).await.status, 303);
    eva.get("/lang/cs").await;

    let (temps, _) = heated_building(365 + 91, None);
    let meter = building_with_meter(&eva, "Krajský úřad", "heat", temps.as_bytes()).await;
    let building = portal.documents(TEST_CITY, "energy", "buildings").await[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let expires = (chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Prague)
        .date_naive()
        + chrono::Duration::days(30))
    .to_string();
    let saved = submit(
        &eva,
        &format!("/buildings/{building}"),
        &format!("/buildings/{building}"),
        &[
            ("name", "Krajský úřad"),
            ("area_m2", "5200"),
            ("usage", "office"),
            ("penb", "C"),
            ("penb_expires", &expires),
            ("contact", "energetik@kraj.example"),
            ("station", "ST-Krajský úřad"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    // The baseline year, fitted.
    let (_, year) = heated_building(365, None);
    import_readings(&eva, &meter, year.as_bytes()).await;
    fit_baseline(&eva, &meter, "2024-12-30").await;
    let models = portal.documents(TEST_CITY, "energy", "models").await;
    assert_eq!(models[0]["accepted"], true, "{}", models[0]);

    // The next 60 days, one of them three times the use.
    let (_, with_spike) = heated_building(365 + 60, Some(365 + 20));
    let after: String = with_spike
        .lines()
        .skip(365)
        .map(|l| format!("{l}\n"))
        .collect();
    let quickly = WorkerConfig {
        backoff: std::time::Duration::ZERO,
        ..WorkerConfig::default()
    };
    for round in 0..2 {
        let imported = import_readings(&eva, &meter, after.as_bytes()).await;
        let shown = eva.get(imported.location()).await;
        if round == 0 {
            assert!(
                shown
                    .body
                    .contains("Dní mimo interval předpovědi referenčního modelu: 1"),
                "{}",
                shown.body
            );
        }
        portal.send_notifications(&quickly).await;
    }
    let anomalies = portal.documents(TEST_CITY, "energy", "anomalies").await;
    assert_eq!(
        anomalies.len(),
        1,
        "the spike, and no other day nor month: {anomalies:?}"
    );
    assert_eq!(anomalies[0]["date"], "2025-01-20");
    let mails: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.subject().contains("mimo referenční model ve"))
        .collect();
    assert_eq!(mails.len(), 1, "told once");
    assert_eq!(mails[0].to, vec!["energetik@kraj.example".to_owned()]);
    assert!(
        mails[0].text().contains("20. 1. 2025"),
        "{}",
        mails[0].text()
    );
    let page = eva.get(&format!("{BASE}/meters/{meter}")).await;
    assert!(
        page.body.contains("Dny mimo referenční model") && page.body.contains("20. 1. 2025"),
        "{}",
        page.body
    );

    // March, a tenth above the model every day: the days the noise takes
    // further are told as days; the whole month is out of its interval
    // even without them, and told once.
    let (_, with_march) = heated_building(365 + 91, None);
    let march: String = with_march
        .lines()
        .skip(365 + 60)
        .map(|l| {
            let (day, used) = l.split_once(';').unwrap();
            format!("{day};{}\n", used.parse::<f64>().unwrap() * 1.1)
        })
        .collect();
    assert!(march.starts_with("2025-03-01;"), "{march}");
    for round in 0..2 {
        let imported = import_readings(&eva, &meter, march.as_bytes()).await;
        let shown = eva.get(imported.location()).await;
        if round == 0 {
            assert!(
                shown
                    .body
                    .contains("Celých měsíců mimo interval předpovědi referenčního modelu: 1"),
                "{}",
                shown.body
            );
        }
        portal.send_notifications(&quickly).await;
    }
    let months: Vec<_> = portal
        .documents(TEST_CITY, "energy", "anomalies")
        .await
        .into_iter()
        .filter(|a| a["month"] == true)
        .collect();
    assert_eq!(months.len(), 1, "March alone: {months:?}");
    assert_eq!(months[0]["date"], "2025-03");
    let told: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.subject().contains("v měsíci 3/2025"))
        .collect();
    assert_eq!(told.len(), 1, "told once");
    let page = eva.get(&format!("{BASE}/meters/{meter}")).await;
    assert!(
        page.body.contains("Celé měsíce mimo referenční model"),
        "{}",
        page.body
    );

    // A day metered before its temperature came is checked when the
    // temperature comes.
    import_readings(&eva, &meter, b"2025-04-01;5000\n").await;
    let told_on = |day: &'static str| {
        let portal = &portal;
        async move {
            portal
                .documents(TEST_CITY, "energy", "anomalies")
                .await
                .iter()
                .any(|a| a["date"] == day)
        }
    };
    assert!(!told_on("2025-04-01").await, "no temperature yet");
    let imported = upload(
        &eva,
        "/stations/ST-Krajsk%C3%BD%20%C3%BA%C5%99ad",
        "temperatures",
        "t.csv",
        b"2025-04-01;8\n",
    )
    .await;
    assert_eq!(imported.status, 303, "{}", imported.body);
    assert!(
        told_on("2025-04-01").await,
        "checked once the day's temperature came"
    );

    // The certificate, reminded once.
    let ctx = CallContext {
        org_id: TEST_CITY.into(),
        principal: None,
        request_id: "test-penb".into(),
        locale: "cs".into(),
    };
    for _ in 0..2 {
        portal.module("energy").run_job(&ctx, "penb").await.unwrap();
        portal.send_notifications(&quickly).await;
    }
    let reminders: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.subject().contains("platnost PENB"))
        .collect();
    assert_eq!(reminders.len(), 1, "reminded once");
    assert!(
        reminders[0].text().contains("třída C"),
        "{}",
        reminders[0].text()
    );
}

/// A school's energy manager sends the buildings' year up; the region's
/// energy manager sees its building ranked by kWh/m² among the region's
/// and drills down to its meter; the report of the other school does not
/// mix in.
#[tokio::test]
async fn the_region_sees_its_schools_buildings_ranked() {
    use portico_platform::organizations::Kind;
    let portal = TestPortal::builder()
        .module("energy")
        .tree_org("kraj", Kind::Region, None, None)
        .tree_org("zs-a", Kind::Organization, Some("kraj"), Some("school"))
        .tree_org("zs-b", Kind::Organization, Some("kraj"), Some("school"))
        .build()
        .await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[
                ("radka", &[("kraj", "energy.manager")]),
                ("adam", &[("zs-a", "energy.manager")]),
                ("bara", &[("zs-b", "energy.manager")]),
            ],
        )
        .await;
    let mut browser = |name| people.remove(name).expect("a person").1;
    let (radka, adam, bara) = (browser("radka"), browser("adam"), browser("bara"));
    // The last 13 months of days: a school of 2,000 m² and one of 1,000 m²
    // using the same.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Prague)
        .date_naive();
    let first = today - chrono::Duration::days(400);
    let lines = |per_day: f64| -> String {
        (0..400)
            .map(|i| format!("{};{per_day}\n", first + chrono::Duration::days(i)))
            .collect()
    };
    for (who, org, name, area) in [
        (&adam, "zs-a", "ZŠ Komenského", "2000"),
        (&bara, "zs-b", "ZŠ Masarykova", "1000"),
    ] {
        who.get("/lang/cs").await;
        let base = format!("/o/{org}/m/energy");
        let building = who
            .submit(
                &format!("{base}/buildings/new"),
                &format!("{base}/buildings/new"),
                &[("name", name), ("area_m2", area), ("usage", "school")],
            )
            .await;
        assert_eq!(building.status, 303, "{}", building.body);
        let page = building.location().split('?').next().unwrap().to_owned();
        let meter = who
            .submit(
                &page,
                &format!("{page}/meters"),
                &[
                    ("label", "EAN 859182400100000001"),
                    ("carrier", "electricity"),
                    ("unit", "kWh"),
                    ("role", "main"),
                ],
            )
            .await;
        assert_eq!(meter.status, 303, "{}", meter.body);
        let meter_page = meter.location().split('?').next().unwrap().to_owned();
        let form = who.get(&format!("{meter_page}/import")).await;
        let imported = who
            .post_multipart(
                &format!("{meter_page}/import"),
                &[("_csrf", form.csrf().as_str())],
                ("readings", "r.csv", lines(100.0).as_bytes()),
            )
            .await;
        assert_eq!(imported.status, 303, "{}", imported.body);
        let home = who.get(&format!("{base}/")).await;
        assert!(
            home.body
                .contains("Odeslat zřizovateli (Region kraj) údaje za posledních 12 měsíců"),
            "{}",
            home.body
        );
        let sent = who
            .submit(&format!("{base}/"), &format!("{base}/"), &[("report", "")])
            .await;
        assert_eq!(sent.status, 303, "{}", sent.body);
    }
    portal.settle().await;

    radka.get("/lang/cs").await;
    let overview = radka.get("/o/kraj/m/energy/region").await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    let body = &overview.body;
    let (a, b) = (
        body.find("ZŠ Masarykova").expect("zs-b ranked"),
        body.find("ZŠ Komenského").expect("zs-a ranked"),
    );
    assert!(a < b, "the school using more per m² comes first");
    // 12 whole months of 100 kWh a day over 1,000 m².
    let days: i64 = {
        use chrono::Datelike;
        let this_month = today.with_day(1).unwrap();
        let year_before =
            chrono::NaiveDate::from_ymd_opt(this_month.year() - 1, this_month.month(), 1).unwrap();
        (this_month - year_before).num_days()
    };
    let intensity =
        portico_types::written::number((days as f64 * 100.0 / 1000.0 * 10.0).round() / 10.0, "cs");
    assert!(
        body.contains(&intensity),
        "{intensity} kWh/m² shown: {body}"
    );
    let link = body
        .split("/o/kraj/m/energy/region/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a drill-down link")
        .to_owned();
    let drill = radka.get(&format!("/o/kraj/m/energy/region/{link}")).await;
    assert_eq!(drill.status, 200, "{}", drill.body);
    assert!(
        drill.body.contains("EAN 859182400100000001"),
        "{}",
        drill.body
    );

    // A school sees no region's overview of others.
    let theirs = adam.get("/o/zs-a/m/energy/region").await;
    assert!(!theirs.body.contains("ZŠ Masarykova"), "{}", theirs.body);
}

/// Every page of the module, as the energy manager sees it with a fitted
/// baseline, its savings and an anomaly, in Czech and English on a phone
/// and a desktop: no WCAG 2.1 A/AA violation (axe-core), nothing wider
/// than the screen.
#[tokio::test]
async fn every_page_reads_in_czech_and_english_on_a_phone_and_a_desktop() {
    let (portal, addr, eva) = energy_manager().await;
    let (temps, _) = heated_building(365 + 60, None);
    let meter = building_with_meter(&eva, "Krajský úřad", "heat", temps.as_bytes()).await;
    let (_, all) = heated_building(365 + 60, Some(365 + 20));
    let first: String = all.lines().take(365).map(|l| format!("{l}\n")).collect();
    let after: String = all.lines().skip(365).map(|l| format!("{l}\n")).collect();
    for (file, fit) in [(first, true), (after, false)] {
        import_readings(&eva, &meter, file.as_bytes()).await;
        if fit {
            fit_baseline(&eva, &meter, "2024-12-30").await;
        }
    }
    let building = portal.documents(TEST_CITY, "energy", "buildings").await[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    // A gas meter in m³ with its calorific values, and a virtual meter.
    let gas = id_in(
        &submit(
            &eva,
            &format!("/buildings/{building}"),
            &format!("/buildings/{building}/meters"),
            &[
                ("label", "27ZG600000000001"),
                ("carrier", "gas"),
                ("unit", "m3"),
                ("role", "main"),
                ("kwh_per_m3", "10.55"),
            ],
        )
        .await,
        "/meters",
    );
    let set = submit(
        &eva,
        &format!("/meters/{gas}"),
        &format!("/meters/{gas}/calorific"),
        &[("from", "2025-01-01"), ("kwh_per_m3", "10.61")],
    )
    .await;
    assert_eq!(set.status, 303, "{}", set.body);
    let heating = id_in(
        &submit(
            &eva,
            &format!("/buildings/{building}"),
            &format!("/buildings/{building}/meters"),
            &[
                ("label", "Vytápění bez kuchyně"),
                ("carrier", "heat"),
                ("role", "virtual"),
                ("parts", "+ Krajský úřad heat"),
            ],
        )
        .await,
        "/meters",
    );
    let stations = eva.get(&format!("{BASE}/stations")).await;
    let station = stations
        .body
        .split("/m/energy/stations/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a link to the station")
        .to_owned();
    let paths: Vec<String> = [
        "/".to_owned(),
        "/buildings/new".to_owned(),
        format!("/buildings/{building}"),
        format!("/meters/{meter}"),
        format!("/meters/{gas}"),
        format!("/meters/{heating}"),
        "/stations".to_owned(),
        format!("/stations/{station}"),
        "/region".to_owned(),
    ]
    .iter()
    .map(|p| format!("{BASE}{p}"))
    .collect();
    let browser = portico_tests::chromium::Chromium::start(addr).await;
    browser.log_in("eva", PASSWORD).await;
    browser.check_pages("80-energy", &paths).await;
}

/// A meter gateway posts a day's quarter-hours in two calls with its own
/// API token, naming the meter by its code: the day's use counts once it
/// is whole; a bad reading is named and nothing of its call is stored; a
/// token without the permission is refused.
#[tokio::test]
async fn a_gateway_posts_quarter_hours_by_the_meters_code() {
    use portico_platform::tokens;
    let (portal, addr, eva) = energy_manager().await;
    let meter = building_with_meter(&eva, "Gymnázium", "electricity", b"2025-01-10;-2,0\n").await;
    let code = "Gymnázium electricity";
    let token = |permissions: &'static [&'static str]| {
        let portal = &portal;
        async move {
            let permissions: Vec<String> = permissions.iter().map(|p| (*p).to_owned()).collect();
            tokens::create(portal.db(), "test", TEST_CITY, "Brána", &permissions, None)
                .await
                .expect("a token")
                .0
        }
    };
    let (gateway, stranger) = (
        token(&["energy.gateway"]).await,
        token(&["energy.view"]).await,
    );
    let post = |secret: String, body: Value| async move {
        let r = reqwest::Client::new()
            .post(format!("http://{addr}{BASE}/api/v1/readings"))
            .bearer_auth(secret)
            .json(&body)
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            r.json::<Value>().await.unwrap_or_default(),
        )
    };
    let quarters = |from: usize, to: usize| -> Vec<Value> {
        (from..to)
            .map(|q| {
                serde_json::json!({
                    "at": format!("2025-01-10T{:02}:{:02}:00+01:00", q / 4, q % 4 * 15),
                    "value": 0.5,
                })
            })
            .collect()
    };
    let (status, body) = post(
        gateway.clone(),
        serde_json::json!({"meter": code, "readings": quarters(0, 48)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["partial_days"], 1, "half a day: {body}");
    assert_eq!(body["days"], 0, "{body}");
    let (status, body) = post(
        gateway.clone(),
        serde_json::json!({"meter": code, "readings": [{"at": "10. 1. 2025", "value": 1.0}]}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("readings[0].at"),
        "{body}"
    );
    let (status, body) = post(
        gateway.clone(),
        serde_json::json!({"meter": code, "readings": quarters(48, 96)}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["days"], 1, "the day is whole: {body}");
    let years = portal.documents(TEST_CITY, "energy", "days").await;
    assert_eq!(years.len(), 1);
    assert_eq!(years[0]["v"][9], 48.0, "96 quarters of 0.5 kWh, once");
    let (status, _) = post(
        stranger,
        serde_json::json!({"meter": code, "readings": quarters(0, 4)}),
    )
    .await;
    assert_eq!(status, 403, "a token without `energy.gateway`");
    let page = eva.get(&format!("{BASE}/meters/{meter}")).await;
    assert!(
        page.body.contains("10 January 2025") || page.body.contains("10. 1. 2025"),
        "{}",
        page.body
    );
}

/// Days of `year` from `from` for `n` days, `value` a day.
fn days_of(year: i32, from: (u32, u32), n: i64, value: &str) -> String {
    let first = chrono::NaiveDate::from_ymd_opt(year, from.0, from.1).unwrap();
    (0..n)
        .map(|i| format!("{};{value}\n", first + chrono::Duration::days(i)))
        .collect()
}

/// The building's audit CSV, as `(meter, date) → use`.
async fn days_csv(
    eva: &Browser,
    building: &str,
) -> std::collections::HashMap<(String, String), f64> {
    let csv = eva
        .get(&format!("{BASE}/buildings/{building}/days.csv"))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let rows = csv.csv_rows();
    assert_eq!(
        rows[0],
        [
            "building",
            "meter",
            "carrier",
            "role",
            "unit",
            "date",
            "use",
            "estimated",
            "temperature_c",
            "baseline_prediction"
        ],
        "the header"
    );
    rows.into_iter()
        .skip(1)
        .map(|r| ((r[1].clone(), r[5].clone()), r[6].parse().unwrap()))
        .collect()
}

/// A gas main counted in m³ is converted with the calorific value of each
/// period, and a value set later converts the period's days (and
/// quarter-hours) again, up to the next period; the heating is the main
/// less the kitchen's meter, a virtual meter that follows both and counts
/// in no total; the building's every day comes out as a CSV for an
/// audit, with its indicators per degree day.
#[tokio::test]
async fn gas_converts_by_the_period_and_a_virtual_meter_follows_its_parts() {
    use chrono::Datelike;
    let (portal, _addr, eva) = energy_manager().await;
    eva.get("/lang/cs").await;
    // Last year's January and February (the indicators show the last
    // three calendar years), 0 °C and 4 °C.
    let y = chrono::Utc::now().year() - 1;
    let feb = (chrono::NaiveDate::from_ymd_opt(y, 3, 1).unwrap()
        - chrono::NaiveDate::from_ymd_opt(y, 2, 1).unwrap())
    .num_days();
    let both = 31 + feb;
    let temps = format!(
        "{}{}",
        days_of(y, (1, 1), 31, "0"),
        days_of(y, (2, 1), feb, "4")
    );
    // The kitchen's meter, in kWh (`building_with_meter`'s, a main meter).
    let kitchen = building_with_meter(&eva, "Nemocnice", "gas", temps.as_bytes()).await;
    let building = portal.documents(TEST_CITY, "energy", "buildings").await[0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let add = |fields: Vec<(&'static str, String)>| {
        let eva = &eva;
        let building = building.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            submit(
                eva,
                &format!("/buildings/{building}"),
                &format!("/buildings/{building}/meters"),
                &fields,
            )
            .await
        }
    };
    // The gas main, in m³: days, and 10 February in quarter-hours of
    // 0.1 m³ (9.6 m³).
    let main = id_in(
        &add(vec![
            ("label", "27ZG600000000001".into()),
            ("carrier", "gas".into()),
            ("unit", "m3".into()),
            ("role", "main".into()),
            ("kwh_per_m3", "10".into()),
        ])
        .await,
        "/meters",
    );
    import_readings(&eva, &main, days_of(y, (1, 1), both, "10").as_bytes()).await;
    let quarters: String = (0..96)
        .map(|q| format!("{y}-02-10 {:02}:{:02};0,1\n", q / 4, q % 4 * 15))
        .collect();
    import_readings(&eva, &main, quarters.as_bytes()).await;
    import_readings(&eva, &kitchen, days_of(y, (1, 1), both, "20").as_bytes()).await;

    // A virtual meter naming a meter that is not there is refused, named.
    let refused = add(vec![
        ("label", "Vytápění".into()),
        ("carrier", "gas".into()),
        ("role", "virtual".into()),
        ("parts", "+ 27ZG600000000001\n– KUCHYNE".into()),
    ])
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("řádek 2: měřidlo KUCHYNE neexistuje"),
        "{}",
        refused.body
    );
    // The minus as a spreadsheet's autocorrect writes it.
    let heating = add(vec![
        ("label", "Vytápění".into()),
        ("carrier", "gas".into()),
        ("role", "virtual".into()),
        ("parts", "+ 27ZG600000000001\n– Nemocnice gas".into()),
    ])
    .await;
    assert_eq!(heating.status, 303, "{}", heating.body);
    let shown = eva.get(heating.location()).await;
    assert!(
        shown
            .body
            .contains(&format!("dní spočtených z jeho částí: {both}")),
        "{}",
        shown.body
    );
    assert!(
        !shown.body.contains("Import odečtů"),
        "a virtual meter has no readings of its own: {}",
        shown.body
    );
    let heating = id_in(&heating, "/meters");
    let form = eva.get(&format!("{BASE}/meters/{heating}")).await;
    let csrf = form.csrf();
    let no_import = eva
        .post_multipart(
            &format!("{BASE}/meters/{heating}/import"),
            &[("_csrf", csrf.as_str())],
            ("readings", "r.csv", format!("{y}-03-01;5\n").as_bytes()),
        )
        .await;
    assert_eq!(no_import.status, 409, "{}", no_import.body);

    // January and February: 100 kWh of gas a day less the kitchen's 20.
    let days = days_csv(&eva, &building).await;
    let day = |m: &str, d: &str| days[&(m.to_owned(), format!("{y}-{d}"))];
    assert_eq!(day("27ZG600000000001", "01-15"), 100.0);
    assert_eq!(day("Vytápění", "01-15"), 80.0);
    assert_eq!(day("Vytápění", "02-15"), 80.0);
    assert!((day("Vytápění", "02-10") - 76.0).abs() < 1e-9);

    // The invoice says February's gas had 11 kWh/m³, and March's 10.5:
    // set the later period first, then February's, which ends where
    // March's begins. February's days and quarter-hours are converted
    // again, January's stay; the virtual meter follows.
    let calorific = |from: String, value: &'static str| {
        let eva = &eva;
        let main = main.clone();
        async move {
            submit(
                eva,
                &format!("/meters/{main}"),
                &format!("/meters/{main}/calorific"),
                &[("from", from.as_str()), ("kwh_per_m3", value)],
            )
            .await
        }
    };
    let wrong = calorific(format!("{y}-02-01"), "110").await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(
        wrong.body.contains("Spalné teplo mezi 5 a 15 kWh/m³"),
        "{}",
        wrong.body
    );
    assert_eq!(calorific(format!("{y}-03-01"), "10.5").await.status, 303);
    let set = calorific(format!("{y}-02-01"), "11").await;
    assert_eq!(set.status, 303, "{}", set.body);
    let shown = eva.get(set.location()).await;
    assert!(
        shown.body.contains(&format!(
            "Spalné teplo od 1. 2. {y} je 11 kWh/m³; přepočteno dní: {feb}."
        )),
        "{}",
        shown.body
    );
    // A quarter-hour of 10 February sent again: the day is its
    // quarter-hours, all of them at 11 kWh/m³ now.
    import_readings(&eva, &main, format!("{y}-02-10 00:00;0,1\n").as_bytes()).await;
    // March's file comes after: its m³ are at March's 10.5.
    import_readings(&eva, &main, days_of(y, (3, 1), 1, "10").as_bytes()).await;
    let days = days_csv(&eva, &building).await;
    let day = |m: &str, d: &str| days[&(m.to_owned(), format!("{y}-{d}"))];
    assert_eq!(day("27ZG600000000001", "01-31"), 100.0);
    assert!((day("27ZG600000000001", "02-01") - 110.0).abs() < 1e-9);
    assert!(
        (day("27ZG600000000001", "02-10") - 105.6).abs() < 1e-9,
        "every quarter-hour converted again: {}",
        day("27ZG600000000001", "02-10")
    );
    assert!((day("Vytápění", "02-28") - 90.0).abs() < 1e-9);
    assert_eq!(day("Vytápění", "01-31"), 80.0);
    assert!((day("27ZG600000000001", "03-01") - 105.0).abs() < 1e-9);

    // The building's year: the main and the kitchen's meter; the virtual
    // one counts in nothing.
    let page = eva.get(&format!("{BASE}/buildings/{building}")).await;
    let total = 100.0 * 31.0 + 110.0 * (feb - 1) as f64 + 105.6 + 105.0 + 20.0 * both as f64;
    let shown_total = portico_types::written::number((total / 100.0).round() / 10.0, "cs");
    assert!(
        page.body
            .contains("Ukazatele energetické náročnosti (ISO 50006)")
            && page.body.contains(&format!(
                "<td class=\"num\" data-label=\"Energie (MWh)\">{shown_total}</td>"
            )),
        "{shown_total} MWh in the indicators: {}",
        page.body
    );
    assert!(page.body.contains("Vytápění (virtuální)"), "{}", page.body);
}

/// The daily means of a month as the weather service's open data gives
/// them: a table of element, value type, day and value, with the day's
/// readings at the climatological hours (other values) and its minimum
/// beside the mean.
fn chmi_month(wsi: &str, days: &[(chrono::NaiveDate, f64)]) -> String {
    let rows: Vec<String> = days
        .iter()
        .flat_map(|(d, t)| {
            let row = |element: &str, kind: &str, v: f64| {
                format!("[\"{wsi}\",\"{element}\",\"{kind}\",\"{d}T00:00:00Z\",{v},null,0.0]")
            };
            [
                row("T", "07:00", t - 3.0),
                row("T", "AVG", *t),
                row("T", "14:00", t + 4.0),
                row("TMI", "AVG", t - 5.0),
            ]
        })
        .collect();
    format!(
        "{{\"type\":\"Feature\",\"data\":{{\"type\":\"DataCollection\",\"data\":{{\"header\":\"STATION,ELEMENT,VTYPE,DT,VAL,FLAG,QUALITY\",\"values\":[{}]}}}}}}",
        rows.join(",")
    )
}

/// The manager fetches a station's last months from the weather service
/// through the connection an administrator set up (a closed month in its
/// month's folder, the running one above); the months it has no file for
/// are named; every morning the job fetches this month and the one before
/// for each station with a WSI, a station a step.
#[tokio::test]
async fn temperatures_come_from_the_weather_service() {
    use chrono::Datelike;
    use portico_platform::connections::{Credential, Setup};
    use portico_tests::outside::Outside;
    let (portal, _addr, eva) = energy_manager().await;
    eva.get("/lang/cs").await;
    let add_station = |code: &'static str, name: &'static str| {
        let eva = &eva;
        async move {
            id_in(
                &submit(
                    eva,
                    "/stations",
                    "/stations",
                    &[("code", code), ("name", name)],
                )
                .await,
                "/stations",
            )
        }
    };
    let station = add_station("B2BTUR01", "Brno-Tuřany").await;
    // A station whose temperatures are imported: the job leaves it be.
    add_station("P1PRUZ01", "Praha-Ruzyně").await;
    let wsi = "0-20000-0-11723";
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Prague)
        .date_naive();
    let this_month = today.with_day(1).unwrap();
    let last_month = (this_month - chrono::Duration::days(1))
        .with_day(1)
        .unwrap();
    let before = (last_month - chrono::Duration::days(1))
        .with_day(1)
        .unwrap();
    let month_days = |m: chrono::NaiveDate, t: f64| -> Vec<(chrono::NaiveDate, f64)> {
        (0..31)
            .map(|i| m + chrono::Duration::days(i))
            .filter(|d| d.month() == m.month() && *d <= today)
            .map(|d| (d, t))
            .collect()
    };
    let chmi = Outside::start(0).await;
    let daily = "/meteorology/climate/recent/data/daily";
    let closed = |m: chrono::NaiveDate| {
        format!(
            "{daily}/{}/dly-{wsi}-{}.json",
            m.format("%m"),
            m.format("%Y%m")
        )
    };
    let running = |m: chrono::NaiveDate| format!("{daily}/dly-{wsi}-{}.json", m.format("%Y%m"));
    chmi.serve(
        &closed(last_month),
        "application/json",
        &chmi_month(wsi, &month_days(last_month, 2.5)),
    );
    for m in [before, this_month] {
        chmi.missing(&closed(m));
        chmi.missing(&running(m));
    }

    // Not set up yet: said, and nothing fetched.
    let fetch = |from: chrono::NaiveDate| {
        let eva = &eva;
        let station = station.clone();
        async move {
            submit(
                eva,
                &format!("/stations/{station}"),
                &format!("/stations/{station}/fetch"),
                &[("wsi", wsi), ("from", &from.format("%Y-%m").to_string())],
            )
            .await
        }
    };
    let unset = fetch(before).await;
    assert_eq!(unset.status, 422, "{}", unset.body);
    assert!(
        unset
            .body
            .contains("Připojení k meteorologické službě není nastaveno"),
        "{}",
        unset.body
    );
    portico_platform::connections::set(
        portal.db(),
        TEST_CITY,
        "energy",
        "chmi",
        &Setup::with(Some(chmi.url("")), Credential::None),
        "test",
    )
    .await
    .unwrap();

    // The month before last is not there, nor this month yet; last month
    // is, in its folder.
    let fetched = fetch(before).await;
    assert_eq!(fetched.status, 303, "{}", fetched.body);
    let shown = eva.get(fetched.location()).await;
    let days_last_month = month_days(last_month, 0.0).len();
    assert!(
        shown.body.contains(&format!(
            "Staženo dní s průměrnou teplotou: {days_last_month}."
        )),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains(&format!(
            "Měsíce, které služba neposkytla: {}/{} (404), {}/{} (404)",
            before.month(),
            before.year(),
            this_month.month(),
            this_month.year()
        )),
        "{}",
        shown.body
    );
    // The month's mean (the AVG rows, not the hours') and its Czech
    // degree days: 16.5 K a day.
    let dd = portico_types::written::number((16.5 * days_last_month as f64).round(), "cs");
    assert!(
        shown
            .body
            .contains("data-label=\"Průměrná teplota (°C)\">2,5</td>"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains(&dd), "{dd} K·day: {}", shown.body);
    assert!(shown.body.contains(wsi), "the station keeps its WSI");

    // The morning's job: this month's days so far come too, from above
    // the folders; the station without a WSI is not asked for.
    let so_far = month_days(this_month, -3.0);
    chmi.serve(
        &running(this_month),
        "application/json",
        &chmi_month(wsi, &so_far),
    );
    let asked_before = chmi.received().len();
    let ctx = CallContext {
        org_id: TEST_CITY.into(),
        principal: None,
        request_id: "test-weather".into(),
        locale: "cs".into(),
    };
    portal
        .module("energy")
        .run_job(&ctx, "weather")
        .await
        .unwrap();
    let quickly = WorkerConfig {
        backoff: std::time::Duration::ZERO,
        ..WorkerConfig::default()
    };
    while portal.dispatch(&quickly).await > 0 {}
    let asked: Vec<String> = chmi.received()[asked_before..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        asked,
        [closed(last_month), closed(this_month), running(this_month)],
        "the two months of the one station with a WSI"
    );
    let temps = portal.documents(TEST_CITY, "energy", "temps").await;
    let kept: usize = temps
        .iter()
        .map(|y| {
            y["t"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| !t.is_null())
                .count()
        })
        .sum();
    assert_eq!(kept, days_last_month + so_far.len(), "{temps:?}");
}
