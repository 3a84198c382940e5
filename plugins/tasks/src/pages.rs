//! The pages: the home page of each person (what I sent, what my
//! organization owes, what was handed to me), a new task, the founder's
//! view of a task and of one organization's progress on it, an
//! organization's own task, the overview and its CSV.

use std::collections::{BTreeMap, BTreeSet};

use portico_sdk::calendar;
use portico_sdk::orgs;
use portico_sdk::records::Filters;
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form, FormPost, NoticeLevel, Page, Pager, Response,
    Result, Stat, Table, TimelineEntry, View, people, segment,
};

use crate::flow::Move;
use crate::model::{
    MOST, Post, Priority, RECEIVED, Received, SENT, Sent, State, Step, TASKS, Task, day, days_late,
    moment, received_of, sent_of, task_of, today, tr,
};

/// The schedules a recurring task can follow (checked against
/// python-dateutil by the tests).
#[derive(serde::Deserialize)]
pub struct Offered {
    pub rule: String,
    pub en: String,
    pub cs: String,
}

pub fn schedules() -> Vec<Offered> {
    serde_json::from_str(include_str!("../schedules.json")).unwrap_or_default()
}

/// An organization's category as people read it; one the module does not
/// know, as its administrator wrote it.
fn category_label(ctx: &Context, category: &str) -> String {
    let (en, cs) = match category {
        "school" => ("Schools", "Školy"),
        "hospital" => ("Hospitals", "Nemocnice"),
        "social-services" => ("Social services", "Sociální služby"),
        "road-administration" => ("Road administration", "Správa silnic"),
        "culture" => ("Culture", "Kultura"),
        other => return other.to_owned(),
    };
    tr(ctx, en, cs).to_owned()
}

fn can(ctx: &Context, permission: &str) -> bool {
    ctx.principal()
        .is_some_and(|p| p.has_permission(&format!("tasks.{permission}")))
}

fn lateness(ctx: &Context, days: i64) -> String {
    if days == 0 {
        String::new()
    } else {
        days_late(ctx, days)
    }
}

/// Each person's home: the parts their permissions open.
pub fn home(ctx: &Context) -> Result<View> {
    let mut view = View::new(tr(ctx, "Tasks", "Úkoly"));
    let today = today();
    let (assign, respond, resolve) = (can(ctx, "assign"), can(ctx, "respond"), can(ctx, "resolve"));
    let approve = can(ctx, "approve");
    if !(assign || respond || resolve || approve) {
        return Ok(view.notice(
            NoticeLevel::Info,
            tr(
                ctx,
                "You hold no role in tasks here. Ask your administrator for one: an official sends tasks, the responsible person answers for the organization, a worker resolves what is handed to them.",
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
        let mut t = Table::new(tr(
            ctx,
            "What our organization must do, by deadline",
            "Co musí naše organizace udělat, podle termínu",
        ))
        .column(tr(ctx, "Task", "Úkol"))
        .column(tr(ctx, "From", "Od"))
        .column(tr(ctx, "Due", "Termín"))
        .column(tr(ctx, "State", "Stav"))
        .column(tr(ctx, "Late", "Zpoždění"))
        .empty_text(tr(ctx, "Nothing to do.", "Nic k vyřízení."));
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
        let mut t = Table::new(tr(ctx, "Handed to me", "Předáno mně"))
            .column(tr(ctx, "Task", "Úkol"))
            .column(tr(ctx, "Due", "Termín"))
            .column(tr(ctx, "State", "Stav"))
            .empty_text(tr(
                ctx,
                "Nothing is handed to you.",
                "Nic vám není předáno.",
            ));
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
            Action::primary(tr(ctx, "New task", "Nový úkol"), "/new"),
            Action::secondary(tr(ctx, "Overview", "Přehled plnění"), "/overview"),
            Action::secondary(
                tr(ctx, "Download as CSV", "Stáhnout jako CSV"),
                "/export.csv",
            ),
        ]);
        let tasks = TASKS
            .find()
            .sort_desc("due")
            .limit(30)
            .fetch::<Task>()?
            .documents;
        let mut t = Table::new(tr(
            ctx,
            "Tasks sent, latest deadline first",
            "Odeslané úkoly, od nejpozdějšího termínu",
        ))
        .column(tr(ctx, "Task", "Úkol"))
        .column(tr(ctx, "Due", "Termín"))
        .numeric_column(tr(ctx, "Organizations", "Organizací"))
        .numeric_column(tr(ctx, "Closed", "Uzavřeno"))
        .empty_text(tr(
            ctx,
            "No task sent yet.",
            "Zatím nebyl odeslán žádný úkol.",
        ));
        for d in tasks {
            let closed: u64 = SENT
                .count_by("state")
                .eq("task", &d.data.key)
                .fetch()?
                .into_iter()
                .filter(|g| g.key.as_deref() == Some(State::Closed.key()))
                .map(|g| g.count)
                .sum();
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
            tr(ctx, "Approvals", "Schvalování"),
            "/approvals",
        )]);
    }
    Ok(view)
}

