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

/// An address point of the register.
#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    /// Its RÚIAN code, the same in every edition: keep it to refer to the place.
    pub code: i64,
    /// As a letter is addressed: `Údolní 567/53, Veveří, 602 00 Brno`.
    pub label: String,
    /// The street; `None` in a village without streets.
    pub street: Option<String>,
    /// The building's number: `567/53`, `č. ev. 12`.
    pub number: String,
    /// The part of the municipality (část obce).
    pub part: String,
    /// The municipality (obec).
    pub municipality: String,
    /// The city district, where there is one.
    pub district: Option<String>,
    /// The postcode, five digits.
    pub postcode: String,
    /// Latitude and longitude in WGS 84 degrees, when the register has them.
    pub position: Option<(f64, f64)>,
    /// Whether the latest edition of the register no longer lists it.
    pub retired: bool,
}

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

/// The distance between two WGS 84 positions, in metres (haversine).
pub fn metres(from: (f64, f64), to: (f64, f64)) -> f64 {
    const EARTH: f64 = 6_371_008.8;
    let (p1, p2) = (from.0.to_radians(), to.0.to_radians());
    let dp = p2 - p1;
    let dl = (to.1 - from.1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_degree_of_latitude_is_about_111_km() {
        let m = super::metres((49.0, 16.6), (50.0, 16.6));
        assert!((m - 111_195.0).abs() < 10.0, "{m}");
        assert_eq!(super::metres((49.2, 16.6), (49.2, 16.6)), 0.0);
    }
}
