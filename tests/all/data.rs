//! The data platform through a module and HTTP: records, the audit chain,
//! events and jobs, organizations kept apart, bad input refused, and
//! module enablement per organization.

use portico_host::workers::{self, WorkerConfig};
use portico_platform::audit::{self, Verdict};
use portico_platform::{events, modules::Change};
use portico_tests::{TEST_CITY, TestDatabase, TestPortal};
use serde_json::{Value, json};

use crate::{JSON, call, get, json_of};

async fn ledger(database: TestDatabase) -> TestPortal {
    TestPortal::builder()
        .module("ledger")
        .org("other-city")
        .database(database)
        .build()
        .await
}

async fn entries(portal: &TestPortal, org_prefix: &str) -> Vec<Value> {
    let got = get(
        &portal.app(),
        &format!("{org_prefix}/m/ledger/api/find/entries?limit=500"),
        JSON,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.body);
    json_of(&got)["documents"].as_array().unwrap().clone()
}

#[tokio::test]
async fn records_audit_and_events_work_through_a_module_on_both_engines() {
    for database in TestDatabase::both().await {
        let engine = database.engine;
        let portal = ledger(database).await;
        // Insert, read back, update with the right version, refuse a stale one.
        let mut ids = Vec::new();
        for (i, kind) in ["fee", "fee", "fine", "grant", "fee"].iter().enumerate() {
            let got = call(
                &portal,
                "POST",
                "/m/ledger/api/entries",
                &json!({ "title": format!("Entry {i}"), "kind": kind, "amount": (i + 1) * 100 })
                    .to_string(),
            )
            .await;
            assert_eq!(got.status, 201, "{engine}: {}", got.body);
            ids.push(json_of(&got)["id"].as_str().unwrap().to_owned());
        }
        let got = get(
            &portal.app(),
            &format!("/m/ledger/api/entries/{}", ids[0]),
            JSON,
        )
        .await;
        assert_eq!(json_of(&got)["data"]["title"], "Entry 0", "{engine}");
        assert_eq!(json_of(&got)["version"], 1);
        let path = format!("/m/ledger/api/entries/{}?version=1", ids[0]);
        let body =
            json!({ "title": "Entry 0, corrected", "kind": "fee", "amount": 150 }).to_string();
        let got = call(&portal, "PUT", &path, &body).await;
        assert_eq!(got.status, 200, "{engine}: {}", got.body);
        assert_eq!(json_of(&got)["version"], 2);
        let stale = call(&portal, "PUT", &path, &body).await;
        assert_eq!(stale.status, 409, "{engine}: {}", stale.body);
        assert!(stale.body.contains("version 2, not 1"), "{}", stale.body);
        let got = call(
            &portal,
            "DELETE",
            &format!("/m/ledger/api/entries/{}?version=2", ids[4]),
            "",
        )
        .await;
        assert_eq!(
            got.status, 409,
            "{engine}: deleting needs the current version"
        );
        let got = call(
            &portal,
            "DELETE",
            &format!("/m/ledger/api/entries/{}?version=1", ids[4]),
            "",
        )
        .await;
        assert_eq!(got.status, 204, "{engine}: {}", got.body);
        let got = get(
            &portal.app(),
            &format!("/m/ledger/api/entries/{}", ids[4]),
            JSON,
        )
        .await;
        assert_eq!(
            got.status, 404,
            "{engine}: a deleted record is gone for reads"
        );

        // Filters, sort and cursor pagination.
        let got = get(
            &portal.app(),
            "/m/ledger/api/find/entries?f=kind,eq,fee&sort=amount&desc=1&limit=1",
            JSON,
        )
        .await;
        let page1 = json_of(&got);
        assert_eq!(
            page1["documents"][0]["data"]["amount"], 200,
            "{engine}: {page1}"
        );
        let cursor = page1["next"].as_str().expect("a next page").to_owned();
        let got = get(
            &portal.app(),
            &format!("/m/ledger/api/find/entries?f=kind,eq,fee&sort=amount&desc=1&limit=1&cursor={cursor}"),
            JSON,
        )
        .await;
        let page2 = json_of(&got);
        assert_eq!(
            page2["documents"][0]["data"]["amount"], 150,
            "{engine}: {page2}"
        );
        assert!(page2["next"].is_null(), "{engine}: two fees left: {page2}");
        let got = get(
            &portal.app(),
            "/m/ledger/api/find/entries?f=amount,ge,300&f=title,prefix,Entry",
            JSON,
        )
        .await;
        assert_eq!(
            json_of(&got)["documents"].as_array().unwrap().len(),
            2,
            "{engine}: {}",
            got.body
        );

        // Count and sum by group, for reports.
        let got = get(
            &portal.app(),
            "/m/ledger/api/report?by=kind&sum=amount",
            JSON,
        )
        .await;
        let report = json_of(&got);
        assert_eq!(
            report[0],
            json!({ "key": "fee", "count": 2, "sum": 350.0 }),
            "{engine}: {report}"
        );

        // Every write is in the organization's audit chain, with the module's own entries.
        let db = portal.db();
        match audit::verify(db, TEST_CITY).await.unwrap() {
            Verdict::Intact { .. } => {}
            broken => panic!("{engine}: {broken:?}"),
        }
        let chain = audit::entries(db, TEST_CITY).await.unwrap();
        let count = |action: &str| chain.iter().filter(|e| e.action == action).count();
        assert_eq!(count("record.insert"), 5, "{engine}");
        assert_eq!(count("record.update"), 1, "{engine}");
        assert_eq!(count("record.delete"), 1, "{engine}");
        assert_eq!(count("ledger.add"), 5, "{engine}");
        assert!(
            chain
                .iter()
                .any(|e| e.action == "module.enable" && e.subject == "ledger")
        );

        // Each insert published an event; the dispatcher delivers it to the subscriber.
        let delivered = portal.dispatch(&WorkerConfig::default()).await;
        assert_eq!(delivered, 5, "{engine}");
        assert_eq!(
            portal.dispatch(&WorkerConfig::default()).await,
            0,
            "{engine}: once"
        );
        let seen = get(&portal.app(), "/m/ledger/api/find/seen?limit=100", JSON).await;
        let seen: Vec<String> = json_of(&seen)["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["data"]["entry"].as_str().unwrap().to_owned())
            .collect();
        let mut expected = ids.clone();
        expected.sort();
        let mut seen_sorted = seen.clone();
        seen_sorted.sort();
        assert_eq!(seen_sorted, expected, "{engine}");
        portal.database.cleanup().await;
    }
}

#[tokio::test]
async fn two_organizations_never_see_each_others_data() {
    let portal = ledger(TestDatabase::sqlite()).await;
    let got = call(
        &portal,
        "POST",
        "/m/ledger/api/entries",
        r#"{"title":"Secret of the test city","kind":"fee","amount":1}"#,
    )
    .await;
    assert_eq!(got.status, 201);
    let id = json_of(&got)["id"].as_str().unwrap().to_owned();
    let other = "/o/other-city";
    // A forged id: the other organization's record does not exist here.
    let got = get(
        &portal.app(),
        &format!("{other}/m/ledger/api/entries/{id}"),
        JSON,
    )
    .await;
    assert_eq!(got.status, 404, "{}", got.body);
    let got = call(
        &portal,
        "PUT",
        &format!("{other}/m/ledger/api/entries/{id}?version=1"),
        r#"{"title":"x"}"#,
    )
    .await;
    assert_eq!(got.status, 404, "{}", got.body);
    assert!(entries(&portal, other).await.is_empty());
    let got = get(
        &portal.app(),
        &format!("{other}/m/ledger/api/report?by=kind"),
        JSON,
    )
    .await;
    assert_eq!(json_of(&got), json!([]));
    // Crafted filters: fields that are not indexed fields (the host's own
    // columns among them) are refused by name; values are only values.
    for field in ["org_id", "collection_id", "deleted"] {
        let got = get(
            &portal.app(),
            &format!("{other}/m/ledger/api/find/entries?f={field},eq,x"),
            JSON,
        )
        .await;
        assert_eq!(got.status, 422, "{}", got.body);
        assert!(got.body.contains("filters[0].field"), "{}", got.body);
    }
    let got = get(
        &portal.app(),
        &format!("{other}/m/ledger/api/find/entries?f=kind,eq,fee'%20OR%20'1'='1"),
        JSON,
    )
    .await;
    assert_eq!(json_of(&got)["documents"], json!([]));
    // Another module's collection or a made-up one cannot be named.
    for name in ["notices", "..%2Fentries", "ENTRIES"] {
        let got = get(
            &portal.app(),
            &format!("{other}/m/ledger/api/find/{name}"),
            JSON,
        )
        .await;
        assert_eq!(got.status, 422, "{name}: {}", got.body);
        assert!(
            got.body.contains("\"field\":\"collection\""),
            "{}",
            got.body
        );
    }
    // The other organization's own data and events stay its own.
    let got = call(
        &portal,
        "POST",
        &format!("{other}/m/ledger/api/entries"),
        r#"{"title":"Other","kind":"fee"}"#,
    )
    .await;
    assert_eq!(got.status, 201);
    assert_eq!(portal.dispatch(&WorkerConfig::default()).await, 2);
    assert_eq!(entries(&portal, "").await.len(), 1);
    let seen = get(
        &portal.app(),
        &format!("{other}/m/ledger/api/find/seen"),
        JSON,
    )
    .await;
    let seen = json_of(&seen)["documents"].as_array().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_ne!(seen[0]["data"]["entry"], id);
}

#[tokio::test]
async fn bad_input_is_refused_by_field_and_nothing_is_half_written() {
    let portal = ledger(TestDatabase::sqlite()).await;
    let cases = [
        (
            "POST",
            "/m/ledger/api/raw/entries",
            "{\"title\": \"unfinished",
            422,
            "\"field\":\"data\"",
        ),
        (
            "POST",
            "/m/ledger/api/raw/entries",
            "[1, 2]",
            422,
            "must be a JSON object",
        ),
        (
            "POST",
            "/m/ledger/api/raw/entries",
            r#"{"amount": "ten"}"#,
            422,
            "\"field\":\"amount\"",
        ),
        (
            "POST",
            "/m/ledger/api/raw/entries",
            &format!(r#"{{"text": "{}"}}"#, "x".repeat(5000)),
            422,
            "at most 4096",
        ),
        (
            "POST",
            "/m/ledger/api/raw/nowhere",
            "{}",
            422,
            "\"field\":\"collection\"",
        ),
        (
            "GET",
            "/m/ledger/api/find/entries?limit=0",
            "",
            422,
            "\"field\":\"limit\"",
        ),
        (
            "GET",
            "/m/ledger/api/find/entries?f=amount,gt,lots",
            "",
            422,
            "filters[0].value",
        ),
        (
            "GET",
            "/m/ledger/api/find/entries?cursor=zz",
            "",
            422,
            "\"field\":\"cursor\"",
        ),
        (
            "POST",
            "/m/ledger/api/publish/Not%20A%20Topic",
            "",
            422,
            "\"field\":\"topic\"",
        ),
        ("GET", "/m/ledger/api/write-in-get", "", 403, "only reads"),
        (
            "POST",
            "/m/ledger/api/fail-after-write",
            r#"{"title":"lost"}"#,
            503,
            "",
        ),
        (
            "POST",
            "/m/ledger/api/trap-after-write",
            r#"{"title":"lost"}"#,
            500,
            "",
        ),
    ];
    let chain_before = audit::entries(portal.db(), TEST_CITY).await.unwrap().len();
    for (method, path, body, status, needle) in cases {
        let got = call(&portal, method, path, body).await;
        assert_eq!(got.status, status, "{method} {path}: {}", got.body);
        assert!(got.body.contains(needle), "{method} {path}: {}", got.body);
    }
    // Nothing of the refused or failed calls was stored, audited or published.
    assert!(entries(&portal, "").await.is_empty());
    assert_eq!(
        audit::entries(portal.db(), TEST_CITY).await.unwrap().len(),
        chain_before
    );
    assert_eq!(portal.dispatch(&WorkerConfig::default()).await, 0);
}

#[tokio::test]
async fn failing_deliveries_are_retried_then_parked_and_can_be_redriven() {
    let portal = ledger(TestDatabase::sqlite()).await;
    let got = call(
        &portal,
        "POST",
        "/m/ledger/api/entries",
        r#"{"title":"x","fail_event":true}"#,
    )
    .await;
    assert_eq!(got.status, 201);
    let config = WorkerConfig {
        max_attempts: 2,
        backoff: std::time::Duration::ZERO,
        ..WorkerConfig::default()
    };
    assert_eq!(portal.dispatch(&config).await, 1);
    assert_eq!(portal.dispatch(&config).await, 1, "retried");
    assert_eq!(portal.dispatch(&config).await, 0, "parked");
    let dead = events::dead_letters(portal.db(), Some(TEST_CITY))
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 2);
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("fails on purpose"),
        "{dead:?}"
    );
    assert_eq!(
        events::redrive(portal.db(), TEST_CITY, None).await.unwrap(),
        1
    );
    assert_eq!(
        portal.dispatch(&config).await,
        1,
        "delivered again after the re-drive"
    );
}

