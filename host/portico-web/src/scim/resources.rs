//! The `/Users` and `/Groups` endpoints: list, search (one type or
//! both), read, create, replace (`PUT`), patch and delete, with ETags and
//! `If-Match`. Only staff accounts are found; a user's deactivation or
//! deletion ends their sessions.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_platform::identity::accounts;
use portico_platform::identity::groups::{self, Group};
use portico_platform::identity::users::{self, User, UserKind};
use portico_platform::tokens::ApiToken;
use serde_json::Value;

use super::documents::{group_from, group_json, user_from, user_json};
use super::listing::{Listing, Projection};
use super::patch;
use super::schema::Resource;
use super::{
    NO_ENDPOINT, ScimError, ScimResult, actor, base_url, body_json, etag, provisioner, scim_json,
};
use crate::AppState;

/// Checks `If-Match` against the current version (RFC 7644 §3.14).
fn check_if_match(headers: &HeaderMap, version: i64) -> Result<(), ScimError> {
    let Some(wanted) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let current = etag(version);
    let strong = format!("\"{version}\"");
    if wanted
        .split(',')
        .map(str::trim)
        .any(|w| w == "*" || w == current || w == strong)
    {
        Ok(())
    } else {
        Err(ScimError::new(
            StatusCode::PRECONDITION_FAILED,
            format!("the resource changed: it is at version {current}, not {wanted}"),
        ))
    }
}

/// One resource with its ETag.
fn one(status: StatusCode, doc: &Value, version: i64) -> Response {
    let mut r = scim_json(status, doc);
    if let Ok(tag) = HeaderValue::from_str(&etag(version)) {
        r.headers_mut().insert(header::ETAG, tag);
    }
    if status == StatusCode::CREATED
        && let Some(location) = doc["meta"]["location"].as_str()
        && let Ok(l) = HeaderValue::from_str(location)
    {
        r.headers_mut().insert(header::LOCATION, l);
    }
    r
}

/// The resource type an endpoint serves: `Users` or `Groups`.
fn resource_of(endpoint: &str) -> Result<Resource, ScimError> {
    [Resource::User, Resource::Group]
        .into_iter()
        .find(|r| r.endpoint() == endpoint)
        .ok_or_else(|| ScimError::new(StatusCode::NOT_FOUND, NO_ENDPOINT))
}

/// Every group's (id, name) per member.
async fn memberships(
    state: &AppState,
) -> Result<BTreeMap<String, Vec<(String, String)>>, ScimError> {
    let mut of: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for g in groups::list(state.services.platform().db()).await? {
        for m in &g.members {
            of.entry(m.clone())
                .or_default()
                .push((g.id.clone(), g.display_name.clone()));
        }
    }
    Ok(of)
}

/// Every resource of a type, as SCIM shows them.
async fn all(state: &AppState, resource: Resource, base: &str) -> Result<Vec<Value>, ScimError> {
    let db = state.services.platform().db();
    Ok(match resource {
        Resource::User => {
            let of = memberships(state).await?;
            users::list_of_kind(db, UserKind::Staff)
                .await?
                .iter()
                .map(|u| user_json(u, of.get(&u.id).map_or(&[], Vec::as_slice), base))
                .collect()
        }
        Resource::Group => groups::list(db)
            .await?
            .iter()
            .map(|g| group_json(g, base))
            .collect(),
    })
}

/// A stored user or group.
enum Stored {
    User(User),
    Group(Group),
}

impl Stored {
    fn version(&self) -> i64 {
        match self {
            Stored::User(u) => u.version,
            Stored::Group(g) => g.version,
        }
    }

    /// The stored resource `id` of a type; 404 for anything else,
    /// citizens' accounts included.
    async fn find(state: &AppState, resource: Resource, id: &str) -> Result<Stored, ScimError> {
        let db = state.services.platform().db();
        let found = match resource {
            Resource::User => users::get(db, id)
                .await?
                .filter(|u| u.kind == UserKind::Staff)
                .map(Stored::User),
            Resource::Group => groups::get(db, id).await?.map(Stored::Group),
        };
        found.ok_or_else(|| ScimError::not_found(resource, id))
    }

    async fn doc(&self, state: &AppState, base: &str) -> Result<Value, ScimError> {
        Ok(match self {
            Stored::User(u) => {
                let groups = groups::of_user(state.services.platform().db(), &u.id).await?;
                user_json(u, &groups, base)
            }
            Stored::Group(g) => group_json(g, base),
        })
    }
}

