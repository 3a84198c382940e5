//! A public form filled in without logging in: every field on one page,
//! no draft, filed as the logged-in form is; what was sent is then shown
//! by a link of its own, with its receipt.

use portico_sdk::{
    Context, Error, Field, Form as SdkForm, FormPost, NoticeLevel, Outcome, Result, View, segment,
};

use super::fields::{page_fields, read_posted, settle};
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
    drawn(ctx, code, answers, errors, false)
}

/// The form, saying whether the answers brought up further questions.
fn drawn(
    ctx: &Context,
    code: &str,
    answers: Option<&Answers>,
    errors: &[(String, String)],
    appeared: bool,
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
    let names: Vec<String> = form.fields.iter().map(|f| f.name.clone()).collect();
    // The questions a condition showed when the form was drawn: one that
    // shows only after the post is a new question, not an error.
    let shown: Vec<&str> = form
        .fields
        .iter()
        .filter(|f| f.show_if.is_some() && form.shown(f, answers))
        .map(|f| f.name.as_str())
        .collect();
    f = f.field(Field::new("_shown", "", portico_sdk::FieldKind::Hidden).value(shown.join(",")));
    for field in page_fields(ctx, &form, &names, answers, errors) {
        f = f.field(field);
    }
    let mut view = View::new(form.def.title.clone()).text(format!(
        "{} {} {}.",
        form.def.description,
        tr(ctx, "Version", "Verze"),
        v.version
    ));
    if appeared {
        view = view.notice(
            NoticeLevel::Info,
            tr(
                ctx,
                "Your answers brought up a further question: please answer it too.",
                "Vaše odpovědi přinesly další otázku: odpovězte prosím i na ni.",
            ),
        );
    }
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
    let drawn_shown: Vec<&str> = post.get("_shown").unwrap_or_default().split(',').collect();
    let (problems, appeared) = form.check_posted(&names, &answers, english(ctx), &|f| {
        f.show_if.is_none() || drawn_shown.contains(&f.name.as_str())
    });
    errors.extend(problems);
    if !errors.is_empty() || !appeared.is_empty() {
        return Ok(Outcome::Show(drawn(
            ctx,
            code,
            Some(&answers),
            &errors,
            !appeared.is_empty(),
        )?));
    }
    let (user, name) = ctx
        .principal()
        .map(|p| (p.user_id().to_owned(), p.name().to_owned()))
        .unwrap_or_default();
    let (id, number, key) = file_submission(ctx, &v, &form, answers, &user, &name)?;
    // What was sent, and its receipt, by a link of its own: the person may
    // not be logged in.
    Ok(Outcome::redirect_with(
        format!("/receipt/{}/{}", segment(&id), segment(&key)),
        receipt_message(ctx, &number),
    ))
}
