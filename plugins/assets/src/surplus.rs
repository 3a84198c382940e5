//! Surplus property between the organizations of one founder. An
//! organization offers an asset it no longer needs; the founder passes the
//! offer to its other organizations for a set time; one reserves it; the
//! founder consents to the transfer (its property, entrusted to them) or
//! refuses; the asset leaves one register and enters the other with a
//! transfer protocol. What nobody took is offered to the public or written
//! off. Every step is a message along the tree, through the founder: a
//! sibling is never addressed directly.

use chrono::{Datelike, Duration};
use portico_sdk::audit;
use portico_sdk::messages::{self, Message};
use portico_sdk::orgs::{self, Kind};
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{
    Action, Cell, Context, Error, Field, Form, FormPost, NoticeLevel, Outcome, Result, Table, View,
    calendar, segment,
};
use serde::{Deserialize, Serialize};

use crate::model::{
    self, ASSETS, Asset, Card, Protocol, book_value, can, clerk, czk, date_text, state, state_name,
};
use crate::places::Errors;

/// At the founder: the offers of its organizations.
pub const OFFERS: Collection = Collection::new("offers");
/// At its organizations: what the others offer.
pub const MARKET: Collection = Collection::new("market");

/// The messages, by where they go.
mod kind {
    /// Up: an organization offers an asset.
    pub const OFFER: &str = "assets.offer";
    /// Up: it takes its offer back.
    pub const WITHDRAW: &str = "assets.withdraw";
    /// Up: an organization asks for an asset offered.
    pub const RESERVE: &str = "assets.reserve";
    /// Up: the transfer approved, the asset has left the register.
    pub const HANDED: &str = "assets.handed";
    /// Up: the transfer approved, but the asset was withdrawn meanwhile.
    pub const KEPT: &str = "assets.kept";
    /// Down, to the other organizations: an asset is offered.
    pub const OFFERED: &str = "assets.offered";
    /// Down, to the other organizations: it is offered no more.
    pub const CLOSED: &str = "assets.closed";
    /// Down, to the one offering: who reserved it.
    pub const RESERVED: &str = "assets.reserved";
    /// Down, to the one asking: whether it got it.
    pub const ANSWER: &str = "assets.reservation";
    /// Down, to both: the founder refused the transfer.
    pub const REFUSED: &str = "assets.refused";
    /// Down, to the one offering: nobody took it in time.
    pub const EXPIRED: &str = "assets.expired";
    /// Down, to the one offering: hand it over, by this protocol, and say
    /// so.
    pub const TRANSFER: &str = "assets.transfer";
    /// Down, to the one receiving: take it in, by this protocol.
    pub const RECEIVE: &str = "assets.receive";
}

/// Where an offer stands at the founder.
mod offer_state {
    pub const OPEN: &str = "open";
    pub const RESERVED: &str = "reserved";
    /// Approved, waiting for the one offering to hand it over.
    pub const HANDING: &str = "handing";
    pub const APPROVED: &str = "approved";
    pub const REFUSED: &str = "refused";
    pub const EXPIRED: &str = "expired";
    pub const WITHDRAWN: &str = "withdrawn";
}

/// Where something offered stands for an organization that may take it.
mod lot_state {
    pub const OPEN: &str = "open";
    pub const ASKED: &str = "asked";
    pub const RESERVED: &str = "reserved";
    pub const TAKEN: &str = "taken";
    pub const REFUSED: &str = "refused";
    pub const RECEIVED: &str = "received";
    pub const CLOSED: &str = "closed";
}

/// What a message carries: each kind uses its part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Note {
    /// The offer: the offering organization and its asset, `org~asset`.
    pub key: String,
    pub card: Card,
    pub book_value: f64,
    /// The offer's description, a reservation's purpose, a refusal's reason.
    pub text: String,
    pub until: String,
    pub from_name: String,
    pub by_name: String,
    pub ok: bool,
    pub protocol: Option<Protocol>,
}

/// An offer, as the founder keeps it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Offer {
    pub key: String,
    pub org: String,
    pub org_name: String,
    pub card: Card,
    pub book_value: f64,
    pub text: String,
    pub until: String,
    pub state: String,
    pub by_org: String,
    pub by_name: String,
    pub purpose: String,
    pub reason: String,
    /// The transfer protocol's number, once approved.
    pub number: String,
    pub protocol: Option<Protocol>,
}

/// An offer, as an organization that may take it sees it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Lot {
    pub key: String,
    pub from_name: String,
    pub card: Card,
    pub book_value: f64,
    pub text: String,
    pub until: String,
    pub state: String,
    pub note: String,
}

/// The steps an asset's card offers now.
pub fn actions(ctx: &Context, id: &str, a: &Asset) -> Vec<Action> {
    let mut out = Vec::new();
    if a.held == 0 {
        return out;
    }
    let step = |name: &str| format!("/assets/{}/{name}", segment(id));
    out.push(Action::secondary(
        ctx.tr("Print the label", "Vytisknout štítek"),
        format!("/labels/{}", segment(id)),
    ));
    if !can(ctx, "manage") {
        return out;
    }
    out.insert(
        0,
        Action::secondary(ctx.tr("Edit", "Upravit"), step("edit")),
    );
    // Each step the asset's state allows, in the order people weigh them.
    for (name, en, cs) in [
        ("public", "Offer to the public", "Nabídnout veřejnosti"),
        ("offer", "Offer as surplus", "Nabídnout jako nepotřebný"),
        ("keep", "Keep in use", "Ponechat v užívání"),
        ("withdraw", "Withdraw the offer", "Stáhnout nabídku"),
        ("write-off", "Write off", "Vyřadit"),
    ] {
        if !allowed(name).contains(&a.state.as_str()) {
            continue;
        }
        let href = step(name);
        out.push(match name {
            "withdraw" | "write-off" => Action::danger(ctx.tr(en, cs), href),
            "offer" if a.state == state::UNCLAIMED => Action::secondary(
                ctx.tr(
                    "Offer to the organizations again",
                    "Nabídnout organizacím znovu",
                ),
                href,
            ),
            "offer" | "public" => Action::primary(ctx.tr(en, cs), href),
            _ => Action::secondary(ctx.tr(en, cs), href),
        });
    }
    out
}

