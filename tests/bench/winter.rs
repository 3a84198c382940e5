//! The winter dispatch under a night's load: a network of 5,000 sections
//! imported through the manager's form (`winter_network_import_5000_s`),
//! then 200 vehicle units each posting a position every 5 s for 10
//! minutes over HTTP with their own API tokens, every position matched to
//! a section: the ingest's p95 (`gps_ingest_p95_ms`, bar ≤ 20 ms), and
//! the dispatcher's live page of the event, read once a second meanwhile
//! (`winter_live_map_p95_ms`, bar ≤ 100 ms).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use chrono_tz::Europe::Prague;
use portico_platform::identity::users::UserKind;
use portico_platform::tokens;
use portico_tests::browser::Browser;
use portico_tests::winter::{geojson, region};
use portico_tests::{TEST_CITY, TestPortal};

use crate::{PASSWORD, bar, p95, print, seconds, size};

const BASE: &str = "/m/winter-dispatch";
pub async fn night() {
    let sections = region(size(5_000, 200));
    let vehicles = size(200, 4);
    let every = Duration::from_secs(5);
    let run_for = seconds(600.0, 2.0);
    let portal = TestPortal::builder()
        .module("winter-dispatch")
        .build()
        .await;
    let addr = portal.serve().await;
    let manager = portal.user("vera", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&manager, TEST_CITY, "winter-dispatch.manager")
        .await;
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("vera", PASSWORD).await.status, 303);

    // The network, through the form.
    let file = geojson(&sections);
    let form = browser.get(&format!("{BASE}/network")).await;
    let csrf = form.csrf();
    let start = Instant::now();
    let imported = browser
        .post_multipart(
            &format!("{BASE}/network"),
            &[("_csrf", csrf.as_str())],
            ("network", "network.geojson", file.as_bytes()),
        )
        .await;
    assert_eq!(imported.status, 303, "{}", imported.body);
    print(
        &format!("winter_network_import_{}_s", sections.len()),
        start.elapsed().as_secs_f64(),
        "s",
    );

    // An event, and a vehicle with its unit on each of the first rows.
    let began = Utc::now().with_timezone(&Prague);
    let opened = browser
        .submit(
            &format!("{BASE}/events"),
            &format!("{BASE}/events"),
            &[
                ("kind", "snowfall"),
                ("date", &began.format("%Y-%m-%d").to_string()),
                ("time", &began.format("%H:%M").to_string()),
            ],
        )
        .await;
    assert_eq!(opened.status, 303, "{}", opened.body);
    let live = opened
        .location()
        .split('?')
        .next()
        .expect("a path")
        .to_owned();
    // The season's first event: its number.
    let event = format!("{}/01", began.format("%Y"));
    let mut lines = String::new();
    let mut secrets = Vec::new();
    for v in 0..vehicles {
        let (secret, token) = tokens::create(
            portal.db(),
            "bench",
            TEST_CITY,
            &format!("Unit {v}"),
            &["winter-dispatch.report".to_owned()],
            None,
        )
        .await
        .expect("a token");
        secrets.push(secret);
        lines.push_str(
            &serde_json::json!({
                "code": format!("S-{v:03}"), "name": "Sypač", "unit": format!("token:{}", token.id),
                "event": event, "route": format!("O{:03}", v * 5),
            })
            .to_string(),
        );
        lines.push('\n');
    }
    portal
        .import(TEST_CITY, "winter-dispatch", "vehicles", &lines)
        .await;

    // Each unit drives east along its row of sections at 36 km/h.
    let ingest = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut units = Vec::new();
    for (v, secret) in secrets.into_iter().enumerate() {
        let row = &sections[(v * 100) % sections.len()];
        let from = row.line[0];
        let (ingest, failures) = (ingest.clone(), failures.clone());
        let client = reqwest::Client::new();
        let url = format!("http://{addr}{BASE}/api/v1/positions");
        units.push(tokio::spawn(async move {
            // Spread over the first interval, as units switched on one by one.
            tokio::time::sleep(every * v as u32 / vehicles as u32).await;
            let mut tick = tokio::time::interval(every);
            let mut n = 0.0;
            while started.elapsed() < run_for {
                tick.tick().await;
                let km = ((v / 50) as f64 * 37.0 + n * 0.05_f64) % 150.0;
                n += 1.0;
                let lon = from[0] + km / (111.32 * from[1].to_radians().cos());
                let body = serde_json::json!({
                    "time": Utc::now().with_timezone(&Prague).to_rfc3339(),
                    "lat": from[1], "lon": lon, "speed_kmh": 36,
                    "work": "salting", "rate_g_m2": 15, "material": "NaCl", "amount_kg": 8.5,
                });
                let sent = Instant::now();
                let answer = client
                    .post(&url)
                    .bearer_auth(&secret)
                    .json(&body)
                    .send()
                    .await;
                let took = sent.elapsed();
                match answer {
                    Ok(r) if r.status().as_u16() == 202 => {
                        ingest.lock().expect("not poisoned").push(took)
                    }
                    Ok(r) => {
                        let said =
                            format!("{}: {}", r.status(), r.text().await.unwrap_or_default());
                        failures.lock().expect("not poisoned").push(said);
                    }
                    Err(e) => failures.lock().expect("not poisoned").push(e.to_string()),
                }
            }
        }));
    }
    // The dispatcher watches the event meanwhile.
    let mut page_times = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    while started.elapsed() < run_for {
        tick.tick().await;
        let sent = Instant::now();
        let page = browser.get(&live).await;
        page_times.push(sent.elapsed());
        assert_eq!(page.status, 200, "{}", page.body);
    }
    for u in units {
        u.await.expect("a unit");
    }
    let failures = failures.lock().expect("not poisoned").clone();
    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let ingest = ingest.lock().expect("not poisoned").clone();
    let reports = ingest.len();
    let ingest_p95 = p95(ingest);
    print("gps_ingest_p95_ms", ingest_p95, "ms");
    bar("gps_ingest_p95_ms", ingest_p95 <= 20.0, "<= 20 ms");
    let live_p95 = p95(page_times);
    print("winter_live_map_p95_ms", live_p95, "ms");
    bar("winter_live_map_p95_ms", live_p95 <= 100.0, "<= 100 ms");
    print("winter_positions_reported", reports as f64, "positions");
    let treated = portal
        .documents(TEST_CITY, "winter-dispatch", "treated")
        .await;
    assert!(!treated.is_empty(), "positions were matched to sections");
}
