//! The tasks module (first-party, WIT 0.3.0) as the region's people use it,
//! through HTTP: an official sends a quarterly task to every school; each
//! school gets its copy; a director hands it to a worker, who resolves it;
//! the director submits; the official returns it once with a reason, then
//! accepts it; the overview shows it; the school that did nothing is
//! escalated after the deadline (the clock moved); another school cannot
//! reach the first one's task.

use std::time::Duration;

use portico_platform::audit;
use portico_platform::organizations::Kind;
use portico_runtime::api::CallContext;
use portico_sdk::calendar;
use portico_sdk::recurrence::Schedule;
use portico_tests::TestPortal;
use portico_tests::browser::{Browser, Page};
use portico_tests::chromium::Chromium;

pub(super) const PASSWORD: &str = "correct horse battery staple";
const QUARTERLY: &str = "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=15";

/// The region, two schools and a hospital, each with the module; the
/// region's official, each school's director, a worker of the first.
/// The data collection's tests walk it too.
pub(super) struct Region {
    pub(super) portal: TestPortal,
    pub(super) addr: std::net::SocketAddr,
    pub(super) official: Browser,
    pub(super) director_a: Browser,
    pub(super) worker_a: Browser,
    pub(super) director_b: Browser,
    pub(super) worker_id: String,
}

pub(super) async fn region() -> Region {
    let portal = TestPortal::builder()
        .module("tasks")
        .tree_org("kraj", Kind::Region, None, None)
        .tree_org("zs-a", Kind::Organization, Some("kraj"), Some("school"))
        .tree_org("zs-b", Kind::Organization, Some("kraj"), Some("school"))
        .tree_org(
            "nemocnice",
            Kind::Organization,
            Some("kraj"),
            Some("hospital"),
        )
        // Far enough ahead that the first quarterly date is sent at once.
        .setting("tasks", "lead-days", "100")
        .build()
        .await;
    let addr = portal.serve().await;
    let mut people = portal
        .staff(
            addr,
            PASSWORD,
            &[
                ("olga", &[("kraj", "tasks.official")]),
                ("dana", &[("zs-a", "tasks.director")]),
                ("vaclav", &[("zs-a", "tasks.worker")]),
                ("bohus", &[("zs-b", "tasks.director")]),
            ],
        )
        .await;
    let mut person = |name| people.remove(name).expect("a person");
    let (official, director_a, (worker_id, worker_a), director_b) = (
        person("olga").1,
        person("dana").1,
        person("vaclav"),
        person("bohus").1,
    );
    Region {
        portal,
        addr,
        official,
        director_a,
        worker_a,
        director_b,
        worker_id,
    }
}

impl Region {
    /// Lets the host carry what was sent, and deliver the notifications.
    async fn settle(&self) {
        self.portal.settle().await;
    }

    async fn job(&self, org: &str, job: &str) {
        let ctx = CallContext {
            org_id: org.into(),
            principal: None,
            request_id: format!("test-{job}"),
            locale: "cs".into(),
        };
        self.portal
            .module("tasks")
            .run_job(&ctx, job)
            .await
            .unwrap_or_else(|e| panic!("{job} in {org}: {e:?}"));
        self.settle().await;
    }
}

/// How many entries of `action` the organization's audit chain holds.
pub(super) async fn actions(r: &Region, org: &str, action: &str) -> usize {
    audit::entries(r.portal.db(), org)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == action)
        .count()
}

pub(super) async fn submit(b: &Browser, page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
    let done = b.submit(page, path, fields).await;
    assert_eq!(done.status, 303, "{path}: {}", done.body);
    done
}

