//! Typed failures; the host turns each into the right HTTP status.

use crate::wit::portico::plugin0_1_0::types as wit;

/// The result of a module call.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name.
    pub field: String,
    /// What is wrong, in words the user understands.
    pub message: String,
}

/// Why a call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The thing asked for does not exist (404).
    NotFound(String),
    /// The caller may not do this (403). Also what the host answers when the
    /// module uses a capability its manifest did not ask for.
    Forbidden(String),
    /// The thing changed since it was read, or already exists (409).
    Conflict(String),
    /// The input is wrong, field by field (422).
    Invalid(Vec<FieldError>),
    /// A service the module depends on is down (503).
    Unavailable(String),
    /// A bug; the text goes to the log, the user sees a request id (500).
    Internal(String),
}

impl Error {
    /// A `NotFound` error.
    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound(what.into())
    }

    /// A `Forbidden` error.
    pub fn forbidden(why: impl Into<String>) -> Self {
        Error::Forbidden(why.into())
    }

    /// An `Invalid` error for one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// An `Internal` error.
    pub fn internal(what: impl Into<String>) -> Self {
        Error::Internal(what.into())
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::NotFound(m) => write!(f, "not found: {m}"),
            Error::Forbidden(m) => write!(f, "forbidden: {m}"),
            Error::Conflict(m) => write!(f, "conflict: {m}"),
            Error::Invalid(fields) => {
                write!(f, "invalid input:")?;
                for e in fields {
                    write!(f, " {}: {};", e.field, e.message)?;
                }
                Ok(())
            }
            Error::Unavailable(m) => write!(f, "unavailable: {m}"),
            Error::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for wit::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound(m) => wit::Error::NotFound(m),
            Error::Forbidden(m) => wit::Error::Forbidden(m),
            Error::Conflict(m) => wit::Error::Conflict(m),
            Error::Invalid(fields) => wit::Error::Invalid(
                fields
                    .into_iter()
                    .map(|e| wit::FieldError {
                        field: e.field,
                        message: e.message,
                    })
                    .collect(),
            ),
            Error::Unavailable(m) => wit::Error::Unavailable(m),
            Error::Internal(m) => wit::Error::Internal(m),
        }
    }
}

impl From<wit::Error> for Error {
    fn from(e: wit::Error) -> Self {
        match e {
            wit::Error::NotFound(m) => Error::NotFound(m),
            wit::Error::Forbidden(m) => Error::Forbidden(m),
            wit::Error::Conflict(m) => Error::Conflict(m),
            wit::Error::Invalid(fields) => Error::Invalid(
                fields
                    .into_iter()
                    .map(|e| FieldError {
                        field: e.field,
                        message: e.message,
                    })
                    .collect(),
            ),
            wit::Error::Unavailable(m) => Error::Unavailable(m),
            wit::Error::Internal(m) => Error::Internal(m),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::invalid("body", format!("not valid JSON: {e}"))
    }
}
