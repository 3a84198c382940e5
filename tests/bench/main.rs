//! `cargo xtask bench`: Portico's figures, each printed as `name: value unit`.
//!
//! - `call`: instantiate + call of a trivial export (`describe`), p50 and
//!   p99, with the pooling allocator (and on-demand, for comparison);
//! - `http`: requests per second of a module page against a native axum
//!   route that does the same work (same data, same view, same renderer,
//!   same middleware) in the same binary under the same load, and their ratio;
//! - `pages`: server time of portal pages (HTML, from request to the last
//!   byte) with ten modules enabled, p95;
//! - `startup`: time from process start to the first 200 of a module page,
//!   with the compiled-code cache cold and warm, all built modules installed;
//! - `load`: a `portico serve` process under a loopback load generator at
//!   32 to 1,000 connections: goodput, error share and p99 at each, and the
//!   bytes its log grows by per second;
//! - `cpu`: the server process's CPU time per request of a notice-board
//!   page showing 50 notices;
//! - `imports`: on SQLite and PostgreSQL, `portico records import` of
//!   20,000 and 200,000 notices and how its time grows, then the p95 under
//!   four connections of the pages that grow with a board of 200,000: the
//!   organization's home, the notices sorted by title, a search for a word
//!   no notice holds;
//! - `languages`: the scaffolded module in Rust, Python and JavaScript,
//!   each built by its own toolchain: install (compile) time, cold start,
//!   host memory per module, instantiate + render p50;
//! - `tasks`: the region's load on the tasks module: a task sent to 300
//!   organizations until each has it, the founder's overview of 300
//!   organizations × 40 tasks (p95), and again after a year's 16,500
//!   tasks imported;
//! - `winter`: the winter dispatch's night: 5,000 sections imported, then
//!   200 vehicle units posting a position every 5 s for 10 minutes, each
//!   matched to a section: the ingest's p95 (bar ≤ 20 ms) and the
//!   dispatcher's live page meanwhile (bar ≤ 100 ms);
//! - `energy`: the energy module's nightly refit of 1,000 meters × three
//!   years of days through the event dispatcher (bar ≤ 60 s), a
//!   building's page read meanwhile (p95), and the region's overview of
//!   300 organizations' 2,000 buildings (p95, bar ≤ 100 ms);
//! - `contracts`: the founder's overview of 300 organizations' 50,000
//!   contracts (p95, bar ≤ 100 ms) and one organization's contracts (p95);
//! - `assets`: one organization's 100,000 assets in 2,000 rooms: a room's
//!   list and a search by the start of a name (p95 each, bar ≤ 50 ms);
//! - `records`, `search`, `audit`: on SQLite and PostgreSQL, record
//!   inserts per second through a module's API, the p95 of a filtered,
//!   sorted query through a module over a collection of 1,000,000 records,
//!   the p95 of the portal's search for two words through 1,000,000
//!   notices, and `audit verify` of 1,000,000 entries
//!   (`PORTICO_BENCH_DB=sqlite|postgres` picks one engine).
//!
//! `PORTICO_BENCH=call,http,…` picks parts (all by default).
//! `PORTICO_BENCH_SMOKE=1` runs every part with tiny sizes and runs of about
//! a second (`cargo xtask bench --smoke`, in CI): it proves the bench still
//! runs, its figures mean nothing. Bars are never asserted: figures only.

mod assets;
mod call;
mod contracts;
mod energy;
mod imports;
mod languages;
mod native;
mod scale;
mod serve;
mod tasks;
mod traffic;
mod winter;

use std::time::{Duration, Instant, SystemTime};

use portico_tests::TestDatabase;

// The same allocator as the `portico` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The password of the bench's accounts.
const PASSWORD: &str = "bench password, long enough";

/// The 95th percentile of `times`, in milliseconds.
fn p95(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() * 95 / 100].as_secs_f64() * 1000.0
}

fn print(name: &str, value: f64, unit: &str) {
    println!("{name}: {value:.2} {unit}");
}

/// Says how a figure stands against its bar (on stderr, never asserted;
/// not in a smoke run, whose figures mean nothing).
fn bar(name: &str, met: bool, bar: &str) {
    if !smoke() {
        eprintln!("bar {name} {bar}: {}", if met { "met" } else { "NOT met" });
    }
}

/// Whether this is a smoke run (`PORTICO_BENCH_SMOKE=1`).
fn smoke() -> bool {
    std::env::var("PORTICO_BENCH_SMOKE").is_ok_and(|v| v == "1")
}

/// `full` in a real run, `tiny` in a smoke run.
fn size<T>(full: T, tiny: T) -> T {
    if smoke() { tiny } else { full }
}

