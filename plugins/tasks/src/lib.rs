//! Tasks: the founder's departments send tasks to the organizations below
//! (each receives its own copy as a message), and follow them through:
//! accepted or declined, discussed both ways, handed to a worker and
//! resolved, submitted, returned with a reason or accepted and closed.
//! Reminders before the deadline and escalation after it are counted in
//! Czech working days; recurring tasks follow an iCalendar schedule.
//!
//! - `model`: what is kept, the states, the messages between the sides.
//! - `flow`: the moves, each audited, told across and to whoever acts next.
//! - `jobs`: reminders, escalation, recurring tasks.
//! - `pages`: what each person sees.
//! - `collection`: a task whose output is a form (data collection).
//! - `approvals`: requests for approval and the founder's flows.

mod approvals;
mod collection;
mod flow;
mod jobs;
mod model;
mod pages;

use portico_sdk::{
    Context, Error, FormPost, Message, Module, Outcome, Page, Request, Response, Result, View,
    people, segment,
};

use flow::{Judgement, Move};
use model::{Addressees, Priority, SERIES, Series, Task, now, today};
use portico_forms::definition::Definition;

struct Tasks;

/// What the new-task form asked for.
pub struct NewTask {
    title: String,
    text: String,
    output: String,
    priority: Priority,
    due: String,
    rule: String,
    official: String,
    to: Addressees,
    /// The form to fill in, when the task collects data.
    form: Option<Definition>,
}

fn create(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let new = match pages::read_new(ctx, form) {
        Ok(n) => n,
        Err(errors) => return Ok(Outcome::Show(pages::new_task(ctx, Some(form), &errors)?)),
    };
    let me = ctx.principal().ok_or_else(|| {
        Error::forbidden(ctx.tr("Log in to send tasks.", "Pro odeslání úkolu se přihlaste."))
    })?;
    let (official, official_name) = people::holders("assign")?
        .into_iter()
        .find(|p| p.user_id == new.official)
        .map(|p| (p.user_id, p.name))
        .unwrap_or_else(|| (me.user_id().to_owned(), me.name().to_owned()));
    let to = flow::addressed(&new.to)?;
    if to.is_empty() {
        let errors = [(
            "to",
            ctx.tr(
                "None of the organizations chosen has this module enabled.",
                "Žádná z vybraných organizací nemá tento modul zapnutý.",
            )
            .to_owned(),
        )];
        return Ok(Outcome::Show(pages::new_task(ctx, Some(form), &errors)?));
    }
    if new.rule.is_empty() {
        let task = Task {
            key: String::new(),
            title: new.title,
            text: new.text,
            priority: new.priority,
            due: new.due,
            official,
            official_name,
            output: new.output,
            addressees: Vec::new(),
            series: String::new(),
            form: new.form,
            created_by: ctx.person(),
            created_at: now(),
        };
        let id = flow::send_task(ctx, task, &to)?;
        let said = if ctx.is_czech() {
            match to.len() {
                1 => "Úkol byl odeslán 1 organizaci.".to_owned(),
                n => format!("Úkol byl odeslán {n} organizacím."),
            }
        } else {
            match to.len() {
                1 => "The task was sent to 1 organization.".to_owned(),
                n => format!("The task was sent to {n} organizations."),
            }
        };
        return Ok(Outcome::redirect_with(
            format!("/sent/{}", segment(&id)),
            said,
        ));
    }
    let mut series = Series {
        title: new.title,
        text: new.text,
        priority: new.priority,
        official,
        official_name,
        output: new.output,
        addressees: new.to,
        rule: new.rule,
        start: new.due.clone(),
        next: new.due,
        form: new.form,
        created_by: ctx.person(),
    };
    let stored = SERIES.insert(&series)?;
    let lead = settings_lead()?;
    let sent = jobs::send_due(
        ctx,
        &stored.id,
        &mut series,
        today() + jobs::chrono_days(lead),
    )?;
    SERIES.update(&stored.id, stored.version, &series)?;
    portico_sdk::audit::append(
        "task.series",
        &stored.id,
        &serde_json::json!({ "title": series.title, "rule": series.rule, "start": series.start }),
    )?;
    let said = if ctx.is_czech() {
        format!(
            "Opakovaný úkol je založen; odesláno nyní: {sent}. Další se odešlou {lead} dní před svým termínem."
        )
    } else {
        format!(
            "The recurring task is set up; sent now: {sent}. The next are sent {lead} days before their deadlines."
        )
    };
    Ok(Outcome::redirect_with("/", said))
}

