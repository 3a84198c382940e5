//! The admin console (`/admin`), server-rendered like every page: the
//! catalog of installed modules with what each asks for and how it fares,
//! each organization's modules, enabling and disabling a module for an
//! organization (and those below it), its settings as a form generated
//! from the manifest's settings schema, and the organization's audit
//! chain with filters and verification. A platform administrator sees
//! every organization; an organization's administrator sees theirs. Every
//! change is audited by the platform; every form carries the CSRF token.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_platform::identity::roles;
use portico_platform::identity::sessions::Session;
use portico_platform::modules::{self, Change, Signer};
use portico_platform::{audit, events, organizations};
use portico_runtime::api::{
    Block, Cell, Choice, Column, FieldKind, Form, FormField, KeyValue, NoticeLevel, Table, View,
};
use portico_runtime::breaker::BreakerState;
use portico_runtime::manifest::{SettingSpec, SettingType};
use serde::Deserialize;

use crate::AppState;
use crate::extractors::{Lang, Visitor, form_fields};
use crate::failure::Failure;
use crate::frame::{html_response, shell};
use crate::render::{self, tr};

mod packages;
mod people;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(overview))
        .route("/admin/orgs", post(people::create_org))
        .route("/admin/orgs/{org}/roles", post(people::change_role))
        .route("/admin/modules", get(catalog))
        .route("/admin/modules/{id}/switch-on", post(switch_on))
        .route(
            packages::INSTALL_ACTION,
            post(packages::install).layer(axum::extract::DefaultBodyLimit::max(
                portico_package::MAX_PACKAGE_BYTES as usize + (1 << 20),
            )),
        )
        .route("/admin/modules/{id}/rollback", post(packages::rollback))
        .route("/admin/orgs/{org}", get(organization))
        .route(
            "/admin/orgs/{org}/modules/{id}",
            get(module_in_org).post(change_module),
        )
        .route(
            "/admin/orgs/{org}/audit",
            get(audit_chain).post(audit_filter),
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
            "Not found",
            format!("no module `{id}`"),
        )
    })
}

/// Whether the user administers `org` (or everything).
async fn administers(state: &AppState, admin: &Admin, org: &str) -> Result<bool, Failure> {
    let held = held(state, admin, org).await?;
    Ok(held.contains(roles::PLATFORM_ADMIN) || held.contains(roles::ORG_ADMIN))
}

/// The organizations the user administers: `None` for all of them (a
/// platform administrator). Reads the user's few organizations, not the
/// whole tree.
async fn administered(
    state: &AppState,
    admin: &Admin,
) -> Result<Option<std::collections::BTreeSet<String>>, Failure> {
    if platform_admin(state, admin).await? {
        return Ok(None);
    }
    let db = state.services.platform().db();
    let orgs = roles::orgs_of(db, &admin.session.user.id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read roles");
            Failure::database()
        })?;
    let mut out = std::collections::BTreeSet::new();
    for org in orgs {
        if held(state, admin, &org).await?.contains(roles::ORG_ADMIN) {
            out.insert(org);
        }
    }
    Ok(Some(out))
}

async fn platform_admin(state: &AppState, admin: &Admin) -> Result<bool, Failure> {
    Ok(held(state, admin, roles::EVERY_ORG)
        .await?
        .contains(roles::PLATFORM_ADMIN))
}

fn forbidden(admin: &Admin) -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        "Forbidden",
        tr(
            admin.l(),
            "Only an administrator of this organization may do this.",
            "Toto smí jen správce této organizace.",
        ),
    )
}

/// A console page: `view` in the portal's frame.
fn page(state: &AppState, admin: &Admin, view: &View, flash: Option<&str>) -> Response {
    page_with_status(state, admin, view, flash, StatusCode::OK)
}

fn page_with_status(
    state: &AppState,
    admin: &Admin,
    view: &View,
    flash: Option<&str>,
    status: StatusCode,
) -> Response {
    let mut shell = shell(state, None, None, &admin.lang, None);
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

/// `GET /admin`: the organizations the user administers.
async fn overview(
    State(state): State<AppState>,
    Query(q): Query<Done>,
    visitor: Visitor,
    lang: Lang,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login("/admin"));
    };
    overview_page(&state, &admin, None, q.message(admin.l())).await
}