/// The form for a new task; after a refused post, with what was typed
/// and the errors at the fields.
pub fn new_task(ctx: &Context, form: Option<&FormPost>, errors: &[(&str, String)]) -> Result<View> {
    let value = |name: &str| {
        form.and_then(|f| f.get(name))
            .unwrap_or_default()
            .to_owned()
    };
    let with = |f: Field, name: &str| {
        let f = f.value(value(name));
        match errors.iter().find(|(n, _)| *n == name) {
            Some((_, e)) => f.error(e.clone()),
            None => f,
        }
    };
    let below: Vec<_> = orgs::descendants(None, None)?
        .into_iter()
        .filter(|o| o.module_enabled)
        .collect();
    let categories: BTreeSet<String> = below.iter().filter_map(|o| o.category.clone()).collect();
    let officials = people::holders("assign")?;
    let me = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    let official = form
        .and_then(|f| f.get("official"))
        .map(str::to_owned)
        .unwrap_or(me.clone());
    let mut official_choices: Vec<(String, String)> =
        officials.into_iter().map(|p| (p.user_id, p.name)).collect();
    if !official_choices.iter().any(|(id, _)| *id == me) {
        let name = ctx
            .principal()
            .map(|p| p.name().to_owned())
            .unwrap_or_default();
        official_choices.insert(0, (me.clone(), name));
    }
    let to = form.and_then(|f| f.get("to")).unwrap_or("all").to_owned();
    let picked: Vec<String> = form
        .map(|f| f.all("orgs").map(str::to_owned).collect())
        .unwrap_or_default();
    let mut schedule_choices = vec![(
        String::new(),
        tr(
            ctx,
            "Once, on the deadline above",
            "Jednorázově, k termínu výše",
        )
        .to_owned(),
    )];
    schedule_choices.extend(schedules().into_iter().map(|s| {
        let label = tr(ctx, &s.en, &s.cs).to_owned();
        (s.rule, label)
    }));
    let mut view = View::new(tr(ctx, "New task", "Nový úkol"));
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            tr(
                ctx,
                "The task was not sent; see the fields below.",
                "Úkol nebyl odeslán; opravte pole níže.",
            ),
        );
    }
    if below.is_empty() {
        view = view.notice(
            NoticeLevel::Warning,
            tr(
                ctx,
                "No organization below has this module enabled, so there is nobody to send a task to.",
                "Žádná organizace pod vámi nemá tento modul zapnutý, úkol tedy není komu poslat.",
            ),
        );
    }
    let mut f = Form::new("/new", tr(ctx, "Send the task", "Odeslat úkol"))
        .field(with(
            Field::text("title", tr(ctx, "Title", "Název")).required(),
            "title",
        ))
        .field(with(
            Field::textarea("text", tr(ctx, "What is to be done", "Co je třeba udělat")),
            "text",
        ))
        .field(with(
            Field::textarea(
                "output",
                tr(
                    ctx,
                    "What the organizations submit",
                    "Co organizace odevzdají",
                ),
            )
            .help(tr(
                ctx,
                "For example: a short report, the numbers asked for.",
                "Například: krátká zpráva, požadované údaje.",
            )),
            "output",
        ))
        .field(
            Field::select(
                "priority",
                tr(ctx, "Priority", "Priorita"),
                Priority::ALL.map(|p| (p.key(), p.label(ctx))),
            )
            .selected([form.and_then(|f| f.get("priority")).unwrap_or("normal")]),
        )
        .field(with(
            Field::date("due", tr(ctx, "Deadline", "Termín")).help(tr(
                ctx,
                "For a recurring task: the first day its schedule may fall on.",
                "U opakovaného úkolu: první den, na který může připadnout.",
            )),
            "due",
        ))
        .field(
            Field::select(
                "schedule",
                tr(ctx, "Repeats", "Opakování"),
                schedule_choices,
            )
            .selected([value("schedule")]),
        )
        .field(
            Field::select(
                "official",
                tr(ctx, "Responsible official", "Odpovědný úředník"),
                official_choices,
            )
            .selected([official]),
        )
        .field(with(
            Field::radio(
                "to",
                tr(ctx, "Send to", "Komu"),
                [
                    (
                        "all",
                        tr(ctx, "Every organization below", "Všem organizacím pod námi"),
                    ),
                    (
                        "category",
                        tr(ctx, "Those of one kind", "Organizacím jednoho druhu"),
                    ),
                    ("picked", tr(ctx, "Those picked below", "Vybraným níže")),
                ],
            )
            .selected([to]),
            "to",
        ));
    if !categories.is_empty() {
        f = f.field(
            Field::select(
                "category",
                tr(ctx, "Kind of organization", "Druh organizace"),
                categories
                    .iter()
                    .map(|c| (c.clone(), category_label(ctx, c))),
            )
            .selected([value("category")]),
        );
    }
    f = f.field(with(
        Field::checkboxes(
            "orgs",
            tr(ctx, "Organizations", "Organizace"),
            below.iter().map(|o| (o.id.as_str(), o.name.as_str())),
        )
        .selected(picked),
        "orgs",
    ));
    Ok(view.form(f))
}

