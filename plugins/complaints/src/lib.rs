//! Complaints and service requests (like FixMyStreet): citizens report a
//! problem with a place and a description, the unit responsible for its
//! category handles it within the category's legal deadline, and every
//! public step reaches the people who confirmed they follow the report
//! (`followers`). The registry is public without personal data, as pages
//! and through the Open311 GeoReport v2 API (`open311`).

mod followers;
mod model;
mod open311;
mod pages;

use model::{CATEGORIES, Category, REPORTS, Report, Status, english, today};
use portico_sdk::notify::{self, To};
use portico_sdk::records::Filters;
use portico_sdk::{Context, Error, FormPost, Module, Outcome, Page, Request, Response, Result};
use portico_sdk::{audit, log, settings};

struct Complaints;

impl Module for Complaints {
    const ID: &'static str = "complaints";
    const NAME: &'static str = "Complaints and service requests";

    fn render(ctx: &Context, page: &Page) -> Result<portico_sdk::View> {
        let id = page.param("id").unwrap_or_default();
        match page.pattern() {
            "/" => pages::registry(ctx, page),
            "/report" => pages::report_form(
                ctx,
                page.query("category"),
                None,
                &[],
                &pages::PlaceCheck::default(),
            ),
            "/reports/{id}" => pages::public_report(ctx, id, None),
            "/dashboard" => pages::dashboard(ctx),
            "/handle" => pages::inbox(ctx, page),
            "/handle/{id}" => match page.query("merge") {
                Some(other) => {
                    pages::confirm_merge(ctx, id, other, page.query("keep").unwrap_or("older"))
                }
                None => pages::handling(ctx, id, None),
            },
            "/categories" => pages::categories_page(ctx, page.query("code"), None, &[]),
            "/areas" => pages::areas_page(ctx, None),
            "/follow/{token}" => {
                followers::confirm_page(ctx, page.param("token").unwrap_or_default())
            }
            "/unfollow/{token}" => {
                followers::unfollow_page(ctx, page.param("token").unwrap_or_default())
            }
            other => Err(Error::not_found(format!("no page {other}"))),
        }
    }

    fn submit(ctx: &Context, form: &FormPost) -> Result<Outcome> {
        let id = form.param("id").unwrap_or_default();
        match form.pattern() {
            "/report" => pages::submit_report(ctx, form),
            "/reports/{id}" => pages::subscribe(ctx, id, form),
            "/handle/{id}" => pages::submit_handling(ctx, id, form),
            "/categories" => pages::submit_category(ctx, form),
            "/areas" => pages::submit_areas(ctx, form),
            "/follow/{token}" => followers::confirm(ctx, form.param("token").unwrap_or_default()),
            "/unfollow/{token}" => {
                followers::unfollow(ctx, form.param("token").unwrap_or_default())
            }
            other => Err(Error::not_found(format!("no form at {other}"))),
        }
    }

    fn handle(ctx: &Context, req: &Request) -> Result<Response> {
        match req.pattern() {
            "/export.csv" => pages::export_csv(ctx),
            "/photos/{id}" => pages::photo(req.param("id").unwrap_or_default()),
            _ => Ok(open311::handle(ctx, req)),
        }
    }

    fn run_job(ctx: &Context, job: &str) -> Result<()> {
        match job {
            "deadlines" => deadlines(ctx),
            "follow-requests" => followers::forget_lapsed(),
            other => Err(Error::not_found(format!("no job {other}"))),
        }
    }

    /// Version 0.1.0 kept a report's followers and steps inside the
    /// report, where requests to follow could fill it: they move to their
    /// own collections (`followers::settle`). A report not moved here (a
    /// module folder replaced by hand, without an upgrade) is moved at its
    /// next change, and read in both shapes until then.
    ///
    /// Version 0.3.0 indexes `open`, `filed` and `resolve_days`: the host
    /// fills an index when a document is written, so every report stored
    /// before is written again with them. Until then a report is left out
    /// of the lists of open or closed reports, Open311's answers, the
    /// average time to resolve and the morning's reminders, and the chart
    /// by category counts it closed; the other figures count statuses,
    /// which every version indexed.
    fn migrate(_ctx: &Context, _from_version: &str) -> Result<()> {
        for page in REPORTS.find().limit(100).pages::<Report>() {
            for doc in page? {
                if doc.data.has_earlier() || doc.data.needs_deriving() {
                    let mut report = doc.data;
                    model::store(&doc.id, doc.version, &mut report)?;
                }
            }
        }
        Ok(())
    }
}

/// How many days past its deadline the morning job still escalates a
/// report it has not escalated yet.
const ESCALATE_DAYS: u64 = 30;