/// Two hosts with the ledger over one fresh PostgreSQL schema.
async fn two_hosts() -> (TestPortal, TestPortal) {
    let database = TestDatabase::postgres().await;
    let url = database.url.clone();
    let first = ledger(database).await;
    let second = TestPortal::builder()
        .module("ledger")
        .database(TestDatabase::existing(&url))
        .existing_orgs()
        .build()
        .await;
    (first, second)
}

#[tokio::test]
async fn a_job_runs_once_per_time_and_organization_even_with_two_hosts() {
    let (first, second) = two_hosts().await;
    let to = chrono::Local::now();
    let from = to - chrono::Duration::milliseconds(2500);
    let host_a = WorkerConfig {
        holder: "a".into(),
        ..WorkerConfig::default()
    };
    let host_b = WorkerConfig {
        holder: "b".into(),
        ..WorkerConfig::default()
    };
    let (a, b) = tokio::join!(
        workers::schedule_once(&first.state, &host_a, from, to),
        workers::schedule_once(&second.state, &host_b, from, to),
    );
    a.unwrap();
    b.unwrap();
    // The runs are spawned; wait for them to finish.
    for _ in 0..100 {
        let runs = portico_platform::jobs::runs(first.db(), None, 100)
            .await
            .unwrap();
        if runs.len() == 2 && runs.iter().all(|r| r.outcome.is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let runs = portico_platform::jobs::runs(first.db(), None, 100)
        .await
        .unwrap();
    assert_eq!(runs.len(), 2, "one run per organization: {runs:?}");
    assert!(
        runs.iter().all(|r| r.outcome.as_deref() == Some("ok")),
        "{runs:?}"
    );
    for prefix in ["", "/o/other-city"] {
        let ticks = get(
            &first.app(),
            &format!("{prefix}/m/ledger/api/find/ticks"),
            JSON,
        )
        .await;
        assert_eq!(
            json_of(&ticks)["documents"].as_array().unwrap().len(),
            1,
            "{prefix}"
        );
    }
    first.database.cleanup().await;
}

#[tokio::test]
async fn disabling_a_module_hides_it_and_enabling_it_again_brings_its_data_back() {
    let portal = ledger(TestDatabase::sqlite()).await;
    call(
        &portal,
        "POST",
        "/m/ledger/api/entries",
        r#"{"title":"kept"}"#,
    )
    .await;
    assert_eq!(
        get(&portal.app(), "/m/ledger/", crate::HTML).await.status,
        200
    );
    let change = |enabled| Change {
        enabled: Some(enabled),
        ..Change::default()
    };
    portal
        .state
        .services
        .change(TEST_CITY, "ledger", &change(false), "test")
        .await
        .unwrap();
    assert_eq!(
        get(&portal.app(), "/m/ledger/api/find/entries", JSON)
            .await
            .status,
        404
    );
    let page = get(&portal.app(), "/m/ledger/", crate::HTML).await;
    assert_eq!(page.status, 404);
    assert!(
        page.body.contains("offers no service `ledger`"),
        "{}",
        page.body
    );
    // The other organization still has it.
    assert_eq!(
        get(
            &portal.app(),
            "/o/other-city/m/ledger/api/find/entries",
            JSON
        )
        .await
        .status,
        200
    );
    portal
        .state
        .services
        .change(TEST_CITY, "ledger", &change(true), "test")
        .await
        .unwrap();
    let back = entries(&portal, "").await;
    assert_eq!(back.len(), 1);
    assert_eq!(back[0]["data"]["title"], "kept");
    let chain = audit::entries(portal.db(), TEST_CITY).await.unwrap();
    assert!(
        chain
            .iter()
            .any(|e| e.action == "module.disable" && e.subject == "ledger")
    );
}

#[tokio::test]
async fn a_sorted_query_over_an_unselective_filter_pages_through_in_order() {
    // Over 2,000 matches of `kind`, so SQLite walks the `amount` index and
    // tests `kind` on each document: the pages must be what sorting gives.
    let portal = ledger(TestDatabase::sqlite()).await;
    let lines: Vec<String> = (0..4_200)
        .map(|i| {
            let kind = if i % 2 == 0 { "fee" } else { "fine" };
            json!({ "title": format!("Entry {i}"), "kind": kind, "amount": i % 97 }).to_string()
        })
        .collect();
    portal
        .import(TEST_CITY, "ledger", "entries", &lines.join("\n"))
        .await;
    let mut expected: Vec<(i64, i64)> = (0..4_200)
        .filter(|i| i % 2 == 0)
        .map(|i| (i % 97, i))
        .collect();
    // Largest amount first; among equal amounts, the latest first.
    expected.sort_by(|a, b| b.cmp(a));
    let mut got = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path =
            "/m/ledger/api/find/entries?f=kind,eq,fee&sort=amount&desc=1&limit=500".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = json_of(&get(&portal.app(), &path, JSON).await);
        for d in page["documents"].as_array().unwrap() {
            assert_eq!(d["data"]["kind"], "fee");
            let title = d["data"]["title"].as_str().unwrap();
            let i: i64 = title.trim_start_matches("Entry ").parse().unwrap();
            got.push((d["data"]["amount"].as_i64().unwrap(), i));
        }
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(got.len(), expected.len());
    assert_eq!(got, expected);
}

#[tokio::test]
async fn on_postgresql_a_change_on_one_host_reaches_the_others_at_once() {
    let (first, second) = two_hosts().await;
    let path = "/o/other-city/m/ledger/api/find/entries";
    // The first host has the organization's modules cached now.
    assert_eq!(get(&first.app(), path, JSON).await.status, 200);
    let disable = Change {
        enabled: Some(false),
        ..Change::default()
    };
    second
        .state
        .services
        .change("other-city", "ledger", &disable, "test")
        .await
        .unwrap();
    // Well within the cache's lifetime, the first host follows.
    let started = std::time::Instant::now();
    while get(&first.app(), path, JSON).await.status == 200 {
        assert!(
            started.elapsed() < portico_host::services::ENABLEMENT_TTL / 2,
            "the first host still serves a module disabled on the second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(get(&first.app(), path, JSON).await.status, 404);
    first.database.cleanup().await;
}

/// Posts an entry to the ledger's API in a task of its own.
fn spawn_entry(app: axum::Router, title: &str) -> tokio::task::JoinHandle<crate::Got> {
    let body = json!({ "title": title, "kind": "test" }).to_string();
    tokio::spawn(async move {
        let request = axum::http::Request::post("/m/ledger/api/entries")
            .header("accept", JSON)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        crate::send(&app, request).await
    })
}

/// On SQLite, calls that write take turns for the one writer. A call that
/// waited its turn longer than its deadline still runs to the end, and
/// the module is not counted faulty for the wait.
#[tokio::test]
async fn waiting_for_the_database_does_not_count_against_a_calls_deadline() {
    let portal = TestPortal::builder()
        .module("ledger")
        .limits(portico_runtime::CallLimits {
            deadline: std::time::Duration::from_millis(300),
            ..portico_runtime::CallLimits::default()
        })
        .breaker_threshold(1)
        .build()
        .await;
    // Another writer holds SQLite's write turn for longer than a call may take.
    let busy = portal
        .state
        .services
        .platform()
        .begin(
            portico_platform::records::Scope {
                org_id: TEST_CITY.into(),
                module_id: "ledger".into(),
                actor: "test".into(),
            },
            true,
        )
        .await
        .unwrap();
    let app = portal.app();
    let waiting = spawn_entry(app, "Queued");
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    busy.commit().await.unwrap();
    let got = waiting.await.unwrap();
    assert_eq!(got.status, 201, "{}", got.body);
    // The module stays on (its breaker opens at the first fault).
    let listed = entries(&portal, "").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["data"]["title"], "Queued");
}

/// On PostgreSQL an upgrade's transaction holds off the module's writes
/// (in every process over the database) until it ends; reads go on.
#[tokio::test]
async fn an_upgrade_holds_the_modules_writes_but_not_its_reads_on_postgresql() {
    let portal = ledger(TestDatabase::postgres().await).await;
    let upgrade = portal
        .state
        .services
        .platform()
        .begin_upgrade(portico_platform::records::Scope {
            org_id: TEST_CITY.into(),
            module_id: "ledger".into(),
            actor: "test".into(),
        })
        .await
        .unwrap();
    let app = portal.app();
    let write = spawn_entry(app, "Held");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!write.is_finished(), "the write waits for the upgrade");
    assert!(entries(&portal, "").await.is_empty(), "reads go on");
    upgrade.commit().await.unwrap();
    let got = write.await.unwrap();
    assert_eq!(got.status, 201, "{}", got.body);
    assert_eq!(entries(&portal, "").await.len(), 1);
    let TestPortal { database, .. } = portal;
    database.cleanup().await;
}

/// A list one host read, and keeps for its next readers, shows at once
/// what another host wrote since: a kept page is used only while its
/// collection is unchanged in the database.
#[tokio::test]
async fn a_list_read_on_one_host_shows_at_once_what_another_host_wrote() {
    let (first, second) = two_hosts().await;
    let path = "/o/other-city/m/ledger/api/find/entries?limit=500";
    let before = get(&first.app(), path, JSON).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(!before.body.contains("Written on the second host"));
    // Read again: the same answer, now from the kept page.
    assert_eq!(get(&first.app(), path, JSON).await.body, before.body);

    let body = json!({ "title": "Written on the second host", "kind": "test" }).to_string();
    let posted = call(&second, "POST", "/o/other-city/m/ledger/api/entries", &body).await;
    assert!(posted.status.is_success(), "{}", posted.body);
    let after = get(&first.app(), path, JSON).await;
    assert!(
        after.body.contains("Written on the second host"),
        "the first host answered from a page kept before the write: {}",
        after.body
    );
    // And a change the first host makes itself shows there too.
    let id = json_of(&posted)["id"].as_str().expect("an id").to_owned();
    let edit = json!({ "title": "Corrected on the first host", "kind": "test" }).to_string();
    let path_one = format!("/o/other-city/m/ledger/api/entries/{id}?version=1");
    let edited = call(&first, "PUT", &path_one, &edit).await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    let after = get(&first.app(), path, JSON).await;
    assert!(after.body.contains("Corrected on the first host"));
    assert!(!after.body.contains("Written on the second host"));
    first.database.cleanup().await;
}