fn history(ctx: &Context, steps: &[Step]) -> Vec<TimelineEntry> {
    steps
        .iter()
        .rev()
        .map(|s| {
            let mut e = TimelineEntry::new(
                moment(ctx, &s.at),
                format!("{} — {}", s.state.label(ctx), s.by),
            );
            if !s.note.is_empty() {
                e = e.text(s.note.clone());
            }
            e
        })
        .collect()
}

fn thread(ctx: &Context, view: View, posts: &[Post]) -> View {
    let view = view.heading(tr(ctx, "Discussion", "Diskuse"));
    if posts.is_empty() {
        return view.text(tr(ctx, "No message yet.", "Zatím žádná zpráva."));
    }
    view.timeline(posts.iter().map(|p| {
        TimelineEntry::new(moment(ctx, &p.at), format!("{} ({})", p.by, p.org)).text(p.text.clone())
    }))
}

/// An organization's own copy of a task, with what its people may do.
pub fn inbox(ctx: &Context, task: &str, errors: &[(&str, String)]) -> Result<View> {
    if !(can(ctx, "respond") || can(ctx, "resolve")) {
        return Err(Error::forbidden(tr(
            ctx,
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
            tr(
                ctx,
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
                tr(ctx, "Past the deadline", "Po termínu"),
                lateness(ctx, late)
            ),
        );
    }
    view = view
        .key_values([
            (
                tr(ctx, "State", "Stav").to_owned(),
                r.state.label(ctx).to_owned(),
            ),
            (
                tr(ctx, "From", "Od").to_owned(),
                format!("{} ({})", r.founder_name, r.official_name),
            ),
            (tr(ctx, "Deadline", "Termín").to_owned(), day(ctx, &r.due)),
            (
                tr(ctx, "Priority", "Priorita").to_owned(),
                r.priority.label(ctx).to_owned(),
            ),
            (
                tr(ctx, "Handed to", "Předáno").to_owned(),
                r.worker_name.clone(),
            ),
        ])
        .text(r.text.clone());
    if !r.output.is_empty() {
        view = view
            .heading(tr(ctx, "What to submit", "Co odevzdat"))
            .text(r.output.clone());
    }
    if !r.answer.is_empty() {
        view = view
            .heading(tr(ctx, "What was submitted", "Co bylo odevzdáno"))
            .text(r.answer.clone());
    }
    let path = |action: &str| format!("/inbox/{}/{action}", segment(task));
    let allowed = |mv: Move| mv.allowed_from(r.state) && mv.permitted(ctx, &r);
    if allowed(Move::Accept) {
        view = view.form(Form::new(
            path("accept"),
            tr(ctx, "Accept the task", "Přijmout úkol"),
        ));
    }
    if allowed(Move::Delegate) {
        let workers = people::holders("resolve")?;
        view = view.form(
            Form::new(
                path("delegate"),
                tr(ctx, "Hand to the worker", "Předat pracovníkovi"),
            )
            .field(with(
                Field::select(
                    "worker",
                    tr(ctx, "Worker", "Pracovník"),
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
                tr(
                    ctx,
                    "Resolved: back to the responsible person",
                    "Vyřešeno: zpět odpovědné osobě",
                ),
            )
            .field(with(
                Field::textarea("note", tr(ctx, "What you did", "Co jste udělali")).required(),
                "note",
            )),
        );
    }
    if allowed(Move::Submit) {
        view = view.form(
            Form::new(
                path("submit"),
                tr(ctx, "Submit to the founder", "Odevzdat zřizovateli"),
            )
            .field(with(
                Field::textarea("note", tr(ctx, "What you submit", "Co odevzdáváte"))
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
                tr(ctx, "Decline the task", "Odmítnout úkol"),
            )
            .field(with(
                Field::textarea("note", tr(ctx, "Why you decline it", "Proč jej odmítáte"))
                    .required(),
                "note",
            )),
        );
    }
    view = view
        .heading(tr(ctx, "History", "Průběh"))
        .timeline(history(ctx, &r.history));
    view = thread(ctx, view, &r.thread);
    if r.state != State::Closed
        && (can(ctx, "respond") || ctx.principal().is_some_and(|p| p.user_id() == r.worker))
    {
        view = view.form(
            Form::new(
                path("post"),
                tr(ctx, "Send to the founder", "Poslat zřizovateli"),
            )
            .field(with(
                Field::textarea(
                    "text",
                    tr(ctx, "A question or a message", "Dotaz nebo zpráva"),
                )
                .required(),
                "text",
            )),
        );
    }
    Ok(view.actions([Action::secondary(
        tr(ctx, "All tasks", "Všechny úkoly"),
        "/",
    )]))
}

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
    let mut table = Table::new(tr(ctx, "Organizations", "Organizace"))
        .column(tr(ctx, "Organization", "Organizace"))
        .column(tr(ctx, "State", "Stav"))
        .column(tr(ctx, "Submitted", "Odevzdáno"))
        .column(tr(ctx, "Late", "Zpoždění"))
        .numeric_column(tr(ctx, "Returned", "Vráceno"));
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
            (tr(ctx, "Deadline", "Termín").to_owned(), day(ctx, &t.due)),
            (
                tr(ctx, "Priority", "Priorita").to_owned(),
                t.priority.label(ctx).to_owned(),
            ),
            (
                tr(ctx, "Responsible official", "Odpovědný úředník").to_owned(),
                t.official_name.clone(),
            ),
        ])
        .text(t.text.clone())
        .stats([
            Stat::new(
                tr(ctx, "Organizations", "Organizací"),
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
            Stat::new(tr(ctx, "Late", "Po termínu"), late.to_string()),
        ])
        .table(table)
        .actions([Action::secondary(
            tr(ctx, "All tasks", "Všechny úkoly"),
            "/",
        )]))
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
            tr(
                ctx,
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
                tr(ctx, "Past the deadline", "Po termínu"),
                lateness(ctx, late)
            ),
        );
    }
    view = view.key_values([
        (
            tr(ctx, "State", "Stav").to_owned(),
            s.state.label(ctx).to_owned(),
        ),
        (tr(ctx, "Deadline", "Termín").to_owned(), day(ctx, &s.due)),
        (
            tr(ctx, "Returned", "Vráceno").to_owned(),
            s.returns.to_string(),
        ),
    ]);
    if !s.answer.is_empty() {
        view = view
            .heading(tr(ctx, "What was submitted", "Co bylo odevzdáno"))
            .text(s.answer.clone());
    }
    let path = |action: &str| format!("/sent/{}/{}/{action}", segment(task), segment(org));
    if s.state == State::Submitted {
        view = view
            .form(Form::new(
                path("accept"),
                tr(ctx, "Accept and close", "Převzít a uzavřít"),
            ))
            .form(
                Form::new(
                    path("return"),
                    tr(ctx, "Return to the organization", "Vrátit organizaci"),
                )
                .field(with(
                    Field::textarea(
                        "note",
                        tr(
                            ctx,
                            "What is to be done again, and why",
                            "Co je třeba přepracovat a proč",
                        ),
                    )
                    .required(),
                    "note",
                )),
            );
    }
    view = view
        .heading(tr(ctx, "History", "Průběh"))
        .timeline(history(ctx, &s.history));
    view = thread(ctx, view, &s.thread);
    Ok(view
        .form(
            Form::new(
                path("post"),
                tr(ctx, "Send to the organization", "Poslat organizaci"),
            )
            .field(with(
                Field::textarea("text", tr(ctx, "A message", "Zpráva")).required(),
                "text",
            )),
        )
        .actions([Action::secondary(
            tr(ctx, "The whole task", "Celý úkol"),
            format!("/sent/{}", segment(task)),
        )]))
}

