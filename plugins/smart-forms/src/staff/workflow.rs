//! One submission for staff: its answers and attachments, its history,
//! and the form that records the next step of its workflow, of which the
//! applicant is told.

use portico_sdk::{
    Action, Context, Field, Form as SdkForm, FormPost, NoticeLevel, Outcome, Result, TimelineEntry,
    View, audit, segment,
};
use serde_json::{Value, json};

use super::shown;
use crate::citizen::tr;
use crate::model::{self, SUBMISSIONS, Status, Step, Submission, english, now};

/// One submission for staff, with the step form.
pub fn submission(ctx: &Context, id: &str, errors: &[(String, String)]) -> Result<View> {
    let en = english(ctx);
    let d = SUBMISSIONS.get::<Submission>(id)?;
    let s = &d.data;
    let form = model::form(&s.form, Some(s.version)).ok().map(|(_, f)| f);
    let mut facts = vec![
        (
            tr(ctx, "Form", "Formulář").to_owned(),
            format!(
                "{} ({} {})",
                s.title,
                tr(ctx, "version", "verze"),
                s.version
            ),
        ),
        (
            tr(ctx, "Status", "Stav").to_owned(),
            s.status.label(en).to_owned(),
        ),
        (tr(ctx, "From", "Od").to_owned(), s.user_name.clone()),
        (
            tr(ctx, "Submitted", "Podáno").to_owned(),
            s.submitted.clone(),
        ),
        (tr(ctx, "Handler", "Vyřizuje").to_owned(), s.handler.clone()),
    ];
    let mut attachments = Vec::new();
    let order: Vec<String> = form
        .as_ref()
        .map(|f| f.fields.iter().map(|x| x.name.clone()).collect())
        .unwrap_or_else(|| s.answers.keys().cloned().collect());
    for name in order {
        let Some(v) = s.answers.get(&name) else {
            continue;
        };
        let label = form
            .as_ref()
            .and_then(|f| f.field(&name))
            .map_or(name.clone(), |f| f.title.clone());
        if let Some(file) = v.get("id").and_then(Value::as_str) {
            attachments.push(Action::secondary(
                format!("{label}: {}", shown(form.as_ref(), &name, v)),
                format!("/files/{}", segment(file)),
            ));
        }
        facts.push((label, shown(form.as_ref(), &name, v)));
    }
    let mut view = View::new(format!("{} {}", s.title, s.number))
        .actions([Action::secondary(
            tr(ctx, "Back to the inbox", "Zpět do podatelny"),
            "/inbox",
        )])
        .key_values(facts);
    if !attachments.is_empty() {
        view = view
            .heading(tr(ctx, "Attachments", "Přílohy"))
            .actions(attachments);
    }
    let steps: Vec<TimelineEntry> = s
        .history
        .iter()
        .map(|h| {
            TimelineEntry::new(h.at.clone(), format!("{} {}", h.status.label(en), h.by))
                .text(h.note.clone())
        })
        .collect();
    view = view.heading(tr(ctx, "History", "Historie")).timeline(steps);
    let next = s.status.next();
    if next.is_empty() {
        return Ok(view);
    }
    let error = |name: &str| {
        errors
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.clone())
    };
    let with_error = |f: Field, name: &str| match error(name) {
        Some(e) => f.error(e),
        None => f,
    };
    let me = ctx
        .principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_default();
    let step = SdkForm::new(
        format!("/inbox/{}", segment(id)),
        tr(ctx, "Record the step", "Zaznamenat krok"),
    )
    .field(with_error(
        Field::radio(
            "status",
            tr(ctx, "New status", "Nový stav"),
            next.iter().map(|s| (s.key(), s.label(en))),
        )
        .required(),
        "status",
    ))
    .field(with_error(
        Field::text("handler", tr(ctx, "Handled by", "Vyřizuje")).value(if s.handler.is_empty() {
            me
        } else {
            s.handler.clone()
        }),
        "handler",
    ))
    .field(with_error(
        Field::textarea(
            "note",
            tr(ctx, "Note for the applicant", "Poznámka pro žadatele"),
        )
        .help(tr(
            ctx,
            "The applicant sees it and gets it with the message.",
            "Žadatel ji uvidí a dostane ji ve zprávě.",
        )),
        "note",
    ));
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            tr(
                ctx,
                "Nothing was recorded; see the fields below.",
                "Nic nebylo zaznamenáno; opravte pole níže.",
            ),
        );
    }
    Ok(view.heading(tr(ctx, "Next step", "Další krok")).form(step))
}

/// A step of the workflow: the status, the handler, a note; the applicant is told.
pub fn submit_step(ctx: &Context, id: &str, post: &FormPost) -> Result<Outcome> {
    let d = SUBMISSIONS.get::<Submission>(id)?;
    let mut s = d.data.clone();
    let mut errors = Vec::new();
    let status = post.get("status").and_then(Status::parse);
    let status = match status {
        Some(st) if s.status.next().contains(&st) => st,
        _ => {
            errors.push((
                "status".to_owned(),
                tr(
                    ctx,
                    "Choose one of the statuses offered.",
                    "Vyberte jeden z nabízených stavů.",
                )
                .to_owned(),
            ));
            s.status
        }
    };
    let note = post.get("note").unwrap_or_default().trim().to_owned();
    if note.chars().count() > 4000 {
        errors.push((
            "note".to_owned(),
            tr(
                ctx,
                "Use at most 4000 characters.",
                "Použijte nejvýše 4000 znaků.",
            )
            .to_owned(),
        ));
    }
    if status == Status::Rejected && note.is_empty() {
        errors.push((
            "note".to_owned(),
            tr(ctx, "Say why it is rejected.", "Uveďte, proč se zamítá.").to_owned(),
        ));
    }
    let handler = post.get("handler").unwrap_or_default().trim().to_owned();
    if handler.chars().count() > 200 {
        errors.push((
            "handler".to_owned(),
            tr(
                ctx,
                "Use at most 200 characters.",
                "Použijte nejvýše 200 znaků.",
            )
            .to_owned(),
        ));
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(submission(ctx, id, &errors)?));
    }
    let by = ctx
        .principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_default();
    let at = now();
    s.status = status;
    s.handler = handler;
    s.updated = at.clone();
    s.history.push(Step {
        at,
        status,
        note: note.clone(),
        by,
    });
    SUBMISSIONS.update(&d.id, d.version, &s)?;
    audit::append(
        "form.step",
        &format!("submissions/{}", d.id),
        &json!({ "number": s.number, "status": status.key(), "handler": s.handler }),
    )?;
    model::tell(
        &s,
        "submission-status",
        &json!({
            "number": s.number,
            "title": s.title,
            "status_en": status.label(true),
            "status_cs": status.label(false),
            "note": note,
        }),
    )?;
    Ok(Outcome::redirect_with(
        format!("/inbox/{}", segment(id)),
        tr(
            ctx,
            "The step is recorded; the applicant is told.",
            "Krok je zaznamenán; žadatel je informován.",
        ),
    ))
}
