//! Filling a form in logged in: who may, a step at a time from the
//! person's draft, back, saving the draft, the next step; and filing a
//! checked submission with its receipt, which the public form shares.

use portico_sdk::records::Document;
use portico_sdk::{
    Action, Context, Error, Field, Form as SdkForm, FormPost, NoticeLevel, Outcome, Page, Result,
    View, audit, segment,
};
use serde_json::{Value, json};

use super::fields::{page_fields, prefilled, read_posted, settle};
use super::{assurance, level, sent, tr};
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

/// A form being filled in: a published version, or the design a designer
/// previews exactly as a citizen will fill it in (nothing is sent).
pub(crate) struct Filling {
    pub version: Version,
    pub form: Form,
    /// Where its steps post: `/fill/<code>` or `/design/<code>/preview`.
    pub here: String,
    /// What the person's draft is kept under: the form's code, or
    /// `preview:<code>` for a preview.
    pub draft_key: String,
    pub preview: bool,
}

impl Filling {
    /// The version the person's draft was begun with, or the latest.
    fn published(ctx: &Context, code: &str, draft: Option<&Document<Draft>>) -> Result<Filling> {
        let (version, form) = model::form(code, draft.map(|d| d.data.version))?;
        may_fill(ctx, &form)?;
        Ok(Filling {
            here: format!("/fill/{}", segment(code)),
            draft_key: code.to_owned(),
            version,
            form,
            preview: false,
        })
    }

    /// A design, previewed.
    pub(crate) fn preview(code: &str, version: Version, form: Form) -> Filling {
        Filling {
            here: format!("/design/{}/preview", segment(code)),
            draft_key: format!("preview:{code}"),
            version,
            form,
            preview: true,
        }
    }

    /// The step after the last: checking the answers.
    fn check_step(&self) -> usize {
        self.form.pages.len()
    }
}

fn user_of(ctx: &Context) -> String {
    ctx.principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default()
}

/// A step of a form for a logged-in person, from their draft.
pub fn fill(ctx: &Context, page: &Page) -> Result<View> {
    let code = page.param("code").unwrap_or_default();
    let draft = model::draft_of(&user_of(ctx), code)?;
    let filling = Filling::published(ctx, code, draft.as_ref())?;
    show(ctx, &filling, page, draft)
}

/// A step of `filling`, or the check of its answers (`?step=check`).
pub(crate) fn show(
    ctx: &Context,
    filling: &Filling,
    page: &Page,
    draft: Option<Document<Draft>>,
) -> Result<View> {
    let form = &filling.form;
    let (answers, step) = match &draft {
        Some(d) => (d.data.answers.clone(), d.data.step),
        None => (prefilled(ctx, form), 0),
    };
    let step = match page.query("step") {
        Some("check") => filling.check_step(),
        Some(s) => s.parse().unwrap_or(step),
        None => step,
    };
    // The check comes only after every step has passed.
    if step >= filling.check_step() && draft.as_ref().is_some_and(|d| d.data.step == step) {
        return Ok(check_view(ctx, filling, &answers));
    }
    let resumed = draft.is_some() && page.query("step").is_none();
    Ok(step_view(
        ctx,
        filling,
        step.min(form.pages.len() - 1),
        &answers,
        &[],
        if resumed {
            Said::Resumed
        } else {
            Said::Nothing
        },
    ))
}

/// What a step says above its fields.
#[derive(Clone, Copy, PartialEq)]
enum Said {
    Nothing,
    Resumed,
    /// An answer brought up a further question on this step.
    Appeared,
}

