//! Renders module views as accessible HTML pages. Every text a module
//! returns is escaped (maud escapes by default); every link a module gives
//! is either a path below its own `/m/<module>` or an absolute http(s) URL,
//! anything else (`javascript:`, `data:`, `//host`) is shown as plain text.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use portico_runtime::api::{
    ActionStyle, Block, FieldKind, Form, FormField, NoticeLevel, Pager, Stat, Table, View,
};

use crate::figures;

/// One entry of the portal navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// The text.
    pub label: String,
    /// Where it leads.
    pub href: String,
    /// Whether it is the current module.
    pub current: bool,
}

/// What surrounds every page: the portal's name, navigation and language.
#[derive(Debug, Clone)]
pub struct Shell {
    /// The portal's name.
    pub portal_name: String,
    /// Navigation entries.
    pub nav: Vec<NavItem>,
    /// The page language (`cs`, `en`).
    pub lang: String,
    /// The home page the portal's name links to.
    pub home: String,
    /// The name of the user logged in, if one is.
    pub user: Option<String>,
    /// The token every form of this page carries against cross-site forgery.
    pub csrf: String,
    /// Where the user manual of the page's module is, if it has one.
    pub manual: Option<String>,
    /// The way from the portal's home to this page (the page itself last,
    /// not linked); empty on the home page.
    pub crumbs: Vec<Crumb>,
    /// The page's query string, so links that re-sort a table keep the rest.
    pub query: Vec<(String, String)>,
    /// The other organizations the user works in: (name, home page).
    pub other_orgs: Vec<(String, String)>,
    /// Where the user's inbox is, with the number of unread messages.
    pub inbox: Option<(String, u64)>,
    /// Where the search of this organization is.
    pub search: Option<String>,
}

impl Shell {
    /// A frame with the portal's name and language and nothing else.
    pub fn plain(portal_name: impl Into<String>, lang: &str, home: impl Into<String>) -> Shell {
        Shell {
            portal_name: portal_name.into(),
            nav: Vec::new(),
            lang: lang.to_owned(),
            home: home.into(),
            user: None,
            csrf: String::new(),
            manual: None,
            crumbs: Vec::new(),
            query: Vec::new(),
            other_orgs: Vec::new(),
            inbox: None,
            search: None,
        }
    }
}

/// One step of the breadcrumb trail.
#[derive(Debug, Clone)]
pub struct Crumb {
    /// The text.
    pub label: String,
    /// Where it leads; `None` for the current page.
    pub href: Option<String>,
}

/// The name of the hidden form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";

/// The portal's own text in the page's language: Czech or English.
pub fn tr<'a>(lang: &str, en: &'a str, cs: &'a str) -> &'a str {
    if lang == "cs" { cs } else { en }
}

/// Resolves a link a module gave: a path below the module (whose pages are
/// at `base`, e.g. `/o/brno/m/notice-board`), or an absolute http(s) URL.
/// `None` for anything else.
pub fn module_href(base: &str, href: &str) -> Option<String> {
    let lower = href.trim_start().to_ascii_lowercase();
    if href.starts_with('/') && !href.starts_with("//") && !href.contains('\\') {
        Some(format!("{base}{href}"))
    } else if lower.starts_with("https://") || lower.starts_with("http://") {
        Some(href.to_owned())
    } else {
        None
    }
}

