//! The module manifest: what a module is, which routes it serves, which
//! host capabilities it asks for, its menu entry, settings schema and jobs.
//! The host reads it before it loads the component and enforces it on
//! every call.
//!
//! This file holds the document's shape: [`Manifest`] and its parts
//! (routes, access, roles, menu, dashboard, search, collections, jobs).
//! `settings` has the settings schema and the check of a value,
//! `templates` the message templates `notify` fills, and `validation`
//! the reading of a manifest: parsing, the rules it must keep and
//! [`ManifestError`]. Everything public is re-exported here, so callers
//! name `manifest::X` whichever file holds it.
//!
//! The fuzz target `fuzz/fuzz_targets/manifest.rs` compiles this folder by
//! `#[path]` to `manifest/mod.rs`, outside this crate: these files name no
//! `crate::` path, only one another through `super`.

mod settings;
mod templates;
mod validation;

pub use settings::{SettingProblem, SettingSpec, SettingType, SettingValueError};
pub use templates::{
    LANGUAGES, PORTAL_LANGUAGE, Rendered, TEMPLATE_LANG, TEMPLATE_MODULE_URL, Template,
};
pub use validation::{ManifestError, is_module_id, is_topic};

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The manifest schema this host reads.
pub const MANIFEST_SCHEMA: u32 = 1;

/// The file name of a manifest inside a module folder.
pub const MANIFEST_FILE: &str = "module.toml";

/// A module's manifest, as written by its vendor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Manifest schema version; this host reads [`MANIFEST_SCHEMA`].
    pub schema: u32,
    /// Identifier: lower-case letters, digits and dashes, e.g. `notice-board`.
    pub id: String,
    /// Semantic version of the module.
    pub version: semver::Version,
    /// Name for people.
    pub name: String,
    /// Who builds and supports the module.
    #[serde(default)]
    pub vendor: String,
    /// What the module is for.
    #[serde(default)]
    pub description: String,
    /// The component file, relative to the manifest.
    pub component: PathBuf,
    /// Host capabilities the module asks for (see [`Capability`]).
    #[serde(default)]
    pub capabilities: Vec<Capability>,
    /// Routes below `/m/<id>` the host forwards to the module.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// The module's entry in the portal navigation.
    #[serde(default)]
    pub menu: Option<MenuEntry>,
    /// The page whose blocks the organization's dashboard shows.
    #[serde(default)]
    pub dashboard: Option<DashboardEntry>,
    /// The module's tools for staff, by name: the entries of a person's
    /// agenda ("Moje agenda") whose permission they hold.
    #[serde(default)]
    pub agenda: BTreeMap<String, AgendaEntry>,
    /// What people come to the organization's portal to do in the module,
    /// by name: the entry points its front door offers ("Nahlásit závadu"),
    /// each a label and a page.
    #[serde(default)]
    pub start: BTreeMap<String, StartEntry>,
    /// The page that shows a logged-in person their own affairs in the
    /// module (drafts, submissions, reports), part of their overview
    /// ("Můj přehled").
    #[serde(default)]
    pub mine: Option<DashboardEntry>,
    /// Collections the portal's search looks through.
    #[serde(default)]
    pub search: Vec<SearchSpec>,
    /// The manifest's texts for people in other languages, by language
    /// (e.g. `cs`); the texts above are the English ones.
    #[serde(default)]
    pub translations: BTreeMap<String, ManifestTexts>,
    /// Settings an administrator can set, by key.
    #[serde(default)]
    pub settings: BTreeMap<String, SettingSpec>,
    /// Jobs the host runs on a schedule.
    #[serde(default)]
    pub jobs: Vec<Job>,
    /// Record collections, by name (needs the `records` capability).
    #[serde(default)]
    pub collections: BTreeMap<String, Collection>,
    /// Event topics the module handles in `on-event`.
    #[serde(default)]
    pub subscribes: Vec<String>,
    /// Message templates for `notify`, by name (needs the `notify` capability).
    #[serde(default)]
    pub templates: BTreeMap<String, Template>,
    /// Permissions the host checks for the module, by name, with what each
    /// allows (shown to administrators).
    #[serde(default)]
    pub permissions: BTreeMap<String, String>,
    /// Roles administrators grant, by name (granted as `<module>.<role>`).
    #[serde(default)]
    pub roles: BTreeMap<String, RoleSpec>,
    /// Systems outside the portal the module talks to (needs the
    /// `connections` capability); an administrator sets each up per
    /// organization.
    #[serde(default)]
    pub connections: Vec<ConnectionSpec>,
}

