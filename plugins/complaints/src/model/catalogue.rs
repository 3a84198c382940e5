//! The categories of reports (Open311's services): the unit and the
//! legal deadline of each, the extra questions it asks and the checks of
//! their answers, and reading the categories back.

use chrono::DateTime;
use portico_sdk::records::Document;
use portico_sdk::{Error, Result};
use serde::{Deserialize, Serialize};

use super::dates::parse_date;
use super::{CATEGORIES, MOST};

/// A category of reports: Open311's service.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Category {
    /// Open311's `service_code`, e.g. `pothole`.
    pub code: String,
    /// Its name in Czech, the portal's language.
    pub name: String,
    /// Its name in English; empty: the Czech one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_en: String,
    #[serde(default)]
    pub description: String,
    /// Open311's `group`, e.g. `Roads`.
    #[serde(default)]
    pub group: String,
    /// Open311's `keywords`, comma separated.
    #[serde(default)]
    pub keywords: String,
    /// The unit that handles reports of this category.
    pub unit: String,
    /// The unit's mailbox: reminders of near deadlines go there.
    #[serde(default)]
    pub email: String,
    /// The legal deadline, in days from the report.
    pub deadline_days: u32,
    /// Extra questions asked of every report of this category.
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

/// An extra question of a category (Open311's attribute).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attribute {
    pub code: String,
    pub description: String,
    /// `string`, `number`, `datetime`, `text`, `singlevaluelist` or `multivaluelist`.
    pub datatype: String,
    pub required: bool,
    /// The allowed answers of a list: (key, name).
    #[serde(default)]
    pub values: Vec<(String, String)>,
}

pub const DATATYPES: [&str; 6] = [
    "string",
    "number",
    "datetime",
    "text",
    "singlevaluelist",
    "multivaluelist",
];

impl Attribute {
    fn is_list(&self) -> bool {
        self.datatype.ends_with("valuelist")
    }

    /// Checks one answer; `None` when it is fine.
    pub fn check(&self, values: &[String], en: bool) -> Option<String> {
        let values: Vec<&str> = values
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        let t = |e: &str, c: &str| Some(if en { e } else { c }.to_owned());
        if values.is_empty() {
            return if self.required {
                t("Answer this question.", "Odpovězte prosím.")
            } else {
                None
            };
        }
        if values.len() > 1 && self.datatype != "multivaluelist" {
            return t("Give one answer only.", "Uveďte jen jednu odpověď.");
        }
        for v in &values {
            let wrong = match self.datatype.as_str() {
                "number" => v.parse::<f64>().map_or(true, |n| !n.is_finite()),
                "datetime" => DateTime::parse_from_rfc3339(v).is_err() && parse_date(v).is_none(),
                _ if self.is_list() => !self.values.iter().any(|(k, _)| k == v),
                _ => v.chars().count() > 2000,
            };
            if wrong {
                let keys: Vec<&str> = self.values.iter().map(|(k, _)| k.as_str()).collect();
                return match self.datatype.as_str() {
                    "number" => t("Give a number.", "Zadejte číslo."),
                    "datetime" => t(
                        "Give a date (YYYY-MM-DD) or a date and time.",
                        "Zadejte datum (RRRR-MM-DD) nebo datum a čas.",
                    ),
                    _ if self.is_list() => Some(format!(
                        "{} `{v}`: {} {}.",
                        if en {
                            "There is no answer"
                        } else {
                            "Odpověď"
                        },
                        if en {
                            "choose one of"
                        } else {
                            "není na výběr; zvolte"
                        },
                        keys.join(", ")
                    )),
                    _ => t(
                        "Use at most 2000 characters.",
                        "Použijte nejvýše 2000 znaků.",
                    ),
                };
            }
        }
        None
    }
}

pub fn categories() -> Result<Vec<Category>> {
    let mut all: Vec<Category> = CATEGORIES
        .find()
        .sort("code")
        .fetch_all(MOST)?
        .into_iter()
        .map(|d| d.data)
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

pub fn category(code: &str) -> Result<Document<Category>> {
    CATEGORIES
        .find_by::<Category>("code", code)?
        .ok_or_else(|| Error::not_found(format!("no category `{code}`")))
}

impl Category {
    /// Its name in English (`en`) or Czech.
    pub fn name_in(&self, en: bool) -> &str {
        if en && !self.name_en.is_empty() {
            &self.name_en
        } else {
            &self.name
        }
    }
}

/// The category's name in English (`en`) or Czech, or its code when it
/// is gone.
pub fn category_name(all: &[Category], code: &str, en: bool) -> String {
    all.iter()
        .find(|c| c.code == code)
        .map_or_else(|| code.to_owned(), |c| c.name_in(en).to_owned())
}

/// The category's name in both languages, for messages: (English, Czech).
pub fn category_names(all: &[Category], code: &str) -> (String, String) {
    (
        category_name(all, code, true),
        category_name(all, code, false),
    )
}
