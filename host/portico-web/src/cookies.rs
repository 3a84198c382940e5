//! The portal's cookies: their names and flags ([`Cookies`]), and reading
//! one from a request. The session, the chosen language and the anonymous
//! CSRF token are read where a request is taken apart (`extractors`) and
//! set where log-in, log-out and the language choice answer (`auth`,
//! `oidc`), so both read their names here.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};

/// The names and flags of Portico's cookies. With secure cookies (the
/// default) the names carry the `__Host-` prefix, which browsers accept
/// only from a secure origin, on path `/`, without a domain.
#[derive(Debug, Clone, Copy)]
pub struct Cookies {
    secure: bool,
}

impl Cookies {
    /// Secure cookies (`Secure`, `__Host-` names) unless `secure` is false
    /// (a portal served over plain HTTP, e.g. on a developer's machine).
    pub fn new(secure: bool) -> Cookies {
        Cookies { secure }
    }

    /// The session cookie's name.
    pub fn session(self) -> &'static str {
        if self.secure {
            "__Host-portico-session"
        } else {
            "portico-session"
        }
    }

    /// The cookie that remembers the chosen language.
    pub fn lang(self) -> &'static str {
        if self.secure {
            "__Host-portico-lang"
        } else {
            "portico-lang"
        }
    }

    /// The anonymous CSRF cookie's name.
    pub fn csrf(self) -> &'static str {
        if self.secure {
            "__Host-portico-csrf"
        } else {
            "portico-csrf"
        }
    }

    /// The cookie that carries a log-in through an identity provider.
    pub fn oidc_flow(self) -> &'static str {
        if self.secure {
            "__Host-portico-oidc"
        } else {
            "portico-oidc"
        }
    }

    pub(crate) fn build(
        self,
        name: &'static str,
        value: String,
        max_age: Option<Duration>,
    ) -> HeaderValue {
        let mut c = Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax);
        if let Some(age) = max_age {
            c = c.max_age(cookie::time::Duration::seconds(
                i64::try_from(age.as_secs()).unwrap_or(i64::MAX),
            ));
        }
        HeaderValue::from_str(&c.build().to_string()).unwrap_or(HeaderValue::from_static(""))
    }
}

/// The value of the cookie `name` the request carries, if it is not empty.
pub(crate) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}
