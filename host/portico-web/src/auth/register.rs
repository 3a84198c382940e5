//! A person's own account without an administrator: registering with an
//! e-mail address they confirm (`/auth/register`, `/auth/confirm/{token}`)
//! and a new password by an e-mailed link when they forgot theirs
//! (`/auth/reset`, `/auth/reset/{token}`).
//!
//! The pages answer the same whether an address has an account or not;
//! what differs goes to the address itself. A link opened in the browser
//! only shows a button or a form (mail scanners open links too); the
//! change is a POST. Every form is under a rate limit per client address
//! and per e-mail address. The links point at the portal's public address
//! (`--public-url`), never at a `Host` a request names, outside loopback.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use maud::{Markup, html};
use portico_platform::identity::passwords::MIN_PASSWORD_CHARS;
use portico_platform::identity::self_service::{self, Registration};
use portico_platform::identity::users::User;
use portico_platform::notifications::{self, Channel, Outgoing};
use portico_platform::records::Scope;

use super::{Window, client_address, field};
use crate::AppState;
use crate::extractors::{Lang, Visitor, form_fields};
use crate::failure::Failure;
use crate::frame::{frame_of_path, html_response};
use crate::render::{self, CSRF_FIELD, tr};

/// Requests of these forms one client address may make per minute.
pub const ACCOUNT_FORMS_PER_MINUTE: u32 = 10;

/// E-mails these forms may send one address per hour.
pub const ACCOUNT_MAILS_PER_HOUR: u32 = 3;

/// Counts the account forms' requests per client address (a minute) and
/// their e-mails per address (an hour): nobody fills a stranger's mailbox
/// or tries addresses quickly.
pub(crate) struct AccountLimiter {
    by_address: Window<IpAddr>,
    by_email: Window<String>,
    by_user: Window<String>,
}

/// Changes one person may post to their own account per minute.
pub const OWN_CHANGES_PER_MINUTE: u32 = 20;

impl Default for AccountLimiter {
    fn default() -> Self {
        AccountLimiter {
            by_address: Window::of(Duration::from_secs(60)),
            by_email: Window::of(Duration::from_secs(3600)),
            by_user: Window::of(Duration::from_secs(60)),
        }
    }
}

impl AccountLimiter {
    fn allow_address(&self, ip: IpAddr) -> bool {
        self.by_address.allow(ip, ACCOUNT_FORMS_PER_MINUTE)
    }

    /// A change a logged-in person posts to their own account.
    pub(super) fn allow_change(&self, user_id: &str) -> bool {
        self.by_user
            .allow(user_id.to_owned(), OWN_CHANGES_PER_MINUTE)
    }

    pub(super) fn allow_mail(&self, email: &str) -> bool {
        self.by_email
            .allow(email.to_lowercase(), ACCOUNT_MAILS_PER_HOUR)
    }
}

// The texts below say "10 characters".
const _: () = assert!(MIN_PASSWORD_CHARS == 10);

fn password_rule(l: &str) -> &'static str {
    tr(
        l,
        "Choose a password of at least 10 characters.",
        "Zvolte heslo o alespoň 10 znacích.",
    )
}

pub(super) fn too_many() -> Failure {
    Failure::new(
        StatusCode::TOO_MANY_REQUESTS,
        ("Too many attempts", "Příliš mnoho pokusů"),
        (
            "Too many requests came from your address. Wait a minute and try again.",
            "Z vaší adresy přišlo příliš mnoho požadavků. Počkejte minutu a zkuste to znovu.",
        ),
    )
    .retry_after(60)
}

/// Where the e-mailed links point: the portal's public address, or on a
/// loopback address (a portal tried out on one machine) the one the
/// browser used. `None` when neither: links to a `Host` a request names
/// could lead a person to someone else's site.
pub(super) fn link_base(state: &AppState, headers: &HeaderMap) -> Option<String> {
    if let Some(url) = &state.config.public_url {
        return Some(url.trim_end_matches('/').to_owned());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]").then(|| format!("http://{host}"))
}

pub(super) fn unavailable() -> Failure {
    Failure::new(
        StatusCode::SERVICE_UNAVAILABLE,
        ("Not available", "Není k dispozici"),
        (
            "The portal cannot send links yet: its public address is not set (`--public-url`).",
            "Portál zatím nemůže posílat odkazy: není nastavena jeho veřejná adresa (`--public-url`).",
        ),
    )
}

