//! The dashboard: submissions counted by the store, by status and by
//! form.

use portico_sdk::records::Filters;
use portico_sdk::{Context, Result, Stat, Table, View};

use crate::citizen::tr;
use crate::model::{self, SUBMISSIONS, Status, english};

/// Counts per form and status: figures only, public. Every figure is
/// counted by the store, over all submissions.
pub fn dashboard(ctx: &Context) -> Result<View> {
    let en = english(ctx);
    let forms = model::latest_forms()?;
    let by_status = SUBMISSIONS.count_by("status").fetch()?;
    let count = |key: &str| -> u64 {
        by_status
            .iter()
            .filter(|g| g.key.as_deref() == Some(key))
            .map(|g| g.count)
            .sum()
    };
    let total: u64 = by_status.iter().map(|g| g.count).sum();
    let open: u64 = Status::ALL
        .into_iter()
        .filter(|s| !s.next().is_empty())
        .map(|s| count(s.key()))
        .sum();
    let mut view = View::new(tr(ctx, "Forms in figures", "Formuláře v číslech")).stats([
        Stat::new(tr(ctx, "Submissions", "Podání"), total.to_string()),
        Stat::new(
            tr(ctx, "Being dealt with", "Ve vyřizování"),
            open.to_string(),
        ),
        Stat::new(tr(ctx, "Forms", "Formuláře"), forms.len().to_string()),
    ]);
    let mut t = Table::new(tr(
        ctx,
        "Submissions by form and status",
        "Podání podle formuláře a stavu",
    ))
    .column(tr(ctx, "Form", "Formulář"));
    for s in Status::ALL {
        t = t.numeric_column(s.label(en));
    }
    t = t.empty_text(tr(ctx, "No submissions yet.", "Zatím žádná podání."));
    // Each status counted by form; a form is a row.
    let mut codes: Vec<String> = Vec::new();
    let mut counts: Vec<(String, Status, u64)> = Vec::new();
    let mut whole = true;
    for s in Status::ALL {
        let groups = SUBMISSIONS.count_by("form").eq("status", s.key()).fetch()?;
        whole &= groups.len() < MOST_GROUPS;
        for g in groups {
            let code = g.key.unwrap_or_default();
            if !codes.contains(&code) {
                codes.push(code.clone());
            }
            counts.push((code, s, g.count));
        }
    }
    let title = |code: &str| {
        forms
            .iter()
            .find(|f| f.code == code)
            .map_or_else(|| code.to_owned(), |f| f.definition.title.clone())
    };
    let mut rows: Vec<(String, String)> = codes.into_iter().map(|c| (title(&c), c)).collect();
    rows.sort();
    for (title, code) in rows {
        let mut row = vec![title];
        for st in Status::ALL {
            let n: u64 = counts
                .iter()
                .filter(|(c, s, _)| *c == code && *s == st)
                .map(|(_, _, n)| n)
                .sum();
            row.push(n.to_string());
        }
        t = t.row(row);
    }
    view = view.table(t);
    if !whole {
        view = view.text(tr(
            ctx,
            "Only the 1,000 forms with the most submissions of each status are counted in the table.",
            "Tabulka počítá jen 1 000 formulářů s nejvíce podáními v každém stavu.",
        ));
    }
    Ok(view)
}

/// The most groups the store's aggregate returns.
const MOST_GROUPS: usize = 1_000;
