//! `connections`: requests to systems outside the portal through the
//! connections the manifest declares. The runtime checks what the module
//! asks for against the manifest (a declared connection of kind `http`, a
//! path that stays below the base address, no header the host sets) and
//! audits every request and every refusal after the call, in a
//! transaction of its own; the embedder knows how the connection is set
//! up in the organization, adds the credential and sends.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{CallState, HostError, HostResult, invalid};
use crate::backend::{ConnectionDelivery, ConnectionDeliveryStatus as Status, Outgoing, Refusal};
use crate::bindings::v0_1_0::generated::portico::plugin::types;
use crate::bindings::v0_5_0::generated::portico::plugin0_5_0::{connections, types as wit};
use crate::manifest::{Capability, ConnectionKind};

/// The most a call's deadline moves for the time it waited for outside
/// systems, all its requests together.
const MAX_OUTSIDE_CREDIT: Duration = Duration::from_secs(60);

/// The largest body a module sends, in bytes.
pub const MAX_OUTGOING_BODY: usize = 1024 * 1024;

/// The longest idempotency key, in bytes.
const MAX_KEY: usize = 200;

/// Headers the host sets itself, or that carry a credential: a module
/// that sets one is refused (`authorization` and its kin as `forbidden`,
/// audited: the module tried to put in a credential of its own).
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];
const HOST_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "expect",
];

/// Why a path may not be asked for below a base address, or `None` when
/// it may: it starts with one `/`, has no `.` or `..` segment (encoded
/// or not), no backslash, query, fragment, whitespace or control
/// character, and at most 2,000 bytes.
pub fn path_outside_base(path: &str) -> Option<&'static str> {
    if path.len() > 2000 {
        return Some("is longer than 2,000 bytes");
    }
    if !path.starts_with('/') || path.starts_with("//") {
        return Some("must start with one `/`: it is a path below the connection's base address");
    }
    if path
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '\\' | '?' | '#'))
    {
        return Some(
            "has a backslash, `?`, `#`, a space or a control character (query parameters go in `query`)",
        );
    }
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    if decoded.contains('\\')
        || decoded.contains('\0')
        || decoded
            .split('/')
            .any(|segment| segment == "." || segment == "..")
    {
        return Some("leaves the connection's base address (`.` or `..`)");
    }
    None
}

impl connections::Host for CallState {
    async fn call(
        &mut self,
        connection: String,
        request: wit::OutgoingRequest,
    ) -> HostResult<wit::IncomingResponse> {
        let outgoing = self.outgoing(&connection, request, false)?;
        if self.caller.scope.writable && self.work.is_some() {
            // Its unit of work is open: waiting for an outside system now
            // would hold the portal's data (SQLite's one writer) for
            // everyone meanwhile.
            return Err(types::Error::Conflict(
                "the call has already begun using the portal's data: call an outside system \
                 before the first data operation, or hand the request over with `deliver`"
                    .into(),
            )
            .into());
        }
        if !self.caller.scope.writable && !matches!(outgoing.method.as_str(), "GET" | "HEAD") {
            return Err(types::Error::Forbidden(
                "this call only reads: pages and GET requests may only GET or HEAD through a \
                 connection; send changes in a form submission or a POST request"
                    .into(),
            )
            .into());
        }
        let started = Instant::now();
        let scope = self.caller.scope.clone();
        let answer = self
            .caller
            .services
            .call_connection(&scope, &connection, &outgoing)
            .await;
        let took = started.elapsed();
        // Waiting for the outside system is not the module's time.
        let credit = took.min(MAX_OUTSIDE_CREDIT.saturating_sub(self.outside_waited));
        self.outside_waited += credit;
        self.deadline += credit;
        let mut detail = json!({
            "method": outgoing.method,
            "path": outgoing.path,
            "ms": u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        });
        match &answer {
            Ok(r) => detail["status"] = r.status.into(),
            Err(e) => detail["error"] = e.to_string().into(),
        }
        let refused = matches!(answer, Err(crate::api::ModuleError::Forbidden(_)));
        self.note(
            Refusal {
                action: if refused {
                    "connection.refused"
                } else {
                    "connection.call"
                }
                .into(),
                subject: connection,
                detail,
            },
            refused,
        );
        let r = answer?;
        Ok(wit::IncomingResponse {
            status: r.status,
            headers: r.headers,
            body: r.body,
        })
    }

    async fn deliver(
        &mut self,
        connection: String,
        request: wit::OutgoingRequest,
        key: Option<String>,
    ) -> HostResult<u64> {
        let outgoing = self.outgoing(&connection, request, true)?;
        if let Some(key) = &key
            && (key.is_empty() || key.len() > MAX_KEY || key.chars().any(|c| !c.is_ascii_graphic()))
        {
            return Err(invalid(
                "key",
                format!(
                    "must be 1 to {MAX_KEY} visible ASCII characters (no spaces): it is sent as \
                     the `idempotency-key` header"
                ),
            ));
        }
        if !self.caller.scope.writable {
            return Err(types::Error::Forbidden(
                "this call only reads: pages and GET requests cannot hand requests over for \
                 delivery; do it in a form submission or a POST request"
                    .into(),
            )
            .into());
        }
        let work = self.work(Capability::Connections).await?;
        let queued = work
            .queue_delivery(&connection, key.as_deref(), &outgoing)
            .await;
        if let Err(crate::api::ModuleError::Forbidden(why)) = &queued {
            let why = why.clone();
            self.note(
                Refusal {
                    action: "connection.refused".into(),
                    subject: connection,
                    detail: json!({
                        "method": outgoing.method,
                        "path": outgoing.path,
                        "error": why,
                    }),
                },
                true,
            );
        }
        Ok(queued?)
    }

