//! Winter road maintenance as the road administration uses it: the
//! manager imports the network (a bad file is named and stores nothing),
//! citizens find their road, the dispatcher adds vehicles and pairs their
//! units, opens an event and gives routes out, the units report salting,
//! and the coverage shows priority I on time and a priority II section
//! late, on the event's map too; the log keeps every step. The dispatcher
//! plans the rota (nobody on two duties, a vehicle with one driver); the
//! weather service's CAP warning puts the dispatch on standby and names
//! who is on standby to call out; the dispatcher's alert of a closed pass and
//! its cancellation reach the rescue system, which refuses the first two
//! tries, in order and once each by key, and pass WMO's CAP validator
//! (the OASIS CAP 1.2 schema). Units of another organization, units
//! without the permission and reports that make no sense are refused.

use chrono::{Duration, Utc};
use chrono_tz::Europe::Prague;
use portico_host::workers::WorkerConfig;
use portico_platform::connections::{Credential, Setup};
use portico_platform::{audit, tokens};
use portico_runtime::api::CallContext;
use portico_tests::browser::{Browser, Page};
use portico_tests::chromium::Chromium;
use portico_tests::outside::{Outside, connection_python};
use portico_tests::winter::{Section, geojson, region};
use portico_tests::{TEST_CITY, TestPortal};

const PASSWORD: &str = "correct horse battery staple";
const BASE: &str = "/m/winter-dispatch";
const OTHER: &str = "other-district";

/// The test network near Jihlava: route A takes a priority I and a
/// priority III section, route B a priority II one; a lane nobody
/// maintains lies apart.
fn network() -> Vec<Section> {
    let mut a1 = Section::east("II/602-01", [15.55, 49.40], 2.0);
    a1.priority = "I";
    a1.route = "A".into();
    a1.name = "Jihlava – Pávov".into();
    a1.orp = "6108".into();
    let mut a3 = Section::east("III/3523-01", [15.55, 49.42], 2.0);
    a3.priority = "III";
    a3.route = "A".into();
    let mut b2 = Section::east("II/523-01", [15.60, 49.45], 2.0);
    b2.priority = "II";
    b2.treatment = "inert";
    b2.route = "B".into();
    b2.name = "Kosov – Hybrálec".into();
    let mut lane = Section::east("MK-77", [15.70, 49.48], 0.5);
    lane.priority = "0";
    lane.name = "Lesní cesta".into();
    vec![a1, a3, b2, lane]
}

async fn post_file(b: &Browser, page: &str, file: &str) -> Page {
    let form = b.get(&format!("{BASE}{page}")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    b.post_multipart(
        &format!("{BASE}{page}"),
        &[("_csrf", csrf.as_str())],
        ("network", "network.geojson", file.as_bytes()),
    )
    .await
}

async fn submit(b: &Browser, page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
    b.submit(&format!("{BASE}{page}"), &format!("{BASE}{path}"), fields)
        .await
}

/// Vera, the city's winter maintenance manager, logged in.
async fn manager(portal: &TestPortal, addr: std::net::SocketAddr) -> Browser {
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[("vera", &[(TEST_CITY, "winter-dispatch.manager")])],
        )
        .await;
    people.remove("vera").unwrap().1
}

/// The id in a redirect to `…/<prefix>/<id>`.
fn id_in(page: &Page, prefix: &str) -> String {
    page.redirected_id(&format!("{BASE}{prefix}/"))
}

