//! Connections to systems outside the portal (WIT 0.5.0), through the
//! `courier` test module, the console and a loopback outside system: an
//! administrator sets a connection up and the module calls through it
//! without ever seeing the credential; what reaches past a connection is
//! refused and audited; a slow, huge or limited answer is `unavailable`
//! and never trips the breaker; deliveries arrive in order, once each by
//! their key, after refusals, and dead ones are sent again from the
//! console; webhooks are taken only signed and in time. The signatures,
//! both ways, are checked by PyPI's `standardwebhooks`.

use std::process::Command;
use std::time::Duration;

use portico_host::workers::WorkerConfig;
use portico_platform::audit;
use portico_runtime::CallLimits;
use portico_tests::browser::Browser;
use portico_tests::outside::{Outside, connection_python};
use portico_tests::{TEST_CITY, TestDatabase, TestPortal};
use serde_json::{Value, json};

use crate::{Got, call, enable_module, json_of, serve_to_platform_admin};

const TOKEN: &str = "s3cret-bearer-token-4711";

fn python(script: &str, args: &[&str]) -> Value {
    let out = Command::new(connection_python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("the connection Python runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python prints JSON")
}

/// Signs a webhook message as a sending system does, with
/// `standardwebhooks`: the headers to send.
fn signed(secret: &str, id: &str, timestamp: i64, body: &str) -> Value {
    python(
        r#"
import sys, json, datetime
from standardwebhooks.webhooks import Webhook
secret, msg_id, ts, body = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
at = datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)
print(json.dumps({"webhook-id": msg_id, "webhook-timestamp": str(ts),
                  "webhook-signature": Webhook(secret).sign(msg_id, at, body)}))
"#,
        &[secret, id, &timestamp.to_string(), body],
    )
}

/// Whether `standardwebhooks` takes what the host signed: the headers and
/// body an outside system received.
fn verified_by_peer(secret: &str, received: &portico_tests::outside::Received) -> Value {
    let headers: serde_json::Map<String, Value> = received
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    python(
        r#"
import sys, json
from standardwebhooks.webhooks import Webhook
secret, headers, body = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
try:
    Webhook(secret).verify(body.encode(), headers)
    print(json.dumps({"ok": True}))
except Exception as e:
    print(json.dumps({"ok": False, "error": str(e)}))
"#,
        &[
            secret,
            &Value::Object(headers).to_string(),
            &received.text(),
        ],
    )
}

async fn portal(database: TestDatabase) -> TestPortal {
    TestPortal::builder()
        .module("courier")
        .database(database)
        .build()
        .await
}

async fn courier(portal: &TestPortal, method: &str, path: &str, body: Value) -> Got {
    let body = if method == "GET" {
        String::new()
    } else {
        body.to_string()
    };
    call(portal, method, &format!("/m/courier/api/{path}"), &body).await
}

/// Sets the connection `name` up on its console page, as the
/// administrator logged in to `browser` does; the page it ends on.
async fn set_up(
    browser: &Browser,
    name: &str,
    fields: &[(&str, &str)],
) -> portico_tests::browser::Page {
    let path = format!("/admin/orgs/{TEST_CITY}/modules/courier/connections/{name}");
    let form = browser.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post_form(&path, &all).await
}

async fn audit_of(portal: &TestPortal, action: &str) -> Vec<audit::Entry> {
    audit::entries(portal.db(), TEST_CITY)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

/// The set-up form of an outgoing connection below `base` with
/// `credential` and its `secret`, and the usual limits.
fn outgoing_form<'a>(
    base: &'a str,
    credential: &'a str,
    secret: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("base_url", base),
        ("credential", credential),
        ("secret", secret),
        ("timeout", "5"),
        ("max_kib", "1024"),
        ("rate", "600"),
    ]
}

fn detail_of(e: &audit::Entry) -> Value {
    serde_json::from_str(&e.detail).unwrap()
}

