//! Files through a module: stored once per content, read back checked
//! against their SHA-256, kept for their retention period, out of reach of
//! other organizations, and damage found on read and by `portico files verify`.

use sha2::{Digest, Sha256};

use portico_tests::{TestPortal, run_portico};
use serde_json::Value;

use crate::{JSON, call, get};

async fn store(portal: &TestPortal, query: &str, content: &str) -> (u16, Value) {
    let got = call(
        portal,
        "POST",
        &format!("/m/ledger/api/files?{query}"),
        content,
    )
    .await;
    let code = got.status.as_u16();
    (
        code,
        serde_json::from_str(&got.body).unwrap_or(Value::String(got.body)),
    )
}

fn blobs(portal: &TestPortal) -> Vec<std::path::PathBuf> {
    let root = portal.files_dir.join("files/sha256");
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            found.push(f.path());
        }
    }
    found
}

fn verify(portal: &TestPortal) -> (bool, String, String) {
    let data_dir = portal.files_dir.to_str().unwrap().to_owned();
    run_portico(&[
        "files",
        "verify",
        "--data-dir",
        &data_dir,
        "--database-url",
        &portal.database.url,
    ])
}

#[tokio::test]
async fn files_are_kept_once_per_content_checked_on_read_and_kept_apart() {
    let portal = TestPortal::builder()
        .module("ledger")
        .org("other-city")
        .build()
        .await;
    let content = "%PDF-1.7 Rozhodnutí o uzavírce silnice III/3952";
    let (code, info) = store(
        &portal,
        "name=rozhodnuti.pdf&type=application/pdf&mark=A&years=10",
        content,
    )
    .await;
    assert_eq!(code, 201, "{info}");
    assert_eq!(
        info["sha256"],
        hex::encode(Sha256::digest(content.as_bytes()))
    );
    assert_eq!(info["size"], content.len());
    assert_eq!(info["mark"], "A");
    let id = info["id"].as_str().unwrap().to_owned();
    let year = chrono::Utc::now()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap();
    assert!(
        info["keep_until"]
            .as_str()
            .unwrap()
            .starts_with(&(year + 10).to_string()),
        "{info}"
    );

    // The same content again is a second file over the same stored content.
    let (code, again) = store(&portal, "name=copy.pdf&type=application/pdf", content).await;
    assert_eq!(code, 201, "{again}");
    assert_ne!(again["id"], info["id"]);
    assert_eq!(again["sha256"], info["sha256"]);
    assert_eq!(blobs(&portal).len(), 1);

    let got = get(&portal.app(), &format!("/m/ledger/api/files/{id}"), JSON).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, content);
    assert_eq!(got.headers["content-type"], "application/pdf");

    // Another organization cannot read it, nor delete it, by its id.
    for method in ["GET", "DELETE"] {
        let got = call(
            &portal,
            method,
            &format!("/o/other-city/m/ledger/api/files/{id}"),
            "",
        )
        .await;
        assert_eq!(got.status, 404, "{method}: {}", got.body);
    }
    // Before its retention period ends, it cannot be deleted.
    let got = call(&portal, "DELETE", &format!("/m/ledger/api/files/{id}"), "").await;
    assert_eq!(got.status, 403, "{}", got.body);
    assert!(
        got.body
            .contains(&format!("must be kept until {}", year + 10)),
        "{}",
        got.body
    );
    // A file with no retention period can go.
    let (_, brief) = store(&portal, "name=draft.txt&type=text/plain&years=0", "draft").await;
    let brief = brief["id"].as_str().unwrap();
    let got = call(
        &portal,
        "DELETE",
        &format!("/m/ledger/api/files/{brief}"),
        "",
    )
    .await;
    assert_eq!(got.status, 204, "{}", got.body);
    let got = get(
        &portal.app(),
        &format!("/m/ledger/api/files/{brief}/info"),
        JSON,
    )
    .await;
    assert_eq!(got.status, 404);

    let (ok, out, err) = verify(&portal);
    assert!(ok, "{out}{err}");
    assert!(out.contains("2 file(s) verified"), "{out}");

    // Damage on disk: the read fails instead of serving altered content,
    // and `files verify` names both files over that content.
    let sha = info["sha256"].as_str().unwrap();
    let blob = &portal
        .files_dir
        .join("files/sha256")
        .join(&sha[..2])
        .join(sha);
    std::fs::write(blob, "%PDF-1.7 Rozhodnutí o povolení").unwrap();
    let got = get(&portal.app(), &format!("/m/ledger/api/files/{id}"), JSON).await;
    assert_eq!(got.status, 500, "{}", got.body);
    assert!(!got.body.contains("povolení"), "{}", got.body);
    let (ok, out, err) = verify(&portal);
    assert!(!ok);
    assert!(
        out.contains(&id) && out.contains("no longer matches its SHA-256"),
        "{out}"
    );
    assert!(out.contains(again["id"].as_str().unwrap()), "{out}");
    assert!(err.contains("2 of 2 file(s) are damaged"), "{err}");
    std::fs::remove_file(blob).unwrap();
    let (ok, out, _) = verify(&portal);
    assert!(!ok);
    assert!(out.contains("its content is missing"), "{out}");
    // Storing the same content again restores what the others refer to.
    let (code, _) = store(&portal, "name=again.pdf&type=application/pdf", content).await;
    assert_eq!(code, 201);
    let got = get(&portal.app(), &format!("/m/ledger/api/files/{id}"), JSON).await;
    assert_eq!(got.body, content);
    let (ok, out, err) = verify(&portal);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("3 file(s) verified (1 distinct contents)"),
        "{out}"
    );
}

#[tokio::test]
async fn bad_files_are_refused_by_name_and_nothing_is_stored() {
    let portal = TestPortal::builder().module("ledger").build().await;
    let cases = [
        ("name=&type=text/plain", "name"),
        ("name=a%2Fb.txt&type=text/plain", "name"),
        ("name=a.txt&type=text", "media-type"),
        ("name=a.txt&type=text/plain&years=101", "retention.years"),
    ];
    for (query, field) in cases {
        let (code, body) = store(&portal, query, "content").await;
        assert_eq!(code, 422, "{query}: {body}");
        assert!(
            body.to_string().contains(&format!("\"field\":\"{field}\"")),
            "{query}: {body}"
        );
    }
    let (ok, out, err) = verify(&portal);
    assert!(ok, "{err}");
    assert!(out.contains("0 file(s) verified"), "{out}");
}
