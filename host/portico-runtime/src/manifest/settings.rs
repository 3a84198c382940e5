//! A module's settings schema: the type and range of each setting an
//! administrator sets, and [`SettingSpec::check`], which the console, the
//! command line and the test kit all check a value with, so they refuse
//! alike and say why in the same words.

use serde::{Deserialize, Serialize};

/// The type of a setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SettingType {
    /// Any text.
    String,
    /// A whole or decimal number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A JSON document.
    Json,
}

/// One setting of the module.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingSpec {
    /// The type of its value.
    #[serde(rename = "type")]
    pub kind: SettingType,
    /// The label an administrator sees.
    #[serde(default)]
    pub label: String,
    /// The value when an administrator set none.
    #[serde(default)]
    pub default: Option<String>,
    /// The smallest value a number setting takes.
    #[serde(default)]
    pub min: Option<f64>,
    /// The largest value a number setting takes.
    #[serde(default)]
    pub max: Option<f64>,
    /// Whether the value is content people read (a title, an intro), set
    /// per language: the value under the key is the portal's language's,
    /// the one under `<key>.<lang>` another's, and a module reading the
    /// key gets the one of its call's language.
    #[serde(default)]
    pub translated: bool,
}

/// Why a value does not fit its setting: what is wrong, and what the
/// setting takes. The console and the command line both check with
/// [`SettingSpec::check`], so they refuse alike.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingValueError {
    /// The setting's key.
    pub key: String,
    /// The value refused.
    pub value: String,
    /// What is wrong with it.
    pub problem: SettingProblem,
    /// The setting's type, minimum and maximum, to say what it takes.
    takes: (SettingType, Option<f64>, Option<f64>),
}

/// What is wrong with a setting's value.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingProblem {
    /// Not a number at all.
    NotANumber,
    /// Infinite or not a number (`inf`, `NaN`, `1e309`).
    NotFinite,
    /// Below the setting's minimum.
    BelowMinimum(f64),
    /// Above the setting's maximum.
    AboveMaximum(f64),
    /// Not `true` or `false`.
    NotABoolean,
    /// Not a JSON document; the parser's words.
    NotJson(String),
}

impl SettingValueError {
    /// What is wrong and what the setting takes, in `lang` (`cs` or English).
    pub fn message(&self, lang: &str) -> String {
        let cs = lang == "cs";
        let value = &self.value;
        let problem = match (&self.problem, cs) {
            (SettingProblem::NotANumber, false) => format!("`{value}` is not a number"),
            (SettingProblem::NotANumber, true) => format!("`{value}` není číslo"),
            (SettingProblem::NotFinite, false) => format!("`{value}` is not a finite number"),
            (SettingProblem::NotFinite, true) => format!("`{value}` není konečné číslo"),
            (SettingProblem::BelowMinimum(min), false) => format!("`{value}` is less than {min}"),
            (SettingProblem::BelowMinimum(min), true) => format!("`{value}` je menší než {min}"),
            (SettingProblem::AboveMaximum(max), false) => format!("`{value}` is more than {max}"),
            (SettingProblem::AboveMaximum(max), true) => format!("`{value}` je větší než {max}"),
            (SettingProblem::NotABoolean, false) => format!("`{value}` is not `true` or `false`"),
            (SettingProblem::NotABoolean, true) => format!("`{value}` není `true` ani `false`"),
            (SettingProblem::NotJson(e), false) => format!("not valid JSON ({e})"),
            (SettingProblem::NotJson(e), true) => format!("není platný JSON ({e})"),
        };
        let takes = match (self.takes, cs) {
            ((SettingType::Number, Some(min), Some(max)), false) => {
                format!("a number from {min} to {max}")
            }
            ((SettingType::Number, Some(min), Some(max)), true) => {
                format!("číslo od {min} do {max}")
            }
            ((SettingType::Number, Some(min), None), false) => {
                format!("a number of at least {min}")
            }
            ((SettingType::Number, Some(min), None), true) => format!("číslo nejméně {min}"),
            ((SettingType::Number, None, Some(max)), false) => {
                format!("a number of at most {max}")
            }
            ((SettingType::Number, None, Some(max)), true) => format!("číslo nejvýše {max}"),
            ((SettingType::Number, None, None), false) => "a finite number".to_owned(),
            ((SettingType::Number, None, None), true) => "konečné číslo".to_owned(),
            ((SettingType::Boolean, ..), false) => "`true` or `false`".to_owned(),
            ((SettingType::Boolean, ..), true) => "`true` nebo `false`".to_owned(),
            ((SettingType::Json, ..), false) => "a JSON document".to_owned(),
            ((SettingType::Json, ..), true) => "dokument JSON".to_owned(),
            ((SettingType::String, ..), false) => "any text".to_owned(),
            ((SettingType::String, ..), true) => "libovolný text".to_owned(),
        };
        let key = &self.key;
        if cs {
            format!("{problem}: `{key}` přijímá {takes}")
        } else {
            format!("{problem}: `{key}` takes {takes}")
        }
    }
}

impl std::fmt::Display for SettingValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message("en"))
    }
}

impl std::error::Error for SettingValueError {}

impl SettingSpec {
    /// Checks that `value` fits the setting `key`: its type, and for a
    /// number, finite and within its minimum and maximum.
    pub fn check(&self, key: &str, value: &str) -> Result<(), SettingValueError> {
        let refuse = |problem| SettingValueError {
            key: key.to_owned(),
            value: value.to_owned(),
            problem,
            takes: (self.kind, self.min, self.max),
        };
        match self.kind {
            SettingType::String => Ok(()),
            SettingType::Number => {
                let n = value
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| refuse(SettingProblem::NotANumber))?;
                if !n.is_finite() {
                    return Err(refuse(SettingProblem::NotFinite));
                }
                if let Some(min) = self.min
                    && n < min
                {
                    return Err(refuse(SettingProblem::BelowMinimum(min)));
                }
                if let Some(max) = self.max
                    && n > max
                {
                    return Err(refuse(SettingProblem::AboveMaximum(max)));
                }
                Ok(())
            }
            SettingType::Boolean => match value {
                "true" | "false" => Ok(()),
                _ => Err(refuse(SettingProblem::NotABoolean)),
            },
            SettingType::Json => serde_json::from_str::<serde_json::Value>(value)
                .map(drop)
                .map_err(|e| refuse(SettingProblem::NotJson(e.to_string()))),
        }
    }
}