fn settings_lead() -> Result<i64> {
    Ok(portico_sdk::settings::get("lead-days")?
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as i64)
        .unwrap_or(30))
}

/// A field the form must have, or its error.
fn required<'a>(
    ctx: &Context,
    form: &'a FormPost,
    name: &'static str,
) -> std::result::Result<&'a str, Vec<(&'static str, String)>> {
    // A message of the discussion is shorter than a note or an answer.
    let most = if name == "text" {
        model::MOST_POST_CHARS
    } else {
        model::MOST_TEXT
    };
    match form.get(name).map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() <= most => Ok(v),
        Some(_) => Err(vec![(
            name,
            if ctx.is_czech() {
                format!("Použijte nejvýše {most} znaků.")
            } else {
                format!("Use at most {most} characters.")
            },
        )]),
        None => Err(vec![(
            name,
            ctx.tr("Fill this in.", "Vyplňte prosím.").to_owned(),
        )]),
    }
}

fn act_in_organization(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let task = form.param("task").unwrap_or_default().to_owned();
    let action = form.param("action").unwrap_or_default();
    let back = format!("/inbox/{}", segment(&task));
    let show = |errors: Vec<(&'static str, String)>| -> Result<Outcome> {
        Ok(Outcome::Show(pages::inbox(ctx, &task, &errors)?))
    };
    if action == "post" {
        let text = match required(ctx, form, "text") {
            Ok(t) => t,
            Err(e) => return show(e),
        };
        let r = model::received_of(&task)?.data;
        let may = ctx
            .principal()
            .is_some_and(|p| p.has_permission("tasks.respond") || p.user_id() == r.worker);
        if !may {
            return Err(Error::forbidden(ctx.tr("Only the organization's responsible person or its worker may write to the founder.",
                "Zřizovateli smí psát jen odpovědná osoba organizace nebo její pracovník.",
            )));
        }
        flow::post(ctx, &task, None, text)?;
        return Ok(Outcome::redirect_with(
            back,
            ctx.tr("The message is sent.", "Zpráva je odeslána."),
        ));
    }
    let Some(mv) = Move::parse(action) else {
        return Err(Error::not_found(format!("no action {action}")));
    };
    // What a form collects is submitted from the form, checked whole.
    if mv == Move::Submit && model::received_of(&task)?.data.form.is_some() {
        return Ok(Outcome::redirect(format!("/inbox/{}/form", segment(&task))));
    }
    let (note, worker) = match mv {
        Move::Decline | Move::Resolve | Move::Submit => match required(ctx, form, "note") {
            Ok(n) => (n, ""),
            Err(e) => return show(e),
        },
        Move::Delegate => match required(ctx, form, "worker") {
            Ok(w) => ("", w),
            Err(e) => return show(e),
        },
        Move::Accept => ("", ""),
    };
    match flow::make_move(ctx, &task, mv, note, worker, None) {
        Err(e) => match pages::field_errors(&e) {
            Some(errors) => show(errors),
            None => Err(e),
        },
        Ok(()) => {
            let said = match mv {
                Move::Accept => ctx.tr("The task is accepted.", "Úkol je přijat."),
                Move::Decline => ctx.tr(
                    "The task is declined; the founder is told why.",
                    "Úkol je odmítnut; zřizovatel se dozví proč.",
                ),
                Move::Delegate => ctx.tr(
                    "The task is handed to the worker.",
                    "Úkol je předán pracovníkovi.",
                ),
                Move::Resolve => ctx.tr(
                    "Resolved: the responsible person takes it from here.",
                    "Vyřešeno: dál pokračuje odpovědná osoba.",
                ),
                Move::Submit => ctx.tr(
                    "The task is submitted to the founder.",
                    "Úkol je odevzdán zřizovateli.",
                ),
            };
            Ok(Outcome::redirect_with(back, said))
        }
    }
}

