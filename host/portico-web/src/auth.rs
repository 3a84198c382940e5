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

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_platform::identity::logins::{self, PasswordCheck};
use portico_platform::identity::sessions::{self, Session};
use portico_platform::identity::users::Assurance;
use portico_platform::identity::{accounts, passwords, roles, users};
use portico_runtime::api;
use portico_runtime::manifest::{Access, Manifest, Route};

use crate::cookies::cookie_value;
use crate::extractors::{Lang, Standing, Visitor, form_fields, visitor};
use crate::failure::Failure;
use crate::frame::{html_response, shell, wants_json};
use crate::redirect::local_path;
use crate::render::{self, CSRF_FIELD};
use crate::{AppState, MAX_BODY_BYTES};

/// The names of the portal's cookies, as `AppState::cookies` has them.
pub use crate::cookies::Cookies;

/// Log-in attempts one address may make per minute.
pub const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 20;

/// Log-in attempts under one account name per minute, from anywhere.
pub const LOGIN_ATTEMPTS_PER_NAME_PER_MINUTE: u32 = 10;

/// The header API clients with a session cookie send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

fn assurance(a: Assurance) -> api::Assurance {
    match a {
        Assurance::Anonymous => api::Assurance::Anonymous,
        Assurance::Registered => api::Assurance::Registered,
        Assurance::Substantial => api::Assurance::Substantial,
        Assurance::High => api::Assurance::High,
    }
}

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
                assurance: assurance(s.assurance),
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
            "Log-in required",
            "This page is only for logged-in users. Log in and try again.",
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
                "Forbidden",
                format!("This page is for the staff of {org_name}."),
            ));
        }
        Access::Staff => {}
    }
    if let Some(p) = &route.permission {
        let qualified = format!("{}.{p}", manifest.id);
        let held = principal.is_some_and(|pr| pr.permissions.contains(&qualified));
        if !held {
            return Err(Failure::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                format!(
                    "This needs the permission `{qualified}` ({}) in {org_name}. Ask an administrator for a role that carries it.",
                    manifest
                        .permissions
                        .get(p)
                        .map(String::as_str)
                        .unwrap_or("")
                ),
            ));
        }
    }
    Ok(())
}

/// Counts log-in attempts in one-minute windows, per client address and
/// per account name: one address cannot guess many names quickly, and
/// many addresses cannot guess one name quickly (the account's lock-out
/// comes on top). Behind a trusted proxy the address is the client's, not
/// the proxy's (see [`crate::client`]).
pub(crate) struct LoginLimiter {
    by_address: moka::sync::Cache<IpAddr, Arc<AtomicU32>>,
    by_name: moka::sync::Cache<String, Arc<AtomicU32>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        fn window<K: std::hash::Hash + Eq + Send + Sync + 'static>()
        -> moka::sync::Cache<K, Arc<AtomicU32>> {
            moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(60))
                .build()
        }
        LoginLimiter {
            by_address: window(),
            by_name: window(),
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
        let count = |c: &Arc<AtomicU32>| c.fetch_add(1, Ordering::Relaxed);
        if count(&self.by_address.get_with(ip, Arc::default)) >= LOGIN_ATTEMPTS_PER_MINUTE {
            return Err(Limited::Address);
        }
        if !username.is_empty()
            && count(&self.by_name.get_with(username.to_lowercase(), Arc::default))
                >= LOGIN_ATTEMPTS_PER_NAME_PER_MINUTE
        {
            return Err(Limited::Name);
        }
        Ok(())
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login_page).post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/logout-everywhere", post(logout_everywhere))
        .route("/auth/me", get(me))
        .route("/auth/password", get(password_page).post(change_password))
        .route("/lang/{lang}", get(choose_language))
        .layer(DefaultBodyLimit::max(MAX_AUTH_BODY))
}

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
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

fn login_form(
    state: &AppState,
    l: &str,
    visitor: &Visitor,
    status: StatusCode,
    error: Option<&str>,
    username: &str,
    next: &str,
) -> Response {
    let mut shell = shell(state, None, None, l, None);
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

async fn login_page(
    State(state): State<AppState>,
    Query(q): Query<Next>,
    visitor: Visitor,
    Lang(lang): Lang,
) -> Response {
    let next = local_path(q.next.as_deref());
    if let Visitor::User(_) = visitor {
        return Redirect::to(&next).into_response();
    }
    login_form(&state, &lang, &visitor, StatusCode::OK, None, "", &next)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn login(
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
                render::tr(
                    &lang,
                    "Too many log-in attempts from your address. Wait a minute and try again.",
                    "Z vaší adresy přišlo příliš mnoho pokusů o přihlášení. Počkejte minutu a zkuste to znovu.",
                )
            }
            Limited::Name => {
                tracing::warn!(from = %ip, username, "too many log-in attempts under one name; refused");
                render::tr(
                    &lang,
                    "Too many log-in attempts under this user name. Wait a minute and try again.",
                    "Pod tímto uživatelským jménem přišlo příliš mnoho pokusů o přihlášení. Počkejte minutu a zkuste to znovu.",
                )
            }
        };
        return Err(Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            render::tr(&lang, "Too many attempts", "Příliš mnoho pokusů"),
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
        ));
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
            ));
        }
        PasswordCheck::Locked(until) => {
            tracing::warn!(username, from = %ip, "log-in refused: the account is locked");
            let until = chrono::DateTime::from_timestamp_micros(until)
                .map(|t| t.format("%H:%M UTC").to_string())
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
            ));
        }
        PasswordCheck::Inactive => {
            tracing::warn!(username, from = %ip, "log-in refused: the account is deactivated");
            return Ok(login_form(
                &state,
                &lang,
                &visitor,
                StatusCode::FORBIDDEN,
                Some(render::tr(
                    &lang,
                    "This account is deactivated.",
                    "Účet je zrušen.",
                )),
                username,
                &next,
            ));
        }
    };
    Ok(start_session(
        &state,
        &user,
        Assurance::Registered,
        &user.claims.clone(),
        &next,
    )
    .await)
}

