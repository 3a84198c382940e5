//! SCIM 2.0 provisioning as an identity management system drives it,
//! through HTTP: create, patch, deactivate and delete staff accounts;
//! groups that give roles; filters; bad input; and the run of a third-party
//! conformance tool (`scim2-tester`, through `scim2-cli`, from PyPI).

use portico_platform::identity::groups;
use portico_platform::identity::users::UserKind;
use portico_platform::tokens;
use portico_tests::browser::{Browser, Page};
use portico_tests::{TEST_CITY, TestPortal};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const SCIM_JSON: &str = "application/scim+json";

async fn portal() -> TestPortal {
    TestPortal::builder()
        .module("notice-board")
        .org("other-city")
        .build()
        .await
}

async fn provisioning_token(portal: &TestPortal) -> String {
    tokens::create(
        portal.db(),
        "test",
        TEST_CITY,
        "region IDM",
        &[tokens::PROVISION.to_owned()],
        None,
    )
    .await
    .unwrap()
    .0
}

/// A SCIM client with a bearer token.
struct Idm {
    http: Browser,
    auth: String,
}

impl Idm {
    fn new(addr: std::net::SocketAddr, token: &str) -> Idm {
        Idm {
            http: Browser::new(addr),
            auth: format!("Bearer {token}"),
        }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Page {
        self.http
            .send(
                method,
                &format!("/scim/v2{path}"),
                &[("authorization", &self.auth)],
                body.map(|b| (b.to_string(), SCIM_JSON)),
            )
            .await
    }
}

fn error_of(page: &Page) -> (String, String) {
    let body = page.json();
    assert_eq!(
        body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{}",
        page.body
    );
    assert_eq!(body["status"], page.status.to_string());
    (
        body["scimType"].as_str().unwrap_or_default().to_owned(),
        body["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

fn new_user(username: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": username,
        "externalId": format!("idm-{username}"),
        "name": {"givenName": "Jana", "familyName": "Dvořáková"},
        "displayName": "Jana Dvořáková",
        "emails": [{"value": format!("{username}@kraj.example"), "type": "work", "primary": true}],
        "active": true,
        "title": "referentka",
    })
}

#[tokio::test]
async fn an_idm_creates_patches_deactivates_and_deletes_a_user() {
    let portal = portal().await;
    let token = provisioning_token(&portal).await;
    let addr = portal.serve().await;
    let idm = Idm::new(addr, &token);

    let created = idm
        .send("POST", "/Users", Some(new_user("jdvorakova")))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let user = created.json();
    let id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(user["userName"], "jdvorakova");
    assert_eq!(user["name"]["familyName"], "Dvořáková");
    assert_eq!(user["emails"][0]["value"], "jdvorakova@kraj.example");
    assert!(
        user.get("title").is_none(),
        "attributes Portico does not keep are dropped"
    );
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        format!("http://{addr}/scim/v2/Users/{id}")
    );
    assert_eq!(created.headers["etag"].to_str().unwrap(), "W/\"1\"");
    assert_eq!(
        idm.send("POST", "/Users", Some(new_user("jdvorakova")))
            .await
            .status,
        409
    );

    // The IDM looks the account up the way identity systems do.
    let found = idm
        .send(
            "GET",
            "/Users?filter=userName%20eq%20%22JDvorakova%22",
            None,
        )
        .await;
    assert_eq!(found.json()["totalResults"], 1, "{}", found.body);
    assert_eq!(found.json()["Resources"][0]["id"], id.as_str());
    let none = idm
        .send(
            "GET",
            "/Users?filter=externalId%20eq%20%22IDM-jdvorakova%22",
            None,
        )
        .await;
    assert_eq!(
        none.json()["totalResults"],
        0,
        "externalId compares with case"
    );

    // The user gets a password (a small deployment) and logs in.
    let account = portico_platform::identity::users::get(portal.db(), &id)
        .await
        .unwrap()
        .unwrap();
    let mut change = account.profile();
    change.password = Some(PASSWORD.into());
    portico_platform::identity::accounts::update(portal.db(), "test", &id, change)
        .await
        .unwrap();
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("jdvorakova", PASSWORD).await.status, 303);
    assert_eq!(browser.get_json("/auth/me").await.status, 200);

