//! Prometheus metrics: calls, outcomes and latency per module and export
//! (pages and background calls alike), HTTP requests by route template and
//! status, instance slots and their queue, the database pool, the SQLite
//! writer's queue, the outboxes' backlogs, and which modules are switched
//! off. A call refused before it ran is counted, never timed: zero-second
//! refusals in the latency histogram would make it look better exactly
//! when people are turned away.

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use portico_runtime::breaker::BreakerState;
use portico_runtime::{CallError, CallErrorKind, Export};
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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    /// The route template (`/o/{org}/m/{module}/{*path}`), never the path:
    /// the label's values stay bounded whatever clients ask for.
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectionLabels {
    org: String,
    module: String,
    connection: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectionLabel {
    org: String,
    module: String,
    connection: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutboxLabel {
    outbox: &'static str,
}

/// The host's metrics.
pub struct Metrics {
    calls: Family<CallLabels, Counter>,
    latency: Family<LatencyLabels, Histogram>,
    http_requests: Family<HttpLabels, Counter>,
    http_latency: Family<RouteLabels, Histogram>,
    health: std::sync::Mutex<std::collections::HashMap<String, Tally>>,
}

/// How many recent calls a module's latency figure covers.
const RECENT_CALLS: usize = 1000;

#[derive(Default)]
struct Tally {
    calls: u64,
    errors: u64,
    faults: u64,
    refused: u64,
    recent_micros: std::collections::VecDeque<u64>,
}

/// A module's health since this host started, for the admin console.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Health {
    /// Calls made.
    pub calls: u64,
    /// Calls the module answered with an error of its own.
    pub errors: u64,
    /// Calls that faulted: trap, deadline, memory.
    pub faults: u64,
    /// Calls refused before they ran: switched off, or every slot busy.
    pub refused: u64,
    /// The 95th percentile of the latest calls' time, in milliseconds.
    pub p95_ms: Option<f64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            calls: Family::default(),
            latency: Family::new_with_constructor(latency_buckets),
            http_requests: Family::default(),
            http_latency: Family::new_with_constructor(latency_buckets),
            health: std::sync::Mutex::default(),
        }
    }
}

fn latency_buckets() -> Histogram {
    // 50 µs … ~13 s
    Histogram::new(exponential_buckets(0.000_05, 2.0, 19))
}

/// Whether a call with this outcome was refused before it ran.
fn refused(outcome: &str) -> bool {
    matches!(outcome, "switched_off" | "overloaded")
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
        Err(CallErrorKind::Overloaded(_)) => "overloaded",
        Err(CallErrorKind::Host(_)) => "host_error",
    }
}

impl Metrics {
    /// Runs `call`, a call of `module`'s `export`, and records it.
    pub async fn timed<T>(
        &self,
        module: &str,
        export: Export,
        call: impl Future<Output = Result<T, CallError>>,
    ) -> Result<T, CallError> {
        let start = std::time::Instant::now();
        let result = call.await;
        let outcome = outcome(result.as_ref().map(drop).map_err(|e| &e.kind));
        self.record(module, export, outcome, start.elapsed());
        result
    }

    /// Records one call.
    pub fn record(&self, module: &str, export: Export, outcome: &'static str, took: Duration) {
        self.calls
            .get_or_create(&CallLabels {
                module: module.to_owned(),
                export: export.name(),
                outcome,
            })
            .inc();
        if refused(outcome) {
            let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
            health.entry(module.to_owned()).or_default().refused += 1;
            return;
        }
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
            refused: t.refused,
            p95_ms,
        }
    }
}

