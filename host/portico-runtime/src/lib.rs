//! The sandbox Portico modules run in.
//!
//! One [`ModuleEngine`] per host holds the wasmtime engine (pooling
//! allocator, epoch interruption), the linker with every host interface and
//! the on-disk cache of compiled components. A [`ModuleRegistry`] loads the
//! modules of a folder; each [`LoadedModule`] keeps one pre-linked instance
//! template and runs every call in a fresh store under a deadline and a
//! memory limit. A fault (trap, deadline, memory) is that call's
//! [`CallError`]; after several in a row the module's circuit breaker
//! switches it off.
//!
//! The host side of each interface a module may import is a file of its own
//! in `host/`. The runtime knows nothing of HTTP or databases: the host
//! interfaces stand on the traits of [`backend`] ([`HostServices`], and a
//! call's unit of work, [`backend::Work`], one trait per capability),
//! implemented by whoever embeds it.

pub mod admission;
pub mod api;
pub mod backend;
mod bindings;
pub mod breaker;
mod clock;
mod engine;
mod host;
pub mod manifest;
mod module;
mod registry;

pub use backend::{DefaultsOnly, HostServices};
pub use bindings::ApiVersion;
pub use clock::Clock;
pub use engine::{Allocator, CodeSource, EPOCH_TICK, EngineConfig, EngineError, ModuleEngine};
pub use host::path_outside_base;
pub use module::{
    CallError, CallErrorKind, CallLimits, Export, LoadedModule, MIGRATION_DEADLINE, ModuleOptions,
};
pub use registry::{LoadError, ModuleRegistry, load_module};
