//! A form's fields as a citizen sees and posts them: pre-filled and
//! locked from the verified identity; drawn and read back as every form
//! of the portal is (`portico_forms::fields`).

use portico_forms::definition::{Answers, FieldSpec, Form};
use portico_forms::fields::{self, Drawing};
use portico_sdk::{Context, Field, FormPost, Result};
use serde_json::Value;

use super::{assurance, tr};
use crate::model::english;

/// The verified claim a field is pre-filled from, if the identity gives it.
fn claim(ctx: &Context, f: &FieldSpec) -> Option<String> {
    let p = ctx.principal()?;
    let name = f.prefill.as_deref()?;
    match name {
        "name" => p.claim("name").map(str::to_owned).or_else(|| {
            Some(format!(
                "{} {}",
                p.claim("given_name")?,
                p.claim("family_name")?
            ))
        }),
        other => p.claim(other).map(str::to_owned),
    }
}

/// Whether the field shows a verified value the user cannot change.
fn locked(ctx: &Context, f: &FieldSpec) -> bool {
    f.read_only && !f.calculated() && assurance(ctx) >= 2 && claim(ctx, f).is_some()
}

/// The answers with verified values put back, and calculations done.
pub(super) fn settle(ctx: &Context, form: &Form, answers: &mut Answers) {
    for f in &form.fields {
        if locked(ctx, f)
            && let Some(v) = claim(ctx, f)
        {
            answers.insert(f.name.clone(), Value::String(v));
        }
    }
    form.calculate(answers);
}

/// Pre-fills an empty form from the verified identity.
pub(super) fn prefilled(ctx: &Context, form: &Form) -> Answers {
    let mut answers = Answers::new();
    for f in &form.fields {
        if let Some(v) = claim(ctx, f) {
            answers.insert(f.name.clone(), Value::String(v));
        }
    }
    settle(ctx, form, &mut answers);
    answers
}

/// How the citizen's form is drawn: verified values locked.
fn drawing<'a>(
    ctx: &'a Context,
    locked_help: &'a dyn Fn(&FieldSpec) -> Option<String>,
) -> Drawing<'a> {
    Drawing {
        en: english(ctx),
        locked: locked_help,
    }
}

/// Why a field is locked, if it is: it shows the verified identity.
fn locked_help(ctx: &Context) -> impl Fn(&FieldSpec) -> Option<String> + '_ {
    move |f| {
        locked(ctx, f).then(|| {
            tr(
                ctx,
                "From your verified identity (eID).",
                "Z vaší ověřené identity (eID).",
            )
            .to_owned()
        })
    }
}

/// The fields of a step (`names`) as the SDK draws them, shown, required
/// and calculated live where the step decides it.
pub(super) fn page_fields(
    ctx: &Context,
    form: &Form,
    names: &[String],
    answers: &Answers,
    errors: &[(String, String)],
) -> Vec<Field> {
    let help = locked_help(ctx);
    fields::draw_page(drawing(ctx, &help), form, names, answers, errors)
}

/// Reads the posted answers of `names` into `answers`, the verified values
/// left as they are (`portico_forms::fields::read_posted`).
pub(super) fn read_posted(
    ctx: &Context,
    form: &Form,
    names: &[String],
    post: &FormPost,
    answers: &mut Answers,
    errors: &mut Vec<(String, String)>,
) -> Result<()> {
    let help = locked_help(ctx);
    fields::read_posted(drawing(ctx, &help), form, names, post, answers, errors)
}
