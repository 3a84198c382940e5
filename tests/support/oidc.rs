//! An OpenID Connect provider on loopback, for tests: discovery, JWKS, an
//! authorization endpoint that logs in the person the test chose, and a
//! token endpoint that checks the client, the code and the PKCE verifier
//! before it signs an ID token (RS256, built with the `openidconnect`
//! crate's provider side), and a UserInfo endpoint for the access token it
//! issued. It can follow OIDC Core strictly (profile claims only from
//! UserInfo), or misbehave: an expired token, a token signed with a key it
//! does not publish, a token for another client, UserInfo of another subject.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use openidconnect::core::{
    CoreClaimName, CoreGenderClaim, CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType, CoreRsaPrivateSigningKey,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AddressClaim, Audience, AuthUrl, AuthenticationContextClass, EmptyAdditionalClaims,
    EmptyAdditionalProviderMetadata, EndUserBirthday, EndUserEmail, EndUserFamilyName,
    EndUserGivenName, EndUserName, EndUserUsername, FormattedAddress, IssuerUrl, JsonWebKeyId,
    JsonWebKeySetUrl, LocalizedClaim, Nonce, PrivateSigningKey, ResponseTypes, StandardClaims,
    SubjectIdentifier, TokenUrl, UserInfoUrl,
};
use rsa::pkcs1::EncodeRsaPrivateKey;
use sha2::Digest;

/// The client id the tests register Portico under.
pub const CLIENT_ID: &str = "portico-test";
/// Its secret.
pub const CLIENT_SECRET: &str = "client-secret-for-tests";

/// How the provider misbehaves, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Tokens as they should be.
    Good,
    /// The ID token expired an hour ago.
    Expired,
    /// The ID token is signed with a key the provider does not publish.
    WrongKey,
    /// The ID token is for another client.
    WrongAudience,
    /// As OIDC Core allows: the ID token says only who (`sub`, `acr`);
    /// names, e-mail, birth date and address come from UserInfo.
    Strict,
    /// Strict, and UserInfo answers for another subject.
    UserInfoOfAnother,
}

/// The person the provider logs in.
#[derive(Debug, Clone)]
pub struct Person {
    /// The subject identifier.
    pub subject: String,
    /// `preferred_username`.
    pub username: Option<String>,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Date of birth (YYYY-MM-DD).
    pub birthdate: Option<String>,
    /// Formatted address.
    pub address: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// `acr`, e.g. `http://eidas.europa.eu/LoA/high`.
    pub acr: Option<String>,
}

struct Grant {
    person: Person,
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

struct Inner {
    issuer: String,
    key: CoreRsaPrivateSigningKey,
    other_key: CoreRsaPrivateSigningKey,
    person: Mutex<Person>,
    mode: Mutex<Mode>,
    codes: Mutex<HashMap<String, Grant>>,
    tokens_issued: Mutex<u32>,
    /// Access tokens issued, and whom they are for.
    access: Mutex<HashMap<String, Person>>,
    userinfo_calls: Mutex<u32>,
}

/// A running provider.
#[derive(Clone)]
pub struct TestProvider {
    inner: Arc<Inner>,
}

fn rsa_key(kid: &str) -> CoreRsaPrivateSigningKey {
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("an RSA key");
    let pem = key
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
        .expect("PEM of the key");
    CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(kid.into())))
        .expect("the key loads")
}

impl TestProvider {
    /// Starts a provider on a loopback port that logs in `person`.
    pub async fn start(person: Person) -> TestProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr: SocketAddr = listener.local_addr().expect("an address");
        let provider = TestProvider {
            inner: Arc::new(Inner {
                issuer: format!("http://{addr}"),
                key: rsa_key("k1"),
                // Same key id: a verifier that trusted ids over keys would pass it.
                other_key: rsa_key("k1"),
                person: Mutex::new(person),
                mode: Mutex::new(Mode::Good),
                codes: Mutex::default(),
                tokens_issued: Mutex::new(0),
                access: Mutex::default(),
                userinfo_calls: Mutex::new(0),
            }),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", axum::routing::post(token))
            .route("/userinfo", get(userinfo))
            .with_state(provider.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        provider
    }

    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Makes the provider misbehave (or behave again).
    pub fn set_mode(&self, mode: Mode) {
        *self.inner.mode.lock().expect("mode") = mode;
    }

    /// Logs in another person from now on.
    pub fn set_person(&self, person: Person) {
        *self.inner.person.lock().expect("person") = person;
    }

    /// How many ID tokens the provider has issued.
    pub fn tokens_issued(&self) -> u32 {
        *self.inner.tokens_issued.lock().expect("count")
    }

    /// How many times its UserInfo endpoint answered.
    pub fn userinfo_calls(&self) -> u32 {
        *self.inner.userinfo_calls.lock().expect("count")
    }
}

/// The person's claims, as an ID token or UserInfo carries them.
fn standard_claims(person: &Person, subject: &str) -> StandardClaims<CoreGenderClaim> {
    let mut standard = StandardClaims::new(SubjectIdentifier::new(subject.to_owned()))
        .set_given_name(Some(LocalizedClaim::from(EndUserGivenName::new(
            person.given_name.clone(),
        ))))
        .set_family_name(Some(LocalizedClaim::from(EndUserFamilyName::new(
            person.family_name.clone(),
        ))))
        .set_name(Some(LocalizedClaim::from(EndUserName::new(format!(
            "{} {}",
            person.given_name, person.family_name
        )))))
        .set_preferred_username(person.username.clone().map(EndUserUsername::new))
        .set_email(person.email.clone().map(EndUserEmail::new))
        .set_birthdate(person.birthdate.clone().map(EndUserBirthday::new));
    if let Some(address) = &person.address {
        standard = standard.set_address(Some(AddressClaim {
            formatted: Some(FormattedAddress::new(address.clone())),
            ..AddressClaim::default()
        }));
    }
    standard
}

async fn userinfo(State(p): State<TestProvider>, headers: HeaderMap) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let Some(person) = p.inner.access.lock().expect("access").get(token).cloned() else {
        return (StatusCode::UNAUTHORIZED, "invalid_token").into_response();
    };
    *p.inner.userinfo_calls.lock().expect("count") += 1;
    let subject = match *p.inner.mode.lock().expect("mode") {
        Mode::UserInfoOfAnother => "someone-else".to_owned(),
        _ => person.subject.clone(),
    };
    let claims = openidconnect::core::CoreUserInfoClaims::new(
        standard_claims(&person, &subject),
        EmptyAdditionalClaims {},
    );
    axum::Json(claims).into_response()
}

