//! The audit chain: intact chains verify; an entry altered, removed or cut
//! off in the database is found and named — on SQLite and PostgreSQL, and
//! through `portico audit verify`.

use portico_platform::audit::{self, Event, Verdict};
use portico_platform::organizations::{self, Kind, NewOrganization};
use portico_tests::{TestDatabase, run_portico};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

async fn city(db: &DatabaseConnection, id: &str) {
    organizations::create(
        db,
        "cli:test",
        NewOrganization {
            id: id.into(),
            name: format!("City {id}"),
            ico: None,
            kind: Kind::City,
            parent_id: None,
            category: None,
            address: None,
        },
    )
    .await
    .unwrap();
}

async fn record(db: &DatabaseConnection, org: &str, n: usize) {
    for i in 0..n {
        let txn = db.begin().await.unwrap();
        audit::append(
            &txn,
            org,
            Event {
                actor: "user:novakova".into(),
                module: "notice-board".into(),
                action: "notice.publish".into(),
                subject: format!("MMB/{i:04}/2026"),
                detail: serde_json::json!({"title": format!("Notice {i}"), "until": "2027-01-31"}),
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
    }
}

async fn sql(db: &DatabaseConnection, statement: &str) {
    db.execute_unprepared(statement).await.unwrap();
}

#[tokio::test]
async fn tampering_is_found_and_the_entry_named_on_both_engines() {
    for test_db in TestDatabase::both().await {
        let engine = test_db.engine;
        let db = test_db.connect().await;
        city(&db, "brno").await;
        city(&db, "lhota").await;
        record(&db, "brno", 5).await;
        record(&db, "lhota", 2).await;

        let Verdict::Intact { entries, head } = audit::verify(&db, "brno").await.unwrap() else {
            panic!("{engine}: a fresh chain verifies");
        };
        assert_eq!(entries, 6, "{engine}: the creation and five notices");
        assert_eq!(head.len(), 64);
        let first = &audit::entries(&db, "brno").await.unwrap()[0];
        assert_eq!(
            (first.action.as_str(), first.actor.as_str()),
            ("organization.create", "cli:test")
        );

        // Someone with database access rewrites what an entry says.
        sql(
            &db,
            "UPDATE audit_entries SET subject = 'MMB/9999/2026' WHERE org_id = 'brno' AND seq = 3",
        )
        .await;
        match audit::verify(&db, "brno").await.unwrap() {
            Verdict::Broken { seq, problem } => {
                assert_eq!(seq, 3, "{engine}: {problem}");
                assert!(problem.contains("altered"), "{engine}: {problem}");
            }
            other => panic!("{engine}: the altered entry must be found, got {other:?}"),
        }
        // Another organization's chain is untouched.
        assert!(matches!(
            audit::verify(&db, "lhota").await.unwrap(),
            Verdict::Intact { entries: 3, .. }
        ));

        // Removing an entry from the middle, or the last entries, is found too.
        sql(
            &db,
            "DELETE FROM audit_entries WHERE org_id = 'lhota' AND seq = 2",
        )
        .await;
        assert!(
            matches!(
                audit::verify(&db, "lhota").await.unwrap(),
                Verdict::Broken { seq: 2, .. }
            ),
            "{engine}"
        );
        city(&db, "tisnov").await;
        record(&db, "tisnov", 3).await;
        sql(
            &db,
            "DELETE FROM audit_entries WHERE org_id = 'tisnov' AND seq = 4",
        )
        .await;
        match audit::verify(&db, "tisnov").await.unwrap() {
            Verdict::Broken { problem, .. } => assert!(
                problem.contains("removed from its end"),
                "{engine}: {problem}"
            ),
            other => panic!("{engine}: a cut chain must be found, got {other:?}"),
        }
        db.close().await.ok();
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn an_audit_entry_is_written_with_its_change_or_not_at_all() {
    let test_db = TestDatabase::sqlite();
    let db = test_db.connect().await;
    city(&db, "brno").await;
    let txn = db.begin().await.unwrap();
    audit::append(
        &txn,
        "brno",
        Event {
            actor: "user:x".into(),
            module: audit::HOST.into(),
            action: "module.enable".into(),
            subject: "notice-board".into(),
            detail: serde_json::json!({}),
        },
    )
    .await
    .unwrap();
    // The change fails after the entry was appended: both are rolled back.
    txn.rollback().await.unwrap();
    assert!(matches!(
        audit::verify(&db, "brno").await.unwrap(),
        Verdict::Intact { entries: 1, .. }
    ));
    // A chain of an organization that does not exist cannot be appended to.
    let txn = db.begin().await.unwrap();
    let e = audit::append(
        &txn,
        "nowhere",
        Event {
            actor: "user:x".into(),
            module: audit::HOST.into(),
            action: "x".into(),
            subject: "y".into(),
            detail: serde_json::json!({}),
        },
    )
    .await;
    assert!(e.is_err());
}

#[tokio::test]
async fn portico_audit_verify_names_the_altered_entry() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let run = |args: &[&str]| run_portico(&[args, &["--data-dir", dir][..]].concat());
    assert!(run(&["org", "create", "brno", "--name", "Brno", "--kind", "city"]).0);
    assert!(
        run(&[
            "org",
            "create",
            "zs-lesna",
            "--name",
            "ZŠ Lesná",
            "--parent",
            "brno"
        ])
        .0
    );
    let (ok, out, err) = run(&["audit", "verify"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("brno: intact, 1 entries") && out.contains("zs-lesna: intact, 1 entries"),
        "{out}"
    );

    let (ok, out, _) = run(&["audit", "export", "--org", "brno"]);
    assert!(ok);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["action"], "organization.create");
    assert!(
        lines[1]["verdict"]["Intact"]["head"]
            .as_str()
            .unwrap()
            .len()
            == 64,
        "{out}"
    );

    let db = portico_platform::connect(&portico_platform::sqlite_url(data.path()))
        .await
        .unwrap();
    db.execute_unprepared(
        "UPDATE audit_entries SET actor = 'cli:someone-else' WHERE org_id = 'zs-lesna' AND seq = 1",
    )
    .await
    .unwrap();
    db.close().await.ok();
    let (ok, out, err) = run(&["audit", "verify"]);
    assert!(!ok, "a broken chain fails the command");
    assert!(out.contains("brno: intact"), "{out}");
    assert!(
        out.contains("zs-lesna: BROKEN at entry 1: its content was altered"),
        "{out}"
    );
    assert!(err.contains("1 audit chain(s) broken"), "{err}");
}