/// Which states a step may start from.
fn allowed(step: &str) -> &'static [&'static str] {
    match step {
        "offer" => &[state::IN_USE, state::UNCLAIMED],
        "withdraw" => &[state::OFFERED, state::RESERVED],
        "public" => &[state::UNCLAIMED],
        "keep" => &[state::UNCLAIMED, state::PUBLIC],
        "write-off" => &[state::IN_USE, state::UNCLAIMED, state::PUBLIC],
        _ => &[],
    }
}

/// The page of a step of asset `id`.
pub fn step_view(
    ctx: &Context,
    id: &str,
    step: &str,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let doc = model::asset(id)?;
    if step == "edit" {
        return crate::register::form_view(ctx, Some(&doc), None, form, errors);
    }
    let a = &doc.data;
    let title = format!("{} {}", a.card.number, a.card.name);
    if !allowed(step).contains(&a.state.as_str()) {
        if allowed(step).is_empty() {
            return Err(Error::not_found(format!("no step {step}")));
        }
        return Ok(View::new(title).notice(
            NoticeLevel::Warning,
            format!(
                "{} {}",
                ctx.tr(
                    "This step cannot be taken now; the asset is:",
                    "Tento krok teď nelze provést; stav majetku:"
                ),
                state_name(ctx, &a.state).to_lowercase()
            ),
        ));
    }
    let v = |name: &str, kept: &str| FormPost::shown(form, name, kept);
    let f = |field: Field| field.error_among(errors);
    let today = calendar::today();
    let action = format!("/assets/{}/{step}", segment(id));
    let form_ = match step {
        "offer" => {
            let until = (today + Duration::days(30)).to_string();
            Form::new(action, ctx.tr("Offer", "Nabídnout"))
                .field(f(Field::date("until", ctx.tr("Offered until", "Nabízet do"))
                    .required()
                    .min((today + Duration::days(1)).to_string())
                    .max((today + Duration::days(180)).to_string())
                    .value(v("until", &until))
                    .help(ctx.tr(
                        "The founder's other organizations may reserve it until then; the founder then decides on the transfer.",
                        "Do té doby si ho mohou rezervovat ostatní organizace zřizovatele; o převodu pak rozhodne zřizovatel.",
                    ))))
                .field(f(Field::textarea("text", ctx.tr("Its condition, and why it is surplus", "Jeho stav a proč je nepotřebný"))
                    .required()
                    .value(v("text", &a.offer_text))))
        }
        "write-off" => Form::new(action, ctx.tr("Write off", "Vyřadit"))
            .field(f(Field::date(
                "date",
                ctx.tr("Day of the write-off", "Den vyřazení"),
            )
            .required()
            .max(today.to_string())
            .value(v("date", &today.to_string()))))
            .field(f(Field::textarea(
                "reason",
                ctx.tr(
                    "Why it is written off, and what became of it (the disposal commission's proposal)", "Důvod vyřazení a způsob naložení s majetkem (podle návrhu likvidační komise)",
                ),
            )
            .required()
            .value(v("reason", "")))),
        "withdraw" => Form::new(action, ctx.tr("Withdraw the offer", "Stáhnout nabídku")),
        "public" => Form::new(
            action,
            ctx.tr("Offer to the public", "Nabídnout veřejnosti"),
        ),
        _ => Form::new(action, ctx.tr("Keep in use", "Ponechat v užívání")),
    };
    let lead = match step {
        "withdraw" => ctx.tr(
            "The asset stays in use here; the other organizations no longer see the offer.",
            "Majetek tu zůstane v užívání; ostatní organizace nabídku přestanou vidět.",
        ),
        "public" => ctx.tr(
            "The asset appears among the organization's public offers of surplus property.",
            "Majetek se objeví mezi veřejnými nabídkami nepotřebného majetku organizace.",
        ),
        "keep" => ctx.tr(
            "The asset goes back into use and is offered no more.",
            "Majetek se vrátí do užívání a přestane se nabízet.",
        ),
        _ => "",
    };
    let mut view = View::new(title);
    if !lead.is_empty() {
        view = view.text(lead);
    }
    Ok(view.form(form_))
}

