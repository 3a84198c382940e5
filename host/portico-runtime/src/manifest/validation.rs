//! Reading a manifest: parsing its TOML, the rules a manifest must keep
//! (identifiers, routes, the menu and dashboard pages, permissions and
//! roles, settings, jobs, collections, search, templates, topics), and
//! [`ManifestError`], which names the file and the field. The tests read
//! whole manifests, as the host does.

use std::path::{Path, PathBuf};

use super::{
    Access, Capability, IndexType, MANIFEST_SCHEMA, MAX_DOCUMENT_BYTES, MAX_INDEXES_PER_TYPE,
    Manifest, RouteKind, SettingType,
};

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
        let mut manifest = manifest;
        for search in &manifest.search {
            if let Some(c) = manifest.collections.get_mut(&search.collection) {
                for field in &search.fields {
                    if !c.searched.contains(field) {
                        c.searched.push(field.clone());
                    }
                }
            }
        }
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
        if let Some(mine) = &self.mine
            && !self.routes.iter().any(|r| {
                r.kind == RouteKind::Page
                    && r.access != Access::Public
                    && router_matches(&r.path, &mine.path)
            })
        {
            return Err(invalid(
                "mine.path",
                format!(
                    "`{}` is not one of the module's page routes for people logged in",
                    mine.path
                ),
            ));
        }
        for (name, entry) in &self.start {
            if !is_module_id(name) {
                return Err(invalid(
                    &format!("start.{name}"),
                    "the name must be 2 to 64 lower-case letters, digits and dashes".into(),
                ));
            }
            if !self
                .routes
                .iter()
                .any(|r| r.kind == RouteKind::Page && router_matches(&r.path, &entry.path))
            {
                return Err(invalid(
                    &format!("start.{name}.path"),
                    format!("`{}` is not one of the module's page routes", entry.path),
                ));
            }
        }
        for (name, entry) in &self.agenda {
            let at = |field: &str| format!("agenda.{name}.{field}");
            if !is_module_id(name) {
                return Err(invalid(
                    &format!("agenda.{name}"),
                    "the name must be 2 to 64 lower-case letters, digits and dashes".into(),
                ));
            }
            if !self.permissions.contains_key(&entry.permission) {
                return Err(invalid(
                    &at("permission"),
                    format!(
                        "`{}` is not one of the module's permissions",
                        entry.permission
                    ),
                ));
            }
            if !self
                .routes
                .iter()
                .any(|r| r.kind == RouteKind::Page && router_matches(&r.path, &entry.path))
            {
                return Err(invalid(
                    &at("path"),
                    format!("`{}` is not one of the module's page routes", entry.path),
                ));
            }
            if let Some(count) = &entry.count {
                let Some(c) = self.collections.get(&count.collection) else {
                    return Err(invalid(
                        &at("count.collection"),
                        format!(
                            "`{}` is not one of the module's collections",
                            count.collection
                        ),
                    ));
                };
                let Some(index) = c.indexes.iter().find(|i| i.field == count.field) else {
                    return Err(invalid(
                        &at("count.field"),
                        format!(
                            "`{}` is not an indexed field of `{}`",
                            count.field, count.collection
                        ),
                    ));
                };
                if index.kind == IndexType::Number && count.value.parse::<f64>().is_err() {
                    return Err(invalid(
                        &at("count.value"),
                        format!(
                            "`{}` is not a number, and `{}` is a number field",
                            count.value, count.field
                        ),
                    ));
                }
            }
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
            if spec.translated && spec.kind != SettingType::String {
                return Err(invalid(
                    &format!("settings.{key}.translated"),
                    "only a text setting is set per language".into(),
                ));
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
                f.is_empty()
                    || c.indexes
                        .iter()
                        .any(|i| &i.field == *f && i.kind != IndexType::String)
            }) {
                return Err(invalid(
                    &at("fields"),
                    format!("`{f}` is not a text field of `{}`", search.collection),
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
        for (lang, texts) in &self.translations {
            // Any language a vendor translates into is kept; the portal
            // shows those it speaks.
            if !(2..=8).contains(&lang.len())
                || !lang.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            {
                return Err(invalid(
                    &format!("translations.{lang}"),
                    "is not a language tag: two to eight lower-case letters, e.g. `cs`".into(),
                ));
            }
            // A translation of something the manifest does not declare is
            // a misspelt key: it would never be shown.
            let keyed = [
                (
                    "permissions",
                    texts.permissions.keys().collect::<Vec<_>>(),
                    self.permissions.keys().collect::<Vec<_>>(),
                ),
                (
                    "roles",
                    texts.roles.keys().collect(),
                    self.roles.keys().collect(),
                ),
                (
                    "settings",
                    texts.settings.keys().collect(),
                    self.settings.keys().collect(),
                ),
                (
                    "agenda",
                    texts.agenda.keys().collect(),
                    self.agenda.keys().collect(),
                ),
                (
                    "templates",
                    texts.templates.keys().collect(),
                    self.templates.keys().collect(),
                ),
                (
                    "connections",
                    texts.connections.keys().collect(),
                    self.connections.iter().map(|c| &c.name).collect(),
                ),
            ];
            for (part, translated, declared) in keyed {
                if let Some(key) = translated.iter().find(|k| !declared.contains(k)) {
                    return Err(invalid(
                        &format!("translations.{lang}.{part}.{key}"),
                        format!("translates `{part}.{key}`, which the manifest does not declare"),
                    ));
                }
            }
            for (name, template) in &texts.templates {
                template.check().map_err(|(part, m)| {
                    invalid(
                        &format!("translations.{lang}.templates.{name}.{part}"),
                        format!("is not a usable template: {m}"),
                    )
                })?;
            }
        }
        for (i, c) in self.connections.iter().enumerate() {
            if !is_module_id(&c.name) {
                return Err(invalid(
                    &format!("connections[{i}].name"),
                    format!(
                        "`{}` must be 2 to 64 lower-case letters, digits and dashes, starting with a letter",
                        c.name
                    ),
                ));
            }
            if self.connections[..i].iter().any(|d| d.name == c.name) {
                return Err(invalid(
                    &format!("connections[{i}].name"),
                    format!("`{}` is declared twice", c.name),
                ));
            }
            if c.purpose.trim().is_empty() {
                return Err(invalid(
                    &format!("connections[{i}].purpose"),
                    "must say what the connection is for: the administrator reads it before setting it up".into(),
                ));
            }
        }
        if !self.connections.is_empty() && !self.grants(Capability::Connections) {
            return Err(invalid(
                "connections",
                "are declared, but `capabilities` does not ask for `connections`".into(),
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
    use super::super::Keyed;
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
            .render(
                &serde_json::json!({ "title": "Most", "urgent": true }),
                "cs",
            )
            .expect("filled");
        assert_eq!(r.subject, "Hotovo: Most");
        assert_eq!(r.text, "Spěchá. Most");
        assert_eq!(
            r.sms, "Hotovo: Most",
            "the subject is the SMS without an sms text"
        );
        let forged = t
            .render(
                &serde_json::json!({ "title": "Most\r\nBcc: x@example.cz", "urgent": false }),
                "cs",
            )
            .expect("filled");
        assert_eq!(forged.subject, "Hotovo: Most Bcc: x@example.cz", "one line");
        let e = t
            .render(&serde_json::json!({ "urgent": false }), "cs")
            .unwrap_err();
        assert!(e.contains("undefined"), "{e}");

        let dated = parse(&with(
            "[templates.done]\nsubject = \"{{ title }}\"\ntext = \"Do {{ until | date }}\"",
        ))
        .expect("valid");
        let until = serde_json::json!({ "title": "Most", "until": "2026-12-04" });
        let text = |lang| {
            dated.templates["done"]
                .render(&until, lang)
                .expect("filled")
                .text
        };
        assert_eq!(text("cs"), "Do 4. 12. 2026");
        assert_eq!(text("en"), "Do 4 December 2026");

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
    fn a_translation_gives_templates_and_labels_in_its_language() {
        let m = parse(
            &GOOD
                .replace("[\"settings\"]", "[\"settings\", \"notify\", \"records\"]")
                .replace(
                    "[[routes]]",
                    r#"
            [templates.done]
            subject = "Done: {{ title }}"
            text = "{{ title }}"
            [permissions]
            post = "Post notices"
            [roles.editor]
            label = "Editor"
            permissions = ["post"]
            [settings.days]
            type = "number"
            label = "Days a notice stays"
            [collections.notices]
            indexes = [{ field = "state", type = "string" }]
            [agenda.drafts]
            label = "Drafts"
            path = "/"
            permission = "post"
            count = { collection = "notices", field = "state", value = "draft" }
            [translations.cs]
            roles = { editor = "Editor úřední desky" }
            settings = { days = "Dní, po které oznámení visí" }
            agenda = { drafts = "Koncepty" }
            [translations.cs.templates.done]
            subject = "Hotovo: {{ title }}"
            text = "{{ title }}"
            [[routes]]"#,
                ),
        )
        .expect("valid");
        let filled = |lang| {
            m.template_in("done", lang)
                .expect("declared")
                .render(&serde_json::json!({ "title": "Most" }), lang)
                .expect("filled")
                .subject
        };
        assert_eq!(filled("cs"), "Hotovo: Most");
        assert_eq!(filled("en"), "Done: Most");
        assert_eq!(m.role_label_in("editor", "cs"), Some("Editor úřední desky"));
        assert_eq!(
            m.setting_label_in("days", "en"),
            Some("Days a notice stays")
        );
        assert_eq!(
            m.permission_in("post", "cs"),
            Some("Post notices"),
            "an untranslated text stays the English one"
        );
        assert_eq!(
            m.text_in(Keyed::Agenda, "drafts", "cs", "Drafts"),
            "Koncepty"
        );

        let e = parse(&GOOD.replace(
            "[[routes]]",
            "[translations.cs]\nroles = { editr = \"Editor\" }\n[[routes]]",
        ))
        .unwrap_err();
        assert!(
            e.to_string().contains("`translations.cs.roles.editr` translates `roles.editr`, which the manifest does not declare"),
            "{e}"
        );
        // A language the portal does not speak is kept, not refused.
        let m = parse(&GOOD.replace(
            "[[routes]]",
            "[translations.de]\nname = \"Amtstafel\"\n[[routes]]",
        ))
        .expect("valid");
        assert_eq!(m.name_in("de"), "Amtstafel");
        let e = parse(&GOOD.replace(
            "[[routes]]",
            "[translations.\"Deutsch!\"]\nname = \"x\"\n[[routes]]",
        ))
        .unwrap_err();
        assert!(e.to_string().contains("is not a language tag"), "{e}");
    }

    #[test]
    fn an_agenda_entry_names_a_page_a_permission_and_an_indexed_field() {
        let with = |entry: &str| {
            parse(&GOOD.replace("[\"settings\"]", "[\"settings\", \"records\"]").replace(
                "[[routes]]",
                &format!(
                    "[permissions]\npost = \"Post\"\n[collections.notices]\nindexes = [{{ field = \"open\", type = \"number\" }}]\n[agenda.open]\nlabel = \"Open\"\n{entry}\n[[routes]]"
                ),
            ))
        };
        with("path = \"/\"\npermission = \"post\"\ncount = { collection = \"notices\", field = \"open\", value = \"1\" }")
            .expect("valid");
        for (entry, says) in [
            (
                "path = \"/nowhere\"\npermission = \"post\"",
                "`agenda.open.path` `/nowhere` is not one of the module's page routes",
            ),
            (
                "path = \"/\"\npermission = \"edit\"",
                "`agenda.open.permission` `edit` is not one of the module's permissions",
            ),
            (
                "path = \"/\"\npermission = \"post\"\ncount = { collection = \"notices\", field = \"state\", value = \"1\" }",
                "`state` is not an indexed field of `notices`",
            ),
            (
                "path = \"/\"\npermission = \"post\"\ncount = { collection = \"notices\", field = \"open\", value = \"yes\" }",
                "`yes` is not a number",
            ),
        ] {
            let e = with(entry).unwrap_err();
            assert!(e.to_string().contains(says), "{e}");
        }
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
