//! The tree of life situations for staff: the list, and the form to add
//! a situation or change one, with the checks of its key, its place in
//! the tree and its forms.

use portico_sdk::records::Filters;
use portico_sdk::{
    Action, Cell, Context, Field, Form as SdkForm, FormPost, NoticeLevel, Outcome, Result, Table,
    View, audit, segment,
};
use serde_json::json;

use crate::citizen::tr;
use crate::model::{self, SITUATIONS, Situation};

/// The life situations, and the form to add or change one (`?key=`).
pub fn situations_edit(
    ctx: &Context,
    key: Option<&str>,
    post: Option<&FormPost>,
    errors: &[(String, String)],
) -> Result<View> {
    let all = model::situations()?;
    let forms = model::latest_forms()?;
    let mut t = Table::new(tr(ctx, "Life situations", "Životní situace"))
        .column(tr(ctx, "Key", "Klíč"))
        .column(tr(ctx, "Title", "Název"))
        .column(tr(ctx, "Under", "Pod"))
        .column(tr(ctx, "Forms", "Formuláře"))
        .empty_text(tr(ctx, "None yet.", "Zatím žádné."));
    for s in &all {
        t = t.row([
            Cell::link(
                s.key.clone(),
                format!("/situations-edit?key={}", segment(&s.key)),
            ),
            Cell::from(s.title.clone()),
            Cell::from(s.parent.clone()),
            Cell::from(s.forms.join(", ")),
        ]);
    }
    let editing = key.and_then(|k| all.iter().find(|s| s.key == k));
    let typed =
        |name: &str, stored: String| post.and_then(|p| p.get(name)).map_or(stored, str::to_owned);
    let error = |f: Field, name: &str| match errors.iter().find(|(n, _)| n == name) {
        Some((_, e)) => f.error(e.clone()),
        None => f,
    };
    let mut parents = vec![(
        String::new(),
        tr(ctx, "— the top —", "— nejvyšší úroveň —").to_owned(),
    )];
    parents.extend(all.iter().map(|s| (s.key.clone(), s.title.clone())));
    let chosen: Vec<String> = match post {
        Some(p) => p.all("forms").map(str::to_owned).collect(),
        None => editing.map(|s| s.forms.clone()).unwrap_or_default(),
    };
    let f = SdkForm::new("/situations-edit", tr(ctx, "Save", "Uložit"))
        .field(error(
            Field::text("key", tr(ctx, "Key", "Klíč"))
                .required()
                .value(typed(
                    "key",
                    editing.map(|s| s.key.clone()).unwrap_or_default(),
                )),
            "key",
        ))
        .field(error(
            Field::text("title", tr(ctx, "Title", "Název"))
                .required()
                .value(typed(
                    "title",
                    editing.map(|s| s.title.clone()).unwrap_or_default(),
                )),
            "title",
        ))
        .field(error(
            Field::textarea("text", tr(ctx, "What it is about", "Oč jde")).value(typed(
                "text",
                editing.map(|s| s.text.clone()).unwrap_or_default(),
            )),
            "text",
        ))
        .field(error(
            Field::select("parent", tr(ctx, "Under", "Pod"), parents).value(typed(
                "parent",
                editing.map(|s| s.parent.clone()).unwrap_or_default(),
            )),
            "parent",
        ))
        .field(error(
            Field::checkboxes(
                "forms",
                tr(ctx, "Forms it leads to", "Formuláře, ke kterým vede"),
                forms
                    .iter()
                    .map(|f| (f.code.clone(), f.definition.title.clone())),
            )
            .selected(chosen),
            "forms",
        ));
    let mut view = View::new(tr(ctx, "Life situations", "Životní situace"))
        .actions([Action::secondary(
            tr(ctx, "Form design", "Návrh formulářů"),
            "/design",
        )])
        .table(t)
        .heading(if editing.is_some() {
            tr(ctx, "Change the situation", "Změnit situaci")
        } else {
            tr(ctx, "Add a situation", "Přidat situaci")
        });
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            tr(
                ctx,
                "Nothing was saved; see the fields below.",
                "Nic nebylo uloženo; opravte pole níže.",
            ),
        );
    }
    Ok(view.form(f))
}

pub fn save_situation(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let get = |n: &str| post.get(n).unwrap_or_default().trim().to_owned();
    let all = model::situations()?;
    let forms = model::latest_forms()?;
    let s = Situation {
        key: get("key"),
        parent: get("parent"),
        title: get("title"),
        text: get("text"),
        forms: post.all("forms").map(str::to_owned).collect(),
    };
    let mut errors: Vec<(String, String)> = Vec::new();
    if s.key.is_empty()
        || s.key.len() > 60
        || !s
            .key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errors.push((
            "key".into(),
            tr(
                ctx,
                "Use 1 to 60 small letters, digits or `-`.",
                "Použijte 1 až 60 malých písmen, číslic nebo `-`.",
            )
            .into(),
        ));
    }
    if s.title.is_empty() || s.title.chars().count() > 200 {
        errors.push((
            "title".into(),
            tr(
                ctx,
                "Give a title of 1 to 200 characters.",
                "Zadejte název o 1 až 200 znacích.",
            )
            .into(),
        ));
    }
    // A parent must exist and not lie under the situation itself.
    let mut up = s.parent.clone();
    let mut depth = 0;
    while !up.is_empty() {
        if up == s.key || depth > 20 {
            errors.push((
                "parent".into(),
                tr(
                    ctx,
                    "A situation cannot lie under itself.",
                    "Situace nemůže ležet pod sebou samou.",
                )
                .into(),
            ));
            break;
        }
        match all.iter().find(|x| x.key == up) {
            Some(p) => up = p.parent.clone(),
            None => {
                errors.push((
                    "parent".into(),
                    tr(
                        ctx,
                        "Choose a situation from the list.",
                        "Vyberte situaci ze seznamu.",
                    )
                    .into(),
                ));
                break;
            }
        }
        depth += 1;
    }
    if let Some(f) = s
        .forms
        .iter()
        .find(|f| !forms.iter().any(|x| &x.code == *f))
    {
        errors.push((
            "forms".into(),
            format!("`{f}` {}", tr(ctx, "is not a form.", "není formulář.")),
        ));
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(situations_edit(
            ctx,
            None,
            Some(post),
            &errors,
        )?));
    }
    let existing = SITUATIONS
        .find()
        .eq("key", &s.key)
        .fetch_all::<Situation>(model::MOST)?;
    match existing.first() {
        Some(d) => {
            SITUATIONS.update(&d.id, d.version, &s)?;
        }
        None => {
            SITUATIONS.insert(&s)?;
        }
    }
    audit::append(
        "form.situation",
        &format!("situations/{}", s.key),
        &json!({ "key": s.key, "forms": s.forms }),
    )?;
    Ok(Outcome::redirect_with(
        "/situations-edit",
        format!("{} {}", tr(ctx, "Saved:", "Uloženo:"), s.title),
    ))
}