/// The ids that follow `prefix` in the page's links, in order.
pub(super) fn linked_ids(html: &str, prefix: &str) -> Vec<String> {
    html.match_indices(prefix)
        .map(|(at, _)| {
            html[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        })
        .filter(|id| !id.is_empty())
        .collect()
}

#[tokio::test]
async fn a_quarterly_task_goes_to_every_school_and_comes_back_through_worker_director_and_official()
{
    let r = region().await;
    let today = calendar::today();

    // The official sends a quarterly task to every school.
    let new = r.official.get("/o/kraj/m/tasks/new").await;
    assert_eq!(new.status, 200, "{}", new.body);
    assert!(new.body.contains("Organization zs-a"), "{}", new.body);
    submit(
        &r.official,
        "/o/kraj/m/tasks/new",
        "/o/kraj/m/tasks/new",
        &[
            ("title", "Quarterly attendance report"),
            ("text", "Attendance of pupils in the quarter, by class."),
            ("output", "The attendance in percent."),
            ("priority", "high"),
            ("due", &today.to_string()),
            ("schedule", QUARTERLY),
            ("to", "category"),
            ("category", "school"),
        ],
    )
    .await;
    // One task per quarterly date within the lead (100 days): the first
    // 15 January, April, July or October from today on.
    let dates = Schedule::parse(QUARTERLY, today)
        .unwrap()
        .between(today, today + chrono::Days::new(100));
    assert!(!dates.is_empty());
    let home = r.official.get("/o/kraj/m/tasks/").await;
    let tasks = linked_ids(&home.body, "/o/kraj/m/tasks/sent/");
    assert_eq!(tasks.len(), dates.len(), "{}", home.body);
    r.settle().await;

    // Each school has its own copy, the hospital none; the director finds
    // it in the portal's inbox and on the module's home page.
    let first_due = dates[0];
    let task = {
        let home = r.director_a.get("/o/zs-a/m/tasks/").await;
        assert!(
            home.body.contains("Quarterly attendance report"),
            "{}",
            home.body
        );
        let ids = linked_ids(&home.body, "/o/zs-a/m/tasks/inbox/");
        assert_eq!(ids.len(), dates.len(), "{}", home.body);
        ids[0].clone()
    };
    let inbox = r.director_a.get("/o/zs-a/inbox").await;
    assert!(
        inbox.body.contains("New task: Quarterly attendance report"),
        "{}",
        inbox.body
    );
    assert!(
        r.director_b
            .get("/o/zs-b/m/tasks/")
            .await
            .body
            .contains("Quarterly attendance report")
    );
    let hospital = r.portal.documents("nemocnice", "tasks", "received").await;
    assert!(hospital.is_empty(), "{hospital:?}");

    // Another school's director can neither open nor move the first
    // school's task.
    let foreign = r
        .director_b
        .get(&format!("/o/zs-a/m/tasks/inbox/{task}"))
        .await;
    assert!(matches!(foreign.status, 403 | 404), "{}", foreign.status);
    let own_page = r
        .director_b
        .get(&format!("/o/zs-b/m/tasks/inbox/{task}"))
        .await;
    let forged = r
        .director_b
        .post_form(
            &format!("/o/zs-a/m/tasks/inbox/{task}/accept"),
            &[("_csrf", own_page.csrf().as_str())],
        )
        .await;
    assert!(matches!(forged.status, 403 | 404), "{}", forged.status);

    // The director hands it to the worker, who resolves it.
    let page = format!("/o/zs-a/m/tasks/inbox/{task}");
    let shown = r.director_a.get(&page).await;
    assert!(
        shown.body.contains("vaclav"),
        "the worker is offered: {}",
        shown.body
    );
    submit(
        &r.director_a,
        &page,
        &format!("{page}/delegate"),
        &[("worker", &r.worker_id)],
    )
    .await;
    let mine = r.worker_a.get("/o/zs-a/m/tasks/").await;
    assert!(mine.body.contains("Handed to me"), "{}", mine.body);
    assert!(
        mine.body.contains(&format!("/o/zs-a/m/tasks/inbox/{task}")),
        "{}",
        mine.body
    );
    // The worker cannot submit for the organization.
    let refused = r
        .worker_a
        .submit(&page, &format!("{page}/submit"), &[("note", "96 %")])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    submit(
        &r.worker_a,
        &page,
        &format!("{page}/resolve"),
        &[("note", "Counted: 96 %.")],
    )
    .await;

    // The director submits; the official returns it once, with a reason.
    let empty = r
        .director_a
        .submit(&page, &format!("{page}/submit"), &[("note", " ")])
        .await;
    assert_eq!(empty.status, 422, "refused at the field, shown again");
    assert!(empty.body.contains("Fill this in."), "{}", empty.body);
    submit(
        &r.director_a,
        &page,
        &format!("{page}/submit"),
        &[("note", "Attendance 96 %.")],
    )
    .await;
    r.settle().await;
    let judged = format!("/o/kraj/m/tasks/sent/{task}/zs-a");
    let seen = r.official.get(&judged).await;
    assert!(seen.body.contains("Attendance 96 %."), "{}", seen.body);
    assert!(seen.body.contains("Submitted"), "{}", seen.body);
    let told = r.official.get("/o/kraj/inbox").await;
    assert!(
        told.body.contains("Quarterly attendance report: Submitted"),
        "{}",
        told.body
    );
    submit(
        &r.official,
        &judged,
        &format!("{judged}/return"),
        &[("note", "October is missing.")],
    )
    .await;
    r.settle().await;
    let back = r.director_a.get(&page).await;
    assert!(back.body.contains("Returned"), "{}", back.body);
    assert!(back.body.contains("October is missing."), "{}", back.body);

    // A question and its answer, both ways.
    submit(
        &r.director_a,
        &page,
        &format!("{page}/post"),
        &[("text", "Do you want it per class?")],
    )
    .await;
    r.settle().await;
    assert!(
        r.official
            .get(&judged)
            .await
            .body
            .contains("Do you want it per class?")
    );
    submit(
        &r.official,
        &judged,
        &format!("{judged}/post"),
        &[("text", "Yes, per class.")],
    )
    .await;
    r.settle().await;
    assert!(
        r.director_a
            .get(&page)
            .await
            .body
            .contains("Yes, per class.")
    );

    // Submitted again, then accepted: closed on both sides.
    submit(
        &r.director_a,
        &page,
        &format!("{page}/submit"),
        &[("note", "Attendance 96 %, October included.")],
    )
    .await;
    r.settle().await;
    submit(&r.official, &judged, &format!("{judged}/accept"), &[]).await;
    r.settle().await;
    assert!(r.director_a.get(&page).await.body.contains("Closed"));

    // The overview shows the closed school and the one that has not acted.
    let overview = r.official.get("/o/kraj/m/tasks/overview").await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    assert!(
        overview.body.contains("Organization zs-a"),
        "{}",
        overview.body
    );
    assert!(overview.body.contains("Closed"), "{}", overview.body);
    assert!(overview.body.contains("New"), "{}", overview.body);
    let csv = r.official.get("/o/kraj/m/tasks/export.csv").await;
    assert_eq!(csv.status, 200);
    let rows = csv.csv_rows();
    assert!(
        rows.iter()
            .any(|row| row[0] == task && row[3] == "zs-a" && row[5] == "closed" && row[8] == "1"),
        "{rows:?}"
    );

    // The schedule's job, run again, sends no date twice.
    let sent_before = actions(&r, "kraj", "task.sent").await;
    r.job("kraj", "schedule").await;
    assert_eq!(actions(&r, "kraj", "task.sent").await, sent_before);

    // The day before the deadline the school that did nothing is reminded,
    // once; past it, escalated, once; the closed one neither.
    let before = (first_due - today).num_days() - 1;
    r.portal
        .clock()
        .advance(Duration::from_secs(u64::try_from(before).unwrap() * 86_400));
    r.job("zs-b", "deadlines").await;
    r.job("zs-b", "deadlines").await;
    let reminded = r.director_b.get("/o/zs-b/inbox").await;
    assert_eq!(
        reminded.body.matches("Due ").count(),
        1,
        "{}",
        reminded.body
    );
    r.portal.clock().advance(Duration::from_secs(6 * 86_400));
    r.job("kraj", "deadlines").await;
    r.job("kraj", "deadlines").await;
    let escalated: Vec<_> = audit::entries(r.portal.db(), "kraj")
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "task.escalated")
        .collect();
    assert_eq!(escalated.len(), 1, "{escalated:?}");
    assert_eq!(escalated[0].subject, task);
    assert!(
        escalated[0].detail.contains(r#""org":"zs-b""#),
        "{}",
        escalated[0].detail
    );
    let told = r.official.get("/o/kraj/inbox").await;
    assert!(
        told.body
            .contains("Overdue: Quarterly attendance report (Organization zs-b)"),
        "{}",
        told.body
    );
    let late = r
        .director_b
        .get(&format!("/o/zs-b/m/tasks/inbox/{task}"))
        .await;
    assert!(late.body.contains("Past the deadline"), "{}", late.body);
    // The filter, as the official uses it: only the late.
    let filtered = submit(
        &r.official,
        "/o/kraj/m/tasks/overview",
        "/o/kraj/m/tasks/overview",
        &[("category", "school"), ("state", "late")],
    )
    .await;
    assert_eq!(
        filtered.location(),
        "/o/kraj/m/tasks/overview?category=school&state=late"
    );
    let overview = r.official.get(filtered.location()).await;
    assert!(
        overview.body.contains("Organization zs-b"),
        "{}",
        overview.body
    );
    assert!(
        !overview.body.contains("Organization zs-a"),
        "{}",
        overview.body
    );

    // A judgement forged by another school (a build of the module that
    // sends one, delivered past the host) is dropped and audited: the
    // school that did nothing is still late, not closed.
    let forged = portico_runtime::api::Message {
        id: 9_000_001,
        kind: "task.judged".into(),
        payload: serde_json::json!({
            "kind": "judged", "task": task, "seq": 99, "state": "closed",
            "by": "Forger", "note": "",
        })
        .to_string(),
        from_org: "zs-a".into(),
        sent_at: "2026-12-03T10:00:00Z".into(),
    };
    let ctx = CallContext {
        org_id: "zs-b".into(),
        principal: None,
        request_id: "test-forged".into(),
        locale: "cs".into(),
    };
    r.portal
        .module("tasks")
        .on_message(&ctx, forged)
        .await
        .expect("a forged message is dropped, not retried");
    assert_eq!(actions(&r, "zs-b", "task.message-refused").await, 1);
    let still = r
        .director_b
        .get(&format!("/o/zs-b/m/tasks/inbox/{task}"))
        .await;
    assert!(still.body.contains("Past the deadline"), "{}", still.body);
    assert!(!still.body.contains("Closed"), "{}", still.body);

    // Both sides' audit chains hold the steps, and still verify.
    for org in ["kraj", "zs-a", "zs-b"] {
        assert!(
            matches!(
                audit::verify(r.portal.db(), org).await.unwrap(),
                audit::Verdict::Intact { .. }
            ),
            "{org}'s chain verifies"
        );
    }
    let kraj: Vec<String> = audit::entries(r.portal.db(), "kraj")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "task.sent",
        "task.returned",
        "task.closed",
        "message.received",
    ] {
        assert!(kraj.iter().any(|a| a == action), "{action} in {kraj:?}");
    }
    let school: Vec<String> = audit::entries(r.portal.db(), "zs-a")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "task.received",
        "task.delegated",
        "task.resolved",
        "task.submitted",
    ] {
        assert!(school.iter().any(|a| a == action), "{action} in {school:?}");
    }
}

