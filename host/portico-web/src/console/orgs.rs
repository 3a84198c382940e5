//! The console's pages of organizations: the overview of those the user
//! administers (with, for a platform administrator, the form for a new
//! region or city) and one organization's page, with its modules, its
//! people and their roles.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use portico_platform::identity::roles::AdminRight;
use portico_platform::organizations;
use portico_runtime::api::{Block, FieldKind, Form, FormField, View};

use super::{
    Admin, Done, administered, checked_form, checked_org, checked_org_and_right, forbidden, kv,
    link, page_with_status, people, platform_admin, table, text, to_login,
};
use crate::AppState;
use crate::extractors::{Lang, Visitor};
use crate::failure::Failure;
use crate::render::tr;

/// `GET /admin`: the organizations the user administers.
pub(super) async fn overview(
    State(state): State<AppState>,
    Query(q): Query<Done>,
    visitor: Visitor,
    lang: Lang,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login("/admin"));
    };
    overview_page(&state, &admin, None, q.message(admin.l())).await
}

/// The organizations the user administers and, for a platform
/// administrator, the form for a new region or city.
pub(super) async fn overview_page(
    state: &AppState,
    admin: &Admin,
    problem: Option<&people::Problem>,
    flash: Option<&str>,
) -> Result<Response, Failure> {
    let state = state.clone();
    let l = admin.l().to_owned();
    let db = state.services.platform().db();
    let tree = organizations::tree(db).await.map_err(|e| {
        tracing::error!(error = %e, "cannot read organizations");
        Failure::database()
    })?;
    let mine = administered(&state, admin).await?;
    let rows = tree
        .into_iter()
        .filter(|(_, org)| mine.as_ref().is_none_or(|m| m.contains(&org.id)))
        .map(|(depth, org)| {
            vec![
                link(
                    format!("{}{}", "– ".repeat(depth), org.name),
                    format!("/admin/orgs/{}", org.id),
                ),
                text(org.id.clone()),
                text(org.kind.name()),
            ]
        })
        .collect();
    let view = View {
        title: tr(&l, "Administration", "Správa").into(),
        blocks: vec![table(
            tr(
                &l,
                "Organizations you administer",
                "Organizace, které spravujete",
            ),
            &[
                tr(&l, "Organization", "Organizace"),
                tr(&l, "Identifier", "Identifikátor"),
                tr(&l, "Kind", "Druh"),
            ],
            rows,
            tr(
                &l,
                "You administer no organization.",
                "Nespravujete žádnou organizaci.",
            ),
        )]
        .into_iter()
        // Regions and cities at the top are a platform administrator's.
        .chain(
            mine.is_none()
                .then(|| people::new_org_blocks(&l, None, problem))
                .into_iter()
                .flatten(),
        )
        .collect(),
    };
    Ok(page_with_status(&state, admin, &view, flash, people::status(problem)).await)
}

/// `GET /admin/orgs/{org}`: the organization's modules, its people and
/// their roles, and a form for an organization below it.
pub(super) async fn organization(
    State(state): State<AppState>,
    Path(org): Path<String>,
    Query(q): Query<Done>,
    visitor: Visitor,
    lang: Lang,
) -> Result<Response, Failure> {
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&format!("/admin/orgs/{org}")));
    };
    organization_page(&state, &admin, &org, None, q.message(admin.l())).await
}

/// The organization's page; `problem` is a refused form, shown with its
/// error at the field and what was typed kept.
pub(super) async fn organization_page(
    state: &AppState,
    admin: &Admin,
    org: &str,
    problem: Option<&people::Problem>,
    flash: Option<&str>,
) -> Result<Response, Failure> {
    let (state, org) = (state.clone(), org.to_owned());
    let l = admin.l().to_owned();
    let (the_org, right) = checked_org_and_right(&state, admin, &org).await?;
    let enabled = state.services.org(&org).await.map_err(|e| {
        tracing::error!(error = %e, "cannot read enablement");
        Failure::database()
    })?;
    let people = people::blocks(&state, &l, &the_org, problem).await?;
    let rights = rights_blocks(&state, admin, &the_org, right).await?;
    let rows = state
        .registry()
        .iter()
        .map(|m| {
            let on = enabled.enabled.contains_key(m.id());
            vec![
                link(
                    m.manifest().name_in(&l).to_owned(),
                    format!("/admin/orgs/{org}/modules/{}", m.id()),
                ),
                text(m.manifest().version.to_string()),
                text(if on {
                    tr(&l, "enabled", "zapnuto")
                } else {
                    tr(&l, "not enabled", "vypnuto")
                }),
            ]
        })
        .collect();
    let view = View {
        title: the_org.name.clone(),
        blocks: rights
            .into_iter()
            .chain([
                table(
                    tr(&l, "Modules", "Moduly"),
                    &[
                        tr(&l, "Module", "Modul"),
                        tr(&l, "Version", "Verze"),
                        tr(&l, "State", "Stav"),
                    ],
                    rows,
                    tr(
                        &l,
                        "No module is installed.",
                        "Není nainstalován žádný modul.",
                    ),
                ),
                Block::Actions {
                    items: vec![
                        portico_runtime::api::Action {
                            label: tr(&l, "Audit trail", "Auditní stopa").into(),
                            href: format!("/admin/orgs/{org}/audit"),
                            style: portico_runtime::api::ActionStyle::Secondary,
                        },
                        portico_runtime::api::Action {
                            label: tr(
                                &l,
                                "Contacts, accessibility statement, personal data",
                                "Kontakty, prohlášení o přístupnosti, osobní údaje",
                            )
                            .into(),
                            href: format!("/admin/orgs/{org}/pages"),
                            style: portico_runtime::api::ActionStyle::Secondary,
                        },
                    ],
                },
            ])
            .chain(people)
            .collect(),
    };
    Ok(page_with_status(&state, admin, &view, flash, people::status(problem)).await)
}

