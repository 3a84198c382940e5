//! How a task moves: sent down to each organization as a message, moved
//! there (accepted, declined, handed to a worker, resolved, submitted),
//! judged by the founder (returned, closed, or a closed one opened again),
//! the ones not submitted reminded, discussed both ways; each
//! step audited, told across as a message, and to whoever must act next
//! as a notification.

use portico_forms::definition::Answers;
use portico_sdk::calendar;
use portico_sdk::notify::{self, To};
use portico_sdk::orgs::{self, Organization};
use portico_sdk::records::Filters;
use portico_sdk::{Context, Error, Message, Result, audit, messages, people, segment};
use serde_json::{Value, json};

use crate::model::{
    Addressees, MOST_POSTS, Note, Post, RECEIVED, Received, SENT, Sent, State, Step, TASKS, Task,
    new_key, now, received_of, record, sent_of, task_of,
};

/// The organizations below with the module enabled that `to` names.
pub fn addressed(to: &Addressees) -> Result<Vec<Organization>> {
    let below = orgs::descendants(None, None)?;
    Ok(below
        .into_iter()
        .filter(|o| o.module_enabled)
        .filter(|o| match to {
            Addressees::All => true,
            Addressees::Category { category } => o.category.as_deref() == Some(category),
            Addressees::Picked { orgs } => orgs.contains(&o.id),
        })
        .collect())
}

/// Writes the task, sends it to each of `to`, and keeps a copy of each
/// organization's progress. Returns the task's id.
pub fn send_task(ctx: &Context, mut task: Task, to: &[Organization]) -> Result<String> {
    if to.is_empty() {
        return Err(Error::invalid(
            "to",
            "no organization below has this module enabled among those chosen",
        ));
    }
    task.addressees = to.iter().map(|o| o.id.clone()).collect();
    if task.key.is_empty() {
        task.key = new_key();
    }
    TASKS.insert(&task)?;
    let key = task.key.clone();
    let founder = orgs::current()?;
    for o in to {
        let note = Note::Assigned {
            task: key.clone(),
            title: task.title.clone(),
            text: task.text.clone(),
            priority: task.priority,
            due: task.due.clone(),
            output: task.output.clone(),
            official_name: task.official_name.clone(),
            founder_name: founder.name.clone(),
            form: task.form.clone(),
        };
        messages::send(&o.id, note.kind(), &note)?;
        SENT.insert(&Sent {
            task: key.clone(),
            org: o.id.clone(),
            org_name: o.name.clone(),
            title: task.title.clone(),
            due: task.due.clone(),
            state: State::New,
            submitted_on: String::new(),
            returns: 0,
            escalated: false,
            judged: 0,
            moves_seen: 0,
            answer: String::new(),
            answers: Default::default(),
            history: vec![Step {
                at: now(),
                by: ctx.person(),
                state: State::New,
                note: String::new(),
            }],
            thread: Vec::new(),
        })?;
    }
    audit::append(
        "task.sent",
        &key,
        &json!({ "title": task.title, "due": task.due, "to": task.addressees }),
    )?;
    Ok(key)
}

/// What the receiving organization does with a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Accept,
    Decline,
    Delegate,
    Resolve,
    Submit,
}

impl Move {
    pub fn parse(key: &str) -> Option<Move> {
        match key {
            "accept" => Some(Move::Accept),
            "decline" => Some(Move::Decline),
            "delegate" => Some(Move::Delegate),
            "resolve" => Some(Move::Resolve),
            "submit" => Some(Move::Submit),
            _ => None,
        }
    }

    pub fn to(self) -> State {
        match self {
            Move::Accept => State::Accepted,
            Move::Decline => State::Declined,
            Move::Delegate => State::Delegated,
            Move::Resolve => State::Resolved,
            Move::Submit => State::Submitted,
        }
    }

    /// The states a move may start from.
    pub fn allowed_from(self, from: State) -> bool {
        use State::*;
        match self {
            Move::Accept => matches!(from, New),
            Move::Decline => matches!(from, New | Accepted),
            Move::Delegate => matches!(from, New | Accepted | Returned | Delegated | Resolved),
            Move::Resolve => matches!(from, Delegated),
            Move::Submit => matches!(from, Accepted | Resolved | Returned | Delegated),
        }
    }