/// Every delivery due, sent at once and retried without backoff, until
/// none is left or `rounds` pass.
async fn send_all(portal: &TestPortal, config: &WorkerConfig, rounds: usize) {
    for _ in 0..rounds {
        portal.send_deliveries(config).await;
    }
}

fn at_once(delivery_attempts: i32) -> WorkerConfig {
    WorkerConfig {
        backoff: Duration::ZERO,
        delivery_attempts,
        ..WorkerConfig::default()
    }
}

#[tokio::test]
async fn an_administrator_sets_up_a_connection_and_the_module_never_sees_its_credential() {
    let outside = Outside::start(0).await;
    let portal = portal(TestDatabase::sqlite()).await;
    let (_, admin) = serve_to_platform_admin(&portal).await;
    assert_eq!(
        enable_module(&admin, TEST_CITY, "courier").await.status,
        303
    );

    // The module's page in the console lists what it talks to, in Czech.
    admin.get("/lang/cs").await;
    let module_page = admin
        .get(&format!("/admin/orgs/{TEST_CITY}/modules/courier"))
        .await;
    assert!(
        module_page.body.contains("Spojení s jinými systémy"),
        "{}",
        module_page.body
    );
    assert!(
        module_page
            .body
            .contains("Vnější systém, který testy spustí")
    );
    assert!(module_page.body.contains("nenastaveno"));

    // Before it is set up, the module is refused.
    let refused = courier(
        &portal,
        "GET",
        "call?connection=peer&path=/echo",
        Value::Null,
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("not set up"), "{}", refused.body);

    // A bad address is named, in the administrator's language, and nothing is stored.
    let bad = set_up(
        &admin,
        "peer",
        &outgoing_form("http://peer.example/api", "bearer", TOKEN),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("Spojení nebylo uloženo"), "{}", bad.body);
    assert!(bad.body.contains("HTTPS"), "{}", bad.body);
    assert!(
        !bad.body.contains(TOKEN),
        "the typed secret is not shown again"
    );

    let base = outside.url("/api");
    let saved = set_up(&admin, "peer", &outgoing_form(&base, "bearer", TOKEN)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    // The module calls through it: the outside system gets the token, the
    // module gets the answer with the token struck out.
    let got = courier(
        &portal,
        "GET",
        "call?connection=peer&path=/echo",
        Value::Null,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.body);
    let answer = json_of(&got);
    assert_eq!(answer["status"], 200);
    let echoed: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(echoed["path"], "/api/echo");
    assert_eq!(echoed["headers"]["authorization"], "Bearer [redacted]");
    assert!(!got.body.contains(TOKEN), "{}", got.body);
    let received = outside.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );

    // The console says it works and never shows the token; a page saved
    // again without the secret keeps it.
    let page = admin
        .get(&format!(
            "/admin/orgs/{TEST_CITY}/modules/courier/connections/peer"
        ))
        .await;
    assert!(page.body.contains("funguje"), "{}", page.body);
    assert!(page.body.contains("nastaveno; nikdy se nezobrazuje"));
    assert!(!page.body.contains(TOKEN));
    let again = set_up(&admin, "peer", &outgoing_form(&base, "bearer", "")).await;
    assert_eq!(again.status, 303, "{}", again.body);
    // (The client is made again at once on this host.)
    courier(
        &portal,
        "GET",
        "call?connection=peer&path=/echo",
        Value::Null,
    )
    .await;
    assert_eq!(
        outside.received()[1].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );

    // A new address does not take the token along by itself.
    let elsewhere = Outside::start(0).await;
    let moved = set_up(
        &admin,
        "peer",
        &outgoing_form(&elsewhere.url("/api"), "bearer", ""),
    )
    .await;
    assert_eq!(moved.status, 422, "{}", moved.body);
    assert!(moved.body.contains("adresa se změnila"), "{}", moved.body);

    // Every call and every set-up is audited, without the token.
    let calls = audit_of(&portal, "connection.call").await;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].subject, "peer");
    let detail = detail_of(&calls[0]);
    assert_eq!(detail["method"], "GET");
    assert_eq!(detail["path"], "/echo");
    assert_eq!(detail["status"], 200);
    assert_eq!(audit_of(&portal, "connection.set").await.len(), 2);
    let everything =
        serde_json::to_string(&audit::entries(portal.db(), TEST_CITY).await.unwrap()).unwrap();
    assert!(
        !everything.contains(TOKEN),
        "the token is in the audit chain"
    );
}

