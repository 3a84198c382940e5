//! A connection of a module in one organization
//! (`/admin/orgs/{org}/modules/{id}/connections/{name}`): what it is for,
//! how it is set up (where the system is, the kind of credential, never
//! the credential itself), how it fares, the form that sets it up, and
//! what went through it: the deliveries, waiting, delivered or dead, with
//! a button that sends the dead ones again. A webhook connection shows
//! the address to give the sending system, and makes its secret, shown
//! once.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use portico_platform::connections::{self, Connection, Credential, Delivery, Setup};
use portico_platform::identity::users;
use portico_runtime::api::{
    Block, Cell, Choice, Condition, FieldKind, Form, FormButton, FormField, NoticeLevel, View,
};
use portico_runtime::manifest::{ConnectionKind, ConnectionSpec, Keyed};
use serde::Deserialize;

use super::{
    Admin, Done, checked_form, checked_org, installed, kv, link, page, table, text, to_login,
};
use crate::AppState;
use crate::extractors::{Lang, Visitor};
use crate::failure::{Failure, NOT_FOUND};
use crate::render::{moment, tr};

/// How many deliveries a page lists.
const DELIVERIES_PER_PAGE: u64 = 50;

/// What the page's address may carry.
#[derive(Deserialize, Default)]
pub(super) struct Shown {
    done: Option<String>,
    /// The deliveries older than this id.
    before: Option<i64>,
}

fn path_of(org: &str, id: &str, name: &str) -> String {
    format!("/admin/orgs/{org}/modules/{id}/connections/{name}")
}

/// The connection `name` the module declares, or the 404 that says it
/// declares none.
fn declared<'a>(
    m: &'a portico_runtime::LoadedModule,
    name: &str,
) -> Result<&'a ConnectionSpec, Failure> {
    m.manifest().connection(name).ok_or_else(|| {
        Failure::new(
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            (
                format!("{} declares no connection `{name}`.", m.manifest().name),
                format!(
                    "Modul {} nemá spojení `{name}`.",
                    m.manifest().name_in("cs")
                ),
            ),
        )
    })
}

/// The kind of a connection, for people.
fn kind_label(l: &str, kind: ConnectionKind) -> &'static str {
    match kind {
        ConnectionKind::Http => tr(l, "outgoing (HTTP)", "odchozí (HTTP)"),
        ConnectionKind::Webhook => tr(l, "incoming (webhook)", "příchozí (webhook)"),
    }
}

/// A credential's kind, for people.
fn credential_label(l: &str, kind: &str) -> &'static str {
    match kind {
        "bearer" => tr(l, "bearer token", "token (Bearer)"),
        "basic" => tr(l, "user name and password", "jméno a heslo"),
        "hmac" => tr(l, "shared secret (signature)", "sdílené tajemství (podpis)"),
        "client-certificate" => tr(l, "client certificate", "klientský certifikát"),
        _ => tr(l, "none", "žádné"),
    }
}

/// A moment people read, or a dash.
fn when(l: &str, micros: Option<i64>) -> String {
    micros
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map(|t| moment(t, l))
        .unwrap_or_else(|| "–".into())
}

/// Who set a connection up, as people read it: a person's name, or the
/// command line's account (`cli:jana`).
async fn who(state: &AppState, actor: &str) -> String {
    match users::get(state.services.platform().db(), actor).await {
        Ok(Some(u)) => u.display_name,
        _ => actor.to_owned(),
    }
}

/// How a connection fares, in a few words.
fn health_line(l: &str, c: &Connection) -> String {
    let h = &c.health;
    match (h.last_success_micros, h.failures_in_row) {
        (None, 0) => tr(l, "not used yet", "zatím nepoužito").into(),
        (_, 0) => format!(
            "{} {}",
            tr(l, "works; last success", "funguje; naposledy úspěšně"),
            when(l, h.last_success_micros)
        ),
        (_, n) => format!(
            "{} {n} {}: {}",
            tr(l, "failing:", "selhává:"),
            tr(l, "failures in a row", "selhání za sebou"),
            h.last_error.clone().unwrap_or_default()
        ),
    }
}

/// The address a sending system is given for a webhook connection.
fn webhook_address(state: &AppState, org: &str, id: &str, name: &str) -> String {
    let path = format!("/o/{org}/hooks/{id}/{name}");
    match state.config.public_url.as_deref() {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    }
}

