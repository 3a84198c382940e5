//! Users and groups as SCIM shows them (`user_json`, `group_json`, with
//! their `meta`), and the reading of a User or Group body back into what
//! the platform stores (`user_from`, `group_from`): attributes Portico
//! does not keep are ignored, a group's role mapping is kept as it is.

use std::collections::BTreeMap;

use portico_platform::identity::groups::{Group, NewGroup};
use portico_platform::identity::users::{self, Email, NewUser, User, UserKind};
use serde_json::{Map, Value, json};

use super::filter::get_ci;
use super::schema::{self, Resource};
use super::{ScimError, etag};
use crate::AppState;

fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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
pub(super) fn user_json(u: &User, groups: &[(String, String)], base: &str) -> Value {
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
pub(super) fn group_json(g: &Group, base: &str) -> Value {
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
pub(super) fn user_from(doc: &Value) -> Result<NewUser, ScimError> {
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
pub(super) async fn group_from(
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