/// The fields of a posted account form, its CSRF token checked, and the
/// client's address, counted against the rate limit.
pub(super) fn posted(
    state: &AppState,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    visitor: &Visitor,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Vec<(String, String)>, IpAddr), Failure> {
    let fields = form_fields(headers, body)?;
    if !visitor.csrf_matches(field(&fields, CSRF_FIELD)) {
        return Err(Failure::csrf());
    }
    let ip = client_address(state, connect, headers);
    if !state.account_limiter.allow_address(ip) {
        return Err(too_many());
    }
    Ok((fields, ip))
}

/// Queues an e-mail the portal itself sends to `to`.
pub(super) async fn send(
    state: &AppState,
    to: &str,
    template: &str,
    message: (String, String),
) -> Result<(), Failure> {
    send_by(state, Channel::Email, to, template, message).await
}

/// Queues a message the portal itself sends to `to` by `channel`.
pub(super) async fn send_by(
    state: &AppState,
    channel: Channel,
    to: &str,
    template: &str,
    (subject, body): (String, String),
) -> Result<(), Failure> {
    let scope = Scope {
        org_id: state
            .config
            .default_org
            .clone()
            .unwrap_or_else(|| "portal".into()),
        module_id: "portico".into(),
        actor: "portico".into(),
    };
    let out = Outgoing {
        channel,
        recipient: to.to_owned(),
        template: template.to_owned(),
        subject,
        body,
    };
    notifications::enqueue(state.services.platform().db(), &scope, out)
        .await
        .map(|_| ())
        .map_err(|e| {
            tracing::error!(error = %e, "cannot queue the account's message");
            Failure::database()
        })
}

/// A page of these forms in the frame of the portal.
pub(super) async fn page(
    state: &AppState,
    l: &str,
    visitor: &Visitor,
    status: StatusCode,
    title: &str,
    content: Markup,
) -> Response {
    let mut shell = frame_of_path(state, "/", l, visitor).await;
    shell.csrf = visitor.csrf().to_owned();
    let mut response = html_response(status, render::page(&shell, title, content));
    visitor.set_cookie(state.cookies, &mut response);
    response
}

pub(super) fn error_box(errors: &[(&str, &str)]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.notice.notice-error role="alert" tabindex="-1" {
                ul {
                    @for (id, message) in errors {
                        li { a href=(format!("#{id}")) { (message) } }
                    }
                }
            }
        }
    }
}

/// One labelled input, its error beside it.
pub(super) fn input(
    id: &str,
    name: &str,
    (label, kind, autocomplete): (&str, &str, &str),
    value: &str,
    errors: &[(&str, &str)],
) -> Markup {
    let error = errors.iter().find(|(e, _)| *e == id).map(|(_, m)| *m);
    let described = error.map(|_| format!("{id}-error"));
    html! {
        div.field {
            label for=(id) { (label) }
            @if let Some(error) = error {
                p.error id=(format!("{id}-error")) { (error) }
            }
            input id=(id) type=(kind) name=(name) value=(value) autocomplete=(autocomplete) required
                aria-invalid=[error.map(|_| "true")] aria-describedby=[described];
        }
    }
}

fn register_form(
    l: &str,
    visitor: &Visitor,
    name: &str,
    email: &str,
    errors: &[(&str, &str)],
) -> Markup {
    html! {
        (error_box(errors))
        p { (tr(l, "With an account you can follow your reports and submissions and be told of their progress.", "S účtem můžete sledovat svá podání a hlášení a dostávat zprávy o jejich vyřízení.")) }
        form method="post" action="/auth/register" novalidate {
            input type="hidden" name=(CSRF_FIELD) value=(visitor.csrf());
            (input("r-name", "name", (tr(l, "Your name", "Vaše jméno"), "text", "name"), name, errors))
            (input("r-email", "email", (tr(l, "E-mail address", "E-mailová adresa"), "email", "email"), email, errors))
            (input("r-password", "password", (tr(l, "Password (at least 10 characters)", "Heslo (alespoň 10 znaků)"), "password", "new-password"), "", errors))
            (input("r-again", "again", (tr(l, "Password again", "Heslo znovu"), "password", "new-password"), "", errors))
            button.button.primary type="submit" { (tr(l, "Create the account", "Vytvořit účet")) }
        }
        p { a href="/auth/login" { (tr(l, "I have an account: log in", "Účet už mám: přihlásit se")) } }
    }
}

pub(super) async fn register_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Lang(l): Lang,
) -> Response {
    let title = tr(&l, "Create an account", "Založení účtu");
    let content = register_form(&l, &visitor, "", "", &[]);
    page(&state, &l, &visitor, StatusCode::OK, title, content).await
}

