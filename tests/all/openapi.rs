//! The REST API described as OpenAPI: the host's administration API and
//! every installed module's routes, checked by a third-party validator.

use portico_tests::{TEST_CITY, TestPortal, demo_notices};

use crate::{JSON, get};

/// openapi-spec-validator (PyPI), which `cargo xtask test` installs and
/// names in `OPENAPI_SPEC_VALIDATOR`.
fn validator() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("OPENAPI_SPEC_VALIDATOR") {
        return p.into();
    }
    let venv = portico_tests::repo_root().join("target/openapi-venv/bin/openapi-spec-validator");
    assert!(
        venv.exists(),
        "the OpenAPI validator is not installed: run `cargo xtask test`, which installs it"
    );
    venv
}

#[tokio::test]
async fn the_api_is_described_by_a_valid_openapi_document() {
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("ledger")
        .module("courier")
        .build()
        .await;
    portal
        .import(TEST_CITY, "notice-board", "notices", &demo_notices())
        .await;
    let app = portal.app();
    let got = get(&app, "/api/openapi.json", JSON).await;
    assert_eq!(got.status, 200, "{}", got.body);
    let doc: serde_json::Value = serde_json::from_str(&got.body).expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = &doc["paths"];
    // The host's own API.
    assert!(paths["/api/v1/orgs"]["get"].is_object(), "{doc}");
    assert_eq!(
        paths["/api/v1/orgs"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/NewOrganization"
    );
    assert!(paths["/api/v1/orgs/{org}/members/{username}/roles/{role}"]["put"].is_object());
    // Every module route, with the access it needs.
    let notice = &paths["/o/{org}/m/notice-board/notices/{id}"]["get"];
    assert_eq!(
        notice["security"],
        serde_json::json!([{}]),
        "public: {notice}"
    );
    assert_eq!(
        notice["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/View"
    );
    // A webhook, with the signature's headers an outside system sends.
    let hook = &paths["/o/{org}/hooks/courier/inbox"]["post"];
    let headers: Vec<&str> = hook["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "header")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        headers,
        ["webhook-id", "webhook-timestamp", "webhook-signature"],
        "{hook}"
    );
    assert!(hook["responses"]["401"].is_object(), "{hook}");
    let staff = &paths["/o/{org}/m/ledger/staff/{rest}"]["post"];
    assert!(
        staff["summary"].as_str().unwrap_or("").contains("`book`"),
        "{staff}"
    );
    assert!(
        staff["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some())),
        "{staff}"
    );
    // What it says of a page is what the page answers.
    let view = get(
        &app,
        "/o/test-city/m/notice-board/notices/MMB%2F0412%2F2026",
        JSON,
    )
    .await;
    assert_eq!(view.status, 200, "{}", view.body);
    let view: serde_json::Value = serde_json::from_str(&view.body).expect("a view");
    assert!(
        view["title"].is_string() && view["blocks"].is_array(),
        "{view}"
    );

    // A third-party validator accepts the document.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &got.body).expect("write the document");
    let out = std::process::Command::new(validator())
        .arg(&file)
        .output()
        .expect("the validator runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!(
        "openapi-spec-validator: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && stdout.contains("OK"), "{stdout}");
}
