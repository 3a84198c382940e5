//! Log-in through OpenID Connect identity providers: the staff identity
//! management system and the national eID for citizens. The authorization
//! code flow with PKCE; the ID token's signature, issuer, audience, expiry
//! and nonce are checked by the `openidconnect` crate. The verified claims
//! (person identifier, names, date of birth, address, e-mail) and the level
//! of assurance go into the session, where modules see them in `context`.
//!
//! The flow's state (state, nonce, PKCE verifier, where to return) is kept
//! in a short-lived HttpOnly cookie, so any replica can finish a log-in.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine as _;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse as _,
};
use portico_platform::PlatformError;
use portico_platform::identity::accounts;
use portico_platform::identity::users::{Assurance, NewUser, UserKind};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::start_session;
use crate::cookies::cookie_value;
use crate::extractors::Visitor;
use crate::failure::{Failure, LOGIN_FAILED, NOT_FOUND};
use crate::redirect::local_path;

/// An identity provider the portal trusts.
#[derive(Clone)]
pub struct OidcProvider {
    /// Its name in addresses, e.g. `staff` or `eid`.
    pub id: String,
    /// Its name for people, e.g. `Národní identitní autorita`.
    pub label: String,
    /// Its issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    /// Portico's client id there.
    pub client_id: String,
    /// Portico's client secret there.
    pub client_secret: Option<String>,
    /// Whom it vouches for: staff or citizens.
    pub users: UserKind,
    /// The `acr` values it asserts and the level of assurance each stands
    /// for, matched exactly (by default the eIDAS levels of assurance). A
    /// log-in without `acr`, or with one not listed, is at the lowest level.
    pub acr_levels: Vec<(String, Assurance)>,
}

impl OidcProvider {
    /// The eIDAS levels of assurance, as the Czech national eID asserts them.
    pub fn eidas_levels() -> Vec<(String, Assurance)> {
        [
            ("low", Assurance::Registered),
            ("substantial", Assurance::Substantial),
            ("high", Assurance::High),
        ]
        .into_iter()
        .map(|(level, a)| (format!("http://eidas.europa.eu/LoA/{level}"), a))
        .collect()
    }

    /// The level of assurance of a log-in that asserted `acr`.
    pub fn assurance(&self, acr: Option<&str>) -> Assurance {
        acr.and_then(|acr| {
            self.acr_levels
                .iter()
                .find(|(value, _)| value == acr)
                .map(|(_, a)| *a)
        })
        .unwrap_or(Assurance::Registered)
    }
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("users", &self.users)
            .field("acr_levels", &self.acr_levels)
            .finish()
    }
}

/// The HTTP client and discovered provider metadata, shared by requests.
pub(crate) struct Oidc {
    http: openidconnect::reqwest::Client,
    metadata: moka::future::Cache<String, Arc<CoreProviderMetadata>>,
}

impl Default for Oidc {
    fn default() -> Self {
        Oidc {
            http: openidconnect::reqwest::Client::builder()
                // Following redirects would open the client to SSRF.
                .redirect(openidconnect::reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            metadata: moka::future::Cache::builder()
                .time_to_live(Duration::from_secs(3600))
                .build(),
        }
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/oidc/{provider}/start", get(start))
        .route("/auth/oidc/{provider}/callback", get(callback))
}

/// What the browser keeps between leaving for the provider and coming back.
#[derive(Serialize, Deserialize)]
struct Pending {
    provider: String,
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    /// The local account the log-in is to be linked to: its holder is
    /// logged in to it and proves the eID now.
    #[serde(default)]
    link: Option<String>,
}

fn flow_cookie(state: &AppState) -> &'static str {
    state.cookies.oidc_flow()
}

fn provider<'a>(state: &'a AppState, id: &str) -> Result<&'a OidcProvider, Failure> {
    state
        .config
        .identity_providers
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| {
            Failure::new(
                StatusCode::NOT_FOUND,
                NOT_FOUND,
                (
                    format!("This portal has no identity provider `{id}`."),
                    format!("Tento portál nemá poskytovatele identity `{id}`."),
                ),
            )
        })
}

