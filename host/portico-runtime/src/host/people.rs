//! `people`: who in the calling organization holds a permission of the
//! calling module. The runtime turns the permission into the module's roles
//! that carry it (from the manifest); the embedder lists who holds those
//! roles in the call's organization, and only there.

use super::{CallState, HostResult, invalid};
use crate::bindings::v0_3_0::generated::portico::plugin0_3_0::{people, types as wit};
use crate::manifest::Capability;

impl people::Host for CallState {
    async fn holders(&mut self, permission: String) -> HostResult<Vec<wit::Person>> {
        self.grant(Capability::People)?;
        let manifest = &self.caller.manifest;
        if !manifest.permissions.contains_key(&permission) {
            return Err(invalid(
                "permission",
                format!(
                    "the manifest declares no permission `{permission}` (declared: {})",
                    manifest
                        .permissions
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let roles: Vec<String> = manifest
            .roles
            .iter()
            .filter(|(_, spec)| spec.permissions.contains(&permission))
            .map(|(role, _)| format!("{}.{role}", manifest.id))
            .collect();
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let work = self.work(Capability::People).await?;
        Ok(work
            .holders(&roles)
            .await?
            .into_iter()
            .map(|p| wit::Person {
                user_id: p.user_id,
                name: p.name,
            })
            .collect())
    }
}
