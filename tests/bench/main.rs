//! `cargo xtask bench`: Portico's figures, each printed as `name: value unit`.
//!
//! - instantiate + call of a trivial export (`describe`), p50 and p99,
//!   with the pooling allocator (and on-demand, for comparison);
//! - requests per second of a module page against a native axum route that
//!   does the same work (same data, same view, same renderer, same
//!   middleware) in the same binary under the same load, and their ratio;
//! - server time of portal pages (HTML, from request to the last byte)
//!   with ten modules enabled, p95;
//! - time from process start to the first 200 of a module page, with the
//!   compiled-code cache cold and warm, all built modules installed;
//! - on SQLite and PostgreSQL: record inserts per second through a module's
//!   API, the p95 of a filtered, sorted query through a module over a
//!   collection of 1,000,000 records, and `audit verify` of 1,000,000
//!   entries (`PORTICO_BENCH_DB=sqlite|postgres` picks one engine).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use portico_platform::records::{self, Scope};
use portico_runtime::api::{Block, Cell, Column, Table, View};
use portico_runtime::{EngineConfig, ModuleEngine, ModuleOptions, load_module};
use portico_tests::{
    TEST_CITY, TestDatabase, TestPortal, copy_module, demo_notices, module_dir, repo_root,
};
use portico_web::AppState;

// The same allocator as the `portico` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn print(name: &str, value: f64, unit: &str) {
    println!("{name}: {value:.2} {unit}");
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    // `PORTICO_BENCH=call,http,startup` picks parts; all by default.
    let only = std::env::var("PORTICO_BENCH").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only.split(',').any(|p| p == part);
    rt.block_on(async {
        if run("call") {
            instantiate_and_call().await;
        }
        if run("http") {
            module_vs_native().await;
        }
        if run("pages") {
            portal_pages().await;
        }
    });
    if run("startup") {
        startup(&rt);
    }
    if run("records") {
        rt.block_on(async {
            let engines = std::env::var("PORTICO_BENCH_DB").unwrap_or_default();
            let on = |e: &str| engines.is_empty() || engines == e;
            if on("sqlite") {
                records_bench(TestDatabase::sqlite()).await;
            }
            if on("postgres") {
                records_bench(TestDatabase::postgres().await).await;
            }
        });
    }
    if run("audit") {
        rt.block_on(async {
            audit_verify(TestDatabase::sqlite()).await;
            audit_verify(TestDatabase::postgres().await).await;
        });
    }
}