    /// Whether the principal may make it: the responsible person, or for
    /// resolving, the worker it is handed to.
    pub fn permitted(self, ctx: &Context, r: &Received) -> bool {
        let Some(p) = ctx.principal() else {
            return false;
        };
        match self {
            Move::Resolve => p.user_id() == r.worker && p.has_permission("tasks.resolve"),
            _ => p.has_permission("tasks.respond"),
        }
    }
}

/// Makes `mv` on this organization's copy of `task`; `note` is the
/// reason, the answer or the worker's note, `worker` the user id handed
/// to, `answers` the form's answers a submission carries (checked whole
/// by the caller, and written with the move, so a draft saved meanwhile
/// is never what goes). The caller checked the fields; this checks the
/// state and the right.
pub fn make_move(
    ctx: &Context,
    task: &str,
    mv: Move,
    note: &str,
    worker: &str,
    answers: Option<Answers>,
) -> Result<()> {
    let doc = received_of(task)?;
    let mut r = doc.data;
    if !mv.permitted(ctx, &r) {
        return Err(Error::forbidden(ctx.tr("Only the organization's responsible person, or the worker the task is handed to, may do this.",
            "Toto smí jen odpovědná osoba organizace nebo pracovník, jemuž byl úkol předán.",
        )));
    }
    if !mv.allowed_from(r.state) {
        return Err(Error::Conflict(if ctx.is_czech() {
            format!(
                "Úkol je ve stavu „{}“: to už nyní nejde. Obnovte stránku.",
                r.state.cs()
            )
        } else {
            format!(
                "The task is \"{}\": that cannot be done now. Reload the page.",
                r.state.en()
            )
        }));
    }
    let by = ctx.person();
    if mv == Move::Delegate {
        let chosen = people::holders("resolve")?
            .into_iter()
            .find(|p| p.user_id == worker)
            .ok_or_else(|| {
                Error::invalid(
                    "worker",
                    ctx.tr(
                        "Choose one of the organization's workers.",
                        "Vyberte jednoho z pracovníků organizace.",
                    ),
                )
            })?;
        r.worker = chosen.user_id;
        r.worker_name = chosen.name;
        notify::send(
            To::User(&r.worker),
            "task-changed",
            &changed(&r.title, &r.worker_name, State::Delegated, note, task),
        )?;
    }
    if mv == Move::Submit {
        r.answer = note.to_owned();
    }
    if let Some(answers) = answers {
        r.answers = answers;
        r.saved_at = now();
        r.saved_by = by.clone();
    }
    let answers = (mv == Move::Submit && r.form.is_some()).then(|| r.answers.clone());
    r.state = mv.to();
    r.moves += 1;
    let shown_note = match mv {
        Move::Delegate => r.worker_name.clone(),
        _ => note.to_owned(),
    };
    let at = now();
    r.history.push(Step {
        at: at.clone(),
        by: by.clone(),
        state: r.state,
        note: shown_note.clone(),
    });
    if mv == Move::Resolve {
        for p in people::holders("respond")? {
            notify::send(
                To::User(&p.user_id),
                "task-changed",
                &changed(&r.title, &r.worker_name, State::Resolved, note, task),
            )?;
        }
    }
    let founder = r.founder.clone();
    let state = r.state;
    let seq = r.moves;
    RECEIVED.update(&doc.id, doc.version, &r)?;
    let up = Note::Moved {
        task: task.to_owned(),
        seq,
        at,
        state,
        by,
        note: shown_note,
        answers,
    };
    messages::send(&founder, up.kind(), &up)?;
    audit::append(
        &format!("task.{}", state.key()),
        task,
        &json!({ "founder": founder, "note": note }),
    )?;
    Ok(())
}

/// What the founder does with what an organization submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// Accepted (approved): closed, and its answers locked.
    Accept,
    /// Returned with a reason, to be done again.
    Return,
    /// An accepted one opened again, with a reason: only the founder may.
    Reopen,
}

