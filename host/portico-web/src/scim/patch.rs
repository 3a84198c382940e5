//! SCIM PATCH (RFC 7644 §3.5.2): `add`, `remove` and `replace` applied to
//! the JSON form of a resource. The result is then read like a PUT body,
//! so one set of checks guards both, and a PATCH that leaves the resource
//! invalid changes nothing.

use serde_json::{Map, Value};

use super::filter::{self, AttrPath, Filter, Op, PatchPath, get_ci};
use super::schema::{self, Attr, Resource, Type};

/// Why a PATCH cannot be applied: a SCIM error type and a message.
#[derive(Debug)]
pub(crate) struct PatchError {
    pub(crate) scim_type: &'static str,
    pub(crate) detail: String,
}

fn error(scim_type: &'static str, detail: impl Into<String>) -> PatchError {
    PatchError {
        scim_type,
        detail: detail.into(),
    }
}

/// The most operations one PATCH may carry.
const MAX_OPERATIONS: usize = 1000;

const EXTERNAL_ID: Attr = Attr {
    name: "externalId",
    kind: Type::String,
    multi: false,
    required: false,
    case_exact: true,
    mutability: "readWrite",
    description: "",
    canonical: &[],
    reference_types: &[],
    subs: &[],
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Remove,
    Replace,
}

/// Applies a PATCH request body to `doc`.
pub(crate) fn apply(resource: Resource, doc: &mut Value, body: &Value) -> Result<(), PatchError> {
    let schemas = get_ci(body, "schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|x| x.as_str() == Some(schema::PATCH_OP))) {
        return Err(error(
            "invalidSyntax",
            format!("a PATCH body must list `{}` in `schemas`", schema::PATCH_OP),
        ));
    }
    let Some(ops) = get_ci(body, "Operations").and_then(Value::as_array) else {
        return Err(error(
            "invalidSyntax",
            "a PATCH body needs `Operations`, a list",
        ));
    };
    if ops.is_empty() || ops.len() > MAX_OPERATIONS {
        return Err(error(
            "invalidSyntax",
            format!("`Operations` must hold 1 to {MAX_OPERATIONS} operations"),
        ));
    }
    for (i, op) in ops.iter().enumerate() {
        operation(resource, doc, op).map_err(|e| PatchError {
            detail: format!("Operations[{i}]: {}", e.detail),
            ..e
        })?;
    }
    one_primary(doc);
    Ok(())
}

fn operation(resource: Resource, doc: &mut Value, op: &Value) -> Result<(), PatchError> {
    let kind = match get_ci(op, "op").and_then(Value::as_str) {
        Some(k) if k.eq_ignore_ascii_case("add") => Kind::Add,
        Some(k) if k.eq_ignore_ascii_case("remove") => Kind::Remove,
        Some(k) if k.eq_ignore_ascii_case("replace") => Kind::Replace,
        Some(k) => {
            return Err(error(
                "invalidSyntax",
                format!("`{k}` is not an operation: use add, remove or replace"),
            ));
        }
        None => return Err(error("invalidSyntax", "`op` is missing")),
    };
    let value = get_ci(op, "value");
    let path = match get_ci(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => {
            Some(filter::parse_patch_path(p).map_err(|e| error("invalidPath", e))?)
        }
        Some(_) => return Err(error("invalidPath", "`path` must be a string")),
    };
    match (kind, path, value) {
        (Kind::Remove, None, _) => Err(error("noTarget", "`remove` needs a `path`")),
        (Kind::Remove, Some(path), value) => remove(resource, doc, &path, value),
        (_, _, None) => Err(error("invalidValue", "`add` and `replace` need a `value`")),
        (_, Some(path), Some(value)) => set(resource, doc, kind, &path, value),
        (_, None, Some(Value::Object(attrs))) => {
            for (key, value) in attrs {
                if let Some((_, ext)) = extension(resource, key) {
                    let Value::Object(inner) = value else {
                        return Err(error("invalidValue", format!("`{key}` must be an object")));
                    };
                    for name in inner.keys() {
                        if ext.iter().any(|a| a.name.eq_ignore_ascii_case(name)) {
                            return Err(read_only_error(name));
                        }
                    }
                    continue;
                }
                if ["schemas", "id", "meta", "groups"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(key))
                {
                    continue;
                }
                let path = filter::parse_patch_path(key).map_err(|e| error("invalidPath", e))?;
                set(resource, doc, kind, &path, value)?;
            }
            Ok(())
        }
        (_, None, Some(_)) => Err(error(
            "invalidValue",
            "without a `path`, `value` must be an object of attributes",
        )),
    }
}

