//! OAuth 2.0 Token Exchange (RFC 8693) for outside systems such as the
//! region's helpdesk: a user's Portico session becomes a short-lived JWT
//! for one configured audience, signed with Portico's key, whose public
//! half is published at `/.well-known/jwks.json`. The token carries the
//! claims of an OpenID Connect ID token (issuer, subject, audience, expiry,
//! name, e-mail, assurance as `acr`) and a `jti`, so the outside system
//! verifies it with any OIDC or JWT library and logs the user in without
//! asking again.
//!
//! - `POST /auth/token`: the RFC 8693 endpoint; the subject token is the
//!   session token.
//! - `GET /auth/sso?audience=…`: for a logged-in browser, mints a token and
//!   sends the browser to the audience's log-in address with it
//!   (`?jwt=…`), as helpdesks take single sign-on.
//! - `GET /.well-known/oauth-authorization-server` (RFC 8414) and
//!   `/.well-known/jwks.json`.
//!
//! Every exchange is audited in the platform's chain (never the token).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    AdditionalClaims, Audience, AuthenticationContextClass, EndUserEmail, EndUserFamilyName,
    EndUserGivenName, EndUserName, EndUserUsername, IdToken, IdTokenClaims, IssuerUrl,
    JsonWebKeyId, LocalizedClaim, PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use portico_platform::identity::sessions::{self, Session};
use portico_platform::{audit, signing};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::extractors::{Visitor, form_fields};

/// The grant type of a token exchange.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// What a session token is, as a subject token.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// What the issued token is.
pub const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

/// How long an issued token lives unless configured otherwise.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// An outside system that accepts Portico's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAudience {
    /// Its identifier: the `aud` of the tokens, e.g. `https://helpdesk.kraj.cz`.
    pub audience: String,
    /// Where `/auth/sso` sends a browser with the token, if anywhere.
    pub login_url: Option<String>,
}

impl std::str::FromStr for TokenAudience {
    type Err = String;

    /// `AUDIENCE` or `AUDIENCE=LOGIN_URL`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (audience, login_url) = match s.split_once('=') {
            Some((a, l)) => (a.trim(), Some(l.trim())),
            None => (s.trim(), None),
        };
        if audience.is_empty() || audience.contains(char::is_whitespace) {
            return Err(format!(
                "`{s}`: name the audience, e.g. `https://helpdesk.kraj.cz`"
            ));
        }
        if let Some(l) = login_url {
            let ok = openidconnect::url::Url::parse(l)
                .is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
            if !ok {
                return Err(format!("`{l}` is not an http(s) address to log in at"));
            }
        }
        Ok(TokenAudience {
            audience: audience.to_owned(),
            login_url: login_url.map(str::to_owned),
        })
    }
}

/// The claims beyond an ID token's.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Exchanged {
    /// The token's unique id, for replay checks at the audience.
    jti: String,
}

impl AdditionalClaims for Exchanged {}

type ExchangedToken =
    IdToken<Exchanged, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

/// The signing keys, read from the database at most once a minute.
pub(crate) struct Keys {
    cached: moka::sync::Cache<(), Arc<Vec<CoreRsaPrivateSigningKey>>>,
}

impl Default for Keys {
    fn default() -> Keys {
        Keys {
            cached: moka::sync::Cache::builder()
                .max_capacity(1)
                .time_to_live(Duration::from_secs(60))
                .build(),
        }
    }
}

impl Keys {
    async fn get(&self, state: &AppState) -> Result<Arc<Vec<CoreRsaPrivateSigningKey>>, Refusal> {
        if let Some(k) = self.cached.get(&()) {
            return Ok(k);
        }
        let stored = signing::published(state.services.platform().db())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read the signing keys");
                Refusal::unavailable()
            })?;
        let keys: Vec<CoreRsaPrivateSigningKey> = stored
            .iter()
            .filter_map(|k| {
                CoreRsaPrivateSigningKey::from_pem(
                    &k.private_pem,
                    Some(JsonWebKeyId::new(k.kid.clone())),
                )
                .map_err(
                    |e| tracing::error!(kid = %k.kid, error = %e, "a signing key cannot be read"),
                )
                .ok()
            })
            .collect();
        if keys.is_empty() {
            return Err(Refusal::unavailable());
        }
        let keys = Arc::new(keys);
        self.cached.insert((), keys.clone());
        Ok(keys)
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/token", post(token))
        .route("/auth/sso", get(sso))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .layer(DefaultBodyLimit::max(16 * 1024))
}

