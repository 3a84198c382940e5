//! An organization's own copy of a task, with what its people may do.

use super::*;

/// An organization's own copy of a task, with what its people may do.
pub fn inbox(ctx: &Context, task: &str, errors: &[(&str, String)]) -> Result<View> {
    if !(can(ctx, "respond") || can(ctx, "resolve")) {
        return Err(Error::forbidden(ctx.tr(
            "Only the organization's responsible people and workers see its tasks.",
            "Úkoly organizace vidí jen její odpovědné osoby a pracovníci.",
        )));
    }
    let r = received_of(task)?.data;
    let today = today();
    let error = |name: &str| {
        errors
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| e.clone())
    };
    let with = |f: Field, name: &str| match error(name) {
        Some(e) => f.error(e),
        None => f,
    };
    let mut view = View::new(r.title.clone());
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "Nothing was changed; see the fields below.",
                "Nic nebylo změněno; opravte pole níže.",
            ),
        );
    }
    let late = r.late_days(today);
    if late > 0 {
        view = view.notice(
            NoticeLevel::Warning,
            format!(
                "{} — {}",
                ctx.tr("Past the deadline", "Po termínu"),
                lateness(ctx, late)
            ),
        );
    }
    view = view
        .key_values([
            (
                ctx.tr("State", "Stav").to_owned(),
                r.state.label(ctx).to_owned(),
            ),
            (
                ctx.tr("From", "Od").to_owned(),
                format!("{} ({})", r.founder_name, r.official_name),
            ),
            (ctx.tr("Deadline", "Termín").to_owned(), day(ctx, &r.due)),
            (
                ctx.tr("Priority", "Priorita").to_owned(),
                r.priority.label(ctx).to_owned(),
            ),
            (
                ctx.tr("Handed to", "Předáno").to_owned(),
                r.worker_name.clone(),
            ),
        ])
        .text(r.text.clone());
    if !r.output.is_empty() {
        view = view
            .heading(ctx.tr("What to submit", "Co odevzdat"))
            .text(r.output.clone());
    }
    if !r.answer.is_empty() {
        view = view
            .heading(ctx.tr("What was submitted", "Co bylo odevzdáno"))
            .text(r.answer.clone());
    }
    let path = |action: &str| format!("/inbox/{}/{action}", segment(task));
    if let Some(def) = &r.form {
        let filled = if r.saved_at.is_empty() {
            ctx.tr("Not filled in yet.", "Zatím nevyplněno.").to_owned()
        } else if ctx.is_czech() {
            format!(
                "Naposledy uloženo {} ({}).",
                moment(ctx, &r.saved_at),
                r.saved_by
            )
        } else {
            format!("Last saved {} ({}).", moment(ctx, &r.saved_at), r.saved_by)
        };
        view = view
            .heading(ctx.tr("Form to fill in", "Formulář k vyplnění"))
            .text(format!("{} — {filled}", def.title))
            .actions([Action::primary(
                if r.state.open() {
                    ctx.tr("Fill in the form", "Vyplnit formulář")
                } else {
                    ctx.tr("See the answers", "Zobrazit odpovědi")
                },
                path("form"),
            )]);
    }
    let allowed = |mv: Move| mv.allowed_from(r.state) && mv.permitted(ctx, &r);
    if allowed(Move::Accept) {
        view = view.form(Form::new(
            path("accept"),
            ctx.tr("Accept the task", "Přijmout úkol"),
        ));
    }
    if allowed(Move::Delegate) {
        let workers = people::holders("resolve")?;
        view = view.form(
            Form::new(
                path("delegate"),
                ctx.tr("Hand to the worker", "Předat pracovníkovi"),
            )
            .field(with(
                Field::select(
                    "worker",
                    ctx.tr("Worker", "Pracovník"),
                    workers
                        .iter()
                        .map(|p| (p.user_id.as_str(), p.name.as_str())),
                )
                .required()
                .selected([r.worker.as_str()]),
                "worker",
            )),
        );
    }
    if allowed(Move::Resolve) {
        view = view.form(
            Form::new(
                path("resolve"),
                ctx.tr(
                    "Resolved: back to the responsible person",
                    "Vyřešeno: zpět odpovědné osobě",
                ),
            )
            .field(with(
                Field::textarea("note", ctx.tr("What you did", "Co jste udělali")).required(),
                "note",
            )),
        );
    }
    if allowed(Move::Submit) && r.form.is_none() {
        view = view.form(
            Form::new(
                path("submit"),
                ctx.tr("Submit to the founder", "Odevzdat zřizovateli"),
            )
            .field(with(
                Field::textarea("note", ctx.tr("What you submit", "Co odevzdáváte"))
                    .required()
                    .value(r.answer.clone()),
                "note",
            )),
        );
    }
    if allowed(Move::Decline) {
        view = view.form(
            Form::new(
                path("decline"),
                ctx.tr("Decline the task", "Odmítnout úkol"),
            )
            .field(with(
                Field::textarea("note", ctx.tr("Why you decline it", "Proč jej odmítáte"))
                    .required(),
                "note",
            )),
        );
    }
    view = view
        .heading(ctx.tr("History", "Průběh"))
        .timeline(history(ctx, &r.history));
    view = thread(ctx, view, &r.thread);
    if r.state != State::Closed
        && (can(ctx, "respond") || ctx.principal().is_some_and(|p| p.user_id() == r.worker))
    {
        view = view.form(
            Form::new(
                path("post"),
                ctx.tr("Send to the founder", "Poslat zřizovateli"),
            )
            .field(with(
                Field::textarea(
                    "text",
                    ctx.tr("A question or a message", "Dotaz nebo zpráva"),
                )
                .required(),
                "text",
            )),
        );
    }
    Ok(view.actions([Action::secondary(ctx.tr("All tasks", "Všechny úkoly"), "/")]))
}
