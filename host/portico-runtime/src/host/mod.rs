//! What one call's `Store` holds, the limits it runs under and the linker;
//! the host side of each interface a module may import is a file of its
//! own beside this one. Every host function takes the organization and
//! module from the call's own state, never from the module's arguments, and
//! fails with a [`HostError`]: an error the module receives, or a trap.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::api::ModuleError;
use crate::backend::{self, HostServices, Work};
use crate::bindings::v0_1_0::generated::portico::plugin::types;
use crate::manifest::{Capability, Manifest};

mod audit;
mod events;
mod files;
mod log;
mod notify;
mod records;
mod settings;

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

/// Who is calling: the module, the organization and who acts, fixed by the
/// host; and what the host interfaces stand on.
pub(crate) struct Caller {
    pub(crate) manifest: Arc<Manifest>,
    /// The organization, the module, who acts and whether the call may
    /// write, as the unit of work is begun with.
    pub(crate) scope: backend::CallScope,
    pub(crate) request_id: String,
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
    stderr: MemoryOutputPipe,
    /// The call's unit of work, begun at its first data operation.
    work: Option<Box<dyn Work>>,
}

/// The most a call's deadline moves for the time it waited for its unit of
/// work (see [`CallState::work`]).
const MAX_QUEUE_CREDIT: Duration = Duration::from_secs(30);

/// Bytes of a module's standard error kept per call (the panic message).
const STDERR_CAPTURE: usize = 4096;

impl CallState {
    pub(crate) fn new(
        caller: Caller,
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
            caller,
            stderr,
            work: None,
        }
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

    /// What the module wrote to standard error (usually a panic message),
    /// on one line: control characters escaped so it cannot forge log lines.
    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents())
            .trim()
            .escape_debug()
            .to_string()
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
