//! The sandbox's own cost: instantiate + call of a trivial export, and a
//! render without data, one at a time and on every worker at once.

use std::sync::Arc;
use std::time::Instant;

use portico_runtime::{EngineConfig, ModuleEngine, ModuleOptions, load_module};
use portico_tests::module_dir;

use crate::{print, size};

pub async fn instantiate_and_call() {
    let calls = size(20_000, 200);
    let renders = size(5_000, 100);
    for (label, pooling) in [("", true), ("_on_demand", false)] {
        let engine = ModuleEngine::new(&EngineConfig {
            pooling,
            cache_dir: Some(portico_tests::code_cache()),
            ..EngineConfig::default()
        })
        .expect("engine");
        let options = ModuleOptions::default();
        let module = load_module(&engine, &module_dir("notice-board"), &options)
            .await
            .expect("notice board loads");
        for _ in 0..calls / 10 {
            module.describe().await.expect("describe");
        }
        let mut samples = Vec::with_capacity(calls);
        for _ in 0..calls {
            let start = Instant::now();
            module.describe().await.expect("describe");
            samples.push(start.elapsed());
        }
        samples.sort();
        let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
        if pooling {
            eprintln!("allocator: {:?}", engine.allocator());
        }
        print(
            &format!("instantiate_call_p50{label}"),
            pct(0.50).as_secs_f64() * 1e6,
            "us",
        );
        print(
            &format!("instantiate_call_p99{label}"),
            pct(0.99).as_secs_f64() * 1e6,
            "us",
        );
        if pooling {
            // A page without data: the sandbox's own cost of a render (the
            // notice board's front page reads the record store; `http` measures it).
            let module = load_module(&engine, &module_dir("trapper"), &options)
                .await
                .expect("trapper loads");
            let mut page = module.route("/").expect("the trapper's page").1;
            page.query = vec![("behave".into(), "1".into())];
            let ctx = portico_runtime::api::CallContext {
                org_id: "bench".into(),
                principal: None,
                request_id: String::new(),
                locale: "en".into(),
            };
            let mut samples = Vec::with_capacity(renders);
            for _ in 0..renders {
                let start = Instant::now();
                module.render(&ctx, page.clone()).await.expect("render");
                samples.push(start.elapsed());
            }
            samples.sort();
            print(
                "render_call_p50",
                samples[samples.len() / 2].as_secs_f64() * 1e6,
                "us",
            );
            // Throughput of render calls on every worker at once: does the
            // sandbox scale across cores?
            let module = Arc::new(module);
            let start = Instant::now();
            let tasks: Vec<_> = (0..4)
                .map(|_| {
                    let (module, ctx, page) = (module.clone(), ctx.clone(), page.clone());
                    tokio::spawn(async move {
                        for _ in 0..renders {
                            module.render(&ctx, page.clone()).await.expect("render");
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("task");
            }
            print(
                "render_calls_per_second_all_cores",
                (4 * renders) as f64 / start.elapsed().as_secs_f64(),
                "calls/s",
            );
        }
    }
}
