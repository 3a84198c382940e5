//! What the module stores: categories (Open311's services), reports
//! (service requests) and the steps of their handling, and the rules they
//! follow. A report's steps and followers are documents of their own, so
//! what a report document holds is bounded when it is filed: recording a
//! step never fails because the report is full.

use chrono::{DateTime, Days, NaiveDate, SecondsFormat, Utc};
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{Context, Error, Result, settings};
use serde::{Deserialize, Serialize};

pub const CATEGORIES: Collection = Collection::new("categories");
pub const REPORTS: Collection = Collection::new("reports");
pub const STEPS: Collection = Collection::new("steps");

/// The most a new report's document may take. The collection takes 64 KiB;
/// after filing only fields of bounded size change (the status, the
/// handler, the copy of the latest public note), so a report filed within
/// this bound always takes its next step.
pub const FILED_MOST_BYTES: usize = 32 * 1024;

/// The most a report's document takes when it is stored again: the copy
/// of the latest public note gives way if it would not fit (the step keeps
/// the whole note).
const STORED_MOST_BYTES: usize = 60 * 1024;

/// A category of reports: Open311's service.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Category {
    /// Open311's `service_code`, e.g. `pothole`.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Open311's `group`, e.g. `Roads`.
    #[serde(default)]
    pub group: String,
    /// Open311's `keywords`, comma separated.
    #[serde(default)]
    pub keywords: String,
    /// The unit that handles reports of this category.
    pub unit: String,
    /// The unit's mailbox: reminders of near deadlines go there.
    #[serde(default)]
    pub email: String,
    /// The legal deadline, in days from the report.
    pub deadline_days: u32,
    /// Extra questions asked of every report of this category.
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

/// An extra question of a category (Open311's attribute).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attribute {
    pub code: String,
    pub description: String,
    /// `string`, `number`, `datetime`, `text`, `singlevaluelist` or `multivaluelist`.
    pub datatype: String,
    pub required: bool,
    /// The allowed answers of a list: (key, name).
    #[serde(default)]
    pub values: Vec<(String, String)>,
}

pub const DATATYPES: [&str; 6] = [
    "string",
    "number",
    "datetime",
    "text",
    "singlevaluelist",
    "multivaluelist",
];

impl Attribute {
    fn is_list(&self) -> bool {
        self.datatype.ends_with("valuelist")
    }

