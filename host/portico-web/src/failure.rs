//! [`Failure`]: a request that cannot be served, as plain data. A handler
//! answers with it (`Result<Response, Failure>`, `?`); its response only
//! carries it, and the frame layer (`frame::draw_failures`) draws it: a
//! page in the portal's frame for people, in their language, JSON for API
//! clients, 5xx without the cause.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_runtime::api::{self, ModuleError};
use portico_runtime::{CallError, CallErrorKind};

/// Words in both of the portal's languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Words {
    pub(crate) en: Cow<'static, str>,
    pub(crate) cs: Cow<'static, str>,
}

impl Words {
    /// A text that came in one language only: a module's, which it wrote in
    /// the language of the call.
    pub(crate) fn same(text: impl Into<Cow<'static, str>>) -> Words {
        let text = text.into();
        Words {
            en: text.clone(),
            cs: text,
        }
    }

    /// The words in `lang` (`cs`, else English).
    pub(crate) fn get(&self, lang: &str) -> &str {
        if lang == "cs" { &self.cs } else { &self.en }
    }
}

/// `(English, Czech)`.
impl<E: Into<Cow<'static, str>>, C: Into<Cow<'static, str>>> From<(E, C)> for Words {
    fn from((en, cs): (E, C)) -> Words {
        Words {
            en: en.into(),
            cs: cs.into(),
        }
    }
}

/// Why a request cannot be served, in words for the person or client
/// who sent it, in both languages. 5xx messages never carry the cause (the
/// caller logs it).
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    /// What went wrong, in a few words: (English, Czech). The English is
    /// the `error` of an API client's JSON.
    pub(crate) title: (&'static str, &'static str),
    pub(crate) message: Words,
    /// The input fields at fault, for a client to show at each.
    pub(crate) fields: Vec<api::FieldError>,
    /// Seconds after which trying again may succeed (`Retry-After`).
    pub(crate) retry_after: Option<u32>,
    /// Answered as JSON whatever the client accepts: a module's API
    /// route answers JSON, whoever calls it.
    pub(crate) always_json: bool,
}

