//! A module in one organization (`/admin/orgs/{org}/modules/{id}`):
//! enabling and disabling it there (and below), its settings as a form
//! generated from the manifest's settings schema and checked with
//! `SettingSpec::check`, and the events and messages it could not take
//! (dead letters), the messages with a button that puts them back in line.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use portico_platform::modules::Change;
use portico_platform::{events, messages};
use portico_runtime::api::{Block, Cell, Choice, FieldKind, Form, FormField, NoticeLevel, View};
use portico_runtime::manifest::{Manifest, SettingType};

use super::{
    Admin, Confirm, Done, checked_form, checked_org, confirm_page, installed, kv, page, table,
    text, to_login,
};
use crate::AppState;
use crate::extractors::{Lang, Visitor};
use crate::failure::{BAD_REQUEST, Failure};
use crate::render::tr;

/// The settings form of a module in an organization.
fn settings_form(
    l: &str,
    org: &str,
    man: &Manifest,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
) -> Form {
    let id = man.id.as_str();
    let fields = man
        .settings
        .iter()
        .flat_map(|(key, spec)| {
            // Content set per language: one field for each of them.
            let keys: Vec<(String, Option<&str>)> = if spec.translated {
                vec![(key.clone(), Some("cs")), (format!("{key}.en"), Some("en"))]
            } else {
                vec![(key.clone(), None)]
            };
            keys.into_iter()
                .map(|(name, lang)| (key, spec, name, lang))
                .collect::<Vec<_>>()
        })
        .map(|(key, spec, name, in_lang)| {
            let value = values
                .get(&name)
                .cloned()
                .or_else(|| spec.default.clone().filter(|_| name == *key));
            let (kind, choices) = match spec.kind {
                SettingType::String => (FieldKind::Text, Vec::new()),
                SettingType::Number => (FieldKind::Number, Vec::new()),
                SettingType::Json => (FieldKind::Textarea, Vec::new()),
                SettingType::Boolean => (
                    FieldKind::Select,
                    vec![
                        Choice {
                            value: "true".into(),
                            label: tr(l, "yes", "ano").into(),
                        },
                        Choice {
                            value: "false".into(),
                            label: tr(l, "no", "ne").into(),
                        },
                    ],
                ),
            };
            let label = match man.setting_label_in(key, l) {
                Some(label) if !label.is_empty() => label.to_owned(),
                _ => key.clone(),
            };
            let label = match in_lang {
                Some("cs") => format!("{label} {}", tr(l, "(in Czech)", "(česky)")),
                Some(_) => format!("{label} {}", tr(l, "(in English)", "(anglicky)")),
                None => label,
            };
            FormField {
                error: errors.get(&name).cloned(),
                name: format!("setting.{name}"),
                label,
                kind,
                required: false,
                value,
                help: spec
                    .default
                    .as_ref()
                    .map(|d| format!("{} {d}", tr(l, "Default:", "Výchozí:"))),
                choices,
                min: spec.min.map(|m| m.to_string()),
                max: spec.max.map(|m| m.to_string()),
                ..Default::default()
            }
        })
        .collect();
    Form {
        action: format!("/admin/orgs/{org}/modules/{id}"),
        submit_label: tr(l, "Save settings", "Uložit nastavení").into(),
        fields,
        ..Default::default()
    }
}

/// `GET /admin/orgs/{org}/modules/{id}`: a module in an organization.
pub(super) async fn module_in_org(
    State(state): State<AppState>,
    Path((org, id)): Path<(String, String)>,
    Query(q): Query<Done>,
    visitor: Visitor,
    lang: Lang,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&format!("/admin/orgs/{org}/modules/{id}")));
    };
    module_page(
        &state,
        &admin,
        &org,
        &id,
        &BTreeMap::new(),
        None,
        q.message(admin.l()),
    )
    .await
}

