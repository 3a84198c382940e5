//! What staff download rather than read as a page: every report as CSV,
//! and a report's photo.

use portico_sdk::{Context, Response, Result};

use crate::model::{self, REPORTS, Report, english, today};

/// Every report as CSV, personal data included: staff only. What people
/// typed is written so that a spreadsheet never runs it as a formula.
pub fn export_csv(ctx: &Context) -> Result<Response> {
    use portico_sdk::csv::{self, Cell};
    let categories = model::categories()?;
    let mut out = csv::Writer::new();
    out.row([
        "number",
        "id",
        "requested",
        "category",
        "status",
        "address",
        "lat",
        "long",
        "unit",
        "handler",
        "deadline",
        "closed",
        "overdue",
        "description",
        "name",
        "email",
        "phone",
        "source",
    ])?;
    let today = today();
    for d in REPORTS
        .find()
        .newest_first()
        .fetch_all::<Report>(model::MOST)?
    {
        let r = d.data;
        out.row([
            Cell::from(&r.number),
            Cell::from(d.id),
            Cell::from(&r.requested),
            Cell::from(model::category_name(&categories, &r.category, english(ctx))),
            Cell::from(r.status.key()),
            Cell::from(&r.address),
            Cell::from(r.lat),
            Cell::from(r.long),
            Cell::from(&r.unit),
            Cell::from(&r.handler),
            Cell::from(&r.deadline),
            Cell::from(&r.closed),
            Cell::from(r.overdue(&today).to_string()),
            Cell::from(&r.description),
            Cell::from(&r.contact.name),
            Cell::from(&r.contact.email),
            Cell::from(&r.contact.phone),
            Cell::from(&r.source),
        ])?;
    }
    out.into_response("complaints.csv")
}

/// A report's photo, for staff.
pub fn photo(id: &str) -> Result<Response> {
    let info = portico_sdk::files::info(id)?;
    let content = portico_sdk::files::read(id)?;
    Ok(Response::new(200)
        .header("content-type", info.media_type)
        .header("cache-control", "private, max-age=3600")
        .body(content))
}
