//! A module page against its native twin: an axum route in the same binary
//! that does the same work (the same settings read, the same queries in one
//! read-only unit of work, the same view, the same page frame, the same
//! renderer) and answers the same bytes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use axum::response::Html;
use axum::routing::get;
use portico_platform::records::{self, Scope};
use portico_runtime::api::{Block, Cell, Column, Pager, Table, TableSort, View};
use portico_runtime::backend::HostServices;
use portico_tests::{TEST_CITY, TestPortal, demo_notices};
use portico_web::AppState;
use portico_web::render::Crumb;

use crate::{notices, print, seconds, today};

#[derive(serde::Deserialize)]
struct Notice {
    reference: String,
    title: String,
    #[serde(default)]
    department: String,
    published: String,
    until: String,
}

/// Posted notices on one page of the board, as the module has it.
const PAGE_SIZE: u32 = 20;

/// The fields readers may sort the posted notices by, as the module has them.
const SORTABLE: [&str; 4] = ["until", "title", "department", "reference"];

const MODULE: &str = "notice-board";

/// A link's path segment, percent-encoded as the module's SDK does it
/// (everything but ASCII letters, digits and `-_.~`).
fn segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The notice board's front page, built natively.
async fn native_board(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Html<String> {
    let query: Vec<(String, String)> = raw
        .as_deref()
        .map(|q| serde_urlencoded::from_str(q).expect("a query"))
        .unwrap_or_default();
    let param = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let module = state
        .registry()
        .get(MODULE)
        .cloned()
        .expect("the notice board");
    let schema = || {
        portico_host::services::schema(portico_runtime::backend::CollectionRef {
            name: "notices",
            spec: &module.manifest().collections["notices"],
        })
    };
    // The settings as the module reads them, through the host.
    let title = state.services.setting(TEST_CITY, MODULE, "title").await;
    let intro = state.services.setting(TEST_CITY, MODULE, "intro").await;
    let today = today();
    let sort = param("sort")
        .and_then(|s| SORTABLE.into_iter().find(|f| *f == s))
        .unwrap_or("until");
    let descending = param("order") == Some("desc");
    let work = state
        .services
        .platform()
        .begin(
            Scope {
                org_id: TEST_CITY.into(),
                module_id: MODULE.into(),
                actor: format!("module:{MODULE}"),
            },
            false,
        )
        .await
        .expect("a unit of work");
    let find = |op, field: &str, descending, limit, cursor: Option<&str>| records::Query {
        filters: vec![records::Filter {
            field: "until".into(),
            op,
            value: today.clone(),
        }],
        sort: Some(records::Sort {
            field: field.into(),
            descending,
        }),
        newest_first: false,
        limit,
        cursor: cursor.map(str::to_owned),
    };
    let read = |page: records::Page| -> (Vec<Notice>, Option<String>) {
        let notices = page
            .records
            .into_iter()
            .map(|r| serde_json::from_str(&r.doc).expect("a notice"))
            .collect();
        (notices, page.next_cursor)
    };
    let posted_query = find(
        records::FilterOp::Ge,
        sort,
        descending,
        PAGE_SIZE,
        param("cursor"),
    );
    let (posted, next) = read(work.query(&schema(), &posted_query).await.expect("posted"));
    let archived_query = find(records::FilterOp::Lt, "until", true, 50, None);
    let (archived, _) = read(
        work.query(&schema(), &archived_query)
            .await
            .expect("archived"),
    );
    work.commit().await.expect("commit");

    let table = |caption: &str, rows: &[Notice], sortable: bool| {
        // Sortable by every column but the date posted, on the posted notices.
        let column = |label: &str, key: Option<&str>| Column {
            label: label.into(),
            numeric: false,
            sort_key: key.filter(|_| sortable).map(str::to_owned),
        };
        Block::Table(Table {
            caption: caption.into(),
            columns: vec![
                column("Notice", Some("title")),
                column("Department", Some("department")),
                column("Posted", None),
                column(
                    if sortable {
                        "Posted until"
                    } else {
                        "Taken down"
                    },
                    Some("until"),
                ),
            ],
            rows: rows
                .iter()
                .map(|n| {
                    let text = |t: &str| Cell {
                        text: t.into(),
                        link: None,
                    };
                    // A date as an English reader writes it, as the
                    // module shows it.
                    let day = |d: &str| portico_sdk::calendar::format_date_text(d, "en");
                    vec![
                        Cell {
                            text: n.title.clone(),
                            link: Some(format!("/notices/{}", segment(&n.reference))),
                        },
                        text(&n.department),
                        text(&day(&n.published)),
                        text(&day(&n.until)),
                    ]
                })
                .collect(),
            empty_text: "No notices.".into(),
            sorted_by: sortable.then(|| TableSort {
                key: sort.into(),
                descending,
            }),
        })
    };
    let order = if descending { "desc" } else { "asc" };
    let mut blocks = vec![
        Block::Text {
            text: intro.unwrap_or_default(),
        },
        table("Posted notices", &posted, true),
    ];
    let later_page = param("cursor").is_some();
    if later_page || next.is_some() {
        blocks.push(Block::Pager(Pager {
            previous: later_page.then(|| format!("/?sort={sort}&order={order}")),
            next: next.map(|c| format!("/?sort={sort}&order={order}&cursor={}", segment(&c))),
            summary: None,
        }));
    }
    blocks.push(Block::Heading {
        level: 2,
        text: "Archive".into(),
    });
    blocks.push(table("Notices taken down", &archived, false));
    let view = View {
        title: title.unwrap_or_default(),
        blocks,
    };
    Html(framed(&state, &module, "/", query, &view).await)
}

/// A module's view in the organization's page frame, as the host frames a
/// module page: navigation, breadcrumbs, the manual's link, the query that
/// sort links keep.
async fn framed(
    state: &AppState,
    module: &portico_runtime::LoadedModule,
    path: &str,
    query: Vec<(String, String)>,
    view: &View,
) -> String {
    let (mut shell, base) = portico_web::org_shell(state, TEST_CITY, Some(module.id()), "en")
        .await
        .expect("the test city");
    shell.query = query;
    // Home › the module (unless this is its menu's page) › this page.
    let mut crumbs = vec![Crumb {
        label: shell.portal_name.clone(),
        href: Some(shell.home.clone()),
    }];
    let menu_path = module.manifest().menu.as_ref().map(|m| m.path.as_str());
    if let Some(item) = shell.nav.iter().find(|i| i.current)
        && menu_path != Some(path)
    {
        crumbs.push(Crumb {
            label: item.label.clone(),
            href: Some(item.href.clone()),
        });
    }
    crumbs.push(Crumb {
        label: view.title.clone(),
        href: None,
    });
    shell.crumbs = crumbs;
    // The manual's link, where the module has one (read as the host reads it).
    let manual = ["manual.en.md", "manual.md"]
        .iter()
        .map(|name| module.dir().join(name))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() <= 512 * 1024))
        .and_then(|p| std::fs::read_to_string(p).ok());
    if manual.is_some() {
        let org_base = shell.home.trim_end_matches('/');
        shell.manual = Some(format!("{org_base}/help/{}", module.id()));
    }
    portico_web::render::view_page(&shell, &base, view, None)
}