    // A PATCH as identity systems send it: capitalised ops, a filtered path.
    let patched = idm
        .send(
            "PATCH",
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [
                    {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "jana.dvorakova@kraj.example"},
                    {"op": "Add", "path": "name.givenName", "value": "Jana Marie"},
                ]
            })),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(
        patched.json()["emails"][0]["value"],
        "jana.dvorakova@kraj.example"
    );
    assert_eq!(patched.json()["name"]["givenName"], "Jana Marie");
    let account = portico_platform::identity::users::get(portal.db(), &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        account.email.as_deref(),
        Some("jana.dvorakova@kraj.example")
    );
    assert_eq!(
        browser.get_json("/auth/me").await.status,
        200,
        "still logged in"
    );

    // A stale version is refused.
    let stale = idm
        .http
        .send(
            "PATCH",
            &format!("/scim/v2/Users/{id}"),
            &[("authorization", &idm.auth), ("if-match", "W/\"1\"")],
            Some((
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "displayName", "value": "X"}]})
                .to_string(),
                SCIM_JSON,
            )),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);

    // Deprovisioning: deactivation ends the session at once and bars log-in.
    let off = idm
        .send(
            "PATCH",
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": "False"}}]
            })),
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert_eq!(off.json()["active"], false);
    assert_eq!(browser.get_json("/auth/me").await.status, 401);
    assert_ne!(
        Browser::new(addr)
            .log_in("jdvorakova", PASSWORD)
            .await
            .status,
        303
    );

    let deleted = idm.send("DELETE", &format!("/Users/{id}"), None).await;
    assert_eq!(deleted.status, 204);
    let gone = idm.send("GET", &format!("/Users/{id}"), None).await;
    assert_eq!(gone.status, 404);
    assert!(error_of(&gone).1.contains(&id));

    // Every change is in the platform's audit chain, by the token's name.
    let audit =
        portico_platform::audit::entries(portal.db(), portico_platform::audit::PLATFORM_CHAIN)
            .await
            .unwrap();
    let by_idm: Vec<&str> = audit
        .iter()
        .filter(|e| e.actor == "scim:region IDM")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        by_idm,
        ["user.create", "user.update", "user.update", "user.delete"]
    );
}

#[tokio::test]
async fn a_group_mapped_to_a_role_gives_it_to_its_members_and_takes_it_back() {
    let portal = portal().await;
    let token = provisioning_token(&portal).await;
    let addr = portal.serve().await;
    let idm = Idm::new(addr, &token);
    let staff = portal.user("petr", UserKind::Staff, PASSWORD).await;
    let citizen = portal.user("obcan", UserKind::Citizen, PASSWORD).await;

    // Citizens are none of the IDM's business.
    let listed = idm.send("GET", "/Users", None).await;
    let names: Vec<Value> = listed.json()["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].clone())
        .collect();
    assert_eq!(names, [json!("petr")]);
    assert_eq!(
        idm.send("GET", &format!("/Users/{}", citizen.id), None)
            .await
            .status,
        404
    );
    let with_citizen = idm
        .send(
            "POST",
            "/Groups",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Úřední deska",
                "members": [{"value": citizen.id}],
            })),
        )
        .await;
    assert_eq!(with_citizen.status, 400);
    assert!(error_of(&with_citizen).1.contains("members[0].value"));

    let created = idm
        .send(
            "POST",
            "/Groups",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Úřední deska",
                "members": [{"value": staff.id, "type": "User"}],
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let group_id = created.json()["id"].as_str().unwrap().to_owned();

    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("petr", PASSWORD).await.status, 303);
    assert_eq!(browser.get("/m/notice-board/post").await.status, 403);

    // An administrator maps the group; the member may post, in that city only.
    groups::map(
        portal.db(),
        "test",
        "Úřední deska",
        Some((TEST_CITY.into(), "notice-board.editor".into())),
    )
    .await
    .unwrap();
    assert_eq!(browser.get("/m/notice-board/post").await.status, 200);
    assert_eq!(
        browser
            .get("/o/other-city/m/notice-board/post")
            .await
            .status,
        403
    );

    // A rename over SCIM keeps the mapping; removing the member ends the role.
    let renamed = idm
        .send(
            "PUT",
            &format!("/Groups/{group_id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Editoři úřední desky",
                "members": [{"value": staff.id}],
            })),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(browser.get("/m/notice-board/post").await.status, 200);
    let user = idm.send("GET", &format!("/Users/{}", staff.id), None).await;
    assert_eq!(user.json()["groups"][0]["display"], "Editoři úřední desky");

    let removed = idm
        .send(
            "PATCH",
            &format!("/Groups/{group_id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "remove", "path": format!("members[value eq \"{}\"]", staff.id)}]
            })),
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(removed.json().get("members").is_none());
    assert_eq!(browser.get("/m/notice-board/post").await.status, 403);
}