fn extension(resource: Resource, urn: &str) -> Option<(&'static str, &'static [Attr])> {
    resource
        .schemas()
        .iter()
        .skip(1)
        .find(|(u, _)| u.eq_ignore_ascii_case(urn))
        .copied()
}

fn read_only_error(name: &str) -> PatchError {
    error(
        "mutability",
        format!("`{name}` is read-only here: a Portico administrator sets it"),
    )
}

/// The attribute a path names; `None` for attributes Portico does not keep
/// (they are ignored, as in a POST).
fn lookup(resource: Resource, path: &AttrPath) -> Result<Option<&'static Attr>, PatchError> {
    if let Some(urn) = &path.urn {
        if let Some((_, attrs)) = extension(resource, urn) {
            return match attrs
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(&path.attr))
            {
                Some(a) => Err(read_only_error(a.name)),
                None => Ok(None),
            };
        }
        if !urn.eq_ignore_ascii_case(resource.schema()) {
            return Ok(None);
        }
    }
    if path.attr.eq_ignore_ascii_case("externalId") {
        return Ok(Some(&EXTERNAL_ID));
    }
    if ["id", "meta", "schemas"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(&path.attr))
    {
        return Err(error(
            "mutability",
            format!("`{}` cannot be changed", path.attr),
        ));
    }
    match resource.attr(&path.attr) {
        Some(a) if a.mutability == "readOnly" => Err(read_only_error(a.name)),
        found => Ok(found),
    }
}

fn sub_name<'a>(attr: &'static Attr, sub: &'a str) -> std::borrow::Cow<'a, str> {
    attr.subs
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(sub))
        .map_or(std::borrow::Cow::Borrowed(sub), |s| s.name.into())
}

/// A value with its sub-attribute names as the schema spells them.
fn canonical(attr: &'static Attr, value: &Value) -> Value {
    match value {
        Value::Object(o) if !attr.subs.is_empty() => Value::Object(
            o.iter()
                .map(|(k, v)| (sub_name(attr, k).into_owned(), v.clone()))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| canonical(attr, v)).collect()),
        v => v.clone(),
    }
}

fn object(doc: &mut Value) -> &mut Map<String, Value> {
    if !doc.is_object() {
        *doc = Value::Object(Map::new());
    }
    match doc {
        Value::Object(o) => o,
        _ => unreachable!("made an object above"),
    }
}

fn exact_for(resource: Resource, attr: &'static Attr) -> impl Fn(&AttrPath) -> bool {
    move |p: &AttrPath| resource.case_exact(attr.name, Some(&p.attr))
}

fn merge(into: &mut Value, from: &Value) -> Result<(), PatchError> {
    let Value::Object(from) = from else {
        return Err(error(
            "invalidValue",
            "a complex attribute takes an object of sub-attributes",
        ));
    };
    let into = object(into);
    for (k, v) in from {
        into.insert(k.clone(), v.clone());
    }
    Ok(())
}

