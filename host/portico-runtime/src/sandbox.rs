//! What one call's `Store` holds, the limits it runs under, and the host
//! side of each interface a module may import. Every host function takes
//! the organization and module from the call's own state, never from the
//! module's arguments.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::api::ModuleError;
use crate::bindings::v0_1_0::generated::portico::plugin::{
    audit, events, files, log, notify, records, settings, types,
};
use crate::manifest::{Capability, Manifest, TEMPLATE_MODULE_URL};
use crate::services::{self, CollectionRef, DataSession, HostServices};

/// A call overran its deadline.
#[derive(Debug, thiserror::Error)]
#[error("the call ran past its deadline")]
pub(crate) struct DeadlineExceeded;

/// A call asked for more memory than it may have.
#[derive(Debug, thiserror::Error)]
#[error("the call asked for {desired} bytes of memory; the limit is {limit}")]
pub(crate) struct MemoryLimitExceeded {
    pub(crate) desired: usize,
    pub(crate) limit: usize,
}

/// Caps a call's linear memory, tables and instances.
pub(crate) struct CallLimiter {
    memory_limit: usize,
}

impl ResourceLimiter for CallLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            // A trap, not a failed `memory.grow`: the module's allocator would
            // otherwise abort with a message that hides the real cause.
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                desired,
                limit: self.memory_limit,
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }

    fn instances(&self) -> usize {
        32
    }

    fn tables(&self) -> usize {
        32
    }

    fn memories(&self) -> usize {
        4
    }
}

/// Who is calling: the module and the organization, fixed by the host.
pub(crate) struct CallScope {
    pub(crate) manifest: Arc<Manifest>,
    pub(crate) org_id: String,
    pub(crate) request_id: String,
    /// Who acts, for the audit chain.
    pub(crate) actor: String,
    /// Whether the call may write.
    pub(crate) writable: bool,
    pub(crate) services: Arc<dyn HostServices>,
}

/// The data of one call's `Store`.
pub(crate) struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: CallLimiter,
    pub(crate) deadline: Instant,
    scope: CallScope,
    stderr: MemoryOutputPipe,
    /// The call's unit of work, begun at its first data operation.
    session: Option<Box<dyn DataSession>>,
}

/// The most a call's deadline moves for the time it waited for its unit of
/// work (see [`CallState::session`]).
const MAX_QUEUE_CREDIT: Duration = Duration::from_secs(30);

/// Bytes of a module's standard error kept per call (the panic message).
const STDERR_CAPTURE: usize = 4096;

