//! `settings`: what an administrator set for the module in the calling
//! organization, else the manifest's default; only keys the manifest
//! declares. A setting that is content (`translated`) is read in the
//! call's language where the administrator set it in that one.

use super::{CallState, HostResult};
use crate::bindings::v0_1_0::generated::portico::plugin::{settings, types};
use crate::manifest::{Capability, LANGUAGES, PORTAL_LANGUAGE};

impl settings::Host for CallState {
    async fn get(&mut self, key: String) -> HostResult<Option<String>> {
        self.grant(Capability::Settings)?;
        if key == "connections" || key.starts_with("connections.") {
            // Where a module would look for a connection's credential: it
            // is the host's, and a module that looks is audited.
            self.refuse(crate::backend::Refusal {
                action: "connection.refused".into(),
                subject: key.clone(),
                detail: serde_json::json!({
                    "error": "the module tried to read a connection's credential as a setting",
                }),
            });
            return Err(types::Error::Forbidden(
                "a connection's credential is the host's: it adds it to each request, and the \
                 module never reads it"
                    .into(),
            )
            .into());
        }
        let c = &self.caller;
        let Some(spec) = c.manifest.settings.get(&key) else {
            return Err(types::Error::NotFound(format!(
                "the manifest declares no setting `{key}`"
            ))
            .into());
        };
        // Content set per language: the call's language's own value first.
        let own = match LANGUAGES
            .into_iter()
            .find(|l| c.locale.starts_with(l) && *l != PORTAL_LANGUAGE)
        {
            Some(lang) if spec.translated => {
                c.services
                    .setting(&c.scope.org_id, &c.manifest.id, &format!("{key}.{lang}"))
                    .await
            }
            _ => None,
        };
        let value = match own {
            Some(v) => Some(v),
            None => c
                .services
                .setting(&c.scope.org_id, &c.manifest.id, &key)
                .await
                .or_else(|| spec.default.clone()),
        };
        Ok(value)
    }
}