    /// Checks one answer; `None` when it is fine.
    pub fn check(&self, values: &[String], en: bool) -> Option<String> {
        let values: Vec<&str> = values
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        let t = |e: &str, c: &str| Some(if en { e } else { c }.to_owned());
        if values.is_empty() {
            return if self.required {
                t("Answer this question.", "Odpovězte prosím.")
            } else {
                None
            };
        }
        if values.len() > 1 && self.datatype != "multivaluelist" {
            return t("Give one answer only.", "Uveďte jen jednu odpověď.");
        }
        for v in &values {
            let wrong = match self.datatype.as_str() {
                "number" => v.parse::<f64>().map_or(true, |n| !n.is_finite()),
                "datetime" => DateTime::parse_from_rfc3339(v).is_err() && parse_date(v).is_none(),
                _ if self.is_list() => !self.values.iter().any(|(k, _)| k == v),
                _ => v.chars().count() > 2000,
            };
            if wrong {
                let keys: Vec<&str> = self.values.iter().map(|(k, _)| k.as_str()).collect();
                return match self.datatype.as_str() {
                    "number" => t("Give a number.", "Zadejte číslo."),
                    "datetime" => t(
                        "Give a date (YYYY-MM-DD) or a date and time.",
                        "Zadejte datum (RRRR-MM-DD) nebo datum a čas.",
                    ),
                    _ if self.is_list() => Some(format!(
                        "{} `{v}`: {} {}.",
                        if en {
                            "There is no answer"
                        } else {
                            "Odpověď"
                        },
                        if en {
                            "choose one of"
                        } else {
                            "není na výběr; zvolte"
                        },
                        keys.join(", ")
                    )),
                    _ => t(
                        "Use at most 2000 characters.",
                        "Použijte nejvýše 2000 znaků.",
                    ),
                };
            }
        }
        None
    }
}

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
    /// The unit responsible (from the category).
    pub unit: String,
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
    /// is the report's, for the link to its page.
    pub fn template_data(
        &self,
        id: &str,
        category: &str,
        en: bool,
        note: &str,
    ) -> serde_json::Value {
        serde_json::json!({
            "en": en,
            "number": self.number,
            "category": category,
            "description": self.description,
            "address": self.address,
            "unit": self.unit,
            "handler": if self.handler.is_empty() { "-" } else { &self.handler },
            "deadline": self.deadline,
            "status": self.status.label(en),
            "note": note,
            "report_path": format!("/reports/{}", portico_sdk::segment(id)),
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
fn json_bytes<T: Serialize>(data: &T) -> usize {
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

/// Whether the caller reads English (everything else gets Czech).
pub fn english(ctx: &Context) -> bool {
    ctx.locale().starts_with("en")
}

/// Now, RFC 3339 in UTC to the second.
pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Today, YYYY-MM-DD (UTC).
pub fn today() -> String {
    Utc::now().date_naive().to_string()
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The date `days` after `date` (YYYY-MM-DD).
pub fn date_after(date: &str, days: u64) -> String {
    parse_date(date)
        .and_then(|d| d.checked_add_days(Days::new(days)))
        .map_or_else(|| date.to_owned(), |d| d.to_string())
}

/// The date `days` before `date` (both YYYY-MM-DD); `date` when it cannot be read.
pub fn date_before(date: &str, days: u64) -> String {
    parse_date(date)
        .and_then(|d| d.checked_sub_days(Days::new(days)))
        .map_or_else(|| date.to_owned(), |d| d.to_string())
}

/// Whole days from `from` to `to` (RFC 3339).
pub fn days_between(from: &str, to: &str) -> Option<f64> {
    let a = DateTime::parse_from_rfc3339(from).ok()?;
    let b = DateTime::parse_from_rfc3339(to).ok()?;
    Some((b - a).num_seconds() as f64 / 86_400.0)
}

/// A number setting, or its default.
pub fn number_setting(key: &str, default: f64) -> Result<f64> {
    Ok(settings::get(key)?
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|n| n.is_finite() && *n >= 0.0)
        .unwrap_or(default))
}

/// The most documents a list or figure is built from.
pub const MOST: usize = 10_000;

pub fn categories() -> Result<Vec<Category>> {
    let mut all: Vec<Category> = CATEGORIES
        .find()
        .sort("code")
        .fetch_all(MOST)?
        .into_iter()
        .map(|d| d.data)
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

pub fn category(code: &str) -> Result<Document<Category>> {
    CATEGORIES
        .find()
        .eq("code", code)
        .limit(1)
        .fetch::<Category>()?
        .documents
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(format!("no category `{code}`")))
}

/// The category's name, or its code when it is gone.
pub fn category_name(all: &[Category], code: &str) -> String {
    all.iter()
        .find(|c| c.code == code)
        .map_or_else(|| code.to_owned(), |c| c.name.clone())
}

/// A new report's number: the year and six characters of its random part.
pub fn new_number() -> String {
    let mut bytes = [0u8; 3];
    // WASI's random, which the host seeds from its own.
    getrandom::fill(&mut bytes).unwrap_or_default();
    format!(
        "{}-{:02X}{:02X}{:02X}",
        &today()[..4],
        bytes[0],
        bytes[1],
        bytes[2]
    )
}

/// Distance in metres between two WGS 84 points (haversine).
pub fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
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
            let m = metres((lat, long), (d.data.lat?, d.data.long?));
            (m <= radius).then_some((d, m))
        })
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1));
    Ok(near)
}

/// Problems with input: (field, message).
pub type FieldProblems = Vec<(&'static str, String)>;

/// Checks a place: coordinates within range, or an address.
pub fn check_place(
    address: &str,
    lat: &str,
    long: &str,
    en: bool,
) -> (Option<(f64, f64)>, FieldProblems) {
    let mut errors = Vec::new();
    let t = |e: &str, c: &str| if en { e } else { c }.to_owned();
    let coordinate = |v: &str, max: f64| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && n.abs() <= max)
    };
    let point = match (lat.trim().is_empty(), long.trim().is_empty()) {
        (true, true) => None,
        _ => {
            let (a, b) = (coordinate(lat, 90.0), coordinate(long, 180.0));
            if a.is_none() {
                errors.push((
                    "lat",
                    t(
                        "Give a latitude from -90 to 90.",
                        "Zadejte zeměpisnou šířku od -90 do 90.",
                    ),
                ));
            }
            if b.is_none() {
                errors.push((
                    "long",
                    t(
                        "Give a longitude from -180 to 180.",
                        "Zadejte zeměpisnou délku od -180 do 180.",
                    ),
                ));
            }
            a.zip(b)
        }
    };
    if point.is_none() && errors.is_empty() && address.trim().is_empty() {
        errors.push((
            "address",
            t(
                "Say where it is: an address, or the coordinates.",
                "Uveďte, kde to je: adresu, nebo souřadnice.",
            ),
        ));
    }
    if address.chars().count() > 300 {
        errors.push((
            "address",
            t("Use at most 300 characters.", "Použijte nejvýše 300 znaků."),
        ));
    }
    (point, errors)
}