/// What the founder does with a submission.
pub fn judge(ctx: &Context, task: &str, org: &str, how: Judgement, reason: &str) -> Result<()> {
    let doc = sent_of(task, org)?;
    let mut s = doc.data;
    // Only what is submitted is judged; only what is closed is reopened.
    let from = if how == Judgement::Reopen {
        State::Closed
    } else {
        State::Submitted
    };
    if s.state != from {
        let cs = ctx.is_czech();
        return Err(Error::Conflict(match (how, cs) {
            (Judgement::Reopen, true) => format!(
                "Úkol organizace „{}“ není uzavřený, je ve stavu „{}“. Obnovte stránku.",
                s.org_name,
                s.state.cs()
            ),
            (Judgement::Reopen, false) => format!(
                "{}'s task is not closed; it is \"{}\". Reload the page.",
                s.org_name,
                s.state.en()
            ),
            (_, true) => format!(
                "{} úkol neodevzdal(a), je ve stavu „{}“. Obnovte stránku.",
                s.org_name,
                s.state.cs()
            ),
            (_, false) => format!(
                "{} has not submitted the task; it is \"{}\". Reload the page.",
                s.org_name,
                s.state.en()
            ),
        }));
    }
    let state = match how {
        Judgement::Accept => State::Closed,
        Judgement::Return => {
            s.returns += 1;
            State::Returned
        }
        Judgement::Reopen => State::Returned,
    };
    let by = ctx.person();
    s.state = state;
    s.judged += 1;
    let seq = s.judged;
    let at = now();
    s.history.push(Step {
        at: at.clone(),
        by: by.clone(),
        state,
        note: reason.to_owned(),
    });
    SENT.update(&doc.id, doc.version, &s)?;
    let down = Note::Judged {
        task: task.to_owned(),
        seq,
        at,
        state,
        by,
        note: reason.to_owned(),
    };
    messages::send(org, down.kind(), &down)?;
    let action = match how {
        Judgement::Reopen => "task.reopened".to_owned(),
        _ => format!("task.{}", state.key()),
    };
    audit::append(&action, task, &json!({ "org": org, "reason": reason }))?;
    Ok(())
}

/// Reminds each organization that has not submitted `task` yet; returns
/// how many were reminded.
pub fn remind_late(ctx: &Context, task: &str) -> Result<usize> {
    let by = ctx.person();
    let mut reminded = Vec::new();
    for d in SENT
        .find()
        .eq("task", task)
        .fetch_all::<Sent>(crate::model::MOST)?
    {
        if matches!(
            d.data.state,
            State::New | State::Accepted | State::Delegated | State::Resolved | State::Returned
        ) {
            let note = Note::Reminded {
                task: task.to_owned(),
                by: by.clone(),
            };
            messages::send(&d.data.org, note.kind(), &note)?;
            reminded.push(d.data.org);
        }
    }
    audit::append("task.reminded", task, &json!({ "orgs": reminded }))?;
    Ok(reminded.len())
}

/// A message of the discussion, from whichever side `ctx` is on.
pub fn post(ctx: &Context, task: &str, org: Option<&str>, text: &str) -> Result<()> {
    let full = |thread: &[Post]| {
        if thread.len() >= MOST_POSTS {
            Err(Error::Conflict(
                ctx.tr(
                    "This discussion is full (100 messages). Write to the other side directly.",
                    "Tato diskuse je plná (100 zpráv). Napište druhé straně přímo.",
                )
                .to_owned(),
            ))
        } else {
            Ok(())
        }
    };
    let post = Post {
        at: now(),
        by: ctx.person(),
        org: orgs::current()?.name,
        text: text.to_owned(),
    };
    let to = match org {
        // The founder, to one organization.
        Some(org) => {
            let doc = sent_of(task, org)?;
            let mut s = doc.data;
            full(&s.thread)?;
            s.thread
                .insert(s.thread.partition_point(|p| p.at <= post.at), post.clone());
            SENT.update(&doc.id, doc.version, &s)?;
            org.to_owned()
        }
        // An organization, to its founder.
        None => {
            let doc = received_of(task)?;
            let mut r = doc.data;
            full(&r.thread)?;
            r.thread
                .insert(r.thread.partition_point(|p| p.at <= post.at), post.clone());
            let founder = r.founder.clone();
            RECEIVED.update(&doc.id, doc.version, &r)?;
            founder
        }
    };
    let note = Note::Posted {
        task: task.to_owned(),
        post,
    };
    messages::send(&to, note.kind(), &note)?;
    audit::append("task.posted", task, &json!({ "to": to }))?;
    Ok(())
}

