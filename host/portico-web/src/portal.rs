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
use portico_platform::identity;
use portico_platform::records::{self, Scope};
use portico_runtime::api::CallContext;
use portico_runtime::backend::CollectionRef;
use portico_runtime::manifest::{AgendaEntry, Keyed, Manifest, RouteKind};
use portico_runtime::{CallErrorKind, Export};

use crate::AppState;
use crate::auth;
use crate::extractors::{Lang, Standing, Tenant, Visitor, form_fields};
use crate::failure::{Failure, NOT_LOGGED_IN};
use crate::frame::{agenda_of, host_page_shell, html_response, personalize, request_id, shell};
use crate::render::{self, CSRF_FIELD, tr};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/o/{org}", get(dashboard))
        .route("/o/{org}/", get(dashboard))
        .route("/agenda", get(agenda))
        .route("/o/{org}/agenda", get(agenda))
        .route("/mine", get(mine))
        .route("/o/{org}/mine", get(mine))
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
            p { (tr(&lang, "No organizations are set up yet.", "Zatím tu nejsou žádné organizace.")) }
        } @else {
            p { (tr(&lang, "Choose an organization:", "Vyberte organizaci:")) }
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
    let panels = module_panels(
        &state,
        (&tenant, &visitor, &standing),
        &lang,
        &request_id(&headers),
        &shell,
        |m| m.dashboard.as_ref().map(|d| d.path.as_str()),
    )
    .await;
    // What people come to do: the entry points of the modules enabled
    // here that the visitor may open.
    let doors: Vec<(String, String)> = state
        .registry()
        .iter()
        .filter(|m| tenant.modules.enabled.contains_key(m.id()))
        .flat_map(|m| {
            let man = m.manifest();
            man.start
                .iter()
                .filter(|(_, e)| {
                    m.route(&e.path).is_some_and(|(r, _)| {
                        r.kind == RouteKind::Page && standing.may_reach(r, man)
                    })
                })
                .map(|(name, e)| {
                    (
                        man.text_in(Keyed::Start, name, &lang, &e.label).to_owned(),
                        format!("{}{}", tenant.module_base(m.id()), e.path),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let content = html! {
        @if let Some(search) = &shell.search {
            form.front-search method="get" action=(search) role="search" {
                label for="front-q" { (tr(&lang, "What are you looking for?", "Co hledáte?")) }
                div.front-search-row {
                    input #front-q type="search" name="q" maxlength="100";
                    button.button.primary type="submit" { (tr(&lang, "Search", "Hledat")) }
                }
            }
        }
        @if !doors.is_empty() {
            section.doors aria-labelledby="doors" {
                h2 #doors { (tr(&lang, "What do you want to do?", "Co chcete udělat?")) }
                ul.doors {
                    @for (label, href) in &doors {
                        li { a.door href=(href) { (label) } }
                    }
                }
            }
        }
        @if !panels.is_empty() {
            h2 { (tr(&lang, "In figures", "V číslech")) }
            (panels_html(&panels))
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

/// The modules' panels side by side, each headed by a link to its page.
fn panels_html(panels: &[Panel]) -> maud::Markup {
    html! {
        div.dashboard {
            @for panel in panels {
                section.panel aria-label=(panel.title) {
                    h2 { a href=(panel.href) { (panel.title) } }
                    (panel.body)
                }
            }
        }
    }
}

/// One module's part of a page the host gathers from modules (the
/// dashboard, a person's overview): its name, the page it comes from,
/// and its blocks.
struct Panel {
    title: String,
    href: String,
    body: maud::Markup,
}

/// The panels of the page `pick` names in each enabled module the visitor
/// may see it in, each module called once; one failing leaves the others
/// standing.
async fn module_panels(
    state: &AppState,
    (tenant, visitor, standing): (&Tenant, &Visitor, &Standing),
    lang: &str,
    request_id: &str,
    shell: &render::Shell,
    pick: impl Fn(&Manifest) -> Option<&str>,
) -> Vec<Panel> {
    let mut panels = Vec::new();
    for module in state
        .registry()
        .iter()
        .filter(|m| tenant.modules.enabled.contains_key(m.id()))
    {
        let Some(path) = pick(module.manifest()) else {
            continue;
        };
        let Some((route, route_match)) = module.route(path) else {
            continue;
        };
        if route.kind != RouteKind::Page || !standing.may_reach(route, module.manifest()) {
            continue;
        }
        let ctx = CallContext {
            org_id: tenant.id.clone(),
            principal: auth::principal(visitor, standing, &tenant.id, module.manifest()),
            request_id: request_id.to_owned(),
            locale: lang.to_owned(),
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
        let body = match result {
            Ok(view) => render::blocks(&base, shell, &view.blocks),
            Err(e) => {
                if !matches!(
                    e.kind,
                    CallErrorKind::Module(_)
                        | CallErrorKind::Overloaded(_)
                        | CallErrorKind::SwitchedOff(_)
                ) {
                    tracing::warn!(error = %e, org = %tenant.id, "a module's panel failed");
                }
                html! { p.muted { (tr(lang, "This part is not available right now.", "Tato část teď není k dispozici.")) } }
            }
        };
        panels.push(Panel {
            title: module.manifest().menu_label_in(lang).to_owned(),
            href: format!("{base}{path}"),
            body,
        });
    }
    panels
}

/// The way to the log-in page and back to `uri`.
fn to_login(uri: &Uri) -> Response {
    let next = serde_urlencoded::to_string([("next", uri.path())]).unwrap_or_default();
    Redirect::to(&format!("/auth/login?{next}")).into_response()
}

/// How many records an agenda entry counts in `tenant`; `None` when it
/// counts none or they cannot be counted (the entry is shown without).
async fn agenda_count(
    state: &AppState,
    tenant: &Tenant,
    man: &Manifest,
    entry: &AgendaEntry,
) -> Option<u64> {
    let count = entry.count.as_ref()?;
    let spec = man.collections.get(&count.collection)?;
    let schema = portico_host::services::schema(CollectionRef {
        name: &count.collection,
        spec,
    });
    let scope = Scope {
        org_id: tenant.id.clone(),
        module_id: man.id.clone(),
        actor: String::new(),
    };
    let filter = records::Filter {
        field: count.field.clone(),
        op: records::FilterOp::Eq,
        value: count.value.clone(),
    };
    let db = state.services.platform().db();
    match records::aggregate(db, &scope, &schema, &[filter], &count.field, None, None).await {
        Ok(groups) => Some(groups.iter().map(|g| g.count).sum()),
        Err(e) => {
            tracing::warn!(error = %e, module = %man.id, "cannot count an agenda entry");
            None
        }
    }
}

/// `GET …/agenda`: the person's agenda in this organization: the tools
/// of every module their roles reach, with what waits in each, and the
/// console when they administer the organization.
async fn agenda(
    State(state): State<AppState>,
    tenant: Tenant,
    visitor: Visitor,
    standing: Standing,
    Lang(lang): Lang,
    uri: Uri,
) -> Result<Response, Failure> {
    let Visitor::User(session) = &visitor else {
        return Ok(to_login(&uri));
    };
    let mut sections = Vec::new();
    for (module, entries) in agenda_of(&state, &tenant, &standing) {
        let man = module.manifest();
        let mut items = Vec::new();
        for (name, entry) in &entries {
            items.push((
                man.text_in(Keyed::Agenda, name, &lang, &entry.label)
                    .to_owned(),
                format!("{}{}", tenant.module_base(module.id()), entry.path),
                agenda_count(&state, &tenant, man, entry).await,
            ));
        }
        sections.push((man.name_in(&lang).to_owned(), items));
    }
    let db = state.services.platform().db();
    let administers = identity::roles::admin_right(db, &session.user.id, &tenant.id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read administration rights");
            Failure::database()
        })?
        .is_some();
    let title = tr(&lang, "My agenda", "Moje agenda").to_owned();
    let shell = host_page_shell(&state, (&tenant, &visitor, &standing), &lang, &title).await;
    let waiting = tr(&lang, "waiting", "čeká");
    let content = html! {
        @if sections.is_empty() && !administers {
            p { (tr(&lang, "Your roles here give you no tools. An administrator of the organization grants roles.", "Vaše role vám zde nedávají žádné nástroje. Role přiděluje správce organizace.")) }
        }
        div.agenda {
            @for (module, items) in &sections {
                section.panel aria-label=(module) {
                    h2 { (module) }
                    ul.tools {
                        @for (label, href, count) in items {
                            li {
                                a href=(href) { (label) }
                                @if let Some(n) = count {
                                    " " span.badge.zero[*n == 0] { (portico_types::written::number(*n as f64, &lang)) span.visually-hidden { " " (waiting) } }
                                }
                            }
                        }
                    }
                }
            }
            @if administers {
                section.panel aria-label=(tr(&lang, "Administration", "Správa")) {
                    h2 { (tr(&lang, "Administration", "Správa")) }
                    ul.tools {
                        li { a href=(format!("/admin/orgs/{}", tenant.id)) { (tr(&lang, "The organization in the console: modules, settings, roles", "Organizace v konzoli: moduly, nastavení, role")) } }
                        li { a href=(format!("/admin/orgs/{}/pages", tenant.id)) { (tr(&lang, "Contacts, accessibility statement, personal data", "Kontakty, prohlášení o přístupnosti, osobní údaje")) } }
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

/// `GET …/mine`: the person's overview of their own affairs here: what
/// each module shows them as theirs (drafts, submissions, reports), and
/// their messages.
async fn mine(
    State(state): State<AppState>,
    tenant: Tenant,
    visitor: Visitor,
    standing: Standing,
    Lang(lang): Lang,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, Failure> {
    if !matches!(visitor, Visitor::User(_)) {
        return Ok(to_login(&uri));
    }
    let title = tr(&lang, "My overview", "Můj přehled").to_owned();
    let shell = host_page_shell(&state, (&tenant, &visitor, &standing), &lang, &title).await;
    let panels = module_panels(
        &state,
        (&tenant, &visitor, &standing),
        &lang,
        &request_id(&headers),
        &shell,
        |m| m.mine.as_ref().map(|d| d.path.as_str()),
    )
    .await;
    let content = html! {
        @if let Some((href, unread)) = &shell.inbox {
            p {
                a href=(href) { (tr(&lang, "Messages", "Zprávy")) }
                ": "
                @if *unread == 0 {
                    (tr(&lang, "nothing unread", "nic nepřečteného"))
                } @else {
                    (tr(&lang, "unread ", "nepřečtené ")) (portico_types::written::number(*unread as f64, &lang))
                }
            }
        }
        @if panels.is_empty() {
            p { (tr(&lang, "Nothing of yours is here yet.", "Zatím tu nic vašeho není.")) }
        }
        (panels_html(&panels))
        p { a href="/auth/me" { (tr(&lang, "My account", "Můj účet")) } }
    };
    Ok(html_response(
        StatusCode::OK,
        render::page(&shell, &title, content),
    ))
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
        return Ok(to_login(&uri));
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
