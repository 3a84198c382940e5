//! Filling a form in logged in: who may, a step at a time from the
//! person's draft, back, saving the draft, the next step; and filing a
//! checked submission with its receipt, which the public form shares.

use portico_sdk::{
    Context, Error, Field, Form as SdkForm, FormPost, NoticeLevel, Outcome, Page, Result, View,
    audit, segment,
};
use serde_json::{Value, json};

use super::fields::{field, prefilled, read_posted, settle};
use super::{assurance, level, tr};
use crate::model::{
    self, DRAFTS, Draft, SUBMISSIONS, Status, Step, Submission, Version, english, now,
};
use portico_forms::definition::{Answers, Form, Kind};

/// Who may fill in `form` here; an error says why not.
fn may_fill(ctx: &Context, form: &Form) -> Result<()> {
    if assurance(ctx) < level(&form.def.access) {
        return Err(Error::forbidden(tr(
            ctx,
            "This form needs an identity verified by the eID at a higher level.",
            "Tento formulář vyžaduje identitu ověřenou přes eID na vyšší úrovni.",
        )));
    }
    Ok(())
}

/// A step of a form for a logged-in person, from their draft.
pub fn fill(ctx: &Context, page: &Page) -> Result<View> {
    let code = page.param("code").unwrap_or_default();
    let user = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    let draft = model::draft_of(&user, code)?;
    let (v, form) = model::form(code, draft.as_ref().map(|d| d.data.version))?;
    may_fill(ctx, &form)?;
    let (answers, step) = match &draft {
        Some(d) => (d.data.answers.clone(), d.data.step),
        None => (prefilled(ctx, &form), 0),
    };
    let step = page
        .query("step")
        .and_then(|s| s.parse().ok())
        .unwrap_or(step);
    Ok(step_view(
        ctx,
        &v,
        &form,
        step.min(form.pages.len() - 1),
        &answers,
        &[],
        draft.is_some(),
    ))
}

fn step_view(
    ctx: &Context,
    v: &Version,
    form: &Form,
    step: usize,
    answers: &Answers,
    errors: &[(String, String)],
    resumed: bool,
) -> View {
    let page = &form.pages[step];
    let last = step + 1 == form.pages.len();
    let mut f = SdkForm::new(
        format!("/fill/{}", segment(&v.code)),
        if last {
            tr(ctx, "Submit", "Odeslat")
        } else {
            tr(ctx, "Next", "Další")
        },
    )
    .field(Field::new("_step", "step", portico_sdk::FieldKind::Hidden).value(step.to_string()));
    for spec in form.fields.iter().filter(|s| page.fields.contains(&s.name)) {
        if form.shown(spec, answers) {
            f = f.field(field(ctx, form, spec, answers, errors));
        }
    }
    if step > 0 {
        f = f.button("back", tr(ctx, "Back", "Zpět"));
    }
    f = f.button("draft", tr(ctx, "Save draft", "Uložit rozpracované"));
    let title = if form.pages.len() > 1 {
        format!(
            "{} – {} {} / {}: {}",
            form.def.title,
            tr(ctx, "step", "krok"),
            step + 1,
            form.pages.len(),
            page.title
        )
    } else {
        form.def.title.clone()
    };
    let mut view = View::new(title);
    if resumed && errors.is_empty() {
        view = view.notice(
            NoticeLevel::Info,
            tr(
                ctx,
                "You are going on with your saved draft.",
                "Pokračujete v uloženém rozpracovaném podání.",
            ),
        );
    }
    view.form(f)
}

