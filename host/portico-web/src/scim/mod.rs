//! SCIM 2.0 (RFC 7643, RFC 7644) at `/scim/v2`, so the region's identity
//! management system provisions staff accounts and groups. A client
//! authenticates with an API token carrying `portico.provision`. SCIM sees
//! staff accounts only: citizens' accounts are none of an IDM's business.
//! A group gives its members one role in one organization once a Portico
//! administrator maps it (`portico group map`); replacing or patching the
//! group over SCIM keeps the mapping. Deactivating or
//! deleting a user ends their sessions at once. Every change is audited
//! by the platform, with the token's name as the actor.

mod filter;
mod patch;
mod schema;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use portico_platform::PlatformError;
use portico_platform::identity::accounts;
use portico_platform::identity::groups::{self, Group, NewGroup};
use portico_platform::identity::users::{self, Email, NewUser, User, UserKind};
use portico_platform::tokens::{self, ApiToken};
use serde_json::{Map, Value, json};

use self::filter::{AttrPath, get_ci};
use self::schema::Resource;
use crate::AppState;

/// The largest request body SCIM reads (a big group's member list).
const MAX_BODY: usize = 4 * 1024 * 1024;

const SCIM_JSON: &str = "application/scim+json";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(resource_type))
        .route("/scim/v2/Schemas", get(schemas))
        .route("/scim/v2/Schemas/{id}", get(schema_by_id))
        .route("/scim/v2/.search", post(search_all))
        // `Users` or `Groups`; the fixed paths above take precedence.
        .route("/scim/v2/{endpoint}", get(list_all).post(create))
        .route("/scim/v2/{endpoint}/.search", post(search_one))
        .route(
            "/scim/v2/{endpoint}/{id}",
            get(get_one).put(replace).patch(modify).delete(remove),
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

fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

fn meta(
    resource: Resource,
    base: &str,
    id: &str,
    created: i64,
    modified: i64,
    version: i64,
) -> Value {
    json!({
        "resourceType": resource.name(),
        "created": rfc3339(created),
        "lastModified": rfc3339(modified),
        "location": format!("{base}/{}/{id}", resource.endpoint()),
        "version": etag(version),
    })
}

/// A user as SCIM shows one; `groups` are the (id, name) of its groups.
fn user_json(u: &User, groups: &[(String, String)], base: &str) -> Value {
    let mut v = json!({
        "schemas": [schema::USER],
        "id": u.id,
        "userName": u.username,
        "active": u.active,
        "meta": meta(Resource::User, base, &u.id, u.created_at_micros, u.updated_at_micros, u.version),
    });
    if let Some(x) = &u.external_id {
        v["externalId"] = x.as_str().into();
    }
    if !u.display_name.is_empty() {
        v["displayName"] = u.display_name.as_str().into();
    }
    let mut name = Map::new();
    if let Some(g) = &u.given_name {
        name.insert("givenName".into(), g.as_str().into());
    }
    if let Some(f) = &u.family_name {
        name.insert("familyName".into(), f.as_str().into());
    }
    if !name.is_empty() {
        v["name"] = Value::Object(name);
    }
    if !u.emails.is_empty() {
        v["emails"] = json!(u.emails);
    }
    if !groups.is_empty() {
        v["groups"] = groups
            .iter()
            .map(|(id, name)| {
                json!({ "value": id, "$ref": format!("{base}/Groups/{id}"), "display": name })
            })
            .collect();
    }
    v
}

/// A group as SCIM shows one. The role it gives is Portico's business
/// (set by an administrator) and is not shown.
fn group_json(g: &Group, base: &str) -> Value {
    let mut v = json!({
        "schemas": [schema::GROUP],
        "id": g.id,
        "displayName": g.display_name,
        "meta": meta(Resource::Group, base, &g.id, g.created_at_micros, g.updated_at_micros, g.version),
    });
    if let Some(x) = &g.external_id {
        v["externalId"] = x.as_str().into();
    }
    if !g.members.is_empty() {
        v["members"] = g
            .members
            .iter()
            .map(|id| json!({ "value": id, "$ref": format!("{base}/Users/{id}"), "type": "User" }))
            .collect();
    }
    v
}

/// Checks that a body is of `resource`'s schema.
fn check_schemas(resource: Resource, doc: &Value) -> Result<(), ScimError> {
    let listed = get_ci(doc, "schemas").and_then(Value::as_array);
    if !listed.is_some_and(|s| {
        s.iter().any(|x| {
            x.as_str()
                .is_some_and(|x| x.eq_ignore_ascii_case(resource.schema()))
        })
    }) {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("`schemas` must list `{}`", resource.schema()),
        ));
    }
    Ok(())
}

