//! Bindings of `portico:plugin@0.4.0`: the address register
//! (`addresses`), and views whose forms may ask for a place. Everything
//! else is an earlier version's, mapped onto its bindings with `with`, so
//! the host side of each interface exists once; of the `module` export,
//! `render` and `submit` give 0.4.0's views, the rest are 0.3.0's.

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

use wasmtime::Store;
use wasmtime::component::{ComponentExportIndex, Instance};

use super::{Answer, call, v0_1_0, v0_2_0, v0_3_0};
use crate::api;
use crate::host::CallState;
pub(crate) use generated::portico::plugin0_4_0::types as wit;

/// The name of the exported interface in 0.4.0.
pub(crate) const MODULE_EXPORT: &str = "portico:plugin/module@0.4.0";

impl From<wit::View> for api::View {
    fn from(v: wit::View) -> Self {
        api::View {
            title: v.title,
            blocks: v.blocks.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<wit::Outcome> for api::Outcome {
    fn from(o: wit::Outcome) -> Self {
        match o {
            wit::Outcome::Redirect(r) => api::Outcome::Redirect {
                to: r.to,
                message: r.message,
            },
            wit::Outcome::Show(v) => api::Outcome::Show { view: v.into() },
        }
    }
}

impl From<wit::Block> for api::Block {
    fn from(b: wit::Block) -> Self {
        match b {
            wit::Block::Heading(h) => h.into(),
            wit::Block::Text(text) => api::Block::Text { text },
            wit::Block::Table(t) => api::Block::Table(t.into()),
            wit::Block::KeyValues(items) => v0_1_0::key_values(items),
            wit::Block::Actions(items) => v0_1_0::actions(items),
            wit::Block::Form(f) => api::Block::Form(api::Form {
                action: f.action,
                submit_label: f.submit_label,
                fields: f.fields.into_iter().map(Into::into).collect(),
                buttons: f.buttons.into_iter().map(Into::into).collect(),
            }),
            wit::Block::Notice(n) => n.into(),
            wit::Block::Stats(items) => v0_2_0::stats(items),
            wit::Block::Chart(c) => api::Block::Chart(c.into()),
            wit::Block::Timeline(items) => v0_2_0::timeline(items),
            wit::Block::LocationMap(m) => api::Block::Map(m.into()),
            wit::Block::Pager(p) => api::Block::Pager(p.into()),
        }
    }
}

impl From<wit::FieldKind> for api::FieldKind {
    fn from(k: wit::FieldKind) -> Self {
        use wit::FieldKind as K;
        match k {
            K::Text => api::FieldKind::Text,
            K::Textarea => api::FieldKind::Textarea,
            K::Number => api::FieldKind::Number,
            K::Date => api::FieldKind::Date,
            K::Email => api::FieldKind::Email,
            K::Tel => api::FieldKind::Tel,
            K::Select => api::FieldKind::Select,
            K::Checkbox => api::FieldKind::Checkbox,
            K::Hidden => api::FieldKind::Hidden,
            K::Radio => api::FieldKind::Radio,
            K::Checkboxes => api::FieldKind::Checkboxes,
            K::File => api::FieldKind::File,
            K::Place => api::FieldKind::Place,
        }
    }
}

impl From<wit::FormField> for api::FormField {
    fn from(f: wit::FormField) -> Self {
        api::FormField {
            name: f.name,
            label: f.label,
            kind: f.kind.into(),
            required: f.required,
            value: f.value,
            selected: f.selected,
            help: f.help,
            choices: v0_1_0::choices(f.choices),
            error: f.error,
            read_only: f.read_only,
            pattern: f.pattern,
            min: f.min,
            max: f.max,
            autocomplete: f.autocomplete,
            accept: f.accept,
            position: f.position.map(|p| (p.latitude, p.longitude)),
            shown_when: f.shown_when.map(Into::into),
            required_when: f.required_when.map(Into::into),
            calculation: f.calculation.map(|c| api::Calculation {
                operation: match c.operation {
                    wit::Operation::Sum => api::Operation::Sum,
                    wit::Operation::Product => api::Operation::Product,
                    wit::Operation::Difference => api::Operation::Difference,
                    wit::Operation::Quotient => api::Operation::Quotient,
                },
                fields: c.fields,
                factor: c.factor,
            }),
        }
    }
}

impl From<wit::Condition> for api::Condition {
    fn from(c: wit::Condition) -> Self {
        api::Condition {
            field: c.field,
            values: c.values,
        }
    }
}

/// Where 0.4.0's exports are: `render` and `submit` give 0.4.0's views,
/// the rest are 0.3.0's with the same types.
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

    fn unchanged(&self) -> &v0_1_0::Exports {
        &self.earlier.earlier.unchanged
    }

    pub(crate) async fn render(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        route: api::RouteMatch,
    ) -> Answer<api::View> {
        let page = v0_1_0::page_request(route);
        let (r,): (Result<wit::View, v0_1_0::wit::Error>,) =
            call(store, instance, &self.unchanged().render, (ctx, &page)).await?;
        Ok(r.map(Into::into).map_err(Into::into))
    }

    pub(crate) async fn submit(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        form: api::FormPost,
    ) -> Answer<api::Outcome> {
        let form: v0_2_0::wit::ActionRequest = form.into();
        let (r,): (Result<wit::Outcome, v0_1_0::wit::Error>,) =
            call(store, instance, &self.unchanged().submit, (ctx, &form)).await?;
        Ok(r.map(Into::into).map_err(Into::into))
    }
}