/// Starts a session for `user` and sends the browser to `next` with its cookie.
pub(crate) async fn start_session(
    state: &AppState,
    user: &users::User,
    assurance: Assurance,
    claims: &std::collections::BTreeMap<String, String>,
    next: &str,
) -> Response {
    let db = state.services.platform().db();
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
    response
}

fn clear_session(state: &AppState, mut response: Response) -> Response {
    let cookies = state.cookies;
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies.build(cookies.session(), String::new(), Some(Duration::ZERO)),
    );
    response
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

/// `GET /lang/{cs|en}`: remembers the language chosen in the page header
/// (a year, in a cookie in the browser; nothing is stored on the server)
/// and goes back to the page it was chosen on.
async fn choose_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(lang): Path<String>,
) -> Result<Response, Failure> {
    if !matches!(lang.as_str(), "cs" | "en") {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "Not found",
            format!("There is no language `{lang}` here: choose `cs` or `en`."),
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
    let mut response = Redirect::to(&local_path(back.as_deref())).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        state.cookies.build(
            state.cookies.lang(),
            lang,
            Some(Duration::from_secs(365 * 86_400)),
        ),
    );
    Ok(response)
}

async fn logout(
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

async fn logout_everywhere(
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

/// The logged-in user: who they are and their roles per organization.
async fn me(
    State(state): State<AppState>,
    visitor: Visitor,
    Lang(lang): Lang,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let Visitor::User(session) = &visitor else {
        if wants_json(&headers) {
            return Err(Failure::new(
                StatusCode::UNAUTHORIZED,
                "Not logged in",
                "Nobody is logged in.",
            ));
        }
        return Ok(Redirect::to("/auth/login?next=/auth/me").into_response());
    };
    let db = state.services.platform().db();
    let mut by_org = std::collections::BTreeMap::new();
    let orgs = roles::orgs_of(db, &session.user.id).await.map_err(|e| {
        tracing::error!(error = %e, "cannot read roles");
        Failure::database()
    })?;
    for org in orgs {
        if let Ok(r) = roles::roles_in(db, &session.user.id, &org).await {
            by_org.insert(org, r);
        }
    }
    let user = &session.user;
    if wants_json(&headers) {
        return Ok(axum::Json(serde_json::json!({
            "id": user.id,
            "username": user.username,
            "display_name": user.shown_name(),
            "kind": user.kind,
            "assurance": session.assurance,
            "claims": session.claims,
            "roles": by_org,
            "csrf_token": session.csrf,
        }))
        .into_response());
    }
    let l = lang.as_str();
    let mut shell = shell(&state, None, None, l, None);
    shell.user = Some(user.shown_name().to_owned());
    shell.csrf = session.csrf.clone();
    let kind = match user.kind {
        users::UserKind::Staff => render::tr(l, "staff", "zaměstnanec"),
        users::UserKind::Citizen => render::tr(l, "citizen", "občan"),
    };
    let assurance = match session.assurance {
        Assurance::Anonymous => render::tr(l, "none", "žádné"),
        Assurance::Registered => render::tr(l, "low", "nízká"),
        Assurance::Substantial => render::tr(l, "substantial", "značná"),
        Assurance::High => render::tr(l, "high", "vysoká"),
    };
    let content = maud::html! {
        dl.key-values {
            div { dt { (render::tr(l, "User name", "Uživatelské jméno")) } dd { (user.username) } }
            div { dt { (render::tr(l, "Account", "Účet")) } dd { (kind) } }
            div { dt { (render::tr(l, "Identity verified", "Úroveň ověření totožnosti")) } dd { (assurance) } }
        }
        @if !by_org.is_empty() {
            h2 { (render::tr(l, "Roles", "Role")) }
            ul {
                @for (org, roles) in &by_org {
                    li { (org) ": " (roles.iter().cloned().collect::<Vec<_>>().join(", ")) }
                }
            }
        }
        @if user.has_password {
            p { a href="/auth/password" { (render::tr(l, "Change password", "Změnit heslo")) } }
        }
        form method="post" action="/auth/logout-everywhere" {
            input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
            button.button.secondary type="submit" { (render::tr(l, "Log out everywhere", "Odhlásit se všude")) }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        render::page(&shell, user.shown_name(), content),
    ))
}

/// The page where a person with a local password changes it.
fn password_form(
    state: &AppState,
    l: &str,
    session: &Session,
    status: StatusCode,
    message: Option<(&str, bool)>,
) -> Response {
    let mut shell = shell(state, None, None, l, None);
    shell.user = Some(session.user.shown_name().to_owned());
    shell.csrf = session.csrf.clone();
    let content = maud::html! {
        @if let Some((text, ok)) = message {
            @if ok {
                div.notice.notice-success role="status" { p { (text) } }
            } @else {
                div.notice.notice-error role="alert" { p { (text) } }
            }
        }
        p { (render::tr(l,
            "A new password logs you out on every other device; this one stays logged in.",
            "Nové heslo vás odhlásí na všech ostatních zařízeních; na tomto zůstanete přihlášeni.")) }
        form method="post" action="/auth/password" {
            input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
            input type="hidden" name="username" value=(session.user.username) autocomplete="username";
            div.field {
                label for="f-current" { (render::tr(l, "Current password", "Současné heslo")) }
                input #f-current type="password" name="current" autocomplete="current-password" required;
            }
            div.field {
                label for="f-new" { (render::tr(l, "New password", "Nové heslo")) }
                input #f-new type="password" name="new" autocomplete="new-password" required
                    minlength=(passwords::MIN_PASSWORD_CHARS) aria-describedby="f-new-help";
                p.help #f-new-help { (if l == "cs" {
                    format!("Alespoň {} znaků.", passwords::MIN_PASSWORD_CHARS)
                } else {
                    format!("At least {} characters.", passwords::MIN_PASSWORD_CHARS)
                }) }
            }
            div.field {
                label for="f-repeat" { (render::tr(l, "New password again", "Nové heslo znovu")) }
                input #f-repeat type="password" name="repeat" autocomplete="new-password" required;
            }
            button.button.primary type="submit" { (render::tr(l, "Change password", "Změnit heslo")) }
        }
    };
    html_response(
        status,
        render::page(
            &shell,
            render::tr(l, "Change password", "Změna hesla"),
            content,
        ),
    )
}

