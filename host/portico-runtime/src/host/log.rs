//! `log`: a module's lines in the host's log, bounded and escaped, with the
//! module, organization and request they belong to.

use super::CallState;
use crate::bindings::v0_1_0::generated::portico::plugin::log;

/// The most characters of one line kept.
const MAX_LINE: usize = 2000;

impl log::Host for CallState {
    async fn write(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        // Bounded, so a module cannot flood the host's log with one call, and
        // escaped, so it cannot forge log lines with line breaks.
        let message: String = message.chars().take(MAX_LINE).collect();
        let message = message.escape_debug();
        let c = &self.caller;
        let (module, org, request_id) = (&c.manifest.id, &c.scope.org_id, &c.request_id);
        match level {
            log::Level::Trace => {
                tracing::trace!(module = %module, org = %org, request_id = %request_id, "{message}")
            }
            log::Level::Debug => {
                tracing::debug!(module = %module, org = %org, request_id = %request_id, "{message}")
            }
            log::Level::Info => {
                tracing::info!(module = %module, org = %org, request_id = %request_id, "{message}")
            }
            log::Level::Warn => {
                tracing::warn!(module = %module, org = %org, request_id = %request_id, "{message}")
            }
            log::Level::Error => {
                tracing::error!(module = %module, org = %org, request_id = %request_id, "{message}")
            }
        }
        Ok(())
    }
}
