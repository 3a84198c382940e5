//! The founder's view: each organization sends every change of a contract
//! up the tree (`contracts.contract`) with its registry's totals; the
//! founder keeps a document a contract and one an organization, sees every
//! organization's totals, what waits and what fails the checks, and opens
//! any contract with the same checks.

use portico_sdk::messages::{self, Message};
use portico_sdk::records::{Collection, Filters};
use portico_sdk::{
    Action, Cell, Context, Error, Page, Pager, Response, Result, Stat, Table, View, csv, orgs,
    segment,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::model::{CONTRACTS, Contract, date_text, money, state};
use crate::pages;

pub const RECEIVED: Collection = Collection::new("received");
pub const MEMBERS: Collection = Collection::new("members");
pub const KIND: &str = "contracts.contract";

/// An organization's registry in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Totals {
    pub contracts: u64,
    pub pending: u64,
    /// Waiting past their 30 days.
    pub overdue: u64,
    pub published: u64,
    pub published_late: u64,
    pub outside: u64,
    pub cancelled: u64,
    /// Contracts failing a check.
    pub failing: u64,
    /// The published contracts' value without VAT, CZK.
    pub published_czk: f64,
}

/// What an organization sends up: a contract as it now is, and its totals.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Sent {
    pub contract: Contract,
    pub totals: Totals,
    /// Its number before this change, when the change gave it a new one.
    pub was: String,
}

/// A contract at the founder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kept {
    /// `<organization>~<the contract's number>`.
    pub key: String,
    pub org: String,
    pub org_name: String,
    pub state: String,
    pub problems: u32,
    pub concluded: String,
    pub sent_at: String,
    pub contract: Contract,
}

/// An organization at the founder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub org: String,
    pub org_name: String,
    pub totals: Totals,
    pub received: String,
}

/// This organization's totals, counted by the record store.
pub fn totals() -> Result<Totals> {
    let mut t = Totals::default();
    for g in CONTRACTS.count_by("state").sum("value_czk").fetch()? {
        t.contracts += g.count;
        match g.key.as_deref() {
            Some(state::PENDING) => t.pending = g.count,
            Some(state::PUBLISHED) => {
                t.published = g.count;
                t.published_czk = g.sum.unwrap_or(0.0);
            }
            Some(state::OUTSIDE) => t.outside = g.count,
            Some(state::CANCELLED) => t.cancelled = g.count,
            _ => {}
        }
    }
    for g in CONTRACTS.count_by("state").eq("late", 1).fetch()? {
        match g.key.as_deref() {
            Some(state::PENDING) => t.overdue = g.count,
            Some(state::PUBLISHED) => t.published_late = g.count,
            _ => {}
        }
    }
    t.failing = CONTRACTS
        .count_by("state")
        .gt("problems", 0)
        .fetch()?
        .iter()
        .map(|g| g.count)
        .sum();
    Ok(t)
}

/// Sends the contract as it now is to the founder, when the founder keeps
/// a contract registry too.
pub fn sync(c: &Contract, was: &str) -> Result<()> {
    let Some(founder) = orgs::ancestors()?
        .into_iter()
        .next()
        .filter(|o| o.module_enabled)
    else {
        return Ok(());
    };
    // The founder sees the contract, not who in the organization keeps it.
    let mut contract = c.clone();
    contract.responsible.clear();
    if let Some(p) = contract.publication.as_mut() {
        p.recorded_by.clear();
    }
    messages::send(
        &founder.id,
        KIND,
        &Sent {
            contract,
            totals: totals()?,
            was: if was == c.number {
                String::new()
            } else {
                was.to_owned()
            },
        },
    )?;
    Ok(())
}

/// A contract from an organization directly below.
pub fn receive(ctx: &Context, message: &Message) -> Result<()> {
    if message.kind != KIND {
        return Ok(());
    }
    let from = message.from_org.as_str();
    let child = orgs::child(ctx, from);
    let Some(child) = child else {
        return message.refuse(
            "contracts.refused",
            "contracts come from an organization directly below",
        );
    };
    let Ok(sent) = message.payload::<Sent>() else {
        return message.refuse(
            "contracts.refused",
            "the contract is not one this version reads",
        );
    };
    let key = format!("{from}~{}", sent.contract.number);
    if !sent.was.is_empty()
        && let Some(old) = RECEIVED.find_by::<Kept>("key", &format!("{from}~{}", sent.was))?
        && old.data.sent_at <= message.sent_at
    {
        RECEIVED.delete(&old.id, old.version)?;
    }
    let c = sent.contract;
    let kept = Kept {
        key: key.clone(),
        org: from.to_owned(),
        org_name: child.name.clone(),
        state: c.state.clone(),
        problems: c.problems,
        concluded: c.concluded.clone(),
        sent_at: message.sent_at.clone(),
        contract: c,
    };
    keep_newer(RECEIVED, "key", &key, &kept, |k: &Kept| &k.sent_at)?;
    let member = Member {
        org: from.to_owned(),
        org_name: child.name,
        totals: sent.totals,
        received: message.sent_at.clone(),
    };
    keep_newer(MEMBERS, "org", from, &member, |m: &Member| &m.received)
}

