//! Maps on real tiles: the portal passes on the tiles of the source the
//! administrator set (a tile server on loopback here) and keeps them, so
//! browsers ask only the portal; it serves the map library itself; the
//! complaints registry is drawn as a slippy map with its reports clustered,
//! in a real browser at phone and desktop widths, and stays a list of
//! places without script. The address register answers the map's search.

use fantoccini::Locator;
use fantoccini::actions::InputSource as _;
use portico_platform::addresses;
use portico_platform::identity::users::UserKind;
use portico_tests::browser::Browser;
use portico_tests::chromium::Chromium;
use portico_tests::peers::{SmtpSink, TileServer};
use portico_tests::{TEST_CITY, TestPortal, catalog, repo_root};
use portico_web::map::TileSource;

const PASSWORD: &str = "correct horse battery";
const BASE: &str = "/m/complaints";

const POTHOLE: &str =
    "depth | How deep is it? | singlevaluelist | required | shallow=Shallow; deep=Deep (over 5 cm)";

/// Reports of potholes: two a few steps apart on Údolní, one on the other
/// side of the city centre.
const PLACES: [(&str, &str, &str); 3] = [
    ("Údolní 53", "49.19902", "16.59594"),
    ("Údolní 51", "49.19910", "16.59610"),
    ("Kozí 4", "49.19398", "16.60902"),
];

/// A portal with complaints, its maps on `tiles`, a manager who set up
/// the pothole category, the Brno address points, and three reports.
async fn portal_with_reports(tiles: Option<&TileServer>) -> TestPortal {
    portal_mailing(tiles, None).await
}

