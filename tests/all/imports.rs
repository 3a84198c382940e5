//! `portico records import` as an administrator runs it on a large file:
//! every line checked before anything is written, progress on the way,
//! and an import killed halfway that resumes, exactly once per document,
//! with the audit chain intact.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use portico_tests::{TestDatabase, copy_module, portico_bin, run_portico};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

const ORG: &str = "import-city";

/// A data folder with the notice board installed and enabled in [`ORG`].
fn setup(data: &Path, url: &str) {
    copy_module("notice-board", &data.join("modules/notice-board"));
    for args in [
        &[
            "org",
            "create",
            ORG,
            "--name",
            "Import City",
            "--kind",
            "city",
        ][..],
        &["plugin", "enable", "notice-board", "--org", ORG],
    ] {
        let (ok, _, err) = run(data, url, args);
        assert!(ok, "portico {args:?}: {err}");
    }
}

fn run(data: &Path, url: &str, args: &[&str]) -> (bool, String, String) {
    let data = data.to_str().expect("a UTF-8 path");
    run_portico(&[args, &["--data-dir", data, "--database-url", url]].concat())
}

fn import_args(file: &str) -> Vec<&str> {
    vec![
        "records",
        "import",
        file,
        "--org",
        ORG,
        "--module",
        "notice-board",
        "--collection",
        "notices",
    ]
}

/// `n` notices, one JSON document per line.
fn notices(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"reference\":\"IMP/{i:06}\",\"title\":\"Notice {i}\",\"department\":\"Finance\",\
                 \"published\":\"2026-11-01\",\"until\":\"2027-01-31\",\"text\":\"Imported.\"}}\n"
            )
        })
        .collect()
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn stored_notices(db: &sea_orm::DatabaseConnection) -> i64 {
    count(db, "SELECT COUNT(*) FROM records WHERE deleted = false").await
}

#[tokio::test]
async fn one_bad_line_stops_the_import_before_anything_is_written_and_is_named() {
    let database = TestDatabase::sqlite();
    let data = tempfile::tempdir().unwrap();
    setup(data.path(), &database.url);
    let mut text = notices(12_000);
    // Line 11,000 has a title that is a number, and line 11,500 is not JSON.
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[10_999] = lines[10_999].replace("\"title\":\"Notice 10999\"", "\"title\":42");
    lines[11_499] = "{not json".into();
    text = lines.join("\n");
    let file = data.path().join("notices.jsonl");
    std::fs::write(&file, text).unwrap();

    let (ok, _, err) = run(
        data.path(),
        &database.url,
        &import_args(file.to_str().unwrap()),
    );
    assert!(!ok, "a file with bad lines is refused");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(err.contains("line 11000"), "the bad line is named: {err}");
    assert!(err.contains("line 11500"), "every bad line is named: {err}");
    let db = database.connect().await;
    assert_eq!(stored_notices(&db).await, 0, "not one document was stored");
}

#[tokio::test]
async fn an_import_killed_halfway_resumes_where_it_stopped_once_per_document_with_the_chain_intact()
{
    for database in [TestDatabase::postgres().await, TestDatabase::sqlite()] {
        let engine = database.engine;
        let data = tempfile::tempdir().unwrap();
        setup(data.path(), &database.url);
        // Enough batches on PostgreSQL that a long transaction (which once
        // made the import quadratic) would show; the bench's `imports`
        // part takes a city's whole register of 200,000 on both engines.
        let n = if engine == "postgres" { 80_000 } else { 60_000 };
        let file = data.path().join("notices.jsonl");
        std::fs::write(&file, notices(n)).unwrap();
        let file = file.to_str().unwrap();
        let db = database.connect().await;

        // Kill the import once some batches are in, and before it ends.
        let mut child = Command::new(portico_bin())
            .args(import_args(file))
            .args(["--data-dir", data.path().to_str().unwrap()])
            .args(["--database-url", &database.url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(120);
        let at_kill = loop {
            let done = count(
                &db,
                "SELECT COALESCE(MAX(lines_done), 0) FROM record_imports",
            )
            .await;
            if done >= 5_000 {
                child.kill().unwrap();
                child.wait().unwrap();
                break done;
            }
            assert!(
                Instant::now() < until,
                "{engine}: the import made no progress"
            );
            assert!(
                child.try_wait().unwrap().is_none(),
                "{engine}: the import ended before it could be killed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let stored = stored_notices(&db).await;
        assert!(
            stored < n as i64,
            "{engine}: the import was killed before it ended"
        );
        assert_eq!(
            stored % 5_000,
            0,
            "{engine}: only whole batches are kept ({stored} stored, killed at {at_kill})"
        );

        let (ok, out, err) = run(data.path(), &database.url, &import_args(file));
        assert!(ok, "{engine}: {err}");
        assert!(
            out.contains("Resumed an import that had stopped after line"),
            "{engine}: {out}"
        );
        assert_eq!(
            stored_notices(&db).await,
            n as i64,
            "{engine}: every document once, none twice"
        );
        let inserts = count(
            &db,
            "SELECT COUNT(*) FROM audit_entries WHERE action = 'record.insert'",
        )
        .await;
        assert_eq!(inserts, n as i64, "{engine}: one audit entry per document");
        let (ok, out, err) = run(data.path(), &database.url, &["audit", "verify"]);
        assert!(ok, "{engine}: the chain verifies: {out}{err}");

        // Run once more: the file is in whole, nothing is added.
        let (ok, out, _) = run(data.path(), &database.url, &import_args(file));
        assert!(
            ok && out.contains("imported whole before"),
            "{engine}: {out}"
        );
        assert_eq!(stored_notices(&db).await, n as i64, "{engine}");
        if db.get_database_backend() == DbBackend::Postgres {
            // The import brought the planner's statistics up to date.
            let analyzed = count(
                &db,
                "SELECT COUNT(*) FROM pg_stat_user_tables \
                 WHERE relname = 'records' AND schemaname = current_schema() AND last_analyze IS NOT NULL",
            )
            .await;
            assert_eq!(analyzed, 1, "{engine}: records analyzed after the import");
        }
        drop(db);
        database.cleanup().await;
    }
}

/// A connection to PostgreSQL sends each statement at once: without
/// `TCP_NODELAY`, a statement longer than one TCP segment (an import's
/// batch; across a network, a document of 2 KB) waited 40 ms for the
/// server's acknowledgement, and a 200,000-line import spent more than
/// half its time waiting. (Portico sets the option on Linux.)
#[cfg(target_os = "linux")]
#[tokio::test]
async fn statements_to_postgresql_go_out_without_waiting_for_an_acknowledgement() {
    let database = TestDatabase::postgres().await;
    let db = database.connect().await;
    for _ in 0..3 {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT inet_client_port()",
            ))
            .await
            .unwrap()
            .expect("a row");
        let port = u16::try_from(row.try_get_by_index::<i32>(0).unwrap()).expect("a port");
        assert_eq!(
            portico_platform::nodelay::is_set_on_local_port(port),
            Some(true),
            "the pool's connection from port {port}"
        );
    }
    drop(db);
    database.cleanup().await;
}
