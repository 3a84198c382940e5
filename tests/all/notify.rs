//! Notifications through a module: e-mail to a real SMTP server and text
//! messages to a real HTTP gateway on loopback, the inbox, retries, status,
//! and bad input refused by name with nothing queued.

use std::time::Duration;

use portico_host::workers::WorkerConfig;
use portico_platform::identity::users::UserKind;
use portico_platform::notifications::{self, ListFilter};
use portico_tests::peers::{SmsSink, SmtpSink};
use portico_tests::{TEST_CITY, TestPortal, run_portico};
use serde_json::{Value, json};

use crate::{JSON, call, get, json_of};

fn retry_at_once(max_attempts: i32) -> WorkerConfig {
    WorkerConfig {
        backoff: Duration::ZERO,
        max_attempts,
        ..WorkerConfig::default()
    }
}

async fn send(portal: &TestPortal, to: Value, data: Value) -> (u16, Value) {
    let body = json!({ "to": to, "template": "receipt", "data": data }).to_string();
    let got = call(portal, "POST", "/m/ledger/api/notify", &body).await;
    (got.status.as_u16(), json_of(&got))
}

async fn status(portal: &TestPortal, id: &str) -> Value {
    let got = get(&portal.app(), &format!("/m/ledger/api/notify/{id}"), JSON).await;
    assert_eq!(got.status, 200, "{}", got.body);
    json_of(&got)
}

fn receipt() -> Value {
    json!({ "name": "Jana Nováková", "title": "Road closure", "id": "12/2026" })
}