/// Takes a step of asset `id`.
pub fn take(ctx: &Context, id: &str, step: &str, form: &FormPost) -> Result<Outcome> {
    if step == "edit" {
        return crate::register::save(ctx, form, Some(id));
    }
    clerk(ctx)?;
    let doc = model::asset(id)?;
    let mut a = doc.data.clone();
    if !allowed(step).contains(&a.state.as_str()) {
        return Ok(Outcome::Show(step_view(
            ctx,
            id,
            step,
            None,
            &Errors::new(),
        )?));
    }
    let mut errors = Errors::new();
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let today = calendar::today();
    let number = a.card.number.clone();
    let done = match step {
        "offer" => {
            let until = calendar::parse_date(&text("until"));
            match until {
                Some(d) if d > today && d <= today + Duration::days(180) => {}
                _ => errors.push((
                    "until".into(),
                    ctx.tr(
                        "The offer lasts at least until tomorrow and at most 180 days.",
                        "Nabídka musí trvat alespoň do zítřka a nejvýše 180 dní.",
                    )
                    .into(),
                )),
            }
            let description = written(
                form,
                "text",
                ctx.tr(
                    "Describe its condition, in at most 2,000 characters.",
                    "Popište jeho stav, nejvýše 2 000 znaků.",
                ),
                &mut errors,
            );
            let founder = founder(ctx)?;
            if !errors.is_empty() {
                return Ok(Outcome::Show(step_view(
                    ctx,
                    id,
                    step,
                    Some(form),
                    &errors,
                )?));
            }
            let until = until.unwrap_or(today).to_string();
            a.state = state::OFFERED.into();
            a.offer_until.clone_from(&until);
            a.offer_text.clone_from(&description);
            a.reserved_by.clear();
            a.step(
                ctx,
                "offered",
                format!("{} {}", ctx.tr("until", "do"), date_text(ctx, &until)),
            );
            ASSETS.update(&doc.id, doc.version, &a)?;
            messages::send(
                &founder,
                kind::OFFER,
                &Note {
                    key: key_of(ctx.org_id(), &number),
                    book_value: book_value(&a.card, today),
                    card: a.card.clone(),
                    text: description,
                    until,
                    ..Note::default()
                },
            )?;
            audit::record(ctx, "assets.offered", &number, a.card.name.clone())?;
            ctx.tr(
                "Offered to the founder's organizations.",
                "Nabídnuto organizacím zřizovatele.",
            )
        }
        "withdraw" => {
            a.state = state::IN_USE.into();
            a.reserved_by.clear();
            a.step(ctx, "withdrawn", String::new());
            ASSETS.update(&doc.id, doc.version, &a)?;
            messages::send(
                &founder(ctx)?,
                kind::WITHDRAW,
                &Note {
                    key: key_of(ctx.org_id(), &number),
                    ..Note::default()
                },
            )?;
            audit::record(ctx, "assets.offer-withdrawn", &number, a.card.name.clone())?;
            ctx.tr("The offer is withdrawn.", "Nabídka je stažena.")
        }
        "public" => {
            a.state = state::PUBLIC.into();
            a.step(ctx, "public", String::new());
            ASSETS.update(&doc.id, doc.version, &a)?;
            audit::record(ctx, "assets.offered-publicly", &number, a.card.name.clone())?;
            ctx.tr("Offered to the public.", "Nabídnuto veřejnosti.")
        }
        "keep" => {
            a.state = state::IN_USE.into();
            a.step(ctx, "kept", String::new());
            ASSETS.update(&doc.id, doc.version, &a)?;
            audit::record(ctx, "assets.kept", &number, a.card.name.clone())?;
            ctx.tr("The asset is in use again.", "Majetek je znovu v užívání.")
        }
        _ => {
            let acquired = calendar::parse_date(&a.card.acquired);
            let day = calendar::parse_date(&text("date"))
                .filter(|d| *d <= today && acquired.is_none_or(|a| *d >= a));
            if day.is_none() {
                errors.push((
                    "date".into(),
                    ctx.tr(
                        "Give the day, not in the future and not before the asset was acquired.",
                        "Zadejte den, ne v budoucnosti a ne před pořízením majetku.",
                    )
                    .into(),
                ));
            }
            let reason = written(
                form,
                "reason",
                ctx.tr(
                    "Say why, in at most 2,000 characters.",
                    "Uveďte důvod, nejvýše 2 000 znaků.",
                ),
                &mut errors,
            );
            if !errors.is_empty() {
                return Ok(Outcome::Show(step_view(
                    ctx,
                    id,
                    step,
                    Some(form),
                    &errors,
                )?));
            }
            let day = day.unwrap_or(today).to_string();
            a.write_off = format!("{} – {reason}", date_text(ctx, &day));
            a.gone(state::WRITTEN_OFF);
            a.step(ctx, "written-off", reason.clone());
            ASSETS.update(&doc.id, doc.version, &a)?;
            audit::record(
                ctx,
                "assets.written-off",
                &number,
                format!("{day}: {reason}"),
            )?;
            ctx.tr("The asset is written off.", "Majetek je vyřazen.")
        }
    };
    Ok(Outcome::redirect_with(
        format!("/assets/{}", segment(id)),
        done,
    ))
}

/// What a person wrote in `name`, trimmed; an error on the field saying
/// `ask` if it is empty or longer than 2,000 characters.
fn written(form: &FormPost, name: &str, ask: &str, errors: &mut Errors) -> String {
    let text = form.get(name).unwrap_or_default().trim().to_owned();
    if text.is_empty() || text.chars().count() > 2000 {
        errors.push((name.to_owned(), ask.to_owned()));
    }
    text
}

/// An offer's key: the organization offering, and the asset's inventory
/// number there.
fn key_of(org: &str, number: &str) -> String {
    format!("{org}~{number}")
}

/// The organization's founder, where this module is enabled.
fn founder(ctx: &Context) -> Result<String> {
    let me = orgs::current()?;
    let up = me.parent.map(|p| orgs::get(&p)).transpose()?;
    match up {
        Some(f) if f.module_enabled => Ok(f.id),
        _ => Err(Error::invalid(
            "until",
            ctx.tr(
                "The organization has no founder using the Property module: nobody would receive the offer.",
                "Organizace nemá zřizovatele, který by používal modul Majetek: nabídku by nikdo nedostal.",
            ),
        )),
    }
}

/// The founder's organizations with this module, but `except`.
fn others(except: &[&str]) -> Result<Vec<String>> {
    let me = orgs::current()?.id;
    Ok(orgs::descendants(Some(Kind::Organization), None)?
        .into_iter()
        .filter(|o| {
            o.module_enabled
                && o.parent.as_deref() == Some(me.as_str())
                && !except.contains(&o.id.as_str())
        })
        .map(|o| o.id)
        .collect())
}

fn tell(orgs: &[String], kind: &str, note: &Note) -> Result<()> {
    for org in orgs {
        messages::send(org, kind, note)?;
    }
    Ok(())
}