/// The morning job: the unit of every open report whose deadline is
/// `reminder-days` away or nearer is reminded once; every open report past
/// its deadline is escalated once (the `escalation-email` is told, the
/// report gets an internal note, the audit trail an entry).
fn deadlines(ctx: &Context) -> Result<()> {
    let today = today();
    let ahead = model::number_setting("reminder-days", 5.0)? as u64;
    let horizon = model::date_after(&today, ahead);
    let escalate_to = settings::get("escalation-email")?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let categories = model::categories()?;
    let en = english(ctx);
    // Page by page through every open report due within the window: a
    // city's years of reports hold thousands overdue since long ago, dealt
    // with when they were. A report further past its deadline when the
    // job first meets it (imported, or the portal was off for longer)
    // shows overdue in the inbox, unannounced.
    let areas = model::areas()?;
    let since = model::date_before(&today, ESCALATE_DAYS);
    let (mut reminded, mut escalated) = (0, 0);
    let due = REPORTS
        .find()
        .eq("open", 1)
        .ge("deadline", &since)
        .le("deadline", &horizon)
        .sort("deadline")
        .limit(200);
    for page in due.pages::<Report>() {
        for doc in page?.into_iter().filter(|d| d.data.is_open()) {
            let mut report = doc.data.clone();
            let category = categories.iter().find(|c| c.code == report.category);
            let area = model::area_named(&areas, &report.area);
            let names = model::category_names(&categories, &report.category);
            let data = report.template_data(&doc.id, (&names.0, &names.1), en, ("", ""));
            let mut changed = false;
            if !report.reminded {
                // The area's unit's mailbox, else the category's.
                let mailbox = area
                    .map(|a| a.email.trim())
                    .filter(|m| !m.is_empty())
                    .or_else(|| category.map(|c| c.email.trim()))
                    .filter(|m| !m.is_empty());
                if let Some(mailbox) = mailbox {
                    notify::send(To::Email(mailbox), "deadline-reminder", &data)?;
                }
                report.reminded = true;
                reminded += 1;
                changed = true;
            }
            if report.overdue(&today) && !report.escalated {
                if let Some(to) = &escalate_to {
                    notify::send(To::Email(to), "deadline-passed", &data)?;
                }
                report.escalated = true;
                let status = report.status;
                let note = format!(
                    "{} {}",
                    if en {
                        "Escalated: the deadline passed on"
                    } else {
                        "Eskalováno: lhůta uplynula"
                    },
                    report.deadline
                );
                model::record_step(&doc.id, &mut report, status, note, false, "")?;
                audit::append(
                    "complaint.escalate",
                    &format!("reports/{}", doc.id),
                    &serde_json::json!({ "number": report.number, "deadline": report.deadline }),
                )?;
                escalated += 1;
                changed = true;
            }
            if changed {
                model::store(&doc.id, doc.version, &mut report)?;
            }
        }
    }
    log::info(format!(
        "deadlines: {reminded} reminder(s), {escalated} escalation(s)"
    ));
    Ok(())
}

/// Checks a category typed by a manager; the errors name the fields.
fn check_category(
    fields: &dyn Fn(&str) -> String,
    en: bool,
) -> std::result::Result<Category, Vec<(&'static str, String)>> {
    let t = |e: &str, c: &str| if en { e } else { c }.to_owned();
    let mut errors = Vec::new();
    let code = fields("code");
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        errors.push((
            "code",
            t(
                "Use 1 to 40 letters, digits, `-` or `_` (Open311's service code).",
                "Použijte 1 až 40 písmen, číslic, `-` nebo `_` (kód služby Open311).",
            ),
        ));
    }
    for name in ["name", "unit"] {
        if fields(name).is_empty() {
            errors.push((name, t("Fill this in.", "Vyplňte prosím.")));
        }
    }
    let deadline_days = match fields("deadline_days").parse::<u32>() {
        Ok(n) if (1..=365).contains(&n) => n,
        _ => {
            errors.push((
                "deadline_days",
                t(
                    "Give a whole number of days from 1 to 365.",
                    "Zadejte celý počet dní od 1 do 365.",
                ),
            ));
            0
        }
    };
    let email = fields("email");
    if !email.is_empty() && !model::is_email(&email) {
        errors.push((
            "email",
            t(
                "Give an e-mail address such as odbor@example.cz.",
                "Zadejte e-mail ve tvaru odbor@example.cz.",
            ),
        ));
    }
    let attributes = match parse_attributes(&fields("attributes"), en) {
        Ok(a) => a,
        Err(e) => {
            errors.push(("attributes", e));
            Vec::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Category {
        code,
        name: fields("name"),
        name_en: fields("name_en"),
        description: fields("description"),
        group: fields("group"),
        keywords: fields("keywords"),
        unit: fields("unit"),
        email,
        deadline_days,
        attributes,
    })
}