/// A whole page around `content`.
pub fn page(shell: &Shell, title: &str, content: Markup) -> String {
    let l = shell.lang.as_str();
    html! {
        (DOCTYPE)
        html lang=(shell.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (shell.portal_name) }
                link rel="stylesheet" href="/assets/portico.css";
            }
            body {
                a.skip href="#content" { (tr(l, "Skip to content", "Přejít na obsah")) }
                header.portal-header {
                    a.portal-name href=(shell.home) { (shell.portal_name) }
                    div.account {
                        @if l == "cs" {
                            a href="/lang/en" lang="en" hreflang="en" { "English" }
                        } @else {
                            a href="/lang/cs" lang="cs" hreflang="cs" { "Čeština" }
                        }
                        @if let Some(search) = &shell.search {
                            form.inline.search method="get" action=(search) role="search" {
                                label for="portal-search" { (tr(l, "Search", "Hledat")) }
                                input #portal-search type="search" name="q";
                                button.link type="submit" { (tr(l, "Go", "Najít")) }
                            }
                        }
                        @if !shell.other_orgs.is_empty() {
                            details.org-switch {
                                summary { (tr(l, "Organizations", "Organizace")) }
                                ul {
                                    @for (name, href) in &shell.other_orgs {
                                        li { a href=(href) { (name) } }
                                    }
                                }
                            }
                        }
                        @if let Some((href, unread)) = &shell.inbox {
                            a href=(href) {
                                (tr(l, "Inbox", "Zprávy"))
                                @if *unread > 0 {
                                    " " span.badge { (unread) span.visually-hidden { " " (tr(l, "unread", "nepřečtené")) } }
                                }
                            }
                        }
                        @if let Some(user) = &shell.user {
                            a href="/auth/me" { (user) }
                            form.inline method="post" action="/auth/logout" {
                                input type="hidden" name=(CSRF_FIELD) value=(shell.csrf);
                                button.link type="submit" { (tr(l, "Log out", "Odhlásit se")) }
                            }
                        } @else {
                            a href="/auth/login" { (tr(l, "Log in", "Přihlásit se")) }
                        }
                    }
                }
                @if !shell.nav.is_empty() {
                    nav.portal-nav aria-label=(tr(l, "Modules", "Moduly")) {
                        ul {
                            @for item in &shell.nav {
                                li {
                                    @if item.current {
                                        a href=(item.href) aria-current="page" { (item.label) }
                                    } @else {
                                        a href=(item.href) { (item.label) }
                                    }
                                }
                            }
                        }
                    }
                }
                main #content tabindex="-1" {
                    @if !shell.crumbs.is_empty() {
                        nav.breadcrumbs aria-label=(tr(l, "Breadcrumb", "Drobečková navigace")) {
                            ol {
                                @for c in &shell.crumbs {
                                    li {
                                        @match &c.href {
                                            Some(href) => a href=(href) { (c.label) },
                                            None => span aria-current="page" { (c.label) },
                                        }
                                    }
                                }
                            }
                        }
                    }
                    h1 { (title) }
                    @if let Some(href) = &shell.manual {
                        p.manual-link { a href=(href) { (tr(l, "User manual", "Uživatelská příručka")) } }
                    }
                    (content)
                }
            }
        }
    }
    .into_string()
}

/// A module's view as a page; the module's pages are at `base`.
pub fn view_page(shell: &Shell, base: &str, view: &View, flash: Option<&str>) -> String {
    let content = html! {
        @if let Some(message) = flash {
            div.notice.notice-success role="status" { p { (message) } }
        }
        (blocks(base, shell, &view.blocks))
    };
    page(shell, &view.title, content)
}

/// A module's blocks, top to bottom (a page's content, or one module's
/// part of the dashboard).
pub fn blocks(base: &str, shell: &Shell, blocks: &[Block]) -> Markup {
    html! {
        @for block in blocks {
            (block_html(base, shell, block))
        }
    }
}

/// An error page: what happened, and the request id to quote.
pub fn error_page(shell: &Shell, title: &str, message: &str, request_id: &str) -> String {
    let content = html! {
        div.notice.notice-error role="alert" {
            p { (message) }
        }
        @if !request_id.is_empty() {
            p.request-id { (tr(&shell.lang, "Request id: ", "Číslo požadavku: ")) code { (request_id) } }
        }
        p { a href=(shell.home) { (tr(&shell.lang, "Back to the portal", "Zpět na portál")) } }
    };
    page(shell, title, content)
}

fn link_or_text(base: &str, text: &str, href: Option<&str>) -> Markup {
    match href.and_then(|h| module_href(base, h)) {
        Some(url) => html! { a href=(url) { (text) } },
        None => html! { (text) },
    }
}

