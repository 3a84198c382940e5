//! A person's own pages in an organization's portal, and what the
//! organization tells the public about itself: the header leads an
//! official to their tools ("Moje agenda") with what waits in each, and
//! everyone logged in to their own affairs ("Můj přehled"); an
//! administrator writes the contacts every page's footer shows, the
//! accessibility statement and the page on personal data; the portal
//! lists its cookies itself.

use portico_platform::identity::users::UserKind;
use portico_tests::browser::Browser;
use portico_tests::{TEST_CITY, TestPortal};

const PASSWORD: &str = "correct horse battery staple";

/// Three open reports and one closed, as the complaints module stores them.
const REPORTS: &str = r#"{"status": "new", "open": 1}
{"status": "acknowledged", "open": 1}
{"status": "in-progress", "open": 1}
{"status": "resolved", "open": 0}
"#;

#[tokio::test]
async fn an_official_finds_their_tools_and_what_waits_in_each_from_the_header() {
    let portal = TestPortal::builder()
        .module("complaints")
        .module("notice-board")
        .module("smart-forms")
        .build()
        .await;
    portal
        .import(TEST_CITY, "complaints", "reports", REPORTS)
        .await;
    let hana = portal.user("hana", UserKind::Staff, PASSWORD).await;
    portal.grant(&hana, TEST_CITY, "complaints.handler").await;
    portal.user("petr", UserKind::Citizen, PASSWORD).await;
    let boss = portal.user("boss", UserKind::Staff, PASSWORD).await;
    portal.grant(&boss, TEST_CITY, "org-admin").await;
    let addr = portal.serve().await;

    // Nobody logged in has no agenda: the page sends them to log in.
    let anonymous = Browser::new(addr);
    let home = anonymous.get("/").await;
    assert!(!home.body.contains("href=\"/agenda\""), "{}", home.body);
    let away = anonymous.get("/agenda").await;
    assert_eq!(away.status, 303);
    assert_eq!(away.location(), "/auth/login?next=%2Fagenda");

    // The handler finds the inbox from the header, with the reports waiting.
    let official = Browser::new(addr);
    assert_eq!(official.log_in("hana", PASSWORD).await.status, 303);
    let home = official.get("/").await;
    assert!(
        home.body.contains("<a href=\"/agenda\">My agenda</a>"),
        "{}",
        home.body
    );
    let agenda = official.get("/agenda").await;
    assert_eq!(agenda.status, 200, "{}", agenda.body);
    assert!(
        agenda
            .body
            .contains("<a href=\"/m/complaints/handle\">Reports to handle</a> <span class=\"badge\">3<span class=\"visually-hidden\"> waiting</span></span>"),
        "{}",
        agenda.body
    );
    // Only what their roles reach: no categories (a manager's), no
    // notice board or forms (no role there), no console.
    for absent in [
        "Categories of reports",
        "Post a notice",
        "Submissions to handle",
        "Administration",
    ] {
        assert!(!agenda.body.contains(absent), "{absent}: {}", agenda.body);
    }
    let opened = official.get("/m/complaints/handle").await;
    assert_eq!(opened.status, 200, "the entry leads to the inbox");

    // In Czech, every word of it.
    official.get("/lang/cs").await;
    let agenda = official.get("/agenda").await;
    assert!(
        agenda.body.contains("<h1>Moje agenda</h1>")
            && agenda.body.contains(">Hlášení k vyřízení</a>")
            && agenda.body.contains(" čeká</span>"),
        "{}",
        agenda.body
    );

    // A citizen has no tools, but an overview of their own affairs.
    let citizen = Browser::new(addr);
    assert_eq!(citizen.log_in("petr", PASSWORD).await.status, 303);
    let home = citizen.get("/").await;
    assert!(!home.body.contains("href=\"/agenda\""), "{}", home.body);
    assert!(
        home.body.contains("<a href=\"/mine\">My overview</a>"),
        "{}",
        home.body
    );
    let mine = citizen.get("/mine").await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert!(
        mine.body.contains("<h1>My overview</h1>") && mine.body.contains("My submissions"),
        "the forms module's own page of theirs: {}",
        mine.body
    );
    let agenda = citizen.get("/agenda").await;
    assert!(
        agenda.body.contains("Your roles here give you no tools."),
        "{}",
        agenda.body
    );

    // The organization's administrator gets every module's tools and the
    // console's pages of the organization.
    let admin = Browser::new(addr);
    assert_eq!(admin.log_in("boss", PASSWORD).await.status, 303);
    let agenda = admin.get("/agenda").await;
    for present in [
        "Reports to handle",
        "Categories of reports",
        "Post a notice",
        "Submissions to handle",
        "href=\"/admin/orgs/test-city/pages\"",
    ] {
        assert!(agenda.body.contains(present), "{present}: {}", agenda.body);
    }
}

