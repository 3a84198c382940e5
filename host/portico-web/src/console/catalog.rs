//! The console's catalog of installed modules (`/admin/modules`): what
//! each asks for, who signed it, how it fares and whether its breaker
//! switched it off; for platform administrators, the package forms (from
//! `packages`) and the buttons that switch a module on again.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use portico_platform::audit;
use portico_platform::modules::{self, Signer};
use portico_runtime::api::{Block, FieldKind, Form, FormField, NoticeLevel, View};
use portico_runtime::breaker::BreakerState;

use super::{
    Admin, Done, administered, checked_form, forbidden, installed, join, kv, packages, page,
    platform_admin, to_login,
};
use crate::AppState;
use crate::extractors::{Lang, Visitor};
use crate::failure::Failure;
use crate::render::tr;

/// `GET /admin/modules`: every installed module, what it asks for, how it fares.
pub(super) async fn catalog(
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
        Some(_) => return Err(forbidden()),
    };
    let view = catalog_view(&state, &l, is_platform_admin, None).await;
    Ok(page(&state, &admin, &view, q.message(&l)).await)
}

/// A problem to show at one of the catalog's forms: the form's action and
/// the message.
pub(super) struct FormProblem {
    pub(super) action: String,
    pub(super) message: String,
    /// A change of vendor the upload form asks the administrator to approve.
    pub(super) vendor_change: Option<portico_host::lifecycle::VendorChange>,
}

/// The catalog: every installed module with what it may do and how it
/// fares; for platform administrators, the forms to install a package, to
/// switch a module on again and to roll an upgrade back.
pub(super) async fn catalog_view(
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
        let mut items =
            vec![
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
                    tr(l, "Contract version", "Verze rozhraní"),
                    m.api_version().to_string(),
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
                    join(man.permissions.iter().map(|(p, d)| {
                        format!("{} ({}.{p})", man.permission_in(p, l).unwrap_or(d), man.id)
                    })),
                ),
                kv(
                    tr(l, "Roles", "Role"),
                    join(man.roles.iter().map(|(r, spec)| {
                        man.role_label_in(r, l).unwrap_or(&spec.label).to_owned()
                    })),
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
                l,
                man.name_in(l),
                &previous,
                action,
                problem,
            ));
        }
        if is_platform_admin {
            // Everywhere when it is off everywhere, else in each
            // organization it is off in.
            let switch_on = |place: String, org: Option<&String>| {
                Block::Form(Form {
                    action: format!("/admin/modules/{}/switch-on", m.id()),
                    submit_label: format!(
                        "{} {} {place}",
                        tr(l, "Switch on", "Zapnout"),
                        man.name_in(l)
                    ),
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

pub(super) async fn switch_on(
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
        return Err(forbidden());
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