fn paragraph(text: &str) -> Markup {
    html! {
        p {
            @for (i, line) in text.split('\n').enumerate() {
                @if i > 0 { br; }
                (line)
            }
        }
    }
}

fn block_html(base: &str, shell: &Shell, block: &Block) -> Markup {
    match block {
        Block::Heading { level, text } => {
            let level = (*level).clamp(2, 6);
            // The tag name comes from a number we clamped, never from the module.
            html! {
                (PreEscaped(format!("<h{level}>")))
                (text)
                (PreEscaped(format!("</h{level}>")))
            }
        }
        Block::Text { text } => paragraph(text),
        Block::Table(table) => table_html(base, shell, table),
        Block::KeyValues { items } => html! {
            dl.key-values {
                @for kv in items {
                    div {
                        dt { (kv.key) }
                        dd { (kv.value) }
                    }
                }
            }
        },
        Block::Actions { items } => html! {
            div.actions {
                @for a in items {
                    @let class = match a.style {
                        ActionStyle::Primary => "button primary",
                        ActionStyle::Secondary => "button secondary",
                        ActionStyle::Danger => "button danger",
                    };
                    @match module_href(base, &a.href) {
                        Some(url) => a class=(class) href=(url) { (a.label) },
                        None => span class=(class) { (a.label) },
                    }
                }
            }
        },
        Block::Form(form) => form_html(base, shell, form),
        Block::Notice { level, text } => {
            let (class, role) = match level {
                NoticeLevel::Info => ("notice notice-info", "status"),
                NoticeLevel::Success => ("notice notice-success", "status"),
                NoticeLevel::Warning => ("notice notice-warning", "status"),
                NoticeLevel::Error => ("notice notice-error", "alert"),
            };
            html! { div class=(class) role=(role) { (paragraph(text)) } }
        }
        Block::Stats { items } => stats_html(base, items),
        Block::Chart(chart) => figures::chart(&shell.lang, chart),
        Block::Timeline { items } => figures::timeline(base, &shell.lang, items),
        Block::Map(map) => figures::map(base, &shell.lang, map),
        Block::Pager(pager) => pager_html(base, &shell.lang, pager),
    }
}

fn stats_html(base: &str, items: &[Stat]) -> Markup {
    html! {
        ul.stats {
            @for s in items {
                li.stat {
                    span.stat-value { (s.value) }
                    span.stat-label { (link_or_text(base, &s.label, s.link.as_deref())) }
                    @if let Some(detail) = &s.detail { span.stat-detail { (detail) } }
                }
            }
        }
    }
}

fn pager_html(base: &str, lang: &str, pager: &Pager) -> Markup {
    let previous = pager.previous.as_deref().and_then(|h| module_href(base, h));
    let next = pager.next.as_deref().and_then(|h| module_href(base, h));
    html! {
        nav.pager aria-label=(tr(lang, "Pages", "Stránky")) {
            @if let Some(href) = previous {
                a rel="prev" href=(href) { "← " (tr(lang, "Previous", "Předchozí")) }
            }
            @if let Some(summary) = &pager.summary { span.pager-summary { (summary) } }
            @if let Some(href) = next {
                a rel="next" href=(href) { (tr(lang, "Next", "Další")) " →" }
            }
        }
    }
}

