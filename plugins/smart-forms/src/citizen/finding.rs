//! How a citizen finds a form: the life situations from the top down,
//! every form, and a form's first page (what it is for, who may fill it
//! in, the way in).

use portico_sdk::{Action, Cell, Context, Error, NoticeLevel, Result, Table, View, segment};

use super::{assurance, level, tr};
use crate::model;

/// The life situations at the top, and every form.
pub fn home(ctx: &Context) -> Result<View> {
    let situations = model::situations()?;
    let mut table = Table::new(tr(ctx, "Life situations", "Životní situace"))
        .column(tr(ctx, "Situation", "Situace"))
        .column(tr(ctx, "What it is about", "Oč jde"))
        .empty_text(tr(
            ctx,
            "No life situations yet.",
            "Zatím žádné životní situace.",
        ));
    for s in situations.iter().filter(|s| s.parent.is_empty()) {
        table = table.row([
            Cell::link(s.title.clone(), format!("/situations/{}", segment(&s.key))),
            Cell::from(s.text.clone()),
        ]);
    }
    Ok(View::new(tr(
        ctx,
        "Forms and life situations",
        "Formuláře a životní situace",
    ))
    .text(tr(
        ctx,
        "Start from what is happening in your life; it leads you to the right form.",
        "Začněte tím, co se ve vašem životě děje; dovede vás ke správnému formuláři.",
    ))
    .table(table)
    .actions([
        Action::secondary(tr(ctx, "All forms", "Všechny formuláře"), "/forms"),
        Action::secondary(tr(ctx, "My submissions", "Moje podání"), "/my"),
    ]))
}

/// One situation: its text, the situations under it, its forms.
pub fn situation(ctx: &Context, key: &str) -> Result<View> {
    let all = model::situations()?;
    let s = all
        .iter()
        .find(|s| s.key == key)
        .ok_or_else(|| Error::not_found(format!("no situation `{key}`")))?;
    let forms = model::latest_forms()?;
    let mut view = View::new(s.title.clone()).text(s.text.clone());
    let children: Vec<_> = all.iter().filter(|c| c.parent == s.key).collect();
    if !children.is_empty() {
        let mut t = Table::new(tr(ctx, "More precisely", "Upřesněte"))
            .column(tr(ctx, "Situation", "Situace"))
            .column(tr(ctx, "What it is about", "Oč jde"));
        for c in children {
            t = t.row([
                Cell::link(c.title.clone(), format!("/situations/{}", segment(&c.key))),
                Cell::from(c.text.clone()),
            ]);
        }
        view = view.table(t);
    }
    let mut t = Table::new(tr(
        ctx,
        "Forms for this situation",
        "Formuláře pro tuto situaci",
    ))
    .column(tr(ctx, "Form", "Formulář"))
    .column(tr(ctx, "What it is for", "K čemu slouží"))
    .empty_text(tr(ctx, "No forms here.", "Žádné formuláře."));
    for code in &s.forms {
        if let Some(f) = forms.iter().find(|f| &f.code == code) {
            t = t.row([
                Cell::link(
                    f.definition.title.clone(),
                    format!("/forms/{}", segment(code)),
                ),
                Cell::from(f.definition.description.clone()),
            ]);
        }
    }
    let mut crumbs = Vec::new();
    let mut parent = s.parent.clone();
    while let Some(p) = all.iter().find(|x| x.key == parent && !parent.is_empty()) {
        crumbs.push(Action::secondary(
            p.title.clone(),
            format!("/situations/{}", segment(&p.key)),
        ));
        parent = p.parent.clone();
        if crumbs.len() > 10 {
            break;
        }
    }
    crumbs.reverse();
    if !crumbs.is_empty() {
        view = view.actions(crumbs);
    }
    Ok(view.table(t))
}

/// Every form.
pub fn forms(ctx: &Context) -> Result<View> {
    let mut t = Table::new(tr(ctx, "Forms", "Formuláře"))
        .column(tr(ctx, "Form", "Formulář"))
        .column(tr(ctx, "What it is for", "K čemu slouží"))
        .empty_text(tr(ctx, "No forms yet.", "Zatím žádné formuláře."));
    for f in model::latest_forms()? {
        t = t.row([
            Cell::link(
                f.definition.title.clone(),
                format!("/forms/{}", segment(&f.code)),
            ),
            Cell::from(f.definition.description.clone()),
        ]);
    }
    Ok(View::new(tr(ctx, "All forms", "Všechny formuláře")).table(t))
}

/// A form's first page: what it is for, who may use it, the way in.
pub fn start(ctx: &Context, code: &str) -> Result<View> {
    let (v, form) = model::form(code, None)?;
    let needs = level(&form.def.access);
    let has = assurance(ctx);
    let mut view = View::new(form.def.title.clone()).text(form.def.description.clone());
    let who = match form.def.access.as_str() {
        "public" => tr(
            ctx,
            "Anyone may fill it in, without logging in.",
            "Vyplnit jej může kdokoli, bez přihlášení.",
        ),
        "registered" => tr(
            ctx,
            "You fill it in once logged in.",
            "Vyplníte jej po přihlášení.",
        ),
        "substantial" => tr(
            ctx,
            "It needs your identity verified by the eID (level substantial or high).",
            "Vyžaduje ověřenou identitu přes eID (úroveň značná nebo vysoká).",
        ),
        _ => tr(
            ctx,
            "It needs your identity verified by the eID at level high.",
            "Vyžaduje ověřenou identitu přes eID na vysoké úrovni.",
        ),
    };
    view = view.key_values([
        (
            tr(ctx, "Who may fill it in", "Kdo jej může vyplnit"),
            who.to_owned(),
        ),
        (tr(ctx, "Steps", "Kroky"), form.pages.len().to_string()),
        (tr(ctx, "Version", "Verze"), v.version.to_string()),
    ]);
    if has >= needs.max(1) {
        return Ok(view.actions([Action::primary(
            tr(ctx, "Fill in", "Vyplnit"),
            format!("/fill/{}", segment(code)),
        )]));
    }
    if needs == 0 {
        return Ok(view.actions([
            Action::primary(
                tr(ctx, "Fill in without logging in", "Vyplnit bez přihlášení"),
                format!("/public/{}", segment(code)),
            ),
            Action::secondary(
                tr(
                    ctx,
                    "Log in to save a draft",
                    "Přihlásit se a ukládat rozpracované",
                ),
                format!("/fill/{}", segment(code)),
            ),
        ]));
    }
    if has == 0 {
        return Ok(view.actions([Action::primary(
            tr(ctx, "Log in to fill in", "Přihlásit se a vyplnit"),
            format!("/fill/{}", segment(code)),
        )]));
    }
    Ok(view.notice(
        NoticeLevel::Warning,
        tr(
            ctx,
            "Your log-in is not verified strongly enough for this form. Log out and log in with the eID.",
            "Vaše přihlášení pro tento formulář není dostatečně ověřené. Odhlaste se a přihlaste přes eID.",
        ),
    ))
}
