//! The pages of the portal that belong to no module: the list of
//! organizations (`/` when there is no default organization), an
//! organization's home, the dashboard that gathers the modules' dashboard
//! blocks, and the user's inbox of in-portal messages.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use portico_runtime::api::CallContext;
use portico_runtime::manifest::RouteKind;
use portico_runtime::{CallErrorKind, Export};

use crate::auth;
use crate::extractors::{Standing, Tenant, Visitor, form_fields, standing, tenant, visitor};
use crate::failure::Failure;
use crate::frame::{host_page_shell, html_response, locale, personalize, shell};
use crate::render::{self, CSRF_FIELD, tr};
use crate::{AppState, REQUEST_ID};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/o/{org}", get(org_home))
        .route("/o/{org}/", get(org_home))
        .route("/inbox", get(inbox))
        .route("/o/{org}/inbox", get(inbox))
        .route("/inbox/{id}/read", post(mark_read))
        .route("/o/{org}/inbox/{id}/read", post(mark_read))
}

/// `/`: the default organization's home, or the list of organizations.
async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.config.default_org.is_some() {
        return dashboard(&state, &headers, "/").await;
    }
    let lang = locale(&headers);
    let orgs = match portico_platform::organizations::tree(state.services.platform().db()).await {
        Ok(orgs) => orgs,
        Err(e) => {
            tracing::error!(error = %e, "cannot list organizations");
            return Failure::database().respond(&state, &headers, None, None);
        }
    };
    let shell = shell(&state, None, None, &lang, None);
    let content = maud::html! {
        @if orgs.is_empty() {
            p { "No organizations are set up yet." }
        } @else {
            p { "Choose an organization:" }
            ul.services {
                @for (depth, org) in &orgs {
                    li class=(format!("depth-{}", (*depth).min(3))) {
                        a href=(format!("/o/{}/", org.id)) { (org.name) }
                    }
                }
            }
        }
    };
    let title = state.config.portal_name.clone();
    html_response(StatusCode::OK, render::page(&shell, &title, content))
}

async fn org_home(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    dashboard(&state, &headers, uri.path()).await
}

/// The organization's home: the dashboard blocks of every enabled module
/// the visitor may see (each module's `dashboard` page), then its services.
async fn dashboard(state: &AppState, headers: &HeaderMap, path: &str) -> Response {
    let (tenant, visitor, standing) = match visit(state, headers, path).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let lang = locale(headers);
    let mut shell = shell(
        state,
        Some(&tenant),
        None,
        &lang,
        Some((&visitor, &standing)),
    );
    personalize(state, &tenant, &visitor, &mut shell).await;
    let request_id = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut panels = Vec::new();
    for module in state
        .registry()
        .iter()
        .filter(|m| tenant.modules.enabled.contains_key(m.id()))
    {
        let Some(entry) = &module.manifest().dashboard else {
            continue;
        };
        let Some((route, route_match)) = module.route(&entry.path) else {
            continue;
        };
        if route.kind != RouteKind::Page || !standing.may_reach(route, module.manifest()) {
            continue;
        }
        let ctx = CallContext {
            org_id: tenant.id.clone(),
            principal: auth::principal(&visitor, &standing, &tenant.id, module.manifest()),
            request_id: request_id.clone(),
            locale: lang.clone(),
        };
        let result = state
            .metrics
            .timed(
                module.id(),
                Export::Render,
                module.render(&ctx, route_match),
            )
            .await;
        let base = format!("{}/m/{}", tenant.base, module.id());
        let title = module.manifest().menu_label_in(&lang).to_owned();
        // One module failing leaves the rest of the dashboard standing.
        let body = match result {
            Ok(view) => render::blocks(&base, &shell, &view.blocks),
            Err(e) => {
                if !matches!(
                    e.kind,
                    CallErrorKind::Module(_)
                        | CallErrorKind::Overloaded(_)
                        | CallErrorKind::SwitchedOff(_)
                ) {
                    tracing::warn!(error = %e, org = %tenant.id, "dashboard block failed");
                }
                html! { p.muted { (tr(&lang, "This part is not available right now.", "Tato část teď není k dispozici.")) } }
            }
        };
        panels.push((title, format!("{base}{}", entry.path), body));
    }
    let content = html! {
        @if !panels.is_empty() {
            div.dashboard {
                @for (title, href, body) in &panels {
                    section.panel aria-label=(title) {
                        h2 { a href=(href) { (title) } }
                        (body)
                    }
                }
            }
        }
        @if shell.nav.is_empty() {
            p { (tr(&lang, "This organization offers no services here yet.", "Tato organizace zde zatím nenabízí žádné služby.")) }
        } @else {
            h2 { (tr(&lang, "Services", "Služby")) }
            ul.services {
                @for item in &shell.nav {
                    li { a href=(item.href) { (item.label) } }
                }
            }
        }
    };
    let title = shell.portal_name.clone();
    html_response(StatusCode::OK, render::page(&shell, &title, content))
}