#[tokio::test]
async fn an_organization_cannot_point_a_connection_at_the_portals_neighbours() {
    let outside = Outside::start(0).await;
    // A portal whose operator allows no private range.
    let portal = TestPortal::builder()
        .module("courier")
        .web(|c| c.connections_may_reach.clear())
        .build()
        .await;
    let (_, admin) = serve_to_platform_admin(&portal).await;
    admin.get("/lang/cs").await;
    enable_module(&admin, TEST_CITY, "courier").await;
    for base in [
        outside.url("/api"),
        "https://10.0.0.7/spisovka".to_owned(),
        "https://169.254.169.254/latest/".to_owned(),
    ] {
        let refused = set_up(&admin, "peer", &outgoing_form(&base, "bearer", TOKEN)).await;
        assert_eq!(refused.status, 422, "{base}: {}", refused.body);
        assert!(
            refused.body.contains("soukromá adresa"),
            "{base}: {}",
            refused.body
        );
    }
    // Nor by a name that leads there: refused when the host connects.
    let named = outside.url("/api").replace("127.0.0.1", "localhost");
    let saved = set_up(&admin, "peer", &outgoing_form(&named, "bearer", TOKEN)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let got = courier(&portal, "GET", "call?path=/echo", Value::Null).await;
    assert_eq!(got.status, 503, "{}", got.body);
    assert!(
        got.body.contains("no address the portal may reach"),
        "{}",
        got.body
    );
    assert!(outside.received().is_empty());
}

#[tokio::test]
async fn what_reaches_past_a_connection_is_forbidden_and_audited() {
    let outside = Outside::start(0).await;
    let portal = portal(TestDatabase::sqlite()).await;
    let (_, admin) = serve_to_platform_admin(&portal).await;
    enable_module(&admin, TEST_CITY, "courier").await;
    let base = outside.url("/api");
    let saved = set_up(&admin, "peer", &outgoing_form(&base, "bearer", TOKEN)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    let attempts = [
        // A connection the manifest does not declare.
        (
            "call?connection=nowhere&path=/echo",
            "declares no connection",
        ),
        // One it declares, not set up here.
        ("call?connection=elsewhere&path=/echo", "not set up"),
        // A path out of the base address, plain and encoded.
        ("call?connection=peer&path=/../admin", "leaves"),
        ("call?connection=peer&path=/%252e%252e/admin", "leaves"),
        ("call?connection=peer&path=//evil.example/x", "one `/`"),
        // A credential of its own.
        (
            "call?connection=peer&path=/echo&header=authorization:Bearer%20mine",
            "the host's",
        ),
        // A webhook connection sends nothing.
        ("call?connection=inbox&path=/echo", "webhook"),
        // The credential, read as a setting.
        ("credential?key=connections.peer", "credential"),
    ];
    for (path, says) in attempts {
        let got = courier(&portal, "GET", path, Value::Null).await;
        assert_eq!(got.status, 403, "{path}: {}", got.body);
        assert!(got.body.contains(says), "{path}: {}", got.body);
    }
    assert!(
        outside.received().is_empty(),
        "nothing reached the outside system"
    );
    let refused = audit_of(&portal, "connection.refused").await;
    assert_eq!(refused.len(), attempts.len(), "{refused:#?}");
    assert!(refused.iter().any(|e| e.subject == "elsewhere"));

    // A call that has begun using the portal's data waits for no outside
    // system: it would hold the data for everyone meanwhile.
    let holding = courier(
        &portal,
        "POST",
        "call",
        json!({ "method": "GET", "path": "/echo", "read_first": true }),
    )
    .await;
    assert_eq!(holding.status, 409, "{}", holding.body);
    assert!(
        holding.body.contains("before the first data operation"),
        "{}",
        holding.body
    );
    let first = courier(
        &portal,
        "POST",
        "call",
        json!({ "method": "POST", "path": "/echo", "body": "{}" }),
    )
    .await;
    assert_eq!(json_of(&first)["status"], 200, "{}", first.body);

    // A redirect out of the base address is handed to the module as it
    // came, not followed; one below it is followed.
    let out = json_of(&courier(&portal, "GET", "call?path=/bounce-out", Value::Null).await);
    assert_eq!(out["status"], 302);
    assert_eq!(out["location"], "http://127.0.0.2:9/stolen");
    let inside = json_of(&courier(&portal, "GET", "call?path=/bounce-in", Value::Null).await);
    assert_eq!(inside["status"], 200, "{inside}");
}

#[tokio::test]
async fn a_slow_huge_or_limited_answer_is_unavailable_and_the_module_stays_on() {
    let outside = Outside::start(0).await;
    let portal = TestPortal::builder()
        .module("courier")
        .limits(CallLimits {
            deadline: Duration::from_millis(700),
            ..CallLimits::default()
        })
        .breaker_threshold(2)
        .build()
        .await;
    let (_, admin) = serve_to_platform_admin(&portal).await;
    admin.get("/lang/en").await;
    enable_module(&admin, TEST_CITY, "courier").await;
    let base = outside.url("/api");
    set_up(
        &admin,
        "peer",
        &[
            ("base_url", &base),
            ("credential", "none"),
            ("timeout", "1.5"),
            ("max_kib", "1024"),
            ("rate", "6"),
        ],
    )
    .await;
    // Longer than the call's deadline, shorter than the connection's
    // timeout... then past the timeout: the wait is not the module's.
    for _ in 0..3 {
        let slow = courier(&portal, "GET", "call?path=/slow", Value::Null).await;
        assert_eq!(slow.status, 503, "{}", slow.body);
        assert!(
            slow.body.contains("did not answer in time"),
            "{}",
            slow.body
        );
    }
    let big = courier(&portal, "GET", "call?path=/big", Value::Null).await;
    assert_eq!(big.status, 503, "{}", big.body);
    assert!(big.body.contains("cap"), "{}", big.body);
    // Two more are within the six a minute; the seventh is not.
    for _ in 0..2 {
        let ok = courier(&portal, "GET", "call?path=/echo", Value::Null).await;
        assert_eq!(ok.status, 200, "the module is still on: {}", ok.body);
    }
    let limited = courier(&portal, "GET", "call?path=/echo", Value::Null).await;
    assert_eq!(limited.status, 503, "{}", limited.body);
    assert!(limited.body.contains("rate limit"), "{}", limited.body);

    // The failures show in the console as the connection's health.
    let page = admin
        .get(&format!(
            "/admin/orgs/{TEST_CITY}/modules/courier/connections/peer"
        ))
        .await;
    assert!(page.body.contains("works; last success"), "{}", page.body);
    assert!(page.body.contains("Last failure"), "{}", page.body);
    // Module errors, not faults: the breaker stays closed.
    let catalog = admin.get("/admin/modules").await;
    assert!(
        catalog.body.contains("<dt>State</dt><dd>serving</dd>")
            && catalog.body.contains("<dt>Faults</dt><dd>0</dd>"),
        "{}",
        catalog.body
    );
}

#[tokio::test]
async fn deliveries_arrive_in_order_once_each_and_dead_ones_are_sent_again() {
    for database in TestDatabase::both().await {
        let engine = database.engine;
        let outside = Outside::start(2).await;
        let portal = portal(database).await;
        let (_, admin) = serve_to_platform_admin(&portal).await;
        admin.get("/lang/en").await;
        enable_module(&admin, TEST_CITY, "courier").await;
        let secret = format!("whsec_{}", base64_of(&[42u8; 32]));
        let base = outside.url("/rescue");
        let saved = set_up(&admin, "peer", &outgoing_form(&base, "hmac", &secret)).await;
        assert_eq!(saved.status, 303, "{engine}: {}", saved.body);

        // A call that fails after handing requests over hands nothing over.
        let failed = courier(
            &portal,
            "POST",
            "deliver",
            json!({ "path": "/alerts", "body": "{}", "key": "never", "then_fail": true }),
        )
        .await;
        assert_eq!(failed.status, 503, "{engine}: {}", failed.body);

        let queued = courier(
            &portal,
            "POST",
            "deliver",
            json!({ "path": "/alerts", "body": "{\"alert\":1}", "key": "alert", "count": 3 }),
        )
        .await;
        assert_eq!(queued.status, 200, "{engine}: {}", queued.body);
        let ids = json_of(&queued)["ids"].clone();
        // The same key again is the same delivery, sent once.
        let again = courier(
            &portal,
            "POST",
            "deliver",
            json!({ "path": "/alerts", "body": "{\"alert\":1}", "key": "alert-1" }),
        )
        .await;
        assert_eq!(json_of(&again)["ids"][0], ids[0], "{engine}");

        send_all(&portal, &at_once(5), 6).await;
        let accepted = outside.accepted();
        let keys: Vec<_> = accepted
            .iter()
            .map(|r| r.header("idempotency-key").unwrap().to_owned())
            .collect();
        assert_eq!(
            keys,
            ["alert-1", "alert-2", "alert-3"],
            "{engine}: in order, once each"
        );
        assert_eq!(
            outside.received().len(),
            5,
            "{engine}: two refusals, then three"
        );
        assert!(accepted.iter().all(|r| r.path == "/rescue/alerts"));
        // Signed as Standard Webhooks has it: checked by its own library.
        for r in &accepted {
            let verdict = verified_by_peer(&secret, r);
            assert_eq!(verdict["ok"], true, "{engine}: {verdict}");
            assert_eq!(r.header("webhook-id"), r.header("idempotency-key"));
        }
        let first =
            json_of(&courier(&portal, "GET", &format!("delivery/{}", ids[0]), Value::Null).await);
        assert_eq!(first["status"], "delivered", "{engine}: {first}");
        assert_eq!(first["attempts"], 2, "{engine}: {first}");

        // A system that keeps refusing: the delivery is given up, shown as
        // dead in the console, and sent again from there.
        outside.refuse(10);
        courier(
            &portal,
            "POST",
            "deliver",
            json!({ "path": "/alerts", "body": "{\"alert\":2}", "key": "cancel" }),
        )
        .await;
        send_all(&portal, &at_once(2), 3).await;
        let path = format!("/admin/orgs/{TEST_CITY}/modules/courier/connections/peer");
        let page = admin.get(&path).await;
        assert!(page.body.contains("HTTP 503"), "{engine}: {}", page.body);
        assert!(page.body.contains("Send the dead ones again"), "{engine}");
        outside.refuse(0);
        let redriven = admin
            .post_form(&path, &[("_csrf", &page.csrf()), ("action", "redrive")])
            .await;
        assert_eq!(redriven.status, 303, "{engine}: {}", redriven.body);
        send_all(&portal, &at_once(2), 2).await;
        let last = outside.accepted();
        assert_eq!(
            last.last().unwrap().header("idempotency-key"),
            Some("cancel"),
            "{engine}"
        );
        assert_eq!(
            audit_of(&portal, "delivery.redrive").await.len(),
            1,
            "{engine}"
        );
        let page = admin.get(&path).await;
        assert!(!page.body.contains("Send the dead ones again"), "{engine}");

        // A request the system refuses for good (400) is dead at once,
        // and those after it still go.
        for (path, key) in [("/reject", "malformed"), ("/alerts", "after")] {
            courier(
                &portal,
                "POST",
                "deliver",
                json!({ "path": path, "body": "{}", "key": key }),
            )
            .await;
        }
        send_all(&portal, &at_once(30), 2).await;
        let refused = outside
            .received()
            .into_iter()
            .filter(|r| r.path == "/rescue/reject")
            .count();
        assert_eq!(refused, 1, "{engine}: sent once, not again");
        assert_eq!(
            outside.accepted().last().unwrap().header("idempotency-key"),
            Some("after"),
            "{engine}"
        );
        assert_eq!(
            audit_of(&portal, "delivery.dead").await.len(),
            2,
            "{engine}"
        );
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn webhooks_are_taken_only_signed_and_in_time_and_once() {
    let portal = portal(TestDatabase::sqlite()).await;
    let (_, admin) = serve_to_platform_admin(&portal).await;
    admin.get("/lang/en").await;
    enable_module(&admin, TEST_CITY, "courier").await;
    let hook = format!("/o/{TEST_CITY}/hooks/courier/inbox");
    let post = |headers: Value, body: &str| {
        let mut request =
            axum::http::Request::post(hook.as_str()).header("content-type", "application/json");
        for (k, v) in headers.as_object().unwrap() {
            request = request.header(k.as_str(), v.as_str().unwrap());
        }
        request
            .body(axum::body::Body::from(body.to_owned()))
            .unwrap()
    };
    let now = chrono::Utc::now().timestamp();

    // Not set up: nobody's hook is here yet.
    let nothing = crate::send(&portal.app(), post(json!({}), "{}")).await;
    assert_eq!(nothing.status, 401, "{}", nothing.body);

    // The administrator has the host make a secret and reads it off the page, once.
    let made = set_up(
        &admin,
        "inbox",
        &[("credential", "hmac"), ("new_secret", "true")],
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let secret = made
        .body
        .split("not shown again. ")
        .nth(1)
        .and_then(|rest| rest.split(['<', ' ']).next())
        .unwrap_or_else(|| panic!("the new secret is on the page: {}", made.body))
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(
        made.body
            .contains(&format!("/o/{TEST_CITY}/hooks/courier/inbox"))
    );
    let again = admin
        .get(&format!(
            "/admin/orgs/{TEST_CITY}/modules/courier/connections/inbox"
        ))
        .await;
    assert!(
        !again.body.contains(&secret),
        "the secret is shown only once"
    );

    let body = r#"{"warning":"snow","area":"CZ064"}"#;
    let good = crate::send(
        &portal.app(),
        post(signed(&secret, "msg_1", now, body), body),
    )
    .await;
    assert_eq!(good.status, 204, "{}", good.body);
    // The same message again is answered, and not handed over again.
    let replay = crate::send(
        &portal.app(),
        post(signed(&secret, "msg_1", now, body), body),
    )
    .await;
    assert_eq!(replay.status, 204, "{}", replay.body);
    // A bad signature, another body under a signature, a stale timestamp:
    // 401, audited, never the module.
    let wrong = format!("whsec_{}", base64_of(&[1u8; 32]));
    let forged = crate::send(
        &portal.app(),
        post(signed(&wrong, "msg_2", now, body), body),
    )
    .await;
    assert_eq!(forged.status, 401, "{}", forged.body);
    let swapped = crate::send(
        &portal.app(),
        post(signed(&secret, "msg_3", now, body), r#"{"warning":"none"}"#),
    )
    .await;
    assert_eq!(swapped.status, 401, "{}", swapped.body);
    let stale = crate::send(
        &portal.app(),
        post(signed(&secret, "msg_4", now - 600, body), body),
    )
    .await;
    assert_eq!(stale.status, 401, "{}", stale.body);
    assert!(stale.body.contains("five minutes"), "{}", stale.body);
    // A module that fails keeps nothing, and the sender sends again.
    let failing = r#"{"fail":true}"#;
    let refused = crate::send(
        &portal.app(),
        post(signed(&secret, "msg_5", now, failing), failing),
    )
    .await;
    assert_eq!(refused.status, 503, "{}", refused.body);

    let hooks = json_of(&courier(&portal, "GET", "hooks", Value::Null).await);
    let hooks = hooks.as_array().unwrap();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(hooks[0]["id"], "msg_1");
    assert_eq!(hooks[0]["body"], body);
    let refusals = audit_of(&portal, "webhook.refused").await;
    assert_eq!(refusals.len(), 4, "{refusals:#?}");
    assert!(
        refusals
            .iter()
            .any(|e| detail_of(e)["webhook_id"] == "msg_2")
    );
    assert_eq!(audit_of(&portal, "webhook.received").await.len(), 1);
    // A flood of forgeries is refused every time, and fills no audit
    // chain: twenty a minute are audited, the rest logged.
    for n in 0..30 {
        let id = format!("flood_{n}");
        let forged = crate::send(&portal.app(), post(signed(&wrong, &id, now, body), body)).await;
        assert_eq!(forged.status, 401);
    }
    assert_eq!(audit_of(&portal, "webhook.refused").await.len(), 20);
}

#[tokio::test]
async fn a_connection_trusts_its_own_authority_and_presents_its_client_certificate() {
    let pki = portico_tests::outside::TestPki::new();
    let peer = portico_tests::outside::start_mutual_tls(&pki).await;
    let portal = portal(TestDatabase::sqlite()).await;
    let (_, admin) = serve_to_platform_admin(&portal).await;
    admin.get("/lang/en").await;
    enable_module(&admin, TEST_CITY, "courier").await;
    let base = format!("{peer}/api");
    let with_certificate = |extra_ca: &'static str| {
        vec![
            ("base_url", base.clone()),
            ("credential", "client-certificate".to_owned()),
            ("certificate", pki.client_certificate.clone()),
            ("key", pki.client_key.clone()),
            ("extra_ca", extra_ca.to_owned()),
            ("timeout", "5".to_owned()),
            ("max_kib", "1024".to_owned()),
            ("rate", "600".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            set_up(admin, "peer", &refs).await
        }
    };

    // An authority that is not a certificate is named at its field.
    let bad = post(with_certificate("not a certificate")).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("holds no PEM certificate"),
        "{}",
        bad.body
    );

    // Without the system's own authority its certificate is not trusted.
    assert_eq!(post(with_certificate("")).await.status, 303);
    let untrusted = courier(&portal, "GET", "call?path=/hello", Value::Null).await;
    assert_eq!(untrusted.status, 503, "{}", untrusted.body);
    assert!(
        untrusted.body.contains("cannot be reached"),
        "{}",
        untrusted.body
    );

    // Trusted, and with the client certificate: the system answers. The
    // key kept from before (left empty) is used.
    let mut trusted = with_certificate("");
    trusted.retain(|(k, _)| *k != "extra_ca" && *k != "key");
    trusted.push(("extra_ca", pki.ca.clone()));
    trusted.push(("key", String::new()));
    assert_eq!(post(trusted).await.status, 303);
    let got = courier(&portal, "GET", "call?path=/hello", Value::Null).await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(json_of(&got)["body"], "client certificate presented: true");
    let page = admin
        .get(&format!(
            "/admin/orgs/{TEST_CITY}/modules/courier/connections/peer"
        ))
        .await;
    assert!(
        page.body.contains("client certificate (set; never shown)"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("PRIVATE KEY"), "the key is never shown");
}
