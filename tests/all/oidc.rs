//! Log-in through OpenID Connect against a real provider on loopback: the
//! whole authorization-code flow with PKCE over HTTP, the claims modules
//! see, and ID tokens that must be refused.

use portico_platform::identity::users::{self, UserKind};
use portico_tests::browser::{Browser, Page};
use portico_tests::oidc::{CLIENT_ID, CLIENT_SECRET, Mode, Person, TestProvider};
use portico_tests::{PortalBuilder, TEST_CITY, TestPortal, listener, logs, serve_on};
use portico_web::oidc::OidcProvider;

pub(crate) fn citizen() -> Person {
    Person {
        subject: "CZ-7f3a9c".into(),
        username: None,
        given_name: "Jana".into(),
        family_name: "Nováková".into(),
        birthdate: Some("1980-05-17".into()),
        address: Some("Hlavní 1, 602 00 Brno".into()),
        email: Some("jana@example.cz".into()),
        acr: Some("http://eidas.europa.eu/LoA/high".into()),
    }
}

/// A portal with `modules` that trusts `provider` (as `id`) for `users`,
/// served at a known address.
pub(crate) async fn portal_with(
    modules: &[&str],
    provider: &TestProvider,
    id: &str,
    users: UserKind,
    change: impl FnOnce(PortalBuilder) -> PortalBuilder,
) -> (TestPortal, Browser) {
    let listener = listener().await;
    let addr = listener.local_addr().unwrap();
    let issuer = provider.issuer().to_owned();
    let id = id.to_owned();
    let mut builder = TestPortal::builder();
    for m in modules {
        builder = builder.module(m);
    }
    let portal = change(builder)
        .web(move |c| {
            c.public_url = Some(format!("http://{addr}"));
            c.identity_providers = vec![OidcProvider {
                id,
                label: "Národní identitní autorita".into(),
                issuer,
                client_id: CLIENT_ID.into(),
                client_secret: Some(CLIENT_SECRET.into()),
                users,
                acr_levels: OidcProvider::eidas_levels(),
            }];
        })
        .build()
        .await;
    serve_on(listener, portal.app());
    (portal, Browser::new(addr))
}

/// A portal that trusts `provider` for `users`, served at a known address.
async fn portal(provider: &TestProvider, id: &str, users: UserKind) -> (TestPortal, Browser) {
    portal_with(&["notice-board", "ledger"], provider, id, users, |b| b).await
}

/// Goes through the flow as a browser does: to the provider and back.
pub(crate) async fn log_in_through(browser: &Browser, provider: &str, next: &str) -> Page {
    let start = browser
        .get(&format!("/auth/oidc/{provider}/start?next={next}"))
        .await;
    through_provider(browser, &start).await
}

#[tokio::test]
async fn a_citizen_logs_in_with_the_national_eid_and_modules_see_the_verified_claims() {
    let provider = TestProvider::start(citizen()).await;
    let (_portal, browser) = portal(&provider, "eid", UserKind::Citizen).await;
    let login = browser.get("/auth/login").await;
    assert!(
        login.body.contains("/auth/oidc/eid/start"),
        "the log-in page offers the eID"
    );

    let done = log_in_through(&browser, "eid", "/m/ledger/mine/whoami").await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "/m/ledger/mine/whoami");
    assert!(done.set_cookie("__Host-portico-session").is_some());

    let who = browser.get_json("/m/ledger/mine/whoami").await;
    assert_eq!(who.status, 200, "{}", who.body);
    let who = who.json();
    assert_eq!(who["name"], "Jana Nováková");
    assert_eq!(who["assurance"], "High");
    assert_eq!(who["claims"]["given_name"], "Jana");
    assert_eq!(who["claims"]["family_name"], "Nováková");
    assert_eq!(who["claims"]["birthdate"], "1980-05-17");
    assert_eq!(who["claims"]["address"], "Hlavní 1, 602 00 Brno");
    assert_eq!(who["claims"]["email"], "jana@example.cz");
    assert_eq!(who["claims"]["person_id"], "CZ-7f3a9c");
    let me = browser.get_json("/auth/me").await.json();
    assert_eq!(me["kind"], "citizen");
    assert_eq!(me["assurance"], "high");
    // A citizen is never staff.
    assert_eq!(browser.get("/m/notice-board/post").await.status, 403);

    // The next log-in finds the same account.
    let again = Browser::new(browser.addr());
    assert_eq!(log_in_through(&again, "eid", "/").await.status, 303);
    assert_eq!(again.get_json("/auth/me").await.json()["id"], me["id"]);
}

#[tokio::test]
async fn staff_of_the_idm_log_in_to_their_provisioned_account_and_its_roles() {
    let provider = TestProvider::start(Person {
        subject: "idm-0042".into(),
        username: Some("novak".into()),
        acr: Some("http://eidas.europa.eu/LoA/substantial".into()),
        ..citizen()
    })
    .await;
    let (portal, browser) = portal(&provider, "staff", UserKind::Staff).await;
    // Provisioned beforehand for exactly this person (by SCIM, or an
    // administrator with `user create --external-id`), without a password.
    let mut new = users::NewUser::local("novak", "Petr Novák", UserKind::Staff, "");
    new.password = None;
    new.external_id = Some("idm-0042".into());
    let user = users::create(portal.db(), "test", new).await.unwrap();
    portal.grant(&user, TEST_CITY, "notice-board.editor").await;

    assert_eq!(
        log_in_through(&browser, "staff", "/m/notice-board/post")
            .await
            .status,
        303
    );
    let me = browser.get_json("/auth/me").await.json();
    assert_eq!(me["id"], user.id.as_str());
    assert_eq!(me["assurance"], "substantial");
    assert_eq!(browser.get("/m/notice-board/post").await.status, 200);
}

