//! The console's people and organizations: who holds which role in an
//! organization, granting and revoking roles, and founding an organization
//! (a region or city at the top, or one below an organization one
//! administers). The platform checks and audits every change; a refused
//! form comes back with the error at its field and what was typed kept.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use portico_platform::PlatformError;
use portico_platform::identity::{roles, users};
use portico_platform::organizations::{self, Kind, NewOrganization, Organization};
use portico_runtime::api::{Block, Choice, FieldKind, Form, FormField};

use super::orgs::{organization_page, overview_page};
use super::{
    Admin, Confirm, administers, checked_form, checked_org, confirm_page, platform_admin, table,
    text, to_login,
};
use crate::AppState;
use crate::extractors::{Lang, Visitor};
use crate::failure::Failure;
use crate::render::tr;

/// A refused console form: which one, the field at fault and why, and
/// what was typed.
pub(super) struct Problem {
    form: &'static str,
    field: String,
    message: String,
    values: BTreeMap<String, String>,
}

impl Problem {
    fn new(
        form: &'static str,
        field: &str,
        message: impl Into<String>,
        values: &BTreeMap<String, String>,
    ) -> Problem {
        Problem {
            form,
            field: field.to_owned(),
            message: message.into(),
            values: values.clone(),
        }
    }

    /// The error of `field` in `form`, if this problem is there.
    fn error(&self, form: &str, field: &str) -> Option<String> {
        (self.form == form && self.field == field).then(|| self.message.clone())
    }
}

/// A page with a refused form answers 422, else 200.
pub(super) fn status(problem: Option<&Problem>) -> axum::http::StatusCode {
    if problem.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    }
}

fn field(name: &str, label: &str, kind: FieldKind, required: bool) -> FormField {
    FormField {
        name: name.into(),
        label: label.into(),
        kind,
        required,
        value: None,
        help: None,
        choices: Vec::new(),
        error: None,
        ..Default::default()
    }
}

/// Fills in what was typed and the error, when `problem` is this form's.
fn refill(mut fields: Vec<FormField>, form: &str, problem: Option<&Problem>) -> Vec<FormField> {
    if let Some(p) = problem.filter(|p| p.form == form) {
        for f in &mut fields {
            if f.kind != FieldKind::Hidden {
                f.value = p.values.get(&f.name).cloned().or(f.value.take());
            }
            f.error = p.error(form, &f.name);
        }
    }
    fields
}

fn hidden(name: &str, value: &str) -> FormField {
    FormField {
        value: Some(value.into()),
        ..field(name, name, FieldKind::Hidden, false)
    }
}

/// The roles an administrator can grant: `org-admin` and every role an
/// installed module declares.
fn grantable(state: &AppState, l: &str) -> Vec<Choice> {
    let mut choices = vec![Choice {
        value: roles::ORG_ADMIN.into(),
        label: crate::frame::role_label(state, roles::ORG_ADMIN, l),
    }];
    for m in state.registry().iter() {
        let man = m.manifest();
        for name in man.roles.keys() {
            let value = format!("{}.{name}", man.id);
            choices.push(Choice {
                label: crate::frame::role_label(state, &value, l),
                value,
            });
        }
    }
    choices
}

/// The page that asks before a role is taken away, and says what follows.
async fn confirm_revoke(
    state: &AppState,
    admin: &Admin,
    org: &str,
    org_name: &str,
    user: &users::User,
    label: &str,
    role: &str,
) -> Response {
    let l = admin.l();
    let who = if user.display_name.is_empty() {
        user.username.clone()
    } else {
        format!("{} ({})", user.display_name, user.username)
    };
    let (title, warning) = if l == "cs" {
        (
            format!("Odebrat roli „{label}“?"),
            format!(
                "{who} ihned ztratí v organizaci {org_name} všechna oprávnění, která role dává. Roli lze kdykoli udělit znovu."
            ),
        )
    } else {
        (
            format!("Revoke the role “{label}”?"),
            format!(
                "{who} at once loses in {org_name} every permission the role gives. The role can be granted again at any time."
            ),
        )
    };
    confirm_page(
        state,
        admin,
        Confirm {
            title,
            warning,
            action: format!("/admin/orgs/{org}/roles"),
            fields: vec![
                ("change", "revoke".to_owned()),
                ("grant", format!("{} {role}", user.username)),
            ],
            confirm: tr(l, "Revoke it", "Odebrat"),
            keep: tr(l, "Keep the role", "Ponechat roli"),
            back: format!("/admin/orgs/{org}"),
        },
    )
    .await
}

