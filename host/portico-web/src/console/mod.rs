//! The admin console (`/admin`), server-rendered like every page: the
//! catalog of installed modules with what each asks for and how it fares,
//! each organization's modules, enabling and disabling a module for an
//! organization (and those below it), its settings as a form generated
//! from the manifest's settings schema, and the organization's audit
//! chain with filters and verification. A platform administrator sees
//! every organization; an organization's administrator sees theirs. Every
//! change is audited by the platform; every form carries the CSRF token.
//!
//! This file is the router and what every page of the console shares: who
//! is at it (`Admin`) and what they administer, the page frame, the
//! check of a posted form, the small builders of tables and lists. The
//! pages are one file per area: `orgs` (the overview and an
//! organization's page), `catalog` (the installed modules, switching one
//! on again), `enablement` (a module in an organization: enabling,
//! settings, its dead letters), `audit_trail`, `people` (roles, new
//! organizations), `packages` (upload, rollback) and `texts` (the
//! organization's own public pages: contacts, accessibility statement,
//! personal data).

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_platform::identity::roles;
use portico_platform::identity::sessions::Session;
use portico_platform::organizations;
use portico_runtime::api::{Block, Cell, Column, KeyValue, Table, View};
use serde::Deserialize;

use crate::AppState;
use crate::extractors::{Lang, Visitor, form_fields};
use crate::failure::{FORBIDDEN, Failure, NOT_FOUND};
use crate::frame::{frame_of_path, html_response};
use crate::render::{self, tr};

mod audit_trail;
mod catalog;
mod connections;
mod enablement;
mod orgs;
mod packages;
mod people;
mod texts;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(orgs::overview))
        .route("/admin/orgs", post(people::create_org))
        .route("/admin/orgs/{org}/roles", post(people::change_role))
        .route("/admin/modules", get(catalog::catalog))
        .route("/admin/modules/{id}/switch-on", post(catalog::switch_on))
        .route(
            packages::INSTALL_ACTION,
            post(packages::install).layer(axum::extract::DefaultBodyLimit::max(
                portico_package::MAX_PACKAGE_BYTES as usize + (1 << 20),
            )),
        )
        .route("/admin/modules/{id}/rollback", post(packages::rollback))
        .route("/admin/orgs/{org}", get(orgs::organization))
        .route("/admin/orgs/{org}/above", post(orgs::change_above))
        .route("/admin/orgs/{org}/pages", get(texts::org_pages))
        .route("/admin/orgs/{org}/pages/{page}", post(texts::save_page))
        .route("/admin/orgs/{org}/brand", post(texts::save_brand))
        .route(
            "/admin/orgs/{org}/modules/{id}",
            get(enablement::module_in_org).post(enablement::change_module),
        )
        .route(
            "/admin/orgs/{org}/modules/{id}/connections/{name}",
            get(connections::connection_page).post(connections::change_connection),
        )
        .route(
            "/admin/orgs/{org}/audit",
            get(audit_trail::audit_chain).post(audit_trail::audit_filter),
        )
}

/// Who is at the console: a logged-in user, with the language of the page.
struct Admin {
    visitor: Visitor,
    session: Box<Session>,
    lang: String,
}

impl Admin {
    /// The logged-in user at the console; `None` when nobody is logged
    /// in (send them [`to_login`]).
    fn of(visitor: Visitor, Lang(lang): Lang) -> Option<Admin> {
        let Visitor::User(session) = &visitor else {
            return None;
        };
        let session = session.clone();
        Some(Admin {
            visitor,
            session,
            lang,
        })
    }

    fn l(&self) -> &str {
        &self.lang
    }
}

/// Off to log in, and back to the console's page at `path` after.
fn to_login(path: &str) -> Response {
    let to = format!(
        "/auth/login?{}",
        serde_urlencoded::to_string([("next", path)]).unwrap_or_default()
    );
    Redirect::to(&to).into_response()
}

async fn held(
    state: &AppState,
    admin: &Admin,
    org: &str,
) -> Result<std::collections::BTreeSet<String>, Failure> {
    roles::roles_in(state.services.platform().db(), &admin.session.user.id, org)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read roles");
            Failure::database()
        })
}

/// An installed module, or the 404 that says it is not.
fn installed(
    state: &AppState,
    id: &str,
) -> Result<std::sync::Arc<portico_runtime::LoadedModule>, Failure> {
    state.registry().get(id).cloned().ok_or_else(|| {
        Failure::new(
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            (
                format!("There is no module `{id}` in this portal."),
                format!("Modul `{id}` v tomto portálu není."),
            ),
        )
    })
}

