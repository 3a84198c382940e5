//! What the module keeps: the founder's tasks and series, its copy of each
//! organization's progress (`sent`), and each organization's own copy of
//! what it received (`received`); the states a task goes through, and the
//! messages between the two sides.

use portico_forms::definition::{Answers, Definition};
use portico_sdk::calendar::{self, Date};
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{Context, Error, Result};
use serde::{Deserialize, Serialize};

pub const TASKS: Collection = Collection::new("tasks");
pub const SERIES: Collection = Collection::new("series");
pub const SENT: Collection = Collection::new("sent");
pub const RECEIVED: Collection = Collection::new("received");

/// The most documents one page reads of a collection.
pub const MOST: usize = 20_000;

/// `n` working days late, in the reader's language (with Czech plurals).
pub fn days_late(ctx: &Context, n: i64) -> String {
    if ctx.is_czech() {
        match n {
            1 => "1 pracovní den po termínu".to_owned(),
            2..=4 => format!("{n} pracovní dny po termínu"),
            _ => format!("{n} pracovních dnů po termínu"),
        }
    } else if n == 1 {
        "1 working day late".to_owned()
    } else {
        format!("{n} working days late")
    }
}

/// A date as the reader's language writes it; the text as it is when it
/// is not a date.
pub fn day(ctx: &Context, date: &str) -> String {
    calendar::format_date_text(date, ctx.locale())
}

/// Now, as histories keep it.
pub use portico_sdk::calendar::stamp as now;

/// A moment of a history as the reader's language writes it.
pub fn moment(ctx: &Context, at: &str) -> String {
    calendar::format_stamp(at, ctx.locale())
}

pub fn today() -> Date {
    calendar::today()
}

/// How urgent a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Low, Priority::Normal, Priority::High];

    pub fn key(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }

    pub fn parse(key: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.key() == key)
    }

    pub fn label(self, ctx: &Context) -> &'static str {
        let cs = ctx.is_czech();
        match (self, cs) {
            (Priority::Low, false) => "Low",
            (Priority::Low, true) => "Nízká",
            (Priority::Normal, false) => "Normal",
            (Priority::Normal, true) => "Běžná",
            (Priority::High, false) => "High",
            (Priority::High, true) => "Vysoká",
        }
    }
}

/// Where an organization is with a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Received, nobody acted yet.
    #[default]
    New,
    /// The organization took it on.
    Accepted,
    /// The organization declined it, with a reason.
    Declined,
    /// Handed to a worker of the organization.
    Delegated,
    /// The worker resolved it; back with the responsible person.
    Resolved,
    /// Submitted to the founder.
    Submitted,
    /// The founder returned it, with a reason: to be done again.
    Returned,
    /// The founder accepted what was submitted.
    Closed,
}

impl State {
    pub const ALL: [State; 8] = [
        State::New,
        State::Accepted,
        State::Declined,
        State::Delegated,
        State::Resolved,
        State::Submitted,
        State::Returned,
        State::Closed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            State::New => "new",
            State::Accepted => "accepted",
            State::Declined => "declined",
            State::Delegated => "delegated",
            State::Resolved => "resolved",
            State::Submitted => "submitted",
            State::Returned => "returned",
            State::Closed => "closed",
        }
    }

    pub fn parse(key: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn en(self) -> &'static str {
        match self {
            State::New => "New",
            State::Accepted => "Accepted",
            State::Declined => "Declined",
            State::Delegated => "With a worker",
            State::Resolved => "Resolved by the worker",
            State::Submitted => "Submitted",
            State::Returned => "Returned",
            State::Closed => "Closed",
        }
    }

    pub fn cs(self) -> &'static str {
        match self {
            State::New => "Nový",
            State::Accepted => "Přijatý",
            State::Declined => "Odmítnutý",
            State::Delegated => "U pracovníka",
            State::Resolved => "Vyřešený pracovníkem",
            State::Submitted => "Odevzdaný",
            State::Returned => "Vrácený",
            State::Closed => "Uzavřený",
        }
    }

    pub fn label(self, ctx: &Context) -> &'static str {
        ctx.tr(self.en(), self.cs())
    }

    /// Whether the organization still owes something: not submitted,
    /// declined or closed.
    pub fn open(self) -> bool {
        !matches!(self, State::Submitted | State::Declined | State::Closed)
    }
}