async fn client(
    state: &AppState,
    p: &OidcProvider,
) -> Result<(Arc<CoreProviderMetadata>, RedirectUrl), Failure> {
    let unavailable = |what: String| {
        tracing::warn!(provider = %p.id, "{what}");
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ("Log-in unavailable", "Přihlášení není dostupné"),
            (
                format!("{} cannot be reached now. Try again later.", p.label),
                format!("Služba {} nyní není dostupná. Zkuste to později.", p.label),
            ),
        )
    };
    let Some(public) = &state.config.public_url else {
        return Err(unavailable(
            "OpenID Connect needs the portal's public URL (--public-url)".into(),
        ));
    };
    let redirect = RedirectUrl::new(format!(
        "{}/auth/oidc/{}/callback",
        public.trim_end_matches('/'),
        p.id
    ))
    .map_err(|e| unavailable(format!("the redirect URL is not valid: {e}")))?;
    let http = state.oidc.http.clone();
    let issuer = p.issuer.clone();
    let metadata = state
        .oidc
        .metadata
        .try_get_with(p.id.clone(), async move {
            let issuer = IssuerUrl::new(issuer).map_err(|e| e.to_string())?;
            CoreProviderMetadata::discover_async(issuer, &http)
                .await
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| unavailable(format!("discovery of the identity provider failed: {e}")))?;
    Ok((metadata, redirect))
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<StartQuery>,
) -> Result<Response, Failure> {
    begin(&state, &id, q.next.as_deref(), None).await
}

/// Sends the browser to provider `id` to log in, to come back to `next`;
/// with `link`, to link the log-in to that local account.
pub(crate) async fn begin(
    state: &AppState,
    id: &str,
    next: Option<&str>,
    link: Option<String>,
) -> Result<Response, Failure> {
    let p = provider(state, id)?;
    let (metadata, redirect) = client(state, p).await?;
    let client = CoreClient::from_provider_metadata(
        (*metadata).clone(),
        ClientId::new(p.client_id.clone()),
        p.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge);
    if p.users == UserKind::Citizen {
        request = request.add_scope(Scope::new("address".into()));
    }
    let (url, csrf, nonce) = request.url();
    let pending = Pending {
        provider: p.id.clone(),
        state: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        next: local_path(next),
        link,
    };
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&pending).unwrap_or_default());
    let mut response = Redirect::to(url.as_str()).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        state
            .cookies
            .build(flow_cookie(state), value, Some(Duration::from_secs(600))),
    );
    Ok(response)
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn pending(state: &AppState, headers: &HeaderMap) -> Option<Pending> {
    let raw = cookie_value(headers, flow_cookie(state))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<Callback>,
) -> Response {
    let mut response = finish(&state, &headers, &id, q)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    // The flow's cookie is spent whatever happened (on a failure too: the
    // frame layer keeps it when it draws the page).
    response.headers_mut().append(
        header::SET_COOKIE,
        state
            .cookies
            .build(flow_cookie(&state), String::new(), Some(Duration::ZERO)),
    );
    response
}

fn refused(label: &str) -> Failure {
    Failure::new(
        StatusCode::UNAUTHORIZED,
        LOGIN_FAILED,
        (
            format!(
                "The answer of {label} could not be verified, so you are not logged in. Try again."
            ),
            format!(
                "Odpověď služby {label} se nepodařilo ověřit, proto nejste přihlášeni. Zkuste to znovu."
            ),
        ),
    )
}

