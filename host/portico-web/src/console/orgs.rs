//! The console's pages of organizations: the overview of those the user
//! administers (with, for a platform administrator, the form for a new
//! region or city) and one organization's page, with its modules, its
//! people and their roles.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use portico_platform::organizations;
use portico_runtime::api::{Block, View};

use super::{
    Admin, Done, administered, checked_org, link, page_with_status, people, table, text, to_login,
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
    Ok(page_with_status(
        &state,
        admin,
        &view,
        flash,
        people::status(problem),
    ))
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
    let the_org = checked_org(&state, admin, &org).await?;
    let enabled = state.services.org(&org).await.map_err(|e| {
        tracing::error!(error = %e, "cannot read enablement");
        Failure::database()
    })?;
    let people = people::blocks(&state, &l, &the_org, problem).await?;
    let rows = state
        .registry()
        .iter()
        .map(|m| {
            let on = enabled.enabled.contains_key(m.id());
            vec![
                link(
                    m.manifest().name.clone(),
                    format!("/admin/orgs/{org}/modules/{}", m.id()),
                ),
                text(m.manifest().version.to_string()),
                text(if on {
                    tr(&l, "enabled", "zapnut")
                } else {
                    tr(&l, "not enabled", "nezapnut")
                }),
            ]
        })
        .collect();
    let view = View {
        title: the_org.name.clone(),
        blocks: vec![
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
                items: vec![portico_runtime::api::Action {
                    label: tr(&l, "Audit trail", "Auditní stopa").into(),
                    href: format!("/admin/orgs/{org}/audit"),
                    style: portico_runtime::api::ActionStyle::Secondary,
                }],
            },
        ]
        .into_iter()
        .chain(people)
        .collect(),
    };
    Ok(page_with_status(
        &state,
        admin,
        &view,
        flash,
        people::status(problem),
    ))
}
