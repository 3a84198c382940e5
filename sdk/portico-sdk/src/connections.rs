//! Systems outside the portal: the filing service, an agenda system, the
//! rescue system. The module declares each connection it needs in its
//! manifest; an administrator sets it up per organization (where the
//! system is, and the credential, which the host adds and the module never
//! sees). Needs `connections` in the manifest's `capabilities`.
//!
//! ```toml
//! capabilities = ["connections"]
//!
//! [[connections]]
//! name = "rescue"
//! kind = "http"
//! purpose = "Road-condition alerts to the integrated rescue system"
//!
//! [[connections]]
//! name = "weather-hook"
//! kind = "webhook"
//! purpose = "Warnings the weather service pushes"
//!
//! [translations.cs.connections]
//! rescue = "Výstrahy o sjízdnosti pro integrovaný záchranný systém"
//! weather-hook = "Výstrahy, které posílá meteorologická služba"
//! ```
//!
//! [`call`] sends a request now and gives the answer; [`deliver`] hands
//! it to the host, which sends it with the call's other writes kept, and
//! again until the system acknowledges it, in order.
//!
//! ```no_run
//! # fn f() -> portico_sdk::Result<()> {
//! use portico_sdk::connections::{self, Outgoing};
//! let feed = connections::call("weather", &Outgoing::get("/cap/alerts.xml"))?;
//! if feed.is_success() {
//!     let xml = feed.text();
//!     # let _ = xml;
//! }
//! let cap = "<alert>…</alert>";
//! let id = connections::deliver(
//!     "rescue",
//!     &Outgoing::post("/alerts").body("application/cap+xml", cap),
//!     Some("cz-ksus-2026-0042"),
//! )?;
//! # let _ = id;
//! # Ok(()) }
//! ```
//!
//! A webhook connection gives the module an address
//! (`/o/<org>/hooks/<module>/<connection>`); what a system sends there,
//! signed by the connection's secret (Standard Webhooks), reaches
//! [`Module::on_webhook`](crate::Module::on_webhook).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::wit::portico::plugin0_1_0::types::Method as WitMethod;
use crate::wit::portico::plugin0_5_0::{connections, types as wit};
use crate::{Error, Method, Result};

/// A request to an outside system, built with [`Outgoing::get`],
/// [`Outgoing::post`] and their kin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Outgoing {
    /// A request with `method` to `path`, below the connection's base
    /// address (`/alerts` under `https://peer.example/api` is
    /// `https://peer.example/api/alerts`).
    pub fn new(method: Method, path: impl Into<String>) -> Outgoing {
        Outgoing {
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A GET of `path`.
    pub fn get(path: impl Into<String>) -> Outgoing {
        Outgoing::new(Method::Get, path)
    }

    /// A POST to `path`.
    pub fn post(path: impl Into<String>) -> Outgoing {
        Outgoing::new(Method::Post, path)
    }

    /// A PUT to `path`.
    pub fn put(path: impl Into<String>) -> Outgoing {
        Outgoing::new(Method::Put, path)
    }

    /// A DELETE of `path`.
    pub fn delete(path: impl Into<String>) -> Outgoing {
        Outgoing::new(Method::Delete, path)
    }

    /// Adds a query parameter (the host encodes it).
    #[must_use]
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Outgoing {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a header. The host sets the credential: `authorization` and
    /// its kin are refused.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Outgoing {
        self.headers
            .push((name.into().to_ascii_lowercase(), value.into()));
        self
    }

    /// The body, with its media type.
    #[must_use]
    pub fn body(self, media_type: &str, body: impl Into<Vec<u8>>) -> Outgoing {
        let mut r = self.header("content-type", media_type);
        r.body = body.into();
        r
    }

    /// `value` as the JSON body.
    pub fn json<T: Serialize>(self, value: &T) -> Result<Outgoing> {
        let json = serde_json::to_vec(value)
            .map_err(|e| Error::internal(format!("cannot encode the body: {e}")))?;
        Ok(self.body("application/json", json))
    }

    fn into_wit(self) -> wit::OutgoingRequest {
        wit::OutgoingRequest {
            method: match self.method {
                Method::Get => WitMethod::Get,
                Method::Head => WitMethod::Head,
                Method::Post => WitMethod::Post,
                Method::Put => WitMethod::Put,
                Method::Patch => WitMethod::Patch,
                Method::Delete => WitMethod::Delete,
                Method::Options => WitMethod::Options,
            },
            path: self.path,
            query: self.query,
            headers: self.headers,
            body: self.body,
        }
    }
}

/// What an outside system answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The HTTP status.
    pub status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Incoming {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header of the answer (names are lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::lookup(&self.headers, &name.to_ascii_lowercase())
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::Unavailable(format!(
                "the system's answer (HTTP {}) is not the JSON expected: {e}",
                self.status
            ))
        })
    }
}

