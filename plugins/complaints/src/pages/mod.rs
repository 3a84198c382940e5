//! The module's pages, one file per page or per role: `public.rs` the
//! registry, one report and following it; `reporting.rs` the citizen's
//! report form; `staff_inbox.rs` the handlers' inbox; `report_handling.rs`
//! one report for staff and its steps and merges; `categories.rs` the
//! categories; `figures.rs` the dashboard; `downloads.rs` the CSV export
//! and the photos. This file holds what the pages share (wording, refused
//! forms, the place of a report) and re-exports each page's entry points,
//! so the module's routes in `lib.rs` name them as `pages::…`.

mod areas;
mod categories;
mod downloads;
mod figures;
mod public;
mod report_handling;
mod reporting;
mod staff_inbox;

pub(crate) use areas::{areas_page, submit_areas};
pub(crate) use categories::{categories_page, submit_category};
pub(crate) use downloads::{export_csv, photo};
pub(crate) use figures::dashboard;
pub(crate) use public::{public_report, registry, subscribe};
pub(crate) use report_handling::{confirm_merge, handling, submit_handling};
pub(crate) use reporting::{PlaceCheck, report_form, submit_report};
pub(crate) use staff_inbox::inbox;

use portico_sdk::records::Document;
use portico_sdk::{Context, Error, Field, FormPost, NoticeLevel, Result, View};

use crate::model::{REPORTS, Report, english};

fn tr(ctx: &Context, en: &'static str, cs: &'static str) -> &'static str {
    if english(ctx) { en } else { cs }
}

/// A field with what was typed and its error, after a refused post.
fn filled(field: Field, name: &str, form: Option<&FormPost>, errors: &[(String, String)]) -> Field {
    let field = match form.and_then(|f| f.get(name)) {
        Some(v) => field.value(v),
        None => field,
    };
    match errors.iter().find(|(f, _)| f == name) {
        Some((_, e)) => field.error(e.clone()),
        None => field,
    }
}

fn refused(
    ctx: &Context,
    view: View,
    errors: &[(String, String)],
    what: (&'static str, &'static str),
) -> View {
    if errors.is_empty() {
        view
    } else {
        view.notice(NoticeLevel::Error, tr(ctx, what.0, what.1))
    }
}

/// Reports on one page of the registry and of the inbox.
const PAGE_SIZE: u32 = 50;

fn place(r: &Report) -> String {
    match (r.address.is_empty(), r.lat, r.long) {
        (false, _, _) => r.address.clone(),
        (true, Some(lat), Some(long)) => format!("{lat:.5}, {long:.5}"),
        _ => String::new(),
    }
}

/// The report `id`; a report that is not there is said so in the
/// reader's language.
fn report(ctx: &Context, id: &str) -> Result<Document<Report>> {
    REPORTS.get::<Report>(id).map_err(|e| match e {
        Error::NotFound(_) => Error::NotFound(
            tr(
                ctx,
                "There is no such report: the number in the address may be mistyped.",
                "Takové hlášení tu není: číslo v adrese je možná zapsáno chybně.",
            )
            .to_owned(),
        ),
        other => other,
    })
}