/// The organizations the user administers and, for a platform
/// administrator, the form for a new region or city.
async fn overview_page(
    state: &AppState,
    admin: &Admin,
    problem: Option<&people::Problem>,
    flash: Option<&str>,
) -> Result<Response, Failure> {
    let state = state.clone();
    let l = admin.l().to_owned();
    let db = state.services.platform().db();
    let tree = organizations::tree(db).await.map_err(|e| {
        tracing::error!(error = %e, "cannot read organizations");
        Failure::database()
    })?;
    let mine = administered(&state, admin).await?;
    let rows = tree
        .into_iter()
        .filter(|(_, org)| mine.as_ref().is_none_or(|m| m.contains(&org.id)))
        .map(|(depth, org)| {
            vec![
                link(
                    format!("{}{}", "– ".repeat(depth), org.name),
                    format!("/admin/orgs/{}", org.id),
                ),
                text(org.id.clone()),
                text(org.kind.name()),
            ]
        })
        .collect();
    let view = View {
        title: tr(&l, "Administration", "Správa").into(),
        blocks: vec![table(
            tr(
                &l,
                "Organizations you administer",
                "Organizace, které spravujete",
            ),
            &[
                tr(&l, "Organization", "Organizace"),
                tr(&l, "Identifier", "Identifikátor"),
                tr(&l, "Kind", "Druh"),
            ],
            rows,
            tr(
                &l,
                "You administer no organization.",
                "Nespravujete žádnou organizaci.",
            ),
        )]
        .into_iter()
        // Regions and cities at the top are a platform administrator's.
        .chain(
            mine.is_none()
                .then(|| people::new_org_blocks(&l, None, problem))
                .into_iter()
                .flatten(),
        )
        .collect(),
    };
    Ok(page_with_status(
        &state,
        admin,
        &view,
        flash,
        people::status(problem),
    ))
}

/// `GET /admin/modules`: every installed module, what it asks for, how it fares.
async fn catalog(
    State(state): State<AppState>,
    Query(q): Query<Done>,
    visitor: Visitor,
    lang: Lang,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login("/admin/modules"));
    };
    let l = admin.l().to_owned();
    // For administrators only: the catalog shows what every module may do.
    let is_platform_admin = match administered(&state, &admin).await? {
        None => true,
        Some(mine) if !mine.is_empty() => false,
        Some(_) => return Err(forbidden(&admin)),
    };
    let view = catalog_view(&state, &l, is_platform_admin, None).await;
    Ok(page(&state, &admin, &view, q.message(&l)))
}

/// A problem to show at one of the catalog's forms: the form's action and
/// the message.
pub(super) struct FormProblem {
    action: String,
    message: String,
    /// A change of vendor the upload form asks the administrator to approve.
    vendor_change: Option<portico_host::lifecycle::VendorChange>,
}

