//! What is kept: a contract, its parties, documents and publication, and
//! what follows from them: whether the publication duty covers it, its
//! deadline, its state and the checks it fails.

use chrono::{Months, NaiveDate};
use portico_sdk::records::{Collection, Document};
use portico_sdk::{Context, Error, Result, calendar, numbers};
use serde::{Deserialize, Serialize};

use crate::checks::{self, Problem};

pub const CONTRACTS: Collection = Collection::new("contracts");
/// The published contracts, for the portal's search.
pub const LISTED: Collection = Collection::new("listed");

/// A published contract as the portal's search finds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Listed {
    pub number: String,
    /// What a hit shows: the number and the subject.
    pub title: String,
    pub subject: String,
    /// The other parties' names and IČOs.
    pub parties: String,
}

impl Listed {
    pub fn of(c: &Contract) -> Listed {
        Listed {
            number: c.number.clone(),
            title: format!("{}: {}", c.number, c.subject),
            subject: c.subject.clone(),
            parties: c
                .parties
                .iter()
                .map(|p| format!("{} {}", p.name, p.ico))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// A contract of more than this, in CZK without VAT, is published
/// (zákon č. 340/2015 Sb., § 3 odst. 2 písm. i: 50,000 and less is not).
pub const THRESHOLD_CZK: f64 = 50_000.0;
/// Days after its conclusion a contract must be published within (§ 5 odst. 2).
pub const DEADLINE_DAYS: i64 = 30;
/// The days on which the responsible person is warned.
pub const WARNING_DAYS: [i64; 2] = [20, 25];
/// Months after its conclusion an unpublished contract is cancelled from
/// the start (§ 7).
pub const CANCEL_MONTHS: u32 = 3;

/// A party on the other side of the contract.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Party {
    pub name: String,
    /// Its identification number (IČO), 8 digits; empty for a person without one.
    pub ico: String,
    /// Its data box (datová schránka), 7 characters.
    pub databox: String,
}

/// A file kept with the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    pub id: String,
    pub name: String,
    pub size: u64,
}

/// Where and when the contract was published in the contract register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    /// The day the register published it, `YYYY-MM-DD`.
    pub date: String,
    /// The register's identifiers: of the contract and of this version.
    pub contract_id: String,
    pub version_id: String,
    pub recorded_by: String,
}

impl Publication {
    /// The contract's page in the register.
    pub fn url(&self) -> String {
        format!("https://smlouvy.gov.cz/smlouva/{}", self.version_id)
    }
}

/// Where a contract stands.
pub mod state {
    /// Under the duty, not published yet.
    pub const PENDING: &str = "pending";
    pub const PUBLISHED: &str = "published";
    /// Not under the duty (its value, or an exemption), not published.
    pub const OUTSIDE: &str = "outside";
    /// Not published within three months: cancelled from the start.
    pub const CANCELLED: &str = "cancelled";
    pub const ALL: [&str; 4] = [PENDING, PUBLISHED, OUTSIDE, CANCELLED];
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contract {
    /// The organization's own number of the contract.
    pub number: String,
    pub subject: String,
    pub parties: Vec<Party>,
    /// Its value without VAT, in `currency`.
    pub value_net: Option<f64>,
    /// Its value with VAT, in `currency`.
    pub value_gross: Option<f64>,
    /// `CZK`, or the foreign currency of the values.
    pub currency: String,
    /// CZK for one unit of a foreign currency (the Czech National Bank's
    /// rate of the day of conclusion).
    pub rate: Option<f64>,
    /// Why the value is not stated (it cannot be determined, say).
    pub no_value_reason: String,
    /// `YYYY-MM-DD`.
    pub concluded: String,
    pub valid_from: String,
    /// Empty: for an indefinite period.
    pub valid_to: String,
    /// Who approved it: the council's resolution, the director.
    pub approved_by: String,
    /// The signed document.
    pub document: Option<Stored>,
    /// The version published: trade secrets and personal data redacted.
    pub public_document: Option<Stored>,
    pub redacted: bool,
    pub redaction_reason: String,
    /// The number of the contract this one amends.
    pub parent: String,
    /// The statutory exemption from the duty (an [`EXEMPTIONS`] code).
    pub exemption: String,
    pub exemption_note: String,
    /// The user told of its deadlines; empty: every clerk.
    pub responsible: String,
    pub publication: Option<Publication>,
    /// What was told of its deadlines: `20`, `25`, `breach`, `cancelled`.
    pub told: Vec<String>,

    // What `settle` works out of the above, kept for the indexes and the
    // founder.
    pub state: String,
    pub duty: bool,
    /// The checks it fails, and how many.
    pub checks: Vec<Problem>,
    pub problems: u32,
    /// 1 when the 30 days passed before it was published.
    pub late: u8,
    pub value_czk: Option<f64>,
}

/// The statutory exemptions from the duty (zákon č. 340/2015 Sb., § 3
/// odst. 2), by code; "other" names its provision in the note. What may
/// not be published of a contract (§ 3 odst. 1: trade secrets, personal
/// data, classified information) is redacted in the version published,
/// not an exemption of the contract.
pub const EXEMPTIONS: [(&str, &str, &str); 5] = [
    (
        "natural-person",
        "A contract with a natural person who does not act in their business",
        "Smlouva s fyzickou osobou, která nejedná v rámci své podnikatelské činnosti",
    ),
    (
        "employment",
        "An employment or service relationship",
        "Pracovněprávní nebo služební vztah",
    ),
    (
        "exchange",
        "Concluded on a commodity exchange",
        "Uzavřena na komoditní burze",
    ),
    (
        "ordinary-business",
        "Concluded by a business corporation controlled by the state or a self-governing unit in its ordinary course of business",
        "Uzavřena obchodní korporací ovládanou státem nebo územním samosprávným celkem v rámci běžného obchodního styku",
    ),
    (
        "other",
        "Another statutory exemption, its provision named in the note",
        "Jiná zákonná výjimka, s ustanovením uvedeným v poznámce",
    ),
];

pub fn exemption_name(ctx: &Context, code: &str) -> String {
    EXEMPTIONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(_, en, cs)| ctx.tr(en, cs).to_owned())
}