fn string(doc: &Value, name: &str, at: &str) -> Result<Option<String>, ScimError> {
    match get_ci(doc, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ScimError::bad(
            "invalidValue",
            format!("`{at}` must be a string, not {other}"),
        )),
    }
}

fn boolean(doc: &Value, name: &str) -> Result<Option<bool>, ScimError> {
    match get_ci(doc, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        // Some identity systems send booleans as "True" and "False".
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(other) => Err(ScimError::bad(
            "invalidValue",
            format!("`{name}` must be true or false, not {other}"),
        )),
    }
}

fn list<'a>(doc: &'a Value, name: &str) -> Result<&'a [Value], ScimError> {
    match get_ci(doc, name) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(ScimError::bad(
            "invalidValue",
            format!("`{name}` must be a list, not {other}"),
        )),
    }
}

fn required(value: Option<String>, name: &str) -> Result<String, ScimError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ScimError::bad("invalidValue", format!("`{name}` is required")))
}

/// Reads a User body (POST, PUT, or the result of a PATCH); attributes
/// Portico does not keep are ignored.
fn user_from(doc: &Value) -> Result<NewUser, ScimError> {
    check_schemas(Resource::User, doc)?;
    let username = required(string(doc, "userName", "userName")?, "userName")?;
    let (given_name, family_name) = match get_ci(doc, "name") {
        None | Some(Value::Null) => (None, None),
        Some(name @ Value::Object(_)) => (
            string(name, "givenName", "name.givenName")?,
            string(name, "familyName", "name.familyName")?,
        ),
        Some(other) => {
            return Err(ScimError::bad(
                "invalidValue",
                format!("`name` must be an object, not {other}"),
            ));
        }
    };
    let mut emails = Vec::new();
    for (i, e) in list(doc, "emails")?.iter().enumerate() {
        if !e.is_object() {
            return Err(ScimError::bad(
                "invalidValue",
                format!("`emails[{i}]` must be an object"),
            ));
        }
        let at = format!("emails[{i}].value");
        emails.push(Email {
            value: required(string(e, "value", &at)?, &at)?,
            kind: string(e, "type", &format!("emails[{i}].type"))?,
            primary: boolean(e, "primary")?.unwrap_or(false),
        });
    }
    let Some(active) = boolean(doc, "active")? else {
        return Err(ScimError::bad(
            "invalidValue",
            "`active` is required: Portico must know whether the account may log in",
        ));
    };
    Ok(NewUser {
        username,
        display_name: string(doc, "displayName", "displayName")?.unwrap_or_default(),
        given_name,
        family_name,
        email: None,
        emails,
        kind: UserKind::Staff,
        password: None,
        active,
        external_id: string(doc, "externalId", "externalId")?,
        identity: None,
        assurance: users::Assurance::Registered,
        claims: BTreeMap::new(),
    })
}

/// Reads a Group body; the role mapping is kept as it is.
async fn group_from(
    state: &AppState,
    doc: &Value,
    current: Option<&Group>,
) -> Result<NewGroup, ScimError> {
    check_schemas(Resource::Group, doc)?;
    let display_name = required(string(doc, "displayName", "displayName")?, "displayName")?;
    let mut members = Vec::new();
    let db = state.services.platform().db();
    for (i, m) in list(doc, "members")?.iter().enumerate() {
        let at = format!("members[{i}].value");
        let id = required(string(m, "value", &at)?, &at)?;
        if let Some(kind) = string(m, "type", &format!("members[{i}].type"))?
            && !kind.eq_ignore_ascii_case("User")
        {
            return Err(ScimError::bad(
                "invalidValue",
                format!("`members[{i}].type` is `{kind}`: Portico's groups hold users only"),
            ));
        }
        let staff = users::get(db, &id)
            .await?
            .is_some_and(|u| u.kind == UserKind::Staff);
        if !staff {
            return Err(ScimError::bad(
                "invalidValue",
                format!("`{at}`: no user `{id}`"),
            ));
        }
        members.push(id);
    }
    Ok(NewGroup {
        display_name,
        external_id: string(doc, "externalId", "externalId")?,
        role: current.and_then(|g| g.org_id.clone().zip(g.role.clone())),
        members,
    })
}

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

// ----- what a list or a read asks for -----