async fn report(
    addr: std::net::SocketAddr,
    org: &str,
    token: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let path = if org == TEST_CITY {
        format!("http://{addr}{BASE}/api/v1/positions")
    } else {
        format!("http://{addr}/o/{org}/m/winter-dispatch/api/v1/positions")
    };
    let r = reqwest::Client::new()
        .post(path)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

/// The weather service's feed: snow drifts for the region's ORP (6108),
/// thunderstorms for another, in Czech and English.
fn chmi_feed(now: chrono::DateTime<Utc>) -> String {
    let t = |h: i64| {
        (now + Duration::hours(h))
            .with_timezone(&Prague)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    let info = |lang: &str, event: &str, code: &str, orp: &str| {
        format!(
            "<info><language>{lang}</language><category>Met</category><event>{event}</event>\
             <urgency>Immediate</urgency><severity>Moderate</severity><certainty>Likely</certainty>\
             <eventCode><valueName>SIVS</valueName><value>{code}</value></eventCode>\
             <onset>{}</onset><expires>{}</expires><senderName>ČHMÚ</senderName><headline>{event}</headline>\
             <area><areaDesc>ORP {orp}</areaDesc><geocode><valueName>CISORP</valueName><value>{orp}</value></geocode></area></info>",
            t(-1),
            t(12)
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>2.49.0.1.203.0.{}</identifier>\
         <sender>operator@chmi.cz</sender><sent>{}</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>{}{}{}{}</alert>",
        now.timestamp(),
        t(0),
        info("cs", "Sněhové jazyky na silnicích", "SJ", "6108"),
        info("en", "Snow drifts on the roads", "SJ", "6108"),
        info("cs", "Silné bouřky", "BO", "2101"),
        info("en", "Severe thunderstorms", "BO", "2101"),
    )
}

async fn connect(portal: &TestPortal, name: &str, base: &str) {
    portico_platform::connections::set(
        portal.db(),
        TEST_CITY,
        "winter-dispatch",
        name,
        &Setup::with(Some(base.to_owned()), Credential::None),
        "test",
    )
    .await
    .unwrap();
}

async fn run_job(portal: &TestPortal, job: &str) {
    let ctx = CallContext {
        org_id: TEST_CITY.into(),
        principal: None,
        request_id: format!("test-{job}"),
        locale: "cs".into(),
    };
    portal
        .module("winter-dispatch")
        .run_job(&ctx, job)
        .await
        .unwrap_or_else(|e| panic!("{job}: {e:?}"));
}

/// What WMO's `capvalidator` says of each message: `[valid, why]`.
fn validate_cap(messages: &[String]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut args = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let path = dir.path().join(format!("{i}.xml"));
        std::fs::write(&path, m).unwrap();
        args.push(path);
    }
    let out = std::process::Command::new(connection_python())
        .arg("-c")
        .arg(
            "import json, sys\n\
             from capvalidator import Validator\n\
             print(json.dumps([list(Validator(open(p, 'rb').read()).schema()) for p in sys.argv[1:]]))",
        )
        .args(&args)
        .output()
        .expect("capvalidator runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn position(at: chrono::DateTime<Utc>, p: [f64; 2], work: &str) -> serde_json::Value {
    serde_json::json!({
        "time": at.with_timezone(&Prague).to_rfc3339(),
        "lat": p[1], "lon": p[0], "speed_kmh": 35,
        "work": work, "rate_g_m2": 15, "material": if work == "salting" { "NaCl" } else { "" },
        "amount_kg": if work == "none" { 0.0 } else { 120.0 },
    })
}

#[tokio::test]
async fn a_winter_night_from_the_warning_to_the_cancelled_alert() {
    let portal = TestPortal::builder()
        .module("winter-dispatch")
        .org(OTHER)
        .setting("winter-dispatch", "orp-codes", "6108, 6107")
        .build()
        .await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[
                ("vera", &[(TEST_CITY, "winter-dispatch.manager")]),
                ("dan", &[(TEST_CITY, "winter-dispatch.dispatcher")]),
            ],
        )
        .await;
    let (_, manager) = people.remove("vera").unwrap();
    let (_, dispatcher) = people.remove("dan").unwrap();
    let citizen = Browser::new(addr);
    let sections = network();

    // A file with a polygon among the lines is refused by its feature,
    // and nothing is stored.
    let mut bad: serde_json::Value = serde_json::from_str(&geojson(&sections)).unwrap();
    bad["features"][2]["geometry"] = serde_json::json!({
        "type": "Polygon", "coordinates": [[[15.6, 49.45], [15.61, 49.45], [15.61, 49.46], [15.6, 49.45]]]
    });
    let refused = post_file(&manager, "/network", &bad.to_string()).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains(
            "Feature 3 (II/523-01): the geometry is not a LineString or a MultiLineString."
        ),
        "{}",
        refused.body
    );
    let public = citizen.get(&format!("{BASE}/")).await;
    assert!(public.body.contains("No section found."), "{}", public.body);

    // The network as it should be.
    let imported = post_file(&manager, "/network", &geojson(&sections)).await;
    assert_eq!(imported.status, 303, "{}", imported.body);
    let network = manager.get(imported.location()).await;
    assert!(
        network
            .body
            .contains("4 sections imported (4 new, 0 replaced); 2 routes new or renamed."),
        "{}",
        network.body
    );
    // A dispatcher may not change the network.
    assert_eq!(dispatcher.get(&format!("{BASE}/network")).await.status, 403);

    // A citizen finds the road, in Czech, and sees its order of maintenance.
    citizen.get("/lang/cs").await;
    let found = citizen.get(&format!("{BASE}/?q=pavov")).await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(
        found.body.contains("II/602-01 Jihlava – Pávov"),
        "{}",
        found.body
    );
    assert!(!found.body.contains("II/523-01"), "{}", found.body);
    let order = citizen.get(&format!("{BASE}/")).await;
    let (i, ii, iii) = (
        order.body.find("II/602-01").unwrap(),
        order.body.find("II/523-01").unwrap(),
        order.body.find("III/3523-01").unwrap(),
    );
    assert!(
        i < ii && ii < iii,
        "priority order I, II, III: {}",
        order.body
    );
    assert!(
        !order.body.contains("MK-77"),
        "not maintained is not in the order"
    );
    // The order on a map: each section a line in its priority's style,
    // with the key, and every line listed as text.
    assert!(
        order.body.contains(r#"<polyline class="road road-0""#),
        "{}",
        order.body
    );
    assert!(
        order.body.contains(r#"<polyline class="road road-2""#),
        "{}",
        order.body
    );
    let key = order
        .body
        .split(r#"<ul class="legend""#)
        .nth(1)
        .unwrap_or_default();
    assert!(
        key.contains("I. pořadí") && key.contains("III. pořadí"),
        "{}",
        order.body
    );
    let listed = order
        .body
        .split(r#"<ol class="lines">"#)
        .nth(1)
        .unwrap_or_default();
    assert!(
        listed.contains("II/602-01 Jihlava – Pávov</a> — I. pořadí"),
        "{}",
        order.body
    );
    citizen.get("/lang/en").await;

    // Two vehicles; their units report before they are paired.
    let mut vehicles = Vec::new();
    for (code, name) in [("S-1", "Tatra 815 sypač"), ("S-2", "MAN TGS s radlicí")] {
        let added = submit(
            &dispatcher,
            "/vehicles",
            "/vehicles",
            &[("code", code), ("name", name)],
        )
        .await;
        vehicles.push(id_in(&added, "/vehicles"));
    }
    let same = submit(
        &dispatcher,
        "/vehicles",
        "/vehicles",
        &[("code", "S-1"), ("name", "Again")],
    )
    .await;
    assert!(
        same.body.contains("Another vehicle has this call sign."),
        "{}",
        same.body
    );
    let mut units = Vec::new();
    for name in ["Unit in S-1", "Unit in S-2"] {
        let (secret, token) = tokens::create(
            portal.db(),
            "test",
            TEST_CITY,
            name,
            &["winter-dispatch.report".to_owned()],
            None,
        )
        .await
        .unwrap();
        units.push((secret, format!("token:{}", token.id)));
    }
    let now = Utc::now();
    let (status, body) = report(
        addr,
        TEST_CITY,
        &units[0].0,
        position(now, sections[0].at_km(1.0), "none"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "not-paired", "{body}");
    report(
        addr,
        TEST_CITY,
        &units[1].0,
        position(now, sections[2].at_km(1.0), "none"),
    )
    .await;
    let fleet = dispatcher.get(&format!("{BASE}/vehicles")).await;
    assert!(
        fleet.body.contains("Unit in S-1") && fleet.body.contains("Unit in S-2"),
        "{}",
        fleet.body
    );
    for (vehicle, (_, unit)) in vehicles.iter().zip(&units) {
        let page = format!("/vehicles/{vehicle}");
        let code = if vehicle == &vehicles[0] {
            "S-1"
        } else {
            "S-2"
        };
        let paired = submit(
            &dispatcher,
            &page,
            &page,
            &[("code", code), ("name", "Sypač"), ("unit", unit)],
        )
        .await;
        assert_eq!(paired.status, 303, "{}", paired.body);
    }
    // One unit cannot report for two vehicles.
    let page = format!("/vehicles/{}", vehicles[1]);
    let twice = submit(
        &dispatcher,
        &page,
        &page,
        &[("code", "S-2"), ("name", "Sypač"), ("unit", &units[0].1)],
    )
    .await;
    assert!(
        twice.body.contains("This unit reports for S-1 already."),
        "{}",
        twice.body
    );

    // The rota: Jan is on standby for two days from an hour ago, with S-1;
    // nobody is on two duties at once, nor S-1 with two drivers.
    let hour_ago = (now - Duration::hours(1)).with_timezone(&Prague);
    let (today, from) = (
        hour_ago.format("%Y-%m-%d").to_string(),
        hour_ago.format("%H:%M").to_string(),
    );
    let duty = |person: &'static str, kind: &'static str, vehicle: &'static str, until: String| {
        let (today, from) = (today.clone(), from.clone());
        move |days: &'static str| {
            vec![
                ("person", person.to_owned()),
                ("phone", "+420 777 000 111".to_owned()),
                ("role", "driver".to_owned()),
                ("kind", kind.to_owned()),
                ("vehicle", vehicle.to_owned()),
                ("date", today.clone()),
                ("from", from.clone()),
                ("until", until.clone()),
                ("days", days.to_owned()),
            ]
        }
    };
    let add = |fields: Vec<(&'static str, String)>| {
        let dispatcher = &dispatcher;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            submit(dispatcher, "/rota", "/rota", &fields).await
        }
    };
    let added = add(duty("Jan Novák", "standby", "S-1", from.clone())("2")).await;
    assert_eq!(added.status, 303, "{}", added.body);
    // A shift until an hour from now: still to come whatever the hour
    // (until 23:59 would be over already just after midnight).
    let soon = (now + Duration::hours(1))
        .with_timezone(&Prague)
        .format("%H:%M")
        .to_string();
    let twice = add(duty("jan novak", "shift", "", soon)("1")).await;
    assert!(
        twice
            .body
            .contains("jan novak is on duty then already: standby"),
        "{}",
        twice.body
    );
    // The form comes back as it was filled in.
    assert!(
        twice.body.contains(r#"<option value="shift" selected>"#),
        "{}",
        twice.body
    );
    let later = (now + Duration::hours(8))
        .with_timezone(&Prague)
        .format("%H:%M")
        .to_string();
    let second_driver = add(duty("Petra Malá", "shift", "S-1", later.clone())("1")).await;
    assert!(
        second_driver
            .body
            .contains("S-1 has a driver then already: Jan Novák"),
        "{}",
        second_driver.body
    );
    let petra = add(duty("Petra Malá", "shift", "S-2", later)("1")).await;
    assert_eq!(petra.status, 303, "{}", petra.body);
    let rota = dispatcher.get(&format!("{BASE}/rota")).await;
    let now_on = rota.body.split_once("On duty now").unwrap_or_default().1;
    let now_on = now_on.split("</table>").next().unwrap_or_default();
    assert!(
        now_on.contains("Jan Novák") && now_on.contains("Petra Malá"),
        "{}",
        rota.body
    );

    // The weather service warns of snow drifts in the region's ORP: the
    // dispatch is on standby; another region's thunderstorms are not shown.
    let chmi = Outside::start(0).await;
    let rescue = Outside::start(2).await;
    chmi.serve("/data/XOCZ50_OKPR.xml", "application/xml", &chmi_feed(now));
    connect(&portal, "chmi", &chmi.url("")).await;
    connect(&portal, "rescue", &rescue.url("/izs")).await;
    run_job(&portal, "warnings").await;
    run_job(&portal, "warnings").await;
    let standby = dispatcher.get(&format!("{BASE}/events")).await;
    assert!(standby.body.contains("Standby since"), "{}", standby.body);
    assert!(
        standby.body.contains("Snow drifts on the roads"),
        "{}",
        standby.body
    );
    assert!(!standby.body.contains("thunderstorms"), "{}", standby.body);
    assert!(
        standby.body.contains("yellow, low danger"),
        "the ČHMÚ's level: {}",
        standby.body
    );
    // Who to call out: those on standby, not those on shift.
    let call_out = standby
        .body
        .split_once("On standby now, to call out")
        .and_then(|(_, t)| t.split("</table>").next())
        .unwrap_or_default();
    assert!(
        call_out.contains("Jan Novák") && call_out.contains("+420 777 000 111"),
        "{}",
        standby.body
    );
    assert!(!call_out.contains("Petra Malá"), "{}", standby.body);
    let general_log = dispatcher.get(&format!("{BASE}/log")).await;
    assert!(
        general_log
            .body
            .contains("On standby: Jan Novák (driver, S-1)."),
        "{}",
        general_log.body
    );

    // The event began eight hours ago.
    let began = (now - Duration::hours(8)).with_timezone(&Prague);
    let opened = submit(
        &dispatcher,
        "/events",
        "/events",
        &[
            ("kind", "snowfall"),
            ("date", &began.format("%Y-%m-%d").to_string()),
            ("time", &began.format("%H:%M").to_string()),
            ("note", "Sněžení 10 cm, ČHMÚ výstraha"),
        ],
    )
    .await;
    let event = id_in(&opened, "/events");
    let live = format!("/events/{event}");
    for (route, vehicle) in [("A", &vehicles[0]), ("B", &vehicles[1])] {
        let given = submit(
            &dispatcher,
            &live,
            &live,
            &[("route", route), ("vehicle", vehicle)],
        )
        .await;
        assert_eq!(given.status, 303, "{}", given.body);
    }

    // S-1 salts the priority I section an hour in; S-2 reaches the
    // priority II section after seven hours, one past its six.
    let began = began.with_timezone(&Utc);
    let first_batch = serde_json::json!({ "positions": [
        position(began + Duration::minutes(60), sections[0].at_km(0.5), "salting"),
        position(began + Duration::minutes(62), sections[0].at_km(1.5), "salting"),
        position(began + Duration::minutes(70), [15.9, 49.9], "none"),
    ]});
    let (status, body) = report(addr, TEST_CITY, &units[0].0, first_batch.clone()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body["sections"],
        serde_json::json!(["II/602-01", "II/602-01", null]),
        "{body}"
    );
    let (status, body) = report(
        addr,
        TEST_CITY,
        &units[1].0,
        position(
            began + Duration::hours(7),
            sections[2].at_km(1.0),
            "gritting",
        ),
    )
    .await;
    assert_eq!(status, 202, "{body}");

    // A batch sent again (its answer was lost) is kept once.
    let (status, body) = report(addr, TEST_CITY, &units[0].0, first_batch.clone()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        (body["accepted"].as_u64(), body["already_kept"].as_u64()),
        (Some(0), Some(3)),
        "{body}"
    );

    // Reports that make no sense are named; in a batch, the rest is kept.
    let (status, body) = report(
        addr,
        TEST_CITY,
        &units[0].0,
        serde_json::json!({ "positions": [
            position(now, [15.9, 49.9], "none"),
            { "time": now.to_rfc3339(), "lat": 123.0, "lon": 15.5 },
        ]}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], 1, "{body}");
    assert_eq!(body["rejected"][0]["field"], "positions[1].lat", "{body}");
    let (status, body) = report(
        addr,
        TEST_CITY,
        &units[0].0,
        position(now + Duration::hours(2), sections[0].at_km(1.0), "salting"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("is in the future"), "{body}");

    // The dispatcher sees it live.
    let seen = dispatcher.get(&format!("{BASE}{live}")).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert!(seen.body.contains("S-1"), "{}", seen.body);
    assert!(
        seen.body.contains("100 %"),
        "priority I fully treated: {}",
        seen.body
    );
    // On the map: the priority I section treated in time, the priority II
    // one after its time, each listed with when it was first treated.
    let lines = seen
        .body
        .split(r#"<ol class="lines">"#)
        .nth(1)
        .and_then(|l| l.split("</ol>").next())
        .unwrap_or_default();
    assert!(
        lines.contains("II/602-01 · ") && lines.contains("— Treated within the response time"),
        "{}",
        seen.body
    );
    assert!(
        lines.contains("II/523-01 · ") && lines.contains("— Treated after the response time"),
        "{}",
        seen.body
    );
    assert!(
        seen.body.contains(r#"<polyline class="road road-1""#),
        "{}",
        seen.body
    );
    assert!(!lines.contains("III/3523-01"), "not treated: {}", seen.body);
    // Petra's shift is cut short: she is no longer on duty.
    let rota = dispatcher.get(&format!("{BASE}/rota")).await;
    let petra_duty = rota
        .body
        .split("<option value=\"")
        .skip(1)
        .find(|o| {
            o.split("</option>")
                .next()
                .unwrap_or_default()
                .contains("Petra Malá")
        })
        .and_then(|o| o.split('"').next())
        .expect("Petra's duty to take out")
        .to_owned();
    let taken = submit(&dispatcher, "/rota", "/rota", &[("duty", &petra_duty)]).await;
    assert_eq!(taken.status, 303, "{}", taken.body);
    let rota = dispatcher.get(taken.location()).await;
    let now_on = rota.body.split_once("On duty now").unwrap_or_default().1;
    let now_on = now_on.split("</table>").next().unwrap_or_default();
    assert!(
        now_on.contains("Jan Novák") && !now_on.contains("Petra Malá"),
        "{}",
        rota.body
    );

    // Coverage: priority I on time, the priority II section late.
    let coverage = dispatcher.get(&format!("{BASE}{live}/coverage")).await;
    assert_eq!(coverage.status, 200, "{}", coverage.body);
    let late = coverage.body.split("Sections late").last().unwrap();
    assert!(
        late.contains("II/523-01 Kosov – Hybrálec"),
        "{}",
        coverage.body
    );
    assert!(!late.contains("II/602-01"), "{}", coverage.body);
    assert!(
        !late.contains("III/3523-01"),
        "III still has time: {}",
        coverage.body
    );
    assert!(coverage.body.contains("NaCl"), "{}", coverage.body);

    // A citizen sees when the road was treated (while a vehicle keeps
    // treating a section, that is written every quarter of an hour).
    let road = citizen.get(&format!("{BASE}/?q=602")).await;
    let treated_at = (began + Duration::minutes(60))
        .with_timezone(&Prague)
        .format("%H:%M")
        .to_string();
    assert!(
        road.body.contains(&treated_at),
        "{treated_at}: {}",
        road.body
    );

    // The pass is closed: an alert to the rescue system, cancelled later.
    let issued = submit(
        &dispatcher,
        "/alerts",
        "/alerts",
        &[
            ("kind", "closure"),
            ("severity", "Severe"),
            ("sections", "II/602-01"),
            ("headline_cs", "Uzavřen průsmyk u Pávova"),
            ("headline_en", "Pass near Pávov closed"),
            ("description_cs", "Sněhové jazyky, stojící kamiony."),
            ("description_en", "Snow drifts, lorries stuck."),
        ],
    )
    .await;
    let alert = id_in(&issued, "/alerts");
    let page = format!("/alerts/{alert}");
    let cancelled = dispatcher
        .send(
            "POST",
            &format!("{BASE}{page}"),
            &[("accept", "text/html")],
            Some((
                format!(
                    "_csrf={}&_button=cancel&severity=Severe",
                    dispatcher.get(&format!("{BASE}{page}")).await.csrf()
                ),
                "application/x-www-form-urlencoded",
            )),
        )
        .await;
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    let quickly = WorkerConfig {
        backoff: std::time::Duration::ZERO,
        ..WorkerConfig::default()
    };
    for _ in 0..6 {
        portal.send_deliveries(&quickly).await;
    }
    let got = rescue.accepted();
    assert_eq!(rescue.received().len(), 4, "two refused, then each once");
    assert_eq!(got.len(), 2, "the alert and its cancellation, once each");
    assert!(got.iter().all(|r| r.path == "/izs/cap"));
    let (first, second) = (got[0].text(), got[1].text());
    assert!(first.contains("<msgType>Alert</msgType>"), "{first}");
    assert!(second.contains("<msgType>Cancel</msgType>"), "{second}");
    let identifier = got[0].header("idempotency-key").unwrap().to_owned();
    assert!(
        second.contains(&format!(",{identifier},")),
        "the cancellation refers to the alert: {second}"
    );
    assert_ne!(got[1].header("idempotency-key").unwrap(), identifier);
    assert_eq!(
        first.matches("<value>6108</value>").count(),
        2,
        "the section's ORP, in each language: {first}"
    );
    assert!(!first.contains("6107"), "{first}");
    for needle in [
        "<language>cs-CZ</language>",
        "<language>en-GB</language>",
        "<polygon>",
    ] {
        assert!(first.contains(needle), "{needle}: {first}");
    }
    assert!(first.contains("Uzavřen průsmyk u Pávova") && first.contains("Pass near Pávov closed"));
    let verdicts = validate_cap(&[first, second]);
    for v in verdicts.as_array().unwrap() {
        assert_eq!(v[0], true, "CAP 1.2: {v}");
    }
    let shown = dispatcher.get(&format!("{BASE}{page}")).await;
    assert!(shown.body.contains("cancelled"), "{}", shown.body);
    assert_eq!(
        shown.body.matches("yes,").count(),
        2,
        "both delivered: {}",
        shown.body
    );

    // The log, and the audit chain under it.
    let written = submit(
        &dispatcher,
        &live,
        &live,
        &[("entry", "Pass Pávov closed by the police at 3:10.")],
    )
    .await;
    assert_eq!(written.status, 303, "{}", written.body);
    let closed = submit(&dispatcher, &live, &format!("{live}/close"), &[]).await;
    assert_eq!(closed.status, 303, "{}", closed.body);
    let number = format!("{}%2F01", now.with_timezone(&Prague).format("%Y"));
    let log = dispatcher.get(&format!("{BASE}/log?event={number}")).await;
    for said in [
        "Route A (Jihlava A) assigned to S-1.",
        "Route B (Jihlava B) assigned to S-2.",
        "Pass Pávov closed by the police at 3:10.",
        "closed at",
    ] {
        assert!(log.body.contains(said), "{said}: {}", log.body);
    }
    let actions: Vec<String> = audit::entries(portal.db(), TEST_CITY)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "network.imported",
        "warning.received",
        "standby.opened",
        "vehicle.paired",
        "event.opened",
        "route.assigned",
        "alert.issued",
        "alert.cancelled",
        "log.entry",
        "event.closed",
        "rota.added",
        "rota.removed",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} audited: {actions:?}"
        );
    }
    // Closing released the vehicles, and the season counts the event.
    let fleet = dispatcher.get(&format!("{BASE}/vehicles")).await;
    assert!(!fleet.body.contains(">A<"), "{}", fleet.body);
    let season = dispatcher.get(&format!("{BASE}/season")).await;
    assert!(season.body.contains("Snowfall"), "{}", season.body);
    let (status, _) = report(
        addr,
        TEST_CITY,
        &units[0].0,
        position(Utc::now(), sections[0].at_km(1.0), "salting"),
    )
    .await;
    assert_eq!(status, 202, "a unit still reports after the event");
}

#[tokio::test]
async fn units_of_another_organization_or_without_the_permission_are_refused() {
    let portal = TestPortal::builder()
        .module("winter-dispatch")
        .org(OTHER)
        .build()
        .await;
    let addr = portal.serve().await;
    let token = |org: &'static str, permission: &'static str| {
        let db = portal.db().clone();
        async move {
            tokens::create(&db, "test", org, "Unit", &[permission.to_owned()], None)
                .await
                .unwrap()
                .0
        }
    };
    let theirs = token(OTHER, "winter-dispatch.report").await;
    let unrelated = token(TEST_CITY, "winter-dispatch.dispatch").await;
    let body = position(Utc::now(), [15.55, 49.40], "salting");
    let (status, _) = report(addr, TEST_CITY, &theirs, body.clone()).await;
    assert!(
        status == 401 || status == 403,
        "another organization's unit: {status}"
    );
    let (status, _) = report(addr, TEST_CITY, &unrelated, body.clone()).await;
    assert_eq!(status, 403, "a token without `report`");
    let anonymous = reqwest::Client::new()
        .post(format!("http://{addr}{BASE}/api/v1/positions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    // Nothing of theirs is listed for pairing here.
    let units = portal
        .documents(TEST_CITY, "winter-dispatch", "units")
        .await;
    assert!(units.is_empty(), "{units:?}");
}

/// Every page of the module, as the citizen and the dispatcher see them,
/// in Czech and English on a phone and a desktop: no WCAG 2.1 A/AA
/// violation (axe-core), nothing wider than the screen.
#[tokio::test]
async fn every_page_reads_in_czech_and_english_on_a_phone_and_a_desktop() {
    let portal = TestPortal::builder()
        .module("winter-dispatch")
        .setting("winter-dispatch", "orp-codes", "6108")
        .build()
        .await;
    let addr = portal.serve().await;
    let vera = manager(&portal, addr).await;
    let sections = network();
    assert_eq!(
        post_file(&vera, "/network", &geojson(&sections))
            .await
            .status,
        303
    );
    let vehicle = id_in(
        &submit(
            &vera,
            "/vehicles",
            "/vehicles",
            &[("code", "S-1"), ("name", "Tatra 815")],
        )
        .await,
        "/vehicles",
    );
    let chmi = Outside::start(0).await;
    let rescue = Outside::start(0).await;
    let now = Utc::now();
    chmi.serve("/data/XOCZ50_OKPR.xml", "application/xml", &chmi_feed(now));
    connect(&portal, "chmi", &chmi.url("")).await;
    connect(&portal, "rescue", &rescue.url("")).await;
    let hour_ago = (now - Duration::hours(1)).with_timezone(&Prague);
    let on_standby = submit(
        &vera,
        "/rota",
        "/rota",
        &[
            ("person", "Jan Novák"),
            ("phone", "+420 777 000 111"),
            ("role", "driver"),
            ("kind", "standby"),
            ("vehicle", "S-1"),
            ("date", &hour_ago.format("%Y-%m-%d").to_string()),
            ("from", &hour_ago.format("%H:%M").to_string()),
            ("until", "6:00"),
            ("days", "3"),
        ],
    )
    .await;
    assert_eq!(on_standby.status, 303, "{}", on_standby.body);
    run_job(&portal, "warnings").await;
    let began = (now - Duration::hours(4)).with_timezone(&Prague);
    let event = id_in(
        &submit(
            &vera,
            "/events",
            "/events",
            &[
                ("kind", "black-ice"),
                ("date", &began.format("%Y-%m-%d").to_string()),
                ("time", &began.format("%H:%M").to_string()),
            ],
        )
        .await,
        "/events",
    );
    let live = format!("/events/{event}");
    submit(
        &vera,
        &live,
        &live,
        &[("route", "A"), ("vehicle", &vehicle)],
    )
    .await;
    let alert = id_in(
        &submit(
            &vera,
            "/alerts",
            "/alerts",
            &[
                ("kind", "hazard"),
                ("severity", "Moderate"),
                ("sections", "II/602-01"),
                ("headline_cs", "Náledí u Pávova"),
                ("headline_en", "Black ice near Pávov"),
            ],
        )
        .await,
        "/alerts",
    );
    let section = portal
        .documents(TEST_CITY, "winter-dispatch", "sections")
        .await;
    assert!(!section.is_empty());
    let found = vera.get(&format!("{BASE}/?q=602")).await;
    let section_link = found
        .body
        .split("/m/winter-dispatch/sections/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the section")
        .to_owned();
    let paths: Vec<String> = [
        "/".to_owned(),
        format!("/sections/{section_link}"),
        "/network".to_owned(),
        format!("/vehicles/{vehicle}"),
        "/events".to_owned(),
        live.clone(),
        format!("{live}/coverage"),
        "/log".to_owned(),
        "/rota".to_owned(),
        format!("/alerts/{alert}"),
    ]
    .iter()
    .map(|p| format!("{BASE}{p}"))
    .collect();
    let browser = Chromium::start(addr).await;
    browser.log_in("vera", PASSWORD).await;
    browser.check_pages("70-winter", &paths).await;
}

/// A network loaded with `portico records import` (as the demo's is)
/// matches positions once the `tiles` job has built its grid; a file
/// imported then rebuilds only the tiles it reaches, at once.
#[tokio::test]
async fn sections_loaded_by_records_import_are_matched_once_the_tiles_job_ran() {
    let portal = TestPortal::builder()
        .module("winter-dispatch")
        .build()
        .await;
    let addr = portal.serve().await;
    let line = [[15.55, 49.40], [15.56, 49.40], [15.57, 49.40]];
    portal
        .import(
            TEST_CITY,
            "winter-dispatch",
            "sections",
            &serde_json::json!({
                "code": "II/602-01", "road": "II/602", "name": "Jihlava – Pávov", "owner": "Kraj",
                "priority": 1, "treatment": "chemical", "route": "A", "length_m": 1450.0,
            })
            .to_string(),
        )
        .await;
    portal
        .import(
            TEST_CITY,
            "winter-dispatch",
            "shapes",
            &serde_json::json!({ "net": 1, "code": "II/602-01", "lines": [line], "checksum": 1.0 })
                .to_string(),
        )
        .await;
    let (secret, token) = tokens::create(
        portal.db(),
        "test",
        TEST_CITY,
        "Unit",
        &["winter-dispatch.report".to_owned()],
        None,
    )
    .await
    .unwrap();
    portal
        .import(
            TEST_CITY,
            "winter-dispatch",
            "vehicles",
            &serde_json::json!({ "code": "S-9", "name": "Sypač", "unit": format!("token:{}", token.id) })
                .to_string(),
        )
        .await;
    let on_the_road = position(Utc::now(), [15.565, 49.4001], "none");
    let (status, body) = report(addr, TEST_CITY, &secret, on_the_road.clone()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body["sections"],
        serde_json::json!([null]),
        "no grid yet: {body}"
    );
    // With a network of some hundred more sections around Jihlava, the
    // job builds the grid again a page of shapes a call.
    let more = region(650);
    let shapes: Vec<String> = more
        .iter()
        .map(|m| {
            serde_json::json!({ "net": 1, "code": m.code, "lines": [m.line], "checksum": 2.0 })
                .to_string()
        })
        .collect();
    portal
        .import(TEST_CITY, "winter-dispatch", "shapes", &shapes.join("\n"))
        .await;
    run_job(&portal, "tiles").await;
    let quickly = WorkerConfig {
        backoff: std::time::Duration::ZERO,
        ..WorkerConfig::default()
    };
    let mut steps = 0;
    while portal.dispatch(&quickly).await > 0 {
        steps += 1;
        assert!(steps < 50, "the rebuild ends");
    }
    assert!(
        steps >= 4,
        "cleared, then three pages of shapes: {steps} steps"
    );
    let (status, body) = report(
        addr,
        TEST_CITY,
        &secret,
        position(
            Utc::now() + Duration::seconds(1),
            more[640].at_km(0.7),
            "none",
        ),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["sections"][0], more[640].code.as_str(), "{body}");
    let (status, body) = report(
        addr,
        TEST_CITY,
        &secret,
        position(Utc::now() + Duration::seconds(2), [15.565, 49.4001], "none"),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["sections"], serde_json::json!(["II/602-01"]), "{body}");

    // The manager moves the section 2 km north and adds another farther
    // on: positions match what the file brings at once, and no longer the
    // section's old place, without waiting for the job.
    let manager = manager(&portal, addr).await;
    let mut moved = Section::east("II/602-01", [15.55, 49.42], 2.0);
    moved.priority = "I";
    let mut farther = Section::east("III/3523-01", [15.55, 49.47], 2.0);
    farther.priority = "III";
    let imported = post_file(&manager, "/network", &geojson(&[moved, farther])).await;
    assert_eq!(imported.status, 303, "{}", imported.body);
    for (second, (at, expected)) in [
        ([15.565, 49.4001], serde_json::Value::Null),
        ([15.565, 49.4201], serde_json::json!("II/602-01")),
        ([15.565, 49.4701], serde_json::json!("III/3523-01")),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, body) = report(
            addr,
            TEST_CITY,
            &secret,
            position(
                Utc::now() + Duration::seconds(2 + second as i64),
                at,
                "none",
            ),
        )
        .await;
        assert_eq!(status, 202, "{body}");
        assert_eq!(body["sections"][0], expected, "{at:?}: {body}");
    }

    // A file of more sections than one import stores in time is refused
    // whole, saying how to split it.
    let refused = post_file(&manager, "/network", &geojson(&region(5_001))).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("The file holds 5001 sections; import at most 5,000 at a time"),
        "{}",
        refused.body
    );
}