/// An OAuth error response (RFC 6749 §5.2).
struct Refusal {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl Refusal {
    fn bad(error: &'static str, description: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }

    fn unavailable() -> Refusal {
        Refusal {
            status: StatusCode::SERVICE_UNAVAILABLE,
            error: "temporarily_unavailable",
            description: "The portal cannot reach its database. Try again shortly.".into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(serde_json::json!({
                "error": self.error,
                "error_description": self.description,
            })),
        )
            .into_response()
    }
}

/// The issuer: the portal's public address (configured, as tokens must
/// name a stable one).
fn issuer(state: &AppState) -> Result<String, Refusal> {
    state
        .config
        .public_url
        .as_ref()
        .map(|u| u.trim_end_matches('/').to_owned())
        .ok_or_else(|| Refusal {
            status: StatusCode::NOT_FOUND,
            error: "invalid_request",
            description:
                "Token exchange is off: the portal needs its public address (--public-url).".into(),
        })
}

fn audience<'a>(state: &'a AppState, wanted: &str) -> Result<&'a TokenAudience, Refusal> {
    state
        .config
        .token_audiences
        .iter()
        .find(|a| a.audience == wanted)
        .ok_or_else(|| {
            Refusal::bad(
                "invalid_target",
                format!("`{wanted}` is not an audience this portal issues tokens for"),
            )
        })
}

/// Mints a token for `session`'s user and audits it.
async fn mint(
    state: &AppState,
    session: &Session,
    target: &TokenAudience,
    how: &str,
) -> Result<(String, Duration), Refusal> {
    let issuer = issuer(state)?;
    let keys = state.signing_keys.get(state).await?;
    let lifetime = state.config.token_lifetime;
    let now = chrono::Utc::now();
    let user = &session.user;
    let jti = uuid::Uuid::new_v4().to_string();
    let mut standard = StandardClaims::new(SubjectIdentifier::new(user.id.clone()))
        .set_preferred_username(Some(EndUserUsername::new(user.username.clone())))
        .set_name(Some(LocalizedClaim::from(EndUserName::new(
            user.shown_name().to_owned(),
        ))))
        .set_email(user.email.clone().map(EndUserEmail::new));
    if let Some(g) = &user.given_name {
        standard =
            standard.set_given_name(Some(LocalizedClaim::from(EndUserGivenName::new(g.clone()))));
    }
    if let Some(f) = &user.family_name {
        standard = standard.set_family_name(Some(LocalizedClaim::from(EndUserFamilyName::new(
            f.clone(),
        ))));
    }
    let issuer_url = IssuerUrl::new(issuer).map_err(|e| {
        tracing::error!(error = %e, "the public address is not a URL");
        Refusal::unavailable()
    })?;
    let claims = IdTokenClaims::new(
        issuer_url,
        vec![Audience::new(target.audience.clone())],
        now + lifetime,
        now,
        standard,
        Exchanged { jti: jti.clone() },
    )
    .set_auth_context_ref(Some(AuthenticationContextClass::new(
        session.assurance.name().to_owned(),
    )));
    let token = ExchangedToken::new(
        claims,
        &keys[0],
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .map_err(|e| {
        tracing::error!(error = %e, "cannot sign an exchanged token");
        Refusal::unavailable()
    })?;
    audit::append(
        state.services.platform().db(),
        audit::PLATFORM_CHAIN,
        audit::Event {
            actor: user.id.clone(),
            module: audit::HOST.to_owned(),
            action: "token.exchange".into(),
            subject: jti,
            detail: serde_json::json!({ "audience": target.audience, "via": how }),
        },
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "cannot audit a token exchange");
        Refusal::unavailable()
    })?;
    tracing::info!(user = %user.id, audience = %target.audience, via = how, "issued a token for an outside system");
    Ok((token.to_string(), lifetime))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, Refusal> {
    let mut found = fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = found.next();
    if found.next().is_some() {
        return Err(Refusal::bad(
            "invalid_request",
            format!("`{name}` is given twice"),
        ));
    }
    Ok(first)
}

