//! The three journeys people make through the portal, walked in a real
//! browser in Czech and in English, on a desktop (1366 px), a phone
//! (390 px) and a small phone (320 px): a citizen reports a problem from
//! the front door and submits a form, then finds it in their overview; an official finds
//! their work from the header alone and handles a report; an
//! administrator enables a module and publishes the accessibility
//! statement. Every step is checked: in the portal's frame, no WCAG 2.1
//! A/AA violation nor one of WCAG 2.2's target size (axe-core), no page
//! wider than the screen, and on a Czech page no English text of the
//! portal's catalog. Screenshots of each step land in
//! `target/screenshots/journey-…`.

use fantoccini::Locator;
use portico_platform::identity::users::UserKind;
use portico_tests::chromium::Chromium;
use portico_tests::{TEST_CITY, TestPortal, catalog};

const PASSWORD: &str = "correct horse battery";

/// The languages and window widths every journey is walked in.
const LANGUAGES: [&str; 2] = ["cs", "en"];
const WIDTHS: [(u32, u32); 3] = [(1366, 900), (390, 844), (320, 640)];

const POTHOLE: &str = r#"{"code": "pothole", "name": "Výtluk", "description": "Díry v silnici.", "unit": "Odbor dopravy", "deadline_days": 30, "attributes": [{"code": "depth", "description": "Jak je hluboký?", "datatype": "singlevaluelist", "required": true, "values": [["shallow", "Mělký"], ["deep", "Hluboký"]]}]}"#;

