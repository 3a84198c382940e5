//! The vendors' test kit, used as a vendor's test would use it, on the
//! ledger module: pages and forms for anonymous visitors and staff, the
//! route checks the portal makes, API requests, jobs, events, and what the
//! calls left behind (records, audit entries, notifications), each
//! organization apart.

use portico_testkit::{Block, Error, Outcome, TestHost};
use serde_json::json;

fn ledger() -> std::path::PathBuf {
    portico_tests::module_dir("ledger")
}

#[tokio::test]
async fn a_vendor_tests_pages_forms_api_jobs_and_events_without_a_web_server() {
    let host = TestHost::builder()
        .org("brno")
        .org("lhota")
        .setting("largest-amount", "500")
        .build_from(ledger())
        .await
        .unwrap();
    let visitor = host.anonymous();

    let view = visitor.page("/").await.unwrap();
    assert_eq!(view.title, "Ledger");
    assert!(view.blocks.iter().any(
        |b| matches!(b, Block::Table(t) if t.rows.is_empty() && t.empty_text == "No entries yet.")
    ));

    // A form, and what it left: the record, the audit entry, the event.
    let outcome = visitor
        .submit("/", &[("title", "Salt"), ("kind", "road")])
        .await
        .unwrap();
    assert!(
        matches!(&outcome, Outcome::Redirect { to, message } if to == "/" && message.as_deref() == Some("Entry added.")),
        "{outcome:?}"
    );
    let entries = host.records("entries").await;
    assert_eq!(entries, vec![json!({ "title": "Salt", "kind": "road" })]);
    assert!(host.audit().await.iter().any(|e| e.action == "ledger.add"));
    // Another organization's data is its own.
    assert!(host.records_in("lhota", "entries").await.is_empty());
    assert!(
        visitor
            .clone()
            .in_org("lhota")
            .page("/")
            .await
            .unwrap()
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Table(t) if t.rows.is_empty()))
    );

    // The portal's route checks: the entry page is for staff.
    let found = visitor.get("/api/find/entries").await.unwrap();
    let found: serde_json::Value = serde_json::from_slice(&found.body).unwrap();
    let id = found["documents"][0]["id"].as_str().unwrap().to_owned();
    let refused = visitor.page(&format!("/entries/{id}")).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Forbidden { why, .. } if why.contains("staff")),
        "{refused}"
    );
    let citizen = host.citizen("anna");
    assert!(matches!(
        citizen.page(&format!("/entries/{id}")).await,
        Err(Error::Forbidden { .. })
    ));
    let clerk = host.staff("jan", &["clerk"]);
    assert_eq!(
        clerk.page(&format!("/entries/{id}")).await.unwrap().title,
        "Salt"
    );
    // The staff API needs the `book` permission, which auditors lack.
    let auditor = host.staff("eva", &["auditor"]);
    let refused = auditor.get("/staff/whoami").await.unwrap_err();
    assert!(refused.to_string().contains("ledger.book"), "{refused}");
    let whoami = clerk.get("/staff/whoami").await.unwrap();
    let whoami: serde_json::Value = serde_json::from_slice(&whoami.body).unwrap();
    assert_eq!(whoami["permissions"], json!(["ledger.book"]));
    assert!(matches!(
        visitor.page("/nowhere/at/all").await,
        Err(Error::NoRoute(_))
    ));

    // The module's own refusals come back with their field.
    let refused = visitor
        .post("/api/entries", &json!("not an object"))
        .await
        .unwrap_err();
    assert!(refused.module_error().is_some(), "{refused}");

    // Events and jobs.
    host.deliver("ledger.entry-added", &json!({ "id": id }))
        .await
        .unwrap();
    let seen = host.records("seen").await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["entry"], json!(id));
    host.run_job("tick").await.unwrap();
    host.run_job_in("lhota", "tick").await.unwrap();
    assert_eq!(host.records("ticks").await.len(), 1);
    assert_eq!(host.records_in("lhota", "ticks").await.len(), 1);
    assert!(host.run_job("no-such-job").await.is_err());

    // Notifications are rendered from the manifest's templates and kept.
    let sent = visitor
        .post(
            "/api/notify",
            &json!({
                "to": { "email": "anna@example.org" },
                "template": "receipt",
                "data": { "title": "Salt", "name": "Anna", "id": id },
            }),
        )
        .await
        .unwrap();
    assert_eq!(sent.status, 201);
    let notifications = host.notifications().await;
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0].recipient, "anna@example.org");
    assert_eq!(notifications[0].subject, "Entry Salt recorded");
    assert!(notifications[0].body.contains("Dear Anna"));
}

