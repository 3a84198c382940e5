//! Events for the other modules of the organization. Needs `events` in the
//! manifest's `capabilities`; a module receives the topics its manifest
//! lists under `subscribes` in [`Module::on_event`](crate::Module::on_event).
//!
//! ```no_run
//! # fn f() -> portico_sdk::Result<()> {
//! portico_sdk::events::publish("notice.posted", &serde_json::json!({ "id": "42" }))?;
//! # Ok(()) }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::wit::portico::plugin0_1_0::{events, types as wit};
use crate::{Error, Result};

/// Publishes `payload` under `topic`: delivered at least once to every
/// subscribed module enabled in the organization, if this call succeeds.
pub fn publish<T: Serialize>(topic: &str, payload: &T) -> Result<()> {
    let json = serde_json::to_string(payload)
        .map_err(|e| Error::internal(format!("cannot encode the event: {e}")))?;
    Ok(events::publish(topic, &json)?)
}

/// An event delivered to this module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event's id: the same on every delivery of it, so a handler can
    /// do its work only once.
    pub id: u64,
    /// Its topic.
    pub topic: String,
    /// The publishing module.
    pub source: String,
    /// When it was published (RFC 3339, UTC).
    pub published_at: String,
    payload: String,
}

impl Event {
    /// The payload parsed into `T`.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.payload).map_err(|e| {
            Error::invalid(
                "payload",
                format!("is not the {} event expected: {e}", self.topic),
            )
        })
    }

    /// The payload as JSON text.
    pub fn payload_json(&self) -> &str {
        &self.payload
    }
}

impl From<wit::Event> for Event {
    fn from(e: wit::Event) -> Self {
        Event {
            id: e.id,
            topic: e.topic,
            source: e.source,
            published_at: e.published_at,
            payload: e.payload,
        }
    }
}
