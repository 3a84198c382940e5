//! OAuth 2.0 token exchange for an outside system (the helpdesk): a
//! session becomes a short-lived signed token the helpdesk verifies with
//! an OpenID Connect library against Portico's published JWKS, and single
//! sign-on sends a logged-in user there with one.

use base64::Engine;
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet};
use openidconnect::{ClientId, IssuerUrl, Nonce};
use portico_platform::identity::users::UserKind;
use portico_platform::{audit, signing};
use portico_tests::browser::{Browser, Page};
use portico_tests::{TestPortal, listener, logs, serve_on};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery";
const HELPDESK: &str = "https://helpdesk.kraj.example";
const HELPDESK_LOGIN: &str = "https://helpdesk.kraj.example/access/jwt?from=portal";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";

async fn portal() -> (TestPortal, Browser, String) {
    let listener = listener().await;
    let addr = listener.local_addr().unwrap();
    let portal = TestPortal::builder()
        .web(move |c| {
            c.public_url = Some(format!("http://{addr}"));
            c.token_audiences = vec![format!("{HELPDESK}={HELPDESK_LOGIN}").parse().unwrap()];
        })
        .build()
        .await;
    serve_on(listener, portal.app());
    (portal, Browser::new(addr), format!("http://{addr}"))
}

async fn exchange(browser: &Browser, fields: &[(&str, &str)]) -> Page {
    browser
        .send(
            "POST",
            "/auth/token",
            &[],
            Some((
                serde_urlencoded::to_string(fields).unwrap(),
                "application/x-www-form-urlencoded",
            )),
        )
        .await
}

