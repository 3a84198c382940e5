//! Bindings of `portico:plugin@0.1.0` and their conversion to the host's
//! model in [`crate::api`]. The host interfaces (`log`, `records`, …) are
//! 0.1.0's in every version, so their host side is generated here only.

pub(crate) mod generated {
    wasmtime::component::bindgen!({
        path: "../../wit/0.1.0",
        world: "portal-module",
        imports: { default: async | trappable },
        // A host function fails with `crate::host::HostError`: an error
        // given to the module, or a trap.
        trappable_error_type: { "portico:plugin/types.error" => crate::host::HostError },
        exports: { default: async },
    });
}

use wasmtime::Store;
use wasmtime::component::{ComponentExportIndex, Instance};

use super::{Answer, call};
use crate::host::CallState;
use crate::{api, backend};
pub(crate) use generated::portico::plugin::types as wit;
use generated::portico::plugin::{files, notify};

pub(crate) use generated::PortalModulePre;

/// The name of the exported interface in 0.1.0.
pub(crate) const MODULE_EXPORT: &str = "portico:plugin/module@0.1.0";

impl From<&api::CallContext> for wit::Context {
    fn from(c: &api::CallContext) -> Self {
        wit::Context {
            org_id: c.org_id.clone(),
            principal: c.principal.as_ref().map(|p| wit::Principal {
                user_id: p.user_id.clone(),
                name: p.name.clone(),
                org_id: p.org_id.clone(),
                roles: p.roles.clone(),
                permissions: p.permissions.clone(),
                assurance: match p.assurance {
                    api::Assurance::Anonymous => wit::Assurance::Anonymous,
                    api::Assurance::Registered => wit::Assurance::Registered,
                    api::Assurance::Substantial => wit::Assurance::Substantial,
                    api::Assurance::High => wit::Assurance::High,
                },
                claims: p.claims.clone(),
            }),
            request_id: c.request_id.clone(),
            locale: c.locale.clone(),
        }
    }
}

impl From<api::RouteMatch> for wit::RouteMatch {
    fn from(r: api::RouteMatch) -> Self {
        wit::RouteMatch {
            pattern: r.pattern,
            path: r.path,
            params: r.params,
            query: r.query,
        }
    }
}

impl From<api::Request> for wit::Request {
    fn from(r: api::Request) -> Self {
        wit::Request {
            method: match r.method {
                api::Method::Get => wit::Method::Get,
                api::Method::Head => wit::Method::Head,
                api::Method::Post => wit::Method::Post,
                api::Method::Put => wit::Method::Put,
                api::Method::Patch => wit::Method::Patch,
                api::Method::Delete => wit::Method::Delete,
                api::Method::Options => wit::Method::Options,
            },
            route: r.route.into(),
            headers: r.headers,
            body: r.body,
        }
    }
}

impl From<api::FormPost> for wit::ActionRequest {
    fn from(f: api::FormPost) -> Self {
        wit::ActionRequest {
            route: f.route.into(),
            fields: f.fields,
        }
    }
}

impl From<wit::Response> for api::Response {
    fn from(r: wit::Response) -> Self {
        api::Response {
            status: r.status,
            headers: r.headers,
            body: r.body,
        }
    }
}

impl From<wit::ModuleInfo> for api::ModuleInfo {
    fn from(i: wit::ModuleInfo) -> Self {
        api::ModuleInfo {
            id: i.id,
            version: i.version,
            name: i.name,
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

impl From<wit::View> for api::View {
    fn from(v: wit::View) -> Self {
        api::View {
            title: v.title,
            blocks: v.blocks.into_iter().map(Into::into).collect(),
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
                        sort_key: None,
                    })
                    .collect(),
                rows: rows(t.rows),
                empty_text: t.empty_text,
                sorted_by: None,
            }),
            wit::Block::KeyValues(items) => key_values(items),
            wit::Block::Actions(items) => actions(items),
            wit::Block::Form(f) => api::Block::Form(f.into()),
            wit::Block::Notice(n) => n.into(),
        }
    }
}

// The pieces below are shared with later versions, whose views reuse them.

impl From<wit::Heading> for api::Block {
    fn from(h: wit::Heading) -> Self {
        api::Block::Heading {
            level: h.level,
            text: h.text,
        }
    }
}

impl From<wit::Notice> for api::Block {
    fn from(n: wit::Notice) -> Self {
        api::Block::Notice {
            level: match n.level {
                wit::NoticeLevel::Info => api::NoticeLevel::Info,
                wit::NoticeLevel::Success => api::NoticeLevel::Success,
                wit::NoticeLevel::Warning => api::NoticeLevel::Warning,
                wit::NoticeLevel::Error => api::NoticeLevel::Error,
            },
            text: n.text,
        }
    }
}

