//! The submissions inbox: newest first, by form, status and handler, a
//! page at a time.

use portico_sdk::records::Filters;
use portico_sdk::{Action, Cell, Context, Page, Pager, Result, Table, View, segment};

use crate::citizen::tr;
use crate::model::{SUBMISSIONS, Status, Submission, english};

/// Submissions on one page of the inbox.
const PAGE_SIZE: u32 = 50;

/// How many submissions the inbox looks through for one page when it
/// picks out a handler's (the handler is not indexed).
const HANDLER_SCAN: usize = 2_000;

/// The inbox, newest first, a page at a time: by form and status,
/// filtered in the store; by handler, picked out of the pages read, at
/// most [`HANDLER_SCAN`] submissions for one page.
pub fn inbox(ctx: &Context, page: &Page) -> Result<View> {
    let en = english(ctx);
    let mut find = SUBMISSIONS.find().newest_first();
    let form = page.query("form").filter(|f| !f.is_empty());
    if let Some(f) = form {
        find = find.eq("form", f);
    }
    let status = page.query("status").and_then(Status::parse);
    if let Some(s) = status {
        find = find.eq("status", s.key());
    }
    let handler = page.query("handler").unwrap_or("");
    let first = page.query("cursor").filter(|c| !c.is_empty());
    let mut pages = find
        .limit(PAGE_SIZE)
        .after(first.map(str::to_owned))
        .pages::<Submission>();
    let mut subs = Vec::new();
    let mut looked = 0;
    for found in pages.by_ref() {
        let found = found?;
        looked += found.len();
        subs.extend(
            found
                .into_iter()
                .filter(|d| handler.is_empty() || d.data.handler == handler),
        );
        if subs.len() >= PAGE_SIZE as usize || looked >= HANDLER_SCAN {
            break;
        }
    }
    let cursor = pages.next_cursor().map(str::to_owned);
    let query = |cursor: Option<&str>| {
        let mut parts = Vec::new();
        if let Some(f) = form {
            parts.push(format!("form={}", segment(f)));
        }
        if let Some(s) = status {
            parts.push(format!("status={}", s.key()));
        }
        if !handler.is_empty() {
            parts.push(format!("handler={}", segment(handler)));
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", segment(c)));
        }
        format!("/inbox?{}", parts.join("&"))
    };
    let mut pager = None;
    if first.is_some() || cursor.is_some() {
        let mut p = Pager::new();
        if first.is_some() {
            p = p.previous(query(None));
        }
        if let Some(next) = &cursor {
            p = p.next(query(Some(next)));
        }
        pager = Some(p);
    }
    let cut_short = cursor.is_some() && subs.len() < PAGE_SIZE as usize;
    let mut filters = vec![Action::secondary(tr(ctx, "All", "Vše"), "/inbox")];
    for s in Status::ALL {
        filters.push(Action::secondary(
            s.label(en),
            format!("/inbox?status={}", s.key()),
        ));
    }
    if let Some(me) = ctx.principal() {
        filters.push(Action::secondary(
            tr(ctx, "Assigned to me", "Přidělené mně"),
            format!("/inbox?handler={}", segment(me.name())),
        ));
    }
    filters.push(Action::secondary(
        tr(ctx, "Export CSV", "Export CSV"),
        "/export.csv",
    ));
    let mut t = Table::new(tr(
        ctx,
        "Submissions, newest first",
        "Podání, nejnovější nahoře",
    ))
    .column(tr(ctx, "Number", "Číslo"))
    .column(tr(ctx, "Form", "Formulář"))
    .column(tr(ctx, "From", "Od"))
    .column(tr(ctx, "Submitted", "Podáno"))
    .column(tr(ctx, "Status", "Stav"))
    .column(tr(ctx, "Handler", "Vyřizuje"))
    .empty_text(tr(ctx, "Nothing here.", "Nic tu není."));
    for d in &subs {
        let s = &d.data;
        t = t.row([
            Cell::link(s.number.clone(), format!("/inbox/{}", segment(&d.id))),
            Cell::from(s.title.clone()),
            Cell::from(s.user_name.clone()),
            Cell::from(s.submitted[..10].to_owned()),
            Cell::from(s.status.label(en)),
            Cell::from(s.handler.clone()),
        ]);
    }
    let mut view = View::new(tr(ctx, "Submissions inbox", "Podatelna formulářů"))
        .actions(filters)
        .table(t);
    if cut_short {
        view = view.text(if en {
            format!("This page looked through {looked} submissions and found fewer that fit; the next page looks further.")
        } else {
            format!("Tato stránka prošla {looked} podání a vyhovujících našla méně; další stránka hledá dál.")
        });
    }
    if let Some(pager) = pager {
        view = view.pager(pager);
    }
    Ok(view)
}