/// The extra questions of a category, one per line:
/// `code | question | datatype | required | key=name; key=name`.
fn parse_attributes(text: &str, en: bool) -> std::result::Result<Vec<model::Attribute>, String> {
    let mut out: Vec<model::Attribute> = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = if en {
            format!("Line {}", i + 1)
        } else {
            format!("Řádek {}", i + 1)
        };
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        if parts.len() < 4 || parts.len() > 5 {
            return Err(format!(
                "{at}: {}",
                if en {
                    "write `code | question | datatype | required | key=name; key=name`."
                } else {
                    "pište `kód | otázka | typ | povinná | klíč=název; klíč=název`."
                }
            ));
        }
        let code = parts[0].to_owned();
        if code.is_empty()
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "{at}: `{code}` {}",
                if en {
                    "is not a code (letters, digits, `-`, `_`)."
                } else {
                    "není kód (písmena, číslice, `-`, `_`)."
                }
            ));
        }
        if out.iter().any(|a| a.code == code) {
            return Err(format!(
                "{at}: `{code}` {}",
                if en {
                    "is there twice."
                } else {
                    "je tu dvakrát."
                }
            ));
        }
        if !model::DATATYPES.contains(&parts[2]) {
            return Err(format!(
                "{at}: `{}` {} {}.",
                parts[2],
                if en {
                    "is not a datatype; use one of"
                } else {
                    "není typ; použijte"
                },
                model::DATATYPES.join(", ")
            ));
        }
        let required = match parts[3] {
            "required" | "yes" | "true" | "ano" => true,
            "optional" | "no" | "false" | "ne" => false,
            other => {
                return Err(format!(
                    "{at}: `{other}` {}",
                    if en {
                        "should be `required` or `optional`."
                    } else {
                        "má být `required` nebo `optional`."
                    }
                ));
            }
        };
        let values: Vec<(String, String)> = parts
            .get(4)
            .map(|v| {
                v.split(';')
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| match p.split_once('=') {
                        Some((k, n)) => (k.trim().to_owned(), n.trim().to_owned()),
                        None => (p.trim().to_owned(), p.trim().to_owned()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let list = parts[2].ends_with("valuelist");
        if list && values.is_empty() {
            return Err(format!(
                "{at}: {}",
                if en {
                    "a list needs its answers: `key=name; key=name`."
                } else {
                    "seznam potřebuje odpovědi: `klíč=název; klíč=název`."
                }
            ));
        }
        if !list && !values.is_empty() {
            return Err(format!(
                "{at}: {}",
                if en {
                    "only a list has answers to choose from."
                } else {
                    "odpovědi na výběr má jen seznam."
                }
            ));
        }
        out.push(model::Attribute {
            code,
            description: parts[1].to_owned(),
            datatype: parts[2].to_owned(),
            required,
            values,
        });
    }
    Ok(out)
}

/// The attribute lines of a stored category, as the form shows them.
fn attribute_lines(attributes: &[model::Attribute]) -> String {
    attributes
        .iter()
        .map(|a| {
            let mut line = format!(
                "{} | {} | {} | {}",
                a.code,
                a.description,
                a.datatype,
                if a.required { "required" } else { "optional" }
            );
            if !a.values.is_empty() {
                let values: Vec<String> =
                    a.values.iter().map(|(k, n)| format!("{k}={n}")).collect();
                line.push_str(" | ");
                line.push_str(&values.join("; "));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Stores a category: a new one, or the one with its code replaced.
fn save_category(category: &Category) -> Result<()> {
    match model::category(&category.code) {
        Ok(doc) => {
            CATEGORIES.update(&doc.id, doc.version, category)?;
        }
        Err(Error::NotFound(_)) => {
            CATEGORIES.insert(category)?;
        }
        Err(e) => return Err(e),
    }
    audit::append(
        "complaint.category",
        &format!("categories/{}", category.code),
        &serde_json::json!({ "code": category.code, "deadline_days": category.deadline_days }),
    )
}

/// The status a handler may pick.
fn status_choices(en: bool) -> Vec<(&'static str, &'static str)> {
    Status::ALL
        .into_iter()
        .filter(|s| *s != Status::Duplicate)
        .map(|s| (s.key(), s.label(en)))
        .collect()
}

portico_sdk::export!(Complaints);
