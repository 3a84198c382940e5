//! The organization registry: each organization keeps its profile (legal
//! form, IČO, registered office, data box, bank account, statutory body
//! and term of office, founding deed, supplementary activities, contacts).
//! Contacts change at once; a change of a registered fact goes to the
//! founder as a message and applies only once approved. Every change is
//! in the fact's history; the founder keeps a copy of each profile below
//! it for its public list and export.
//!
//! - `model`: the facts and their checks, what is kept, the messages.
//! - `pages`: the profile, its form, the history, the founder's
//!   approvals, the public list.

mod model;
mod pages;

use std::collections::BTreeMap;

use portico_sdk::notify::{self, To};
use portico_sdk::orgs;
use portico_sdk::{
    Context, Error, FormPost, Message, Module, Outcome, Page, Request, Response, Result, View,
    audit, messages, people, segment,
};
use serde_json::json;

use model::{
    Change, Entry, FACTS, HISTORY, Note, PROFILE, Profile, REGISTER, REQUESTS, Registered,
    Request as ChangeRequest, RequestState, fact_of, new_key, now, pending_of, profile,
    registered_of, request_from_below, request_of,
};

struct Registry;

/// The organization directly above with the module enabled: its founder
/// in the registry.
fn founder() -> Result<Option<orgs::Organization>> {
    Ok(orgs::ancestors()?
        .into_iter()
        .next()
        .filter(|o| o.module_enabled))
}

/// Writes `changes` over the profile, each into the history as made by
/// `by` (and approved by `approved_by`).
fn apply(changes: &[Change], by: &str, approved_by: &str) -> Result<()> {
    let (mut p, at) = match profile()? {
        Some(d) => (d.data, Some((d.id, d.version))),
        None => (Profile::default(), None),
    };
    let when = now();
    for c in changes {
        if c.new.is_empty() {
            p.facts.remove(&c.field);
        } else {
            p.facts.insert(c.field.clone(), c.new.clone());
        }
        HISTORY.insert(&Entry {
            field: c.field.clone(),
            old: c.old.clone(),
            new: c.new.clone(),
            at: when.clone(),
            by: by.to_owned(),
            approved_by: approved_by.to_owned(),
        })?;
    }
    p.revision += 1;
    match at {
        Some((id, version)) => {
            PROFILE.update(&id, version, &p)?;
        }
        None => {
            PROFILE.insert(&p)?;
        }
    }
    audit::append(
        "profile.changed",
        "profile",
        &json!({ "fields": changes.iter().map(|c| &c.field).collect::<Vec<_>>(), "approved_by": approved_by }),
    )?;
    // The founder's public list follows the profile.
    if let Some(f) = founder()? {
        let note = Note::Published {
            name: orgs::current()?.name,
            facts: p.facts,
            revision: p.revision,
        };
        messages::send(&f.id, note.kind(), &note)?;
    }
    Ok(())
}