/// Keeps `doc` as the document of `collection` whose `field` is `key`,
/// unless the one kept was sent after it: what was sent before and
/// delivered after a newer one changes nothing.
fn keep_newer<T: Serialize + DeserializeOwned>(
    collection: Collection,
    field: &str,
    key: &str,
    doc: &T,
    sent_at: impl Fn(&T) -> &String,
) -> Result<()> {
    match collection.find_by::<T>(field, key)? {
        Some(d) if sent_at(&d.data) > sent_at(doc) => Ok(()),
        Some(d) => collection.update(&d.id, d.version, doc).map(drop),
        None => collection.insert(doc).map(drop),
    }
}

fn received_table(ctx: &Context, caption: &str) -> Table {
    Table::new(caption)
        .column(ctx.tr("Organization", "Organizace"))
        .column(ctx.tr("Number", "Číslo"))
        .column(ctx.tr("Subject", "Předmět"))
        .numeric_column(ctx.tr("Value without VAT", "Hodnota bez DPH"))
        .column(ctx.tr("Concluded", "Uzavřena"))
        .column(ctx.tr("Publication", "Uveřejnění"))
        .column(ctx.tr("Checks", "Kontroly"))
}

/// The contracts at the founder `find` finds, as a table, and the cursor
/// of the next page.
fn received_list(
    ctx: &Context,
    caption: &str,
    find: portico_sdk::records::Find,
) -> Result<(Table, Option<String>)> {
    let found = find.fetch::<Kept>()?;
    let mut table = received_table(ctx, caption).empty_text(ctx.tr("None.", "Žádné."));
    for d in &found.documents {
        table = table.row(received_row(ctx, &d.data));
    }
    Ok((table, found.next_cursor))
}

fn received_row(ctx: &Context, k: &Kept) -> Vec<Cell> {
    let c = &k.contract;
    vec![
        k.org_name.clone().into(),
        Cell::link(
            c.number.clone(),
            format!("/region/contract?key={}", segment(&k.key)),
        ),
        c.subject.clone().into(),
        pages::value_text(ctx, c).into(),
        date_text(ctx, &c.concluded).into(),
        pages::standing(ctx, c).into(),
        pages::checks_cell(ctx, c).into(),
    ]
}