#[tokio::test]
async fn an_expired_wrongly_signed_or_misaddressed_id_token_is_refused_with_a_log_line_and_no_session()
 {
    logs::capture();
    let provider = TestProvider::start(citizen()).await;
    let (_portal, browser) = portal(&provider, "eid", UserKind::Citizen).await;
    for (mode, reason) in [
        (Mode::Expired, "expired"),
        (Mode::WrongKey, "signature"),
        (Mode::WrongAudience, "audience"),
    ] {
        provider.set_mode(mode);
        let before = provider.tokens_issued();
        let page = log_in_through(&browser, "eid", "/").await;
        assert_eq!(
            provider.tokens_issued(),
            before + 1,
            "{mode:?}: a token was issued"
        );
        assert_eq!(page.status, 401, "{mode:?}: {}", page.body);
        assert!(page.body.contains("could not be verified"), "{}", page.body);
        assert!(
            page.set_cookie("__Host-portico-session").is_none(),
            "{mode:?}"
        );
        assert_eq!(browser.get_json("/auth/me").await.status, 401, "{mode:?}");
        let log = logs::text().to_lowercase();
        let line = log
            .lines()
            .filter(|l| l.contains("id token refused"))
            .find(|l| l.contains(reason));
        assert!(
            line.is_some(),
            "{mode:?}: no log line naming `{reason}`:\n{log}"
        );
    }
    // A callback that this browser did not start is refused before any token.
    let forged = browser
        .get("/auth/oidc/eid/callback?code=abc&state=forged")
        .await;
    assert_eq!(forged.status, 400);
    assert!(forged.body.contains("not started in this browser"));

    provider.set_mode(Mode::Good);
    assert_eq!(log_in_through(&browser, "eid", "/").await.status, 303);
}

/// Follows a redirect to the provider and back, as a browser does.
async fn through_provider(browser: &Browser, start: &Page) -> Page {
    assert_eq!(start.status, 303, "{}", start.body);
    let at_provider = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(start.location())
        .send()
        .await
        .unwrap();
    assert_eq!(at_provider.status(), 303, "the provider logs the person in");
    let back = at_provider.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let path = back.split_once("://").unwrap().1;
    browser.get(&path[path.find('/').unwrap()..]).await
}

#[tokio::test]
async fn a_citizen_links_a_local_account_to_the_eid_proving_both_and_logs_in_with_either() {
    let provider = TestProvider::start(citizen()).await;
    let (portal, browser) = portal(&provider, "eid", UserKind::Citizen).await;
    const PASSWORD: &str = "Mohelnice-2026";
    let jana = portal.user("jana", UserKind::Citizen, PASSWORD).await;
    portal.user("petra", UserKind::Citizen, PASSWORD).await;
    assert_eq!(browser.log_in("jana", PASSWORD).await.status, 303);
    let me = browser.get("/auth/me").await;
    assert!(
        me.body.contains("action=\"/auth/link/eid\"")
            && me.body.contains("Link with Národní identitní autorita"),
        "{}",
        me.body
    );

    // A wrong password links nothing, and goes nowhere near the provider.
    let wrong = browser
        .submit(
            "/auth/me",
            "/auth/link/eid",
            &[("password", "not-hers-at-all")],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);

    // Her password, then the eID: the account is the eID's from now on.
    let start = browser
        .submit("/auth/me", "/auth/link/eid", &[("password", PASSWORD)])
        .await;
    let back = through_provider(&browser, &start).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert!(
        back.location().starts_with("/auth/me"),
        "{}",
        back.location()
    );
    let me = browser.get_json("/auth/me").await.json();
    assert_eq!(me["id"], jana.id.as_str());
    assert_eq!(me["username"], "jana");
    assert_eq!(me["assurance"], "high");
    assert_eq!(me["claims"]["birthdate"], "1980-05-17");

    // Logged out, the eID logs in to her account, and so does her password.
    let eid = Browser::new(browser.addr());
    let page = log_in_through(&eid, "eid", "/auth/me").await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        eid.get_json("/auth/me").await.json()["id"],
        jana.id.as_str()
    );
    let local = Browser::new(browser.addr());
    assert_eq!(local.log_in("jana", PASSWORD).await.status, 303);
    assert_eq!(
        local.get_json("/auth/me").await.json()["id"],
        jana.id.as_str()
    );

    // Another account cannot take the same eID.
    let petra = Browser::new(browser.addr());
    assert_eq!(petra.log_in("petra", PASSWORD).await.status, 303);
    let start = petra
        .submit("/auth/me", "/auth/link/eid", &[("password", PASSWORD)])
        .await;
    let refused = through_provider(&petra, &start).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("belongs to another account"),
        "{}",
        refused.body
    );
    assert_eq!(petra.get_json("/auth/me").await.json()["username"], "petra");
}