/// Counts and times every HTTP request by its route template and status.
pub(crate) async fn http(
    State(metrics): State<std::sync::Arc<Metrics>>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let route = matched.map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let start = std::time::Instant::now();
    let response = next.run(request).await;
    metrics
        .http_latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
            method: method.clone(),
        })
        .observe(start.elapsed().as_secs_f64());
    metrics
        .http_requests
        .get_or_create(&HttpLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
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
    registry.register(
        "http_requests",
        "HTTP requests by route template, method and status",
        state.metrics.http_requests.clone(),
    );
    registry.register(
        "http_request_duration_seconds",
        "Time from a request to its response's head, by route template and method",
        state.metrics.http_latency.clone(),
    );
    register_load(&mut registry, &state).await;
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

fn gauge(registry: &mut Registry, name: &str, help: &str, value: impl TryInto<i64>) {
    let g = Gauge::<i64>::default();
    g.set(value.try_into().unwrap_or(i64::MAX));
    registry.register(name, help, g);
}

/// The figures of what waits: instance slots and their queue, the database
/// pool, the SQLite writer and the outboxes.
async fn register_load(registry: &mut Registry, state: &AppState) {
    // Every module of a host shares one engine and so one gate.
    if let Some(module) = state.registry().iter().next() {
        let a = module.admission().figures();
        gauge(
            registry,
            "instance_slots",
            "Instance slots: calls that can run at once",
            a.slots,
        );
        gauge(
            registry,
            "instance_slots_in_use",
            "Instance slots in use by running calls",
            a.running,
        );
        gauge(
            registry,
            "instance_slot_queue",
            "Calls waiting for an instance slot",
            a.waiting,
        );
        let queued = Counter::<u64>::default();
        queued.inc_by(a.queued);
        registry.register(
            "calls_queued",
            "Calls that waited for an instance slot before they ran",
            queued,
        );
        let refused = Family::<ReasonLabel, Counter>::default();
        for (reason, n) in [
            ("queue_full", a.refused_queue_full),
            ("organization_share", a.refused_organization_share),
            ("waited_too_long", a.refused_waited_too_long),
        ] {
            refused.get_or_create(&ReasonLabel { reason }).inc_by(n);
        }
        registry.register(
            "calls_refused",
            "Calls refused before they ran, by reason",
            refused,
        );
    }
    let platform = state.services.platform();
    let pool = platform.pool_figures();
    gauge(
        registry,
        "db_pool_max_connections",
        "Connections the database pool may open",
        pool.max_connections,
    );
    gauge(
        registry,
        "db_pool_open_connections",
        "Database connections open",
        pool.open,
    );
    gauge(
        registry,
        "db_pool_in_use",
        "Database connections in use",
        pool.in_use,
    );
    gauge(
        registry,
        "sqlite_writer_queue",
        "Writing units of work waiting for SQLite's one writer",
        pool.writer_queue,
    );
    let begun = Counter::<u64>::default();
    begun.inc_by(pool.begun);
    registry.register("db_units_of_work", "Units of work begun", begun);
    let waited = Counter::<f64, std::sync::atomic::AtomicU64>::default();
    waited.inc_by(pool.waited_micros as f64 / 1e6);
    registry.register(
        "db_wait_seconds",
        "Time units of work waited to begin: for a connection, or for SQLite's writer",
        waited,
    );
    let outboxes = Family::<OutboxLabel, Gauge>::default();
    let db = platform.db();
    if let Ok(n) = portico_platform::events::backlog(db).await {
        outboxes
            .get_or_create(&OutboxLabel { outbox: "events" })
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    if let Ok(n) = portico_platform::messages::backlog(db).await {
        outboxes
            .get_or_create(&OutboxLabel { outbox: "messages" })
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    if let Ok(n) = portico_platform::notifications::backlog(db).await {
        outboxes
            .get_or_create(&OutboxLabel {
                outbox: "notifications",
            })
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    if let Ok(n) = portico_platform::connections::backlog(db).await {
        outboxes
            .get_or_create(&OutboxLabel {
                outbox: "deliveries",
            })
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    registry.register(
        "outbox_backlog",
        "Deliveries waiting in an outbox (events to modules, messages between organizations, e-mails and texts, requests to outside systems)",
        outboxes,
    );
    let requests = Family::<ConnectionLabels, Counter>::default();
    let seconds = Family::<ConnectionLabel, Counter<f64, std::sync::atomic::AtomicU64>>::default();
    for ((org, module, connection), f) in state.services.connectors().figures() {
        for (outcome, n) in [
            ("succeeded", f.succeeded),
            ("failed", f.failed),
            ("limited", f.limited),
        ] {
            requests
                .get_or_create(&ConnectionLabels {
                    org: org.clone(),
                    module: module.clone(),
                    connection: connection.clone(),
                    outcome,
                })
                .inc_by(n);
        }
        seconds
            .get_or_create(&ConnectionLabel {
                org,
                module,
                connection,
            })
            .inc_by(f.seconds);
    }
    registry.register(
        "connection_requests",
        "Requests to outside systems through modules' connections, by outcome (2xx, failed, held back by the rate limit)",
        requests,
    );
    registry.register(
        "connection_seconds",
        "Time requests to outside systems took, per connection",
        seconds,
    );
}
