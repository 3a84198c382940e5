//! The pages of the portal that belong to no module: the list of
//! organizations (`/` when there is no default organization), an
//! organization's home, the dashboard that gathers the modules' dashboard
//! blocks, and the user's inbox of in-portal messages.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::html;
use portico_runtime::api::CallContext;
use portico_runtime::manifest::RouteKind;
use portico_runtime::{CallErrorKind, Export};

use crate::AppState;
use crate::auth;
use crate::extractors::{Lang, Standing, Tenant, Visitor, form_fields};
use crate::failure::{Failure, NOT_LOGGED_IN};
use crate::frame::{host_page_shell, html_response, personalize, request_id, shell};
use crate::render::{self, CSRF_FIELD, tr};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/o/{org}", get(dashboard))
        .route("/o/{org}/", get(dashboard))
        .route("/inbox", get(inbox))
        .route("/o/{org}/inbox", get(inbox))
        .route("/inbox/{id}/read", post(mark_read))
        .route("/o/{org}/inbox/{id}/read", post(mark_read))
}

/// `/`: the default organization's home, or the list of organizations.
async fn index(
    State(state): State<AppState>,
    Lang(lang): Lang,
    request: Request,
) -> Result<Response, Failure> {
    if state.config.default_org.is_some() {
        return Ok(axum::handler::Handler::call(dashboard, request, state).await);
    }
    let orgs = portico_platform::organizations::tree(state.services.platform().db())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot list organizations");
            Failure::database()
        })?;
    let shell = shell(&state, None, None, &lang, None);
    let content = html! {
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
    Ok(html_response(
        StatusCode::OK,
        render::page(&shell, &title, content),
    ))
}

/// The organization's home: the dashboard blocks of every enabled module
/// the visitor may see (each module's `dashboard` page), then its services.
async fn dashboard(
    State(state): State<AppState>,
    tenant: Tenant,
    visitor: Visitor,
    standing: Standing,
    Lang(lang): Lang,
    headers: HeaderMap,
) -> Response {
    let mut shell = shell(
        &state,
        Some(&tenant),
        None,
        &lang,
        Some((&visitor, &standing)),
    );
    personalize(&state, &tenant, &visitor, &mut shell).await;
    let request_id = request_id(&headers);
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

/// `GET …/inbox`: the messages modules sent the user in this organization.
async fn inbox(
    State(state): State<AppState>,
    tenant: Tenant,
    visitor: Visitor,
    standing: Standing,
    Lang(lang): Lang,
    uri: Uri,
) -> Result<Response, Failure> {
    let Visitor::User(session) = &visitor else {
        let next = serde_urlencoded::to_string([("next", uri.path())]).unwrap_or_default();
        return Ok(Redirect::to(&format!("/auth/login?{next}")).into_response());
    };
    let db = state.services.platform().db();
    let messages = portico_platform::notifications::inbox(db, &tenant.id, &session.user.id, 200)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read an inbox");
            Failure::database()
        })?;
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
                                .map(|t| render::moment(t, &lang))
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
    Ok(html_response(
        StatusCode::OK,
        render::page(&shell, &title, content),
    ))
}

/// `POST …/inbox/<id>/read`: marks one of the user's messages read.
async fn mark_read(
    State(state): State<AppState>,
    Path(params): Path<Vec<(String, String)>>,
    tenant: Tenant,
    visitor: Visitor,
    // Refuses an API token of another organization, as the organization's
    // other pages do.
    _standing: Standing,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let Visitor::User(session) = &visitor else {
        return Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            NOT_LOGGED_IN,
            (
                "Log in to read your messages.",
                "Pro čtení zpráv se přihlaste.",
            ),
        ));
    };
    let fields = form_fields(&headers, &body)?;
    let token = fields
        .iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.as_str());
    if !visitor.csrf_matches(token) {
        return Err(Failure::csrf());
    }
    let id = params
        .iter()
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let db = state.services.platform().db();
    match portico_platform::notifications::mark_read(db, &tenant.id, &session.user.id, id).await {
        Ok(()) => Ok(Redirect::to(&format!("{}/inbox", tenant.base)).into_response()),
        Err(portico_platform::PlatformError::NotFound(m)) => {
            tracing::info!(why = %m, "no such message");
            Err(Failure::not_found())
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot mark a message read");
            Err(Failure::database())
        }
    }
}
