//! The facts an organization's profile holds, how each is checked, and
//! what is kept: the profile, the requests to change registered facts,
//! every fact's history, and the founder's copies for the public list.

use std::collections::BTreeMap;

use portico_sdk::calendar;
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{Context, Error, Result};
use serde::{Deserialize, Serialize};

pub const PROFILE: Collection = Collection::new("profile");
pub const REQUESTS: Collection = Collection::new("requests");
pub const HISTORY: Collection = Collection::new("history");
pub const REGISTER: Collection = Collection::new("register");

/// One fact of a profile.
pub struct Fact {
    pub name: &'static str,
    pub en: &'static str,
    pub cs: &'static str,
    /// Registered: a change needs the founder's approval.
    pub registered: bool,
    pub kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Line,
    Text,
    Date,
    Ico,
    DataBox,
    Account,
    Email,
    Web,
}

const fn fact(
    name: &'static str,
    en: &'static str,
    cs: &'static str,
    registered: bool,
    kind: Kind,
) -> Fact {
    Fact {
        name,
        en,
        cs,
        registered,
        kind,
    }
}

/// Every fact, in the order the profile shows them.
pub const FACTS: [Fact; 13] = [
    fact("legal_form", "Legal form", "Právní forma", true, Kind::Line),
    fact("ico", "Identification number (IČO)", "IČO", true, Kind::Ico),
    fact("address", "Registered office", "Sídlo", true, Kind::Line),
    fact(
        "data_box",
        "Data box",
        "Datová schránka",
        true,
        Kind::DataBox,
    ),
    fact(
        "bank_account",
        "Bank account",
        "Bankovní účet",
        true,
        Kind::Account,
    ),
    fact(
        "director",
        "Statutory body (director)",
        "Statutární orgán (ředitel)",
        true,
        Kind::Line,
    ),
    fact(
        "director_from",
        "Term of office from",
        "Funkční období od",
        true,
        Kind::Date,
    ),
    fact(
        "director_until",
        "Term of office until",
        "Funkční období do",
        true,
        Kind::Date,
    ),
    fact(
        "deed",
        "Founding deed and its amendments",
        "Zřizovací listina a její dodatky",
        true,
        Kind::Text,
    ),
    fact(
        "activities",
        "Supplementary activities",
        "Doplňková činnost",
        true,
        Kind::Text,
    ),
    fact("phone", "Phone", "Telefon", false, Kind::Line),
    fact("email", "E-mail", "E-mail", false, Kind::Email),
    fact("web", "Web", "Web", false, Kind::Web),
];

pub fn fact_of(name: &str) -> Option<&'static Fact> {
    FACTS.iter().find(|f| f.name == name)
}

impl Fact {
    pub fn label(&self, ctx: &Context) -> &'static str {
        ctx.tr(self.en, self.cs)
    }

    /// What is wrong with `value` for this fact, in the reader's language.
    pub fn check(&self, ctx: &Context, value: &str) -> Option<String> {
        if value.is_empty() {
            return None;
        }
        let most = if self.kind == Kind::Text { 5_000 } else { 300 };
        if value.chars().count() > most {
            return Some(if ctx.is_czech() {
                format!("Použijte nejvýše {most} znaků.")
            } else {
                format!("Use at most {most} characters.")
            });
        }
        let bad = |en: &str, cs: &str| Some(ctx.tr(en, cs).to_owned());
        match self.kind {
            Kind::Date if calendar::parse_date(value).is_none() => {
                bad("Use the form YYYY-MM-DD.", "Zadejte ve tvaru RRRR-MM-DD.")
            }
            Kind::Ico if !portico_sdk::ico::is_valid(value) => bad(
                "An IČO is eight digits whose last is their check digit; this one does not add up.",
                "IČO má osm číslic a poslední je kontrolní; toto nesouhlasí.",
            ),
            Kind::DataBox
                if value.len() != 7 || !value.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                bad(
                    "A data box id is seven letters and digits, e.g. abc2def.",
                    "ID datové schránky má sedm písmen a číslic, např. abc2def.",
                )
            }
            Kind::Account if !account_valid(value) => bad(
                "This is not a Czech account number: write it as number/bank code, e.g. 2000145102/0800 or 19-2000145102/0710, and check its digits.",
                "Toto není české číslo účtu: zapište jej jako číslo/kód banky, např. 2000145102/0800 nebo 19-2000145102/0710, a zkontrolujte číslice.",
            ),
            Kind::Email if !value.contains('@') || value.contains(' ') => bad(
                "This is not an e-mail address.",
                "Toto není e-mailová adresa.",
            ),
            Kind::Web if !value.starts_with("https://") && !value.starts_with("http://") => bad(
                "Write the whole address, beginning with https://.",
                "Zapište celou adresu, začínající https://.",
            ),
            _ => None,
        }
    }
}

