//! Messages to people: e-mail, text messages and the portal inbox. Needs
//! `notify` in the manifest's `capabilities`, and a template per kind of
//! message under `[templates.<name>]` with a `subject`, a `text` and
//! optionally an `sms`, each with `{{ field }}` gaps the data fills.
//! The host adds `module_url`, the address of the module's pages in the
//! organization (absolute when the portal knows its public address), so a
//! message links back: `{{ module_url }}/notices/{{ id }}`.
//!
//! Each template is written in English under `[templates.<name>]` and in
//! Czech under `[translations.cs.templates.<name>]`; the host writes each
//! message in its recipient's language: the one the data names in `lang`
//! (`"cs"`, `"en"`: a citizen who wrote in English), else a user's own
//! choice, else the visitor's of the call for an address or a phone, else
//! the portal's (Czech). The filter `date` writes a date as the language
//! does: `{{ until | date }}` is `4. 12. 2026` or `4 December 2026`.
//!
//! ```no_run
//! use portico_sdk::notify::{self, To};
//! # fn f() -> portico_sdk::Result<()> {
//! let id = notify::send(
//!     To::Email("jana.novakova@example.cz"),
//!     "notice-posted",
//!     &serde_json::json!({ "title": "Road closure", "reference": "12/2026" }),
//! )?;
//! let delivery = notify::status(&id)?;
//! # Ok(()) }
//! ```

use serde::Serialize;

use crate::wit::portico::plugin0_1_0::notify as wit;
use crate::{Error, Result};

/// Who a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To<'a> {
    /// A portal user, by id: the message lands in their inbox.
    User(&'a str),
    /// An e-mail address.
    Email(&'a str),
    /// A phone number in international form, e.g. `+420601234567`.
    Phone(&'a str),
}

/// Sends the manifest's template `template` filled with `data` to `to`, if
/// this call succeeds. Returns the message's id, for [`status`].
pub fn send<T: Serialize>(to: To<'_>, template: &str, data: &T) -> Result<String> {
    let json = serde_json::to_string(data)
        .map_err(|e| Error::internal(format!("cannot encode the message data: {e}")))?;
    let to = match to {
        To::User(u) => wit::Recipient::User(u.to_owned()),
        To::Email(a) => wit::Recipient::Email(a.to_owned()),
        To::Phone(p) => wit::Recipient::Phone(p.to_owned()),
    };
    Ok(wit::send(&to, template, &json)?)
}

/// Where a message is on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting to be sent (again).
    Queued,
    /// Handed to the mail server or the SMS gateway.
    Sent,
    /// In the user's inbox.
    Delivered,
    /// Sending failed too often.
    Failed,
}

/// What the host knows of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Where it is.
    pub status: Status,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was sent or delivered (RFC 3339).
    pub sent_at: Option<String>,
    /// When the user read it (RFC 3339).
    pub read_at: Option<String>,
}

/// What became of a message this module sent in this organization.
pub fn status(id: &str) -> Result<Delivery> {
    let d = wit::status(id)?;
    Ok(Delivery {
        status: match d.status {
            wit::DeliveryStatus::Queued => Status::Queued,
            wit::DeliveryStatus::Sent => Status::Sent,
            wit::DeliveryStatus::Delivered => Status::Delivered,
            wit::DeliveryStatus::Failed => Status::Failed,
        },
        attempts: d.attempts,
        last_error: d.last_error,
        sent_at: d.sent_at,
        read_at: d.read_at,
    })
}
