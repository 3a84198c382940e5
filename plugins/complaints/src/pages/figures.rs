//! The dashboard: key figures and counts by category and status, all
//! counted by the store, and what a figure says when the store counted
//! only part.

use portico_sdk::records::Filters;
use portico_sdk::{Chart, Context, Result, Stat, Table, View};

use super::tr;
use crate::model::{self, REPORTS, Status, english, today};

/// Key figures: open, overdue, closed, the time to resolve, and counts by
/// category and status. Figures only, nothing personal: public. Every
/// figure is counted (and summed) by the store, over all reports.
pub fn dashboard(ctx: &Context) -> Result<View> {
    let en = english(ctx);
    let today = today();
    let categories = model::categories()?;
    let by_status = Tally::fetch(REPORTS.count_by("status"))?;
    let overdue = Tally::fetch(REPORTS.count_by("status").lt("deadline", &today))?;
    let (open, total) = (by_status.open(), by_status.total());
    // The days to resolve, summed by the store over the resolved reports
    // that have them (every one since version 0.3.0).
    let resolved = REPORTS
        .count_by("status")
        .eq("status", Status::Resolved.key())
        .ge("resolve_days", 0)
        .sum("resolve_days")
        .fetch()?;
    let (resolved_count, resolved_days) = resolved.iter().fold((0, 0.0), |(n, d), g| {
        (n + g.count, d + g.sum.unwrap_or(0.0))
    });
    let average = if resolved_count == 0 {
        "–".to_owned()
    } else {
        format!(
            "{:.1} {}",
            resolved_days / resolved_count as f64,
            tr(ctx, "days", "dne")
        )
    };
    let mut view = View::new(tr(ctx, "Complaints in figures", "Podněty v číslech")).stats([
        by_status
            .stat(ctx, tr(ctx, "Open reports", "Otevřená hlášení"), open)
            .link("/?status=open"),
        overdue.stat(
            ctx,
            tr(ctx, "Past their deadline", "Po lhůtě"),
            overdue.open(),
        ),
        by_status
            .stat(ctx, tr(ctx, "Closed", "Uzavřená"), total - open)
            .link("/?status=closed"),
        Stat::new(
            tr(ctx, "Average time to resolve", "Průměrná doba vyřešení"),
            average,
        )
        .detail(format!(
            "{} {}",
            resolved_count,
            tr(ctx, "resolved", "vyřešeno")
        )),
    ]);
    if total > 0 {
        // Each category counted, and its open reports; the rest are closed.
        let all = Tally::fetch(REPORTS.count_by("category"))?;
        let open_ones = Tally::fetch(REPORTS.count_by("category").eq("open", 1))?;
        let whole = all.whole && open_ones.whole;
        let mut codes: Vec<String> = categories.iter().map(|c| c.code.clone()).collect();
        for (code, _) in &all.groups {
            if !codes.contains(code) {
                codes.push(code.clone());
            }
        }
        let count = |code: &str, open: bool| {
            let opened = open_ones.count(code);
            (if open {
                opened
            } else {
                all.count(code).saturating_sub(opened)
            }) as f64
        };
        view = view.chart(
            Chart::bar(
                tr(ctx, "Reports by category", "Hlášení podle kategorie"),
                codes
                    .iter()
                    .map(|c| model::category_name(&categories, c, english(ctx))),
            )
            .series(
                tr(ctx, "Open", "Otevřená"),
                codes.iter().map(|c| count(c, true)),
            )
            .series(
                tr(ctx, "Closed", "Uzavřená"),
                codes.iter().map(|c| count(c, false)),
            ),
        );
        if !whole {
            view = view.text(tr(ctx, PARTIAL.0, PARTIAL.1));
        }
    }
    let mut table = Table::new(tr(ctx, "Reports by status", "Hlášení podle stavu"))
        .column(tr(ctx, "Status", "Stav"))
        .numeric_column(tr(ctx, "Reports", "Hlášení"));
    for s in Status::ALL {
        table = table.row([s.label(en).to_owned(), by_status.count(s.key()).to_string()]);
    }
    Ok(view.table(table))
}

/// The most groups the store's aggregate returns.
const MOST_GROUPS: usize = 1_000;

/// What a figure says when the store counted only the largest 1,000 groups.
const PARTIAL: (&str, &str) = (
    "At least this many: the store counts at most 1,000 groups, and there are more.",
    "Nejméně tolik: úložiště sečte nejvýše 1 000 skupin a tady jich je víc.",
);

/// Counts by the values of a field, as the store gave them. Past
/// [`MOST_GROUPS`] values the store leaves the smallest groups out: the
/// counts are then a floor, and the page says so.
struct Tally {
    groups: Vec<(String, u64)>,
    whole: bool,
}

impl Tally {
    fn fetch(aggregate: portico_sdk::records::Aggregate) -> Result<Tally> {
        let groups = aggregate.fetch()?;
        Ok(Tally {
            whole: groups.len() < MOST_GROUPS,
            groups: groups
                .into_iter()
                .map(|g| (g.key.unwrap_or_default(), g.count))
                .collect(),
        })
    }

    fn count(&self, key: &str) -> u64 {
        self.groups
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, n)| n)
            .sum()
    }

    fn total(&self) -> u64 {
        self.groups.iter().map(|(_, n)| n).sum()
    }

    /// The count of the open statuses.
    fn open(&self) -> u64 {
        Status::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .map(|s| self.count(s.key()))
            .sum()
    }

    /// `value` as a figure: with a `+` and a word of why when the store
    /// left groups out.
    fn stat(&self, ctx: &Context, label: &str, value: u64) -> Stat {
        if self.whole {
            Stat::new(label, value.to_string())
        } else {
            Stat::new(label, format!("{value}+")).detail(tr(ctx, PARTIAL.0, PARTIAL.1))
        }
    }
}