/// Checks a contact e-mail address, loosely, but so that a mail server
/// takes it: one `@`, at most 64 characters before it, a domain of labels
/// of 1 to 63 characters with a dot, 254 characters in all.
pub fn is_email(s: &str) -> bool {
    let s = s.trim();
    match s.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && user.len() <= 64
                && domain.contains('.')
                && domain.split('.').all(|l| (1..=63).contains(&l.len()))
                && !s.contains(char::is_whitespace)
                && s.len() <= 254
        }
        None => false,
    }
}

/// How long photos are kept: as long as the registry keeps its reports.
const PHOTO_YEARS: u32 = 5;

/// What the phone field takes: digits, spaces, `+`, `-`, brackets; 6 to
/// 20 characters. The form gives browsers the same as a pattern.
pub const PHONE_PATTERN: &str = r"[+0-9 \(\)\-]{6,20}";

pub fn is_phone(s: &str) -> bool {
    let s = s.trim();
    (6..=20).contains(&s.chars().count())
        && s.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
        && s.chars().filter(char::is_ascii_digit).count() >= 6
}

/// A new report of `category`, checked; the errors name the fields.
pub struct Draft<'a> {
    pub category: &'a Category,
    pub description: String,
    pub address: String,
    pub lat: String,
    pub long: String,
    pub attributes: Vec<(String, Vec<String>)>,
    pub contact: Contact,
    pub media_url: String,
    /// A photo: (file name, content).
    pub photo: Option<(&'a str, &'a [u8])>,
}

/// The most a photo may hold.
pub const MAX_PHOTO_BYTES: usize = 5 << 20;

/// The media type of a photo, told by its first bytes (a browser's word
/// is not enough): JPEG, PNG or WebP.
pub fn photo_type(content: &[u8]) -> Option<&'static str> {
    match content {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some("image/png"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("image/webp"),
        _ => None,
    }
}

