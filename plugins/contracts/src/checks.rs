//! The checks public auditors run on published contracts (those the
//! Hlídač státu service runs on every publisher), run here before a
//! contract is published: a contract may be saved failing them, and its
//! publication is recorded only once it passes them all.

use chrono::NaiveDate;
use portico_sdk::Context;
use serde::{Deserialize, Serialize};

use crate::model::{Contract, date_text};

/// A check a contract fails: its code, and what it names (an IČO, a date,
/// a contract's number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub code: String,
    #[serde(default)]
    pub arg: String,
}

fn problem(code: &str, arg: impl Into<String>) -> Problem {
    Problem {
        code: code.to_owned(),
        arg: arg.into(),
    }
}

/// Whether `id` looks like a data box's: 7 letters and digits.
pub fn valid_databox(id: &str) -> bool {
    id.len() == 7 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The checks `c` fails as of `today`; `parent` is the contract it amends
/// when that is in the registry.
pub fn run(c: &Contract, parent: Option<&Contract>, today: NaiveDate) -> Vec<Problem> {
    let mut out = Vec::new();
    if c.parties.is_empty() {
        out.push(problem("party", ""));
    }
    for p in &c.parties {
        if p.name.trim().is_empty() {
            out.push(problem("party-name", p.ico.clone()));
        }
        if !p.ico.is_empty() && !portico_sdk::ico::is_valid(&p.ico) {
            out.push(problem("ico", p.ico.clone()));
        }
        if !p.databox.is_empty() && !valid_databox(&p.databox) {
            out.push(problem("databox", p.databox.clone()));
        }
    }
    let today_text = today.to_string();
    if c.concluded > today_text {
        out.push(problem("future", c.concluded.clone()));
    }
    if let Some(p) = &c.publication
        && p.date > today_text
    {
        out.push(problem("future", p.date.clone()));
    }
    if !c.valid_to.is_empty() && !c.valid_from.is_empty() && c.valid_to < c.valid_from {
        out.push(problem("validity", c.valid_to.clone()));
    }
    if c.value_net.is_none() && c.no_value_reason.trim().is_empty() {
        out.push(problem("value", ""));
    }
    if !c.parent.is_empty() {
        match parent {
            None => out.push(problem("parent", c.parent.clone())),
            Some(p) if c.duty && p.duty && p.publication.is_none() => {
                out.push(problem("parent-unpublished", c.parent.clone()));
            }
            Some(_) => {}
        }
    }
    if c.duty && c.public_document.is_none() {
        out.push(problem("document", ""));
    }
    if c.redacted && c.redaction_reason.trim().is_empty() {
        out.push(problem("redaction", ""));
    }
    if c.exemption == "other" && c.exemption_note.trim().is_empty() {
        out.push(problem("exemption", ""));
    }
    out
}

/// What a failed check says, in the reader's language.
pub fn text(ctx: &Context, p: &Problem) -> String {
    let cs = ctx.is_czech();
    let a = &p.arg;
    match (p.code.as_str(), cs) {
        ("party", false) => "No other party is named.".into(),
        ("party", true) => "Chybí smluvní strana.".into(),
        ("party-name", false) if a.is_empty() => "A party without a name.".into(),
        ("party-name", true) if a.is_empty() => "Smluvní strana bez názvu.".into(),
        ("party-name", false) => format!("A party without a name (IČO {a})."),
        ("party-name", true) => format!("Smluvní strana bez názvu (IČO {a})."),
        ("ico", false) => format!("{a} is not a valid IČO: its check digit does not match."),
        ("ico", true) => format!("{a} není platné IČO: nesouhlasí kontrolní číslice."),
        ("databox", false) => {
            format!("{a} is not a data box ID (7 characters: letters and digits).")
        }
        ("databox", true) => {
            format!("{a} není platné ID datové schránky (7 znaků: písmena a číslice).")
        }
        ("future", false) => format!("The date {} is in the future.", date_text(ctx, a)),
        ("future", true) => format!("Datum {} je v budoucnosti.", date_text(ctx, a)),
        ("validity", false) => format!(
            "The end of its validity ({}) comes before its start.",
            date_text(ctx, a)
        ),
        ("validity", true) => format!(
            "Konec platnosti ({}) předchází jejímu začátku.",
            date_text(ctx, a)
        ),
        ("value", false) => "No value, and no reason why it is not stated.".into(),
        ("value", true) => "Chybí hodnota i důvod, proč není uvedena.".into(),
        ("parent", false) => {
            format!("It amends contract {a}, which is not in the registry.")
        }
        ("parent", true) => format!("Mění smlouvu {a}, která v evidenci není."),
        ("parent-unpublished", false) => {
            format!("It amends contract {a}, which is not published yet: publish that first.")
        }
        ("parent-unpublished", true) => {
            format!("Mění smlouvu {a}, která ještě není uveřejněna: uveřejněte nejprve ji.")
        }
        ("document", false) => {
            "No version to publish (with what may not be published redacted).".into()
        }
        ("document", true) => {
            "Chybí verze k uveřejnění (se znečitelněným tím, co se neuveřejňuje).".into()
        }
        ("redaction", false) => "Parts are redacted, and the reason is not stated.".into(),
        ("redaction", true) => "Části jsou znečitelněné a chybí důvod.".into(),
        ("exemption", false) => "For the exemption “other”, name its provision in the note.".into(),
        ("exemption", true) => "U výjimky „jiná“ uveďte v poznámce ustanovení.".into(),
        (other, _) => other.to_owned(),
    }
}
