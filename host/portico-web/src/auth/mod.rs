//! May they: the principal a module sees, the access check of a manifest
//! route, CSRF, and the log-in, log-out, password and language pages. Who
//! is asking (the session cookie or API token of a request) is found by
//! the extractors (`extractors::Visitor`).
//!
//! Sessions live in the database; the browser holds only a random token in
//! a Secure, HttpOnly, SameSite=Lax cookie. Every state-changing form carries
//! a CSRF token: the session's own when logged in, otherwise the value of a
//! separate cookie (double submit). API calls authenticated by the session
//! cookie must send the session's token in `X-CSRF-Token`; calls with a
//! bearer API token carry no ambient credentials and need none.
//!
//! This file has the access checks a request to a module goes through
//! (the principal, the route's access and permission), the router, what
//! the pages share (a form's field, the client's address, a posted
//! session with its CSRF token checked) and the language choice, which
//! needs no session. `login` has the log-in with its rate limit, the
//! start of a session and log-out; `account` the logged-in person's own
//! pages: `/auth/me` and the change of password.

mod account;
mod login;
mod profile;
mod register;

pub use login::{LOGIN_ATTEMPTS_PER_MINUTE, LOGIN_ATTEMPTS_PER_NAME_PER_MINUTE};
pub(crate) use login::{LoginLimiter, start_session};
pub(crate) use register::AccountLimiter;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_platform::identity::{self, sessions::Session};
use portico_runtime::api;
use portico_runtime::manifest::{Access, Manifest, Route};

use crate::cookies::cookie_value;
use crate::extractors::{Standing, Visitor, form_fields, visitor};
use crate::failure::{FORBIDDEN, Failure, NOT_FOUND};
use crate::redirect::local_path;
use crate::render::CSRF_FIELD;
use crate::{AppState, MAX_BODY_BYTES};

/// The names of the portal's cookies, as `AppState::cookies` has them.
pub use crate::cookies::Cookies;

/// The header API clients with a session cookie send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The principal a module sees: who, their roles in the organization and
/// the module's permissions they hold.
pub(crate) fn principal(
    visitor: &Visitor,
    standing: &Standing,
    org_id: &str,
    manifest: &Manifest,
) -> Option<api::Principal> {
    match visitor {
        Visitor::Anonymous { .. } => None,
        Visitor::Token(t) => {
            let prefix = format!("{}.", manifest.id);
            Some(api::Principal {
                user_id: format!("token:{}", t.id),
                name: t.name.clone(),
                org_id: org_id.to_owned(),
                roles: Vec::new(),
                permissions: t
                    .permissions
                    .iter()
                    .filter(|p| p.starts_with(&prefix))
                    .cloned()
                    .collect(),
                assurance: api::Assurance::Registered,
                claims: Vec::new(),
            })
        }
        Visitor::User(s) => {
            let claims = if s.claims.is_empty() {
                &s.user.claims
            } else {
                &s.claims
            };
            Some(api::Principal {
                user_id: s.user.id.clone(),
                name: s.user.shown_name().to_owned(),
                org_id: org_id.to_owned(),
                roles: standing.roles.iter().cloned().collect(),
                permissions: manifest.permissions_of(standing.roles.iter().map(String::as_str)),
                assurance: s.assurance,
                claims: claims.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            })
        }
    }
}