/// The trapper's well-behaved page, built natively.
async fn native_minimal(State(state): State<AppState>) -> Html<String> {
    let view = View {
        title: "Behaving".into(),
        blocks: vec![Block::Text {
            text: "no trap this time".into(),
        }],
    };
    let module = state
        .registry()
        .get("trapper")
        .cloned()
        .expect("the trapper");
    let query = vec![("behave".to_owned(), "1".to_owned())];
    Html(framed(&state, &module, "/", query, &view).await)
}

/// Requests per second that `wrk` (a separate process, like real clients)
/// gets from `path`; `None` when wrk is not installed.
async fn load_wrk(addr: SocketAddr, path: &str, duration: Duration) -> Option<f64> {
    let out = tokio::process::Command::new("wrk")
        .args([
            "-t1",
            "-c32",
            &format!("-d{}s", duration.as_secs_f64().ceil() as u64),
        ])
        .arg(format!("http://{addr}{path}"))
        .output()
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("Non-2xx"),
        "wrk saw errors from {path}:\n{text}"
    );
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Requests per second from `path` under 32 concurrent connections: by wrk
/// when it is installed, else by a client inside this process (which then
/// shares the CPU and caches with the server, to the module's cost).
async fn load(addr: SocketAddr, path: &str, duration: Duration) -> f64 {
    if let Some(rps) = load_wrk(addr, path, duration).await {
        return rps;
    }
    load_in_process(addr, path, duration).await
}

