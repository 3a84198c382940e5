//! What the module stores: form versions, life situations, drafts and
//! submissions.

use chrono::{SecondsFormat, Utc};
use portico_sdk::notify::To;
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{Context, Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use portico_forms::definition::{Answers, Definition, Form};

pub const FORMS: Collection = Collection::new("forms");
pub const SITUATIONS: Collection = Collection::new("situations");
pub const DRAFTS: Collection = Collection::new("drafts");
pub const SUBMISSIONS: Collection = Collection::new("submissions");
pub const DESIGNS: Collection = Collection::new("designs");

/// A form's draft in the builder, kept apart from its published
/// versions until it is published as the next one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Design {
    pub code: String,
    pub definition: Definition,
    /// The published version it was begun from; 0 for a new form.
    pub based_on: u32,
    pub edited: String,
    #[serde(default)]
    pub by: String,
}

/// The draft of form `code`, if there is one.
pub fn design_of(code: &str) -> Result<Option<Document<Design>>> {
    DESIGNS.find_by::<Design>("code", code)
}

/// One published version of a form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Version {
    pub code: String,
    /// The definition's title, kept beside it for the portal's search.
    #[serde(default)]
    pub title: String,
    pub version: u32,
    pub definition: Definition,
    pub published: String,
    #[serde(default)]
    pub by: String,
}

/// A life situation: a node of the tree that leads to forms.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Situation {
    pub key: String,
    /// The parent's key; empty at the top.
    #[serde(default)]
    pub parent: String,
    pub title: String,
    #[serde(default)]
    pub text: String,
    /// Codes of the forms it leads to.
    #[serde(default)]
    pub forms: Vec<String>,
    /// Its place among the situations under the same parent (smaller
    /// first; equal ones by title).
    #[serde(default)]
    pub order: i64,
}

/// A form a citizen began and saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Draft {
    pub user: String,
    pub form: String,
    pub version: u32,
    pub step: usize,
    pub answers: Answers,
    pub saved: String,
}

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Submitted,
    Accepted,
    InProgress,
    Resolved,
    Rejected,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Submitted,
        Status::Accepted,
        Status::InProgress,
        Status::Resolved,
        Status::Rejected,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
            Status::InProgress => "in-progress",
            Status::Resolved => "resolved",
            Status::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.key() == s)
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Status::Submitted, true) => "Submitted",
            (Status::Submitted, false) => "Podáno",
            (Status::Accepted, true) => "Accepted",
            (Status::Accepted, false) => "Přijato",
            (Status::InProgress, true) => "In progress",
            (Status::InProgress, false) => "Vyřizuje se",
            (Status::Resolved, true) => "Resolved",
            (Status::Resolved, false) => "Vyřízeno",
            (Status::Rejected, true) => "Rejected",
            (Status::Rejected, false) => "Zamítnuto",
        }
    }

    /// The statuses a submission may move to from this one.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Submitted => &[Status::Accepted, Status::Rejected],
            Status::Accepted => &[Status::InProgress, Status::Resolved, Status::Rejected],
            Status::InProgress => &[Status::Resolved, Status::Rejected],
            Status::Resolved | Status::Rejected => &[],
        }
    }
}

/// One step of a submission's handling.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub at: String,
    pub status: Status,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub by: String,
}

/// A submitted form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Submission {
    /// The receipt number, e.g. `F-2026-4F3A9C`.
    pub number: String,
    pub form: String,
    /// The version of the form it was made with.
    pub version: u32,
    pub title: String,
    /// The user who submitted it; empty for an anonymous one.
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub user_name: String,
    pub answers: Answers,
    pub status: Status,
    #[serde(default)]
    pub handler: String,
    pub history: Vec<Step>,
    pub submitted: String,
    pub updated: String,
    /// Where notifications go (from the answers or the identity).
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    /// The language the applicant filled the form in (`cs`, `en`): what
    /// they are written to in. Empty on submissions older than it.
    #[serde(default)]
    pub lang: String,
    /// What the link to its receipt carries, for one sent without logging
    /// in. Empty on submissions older than it.
    #[serde(default)]
    pub key: String,
}

pub fn english(ctx: &Context) -> bool {
    ctx.locale().starts_with("en")
}

pub fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The most documents a list or figure is built from.
pub const MOST: usize = 10_000;

