//! The handlers' inbox: reports by deadline, filtered by status,
//! category, handler and overdue, a page at a time.

use portico_sdk::records::{Document, Filters};
use portico_sdk::{Action, Cell, Context, Page, Pager, Result, Table, View, segment};

use super::{PAGE_SIZE, place, tr};
use crate::model::{self, REPORTS, Report, Status, english, today};

/// How many reports the inbox looks through for one page when it picks
/// out a handler's (the handler is not indexed).
const HANDLER_SCAN: usize = 2_000;

/// The staff inbox, soonest deadline first, a page at a time: by status
/// (open unless asked otherwise), category and overdue, filtered in the
/// store; by handler and by area, picked out of the pages read, at most
/// [`HANDLER_SCAN`] reports for one page.
pub fn inbox(ctx: &Context, page: &Page) -> Result<View> {
    let en = english(ctx);
    let today = today();
    let categories = model::categories()?;
    let mut find = REPORTS.find().sort("deadline");
    let status = page.query("status").unwrap_or("open");
    match status {
        "open" => find = find.eq("open", 1),
        "closed" => find = find.eq("open", 0),
        other => {
            if let Some(s) = Status::parse(other) {
                find = find.eq("status", s.key());
            }
        }
    }
    let category = page.query("category").filter(|c| !c.is_empty());
    if let Some(c) = category {
        find = find.eq("category", c);
    }
    let handler = page.query("handler").unwrap_or("");
    let area = page.query("area").unwrap_or("");
    let overdue = page.query("overdue").is_some();
    if overdue {
        find = find.lt("deadline", &today);
    }
    let first = page.query("cursor").filter(|c| !c.is_empty());
    let mut pages = find
        .limit(PAGE_SIZE)
        .after(first.map(str::to_owned))
        .pages::<Report>();
    let mut reports: Vec<Document<Report>> = Vec::new();
    let mut looked = 0;
    for found in pages.by_ref() {
        let found = found?;
        looked += found.len();
        reports.extend(found.into_iter().filter(|d| {
            (handler.is_empty() || d.data.handler == handler)
                && (area.is_empty() || d.data.area == area)
                && (!overdue || d.data.overdue(&today))
        }));
        if reports.len() >= PAGE_SIZE as usize || looked >= HANDLER_SCAN {
            break;
        }
    }
    let cursor = pages.next_cursor().map(str::to_owned);
    let query = |cursor: Option<&str>| {
        let mut parts = vec![format!("status={}", segment(status))];
        if let Some(c) = category {
            parts.push(format!("category={}", segment(c)));
        }
        if !handler.is_empty() {
            parts.push(format!("handler={}", segment(handler)));
        }
        if !area.is_empty() {
            parts.push(format!("area={}", segment(area)));
        }
        if overdue {
            parts.push("overdue=1".to_owned());
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", segment(c)));
        }
        format!("/handle?{}", parts.join("&"))
    };
    let pager = (first.is_some() || cursor.is_some()).then(|| {
        let mut pager = Pager::new();
        if first.is_some() {
            pager = pager.previous(query(None));
        }
        if let Some(next) = &cursor {
            pager = pager.next(query(Some(next)));
        }
        pager
    });
    let cut_short = cursor.is_some() && reports.len() < PAGE_SIZE as usize;
    let mut filters = vec![
        Action::secondary(tr(ctx, "Open", "Otevřená"), "/handle?status=open"),
        Action::secondary(
            tr(ctx, "Overdue", "Po lhůtě"),
            "/handle?status=open&overdue=1",
        ),
        Action::secondary(tr(ctx, "Closed", "Uzavřená"), "/handle?status=closed"),
        Action::secondary(tr(ctx, "All", "Všechna"), "/handle?status=all"),
    ];
    if let Some(me) = ctx.principal() {
        filters.push(Action::secondary(
            tr(ctx, "Assigned to me", "Přidělená mně"),
            format!("/handle?status=open&handler={}", segment(me.name())),
        ));
    }
    filters.push(Action::secondary(
        tr(ctx, "Export CSV", "Export CSV"),
        "/export.csv",
    ));
    let mut table = Table::new(tr(
        ctx,
        "Reports, soonest deadline first",
        "Hlášení, nejbližší lhůta nahoře",
    ))
    .column(tr(ctx, "Number", "Číslo"))
    .column(tr(ctx, "Category", "Kategorie"))
    .column(tr(ctx, "Place", "Místo"))
    .column(tr(ctx, "Area", "Oblast"))
    .column(tr(ctx, "Status", "Stav"))
    .column(tr(ctx, "Handler", "Řešitel"))
    .column(tr(ctx, "Deadline", "Lhůta"))
    .empty_text(tr(ctx, "Nothing here.", "Nic tu není."));
    for d in &reports {
        let r = &d.data;
        let deadline = if r.overdue(&today) {
            format!(
                "{} ({})",
                portico_sdk::calendar::format_date_text(&r.deadline, ctx.locale()),
                tr(ctx, "overdue", "po lhůtě")
            )
        } else {
            portico_sdk::calendar::format_date_text(&r.deadline, ctx.locale())
        };
        table = table.row([
            Cell::link(r.number.clone(), format!("/handle/{}", segment(&d.id))),
            Cell::from(model::category_name(&categories, &r.category, english(ctx))),
            Cell::from(place(r)),
            Cell::from(r.area.clone()),
            Cell::from(r.status.label(en)),
            Cell::from(r.handler.clone()),
            Cell::from(deadline),
        ]);
    }
    let mut actions = filters;
    for a in model::areas()? {
        actions.push(Action::secondary(
            a.name.clone(),
            format!("/handle?status=open&area={}", segment(&a.name)),
        ));
    }
    if ctx.principal().is_some_and(|p| p.has_permission("manage")) {
        actions.push(Action::secondary(
            tr(ctx, "Categories", "Kategorie"),
            "/categories",
        ));
        actions.push(Action::secondary(tr(ctx, "Areas", "Oblasti"), "/areas"));
    }
    let mut view = View::new(tr(ctx, "Complaints inbox", "Podatelna podnětů"))
        .actions(actions)
        .table(table);
    if cut_short {
        view = view.text(if en {
            format!("This page looked through {looked} reports and found fewer that fit; the next page looks further.")
        } else {
            format!("Tato stránka prošla {looked} hlášení a vyhovujících našla méně; další stránka hledá dál.")
        });
    }
    if let Some(pager) = pager {
        view = view.pager(pager);
    }
    Ok(view)
}
