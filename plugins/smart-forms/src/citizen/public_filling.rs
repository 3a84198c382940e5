//! A public form filled in without logging in: every field on one page,
//! no draft, filed as the logged-in form is.

use portico_sdk::{Context, Error, Form as SdkForm, FormPost, Outcome, Result, View, segment};

use super::fields::{field, read_posted, settle};
use super::filling::{file_submission, receipt_message};
use super::tr;
use crate::model::{self, english};
use portico_forms::definition::Answers;

/// A public form filled in without logging in: every step on one page.
pub fn public_form(
    ctx: &Context,
    code: &str,
    answers: Option<&Answers>,
    errors: &[(String, String)],
) -> Result<View> {
    let (v, form) = model::form(code, None)?;
    if form.def.access != "public" {
        return Err(Error::forbidden(tr(
            ctx,
            "This form is filled in logged in.",
            "Tento formulář se vyplňuje po přihlášení.",
        )));
    }
    let empty = Answers::new();
    let answers = answers.unwrap_or(&empty);
    let mut f = SdkForm::new(
        format!("/public/{}", segment(code)),
        tr(ctx, "Submit", "Odeslat"),
    );
    for spec in &form.fields {
        if form.shown(spec, answers) {
            f = f.field(field(ctx, &form, spec, answers, errors));
        }
    }
    let view = View::new(form.def.title.clone()).text(format!(
        "{} {} {}.",
        form.def.description,
        tr(ctx, "Version", "Verze"),
        v.version
    ));
    Ok(view.form(f))
}

pub fn submit_public(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let code = post.param("code").unwrap_or_default();
    let (v, form) = model::form(code, None)?;
    if form.def.access != "public" {
        return Err(Error::forbidden("this form is filled in logged in"));
    }
    let names: Vec<String> = form.fields.iter().map(|f| f.name.clone()).collect();
    let mut answers = Answers::new();
    let mut errors = Vec::new();
    read_posted(ctx, &form, &names, post, &mut answers, &mut errors)?;
    settle(ctx, &form, &mut answers);
    errors.extend(form.check(&names, &answers, english(ctx)));
    if !errors.is_empty() {
        return Ok(Outcome::Show(public_form(
            ctx,
            code,
            Some(&answers),
            &errors,
        )?));
    }
    let (user, name) = ctx
        .principal()
        .map(|p| (p.user_id().to_owned(), p.name().to_owned()))
        .unwrap_or_default();
    let (_, number) = file_submission(ctx, &v, &form, answers, &user, &name)?;
    Ok(Outcome::redirect_with(
        format!("/forms/{}", segment(code)),
        receipt_message(ctx, &number),
    ))
}
