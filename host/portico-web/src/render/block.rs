//! A block of a module's view as HTML: headings (their level clamped),
//! text, tables (sortable by a link that keeps the page's query),
//! key-values, actions, notices, stats and pagers; charts, timelines and
//! maps are `figures`'. A module's link is kept only where `module_href`
//! allows it, else shown as text.

use maud::{Markup, PreEscaped, html};
use portico_runtime::api::{ActionStyle, Block, NoticeLevel, Pager, Stat, Table};

use super::form::form_html;
use super::{Shell, module_href, tr};
use crate::figures;

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

pub(super) fn block_html(base: &str, shell: &Shell, block: &Block) -> Markup {
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
        Block::Map(map) => figures::map(base, shell, map),
        Block::LineMap(map) => figures::line_map(base, shell, map),
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
            // A wide table scrolls in its box; the box takes the keyboard's
            // focus, so it scrolls without a mouse too (WCAG 2.1.1).
            div.table-wrap tabindex="0" role="region" aria-label=(table.caption) {
                table.stacking {
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
                                    @let column = table.columns.get(i);
                                    @let numeric = column.is_some_and(|c| c.numeric);
                                    // On a phone a row stands as a card, each
                                    // value under its column's name.
                                    td class=[numeric.then_some("num")] data-label=[column.map(|c| c.label.as_str())] {
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