async fn instantiate_and_call() {
    for (label, pooling) in [("", true), ("_on_demand", false)] {
        let engine = ModuleEngine::new(&EngineConfig {
            pooling,
            cache_dir: Some(repo_root().join("target/test-cache")),
            ..EngineConfig::default()
        })
        .expect("engine");
        let options = ModuleOptions::default();
        let module = load_module(&engine, &module_dir("notice-board"), &options)
            .await
            .expect("notice board loads");
        for _ in 0..2_000 {
            module.describe().await.expect("describe");
        }
        let mut samples = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let start = Instant::now();
            module.describe().await.expect("describe");
            samples.push(start.elapsed());
        }
        samples.sort();
        let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
        if pooling {
            eprintln!("allocator: {:?}", engine.allocator());
        }
        print(
            &format!("instantiate_call_p50{label}"),
            pct(0.50).as_secs_f64() * 1e6,
            "us",
        );
        print(
            &format!("instantiate_call_p99{label}"),
            pct(0.99).as_secs_f64() * 1e6,
            "us",
        );
        if pooling {
            // A page without data: the sandbox's own cost of a render (the
            // notice board's front page reads the record store; `http` measures it).
            let module = load_module(&engine, &module_dir("trapper"), &options)
                .await
                .expect("trapper loads");
            let mut page = module.route("/").expect("the trapper's page").1;
            page.query = vec![("behave".into(), "1".into())];
            let ctx = portico_runtime::api::CallContext {
                org_id: "bench".into(),
                principal: None,
                request_id: String::new(),
                locale: "en".into(),
            };
            let mut samples = Vec::with_capacity(5_000);
            for _ in 0..5_000 {
                let start = Instant::now();
                module.render(&ctx, page.clone()).await.expect("render");
                samples.push(start.elapsed());
            }
            samples.sort();
            print(
                "render_call_p50",
                samples[samples.len() / 2].as_secs_f64() * 1e6,
                "us",
            );
            // Throughput of render calls on every worker at once: does the
            // sandbox scale across cores?
            let module = Arc::new(module);
            let start = Instant::now();
            let tasks: Vec<_> = (0..4)
                .map(|_| {
                    let (module, ctx, page) = (module.clone(), ctx.clone(), page.clone());
                    tokio::spawn(async move {
                        for _ in 0..5_000 {
                            module.render(&ctx, page.clone()).await.expect("render");
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("task");
            }
            print(
                "render_calls_per_second_all_cores",
                20_000.0 / start.elapsed().as_secs_f64(),
                "calls/s",
            );
        }
    }
}

#[derive(serde::Deserialize)]
struct Notice {
    reference: String,
    title: String,
    #[serde(default)]
    department: String,
    published: String,
    until: String,
}

/// Today as YYYY-MM-DD (UTC), as the module computes it.
fn today() -> String {
    let days = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The notice board's front page, built natively: the same settings, the
/// same two queries in one read-only unit of work, the same view, the same
/// renderer.
async fn native_board(State(state): State<AppState>) -> Html<String> {
    let settings = NATIVE_SETTINGS.get().expect("settings");
    let today = today();
    let work = state
        .services
        .platform()
        .begin(
            Scope {
                org_id: TEST_CITY.into(),
                module_id: "notice-board".into(),
                actor: "module:notice-board".into(),
            },
            false,
        )
        .await
        .expect("a unit of work");
    let query = |op, descending, limit| records::Query {
        filters: vec![records::Filter {
            field: "until".into(),
            op,
            value: today.clone(),
        }],
        sort: Some(records::Sort {
            field: "until".into(),
            descending,
        }),
        newest_first: false,
        limit,
        cursor: None,
    };
    let fetch = |page: records::Page| -> Vec<Notice> {
        page.records
            .into_iter()
            .filter_map(|r| serde_json::from_value(r.data).ok())
            .collect()
    };
    let posted = fetch(
        work.query(&settings.schema, &query(records::Op::Ge, false, 200))
            .await
            .expect("posted"),
    );
    let archived = fetch(
        work.query(&settings.schema, &query(records::Op::Lt, true, 50))
            .await
            .expect("archived"),
    );
    work.commit().await.expect("commit");
    let table = |caption: &str, rows: &[Notice]| {
        Block::Table(Table {
            caption: caption.into(),
            columns: ["Notice", "Department", "Posted", "Until"]
                .map(|l| Column {
                    label: l.into(),
                    numeric: false,
                    sort_key: None,
                })
                .to_vec(),
            rows: rows
                .iter()
                .map(|n| {
                    vec![
                        Cell {
                            text: n.title.clone(),
                            link: Some(format!("/notices/{}", n.reference.replace('/', "%2F"))),
                        },
                        Cell {
                            text: n.department.clone(),
                            link: None,
                        },
                        Cell {
                            text: n.published.clone(),
                            link: None,
                        },
                        Cell {
                            text: n.until.clone(),
                            link: None,
                        },
                    ]
                })
                .collect(),
            empty_text: "No notices.".into(),
            sorted_by: None,
        })
    };
    let view = View {
        title: settings.title.clone(),
        blocks: vec![
            Block::Text {
                text: settings.intro.clone(),
            },
            table("Posted notices", &posted),
            Block::Heading {
                level: 2,
                text: "Archive".into(),
            },
            table("Notices taken down", &archived),
        ],
    };
    let (shell, base) = portico_web::org_shell(&state, TEST_CITY, Some("notice-board"), "en")
        .await
        .expect("the test city");
    Html(portico_web::render::view_page(&shell, &base, &view, None))
}

/// The trapper's well-behaved page, built natively.
async fn native_minimal(State(state): State<AppState>) -> Html<String> {
    let view = View {
        title: "Behaving".into(),
        blocks: vec![Block::Text {
            text: "no trap this time".into(),
        }],
    };
    let (shell, base) = portico_web::org_shell(&state, TEST_CITY, Some("trapper"), "en")
        .await
        .expect("the test city");
    Html(portico_web::render::view_page(&shell, &base, &view, None))
}

struct NativeSettings {
    title: String,
    intro: String,
    schema: records::CollectionSchema,
}

static NATIVE_SETTINGS: std::sync::OnceLock<NativeSettings> = std::sync::OnceLock::new();

/// Requests per second that `wrk` (a separate process, like real clients)
/// gets from `path`; `None` when wrk is not installed.
async fn load_wrk(addr: std::net::SocketAddr, path: &str, seconds: f64) -> Option<f64> {
    let out = tokio::process::Command::new("wrk")
        .args(["-t1", "-c32", &format!("-d{}s", seconds.ceil() as u64)])
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
async fn load(addr: std::net::SocketAddr, path: &str, seconds: f64) -> f64 {
    if let Some(rps) = load_wrk(addr, path, seconds).await {
        return rps;
    }
    load_in_process(addr, path, seconds).await
}

async fn load_in_process(addr: std::net::SocketAddr, path: &str, seconds: f64) -> f64 {
    const CONNECTIONS: usize = 32;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .expect("client");
    let url = format!("http://{addr}{path}");
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs_f64(seconds);
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

async fn module_vs_native() {
    let (title, intro) = ("Official notice board", "Notices posted by the office.");
    let portal = TestPortal::builder()
        .module("notice-board")
        .module("trapper")
        .setting("notice-board", "title", title)
        .setting("notice-board", "intro", intro)
        .build()
        .await;
    portal
        .import(TEST_CITY, "notice-board", "notices", &demo_notices())
        .await;
    let board = portal.module("notice-board");
    let spec = &board.manifest().collections["notices"];
    let _ = NATIVE_SETTINGS.set(NativeSettings {
        title: title.into(),
        intro: intro.into(),
        schema: portico_web::services::schema(portico_runtime::services::CollectionRef {
            name: "notices",
            spec,
        }),
    });
    let state = portal.state.clone();
    let extra = axum::Router::new()
        .route("/native/notice-board/", get(native_board))
        .route("/native/minimal/", get(native_minimal));
    let addr = portico_tests::serve(portico_web::app_with(state, extra)).await;

    let wrk = load_wrk(addr, "/healthz", 1.0).await.is_some();
    eprintln!(
        "load generator: {}",
        if wrk {
            "wrk (separate process), 32 connections"
        } else {
            "in-process client, 32 connections (install wrk for a separate-process load)"
        }
    );
    compare(addr, "", "/m/notice-board/", "/native/notice-board/").await;
    // The fixed cost of the sandbox: a page with one line of text.
    compare(
        addr,
        "minimal_page_",
        "/m/trapper/?behave=1",
        "/native/minimal/?behave=1",
    )
    .await;
}

/// Loads a module page and its native twin alike and prints both rates and
/// their ratio, after checking that both answer the same page.
async fn compare(addr: std::net::SocketAddr, prefix: &str, module_path: &str, native_path: &str) {
    let client = reqwest::Client::new();
    let page = |path: String| {
        let client = client.clone();
        async move {
            client
                .get(path)
                .send()
                .await
                .expect("an answer")
                .text()
                .await
                .expect("a body")
        }
    };
    assert_eq!(
        page(format!("http://{addr}{module_path}")).await,
        page(format!("http://{addr}{native_path}")).await,
        "the native route must do the same work as {module_path}"
    );
    load(addr, module_path, 1.0).await;
    load(addr, native_path, 1.0).await;
    let (mut native, mut module) = (0f64, 0f64);
    for _ in 0..2 {
        native = native.max(load(addr, native_path, 3.0).await);
        module = module.max(load(addr, module_path, 3.0).await);
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

fn startup(rt: &tokio::runtime::Runtime) {
    let bin = std::env::var_os("PORTICO_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/release/portico"));
    if !bin.exists() {
        eprintln!(
            "startup: skipped, no portico binary at {} (run `cargo xtask bench`)",
            bin.display()
        );
        return;
    }
    let data = tempfile::tempdir().expect("a data folder");
    let mut installed = 0;
    for entry in std::fs::read_dir(repo_root().join("target/modules")).expect("built modules") {
        let id = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        copy_module(&id, &data.path().join("modules").join(&id));
        installed += 1;
    }
    eprintln!("startup: {installed} modules installed");
    // A city with the notice board enabled, whose portal `/m/…` is.
    let data_dir = data.path().to_str().expect("a UTF-8 path");
    for args in [
        &[
            "org",
            "create",
            "bench-city",
            "--name",
            "Bench City",
            "--kind",
            "city",
        ][..],
        &["plugin", "enable", "notice-board", "--org", "bench-city"][..],
    ] {
        let status = std::process::Command::new(&bin)
            .args(args)
            .args(["--data-dir", data_dir])
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("portico runs");
        assert!(status.success(), "portico {args:?} failed");
    }
    /// Kills the server however the measurement ends.
    struct Running(std::process::Child);
    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let first_200 = |data: &Path| -> Duration {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a port")
            .local_addr()
            .expect("addr")
            .port();
        let start = Instant::now();
        let _server = Running(
            std::process::Command::new(&bin)
                .args([
                    "serve",
                    "--default-org",
                    "bench-city",
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "--data-dir",
                ])
                .arg(data)
                .env("RUST_LOG", "error")
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("portico starts"),
        );
        let url = format!("http://127.0.0.1:{port}/m/notice-board/");
        rt.block_on(async {
            let client = reqwest::Client::new();
            loop {
                if let Ok(r) = client.get(&url).send().await
                    && r.status() == 200
                {
                    return start.elapsed();
                }
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "no 200 within a minute"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    let cold = first_200(data.path());
    let mut warm: Vec<Duration> = (0..5).map(|_| first_200(data.path())).collect();
    warm.sort();
    print("startup_to_first_200_cold", cold.as_secs_f64() * 1e3, "ms");
    print(
        "startup_to_first_200_warm",
        warm[2].as_secs_f64() * 1e3,
        "ms",
    );
}

/// `audit verify` over a chain of 1,000,000 entries.
async fn audit_verify(test_db: TestDatabase) {
    use portico_platform::audit::{self, Entry, Verdict};
    use portico_platform::organizations::{self, Kind, NewOrganization};
    use sea_orm::ConnectionTrait;

    const ENTRIES: i64 = 1_000_000;
    let db = test_db.connect().await;
    organizations::create(
        &db,
        "bench",
        NewOrganization {
            id: "bench".into(),
            name: "Bench".into(),
            ico: None,
            kind: Kind::City,
            parent_id: None,
        },
    )
    .await
    .expect("an organization");
    let Verdict::Intact { mut head, .. } = audit::verify(&db, "bench").await.expect("verify")
    else {
        panic!("a fresh chain verifies");
    };
    // A valid chain, written in bulk (appending one by one would measure
    // transactions, not verification).
    let start = Instant::now();
    let mut values = Vec::with_capacity(2_000);
    for seq in 2..=ENTRIES {
        let mut e = Entry {
            org_id: "bench".into(),
            seq,
            at_micros: 1_790_000_000_000_000 + seq,
            actor: "user:bench".into(),
            module: "notice-board".into(),
            action: "notice.publish".into(),
            subject: format!("MMB/{seq}/2026"),
            detail: format!(r#"{{"title":"Notice {seq}"}}"#),
            prev_hash: head.clone(),
            hash: String::new(),
        };
        e.hash = audit::hash_of(&e);
        head = e.hash.clone();
        values.push(format!(
            "('bench',{},{},'{}','{}','{}','{}','{}','{}','{}')",
            e.seq,
            e.at_micros,
            e.actor,
            e.module,
            e.action,
            e.subject,
            e.detail,
            e.prev_hash,
            e.hash
        ));
        if values.len() == 2_000 || seq == ENTRIES {
            db.execute_unprepared(&format!(
                "INSERT INTO audit_entries (org_id, seq, at_micros, actor, module, action, subject, detail, prev_hash, hash) VALUES {}",
                values.join(",")
            ))
            .await
            .expect("bulk insert");
            values.clear();
        }
    }
    db.execute_unprepared(&format!(
        "UPDATE audit_heads SET seq = {ENTRIES}, hash = '{head}' WHERE org_id = 'bench'"
    ))
    .await
    .expect("head");
    eprintln!(
        "audit: {ENTRIES} entries written to {} in {:?}",
        test_db.engine,
        start.elapsed()
    );

    let start = Instant::now();
    let verdict = audit::verify(&db, "bench").await.expect("verify");
    let took = start.elapsed();
    assert!(
        matches!(
            verdict,
            Verdict::Intact {
                entries: ENTRIES,
                ..
            }
        ),
        "{verdict:?}"
    );
    print(
        &format!("audit_verify_1m_{}", test_db.engine),
        took.as_secs_f64(),
        "s",
    );
    db.close().await.ok();
    test_db.cleanup().await;
}

/// GETs each path in turn; the 95th percentile of their times, in milliseconds.
/// The modules of the page bench: every built one, ten in all.
const TEN_MODULES: [&str; 10] = [
    "notice-board",
    "ledger",
    "contacts",
    "opening-hours",
    "city-news",
    "hostile",
    "sneaky",
    "looper",
    "trapper",
    "memory-hog",
];

/// Portal pages as a browser gets them (HTML, shell and navigation
/// assembled from ten enabled modules), one after another through the
/// router: the server's time per page, p95 (the bar is 50 ms).
async fn portal_pages() {
    let mut builder = TestPortal::builder();
    for m in TEN_MODULES {
        builder = builder.module(m);
    }
    let portal = builder.build().await;
    portal
        .import(TEST_CITY, "notice-board", "notices", &demo_notices())
        .await;
    let app = portal.app();
    for (name, path, shows) in [
        ("notice board", "/m/notice-board/", "Posted notices"),
        ("dashboard", "/", "Notices posted"),
        ("search", "/search?q=zoning", "Found: 1"),
        ("contacts", "/m/contacts/", "Registry office"),
        ("manual", "/help/notice-board", "For editors"),
        ("log-in", "/auth/login", "Password"),
    ] {
        let body = page_body(&app, path).await;
        assert!(body.contains(shows), "{path}: {body}");
        if path.contains("/m/") {
            assert!(
                body.contains("Opening hours"),
                "the navigation of ten modules: {body}"
            );
        }
        // Warm: compiled code cached, pool filled, caches read.
        for _ in 0..50 {
            assert_eq!(page(&app, path).await, 200, "{path}");
        }
        let mut times = Vec::new();
        for _ in 0..1_000 {
            let start = Instant::now();
            let status = page(&app, path).await;
            times.push(start.elapsed());
            assert_eq!(status, 200, "{path}");
        }
        times.sort();
        print(
            &format!("page p95 with 10 modules ({name})"),
            times[times.len() * 95 / 100].as_secs_f64() * 1000.0,
            "ms",
        );
    }
}

async fn page_body(app: &axum::Router, path: &str) -> String {
    use tower::ServiceExt;
    let request = axum::http::Request::get(path)
        .header("accept", "text/html")
        .body(axum::body::Body::empty())
        .expect("a request");
    let response = app.clone().oneshot(request).await.expect("an answer");
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("a body")
        .to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// GETs a page as a browser does; returns its status.
async fn page(app: &axum::Router, path: &str) -> u16 {
    use tower::ServiceExt;
    let request = axum::http::Request::get(path)
        .header("accept", "text/html")
        .body(axum::body::Body::empty())
        .expect("a request");
    let response = app.clone().oneshot(request).await.expect("an answer");
    let status = response.status().as_u16();
    let _ = http_body_util::BodyExt::collect(response.into_body()).await;
    status
}

async fn get_p95(app: &axum::Router, paths: impl Iterator<Item = String>) -> f64 {
    let mut times = Vec::new();
    for path in paths {
        let start = Instant::now();
        let status = request(app, "GET", &path, String::new()).await;
        times.push(start.elapsed());
        assert_eq!(status, 200, "{path}");
    }
    times.sort();
    times[times.len() * 95 / 100].as_secs_f64() * 1000.0
}

/// Sends one request through the portal's router; returns its status.
async fn request(app: &axum::Router, method: &str, path: &str, body: String) -> u16 {
    use tower::ServiceExt;
    let request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body))
        .expect("a request");
    let response = app.clone().oneshot(request).await.expect("an answer");
    let status = response.status().as_u16();
    // Read the body, as a client would.
    let _ = http_body_util::BodyExt::collect(response.into_body()).await;
    status
}

/// Record inserts per second through a module call, and the p95 of a
/// filtered query through a module over 1,000,000 records.
async fn records_bench(test_db: TestDatabase) {
    use sea_orm::ConnectionTrait;

    let engine = test_db.engine;
    let portal = TestPortal::builder()
        .module("ledger")
        .database(test_db)
        .build()
        .await;
    let app = portal.app();

    // Inserts: 16 clients at once, each insert one module call and one
    // transaction (document, slots, audit entry).
    const INSERTS: usize = 2_000;
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (app, next) = (app.clone(), next.clone());
        clients.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= INSERTS as u64 {
                    return;
                }
                let body = format!(r#"{{"title":"Entry {i}","kind":"fee","amount":{i}}}"#);
                let status = request(&app, "POST", "/m/ledger/api/raw/entries", body).await;
                assert_eq!(status, 201);
            }
        });
    }
    while clients.join_next().await.is_some() {}
    let took = start.elapsed();
    print(
        &format!("record_insert_{engine}"),
        INSERTS as f64 / took.as_secs_f64(),
        "inserts/s",
    );

    // A collection of 1,000,000 records, written in bulk beside the ones above.
    const RECORDS: usize = 1_000_000;
    let db = portal.db();
    let collection: i64 = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM record_collections WHERE module_id = 'ledger' AND name = 'entries'",
        ))
        .await
        .expect("the collection")
        .expect("a row")
        .try_get("", "id")
        .expect("its id");
    let start = Instant::now();
    let mut values = Vec::with_capacity(5_000);
    for i in 0..RECORDS {
        let kind = format!("kind-{}", i % 20);
        let amount = (i * 7919) % 100_000;
        let title = format!("Entry {i}");
        let id = uuid::Uuid::now_v7();
        values.push(format!(
            "({collection},'{id}',1,false,'{{\"title\":\"{title}\",\"kind\":\"{kind}\",\"amount\":{amount}}}',1790000000000000,1790000000000000,'{kind}','{title}',{amount})"
        ));
        if values.len() == 5_000 || i + 1 == RECORDS {
            db.execute_unprepared(&format!(
                "INSERT INTO records (collection_id, id, version, deleted, doc, created_at_micros, updated_at_micros, s0, s1, n0) VALUES {}",
                values.join(",")
            ))
            .await
            .expect("bulk insert");
            values.clear();
        }
    }
    let analyze = if engine == "postgres" {
        "ANALYZE records"
    } else {
        "ANALYZE"
    };
    db.execute_unprepared(analyze).await.expect("analyze");
    eprintln!(
        "records: {RECORDS} written to {engine} in {:?}",
        start.elapsed()
    );

    // Filtered queries through the module: one kind, an amount range,
    // sorted by amount, a page of 50, each with other values; and a
    // selective one: one title, sorted by amount.
    let filtered = (0..300).map(|q| {
        format!(
            "/m/ledger/api/find/entries?f=kind,eq,kind-{}&f=amount,ge,{}&sort=amount&limit=50",
            q % 20,
            (q * 331) % 90_000
        )
    });
    print(
        &format!("record_query_p95_1m_{engine}"),
        get_p95(&app, filtered).await,
        "ms",
    );
    let lookups = (0..300).map(|q| {
        format!(
            "/m/ledger/api/find/entries?f=title,eq,Entry%20{}&sort=amount&limit=50",
            q * 3331
        )
    });
    print(
        &format!("record_lookup_p95_1m_{engine}"),
        get_p95(&app, lookups).await,
        "ms",
    );
    portal.database.cleanup().await;
}
