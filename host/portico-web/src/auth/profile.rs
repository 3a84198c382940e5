//! A person changes their own account from `/auth/me`: the name they go
//! by, their e-mail address (nothing changes until they open the link
//! sent to the new address; the old one is told when it did), their phone
//! (nothing changes until they type back the code sent to it), and the
//! deletion of the account (their password again for both, where the
//! account has one, and a tick for the deletion). Each form carries the session's
//! CSRF token; the e-mails a person asks for count per person and per
//! address, and a wrong password counts towards the account's lock-out.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use portico_platform::PlatformError;
use portico_platform::identity::logins::{self, PasswordCheck};
use portico_platform::identity::self_service::{self, EmailChange};

use portico_platform::notifications::Channel;

use super::register::{link_base, link_button, page, posted, send, send_by, too_many, unavailable};
use super::{client_address, field};
use crate::AppState;
use crate::extractors::{Lang, Visitor};
use crate::failure::Failure;
use crate::render::{CSRF_FIELD, tr};

/// The fields of a form a logged-in person posted, its CSRF token checked
/// and the change counted against the person's rate limit.
fn fields(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Vec<(String, String)>, Failure> {
    let fields = crate::extractors::form_fields(headers, body)?;
    if !visitor.csrf_matches(field(&fields, CSRF_FIELD)) {
        return Err(Failure::csrf());
    }
    if let Visitor::User(session) = visitor
        && !state.account_limiter.allow_change(&session.user.id)
    {
        return Err(too_many());
    }
    Ok(fields)
}

fn database(e: PlatformError) -> Failure {
    if let PlatformError::Forbidden(why) = &e {
        tracing::info!(why = %why, "an account change was refused");
        return Failure::new(
            StatusCode::FORBIDDEN,
            ("Not changed here", "Zde nelze změnit"),
            (
                "This account's details come from the organization or from your identity provider; they are changed there.",
                "Údaje tohoto účtu přicházejí od organizace nebo od poskytovatele identity; mění se tam.",
            ),
        );
    }
    tracing::error!(error = %e, "cannot change an account");
    Failure::database()
}

/// The person's password again, where their account has one; a wrong one
/// counts towards the account's lock-out like a log-in.
async fn password_again(
    state: &AppState,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: &HeaderMap,
    user: &portico_platform::identity::users::User,
    fields: &[(String, String)],
) -> Result<bool, Failure> {
    if !user.has_password {
        return Ok(true);
    }
    let password = field(fields, "password").unwrap_or("");
    let from = client_address(state, connect, headers).to_string();
    let db = state.services.platform().db();
    Ok(matches!(
        logins::check_password(db, &user.username, password, &from)
            .await
            .map_err(database)?,
        PasswordCheck::Accepted(_)
    ))
}

/// The logged-in person's session.
fn logged_in(visitor: &Visitor) -> Option<&portico_platform::identity::sessions::Session> {
    match visitor {
        Visitor::User(session) => Some(session),
        _ => None,
    }
}

/// A change refused for what was typed (422), saying why in both
/// languages.
fn unprocessable(
    title: (&'static str, &'static str),
    text: (&'static str, &'static str),
) -> Failure {
    Failure::new(StatusCode::UNPROCESSABLE_ENTITY, title, text)
}

/// Where someone not logged in is sent.
fn to_log_in() -> Response {
    Redirect::to("/auth/login?next=/auth/me").into_response()
}

/// `POST /auth/profile/name`: the name the person goes by.
pub(super) async fn rename(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some(session) = logged_in(&visitor) else {
        return Ok(to_log_in());
    };
    let fields = fields(&state, &visitor, &headers, &body)?;
    let name = field(&fields, "name").unwrap_or("").trim();
    let db = state.services.platform().db();
    match self_service::change_name(db, &session.user.id, name).await {
        Ok(()) => Ok(Redirect::to("/auth/me#profile").into_response()),
        Err(PlatformError::Invalid { .. }) => Err(unprocessable(
            ("Name not changed", "Jméno nezměněno"),
            (
                "Give a name of 1 to 200 characters.",
                "Zadejte jméno o 1 až 200 znacích.",
            ),
        )),
        Err(e) => Err(database(e)),
    }
}

/// `POST /auth/profile/phone`: a code of six digits to the new phone by
/// text message; nothing changes until it is typed back.
pub(super) async fn change_phone(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    visitor: Visitor,
    Lang(l): Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some(session) = logged_in(&visitor) else {
        return Ok(to_log_in());
    };
    let fields = fields(&state, &visitor, &headers, &body)?;
    if state.services.senders().sms.is_none() {
        return Err(Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ("Not available", "Není k dispozici"),
            (
                "This portal sends no text messages.",
                "Tento portál neposílá textové zprávy.",
            ),
        ));
    }
    let Some(phone) = portico_host::notify::normalize_phone(field(&fields, "phone").unwrap_or(""))
    else {
        return Err(unprocessable(
            ("Phone not changed", "Telefon nezměněn"),
            (
                "Enter the number with its country code, such as +420 601 234 567.",
                "Zadejte číslo s předvolbou země, např. +420 601 234 567.",
            ),
        ));
    };
    if !password_again(&state, connect, &headers, &session.user, &fields).await? {
        return Err(unprocessable(
            ("Phone not changed", "Telefon nezměněn"),
            (
                "The password is wrong; your phone stays as it is.",
                "Heslo není správné; váš telefon zůstává beze změny.",
            ),
        ));
    }
    // A few an hour, to each phone and from each person: texts cost.
    if !state.account_limiter.allow_mail(&format!("phone:{phone}"))
        || !state
            .account_limiter
            .allow_mail(&format!("user:{}", session.user.id))
    {
        return Err(too_many());
    }
    let db = state.services.platform().db();
    let code = self_service::request_phone_change(db, &session.user.id, &phone)
        .await
        .map_err(database)?;
    let portal = &state.config.portal_name;
    let text = if l == "cs" {
        format!("{portal}: kód pro potvrzení telefonu je {code}. Platí 15 minut.")
    } else {
        format!("{portal}: the code to confirm your phone is {code}. It works for 15 minutes.")
    };
    send_by(
        &state,
        Channel::Sms,
        &phone,
        "account-phone",
        (String::new(), text),
    )
    .await?;
    Ok(Redirect::to("/auth/me#phone").into_response())
}

