//! Coverage: for an event, the share of each priority's length treated
//! within its response time from the event's start, and the sections
//! late: treated after their deadline, or not yet treated with the
//! deadline past.

use std::collections::HashMap;

use portico_sdk::Result;
use portico_sdk::records::Filters;
use serde::{Deserialize, Serialize};

use crate::model::{Event, TREATED, Treated, all_sections, response_hours};

/// One priority's figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Share {
    pub priority: u8,
    /// Hours from the event's start.
    pub hours: f64,
    pub total_m: f64,
    pub on_time_m: f64,
    pub late_m: f64,
    /// Not treated yet, the deadline still ahead.
    pub waiting_m: f64,
    pub sections: u32,
    pub late: u32,
}

impl Share {
    /// The share treated on time, 0 to 1 (1 for a priority with no length).
    pub fn on_time(&self) -> f64 {
        if self.total_m > 0.0 {
            self.on_time_m / self.total_m
        } else {
            1.0
        }
    }
}

/// A section not treated within its response time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Late {
    pub section: String,
    pub code: String,
    pub road: String,
    pub name: String,
    pub route: String,
    pub priority: u8,
    pub deadline: i64,
    /// When it was first treated, if it was.
    pub treated: Option<i64>,
}

/// An event's coverage at a moment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub at: i64,
    pub shares: Vec<Share>,
    pub late: Vec<Late>,
}

/// The coverage of `event` at `at`.
pub fn of(event: &Event, at: i64) -> Result<Summary> {
    let hours = response_hours()?;
    // The first treatment of each section in the event, from its start
    // (two vehicles may have recorded the same section at once).
    let mut first: HashMap<String, i64> = HashMap::new();
    for d in TREATED
        .find()
        .eq("event", &event.number)
        .fetch_all::<Treated>(crate::model::MOST_SECTIONS * 2)?
    {
        if d.data.first >= event.started {
            first
                .entry(d.data.section)
                .and_modify(|t| *t = (*t).min(d.data.first))
                .or_insert(d.data.first);
        }
    }
    let mut shares: Vec<Share> = (1..=3)
        .map(|p| Share {
            priority: p,
            hours: hours[usize::from(p - 1)],
            ..Share::default()
        })
        .collect();
    let mut late = Vec::new();
    for doc in all_sections()? {
        let s = &doc.data;
        if !(1..=3).contains(&s.priority) {
            continue;
        }
        let share = &mut shares[usize::from(s.priority - 1)];
        let deadline = event.started + (share.hours * 3600.0).round() as i64;
        share.total_m += s.length_m;
        share.sections += 1;
        let treated = first.get(&s.code).copied();
        match treated {
            Some(t) if t <= deadline => share.on_time_m += s.length_m,
            None if at <= deadline => share.waiting_m += s.length_m,
            _ => {
                share.late_m += s.length_m;
                share.late += 1;
                late.push(Late {
                    section: doc.id.clone(),
                    code: s.code.clone(),
                    road: s.road.clone(),
                    name: s.name.clone(),
                    route: s.route.clone(),
                    priority: s.priority,
                    deadline,
                    treated,
                });
            }
        }
    }
    late.sort_by(|a, b| (a.priority, a.deadline, &a.code).cmp(&(b.priority, b.deadline, &b.code)));
    Ok(Summary { at, shares, late })
}