/// The catalog: every installed module with what it may do and how it
/// fares; for platform administrators, the forms to install a package, to
/// switch a module on again and to roll an upgrade back.
async fn catalog_view(
    state: &AppState,
    l: &str,
    is_platform_admin: bool,
    problem: Option<&FormProblem>,
) -> View {
    let signers: BTreeMap<String, Option<Signer>> =
        match modules::installations(state.services.platform().db()).await {
            Ok(all) => all.into_iter().map(|i| (i.module_id, i.signer)).collect(),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the installations");
                BTreeMap::new()
            }
        };
    let problem_at = |action: &str| {
        problem
            .filter(|p| p.action == action)
            .map(|p| p.message.clone())
    };
    let mut blocks = Vec::new();
    // A refused rollback is said at the top too: its form may be gone.
    if let Some(p) = problem.filter(|p| p.action != packages::INSTALL_ACTION) {
        blocks.push(Block::Notice {
            level: NoticeLevel::Error,
            text: p.message.clone(),
        });
    }
    if is_platform_admin && state.installer.is_some() {
        blocks.push(packages::upload_form(
            l,
            problem_at(packages::INSTALL_ACTION),
            problem.and_then(|p| p.vendor_change.as_ref()),
        ));
    }
    for m in state.registry().iter() {
        let man = m.manifest();
        let health = state.metrics.health(m.id());
        let off_in = m.switched_off_in();
        let breaker = match m.breaker_state() {
            BreakerState::Closed { .. } if off_in.is_empty() => {
                tr(l, "serving", "v provozu").to_owned()
            }
            BreakerState::Closed { .. } => format!(
                "{}: {}",
                tr(
                    l,
                    "serving, but switched off in",
                    "v provozu, ale vypnut v organizacích"
                ),
                join(
                    off_in
                        .iter()
                        .map(|(org, off)| format!("{org} ({})", off.reason))
                )
            ),
            BreakerState::Open(off) => format!(
                "{} ({})",
                tr(l, "switched off everywhere", "vypnut všude"),
                off.reason
            ),
        };
        blocks.push(Block::Heading {
            level: 2,
            text: format!("{} {}", man.name_in(l), man.version),
        });
        let mut items = vec![
            kv(tr(l, "Identifier", "Identifikátor"), man.id.clone()),
            // Who signed it, as verified: the manifest's `vendor` is the
            // package's own claim.
            kv(
                tr(l, "Signed by", "Podepsal"),
                match signers.get(m.id()) {
                    Some(Some(signer)) => portico_host::lifecycle::describe(signer, l),
                    _ => tr(
                        l,
                        "not recorded (bound at its next upgrade)",
                        "nezaznamenáno (určí se při příštím povýšení)",
                    )
                    .to_owned(),
                },
            ),
            kv(
                tr(l, "Built against", "Postaveno proti"),
                format!("portico:plugin@{}", m.api_version()),
            ),
            kv(
                tr(l, "Description", "Popis"),
                man.description_in(l).to_owned(),
            ),
            kv(
                tr(
                    l,
                    "Host interfaces it uses",
                    "Rozhraní hostitele, která používá",
                ),
                join(man.capabilities.iter().map(|c| c.name().to_owned())),
            ),
            kv(
                tr(l, "Permissions it declares", "Oprávnění, která zavádí"),
                join(
                    man.permissions
                        .iter()
                        .map(|(p, d)| format!("{}.{p} ({d})", man.id)),
                ),
            ),
            kv(
                tr(l, "Roles", "Role"),
                join(
                    man.roles
                        .iter()
                        .map(|(r, spec)| format!("{}.{r} ({})", man.id, spec.label)),
                ),
            ),
            kv(tr(l, "State", "Stav"), breaker.clone()),
            kv(tr(l, "Calls", "Volání"), health.calls.to_string()),
            kv(tr(l, "Errors", "Chyby"), health.errors.to_string()),
            kv(tr(l, "Faults", "Selhání"), health.faults.to_string()),
            kv(
                tr(
                    l,
                    "Refused (switched off or busy)",
                    "Odmítnuto (vypnut nebo přetížen)",
                ),
                health.refused.to_string(),
            ),
        ];
        items.push(kv(
            tr(l, "Latency (95th percentile)", "Odezva (95. percentil)"),
            health
                .p95_ms
                .map_or_else(|| "–".to_owned(), |ms| format!("{ms:.1} ms")),
        ));
        blocks.push(Block::KeyValues { items });
        if is_platform_admin
            && let Some(installer) = &state.installer
            && let Some(previous) = installer.previous(m.id())
        {
            let action = packages::rollback_action(m.id());
            let problem = problem_at(&action);
            blocks.push(packages::rollback_form(
                l, &man.name, &previous, action, problem,
            ));
        }
        if is_platform_admin {
            // Everywhere when it is off everywhere, else in each
            // organization it is off in.
            let switch_on = |place: String, org: Option<&String>| {
                Block::Form(Form {
                    action: format!("/admin/modules/{}/switch-on", m.id()),
                    submit_label: format!("{} {} {place}", tr(l, "Switch on", "Zapnout"), man.name),
                    fields: org
                        .map(|org| FormField {
                            name: "org".into(),
                            kind: FieldKind::Hidden,
                            value: Some(org.clone()),
                            ..Default::default()
                        })
                        .into_iter()
                        .collect(),
                    ..Default::default()
                })
            };
            if matches!(m.breaker_state(), BreakerState::Open(_)) {
                blocks.push(switch_on(tr(l, "everywhere", "všude").to_owned(), None));
            } else {
                for org in off_in.keys() {
                    blocks.push(switch_on(format!("{} {org}", tr(l, "in", "v")), Some(org)));
                }
            }
        }
    }
    View {
        title: tr(l, "Installed modules", "Nainstalované moduly").into(),
        blocks,
    }
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
            "switched-on" => tr(
                l,
                "The module is switched on again.",
                "Modul je znovu zapnut.",
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

async fn switch_on(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    visitor: Visitor,
    lang: Lang,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login("/admin/modules"));
    };
    let fields = checked_form(&admin, &headers, &body)?;
    let org = fields.get("org").filter(|v| !v.is_empty()).cloned();
    if !platform_admin(&state, &admin).await? {
        return Err(forbidden(&admin));
    }
    let m = installed(&state, &id)?;
    if let Err(e) = m.switch_on(org.as_deref()) {
        tracing::error!(module = %id, error = %e, "cannot switch a module on");
        return Err(Failure::database());
    }
    // It belongs to no organization: the platform's chain records it.
    let event = audit::Event {
        actor: admin.session.user.id.clone(),
        module: audit::HOST.to_owned(),
        action: "module.switch-on".into(),
        subject: id.clone(),
        detail: serde_json::json!({ "org": org }),
    };
    if let Err(e) =
        audit::append(state.services.platform().db(), audit::PLATFORM_CHAIN, event).await
    {
        tracing::error!(module = %id, error = %e, "cannot audit switching a module on");
        return Err(Failure::database());
    }
    tracing::info!(module = %id, by = %admin.session.user.id, "module switched on from the console");
    Ok(Redirect::to("/admin/modules?done=switched-on").into_response())
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

