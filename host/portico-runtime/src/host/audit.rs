//! `audit`: a module's entries in its organization's audit chain, written
//! in the call's unit of work.

use super::{CallState, HostResult, invalid};
use crate::bindings::v0_1_0::generated::portico::plugin::audit;
use crate::manifest::Capability;

impl audit::Host for CallState {
    async fn append(&mut self, action: String, subject: String, detail: String) -> HostResult<()> {
        self.grant(Capability::Audit)?;
        if action.is_empty() || action.len() > 100 {
            return Err(invalid("action", "must be 1 to 100 characters"));
        }
        if subject.len() > 300 {
            return Err(invalid("subject", "may be at most 300 characters"));
        }
        if detail.len() > 16 * 1024 {
            return Err(invalid("detail", "may be at most 16 KiB"));
        }
        let detail: serde_json::Value = match serde_json::from_str(&detail) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            Ok(_) => return Err(invalid("detail", "must be a JSON object")),
            Err(e) => return Err(invalid("detail", format!("is not valid JSON: {e}"))),
        };
        let work = self.work(Capability::Audit).await?;
        Ok(work.audit(&action, &subject, detail).await?)
    }
}
