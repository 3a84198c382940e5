//! Open311 GeoReport v2 (<https://wiki.open311.org/GeoReport_v2>): the
//! service list and definitions, and service requests read and posted, in
//! JSON or XML after the resource's extension, with the spec's field names
//! and its error format (`[{"code":…,"description":…}]`,
//! `<errors><error>…</error></errors>`).
//!
//! One value is built for each answer and written in either format, so the
//! two never differ.

use chrono::{DateTime, Duration, Utc};
use portico_sdk::records::{Document, Filters, Find};
use portico_sdk::{Context, Method, Request, Response};
use quick_xml::Writer;
use quick_xml::events::BytesText;
use serde_json::{Value, json};

use crate::model::{self, Category, Contact, Draft, REPORTS, Report};

/// The format an answer is written in.
#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Xml,
}

/// An Open311 error: its HTTP status and description.
struct Problem(u16, String);

fn problem(status: u16, description: impl Into<String>) -> Vec<Problem> {
    vec![Problem(status, description.into())]
}

pub fn handle(ctx: &Context, req: &Request) -> Response {
    let last = req
        .param("resource")
        .or_else(|| req.param("code"))
        .or_else(|| req.param("id"))
        .unwrap_or_default();
    let (name, format) = match last.rsplit_once('.') {
        Some((name, "json")) => (name, Format::Json),
        Some((name, "xml")) => (name, Format::Xml),
        _ => {
            return errors(
                Format::Json,
                problem(
                    404,
                    format!("`{last}` is not an Open311 resource: add `.json` or `.xml`"),
                ),
            );
        }
    };
    if let Some(j) = req
        .query("jurisdiction_id")
        .filter(|j| !j.is_empty() && *j != ctx.org_id())
    {
        return errors(
            format,
            problem(
                404,
                format!(
                    "jurisdiction_id `{j}` is not served here; this endpoint serves `{}`",
                    ctx.org_id()
                ),
            ),
        );
    }
    let answer = match (req.pattern(), name, req.method()) {
        ("/open311/v2/{resource}", "services", Method::Get) => services(),
        ("/open311/v2/services/{code}", code, Method::Get) => definition(code),
        ("/open311/v2/{resource}", "requests", Method::Get) => requests(req),
        ("/open311/v2/{resource}", "requests", Method::Post) => post(ctx, req),
        ("/open311/v2/requests/{id}", id, Method::Get) => request(id),
        ("/open311/v2/{resource}", "services" | "requests", m) => {
            Err(problem(405, format!("{m:?} is not allowed here")))
        }
        _ => Err(problem(
            404,
            format!("there is no Open311 resource `{last}`"),
        )),
    };
    match answer {
        Ok((status, root, value)) => {
            let body = match format {
                Format::Json => serde_json::to_vec(&value).unwrap_or_default(),
                Format::Xml => xml(root, &value),
            };
            Response::new(status)
                .header("content-type", content_type(format))
                .body(body)
        }
        Err(e) => errors(format, e),
    }
}

fn content_type(format: Format) -> &'static str {
    match format {
        Format::Json => "application/json; charset=utf-8",
        Format::Xml => "text/xml; charset=utf-8",
    }
}

