//! The publication duty's deadlines (zákon č. 340/2015 Sb.): a contract under
//! the duty is published within 30 days of its conclusion and takes effect
//! only then; unpublished after three months, it is cancelled from the
//! start. Its responsible person (or every clerk) is warned on day 20 and
//! day 25, told once the 30 days have passed and once it is cancelled;
//! each is audited. The morning job looks at the contracts waiting; a
//! contract saved late is told at once.

use chrono::NaiveDate;
use portico_sdk::notify::{self, To};
use portico_sdk::records::{Document, Filters};
use portico_sdk::{Result, audit, calendar, segment};
use serde_json::json;

use crate::model::{CONTRACTS, Contract, WARNING_DAYS, parent_of, state};
use crate::region;

/// The morning's look at every contract waiting to be published.
pub fn morning() -> Result<()> {
    let today = calendar::today();
    // What waits, and what fails a check that a day may settle (a date
    // that was in the future).
    let mut due = CONTRACTS
        .find()
        .eq("state", state::PENDING)
        .limit(500)
        .fetch_all::<Contract>(100_000)?;
    due.extend(
        CONTRACTS
            .find()
            .gt("problems", 0)
            .limit(500)
            .fetch_all::<Contract>(100_000)?
            .into_iter()
            .filter(|d| d.data.state != state::PENDING),
    );
    for doc in due {
        // One contract that cannot be settled leaves the others to be.
        let number = doc.data.number.clone();
        if let Err(e) = review(doc, today) {
            portico_sdk::log::warn(format!("contract {number} not reviewed: {e}"));
        }
    }
    Ok(())
}

/// Settles one kept contract as of `today`, tells what is due, and keeps
/// and sends up what changed.
fn review(doc: Document<Contract>, today: NaiveDate) -> Result<()> {
    let mut c = doc.data.clone();
    let parent = parent_of(&c)?;
    c.settle(parent.as_ref(), today);
    tell(&mut c, &doc.id, today)?;
    if c != doc.data {
        CONTRACTS.update(&doc.id, doc.version, &c)?;
        region::sync(&c, "")?;
    }
    Ok(())
}

/// What is told of a contract's deadlines, in the order they come, each
/// with its template and audit action; telling one marks those before it
/// as told too.
const TOLD: [(&str, &str, &str); 4] = [
    ("20", "duty-warning", "duty.warning"),
    ("25", "duty-warning", "duty.warning"),
    ("breach", "duty-breach", "duty.breach"),
    ("cancelled", "duty-cancelled", "duty.cancelled"),
];

/// Tells what of `c`'s deadlines is due and not told yet, and audits it:
/// the latest only, when a contract comes in late and several are.
pub fn tell(c: &mut Contract, id: &str, today: NaiveDate) -> Result<()> {
    let Some(concluded) = c.concluded_date() else {
        return Ok(());
    };
    let day = (today - concluded).num_days();
    let pending = c.state == state::PENDING;
    // The latest of TOLD that is due.
    let due = if c.state == state::CANCELLED {
        Some(3)
    } else if pending && c.late == 1 {
        Some(2)
    } else if pending {
        WARNING_DAYS.iter().rposition(|w| day >= *w)
    } else {
        None
    };
    let Some(due) = due.filter(|i| !c.told.iter().any(|t| t == TOLD[*i].0)) else {
        return Ok(());
    };
    let (_, template, action) = TOLD[due];
    let deadline = c.deadline().unwrap_or(concluded);
    let data = json!({
        "number": c.number,
        "subject": c.subject,
        "concluded": c.concluded,
        "deadline": deadline.to_string(),
        "cancels": c.cancels().map(|d| d.to_string()).unwrap_or_default(),
        "days_left": (deadline - today).num_days(),
        "problems": c.problems,
        "path": format!("/contracts/{}", segment(id)),
    });
    for user in recipients(c)? {
        notify::send(To::User(&user), template, &data)?;
    }
    audit::append(
        action,
        &c.number,
        &json!({
            "day": day,
            "deadline": deadline.to_string(),
            "responsible": c.responsible,
            "by": "system",
        }),
    )?;
    for (mark, _, _) in &TOLD[..=due] {
        if !c.told.iter().any(|t| t == mark) {
            c.told.push((*mark).to_owned());
        }
    }
    Ok(())
}

/// The responsible person, or every clerk when none is named.
fn recipients(c: &Contract) -> Result<Vec<String>> {
    if !c.responsible.is_empty() {
        return Ok(vec![c.responsible.clone()]);
    }
    Ok(portico_sdk::people::holders("manage")?
        .into_iter()
        .map(|p| p.user_id)
        .collect())
}
