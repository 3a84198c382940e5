//! `/m/<module>/…`: finds the module and the manifest route, checks who may
//! use it, makes one call into the module and turns the result into a page,
//! JSON, or the module's own API response.

use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use portico_runtime::api::{self, CallContext, ModuleError, Outcome, RouteMatch};
use portico_runtime::manifest::RouteKind;
use portico_runtime::{CallError, CallErrorKind, Export, LoadedModule};

use crate::render::{self, NavItem, Shell};
use crate::{AppState, MAX_BODY_BYTES, REQUEST_ID};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/m/{module}", any(module_request))
        .route("/m/{module}/", any(module_request))
        .route("/m/{module}/{*rest}", any(module_request))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The language of the page: Czech when the browser prefers it, else English.
fn locale(headers: &HeaderMap) -> String {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for lang in accept.split(',') {
        let tag = lang
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if tag.starts_with("cs") {
            return "cs".into();
        }
        if tag.starts_with("en") {
            return "en".into();
        }
    }
    "en".into()
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// What surrounds every page: the portal's name and the navigation (the
/// menu entry of every module), `current` marked.
pub fn shell(state: &AppState, current: Option<&str>, lang: &str) -> Shell {
    let nav = state
        .registry
        .iter()
        .filter_map(|m| {
            let menu = m.manifest().menu.as_ref()?;
            Some(NavItem {
                label: menu.label.clone(),
                href: format!("/m/{}{}", m.id(), menu.path),
                current: current == Some(m.id()),
            })
        })
        .collect();
    Shell {
        portal_name: state.config.portal_name.clone(),
        nav,
        lang: lang.to_owned(),
    }
}

async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = locale(&headers);
    let shell = shell(&state, None, &lang);
    let content = maud::html! {
        @if shell.nav.is_empty() {
            p { "No modules are installed yet." }
        } @else {
            p { "Choose a service:" }
            ul.services {
                @for item in &shell.nav {
                    li { a href=(item.href) { (item.label) } }
                }
            }
        }
    };
    let title = state.config.portal_name.clone();
    html_response(StatusCode::OK, render::page(&shell, &title, content))
}

fn html_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// How a request is answered when it cannot be served: a page for people,
/// JSON for API clients. 5xx bodies never carry the cause, only the request id.
struct Failure {
    status: StatusCode,
    title: &'static str,
    message: String,
    fields: Vec<api::FieldError>,
    retry_after: Option<u32>,
}

impl Failure {
    fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            title,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
        }
    }

    fn from_call(e: &CallError) -> Failure {
        match &e.kind {
            CallErrorKind::Module(m) => match m {
                ModuleError::NotFound(msg) => {
                    Failure::new(StatusCode::NOT_FOUND, "Not found", msg.clone())
                }
                ModuleError::Forbidden(msg) => {
                    Failure::new(StatusCode::FORBIDDEN, "Forbidden", msg.clone())
                }
                ModuleError::Conflict(msg) => {
                    Failure::new(StatusCode::CONFLICT, "Conflict", msg.clone())
                }
                ModuleError::Invalid(fields) => Failure {
                    fields: fields.clone(),
                    ..Failure::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Invalid input",
                        fields
                            .iter()
                            .map(|f| format!("{}: {}", f.field, f.message))
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                },
                ModuleError::Unavailable(msg) => Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable",
                    msg.clone(),
                ),
                ModuleError::Internal(_) => Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The service failed to answer. Quote the request id when you report it.",
                ),
            },
            CallErrorKind::Trap(_) | CallErrorKind::Host(_) => Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The service failed to answer. Quote the request id when you report it.",
            ),
            CallErrorKind::DeadlineExceeded(_) | CallErrorKind::MemoryExceeded(_) => Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service unavailable",
                "The service took too much time or memory and was stopped. Try again later.",
            ),
            CallErrorKind::SwitchedOff(_) => Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service switched off",
                "This service is switched off after repeated failures. The administrators have been told.",
            ),
            CallErrorKind::Overloaded => Failure {
                retry_after: Some(1),
                ..Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service busy",
                    "The portal is busy. Try again in a moment.",
                )
            },
        }
    }

    fn respond(self, state: &AppState, headers: &HeaderMap, module: Option<&str>) -> Response {
        let request_id = request_id(headers);
        let mut response = if wants_json(headers) {
            let mut body = serde_json::json!({
                "error": self.title,
                "message": self.message,
                "request_id": request_id,
            });
            if !self.fields.is_empty() {
                body["fields"] = serde_json::to_value(&self.fields).unwrap_or_default();
            }
            (self.status, axum::Json(body)).into_response()
        } else {
            let shell = shell(state, module, &locale(headers));
            html_response(
                self.status,
                render::error_page(&shell, self.title, &self.message, &request_id),
            )
        };
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

fn parse_pairs(s: &str) -> Result<Vec<(String, String)>, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(s).map_err(|e| e.to_string())
}

