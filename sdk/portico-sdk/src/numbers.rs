//! Numbers as a person reads them in their language: Czech writes a
//! decimal comma and parts numbers of five digits and more into groups of
//! three with a (non-breaking) space — `44,5`, `1250`, `52 830` — English
//! a decimal point and thousands separated by commas — `44.5`, `1,250`,
//! `52,830`. Files for machines (CSV, JSON) keep the number as it is.
//!
//! ```
//! use portico_sdk::numbers::format;
//!
//! assert_eq!(format(52830.0, "cs"), "52\u{a0}830");
//! assert_eq!(format(587.3, "cs"), "587,3");
//! assert_eq!(format(52830.0, "en"), "52,830");
//! ```

/// `n` as the language of `locale` (`cs…` or anything else for English)
/// writes it, with as many decimals as it has: the host's own way
/// (`portico_types::written`), so a module's numbers read as the
/// portal's.
pub fn format(n: f64, locale: &str) -> String {
    portico_types::written::number(n, locale)
}

/// A number as a person types it into a form: spaces (also no-break ones)
/// between groups of digits, a decimal comma or point; `None` when there
/// is none, or it is not a finite number.
///
/// ```
/// use portico_sdk::numbers::parse;
///
/// assert_eq!(parse("1 250,50"), Some(1250.5));
/// assert_eq!(parse("52\u{a0}400"), Some(52400.0));
/// assert_eq!(parse(" "), None);
/// assert_eq!(parse("12 kusů"), None);
/// ```
pub fn parse(text: &str) -> Option<f64> {
    let t = text.replace([' ', '\u{a0}'], "").replace(',', ".");
    if t.is_empty() {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// An amount of money rounded to hundredths, with its currency: `Kč` for
/// Czech koruna in Czech, the ISO code otherwise (`52 830 Kč`,
/// `52,830 CZK`, `1 250,5 EUR`); an empty currency is CZK.
///
/// ```
/// use portico_sdk::numbers::money;
///
/// assert_eq!(money(52830.0, "CZK", "cs"), "52\u{a0}830 Kč");
/// assert_eq!(money(52830.0, "", "en"), "52,830 CZK");
/// assert_eq!(money(1250.504, "EUR", "cs"), "1250,5 EUR");
/// ```
pub fn money(amount: f64, currency: &str, locale: &str) -> String {
    let rounded = (amount * 100.0).round() / 100.0;
    let currency = if currency.is_empty() { "CZK" } else { currency };
    let unit = if currency == "CZK" && locale.starts_with("cs") {
        "Kč"
    } else {
        currency
    };
    format!("{} {unit}", format(rounded, locale))
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn czech_groups_five_digits_and_more_and_writes_a_decimal_comma() {
        assert_eq!(format(0.0, "cs"), "0");
        assert_eq!(format(1250.0, "cs"), "1250");
        assert_eq!(format(41250.0, "cs"), "41\u{a0}250");
        assert_eq!(format(1_234_567.25, "cs-CZ"), "1\u{a0}234\u{a0}567,25");
        assert_eq!(format(-52830.5, "cs"), "-52\u{a0}830,5");
        assert_eq!(format(0.1, "cs"), "0,1");
    }

    #[test]
    fn english_groups_thousands_with_commas_and_writes_a_decimal_point() {
        assert_eq!(format(999.0, "en"), "999");
        assert_eq!(format(1250.0, "en"), "1,250");
        assert_eq!(format(1_234_567.25, "en"), "1,234,567.25");
        assert_eq!(format(-44.5, "en"), "-44.5");
    }
}