/// The link that sorts a table by `key`: the page's own query with `sort`
/// and `order` replaced and any cursor dropped (a new order starts over).
fn sort_href(query: &[(String, String)], key: &str, descending: bool) -> String {
    let mut pairs: Vec<(&str, &str)> = query
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "sort" | "order" | "cursor" | "flash"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.push(("sort", key));
    pairs.push(("order", if descending { "desc" } else { "asc" }));
    format!(
        "?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

fn table_html(base: &str, shell: &Shell, table: &Table) -> Markup {
    let lang = shell.lang.as_str();
    let sorted = |key: &str| {
        table
            .sorted_by
            .as_ref()
            .filter(|s| s.key == key)
            .map(|s| s.descending)
    };
    html! {
        @if table.rows.is_empty() {
            section.table-empty aria-label=(table.caption) {
                h2.caption { (table.caption) }
                p { (if table.empty_text.is_empty() { tr(lang, "Nothing to show.", "Nic tu není.") } else { &table.empty_text }) }
            }
        } @else {
            div.table-wrap {
                table {
                    caption { (table.caption) }
                    thead {
                        tr {
                            @for col in &table.columns {
                                @match &col.sort_key {
                                    Some(key) => {
                                        @let now = sorted(key);
                                        th scope="col" class=[col.numeric.then_some("num")]
                                            aria-sort=(match now { Some(true) => "descending", Some(false) => "ascending", None => "none" }) {
                                            a.sort href=(sort_href(&shell.query, key, now == Some(false))) {
                                                (col.label)
                                                span.visually-hidden { ", " (match now {
                                                    Some(false) => tr(lang, "sort descending", "seřadit sestupně"),
                                                    _ => tr(lang, "sort ascending", "seřadit vzestupně"),
                                                }) }
                                                span.sort-mark aria-hidden="true" { (match now { Some(true) => " ▼", Some(false) => " ▲", None => " ↕" }) }
                                            }
                                        }
                                    }
                                    None => th scope="col" class=[col.numeric.then_some("num")] { (col.label) },
                                }
                            }
                        }
                    }
                    tbody {
                        @for row in &table.rows {
                            tr {
                                @for (i, cell) in row.iter().enumerate() {
                                    @let numeric = table.columns.get(i).is_some_and(|c| c.numeric);
                                    td class=[numeric.then_some("num")] {
                                        (link_or_text(base, &cell.text, cell.link.as_deref()))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn form_html(base: &str, shell: &Shell, form: &Form) -> Markup {
    let lang = shell.lang.as_str();
    // A form posts only to the module's own pages.
    let action = if form.action.starts_with('/') {
        module_href(base, &form.action)
    } else {
        None
    };
    let has_errors = form.fields.iter().any(|f| f.error.is_some());
    let uploads = form
        .fields
        .iter()
        .any(|f| f.kind == FieldKind::File)
        .then_some("multipart/form-data");
    html! {
        form method="post" action=(action.unwrap_or_default()) enctype=[uploads] novalidate {
            input type="hidden" name=(CSRF_FIELD) value=(shell.csrf);
            @if has_errors {
                div.notice.notice-error role="alert" {
                    p { (tr(lang, "Please correct the marked fields.", "Opravte prosím označená pole.")) }
                    ul {
                        @for f in form.fields.iter().filter(|f| f.error.is_some()) {
                            li { a href=(format!("#f-{}", f.name)) { (f.label) ": " (f.error.as_deref().unwrap_or_default()) } }
                        }
                    }
                }
            }
            @for field in &form.fields {
                (field_html(lang, field))
            }
            div.buttons {
                button.button.primary type="submit" { (form.submit_label) }
                @for b in &form.buttons {
                    " "
                    button.button type="submit" name="_button" value=(b.name) { (b.label) }
                }
            }
        }
    }
}

fn field_html(lang: &str, f: &FormField) -> Markup {
    let required = tr(lang, "(required)", "(povinné)");
    let id = format!("f-{}", f.name);
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    let mut described = Vec::new();
    if f.help.is_some() {
        described.push(help_id.clone());
    }
    if f.error.is_some() {
        described.push(error_id.clone());
    }
    let described = (!described.is_empty()).then(|| described.join(" "));
    let invalid = f.error.as_ref().map(|_| "true");
    let value = f.value.clone().unwrap_or_default();
    if f.kind == FieldKind::Hidden {
        return html! { input type="hidden" name=(f.name) value=(value); };
    }
    let input_type = match f.kind {
        FieldKind::Number => "number",
        FieldKind::Date => "date",
        FieldKind::Email => "email",
        FieldKind::Tel => "tel",
        FieldKind::File => "file",
        _ => "text",
    };
    // Text-like fields can be read-only; they say so in their label.
    let read_only = f.read_only
        && matches!(
            f.kind,
            FieldKind::Text
                | FieldKind::Textarea
                | FieldKind::Number
                | FieldKind::Date
                | FieldKind::Email
                | FieldKind::Tel
        );
    let fixed = tr(lang, "(cannot be changed)", "(nelze změnit)");
    if matches!(f.kind, FieldKind::Radio | FieldKind::Checkboxes) {
        let radio = f.kind == FieldKind::Radio;
        let kind = if radio { "radio" } else { "checkbox" };
        let checked = |v: &str| {
            if radio {
                v == value
            } else {
                f.selected.iter().any(|s| s == v)
            }
        };
        return html! {
            fieldset.field.choices.field-error[f.error.is_some()] #(id) aria-describedby=[described.as_deref()] {
                legend { (f.label) @if f.required { " " span.required { (required) } } }
                @for (i, c) in f.choices.iter().enumerate() {
                    @let choice_id = format!("{id}-{i}");
                    div.choice {
                        input #(choice_id) type=(kind) name=(f.name) value=(c.value) checked[checked(&c.value)];
                        label for=(choice_id) { (c.label) }
                    }
                }
                @if let Some(help) = &f.help {
                    p.help #(help_id) { (help) }
                }
                @if let Some(error) = &f.error {
                    p.error #(error_id) { (error) }
                }
            }
        };
    }
    html! {
        div.field.field-error[f.error.is_some()] {
            @if f.kind == FieldKind::Checkbox {
                input #(id) type="checkbox" name=(f.name) value="true"
                    checked[matches!(value.as_str(), "true" | "on")]
                    aria-describedby=[described.as_deref()] aria-invalid=[invalid];
                label for=(id) { (f.label) @if f.required { " " span.required { (required) } } }
            } @else {
                label for=(id) {
                    (f.label)
                    @if f.required { " " span.required { (required) } }
                    @if read_only { " " span.fixed { (fixed) } }
                }
                @match f.kind {
                    FieldKind::Textarea => textarea #(id) name=(f.name) rows="5" required[f.required]
                        readonly[read_only] autocomplete=[f.autocomplete.as_deref()]
                        aria-describedby=[described.as_deref()] aria-invalid=[invalid] { (value) },
                    FieldKind::Select => select #(id) name=(f.name) required[f.required]
                        autocomplete=[f.autocomplete.as_deref()]
                        aria-describedby=[described.as_deref()] aria-invalid=[invalid] {
                        @if !f.required { option value="" { "—" } }
                        @for c in &f.choices {
                            option value=(c.value) selected[c.value == value] { (c.label) }
                        }
                    },
                    FieldKind::File => input #(id) type="file" name=(f.name) required[f.required]
                        accept=[f.accept.as_deref()]
                        aria-describedby=[described.as_deref()] aria-invalid=[invalid];,
                    _ => input #(id) type=(input_type) name=(f.name) value=(value) required[f.required]
                        readonly[read_only] pattern=[f.pattern.as_deref()]
                        min=[f.min.as_deref()] max=[f.max.as_deref()]
                        step=[(f.kind == FieldKind::Number).then_some("any")]
                        autocomplete=[f.autocomplete.as_deref()]
                        aria-describedby=[described.as_deref()] aria-invalid=[invalid];
                }
            }
            @if let Some(help) = &f.help {
                p.help #(help_id) { (help) }
            }
            @if let Some(error) = &f.error {
                p.error #(error_id) { (error) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_stay_inside_the_module_or_go_to_http() {
        assert_eq!(
            module_href("/m/nb", "/notices/1").as_deref(),
            Some("/m/nb/notices/1")
        );
        assert_eq!(
            module_href("/m/nb", "https://gov.example/x").as_deref(),
            Some("https://gov.example/x")
        );
        assert_eq!(module_href("/m/nb", "javascript:alert(1)"), None);
        assert_eq!(module_href("/m/nb", " JaVaScRiPt:alert(1)"), None);
        assert_eq!(module_href("/m/nb", "//evil.example/"), None);
        assert_eq!(module_href("/m/nb", "data:text/html,<script>"), None);
    }

    #[test]
    fn module_text_is_escaped() {
        let shell = Shell {
            user: Some("<b>Eve</b>".into()),
            csrf: "\"><script>".into(),
            ..Shell::plain("P", "en", "/")
        };
        let view = View {
            title: "<script>alert(1)</script>".into(),
            blocks: vec![Block::Text {
                text: "<img src=x onerror=alert(1)>".into(),
            }],
        };
        let html = view_page(&shell, "/m/m", &view, None);
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("<b>Eve"), "{html}");
        assert!(!html.contains("\"><script>"), "{html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
    }

    #[test]
    fn richer_fields_render_as_accessible_controls() {
        use portico_runtime::api::{Choice, FormButton};
        let choices = vec![
            Choice {
                value: "dog".into(),
                label: "A dog".into(),
            },
            Choice {
                value: "cat".into(),
                label: "<b>A cat</b>".into(),
            },
        ];
        let form = Form {
            action: "/apply".into(),
            submit_label: "Send".into(),
            fields: vec![
                FormField {
                    name: "kind".into(),
                    label: "Which animal".into(),
                    kind: FieldKind::Radio,
                    required: true,
                    value: Some("cat".into()),
                    choices: choices.clone(),
                    error: Some("Choose one.".into()),
                    ..FormField::default()
                },
                FormField {
                    name: "also".into(),
                    label: "Also kept".into(),
                    kind: FieldKind::Checkboxes,
                    selected: vec!["dog".into()],
                    choices,
                    ..FormField::default()
                },
                FormField {
                    name: "name".into(),
                    label: "Name".into(),
                    value: Some("Jana".into()),
                    read_only: true,
                    autocomplete: Some("name".into()),
                    ..FormField::default()
                },
                FormField {
                    name: "zip".into(),
                    label: "Postcode".into(),
                    pattern: Some("[0-9]{3} ?[0-9]{2}".into()),
                    ..FormField::default()
                },
                FormField {
                    name: "born".into(),
                    label: "Born".into(),
                    kind: FieldKind::Date,
                    min: Some("1900-01-01".into()),
                    max: Some("2026-12-31".into()),
                    ..FormField::default()
                },
                FormField {
                    name: "photo".into(),
                    label: "Photo".into(),
                    kind: FieldKind::File,
                    accept: Some("image/png".into()),
                    ..FormField::default()
                },
            ],
            buttons: vec![FormButton {
                name: "draft".into(),
                label: "Save draft".into(),
            }],
        };
        let view = View {
            title: "Dog licence".into(),
            blocks: vec![Block::Form(form)],
        };
        let html = view_page(&Shell::plain("P", "en", "/"), "/m/m", &view, None);
        let has = |needle: &str| assert!(html.contains(needle), "{needle} in {html}");
        // Radios in a fieldset named by its legend; the error link finds it.
        has(
            r#"<fieldset class="field choices field-error" id="f-kind" aria-describedby="f-kind-error"><legend>Which animal"#,
        );
        has(r#"<input id="f-kind-1" type="radio" name="kind" value="cat" checked>"#);
        has(r#"<label for="f-kind-1">&lt;b&gt;A cat&lt;/b&gt;</label>"#);
        has(r##"<a href="#f-kind">"##);
        has(r#"<input id="f-also-0" type="checkbox" name="also" value="dog" checked>"#);
        has(r#"<input id="f-also-1" type="checkbox" name="also" value="cat">"#);
        // A read-only value says so; hints reach the browser.
        has(r#"<span class="fixed">(cannot be changed)</span>"#);
        has(r#"value="Jana" readonly autocomplete="name""#);
        has(r#"pattern="[0-9]{3} ?[0-9]{2}""#);
        has(r#"min="1900-01-01" max="2026-12-31""#);
        has(r#"type="file" name="photo" accept="image/png""#);
        has(r#"enctype="multipart/form-data""#);
        // The further button posts its name.
        has(
            r#"<button class="button" type="submit" name="_button" value="draft">Save draft</button>"#,
        );
    }
}
