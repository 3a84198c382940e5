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
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            calls: Family::default(),
            latency: Family::new_with_constructor(|| {
                // 50 µs … ~13 s
                Histogram::new(exponential_buckets(0.000_05, 2.0, 19))
            }),
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
    for m in state.registry.iter() {
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
