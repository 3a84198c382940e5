//! The organization's audit trail, for what an official must be able to
//! prove later beyond the writes the host audits by itself. Needs `audit`
//! in the manifest's `capabilities`.
//!
//! ```no_run
//! # fn f() -> portico_sdk::Result<()> {
//! portico_sdk::audit::append("notice.print", "notices/42", &serde_json::json!({ "copies": 2 }))?;
//! # Ok(()) }
//! ```

use serde::Serialize;

use crate::wit::portico::plugin0_1_0::audit;
use crate::{Context, Error, Result};

/// Appends an entry: what was done, to what, and details (a JSON object).
/// Kept only if this call succeeds.
pub fn append<T: Serialize>(action: &str, subject: &str, detail: &T) -> Result<()> {
    let json = serde_json::to_string(detail)
        .map_err(|e| Error::internal(format!("cannot encode the audit detail: {e}")))?;
    Ok(audit::append(action, subject, &json)?)
}

/// Appends what someone did, in words: `{"text": text, "by": who}`, who
/// being the signed-in user's id, or `system` for a job or a message
/// ([`Context::actor`]).
pub fn record(ctx: &Context, action: &str, subject: &str, text: impl Into<String>) -> Result<()> {
    append(
        action,
        subject,
        &serde_json::json!({ "text": text.into(), "by": ctx.actor() }),
    )
}
