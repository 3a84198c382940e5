//! What a person sent, as they read it back: the answers step by step
//! (on the "check your answers" page, and after sending), and the receipt
//! to keep as a PDF — the number, the time, the answers and the files
//! attached.

use portico_forms::definition::{Answers, Form, Kind, is_empty};
use portico_forms::fields::shown_value;
use portico_forms::receipt::Receipt;
use portico_sdk::{Action, Context, Error, Request, Response, Result, View, segment};
use serde_json::Value;

use super::tr;
use crate::model::{self, SUBMISSIONS, Submission, english};

/// The answers as a person reads them, step by step: (the step's title,
/// (question, answer) of each field shown and answered).
pub(super) fn answered(
    form: &Form,
    answers: &Answers,
    en: bool,
) -> Vec<(String, Vec<(String, String)>)> {
    form.pages
        .iter()
        .enumerate()
        .map(|(i, page)| {
            let title = if page.title.is_empty() {
                format!("{} {}", if en { "Step" } else { "Krok" }, i + 1)
            } else {
                page.title.clone()
            };
            let lines = form
                .fields
                .iter()
                .filter(|f| page.fields.contains(&f.name) && form.shown(f, answers))
                .filter(|f| answers.get(&f.name).is_some_and(|v| !is_empty(v)))
                .map(|f| (f.title.clone(), shown_value(f, answers.get(&f.name), en)))
                .collect();
            (title, lines)
        })
        .collect()
}

/// The files attached: (the question, the file's name and size).
fn attachments(form: &Form, answers: &Answers, en: bool) -> Vec<(String, String)> {
    form.fields
        .iter()
        .filter(|f| f.kind == Kind::File)
        .filter_map(|f| {
            let Value::Object(o) = answers.get(&f.name)? else {
                return None;
            };
            let name = o.get("name").and_then(Value::as_str).unwrap_or_default();
            let size = o.get("size").and_then(Value::as_f64).unwrap_or_default();
            let kb =
                portico_sdk::numbers::format((size / 1024.0).ceil(), if en { "en" } else { "cs" });
            Some((f.title.clone(), format!("{name} ({kb} kB)")))
        })
        .collect()
}

/// Adds the answers to a view, a heading and its list per step.
pub(super) fn answers_view(mut view: View, form: &Form, answers: &Answers, en: bool) -> View {
    for (title, lines) in answered(form, answers, en) {
        if lines.is_empty() {
            continue;
        }
        view = view.heading(title).key_values(lines);
    }
    view
}

/// A submission as its sender reads it: where it stands, what they sent,
/// and the receipt to download from `receipt`.
pub(super) fn sent_view(ctx: &Context, s: &Submission, receipt: String) -> Result<View> {
    let en = english(ctx);
    let (_, form) = model::form(&s.form, Some(s.version))?;
    let view = View::new(format!("{} {}", s.title, s.number))
        .actions([Action::primary(
            tr(
                ctx,
                "Download the receipt (PDF)",
                "Stáhnout potvrzení (PDF)",
            ),
            receipt,
        )])
        .key_values([
            (tr(ctx, "Number", "Číslo"), s.number.clone()),
            (tr(ctx, "Status", "Stav"), s.status.label(en).to_owned()),
            (
                tr(ctx, "Submitted", "Podáno"),
                portico_sdk::calendar::format_moment_text(&s.submitted, ctx.locale()),
            ),
            (
                tr(ctx, "Form version", "Verze formuláře"),
                s.version.to_string(),
            ),
        ]);
    Ok(answers_view(
        view.heading(tr(ctx, "What you sent", "Co jste odeslali")),
        &form,
        &s.answers,
        en,
    ))
}

/// The receipt of a submission as a PDF.
pub(super) fn receipt_pdf(ctx: &Context, s: &Submission) -> Result<Response> {
    let en = english(ctx);
    let (_, form) = model::form(&s.form, Some(s.version))?;
    let mut sections = answered(&form, &s.answers, en);
    sections.retain(|(_, lines)| !lines.is_empty());
    let files = attachments(&form, &s.answers, en);
    if !files.is_empty() {
        sections.push((tr(ctx, "Attachments", "Přílohy").to_owned(), files));
    }
    let receipt = Receipt {
        title: format!(
            "{} {}",
            tr(ctx, "Receipt of submission", "Potvrzení o podání"),
            s.number
        ),
        head: vec![
            (tr(ctx, "Form", "Formulář").to_owned(), s.title.clone()),
            (tr(ctx, "Number", "Číslo").to_owned(), s.number.clone()),
            (
                tr(ctx, "Received", "Přijato").to_owned(),
                portico_sdk::calendar::format_moment_text(&s.submitted, ctx.locale()),
            ),
            (
                tr(ctx, "Form version", "Verze formuláře").to_owned(),
                s.version.to_string(),
            ),
        ],
        sections,
        footer: tr(
            ctx,
            "Keep this receipt: the number is how the office finds your submission.",
            "Potvrzení si uschovejte: podle čísla úřad vaše podání dohledá.",
        )
        .to_owned(),
    };
    Ok(Response::new(200)
        .header("content-type", "application/pdf")
        .header(
            "content-disposition",
            format!("attachment; filename=\"{}.pdf\"", s.number),
        )
        .header("cache-control", "private, no-store")
        .body(receipt.pdf()))
}

/// The person's own submission, by its id.
fn own(ctx: &Context, id: &str) -> Result<Submission> {
    let user = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    let d = SUBMISSIONS.get::<Submission>(id)?;
    if user.is_empty() || d.data.user != user {
        return Err(Error::not_found("no such submission"));
    }
    Ok(d.data)
}

/// A submission by its id and the key its receipt link carries: what a
/// person who sent a form without logging in reads it by.
fn keyed(id: &str, key: &str) -> Result<Submission> {
    let d = SUBMISSIONS.get::<Submission>(id)?;
    if d.data.key.is_empty() || d.data.key != key {
        return Err(Error::not_found("no such submission"));
    }
    Ok(d.data)
}

/// The receipt of the person's own submission.
pub fn my_receipt(ctx: &Context, req: &Request) -> Result<Response> {
    receipt_pdf(ctx, &own(ctx, req.param("id").unwrap_or_default())?)
}

/// What a person sent without logging in, by the link they were given.
pub fn keyed_submission(ctx: &Context, id: &str, key: &str) -> Result<View> {
    let s = keyed(id, key)?;
    sent_view(
        ctx,
        &s,
        format!("/receipt/{}/{}/receipt.pdf", segment(id), segment(key)),
    )
}

/// Its receipt.
pub fn keyed_receipt(ctx: &Context, req: &Request) -> Result<Response> {
    let s = keyed(
        req.param("id").unwrap_or_default(),
        req.param("key").unwrap_or_default(),
    )?;
    receipt_pdf(ctx, &s)
}