async fn module_page(
    state: &AppState,
    admin: &Admin,
    org: &str,
    id: &str,
    errors: &BTreeMap<String, String>,
    typed: Option<&BTreeMap<String, String>>,
    flash: Option<&str>,
) -> Result<Response, Failure> {
    let l = admin.l().to_owned();
    let the_org = checked_org(state, admin, org).await?;
    let m = installed(state, id)?;
    let current = match state.services.org(org).await {
        Ok(o) => o.enabled.get(id).cloned(),
        Err(e) => {
            tracing::error!(error = %e, "cannot read enablement");
            return Err(Failure::database());
        }
    };
    let on = current.is_some();
    let mut values = current.map(|e| e.settings).unwrap_or_default();
    if let Some(typed) = typed {
        values.extend(typed.clone());
    }
    let man = m.manifest();
    let mut blocks = vec![Block::KeyValues {
        items: vec![
            kv(tr(&l, "Organization", "Organizace"), the_org.name.clone()),
            kv(
                tr(&l, "State", "Stav"),
                if on {
                    tr(&l, "enabled", "zapnuto")
                } else {
                    tr(&l, "not enabled", "vypnuto")
                }
                .into(),
            ),
            kv(tr(&l, "Version", "Verze"), man.version.to_string()),
        ],
    }];
    blocks.push(Block::Form(Form {
        action: format!("/admin/orgs/{org}/modules/{id}"),
        submit_label: if on {
            tr(&l, "Disable", "Vypnout")
        } else {
            tr(&l, "Enable", "Zapnout")
        }
        .into(),
        fields: vec![
            FormField {
                name: "state".into(),
                label: String::new(),
                kind: FieldKind::Hidden,
                required: false,
                value: Some(if on { "disable" } else { "enable" }.into()),
                help: None,
                choices: Vec::new(),
                error: None,
                ..Default::default()
            },
            FormField {
                name: "children".into(),
                label: tr(
                    &l,
                    "Also for the organizations below",
                    "Také pro podřízené organizace",
                )
                .into(),
                kind: FieldKind::Checkbox,
                required: false,
                value: None,
                help: None,
                choices: Vec::new(),
                error: None,
                ..Default::default()
            },
        ],
        ..Default::default()
    }));
    if on && !man.settings.is_empty() {
        blocks.push(Block::Heading {
            level: 2,
            text: tr(&l, "Settings", "Nastavení").into(),
        });
        if !errors.is_empty() {
            blocks.push(Block::Notice {
                level: NoticeLevel::Error,
                text: tr(
                    &l,
                    "The settings were not saved.",
                    "Nastavení nebylo uloženo.",
                )
                .into(),
            });
        }
        blocks.push(Block::Form(settings_form(&l, org, man, &values, errors)));
    }
    super::connections::section(state, &l, org, &m, &mut blocks).await;
    let dead = events::dead_letters(state.services.platform().db(), Some(org)).await;
    if let Ok(dead) = dead {
        let rows: Vec<Vec<Cell>> = dead
            .iter()
            .filter(|d| d.module_id == id)
            .map(|d| {
                vec![
                    text(d.id.to_string()),
                    text(d.topic.clone()),
                    text(d.source_module.clone()),
                ]
            })
            .collect();
        blocks.push(table(
            tr(
                &l,
                "Events it could not take (dead letters)",
                "Události, které nepřijal (nedoručené)",
            ),
            &[
                tr(&l, "Delivery", "Doručení"),
                tr(&l, "Topic", "Téma"),
                tr(&l, "From", "Od"),
            ],
            rows,
            tr(&l, "None.", "Žádné."),
        ));
    }
    if let Ok(dead) = messages::dead_letters(state.services.platform().db(), Some(org)).await {
        let dead: Vec<_> = dead.into_iter().filter(|m| m.module_id == id).collect();
        let rows: Vec<Vec<Cell>> = dead
            .iter()
            .map(|m| {
                vec![
                    text(m.id.to_string()),
                    text(m.kind.clone()),
                    text(m.from_org.clone()),
                    text(m.attempts.to_string()),
                    text(m.last_error.clone().unwrap_or_default()),
                ]
            })
            .collect();
        blocks.push(table(
            tr(
                &l,
                "Messages from other organizations it could not take (dead letters)",
                "Zprávy z jiných organizací, které nepřijal (nedoručené)",
            ),
            &[
                tr(&l, "Message", "Zpráva"),
                tr(&l, "Kind", "Druh"),
                tr(&l, "From", "Od"),
                tr(&l, "Attempts", "Pokusy"),
                tr(&l, "Last error", "Poslední chyba"),
            ],
            rows,
            tr(&l, "None.", "Žádné."),
        ));
        if !dead.is_empty() {
            blocks.push(Block::Form(Form {
                action: format!("/admin/orgs/{org}/modules/{id}"),
                submit_label: tr(&l, "Deliver them again", "Doručit je znovu").into(),
                fields: vec![FormField {
                    name: "redrive".into(),
                    kind: FieldKind::Hidden,
                    value: Some("messages".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }));
        }
    }
    let view = View {
        title: man.name_in(&l).to_owned(),
        blocks,
    };
    let mut response = page(state, admin, &view, flash).await;
    if !errors.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The page that asks before a module is switched off, and says what
/// happens: its pages, jobs and messages stop there; its records stay.
async fn confirm_off(
    state: &AppState,
    admin: &Admin,
    org_name: &str,
    org: &str,
    id: &str,
    module_name: &str,
    children: bool,
) -> Response {
    let l = admin.l();
    let (where_en, where_cs) = if children {
        (
            format!("{org_name} and the organizations below it"),
            format!("organizaci {org_name} a organizacím pod ní"),
        )
    } else {
        (org_name.to_owned(), format!("organizaci {org_name}"))
    };
    let (title, warning) = if l == "cs" {
        (
            format!("Vypnout modul „{module_name}“?"),
            format!(
                "Modul „{module_name}“ přestane sloužit {where_cs}: jeho stránky, úlohy i zprávy pro něj se tam zastaví. Nic z jeho záznamů se nesmaže: po opětovném zapnutí bude mít vše."
            ),
        )
    } else {
        (
            format!("Switch off “{module_name}”?"),
            format!(
                "“{module_name}” stops serving {where_en}: its pages, its jobs and the messages to it stop there. Nothing it keeps is deleted: switched on again, it has all its records."
            ),
        )
    };
    let path = format!("/admin/orgs/{org}/modules/{id}");
    confirm_page(
        state,
        admin,
        Confirm {
            title,
            warning,
            action: path.clone(),
            fields: vec![
                ("state", "disable".to_owned()),
                ("children", if children { "true" } else { "" }.to_owned()),
            ],
            confirm: tr(l, "Switch it off", "Vypnout"),
            keep: tr(l, "Keep it on", "Ponechat zapnutý"),
            back: path,
        },
    )
    .await
}

/// `POST /admin/orgs/{org}/modules/{id}`: enable, disable, or save settings.
pub(super) async fn change_module(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, id)): Path<(String, String)>,
    visitor: Visitor,
    lang: Lang,
    body: Bytes,
) -> Result<Response, Failure> {
    let path = format!("/admin/orgs/{org}/modules/{id}");
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&path));
    };
    let fields = checked_form(&admin, &headers, &body)?;
    let the_org = checked_org(&state, &admin, &org).await?;
    let m = installed(&state, &id)?;
    if fields.get("redrive").map(String::as_str) == Some("messages") {
        let db = state.services.platform().db();
        // Only this module's: the organization's others stay as they are.
        let mut n = 0;
        for m in messages::dead_letters(db, Some(&org))
            .await
            .map_err(|_| Failure::database())?
            .into_iter()
            .filter(|m| m.module_id == id)
        {
            n += messages::redrive(db, &org, Some(m.id))
                .await
                .map_err(|_| Failure::database())?;
        }
        tracing::info!(org = %org, module = %id, by = %admin.session.user.id, messages = n, "dead messages re-driven from the console");
        return Ok(Redirect::to(&format!("{path}?done=redriven")).into_response());
    }
    let mut change = Change::default();
    let done;
    match fields.get("state").map(String::as_str) {
        Some(s @ ("enable" | "disable")) => {
            change.enabled = Some(s == "enable");
            change.include_children = fields
                .get("children")
                .is_some_and(|v| v == "true" || v == "on");
            // Switching off stops a service people use: asked once more,
            // saying what happens.
            if s == "disable" && fields.get("confirm").map(String::as_str) != Some("yes") {
                return Ok(confirm_off(
                    &state,
                    &admin,
                    &the_org.name,
                    &org,
                    &id,
                    m.manifest().name_in(admin.l()),
                    change.include_children,
                )
                .await);
            }
            done = if s == "enable" { "enabled" } else { "disabled" };
        }
        Some(other) => {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                BAD_REQUEST,
                (
                    format!("`state` must be `enable` or `disable`, not `{other}`."),
                    format!("`state` musí být `enable` nebo `disable`, ne `{other}`."),
                ),
            ));
        }
        None => {
            let mut errors = BTreeMap::new();
            let mut typed = BTreeMap::new();
            for (name, value) in &fields {
                let Some(key) = name.strip_prefix("setting.") else {
                    continue;
                };
                // `<key>.en`: a setting's content in English.
                let spec = m.manifest().setting_of(key);
                let Some(spec) = spec else {
                    return Err(Failure::new(
                        StatusCode::BAD_REQUEST,
                        BAD_REQUEST,
                        (
                            format!("`{key}` is not a setting of {}.", m.manifest().name),
                            format!(
                                "Modul {} nemá nastavení `{key}`.",
                                m.manifest().name_in("cs")
                            ),
                        ),
                    ));
                };
                typed.insert(key.to_owned(), value.clone());
                if value.trim().is_empty() {
                    change.unset.push(key.to_owned());
                } else if let Err(e) = spec.check(key, value) {
                    errors.insert(key.to_owned(), e.message(admin.l()));
                } else {
                    change.set.insert(key.to_owned(), value.clone());
                }
            }
            if !errors.is_empty() {
                return module_page(&state, &admin, &org, &id, &errors, Some(&typed), None).await;
            }
            done = "saved";
        }
    }
    let actor = admin.session.user.id.clone();
    if let Err(e) = state.services.change(&org, &id, &change, &actor).await {
        tracing::error!(error = %e, "cannot change a module's state");
        return Err(Failure::database());
    }
    tracing::info!(org = %org, module = %id, by = %actor, done, "module changed from the console");
    Ok(Redirect::to(&format!("{path}?done={done}")).into_response())
}