fn act_as_founder(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let task = form.param("task").unwrap_or_default().to_owned();
    let org = form.param("org").unwrap_or_default().to_owned();
    let back = format!("/sent/{}/{}", segment(&task), segment(&org));
    let show = |errors: Vec<(&'static str, String)>| -> Result<Outcome> {
        Ok(Outcome::Show(pages::sent_org(ctx, &task, &org, &errors)?))
    };
    match form.param("action").unwrap_or_default() {
        "accept" => {
            flow::judge(ctx, &task, &org, Judgement::Accept, "")?;
            Ok(Outcome::redirect_with(
                back,
                ctx.tr("Accepted and closed.", "Převzato a uzavřeno."),
            ))
        }
        "return" => {
            let reason = match required(ctx, form, "note") {
                Ok(r) => r,
                Err(e) => return show(e),
            };
            flow::judge(ctx, &task, &org, Judgement::Return, reason)?;
            Ok(Outcome::redirect_with(
                back,
                ctx.tr(
                    "Returned to the organization, with the reason.",
                    "Vráceno organizaci i s důvodem.",
                ),
            ))
        }
        "reopen" => {
            let reason = match required(ctx, form, "note") {
                Ok(r) => r,
                Err(e) => return show(e),
            };
            flow::judge(ctx, &task, &org, Judgement::Reopen, reason)?;
            Ok(Outcome::redirect_with(
                back,
                ctx.tr(
                    "Opened again: the organization may change its answer.",
                    "Znovu otevřeno: organizace může svou odpověď změnit.",
                ),
            ))
        }
        "post" => {
            let text = match required(ctx, form, "text") {
                Ok(t) => t,
                Err(e) => return show(e),
            };
            flow::post(ctx, &task, Some(&org), text)?;
            Ok(Outcome::redirect_with(
                back,
                ctx.tr("The message is sent.", "Zpráva je odeslána."),
            ))
        }
        other => Err(Error::not_found(format!("no action {other}"))),
    }
}

impl Module for Tasks {
    const ID: &'static str = "tasks";
    const NAME: &'static str = "Tasks";

    fn render(ctx: &Context, page: &Page) -> Result<View> {
        let param = |name: &str| page.param(name).unwrap_or_default();
        match page.pattern() {
            "/" => pages::home(ctx),
            "/new" => pages::new_task(ctx, None, &[]),
            "/overview" => pages::overview(ctx, page),
            "/sent/{task}" => pages::sent_task(ctx, param("task")),
            "/sent/{task}/{org}" | "/sent/{task}/{org}/{action}" => {
                pages::sent_org(ctx, param("task"), param("org"), &[])
            }
            "/inbox/{task}/form" => collection::pages::fill(ctx, param("task"), None, &[]),
            "/inbox/{task}" | "/inbox/{task}/{action}" => pages::inbox(ctx, param("task"), &[]),
            "/campaign/{task}" | "/campaign/{task}/remind" => {
                collection::pages::answers(ctx, param("task"))
            }
            "/approvals" => approvals::pages::overview(ctx),
            "/approvals/new" => approvals::pages::new_request(ctx, None, &[]),
            "/approvals/flows" => approvals::pages::flows(ctx, None, &[]),
            "/approvals/absences" => approvals::pages::absences(ctx, None, &[]),
            "/approvals/{org}/{key}" | "/approvals/{org}/{key}/{action}" => {
                approvals::pages::one_screen(ctx, param("key"), param("org"), &[])
            }
            "/requests/{key}" => approvals::pages::own_request(ctx, param("key")),
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        match form.pattern() {
            "/new" => create(ctx, form),
            // The overview's filter: the chosen filter as the page's address.
            "/overview" => Ok(Outcome::redirect(format!(
                "/overview?category={}&state={}",
                segment(form.get("category").unwrap_or_default()),
                segment(form.get("state").unwrap_or_default())
            ))),
            "/inbox/{task}/form" => collection::pages::save(ctx, form),
            "/inbox/{task}/{action}" => act_in_organization(ctx, form),
            "/campaign/{task}/remind" => collection::pages::remind(ctx, form),
            "/sent/{task}/{org}/{action}" => act_as_founder(ctx, form),
            "/approvals/new" => approvals::pages::submit_request(ctx, form),
            "/approvals/flows" => approvals::pages::save_flow(ctx, form),
            "/approvals/absences" => approvals::pages::save_absence(ctx, form),
            "/approvals/{org}/{key}/{action}" => approvals::pages::decide(ctx, form),
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        let param = |name: &str| req.param(name).unwrap_or_default();
        match req.pattern() {
            "/export.csv" => pages::export_csv(),
            "/campaign/{task}/answers.csv" => collection::export::csv(ctx, param("task")),
            "/campaign/{task}/answers.xlsx" => collection::export::xlsx(ctx, param("task")),
            other => Err(Error::not_found(format!("no API at {other}"))),
        }
    }

    fn run_job(ctx: &Context, job: &str) -> Result<()> {
        match job {
            "deadlines" => jobs::deadlines(ctx),
            "schedule" => jobs::schedule(ctx),
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }

    fn on_message(ctx: &Context, message: &Message) -> Result<()> {
        if message.kind.starts_with("approval.") {
            approvals::deciding::receive(ctx, message)
        } else {
            flow::receive(message)
        }
    }
}

portico_sdk::export!(Tasks);