/// Who visits which organization's page the host builds itself (the
/// organization from the path: `/o/<org>/…` or the default's `/…`).
pub(crate) async fn visit(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
) -> Result<(Tenant, Visitor, Standing), Response> {
    let (tenant, _) = tenant(state, path)
        .await
        .map_err(|f| f.respond(state, headers, None, None))?;
    let visitor = visitor(state, headers)
        .await
        .map_err(|f| f.respond(state, headers, Some(&tenant), None))?;
    let standing = standing(state, &visitor, &tenant.id)
        .await
        .map_err(|f| f.respond(state, headers, Some(&tenant), None))?;
    Ok((tenant, visitor, standing))
}

/// `GET …/inbox`: the messages modules sent the user in this organization.
async fn inbox(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let (tenant, visitor, standing) = match visit(&state, &headers, uri.path()).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Visitor::User(session) = &visitor else {
        let next = serde_urlencoded::to_string([("next", uri.path())]).unwrap_or_default();
        return Redirect::to(&format!("/auth/login?{next}")).into_response();
    };
    let lang = locale(&headers);
    let db = state.services.platform().db();
    let messages =
        match portico_platform::notifications::inbox(db, &tenant.id, &session.user.id, 200).await {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, "cannot read an inbox");
                return Failure::database().respond(&state, &headers, Some(&tenant), None);
            }
        };
    let title = tr(&lang, "Inbox", "Zprávy").to_owned();
    let shell = host_page_shell(&state, (&tenant, &visitor, &standing), &lang, &title).await;
    let module_name = |id: &str| {
        state
            .registry()
            .get(id)
            .map_or_else(|| id.to_owned(), |m| m.manifest().name_in(&lang).to_owned())
    };
    let content = html! {
        @if messages.is_empty() {
            p { (tr(&lang, "No messages yet.", "Zatím žádné zprávy.")) }
        } @else {
            ol.inbox {
                @for m in &messages {
                    @let unread = m.read_at_micros.is_none();
                    li.message.unread[unread] {
                        h2 {
                            @if unread { span.badge { (tr(&lang, "New", "Nové")) } " " }
                            (m.subject)
                        }
                        p.meta {
                            (module_name(&m.module_id)) " · "
                            (chrono::DateTime::from_timestamp_micros(m.created_at_micros)
                                .map(|t| t.format(if lang == "cs" { "%-d. %-m. %Y %H:%M UTC" } else { "%-d %b %Y, %H:%M UTC" }).to_string())
                                .unwrap_or_default())
                        }
                        @for line in m.body.lines() { p { (line) } }
                        @if unread {
                            form.inline method="post" action=(format!("{}/inbox/{}/read", tenant.base, m.id)) {
                                input type="hidden" name=(CSRF_FIELD) value=(visitor.csrf());
                                button.button.secondary type="submit" { (tr(&lang, "Mark as read", "Označit jako přečtené")) }
                            }
                        }
                    }
                }
            }
        }
    };
    html_response(StatusCode::OK, render::page(&shell, &title, content))
}

/// `POST …/inbox/<id>/read`: marks one of the user's messages read.
async fn mark_read(
    State(state): State<AppState>,
    Path(params): Path<Vec<(String, String)>>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (tenant, visitor, _) = match visit(&state, &headers, uri.path()).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Visitor::User(session) = &visitor else {
        return Failure::new(
            StatusCode::UNAUTHORIZED,
            "Not logged in",
            "Log in to read your messages.",
        )
        .respond(&state, &headers, Some(&tenant), None);
    };
    let fields = match form_fields(&headers, &body) {
        Ok(f) => f,
        Err(f) => return f.respond(&state, &headers, Some(&tenant), None),
    };
    let token = fields
        .iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.as_str());
    if !visitor.csrf_matches(token) {
        return Failure::csrf().respond(&state, &headers, Some(&tenant), None);
    }
    let id = params
        .iter()
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let db = state.services.platform().db();
    match portico_platform::notifications::mark_read(db, &tenant.id, &session.user.id, id).await {
        Ok(()) => Redirect::to(&format!("{}/inbox", tenant.base)).into_response(),
        Err(portico_platform::PlatformError::NotFound(m)) => Failure::new(
            StatusCode::NOT_FOUND,
            "Not found",
            m,
        )
        .respond(&state, &headers, Some(&tenant), None),
        Err(e) => {
            tracing::error!(error = %e, "cannot mark a message read");
            Failure::database().respond(&state, &headers, Some(&tenant), None)
        }
    }
}