/// Creates (without `current`) or replaces a resource from a body.
async fn save(
    state: &AppState,
    token: &ApiToken,
    resource: Resource,
    current: Option<&Stored>,
    doc: &Value,
) -> Result<Stored, ScimError> {
    let db = state.services.platform().db();
    let actor = actor(token);
    Ok(match (resource, current) {
        (Resource::User, None) => {
            let u = users::create(db, &actor, user_from(doc)?).await?;
            tracing::info!(user = %u.id, username = %u.username, "SCIM created a user");
            Stored::User(u)
        }
        (Resource::User, Some(Stored::User(was))) => {
            let u = accounts::update(db, &actor, &was.id, user_from(doc)?).await?;
            if was.active && !u.active {
                tracing::info!(user = %u.id, username = %u.username, "SCIM deactivated a user; their sessions ended");
            }
            Stored::User(u)
        }
        (Resource::Group, None) => {
            let g = groups::create(db, &actor, group_from(state, doc, None).await?).await?;
            tracing::info!(group = %g.id, name = %g.display_name, "SCIM created a group");
            Stored::Group(g)
        }
        (Resource::Group, Some(Stored::Group(was))) => {
            let new = group_from(state, doc, Some(was)).await?;
            Stored::Group(groups::replace(db, &actor, &was.id, new).await?)
        }
        _ => unreachable!("a stored resource is found by its own type"),
    })
}

pub(super) async fn list_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(endpoint): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> ScimResult {
    provisioner(&state, &headers).await?;
    let resource = resource_of(&endpoint)?;
    let listing = Listing::from_query(&q)?;
    let base = base_url(&state, &headers);
    Ok(listing.respond(all(&state, resource, &base).await?))
}

/// `POST /<Users|Groups>/.search`, and `POST /.search` over both.
async fn search(
    state: &AppState,
    headers: &HeaderMap,
    resources: &[Resource],
    body: Result<Bytes, BytesRejection>,
) -> ScimResult {
    provisioner(state, headers).await?;
    let listing = Listing::from_search(&body_json(headers, body)?)?;
    let base = base_url(state, headers);
    let mut docs = Vec::new();
    for r in resources {
        docs.extend(all(state, *r, &base).await?);
    }
    Ok(listing.respond(docs))
}

pub(super) async fn search_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(endpoint): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult {
    let resource = resource_of(&endpoint)?;
    search(&state, &headers, &[resource], body).await
}

pub(super) async fn search_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult {
    search(&state, &headers, &[Resource::User, Resource::Group], body).await
}

fn not_modified(headers: &HeaderMap, version: i64) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag(version)))
}

pub(super) async fn get_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((endpoint, id)): Path<(String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> ScimResult {
    provisioner(&state, &headers).await?;
    let resource = resource_of(&endpoint)?;
    let projection = Projection::from_query(&q)?;
    let stored = Stored::find(&state, resource, &id).await?;
    if not_modified(&headers, stored.version()) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let doc = stored.doc(&state, &base_url(&state, &headers)).await?;
    Ok(one(
        StatusCode::OK,
        &projection.apply(doc),
        stored.version(),
    ))
}

pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(endpoint): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult {
    let token = provisioner(&state, &headers).await?;
    let resource = resource_of(&endpoint)?;
    let stored = save(&state, &token, resource, None, &body_json(&headers, body)?).await?;
    let doc = stored.doc(&state, &base_url(&state, &headers)).await?;
    Ok(one(StatusCode::CREATED, &doc, stored.version()))
}

/// `PUT` replaces a resource; `PATCH` applies operations to its JSON
/// and saves the result the same way.
async fn change(
    state: &AppState,
    headers: &HeaderMap,
    endpoint: &str,
    id: &str,
    body: Result<Bytes, BytesRejection>,
    patching: bool,
) -> ScimResult {
    let token = provisioner(state, headers).await?;
    let resource = resource_of(endpoint)?;
    let current = Stored::find(state, resource, id).await?;
    check_if_match(headers, current.version())?;
    let body = body_json(headers, body)?;
    let base = base_url(state, headers);
    let doc = if patching {
        let mut doc = current.doc(state, &base).await?;
        patch::apply(resource, &mut doc, &body)
            .map_err(|e| ScimError::bad(e.scim_type, e.detail))?;
        doc
    } else {
        body
    };
    let stored = save(state, &token, resource, Some(&current), &doc).await?;
    let doc = stored.doc(state, &base).await?;
    Ok(one(StatusCode::OK, &doc, stored.version()))
}

pub(super) async fn replace(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((endpoint, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult {
    change(&state, &headers, &endpoint, &id, body, false).await
}

pub(super) async fn modify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((endpoint, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult {
    change(&state, &headers, &endpoint, &id, body, true).await
}

pub(super) async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((endpoint, id)): Path<(String, String)>,
) -> ScimResult {
    let token = provisioner(&state, &headers).await?;
    let resource = resource_of(&endpoint)?;
    let current = Stored::find(&state, resource, &id).await?;
    check_if_match(&headers, current.version())?;
    let db = state.services.platform().db();
    match current {
        Stored::User(u) => {
            accounts::delete(db, &actor(&token), &id).await?;
            tracing::info!(user = %id, username = %u.username, "SCIM deleted a user; their sessions ended");
        }
        Stored::Group(g) => {
            groups::delete(db, &actor(&token), &id).await?;
            if g.role.is_some() {
                tracing::info!(group = %id, role = ?g.role, "SCIM deleted a group; its members lost its role");
            }
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