pub(super) async fn register(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    visitor: Visitor,
    Lang(l): Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let (fields, _) = posted(&state, connect, &visitor, &headers, &body)?;
    let base = link_base(&state, &headers).ok_or_else(unavailable)?;
    let name = field(&fields, "name").unwrap_or("").trim();
    let email = field(&fields, "email").unwrap_or("").trim();
    let password = field(&fields, "password").unwrap_or("");
    let again = field(&fields, "again").unwrap_or("");
    let title = tr(&l, "Create an account", "Založení účtu");
    let mut errors: Vec<(&str, &str)> = Vec::new();
    if name.is_empty() {
        errors.push(("r-name", tr(&l, "Enter your name.", "Zadejte své jméno.")));
    }
    if !portico_platform::identity::users::is_plain_email(email) {
        errors.push((
            "r-email",
            tr(
                &l,
                "Enter an e-mail address such as jana@example.cz.",
                "Zadejte e-mailovou adresu, např. jana@example.cz.",
            ),
        ));
    }
    if portico_platform::identity::passwords::check_password_strength(password).is_err() {
        errors.push(("r-password", password_rule(&l)));
    } else if password != again {
        errors.push((
            "r-again",
            tr(&l, "The two passwords differ.", "Hesla se neshodují."),
        ));
    }
    if !errors.is_empty() {
        let content = register_form(&l, &visitor, name, email, &errors);
        return Ok(page(
            &state,
            &l,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            title,
            content,
        )
        .await);
    }
    if !state.account_limiter.allow_mail(email) {
        return Err(too_many());
    }
    let db = state.services.platform().db();
    let outcome = self_service::register(db, email, name, password)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "self-registration failed");
            Failure::database()
        })?;
    let portal = &state.config.portal_name;
    match outcome {
        Registration::Created(user, token) | Registration::Unconfirmed(user, token) => {
            let link = format!("{base}/auth/confirm/{token}");
            let mail = if l != "cs" {
                (
                    format!("Confirm your e-mail address for {portal}"),
                    format!(
                        "Hello {},\n\nto finish creating your account on {portal}, open this link (it works for 48 hours):\n\n{link}\n\nIf you did not ask for an account, ignore this e-mail.\n",
                        user.shown_name()
                    ),
                )
            } else {
                (
                    format!("Potvrďte svou e-mailovou adresu pro {portal}"),
                    format!(
                        "Dobrý den, {},\n\npro dokončení registrace na portálu {portal} otevřete tento odkaz (platí 48 hodin):\n\n{link}\n\nPokud jste o účet nežádali, tento e-mail nevšímejte.\n",
                        user.shown_name()
                    ),
                )
            };
            send(&state, email, "account.confirm", mail).await?;
        }
        Registration::Exists(_) => {
            let link = format!("{base}/auth/reset");
            let mail = if l != "cs" {
                (
                    format!("You already have an account on {portal}"),
                    format!(
                        "Hello,\n\nsomeone, perhaps you, tried to create an account on {portal} with this address. You have one already: log in, or if you forgot your password, set a new one here:\n\n{link}\n"
                    ),
                )
            } else {
                (
                    format!("Na portálu {portal} už účet máte"),
                    format!(
                        "Dobrý den,\n\nněkdo, možná vy, se pokusil založit na portálu {portal} účet s touto adresou. Účet už máte: přihlaste se, nebo pokud jste zapomněli heslo, nastavte si nové zde:\n\n{link}\n"
                    ),
                )
            };
            send(&state, email, "account.exists", mail).await?;
        }
    }
    let content = html! {
        div.notice role="status" {
            p { (tr(&l, "We sent a message to ", "Poslali jsme zprávu na adresu ")) strong { (email) } "." }
            p { (tr(&l, "Open the link in it to finish. It works for 48 hours.", "Dokončete registraci odkazem v ní. Odkaz platí 48 hodin.")) }
        }
    };
    Ok(page(
        &state,
        &l,
        &visitor,
        StatusCode::OK,
        tr(&l, "Check your e-mail", "Zkontrolujte svůj e-mail"),
        content,
    )
    .await)
}

fn link_gone(l: &str) -> Markup {
    html! {
        div.notice.notice-error role="alert" {
            p { (tr(l, "This link no longer works: it was used already or it expired.", "Tento odkaz už neplatí: byl již použit, nebo vypršel.")) }
        }
        p {
            a href="/auth/reset" { (tr(l, "Ask for a new link to set a password", "Požádat o nový odkaz k nastavení hesla")) }
            " · "
            a href="/auth/register" { (tr(l, "Register again", "Zaregistrovat se znovu")) }
        }
    }
}

