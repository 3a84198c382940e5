//! The identification number of a Czech body or a person in business
//! (IČO): eight digits, the last the check digit of the seven before
//! (weights 8 down to 2, modulo 11; a remainder of 0 calls for 1, of 1
//! for 0, of r for 11 − r).

/// The check digit the first seven digits of `ico` call for, when `ico`
/// is eight ASCII digits.
pub fn expected_check_digit(ico: &str) -> Option<u32> {
    if ico.len() != 8 || !ico.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = ico
        .bytes()
        .take(7)
        .zip((2..=8).rev())
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some((11 - sum % 11) % 10)
}

/// Whether `ico` is eight digits ending in their check digit.
pub fn is_valid(ico: &str) -> bool {
    expected_check_digit(ico).is_some_and(|d| ico.ends_with(char::from_digit(d, 10).unwrap_or('x')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_bodies_pass_and_a_changed_digit_does_not() {
        // The City of Prague, the South Moravian Region, and remainders of
        // 0 and 1 (check digits 1 and 0).
        for ico in ["00064581", "70888337", "25317075", "27082440"] {
            assert!(is_valid(ico), "{ico}");
        }
        assert!(!is_valid("70888338"));
        assert!(!is_valid("7088833"));
        assert!(!is_valid("7088833a"));
        assert_eq!(expected_check_digit("70888330"), Some(7));
    }
}
