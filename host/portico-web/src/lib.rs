//! Portico's HTTP face: routes `/m/<module>/…` to modules, renders their
//! views as accessible HTML or JSON, and serves health and metrics.
//!
//! The flow of a request: request id assigned → language read and a
//! failure's frame set up (`frame::draw_failures`) → organization,
//! module and manifest route resolved → public/log-in check → one call
//! into the module (fresh instance) → view rendered, or API response
//! filtered → response (a `Failure` drawn by the frame layer).

mod about;
mod admin;
pub mod auth;
mod client;
mod console;
mod cookies;
pub mod exchange;
mod extractors;
mod failure;
mod figures;
mod frame;
mod hooks;
mod manual;
pub mod map;
mod metrics;
mod modules;
pub mod oidc;
mod openapi;
mod portal;
pub mod redirect;
pub mod render;
mod scim;
mod search;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use portico_host::lifecycle;
use portico_host::services::PlatformServices;
use portico_runtime::{LoadedModule, ModuleRegistry};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use frame::org_shell;
pub use metrics::Metrics;

/// The header that carries the request id, in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The most a request body may hold.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Deployment settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The organization whose portal `/` and `/m/…` are; without one, `/`
    /// lists the organizations and each has its portal at `/o/<id>/`.
    pub default_org: Option<String>,
    /// The portal's name, shown in the header.
    pub portal_name: String,
    /// Whether cookies are `Secure` with `__Host-` names (a portal served
    /// over HTTPS, or on localhost, which browsers count as secure).
    pub secure_cookies: bool,
    /// The portal's address as browsers reach it, e.g. `https://portal.brno.cz`
    /// (identity providers send people back to it).
    pub public_url: Option<String>,
    /// The OpenID Connect identity providers people log in with.
    pub identity_providers: Vec<oidc::OidcProvider>,
    /// The outside systems Portico issues tokens for (token exchange).
    pub token_audiences: Vec<exchange::TokenAudience>,
    /// How long an issued token lives.
    pub token_lifetime: std::time::Duration,
    /// The proxies (e.g. the TLS terminator) whose `Forwarded` and
    /// `X-Forwarded-For` say who the client is; nobody else's are read.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The private ranges (this machine, local networks) modules'
    /// connections may reach besides the public internet.
    pub connections_may_reach: Vec<ipnet::IpNet>,
    /// Where the tiles of the portal's maps come from; without a source,
    /// a map is drawn as a plan of its places.
    pub map_tiles: Option<map::TileSource>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            default_org: None,
            portal_name: "Portico".into(),
            secure_cookies: true,
            public_url: None,
            identity_providers: Vec::new(),
            token_audiences: Vec::new(),
            token_lifetime: exchange::DEFAULT_LIFETIME,
            trusted_proxies: Vec::new(),
            connections_may_reach: Vec::new(),
            map_tiles: None,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The modules serving now; an install or upgrade swaps in a new set
    /// while calls in flight finish on the one they started with.
    modules: Arc<arc_swap::ArcSwap<ModuleRegistry>>,
    /// Installs, upgrades and rolls back modules (absent in a host that
    /// serves a fixed set).
    pub installer: Option<Arc<lifecycle::Installer>>,
    /// Per-module call metrics.
    pub metrics: Arc<Metrics>,
    /// Deployment settings.
    pub config: Arc<WebConfig>,
    /// Organizations, enablement and the data behind the host interfaces.
    pub services: Arc<PlatformServices>,
    /// The names and flags of the portal's cookies.
    pub cookies: auth::Cookies,
    pub(crate) login_limiter: Arc<auth::LoginLimiter>,
    pub(crate) account_limiter: Arc<auth::AccountLimiter>,
    /// How many refused webhooks of each connection were audited this
    /// minute (see `hooks`).
    pub(crate) webhook_refusals: Arc<auth::Window<(String, String, String)>>,
    pub(crate) oidc: Arc<oidc::Oidc>,
    pub(crate) signing_keys: Arc<exchange::Keys>,
    pub(crate) tiles: map::SharedTiles,
}

impl portico_host::workers::Background for AppState {
    fn services(&self) -> &Arc<PlatformServices> {
        &self.services
    }

    fn registry(&self) -> Arc<ModuleRegistry> {
        AppState::registry(self)
    }

    fn record_call(
        &self,
        module: &str,
        export: portico_runtime::Export,
        result: Result<(), &portico_runtime::CallErrorKind>,
        took: std::time::Duration,
    ) {
        self.metrics
            .record(module, export, metrics::outcome(result), took);
    }
}