/// A message from this module in another organization.
pub fn receive(ctx: &Context, m: &Message) -> Result<()> {
    let up = matches!(
        m.kind.as_str(),
        kind::OFFER | kind::WITHDRAW | kind::RESERVE | kind::HANDED | kind::KEPT
    );
    let me = orgs::current()?;
    // An offer, a reservation or a handover comes from an organization
    // directly below; news of them only from the founder.
    let from = if up {
        let Some(child) = orgs::child(ctx, &m.from_org) else {
            return m.refuse(
                "assets.message-refused",
                "an offer comes only from an organization directly below",
            );
        };
        Some(child)
    } else if me.parent.as_deref() != Some(m.from_org.as_str()) {
        return m.refuse(
            "assets.message-refused",
            "only the founder passes offers on",
        );
    } else {
        None
    };
    let Ok(note) = m.payload::<Note>() else {
        return m.refuse(
            "assets.message-refused",
            "not a message of this module's build",
        );
    };
    let (org, asset) = note.key.split_once('~').unwrap_or_default();
    let (org, asset) = (org.to_owned(), asset.to_owned());
    if up && org != m.from_org && m.kind != kind::RESERVE {
        return m.refuse(
            "assets.message-refused",
            "an organization offers only its own assets",
        );
    }
    match (m.kind.as_str(), &from) {
        (kind::OFFER, Some(from)) => offered(ctx, from, note),
        (kind::RESERVE, Some(from)) => reserved(ctx, from, note),
        (kind::WITHDRAW, _) => withdrawn(ctx, &note),
        (kind::HANDED | kind::KEPT, _) => handed(ctx, m.kind == kind::HANDED, note),
        (kind::OFFERED | kind::CLOSED | kind::ANSWER, _) => lot_news(m.kind.as_str(), note),
        (kind::REFUSED, _) if org != me.id => lot_news(m.kind.as_str(), note),
        (kind::RECEIVE, _) => received(ctx, note),
        _ if org == me.id => own_news(ctx, m.kind.as_str(), &asset, note),
        _ => m.refuse(
            "assets.message-refused",
            "not about this organization's asset",
        ),
    }
}

fn find_offer(key: &str) -> Result<Option<Document<Offer>>> {
    OFFERS.find_by("key", key)
}

/// At the founder: an organization offers an asset; the others hear of it.
fn offered(ctx: &Context, from: &orgs::Organization, note: Note) -> Result<()> {
    let offer = Offer {
        key: note.key.clone(),
        org: from.id.clone(),
        org_name: from.name.clone(),
        card: note.card.clone(),
        book_value: note.book_value,
        text: note.text.clone(),
        until: note.until.clone(),
        state: offer_state::OPEN.into(),
        ..Offer::default()
    };
    if note.key != format!("{}~{}", from.id, note.card.number) {
        return Ok(());
    }
    match find_offer(&note.key)? {
        // An offer being decided or handed over is not replaced.
        Some(doc)
            if matches!(
                doc.data.state.as_str(),
                offer_state::RESERVED | offer_state::HANDING
            ) =>
        {
            return Ok(());
        }
        Some(doc) => OFFERS.update(&doc.id, doc.version, &offer)?,
        None => OFFERS.insert(&offer)?,
    };
    audit::record(
        ctx,
        "assets.offer-received",
        &note.key,
        format!("{}: {}", from.name, note.card.name),
    )?;
    tell(
        &others(&[from.id.as_str()])?,
        kind::OFFERED,
        &Note {
            from_name: from.name.clone(),
            ..note
        },
    )
}

/// At the founder: the offer is taken back.
fn withdrawn(ctx: &Context, note: &Note) -> Result<()> {
    let Some(doc) = find_offer(&note.key)? else {
        return Ok(());
    };
    let mut o = doc.data;
    if o.state != offer_state::OPEN && o.state != offer_state::RESERVED {
        return Ok(());
    }
    o.state = offer_state::WITHDRAWN.into();
    OFFERS.update(&doc.id, doc.version, &o)?;
    audit::record(ctx, "assets.offer-withdrawn", &o.key, o.card.name.clone())?;
    if !o.by_org.is_empty() {
        messages::send(
            &o.by_org,
            kind::CLOSED,
            &Note {
                key: o.key.clone(),
                ..Note::default()
            },
        )?;
    }
    tell(
        &others(&[o.org.as_str(), o.by_org.as_str()])?,
        kind::CLOSED,
        &Note {
            key: o.key,
            ..Note::default()
        },
    )
}

/// At the founder: an organization asks for an asset; the first one gets
/// it while the offer lasts.
fn reserved(ctx: &Context, from: &orgs::Organization, note: Note) -> Result<()> {
    let today = calendar::today().to_string();
    let answer = |ok: bool| Note {
        key: note.key.clone(),
        ok,
        ..Note::default()
    };
    let doc = match find_offer(&note.key)? {
        Some(doc)
            if doc.data.state == offer_state::OPEN
                && doc.data.until >= today
                && others(&[doc.data.org.as_str()])?.contains(&from.id) =>
        {
            doc
        }
        _ => return messages::send(&from.id, kind::ANSWER, &answer(false)).map(|_| ()),
    };
    let mut o = doc.data;
    o.state = offer_state::RESERVED.into();
    o.by_org.clone_from(&from.id);
    o.by_name.clone_from(&from.name);
    o.purpose.clone_from(&note.text);
    OFFERS.update(&doc.id, doc.version, &o)?;
    audit::record(
        ctx,
        "assets.reservation-received",
        &o.key,
        format!("{} → {}", o.org_name, from.name),
    )?;
    messages::send(&from.id, kind::ANSWER, &answer(true))?;
    messages::send(
        &o.org,
        kind::RESERVED,
        &Note {
            key: o.key.clone(),
            by_name: from.name.clone(),
            text: note.text,
            ..Note::default()
        },
    )?;
    tell(
        &others(&[o.org.as_str(), from.id.as_str()])?,
        kind::CLOSED,
        &Note {
            key: o.key,
            ..Note::default()
        },
    )
}