/// A connection to a system outside the portal, as the module declares it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSpec {
    /// Its name, e.g. `rescue`: 2 to 64 lower-case letters, digits and
    /// dashes.
    pub name: String,
    /// Which way it goes.
    pub kind: ConnectionKind,
    /// What it is for, in English (`[translations.<lang>.connections]`
    /// in other languages): what the administrator reads before setting
    /// it up.
    pub purpose: String,
}

/// Which way a connection goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionKind {
    /// The module sends requests to the system (`connections.call`,
    /// `connections.deliver`).
    Http,
    /// The system sends to the module's webhook address (`on-webhook`).
    Webhook,
}

/// Roles that hold every permission of every module in their organization.
pub const ADMIN_ROLES: [&str; 2] = ["platform-admin", "org-admin"];

/// A manifest's texts for people, in one language.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestTexts {
    /// The module's name.
    #[serde(default)]
    pub name: Option<String>,
    /// What the module is for.
    #[serde(default)]
    pub description: Option<String>,
    /// The label of its menu entry.
    #[serde(default)]
    pub menu: Option<String>,
    /// The message templates, by name.
    #[serde(default)]
    pub templates: BTreeMap<String, Template>,
    /// What each permission allows, by name.
    #[serde(default)]
    pub permissions: BTreeMap<String, String>,
    /// Each role's label, by name.
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
    /// Each setting's label, by key.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Each agenda entry's label, by name.
    #[serde(default)]
    pub agenda: BTreeMap<String, String>,
    /// Each entry point's label, by name.
    #[serde(default)]
    pub start: BTreeMap<String, String>,
    /// What each connection is for, by name.
    #[serde(default)]
    pub connections: BTreeMap<String, String>,
}

/// The parts of [`ManifestTexts`] that translate a text the manifest keys
/// by name; [`Manifest::text_in`] looks one up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyed {
    /// A permission's description.
    Permission,
    /// A role's label.
    Role,
    /// A setting's label.
    Setting,
    /// An agenda entry's label.
    Agenda,
    /// An entry point's label.
    Start,
    /// What a connection is for.
    Connection,
}

impl Manifest {
    /// The module's name in `lang`, or the English one.
    pub fn name_in(&self, lang: &str) -> &str {
        self.translations
            .get(lang)
            .and_then(|t| t.name.as_deref())
            .unwrap_or(&self.name)
    }

    /// The module's description in `lang`, or the English one.
    pub fn description_in(&self, lang: &str) -> &str {
        self.translations
            .get(lang)
            .and_then(|t| t.description.as_deref())
            .unwrap_or(&self.description)
    }

    /// The label of the module's menu entry in `lang` (the English one, or
    /// its name, when there is none).
    pub fn menu_label_in(&self, lang: &str) -> &str {
        self.translations
            .get(lang)
            .and_then(|t| t.menu.as_deref())
            .or(self.menu.as_ref().map(|m| m.label.as_str()))
            .unwrap_or_else(|| self.name_in(lang))
    }
    /// The translation into `lang` of the text `kind` keys by `key`, or
    /// `english` (the manifest's own).
    pub fn text_in<'a>(&'a self, kind: Keyed, key: &str, lang: &str, english: &'a str) -> &'a str {
        self.translations
            .get(lang)
            .and_then(|t| {
                match kind {
                    Keyed::Permission => &t.permissions,
                    Keyed::Role => &t.roles,
                    Keyed::Setting => &t.settings,
                    Keyed::Agenda => &t.agenda,
                    Keyed::Start => &t.start,
                    Keyed::Connection => &t.connections,
                }
                .get(key)
            })
            .map_or(english, String::as_str)
    }