/// The founder's overview: every organization's totals, then what waits
/// (the nearest deadline first) and what fails the checks; or, with
/// `?org=`, one organization's contracts.
pub fn overview(ctx: &Context, page: &Page) -> Result<View> {
    let members = MEMBERS
        .find()
        .sort("org_name")
        .limit(500)
        .fetch_all::<Member>(5_000)?;
    let sum = |f: fn(&Totals) -> u64| members.iter().map(|m| f(&m.data.totals)).sum::<u64>();
    let mut view = View::new(ctx.tr("Contracts of the organizations", "Smlouvy organizací"))
        .stats([
            Stat::new(
                ctx.tr("Organizations", "Organizace"),
                members.len().to_string(),
            ),
            Stat::new(
                ctx.tr("Contracts", "Smlouvy"),
                sum(|t| t.contracts).to_string(),
            ),
            Stat::new(
                ctx.tr("To be published", "K uveřejnění"),
                sum(|t| t.pending).to_string(),
            ),
            Stat::new(
                ctx.tr("Past the 30 days", "Po lhůtě 30 dnů"),
                sum(|t| t.overdue).to_string(),
            ),
            Stat::new(
                ctx.tr("Cancelled from the start", "Zrušené od počátku"),
                sum(|t| t.cancelled).to_string(),
            ),
            Stat::new(
                ctx.tr("Failing checks", "Nesplněné kontroly"),
                sum(|t| t.failing).to_string(),
            ),
        ])
        .actions([Action::secondary(
            ctx.tr(
                "Download every contract as CSV",
                "Stáhnout všechny smlouvy jako CSV",
            ),
            "/region.csv",
        )]);
    let org = page.query("org").filter(|o| !o.is_empty());
    if let Some(org) = org {
        let name = members
            .iter()
            .find(|m| m.data.org == org)
            .map(|m| m.data.org_name.clone())
            .ok_or_else(|| Error::not_found(format!("no contracts from {org}")))?;
        let (table, next) = received_list(
            ctx,
            &format!("{}: {name}", ctx.tr("Contracts", "Smlouvy")),
            RECEIVED
                .find()
                .eq("org", org)
                .sort_desc("concluded")
                .limit(50)
                .after(page.query("after").map(str::to_owned)),
        )?;
        view = view
            .actions([Action::secondary(
                ctx.tr("Every organization", "Všechny organizace"),
                "/region",
            )])
            .table(table);
        if let Some(next) = next {
            view = view.pager(Pager::new().next(format!(
                "/region?org={}&after={}",
                segment(org),
                segment(&next)
            )));
        }
        return Ok(view);
    }
    let mut table = Table::new(ctx.tr("Organizations", "Organizace"))
        .column(ctx.tr("Organization", "Organizace"))
        .numeric_column(ctx.tr("Contracts", "Smlouvy"))
        .numeric_column(ctx.tr("To be published", "K uveřejnění"))
        .numeric_column(ctx.tr("Past the 30 days", "Po lhůtě 30 dnů"))
        .numeric_column(ctx.tr("Cancelled", "Zrušené"))
        .numeric_column(ctx.tr("Failing checks", "Nesplněné kontroly"))
        .numeric_column(ctx.tr(
            "Published late of all published",
            "Uveřejněno po lhůtě ze všech uveřejněných",
        ))
        .numeric_column(ctx.tr("Published, without VAT", "Uveřejněno, bez DPH"))
        .empty_text(ctx.tr(
            "No organization founded by this one has sent its contracts yet.",
            "Žádná zřizovaná organizace zatím smlouvy neposlala.",
        ));
    for m in &members {
        let t = &m.data.totals;
        table = table.row([
            Cell::link(
                m.data.org_name.clone(),
                format!("/region?org={}", segment(&m.data.org)),
            ),
            t.contracts.to_string().into(),
            t.pending.to_string().into(),
            t.overdue.to_string().into(),
            t.cancelled.to_string().into(),
            t.failing.to_string().into(),
            format!("{} / {}", t.published_late, t.published).into(),
            money(ctx, t.published_czk, "CZK").into(),
        ]);
    }
    view = view.table(table);
    let (waiting, _) = received_list(
        ctx,
        ctx.tr(
            "Waiting to be published, the nearest deadline first",
            "Čekají na uveřejnění, nejbližší lhůta první",
        ),
        RECEIVED
            .find()
            .eq("state", state::PENDING)
            .sort("concluded")
            .limit(50),
    )?;
    let (failing, _) = received_list(
        ctx,
        ctx.tr(
            "Failing the checks, the latest first",
            "Neprošly kontrolami, nejnovější první",
        ),
        RECEIVED
            .find()
            .gt("problems", 0)
            .sort_desc("concluded")
            .limit(50),
    )?;
    Ok(view.table(waiting).table(failing))
}

/// One organization's contract, as it sent it (`?key=`).
pub fn contract(ctx: &Context, page: &Page) -> Result<View> {
    let key = page.query("key").unwrap_or_default();
    let k = RECEIVED
        .find_by::<Kept>("key", key)?
        .ok_or_else(|| Error::not_found(format!("no contract {key}")))?
        .data;
    let c = &k.contract;
    let mut facts = vec![(
        ctx.tr("Organization", "Organizace").to_owned(),
        k.org_name.clone(),
    )];
    facts.extend(pages::facts(ctx, c, false));
    facts.push((
        ctx.tr("Sent", "Odesláno").to_owned(),
        portico_sdk::calendar::format_moment_text(&k.sent_at, ctx.lang()),
    ));
    let view = View::new(format!(
        "{} {} ({})",
        ctx.tr("Contract", "Smlouva"),
        c.number,
        k.org_name
    ))
    .key_values(facts);
    let mut view = pages::checks_notice(ctx, view, c);
    if c.duty {
        view = view
            .heading(ctx.tr("Deadlines", "Lhůty"))
            .timeline(pages::deadlines(ctx, c));
    }
    Ok(view.actions([Action::secondary(
        format!(
            "{} {}",
            ctx.tr("All contracts of", "Všechny smlouvy:"),
            k.org_name
        ),
        format!("/region?org={}", segment(&k.org)),
    )]))
}

/// Every contract the organizations sent, as CSV.
pub fn export(ctx: &Context) -> Result<Response> {
    let mut out = csv::Writer::new();
    let mut header = vec![if ctx.is_czech() {
        "organizace"
    } else {
        "organization"
    }];
    header.extend(pages::csv_header(ctx.is_czech()));
    out.row(header)?;
    for page in RECEIVED.find().sort("key").limit(500).pages::<Kept>() {
        for d in page? {
            let mut cells: Vec<csv::Cell> = vec![d.data.org_name.clone().into()];
            cells.extend(pages::csv_cells(&d.data.contract));
            out.row(cells)?;
        }
    }
    out.into_response("contracts-of-the-organizations.csv")
}
