//! SCIM 2.0 (RFC 7643, RFC 7644) at `/scim/v2`, so the region's identity
//! management system provisions staff accounts and groups. A client
//! authenticates with an API token carrying `portico.provision`. SCIM sees
//! staff accounts only: citizens' accounts are none of an IDM's business.
//! A group gives its members one role in one organization once a Portico
//! administrator maps it (`portico group map`); replacing or patching the
//! group over SCIM keeps the mapping. Deactivating or
//! deleting a user ends their sessions at once. Every change is audited
//! by the platform, with the token's name as the actor.
//!
//! This file is the router and what every endpoint shares: `ScimError`
//! and its response, the provisioning token, the service's base URL,
//! reading a JSON body. `resources` serves `/Users` and `/Groups` (list,
//! search, read, create, replace, patch, delete), `documents` turns users
//! and groups into SCIM's JSON and bodies back into them, `listing` reads
//! what a list or a search asks for (filter, sort, page, attributes), and
//! `discovery` serves `/ServiceProviderConfig`, `/ResourceTypes` and
//! `/Schemas`. `schema`, `filter` and `patch` are the parsers the fuzz
//! targets compile on their own.

mod discovery;
mod documents;
mod filter;
mod listing;
mod patch;
mod resources;
mod schema;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use portico_platform::PlatformError;
use portico_platform::tokens::{self, ApiToken};
use serde_json::{Value, json};

use self::schema::Resource;
use crate::AppState;

/// The largest request body SCIM reads (a big group's member list).
const MAX_BODY: usize = 4 * 1024 * 1024;

const SCIM_JSON: &str = "application/scim+json";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(discovery::resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(discovery::resource_type))
        .route("/scim/v2/Schemas", get(discovery::schemas))
        .route("/scim/v2/Schemas/{id}", get(discovery::schema_by_id))
        .route("/scim/v2/.search", post(resources::search_all))
        // `Users` or `Groups`; the fixed paths above take precedence.
        .route(
            "/scim/v2/{endpoint}",
            get(resources::list_all).post(resources::create),
        )
        .route("/scim/v2/{endpoint}/.search", post(resources::search_one))
        .route(
            "/scim/v2/{endpoint}/{id}",
            get(resources::get_one)
                .put(resources::replace)
                .patch(resources::modify)
                .delete(resources::remove),
        )
        .route("/scim/v2", any(not_found))
        .route("/scim/v2/", any(not_found))
        .route("/scim/v2/{endpoint}/{id}/{*rest}", any(not_found))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// A SCIM error response (RFC 7644 §3.12).
#[derive(Debug)]
struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    fn new(status: StatusCode, detail: impl Into<String>) -> ScimError {
        ScimError {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    fn bad(scim_type: &'static str, detail: impl Into<String>) -> ScimError {
        ScimError {
            status: StatusCode::BAD_REQUEST,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    fn not_found(resource: Resource, id: &str) -> ScimError {
        ScimError::new(
            StatusCode::NOT_FOUND,
            format!("no {} `{id}`", resource.name()),
        )
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [schema::ERROR],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = t.into();
        }
        let mut response = scim_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"portico-scim\""),
            );
        }
        response
    }
}

impl From<PlatformError> for ScimError {
    fn from(e: PlatformError) -> Self {
        match e {
            PlatformError::Invalid { field, message } => {
                ScimError::bad("invalidValue", format!("`{field}` {message}"))
            }
            PlatformError::NotFound(m) => ScimError::new(StatusCode::NOT_FOUND, m),
            PlatformError::Conflict(m) => ScimError {
                status: StatusCode::CONFLICT,
                scim_type: Some("uniqueness"),
                detail: m,
            },
            PlatformError::Forbidden(m) => ScimError::new(StatusCode::FORBIDDEN, m),
            e => {
                tracing::error!(error = %e, "SCIM request failed");
                ScimError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The portal cannot reach its database. Try again shortly.",
                )
            }
        }
    }
}

type ScimResult = Result<Response, ScimError>;

fn scim_json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
        body.to_string(),
    )
        .into_response()
}

const NO_ENDPOINT: &str = "No such SCIM endpoint: use /Users, /Groups, /Schemas, /ResourceTypes or /ServiceProviderConfig.";

async fn not_found() -> ScimError {
    ScimError::new(StatusCode::NOT_FOUND, NO_ENDPOINT)
}

/// The provisioning token a request carries.
async fn provisioner(state: &AppState, headers: &HeaderMap) -> Result<ApiToken, ScimError> {
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.get(..7)
                .filter(|p| p.eq_ignore_ascii_case("bearer "))
                .map(|_| v[7..].trim())
        });
    let Some(secret) = secret else {
        return Err(ScimError::new(
            StatusCode::UNAUTHORIZED,
            "SCIM takes an API token: send `Authorization: Bearer pt_…`.",
        ));
    };
    let token = tokens::resolve(state.services.platform().db(), secret).await?;
    let Some(token) = token else {
        tracing::warn!("SCIM request with an unknown, revoked or expired API token refused");
        return Err(ScimError::new(
            StatusCode::UNAUTHORIZED,
            "The API token is not valid: it is unknown, revoked or expired.",
        ));
    };
    if !token.permissions.iter().any(|p| p == tokens::PROVISION) {
        return Err(ScimError::new(
            StatusCode::FORBIDDEN,
            format!(
                "The API token `{}` does not carry `{}`.",
                token.name,
                tokens::PROVISION
            ),
        ));
    }
    Ok(token)
}

fn actor(token: &ApiToken) -> String {
    format!("scim:{}", token.name)
}

/// The base URL of the SCIM service, for `meta.location` and `$ref`.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let root = match &state.config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    };
    format!("{root}/scim/v2")
}

/// Reads a JSON request body.
fn body_json(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Value, ScimError> {
    let body = body.map_err(|e| {
        ScimError::new(
            e.status(),
            format!("The request body cannot be read: {}", e.body_text()),
        )
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !(content_type.starts_with(SCIM_JSON) || content_type.starts_with("application/json")) {
        return Err(ScimError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the body as application/scim+json.",
        ));
    }
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ScimError::bad("invalidSyntax", format!("the body is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(ScimError::bad(
            "invalidSyntax",
            "the body must be a JSON object",
        ));
    }
    Ok(value)
}

fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}