async fn module_request(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().strip_prefix("/m/").unwrap_or("");
    let (module_id, rest) = match path.find('/') {
        Some(i) => (&path[..i], &path[i..]),
        None => (path, "/"),
    };
    tracing::Span::current().record("module", module_id);
    let Some(module) = state.registry.get(module_id).cloned() else {
        return Failure::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("There is no service `{module_id}` in this portal."),
        )
        .respond(&state, &headers, None);
    };
    let Some((route, mut route_match)) = module.route(rest) else {
        return Failure::new(StatusCode::NOT_FOUND, "Not found", "There is no such page.").respond(
            &state,
            &headers,
            Some(module_id),
        );
    };
    if !route.public {
        return Failure::new(
            StatusCode::UNAUTHORIZED,
            "Log-in required",
            "This page is only for logged-in users.",
        )
        .respond(&state, &headers, Some(module_id));
    }
    route_match.query = match parse_pairs(uri.query().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => {
            return Failure::new(
                StatusCode::BAD_REQUEST,
                "Bad request",
                format!("The query string cannot be read: {e}"),
            )
            .respond(&state, &headers, Some(module_id));
        }
    };
    let ctx = CallContext {
        org_id: state.config.org_id.clone(),
        principal: None,
        request_id: request_id(&headers),
        locale: locale(&headers),
    };
    let kind = route.kind;
    match (kind, &method) {
        (RouteKind::Page, &Method::GET | &Method::HEAD) => {
            page(&state, &module, &ctx, route_match, &headers).await
        }
        (RouteKind::Page, &Method::POST) => {
            form_post(&state, &module, &ctx, route_match, &headers, &body).await
        }
        (RouteKind::Page, _) => {
            let mut r = Failure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
                format!("{method} is not allowed on a page."),
            )
            .respond(&state, &headers, Some(module_id));
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
            r
        }
        (RouteKind::Api, _) => {
            api(&state, &module, &ctx, route_match, method, &headers, body).await
        }
    }
}

async fn timed<T>(
    state: &AppState,
    module: &LoadedModule,
    export: Export,
    call: impl Future<Output = Result<T, CallError>>,
) -> Result<T, CallError> {
    let start = Instant::now();
    let result = call.await;
    let outcome = crate::metrics::outcome(result.as_ref().map(drop).map_err(|e| &e.kind));
    state
        .metrics
        .record(module.id(), export, outcome, start.elapsed());
    if let Err(e) = &result {
        match &e.kind {
            CallErrorKind::Module(ModuleError::Internal(detail)) => {
                tracing::error!(module = %e.module, version = %e.version, detail = %detail, "module reported an internal error");
            }
            CallErrorKind::Module(_) => {}
            _ => tracing::warn!(error = %e, "module call failed"),
        }
    }
    result
}

async fn page(
    state: &AppState,
    module: &LoadedModule,
    ctx: &CallContext,
    route: RouteMatch,
    headers: &HeaderMap,
) -> Response {
    let flash = route
        .query
        .iter()
        .find(|(k, _)| k == "flash")
        .map(|(_, v)| v.clone());
    match timed(state, module, Export::Render, module.render(ctx, route)).await {
        Ok(view) => view_response(
            state,
            module,
            &view,
            flash.as_deref(),
            headers,
            StatusCode::OK,
        ),
        Err(e) => Failure::from_call(&e).respond(state, headers, Some(module.id())),
    }
}