/// `GET /admin/orgs/{org}`: the organization's modules, its people and
/// their roles, and a form for an organization below it.
async fn organization(
    State(state): State<AppState>,
    Path(org): Path<String>,
    Query(q): Query<Done>,
    visitor: Visitor,
    lang: Lang,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&format!("/admin/orgs/{org}")));
    };
    organization_page(&state, &admin, &org, None, q.message(admin.l())).await
}

/// The organization's page; `problem` is a refused form, shown with its
/// error at the field and what was typed kept.
async fn organization_page(
    state: &AppState,
    admin: &Admin,
    org: &str,
    problem: Option<&people::Problem>,
    flash: Option<&str>,
) -> Result<Response, Failure> {
    let (state, org) = (state.clone(), org.to_owned());
    let l = admin.l().to_owned();
    let the_org = checked_org(&state, admin, &org).await?;
    let enabled = state.services.org(&org).await.map_err(|e| {
        tracing::error!(error = %e, "cannot read enablement");
        Failure::database()
    })?;
    let people = people::blocks(&state, &l, &the_org, problem).await?;
    let rows = state
        .registry()
        .iter()
        .map(|m| {
            let on = enabled.enabled.contains_key(m.id());
            vec![
                link(
                    m.manifest().name.clone(),
                    format!("/admin/orgs/{org}/modules/{}", m.id()),
                ),
                text(m.manifest().version.to_string()),
                text(if on {
                    tr(&l, "enabled", "zapnut")
                } else {
                    tr(&l, "not enabled", "nezapnut")
                }),
            ]
        })
        .collect();
    let view = View {
        title: the_org.name.clone(),
        blocks: vec![
            table(
                tr(&l, "Modules", "Moduly"),
                &[
                    tr(&l, "Module", "Modul"),
                    tr(&l, "Version", "Verze"),
                    tr(&l, "State", "Stav"),
                ],
                rows,
                tr(
                    &l,
                    "No module is installed.",
                    "Není nainstalován žádný modul.",
                ),
            ),
            Block::Actions {
                items: vec![portico_runtime::api::Action {
                    label: tr(&l, "Audit trail", "Auditní stopa").into(),
                    href: format!("/admin/orgs/{org}/audit"),
                    style: portico_runtime::api::ActionStyle::Secondary,
                }],
            },
        ]
        .into_iter()
        .chain(people)
        .collect(),
    };
    Ok(page_with_status(
        &state,
        admin,
        &view,
        flash,
        people::status(problem),
    ))
}

async fn checked_org(
    state: &AppState,
    admin: &Admin,
    org: &str,
) -> Result<organizations::Organization, Failure> {
    let found = organizations::get(state.services.platform().db(), org)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read organizations");
            Failure::database()
        })?;
    let Some(found) = found else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("no organization `{org}`"),
        ));
    };
    if !administers(state, admin, org).await? {
        return Err(forbidden(admin));
    }
    Ok(found)
}

