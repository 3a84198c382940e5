//! `…/search?q=`: one search box across the modules of an organization.
//! Each module declares in its manifest which collections and indexed
//! text fields the search looks through and which page shows a hit; the
//! host searches the record store itself (no module is called) and lists
//! only hits whose page the visitor may open. Words are compared folded
//! (`udolni` finds `Údolní`), each as a word's beginning; hits are grouped
//! by module and ranked by relevance within each.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use maud::html;
use portico_platform::records::{self, Scope};
use portico_runtime::LoadedModule;
use portico_runtime::backend::CollectionRef;
use portico_runtime::manifest::{RouteKind, SearchSpec};

use crate::AppState;
use crate::extractors::{Lang, Standing, Tenant, Visitor};
use crate::failure::Failure;
use crate::frame::{host_page_shell, html_response};
use crate::render::{self, tr};

/// Hits shown per module.
const HITS_PER_MODULE: u64 = 20;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(search))
        .route("/o/{org}/search", get(search))
}

/// One hit: its title and the page that shows it.
struct Hit {
    title: String,
    href: String,
}

/// The page of `doc` that `spec.link` names, each `{field}` filled in as
/// one path segment; `None` when the document lacks a field.
fn link_of(spec: &SearchSpec, id: &str, doc: &serde_json::Value) -> Option<String> {
    let mut link = spec.link.clone();
    for field in spec.link_fields() {
        let value = if field == "id" {
            id.to_owned()
        } else {
            match doc.get(field)? {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => return None,
            }
        };
        let encoded =
            percent_encoding::utf8_percent_encode(&value, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        link = link.replace(&format!("{{{field}}}"), &encoded);
    }
    Some(link)
}

/// Whether the visitor may open the page a search of `module` links to.
fn may_open(module: &LoadedModule, spec: &SearchSpec, standing: &Standing) -> bool {
    let sample = spec.link_fields().iter().fold(spec.link.clone(), |l, f| {
        l.replace(&format!("{{{f}}}"), "x")
    });
    module.route(&sample).is_some_and(|(route, _)| {
        route.kind == RouteKind::Page && standing.may_reach(route, module.manifest())
    })
}

async fn search(
    State(state): State<AppState>,
    tenant: Tenant,
    visitor: Visitor,
    standing: Standing,
    Lang(lang): Lang,
    uri: Uri,
) -> Result<Response, Failure> {
    let term = serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or(""))
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let too_long = term.chars().count() > records::MAX_SEARCH_TERM;
    let mut groups: Vec<(String, Vec<Hit>)> = Vec::new();
    let mut narrowed = false;
    if !term.is_empty() && !too_long {
        let db = state.services.platform().db();
        for module in state
            .registry()
            .iter()
            .filter(|m| tenant.modules.enabled.contains_key(m.id()))
        {
            let manifest = module.manifest();
            let scope = Scope {
                org_id: tenant.id.clone(),
                module_id: manifest.id.clone(),
                actor: String::new(),
            };
            let mut hits = Vec::new();
            for spec in manifest
                .search
                .iter()
                .filter(|s| may_open(module, s, &standing))
            {
                let Some(collection) = manifest.collections.get(&spec.collection) else {
                    continue;
                };
                let schema = portico_host::services::schema(CollectionRef {
                    name: &spec.collection,
                    spec: collection,
                });
                let found =
                    records::search(db, &scope, &schema, &spec.title, &term, HITS_PER_MODULE)
                        .await
                        .map_err(|e| {
                            tracing::error!(error = %e, module = %manifest.id, "search failed");
                            Failure::database()
                        })?;
                narrowed |= found.more;
                let base = format!("{}/m/{}", tenant.base, manifest.id);
                hits.extend(found.records.into_iter().filter_map(|r| {
                    let data = r.data().ok()?;
                    let title = data.get(&spec.title)?.as_str()?.to_owned();
                    let link = link_of(spec, &r.id, &data)?;
                    Some(Hit {
                        title,
                        href: format!("{base}{link}"),
                    })
                }));
            }
            if !hits.is_empty() {
                groups.push((manifest.menu_label_in(&lang).to_owned(), hits));
            }
        }
    }
    let title = tr(&lang, "Search", "Hledání").to_owned();
    let shell = host_page_shell(&state, (&tenant, &visitor, &standing), &lang, &title).await;
    let action = format!("{}/search", tenant.base);
    let content = html! {
        form.search-page method="get" action=(action) role="search" {
            div.field {
                label for="q" { (tr(&lang, "Look for", "Hledat")) }
                input #q type="search" name="q" value=(term) maxlength=(records::MAX_SEARCH_TERM)
                    aria-describedby=[too_long.then_some("q-error")] aria-invalid=[too_long.then_some("true")];
                @if too_long {
                    p.error #q-error { (tr(&lang, "Use at most 100 characters.", "Použijte nejvýše 100 znaků.")) }
                }
            }
            button.button.primary type="submit" { (tr(&lang, "Search", "Hledat")) }
        }
        @if narrowed {
            p.muted {
                (tr(&lang, "Many entries match; the newest ", "Odpovídá mnoho záznamů; seřazeno bylo nejnovějších "))
                (crate::figures::number(&lang, records::SEARCH_CANDIDATES as f64))
                (tr(&lang, " of each section were ranked. Add a word to narrow the search.", " v každé části. Další slovo hledání zúží."))
            }
        }
        @if !term.is_empty() && !too_long {
            @if groups.is_empty() {
                p role="status" { (tr(&lang, "Nothing found for ", "Nic nenalezeno pro ")) "„" (term) "“." }
            } @else {
                p role="status" {
                    (tr(&lang, "Found: ", "Nalezeno: ")) (groups.iter().map(|(_, h)| h.len()).sum::<usize>())
                }
                @for (name, hits) in &groups {
                    section aria-label=(name) {
                        h2 { (name) }
                        ul.hits {
                            @for hit in hits {
                                li { a href=(hit.href) { (hit.title) } }
                            }
                        }
                    }
                }
            }
        }
    };
    let status = if too_long {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html_response(status, render::page(&shell, &title, content)))
}