pub(super) async fn confirm_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Lang(l): Lang,
    Path(token): Path<String>,
) -> Response {
    let title = tr(
        &l,
        "Confirm your e-mail address",
        "Potvrzení e-mailové adresy",
    );
    let content = link_button(
        &visitor,
        &format!("/auth/confirm/{token}"),
        tr(
            &l,
            "One step remains: confirm that this address is yours.",
            "Zbývá jediný krok: potvrďte, že tato adresa je vaše.",
        ),
        tr(&l, "Confirm and finish", "Potvrdit a dokončit"),
    );
    page(&state, &l, &visitor, StatusCode::OK, title, content).await
}

/// What an e-mailed link opens: a button that posts it, so that a mail
/// scanner following the link changes nothing.
pub(super) fn link_button(visitor: &Visitor, action: &str, text: &str, button: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            input type="hidden" name=(CSRF_FIELD) value=(visitor.csrf());
            p { (text) }
            button.button.primary type="submit" { (button) }
        }
    }
}

pub(super) async fn confirm(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    visitor: Visitor,
    Lang(l): Lang,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    posted(&state, connect, &visitor, &headers, &body)?;
    let confirmed = self_service::confirm(state.services.platform().db(), &token)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "confirming an address failed");
            Failure::database()
        })?;
    let title = tr(
        &l,
        "Confirm your e-mail address",
        "Potvrzení e-mailové adresy",
    );
    let Some(user) = confirmed else {
        return Ok(page(&state, &l, &visitor, StatusCode::GONE, title, link_gone(&l)).await);
    };
    let content = html! {
        div.notice role="status" {
            p { (tr(&l, "Your address is confirmed and your account is ready.", "Vaše adresa je potvrzena a účet je připraven.")) }
        }
        p { a.button.primary href="/auth/login" { (tr(&l, "Log in", "Přihlásit se")) } }
        p.muted { (tr(&l, "Your user name is your e-mail address: ", "Vaše uživatelské jméno je vaše e-mailová adresa: ")) (user.username) }
    };
    Ok(page(&state, &l, &visitor, StatusCode::OK, title, content).await)
}

fn reset_request_form(l: &str, visitor: &Visitor, email: &str, errors: &[(&str, &str)]) -> Markup {
    html! {
        (error_box(errors))
        p { (tr(l, "Enter the e-mail address of your account. We will send it a link to set a new password.", "Zadejte e-mailovou adresu svého účtu. Pošleme na ni odkaz k nastavení nového hesla.")) }
        form method="post" action="/auth/reset" novalidate {
            input type="hidden" name=(CSRF_FIELD) value=(visitor.csrf());
            (input("p-email", "email", (tr(l, "E-mail address", "E-mailová adresa"), "email", "email"), email, errors))
            button.button.primary type="submit" { (tr(l, "Send the link", "Poslat odkaz")) }
        }
    }
}

pub(super) async fn reset_request_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Lang(l): Lang,
) -> Response {
    let title = tr(&l, "Forgotten password", "Zapomenuté heslo");
    let content = reset_request_form(&l, &visitor, "", &[]);
    page(&state, &l, &visitor, StatusCode::OK, title, content).await
}

pub(super) async fn reset_request(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    visitor: Visitor,
    Lang(l): Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let (fields, _) = posted(&state, connect, &visitor, &headers, &body)?;
    let base = link_base(&state, &headers).ok_or_else(unavailable)?;
    let email = field(&fields, "email").unwrap_or("").trim();
    let title = tr(&l, "Forgotten password", "Zapomenuté heslo");
    if !portico_platform::identity::users::is_plain_email(email) {
        let errors = [(
            "p-email",
            tr(
                &l,
                "Enter an e-mail address such as jana@example.cz.",
                "Zadejte e-mailovou adresu, např. jana@example.cz.",
            ),
        )];
        let content = reset_request_form(&l, &visitor, email, &errors);
        return Ok(page(
            &state,
            &l,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            title,
            content,
        )
        .await);
    }
    // Over the limit for this address, the answer is the same and nothing
    // is sent: the page tells nobody whether the address has an account.
    if state.account_limiter.allow_mail(email) {
        let links = self_service::request_reset(state.services.platform().db(), email)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "a password reset failed");
                Failure::database()
            })?;
        let portal = &state.config.portal_name;
        for (user, token) in links {
            let link = format!("{base}/auth/reset/{token}");
            let mail = reset_mail(&l, portal, &user, &link);
            send(&state, email, "account.reset", mail).await?;
        }
    } else {
        tracing::warn!("too many password links asked for one address; none sent");
    }
    let content = html! {
        div.notice role="status" {
            p { (tr(&l, "If an account uses ", "Pokud adresu ")) strong { (email) } (tr(&l, ", we sent it a link to set a new password. The link works for an hour.", " používá některý účet, poslali jsme na ni odkaz k nastavení nového hesla. Odkaz platí hodinu.")) }
        }
    };
    Ok(page(
        &state,
        &l,
        &visitor,
        StatusCode::OK,
        tr(&l, "Check your e-mail", "Zkontrolujte svůj e-mail"),
        content,
    )
    .await)
}

