//! Data collection: a task whose output is a form (the smart-forms
//! dialect, read by `portico_forms`). Each organization fills it in, with
//! drafts and checks at each field, and submits it with the task; the
//! founder sees how complete the collection is, reminds those who have not
//! submitted, approves or returns each answer (approved answers are
//! locked until the founder opens them again), and downloads the answers
//! as one table.
//!
//! - `pages`: the organization's form, the founder's answers and reminder.
//! - `export`: the answers as CSV and XLSX.

pub mod export;
pub mod pages;

use portico_forms::definition::{Answers, Definition, Form, Kind};
use portico_sdk::{Context, Error, Result};
use serde_json::Value;

use portico_sdk::records::Filters;

use crate::model::{MOST, MOST_ANSWER_BYTES, MOST_FORM_BYTES, SENT, Sent, State, Task, task_of};

/// Reads the form a new task collects, as typed into the new-task form:
/// none when left empty; what is wrong, and where, when it cannot be used.
/// A definition without its own code or title takes the task's.
pub fn read_definition(
    ctx: &Context,
    text: &str,
    title: &str,
) -> std::result::Result<Option<Definition>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() > MOST_FORM_BYTES {
        return Err(if ctx.is_czech() {
            format!(
                "Definice má {} bajtů; formulář ke sběru dat může mít nejvýše {MOST_FORM_BYTES}.",
                text.len()
            )
        } else {
            format!(
                "The definition has {} bytes; a data collection form may have at most {MOST_FORM_BYTES}.",
                text.len()
            )
        });
    }
    let problems = |list: Vec<(String, String)>| {
        let listed: Vec<String> = list
            .into_iter()
            .take(3)
            .map(|(at, what)| format!("{at}: {what}"))
            .collect();
        format!(
            "{} {}",
            ctx.tr(
                "The form definition cannot be used —",
                "Definici formuláře nelze použít —"
            ),
            listed.join("; ")
        )
    };
    let mut value: Value = serde_json::from_str(text).map_err(|e| {
        let at = if ctx.is_czech() {
            format!("řádek {}, sloupec {}", e.line(), e.column())
        } else {
            format!("line {}, column {}", e.line(), e.column())
        };
        problems(vec![(at, e.to_string())])
    })?;
    let Some(top) = value.as_object_mut() else {
        return Err(problems(vec![(
            ctx.tr("definition", "definice").to_owned(),
            ctx.tr(
                "must be a JSON object with `schema` and `uischema`",
                "musí být objekt JSON se `schema` a `uischema`",
            )
            .to_owned(),
        )]));
    };
    top.entry("code")
        .or_insert_with(|| "data-collection".into());
    top.entry("title")
        .or_insert_with(|| title.chars().take(200).collect::<String>().into());
    let def: Definition = serde_json::from_value(value)
        .map_err(|e| problems(vec![("definition".to_owned(), e.to_string())]))?;
    let form = Form::read(def).map_err(|list| {
        let en = !ctx.is_czech();
        problems(
            list.into_iter()
                .map(|p| (p.at.clone(), p.say(en).to_owned()))
                .collect(),
        )
    })?;
    if let Some(f) = form.fields.iter().find(|f| f.kind == Kind::File) {
        return Err(problems(vec![(
            format!("schema.properties.{}", f.name),
            ctx.tr(
                "files cannot be collected by a form yet: ask for them in the task's text",
                "soubory zatím formulářem sbírat nelze: požádejte o ně v textu úkolu",
            )
            .to_owned(),
        )]));
    }
    Ok(Some(form.def))
}

/// The form of a task that collects data, read again (it was checked
/// when the task was created).
pub fn form_of(def: &Definition) -> Result<Form> {
    Form::read(def.clone()).map_err(|problems| {
        Error::internal(format!(
            "the task's form no longer reads: {}",
            problems
                .into_iter()
                .map(|p| format!("{}: {}", p.at, p.en))
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })
}

/// The founder's task `task` and the form it collects; `not-found` for a
/// task that collects none.
pub fn collecting(ctx: &Context, task: &str) -> Result<(Task, Form)> {
    let t = task_of(task)?.data;
    let Some(def) = &t.form else {
        return Err(Error::not_found(ctx.tr(
            "This task collects no form.",
            "Tento úkol nesbírá data formulářem.",
        )));
    };
    let form = form_of(def)?;
    Ok((t, form))
}

/// Every organization's copy of `task`, the founder's, by organization.
pub fn copies(task: &str) -> Result<Vec<Sent>> {
    Ok(SENT
        .find()
        .eq("task", task)
        .sort("org")
        .fetch_all::<Sent>(MOST)?
        .into_iter()
        .map(|d| d.data)
        .collect())
}

/// Whether the founder sees a copy's answers: once submitted, approved,
/// and after a return the ones returned.
pub fn answers_shown(state: State) -> bool {
    matches!(state, State::Submitted | State::Closed | State::Returned)
}

/// Whether the answers fit in the messages they travel in.
pub fn fits(answers: &Answers) -> bool {
    serde_json::to_vec(answers).is_ok_and(|b| b.len() <= MOST_ANSWER_BYTES)
}

/// The form's fields in the order its layout shows them.
pub fn in_order(form: &Form) -> Vec<&portico_forms::definition::FieldSpec> {
    let mut out: Vec<_> = form
        .pages
        .iter()
        .flat_map(|p| p.fields.iter())
        .filter_map(|name| form.field(name))
        .collect();
    for f in &form.fields {
        if !out.iter().any(|o| o.name == f.name) {
            out.push(f);
        }
    }
    out
}
