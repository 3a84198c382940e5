//! Reads the organization tree and sends messages along it, through HTTP,
//! so the tests can walk `orgs` and `messages` as a module uses them.
//!
//! - `GET /api/line?kind=organization&category=school`: the caller's
//!   organization, those above it and those below it (filtered).
//! - `GET /api/orgs/{id}`: one organization of the line.
//! - `POST /api/send` `{"to": …, "kind": …, "payload": …, "then_fail": bool}`:
//!   sends one message, and fails the call afterwards when asked (so the
//!   message must not leave).
//! - `POST /api/send-many` `{"to": [...], "count": n}`: `count` messages to
//!   each organization, numbered.
//! - `GET /api/received`: every message received here, oldest first.

use portico_sdk::orgs::{self, Kind, Organization};
use portico_sdk::records::Collection;
use portico_sdk::{
    Context, Error, Message, Method, Module, Request, Response, Result, messages, settings,
};
use serde_json::{Value, json};

const RECEIVED: Collection = Collection::new("received");
const SENT: Collection = Collection::new("sent");

struct Relay;

fn org_json(o: &Organization) -> Value {
    json!({
        "id": o.id,
        "name": o.name,
        "kind": match o.kind {
            Kind::Region => "region",
            Kind::City => "city",
            Kind::Organization => "organization",
            Kind::Unit => "unit",
        },
        "category": o.category,
        "ico": o.ico,
        "address": o.address,
        "parent": o.parent,
        "module_enabled": o.module_enabled,
    })
}

fn list(orgs: &[Organization]) -> Value {
    Value::Array(orgs.iter().map(org_json).collect())
}

fn body(req: &Request) -> Result<Value> {
    serde_json::from_slice(req.body()).map_err(|e| Error::invalid("body", e.to_string()))
}

fn text(v: &Value, field: &str) -> Result<String> {
    v[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid(field, "is required"))
}

impl Module for Relay {
    const ID: &'static str = "relay";
    const NAME: &'static str = "Relay";

    fn handle(_ctx: &Context, req: &Request) -> Result<Response> {
        let rest = req.param("rest").unwrap_or_default();
        match (req.method(), rest.split('/').collect::<Vec<_>>().as_slice()) {
            (Method::Get, ["line"]) => {
                let kind = match req.query("kind") {
                    None => None,
                    Some("region") => Some(Kind::Region),
                    Some("city") => Some(Kind::City),
                    Some("organization") => Some(Kind::Organization),
                    Some("unit") => Some(Kind::Unit),
                    Some(other) => {
                        return Err(Error::invalid("kind", format!("no kind `{other}`")));
                    }
                };
                Ok(Response::json(&json!({
                    "current": org_json(&orgs::current()?),
                    "ancestors": list(&orgs::ancestors()?),
                    "descendants": list(&orgs::descendants(kind, req.query("category"))?),
                })))
            }
            (Method::Get, ["orgs", id]) => Ok(Response::json(&org_json(&orgs::get(id)?))),
            (Method::Get, ["received"]) => {
                let all: Vec<Value> = RECEIVED
                    .find()
                    .sort("message")
                    .fetch_all::<Value>(100_000)?
                    .into_iter()
                    .map(|d| d.data)
                    .collect();
                Ok(Response::json(&all))
            }
            (Method::Post, ["send"]) => {
                let b = body(req)?;
                let id = messages::send(&text(&b, "to")?, &text(&b, "kind")?, &b["payload"])?;
                SENT.insert(&json!({ "message": id }))?;
                if b["then_fail"].as_bool() == Some(true) {
                    return Err(Error::Conflict("failing after sending, as asked".into()));
                }
                Ok(Response::json(&json!({ "id": id })))
            }
            (Method::Post, ["send-many"]) => {
                let b = body(req)?;
                let count = b["count"].as_u64().unwrap_or(1);
                let mut ids = Vec::new();
                for to in b["to"].as_array().into_iter().flatten() {
                    let to = to
                        .as_str()
                        .ok_or_else(|| Error::invalid("to", "a list of ids"))?;
                    for n in 0..count {
                        ids.push(messages::send(to, "relay.numbered", &json!({ "n": n }))?);
                    }
                }
                Ok(Response::json(&json!({ "ids": ids })))
            }
            _ => Err(Error::not_found(format!("no API at {}", req.path()))),
        }
    }

    fn on_message(_ctx: &Context, message: &Message) -> Result<()> {
        let refused = settings::get("refuse-kind")?.unwrap_or_default();
        if !refused.is_empty() && refused == message.kind {
            return Err(Error::Unavailable(format!(
                "this organization refuses {} messages for now",
                message.kind
            )));
        }
        let payload: Value = message.payload()?;
        RECEIVED.insert(&json!({
                "message": message.id,
                "from": message.from_org,
                "kind": message.kind,
                "sent_at": message.sent_at,
                "payload": payload,
        }))?;
        Ok(())
    }
}

portico_sdk::export!(Relay);
