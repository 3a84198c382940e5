//! Logging in with a user name and a password, under a rate limit per
//! address and per name (the account's lock-out comes on top); starting
//! a session, which OpenID Connect's log-in uses too; and logging out,
//! here or everywhere.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use portico_platform::identity::logins::{self, PasswordCheck};
use portico_platform::identity::self_service;
use portico_platform::identity::sessions;
use portico_platform::identity::users::{self, Assurance};

use super::{Window, client_address, field, posted_session};
use crate::AppState;
use crate::extractors::{Lang, Visitor, form_fields};
use crate::failure::Failure;
use crate::frame::{frame_of_path, html_response};
use crate::redirect::local_path;
use crate::render::{self, CSRF_FIELD};

/// Log-in attempts one address may make per minute.
pub const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 20;

/// Log-in attempts under one account name per minute, from anywhere.
pub const LOGIN_ATTEMPTS_PER_NAME_PER_MINUTE: u32 = 10;

/// Counts log-in attempts in one-minute windows, per client address and
/// per account name: one address cannot guess many names quickly, and
/// many addresses cannot guess one name quickly (the account's lock-out
/// comes on top). Behind a trusted proxy the address is the client's, not
/// the proxy's (see [`crate::client`]).
pub(crate) struct LoginLimiter {
    by_address: Window<IpAddr>,
    by_name: Window<String>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter {
            by_address: Window::of(Duration::from_secs(60)),
            by_name: Window::of(Duration::from_secs(60)),
        }
    }
}

/// Which limit an attempt ran into.
enum Limited {
    Address,
    Name,
}

impl LoginLimiter {
    /// Counts an attempt; `Err` when the address or the name has used up
    /// its minute.
    fn allow(&self, ip: IpAddr, username: &str) -> Result<(), Limited> {
        if !self.by_address.allow(ip, LOGIN_ATTEMPTS_PER_MINUTE) {
            return Err(Limited::Address);
        }
        if !username.is_empty()
            && !self
                .by_name
                .allow(username.to_lowercase(), LOGIN_ATTEMPTS_PER_NAME_PER_MINUTE)
        {
            return Err(Limited::Name);
        }
        Ok(())
    }
}

#[derive(serde::Deserialize)]
pub(super) struct Next {
    next: Option<String>,
}

async fn login_form(
    state: &AppState,
    l: &str,
    visitor: &Visitor,
    status: StatusCode,
    error: Option<&str>,
    username: &str,
    next: &str,
) -> Response {
    // The frame of the organization the person came from.
    let mut shell = frame_of_path(state, next, l, visitor).await;
    shell.csrf = visitor.csrf().to_owned();
    let content = maud::html! {
        @if let Some(error) = error {
            div.notice.notice-error role="alert" { p { (error) } }
        }
        form method="post" action="/auth/login" {
            input type="hidden" name=(CSRF_FIELD) value=(visitor.csrf());
            input type="hidden" name="next" value=(next);
            div.field {
                label for="f-username" { (render::tr(l, "User name", "Uživatelské jméno")) }
                input #f-username type="text" name="username" value=(username) autocomplete="username" required;
            }
            div.field {
                label for="f-password" { (render::tr(l, "Password", "Heslo")) }
                input #f-password type="password" name="password" autocomplete="current-password" required;
            }
            button.button.primary type="submit" { (render::tr(l, "Log in", "Přihlásit se")) }
        }
        p.account-links {
            a href="/auth/reset" { (render::tr(l, "Forgot your password?", "Zapomněli jste heslo?")) }
            " · "
            a href="/auth/register" { (render::tr(l, "Create an account", "Založit účet")) }
        }
        @let providers = &state.config.identity_providers;
        @if !providers.is_empty() {
            h2 { (render::tr(l, "Or log in with", "Nebo se přihlaste přes")) }
            ul.services {
                @for p in providers {
                    li {
                        a href=(format!("/auth/oidc/{}/start?{}", p.id, serde_urlencoded::to_string([("next", next)]).unwrap_or_default())) { (p.label) }
                    }
                }
            }
        }
    };
    let title = render::tr(l, "Log in", "Přihlášení");
    let mut response = html_response(status, render::page(&shell, title, content));
    visitor.set_cookie(state.cookies, &mut response);
    response
}

