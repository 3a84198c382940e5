//! What a list or a search asks for (RFC 7644 §3.4.2): the filter, the
//! sort, the page and the attributes to return or leave out, read from a
//! query or a search body; and the list response they make of every
//! resource's JSON.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::filter::{self, AttrPath, get_ci};
use super::schema::{self, Resource};
use super::{ScimError, scim_json};

/// The query of a list or search: filter, sort, page, attributes.
#[derive(Default)]
pub(super) struct Listing {
    filter: Option<filter::Filter>,
    sort_by: Option<AttrPath>,
    descending: bool,
    start: usize,
    count: usize,
    projection: Projection,
}

#[derive(Default)]
pub(super) struct Projection {
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

    pub(super) fn from_query(q: &BTreeMap<String, String>) -> Result<Listing, ScimError> {
        Listing::read(&|name: &str| query_param(q, name))
    }

    pub(super) fn from_search(body: &Value) -> Result<Listing, ScimError> {
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
    pub(super) fn respond(&self, mut docs: Vec<Value>) -> Response {
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

    pub(super) fn from_query(q: &BTreeMap<String, String>) -> Result<Projection, ScimError> {
        Projection::read(&|name: &str| query_param(q, name))
    }

    /// Keeps the attributes asked for (`id` and `schemas` always) and
    /// drops the excluded ones.
    pub(super) fn apply(&self, doc: Value) -> Value {
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
