//! Bindings of `portico:plugin@0.5.0`: requests to systems outside the
//! portal (`connections`), the `on-webhook` export, and views that may draw
//! lines on a map. Everything else is an earlier version's, mapped onto
//! its bindings with `with`, so the host side of each interface exists
//! once; of the `module` export, `on-webhook` is new, `render` and
//! `submit` give 0.5.0's views, the rest are 0.4.0's.

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

use super::{Answer, call, v0_1_0, v0_2_0, v0_4_0};
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
        // Every block but the line map is 0.4.0's, with the same payload.
        use v0_4_0::wit::Block as Earlier;
        let earlier = match b {
            wit::Block::LineMap(m) => return api::Block::LineMap(m.into()),
            wit::Block::Heading(h) => Earlier::Heading(h),
            wit::Block::Text(t) => Earlier::Text(t),
            wit::Block::Table(t) => Earlier::Table(t),
            wit::Block::KeyValues(items) => Earlier::KeyValues(items),
            wit::Block::Actions(items) => Earlier::Actions(items),
            wit::Block::Form(f) => Earlier::Form(f),
            wit::Block::Notice(n) => Earlier::Notice(n),
            wit::Block::Stats(items) => Earlier::Stats(items),
            wit::Block::Chart(c) => Earlier::Chart(c),
            wit::Block::Timeline(items) => Earlier::Timeline(items),
            wit::Block::LocationMap(m) => Earlier::LocationMap(m),
            wit::Block::Pager(p) => Earlier::Pager(p),
        };
        earlier.into()
    }
}

impl From<wit::LineMap> for api::LineMap {
    fn from(m: wit::LineMap) -> Self {
        api::LineMap {
            caption: m.caption,
            legend: m.legend,
            lines: m
                .lines
                .into_iter()
                .map(|l| api::MapLine {
                    points: l.points,
                    label: l.label,
                    link: l.link,
                    style: l.style,
                })
                .collect(),
            points: m.points.into_iter().map(Into::into).collect(),
        }
    }
}

/// Where 0.5.0's exports are: `on-webhook` is new, `render` and `submit`
/// give 0.5.0's views, the rest are 0.4.0's with the same types.
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

    pub(crate) async fn render(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        route: api::RouteMatch,
    ) -> Answer<api::View> {
        let page = v0_1_0::page_request(route);
        let export = &self.earlier.earlier.earlier.unchanged.render;
        let (r,): (Result<wit::View, v0_1_0::wit::Error>,) =
            call(store, instance, export, (ctx, &page)).await?;
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
        let export = &self.earlier.earlier.earlier.unchanged.submit;
        let (r,): (Result<wit::Outcome, v0_1_0::wit::Error>,) =
            call(store, instance, export, (ctx, &form)).await?;
        Ok(r.map(Into::into).map_err(Into::into))
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