impl From<wit::Form> for api::Form {
    fn from(f: wit::Form) -> Self {
        api::Form {
            action: f.action,
            submit_label: f.submit_label,
            fields: f.fields.into_iter().map(Into::into).collect(),
            buttons: Vec::new(),
        }
    }
}

pub(crate) fn choices(choices: Vec<wit::Choice>) -> Vec<api::Choice> {
    choices
        .into_iter()
        .map(|c| api::Choice {
            value: c.value,
            label: c.label,
        })
        .collect()
}

pub(crate) fn rows(rows: Vec<Vec<wit::Cell>>) -> Vec<Vec<api::Cell>> {
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|c| api::Cell {
                    text: c.text,
                    link: c.link,
                })
                .collect()
        })
        .collect()
}

pub(crate) fn key_values(items: Vec<wit::KeyValue>) -> api::Block {
    api::Block::KeyValues {
        items: items
            .into_iter()
            .map(|kv| api::KeyValue {
                key: kv.key,
                value: kv.value,
            })
            .collect(),
    }
}

pub(crate) fn actions(items: Vec<wit::Action>) -> api::Block {
    api::Block::Actions {
        items: items
            .into_iter()
            .map(|a| api::Action {
                label: a.label,
                href: a.href,
                style: match a.style {
                    wit::ActionStyle::Primary => api::ActionStyle::Primary,
                    wit::ActionStyle::Secondary => api::ActionStyle::Secondary,
                    wit::ActionStyle::Danger => api::ActionStyle::Danger,
                },
            })
            .collect(),
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
            },
            required: f.required,
            value: f.value,
            help: f.help,
            choices: choices(f.choices),
            error: f.error,
            ..api::FormField::default()
        }
    }
}

impl From<wit::Error> for api::ModuleError {
    fn from(e: wit::Error) -> Self {
        match e {
            wit::Error::NotFound(m) => api::ModuleError::NotFound(m),
            wit::Error::Forbidden(m) => api::ModuleError::Forbidden(m),
            wit::Error::Conflict(m) => api::ModuleError::Conflict(m),
            wit::Error::Invalid(fields) => api::ModuleError::Invalid(
                fields
                    .into_iter()
                    .map(|f| api::FieldError {
                        field: f.field,
                        message: f.message,
                    })
                    .collect(),
            ),
            wit::Error::Unavailable(m) => api::ModuleError::Unavailable(m),
            wit::Error::Internal(m) => api::ModuleError::Internal(m),
        }
    }
}

pub(crate) fn page_request(route: api::RouteMatch) -> wit::PageRequest {
    wit::PageRequest {
        route: route.into(),
    }
}

/// Where 0.1.0's exports are; 0.2.0 keeps all but `render` and `submit`
/// as they are.
pub(crate) struct Exports {
    describe: ComponentExportIndex,
    handle: ComponentExportIndex,
    // 0.2.0 calls these two with its own types.
    pub(super) render: ComponentExportIndex,
    pub(super) submit: ComponentExportIndex,
    run_job: ComponentExportIndex,
    on_event: ComponentExportIndex,
}

impl Exports {
    /// Looks each export up with `find`.
    pub(crate) fn find(
        find: impl Fn(&str) -> Result<ComponentExportIndex, String>,
    ) -> Result<Exports, String> {
        Ok(Exports {
            describe: find("describe")?,
            handle: find("handle")?,
            render: find("render")?,
            submit: find("submit")?,
            run_job: find("run-job")?,
            on_event: find("on-event")?,
        })
    }

    pub(crate) async fn describe(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
    ) -> wasmtime::Result<api::ModuleInfo> {
        let (info,): (wit::ModuleInfo,) = call(store, instance, &self.describe, ()).await?;
        Ok(info.into())
    }

    pub(crate) async fn render(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &wit::Context,
        route: api::RouteMatch,
    ) -> Answer<api::View> {
        let page = page_request(route);
        let (r,): (Result<wit::View, wit::Error>,) =
            call(store, instance, &self.render, (ctx, &page)).await?;
        Ok(r.map(Into::into).map_err(Into::into))
    }

    pub(crate) async fn submit(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &wit::Context,
        form: api::FormPost,
    ) -> Answer<api::Outcome> {
        // 0.1.0 has no file fields: its forms never post files.
        let form: wit::ActionRequest = form.into();
        let (r,): (Result<wit::Outcome, wit::Error>,) =
            call(store, instance, &self.submit, (ctx, &form)).await?;
        Ok(r.map(Into::into).map_err(Into::into))
    }

