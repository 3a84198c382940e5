//! A report (Open311's service request): what it holds, where it stands
//! (`Status`), the indexed fields derived from it, the bound on its size,
//! its steps, storing it again, and the open reports near it.

use chrono::DateTime;
use portico_sdk::Result;
use portico_sdk::records::{Document, Filters};
use serde::{Deserialize, Serialize};

use super::dates::{days_between, now};
use super::{MOST, REPORTS, STEPS, number_setting};

/// The most a new report's document may take. The collection takes 64 KiB;
/// after filing only fields of bounded size change (the status, the
/// handler, the copy of the latest public note), so a report filed within
/// this bound always takes its next step.
pub const FILED_MOST_BYTES: usize = 32 * 1024;

/// The most a report's document takes when it is stored again: the copy
/// of the latest public note gives way if it would not fit (the step keeps
/// the whole note).
const STORED_MOST_BYTES: usize = 60 * 1024;

/// One report: Open311's service request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// The number the reporter quotes, e.g. `2026-4F3A9C`.
    pub number: String,
    /// The category's code.
    pub category: String,
    pub description: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub long: Option<f64>,
    /// Answers to the category's questions: (code, value).
    #[serde(default)]
    pub attributes: Vec<(String, String)>,
    #[serde(default)]
    pub media_url: String,
    /// Photos the reporter uploaded (file ids); shown to staff only.
    #[serde(default)]
    pub photos: Vec<String>,
    /// Personal data: never shown in public or in Open311.
    #[serde(default)]
    pub contact: Contact,
    /// The logged-in user who reported it, if anyone.
    #[serde(default)]
    pub reporter: String,
    /// `portal` or `open311`.
    pub source: String,
    pub status: Status,
    /// The unit responsible (from the area it lies in, else the category).
    pub unit: String,
    /// The area it lies in, when the office set areas up.
    #[serde(default)]
    pub area: String,
    /// The official handling it.
    #[serde(default)]
    pub handler: String,
    /// RFC 3339, UTC.
    pub requested: String,
    pub updated: String,
    #[serde(default)]
    pub closed: String,
    /// YYYY-MM-DD: the last day of the legal deadline.
    pub deadline: String,
    #[serde(default)]
    pub reminded: bool,
    #[serde(default)]
    pub escalated: bool,
    /// The report this one was merged into.
    #[serde(default)]
    pub duplicate_of: String,
    /// The text of the latest public step (Open311's `status_notes`).
    #[serde(default)]
    pub note: String,
    /// Addresses told of public steps, as version 0.1.0 kept them inside
    /// the report (unconfirmed). Moved out by `migrate` or at the report's
    /// next change ([`store`]); never written again.
    #[serde(default, rename = "subscribers", skip_serializing_if = "Vec::is_empty")]
    pub earlier_followers: Vec<String>,
    /// Steps as version 0.1.0 kept them inside the report; moved out like
    /// [`Report::earlier_followers`].
    #[serde(default, rename = "updates", skip_serializing_if = "Vec::is_empty")]
    pub earlier_steps: Vec<Step>,
    /// 1 while the report is open, 0 once it is closed: indexed, so that
    /// lists ask the store for open or closed reports (three statuses
    /// each). Derived when the report is stored ([`Report::derive_indexed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<u8>,
    /// When it was reported (`requested`), in seconds since 1970: indexed,
    /// so Open311's dates are a range the store walks. Derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filed: Option<i64>,
    /// Days from the report to its resolution, once resolved: indexed, so
    /// the dashboard's average is a sum the store makes. Derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve_days: Option<f64>,
}

/// The contact a reporter left.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

/// One step in the handling of a report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// The report's id (empty in a step still inside a report of 0.1.0).
    #[serde(default)]
    pub report: String,
    pub at: String,
    pub status: Status,
    pub text: String,
    /// Public updates are shown to everyone and sent to subscribers;
    /// internal notes only to staff.
    pub public: bool,
    #[serde(default)]
    pub by: String,
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    New,
    Acknowledged,
    InProgress,
    Resolved,
    Rejected,
    Duplicate,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::New,
        Status::Acknowledged,
        Status::InProgress,
        Status::Resolved,
        Status::Rejected,
        Status::Duplicate,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::InProgress => "in-progress",
            Status::Resolved => "resolved",
            Status::Rejected => "rejected",
            Status::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.key() == s)
    }

    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::New | Status::Acknowledged | Status::InProgress
        )
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Status::New, true) => "New",
            (Status::New, false) => "Nové",
            (Status::Acknowledged, true) => "Acknowledged",
            (Status::Acknowledged, false) => "Přijato",
            (Status::InProgress, true) => "In progress",
            (Status::InProgress, false) => "Řeší se",
            (Status::Resolved, true) => "Resolved",
            (Status::Resolved, false) => "Vyřešeno",
            (Status::Rejected, true) => "Rejected",
            (Status::Rejected, false) => "Zamítnuto",
            (Status::Duplicate, true) => "Duplicate",
            (Status::Duplicate, false) => "Duplicitní",
        }
    }
}

impl Report {
    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    pub fn overdue(&self, today: &str) -> bool {
        self.is_open() && self.deadline.as_str() < today
    }

    /// The latest public note, Open311's `status_notes`.
    pub fn public_note(&self) -> Option<&str> {
        if !self.note.is_empty() {
            return Some(&self.note);
        }
        self.earlier_steps
            .iter()
            .rev()
            .find(|u| u.public && !u.text.is_empty())
            .map(|u| u.text.as_str())
    }