async fn finish(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    q: Callback,
) -> Result<Response, Failure> {
    let p = provider(state, id)?;
    if let Some(error) = &q.error {
        tracing::warn!(provider = %p.id, error = %error, description = q.error_description.as_deref().unwrap_or(""), "the identity provider refused the log-in");
        return Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            LOGIN_FAILED,
            (
                format!("{} did not log you in ({error}).", p.label),
                format!(
                    "Přihlášení prostřednictvím služby {} se nezdařilo ({error}).",
                    p.label
                ),
            ),
        ));
    }
    let pending = pending(state, headers)
        .filter(|f| f.provider == p.id)
        .filter(|f| q.state.as_deref().is_some_and(|s| s == f.state));
    let Some(pending) = pending else {
        tracing::warn!(provider = %p.id, "log-in refused: the state does not match the one this browser started with");
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            LOGIN_FAILED,
            (
                "This log-in was not started in this browser, or took too long. Start again.",
                "Přihlášení nebylo zahájeno v tomto prohlížeči nebo trvalo příliš dlouho. Začněte prosím znovu.",
            ),
        ));
    };
    let Some(code) = q.code else {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            LOGIN_FAILED,
            (
                "The identity provider sent no authorization code.",
                "Poskytovatel identity neposlal autorizační kód.",
            ),
        ));
    };
    let (metadata, redirect) = client(state, p).await?;
    let issuer = metadata.issuer().as_str().to_owned();
    let client = CoreClient::from_provider_metadata(
        (*metadata).clone(),
        ClientId::new(p.client_id.clone()),
        p.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(redirect);
    let request = client.exchange_code(AuthorizationCode::new(code)).map_err(|e| {
        tracing::warn!(provider = %p.id, error = %e, "the identity provider has no token endpoint");
        refused(&p.label)
    })?;
    let tokens = request
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(&state.oidc.http)
        .await
        .map_err(|e| {
            tracing::warn!(provider = %p.id, error = %e, "the code could not be exchanged for tokens");
            refused(&p.label)
        })?;
    let Some(id_token) = tokens.id_token() else {
        tracing::warn!(provider = %p.id, "ID token refused: the provider sent none");
        return Err(refused(&p.label));
    };
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &Nonce::new(pending.nonce))
        .map_err(|e| {
            tracing::warn!(provider = %p.id, reason = %e, "ID token refused");
            refused(&p.label)
        })?;

    let subject = claims.subject().as_str().to_owned();
    let assurance = p.assurance(claims.auth_context_ref().map(|a| a.as_str()));
    let mut person = Person::default();
    person.take(
        claims.given_name(),
        claims.family_name(),
        claims.name(),
        claims.email(),
        claims.birthdate(),
        claims.address(),
        claims.preferred_username(),
    );
    // A provider that follows OIDC Core strictly gives profile, e-mail and
    // address claims only at its UserInfo endpoint: ask it, for the same
    // subject, and fill in what the ID token did not say.
    if metadata.userinfo_endpoint().is_some() {
        let info = client
            .user_info(
                tokens.access_token().clone(),
                Some(openidconnect::SubjectIdentifier::new(subject.clone())),
            )
            .map_err(|e| {
                tracing::warn!(provider = %p.id, error = %e, "the UserInfo endpoint cannot be asked");
                refused(&p.label)
            })?;
        let info: openidconnect::core::CoreUserInfoClaims =
            info.request_async(&state.oidc.http).await.map_err(|e| {
                tracing::warn!(provider = %p.id, error = %e, "UserInfo refused (another subject, or unreadable)");
                refused(&p.label)
            })?;
        person.take(
            info.given_name(),
            info.family_name(),
            info.name(),
            info.email(),
            info.birthdate(),
            info.address(),
            info.preferred_username(),
        );
    }
    let mut verified = BTreeMap::new();
    verified.insert("person_id".to_owned(), subject.clone());
    for (k, v) in [
        ("given_name", &person.given_name),
        ("family_name", &person.family_name),
        ("name", &person.name),
        ("email", &person.email),
        ("birthdate", &person.birthdate),
        ("address", &person.address),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            verified.insert(k.to_owned(), v.clone());
        }
    }
    let display = person
        .name
        .clone()
        .or_else(|| match (&person.given_name, &person.family_name) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            _ => None,
        })
        .or_else(|| person.username.clone())
        .unwrap_or_else(|| subject.clone());
    let profile = NewUser {
        // The provider's name space; `preferred_username` is shown, never
        // used to find an account (see `accounts::account_for_identity`).
        username: format!("{}:{subject}", p.id),
        display_name: display,
        given_name: person.given_name,
        family_name: person.family_name,
        email: person.email,
        emails: Vec::new(),
        kind: p.users,
        password: None,
        active: true,
        external_id: None,
        identity: Some((issuer.clone(), subject.clone())),
        assurance,
        claims: verified.clone(),
    };
    if let Some(user_id) = &pending.link {
        return link(state, headers, p, user_id, (&issuer, &subject), profile).await;
    }
    let user = accounts::account_for_identity(
        state.services.platform().db(),
        &p.id,
        &issuer,
        &subject,
        profile,
    )
    .await
    .map_err(|e| {
        tracing::error!(provider = %p.id, error = %e, "cannot record the account of a log-in");
        Failure::database()
    })?;
    if !user.active {
        tracing::warn!(provider = %p.id, user = %user.id, "log-in refused: the account is deactivated");
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            LOGIN_FAILED,
            ("This account is deactivated.", "Tento účet je zrušen."),
        ));
    }
    Ok(start_session(state, &user, (assurance, &verified), headers, &pending.next).await)
}

