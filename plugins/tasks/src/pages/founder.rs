//! The founder's view of a task and of one organization's progress on it.

use super::*;

/// The founder's view of one task: each organization's progress.
pub fn sent_task(ctx: &Context, task: &str) -> Result<View> {
    let t = task_of(task)?.data;
    let today = today();
    let rows = SENT
        .find()
        .eq("task", task)
        .sort("org")
        .fetch_all::<Sent>(MOST)?;
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    for d in &rows {
        *counts.entry(d.data.state.key()).or_default() += 1;
    }
    let late = rows.iter().filter(|d| d.data.late_days(today) > 0).count();
    let mut table = Table::new(ctx.tr("Organizations", "Organizace"))
        .column(ctx.tr("Organization", "Organizace"))
        .column(ctx.tr("State", "Stav"))
        .column(ctx.tr("Submitted", "Odevzdáno"))
        .column(ctx.tr("Late", "Zpoždění"))
        .numeric_column(ctx.tr("Returned", "Vráceno"));
    for d in &rows {
        let s = &d.data;
        table = table.row([
            Cell::link(
                s.org_name.as_str(),
                format!("/sent/{}/{}", segment(task), segment(&s.org)),
            ),
            Cell::from(s.state.label(ctx)),
            Cell::from(if s.submitted_on.is_empty() {
                String::new()
            } else {
                day(ctx, &s.submitted_on)
            }),
            Cell::from(lateness(ctx, s.late_days(today))),
            Cell::from(s.returns.to_string()),
        ]);
    }
    Ok(View::new(t.title.clone())
        .key_values([
            (ctx.tr("Deadline", "Termín").to_owned(), day(ctx, &t.due)),
            (
                ctx.tr("Priority", "Priorita").to_owned(),
                t.priority.label(ctx).to_owned(),
            ),
            (
                ctx.tr("Responsible official", "Odpovědný úředník")
                    .to_owned(),
                t.official_name.clone(),
            ),
        ])
        .text(t.text.clone())
        .stats([
            Stat::new(
                ctx.tr("Organizations", "Organizací"),
                rows.len().to_string(),
            ),
            Stat::new(
                State::Submitted.label(ctx),
                counts.get("submitted").copied().unwrap_or(0).to_string(),
            ),
            Stat::new(
                State::Closed.label(ctx),
                counts.get("closed").copied().unwrap_or(0).to_string(),
            ),
            Stat::new(ctx.tr("Late", "Po termínu"), late.to_string()),
        ])
        .table(table)
        .actions(
            t.form
                .is_some()
                .then(|| {
                    Action::primary(
                        format!(
                            "{} — {}",
                            ctx.tr("Answers", "Odpovědi"),
                            crate::collection::pages::completeness_words(
                                ctx,
                                rows.iter().map(|d| d.data.state),
                            )
                        ),
                        format!("/campaign/{}", segment(task)),
                    )
                })
                .into_iter()
                .chain([Action::secondary(ctx.tr("All tasks", "Všechny úkoly"), "/")]),
        ))
}

/// The founder's view of one organization's progress on a task.
pub fn sent_org(ctx: &Context, task: &str, org: &str, errors: &[(&str, String)]) -> Result<View> {
    let s = sent_of(task, org)?.data;
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
    let mut view = View::new(format!("{} — {}", s.title, s.org_name));
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "Nothing was changed; see the fields below.",
                "Nic nebylo změněno; opravte pole níže.",
            ),
        );
    }
    let late = s.late_days(today());
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
    view = view.key_values([
        (
            ctx.tr("State", "Stav").to_owned(),
            s.state.label(ctx).to_owned(),
        ),
        (ctx.tr("Deadline", "Termín").to_owned(), day(ctx, &s.due)),
        (
            ctx.tr("Returned", "Vráceno").to_owned(),
            s.returns.to_string(),
        ),
    ]);
    if !s.answer.is_empty() {
        view = view
            .heading(ctx.tr("What was submitted", "Co bylo odevzdáno"))
            .text(s.answer.clone());
    }
    if let Some(def) = task_of(task)?.data.form
        && !s.submitted_on.is_empty()
    {
        let form = crate::collection::form_of(&def)?;
        view = view
            .heading(ctx.tr("The form's answers", "Odpovědi ve formuláři"))
            .key_values(crate::collection::pages::answered(ctx, &form, &s.answers));
    }
    let path = |action: &str| format!("/sent/{}/{}/{action}", segment(task), segment(org));
    if s.state == State::Submitted {
        view = view
            .form(Form::new(
                path("accept"),
                ctx.tr("Accept and close", "Převzít a uzavřít"),
            ))
            .form(
                Form::new(
                    path("return"),
                    ctx.tr("Return to the organization", "Vrátit organizaci"),
                )
                .field(with(
                    Field::textarea(
                        "note",
                        ctx.tr(
                            "What is to be done again, and why",
                            "Co je třeba přepracovat a proč",
                        ),
                    )
                    .required(),
                    "note",
                )),
            );
    }
    if s.state == State::Closed {
        view = view.form(
            Form::new(path("reopen"), ctx.tr("Open it again", "Znovu otevřít")).field(with(
                Field::textarea(
                    "note",
                    ctx.tr(
                        "Why the organization is to change its answer",
                        "Proč má organizace odpověď změnit",
                    ),
                )
                .required(),
                "note",
            )),
        );
    }
    view = view
        .heading(ctx.tr("History", "Průběh"))
        .timeline(history(ctx, &s.history));
    view = thread(ctx, view, &s.thread);
    Ok(view
        .form(
            Form::new(
                path("post"),
                ctx.tr("Send to the organization", "Poslat organizaci"),
            )
            .field(with(
                Field::textarea("text", ctx.tr("A message", "Zpráva")).required(),
                "text",
            )),
        )
        .actions([Action::secondary(
            ctx.tr("The whole task", "Celý úkol"),
            format!("/sent/{}", segment(task)),
        )]))
}