/// `full` seconds in a real run, `tiny` in a smoke run.
fn seconds(full: f64, tiny: f64) -> Duration {
    Duration::from_secs_f64(size(full, tiny))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let only = std::env::var("PORTICO_BENCH").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only.split(',').any(|p| p == part);
    if smoke() {
        eprintln!("smoke run: tiny sizes, figures mean nothing");
    }
    let timed = |part: &str, f: &mut dyn FnMut()| {
        if run(part) {
            let start = Instant::now();
            f();
            eprintln!("part {part}: {:.1} s", start.elapsed().as_secs_f64());
        }
    };
    timed("call", &mut || rt.block_on(call::instantiate_and_call()));
    timed("http", &mut || rt.block_on(native::module_vs_native()));
    timed("pages", &mut || rt.block_on(scale::portal_pages()));
    timed("startup", &mut || serve::startup(&rt));
    timed("languages", &mut || rt.block_on(languages::per_language()));
    if run("load") || run("cpu") {
        let start = Instant::now();
        serve::under_load(&rt, run("load"), run("cpu"));
        eprintln!("part load/cpu: {:.1} s", start.elapsed().as_secs_f64());
    }
    timed("tasks", &mut || rt.block_on(tasks::region_load()));
    timed("winter", &mut || rt.block_on(winter::night()));
    timed("energy", &mut || {
        rt.block_on(energy::nightly_refit());
        rt.block_on(energy::region_overview());
    });
    timed("contracts", &mut || {
        rt.block_on(contracts::founder_overview())
    });
    timed("assets", &mut || rt.block_on(assets::register()));
    let engines = std::env::var("PORTICO_BENCH_DB").unwrap_or_default();
    let on = |e: &str| engines.is_empty() || engines == e;
    timed("imports", &mut || {
        let sqlite = on("sqlite")
            .then(|| imports::at_scale(&rt, TestDatabase::sqlite()))
            .flatten();
        let postgres = on("postgres")
            .then(|| imports::at_scale(&rt, rt.block_on(TestDatabase::postgres())))
            .flatten();
        imports::compare(sqlite, postgres);
    });
    timed("records", &mut || {
        rt.block_on(async {
            if on("sqlite") {
                scale::records_bench(TestDatabase::sqlite()).await;
            }
            if on("postgres") {
                scale::records_bench(TestDatabase::postgres().await).await;
            }
        })
    });
    timed("search", &mut || {
        rt.block_on(async {
            if on("sqlite") {
                scale::search_bench(TestDatabase::sqlite()).await;
            }
            if on("postgres") {
                scale::search_bench(TestDatabase::postgres().await).await;
            }
        })
    });
    timed("audit", &mut || {
        rt.block_on(async {
            if on("sqlite") {
                scale::audit_verify(TestDatabase::sqlite()).await;
            }
            if on("postgres") {
                scale::audit_verify(TestDatabase::postgres().await).await;
            }
        })
    });
}

/// Days since 1970-01-01 now (UTC).
fn today_days() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64
}

/// Days since 1970-01-01 as YYYY-MM-DD, as the notice board computes it.
fn civil(days: i64) -> String {
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

/// Today as YYYY-MM-DD (UTC), as the notice board computes it.
fn today() -> String {
    civil(today_days())
}

const DEPARTMENTS: [&str; 3] = ["Urban planning", "Transport", "Registry office"];

/// `n` notices (JSON lines) for the notice board: `posted` of them still
/// up, the rest taken down, dated around today.
fn notices(n: usize, posted: usize, tag: &str) -> String {
    let today = today_days();
    (0..n)
        .map(|i| {
            let d = i as i64;
            let until = if i < posted {
                today + 10 + d
            } else {
                today - 10 - d
            };
            serde_json::json!({
                "reference": format!("{tag}/{i:04}/2026"),
                "title": format!("Notice {i} of {tag}: a change of the zoning plan & its hearing"),
                "department": DEPARTMENTS[i % 3],
                "published": civil(until - 60),
                "until": civil(until),
                "text": "Posted for the bench.",
            })
            .to_string()
                + "\n"
        })
        .collect()
}

/// GETs a page as a browser does; returns its status.
async fn page(app: &axum::Router, path: &str) -> u16 {
    let (status, _) = fetch(app, path, "text/html").await;
    status
}

/// GETs a page as a browser does; returns its body.
async fn page_body(app: &axum::Router, path: &str) -> String {
    let (_, body) = fetch(app, path, "text/html").await;
    body
}

async fn fetch(app: &axum::Router, path: &str, accept: &str) -> (u16, String) {
    use tower::ServiceExt;
    let request = axum::http::Request::get(path)
        .header("accept", accept)
        .body(axum::body::Body::empty())
        .expect("a request");
    let response = app.clone().oneshot(request).await.expect("an answer");
    let status = response.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("a body")
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
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

/// GETs each path in turn; the 95th percentile of their times, in milliseconds.
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
