//! A notice's life on the official notice board, as the law expects it:
//! posted with its signed document, which anyone reads; scheduled from a
//! later date and posted that night; corrected by a correction that is
//! itself posted, the original kept; taken down early with a reason; and
//! a certificate of posting and taking down for each. Every step is in
//! the city's audit trail.

use std::time::Duration;

use portico_platform::identity::users::UserKind;
use portico_runtime::api::CallContext;
use portico_tests::browser::Browser;
use portico_tests::{TEST_CITY, TestPortal};

const PASSWORD: &str = "correct horse battery staple";
const BOARD: &str = "/m/notice-board";

/// The date `days` from the modules' today, as YYYY-MM-DD.
fn day(portal: &TestPortal, days: i64) -> String {
    let now = portal.clock().now();
    let now: chrono::DateTime<chrono::Utc> = now.into();
    (now.date_naive() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn nightly_job(portal: &TestPortal) {
    let ctx = CallContext {
        org_id: TEST_CITY.into(),
        principal: None,
        request_id: "test-night".into(),
        locale: "cs".into(),
    };
    portal
        .module("notice-board")
        .run_job(&ctx, "take-down")
        .await
        .expect("the nightly job runs");
}

#[tokio::test]
async fn a_notice_is_posted_with_its_document_scheduled_corrected_taken_down_early_and_certified() {
    let portal = TestPortal::builder().module("notice-board").build().await;
    let editor = portal.user("eva", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&editor, TEST_CITY, "notice-board.editor")
        .await;
    let addr = portal.serve().await;
    let staff = Browser::new(addr);
    assert_eq!(staff.log_in("eva", PASSWORD).await.status, 303);
    let citizen = Browser::new(addr);
    let post = format!("{BOARD}/post");
    let form = staff.get(&post).await;
    assert!(
        form.body.contains("enctype=\"multipart/form-data\""),
        "{}",
        form.body
    );
    let csrf = form.csrf();
    let until = day(&portal, 30);

    // A picture is no signed document: refused at its field, nothing posted.
    let refused = staff
        .post_multipart(
            &post,
            &[
                ("_csrf", &csrf),
                ("reference", "MMB/0500/2026"),
                ("title", "Veřejná vyhláška o uzavírce"),
                ("until", &until),
            ],
            ("attachment", "uzavirka.png", b"\x89PNG\r\n\x1a\n0000"),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("Attach a PDF document."),
        "{}",
        refused.body
    );
    assert!(
        !citizen
            .get(&format!("{BOARD}/"))
            .await
            .body
            .contains("MMB/0500/2026")
    );

    // Posted with its PDF, which anyone reads.
    let pdf = b"%PDF-1.7 Verejna vyhlaska o uzavirce, podepsano".to_vec();
    let posted = staff
        .post_multipart(
            &post,
            &[
                ("_csrf", &csrf),
                ("reference", "MMB/0500/2026"),
                ("title", "Veřejná vyhláška o uzavírce"),
                ("department", "Odbor dopravy"),
                ("until", &until),
                ("text", "Silnice bude uzavřena."),
            ],
            ("attachment", "vyhlaska.pdf", &pdf),
        )
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let reference = "MMB%2F0500%2F2026";
    let page = citizen.get(&format!("{BOARD}/notices/{reference}")).await;
    let at = page
        .body
        .find(&format!("{BOARD}/notices/{reference}/files/"))
        .expect("a link to the document");
    let link = &page.body[at..];
    let link = &link[..link.find('"').unwrap()];
    assert!(page.body.contains("vyhlaska.pdf (1 kB)"), "{}", page.body);
    let document = citizen.get(link).await;
    assert_eq!(document.status, 200, "{}", document.body);
    assert_eq!(document.headers["content-type"], "application/pdf");
    assert_eq!(document.body.as_bytes(), pdf.as_slice());
    // Citizens see no editor's tools.
    assert!(!page.body.contains("Take down early"), "{}", page.body);

    // Scheduled from the day after tomorrow: not on the board until the
    // night of that day.
    let from = day(&portal, 2);
    let scheduled = staff
        .submit(
            &post,
            &post,
            &[
                ("reference", "MMB/0501/2026"),
                ("title", "Oznámení o výběrovém řízení"),
                ("from", &from),
                ("until", &day(&portal, 20)),
            ],
        )
        .await;
    assert_eq!(scheduled.status, 303, "{}", scheduled.body);
    let waiting = staff.get(&post).await;
    assert!(
        waiting.body.contains("Notices waiting for their date")
            && waiting.body.contains("Oznámení o výběrovém řízení"),
        "{}",
        waiting.body
    );
    assert!(
        !citizen
            .get(&format!("{BOARD}/"))
            .await
            .body
            .contains("výběrovém")
    );
    nightly_job(&portal).await;
    assert!(
        !citizen
            .get(&format!("{BOARD}/"))
            .await
            .body
            .contains("výběrovém"),
        "not before its day"
    );
    portal.clock().advance(Duration::from_secs(2 * 86_400));
    nightly_job(&portal).await;
    let board = citizen.get(&format!("{BOARD}/")).await;
    assert!(
        board.body.contains("Oznámení o výběrovém řízení"),
        "{}",
        board.body
    );
    // Scheduled in the past is refused: it would be posted backdated.
    let backdated = staff
        .submit(
            &post,
            &post,
            &[
                ("reference", "MMB/0502/2026"),
                ("title", "Zpětně"),
                ("from", &day(&portal, -3)),
                ("until", &day(&portal, 20)),
            ],
        )
        .await;
    assert_eq!(backdated.status, 422, "{}", backdated.body);
    assert!(
        backdated
            .body
            .contains("A notice cannot be posted in the past"),
        "{}",
        backdated.body
    );

    // A correction is posted as a notice of its own; the original stays,
    // and each links to the other.
    let notice = format!("{BOARD}/notices/{reference}");
    let correct = format!("{notice}/correct");
    let form = staff.get(&correct).await;
    assert!(
        form.body
            .contains("value=\"Correction: Veřejná vyhláška o uzavírce\""),
        "the form starts from the original: {}",
        form.body
    );
    let corrected = staff
        .submit(
            &correct,
            &correct,
            &[
                ("reference", "MMB/0500/2026-1"),
                ("title", "Oprava: Veřejná vyhláška o uzavírce"),
                ("until", &until),
                ("text", "Silnice bude uzavřena jen v pracovní dny."),
            ],
        )
        .await;
    assert_eq!(corrected.status, 303, "{}", corrected.body);
    let original = citizen.get(&notice).await;
    assert!(
        original
            .body
            .contains("This notice is corrected by notice MMB/0500/2026-1"),
        "{}",
        original.body
    );
    let correction = citizen
        .get(&format!("{BOARD}/notices/MMB%2F0500%2F2026-1"))
        .await;
    assert!(
        correction.body.contains("Corrects notice") && correction.body.contains("MMB/0500/2026"),
        "{}",
        correction.body
    );

    // Taken down early, with a reason it must give.
    let withdraw = format!("{notice}/withdraw");
    let no_reason = staff.submit(&withdraw, &withdraw, &[("reason", " ")]).await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.body);
    assert!(no_reason.body.contains("Say why."), "{}", no_reason.body);
    let down = staff
        .submit(
            &withdraw,
            &withdraw,
            &[("reason", "Uzavírka byla zrušena.")],
        )
        .await;
    assert_eq!(down.status, 303, "{}", down.body);
    let gone = citizen.get(&notice).await;
    assert!(
        gone.body.contains("Taken down early on")
            && gone.body.contains("Reason: Uzavírka byla zrušena."),
        "{}",
        gone.body
    );
    let board = citizen.get(&format!("{BOARD}/")).await;
    let archive = board.body.find("Notices taken down").expect("the archive");
    let at = board
        .body
        .find(">Veřejná vyhláška o uzavírce<")
        .expect("listed");
    assert!(at > archive, "in the archive: {}", board.body);

    // The certificate says when it was posted and taken down, by whom.
    citizen.get("/lang/cs").await;
    let refused = citizen.get(&format!("{notice}/certificate")).await;
    assert_ne!(refused.status, 200, "for staff only");
    staff.get("/lang/cs").await;
    let certificate = staff.get(&format!("{notice}/certificate")).await;
    assert_eq!(certificate.status, 200, "{}", certificate.body);
    for says in [
        "Doložka o vyvěšení: MMB/0500/2026",
        "Vyvěsil(a)",
        "User eva",
        "Sejmuto předčasně, protože",
        "Uzavírka byla zrušena.",
        "vyhlaska.pdf",
    ] {
        assert!(
            certificate.body.contains(says),
            "{says}: {}",
            certificate.body
        );
    }

    // Each step is in the city's audit trail.
    let trail = portico_platform::audit::entries(portal.db(), TEST_CITY)
        .await
        .unwrap();
    for action in ["notice.post", "notice.schedule", "notice.withdraw"] {
        assert!(
            trail.iter().any(|e| e.action == action),
            "{action} in {:?}",
            trail.iter().map(|e| &e.action).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn the_boards_title_and_intro_are_set_in_each_language() {
    let portal = TestPortal::builder().module("notice-board").build().await;
    let boss = portal.user("boss", UserKind::Staff, PASSWORD).await;
    portal.grant(&boss, TEST_CITY, "org-admin").await;
    let addr = portal.serve().await;
    let admin = Browser::new(addr);
    assert_eq!(admin.log_in("boss", PASSWORD).await.status, 303);
    let page = "/admin/orgs/test-city/modules/notice-board";
    let form = admin.get(page).await;
    assert!(
        form.body
            .contains("Page title (none: the board&#39;s own) (in Czech)")
            || form
                .body
                .contains("Page title (none: the board's own) (in Czech)"),
        "{}",
        form.body
    );
    assert!(
        form.body.contains("name=\"setting.title.en\""),
        "{}",
        form.body
    );
    let saved = admin
        .submit(
            page,
            page,
            &[
                ("setting.title", "Úřední deska města"),
                ("setting.title.en", "The city's notice board"),
                ("setting.intro", ""),
                ("setting.intro.en", ""),
                ("setting.notify-email", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    // Each reader gets the title in their language; an intro set in
    // neither is the board's own, in theirs.
    let reader = Browser::new(addr);
    let english = reader.get(&format!("{BOARD}/")).await;
    assert!(
        english
            .body
            .contains("<h1>The city&#39;s notice board</h1>")
            || english.body.contains("<h1>The city's notice board</h1>"),
        "{}",
        english.body
    );
    assert!(
        english.body.contains("Notices posted by the office"),
        "{}",
        english.body
    );
    reader.get("/lang/cs").await;
    let czech = reader.get(&format!("{BOARD}/")).await;
    assert!(
        czech.body.contains("<h1>Úřední deska města</h1>")
            && czech.body.contains("Oznámení, která úřad vyvěšuje"),
        "{}",
        czech.body
    );
}
