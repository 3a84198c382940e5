//! The first module's pages through HTTP: HTML, JSON, API, metrics, health.

use portico_tests::{TEST_CITY, TestPortal, demo_notices};

use crate::{HTML, JSON, get};

/// A portal with the notice board and the demo notices.
async fn board() -> TestPortal {
    let portal = TestPortal::builder().module("notice-board").build().await;
    portal
        .import(TEST_CITY, "notice-board", "notices", &demo_notices())
        .await;
    portal
}

#[tokio::test]
async fn notice_board_renders_as_an_accessible_html_page() {
    let portal = board().await;
    let got = get(&portal.app(), "/m/notice-board/", HTML).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(
        got.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = &got.body;
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    assert!(html.contains("<h1>Official notice board</h1>"), "{html}");
    // A notice still posted is in the first table, one taken down in the archive.
    let posted = html.find("Posted notices").expect("posted table");
    let archive = html.find("Notices taken down").expect("archive table");
    let hearing = html
        .find("Veřejné projednání změny územního plánu")
        .expect("current notice");
    let grants = html.find("dotace pro sportovní kluby").expect("old notice");
    assert!(
        posted < hearing && hearing < archive && archive < grants,
        "{html}"
    );
    // Tables are accessible: a caption and column headers with scope.
    assert!(html.contains("<caption>Posted notices</caption>"));
    assert!(html.contains("<th scope=\"col\">Notice</th>"));
    // An id with slashes is one path segment, and the detail page finds it.
    assert!(
        html.contains("href=\"/m/notice-board/notices/MMB%2F0412%2F2026\""),
        "{html}"
    );
    let detail = get(
        &portal.app(),
        "/m/notice-board/notices/MMB%2F0412%2F2026",
        HTML,
    )
    .await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert!(detail.body.contains("zasedací síni"), "{}", detail.body);
    // A strict content security policy and a request id on every page.
    let csp = got.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(!got.headers["x-request-id"].is_empty());
}

#[tokio::test]
async fn the_same_page_is_json_for_api_clients() {
    let portal = board().await;
    let got = get(&portal.app(), "/m/notice-board/", JSON).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(
        got.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let view: serde_json::Value = serde_json::from_str(&got.body).expect("JSON");
    assert_eq!(view["title"], "Official notice board");
    let blocks = view["blocks"].as_array().expect("blocks");
    let table = blocks
        .iter()
        .find(|b| b["type"] == "table" && b["caption"] == "Posted notices")
        .expect("a table block");
    // Every demo notice still posted today, the one coming down first on top.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let mut expected: Vec<(String, String)> = demo_notices()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|n| n["until"].as_str().unwrap() >= today.as_str())
        .map(|n| {
            (
                n["until"].as_str().unwrap().to_owned(),
                n["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    expected.sort();
    // Shown as an English reader writes a date.
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(until, title)| {
            let date = portico_sdk::calendar::parse_date(&until).unwrap();
            (portico_sdk::calendar::format_date(date, "en"), title)
        })
        .collect();
    let shown: Vec<(String, String)> = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[3]["text"].as_str().unwrap().to_owned(),
                r[0]["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(shown, expected, "{table}");
}

#[tokio::test]
async fn czech_visitors_get_czech_labels() {
    let portal = board().await;
    let request = axum::http::Request::get("/m/notice-board/")
        .header("accept-language", "cs-CZ,cs;q=0.9,en;q=0.5")
        .body(axum::body::Body::empty())
        .unwrap();
    let got = crate::send(&portal.app(), request).await;
    assert!(got.body.contains("<html lang=\"cs\">"), "{}", got.body);
    assert!(got.body.contains("Vyvěšená oznámení"), "{}", got.body);
}

#[tokio::test]
async fn the_api_route_answers_with_the_modules_json_and_settings_apply() {
    let notices = r#"{"reference":"A-1","title":"Road closure","published":"2026-01-01","until":"2999-12-31"}
                     {"reference":"A-2","title":"Old","published":"2020-01-01","until":"2020-02-01"}"#;
    let portal = TestPortal::builder()
        .module("notice-board")
        .setting("notice-board", "title", "Úřední deska obce Lhota")
        .build()
        .await;
    portal
        .import(TEST_CITY, "notice-board", "notices", notices)
        .await;
    let got = get(&portal.app(), "/m/notice-board/api/notices", JSON).await;
    assert_eq!(got.status, 200, "{}", got.body);
    let list: Vec<serde_json::Value> = serde_json::from_str(&got.body).expect("JSON list");
    assert_eq!(list.len(), 1, "only notices still posted: {list:?}");
    assert_eq!(list[0]["reference"], "A-1");
    let all = get(&portal.app(), "/m/notice-board/api/notices?all=1", JSON).await;
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&all.body)
            .unwrap()
            .len(),
        2
    );
    let page = get(&portal.app(), "/m/notice-board/", HTML).await;
    assert!(
        page.body.contains("<h1>Úřední deska obce Lhota</h1>"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn unknown_modules_and_pages_are_404_and_routes_outside_the_manifest_never_reach_the_module()
{
    let portal = TestPortal::builder().module("notice-board").build().await;
    assert_eq!(get(&portal.app(), "/m/nope/", HTML).await.status, 404);
    let got = get(&portal.app(), "/m/notice-board/admin/secret", JSON).await;
    assert_eq!(got.status, 404);
    assert!(got.body.contains("\"request_id\""), "{}", got.body);
    let missing = get(&portal.app(), "/m/notice-board/notices/NOPE", HTML).await;
    assert_eq!(
        missing.status, 404,
        "the module's own not-found: {}",
        missing.body
    );
}

/// GETs `path` as a browser set to `language` asks for it.
async fn in_language(app: &axum::Router, path: &str, language: &str) -> crate::Got {
    let request = axum::http::Request::get(path)
        .header("accept", "text/html")
        .header("accept-language", language)
        .body(axum::body::Body::empty())
        .unwrap();
    crate::send(app, request).await
}

#[tokio::test]
async fn an_unknown_path_a_modules_not_found_and_a_crash_each_get_a_page_in_the_visitors_language()
{
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("trapper")
        .build()
        .await;
    let app = portal.app();
    // (path, status, the Czech title and words, the English ones)
    let cases = [
        (
            "/nonexistent-page",
            404,
            ["Stránka nenalezena", "Na této adrese nic není."],
            ["Not found", "There is nothing at this address."],
        ),
        (
            "/m/notice-board/notices/NOPE",
            404,
            ["Stránka nenalezena", "Oznámení NOPE na desce není"],
            ["Not found", "There is no notice NOPE on the board"],
        ),
        (
            "/m/trapper/",
            500,
            [
                "Došlo k chybě",
                "Budete-li chybu hlásit, uveďte číslo požadavku.",
            ],
            [
                "Something went wrong",
                "Quote the request id when you report it.",
            ],
        ),
    ];
    for (path, status, cs, en) in cases {
        let czech = in_language(&app, path, "cs-CZ,cs;q=0.9").await;
        assert_eq!(czech.status, status, "{path}: {}", czech.body);
        for expected in [
            "<html lang=\"cs\">",
            "Přejít na obsah",
            "Číslo požadavku",
            "Zpět na portál",
        ]
        .into_iter()
        .chain(cs)
        {
            assert!(
                czech.body.contains(expected),
                "{path} in Czech lacks {expected}: {}",
                czech.body
            );
        }
        let english = in_language(&app, path, "en").await;
        assert_eq!(english.status, status);
        for expected in ["<html lang=\"en\">", "Request id", "Back to the portal"]
            .into_iter()
            .chain(en)
        {
            assert!(
                english.body.contains(expected),
                "{path} in English lacks {expected}: {}",
                english.body
            );
        }
        for czech_words in cs {
            assert!(!english.body.contains(czech_words), "{}", english.body);
        }
    }
    // An API client still gets JSON, its `error` in the same English words.
    let api = get(&app, "/nonexistent-page", JSON).await;
    assert_eq!(api.status, 404);
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(json["error"], "Not found", "{json}");
    assert_eq!(
        json["message"],
        "There is nothing at this address. It may have been moved or removed, or the address is mistyped."
    );
    // Below the administration API a client keeps its bare 404.
    let admin = get(&app, "/api/v1/no-such-thing", JSON).await;
    assert_eq!(admin.status, 404);
    assert!(admin.body.is_empty(), "{}", admin.body);
    assert!(json["request_id"].as_str().is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn health_and_metrics_report_per_module_calls() {
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("trapper")
        .build()
        .await;
    let app = portal.app();
    for _ in 0..3 {
        assert_eq!(get(&app, "/m/notice-board/", HTML).await.status, 200);
    }
    assert_eq!(get(&app, "/m/trapper/", HTML).await.status, 500);

    let health = get(&app, "/healthz", JSON).await;
    assert_eq!(health.status, 200);
    let health: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    assert_eq!(health["modules"], 2);

    let metrics = get(&app, "/metrics", "text/plain").await;
    assert_eq!(metrics.status, 200);
    let m = &metrics.body;
    assert!(
        m.contains(
            r#"portico_module_calls_total{module="notice-board",export="render",outcome="ok"} 3"#
        ),
        "{m}"
    );
    assert!(
        m.contains(
            r#"portico_module_calls_total{module="trapper",export="render",outcome="trap"} 1"#
        ),
        "{m}"
    );
    assert!(
        m.contains(
            r#"portico_module_call_duration_seconds_count{module="notice-board",export="render"} 3"#
        ),
        "{m}"
    );
    assert!(
        m.contains(r#"portico_module_switched_off{module="trapper"} 0"#),
        "{m}"
    );
}

#[tokio::test]
async fn a_proxys_request_id_is_kept_but_an_odd_one_is_replaced() {
    let portal = TestPortal::builder().module("notice-board").build().await;
    let with_id = |id: &str| {
        axum::http::Request::get("/m/notice-board/")
            .header("x-request-id", id)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let kept = crate::send(&portal.app(), with_id("lb-7f3a.42")).await;
    assert_eq!(kept.headers["x-request-id"], "lb-7f3a.42");
    let long = "a".repeat(200);
    for odd in ["<script>alert(1)</script>", long.as_str(), "a b"] {
        let got = crate::send(&portal.app(), with_id(odd)).await;
        let id = got.headers["x-request-id"].to_str().unwrap();
        assert_ne!(id, odd);
        assert_eq!(id.len(), 36, "a fresh UUID: {id}");
    }
}

#[tokio::test]
async fn the_language_chosen_in_the_header_is_remembered() {
    let portal = board().await;
    let addr = portal.serve().await;
    let browser = portico_tests::browser::Browser::new(addr);
    let english = browser
        .send(
            "GET",
            "/m/notice-board/",
            &[("accept-language", "en")],
            None,
        )
        .await;
    assert!(english.body.contains("<html lang=\"en\""));
    assert!(
        english
            .body
            .contains(r#"<a href="/lang/cs" lang="cs" hreflang="cs">Čeština</a>"#)
    );

    let odd = browser.get("/lang/de").await;
    assert_eq!(odd.status, 404);
    assert!(odd.body.contains("There is no language `de` here"));

    let chosen = browser
        .send(
            "GET",
            "/lang/cs",
            &[("referer", &format!("http://{addr}/m/notice-board/?page=2"))],
            None,
        )
        .await;
    assert_eq!(chosen.status, 303);
    assert_eq!(chosen.location(), "/m/notice-board/?page=2");
    let cookie = chosen.set_cookie("__Host-portico-lang").unwrap();
    assert!(
        cookie.contains("Max-Age=31536000") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // Chosen beats what the browser asks for, on every page after.
    let czech = browser
        .send(
            "GET",
            "/m/notice-board/",
            &[("accept-language", "en")],
            None,
        )
        .await;
    assert!(czech.body.contains("<html lang=\"cs\""), "{}", czech.body);
    assert!(czech.body.contains("Vyvěšená oznámení"));
    assert!(czech.body.contains(">English</a>"));
    let elsewhere = browser
        .send(
            "GET",
            "/lang/en",
            &[("referer", "https://evil.example/x")],
            None,
        )
        .await;
    assert_eq!(elsewhere.location(), "/", "never back to another site");
}

#[tokio::test]
async fn the_complaints_and_forms_manuals_are_read_in_czech_by_a_czech_reader() {
    let portal = TestPortal::builder()
        .module("complaints")
        .module("smart-forms")
        .build()
        .await;
    let app = portal.app();
    for (module, english, czech) in [
        (
            "complaints",
            "<h2>For handlers</h2>",
            "<h2>Pro řešitele</h2>",
        ),
        (
            "smart-forms",
            "<h2>For designers</h2>",
            "<h2>Pro návrháře</h2>",
        ),
    ] {
        let path = format!("/o/{TEST_CITY}/help/{module}");
        let manual = get(&app, &path, HTML).await;
        assert_eq!(manual.status, 200, "{}", manual.body);
        assert!(manual.body.contains(english), "{}", manual.body);
        let in_czech = crate::send(
            &app,
            axum::http::Request::get(&path)
                .header("accept-language", "cs")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(in_czech.status, 200, "{}", in_czech.body);
        assert!(in_czech.body.contains(czech), "{}", in_czech.body);
        assert!(!in_czech.body.contains(english), "{}", in_czech.body);
    }
}

#[tokio::test]
async fn every_page_of_a_module_leads_to_its_manual_rendered_safely() {
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("hostile")
        .build()
        .await;
    let app = portal.app();
    let board = get(&app, "/m/notice-board/", HTML).await;
    assert!(
        board
            .body
            .contains(r#"<a href="/help/notice-board">User manual</a>"#),
        "{}",
        board.body
    );
    let manual = get(&app, "/help/notice-board", HTML).await;
    assert_eq!(manual.status, 200, "{}", manual.body);
    assert!(
        manual
            .body
            .contains("<h1>Manual – Official notice board</h1>")
    );
    assert!(manual.body.contains("<h2>For editors</h2>"));
    assert!(manual.body.contains("<table>"));
    let czech = crate::send(
        &app,
        axum::http::Request::get("/help/notice-board")
            .header("accept-language", "cs")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        czech.body.contains("<h2>Pro editory</h2>"),
        "{}",
        czech.body
    );
    assert_eq!(get(&app, "/help/ledger", HTML).await.status, 404);
    assert_eq!(
        get(&app, "/o/nowhere/help/notice-board", HTML).await.status,
        404
    );

    let hostile = get(&app, "/help/hostile", HTML).await;
    assert_eq!(hostile.status, 200);
    assert!(
        hostile
            .body
            .contains("&lt;script&gt;window.pwned = 8&lt;/script&gt;"),
        "{}",
        hostile.body
    );
    assert!(!hostile.body.contains("javascript:"), "{}", hostile.body);
    assert!(!hostile.body.contains("<img"), "{}", hostile.body);
    assert!(
        hostile.body.contains(
            r#"<a href="https://portal.example/" rel="noopener noreferrer">fine link</a>"#
        )
    );
}
