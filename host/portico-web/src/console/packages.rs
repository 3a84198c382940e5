//! The catalog's package forms, for platform administrators: upload a
//! package to install a module or upgrade it, and roll an upgrade back.
//! Both go through the host's [`Installer`](portico_host::lifecycle::Installer),
//! as `portico plugin install|rollback` do, and the result serves at once.
//! A package signed by another vendor than the installed module's is
//! refused with a box to tick that approves that change of vendor (and no
//! other), for the administrator to send the package again.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use portico_platform::audit;
use portico_runtime::api::{Block, FieldKind, Form, FormField};

use super::catalog::{FormProblem, catalog_view};
use super::{Admin, checked_form, forbidden, page_with_status, platform_admin, to_login};
use crate::AppState;
use crate::extractors::{Lang, Visitor};
use crate::failure::{Failure, NOT_FOUND};
use crate::render::{self, tr};
use portico_host::lifecycle::{self, LifecycleError, Previous, VendorApproval, VendorChange};

/// Where the upload form posts.
pub(super) const INSTALL_ACTION: &str = "/admin/modules/install";

/// Where a module's rollback form posts.
pub(super) fn rollback_action(id: &str) -> String {
    format!("/admin/modules/{id}/rollback")
}

fn field(name: &str, label: &str, kind: FieldKind) -> FormField {
    FormField {
        name: name.to_owned(),
        label: label.to_owned(),
        kind,
        required: false,
        value: None,
        help: None,
        choices: Vec::new(),
        error: None,
        ..Default::default()
    }
}

/// The box that approves a change of vendor, and the hidden field naming
/// the signer it approves.
const APPROVE_FIELD: &str = "approve-vendor-change";
const APPROVED_SIGNER_FIELD: &str = "approved-signer";

/// "Install or upgrade a module": one file field; after a refused change
/// of vendor, the box that approves it.
pub(super) fn upload_form(
    l: &str,
    error: Option<String>,
    vendor_change: Option<&VendorChange>,
) -> Block {
    let mut approval = Vec::new();
    if let Some(change) = vendor_change {
        approval.push(FormField {
            help: Some(
                tr(
                    l,
                    "Choose the package again and tick this to let the other vendor's code \
                     migrate and serve this module. The approval is recorded in the audit trail.",
                    "Vyberte balíček znovu a zaškrtněte toto, má-li kód jiného dodavatele převést \
                     a obsluhovat tento modul. Schválení se zapíše do auditní stopy.",
                )
                .into(),
            ),
            ..field(APPROVE_FIELD, &change.approval(l), FieldKind::Checkbox)
        });
        approval.push(FormField {
            value: Some(lifecycle::signer_id(&change.offered)),
            ..field(APPROVED_SIGNER_FIELD, "", FieldKind::Hidden)
        });
    }
    Block::Form(Form {
        action: INSTALL_ACTION.into(),
        submit_label: tr(l, "Install", "Nainstalovat").into(),
        fields: [FormField {
            required: true,
            help: Some(
                tr(
                    l,
                    "A .portico file signed by a vendor this portal trusts. A newer version of an \
                     installed module replaces it after migrating its records; if that fails, \
                     nothing changes.",
                    "Soubor .portico podepsaný dodavatelem, kterému portál důvěřuje. Novější verze \
                     nainstalovaného modulu jej nahradí po převodu jeho záznamů; selže-li převod, \
                     nic se nezmění.",
                )
                .into(),
            ),
            error,
            ..field(
                "package",
                tr(l, "Module package", "Balíček modulu"),
                FieldKind::File,
            )
        }]
        .into_iter()
        .chain(approval)
        .collect(),
        ..Default::default()
    })
}

/// "Roll back to …" for a module upgraded on this host.
pub(super) fn rollback_form(
    l: &str,
    name: &str,
    previous: &Previous,
    action: String,
    error: Option<String>,
) -> Block {
    Block::Form(Form {
        action,
        submit_label: format!(
            "{} {name} {}",
            tr(l, "Roll back", "Vrátit"),
            tr(l, &format!("to {}", previous.version), &format!("na {}", previous.version)),
        ),
        fields: vec![FormField {
            help: Some(
                tr(
                    l,
                    "Records return to their state before the upgrade; what was written since is discarded.",
                    "Záznamy se vrátí do stavu před povýšením; co bylo zapsáno od té doby, se zahodí.",
                )
                .into(),
            ),
            error,
            ..field(
                "discard",
                tr(
                    l,
                    "Discard records written since the upgrade",
                    "Zahodit záznamy zapsané od povýšení",
                ),
                FieldKind::Checkbox,
            )
        }], ..Default::default() })
}

/// The catalog again, with `message` at the form that posted to `action`.
async fn refused(state: &AppState, admin: &Admin, action: String, message: String) -> Response {
    let problem = FormProblem {
        action,
        message,
        vendor_change: None,
    };
    refused_with(state, admin, problem).await
}

