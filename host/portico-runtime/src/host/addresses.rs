//! `addresses`: the address register, the same public data for every
//! organization. The embedder looks it up; the runtime bounds what a
//! module may ask for.

use super::{CallState, HostResult, invalid};
use crate::backend::Address;
use crate::bindings::v0_1_0::generated::portico::plugin::types;
use crate::bindings::v0_4_0::generated::portico::plugin0_4_0::{addresses, types as wit};
use crate::manifest::Capability;

/// The most addresses one search returns.
const MOST: u32 = 50;

impl From<Address> for wit::Address {
    fn from(a: Address) -> Self {
        wit::Address {
            code: a.code,
            label: a.label,
            street: a.street,
            number: a.number,
            part: a.part,
            municipality: a.municipality,
            district: a.district,
            postcode: a.postcode,
            latitude: a.position.map(|p| p.0),
            longitude: a.position.map(|p| p.1),
            retired: a.retired,
        }
    }
}

impl addresses::Host for CallState {
    async fn search(&mut self, query: String, limit: u32) -> HostResult<Vec<wit::Address>> {
        if query.len() > 200 {
            return Err(invalid("query", "is longer than 200 bytes"));
        }
        let work = self.work(Capability::Addresses).await?;
        Ok(work
            .search_addresses(&query, limit.min(MOST) as usize)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn nearest(&mut self, latitude: f64, longitude: f64) -> HostResult<Option<wit::Nearby>> {
        if !(-90.0..=90.0).contains(&latitude) {
            return Err(invalid("latitude", "must be from -90 to 90"));
        }
        if !(-180.0..=180.0).contains(&longitude) {
            return Err(invalid("longitude", "must be from -180 to 180"));
        }
        let work = self.work(Capability::Addresses).await?;
        Ok(work
            .nearest_address(latitude, longitude)
            .await?
            .map(|(address, metres)| wit::Nearby {
                address: address.into(),
                metres,
            }))
    }

    async fn get(&mut self, code: i64) -> HostResult<wit::Address> {
        let work = self.work(Capability::Addresses).await?;
        match work.address(code).await? {
            Some(a) => Ok(a.into()),
            None => Err(types::Error::NotFound(format!(
                "the address register has no address point {code}"
            ))
            .into()),
        }
    }
}

impl wit::Host for CallState {}
