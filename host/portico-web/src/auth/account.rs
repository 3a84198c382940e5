//! The logged-in person's own pages: `/auth/me` (who they are, their
//! roles per organization, how they are told of things, log-out
//! everywhere; JSON for API clients) and the change of a local password,
//! which ends every other session.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use portico_platform::identity::logins::PasswordCheck;
use portico_platform::identity::sessions::Session;
use portico_platform::identity::users::{self, Assurance};
use portico_platform::identity::{accounts, passwords, roles, self_service};

use super::{client_address, field, posted_session};
use crate::AppState;
use crate::extractors::{Lang, Visitor, form_fields};
use crate::failure::{Failure, NOT_LOGGED_IN};
use crate::frame::{frame_of_path, html_response, role_label, wants_json};
use crate::render::{self, CSRF_FIELD};

/// The logged-in user: who they are and their roles per organization.
pub(super) async fn me(
    State(state): State<AppState>,
    visitor: Visitor,
    Lang(lang): Lang,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let Visitor::User(session) = &visitor else {
        if wants_json(&headers) {
            return Err(Failure::new(
                StatusCode::UNAUTHORIZED,
                NOT_LOGGED_IN,
                ("Nobody is logged in.", "Nikdo není přihlášen."),
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
            "notify_email": user.notify_email,
            "phone": user.phone,
            "notify_sms": user.notify_sms,
            "csrf_token": session.csrf,
        }))
        .into_response());
    }
    let l = lang.as_str();
    let mut shell = frame_of_path(&state, "/", l, &visitor).await;
    shell.user = Some(user.shown_name().to_owned());
    shell.csrf = session.csrf.clone();
    // Each organization by its name, each role by its label.
    let mut named = Vec::new();
    for (org, roles) in &by_org {
        let name = if org == roles::EVERY_ORG {
            render::tr(l, "Every organization", "Všechny organizace").to_owned()
        } else {
            state
                .services
                .org(org)
                .await
                .map_or_else(|_| org.clone(), |o| o.name.clone())
        };
        let labels: Vec<String> = roles.iter().map(|r| role_label(&state, r, l)).collect();
        named.push((name, labels));
    }
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
    let texts = state.services.senders().sms.is_some();
    // The identity providers for citizens an account can be linked to.
    let eids: Vec<(String, String)> = state
        .config
        .identity_providers
        .iter()
        .filter(|p| p.users == users::UserKind::Citizen)
        .map(|p| (p.id.clone(), p.label.clone()))
        .collect();
    let waiting = if texts && self_service::changes_own_details(user) {
        self_service::phone_waiting(db, &user.id)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read a phone's code");
                Failure::database()
            })?
    } else {
        None
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
                @for (org, roles) in &named {
                    li { (org) ": " (roles.join(", ")) }
                }
            }
        }
        h2 #notices { (render::tr(l, "How we tell you of things", "Jak vám dáváme vědět")) }
        form method="post" action="/auth/notices" {
            input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
            p { (render::tr(l, "Every message reaches your inbox on the portal.", "Každá zpráva přijde do vaší schránky na portálu.")) }
            @if let Some(email) = &user.email {
                div.field.checkbox {
                    input #n-email type="checkbox" name="email" value="1" checked[user.notify_email];
                    label for="n-email" { (render::tr(l, "Also by e-mail to ", "Také e-mailem na adresu ")) (email) }
                }
            } @else {
                p.muted { (render::tr(l, "Your account has no e-mail address to send messages to.", "Váš účet nemá e-mailovou adresu, na kterou by šlo zprávy posílat.")) }
            }
            @if let (Some(phone), true) = (&user.phone, texts) {
                div.field.checkbox {
                    input #n-sms type="checkbox" name="sms" value="1" checked[user.notify_sms];
                    label for="n-sms" { (render::tr(l, "Also by text message to ", "Také textovou zprávou na číslo ")) (phone) }
                }
            }
            @if user.email.is_some() || (user.phone.is_some() && texts) {
                button.button.secondary type="submit" { (render::tr(l, "Save", "Uložit")) }
            }
        }
        @if self_service::changes_own_details(user) {
            h2 #profile { (render::tr(l, "Your name and address", "Vaše jméno a adresa")) }
            form method="post" action="/auth/profile/name" {
                input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                div.field {
                    label for="p-name" { (render::tr(l, "The name you go by on the portal", "Jméno, pod kterým na portálu vystupujete")) }
                    input #p-name type="text" name="name" value=(user.display_name) autocomplete="name" required;
                }
                button.button.secondary type="submit" { (render::tr(l, "Save the name", "Uložit jméno")) }
            }
            form method="post" action="/auth/profile/email" {
                input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                div.field {
                    label for="p-email" { (render::tr(l, "E-mail address", "E-mailová adresa")) }
                    input #p-email type="email" name="email" value=(user.email.as_deref().unwrap_or_default())
                        autocomplete="email" required aria-describedby="p-email-help";
                    p.help #p-email-help { (render::tr(l, "A new address counts once you open the link we send to it.", "Nová adresa platí, až otevřete odkaz, který na ni pošleme.")) }
                }
                @if user.has_password {
                    div.field {
                        label for="p-password" { (render::tr(l, "Your password", "Vaše heslo")) }
                        input #p-password type="password" name="password" autocomplete="current-password" required;
                    }
                }
                button.button.secondary type="submit" { (render::tr(l, "Change the address", "Změnit adresu")) }
            }
        }
        @if self_service::changes_own_details(user) && !eids.is_empty() {
            h2 #eid { (render::tr(l, "Log in with the eID", "Přihlášení přes eID")) }
            p { (render::tr(l, "Link this account to your eID: then you log in to it with the eID too, and forms that need a verified identity take your details from it. You prove both: your password here, then the eID's log-in.", "Propojte tento účet se svým eID: pak se k němu přihlásíte i přes eID a formuláře, které vyžadují ověřenou totožnost, převezmou vaše údaje z něj. Prokážete obojí: heslo zde a poté přihlášení přes eID.")) }
            @for (id, label) in &eids {
                form method="post" action=(format!("/auth/link/{id}")) {
                    input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                    @if user.has_password {
                        div.field {
                            label for=(format!("e-password-{id}")) { (render::tr(l, "Your password", "Vaše heslo")) }
                            input #(format!("e-password-{id}")) type="password" name="password" autocomplete="current-password" required;
                        }
                    }
                    button.button.secondary type="submit" { (render::tr(l, "Link with ", "Propojit s ")) (label) }
                }
            }
        }
        @if texts && self_service::changes_own_details(user) {
            h2 #phone { (render::tr(l, "Your phone", "Váš telefon")) }
            @if let Some(phone) = &user.phone {
                form method="post" action="/auth/profile/phone/remove" {
                    input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                    p { (render::tr(l, "Confirmed: ", "Potvrzený: ")) (phone) }
                    button.button.secondary type="submit" { (render::tr(l, "Remove the phone", "Odebrat telefon")) }
                }
            }
            @if let Some(phone) = &waiting {
                form method="post" action="/auth/profile/phone/code" {
                    input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                    div.field {
                        label for="p-code" { (render::tr(l, "The code from the text message to ", "Kód z textové zprávy na číslo ")) (phone) }
                        input #p-code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required;
                    }
                    button.button.primary type="submit" { (render::tr(l, "Confirm the phone", "Potvrdit telefon")) }
                }
            }
            form method="post" action="/auth/profile/phone" {
                input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                div.field {
                    label for="p-phone" { (render::tr(l, "A new phone number", "Nové telefonní číslo")) }
                    input #p-phone type="tel" name="phone" autocomplete="tel" aria-describedby="p-phone-help" required;
                    p.help #p-phone-help { (render::tr(l, "With its country code, such as +420 601 234 567. We send a code to it to type back here.", "S předvolbou země, např. +420 601 234 567. Pošleme na něj kód, který opíšete sem.")) }
                }
                @if user.has_password {
                    div.field {
                        label for="ph-password" { (render::tr(l, "Your password", "Vaše heslo")) }
                        input #ph-password type="password" name="password" autocomplete="current-password" required;
                    }
                }
                button.button.secondary type="submit" { (render::tr(l, "Send a code", "Poslat kód")) }
            }
        }
        @if user.has_password {
            p { a href="/auth/password" { (render::tr(l, "Change password", "Změnit heslo")) } }
        }
        form method="post" action="/auth/logout-everywhere" {
            input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
            button.button.secondary type="submit" { (render::tr(l, "Log out everywhere", "Odhlásit se všude")) }
        }
        @if user.kind == users::UserKind::Citizen {
            h2 #delete { (render::tr(l, "Delete the account", "Zrušení účtu")) }
            form method="post" action="/auth/delete" {
                input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                p { (render::tr(l, "The account's name, addresses and password are erased and you are logged out for good. What the office must keep by law (the cases you filed, with what you wrote in them, and the records of what happened) it keeps.", "Jméno, adresy a heslo účtu se smažou a budete natrvalo odhlášeni. Co úřad musí podle zákona uchovat (vaše podání včetně toho, co jste v nich uvedli, a záznamy o tom, co se stalo), uchová.")) }
                @if user.has_password {
                    div.field {
                        label for="d-password" { (render::tr(l, "Your password", "Vaše heslo")) }
                        input #d-password type="password" name="password" autocomplete="current-password" required;
                    }
                }
                div.field.checkbox {
                    input #d-understood type="checkbox" name="understood" value="1" required;
                    label for="d-understood" { (render::tr(l, "I understand that this cannot be undone", "Rozumím, že to nelze vrátit")) }
                }
                button.button.danger type="submit" { (render::tr(l, "Delete my account", "Zrušit můj účet")) }
            }
        }
    };
    Ok(html_response(
        StatusCode::OK,
        render::page(&shell, user.shown_name(), content),
    ))
}

/// `POST /auth/notices`: whether messages to the person go to their
/// e-mail address and their confirmed phone too; back to their page.
pub(super) async fn set_notices(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some((session, _)) = posted_session(&state, &headers, &body).await? else {
        return Ok(Redirect::to("/auth/login?next=/auth/me").into_response());
    };
    let fields = form_fields(&headers, &body)?;
    if !state.account_limiter.allow_change(&session.user.id) {
        return Err(super::register::too_many());
    }
    let by_email = field(&fields, "email") == Some("1") && session.user.email.is_some();
    let by_sms = field(&fields, "sms") == Some("1") && state.services.senders().sms.is_some();
    users::set_notices(
        state.services.platform().db(),
        &session.user.id,
        by_email,
        by_sms,
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "cannot save how a person is told of things");
        Failure::database()
    })?;
    Ok(Redirect::to("/auth/me#notices").into_response())
}

/// The page where a person with a local password changes it.
fn password_form(
    state: &AppState,
    l: &str,
    session: &Session,
    status: StatusCode,
    message: Option<(&str, bool)>,
) -> Response {
    let mut shell = crate::frame::shell(state, None, None, l, None);
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

pub(super) async fn password_page(
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
pub(super) async fn change_password(
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
