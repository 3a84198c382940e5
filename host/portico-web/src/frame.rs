//! The frame of every page: the page shell (the portal's name, the menu of
//! the organization's modules, what the header shows a logged-in user:
//! their unread messages and other organizations), the HTML response, and
//! the layer ([`draw_failures`]) that reads the visitor's language once
//! per request and draws every [`Failure`] a handler answers with: a page
//! in this frame, or JSON for a client that wants JSON.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portico_runtime::LoadedModule;
use portico_runtime::manifest::{ADMIN_ROLES, AgendaEntry};

use crate::extractors::{FrameParts, Lang, PageFrame, Standing, Tenant, Visitor};
use crate::failure::Failure;
use crate::render::{self, Crumb, Footer, NavItem, Shell};
use crate::{AppState, REQUEST_ID};

pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

pub(crate) fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// What surrounds every page: the portal's name and the navigation (the
/// menu entry of every module the organization enabled), `current` marked.
pub(crate) fn shell(
    state: &AppState,
    tenant: Option<&Tenant>,
    current: Option<&str>,
    lang: &str,
    viewer: Option<(&Visitor, &Standing)>,
) -> Shell {
    let anonymous = Standing::default();
    let standing = viewer.map_or(&anonymous, |v| v.1);
    let nav = tenant
        .map(|t| {
            state
                .registry()
                .iter()
                .filter(|m| t.modules.enabled.contains_key(m.id()))
                .filter_map(|m| {
                    let menu = m.manifest().menu.as_ref()?;
                    let (route, _) = m.route(&menu.path)?;
                    if !standing.may_reach(route, m.manifest()) {
                        return None;
                    }
                    Some(NavItem {
                        label: m.manifest().menu_label_in(lang).to_owned(),
                        href: format!("{}{}", t.module_base(m.id()), menu.path),
                        current: current == Some(m.id()),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let (portal_name, home) = match tenant {
        Some(t) => (t.modules.name.clone(), format!("{}/", t.base)),
        None => (state.config.portal_name.clone(), "/".to_owned()),
    };
    // The search box, where any enabled module offers something to find.
    let search = tenant
        .filter(|t| {
            state
                .registry()
                .iter()
                .any(|m| t.modules.enabled.contains_key(m.id()) && !m.manifest().search.is_empty())
        })
        .map(|t| format!("{}/search", t.base));
    // A person's own pages: their tools where they have some (or
    // administer), and their overview wherever they are logged in.
    let (agenda, mine) = match (tenant, viewer) {
        (Some(t), Some((Visitor::User(_), standing))) => {
            let tools = standing
                .roles
                .iter()
                .any(|r| ADMIN_ROLES.contains(&r.as_str()))
                || !agenda_of(state, t, standing).is_empty();
            (
                tools.then(|| format!("{}/agenda", t.base)),
                Some(format!("{}/mine", t.base)),
            )
        }
        _ => (None, None),
    };
    let footer = tenant.map(|t| {
        let c = &t.modules.contacts;
        Footer {
            name: t.modules.name.clone(),
            address: t.modules.address.clone(),
            phone: c.field("phone").to_owned(),
            email: c.field("email").to_owned(),
            data_box: c.field("data_box").to_owned(),
            hours: {
                let (hours, tag) = c.in_language("hours", lang);
                (hours.to_owned(), tag)
            },
            base: t.base.clone(),
        }
    });
    let description = tenant.map(|t| {
        format!(
            "{}: {}",
            t.modules.name,
            render::tr(
                lang,
                "the organization's services and information online",
                "služby a informace organizace online"
            )
        )
    });
    let brand = tenant.map(|t| &t.modules.brand);
    let emblem = tenant
        .filter(|t| !t.modules.brand.field("emblem").is_empty())
        .map(|t| format!("{}/emblem", t.base));
    let brand_css = tenant
        .filter(|_| brand.is_some_and(|b| !b.field("colour").is_empty()))
        .map(|t| format!("{}/brand.css", t.base));
    Shell {
        nav,
        search,
        agenda,
        mine,
        footer,
        description,
        emblem,
        brand_css,
        map_attribution: state.tiles.as_ref().map(|t| t.attribution().to_owned()),
        user: viewer.and_then(|v| v.0.display_name()),
        csrf: viewer.map(|v| v.0.csrf().to_owned()).unwrap_or_default(),
        ..Shell::plain(portal_name, lang, home)
    }
}

/// A module and the entries of its agenda, each by its name.
pub(crate) type ModuleAgenda = (Arc<LoadedModule>, Vec<(String, AgendaEntry)>);

/// The agenda entries of the modules `tenant` enabled that `standing`
/// reaches (its roles carry the entry's permission), module by module.
pub(crate) fn agenda_of(
    state: &AppState,
    tenant: &Tenant,
    standing: &Standing,
) -> Vec<ModuleAgenda> {
    state
        .registry()
        .iter()
        .filter(|m| tenant.modules.enabled.contains_key(m.id()))
        .filter_map(|m| {
            let man = m.manifest();
            let held = man.permissions_of(standing.roles.iter().map(String::as_str));
            let entries: Vec<_> = man
                .agenda
                .iter()
                .filter(|(_, e)| {
                    held.contains(&format!("{}.{}", man.id, e.permission))
                        && m.route(&e.path)
                            .is_some_and(|(r, _)| standing.may_reach(r, man))
                })
                .map(|(name, e)| (name.clone(), e.clone()))
                .collect();
            (!entries.is_empty()).then(|| (m.clone(), entries))
        })
        .collect()
}

/// A role as people call it in `lang`: the platform's own, or the label
/// its module gives it, with the module's name.
pub(crate) fn role_label(state: &AppState, role: &str, lang: &str) -> String {
    use portico_platform::identity::roles;
    match role {
        roles::PLATFORM_ADMIN => {
            render::tr(lang, "Platform administrator", "Správce platformy").into()
        }
        roles::ORG_ADMIN => render::tr(
            lang,
            "Administrator of the organization",
            "Správce organizace",
        )
        .into(),
        _ => role
            .split_once('.')
            .and_then(|(module, name)| {
                let registry = state.registry();
                let man = registry.get(module)?.manifest();
                let label = man.role_label_in(name, lang)?;
                Some(format!("{label} ({})", man.name_in(lang)))
            })
            .unwrap_or_else(|| role.to_owned()),
    }
}

/// Fills in what the header shows a logged-in user in `tenant`: the other
/// organizations they hold a role in, and their inbox with its unread count.
pub(crate) async fn personalize(
    state: &AppState,
    tenant: &Tenant,
    visitor: &Visitor,
    shell: &mut Shell,
) {
    let Visitor::User(session) = visitor else {
        return;
    };
    let db = state.services.platform().db();
    let user = &session.user.id;
    // An administrator of an organization above administers this one too,
    // holding no role here: their agenda leads to its console.
    if shell.agenda.is_none()
        && session.user.kind == portico_platform::identity::users::UserKind::Staff
        && matches!(
            portico_platform::identity::roles::admin_right(db, user, &tenant.id).await,
            Ok(Some(_))
        )
    {
        shell.agenda = Some(format!("{}/agenda", tenant.base));
    }
    match portico_platform::notifications::unread_count(db, &tenant.id, user).await {
        Ok(unread) => shell.inbox = Some((format!("{}/inbox", tenant.base), unread)),
        Err(e) => tracing::warn!(error = %e, "cannot count unread messages"),
    }
    let orgs = match portico_platform::identity::roles::orgs_of(db, user).await {
        Ok(orgs) => orgs,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the user's organizations");
            return;
        }
    };
    for org in orgs.iter().filter(|o| *o != &tenant.id && *o != "*") {
        if let Ok(modules) = state.services.org(org).await
            && modules.exists
        {
            let home = if state.config.default_org.as_deref() == Some(org.as_str()) {
                "/".to_owned()
            } else {
                format!("/o/{org}/")
            };
            shell.other_orgs.push((modules.name.clone(), home));
        }
    }
}

/// The frame of a page that belongs to no organization (the log-in, the
/// person's account), in the organization of `path` (the page they came
/// from or go to: `/o/<org>/…`, else the default organization), with its
/// menu, header and footer; the portal's plain frame where there is none.
pub(crate) async fn frame_of_path(
    state: &AppState,
    path: &str,
    lang: &str,
    visitor: &Visitor,
) -> Shell {
    let Ok(tenant) = Tenant::of(state, path).await else {
        return shell(state, None, None, lang, None);
    };
    let standing = Standing::of(state, visitor, &tenant.id)
        .await
        .unwrap_or_default();
    let mut framed = shell(state, Some(&tenant), None, lang, Some((visitor, &standing)));
    personalize(state, &tenant, visitor, &mut framed).await;
    framed
}

/// The frame of a page the host builds in an organization's portal:
/// the visitor's header, and breadcrumbs from the home to `title`.
pub(crate) async fn host_page_shell(
    state: &AppState,
    (tenant, visitor, standing): (&Tenant, &Visitor, &Standing),
    lang: &str,
    title: &str,
) -> Shell {
    let mut shell = shell(state, Some(tenant), None, lang, Some((visitor, standing)));
    personalize(state, tenant, visitor, &mut shell).await;
    shell.crumbs = vec![
        Crumb {
            label: shell.portal_name.clone(),
            href: Some(shell.home.clone()),
        },
        Crumb {
            label: title.to_owned(),
            href: None,
        },
    ];
    shell
}

/// The organization `org_id` and its page frame, for pages the host
/// builds inside an organization's portal.
pub(crate) async fn tenant_shell(
    state: &AppState,
    org_id: &str,
    current: Option<&str>,
    lang: &str,
) -> Option<(Tenant, Shell)> {
    let path = if state.config.default_org.as_deref() == Some(org_id) {
        "/".to_owned()
    } else {
        format!("/o/{org_id}/")
    };
    let tenant = Tenant::of(state, &path).await.ok()?;
    let shell = shell(state, Some(&tenant), current, lang, None);
    Some((tenant, shell))
}

/// The page frame of `org_id`'s portal, as its module pages have it
/// (for pages the host builds natively). `None` when there is no such
/// organization or its data cannot be read.
pub async fn org_shell(
    state: &AppState,
    org_id: &str,
    current: Option<&str>,
    lang: &str,
) -> Option<(Shell, String)> {
    let (tenant, shell) = tenant_shell(state, org_id, current, lang).await?;
    let base = current.map(|m| tenant.module_base(m)).unwrap_or_default();
    Some((shell, base))
}

pub(crate) fn html_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The layer around every route that serves people and API clients. It
/// reads the language once, for the handler's [`Lang`] and for a failure
/// page, gives the handler an empty [`PageFrame`] for its extractors to
/// fill in, and turns a [`Failure`] the handler answered with into the
/// answer: JSON when the client wants JSON (or the failure is always
/// JSON), else the error page in the frame the handler got to. Headers
/// the handler put on its failure (`Allow`, `Set-Cookie`) stay.
pub(crate) async fn draw_failures(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let lang = Lang::of(request.headers());
    let json = wants_json(request.headers());
    // Read as text only when a failure is drawn: most requests succeed.
    let request_id = request.headers().get(REQUEST_ID).cloned();
    let frame = PageFrame::default();
    request.extensions_mut().insert(lang.clone());
    request.extensions_mut().insert(frame.clone());
    let mut response = next.run(request).await;
    let Some(failure) = response.extensions_mut().remove::<Failure>() else {
        return response;
    };
    let request_id = request_id
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut drawn = if json || failure.always_json {
        failure_json(&failure, request_id, &lang.0)
    } else {
        failure_page(&state, &failure, frame.take(), &lang.0, request_id)
    };
    if let Some(secs) = failure.retry_after {
        drawn
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    drawn
        .headers_mut()
        .extend(std::mem::take(response.headers_mut()));
    drawn
}

/// An API client's error: `error` in English words that stay the same,
/// `message` in the language it asked for.
fn failure_json(failure: &Failure, request_id: &str, lang: &str) -> Response {
    let mut body = serde_json::json!({
        "error": failure.title.0,
        "message": failure.message.get(lang),
        "request_id": request_id,
    });
    if !failure.fields.is_empty() {
        body["fields"] = serde_json::to_value(&failure.fields).unwrap_or_default();
    }
    (failure.status, axum::Json(body)).into_response()
}

fn failure_page(
    state: &AppState,
    failure: &Failure,
    frame: FrameParts,
    lang: &str,
    request_id: &str,
) -> Response {
    let viewer = frame.viewer.as_ref().map(|v| (&v.0, &v.1));
    let shell = shell(
        state,
        frame.tenant.as_ref(),
        frame.module.as_deref(),
        lang,
        viewer,
    );
    html_response(
        failure.status,
        render::error_page(
            &shell,
            failure.title_in(lang),
            failure.message.get(lang),
            request_id,
        ),
    )
}