fn step_view(
    ctx: &Context,
    filling: &Filling,
    step: usize,
    answers: &Answers,
    errors: &[(String, String)],
    said: Said,
) -> View {
    let form = &filling.form;
    let page = &form.pages[step];
    let last = step + 1 == form.pages.len();
    let mut f = SdkForm::new(
        filling.here.clone(),
        if last {
            tr(ctx, "Check the answers", "Zkontrolovat odpovědi")
        } else {
            tr(ctx, "Next", "Další")
        },
    )
    .field(Field::new("_step", "step", portico_sdk::FieldKind::Hidden).value(step.to_string()));
    for field in page_fields(ctx, form, &page.fields, answers, errors) {
        f = f.field(field);
    }
    if step > 0 {
        f = f.button("back", tr(ctx, "Back", "Zpět"));
    }
    if !filling.preview {
        f = f.button("draft", tr(ctx, "Save draft", "Uložit rozpracované"));
    }
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
    let mut view = preview_notice(ctx, filling, View::new(title));
    match said {
        Said::Resumed if errors.is_empty() => {
            view = view.notice(
                NoticeLevel::Info,
                tr(
                    ctx,
                    "You are going on with your saved draft.",
                    "Pokračujete v uloženém rozpracovaném podání.",
                ),
            );
        }
        Said::Appeared => {
            view = view.notice(
                NoticeLevel::Info,
                tr(
                    ctx,
                    "Your answers brought up a further question on this step: please answer it too.",
                    "Vaše odpovědi přinesly na tomto kroku další otázku: odpovězte prosím i na ni.",
                ),
            );
        }
        _ => {}
    }
    view.form(f)
}

fn preview_notice(ctx: &Context, filling: &Filling, view: View) -> View {
    if !filling.preview {
        return view;
    }
    view.notice(
        NoticeLevel::Warning,
        tr(
            ctx,
            "Preview of the draft: this is the form exactly as a citizen will fill it in. Nothing you enter is sent.",
            "Náhled návrhu: takto přesně bude formulář vyplňovat občan. Nic, co zadáte, se neodešle.",
        ),
    )
    .actions([Action::secondary(
        tr(ctx, "Back to the form builder", "Zpět do návrháře"),
        format!("/design/{}", segment(&filling.version.code)),
    )])
}

/// Every answer, step by step, each step with a way back to change it,
/// and the button that sends.
fn check_view(ctx: &Context, filling: &Filling, answers: &Answers) -> View {
    let en = english(ctx);
    let mut view = preview_notice(
        ctx,
        filling,
        View::new(format!(
            "{} – {}",
            filling.form.def.title,
            tr(ctx, "check your answers", "kontrola odpovědí")
        )),
    )
    .text(tr(
        ctx,
        "Check what you are about to send. Change a step if something is wrong; nothing is sent until you press the button below.",
        "Zkontrolujte, co se chystáte odeslat. Je-li něco špatně, změňte příslušný krok; nic se neodešle, dokud nestisknete tlačítko níže.",
    ));
    for (i, (title, lines)) in sent::answered(&filling.form, answers, en)
        .into_iter()
        .enumerate()
    {
        view = view.heading(title);
        if !lines.is_empty() {
            view = view.key_values(lines);
        }
        view = view.actions([Action::secondary(
            if en {
                format!("Change step {}", i + 1)
            } else {
                format!("Změnit krok {}", i + 1)
            },
            format!("{}?step={i}", filling.here),
        )]);
    }
    let send = SdkForm::new(
        filling.here.clone(),
        if filling.preview {
            tr(ctx, "End the preview", "Ukončit náhled")
        } else {
            tr(ctx, "Send", "Odeslat")
        },
    )
    .field(Field::new("_step", "step", portico_sdk::FieldKind::Hidden).value("check"))
    .button("back", tr(ctx, "Back", "Zpět"));
    view.form(send)
}

/// A step posted: back, a draft saved, or the next step (the last one submits).
pub fn submit_step(ctx: &Context, post: &FormPost) -> Result<Outcome> {
    let code = post.param("code").unwrap_or_default();
    if ctx.principal().is_none() {
        return Err(Error::forbidden("log in first"));
    }
    let draft = model::draft_of(&user_of(ctx), code)?;
    let filling = Filling::published(ctx, code, draft.as_ref())?;
    post_step(ctx, &filling, post, draft)
}