/// Whether the visitor may use `route`; `Err` says why not (401 when
/// nobody is logged in, 403 otherwise).
pub(crate) fn check_route(
    route: &Route,
    manifest: &Manifest,
    standing: &Standing,
    principal: Option<&api::Principal>,
    org_name: &str,
) -> Result<(), Failure> {
    let login = || {
        Failure::new(
            StatusCode::UNAUTHORIZED,
            ("Log-in required", "Nutné přihlášení"),
            (
                "This page is only for logged-in users. Log in and try again.",
                "Tato stránka je jen pro přihlášené uživatele. Přihlaste se a zkuste to znovu.",
            ),
        )
    };
    match route.access {
        Access::Public => return Ok(()),
        Access::User if !standing.logged_in => return Err(login()),
        Access::User => {}
        Access::Staff if !standing.logged_in => return Err(login()),
        Access::Staff if !standing.staff => {
            return Err(Failure::new(
                StatusCode::FORBIDDEN,
                FORBIDDEN,
                (
                    format!("This page is for the staff of {org_name}."),
                    format!("Tato stránka je pro zaměstnance organizace {org_name}."),
                ),
            ));
        }
        Access::Staff => {}
    }
    if let Some(p) = &route.permission {
        let qualified = format!("{}.{p}", manifest.id);
        let held = principal.is_some_and(|pr| pr.permissions.contains(&qualified));
        if !held {
            return Err(Failure::new(StatusCode::FORBIDDEN, FORBIDDEN, {
                // The permission by its description where the manifest
                // gives one, always with its code for the administrator.
                let said = |lang| manifest.permission_in(p, lang).filter(|d| !d.is_empty());
                let (en, cs) = match (said("en"), said("cs")) {
                    (Some(en), Some(cs)) => (
                        format!("“{en}” (`{qualified}`)"),
                        format!("„{cs}“ (`{qualified}`)"),
                    ),
                    _ => (format!("`{qualified}`"), format!("`{qualified}`")),
                };
                (
                    format!(
                        "This needs the permission {en} in {org_name}. Ask an administrator for a role that carries it."
                    ),
                    format!(
                        "K této akci potřebujete oprávnění {cs} v organizaci {org_name}. Požádejte správce o přidělení role, která toto oprávnění zahrnuje."
                    ),
                )
            }));
        }
    }
    Ok(())
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login::login_page).post(login::login))
        .route("/auth/logout", post(login::logout))
        .route("/auth/logout-everywhere", post(login::logout_everywhere))
        .route("/auth/me", get(account::me))
        .route("/auth/notices", post(account::set_notices))
        .route("/auth/profile/name", post(profile::rename))
        .route("/auth/profile/email", post(profile::change_email))
        .route("/auth/profile/phone", post(profile::change_phone))
        .route("/auth/profile/phone/code", post(profile::confirm_phone))
        .route("/auth/profile/phone/remove", post(profile::remove_phone))
        .route("/auth/link/{provider}", post(profile::link_eid))
        .route(
            "/auth/email/{token}",
            get(profile::confirm_email_page).post(profile::confirm_email),
        )
        .route("/auth/delete", post(profile::delete))
        .route("/auth/deleted", get(profile::deleted))
        .route(
            "/auth/password",
            get(account::password_page).post(account::change_password),
        )
        .route(
            "/auth/register",
            get(register::register_page).post(register::register),
        )
        .route(
            "/auth/confirm/{token}",
            get(register::confirm_page).post(register::confirm),
        )
        .route(
            "/auth/reset",
            get(register::reset_request_page).post(register::reset_request),
        )
        .route(
            "/auth/reset/{token}",
            get(register::new_password_page).post(register::new_password),
        )
        .route("/lang/{lang}", get(choose_language))
        .layer(DefaultBodyLimit::max(MAX_AUTH_BODY))
}

/// Counts per key in a window that starts at the key's first count and
/// lasts `window`: what a rate limit of the auth forms counts in.
pub(crate) struct Window<K> {
    counts: moka::sync::Cache<K, std::sync::Arc<std::sync::atomic::AtomicU32>>,
}

impl<K: std::hash::Hash + Eq + Send + Sync + 'static> Window<K> {
    pub(crate) fn of(window: Duration) -> Window<K> {
        Window {
            counts: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(window)
                .build(),
        }
    }

    /// Counts one for `key`; whether it is within `limit` in its window.
    pub(crate) fn allow(&self, key: K, limit: u32) -> bool {
        let count = self.counts.get_with(key, Default::default);
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < limit
    }
}

/// The address of the person behind a request (see [`crate::client`]).
fn client_address(
    state: &AppState,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: &HeaderMap,
) -> IpAddr {
    crate::client::address(
        &state.config.trusted_proxies,
        connect.map(|c| c.0.0),
        headers,
    )
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The session of a state-changing request to an auth endpoint, its CSRF
/// token checked.
async fn posted_session(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Option<(Box<Session>, String)>, Failure> {
    let fields = form_fields(headers, body)?;
    let visitor = visitor(state, headers).await?;
    if !visitor.csrf_matches(field(&fields, CSRF_FIELD)) {
        return Err(Failure::csrf());
    }
    let token = cookie_value(headers, state.cookies.session()).map(str::to_owned);
    Ok(match (visitor, token) {
        (Visitor::User(s), Some(t)) => Some((s, t)),
        _ => None,
    })
}

/// How long a browser remembers the language chosen in it: a year.
const LANGUAGE_KEPT: Duration = Duration::from_secs(365 * 86_400);

/// `GET /lang/{cs|en}`: remembers the language chosen in the page header
/// (a year, in a cookie in the browser; for a person logged in, with
/// their account too, so that their messages are written in it) and goes
/// back to the page it was chosen on.
async fn choose_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    visitor: Visitor,
    Path(lang): Path<String>,
) -> Result<Response, Failure> {
    if !matches!(lang.as_str(), "cs" | "en") {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            (
                format!("There is no language `{lang}` here: choose `cs` or `en`."),
                format!("Jazyk `{lang}` tu není: zvolte `cs` nebo `en`."),
            ),
        ));
    }
    // Back to the page the choice was made on, when it is one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| openidconnect::url::Url::parse(r).ok())
        .filter(|u| {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            host.is_some_and(|h| {
                u.host_str().is_some_and(|uh| {
                    h == uh || h.strip_prefix(uh).is_some_and(|p| p.starts_with(':'))
                })
            })
        })
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        });
    // The page switches whatever becomes of remembering it.
    if let Visitor::User(session) = &visitor
        && let Err(e) =
            identity::users::set_language(state.services.platform().db(), &session.user.id, &lang)
                .await
    {
        tracing::warn!(error = %e, "cannot remember the user's language");
    }
    let mut response = Redirect::to(&local_path(back.as_deref())).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        state
            .cookies
            .build(state.cookies.lang(), lang, Some(LANGUAGE_KEPT)),
    );
    Ok(response)
}

/// The largest body the auth endpoints read.
const MAX_AUTH_BODY: usize = MAX_BODY_BYTES / 16;
