//! A loaded module: its manifest, its pre-linked component, its routes and
//! breaker, and the calls into it. Each call gets a fresh `Store` and a
//! fresh instance; a fault is that call's error only.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, InstancePre};
use wasmtime::{Store, Trap, UpdateDeadline};

use crate::admission::{Admission, Refusal};
use crate::api::{
    self, CallContext, FormPost, ModuleError, ModuleInfo, Outcome, Request, Response, RouteMatch,
    View,
};
use crate::backend::{self, HostServices};
use crate::bindings::v0_1_0::wit;
use crate::bindings::{ApiVersion, Exports};
use crate::breaker::{Breaker, BreakerState, SwitchedOff};
use crate::engine::{CodeSource, ModuleEngine};
use crate::host::{CallState, Caller, DeadlineExceeded, MemoryLimitExceeded, Receipt};
use crate::manifest::{Manifest, Route, RouteKind};

/// The limits every call of a module runs under.
#[derive(Debug, Clone, Copy)]
pub struct CallLimits {
    /// Wall-clock time a call may take.
    pub deadline: Duration,
    /// Linear memory a call may use.
    pub memory_bytes: usize,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            deadline: Duration::from_secs(5),
            memory_bytes: 64 << 20,
        }
    }
}

/// The exports of a module, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Export {
    /// `describe`
    Describe,
    /// `render`
    Render,
    /// `submit`
    Submit,
    /// `handle`
    Handle,
    /// `run-job`
    RunJob,
    /// `on-event`
    OnEvent,
    /// `migrate` (0.2.0 and later)
    Migrate,
    /// `on-message` (0.3.0 and later)
    OnMessage,
    /// `on-webhook` (0.5.0 and later)
    OnWebhook,
}

impl Export {
    /// The export's WIT name.
    pub fn name(self) -> &'static str {
        match self {
            Export::Describe => "describe",
            Export::Render => "render",
            Export::Submit => "submit",
            Export::Handle => "handle",
            Export::RunJob => "run-job",
            Export::OnEvent => "on-event",
            Export::Migrate => "migrate",
            Export::OnMessage => "on-message",
            Export::OnWebhook => "on-webhook",
        }
    }
}

/// Why a call into a module did not return a result.
#[derive(Debug, thiserror::Error)]
#[error("module {module}@{version}: {kind}")]
pub struct CallError {
    /// The module's id.
    pub module: String,
    /// The module's version.
    pub version: String,
    /// What went wrong.
    pub kind: CallErrorKind,
}

/// What went wrong in a call.
#[derive(Debug, thiserror::Error)]
pub enum CallErrorKind {
    /// The module answered with an error on purpose.
    #[error("{0}")]
    Module(ModuleError),
    /// The module crashed (a WebAssembly trap, e.g. a panic).
    #[error("trapped: {0}")]
    Trap(String),
    /// The call ran past its deadline and was stopped.
    #[error("stopped after its deadline of {0:?}")]
    DeadlineExceeded(Duration),
    /// The call asked for more memory than its limit and was stopped.
    #[error("stopped at its memory limit of {0} bytes")]
    MemoryExceeded(usize),
    /// The module is switched off by its circuit breaker.
    #[error("switched off after {} faults in a row: {}", .0.faults_in_a_row, .0.reason)]
    SwitchedOff(SwitchedOff),
    /// Every instance slot stayed busy: the call was refused before it
    /// started (see [`crate::admission`]).
    #[error("too many calls at once; refused before it started ({})", .0.label())]
    Overloaded(Refusal),
    /// The host could not set up or finish the call.
    #[error("host failure: {0}")]
    Host(String),
}

impl CallErrorKind {
    /// Whether this is a fault of the module's code (counts for the breaker).
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            CallErrorKind::Trap(_)
                | CallErrorKind::DeadlineExceeded(_)
                | CallErrorKind::MemoryExceeded(_)
        )
    }
}

/// How long one organization's migration may run: it walks every record of
/// the module there, far more than a request does.
pub const MIGRATION_DEADLINE: Duration = Duration::from_secs(60);

