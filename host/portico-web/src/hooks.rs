//! `POST /o/{org}/hooks/{module}/{connection}`: what an outside system
//! sends to a module's webhook connection. The host answers for the
//! module until the message is proven: the module enabled in the
//! organization, the connection a webhook its manifest declares and its
//! administrator set up, the signature (Standard Webhooks: `webhook-id`,
//! `webhook-timestamp` within five minutes, `webhook-signature` by the
//! connection's secret). A message that fails is answered 401 and
//! audited, and the module is never called. One that holds is handed to
//! the module's `on-webhook` with its receipt written first in the same
//! transaction, so a message received before is answered 204 without a
//! call.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use portico_host::connections::{MAX_WEBHOOK_BODY, verify_webhook};
use portico_platform::{audit, connections};
use portico_runtime::api::{CallContext, Webhook};
use portico_runtime::manifest::ConnectionKind;
use portico_runtime::{Export, manifest::PORTAL_LANGUAGE};

use crate::AppState;
use crate::failure::{Failure, NOT_FOUND};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route(
        "/o/{org}/hooks/{module}/{connection}",
        post(receive).layer(DefaultBodyLimit::max(MAX_WEBHOOK_BODY)),
    )
}

/// Headers the module is not handed: the signature's, and what carries
/// credentials.
const KEPT_BACK: &[&str] = &[
    "webhook-signature",
    "authorization",
    "proxy-authorization",
    "cookie",
];

fn nothing_here() -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        NOT_FOUND,
        (
            "There is no webhook at this address.",
            "Na této adrese žádný webhook není.",
        ),
    )
    .always_json()
}

async fn receive(
    State(state): State<AppState>,
    Path((org, module_id, name)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let modules = state.services.org(&org).await.map_err(|e| {
        tracing::error!(error = %e, "cannot read enablement");
        Failure::database().always_json()
    })?;
    let module = state
        .registry()
        .get(&module_id)
        .filter(|_| modules.enabled.contains_key(&module_id))
        .cloned()
        .ok_or_else(nothing_here)?;
    let declared = module
        .manifest()
        .connection(&name)
        .is_some_and(|c| c.kind == ConnectionKind::Webhook);
    if !declared {
        return Err(nothing_here());
    }
    let db = state.services.platform().db();
    let setup = connections::get(db, &org, &module_id, &name)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read a connection");
            Failure::database().always_json()
        })?;
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let verified = match &setup {
        None => Err("the connection is not set up in this organization".to_owned()),
        Some(c) => {
            verify_webhook(&c.setup, header, &body, chrono::Utc::now().timestamp()).map_err(|e| e.0)
        }
    };
    let verified = match verified {
        Ok(v) => v,
        Err(why) => {
            refused(&state, &org, &module_id, &name, &headers, &why).await;
            return Err(Failure::new(
                StatusCode::UNAUTHORIZED,
                ("Unauthorized", "Neověřeno"),
                (
                    format!("The webhook is refused: {why}."),
                    format!("Webhook je odmítnut: {why}."),
                ),
            )
            .always_json());
        }
    };
    let hook = Webhook {
        connection: name.clone(),
        id: verified.id.clone(),
        sent_at: chrono::DateTime::from_timestamp(verified.timestamp, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        headers: headers
            .iter()
            .filter(|(n, _)| !KEPT_BACK.contains(&n.as_str()))
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: body.to_vec(),
    };
    let ctx = CallContext {
        org_id: org.clone(),
        principal: None,
        request_id: format!("webhook-{}", verified.id),
        locale: PORTAL_LANGUAGE.into(),
    };
    state
        .metrics
        .timed(
            module.id(),
            Export::OnWebhook,
            module.on_webhook(&ctx, hook),
        )
        .await
        .map_err(|e| Failure::from_call(&e).always_json())?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The most refused webhooks of one connection audited a minute: past
/// them, a flood of forgeries is logged, and writes nothing.
const AUDITED_REFUSALS_PER_MINUTE: u32 = 20;

/// Audits a refused webhook in the organization's chain, in a transaction
/// of its own: who sent it (the id it claims), and why. A connection's
/// first [`AUDITED_REFUSALS_PER_MINUTE`] a minute are audited; every one
/// is logged.
async fn refused(
    state: &AppState,
    org: &str,
    module: &str,
    connection: &str,
    headers: &HeaderMap,
    why: &str,
) {
    tracing::warn!(org = %org, module = %module, connection = %connection, reason = %why, "a webhook was refused");
    let key = (org.to_owned(), module.to_owned(), connection.to_owned());
    if !state
        .webhook_refusals
        .allow(key, AUDITED_REFUSALS_PER_MINUTE)
    {
        return;
    }
    let claimed = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(200).collect::<String>());
    let written = audit::append_alone(
        state.services.platform().db(),
        org,
        audit::Event {
            actor: format!("webhook:{connection}"),
            module: module.to_owned(),
            action: "webhook.refused".into(),
            subject: connection.to_owned(),
            detail: serde_json::json!({ "webhook_id": claimed, "reason": why }),
        },
    );
    if let Err(e) = written.await {
        tracing::error!(org = %org, error = %e, "a refused webhook could not be audited");
    }
}
