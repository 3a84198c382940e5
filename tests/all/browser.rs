//! The portal in a real browser (headless Chromium): an editor logs in
//! through the form, posts a notice, sees a server-side error at the field
//! it belongs to, switches to Czech, and every page passes axe-core's
//! WCAG 2.1 A/AA check.
//! Screenshots of each page land in `target/screenshots/`.

use fantoccini::Locator;
use portico_platform::identity::roles;
use portico_platform::identity::users::UserKind;
use portico_platform::organizations::{self, Kind, NewOrganization};
use portico_tests::chromium::Chromium;
use portico_tests::{TEST_CITY, TestPortal};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn an_editor_logs_in_and_posts_a_notice_in_a_real_browser() {
    let portal = TestPortal::builder().module("notice-board").build().await;
    let editor = portal.user("editor", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&editor, TEST_CITY, "notice-board.editor")
        .await;
    let addr = portal.serve().await;
    let browser = Chromium::start(addr).await;

    browser.open("/m/notice-board/").await;
    assert!(browser.text().await.contains("Official notice board"));
    browser.assert_accessible("01-notice-board").await;

    // The form is for editors: the browser is sent to log in first.
    browser.open("/m/notice-board/post").await;
    assert!(
        browser.path().await.starts_with("/auth/login?next="),
        "{}",
        browser.path().await
    );
    browser.assert_accessible("02-log-in").await;
    browser.fill("User name", "editor").await;
    browser.fill("Password", "not the password").await;
    browser.press("Log in").await;
    assert!(
        browser
            .text()
            .await
            .contains("The user name or the password is wrong.")
    );
    browser.fill("Password", PASSWORD).await;
    browser.press("Log in").await;
    assert_eq!(browser.path().await, "/m/notice-board/post");
    browser.assert_accessible("03-post-form").await;

    // Without a date, the form comes back with the error at that field.
    browser.fill("Reference", "MMB/1234/2026").await;
    browser.fill("Title", "Uzavírka Husovy ulice").await;
    browser.press("Post").await;
    let error = browser
        .client
        .find(Locator::Id("f-until-error"))
        .await
        .expect("an error at the date field");
    assert_eq!(error.text().await.unwrap(), "Fill this in.");
    let until = browser.client.find(Locator::Id("f-until")).await.unwrap();
    assert_eq!(
        until.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    assert_eq!(
        until.attr("aria-describedby").await.unwrap().as_deref(),
        Some("f-until-error")
    );
    let title = browser.client.find(Locator::Id("f-title")).await.unwrap();
    assert_eq!(
        title.prop("value").await.unwrap().as_deref(),
        Some("Uzavírka Husovy ulice"),
        "what was typed is kept"
    );
    browser.assert_accessible("04-post-form-with-error").await;

    browser
        .client
        .execute(
            "document.getElementById('f-until').value = '2030-12-31';",
            Vec::new(),
        )
        .await
        .unwrap();
    browser.press("Post").await;
    assert!(
        browser.path().await.starts_with("/m/notice-board/notices/"),
        "{}",
        browser.path().await
    );
    let text = browser.text().await;
    assert!(text.contains("The notice is posted."), "{text}");
    assert!(text.contains("Uzavírka Husovy ulice"), "{text}");
    browser.assert_accessible("05-notice").await;

    // Czech, chosen in the header, holds for the next pages too.
    browser.follow("Čeština").await;
    let lang = browser.client.find(Locator::Css("html")).await.unwrap();
    assert_eq!(lang.attr("lang").await.unwrap().as_deref(), Some("cs"));
    assert!(
        browser.path().await.starts_with("/m/notice-board/notices/"),
        "back where it was"
    );
    browser.open("/m/notice-board/").await;
    let text = browser.text().await;
    assert!(
        text.contains("Vyvěšená oznámení") && text.contains("Odhlásit se"),
        "{text}"
    );
    browser.assert_accessible("06-notice-board-cs").await;
    browser.follow("English").await;
    assert!(browser.text().await.contains("Posted notices"));

    // Every module page leads to the module's manual.
    browser.follow("User manual").await;
    browser.text_with("For editors").await;
    browser.assert_accessible("07-manual").await;

    // The check itself finds what it must: an image without a text.
    browser
        .client
        .execute(
            "const i = document.createElement('img'); i.src = '/assets/none.png'; document.body.appendChild(i);",
            Vec::new(),
        )
        .await
        .unwrap();
    let found = browser.accessibility_violations().await;
    assert!(
        found.iter().any(|v| v.starts_with("\"image-alt\"")),
        "{found:?}"
    );
}

async fn city(portal: &TestPortal, id: &str, name: &str) {
    organizations::create(
        portal.db(),
        "test",
        NewOrganization {
            id: id.into(),
            name: name.into(),
            ico: None,
            kind: Kind::City,
            parent_id: None,
            category: None,
            address: None,
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_administrator_enables_a_module_for_one_city_in_the_console() {
    let data = tempfile::tempdir().unwrap();
    let portal = TestPortal::builder()
        .module("notice-board")
        .installing(data.path())
        .build()
        .await;
    city(&portal, "lhota", "Obec Lhota").await;
    city(&portal, "dolni-lhota", "Obec Dolní Lhota").await;
    let admin = portal.user("spravce", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&admin, roles::EVERY_ORG, roles::PLATFORM_ADMIN)
        .await;
    let addr = portal.serve().await;
    let browser = Chromium::start(addr).await;

    browser.open("/admin").await;
    browser.fill("User name", "spravce").await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Log in").await;
    assert_eq!(browser.path().await, "/admin");
    browser.assert_accessible("10-console").await;

    browser.open("/admin/modules").await;
    let catalog = browser.text().await;
    assert!(catalog.contains("Official notice board"), "{catalog}");
    assert!(
        catalog.contains("settings, records, events, audit, notify"),
        "the host interfaces it uses: {catalog}"
    );
    assert!(catalog.contains("notice-board.post"), "{catalog}");
    browser.assert_accessible("11-console-modules").await;

    // A package of the version installed already is refused at the file
    // field, which says why.
    let key = portico_package::VendorKey::generate().unwrap();
    std::fs::create_dir_all(data.path().join("trust")).unwrap();
    std::fs::write(data.path().join("trust/Acme.pub"), key.public().to_hex()).unwrap();
    let package = data.path().join("notice-board-0.1.0.portico");
    std::fs::write(
        &package,
        portico_package::Package::build(&portico_tests::module_dir("notice-board"), Some(&key))
            .unwrap(),
    )
    .unwrap();
    browser.choose_file("Module package", &package).await;
    browser.press("Install").await;
    let refused = browser.text().await;
    assert!(refused.contains("which is not newer"), "{refused}");
    browser
        .assert_accessible("15-console-package-refused")
        .await;

    // Not yet enabled in Lhota: no entry in its navigation.
    browser.open("/o/lhota/").await;
    assert!(!browser.text().await.contains("Notice board"));

    browser.open("/admin/orgs/lhota").await;
    browser.assert_accessible("12-console-organization").await;
    browser.follow("Official notice board").await;
    assert_eq!(
        browser.path().await,
        "/admin/orgs/lhota/modules/notice-board"
    );
    browser.press("Enable").await;
    let page = browser.text().await;
    assert!(page.contains("The module is enabled."), "{page}");

    // Its settings are a form made from the manifest's settings schema.
    browser.assert_accessible("13-console-module").await;
    browser.fill("Page title", "Úřední deska obce Lhota").await;
    browser.press("Save settings").await;
    assert!(browser.text().await.contains("The settings are saved."));
    browser.open("/o/lhota/m/notice-board/").await;
    assert!(browser.text().await.contains("Úřední deska obce Lhota"));

    browser.open("/o/lhota/").await;
    let lhota = browser.text().await;
    assert!(lhota.contains("Notice board"), "{lhota}");
    browser.open("/o/dolni-lhota/").await;
    let other = browser.text().await;
    assert!(!other.contains("Notice board"), "{other}");

    // The change is in Lhota's audit trail, by the administrator.
    browser.open("/admin/orgs/lhota/audit").await;
    let trail = browser.text().await;
    assert!(trail.contains("The chain is intact"), "{trail}");
    assert!(trail.contains("module.enable"), "{trail}");
    assert!(trail.contains(&admin.id), "{trail}");
    browser.assert_accessible("14-console-audit").await;
}

#[tokio::test]
async fn a_hostile_modules_script_and_links_show_as_text_and_never_run() {
    let portal = TestPortal::builder().module("hostile").build().await;
    let addr = portal.serve().await;
    let browser = Chromium::start(addr).await;
    browser.open("/m/hostile/").await;
    let text = browser.text_with("Hostile").await;
    assert!(
        text.contains("Text <script>window.pwned = 1; document.title = 'pwned';</script>"),
        "{text}"
    );
    assert!(
        text.contains("<img src=x onerror=\"window.pwned=2\">"),
        "{text}"
    );
    assert!(text.contains("a javascript: link") && text.contains("javascript: action"));
    let pwned = browser
        .client
        .execute("return [typeof window.pwned, document.title]", Vec::new())
        .await
        .unwrap();
    assert_eq!(pwned[0], "undefined", "nothing ran");
    assert!(!pwned[1].as_str().unwrap().starts_with("pwned"), "{pwned}");
    let dangerous = browser
        .client
        .execute(
            "return document.querySelectorAll('main script, svg script, svg foreignObject, img, [onerror], [onload], [onfocus], \
             a[href^=\"javascript\"], a[href^=\"data\"], a[href^=\"//\"], form[action^=\"javascript\"]').length",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(dangerous, 0, "no element a module made can run script");
    // The charts and the map the host drew from the module's numbers are
    // there, their texts as text.
    let drawn = browser
        .client
        .execute(
            "return [document.querySelectorAll('figure.chart svg').length, \
             document.querySelectorAll('figure.map svg circle').length]",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        drawn,
        serde_json::json!([2, 1]),
        "two charts, one valid place"
    );
    assert!(text.contains("Chart <script>"), "{text}");
    assert!(text.contains("no valid position"), "{text}");
    browser.assert_accessible("20-hostile-module").await;
}

#[tokio::test]
async fn a_citizen_uses_the_dashboard_search_sorting_and_inbox_in_a_real_browser() {
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("guestbook-010")
        .build()
        .await;
    portal
        .import(
            TEST_CITY,
            "notice-board",
            "notices",
            &portico_tests::demo_notices(),
        )
        .await;
    let jana = portal.user("jana", UserKind::Citizen, PASSWORD).await;
    portal
        .inbox_message(
            &jana,
            "A new notice about your street",
            "Husova street closes on 3 December.",
        )
        .await;
    let addr = portal.serve().await;
    let browser = Chromium::start(addr).await;

    browser.open("/auth/login").await;
    browser.fill("User name", "jana").await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Log in").await;

    // The home page: the board's figures, the services, one unread message.
    browser.open("/").await;
    let home = browser.text_with("Notices posted").await;
    assert!(home.contains("Guest book"), "{home}");
    let badge = browser
        .client
        .execute(
            "return document.querySelector('.badge').textContent",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(badge, "1 unread");
    browser.assert_accessible("30-dashboard").await;

    // The search box in the header finds a notice; its hit opens it.
    browser.fill("Search", "projedn").await;
    browser.press("Go").await;
    assert!(browser.path().await.starts_with("/search?q=projedn"));
    browser.text_with("Found: 1").await;
    browser.assert_accessible("31-search").await;
    browser
        .follow("Veřejné projednání změny územního plánu č. 14")
        .await;
    let notice = browser.text().await;
    assert!(notice.contains("MMB/0412/2026"), "{notice}");
    browser
        .assert_accessible("32-notice-with-breadcrumbs")
        .await;
    browser.follow("Notice board").await;

    // A click on a column heading sorts by it, a second the other way.
    browser.follow("Posted until, sort descending ▲").await;
    let until = browser
        .client
        .execute(
            "return document.querySelector('th[aria-sort=\"descending\"]').innerText",
            Vec::new(),
        )
        .await
        .unwrap();
    assert!(
        until.as_str().unwrap().starts_with("Posted until"),
        "{until}"
    );
    let order = browser
        .client
        .execute(
            "return [...document.querySelectorAll('table')[0].querySelectorAll('tbody tr td:last-child')].map(c => c.innerText)",
            Vec::new(),
        )
        .await
        .unwrap();
    // Dates as an English reader writes them ("3 December 2026").
    let dates: Vec<chrono::NaiveDate> = order
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d.as_str())
        .map(|d| chrono::NaiveDate::parse_from_str(d, "%d %B %Y").unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "latest first");
    browser.assert_accessible("33-notices-sorted").await;

    // The inbox, and the message marked read.
    browser.follow("Inbox 1 unread").await;
    browser
        .text_with("Husova street closes on 3 December.")
        .await;
    browser.assert_accessible("34-inbox").await;
    browser.press("Mark as read").await;
    let inbox = browser.text().await;
    assert!(!inbox.contains("Mark as read"), "{inbox}");
    assert!(inbox.contains("A new notice about your street"), "{inbox}");
}

#[tokio::test]
async fn every_complaints_page_passes_the_accessibility_check_in_a_real_browser() {
    let portal = TestPortal::builder().module("complaints").build().await;
    portal
        .import(
            TEST_CITY,
            "complaints",
            "categories",
            &serde_json::json!({
                "code": "pothole", "name": "Pothole", "description": "Holes in roads.",
                "unit": "Roads department", "deadline_days": 30,
                "attributes": [{ "code": "depth", "description": "How deep is it?", "datatype": "singlevaluelist", "required": true, "values": [["shallow", "Shallow"], ["deep", "Deep"]] }]
            })
            .to_string(),
        )
        .await;
    let handler = portal.user("hana", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&handler, TEST_CITY, "complaints.manager")
        .await;
    let addr = portal.serve().await;
    let browser = Chromium::start(addr).await;

    // A citizen reports a pothole; a missing description comes back at its field.
    browser.open("/m/complaints/").await;
    browser.text_with("Reported problems").await;
    browser
        .assert_accessible("40-complaints-registry-empty")
        .await;
    browser.follow("Report a problem").await;
    browser.assert_accessible("41-complaints-categories").await;
    browser.follow("Pothole").await;
    browser.fill("Address", "Husova 12").await;
    browser.fill("Latitude", "49.19522").await;
    browser.fill("Longitude", "16.60796").await;
    browser
        .client
        .execute(
            "document.getElementById('f-attribute[depth]-1').checked = true; document.getElementById('f-description').removeAttribute('required');",
            Vec::new(),
        )
        .await
        .unwrap();
    browser.press("Send the report").await;
    browser.text_with("Describe the problem.").await;
    browser
        .assert_accessible("42-complaints-report-refused")
        .await;
    browser
        .fill("What is wrong", "A deep hole in front of number 12.")
        .await;
    browser.press("Send the report").await;
    let report = browser.text_with("Your report has number").await;
    assert!(
        report.contains("A deep hole in front of number 12."),
        "{report}"
    );
    browser.assert_accessible("43-complaints-report").await;
    browser.open("/m/complaints/").await;
    browser
        .assert_accessible("44-complaints-registry-map")
        .await;
    browser.open("/m/complaints/dashboard").await;
    browser.text_with("Open reports").await;
    browser.assert_accessible("45-complaints-dashboard").await;

    // The handler's inbox, the report with its forms, the categories.
    browser.open("/auth/login").await;
    browser.fill("User name", "hana").await;
    browser.fill("Password", PASSWORD).await;
    browser.press("Log in").await;
    browser.open("/m/complaints/handle").await;
    browser.text_with("Complaints inbox").await;
    browser.assert_accessible("46-complaints-inbox").await;
    browser.follow(&report_number(&report)).await;
    browser.text_with("Record the step").await;
    browser.assert_accessible("47-complaints-handling").await;
    browser.fill("Note", "A crew comes on Monday.").await;
    browser.press("Record the step").await;
    browser.text_with("The step is recorded.").await;
    browser.open("/m/complaints/categories?code=pothole").await;
    browser.text_with("Change the category").await;
    browser.assert_accessible("48-complaints-categories").await;
}

/// The number in "Your report has number 2026-ABCDEF; …".
fn report_number(text: &str) -> String {
    let start = text.find("has number ").expect("a number") + "has number ".len();
    text[start..start + 11].to_owned()
}

#[tokio::test]
async fn every_smart_forms_page_passes_the_accessibility_check_in_a_real_browser() {
    let portal = TestPortal::builder().module("smart-forms").build().await;
    let designer = portal.user("petr", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&designer, TEST_CITY, "smart-forms.designer")
        .await;
    portal.user("karel", UserKind::Citizen, PASSWORD).await;
    let addr = portal.serve().await;
    let http = portico_tests::browser::Browser::new(addr);
    http.log_in("petr", PASSWORD).await;
    crate::forms::set_up(&http, "registered").await;
    let browser = Chromium::start(addr).await;
    let log_in = |user: &'static str| {
        let browser = &browser;
        async move {
            browser.client.delete_all_cookies().await.unwrap();
            browser.open("/auth/login").await;
            browser.fill("User name", user).await;
            browser.fill("Password", PASSWORD).await;
            browser.press("Log in").await;
        }
    };
    let js = |script: &'static str| {
        let browser = &browser;
        async move { browser.client.execute(script, Vec::new()).await.unwrap() }
    };

    // A citizen: the situations, the form, its steps with an error, a draft.
    log_in("karel").await;
    browser.open("/m/smart-forms/").await;
    browser.text_with("Forms and life situations").await;
    browser.assert_accessible("50-forms-home").await;
    browser.follow("Home and family").await;
    browser.follow("I have a dog").await;
    browser.assert_accessible("51-forms-situation").await;
    browser.follow("Registering a dog").await;
    browser.assert_accessible("52-forms-start").await;
    browser.follow("Fill in").await;
    browser.fill("Your name", "Karel Novák").await;
    browser.fill("Address", "Dlouhá 5, Brno").await;
    browser.fill("E-mail", "karel@example.cz").await;
    browser.assert_accessible("53-forms-step-1").await;
    browser.press("Next").await;
    browser.text_with("step 2 / 2").await;
    js("document.getElementById('f-breed-1').checked = true; document.getElementById('f-garden-0').checked = true;").await;
    browser.fill("Number of dogs", "1").await;
    browser.press("Check the answers").await;
    let refused = browser.text_with("Please correct the marked fields.").await;
    assert!(refused.contains("Tick the box to go on."), "{refused}");
    // The garden brought up the fence: a further question, not an error.
    assert!(
        refused.contains("Your answers brought up a further question")
            && !refused.contains("How high is the fence (cm)?: Fill this in."),
        "{refused}"
    );
    browser.assert_accessible("54-forms-step-2-refused").await;
    browser.press("Save draft").await;
    browser.text_with("Your draft is saved").await;
    browser.assert_accessible("55-forms-mine").await;
    browser.follow("Go on with – Registering a dog").await;
    browser
        .text_with("You are going on with your saved draft.")
        .await;
    js("document.getElementById('f-breed-1').checked = true; document.getElementById('f-garden-1').checked = true; document.getElementById('f-consent').checked = true;").await;
    browser.fill("Number of dogs", "1").await;
    browser.press("Check the answers").await;
    browser.text_with("check your answers").await;
    browser.assert_accessible("56-forms-check").await;
    browser.press("Send").await;
    browser
        .text_with("Your submission is received under number")
        .await;
    browser.assert_accessible("56-forms-submission-sent").await;

    // Staff: the inbox, a submission, the design pages, the figures.
    log_in("petr").await;
    browser.open("/m/smart-forms/inbox").await;
    browser.text_with("User karel").await;
    browser.assert_accessible("57-forms-inbox").await;
    browser
        .client
        .find(Locator::Css("td a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.text_with("Record the step").await;
    browser.assert_accessible("58-forms-case").await;
    browser.open("/m/smart-forms/design").await;
    browser
        .fill(
            "Definition (JSON Schema and UI layout)",
            "{\"code\": \"x\"}",
        )
        .await;
    browser.press("Publish").await;
    browser.text_with("is not a definition").await;
    browser.assert_accessible("59-forms-design-refused").await;
    browser.open("/m/smart-forms/design/dog-registration").await;
    browser.assert_accessible("60-forms-versions").await;
    browser
        .open("/m/smart-forms/situations-edit?key=i-have-a-dog")
        .await;
    browser.text_with("Change the situation").await;
    browser.assert_accessible("61-forms-situations").await;
    browser.open("/m/smart-forms/dashboard").await;
    browser.text_with("Submissions by form and status").await;
    browser.assert_accessible("62-forms-dashboard").await;
}
