//! What staff download rather than read as a page: a file attached to a
//! submission, and submissions as CSV.

use portico_sdk::records::Filters;
use portico_sdk::{Response, Result, csv, files};
use serde_json::Value;

use super::shown;
use crate::model::{self, SUBMISSIONS, Submission};

/// A file attached to a submission, for staff.
pub fn file(id: &str) -> Result<Response> {
    let info = files::info(id)?;
    let content = files::read(id)?;
    Ok(Response::new(200)
        .header("content-type", info.media_type)
        .header(
            "content-disposition",
            format!(
                "attachment; filename=\"{}\"",
                info.name.replace(['"', '\\', '\r', '\n'], "_")
            ),
        )
        .header("cache-control", "private, no-store")
        .body(content))
}

/// Submissions as CSV; with `?form=`, one column per field of that form.
/// Numbers answered or calculated stay numbers; what people typed is
/// written so that a spreadsheet never runs it as a formula.
pub fn export_csv(req: &portico_sdk::Request) -> Result<Response> {
    let code = req.query("form").filter(|c| !c.is_empty());
    let mut find = SUBMISSIONS.find().newest_first();
    if let Some(c) = code {
        find = find.eq("form", c);
    }
    let fields: Vec<(String, String)> = match code {
        Some(c) => model::form(c, None)?
            .1
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.title.clone()))
            .collect(),
        None => Vec::new(),
    };
    let mut out = csv::Writer::new();
    let mut header: Vec<String> = [
        "number",
        "form",
        "version",
        "status",
        "submitted",
        "updated",
        "from",
        "handler",
        "email",
        "phone",
    ]
    .map(str::to_owned)
    .to_vec();
    if fields.is_empty() {
        header.push("answers".into());
    }
    header.extend(fields.iter().map(|(_, t)| t.clone()));
    out.row(&header)?;
    for d in find.fetch_all::<Submission>(model::MOST)? {
        let s = d.data;
        let mut row = vec![
            csv::Cell::from(&s.number),
            csv::Cell::from(&s.form),
            csv::Cell::from(s.version),
            csv::Cell::from(s.status.key()),
            csv::Cell::from(&s.submitted),
            csv::Cell::from(&s.updated),
            csv::Cell::from(&s.user_name),
            csv::Cell::from(&s.handler),
            csv::Cell::from(&s.email),
            csv::Cell::from(&s.phone),
        ];
        if fields.is_empty() {
            row.push(Value::Object(s.answers.clone()).to_string().into());
        }
        for (name, _) in &fields {
            row.push(match s.answers.get(name) {
                Some(Value::Number(n)) => match n.as_i64() {
                    Some(i) => i.into(),
                    None => n.as_f64().into(),
                },
                Some(v) => shown(None, name, v).into(),
                None => csv::Cell::empty(),
            });
        }
        out.row(row)?;
    }
    out.into_response("submissions.csv")
}
