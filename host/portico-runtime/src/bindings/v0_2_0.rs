//! Bindings of `portico:plugin@0.2.0`: its richer views and its `module`
//! export. Everything else is 0.1.0's, mapped onto the 0.1.0 bindings with
//! `with`, so the host side of each interface exists once.

pub(crate) mod generated {
    wasmtime::component::bindgen!({
        path: "../../wit/0.2.0",
        world: "portico:plugin/portal-module@0.2.0",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "portico:plugin/types@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::types,
            "portico:plugin/log@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::log,
            "portico:plugin/settings@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::settings,
            "portico:plugin/records@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::records,
            "portico:plugin/audit@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::audit,
            "portico:plugin/events@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::events,
            "portico:plugin/notify@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::notify,
            "portico:plugin/files@0.1.0": crate::bindings::v0_1_0::generated::portico::plugin::files,
        },
    });
}

use wasmtime::Store;
use wasmtime::component::{ComponentExportIndex, Instance};

use super::{Answer, call, v0_1_0};
use crate::api;
use crate::host::CallState;
pub(crate) use generated::PortalModulePre;
pub(crate) use generated::portico::plugin0_2_0::types as wit;

/// The name of the exported interface in 0.2.0.
pub(crate) const MODULE_EXPORT: &str = "portico:plugin/module@0.2.0";

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
            wit::Block::Form(f) => api::Block::Form(f.into()),
            wit::Block::Notice(n) => n.into(),
            wit::Block::Stats(items) => stats(items),
            wit::Block::Chart(c) => api::Block::Chart(c.into()),
            wit::Block::Timeline(items) => timeline(items),
            wit::Block::LocationMap(m) => api::Block::Map(m.into()),
            wit::Block::Pager(p) => api::Block::Pager(p.into()),
        }
    }
}

impl From<wit::Table> for api::Table {
    fn from(t: wit::Table) -> Self {
        api::Table {
            caption: t.caption,
            columns: t
                .columns
                .into_iter()
                .map(|c| api::Column {
                    label: c.label,
                    numeric: c.numeric,
                    sort_key: c.sort_key,
                })
                .collect(),
            rows: v0_1_0::rows(t.rows),
            empty_text: t.empty_text,
            sorted_by: t.sorted_by.map(|s| api::TableSort {
                key: s.key,
                descending: s.descending,
            }),
        }
    }
}

/// A `stats` block.
pub(super) fn stats(items: Vec<wit::Stat>) -> api::Block {
    api::Block::Stats {
        items: items
            .into_iter()
            .map(|s| api::Stat {
                label: s.label,
                value: s.value,
                detail: s.detail,
                link: s.link,
            })
            .collect(),
    }
}

impl From<wit::Chart> for api::Chart {
    fn from(c: wit::Chart) -> Self {
        api::Chart {
            caption: c.caption,
            kind: match c.kind {
                wit::ChartKind::Bar => api::ChartKind::Bar,
                wit::ChartKind::Line => api::ChartKind::Line,
            },
            categories: c.categories,
            series: c
                .series
                .into_iter()
                .map(|s| api::Series {
                    name: s.name,
                    values: s.values,
                })
                .collect(),
            unit: c.unit,
        }
    }
}

/// A `timeline` block.
pub(super) fn timeline(items: Vec<wit::TimelineEntry>) -> api::Block {
    api::Block::Timeline {
        items: items
            .into_iter()
            .map(|e| api::TimelineEntry {
                when: e.when,
                title: e.title,
                text: e.text,
                link: e.link,
            })
            .collect(),
    }
}

impl From<wit::LocationMap> for api::Map {
    fn from(m: wit::LocationMap) -> Self {
        api::Map {
            caption: m.caption,
            points: m.points.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<wit::MapPoint> for api::MapPoint {
    fn from(p: wit::MapPoint) -> Self {
        api::MapPoint {
            latitude: p.latitude,
            longitude: p.longitude,
            label: p.label,
            link: p.link,
        }
    }
}

impl From<wit::Pager> for api::Pager {
    fn from(p: wit::Pager) -> Self {
        api::Pager {
            previous: p.previous,
            next: p.next,
            summary: p.summary,
        }
    }
}

impl From<wit::FormButton> for api::FormButton {
    fn from(b: wit::FormButton) -> Self {
        api::FormButton {
            name: b.name,
            label: b.label,
        }
    }
}

impl From<wit::Form> for api::Form {
    fn from(f: wit::Form) -> Self {
        api::Form {
            action: f.action,
            submit_label: f.submit_label,
            fields: f.fields.into_iter().map(Into::into).collect(),
            buttons: f.buttons.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<wit::FormField> for api::FormField {
    fn from(f: wit::FormField) -> Self {
        api::FormField {
            name: f.name,
            label: f.label,
            kind: match f.kind {
                wit::FieldKind::Text => api::FieldKind::Text,
                wit::FieldKind::Textarea => api::FieldKind::Textarea,
                wit::FieldKind::Number => api::FieldKind::Number,
                wit::FieldKind::Date => api::FieldKind::Date,
                wit::FieldKind::Email => api::FieldKind::Email,
                wit::FieldKind::Tel => api::FieldKind::Tel,
                wit::FieldKind::Select => api::FieldKind::Select,
                wit::FieldKind::Checkbox => api::FieldKind::Checkbox,
                wit::FieldKind::Hidden => api::FieldKind::Hidden,
                wit::FieldKind::Radio => api::FieldKind::Radio,
                wit::FieldKind::Checkboxes => api::FieldKind::Checkboxes,
                wit::FieldKind::File => api::FieldKind::File,
            },
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
            ..api::FormField::default()
        }
    }
}

impl From<api::FormPost> for wit::ActionRequest {
    fn from(f: api::FormPost) -> Self {
        wit::ActionRequest {
            route: f.route.into(),
            fields: f.fields,
            files: f
                .files
                .into_iter()
                .map(|u| wit::UploadedFile {
                    field: u.field,
                    filename: u.filename,
                    media_type: u.media_type,
                    content: u.content,
                })
                .collect(),
        }
    }
}

/// Where 0.2.0's exports are: `render` and `submit` take and give 0.2.0's
/// types, `migrate` is new, the rest are 0.1.0's.
pub(crate) struct Exports {
    pub(crate) unchanged: v0_1_0::Exports,
    migrate: ComponentExportIndex,
}

impl Exports {
    /// Looks each export up with `find`.
    pub(crate) fn find(
        find: impl Fn(&str) -> Result<ComponentExportIndex, String>,
    ) -> Result<Exports, String> {
        Ok(Exports {
            migrate: find("migrate")?,
            unchanged: v0_1_0::Exports::find(find)?,
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
        let (r,): (Result<wit::View, v0_1_0::wit::Error>,) =
            call(store, instance, &self.unchanged.render, (ctx, &page)).await?;
        Ok(r.map(Into::into).map_err(Into::into))
    }

    pub(crate) async fn submit(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        form: api::FormPost,
    ) -> Answer<api::Outcome> {
        let form: wit::ActionRequest = form.into();
        let (r,): (Result<wit::Outcome, v0_1_0::wit::Error>,) =
            call(store, instance, &self.unchanged.submit, (ctx, &form)).await?;
        Ok(r.map(Into::into).map_err(Into::into))
    }

    pub(crate) async fn migrate(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &v0_1_0::wit::Context,
        from: &str,
    ) -> Answer<()> {
        let (r,): (Result<(), v0_1_0::wit::Error>,) =
            call(store, instance, &self.migrate, (ctx, from)).await?;
        Ok(r.map_err(Into::into))
    }
}