fn set(
    resource: Resource,
    doc: &mut Value,
    kind: Kind,
    path: &PatchPath,
    value: &Value,
) -> Result<(), PatchError> {
    let Some(attr) = lookup(resource, &path.attr)? else {
        return Ok(());
    };
    let value = canonical(attr, value);
    let doc = object(doc);
    match (&path.filter, &path.attr.sub) {
        (None, None) => {
            if attr.multi {
                let items = match value {
                    Value::Array(items) => items,
                    Value::Null => Vec::new(),
                    v => vec![v],
                };
                let slot = doc
                    .entry(attr.name)
                    .or_insert_with(|| Value::Array(Vec::new()));
                match (kind, slot) {
                    (Kind::Add, Value::Array(existing)) => {
                        for item in items {
                            if !existing.contains(&item) {
                                existing.push(item);
                            }
                        }
                    }
                    (_, slot) => *slot = Value::Array(items),
                }
            } else if attr.kind == Type::Complex && !value.is_null() {
                merge(doc.entry(attr.name).or_insert(Value::Null), &value)?;
            } else {
                doc.insert(attr.name.to_owned(), value);
            }
        }
        (None, Some(sub)) => {
            let sub = sub_name(attr, sub).into_owned();
            let slot = doc.entry(attr.name).or_insert(Value::Null);
            match slot {
                Value::Array(items) if attr.multi => {
                    if items.is_empty() {
                        items.push(Value::Object(Map::new()));
                    }
                    for item in items {
                        object(item).insert(sub.clone(), value.clone());
                    }
                }
                slot if attr.multi => {
                    *slot = Value::Array(vec![serde_json::json!({ sub: value })]);
                }
                slot if attr.kind == Type::Complex => {
                    object(slot).insert(sub, value);
                }
                _ => {
                    return Err(error(
                        "invalidPath",
                        format!("`{}` has no sub-attributes", attr.name),
                    ));
                }
            }
        }
        (Some(_), Some(_)) => {
            return Err(error(
                "invalidPath",
                "a filter applies to an attribute, not a sub-attribute",
            ));
        }
        (Some(f), None) => {
            if !attr.multi {
                return Err(error(
                    "invalidPath",
                    format!("`{}` is not multi-valued: it takes no filter", attr.name),
                ));
            }
            let exact = exact_for(resource, attr);
            let slot = doc
                .entry(attr.name)
                .or_insert_with(|| Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            let Value::Array(items) = slot else {
                unreachable!("made an array above")
            };
            let mut matched = false;
            for item in items.iter_mut().filter(|i| f.matches(i, &exact)) {
                matched = true;
                match &path.sub_after_filter {
                    Some(sub) => {
                        object(item).insert(sub_name(attr, sub).into_owned(), value.clone());
                    }
                    None => merge(item, &value)?,
                }
            }
            if !matched {
                // `emails[type eq "work"].value` on a user without a work
                // address: add one, as identity systems expect.
                let Filter::Compare(p, Op::Eq, literal) = f else {
                    return Err(error(
                        "noTarget",
                        format!("no value of `{}` matches the filter", attr.name),
                    ));
                };
                let mut item = Map::new();
                item.insert(sub_name(attr, &p.attr).into_owned(), literal.clone());
                let mut item = Value::Object(item);
                match &path.sub_after_filter {
                    Some(sub) => {
                        object(&mut item).insert(sub_name(attr, sub).into_owned(), value);
                    }
                    None => merge(&mut item, &value)?,
                }
                items.push(item);
            }
        }
    }
    Ok(())
}

fn remove(
    resource: Resource,
    doc: &mut Value,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), PatchError> {
    let Some(attr) = lookup(resource, &path.attr)? else {
        return Ok(());
    };
    let exact = exact_for(resource, attr);
    let doc = object(doc);
    let Some(slot) = doc.get_mut(attr.name) else {
        return Ok(());
    };
    match (&path.filter, &path.attr.sub) {
        (None, None) => match (value, slot) {
            // `{"op":"remove","path":"members","value":[{"value":"…"}]}`
            (Some(Value::Array(gone)), Value::Array(items)) if attr.multi => {
                let ids: Vec<&Value> = gone.iter().filter_map(|g| get_ci(g, "value")).collect();
                items.retain(|i| !get_ci(i, "value").is_some_and(|v| ids.contains(&v)));
            }
            _ => {
                doc.remove(attr.name);
            }
        },
        (None, Some(sub)) => match slot {
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(o) = item {
                        o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                    }
                }
            }
            Value::Object(o) => o.retain(|k, _| !k.eq_ignore_ascii_case(sub)),
            _ => {}
        },
        (Some(f), _) => {
            let Value::Array(items) = slot else {
                return Ok(());
            };
            match &path.sub_after_filter {
                None => items.retain(|i| !f.matches(i, &exact)),
                Some(sub) => {
                    for item in items.iter_mut().filter(|i| f.matches(i, &exact)) {
                        if let Value::Object(o) = item {
                            o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                        }
                    }
                }
            }
        }
    }
    // An emptied attribute is an unassigned one (RFC 7643 §2.5).
    let empty = doc.get(attr.name).is_some_and(|v| match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Null => true,
        _ => false,
    });
    if empty {
        doc.remove(attr.name);
    }
    Ok(())
}