/// A module loaded into the host, ready to be called.
pub struct LoadedModule {
    manifest: Arc<Manifest>,
    dir: PathBuf,
    /// The files in `dir` when the module was loaded, with their sizes:
    /// a loaded module's folder does not change (a new version is loaded
    /// anew), so a page need not look at the disk to know what it ships.
    files: std::collections::BTreeMap<String, u64>,
    pre: InstancePre<CallState>,
    exports: Exports,
    engine: wasmtime::Engine,
    admission: Arc<Admission>,
    routes: matchit::Router<usize>,
    breaker: Breaker,
    limits: CallLimits,
    services: Arc<dyn HostServices>,
    code_source: CodeSource,
    clock: crate::Clock,
}

/// The argument of a call, by export.
enum Invocation {
    Describe,
    Render(RouteMatch),
    Submit(FormPost),
    Handle(Request),
    RunJob(String),
    OnEvent(api::Event),
    Migrate(String),
    OnMessage(api::Message),
    OnWebhook(api::Webhook),
}

impl Invocation {
    /// Whether the call may write: forms, API requests that are not GET,
    /// jobs and events. Pages and GET requests only read.
    fn writes(&self) -> bool {
        match self {
            Invocation::Describe | Invocation::Render(_) => false,
            Invocation::Handle(r) => !matches!(
                r.method,
                api::Method::Get | api::Method::Head | api::Method::Options
            ),
            Invocation::Submit(_)
            | Invocation::RunJob(_)
            | Invocation::OnEvent(_)
            | Invocation::Migrate(_)
            | Invocation::OnMessage(_)
            | Invocation::OnWebhook(_) => true,
        }
    }
}

/// The result of a call, by export.
enum Returned {
    Info(ModuleInfo),
    View(View),
    Outcome(Outcome),
    Response(Response),
    Done,
}

/// How a module is loaded: limits, breaker and the services behind the host interfaces.
#[derive(Clone)]
pub struct ModuleOptions {
    /// Limits of every call.
    pub limits: CallLimits,
    /// Faults in a row that switch a module off.
    pub breaker_threshold: u32,
    /// Where breaker state is kept; `None` keeps it in memory only.
    pub state_dir: Option<PathBuf>,
    /// What the host interfaces stand on.
    pub services: Arc<dyn HostServices>,
    /// The wall clock modules read.
    pub clock: crate::Clock,
}

impl Default for ModuleOptions {
    fn default() -> Self {
        ModuleOptions {
            limits: CallLimits::default(),
            breaker_threshold: 5,
            state_dir: None,
            services: Arc::new(backend::DefaultsOnly),
            clock: crate::Clock::default(),
        }
    }
}

