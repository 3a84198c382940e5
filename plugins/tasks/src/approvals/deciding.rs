//! Asking the approvers, their decisions, the outcome by the flow's rule,
//! and what each side does with what arrives.

use portico_sdk::calendar;
use portico_sdk::notify::{self, To};
use portico_sdk::orgs;
use portico_sdk::records::Filters;
use portico_sdk::{Context, Error, Message, Result, audit, messages, people, segment};
use serde_json::json;

use super::{
    ABSENCES, APPROVALS, Absence, Approval, Approver, FLOWS, Flow, Note, OFFERED, Offered, Order,
    Outcome, Rule, Step, approval_of, flow_of,
};
use crate::model::now;

/// The outcome of `steps` by `rule`: decided once it can no longer change.
pub fn outcome(rule: Rule, steps: &[Step]) -> Outcome {
    let n = u32::try_from(steps.len()).unwrap_or(u32::MAX);
    let yes = u32::try_from(steps.iter().filter(|s| s.decision == Some(true)).count()).unwrap_or(0);
    let no = u32::try_from(steps.iter().filter(|s| s.decision == Some(false)).count()).unwrap_or(0);
    // A quorum is never lowered: with the submitter left out, fewer
    // approvers than the quorum can only reject.
    let needed = match rule {
        Rule::Any => 1,
        Rule::All => n,
        Rule::Quorum { of } => of.max(1),
    };
    if yes >= needed {
        Outcome::Approved
    } else if n - no < needed {
        Outcome::Rejected
    } else {
        Outcome::Pending
    }
}

/// The substitute of `user_id` on `day`, if they are away.
fn substitute(user_id: &str, day: &str) -> Result<Option<Approver>> {
    Ok(ABSENCES
        .find()
        .eq("user_id", user_id)
        .ge("until", day)
        .limit(50)
        .fetch::<Absence>()?
        .documents
        .into_iter()
        .map(|d| d.data)
        .find(|a| a.from.as_str() <= day)
        .map(|a| a.substitute))
}

/// Asks whom the flow asks now (the next in turn, or everyone at once),
/// each in person or through their substitute; returns those newly asked.
fn ask(flow: &Flow, a: &mut Approval) -> Result<Vec<Approver>> {
    let today = calendar::today().to_string();
    // A substitute who is one of this request's approvers (or its
    // submitter, or asked for another step) would decide twice: the
    // approver is asked in person.
    let involved: Vec<String> = a
        .steps
        .iter()
        .map(|s| s.approver.user_id.clone())
        .chain(std::iter::once(a.submitter.user_id.clone()))
        .collect();
    let mut asked = Vec::new();
    for i in 0..a.steps.len() {
        if a.steps[i].decision.is_some() {
            continue;
        }
        if a.steps[i].asked.is_none() {
            let approver = a.steps[i].approver.clone();
            let taken = |id: &str| {
                involved.iter().any(|x| x == id)
                    || a.steps
                        .iter()
                        .any(|s| s.asked.as_ref().is_some_and(|w| w.user_id == id))
            };
            let who = substitute(&approver.user_id, &today)?
                .filter(|s| !taken(&s.user_id))
                .unwrap_or(approver);
            a.steps[i].asked = Some(who.clone());
            asked.push(who);
        }
        if flow.order == Order::Sequential {
            break;
        }
    }
    Ok(asked)
}

fn tell_asked(a: &Approval, asked: &[Approver]) -> Result<()> {
    for who in asked {
        notify::send(
            To::User(&who.user_id),
            "approval-asked",
            &json!({
                "title": a.title,
                "org": a.org_name,
                "flow": a.flow_name,
                "path": format!("/approvals/{}/{}", segment(&a.org), segment(&a.key)),
            }),
        )?;
    }
    Ok(())
}

