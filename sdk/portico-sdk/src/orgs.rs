//! Where the calling organization stands in the tree: a region or a city
//! at the root, the organizations it founded (schools, hospitals, the road
//! administration…) below it, their units below them. A module sees only
//! the caller's own line (the organizations above it and below it); any
//! other organization is `not found`, as if it did not exist. Needs `orgs`
//! in the manifest's `capabilities`.
//!
//! ```no_run
//! # fn f() -> portico_sdk::Result<()> {
//! use portico_sdk::orgs::{self, Kind};
//! // Every school below the region, with this module enabled there.
//! let schools: Vec<_> = orgs::descendants(Some(Kind::Organization), Some("school"))?
//!     .into_iter()
//!     .filter(|o| o.module_enabled)
//!     .collect();
//! # Ok(()) }
//! ```

use crate::wit::portico::plugin0_3_0::{orgs, types as wit};
use crate::{Context, Result};

/// What kind of body an organization is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A region (kraj): a root.
    Region,
    /// A city or municipality: a root.
    City,
    /// An organization founded by a region, a city or another organization.
    Organization,
    /// A unit (department, branch) of an organization.
    Unit,
}

/// An organization of the caller's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Its identifier, as in its addresses.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// What it does, e.g. `school`, `hospital`, if its administrator said.
    pub category: Option<String>,
    /// Its identification number (IČO).
    pub ico: Option<String>,
    /// Its postal address, on one line.
    pub address: Option<String>,
    /// The organization directly above it; `None` for a root.
    pub parent: Option<String>,
    /// Whether this module is enabled there: only then can it send or
    /// receive [messages](crate::messages).
    pub module_enabled: bool,
}

/// The calling organization.
pub fn current() -> Result<Organization> {
    Ok(orgs::current()?.into())
}

/// The organizations above the caller: its parent first, the root last.
pub fn ancestors() -> Result<Vec<Organization>> {
    Ok(orgs::ancestors()?.into_iter().map(Into::into).collect())
}

/// The organizations below the caller, at every depth, each after its
/// parent, siblings by name; only those of `kind` and of `category` when
/// given.
pub fn descendants(kind: Option<Kind>, category: Option<&str>) -> Result<Vec<Organization>> {
    Ok(orgs::descendants(kind.map(Into::into), category)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// One organization of the caller's line, by id.
pub fn get(id: &str) -> Result<Organization> {
    Ok(orgs::get(id)?.into())
}

/// Organization `id` if it stands directly below the caller; `None` if
/// not, or if it is not in the caller's line: whether a message's sender
/// may report to the caller as one of its organizations.
pub fn child(ctx: &Context, id: &str) -> Option<Organization> {
    get(id)
        .ok()
        .filter(|o| o.parent.as_deref() == Some(ctx.org_id()))
}

impl From<Kind> for wit::OrgKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Region => wit::OrgKind::Region,
            Kind::City => wit::OrgKind::City,
            Kind::Organization => wit::OrgKind::Organization,
            Kind::Unit => wit::OrgKind::Unit,
        }
    }
}

impl From<wit::Organization> for Organization {
    fn from(o: wit::Organization) -> Self {
        Organization {
            id: o.id,
            name: o.name,
            kind: match o.kind {
                wit::OrgKind::Region => Kind::Region,
                wit::OrgKind::City => Kind::City,
                wit::OrgKind::Organization => Kind::Organization,
                wit::OrgKind::Unit => Kind::Unit,
            },
            category: o.category,
            ico: o.ico,
            address: o.address,
            parent: o.parent,
            module_enabled: o.module_enabled,
        }
    }
}