    /// What the permission `name` (unqualified) allows, in `lang`.
    pub fn permission_in<'a>(&'a self, name: &str, lang: &str) -> Option<&'a str> {
        let english = self.permissions.get(name)?;
        Some(self.text_in(Keyed::Permission, name, lang, english))
    }

    /// The label of the role `name` (unqualified), in `lang`.
    pub fn role_label_in<'a>(&'a self, name: &str, lang: &str) -> Option<&'a str> {
        let english = &self.roles.get(name)?.label;
        Some(self.text_in(Keyed::Role, name, lang, english))
    }

    /// The label of the setting `key`, in `lang`.
    pub fn setting_label_in<'a>(&'a self, key: &str, lang: &str) -> Option<&'a str> {
        let english = &self.settings.get(key)?.label;
        Some(self.text_in(Keyed::Setting, key, lang, english))
    }

    /// The setting a stored key is of: `key` itself, or `key.<lang>`, the
    /// value in another language of a `translated` setting.
    pub fn setting_of(&self, key: &str) -> Option<&SettingSpec> {
        self.settings.get(key).or_else(|| {
            let (base, lang) = key.rsplit_once('.')?;
            self.settings
                .get(base)
                .filter(|s| s.translated && LANGUAGES.contains(&lang) && lang != PORTAL_LANGUAGE)
        })
    }

    /// The message template `name` in `lang`, or the English one.
    pub fn template_in(&self, name: &str, lang: &str) -> Option<&Template> {
        self.translations
            .get(lang)
            .and_then(|t| t.templates.get(name))
            .or_else(|| self.templates.get(name))
    }

    /// The module's permissions (qualified, `<module>.<permission>`) that
    /// holders of `roles` (qualified role names) have.
    pub fn permissions_of<'a>(&self, roles: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let prefix = format!("{}.", self.id);
        let mut granted = std::collections::BTreeSet::new();
        for role in roles {
            if ADMIN_ROLES.contains(&role) {
                granted.extend(self.permissions.keys().map(String::as_str));
            } else if let Some(spec) = role.strip_prefix(&prefix).and_then(|r| self.roles.get(r)) {
                granted.extend(spec.permissions.iter().map(String::as_str));
            }
        }
        granted
            .into_iter()
            .map(|p| format!("{prefix}{p}"))
            .collect()
    }

    /// Whether the module declares the qualified role `role`.
    pub fn declares_role(&self, role: &str) -> bool {
        role.strip_prefix(&self.id)
            .and_then(|r| r.strip_prefix('.'))
            .is_some_and(|r| self.roles.contains_key(r))
    }

    /// Whether the module declares the qualified permission `permission`.
    pub fn declares_permission(&self, permission: &str) -> bool {
        permission
            .strip_prefix(&self.id)
            .and_then(|p| p.strip_prefix('.'))
            .is_some_and(|p| self.permissions.contains_key(p))
    }

    /// The connection `name` the module declares.
    pub fn connection(&self, name: &str) -> Option<&ConnectionSpec> {
        self.connections.iter().find(|c| c.name == name)
    }

    /// Whether the manifest asks for `capability`.
    pub fn grants(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }
}

/// The most indexed fields of each type one collection may declare.
pub const MAX_INDEXES_PER_TYPE: usize = 4;

/// The largest document a collection may allow, in bytes of JSON.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

fn default_max_bytes() -> usize {
    64 * 1024
}

/// A record collection of the module.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Collection {
    /// Fields of the documents the host indexes for filters, sorting and
    /// grouping, in order. Add new ones at the end: the order decides where
    /// each is stored.
    #[serde(default)]
    pub indexes: Vec<IndexSpec>,
    /// The largest document, in bytes of JSON (default 64 KiB, at most 1 MiB).
    #[serde(default = "default_max_bytes")]
    pub max_bytes: usize,
    /// The fields the portal's search looks through, from the manifest's
    /// `[[search]]` of this collection (filled when the manifest is read).
    #[serde(skip)]
    pub searched: Vec<String>,
}

/// An indexed field of a collection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    /// A top-level field of the documents.
    pub field: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: IndexType,
}

/// The type of an indexed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndexType {
    /// Text (dates as `YYYY-MM-DD` sort correctly as text).
    String,
    /// A number.
    Number,
}

/// A host interface a module may use only when its manifest asks for it.
/// Logging is always allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// `settings`: read the module's settings for the organization.
    Settings,
    /// `records`: keep documents in the manifest's collections.
    Records,
    /// `audit`: append entries to the organization's audit chain.
    Audit,
    /// `events`: publish events to other modules.
    Events,
    /// `notify`: send e-mails, text messages and inbox messages.
    Notify,
    /// `files`: keep files.
    Files,
    /// `orgs`: see the organizations above and below (0.3.0 on).
    Orgs,
    /// `messages`: send messages to the module in the organizations above
    /// and below (0.3.0 on).
    Messages,
    /// `people`: see who in the organization holds a permission of the
    /// module (0.3.0 on).
    People,
    /// `addresses`: look up the address register (0.4.0 on).
    Addresses,
    /// `connections`: talk to systems outside the portal through the
    /// connections the manifest declares (0.5.0 on).
    Connections,
}

