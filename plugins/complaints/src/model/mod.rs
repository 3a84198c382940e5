//! What the module stores: categories (Open311's services), reports
//! (service requests) and the steps of their handling, and the rules they
//! follow. A report's steps and followers are documents of their own, so
//! what a report document holds is bounded when it is filed: recording a
//! step never fails because the report is full.
//!
//! `catalogue.rs` holds the categories and their extra questions;
//! `areas.rs` the areas whose units deal with what is reported inside them;
//! `report.rs` a report, its states, its steps and its bound; `filing.rs`
//! the checks of a new report and its filing; `dates.rs` the dates that
//! deadlines are counted in. This file holds the collections and what all
//! of them read, and re-exports what the rest of the crate names as
//! `model::…`.

mod areas;
mod catalogue;
mod dates;
mod filing;
mod report;

pub(crate) use areas::{
    area_at, areas, named as area_named, parse as parse_areas, replace as replace_areas,
};
pub(crate) use catalogue::{
    Attribute, Category, DATATYPES, categories, category, category_name, category_names,
};
pub(crate) use dates::{date_after, date_before, now, today};
pub(crate) use filing::{Draft, PHONE_PATTERN, file, is_email, tell};
pub(crate) use report::{Contact, Report, Status, near_duplicates, record_step, steps, store};

use portico_sdk::records::Collection;
use portico_sdk::{Context, Result, settings};

pub const CATEGORIES: Collection = Collection::new("categories");
pub const REPORTS: Collection = Collection::new("reports");
pub const STEPS: Collection = Collection::new("steps");

/// The most documents a list or figure is built from.
pub const MOST: usize = 10_000;

/// Whether the caller reads English (everything else gets Czech).
pub fn english(ctx: &Context) -> bool {
    ctx.locale().starts_with("en")
}

/// A number setting, or its default.
pub fn number_setting(key: &str, default: f64) -> Result<f64> {
    Ok(settings::get(key)?
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|n| n.is_finite() && *n >= 0.0)
        .unwrap_or(default))
}