/// `POST /auth/profile/phone/code`: the code typed back; the phone is the
/// account's from now on.
pub(super) async fn confirm_phone(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some(session) = logged_in(&visitor) else {
        return Ok(to_log_in());
    };
    let fields = fields(&state, &visitor, &headers, &body)?;
    // A few tries an hour: six digits are guessed otherwise.
    if !state
        .account_limiter
        .allow_mail(&format!("code:{}", session.user.id))
    {
        return Err(too_many());
    }
    let db = state.services.platform().db();
    let code = field(&fields, "code").unwrap_or("");
    match self_service::confirm_phone(db, &session.user.id, code)
        .await
        .map_err(database)?
    {
        Some(_) => Ok(Redirect::to("/auth/me#phone").into_response()),
        None => Err(unprocessable(
            ("Phone not confirmed", "Telefon nepotvrzen"),
            (
                "The code is wrong or no longer works. Type the six digits of the last text message, or ask for a new code.",
                "Kód není správný nebo už neplatí. Opište šest číslic z poslední zprávy, nebo si vyžádejte nový kód.",
            ),
        )),
    }
}

/// `POST /auth/profile/phone/remove`: no phone, and no text messages.
pub(super) async fn remove_phone(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some(session) = logged_in(&visitor) else {
        return Ok(to_log_in());
    };
    fields(&state, &visitor, &headers, &body)?;
    self_service::remove_phone(state.services.platform().db(), &session.user.id)
        .await
        .map_err(database)?;
    Ok(Redirect::to("/auth/me#phone").into_response())
}

/// `POST /auth/link/{provider}`: the person's own local account linked to
/// their eID: their password again here, then the eID's log-in, in this
/// browser still logged in to the account.
pub(super) async fn link_eid(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    visitor: Visitor,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some(session) = logged_in(&visitor) else {
        return Ok(to_log_in());
    };
    let fields = fields(&state, &visitor, &headers, &body)?;
    let for_citizens = state.config.identity_providers.iter().any(|p| {
        p.id == provider && p.users == portico_platform::identity::users::UserKind::Citizen
    });
    if !for_citizens {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            crate::failure::NOT_FOUND,
            (
                "There is no such eID service on this portal.",
                "Taková služba eID na tomto portálu není.",
            ),
        ));
    }
    if !self_service::changes_own_details(&session.user) {
        return Err(database(PlatformError::Forbidden(
            "only a citizen's own account is linked to an eID".into(),
        )));
    }
    if !password_again(&state, connect, &headers, &session.user, &fields).await? {
        return Err(unprocessable(
            ("Not linked", "Nepropojeno"),
            (
                "The password is wrong; nothing is linked.",
                "Heslo není správné; nic se nepropojilo.",
            ),
        ));
    }
    crate::oidc::begin(
        &state,
        &provider,
        Some("/auth/me#eid"),
        Some(session.user.id.clone()),
    )
    .await
}

