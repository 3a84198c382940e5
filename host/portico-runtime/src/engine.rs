//! The one wasmtime `Engine` of a host: its configuration (pooling
//! allocator, epoch interruption), the linker with every host interface,
//! the epoch ticker, and the on-disk cache of compiled components.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::admission::Admission;
use crate::host::CallState;

/// How often the epoch advances; a call's deadline is checked at this pace.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// How the engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where compiled components are kept between runs; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// Try the pooling allocator (falls back to on-demand if it cannot be reserved).
    pub pooling: bool,
    /// Instance slots of the pool: how many calls can run at once. Size it
    /// with the database's connections (see [`Admission`]): a running call
    /// that reads holds a connection until it ends, so slots far beyond the
    /// connections only park calls on the pool, each holding an instance.
    pub max_concurrent_calls: u32,
    /// How many calls may wait for a slot before more are refused.
    pub max_queued_calls: usize,
    /// The most linear memory any one call may be given.
    pub max_memory_bytes: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            cache_dir: None,
            pooling: true,
            // Calls are short and mostly CPU: on a small server (2 cores,
            // 16 database connections) 32 running at once keep every core
            // and connection busy, and the rest wait their turn in the queue.
            max_concurrent_calls: 32,
            max_queued_calls: 2048,
            max_memory_bytes: 256 << 20,
        }
    }
}

/// Which instance allocator the engine ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocator {
    /// Pre-reserved slots: fast instantiation, bounded concurrency.
    Pooling {
        /// Instance slots.
        slots: u32,
    },
    /// Memory mapped per instance: slower, used when the pool cannot be reserved.
    OnDemand,
}

/// Where a component's machine code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSource {
    /// Compiled now (and stored in the cache, if there is one).
    Compiled,
    /// Loaded from the on-disk cache.
    Cache,
}

/// Why the engine could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the WebAssembly engine: {0}")]
pub struct EngineError(String);

/// The host's WebAssembly engine; one per process, shared by every module.
pub struct ModuleEngine {
    engine: Engine,
    linker: Linker<CallState>,
    allocator: Allocator,
    cache_dir: Option<PathBuf>,
    compat: String,
    max_memory_bytes: usize,
    admission: Arc<Admission>,
}

impl ModuleEngine {
    /// Builds the engine, its linker and starts the epoch ticker.
    pub fn new(config: &EngineConfig) -> Result<ModuleEngine, EngineError> {
        let (engine, allocator) = if config.pooling {
            match Engine::new(&base_config(config, true)) {
                Ok(engine) => (
                    engine,
                    Allocator::Pooling {
                        slots: config.max_concurrent_calls,
                    },
                ),
                Err(e) => {
                    tracing::warn!(
                        error = %e,
                        "the pooling allocator could not reserve its memory; \
                         falling back to on-demand allocation (slower instantiation)"
                    );
                    let engine = Engine::new(&base_config(config, false))
                        .map_err(|e| EngineError(e.to_string()))?;
                    (engine, Allocator::OnDemand)
                }
            }
        } else {
            let engine =
                Engine::new(&base_config(config, false)).map_err(|e| EngineError(e.to_string()))?;
            (engine, Allocator::OnDemand)
        };

        let linker = crate::host::linker(&engine).map_err(|e| EngineError(e.to_string()))?;

        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let compat = format!("{:016x}", hasher.finish());

        if let Some(dir) = &config.cache_dir {
            std::fs::create_dir_all(dir).map_err(|e| {
                EngineError(format!(
                    "cannot create the cache folder {}: {e}",
                    dir.display()
                ))
            })?;
        }

        spawn_ticker(&engine);

        Ok(ModuleEngine {
            engine,
            linker,
            allocator,
            cache_dir: config.cache_dir.clone(),
            compat,
            max_memory_bytes: config.max_memory_bytes,
            admission: Arc::new(Admission::new(
                config.max_concurrent_calls as usize,
                config.max_queued_calls,
            )),
        })
    }

    /// The allocator in use.
    pub fn allocator(&self) -> Allocator {
        self.allocator
    }

    /// The most memory a call can be given.
    pub fn max_memory_bytes(&self) -> usize {
        self.max_memory_bytes
    }