impl Contract {
    pub fn concluded_date(&self) -> Option<NaiveDate> {
        calendar::parse_date(&self.concluded)
    }

    /// The day its publication was recorded as, `YYYY-MM-DD`; empty before.
    pub fn published_on(&self) -> &str {
        self.publication.as_ref().map_or("", |p| p.date.as_str())
    }

    /// The last day to publish it, under the duty.
    pub fn due(&self) -> Option<NaiveDate> {
        self.deadline().filter(|_| self.duty)
    }

    /// The value without VAT in CZK; `None` when it is not stated.
    pub fn czk(&self) -> Option<f64> {
        let value = self.value_net?;
        if self.currency.is_empty() || self.currency == "CZK" {
            Some(value)
        } else {
            self.rate.map(|r| value * r)
        }
    }

    /// The last day it may be published before it is late: 30 days after
    /// its conclusion, or the next working day when that is not one
    /// (občanský zákoník, § 607).
    pub fn deadline(&self) -> Option<NaiveDate> {
        Some(working(
            self.concluded_date()? + chrono::Duration::days(DEADLINE_DAYS),
        ))
    }

    /// The last day it may be published at all: three months after its
    /// conclusion (the month's last day when it has no such day, § 605),
    /// or the next working day.
    pub fn cancels(&self) -> Option<NaiveDate> {
        Some(working(
            self.concluded_date()?
                .checked_add_months(Months::new(CANCEL_MONTHS))?,
        ))
    }

    /// The day it takes effect: for a contract under the duty, not before
    /// it is published (§ 6).
    pub fn effective(&self) -> Option<String> {
        let own = if self.valid_from.is_empty() {
            &self.concluded
        } else {
            &self.valid_from
        };
        if !self.duty {
            return Some(own.clone());
        }
        let published = &self.publication.as_ref()?.date;
        Some(if published > own { published } else { own }.clone())
    }

    /// Works out what follows from what is entered, as of `today`: the
    /// duty, the deadline, the state and the checks. `parent` is the
    /// contract it amends, if that is in the registry.
    pub fn settle(&mut self, parent: Option<&Contract>, today: NaiveDate) {
        let own_duty = self.czk().is_none_or(|v| v > THRESHOLD_CZK);
        // An amendment of a contract under the duty is published whatever
        // its own value: the register shows the contract as it stands; so
        // is one that takes the contract over the threshold.
        let parent_duty = parent.is_some_and(|p| {
            p.duty
                || p.czk()
                    .zip(self.czk())
                    .is_some_and(|(a, b)| a + b > THRESHOLD_CZK)
        });
        self.duty = self.exemption.is_empty() && (own_duty || parent_duty);
        self.value_czk = self.czk();
        let past = |day: Option<NaiveDate>, by: NaiveDate| day.is_some_and(|d| by > d);
        self.late = match &self.publication {
            Some(p) => calendar::parse_date(&p.date)
                .is_some_and(|on| self.duty && past(self.deadline(), on)),
            None => self.duty && past(self.deadline(), today),
        } as u8;
        self.state = if self.publication.is_some() {
            state::PUBLISHED
        } else if !self.duty {
            state::OUTSIDE
        } else if past(self.cancels(), today) {
            state::CANCELLED
        } else {
            state::PENDING
        }
        .to_owned();
        self.checks = checks::run(self, parent, today);
        self.problems = self.checks.len() as u32;
    }
}

/// `day`, or the first working day after it.
fn working(day: NaiveDate) -> NaiveDate {
    if calendar::is_working_day(day) {
        day
    } else {
        calendar::add_working_days(day, 1)
    }
}

/// The contract `number` amends, if it is in the registry.
pub fn parent_of(c: &Contract) -> Result<Option<Contract>> {
    if c.parent.is_empty() {
        return Ok(None);
    }
    Ok(CONTRACTS
        .find_by::<Contract>("number", &c.parent)?
        .map(|d| d.data))
}

pub fn contract(id: &str) -> Result<Document<Contract>> {
    CONTRACTS.get::<Contract>(id)
}

/// An amount as the reader's language writes it, with its currency.
pub fn money(ctx: &Context, amount: f64, currency: &str) -> String {
    numbers::money(amount, currency, ctx.lang())
}

/// A kept `YYYY-MM-DD` as the reader's language writes it.
pub fn date_text(ctx: &Context, kept: &str) -> String {
    calendar::format_date_text(kept, ctx.lang())
}

pub fn state_name(ctx: &Context, state: &str) -> &'static str {
    match state {
        state::PENDING => ctx.tr("to be published", "k uveřejnění"),
        state::PUBLISHED => ctx.tr("published", "uveřejněna"),
        state::OUTSIDE => ctx.tr("outside the duty", "mimo povinnost"),
        state::CANCELLED => ctx.tr("cancelled from the start", "zrušena od počátku"),
        _ => "–",
    }
}

pub fn clerk(ctx: &Context) -> Result<()> {
    if can_manage(ctx) {
        return Ok(());
    }
    Err(Error::forbidden(ctx.tr(
        "Only the contract registry's clerk may do this.",
        "Toto smí jen správce evidence smluv.",
    )))
}

pub fn can_manage(ctx: &Context) -> bool {
    ctx.principal()
        .is_some_and(|p| p.has_permission("contracts.manage"))
}
