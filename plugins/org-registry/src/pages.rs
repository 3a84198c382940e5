//! What people see: the organization's profile and its form, the history
//! of its facts, the founder's requests to decide, and the public list of
//! the founder's organizations (and its CSV).

use portico_sdk::orgs;
use portico_sdk::records::Filters;
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form, FormPost, NoticeLevel, Response, Result, Table,
    View, segment,
};

use crate::model::{
    Entry, FACTS, HISTORY, Kind, REQUESTS, Registered, Request, RequestState, fact_of, pending_of,
    profile, registered_of, request_from_below,
};

fn can(ctx: &Context, permission: &str) -> bool {
    ctx.principal()
        .is_some_and(|p| p.has_permission(&format!("org-registry.{permission}")))
}

/// A moment (`YYYY-MM-DD HH:MM`) as the reader's language writes it.
fn when(ctx: &Context, at: &str) -> String {
    portico_sdk::calendar::format_stamp(at, ctx.locale())
}

/// A fact's value as people read it (a date as their language writes it).
fn shown(ctx: &Context, field: &str, value: &str) -> String {
    match fact_of(field) {
        Some(f) if f.kind == Kind::Date => {
            portico_sdk::calendar::format_date_text(value, ctx.locale())
        }
        _ => value.to_owned(),
    }
}

fn changes_table(ctx: &Context, caption: &str, r: &Request) -> Table {
    let mut t = Table::new(caption)
        .column(ctx.tr("Fact", "Údaj"))
        .column(ctx.tr("When asked", "Při žádosti"))
        .column(ctx.tr("Asked for", "Požadováno"));
    for c in &r.changes {
        let label = fact_of(&c.field).map_or(c.field.as_str(), |f| f.label(ctx));
        t = t.row([
            Cell::from(label),
            Cell::from(shown(ctx, &c.field, &c.old)),
            Cell::from(shown(ctx, &c.field, &c.new)),
        ]);
    }
    t
}

/// The organization's profile, what waits for the founder, and the way on.
pub fn home(ctx: &Context) -> Result<View> {
    let me = orgs::current()?;
    let p = profile()?.map(|d| d.data).unwrap_or_default();
    let mut view = View::new(me.name.clone());
    let pending = pending_of(&me.id)?;
    if let Some(r) = &pending {
        view = view
            .notice(
                NoticeLevel::Info,
                ctx.tr(
                    "A change of registered facts waits for the founder's approval.",
                    "Změna zapsaných údajů čeká na schválení zřizovatelem.",
                ),
            )
            .table(changes_table(
                ctx,
                ctx.tr("The change asked for", "Požadovaná změna"),
                &r.data,
            ));
        if can(ctx, "edit") {
            view = view.form(Form::new(
                "/withdraw",
                ctx.tr("Withdraw the request", "Vzít žádost zpět"),
            ));
        }
    }
    // The founder's last decision, when it was a rejection (one request
    // waits at a time, so the newest decided is the last decided).
    let last_decided = REQUESTS
        .find()
        .eq("org", &me.id)
        .newest_first()
        .limit(20)
        .fetch::<Request>()?
        .documents
        .into_iter()
        .map(|d| d.data)
        .find(|r| matches!(r.state, RequestState::Approved | RequestState::Rejected));
    if let Some(r) = last_decided.filter(|r| pending.is_none() && r.state == RequestState::Rejected)
    {
        view = view.notice(
            NoticeLevel::Warning,
            format!(
                "{} {}",
                ctx.tr(
                    "The founder rejected the last change:",
                    "Zřizovatel poslední změnu zamítl:"
                ),
                r.reason
            ),
        );
    }
    let rows: Vec<(String, String)> = FACTS
        .iter()
        .map(|f| (f.label(ctx).to_owned(), shown(ctx, f.name, p.get(f.name))))
        .collect();
    view = view.key_values(rows);
    let mut actions = Vec::new();
    if can(ctx, "edit") {
        actions.push(Action::primary(
            ctx.tr("Edit the profile", "Upravit profil"),
            "/edit",
        ));
    }
    actions.push(Action::secondary(
        ctx.tr("History of the facts", "Historie údajů"),
        "/history",
    ));
    if can(ctx, "approve") {
        actions.push(Action::secondary(
            ctx.tr("Changes to decide", "Změny ke schválení"),
            "/changes",
        ));
        actions.push(Action::secondary(
            ctx.tr("The organizations' register", "Rejstřík organizací"),
            "/register",
        ));
    }
    Ok(view.actions(actions))
}