/// At an organization that may take it: news of an offer.
fn lot_news(kind: &str, note: Note) -> Result<()> {
    let found = MARKET.find_by::<Lot>("key", &note.key)?;
    if kind == kind::OFFERED {
        let lot = Lot {
            key: note.key.clone(),
            from_name: note.from_name,
            card: note.card,
            book_value: note.book_value,
            text: note.text,
            until: note.until,
            state: lot_state::OPEN.into(),
            note: String::new(),
        };
        match found {
            Some(doc) => MARKET.update(&doc.id, doc.version, &lot)?,
            None => MARKET.insert(&lot)?,
        };
        return Ok(());
    }
    let Some(doc) = found else {
        return Ok(());
    };
    let mut lot = doc.data;
    lot.state = match (kind, lot.state.as_str()) {
        (kind::ANSWER, _) if note.ok => lot_state::RESERVED,
        (kind::ANSWER, _) => lot_state::TAKEN,
        (kind::CLOSED, lot_state::ASKED) => lot_state::TAKEN,
        (kind::CLOSED, _) => lot_state::CLOSED,
        _ => lot_state::REFUSED,
    }
    .into();
    MARKET.update(&doc.id, doc.version, &lot)?;
    Ok(())
}

/// At the organization offering: news of its own asset, by its number.
fn own_news(ctx: &Context, kind: &str, number: &str, note: Note) -> Result<()> {
    let Some(doc) = ASSETS.find_by::<Asset>("number", number)? else {
        return Ok(());
    };
    let mut a = doc.data;
    let number = a.card.number.clone();
    match kind {
        kind::RESERVED if a.state == state::OFFERED => {
            a.state = state::RESERVED.into();
            a.reserved_by.clone_from(&note.by_name);
            a.step(ctx, "reserved", format!("{}: {}", note.by_name, note.text));
            audit::record(ctx, "assets.reserved", &number, note.by_name.clone())?;
        }
        kind::REFUSED if a.state == state::RESERVED => {
            a.state = state::IN_USE.into();
            a.reserved_by.clear();
            audit::record(ctx, "assets.transfer-refused", &number, note.text.clone())?;
            a.step(ctx, "refused", note.text);
        }
        kind::EXPIRED if a.state == state::OFFERED => {
            a.state = state::UNCLAIMED.into();
            a.step(ctx, "unclaimed", String::new());
            audit::record(ctx, "assets.unclaimed", &number, a.card.name.clone())?;
        }
        kind::TRANSFER => {
            let Some(mut p) = note.protocol else {
                return Ok(());
            };
            let founder = me_parent()?;
            let key = note.key.clone();
            if a.state != state::RESERVED {
                // Withdrawn meanwhile: it stays, and the founder hears so.
                messages::send(
                    &founder,
                    kind::KEPT,
                    &Note {
                        key,
                        ..Note::default()
                    },
                )?;
                return Ok(());
            }
            // The protocol as the asset leaves: its card and its book
            // value on the day.
            p.card = a.card.clone();
            p.book_value = book_value(&a.card, calendar::today());
            a.gone(state::TRANSFERRED);
            a.step(ctx, "transferred", format!("{}, {}", p.to_name, p.number));
            audit::record(
                ctx,
                "assets.transferred",
                &number,
                format!("{} → {} ({})", a.card.name, p.to_name, p.number),
            )?;
            a.transfer = Some(p.clone());
            messages::send(
                &founder,
                kind::HANDED,
                &Note {
                    key,
                    protocol: Some(p),
                    ..Note::default()
                },
            )?;
        }
        _ => return Ok(()),
    }
    ASSETS.update(&doc.id, doc.version, &a)?;
    Ok(())
}

/// The caller's founder.
fn me_parent() -> Result<String> {
    orgs::current()?
        .parent
        .ok_or_else(|| Error::not_found("the organization has no founder"))
}

/// At the founder: the one offering handed the asset over (the one
/// receiving is told to take it in), or kept it (the transfer is off).
fn handed(ctx: &Context, done: bool, note: Note) -> Result<()> {
    let Some(doc) = find_offer(&note.key)? else {
        return Ok(());
    };
    let mut o = doc.data;
    if o.state != offer_state::HANDING {
        return Ok(());
    }
    if done && let Some(p) = note.protocol {
        o.state = offer_state::APPROVED.into();
        o.protocol = Some(p.clone());
        OFFERS.update(&doc.id, doc.version, &o)?;
        audit::record(ctx, "assets.transfer-handed", &o.key, p.number.clone())?;
        messages::send(
            &o.by_org,
            kind::RECEIVE,
            &Note {
                key: o.key,
                protocol: Some(p),
                ..Note::default()
            },
        )?;
    } else {
        o.state = offer_state::WITHDRAWN.into();
        OFFERS.update(&doc.id, doc.version, &o)?;
        audit::record(ctx, "assets.offer-withdrawn", &o.key, o.card.name.clone())?;
        messages::send(
            &o.by_org,
            kind::CLOSED,
            &Note {
                key: o.key,
                ..Note::default()
            },
        )?;
    }
    Ok(())
}

/// At the organization receiving: the asset enters its register, with a
/// number of its own, its cost and what was charged of it so far.
fn received(ctx: &Context, note: Note) -> Result<()> {
    let Some(p) = note.protocol else {
        return Ok(());
    };
    let mut card = p.card.clone();
    card.number = model::next_number(&card.account)?;
    card.charged_before = (card.cost - p.book_value).max(0.0);
    // The plan goes on for the years left of it, from the transfer.
    if card.life_years > 0 {
        let start = calendar::parse_date(&card.in_use);
        let done = start
            .and_then(|s| calendar::parse_date(&p.date).map(|d| d.year() - s.year()))
            .unwrap_or(0);
        card.life_years = (card.life_years as i32 - done).max(1) as u32;
    }
    card.in_use.clone_from(&p.date);
    let mut a = Asset::new(card);
    a.step(ctx, "received", format!("{}, {}", p.from_name, p.number));
    audit::record(
        ctx,
        "assets.received",
        &a.card.number,
        format!("{} ← {} ({})", a.card.name, p.from_name, p.number),
    )?;
    a.origin = Some(p);
    ASSETS.insert(&a)?;
    if let Some(doc) = MARKET.find_by::<Lot>("key", &note.key)? {
        let mut lot = doc.data;
        lot.state = lot_state::RECEIVED.into();
        MARKET.update(&doc.id, doc.version, &lot)?;
    }
    Ok(())
}

