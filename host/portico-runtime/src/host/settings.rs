//! `settings`: what an administrator set for the module in the calling
//! organization, else the manifest's default; only keys the manifest
//! declares.

use super::{CallState, HostResult};
use crate::bindings::v0_1_0::generated::portico::plugin::{settings, types};
use crate::manifest::Capability;

impl settings::Host for CallState {
    async fn get(&mut self, key: String) -> HostResult<Option<String>> {
        self.grant(Capability::Settings)?;
        let c = &self.caller;
        let Some(spec) = c.manifest.settings.get(&key) else {
            return Err(types::Error::NotFound(format!(
                "the manifest declares no setting `{key}`"
            ))
            .into());
        };
        let value = c
            .services
            .setting(&c.scope.org_id, &c.manifest.id, &key)
            .await
            .or_else(|| spec.default.clone());
        Ok(value)
    }
}
