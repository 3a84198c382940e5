//! What a module costs in each language: the module `cargo xtask
//! new-plugin items --lang …` makes (the same page, form, API and job in
//! Rust, Python and JavaScript), built by its own toolchain. For each:
//! the first load with an empty code cache (what installing it costs), a
//! load from the cache (a portal's cold start), the host memory one loaded
//! module holds, and instantiate + render of its page, p50.

use std::path::{Path, PathBuf};
use std::time::Instant;

use portico_runtime::{EngineConfig, ModuleEngine, ModuleOptions, load_module};
use portico_testkit::TestHost;
use portico_tests::resident_bytes;
use portico_tests::toolchains::{self, Lang};

use crate::{print, size};

pub async fn per_language() {
    let rust = rust_items();
    let python = toolchains::scaffolded(Lang::Python);
    let js = toolchains::scaffolded(Lang::JavaScript);
    for (name, dir) in [("rust", rust), ("python", python), ("js", js)] {
        measure(name, &dir).await;
    }
}

/// The Rust scaffold, built by the test kit as a vendor's `cargo test` builds it.
fn rust_items() -> PathBuf {
    let scratch = toolchains::scaffold(None);
    let out = portico_tests::repo_root().join("target/lang-modules/rust-items");
    portico_testkit::build_module(&scratch.join("items"), &out).expect("the Rust scaffold builds");
    out
}

async fn measure(lang: &str, dir: &Path) {
    // A smoke run reuses what the tests compiled: its figures mean nothing,
    // and a Python or JavaScript component takes seconds to compile.
    let cache = tempfile::tempdir().expect("a cache folder");
    let cache = if crate::smoke() {
        portico_tests::code_cache()
    } else {
        cache.path().to_owned()
    };
    let engine = || {
        ModuleEngine::new(&EngineConfig {
            cache_dir: Some(cache.clone()),
            ..EngineConfig::default()
        })
        .expect("engine")
    };
    let options = ModuleOptions::default();

    // Installing: compiled from nothing.
    let start = Instant::now();
    let installed = load_module(&engine(), dir, &options).await.expect("loads");
    print(
        &format!("module_{lang}_install"),
        start.elapsed().as_secs_f64(),
        "s",
    );
    drop(installed);

    // A cold start: a fresh engine, the code from the cache, and what it
    // holds in memory once loaded and called.
    let before = resident_bytes();
    let start = Instant::now();
    let engine = engine();
    let module = load_module(&engine, dir, &options).await.expect("loads");
    print(
        &format!("module_{lang}_cold_start"),
        start.elapsed().as_secs_f64() * 1e3,
        "ms",
    );
    print(
        &format!("module_{lang}_host_memory"),
        resident_bytes().saturating_sub(before) as f64 / (1 << 20) as f64,
        "MiB",
    );
    drop(module);

    // Instantiate + render of its page (a records query of an empty list,
    // the view, the form), as the portal calls it.
    let host = TestHost::builder().build_from(dir).await.expect("loads");
    let visitor = host.anonymous();
    visitor.page("/").await.expect("renders");
    let renders = size(500, 5);
    let mut samples = Vec::with_capacity(renders);
    for _ in 0..renders {
        let start = Instant::now();
        visitor.page("/").await.expect("renders");
        samples.push(start.elapsed());
    }
    samples.sort();
    print(
        &format!("module_{lang}_render_p50"),
        samples[samples.len() / 2].as_secs_f64() * 1e3,
        "ms",
    );
}