/// What the organization may take, and what it offers.
pub fn surplus(ctx: &Context) -> Result<View> {
    let lots: Vec<Document<Lot>> = MARKET.find().sort("key").fetch_all(2_000)?;
    let mut table = Table::new(ctx.tr(
        "Offers of the founder's other organizations",
        "Nabídky ostatních organizací zřizovatele",
    ))
    .column(ctx.tr("Asset", "Majetek"))
    .column(ctx.tr("Offered by", "Nabízí"))
    .numeric_column(ctx.tr("Book value", "Zůstatková cena"))
    .column(ctx.tr("Until", "Do"))
    .column(ctx.tr("State", "Stav"))
    .empty_text(ctx.tr("Nothing is on offer now.", "Momentálně není nic nabízeno."));
    let manage = can(ctx, "manage");
    for l in lots.iter().filter(|l| l.data.state != lot_state::CLOSED) {
        let lot = &l.data;
        let state_cell = if lot.state == lot_state::OPEN && manage {
            Cell::link(
                ctx.tr("Reserve", "Rezervovat"),
                format!("/surplus/{}/reserve", segment(&l.id)),
            )
        } else {
            lot_state_name(ctx, &lot.state).into()
        };
        table = table.row([
            format!("{} ({})", lot.card.name, lot.card.number).into(),
            lot.from_name.clone().into(),
            czk(ctx, lot.book_value).into(),
            date_text(ctx, &lot.until).into(),
            state_cell,
        ]);
    }
    let mut own = Vec::new();
    for s in [
        state::OFFERED,
        state::RESERVED,
        state::UNCLAIMED,
        state::PUBLIC,
    ] {
        own.extend(
            ASSETS
                .find()
                .eq("state", s)
                .sort("number")
                .fetch_all::<Asset>(500)?,
        );
    }
    let mine = crate::register::asset_table(
        ctx,
        ctx.tr("This organization's offers", "Nabídky této organizace"),
        &own,
        false,
    )
    .empty_text(ctx.tr(
        "This organization has nothing on offer.",
        "Tato organizace zatím nic nenabízí.",
    ));
    Ok(View::new(ctx.tr("Surplus property", "Nepotřebný majetek"))
        .text(ctx.tr(
            "An asset one organization no longer needs is offered to the founder's other organizations. One of them reserves it, the founder consents, and the asset passes from one register to the other by a transfer protocol.",
            "Majetek, který organizace už nepotřebuje, se nabídne ostatním organizacím zřizovatele. Některá z nich si ho rezervuje, zřizovatel převod schválí a majetek přejde z jedné evidence do druhé na základě předávacího protokolu.",
        ))
        .table(table)
        .table(mine))
}

fn lot_state_name(ctx: &Context, s: &str) -> &'static str {
    match s {
        lot_state::ASKED => ctx.tr(
            "Asked for, waiting for the founder",
            "Požádáno, čeká na zřizovatele",
        ),
        lot_state::RESERVED => ctx.tr(
            "Reserved for us; the founder decides",
            "Rezervováno pro nás; rozhodne zřizovatel",
        ),
        lot_state::TAKEN => ctx.tr(
            "Reserved by another organization",
            "Rezervovala jiná organizace",
        ),
        lot_state::REFUSED => ctx.tr("Transfer not approved", "Převod neschválen"),
        lot_state::RECEIVED => ctx.tr("Received", "Převzato"),
        lot_state::CLOSED => ctx.tr("Offered no more", "Už se nenabízí"),
        _ => ctx.tr("On offer", "Nabízeno"),
    }
}

fn lot(id: &str) -> Result<Document<Lot>> {
    MARKET.get::<Lot>(id)
}

/// The form to reserve an asset offered.
pub fn reserve_view(
    ctx: &Context,
    id: &str,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let doc = lot(id)?;
    let l = &doc.data;
    let mut view = View::new(format!(
        "{} {}",
        ctx.tr("Reserve:", "Rezervovat:"),
        l.card.name
    ))
    .key_values([
        (ctx.tr("Offered by", "Nabízí"), l.from_name.clone()),
        (
            ctx.tr("Inventory number there", "Inventární číslo u nabízejícího"),
            l.card.number.clone(),
        ),
        (
            ctx.tr("Acquisition cost", "Pořizovací cena"),
            czk(ctx, l.card.cost),
        ),
        (
            ctx.tr("Book value", "Zůstatková cena"),
            czk(ctx, l.book_value),
        ),
        (
            ctx.tr("Acquired", "Datum pořízení"),
            date_text(ctx, &l.card.acquired),
        ),
        (ctx.tr("Condition", "Technický stav"), l.text.clone()),
        (
            ctx.tr("Offered until", "Nabízeno do"),
            date_text(ctx, &l.until),
        ),
    ]);
    if l.state != lot_state::OPEN {
        return Ok(view.notice(NoticeLevel::Info, lot_state_name(ctx, &l.state)));
    }
    view = view.form(
        Form::new(
            format!("/surplus/{}/reserve", segment(id)),
            ctx.tr("Reserve", "Rezervovat"),
        )
        .field(
            Field::textarea(
                "text",
                ctx.tr(
                    "What the organization needs it for",
                    "K čemu ho organizace potřebuje",
                ),
            )
            .required()
            .value(FormPost::shown(form, "text", ""))
            .error_among(errors)
            .help(ctx.tr(
                "The founder reads it when deciding on the transfer.",
                "Zřizovatel to uvidí, až bude o převodu rozhodovat.",
            )),
        ),
    );
    Ok(view)
}

