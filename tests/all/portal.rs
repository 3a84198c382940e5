//! The assembled portal around the modules: several WIT versions served
//! side by side, the dashboard, breadcrumbs, tables the reader sorts and
//! pages through, the inbox and the organization switcher.

use portico_platform::identity::users::UserKind;
use portico_runtime::ApiVersion;
use portico_tests::browser::{Browser, hidden_field};
use portico_tests::{TEST_CITY, TestPortal, demo_notices};

use crate::{HTML, JSON, get};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn modules_built_against_every_version_serve_side_by_side() {
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("guestbook-010")
        .module("streets-020")
        .module("lineage-030")
        .module("places-040")
        .build()
        .await;
    portal
        .import(TEST_CITY, "notice-board", "notices", &demo_notices())
        .await;
    // The host reads the version each was built against from the component.
    assert_eq!(portal.module("guestbook").api_version(), ApiVersion::V0_1_0);
    assert_eq!(portal.module("streets").api_version(), ApiVersion::V0_2_0);
    assert_eq!(portal.module("lineage").api_version(), ApiVersion::V0_3_0);
    assert_eq!(portal.module("places").api_version(), ApiVersion::V0_4_0);
    assert_eq!(
        portal.module("notice-board").api_version(),
        ApiVersion::V0_5_0
    );

    let addr = portal.serve().await;
    let browser = Browser::new(addr);
    // The 0.1.0 module: its page, its form refused with the error at the
    // field, then accepted and stored through 0.1.0's `records`.
    let page = browser.get("/m/guestbook/").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("No entries yet."), "{}", page.body);
    let csrf = hidden_field(&page.body, "_csrf").expect("the form's CSRF token");
    let refused = browser
        .post_form("/m/guestbook/", &[("_csrf", &csrf), ("message", "  ")])
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"f-message-error\"")
            && refused.body.contains("Write a message."),
        "{}",
        refused.body
    );
    let signed = browser
        .post_form(
            "/m/guestbook/",
            &[("_csrf", &csrf), ("message", "Greetings from \"Brno\"")],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let after = browser.get(signed.location()).await;
    assert!(
        after.body.contains("Thank you for signing."),
        "{}",
        after.body
    );
    assert!(
        after.body.contains("Greetings from &quot;Brno&quot;"),
        "{}",
        after.body
    );
    // The 0.2.0 module next to it uses what 0.2.0 added: a table its
    // reader sorts, longest street first.
    let streets = browser.get("/m/streets/?sort=length&order=desc").await;
    assert_eq!(streets.status, 200, "{}", streets.body);
    let at = |name: &str| streets.body.find(name).expect(name);
    assert!(
        at("Údolní") < at("Cejl") && at("Cejl") < at("Bezručova"),
        "{}",
        streets.body
    );
    assert!(
        streets.body.contains("aria-sort=\"descending\""),
        "{}",
        streets.body
    );
    // The 0.3.0 module: the organizations above it, through 0.3.0's `orgs`.
    let lineage = browser.get("/m/lineage/").await;
    assert_eq!(lineage.status, 200, "{}", lineage.body);
    assert!(lineage.body.contains("City test-city"), "{}", lineage.body);
    // The 0.4.0 module: a form asking for a place (what 0.4.0 added),
    // drawn with its address and its two coordinates.
    let places = browser.get("/m/places/").await;
    assert_eq!(places.status, 200, "{}", places.body);
    assert!(
        places.body.contains("name=\"where\"") && places.body.contains("name=\"where.lat\""),
        "{}",
        places.body
    );
    // The 0.5.0 module (the SDK's) beside them.
    let board = browser.get("/m/notice-board/").await;
    assert_eq!(board.status, 200, "{}", board.body);
    assert!(
        board.body.contains("aria-sort=\"ascending\""),
        "{}",
        board.body
    );
    // All five are in one navigation.
    assert!(
        board.body.contains("Guest book")
            && board.body.contains("Notice board")
            && board.body.contains("Streets")
            && board.body.contains("Lineage")
            && board.body.contains("Places")
    );
}