impl Failure {
    /// The title in `lang` (`cs`, else English).
    pub(crate) fn title_in(&self, lang: &str) -> &'static str {
        if lang == "cs" {
            self.title.1
        } else {
            self.title.0
        }
    }

    pub(crate) fn new(
        status: StatusCode,
        title: (&'static str, &'static str),
        message: impl Into<Words>,
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
            UNAVAILABLE,
            (
                "The portal cannot reach its database. Try again shortly.",
                "Portál se nyní nemůže spojit se svou databází. Zkuste to prosím za chvíli.",
            ),
        )
    }

    /// The refusal of a form whose CSRF token does not match.
    pub(crate) fn csrf() -> Failure {
        Failure::new(
            StatusCode::FORBIDDEN,
            ("Form expired", "Platnost formuláře vypršela"),
            (
                "The form has expired or did not come from this portal. Reload the page and try again.",
                "Platnost formuláře vypršela nebo formulář nepochází z tohoto portálu. Načtěte stránku znovu a zkuste to ještě jednou.",
            ),
        )
    }

    /// The module is being upgraded: its writes wait until the new version
    /// serves, so none lands in data the migration already passed.
    pub(crate) fn upgrading() -> Failure {
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ("Being upgraded", "Probíhá aktualizace"),
            (
                "This service is being upgraded. Try again in a moment; nothing was saved.",
                "Tato služba se právě aktualizuje. Zkuste to prosím za chvíli. Nic nebylo uloženo.",
            ),
        )
        .retry_after(5)
    }

    /// Nothing is at this address: a path no route knows, a page a module
    /// does not have.
    pub(crate) fn not_found() -> Failure {
        Failure::new(
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            (
                "There is nothing at this address. It may have been moved or removed, or the address is mistyped.",
                "Na této adrese nic není. Stránka mohla být přesunuta či odstraněna, nebo je adresa zapsána chybně.",
            ),
        )
    }

    /// A posted form that cannot be read, and why.
    pub(crate) fn unreadable_form(e: &dyn std::fmt::Display) -> Failure {
        Failure::new(
            StatusCode::BAD_REQUEST,
            BAD_REQUEST,
            (
                format!("The form cannot be read: {e}"),
                format!("Formulář nelze přečíst: {e}"),
            ),
        )
    }

    /// The service failed (the cause is logged by the caller).
    pub(crate) fn internal() -> Failure {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ("Something went wrong", "Došlo k chybě"),
            (
                "The service failed to answer. Quote the request id when you report it.",
                "Požadavek se nepodařilo vyřídit. Budete-li chybu hlásit, uveďte číslo požadavku.",
            ),
        )
    }

    pub(crate) fn from_call(e: &CallError) -> Failure {
        match &e.kind {
            CallErrorKind::Module(m) => match m {
                // A module's words say what is missing or what to do; it
                // wrote them in the call's language.
                ModuleError::NotFound(msg) => {
                    Failure::new(StatusCode::NOT_FOUND, NOT_FOUND, Words::same(msg.clone()))
                }
                ModuleError::Forbidden(msg) => {
                    Failure::new(StatusCode::FORBIDDEN, FORBIDDEN, Words::same(msg.clone()))
                }
                ModuleError::Conflict(msg) => Failure::new(
                    StatusCode::CONFLICT,
                    ("Conflict", "Akci nyní nelze provést"),
                    Words::same(msg.clone()),
                ),
                ModuleError::Invalid(fields) => Failure {
                    fields: fields.clone(),
                    ..Failure::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ("Invalid input", "Neplatné údaje"),
                        Words::same(
                            fields
                                .iter()
                                .map(|f| format!("{}: {}", f.field, f.message))
                                .collect::<Vec<_>>()
                                .join("; "),
                        ),
                    )
                },
                ModuleError::Unavailable(msg) => Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    UNAVAILABLE,
                    Words::same(msg.clone()),
                ),
                ModuleError::Internal(_) => Failure::internal(),
            },
            CallErrorKind::Trap(_) | CallErrorKind::Host(_) => Failure::internal(),
            CallErrorKind::DeadlineExceeded(_) | CallErrorKind::MemoryExceeded(_) => Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                UNAVAILABLE,
                (
                    "The service took too much time or memory and was stopped. Try again later.",
                    "Služba překročila povolený čas nebo paměť a byla zastavena. Zkuste to později.",
                ),
            ),
            CallErrorKind::SwitchedOff(_) => Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ("Service switched off", "Služba je vypnutá"),
                (
                    "This service is switched off after repeated failures. The administrators have been told.",
                    "Tato služba je po opakovaných chybách vypnutá. Správci portálu byli upozorněni.",
                ),
            ),
            CallErrorKind::Overloaded(_) => Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ("Service busy", "Služba je přetížená"),
                (
                    "The portal is busy. Try again in a moment.",
                    "Portál je právě přetížený. Zkuste to za chvíli.",
                ),
            )
            .retry_after(1),
        }
    }
}

/// The titles most failures share.
pub(crate) const NOT_FOUND: (&str, &str) = ("Not found", "Stránka nenalezena");
pub(crate) const FORBIDDEN: (&str, &str) = ("Forbidden", "Přístup odepřen");
pub(crate) const BAD_REQUEST: (&str, &str) = ("Bad request", "Chybný požadavek");
pub(crate) const UNAVAILABLE: (&str, &str) = ("Service unavailable", "Služba není dostupná");
pub(crate) const TOO_LARGE: (&str, &str) = ("Too large", "Příliš velký požadavek");
pub(crate) const NOT_ALLOWED: (&str, &str) = ("Method not allowed", "Nepovolená metoda");
pub(crate) const LOGIN_FAILED: (&str, &str) = ("Log-in failed", "Přihlášení se nezdařilo");
pub(crate) const NOT_LOGGED_IN: (&str, &str) = ("Not logged in", "Nejste přihlášeni");

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
