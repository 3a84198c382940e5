//! The few words the runtime and the platform share. Each is one type,
//! used by both as it is: the runtime hands a module's filter or file to
//! the platform, and the platform's log-in to a module, without a copy of
//! the type on each side and a conversion between them. The runtime knows
//! nothing of the platform, nor the platform of the runtime: both depend
//! on this crate, which depends on nothing of Portico's. `written` is how
//! each language writes numbers, dates and moments, for the host's pages
//! and messages and, through the SDK, for the modules; `folding` is how
//! search compares Czech text; `ico` a body's identification number and
//! its check digit; `places` an address of the register and
//! the distance of two positions; [`Outgoing`] a module's request to a
//! system outside the portal, which the runtime checks and the platform
//! keeps for delivery.

use serde::{Deserialize, Serialize};

pub mod folding;
pub mod ico;
pub mod places;
pub mod written;

/// How strongly an identity was verified: the eIDAS levels of assurance,
/// below them a local account, and nobody. Ordered from weakest to
/// strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Assurance {
    /// Nobody is logged in.
    Anonymous,
    /// A local account or an unverified identity.
    Registered,
    /// eIDAS level "substantial".
    Substantial,
    /// eIDAS level "high".
    High,
}

impl Assurance {
    /// Every level, weakest first.
    pub const ALL: [Assurance; 4] = [
        Assurance::Anonymous,
        Assurance::Registered,
        Assurance::Substantial,
        Assurance::High,
    ];

    /// The level's name, as stored and as the manifest writes it.
    pub fn name(self) -> &'static str {
        match self {
            Assurance::Anonymous => "anonymous",
            Assurance::Registered => "registered",
            Assurance::Substantial => "substantial",
            Assurance::High => "high",
        }
    }

    /// The level of a name, if it is one.
    pub fn parse(s: &str) -> Option<Assurance> {
        Assurance::ALL.into_iter().find(|a| a.name() == s)
    }
}

/// The retention mark of the records schedule (spisový a skartační plán).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RetentionMark {
    /// `A`: of lasting value, handed to the archive when the period ends.
    A,
    /// `S`: destroyed when the period ends.
    S,
    /// `V`: the archivist decides when the period ends.
    V,
}

impl RetentionMark {
    /// The mark as a letter.
    pub fn letter(self) -> &'static str {
        match self {
            RetentionMark::A => "A",
            RetentionMark::S => "S",
            RetentionMark::V => "V",
        }
    }

    /// The mark of a letter, if it is one.
    pub fn from_letter(s: &str) -> Option<RetentionMark> {
        [RetentionMark::A, RetentionMark::S, RetentionMark::V]
            .into_iter()
            .find(|m| m.letter() == s)
    }
}

/// How a filter on an indexed field of a record compares. On text,
/// equality and prefix compare folded (`folding::fold`: case and
/// diacritics aside, `Údolní` equals `udolni`); the ranges compare by code
/// point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// Equal.
    Eq,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Text starting with the value.
    Prefix,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_letters_read_back() {
        for a in Assurance::ALL {
            assert_eq!(Assurance::parse(a.name()), Some(a));
        }
        assert_eq!(Assurance::parse("eidas"), None);
        assert!(Assurance::Registered < Assurance::Substantial);
        for m in [RetentionMark::A, RetentionMark::S, RetentionMark::V] {
            assert_eq!(RetentionMark::from_letter(m.letter()), Some(m));
        }
        assert_eq!(RetentionMark::from_letter("X"), None);
    }
}

/// A request to a system outside the portal, through one of a module's
/// connections: checked by the runtime against the manifest, sent by the
/// host, kept by the platform while it waits for delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// The method, upper case.
    pub method: String,
    /// The path below the connection's base address.
    pub path: String,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Headers, lower-case names; none the host sets.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}
