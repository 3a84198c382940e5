//! Prometheus metrics: calls, outcomes and latency per module and export,
//! and which modules are switched off.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use portico_runtime::breaker::BreakerState;
use portico_runtime::{CallErrorKind, Export};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    module: String,
    export: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    module: String,
    export: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModuleLabel {
    module: String,
}

/// The host's metrics.
pub struct Metrics {
    calls: Family<CallLabels, Counter>,
    latency: Family<LatencyLabels, Histogram>,
    health: std::sync::Mutex<std::collections::HashMap<String, Tally>>,
}

/// How many recent calls a module's latency figure covers.
const RECENT_CALLS: usize = 1000;

#[derive(Default)]
struct Tally {
    calls: u64,
    errors: u64,
    faults: u64,
    recent_micros: std::collections::VecDeque<u64>,
}

/// A module's health since this host started, for the admin console.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Health {
    /// Calls made.
    pub calls: u64,
    /// Calls the module answered with an error of its own.
    pub errors: u64,
    /// Calls that faulted: trap, deadline, memory, switched off, overload.
    pub faults: u64,
    /// The 95th percentile of the latest calls' time, in milliseconds.
    pub p95_ms: Option<f64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            calls: Family::default(),
            latency: Family::new_with_constructor(|| {
                // 50 µs … ~13 s
                Histogram::new(exponential_buckets(0.000_05, 2.0, 19))
            }),
            health: std::sync::Mutex::default(),
        }
    }
}

/// The outcome label of a call.
pub(crate) fn outcome(result: Result<(), &CallErrorKind>) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(CallErrorKind::Module(_)) => "module_error",
        Err(CallErrorKind::Trap(_)) => "trap",
        Err(CallErrorKind::DeadlineExceeded(_)) => "deadline",
        Err(CallErrorKind::MemoryExceeded(_)) => "memory",
        Err(CallErrorKind::SwitchedOff(_)) => "switched_off",
        Err(CallErrorKind::Overloaded) => "overloaded",
        Err(CallErrorKind::Host(_)) => "host_error",
    }
}

impl Metrics {
    /// Records one call.
    pub fn record(&self, module: &str, export: Export, outcome: &'static str, took: Duration) {
        self.calls
            .get_or_create(&CallLabels {
                module: module.to_owned(),
                export: export.name(),
                outcome,
            })
            .inc();
        self.latency
            .get_or_create(&LatencyLabels {
                module: module.to_owned(),
                export: export.name(),
            })
            .observe(took.as_secs_f64());
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        let tally = health.entry(module.to_owned()).or_default();
        tally.calls += 1;
        match outcome {
            "ok" => {}
            "module_error" => tally.errors += 1,
            _ => tally.faults += 1,
        }
        if tally.recent_micros.len() == RECENT_CALLS {
            tally.recent_micros.pop_front();
        }
        tally
            .recent_micros
            .push_back(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
    }

    /// A module's health since this host started.
    pub fn health(&self, module: &str) -> Health {
        let health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        let Some(t) = health.get(module) else {
            return Health::default();
        };
        let mut recent: Vec<u64> = t.recent_micros.iter().copied().collect();
        recent.sort_unstable();
        let p95_ms = (!recent.is_empty()).then(|| {
            let at = (recent.len() * 95).div_ceil(100).saturating_sub(1);
            recent[at] as f64 / 1000.0
        });
        Health {
            calls: t.calls,
            errors: t.errors,
            faults: t.faults,
            p95_ms,
        }
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    let mut registry = Registry::with_prefix("portico");
    registry.register(
        "module_calls",
        "Calls into modules by export and outcome",
        state.metrics.calls.clone(),
    );
    registry.register(
        "module_call_duration_seconds",
        "Time of calls into modules, instantiation included",
        state.metrics.latency.clone(),
    );
    let switched_off = Family::<ModuleLabel, Gauge>::default();
    for m in state.registry().iter() {
        let off = matches!(m.breaker_state(), BreakerState::Open(_));
        switched_off
            .get_or_create(&ModuleLabel {
                module: m.id().to_owned(),
            })
            .set(i64::from(off));
    }
    registry.register(
        "module_switched_off",
        "1 while a module is switched off by its circuit breaker",
        switched_off,
    );
    let mut body = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut body, &registry) {
        tracing::error!(error = %e, "cannot encode metrics");
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}
