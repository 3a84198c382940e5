//! Approval flows merged across organizations: an organization submits a
//! request or a document to its founder, whose flow asks its approvers in
//! turn or all at once and decides by any, all or a quorum of them; the
//! approver is never the submitter, and an absent approver's substitute
//! is asked in their place for the dates given.
//!
//! - `mod.rs`: what is kept and the messages.
//! - `deciding.rs`: asking, deciding, the outcome, and what arrives.
//! - `pages.rs`: the founder's flows and absences, an organization's
//!   requests, the approver's one screen.

pub mod deciding;
pub mod pages;

use portico_sdk::records::{Collection, Document, Filters};
use portico_sdk::{Context, Error, Result};
use serde::{Deserialize, Serialize};

pub const FLOWS: Collection = Collection::new("flows");
pub const APPROVALS: Collection = Collection::new("approvals");
pub const ABSENCES: Collection = Collection::new("absences");

/// Whether the approvers are asked one after another or all at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    Sequential,
    Parallel,
}

/// How many approvals decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum Rule {
    /// One approval approves; it is rejected when every approver rejected.
    Any,
    /// Every approver must approve; one rejection rejects.
    All,
    /// `of` approvals approve; rejected once they can no longer be reached.
    Quorum { of: u32 },
}

/// An approver of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approver {
    pub user_id: String,
    pub name: String,
}

/// The founder's flow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flow {
    pub key: String,
    pub name: String,
    pub approvers: Vec<Approver>,
    pub order: Order,
    pub rule: Rule,
}

/// An approver away for some days, and who decides in their place.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Absence {
    pub user_id: String,
    pub substitute: Approver,
    /// YYYY-MM-DD, both included.
    pub from: String,
    pub until: String,
}

/// One approver's part in one approval.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// The flow's approver.
    pub approver: Approver,
    /// Who is asked now: the approver, or their substitute.
    #[serde(default)]
    pub asked: Option<Approver>,
    /// `Some(true)` approved, `Some(false)` rejected.
    #[serde(default)]
    pub decision: Option<bool>,
    /// Who decided (the approver or the substitute), and when.
    #[serde(default)]
    pub decided_by: String,
    #[serde(default)]
    pub decided_by_id: String,
    #[serde(default)]
    pub at: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pending,
    Approved,
    Rejected,
}

impl Outcome {
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Approved => "approved",
            Outcome::Rejected => "rejected",
        }
    }

    pub fn label(self, ctx: &Context) -> &'static str {
        match self {
            Outcome::Pending => ctx.tr("Waiting for the approvers", "Čeká na schvalovatele"),
            Outcome::Approved => ctx.tr("Approved", "Schváleno"),
            Outcome::Rejected => ctx.tr("Rejected", "Zamítnuto"),
        }
    }
}

/// A request for approval: the organization's, and the founder's copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Approval {
    pub key: String,
    /// The organization that asks.
    pub org: String,
    pub org_name: String,
    /// The founder's flow.
    pub flow: String,
    pub flow_name: String,
    pub title: String,
    #[serde(default)]
    pub text: String,
    /// Who submitted it (user id and name): never one of its approvers.
    pub submitter: Approver,
    pub submitted_at: String,
    pub outcome: Outcome,
    /// The founder's side only: each approver's part.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// The decision's note, as the organization reads it.
    #[serde(default)]
    pub note: String,
}

/// The messages of approvals.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Note {
    /// Down: the founder's flows, for an organization to choose from.
    Flows { flows: Vec<(String, String)> },
    /// Up: approve this.
    Requested { approval: Approval },
    /// Down: the outcome.
    Decided {
        key: String,
        outcome: Outcome,
        note: String,
    },
}

impl Note {
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Flows { .. } => "approval.flows",
            Note::Requested { .. } => "approval.requested",
            Note::Decided { .. } => "approval.decided",
        }
    }
}

/// The flows an organization can submit to, as its founder last sent them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Offered {
    pub founder: String,
    pub flows: Vec<(String, String)>,
    /// The message that brought the list: a list sent earlier but
    /// delivered later (messages may arrive out of order) never replaces
    /// a newer one.
    #[serde(default)]
    pub message: u64,
}

pub const OFFERED: Collection = Collection::new("offered");

pub fn flow_of(key: &str) -> Result<Document<Flow>> {
    FLOWS
        .find_by::<Flow>("key", key)?
        .ok_or_else(|| Error::not_found(format!("no flow {key}")))
}

/// The approval `key` of organization `org` (its own, or the founder's copy).
pub fn approval_of(key: &str, org: &str) -> Result<Document<Approval>> {
    APPROVALS
        .find()
        .eq("key", key)
        .eq("org", org)
        .limit(1)
        .fetch::<Approval>()?
        .documents
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found(format!("no approval {key}")))
}