/// The query of a list or search: filter, sort, page, attributes.
#[derive(Default)]
struct Listing {
    filter: Option<filter::Filter>,
    sort_by: Option<AttrPath>,
    descending: bool,
    start: usize,
    count: usize,
    projection: Projection,
}

#[derive(Default)]
struct Projection {
    attributes: Vec<AttrPath>,
    excluded: Vec<AttrPath>,
}

/// A query parameter; SCIM's parameter names ignore case.
fn query_param(q: &BTreeMap<String, String>, name: &str) -> Option<String> {
    q.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn attr_list(s: &str, name: &str) -> Result<Vec<AttrPath>, ScimError> {
    s.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            filter::parse_attr_path(a)
                .map_err(|e| ScimError::bad("invalidValue", format!("`{name}`: {e}")))
        })
        .collect()
}

fn number(v: Option<&str>, name: &str) -> Result<Option<i64>, ScimError> {
    v.map(|s| {
        s.trim().parse::<i64>().map_err(|_| {
            ScimError::bad(
                "invalidValue",
                format!("`{name}` must be a whole number, not `{s}`"),
            )
        })
    })
    .transpose()
}

impl Listing {
    fn read(get: &dyn Fn(&str) -> Option<String>) -> Result<Listing, ScimError> {
        let filter = get("filter")
            .map(|f| filter::parse(&f).map_err(|e| ScimError::bad("invalidFilter", e)))
            .transpose()?;
        let sort_by = get("sortBy")
            .map(|s| {
                filter::parse_attr_path(s.trim())
                    .map_err(|e| ScimError::bad("invalidValue", format!("`sortBy`: {e}")))
            })
            .transpose()?;
        let descending = match get("sortOrder").as_deref() {
            None => false,
            Some(o) if o.eq_ignore_ascii_case("ascending") => false,
            Some(o) if o.eq_ignore_ascii_case("descending") => true,
            Some(o) => {
                return Err(ScimError::bad(
                    "invalidValue",
                    format!("`sortOrder` is `{o}`: use ascending or descending"),
                ));
            }
        };
        let start = number(get("startIndex").as_deref(), "startIndex")?
            .unwrap_or(1)
            .max(1);
        let count = number(get("count").as_deref(), "count")?
            .unwrap_or(schema::MAX_RESULTS as i64)
            .clamp(0, schema::MAX_RESULTS as i64);
        Ok(Listing {
            filter,
            sort_by,
            descending,
            start: usize::try_from(start).unwrap_or(usize::MAX),
            count: usize::try_from(count).unwrap_or(0),
            projection: Projection::read(get)?,
        })
    }

    fn from_query(q: &BTreeMap<String, String>) -> Result<Listing, ScimError> {
        Listing::read(&|name: &str| query_param(q, name))
    }

    fn from_search(body: &Value) -> Result<Listing, ScimError> {
        let schemas = get_ci(body, "schemas").and_then(Value::as_array);
        if !schemas.is_some_and(|s| s.iter().any(|x| x.as_str() == Some(schema::SEARCH))) {
            return Err(ScimError::bad(
                "invalidSyntax",
                format!("a search body must list `{}` in `schemas`", schema::SEARCH),
            ));
        }
        Listing::read(&|name: &str| match get_ci(body, name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Array(a) => Some(
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => None,
        })
    }

    /// Filters, sorts and pages `docs` into a list response.
    fn respond(&self, mut docs: Vec<Value>) -> Response {
        if let Some(f) = &self.filter {
            docs.retain(|d| {
                let resource = if d["meta"]["resourceType"] == "Group" {
                    Resource::Group
                } else {
                    Resource::User
                };
                f.matches(d, &|p: &AttrPath| {
                    resource.case_exact(&p.attr, p.sub.as_deref())
                })
            });
        }
        if let Some(by) = &self.sort_by {
            let key = |d: &Value| {
                filter::values(d, by).first().map(|v| match v {
                    Value::String(s) => s.to_lowercase(),
                    v => v.to_string(),
                })
            };
            docs.sort_by(|a, b| {
                // Resources without the attribute come last either way.
                match (key(a), key(b)) {
                    (Some(x), Some(y)) if self.descending => y.cmp(&x),
                    (Some(x), Some(y)) => x.cmp(&y),
                    (x, y) => x.is_none().cmp(&y.is_none()),
                }
            });
        }
        let total = docs.len();
        let page: Vec<Value> = docs
            .into_iter()
            .skip(self.start - 1)
            .take(self.count)
            .map(|d| self.projection.apply(d))
            .collect();
        scim_json(
            StatusCode::OK,
            &json!({
                "schemas": [schema::LIST],
                "totalResults": total,
                "startIndex": self.start,
                "itemsPerPage": page.len(),
                "Resources": page,
            }),
        )
    }
}

impl Projection {
    fn read(get: &dyn Fn(&str) -> Option<String>) -> Result<Projection, ScimError> {
        Ok(Projection {
            attributes: get("attributes")
                .map(|a| attr_list(&a, "attributes"))
                .transpose()?
                .unwrap_or_default(),
            excluded: get("excludedAttributes")
                .map(|a| attr_list(&a, "excludedAttributes"))
                .transpose()?
                .unwrap_or_default(),
        })
    }