/// An approver (or their substitute) decides on `key` from `org`.
pub fn decide(ctx: &Context, key: &str, org: &str, approve: bool, note: &str) -> Result<()> {
    let me = ctx.principal().ok_or_else(|| {
        Error::forbidden(ctx.tr("Log in to decide.", "Pro rozhodnutí se přihlaste."))
    })?;
    let doc = approval_of(key, org)?;
    let mut a = doc.data;
    if a.org == ctx.org_id() {
        return Err(Error::not_found(format!("no approval {key} from below")));
    }
    if a.submitter.user_id == me.user_id() {
        return Err(Error::forbidden(ctx.tr(
            "You submitted this request: someone else must decide it (four eyes).",
            "Tuto žádost jste podali vy: rozhodnout musí někdo jiný (princip čtyř očí).",
        )));
    }
    if a.steps.iter().any(|s| s.decided_by_id == me.user_id()) {
        return Err(Error::forbidden(ctx.tr(
            "You decided on this request already: one person decides once.",
            "O této žádosti jste už rozhodli: každý rozhoduje jednou.",
        )));
    }
    if a.outcome != Outcome::Pending {
        return Err(Error::Conflict(
            ctx.tr(
                "This request is decided already. Reload the page.",
                "O této žádosti už je rozhodnuto. Obnovte stránku.",
            )
            .to_owned(),
        ));
    }
    let step = a
        .steps
        .iter_mut()
        .find(|s| {
            s.decision.is_none() && s.asked.as_ref().is_some_and(|w| w.user_id == me.user_id())
        })
        .ok_or_else(|| {
            Error::forbidden(ctx.tr(
                "You are not asked to decide this request now.",
                "O této žádosti nyní nerozhodujete vy.",
            ))
        })?;
    step.decision = Some(approve);
    step.decided_by = me.name().to_owned();
    step.decided_by_id = me.user_id().to_owned();
    step.at = now();
    step.note = note.to_owned();
    let flow = flow_of(&a.flow)?.data;
    a.outcome = outcome(flow.rule, &a.steps);
    audit::append(
        if approve {
            "approval.approved-by"
        } else {
            "approval.rejected-by"
        },
        key,
        &json!({ "org": a.org, "note": note }),
    )?;
    if a.outcome == Outcome::Pending {
        let asked = ask(&flow, &mut a)?;
        tell_asked(&a, &asked)?;
    } else {
        a.note = a
            .steps
            .iter()
            .filter(|s| !s.note.is_empty())
            .map(|s| format!("{}: {}", s.decided_by, s.note))
            .collect::<Vec<_>>()
            .join("\n");
        let down = Note::Decided {
            key: key.to_owned(),
            outcome: a.outcome,
            note: a.note.clone(),
        };
        messages::send(&a.org, down.kind(), &down)?;
        audit::append(
            &format!("approval.{}", a.outcome.key()),
            key,
            &json!({ "org": a.org }),
        )?;
    }
    APPROVALS.update(&doc.id, doc.version, &a)?;
    Ok(())
}

/// Sends the founder's flows to every organization directly below with
/// the module, so that each can submit to them.
pub fn offer_flows() -> Result<()> {
    let me = orgs::current()?;
    let flows: Vec<(String, String)> = FLOWS
        .find()
        .limit(200)
        .fetch::<Flow>()?
        .documents
        .into_iter()
        .map(|d| (d.data.key, d.data.name))
        .collect();
    let note = Note::Flows { flows };
    for o in orgs::descendants(None, None)?
        .into_iter()
        .filter(|o| o.module_enabled && o.parent.as_deref() == Some(me.id.as_str()))
    {
        messages::send(&o.id, note.kind(), &note)?;
    }
    Ok(())
}

