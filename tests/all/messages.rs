//! Organizations working together along the tree (WIT 0.3.0), through the
//! `relay` test module and HTTP: what `orgs` shows of the tree, messages
//! down and up and handled once, a forged message refused and audited,
//! a receiver that fails retried, parked and re-driven.

use portico_host::workers::WorkerConfig;
use portico_platform::audit::{self, Verdict};
use portico_platform::messages;
use portico_platform::modules::Change;
use portico_platform::organizations::Kind;
use portico_runtime::api::{CallContext, Message};
use portico_tests::browser::hidden_field;
use portico_tests::{TestDatabase, TestPortal, run_portico};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::{Got, call, json_of, serve_to_platform_admin};

/// A region with two schools (one with a canteen below it), a hospital and
/// a school where the module is not enabled; and a city of its own.
async fn region(database: TestDatabase) -> TestPortal {
    TestPortal::builder()
        .module("relay")
        .database(database)
        .tree_org("jmk", Kind::Region, None, None)
        .tree_org("zs-a", Kind::Organization, Some("jmk"), Some("school"))
        .tree_org("zs-a-jidelna", Kind::Unit, Some("zs-a"), Some("canteen"))
        .tree_org("zs-b", Kind::Organization, Some("jmk"), Some("school"))
        .tree_org(
            "nemocnice",
            Kind::Organization,
            Some("jmk"),
            Some("hospital"),
        )
        .tree_org("zs-c", Kind::Organization, Some("jmk"), Some("school"))
        .without_modules_in("zs-c")
        .tree_org("brno", Kind::City, None, None)
        .build()
        .await
}

async fn relay(portal: &TestPortal, org: &str, method: &str, path: &str, body: Value) -> Got {
    let body = if method == "GET" {
        String::new()
    } else {
        body.to_string()
    };
    call(
        portal,
        method,
        &format!("/o/{org}/m/relay/api/{path}"),
        &body,
    )
    .await
}

async fn send(portal: &TestPortal, from: &str, to: &str, kind: &str, payload: Value) -> Got {
    relay(
        portal,
        from,
        "POST",
        "send",
        json!({ "to": to, "kind": kind, "payload": payload }),
    )
    .await
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect()
}

async fn received(portal: &TestPortal, org: &str) -> Vec<Value> {
    let got = relay(portal, org, "GET", "received", Value::Null).await;
    assert_eq!(got.status, 200, "{}", got.body);
    json_of(&got).as_array().unwrap().clone()
}

