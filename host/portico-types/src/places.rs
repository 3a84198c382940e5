//! Places: an address point of the register as the platform reads it and
//! the runtime hands it to a module, and the distance of two positions.

/// One address point of the register (RÚIAN).
#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    /// Its RÚIAN code (kód adresního místa), the same in every edition.
    pub code: i64,
    /// The address as a letter is addressed: `Údolní 567/53, Veveří, 602 00 Brno`.
    pub label: String,
    /// The street; `None` in a village without streets.
    pub street: Option<String>,
    /// The building's number: `567`, `567/53a`, or `č. ev. 12`.
    pub number: String,
    /// The part of the municipality (část obce).
    pub part: String,
    /// The municipality (obec).
    pub municipality: String,
    /// The city district (městský obvod / část), where there is one.
    pub district: Option<String>,
    /// The postcode, five digits.
    pub postcode: String,
    /// Its position in WGS 84 (latitude, longitude), when the register has one.
    pub position: Option<(f64, f64)>,
    /// Whether the latest edition of its municipality no longer lists it.
    pub retired: bool,
}

/// The distance between two WGS 84 positions (latitude, longitude), in
/// metres (haversine).
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
