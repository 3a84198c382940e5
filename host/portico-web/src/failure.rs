//! [`Failure`]: a request that cannot be served, as plain data. A handler
//! answers with it (`Result<Response, Failure>`, `?`); its response only
//! carries it, and the frame layer (`frame::draw_failures`) draws it: a
//! page in the portal's frame for people, JSON for API clients, 5xx
//! without the cause.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_runtime::api::{self, ModuleError};
use portico_runtime::{CallError, CallErrorKind};

/// Why a request cannot be served, in words for the person or client
/// who sent it. 5xx messages never carry the cause (the caller logs it).
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) title: &'static str,
    pub(crate) message: String,
    /// The input fields at fault, for a client to show at each.
    pub(crate) fields: Vec<api::FieldError>,
    /// Seconds after which trying again may succeed (`Retry-After`).
    pub(crate) retry_after: Option<u32>,
    /// Answered as JSON whatever the client accepts: a module's API
    /// route answers JSON, whoever calls it.
    pub(crate) always_json: bool,
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
            always_json: false,
        }
    }

    /// The same failure, saying when to try again.
    pub(crate) fn retry_after(self, seconds: u32) -> Failure {
        Failure {
            retry_after: Some(seconds),
            ..self
        }
    }

    /// The same failure, answered as JSON whatever the client accepts.
    pub(crate) fn always_json(self) -> Failure {
        Failure {
            always_json: true,
            ..self
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
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Being upgraded",
            "This service is being upgraded. Try again in a moment; nothing was saved.",
        )
        .retry_after(5)
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
            CallErrorKind::Overloaded(_) => Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service busy",
                "The portal is busy. Try again in a moment.",
            )
            .retry_after(1),
        }
    }
}

/// The status, with the failure itself in the response's extensions for
/// the frame layer to draw; without that layer the body stays empty.
/// Headers a handler adds to this response (e.g. `Allow`) are kept.
impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}
