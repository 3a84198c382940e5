//! Identity and access through HTTP with real sessions: log-in and
//! log-out, CSRF, lock-out and rate limiting, roles per organization,
//! module permissions, API tokens and the administration API.

use portico_platform::audit;
use portico_platform::identity::users::UserKind;
use portico_tests::browser::Browser;
use portico_tests::{TEST_CITY, TestPortal};

const PASSWORD: &str = "correct horse battery";

async fn portal() -> TestPortal {
    TestPortal::builder()
        .module("notice-board")
        .module("ledger")
        .org("other-city")
        .build()
        .await
}

#[tokio::test]
async fn a_session_lives_in_a_secure_cookie_until_log_out() {
    let portal = portal().await;
    portal.user("jana", UserKind::Staff, PASSWORD).await;
    let addr = portal.serve().await;
    let browser = Browser::new(addr);

    let form = browser.get("/auth/login").await;
    let csrf_cookie = form
        .set_cookie("__Host-portico-csrf")
        .expect("a CSRF cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(csrf_cookie.contains(attr), "{attr} in {csrf_cookie}");
    }
    // A form without the page's token is refused, and nobody is logged in.
    let forged = browser
        .post_form(
            "/auth/login",
            &[
                ("_csrf", "forged"),
                ("username", "jana"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(forged.body.contains("did not come from this portal"));
    assert!(forged.set_cookie("__Host-portico-session").is_none());

    let wrong = browser.log_in("jana", "not the password").await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong
            .body
            .contains("The user name or the password is wrong.")
    );

    let ok = browser.log_in("jana", PASSWORD).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let session = ok
        .set_cookie("__Host-portico-session")
        .expect("a session cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(session.contains(attr), "{attr} in {session}");
    }
    let token = browser.cookie("__Host-portico-session").unwrap();
    // The database keeps only a hash of the token.
    let stored = sea_orm::ConnectionTrait::query_all_raw(
        portal.db(),
        sea_orm::Statement::from_string(
            sea_orm::ConnectionTrait::get_database_backend(portal.db()),
            "SELECT token_hash FROM sessions",
        ),
    )
    .await
    .unwrap();
    let hash: String = stored[0].try_get("", "token_hash").unwrap();
    assert_ne!(hash, token);
    assert_eq!(hash, portico_platform::sha256_hex(&token));

    let me = browser.get_json("/auth/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["username"], "jana");
    let home = browser.get("/").await;
    assert!(home.body.contains("User jana"), "the header names the user");
    assert!(home.body.contains("Log out"));

    // Log-out needs the session's token too.
    let forged = browser.post_form("/auth/logout", &[("_csrf", "x")]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(browser.get_json("/auth/me").await.status, 200);
    let csrf = browser.csrf_token().await;
    let out = browser.post_form("/auth/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(browser.get_json("/auth/me").await.status, 401);
    // The old token is dead even if someone kept it.
    let thief = Browser::new(addr);
    let page = thief
        .send(
            "GET",
            "/auth/me",
            &[
                ("accept", "application/json"),
                ("cookie", &format!("__Host-portico-session={token}")),
            ],
            None,
        )
        .await;
    assert_eq!(page.status, 401);
}

#[tokio::test]
async fn log_out_everywhere_ends_every_session() {
    let portal = portal().await;
    portal.user("petr", UserKind::Staff, PASSWORD).await;
    let addr = portal.serve().await;
    let (laptop, phone) = (Browser::new(addr), Browser::new(addr));
    assert_eq!(laptop.log_in("petr", PASSWORD).await.status, 303);
    assert_eq!(phone.log_in("petr", PASSWORD).await.status, 303);
    let csrf = laptop.csrf_token().await;
    let out = laptop
        .post_form("/auth/logout-everywhere", &[("_csrf", &csrf)])
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(phone.get_json("/auth/me").await.status, 401);
    assert_eq!(laptop.get_json("/auth/me").await.status, 401);
    let entries = audit::entries(portal.db(), audit::PLATFORM_CHAIN)
        .await
        .unwrap();
    let last = entries.last().unwrap();
    assert_eq!(last.action, "user.logout-everywhere");
    assert!(last.detail.contains("\"sessions\":2"), "{}", last.detail);
}

#[tokio::test]
async fn failed_log_ins_lock_the_account_and_are_audited_without_the_password() {
    let portal = portal().await;
    let user = portal.user("eva", UserKind::Staff, PASSWORD).await;
    let browser = Browser::new(portal.serve().await);
    for _ in 0..4 {
        assert_eq!(browser.log_in("eva", "guess-1234567").await.status, 401);
    }
    let fifth = browser.log_in("eva", "guess-1234567").await;
    assert_eq!(fifth.status, 403);
    assert!(
        fifth.body.contains("locked after 5 failed log-ins"),
        "{}",
        fifth.body
    );
    // Locked: even the right password does not open it now.
    let right = browser.log_in("eva", PASSWORD).await;
    assert_eq!(right.status, 403);
    assert!(right.set_cookie("__Host-portico-session").is_none());

    let entries = audit::entries(portal.db(), audit::PLATFORM_CHAIN)
        .await
        .unwrap();
    let failed = entries
        .iter()
        .filter(|e| e.action == "user.login-failed" && e.subject == user.id)
        .count();
    assert_eq!(failed, 5);
    let locked = entries
        .iter()
        .find(|e| e.action == "user.locked")
        .expect("a lock-out entry");
    assert_eq!(locked.subject, user.id);
    assert!(locked.detail.contains("127.0.0.1"), "{}", locked.detail);
    for e in &entries {
        assert!(!e.detail.contains("guess-1234567") && !e.detail.contains(PASSWORD));
    }
    assert!(matches!(
        audit::verify(portal.db(), audit::PLATFORM_CHAIN)
            .await
            .unwrap(),
        audit::Verdict::Intact { .. }
    ));

    // An administrator lifts the lock.
    portico_platform::identity::logins::unlock(portal.db(), "test", &user.id)
        .await
        .unwrap();
    assert_eq!(browser.log_in("eva", PASSWORD).await.status, 303);
}

#[tokio::test]
async fn one_address_gets_a_limited_number_of_log_in_attempts_a_minute() {
    let portal = portal().await;
    let browser = Browser::new(portal.serve().await);
    let form = browser.get("/auth/login").await;
    let csrf = form.csrf();
    let mut statuses = Vec::new();
    for i in 0..portico_web::auth::LOGIN_ATTEMPTS_PER_MINUTE + 1 {
        let name = format!("nobody-{i}");
        let page = browser
            .post_form(
                "/auth/login",
                &[
                    ("_csrf", &csrf),
                    ("username", &name),
                    ("password", "whatever-at-all"),
                ],
            )
            .await;
        statuses.push(page.status);
        if page.status == 429 {
            assert_eq!(page.headers["retry-after"], "60");
            assert!(page.body.contains("Too many log-in attempts"));
        }
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[20], 429);
}

#[tokio::test]
async fn roles_decide_who_reaches_which_page_of_which_organization() {
    let portal = portal().await;
    let editor = portal.user("editor", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&editor, TEST_CITY, "notice-board.editor")
        .await;
    portal.user("citizen", UserKind::Citizen, PASSWORD).await;
    let addr = portal.serve().await;

    // Anonymous visitors see public pages and are sent to log in for the rest.
    let anonymous = Browser::new(addr);
    assert_eq!(anonymous.get("/m/notice-board/").await.status, 200);
    let post = anonymous.get("/m/notice-board/post").await;
    assert_eq!(post.status, 303);
    assert_eq!(
        post.location(),
        "/auth/login?next=%2Fm%2Fnotice-board%2Fpost"
    );
    let api = anonymous.get_json("/m/ledger/staff/whoami").await;
    assert_eq!(api.status, 401);

    // A citizen never reaches staff pages.
    let citizen = Browser::new(addr);
    assert_eq!(citizen.log_in("citizen", PASSWORD).await.status, 303);
    let post = citizen.get("/m/notice-board/post").await;
    assert_eq!(post.status, 403);
    assert!(post.body.contains("for the staff of"), "{}", post.body);
    // …but reaches pages for any logged-in user, and the module knows who it is.
    let mine = citizen.get_json("/m/ledger/mine/whoami").await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(mine.json()["name"], "User citizen");
    assert_eq!(mine.json()["roles"], serde_json::json!([]));

    // The editor posts in the own city, through the form, with its token.
    let staff = Browser::new(addr);
    assert_eq!(staff.log_in("editor", PASSWORD).await.status, 303);
    let form = staff.get("/m/notice-board/post").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = form.csrf();
    let fields = [
        ("title", "Uzavírka ulice Hlavní"),
        ("reference", "MMB/2026/77"),
        ("department", "Odbor dopravy"),
        ("published", "2026-11-20"),
        ("until", "2099-12-20"),
        ("body", "Ulice bude uzavřena."),
    ];
    let mut with_token = vec![("_csrf", csrf.as_str())];
    with_token.extend(fields);
    let forged = staff.post_form("/m/notice-board/post", &fields).await;
    assert_eq!(forged.status, 403, "a form without the token is refused");
    let posted = staff.post_form("/m/notice-board/post", &with_token).await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let board = anonymous.get("/m/notice-board/").await;
    assert!(board.body.contains("Uzavírka ulice Hlavní"));

    // The same editor is nobody in the other city.
    let other = staff.get("/o/other-city/m/notice-board/post").await;
    assert_eq!(other.status, 403);
    let other_api = staff.get_json("/o/other-city/m/ledger/mine/whoami").await;
    assert_eq!(other_api.status, 200, "any logged-in user, anywhere");
    assert_eq!(other_api.json()["roles"], serde_json::json!([]));
    let here = staff.get_json("/m/ledger/mine/whoami").await;
    assert_eq!(
        here.json()["roles"],
        serde_json::json!(["notice-board.editor"])
    );
    // An editor of the notice board holds no permission of the ledger.
    let ledger = staff.get_json("/m/ledger/staff/whoami").await;
    assert_eq!(ledger.status, 403);
    assert!(
        ledger.json()["message"]
            .as_str()
            .unwrap()
            .contains("ledger.book")
    );

    // An organization's administrator holds every module permission there.
    let admin = portal.user("admin", UserKind::Staff, PASSWORD).await;
    portal.grant(&admin, TEST_CITY, "org-admin").await;
    let boss = Browser::new(addr);
    assert_eq!(boss.log_in("admin", PASSWORD).await.status, 303);
    let who = boss.get_json("/m/ledger/staff/whoami").await;
    assert_eq!(who.status, 200, "{}", who.body);
    assert_eq!(
        who.json()["permissions"],
        serde_json::json!(["ledger.book"])
    );

    // Grants are audited in the organization's chain.
    let entries = audit::entries(portal.db(), TEST_CITY).await.unwrap();
    assert!(entries.iter().any(|e| e.action == "role.grant"
        && e.subject == editor.id
        && e.detail.contains("notice-board.editor")));
}

#[tokio::test]
async fn a_cookie_session_must_carry_its_csrf_token_to_change_data_through_an_api() {
    let portal = portal().await;
    let clerk = portal.user("clerk", UserKind::Staff, PASSWORD).await;
    portal.grant(&clerk, TEST_CITY, "ledger.clerk").await;
    let browser = Browser::new(portal.serve().await);
    assert_eq!(browser.log_in("clerk", PASSWORD).await.status, 303);
    let entry = r#"{"kind":"income","amount":5,"title":"fee"}"#.to_owned();
    let json = "application/json";
    let refused = browser
        .send(
            "POST",
            "/m/ledger/staff/entries",
            &[("accept", json)],
            Some((entry.clone(), json)),
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("X-CSRF-Token"));
    let csrf = browser.csrf_token().await;
    let done = browser
        .send(
            "POST",
            "/m/ledger/staff/entries",
            &[("accept", json), ("x-csrf-token", &csrf)],
            Some((entry, json)),
        )
        .await;
    assert_eq!(done.status, 201, "{}", done.body);
}

#[tokio::test]
async fn api_tokens_work_in_their_organization_with_their_permissions_until_revoked() {
    let portal = portal().await;
    let admin = portal.user("admin", UserKind::Staff, PASSWORD).await;
    portal.grant(&admin, TEST_CITY, "org-admin").await;
    let addr = portal.serve().await;
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("admin", PASSWORD).await.status, 303);
    let csrf = browser.csrf_token().await;
    let json = "application/json";
    let create = |body: &'static str| {
        let csrf = csrf.clone();
        let browser = &browser;
        async move {
            browser
                .send(
                    "POST",
                    &format!("/api/v1/orgs/{TEST_CITY}/tokens"),
                    &[("accept", json), ("x-csrf-token", &csrf)],
                    Some((body.to_owned(), json)),
                )
                .await
        }
    };
    // Provisioning people is for a platform administrator to allow.
    let idm = create(r#"{"name":"IDM","permissions":["portico.provision"]}"#).await;
    assert_eq!(idm.status, 403, "{}", idm.body);
    assert!(
        idm.json()["message"]
            .as_str()
            .unwrap()
            .contains("platform administrator")
    );
    let created = create(r#"{"name":"spisová služba","permissions":["ledger.book"]}"#).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.headers["cache-control"], "no-store");
    let secret = created.json()["token"].as_str().unwrap().to_owned();
    let id = created.json()["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("pt_"));
    // Shown once: the list never has it, the audit chain neither.
    let list = browser
        .get_json(&format!("/api/v1/orgs/{TEST_CITY}/tokens"))
        .await;
    assert!(!list.body.contains(&secret));
    assert_eq!(list.json()["tokens"][0]["name"], "spisová služba");
    let unknown = create(r#"{"name":"x","permissions":["ledger.fly"]}"#).await;
    assert_eq!(unknown.status, 422);
    assert!(unknown.body.contains("ledger.fly"));

    let machine = Browser::new(addr);
    let bearer = format!("Bearer {secret}");
    let who = machine
        .send(
            "GET",
            "/m/ledger/staff/whoami",
            &[("authorization", &bearer)],
            None,
        )
        .await;
    assert_eq!(who.status, 200, "{}", who.body);
    assert_eq!(who.json()["name"], "spisová služba");
    assert_eq!(
        who.json()["permissions"],
        serde_json::json!(["ledger.book"])
    );
    // A machine client needs no CSRF token: it sends no cookies.
    let posted = machine
        .send(
            "POST",
            "/m/ledger/staff/entries",
            &[("authorization", &bearer)],
            Some((
                r#"{"kind":"income","amount":1,"title":"by token"}"#.into(),
                json,
            )),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let elsewhere = machine
        .send(
            "GET",
            "/o/other-city/m/ledger/staff/whoami",
            &[("authorization", &bearer), ("accept", json)],
            None,
        )
        .await;
    assert_eq!(elsewhere.status, 403);
    assert!(elsewhere.body.contains("for organization `test-city` only"));

    let revoke = browser
        .send(
            "DELETE",
            &format!("/api/v1/orgs/{TEST_CITY}/tokens/{id}"),
            &[("x-csrf-token", &csrf)],
            None,
        )
        .await;
    assert_eq!(revoke.status, 204, "{}", revoke.body);
    let after = machine
        .send(
            "GET",
            "/m/ledger/staff/whoami",
            &[("authorization", &bearer), ("accept", json)],
            None,
        )
        .await;
    assert_eq!(after.status, 401);
    let forged = machine
        .send(
            "GET",
            "/m/ledger/staff/whoami",
            &[("authorization", "Bearer pt_forged"), ("accept", json)],
            None,
        )
        .await;
    assert_eq!(forged.status, 401);

    let entries = audit::entries(portal.db(), TEST_CITY).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "token.create" && e.subject == id)
    );
    assert!(
        entries
            .iter()
            .any(|e| e.action == "token.revoke" && e.subject == id)
    );
    assert!(entries.iter().all(|e| !e.detail.contains(&secret)));
}

#[tokio::test]
async fn the_admin_api_creates_organizations_and_grants_roles_and_refuses_bad_input_clearly() {
    let portal = portal().await;
    let root = portal.user("root", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&root, roles_everywhere(), "platform-admin")
        .await;
    let clerk = portal.user("clerk", UserKind::Staff, PASSWORD).await;
    portal.grant(&clerk, TEST_CITY, "ledger.clerk").await;
    let addr = portal.serve().await;
    let admin = Browser::new(addr);
    assert_eq!(admin.log_in("root", PASSWORD).await.status, 303);
    let csrf = admin.csrf_token().await;
    let json = "application/json";
    let post = |body: String, content_type: &'static str, csrf: Option<String>| {
        let admin = &admin;
        async move {
            let mut headers = vec![("accept", json)];
            let token;
            if let Some(c) = csrf {
                token = c;
                headers.push(("x-csrf-token", token.as_str()));
            }
            admin
                .send("POST", "/api/v1/orgs", &headers, Some((body, content_type)))
                .await
        }
    };
    let school =
        r#"{"id":"zs-hlavni","name":"ZŠ Hlavní","kind":"organization","parent":"test-city"}"#;
    let no_token = post(school.into(), json, None).await;
    assert_eq!(no_token.status, 403);
    let not_json = post(school.into(), "text/plain", Some(csrf.clone())).await;
    assert_eq!(not_json.status, 415);
    assert!(
        not_json.json()["message"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
    let malformed = post("{\"id\":".into(), json, Some(csrf.clone())).await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.json()["message"]
            .as_str()
            .unwrap()
            .contains("JSON body cannot be read")
    );
    let unknown = post(
        r#"{"id":"x1","name":"X","kind":"city","colour":"red"}"#.into(),
        json,
        Some(csrf.clone()),
    )
    .await;
    assert_eq!(unknown.status, 422);
    assert!(unknown.body.contains("colour"), "{}", unknown.body);
    let bad_ico = post(
        r#"{"id":"x2","name":"X","kind":"city","ico":"12345678"}"#.into(),
        json,
        Some(csrf.clone()),
    )
    .await;
    assert_eq!(bad_ico.status, 422);
    assert_eq!(bad_ico.json()["field"], "ico");
    let huge = post(
        format!("{{\"name\":\"{}\"}}", "x".repeat(100_000)),
        json,
        Some(csrf.clone()),
    )
    .await;
    assert_eq!(huge.status, 413);
    let created = post(school.into(), json, Some(csrf.clone())).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["parent_id"], "test-city");
    let again = post(school.into(), json, Some(csrf.clone())).await;
    assert_eq!(again.status, 409);

    // A clerk may not create organizations nor see who holds which role.
    let outsider = Browser::new(addr);
    assert_eq!(outsider.log_in("clerk", PASSWORD).await.status, 303);
    let clerk_csrf = outsider.csrf_token().await;
    let refused = outsider
        .send(
            "POST",
            "/api/v1/orgs",
            &[("accept", json), ("x-csrf-token", &clerk_csrf)],
            Some((
                r#"{"id":"x3","name":"X","kind":"organization","parent":"test-city"}"#.into(),
                json,
            )),
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        outsider
            .get_json(&format!("/api/v1/orgs/{TEST_CITY}/roles"))
            .await
            .status,
        403
    );

    // Grant and revoke through the API.
    let path = "/api/v1/orgs/zs-hlavni/members/clerk/roles/org-admin";
    let granted = admin
        .send("PUT", path, &[("x-csrf-token", &csrf)], None)
        .await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    assert_eq!(granted.json()["roles"], serde_json::json!(["org-admin"]));
    let bad_role = admin
        .send(
            "PUT",
            "/api/v1/orgs/zs-hlavni/members/clerk/roles/ledger.pilot",
            &[("x-csrf-token", &csrf)],
            None,
        )
        .await;
    assert_eq!(bad_role.status, 422);
    // Now the clerk administers the school: sees its roles, creates a unit below it.
    let roles = outsider.get_json("/api/v1/orgs/zs-hlavni/roles").await;
    assert_eq!(roles.status, 200);
    assert_eq!(roles.json()["grants"][0]["username"], "clerk");
    let unit = outsider
        .send(
            "POST",
            "/api/v1/orgs",
            &[("accept", json), ("x-csrf-token", &clerk_csrf)],
            Some((
                r#"{"id":"zs-hlavni-jidelna","name":"Jídelna","kind":"unit","parent":"zs-hlavni"}"#
                    .into(),
                json,
            )),
        )
        .await;
    assert_eq!(unit.status, 201, "{}", unit.body);
    let revoked = admin
        .send("DELETE", path, &[("x-csrf-token", &csrf)], None)
        .await;
    assert_eq!(revoked.status, 200);
    assert_eq!(
        outsider
            .get_json("/api/v1/orgs/zs-hlavni/roles")
            .await
            .status,
        403
    );
    let entries = audit::entries(portal.db(), "zs-hlavni").await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"role.grant") && actions.contains(&"role.revoke"),
        "{actions:?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e.action == "role.grant" && e.actor == root.id)
    );
}

fn roles_everywhere() -> &'static str {
    portico_platform::identity::roles::EVERY_ORG
}