impl Capability {
    /// The capability's name as written in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Settings => "settings",
            Capability::Records => "records",
            Capability::Audit => "audit",
            Capability::Events => "events",
            Capability::Notify => "notify",
            Capability::Files => "files",
            Capability::Orgs => "orgs",
            Capability::Messages => "messages",
            Capability::People => "people",
            Capability::Addresses => "addresses",
            Capability::Connections => "connections",
        }
    }
}

/// Whether a route renders a portal page or answers an API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteKind {
    /// A portal page: GET renders a view (HTML or JSON), POST submits a form.
    Page,
    /// An HTTP API: every method goes to the module's `handle`.
    Api,
}

/// One route of the module.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Pattern below `/m/<id>`: `/`, `/notices/{id}`, `/api/{*rest}`.
    pub path: String,
    /// Page or API.
    pub kind: RouteKind,
    /// Who may use it (staff of the organization unless said otherwise).
    #[serde(default)]
    pub access: Access,
    /// A permission of this module the caller must hold as well (staff only).
    #[serde(default)]
    pub permission: Option<String>,
}

/// Who may use a route. The host checks it before the module is called.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Everybody, anonymous visitors included.
    Public,
    /// Everybody logged in, citizens included.
    User,
    /// People (and API tokens) holding a role in the organization.
    #[default]
    Staff,
}

/// A role the module declares; administrators grant it per organization as
/// `<module>.<role>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// The role's name for people, e.g. `Complaint handler`.
    pub label: String,
    /// The module's permissions the role carries.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// The module's entry in the portal navigation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuEntry {
    /// The text of the entry.
    pub label: String,
    /// The page below `/m/<id>` it leads to.
    #[serde(default = "root_path")]
    pub path: String,
}

/// The module's part of the organization's dashboard: one of its page
/// routes, rendered for whoever may see it and shown among the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardEntry {
    /// The page below `/m/<id>`.
    pub path: String,
}

/// What people come to do, on the organization's front door: a label (a
/// verb, "Report a problem") and the page it opens.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartEntry {
    /// The label (English; `translations` has the others).
    pub label: String,
    /// The page below `/m/<id>`.
    pub path: String,
}

/// One of the module's tools for staff, in a person's agenda: a page and
/// the permission it takes, and what of the module's records it counts
/// (the host counts them in the record store; the module is not called).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaEntry {
    /// The entry's label (English; `translations` has the others).
    pub label: String,
    /// The page below `/m/<id>`.
    pub path: String,
    /// The permission of this module it takes.
    pub permission: String,
    /// What waits there, to show as a number beside the entry.
    #[serde(default)]
    pub count: Option<AgendaCount>,
}

/// The records an agenda entry counts: those of `collection` whose indexed
/// `field` is `value`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaCount {
    /// One of the module's collections.
    pub collection: String,
    /// One of its indexed fields.
    pub field: String,
    /// The value counted (a number field's value as its text).
    pub value: String,
}

/// A collection the portal's search looks through: which indexed text
/// fields it matches, which field names a hit, and the page that shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSpec {
    /// One of the manifest's collections.
    pub collection: String,
    /// Top-level text fields of the documents whose words the search
    /// looks for (indexed or not; a list of texts counts too).
    pub fields: Vec<String>,
    /// The document field shown as a hit's title.
    pub title: String,
    /// The page of a hit below `/m/<id>`: `{name}` stands for the document's
    /// top-level field `name` (`{id}` for its id), e.g. `/notices/{reference}`.
    pub link: String,
}

impl SearchSpec {
    /// The fields `link` names in braces.
    pub fn link_fields(&self) -> Vec<&str> {
        self.link
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name))
            .collect()
    }
}

fn root_path() -> String {
    "/".to_owned()
}

/// A job the host runs on a schedule, once per organization that enabled the module.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// The name passed to the module's `run-job`.
    pub name: String,
    /// When it runs, in cron syntax: minute hour day-of-month month
    /// day-of-week, with an optional leading seconds field.
    pub schedule: String,
}

impl Job {
    /// The schedule, parsed.
    pub fn cron(&self) -> Result<croner::Cron, String> {
        self.schedule
            .parse::<croner::Cron>()
            .map_err(|e| format!("`{}` is not a cron schedule: {e}", self.schedule))
    }
}
