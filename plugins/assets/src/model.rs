//! What is kept: the places of the spatial structure, the assets with
//! their cards, and what follows from a card (its depreciation, its book
//! value, its inventory number).

use chrono::{Datelike, NaiveDate};
use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{Context, Error, Result, calendar, folding, numbers};
use serde::{Deserialize, Serialize};

/// Sites, buildings, storeys and spaces.
pub const PLACES: Collection = Collection::new("places");
/// The assets, one document each.
pub const ASSETS: Collection = Collection::new("assets");
/// The last inventory number given on an account.
pub const COUNTERS: Collection = Collection::new("counters");

/// The levels of the spatial structure (IFC: site, building, storey,
/// space), each with the level below it.
pub mod level {
    pub const SITE: &str = "site";
    pub const BUILDING: &str = "building";
    pub const STOREY: &str = "storey";
    pub const SPACE: &str = "space";

    /// What may stand directly in a place of `kind` (`""`: at the top).
    pub fn below(kind: &str) -> Option<&'static str> {
        match kind {
            "" => Some(SITE),
            SITE => Some(BUILDING),
            BUILDING => Some(STOREY),
            STOREY => Some(SPACE),
            _ => None,
        }
    }
}

/// A level's name.
pub fn level_name(ctx: &Context, kind: &str) -> &'static str {
    match kind {
        level::SITE => ctx.tr("Site", "Areál"),
        level::BUILDING => ctx.tr("Building", "Budova"),
        level::STOREY => ctx.tr("Storey", "Podlaží"),
        _ => ctx.tr("Room", "Místnost"),
    }
}

/// A place of the structure.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Place {
    pub kind: String,
    pub name: String,
    /// Its short mark: a building's letter, a storey's `1NP`, a room's number.
    pub code: String,
    /// Its key: its parent's key and its own code (or name), folded, as
    /// given when it was entered; sorts the structure as a tree.
    pub key: String,
    /// The key of the place it stands in; empty for a site.
    pub parent: String,
    /// The places above it and itself, as people read it.
    pub path: String,
    /// A site's or building's address.
    pub address: String,
    /// Its cadastral area and parcel number (real estate).
    pub parcel: String,
    /// The title deed (list vlastnictví) it is entered on.
    pub deed: String,
    /// Floor area, m².
    pub area: f64,
    /// What a room is used for.
    pub purpose: String,
}

impl Place {
    /// How people name it: its code and name.
    pub fn label(&self) -> String {
        if self.code.is_empty() || self.code == self.name {
            self.name.clone()
        } else {
            format!("{} {}", self.code, self.name)
        }
    }
}

/// Where an asset stands in its life here.
pub mod state {
    /// Held and used.
    pub const IN_USE: &str = "in-use";
    /// Offered to the founder's other organizations.
    pub const OFFERED: &str = "offered";
    /// Reserved by one of them, waiting for the founder's consent.
    pub const RESERVED: &str = "reserved";
    /// Nobody took it in time.
    pub const UNCLAIMED: &str = "unclaimed";
    /// Offered to the public.
    pub const PUBLIC: &str = "public";
    /// Transferred to another organization: no longer held.
    pub const TRANSFERRED: &str = "transferred";
    /// Written off: no longer held.
    pub const WRITTEN_OFF: &str = "written-off";
}

pub fn state_name(ctx: &Context, s: &str) -> &'static str {
    match s {
        state::OFFERED => ctx.tr("Offered to the organizations", "Nabídnuto organizacím"),
        state::RESERVED => ctx.tr(
            "Reserved, waiting for the founder",
            "Rezervováno, čeká na zřizovatele",
        ),
        state::UNCLAIMED => ctx.tr("No organization wanted it", "Bez zájmu organizací"),
        state::PUBLIC => ctx.tr("Offered to the public", "Nabídnuto veřejnosti"),
        state::TRANSFERRED => ctx.tr("Transferred", "Převedeno"),
        state::WRITTEN_OFF => ctx.tr("Written off", "Vyřazeno"),
        _ => ctx.tr("In use", "V užívání"),
    }
}

/// The accounts of the chart for public bodies (vyhláška č. 410/2009 Sb.)
/// an asset is kept on: code, whether it is depreciated, names.
pub const ACCOUNTS: [(&str, bool, &str, &str); 7] = [
    (
        "022",
        true,
        "022 Separate movable things and sets of movable things",
        "022 Samostatné hmotné movité věci a soubory hmotných movitých věcí",
    ),
    (
        "028",
        false,
        "028 Small tangible fixed assets",
        "028 Drobný dlouhodobý hmotný majetek",
    ),
    ("013", true, "013 Software", "013 Software"),
    (
        "018",
        false,
        "018 Small intangible fixed assets",
        "018 Drobný dlouhodobý nehmotný majetek",
    ),
    ("021", true, "021 Buildings and structures", "021 Stavby"),
    ("031", false, "031 Land", "031 Pozemky"),
    (
        "902",
        false,
        "902 Other small assets (off the balance sheet)",
        "902 Jiný drobný dlouhodobý hmotný majetek (podrozvahový)",
    ),
];

