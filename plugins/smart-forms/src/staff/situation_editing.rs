//! The tree of life situations for staff: the tree as it is nested, and
//! the form to add a situation or change one: its title and text, where
//! it lies (under which situation, in which place among those beside it)
//! and its forms. Keys are made from titles; nobody types them.

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
    let tree = model::situation_tree(&all);
    let indent = |depth: usize| "· ".repeat(depth);
    let mut t = Table::new(tr(ctx, "Life situations", "Životní situace"))
        .column(tr(ctx, "Situation", "Situace"))
        .column(tr(ctx, "Forms", "Formuláře"))
        .empty_text(tr(ctx, "None yet.", "Zatím žádné."));
    for (s, depth) in &tree {
        let titles: Vec<String> = s
            .forms
            .iter()
            .map(|c| {
                forms
                    .iter()
                    .find(|f| &f.code == c)
                    .map_or_else(|| c.clone(), |f| f.definition.title.clone())
            })
            .collect();
        t = t.row([
            Cell::link(
                format!("{}{}", indent(*depth), s.title),
                format!("/situations-edit?key={}", segment(&s.key)),
            ),
            Cell::from(titles.join(", ")),
        ]);
    }
    let editing = key.and_then(|k| all.iter().find(|s| s.key == k));
    let typed =
        |name: &str, stored: String| post.and_then(|p| p.get(name)).map_or(stored, str::to_owned);
    let error = |f: Field, name: &str| match errors.iter().find(|(n, _)| n == name) {
        Some((_, e)) => f.error(e.clone()),
        None => f,
    };
    // Where it can go: the top, or under any situation but itself and
    // those under it, shown as the tree.
    let mut parents = vec![(
        String::new(),
        tr(ctx, "— the top —", "— nejvyšší úroveň —").to_owned(),
    )];
    let inside = |x: &Situation| {
        editing.is_some_and(|e| {
            let mut up = x.key.clone();
            for _ in 0..20 {
                if up == e.key {
                    return true;
                }
                match all.iter().find(|p| p.key == up) {
                    Some(p) if !p.parent.is_empty() => up = p.parent.clone(),
                    _ => return false,
                }
            }
            false
        })
    };
    parents.extend(
        tree.iter()
            .filter(|(x, _)| !inside(x))
            .map(|(x, depth)| (x.key.clone(), format!("{}{}", indent(*depth), x.title))),
    );
    let parent = typed(
        "parent",
        editing.map(|s| s.parent.clone()).unwrap_or_default(),
    );
    let siblings = all
        .iter()
        .filter(|x| x.parent == parent && editing.is_none_or(|e| e.key != x.key))
        .count();
    let place = editing
        .and_then(|e| {
            all.iter()
                .filter(|x| x.parent == e.parent)
                .position(|x| x.key == e.key)
        })
        .unwrap_or(siblings);
    let places: Vec<(String, String)> = (0..=siblings)
        .map(|i| (i.to_string(), (i + 1).to_string()))
        .collect();
    let chosen: Vec<String> = match post {
        Some(p) => p.all("forms").map(str::to_owned).collect(),
        None => editing.map(|s| s.forms.clone()).unwrap_or_default(),
    };
    let f = SdkForm::new("/situations-edit", tr(ctx, "Save", "Uložit"))
        .field(
            Field::new("editing", "", portico_sdk::FieldKind::Hidden).value(typed(
                "editing",
                editing.map(|s| s.key.clone()).unwrap_or_default(),
            )),
        )
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
            Field::select("parent", tr(ctx, "Under", "Pod"), parents).value(parent),
            "parent",
        ))
        .field(
            Field::select(
                "place",
                tr(ctx, "Place among those beside it", "Pořadí mezi sousedními"),
                places,
            )
            .value(typed("place", place.to_string())),
        )
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
    let editing = get("editing");
    // A new situation's key is made from its title, unlike every other.
    let key = if editing.is_empty() {
        let base = portico_forms::builder::slug(&get("title"), "-", 50);
        let mut key = base.clone();
        let mut n = 2;
        while all.iter().any(|x| x.key == key) {
            key = format!("{base}-{n}");
            n += 1;
        }
        key
    } else {
        editing.clone()
    };
    let s = Situation {
        key,
        parent: get("parent"),
        title: get("title"),
        text: get("text"),
        forms: post.all("forms").map(str::to_owned).collect(),
        order: 0,
    };
    let mut errors: Vec<(String, String)> = Vec::new();
    if !editing.is_empty() && !all.iter().any(|x| x.key == editing) {
        return Err(portico_sdk::Error::not_found("no such situation"));
    }
    if s.title.is_empty() || s.key.is_empty() || s.title.chars().count() > 200 {
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
    // Its place among those beside it: they are numbered again.
    let place: usize = get("place").parse().unwrap_or(usize::MAX);
    let mut beside: Vec<Situation> = all
        .iter()
        .filter(|x| x.parent == s.parent && x.key != s.key)
        .cloned()
        .collect();
    beside.insert(place.min(beside.len()), s.clone());
    let stored = SITUATIONS.find().fetch_all::<Situation>(model::MOST)?;
    for (i, mut x) in beside.into_iter().enumerate() {
        x.order = i as i64 * 10;
        match stored.iter().find(|d| d.data.key == x.key) {
            Some(d) if d.data.order == x.order && x.key != s.key => {}
            Some(d) => {
                SITUATIONS.update(&d.id, d.version, &x)?;
            }
            None => {
                SITUATIONS.insert(&x)?;
            }
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
