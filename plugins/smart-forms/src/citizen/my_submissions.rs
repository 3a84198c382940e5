//! The person's own: their submissions and drafts, and one submission
//! with its history.

use portico_sdk::records::Filters;
use portico_sdk::{Cell, Context, Error, Result, Table, TimelineEntry, View, segment};

use super::tr;
use crate::model::{self, DRAFTS, Draft, SUBMISSIONS, Submission, english};

/// The person's submissions and drafts.
pub fn mine(ctx: &Context) -> Result<View> {
    let en = english(ctx);
    let user = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    let mut subs = Table::new(tr(ctx, "My submissions", "Moje podání"))
        .column(tr(ctx, "Number", "Číslo"))
        .column(tr(ctx, "Form", "Formulář"))
        .column(tr(ctx, "Submitted", "Podáno"))
        .column(tr(ctx, "Status", "Stav"))
        .empty_text(tr(ctx, "Nothing submitted yet.", "Zatím nic podáno."));
    for d in SUBMISSIONS
        .find()
        .eq("user", &user)
        .newest_first()
        .fetch_all::<Submission>(model::MOST)?
    {
        let s = &d.data;
        subs = subs.row([
            Cell::link(s.number.clone(), format!("/my/{}", segment(&d.id))),
            Cell::from(s.title.clone()),
            Cell::from(s.submitted[..10].to_owned()),
            Cell::from(s.status.label(en)),
        ]);
    }
    let mut drafts = Table::new(tr(ctx, "Drafts", "Rozpracovaná podání"))
        .column(tr(ctx, "Form", "Formulář"))
        .column(tr(ctx, "Saved", "Uloženo"))
        .empty_text(tr(ctx, "No drafts.", "Žádná rozpracovaná podání."));
    for d in DRAFTS
        .find()
        .eq("user", &user)
        .fetch_all::<Draft>(model::MOST)?
        .into_iter()
        // A designer's preview keeps a draft of its own, not theirs to go on with.
        .filter(|d| !d.data.form.starts_with("preview:"))
    {
        let title = model::form(&d.data.form, Some(d.data.version))
            .map_or(d.data.form.clone(), |(_, f)| f.def.title);
        drafts = drafts.row([
            Cell::link(
                format!("{} – {}", tr(ctx, "Go on with", "Pokračovat:"), title),
                format!("/fill/{}", segment(&d.data.form)),
            ),
            Cell::from(d.data.saved.clone()),
        ]);
    }
    Ok(View::new(tr(ctx, "My submissions", "Moje podání"))
        .table(subs)
        .table(drafts))
}

/// One of the person's submissions: what they sent, its receipt, and how
/// it went since.
pub fn my_submission(ctx: &Context, id: &str) -> Result<View> {
    let en = english(ctx);
    let user = ctx
        .principal()
        .map(|p| p.user_id().to_owned())
        .unwrap_or_default();
    let d = SUBMISSIONS.get::<Submission>(id)?;
    if d.data.user != user {
        return Err(Error::not_found("no such submission"));
    }
    let s = &d.data;
    let steps: Vec<TimelineEntry> = s
        .history
        .iter()
        .map(|h| TimelineEntry::new(h.at.clone(), h.status.label(en)).text(h.note.clone()))
        .collect();
    Ok(
        super::sent::sent_view(ctx, s, format!("/my/{}/receipt.pdf", segment(id)))?
            .heading(tr(ctx, "Progress", "Průběh"))
            .timeline(steps),
    )
}
