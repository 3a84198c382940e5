//! What is kept: a procurement process from its plan to its payments, and
//! what follows from it (its regime by value, its figures).

use portico_sdk::records::{Collection, Document};
use portico_sdk::{Context, Error, Result, calendar, numbers, settings};
use serde::{Deserialize, Serialize};

/// The processes, one document each.
pub const PROCESSES: Collection = Collection::new("processes");
/// Every release published, one document each.
pub const RELEASES: Collection = Collection::new("releases");

/// Where a process stands (the standard's tender status).
pub mod status {
    pub const PLANNING: &str = "planning";
    pub const ACTIVE: &str = "active";
    pub const COMPLETE: &str = "complete";
    pub const CANCELLED: &str = "cancelled";
    pub const UNSUCCESSFUL: &str = "unsuccessful";
    pub const ALL: [&str; 5] = [PLANNING, ACTIVE, COMPLETE, CANCELLED, UNSUCCESSFUL];
}

/// How bids are evaluated (the standard's award criteria).
pub const CRITERIA: [(&str, &str, &str); 2] = [
    ("priceOnly", "The lowest price", "Nejnižší nabídková cena"),
    (
        "ratedCriteria",
        "Weighted criteria of price and quality",
        "Ekonomická výhodnost podle vážených kritérií",
    ),
];

/// What is bought (the standard's main procurement category).
pub const CATEGORIES: [(&str, &str, &str); 3] = [
    ("goods", "Supplies", "Dodávky"),
    ("services", "Services", "Služby"),
    ("works", "Works", "Stavební práce"),
];

/// How much a process is worth decides which procedures it may use
/// (zákon č. 134/2016 Sb., §§ 24–27).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// A small-scale contract (§ 27), outside the act's procedures.
    Small,
    /// Below the EU threshold (§ 26).
    Below,
    /// At or above the EU threshold (§ 25).
    Above,
}

impl Regime {
    pub fn name(self, ctx: &Context) -> &'static str {
        match self {
            Regime::Small => ctx.tr("small-scale contract", "veřejná zakázka malého rozsahu"),
            Regime::Below => ctx.tr("below the EU threshold", "podlimitní"),
            Regime::Above => ctx.tr("above the EU threshold", "nadlimitní"),
        }
    }
}

/// A procedure: its code, the standard's method, its names, and the
/// regimes it may be used in.
pub struct Procedure {
    pub code: &'static str,
    pub method: &'static str,
    pub en: &'static str,
    pub cs: &'static str,
    pub regimes: &'static [Regime],
}

pub const PROCEDURES: [Procedure; 8] = [
    Procedure {
        code: "open",
        method: "open",
        en: "Open procedure",
        cs: "Otevřené řízení",
        regimes: &[Regime::Below, Regime::Above],
    },
    Procedure {
        code: "simplified",
        method: "open",
        en: "Simplified below-threshold procedure",
        cs: "Zjednodušené podlimitní řízení",
        regimes: &[Regime::Below],
    },
    Procedure {
        code: "restricted",
        method: "selective",
        en: "Restricted procedure",
        cs: "Užší řízení",
        regimes: &[Regime::Below, Regime::Above],
    },
    Procedure {
        code: "negotiated",
        method: "selective",
        en: "Negotiated procedure with publication",
        cs: "Jednací řízení s uveřejněním",
        regimes: &[Regime::Below, Regime::Above],
    },
    Procedure {
        code: "negotiated-without",
        method: "limited",
        en: "Negotiated procedure without publication",
        cs: "Jednací řízení bez uveřejnění",
        regimes: &[Regime::Below, Regime::Above],
    },
    Procedure {
        code: "small-call",
        method: "open",
        en: "Small-scale contract, published call",
        cs: "Zakázka malého rozsahu, uveřejněná výzva",
        regimes: &[Regime::Small],
    },
    Procedure {
        code: "small-invited",
        method: "limited",
        en: "Small-scale contract, invited suppliers",
        cs: "Zakázka malého rozsahu, oslovení dodavatelé",
        regimes: &[Regime::Small],
    },
    Procedure {
        code: "small-direct",
        method: "direct",
        en: "Small-scale contract, direct award",
        cs: "Zakázka malého rozsahu, přímé zadání",
        regimes: &[Regime::Small],
    },
];

pub fn procedure(code: &str) -> Option<&'static Procedure> {
    PROCEDURES.iter().find(|p| p.code == code)
}

/// Up to these, without VAT, a contract is small-scale (§ 27: "rovna nebo
/// nižší"): supplies and services, and works.
pub const SMALL_GOODS_CZK: f64 = 2_000_000.0;
pub const SMALL_WORKS_CZK: f64 = 6_000_000.0;