/// A step posted: back, a draft saved, or the next step (the last one submits).
pub fn submit_step(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let code = post.param("code").unwrap_or_default();
    let principal = ctx
        .principal()
        .ok_or_else(|| Error::forbidden("log in first"))?;
    let user = principal.user_id().to_owned();
    let draft = model::draft_of(&user, code)?;
    let (v, form) = model::form(code, draft.as_ref().map(|d| d.data.version))?;
    may_fill(ctx, &form)?;
    let mut answers = match &draft {
        Some(d) => d.data.answers.clone(),
        None => prefilled(ctx, &form),
    };
    let step: usize = post
        .get("_step")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
        .min(form.pages.len() - 1);
    let names = form.pages[step].fields.clone();
    let mut errors = Vec::new();
    read_posted(ctx, &form, &names, post, &mut answers, &mut errors)?;
    settle(ctx, &form, &mut answers);
    let save = |answers: &Answers, step: usize| -> Result<()> {
        let data = Draft {
            user: user.clone(),
            form: v.code.clone(),
            version: v.version,
            step,
            answers: answers.clone(),
            saved: now(),
        };
        match &draft {
            Some(d) => DRAFTS.update(&d.id, d.version, &data).map(|_| ()),
            None => DRAFTS.insert(&data).map(|_| ()),
        }
    };
    let here = format!("/fill/{}", segment(code));
    match post.button() {
        Some("draft") if errors.is_empty() => {
            save(&answers, step)?;
            return Ok(Outcome::redirect_with(
                "/my",
                tr(
                    ctx,
                    "Your draft is saved; go on with it from here.",
                    "Rozpracované podání je uloženo; pokračovat můžete odtud.",
                ),
            ));
        }
        Some("back") if errors.is_empty() => {
            let back = step.saturating_sub(1);
            save(&answers, back)?;
            return Ok(Outcome::redirect(format!("{here}?step={back}")));
        }
        _ => {}
    }
    errors.extend(form.check(&names, &answers, english(ctx)));
    if !errors.is_empty() {
        return Ok(Outcome::Show(step_view(
            ctx, &v, &form, step, &answers, &errors, false,
        )));
    }
    if step + 1 < form.pages.len() {
        save(&answers, step + 1)?;
        return Ok(Outcome::redirect(format!("{here}?step={}", step + 1)));
    }
    // The last step: everything is checked again, against this version.
    for (i, page) in form.pages.iter().enumerate() {
        let problems = form.check(&page.fields, &answers, english(ctx));
        if !problems.is_empty() {
            return Ok(Outcome::Show(step_view(
                ctx, &v, &form, i, &answers, &problems, false,
            )));
        }
    }
    let stored = file_submission(ctx, &v, &form, answers, &user, principal.name())?;
    if let Some(d) = &draft {
        DRAFTS.delete(&d.id, d.version)?;
    }
    Ok(Outcome::redirect_with(
        format!("/my/{}", segment(&stored.0)),
        receipt_message(ctx, &stored.1),
    ))
}

pub(super) fn receipt_message(ctx: &Context, number: &str) -> String {
    if english(ctx) {
        format!("Thank you. Your submission is received under number {number}.")
    } else {
        format!("Děkujeme. Vaše podání je přijato pod číslem {number}.")
    }
}

/// Stores a checked submission, audits it and tells the person.
pub(super) fn file_submission(
    ctx: &Context,
    v: &Version,
    form: &Form,
    answers: Answers,
    user: &str,
    user_name: &str,
) -> Result<(String, String)> {
    let first = |kind: Kind| {
        form.fields
            .iter()
            .filter(|f| f.kind == kind)
            .find_map(|f| {
                answers
                    .get(&f.name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    };
    let email = Some(first(Kind::Email))
        .filter(|e| !e.is_empty())
        .or_else(|| {
            ctx.principal()
                .and_then(|p| p.claim("email"))
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let phone = first(Kind::Phone);
    // Who it is from: the person logged in, else the name the form asks for.
    let user_name = if user_name.is_empty() {
        form.fields
            .iter()
            .filter(|f| f.prefill.as_deref() == Some("name"))
            .find_map(|f| answers.get(&f.name).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned()
    } else {
        user_name.to_owned()
    };
    let at = now();
    let submission = Submission {
        number: model::new_number()?,
        form: v.code.clone(),
        version: v.version,
        title: form.def.title.clone(),
        user: user.to_owned(),
        user_name: user_name.clone(),
        answers,
        status: Status::Submitted,
        handler: String::new(),
        history: vec![Step {
            at: at.clone(),
            status: Status::Submitted,
            note: String::new(),
            by: user_name,
        }],
        submitted: at.clone(),
        updated: at,
        email,
        phone,
        lang: if english(ctx) { "en" } else { "cs" }.to_owned(),
    };
    let stored = SUBMISSIONS.insert(&submission)?;
    audit::append(
        "form.submit",
        &format!("submissions/{}", stored.id),
        &json!({ "number": submission.number, "form": submission.form, "version": submission.version }),
    )?;
    model::tell(
        &submission,
        "submission-received",
        &json!({ "number": submission.number, "title": submission.title }),
    )?;
    Ok((stored.id, submission.number))
}
