//! `orgs`: where the calling organization stands in the tree. The line
//! (itself, above, below) comes from the embedder; any other organization
//! is `not-found`, with the same words as one that does not exist.

use super::{CallState, HostResult};
use crate::backend::{OrgKind, Organization};
use crate::bindings::v0_1_0::generated::portico::plugin::types;
use crate::bindings::v0_3_0::generated::portico::plugin0_3_0::{orgs, types as wit};
use crate::manifest::Capability;

impl orgs::Host for CallState {
    async fn current(&mut self) -> HostResult<wit::Organization> {
        let line = self.org_line(Capability::Orgs).await?;
        Ok(line.current.clone().into())
    }

    async fn ancestors(&mut self) -> HostResult<Vec<wit::Organization>> {
        let line = self.org_line(Capability::Orgs).await?;
        Ok(line.ancestors.iter().cloned().map(Into::into).collect())
    }

    async fn descendants(
        &mut self,
        kind: Option<wit::OrgKind>,
        category: Option<String>,
    ) -> HostResult<Vec<wit::Organization>> {
        let line = self.org_line(Capability::Orgs).await?;
        let kind = kind.map(OrgKind::from);
        Ok(line
            .descendants
            .iter()
            .filter(|o| kind.is_none_or(|k| o.kind == k))
            .filter(|o| category.is_none() || o.category == category)
            .cloned()
            .map(Into::into)
            .collect())
    }

    async fn get(&mut self, id: String) -> HostResult<wit::Organization> {
        let line = self.org_line(Capability::Orgs).await?;
        match line.find(&id) {
            Some(o) => Ok(o.clone().into()),
            None => Err(types::Error::NotFound(not_in_line(&id)).into()),
        }
    }
}

impl wit::Host for CallState {}

/// What a module reads of an organization it may not see: the same as of
/// one that does not exist.
pub(crate) fn not_in_line(id: &str) -> String {
    format!("no organization `{id}` above or below this one")
}

impl From<wit::OrgKind> for OrgKind {
    fn from(k: wit::OrgKind) -> Self {
        match k {
            wit::OrgKind::Region => OrgKind::Region,
            wit::OrgKind::City => OrgKind::City,
            wit::OrgKind::Organization => OrgKind::Organization,
            wit::OrgKind::Unit => OrgKind::Unit,
        }
    }
}

impl From<Organization> for wit::Organization {
    fn from(o: Organization) -> Self {
        wit::Organization {
            id: o.id,
            name: o.name,
            kind: match o.kind {
                OrgKind::Region => wit::OrgKind::Region,
                OrgKind::City => wit::OrgKind::City,
                OrgKind::Organization => wit::OrgKind::Organization,
                OrgKind::Unit => wit::OrgKind::Unit,
            },
            category: o.category,
            ico: o.ico,
            address: o.address,
            parent: o.parent,
            module_enabled: o.module_enabled,
        }
    }
}
