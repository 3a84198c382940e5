//! One organization's register of 100,000 assets in 2,000 rooms: a room's
//! list (`assets_room_list_p95_ms`, bar ≤ 50 ms) and a search by the start
//! of a name (`assets_search_p95_ms`, bar ≤ 50 ms), as the property clerk
//! opens them; and the year's stock-take over that register, its page
//! of places (`assets_stocktake_p95_ms`) and a room's inventory list
//! (`assets_inventory_list_p95_ms`), as the commission opens them (no bar
//! is set for these: measured, so that a slow one is seen).

use std::fmt::Write;
use std::time::Instant;

use portico_platform::identity::users::UserKind;
use portico_tests::browser::Browser;
use portico_tests::{TEST_CITY, TestPortal};

use crate::{PASSWORD, bar, p95, print, size};

/// What the register holds: name stems, each with a running number.
const NAMES: [&str; 10] = [
    "Židle kancelářská",
    "Stůl pracovní",
    "Počítač stolní",
    "Monitor 24\"",
    "Skříň policová",
    "Lavice školní",
    "Tiskárna laserová",
    "Projektor",
    "Lednice",
    "Interaktivní tabule",
];

pub async fn register() {
    let assets = size(100_000, 400);
    let rooms = size(2_000, 8);
    let portal = TestPortal::builder().module("assets").build().await;
    let addr = portal.serve().await;
    let clerk = portal.user("jana", UserKind::Staff, PASSWORD).await;
    portal.grant(&clerk, TEST_CITY, "assets.clerk").await;
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("jana", PASSWORD).await.status, 303);
    let mut places = String::new();
    let _ = writeln!(
        places,
        r#"{{"key":"a","parent":"","kind":"building","name":"Budova A","code":"A","path":"A Budova A"}}"#
    );
    for r in 0..rooms {
        let _ = writeln!(
            places,
            r#"{{"key":"a/{r:04}","parent":"a","kind":"space","code":"{r:04}","name":"Místnost {r}","path":"A Budova A › {r:04}"}}"#
        );
    }
    let mut lines = String::with_capacity(assets * 220);
    for n in 0..assets {
        let stem = NAMES[n % NAMES.len()];
        let name = format!("{stem} {n}");
        let key = portico_types::folding::fold(&name);
        let _ = writeln!(
            lines,
            r#"{{"number":"028/{n:06}","name":{name:?},"key":{key:?},"account":"028","cost":{},"acquired":"2020-01-15","place":"a/{:04}","state":"in-use","held":1}}"#,
            5_000 + n % 30_000,
            n % rooms
        );
    }
    portal.import(TEST_CITY, "assets", "places", &places).await;
    portal.import(TEST_CITY, "assets", "assets", &lines).await;
    portal
        .import(
            TEST_CITY,
            "assets",
            "stocktakes",
            r#"{"year":"2026","as_of":"2026-12-31","chair":"Jana","members":["Karel"],"state":"open"}"#,
        )
        .await;
    let campaign = portal.records(TEST_CITY, "assets", "stocktakes").await[0]
        .0
        .clone();
    let room = portal
        .records(TEST_CITY, "assets", "places")
        .await
        .into_iter()
        .find(|(_, p)| p["key"] == "a/0007")
        .map(|(id, _)| id)
        .expect("room a/0007");
    // Each page, its figure, what it must hold, and its bar if it has one.
    for (path, figure, expect, most) in [
        (
            format!("/m/assets/places/{room}"),
            "assets_room_list_p95_ms",
            "028/000007",
            Some(50.0),
        ),
        (
            "/m/assets/?q=interaktivni%20tabule%2011".to_owned(),
            "assets_search_p95_ms",
            "Interaktivní tabule 11",
            Some(50.0),
        ),
        (
            format!("/m/assets/stocktake/{campaign}"),
            "assets_stocktake_p95_ms",
            "Inventory lists by place",
            None,
        ),
        (
            format!("/m/assets/stocktake/{campaign}/{room}"),
            "assets_inventory_list_p95_ms",
            "028/000007",
            None,
        ),
    ] {
        let mut times = Vec::new();
        for i in 0..size(200, 5) {
            let start = Instant::now();
            let page = browser.get(&path).await;
            times.push(start.elapsed());
            assert_eq!(page.status, 200, "{}", page.body);
            if i == 0 {
                assert!(page.body.contains(expect), "{expect}: {}", page.body);
            }
        }
        let p = p95(times);
        print(figure, p, "ms");
        if let Some(most) = most {
            bar(figure, p <= most, &format!("≤ {most} ms"));
        }
    }
}
