//! The administration API (`/api/v1/…`, JSON): organizations, roles of
//! people in them, and API tokens. Only logged-in administrators use it: a
//! platform administrator everywhere, an organization's administrator in
//! that organization (and, for creating organizations, below it). A state
//! changing call carries the session's CSRF token in `X-CSRF-Token`.
//! Every change is audited by the platform in the organization's chain.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, put};
use portico_platform::identity::sessions::Session;
use portico_platform::identity::{roles, users};
use portico_platform::organizations::{self, Kind, NewOrganization};
use portico_platform::{PlatformError, tokens};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::auth;
use crate::extractors::{self, Visitor};

/// The largest body the administration API reads.
const MAX_ADMIN_BODY: usize = 64 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs", get(list_orgs).post(create_org))
        .route("/api/v1/orgs/{org}/roles", get(list_roles))
        .route(
            "/api/v1/orgs/{org}/members/{username}/roles/{role}",
            put(grant).delete(revoke),
        )
        .route(
            "/api/v1/orgs/{org}/tokens",
            get(list_tokens).post(create_token),
        )
        .route("/api/v1/orgs/{org}/tokens/{id}", delete(revoke_token))
        .layer(DefaultBodyLimit::max(MAX_ADMIN_BODY))
}

/// An error of the administration API: a status and a JSON body that says
/// what is wrong and, for bad input, in which field.
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    field: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            field: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "error": self.status.canonical_reason().unwrap_or("Error"),
            "message": self.message,
        });
        if let Some(field) = self.field {
            body["field"] = field.into();
        }
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<PlatformError> for ApiError {
    fn from(e: PlatformError) -> Self {
        match e {
            PlatformError::Invalid { field, message } => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: format!("`{field}` {message}"),
                field: Some(field),
            },
            PlatformError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            PlatformError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            PlatformError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, m),
            e => {
                tracing::error!(error = %e, "administration API failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The portal cannot reach its database. Try again shortly.",
                )
            }
        }
    }
}

type ApiResult = Result<Response, ApiError>;

/// The logged-in user of an administration call; for a state-changing
/// call, with its CSRF token checked.
async fn session(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
) -> Result<Box<Session>, ApiError> {
    let visitor = extractors::visitor(state, headers).await.map_err(|f| {
        ApiError::new(
            f.status,
            "Log in first: the administration API takes a session.",
        )
    })?;
    let not_logged_in = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Log in first: the administration API takes a session, not an API token.",
        )
    };
    if !matches!(visitor, Visitor::User(_)) {
        return Err(not_logged_in());
    }
    if !matches!(*method, Method::GET | Method::HEAD)
        && !visitor.csrf_matches(headers.get(auth::CSRF_HEADER).and_then(|v| v.to_str().ok()))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "A change must carry the session's CSRF token in the X-CSRF-Token header (see /auth/me).",
        ));
    }
    let Visitor::User(session) = visitor else {
        return Err(not_logged_in());
    };
    Ok(session)
}

/// Whether the session's user administers `org_id` (directly, or as a
/// platform administrator).
async fn administers(state: &AppState, session: &Session, org_id: &str) -> Result<bool, ApiError> {
    let right =
        roles::admin_right(state.services.platform().db(), &session.user.id, org_id).await?;
    Ok(right.is_some())
}

async fn admin_of(state: &AppState, session: &Session, org_id: &str) -> Result<(), ApiError> {
    if organizations::get(state.services.platform().db(), org_id)
        .await?
        .is_none()
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("There is no organization `{org_id}`."),
        ));
    }
    if administers(state, session, org_id).await? {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("Only an administrator of `{org_id}` may do this."),
        ))
    }
}

/// Reads a strict JSON body: the right content type, well-formed, no unknown fields.
fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the body as application/json.",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let status = if e.is_data() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError::new(status, format!("The JSON body cannot be read: {e}"))
    })
}

async fn list_orgs(State(state): State<AppState>, method: Method, headers: HeaderMap) -> ApiResult {
    session(&state, &headers, &method).await?;
    let tree = organizations::tree(state.services.platform().db()).await?;
    let orgs: Vec<_> = tree
        .into_iter()
        .map(|(depth, o)| {
            let mut v = serde_json::to_value(&o).unwrap_or_default();
            v["depth"] = depth.into();
            v
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "organizations": orgs })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrg {
    id: String,
    name: String,
    #[serde(default)]
    ico: Option<String>,
    kind: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

async fn create_org(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let session = session(&state, &headers, &method).await?;
    let new: NewOrg = json_body(&headers, &body)?;
    let kind = Kind::parse(&new.kind).ok_or_else(|| ApiError {
        field: Some("kind".into()),
        ..ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "`kind` must be region, city, organization or unit, not `{}`",
                new.kind
            ),
        )
    })?;
    // A root needs a platform administrator; an organization below
    // another, an administrator of the one above.
    let allowed = match &new.parent {
        Some(parent) => administers(&state, &session, parent).await?,
        None => roles::roles_in(
            state.services.platform().db(),
            &session.user.id,
            roles::EVERY_ORG,
        )
        .await?
        .contains(roles::PLATFORM_ADMIN),
    };
    if !allowed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Only a platform administrator creates a region or city, and only an administrator of an organization creates one below it.",
        ));
    }
    let org = organizations::create(
        state.services.platform().db(),
        &session.user.id,
        NewOrganization {
            id: new.id,
            name: new.name,
            ico: new.ico,
            kind,
            parent_id: new.parent,
            category: new.category,
            address: new.address,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(org)).into_response())
}