/// What the helpdesk does: fetch Portico's metadata and keys, verify.
async fn verify(issuer: &str, audience: &str, token: &str) -> Result<CoreIdToken, String> {
    let http = reqwest::Client::new();
    let metadata: Value = http
        .get(format!("{issuer}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], issuer);
    let jwks: CoreJsonWebKeySet = http
        .get(metadata["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new(audience.into()),
        IssuerUrl::new(issuer.into()).unwrap(),
        jwks,
    );
    let parsed: CoreIdToken = token.parse().map_err(|e| format!("{e}"))?;
    parsed
        .claims(&verifier, |_: Option<&Nonce>| Ok::<(), String>(()))
        .map_err(|e| e.to_string())?;
    Ok(parsed)
}

fn part(token: &str, n: usize) -> Value {
    let raw = token.split('.').nth(n).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_session_becomes_a_short_lived_token_the_helpdesk_verifies() {
    logs::capture();
    let (portal, browser, issuer) = portal().await;
    let mut profile = portal
        .user("jdvorakova", UserKind::Staff, PASSWORD)
        .await
        .profile();
    profile.email = Some("jana@kraj.example".into());
    let user = portico_platform::identity::users::by_username(portal.db(), "jdvorakova")
        .await
        .unwrap()
        .unwrap();
    portico_platform::identity::accounts::update(portal.db(), "test", &user.id, profile)
        .await
        .unwrap();
    // A rotated key signs; the one before stays published.
    let first = signing::published(portal.db()).await.unwrap()[0]
        .kid
        .clone();
    let second = signing::rotate(portal.db(), "test").await.unwrap().kid;

    assert_eq!(browser.log_in("jdvorakova", PASSWORD).await.status, 303);
    let session = browser.cookie("__Host-portico-session").unwrap();
    let got = exchange(
        &Browser::new(browser.addr()),
        &[
            ("grant_type", GRANT),
            ("subject_token", &session),
            ("subject_token_type", ACCESS),
            ("audience", HELPDESK),
        ],
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.headers["cache-control"], "no-store");
    let body = got.json();
    assert_eq!(
        body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:jwt"
    );
    assert_eq!(body["token_type"], "N_A");
    assert_eq!(body["expires_in"], 300);
    let token = body["access_token"].as_str().unwrap().to_owned();

    let verified = verify(&issuer, HELPDESK, &token).await.unwrap();
    let header = part(&token, 0);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], second.as_str());
    let jwks: Value = reqwest::get(format!("{issuer}/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [second.as_str(), first.as_str()]);
    assert!(jwks.to_string().contains("\"n\""), "public halves only");
    assert!(!jwks.to_string().contains("\"d\""), "no private exponent");

    let claims = part(&token, 1);
    assert_eq!(claims["sub"], user.id.as_str());
    assert_eq!(claims["aud"], serde_json::json!([HELPDESK]));
    assert_eq!(claims["preferred_username"], "jdvorakova");
    assert_eq!(claims["email"], "jana@kraj.example");
    assert_eq!(claims["acr"], "registered");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 32));
    drop(verified);

    // Another system cannot use it, nor can anyone alter it.
    let err = verify(&issuer, "https://other.example", &token)
        .await
        .unwrap_err();
    assert!(err.to_lowercase().contains("audience"), "{err}");
    let mut forged = part(&token, 1);
    forged["sub"] = "someone-else".into();
    let pieces: Vec<&str> = token.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        pieces[0],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string()),
        pieces[2]
    );
    assert!(verify(&issuer, HELPDESK, &forged).await.is_err());

    // Refusals in OAuth's error format.
    let anon = Browser::new(browser.addr());
    for (fields, error) in [
        (
            vec![("grant_type", "password"), ("username", "x")],
            "unsupported_grant_type",
        ),
        (
            vec![
                ("grant_type", GRANT),
                ("subject_token", &session),
                ("subject_token_type", ACCESS),
                ("audience", "https://evil.example"),
            ],
            "invalid_target",
        ),
        (
            vec![
                ("grant_type", GRANT),
                ("subject_token", "not-a-session"),
                ("subject_token_type", ACCESS),
                ("audience", HELPDESK),
            ],
            "invalid_grant",
        ),
        (
            vec![
                ("grant_type", GRANT),
                ("subject_token", &session),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:saml2",
                ),
                ("audience", HELPDESK),
            ],
            "invalid_request",
        ),
        (vec![("grant_type", GRANT)], "invalid_request"),
    ] {
        let page = exchange(&anon, &fields).await;
        assert_eq!(page.status, 400, "{fields:?}: {}", page.body);
        assert_eq!(page.json()["error"], error, "{fields:?}: {}", page.body);
        assert!(page.json()["error_description"].as_str().is_some());
    }
    let json = anon
        .send(
            "POST",
            "/auth/token",
            &[],
            Some(("{\"grant_type\":1}".into(), "application/json")),
        )
        .await;
    assert_eq!(json.status, 400);
    assert_eq!(json.json()["error"], "invalid_request");

    // A session that ended exchanges nothing.
    let csrf = browser.csrf_token().await;
    browser.post_form("/auth/logout", &[("_csrf", &csrf)]).await;
    let ended = exchange(
        &anon,
        &[
            ("grant_type", GRANT),
            ("subject_token", &session),
            ("subject_token_type", ACCESS),
            ("audience", HELPDESK),
        ],
    )
    .await;
    assert_eq!(ended.json()["error"], "invalid_grant");

    // Audited, without the token; neither token is in the log.
    let entries = audit::entries(portal.db(), audit::PLATFORM_CHAIN)
        .await
        .unwrap();
    let exchanges: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "token.exchange")
        .collect();
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0].actor, user.id);
    assert!(exchanges[0].detail.contains(HELPDESK));
    assert!(!exchanges[0].detail.contains(&token));
    let log = logs::text();
    assert!(!log.contains(&token) && !log.contains(&session));
}

#[tokio::test]
async fn single_sign_on_sends_a_logged_in_user_to_the_helpdesk_with_a_token() {
    let (portal, browser, issuer) = portal().await;
    portal.user("petr", UserKind::Staff, PASSWORD).await;
    let path = "/auth/sso?audience=https%3A%2F%2Fhelpdesk.kraj.example";

    let anonymous = browser.get(path).await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(
        anonymous.location(),
        "/auth/login?next=%2Fauth%2Fsso%3Faudience%3Dhttps%253A%252F%252Fhelpdesk.kraj.example"
    );

    assert_eq!(browser.log_in("petr", PASSWORD).await.status, 303);
    let off = browser.get(path).await;
    assert_eq!(off.status, 303, "{}", off.body);
    assert_eq!(off.headers["cache-control"], "no-store");
    let to = off.location();
    assert!(
        to.starts_with("https://helpdesk.kraj.example/access/jwt?from=portal&jwt="),
        "{to}"
    );
    let token = to.split("jwt=").nth(1).unwrap();
    let verified = verify(&issuer, HELPDESK, token).await.unwrap();
    let claims = part(token, 1);
    assert_eq!(claims["preferred_username"], "petr");
    drop(verified);

    let unknown = browser
        .get("/auth/sso?audience=https%3A%2F%2Fevil.example")
        .await;
    assert_eq!(unknown.status, 400);
}