/// The settings form of a module in an organization.
fn settings_form(
    l: &str,
    org: &str,
    id: &str,
    specs: &BTreeMap<String, SettingSpec>,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
) -> Form {
    let fields = specs
        .iter()
        .map(|(key, spec)| {
            let value = values.get(key).cloned().or_else(|| spec.default.clone());
            let (kind, choices) = match spec.kind {
                SettingType::String => (FieldKind::Text, Vec::new()),
                SettingType::Number => (FieldKind::Number, Vec::new()),
                SettingType::Json => (FieldKind::Textarea, Vec::new()),
                SettingType::Boolean => (
                    FieldKind::Select,
                    vec![
                        Choice {
                            value: "true".into(),
                            label: tr(l, "yes", "ano").into(),
                        },
                        Choice {
                            value: "false".into(),
                            label: tr(l, "no", "ne").into(),
                        },
                    ],
                ),
            };
            FormField {
                name: format!("setting.{key}"),
                label: if spec.label.is_empty() {
                    key.clone()
                } else {
                    spec.label.clone()
                },
                kind,
                required: false,
                value,
                help: spec
                    .default
                    .as_ref()
                    .map(|d| format!("{} {d}", tr(l, "Default:", "Výchozí:"))),
                choices,
                error: errors.get(key).cloned(),
                min: spec.min.map(|m| m.to_string()),
                max: spec.max.map(|m| m.to_string()),
                ..Default::default()
            }
        })
        .collect();
    Form {
        action: format!("/admin/orgs/{org}/modules/{id}"),
        submit_label: tr(l, "Save settings", "Uložit nastavení").into(),
        fields,
        ..Default::default()
    }
}

/// `GET /admin/orgs/{org}/modules/{id}`: a module in an organization.
async fn module_in_org(
    State(state): State<AppState>,
    Path((org, id)): Path<(String, String)>,
    Query(q): Query<Done>,
    visitor: Visitor,
    lang: Lang,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&format!("/admin/orgs/{org}/modules/{id}")));
    };
    module_page(
        &state,
        &admin,
        &org,
        &id,
        &BTreeMap::new(),
        None,
        q.message(admin.l()),
    )
    .await
}

