//! The public's pages: the registry of reports (a table and a map),
//! one report without personal data, and the form to follow it.

use portico_sdk::records::Filters;
use portico_sdk::{
    Action, Cell, Context, Field, FieldKind, Form, FormPost, Map, Outcome, Page, Pager, Result,
    Table, TimelineEntry, View, segment,
};

use super::{PAGE_SIZE, place, report, tr};
use crate::model::{self, REPORTS, Report, english};

/// The public registry: reports without personal data, newest first, a
/// page at a time, as a table and on a map; `?status=open|closed` and
/// `?category=` filter it in the store.
pub fn registry(ctx: &Context, page: &Page) -> Result<View> {
    let en = english(ctx);
    let categories = model::categories()?;
    let mut find = REPORTS.find().newest_first();
    let category = page.query("category").filter(|c| !c.is_empty());
    if let Some(c) = category {
        find = find.eq("category", c);
    }
    let status = match page.query("status") {
        Some("open") => Some("open"),
        Some("closed") => Some("closed"),
        _ => None,
    };
    if let Some(s) = status {
        find = find.eq("open", u8::from(s == "open"));
    }
    let cursor = page.query("cursor").filter(|c| !c.is_empty());
    let found = find
        .limit(PAGE_SIZE)
        .after(cursor.map(str::to_owned))
        .fetch::<Report>()?;
    let reports = found.documents;
    let mut view = View::new(tr(ctx, "Reported problems", "Nahlášené závady"))
        .text(tr(
            ctx,
            "Problems reported in public places and how the office deals with them. Names and contacts of reporters are never shown.",
            "Závady na veřejných místech a jak je úřad řeší. Jména a kontakty oznamovatelů se nezveřejňují.",
        ))
        .actions([
            Action::primary(tr(ctx, "Report a problem", "Nahlásit závadu"), "/report"),
            Action::secondary(tr(ctx, "Open reports", "Otevřená hlášení"), "/?status=open"),
            Action::secondary(tr(ctx, "Closed reports", "Uzavřená hlášení"), "/?status=closed"),
        ]);
    let mut table = Table::new(tr(
        ctx,
        "Reports, newest first",
        "Hlášení, nejnovější nahoře",
    ))
    .column(tr(ctx, "Number", "Číslo"))
    .column(tr(ctx, "Category", "Kategorie"))
    .column(tr(ctx, "Place", "Místo"))
    .column(tr(ctx, "Reported", "Nahlášeno"))
    .column(tr(ctx, "Status", "Stav"))
    .empty_text(tr(ctx, "No reports yet.", "Zatím žádná hlášení."));
    let mut map = Map::new(tr(ctx, "Reports on the map", "Hlášení na mapě"));
    for d in &reports {
        let r = &d.data;
        let href = format!("/reports/{}", segment(&d.id));
        let name = model::category_name(&categories, &r.category, english(ctx));
        table = table.row([
            Cell::link(r.number.clone(), href.clone()),
            Cell::from(name.clone()),
            Cell::from(place(r)),
            Cell::from(portico_sdk::calendar::format_date_text(
                &r.requested,
                ctx.locale(),
            )),
            Cell::from(r.status.label(en)),
        ]);
        if let (Some(lat), Some(long)) = (r.lat, r.long) {
            map = map.linked_point(lat, long, format!("{} {}", r.number, name), href);
        }
    }
    view = view.table(table);
    let query = |cursor: Option<&str>| {
        let mut parts: Vec<String> = Vec::new();
        if let Some(s) = status {
            parts.push(format!("status={s}"));
        }
        if let Some(c) = category {
            parts.push(format!("category={}", segment(c)));
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", segment(c)));
        }
        format!("/?{}", parts.join("&"))
    };
    if cursor.is_some() || found.next_cursor.is_some() {
        let mut pager = Pager::new();
        if cursor.is_some() {
            pager = pager.previous(query(None));
        }
        if let Some(next) = &found.next_cursor {
            pager = pager.next(query(Some(next)));
        }
        view = view.pager(pager);
    }
    if reports.iter().any(|d| d.data.lat.is_some()) {
        view = view.map(map);
    }
    Ok(view)
}