/// Whether, and why, the user administers `org` (see [`roles::admin_right`]).
async fn admin_right(
    state: &AppState,
    admin: &Admin,
    org: &str,
) -> Result<Option<roles::AdminRight>, Failure> {
    roles::admin_right(state.services.platform().db(), &admin.session.user.id, org)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read roles");
            Failure::database()
        })
}

/// Whether the user administers `org` (or everything).
async fn administers(state: &AppState, admin: &Admin, org: &str) -> Result<bool, Failure> {
    Ok(admin_right(state, admin, org).await?.is_some())
}

/// The organizations the user administers: `None` for all of them (a
/// platform administrator); else their own and those below them.
async fn administered(
    state: &AppState,
    admin: &Admin,
) -> Result<Option<std::collections::BTreeSet<String>>, Failure> {
    roles::administered(state.services.platform().db(), &admin.session.user.id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read roles");
            Failure::database()
        })
}

async fn platform_admin(state: &AppState, admin: &Admin) -> Result<bool, Failure> {
    Ok(held(state, admin, roles::EVERY_ORG)
        .await?
        .contains(roles::PLATFORM_ADMIN))
}

fn forbidden() -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        FORBIDDEN,
        (
            "Only an administrator of this organization may do this.",
            "Toto smí jen správce této organizace.",
        ),
    )
}

/// What a confirmation page says and posts (see [`confirm_page`]).
struct Confirm<'a> {
    title: String,
    /// What will happen.
    warning: String,
    /// Where the form is posted again, with `fields` and `confirm=yes`.
    action: String,
    fields: Vec<(&'a str, String)>,
    /// The button that does it, and the link back that leaves all as it is.
    confirm: &'a str,
    keep: &'a str,
    back: String,
}

/// A page that asks once more before something people rely on is undone:
/// what will happen, a button that posts the form again confirmed, and a
/// way back that changes nothing.
async fn confirm_page(state: &AppState, admin: &Admin, c: Confirm<'_>) -> Response {
    let fields = c
        .fields
        .into_iter()
        .chain([("confirm", "yes".to_owned())])
        .map(|(name, value)| portico_runtime::api::FormField {
            name: name.into(),
            kind: portico_runtime::api::FieldKind::Hidden,
            value: Some(value),
            ..Default::default()
        })
        .collect();
    let view = View {
        title: c.title,
        blocks: vec![
            Block::Notice {
                level: portico_runtime::api::NoticeLevel::Warning,
                text: c.warning,
            },
            Block::Form(portico_runtime::api::Form {
                action: c.action,
                submit_label: c.confirm.into(),
                fields,
                ..Default::default()
            }),
            Block::Actions {
                items: vec![portico_runtime::api::Action {
                    label: c.keep.into(),
                    href: c.back,
                    style: portico_runtime::api::ActionStyle::Secondary,
                }],
            },
        ],
    };
    page(state, admin, &view, None).await
}

/// A console page: `view` in the portal's frame.
async fn page(state: &AppState, admin: &Admin, view: &View, flash: Option<&str>) -> Response {
    page_with_status(state, admin, view, flash, StatusCode::OK).await
}

async fn page_with_status(
    state: &AppState,
    admin: &Admin,
    view: &View,
    flash: Option<&str>,
    status: StatusCode,
) -> Response {
    // The default organization's frame (its name, emblem, header and
    // footer), with the console's own menu.
    let mut shell = frame_of_path(state, "/", &admin.lang, &admin.visitor).await;
    shell.user = admin.visitor.display_name();
    shell.csrf = admin.visitor.csrf().to_owned();
    shell.nav = console_nav(admin.l());
    html_response(status, render::view_page(&shell, "", view, flash))
}

fn console_nav(l: &str) -> Vec<render::NavItem> {
    vec![
        render::NavItem {
            label: tr(l, "Organizations", "Organizace").into(),
            href: "/admin".into(),
            current: false,
        },
        render::NavItem {
            label: tr(l, "Modules", "Moduly").into(),
            href: "/admin/modules".into(),
            current: false,
        },
    ]
}

fn text(s: impl Into<String>) -> Cell {
    Cell {
        text: s.into(),
        link: None,
    }
}

fn link(s: impl Into<String>, href: impl Into<String>) -> Cell {
    Cell {
        text: s.into(),
        link: Some(href.into()),
    }
}

