//! An organization's audit trail in the console
//! (`/admin/orgs/{org}/audit`): its chain, newest first, filtered by who
//! and what, with the verdict of verifying the whole chain.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use portico_platform::audit;
use portico_runtime::api::{Block, Cell, FieldKind, Form, FormField, NoticeLevel, View};
use serde::Deserialize;

use super::{Admin, checked_form, checked_org, page, table, text, to_login};
use crate::AppState;
use crate::extractors::{Lang, Visitor};
use crate::failure::Failure;
use crate::render::tr;

#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
}

/// `GET /admin/orgs/{org}/audit`: the chain, newest first, filtered, verified.
pub(super) async fn audit_chain(
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
    Ok(page(&state, &admin, &view, None).await)
}

/// `POST /admin/orgs/{org}/audit`: the filter form, as a link to its result.
pub(super) async fn audit_filter(
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
