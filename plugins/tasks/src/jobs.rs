//! The daily jobs: reminders before deadlines and escalation after them
//! (`deadlines`), and recurring tasks sent ahead of their dates
//! (`schedule`). Both count in Czech working days and run in every
//! organization: each side does its own part.

use portico_sdk::calendar::{self, Date};
use portico_sdk::notify::{self, To};
use portico_sdk::records::Filters;
use portico_sdk::recurrence::Schedule;
use portico_sdk::{Context, Result, audit, log, messages, people, segment, settings};
use serde_json::json;

use crate::flow;
use crate::model::{
    Note, RECEIVED, Received, SENT, SERIES, Sent, Series, State, Task, task_of, today,
};

/// The states in which something is still owed.
const OPEN: [State; 5] = [
    State::New,
    State::Accepted,
    State::Delegated,
    State::Resolved,
    State::Returned,
];

fn number_setting(key: &str, default: i64) -> Result<i64> {
    Ok(settings::get(key)?
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as i64)
        .unwrap_or(default))
}

/// Reminds this organization of what it owes soon, once per task, and
/// escalates what organizations below owe past the deadline, once per
/// organization and task.
pub fn deadlines(_ctx: &Context) -> Result<()> {
    let today = today();
    let remind_days = number_setting("remind-days", 3)?;
    // A window in calendar days wide enough for the working days asked.
    let horizon = today + chrono_days(remind_days * 2 + 10);
    let (mut reminded, mut escalated) = (0, 0);
    for state in OPEN {
        let due_soon = RECEIVED
            .find()
            .eq("state", state.key())
            .le("due", horizon.to_string())
            .sort("due")
            .limit(500);
        for page in due_soon.pages::<Received>() {
            for d in page? {
                let mut r = d.data;
                let Some(due) = calendar::parse_date(&r.due) else {
                    continue;
                };
                let left = calendar::working_days_between(today, due);
                if r.reminded || left < 0 || left > remind_days {
                    continue;
                }
                r.reminded = true;
                let mut to: Vec<String> = people::holders("respond")?
                    .into_iter()
                    .map(|p| p.user_id)
                    .collect();
                if !r.worker.is_empty() && !to.contains(&r.worker) {
                    to.push(r.worker.clone());
                }
                for user in to {
                    notify::send(
                        To::User(&user),
                        "task-reminder",
                        &json!({
                            "title": r.title,
                            "due_cs": calendar::format_date(due, "cs"),
                            "due_en": calendar::format_date(due, "en"),
                            "days": left,
                            "path": format!("/inbox/{}", segment(&r.task)),
                        }),
                    )?;
                }
                RECEIVED.update(&d.id, d.version, &r)?;
                reminded += 1;
            }
        }
        let overdue = SENT
            .find()
            .eq("state", state.key())
            .lt("due", today.to_string())
            .sort("due")
            .limit(500);
        for page in overdue.pages::<Sent>() {
            for d in page? {
                let mut s = d.data;
                let days = s.late_days(today);
                if s.escalated || days < 1 {
                    continue;
                }
                s.escalated = true;
                let task = task_of(&s.task)?.data;
                let due = calendar::parse_date(&s.due).unwrap_or(today);
                notify::send(
                    To::User(&task.official),
                    "task-escalated",
                    &json!({
                        "title": s.title,
                        "org": s.org_name,
                        "due_cs": calendar::format_date(due, "cs"),
                        "due_en": calendar::format_date(due, "en"),
                        "days": days,
                        "path": format!("/sent/{}/{}", segment(&s.task), segment(&s.org)),
                    }),
                )?;
                let down = Note::Escalated {
                    task: s.task.clone(),
                    days,
                };
                messages::send(&s.org, down.kind(), &down)?;
                audit::append(
                    "task.escalated",
                    &s.task,
                    &json!({ "org": s.org, "days": days }),
                )?;
                SENT.update(&d.id, d.version, &s)?;
                escalated += 1;
            }
        }
    }
    log::info(format!("{reminded} tasks reminded, {escalated} escalated"));
    Ok(())
}

/// Sends each series' tasks whose dates fall within `lead-days`.
pub fn schedule(ctx: &Context) -> Result<()> {
    let lead = number_setting("lead-days", 30)?;
    let until = today() + chrono_days(lead);
    let due = SERIES
        .find()
        .le("next", until.to_string())
        .sort("next")
        .limit(200);
    let mut sent = 0;
    for page in due.pages::<Series>() {
        for d in page? {
            let mut series = d.data;
            sent += send_due(ctx, &d.id, &mut series, until)?;
            SERIES.update(&d.id, d.version, &series)?;
        }
    }
    log::info(format!("{sent} recurring tasks sent"));
    Ok(())
}

/// Sends the tasks of `series` dated up to `until`, and moves its `next`.
pub fn send_due(ctx: &Context, id: &str, series: &mut Series, until: Date) -> Result<usize> {
    let (Some(start), Some(next)) = (
        calendar::parse_date(&series.start),
        calendar::parse_date(&series.next),
    ) else {
        return Ok(0);
    };
    let schedule = Schedule::parse(&series.rule, start)
        .map_err(|e| portico_sdk::Error::internal(format!("series {id}: {e}")))?;
    let dates = schedule.between(next, until);
    for date in &dates {
        let task = Task {
            key: String::new(),
            title: series.title.clone(),
            text: series.text.clone(),
            priority: series.priority,
            due: date.to_string(),
            official: series.official.clone(),
            official_name: series.official_name.clone(),
            output: series.output.clone(),
            addressees: Vec::new(),
            series: id.to_owned(),
            form: series.form.clone(),
            created_by: series.created_by.clone(),
            created_at: crate::model::now(),
        };
        let to = flow::addressed(&series.addressees)?;
        if to.is_empty() {
            log::warn(format!("series {id}: nobody to send the task of {date} to"));
            continue;
        }
        flow::send_task(ctx, task, &to)?;
    }
    let after = dates.last().map_or(until, |d| *d) + chrono_days(1);
    series.next = schedule
        .next_from(after)
        .map_or_else(|| "9999-12-31".to_owned(), |d| d.to_string());
    Ok(dates.len())
}

pub fn chrono_days(n: i64) -> portico_sdk::calendar::Days {
    portico_sdk::calendar::Days::new(u64::try_from(n.max(0)).unwrap_or(0))
}
