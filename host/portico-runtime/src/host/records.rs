//! `records`: the module's collections in the calling organization, only
//! those its manifest declares.

use std::sync::Arc;

use super::{CallState, HostResult, invalid};
use crate::backend::{CollectionRef, Work};
use crate::bindings::v0_1_0::generated::portico::plugin::records;
use crate::manifest::{Capability, Manifest};

impl CallState {
    /// The manifest that declares the collection `name`, and the call's
    /// unit of work, once `records` is granted.
    async fn records(&mut self, name: &str) -> HostResult<(Arc<Manifest>, &mut Box<dyn Work>)> {
        self.grant(Capability::Records)?;
        let manifest = self.caller.manifest.clone();
        if !manifest.collections.contains_key(name) {
            let declared: Vec<&str> = manifest.collections.keys().map(String::as_str).collect();
            return Err(invalid(
                "collection",
                format!(
                    "the manifest declares no collection `{name}` (declared: {})",
                    if declared.is_empty() {
                        "none".to_owned()
                    } else {
                        declared.join(", ")
                    }
                ),
            ));
        }
        Ok((manifest, self.work(Capability::Records).await?))
    }
}

/// The collection `name` of `manifest`, which declares it.
fn declared<'a>(manifest: &'a Manifest, name: &'a str) -> CollectionRef<'a> {
    CollectionRef {
        name,
        spec: &manifest.collections[name],
    }
}

impl records::Host for CallState {
    async fn get(&mut self, collection: String, id: String) -> HostResult<records::Document> {
        let (m, work) = self.records(&collection).await?;
        Ok(work.get(declared(&m, &collection), &id).await?.into())
    }

    async fn insert(&mut self, collection: String, data: String) -> HostResult<records::Document> {
        let (m, work) = self.records(&collection).await?;
        Ok(work.insert(declared(&m, &collection), &data).await?.into())
    }

    async fn update(
        &mut self,
        collection: String,
        id: String,
        expected_version: u64,
        data: String,
    ) -> HostResult<records::Document> {
        let (m, work) = self.records(&collection).await?;
        let c = declared(&m, &collection);
        Ok(work.update(c, &id, expected_version, &data).await?.into())
    }

    async fn delete(
        &mut self,
        collection: String,
        id: String,
        expected_version: u64,
    ) -> HostResult<()> {
        let (m, work) = self.records(&collection).await?;
        let c = declared(&m, &collection);
        Ok(work.delete(c, &id, expected_version).await?)
    }

    async fn find(&mut self, collection: String, q: records::Query) -> HostResult<records::Page> {
        let (m, work) = self.records(&collection).await?;
        Ok(work
            .query(declared(&m, &collection), q.into())
            .await?
            .into())
    }

    async fn aggregate(
        &mut self,
        collection: String,
        filters: Vec<records::Filter>,
        group_by: String,
        sum: Option<String>,
    ) -> HostResult<Vec<records::Group>> {
        let filters = filters.into_iter().map(Into::into).collect();
        let (m, work) = self.records(&collection).await?;
        let c = declared(&m, &collection);
        let groups = work
            .aggregate(c, filters, &group_by, sum.as_deref())
            .await?;
        Ok(groups.into_iter().map(Into::into).collect())
    }
}
