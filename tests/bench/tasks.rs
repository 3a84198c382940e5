//! The region's load on the tasks module (WIT 0.3.0): a task sent to 300
//! organizations and the time until every one has its copy
//! (`task_fanout_300_s`); the founder's overview of 300 organizations × 40
//! tasks, p95 (bar ≤ 100 ms); and a year of the region's load (16,500
//! tasks across the 300) imported, with the overview's p95 again.

use std::time::Instant;

use portico_host::workers::WorkerConfig;
use portico_platform::identity::users::UserKind;
use portico_platform::organizations::Kind;
use portico_platform::records::Scope;
use portico_tests::TestPortal;
use portico_tests::browser::Browser;

use crate::{PASSWORD, bar, print, size};

const REGION: &str = "bench-region";

fn org(i: usize) -> String {
    format!("org-{i:03}")
}

/// Imports `lines` into the region's `collection` as `portico records
/// import` does (checked, then in bounded transactions).
async fn import(portal: &TestPortal, collection: &str, lines: &str) {
    let loaded = portal.module("tasks");
    let spec = &loaded.manifest().collections[collection];
    let schema = portico_host::services::schema(portico_runtime::backend::CollectionRef {
        name: collection,
        spec,
    });
    let scope = Scope {
        org_id: REGION.into(),
        module_id: "tasks".into(),
        actor: "bench".into(),
    };
    portico_platform::imports::import(
        portal.db(),
        portico_platform::imports::Import {
            scope: &scope,
            schema: &schema,
            text: lines,
            again: true,
        },
        |_| {},
    )
    .await
    .expect("the import");
    portico_platform::imports::analyze(portal.db())
        .await
        .expect("analyze");
}

/// `tasks` tasks, each sent to every one of `orgs` organizations, due a
/// day apart up to today + 30: the tasks and the founder's copies.
fn year(tasks: usize, orgs: usize, tag: &str) -> (String, String) {
    let states = [
        "new",
        "accepted",
        "delegated",
        "submitted",
        "closed",
        "returned",
    ];
    let mut t = String::new();
    let mut s = String::new();
    let today = crate::today_days();
    for n in 0..tasks {
        let key = format!("{tag}-{n:05}");
        let due = crate::civil(today + 30 - i64::try_from(tasks - n).unwrap_or(0));
        t.push_str(
            &serde_json::json!({
                "key": key, "title": format!("Task {n} of {tag}"), "text": "Report as asked.",
                "priority": "normal", "due": due, "official": "bench", "official_name": "Bench official",
                "output": "", "addressees": [], "series": "", "created_by": "bench", "created_at": "2026-01-01 08:00",
            })
            .to_string(),
        );
        t.push('\n');
        for o in 0..orgs {
            let state = states[(n + o) % states.len()];
            s.push_str(
                &serde_json::json!({
                    "task": key, "org": org(o), "org_name": format!("Organization {}", org(o)),
                    "title": format!("Task {n} of {tag}"), "due": due, "state": state,
                    "submitted_on": if state == "submitted" || state == "closed" { due.clone() } else { String::new() },
                    "returns": u32::from(state == "returned"), "escalated": false, "answer": "",
                    "history": [{ "at": "2026-01-01 08:00", "by": "Bench official", "state": "new", "note": "" }],
                    "thread": [],
                })
                .to_string(),
            );
            s.push('\n');
        }
    }
    (t, s)
}

/// The overview's p95 over `n` requests, in milliseconds.
async fn overview_p95(official: &Browser, n: usize) -> f64 {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let path = if i % 2 == 0 {
            format!("/o/{REGION}/m/tasks/overview")
        } else {
            format!("/o/{REGION}/m/tasks/overview?from=50")
        };
        let start = Instant::now();
        let page = official.get(&path).await;
        times.push(start.elapsed());
        assert_eq!(page.status, 200, "{}", page.body);
    }
    times.sort();
    times[times.len() * 95 / 100].as_secs_f64() * 1000.0
}

pub async fn region_load() {
    let orgs = size(300, 6);
    let mut builder =
        TestPortal::builder()
            .module("tasks")
            .tree_org(REGION, Kind::Region, None, None);
    for i in 0..orgs {
        builder = builder.tree_org(&org(i), Kind::Organization, Some(REGION), Some("school"));
    }
    let portal = builder.build().await;
    let official = portal.user("olga", UserKind::Staff, PASSWORD).await;
    portal.grant(&official, REGION, "tasks.official").await;
    let official = Browser::new(portal.serve().await);
    assert_eq!(official.log_in("olga", PASSWORD).await.status, 303);

    // A task to every organization, until each has it.
    let start = Instant::now();
    let sent = official
        .submit(
            &format!("/o/{REGION}/m/tasks/new"),
            &format!("/o/{REGION}/m/tasks/new"),
            &[
                ("title", "Fan-out"),
                ("due", &crate::civil(crate::today_days() + 10)),
                ("to", "all"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let config = WorkerConfig::default();
    let mut carried = 0;
    loop {
        let n = portal.carry_messages(&config).await;
        if n == 0 {
            break;
        }
        carried += n;
    }
    let fanout = start.elapsed();
    assert_eq!(carried, orgs, "every organization got its copy");
    for i in [0, orgs - 1] {
        let got = portal.documents(&org(i), "tasks", "received").await;
        assert_eq!(got.len(), 1, "{} has the task", org(i));
    }
    print(&format!("task_fanout_{orgs}_s"), fanout.as_secs_f64(), "s");

    // The overview of 300 organizations × 40 tasks.
    let (tasks, copies) = year(size(40, 4), orgs, "columns");
    import(&portal, "tasks", &tasks).await;
    import(&portal, "sent", &copies).await;
    let runs = size(200, 4);
    let p95 = overview_p95(&official, runs).await;
    print(&format!("tasks_overview_{orgs}x40_p95"), p95, "ms");
    bar("tasks_overview_p95", p95 <= 100.0, "<= 100 ms");

    // A year of the region's load: 16,500 copies (55 tasks × 300).
    let started = Instant::now();
    let (tasks, copies) = year(size(55, 5), orgs, "year");
    import(&portal, "tasks", &tasks).await;
    import(&portal, "sent", &copies).await;
    print("tasks_year_import_s", started.elapsed().as_secs_f64(), "s");
    let p95 = overview_p95(&official, runs).await;
    print("tasks_overview_after_a_year_p95", p95, "ms");
    bar("tasks_overview_after_a_year_p95", p95 <= 100.0, "<= 100 ms");
}