async fn load_in_process(addr: SocketAddr, path: &str, duration: Duration) -> f64 {
    const CONNECTIONS: usize = 32;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .expect("client");
    let url = format!("http://{addr}{path}");
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + duration;
    let start = Instant::now();
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, url, done) = (client.clone(), url.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < until {
                    let r = client.get(&url).send().await.expect("an answer");
                    assert_eq!(r.status(), 200, "{url}");
                    r.bytes().await.expect("a body");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

pub async fn module_vs_native() {
    let (title, intro) = ("Official notice board", "Notices posted by the office.");
    let portal = TestPortal::builder()
        .module(MODULE)
        .module("trapper")
        .setting(MODULE, "title", title)
        .setting(MODULE, "intro", intro)
        .build()
        .await;
    portal
        .import(TEST_CITY, MODULE, "notices", &demo_notices())
        .await;
    let state = portal.state.clone();
    let extra = axum::Router::new()
        .route("/native/notice-board/", get(native_board))
        .route("/native/minimal/", get(native_minimal));
    let addr = portico_tests::serve(portico_web::app_with(state, extra)).await;

    let wrk = load_wrk(addr, "/healthz", Duration::from_secs(1))
        .await
        .is_some();
    eprintln!(
        "load generator: {}",
        if wrk {
            "wrk (separate process), 32 connections"
        } else {
            "in-process client, 32 connections (install wrk for a separate-process load)"
        }
    );
    let client = reqwest::Client::new();
    same_page(&client, addr, "/m/notice-board/", "/native/notice-board/").await;
    compare(addr, "", "/m/notice-board/", "/native/notice-board/").await;
    // The fixed cost of the sandbox: a page with one line of text.
    same_page(
        &client,
        addr,
        "/m/trapper/?behave=1",
        "/native/minimal/?behave=1",
    )
    .await;
    compare(
        addr,
        "minimal_page_",
        "/m/trapper/?behave=1",
        "/native/minimal/?behave=1",
    )
    .await;

    // The twin keeps step past the demo's few notices too: pages of a
    // board with more notices than a page, sorted otherwise, and the next
    // page by the cursor the module's pager gives.
    portal
        .import(TEST_CITY, MODULE, "notices", &notices(45, 30, "TWIN"))
        .await;
    for query in ["", "?sort=title&order=desc", "?sort=department"] {
        let module_page = same_page(
            &client,
            addr,
            &format!("/m/notice-board/{query}"),
            &format!("/native/notice-board/{query}"),
        )
        .await;
        let next = module_page
            .split_once(r#"rel="next" href="/m/notice-board/"#)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(href, _)| href.replace("&amp;", "&"))
            .unwrap_or_else(|| panic!("a next page of {query}: {module_page}"));
        same_page(
            &client,
            addr,
            &format!("/m/notice-board/{next}"),
            &format!("/native/notice-board/{next}"),
        )
        .await;
    }
}

/// Both pages, which must be the same bytes; returns the module's.
async fn same_page(
    client: &reqwest::Client,
    addr: SocketAddr,
    module_path: &str,
    native_path: &str,
) -> String {
    let page = async |path: &str| {
        let response = client
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.expect("a body")
    };
    let module = page(module_path).await;
    let native = page(native_path).await;
    assert_eq!(
        module, native,
        "the native route must do the same work as {module_path}"
    );
    module
}

/// Loads a module page and its native twin alike and prints both rates and
/// their ratio.
async fn compare(addr: SocketAddr, prefix: &str, module_path: &str, native_path: &str) {
    load(addr, module_path, seconds(1.0, 0.2)).await;
    load(addr, native_path, seconds(1.0, 0.2)).await;
    let (mut native, mut module) = (0f64, 0f64);
    for _ in 0..2 {
        native = native.max(load(addr, native_path, seconds(3.0, 0.5)).await);
        module = module.max(load(addr, module_path, seconds(3.0, 0.5)).await);
    }
    // The notice board's figures keep their first names, so runs compare.
    let (native_name, module_name) = if prefix.is_empty() {
        ("native_route_rps".to_owned(), "module_route_rps".to_owned())
    } else {
        (format!("{prefix}native_rps"), format!("{prefix}module_rps"))
    };
    print(&native_name, native, "req/s");
    print(&module_name, module, "req/s");
    print(
        &format!("{prefix}module_vs_native_rps_ratio"),
        module / native,
        "",
    );
}