fn changed(title: &str, org: &str, state: State, note: &str, task: &str) -> Value {
    json!({
        "title": title,
        "org": org,
        "state_en": state.en(),
        "state_cs": state.cs(),
        "note": note,
        "path": format!("/inbox/{}", segment(task)),
    })
}

/// The organization's responsible people, and the worker when there is
/// one: who must act on what arrives.
fn responsible(r: &Received) -> Result<Vec<String>> {
    let mut to: Vec<String> = people::holders("respond")?
        .into_iter()
        .map(|p| p.user_id)
        .collect();
    if !r.worker.is_empty() && !to.contains(&r.worker) {
        to.push(r.worker.clone());
    }
    Ok(to)
}

pub fn due_words(due: &str) -> (String, String) {
    match calendar::parse_date(due) {
        Some(d) => (
            calendar::format_date(d, "en"),
            calendar::format_date(d, "cs"),
        ),
        None => (due.to_owned(), due.to_owned()),
    }
}

pub fn receive(message: &Message) -> Result<()> {
    let from = message.from_org.as_str();
    match message.payload::<Note>()? {
        Note::Assigned { .. } if !orgs::ancestors()?.iter().any(|o| o.id == from) => {
            message.refuse(
                "task.message-refused",
                "a task comes only from an organization above",
            )?;
        }
        Note::Moved { state, .. }
            if !matches!(
                state,
                State::Accepted
                    | State::Declined
                    | State::Delegated
                    | State::Resolved
                    | State::Submitted
            ) =>
        {
            message.refuse(
                "task.message-refused",
                "an organization cannot move its task there itself",
            )?;
        }
        Note::Judged { state, .. } if !matches!(state, State::Returned | State::Closed) => {
            message.refuse("task.message-refused", "a founder only returns or closes")?;
        }
        Note::Judged { ref task, .. }
        | Note::Escalated { ref task, .. }
        | Note::Reminded { ref task, .. }
            if received_of(task).is_ok_and(|d| d.data.founder != from) =>
        {
            message.refuse(
                "task.message-refused",
                "only the task's founder judges or escalates it",
            )?;
        }
        Note::Assigned {
            task,
            title,
            text,
            priority,
            due,
            output,
            official_name,
            founder_name,
            form,
        } => {
            if received_of(&task).is_ok() {
                return Ok(());
            }
            let r = Received {
                task: task.clone(),
                founder: from.to_owned(),
                founder_name: founder_name.clone(),
                title,
                text,
                priority,
                due,
                output,
                official_name: official_name.clone(),
                state: State::New,
                worker: String::new(),
                worker_name: String::new(),
                answer: String::new(),
                form,
                answers: Default::default(),
                saved_at: String::new(),
                saved_by: String::new(),
                history: vec![Step {
                    at: now(),
                    by: official_name,
                    state: State::New,
                    note: String::new(),
                }],
                thread: Vec::new(),
                reminded: false,
                escalated: false,
                moves: 0,
                judged_seen: 0,
            };
            let (due_en, due_cs) = due_words(&r.due);
            for user in responsible(&r)? {
                notify::send(
                    To::User(&user),
                    "task-assigned",
                    &json!({
                        "title": r.title,
                        "from": founder_name,
                        "due_cs": due_cs,
                        "due_en": due_en,
                        "path": format!("/inbox/{}", segment(&task)),
                    }),
                )?;
            }
            RECEIVED.insert(&r)?;
            audit::append("task.received", &task, &json!({ "founder": from }))?;
        }
        Note::Moved {
            task,
            seq,
            at,
            state,
            by,
            note,
            answers,
        } => {
            let Ok(doc) = sent_of(&task, from) else {
                return message.refuse(
                    "task.message-refused",
                    "the task was not sent to this organization",
                );
            };
            let mut s = doc.data;
            record(
                &mut s.history,
                Step {
                    at: if at.is_empty() { now() } else { at },
                    by,
                    state,
                    note: note.clone(),
                },
            );
            // An older move arriving late goes to the history only.
            if seq > s.moves_seen {
                s.moves_seen = seq;
                s.state = state;
                if state == State::Submitted {
                    s.answer = note.clone();
                    s.submitted_on = crate::model::today().to_string();
                    if let Some(answers) = answers {
                        s.answers = answers;
                    }
                }
                if matches!(state, State::Submitted | State::Declined) {
                    let official = task_of(&task)?.data.official;
                    notify::send(
                        To::User(&official),
                        "task-changed",
                        &json!({
                            "title": s.title,
                            "org": s.org_name,
                            "state_en": state.en(),
                            "state_cs": state.cs(),
                            "note": note,
                            "path": format!("/sent/{}/{}", segment(&task), segment(from)),
                        }),
                    )?;
                }
            }
            SENT.update(&doc.id, doc.version, &s)?;
        }
        Note::Judged {
            task,
            seq,
            at,
            state,
            by,
            note,
        } => {
            let doc = received_of(&task)?;
            let mut r = doc.data;
            record(
                &mut r.history,
                Step {
                    at: if at.is_empty() { now() } else { at },
                    by,
                    state,
                    note: note.clone(),
                },
            );
            if seq > r.judged_seen {
                r.judged_seen = seq;
                r.state = state;
                for user in responsible(&r)? {
                    notify::send(
                        To::User(&user),
                        "task-changed",
                        &changed(&r.title, &r.founder_name, state, &note, &task),
                    )?;
                }
            }
            RECEIVED.update(&doc.id, doc.version, &r)?;
        }
        Note::Posted { task, post } => {
            // From the founder to this organization, or from one below to
            // this one as its founder.
            let mine = received_of(&task).ok().filter(|d| d.data.founder == from);
            if let Some(doc) = mine {
                let mut r = doc.data;
                r.thread
                    .insert(r.thread.partition_point(|p| p.at <= post.at), post.clone());
                for user in responsible(&r)? {
                    notify::send(
                        To::User(&user),
                        "task-post",
                        &json!({ "title": r.title, "by": post.by, "org": post.org, "text": post.text,
                                 "path": format!("/inbox/{}", segment(&task)) }),
                    )?;
                }
                RECEIVED.update(&doc.id, doc.version, &r)?;
            } else {
                let doc = sent_of(&task, from)?;
                let mut s = doc.data;
                s.thread
                    .insert(s.thread.partition_point(|p| p.at <= post.at), post.clone());
                let official = task_of(&task)?.data.official;
                notify::send(
                    To::User(&official),
                    "task-post",
                    &json!({ "title": s.title, "by": post.by, "org": post.org, "text": post.text,
                             "path": format!("/sent/{}/{}", segment(&task), segment(from)) }),
                )?;
                SENT.update(&doc.id, doc.version, &s)?;
            }
        }
        Note::Reminded { task, by } => {
            let doc = received_of(&task)?;
            let r = doc.data;
            if !r.state.open() {
                return Ok(());
            }
            let (due_en, due_cs) = due_words(&r.due);
            for user in responsible(&r)? {
                notify::send(
                    To::User(&user),
                    "task-reminded",
                    &json!({ "title": r.title, "org": r.founder_name, "by": by,
                             "due_cs": due_cs, "due_en": due_en,
                             "path": format!("/inbox/{}", segment(&task)) }),
                )?;
            }
            audit::append("task.reminded", &task, &json!({ "founder": from }))?;
        }
        Note::Escalated { task, days } => {
            let doc = received_of(&task)?;
            let mut r = doc.data;
            if r.escalated {
                return Ok(());
            }
            r.escalated = true;
            let (due_en, due_cs) = due_words(&r.due);
            for user in responsible(&r)? {
                notify::send(
                    To::User(&user),
                    "task-escalated",
                    &json!({ "title": r.title, "org": r.founder_name, "due_cs": due_cs, "due_en": due_en,
                             "days": days, "path": format!("/inbox/{}", segment(&task)) }),
                )?;
            }
            RECEIVED.update(&doc.id, doc.version, &r)?;
        }
    }
    Ok(())
}