/// One report in public: no personal data, public steps only.
pub fn public_report(ctx: &Context, id: &str, errors: Option<&[(String, String)]>) -> Result<View> {
    let en = english(ctx);
    let doc = report(ctx, id)?;
    let r = &doc.data;
    let categories = model::categories()?;
    let mut view =
        View::new(format!("{} {}", tr(ctx, "Report", "Hlášení"), r.number)).key_values([
            (
                tr(ctx, "Category", "Kategorie"),
                model::category_name(&categories, &r.category, english(ctx)),
            ),
            (tr(ctx, "Status", "Stav"), r.status.label(en).to_owned()),
            (tr(ctx, "Place", "Místo"), place(r)),
            (
                tr(ctx, "Reported", "Nahlášeno"),
                portico_sdk::calendar::format_moment_text(&r.requested, ctx.locale()),
            ),
            (
                tr(ctx, "To be dealt with by", "Vyřízení do"),
                portico_sdk::calendar::format_date_text(&r.deadline, ctx.locale()),
            ),
            (
                tr(ctx, "Responsible unit", "Odpovědný útvar"),
                r.unit.clone(),
            ),
        ]);
    view = view
        .heading(tr(ctx, "Description", "Popis"))
        .text(r.description.clone());
    if !r.duplicate_of.is_empty() {
        view = view.actions([Action::secondary(
            tr(
                ctx,
                "The report this one was merged into",
                "Hlášení, se kterým bylo toto sloučeno",
            ),
            format!("/reports/{}", segment(&r.duplicate_of)),
        )]);
    }
    if let (Some(lat), Some(long)) = (r.lat, r.long) {
        view = view.map(Map::new(tr(ctx, "Where it is", "Kde to je")).point(
            lat,
            long,
            r.number.clone(),
        ));
    }
    let steps: Vec<TimelineEntry> = model::steps(&doc.id, r)?
        .iter()
        .filter(|u| u.public)
        .map(|u| TimelineEntry::new(u.at.clone(), u.status.label(en)).text(u.text.clone()))
        .collect();
    view = view.heading(tr(ctx, "Progress", "Průběh"));
    view = if steps.is_empty() {
        view.text(tr(ctx, "No steps yet.", "Zatím žádné kroky."))
    } else {
        view.timeline(steps)
    };
    if r.is_open() {
        let errors = errors.unwrap_or_default();
        let field = Field::new(
            "email",
            tr(ctx, "Your e-mail", "Váš e-mail"),
            FieldKind::Email,
        )
        .autocomplete("email")
        .help(tr(
            ctx,
            "We send you a link to confirm; you follow the report once you open it, within 24 hours. Every message has a link that stops them.",
            "Pošleme vám odkaz k potvrzení; hlášení sledujete, jakmile ho do 24 hodin otevřete. Každá zpráva má odkaz, kterým je zastavíte.",
        ))
        .required();
        let field = match errors.iter().find(|(f, _)| f == "email") {
            Some((_, e)) => field.error(e.clone()),
            None => field,
        };
        view = view
            .heading(tr(ctx, "Follow this report", "Sledovat hlášení"))
            .form(
                Form::new(
                    format!("/reports/{}", segment(id)),
                    tr(ctx, "Tell me of every step", "Informujte mě o každém kroku"),
                )
                .field(field),
            );
    }
    Ok(view)
}

/// Someone asks to be told of a report's public steps: they are sent a
/// link to confirm (`followers`).
pub fn subscribe(ctx: &Context, id: &str, form: &FormPost) -> Result<Outcome> {
    let email = form.get("email").unwrap_or_default().trim().to_lowercase();
    let refuse = |message: String| -> Result<Outcome> {
        Ok(Outcome::Show(public_report(
            ctx,
            id,
            Some(&[("email".to_owned(), message)]),
        )?))
    };
    if !model::is_email(&email) {
        return refuse(
            tr(
                ctx,
                "Give an e-mail address such as jana@example.cz.",
                "Zadejte e-mail ve tvaru jana@example.cz.",
            )
            .to_owned(),
        );
    }
    let mut doc = report(ctx, id)?;
    if doc.data.has_earlier() {
        // A report of the first version: its followers move out first.
        let mut r = doc.data.clone();
        doc = model::store(&doc.id, doc.version, &mut r)?;
    }
    if let Err(message) = crate::followers::request(ctx, &doc.id, &doc.data, &email)? {
        return refuse(message);
    }
    // The same answer whether or not the address follows already: nobody
    // learns who follows what.
    Ok(Outcome::redirect_with(
        format!("/reports/{}", segment(id)),
        tr(
            ctx,
            "Look in your mailbox: unless the address follows this report already, we sent it a link to confirm, valid for 24 hours.",
            "Podívejte se do své schránky: pokud adresa toto hlášení už nesleduje, poslali jsme na ni odkaz k potvrzení, platný 24 hodin.",
        ),
    ))
}