#[tokio::test]
async fn the_test_kit_refuses_settings_the_manifest_does_not_allow() {
    let bad = TestHost::builder()
        .setting("largest-amount", "lots")
        .build_from(ledger())
        .await
        .err()
        .unwrap();
    assert!(bad.to_string().contains("largest-amount"), "{bad}");
    let unknown = TestHost::builder()
        .setting("colour", "red")
        .build_from(ledger())
        .await
        .err()
        .unwrap();
    assert!(
        unknown.to_string().contains("declares no setting `colour`"),
        "{unknown}"
    );
}

#[tokio::test]
async fn a_vendor_posts_a_form_with_a_file_through_the_test_kit() {
    let host = TestHost::builder()
        .org("brno")
        .build_from(portico_tests::module_dir("complaints"))
        .await
        .unwrap();
    let manager = host.staff("hana", &["manager"]);
    let saved = manager
        .submit(
            "/categories",
            &[
                ("code", "litter"),
                ("name", "Litter"),
                ("unit", "Waste management"),
                ("deadline_days", "30"),
            ],
        )
        .await
        .unwrap();
    assert!(matches!(saved, Outcome::Redirect { .. }), "{saved:?}");
    let report = [
        ("category", "litter"),
        ("description", "Bags of rubbish by the bins."),
        ("address", "Lipová 7"),
    ];
    let citizen = host.anonymous();
    // A file that is no photo is refused at its field; nothing is stored.
    let refused = citizen
        .submit_with_files(
            "/report",
            &report,
            &[("photo", "bags.png", "image/png", b"not a picture")],
        )
        .await
        .unwrap();
    assert!(
        matches!(&refused, Outcome::Show { view } if format!("{view:?}").contains("Send a photo as JPEG, PNG or WebP.")),
        "{refused:?}"
    );
    assert!(host.records("reports").await.is_empty());
    let jpeg: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];
    let filed = citizen
        .submit_with_files(
            "/report",
            &report,
            &[("photo", "bags.jpg", "image/jpeg", jpeg)],
        )
        .await
        .unwrap();
    assert!(matches!(filed, Outcome::Redirect { .. }), "{filed:?}");
    let reports = host.records("reports").await;
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0]["photos"].as_array().map(Vec::len),
        Some(1),
        "{}",
        reports[0]
    );
}

#[tokio::test]
async fn a_vendor_builds_a_small_tree_and_delivers_messages_along_it() {
    let host = TestHost::builder()
        .region("kraj")
        .org_below("kraj", "skola", "school")
        .org_below("kraj", "nemocnice", "hospital")
        .org_below("kraj", "druha-skola", "school")
        .without_module("druha-skola")
        .build_from(portico_tests::module_dir("relay"))
        .await
        .unwrap();
    assert_eq!(host.default_org(), "kraj");
    let region = host.anonymous();
    let line = region.get("/api/line?category=school").await.unwrap();
    let line: serde_json::Value = serde_json::from_slice(&line.body).unwrap();
    let schools: Vec<(&str, bool)> = line["descendants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap(),
                o["module_enabled"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(schools, [("druha-skola", false), ("skola", true)]);

    let sent = region
        .post(
            "/api/send",
            &json!({ "to": "skola", "kind": "task.assigned", "payload": { "task": 1 } }),
        )
        .await
        .unwrap();
    assert_eq!(sent.status, 200);
    // The school answers from its own organization, up the tree.
    let school = host.anonymous().in_org("skola");
    let answered = school
        .post(
            "/api/send",
            &json!({ "to": "kraj", "kind": "task.done", "payload": { "task": 1 } }),
        )
        .await
        .unwrap();
    assert_eq!(answered.status, 200);
    assert_eq!(host.deliver_messages().await.unwrap(), 2);
    let received = host.records_in("skola", "received").await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["from"], "kraj");
    assert_eq!(received[0]["payload"], json!({ "task": 1 }));
    assert_eq!(
        host.records_in("kraj", "received").await[0]["kind"],
        "task.done"
    );
    assert!(
        host.audit_in("skola")
            .await
            .iter()
            .any(|e| e.action == "message.received")
    );
    // A sibling is out of reach, and the refusal is on record.
    let refused = school
        .post(
            "/api/send",
            &json!({ "to": "nemocnice", "kind": "task.assigned", "payload": {} }),
        )
        .await;
    let error = refused.unwrap_err();
    assert!(
        matches!(error.module_error(), Some(portico_testkit::ModuleError::NotFound(m)) if m.contains("nemocnice")),
        "{error}"
    );
    assert!(
        host.audit_in("skola")
            .await
            .iter()
            .any(|e| e.action == "message.refused" && e.subject == "nemocnice")
    );
    assert_eq!(host.deliver_messages().await.unwrap(), 0);
}