fn view_response(
    state: &AppState,
    module: &LoadedModule,
    view: &api::View,
    flash: Option<&str>,
    headers: &HeaderMap,
    status: StatusCode,
) -> Response {
    if wants_json(headers) {
        return (status, axum::Json(view)).into_response();
    }
    let shell = shell(state, Some(module.id()), &locale(headers));
    html_response(status, render::view_page(&shell, module.id(), view, flash))
}

async fn form_post(
    state: &AppState,
    module: &LoadedModule,
    ctx: &CallContext,
    route: RouteMatch,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported form",
            "Forms must be posted as application/x-www-form-urlencoded.",
        )
        .respond(state, headers, Some(module.id()));
    }
    let fields = match std::str::from_utf8(body)
        .map_err(|e| e.to_string())
        .and_then(parse_pairs)
    {
        Ok(f) => f,
        Err(e) => {
            return Failure::new(
                StatusCode::BAD_REQUEST,
                "Bad request",
                format!("The form cannot be read: {e}"),
            )
            .respond(state, headers, Some(module.id()));
        }
    };
    let form = api::FormPost { route, fields };
    match timed(state, module, Export::Submit, module.submit(ctx, form)).await {
        Ok(Outcome::Redirect { to, message }) => {
            let Some(mut target) =
                render::module_href(module.id(), &to).filter(|_| to.starts_with('/'))
            else {
                tracing::warn!(module = %module.id(), to = %to, "module redirected outside itself; refused");
                return Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The service failed to answer. Quote the request id when you report it.",
                )
                .respond(state, headers, Some(module.id()));
            };
            if let Some(message) = message {
                let sep = if target.contains('?') { '&' } else { '?' };
                let encoded = serde_urlencoded::to_string([("flash", message)]).unwrap_or_default();
                target = format!("{target}{sep}{encoded}");
            }
            Redirect::to(&target).into_response()
        }
        Ok(Outcome::Show { view }) => view_response(
            state,
            module,
            &view,
            None,
            headers,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Failure::from_call(&e).respond(state, headers, Some(module.id())),
    }
}

/// Request headers a module never sees.
const HIDDEN_REQUEST_HEADERS: &[&str] = &["cookie", "authorization", "proxy-authorization"];

/// Response headers a module may set; the host owns every other one.
const MODULE_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "content-disposition",
    "content-language",
    "cache-control",
    "etag",
    "last-modified",
    "link",
    "location",
    "retry-after",
    "x-total-count",
];

async fn api(
    state: &AppState,
    module: &LoadedModule,
    ctx: &CallContext,
    route: RouteMatch,
    method: Method,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let method = match method {
        Method::GET => api::Method::Get,
        Method::HEAD => api::Method::Head,
        Method::POST => api::Method::Post,
        Method::PUT => api::Method::Put,
        Method::PATCH => api::Method::Patch,
        Method::DELETE => api::Method::Delete,
        Method::OPTIONS => api::Method::Options,
        other => {
            return Failure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
                format!("{other} is not supported."),
            )
            .respond(state, headers, Some(module.id()));
        }
    };
    let request = api::Request {
        method,
        route,
        headers: headers
            .iter()
            .filter(|(name, _)| !HIDDEN_REQUEST_HEADERS.contains(&name.as_str()))
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect(),
        body: body.to_vec(),
    };
    let response = match timed(state, module, Export::Handle, module.handle(ctx, request)).await {
        Ok(r) => r,
        Err(e) => {
            let mut json = headers.clone();
            json.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
            return Failure::from_call(&e).respond(state, &json, Some(module.id()));
        }
    };
    let Ok(status) = StatusCode::from_u16(response.status) else {
        tracing::warn!(module = %module.id(), status = response.status, "module answered with an invalid HTTP status");
        return Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The service failed to answer. Quote the request id when you report it.",
        )
        .respond(state, headers, Some(module.id()));
    };
    let mut out = Response::builder().status(status);
    for (name, value) in &response.headers {
        let name = name.to_ascii_lowercase();
        if MODULE_RESPONSE_HEADERS.contains(&name.as_str()) {
            out = out.header(name, value);
        }
    }
    out.body(Body::from(response.body)).unwrap_or_else(|e| {
        tracing::warn!(module = %module.id(), error = %e, "module answered with an invalid header");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}
