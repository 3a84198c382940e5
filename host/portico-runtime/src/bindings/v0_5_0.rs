//! Bindings of `portico:plugin@0.5.0`: requests to systems outside the
//! portal (`connections`) and the `on-webhook` export. Everything else is
//! an earlier version's, mapped onto its bindings with `with`, so the host
//! side of each interface exists once; of the `module` export, `on-webhook`
//! is new and the rest are 0.4.0's.

pub(crate) mod generated {
    wasmtime::component::bindgen!({
        path: "../../wit/0.5.0",
        world: "portico:plugin/portal-module@0.5.0",
        imports: { default: async | trappable },
        exports: { default: async },
        trappable_error_type: { "portico:plugin/types@0.1.0.error" => crate::host::HostError },
        with: {
            "portico:plugin/types@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::types,
            "portico:plugin/log@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::log,
            "portico:plugin/settings@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::settings,
            "portico:plugin/records@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::records,
            "portico:plugin/audit@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::audit,
            "portico:plugin/events@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::events,
            "portico:plugin/notify@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::notify,
            "portico:plugin/files@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::files,
            "portico:plugin/types@0.2.0": crate::bindings::v0_2_0::generated::portico::plugin0_2_0::types,
            "portico:plugin/types@0.3.0": crate::bindings::v0_3_0::generated::portico::plugin0_3_0::types,
            "portico:plugin/orgs@0.3.0": crate::bindings::v0_3_0::generated::portico::plugin0_3_0::orgs,
            "portico:plugin/messages@0.3.0": crate::bindings::v0_3_0::generated::portico::plugin0_3_0::messages,
            "portico:plugin/people@0.3.0": crate::bindings::v0_3_0::generated::portico::plugin0_3_0::people,
            "portico:plugin/types@0.4.0": crate::bindings::v0_4_0::generated::portico::plugin0_4_0::types,
            "portico:plugin/addresses@0.4.0": crate::bindings::v0_4_0::generated::portico::plugin0_4_0::addresses,
        },
    });
}

use wasmtime::Store;
use wasmtime::component::{ComponentExportIndex, Instance};

use super::{Answer, call, v0_1_0, v0_4_0};
use crate::api;
use crate::host::CallState;
pub(crate) use generated::portico::plugin0_5_0::types as wit;

/// The name of the exported interface in 0.5.0.
pub(crate) const MODULE_EXPORT: &str = "portico:plugin/module@0.5.0";

impl From<api::Webhook> for wit::Webhook {
    fn from(w: api::Webhook) -> Self {
        wit::Webhook {
            connection: w.connection,
            id: w.id,
            sent_at: w.sent_at,
            headers: w.headers,
            body: w.body,
        }
    }
}

/// Where 0.5.0's exports are: `on-webhook` is new, the rest are 0.4.0's
/// with the same types.
pub(crate) struct Exports {
    pub(crate) earlier: v0_4_0::Exports,
    on_webhook: ComponentExportIndex,
}

impl Exports {
    /// Looks each export up with `find`.
    pub(crate) fn find(
        find: impl Fn(&str) -> Result<ComponentExportIndex, String>,
    ) -> Result<Exports, String> {
        Ok(Exports {
            on_webhook: find("on-webhook")?,
            earlier: v0_4_0::Exports::find(find)?,
        })
    }

    pub(crate) async fn on_webhook(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        hook: api::Webhook,
    ) -> Answer<()> {
        let hook: wit::Webhook = hook.into();
        let (r,): (Result<(), v0_1_0::wit::Error>,) =
            call(store, instance, &self.on_webhook, (ctx, &hook)).await?;
        Ok(r.map_err(Into::into))
    }
}