pub fn account_name(ctx: &Context, code: &str) -> String {
    ACCOUNTS
        .iter()
        .find(|a| a.0 == code)
        .map_or_else(|| code.to_owned(), |a| ctx.tr(a.2, a.3).to_owned())
}

pub fn depreciated(account: &str) -> bool {
    ACCOUNTS.iter().any(|a| a.0 == account && a.1)
}

/// An asset's card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Card {
    pub number: String,
    pub name: String,
    pub account: String,
    /// Acquisition cost, CZK.
    pub cost: f64,
    pub acquired: String,
    /// The day it was put into use: depreciation starts the month after.
    pub in_use: String,
    /// Years of useful life in its depreciation plan; 0: not depreciated.
    pub life_years: u32,
    pub serial: String,
    pub note: String,
    /// Depreciation already charged before it came here (a transfer).
    pub charged_before: f64,
}

/// A transfer between two organizations, as its protocol records it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Protocol {
    pub number: String,
    pub date: String,
    pub from_org: String,
    pub from_name: String,
    pub to_org: String,
    pub to_name: String,
    /// The founder that consented, and who for it.
    pub founder: String,
    pub approved_by: String,
    /// The card as it left.
    pub card: Card,
    pub book_value: f64,
}

/// A step in an asset's life.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Step {
    pub at: String,
    pub what: String,
    pub text: String,
    pub by: String,
}

impl Step {
    /// A step taken now by `by`, its text cut to 300 characters.
    pub fn now(by: String, what: &str, text: impl Into<String>) -> Step {
        Step {
            at: calendar::stamp(),
            what: what.into(),
            text: text.into().chars().take(300).collect(),
            by,
        }
    }
}

/// An asset.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Asset {
    #[serde(flatten)]
    pub card: Card,
    /// The name folded, for the search.
    pub key: String,
    /// The key of the room (or other place) it stands in.
    pub place: String,
    pub responsible: String,
    pub state: String,
    /// 1 while the organization holds it.
    pub held: u8,
    /// An offer as surplus: until when, and what it is offered as.
    pub offer_until: String,
    pub offer_text: String,
    /// Who reserved it.
    pub reserved_by: String,
    /// It came from another organization.
    pub origin: Option<Protocol>,
    /// It went to another organization.
    pub transfer: Option<Protocol>,
    pub write_off: String,
    pub history: Vec<Step>,
    /// Its meter's last reading (hours, kilometres), for maintenance.
    pub meter: Option<Meter>,
    /// Its photos and documents (warranty, manual, revision reports).
    pub files: Vec<Stored>,
}

/// A meter's reading.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Meter {
    pub unit: String,
    pub value: f64,
    pub on: String,
}

/// A stored photo or document, as a card or a work order names it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Stored {
    /// The file's id in the organization's files.
    pub id: String,
    pub name: String,
    /// What it is, as the clerk named it.
    pub title: String,
    pub media_type: String,
    pub size: u64,
    pub on: String,
    pub by: String,
}

impl Asset {
    pub fn new(card: Card) -> Asset {
        Asset {
            key: folding::fold(&card.name),
            card,
            state: state::IN_USE.into(),
            held: 1,
            ..Asset::default()
        }
    }

    /// Records a step of its life, by the one acting.
    pub fn step(&mut self, ctx: &Context, what: &str, text: impl Into<String>) {
        self.history.push(Step::now(ctx.actor(), what, text));
        // A long life keeps its latest steps on the card; the audit chain
        // keeps them all.
        if self.history.len() > 40 {
            self.history.remove(0);
        }
    }

    pub fn gone(&mut self, state: &str) {
        self.state = state.into();
        self.held = 0;
        self.place.clear();
    }
}

/// What the depreciation plan has charged by `day`, CZK: straight-line,
/// monthly from the month after it was put into use (ČÚS č. 708), whole
/// crowns, never more than it cost.
pub fn charged(card: &Card, day: NaiveDate) -> f64 {
    // Small property is charged whole when put into use.
    if matches!(card.account.as_str(), "018" | "028") {
        return if card.in_use.is_empty() {
            0.0
        } else {
            card.cost
        };
    }
    if !depreciated(&card.account) || card.life_years == 0 {
        return 0.0;
    }
    let Some(start) = calendar::parse_date(&card.in_use) else {
        return card.charged_before;
    };
    let months = (day.year() - start.year()) * 12 + day.month() as i32 - start.month() as i32;
    let months = f64::from(months.max(0));
    let left = (card.cost - card.charged_before).max(0.0);
    let monthly = left / f64::from(card.life_years * 12);
    (card.charged_before + (monthly * months).round()).min(card.cost)
}

