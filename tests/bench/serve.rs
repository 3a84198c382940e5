//! `portico serve` as a process of its own, as it runs in production: its
//! time to the first page, its goodput, errors and latency under a loopback
//! load of up to 1,000 connections with the bytes its log grows by, and its
//! CPU time per page.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use portico_tests::{copy_module, repo_root};

use crate::{bar, notices, print, seconds, size, smoke, traffic};

/// The `portico` binary: `PORTICO_BIN`, else the release build. `None`
/// when it is not there (a smoke run must have it: it fails then).
pub fn portico_bin(part: &str) -> Option<PathBuf> {
    let bin = std::env::var_os("PORTICO_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/release/portico"));
    if bin.exists() {
        return Some(bin);
    }
    assert!(!smoke(), "{part}: no portico binary at {}", bin.display());
    eprintln!(
        "{part}: skipped, no portico binary at {} (run `cargo xtask bench`)",
        bin.display()
    );
    None
}

/// Kills the server however the measurement ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A portal as its administrator has it: the `portico` binary, a data
/// folder and a database (SQLite in the folder unless a URL is given).
pub struct Site {
    pub bin: PathBuf,
    pub data: PathBuf,
    pub database: Option<String>,
}

impl Site {
    /// A portal in `data`, on the embedded SQLite.
    pub fn new(bin: PathBuf, data: &Path) -> Site {
        Site {
            bin,
            data: data.to_owned(),
            database: None,
        }
    }

    /// Installs a built module (`target/modules/<id>`).
    pub fn install(&self, id: &str) {
        copy_module(id, &self.data.join("modules").join(id));
    }

