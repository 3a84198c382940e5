//! What one call's `Store` holds, the limits it runs under and the linker;
//! the host side of each interface a module may import is a file of its
//! own beside this one. Every host function takes the organization and
//! module from the call's own state, never from the module's arguments, and
//! fails with a [`HostError`]: an error the module receives, or a trap.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::api::ModuleError;
use crate::backend::{self, HostServices, OrgLine, Refusal, Work};
use crate::bindings::v0_1_0::generated::portico::plugin::types;
use crate::manifest::{Capability, Manifest};

mod addresses;
mod audit;
mod connections;
mod events;
mod files;
mod log;
mod messages;
mod notify;
mod orgs;
mod people;
mod records;
mod settings;
mod wasi;

pub use connections::path_outside_base;
pub(crate) use wasi::{ModuleOutput, is_http, refuse_http};

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
        crate::engine::MAX_CORE_INSTANCES as usize
    }

    fn tables(&self) -> usize {
        crate::engine::MAX_TABLES as usize
    }

    fn memories(&self) -> usize {
        crate::engine::MAX_MEMORIES as usize
    }
}

/// Who is calling: the module, the organization and who acts, fixed by the
/// host; and what the host interfaces stand on.
pub(crate) struct Caller {
    pub(crate) manifest: Arc<Manifest>,
    /// The organization, the module, who acts and whether the call may
    /// write, as the unit of work is begun with.
    pub(crate) scope: backend::CallScope,
    pub(crate) request_id: String,
    /// The language of the call (the visitor's, or the portal's for a job).
    pub(crate) locale: String,
    pub(crate) services: Arc<dyn HostServices>,
}

/// How a host function fails: with an error the module receives as
/// `types.error` (and may handle), or with a trap that ends the call. The
/// generated bindings take it through `trappable_error_type`, so the host
/// functions use `?` on both.
pub enum HostError {
    /// Given to the module.
    Module(types::Error),
    /// Ends the call.
    Trap(wasmtime::Error),
}

impl From<types::Error> for HostError {
    fn from(e: types::Error) -> Self {
        HostError::Module(e)
    }
}

impl From<ModuleError> for HostError {
    fn from(e: ModuleError) -> Self {
        HostError::Module(e.into())
    }
}

impl From<wasmtime::Error> for HostError {
    fn from(e: wasmtime::Error) -> Self {
        HostError::Trap(e)
    }
}

/// A host function's answer.
pub(crate) type HostResult<T> = Result<T, HostError>;

/// The module gave a value the host refuses: `field` says which.
pub(crate) fn invalid(field: &str, message: impl Into<String>) -> HostError {
    HostError::Module(types::Error::Invalid(vec![types::FieldError {
        field: field.into(),
        message: message.into(),
    }]))
}

/// The data of one call's `Store`.
pub(crate) struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: CallLimiter,
    pub(crate) deadline: Instant,
    caller: Caller,
    output: ModuleOutput,
    /// The call's unit of work, begun at its first data operation.
    work: Option<Box<dyn Work>>,
    /// What the host refused the module, and its requests to outside
    /// systems, audited after the call.
    refusals: Vec<Refusal>,
    /// How many refusals and how many requests of those are noted.
    refused: usize,
    requested: usize,
    /// The organization's line of the tree, read at the call's first
    /// `orgs` or `messages` call and kept for the rest of it.
    org_line: Option<Arc<OrgLine>>,
    /// How much the deadline has moved for outside systems' answers.
    outside_waited: Duration,
}