/// Adds `step` to `history` in time order (messages may arrive out of
/// order).
pub fn record(history: &mut Vec<Step>, step: Step) {
    let at = history.partition_point(|s| s.at <= step.at);
    history.insert(at, step);
}

/// One step of a task's history at one organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// `YYYY-MM-DD HH:MM`, Europe/Prague.
    pub at: String,
    /// Who took it (a name).
    pub by: String,
    /// The state it led to.
    pub state: State,
    /// The reason, the answer or the note given with it.
    #[serde(default)]
    pub note: String,
}

/// A message of the discussion between the founder and an organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Post {
    pub at: String,
    pub by: String,
    /// The organization the writer acted for (its name).
    pub org: String,
    pub text: String,
}

/// A task, as the founder keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    /// Its key, in every copy and message: random, chosen when it is sent.
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub priority: Priority,
    /// YYYY-MM-DD.
    pub due: String,
    /// The official responsible for it: told of everything that comes back.
    pub official: String,
    pub official_name: String,
    /// What the organizations are asked to submit.
    #[serde(default)]
    pub output: String,
    /// The organizations it went to.
    pub addressees: Vec<String>,
    /// The series it is one date of, if it recurs.
    #[serde(default)]
    pub series: String,
    /// The form the organizations fill in, when the task collects data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Definition>,
    pub created_by: String,
    pub created_at: String,
}

/// Who a task goes to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "to", rename_all = "kebab-case")]
pub enum Addressees {
    /// Every organization below with the module.
    All,
    /// Those of a category (e.g. every school).
    Category { category: String },
    /// A picked list.
    Picked { orgs: Vec<String> },
}

/// A recurring task: one task per date of its schedule, each sent
/// `lead-days` before its date.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Series {
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub priority: Priority,
    pub official: String,
    pub official_name: String,
    #[serde(default)]
    pub output: String,
    pub addressees: Addressees,
    /// The RRULE.
    pub rule: String,
    /// YYYY-MM-DD: the first day it may fall on.
    pub start: String,
    /// YYYY-MM-DD: the next date not yet sent.
    pub next: String,
    /// The form each date's task collects, if it collects data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Definition>,
    pub created_by: String,
}

/// The founder's copy of one organization's progress on one task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sent {
    pub task: String,
    pub org: String,
    pub org_name: String,
    pub title: String,
    pub due: String,
    pub state: State,
    /// YYYY-MM-DD of the last submission.
    #[serde(default)]
    pub submitted_on: String,
    /// How often the founder returned it.
    #[serde(default)]
    pub returns: u32,
    /// Whether the founder's side was told it is late.
    #[serde(default)]
    pub escalated: bool,
    /// The founder's judgements so far, numbered: each message down
    /// carries its number.
    #[serde(default)]
    pub judged: u32,
    /// The number of the organization's latest move applied here:
    /// messages may arrive out of order, an older move never overwrites
    /// a newer one.
    #[serde(default)]
    pub moves_seen: u32,
    #[serde(default)]
    pub answer: String,
    /// The form's answers last submitted, for a task that collects data.
    #[serde(default)]
    pub answers: Answers,
    #[serde(default)]
    pub history: Vec<Step>,
    #[serde(default)]
    pub thread: Vec<Post>,
}

impl Sent {
    /// Working days past its deadline with nothing submitted (0 when not late).
    pub fn late_days(&self, today: Date) -> i64 {
        late_days(&self.due, self.state, today)
    }
}

/// What an organization received, and where it is with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Received {
    pub task: String,
    pub founder: String,
    pub founder_name: String,
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub priority: Priority,
    pub due: String,
    #[serde(default)]
    pub output: String,
    pub official_name: String,
    pub state: State,
    /// The worker it is handed to (their user id), if any.
    #[serde(default)]
    pub worker: String,
    #[serde(default)]
    pub worker_name: String,
    #[serde(default)]
    pub answer: String,
    /// The form to fill in, for a task that collects data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Definition>,
    /// The form's answers: a draft until submitted.
    #[serde(default)]
    pub answers: Answers,
    /// When the answers were last saved, and by whom.
    #[serde(default)]
    pub saved_at: String,
    #[serde(default)]
    pub saved_by: String,
    #[serde(default)]
    pub history: Vec<Step>,
    #[serde(default)]
    pub thread: Vec<Post>,
    /// Whether the reminder before the deadline went out.
    #[serde(default)]
    pub reminded: bool,
    /// Whether the founder escalated it.
    #[serde(default)]
    pub escalated: bool,
    /// The organization's moves so far, numbered: each message up
    /// carries its number.
    #[serde(default)]
    pub moves: u32,
    /// The number of the founder's latest judgement applied here.
    #[serde(default)]
    pub judged_seen: u32,
}