/// Every page of the module, as the official, the director and the worker
/// see it, passes axe-core's WCAG 2.1 A/AA check in Czech and English, on
/// a 320 px phone and on a desktop; the screenshots land in
/// `target/screenshots/`.
#[tokio::test]
async fn every_tasks_page_passes_the_accessibility_check_in_both_languages_on_a_phone_and_a_desktop()
 {
    let r = region().await;
    let due = calendar::today() + chrono::Days::new(14);
    submit(
        &r.official,
        "/o/kraj/m/tasks/new",
        "/o/kraj/m/tasks/new",
        &[
            ("title", "Annual safety inspection"),
            ("text", "Inspect the building and send the record."),
            ("due", &due.to_string()),
            ("to", "all"),
        ],
    )
    .await;
    r.settle().await;
    let home = r.director_a.get("/o/zs-a/m/tasks/").await;
    let task = linked_ids(&home.body, "/o/zs-a/m/tasks/inbox/")[0].clone();
    let page = format!("/o/zs-a/m/tasks/inbox/{task}");
    submit(
        &r.director_a,
        &page,
        &format!("{page}/delegate"),
        &[("worker", &r.worker_id)],
    )
    .await;
    r.settle().await;

    let pages: [(&str, &str, Vec<String>); 3] = [
        (
            "olga",
            "official",
            vec![
                "/o/kraj/m/tasks/".into(),
                "/o/kraj/m/tasks/new".into(),
                format!("/o/kraj/m/tasks/sent/{task}"),
                format!("/o/kraj/m/tasks/sent/{task}/zs-a"),
                "/o/kraj/m/tasks/overview".into(),
            ],
        ),
        (
            "dana",
            "director",
            vec!["/o/zs-a/m/tasks/".into(), page.clone()],
        ),
        (
            "vaclav",
            "worker",
            vec!["/o/zs-a/m/tasks/".into(), page.clone()],
        ),
    ];
    for (user, who, paths) in pages {
        let browser = Chromium::start(r.addr).await;
        browser.log_in(user, PASSWORD).await;
        browser
            .check_pages(&format!("60-tasks-{who}"), &paths)
            .await;
    }
}