/// Organizations on one page of the overview.
const ROWS: usize = 50;
/// Tasks, newest deadline first, as the overview's columns.
const COLUMNS: u32 = 40;

/// The founder's overview: organizations × tasks, each cell the state
/// (and lateness); filtered by category and state, paged by organization.
pub fn overview(ctx: &Context, page: &Page) -> Result<View> {
    let today = today();
    let category = page.query("category").filter(|c| !c.is_empty());
    let only = page.query("state").and_then(State::parse);
    let late_only = page.query("state") == Some("late");
    let from: usize = page.query("from").and_then(|f| f.parse().ok()).unwrap_or(0);
    let below: Vec<_> = orgs::descendants(None, None)?
        .into_iter()
        .filter(|o| o.module_enabled)
        .collect();
    let categories: BTreeSet<String> = below.iter().filter_map(|o| o.category.clone()).collect();
    let shown: Vec<_> = below
        .iter()
        .filter(|o| category.is_none() || o.category.as_deref() == category)
        .collect();
    let rows: Vec<_> = shown.iter().skip(from).take(ROWS).collect();
    let tasks = TASKS
        .find()
        .sort_desc("due")
        .limit(COLUMNS)
        .fetch::<Task>()?
        .documents;
    // The page's organizations' copies of the column tasks: one indexed
    // query per organization, however many tasks the years have added.
    let mut cells: BTreeMap<(String, String), Sent> = BTreeMap::new();
    if let Some(oldest) = tasks.last().map(|t| t.data.due.clone()) {
        let keys: BTreeSet<&str> = tasks.iter().map(|t| t.data.key.as_str()).collect();
        for o in &rows {
            for d in SENT
                .find()
                .eq("org", &o.id)
                .ge("due", &oldest)
                .fetch_all::<Sent>(MOST)?
            {
                if keys.contains(d.data.task.as_str()) {
                    cells.insert((d.data.org.clone(), d.data.task.clone()), d.data);
                }
            }
        }
    }
    let (mut on_time, mut late, mut returned) = (0, 0, 0);
    for s in cells.values() {
        if s.late_days(today) > 0 || (!s.submitted_on.is_empty() && s.submitted_on > s.due) {
            late += 1;
        } else if matches!(s.state, State::Submitted | State::Closed) {
            on_time += 1;
        }
        if s.returns > 0 {
            returned += 1;
        }
    }
    let shown_here = tr(
        ctx,
        "Of the organizations shown",
        "U zobrazených organizací",
    );
    let mut view = View::new(tr(ctx, "Overview of tasks", "Přehled plnění úkolů")).stats([
        Stat::new(
            tr(ctx, "Submitted on time", "Odevzdáno včas"),
            on_time.to_string(),
        )
        .detail(shown_here),
        Stat::new(tr(ctx, "Late", "Po termínu"), late.to_string()).detail(shown_here),
        Stat::new(
            tr(ctx, "Returned at least once", "Alespoň jednou vráceno"),
            returned.to_string(),
        )
        .detail(shown_here),
    ]);
    let mut states: Vec<(String, String)> = vec![
        (String::new(), tr(ctx, "Any", "Jakýkoli").to_owned()),
        ("late".into(), tr(ctx, "Late", "Po termínu").to_owned()),
    ];
    states.extend(
        State::ALL
            .iter()
            .map(|s| (s.key().to_owned(), s.label(ctx).to_owned())),
    );
    let mut cats: Vec<(String, String)> = vec![(
        String::new(),
        tr(ctx, "Every kind", "Všechny druhy").to_owned(),
    )];
    cats.extend(
        categories
            .iter()
            .map(|c| (c.clone(), category_label(ctx, c))),
    );
    view = view.form(
        Form::new("/overview", tr(ctx, "Filter", "Filtrovat"))
            .field(
                Field::select(
                    "category",
                    tr(ctx, "Kind of organization", "Druh organizace"),
                    cats,
                )
                .selected([category.unwrap_or("")]),
            )
            .field(
                Field::select("state", tr(ctx, "State", "Stav"), states)
                    .selected([page.query("state").unwrap_or("")]),
            ),
    );
    let mut table = Table::new(tr(ctx, "Organizations and tasks", "Organizace a úkoly"))
        .column(tr(ctx, "Organization", "Organizace"));
    for t in &tasks {
        table = table.column(format!("{} ({})", t.data.title, day(ctx, &t.data.due)));
    }
    table = table.empty_text(tr(
        ctx,
        "No organization below has this module enabled.",
        "Žádná organizace pod námi nemá tento modul zapnutý.",
    ));
    for o in &rows {
        let mut row = vec![Cell::from(o.name.as_str())];
        let mut any = only.is_none() && !late_only;
        for t in &tasks {
            match cells.get(&(o.id.clone(), t.data.key.clone())) {
                Some(s) => {
                    let days = s.late_days(today);
                    if only == Some(s.state) || (late_only && days > 0) {
                        any = true;
                    }
                    let text = if days > 0 {
                        format!("{} ({})", s.state.label(ctx), lateness(ctx, days))
                    } else {
                        s.state.label(ctx).to_owned()
                    };
                    row.push(Cell::link(
                        text,
                        format!("/sent/{}/{}", segment(&t.data.key), segment(&o.id)),
                    ));
                }
                None => row.push(Cell::from("—")),
            }
        }
        if any {
            table = table.row(row);
        }
    }
    view = view.table(table);
    if from > 0 || from + ROWS < shown.len() {
        let query = |at: usize| {
            format!(
                "/overview?category={}&state={}&from={at}",
                segment(category.unwrap_or("")),
                segment(page.query("state").unwrap_or(""))
            )
        };
        let mut pager = Pager::new().summary(format!(
            "{}–{} / {}",
            from + 1,
            (from + ROWS).min(shown.len()),
            shown.len()
        ));
        if from > 0 {
            pager = pager.previous(query(from.saturating_sub(ROWS)));
        }
        if from + ROWS < shown.len() {
            pager = pager.next(query(from + ROWS));
        }
        view = view.pager(pager);
    }
    Ok(view.actions([Action::secondary(
        tr(ctx, "Download as CSV", "Stáhnout jako CSV"),
        "/export.csv",
    )]))
}