#[tokio::test]
async fn bad_requests_get_scim_errors_that_say_what_is_wrong() {
    let portal = portal().await;
    let token = provisioning_token(&portal).await;
    let addr = portal.serve().await;
    let idm = Idm::new(addr, &token);

    let anonymous = Browser::new(addr).get("/scim/v2/Users").await;
    assert_eq!(anonymous.status, 401);
    assert!(
        anonymous.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let (other, _) = tokens::create(
        portal.db(),
        "test",
        TEST_CITY,
        "a mobile app",
        &["notice-board.post".to_owned()],
        None,
    )
    .await
    .unwrap();
    let refused = Idm::new(addr, &other).send("GET", "/Users", None).await;
    assert_eq!(refused.status, 403);
    assert!(error_of(&refused).1.contains("portico.provision"));

    let bad_filter = idm.send("GET", "/Users?filter=userName%20eq", None).await;
    assert_eq!(bad_filter.status, 400);
    assert_eq!(error_of(&bad_filter).0, "invalidFilter");

    let not_json = idm
        .http
        .send(
            "POST",
            "/scim/v2/Users",
            &[("authorization", &idm.auth)],
            Some(("{\"userName\": ".into(), SCIM_JSON)),
        )
        .await;
    assert_eq!(not_json.status, 400);
    assert_eq!(error_of(&not_json).0, "invalidSyntax");

    let form = idm
        .http
        .send(
            "POST",
            "/scim/v2/Users",
            &[("authorization", &idm.auth)],
            Some(("userName=x".into(), "application/x-www-form-urlencoded")),
        )
        .await;
    assert_eq!(form.status, 415);

    let mut wrong_type = new_user("x1");
    wrong_type["active"] = json!(7);
    let page = idm.send("POST", "/Users", Some(wrong_type)).await;
    assert_eq!(page.status, 400);
    assert!(error_of(&page).1.contains("`active` must be true or false"));

    let mut no_name = new_user("x2");
    no_name.as_object_mut().unwrap().remove("userName");
    let page = idm.send("POST", "/Users", Some(no_name)).await;
    assert_eq!(
        error_of(&page),
        ("invalidValue".into(), "`userName` is required".into())
    );

    let mut bad_email = new_user("x3");
    bad_email["emails"][0]["value"] = json!("not an address");
    let page = idm.send("POST", "/Users", Some(bad_email)).await;
    assert_eq!(page.status, 400);
    assert!(error_of(&page).1.contains("is not an e-mail address"));

    let huge = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                      "userName": "big", "active": true, "displayName": "x".repeat(5 << 20)});
    assert_eq!(idm.send("POST", "/Users", Some(huge)).await.status, 413);

    let nothing = idm.send("GET", "/Nonsense", None).await;
    assert_eq!(nothing.status, 404);
    error_of(&nothing);
    assert_eq!(idm.send("DELETE", "/Schemas", None).await.status, 405);

    // Nothing of the above was stored.
    let all = idm.send("GET", "/Users", None).await;
    assert_eq!(all.json()["totalResults"], 0, "{}", all.body);
}