/// Runs `script` in the page.
async fn js(browser: &Chromium, script: &str) {
    browser
        .client
        .execute(script, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"));
}

/// Logs in through the form, whatever the page's language.
async fn log_in(browser: &Chromium, user: &str) {
    browser.open("/auth/login").await;
    js(
        browser,
        &format!(
            "document.getElementById('f-username').value = '{user}';
             document.getElementById('f-password').value = '{PASSWORD}';"
        ),
    )
    .await;
    browser.click_css("main form button.primary").await;
    for _ in 0..50 {
        if !browser.path().await.starts_with("/auth/login") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{user} is not logged in: {}", browser.text().await);
}

/// A Czech city's form, in two steps: its texts are Czech data, as a
/// Czech city writes them.
const DOG: &str = r##"{"code": "pes", "title": "Přihlášení psa", "description": "Přihlaste psa, kterého ve městě chováte.", "access": "registered",
 "schema": {"type": "object", "properties": {
   "address": {"type": "string", "title": "Adresa"},
   "email": {"type": "string", "format": "email", "title": "E-mail"},
   "dogs": {"type": "integer", "title": "Počet psů", "minimum": 1, "maximum": 5},
   "consent": {"type": "boolean", "const": true, "title": "Potvrzuji, že údaje jsou pravdivé."}},
  "required": ["address", "dogs", "consent"]},
 "uischema": {"type": "Categorization", "elements": [
   {"type": "Category", "label": "Vy", "elements": [{"type": "Control", "scope": "#/properties/address"}, {"type": "Control", "scope": "#/properties/email"}]},
   {"type": "Category", "label": "Pes", "elements": [{"type": "Control", "scope": "#/properties/dogs"}, {"type": "Control", "scope": "#/properties/consent"}]}]}}"##;

/// A fresh browser on `addr` in `lang`, its window `size`.
async fn browser_in(addr: std::net::SocketAddr, lang: &str, (w, h): (u32, u32)) -> Chromium {
    let browser = Chromium::start(addr).await;
    browser.set_size(w, h).await;
    browser.open(&format!("/lang/{lang}")).await;
    browser
}

#[tokio::test]
async fn a_citizen_reports_a_problem_submits_a_form_and_finds_both_in_their_overview() {
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("complaints")
        .module("smart-forms")
        .build()
        .await;
    portal
        .import(TEST_CITY, "complaints", "categories", POTHOLE)
        .await;
    let designer = portal.user("petr", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&designer, TEST_CITY, "smart-forms.designer")
        .await;
    portal.user("karel", UserKind::Citizen, PASSWORD).await;
    let addr = portal.serve().await;
    let http = portico_tests::browser::Browser::new(addr);
    http.log_in("petr", PASSWORD).await;
    let design = "/m/smart-forms/design";
    let published = http.submit(design, design, &[("definition", DOG)]).await;
    assert_eq!(published.status, 303, "{}", published.body);
    let english = catalog::english_texts();

    for lang in LANGUAGES {
        for size in WIDTHS {
            let b = browser_in(addr, lang, size).await;
            let step = |n: &str| format!("journey-citizen-{lang}-{}-{n}", size.0);
            b.open("/").await;
            b.check_step(&step("01-home"), lang, &english).await;
            // The front door says what people come to do.
            b.click_css("a.door[href='/m/complaints/report']").await;
            b.check_step(&step("02-report-categories"), lang, &english)
                .await;
            b.open("/m/complaints/report?category=pothole").await;
            b.check_step(&step("03-report-form"), lang, &english).await;
            js(
                &b,
                "document.getElementById('f-description').value = 'Hluboký výtluk před domem č. 12.';
                 document.getElementById('f-address').value = 'Husova 12';
                 document.getElementById('f-address-lat').value = '49.19522';
                 document.getElementById('f-address-lon').value = '16.60796';
                 document.getElementById('f-attribute[depth]-1').checked = true;",
            )
            .await;
            b.click_css("main form button.primary").await;
            b.text_with("Hluboký výtluk před domem č. 12.").await;
            b.check_step(&step("04-report-filed"), lang, &english).await;

            log_in(&b, "karel").await;
            b.check_step(&step("05-logged-in"), lang, &english).await;
            b.open("/m/smart-forms/fill/pes").await;
            b.check_step(&step("06-form-step-1"), lang, &english).await;
            js(
                &b,
                "document.getElementById('f-address').value = 'Dlouhá 5, Brno';
                 document.getElementById('f-email').value = 'karel@example.cz';",
            )
            .await;
            b.click_css("main form button.primary").await;
            b.wait_css("#f-dogs").await;
            js(
                &b,
                "document.getElementById('f-dogs').value = '1';
                 document.getElementById('f-consent').checked = true;",
            )
            .await;
            b.check_step(&step("07-form-step-2"), lang, &english).await;
            b.click_css("main form button.primary").await;
            // The answers, checked before they are sent.
            b.wait_css("input[name=_step][value=check]").await;
            b.check_step(&step("08-form-check"), lang, &english).await;
            b.click_css("main form button.primary").await;
            b.text_with("F-20").await;
            b.check_step(&step("08-form-submitted"), lang, &english)
                .await;

            // From the header to their own affairs.
            b.click_css("header a[href='/mine']").await;
            b.text_with("Přihlášení psa").await;
            b.check_step(&step("09-my-overview"), lang, &english).await;
        }
    }
}

/// Files a report as an anonymous citizen, over HTTP.
async fn file_report(addr: std::net::SocketAddr, n: usize) {
    let citizen = portico_tests::browser::Browser::new(addr);
    let page = "/m/complaints/report?category=pothole";
    // Each far from the others, so none is offered as a duplicate.
    let lat = format!("{:.5}", 49.1 + n as f64 * 0.01);
    let filed = citizen
        .submit(
            page,
            page,
            &[
                ("category", "pothole"),
                ("description", "Výtluk na chodníku."),
                ("address", "Kounicova 3"),
                ("address.lat", &lat),
                ("address.lon", "16.6"),
                ("attribute[depth]", "deep"),
            ],
        )
        .await;
    assert_eq!(filed.status, 303, "{}", filed.body);
}

#[tokio::test]
async fn an_official_finds_their_work_from_the_header_and_handles_a_report() {
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("complaints")
        .build()
        .await;
    portal
        .import(TEST_CITY, "complaints", "categories", POTHOLE)
        .await;
    let hana = portal.user("hana", UserKind::Staff, PASSWORD).await;
    portal.grant(&hana, TEST_CITY, "complaints.handler").await;
    let addr = portal.serve().await;
    let english = catalog::english_texts();

    let mut n = 0;
    for lang in LANGUAGES {
        for size in WIDTHS {
            n += 1;
            file_report(addr, n).await;
            let b = browser_in(addr, lang, size).await;
            let step = |s: &str| format!("journey-official-{lang}-{}-{s}", size.0);
            b.open("/auth/login").await;
            b.check_step(&step("01-login"), lang, &english).await;
            log_in(&b, "hana").await;
            b.click_css("header a[href='/agenda']").await;
            b.check_step(&step("02-agenda"), lang, &english).await;
            b.click_css("main a[href='/m/complaints/handle']").await;
            b.check_step(&step("03-inbox"), lang, &english).await;
            b.click_css("main td a[href^='/m/complaints/handle/']")
                .await;
            b.check_step(&step("04-report"), lang, &english).await;
            js(
                &b,
                "document.getElementById('f-status').value = 'acknowledged';
                 document.getElementById('f-note').value = 'Oprava je objednána.';",
            )
            .await;
            let forms = "main form";
            b.client
                .execute(
                    &format!(
                        "const f = [...document.querySelectorAll('{forms}')].pop();
                         f.querySelector('button.primary').click();"
                    ),
                    Vec::new(),
                )
                .await
                .unwrap();
            b.text_with("Oprava je objednána.").await;
            b.check_step(&step("05-step-recorded"), lang, &english)
                .await;

            // Every status page is in the frame, in the visitor's language.
            b.open("/nonexistent-page").await;
            // In the city's frame, for the official still logged in.
            assert!(b.text().await.contains("User hana"), "{}", b.text().await);
            b.check_step(&step("06-unknown-path"), lang, &english).await;
            b.open("/m/complaints/reports/nonexistent").await;
            let missing = b.text().await;
            assert!(
                missing.contains(if lang == "cs" {
                    "Takové hlášení tu není"
                } else {
                    "There is no such report"
                }),
                "{missing}"
            );
            b.check_step(&step("07-module-not-found"), lang, &english)
                .await;
        }
    }
}

#[tokio::test]
async fn an_administrator_enables_a_module_and_publishes_the_accessibility_statement() {
    let english = catalog::english_texts();
    for lang in LANGUAGES {
        for size in WIDTHS {
            let portal = TestPortal::builder()
                .module("notice-board")
                .module("complaints")
                .without_modules_in(TEST_CITY)
                .build()
                .await;
            let boss = portal.user("boss", UserKind::Staff, PASSWORD).await;
            portal.grant(&boss, TEST_CITY, "org-admin").await;
            let addr = portal.serve().await;
            let b = browser_in(addr, lang, size).await;
            let step = |s: &str| format!("journey-admin-{lang}-{}-{s}", size.0);
            log_in(&b, "boss").await;
            b.click_css("header a[href='/agenda']").await;
            b.check_step(&step("01-agenda"), lang, &english).await;
            b.click_css("main a[href='/admin/orgs/test-city']").await;
            b.check_step(&step("02-console"), lang, &english).await;
            b.open("/admin/orgs/test-city/modules/notice-board").await;
            b.check_step(&step("03-module"), lang, &english).await;
            b.click_css("main form button.primary").await;
            // The page the form leads to, with what it did.
            b.wait_css("main .notice-success").await;
            b.check_step(&step("04-enabled"), lang, &english).await;
            b.open("/").await;
            assert!(
                b.client
                    .find(Locator::Css("nav.portal-nav a[href='/m/notice-board/']"))
                    .await
                    .is_ok(),
                "the board is in the menu once enabled"
            );

            b.click_css("header a[href='/agenda']").await;
            b.click_css("main a[href='/admin/orgs/test-city/pages']")
                .await;
            b.check_step(&step("05-pages"), lang, &english).await;
            js(
                &b,
                "document.getElementById('f-status-1').checked = true;
                 document.getElementById('f-exceptions_cs').value = 'Mapa hlášení nemá textovou alternativu.';
                 document.getElementById('f-prepared').value = '2026-12-01';
                 document.getElementById('f-method-0').checked = true;
                 document.getElementById('f-contact').value = 'pristupnost@mesto.cz';
                 document.querySelector('form[action$=\"/pages/accessibility\"] button.primary').click();",
            )
            .await;
            b.wait_css("main .notice-success").await;
            b.check_step(&step("06-published"), lang, &english).await;
            b.open("/").await;
            b.click_css("footer a[href='/accessibility']").await;
            let statement = b.text().await;
            assert!(
                statement.contains(if lang == "cs" {
                    "v částečném souladu"
                } else {
                    "partially compliant"
                }),
                "{statement}"
            );
            b.check_step(&step("07-statement"), lang, &english).await;
        }
    }
}

/// An administrator sets up the connection a module needs to an outside
/// system, from the module's page in the console: the form shows the
/// fields of the credential chosen, as it is chosen; the secret is never
/// shown again; then what went through the connection, refused once and
/// delivered. Walked in Czech on a small phone and in English on a
/// desktop.
#[tokio::test]
async fn an_administrator_sets_up_a_connection_and_sees_what_went_through_it() {
    let english = catalog::english_texts();
    for (lang, size) in [("cs", WIDTHS[2]), ("en", WIDTHS[0])] {
        let outside = portico_tests::outside::Outside::start(1).await;
        let portal = TestPortal::builder().module("courier").build().await;
        let boss = portal.user("boss", UserKind::Staff, PASSWORD).await;
        portal.grant(&boss, TEST_CITY, "org-admin").await;
        let addr = portal.serve().await;
        let b = browser_in(addr, lang, size).await;
        let step = |s: &str| format!("journey-connection-{lang}-{}-{s}", size.0);
        log_in(&b, "boss").await;
        b.open("/admin/orgs/test-city/modules/courier").await;
        b.check_step(&step("01-module"), lang, &english).await;
        b.click_css("main a[href$='/connections/peer']").await;
        b.wait_css("main form select#f-credential").await;
        b.check_step(&step("02-connection"), lang, &english).await;
        // A user name is asked for only with a password.
        let shown = |id: &'static str| {
            let b = &b;
            async move {
                b.client
                    .execute(
                        &format!(
                            "return !document.getElementById('{id}').closest('.field').hidden;"
                        ),
                        Vec::new(),
                    )
                    .await
                    .expect("the page answers")
                    .as_bool()
                    .unwrap_or(false)
            }
        };
        assert!(!shown("f-username").await, "no user name for a token");
        js(
            &b,
            "const c = document.getElementById('f-credential');
             c.value = 'basic';
             c.dispatchEvent(new Event('change', { bubbles: true }));",
        )
        .await;
        assert!(shown("f-username").await, "a user name for a password");
        js(
            &b,
            &format!(
                "document.getElementById('f-base_url').value = '{}';
                 document.getElementById('f-username').value = 'dispecink';
                 document.getElementById('f-secret').value = 'heslo-k-izs-2026';",
                outside.url("/izs")
            ),
        )
        .await;
        b.click_css("main form button.primary").await;
        b.wait_css("main .notice-success").await;
        b.check_step(&step("03-saved"), lang, &english).await;
        let page = b.text().await;
        assert!(!page.contains("heslo-k-izs-2026"), "{page}");

        // The module hands a request over; the system refuses it once.
        let queued = crate::call(
            &portal,
            "POST",
            "/m/courier/api/deliver",
            r#"{"path": "/alerts", "body": "{}", "key": "vystraha-1"}"#,
        )
        .await;
        assert_eq!(queued.status, 200, "{}", queued.body);
        let at_once = portico_host::workers::WorkerConfig {
            backoff: std::time::Duration::ZERO,
            ..Default::default()
        };
        portal.send_deliveries(&at_once).await;
        b.open("/admin/orgs/test-city/modules/courier/connections/peer")
            .await;
        let waiting = b.text().await;
        assert!(
            waiting.contains(if lang == "cs" {
                "čeká na další pokus"
            } else {
                "waiting to try again"
            }),
            "{waiting}"
        );
        portal.send_deliveries(&at_once).await;
        b.open("/admin/orgs/test-city/modules/courier/connections/peer")
            .await;
        b.check_step(&step("04-delivered"), lang, &english).await;
        let delivered = b.text().await;
        assert!(
            delivered.contains("vystraha-1") && delivered.contains("HTTP 200"),
            "{delivered}"
        );
        assert_eq!(
            outside.accepted()[0].header("authorization"),
            Some("Basic ZGlzcGVjaW5rOmhlc2xvLWstaXpzLTIwMjY=")
        );
    }
}