/// `POST /auth/profile/email`: a link to the new address; the person is
/// told to look there, whatever the address turned out to be.
pub(super) async fn change_email(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    visitor: Visitor,
    Lang(l): Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some(session) = logged_in(&visitor) else {
        return Ok(to_log_in());
    };
    let fields = fields(&state, &visitor, &headers, &body)?;
    let base = link_base(&state, &headers).ok_or_else(unavailable)?;
    let email = field(&fields, "email").unwrap_or("").trim().to_lowercase();
    if !portico_platform::identity::users::is_plain_email(&email) {
        return Err(unprocessable(
            ("Address not changed", "Adresa nezměněna"),
            (
                "Enter an e-mail address such as jana@example.cz.",
                "Zadejte e-mailovou adresu, např. jana@example.cz.",
            ),
        ));
    }
    if !password_again(&state, connect, &headers, &session.user, &fields).await? {
        return Err(unprocessable(
            ("Address not changed", "Adresa nezměněna"),
            (
                "The password is wrong; your address stays as it is.",
                "Heslo není správné; vaše adresa zůstává beze změny.",
            ),
        ));
    }
    // A few an hour, to each address and from each person.
    if !state.account_limiter.allow_mail(&email)
        || !state
            .account_limiter
            .allow_mail(&format!("user:{}", session.user.id))
    {
        return Err(too_many());
    }
    let db = state.services.platform().db();
    let portal = &state.config.portal_name;
    let name = session.user.shown_name();
    let mail = match self_service::request_email_change(db, &session.user.id, &email)
        .await
        .map_err(database)?
    {
        EmailChange::Link(token) => {
            let link = format!("{base}/auth/email/{token}");
            if l == "cs" {
                (
                    format!("Potvrďte svou novou e-mailovou adresu pro {portal}"),
                    format!(
                        "Dobrý den, {name},\n\npro změnu adresy vašeho účtu na portálu {portal} na tuto otevřete odkaz (platí 48 hodin):\n\n{link}\n\nPokud jste o změnu nežádali, tento e-mail nevšímejte; nic se nezmění.\n"
                    ),
                )
            } else {
                (
                    format!("Confirm your new e-mail address for {portal}"),
                    format!(
                        "Hello {name},\n\nto make this the address of your account on {portal}, open this link (it works for 48 hours):\n\n{link}\n\nIf you did not ask for this, ignore this e-mail; nothing changes.\n"
                    ),
                )
            }
        }
        EmailChange::Taken => {
            if l == "cs" {
                (
                    format!("Adresa už patří účtu na portálu {portal}"),
                    format!(
                        "Dobrý den,\n\nněkdo, možná vy, chtěl tuto adresu použít pro jiný účet na portálu {portal}. Adresa už patří vašemu účtu, nic se nezměnilo.\n"
                    ),
                )
            } else {
                (
                    format!("This address belongs to an account on {portal}"),
                    format!(
                        "Hello,\n\nsomeone, perhaps you, wanted to use this address for another account on {portal}. It belongs to your account already; nothing changed.\n"
                    ),
                )
            }
        }
    };
    send(&state, &email, "account.email-change", mail).await?;
    let content = html! {
        div.notice role="status" {
            p { (tr(&l, "We sent a message to ", "Poslali jsme zprávu na adresu ")) strong { (email) } "." }
            p { (tr(&l, "Open the link in it to make it your address. Until then your address stays as it is.", "Odkazem v ní adresu potvrdíte. Do té doby zůstává vaše adresa beze změny.")) }
        }
        p { a href="/auth/me" { (tr(&l, "Back to my account", "Zpět na můj účet")) } }
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

/// `GET /auth/email/{token}`: a button, so that a mail scanner opening
/// the link changes nothing.
pub(super) async fn confirm_email_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Lang(l): Lang,
    Path(token): Path<String>,
) -> Response {
    let content = link_button(
        &visitor,
        &format!("/auth/email/{token}"),
        tr(
            &l,
            "Confirm that this address is yours to make it your account's address.",
            "Potvrďte, že tato adresa je vaše, a stane se adresou vašeho účtu.",
        ),
        tr(&l, "Confirm the new address", "Potvrdit novou adresu"),
    );
    page(
        &state,
        &l,
        &visitor,
        StatusCode::OK,
        tr(&l, "Your new e-mail address", "Vaše nová e-mailová adresa"),
        content,
    )
    .await
}

/// `POST /auth/email/{token}`: the address becomes the account's; the old
/// one is told.
pub(super) async fn confirm_email(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    visitor: Visitor,
    Lang(l): Lang,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    posted(&state, connect, &visitor, &headers, &body)?;
    let db = state.services.platform().db();
    let title = tr(&l, "Your new e-mail address", "Vaše nová e-mailová adresa");
    let (user, before) = match self_service::confirm_email(db, &token).await {
        Ok(Some(changed)) => changed,
        Ok(None) => {
            return Ok(page(
                &state,
                &l,
                &visitor,
                StatusCode::GONE,
                title,
                html! {
                    div.notice.notice-error role="alert" {
                        p { (tr(&l, "This link no longer works: it was used already or it expired. Your address stays as it was.", "Tento odkaz už neplatí: byl již použit, nebo vypršel. Vaše adresa zůstává beze změny.")) }
                    }
                    p { a href="/auth/me" { (tr(&l, "Back to my account", "Zpět na můj účet")) } }
                },
            )
            .await);
        }
        Err(PlatformError::Conflict(_)) => {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                ("Address not changed", "Adresa nezměněna"),
                (
                    "Another account took this address meanwhile; your address stays as it was.",
                    "Tuto adresu mezitím získal jiný účet; vaše adresa zůstává beze změny.",
                ),
            ));
        }
        Err(e) => return Err(database(e)),
    };
    let new = user.email.clone().unwrap_or_default();
    let portal = &state.config.portal_name;
    if let Some(old) = before.filter(|o| !o.eq_ignore_ascii_case(&new)) {
        let mail = if l == "cs" {
            (
                format!("Adresa vašeho účtu na portálu {portal} se změnila"),
                format!(
                    "Dobrý den,\n\nadresa vašeho účtu na portálu {portal} je nyní {new}. Pokud jste ji neměnili, obraťte se ihned na úřad.\n"
                ),
            )
        } else {
            (
                format!("The address of your account on {portal} changed"),
                format!(
                    "Hello,\n\nthe address of your account on {portal} is now {new}. If you did not change it, contact the office at once.\n"
                ),
            )
        };
        send(&state, &old, "account.email-changed", mail).await?;
    }
    let content = html! {
        div.notice role="status" {
            p { (tr(&l, "Your account's address is now ", "Adresa vašeho účtu je nyní ")) strong { (new) } "." }
        }
        p { a href="/auth/me" { (tr(&l, "Back to my account", "Zpět na můj účet")) } }
    };
    Ok(page(&state, &l, &visitor, StatusCode::OK, title, content).await)
}

