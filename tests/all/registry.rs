//! The organization registry (first-party, WIT 0.3.0) through HTTP as its
//! people use it: a school's editor changes contacts (at once) and
//! registered facts (sent up for approval); the region's approver rejects
//! without a reason (refused at the field), approves, and the school's
//! profile and history change; a second change is rejected with a reason
//! the school reads; the public register and its CSV follow; another
//! school's editor cannot touch the first one's profile. Every page
//! passes axe in both languages on a phone and a desktop.

use portico_platform::audit;
use portico_platform::organizations::Kind;
use portico_tests::TestPortal;
use portico_tests::browser::{Browser, Page};
use portico_tests::chromium::Chromium;

const PASSWORD: &str = "correct horse battery staple";
const BASE_A: &str = "/o/zs-a/m/org-registry";
const BASE_KRAJ: &str = "/o/kraj/m/org-registry";

struct Region {
    portal: TestPortal,
    addr: std::net::SocketAddr,
    editor_a: Browser,
    editor_b: Browser,
    approver: Browser,
}

async fn region() -> Region {
    let portal = TestPortal::builder()
        .module("org-registry")
        .tree_org("kraj", Kind::Region, None, None)
        .tree_org("zs-a", Kind::Organization, Some("kraj"), Some("school"))
        .tree_org("zs-b", Kind::Organization, Some("kraj"), Some("school"))
        .build()
        .await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[
                ("jana", &[("zs-a", "org-registry.editor")]),
                ("petr", &[("zs-b", "org-registry.editor")]),
                ("olga", &[("kraj", "org-registry.approver")]),
            ],
        )
        .await;
    let mut browser = |name| people.remove(name).expect("a person").1;
    let (editor_a, editor_b, approver) = (browser("jana"), browser("petr"), browser("olga"));
    Region {
        portal,
        addr,
        editor_a,
        editor_b,
        approver,
    }
}

impl Region {
    async fn settle(&self) {
        self.portal.settle().await;
    }
}

async fn submit(b: &Browser, page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
    b.submit(page, path, fields).await
}

