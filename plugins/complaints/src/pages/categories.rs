//! The categories page for managers: the list, and the form to add a
//! category or change one. The checks of what was typed are the crate's
//! (`check_category`).

use portico_sdk::{
    Action, Cell, Context, Field, FieldKind, Form, FormPost, Outcome, Result, Table, View, segment,
};

use super::{filled, refused, tr};
use crate::model::{self, english};

/// The categories, and the form to add one or change one (`?code=`).
pub fn categories_page(
    ctx: &Context,
    code: Option<&str>,
    form: Option<&FormPost>,
    errors: &[(&'static str, String)],
) -> Result<View> {
    let categories = model::categories()?;
    let mut table = Table::new(tr(ctx, "Categories", "Kategorie"))
        .column(tr(ctx, "Code", "Kód"))
        .column(tr(ctx, "Name", "Název"))
        .column(tr(ctx, "Unit", "Útvar"))
        .numeric_column(tr(ctx, "Deadline (days)", "Lhůta (dny)"))
        .numeric_column(tr(ctx, "Questions", "Otázky"))
        .empty_text(tr(ctx, "No categories yet.", "Zatím žádné kategorie."));
    for c in &categories {
        table = table.row([
            Cell::link(
                c.code.clone(),
                format!("/categories?code={}", segment(&c.code)),
            ),
            Cell::from(c.name_in(english(ctx)).to_owned()),
            Cell::from(c.unit.clone()),
            Cell::from(c.deadline_days.to_string()),
            Cell::from(c.attributes.len().to_string()),
        ]);
    }
    let editing = code.and_then(|c| categories.iter().find(|x| x.code == c));
    let errors: Vec<(String, String)> = errors
        .iter()
        .map(|(f, m)| ((*f).to_owned(), m.clone()))
        .collect();
    let stored = |name: &str| -> String {
        let Some(c) = editing else {
            return String::new();
        };
        match name {
            "code" => c.code.clone(),
            "name" => c.name.clone(),
            "name_en" => c.name_en.clone(),
            "description" => c.description.clone(),
            "group" => c.group.clone(),
            "keywords" => c.keywords.clone(),
            "unit" => c.unit.clone(),
            "email" => c.email.clone(),
            "deadline_days" => c.deadline_days.to_string(),
            "attributes" => crate::attribute_lines(&c.attributes),
            _ => String::new(),
        }
    };
    let field = |f: Field, name: &str| filled(f.value(stored(name)), name, form, &errors);
    let f = Form::new("/categories", tr(ctx, "Save the category", "Uložit kategorii"))
        .field(field(Field::text("code", tr(ctx, "Code (Open311 service code)", "Kód (kód služby Open311)")).required(), "code"))
        .field(field(Field::text("name", tr(ctx, "Name in Czech", "Název česky")).required(), "name"))
        .field(field(Field::text("name_en", tr(ctx, "Name in English", "Název anglicky")).help(tr(ctx, "Empty: English readers see the Czech name.", "Prázdné: anglicky čtoucí uvidí český název.")), "name_en"))
        .field(field(Field::textarea("description", tr(ctx, "What it covers", "Co zahrnuje")), "description"))
        .field(field(Field::text("group", tr(ctx, "Group", "Skupina")), "group"))
        .field(field(Field::text("keywords", tr(ctx, "Keywords, comma separated", "Klíčová slova oddělená čárkou")), "keywords"))
        .field(field(Field::text("unit", tr(ctx, "Responsible unit", "Odpovědný útvar")).required(), "unit"))
        .field(field(Field::new("email", tr(ctx, "The unit's e-mail (reminders)", "E-mail útvaru (upomínky)"), FieldKind::Email), "email"))
        .field(field(Field::number("deadline_days", tr(ctx, "Legal deadline in days", "Zákonná lhůta ve dnech")).required(), "deadline_days"))
        .field(field(
            Field::textarea("attributes", tr(ctx, "Extra questions", "Doplňující otázky")).help(tr(
                ctx,
                "One per line: code | question | datatype | required or optional | key=name; key=name (lists only). Datatypes: string, number, datetime, text, singlevaluelist, multivaluelist.",
                "Jedna na řádek: kód | otázka | typ | required nebo optional | klíč=název; klíč=název (jen seznamy). Typy: string, number, datetime, text, singlevaluelist, multivaluelist.",
            )),
            "attributes",
        ));
    let view = View::new(tr(ctx, "Categories of complaints", "Kategorie podnětů"))
        .actions([Action::secondary(
            tr(ctx, "Back to the inbox", "Zpět do podatelny"),
            "/handle",
        )])
        .table(table)
        .heading(match editing {
            Some(_) => tr(ctx, "Change the category", "Změnit kategorii"),
            None => tr(ctx, "Add a category", "Přidat kategorii"),
        });
    Ok(refused(
        ctx,
        view,
        &errors,
        (
            "The category was not saved; see the fields below.",
            "Kategorie nebyla uložena; opravte pole níže.",
        ),
    )
    .form(f))
}

pub fn submit_category(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let fields = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    match crate::check_category(&fields, english(ctx)) {
        Ok(category) => {
            crate::save_category(&category)?;
            Ok(Outcome::redirect_with(
                "/categories",
                format!(
                    "{} {}",
                    tr(ctx, "Saved:", "Uloženo:"),
                    category.name_in(english(ctx))
                ),
            ))
        }
        Err(errors) => Ok(Outcome::Show(categories_page(
            ctx,
            None,
            Some(form),
            &errors,
        )?)),
    }
}