/// A citizen without an account: from the log-in page to a confirmed
/// account, the confirmation e-mail read from a real SMTP server on
/// loopback, then their own page, where they say how to be told of
/// things. Walked in Czech on a small phone and in English on a desktop.
#[tokio::test]
async fn a_citizen_registers_confirms_the_address_and_finds_their_page() {
    let smtp = portico_tests::peers::SmtpSink::start(0).await;
    let portal = TestPortal::builder()
        .module("notice-board")
        .smtp(&smtp.url())
        .build()
        .await;
    let addr = portal.serve().await;
    let english = catalog::english_texts();
    for (lang, size) in [("cs", WIDTHS[2]), ("en", WIDTHS[0])] {
        let b = browser_in(addr, lang, size).await;
        let step = |s: &str| format!("journey-register-{lang}-{}-{s}", size.0);
        let email = format!("eva.{lang}@example.cz");
        b.open("/auth/login").await;
        b.click_css("main a[href='/auth/register']").await;
        b.check_step(&step("01-register"), lang, &english).await;
        // A mistake first: it is named at its field.
        js(
            &b,
            &format!(
                "document.getElementById('r-name').value = 'Eva Dvořáková';
                 document.getElementById('r-email').value = '{email}';
                 document.getElementById('r-password').value = '{PASSWORD}';
                 document.getElementById('r-again').value = 'something else';"
            ),
        )
        .await;
        b.click_css("main form button.primary").await;
        b.wait_css("#r-again-error").await;
        b.check_step(&step("02-mistake"), lang, &english).await;
        js(
            &b,
            &format!(
                "document.getElementById('r-password').value = '{PASSWORD}';
                 document.getElementById('r-again').value = '{PASSWORD}';"
            ),
        )
        .await;
        b.click_css("main form button.primary").await;
        b.text_with(&email).await;
        b.check_step(&step("03-check-your-mail"), lang, &english)
            .await;
        portal.settle().await;
        let mail = smtp
            .received()
            .into_iter()
            .find(|m| m.to.contains(&email))
            .expect("the confirmation e-mail");
        let text = mail.text();
        let link = text
            .split_whitespace()
            .find(|w| w.contains("/auth/confirm/"))
            .expect("a link");
        let path = &link[link.find("/auth/").expect("a path")..];
        b.open(path).await;
        b.check_step(&step("04-confirm"), lang, &english).await;
        b.click_css("main form button.primary").await;
        b.wait_css("main a.button[href='/auth/login']").await;
        b.check_step(&step("05-confirmed"), lang, &english).await;
        b.click_css("main a.button[href='/auth/login']").await;
        js(
            &b,
            &format!(
                "document.getElementById('f-username').value = '{email}';
                 document.getElementById('f-password').value = '{PASSWORD}';"
            ),
        )
        .await;
        b.click_css("main form button.primary").await;
        b.text_with("Eva Dvořáková").await;
        b.open("/auth/me").await;
        b.text_with(&email).await;
        b.check_step(&step("06-my-page"), lang, &english).await;
    }
}