/// Asks the founder for an asset offered.
pub fn reserve(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    clerk(ctx)?;
    let doc = lot(id)?;
    let mut errors = Errors::new();
    let purpose = written(
        form,
        "text",
        ctx.tr(
            "Say what it is for, in at most 2,000 characters.",
            "Uveďte, k čemu je, nejvýše 2 000 znaků.",
        ),
        &mut errors,
    );
    if !errors.is_empty() {
        return Ok(Outcome::Show(reserve_view(ctx, id, Some(form), &errors)?));
    }
    if doc.data.state != lot_state::OPEN {
        return Ok(Outcome::Show(reserve_view(ctx, id, None, &Errors::new())?));
    }
    let mut l = doc.data;
    l.state = lot_state::ASKED.into();
    l.note.clone_from(&purpose);
    MARKET.update(&doc.id, doc.version, &l)?;
    messages::send(
        &founder(ctx)?,
        kind::RESERVE,
        &Note {
            key: l.key.clone(),
            text: purpose,
            ..Note::default()
        },
    )?;
    audit::record(
        ctx,
        "assets.reservation-asked",
        &l.key,
        format!("{}: {}", l.from_name, l.card.name),
    )?;
    Ok(Outcome::redirect_with(
        "/surplus",
        ctx.tr(
            "Asked for. The first organization to ask gets it; the founder then decides.",
            "Vyžádáno. Dostane ho organizace, která požádala první; pak rozhodne zřizovatel.",
        ),
    ))
}

fn offer_state_name(ctx: &Context, s: &str) -> &'static str {
    match s {
        offer_state::RESERVED => ctx.tr(
            "Reserved: decide on the transfer",
            "Rezervováno: rozhodněte o převodu",
        ),
        offer_state::HANDING => ctx.tr("Approved, being handed over", "Schváleno, předává se"),
        offer_state::APPROVED => ctx.tr("Transferred", "Převedeno"),
        offer_state::REFUSED => ctx.tr("Transfer refused", "Převod zamítnut"),
        offer_state::EXPIRED => ctx.tr("No organization wanted it", "Bez zájmu organizací"),
        offer_state::WITHDRAWN => ctx.tr("Withdrawn", "Staženo"),
        _ => ctx.tr("On offer", "Nabízeno"),
    }
}

/// At the founder: its organizations' offers, the transfers to decide first.
pub fn overview(ctx: &Context) -> Result<View> {
    let mut offers: Vec<Document<Offer>> = OFFERS.find().sort("until").fetch_all(2_000)?;
    offers.sort_by_key(|o| o.data.state != offer_state::RESERVED);
    let approve = can(ctx, "approve");
    let mut table = Table::new(ctx.tr(
        "Surplus property of the organizations",
        "Nepotřebný majetek organizací",
    ))
    .column(ctx.tr("Asset", "Majetek"))
    .column(ctx.tr("Offered by", "Nabízí"))
    .numeric_column(ctx.tr("Book value", "Zůstatková cena"))
    .column(ctx.tr("Until", "Do"))
    .column(ctx.tr("Reserved by", "Rezervovala"))
    .column(ctx.tr("State", "Stav"))
    .empty_text(ctx.tr(
        "The organizations offer nothing.",
        "Organizace nic nenabízejí.",
    ));
    for o in &offers {
        let d = &o.data;
        let state_cell = if d.state == offer_state::RESERVED && approve {
            Cell::link(
                offer_state_name(ctx, &d.state),
                format!("/region/{}/decide", segment(&o.id)),
            )
        } else {
            offer_state_name(ctx, &d.state).into()
        };
        table = table.row([
            format!("{} ({})", d.card.name, d.card.number).into(),
            d.org_name.clone().into(),
            czk(ctx, d.book_value).into(),
            date_text(ctx, &d.until).into(),
            d.by_name.clone().into(),
            state_cell,
        ]);
    }
    Ok(View::new(ctx.tr("Surplus property of the organizations", "Nepotřebný majetek organizací"))
        .text(ctx.tr(
            "A transfer between the organizations needs the founder's consent: the property is the founder's, entrusted to them to manage.", "Převod mezi organizacemi potřebuje souhlas zřizovatele: majetek je ve vlastnictví zřizovatele a organizacím svěřen k hospodaření.",
        ))
        .table(table))
}

/// At the founder: the transfer of offer `id`, to decide.
pub fn decide_view(
    ctx: &Context,
    id: &str,
    form: Option<&FormPost>,
    errors: &Errors,
) -> Result<View> {
    let doc = OFFERS.get::<Offer>(id)?;
    let o = &doc.data;
    let mut view = View::new(format!(
        "{} {}",
        ctx.tr("Transfer:", "Převod:"),
        o.card.name
    ))
    .key_values([
        (ctx.tr("From", "Předávající"), o.org_name.clone()),
        (ctx.tr("To", "Přejímající"), o.by_name.clone()),
        (ctx.tr("What for", "K čemu"), o.purpose.clone()),
        (
            ctx.tr("Inventory number", "Inventární číslo"),
            o.card.number.clone(),
        ),
        (
            ctx.tr("Acquisition cost", "Pořizovací cena"),
            czk(ctx, o.card.cost),
        ),
        (
            ctx.tr("Book value", "Zůstatková cena"),
            czk(ctx, o.book_value),
        ),
        (ctx.tr("Condition", "Technický stav"), o.text.clone()),
    ]);
    if o.state != offer_state::RESERVED {
        return Ok(view.notice(NoticeLevel::Info, offer_state_name(ctx, &o.state)));
    }
    view = view.form(
        Form::new(
            format!("/region/{}/decide", segment(id)),
            ctx.tr("Approve the transfer", "Schválit převod"),
        )
        .field(
            Field::textarea(
                "reason",
                ctx.tr("Reason, when refusing", "Důvod, při zamítnutí"),
            )
            .value(FormPost::shown(form, "reason", ""))
            .error_among(errors),
        )
        .button("refuse", ctx.tr("Refuse the transfer", "Zamítnout převod")),
    );
    Ok(view)
}