    async fn get_delivery(&mut self, id: u64) -> HostResult<wit::Delivery> {
        let work = self.work(Capability::Connections).await?;
        match work.delivery(id).await? {
            Some(d) => Ok(d.into()),
            None => Err(types::Error::NotFound(format!(
                "the module has no delivery {id} in this organization"
            ))
            .into()),
        }
    }
}

impl From<ConnectionDelivery> for wit::Delivery {
    fn from(d: ConnectionDelivery) -> Self {
        wit::Delivery {
            id: d.id,
            connection: d.connection,
            key: d.key,
            status: match d.status {
                Status::Waiting => wit::DeliveryStatus::Waiting,
                Status::Delivered => wit::DeliveryStatus::Delivered,
                Status::Dead => wit::DeliveryStatus::Dead,
            },
            attempts: d.attempts,
            last_error: d.last_error,
            queued_at: d.queued_at,
            delivered_at: d.delivered_at,
        }
    }
}

impl CallState {
    /// The module's request, checked against the manifest: a connection it
    /// declares, of kind `http`; a path below the base address; headers
    /// the host does not set. What looks like reaching past the connection
    /// (another connection, a path outside, a credential of its own) is
    /// `forbidden` and audited after the call.
    fn outgoing(
        &mut self,
        connection: &str,
        r: wit::OutgoingRequest,
        delivery: bool,
    ) -> HostResult<Outgoing> {
        self.grant(Capability::Connections)?;
        let method = method_name(r.method).to_owned();
        let refuse = |state: &mut CallState, why: String| -> HostError {
            state.note(
                Refusal {
                    action: "connection.refused".into(),
                    subject: connection.to_owned(),
                    detail: json!({ "method": method, "path": r.path, "error": why }),
                },
                true,
            );
            types::Error::Forbidden(why).into()
        };
        match self.caller.manifest.connection(connection) {
            None => {
                let why = format!("the module's manifest declares no connection `{connection}`");
                return Err(refuse(self, why));
            }
            Some(spec) if spec.kind != ConnectionKind::Http => {
                let why = format!(
                    "`{connection}` is a webhook connection: outside systems send to it, the \
                     module sends nothing through it"
                );
                return Err(refuse(self, why));
            }
            Some(_) => {}
        }
        if let Some(why) = path_outside_base(&r.path) {
            let why = format!("the path `{}` {why}", r.path.escape_debug());
            return Err(refuse(self, why));
        }
        for (name, value) in &r.headers {
            let lower = name.to_ascii_lowercase();
            if CREDENTIAL_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-") {
                let why = format!(
                    "the header `{lower}` is the host's: it adds the connection's credential, \
                     which the module never sets or reads"
                );
                return Err(refuse(self, why));
            }
            if HOST_HEADERS.contains(&lower.as_str()) || (delivery && lower == "idempotency-key") {
                return Err(invalid(
                    &format!("headers.{lower}"),
                    "is set by the host".to_owned(),
                ));
            }
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
            {
                return Err(invalid(
                    "headers",
                    format!("`{}` is not a header name", name.escape_debug()),
                ));
            }
            if value.chars().any(|c| c.is_control() && c != '\t') {
                return Err(invalid(
                    &format!("headers.{lower}"),
                    "has a line break or a control character",
                ));
            }
        }
        if r.body.len() > MAX_OUTGOING_BODY {
            return Err(invalid(
                "body",
                format!(
                    "is {} bytes; a request takes at most {MAX_OUTGOING_BODY}",
                    r.body.len()
                ),
            ));
        }
        Ok(Outgoing {
            method,
            path: r.path,
            query: r.query,
            headers: r
                .headers
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
            body: r.body,
        })
    }
}

impl wit::Host for CallState {}

/// A method as HTTP writes it.
fn method_name(m: types::Method) -> &'static str {
    match m {
        types::Method::Get => "GET",
        types::Method::Head => "HEAD",
        types::Method::Post => "POST",
        types::Method::Put => "PUT",
        types::Method::Patch => "PATCH",
        types::Method::Delete => "DELETE",
        types::Method::Options => "OPTIONS",
    }
}

#[cfg(test)]
mod tests {
    use super::path_outside_base;

    #[test]
    fn paths_that_leave_the_base_address_are_named() {
        for inside in [
            "/",
            "/alerts",
            "/alerts/2026-12-05/cap.xml",
            "/a%20b",
            "/v1/x.y",
        ] {
            assert_eq!(path_outside_base(inside), None, "{inside}");
        }
        for outside in [
            "alerts",
            "//evil.example/x",
            "/../admin",
            "/a/../../b",
            "/%2e%2e/admin",
            "/a/%2E%2E",
            "/./x",
            "/a\\..\\b",
            "/x?token=1",
            "/x#y",
            "/a b",
            "http://evil.example/",
        ] {
            assert!(path_outside_base(outside).is_some(), "{outside}");
        }
    }
}