/// The profile's form; after a refused post, with what was typed and the
/// errors at the fields.
pub fn edit_form(
    ctx: &Context,
    form: Option<&FormPost>,
    errors: &[(&str, String)],
) -> Result<View> {
    let p = profile()?.map(|d| d.data).unwrap_or_default();
    let mut view = View::new(ctx.tr("Edit the profile", "Upravit profil")).text(ctx.tr("Contacts change at once. A change of a registered fact (everything above the contacts) goes to the founder, and applies once approved.",
        "Kontakty se změní hned. Změna zapsaného údaje (všeho nad kontakty) jde zřizovateli a platí až po schválení.",
    ));
    if !errors.is_empty() {
        view = view.notice(
            NoticeLevel::Error,
            ctx.tr(
                "Nothing was saved; see the fields below.",
                "Nic nebylo uloženo; opravte pole níže.",
            ),
        );
    }
    let mut f = Form::new("/edit", ctx.tr("Save", "Uložit"));
    for fact in &FACTS {
        let value = form
            .and_then(|f| f.get(fact.name))
            .map(str::to_owned)
            .unwrap_or_else(|| p.get(fact.name).to_owned());
        let mut field = match fact.kind {
            Kind::Text => Field::textarea(fact.name, fact.label(ctx)),
            Kind::Date => Field::date(fact.name, fact.label(ctx)),
            _ => Field::text(fact.name, fact.label(ctx)),
        }
        .value(value);
        field = match fact.kind {
            Kind::Email => field.autocomplete("email"),
            Kind::Web => field.autocomplete("url"),
            Kind::Ico => field.pattern("[0-9]{8}"),
            _ => field,
        };
        if let Some((_, e)) = errors.iter().find(|(n, _)| *n == fact.name) {
            field = field.error(e.clone());
        }
        f = f.field(field);
    }
    Ok(view.form(f))
}

/// Every change of every fact, newest first.
pub fn history(ctx: &Context) -> Result<View> {
    let entries = HISTORY
        .find()
        .sort_desc("at")
        .limit(500)
        .fetch::<Entry>()?
        .documents;
    let mut t = Table::new(ctx.tr(
        "Changes of the facts, newest first",
        "Změny údajů, od nejnovější",
    ))
    .column(ctx.tr("When", "Kdy"))
    .column(ctx.tr("Fact", "Údaj"))
    .column(ctx.tr("Was", "Bylo"))
    .column(ctx.tr("Is", "Je"))
    .column(ctx.tr("Changed by", "Změnil(a)"))
    .column(ctx.tr("Approved by", "Schválil(a)"))
    .empty_text(ctx.tr("No change yet.", "Zatím žádná změna."));
    for d in entries {
        let e = d.data;
        let label = fact_of(&e.field).map_or(e.field.as_str(), |f| f.label(ctx));
        t = t.row([
            Cell::from(when(ctx, &e.at)),
            Cell::from(label),
            Cell::from(shown(ctx, &e.field, &e.old)),
            Cell::from(shown(ctx, &e.field, &e.new)),
            Cell::from(e.by),
            Cell::from(e.approved_by),
        ]);
    }
    Ok(View::new(ctx.tr("History of the facts", "Historie údajů"))
        .table(t)
        .actions([Action::secondary(ctx.tr("The profile", "Profil"), "/")]))
}

/// The founder's requests from below, those waiting first.
pub fn changes(ctx: &Context) -> Result<View> {
    let mut view = View::new(ctx.tr("Changes to decide", "Změny ke schválení"));
    for state in [
        RequestState::Pending,
        RequestState::Approved,
        RequestState::Rejected,
        RequestState::Withdrawn,
    ] {
        let found = REQUESTS
            .find()
            .eq("state", state.key())
            .newest_first()
            .limit(100)
            .fetch::<Request>()?
            .documents;
        let mut t = Table::new(state.label(ctx))
            .column(ctx.tr("Organization", "Organizace"))
            .column(ctx.tr("Facts", "Údaje"))
            .column(ctx.tr("Asked", "Požádáno"))
            .empty_text(ctx.tr("None.", "Žádné."));
        for d in found.iter().filter(|d| d.data.org != ctx.org_id()) {
            let r = &d.data;
            let facts = r
                .changes
                .iter()
                .map(|c| fact_of(&c.field).map_or(c.field.as_str(), |f| f.label(ctx)))
                .collect::<Vec<_>>()
                .join(", ");
            t = t.row([
                Cell::link(r.org_name.as_str(), format!("/changes/{}", segment(&r.key))),
                Cell::from(facts),
                Cell::from(format!("{} ({})", when(ctx, &r.asked_at), r.asked_by)),
            ]);
        }
        view = view.table(t);
    }
    Ok(view)
}