/// A filter or a PATCH path whose attribute has a letter beyond ASCII
/// straddling its fourth byte (where a `urn:` prefix would end) is
/// refused like any other word that is not an attribute; it used to
/// break the request off.
#[tokio::test]
async fn an_attribute_with_czech_letters_in_a_filter_or_a_path_is_refused() {
    let portal = portal().await;
    let token = provisioning_token(&portal).await;
    let addr = portal.serve().await;
    let idm = Idm::new(addr, &token);
    let created = idm.send("POST", "/Users", Some(new_user("jnovak"))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();

    let filter = idm
        .send(
            "GET",
            "/Users?filter=p%C5%99%C3%ADjmen%C3%AD%20eq%20%22Jan%22",
            None,
        )
        .await;
    assert_eq!(filter.status, 400, "{}", filter.body);
    assert_eq!(
        error_of(&filter),
        (
            "invalidFilter".into(),
            "`příjmení` is not an attribute".into()
        )
    );

    let patch = idm
        .send(
            "PATCH",
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "příjmení", "value": "Jan"}]
            })),
        )
        .await;
    assert_eq!(patch.status, 400, "{}", patch.body);
    assert_eq!(error_of(&patch).0, "invalidPath");
    assert!(
        error_of(&patch)
            .1
            .contains("`příjmení` is not an attribute")
    );

    // A `]` before the `[` once cut the path backwards and took the
    // request down with it.
    let backwards = idm
        .send(
            "PATCH",
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "emails]type eq \"work\"[", "value": "x"}]
            })),
        )
        .await;
    assert_eq!(backwards.status, 400, "{}", backwards.body);
    assert_eq!(error_of(&backwards).0, "invalidPath");

    let unchanged = idm.send("GET", &format!("/Users/{id}"), None).await;
    assert_eq!(unchanged.json()["displayName"], "Jana Dvořáková");
}

/// A filter that nests brackets thousands deep (it still fits the 4096
/// bytes a filter may have) is refused, in a list and in a PATCH path; it
/// used to overflow the stack of the thread that parsed it and so end the
/// whole portal, for every organization.
#[tokio::test]
async fn a_filter_nested_thousands_deep_is_refused_and_the_portal_stays_up() {
    let portal = portal().await;
    let token = provisioning_token(&portal).await;
    let addr = portal.serve().await;
    let idm = Idm::new(addr, &token);
    let created = idm.send("POST", "/Users", Some(new_user("jnovak"))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();

    let idm = &idm;
    let list = move |filter: String| {
        let query = filter
            .replace('(', "%28")
            .replace(')', "%29")
            .replace(' ', "%20")
            .replace('"', "%22");
        async move {
            idm.send("GET", &format!("/Users?filter={query}"), None)
                .await
        }
    };

    let deep = format!("{}userName pr{}", "(".repeat(2000), ")".repeat(2000));
    let listed = list(deep).await;
    assert_eq!(listed.status, 400, "{}", listed.body);
    assert_eq!(
        error_of(&listed),
        (
            "invalidFilter".into(),
            "the filter nests brackets more than 32 levels deep".into()
        )
    );

    let patch = idm
        .send(
            "PATCH",
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "remove", "path": format!("emails[{}]", "not (".repeat(700) + "type eq \"work\"" + &")".repeat(700))}]
            })),
        )
        .await;
    assert_eq!(patch.status, 400, "{}", patch.body);
    assert_eq!(error_of(&patch).0, "invalidPath");

    // Brackets as deep as an IDM writes them still work.
    let nested = format!("{}userName eq \"jnovak\"{}", "(".repeat(32), ")".repeat(32));
    let found = list(nested).await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.json()["totalResults"], 1);
}

/// The SCIM conformance tool: `scim2` of scim2-cli (with scim2-tester),
/// from PyPI, which `cargo xtask test` installs and names in `SCIM2_CLI`.
fn scim2_cli() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("SCIM2_CLI") {
        return p.into();
    }
    let venv = portico_tests::repo_root().join("target/ci-venv/bin/scim2");
    assert!(
        venv.exists(),
        "the SCIM conformance tool is not installed: run `cargo xtask test`, which installs it"
    );
    venv
}

#[tokio::test]
async fn a_third_party_scim_conformance_run_passes() {
    let cli = scim2_cli();
    let portal = portal().await;
    let token = provisioning_token(&portal).await;
    let addr = portal.serve().await;
    let out = tokio::process::Command::new(cli)
        .args(["--url", &format!("http://{addr}/scim/v2"), "test"])
        .env("SCIM_CLI_HEADERS", format!("Authorization: Bearer {token}"))
        .output()
        .await
        .expect("scim2 runs");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    let passed = report.lines().filter(|l| l.starts_with("SUCCESS")).count();
    assert!(
        out.status.success(),
        "the conformance run failed:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(passed >= 60, "only {passed} checks ran:\n{report}");
}