/// The same, sending its e-mail to `smtp`.
async fn portal_mailing(tiles: Option<&TileServer>, smtp: Option<&SmtpSink>) -> TestPortal {
    let source =
        tiles.map(|t| TileSource::new(&t.template(), "© Testovací mapa").expect("a source"));
    let mut builder = TestPortal::builder()
        .module("complaints")
        .web(|c| c.map_tiles = source);
    if let Some(smtp) = smtp {
        builder = builder.smtp(&smtp.url());
    }
    let portal = builder.build().await;
    let bytes = std::fs::read(repo_root().join("tests/data/ruian/20261130_OB_582786_ADR.csv"))
        .expect("the fixture");
    addresses::import(portal.db(), "fixture", &bytes)
        .await
        .expect("imported");
    let manager = portal.user("hana", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&manager, TEST_CITY, "complaints.manager")
        .await;
    let staff = Browser::new(portal.serve().await);
    assert_eq!(staff.log_in("hana", PASSWORD).await.status, 303);
    let saved = staff
        .submit(
            &format!("{BASE}/categories"),
            &format!("{BASE}/categories"),
            &[
                ("code", "pothole"),
                ("name", "Výtluk"),
                ("name_en", "Pothole"),
                ("description", "Díry v silnicích a chodnících."),
                ("group", "Silnice"),
                ("unit", "Odbor dopravy"),
                ("email", "roads@test-city.example"),
                ("deadline_days", "30"),
                ("attributes", POTHOLE),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let citizen = Browser::new(portal.serve().await);
    for (address, lat, long) in PLACES {
        let filed = citizen
            .submit(
                &format!("{BASE}/report?category=pothole"),
                &format!("{BASE}/report"),
                &[
                    ("category", "pothole"),
                    ("description", "Hluboký výtluk v jízdní dráze."),
                    ("address", address),
                    ("address.lat", lat),
                    ("address.lon", long),
                    ("attribute[depth]", "deep"),
                    // Two are a few steps apart: each a hole of its own.
                    ("nearby_seen", "1"),
                ],
            )
            .await;
        assert_eq!(filed.status, 303, "{}", filed.body);
    }
    portal
}

#[tokio::test]
async fn the_portal_passes_on_tiles_and_keeps_them_and_serves_the_map_library() {
    let tiles = TileServer::start().await;
    let portal = portal_with_reports(Some(&tiles)).await;
    let visitor = Browser::new(portal.serve().await);

    // The registry carries its tiles' address and the places' positions,
    // and loads the map library from the portal.
    let registry = visitor.get(&format!("{BASE}/")).await;
    assert_eq!(registry.status, 200);
    for part in [
        r#"data-tiles="/tiles/{z}/{x}/{y}""#,
        r#"data-attribution="© Testovací mapa""#,
        r#"data-lat="49.199020" data-lon="16.595940""#,
        r#"<script src="/assets/map/leaflet.js" defer></script>"#,
        r#"<script src="/assets/map/portico-map.js" defer></script>"#,
    ] {
        assert!(registry.body.contains(part), "{part} in {}", registry.body);
    }
    let policy = registry.header("content-security-policy");
    assert!(
        policy.contains("script-src 'self'")
            && policy.contains("img-src 'self' data:")
            && !policy.contains("unsafe"),
        "{policy}"
    );
    for (path, kind, inside) in [
        ("/assets/map/leaflet.js", "text/javascript", "Leaflet"),
        (
            "/assets/map/markercluster.js",
            "text/javascript",
            "MarkerClusterGroup",
        ),
        ("/assets/map/leaflet.css", "text/css", ".leaflet-container"),
        (
            "/assets/map/portico-map.js",
            "text/javascript",
            "figure.map[data-tiles]",
        ),
    ] {
        let asset = visitor.get(path).await;
        assert_eq!(asset.status, 200, "{path}");
        assert!(asset.header("content-type").starts_with(kind), "{path}");
        assert!(asset.body.contains(inside), "{path}");
    }

    // A tile is fetched once from the source, then kept.
    let tile = visitor.get("/tiles/16/36212/22545.png").await;
    assert_eq!(tile.status, 200);
    assert_eq!(tile.header("content-type"), "image/png");
    assert!(tile.bytes.starts_with(b"\x89PNG"), "a PNG");
    let served = tiles.served();
    assert_eq!(served, 1);
    let again = visitor.get("/tiles/16/36212/22545").await;
    assert_eq!(again.bytes, tile.bytes);
    assert_eq!(tiles.served(), served, "the second time from memory");
    // Nothing past the deepest zoom or outside the world is asked for.
    for outside in ["/tiles/20/0/0.png", "/tiles/3/8/0.png", "/tiles/3/0/x.png"] {
        assert_eq!(visitor.get(outside).await.status, 404, "{outside}");
    }
    assert_eq!(tiles.served(), served);

    // The map's address search and the address nearest a pin.
    let found = visitor.get_json("/addresses/search?q=udolni%2053").await;
    assert_eq!(found.status, 200);
    let found = found.json();
    assert_eq!(found[0]["label"], "Údolní 567/53, Veveří, 602 00 Brno");
    assert_eq!(found[0]["code"], 19_096_101);
    let near = visitor
        .get_json("/addresses/nearest?lat=49.19398&lon=16.60905")
        .await;
    assert_eq!(near.status, 200);
    assert_eq!(near.json()["label"], "Kozí 121/4, Brno-město, 602 00 Brno");
    let far = visitor
        .get_json("/addresses/nearest?lat=50.08&lon=14.42")
        .await;
    assert_eq!(far.status, 404, "Prague is not in Brno's register");
}

#[tokio::test]
async fn without_a_tile_source_a_map_is_a_plan_and_a_list_without_script() {
    let portal = portal_with_reports(None).await;
    let visitor = Browser::new(portal.serve().await);
    let registry = visitor.get(&format!("{BASE}/")).await;
    assert!(registry.body.contains("<svg"), "{}", registry.body);
    assert!(registry.body.contains("Údolní 53"));
    assert!(!registry.body.contains("data-tiles"));
    assert!(!registry.body.contains("<script"));
    assert_eq!(visitor.get("/tiles/1/0/0.png").await.status, 404);
}

/// How many of the map's tiles the browser drew.
async fn tiles_drawn(browser: &Chromium) -> u64 {
    browser
        .client
        .execute(
            "return [...document.querySelectorAll('.slippy img.leaflet-tile-loaded')]
                .filter(i => i.naturalWidth === 256).length",
            Vec::new(),
        )
        .await
        .expect("the page answers")
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn citizens_see_the_reports_on_a_slippy_map_at_phone_and_desktop_widths() {
    let tiles = TileServer::start().await;
    let portal = portal_with_reports(Some(&tiles)).await;
    let addr = portal.serve().await;
    let english = catalog::english_texts();
    for (lang, (w, h)) in [("cs", (320, 640)), ("en", (1366, 900))] {
        let browser = Chromium::start(addr).await;
        browser.set_size(w, h).await;
        browser.open(&format!("/lang/{lang}")).await;
        browser.open(&format!("{BASE}/")).await;
        browser
            .wait_css("figure.map.drawn .leaflet-marker-icon")
            .await;
        let mut drawn = 0;
        for _ in 0..50 {
            drawn = tiles_drawn(&browser).await;
            if drawn > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(drawn > 0, "{lang}: the tiles are drawn");
        // Fitted to all three, the two on Údolní are one cluster of two,
        // Kozí a pin of its own; the plan gave way to the map, the list stays.
        let shown = browser
            .client
            .execute(
                "return {
                   clusters: [...document.querySelectorAll('.marker-cluster')].map(c => c.textContent.trim()),
                   pins: document.querySelectorAll('.leaflet-marker-icon.map-pin').length,
                   plan: document.querySelectorAll('figure.map > svg').length,
                   places: document.querySelectorAll('figure.map ol.places li').length,
                   attribution: document.querySelector('.leaflet-control-attribution').textContent,
                 }",
                Vec::new(),
            )
            .await
            .expect("the page answers");
        assert_eq!(
            shown["clusters"],
            serde_json::json!(["2"]),
            "{lang}: {shown}"
        );
        assert_eq!(shown["pins"], 1, "{lang}: {shown}");
        assert_eq!(shown["plan"], 0, "{lang}: {shown}");
        assert_eq!(shown["places"], 3, "{lang}: {shown}");
        assert_eq!(shown["attribution"], "© Testovací mapa", "{lang}: {shown}");
        browser
            .client
            .execute(
                "document.querySelector('figure.map').scrollIntoView()",
                Vec::new(),
            )
            .await
            .expect("scrolled");
        browser
            .check_step(&format!("maps-registry-{lang}-{w}"), lang, &english)
            .await;
        // The cluster opens to its reports; a report's pin leads to it
        // (the newest first: 1 is on Kozí, 2 and 3 on Údolní).
        browser.click_css(".marker-cluster").await;
        browser
            .wait_css("figure.map .leaflet-marker-icon.map-pin:not(.leaflet-cluster-anim)")
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        let opened = browser
            .client
            .execute(
                "return {
                   clusters: document.querySelectorAll('.marker-cluster').length,
                   pins: [...document.querySelectorAll('.leaflet-marker-icon.map-pin')]
                     .map(p => p.title.split('.')[0]).sort(),
                 }",
                Vec::new(),
            )
            .await
            .expect("the page answers");
        assert_eq!(
            opened,
            serde_json::json!({"clusters": 0, "pins": ["2", "3"]}),
            "{lang}: the cluster opened to the two reports on Údolní"
        );
        browser
            .click_css(".leaflet-marker-icon.map-pin[title^='3. ']")
            .await;
        browser.wait_css(".leaflet-popup-content a").await;
        browser
            .check_step(&format!("maps-registry-{lang}-{w}-open"), lang, &english)
            .await;
    }
    assert!(tiles.served() > 0);
}

/// Reports a deep pothole at the place `fields` give, as a citizen
/// posts the form.
async fn report(citizen: &Browser, fields: &[(&str, &str)]) -> portico_tests::browser::Page {
    let mut all = vec![
        ("category", "pothole"),
        ("description", "Propadlý kanál."),
        ("attribute[depth]", "deep"),
    ];
    all.extend_from_slice(fields);
    citizen
        .submit(
            &format!("{BASE}/report?category=pothole"),
            &format!("{BASE}/report"),
            &all,
        )
        .await
}

/// The id in a redirect to `/m/complaints/reports/<id>?…`.
fn filed_id(page: &portico_tests::browser::Page) -> String {
    assert_eq!(page.status, 303, "{}", page.body);
    let rest = page
        .location()
        .strip_prefix(&format!("{BASE}/reports/"))
        .unwrap_or_else(|| panic!("redirected to {}", page.location()));
    rest.split('?').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_citizen_finds_the_address_sees_the_report_nearby_and_files_another() {
    let portal = portal_with_reports(None).await;
    let citizen = Browser::new(portal.serve().await);
    // A street alone matches three addresses: the citizen chooses one.
    citizen.get("/lang/cs").await;
    let choose = report(&citizen, &[("address", "udolni")]).await;
    assert_eq!(choose.status, 422, "{}", choose.body);
    for part in [
        "Odpovídá více adres: vyberte svou níže, nebo ji napište přesněji.",
        "Která adresa to je?",
        r#"value="19096101""#,
        "Údolní 567/53, Veveří, 602 00 Brno",
        "Údolní 245/15, Veveří, 602 00 Brno",
    ] {
        assert!(choose.body.contains(part), "{part} in {}", choose.body);
    }

    // The chosen address has an open pothole report at its door: is it that one?
    let nearby = report(
        &citizen,
        &[("address", "udolni"), ("address_code", "19096101")],
    )
    .await;
    assert_eq!(nearby.status, 422, "{}", nearby.body);
    assert!(
        nearby
            .body
            .contains("Závadu tohoto druhu už někdo nahlásil poblíž tohoto místa"),
        "{}",
        nearby.body
    );
    assert!(nearby.body.contains("Není to některé z těchto?"));
    assert!(nearby.body.contains(r#"name="nearby_seen" value="1""#));
    assert!(
        nearby
            .body
            .contains(r#"value="Údolní 567/53, Veveří, 602 00 Brno""#),
        "the address is filled in as the register writes it"
    );
    let earlier = nearby
        .body
        .split("href=\"/m/complaints/reports/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the report nearby")
        .to_owned();
    // Following it instead: its page offers to be told of its steps.
    let page = citizen.get(&format!("{BASE}/reports/{earlier}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Údolní 53"), "{}", page.body);
    assert!(page.body.contains(r#"name="email""#), "a form to follow it");

    // It is another one: sent, with the register's address and position.
    let filed = report(
        &citizen,
        &[
            ("address", "Údolní 567/53, Veveří, 602 00 Brno"),
            ("address_code", "19096101"),
            ("nearby_seen", "1"),
        ],
    )
    .await;
    let id = filed_id(&filed);
    assert_ne!(id, earlier);
    let page = citizen.get(&format!("{BASE}/reports/{id}")).await;
    assert!(
        page.body.contains("Údolní 567/53, Veveří, 602 00 Brno"),
        "{}",
        page.body
    );

    // A pin alone is named by the nearest address; far from other reports,
    // it is sent at once.
    let filed = report(
        &citizen,
        &[("address.lat", "49.22103"), ("address.lon", "16.50500")],
    )
    .await;
    let id = filed_id(&filed);
    let page = citizen.get(&format!("{BASE}/reports/{id}")).await;
    assert!(
        page.body.contains("Bystrc č. ev. 12, 635 00 Brno"),
        "{}",
        page.body
    );

    // An address the register does not know is kept as typed.
    let filed = report(&citizen, &[("address", "U Lípy u hřiště")]).await;
    let id = filed_id(&filed);
    let page = citizen.get(&format!("{BASE}/reports/{id}")).await;
    assert!(page.body.contains("U Lípy u hřiště"), "{}", page.body);

    // "None of these" keeps a street as written; a decimal comma is a point.
    assert!(
        choose
            .body
            .contains("Žádná z nich: ponechat místo, jak jsem je napsal(a)")
    );
    let filed = report(
        &citizen,
        &[("address", "Údolní, u školy"), ("address_code", "typed")],
    )
    .await;
    let id = filed_id(&filed);
    let page = citizen.get(&format!("{BASE}/reports/{id}")).await;
    assert!(page.body.contains("Údolní, u školy"), "{}", page.body);
    let filed = report(
        &citizen,
        &[("address.lat", "49,20651"), ("address.lon", "16,58597")],
    )
    .await;
    let id = filed_id(&filed);
    let page = citizen.get(&format!("{BASE}/reports/{id}")).await;
    assert!(
        page.body
            .contains("Žabovřeská 1022/12, Žabovřesky, 616 00 Brno"),
        "{}",
        page.body
    );
}

/// Runs `script` in the page and gives back what it returns.
async fn js(browser: &Chromium, script: &str) -> serde_json::Value {
    browser
        .client
        .execute(script, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Waits until `script` returns true.
async fn until(browser: &Chromium, what: &str, script: &str) {
    for _ in 0..100 {
        if js(browser, script).await == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what} never happened");
}

#[tokio::test]
async fn a_citizen_registers_finds_the_pothole_on_the_map_follows_the_report_there_files_another_and_an_official_finds_it_by_area()
 {
    let tiles = TileServer::start().await;
    let smtp = SmtpSink::start(0).await;
    let portal = portal_mailing(Some(&tiles), Some(&smtp)).await;
    let addr = portal.serve().await;
    let english = catalog::english_texts();
    // The city's areas, one of them out in Bystrc with a unit of its own.
    let manager = Browser::new(addr);
    assert_eq!(manager.log_in("hana", PASSWORD).await.status, 303);
    let mut areas: serde_json::Value = serde_json::from_str(&areas_geojson(true)).expect("GeoJSON");
    areas["features"]
        .as_array_mut()
        .expect("features")
        .push(serde_json::json!({
            "type": "Feature",
            "properties": {"name": "Bystrc", "unit": "ÚMČ Brno-Bystrc, odbor dopravy"},
            "geometry": {"type": "Polygon", "coordinates": [[[16.49, 49.215], [16.52, 49.215], [16.52, 49.228], [16.49, 49.228], [16.49, 49.215]]]},
        }));
    let imported = manager
        .submit(
            &format!("{BASE}/areas"),
            &format!("{BASE}/areas"),
            &[("geojson", &areas.to_string())],
        )
        .await;
    assert_eq!(imported.status, 303, "{}", imported.body);
    for (round, (lang, (w, h))) in [("cs", (320, 640)), ("en", (1366, 900))]
        .into_iter()
        .enumerate()
    {
        let step = |s: &str| format!("maps-place-{lang}-{w}-{s}");
        let b = Chromium::start(addr).await;
        b.set_size(w, h).await;
        b.open(&format!("/lang/{lang}")).await;

        // She registers, and confirms her address from the e-mail.
        let email = format!("eva.{lang}@example.cz");
        b.open("/auth/register").await;
        js(
            &b,
            &format!(
                "document.getElementById('r-name').value = 'Eva Dvořáková';
                 document.getElementById('r-email').value = '{email}';
                 document.getElementById('r-password').value = '{PASSWORD}';
                 document.getElementById('r-again').value = '{PASSWORD}';"
            ),
        )
        .await;
        b.check_step(&step("00-register"), lang, &english).await;
        b.click_css("main form button.primary").await;
        b.text_with(&email).await;
        portal.settle().await;
        let mail = smtp
            .received()
            .into_iter()
            .rev()
            .find(|m| m.to.contains(&email))
            .expect("the confirmation e-mail");
        let text = mail.text();
        let at = text.find("/auth/confirm/").expect("a link");
        let link = text[at..].split_whitespace().next().expect("the link");
        b.open(link).await;
        b.click_css("main form button.primary").await;
        b.text_with(if lang == "cs" {
            "Vaše adresa je potvrzena"
        } else {
            "Your address is confirmed"
        })
        .await;
        b.open("/lang/en").await;
        b.log_in(&email, PASSWORD).await;
        b.open(&format!("/lang/{lang}")).await;

        b.open(&format!("{BASE}/report?category=pothole")).await;
        b.wait_css("fieldset.place.drawn .leaflet-tile-loaded")
            .await;
        // The address as typed, found in the register: the pin goes there.
        js(
            &b,
            "document.getElementById('f-address').value = 'udolni 53'",
        )
        .await;
        b.click_css("fieldset.place .place-tools button").await;
        until(
            &b,
            "the address found",
            "return document.getElementById('f-address-lat').value !== ''",
        )
        .await;
        let found = js(
            &b,
            "return [document.getElementById('f-address').value,
                     document.getElementById('f-address-lat').value,
                     document.getElementById('f-address-lon').value,
                     document.querySelectorAll('fieldset.place .leaflet-marker-icon.map-pin').length]",
        )
        .await;
        assert_eq!(
            found[0], "Údolní 567/53, Veveří, 602 00 Brno",
            "{lang}: {found}"
        );
        assert_eq!(found[3], 1, "{lang}: one pin");
        let (lat, lon): (f64, f64) = (
            found[1]
                .as_str()
                .and_then(|v| v.parse().ok())
                .expect("a latitude"),
            found[2]
                .as_str()
                .and_then(|v| v.parse().ok())
                .expect("a longitude"),
        );
        assert!(
            addresses::metres((lat, lon), (49.19902, 16.59594)) < 3.0,
            "{lang}: {found}"
        );
        js(
            &b,
            "document.querySelector('fieldset.place').scrollIntoView()",
        )
        .await;
        b.check_step(&step("01-found"), lang, &english).await;

        // A tap a little north-west of it moves the pin, and the place is
        // named by the nearest address.
        let map = b
            .client
            .find(Locator::Css("fieldset.place .place-map"))
            .await
            .expect("the map");
        js(
            &b,
            "document.querySelector('fieldset.place .place-map').scrollIntoView({block: 'center'})",
        )
        .await;
        let (_, _, mw, mh) = map.rectangle().await.expect("its size");
        b.client
            .perform_actions(
                fantoccini::actions::MouseActions::new("mouse".into())
                    .then(fantoccini::actions::PointerAction::MoveToElement {
                        element: map.clone(),
                        duration: None,
                        x: -(mw / 8.0),
                        y: -(mh / 8.0),
                    })
                    .then(fantoccini::actions::PointerAction::Down {
                        button: fantoccini::actions::MOUSE_BUTTON_LEFT,
                    })
                    .then(fantoccini::actions::PointerAction::Up {
                        button: fantoccini::actions::MOUSE_BUTTON_LEFT,
                    }),
            )
            .await
            .expect("tapped");
        until(
            &b,
            "the pin moved",
            &format!(
                "return document.getElementById('f-address-lat').value !== '{}'",
                found[1].as_str().unwrap_or_default()
            ),
        )
        .await;
        until(
            &b,
            "the place named",
            "return document.querySelector('.place-status').textContent.includes(' m)')",
        )
        .await;
        let moved = js(
            &b,
            "return [parseFloat(document.getElementById('f-address-lat').value),
                     parseFloat(document.getElementById('f-address-lon').value),
                     document.querySelector('.place-status').textContent]",
        )
        .await;
        let (lat2, lon2) = (
            moved[0].as_f64().unwrap_or(0.0),
            moved[1].as_f64().unwrap_or(0.0),
        );
        assert!(
            lat2 > lat && lon2 < lon,
            "{lang}: north-west of the door: {moved}"
        );

        // Sent: the open report at that door is shown first.
        js(
            &b,
            "document.getElementById('f-description').value = 'Propadlý kanál u chodníku.';
             document.getElementById('f-attribute[depth]-1').checked = true;",
        )
        .await;
        b.click_css("main form button.primary").await;
        b.wait_css("input[name=nearby_seen]").await;
        b.check_step(&step("02-nearby"), lang, &english).await;

        // It is that one: the citizen follows it instead.
        let earlier = js(
            &b,
            "return document.querySelector('table a[href*=\"/reports/\"]').getAttribute('href')",
        )
        .await;
        b.open(earlier.as_str().expect("a link")).await;
        js(
            &b,
            &format!("document.querySelector('main input[type=email]').value = '{email}'"),
        )
        .await;
        b.click_css("main form button.primary").await;
        b.text_with(if lang == "cs" {
            "Podívejte se do své schránky"
        } else {
            "Look in your mailbox"
        })
        .await;
        b.check_step(&step("03-following"), lang, &english).await;

        // Then files another problem elsewhere, placed by the pin alone.
        b.open(&format!("{BASE}/report?category=pothole")).await;
        b.wait_css("fieldset.place.drawn").await;
        js(
            &b,
            &format!(
                "document.getElementById('f-description').value = 'Výtluk u vozovny ({lang}).';
                 document.getElementById('f-attribute[depth]-0').checked = true;
                 document.getElementById('f-address-lat').value = '49.22103';
                 document.getElementById('f-address-lon').value = '16.50500';"
            ),
        )
        .await;
        b.click_css("main form button.primary").await;
        b.text_with("Bystrc č. ev. 12, 635 00 Brno").await;
        // The second time, the first one's report is nearby: it is
        // another hole, and she sends it all the same.
        if round > 0 {
            b.wait_css("input[name=nearby_seen]").await;
            b.click_css("main form button.primary").await;
        }
        b.text_with(if lang == "cs" {
            "Děkujeme"
        } else {
            "Thank you"
        })
        .await;
        b.check_step(&step("04-filed"), lang, &english).await;

        // The official finds it in the inbox by its area: one more there.
        let inbox = manager
            .get(&format!("{BASE}/handle?status=open&area=Bystrc"))
            .await;
        assert_eq!(
            inbox.body.matches("href=\"/m/complaints/handle/").count(),
            round + 1,
            "{}",
            inbox.body
        );
        assert!(inbox.body.contains("Bystrc č. ev. 12"), "{}", inbox.body);
    }
    assert!(tiles.served() > 0);
}

/// Two areas of the city as a GIS exports them: Veveří around Údolní,
/// the centre around Kozí; `unit` of the second left out when asked.
fn areas_geojson(with_unit: bool) -> String {
    let rectangle = |s: f64, w: f64, n: f64, e: f64| {
        serde_json::json!([[[w, s], [e, s], [e, n], [w, n], [w, s]]])
    };
    let mut centre = serde_json::json!({"name": "Střed"});
    if with_unit {
        centre["unit"] = "ÚMČ Brno-střed, odbor dopravy".into();
    }
    serde_json::json!({
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Veveří", "unit": "Správa komunikací Veveří", "email": "veveri@test-city.example"},
                "geometry": {"type": "Polygon", "coordinates": rectangle(49.196, 16.590, 49.202, 16.602)},
            },
            {
                "type": "Feature",
                "properties": centre,
                "geometry": {"type": "MultiPolygon", "coordinates": [rectangle(49.190, 16.603, 49.196, 16.615)]},
            },
        ],
    })
    .to_string()
}

#[tokio::test]
async fn reports_inside_an_area_go_to_its_unit_and_officials_find_them_by_area() {
    let portal = portal_with_reports(None).await;
    let addr = portal.serve().await;
    let manager = Browser::new(addr);
    assert_eq!(manager.log_in("hana", PASSWORD).await.status, 303);
    manager.get("/lang/cs").await;

    // A feature without its unit: refused by its number, nothing changed.
    let refused = manager
        .submit(
            &format!("{BASE}/areas"),
            &format!("{BASE}/areas"),
            &[("geojson", &areas_geojson(false))],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Oblast 2 (Střed) nemá ve vlastnostech `unit`."),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Žádné oblasti"), "nothing was stored");

    let imported = manager
        .submit(
            &format!("{BASE}/areas"),
            &format!("{BASE}/areas"),
            &[("geojson", &areas_geojson(true))],
        )
        .await;
    assert_eq!(imported.status, 303, "{}", imported.body);
    let areas = manager.get(&format!("{BASE}/areas")).await;
    for part in [
        "Veveří",
        "Správa komunikací Veveří",
        "Střed",
        "ÚMČ Brno-střed, odbor dopravy",
    ] {
        assert!(areas.body.contains(part), "{part} in {}", areas.body);
    }

    // A citizen's report on Údolní goes to Veveří's unit.
    let citizen = Browser::new(addr);
    let filed = report(
        &citizen,
        &[
            ("address", "Údolní 567/53, Veveří, 602 00 Brno"),
            ("address.lat", "49.19906"),
            ("address.lon", "16.59600"),
            ("nearby_seen", "1"),
        ],
    )
    .await;
    let id = filed_id(&filed);
    let handling = manager.get(&format!("{BASE}/handle/{id}")).await;
    assert_eq!(handling.status, 200, "{}", handling.body);
    assert!(
        handling.body.contains("Správa komunikací Veveří") && handling.body.contains("Veveří"),
        "{}",
        handling.body
    );

    // The official finds it in the inbox by its area, and only it there:
    // the reports filed before the areas were set have none.
    let inbox = manager
        .get(&format!("{BASE}/handle?status=open&area=Veve%C5%99%C3%AD"))
        .await;
    assert_eq!(inbox.status, 200);
    let rows = inbox.body.matches("href=\"/m/complaints/handle/").count();
    assert_eq!(rows, 1, "{}", inbox.body);
    assert!(inbox.body.contains(&format!("/m/complaints/handle/{id}")));
    let everything = manager.get(&format!("{BASE}/handle?status=open")).await;
    assert_eq!(
        everything
            .body
            .matches("href=\"/m/complaints/handle/")
            .count(),
        4,
        "{}",
        everything.body
    );
}
