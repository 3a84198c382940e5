//! Talks to the outside through HTTP, so that the tests can drive
//! `connections` as a module uses it.
//!
//! - `GET /api/call?connection=peer&path=/x&header=name:value`: a GET
//!   through a connection; the answer as JSON (`status`, `body`,
//!   `headers`).
//! - `POST /api/call` `{"connection", "method", "path", "body",
//!   "read_first"}`: the same with a body (after reading its records,
//!   when asked).
//! - `POST /api/deliver` `{"connection", "path", "body", "key", "count",
//!   "then_fail"}`: hands `count` requests over for delivery (keys
//!   `key-1`, `key-2`…, or the host's when no key), and fails the call
//!   afterwards when asked (so none must leave).
//! - `GET /api/delivery/{id}`: where a delivery is.
//! - `GET /api/hooks`: every webhook received, oldest first.
//! - `GET /api/credential?key=…`: reads a setting by that key (the
//!   credential is nowhere a module can read).
//!
//! A webhook whose body has `"fail": true` is refused (`unavailable`), so
//! the sender sends it again.

use portico_sdk::connections::{self, DeliveryStatus, Outgoing, Webhook};
use portico_sdk::records::Collection;
use portico_sdk::{
    Context, Error, Method, Module, Page, Request, Response, Result, Table, View, settings,
};
use serde_json::{Value, json};

const HOOKS: Collection = Collection::new("hooks");

struct Courier;

fn answer(r: &connections::Incoming) -> Value {
    json!({
        "status": r.status,
        "body": r.text(),
        "content_type": r.header("content-type"),
        "location": r.header("location"),
    })
}

fn method(name: &str) -> Result<Method> {
    Ok(match name {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        other => return Err(Error::invalid("method", format!("no method `{other}`"))),
    })
}

fn outgoing(v: &Value) -> Result<Outgoing> {
    let mut r = Outgoing::new(
        method(v["method"].as_str().unwrap_or("POST"))?,
        v["path"].as_str().unwrap_or("/"),
    );
    if let Some(headers) = v["headers"].as_object() {
        for (k, val) in headers {
            r = r.header(k.as_str(), val.as_str().unwrap_or_default());
        }
    }
    if let Some(body) = v["body"].as_str() {
        r = r.body("application/json", body.as_bytes().to_vec());
    }
    Ok(r)
}

impl Module for Courier {
    const ID: &'static str = "courier";
    const NAME: &'static str = "Courier";

    fn handle(_ctx: &Context, req: &Request) -> Result<Response> {
        let rest = req.param("rest").unwrap_or_default();
        let body = || -> Result<Value> { Ok(serde_json::from_slice(req.body())?) };
        match (req.method(), rest.split('/').collect::<Vec<_>>().as_slice()) {
            (Method::Get, ["call"]) => {
                let mut r = Outgoing::get(req.query("path").unwrap_or("/"));
                for h in req.query_all("header") {
                    let (k, v) = h.split_once(':').unwrap_or((h, ""));
                    r = r.header(k, v);
                }
                let got = connections::call(req.query("connection").unwrap_or("peer"), &r)?;
                Ok(Response::json(&answer(&got)))
            }
            (Method::Post, ["call"]) => {
                let v = body()?;
                if v["read_first"].as_bool() == Some(true) {
                    // The call's unit of work is open from here on.
                    HOOKS.find().limit(1).fetch::<Value>()?;
                }
                let got =
                    connections::call(v["connection"].as_str().unwrap_or("peer"), &outgoing(&v)?)?;
                Ok(Response::json(&answer(&got)))
            }
            (Method::Post, ["deliver"]) => {
                let v = body()?;
                let connection = v["connection"].as_str().unwrap_or("peer");
                let request = outgoing(&v)?;
                let count = v["count"].as_u64().unwrap_or(1);
                let mut ids = Vec::new();
                for n in 1..=count {
                    let key = v["key"].as_str().map(|k| {
                        if count == 1 {
                            k.to_owned()
                        } else {
                            format!("{k}-{n}")
                        }
                    });
                    ids.push(connections::deliver(connection, &request, key.as_deref())?);
                }
                if v["then_fail"].as_bool() == Some(true) {
                    return Err(Error::Unavailable(
                        "failing after handing over, as asked".into(),
                    ));
                }
                Ok(Response::json(&json!({ "ids": ids })))
            }
            (Method::Get, ["delivery", id]) => {
                let id = id
                    .parse()
                    .map_err(|_| Error::invalid("id", "is not a number"))?;
                let d = connections::delivery(id)?;
                Ok(Response::json(&json!({
                    "id": d.id,
                    "key": d.key,
                    "status": match d.status {
                        DeliveryStatus::Waiting => "waiting",
                        DeliveryStatus::Delivered => "delivered",
                        DeliveryStatus::Dead => "dead",
                    },
                    "attempts": d.attempts,
                    "last_error": d.last_error,
                    "delivered_at": d.delivered_at,
                })))
            }
            (Method::Get, ["hooks"]) => {
                let all: Vec<Value> = HOOKS
                    .find()
                    .fetch_all::<Value>(500)?
                    .into_iter()
                    .map(|d| d.data)
                    .collect();
                Ok(Response::json(&Value::Array(all)))
            }
            (Method::Get, ["credential"]) => {
                let value = settings::get(req.query("key").unwrap_or("connections.peer"))?;
                Ok(Response::json(&json!({ "value": value })))
            }
            _ => Err(Error::not_found(format!("no API at {rest}"))),
        }
    }

    fn render(_ctx: &Context, _page: &Page) -> Result<View> {
        let mut table = Table::new("Webhooks received").column("Id").column("Body");
        for r in HOOKS.find().newest_first().fetch::<Value>()?.documents {
            table = table.row([
                r.data["id"].as_str().unwrap_or_default().to_owned(),
                r.data["body"].as_str().unwrap_or_default().to_owned(),
            ]);
        }
        Ok(View::new("Courier").table(table))
    }

    fn on_webhook(_ctx: &Context, hook: &Webhook) -> Result<()> {
        let body: Value = hook.json()?;
        HOOKS.insert(&json!({
            "id": hook.id,
            "connection": hook.connection,
            "sent_at": hook.sent_at,
            "event": hook.header("x-event"),
            "body": hook.text(),
        }))?;
        if body["fail"].as_bool() == Some(true) {
            // After the insert: the insert must not be kept.
            return Err(Error::Unavailable("refusing this one, as asked".into()));
        }
        Ok(())
    }
}

portico_sdk::export!(Courier);
