//! What one call's `Store` holds, the limits it runs under, and the host
//! side of each interface a module may import. Every host function takes
//! the organization and module from the call's own state, never from the
//! module's arguments.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime::{Engine, ResourceLimiter};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::bindings::generated::portico::plugin::{log, settings, types};
use crate::manifest::{Capability, Manifest};

/// The platform services the host interfaces stand on. The runtime knows
/// nothing of databases or HTTP; whoever embeds it implements this.
pub trait HostServices: Send + Sync + 'static {
    /// The value an administrator set for `key` of `module` in `org_id`,
    /// if any. The runtime falls back to the manifest's default itself.
    fn setting(&self, org_id: &str, module: &str, key: &str) -> Option<String>;
}

/// Host services with no stored settings: every setting has its default.
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultsOnly;

impl HostServices for DefaultsOnly {
    fn setting(&self, _org_id: &str, _module: &str, _key: &str) -> Option<String> {
        None
    }
}

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
}

/// Bytes of a module's standard error kept per call (the panic message).
const STDERR_CAPTURE: usize = 4096;

impl CallState {
    pub(crate) fn new(scope: CallScope, memory_limit: usize, deadline: Instant) -> CallState {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE);
        // No preopened folders, no environment, no arguments, no network:
        // the module sees nothing of the host but what Portico's interfaces give.
        let wasi = WasiCtxBuilder::new().stderr(stderr.clone()).build();
        CallState {
            wasi,
            table: ResourceTable::new(),
            limiter: CallLimiter { memory_limit },
            deadline,
            scope,
            stderr,
        }
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

    crate::bindings::generated::PortalModule::add_to_linker::<
        CallState,
        wasmtime::component::HasSelf<CallState>,
    >(&mut l, |s| s)?;
    Ok(l)
}

impl types::Host for CallState {}

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
            .or_else(|| spec.default.clone());
        Ok(Ok(value))
    }
}