pub(super) async fn login_page(
    State(state): State<AppState>,
    Query(q): Query<Next>,
    visitor: Visitor,
    Lang(lang): Lang,
) -> Response {
    let next = local_path(q.next.as_deref());
    if let Visitor::User(_) = visitor {
        return Redirect::to(&next).into_response();
    }
    login_form(&state, &lang, &visitor, StatusCode::OK, None, "", &next).await
}

pub(super) async fn login(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    visitor: Visitor,
    Lang(lang): Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let fields = form_fields(&headers, &body)?;
    if !visitor.csrf_matches(field(&fields, CSRF_FIELD)) {
        return Err(Failure::csrf());
    }
    let next = local_path(field(&fields, "next"));
    let username = field(&fields, "username").unwrap_or("").trim();
    let password = field(&fields, "password").unwrap_or("");
    let ip = client_address(&state, connect, &headers);
    if let Err(limit) = state.login_limiter.allow(ip, username) {
        let message = match limit {
            Limited::Address => {
                tracing::warn!(from = %ip, "too many log-in attempts from one address; refused");
                (
                    "Too many log-in attempts from your address. Wait a minute and try again.",
                    "Z vaší adresy přišlo příliš mnoho pokusů o přihlášení. Počkejte minutu a zkuste to znovu.",
                )
            }
            Limited::Name => {
                tracing::warn!(from = %ip, username, "too many log-in attempts under one name; refused");
                (
                    "Too many log-in attempts under this user name. Wait a minute and try again.",
                    "Pod tímto uživatelským jménem přišlo příliš mnoho pokusů o přihlášení. Počkejte minutu a zkuste to znovu.",
                )
            }
        };
        return Err(Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            ("Too many attempts", "Příliš mnoho pokusů"),
            message,
        )
        .retry_after(60));
    }
    if username.is_empty() || password.is_empty() {
        return Ok(login_form(
            &state,
            &lang,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(render::tr(
                &lang,
                "Enter your user name and password.",
                "Zadejte uživatelské jméno a heslo.",
            )),
            username,
            &next,
        )
        .await);
    }
    let db = state.services.platform().db();
    let check = logins::check_password(db, username, password, &ip.to_string())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot check a log-in");
            Failure::database()
        })?;
    let user = match check {
        PasswordCheck::Accepted(user) => user,
        PasswordCheck::Refused => {
            tracing::warn!(username, from = %ip, "log-in refused: unknown user or wrong password");
            return Ok(login_form(
                &state,
                &lang,
                &visitor,
                StatusCode::UNAUTHORIZED,
                Some(render::tr(
                    &lang,
                    "The user name or the password is wrong.",
                    "Uživatelské jméno nebo heslo není správné.",
                )),
                username,
                &next,
            )
            .await);
        }
        PasswordCheck::Locked(until) => {
            tracing::warn!(username, from = %ip, "log-in refused: the account is locked");
            let until = chrono::DateTime::from_timestamp_micros(until)
                .map(render::time_of_day)
                .unwrap_or_default();
            return Ok(login_form(
                &state,
                &lang,
                &visitor,
                StatusCode::FORBIDDEN,
                Some(&if lang == "cs" {
                    format!(
                        "Účet je po {} neúspěšných přihlášeních zamčen do {until}. Zkuste to později nebo požádejte správce.",
                        logins::MAX_FAILED_LOGINS
                    )
                } else {
                    format!(
                        "This account is locked after {} failed log-ins, until {until}. Try again later or ask an administrator.",
                        logins::MAX_FAILED_LOGINS
                    )
                }),
                username,
                &next,
            ).await);
        }
        PasswordCheck::Inactive => {
            let db = state.services.platform().db();
            let unconfirmed = match users::by_username(db, username).await {
                Ok(Some(u)) => self_service::awaits_confirmation(db, &u.id)
                    .await
                    .unwrap_or(false),
                _ => false,
            };
            tracing::warn!(username, from = %ip, unconfirmed, "log-in refused: the account is not active");
            let message = if unconfirmed {
                render::tr(
                    &lang,
                    "Confirm your e-mail address first: open the link we sent you when you registered. If it expired, register again for a new one.",
                    "Nejprve potvrďte svou e-mailovou adresu: otevřete odkaz, který jsme vám poslali při registraci. Pokud vypršel, zaregistrujte se znovu a přijde nový.",
                )
            } else {
                render::tr(&lang, "This account is deactivated.", "Účet je zrušen.")
            };
            return Ok(login_form(
                &state,
                &lang,
                &visitor,
                StatusCode::FORBIDDEN,
                Some(message),
                username,
                &next,
            )
            .await);
        }
    };
    Ok(start_session(
        &state,
        &user,
        (Assurance::Registered, &user.claims.clone()),
        &headers,
        &next,
    )
    .await)
}