async fn module_page(
    state: &AppState,
    admin: &Admin,
    org: &str,
    id: &str,
    errors: &BTreeMap<String, String>,
    typed: Option<&BTreeMap<String, String>>,
    flash: Option<&str>,
) -> Result<Response, Failure> {
    let l = admin.l().to_owned();
    let the_org = checked_org(state, admin, org).await?;
    let m = installed(state, id)?;
    let current = match state.services.org(org).await {
        Ok(o) => o.enabled.get(id).cloned(),
        Err(e) => {
            tracing::error!(error = %e, "cannot read enablement");
            return Err(Failure::database());
        }
    };
    let on = current.is_some();
    let mut values = current.map(|e| e.settings).unwrap_or_default();
    if let Some(typed) = typed {
        values.extend(typed.clone());
    }
    let man = m.manifest();
    let mut blocks = vec![Block::KeyValues {
        items: vec![
            kv(tr(&l, "Organization", "Organizace"), the_org.name.clone()),
            kv(
                tr(&l, "State", "Stav"),
                if on {
                    tr(&l, "enabled", "zapnut")
                } else {
                    tr(&l, "not enabled", "nezapnut")
                }
                .into(),
            ),
            kv(tr(&l, "Version", "Verze"), man.version.to_string()),
        ],
    }];
    blocks.push(Block::Form(Form {
        action: format!("/admin/orgs/{org}/modules/{id}"),
        submit_label: if on {
            tr(&l, "Disable", "Vypnout")
        } else {
            tr(&l, "Enable", "Zapnout")
        }
        .into(),
        fields: vec![
            FormField {
                name: "state".into(),
                label: String::new(),
                kind: FieldKind::Hidden,
                required: false,
                value: Some(if on { "disable" } else { "enable" }.into()),
                help: None,
                choices: Vec::new(),
                error: None,
                ..Default::default()
            },
            FormField {
                name: "children".into(),
                label: tr(
                    &l,
                    "Also for the organizations below",
                    "Také pro podřízené organizace",
                )
                .into(),
                kind: FieldKind::Checkbox,
                required: false,
                value: None,
                help: None,
                choices: Vec::new(),
                error: None,
                ..Default::default()
            },
        ],
        ..Default::default()
    }));
    if on && !man.settings.is_empty() {
        blocks.push(Block::Heading {
            level: 2,
            text: tr(&l, "Settings", "Nastavení").into(),
        });
        if !errors.is_empty() {
            blocks.push(Block::Notice {
                level: NoticeLevel::Error,
                text: tr(
                    &l,
                    "The settings were not saved.",
                    "Nastavení nebylo uloženo.",
                )
                .into(),
            });
        }
        blocks.push(Block::Form(settings_form(
            &l,
            org,
            id,
            &man.settings,
            &values,
            errors,
        )));
    }
    let dead = events::dead_letters(state.services.platform().db(), Some(org)).await;
    if let Ok(dead) = dead {
        let rows: Vec<Vec<Cell>> = dead
            .iter()
            .filter(|d| d.module_id == id)
            .map(|d| {
                vec![
                    text(d.id.to_string()),
                    text(d.topic.clone()),
                    text(d.source_module.clone()),
                ]
            })
            .collect();
        blocks.push(table(
            tr(
                &l,
                "Events it could not take (dead letters)",
                "Události, které nepřijal (nedoručené)",
            ),
            &[
                tr(&l, "Delivery", "Doručení"),
                tr(&l, "Topic", "Téma"),
                tr(&l, "From", "Od"),
            ],
            rows,
            tr(&l, "None.", "Žádné."),
        ));
    }
    let view = View {
        title: man.name.clone(),
        blocks,
    };
    let mut response = page(state, admin, &view, flash);
    if !errors.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `POST /admin/orgs/{org}/modules/{id}`: enable, disable, or save settings.
async fn change_module(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, id)): Path<(String, String)>,
    visitor: Visitor,
    lang: Lang,
    body: Bytes,
) -> Result<Response, Failure> {
    let path = format!("/admin/orgs/{org}/modules/{id}");
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&path));
    };
    let fields = checked_form(&admin, &headers, &body)?;
    checked_org(&state, &admin, &org).await?;
    let m = installed(&state, &id)?;
    let mut change = Change::default();
    let done;
    match fields.get("state").map(String::as_str) {
        Some(s @ ("enable" | "disable")) => {
            change.enabled = Some(s == "enable");
            change.include_children = fields
                .get("children")
                .is_some_and(|v| v == "true" || v == "on");
            done = if s == "enable" { "enabled" } else { "disabled" };
        }
        Some(other) => {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "Bad request",
                format!("`state` must be `enable` or `disable`, not `{other}`"),
            ));
        }
        None => {
            let specs = &m.manifest().settings;
            let mut errors = BTreeMap::new();
            let mut typed = BTreeMap::new();
            for (name, value) in &fields {
                let Some(key) = name.strip_prefix("setting.") else {
                    continue;
                };
                let Some(spec) = specs.get(key) else {
                    return Err(Failure::new(
                        StatusCode::BAD_REQUEST,
                        "Bad request",
                        format!("`{key}` is not a setting of {}", m.manifest().name),
                    ));
                };
                typed.insert(key.to_owned(), value.clone());
                if value.trim().is_empty() {
                    change.unset.push(key.to_owned());
                } else if let Err(e) = spec.check(key, value) {
                    errors.insert(key.to_owned(), e.message(admin.l()));
                } else {
                    change.set.insert(key.to_owned(), value.clone());
                }
            }
            if !errors.is_empty() {
                return module_page(&state, &admin, &org, &id, &errors, Some(&typed), None).await;
            }
            done = "saved";
        }
    }
    let actor = admin.session.user.id.clone();
    if let Err(e) = state.services.change(&org, &id, &change, &actor).await {
        tracing::error!(error = %e, "cannot change a module's state");
        return Err(Failure::database());
    }
    tracing::info!(org = %org, module = %id, by = %actor, done, "module changed from the console");
    Ok(Redirect::to(&format!("{path}?done={done}")).into_response())
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
}

