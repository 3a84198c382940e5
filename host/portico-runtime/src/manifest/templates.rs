//! The message templates a manifest declares for `notify`: checked when
//! the manifest is read, filled strictly (a gap the data does not fill is
//! an error) when a message is sent.

use serde::{Deserialize, Serialize};

/// A message template. Each text is a template in the syntax of Jinja
/// (`{{ field }}`, `{% if %}`), filled with the data of a `notify.send`
/// and [`TEMPLATE_MODULE_URL`], which the host adds; a field the data
/// lacks is an error, not an empty gap.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The subject of an e-mail or an inbox message.
    pub subject: String,
    /// The text of an e-mail or an inbox message.
    pub text: String,
    /// The text of an SMS; without one, the subject is sent.
    #[serde(default)]
    pub sms: Option<String>,
}

impl Template {
    /// The templates' environment for messages in `lang`: strict, bounded,
    /// with the filter `date` (`{{ until | date }}`), which writes a date
    /// as `lang` does.
    fn environment(lang: &str) -> minijinja::Environment<'static> {
        let mut env = minijinja::Environment::new();
        let lang = lang.to_owned();
        env.add_filter("date", move |value: String| {
            portico_types::written::date_text(&value, &lang)
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // A template loops over the data it is given; bound its work.
        env.set_fuel(Some(100_000));
        env
    }

    /// Checks that every text is a well-formed template.
    pub(super) fn check(&self) -> Result<(), (&'static str, String)> {
        let env = Template::environment("en");
        let texts = [
            ("subject", Some(&self.subject)),
            ("text", Some(&self.text)),
            ("sms", self.sms.as_ref()),
        ];
        for (part, text) in texts {
            if let Some(text) = text {
                env.template_from_str(text)
                    .map_err(|e| (part, e.to_string()))?;
            }
        }
        Ok(())
    }

    /// Fills the subject, the text and the SMS text with `data`, for a
    /// message in `lang`; the error says what the data lacks or what went
    /// wrong.
    pub fn render(&self, data: &serde_json::Value, lang: &str) -> Result<Rendered, String> {
        let env = Template::environment(lang);
        let data = minijinja::Value::from(minijinja::value::Serde(data));
        let fill = |text: &str| {
            env.render_str(text, data.clone())
                .map(|s| s.trim().to_owned())
                .map_err(|e| e.to_string())
        };
        // One line: a subject is a mail header and an inbox title.
        let subject = fill(&self.subject)?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Rendered {
            text: fill(&self.text)?,
            sms: match &self.sms {
                Some(sms) => fill(sms)?,
                None => subject.clone(),
            },
            subject,
        })
    }
}

/// The field the host adds to the data of every message: the address of
/// the sending module's pages in the call's organization, for links
/// (`{{ module_url }}/reports/…`); absolute when the portal knows its
/// public address.
pub const TEMPLATE_MODULE_URL: &str = "module_url";

/// The field of a message's data that says which language to write it in
/// (`cs`, `en`), when the module knows what its recipient reads (a
/// citizen who wrote in English). Without it a user gets their own
/// language, an address given in a visitor's call the visitor's, and
/// anyone else the portal's.
pub const TEMPLATE_LANG: &str = "lang";

/// The languages of the portal: every text a person reads exists in each.
pub const LANGUAGES: [&str; 2] = ["cs", "en"];

/// The portal's own language: what a person who never chose one reads.
pub const PORTAL_LANGUAGE: &str = "cs";

/// A template filled with data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject.
    pub subject: String,
    /// The text.
    pub text: String,
    /// The SMS text.
    pub sms: String,
}