async fn discovery(State(p): State<TestProvider>) -> Response {
    let issuer = &p.inner.issuer;
    let url = |path: &str| format!("{issuer}{path}");
    let metadata = CoreProviderMetadata::new(
        IssuerUrl::new(issuer.clone()).expect("issuer"),
        AuthUrl::new(url("/authorize")).expect("auth url"),
        JsonWebKeySetUrl::new(url("/jwks")).expect("jwks url"),
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        EmptyAdditionalProviderMetadata {},
    )
    .set_token_endpoint(Some(TokenUrl::new(url("/token")).expect("token url")))
    .set_userinfo_endpoint(Some(
        UserInfoUrl::new(url("/userinfo")).expect("userinfo url"),
    ))
    .set_claims_supported(Some(
        [
            "sub",
            "given_name",
            "family_name",
            "birthdate",
            "address",
            "email",
        ]
        .into_iter()
        .map(|c| CoreClaimName::new(c.into()))
        .collect(),
    ));
    axum::Json(metadata).into_response()
}

async fn jwks(State(p): State<TestProvider>) -> Response {
    axum::Json(CoreJsonWebKeySet::new(vec![
        p.inner.key.as_verification_key(),
    ]))
    .into_response()
}

async fn authorize(
    State(p): State<TestProvider>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID
        || get("response_type") != "code"
        || get("code_challenge_method") != "S256"
        || !get("scope").split(' ').any(|s| s == "openid")
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let code = uuid::Uuid::new_v4().to_string();
    let person = p.inner.person.lock().expect("person").clone();
    p.inner.codes.lock().expect("codes").insert(
        code.clone(),
        Grant {
            person,
            nonce: get("nonce"),
            challenge: get("code_challenge"),
            redirect_uri: get("redirect_uri"),
        },
    );
    let query =
        serde_urlencoded::to_string([("code", code), ("state", get("state"))]).expect("a query");
    Redirect::to(&format!("{}?{query}", get("redirect_uri"))).into_response()
}

fn oauth_error(error: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(serde_json::json!({ "error": error })),
    )
        .into_response()
}

async fn token(State(p): State<TestProvider>, headers: HeaderMap, body: String) -> Response {
    use base64::Engine as _;
    let form: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
        return oauth_error("invalid_client");
    }
    let grant = p
        .inner
        .codes
        .lock()
        .expect("codes")
        .remove(form.get("code").map(String::as_str).unwrap_or(""));
    let Some(grant) = grant else {
        return oauth_error("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    if challenge != grant.challenge
        || form.get("redirect_uri") != Some(&grant.redirect_uri)
        || form.get("grant_type").map(String::as_str) != Some("authorization_code")
    {
        return oauth_error("invalid_grant");
    }
    let mode = *p.inner.mode.lock().expect("mode");
    let now = chrono::Utc::now();
    let (issued, expires) = match mode {
        Mode::Expired => (
            now - chrono::Duration::hours(2),
            now - chrono::Duration::hours(1),
        ),
        _ => (now, now + chrono::Duration::minutes(5)),
    };
    let audience = match mode {
        Mode::WrongAudience => "another-client",
        _ => CLIENT_ID,
    };
    let person = grant.person;
    let standard = match mode {
        // Who, and nothing more.
        Mode::Strict | Mode::UserInfoOfAnother => {
            StandardClaims::new(SubjectIdentifier::new(person.subject.clone()))
        }
        _ => standard_claims(&person, &person.subject),
    };
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(p.inner.issuer.clone()).expect("issuer"),
        vec![Audience::new(audience.into())],
        expires,
        issued,
        standard,
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(grant.nonce)))
    .set_auth_context_ref(person.acr.clone().map(AuthenticationContextClass::new));
    let key = match mode {
        Mode::WrongKey => &p.inner.other_key,
        _ => &p.inner.key,
    };
    let id_token = CoreIdToken::new(
        claims,
        key,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .expect("an ID token");
    *p.inner.tokens_issued.lock().expect("count") += 1;
    let access_token = uuid::Uuid::new_v4().to_string();
    p.inner
        .access
        .lock()
        .expect("access")
        .insert(access_token.clone(), person);
    axum::Json(serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token.to_string(),
    }))
    .into_response()
}