/// Keeps the last value marked primary where an operation marked another.
fn one_primary(doc: &mut Value) {
    let Value::Object(o) = doc else { return };
    for v in o.values_mut() {
        let Value::Array(items) = v else { continue };
        let last = items
            .iter()
            .rposition(|i| get_ci(i, "primary") == Some(&Value::Bool(true)));
        if let Some(last) = last {
            for (n, item) in items.iter_mut().enumerate() {
                if n != last
                    && let Value::Object(m) = item
                    && m.get("primary") == Some(&Value::Bool(true))
                {
                    m.insert("primary".into(), Value::Bool(false));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(doc: &mut Value, ops: Value) -> Result<(), PatchError> {
        apply(
            Resource::User,
            doc,
            &json!({ "schemas": [schema::PATCH_OP], "Operations": ops }),
        )
    }

    #[test]
    fn operations_change_the_document_as_identity_systems_send_them() {
        let mut doc = json!({
            "userName": "jnovak", "active": true,
            "emails": [{"value": "j@kraj.cz", "type": "work", "primary": true}]
        });
        patch(
            &mut doc,
            json!([
                {"op": "Replace", "path": "active", "value": false},
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "novak@kraj.cz"},
                {"op": "add", "path": "emails[type eq \"home\"].value", "value": "jan@doma.cz"},
                {"op": "add", "value": {"name.givenName": "Jan", "displayName": "Jan Novák"}},
                {"op": "add", "path": "name", "value": {"familyname": "Novák"}},
            ]),
        )
        .unwrap();
        assert_eq!(doc["active"], json!(false));
        assert_eq!(doc["emails"][0]["value"], json!("novak@kraj.cz"));
        assert_eq!(
            doc["emails"][1],
            json!({"type": "home", "value": "jan@doma.cz"})
        );
        assert_eq!(
            doc["name"],
            json!({"givenName": "Jan", "familyName": "Novák"})
        );
        assert_eq!(doc["displayName"], json!("Jan Novák"));

        patch(
            &mut doc,
            json!([
                {"op": "remove", "path": "emails[type eq \"home\"]"},
                {"op": "remove", "path": "name.givenName"},
                {"op": "remove", "path": "displayName"},
            ]),
        )
        .unwrap();
        assert_eq!(doc["emails"].as_array().map(Vec::len), Some(1));
        assert_eq!(doc["name"], json!({"familyName": "Novák"}));
        assert!(doc.get("displayName").is_none());
    }

    #[test]
    fn bad_operations_are_refused_with_the_reason() {
        let mut doc = json!({"userName": "jnovak", "active": true});
        for (ops, scim_type, says) in [
            (
                json!([{"op": "move", "path": "active"}]),
                "invalidSyntax",
                "not an operation",
            ),
            (json!([{"op": "remove"}]), "noTarget", "needs a `path`"),
            (
                json!([{"op": "replace", "path": "id", "value": "x"}]),
                "mutability",
                "`id`",
            ),
            (
                json!([{"op": "add", "path": "groups", "value": []}]),
                "mutability",
                "read-only",
            ),
            (
                json!([{"op": "add", "path": "emails[", "value": 1}]),
                "invalidPath",
                "expected",
            ),
            (
                json!([{"op": "replace", "path": "emails[type eq \"work\" or primary eq true].value", "value": "x"}]),
                "noTarget",
                "matches",
            ),
        ] {
            let e = patch(&mut doc, ops.clone()).expect_err(&ops.to_string());
            assert_eq!(e.scim_type, scim_type, "{ops}: {}", e.detail);
            assert!(e.detail.contains(says), "{ops}: {}", e.detail);
        }
    }
}
