//! Messages to this module in another organization of the caller's line:
//! the region sends a task down to a school, the school sends its report
//! back up. Needs `messages` in the manifest's `capabilities`; the module
//! receives them in [`Module::on_message`](crate::Module::on_message).
//!
//! A message is sent only if the call that sends it succeeds, together
//! with its other writes, and is delivered at least once; the host calls
//! the receiver's `on_message` again only until one call succeeds, and
//! keeps that call's writes together with the note that the message
//! arrived. Both organizations' audit chains record it.
//!
//! ```no_run
//! # fn f() -> portico_sdk::Result<()> {
//! let id = portico_sdk::messages::send(
//!     "zs-komenskeho",
//!     "task.assigned",
//!     &serde_json::json!({ "task": "T-2026-14", "due": "2027-01-15" }),
//! )?;
//! # Ok(()) }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::wit::portico::plugin0_3_0::{messages, types as wit};
use crate::{Error, Result};

/// Sends `payload` as a message of `kind` (lower-case words joined by
/// dots, e.g. `task.assigned`) to this module in `to_org`, an organization
/// above or below the caller where the module is enabled. Returns the
/// message's id.
///
/// Fails with `not found` for an organization outside the caller's line
/// (a sibling, another branch, one that does not exist) and `forbidden`
/// where the module is not enabled, each audited by the host; `invalid`
/// for a malformed id, kind or payload; `forbidden` on a page or a GET
/// request, which only read.
pub fn send<T: Serialize>(to_org: &str, kind: &str, payload: &T) -> Result<u64> {
    let json = serde_json::to_string(payload)
        .map_err(|e| Error::internal(format!("cannot encode the message: {e}")))?;
    Ok(messages::send(to_org, kind, &json)?)
}

/// A message from this module in another organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The message's id: a message is handed to `on_message` until one
    /// call succeeds, always with the same id.
    pub id: u64,
    /// What it is, in the sender's words.
    pub kind: String,
    /// The organization that sent it: one above or one below.
    pub from_org: String,
    /// When it was sent (RFC 3339, UTC).
    pub sent_at: String,
    payload: String,
}

impl Message {
    /// The payload parsed into `T`.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.payload).map_err(|e| {
            Error::invalid(
                "payload",
                format!("is not the {} message expected: {e}", self.kind),
            )
        })
    }

    /// The payload as JSON text.
    pub fn payload_json(&self) -> &str {
        &self.payload
    }

    /// Drops this message: its sender had no business sending it (another
    /// build of the module, or a forgery — a judgement from anyone but
    /// the founder, a task from below). Notes it in the log and, as
    /// `action`, in the organization's audit chain (needs the `audit`
    /// capability), with the reason; returns `Ok`, so that the host does
    /// not deliver it again.
    pub fn refuse(&self, action: &str, why: &str) -> Result<()> {
        crate::log::warn(format!(
            "message {} ({}) from {} dropped: {why}",
            self.id, self.kind, self.from_org
        ));
        crate::audit::append(
            action,
            &self.from_org,
            &serde_json::json!({ "message": self.id, "kind": self.kind, "why": why }),
        )
    }
}

impl From<wit::Message> for Message {
    fn from(m: wit::Message) -> Self {
        Message {
            id: m.id,
            kind: m.kind,
            from_org: m.from_org,
            sent_at: m.sent_at,
            payload: m.payload,
        }
    }
}
