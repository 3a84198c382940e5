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

mod founder;
mod home;
mod new_task;
mod organization;
mod overview;

use crate::model::{
    MOST, Post, Priority, RECEIVED, Received, SENT, Sent, State, Step, TASKS, Task, day, days_late,
    moment, received_of, sent_of, task_of, today,
};
pub use founder::{sent_org, sent_task};
pub use home::home;
pub use new_task::{new_task, read_new};
pub use organization::inbox;
pub use overview::{export_csv, overview};

/// The schedules a recurring task can follow (checked against
/// python-dateutil by the tests).
#[derive(serde::Deserialize)]
pub struct Offered {
    pub rule: String,
    pub en: String,
    pub cs: String,
}

pub fn schedules() -> Vec<Offered> {
    serde_json::from_str(include_str!("../../schedules.json")).unwrap_or_default()
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
    ctx.tr(en, cs).to_owned()
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
    let view = view.heading(ctx.tr("Discussion", "Diskuse"));
    if posts.is_empty() {
        return view.text(ctx.tr("No message yet.", "Zatím žádná zpráva."));
    }
    view.timeline(posts.iter().map(|p| {
        TimelineEntry::new(moment(ctx, &p.at), format!("{} ({})", p.by, p.org)).text(p.text.clone())
    }))
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