impl Received {
    pub fn late_days(&self, today: Date) -> i64 {
        late_days(&self.due, self.state, today)
    }
}

/// Working days past the deadline, 0 when not late or nothing is owed. A
/// deadline on a weekend or a holiday moves to the next working day.
fn late_days(due: &str, state: State, today: Date) -> i64 {
    let Some(due) = calendar::parse_date(due) else {
        return 0;
    };
    let due = if calendar::is_working_day(due) {
        due
    } else {
        calendar::add_working_days(due, 1)
    };
    if state.open() && today > due {
        calendar::working_days_between(due, today).max(0)
    } else {
        0
    }
}

/// The most characters of a task's text, of what is submitted, of a
/// reason: a task and its copies travel as messages of at most 64 KiB.
pub const MOST_TEXT: usize = 5_000;

/// The most bytes of a form to fill in, and of its answers together: both
/// travel in messages of at most 64 KiB, beside a task's texts.
pub const MOST_FORM_BYTES: usize = 16_384;
/// The most bytes of a task's title, texts and form together: its
/// message down must stay under 64 KiB with what else it carries.
pub const MOST_TASK_BYTES: usize = 60_000;
pub const MOST_ANSWER_BYTES: usize = 32_768;

/// The most messages of one discussion, and characters of one.
pub const MOST_POSTS: usize = 100;
pub const MOST_POST_CHARS: usize = 2_000;

/// The messages between the founder and an organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Note {
    /// Down: a new task.
    Assigned {
        task: String,
        title: String,
        text: String,
        priority: Priority,
        due: String,
        output: String,
        official_name: String,
        founder_name: String,
        /// The form to fill in, for a task that collects data.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        form: Option<Definition>,
    },
    /// Up: the organization moved the task (accepted, declined, handed
    /// to a worker, resolved, submitted), with its note.
    Moved {
        task: String,
        /// The move's number at the organization.
        seq: u32,
        /// When it was made (`YYYY-MM-DD HH:MM`, Europe/Prague).
        #[serde(default)]
        at: String,
        state: State,
        by: String,
        note: String,
        /// The form's answers, when the move submits them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answers: Option<Answers>,
    },
    /// Down: the founder returned or accepted (closed) the submission, or
    /// opened a closed one again (returned).
    Judged {
        task: String,
        /// The judgement's number at the founder.
        seq: u32,
        /// When it was made.
        #[serde(default)]
        at: String,
        state: State,
        by: String,
        note: String,
    },
    /// Either way: a message of the discussion.
    Posted { task: String, post: Post },
    /// Down: the deadline passed, the founder knows.
    Escalated { task: String, days: i64 },
    /// Down: the founder reminds an organization that has not submitted.
    Reminded { task: String, by: String },
}

impl Note {
    /// The message kind the host sees.
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Assigned { .. } => "task.assigned",
            Note::Moved { .. } => "task.moved",
            Note::Judged { .. } => "task.judged",
            Note::Posted { .. } => "task.posted",
            Note::Escalated { .. } => "task.escalated",
            Note::Reminded { .. } => "task.reminded",
        }
    }
}

/// The founder's task of key `key`.
pub fn task_of(key: &str) -> Result<Document<Task>> {
    TASKS
        .find_by::<Task>("key", key)?
        .ok_or_else(|| Error::not_found(format!("no task {key}")))
}

pub use portico_sdk::random_key as new_key;

/// The founder's copy of `org`'s progress on `task`.
pub fn sent_of(task: &str, org: &str) -> Result<Document<Sent>> {
    SENT.find()
        .eq("task", task)
        .eq("org", org)
        .limit(1)
        .fetch::<Sent>()?
        .documents
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(format!("task {task} was not sent to {org}")))
}

/// This organization's copy of `task`.
pub fn received_of(task: &str) -> Result<Document<Received>> {
    RECEIVED
        .find_by::<Received>("task", task)?
        .ok_or_else(|| Error::not_found(format!("no task {task} here")))
}