impl LoadedModule {
    /// Links a compiled component with its manifest and checks that it is
    /// what the manifest says (by calling `describe`).
    pub(crate) async fn link(
        engine: &ModuleEngine,
        manifest: Manifest,
        dir: PathBuf,
        component: Component,
        code_source: CodeSource,
        options: &ModuleOptions,
    ) -> Result<LoadedModule, String> {
        let imports_http = component
            .component_type()
            .imports(engine.engine())
            .any(|(name, _)| crate::host::is_http(name));
        let linked = if imports_http {
            // Its own linker, whose `wasi:http` refuses every call.
            let mut linker = engine.linker().clone();
            crate::host::refuse_http(&mut linker, &component)
                .and_then(|()| linker.instantiate_pre(&component))
        } else {
            engine.linker().instantiate_pre(&component)
        };
        let instance_pre = linked.map_err(|e| {
            format!("the component needs something this host does not provide: {e:#}")
        })?;
        let exports = Exports::find(&component)?;
        exports.check(&instance_pre)?;
        if let Some(hook) = manifest
            .connections
            .iter()
            .find(|c| c.kind == crate::manifest::ConnectionKind::Webhook)
            && !exports.receives_webhooks()
        {
            return Err(format!(
                "the manifest declares the webhook connection `{}`, but the component is built \
                 against portico:plugin@{}, which receives no webhooks (0.5.0 on)",
                hook.name,
                exports.version()
            ));
        }
        let mut routes = matchit::Router::new();
        for (i, route) in manifest.routes.iter().enumerate() {
            // Validated with the manifest already.
            routes
                .insert(route.path.as_str(), i)
                .map_err(|e| format!("route `{}`: {e}", route.path))?;
        }
        let memory_bytes = options.limits.memory_bytes.min(engine.max_memory_bytes());
        let files = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let meta = entry.metadata().ok().filter(|m| m.is_file())?;
                Some((entry.file_name().into_string().ok()?, meta.len()))
            })
            .collect();
        let module = LoadedModule {
            breaker: Breaker::new(
                &manifest.id,
                options.breaker_threshold,
                options.state_dir.as_deref(),
            ),
            manifest: Arc::new(manifest),
            dir,
            files,
            pre: instance_pre,
            exports,
            engine: engine.engine().clone(),
            admission: engine.admission().clone(),
            routes,
            limits: CallLimits {
                memory_bytes,
                ..options.limits
            },
            services: options.services.clone(),
            code_source,
            clock: options.clock.clone(),
        };
        let ctx = CallContext {
            org_id: String::new(),
            principal: None,
            request_id: "load".into(),
            locale: "en".into(),
        };
        let info = module
            .call(&ctx, Invocation::Describe)
            .await
            .map_err(|e| format!("`describe` failed: {}", e.kind))?;
        let Returned::Info(info) = info else {
            return Err("`describe` returned something else".into());
        };
        let m = &module.manifest;
        if info.id != m.id || info.version != m.version.to_string() {
            return Err(format!(
                "the component says it is {}@{} but the manifest says {}@{}",
                info.id, info.version, m.id, m.version
            ));
        }
        Ok(module)
    }

    /// The module's id.
    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    /// The module's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The version of `portico:plugin` the module was built against.
    pub fn api_version(&self) -> ApiVersion {
        self.exports.version()
    }

    /// The folder the module was loaded from.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The size of the file `name` of the module's folder, as it was when
    /// the module was loaded; `None` when it ships no such file.
    pub fn file_size(&self, name: &str) -> Option<u64> {
        self.files.get(name).copied()
    }

    /// Whether the machine code came from the cache.
    pub fn code_source(&self) -> CodeSource {
        self.code_source
    }

    /// The gate its calls pass for an instance slot (shared by every module of the engine).
    pub fn admission(&self) -> &Admission {
        &self.admission
    }

    /// The limits of its calls.
    pub fn limits(&self) -> CallLimits {
        self.limits
    }

    /// Its circuit breaker's state everywhere (see [`crate::breaker`]).
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// Its circuit breaker's state in organization `org`.
    pub fn breaker_state_in(&self, org: &str) -> BreakerState {
        self.breaker.state_in(org)
    }

    /// The organizations its breaker switched it off in.
    pub fn switched_off_in(&self) -> std::collections::BTreeMap<String, SwitchedOff> {
        self.breaker.switched_off_in()
    }

    /// Switches the module on again after its breaker opened: in `org`,
    /// or everywhere and in every organization.
    pub fn switch_on(&self, org: Option<&str>) -> std::io::Result<()> {
        self.breaker.reset(org)
    }

    /// The manifest route that serves `path` (below `/m/<id>`), with its
    /// parameters; `None` when no route matches.
    pub fn route(&self, path: &str) -> Option<(&Route, RouteMatch)> {
        let path = if path.is_empty() { "/" } else { path };
        let found = self.routes.at(path).ok()?;
        let route = &self.manifest.routes[*found.value];
        // Parameters arrive percent-encoded (an id may contain `/`); modules get them decoded.
        let params = found
            .params
            .iter()
            .map(|(k, v)| {
                let value = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                (k.to_owned(), value.into_owned())
            })
            .collect();
        Some((
            route,
            RouteMatch {
                pattern: route.path.clone(),
                path: path.to_owned(),
                params,
                query: Vec::new(),
            },
        ))
    }

    /// Renders a page route.
    pub async fn render(&self, ctx: &CallContext, route: RouteMatch) -> Result<View, CallError> {
        match self.call(ctx, Invocation::Render(route)).await? {
            Returned::View(v) => Ok(v),
            _ => Err(self.error(CallErrorKind::Host("unexpected result".into()))),
        }
    }

    /// Submits a form to a page route.
    pub async fn submit(&self, ctx: &CallContext, form: FormPost) -> Result<Outcome, CallError> {
        match self.call(ctx, Invocation::Submit(form)).await? {
            Returned::Outcome(o) => Ok(o),
            _ => Err(self.error(CallErrorKind::Host("unexpected result".into()))),
        }
    }

    /// Handles an API request.
    pub async fn handle(&self, ctx: &CallContext, req: Request) -> Result<Response, CallError> {
        match self.call(ctx, Invocation::Handle(req)).await? {
            Returned::Response(r) => Ok(r),
            _ => Err(self.error(CallErrorKind::Host("unexpected result".into()))),
        }
    }

    /// Runs one of the manifest's jobs.
    pub async fn run_job(&self, ctx: &CallContext, job: &str) -> Result<(), CallError> {
        if !self.manifest.jobs.iter().any(|j| j.name == job) {
            return Err(
                self.error(CallErrorKind::Module(ModuleError::NotFound(format!(
                    "the manifest declares no job `{job}`"
                )))),
            );
        }
        self.call(ctx, Invocation::RunJob(job.to_owned()))
            .await
            .map(drop)
    }

    /// Delivers an event the manifest subscribes to.
    pub async fn on_event(&self, ctx: &CallContext, event: api::Event) -> Result<(), CallError> {
        if !self.manifest.subscribes.contains(&event.topic) {
            return Err(
                self.error(CallErrorKind::Module(ModuleError::NotFound(format!(
                    "the manifest does not subscribe to `{}`",
                    event.topic
                )))),
            );
        }
        self.call(ctx, Invocation::OnEvent(event)).await.map(drop)
    }

    /// Delivers a message from this module in another organization to
    /// `ctx`'s. The note that the message was received is written first,
    /// in the unit of work the module then writes in, and kept with its
    /// writes; a message received before is not handed to the module again.
    pub async fn on_message(
        &self,
        ctx: &CallContext,
        message: api::Message,
    ) -> Result<(), CallError> {
        self.call(ctx, Invocation::OnMessage(message))
            .await
            .map(drop)
    }

    /// Hands what an outside system sent to a webhook connection (its
    /// signature checked by the caller) to the module in `ctx`'s
    /// organization. The note that it was received is written first, in
    /// the unit of work the module then writes in, and kept with its
    /// writes; a message received before is not handed over again.
    pub async fn on_webhook(&self, ctx: &CallContext, hook: api::Webhook) -> Result<(), CallError> {
        self.call(ctx, Invocation::OnWebhook(hook)).await.map(drop)
    }

    /// Migrates the records of `ctx`'s organization from what version
    /// `from_version` of this module wrote (see the WIT `migrate`). The data
    /// operations go to `services`, not to the module's own: the installer
    /// passes services that keep every organization's migration in one
    /// transaction. The call is not traffic (the breaker does not count it)
    /// and has [`MIGRATION_DEADLINE`]. A module built against 0.1.0 has no
    /// `migrate` and nothing is called.
    pub async fn migrate(
        &self,
        ctx: &CallContext,
        from_version: &str,
        services: Arc<dyn HostServices>,
    ) -> Result<(), CallError> {
        if !self.exports.migrates() {
            return Ok(());
        }
        self.call_with(
            ctx,
            Invocation::Migrate(from_version.to_owned()),
            services,
            MIGRATION_DEADLINE,
        )
        .await
        .map(drop)
    }

    /// Calls `describe`: the cheapest full round trip into the module.
    pub async fn describe(&self) -> Result<ModuleInfo, CallError> {
        let ctx = CallContext {
            org_id: String::new(),
            principal: None,
            request_id: String::new(),
            locale: "en".into(),
        };
        match self.call(&ctx, Invocation::Describe).await? {
            Returned::Info(i) => Ok(i),
            _ => Err(self.error(CallErrorKind::Host("unexpected result".into()))),
        }
    }

    fn error(&self, kind: CallErrorKind) -> CallError {
        CallError {
            module: self.manifest.id.clone(),
            version: self.manifest.version.to_string(),
            kind,
        }
    }

    async fn call(&self, ctx: &CallContext, inv: Invocation) -> Result<Returned, CallError> {
        self.call_with(ctx, inv, self.services.clone(), self.limits.deadline)
            .await
    }

    async fn call_with(
        &self,
        ctx: &CallContext,
        inv: Invocation,
        services: Arc<dyn HostServices>,
        deadline: Duration,
    ) -> Result<Returned, CallError> {
        // `describe` and `migrate` are the host checking and preparing the
        // module, not traffic: a module that is switched off still says who
        // it is, and a migration's failure is reported to the installer.
        let traffic = !matches!(inv, Invocation::Describe | Invocation::Migrate(_));
        if traffic && let Err(off) = self.breaker.admit(&ctx.org_id) {
            return Err(self.error(CallErrorKind::SwitchedOff(off)));
        }
        let caller = Caller {
            manifest: self.manifest.clone(),
            scope: backend::CallScope {
                org_id: ctx.org_id.clone(),
                module_id: self.manifest.id.clone(),
                actor: ctx.principal.as_ref().map_or_else(
                    || format!("module:{}", self.manifest.id),
                    |p| p.user_id.clone(),
                ),
                writable: inv.writes(),
            },
            request_id: ctx.request_id.clone(),
            locale: ctx.locale.clone(),
            services,
        };
        let limit = deadline;
        let arrived = Instant::now();
        let deadline = arrived + deadline;
        // The wait for a slot counts against the deadline, and takes at most
        // half of it, so the module always keeps the other half to run.
        let _slot = self
            .admission
            .enter(&ctx.org_id, arrived + limit / 2)
            .await
            .map_err(|refusal| self.error(CallErrorKind::Overloaded(refusal)))?;
        let mut state = CallState::new(caller, self.limits.memory_bytes, deadline, &self.clock);
        let receipt = match &inv {
            Invocation::OnMessage(message) => Some(Receipt::Message(message)),
            Invocation::OnWebhook(hook) => Some(Receipt::Webhook(hook)),
            _ => None,
        };
        if let Some(receipt) = receipt {
            // The receipt first, in the unit of work the module then
            // writes in: a message received before is not handed over
            // again, and of two calls racing for one message the second
            // waits for the first and then finds its receipt.
            let first = state
                .receive_first(receipt)
                .await
                .map_err(|e| self.error(CallErrorKind::Module(e)))?;
            if !first {
                return Ok(Returned::Done);
            }
        }
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|store| {
            if Instant::now() >= store.data().deadline {
                Err(wasmtime::Error::new(DeadlineExceeded))
            } else {
                // Let other tasks run on this thread, then check again next tick.
                Ok(UpdateDeadline::Yield(1))
            }
        });

        let result = self.invoke(&mut store, ctx, inv).await;
        // What a module printed (Python's `print`, `console.log`) goes to
        // the log; a fault's output is logged with the fault below.
        let output = store.data().output();
        if result.is_ok() && !output.is_empty() {
            tracing::info!(
                module = %self.manifest.id,
                org = %ctx.org_id,
                request_id = %ctx.request_id,
                module_output = %output.text(),
                "module output"
            );
        }
        // The unit of work is kept only when the module succeeded; on an
        // error or a fault it is dropped, which rolls every write back.
        let result = match result {
            Ok(Ok(returned)) => match store.data_mut().take_work() {
                Some(work) => Ok(work.commit().await.map(|()| returned)),
                None => Ok(Ok(returned)),
            },
            result => result,
        };
        drop(store.data_mut().take_work());
        store.data_mut().audit_refusals().await;
        match result {
            Ok(Ok(returned)) => {
                if traffic {
                    self.breaker.record_success(&ctx.org_id);
                }
                Ok(returned)
            }
            Ok(Err(module_error)) => {
                if traffic {
                    self.breaker.record_success(&ctx.org_id);
                }
                Err(self.error(CallErrorKind::Module(module_error)))
            }
            Err(e) => {
                let kind = Self::classify(&e, limit);
                let output = store.data().output();
                if kind.is_fault() {
                    tracing::warn!(
                        module = %self.manifest.id,
                        version = %self.manifest.version,
                        org = %ctx.org_id,
                        request_id = %ctx.request_id,
                        fault = %kind,
                        module_output = %output.text(),
                        "module call faulted"
                    );
                }
                if traffic && kind.is_fault() {
                    // What the administrator reads in the console when the
                    // breaker switches the module off: the fault, and the
                    // module's last words (a Python or JavaScript exception).
                    let reason = match output.reason() {
                        Some(line) => format!("{kind}; the module wrote: {line}"),
                        None => kind.to_string(),
                    };
                    self.breaker.record_fault(
                        &ctx.org_id,
                        &self.manifest.version.to_string(),
                        &reason,
                    );
                }
                Err(self.error(kind))
            }
        }
    }

    async fn invoke(
        &self,
        store: &mut Store<CallState>,
        ctx: &CallContext,
        inv: Invocation,
    ) -> wasmtime::Result<Result<Returned, ModuleError>> {
        // Instantiate, then look up and type-check only the export called:
        // the generated `instantiate_async` would check all five each time.
        let instance = self.pre.instantiate_async(&mut *store).await?;
        let ctx: wit::Context = ctx.into();
        let (e, ctx) = (&self.exports, &ctx);
        Ok(match inv {
            Invocation::Describe => Ok(Returned::Info(e.describe(store, &instance).await?)),
            Invocation::Render(route) => {
                (e.render(store, &instance, ctx, route).await?).map(Returned::View)
            }
            Invocation::Submit(form) => {
                (e.submit(store, &instance, ctx, form).await?).map(Returned::Outcome)
            }
            Invocation::Handle(req) => {
                (e.handle(store, &instance, ctx, req).await?).map(Returned::Response)
            }
            Invocation::RunJob(job) => {
                (e.run_job(store, &instance, ctx, &job).await?).map(|()| Returned::Done)
            }
            Invocation::OnEvent(event) => {
                (e.on_event(store, &instance, ctx, event).await?).map(|()| Returned::Done)
            }
            Invocation::Migrate(from) => {
                (e.migrate(store, &instance, ctx, &from).await?).map(|()| Returned::Done)
            }
            Invocation::OnMessage(message) => {
                (e.on_message(store, &instance, ctx, message).await?).map(|()| Returned::Done)
            }
            Invocation::OnWebhook(hook) => {
                (e.on_webhook(store, &instance, ctx, hook).await?).map(|()| Returned::Done)
            }
        })
    }

    fn classify(e: &wasmtime::Error, limit: Duration) -> CallErrorKind {
        if e.is::<DeadlineExceeded>() {
            CallErrorKind::DeadlineExceeded(limit)
        } else if let Some(m) = e.downcast_ref::<MemoryLimitExceeded>() {
            CallErrorKind::MemoryExceeded(m.limit)
        } else if e.is::<wasmtime::PoolConcurrencyLimitError>() {
            // Admission keeps calls within the slots; this is a slot taken
            // outside it (another engine user), so a queue refusal in effect.
            CallErrorKind::Overloaded(Refusal::QueueFull)
        } else if let Some(trap) = e.downcast_ref::<Trap>() {
            CallErrorKind::Trap(trap.to_string())
        } else {
            CallErrorKind::Host(format!("{e:#}"))
        }
    }
}

impl RouteKind {
    /// The manifest's name of the kind.
    pub fn name(self) -> &'static str {
        match self {
            RouteKind::Page => "page",
            RouteKind::Api => "api",
        }
    }
}