async fn list_roles(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> ApiResult {
    let session = session(&state, &headers, &method).await?;
    admin_of(&state, &session, &org).await?;
    let db = state.services.platform().db();
    let mut out = Vec::new();
    for g in roles::grants(db, Some(&org), None).await? {
        let username = users::get(db, &g.user_id).await?.map(|u| u.username);
        out.push(serde_json::json!({
            "user_id": g.user_id,
            "username": username,
            "role": g.role,
            "granted_by": g.granted_by,
            "granted_at": portico_host::services::rfc3339(g.granted_at_micros),
        }));
    }
    Ok(axum::Json(serde_json::json!({ "organization": org, "grants": out })).into_response())
}

/// Checks that `role` exists: an administrator role or one a loaded module declares.
fn known_role(state: &AppState, role: &str) -> Result<(), ApiError> {
    if role == roles::ORG_ADMIN
        || state
            .registry()
            .iter()
            .any(|m| m.manifest().declares_role(role))
    {
        return Ok(());
    }
    Err(ApiError {
        field: Some("role".into()),
        ..ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "`{role}` is not a role here: use `org-admin` or a role a module declares, e.g. `notice-board.editor`"
            ),
        )
    })
}

async fn grant_or_revoke(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    (org, username, role): (String, String, String),
) -> ApiResult {
    let session = session(state, headers, method).await?;
    admin_of(state, &session, &org).await?;
    known_role(state, &role)?;
    let db = state.services.platform().db();
    let user = users::by_username(db, &username).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("There is no user `{username}`."),
        )
    })?;
    if *method == Method::PUT {
        roles::grant(db, &session.user.id, &user.id, &org, &role).await?;
    } else {
        roles::revoke(db, &session.user.id, &user.id, &org, &role).await?;
    }
    let held = roles::roles_in(db, &user.id, &org).await?;
    Ok(
        axum::Json(serde_json::json!({ "organization": org, "username": username, "roles": held }))
            .into_response(),
    )
}

async fn grant(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(target): Path<(String, String, String)>,
) -> ApiResult {
    grant_or_revoke(&state, &method, &headers, target).await
}

async fn revoke(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(target): Path<(String, String, String)>,
) -> ApiResult {
    grant_or_revoke(&state, &method, &headers, target).await
}

fn token_json(t: &tokens::ApiToken) -> serde_json::Value {
    serde_json::json!({
        "id": t.id,
        "name": t.name,
        "organization": t.org_id,
        "permissions": t.permissions,
        "created_by": t.created_by,
        "created_at": portico_host::services::rfc3339(t.created_at_micros),
        "expires_at": t.expires_at_micros.map(portico_host::services::rfc3339),
        "revoked_at": t.revoked_at_micros.map(portico_host::services::rfc3339),
        "last_used_at": t.last_used_micros.map(portico_host::services::rfc3339),
    })
}

async fn list_tokens(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(org): Path<String>,
) -> ApiResult {
    let session = session(&state, &headers, &method).await?;
    admin_of(&state, &session, &org).await?;
    let list = tokens::list(state.services.platform().db(), &org).await?;
    let list: Vec<_> = list.iter().map(token_json).collect();
    Ok(axum::Json(serde_json::json!({ "tokens": list })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    days: Option<u32>,
}

async fn create_token(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path(org): Path<String>,
    body: Bytes,
) -> ApiResult {
    let session = session(&state, &headers, &method).await?;
    admin_of(&state, &session, &org).await?;
    let new: NewToken = json_body(&headers, &body)?;
    if new
        .permissions
        .iter()
        .any(|p| tokens::HOST_PERMISSIONS.contains(&p.as_str()))
    {
        let held = roles::roles_in(state.services.platform().db(), &session.user.id, &org).await?;
        if !held.contains(roles::PLATFORM_ADMIN) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "Only a platform administrator may issue a token with `{}`.",
                    tokens::PROVISION
                ),
            ));
        }
    }
    if let Some(p) = new.permissions.iter().find(|p| {
        !tokens::HOST_PERMISSIONS.contains(&p.as_str())
            && !state
                .registry()
                .iter()
                .any(|m| m.manifest().declares_permission(p))
    }) {
        return Err(ApiError {
            field: Some("permissions".into()),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("`permissions`: no module here declares `{p}`"),
            )
        });
    }
    let expires = new.days.map(tokens::expiry_after_days).transpose()?;
    let (secret, t) = tokens::create(
        state.services.platform().db(),
        &session.user.id,
        &org,
        &new.name,
        &new.permissions,
        expires,
    )
    .await?;
    let mut body = token_json(&t);
    // Shown once: only its hash is kept.
    body["token"] = secret.into();
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult {
    let session = session(&state, &headers, &method).await?;
    admin_of(&state, &session, &org).await?;
    tokens::revoke(state.services.platform().db(), &session.user.id, &org, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