impl AppState {
    /// State over a registry whose modules were loaded with `services`.
    pub fn new(
        registry: ModuleRegistry,
        services: Arc<PlatformServices>,
        config: WebConfig,
    ) -> AppState {
        services.subscribe(&registry);
        services.set_public_url(config.public_url.as_deref());
        services
            .connectors()
            .set_reach(portico_host::connections::Reach {
                private: config.connections_may_reach.clone(),
            });
        let tiles = config
            .map_tiles
            .clone()
            .map(|source| Arc::new(map::Tiles::new(source, config.public_url.as_deref())));
        AppState {
            tiles,
            modules: Arc::new(arc_swap::ArcSwap::from_pointee(registry)),
            installer: None,
            metrics: Arc::new(Metrics::default()),
            cookies: auth::Cookies::new(config.secure_cookies),
            config: Arc::new(config),
            services,
            login_limiter: Arc::default(),
            account_limiter: Arc::default(),
            webhook_refusals: Arc::new(auth::Window::of(std::time::Duration::from_secs(60))),
            oidc: Arc::default(),
            signing_keys: Arc::default(),
        }
    }
}

impl AppState {
    /// The same state, able to install, upgrade and roll back modules.
    pub fn with_installer(mut self, installer: lifecycle::Installer) -> AppState {
        self.installer = Some(Arc::new(installer));
        self
    }

    /// The modules serving now.
    pub fn registry(&self) -> Arc<ModuleRegistry> {
        self.modules.load_full()
    }

    /// Puts `module` in service, in place of any version of it serving now.
    pub fn serve_module(&self, module: LoadedModule) {
        let module = Arc::new(module);
        let next = self.modules.rcu(|current| {
            let mut next = ModuleRegistry::clone(current);
            next.insert_shared(module.clone());
            next
        });
        drop(next);
        self.services.subscribe(&self.registry());
    }

    /// Picks up modules installed, upgraded or rolled back by another
    /// process (`portico plugin install|rollback`) within a few seconds:
    /// the installations recorded in the database are compared with what
    /// serves, and a module whose version differs is loaded again from
    /// the modules folder.
    pub fn follow_installations(&self, every: std::time::Duration) {
        let Some(installer) = self.installer.clone() else {
            return;
        };
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let db = state.services.platform().db();
                let Ok(installed) = portico_platform::modules::installations(db).await else {
                    continue;
                };
                for i in installed {
                    let serving = state
                        .registry()
                        .get(&i.module_id)
                        .map(|m| m.manifest().version.to_string());
                    if serving.as_deref() == Some(i.version.as_str()) {
                        continue;
                    }
                    let dir = installer.modules_dir().join(&i.module_id);
                    match installer.load(&dir).await {
                        Ok(m) if m.manifest().version.to_string() == i.version => {
                            tracing::info!(module = %i.module_id, version = %i.version, "serving the version installed by another process");
                            state.serve_module(m);
                        }
                        // The folder is not there yet (or no longer): next time.
                        _ => {}
                    }
                }
            }
        });
    }
}

/// The strictest policy the pages work with: scripts, styles, images and
/// requests only from the portal itself (its own scripts: a module's
/// output is always escaped and never carries one).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// What answers a path no route knows: the page of any other failure,
/// except below the administration API and SCIM, whose clients read
/// errors of their own format and get a bare 404 as before.
async fn unknown_path(
    axum::extract::State(state): axum::extract::State<AppState>,
    tenant: Result<extractors::Tenant, failure::Failure>,
    visitor: Result<extractors::Visitor, failure::Failure>,
    request: axum::extract::Request,
) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/") || path.starts_with("/scim/") {
        return StatusCode::NOT_FOUND.into_response();
    }
    // Drawn in the frame of the organization the path is in, for whoever
    // is looking, as any page of it is.
    if let (Ok(tenant), Ok(visitor), Some(frame)) = (
        tenant,
        visitor,
        request.extensions().get::<extractors::PageFrame>(),
    ) && let Ok(standing) = extractors::Standing::of(&state, &visitor, &tenant.id).await
    {
        frame.seen_by(&visitor, &standing);
    }
    failure::Failure::not_found().into_response()
}

/// The whole application: every area's router, merged, with request ids,
/// tracing and security headers.
pub fn app(state: AppState) -> Router {
    app_with(state, Router::new())
}