/// `GET …/connections/{name}`.
pub(super) async fn connection_page(
    State(state): State<AppState>,
    Path((org, id, name)): Path<(String, String, String)>,
    Query(shown): Query<Shown>,
    visitor: Visitor,
    lang: Lang,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&path_of(&org, &id, &name)));
    };
    let done = Done {
        done: shown.done.clone(),
    };
    let flash = done.message(admin.l());
    render(
        &state,
        &admin,
        (&org, &id, &name),
        Typed::default(),
        shown.before,
        flash,
    )
    .await
}

/// What the administrator typed, shown again with what is wrong with it,
/// or a secret the host just made, shown once.
#[derive(Default)]
struct Typed {
    fields: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    new_secret: Option<String>,
}

async fn render(
    state: &AppState,
    admin: &Admin,
    (org, id, name): (&str, &str, &str),
    typed: Typed,
    before: Option<i64>,
    flash: Option<&str>,
) -> Result<Response, Failure> {
    let l = admin.l().to_owned();
    let the_org = checked_org(state, admin, org).await?;
    let m = installed(state, id)?;
    let spec = declared(&m, name)?.clone();
    let man = m.manifest();
    let db = state.services.platform().db();
    let current = connections::get(db, org, id, name)
        .await
        .map_err(|_| Failure::database())?;
    let purpose = man.text_in(Keyed::Connection, name, &l, &spec.purpose);
    let mut items = vec![
        kv(tr(&l, "Organization", "Organizace"), the_org.name.clone()),
        kv(tr(&l, "Module", "Modul"), man.name_in(&l).to_owned()),
        kv(
            tr(&l, "What it is for", "K čemu slouží"),
            purpose.to_owned(),
        ),
        kv(
            tr(&l, "Direction", "Směr"),
            kind_label(&l, spec.kind).into(),
        ),
    ];
    if spec.kind == ConnectionKind::Webhook {
        items.push(kv(
            tr(
                &l,
                "Address for the sending system",
                "Adresa pro odesílající systém",
            ),
            webhook_address(state, org, id, name),
        ));
    }
    match &current {
        None => items.push(kv(
            tr(&l, "State", "Stav"),
            tr(
                &l,
                "not set up: the module cannot use it",
                "nenastaveno: modul je nemůže použít",
            )
            .into(),
        )),
        Some(c) => {
            if let Some(url) = &c.setup.base_url {
                items.push(kv(tr(&l, "Base address", "Základní adresa"), url.clone()));
            }
            items.extend([
                kv(
                    tr(&l, "Credential", "Přihlašovací údaj"),
                    format!(
                        "{}{}",
                        credential_label(&l, c.setup.credential.kind()),
                        if c.setup.credential == Credential::None {
                            ""
                        } else {
                            tr(
                                &l,
                                " (set; never shown)",
                                " (nastaveno; nikdy se nezobrazuje)",
                            )
                        }
                    ),
                ),
                kv(tr(&l, "Health", "Stav spojení"), health_line(&l, c)),
                kv(
                    tr(&l, "Last failure", "Poslední selhání"),
                    when(&l, c.health.last_failure_micros),
                ),
                kv(
                    tr(&l, "Set up", "Nastaveno"),
                    format!(
                        "{} ({})",
                        when(&l, Some(c.updated_at_micros)),
                        who(state, &c.updated_by).await
                    ),
                ),
            ]);
        }
    }
    let mut blocks = vec![Block::KeyValues { items }];
    if let Some(secret) = &typed.new_secret {
        blocks.push(Block::Notice {
            level: NoticeLevel::Warning,
            text: format!(
                "{} {secret}",
                tr(
                    &l,
                    "The new secret, to give to the sending system now: it is not shown again.",
                    "Nové tajemství, předejte je nyní odesílajícímu systému: znovu se nezobrazí."
                )
            ),
        });
    }
    blocks.push(Block::Heading {
        level: 2,
        text: tr(&l, "Set it up", "Nastavení").into(),
    });
    if !typed.errors.is_empty() {
        blocks.push(Block::Notice {
            level: NoticeLevel::Error,
            text: tr(
                &l,
                "The connection was not saved: see what is wrong below.",
                "Spojení nebylo uloženo: co je špatně, je uvedeno níže.",
            )
            .into(),
        });
    }
    blocks.push(Block::Form(setup_form(
        &l,
        &path_of(org, id, name),
        spec.kind,
        current.as_ref(),
        &typed,
    )));
    if spec.kind == ConnectionKind::Http {
        deliveries(&l, state, (org, id, name), before, &mut blocks).await?;
    }
    let view = View {
        title: format!("{} – {name}", man.name_in(&l)),
        blocks,
    };
    let mut response = page(state, admin, &view, flash).await;
    if !typed.errors.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The deliveries of the connection: how many in each state, the newest
/// page of them, and the button that sends the dead ones again.
async fn deliveries(
    l: &str,
    state: &AppState,
    (org, id, name): (&str, &str, &str),
    before: Option<i64>,
    blocks: &mut Vec<Block>,
) -> Result<(), Failure> {
    let db = state.services.platform().db();
    let counts = connections::counts(db, org, id, name)
        .await
        .map_err(|_| Failure::database())?;
    let list = connections::deliveries(db, org, id, name, before, DELIVERIES_PER_PAGE)
        .await
        .map_err(|_| Failure::database())?;
    blocks.push(Block::Heading {
        level: 2,
        text: tr(l, "What was sent", "Co bylo odesláno").into(),
    });
    blocks.push(Block::KeyValues {
        items: vec![
            kv(tr(l, "Waiting", "Čeká"), counts.waiting.to_string()),
            kv(tr(l, "Delivered", "Doručeno"), counts.delivered.to_string()),
            kv(
                tr(l, "Dead (given up)", "Nedoručitelné (vzdáno)"),
                counts.dead.to_string(),
            ),
        ],
    });
    let rows: Vec<Vec<Cell>> = list.iter().map(|d| delivery_row(l, d)).collect();
    blocks.push(table(
        tr(l, "Deliveries, newest first", "Doručení, od nejnovějších"),
        &[
            tr(l, "Number", "Číslo"),
            tr(l, "Key", "Klíč"),
            tr(l, "Request", "Požadavek"),
            tr(l, "Handed over", "Předáno"),
            tr(l, "State", "Stav"),
            tr(l, "Attempts", "Pokusy"),
            tr(l, "Last answer", "Poslední odpověď"),
            tr(l, "Delivered", "Doručeno"),
        ],
        rows,
        tr(l, "Nothing was sent yet.", "Zatím nic odesláno nebylo."),
    ));
    if list.len() as u64 == DELIVERIES_PER_PAGE
        && let Some(last) = list.last()
    {
        blocks.push(Block::Actions {
            items: vec![portico_runtime::api::Action {
                label: tr(l, "Older deliveries", "Starší doručení").into(),
                href: format!("{}?before={}", path_of(org, id, name), last.id),
                style: portico_runtime::api::ActionStyle::Secondary,
            }],
        });
    }
    if counts.dead > 0 {
        blocks.push(Block::Form(Form {
            action: path_of(org, id, name),
            submit_label: tr(l, "Send the dead ones again", "Odeslat nedoručitelné znovu").into(),
            fields: vec![FormField {
                name: "action".into(),
                kind: FieldKind::Hidden,
                value: Some("redrive".into()),
                ..Default::default()
            }],
            ..Default::default()
        }));
    }
    Ok(())
}

fn delivery_row(l: &str, d: &Delivery) -> Vec<Cell> {
    let state = match d.status.as_str() {
        "delivered" => tr(l, "delivered", "doručeno"),
        "dead" => tr(l, "dead", "nedoručitelné"),
        _ if d.attempts > 0 => tr(l, "waiting to try again", "čeká na další pokus"),
        _ => tr(l, "waiting", "čeká"),
    };
    let answer = match (&d.last_status, &d.last_error) {
        (_, Some(e)) if d.status != "delivered" => e.clone(),
        (Some(s), _) => format!("HTTP {s}"),
        _ => "–".into(),
    };
    vec![
        text(d.id.to_string()),
        text(d.key.clone()),
        text(format!("{} {}", d.request.method, d.request.path)),
        text(when(l, Some(d.queued_at_micros))),
        text(state),
        text(d.attempts.to_string()),
        text(answer),
        text(when(l, d.delivered_at_micros)),
    ]
}

/// A field shown only while the credential select is one of `kinds`.
fn when_credential(kinds: &[&str]) -> Option<Condition> {
    Some(Condition {
        field: "credential".into(),
        values: kinds.iter().map(|k| (*k).to_owned()).collect(),
    })
}

fn setup_form(
    l: &str,
    action: &str,
    kind: ConnectionKind,
    current: Option<&Connection>,
    typed: &Typed,
) -> Form {
    let value = |name: &str, stored: Option<String>| typed.fields.get(name).cloned().or(stored);
    let error = |name: &str| typed.errors.get(name).cloned();
    let setup = current.map(|c| &c.setup);
    let secret_help = if current.is_some_and(|c| c.setup.credential != Credential::None) {
        tr(
            l,
            "Leave empty to keep the one set. It is never shown again.",
            "Ponechte prázdné, chcete-li zachovat nastavené. Znovu se nezobrazí.",
        )
    } else {
        tr(l, "It is never shown again.", "Znovu se nezobrazí.")
    };
    let mut fields = Vec::new();
    if kind == ConnectionKind::Http {
        let credential = value("credential", setup.map(|s| s.credential.kind().to_owned()))
            .unwrap_or_else(|| "bearer".into());
        fields.extend([
            FormField {
                name: "base_url".into(),
                label: tr(l, "Base address", "Základní adresa").into(),
                kind: FieldKind::Text,
                required: true,
                value: value("base_url", setup.and_then(|s| s.base_url.clone())),
                help: Some(
                    tr(
                        l,
                        "HTTPS, e.g. https://peer.example/api; the module asks only for paths below it.",
                        "HTTPS, např. https://peer.example/api; modul smí jen na cesty pod ní.",
                    )
                    .into(),
                ),
                error: error("base_url"),
                ..Default::default()
            },
            FormField {
                name: "credential".into(),
                label: tr(l, "Credential", "Přihlašovací údaj").into(),
                kind: FieldKind::Select,
                required: true,
                value: Some(credential),
                choices: ["none", "bearer", "basic", "hmac", "client-certificate"]
                    .into_iter()
                    .map(|k| Choice {
                        value: k.into(),
                        label: credential_label(l, k).into(),
                    })
                    .collect(),
                error: error("credential"),
                ..Default::default()
            },
            FormField {
                name: "username".into(),
                label: tr(l, "User name", "Uživatelské jméno").into(),
                kind: FieldKind::Text,
                value: value(
                    "username",
                    setup.and_then(|s| match &s.credential {
                        Credential::Basic { username, .. } => Some(username.clone()),
                        _ => None,
                    }),
                ),
                shown_when: when_credential(&["basic"]),
                required_when: when_credential(&["basic"]),
                error: error("username"),
                ..Default::default()
            },
            FormField {
                name: "secret".into(),
                label: tr(l, "Token, password or secret", "Token, heslo nebo tajemství").into(),
                kind: FieldKind::Password,
                autocomplete: Some("new-password".into()),
                help: Some(secret_help.into()),
                shown_when: when_credential(&["bearer", "basic", "hmac"]),
                error: error("secret"),
                ..Default::default()
            },
            FormField {
                name: "certificate".into(),
                label: tr(l, "Client certificate (PEM)", "Klientský certifikát (PEM)").into(),
                kind: FieldKind::Textarea,
                value: value(
                    "certificate",
                    setup.and_then(|s| match &s.credential {
                        Credential::ClientCertificate { certificate, .. } => {
                            Some(certificate.clone())
                        }
                        _ => None,
                    }),
                ),
                shown_when: when_credential(&["client-certificate"]),
                error: error("certificate"),
                ..Default::default()
            },
            FormField {
                name: "key".into(),
                label: tr(l, "Its private key (PEM)", "Jeho soukromý klíč (PEM)").into(),
                kind: FieldKind::Textarea,
                help: Some(secret_help.into()),
                shown_when: when_credential(&["client-certificate"]),
                error: error("key"),
                ..Default::default()
            },
            FormField {
                name: "extra_ca".into(),
                label: tr(
                    l,
                    "Certificate authority trusted besides the usual ones (PEM, optional)",
                    "Certifikační autorita důvěryhodná navíc k obvyklým (PEM, nepovinné)",
                )
                .into(),
                kind: FieldKind::Textarea,
                value: value("extra_ca", setup.and_then(|s| s.extra_ca.clone())),
                error: error("extra_ca"),
                ..Default::default()
            },
            FormField {
                name: "timeout".into(),
                label: tr(l, "Time to answer (seconds)", "Čas na odpověď (sekundy)").into(),
                kind: FieldKind::Number,
                required: true,
                value: value(
                    "timeout",
                    Some(setup.map_or(10.0, |s| s.timeout.as_secs_f64()).to_string()),
                ),
                min: Some("1".into()),
                max: Some(portico_host::connections::MAX_TIMEOUT.as_secs().to_string()),
                error: error("timeout"),
                ..Default::default()
            },
            FormField {
                name: "max_kib".into(),
                label: tr(l, "Largest answer (KiB)", "Největší odpověď (KiB)").into(),
                kind: FieldKind::Number,
                required: true,
                value: value(
                    "max_kib",
                    Some(setup.map_or(1024, |s| s.max_response_bytes / 1024).to_string()),
                ),
                min: Some("1".into()),
                max: Some((portico_host::connections::MAX_RESPONSE_CAP / 1024).to_string()),
                error: error("max_kib"),
                ..Default::default()
            },
            FormField {
                name: "rate".into(),
                label: tr(l, "Most requests a minute", "Nejvýše požadavků za minutu").into(),
                kind: FieldKind::Number,
                required: true,
                value: value(
                    "rate",
                    Some(setup.map_or(600, |s| s.rate_per_minute).to_string()),
                ),
                min: Some("1".into()),
                error: error("rate"),
                ..Default::default()
            },
        ]);
    } else {
        fields.extend([
            FormField {
                name: "credential".into(),
                kind: FieldKind::Hidden,
                value: Some("hmac".into()),
                ..Default::default()
            },
            FormField {
                name: "secret".into(),
                label: tr(l, "Shared secret", "Sdílené tajemství").into(),
                kind: FieldKind::Password,
                autocomplete: Some("new-password".into()),
                help: Some(
                    format!(
                        "{} {secret_help}",
                        tr(
                            l,
                            "As the sending system has it: whsec_ and base64 (Standard Webhooks). Or leave it empty and make a new one below.",
                            "Jak je má odesílající systém: whsec_ a base64 (Standard Webhooks). Nebo je ponechte prázdné a nechte vytvořit nové níže."
                        )
                    ),
                ),
                error: error("secret"),
                ..Default::default()
            },
            FormField {
                name: "new_secret".into(),
                label: tr(l, "Make a new secret", "Vytvořit nové tajemství").into(),
                kind: FieldKind::Checkbox,
                ..Default::default()
            },
        ]);
    }
    Form {
        action: action.to_owned(),
        submit_label: tr(l, "Save the connection", "Uložit spojení").into(),
        fields,
        buttons: if current.is_some() {
            vec![FormButton {
                name: "remove".into(),
                label: tr(l, "Remove the set-up", "Odebrat nastavení").into(),
            }]
        } else {
            Vec::new()
        },
    }
}

/// `POST …/connections/{name}`: set up, remove, or send the dead
/// deliveries again.
pub(super) async fn change_connection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, id, name)): Path<(String, String, String)>,
    visitor: Visitor,
    lang: Lang,
    body: Bytes,
) -> Result<Response, Failure> {
    let path = path_of(&org, &id, &name);
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&path));
    };
    let fields = checked_form(&admin, &headers, &body)?;
    checked_org(&state, &admin, &org).await?;
    let m = installed(&state, &id)?;
    let spec = declared(&m, &name)?.clone();
    let actor = admin.session.user.id.clone();
    let db = state.services.platform().db();
    let key = (org.clone(), id.clone(), name.clone());
    if fields.get("action").map(String::as_str) == Some("redrive") {
        let n = connections::redrive(db, &org, &id, &name, None, &actor)
            .await
            .map_err(|e| match e {
                portico_platform::PlatformError::NotFound(_) => Failure::new(
                    StatusCode::NOT_FOUND,
                    NOT_FOUND,
                    (
                        "There is no dead delivery to send again.",
                        "Žádné nedoručitelné doručení k opětovnému odeslání není.",
                    ),
                ),
                _ => Failure::database(),
            })?;
        tracing::info!(org = %org, module = %id, connection = %name, by = %actor, deliveries = n, "dead deliveries re-driven from the console");
        return Ok(Redirect::to(&format!("{path}?done=deliveries-redriven")).into_response());
    }
    if fields.get("_button").map(String::as_str) == Some("remove") {
        state
            .services
            .remove_connection(&key, &actor)
            .await
            .map_err(|e| match e {
                portico_platform::PlatformError::NotFound(_) => Failure::new(
                    StatusCode::NOT_FOUND,
                    NOT_FOUND,
                    (
                        "The connection is not set up: there is nothing to remove.",
                        "Spojení není nastaveno: není co odebrat.",
                    ),
                ),
                _ => Failure::database(),
            })?;
        return Ok(Redirect::to(&format!("{path}?done=connection-removed")).into_response());
    }
    let current = connections::get(db, &org, &id, &name)
        .await
        .map_err(|_| Failure::database())?;
    let reach = state.services.connectors().reach();
    let (setup, new_secret, errors) =
        read_setup(admin.l(), spec.kind, &fields, current.as_ref(), &reach);
    if let Some(setup) = setup.filter(|_| errors.is_empty()) {
        state
            .services
            .set_connection(&key, &setup, &actor)
            .await
            .map_err(|_| Failure::database())?;
        tracing::info!(org = %org, module = %id, connection = %name, by = %actor, credential = setup.credential.kind(), "connection set up from the console");
        if new_secret.is_some() {
            // Shown once, on this page, never stored anywhere it can be
            // read back.
            let flash = Done {
                done: Some("connection-saved".into()),
            };
            return render(
                &state,
                &admin,
                (&org, &id, &name),
                Typed {
                    new_secret,
                    ..Typed::default()
                },
                None,
                flash.message(admin.l()),
            )
            .await;
        }
        return Ok(Redirect::to(&format!("{path}?done=connection-saved")).into_response());
    }
    let mut typed = fields;
    for secret in ["secret", "key"] {
        typed.remove(secret);
    }
    render(
        &state,
        &admin,
        (&org, &id, &name),
        Typed {
            fields: typed,
            errors,
            new_secret: None,
        },
        None,
        None,
    )
    .await
}

