//! What an outside review attacked, as an attacker does it, through HTTP:
//! taking over an account through an identity provider's user name,
//! open redirects after log-in, guessing passwords behind a proxy or all
//! at once, telling real accounts from unknown names, sessions that
//! outlive a new password, levels of assurance nobody asserted, claims
//! only UserInfo gives, pages a shared cache would keep, and token
//! lifetimes that wrap around.

use portico_platform::audit;
use portico_platform::identity::users::{NewUser, UserKind};
use portico_platform::identity::{accounts, logins, roles, users};
use portico_tests::browser::Browser;
use portico_tests::oidc::{CLIENT_ID, CLIENT_SECRET, Mode, Person, TestProvider};
use portico_tests::{TestPortal, listener, serve_on};
use portico_web::oidc::OidcProvider;

use crate::oidc::{citizen, log_in_through, portal_with};

const PASSWORD: &str = "correct horse battery";

fn staff_person(subject: &str, username: Option<&str>) -> Person {
    Person {
        subject: subject.into(),
        username: username.map(str::to_owned),
        acr: Some("http://eidas.europa.eu/LoA/substantial".into()),
        ..citizen()
    }
}

#[tokio::test]
async fn an_identity_providers_user_name_never_takes_over_a_local_account() {
    // The IDM (or anyone who can register there) calls a person `admin`.
    let provider = TestProvider::start(staff_person("idm-666", Some("admin"))).await;
    let (portal, browser) = portal_with(
        &["notice-board"],
        &provider,
        "staff",
        UserKind::Staff,
        |b| b,
    )
    .await;
    let admin = portal.user("admin", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&admin, roles::EVERY_ORG, roles::PLATFORM_ADMIN)
        .await;

    assert_eq!(log_in_through(&browser, "staff", "/").await.status, 303);
    let me = browser.get_json("/auth/me").await.json();
    assert_ne!(me["id"], admin.id.as_str(), "not the local administrator");
    assert_eq!(me["username"], "staff:idm-666");
    assert_eq!(me["roles"], serde_json::json!({}));
    assert_ne!(browser.get("/admin/modules").await.status, 200);
    // The local account is untouched: not linked, still its owner's.
    let stored = users::get(portal.db(), &admin.id).await.unwrap().unwrap();
    assert_eq!(stored.issuer, None);
    let owner = Browser::new(browser.addr());
    assert_eq!(owner.log_in("admin", PASSWORD).await.status, 303);
    assert_eq!(
        owner.get_json("/auth/me").await.json()["id"],
        admin.id.as_str()
    );
    // The next log-in of that identity finds its own account again.
    let again = Browser::new(browser.addr());
    assert_eq!(log_in_through(&again, "staff", "/").await.status, 303);
    assert_eq!(again.get_json("/auth/me").await.json()["id"], me["id"]);

    // An account the IDM provisioned for exactly this person (its
    // externalId is the subject) is linked, but not when it holds a
    // platform-wide role or a password.
    let provisioned = |name: &str, external: &str| {
        let mut new = NewUser::local(name, "Petr Novák", UserKind::Staff, "");
        new.password = None;
        new.external_id = Some(external.into());
        new
    };
    let clerk = users::create(portal.db(), "scim", provisioned("pnovak", "idm-0042"))
        .await
        .unwrap();
    provider.set_person(staff_person("idm-0042", Some("admin")));
    let idm = Browser::new(browser.addr());
    assert_eq!(log_in_through(&idm, "staff", "/").await.status, 303);
    assert_eq!(
        idm.get_json("/auth/me").await.json()["id"],
        clerk.id.as_str()
    );

    let boss = users::create(portal.db(), "scim", provisioned("boss", "idm-0001"))
        .await
        .unwrap();
    portal
        .grant(&boss, roles::EVERY_ORG, roles::PLATFORM_ADMIN)
        .await;
    provider.set_person(staff_person("idm-0001", None));
    let other = Browser::new(browser.addr());
    assert_eq!(log_in_through(&other, "staff", "/").await.status, 303);
    let me = other.get_json("/auth/me").await.json();
    assert_ne!(me["id"], boss.id.as_str());
    assert_eq!(me["roles"], serde_json::json!({}));
}

