//! Bindings of `portico:plugin@0.4.0`: the address register
//! (`addresses`). Everything else is an earlier version's, mapped onto its
//! bindings with `with`, so the host side of each interface exists once;
//! the `module` export has 0.3.0's functions and types.

pub(crate) mod generated {
    wasmtime::component::bindgen!({
        path: "../../wit/0.4.0",
        world: "portico:plugin/portal-module@0.4.0",
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
        },
    });
}

use wasmtime::component::ComponentExportIndex;

use super::v0_3_0;

/// The name of the exported interface in 0.4.0.
pub(crate) const MODULE_EXPORT: &str = "portico:plugin/module@0.4.0";

/// Where 0.4.0's exports are: 0.3.0's, with the same types.
pub(crate) struct Exports {
    pub(crate) earlier: v0_3_0::Exports,
}

impl Exports {
    /// Looks each export up with `find`.
    pub(crate) fn find(
        find: impl Fn(&str) -> Result<ComponentExportIndex, String>,
    ) -> Result<Exports, String> {
        Ok(Exports {
            earlier: v0_3_0::Exports::find(find)?,
        })
    }
}