/// `POST /auth/token`.
async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    exchange(&state, &headers, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn exchange(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, Refusal> {
    let fields = form_fields(headers, body)
        .map_err(|f| Refusal::bad("invalid_request", f.message.en.to_string()))?;
    match field(&fields, "grant_type")? {
        Some(GRANT_TYPE) => {}
        Some(other) => {
            return Err(Refusal::bad(
                "unsupported_grant_type",
                format!("`{other}` is not supported: use `{GRANT_TYPE}`"),
            ));
        }
        None => return Err(Refusal::bad("invalid_request", "`grant_type` is missing")),
    }
    let Some(subject) = field(&fields, "subject_token")? else {
        return Err(Refusal::bad(
            "invalid_request",
            "`subject_token` is missing",
        ));
    };
    match field(&fields, "subject_token_type")? {
        Some(ACCESS_TOKEN_TYPE) => {}
        Some(other) => {
            return Err(Refusal::bad(
                "invalid_request",
                format!(
                    "`subject_token_type` `{other}` is not supported: the subject token is a Portico session (`{ACCESS_TOKEN_TYPE}`)"
                ),
            ));
        }
        None => {
            return Err(Refusal::bad(
                "invalid_request",
                "`subject_token_type` is missing",
            ));
        }
    }
    if let Some(t) = field(&fields, "requested_token_type")?
        && t != JWT_TYPE
    {
        return Err(Refusal::bad(
            "invalid_request",
            format!("`requested_token_type` `{t}` is not supported: Portico issues `{JWT_TYPE}`"),
        ));
    }
    if field(&fields, "actor_token")?.is_some() {
        return Err(Refusal::bad(
            "invalid_request",
            "delegation (`actor_token`) is not supported",
        ));
    }
    let wanted = field(&fields, "audience")?
        .or(field(&fields, "resource")?)
        .ok_or_else(|| Refusal::bad("invalid_request", "`audience` is missing"))?;
    let target = audience(state, wanted)?;
    let session = sessions::resolve(state.services.platform().db(), subject)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read sessions");
            Refusal::unavailable()
        })?
        .ok_or_else(|| {
            tracing::warn!(audience = %wanted, "token exchange refused: the subject token is no live session");
            Refusal::bad(
                "invalid_grant",
                "the subject token is not a live session: it is unknown, ended or expired",
            )
        })?;
    let (token, lifetime) = mint(state, &session, target, "exchange").await?;
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        axum::Json(serde_json::json!({
            "access_token": token,
            "issued_token_type": JWT_TYPE,
            "token_type": "N_A",
            "expires_in": lifetime.as_secs(),
        })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct SsoQuery {
    audience: String,
}

/// `GET /auth/sso?audience=…`: off to the outside system, logged in.
async fn sso(
    State(state): State<AppState>,
    Query(q): Query<SsoQuery>,
    visitor: Visitor,
) -> Response {
    let Visitor::User(session) = visitor else {
        let back = format!(
            "/auth/sso?{}",
            serde_urlencoded::to_string([("audience", &q.audience)]).unwrap_or_default()
        );
        let to = format!(
            "/auth/login?{}",
            serde_urlencoded::to_string([("next", back)]).unwrap_or_default()
        );
        return Redirect::to(&to).into_response();
    };
    let target = match audience(&state, &q.audience) {
        Ok(t) => t,
        Err(r) => return r.into_response(),
    };
    let Some(login_url) = &target.login_url else {
        return Refusal::bad(
            "invalid_target",
            format!("`{}` has no log-in address to send you to", target.audience),
        )
        .into_response();
    };
    match mint(&state, &session, target, "sso").await {
        Ok((token, _)) => {
            let mut url = match openidconnect::url::Url::parse(login_url) {
                Ok(u) => u,
                Err(_) => return Refusal::unavailable().into_response(),
            };
            url.query_pairs_mut().append_pair("jwt", &token);
            (
                [(header::CACHE_CONTROL, "no-store")],
                Redirect::to(url.as_str()),
            )
                .into_response()
        }
        Err(r) => r.into_response(),
    }
}

/// `GET /.well-known/jwks.json`: the public halves of the signing keys.
async fn jwks(State(state): State<AppState>) -> Response {
    match state.signing_keys.get(&state).await {
        Ok(keys) => (
            [(header::CACHE_CONTROL, "public, max-age=300")],
            axum::Json(CoreJsonWebKeySet::new(
                keys.iter().map(|k| k.as_verification_key()).collect(),
            )),
        )
            .into_response(),
        Err(r) => r.into_response(),
    }
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
async fn metadata(State(state): State<AppState>) -> Response {
    let issuer = match issuer(&state) {
        Ok(i) => i,
        Err(r) => return r.into_response(),
    };
    axum::Json(serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/auth/token"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "grant_types_supported": [GRANT_TYPE],
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": [],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
    .into_response()
}