/// A Czech account number (vyhláška ČNB č. 169/2011 Sb.): an optional
/// prefix (up to 6 digits) and dash, the number (2 to 10 digits), a slash
/// and the bank's four-digit code; prefix and number each pass the
/// weighted check modulo 11.
fn account_valid(account: &str) -> bool {
    let Some((number, bank)) = account.split_once('/') else {
        return false;
    };
    // Weighted from the right: 1, 2, 4, 8, 5, 10, 9, 7, 3, 6.
    const WEIGHTS: [u32; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
    let part = |s: &str, lo: usize, hi: usize| {
        (lo..=hi).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_digit())
            && s.chars()
                .rev()
                .filter_map(|c| c.to_digit(10))
                .zip(WEIGHTS)
                .map(|(d, w)| d * w)
                .sum::<u32>()
                % 11
                == 0
    };
    let number_ok = match number.split_once('-') {
        Some((prefix, rest)) => part(prefix, 1, 6) && part(rest, 2, 10),
        None => part(number, 2, 10),
    };
    number_ok && bank.len() == 4 && bank.chars().all(|c| c.is_ascii_digit())
}

/// The organization's profile.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub facts: BTreeMap<String, String>,
    /// Moves on with every change: the founder's copy keeps only a newer
    /// one, whatever order the messages arrive in.
    #[serde(default)]
    pub revision: u64,
}

impl Profile {
    pub fn get(&self, name: &str) -> &str {
        self.facts.get(name).map(String::as_str).unwrap_or_default()
    }
}

/// One fact changing: from, to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Change {
    pub field: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestState {
    Pending,
    Approved,
    Rejected,
    /// Taken back by the organization before the founder decided.
    Withdrawn,
}

impl RequestState {
    pub fn key(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
            RequestState::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self, ctx: &Context) -> &'static str {
        match self {
            RequestState::Pending => ctx.tr("Waiting for the founder", "Čeká na zřizovatele"),
            RequestState::Approved => ctx.tr("Approved", "Schváleno"),
            RequestState::Rejected => ctx.tr("Rejected", "Zamítnuto"),
            RequestState::Withdrawn => ctx.tr("Withdrawn", "Vzato zpět"),
        }
    }
}

/// A request to change registered facts: the organization's, and the
/// founder's copy of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub key: String,
    /// The organization it changes.
    pub org: String,
    pub org_name: String,
    pub changes: Vec<Change>,
    pub state: RequestState,
    /// Who asked (a name) and when (`YYYY-MM-DD HH:MM`, Europe/Prague).
    pub asked_by: String,
    pub asked_at: String,
    #[serde(default)]
    pub decided_by: String,
    #[serde(default)]
    pub reason: String,
}

/// One change of one fact, as the history shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub field: String,
    pub old: String,
    pub new: String,
    pub at: String,
    pub by: String,
    /// Who approved it at the founder (registered facts).
    #[serde(default)]
    pub approved_by: String,
}

/// The founder's copy of an organization's profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registered {
    pub org: String,
    pub name: String,
    pub facts: BTreeMap<String, String>,
    #[serde(default)]
    pub revision: u64,
}

/// The messages between an organization and its founder.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Note {
    /// Up: approve these changes.
    Requested { request: Request },
    /// Down: the founder's decision.
    Decided {
        key: String,
        approved: bool,
        by: String,
        reason: String,
    },
    /// Up: the organization took its request back.
    Withdrawn { key: String },
    /// Up: the profile as it now is, for the founder's public list.
    Published {
        name: String,
        facts: BTreeMap<String, String>,
        #[serde(default)]
        revision: u64,
    },
}

impl Note {
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Requested { .. } => "registry.requested",
            Note::Decided { .. } => "registry.decided",
            Note::Published { .. } => "registry.published",
            Note::Withdrawn { .. } => "registry.withdrawn",
        }
    }
}

/// Now, as histories keep it.
pub use portico_sdk::calendar::stamp as now;

/// The organization's profile document (an empty one before the first edit).
pub fn profile() -> Result<Option<Document<Profile>>> {
    Ok(PROFILE
        .find()
        .limit(1)
        .fetch::<Profile>()?
        .documents
        .into_iter()
        .next())
}

/// The request `key` of organization `org`: its own, or, at its founder,
/// the founder's copy.
pub fn request_of(key: &str, org: &str) -> Result<Document<Request>> {
    REQUESTS
        .find()
        .eq("key", key)
        .eq("org", org)
        .limit(1)
        .fetch::<Request>()?
        .documents
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(format!("no request {key}")))
}

/// The request `key` from an organization below (the founder's copy).
pub fn request_from_below(key: &str, me: &str) -> Result<Document<Request>> {
    REQUESTS
        .find()
        .eq("key", key)
        .limit(5)
        .fetch::<Request>()?
        .documents
        .into_iter()
        .find(|d| d.data.org != me)
        .ok_or_else(|| Error::not_found(format!("no request {key} from below")))
}

/// The organization's request waiting for its founder, if any.
pub fn pending_of(org: &str) -> Result<Option<Document<Request>>> {
    Ok(REQUESTS
        .find()
        .eq("org", org)
        .eq("state", RequestState::Pending.key())
        .limit(1)
        .fetch::<Request>()?
        .documents
        .into_iter()
        .next())
}

pub fn registered_of(org: &str) -> Result<Option<Document<Registered>>> {
    REGISTER.find_by::<Registered>("org", org)
}

pub use portico_sdk::random_key as new_key;