/// `POST /auth/delete`: the account is deleted, with the person's password
/// (or, without one, their explicit consent); they are logged out.
pub(super) async fn delete(
    State(state): State<AppState>,
    connect: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some(session) = logged_in(&visitor) else {
        return Ok(to_log_in());
    };
    let fields = fields(&state, &visitor, &headers, &body)?;
    let refused = |en: &'static str, cs: &'static str| {
        unprocessable(
            ("The account was not deleted", "Účet nebyl zrušen"),
            (en, cs),
        )
    };
    if field(&fields, "understood") != Some("1") {
        return Err(refused(
            "Tick the box that says you understand what deleting the account does.",
            "Zaškrtněte, že rozumíte, co zrušení účtu znamená.",
        ));
    }
    let user = &session.user;
    if !password_again(&state, connect, &headers, user, &fields).await? {
        return Err(refused(
            "The password is wrong; the account stays.",
            "Heslo není správné; účet zůstává.",
        ));
    }
    let db = state.services.platform().db();
    self_service::delete_account(db, &user.id)
        .await
        .map_err(database)?;
    tracing::info!(user = %user.id, "account deleted at its owner's request");
    Ok(super::login::clear_session(
        &state,
        Redirect::to("/auth/deleted").into_response(),
    ))
}

/// `GET /auth/deleted`: what became of a deleted account.
pub(super) async fn deleted(
    State(state): State<AppState>,
    visitor: Visitor,
    Lang(l): Lang,
) -> Response {
    let content = html! {
        div.notice role="status" {
            p { (tr(&l, "Your account is deleted: its name, addresses and password are gone, and you are logged out. What the office must keep by law (the cases you filed, with what you wrote in them, and the records of what happened) it keeps.", "Váš účet je zrušen: jeho jméno, adresy a heslo jsou smazány a jste odhlášeni. Co úřad musí podle zákona uchovat (vaše podání včetně toho, co jste v nich uvedli, a záznamy o tom, co se stalo), uchová.")) }
        }
        p { a href="/" { (tr(&l, "To the portal's home", "Na úvodní stránku portálu")) } }
    };
    page(
        &state,
        &l,
        &visitor,
        StatusCode::OK,
        tr(&l, "Account deleted", "Účet zrušen"),
        content,
    )
    .await
}