impl Draft<'_> {
    /// The report, or the problems: (field, message). Attribute fields are
    /// named `attribute[CODE]`, as Open311 names them.
    pub fn check(
        self,
        reporter: &str,
        source: &str,
        en: bool,
    ) -> std::result::Result<Report, Vec<(String, String)>> {
        let t = |e: &str, c: &str| if en { e } else { c }.to_owned();
        let mut errors: Vec<(String, String)> = Vec::new();
        let description = self.description.trim().to_owned();
        if description.is_empty() {
            errors.push((
                "description".into(),
                t("Describe the problem.", "Popište problém."),
            ));
        } else if description.chars().count() > 4000 {
            errors.push((
                "description".into(),
                t(
                    "Use at most 4000 characters.",
                    "Použijte nejvýše 4000 znaků.",
                ),
            ));
        }
        let (point, place) = check_place(&self.address, &self.lat, &self.long, en);
        errors.extend(place.into_iter().map(|(f, m)| (f.to_owned(), m)));
        let mut answers = Vec::new();
        for a in &self.category.attributes {
            let given: Vec<String> = self
                .attributes
                .iter()
                .filter(|(code, _)| *code == a.code)
                .flat_map(|(_, v)| v.clone())
                .collect();
            if let Some(problem) = a.check(&given, en) {
                errors.push((format!("attribute[{}]", a.code), problem));
            }
            for v in given.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
                answers.push((a.code.clone(), v.to_owned()));
            }
        }
        for (code, _) in &self.attributes {
            if !self.category.attributes.iter().any(|a| &a.code == code) {
                errors.push((
                    format!("attribute[{code}]"),
                    format!(
                        "{} `{}`",
                        t(
                            "There is no such question in category",
                            "Taková otázka v kategorii není:"
                        ),
                        self.category.code
                    ),
                ));
            }
        }
        let email = self.contact.email.trim().to_owned();
        if !email.is_empty() && !is_email(&email) {
            errors.push((
                "email".into(),
                t(
                    "Give an e-mail address such as jana@example.cz.",
                    "Zadejte e-mail ve tvaru jana@example.cz.",
                ),
            ));
        }
        if self.contact.name.chars().count() > 200 {
            errors.push((
                "name".into(),
                t("Use at most 200 characters.", "Použijte nejvýše 200 znaků."),
            ));
        }
        if !self.contact.phone.trim().is_empty() && !is_phone(&self.contact.phone) {
            errors.push((
                "phone".into(),
                t(
                    "Give a phone number such as +420 601 234 567.",
                    "Zadejte telefon ve tvaru +420 601 234 567.",
                ),
            ));
        }
        let media_url = self.media_url.trim().to_owned();
        if !media_url.is_empty()
            && !media_url.starts_with("https://")
            && !media_url.starts_with("http://")
        {
            errors.push((
                "media_url".into(),
                t("Give an http(s) address.", "Zadejte adresu http(s)."),
            ));
        }
        if let Some((_, content)) = self.photo {
            match photo_type(content) {
                _ if content.len() > MAX_PHOTO_BYTES => errors.push((
                    "photo".into(),
                    t(
                        "The photo is larger than 5 MB; send a smaller one.",
                        "Fotografie je větší než 5 MB; pošlete menší.",
                    ),
                )),
                None => errors.push((
                    "photo".into(),
                    t(
                        "Send a photo as JPEG, PNG or WebP.",
                        "Pošlete fotografii jako JPEG, PNG nebo WebP.",
                    ),
                )),
                Some(_) => {}
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let at = now();
        let deadline = date_after(&today(), u64::from(self.category.deadline_days));
        let report = Report {
            number: new_number(),
            category: self.category.code.clone(),
            description,
            address: self.address.trim().to_owned(),
            lat: point.map(|p| p.0),
            long: point.map(|p| p.1),
            attributes: answers,
            media_url,
            photos: Vec::new(),
            contact: Contact {
                name: self.contact.name.trim().to_owned(),
                email,
                phone: self.contact.phone.trim().to_owned(),
            },
            reporter: reporter.to_owned(),
            source: source.to_owned(),
            status: Status::New,
            unit: self.category.unit.clone(),
            handler: String::new(),
            requested: at.clone(),
            updated: at,
            closed: String::new(),
            deadline,
            reminded: false,
            escalated: false,
            duplicate_of: String::new(),
            note: String::new(),
            earlier_followers: Vec::new(),
            earlier_steps: Vec::new(),
            open: None,
            filed: None,
            resolve_days: None,
        };
        // Within its bound when filed, a report always takes its steps.
        if json_bytes(&report) > FILED_MOST_BYTES {
            return Err(vec![(
                "description".into(),
                t(
                    "The report is too long to keep: shorten the description or the answers.",
                    "Hlášení je příliš dlouhé: zkraťte popis nebo odpovědi.",
                ),
            )]);
        }
        Ok(report)
    }
}

/// Stores a checked report with its photo: audited, and the reporter gets
/// a receipt.
pub fn file(
    report: &mut Report,
    photo: Option<(&str, &[u8])>,
    category: &Category,
    en: bool,
) -> Result<Document<Report>> {
    if let Some((name, content)) = photo {
        let media_type = photo_type(content).unwrap_or("application/octet-stream");
        // Kept only if this call succeeds, as the report is.
        let stored = portico_sdk::files::store(
            name,
            media_type,
            content,
            portico_sdk::files::Mark::S,
            PHOTO_YEARS,
        )?;
        report.photos.push(stored.id);
    }
    report.derive_indexed();
    let stored = REPORTS.insert(&*report)?;
    portico_sdk::audit::append(
        "complaint.report",
        &format!("reports/{}", stored.id),
        &serde_json::json!({ "number": report.number, "category": report.category, "source": report.source }),
    )?;
    if !report.contact.email.is_empty() {
        // The reporter gave the address with the report to hear of it.
        let unfollow = crate::followers::add_reporter(&stored.id, &report.contact.email, en)?;
        let mut data = report.template_data(&stored.id, &category.name, en, "");
        data["unfollow_path"] = crate::followers::unfollow_path(&unfollow).into();
        tell(
            portico_sdk::notify::To::Email(&report.contact.email),
            "report-received",
            &data,
        )?;
    }
    Ok(stored)
}

/// Sends a message to a person. A portal that sends no e-mail (none is
/// configured) does not stop the report or the step that causes it: the
/// message is left out and logged.
pub fn tell(
    to: portico_sdk::notify::To<'_>,
    template: &str,
    data: &serde_json::Value,
) -> Result<()> {
    match portico_sdk::notify::send(to, template, data) {
        Ok(_) => Ok(()),
        Err(Error::Unavailable(why)) => {
            portico_sdk::log::warn(format!("message `{template}` not sent: {why}"));
            Ok(())
        }
        Err(e) => Err(e),
    }
}
