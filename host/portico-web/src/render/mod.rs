//! Renders module views as accessible HTML pages. Every text a module
//! returns is escaped (maud escapes by default); every link a module gives
//! is either a path below its own `/m/<module>` or an absolute http(s) URL,
//! anything else (`javascript:`, `data:`, `//host`) is shown as plain text.
//!
//! This file has the page around a view (`Shell`, `page`, `view_page`,
//! `error_page`), the language helper and the check of a module's links;
//! `block` draws each block of a view (headings, text, tables, key-values,
//! actions, notices, stats, pagers; charts, timelines and maps come from
//! `figures`) and `form` draws forms and their fields, every one with the
//! CSRF token.

mod block;
mod form;

use maud::{DOCTYPE, Markup, html};
use portico_runtime::api::{Block, View};

use self::block::block_html;

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
    /// Where the person's agenda is (their tools), when they have one.
    pub agenda: Option<String>,
    /// Where the person's overview of their own affairs is.
    pub mine: Option<String>,
    /// The organization's footer, on pages of an organization's portal.
    pub footer: Option<Footer>,
    /// What search engines show of the page.
    pub description: Option<String>,
    /// The organization's emblem, beside its name in the header.
    pub emblem: Option<String>,
    /// The organization's stylesheet of its colour.
    pub brand_css: Option<String>,
    /// Whose tiles the portal's maps show (`/tiles/…`), when it has a
    /// tile source; without one, a map is a plan of its places.
    pub map_attribution: Option<String>,
}

/// The foot of every page of an organization's portal: who runs it and
/// how to reach them, and the pages every public body's portal has.
#[derive(Debug, Clone, Default)]
pub struct Footer {
    /// The organization's name.
    pub name: String,
    /// Its postal address.
    pub address: Option<String>,
    /// Its telephone, e-mail and data box, as written in its contacts.
    pub phone: String,
    /// Its e-mail address.
    pub email: String,
    /// Its data box (datová schránka).
    pub data_box: String,
    /// Its office hours, one day per line, in the page's language, or in
    /// the language named when they are written in no other.
    pub hours: (String, Option<&'static str>),
    /// Where its portal's pages are (`""` or `/o/<org>`).
    pub base: String,
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
            agenda: None,
            mine: None,
            footer: None,
            description: None,
            emblem: None,
            brand_css: None,
            map_attribution: None,
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

/// What marks a map the map library draws: the attribute that carries
/// its tiles' address.
pub(crate) const MAP_MARK: &str = "data-tiles=";

/// What marks a form whose fields change as the person answers: the
/// form script runs on the page.
pub(crate) const LIVE_MARK: &str = "data-live";

/// The name of the hidden form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";

/// The portal's own text in the page's language: Czech or English.
pub fn tr<'a>(lang: &str, en: &'a str, cs: &'a str) -> &'a str {
    if lang == "cs" { cs } else { en }
}

pub use portico_types::written::{moment, time_of_day};

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
                @if let Some(description) = &shell.description {
                    meta name="description" content=(description);
                }
                link rel="icon" href="/assets/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/assets/portico.css";
                @if let Some(css) = &shell.brand_css {
                    link rel="stylesheet" href=(css);
                }
                // The map library, on a page that has a map to draw.
                @if shell.map_attribution.is_some() && content.0.contains(MAP_MARK) {
                    link rel="stylesheet" href="/assets/map/leaflet.css";
                    link rel="stylesheet" href="/assets/map/markercluster.css";
                    link rel="stylesheet" href="/assets/map/markercluster-default.css";
                    script src="/assets/map/leaflet.js" defer {}
                    script src="/assets/map/markercluster.js" defer {}
                    script src="/assets/map/portico-map.js" defer {}
                }
                @if content.0.contains(LIVE_MARK) {
                    script src="/assets/portico-form.js" defer {}
                }
            }
            body {
                a.skip href="#content" { (tr(l, "Skip to content", "Přejít na obsah")) }
                header.portal-header {
                    a.portal-name href=(shell.home) {
                        @if let Some(emblem) = &shell.emblem {
                            img.emblem src=(emblem) alt="";
                        }
                        (shell.portal_name)
                    }
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
                        @if let Some(href) = &shell.agenda {
                            a href=(href) { (tr(l, "My agenda", "Moje agenda")) }
                        }
                        @if let Some(href) = &shell.mine {
                            a href=(href) { (tr(l, "My overview", "Můj přehled")) }
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
                @if let Some(footer) = &shell.footer {
                    (footer_html(footer, l))
                }
            }
        }
    }
    .into_string()
}

/// The foot of an organization's pages: its contacts, and its statements.
fn footer_html(f: &Footer, l: &str) -> Markup {
    let tel = |phone: &str| {
        let digits: String = phone
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        format!("tel:{digits}")
    };
    html! {
        footer.portal-footer {
            section.contacts aria-labelledby="footer-contacts" {
                h2 #footer-contacts { (tr(l, "Contacts", "Kontakty")) }
                p { strong { (f.name) } }
                @if let Some(address) = &f.address { p { (address) } }
                @if !f.phone.is_empty() {
                    p { (tr(l, "Telephone: ", "Telefon: ")) a href=(tel(&f.phone)) { (f.phone) } }
                }
                @if !f.email.is_empty() {
                    p { (tr(l, "E-mail: ", "E-mail: ")) a href=(format!("mailto:{}", f.email)) { (f.email) } }
                }
                @if !f.data_box.is_empty() {
                    p { (tr(l, "Data box: ", "Datová schránka: ")) (f.data_box) }
                }
            }
            @if !f.hours.0.is_empty() {
                section.hours aria-labelledby="footer-hours" {
                    h2 #footer-hours { (tr(l, "Office hours", "Úřední hodiny")) }
                    div lang=[f.hours.1] {
                        @for line in f.hours.0.lines().filter(|l| !l.trim().is_empty()) {
                            p { (line.trim()) }
                        }
                    }
                }
            }
            nav.statements aria-label=(tr(l, "About this portal", "O tomto portálu")) {
                ul {
                    li { a href=(format!("{}/accessibility", f.base)) { (tr(l, "Accessibility statement", "Prohlášení o přístupnosti")) } }
                    li { a href=(format!("{}/privacy", f.base)) { (tr(l, "Personal data", "Ochrana osobních údajů")) } }
                    li { a href=(format!("{}/cookies", f.base)) { (tr(l, "Cookies", "Cookies")) } }
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_shown_in_prague_time_in_each_language() {
        let summer = chrono::DateTime::parse_from_rfc3339("2026-07-01T22:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(moment(summer, "cs"), "2. 7. 2026 00:30");
        assert_eq!(moment(summer, "en"), "2 July 2026, 00:30");
        let winter = chrono::DateTime::parse_from_rfc3339("2026-12-02T13:05:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(moment(winter, "cs"), "2. 12. 2026 14:05");
        assert_eq!(time_of_day(winter), "14:05");
    }

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
}
