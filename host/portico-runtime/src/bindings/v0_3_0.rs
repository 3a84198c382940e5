//! Bindings of `portico:plugin@0.3.0`: the organizations' tree (`orgs`),
//! messages along it (`messages`) and the `on-message` export. Everything
//! else is 0.1.0's or 0.2.0's, mapped onto their bindings with `with`, so
//! the host side of each interface exists once.

pub(crate) mod generated {
    wasmtime::component::bindgen!({
        path: "../../wit/0.3.0",
        world: "portico:plugin/portal-module@0.3.0",
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
        },
    });
}

use wasmtime::Store;
use wasmtime::component::{ComponentExportIndex, Instance};

use super::{Answer, call, v0_1_0, v0_2_0};
use crate::api;
use crate::host::CallState;
pub(crate) use generated::PortalModulePre;
pub(crate) use generated::portico::plugin0_3_0::types as wit;

/// The name of the exported interface in 0.3.0.
pub(crate) const MODULE_EXPORT: &str = "portico:plugin/module@0.3.0";

impl From<api::Message> for wit::Message {
    fn from(m: api::Message) -> Self {
        wit::Message {
            id: m.id,
            kind: m.kind,
            payload: m.payload,
            from_org: m.from_org,
            sent_at: m.sent_at,
        }
    }
}

/// Where 0.3.0's exports are: `on-message` is new, the rest are 0.2.0's
/// with the same types.
pub(crate) struct Exports {
    pub(crate) earlier: v0_2_0::Exports,
    on_message: ComponentExportIndex,
}

impl Exports {
    /// Looks each export up with `find`.
    pub(crate) fn find(
        find: impl Fn(&str) -> Result<ComponentExportIndex, String>,
    ) -> Result<Exports, String> {
        Ok(Exports {
            on_message: find("on-message")?,
            earlier: v0_2_0::Exports::find(find)?,
        })
    }

    pub(crate) async fn on_message(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        message: api::Message,
    ) -> Answer<()> {
        let message: wit::Message = message.into();
        let (r,): (Result<(), v0_1_0::wit::Error>,) =
            call(store, instance, &self.on_message, (ctx, &message)).await?;
        Ok(r.map_err(Into::into))
    }
}
