//! The portal under more requests than it has instance slots: people wait
//! a little instead of being turned away, a refusal comes only past the
//! queue's bound (with `Retry-After`, in the visitor's language), a
//! visitor who gave up is never served, and the metrics count refusals
//! without timing them.

use std::sync::Arc;
use std::time::Duration;

use portico_runtime::{CallLimits, EngineConfig, ModuleEngine};
use portico_tests::{TEST_CITY, TestDatabase, TestPortal, demo_notices};

fn engine(slots: u32, queue: usize) -> Arc<ModuleEngine> {
    Arc::new(
        ModuleEngine::new(&EngineConfig {
            cache_dir: Some(portico_tests::code_cache()),
            max_concurrent_calls: slots,
            max_queued_calls: queue,
            ..EngineConfig::default()
        })
        .expect("an engine"),
    )
}

async fn get(client: &reqwest::Client, url: String) -> (u16, Option<String>, String) {
    let r = client.get(url).send().await.expect("an answer");
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, retry, r.text().await.unwrap_or_default())
}

/// The line of `metrics` that starts with `name`.
fn metric(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn more_visitors_than_instance_slots_are_all_served_on_both_engines() {
    for database in TestDatabase::both().await {
        let engine_name = database.engine;
        let portal = TestPortal::builder()
            .engine(engine(2, 64))
            .database(database)
            .module("notice-board")
            .build()
            .await;
        portal
            .import(TEST_CITY, "notice-board", "notices", &demo_notices())
            .await;
        let addr = portal.serve().await;
        let client = reqwest::Client::new();
        // Thirty people at once on a portal that runs two calls at a time:
        // every page comes, some a little later. A page the board keeps
        // takes well under a millisecond, so thirty may come one after
        // another without meeting: the crowd comes again until some did
        // wait for a slot.
        let mut served = 0;
        let mut metrics = String::new();
        for _ in 0..20 {
            let mut pages = tokio::task::JoinSet::new();
            for _ in 0..30 {
                let client = client.clone();
                pages.spawn(
                    async move { get(&client, format!("http://{addr}/m/notice-board/")).await },
                );
            }
            while let Some(page) = pages.join_next().await {
                let (status, _, body) = page.unwrap();
                assert_eq!(status, 200, "{engine_name}: {body}");
                assert!(
                    body.contains("Plán zimní údržby komunikací"),
                    "{engine_name}"
                );
                served += 1;
            }
            metrics = get(&client, format!("http://{addr}/metrics")).await.2;
            if metric(&metrics, "portico_calls_queued_total").unwrap_or(0.0) > 0.0 {
                break;
            }
        }
        let queued = metric(&metrics, "portico_calls_queued_total").unwrap_or(0.0);
        assert!(
            queued > 0.0,
            "{engine_name}: some calls waited for a slot rather than being refused\n{metrics}"
        );
        assert_eq!(
            metric(&metrics, "portico_instance_slots ").unwrap_or(0.0),
            2.0,
            "{metrics}"
        );
        assert!(
            metrics.contains(&format!(
                r#"route="/m/{{module}}/",method="GET",status="200"}} {served}"#
            )),
            "{engine_name}: HTTP requests are counted by route template\n{metrics}"
        );
        portal.database.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_wait_a_visitor_is_asked_to_retry_and_one_who_left_is_never_served() {
    // Two slots, a queue of four (two per organization), and calls that
    // may take a second: two loopers hold both slots for all of it, and a
    // call may wait half a second for a slot.
    let portal = TestPortal::builder()
        .engine(engine(2, 4))
        .module("notice-board")
        .module("looper")
        .limits(CallLimits {
            deadline: Duration::from_millis(1000),
            ..CallLimits::default()
        })
        .breaker_threshold(100)
        .build()
        .await;
    let addr = portal.serve().await;
    let client = reqwest::Client::new();
    let loopers: Vec<_> = (0..2)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { get(&client, format!("http://{addr}/m/looper/")).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // A visitor who gives up after 50 ms: the request leaves the queue.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    assert!(
        impatient
            .get(format!("http://{addr}/m/notice-board/"))
            .send()
            .await
            .is_err(),
        "the impatient visitor gave up"
    );
    tokio::time::sleep(Duration::from_millis(30)).await;
    let metrics = get(&client, format!("http://{addr}/metrics")).await.2;
    assert_eq!(
        metric(&metrics, "portico_instance_slot_queue").unwrap_or(-1.0),
        0.0,
        "the call of a visitor who left is no longer waiting\n{metrics}"
    );
    assert_eq!(
        metric(&metrics, "portico_instance_slots_in_use").unwrap_or(-1.0),
        2.0,
        "{metrics}"
    );

    // A visitor who cannot wait longer than half the deadline is told the
    // portal is busy, in their language's page, and when to try again.
    let cs = client
        .get(format!("http://{addr}/m/notice-board/"))
        .header("accept-language", "cs")
        .send()
        .await
        .unwrap();
    assert_eq!(cs.status(), 503);
    assert_eq!(
        cs.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body = cs.text().await.unwrap();
    assert!(body.contains("lang=\"cs\""), "{body}");
    for looper in loopers {
        looper.await.unwrap();
    }

    let metrics = get(&client, format!("http://{addr}/metrics")).await.2;
    assert_eq!(
        metric(
            &metrics,
            r#"portico_calls_refused_total{reason="waited_too_long"}"#
        ),
        Some(1.0),
        "{metrics}"
    );
    // The refusal is counted as a call outcome, but never timed: the
    // latency histogram holds only the loopers' calls.
    assert!(
        metrics.contains(r#"module="notice-board",export="render",outcome="overloaded"} 1"#),
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            r#"portico_module_call_duration_seconds_count{module="notice-board""#
        ),
        None,
        "no notice-board call ran, so none was timed\n{metrics}"
    );
    // The board serves again once the slots are free.
    assert_eq!(
        get(&client, format!("http://{addr}/m/notice-board/"))
            .await
            .0,
        200
    );
}