/// A step of `filling` posted.
pub(crate) fn post_step(
    ctx: &Context,
    filling: &Filling,
    post: &FormPost,
    draft: Option<Document<Draft>>,
) -> Result<Outcome> {
    let form = &filling.form;
    let principal = ctx
        .principal()
        .ok_or_else(|| Error::forbidden("log in first"))?;
    let user = principal.user_id().to_owned();
    let before = match &draft {
        Some(d) => d.data.answers.clone(),
        None => prefilled(ctx, form),
    };
    let mut answers = before.clone();
    let save = |answers: &Answers, step: usize| -> Result<()> {
        let data = Draft {
            user: user.clone(),
            form: filling.draft_key.clone(),
            version: filling.version.version,
            step,
            answers: answers.clone(),
            saved: now(),
        };
        match &draft {
            Some(d) => DRAFTS.update(&d.id, d.version, &data).map(|_| ()),
            None => DRAFTS.insert(&data).map(|_| ()),
        }
    };
    let here = filling.here.clone();
    if post.get("_step") == Some("check") {
        if post.button() == Some("back") {
            let back = form.pages.len() - 1;
            save(&answers, back)?;
            return Ok(Outcome::redirect(format!("{here}?step={back}")));
        }
        // Everything is checked again, against this version.
        for (i, page) in form.pages.iter().enumerate() {
            let problems = form.check(&page.fields, &answers, english(ctx));
            if !problems.is_empty() {
                return Ok(Outcome::Show(step_view(
                    ctx,
                    filling,
                    i,
                    &answers,
                    &problems,
                    Said::Nothing,
                )));
            }
        }
        if filling.preview {
            if let Some(d) = &draft {
                DRAFTS.delete(&d.id, d.version)?;
            }
            return Ok(Outcome::redirect_with(
                format!("/design/{}", segment(&filling.version.code)),
                tr(
                    ctx,
                    "The preview ended here: a citizen would now have sent the form.",
                    "Náhled skončil: občan by nyní formulář odeslal.",
                ),
            ));
        }
        let stored = file_submission(
            ctx,
            &filling.version,
            form,
            answers,
            &user,
            principal.name(),
        )?;
        if let Some(d) = &draft {
            DRAFTS.delete(&d.id, d.version)?;
        }
        return Ok(Outcome::redirect_with(
            format!("/my/{}", segment(&stored.0)),
            receipt_message(ctx, &stored.1),
        ));
    }
    let step: usize = post
        .get("_step")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
        .min(form.pages.len() - 1);
    let names = form.pages[step].fields.clone();
    let mut errors = Vec::new();
    read_posted(ctx, form, &names, post, &mut answers, &mut errors)?;
    settle(ctx, form, &mut answers);
    match post.button() {
        Some("draft") if errors.is_empty() && !filling.preview => {
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
    let (problems, appeared) =
        form.check_posted(&names, &answers, english(ctx), &|f| form.shown(f, &before));
    errors.extend(problems);
    if !errors.is_empty() || !appeared.is_empty() {
        if !appeared.is_empty() {
            // What the step was drawn with, for the next post to compare.
            save(&answers, step)?;
        }
        let said = if appeared.is_empty() {
            Said::Nothing
        } else {
            Said::Appeared
        };
        return Ok(Outcome::Show(step_view(
            ctx, filling, step, &answers, &errors, said,
        )));
    }
    save(&answers, step + 1)?;
    if step + 1 < form.pages.len() {
        return Ok(Outcome::redirect(format!("{here}?step={}", step + 1)));
    }
    Ok(Outcome::redirect(format!("{here}?step=check")))
}

pub(super) fn receipt_message(ctx: &Context, number: &str) -> String {
    if english(ctx) {
        format!("Thank you. Your submission is received under number {number}.")
    } else {
        format!("Děkujeme. Vaše podání je přijato pod číslem {number}.")
    }
}

/// Stores a checked submission, audits it and tells the person: its id
/// and number.
pub(super) fn file_submission(
    ctx: &Context,
    v: &Version,
    form: &Form,
    answers: Answers,
    user: &str,
    user_name: &str,
) -> Result<(String, String, String)> {
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
        key: portico_sdk::random_key(),
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
    Ok((stored.id, submission.number, submission.key))
}