    /// `portico ARGS` on this site's folder and database.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args).arg("--data-dir").arg(&self.data);
        if let Some(url) = &self.database {
            c.env("PORTICO_DATABASE_URL", url);
        }
        c
    }

    /// Runs `portico ARGS`, which must succeed.
    pub fn portico(&self, args: &[&str]) {
        let out = self
            .command(args)
            .env("RUST_LOG", "error")
            .output()
            .expect("portico runs");
        assert!(
            out.status.success(),
            "portico {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A city with the notice board enabled.
    pub fn city(&self, id: &str, name: &str) {
        self.portico(&["org", "create", id, "--name", name, "--kind", "city"]);
        self.portico(&[
            "plugin",
            "enable",
            "notice-board",
            "--org",
            id,
            "--set",
            "title=Official notice board",
        ]);
    }

    /// `portico records import FILE` into the city's notices.
    pub fn import(&self, org: &str, file: &Path) {
        self.portico(&[
            "records",
            "import",
            file.to_str().expect("a UTF-8 path"),
            "--org",
            org,
            "--module",
            "notice-board",
            "--collection",
            "notices",
        ]);
    }
}

/// Time from process start to the first 200 of a module page, with the
/// compiled-code cache cold and warm.
pub fn startup(rt: &tokio::runtime::Runtime) {
    let Some(bin) = portico_bin("startup") else {
        return;
    };
    let data = tempfile::tempdir().expect("a data folder");
    let site = Site::new(bin, data.path());
    let mut installed = 0;
    for entry in std::fs::read_dir(repo_root().join("target/modules")).expect("built modules") {
        let id = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        // A smoke run compiles one module, not all.
        if smoke() && id != "notice-board" {
            continue;
        }
        site.install(&id);
        installed += 1;
    }
    eprintln!("startup: {installed} modules installed");
    site.city("bench-city", "Bench City");
    let first_200 = || -> Duration {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a port")
            .local_addr()
            .expect("addr")
            .port();
        let start = Instant::now();
        let _server = Running(
            site.command(&[
                "serve",
                "--default-org",
                "bench-city",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
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
    let cold = first_200();
    let mut warm: Vec<Duration> = (0..size(5, 1)).map(|_| first_200()).collect();
    warm.sort();
    print("startup_to_first_200_cold", cold.as_secs_f64() * 1e3, "ms");
    print(
        "startup_to_first_200_warm",
        warm[warm.len() / 2].as_secs_f64() * 1e3,
        "ms",
    );
}

/// A `portico serve` process logging at `info` into a file.
pub struct Server {
    process: Running,
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Serves `site`, with `default_org` at `/`.
    pub fn start(site: &Site, default_org: &str) -> Server {
        let log = site.data.join("serve.log");
        let mut child = site
            .command(&[
                "serve",
                "--default-org",
                default_org,
                "--listen",
                "127.0.0.1:0",
            ])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("portico starts");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let process = Running(child);
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a line");
        let addr = line
            .trim()
            .strip_prefix("Portico is serving on http://")
            .and_then(|a| a.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        // Whatever else it prints is read, so a write never finds the pipe closed.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Server { process, addr, log }
    }

    fn log_bytes(&self) -> u64 {
        std::fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0)
    }

    /// The process's CPU time so far (user and system), in milliseconds.
    fn cpu_ms(&self, ticks_per_second: f64) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.process.0.id()))
            .expect("the server's /proc stat");
        // Fields after the command's closing parenthesis: state is the
        // first, utime the 12th, stime the 13th (fields 14 and 15 of proc(5)).
        let rest = &stat[stat.rfind(')').expect("a command") + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 =
            fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
        ticks as f64 * 1e3 / ticks_per_second
    }

    /// The server's figures (`/metrics`), by name with labels.
    async fn metrics(&self) -> BTreeMap<String, f64> {
        let text = reqwest::get(format!("http://{}/metrics", self.addr))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("a body");
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (name, value) = l.rsplit_once(' ')?;
                Some((name.to_owned(), value.parse().ok()?))
            })
            .collect()
    }

    /// Waits until no module call runs or waits (what the last run left
    /// behind has drained), as its gauges say; at most 30 s.
    async fn wait_idle(&self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            let m = self.metrics().await;
            let busy = [
                "portico_instance_slots_in_use",
                "portico_instance_slot_queue",
            ]
            .iter()
            .map(|g| m.get(*g).copied().unwrap_or(0.0))
            .sum::<f64>();
            if busy == 0.0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        eprintln!("load: the server is still busy after 30 s");
    }
}

/// The number of clock ticks per second `/proc` counts CPU time in.
fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The open-files limit of this process: every connection of the load is
/// a file here (the server, another process, has its own limit).
fn open_files_limit() -> Option<u64> {
    std::fs::read_to_string("/proc/self/limits")
        .ok()?
        .lines()
        .find(|l| l.starts_with("Max open files"))?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()
}

/// The connection counts of the load; 250 is there for the ratio of 500 to it.
const LEVELS: [usize; 5] = [32, 250, 256, 500, 1_000];

/// The notice board's page under load, and its CPU time per page.
pub fn under_load(rt: &tokio::runtime::Runtime, load: bool, cpu: bool) {
    let Some(bin) = portico_bin("load") else {
        return;
    };
    let data = tempfile::tempdir().expect("a data folder");
    let site = Site::new(bin, data.path());
    site.install("notice-board");
    // The city of the load, with the demo's notices.
    site.city("bench-city", "Bench City");
    site.import(
        "bench-city",
        &repo_root().join("xtask/src/demo/notices.jsonl"),
    );
    // A town whose board shows 50 notices: a page of 20 posted ones (of
    // 30) and 30 taken down.
    site.city("bench-town", "Bench Town");
    let fifty = data.path().join("fifty.jsonl");
    std::fs::write(&fifty, notices(60, 30, "MMB")).expect("a file");
    site.import("bench-town", &fifty);

    let server = Server::start(&site, "bench-city");
    eprintln!(
        "load: portico serve at {} ({})",
        server.addr,
        site.bin.display()
    );
    rt.block_on(async {
        if load {
            levels(&server).await;
        }
        if cpu {
            cpu_per_page(&server).await;
        }
    });
}

async fn levels(server: &Server) {
    let most = *LEVELS.iter().max().unwrap_or(&0) as u64;
    match open_files_limit() {
        Some(limit) if limit < most + 100 => panic!(
            "load: {most} connections need more open files than the limit of {limit}; raise it (`ulimit -n {}`)",
            most * 2
        ),
        Some(limit) => eprintln!("load: open-files limit {limit}"),
        None => eprintln!("load: open-files limit unknown"),
    }
    let path = "/m/notice-board/";
    let warm = traffic::run(server.addr, path, 32, seconds(2.0, 0.3)).await;
    assert!(warm.ok() > 0, "no 200 while warming up: {warm:?}");
    let duration = seconds(20.0, 1.0);
    let (mut log_bytes, mut loaded) = (0u64, Duration::ZERO);
    let mut goodput = BTreeMap::new();
    for n in LEVELS {
        server.wait_idle().await;
        let refused_before = refusals(&server.metrics().await);
        let log_before = server.log_bytes();
        let mut tally = traffic::run(server.addr, path, n, duration).await;
        let logged = server.log_bytes() - log_before;
        log_bytes += logged;
        loaded += tally.elapsed;
        let refused_after = refusals(&server.metrics().await);
        let refused: Vec<String> = refused_after
            .iter()
            .map(|(reason, n)| {
                let before = refused_before.get(reason).copied().unwrap_or(0.0);
                format!("{reason} {}", n - before)
            })
            .collect();
        eprintln!(
            "load: {n} connections, {:.1} s: statuses {:?}, failed connections {}, refused [{}], log {logged} B",
            tally.elapsed.as_secs_f64(),
            tally.statuses,
            tally.failures,
            refused.join(", ")
        );
        goodput.insert(n, tally.goodput());
        print(
            &format!("module_page_{n}c_goodput_rps"),
            tally.goodput(),
            "req/s",
        );
        print(
            &format!("module_page_{n}c_error_share"),
            tally.error_share(),
            "%",
        );
        print(&format!("module_page_{n}c_p99_ms"), tally.p99_ms(), "ms");
        if n == 500 {
            bar(
                "module_page_500c_error_share",
                tally.error_share() <= 1.0,
                "≤ 1 %",
            );
        }
    }
    let ratio = goodput[&500] / goodput[&250];
    print("module_page_500c_goodput_ratio", ratio, "");
    bar("module_page_500c_goodput_ratio", ratio >= 0.9, "≥ 0.9");
    print(
        "module_page_log_bytes_per_s",
        log_bytes as f64 / loaded.as_secs_f64(),
        "B/s",
    );
}

/// Calls refused so far, by reason (the server's counter).
fn refusals(metrics: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    metrics
        .iter()
        .filter_map(|(name, n)| {
            let labels = name.strip_prefix("portico_calls_refused_total{")?;
            Some((labels.trim_end_matches('}').to_owned(), *n))
        })
        .collect()
}

/// The server's CPU time per request of a page of 50 notices, under 4 connections.
async fn cpu_per_page(server: &Server) {
    let path = "/o/bench-town/m/notice-board/";
    let body = reqwest::get(format!("http://{}{path}", server.addr))
        .await
        .expect("the page")
        .text()
        .await
        .expect("a body");
    // Two heads and 50 notices.
    assert_eq!(body.matches("<tr>").count(), 52, "50 notices: {body}");
    server.wait_idle().await;
    let warm = traffic::run(server.addr, path, 4, seconds(1.0, 0.2)).await;
    assert!(warm.ok() > 0, "no 200 while warming up: {warm:?}");
    let ticks = ticks_per_second();
    // What the server spends with nothing to serve (its background work),
    // for comparison; not taken off the figure.
    let (idle_from, idle_start) = (server.cpu_ms(ticks), Instant::now());
    tokio::time::sleep(seconds(2.0, 0.2)).await;
    let idle = (server.cpu_ms(ticks) - idle_from) / idle_start.elapsed().as_secs_f64();
    let before = server.cpu_ms(ticks);
    let tally = traffic::run(server.addr, path, 4, seconds(5.0, 1.0)).await;
    let used = server.cpu_ms(ticks) - before;
    assert_eq!(tally.ok(), tally.latencies.len() as u64, "{tally:?}");
    assert!(tally.ok() > 0, "{tally:?}");
    eprintln!(
        "cpu: {} pages in {:.1} s, {used:.0} ms of the server's CPU (idle: {idle:.0} ms a second)",
        tally.ok(),
        tally.elapsed.as_secs_f64()
    );
    let per_page = used / tally.ok() as f64;
    print("module_page_cpu_ms", per_page, "ms");
    bar("module_page_cpu_ms", per_page <= 0.5, "≤ 0.5 ms");
}
