//! `notify`: messages to people, rendered by the host from the manifest's
//! templates and sent when the call's unit of work is kept.

use super::{CallState, HostResult, invalid};
use crate::backend::{Message, Recipient};
use crate::bindings::v0_1_0::generated::portico::plugin::notify;
use crate::manifest::{Capability, LANGUAGES, PORTAL_LANGUAGE, TEMPLATE_LANG, TEMPLATE_MODULE_URL};

impl notify::Host for CallState {
    async fn send(
        &mut self,
        to: notify::Recipient,
        template: String,
        data: String,
    ) -> HostResult<String> {
        self.grant(Capability::Notify)?;
        let manifest = self.caller.manifest.clone();
        if !manifest.templates.contains_key(&template) {
            let declared: Vec<&str> = manifest.templates.keys().map(String::as_str).collect();
            return Err(invalid(
                "template",
                format!(
                    "the manifest declares no template `{template}` (declared: {})",
                    if declared.is_empty() {
                        "none".to_owned()
                    } else {
                        declared.join(", ")
                    }
                ),
            ));
        }
        let mut data = match serde_json::from_str(&data) {
            Ok(serde_json::Value::Object(v)) => v,
            Ok(_) => return Err(invalid("data", "must be a JSON object")),
            Err(e) => return Err(invalid("data", format!("is not valid JSON: {e}"))),
        };
        // The language the message is written in: the one the module says
        // its recipient reads (`lang`: a citizen who wrote in English),
        // else a user's own choice, else the call's for an address or a
        // phone (the visitor's in their request, the portal's in a job),
        // else the portal's. A `lang` the portal does not write is left
        // aside, as data a module of an earlier version may carry.
        let named = data
            .get(TEMPLATE_LANG)
            .and_then(serde_json::Value::as_str)
            .and_then(|l| LANGUAGES.into_iter().find(|known| l.starts_with(known)));
        let lang = match named {
            Some(l) => l.to_owned(),
            None => match &to {
                notify::Recipient::User(u) => {
                    let work = self.work(Capability::Notify).await?;
                    work.language_of(u)
                        .await?
                        .unwrap_or_else(|| PORTAL_LANGUAGE.to_owned())
                }
                _ => LANGUAGES
                    .into_iter()
                    .find(|known| self.caller.locale.starts_with(known))
                    .unwrap_or(PORTAL_LANGUAGE)
                    .to_owned(),
            },
        };
        let Some(spec) = manifest.template_in(&template, &lang) else {
            return Err(invalid("template", format!("`{template}` is not declared")));
        };
        // A message is read outside the portal: its links need the
        // module's address, which only the host knows.
        let c = &self.caller;
        data.insert(
            TEMPLATE_MODULE_URL.to_owned(),
            c.services.module_url(&c.scope.org_id, &manifest.id).into(),
        );
        let rendered = spec
            .render(&serde_json::Value::Object(data), &lang)
            .map_err(|e| invalid("data", format!("does not fill `{template}` ({lang}): {e}")))?;
        let (to, body) = match to {
            notify::Recipient::User(u) => (Recipient::User(u), rendered.text),
            notify::Recipient::Email(a) => (Recipient::Email(a), rendered.text),
            notify::Recipient::Phone(p) => (Recipient::Phone(p), rendered.sms),
        };
        let message = Message {
            to,
            template,
            subject: rendered.subject,
            body,
        };
        let work = self.work(Capability::Notify).await?;
        Ok(work.notify(message).await?)
    }

    async fn status(&mut self, id: String) -> HostResult<notify::Delivery> {
        let work = self.work(Capability::Notify).await?;
        Ok(work.notification(&id).await?.into())
    }
}