    fn from_query(q: &BTreeMap<String, String>) -> Result<Projection, ScimError> {
        Projection::read(&|name: &str| query_param(q, name))
    }

    /// Keeps the attributes asked for (`id` and `schemas` always) and
    /// drops the excluded ones.
    fn apply(&self, doc: Value) -> Value {
        let Value::Object(mut o) = doc else {
            return doc;
        };
        let always = |k: &str| k == "id" || k == "schemas";
        let named = |p: &AttrPath, k: &str| {
            if p.urn.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(k)) {
                return true;
            }
            p.attr.eq_ignore_ascii_case(k)
        };
        if !self.attributes.is_empty() {
            o.retain(|k, v| {
                if always(k) {
                    return true;
                }
                let asked: Vec<&AttrPath> =
                    self.attributes.iter().filter(|p| named(p, k)).collect();
                if asked.is_empty() {
                    return false;
                }
                if asked.iter().all(|p| p.sub.is_some())
                    && let Value::Object(inner) = v
                {
                    inner.retain(|s, _| {
                        asked
                            .iter()
                            .any(|p| p.sub.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(s)))
                    });
                }
                true
            });
        }
        for p in &self.excluded {
            let key = o.keys().find(|k| named(p, k) && !always(k)).cloned();
            let Some(key) = key else { continue };
            match &p.sub {
                None => {
                    o.remove(&key);
                }
                Some(sub) => {
                    if let Some(Value::Object(inner)) = o.get_mut(&key) {
                        inner.retain(|s, _| !s.eq_ignore_ascii_case(sub));
                    }
                }
            }
        }
        Value::Object(o)
    }
}

// ----- discovery -----

async fn service_provider_config(State(state): State<AppState>, headers: HeaderMap) -> ScimResult {
    provisioner(&state, &headers).await?;
    Ok(scim_json(
        StatusCode::OK,
        &schema::config(&base_url(&state, &headers)),
    ))
}

fn listing_of(items: Vec<Value>) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [schema::LIST],
            "totalResults": items.len(),
            "startIndex": 1,
            "itemsPerPage": items.len(),
            "Resources": items,
        }),
    )
}

async fn resource_types(State(state): State<AppState>, headers: HeaderMap) -> ScimResult {
    provisioner(&state, &headers).await?;
    Ok(listing_of(schema::resource_types(&base_url(
        &state, &headers,
    ))))
}

async fn resource_type(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult {
    provisioner(&state, &headers).await?;
    schema::resource_types(&base_url(&state, &headers))
        .into_iter()
        .find(|r| r["id"] == id.as_str())
        .map(|r| scim_json(StatusCode::OK, &r))
        .ok_or_else(|| ScimError::new(StatusCode::NOT_FOUND, format!("no resource type `{id}`")))
}

async fn schemas(State(state): State<AppState>, headers: HeaderMap) -> ScimResult {
    provisioner(&state, &headers).await?;
    Ok(listing_of(schema::schemas(&base_url(&state, &headers))))
}

async fn schema_by_id(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult {
    provisioner(&state, &headers).await?;
    schema::schemas(&base_url(&state, &headers))
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| ScimError::new(StatusCode::NOT_FOUND, format!("no schema `{id}`")))
}

// ----- users and groups -----

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

async fn list_all(
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

async fn search_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(endpoint): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult {
    let resource = resource_of(&endpoint)?;
    search(&state, &headers, &[resource], body).await
}

async fn search_all(
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

async fn get_one(
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

async fn create(
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

async fn replace(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((endpoint, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult {
    change(&state, &headers, &endpoint, &id, body, false).await
}

async fn modify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((endpoint, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ScimResult {
    change(&state, &headers, &endpoint, &id, body, true).await
}

async fn remove(
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