/// Every organization's progress on every task, as CSV.
pub fn export_csv() -> Result<Response> {
    use portico_sdk::csv::{self, Cell as C};
    let today = today();
    let mut out = csv::Writer::new();
    out.row([
        "task",
        "title",
        "due",
        "org",
        "organization",
        "state",
        "submitted_on",
        "late_working_days",
        "returns",
    ])?;
    for page in SENT.find().sort("due").limit(500).pages::<Sent>() {
        for d in page? {
            let s = d.data;
            out.row([
                C::from(&s.task),
                C::from(&s.title),
                C::from(&s.due),
                C::from(&s.org),
                C::from(&s.org_name),
                C::from(s.state.key()),
                C::from(&s.submitted_on),
                C::from(s.late_days(today).to_string()),
                C::from(s.returns.to_string()),
            ])?;
        }
    }
    out.into_response("tasks.csv")
}

/// Reads the new-task form into a task (or a series), or the errors.
pub fn read_new(
    ctx: &Context,
    form: &FormPost,
) -> std::result::Result<crate::NewTask, Vec<(&'static str, String)>> {
    let field = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let mut errors = Vec::new();
    let fill = tr(ctx, "Fill this in.", "Vyplňte prosím.").to_owned();
    let title = field("title");
    if title.is_empty() {
        errors.push(("title", fill.clone()));
    } else if title.chars().count() > 200 {
        errors.push((
            "title",
            tr(
                ctx,
                "Use at most 200 characters.",
                "Použijte nejvýše 200 znaků.",
            )
            .to_owned(),
        ));
    }
    for name in ["text", "output"] {
        if field(name).chars().count() > crate::model::MOST_TEXT {
            errors.push((
                name,
                tr(
                    ctx,
                    "Use at most 5,000 characters.",
                    "Použijte nejvýše 5 000 znaků.",
                )
                .to_owned(),
            ));
        }
    }
    let due = field("due");
    let due_date = calendar::parse_date(&due);
    if due.is_empty() {
        errors.push(("due", fill.clone()));
    } else if due_date.is_none() {
        errors.push((
            "due",
            tr(
                ctx,
                "Use the form YYYY-MM-DD.",
                "Zadejte ve tvaru RRRR-MM-DD.",
            )
            .to_owned(),
        ));
    } else if due_date.is_some_and(|d| d < today()) {
        errors.push((
            "due",
            tr(
                ctx,
                "The deadline is in the past.",
                "Termín je v minulosti.",
            )
            .to_owned(),
        ));
    }
    let rule = field("schedule");
    if !rule.is_empty() && !schedules().iter().any(|s| s.rule == rule) {
        errors.push((
            "schedule",
            tr(
                ctx,
                "Choose one of the schedules offered.",
                "Vyberte jedno z nabízených opakování.",
            )
            .to_owned(),
        ));
    }
    let to = match field("to").as_str() {
        "category" => {
            let c = field("category");
            if c.is_empty() {
                errors.push((
                    "to",
                    tr(
                        ctx,
                        "Choose the kind of organization.",
                        "Vyberte druh organizace.",
                    )
                    .to_owned(),
                ));
            }
            crate::model::Addressees::Category { category: c }
        }
        "picked" => {
            let picked: Vec<String> = form.all("orgs").map(str::to_owned).collect();
            if picked.is_empty() {
                errors.push((
                    "orgs",
                    tr(
                        ctx,
                        "Pick at least one organization.",
                        "Vyberte alespoň jednu organizaci.",
                    )
                    .to_owned(),
                ));
            }
            crate::model::Addressees::Picked { orgs: picked }
        }
        _ => crate::model::Addressees::All,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(crate::NewTask {
        title,
        text: field("text"),
        output: field("output"),
        priority: Priority::parse(&field("priority")).unwrap_or_default(),
        due,
        rule,
        official: field("official"),
        to,
    })
}

/// An error at a field of the page's forms, from an `invalid` error.
pub fn field_errors(e: &Error) -> Option<Vec<(&'static str, String)>> {
    match e {
        Error::Invalid(fields) => Some(
            fields
                .iter()
                .map(|f| {
                    let name: &'static str = match f.field.as_str() {
                        "worker" => "worker",
                        "note" => "note",
                        "text" => "text",
                        "orgs" => "orgs",
                        _ => "to",
                    };
                    (name, f.message.clone())
                })
                .collect(),
        ),
        _ => None,
    }
}