/// A portal that trusts two providers at once: the national eID for
/// citizens and the IDM for staff.
async fn portal_with_both(eid: &TestProvider, staff: &TestProvider) -> (TestPortal, Browser) {
    let listener = listener().await;
    let addr = listener.local_addr().unwrap();
    let provider = |id: &str, issuer: &str, users| OidcProvider {
        id: id.into(),
        label: id.into(),
        issuer: issuer.into(),
        client_id: CLIENT_ID.into(),
        client_secret: Some(CLIENT_SECRET.into()),
        users,
        acr_levels: OidcProvider::eidas_levels(),
    };
    let providers = vec![
        provider("eid", eid.issuer(), UserKind::Citizen),
        provider("staff", staff.issuer(), UserKind::Staff),
    ];
    let portal = TestPortal::builder()
        .module("ledger")
        .web(move |c| {
            c.public_url = Some(format!("http://{addr}"));
            c.identity_providers = providers;
        })
        .build()
        .await;
    serve_on(listener, portal.app());
    (portal, Browser::new(addr))
}

#[tokio::test]
async fn a_citizen_cannot_take_a_staff_members_name_and_userinfo_fills_in_a_strict_providers_claims()
 {
    // A citizen picks `staff:idm-7` as the eID's preferred user name …
    let eid = TestProvider::start(Person {
        username: Some("staff:idm-7".into()),
        ..citizen()
    })
    .await;
    let staff = TestProvider::start(staff_person("idm-7", None)).await;
    let (_portal, browser) = portal_with_both(&eid, &staff).await;
    assert_eq!(log_in_through(&browser, "eid", "/").await.status, 303);
    let citizen_me = browser.get_json("/auth/me").await.json();
    assert_eq!(citizen_me["username"], "eid:CZ-7f3a9c");
    // … and the staff member with that subject still logs in, to an
    // account of their own.
    let clerk = Browser::new(browser.addr());
    let done = log_in_through(&clerk, "staff", "/").await;
    assert_eq!(done.status, 303, "{}", done.body);
    let clerk_me = clerk.get_json("/auth/me").await.json();
    assert_eq!(clerk_me["username"], "staff:idm-7");
    assert_eq!(clerk_me["kind"], "staff");

    // A provider that follows OIDC Core strictly puts only `sub` in the ID
    // token: the names, birth date and address come from UserInfo, asked
    // with the access token.
    eid.set_mode(Mode::Strict);
    let strict = Browser::new(browser.addr());
    let before = eid.userinfo_calls();
    assert_eq!(log_in_through(&strict, "eid", "/").await.status, 303);
    assert_eq!(eid.userinfo_calls(), before + 1);
    let me = strict.get_json("/auth/me").await.json();
    assert_eq!(me["display_name"], "Jana Nováková");
    assert_eq!(me["claims"]["given_name"], "Jana");
    assert_eq!(me["claims"]["birthdate"], "1980-05-17");
    assert_eq!(me["claims"]["address"], "Hlavní 1, 602 00 Brno");
    assert_eq!(me["claims"]["email"], "jana@example.cz");

    // UserInfo about somebody else is refused: no session.
    eid.set_mode(Mode::UserInfoOfAnother);
    let tricked = Browser::new(browser.addr());
    let refused = log_in_through(&tricked, "eid", "/").await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(tricked.get_json("/auth/me").await.status, 401);
}

