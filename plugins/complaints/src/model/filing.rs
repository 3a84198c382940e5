//! A new report, from the portal's form or from Open311: the checks of
//! what was sent (place, contact, answers, photo, size), its number, and
//! filing it with its photo and the reporter's receipt; and `tell`, which
//! sends a message without stopping the report when no e-mail is set up.

use portico_sdk::records::{Document, Filters};
use portico_sdk::{Error, Result};

use super::REPORTS;
use super::catalogue::Category;
use super::dates::{date_after, now, today};
use super::report::{Contact, FILED_MOST_BYTES, Report, Status, json_bytes};

/// A new report's number, as a person reads it out over the phone: the
/// year and six digits (`2026-482731`), one no report has yet.
pub fn new_number() -> Result<String> {
    portico_sdk::spoken_number(&format!("{}-", &today()[..4]), |number| {
        Ok(!REPORTS
            .find()
            .eq("number", number)
            .limit(1)
            .fetch::<Report>()?
            .documents
            .is_empty())
    })
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
    portico_sdk::files::media_type_of(content)
        .filter(|t| matches!(*t, "image/jpeg" | "image/png" | "image/webp"))
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
            // Given when it is filed (`file`).
            number: String::new(),
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
            area: String::new(),
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
    report.number = new_number()?;
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
    // Inside an area, the area's unit deals with it.
    if let (Some(lat), Some(long)) = (report.lat, report.long)
        && let Some(area) = super::area_at(&super::areas()?, lat, long)
    {
        report.area = area.name.clone();
        report.unit = area.unit.clone();
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
        let mut data = report.template_data(
            &stored.id,
            (category.name_in(true), category.name_in(false)),
            en,
            ("", ""),
        );
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