/// Handles a message of approvals.
pub fn receive(ctx: &Context, message: &Message) -> Result<()> {
    let from = message.from_org.as_str();
    let founder =
        || -> Result<bool> { Ok(orgs::ancestors()?.first().is_some_and(|o| o.id == from)) };
    let below = || -> Result<bool> { Ok(orgs::child(ctx, from).is_some()) };
    match message.payload::<Note>()? {
        Note::Flows { flows } => {
            if !founder()? {
                return message.refuse("approval.message-refused", "flows come from the founder");
            }
            let offered = Offered {
                founder: from.to_owned(),
                flows,
                message: message.id,
            };
            match OFFERED
                .find()
                .limit(1)
                .fetch::<Offered>()?
                .documents
                .into_iter()
                .next()
            {
                Some(d) if d.data.message > message.id => {}
                Some(d) => {
                    OFFERED.update(&d.id, d.version, &offered)?;
                }
                None => {
                    OFFERED.insert(&offered)?;
                }
            }
        }
        Note::Requested { mut approval } => {
            if !below()? || approval.org != from {
                return message.refuse(
                    "approval.message-refused",
                    "a request comes from the organization directly below",
                );
            }
            if approval_of(&approval.key, from).is_ok() {
                return Ok(());
            }
            let Ok(flow) = flow_of(&approval.flow) else {
                return message.refuse("approval.message-refused", "no such flow");
            };
            let flow = flow.data;
            approval.org_name = orgs::get(from)?.name;
            approval.flow_name = flow.name.clone();
            approval.outcome = Outcome::Pending;
            // The submitter never approves their own request: a flow's
            // approver who submitted it is left out of it.
            approval.steps = flow
                .approvers
                .iter()
                .filter(|p| p.user_id != approval.submitter.user_id)
                .map(|p| Step {
                    approver: p.clone(),
                    asked: None,
                    decision: None,
                    decided_by: String::new(),
                    decided_by_id: String::new(),
                    at: String::new(),
                    note: String::new(),
                })
                .collect();
            if approval.steps.is_empty() || outcome(flow.rule, &approval.steps) == Outcome::Rejected
            {
                // Too few approvers besides the submitter: rejected at
                // once, and the organization is told why.
                approval.outcome = Outcome::Rejected;
                approval.note = "Too few approvers in the flow besides the submitter. / Ve schvalovacím postupu je kromě žadatele příliš málo schvalovatelů.".into();
                let down = Note::Decided {
                    key: approval.key.clone(),
                    outcome: Outcome::Rejected,
                    note: approval.note.clone(),
                };
                messages::send(from, down.kind(), &down)?;
                audit::append(
                    "approval.rejected",
                    &approval.key,
                    &json!({ "org": from, "why": "too few approvers" }),
                )?;
                APPROVALS.insert(&approval)?;
                return Ok(());
            }
            let asked = ask(&flow, &mut approval)?;
            tell_asked(&approval, &asked)?;
            audit::append(
                "approval.requested",
                &approval.key,
                &json!({ "org": from, "flow": flow.key }),
            )?;
            APPROVALS.insert(&approval)?;
        }
        Note::Decided { key, outcome, note } => {
            if !founder()? {
                return message.refuse("approval.message-refused", "only the founder decides");
            }
            let Ok(doc) = approval_of(&key, ctx.org_id()) else {
                return message.refuse(
                    "approval.message-refused",
                    "no such request of this organization",
                );
            };
            let mut a = doc.data;
            if a.outcome != Outcome::Pending {
                return Ok(());
            }
            a.outcome = outcome;
            a.note = note.clone();
            let mut to: Vec<String> = people::holders("respond")?
                .into_iter()
                .map(|p| p.user_id)
                .collect();
            if !to.contains(&a.submitter.user_id) {
                to.push(a.submitter.user_id.clone());
            }
            for user in to {
                notify::send(
                    To::User(&user),
                    "approval-decided",
                    &json!({
                        "title": a.title,
                        "outcome_cs": match outcome { Outcome::Approved => "schváleno", _ => "zamítnuto" },
                        "outcome_en": match outcome { Outcome::Approved => "approved", _ => "rejected" },
                        "note": note,
                        "path": format!("/requests/{}", segment(&key)),
                    }),
                )?;
            }
            APPROVALS.update(&doc.id, doc.version, &a)?;
        }
    }
    Ok(())
}