    /// The gate every call passes to get an instance slot.
    pub fn admission(&self) -> &Arc<Admission> {
        &self.admission
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(crate) fn linker(&self) -> &Linker<CallState> {
        &self.linker
    }

    /// Compiles the component in `bytes`, or loads its machine code from the
    /// cache when this engine compiled the same bytes before. Its imports
    /// are checked first, so a component this host cannot link is refused
    /// before the seconds a large one takes to compile.
    pub(crate) fn component(&self, bytes: &[u8]) -> Result<(Component, CodeSource), String> {
        crate::host::check_imports(bytes)?;
        let Some(cached) = self.cached_path(bytes) else {
            return Component::new(&self.engine, bytes)
                .map(|c| (c, CodeSource::Compiled))
                .map_err(|e| refusal(&e));
        };
        if cached.exists() {
            match self.deserialize(&cached) {
                Ok(component) => return Ok((component, CodeSource::Cache)),
                Err(e) => tracing::warn!(
                    file = %cached.display(), error = %e,
                    "a cached component could not be loaded; compiling it again"
                ),
            }
        }
        let component = Component::new(&self.engine, bytes).map_err(|e| refusal(&e))?;
        if let Err(e) = component
            .serialize()
            .map_err(|e| e.to_string())
            .and_then(|code| write_atomically(&cached, &code).map_err(|e| e.to_string()))
        {
            tracing::warn!(file = %cached.display(), error = %e, "cannot store a compiled component");
        }
        Ok((component, CodeSource::Compiled))
    }

    /// Removes the compiled code of `bytes` from the cache: the component
    /// was refused after it compiled, and nothing will load it again.
    pub(crate) fn forget(&self, bytes: &[u8]) {
        if let Some(cached) = self.cached_path(bytes)
            && let Err(e) = std::fs::remove_file(&cached)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %cached.display(), error = %e, "cannot remove a compiled component");
        }
    }

    /// Where the compiled code of `bytes` is kept, named by their SHA-256
    /// and this engine's compatibility hash.
    fn cached_path(&self, bytes: &[u8]) -> Option<PathBuf> {
        let dir = self.cache_dir.as_ref()?;
        let digest = hex::encode(Sha256::digest(bytes));
        Some(dir.join(format!("{digest}-{}.cwasm", self.compat)))
    }

    #[allow(unsafe_code)]
    fn deserialize(&self, path: &Path) -> wasmtime::Result<Component> {
        // SAFETY: the file is machine code this host wrote itself into its
        // own cache folder, named by the SHA-256 of the component it was
        // compiled from and by this engine's compatibility hash; wasmtime
        // also checks the header against the engine's configuration before
        // using it. It is mapped, not read, so a module costs the memory of
        // the code it runs: the host only ever replaces a cache file by
        // renaming a new one over it, or removes it, and either leaves the
        // mapped file as it was.
        unsafe { Component::deserialize_file(&self.engine, path) }
    }
}

/// The most core module instances, linear memories and tables one module
/// (and so one call) may have. A Rust module has 1–4 instances, 1 memory
/// and 1 table; componentize-py builds about 40 instances and ComponentizeJS
/// a few: each Python library is a module of its own.
pub(crate) const MAX_CORE_INSTANCES: u32 = 64;
/// See [`MAX_CORE_INSTANCES`].
pub(crate) const MAX_MEMORIES: u32 = 4;
/// See [`MAX_CORE_INSTANCES`].
pub(crate) const MAX_TABLES: u32 = 32;

/// Why a component could not be compiled, in plain words: a limit it
/// exceeds names the limit and the component's count.
fn refusal(e: &wasmtime::Error) -> String {
    let message = format!("{e:#}");
    // wasmtime: "The component transitively contains 80 core module
    // instances, which exceeds the configured maximum of 64 in the pooling
    // allocator" (and the same for memories and tables).
    let over_limit = message
        .split_once("transitively contains ")
        .and_then(|(_, rest)| rest.split_once(", which exceeds the configured maximum of "))
        .and_then(|(count, rest)| Some((count, rest.split_whitespace().next()?)));
    match over_limit {
        Some((count, limit)) => {
            format!("the component has {count}; a Portico module may have at most {limit}")
        }
        None => format!("not a valid component: {message}"),
    }
}

fn base_config(config: &EngineConfig, pooling: bool) -> Config {
    let mut c = Config::new();
    c.wasm_component_model(true);
    c.epoch_interruption(true);
    c.cranelift_opt_level(wasmtime::OptLevel::Speed);
    if pooling {
        let slots = config.max_concurrent_calls;
        let mut pool = PoolingAllocationConfig::default();
        // A core instance is only counted, not reserved: each slot may
        // hold a module of the most instances (a Python one has about 40).
        // Memories and tables reserve address space; every language's
        // components have one or two of each.
        pool.total_component_instances(slots)
            .total_core_instances(slots * MAX_CORE_INSTANCES)
            .total_memories(slots * 2)
            .total_tables(slots * 4)
            .total_stacks(slots)
            .max_memory_size(config.max_memory_bytes)
            .max_core_instances_per_component(MAX_CORE_INSTANCES)
            .max_memories_per_component(MAX_MEMORIES)
            .max_tables_per_component(MAX_TABLES);
        // After a call, the pages it dirtied are reset in place and stay
        // resident for the next call of the slot, up to these sizes; the rest
        // goes back to the OS at once, so a memory bomb does not linger.
        // With PAGEMAP_SCAN (Linux 6.7+) only dirtied pages are reset: no
        // page faults and no madvise for an ordinary call. Without it, the
        // whole window is memset each time, so it is kept small.
        if PoolingAllocationConfig::is_pagemap_scan_available() {
            pool.pagemap_scan(wasmtime::Enabled::Yes)
                .linear_memory_keep_resident(2 << 20)
                .table_keep_resident(64 << 10);
        } else {
            pool.linear_memory_keep_resident(64 << 10)
                .table_keep_resident(16 << 10);
        }
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    c
}

/// Advances the epoch for as long as anything uses the engine: the
/// `ModuleEngine`, or any module loaded on it (each holds the engine), so a
/// module outliving its `ModuleEngine` still has its calls' deadlines kept.
fn spawn_ticker(engine: &Engine) {
    let engine = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("portico-epoch".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the epoch ticker; call deadlines will not be enforced");
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_refusal_names_the_count_and_the_limit_in_plain_words() {
        let e = wasmtime::Error::msg(
            "The component transitively contains 80 core module instances, which exceeds the \
             configured maximum of 64 in the pooling allocator",
        );
        assert_eq!(
            refusal(&e),
            "the component has 80 core module instances; a Portico module may have at most 64"
        );
        let other = wasmtime::Error::msg("unknown section");
        assert_eq!(refusal(&other), "not a valid component: unknown section");
    }
}
