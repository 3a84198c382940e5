//! `/m/<module>/…`: finds the module and the manifest route, checks who may
//! use it, makes one call into the module and turns the result into a page,
//! JSON, or the module's own API response.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::any;
use portico_runtime::api::{self, CallContext, ModuleError, Outcome, RouteMatch};
use portico_runtime::manifest::RouteKind;
use portico_runtime::{CallError, CallErrorKind, Export, LoadedModule};

use crate::auth;
use crate::extractors::{
    Lang, PageFrame, Standing, Tenant, Visitor, form_fields, visitor, visitor_with_key,
};
use crate::failure::{BAD_REQUEST, FORBIDDEN, Failure, NOT_ALLOWED, NOT_FOUND, TOO_LARGE};
use crate::frame::{html_response, personalize, request_id, shell, wants_json};
use crate::render::{self, CSRF_FIELD, Crumb, Shell};
use crate::{AppState, MAX_BODY_BYTES};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{org}/m/{module}", any(module_request))
        .route("/o/{org}/m/{module}/", any(module_request))
        .route("/o/{org}/m/{module}/{*rest}", any(module_request))
        .route("/m/{module}", any(module_request))
        .route("/m/{module}/", any(module_request))
        .route("/m/{module}/{*rest}", any(module_request))
}

fn parse_pairs(s: &str) -> Result<Vec<(String, String)>, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(s).map_err(|e| e.to_string())
}

#[allow(clippy::too_many_arguments)]
async fn module_request(
    State(state): State<AppState>,
    tenant: Tenant,
    frame: PageFrame,
    Lang(lang): Lang,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    // The path below the organization's prefix: `/m/<module>/…`.
    let path = uri
        .path()
        .strip_prefix(tenant.base.as_str())
        .unwrap_or_default();
    let path = path.strip_prefix("/m/").unwrap_or("");
    let (module_id, rest) = match path.find('/') {
        Some(i) => (&path[..i], &path[i..]),
        None => (path, "/"),
    };
    tracing::Span::current().record("module", module_id);
    let module = state
        .registry()
        .get(module_id)
        .filter(|_| tenant.modules.enabled.contains_key(module_id))
        .cloned();
    let Some(module) = module else {
        // The same answer whether the module is not installed or only not
        // enabled here: an organization's portal shows what it offers.
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            (
                format!(
                    "{} offers no service `{module_id}` in this portal.",
                    tenant.modules.name
                ),
                format!(
                    "{} v tomto portálu službu `{module_id}` nenabízí.",
                    tenant.modules.name
                ),
            ),
        ));
    };
    frame.in_module(module_id);
    // Only a form posted to a page may carry files; every other body is
    // held to MAX_BODY_BYTES while it is read.
    let routed = module.route(rest);
    let kind = routed.as_ref().map(|(r, _)| r.kind);
    let limit = if kind == Some(RouteKind::Page) && method == Method::POST {
        MAX_BODY_BYTES + MAX_UPLOAD_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return Err(Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            TOO_LARGE,
            (
                format!(
                    "The request is too large: a form takes at most 10 MiB of files, any other request {MAX_BODY_BYTES} bytes."
                ),
                format!(
                    "Požadavek je příliš velký: formulář smí obsahovat soubory o celkové velikosti nejvýše 10 MiB, jiný požadavek nejvýše {MAX_BODY_BYTES} bajtů."
                ),
            ),
        ));
    };
    // Open311 and other older APIs send their key as an `api_key`
    // parameter, not a header. On an API route the host takes it as an API
    // token and removes it: the module never sees the secret. So the
    // visitor is found here, after the body, not by its extractor.
    let is_api = kind == Some(RouteKind::Api);
    let (api_key, query, body) = if is_api && !headers.contains_key(header::AUTHORIZATION) {
        take_api_key(uri.query().unwrap_or(""), &headers, body)
    } else {
        (None, uri.query().unwrap_or("").to_owned(), body)
    };
    let visitor = match api_key {
        Some(key) => visitor_with_key(&state, &key).await?,
        None => visitor(&state, &headers).await?,
    };
    let standing = Standing::of(&state, &visitor, &tenant.id).await?;
    // From here on a failure page shows the visitor's header and menu.
    frame.seen_by(&visitor, &standing);
    let call = Call {
        state: &state,
        tenant: &tenant,
        module: &module,
        headers: &headers,
        visitor: &visitor,
        standing: &standing,
        lang: &lang,
    };
    let Some((route, mut route_match)) = routed else {
        return Err(Failure::not_found());
    };
    let principal = auth::principal(&visitor, &standing, &tenant.id, module.manifest());
    if let Err(f) = auth::check_route(
        route,
        module.manifest(),
        &standing,
        principal.as_ref(),
        &tenant.modules.name,
    ) {
        // A person who is not logged in is sent to log in, and back here after.
        if f.status == StatusCode::UNAUTHORIZED
            && route.kind == RouteKind::Page
            && method == Method::GET
            && !wants_json(&headers)
        {
            let here = uri
                .path_and_query()
                .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
            let next = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
            return Ok(Redirect::to(&format!("/auth/login?{next}")).into_response());
        }
        return Err(f);
    }
    route_match.query = parse_pairs(&query).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            BAD_REQUEST,
            (
                format!("The query string cannot be read: {e}"),
                format!("Parametry adresy nelze přečíst: {e}"),
            ),
        )
    })?;
    let ctx = CallContext {
        org_id: tenant.id.clone(),
        principal,
        request_id: request_id(&headers),
        locale: lang.clone(),
    };
    let kind = route.kind;
    match (kind, &method) {
        (RouteKind::Page, &Method::GET | &Method::HEAD) => call.page(&ctx, route_match).await,
        (RouteKind::Page, &Method::POST) => call.form_post(&ctx, route_match, &body).await,
        (RouteKind::Page, _) => {
            let mut r = Failure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                NOT_ALLOWED,
                (
                    format!("{method} is not allowed on a page."),
                    format!("Metoda {method} není u stránky povolena."),
                ),
            )
            .into_response();
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
            Ok(r)
        }
        (RouteKind::Api, _) => {
            // A browser's session cookie goes with every request to the
            // portal, so a state-changing call made with it must prove it
            // comes from the portal's own pages.
            let unsafe_method = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
            if unsafe_method
                && matches!(visitor, Visitor::User(_))
                && !visitor
                    .csrf_matches(headers.get(auth::CSRF_HEADER).and_then(|v| v.to_str().ok()))
            {
                return Err(Failure::new(
                    StatusCode::FORBIDDEN,
                    FORBIDDEN,
                    (
                        "A request made with a session cookie must carry the session's CSRF token in the X-CSRF-Token header (see /auth/me).",
                        "Požadavek odeslaný s cookie relace musí v hlavičce X-CSRF-Token obsahovat token CSRF této relace (viz /auth/me).",
                    ),
                ));
            }
            call.api(&ctx, route_match, method, body).await
        }
    }
}