/// The latest version of every form, by title.
pub fn latest_forms() -> Result<Vec<Version>> {
    let mut latest: Vec<Version> = Vec::new();
    for d in FORMS.find().sort("code").fetch_all::<Version>(MOST)? {
        match latest.iter_mut().find(|v| v.code == d.data.code) {
            Some(v) if v.version < d.data.version => *v = d.data,
            Some(_) => {}
            None => latest.push(d.data),
        }
    }
    latest.sort_by(|a, b| a.definition.title.cmp(&b.definition.title));
    Ok(latest)
}

/// Every version of a form, newest first.
pub fn versions(code: &str) -> Result<Vec<Version>> {
    let mut v: Vec<Version> = FORMS
        .find()
        .eq("code", code)
        .fetch_all::<Version>(MOST)?
        .into_iter()
        .map(|d| d.data)
        .collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.version));
    Ok(v)
}

/// A form's version (the latest when `version` is `None`), read.
pub fn form(code: &str, version: Option<u32>) -> Result<(Version, Form)> {
    let found = versions(code)?
        .into_iter()
        .find(|v| version.is_none_or(|n| v.version == n))
        .ok_or_else(|| Error::not_found(format!("no form `{code}`")))?;
    let form = Form::read(found.definition.clone())
        .map_err(|p| Error::internal(format!("stored form {code} does not read: {p:?}")))?;
    Ok((found, form))
}

/// The life situations, each parent's in their order.
pub fn situations() -> Result<Vec<Situation>> {
    let mut all: Vec<Situation> = SITUATIONS
        .find()
        .sort("key")
        .fetch_all(MOST)?
        .into_iter()
        .map(|d| d.data)
        .collect();
    all.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.title.cmp(&b.title)));
    Ok(all)
}

/// The situations as a tree, depth first: each with its depth.
pub fn situation_tree(all: &[Situation]) -> Vec<(&Situation, usize)> {
    fn under<'a>(
        all: &'a [Situation],
        parent: &str,
        depth: usize,
        out: &mut Vec<(&'a Situation, usize)>,
    ) {
        for s in all.iter().filter(|s| s.parent == parent) {
            // A broken tree (a cycle) stops at a depth no tree has.
            if depth < 20 && !out.iter().any(|(x, _)| x.key == s.key) {
                out.push((s, depth));
                under(all, &s.key, depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    under(all, "", 0, &mut out);
    // Situations under a parent that is gone, at the end.
    for s in all {
        if !out.iter().any(|(x, _)| x.key == s.key) {
            out.push((s, 0));
        }
    }
    out
}

pub fn draft_of(user: &str, code: &str) -> Result<Option<Document<Draft>>> {
    Ok(DRAFTS
        .find()
        .eq("user", user)
        .eq("form", code)
        .limit(1)
        .fetch::<Draft>()?
        .documents
        .into_iter()
        .next())
}

/// A new receipt number, as a person reads it out over the phone: `F`,
/// the year and six digits (`F-2026-482731`), one no submission has yet.
pub fn new_number() -> Result<String> {
    portico_sdk::spoken_number(&format!("F-{}-", &now()[..4]), |number| {
        Ok(!SUBMISSIONS
            .find()
            .eq("number", number)
            .limit(1)
            .fetch::<Submission>()?
            .documents
            .is_empty())
    })
}

/// Tells the person who submitted: by e-mail, in the portal's inbox, and
/// by text message where they gave a phone. A portal that sends no e-mail
/// or texts leaves those out (logged); the inbox always gets it.
pub fn tell(s: &Submission, template: &str, data: &Value) -> Result<()> {
    let mut data = data.clone();
    if !s.lang.is_empty() {
        data["lang"] = Value::from(s.lang.as_str());
    }
    let data = &data;
    let mut to = Vec::new();
    if !s.email.is_empty() {
        to.push(To::Email(&s.email));
    }
    if !s.user.is_empty() {
        to.push(To::User(&s.user));
    }
    if !s.phone.is_empty() {
        to.push(To::Phone(&s.phone));
    }
    for to in to {
        match portico_sdk::notify::send(to, template, data) {
            Ok(_) => {}
            Err(Error::Unavailable(why)) => {
                portico_sdk::log::warn(format!("message `{template}` not sent: {why}"));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