/// The application with `extra` routes merged in, behind the same
/// middleware (used to compare a module with native code in one binary).
pub fn app_with(state: AppState, extra: Router<AppState>) -> Router {
    let metrics = state.metrics.clone();
    // Every route that may answer people or API clients with a `Failure`,
    // behind the layer that draws it (a page in the portal's frame, or
    // JSON). The administration API and SCIM answer errors in formats of
    // their own.
    let framed = Router::new()
        .merge(modules::router())
        .merge(hooks::router())
        .merge(portal::router())
        .merge(search::router())
        .merge(about::router())
        .merge(auth::router())
        .merge(console::router())
        .merge(manual::router())
        .merge(oidc::router())
        .merge(exchange::router())
        // A path no route knows gets the same page as any other failure:
        // in the portal's frame, in the visitor's language.
        .fallback(unknown_path)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            frame::draw_failures,
        ));
    Router::new()
        .route("/healthz", get(health))
        .route("/assets/portico.css", get(stylesheet))
        .route("/assets/portico-form.js", get(form_script))
        .route("/assets/favicon.svg", get(favicon))
        .route(
            "/favicon.ico",
            get(|| async { Redirect::permanent("/assets/favicon.svg") }),
        )
        .merge(metrics::router())
        .merge(map::router())
        .merge(framed)
        .merge(openapi::router())
        .merge(admin::router())
        .merge(scim::router())
        .merge(extra)
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::http))
        .with_state(state)
        .layer(axum::middleware::map_response(no_store_when_personal))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let request_id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    // `module` is recorded once the module is resolved, so every
                    // event of the request (the module's own log lines too) carries it.
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %logged_path(req.uri().path()),
                        request_id,
                        module = tracing::field::Empty,
                    )
                })
                .on_failure(log_failure),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_odd_request_id))
}

/// Logs a response that failed. A `503` is not logged here: it is the
/// portal refusing work under load, and the refusals are summed up where
/// they happen, at most a line every few seconds, not a line each.
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass;
    if matches!(class, ServerErrorsFailureClass::StatusCode(s) if s == axum::http::StatusCode::SERVICE_UNAVAILABLE)
    {
        return;
    }
    tracing::error!(classification = %class, latency_ms = latency.as_millis(), "response failed");
}

/// Whether a request carries who is asking: a session cookie or an API token.
fn carries_credentials(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION)
        || headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|c| {
                c.trim_start()
                    .trim_start_matches("__Host-")
                    .starts_with("portico-session=")
            })
}

/// What a logged-in person or an API client is answered is theirs alone:
/// no browser or shared cache keeps it (`Cache-Control: no-store`), unless
/// the handler said otherwise.
async fn no_store_when_personal(
    headers: axum::http::HeaderMap,
    mut response: axum::response::Response,
) -> axum::response::Response {
    // A response that sets a cookie (a log-in, a form's CSRF token) is
    // personal too.
    let personal =
        carries_credentials(&headers) || response.headers().contains_key(header::SET_COOKIE);
    if personal && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A request id from the client (e.g. a proxy's) is kept for tracing across
/// systems only when it is a short token; anything else is replaced by ours,
/// since the id is written to logs and shown on error pages.
/// A request's path as the log writes it: the token of an e-mailed link
/// (`/auth/confirm/…`, `/auth/reset/…`) is a secret and left out.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in ["/auth/confirm/", "/auth/reset/"] {
        if path.len() > prefix.len() && path.starts_with(prefix) {
            return format!("{prefix}…").into();
        }
    }
    path.into()
}

async fn drop_odd_request_id<B>(mut req: Request<B>) -> Request<B> {
    let odd = req.headers().get(REQUEST_ID).is_some_and(|v| {
        let v = v.as_bytes();
        v.is_empty()
            || v.len() > 64
            || !v
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    if odd {
        req.headers_mut().remove(REQUEST_ID);
    }
    req
}

async fn health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<serde_json::Value> {
    let registry = state.registry();
    let switched_off: Vec<&str> = registry
        .iter()
        .filter(|m| {
            matches!(
                m.breaker_state(),
                portico_runtime::breaker::BreakerState::Open(_)
            )
        })
        .map(|m| m.id())
        .collect();
    // How many organizations each module is switched off in (which ones
    // is for the console, not for anyone who asks).
    let switched_off_in: serde_json::Map<String, serde_json::Value> = registry
        .iter()
        .map(|m| (m.id().to_owned(), m.switched_off_in().len()))
        .filter(|(_, n)| *n > 0)
        .map(|(id, n)| (id, n.into()))
        .collect();
    axum::Json(serde_json::json!({
        "status": "ok",
        "modules": registry.len(),
        "switched_off": switched_off,
        "switched_off_in_organizations": switched_off_in,
    }))
}

async fn favicon() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../assets/favicon.svg"),
    )
}

async fn stylesheet() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/portico.css"),
    )
}

/// The portal's form script: fields shown, required and calculated as
/// the answers change (`render::form`).
async fn form_script() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/portico-form.js"),
    )
}

#[cfg(test)]
mod logging_tests {
    #[test]
    fn the_token_of_a_link_is_not_logged() {
        assert_eq!(super::logged_path("/auth/reset/s3cr3t"), "/auth/reset/…");
        assert_eq!(
            super::logged_path("/auth/confirm/s3cr3t"),
            "/auth/confirm/…"
        );
        assert_eq!(super::logged_path("/auth/reset"), "/auth/reset");
        assert_eq!(super::logged_path("/m/notice-board/"), "/m/notice-board/");
    }
}
