//! Each person's home: what the organization owes, what is handed to me, what I sent.

use super::*;

/// Each person's home: the parts their permissions open.
pub fn home(ctx: &Context) -> Result<View> {
    let mut view = View::new(ctx.tr("Tasks", "Úkoly"));
    let today = today();
    let (assign, respond, resolve) = (can(ctx, "assign"), can(ctx, "respond"), can(ctx, "resolve"));
    let approve = can(ctx, "approve");
    if !(assign || respond || resolve || approve) {
        return Ok(view.notice(
            NoticeLevel::Info,
            ctx.tr("You hold no role in tasks here. Ask your administrator for one: an official sends tasks, the responsible person answers for the organization, a worker resolves what is handed to them.",
                "V úkolech zde nemáte žádnou roli. Požádejte správce: úředník úkoly posílá, odpovědná osoba za organizaci odpovídá, pracovník řeší, co mu bylo předáno.",
            ),
        ));
    }
    if respond {
        // What is still owed, by state (each an indexed query), soonest first.
        let mut owed = Vec::new();
        for state in State::ALL.into_iter().filter(|s| s.open()) {
            owed.extend(
                RECEIVED
                    .find()
                    .eq("state", state.key())
                    .sort("due")
                    .limit(200)
                    .fetch::<Received>()?
                    .documents
                    .into_iter()
                    .map(|d| d.data),
            );
        }
        owed.sort_by(|a, b| a.due.cmp(&b.due));
        let mut t = Table::new(ctx.tr(
            "What our organization must do, by deadline",
            "Co musí naše organizace udělat, podle termínu",
        ))
        .column(ctx.tr("Task", "Úkol"))
        .column(ctx.tr("From", "Od"))
        .column(ctx.tr("Due", "Termín"))
        .column(ctx.tr("State", "Stav"))
        .column(ctx.tr("Late", "Zpoždění"))
        .empty_text(ctx.tr("Nothing to do.", "Nic k vyřízení."));
        for r in &owed {
            t = t.row([
                Cell::link(r.title.as_str(), format!("/inbox/{}", segment(&r.task))),
                Cell::from(r.founder_name.as_str()),
                Cell::from(day(ctx, &r.due)),
                Cell::from(r.state.label(ctx)),
                Cell::from(lateness(ctx, r.late_days(today))),
            ]);
        }
        view = view.table(t);
    }
    if resolve {
        let me = ctx
            .principal()
            .map(|p| p.user_id().to_owned())
            .unwrap_or_default();
        let mine = RECEIVED
            .find()
            .eq("worker", &me)
            .eq("state", State::Delegated.key())
            .sort("due")
            .limit(200)
            .fetch::<Received>()?
            .documents;
        let mut t = Table::new(ctx.tr("Handed to me", "Předáno mně"))
            .column(ctx.tr("Task", "Úkol"))
            .column(ctx.tr("Due", "Termín"))
            .column(ctx.tr("State", "Stav"))
            .empty_text(ctx.tr("Nothing is handed to you.", "Nic vám není předáno."));
        for d in mine.iter().filter(|d| d.data.state == State::Delegated) {
            t = t.row([
                Cell::link(
                    d.data.title.as_str(),
                    format!("/inbox/{}", segment(&d.data.task)),
                ),
                Cell::from(day(ctx, &d.data.due)),
                Cell::from(d.data.state.label(ctx)),
            ]);
        }
        view = view.table(t);
    }
    if assign {
        view = view.actions([
            Action::primary(ctx.tr("New task", "Nový úkol"), "/new"),
            Action::secondary(ctx.tr("Overview", "Přehled plnění"), "/overview"),
            Action::secondary(
                ctx.tr("Download as CSV", "Stáhnout jako CSV"),
                "/export.csv",
            ),
        ]);
        let tasks = TASKS
            .find()
            .sort_desc("due")
            .limit(30)
            .fetch::<Task>()?
            .documents;
        let mut t = Table::new(ctx.tr(
            "Tasks sent, latest deadline first",
            "Odeslané úkoly, od nejpozdějšího termínu",
        ))
        .column(ctx.tr("Task", "Úkol"))
        .column(ctx.tr("Due", "Termín"))
        .numeric_column(ctx.tr("Organizations", "Organizací"))
        .numeric_column(ctx.tr("Closed", "Uzavřeno"))
        .empty_text(ctx.tr("No task sent yet.", "Zatím nebyl odeslán žádný úkol."));
        // The closed copies of the tasks shown (a copy has its task's
        // deadline), counted in one query.
        let oldest = tasks.last().map(|d| d.data.due.clone()).unwrap_or_default();
        let closed_by_task: BTreeMap<String, u64> = SENT
            .count_by("task")
            .eq("state", State::Closed.key())
            .ge("due", &oldest)
            .fetch()?
            .into_iter()
            .filter_map(|g| Some((g.key?, g.count)))
            .collect();
        for d in tasks {
            let closed = closed_by_task.get(&d.data.key).copied().unwrap_or(0);
            t = t.row([
                Cell::link(
                    d.data.title.as_str(),
                    format!("/sent/{}", segment(&d.data.key)),
                ),
                Cell::from(day(ctx, &d.data.due)),
                Cell::from(d.data.addressees.len().to_string()),
                Cell::from(closed.to_string()),
            ]);
        }
        view = view.table(t);
    }
    if assign || respond || approve {
        view = view.actions([Action::secondary(
            ctx.tr("Approvals", "Schvalování"),
            "/approvals",
        )]);
    }
    Ok(view)
}