/// The set-up the form asks for (a secret left empty keeps the one set
/// for the same kind of credential), a secret the host made when asked,
/// and what is wrong, by field, in the administrator's language.
fn read_setup(
    l: &str,
    kind: ConnectionKind,
    fields: &BTreeMap<String, String>,
    current: Option<&Connection>,
    reach: &portico_host::connections::Reach,
) -> (Option<Setup>, Option<String>, BTreeMap<String, String>) {
    let mut errors = BTreeMap::new();
    let get = |n: &str| {
        fields
            .get(n)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    // A credential stays, left empty, only with the same kind and where
    // it was set for: one never follows a new address by itself.
    let same_place = current.is_none_or(|c| {
        portico_host::connections::same_origin(
            c.setup.base_url.as_deref(),
            get("base_url").as_deref(),
        )
    });
    let kept = |kind: &str| {
        current
            .map(|c| &c.setup.credential)
            .filter(|c| c.kind() == kind && same_place)
    };
    let needed = tr(
        l,
        "is needed for this credential",
        "je pro tento údaj třeba",
    );
    let mut new_secret = None;
    let credential_kind = get("credential").unwrap_or_else(|| "none".into());
    let secret = || {
        get("secret").or_else(|| match kept(&credential_kind) {
            Some(Credential::Bearer { token }) => Some(token.clone()),
            Some(Credential::Basic { password, .. }) => Some(password.clone()),
            Some(Credential::Hmac { secret }) => Some(secret.clone()),
            _ => None,
        })
    };
    let credential = match credential_kind.as_str() {
        "none" => Some(Credential::None),
        "bearer" => secret().map(|token| Credential::Bearer { token }),
        "basic" => match (get("username"), secret()) {
            (Some(username), Some(password)) => Some(Credential::Basic { username, password }),
            (None, _) => {
                errors.insert("username".into(), needed.into());
                None
            }
            _ => None,
        },
        "hmac"
            if fields
                .get("new_secret")
                .is_some_and(|v| v == "true" || v == "on") =>
        {
            let secret = portico_host::connections::new_webhook_secret();
            new_secret = Some(secret.clone());
            Some(Credential::Hmac { secret })
        }
        "hmac" => secret().map(|secret| Credential::Hmac { secret }),
        "client-certificate" => {
            let key = get("key").or_else(|| match kept("client-certificate") {
                Some(Credential::ClientCertificate { key, .. }) => Some(key.clone()),
                _ => None,
            });
            match (get("certificate"), key) {
                (Some(certificate), Some(key)) => {
                    Some(Credential::ClientCertificate { certificate, key })
                }
                (None, _) => {
                    errors.insert("certificate".into(), needed.into());
                    None
                }
                (_, None) => {
                    errors.insert("key".into(), needed.into());
                    None
                }
            }
        }
        other => {
            errors.insert(
                "credential".into(),
                format!("{} `{other}`", tr(l, "there is no credential", "není údaj")),
            );
            None
        }
    };
    if credential.is_none() && errors.is_empty() {
        let why = if same_place {
            needed
        } else {
            tr(
                l,
                "type it again: the address changed, and a credential goes only where it was set for",
                "zadejte jej znovu: adresa se změnila a údaj smí jen tam, pro kam byl nastaven",
            )
        };
        errors.insert("secret".into(), why.into());
    }
    let number = |n: &str, errors: &mut BTreeMap<String, String>, default: f64| match get(n) {
        None => default,
        Some(v) => match v.replace(',', ".").parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => x,
            _ => {
                errors.insert(
                    n.into(),
                    format!(
                        "`{v}` {}",
                        tr(l, "is not a positive number", "není kladné číslo")
                    ),
                );
                default
            }
        },
    };
    let timeout = number("timeout", &mut errors, 10.0);
    let max_kib = number("max_kib", &mut errors, 1024.0);
    let rate = number("rate", &mut errors, 600.0);
    let Some(credential) = credential else {
        return (None, None, errors);
    };
    let setup = Setup {
        base_url: if kind == ConnectionKind::Http {
            get("base_url")
        } else {
            None
        },
        credential,
        extra_ca: get("extra_ca"),
        timeout: Duration::from_secs_f64(timeout.min(3600.0)),
        max_response_bytes: (max_kib * 1024.0).min(u64::MAX as f64) as u64,
        rate_per_minute: rate.min(f64::from(u32::MAX)) as u32,
    };
    if let Err(p) =
        portico_host::connections::check_setup(&setup, kind == ConnectionKind::Webhook, reach)
    {
        let field = match p.field {
            "max_response_bytes" => "max_kib",
            "rate_per_minute" => "rate",
            f => f,
        };
        errors.insert(field.into(), p.message(l).to_owned());
    }
    (Some(setup), new_secret, errors)
}