/// Links the eID log-in just verified to the local account `user_id`,
/// whose holder is still logged in to it in this browser (they prove
/// both); then logs them in anew at the eID's level.
async fn link(
    state: &AppState,
    headers: &HeaderMap,
    p: &OidcProvider,
    user_id: &str,
    (issuer, subject): (&str, &str),
    profile: NewUser,
) -> Result<Response, Failure> {
    let visitor = crate::extractors::visitor(state, headers).await?;
    let same = matches!(&visitor, Visitor::User(s) if s.user.id == user_id);
    if !same {
        tracing::warn!(provider = %p.id, "an eID link refused: the account is no longer logged in here");
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            LOGIN_FAILED,
            (
                "Log in to your account again, then link the eID from your account's page.",
                "Znovu se přihlaste ke svému účtu a eID propojte ze stránky účtu.",
            ),
        ));
    }
    let assurance = profile.assurance;
    let verified = profile.claims.clone();
    let user = accounts::link_identity(
        state.services.platform().db(),
        user_id,
        issuer,
        subject,
        &profile,
    )
    .await
    .map_err(|e| match e {
        PlatformError::Conflict(_) | PlatformError::Forbidden(_) => {
            tracing::info!(provider = %p.id, user = %user_id, why = %e, "an eID link refused");
            Failure::new(
                StatusCode::CONFLICT,
                ("Not linked", "Nepropojeno"),
                (
                    format!("This {} log-in belongs to another account on the portal: it cannot be linked to this one.", p.label),
                    format!("Toto přihlášení přes {} patří jinému účtu na portálu: s tímto jej propojit nelze.", p.label),
                ),
            )
        }
        e => {
            tracing::error!(provider = %p.id, error = %e, "cannot link an identity");
            Failure::database()
        }
    })?;
    Ok(start_session(
        state,
        &user,
        (assurance, &verified),
        headers,
        "/auth/me#eid",
    )
    .await)
}

/// What a provider says of a person, from the ID token and UserInfo: the
/// first source to say a thing is kept.
#[derive(Default)]
struct Person {
    given_name: Option<String>,
    family_name: Option<String>,
    name: Option<String>,
    email: Option<String>,
    birthdate: Option<String>,
    address: Option<String>,
    username: Option<String>,
}

impl Person {
    #[allow(clippy::too_many_arguments)]
    fn take(
        &mut self,
        given: Option<&openidconnect::LocalizedClaim<openidconnect::EndUserGivenName>>,
        family: Option<&openidconnect::LocalizedClaim<openidconnect::EndUserFamilyName>>,
        name: Option<&openidconnect::LocalizedClaim<openidconnect::EndUserName>>,
        email: Option<&openidconnect::EndUserEmail>,
        birthdate: Option<&openidconnect::EndUserBirthday>,
        address: Option<&openidconnect::AddressClaim>,
        username: Option<&openidconnect::EndUserUsername>,
    ) {
        fn keep(slot: &mut Option<String>, value: Option<String>) {
            if slot.is_none() {
                *slot = value.filter(|v| !v.is_empty());
            }
        }
        keep(
            &mut self.given_name,
            given
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
        );
        keep(
            &mut self.family_name,
            family
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
        );
        keep(
            &mut self.name,
            name.and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
        );
        keep(&mut self.email, email.map(|e| e.as_str().to_owned()));
        keep(
            &mut self.birthdate,
            birthdate.map(|b| b.as_str().to_owned()),
        );
        keep(
            &mut self.address,
            address
                .and_then(|a| a.formatted.as_ref())
                .map(|f| f.as_str().to_owned()),
        );
        keep(&mut self.username, username.map(|u| u.as_str().to_owned()));
    }
}