/// The organization page's part on people: the grants, and the forms to
/// grant and revoke a role and to found an organization below it.
pub(super) async fn blocks(
    state: &AppState,
    l: &str,
    org: &Organization,
    problem: Option<&Problem>,
) -> Result<Vec<Block>, Failure> {
    let db = state.services.platform().db();
    let database = |e: PlatformError| {
        tracing::error!(error = %e, "cannot read roles");
        Failure::database()
    };
    let grants = roles::grants(db, Some(&org.id), None)
        .await
        .map_err(database)?;
    let mut rows = Vec::new();
    let mut revocable = Vec::new();
    // Roles by their labels, as the grant form offers them; a role no
    // installed module declares any more, by its code.
    let offered = grantable(state, l);
    let labels: BTreeMap<&str, &str> = offered
        .iter()
        .map(|c| (c.value.as_str(), c.label.as_str()))
        .collect();
    for g in &grants {
        let role = labels
            .get(g.role.as_str())
            .map_or_else(|| g.role.clone(), |l| (*l).to_owned());
        let user = users::get(db, &g.user_id).await.map_err(database)?;
        let (username, name) = user.map_or_else(
            || (g.user_id.clone(), String::new()),
            |u| (u.username.clone(), u.shown_name().to_owned()),
        );
        rows.push(vec![
            text(username.clone()),
            text(name),
            text(role.clone()),
            text(
                chrono::DateTime::from_timestamp_micros(g.granted_at_micros)
                    .map(|t| crate::render::moment(t, l))
                    .unwrap_or_default(),
            ),
        ]);
        revocable.push(Choice {
            value: format!("{username} {}", g.role),
            label: format!("{username} – {role}"),
        });
    }
    let action = format!("/admin/orgs/{}/roles", org.id);
    let mut blocks = vec![
        Block::Heading {
            level: 2,
            text: tr(l, "People and roles", "Lidé a role").into(),
        },
        table(
            tr(l, "Roles granted here", "Role udělené zde"),
            &[
                tr(l, "User", "Uživatel"),
                tr(l, "Name", "Jméno"),
                tr(l, "Role", "Role"),
                tr(l, "Granted", "Uděleno"),
            ],
            rows,
            tr(
                l,
                "Nobody holds a role here yet.",
                "Zatím tu nikdo nemá roli.",
            ),
        ),
        Block::Heading {
            level: 3,
            text: tr(l, "Grant a role", "Udělit roli").into(),
        },
        Block::Form(Form {
            action: action.clone(),
            submit_label: tr(l, "Grant", "Udělit").into(),
            fields: refill(
                vec![
                    hidden("change", "grant"),
                    FormField {
                        help: Some(
                            tr(
                                l,
                                "The staff member's log-in name.",
                                "Přihlašovací jméno zaměstnance.",
                            )
                            .into(),
                        ),
                        ..field("username", tr(l, "User", "Uživatel"), FieldKind::Text, true)
                    },
                    FormField {
                        choices: offered,
                        ..field("role", tr(l, "Role", "Role"), FieldKind::Select, true)
                    },
                ],
                "grant",
                problem,
            ),
            ..Default::default()
        }),
    ];
    if !revocable.is_empty() {
        blocks.push(Block::Heading {
            level: 3,
            text: tr(l, "Revoke a role", "Odebrat roli").into(),
        });
        blocks.push(Block::Form(Form {
            action,
            submit_label: tr(l, "Revoke", "Odebrat").into(),
            fields: refill(
                vec![
                    hidden("change", "revoke"),
                    FormField {
                        choices: revocable,
                        ..field(
                            "grant",
                            tr(l, "Role of a user", "Role uživatele"),
                            FieldKind::Select,
                            true,
                        )
                    },
                ],
                "revoke",
                problem,
            ),
            ..Default::default()
        }));
    }
    blocks.extend(new_org_blocks(l, Some(org), problem));
    Ok(blocks)
}