async fn password_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Lang(lang): Lang,
) -> Response {
    match visitor {
        Visitor::User(session) => password_form(&state, &lang, &session, StatusCode::OK, None),
        _ => Redirect::to("/auth/login?next=/auth/password").into_response(),
    }
}

/// `POST /auth/password`: checks the current password as a log-in does
/// (a wrong one counts towards the lock-out), sets the new one, and ends
/// every other session of the person; this one stays.
async fn change_password(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    Lang(lang): Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some((session, token)) = posted_session(&state, &headers, &body).await? else {
        return Ok(Redirect::to("/auth/login?next=/auth/password").into_response());
    };
    let fields = form_fields(&headers, &body)?;
    let l = lang.as_str();
    let current = field(&fields, "current").unwrap_or("");
    let new = field(&fields, "new").unwrap_or("");
    let refuse = |message: &str| {
        Ok(password_form(
            &state,
            l,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some((message, false)),
        ))
    };
    if new != field(&fields, "repeat").unwrap_or("") {
        return refuse(render::tr(
            l,
            "The new password and its repetition differ.",
            "Nové heslo a jeho zopakování se liší.",
        ));
    }
    if new.chars().count() < passwords::MIN_PASSWORD_CHARS {
        return refuse(&if l == "cs" {
            format!(
                "Nové heslo musí mít alespoň {} znaků.",
                passwords::MIN_PASSWORD_CHARS
            )
        } else {
            format!(
                "The new password must be at least {} characters.",
                passwords::MIN_PASSWORD_CHARS
            )
        });
    }
    let ip = client_address(&state, connect, &headers);
    let db = state.services.platform().db();
    match accounts::change_own_password(db, &session.user.id, current, new, &token, &ip.to_string())
        .await
    {
        Ok(PasswordCheck::Accepted(_)) => {
            tracing::info!(user = %session.user.id, "password changed; other sessions ended");
            Ok(password_form(
                &state,
                l,
                &session,
                StatusCode::OK,
                Some((
                    render::tr(
                        l,
                        "Your password is changed. Every other device is logged out.",
                        "Heslo je změněno. Na všech ostatních zařízeních jste odhlášeni.",
                    ),
                    true,
                )),
            ))
        }
        Ok(PasswordCheck::Locked(_)) => refuse(render::tr(
            l,
            "The account is locked after repeated wrong passwords. Try again later.",
            "Účet je po opakovaném zadání špatného hesla zamčen. Zkuste to později.",
        )),
        Ok(_) => refuse(render::tr(
            l,
            "The current password is wrong.",
            "Současné heslo není správné.",
        )),
        Err(portico_platform::PlatformError::Invalid { message, .. }) => refuse(&message),
        Err(e) => {
            tracing::error!(error = %e, "cannot change a password");
            Err(Failure::database())
        }
    }
}

/// The largest body the auth endpoints read.
const MAX_AUTH_BODY: usize = MAX_BODY_BYTES / 16;