/// The most all files of one form post may hold.
pub const MAX_UPLOAD_BYTES: usize = 10 << 20;

/// A posted form's fields and files: form-encoded (at most
/// [`MAX_BODY_BYTES`]), or multipart when it has file fields (at most
/// [`MAX_UPLOAD_BYTES`] of files besides). A file field left empty is no file.
async fn form_parts(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Vec<(String, String)>, Vec<api::UploadedFile>), Failure> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let too_large = |what: (&str, &str)| {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            TOO_LARGE,
            (
                format!(
                    "{} The portal takes at most 10 MiB of files in one form.",
                    what.0
                ),
                format!(
                    "{} Portál přijme v jednom formuláři nejvýše 10 MiB souborů.",
                    what.1
                ),
            ),
        )
    };
    if !content_type.starts_with("multipart/form-data") {
        if body.len() > MAX_BODY_BYTES {
            return Err(too_large((
                "The form is too large.",
                "Formulář je příliš velký.",
            )));
        }
        return form_fields(headers, body).map(|f| (f, Vec::new()));
    }
    let unreadable = Failure::unreadable_form;
    let boundary = multer::parse_boundary(content_type).map_err(|e| unreadable(&e))?;
    let limits = multer::Constraints::new().size_limit(
        multer::SizeLimit::new().whole_stream((MAX_BODY_BYTES + MAX_UPLOAD_BYTES) as u64),
    );
    let body = body.clone();
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, limits);
    let (mut fields, mut files) = (Vec::new(), Vec::new());
    let (mut text_bytes, mut file_bytes) = (0usize, 0usize);
    while let Some(part) = multipart.next_field().await.map_err(|e| unreadable(&e))? {
        let name = part.name().unwrap_or_default().to_owned();
        let filename = part.file_name().map(str::to_owned);
        let media_type = part.content_type().map_or_else(
            || "application/octet-stream".to_owned(),
            ToString::to_string,
        );
        let bytes = part.bytes().await.map_err(|e| unreadable(&e))?;
        match filename {
            Some(filename) => {
                if filename.is_empty() && bytes.is_empty() {
                    continue;
                }
                file_bytes += bytes.len();
                if file_bytes > MAX_UPLOAD_BYTES {
                    return Err(too_large((
                        "The files are too large.",
                        "Soubory jsou příliš velké.",
                    )));
                }
                // Only the name: browsers once sent the whole path.
                let filename = filename
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                files.push(api::UploadedFile {
                    field: name,
                    filename,
                    media_type,
                    content: bytes.to_vec(),
                });
            }
            None => {
                text_bytes += bytes.len();
                if text_bytes > MAX_BODY_BYTES {
                    return Err(too_large((
                        "The form is too large.",
                        "Formulář je příliš velký.",
                    )));
                }
                let value = String::from_utf8(bytes.to_vec())
                    .map_err(|_| unreadable(&format!("the field `{name}` is not UTF-8 text")))?;
                fields.push((name, value));
            }
        }
    }
    Ok((fields, files))
}