/// At the founder: approves or refuses a transfer.
pub fn decide(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    if !can(ctx, "approve") {
        return Err(Error::forbidden(ctx.tr(
            "Only the founder's approver may decide on transfers.",
            "O převodech smí rozhodovat jen schvalovatel zřizovatele.",
        )));
    }
    let doc = OFFERS.get::<Offer>(id)?;
    let mut o = doc.data.clone();
    if o.state != offer_state::RESERVED {
        return Ok(Outcome::Show(decide_view(ctx, id, None, &Errors::new())?));
    }
    let reason = form.get("reason").unwrap_or_default().trim().to_owned();
    let who = ctx
        .principal()
        .map(|p| p.name().to_owned())
        .unwrap_or_default();
    if form.button() == Some("refuse") {
        if reason.is_empty() {
            let errors = vec![(
                "reason".to_owned(),
                ctx.tr(
                    "Say why the transfer is refused.",
                    "Uveďte, proč se převod zamítá.",
                )
                .to_owned(),
            )];
            return Ok(Outcome::Show(decide_view(ctx, id, Some(form), &errors)?));
        }
        o.state = offer_state::REFUSED.into();
        o.reason.clone_from(&reason);
        OFFERS.update(&doc.id, doc.version, &o)?;
        let note = Note {
            key: o.key.clone(),
            text: reason.clone(),
            ..Note::default()
        };
        messages::send(&o.org, kind::REFUSED, &note)?;
        messages::send(&o.by_org, kind::REFUSED, &note)?;
        audit::record(
            ctx,
            "assets.transfer-refused",
            &o.key,
            format!("{} → {}: {reason}", o.org_name, o.by_name),
        )?;
        return Ok(Outcome::redirect_with(
            "/region",
            ctx.tr("The transfer is refused.", "Převod je zamítnut."),
        ));
    }
    let today = calendar::today();
    let number = portico_sdk::spoken_number(&format!("PP-{}-", today.year()), |n| {
        Ok(OFFERS.find_by::<Offer>("number", n)?.is_some())
    })?;
    let founder = orgs::current()?;
    let protocol = Protocol {
        number: number.clone(),
        date: today.to_string(),
        from_org: o.org.clone(),
        from_name: o.org_name.clone(),
        to_org: o.by_org.clone(),
        to_name: o.by_name.clone(),
        founder: founder.name,
        approved_by: who,
        card: o.card.clone(),
        book_value: o.book_value,
    };
    o.state = offer_state::HANDING.into();
    o.protocol = Some(protocol.clone());
    o.number = number.clone();
    OFFERS.update(&doc.id, doc.version, &o)?;
    // The one offering hands it over first; the one receiving takes it
    // in when it has.
    let note = Note {
        key: o.key.clone(),
        protocol: Some(protocol),
        ..Note::default()
    };
    messages::send(&o.org, kind::TRANSFER, &note)?;
    audit::record(
        ctx,
        "assets.transfer-approved",
        &o.key,
        format!("{} → {} ({number})", o.org_name, o.by_name),
    )?;
    Ok(Outcome::redirect_with(
        "/region",
        format!(
            "{} {number}",
            ctx.tr(
                "The transfer is approved, protocol",
                "Převod je schválen, protokol"
            )
        ),
    ))
}

/// Every morning at the founder: the offers whose time has passed end.
pub fn expire(ctx: &Context) -> Result<()> {
    let today = calendar::today().to_string();
    let due: Vec<Document<Offer>> = OFFERS
        .find()
        .eq("state", offer_state::OPEN)
        .lt("until", &today)
        .fetch_all(2_000)?;
    for doc in due {
        let mut o = doc.data;
        o.state = offer_state::EXPIRED.into();
        OFFERS.update(&doc.id, doc.version, &o)?;
        let note = Note {
            key: o.key.clone(),
            ..Note::default()
        };
        messages::send(&o.org, kind::EXPIRED, &note)?;
        tell(&others(&[o.org.as_str()])?, kind::CLOSED, &note)?;
        audit::record(ctx, "assets.offer-expired", &o.key, o.org_name.clone())?;
    }
    Ok(())
}

/// What the organization offers to everyone.
pub fn public(ctx: &Context) -> Result<View> {
    let offered: Vec<Document<Asset>> = ASSETS
        .find()
        .eq("state", state::PUBLIC)
        .sort("number")
        .fetch_all(500)?;
    let me = orgs::current()?;
    let mut table = Table::new(ctx.tr("Surplus property on offer", "Nabízený nepotřebný majetek"))
        .column(ctx.tr("Asset", "Majetek"))
        .column(ctx.tr("Condition", "Technický stav"))
        .column(ctx.tr("Acquired", "Pořízeno"))
        .empty_text(ctx.tr(
            "The organization offers nothing now.",
            "V současné době organizace nic nenabízí.",
        ));
    for a in &offered {
        table = table.row([
            format!("{} ({})", a.data.card.name, a.data.card.number),
            a.data.offer_text.clone(),
            date_text(ctx, &a.data.card.acquired),
        ]);
    }
    let contact = match me.address {
        Some(addr) => format!("{}, {addr}", me.name),
        None => me.name,
    };
    Ok(View::new(ctx.tr("Surplus property offered", "Nabídka nepotřebného majetku"))
        .text(format!(
            "{} {contact}.",
            ctx.tr(
                "The organization offers property that neither it nor the founder's other organizations need any more. Ask at:", "Organizace nabízí majetek, který už nepotřebuje ani ona, ani ostatní organizace zřizovatele. Informace podá:",
            )
        ))
        .table(table))
}