/// The form for a new organization: below `parent`, or (for a platform
/// administrator) a region or city at the top.
pub(super) fn new_org_blocks(
    l: &str,
    parent: Option<&Organization>,
    problem: Option<&Problem>,
) -> Vec<Block> {
    let kinds: &[Kind] = match parent {
        Some(_) => &[Kind::Organization, Kind::Unit],
        None => &[Kind::Region, Kind::City],
    };
    let kind_label = |k: Kind| match k {
        Kind::Region => tr(l, "region", "kraj"),
        Kind::City => tr(l, "city or municipality", "město nebo obec"),
        Kind::Organization => tr(l, "organization", "organizace"),
        Kind::Unit => tr(l, "unit", "útvar"),
    };
    let mut fields = Vec::new();
    if let Some(p) = parent {
        fields.push(hidden("parent", &p.id));
    }
    fields.extend([
        FormField {
            help: Some(
                tr(
                    l,
                    "In addresses: lower-case letters, digits and dashes, e.g. nemocnice-znojmo.",
                    "V adresách: malá písmena, číslice a pomlčky, např. nemocnice-znojmo.",
                )
                .into(),
            ),
            ..field(
                "id",
                tr(l, "Identifier", "Identifikátor"),
                FieldKind::Text,
                true,
            )
        },
        field("name", tr(l, "Name", "Název"), FieldKind::Text, true),
        FormField {
            choices: kinds
                .iter()
                .map(|k| Choice {
                    value: k.name().into(),
                    label: kind_label(*k).into(),
                })
                .collect(),
            ..field("kind", tr(l, "Kind", "Druh"), FieldKind::Select, true)
        },
        FormField {
            help: Some(tr(l, "8 digits, if it has one.", "8 číslic, má-li je.").into()),
            ..field("ico", tr(l, "IČO", "IČO"), FieldKind::Text, false)
        },
    ]);
    vec![
        Block::Heading {
            level: 2,
            text: match parent {
                Some(p) => format!(
                    "{} {}",
                    tr(l, "New organization below", "Nová organizace pod"),
                    p.name
                ),
                None => tr(l, "New region or city", "Nový kraj nebo město").into(),
            },
        },
        Block::Form(Form {
            action: "/admin/orgs".into(),
            submit_label: tr(l, "Create", "Založit").into(),
            fields: refill(fields, "org", problem),
            ..Default::default()
        }),
    ]
}

/// `POST /admin/orgs`: founds an organization.
pub(super) async fn create_org(
    State(state): State<AppState>,
    headers: HeaderMap,
    visitor: Visitor,
    lang: Lang,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login("/admin"));
    };
    let form = checked_form(&admin, &headers, &body)?;
    let value = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let parent = value("parent");
    // A root needs a platform administrator; an organization below
    // another, an administrator of the one above.
    let allowed = match &parent {
        Some(p) => administers(&state, &admin, p).await,
        None => platform_admin(&state, &admin).await,
    };
    if !allowed? {
        return Err(super::forbidden());
    }
    let l = admin.l().to_owned();
    let refuse = |field: &str, message: String| Problem::new("org", field, message, &form);
    let problem = match Kind::parse(&value("kind").unwrap_or_default()) {
        None => Some(refuse(
            "kind",
            tr(&l, "Choose what it is.", "Zvolte, o co jde.").into(),
        )),
        Some(kind) => {
            let new = NewOrganization {
                id: value("id").unwrap_or_default(),
                name: value("name").unwrap_or_default(),
                ico: value("ico"),
                kind,
                parent_id: parent.clone(),
                category: None,
                address: None,
            };
            let db = state.services.platform().db();
            match organizations::create(db, &admin.session.user.id, new).await {
                Ok(org) => {
                    let to = format!("/admin/orgs/{}?done=created", org.id);
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(PlatformError::Invalid { field, message }) => {
                    Some(refuse(field.trim_start_matches("parent_"), message))
                }
                Err(PlatformError::Conflict(message)) => Some(refuse("id", message)),
                Err(PlatformError::NotFound(message)) => Some(refuse("parent", message)),
                Err(e) => {
                    tracing::error!(error = %e, "cannot create an organization");
                    return Err(Failure::database());
                }
            }
        }
    };
    match &parent {
        Some(p) => organization_page(&state, &admin, p, problem.as_ref(), None).await,
        None => overview_page(&state, &admin, problem.as_ref(), None).await,
    }
}