/// Where the user's right to administer `org` comes from, whether the
/// administrators of the organizations above it reach it, and, for a
/// platform administrator, the switch that closes it to them.
async fn rights_blocks(
    state: &AppState,
    admin: &Admin,
    org: &organizations::Organization,
    right: AdminRight,
) -> Result<Vec<Block>, Failure> {
    let l = admin.l();
    let db = state.services.platform().db();
    let platform = right == AdminRight::Platform;
    let right = match right {
        AdminRight::Platform => {
            tr(l, "as a platform administrator", "jako správce platformy").to_owned()
        }
        AdminRight::Own => tr(l, "as its administrator", "jako její správce").to_owned(),
        AdminRight::Above { from } => {
            let name = organizations::get(db, &from)
                .await
                .ok()
                .flatten()
                .map_or(from, |o| o.name);
            match l {
                "cs" => format!("jako správce nadřízené organizace {name}"),
                _ => format!("as the administrator of {name}, above it"),
            }
        }
    };
    let mut items = vec![kv(tr(l, "You administer it", "Spravujete ji"), right)];
    if org.parent_id.is_some() {
        items.push(kv(
            tr(
                l,
                "Administrators of the organizations above",
                "Správci nadřízených organizací",
            ),
            if org.closed_to_above {
                tr(
                    l,
                    "may not administer it (closed by a platform administrator)",
                    "ji spravovat nesmějí (uzavřel správce platformy)",
                )
            } else {
                tr(l, "may administer it", "ji smějí spravovat")
            }
            .to_owned(),
        ));
    }
    let mut blocks = vec![Block::KeyValues { items }];
    if org.parent_id.is_some() && platform {
        blocks.push(Block::Form(Form {
            action: format!("/admin/orgs/{}/above", org.id),
            submit_label: if org.closed_to_above {
                tr(
                    l,
                    "Open to administration from above",
                    "Otevřít správě shora",
                )
            } else {
                tr(
                    l,
                    "Close to administration from above",
                    "Uzavřít správě shora",
                )
            }
            .into(),
            fields: vec![FormField {
                name: "closed".into(),
                kind: FieldKind::Hidden,
                value: Some((!org.closed_to_above).to_string()),
                ..Default::default()
            }],
            ..Default::default()
        }));
    }
    Ok(blocks)
}

/// `POST /admin/orgs/{org}/above`: a platform administrator closes an
/// organization to administration from above, or opens it again.
pub(super) async fn change_above(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(org): Path<String>,
    visitor: Visitor,
    lang: Lang,
    body: Bytes,
) -> Result<Response, Failure> {
    let path = format!("/admin/orgs/{org}");
    let Some(admin) = Admin::of(visitor, lang) else {
        return Ok(to_login(&path));
    };
    let fields = checked_form(&admin, &headers, &body)?;
    checked_org(&state, &admin, &org).await?;
    if !platform_admin(&state, &admin).await? {
        return Err(forbidden());
    }
    let closed = fields.get("closed").is_some_and(|v| v == "true");
    let actor = admin.session.user.id.clone();
    organizations::set_closed_to_above(state.services.platform().db(), &actor, &org, closed)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot change administration from above");
            Failure::database()
        })?;
    tracing::info!(org = %org, by = %actor, closed, "administration from above changed");
    let done = if closed { "closed" } else { "opened" };
    Ok(Redirect::to(&format!("{path}?done={done}")).into_response())
}