/// One request, with the founder's decision.
pub fn request(ctx: &Context, key: &str, errors: &[(&str, String)]) -> Result<View> {
    let r = request_from_below(key, ctx.org_id())?.data;
    let mut view = View::new(format!(
        "{} — {}",
        r.org_name,
        ctx.tr("change of registered facts", "změna zapsaných údajů")
    ))
    .key_values([
        (
            ctx.tr("State", "Stav").to_owned(),
            r.state.label(ctx).to_owned(),
        ),
        (
            ctx.tr("Asked by", "Požádal(a)").to_owned(),
            format!("{} ({})", r.asked_by, when(ctx, &r.asked_at)),
        ),
        (
            ctx.tr("Decided by", "Rozhodl(a)").to_owned(),
            r.decided_by.clone(),
        ),
        (ctx.tr("Reason", "Důvod").to_owned(), r.reason.clone()),
    ])
    .table(changes_table(
        ctx,
        ctx.tr("The change asked for", "Požadovaná změna"),
        &r,
    ));
    if r.state == RequestState::Pending {
        let mut reason = Field::textarea("reason", ctx.tr("Why you reject it", "Proč ji zamítáte"));
        if let Some((_, e)) = errors.iter().find(|(n, _)| *n == "reason") {
            reason = reason.error(e.clone());
            view = view.notice(
                NoticeLevel::Error,
                ctx.tr(
                    "Nothing was decided; see the field below.",
                    "Nic nebylo rozhodnuto; opravte pole níže.",
                ),
            );
        }
        let path = |action: &str| format!("/changes/{}/{action}", segment(key));
        view = view
            .form(Form::new(
                path("approve"),
                ctx.tr("Approve the change", "Schválit změnu"),
            ))
            .form(
                Form::new(
                    path("reject"),
                    ctx.tr("Reject the change", "Zamítnout změnu"),
                )
                .field(reason),
            );
    }
    Ok(view.actions([Action::secondary(
        ctx.tr("All changes", "Všechny změny"),
        "/changes",
    )]))
}

/// The organizations directly below with their profiles, as the founder
/// keeps them.
fn listed() -> Result<Vec<(orgs::Organization, Option<Registered>)>> {
    let mut out = Vec::new();
    let me = orgs::current()?;
    for o in orgs::descendants(None, None)?
        .into_iter()
        .filter(|o| o.module_enabled && o.parent.as_deref() == Some(me.id.as_str()))
    {
        let copy = registered_of(&o.id)?.map(|d| d.data);
        out.push((o, copy));
    }
    Ok(out)
}

/// The public list of the founder's organizations.
pub fn register(ctx: &Context) -> Result<View> {
    let me = orgs::current()?;
    let mut t = Table::new(ctx.tr("Organizations", "Organizace"))
        .column(ctx.tr("Organization", "Organizace"))
        .column("IČO")
        .column(ctx.tr("Registered office", "Sídlo"))
        .column(ctx.tr("Director", "Ředitel(ka)"))
        .column("Web")
        .empty_text(ctx.tr(
            "No organization below keeps its profile here yet.",
            "Žádná organizace zde zatím nevede svůj profil.",
        ));
    for (o, copy) in listed()? {
        let fact = |name: &str| {
            copy.as_ref()
                .and_then(|c| c.facts.get(name).cloned())
                .unwrap_or_default()
        };
        t = t.row([
            Cell::link(o.name.as_str(), format!("/register/{}", segment(&o.id))),
            Cell::from(fact("ico")),
            Cell::from(fact("address")),
            Cell::from(fact("director")),
            Cell::from(fact("web")),
        ]);
    }
    let title = if ctx.is_czech() {
        format!("Organizace zřizovatele {}", me.name)
    } else {
        format!("Organizations founded by {}", me.name)
    };
    Ok(View::new(title).table(t).actions([Action::secondary(
        ctx.tr("Download as CSV", "Stáhnout jako CSV"),
        "/register.csv",
    )]))
}

/// One organization of the public list.
pub fn registered(ctx: &Context, org: &str) -> Result<View> {
    let (o, copy) = listed()?
        .into_iter()
        .find(|(o, _)| o.id == org)
        .ok_or_else(|| Error::not_found(format!("no organization {org} in the register")))?;
    let facts = copy.map(|c| c.facts).unwrap_or_default();
    let rows: Vec<(String, String)> = FACTS
        .iter()
        .map(|f| {
            (
                f.label(ctx).to_owned(),
                shown(
                    ctx,
                    f.name,
                    facts.get(f.name).map(String::as_str).unwrap_or_default(),
                ),
            )
        })
        .collect();
    Ok(View::new(o.name)
        .key_values(rows)
        .actions([Action::secondary(
            ctx.tr("All organizations", "Všechny organizace"),
            "/register",
        )]))
}

/// The public list as CSV: one line per organization, one column per fact.
pub fn register_csv(_ctx: &Context) -> Result<Response> {
    use portico_sdk::csv::{self, Cell as C};
    let mut out = csv::Writer::new();
    let mut header = vec![C::from("org"), C::from("name")];
    header.extend(FACTS.iter().map(|f| C::from(f.name)));
    out.row(header)?;
    for (o, copy) in listed()? {
        let facts = copy.map(|c| c.facts).unwrap_or_default();
        let mut row = vec![C::from(&o.id), C::from(&o.name)];
        row.extend(
            FACTS
                .iter()
                .map(|f| C::from(facts.get(f.name).cloned().unwrap_or_default())),
        );
        out.row(row)?;
    }
    out.into_response("organizations.csv")
}