#[tokio::test]
async fn an_administrator_publishes_the_contacts_and_the_accessibility_statement() {
    let portal = TestPortal::builder()
        .module("notice-board")
        .org("other-city")
        .build()
        .await;
    let boss = portal.user("boss", UserKind::Staff, PASSWORD).await;
    portal.grant(&boss, TEST_CITY, "org-admin").await;
    let stranger = portal.user("cizi", UserKind::Staff, PASSWORD).await;
    portal.grant(&stranger, "other-city", "org-admin").await;
    let addr = portal.serve().await;
    let admin = Browser::new(addr);
    assert_eq!(admin.log_in("boss", PASSWORD).await.status, 303);
    let pages = "/admin/orgs/test-city/pages";
    let form = admin.get(pages).await;
    assert_eq!(form.status, 200, "{}", form.body);

    // A wrong e-mail is refused at its field, and nothing is published.
    let contacts = [
        ("phone", "+420 542 172 111"),
        ("email", "podatelna@mesto.cz"),
        ("data_box", "abc1234"),
        ("hours_cs", "Po, St 8:00–17:00\nÚt, Čt 8:00–14:00"),
        ("hours_en", ""),
    ];
    let mut wrong = contacts.to_vec();
    wrong[1].1 = "podatelna@mesto.cz?bcc=x@y.cz";
    let refused = admin
        .submit(pages, &format!("{pages}/contacts"), &wrong)
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Give an e-mail address, e.g. podatelna@mesto.cz."),
        "{}",
        refused.body
    );
    assert!(!admin.get("/").await.body.contains("+420 542 172 111"));

    let saved = admin
        .submit(pages, &format!("{pages}/contacts"), &contacts)
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    // Every page's footer shows them; office hours written only in Czech
    // say they are Czech on an English page.
    let citizen = Browser::new(addr);
    let home = citizen.get("/").await;
    assert!(
        home.body
            .contains("<a href=\"tel:+420542172111\">+420 542 172 111</a>")
            && home
                .body
                .contains("<a href=\"mailto:podatelna@mesto.cz\">podatelna@mesto.cz</a>")
            && home.body.contains("Data box: abc1234")
            && home
                .body
                .contains("<div lang=\"cs\"><p>Po, St 8:00–17:00</p>"),
        "{}",
        home.body
    );
    let notices = citizen.get("/m/notice-board/").await;
    assert!(
        notices
            .body
            .contains("href=\"/accessibility\">Accessibility statement</a>"),
        "{}",
        notices.body
    );

    // The statement, before and after it is written.
    let before = citizen.get("/accessibility").await;
    assert_eq!(before.status, 200);
    assert!(
        before
            .body
            .contains("has not published its accessibility statement here yet")
    );
    let statement = [
        ("status", "partial"),
        (
            "exceptions_cs",
            "Mapa hlášení nemá textovou alternativu pro body mimo seznam.",
        ),
        ("exceptions_en", ""),
        ("prepared", "2026-12-01"),
        ("method", "self"),
        ("reviewed", ""),
        ("contact", "pristupnost@mesto.cz"),
    ];
    // A portal not fully accessible must say what is not.
    let mut silent = statement.to_vec();
    silent[1].1 = "";
    let refused = admin
        .submit(pages, &format!("{pages}/accessibility"), &silent)
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Say what is not accessible, and why."),
        "{}",
        refused.body
    );
    let saved = admin
        .submit(pages, &format!("{pages}/accessibility"), &statement)
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let english = citizen.get("/accessibility").await;
    assert!(
        english
            .body
            .contains("<strong>partially compliant</strong>")
            && english.body.contains("prepared on 1 December 2026")
            && english.body.contains("<ul lang=\"cs\"><li>Mapa hlášení")
            && english.body.contains("pristupnost@mesto.cz"),
        "{}",
        english.body
    );
    citizen.get("/lang/cs").await;
    let czech = citizen.get("/accessibility").await;
    assert!(
        czech.body.contains("<h1>Prohlášení o přístupnosti</h1>")
            && czech.body.contains("<strong>v částečném souladu</strong>")
            && czech.body.contains("vypracováno dne 1. 12. 2026")
            && czech.body.contains("zákonem č. 99/2019 Sb.")
            && czech.body.contains(">Úřední hodiny</h2>"),
        "{}",
        czech.body
    );

    // The emblem and the colour of the header: a colour white text is not
    // readable on is refused with its contrast, a picture that is not one
    // (an SVG may carry script) too; nothing is changed by either.
    let brand = "/admin/orgs/test-city/brand";
    let csrf = admin.get(pages).await.csrf();
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    let pale = admin
        .post_multipart(
            brand,
            &[("_csrf", &csrf), ("colour", "#ffcc00")],
            ("emblem", "znak.png", png),
        )
        .await;
    assert_eq!(pale.status, 422, "{}", pale.body);
    assert!(
        pale.body.contains(
            "White text on #ffcc00 has a contrast of only 1.5:1; it needs at least 4.5:1"
        ),
        "{}",
        pale.body
    );
    let svg = admin
        .post_multipart(
            brand,
            &[("_csrf", &csrf), ("colour", "")],
            (
                "emblem",
                "znak.svg",
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            ),
        )
        .await;
    assert_eq!(svg.status, 422, "{}", svg.body);
    assert!(
        svg.body.contains("Choose a picture in PNG, JPEG or WebP."),
        "{}",
        svg.body
    );
    assert!(!citizen.get("/").await.body.contains("class=\"emblem\""));
    let branded = admin
        .post_multipart(
            brand,
            &[("_csrf", &csrf), ("colour", "#0B4F8A")],
            ("emblem", "znak.png", png),
        )
        .await;
    assert_eq!(branded.status, 303, "{}", branded.body);
    let home = citizen.get("/").await;
    assert!(
        home.body
            .contains("<img class=\"emblem\" src=\"/emblem\" alt=\"\">")
            && home
                .body
                .contains("<link rel=\"stylesheet\" href=\"/brand.css\">"),
        "{}",
        home.body
    );
    let picture = citizen.get("/emblem").await;
    assert_eq!(picture.status, 200);
    assert_eq!(picture.headers["content-type"], "image/png");
    let css = citizen.get("/brand.css").await;
    assert!(css.body.contains("--brand: #0b4f8a;"), "{}", css.body);

    // The cookies the portal sets, by the portal itself.
    let cookies = citizen.get("/cookies").await;
    assert!(
        cookies.body.contains("<code>__Host-portico-session</code>")
            && cookies
                .body
                .contains("neukládá, a proto se na souhlas neptá"),
        "{}",
        cookies.body
    );

    // The change is in the city's audit trail, by whom.
    let trail = admin.get("/admin/orgs/test-city/audit").await;
    assert!(trail.body.contains("org.page"), "{}", trail.body);

    // Another city's administrator cannot write this city's pages.
    let other = Browser::new(addr);
    assert_eq!(other.log_in("cizi", PASSWORD).await.status, 303);
    let csrf = other.csrf_token().await;
    let refused = other
        .post_form(
            &format!("{pages}/contacts"),
            &[("_csrf", &csrf), ("phone", "+420 111 222 333")],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(!citizen.get("/").await.body.contains("111 222 333"));
}