/// What a call receives once: its receipt is the first write of its unit
/// of work (see [`CallState::receive_first`]).
pub(crate) enum Receipt<'a> {
    /// A message from this module in another organization.
    Message(&'a crate::api::Message),
    /// A webhook message from an outside system.
    Webhook(&'a crate::api::Webhook),
}

/// The most a call's deadline moves for the time it waited for its unit of
/// work (see [`CallState::work`]).
const MAX_QUEUE_CREDIT: Duration = Duration::from_secs(30);

impl CallState {
    pub(crate) fn new(
        caller: Caller,
        memory_limit: usize,
        deadline: Instant,
        clock: &crate::Clock,
    ) -> CallState {
        let output = ModuleOutput::default();
        CallState {
            // No preopened folders, no environment, no arguments, no network:
            // the module sees nothing of the host but what Portico's interfaces give.
            wasi: wasi::context(&output, clock),
            table: ResourceTable::new(),
            limiter: CallLimiter { memory_limit },
            deadline,
            caller,
            output,
            work: None,
            refusals: Vec::new(),
            refused: 0,
            requested: 0,
            org_line: None,
            outside_waited: Duration::ZERO,
        }
    }

    /// Audits what the host refused the module in this call, once its
    /// unit of work is committed or dropped.
    pub(crate) async fn audit_refusals(&mut self) {
        let refusals = std::mem::take(&mut self.refusals);
        if !refusals.is_empty() {
            let c = &self.caller;
            c.services.audit_refusals(&c.scope, refusals).await;
        }
    }

    /// Notes a refusal to audit after the call, whatever becomes of its writes.
    fn refuse(&mut self, refusal: Refusal) {
        self.note(refusal, true);
    }

    /// Notes what to audit after the call, whatever becomes of its
    /// writes: a refusal (`refused`, also logged as a warning), or a
    /// request to an outside system.
    fn note(&mut self, entry: Refusal, refused: bool) {
        // A module that keeps trying is audited for the first few of a
        // call, refusals and requests each on their own count (so that
        // requests never push a refusal out); the log has every refusal.
        const AUDITED_PER_CALL: usize = 20;
        let c = &self.caller;
        if refused {
            tracing::warn!(
                module = %c.manifest.id,
                org = %c.scope.org_id,
                request_id = %c.request_id,
                action = %entry.action,
                subject = %entry.subject,
                "the host refused a module's request"
            );
        }
        let counted = if refused {
            &mut self.refused
        } else {
            &mut self.requested
        };
        if *counted < AUDITED_PER_CALL {
            *counted += 1;
            self.refusals.push(entry);
        }
    }

    /// Begins the call's unit of work with the receipt of what it
    /// receives: `false` when it had been received before (the work is
    /// dropped, nothing is kept). The wait for the database moves the
    /// deadline, as a data operation's does.
    pub(crate) async fn receive_first(
        &mut self,
        receipt: Receipt<'_>,
    ) -> Result<bool, ModuleError> {
        let asked = Instant::now();
        let mut work = self
            .caller
            .services
            .begin(self.caller.scope.clone())
            .await?;
        let first = match receipt {
            Receipt::Message(message) => work.receive_message(message).await?,
            Receipt::Webhook(hook) => work.receive_webhook(hook).await?,
        };
        if !first {
            return Ok(false);
        }
        self.deadline += asked.elapsed().min(MAX_QUEUE_CREDIT);
        self.work = Some(work);
        Ok(true)
    }

    /// The unit of work, if the call used one; the caller commits it.
    pub(crate) fn take_work(&mut self) -> Option<Box<dyn Work>> {
        self.work.take()
    }

    /// The call's unit of work, begun on first use, once `capability` is
    /// granted.
    async fn work(&mut self, capability: Capability) -> HostResult<&mut Box<dyn Work>> {
        self.grant(capability)?;
        let work = match self.work.take() {
            Some(work) => work,
            None => {
                let asked = Instant::now();
                let begun = self
                    .caller
                    .services
                    .begin(self.caller.scope.clone())
                    .await?;
                // Waiting for the database (SQLite's one writer, busy with
                // other calls) is not the module's time: the deadline moves
                // by the wait, up to a bound, so that a busy portal does not
                // count healthy modules' queueing as their faults.
                self.deadline += asked.elapsed().min(MAX_QUEUE_CREDIT);
                begun
            }
        };
        Ok(self.work.insert(work))
    }

    /// The call's organization line (see [`backend::Orgs`]), read in its
    /// unit of work once per call, once `capability` is granted.
    async fn org_line(&mut self, capability: Capability) -> HostResult<Arc<OrgLine>> {
        if let Some(line) = &self.org_line {
            let line = line.clone();
            self.grant(capability)?;
            return Ok(line);
        }
        let work = self.work(capability).await?;
        let line = Arc::new(work.org_line().await?);
        self.org_line = Some(line.clone());
        Ok(line)
    }

    /// What the module wrote to standard output and error in this call.
    pub(crate) fn output(&self) -> &ModuleOutput {
        &self.output
    }

    /// Whether the module's manifest asks for `capability`; a module that
    /// uses one it does not ask for is refused, and the host logs it.
    fn grant(&self, capability: Capability) -> HostResult<()> {
        let c = &self.caller;
        if c.manifest.grants(capability) {
            Ok(())
        } else {
            tracing::warn!(
                module = %c.manifest.id,
                org = %c.scope.org_id,
                request_id = %c.request_id,
                capability = capability.name(),
                "module used a host capability its manifest does not ask for"
            );
            Err(types::Error::Forbidden(format!(
                "the module's manifest does not ask for the `{}` capability",
                capability.name()
            ))
            .into())
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

/// The interfaces of Portico's own packages the linker defines; anything
/// else a component imports must be WASI (see [`wasi`]).
const PORTICO_INTERFACES: &[&str] = &[
    "portico:plugin/types@0.1.0",
    "portico:plugin/log@0.1.0",
    "portico:plugin/settings@0.1.0",
    "portico:plugin/records@0.1.0",
    "portico:plugin/audit@0.1.0",
    "portico:plugin/events@0.1.0",
    "portico:plugin/notify@0.1.0",
    "portico:plugin/files@0.1.0",
    "portico:plugin/types@0.2.0",
    "portico:plugin/types@0.3.0",
    "portico:plugin/orgs@0.3.0",
    "portico:plugin/messages@0.3.0",
    "portico:plugin/people@0.3.0",
    "portico:plugin/types@0.4.0",
    "portico:plugin/addresses@0.4.0",
    "portico:plugin/types@0.5.0",
    "portico:plugin/connections@0.5.0",
];

/// Checks, before a component is compiled, that the linker has everything
/// it imports (`wasi:http` is answered by [`refuse_http`]); the refusal
/// names each import that is not there.
pub(crate) fn check_imports(bytes: &[u8]) -> Result<(), String> {
    use wasmparser::{Chunk, Encoding, Parser, Payload};
    let invalid = |e: wasmparser::BinaryReaderError| format!("not a valid component: {e}");
    // Only the outer component's own sections are read: the modules and
    // components nested in it (most of a Python or JavaScript component's
    // megabytes) are stepped over, not parsed.
    let mut parser = Parser::new(0);
    let mut rest = bytes;
    let mut missing = Vec::new();
    loop {
        let Chunk::Parsed { consumed, payload } = parser.parse(rest, true).map_err(invalid)? else {
            return Err("not a valid component: it ends early".into());
        };
        rest = &rest[consumed..];
        match payload {
            Payload::Version { encoding, .. } if encoding != Encoding::Component => {
                return Err("a core WebAssembly module, not a component: build it for \
                     `wasm32-wasip2`, or make a component of it with your language's \
                     componentize tool"
                    .into());
            }
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => {
                rest = bytes
                    .get(unchecked_range.end..)
                    .ok_or("not a valid component: a nested module runs past its end")?;
            }
            Payload::ComponentImportSection(reader) => {
                for import in reader {
                    let name = import.map_err(invalid)?.name.name;
                    let linked = PORTICO_INTERFACES.contains(&name)
                        || wasi::is_linked(name)
                        || wasi::is_http(name);
                    if !linked {
                        missing.push(format!("`{name}`"));
                    }
                }
            }
            Payload::End(_) => break,
            _ => {}
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the component imports what Portico does not provide: {}. A module may import \
             Portico's interfaces (portico:plugin 0.1.0 to 0.5.0) and WASI 0.2's io, clocks, \
             random, cli, filesystem (with no folder) and sockets (with no network)",
            missing.join(", ")
        ))
    }
}

/// The linker every module is instantiated with: Portico's interfaces and
/// WASI 0.2 with nothing of the host behind it (see [`wasi`]).
pub(crate) fn linker(engine: &Engine) -> wasmtime::Result<Linker<CallState>> {
    let mut l = Linker::new(engine);
    wasi::add_to_linker(&mut l)?;

    // The host interfaces of 0.1.0 are the same in every version; 0.2.0
    // adds only its (function-less) `types`, 0.3.0 `orgs`, `messages`
    // and `people`, 0.4.0 `addresses`, 0.5.0 `connections`.
    crate::bindings::v0_1_0::generated::PortalModule::add_to_linker::<
        CallState,
        wasmtime::component::HasSelf<CallState>,
    >(&mut l, |s| s)?;
    crate::bindings::v0_2_0::generated::portico::plugin0_2_0::types::add_to_linker::<
        CallState,
        wasmtime::component::HasSelf<CallState>,
    >(&mut l, |s| s)?;
    {
        use crate::bindings::v0_3_0::generated::portico::plugin0_3_0 as v3;
        type Data = wasmtime::component::HasSelf<CallState>;
        v3::types::add_to_linker::<CallState, Data>(&mut l, |s| s)?;
        v3::orgs::add_to_linker::<CallState, Data>(&mut l, |s| s)?;
        v3::messages::add_to_linker::<CallState, Data>(&mut l, |s| s)?;
        v3::people::add_to_linker::<CallState, Data>(&mut l, |s| s)?;
        use crate::bindings::v0_4_0::generated::portico::plugin0_4_0 as v4;
        v4::types::add_to_linker::<CallState, Data>(&mut l, |s| s)?;
        v4::addresses::add_to_linker::<CallState, Data>(&mut l, |s| s)?;
        use crate::bindings::v0_5_0::generated::portico::plugin0_5_0 as v5;
        v5::types::add_to_linker::<CallState, Data>(&mut l, |s| s)?;
        v5::connections::add_to_linker::<CallState, Data>(&mut l, |s| s)?;
    }
    Ok(l)
}

impl types::Host for CallState {
    fn convert_error(&mut self, err: HostError) -> wasmtime::Result<types::Error> {
        match err {
            HostError::Module(e) => Ok(e),
            HostError::Trap(e) => Err(e),
        }
    }
}

impl crate::bindings::v0_2_0::generated::portico::plugin0_2_0::types::Host for CallState {}

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
