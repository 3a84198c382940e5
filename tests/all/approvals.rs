//! Approval flows merged across organizations (the tasks module): the
//! region's official sets up flows; a school submits requests to them;
//! approvers decide one after another or all at once, by all or a quorum,
//! an absent approver's substitute in their place; the submitter never
//! decides their own request (four eyes); the school reads the outcome;
//! another school sees none of it.

use std::collections::HashMap;

use portico_platform::audit;
use portico_platform::organizations::Kind;
use portico_sdk::calendar;
use portico_tests::TestPortal;
use portico_tests::browser::{Browser, Page};

const PASSWORD: &str = "correct horse battery staple";
const KRAJ: &str = "/o/kraj/m/tasks/approvals";
const NEW: &str = "/o/zs-a/m/tasks/approvals/new";

async fn submit(b: &Browser, page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
    b.submit(page, path, fields).await
}

/// The value of the flow named `name` in the new request's select.
fn flow_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!(">{name}</option>"))
        .unwrap_or_else(|| panic!("{name} is offered: {html}"));
    let open = html[..at].rfind("value=\"").expect("a value") + "value=\"".len();
    html[open..].chars().take_while(|c| *c != '"').collect()
}

/// Submits a request of `flow` as `who`; the path of the request's page.
async fn ask(who: &Browser, flow: &str, title: &str, text: &str) -> String {
    let page = who.get(NEW).await;
    let asked = submit(
        who,
        NEW,
        NEW,
        &[
            ("flow", &flow_value(&page.body, flow)),
            ("title", title),
            ("text", text),
        ],
    )
    .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    // The page's path, without the confirmation the redirect carries.
    let location = asked.location();
    location.split('?').next().unwrap_or(location).to_owned()
}

type People = HashMap<&'static str, String>;
type Browsers = HashMap<&'static str, Browser>;

/// The region, two schools, and their people, logged in.
async fn region() -> (TestPortal, std::net::SocketAddr, People, Browsers) {
    let portal = TestPortal::builder()
        .module("tasks")
        .tree_org("kraj", Kind::Region, None, None)
        .tree_org("zs-a", Kind::Organization, Some("kraj"), Some("school"))
        .tree_org("zs-b", Kind::Organization, Some("kraj"), Some("school"))
        .build()
        .await;
    let addr = portal.serve().await;
    let people = portal
        .staff(
            addr,
            PASSWORD,
            &[
                (
                    "olga",
                    &[("kraj", "tasks.official"), ("kraj", "tasks.approver")],
                ),
                ("pavel", &[("kraj", "tasks.approver")]),
                ("rita", &[("kraj", "tasks.approver")]),
                ("dana", &[("zs-a", "tasks.director")]),
                // A director of the school who approves at the region too.
                (
                    "dvoj",
                    &[("zs-a", "tasks.director"), ("kraj", "tasks.approver")],
                ),
                ("bohus", &[("zs-b", "tasks.director")]),
            ],
        )
        .await;
    let mut ids = HashMap::new();
    let mut browsers = HashMap::new();
    for (name, (id, browser)) in people {
        ids.insert(name, id);
        browsers.insert(name, browser);
    }
    (portal, addr, ids, browsers)
}