#[tokio::test]
async fn the_dashboard_gathers_the_modules_figures_and_the_services() {
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("guestbook-010")
        .build()
        .await;
    portal
        .import(TEST_CITY, "notice-board", "notices", &demo_notices())
        .await;
    let board = get(&portal.app(), "/m/notice-board/", JSON).await;
    let view: serde_json::Value = serde_json::from_str(&board.body).expect("JSON");
    let posted = view["blocks"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["type"] == "table"))
        .and_then(|t| t["rows"].as_array())
        .map_or(0, Vec::len);
    assert!(posted > 0, "the demo has posted notices");

    let home = get(&portal.app(), "/", HTML).await;
    assert_eq!(home.status, 200, "{}", home.body);
    let html = &home.body;
    // The notice board's panel, headed by its menu label and linking to it,
    // with its figure; the guest book has no dashboard page, so no panel.
    assert!(
        html.contains("<h2><a href=\"/m/notice-board/dashboard\">Notice board</a></h2>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<span class=\"stat-value\">{posted}</span>")),
        "{html}"
    );
    assert!(html.contains("Notices posted"), "{html}");
    // Then every service.
    let services = html.find("<h2>Services</h2>").expect("the services");
    assert!(
        html[services..].contains("href=\"/m/guestbook/\""),
        "{html}"
    );
    // In Czech, the module answers in Czech.
    let czech = crate::send(
        &portal.app(),
        axum::http::Request::get("/")
            .header("accept", HTML)
            .header("accept-language", "cs")
            .body(axum::body::Body::empty())
            .expect("a request"),
    )
    .await;
    assert!(czech.body.contains("Vyvěšená oznámení"), "{}", czech.body);
    // The module's own Czech name, from its manifest, heads its panel.
    assert!(
        czech
            .body
            .contains("<h2><a href=\"/m/notice-board/dashboard\">Úřední deska</a></h2>"),
        "{}",
        czech.body
    );
    assert!(czech.body.contains("<h2>Služby</h2>"), "{}", czech.body);
}

#[tokio::test]
async fn readers_sort_the_notices_and_page_through_them_with_breadcrumbs_to_go_back() {
    let portal = TestPortal::builder().module("notice-board").build().await;
    // 25 notices posted until the far future: more than one page of 20.
    let lines: String = (1..=25)
        .map(|i| {
            format!(
                "{}\n",
                serde_json::json!({
                    "reference": format!("REF-{i:03}"),
                    "title": format!("Notice number {i}"),
                    "department": if i % 2 == 0 { "Building" } else { "Finance" },
                    "published": "2026-01-01",
                    "until": format!("2099-01-{:02}", i),
                })
            )
        })
        .collect();
    portal
        .import(TEST_CITY, "notice-board", "notices", &lines)
        .await;
    let app = portal.app();

    // By default the soonest to come down first; 20 on the first page.
    let first = get(&app, "/m/notice-board/", HTML).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let html = &first.body;
    assert!(html.contains("Notice number 1<") && html.contains("Notice number 20<"));
    assert!(!html.contains("Notice number 21<"), "{html}");
    // The column it is sorted by says so; its heading re-sorts the other way.
    assert!(
        html.contains(
            "aria-sort=\"ascending\"><a class=\"sort\" href=\"?sort=until&amp;order=desc\""
        ),
        "{html}"
    );
    assert!(
        html.contains("aria-sort=\"none\"><a class=\"sort\" href=\"?sort=title&amp;order=asc\""),
        "{html}"
    );
    // The next page follows the same order.
    let next = html
        .split("rel=\"next\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link to the next page")
        .replace("&amp;", "&");
    let second = get(&app, &next, HTML).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert!(second.body.contains("Notice number 21<") && second.body.contains("Notice number 25<"));
    assert!(
        !second.body.contains("Notice number 20<"),
        "{}",
        second.body
    );
    assert!(second.body.contains("rel=\"prev\""), "{}", second.body);
    assert!(!second.body.contains("rel=\"next\""), "{}", second.body);

    // Sorted by title, Z to A, as the heading's link asks.
    let by_title = get(&app, "/m/notice-board/?sort=title&order=desc", HTML).await;
    let body = &by_title.body;
    let (a, b) = (
        body.find("Notice number 9<").expect("the 9th"),
        body.find("Notice number 25<").expect("the 25th"),
    );
    assert!(a < b, "titles from Z to A: 9 before 25");
    assert!(body.contains("aria-sort=\"descending\""), "{body}");

    // A notice's page: Home › Notice board › the notice.
    let detail = get(&app, "/m/notice-board/notices/REF-007", HTML).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    let crumbs = detail
        .body
        .split("<nav class=\"breadcrumbs\"")
        .nth(1)
        .and_then(|s| s.split("</nav>").next())
        .expect("breadcrumbs");
    assert!(crumbs.contains("aria-label=\"Breadcrumb\""), "{crumbs}");
    assert!(
        crumbs.contains(&format!("<a href=\"/\">City {TEST_CITY}</a>")),
        "{crumbs}"
    );
    assert!(
        crumbs.contains("<a href=\"/m/notice-board/\">Notice board</a>"),
        "{crumbs}"
    );
    assert!(
        crumbs.contains("<span aria-current=\"page\">Notice number 7</span>"),
        "{crumbs}"
    );
}

