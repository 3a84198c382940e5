//! The module manifest: what a module is, which routes it serves, which
//! host capabilities it asks for, its menu entry, settings schema and jobs.
//! The host reads it before it loads the component and enforces it on
//! every call.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
}

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
    fn environment() -> minijinja::Environment<'static> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // A template loops over the data it is given; bound its work.
        env.set_fuel(Some(100_000));
        env
    }

    /// Checks that every text is a well-formed template.
    fn check(&self) -> Result<(), (&'static str, String)> {
        let env = Template::environment();
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

    /// Fills the subject, the text and the SMS text with `data`; the error
    /// says what the data lacks or what went wrong.
    pub fn render(&self, data: &serde_json::Value) -> Result<Rendered, String> {
        let env = Template::environment();
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

/// A collection the portal's search looks through: which indexed text
/// fields it matches, which field names a hit, and the page that shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSpec {
    /// One of the manifest's collections.
    pub collection: String,
    /// Indexed text fields of the collection the search term is looked for in.
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

/// Why a manifest was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("{path}: cannot read the manifest: {source}")]
    Read {
        /// The manifest file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid manifest document.
    #[error("{path}: {message}")]
    Parse {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong and where (line and column).
        message: String,
    },
    /// The document parses but breaks a rule.
    #[error("{path}: `{field}` {message}")]
    Invalid {
        /// The manifest file.
        path: PathBuf,
        /// The offending field, e.g. `routes[1].path`.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl Manifest {
    /// Reads and validates the manifest at `path`.
    pub fn from_file(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        Manifest::parse(&text, path)
    }

    /// Parses and validates manifest text; `path` is only for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| ManifestError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        manifest.validate(path)?;
        Ok(manifest)
    }

    fn validate(&self, path: &Path) -> Result<(), ManifestError> {
        let invalid = |field: &str, message: String| ManifestError::Invalid {
            path: path.to_owned(),
            field: field.to_owned(),
            message,
        };
        if self.schema != MANIFEST_SCHEMA {
            return Err(invalid(
                "schema",
                format!(
                    "is {}, but this host reads schema {MANIFEST_SCHEMA}",
                    self.schema
                ),
            ));
        }
        if !is_module_id(&self.id) {
            return Err(invalid(
                "id",
                format!(
                    "`{}` must be 2 to 64 lower-case letters, digits and dashes, starting with a letter",
                    self.id
                ),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty".into()));
        }
        if self.component.is_absolute()
            || self
                .component
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(invalid(
                "component",
                format!(
                    "`{}` must be a file name inside the module folder",
                    self.component.display()
                ),
            ));
        }
        let mut router = matchit::Router::new();
        for (i, route) in self.routes.iter().enumerate() {
            if !route.path.starts_with('/') {
                return Err(invalid(
                    &format!("routes[{i}].path"),
                    format!("`{}` must start with `/`", route.path),
                ));
            }
            if let Some(p) = &route.permission {
                if !self.permissions.contains_key(p) {
                    return Err(invalid(
                        &format!("routes[{i}].permission"),
                        format!("`{p}` is not one of the module's permissions"),
                    ));
                }
                if route.access != Access::Staff {
                    return Err(invalid(
                        &format!("routes[{i}].access"),
                        "a route that needs a permission is for staff".into(),
                    ));
                }
            }
            router.insert(route.path.as_str(), ()).map_err(|e| {
                invalid(
                    &format!("routes[{i}].path"),
                    format!("`{}` is not a usable route: {e}", route.path),
                )
            })?;
        }
        if let Some(menu) = &self.menu
            && !self
                .routes
                .iter()
                .any(|r| r.kind == RouteKind::Page && router_matches(&r.path, &menu.path))
        {
            return Err(invalid(
                "menu.path",
                format!("`{}` is not one of the module's page routes", menu.path),
            ));
        }
        if let Some(dashboard) = &self.dashboard
            && !self
                .routes
                .iter()
                .any(|r| r.kind == RouteKind::Page && router_matches(&r.path, &dashboard.path))
        {
            return Err(invalid(
                "dashboard.path",
                format!(
                    "`{}` is not one of the module's page routes",
                    dashboard.path
                ),
            ));
        }
        for name in self.permissions.keys() {
            if !is_module_id(name) {
                return Err(invalid(
                    &format!("permissions.{name}"),
                    "the name must be 2 to 64 lower-case letters, digits and dashes".into(),
                ));
            }
        }
        for (name, role) in &self.roles {
            if !is_module_id(name) {
                return Err(invalid(
                    &format!("roles.{name}"),
                    "the name must be 2 to 64 lower-case letters, digits and dashes".into(),
                ));
            }
            if let Some(p) = role
                .permissions
                .iter()
                .find(|p| !self.permissions.contains_key(*p))
            {
                return Err(invalid(
                    &format!("roles.{name}.permissions"),
                    format!("`{p}` is not one of the module's permissions"),
                ));
            }
        }
        for (key, spec) in &self.settings {
            for (bound, name) in [(spec.min, "min"), (spec.max, "max")] {
                let Some(bound) = bound else { continue };
                if spec.kind != SettingType::Number {
                    return Err(invalid(
                        &format!("settings.{key}.{name}"),
                        "only a number setting has a minimum or maximum".into(),
                    ));
                }
                if !bound.is_finite() {
                    return Err(invalid(
                        &format!("settings.{key}.{name}"),
                        format!("`{bound}` is not a finite number"),
                    ));
                }
            }
            if let (Some(min), Some(max)) = (spec.min, spec.max)
                && min > max
            {
                return Err(invalid(
                    &format!("settings.{key}.max"),
                    format!("{max} is less than the minimum {min}"),
                ));
            }
            if let Some(default) = &spec.default {
                spec.check(key, default)
                    .map_err(|e| invalid(&format!("settings.{key}.default"), e.to_string()))?;
            }
        }
        for (i, job) in self.jobs.iter().enumerate() {
            if job.name.trim().is_empty() {
                return Err(invalid(
                    &format!("jobs[{i}].name"),
                    "must not be empty".into(),
                ));
            }
            job.cron()
                .map_err(|m| invalid(&format!("jobs[{i}].schedule"), m))?;
        }
        for (name, c) in &self.collections {
            if !is_module_id(name) {
                return Err(invalid(
                    &format!("collections.{name}"),
                    "the name must be 2 to 64 lower-case letters, digits and dashes".into(),
                ));
            }
            if c.max_bytes == 0 || c.max_bytes > MAX_DOCUMENT_BYTES {
                return Err(invalid(
                    &format!("collections.{name}.max-bytes"),
                    format!("must be between 1 and {MAX_DOCUMENT_BYTES}"),
                ));
            }
            for kind in [IndexType::String, IndexType::Number] {
                if c.indexes.iter().filter(|i| i.kind == kind).count() > MAX_INDEXES_PER_TYPE {
                    return Err(invalid(
                        &format!("collections.{name}.indexes"),
                        format!("declares more than {MAX_INDEXES_PER_TYPE} {kind:?} fields"),
                    ));
                }
            }
            for (i, idx) in c.indexes.iter().enumerate() {
                if idx.field.is_empty()
                    || c.indexes[..i].iter().any(|other| other.field == idx.field)
                {
                    return Err(invalid(
                        &format!("collections.{name}.indexes[{i}].field"),
                        format!("`{}` is empty or declared twice", idx.field),
                    ));
                }
            }
        }
        for (i, search) in self.search.iter().enumerate() {
            let at = |field: &str| format!("search[{i}].{field}");
            let Some(c) = self.collections.get(&search.collection) else {
                return Err(invalid(
                    &at("collection"),
                    format!(
                        "`{}` is not one of the module's collections",
                        search.collection
                    ),
                ));
            };
            if search.fields.is_empty() {
                return Err(invalid(&at("fields"), "name at least one field".into()));
            }
            if let Some(f) = search.fields.iter().find(|f| {
                !c.indexes
                    .iter()
                    .any(|i| &i.field == *f && i.kind == IndexType::String)
            }) {
                return Err(invalid(
                    &at("fields"),
                    format!(
                        "`{f}` is not an indexed text field of `{}`",
                        search.collection
                    ),
                ));
            }
            // The link, with each field filled in, must be one of the pages.
            let filled = search
                .link_fields()
                .iter()
                .fold(search.link.clone(), |l, f| {
                    l.replace(&format!("{{{f}}}"), "x")
                });
            if !search.link.starts_with('/')
                || !self
                    .routes
                    .iter()
                    .any(|r| r.kind == RouteKind::Page && router_matches(&r.path, &filled))
            {
                return Err(invalid(
                    &at("link"),
                    format!(
                        "`{}` does not lead to one of the module's page routes",
                        search.link
                    ),
                ));
            }
        }
        if !self.collections.is_empty() && !self.grants(Capability::Records) {
            return Err(invalid(
                "collections",
                "are declared, but `capabilities` does not ask for `records`".into(),
            ));
        }
        for (name, template) in &self.templates {
            if !is_module_id(name) {
                return Err(invalid(
                    &format!("templates.{name}"),
                    "the name must be 2 to 64 lower-case letters, digits and dashes".into(),
                ));
            }
            template.check().map_err(|(part, m)| {
                invalid(
                    &format!("templates.{name}.{part}"),
                    format!("is not a usable template: {m}"),
                )
            })?;
        }
        if !self.templates.is_empty() && !self.grants(Capability::Notify) {
            return Err(invalid(
                "templates",
                "are declared, but `capabilities` does not ask for `notify`".into(),
            ));
        }
        for (i, topic) in self.subscribes.iter().enumerate() {
            if !is_topic(topic) {
                return Err(invalid(
                    &format!("subscribes[{i}]"),
                    format!("`{topic}` is not a topic: lower-case words joined by dots"),
                ));
            }
        }
        Ok(())
    }

    /// Whether the manifest asks for `capability`.
    pub fn grants(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }
}

fn router_matches(pattern: &str, path: &str) -> bool {
    let mut r = matchit::Router::new();
    r.insert(pattern, ()).is_ok() && r.at(path).is_ok()
}

/// Whether `topic` is an event topic: lower-case words of letters, digits
/// and dashes, joined by dots.
pub fn is_topic(topic: &str) -> bool {
    topic.len() <= 100
        && topic.split('.').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// Whether `id` is a valid module identifier.
pub fn is_module_id(id: &str) -> bool {
    (2..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        schema = 1
        id = "notice-board"
        version = "0.1.0"
        name = "Notice board"
        component = "notice_board.wasm"
        capabilities = ["settings"]
        [[routes]]
        path = "/"
        kind = "page"
        [menu]
        label = "Notices"
    "#;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, Path::new("mods/x/module.toml"))
    }

    #[test]
    fn a_good_manifest_is_read() {
        let m = parse(GOOD).expect("valid");
        assert_eq!(m.id, "notice-board");
        assert!(m.grants(Capability::Settings));
        assert_eq!(m.menu.expect("menu").path, "/");
    }

    #[test]
    fn templates_are_checked_at_load_and_filled_strictly() {
        let with = |template: &str| {
            GOOD.replace("[[routes]]", &format!("{template}\n[[routes]]"))
                .replace("[\"settings\"]", "[\"settings\", \"notify\"]")
        };
        let m = parse(&with(
            "[templates.done]\nsubject = \"Hotovo: {{ title }}\"\ntext = \"{% if urgent %}Spěchá. {% endif %}{{ title }}\"",
        ))
        .expect("valid");
        let t = &m.templates["done"];
        let r = t
            .render(&serde_json::json!({ "title": "Most", "urgent": true }))
            .expect("filled");
        assert_eq!(r.subject, "Hotovo: Most");
        assert_eq!(r.text, "Spěchá. Most");
        assert_eq!(
            r.sms, "Hotovo: Most",
            "the subject is the SMS without an sms text"
        );
        let forged = t
            .render(&serde_json::json!({ "title": "Most\r\nBcc: x@example.cz", "urgent": false }))
            .expect("filled");
        assert_eq!(forged.subject, "Hotovo: Most Bcc: x@example.cz", "one line");
        let e = t
            .render(&serde_json::json!({ "urgent": false }))
            .unwrap_err();
        assert!(e.contains("undefined"), "{e}");

        let e = parse(&with(
            "[templates.done]\nsubject = \"{{ title \"\ntext = \"x\"",
        ))
        .unwrap_err();
        assert!(e.to_string().contains("`templates.done.subject`"), "{e}");
        let e = parse(&GOOD.replace(
            "[[routes]]",
            "[templates.done]\nsubject = \"a\"\ntext = \"b\"\n[[routes]]",
        ))
        .unwrap_err();
        assert!(e.to_string().contains("does not ask for `notify`"), "{e}");
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let e = parse(&GOOD.replace("notice-board", "Notice Board")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("mods/x/module.toml: `id`"), "{msg}");

        let e = parse(&GOOD.replace("\"settings\"", "\"filesystem\"")).unwrap_err();
        assert!(
            e.to_string().contains("unknown variant `filesystem`"),
            "{e}"
        );

        let e = parse(&GOOD.replace("notice_board.wasm", "../../etc/passwd")).unwrap_err();
        assert!(e.to_string().contains("`component`"), "{e}");

        let e = parse(&GOOD.replace("label = \"Notices\"", "label = \"N\"\npath = \"/x\""))
            .unwrap_err();
        assert!(e.to_string().contains("`menu.path`"), "{e}");

        let e = parse(&format!(
            "{GOOD}\n[[jobs]]\nname = \"j\"\nschedule = \"daily\""
        ))
        .unwrap_err();
        assert!(e.to_string().contains("`jobs[0].schedule`"), "{e}");

        let e = parse("schema = 1\nid = ").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn setting_defaults_must_match_their_type() {
        let text = format!("{GOOD}\n[settings.limit]\ntype = \"number\"\ndefault = \"ten\"");
        let e = parse(&text).unwrap_err();
        assert!(e.to_string().contains("`settings.limit.default`"), "{e}");
    }

    #[test]
    fn a_number_setting_takes_finite_numbers_within_its_range() {
        let setting = |extra: &str| format!("{GOOD}\n[settings.limit]\ntype = \"number\"\n{extra}");
        let m = parse(&setting("min = 1\nmax = 10.5")).expect("valid");
        let spec = &m.settings["limit"];
        for ok in ["1", "10.5", " 7 "] {
            assert_eq!(spec.check("limit", ok), Ok(()), "{ok}");
        }
        for (bad, says) in [
            (
                "inf",
                "`inf` is not a finite number: `limit` takes a number from 1 to 10.5",
            ),
            ("NaN", "`NaN` is not a finite number"),
            ("1e309", "`1e309` is not a finite number"),
            ("-5", "`-5` is less than 1"),
            ("11", "`11` is more than 10.5"),
            ("ten", "`ten` is not a number"),
        ] {
            let e = spec.check("limit", bad).unwrap_err();
            assert!(e.to_string().starts_with(says), "{bad}: {e}");
        }
        assert_eq!(
            spec.check("limit", "-5").unwrap_err().message("cs"),
            "`-5` je menší než 1: `limit` přijímá číslo od 1 do 10.5"
        );
        // Without a range, still finite only.
        let m = parse(&setting("")).expect("valid");
        let e = m.settings["limit"].check("limit", "-inf").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`-inf` is not a finite number: `limit` takes a finite number"
        );
        assert_eq!(m.settings["limit"].check("limit", "-5"), Ok(()));

        for (extra, field) in [
            ("min = 5\nmax = 1", "`settings.limit.max`"),
            ("min = inf", "`settings.limit.min`"),
            ("max = nan", "`settings.limit.max`"),
            ("min = 0\ndefault = \"-1\"", "`settings.limit.default`"),
        ] {
            let e = parse(&setting(extra)).unwrap_err();
            assert!(e.to_string().contains(field), "{extra}: {e}");
        }
        let text = format!("{GOOD}\n[settings.name]\ntype = \"string\"\nmin = 1");
        let e = parse(&text).unwrap_err();
        assert!(e.to_string().contains("`settings.name.min`"), "{e}");
    }
}
