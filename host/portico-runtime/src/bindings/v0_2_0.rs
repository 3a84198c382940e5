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

use super::v0_1_0;
use crate::api;
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
            wit::Block::Table(t) => api::Block::Table(api::Table {
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
            }),
            wit::Block::KeyValues(items) => v0_1_0::key_values(items),
            wit::Block::Actions(items) => v0_1_0::actions(items),
            wit::Block::Form(f) => api::Block::Form(f.into()),
            wit::Block::Notice(n) => n.into(),
            wit::Block::Stats(items) => api::Block::Stats {
                items: items
                    .into_iter()
                    .map(|s| api::Stat {
                        label: s.label,
                        value: s.value,
                        detail: s.detail,
                        link: s.link,
                    })
                    .collect(),
            },
            wit::Block::Chart(c) => api::Block::Chart(api::Chart {
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
            }),
            wit::Block::Timeline(items) => api::Block::Timeline {
                items: items
                    .into_iter()
                    .map(|e| api::TimelineEntry {
                        when: e.when,
                        title: e.title,
                        text: e.text,
                        link: e.link,
                    })
                    .collect(),
            },
            wit::Block::LocationMap(m) => api::Block::Map(api::Map {
                caption: m.caption,
                points: m
                    .points
                    .into_iter()
                    .map(|p| api::MapPoint {
                        latitude: p.latitude,
                        longitude: p.longitude,
                        label: p.label,
                        link: p.link,
                    })
                    .collect(),
            }),
            wit::Block::Pager(p) => api::Block::Pager(api::Pager {
                previous: p.previous,
                next: p.next,
                summary: p.summary,
            }),
        }
    }
}