/// The table of the module's connections on its page in an organization.
pub(super) async fn section(
    state: &AppState,
    l: &str,
    org: &str,
    m: &portico_runtime::LoadedModule,
    blocks: &mut Vec<Block>,
) {
    if m.manifest().connections.is_empty() {
        return;
    }
    blocks.push(Block::Heading {
        level: 2,
        text: tr(
            l,
            "Connections to other systems",
            "Spojení s jinými systémy",
        )
        .into(),
    });
    let man = m.manifest();
    let db = state.services.platform().db();
    let set_up = connections::of_module(db, org, &man.id)
        .await
        .unwrap_or_default();
    let mut rows = Vec::new();
    for c in &man.connections {
        let stored = set_up.iter().find(|s| s.name == c.name);
        let waiting = match (c.kind, stored) {
            (ConnectionKind::Http, Some(_)) => connections::counts(db, org, &man.id, &c.name)
                .await
                .map(|n| format!("{} / {}", n.waiting, n.dead))
                .unwrap_or_default(),
            _ => "–".into(),
        };
        rows.push(vec![
            link(c.name.clone(), path_of(org, &man.id, &c.name)),
            text(
                man.text_in(Keyed::Connection, &c.name, l, &c.purpose)
                    .to_owned(),
            ),
            text(kind_label(l, c.kind)),
            text(match stored {
                Some(s) => health_line(l, s),
                None => tr(l, "not set up", "nenastaveno").into(),
            }),
            text(waiting),
        ]);
    }
    blocks.push(table(
        tr(
            l,
            "What the module talks to, as set up here",
            "S čím modul komunikuje, jak je zde nastaveno",
        ),
        &[
            tr(l, "Connection", "Spojení"),
            tr(l, "What it is for", "K čemu slouží"),
            tr(l, "Direction", "Směr"),
            tr(l, "State", "Stav"),
            tr(l, "Waiting / dead", "Čeká / nedoručitelné"),
        ],
        rows,
        "",
    ));
}