/// The key of the first request linked from the founder's list.
fn first_request(html: &str) -> String {
    let prefix = format!("{BASE_KRAJ}/changes/");
    let at = html.find(&prefix).expect("a request is listed") + prefix.len();
    html[at..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

#[tokio::test]
async fn a_schools_registered_facts_change_only_once_the_region_approves_and_every_change_is_on_record()
 {
    let r = region().await;
    let edit = format!("{BASE_A}/edit");

    // A wrong IČO comes back at its field, in the editor's words; nothing
    // is saved.
    let wrong = submit(
        &r.editor_a,
        &edit,
        &edit,
        &[("ico", "62157125"), ("phone", "+420 541 000 000")],
    )
    .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.body.contains("does not add up"), "{}", wrong.body);
    assert!(
        !r.editor_a
            .get(BASE_A)
            .await
            .body
            .contains("+420 541 000 000")
    );

    // Contacts apply at once; registered facts wait for the region.
    let saved = submit(
        &r.editor_a,
        &edit,
        &edit,
        &[
            ("legal_form", "příspěvková organizace"),
            ("ico", "62157124"),
            ("director", "Mgr. Jana Nová"),
            ("director_from", "2024-08-01"),
            ("phone", "+420 541 000 000"),
            ("web", "https://zs-a.example"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let home = r.editor_a.get(BASE_A).await;
    assert!(home.body.contains("+420 541 000 000"), "{}", home.body);
    assert!(home.body.contains("waits for the founder"), "{}", home.body);
    // The director shows only in the change asked for, not in the profile.
    assert_eq!(
        home.body.matches("Mgr. Jana Nová").count(),
        1,
        "{}",
        home.body
    );
    // A second change while one waits is refused at the form.
    let again = submit(&r.editor_a, &edit, &edit, &[("legal_form", "s.r.o.")]).await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(
        again.body.contains("waiting for the founder already"),
        "{}",
        again.body
    );
    r.settle().await;
    let public = Browser::new(r.addr);
    let register = public.get(&format!("{BASE_KRAJ}/register")).await;
    assert!(
        register.body.contains("https://zs-a.example"),
        "contacts are public at once"
    );
    assert!(
        !register.body.contains("Mgr. Jana Nová"),
        "not before approval"
    );

    // The region's approver is told, and sees the change against now.
    let told = r.approver.get("/o/kraj/inbox").await;
    assert!(
        told.body
            .contains("A change of registered facts: Organization zs-a"),
        "{}",
        told.body
    );
    let list = r.approver.get(&format!("{BASE_KRAJ}/changes")).await;
    let key = first_request(&list.body);
    let page = format!("{BASE_KRAJ}/changes/{key}");
    let shown = r.approver.get(&page).await;
    assert!(shown.body.contains("Mgr. Jana Nová"), "{}", shown.body);
    let no_reason = submit(
        &r.approver,
        &page,
        &format!("{page}/reject"),
        &[("reason", "")],
    )
    .await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.body);
    assert!(no_reason.body.contains("Say why"), "{}", no_reason.body);
    let approved = submit(&r.approver, &page, &format!("{page}/approve"), &[]).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    r.settle().await;

    // The school's profile has changed, with its history.
    let home = r.editor_a.get(BASE_A).await;
    assert!(
        !home.body.contains("waits for the founder"),
        "{}",
        home.body
    );
    assert!(home.body.contains("Mgr. Jana Nová"), "{}", home.body);
    assert!(home.body.contains("1 August 2024"), "{}", home.body);
    let history = r.editor_a.get(&format!("{BASE_A}/history")).await;
    assert!(
        history.body.contains("User olga"),
        "approved by: {}",
        history.body
    );
    assert!(
        history.body.contains("User jana"),
        "changed by: {}",
        history.body
    );
    assert!(!history.body.contains("Portal"), "{}", history.body);
    assert!(history.body.contains("62157124"), "{}", history.body);

    // A second change, rejected with a reason the school reads.
    submit(
        &r.editor_a,
        &edit,
        &edit,
        &[
            ("legal_form", "příspěvková organizace"),
            ("ico", "62157124"),
            ("director", "Mgr. Jana Nová"),
            ("director_from", "2024-08-01"),
            ("address", "Nová 1, Brno"),
            ("phone", "+420 541 000 000"),
            ("web", "https://zs-a.example"),
        ],
    )
    .await;
    r.settle().await;
    let list = r.approver.get(&format!("{BASE_KRAJ}/changes")).await;
    let key = first_request(&list.body);
    let page = format!("{BASE_KRAJ}/changes/{key}");
    assert!(r.approver.get(&page).await.body.contains("Nová 1, Brno"));
    let rejected = submit(
        &r.approver,
        &page,
        &format!("{page}/reject"),
        &[("reason", "The address differs from the founding deed.")],
    )
    .await;
    assert_eq!(rejected.status, 303, "{}", rejected.body);
    r.settle().await;
    let home = r.editor_a.get(BASE_A).await;
    assert!(
        home.body
            .contains("The address differs from the founding deed."),
        "{}",
        home.body
    );
    assert!(!home.body.contains("Nová 1, Brno"), "{}", home.body);

    // A third change, withdrawn before the founder decides: the founder's
    // copy says so, and the profile stays.
    submit(
        &r.editor_a,
        &edit,
        &edit,
        &[
            ("legal_form", "příspěvková organizace"),
            ("ico", "62157124"),
            ("director", "Mgr. Jana Nová"),
            ("director_from", "2024-08-01"),
            ("data_box", "abc2def"),
            ("phone", "+420 541 000 000"),
            ("web", "https://zs-a.example"),
        ],
    )
    .await;
    let withdrawn = submit(&r.editor_a, BASE_A, &format!("{BASE_A}/withdraw"), &[]).await;
    assert_eq!(withdrawn.status, 303, "{}", withdrawn.body);
    r.settle().await;
    let list = r.approver.get(&format!("{BASE_KRAJ}/changes")).await;
    assert!(list.body.contains("Withdrawn"), "{}", list.body);
    assert!(!r.editor_a.get(BASE_A).await.body.contains("abc2def"));

    // The public register (no log-in) and its CSV.
    let register = public.get(&format!("{BASE_KRAJ}/register")).await;
    assert_eq!(register.status, 200, "{}", register.body);
    assert!(
        register.body.contains("Mgr. Jana Nová"),
        "{}",
        register.body
    );
    assert!(!register.body.contains("Nová 1, Brno"), "{}", register.body);
    assert!(register.body.contains("62157124"), "{}", register.body);
    assert!(
        register.body.contains("https://zs-a.example"),
        "{}",
        register.body
    );
    let csv = public.get(&format!("{BASE_KRAJ}/register.csv")).await;
    let rows = csv.csv_rows();
    assert!(
        rows.iter()
            .any(|row| row[0] == "zs-a" && row.contains(&"62157124".to_owned())),
        "{rows:?}"
    );

    // Another school's editor cannot read or change the first one's profile.
    for path in [BASE_A.to_owned(), edit.clone(), format!("{BASE_A}/history")] {
        let foreign = r.editor_b.get(&path).await;
        assert!(
            matches!(foreign.status, 403 | 404),
            "{path}: {}",
            foreign.status
        );
    }
    let own = r.editor_b.get("/o/zs-b/m/org-registry/edit").await;
    let forged = r
        .editor_b
        .post_form(
            &edit,
            &[
                ("_csrf", own.csrf().as_str()),
                ("phone", "+420 999 888 777"),
            ],
        )
        .await;
    assert!(matches!(forged.status, 403 | 404), "{}", forged.status);
    assert!(
        !r.editor_a
            .get(BASE_A)
            .await
            .body
            .contains("+420 999 888 777")
    );

    // The steps are on both chains, which verify.
    let db = r.portal.db();
    let actions = |org: &'static str| async move {
        audit::entries(db, org)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect::<Vec<_>>()
    };
    let kraj = actions("kraj").await;
    for a in ["profile.change-approved", "profile.change-rejected"] {
        assert!(kraj.iter().any(|x| x == a), "{a} in {kraj:?}");
    }
    let school = actions("zs-a").await;
    for a in [
        "profile.change-requested",
        "profile.changed",
        "profile.change-withdrawn",
    ] {
        assert!(school.iter().any(|x| x == a), "{a} in {school:?}");
    }
    for org in ["kraj", "zs-a"] {
        assert!(matches!(
            audit::verify(r.portal.db(), org).await.unwrap(),
            audit::Verdict::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn every_registry_page_passes_the_accessibility_check_in_both_languages_on_a_phone_and_a_desktop()
 {
    let r = region().await;
    let edit = format!("{BASE_A}/edit");
    submit(
        &r.editor_a,
        &edit,
        &edit,
        &[
            ("ico", "62157124"),
            ("director", "Mgr. Jana Nová"),
            ("web", "https://zs-a.example"),
        ],
    )
    .await;
    r.settle().await;
    let key = first_request(&r.approver.get(&format!("{BASE_KRAJ}/changes")).await.body);
    let pages: [(&str, &str, Vec<String>); 3] = [
        (
            "jana",
            "editor",
            vec![BASE_A.into(), edit.clone(), format!("{BASE_A}/history")],
        ),
        (
            "olga",
            "approver",
            vec![
                format!("{BASE_KRAJ}/changes"),
                format!("{BASE_KRAJ}/changes/{key}"),
            ],
        ),
        (
            "",
            "public",
            vec![
                format!("{BASE_KRAJ}/register"),
                format!("{BASE_KRAJ}/register/zs-a"),
            ],
        ),
    ];
    for (user, who, paths) in pages {
        let browser = Chromium::start(r.addr).await;
        if !user.is_empty() {
            browser.log_in(user, PASSWORD).await;
        }
        browser
            .check_pages(&format!("61-registry-{who}"), &paths)
            .await;
    }
}
