//! Uses every data service the host offers, through plain HTTP routes, so
//! the tests can drive the record store, the audit chain, events, jobs,
//! notifications and files from outside, and try to cross from one
//! organization into another.

use portico_sdk::files::{self, FileInfo, Mark};
use portico_sdk::notify::{self, Status, To};
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{
    Context, Error, Event, Field, Form, FormPost, Method, Module, Outcome, Page, Request, Response,
    Result, Table, View, audit, events,
};
use serde_json::{Value, json};

const ENTRIES: Collection = Collection::new("entries");
const SEEN: Collection = Collection::new("seen");
const TICKS: Collection = Collection::new("ticks");

struct Ledger;

fn doc_json(d: &Document<Value>) -> Value {
    json!({ "id": d.id, "version": d.version, "data": d.data, "created_at": d.created_at })
}

fn body_json(req: &Request) -> Result<Value> {
    serde_json::from_slice(req.body()).map_err(|e| Error::invalid("body", e.to_string()))
}

fn version(req: &Request) -> Result<u64> {
    req.query("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Error::invalid("version", "give ?version=N"))
}

/// `GET /api/find/{collection}?f=field,op,value&sort=..&desc=1&limit=..&cursor=..`
fn find(req: &Request, collection: &'static str) -> Result<Response> {
    let mut q = Collection::new(collection).find();
    for f in req.query_all("f") {
        let mut parts = f.splitn(3, ',');
        let (field, op, value) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        q = match op {
            "eq" => q.eq(field, value),
            "lt" => q.lt(field, value),
            "le" => q.le(field, value),
            "gt" => q.gt(field, value),
            "ge" => q.ge(field, value),
            "prefix" => q.prefix(field, value),
            other => return Err(Error::invalid("f", format!("no operator {other}"))),
        };
    }
    if let Some(field) = req.query("sort") {
        q = if req.query("desc").is_some() {
            q.sort_desc(field)
        } else {
            q.sort(field)
        };
    } else if req.query("desc").is_some() {
        q = q.newest_first();
    }
    if let Some(limit) = req.query("limit").and_then(|l| l.parse().ok()) {
        q = q.limit(limit);
    }
    let found = q
        .after(req.query("cursor").map(str::to_owned))
        .fetch::<Value>()?;
    let docs: Vec<Value> = found.documents.iter().map(doc_json).collect();
    Ok(Response::json(
        &json!({ "documents": docs, "next": found.next_cursor }),
    ))
}

/// Only the collection names the manifest declares can be named at all;
/// anything else is passed through to show that the host refuses it.
fn collection(name: &str) -> &'static str {
    match name {
        "entries" => "entries",
        "seen" => "seen",
        "ticks" => "ticks",
        _ => Box::leak(name.to_owned().into_boxed_str()),
    }
}

fn add_entry(data: &Value) -> Result<Document<Value>> {
    let doc = ENTRIES.insert(data)?;
    events::publish(
        "ledger.entry-added",
        &json!({ "id": doc.id, "fail": data.get("fail_event") }),
    )?;
    audit::append(
        "ledger.add",
        &format!("entries/{}", doc.id),
        &json!({ "by": "api" }),
    )?;
    Ok(doc)
}

fn file_json(f: &FileInfo) -> Value {
    let mark = match f.mark {
        Mark::A => "A",
        Mark::S => "S",
        Mark::V => "V",
    };
    json!({
        "id": f.id, "name": f.name, "media_type": f.media_type, "size": f.size,
        "sha256": f.sha256, "mark": mark, "keep_until": f.keep_until,
    })
}

/// `POST /api/notify` with `{"to": {"email": "…"}, "template": "…", "data": {…}}`.
fn send(req: &Request) -> Result<Response> {
    let body = body_json(req)?;
    let to = &body["to"];
    let text = |k: &str| to.get(k).and_then(Value::as_str);
    let to = match (text("user"), text("email"), text("phone")) {
        (Some(u), _, _) => To::User(u),
        (_, Some(e), _) => To::Email(e),
        (_, _, Some(p)) => To::Phone(p),
        _ => return Err(Error::invalid("to", "give user, email or phone")),
    };
    let template = body["template"].as_str().unwrap_or("receipt");
    let id = notify::send(to, template, &body["data"])?;
    Ok(Response::json(&json!({ "id": id })).status(201))
}

/// `POST /api/files?name=…&type=…&mark=A|S|V&years=N` with the content as body.
fn store_file(req: &Request) -> Result<Response> {
    let mark = match req.query("mark").unwrap_or("S") {
        "A" => Mark::A,
        "V" => Mark::V,
        _ => Mark::S,
    };
    let years = req.query("years").and_then(|y| y.parse().ok()).unwrap_or(5);
    let info = files::store(
        req.query("name").unwrap_or("file.bin"),
        req.query("type").unwrap_or("application/octet-stream"),
        req.body(),
        mark,
        years,
    )?;
    Ok(Response::json(&file_json(&info)).status(201))
}

impl Module for Ledger {
    const ID: &'static str = "ledger";
    const NAME: &'static str = "Ledger";

