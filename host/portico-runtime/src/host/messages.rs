//! `messages`: a module's messages to itself in another organization of
//! the caller's line. The host checks the addressee against the line
//! before the embedder writes anything; a refused message is audited in
//! the caller's chain even when the call's own writes are not kept.

use serde_json::json;

use super::orgs::not_in_line;
use super::{CallState, HostResult, invalid};
use crate::backend::Refusal;
use crate::bindings::v0_1_0::generated::portico::plugin::types;
use crate::bindings::v0_3_0::generated::portico::plugin0_3_0::messages;
use crate::manifest::Capability;

/// The largest message payload, in bytes of JSON (as an event's).
pub(crate) const MAX_MESSAGE_PAYLOAD: usize = 64 * 1024;

impl messages::Host for CallState {
    async fn send(&mut self, to_org: String, kind: String, payload: String) -> HostResult<u64> {
        self.grant(Capability::Messages)?;
        if !is_org_id(&to_org) {
            // Not an organization's id at all: refused as bad input, before
            // anything (the audit chain included) is written of it.
            return Err(invalid(
                "to-org",
                "is not an organization's id: 2 to 64 lower-case letters, digits and dashes",
            ));
        }
        if !crate::manifest::is_topic(&kind) {
            return Err(invalid(
                "kind",
                format!(
                    "`{kind}` is not a message kind: use lower-case words joined by dots, e.g. `task.assigned`"
                ),
            ));
        }
        if payload.len() > MAX_MESSAGE_PAYLOAD {
            return Err(invalid(
                "payload",
                format!(
                    "is {} bytes; a message takes at most {MAX_MESSAGE_PAYLOAD}",
                    payload.len()
                ),
            ));
        }
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&payload) {
            return Err(invalid("payload", format!("is not valid JSON: {e}")));
        }
        if !self.caller.scope.writable {
            // Before the addressee is looked at: a page or a GET request
            // writes nothing, not even the audit entry of a refusal.
            return Err(types::Error::Forbidden(
                "this call only reads: pages and GET requests cannot send messages; \
                 send in a form submission or a POST request"
                    .into(),
            )
            .into());
        }
        let line = self.org_line(Capability::Messages).await?;
        let refusal = if to_org == line.current.id {
            Some(types::Error::NotFound(format!(
                "`{to_org}` is the calling organization: a message goes to one above or below it"
            )))
        } else {
            match line.find(&to_org) {
                None => Some(types::Error::NotFound(not_in_line(&to_org))),
                Some(o) if !o.module_enabled => Some(types::Error::Forbidden(format!(
                    "this module is not enabled in `{to_org}`, so it cannot receive messages there"
                ))),
                Some(_) => None,
            }
        };
        if let Some(error) = refusal {
            let reason = match &error {
                types::Error::NotFound(m) | types::Error::Forbidden(m) => m.clone(),
                _ => String::new(),
            };
            self.refuse(Refusal {
                action: "message.refused".into(),
                subject: to_org,
                detail: json!({ "kind": kind, "reason": reason }),
            });
            return Err(error.into());
        }
        let work = self.work(Capability::Messages).await?;
        Ok(work.send_message(&to_org, &kind, &payload).await?)
    }
}

/// Whether `id` has the shape of an organization's id (as the platform
/// checks a new one): 2 to 64 lower-case letters, digits and dashes,
/// starting with a letter.
fn is_org_id(id: &str) -> bool {
    (2..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
