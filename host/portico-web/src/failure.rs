//! How a request that cannot be served is answered: [`Failure`], a page
//! in the portal's frame for people, JSON for API clients.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_runtime::api::{self, ModuleError};
use portico_runtime::{CallError, CallErrorKind};

use crate::AppState;
use crate::extractors::{Standing, Tenant, Visitor};
use crate::frame::{html_response, locale, request_id, shell, wants_json};
use crate::render;

/// How a request is answered when it cannot be served: a page for people,
/// JSON for API clients. 5xx bodies never carry the cause, only the request id.
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    title: &'static str,
    pub(crate) message: String,
    fields: Vec<api::FieldError>,
    retry_after: Option<u32>,
}

impl Failure {
    pub(crate) fn new(
        status: StatusCode,
        title: &'static str,
        message: impl Into<String>,
    ) -> Failure {
        Failure {
            status,
            title,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
        }
    }

    /// The database cannot be reached (the cause is logged by the caller).
    pub(crate) fn database() -> Failure {
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            "The portal cannot reach its database. Try again shortly.",
        )
    }

    /// The refusal of a form whose CSRF token does not match.
    pub(crate) fn csrf() -> Failure {
        Failure::new(
            StatusCode::FORBIDDEN,
            "Form expired",
            "The form has expired or did not come from this portal. Reload the page and try again.",
        )
    }

    /// The module is being upgraded: its writes wait until the new version
    /// serves, so none lands in data the migration already passed.
    pub(crate) fn upgrading() -> Failure {
        Failure {
            retry_after: Some(5),
            ..Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Being upgraded",
                "This service is being upgraded. Try again in a moment; nothing was saved.",
            )
        }
    }

    pub(crate) fn from_call(e: &CallError) -> Failure {
        match &e.kind {
            CallErrorKind::Module(m) => match m {
                ModuleError::NotFound(msg) => {
                    Failure::new(StatusCode::NOT_FOUND, "Not found", msg.clone())
                }
                ModuleError::Forbidden(msg) => {
                    Failure::new(StatusCode::FORBIDDEN, "Forbidden", msg.clone())
                }
                ModuleError::Conflict(msg) => {
                    Failure::new(StatusCode::CONFLICT, "Conflict", msg.clone())
                }
                ModuleError::Invalid(fields) => Failure {
                    fields: fields.clone(),
                    ..Failure::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Invalid input",
                        fields
                            .iter()
                            .map(|f| format!("{}: {}", f.field, f.message))
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                },
                ModuleError::Unavailable(msg) => Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable",
                    msg.clone(),
                ),
                ModuleError::Internal(_) => Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The service failed to answer. Quote the request id when you report it.",
                ),
            },
            CallErrorKind::Trap(_) | CallErrorKind::Host(_) => Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The service failed to answer. Quote the request id when you report it.",
            ),
            CallErrorKind::DeadlineExceeded(_) | CallErrorKind::MemoryExceeded(_) => Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service unavailable",
                "The service took too much time or memory and was stopped. Try again later.",
            ),
            CallErrorKind::SwitchedOff(_) => Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service switched off",
                "This service is switched off after repeated failures. The administrators have been told.",
            ),
            CallErrorKind::Overloaded(_) => Failure {
                retry_after: Some(1),
                ..Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service busy",
                    "The portal is busy. Try again in a moment.",
                )
            },
        }
    }

    pub(crate) fn respond(
        self,
        state: &AppState,
        headers: &HeaderMap,
        tenant: Option<&Tenant>,
        module: Option<&str>,
    ) -> Response {
        self.respond_to(state, headers, tenant, module, None)
    }

    /// The answer, in the page frame `viewer` sees.
    pub(crate) fn respond_to(
        self,
        state: &AppState,
        headers: &HeaderMap,
        tenant: Option<&Tenant>,
        module: Option<&str>,
        viewer: Option<(&Visitor, &Standing)>,
    ) -> Response {
        let request_id = request_id(headers);
        let mut response = if wants_json(headers) {
            let mut body = serde_json::json!({
                "error": self.title,
                "message": self.message,
                "request_id": request_id,
            });
            if !self.fields.is_empty() {
                body["fields"] = serde_json::to_value(&self.fields).unwrap_or_default();
            }
            (self.status, axum::Json(body)).into_response()
        } else {
            let shell = shell(state, tenant, module, &locale(headers), viewer);
            html_response(
                self.status,
                render::error_page(&shell, self.title, &self.message, &request_id),
            )
        };
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