/// Starts a session for `user` and sends the browser to `next` with its
/// cookie. The language the person reads the portal in follows them: one
/// chosen in this browser before logging in is remembered with their
/// account; else the one they chose earlier, on any device, becomes this
/// browser's; someone who never chose has the page's remembered, for what
/// is written to them.
pub(crate) async fn start_session(
    state: &AppState,
    user: &users::User,
    (assurance, claims): (Assurance, &std::collections::BTreeMap<String, String>),
    headers: &HeaderMap,
    next: &str,
) -> Response {
    let db = state.services.platform().db();
    let chosen = Lang::chosen(headers);
    let remember = match (&chosen, &user.language) {
        (Some(Lang(here)), stored) if stored.as_deref() != Some(here.as_str()) => {
            Some(here.clone())
        }
        (None, None) => Some(Lang::of(headers).0),
        _ => None,
    };
    if let Some(lang) = remember
        && let Err(e) = users::set_language(db, &user.id, &lang).await
    {
        tracing::warn!(error = %e, "cannot remember the user's language");
    }
    let (token, _) = match sessions::start(db, user, assurance, claims).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot start a session");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    tracing::info!(user = %user.id, assurance = assurance.name(), "logged in");
    let mut response = Redirect::to(next).into_response();
    let cookies = state.cookies;
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies.build(cookies.session(), token, Some(sessions::LIFETIME)),
    );
    if let (None, Some(chosen)) = (&chosen, user.language.as_deref()) {
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies.build(
                cookies.lang(),
                chosen.to_owned(),
                Some(super::LANGUAGE_KEPT),
            ),
        );
    }
    response
}

pub(super) fn clear_session(state: &AppState, mut response: Response) -> Response {
    let cookies = state.cookies;
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies.build(cookies.session(), String::new(), Some(Duration::ZERO)),
    );
    response
}

pub(super) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    if let Some((session, token)) = posted_session(&state, &headers, &body).await? {
        sessions::end(state.services.platform().db(), &token)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot end a session");
                Failure::database()
            })?;
        tracing::info!(user = %session.user.id, "logged out");
    }
    Ok(clear_session(&state, Redirect::to("/").into_response()))
}

pub(super) async fn logout_everywhere(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    if let Some((session, _)) = posted_session(&state, &headers, &body).await? {
        let db = state.services.platform().db();
        let n = sessions::end_all(db, &session.user.id, &session.user.id)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot end sessions");
                Failure::database()
            })?;
        tracing::info!(user = %session.user.id, sessions = n, "logged out everywhere");
    }
    Ok(clear_session(&state, Redirect::to("/").into_response()))
}
