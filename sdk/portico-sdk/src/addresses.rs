//! The address register: the Czech address points (RÚIAN) the portal's
//! administrators import, the same for every organization. Find a place by
//! what a person typed, or the address of a position. Needs `addresses` in
//! the manifest's `capabilities`.
//!
//! ```no_run
//! # fn f() -> portico_sdk::Result<()> {
//! use portico_sdk::addresses;
//! // What the citizen typed, without diacritics.
//! for a in addresses::search("udolni 53", 5)? {
//!     println!("{} at {:?}", a.label, a.position);
//! }
//! // The address of the pin they placed.
//! if let Some((a, metres)) = addresses::nearest(49.19902, 16.59594)? {
//!     println!("{} ({metres:.0} m away)", a.label);
//! }
//! # Ok(()) }
//! ```

use crate::Result;
use crate::wit::portico::plugin0_4_0::{addresses, types as wit};

pub use portico_types::places::{Address, metres};

impl From<wit::Address> for Address {
    fn from(a: wit::Address) -> Address {
        Address {
            code: a.code,
            label: a.label,
            street: a.street,
            number: a.number,
            part: a.part,
            municipality: a.municipality,
            district: a.district,
            postcode: a.postcode,
            position: a.latitude.zip(a.longitude),
            retired: a.retired,
        }
    }
}

/// The current addresses whose words begin with every word of `query`, in
/// any case and with or without diacritics; whole words first; at most
/// `limit` (the host gives at most 50).
pub fn search(query: &str, limit: u32) -> Result<Vec<Address>> {
    Ok(addresses::search(query, limit)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The current address nearest to a position (WGS 84 degrees) within about
/// 7 km, and how far it is in metres.
pub fn nearest(latitude: f64, longitude: f64) -> Result<Option<(Address, f64)>> {
    Ok(addresses::nearest(latitude, longitude)?.map(|n| (n.address.into(), n.metres)))
}

/// The address with `code`, retired or not.
pub fn get(code: i64) -> Result<Address> {
    Ok(addresses::get(code)?.into())
}