impl CallState {
    pub(crate) fn new(
        scope: CallScope,
        memory_limit: usize,
        deadline: Instant,
        clock: &crate::Clock,
    ) -> CallState {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE);
        // No preopened folders, no environment, no arguments, no network:
        // the module sees nothing of the host but what Portico's interfaces give.
        let wasi = WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .wall_clock(clock.clone())
            .build();
        CallState {
            wasi,
            table: ResourceTable::new(),
            limiter: CallLimiter { memory_limit },
            deadline,
            scope,
            stderr,
            session: None,
        }
    }

    /// The unit of work, if the call used one; the caller commits it.
    pub(crate) fn take_session(&mut self) -> Option<Box<dyn DataSession>> {
        self.session.take()
    }

    /// The call's unit of work, begun on first use.
    async fn session(&mut self) -> Result<&mut Box<dyn DataSession>, types::Error> {
        if self.session.is_none() {
            let s = &self.scope;
            let asked = Instant::now();
            let begun = s
                .services
                .begin(services::CallScope {
                    org_id: s.org_id.clone(),
                    module_id: s.manifest.id.clone(),
                    actor: s.actor.clone(),
                    writable: s.writable,
                })
                .await
                .map_err(types::Error::from)?;
            // Waiting for the database (SQLite's one writer, busy with
            // other calls) is not the module's time: the deadline moves
            // by the wait, up to a bound, so that a busy portal does not
            // count healthy modules' queueing as their faults.
            self.deadline += asked.elapsed().min(MAX_QUEUE_CREDIT);
            self.session = Some(begun);
        }
        self.session
            .as_mut()
            .ok_or_else(|| types::Error::Internal("no unit of work".into()))
    }

    /// The manifest's declaration of `name`, once `records` is granted.
    fn collection(&self, name: &str) -> Result<(Arc<Manifest>, String), types::Error> {
        self.grant(Capability::Records)?;
        let manifest = self.scope.manifest.clone();
        if !manifest.collections.contains_key(name) {
            let declared: Vec<&str> = manifest.collections.keys().map(String::as_str).collect();
            return Err(types::Error::Invalid(vec![types::FieldError {
                field: "collection".into(),
                message: format!(
                    "the manifest declares no collection `{name}` (declared: {})",
                    if declared.is_empty() {
                        "none".to_owned()
                    } else {
                        declared.join(", ")
                    }
                ),
            }]));
        }
        Ok((manifest, name.to_owned()))
    }

    /// What the module wrote to standard error (usually a panic message),
    /// on one line: control characters escaped so it cannot forge log lines.
    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents())
            .trim()
            .escape_debug()
            .to_string()
    }

    fn grant(&self, capability: Capability) -> Result<(), types::Error> {
        if self.scope.manifest.grants(capability) {
            Ok(())
        } else {
            tracing::warn!(
                module = %self.scope.manifest.id,
                org = %self.scope.org_id,
                request_id = %self.scope.request_id,
                capability = capability.name(),
                "module used a host capability its manifest does not ask for"
            );
            Err(types::Error::Forbidden(format!(
                "the module's manifest does not ask for the `{}` capability",
                capability.name()
            )))
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

struct Io;

impl HasData for Io {
    type Data<'a> = &'a mut ResourceTable;
}

/// The linker every module is instantiated with: Portico's interfaces and
/// the parts of WASI the Rust standard library needs (clocks, random,
/// standard streams, exit). No filesystem and no sockets: a component that
/// imports them is refused at load.
pub(crate) fn linker(engine: &Engine) -> wasmtime::Result<Linker<CallState>> {
    use wasmtime_wasi::cli::{WasiCli, WasiCliView};
    use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
    use wasmtime_wasi::p2::bindings::{cli, clocks, io, random};
    use wasmtime_wasi::random::WasiRandom;

    let mut l = Linker::new(engine);
    io::error::add_to_linker::<CallState, Io>(&mut l, |s| &mut s.table)?;
    io::poll::add_to_linker::<CallState, Io>(&mut l, |s| &mut s.table)?;
    io::streams::add_to_linker::<CallState, Io>(&mut l, |s| &mut s.table)?;
    clocks::wall_clock::add_to_linker::<CallState, WasiClocks>(&mut l, CallState::clocks)?;
    clocks::monotonic_clock::add_to_linker::<CallState, WasiClocks>(&mut l, CallState::clocks)?;
    random::random::add_to_linker::<CallState, WasiRandom>(&mut l, |s| s.wasi.random())?;
    random::insecure::add_to_linker::<CallState, WasiRandom>(&mut l, |s| s.wasi.random())?;
    random::insecure_seed::add_to_linker::<CallState, WasiRandom>(&mut l, |s| s.wasi.random())?;
    cli::exit::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::environment::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::stdin::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::stdout::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::stderr::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::terminal_input::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::terminal_output::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::terminal_stdin::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::terminal_stdout::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;
    cli::terminal_stderr::add_to_linker::<CallState, WasiCli>(&mut l, CallState::cli)?;

    // The host interfaces are 0.1.0's in every version; later versions add
    // only their own (function-less) `types`.
    crate::bindings::v0_1_0::generated::PortalModule::add_to_linker::<
        CallState,
        wasmtime::component::HasSelf<CallState>,
    >(&mut l, |s| s)?;
    crate::bindings::v0_2_0::generated::portico::plugin0_2_0::types::add_to_linker::<
        CallState,
        wasmtime::component::HasSelf<CallState>,
    >(&mut l, |s| s)?;
    Ok(l)
}

impl types::Host for CallState {}
impl crate::bindings::v0_2_0::generated::portico::plugin0_2_0::types::Host for CallState {}

impl log::Host for CallState {
    async fn write(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        // Bounded, so a module cannot flood the host's log with one call, and
        // escaped, so it cannot forge log lines with line breaks.
        let message: String = message.chars().take(2000).collect();
        let message = message.escape_debug();
        let s = &self.scope;
        let (module, org, request_id) = (&s.manifest.id, &s.org_id, &s.request_id);
        match level {
            log::Level::Trace => {
                tracing::trace!(module = %module, org = %org, request_id = %request_id, "{message}")
            }
            log::Level::Debug => {
                tracing::debug!(module = %module, org = %org, request_id = %request_id, "{message}")
            }
            log::Level::Info => {
                tracing::info!(module = %module, org = %org, request_id = %request_id, "{message}")
            }
            log::Level::Warn => {
                tracing::warn!(module = %module, org = %org, request_id = %request_id, "{message}")
            }
            log::Level::Error => {
                tracing::error!(module = %module, org = %org, request_id = %request_id, "{message}")
            }
        }
        Ok(())
    }
}

impl settings::Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<String>, types::Error>> {
        if let Err(e) = self.grant(Capability::Settings) {
            return Ok(Err(e));
        }
        let s = &self.scope;
        let Some(spec) = s.manifest.settings.get(&key) else {
            return Ok(Err(types::Error::NotFound(format!(
                "the manifest declares no setting `{key}`"
            ))));
        };
        let value = s
            .services
            .setting(&s.org_id, &s.manifest.id, &key)
            .await
            .or_else(|| spec.default.clone());
        Ok(Ok(value))
    }
}

/// Runs one data operation of a call: resolves the collection against the
/// manifest, begins the unit of work on first use, and maps errors into the
/// module's error type.
macro_rules! with_collection {
    ($state:ident, $name:expr, |$session:ident, $c:ident| $body:expr) => {{
        let (manifest, name) = match $state.collection(&$name) {
            Ok(found) => found,
            Err(e) => return Ok(Err(e)),
        };
        let spec = &manifest.collections[&name];
        let $c = CollectionRef { name: &name, spec };
        let $session = match $state.session().await {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        Ok($body.await.map(Into::into).map_err(types::Error::from))
    }};
}

impl records::Host for CallState {
    async fn get(
        &mut self,
        collection: String,
        id: String,
    ) -> wasmtime::Result<Result<records::Document, types::Error>> {
        with_collection!(self, collection, |s, c| s.get(c, &id))
    }

    async fn insert(
        &mut self,
        collection: String,
        data: String,
    ) -> wasmtime::Result<Result<records::Document, types::Error>> {
        with_collection!(self, collection, |s, c| s.insert(c, &data))
    }

    async fn update(
        &mut self,
        collection: String,
        id: String,
        expected_version: u64,
        data: String,
    ) -> wasmtime::Result<Result<records::Document, types::Error>> {
        with_collection!(self, collection, |s, c| s.update(
            c,
            &id,
            expected_version,
            &data
        ))
    }

    async fn delete(
        &mut self,
        collection: String,
        id: String,
        expected_version: u64,
    ) -> wasmtime::Result<Result<(), types::Error>> {
        with_collection!(self, collection, |s, c| s.delete(c, &id, expected_version))
    }

    async fn find(
        &mut self,
        collection: String,
        q: records::Query,
    ) -> wasmtime::Result<Result<records::Page, types::Error>> {
        with_collection!(self, collection, |s, c| s.query(c, q.into()))
    }

    async fn aggregate(
        &mut self,
        collection: String,
        filters: Vec<records::Filter>,
        group_by: String,
        sum: Option<String>,
    ) -> wasmtime::Result<Result<Vec<records::Group>, types::Error>> {
        let filters = filters.into_iter().map(Into::into).collect();
        let groups: Result<Result<Vec<services::DocumentGroup>, types::Error>, wasmtime::Error> = with_collection!(
            self,
            collection,
            |s, c| s.aggregate(c, filters, &group_by, sum.as_deref())
        );
        Ok(groups?.map(|g| g.into_iter().map(Into::into).collect()))
    }
}

impl audit::Host for CallState {
    async fn append(
        &mut self,
        action: String,
        subject: String,
        detail: String,
    ) -> wasmtime::Result<Result<(), types::Error>> {
        if let Err(e) = self.grant(Capability::Audit) {
            return Ok(Err(e));
        }
        let invalid = |field: &str, message: String| {
            Ok(Err(types::Error::Invalid(vec![types::FieldError {
                field: field.into(),
                message,
            }])))
        };
        if action.is_empty() || action.len() > 100 {
            return invalid("action", "must be 1 to 100 characters".into());
        }
        if subject.len() > 300 {
            return invalid("subject", "may be at most 300 characters".into());
        }
        if detail.len() > 16 * 1024 {
            return invalid("detail", "may be at most 16 KiB".into());
        }
        let detail: serde_json::Value = match serde_json::from_str(&detail) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            Ok(_) => return invalid("detail", "must be a JSON object".into()),
            Err(e) => return invalid("detail", format!("is not valid JSON: {e}")),
        };
        let session = match self.session().await {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        Ok(session
            .audit(&action, &subject, detail)
            .await
            .map_err(types::Error::from))
    }
}

impl events::Host for CallState {
    async fn publish(
        &mut self,
        topic: String,
        payload: String,
    ) -> wasmtime::Result<Result<(), types::Error>> {
        if let Err(e) = self.grant(Capability::Events) {
            return Ok(Err(e));
        }
        if !crate::manifest::is_topic(&topic) {
            return Ok(Err(types::Error::Invalid(vec![types::FieldError {
                field: "topic".into(),
                message: format!(
                    "`{topic}` is not a topic: use lower-case words joined by dots, e.g. `notice.posted`"
                ),
            }])));
        }
        let session = match self.session().await {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        Ok(session
            .publish(&topic, &payload)
            .await
            .map_err(types::Error::from))
    }
}

fn invalid<T>(field: &str, message: String) -> wasmtime::Result<Result<T, types::Error>> {
    Ok(Err(types::Error::Invalid(vec![types::FieldError {
        field: field.into(),
        message,
    }])))
}

/// Runs one operation of `capability` in the call's unit of work.
macro_rules! with_session {
    ($state:ident, $capability:expr, |$session:ident| $body:expr) => {{
        if let Err(e) = $state.grant($capability) {
            return Ok(Err(e));
        }
        let $session = match $state.session().await {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        Ok($body.await.map(Into::into).map_err(types::Error::from))
    }};
}

impl notify::Host for CallState {
    async fn send(
        &mut self,
        to: notify::Recipient,
        template: String,
        data: String,
    ) -> wasmtime::Result<Result<String, types::Error>> {
        if let Err(e) = self.grant(Capability::Notify) {
            return Ok(Err(e));
        }
        let manifest = self.scope.manifest.clone();
        let Some(spec) = manifest.templates.get(&template) else {
            let declared: Vec<&str> = manifest.templates.keys().map(String::as_str).collect();
            return invalid(
                "template",
                format!(
                    "the manifest declares no template `{template}` (declared: {})",
                    if declared.is_empty() {
                        "none".to_owned()
                    } else {
                        declared.join(", ")
                    }
                ),
            );
        };
        let mut data = match serde_json::from_str(&data) {
            Ok(serde_json::Value::Object(v)) => v,
            Ok(_) => return invalid("data", "must be a JSON object".into()),
            Err(e) => return invalid("data", format!("is not valid JSON: {e}")),
        };
        // A message is read outside the portal: its links need the
        // module's address, which only the host knows.
        data.insert(
            TEMPLATE_MODULE_URL.to_owned(),
            self.scope
                .services
                .module_url(&self.scope.org_id, &manifest.id)
                .into(),
        );
        let rendered = match spec.render(&serde_json::Value::Object(data)) {
            Ok(r) => r,
            Err(e) => return invalid("data", format!("does not fill `{template}`: {e}")),
        };
        let (to, body) = match to {
            notify::Recipient::User(u) => (services::Recipient::User(u), rendered.text),
            notify::Recipient::Email(a) => (services::Recipient::Email(a), rendered.text),
            notify::Recipient::Phone(p) => (services::Recipient::Phone(p), rendered.sms),
        };
        let message = services::Message {
            to,
            template,
            subject: rendered.subject,
            body,
        };
        with_session!(self, Capability::Notify, |s| s.notify(message))
    }

    async fn status(
        &mut self,
        id: String,
    ) -> wasmtime::Result<Result<notify::Delivery, types::Error>> {
        with_session!(self, Capability::Notify, |s| s.notification(&id))
    }
}

impl files::Host for CallState {
    async fn store(
        &mut self,
        name: String,
        media_type: String,
        content: Vec<u8>,
        retention: files::Retention,
    ) -> wasmtime::Result<Result<files::FileInfo, types::Error>> {
        let file = services::NewFile {
            name,
            media_type,
            content,
            mark: retention.mark.into(),
            years: retention.years,
        };
        with_session!(self, Capability::Files, |s| s.store_file(file))
    }

    async fn info(
        &mut self,
        id: String,
    ) -> wasmtime::Result<Result<files::FileInfo, types::Error>> {
        with_session!(self, Capability::Files, |s| s.file_info(&id))
    }

    async fn read(&mut self, id: String) -> wasmtime::Result<Result<Vec<u8>, types::Error>> {
        with_session!(self, Capability::Files, |s| s.read_file(&id))
    }

    async fn delete(&mut self, id: String) -> wasmtime::Result<Result<(), types::Error>> {
        with_session!(self, Capability::Files, |s| s.delete_file(&id))
    }
}

impl From<ModuleError> for types::Error {
    fn from(e: ModuleError) -> Self {
        match e {
            ModuleError::NotFound(m) => types::Error::NotFound(m),
            ModuleError::Forbidden(m) => types::Error::Forbidden(m),
            ModuleError::Conflict(m) => types::Error::Conflict(m),
            ModuleError::Invalid(fields) => types::Error::Invalid(
                fields
                    .into_iter()
                    .map(|f| types::FieldError {
                        field: f.field,
                        message: f.message,
                    })
                    .collect(),
            ),
            ModuleError::Unavailable(m) => types::Error::Unavailable(m),
            ModuleError::Internal(m) => types::Error::Internal(m),
        }
    }
}