/// Takes an `api_key` parameter out of the query string, or out of a
/// form-encoded body: (the key, the query and the body without it).
fn take_api_key(query: &str, headers: &HeaderMap, body: Bytes) -> (Option<String>, String, Bytes) {
    let strip = |pairs: Vec<(String, String)>| -> (Option<String>, String) {
        let key = pairs
            .iter()
            .find(|(k, _)| k == API_KEY_PARAM)
            .map(|(_, v)| v.clone());
        let rest: Vec<&(String, String)> =
            pairs.iter().filter(|(k, _)| k != API_KEY_PARAM).collect();
        (key, serde_urlencoded::to_string(rest).unwrap_or_default())
    };
    let mut key = None;
    let mut query = query.to_owned();
    if let Ok(pairs) = parse_pairs(&query)
        && pairs.iter().any(|(k, _)| k == API_KEY_PARAM)
    {
        (key, query) = strip(pairs);
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let mut body = body;
    if form
        && let Ok(pairs) = std::str::from_utf8(&body)
            .map_err(|e| e.to_string())
            .and_then(parse_pairs)
        && pairs.iter().any(|(k, _)| k == API_KEY_PARAM)
    {
        let (in_body, rest) = strip(pairs);
        key = key.or(in_body);
        body = Bytes::from(rest);
    }
    (key, query, body)
}

/// The parameter older APIs (Open311) send their key in.
const API_KEY_PARAM: &str = "api_key";

/// One request to one module of one organization.
struct Call<'a> {
    state: &'a AppState,
    tenant: &'a Tenant,
    module: &'a LoadedModule,
    headers: &'a HeaderMap,
    visitor: &'a Visitor,
    standing: &'a Standing,
    lang: &'a str,
}