fn reset_mail(l: &str, portal: &str, user: &User, link: &str) -> (String, String) {
    let name = user.shown_name();
    let login = &user.username;
    if l != "cs" {
        (
            format!("Set a new password on {portal}"),
            format!(
                "Hello {name},\n\nto set a new password for the account {login} on {portal}, open this link (it works for an hour, once):\n\n{link}\n\nIf you did not ask for it, ignore this e-mail: your password stays as it is.\n"
            ),
        )
    } else {
        (
            format!("Nové heslo na portálu {portal}"),
            format!(
                "Dobrý den, {name},\n\nnové heslo k účtu {login} na portálu {portal} si nastavíte tímto odkazem (platí hodinu a jen jednou):\n\n{link}\n\nPokud jste o ně nežádali, tento e-mail nevšímejte: vaše heslo zůstává beze změny.\n"
            ),
        )
    }
}

fn new_password_form(l: &str, visitor: &Visitor, token: &str, errors: &[(&str, &str)]) -> Markup {
    html! {
        (error_box(errors))
        form method="post" action=(format!("/auth/reset/{token}")) novalidate {
            input type="hidden" name=(CSRF_FIELD) value=(visitor.csrf());
            (input("n-password", "password", (tr(l, "New password (at least 10 characters)", "Nové heslo (alespoň 10 znaků)"), "password", "new-password"), "", errors))
            (input("n-again", "again", (tr(l, "New password again", "Nové heslo znovu"), "password", "new-password"), "", errors))
            button.button.primary type="submit" { (tr(l, "Set the password", "Nastavit heslo")) }
        }
    }
}

pub(super) async fn new_password_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Lang(l): Lang,
    Path(token): Path<String>,
) -> Result<Response, Failure> {
    let open = self_service::reset_is_open(state.services.platform().db(), &token)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot read a password link");
            Failure::database()
        })?;
    let title = tr(&l, "A new password", "Nové heslo");
    Ok(if open {
        let content = new_password_form(&l, &visitor, &token, &[]);
        page(&state, &l, &visitor, StatusCode::OK, title, content).await
    } else {
        page(&state, &l, &visitor, StatusCode::GONE, title, link_gone(&l)).await
    })
}

pub(super) async fn new_password(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    visitor: Visitor,
    Lang(l): Lang,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let (fields, ip) = posted(&state, connect, &visitor, &headers, &body)?;
    let password = field(&fields, "password").unwrap_or("");
    let again = field(&fields, "again").unwrap_or("");
    let title = tr(&l, "A new password", "Nové heslo");
    let mut errors = Vec::new();
    if portico_platform::identity::passwords::check_password_strength(password).is_err() {
        errors.push(("n-password", password_rule(&l)));
    } else if password != again {
        errors.push((
            "n-again",
            tr(&l, "The two passwords differ.", "Hesla se neshodují."),
        ));
    }
    if !errors.is_empty() {
        let content = new_password_form(&l, &visitor, &token, &errors);
        return Ok(page(
            &state,
            &l,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            title,
            content,
        )
        .await);
    }
    let done = self_service::reset_password(
        state.services.platform().db(),
        &token,
        password,
        &ip.to_string(),
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "setting a new password failed");
        Failure::database()
    })?;
    let Some(user) = done else {
        return Ok(page(&state, &l, &visitor, StatusCode::GONE, title, link_gone(&l)).await);
    };
    let content = html! {
        div.notice role="status" {
            p { (tr(&l, "Your new password is set. Every session of the account was logged out.", "Nové heslo je nastaveno. Všechna přihlášení k účtu byla ukončena.")) }
        }
        p { a.button.primary href="/auth/login" { (tr(&l, "Log in", "Přihlásit se")) } }
        p.muted { (tr(&l, "Your user name: ", "Vaše uživatelské jméno: ")) (user.username) }
    };
    Ok(page(&state, &l, &visitor, StatusCode::OK, title, content).await)
}
