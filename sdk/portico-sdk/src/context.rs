//! Who is calling, for which organization, in which language.

use crate::wit::portico::plugin0_1_0::types as wit;

/// How strongly the identity of the caller was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Assurance {
    /// Nobody is logged in.
    Anonymous,
    /// A local account or an unverified identity.
    Registered,
    /// Verified at eIDAS level "substantial".
    Substantial,
    /// Verified at eIDAS level "high".
    High,
}

/// The person or machine client on whose behalf a call runs.
#[derive(Debug, Clone)]
pub struct Principal {
    user_id: String,
    name: String,
    roles: Vec<String>,
    permissions: Vec<String>,
    assurance: Assurance,
    claims: Vec<(String, String)>,
}

impl Principal {
    /// Stable identifier of the user.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the principal holds `role` in the organization of the call.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the principal holds this module's `permission` (the name
    /// the manifest declares, e.g. `post`, or qualified, `notice-board.post`).
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions
            .iter()
            .any(|p| p == permission || p.split_once('.').is_some_and(|(_, q)| q == permission))
    }

    /// The roles the principal holds in the organization of the call.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// This module's permissions the principal holds, qualified
    /// (`notice-board.post`).
    pub fn permissions(&self) -> &[String] {
        &self.permissions
    }

    /// Every verified claim of the identity provider, as (name, value).
    pub fn claims(&self) -> &[(String, String)] {
        &self.claims
    }

    /// How strongly the identity was verified.
    pub fn assurance(&self) -> Assurance {
        self.assurance
    }

    /// A verified claim of the identity provider, e.g. `given_name`.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the host tells the module about the current call.
#[derive(Debug, Clone)]
pub struct Context {
    org_id: String,
    principal: Option<Principal>,
    request_id: String,
    locale: String,
}

impl Context {
    /// The organization (tenant) the call belongs to. The host scopes every
    /// host call to it; the module never needs to pass it on.
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// Who is asking; `None` for an anonymous visitor or a scheduled job.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// The request's identifier, to quote in messages to support.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The user's language, e.g. `cs` or `en`.
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// Whether the reader reads Czech.
    pub fn is_czech(&self) -> bool {
        self.locale.starts_with("cs")
    }

    /// The language to write dates and numbers in: `cs` or `en`.
    pub fn lang(&self) -> &'static str {
        if self.is_czech() { "cs" } else { "en" }
    }

    /// `cs` for a Czech reader, `en` for anyone else.
    ///
    /// ```
    /// # fn f(ctx: &portico_sdk::Context) {
    /// let title = ctx.tr("Property", "Majetek");
    /// # }
    /// ```
    pub fn tr<'a>(&self, en: &'a str, cs: &'a str) -> &'a str {
        if self.is_czech() { cs } else { en }
    }

    /// Who acts, for an audit entry or a history: the signed-in user's
    /// id, or `system` for a scheduled job or a message.
    pub fn actor(&self) -> String {
        self.principal
            .as_ref()
            .map_or_else(|| "system".to_owned(), |p| p.user_id.clone())
    }

    /// Who acts, as people read it on a page: the signed-in user's
    /// display name, or the portal itself for a scheduled job or a
    /// message.
    pub fn person(&self) -> String {
        self.principal.as_ref().map_or_else(
            || self.tr("Portal", "Portál").to_owned(),
            |p| p.name.clone(),
        )
    }
}

impl From<wit::Assurance> for Assurance {
    fn from(a: wit::Assurance) -> Self {
        match a {
            wit::Assurance::Anonymous => Assurance::Anonymous,
            wit::Assurance::Registered => Assurance::Registered,
            wit::Assurance::Substantial => Assurance::Substantial,
            wit::Assurance::High => Assurance::High,
        }
    }
}

impl From<wit::Context> for Context {
    fn from(c: wit::Context) -> Self {
        Context {
            org_id: c.org_id,
            principal: c.principal.map(|p| Principal {
                user_id: p.user_id,
                name: p.name,
                roles: p.roles,
                permissions: p.permissions,
                assurance: p.assurance.into(),
                claims: p.claims,
            }),
            request_id: c.request_id,
            locale: c.locale,
        }
    }
}