#[tokio::test]
async fn a_schools_requests_are_decided_in_turn_by_quorum_and_by_substitutes_never_by_their_submitter()
 {
    let (portal, _, ids, browsers) = region().await;
    let b = |name: &str| &browsers[name];
    let flows = format!("{KRAJ}/flows");

    // The official sets up two flows: an investment, approved by Pavel
    // then Rita; a purchase, by any two of Olga, Pavel and Dvoj at once.
    let saved = submit(
        b("olga"),
        &flows,
        &flows,
        &[
            ("name", "Investment over 500,000 CZK"),
            ("approvers", &ids["pavel"]),
            ("approvers", &ids["rita"]),
            ("order", "sequential"),
            ("rule", "all"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let bad = submit(
        b("olga"),
        &flows,
        &flows,
        &[
            ("name", "Purchase"),
            ("approvers", &ids["olga"]),
            ("rule", "quorum"),
            ("quorum", "3"),
        ],
    )
    .await;
    assert_eq!(
        bad.status, 422,
        "a quorum above the approvers: {}",
        bad.body
    );
    let saved = submit(
        b("olga"),
        &flows,
        &flows,
        &[
            ("name", "Purchase"),
            ("approvers", &ids["olga"]),
            ("approvers", &ids["pavel"]),
            ("approvers", &ids["dvoj"]),
            ("order", "parallel"),
            ("rule", "quorum"),
            ("quorum", "2"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    portal.settle().await;

    // Pavel is away this week; Olga decides in his place.
    let absences = format!("{KRAJ}/absences");
    let today = calendar::today();
    let away = submit(
        b("pavel"),
        &absences,
        &absences,
        &[
            ("substitute", &ids["olga"]),
            ("from", &today.to_string()),
            ("until", &(today + chrono::Days::new(7)).to_string()),
        ],
    )
    .await;
    assert_eq!(away.status, 303, "{}", away.body);

    // The school asks for an investment.
    let own = ask(
        b("dana"),
        "Investment over 500,000 CZK",
        "A new roof of the gym",
        "The roof leaks; the offer is 1.2 million CZK.",
    )
    .await;
    let key = own.rsplit('/').next().unwrap().to_owned();
    portal.settle().await;

    // Olga is asked in Pavel's place, Rita not yet, Pavel not at all.
    let screen = format!("{KRAJ}/zs-a/{key}");
    let waiting = |who: &'static str| async move {
        b(who)
            .get(KRAJ)
            .await
            .body
            .contains("A new roof of the gym")
    };
    assert!(waiting("olga").await);
    assert!(!waiting("rita").await);
    assert!(!waiting("pavel").await);
    let told = b("olga").get("/o/kraj/inbox").await;
    assert!(told.body.contains("A new roof of the gym"), "{}", told.body);
    let one = b("olga").get(&screen).await;
    assert!(
        one.body.contains("The roof leaks"),
        "the request whole: {}",
        one.body
    );
    assert!(one.body.contains("substitute"), "{}", one.body);
    let not_yet = b("rita")
        .submit(&screen, &format!("{screen}/decide"), &[("note", "")])
        .await;
    assert_eq!(not_yet.status, 403, "not Rita's turn: {}", not_yet.body);
    let fine = submit(
        b("olga"),
        &screen,
        &format!("{screen}/decide"),
        &[("note", "For Pavel: fine.")],
    )
    .await;
    assert_eq!(fine.status, 303, "{}", fine.body);

    // Then Rita: a rejection needs a reason, an approval decides it.
    assert!(waiting("rita").await);
    let no_reason = submit(
        b("rita"),
        &screen,
        &format!("{screen}/decide"),
        &[("note", ""), ("_button", "reject")],
    )
    .await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.body);
    let agreed = submit(
        b("rita"),
        &screen,
        &format!("{screen}/decide"),
        &[("note", "Agreed.")],
    )
    .await;
    assert_eq!(agreed.status, 303, "{}", agreed.body);
    portal.settle().await;
    let outcome = b("dana").get(&own).await;
    assert!(outcome.body.contains("Approved"), "{}", outcome.body);
    assert!(outcome.body.contains("Agreed."), "{}", outcome.body);
    let told = b("dana").get("/o/zs-a/inbox").await;
    assert!(
        told.body.contains("approved: A new roof of the gym"),
        "{}",
        told.body
    );

    // Another school sees none of it.
    let foreign = b("bohus").get(&own).await;
    assert!(matches!(foreign.status, 403 | 404), "{}", foreign.status);

    // Dvoj asks for a purchase: he is one of its approvers, so the two
    // others are asked at once, and he cannot decide it himself.
    let own = ask(
        b("dvoj"),
        "Purchase",
        "Twenty laptops",
        "For the computer room.",
    )
    .await;
    let key = own.rsplit('/').next().unwrap().to_owned();
    portal.settle().await;
    let screen = format!("{KRAJ}/zs-a/{key}");
    assert!(b("olga").get(KRAJ).await.body.contains("Twenty laptops"));
    assert!(b("pavel").get(KRAJ).await.body.contains("Twenty laptops"));
    let own_decision = b("dvoj")
        .submit(&absences, &format!("{screen}/decide"), &[("note", "Mine.")])
        .await;
    assert_eq!(own_decision.status, 403, "four eyes: {}", own_decision.body);
    assert!(
        own_decision.body.contains("four eyes"),
        "{}",
        own_decision.body
    );
    // Two of the two left are needed: one rejection rejects it.
    let no = submit(
        b("olga"),
        &screen,
        &format!("{screen}/decide"),
        &[
            ("note", "Buy them through the central purchase."),
            ("_button", "reject"),
        ],
    )
    .await;
    assert_eq!(no.status, 303, "{}", no.body);
    portal.settle().await;
    let outcome = b("dvoj").get(&own).await;
    assert!(outcome.body.contains("Rejected"), "{}", outcome.body);
    assert!(
        outcome.body.contains("central purchase"),
        "{}",
        outcome.body
    );

    // A quorum is never lowered: two of Olga and Dvoj, asked by Dvoj,
    // leaves one approver, so it is rejected at once, and says why.
    let saved = submit(
        b("olga"),
        &flows,
        &flows,
        &[
            ("name", "Small purchase"),
            ("approvers", &ids["olga"]),
            ("approvers", &ids["dvoj"]),
            ("order", "parallel"),
            ("rule", "quorum"),
            ("quorum", "2"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    portal.settle().await;
    let own = ask(b("dvoj"), "Small purchase", "A printer", "For the office.").await;
    // Up, then the decision down.
    portal.settle().await;
    portal.settle().await;
    let outcome = b("dvoj").get(&own).await;
    assert!(outcome.body.contains("Rejected"), "{}", outcome.body);
    assert!(
        outcome.body.contains("Too few approvers"),
        "{}",
        outcome.body
    );
    assert!(!b("olga").get(KRAJ).await.body.contains("A printer"));

    // Every decision is on the region's chain, which verifies.
    let actions: Vec<String> = audit::entries(portal.db(), "kraj")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "approval.flow-saved",
        "approval.requested",
        "approval.approved-by",
        "approval.approved",
        "approval.rejected",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    assert!(matches!(
        audit::verify(portal.db(), "kraj").await.unwrap(),
        audit::Verdict::Intact { .. }
    ));
}

/// Every page of approvals passes axe in Czech and English on a phone and
/// a desktop, as the official and approver, and as the school's director.
#[tokio::test]
async fn every_approvals_page_passes_the_accessibility_check_in_both_languages_on_a_phone_and_a_desktop()
 {
    use portico_tests::chromium::Chromium;
    let (portal, addr, ids, browsers) = region().await;
    let flows = format!("{KRAJ}/flows");
    let saved = submit(
        &browsers["olga"],
        &flows,
        &flows,
        &[
            ("name", "Investment"),
            ("approvers", &ids["olga"]),
            ("rule", "any"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    portal.settle().await;
    let own = ask(
        &browsers["dana"],
        "Investment",
        "A new roof",
        "The roof leaks.",
    )
    .await;
    let key = own.rsplit('/').next().unwrap().to_owned();
    portal.settle().await;
    let pages: [(&str, Vec<String>); 2] = [
        (
            "olga",
            vec![
                KRAJ.into(),
                flows.clone(),
                format!("{KRAJ}/absences"),
                format!("{KRAJ}/zs-a/{key}"),
            ],
        ),
        (
            "dana",
            vec!["/o/zs-a/m/tasks/approvals".into(), NEW.into(), own.clone()],
        ),
    ];
    for (user, paths) in pages {
        let browser = Chromium::start(addr).await;
        browser.log_in(user, PASSWORD).await;
        browser
            .check_pages(&format!("62-approvals-{user}"), &paths)
            .await;
    }
}