async fn refused_with(state: &AppState, admin: &Admin, problem: FormProblem) -> Response {
    let l = admin.l().to_owned();
    let view = catalog_view(state, &l, true, Some(&problem)).await;
    page_with_status(state, admin, &view, None, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// Appends a package change to the platform's audit chain.
async fn audit_change(
    state: &AppState,
    admin: &Admin,
    action: &str,
    id: &str,
    detail: serde_json::Value,
) -> Result<(), Failure> {
    let event = audit::Event {
        actor: admin.session.user.id.clone(),
        module: audit::HOST.to_owned(),
        action: action.to_owned(),
        subject: id.to_owned(),
        detail,
    };
    audit::append(state.services.platform().db(), audit::PLATFORM_CHAIN, event)
        .await
        .map(drop)
        .map_err(|e| {
            tracing::error!(module = %id, error = %e, "cannot audit a package change");
            Failure::database()
        })
}

/// Checks that a platform administrator is at the console of a host that
/// installs packages.
async fn allowed(state: &AppState, admin: &Admin) -> Result<(), Failure> {
    if !platform_admin(state, admin).await? {
        return Err(forbidden());
    }
    if state.installer.is_none() {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            (
                "This portal does not install modules from the console.",
                "V tomto portálu nelze moduly instalovat z konzole.",
            ),
        ));
    }
    Ok(())
}

/// `POST /admin/modules/install` (multipart): the package and the CSRF token.
pub(super) async fn install(
    State(state): State<AppState>,
    visitor: Visitor,
    lang: Lang,
    mut multipart: Multipart,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login("/admin/modules"));
    };
    allowed(&state, &admin).await?;
    let l = admin.l().to_owned();
    let mut token = None;
    let mut package = None;
    let (mut approved, mut approved_signer) = (false, None);
    loop {
        match multipart.next_field().await {
            Ok(Some(part)) => {
                let name = part.name().unwrap_or_default().to_owned();
                let bytes = match part.bytes().await {
                    Ok(b) => b,
                    Err(e) => {
                        let message = format!(
                            "{} {e}",
                            tr(&l, "The upload broke off:", "Nahrávání se přerušilo:")
                        );
                        return Ok(refused(&state, &admin, INSTALL_ACTION.into(), message).await);
                    }
                };
                match name.as_str() {
                    render::CSRF_FIELD => {
                        token = Some(String::from_utf8_lossy(&bytes).into_owned())
                    }
                    "package" => package = Some(bytes),
                    APPROVE_FIELD => approved = matches!(&bytes[..], b"true" | b"on"),
                    APPROVED_SIGNER_FIELD => {
                        approved_signer = Some(String::from_utf8_lossy(&bytes).into_owned())
                    }
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                let message = format!(
                    "{} {e}",
                    tr(
                        &l,
                        "The upload is not readable:",
                        "Nahraný soubor nelze přečíst:"
                    )
                );
                return Ok(refused(&state, &admin, INSTALL_ACTION.into(), message).await);
            }
        }
    }
    if !admin.visitor.csrf_matches(token.as_deref()) {
        return Err(Failure::csrf());
    }
    let Some(package) = package.filter(|p| !p.is_empty()) else {
        let message = tr(&l, "Choose a package file.", "Vyberte soubor balíčku.").to_owned();
        return Ok(refused(&state, &admin, INSTALL_ACTION.into(), message).await);
    };
    let Some(installer) = state.installer.clone() else {
        return Err(Failure::database());
    };
    // The approval names the signer it was given for: a package signed by
    // yet another key is refused again.
    let approval = match approved_signer.filter(|_| approved) {
        Some(signer) => VendorApproval::Signer(signer),
        None => VendorApproval::Refused,
    };
    let done = match installer
        .install(&state.services, &package, &admin.session.user.id, &approval)
        .await
    {
        Ok(done) => done,
        Err(LifecycleError::VendorChange(change)) => {
            let problem = FormProblem {
                action: INSTALL_ACTION.into(),
                message: change.message(&l),
                vendor_change: Some(change),
            };
            return Ok(refused_with(&state, &admin, problem).await);
        }
        Err(e) => {
            return Ok(refused(&state, &admin, INSTALL_ACTION.into(), e.to_string()).await);
        }
    };
    let (action, outcome) = match &done.upgraded_from {
        None => ("module.install", "installed"),
        Some(_) => ("module.upgrade", "upgraded"),
    };
    let detail = serde_json::json!({
        "version": done.version,
        "from": done.upgraded_from,
        "vendor": done.signer.vendor,
        "key": done.signer.key,
        "organizations": done.migrated,
    });
    let id = done.id.clone();
    state.serve_module(done.module);
    audit_change(&state, &admin, action, &id, detail).await?;
    Ok(Redirect::to(&format!("/admin/modules?done={outcome}")).into_response())
}

/// `POST /admin/modules/{id}/rollback`.
pub(super) async fn rollback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    visitor: Visitor,
    lang: Lang,
    body: axum::body::Bytes,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login("/admin/modules"));
    };
    allowed(&state, &admin).await?;
    let fields = checked_form(&admin, &headers, &body)?;
    let discard = fields
        .get("discard")
        .is_some_and(|v| matches!(v.as_str(), "true" | "on"));
    let Some(installer) = state.installer.clone() else {
        return Err(Failure::database());
    };
    let done = match installer
        .rollback(&state.services, &id, discard, &admin.session.user.id)
        .await
    {
        Ok(done) => done,
        Err(e) => {
            return Ok(refused(&state, &admin, rollback_action(&id), e.to_string()).await);
        }
    };
    let detail = serde_json::json!({
        "from": done.from, "to": done.to, "discarded": done.discarded,
    });
    state.serve_module(done.module);
    audit_change(&state, &admin, "module.rollback", &id, detail).await?;
    Ok(Redirect::to("/admin/modules?done=rolled-back").into_response())
}