async fn actions(portal: &TestPortal, org: &str, action: &str) -> Vec<audit::Entry> {
    audit::entries(portal.db(), org)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

async fn intact(portal: &TestPortal, org: &str) {
    assert!(
        matches!(
            audit::verify(portal.db(), org).await.unwrap(),
            Verdict::Intact { .. }
        ),
        "the audit chain of {org} verifies"
    );
}

async fn count_messages(portal: &TestPortal) -> i64 {
    let row = portal
        .db()
        .query_one_raw(Statement::from_string(
            portal.db().get_database_backend(),
            "SELECT COUNT(*) AS n FROM messages",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn orgs_shows_a_module_its_own_line_of_the_tree_and_nothing_else() {
    let portal = region(TestDatabase::sqlite()).await;

    // A school sees itself, its region above it and its canteen below it.
    let got = relay(&portal, "zs-a", "GET", "line", Value::Null).await;
    assert_eq!(got.status, 200, "{}", got.body);
    let line = json_of(&got);
    assert_eq!(line["current"]["id"], "zs-a");
    assert_eq!(line["current"]["category"], "school");
    assert_eq!(line["current"]["parent"], "jmk");
    assert_eq!(line["current"]["address"], "Street zs-a 1, Brno");
    assert_eq!(ids(&line["ancestors"]), ["jmk"]);
    assert_eq!(line["ancestors"][0]["kind"], "region");
    assert_eq!(ids(&line["descendants"]), ["zs-a-jidelna"]);

    // The region sees its schools, by name, and where the module is on.
    let got = relay(&portal, "jmk", "GET", "line?category=school", Value::Null).await;
    let line = json_of(&got);
    assert_eq!(ids(&line["descendants"]), ["zs-a", "zs-b", "zs-c"]);
    let enabled: Vec<bool> = line["descendants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["module_enabled"].as_bool().unwrap())
        .collect();
    assert_eq!(enabled, [true, true, false]);
    assert_eq!(line["ancestors"], json!([]));
    let got = relay(&portal, "jmk", "GET", "line?kind=unit", Value::Null).await;
    assert_eq!(ids(&json_of(&got)["descendants"]), ["zs-a-jidelna"]);
    let got = relay(&portal, "jmk", "GET", "line", Value::Null).await;
    assert_eq!(
        ids(&json_of(&got)["descendants"]),
        ["nemocnice", "zs-a", "zs-a-jidelna", "zs-b", "zs-c"],
        "each after its parent, siblings by name"
    );

    // One of the line by id; a sibling, another tree and an organization
    // that does not exist read alike: not found.
    let got = relay(&portal, "zs-a-jidelna", "GET", "orgs/jmk", Value::Null).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(json_of(&got)["name"], "Region jmk");
    let mut answers = Vec::new();
    for other in ["zs-b", "brno", "nemocnice", "no-such-org"] {
        let got = relay(
            &portal,
            "zs-a",
            "GET",
            &format!("orgs/{other}"),
            Value::Null,
        )
        .await;
        assert_eq!(got.status, 404, "{other}: {}", got.body);
        assert!(!got.body.contains("Organization zs-b"), "{}", got.body);
        let message = json_of(&got)["message"].as_str().unwrap().to_owned();
        answers.push(message.replace(other, "ID"));
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "another branch is answered as one that does not exist: {answers:?}"
    );
}

#[tokio::test]
async fn messages_go_down_and_up_the_tree_and_each_is_handled_once() {
    for database in TestDatabase::both().await {
        let engine = database.engine;
        let portal = region(database).await;
        let config = WorkerConfig::default();

        // Down to two schools, and a report up from one.
        for to in ["zs-a", "zs-b"] {
            let got = send(
                &portal,
                "jmk",
                to,
                "task.assigned",
                json!({ "task": "T-1" }),
            )
            .await;
            assert_eq!(got.status, 200, "{engine}: {}", got.body);
        }
        let got = send(
            &portal,
            "zs-a",
            "jmk",
            "report.submitted",
            json!({ "task": "T-1" }),
        )
        .await;
        assert_eq!(got.status, 200, "{engine}: {}", got.body);
        let report_id = json_of(&got)["id"].as_u64().unwrap();
        // A call that fails after sending sends nothing.
        let got = relay(
            &portal,
            "jmk",
            "POST",
            "send",
            json!({ "to": "zs-b", "kind": "task.assigned", "payload": {}, "then_fail": true }),
        )
        .await;
        assert_eq!(got.status, 409, "{engine}: {}", got.body);
        assert_eq!(count_messages(&portal).await, 3, "{engine}");
        // The operators' metrics count them as waiting.
        let metrics = crate::get(&portal.app(), "/metrics", "text/plain").await;
        assert!(
            metrics
                .body
                .contains("portico_outbox_backlog{outbox=\"messages\"} 3"),
            "{engine}: {}",
            metrics.body
        );

        assert_eq!(portal.carry_messages(&config).await, 3, "{engine}");
        assert_eq!(portal.carry_messages(&config).await, 0, "{engine}");
        let at_a = received(&portal, "zs-a").await;
        assert_eq!(at_a.len(), 1, "{engine}: {at_a:?}");
        assert_eq!(at_a[0]["from"], "jmk");
        assert_eq!(at_a[0]["kind"], "task.assigned");
        assert_eq!(at_a[0]["payload"], json!({ "task": "T-1" }));
        let at_region = received(&portal, "jmk").await;
        assert_eq!(at_region.len(), 1, "{engine}");
        assert_eq!(at_region[0]["from"], "zs-a");
        assert_eq!(at_region[0]["message"], report_id);
        assert!(received(&portal, "nemocnice").await.is_empty());

        // Both chains record each message, with the payload's hash.
        let hash = messages::payload_hash(&json!({ "task": "T-1" }).to_string());
        let sent = actions(&portal, "jmk", "message.sent").await;
        assert_eq!(sent.len(), 2, "{engine}");
        let detail: Value = serde_json::from_str(&sent[0].detail).unwrap();
        assert_eq!(detail["to"], "zs-a");
        assert_eq!(detail["payload_sha256"], hash.as_str());
        let got = actions(&portal, "zs-a", "message.received").await;
        assert_eq!(got.len(), 1, "{engine}");
        let detail: Value = serde_json::from_str(&got[0].detail).unwrap();
        assert_eq!(detail["from"], "jmk");
        assert_eq!(detail["payload_sha256"], hash.as_str());
        for org in ["jmk", "zs-a", "zs-b"] {
            intact(&portal, org).await;
        }

        // Delivered again (the host stopped before marking it): the
        // receiver does not see it twice.
        portal
            .db()
            .execute_raw(Statement::from_string(
                portal.db().get_database_backend(),
                "UPDATE messages SET status = 'pending', next_attempt_micros = 0",
            ))
            .await
            .unwrap();
        assert_eq!(portal.carry_messages(&config).await, 3, "{engine}");
        assert_eq!(received(&portal, "zs-a").await.len(), 1, "{engine}");
        assert_eq!(received(&portal, "jmk").await.len(), 1, "{engine}");

        // Two calls racing for one message: the second keeps nothing.
        let module = portal.module("relay");
        let ctx = CallContext {
            org_id: "zs-b".into(),
            principal: None,
            request_id: "race".into(),
            locale: "cs".into(),
        };
        let message = Message {
            id: 1_000_001,
            kind: "task.assigned".into(),
            payload: json!({ "task": "T-2" }).to_string(),
            from_org: "jmk".into(),
            sent_at: "2026-12-03T10:00:00Z".into(),
        };
        module.on_message(&ctx, message.clone()).await.unwrap();
        module.on_message(&ctx, message).await.unwrap();
        let at_b = received(&portal, "zs-b").await;
        assert_eq!(at_b.len(), 2, "{engine}: T-1 and T-2 once each: {at_b:?}");
        assert_eq!(actions(&portal, "zs-b", "message.received").await.len(), 2);
        portal.database.cleanup().await;
    }
}

#[tokio::test]
async fn a_module_cannot_message_outside_its_line_and_every_attempt_is_audited() {
    let portal = region(TestDatabase::sqlite()).await;
    for (to, status, says) in [
        ("zs-b", 404, "no organization `zs-b` above or below"),
        ("brno", 404, "no organization `brno` above or below"),
        (
            "no-such-org",
            404,
            "no organization `no-such-org` above or below",
        ),
        ("zs-a", 404, "is the calling organization"),
    ] {
        let got = send(&portal, "zs-a", to, "task.assigned", json!({})).await;
        assert_eq!(got.status, status, "to {to}: {}", got.body);
        assert!(got.body.contains(says), "to {to}: {}", got.body);
    }
    // Where the module is not enabled, the region is told so.
    let got = send(&portal, "jmk", "zs-c", "task.assigned", json!({})).await;
    assert_eq!(got.status, 403, "{}", got.body);
    assert!(got.body.contains("not enabled in `zs-c`"), "{}", got.body);
    // Bad input is named.
    let got = send(&portal, "jmk", "zs-a", "Task Assigned", json!({})).await;
    assert_eq!(got.status, 422, "{}", got.body);
    assert!(got.body.contains("kind"), "{}", got.body);
    // Not an id at all (a module probing with a long string): bad input,
    // not an addressee, so it fills no audit entry.
    let long = "x".repeat(400);
    let got = send(&portal, "zs-a", &long, "task.assigned", json!({})).await;
    assert_eq!(got.status, 422, "{}", got.body);
    assert!(got.body.contains("to-org"), "{}", got.body);
    assert_eq!(count_messages(&portal).await, 0, "nothing refused was sent");

    // Every refusal is in the sender's chain, though its call failed.
    let refused = actions(&portal, "zs-a", "message.refused").await;
    let subjects: Vec<&str> = refused.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(subjects, ["zs-b", "brno", "no-such-org", "zs-a"]);
    let detail: Value = serde_json::from_str(&refused[0].detail).unwrap();
    assert_eq!(detail["kind"], "task.assigned");
    assert!(detail["reason"].as_str().unwrap().contains("zs-b"));
    let refused = actions(&portal, "jmk", "message.refused").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].subject, "zs-c");
    // Nothing reached the sibling's chain.
    assert!(actions(&portal, "zs-b", "message.refused").await.is_empty());
    intact(&portal, "zs-a").await;
    intact(&portal, "jmk").await;

    // Down to a unit of its own is allowed.
    let got = send(&portal, "zs-a", "zs-a-jidelna", "menu.changed", json!({})).await;
    assert_eq!(got.status, 200, "{}", got.body);
}

#[tokio::test]
async fn a_message_its_receiver_refuses_is_retried_parked_and_redriven_from_the_cli() {
    let database = TestDatabase::sqlite();
    let url = database.url.clone();
    let portal = region(database).await;
    let refuse = |kind: &str| Change {
        set: [("refuse-kind".to_owned(), kind.to_owned())].into(),
        ..Change::default()
    };
    portal
        .state
        .services
        .change("zs-b", "relay", &refuse("task.assigned"), "test")
        .await
        .unwrap();
    let got = send(
        &portal,
        "jmk",
        "zs-b",
        "task.assigned",
        json!({ "task": "T-9" }),
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.body);
    let config = WorkerConfig {
        max_attempts: 2,
        backoff: std::time::Duration::ZERO,
        ..WorkerConfig::default()
    };
    assert_eq!(portal.carry_messages(&config).await, 1);
    assert_eq!(portal.carry_messages(&config).await, 1, "retried");
    assert_eq!(portal.carry_messages(&config).await, 0, "parked");
    assert!(received(&portal, "zs-b").await.is_empty());

    // The administrator finds it, lets the school take it, and re-drives it.
    let (ok, out, err) = run_portico(&["messages", "dead", "--database-url", &url]);
    assert!(ok, "{err}");
    assert!(out.contains("relay `task.assigned` jmk → zs-b"), "{out}");
    assert!(out.contains("refuses task.assigned messages"), "{out}");
    portal
        .state
        .services
        .change("zs-b", "relay", &refuse(""), "test")
        .await
        .unwrap();
    let (ok, out, err) = run_portico(&[
        "messages",
        "redrive",
        "--org",
        "zs-b",
        "--database-url",
        &url,
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("1 message(s) to zs-b put back in line"),
        "{out}"
    );
    assert_eq!(portal.carry_messages(&config).await, 1);
    let at_b = received(&portal, "zs-b").await;
    assert_eq!(at_b.len(), 1);
    assert_eq!(at_b[0]["payload"]["task"], "T-9");
    let (ok, out, _) = run_portico(&[
        "messages",
        "list",
        "--org",
        "zs-b",
        "--module",
        "relay",
        "--database-url",
        &url,
    ]);
    assert!(ok);
    assert!(out.contains(": delivered"), "{out}");

    // Parked again, the administrator finds it in the console and sends
    // it on with one button.
    portal
        .state
        .services
        .change("zs-b", "relay", &refuse("task.assigned"), "test")
        .await
        .unwrap();
    let got = send(
        &portal,
        "jmk",
        "zs-b",
        "task.assigned",
        json!({ "task": "T-10" }),
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.body);
    while portal.carry_messages(&config).await > 0 {}
    let (_, browser) = serve_to_platform_admin(&portal).await;
    let page = browser.get("/admin/orgs/zs-b/modules/relay").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("dead letters"), "{}", page.body);
    assert!(
        page.body.contains("refuses task.assigned messages"),
        "{}",
        page.body
    );
    let csrf = hidden_field(&page.body, "_csrf").expect("the console form's CSRF token");
    portal
        .state
        .services
        .change("zs-b", "relay", &refuse(""), "test")
        .await
        .unwrap();
    let done = browser
        .post_form(
            "/admin/orgs/zs-b/modules/relay",
            &[("_csrf", &csrf), ("redrive", "messages")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let after = browser.get(done.location()).await;
    assert!(
        after.body.contains("The messages are back in line"),
        "{}",
        after.body
    );
    assert_eq!(portal.carry_messages(&config).await, 1);
    assert_eq!(received(&portal, "zs-b").await.len(), 2);
}
