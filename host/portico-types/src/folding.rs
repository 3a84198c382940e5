//! How search compares Czech text: lower case and without diacritics, so
//! that `udolni`, `ÚDOLNÍ` and `Údolní` are one word, on SQLite as on
//! PostgreSQL. The host folds what it stores and what it is asked for
//! alike, and never asks a database to fold (SQLite's `lower()` knows
//! ASCII only).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `text` lower case, its diacritics dropped: `Žabovřesky` → `zabovresky`.
/// Folding twice gives what folding once gave.
pub fn fold(text: &str) -> String {
    // Lower case first: a capital's lower case may carry a mark of its own
    // (`İ` → `i̇`), which the decomposition then drops.
    text.chars()
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect()
}

/// The longest word, in characters: a longer run is cut to it.
pub const MAX_WORD: usize = 60;

/// The words of `text`, folded: each run of letters and digits, at most
/// [`MAX_WORD`] characters.
/// `RPT-2026/0042, Údolní 12` → `rpt`, `2026`, `0042`, `udolni`, `12`.
pub fn words(text: &str) -> impl Iterator<Item = String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_WORD).collect())
        .collect::<Vec<_>>()
        .into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn czech_letters_fold_to_their_base() {
        assert_eq!(fold("Žabovřesky"), "zabovresky");
        assert_eq!(fold("ÚDOLNÍ"), "udolni");
        assert_eq!(
            fold("Příliš žluťoučký kůň úpěl ďábelské ódy"),
            "prilis zlutoucky kun upel dabelske ody"
        );
        assert_eq!(fold("İstanbul"), "istanbul");
    }

    #[test]
    fn folding_is_idempotent() {
        for s in ["Žabovřesky", "İ", "ǅ", "ﬁ", "Ω", "ÅNGSTRÖM"] {
            assert_eq!(fold(&fold(s)), fold(s), "{s}");
        }
    }

    #[test]
    fn words_are_runs_of_letters_and_digits() {
        let w: Vec<String> = words("RPT-2026/0042, Údolní 12").collect();
        assert_eq!(w, ["rpt", "2026", "0042", "udolni", "12"]);
        assert_eq!(words(" – ").count(), 0);
    }
}
