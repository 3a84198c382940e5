//! Every module's user manual, shipped beside its manifest as Markdown
//! (`manual.md`, and `manual.cs.md` for Czech), shown at
//! `/o/<org>/help/<module>` (or `/help/<module>` for the default
//! organization) wherever the module is enabled. A vendor's Markdown is
//! rendered without its raw HTML and then cleaned with ammonia, so a
//! manual can hold text, lists, tables, images and http(s) links, never
//! script.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::PreEscaped;
use portico_runtime::LoadedModule;
use pulldown_cmark::{Event, Options, Parser};

use crate::AppState;
use crate::extractors::{Lang, PageFrame, Visitor};
use crate::failure::{Failure, NOT_FOUND};
use crate::frame::{html_response, tenant_shell};
use crate::render;

/// The largest manual shown.
const MAX_MANUAL_BYTES: u64 = 512 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/help/{module}", get(default_org_manual))
        .route("/o/{org}/help/{module}", get(org_manual))
}

/// The file of the manual in `lang`, or in the language it is written in,
/// as the module shipped it (no look at the disk: every page asks).
pub(crate) fn file(module: &LoadedModule, lang: &str) -> Option<String> {
    [format!("manual.{lang}.md"), "manual.md".to_owned()]
        .into_iter()
        .find(|name| {
            module
                .file_size(name)
                .is_some_and(|n| n <= MAX_MANUAL_BYTES)
        })
}

/// The manual's Markdown in `lang`, or in the language it is written in.
pub(crate) fn source(module: &LoadedModule, lang: &str) -> Option<String> {
    std::fs::read_to_string(module.dir().join(file(module, lang)?)).ok()
}

/// Markdown as safe HTML: raw HTML is shown as text, then ammonia keeps
/// only harmless elements and http(s)/mailto links.
pub(crate) fn to_html(markdown: &str) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean(&html)
        .to_string()
}

/// Who reads the manual, for the page header only: a visitor who cannot
/// be found (a bad API token, the database away) still reads it.
type Reader = Result<Visitor, Failure>;

async fn default_org_manual(
    State(state): State<AppState>,
    frame: PageFrame,
    Lang(lang): Lang,
    reader: Reader,
    Path(module): Path<String>,
) -> Result<Response, Failure> {
    let Some(org) = state.config.default_org.clone() else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            (
                "This portal has no default organization: open the manual at /o/<organization>/help/<module>.",
                "Tento portál nemá výchozí organizaci: příručku otevřete na adrese /o/<organizace>/help/<modul>.",
            ),
        ));
    };
    manual_page(&state, &frame, &lang, reader.ok(), &org, &module).await
}

async fn org_manual(
    State(state): State<AppState>,
    frame: PageFrame,
    Lang(lang): Lang,
    reader: Reader,
    Path((org, module)): Path<(String, String)>,
) -> Result<Response, Failure> {
    manual_page(&state, &frame, &lang, reader.ok(), &org, &module).await
}

async fn manual_page(
    state: &AppState,
    frame: &PageFrame,
    lang: &str,
    reader: Option<Visitor>,
    org: &str,
    module: &str,
) -> Result<Response, Failure> {
    let not_found = || {
        Failure::new(
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            (
                format!("There is no manual of `{module}` here."),
                format!("Příručka modulu `{module}` tu není."),
            ),
        )
    };
    let (tenant, mut shell) = tenant_shell(state, org, Some(module), lang)
        .await
        .ok_or_else(not_found)?;
    frame.in_organization(&tenant);
    let m = state
        .registry()
        .get(module)
        .filter(|_| tenant.modules.enabled.contains_key(module))
        .cloned()
        .ok_or_else(not_found)?;
    frame.in_module(module);
    let markdown = source(&m, lang).ok_or_else(not_found)?;
    if let Some(visitor) = reader {
        shell.user = visitor.display_name();
        shell.csrf = visitor.csrf().to_owned();
    }
    let title = format!(
        "{} – {}",
        render::tr(lang, "Manual", "Příručka"),
        m.manifest().name_in(lang)
    );
    let content = maud::html! {
        div.manual { (PreEscaped(to_html(&markdown))) }
    };
    Ok(html_response(
        StatusCode::OK,
        render::page(&shell, &title, content),
    ))
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn a_manual_keeps_its_text_and_loses_its_script() {
        let html = to_html(
            "# Help\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(2)) \
             [good](https://portal.example/) <img src=x onerror=alert(3)>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h1>Help</h1>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://portal.example/" rel="noopener noreferrer">good</a>"#
            ),
            "{html}"
        );
        assert!(html.contains("<table>"), "{html}");
    }
}