/// The EU thresholds for a region's or a municipality's contracts, in CZK
/// without VAT, as the administrator sets them from the government's
/// regulation in force (nařízení vlády č. 172/2016 Sb.).
pub fn eu_threshold(category: &str) -> Result<f64> {
    let (key, default) = if category == "works" {
        ("threshold-works", 139_624_000.0)
    } else {
        ("threshold-supplies", 5_572_000.0)
    };
    Ok(settings::get(key)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(default))
}

pub fn regime(category: &str, estimate: f64) -> Result<Regime> {
    let small = if category == "works" {
        SMALL_WORKS_CZK
    } else {
        SMALL_GOODS_CZK
    };
    Ok(if estimate <= small {
        Regime::Small
    } else if estimate < eu_threshold(category)? {
        Regime::Below
    } else {
        Regime::Above
    })
}

/// A part of what is bought, awarded on its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Lot {
    pub id: String,
    pub title: String,
    /// Its estimated value without VAT, CZK.
    pub value: f64,
    /// Empty while it is open or awarded; `unsuccessful` when it was closed
    /// without an award (no bid, none suitable), and why; `cancelled` when
    /// it was removed from the call after it was published.
    pub status: String,
    pub reason: String,
}

impl Lot {
    pub fn live(&self) -> bool {
        self.status != "cancelled"
    }
}

/// A bid received.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bid {
    pub id: String,
    pub lot: String,
    pub name: String,
    pub ico: String,
    /// Its price without VAT, CZK.
    pub amount: f64,
    pub received: String,
}

/// A lot awarded to a bid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Award {
    pub id: String,
    pub lot: String,
    pub bid: String,
    pub date: String,
    /// `active`, or `cancelled` when it was withdrawn.
    pub status: String,
    /// How the bids were evaluated: the committee's conclusion.
    pub evaluation: String,
}

/// A change of a tender or a contract after it was published or signed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Amendment {
    pub id: String,
    pub date: String,
    pub rationale: String,
    /// The contract's value after it, CZK without VAT (contracts only).
    pub value: Option<f64>,
}

/// A payment under a contract.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Payment {
    pub id: String,
    pub date: String,
    pub amount: f64,
    /// The invoice's number.
    pub invoice: String,
}

/// A question a supplier asked about the call, and the answer published.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Enquiry {
    pub id: String,
    /// The day it was answered.
    pub date: String,
    pub question: String,
    pub answer: String,
}

/// The contract signed for an award.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Deal {
    pub id: String,
    pub award: String,
    pub signed: String,
    pub start: String,
    pub end: String,
    /// Its value without VAT, CZK, as signed or last amended.
    pub value: f64,
    /// Its number in the organization's contract registry.
    pub registry: String,
    /// `active`, or `terminated` when it was fulfilled or ended.
    pub status: String,
    pub amendments: Vec<Amendment>,
    pub payments: Vec<Payment>,
    pub milestones: Vec<Milestone>,
}

/// Something the contract delivers by a day: a stage, a handover.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Milestone {
    pub id: String,
    pub title: String,
    pub due: String,
    /// The day it was met; empty while it is not.
    pub met: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Process {
    /// The Open Contracting ID: the publisher's prefix and this process's
    /// own part.
    pub ocid: String,
    /// Releases published so far.
    pub releases: u32,
    /// The last release's moment (RFC 3339), which sorts the lists.
    pub updated: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub procedure: String,
    /// The standard's method of `procedure`, kept for the statistics.
    pub method: String,
    /// Why a procedure without a published call was used.
    pub justification: String,
    /// How the bids are evaluated (the standard's award criteria):
    /// `priceOnly`, the lowest price, or `ratedCriteria`, the economic
    /// advantage by weighted criteria; and the criteria.
    pub criteria: String,
    pub criteria_details: String,
    /// Why it is bought (the plan).
    pub rationale: String,
    /// Where the money comes from (the plan).
    pub budget: String,
    /// Its estimated value without VAT, CZK: the lots' sum.
    pub estimate: f64,
    /// Its main subject's code in the Common Procurement Vocabulary.
    pub cpv: String,
    /// Where the call is published: the buyer's profile or the NEN.
    pub profile: String,
    pub status: String,
    /// The call's first day, and the last day to bid.
    pub tender_start: String,
    pub tender_end: String,
    pub lots: Vec<Lot>,
    pub bids: Vec<Bid>,
    pub awards: Vec<Award>,
    pub deals: Vec<Deal>,
    pub amendments: Vec<Amendment>,
    pub enquiries: Vec<Enquiry>,
    /// The fewest bids a lot awarded received (1: a single bid), 0 before
    /// any award: kept for the statistics.
    pub bidders: u32,
    /// The active awards' value, CZK without VAT.
    pub awarded: f64,
}

impl Process {
    pub fn lot(&self, id: &str) -> Option<&Lot> {
        self.lots.iter().find(|l| l.id == id)
    }