#[tokio::test]
async fn a_user_reads_their_inbox_and_switches_between_their_organizations() {
    let portal = TestPortal::builder()
        .org("lhota")
        .module("notice-board")
        .build()
        .await;
    let jana = portal.user("jana", UserKind::Staff, PASSWORD).await;
    let petr = portal.user("petr", UserKind::Citizen, PASSWORD).await;
    let body = "The hearing is on 3 December.\nBring your ID.";
    portal
        .inbox_message(&jana, "Your <b>request</b> is accepted", body)
        .await;
    portal
        .inbox_message(&petr, "Petr's own message", body)
        .await;
    portal.grant(&jana, "lhota", "notice-board.editor").await;

    let addr = portal.serve().await;
    let browser = Browser::new(addr);
    // Logged out, the inbox asks to log in.
    let anonymous = browser.get("/inbox").await;
    assert_eq!(anonymous.status, 303);
    assert!(
        anonymous.location().starts_with("/auth/login?next="),
        "{}",
        anonymous.location()
    );

    assert_eq!(browser.log_in("jana", PASSWORD).await.status, 303);
    let home = browser.get("/").await;
    assert!(
        home.body
            .contains("<a href=\"/inbox\">Inbox <span class=\"badge\">1"),
        "{}",
        home.body
    );
    // The other organization Jana works in is one click away.
    assert!(
        home.body.contains("<a href=\"/o/lhota/\">City lhota</a>"),
        "{}",
        home.body
    );

    let inbox = browser.get("/inbox").await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    assert!(
        inbox
            .body
            .contains("Your &lt;b&gt;request&lt;/b&gt; is accepted"),
        "{}",
        inbox.body
    );
    assert!(
        inbox.body.contains("<p>Bring your ID.</p>"),
        "{}",
        inbox.body
    );
    assert!(!inbox.body.contains("Petr"), "only Jana's own messages");
    let action = inbox
        .body
        .split("action=\"")
        .find(|s| s.starts_with("/inbox/"))
        .and_then(|s| s.split('"').next())
        .expect("a mark-as-read form")
        .to_owned();
    // Without the CSRF token nothing changes.
    let forged = browser.post_form(&action, &[]).await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let csrf = inbox.csrf();
    let read = browser.post_form(&action, &[("_csrf", &csrf)]).await;
    assert_eq!(read.status, 303, "{}", read.body);
    let after = browser.get("/inbox").await;
    assert!(!after.body.contains("class=\"badge\""), "{}", after.body);
    assert!(
        after
            .body
            .contains("Your &lt;b&gt;request&lt;/b&gt; is accepted")
    );

    // Petr cannot mark Jana's message: it is not in his inbox.
    let other = Browser::new(addr);
    assert_eq!(other.log_in("petr", PASSWORD).await.status, 303);
    let csrf = other.csrf_token().await;
    let refused = other.post_form(&action, &[("_csrf", &csrf)]).await;
    assert_eq!(refused.status, 404, "{}", refused.body);
}

#[tokio::test]
async fn one_search_finds_what_the_modules_declare_and_only_what_the_visitor_may_open() {
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("ledger")
        .build()
        .await;
    portal
        .import(TEST_CITY, "notice-board", "notices", &demo_notices())
        .await;
    portal
        .import(
            TEST_CITY,
            "ledger",
            "entries",
            "{\"title\": \"Poplatky za projednání 2026\", \"kind\": \"fee\", \"amount\": 120}\n",
        )
        .await;
    let addr = portal.serve().await;
    let anonymous = Browser::new(addr);

    // Every page offers the search box.
    let home = anonymous.get("/").await;
    assert!(
        home.body.contains("action=\"/search\" role=\"search\""),
        "{}",
        home.body
    );

    // A citizen finds the notice, whatever the case of the term; the ledger's
    // entries are for staff, so its hit is not shown.
    let found = anonymous.get("/search?q=PROJEDN").await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(
        found.body.contains(
            "<a href=\"/m/notice-board/notices/MMB%2F0412%2F2026\">Veřejné projednání změny územního plánu č. 14</a>"
        ),
        "{}",
        found.body
    );
    assert!(
        !found.body.contains("Poplatky za projednání"),
        "{}",
        found.body
    );
    let notice = anonymous
        .get("/m/notice-board/notices/MMB%2F0412%2F2026")
        .await;
    assert_eq!(notice.status, 200, "the hit's page opens");

    // `%` and `_` are the term's own characters, not wildcards.
    let wildcard = anonymous.get("/search?q=%25").await;
    assert!(wildcard.body.contains("Nothing found"), "{}", wildcard.body);
    // A term that is too long is refused at the field.
    let long = anonymous
        .get(&format!("/search?q={}", "x".repeat(101)))
        .await;
    assert_eq!(long.status, 422, "{}", long.body);
    assert!(long.body.contains("id=\"q-error\""), "{}", long.body);

    // Staff of the city see the ledger's hit too, and it opens.
    let staff = portal.user("jana", UserKind::Staff, PASSWORD).await;
    portal.grant(&staff, TEST_CITY, "org-admin").await;
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("jana", PASSWORD).await.status, 303);
    let found = browser.get("/search?q=projedn").await;
    assert!(found.body.contains("<h2>Ledger</h2>"), "{}", found.body);
    let entry = found
        .body
        .split("href=\"")
        .find(|s| s.starts_with("/m/ledger/entries/"))
        .and_then(|s| s.split('"').next())
        .expect("a link to the entry")
        .to_owned();
    let page = browser.get(&entry).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<h1>Poplatky za projednání 2026</h1>"),
        "{}",
        page.body
    );
}