/// An answer: its status, the XML root element and the value.
type Answer = Result<(u16, &'static str, Value), Vec<Problem>>;

fn internal(e: portico_sdk::Error) -> Vec<Problem> {
    portico_sdk::log::error(format!("open311: {e}"));
    problem(500, "the service failed; try again later")
}

fn services() -> Answer {
    let list: Vec<Value> = model::categories()
        .map_err(internal)?
        .iter()
        .map(|c| {
            json!({
                "service_code": c.code,
                "service_name": c.name,
                "description": c.description,
                "metadata": !c.attributes.is_empty(),
                "type": "realtime",
                "keywords": c.keywords,
                "group": c.group,
            })
        })
        .collect();
    Ok((200, "services", Value::Array(list)))
}

fn definition(code: &str) -> Answer {
    let category = find_category(code)?;
    let attributes: Vec<Value> = category
        .attributes
        .iter()
        .enumerate()
        .map(|(i, a)| {
            json!({
                "variable": true,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": Value::Null,
                "order": i + 1,
                "description": a.description,
                "values": a.values.iter().map(|(k, n)| json!({ "key": k, "name": n })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok((
        200,
        "service_definition",
        json!({ "service_code": category.code, "attributes": attributes }),
    ))
}

fn find_category(code: &str) -> Result<Category, Vec<Problem>> {
    match model::category(code) {
        Ok(c) => Ok(c.data),
        Err(portico_sdk::Error::NotFound(_)) => {
            Err(problem(404, format!("service_code `{code}` was not found")))
        }
        Err(e) => Err(internal(e)),
    }
}

/// A request as Open311 shows it: nothing personal.
fn shown(doc: &Document<Report>, categories: &[Category]) -> Value {
    let r = &doc.data;
    let expected = format!("{}T23:59:59Z", r.deadline);
    json!({
        "service_request_id": doc.id,
        "status": if r.is_open() { "open" } else { "closed" },
        "status_notes": r.public_note(),
        "service_name": model::category_name(categories, &r.category, false),
        "service_code": r.category,
        "description": r.description,
        "agency_responsible": r.unit,
        "service_notice": Value::Null,
        "requested_datetime": r.requested,
        "updated_datetime": r.updated,
        "expected_datetime": expected,
        "address": r.address,
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": r.lat,
        "long": r.long,
        "media_url": if r.media_url.is_empty() { Value::Null } else { Value::from(r.media_url.clone()) },
    })
}

/// The most requests one answer lists, as the spec has it.
const MOST_REQUESTS: usize = 1000;

/// The most service codes one query names: each is a walk of the store.
const MOST_CODES: usize = 20;

/// `requests.json`: by ids, or by service codes, status and dates (by
/// default the last 90 days), newest first, at most 1000. The codes,
/// the status and the dates are filters in the store.
fn requests(req: &Request) -> Answer {
    let categories = model::categories().map_err(internal)?;
    let list = |name: &str| -> Vec<String> {
        let mut values: Vec<String> = req
            .query(name)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        // Within the bounds checked below, each named once.
        if values.len() <= MOST_REQUESTS {
            let mut seen: Vec<String> = Vec::new();
            values.retain(|v| {
                let new = !seen.contains(v);
                if new {
                    seen.push(v.clone());
                }
                new
            });
        }
        values
    };
    let ids = list("service_request_id");
    if !ids.is_empty() {
        if ids.len() > MOST_REQUESTS {
            return Err(problem(
                400,
                format!("service_request_id names at most {MOST_REQUESTS} requests"),
            ));
        }
        let found: Vec<Value> = ids
            .iter()
            .filter_map(|id| REPORTS.get::<Report>(id).ok())
            .map(|d| shown(&d, &categories))
            .collect();
        return Ok((200, "service_requests", Value::Array(found)));
    }
    let date = |name: &str| -> Result<Option<DateTime<Utc>>, Vec<Problem>> {
        match req.query(name).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => DateTime::parse_from_rfc3339(s)
                .map(|d| Some(d.with_timezone(&Utc)))
                .map_err(|_| {
                    problem(
                        400,
                        format!("{name} `{s}` is not a date and time such as 2026-01-01T00:00:00Z"),
                    )
                }),
        }
    };
    let (start, end) = (date("start_date")?, date("end_date")?);
    let end = end.unwrap_or_else(Utc::now);
    let start = start.unwrap_or(end - Duration::days(90));
    if start > end {
        return Err(problem(400, "start_date is after end_date"));
    }
    if end - start > Duration::days(90) {
        return Err(problem(
            400,
            "start_date and end_date may be at most 90 days apart",
        ));
    }
    let codes = list("service_code");
    if codes.len() > MOST_CODES {
        return Err(problem(
            400,
            format!("service_code names at most {MOST_CODES} services at once"),
        ));
    }
    let statuses = list("status");
    if let Some(s) = statuses.iter().find(|s| *s != "open" && *s != "closed") {
        return Err(problem(
            400,
            format!("status `{s}` is neither `open` nor `closed`"),
        ));
    }
    // Reports are stamped to the second: a start within a second begins
    // at the next whole one.
    let first = start.timestamp() + i64::from(start.timestamp_subsec_nanos() > 0);
    let mut find = REPORTS
        .find()
        .ge("filed", first)
        .le("filed", end.timestamp())
        .sort_desc("filed");
    if let [only] = &statuses[..] {
        find = find.eq("open", u8::from(only == "open"));
    }
    // Newest first across the codes asked for: each code's newest, merged.
    let mut all: Vec<Document<Report>> = Vec::new();
    if codes.is_empty() {
        all = newest(find)?;
    } else {
        for code in &codes {
            all.extend(newest(find.clone().eq("category", code))?);
        }
        all.sort_by_key(|d| std::cmp::Reverse(d.data.filed));
        all.truncate(MOST_REQUESTS);
    }
    let found: Vec<Value> = all.iter().map(|d| shown(d, &categories)).collect();
    Ok((200, "service_requests", Value::Array(found)))
}

/// The first [`MOST_REQUESTS`] reports `find` finds, a page of the store at a time.
fn newest(find: Find) -> Result<Vec<Document<Report>>, Vec<Problem>> {
    find.fetch_all(MOST_REQUESTS).map_err(internal)
}

fn request(id: &str) -> Answer {
    let categories = model::categories().map_err(internal)?;
    match REPORTS.get::<Report>(id) {
        Ok(d) => Ok((
            200,
            "service_requests",
            Value::Array(vec![shown(&d, &categories)]),
        )),
        Err(portico_sdk::Error::NotFound(_)) => Err(problem(
            404,
            format!("service_request_id `{id}` was not found"),
        )),
        Err(e) => Err(internal(e)),
    }
}

/// `POST requests.json`: a new request from another system, with an API
/// token holding `complaints.open311` as `api_key`.
fn post(ctx: &Context, req: &Request) -> Answer {
    if !ctx.principal().is_some_and(|p| p.has_permission("open311")) {
        return Err(problem(
            403,
            "api_key is missing or not valid: posting a request takes an API token with the permission complaints.open311",
        ));
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(req.body()).into_owned().collect();
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let code = get("service_code");
    if code.is_empty() {
        return Err(problem(400, "service_code is required"));
    }
    let category = find_category(&code)?;
    let mut attributes: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in &form {
        let Some(code) = k
            .strip_prefix("attribute[")
            .and_then(|r| r.strip_suffix(']'))
        else {
            continue;
        };
        let code = code.trim_end_matches("][").to_owned();
        match attributes.iter_mut().find(|(c, _)| *c == code) {
            Some((_, values)) => values.push(v.clone()),
            None => attributes.push((code, vec![v.clone()])),
        }
    }
    let mut address = get("address_string");
    if address.is_empty() {
        address = get("address_id");
    }
    let name = [get("first_name"), get("last_name")]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let draft = Draft {
        category: &category,
        description: get("description"),
        address,
        lat: get("lat"),
        long: get("long"),
        attributes,
        contact: Contact {
            name,
            email: get("email"),
            phone: get("phone"),
        },
        media_url: get("media_url"),
        photo: None,
    };
    let by = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    let report = draft.check(&by, "open311", true).map_err(|errors| {
        errors
            .into_iter()
            .map(|(field, message)| {
                let field = match field.as_str() {
                    "address" => "address_string, lat and long".to_owned(),
                    other => other.to_owned(),
                };
                Problem(400, format!("{field}: {message}"))
            })
            .collect::<Vec<_>>()
    })?;
    let mut report = report;
    let stored = model::file(&mut report, None, &category, true).map_err(internal)?;
    Ok((
        201,
        "service_requests",
        json!([{
            "service_request_id": stored.id,
            "service_notice": format!("{} will deal with it by {}.", report.unit, report.deadline),
            "account_id": Value::Null,
        }]),
    ))
}

fn errors(format: Format, problems: Vec<Problem>) -> Response {
    let status = problems.first().map_or(400, |p| p.0);
    let value = Value::Array(
        problems
            .iter()
            .map(|p| json!({ "code": p.0, "description": p.1 }))
            .collect(),
    );
    let body = match format {
        Format::Json => serde_json::to_vec(&value).unwrap_or_default(),
        Format::Xml => xml("errors", &value),
    };
    Response::new(status)
        .header("content-type", content_type(format))
        .body(body)
}

/// The element name of one item of a list in `parent`, as the spec's XML
/// names them.
fn item_name(parent: &str) -> &str {
    match parent {
        "services" => "service",
        "service_requests" => "request",
        "errors" => "error",
        "attributes" => "attribute",
        "values" => "value",
        other => other,
    }
}

/// Writes `value` as Open311's XML under `root`.
fn xml(root: &str, value: &Value) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    let _ = w.write_event(quick_xml::events::Event::Decl(
        quick_xml::events::BytesDecl::new("1.0", Some("utf-8"), None),
    ));
    let _ = element(&mut w, root, value);
    w.into_inner()
}

fn element(w: &mut Writer<Vec<u8>>, name: &str, value: &Value) -> std::io::Result<()> {
    let start = w.create_element(name);
    match value {
        Value::Null => {
            start.write_empty()?;
        }
        Value::Array(items) => {
            start.write_inner_content(|w| {
                for item in items {
                    element(w, item_name(name), item)?;
                }
                Ok(())
            })?;
        }
        Value::Object(fields) => {
            start.write_inner_content(|w| {
                for (k, v) in fields {
                    element(w, k, v)?;
                }
                Ok(())
            })?;
        }
        Value::String(s) => {
            start.write_text_content(BytesText::new(s))?;
        }
        other => {
            start.write_text_content(BytesText::new(&other.to_string()))?;
        }
    }
    Ok(())
}