    pub(crate) async fn handle(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &wit::Context,
        req: api::Request,
    ) -> Answer<api::Response> {
        let req: wit::Request = req.into();
        let (r,): (Result<wit::Response, wit::Error>,) =
            call(store, instance, &self.handle, (ctx, &req)).await?;
        Ok(r.map(Into::into).map_err(Into::into))
    }

    pub(crate) async fn run_job(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &wit::Context,
        job: &str,
    ) -> Answer<()> {
        let (r,): (Result<(), wit::Error>,) =
            call(store, instance, &self.run_job, (ctx, job)).await?;
        Ok(r.map_err(Into::into))
    }

    pub(crate) async fn on_event(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        ctx: &wit::Context,
        event: api::Event,
    ) -> Answer<()> {
        let event: wit::Event = event.into();
        let (r,): (Result<(), wit::Error>,) =
            call(store, instance, &self.on_event, (ctx, &event)).await?;
        Ok(r.map_err(Into::into))
    }
}

mod data {
    use super::generated::portico::plugin::records as wit;
    use crate::backend;

    impl From<wit::Filter> for backend::Filter {
        fn from(f: wit::Filter) -> Self {
            backend::Filter {
                field: f.field,
                op: match f.op {
                    wit::Op::Eq => backend::FilterOp::Eq,
                    wit::Op::Lt => backend::FilterOp::Lt,
                    wit::Op::Le => backend::FilterOp::Le,
                    wit::Op::Gt => backend::FilterOp::Gt,
                    wit::Op::Ge => backend::FilterOp::Ge,
                    wit::Op::Prefix => backend::FilterOp::Prefix,
                },
                value: f.value,
            }
        }
    }

    impl From<wit::Query> for backend::RecordQuery {
        fn from(q: wit::Query) -> Self {
            backend::RecordQuery {
                filters: q.filters.into_iter().map(Into::into).collect(),
                sort: q.sort.map(|s| (s.field, s.descending)),
                newest_first: q.newest_first,
                limit: q.limit,
                cursor: q.cursor,
            }
        }
    }

    impl From<backend::Document> for wit::Document {
        fn from(d: backend::Document) -> Self {
            wit::Document {
                id: d.id,
                version: d.version,
                data: d.data,
                created_at: d.created_at,
                updated_at: d.updated_at,
            }
        }
    }

    impl From<backend::DocumentPage> for wit::Page {
        fn from(p: backend::DocumentPage) -> Self {
            wit::Page {
                documents: p.documents.into_iter().map(Into::into).collect(),
                next_cursor: p.next_cursor,
            }
        }
    }

    impl From<backend::DocumentGroup> for wit::Group {
        fn from(g: backend::DocumentGroup) -> Self {
            wit::Group {
                key: g.key,
                count: g.count,
                sum: g.sum,
            }
        }
    }
}

impl From<api::Event> for wit::Event {
    fn from(e: api::Event) -> Self {
        wit::Event {
            id: e.id,
            topic: e.topic,
            payload: e.payload,
            source: e.source,
            published_at: e.published_at,
        }
    }
}

impl From<backend::Delivery> for notify::Delivery {
    fn from(d: backend::Delivery) -> Self {
        notify::Delivery {
            status: match d.status {
                backend::DeliveryStatus::Queued => notify::DeliveryStatus::Queued,
                backend::DeliveryStatus::Sent => notify::DeliveryStatus::Sent,
                backend::DeliveryStatus::Delivered => notify::DeliveryStatus::Delivered,
                backend::DeliveryStatus::Failed => notify::DeliveryStatus::Failed,
            },
            attempts: d.attempts,
            last_error: d.last_error,
            sent_at: d.sent_at,
            read_at: d.read_at,
        }
    }
}

impl From<files::RetentionMark> for backend::RetentionMark {
    fn from(m: files::RetentionMark) -> Self {
        match m {
            files::RetentionMark::A => backend::RetentionMark::A,
            files::RetentionMark::S => backend::RetentionMark::S,
            files::RetentionMark::V => backend::RetentionMark::V,
        }
    }
}

impl From<backend::FileInfo> for files::FileInfo {
    fn from(f: backend::FileInfo) -> Self {
        files::FileInfo {
            id: f.id,
            name: f.name,
            media_type: f.media_type,
            size: f.size,
            sha256: f.sha256,
            mark: match f.mark {
                backend::RetentionMark::A => files::RetentionMark::A,
                backend::RetentionMark::S => files::RetentionMark::S,
                backend::RetentionMark::V => files::RetentionMark::V,
            },
            keep_until: f.keep_until,
            created_at: f.created_at,
        }
    }
}