    fn render(_ctx: &Context, page: &Page) -> Result<View> {
        if page.pattern() == "/entries/{id}" {
            // A staff page: the portal's search links entries here.
            let entry = ENTRIES.get::<Value>(page.param("id").unwrap_or_default())?;
            return Ok(View::new(entry.data["title"].as_str().unwrap_or_default())
                .key_values([("Kind", entry.data["kind"].as_str().unwrap_or_default())]));
        }
        let found = ENTRIES.find().newest_first().limit(20).fetch::<Value>()?;
        let mut table = Table::new("Entries")
            .column("Title")
            .column("Kind")
            .empty_text("No entries yet.");
        for d in &found.documents {
            table = table.row([
                d.data["title"].as_str().unwrap_or_default(),
                d.data["kind"].as_str().unwrap_or_default(),
            ]);
        }
        Ok(View::new("Ledger").table(table).form(
            Form::new("/", "Add")
                .field(Field::text("title", "Title").required())
                .field(Field::text("kind", "Kind")),
        ))
    }

    fn submit(_ctx: &Context, form: &FormPost) -> Result<Outcome> {
        let title = form.get("title").unwrap_or_default();
        let kind = form.get("kind").unwrap_or_default();
        add_entry(&json!({ "title": title, "kind": kind }))?;
        Ok(Outcome::redirect_with("/", "Entry added."))
    }

    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        let path = req
            .path()
            .trim_start_matches("/api/")
            .trim_start_matches("/staff/")
            .trim_start_matches("/mine/");
        let segments: Vec<&str> = path.split('/').collect();
        match (req.method(), segments.as_slice()) {
            (Method::Get, ["whoami"]) => Ok(Response::json(&match ctx.principal() {
                None => Value::Null,
                Some(p) => json!({
                    "user_id": p.user_id(),
                    "name": p.name(),
                    "roles": p.roles(),
                    "permissions": p.permissions(),
                    "assurance": format!("{:?}", p.assurance()),
                    "claims": p.claims().iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
                }),
            })),
            (Method::Post, ["entries"]) => {
                let doc = add_entry(&body_json(req)?)?;
                Ok(Response::json(&doc_json(&doc)).status(201))
            }
            (Method::Get, ["entries", id]) => Ok(Response::json(&doc_json(&ENTRIES.get(id)?))),
            (Method::Put, ["entries", id]) => {
                let doc = ENTRIES.update(id, version(req)?, &body_json(req)?)?;
                Ok(Response::json(&doc_json(&doc)))
            }
            (Method::Delete, ["entries", id]) => {
                ENTRIES.delete(id, version(req)?)?;
                Ok(Response::new(204))
            }
            (Method::Get, ["find", name]) => find(req, collection(name)),
            (Method::Post, ["raw", name]) => {
                // The body goes to the host as it came, malformed or not.
                let body = String::from_utf8_lossy(req.body());
                let doc = Collection::new(collection(name)).insert_json(&body)?;
                Ok(Response::json(&doc_json(&doc)).status(201))
            }
            (Method::Get, ["report"]) => {
                let mut agg = ENTRIES.count_by(req.query("by").unwrap_or("kind"));
                if let Some(sum) = req.query("sum") {
                    agg = agg.sum(sum);
                }
                let groups: Vec<Value> = agg
                    .fetch()?
                    .into_iter()
                    .map(|g| json!({ "key": g.key, "count": g.count, "sum": g.sum }))
                    .collect();
                Ok(Response::json(&groups))
            }
            (Method::Post, ["fail-after-write"]) => {
                add_entry(&body_json(req)?)?;
                Err(Error::Unavailable("failed on purpose after writing".into()))
            }
            (Method::Post, ["trap-after-write"]) => {
                add_entry(&body_json(req)?)?;
                panic!("trapped on purpose after writing");
            }
            (Method::Get, ["write-in-get"]) => {
                add_entry(&json!({ "title": "from a GET" }))?;
                Ok(Response::new(204))
            }
            (Method::Post, ["notify"]) => send(req),
            (Method::Get, ["notify", id]) => {
                let d = notify::status(id)?;
                let status = match d.status {
                    Status::Queued => "queued",
                    Status::Sent => "sent",
                    Status::Delivered => "delivered",
                    Status::Failed => "failed",
                };
                Ok(Response::json(&json!({
                    "status": status, "attempts": d.attempts, "last_error": d.last_error,
                    "sent_at": d.sent_at, "read_at": d.read_at,
                })))
            }
            (Method::Post, ["files"]) => store_file(req),
            (Method::Get, ["files", id]) => {
                let info = files::info(id)?;
                Ok(Response::new(200)
                    .header("content-type", info.media_type)
                    .body(files::read(id)?))
            }
            (Method::Get, ["files", id, "info"]) => {
                Ok(Response::json(&file_json(&files::info(id)?)))
            }
            (Method::Delete, ["files", id]) => {
                files::delete(id)?;
                Ok(Response::new(204))
            }
            (Method::Post, ["publish", topic]) => {
                events::publish(topic, &json!({}))?;
                Ok(Response::new(204))
            }
            _ => Err(Error::not_found(format!("no API at {}", req.path()))),
        }
    }

    fn on_event(_ctx: &Context, event: &Event) -> Result<()> {
        let payload: Value = event.payload()?;
        if payload["fail"].as_bool() == Some(true) {
            return Err(Error::Unavailable("this event fails on purpose".into()));
        }
        SEEN.insert(&json!({ "event": event.id, "entry": payload["id"], "source": event.source }))?;
        Ok(())
    }

    fn run_job(_ctx: &Context, job: &str) -> Result<()> {
        match job {
            "tick" => {
                TICKS.insert(&json!({ "tick": true }))?;
                Ok(())
            }
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }
}

portico_sdk::export!(Ledger);