/// `GET /admin/orgs/{org}/audit`: the chain, newest first, filtered, verified.
async fn audit_chain(
    State(state): State<AppState>,
    Path(org): Path<String>,
    Query(q): Query<AuditQuery>,
    visitor: Visitor,
    lang: Lang,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&format!("/admin/orgs/{org}/audit")));
    };
    let l = admin.l().to_owned();
    let the_org = checked_org(&state, &admin, &org).await?;
    let db = state.services.platform().db();
    let (entries, verdict) = match (
        audit::entries(db, &org).await,
        audit::verify(db, &org).await,
    ) {
        (Ok(e), Ok(v)) => (e, v),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "cannot read the audit chain");
            return Err(Failure::database());
        }
    };
    let wanted = |have: &str, want: &Option<String>| {
        want.as_deref()
            .is_none_or(|w| w.trim().is_empty() || have.contains(w.trim()))
    };
    let rows: Vec<Vec<Cell>> = entries
        .iter()
        .rev()
        .filter(|e| wanted(&e.actor, &q.actor) && wanted(&e.action, &q.action))
        .take(500)
        .map(|e| {
            vec![
                text(e.seq.to_string()),
                text(portico_host::services::rfc3339(e.at_micros)),
                text(e.actor.clone()),
                text(e.module.clone()),
                text(e.action.clone()),
                text(e.subject.clone()),
            ]
        })
        .collect();
    let verdict = match verdict {
        audit::Verdict::Intact { entries, head } => Block::Notice {
            level: NoticeLevel::Success,
            text: format!(
                "{} {entries} {} {head}",
                tr(&l, "The chain is intact:", "Řetězec je neporušený:"),
                tr(&l, "entries, head", "záznamů, hlava"),
            ),
        },
        audit::Verdict::Broken { seq, problem } => Block::Notice {
            level: NoticeLevel::Error,
            text: format!(
                "{} {seq}: {problem}",
                tr(
                    &l,
                    "The chain is broken at entry",
                    "Řetězec je porušen u záznamu"
                )
            ),
        },
    };
    let filter = Form {
        action: format!("/admin/orgs/{org}/audit"),
        submit_label: tr(&l, "Filter", "Filtrovat").into(),
        fields: vec![
            filter_field("actor", tr(&l, "Who", "Kdo"), q.actor.clone()),
            filter_field("action", tr(&l, "Action", "Akce"), q.action.clone()),
        ],
        ..Default::default()
    };
    let view = View {
        title: format!(
            "{} – {}",
            tr(&l, "Audit trail", "Auditní stopa"),
            the_org.name
        ),
        blocks: vec![
            verdict,
            Block::Form(filter),
            table(
                tr(&l, "Entries, newest first", "Záznamy, nejnovější první"),
                &[
                    "#",
                    tr(&l, "When", "Kdy"),
                    tr(&l, "Who", "Kdo"),
                    tr(&l, "Module", "Modul"),
                    tr(&l, "Action", "Akce"),
                    tr(&l, "Subject", "Předmět"),
                ],
                rows,
                tr(&l, "No entries.", "Žádné záznamy."),
            ),
        ],
    };
    Ok(page(&state, &admin, &view, None))
}

/// `POST /admin/orgs/{org}/audit`: the filter form, as a link to its result.
async fn audit_filter(
    headers: HeaderMap,
    Path(org): Path<String>,
    visitor: Visitor,
    lang: Lang,
    body: Bytes,
) -> Result<Response, Failure> {
    let path = format!("/admin/orgs/{org}/audit");
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&path));
    };
    let fields = checked_form(&admin, &headers, &body)?;
    let query: Vec<(&str, &str)> = ["actor", "action"]
        .into_iter()
        .filter_map(|k| {
            fields
                .get(k)
                .map(|v| (k, v.trim()))
                .filter(|(_, v)| !v.is_empty())
        })
        .collect();
    let query = serde_urlencoded::to_string(query).unwrap_or_default();
    Ok(Redirect::to(&if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    })
    .into_response())
}

fn filter_field(name: &str, label: &str, value: Option<String>) -> FormField {
    FormField {
        name: name.into(),
        label: label.into(),
        kind: FieldKind::Text,
        required: false,
        value,
        help: None,
        choices: Vec::new(),
        error: None,
        ..Default::default()
    }
}