#[tokio::test]
async fn messages_reach_a_real_smtp_server_a_real_sms_gateway_and_the_inbox() {
    // Each peer turns the first message away, as a busy server would.
    let smtp = SmtpSink::start(1).await;
    let gateway = SmsSink::start(1).await;
    let portal = TestPortal::builder()
        .module("ledger")
        .org("other-city")
        .smtp(&smtp.url())
        .sms(&gateway.url(), Some("gw-secret"))
        .build()
        .await;

    let (code, mail) = send(
        &portal,
        json!({ "email": "jana.novakova@example.cz" }),
        receipt(),
    )
    .await;
    assert_eq!(code, 201, "{mail}");
    let mail = mail["id"].as_str().unwrap().to_owned();
    let (code, sms) = send(&portal, json!({ "phone": "+420 601 234 567" }), receipt()).await;
    assert_eq!(code, 201, "{sms}");
    let sms = sms["id"].as_str().unwrap().to_owned();
    let (code, inbox) = send(&portal, json!({ "user": "jana" }), receipt()).await;
    assert_eq!(code, 201, "{inbox}");
    let inbox = inbox["id"].as_str().unwrap().to_owned();

    assert_eq!(status(&portal, &mail).await["status"], "queued");
    assert_eq!(status(&portal, &inbox).await["status"], "delivered");

    // First attempt: both peers refuse; the messages wait for another try.
    let config = retry_at_once(5);
    assert_eq!(portal.send_notifications(&config).await, 2);
    let after_refusal = status(&portal, &mail).await;
    assert_eq!(after_refusal["status"], "queued", "{after_refusal}");
    assert_eq!(after_refusal["attempts"], 1);
    assert!(
        after_refusal["last_error"]
            .as_str()
            .unwrap()
            .contains("451"),
        "{after_refusal}"
    );
    let sms_refused = status(&portal, &sms).await;
    assert!(
        sms_refused["last_error"].as_str().unwrap().contains("503"),
        "{sms_refused}"
    );
    assert!(smtp.received().is_empty() && gateway.received().is_empty());

    // Second attempt: both arrive, exactly once.
    assert_eq!(portal.send_notifications(&config).await, 2);
    assert_eq!(portal.send_notifications(&config).await, 0);
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    let m = &received[0];
    assert_eq!(m.to, ["jana.novakova@example.cz"]);
    assert_eq!(m.from, "portal@test-city.example");
    assert_eq!(m.subject(), "Entry Road closure recorded");
    assert!(
        m.text().replace("\r\n", "\n").contains(
            "Dear Jana Nováková,\n\nyour entry „Road closure“ was recorded under number 12/2026."
        ),
        "{}",
        m.text()
    );
    assert!(m.header("Message-ID").unwrap().contains(&mail));
    let texts = gateway.received();
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].body["to"], "+420601234567");
    assert_eq!(
        texts[0].body["text"],
        "Entry Road closure recorded: 12/2026"
    );
    assert_eq!(texts[0].body["reference"], sms.as_str());
    assert_eq!(texts[0].authorization.as_deref(), Some("Bearer gw-secret"));

    let sent = status(&portal, &mail).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    assert!(sent["sent_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(status(&portal, &sms).await["status"], "sent");

    // The inbox holds the message until the user reads it.
    let db = portal.db();
    let messages = notifications::inbox(db, TEST_CITY, "jana", 10)
        .await
        .unwrap();
    assert_eq!(messages.len(), 1);
    // Nobody chose a language for "jana": the portal's, Czech.
    assert_eq!(messages[0].subject, "Záznam Road closure zapsán");
    assert!(
        notifications::inbox(db, "other-city", "jana", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        notifications::mark_read(db, "other-city", "jana", &inbox)
            .await
            .is_err(),
        "another organization cannot touch the message"
    );
    notifications::mark_read(db, TEST_CITY, "jana", &inbox)
        .await
        .unwrap();
    assert!(status(&portal, &inbox).await["read_at"].is_string());

    // Another organization's module cannot see the status of these messages.
    let got = get(
        &portal.app(),
        &format!("/o/other-city/m/ledger/api/notify/{mail}"),
        JSON,
    )
    .await;
    assert_eq!(got.status, 404, "{}", got.body);
}

#[tokio::test]
async fn bad_messages_are_refused_by_name_and_nothing_is_queued() {
    let smtp = SmtpSink::start(0).await;
    let portal = TestPortal::builder()
        .module("ledger")
        .smtp(&smtp.url())
        .build()
        .await;
    let cases = [
        (
            json!({ "email": "not an address" }),
            receipt(),
            "receipt",
            "to",
        ),
        (
            json!({ "phone": "601 234 567" }),
            receipt(),
            "receipt",
            "to",
        ),
        (json!({ "user": "" }), receipt(), "receipt", "to"),
        (
            json!({ "email": "jana@example.cz" }),
            json!({ "title": "no name" }),
            "receipt",
            "data",
        ),
        (
            json!({ "email": "jana@example.cz" }),
            json!([1, 2]),
            "receipt",
            "data",
        ),
        (
            json!({ "email": "jana@example.cz" }),
            receipt(),
            "no-such",
            "template",
        ),
    ];
    for (to, data, template, field) in cases {
        let body = json!({ "to": to, "template": template, "data": data }).to_string();
        let got = call(&portal, "POST", "/m/ledger/api/notify", &body).await;
        assert_eq!(got.status, 422, "{to} {data}: {}", got.body);
        assert!(
            got.body.contains(&format!("\"field\":\"{field}\"")),
            "{to} {data}: {}",
            got.body
        );
    }
    // No gateway is configured here: text messages are unavailable, said plainly.
    let (code, body) = send(&portal, json!({ "phone": "+420601234567" }), receipt()).await;
    assert_eq!(code, 503, "{body}");
    assert!(body.to_string().contains("no SMS gateway"), "{body}");

    let queued = notifications::list(
        portal.db(),
        &ListFilter {
            limit: 100,
            ..ListFilter::default()
        },
    )
    .await
    .unwrap();
    assert!(queued.is_empty(), "{queued:?}");
    portal.send_notifications(&retry_at_once(3)).await;
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn a_message_that_keeps_failing_is_marked_failed_and_can_be_sent_again() {
    let smtp = SmtpSink::start(2).await;
    let portal = TestPortal::builder()
        .module("ledger")
        .smtp(&smtp.url())
        .build()
        .await;
    let (code, sent) = send(&portal, json!({ "email": "jana@example.cz" }), receipt()).await;
    assert_eq!(code, 201, "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();
    let config = retry_at_once(2);
    portal.send_notifications(&config).await;
    portal.send_notifications(&config).await;
    let failed = status(&portal, &id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["attempts"], 2);
    assert_eq!(
        portal.send_notifications(&config).await,
        0,
        "no more attempts"
    );

    // The administrator sees it and sends it again from the command line.
    let data_dir = portal.files_dir.to_str().unwrap().to_owned();
    let url = portal.database.url.clone();
    let db_args = ["--data-dir", &data_dir, "--database-url", &url];
    let mut args = vec!["notifications", "list", "--status", "failed"];
    args.extend(db_args);
    let (ok, out, err) = run_portico(&args);
    assert!(ok, "{err}");
    assert!(out.contains(&id) && out.contains("451"), "{out}");
    let mut args = vec!["notifications", "retry", "--org", TEST_CITY];
    args.extend(db_args);
    let (ok, out, err) = run_portico(&args);
    assert!(ok, "{err}");
    assert!(out.contains("1 message(s)"), "{out}");
    assert_eq!(portal.send_notifications(&config).await, 1);
    assert_eq!(status(&portal, &id).await["status"], "sent");
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test]
async fn the_notice_board_tells_the_office_of_notices_posted_and_taken_down() {
    use chrono::{Local, NaiveTime, TimeZone};
    use portico_runtime::api::{CallContext, FormPost, RouteMatch};

    let smtp = SmtpSink::start(0).await;
    let portal = TestPortal::builder()
        .module("notice-board")
        .setting("notice-board", "notify-email", "podatelna@lhota.example")
        .smtp(&smtp.url())
        .build()
        .await;
    // Its last day was yesterday: the night takes it down.
    let yesterday = Local::now().date_naive() - chrono::Days::new(1);
    let expired = format!(
        r#"{{"reference":"OU/7/2026","title":"Oprava mostu přes Svratku","published":"2026-01-05","until":"{yesterday}"}}"#
    );
    portal
        .import(TEST_CITY, "notice-board", "notices", &expired)
        .await;

    // An official posts a notice with the module's form.
    let ctx = CallContext {
        org_id: TEST_CITY.into(),
        principal: None,
        request_id: "test-post".into(),
        locale: "cs".into(),
    };
    let route = RouteMatch {
        pattern: "/post".into(),
        path: "/post".into(),
        params: Vec::new(),
        query: Vec::new(),
    };
    let fields = [
        ("reference", "OU/9/2026"),
        ("title", "Svoz velkoobjemového odpadu"),
        ("until", "2099-12-31"),
    ];
    let form = FormPost {
        route,
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        files: Vec::new(),
    };
    portal
        .module("notice-board")
        .submit(&ctx, form)
        .await
        .unwrap();

    // The nightly job comes (00:05:00 today), taking down the expired notice.
    let today = Local::now().date_naive();
    let at = |h, m| {
        Local
            .from_local_datetime(&today.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
            .earliest()
            .unwrap()
    };
    let config = retry_at_once(3);
    portico_host::workers::schedule_once(&portal.state, &config, at(0, 4), at(0, 6))
        .await
        .unwrap();
    for _ in 0..100 {
        let runs = portico_platform::jobs::runs(portal.db(), Some(TEST_CITY), 10)
            .await
            .unwrap();
        if runs.iter().any(|r| r.outcome.is_some()) {
            assert_eq!(runs[0].outcome.as_deref(), Some("ok"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Both events reach the module's own handler, which sends the e-mails.
    assert_eq!(portal.dispatch(&config).await, 2);
    assert_eq!(portal.send_notifications(&config).await, 2);
    let mut subjects: Vec<String> = smtp.received().iter().map(|m| m.subject()).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "Sejmuto z úřední desky: Oprava mostu přes Svratku",
            "Vyvěšeno na úřední desce: Svoz velkoobjemového odpadu",
        ]
    );
    assert!(
        smtp.received()
            .iter()
            .all(|m| m.to == ["podatelna@lhota.example"])
    );

    // What citizens see follows: the expired notice is in the archive.
    let got = get(&portal.app(), "/m/notice-board/api/notices?all=1", JSON).await;
    let notices = json_of(&got);
    let old = notices
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["reference"] == "OU/7/2026")
        .unwrap();
    assert_eq!(old["taken_down"], true, "{notices}");
}

#[tokio::test]
async fn each_message_is_written_in_the_language_its_recipient_reads() {
    let portal = TestPortal::builder().module("ledger").build().await;
    let db = portal.db();
    let jana = portal
        .user("jana", UserKind::Citizen, "correct horse battery staple")
        .await;
    let petr = portal
        .user("petr", UserKind::Citizen, "correct horse battery staple")
        .await;
    // Jana chose English in the page header; Petr never chose.
    portico_platform::identity::users::set_language(db, &jana.id, "en")
        .await
        .unwrap();
    for user in [&jana, &petr] {
        let (code, sent) = send(&portal, json!({ "user": user.id }), receipt()).await;
        assert_eq!(code, 201, "{sent}");
    }
    let db = db.clone();
    let inbox = |user: String| {
        let db = db.clone();
        async move {
            notifications::inbox(&db, TEST_CITY, &user, 10)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        inbox(jana.id.clone()).await[0].subject,
        "Entry Road closure recorded"
    );
    // Someone who never chose reads the portal's language, Czech.
    let petrs = inbox(petr.id.clone()).await;
    assert_eq!(petrs[0].subject, "Záznam Road closure zapsán");
    assert!(
        petrs[0]
            .body
            .contains("váš záznam „Road closure“ byl zapsán pod číslem 12/2026."),
        "{}",
        petrs[0].body
    );

    // A module that knows what its recipient reads says so with `lang`:
    // it goes before the user's own choice.
    let mut czech = receipt();
    czech["lang"] = json!("cs");
    let (code, _) = send(&portal, json!({ "user": jana.id }), czech).await;
    assert_eq!(code, 201);
    assert_eq!(
        inbox(jana.id.clone()).await[0].subject,
        "Záznam Road closure zapsán"
    );
    // A `lang` the portal does not write is left aside: the user's own.
    let mut german = receipt();
    german["lang"] = json!("de");
    let (code, _) = send(&portal, json!({ "user": jana.id }), german).await;
    assert_eq!(code, 201);
    assert_eq!(
        inbox(jana.id.clone()).await[0].subject,
        "Entry Road closure recorded"
    );
    assert_eq!(inbox(jana.id.clone()).await.len(), 3);
}