    /// The lots not removed from the call.
    pub fn live_lots(&self) -> impl Iterator<Item = &Lot> {
        self.lots.iter().filter(|l| l.live())
    }

    /// The lots still open: not awarded, not closed.
    pub fn open_lots(&self) -> impl Iterator<Item = &Lot> {
        self.live_lots()
            .filter(|l| l.status.is_empty() && self.award_of(&l.id).is_none())
    }

    pub fn bid(&self, id: &str) -> Option<&Bid> {
        self.bids.iter().find(|b| b.id == id)
    }

    pub fn award_of(&self, lot: &str) -> Option<&Award> {
        self.awards
            .iter()
            .find(|a| a.lot == lot && a.status == "active")
    }

    /// The bid a contract was signed on: its supplier and price.
    pub fn supplier_of(&self, deal: &Deal) -> Option<&Bid> {
        self.awards
            .iter()
            .find(|a| a.id == deal.award)
            .and_then(|a| self.bid(&a.bid))
    }

    pub fn deal_of(&self, award: &str) -> Option<&Deal> {
        self.deals.iter().find(|d| d.award == award)
    }

    /// Whether the call is out: bids may come, and awards follow.
    pub fn tendering(&self) -> bool {
        self.status == status::ACTIVE
    }

    /// Whether the bids are in: the last day for them has come. Until then
    /// they are sealed, and who bid is not recorded (nor published).
    pub fn bids_due(&self, today: &str) -> bool {
        !self.tender_end.is_empty() && self.tender_end.as_str() <= today
    }

    /// The figures the statistics count, and the status the lots give,
    /// after a change.
    pub fn settle(&mut self) {
        self.estimate = self.live_lots().map(|l| l.value).sum();
        self.method = procedure(&self.procedure)
            .map(|p| p.method.to_owned())
            .unwrap_or_default();
        let active: Vec<&Award> = self
            .awards
            .iter()
            .filter(|a| a.status == "active")
            .collect();
        self.awarded = active
            .iter()
            .filter_map(|a| self.bid(&a.bid))
            .map(|b| b.amount)
            .sum();
        self.bidders = active
            .iter()
            .map(|a| self.bids.iter().filter(|b| b.lot == a.lot).count() as u32)
            .min()
            .unwrap_or(0);
        let any_awarded = !active.is_empty();
        // Every lot awarded or closed: awarded when one was, else
        // unsuccessful.
        if self.status == status::ACTIVE
            && self.live_lots().next().is_some()
            && self.open_lots().next().is_none()
        {
            self.status = if !any_awarded {
                status::UNSUCCESSFUL
            } else {
                status::COMPLETE
            }
            .to_owned();
        }
    }
}

/// A release as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kept {
    pub ocid: String,
    pub seq: u32,
    pub date: String,
    /// What was done, as audited (`procurement.bid`).
    #[serde(default)]
    pub action: String,
    pub release: serde_json::Value,
}

/// Whether a method lets suppliers compete for the contract: only then
/// does a single bid say anything about the competition.
pub fn competitive(method: &str) -> bool {
    matches!(method, "open" | "selective")
}

pub fn process(id: &str) -> Result<Document<Process>> {
    PROCESSES.get::<Process>(id)
}

/// CZK as the reader's language writes it.
pub fn czk(ctx: &Context, amount: f64) -> String {
    numbers::money(amount, "CZK", ctx.lang())
}

/// A kept `YYYY-MM-DD` as the reader's language writes it.
pub fn date_text(ctx: &Context, kept: &str) -> String {
    calendar::format_date_text(kept, ctx.lang())
}

pub fn status_name(ctx: &Context, s: &str) -> &'static str {
    match s {
        status::PLANNING => ctx.tr("planned", "plánovaná"),
        status::ACTIVE => ctx.tr("tendering", "v zadávání"),
        status::COMPLETE => ctx.tr("awarded", "zadaná"),
        status::CANCELLED => ctx.tr("cancelled", "zrušená"),
        status::UNSUCCESSFUL => ctx.tr("no bid to award", "bez vhodné nabídky"),
        _ => "–",
    }
}

pub fn category_name(ctx: &Context, code: &str) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("–", |(_, en, cs)| ctx.tr(en, cs))
}

pub fn procedure_name(ctx: &Context, code: &str) -> &'static str {
    procedure(code).map_or("–", |p| ctx.tr(p.en, p.cs))
}

pub fn can_manage(ctx: &Context) -> bool {
    ctx.principal()
        .is_some_and(|p| p.has_permission("procurement.manage"))
}

pub fn clerk(ctx: &Context) -> Result<()> {
    if can_manage(ctx) {
        return Ok(());
    }
    Err(Error::forbidden(ctx.tr(
        "Only the procurement clerk may do this.",
        "Toto smí jen referent veřejných zakázek.",
    )))
}