/// `POST /admin/orgs/{org}/roles`: grants or revokes a role there.
pub(super) async fn change_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(org): Path<String>,
    visitor: Visitor,
    lang: Lang,
    body: Bytes,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&format!("/admin/orgs/{org}")));
    };
    let form = checked_form(&admin, &headers, &body)?;
    let org_name = checked_org(&state, &admin, &org).await?.name;
    let l = admin.l().to_owned();
    let db = state.services.platform().db();
    let get = |k: &str| form.get(k).map(|v| v.trim()).unwrap_or_default();
    let (which, username, role) = match get("change") {
        "grant" => ("grant", get("username").to_owned(), get("role").to_owned()),
        "revoke" => {
            let (user, role) = get("grant").split_once(' ').unwrap_or(("", ""));
            ("revoke", user.to_owned(), role.to_owned())
        }
        _ => {
            return Err(Failure::new(
                axum::http::StatusCode::BAD_REQUEST,
                crate::failure::BAD_REQUEST,
                (
                    "The form says neither grant nor revoke.",
                    "Formulář neuvádí, zda má být role udělena, či odebrána.",
                ),
            ));
        }
    };
    let user_field = if which == "grant" {
        "username"
    } else {
        "grant"
    };
    let role_field = if which == "grant" { "role" } else { "grant" };
    let refuse = |field: &str, message: String| Problem::new(which, field, message, &form);
    let known = role == roles::ORG_ADMIN
        || state
            .registry()
            .iter()
            .any(|m| m.manifest().declares_role(&role));
    let problem = if !known {
        Some(refuse(
            role_field,
            tr(&l, "Choose one of the roles.", "Zvolte jednu z rolí.").into(),
        ))
    } else {
        match users::by_username(db, &username).await {
            Ok(None) => Some(refuse(
                user_field,
                format!(
                    "{} `{username}`.",
                    tr(&l, "There is no user", "Není žádný uživatel")
                ),
            )),
            // Taking a role away is asked once more, saying what follows.
            Ok(Some(user))
                if which == "revoke" && form.get("confirm").map(String::as_str) != Some("yes") =>
            {
                let label = grantable(&state, &l)
                    .into_iter()
                    .find(|c| c.value == role)
                    .map_or(role.clone(), |c| c.label);
                return Ok(
                    confirm_revoke(&state, &admin, &org, &org_name, &user, &label, &role).await,
                );
            }
            Ok(Some(user)) => {
                let done = if which == "grant" {
                    roles::grant(db, &admin.session.user.id, &user.id, &org, &role)
                        .await
                        .map(drop)
                } else {
                    roles::revoke(db, &admin.session.user.id, &user.id, &org, &role).await
                };
                match done {
                    Ok(()) => {
                        let done = if which == "grant" {
                            "granted"
                        } else {
                            "revoked"
                        };
                        let to = format!("/admin/orgs/{org}?done={done}");
                        return Ok(Redirect::to(&to).into_response());
                    }
                    Err(PlatformError::Invalid { message, .. })
                    | Err(PlatformError::NotFound(message)) => Some(refuse(user_field, message)),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot change a role");
                        return Err(Failure::database());
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read users");
                return Err(Failure::database());
            }
        }
    };
    organization_page(&state, &admin, &org, problem.as_ref(), None).await
}