/// Sends `request` through `connection` now and gives the answer, whatever
/// its status. The host adds the credential, and audits the request.
///
/// Fails with `forbidden` for a connection the manifest does not declare
/// or that is not set up in the organization, and for a path that would
/// leave the connection's base address (each audited); `unavailable` when
/// the system cannot be reached, does not answer within the connection's
/// timeout, answers more than its cap, or the rate limit is reached. A page
/// or a GET request, which only read, may only GET or HEAD. A call that
/// may write calls out before its first data operation (records, audit,
/// events…): after it, and in `on_webhook`, `call` is a `conflict`, since
/// waiting for another system would hold the portal's data for everyone;
/// hand the request over with [`deliver`] instead.
pub fn call(connection: &str, request: &Outgoing) -> Result<Incoming> {
    let r = connections::call(connection, &request.clone().into_wit())?;
    Ok(Incoming {
        status: r.status,
        headers: r.headers,
        body: r.body,
    })
}

/// Hands `request` to the host for delivery through `connection`, with
/// the call's other writes (a call that fails hands over nothing). The
/// host sends it, and again with a growing pause (up to an hour) until the
/// system answers 2xx; the deliveries of a connection go one at a time,
/// in the order they were handed over. One the system refuses for good (a
/// 4xx but 408, 425 and 429), or that fails for about a day, is dead: an
/// administrator sees it in the console and can send it again, and those
/// after it go on. Every attempt carries `idempotency-key`: `key` (e.g.
/// the identifier of what is sent), or one the host makes; make it unique
/// at the receiving system, which may hear from several organizations. A
/// `key` handed over before through this connection gives that
/// delivery's id and sends nothing more. Returns the id.
pub fn deliver(connection: &str, request: &Outgoing, key: Option<&str>) -> Result<u64> {
    Ok(connections::deliver(
        connection,
        &request.clone().into_wit(),
        key,
    )?)
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not yet acknowledged.
    Waiting,
    /// The system acknowledged it.
    Delivered,
    /// Given up after too many failed attempts.
    Dead,
}

/// A delivery handed to the host (see [`deliver`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: u64,
    /// The connection it goes through.
    pub connection: String,
    /// Its idempotency key.
    pub key: String,
    /// Where it is.
    pub status: DeliveryStatus,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was handed over (RFC 3339, UTC).
    pub queued_at: String,
    /// When the system acknowledged it.
    pub delivered_at: Option<String>,
}

/// The delivery `id` of this module in the calling organization.
pub fn delivery(id: u64) -> Result<Delivery> {
    let d = connections::get_delivery(id)?;
    Ok(Delivery {
        id: d.id,
        connection: d.connection,
        key: d.key,
        status: match d.status {
            wit::DeliveryStatus::Waiting => DeliveryStatus::Waiting,
            wit::DeliveryStatus::Delivered => DeliveryStatus::Delivered,
            wit::DeliveryStatus::Dead => DeliveryStatus::Dead,
        },
        attempts: d.attempts,
        last_error: d.last_error,
        queued_at: d.queued_at,
        delivered_at: d.delivered_at,
    })
}

/// What an outside system sent to one of the module's webhook
/// connections, its signature checked by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// The connection's name in the manifest.
    pub connection: String,
    /// The sender's id of the message: handed over until one call
    /// succeeds, then never again.
    pub id: String,
    /// When the sender signed it (RFC 3339, UTC).
    pub sent_at: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Webhook {
    /// A header of the message (names are lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::http::lookup(&self.headers, &name.to_ascii_lowercase())
    }

    /// The body as sent.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; a parse failure is `invalid` on `body`
    /// (the sender is answered 422).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        Ok(serde_json::from_slice(&self.body)?)
    }
}

impl From<wit::Webhook> for Webhook {
    fn from(w: wit::Webhook) -> Webhook {
        Webhook {
            connection: w.connection,
            id: w.id,
            sent_at: w.sent_at,
            headers: w.headers,
            body: w.body,
        }
    }
}