/// What it is worth in the books by `day`.
pub fn book_value(card: &Card, day: NaiveDate) -> f64 {
    card.cost - charged(card, day)
}

/// The yearly charge of its plan.
pub fn yearly(card: &Card) -> f64 {
    if !depreciated(&card.account) || card.life_years == 0 {
        return 0.0;
    }
    ((card.cost - card.charged_before).max(0.0) / f64::from(card.life_years)).round()
}

/// A counter: of inventory numbers by account, of work orders by year.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Counter {
    pub account: String,
    pub last: u64,
}

/// The next inventory number on `account`: `022/000042`.
pub fn next_number(account: &str) -> Result<String> {
    let n = count(account, || {
        // The first number on the account: start after any imported.
        Ok(ASSETS
            .find()
            .prefix("number", format!("{account}/"))
            .sort_desc("number")
            .limit(1)
            .fetch::<Asset>()?
            .documents
            .first()
            .and_then(|d| d.data.card.number.rsplit('/').next()?.parse().ok())
            .unwrap_or(0u64))
    })?;
    Ok(format!("{account}/{n:06}"))
}

/// The next number of counter `name`, the first after what `before`
/// says was given already. The counter is updated with its version, so
/// two numbers given at once cannot be one.
pub fn count(name: &str, before: impl FnOnce() -> Result<u64>) -> Result<u64> {
    Ok(match COUNTERS.find_by::<Counter>("account", name)? {
        Some(doc) => {
            let mut c = doc.data;
            c.last += 1;
            COUNTERS.update(&doc.id, doc.version, &c)?;
            c.last
        }
        None => {
            let last = before()? + 1;
            COUNTERS.insert(&Counter {
                account: name.into(),
                last,
            })?;
            last
        }
    })
}

/// The asset of document `id`, or of inventory number `id` (as plans
/// and work orders name it, and as a link can).
pub fn asset(id: &str) -> Result<Document<Asset>> {
    match ASSETS.get(id) {
        Err(Error::NotFound(_)) if id.contains('/') => ASSETS
            .find_by("number", id)?
            .ok_or_else(|| Error::not_found(format!("no asset {id}"))),
        found => found,
    }
}

pub fn place(id: &str) -> Result<Document<Place>> {
    PLACES.get(id)
}

/// The place of `key`.
pub fn place_by_key(key: &str) -> Result<Option<Document<Place>>> {
    if key.is_empty() {
        return Ok(None);
    }
    PLACES.find_by("key", key)
}

/// Where the place of `key` is, as people read it.
pub fn path_of(key: &str) -> String {
    place_by_key(key)
        .ok()
        .flatten()
        .map(|p| p.data.path)
        .unwrap_or_default()
}

pub fn can(ctx: &Context, permission: &str) -> bool {
    ctx.principal()
        .is_some_and(|p| p.has_permission(&format!("assets.{permission}")))
}

/// Refuses anyone without `assets.manage`.
pub fn clerk(ctx: &Context) -> Result<()> {
    if can(ctx, "manage") {
        return Ok(());
    }
    Err(Error::forbidden(ctx.tr(
        "Only the property clerk may do this.",
        "Toto smí jen správce majetku.",
    )))
}

/// What a text field longer than `max` characters is told.
pub fn too_long(ctx: &Context, max: usize) -> String {
    if ctx.is_czech() {
        format!("Příliš dlouhé: nejvýše {max} znaků.")
    } else {
        format!("Too long: at most {max} characters.")
    }
}

/// The non-empty lines of `text`, trimmed, each at most `max` characters:
/// a checklist, a commission, what a list found besides.
pub fn lines(text: &str, max: usize) -> Vec<String> {
    text.lines()
        .map(|l| l.trim().chars().take(max).collect::<String>())
        .filter(|l| !l.is_empty())
        .collect()
}

/// CZK as the reader's language writes it.
pub fn czk(ctx: &Context, amount: f64) -> String {
    numbers::money(amount, "CZK", ctx.lang())
}

/// A kept `YYYY-MM-DD` as the reader's language writes it.
pub fn date_text(ctx: &Context, kept: &str) -> String {
    calendar::format_date_text(kept, ctx.lang())
}
