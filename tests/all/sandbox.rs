//! Faults stay inside the call that made them: endless loops, memory bombs,
//! traps and capability grabs, and the circuit breaker.

use std::time::{Duration, Instant};

use portico_runtime::CallLimits;
use portico_runtime::breaker::BreakerState;
use portico_tests::{TestPortal, resident_bytes};

use crate::{HTML, JSON, get};

const DEADLINE: Duration = Duration::from_millis(400);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_loop_ends_with_503_at_its_deadline_while_other_modules_keep_serving() {
    let portal = TestPortal::builder()
        .module("looper")
        .module("notice-board")
        .limits(CallLimits {
            deadline: DEADLINE,
            ..CallLimits::default()
        })
        .build()
        .await;
    let addr = portal.serve().await;
    let client = reqwest::Client::new();
    let _quiet = portico_tests::quiet().await;

    let looping = {
        let client = client.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let r = client
                .get(format!("http://{addr}/m/looper/"))
                .send()
                .await
                .expect("an answer");
            (
                r.status().as_u16(),
                start.elapsed(),
                r.text().await.unwrap_or_default(),
            )
        })
    };
    // Meanwhile a healthy module keeps answering, promptly.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut healthy = 0;
    let mut slowest = Duration::ZERO;
    while !looping.is_finished() {
        let start = Instant::now();
        let r = client
            .get(format!("http://{addr}/m/notice-board/"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(r.status(), 200);
        slowest = slowest.max(start.elapsed());
        healthy += 1;
    }
    let (status, took, body) = looping.await.expect("the looping request finishes");
    assert_eq!(status, 503, "{body}");
    assert!(
        took >= DEADLINE && took <= DEADLINE + Duration::from_millis(100),
        "the loop was stopped after {took:?}; the deadline is {DEADLINE:?} (+100 ms allowed)"
    );
    assert!(
        healthy >= 10,
        "only {healthy} healthy requests were served meanwhile"
    );
    assert!(
        slowest < Duration::from_millis(150),
        "a healthy request took {slowest:?} while the loop ran"
    );
}

#[tokio::test]
async fn a_memory_bomb_is_stopped_at_its_limit_and_the_host_stays_bounded() {
    const LIMIT: usize = 32 << 20;
    let portal = TestPortal::builder()
        .module("memory-hog")
        .module("notice-board")
        .limits(CallLimits {
            memory_bytes: LIMIT,
            ..CallLimits::default()
        })
        .build()
        .await;
    let app = portal.app();
    let _quiet = portico_tests::quiet().await;
    let first = get(&app, "/m/memory-hog/", JSON).await;
    assert_eq!(first.status, 503, "{}", first.body);
    let before = resident_bytes();
    for _ in 0..20 {
        let got = get(&app, "/m/memory-hog/", JSON).await;
        assert_eq!(got.status, 503, "{}", got.body);
    }
    let grown = resident_bytes().saturating_sub(before);
    // Twenty calls each filled 32 MiB; the memory went back each time.
    assert!(
        grown < 2 * LIMIT as u64,
        "resident memory grew by {} MiB over 20 memory bombs",
        grown >> 20
    );
    assert_eq!(get(&app, "/m/notice-board/", HTML).await.status, 200);
}

#[tokio::test]
async fn a_trap_is_a_500_with_the_request_id_and_nothing_of_the_module_inside() {
    let portal = TestPortal::builder().module("trapper").build().await;
    for accept in [HTML, JSON] {
        let got = get(&portal.app(), "/m/trapper/", accept).await;
        assert_eq!(got.status, 500);
        let request_id = got.headers["x-request-id"].to_str().unwrap().to_owned();
        assert!(!request_id.is_empty());
        assert!(
            got.body.contains(&request_id),
            "the body quotes the request id: {}",
            got.body
        );
        for leak in [
            "secret-internal-state",
            "unreachable",
            "wasm",
            "lib.rs",
            "backtrace",
        ] {
            assert!(
                !got.body.contains(leak),
                "the body leaks `{leak}`: {}",
                got.body
            );
        }
    }
    // The same module answers the next call normally: nothing survived the trap.
    let ok = get(&portal.app(), "/m/trapper/?behave=1", HTML).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[tokio::test]
async fn a_module_using_a_capability_it_did_not_ask_for_is_forbidden() {
    let portal = TestPortal::builder().module("sneaky").build().await;
    let got = get(&portal.app(), "/m/sneaky/", JSON).await;
    assert_eq!(got.status, 403, "{}", got.body);
    let body: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("`settings` capability"),
        "{body}"
    );
}

#[tokio::test]
async fn the_breaker_switches_a_module_off_where_it_faults_until_it_is_switched_on() {
    let state_dir = tempfile::tempdir().unwrap();
    let portal = TestPortal::builder()
        .module("trapper")
        .module("notice-board")
        .org("brno")
        .org("znojmo")
        .breaker_threshold(3)
        .state_dir(state_dir.path())
        .build()
        .await;
    let app = portal.app();
    // One organization's calls fault: the module is switched off there …
    for _ in 0..3 {
        assert_eq!(get(&app, "/o/brno/m/trapper/", HTML).await.status, 500);
    }
    let off = get(&app, "/o/brno/m/trapper/?behave=1", HTML).await;
    assert_eq!(off.status, 503, "{}", off.body);
    assert!(off.body.contains("switched off"), "{}", off.body);
    // … and nowhere else: another organization is served, a fault there
    // is counted for that organization alone.
    assert_eq!(
        get(&app, "/o/znojmo/m/trapper/?behave=1", HTML)
            .await
            .status,
        200
    );
    assert_eq!(get(&app, "/m/trapper/?behave=1", HTML).await.status, 200);
    assert!(matches!(
        portal.module("trapper").breaker_state_in("brno"),
        BreakerState::Open(_)
    ));
    assert!(matches!(
        portal.module("trapper").breaker_state(),
        BreakerState::Closed { .. }
    ));
    let health: serde_json::Value =
        serde_json::from_str(&get(&app, "/healthz", JSON).await.body).unwrap();
    assert_eq!(health["switched_off"], serde_json::json!([]));
    assert_eq!(
        health["switched_off_in_organizations"],
        serde_json::json!({ "trapper": 1 })
    );

    // Switched on again in Brno as `portico plugin switch-on trapper --org brno`
    // does it: through the state folder.
    assert!(
        portico_runtime::breaker::switch_on(state_dir.path(), "trapper", Some("brno")).unwrap()
    );
    assert_eq!(
        get(&app, "/o/brno/m/trapper/?behave=1", HTML).await.status,
        200
    );

    // When it faults in several organizations the fault is the module's:
    // it is switched off everywhere, even where it never faulted.
    for org in ["brno", "znojmo", portico_tests::TEST_CITY] {
        for _ in 0..3 {
            assert_eq!(
                get(&app, &format!("/o/{org}/m/trapper/"), HTML)
                    .await
                    .status,
                500
            );
        }
    }
    assert!(matches!(
        portal.module("trapper").breaker_state(),
        BreakerState::Open(_)
    ));
    let health: serde_json::Value =
        serde_json::from_str(&get(&app, "/healthz", JSON).await.body).unwrap();
    assert_eq!(health["switched_off"], serde_json::json!(["trapper"]));
    // Other modules are untouched.
    assert_eq!(get(&app, "/m/notice-board/", HTML).await.status, 200);
    assert!(portico_runtime::breaker::switch_on(state_dir.path(), "trapper", None).unwrap());
    let back = get(&app, "/o/znojmo/m/trapper/?behave=1", HTML).await;
    assert_eq!(back.status, 200, "{}", back.body);
}

#[tokio::test]
async fn module_errors_that_are_not_faults_do_not_trip_the_breaker() {
    let portal = TestPortal::builder()
        .module("sneaky")
        .breaker_threshold(2)
        .build()
        .await;
    for _ in 0..5 {
        assert_eq!(get(&portal.app(), "/m/sneaky/", HTML).await.status, 403);
    }
    assert_eq!(
        portal.module("sneaky").breaker_state(),
        BreakerState::Closed { faults_in_a_row: 0 }
    );
}

/// The sandbox holds a Python module (componentize-py, its default
/// build) to the rules it holds a Rust one to: an endless loop ends at the
/// deadline, a memory bomb at the memory limit, an exception is a 500 that
/// shows nothing of the module, and a capability it did not ask for is
/// forbidden; the module serves the next call as if nothing happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_module_is_held_to_the_same_rules() {
    portico_tests::toolchains::python_module("py-hostile");
    let portal = TestPortal::builder()
        .module("py-hostile")
        .limits(CallLimits {
            deadline: Duration::from_secs(2),
            ..CallLimits::default()
        })
        .breaker_threshold(100)
        .build()
        .await;
    let app = portal.app();

    let started = Instant::now();
    let looped = get(&app, "/m/py-hostile/loop", JSON).await;
    assert_eq!(looped.status, 503, "{}", looped.body);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped after {:?}",
        started.elapsed()
    );

    let bomb = get(&app, "/m/py-hostile/memory", JSON).await;
    assert_eq!(bomb.status, 503, "{}", bomb.body);

    let raised = get(&app, "/m/py-hostile/raise", HTML).await;
    assert_eq!(raised.status, 500, "{}", raised.body);
    let request_id = raised.headers["x-request-id"].to_str().unwrap();
    assert!(raised.body.contains(request_id), "{}", raised.body);
    for leak in [
        "secret-internal-state",
        "Traceback",
        "RuntimeError",
        "app.py",
    ] {
        assert!(
            !raised.body.contains(leak),
            "the body leaks `{leak}`: {}",
            raised.body
        );
    }

    let grabbed = get(&app, "/m/py-hostile/notify", JSON).await;
    assert_eq!(grabbed.status, 403, "{}", grabbed.body);
    assert!(
        grabbed.body.contains("`notify` capability"),
        "{}",
        grabbed.body
    );

    let fine = get(&app, "/m/py-hostile/fine", HTML).await;
    assert_eq!(fine.status, 200, "{}", fine.body);
    assert!(fine.body.contains("All is well."), "{}", fine.body);

    // Its forty-odd core instances per call still leave the pool room for
    // many calls at once.
    let calls: Vec<_> = (0..12)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { get(&app, "/m/py-hostile/fine", HTML).await.status })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), 200);
    }
}