impl Call<'_> {
    /// Home › the module (its menu entry, unless this is that page) › this page.
    fn crumbs(&self, shell: &Shell, path: &str, title: &str) -> Vec<Crumb> {
        let mut crumbs = vec![Crumb {
            label: shell.portal_name.clone(),
            href: Some(shell.home.clone()),
        }];
        if let Some(item) = shell.nav.iter().find(|i| i.current) {
            let menu_path = self
                .module
                .manifest()
                .menu
                .as_ref()
                .map(|m| m.path.as_str());
            if menu_path != Some(path) {
                crumbs.push(Crumb {
                    label: item.label.clone(),
                    href: Some(item.href.clone()),
                });
            }
        }
        crumbs.push(Crumb {
            label: title.to_owned(),
            href: None,
        });
        crumbs
    }

    /// Whether the module is being upgraded (its writes must wait).
    fn upgrading(&self) -> bool {
        self.state
            .installer
            .as_ref()
            .is_some_and(|i| i.is_upgrading(self.module.id()))
    }

    async fn timed<T>(
        &self,
        export: Export,
        call: impl Future<Output = Result<T, CallError>>,
    ) -> Result<T, CallError> {
        let result = self
            .state
            .metrics
            .timed(self.module.id(), export, call)
            .await;
        if let Err(e) = &result {
            match &e.kind {
                CallErrorKind::Module(ModuleError::Internal(detail)) => {
                    tracing::error!(module = %e.module, version = %e.version, org = %self.tenant.id, detail = %detail, "module reported an internal error");
                }
                // Refusals are summed up where they happen (the admission
                // gate, the breaker): one line per refusal would flood the
                // log exactly when the portal is busiest.
                CallErrorKind::Module(_)
                | CallErrorKind::Overloaded(_)
                | CallErrorKind::SwitchedOff(_) => {}
                _ => tracing::warn!(error = %e, org = %self.tenant.id, "module call failed"),
            }
        }
        result
    }

    async fn page(&self, ctx: &CallContext, route: RouteMatch) -> Result<Response, Failure> {
        let flash = route
            .query
            .iter()
            .find(|(k, _)| k == "flash")
            .map(|(_, v)| v.clone());
        let path = route.path.clone();
        let query = route.query.clone();
        let view = self
            .timed(Export::Render, self.module.render(ctx, route))
            .await
            .map_err(|e| Failure::from_call(&e))?;
        Ok(self
            .view_response(&view, flash.as_deref(), StatusCode::OK, &path, query)
            .await)
    }

    async fn view_response(
        &self,
        view: &api::View,
        flash: Option<&str>,
        status: StatusCode,
        path: &str,
        query: Vec<(String, String)>,
    ) -> Response {
        if wants_json(self.headers) {
            return (status, axum::Json(view)).into_response();
        }
        let mut shell = shell(
            self.state,
            Some(self.tenant),
            Some(self.module.id()),
            self.lang,
            Some((self.visitor, self.standing)),
        );
        personalize(self.state, self.tenant, self.visitor, &mut shell).await;
        shell.query = query;
        shell.crumbs = self.crumbs(&shell, path, &view.title);
        if crate::manual::file(self.module, self.lang).is_some() {
            shell.manual = Some(format!("{}/help/{}", self.tenant.base, self.module.id()));
        }
        let base = self.tenant.module_base(self.module.id());
        let mut response = html_response(status, render::view_page(&shell, &base, view, flash));
        if view.blocks.iter().any(|b| matches!(b, api::Block::Form(_))) {
            self.visitor.set_cookie(self.state.cookies, &mut response);
        }
        response
    }

    async fn form_post(
        &self,
        ctx: &CallContext,
        route: RouteMatch,
        body: &Bytes,
    ) -> Result<Response, Failure> {
        let (mut fields, files) = form_parts(self.headers, body).await?;
        let submitted = fields
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.clone());
        if !self.visitor.csrf_matches(submitted.as_deref()) {
            return Err(Failure::csrf());
        }
        // The token is the host's business, not the module's.
        fields.retain(|(k, _)| k != CSRF_FIELD);
        if self.upgrading() {
            return Err(Failure::upgrading());
        }
        let form_path = route.path.clone();
        let form = api::FormPost {
            route,
            fields,
            files,
        };
        let outcome = self
            .timed(Export::Submit, self.module.submit(ctx, form))
            .await
            .map_err(|e| Failure::from_call(&e))?;
        match outcome {
            Outcome::Redirect { to, message } => {
                let base = self.tenant.module_base(self.module.id());
                let Some(mut target) =
                    render::module_href(&base, &to).filter(|_| to.starts_with('/'))
                else {
                    tracing::warn!(module = %self.module.id(), to = %to, "module redirected outside itself; refused");
                    return Err(Failure::internal());
                };
                if let Some(message) = message {
                    let sep = if target.contains('?') { '&' } else { '?' };
                    let encoded =
                        serde_urlencoded::to_string([("flash", message)]).unwrap_or_default();
                    target = format!("{target}{sep}{encoded}");
                }
                Ok(Redirect::to(&target).into_response())
            }
            Outcome::Show { view } => {
                let path = self
                    .module
                    .route(&form_path)
                    .map_or(form_path.clone(), |(_, m)| m.path);
                Ok(self
                    .view_response(
                        &view,
                        None,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &path,
                        Vec::new(),
                    )
                    .await)
            }
        }
    }

    async fn api(
        &self,
        ctx: &CallContext,
        route: RouteMatch,
        method: Method,
        body: Bytes,
    ) -> Result<Response, Failure> {
        let method = match method {
            Method::GET => api::Method::Get,
            Method::HEAD => api::Method::Head,
            Method::POST => api::Method::Post,
            Method::PUT => api::Method::Put,
            Method::PATCH => api::Method::Patch,
            Method::DELETE => api::Method::Delete,
            Method::OPTIONS => api::Method::Options,
            other => {
                return Err(Failure::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    NOT_ALLOWED,
                    (
                        format!("{other} is not supported."),
                        format!("Metoda {other} není podporována."),
                    ),
                ));
            }
        };
        let reads = matches!(
            method,
            api::Method::Get | api::Method::Head | api::Method::Options
        );
        if !reads && self.upgrading() {
            return Err(Failure::upgrading());
        }
        let request = api::Request {
            method,
            route,
            headers: self
                .headers
                .iter()
                .filter(|(name, _)| !HIDDEN_REQUEST_HEADERS.contains(&name.as_str()))
                .filter_map(|(name, value)| {
                    Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
                })
                .collect(),
            body: body.to_vec(),
        };
        // A module's API answers JSON, whatever the client accepts.
        let response = self
            .timed(Export::Handle, self.module.handle(ctx, request))
            .await
            .map_err(|e| Failure::from_call(&e).always_json())?;
        let Ok(status) = StatusCode::from_u16(response.status) else {
            tracing::warn!(module = %self.module.id(), status = response.status, "module answered with an invalid HTTP status");
            return Err(Failure::internal());
        };
        let mut out = Response::builder().status(status);
        for (name, value) in &response.headers {
            let name = name.to_ascii_lowercase();
            if MODULE_RESPONSE_HEADERS.contains(&name.as_str()) {
                out = out.header(name, value);
            }
        }
        Ok(out.body(Body::from(response.body)).unwrap_or_else(|e| {
            tracing::warn!(module = %self.module.id(), error = %e, "module answered with an invalid header");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }))
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