/// A table block: caption, column labels, rows, and what to say when empty.
fn table(caption: &str, labels: &[&str], rows: Vec<Vec<Cell>>, empty: &str) -> Block {
    Block::Table(Table {
        caption: caption.to_owned(),
        columns: columns(labels),
        rows,
        empty_text: empty.to_owned(),
        sorted_by: None,
    })
}

fn columns(labels: &[&str]) -> Vec<Column> {
    labels
        .iter()
        .map(|l| Column {
            label: (*l).to_owned(),
            numeric: false,
            sort_key: None,
        })
        .collect()
}

fn kv(key: &str, value: String) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: if value.is_empty() {
            "–".into()
        } else {
            value
        },
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// What the last change did, for the message on the page it returns to.
#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

impl Done {
    fn message(&self, l: &str) -> Option<&'static str> {
        Some(match self.done.as_deref()? {
            "enabled" => tr(l, "The module is enabled.", "Modul je zapnut."),
            "disabled" => tr(
                l,
                "The module is disabled. Its data stay.",
                "Modul je vypnut. Jeho data zůstávají.",
            ),
            "saved" => tr(l, "The settings are saved.", "Nastavení je uloženo."),
            "published" => tr(
                l,
                "The page is saved and published.",
                "Stránka je uložena a zveřejněna.",
            ),
            "closed" => tr(
                l,
                "The administrators of the organizations above no longer administer it.",
                "Správci nadřízených organizací ji již nespravují.",
            ),
            "opened" => tr(
                l,
                "The administrators of the organizations above administer it again.",
                "Správci nadřízených organizací ji opět spravují.",
            ),
            "redriven" => tr(
                l,
                "The messages are back in line; they will be delivered in a moment.",
                "Zprávy jsou znovu ve frontě; za okamžik budou doručeny.",
            ),
            "switched-on" => tr(
                l,
                "The module is switched on again.",
                "Modul je znovu zapnut.",
            ),
            "connection-saved" => tr(
                l,
                "The connection is set up; the module uses it from now on.",
                "Spojení je nastaveno; modul je od nynějška používá.",
            ),
            "connection-removed" => tr(
                l,
                "The connection's set-up is removed; the module can no longer use it.",
                "Nastavení spojení je odebráno; modul je již nemůže použít.",
            ),
            "deliveries-redriven" => tr(
                l,
                "The dead deliveries are back in line; they will be sent in a moment.",
                "Nedoručitelná doručení jsou znovu ve frontě; za okamžik budou odeslána.",
            ),
            "granted" => tr(l, "The role is granted.", "Role je udělena."),
            "revoked" => tr(l, "The role is revoked.", "Role je odebrána."),
            "created" => tr(l, "The organization is created.", "Organizace je založena."),
            "installed" => tr(l, "The module is installed.", "Modul je nainstalován."),
            "upgraded" => tr(
                l,
                "The module is upgraded; its records were migrated.",
                "Modul je povýšen; jeho záznamy byly převedeny.",
            ),
            "rolled-back" => tr(
                l,
                "The module is back at its earlier version, with its records as they were.",
                "Modul je zpět ve dřívější verzi, se záznamy, jak byly.",
            ),
            _ => return None,
        })
    }
}

/// The form fields of a console POST, its CSRF token checked.
fn checked_form(
    admin: &Admin,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<BTreeMap<String, String>, Failure> {
    let fields = form_fields(headers, body)?;
    let token = fields
        .iter()
        .find(|(k, _)| k == render::CSRF_FIELD)
        .map(|(_, v)| v.as_str());
    if !admin.visitor.csrf_matches(token) {
        return Err(Failure::csrf());
    }
    Ok(fields.into_iter().collect())
}

async fn checked_org(
    state: &AppState,
    admin: &Admin,
    org: &str,
) -> Result<organizations::Organization, Failure> {
    Ok(checked_org_and_right(state, admin, org).await?.0)
}

/// The organization `org`, if the user administers it, and why they do.
async fn checked_org_and_right(
    state: &AppState,
    admin: &Admin,
    org: &str,
) -> Result<(organizations::Organization, roles::AdminRight), Failure> {
    let found = organizations::get(state.services.platform().db(), org)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read organizations");
            Failure::database()
        })?;
    let Some(found) = found else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            (
                format!("There is no organization `{org}` in this portal."),
                format!("Organizace `{org}` v tomto portálu není."),
            ),
        ));
    };
    match admin_right(state, admin, org).await? {
        Some(right) => Ok((found, right)),
        None => Err(forbidden()),
    }
}