fn fields_in(changes: &[Change], cs: bool) -> String {
    changes
        .iter()
        .filter_map(|c| fact_of(&c.field))
        .map(|f| if cs { f.cs } else { f.en })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The profile form posted: contacts apply at once, registered facts go
/// to the founder (or apply at once where there is none).
fn edit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let current = profile()?.map(|d| d.data).unwrap_or_default();
    let mut errors = Vec::new();
    let (mut now_changes, mut asked) = (Vec::new(), Vec::new());
    for f in &FACTS {
        let value = form.get(f.name).unwrap_or_default().trim().to_owned();
        if let Some(e) = f.check(ctx, &value) {
            errors.push((f.name, e));
            continue;
        }
        if value != current.get(f.name) {
            let change = Change {
                field: f.name.into(),
                old: current.get(f.name).to_owned(),
                new: value,
            };
            if f.registered {
                asked.push(change);
            } else {
                now_changes.push(change);
            }
        }
    }
    let above = orgs::ancestors()?.into_iter().next();
    let founder = above.clone().filter(|o| o.module_enabled);
    if errors.is_empty() && !asked.is_empty() {
        // Registered facts change only with a founder's approval: one
        // request at a time, and only where the founder keeps the registry
        // (a root, with nobody above, changes its own).
        let refusal = if pending_of(ctx.org_id())?.is_some() {
            Some(ctx.tr("A change of registered facts is waiting for the founder already; wait for its decision, or withdraw it, before asking for another.",
                "Změna zapsaných údajů už čeká na zřizovatele; než požádáte o další, vyčkejte jeho rozhodnutí, nebo ji vezměte zpět.",
            ))
        } else if above.is_some() && founder.is_none() {
            Some(ctx.tr("Your founder does not keep the registry, so nobody can approve a change of registered facts; ask its administrator to enable it.",
                "Váš zřizovatel rejstřík nevede, změnu zapsaných údajů tedy nemá kdo schválit; požádejte jeho správce o zapnutí.",
            ))
        } else {
            None
        };
        if let Some(why) = refusal {
            for c in &asked {
                if let Some(f) = fact_of(&c.field) {
                    errors.push((f.name, why.to_owned()));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Outcome::Show(pages::edit_form(ctx, Some(form), &errors)?));
    }
    let by = ctx.person();
    if !now_changes.is_empty() {
        apply(&now_changes, &by, "")?;
    }
    let said = match (asked.is_empty(), founder) {
        (true, _) => ctx.tr("The profile is saved.", "Profil je uložen."),
        (false, None) => {
            apply(&asked, &by, "")?;
            ctx.tr("The profile is saved.", "Profil je uložen.")
        }
        (false, Some(f)) => {
            let me = orgs::current()?;
            let request = ChangeRequest {
                key: new_key(),
                org: me.id,
                org_name: me.name,
                changes: asked,
                state: RequestState::Pending,
                asked_by: by,
                asked_at: now(),
                decided_by: String::new(),
                reason: String::new(),
            };
            REQUESTS.insert(&request)?;
            audit::append(
                "profile.change-requested",
                &request.key,
                &json!({ "founder": f.id, "fields": request.changes.iter().map(|c| &c.field).collect::<Vec<_>>() }),
            )?;
            let note = Note::Requested { request };
            messages::send(&f.id, note.kind(), &note)?;
            ctx.tr(
                "Saved; the change of registered facts is sent to the founder for approval.",
                "Uloženo; změna zapsaných údajů je odeslána zřizovateli ke schválení.",
            )
        }
    };
    Ok(Outcome::redirect_with("/", said))
}

/// The organization takes back its request waiting for the founder.
fn withdraw(ctx: &Context) -> Result<Outcome> {
    let Some(doc) = pending_of(ctx.org_id())? else {
        return Ok(Outcome::redirect("/"));
    };
    let mut r = doc.data;
    r.state = RequestState::Withdrawn;
    r.decided_by = ctx.person();
    REQUESTS.update(&doc.id, doc.version, &r)?;
    audit::append("profile.change-withdrawn", &r.key, &json!({}))?;
    if let Some(f) = founder()? {
        let note = Note::Withdrawn { key: r.key.clone() };
        messages::send(&f.id, note.kind(), &note)?;
    }
    Ok(Outcome::redirect_with(
        "/",
        ctx.tr("The request is withdrawn.", "Žádost je vzata zpět."),
    ))
}

/// The founder approves or rejects a request from below.
fn decide(ctx: &Context, form: &FormPost) -> Result<Outcome> {
    let key = form.param("key").unwrap_or_default().to_owned();
    let approved = match form.param("action").unwrap_or_default() {
        "approve" => true,
        "reject" => false,
        other => return Err(Error::not_found(format!("no action {other}"))),
    };
    let reason = form.get("reason").unwrap_or_default().trim().to_owned();
    if reason.chars().count() > 2_000 {
        let errors = [(
            "reason",
            ctx.tr(
                "Use at most 2,000 characters.",
                "Použijte nejvýše 2 000 znaků.",
            )
            .to_owned(),
        )];
        return Ok(Outcome::Show(pages::request(ctx, &key, &errors)?));
    }
    if !approved && reason.is_empty() {
        let errors = [(
            "reason",
            ctx.tr(
                "Say why, for the organization.",
                "Uveďte pro organizaci důvod.",
            )
            .to_owned(),
        )];
        return Ok(Outcome::Show(pages::request(ctx, &key, &errors)?));
    }
    // Only a request from an organization directly below.
    let doc = request_from_below(&key, ctx.org_id())?;
    if orgs::get(&doc.data.org)?.parent.as_deref() != Some(ctx.org_id()) {
        return Err(Error::not_found(format!("no request {key} from below")));
    }
    let mut r = doc.data;
    if r.state != RequestState::Pending {
        return Err(Error::Conflict(
            ctx.tr(
                "This request has been decided already. Reload the page.",
                "O této žádosti už bylo rozhodnuto. Obnovte stránku.",
            )
            .to_owned(),
        ));
    }
    r.state = if approved {
        RequestState::Approved
    } else {
        RequestState::Rejected
    };
    r.decided_by = ctx.person();
    r.reason = reason.clone();
    REQUESTS.update(&doc.id, doc.version, &r)?;
    let note = Note::Decided {
        key: key.clone(),
        approved,
        by: r.decided_by.clone(),
        reason,
    };
    messages::send(&r.org, note.kind(), &note)?;
    audit::append(
        if approved {
            "profile.change-approved"
        } else {
            "profile.change-rejected"
        },
        &key,
        &json!({ "org": r.org }),
    )?;
    Ok(Outcome::redirect_with(
        "/changes",
        if approved {
            ctx.tr(
                "Approved; the organization's profile changes.",
                "Schváleno; profil organizace se změní.",
            )
        } else {
            ctx.tr(
                "Rejected; the organization is told why.",
                "Zamítnuto; organizace se dozví proč.",
            )
        },
    ))
}

fn tell(permission: &str, template: &str, data: &serde_json::Value) -> Result<()> {
    for p in people::holders(permission)? {
        notify::send(To::User(&p.user_id), template, data)?;
    }
    Ok(())
}

fn receive(ctx: &Context, message: &Message) -> Result<()> {
    let from = message.from_org.as_str();
    let below = || -> Result<bool> { Ok(orgs::child(ctx, from).is_some()) };
    match message.payload::<Note>()? {
        Note::Requested { mut request } => {
            if !below()? || request.org != from {
                return message.refuse(
                    "registry.message-refused",
                    "a request comes from the organization directly below",
                );
            }
            if request_of(&request.key, from).is_ok() {
                return Ok(());
            }
            let checked = request.changes.iter().all(|c| {
                fact_of(&c.field).is_some_and(|f| f.registered && f.check(ctx, &c.new).is_none())
            });
            if !checked || request.changes.is_empty() {
                return message.refuse(
                    "registry.message-refused",
                    "a request changes registered facts, each a valid value",
                );
            }
            if pending_of(from)?.is_some() {
                return message.refuse(
                    "registry.message-refused",
                    "one request of an organization waits at a time",
                );
            }
            // The organization's name as the tree says it, not the message.
            request.org_name = orgs::get(from)?.name;
            request.state = RequestState::Pending;
            tell(
                "approve",
                "change-requested",
                &json!({
                    "org": request.org_name,
                    "fields_cs": fields_in(&request.changes, true),
                    "fields_en": fields_in(&request.changes, false),
                    "path": format!("/changes/{}", segment(&request.key)),
                }),
            )?;
            REQUESTS.insert(&request)?;
        }
        Note::Withdrawn { key } => {
            if !below()? {
                return message.refuse(
                    "registry.message-refused",
                    "a request is withdrawn by the organization that made it",
                );
            }
            if let Ok(doc) = request_of(&key, from) {
                let mut r = doc.data;
                if r.state == RequestState::Pending {
                    r.state = RequestState::Withdrawn;
                    REQUESTS.update(&doc.id, doc.version, &r)?;
                }
            }
        }
        Note::Decided {
            key,
            approved,
            by,
            reason,
        } => {
            if founder()?.is_none_or(|f| f.id != from) {
                return message.refuse("registry.message-refused", "only the founder decides");
            }
            let Ok(doc) = request_of(&key, ctx.org_id()) else {
                return message.refuse(
                    "registry.message-refused",
                    "no such request of this organization",
                );
            };
            let mut r = doc.data;
            if r.state != RequestState::Pending {
                return Ok(());
            }
            r.state = if approved {
                RequestState::Approved
            } else {
                RequestState::Rejected
            };
            r.decided_by = by.clone();
            r.reason = reason.clone();
            REQUESTS.update(&doc.id, doc.version, &r)?;
            if approved {
                // Each fact as approved, from what it is now.
                let current = profile()?.map(|d| d.data).unwrap_or_default();
                let changes: Vec<Change> = r
                    .changes
                    .iter()
                    .map(|c| Change {
                        field: c.field.clone(),
                        old: current.get(&c.field).to_owned(),
                        new: c.new.clone(),
                    })
                    .collect();
                apply(&changes, &r.asked_by, &by)?;
            }
            tell(
                "edit",
                "change-decided",
                &json!({
                    "fields_cs": fields_in(&r.changes, true),
                    "fields_en": fields_in(&r.changes, false),
                    "decision_cs": if approved { "schváleno" } else { "zamítnuto" },
                    "decision_en": if approved { "approved" } else { "rejected" },
                    "reason": reason,
                }),
            )?;
        }
        Note::Published {
            name,
            facts,
            revision,
        } => {
            if !below()? {
                return message.refuse(
                    "registry.message-refused",
                    "a profile comes from the organization directly below",
                );
            }
            let existing = registered_of(from)?;
            // An older profile arriving late never overwrites a newer one.
            if existing
                .as_ref()
                .is_some_and(|d| d.data.revision >= revision)
            {
                return Ok(());
            }
            let copy = Registered {
                org: from.to_owned(),
                name,
                facts: facts
                    .into_iter()
                    .filter(|(k, _)| fact_of(k).is_some())
                    .collect::<BTreeMap<_, _>>(),
                revision,
            };
            match existing {
                Some(d) => {
                    REGISTER.update(&d.id, d.version, &copy)?;
                }
                None => {
                    REGISTER.insert(&copy)?;
                }
            }
        }
    }
    Ok(())
}

impl Module for Registry {
    const ID: &'static str = "org-registry";
    const NAME: &'static str = "Organization registry";

    fn render(ctx: &Context, page: &Page) -> Result<View> {
        let param = |name: &str| page.param(name).unwrap_or_default();
        match page.pattern() {
            "/" => pages::home(ctx),
            "/edit" | "/withdraw" => pages::edit_form(ctx, None, &[]),
            "/history" => pages::history(ctx),
            "/changes" => pages::changes(ctx),
            "/changes/{key}" | "/changes/{key}/{action}" => pages::request(ctx, param("key"), &[]),
            "/register" => pages::register(ctx),
            "/register/{org}" => pages::registered(ctx, param("org")),
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        match form.pattern() {
            "/edit" => edit(ctx, form),
            "/changes/{key}/{action}" => decide(ctx, form),
            "/withdraw" => withdraw(ctx),
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        match req.pattern() {
            "/register.csv" => pages::register_csv(ctx),
            other => Err(Error::not_found(format!("no API at {other}"))),
        }
    }

    fn on_message(ctx: &Context, message: &Message) -> Result<()> {
        receive(ctx, message)
    }
}

portico_sdk::export!(Registry);