    /// Whether it still holds what version 0.1.0 kept inside a report.
    pub fn has_earlier(&self) -> bool {
        !self.earlier_followers.is_empty() || !self.earlier_steps.is_empty()
    }

    /// Fills in the indexed fields that repeat the others in a form the
    /// store filters, sorts and sums: `open`, `filed`, `resolve_days`.
    pub fn derive_indexed(&mut self) {
        self.open = Some(u8::from(self.is_open()));
        self.filed = DateTime::parse_from_rfc3339(&self.requested)
            .ok()
            .map(|t| t.timestamp());
        self.resolve_days = if self.status == Status::Resolved {
            days_between(&self.requested, &self.closed)
        } else {
            None
        };
    }

    /// Whether its indexed fields are missing or out of date: a report
    /// stored by version 0.2.0 or earlier.
    pub fn needs_deriving(&self) -> bool {
        let mut derived = self.clone();
        derived.derive_indexed();
        (derived.open, derived.filed, derived.resolve_days)
            != (self.open, self.filed, self.resolve_days)
    }

    /// What the notification templates are given: nothing personal. `id`
    /// is the report's, for the link to its page; `en` the language the
    /// recipient is written in (`lang`, which the host picks the template
    /// by). The status and the note are there in both languages (a note a
    /// handler typed is the same in both), so whichever template the host
    /// picks reads in its own.
    pub fn template_data(
        &self,
        id: &str,
        (category_en, category_cs): (&str, &str),
        en: bool,
        (note_en, note_cs): (&str, &str),
    ) -> serde_json::Value {
        serde_json::json!({
            "lang": if en { "en" } else { "cs" },
            "number": self.number,
            "category_en": category_en,
            "category_cs": category_cs,
            "description": self.description,
            "address": self.address,
            "unit": self.unit,
            "handler": if self.handler.is_empty() { "-" } else { &self.handler },
            "deadline": self.deadline,
            "status_en": self.status.label(true),
            "status_cs": self.status.label(false),
            "note_en": note_en,
            "note_cs": note_cs,
            "report_path": format!("/reports/{}", portico_sdk::segment(id)),
            "handle_path": format!("/handle/{}", portico_sdk::segment(id)),
        })
    }

    /// Shortens the copy of the latest note until the document is within
    /// [`STORED_MOST_BYTES`].
    fn keep_within_bound(&mut self) {
        let mut shortened = false;
        while json_bytes(self) > STORED_MOST_BYTES && !self.note.is_empty() {
            let keep = self.note.chars().count() / 2;
            self.note = self.note.chars().take(keep).collect();
            shortened = true;
        }
        if shortened && self.note.pop().is_some() {
            self.note.push('…');
        }
    }
}

/// How many bytes a document takes stored (as the SDK sends it).
pub(super) fn json_bytes<T: Serialize>(data: &T) -> usize {
    serde_json::to_string(data).map_or(usize::MAX, |s| s.len())
}

/// Records a step of the report `id`: the step is a document of its own.
/// A status that closes the report dates its closing; a public step's
/// text becomes the report's note. Store the report afterwards ([`store`]).
pub fn record_step(
    id: &str,
    report: &mut Report,
    status: Status,
    text: String,
    public: bool,
    by: &str,
) -> Result<()> {
    // The report's earlier steps go first, so its history keeps its order.
    crate::followers::settle(id, report)?;
    let at = now();
    if report.is_open() && !status.is_open() {
        report.closed = at.clone();
    }
    if !report.is_open() && status.is_open() {
        report.closed.clear();
    }
    report.status = status;
    report.updated = at.clone();
    if public && !text.is_empty() {
        report.note = text.clone();
    }
    STEPS.insert(&Step {
        report: id.to_owned(),
        at,
        status,
        text,
        public,
        by: by.to_owned(),
    })?;
    Ok(())
}

/// Stores a changed report: what version 0.1.0 kept inside it is moved
/// out first, and the document stays within its bound.
pub fn store(id: &str, version: u64, report: &mut Report) -> Result<Document<Report>> {
    crate::followers::settle(id, report)?;
    report.derive_indexed();
    report.keep_within_bound();
    REPORTS.update(id, version, &*report)
}

/// The steps of the report `id`, oldest first.
pub fn steps(id: &str, report: &Report) -> Result<Vec<Step>> {
    let mut all = report.earlier_steps.clone();
    all.extend(
        STEPS
            .find()
            .eq("report", id)
            .fetch_all::<Step>(MOST)?
            .into_iter()
            .map(|d| d.data),
    );
    Ok(all)
}

/// Open reports of the same category near `report`, nearest first.
pub fn near_duplicates(id: &str, report: &Report) -> Result<Vec<(Document<Report>, f64)>> {
    let (Some(lat), Some(long)) = (report.lat, report.long) else {
        return Ok(Vec::new());
    };
    let radius = number_setting("duplicate-metres", 50.0)?;
    let mut near: Vec<(Document<Report>, f64)> = REPORTS
        .find()
        .eq("category", &report.category)
        .eq("open", 1)
        .fetch_all::<Report>(MOST)?
        .into_iter()
        .filter(|d| d.id != id && d.data.is_open())
        .filter_map(|d| {
            let m = portico_sdk::addresses::metres((lat, long), (d.data.lat?, d.data.long?));
            (m <= radius).then_some((d, m))
        })
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1));
    Ok(near)
}