#[tokio::test]
async fn the_level_of_assurance_is_what_the_provider_asserted_exactly() {
    let provider = TestProvider::start(citizen()).await;
    let (_portal, browser) =
        portal_with(&["ledger"], &provider, "eid", UserKind::Citizen, |b| b).await;
    let level = |acr: Option<&str>| {
        let provider = provider.clone();
        let addr = browser.addr();
        let acr = acr.map(str::to_owned);
        async move {
            provider.set_person(Person { acr, ..citizen() });
            let b = Browser::new(addr);
            assert_eq!(log_in_through(&b, "eid", "/").await.status, 303);
            b.get_json("/auth/me").await.json()["assurance"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(level(Some("http://eidas.europa.eu/LoA/high")).await, "high");
    assert_eq!(
        level(Some("http://eidas.europa.eu/LoA/substantial")).await,
        "substantial"
    );
    // Nothing asserted, or something that only contains a level's name,
    // is the lowest level.
    assert_eq!(level(None).await, "registered");
    assert_eq!(
        level(Some("http://evil.example/not-substantial-at-all")).await,
        "registered"
    );
    assert_eq!(level(Some("HIGH")).await, "registered");
}

#[tokio::test]
async fn after_log_in_the_browser_never_leaves_the_portal() {
    let portal = TestPortal::builder().module("ledger").build().await;
    portal.user("jana", UserKind::Staff, PASSWORD).await;
    let addr = portal.serve().await;
    let browser = Browser::new(addr);

    // Control characters answer like any other refused value, not 500.
    for raw in ["%0A", "%0D", "/%0D%0ASet-Cookie:x=1", "/%00"] {
        let page = browser.get(&format!("/auth/login?next={raw}")).await;
        assert_eq!(page.status, 200, "{raw}: {}", page.body);
        assert_eq!(
            portico_tests::browser::hidden_field(&page.body, "next").as_deref(),
            Some("/"),
            "{raw}"
        );
    }
    // The log-in form itself.
    let form = browser.get("/auth/login?next=/%09/evil.example/").await;
    let csrf = form.csrf();
    let done = browser
        .post_form(
            "/auth/login",
            &[
                ("_csrf", &csrf),
                ("username", "jana"),
                ("password", PASSWORD),
                ("next", "/\t/evil.example/"),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location(), "/");

    // Logged in, `/auth/login?next=…` sends the browser straight on: a
    // corpus of known open-redirect payloads, each percent-encoded as an
    // attacker's link would carry it.
    let corpus = [
        "//evil.example",
        "///evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/ /evil.example",
        "https://evil.example/",
        "http:evil.example",
        "//evil.example@127.0.0.1",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
        "/\u{3000}/evil.example",
    ];
    let base = url::Url::parse(&format!("http://{addr}")).unwrap();
    for payload in corpus {
        let encoded: String = url::form_urlencoded::byte_serialize(payload.as_bytes()).collect();
        let page = browser.get(&format!("/auth/login?next={encoded}")).await;
        assert_eq!(page.status, 303, "{payload:?}: {}", page.body);
        let to = base.join(page.location()).unwrap();
        assert_eq!(
            to.host_str(),
            base.host_str(),
            "{payload:?} led to {}",
            page.location()
        );
        assert_eq!(to.port(), base.port(), "{payload:?}");
    }
    let page = browser.get("/auth/login?next=/m/ledger/").await;
    assert_eq!(
        page.location(),
        "/m/ledger/",
        "a path on the portal is kept"
    );
}

#[tokio::test]
async fn after_an_eid_log_in_the_browser_never_leaves_the_portal() {
    let provider = TestProvider::start(citizen()).await;
    let (_portal, browser) =
        portal_with(&["ledger"], &provider, "eid", UserKind::Citizen, |b| b).await;
    let done = log_in_through(&browser, "eid", "/%09/evil.example/").await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "/");
}

/// Posts a log-in from `from` as the proxy reports it.
async fn attempt(browser: &Browser, csrf: &str, from: &str, username: &str) -> u16 {
    let body = serde_urlencoded::to_string([
        ("_csrf", csrf),
        ("username", username),
        ("password", "whatever-at-all"),
    ])
    .unwrap();
    browser
        .send(
            "POST",
            "/auth/login",
            &[("accept", "text/html"), ("x-forwarded-for", from)],
            Some((body, "application/x-www-form-urlencoded")),
        )
        .await
        .status
}

#[tokio::test]
async fn behind_a_trusted_proxy_one_guesser_does_not_lock_everybody_out() {
    let portal = TestPortal::builder()
        .module("ledger")
        .web(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()])
        .build()
        .await;
    let browser = Browser::new(portal.serve().await);
    let csrf = browser.get("/auth/login").await.csrf();
    let per_minute = portico_web::auth::LOGIN_ATTEMPTS_PER_MINUTE;
    for i in 0..per_minute {
        let name = format!("proxied-guess-{i}");
        assert_eq!(attempt(&browser, &csrf, "198.51.100.7", &name).await, 401);
    }
    // The guesser is stopped …
    assert_eq!(
        attempt(&browser, &csrf, "198.51.100.7", "proxied-guess-x").await,
        429
    );
    // … everybody else behind the same proxy is not.
    assert_eq!(
        attempt(&browser, &csrf, "203.0.113.20", "proxied-someone").await,
        401
    );
    // One name is limited from every address together.
    let mut statuses = Vec::new();
    for i in 0..=portico_web::auth::LOGIN_ATTEMPTS_PER_NAME_PER_MINUTE {
        statuses.push(attempt(&browser, &csrf, &format!("192.0.2.{i}"), "proxied-target").await);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(!statuses[..10].contains(&429), "{statuses:?}");

    // Without the setting, the header is anyone's to write and is ignored.
    let direct = TestPortal::builder().module("ledger").build().await;
    let browser = Browser::new(direct.serve().await);
    let csrf = browser.get("/auth/login").await.csrf();
    for i in 0..per_minute {
        let from = format!("198.51.100.{i}");
        let name = format!("direct-guess-{i}");
        assert_eq!(attempt(&browser, &csrf, &from, &name).await, 401);
    }
    assert_eq!(
        attempt(&browser, &csrf, "203.0.113.99", "direct-guess-x").await,
        429
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_guesses_are_counted_before_any_is_checked() {
    let portal = TestPortal::builder().module("ledger").build().await;
    let user = portal.user("racer", UserKind::Staff, PASSWORD).await;
    let addr = portal.serve().await;
    let guesses = (0..15).map(|i| {
        tokio::spawn(async move {
            let browser = Browser::new(addr);
            browser
                .log_in("racer", &format!("guess-{i:04}-wrong"))
                .await
                .status
        })
    });
    let statuses: Vec<u16> = futures_join(guesses).await;
    // Five were checked; the others were refused without a check.
    let checked = audit::entries(portal.db(), audit::PLATFORM_CHAIN)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "user.login-failed" && e.subject == user.id)
        .count();
    assert_eq!(checked, logins::MAX_FAILED_LOGINS as usize, "{statuses:?}");
    // Refused (401), locked (403), or over the name's limit for the
    // minute (429); never a session.
    assert!(
        statuses.iter().all(|s| [401, 403, 429].contains(s)),
        "{statuses:?}"
    );
    // Locked now, even with the right password.
    assert!(matches!(
        logins::check_password(portal.db(), "racer", PASSWORD, "test")
            .await
            .unwrap(),
        logins::PasswordCheck::Locked(_)
    ));
}

async fn futures_join<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_locked_account_and_an_unknown_name_are_answered_alike() {
    let portal = TestPortal::builder().module("ledger").build().await;
    portal.user("real-person", UserKind::Staff, PASSWORD).await;
    let addr = portal.serve().await;
    let answers = |name: &'static str| async move {
        let browser = Browser::new(addr);
        let mut pages = Vec::new();
        for _ in 0..6 {
            let page = browser.log_in(name, "wrong-password-1").await;
            pages.push((page.status, page.body));
        }
        pages
    };
    let real = answers("real-person").await;
    let unknown = answers("nobody-at-all-here").await;
    for (i, ((rs, rb), (us, ub))) in real.iter().zip(&unknown).enumerate() {
        assert_eq!(rs, us, "attempt {}", i + 1);
        let message = |body: &str| {
            let start = body.find("role=\"alert\"").unwrap();
            body[start..start + body[start..].find("</div>").unwrap()].to_owned()
        };
        assert_eq!(
            message(rb),
            message(ub).replace("nobody-at-all-here", "real-person")
        );
    }
    assert_eq!(real[4].0, 403, "locked at the fifth");
    assert!(unknown[5].1.contains("locked after 5 failed log-ins"));
}

#[tokio::test]
async fn a_new_password_ends_every_other_session_but_the_one_that_set_it() {
    let portal = TestPortal::builder().module("ledger").build().await;
    let user = portal.user("marta", UserKind::Staff, PASSWORD).await;
    let addr = portal.serve().await;
    let laptop = Browser::new(addr);
    let phone = Browser::new(addr);
    let stolen = Browser::new(addr);
    for b in [&laptop, &phone, &stolen] {
        assert_eq!(b.log_in("marta", PASSWORD).await.status, 303);
    }
    // Found from her account page.
    let me = laptop.get("/auth/me").await;
    assert!(me.body.contains("href=\"/auth/password\""), "{}", me.body);
    let page = laptop.get("/auth/password").await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    let wrong = laptop
        .post_form(
            "/auth/password",
            &[
                ("_csrf", &csrf),
                ("current", "not-the-password"),
                ("new", "a brand new secret"),
                ("repeat", "a brand new secret"),
            ],
        )
        .await;
    wrong.assert_refused(&["The current password is wrong."]);
    let mismatch = laptop
        .post_form(
            "/auth/password",
            &[
                ("_csrf", &csrf),
                ("current", PASSWORD),
                ("new", "a brand new secret"),
                ("repeat", "a brand new secreT"),
            ],
        )
        .await;
    mismatch.assert_refused(&["differ"]);
    let done = laptop
        .post_form(
            "/auth/password",
            &[
                ("_csrf", &csrf),
                ("current", PASSWORD),
                ("new", "a brand new secret"),
                ("repeat", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Every other device is logged out"));
    assert_eq!(
        laptop.get_json("/auth/me").await.status,
        200,
        "this one stays"
    );
    assert_eq!(phone.get_json("/auth/me").await.status, 401);
    assert_eq!(stolen.get_json("/auth/me").await.status, 401);
    let again = Browser::new(addr);
    assert_eq!(
        again.log_in("marta", "a brand new secret").await.status,
        303
    );

    // An administrator's new password (`portico user passwd`) ends them all.
    let mut change = users::get(portal.db(), &user.id)
        .await
        .unwrap()
        .unwrap()
        .profile();
    change.password = Some("set by the administrator".into());
    accounts::update(portal.db(), "admin", &user.id, change)
        .await
        .unwrap();
    assert_eq!(laptop.get_json("/auth/me").await.status, 401);
    assert_eq!(again.get_json("/auth/me").await.status, 401);
}

#[tokio::test]
async fn personal_pages_are_kept_by_no_cache_and_a_token_lifetime_never_wraps() {
    let portal = TestPortal::builder().module("ledger").build().await;
    let admin = portal.user("spravce", UserKind::Staff, PASSWORD).await;
    portal
        .grant(&admin, portico_tests::TEST_CITY, roles::ORG_ADMIN)
        .await;
    let addr = portal.serve().await;
    let browser = Browser::new(addr);
    assert_eq!(browser.log_in("spravce", PASSWORD).await.status, 303);
    for path in ["/auth/me", "/", "/admin/modules"] {
        let page = browser.get(path).await;
        assert_eq!(
            page.headers
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
    }
    let me = browser.get_json("/auth/me").await;
    assert_eq!(me.headers["cache-control"], "no-store");

    // Days past what the clock can hold are refused, not wrapped around
    // into a token that expired long ago or lives forever.
    let csrf = browser.csrf_token().await;
    for days in ["4294967295", "0", "3651"] {
        let made = browser
            .send(
                "POST",
                &format!("/api/v1/orgs/{}/tokens", portico_tests::TEST_CITY),
                &[("accept", "application/json"), ("x-csrf-token", &csrf)],
                Some((
                    format!(r#"{{"name":"spisová služba","days":{days}}}"#),
                    "application/json",
                )),
            )
            .await;
        assert_eq!(made.status, 422, "{days}: {}", made.body);
        assert!(made.body.contains("days"), "{}", made.body);
    }
    let (ok, _, err) = portico_tests::run_portico(&[
        "token",
        "create",
        "x",
        "--org",
        "nowhere",
        "--days",
        "4294967295",
        "--data-dir",
        tempfile::tempdir().unwrap().path().to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("days"), "{err}");
}
