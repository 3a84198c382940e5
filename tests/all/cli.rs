//! The `portico` binary as an administrator uses it: `serve`, `plugin list`,
//! `plugin enable`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use portico_tests::{copy_module, portico_bin, run_portico};

fn install(data: &Path, id: &str) {
    copy_module(id, &data.join("modules").join(id));
}

/// The city of Lhota in the data folder `dir`, with module `id` installed
/// and enabled there.
fn lhota_with(dir: &Path, id: &str) {
    install(dir, id);
    portico(
        &[
            "org",
            "create",
            "lhota",
            "--name",
            "Obec Lhota",
            "--kind",
            "city",
        ],
        dir,
    );
    portico(&["plugin", "enable", id, "--org", "lhota"], dir);
}

/// A `portico serve` process, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `portico serve`; its log goes to `<data>/serve.log`.
fn serve(data: &Path, extra: &[&str]) -> Server {
    serve_logging(data, extra, "warn")
}

/// Starts `portico serve` logging at `level`.
fn serve_logging(data: &Path, extra: &[&str], level: &str) -> Server {
    let log = std::fs::File::create(data.join("serve.log")).unwrap();
    let mut child = Command::new(portico_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(extra)
        .env("RUST_LOG", level)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("portico starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let url = line
        .trim()
        .strip_prefix("Portico is serving on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .trim_end_matches('/')
        .to_owned();
    Server { child, url }
}

fn portico(args: &[&str], data: &Path) -> String {
    let data = data.to_str().expect("a UTF-8 path");
    let (ok, out, err) = run_portico(&[args, &["--data-dir", data][..]].concat());
    assert!(ok, "portico {args:?} failed: {err}");
    out
}

#[tokio::test]
async fn serve_lists_and_switches_modules_on_again_across_processes() {
    let data = tempfile::tempdir().unwrap();
    install(data.path(), "notice-board");
    install(data.path(), "trapper");
    portico(
        &[
            "org",
            "create",
            "lhota",
            "--name",
            "Obec Lhota",
            "--kind",
            "city",
        ],
        data.path(),
    );
    let enabled = portico(
        &[
            "plugin",
            "enable",
            "notice-board",
            "--org",
            "lhota",
            "--set",
            "title=Notice board of Lhota",
        ],
        data.path(),
    );
    assert!(
        enabled.contains("notice-board in lhota: enabled (settings: title)"),
        "{enabled}"
    );
    portico(
        &["plugin", "enable", "trapper", "--org", "lhota"],
        data.path(),
    );
    // A setting the manifest does not declare, or of the wrong type, is refused by name.
    let (ok, _, err) = run_portico(&[
        "plugin",
        "configure",
        "notice-board",
        "--org",
        "lhota",
        "--set",
        "colour=red",
        "--data-dir",
        data.path().to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("declares no setting `colour`"), "{err}");

    let server = serve(
        data.path(),
        &["--breaker-threshold", "2", "--default-org", "lhota"],
    );
    let client = reqwest::Client::new();
    let page = client
        .get(format!("{}/m/notice-board/", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<h1>Notice board of Lhota</h1>")
    );

    let mut request_ids = Vec::new();
    for _ in 0..2 {
        let r = client
            .get(format!("{}/m/trapper/", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 500);
        request_ids.push(r.headers()["x-request-id"].to_str().unwrap().to_owned());
        assert!(!r.text().await.unwrap().contains("secret-internal-state"));
    }
    // The operator's log has the cause, tagged with the module and the request.
    let log = std::fs::read_to_string(data.path().join("serve.log")).unwrap();
    let fault = log
        .lines()
        .find(|l| l.contains("module call faulted") && l.contains(&request_ids[0]))
        .unwrap_or_else(|| panic!("no fault line for {}:\n{log}", request_ids[0]));
    assert!(
        fault.contains("module=trapper") && fault.contains("secret-internal-state"),
        "{fault}"
    );
    // The log line names the command that switches it on, in the
    // organization where the faults happened.
    assert!(
        log.contains("module switched off in the organization by its circuit breaker")
            && log.contains("portico plugin switch-on trapper --org"),
        "{log}"
    );
    let list = portico(&["plugin", "list"], data.path());
    let trapper = list
        .lines()
        .find(|l| l.starts_with("trapper"))
        .expect("trapper listed");
    assert!(
        trapper.contains("switched off in lhota since") && trapper.contains("2 faults in a row"),
        "{list}"
    );
    let board = list
        .lines()
        .find(|l| l.starts_with("notice-board"))
        .expect("board listed");
    assert!(
        board.contains("0.1.0")
            && board.contains("settings")
            && board.contains("serving")
            && board.contains("enabled in 1 organization(s)"),
        "{list}"
    );

    let r = client
        .get(format!("{}/m/trapper/?behave=1", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503, "still off");

    let enabled = portico(&["plugin", "switch-on", "trapper"], data.path());
    assert!(enabled.contains("switched on again"), "{enabled}");
    let r = client
        .get(format!("{}/m/trapper/?behave=1", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the running portal serves it again");
    let list = portico(&["plugin", "list"], data.path());
    assert!(
        list.lines()
            .any(|l| l.starts_with("trapper") && l.contains("serving")),
        "{list}"
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test]
async fn plugin_list_names_refused_modules() {
    let data = tempfile::tempdir().unwrap();
    install(data.path(), "notice-board");
    install(data.path(), "looper");
    std::fs::write(
        data.path().join("modules/looper/module.toml"),
        "schema = 2\n",
    )
    .unwrap();
    let list = portico(&["plugin", "list"], data.path());
    assert!(
        list.lines().any(|l| l.starts_with("notice-board")),
        "{list}"
    );
    let refused = list
        .lines()
        .find(|l| l.starts_with("refused:"))
        .expect("a refused line");
    assert!(refused.contains("looper/module.toml"), "{refused}");
}

#[tokio::test]
async fn without_room_for_the_pool_the_host_falls_back_to_on_demand_and_says_so() {
    let data = tempfile::tempdir().unwrap();
    install(data.path(), "notice-board");
    // 16 GiB of address space: enough for on-demand memories, far too
    // little for the pool's reservation (256 slots of 4 GiB and guards).
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 16777216 && exec \"$0\" plugin list --data-dir \"$1\"")
        .arg(portico_bin())
        .arg(data.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("portico runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("falling back to on-demand allocation"),
        "no fallback line in: {stderr}\nstdout: {stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("notice-board") && l.contains("serving")),
        "{stdout}"
    );
}

fn portico_owned(args: &[String], data: &Path) -> String {
    portico(&args.iter().map(String::as_str).collect::<Vec<_>>(), data)
}

fn serve_owned(data: &Path, extra: &[String]) -> Server {
    serve(data, &extra.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Every entry the ledger's `seen` collection records (one per delivered
/// `ledger.entry-added` event), by the entry's id.
async fn seen_entries(client: &reqwest::Client, url: &str) -> std::collections::HashSet<String> {
    let mut seen = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut page = format!("{url}/m/ledger/api/find/seen?limit=500");
        if let Some(c) = &cursor {
            page.push_str(&format!("&cursor={c}"));
        }
        let got: serde_json::Value = client
            .get(&page)
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for d in got["documents"].as_array().unwrap() {
            seen.insert(d["data"]["entry"].as_str().unwrap_or_default().to_owned());
        }
        match got["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9_and_their_events_are_delivered_after_restart() {
    use std::sync::{Arc, Mutex};

    for database in portico_tests::TestDatabase::both().await {
        let engine = database.engine;
        let data = tempfile::tempdir().unwrap();
        install(data.path(), "ledger");
        let url = database.url.clone();
        let with_db = |args: &[&'static str]| {
            let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            all.extend(["--database-url".to_owned(), url.clone()]);
            all
        };
        portico_owned(
            &with_db(&[
                "org",
                "create",
                "kill-city",
                "--name",
                "Kill City",
                "--kind",
                "city",
            ]),
            data.path(),
        );
        portico_owned(
            &with_db(&["plugin", "enable", "ledger", "--org", "kill-city"]),
            data.path(),
        );
        let server = serve_owned(
            data.path(),
            &with_db(&["--default-org", "kill-city", "--call-deadline-ms", "10000"]),
        );

        // 1,000 inserts, 50 at a time; the host is killed once 100 are
        // acknowledged. The calls' deadline is long: a call's wait for its
        // turn to write counts against it, and on a loaded machine fifty
        // queued writers would otherwise trip the module's breaker.
        let client = reqwest::Client::new();
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Semaphore::new(50));
        let mut inserts = tokio::task::JoinSet::new();
        for i in 0..1000 {
            let (client, url) = (client.clone(), server.url.clone());
            let (acknowledged, gate) = (acknowledged.clone(), gate.clone());
            let answered = answered.clone();
            inserts.spawn(async move {
                let _turn = gate.acquire_owned().await;
                let _counted = Counted(answered);
                let response = client
                    .post(format!("{url}/m/ledger/api/entries"))
                    .header("accept", "application/json")
                    .json(&serde_json::json!({ "title": format!("entry {i}"), "kind": "fee", "amount": i }))
                    .send()
                    .await;
                if let Ok(r) = response
                    && r.status() == 201
                    && let Ok(body) = r.json::<serde_json::Value>().await
                {
                    let id = body["id"].as_str().unwrap_or_default().to_owned();
                    acknowledged.lock().unwrap().push(id);
                }
            });
        }
        let mut server = server;
        let started = std::time::Instant::now();
        loop {
            if acknowledged.lock().unwrap().len() >= 100 {
                server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
                server.child.wait().unwrap();
                break;
            }
            let done = answered.load(std::sync::atomic::Ordering::SeqCst);
            assert!(
                done < 1000 && started.elapsed() < Duration::from_secs(120),
                "{engine}: only {} of {done} inserts were acknowledged",
                acknowledged.lock().unwrap().len()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        while inserts.join_next().await.is_some() {}
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(
            (100..1000).contains(&acknowledged.len()),
            "{engine}: the kill came mid-stream ({} acknowledged)",
            acknowledged.len()
        );
        drop(server);

        // After restart every acknowledged entry is there, the chain verifies,
        // and the event of every acknowledged entry reaches the subscriber.
        let server = serve_owned(
            data.path(),
            &with_db(&["--default-org", "kill-city", "--call-deadline-ms", "10000"]),
        );
        for id in &acknowledged {
            let got = client
                .get(format!("{}/m/ledger/api/entries/{id}", server.url))
                .header("accept", "application/json")
                .send()
                .await
                .unwrap();
            assert_eq!(
                got.status(),
                200,
                "{engine}: acknowledged entry {id} is lost"
            );
        }
        let verified = portico_owned(
            &with_db(&["audit", "verify", "--org", "kill-city"]),
            data.path(),
        );
        assert!(verified.contains("kill-city"), "{engine}: {verified}");
        let mut missing = acknowledged.len();
        for _ in 0..600 {
            let seen = seen_entries(&client, &server.url).await;
            missing = acknowledged.iter().filter(|id| !seen.contains(*id)).count();
            if missing == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            missing, 0,
            "{engine}: events of acknowledged entries not delivered"
        );
        drop(server);
        database.cleanup().await;
    }
}

/// Counts an insert as answered when its task ends, however it ended.
struct Counted(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Runs `portico` with `input` on its standard input.
fn portico_with_input(args: &[&str], data: &Path, input: &str) -> (bool, String, String) {
    use std::io::Write as _;
    let mut child = Command::new(portico_bin())
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("portico runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn an_administrator_sets_up_people_roles_and_tokens_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    lhota_with(dir, "notice-board");
    let password = "heslo-pro-starostu";
    let (ok, out, err) = portico_with_input(
        &[
            "user",
            "create",
            "starosta",
            "--name",
            "Jan Novák",
            "--password-stdin",
        ],
        dir,
        &format!("{password}\n"),
    );
    assert!(ok, "{err}");
    assert!(out.contains("Created staff account `starosta`"), "{out}");
    let (ok, _, err) = portico_with_input(
        &["user", "create", "kratke", "--password-stdin"],
        dir,
        "short\n",
    );
    assert!(!ok);
    assert!(
        err.contains("`password` must be at least 10 characters"),
        "{err}"
    );

    let available = portico(&["role", "available"], dir);
    assert!(
        available.contains("notice-board.editor\tNotice board editor (post)"),
        "{available}"
    );
    let (ok, _, err) = run_portico(&[
        "role",
        "grant",
        "starosta",
        "notice-board.pilot",
        "--org",
        "lhota",
        "--data-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        err.contains("no installed module declares the role `notice-board.pilot`"),
        "{err}"
    );
    portico(
        &[
            "role",
            "grant",
            "starosta",
            "notice-board.editor",
            "--org",
            "lhota",
        ],
        dir,
    );
    let listed = portico(&["role", "list", "--org", "lhota"], dir);
    assert!(
        listed.contains("lhota\tstarosta\tnotice-board.editor"),
        "{listed}"
    );

    let secret = portico(
        &[
            "token",
            "create",
            "spisovka",
            "--org",
            "lhota",
            "--permission",
            "notice-board.post",
        ],
        dir,
    )
    .trim()
    .to_owned();
    assert!(secret.starts_with("pt_"), "{secret}");
    let tokens = portico(&["token", "list", "--org", "lhota"], dir);
    assert!(
        tokens.contains("spisovka\tnotice-board.post\tlive"),
        "{tokens}"
    );
    assert!(!tokens.contains(&secret));

    // The account works in the running portal, and neither the password
    // nor the token reaches the log, even at debug level.
    let server = serve_logging(dir, &["--default-org", "lhota"], "debug");
    let addr: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let browser = portico_tests::browser::Browser::new(addr);
    assert_eq!(
        browser.log_in("starosta", "wrong-password-1").await.status,
        401
    );
    assert_eq!(browser.log_in("starosta", password).await.status, 303);
    assert_eq!(browser.get("/m/notice-board/post").await.status, 200);
    let machine = portico_tests::browser::Browser::new(addr);
    let page = machine
        .send(
            "GET",
            "/m/notice-board/post",
            &[("authorization", &format!("Bearer {secret}"))],
            None,
        )
        .await;
    assert_eq!(
        page.status, 200,
        "a token with the permission reaches the page"
    );

    // The IDM's provisioning token; a group it provisions is mapped to a
    // role from the command line.
    let idm = portico(
        &[
            "token",
            "create",
            "krajsky IDM",
            "--org",
            "lhota",
            "--permission",
            "portico.provision",
        ],
        dir,
    )
    .trim()
    .to_owned();
    let group = machine
        .send(
            "POST",
            "/scim/v2/Groups",
            &[("authorization", &format!("Bearer {idm}"))],
            Some((
                r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Redakce"}"#
                    .into(),
                "application/scim+json",
            )),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let (ok, _, err) = run_portico(&[
        "group",
        "map",
        "Redakce",
        "notice-board.pilot",
        "--org",
        "lhota",
        "--data-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        err.contains("no installed module declares the role"),
        "{err}"
    );
    portico(
        &[
            "group",
            "map",
            "Redakce",
            "notice-board.editor",
            "--org",
            "lhota",
        ],
        dir,
    );
    let groups = portico(&["group", "list"], dir);
    assert!(
        groups.contains("\tRedakce\t0 members\tnotice-board.editor in lhota"),
        "{groups}"
    );
    let rotated = portico(&["token", "rotate-key"], dir);
    assert!(rotated.contains("signed with key"), "{rotated}");

    portico(&["user", "deactivate", "starosta"], dir);
    assert_eq!(
        browser.get("/m/notice-board/post").await.status,
        303,
        "logged out"
    );
    drop(server);
    let log = std::fs::read_to_string(dir.join("serve.log")).unwrap();
    assert!(
        log.contains("logged in"),
        "the log is written at debug level"
    );
    assert!(!log.contains(password) && !log.contains("wrong-password-1"));
    assert!(!log.contains(&secret) && !log.contains(&idm));

    let verified = portico(&["audit", "verify"], dir);
    assert!(verified.contains("_platform: intact"), "{verified}");
}

/// Runs `portico` and expects it to fail; returns what it said on stderr.
fn portico_refuses(args: &[&str]) -> String {
    let (ok, out, err) = run_portico(args);
    assert!(!ok, "portico {args:?} should have failed: {out}");
    err
}

#[tokio::test]
async fn a_signed_package_installs_and_serves_while_altered_untrusted_and_unsigned_ones_are_refused()
 {
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let (w, d) = (work.path(), data.path().to_str().unwrap());
    let at = |name: &str| w.join(name).to_str().unwrap().to_owned();
    let built = portico_tests::module_dir("notice-board");
    let built = built.to_str().unwrap();

    // The vendor makes a key and packs the built module with it; another
    // vendor, unknown to this portal, packs it too; and an unsigned one.
    let (ok, out, err) = run_portico(&["vendor", "keygen", "--out", &at(""), "--name", "acme"]);
    assert!(ok, "{err}");
    assert!(out.contains("fingerprint"), "{out}");
    let secret = std::fs::read_to_string(w.join("acme.key")).unwrap();
    assert!(!out.contains(secret.trim()), "the secret is never printed");
    run_portico(&["vendor", "keygen", "--out", &at(""), "--name", "mallory"]);
    let signed = at("notice-board.portico");
    let (ok, out, err) = run_portico(&[
        "plugin",
        "pack",
        built,
        "--key",
        &at("acme.key"),
        "--out",
        &signed,
    ]);
    assert!(ok && out.contains("signed by key"), "{out}{err}");
    let untrusted = at("mallory.portico");
    assert!(
        run_portico(&[
            "plugin",
            "pack",
            built,
            "--key",
            &at("mallory.key"),
            "--out",
            &untrusted
        ])
        .0
    );
    let unsigned = at("unsigned.portico");
    assert!(run_portico(&["plugin", "pack", built, "--unsigned", "--out", &unsigned]).0);
    // One byte of the component changed after signing.
    let mut bytes = std::fs::read(&signed).unwrap();
    let wasm = bytes
        .windows(4)
        .position(|w| w == b"\0asm")
        .expect("the component is in the package");
    bytes[wasm + 1000] ^= 0x01;
    let altered = at("altered.portico");
    std::fs::write(&altered, &bytes).unwrap();

    // The portal trusts the vendor's key.
    let (ok, out, err) = run_portico(&[
        "trust",
        "add",
        &at("acme.pub"),
        "--vendor",
        "Acme",
        "--data-dir",
        d,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("as Acme"), "{out}");

    let (ok, out, err) = run_portico(&["plugin", "verify", &signed, "--data-dir", d]);
    assert!(ok, "{err}");
    assert!(out.contains("notice-board 0.1.0, signed by Acme"), "{out}");

    // Each bad package is refused, saying which check failed; nothing is installed.
    for (file, says) in [
        (&altered, "`notice_board.wasm` was altered: its SHA-256 is"),
        (&untrusted, "which this portal does not trust"),
        (&unsigned, "the package is not signed"),
    ] {
        let err = portico_refuses(&["plugin", "verify", file, "--data-dir", d]);
        assert!(err.contains(says), "{file}: {err}");
        let err = portico_refuses(&["plugin", "install", file, "--data-dir", d]);
        assert!(err.contains(says), "{file}: {err}");
        assert!(
            !data.path().join("modules/notice-board").exists(),
            "{file} left nothing installed"
        );
    }
    let (_, listed, _) = run_portico(&["plugin", "list", "--data-dir", d]);
    assert!(!listed.contains("notice-board"), "{listed}");

    // The signed package installs, is listed, is enabled and answers.
    let (ok, out, err) = run_portico(&["plugin", "install", &signed, "--data-dir", d]);
    assert!(ok, "{err}");
    assert!(
        out.contains("installed notice-board 0.1.0 by Acme"),
        "{out}"
    );
    let listed = portico(&["plugin", "list"], data.path());
    assert!(
        // The WIT version it was built against: the SDK's.
        listed.contains("notice-board") && listed.contains("0.5.0"),
        "{listed}"
    );
    // Installing it again is refused; the unsigned one even in development mode.
    let err = portico_refuses(&["plugin", "install", &unsigned, "--dev", "--data-dir", d]);
    assert!(err.contains("which is not newer"), "{err}");
    portico(
        &[
            "org",
            "create",
            "pkg-city",
            "--name",
            "Package City",
            "--kind",
            "city",
        ],
        data.path(),
    );
    portico(
        &["plugin", "enable", "notice-board", "--org", "pkg-city"],
        data.path(),
    );
    let server = serve(data.path(), &["--default-org", "pkg-city"]);
    let page = reqwest::get(format!("{}/m/notice-board/", server.url))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Posted notices"));
}

/// Waits until the page at `url` contains `text` (a serving portal picks up
/// a module another process installed within seconds).
async fn page_shows(url: &str, text: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(url).await {
            last = r.text().await.unwrap_or_default();
            if last.contains(text) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} never showed {text:?}; last: {last}");
}

#[tokio::test]
async fn one_command_upgrades_a_module_in_a_running_portal_and_one_rolls_it_back() {
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let (w, d) = (work.path(), data.path().to_str().unwrap());
    let at = |name: &str| w.join(name).to_str().unwrap().to_owned();
    copy_module("tally", &data.path().join("modules/tally"));
    portico(
        &[
            "org",
            "create",
            "tally-city",
            "--name",
            "Tally City",
            "--kind",
            "city",
        ],
        data.path(),
    );
    portico(
        &["plugin", "enable", "tally", "--org", "tally-city"],
        data.path(),
    );
    run_portico(&["vendor", "keygen", "--out", &at(""), "--name", "acme"]);
    let (ok, _, err) = run_portico(&[
        "trust",
        "add",
        &at("acme.pub"),
        "--vendor",
        "Acme",
        "--data-dir",
        d,
    ]);
    assert!(ok, "{err}");
    let v2 = at("tally-2.portico");
    let tally_2 = portico_tests::module_dir("tally-2");
    let (ok, _, err) = run_portico(&[
        "plugin",
        "pack",
        tally_2.to_str().unwrap(),
        "--key",
        &at("acme.key"),
        "--out",
        &v2,
    ]);
    assert!(ok, "{err}");

    let server = serve(data.path(), &["--default-org", "tally-city"]);
    let page = format!("{}/m/tally/", server.url);
    page_shows(&page, "Counts (version 1)").await;

    let (ok, out, err) = run_portico(&["plugin", "install", &v2, "--data-dir", d]);
    assert!(ok, "{err}");
    assert!(
        out.contains(
            "upgraded tally from 1.0.0 to 2.0.0 by Acme; migrated the records of 1 organization(s)"
        ),
        "{out}"
    );
    page_shows(&page, "Counts (version 2)").await;
    let listed = portico(&["plugin", "list"], data.path());
    assert!(listed.contains("2.0.0"), "{listed}");

    let (ok, out, err) = run_portico(&["plugin", "rollback", "tally", "--data-dir", d]);
    assert!(ok, "{err}");
    assert!(
        out.contains("rolled tally back from 2.0.0 to 1.0.0"),
        "{out}"
    );
    page_shows(&page, "Counts (version 1)").await;
    let err = portico_refuses(&["plugin", "rollback", "tally", "--data-dir", d]);
    assert!(err.contains("no earlier version"), "{err}");
}

#[tokio::test]
async fn an_upgrade_cut_off_before_it_committed_is_undone_at_the_next_start() {
    let data = tempfile::tempdir().unwrap();
    copy_module("tally", &data.path().join("modules/tally"));
    let listed = portico(&["plugin", "list"], data.path());
    assert!(listed.contains("1.0.0"), "{listed}");
    // The process stopped mid-upgrade: 2.0.0's folder is in place and
    // 1.0.0's kept aside, but the migration never committed.
    let previous = data.path().join("modules-previous/tally");
    std::fs::create_dir_all(&previous).unwrap();
    std::fs::rename(data.path().join("modules/tally"), previous.join("module")).unwrap();
    copy_module("tally-2", &data.path().join("modules/tally"));
    std::fs::write(
        previous.join("upgrade.json"),
        r#"{"version": "1.0.0", "upgraded_to": "2.0.0", "upgraded_at_micros": 0}"#,
    )
    .unwrap();

    let (ok, listed, log) = run_portico(&[
        "plugin",
        "list",
        "--data-dir",
        data.path().to_str().unwrap(),
    ]);
    assert!(ok, "{log}");
    assert!(
        listed.contains("1.0.0") && !listed.contains("2.0.0"),
        "{listed}"
    );
    assert!(log.contains("cut off before it committed"), "{log}");
    assert!(!previous.exists());
}

#[tokio::test]
async fn another_vendors_upgrade_is_refused_at_the_command_line_unless_the_change_is_approved() {
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let (w, d) = (work.path(), data.path().to_str().unwrap());
    let at = |name: &str| w.join(name).to_str().unwrap().to_owned();
    // Two vendors the portal trusts: Acme makes tally, Mallory signs a
    // "newer tally" too; and an unsigned one for development mode.
    let mut fingerprints = Vec::new();
    for (name, vendor) in [("acme", "Acme"), ("mallory", "Mallory")] {
        let (ok, out, err) = run_portico(&["vendor", "keygen", "--out", &at(""), "--name", name]);
        assert!(ok, "{err}");
        fingerprints.push(
            out.split("fingerprint ")
                .nth(1)
                .and_then(|s| s.split(')').next())
                .unwrap()
                .to_owned(),
        );
        portico(
            &[
                "trust",
                "add",
                &at(&format!("{name}.pub")),
                "--vendor",
                vendor,
            ],
            data.path(),
        );
    }
    let (acme_key, mallory_key) = (&fingerprints[0], &fingerprints[1]);
    let pack = |module: &str, key: Option<&str>, out: &str| {
        let dir = portico_tests::module_dir(module);
        let mut args = vec!["plugin", "pack", dir.to_str().unwrap(), "--out", out];
        match key {
            Some(k) => args.extend(["--key", k]),
            None => args.push("--unsigned"),
        }
        let (ok, _, err) = run_portico(&args);
        assert!(ok, "{err}");
    };
    let (v1, v2_by_mallory, v2_unsigned) = (
        at("tally-1.portico"),
        at("tally-2-m.portico"),
        at("tally-2-u.portico"),
    );
    pack("tally", Some(&at("acme.key")), &v1);
    pack("tally-2", Some(&at("mallory.key")), &v2_by_mallory);
    pack("tally-2", None, &v2_unsigned);

    let out = portico(&["plugin", "install", &v1], data.path());
    assert!(
        out.contains(&format!("installed tally 1.0.0 by Acme (key {acme_key})")),
        "{out}"
    );
    portico(
        &[
            "org",
            "create",
            "tally-city",
            "--name",
            "Tally City",
            "--kind",
            "city",
        ],
        data.path(),
    );
    portico(
        &["plugin", "enable", "tally", "--org", "tally-city"],
        data.path(),
    );
    // The list names who signed it, not what its manifest says.
    let listed = portico(&["plugin", "list"], data.path());
    assert!(
        listed.contains(&format!("Acme (key {acme_key})")),
        "{listed}"
    );
    assert!(!listed.contains("Portico tests"), "{listed}");

    let server = serve(data.path(), &["--default-org", "tally-city"]);
    let page = format!("{}/m/tally/", server.url);
    page_shows(&page, "Counts (version 1)").await;

    // Mallory's package is refused, naming both signers; so is an unsigned
    // one in development mode. Acme's version keeps serving.
    let err = portico_refuses(&["plugin", "install", &v2_by_mallory, "--data-dir", d]);
    for says in [
        format!("tally was installed from a package signed by Acme (key {acme_key})"),
        format!("this package is signed by Mallory (key {mallory_key})"),
        "--approve-vendor-change".to_owned(),
    ] {
        assert!(err.contains(&says), "{says}: {err}");
    }
    let err = portico_refuses(&["plugin", "install", &v2_unsigned, "--dev", "--data-dir", d]);
    assert!(err.contains("this package is not signed"), "{err}");
    let listed = portico(&["plugin", "list"], data.path());
    assert!(
        listed.contains("1.0.0") && listed.contains("Acme"),
        "{listed}"
    );
    page_shows(&page, "Counts (version 1)").await;
    let trail = portico(&["audit", "export", "--org", "_platform"], data.path());
    assert!(!trail.contains("module.vendor-change"), "{trail}");

    // Approved, it goes through; the approval is in the platform's chain.
    let out = portico(
        &[
            "plugin",
            "install",
            &v2_by_mallory,
            "--approve-vendor-change",
        ],
        data.path(),
    );
    for says in [
        "upgraded tally from 1.0.0 to 2.0.0 by Mallory; migrated the records of 1 organization(s)"
            .to_owned(),
        format!(
            "the change of vendor of tally from Acme (key {acme_key}) to Mallory (key {mallory_key}) is approved"
        ),
    ] {
        assert!(out.contains(&says), "{says}: {out}");
    }
    page_shows(&page, "Counts (version 2)").await;
    let listed = portico(&["plugin", "list"], data.path());
    assert!(
        listed.contains(&format!("Mallory (key {mallory_key})")),
        "{listed}"
    );
    let trail = portico(&["audit", "export", "--org", "_platform"], data.path());
    let entry = trail
        .lines()
        .find(|l| l.contains("module.vendor-change"))
        .unwrap_or_else(|| panic!("{trail}"));
    assert!(
        entry.contains("Acme") && entry.contains("Mallory"),
        "{entry}"
    );
}

#[tokio::test]
async fn a_module_installed_before_signers_were_recorded_is_bound_at_its_next_upgrade() {
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let at = |name: &str| work.path().join(name).to_str().unwrap().to_owned();
    copy_module("tally", &data.path().join("modules/tally"));
    let listed = portico(&["plugin", "list"], data.path());
    assert!(listed.contains("not recorded"), "{listed}");
    run_portico(&["vendor", "keygen", "--out", &at(""), "--name", "acme"]);
    portico(
        &["trust", "add", &at("acme.pub"), "--vendor", "Acme"],
        data.path(),
    );
    let v2 = at("tally-2.portico");
    let dir = portico_tests::module_dir("tally-2");
    let (ok, packed, err) = run_portico(&[
        "plugin",
        "pack",
        dir.to_str().unwrap(),
        "--key",
        &at("acme.key"),
        "--out",
        &v2,
    ]);
    assert!(ok && packed.contains("signed by key"), "{packed}{err}");
    let out = portico(&["plugin", "install", &v2], data.path());
    assert!(
        out.contains("tally had no recorded signer; it is bound to Acme (key"),
        "{out}"
    );
    let listed = portico(&["plugin", "list"], data.path());
    assert!(listed.contains("Acme (key"), "{listed}");
}

#[tokio::test]
async fn a_number_setting_outside_its_range_or_not_finite_is_refused_at_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    install(data.path(), "ledger");
    portico(
        &[
            "org",
            "create",
            "ledger-city",
            "--name",
            "Ledger City",
            "--kind",
            "city",
        ],
        data.path(),
    );
    let out = portico(
        &[
            "plugin",
            "enable",
            "ledger",
            "--org",
            "ledger-city",
            "--set",
            "largest-amount=5000",
        ],
        data.path(),
    );
    assert!(out.contains("enabled (settings: largest-amount)"), "{out}");
    let stored = || async {
        let db = portico_platform::connect(&portico_platform::sqlite_url(data.path()))
            .await
            .unwrap();
        portico_platform::modules::enablements(&db, Some("ledger-city"), Some("ledger"))
            .await
            .unwrap()[0]
            .settings
            .get("largest-amount")
            .cloned()
    };
    assert_eq!(stored().await.as_deref(), Some("5000"));
    for (value, says) in [
        ("inf", "`inf` is not a finite number"),
        ("NaN", "`NaN` is not a finite number"),
        ("1e309", "`1e309` is not a finite number"),
        ("-5", "`-5` is less than 0"),
        ("1000000001", "`1000000001` is more than 1000000000"),
    ] {
        let set = format!("largest-amount={value}");
        for command in ["configure", "enable"] {
            let err = portico_refuses(&[
                "plugin",
                command,
                "ledger",
                "--org",
                "ledger-city",
                "--set",
                &set,
                "--data-dir",
                d,
            ]);
            assert!(
                err.contains(&format!(
                    "`--set {set}`: {says}: `largest-amount` takes a number from 0 to 1000000000"
                )),
                "{command} {value}: {err}"
            );
        }
        assert_eq!(stored().await.as_deref(), Some("5000"), "{value}");
    }
    portico(
        &[
            "plugin",
            "configure",
            "ledger",
            "--org",
            "ledger-city",
            "--set",
            "largest-amount=0.5",
        ],
        data.path(),
    );
    assert_eq!(stored().await.as_deref(), Some("0.5"));
}

/// The ids of the messages relay received in `org`, as it recorded them
/// (one record per message it handled).
async fn relayed(client: &reqwest::Client, url: &str, org: &str) -> Vec<u64> {
    // A read may be turned away while the host is busy delivering (503,
    // or the call's deadline on a loaded machine): asked again.
    let mut last = String::new();
    for _ in 0..50 {
        let got = client
            .get(format!("{url}/o/{org}/m/relay/api/received"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        let status = got.status();
        let body = got.text().await.unwrap();
        if status == 200 {
            let got: serde_json::Value = serde_json::from_str(&body).unwrap();
            return got
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["message"].as_u64().unwrap())
                .collect();
        }
        last = format!("{status}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the messages received in {org} cannot be read: {last}")
}

#[tokio::test]
async fn messages_in_flight_survive_kill_9_and_are_each_handled_once_by_one_of_two_hosts() {
    for database in portico_tests::TestDatabase::both().await {
        let engine = database.engine;
        let data = tempfile::tempdir().unwrap();
        install(data.path(), "relay");
        let url = database.url.clone();
        let with_db = |args: &[&str]| {
            let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            all.extend(["--database-url".to_owned(), url.clone()]);
            all
        };
        let org = |id: &str, kind: &str, parent: Option<&str>| {
            let mut args = vec!["org", "create", id, "--name", id, "--kind", kind];
            if let Some(p) = parent {
                args.extend(["--parent", p, "--category", "school"]);
            }
            portico_owned(&with_db(&args), data.path());
            portico_owned(
                &with_db(&["plugin", "enable", "relay", "--org", id]),
                data.path(),
            );
        };
        org("kraj", "region", None);
        org("skola-a", "organization", Some("kraj"));
        org("skola-b", "organization", Some("kraj"));
        // What a killed host had claimed waits out its lease (twice the
        // calls' deadline and a second) before another host takes it.
        let serve_args = with_db(&["--call-deadline-ms", "4000"]);
        let server = serve_owned(data.path(), &serve_args);

        // 1,000 messages from the region, 100 a call, every call committed.
        let client = reqwest::Client::new();
        let mut sent = Vec::new();
        for _ in 0..10 {
            let got = client
                .post(format!("{}/o/kraj/m/relay/api/send-many", server.url))
                .header("accept", "application/json")
                .json(&serde_json::json!({ "to": ["skola-a", "skola-b"], "count": 50 }))
                .send()
                .await
                .unwrap();
            assert_eq!(got.status(), 200, "{engine}");
            let body: serde_json::Value = got.json().await.unwrap();
            sent.extend(
                body["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_u64().unwrap()),
            );
        }
        assert_eq!(sent.len(), 1000);

        // Killed while the courier is delivering them.
        let mut server = server;
        let started = std::time::Instant::now();
        loop {
            let done = relayed(&client, &server.url, "skola-a").await.len()
                + relayed(&client, &server.url, "skola-b").await.len();
            if done >= 20 {
                server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
                server.child.wait().unwrap();
                assert!(done < 1000, "{engine}: the kill came mid-delivery ({done})");
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{engine}: no message delivered"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(server);

        // Two hosts on PostgreSQL (one on SQLite) carry on; every message
        // is handled exactly once.
        let second = tempfile::tempdir().unwrap();
        install(second.path(), "relay");
        let servers = if engine == "postgres" {
            vec![
                serve_owned(data.path(), &serve_args),
                serve_owned(second.path(), &serve_args),
            ]
        } else {
            vec![serve_owned(data.path(), &serve_args)]
        };
        let handled_now = || async {
            let mut all = relayed(&client, &servers[0].url, "skola-a").await;
            all.extend(relayed(&client, &servers[0].url, "skola-b").await);
            all
        };
        for _ in 0..1200 {
            if handled_now().await.len() >= 1000 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // A little longer: a message handled twice would show now.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut handled = handled_now().await;
        handled.sort_unstable();
        let mut expected = sent.clone();
        expected.sort_unstable();
        assert_eq!(handled.len(), 1000, "{engine}: each message once");
        assert_eq!(
            handled, expected,
            "{engine}: every message sent, and no other"
        );
        let dead = portico_owned(&with_db(&["messages", "dead"]), data.path());
        assert!(dead.contains("No dead messages."), "{engine}: {dead}");
        drop(servers);
        database.cleanup().await;
    }
}

#[tokio::test]
async fn deliveries_queued_when_the_host_is_killed_all_arrive_after_it_restarts() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    lhota_with(dir, "courier");
    let outside = portico_tests::outside::Outside::start(0).await;
    // The credential from a file, as an administrator sets it up.
    let secret = dir.join("rescue-token");
    std::fs::write(&secret, "token-of-the-rescue-system\n").unwrap();
    let base = outside.url("/rescue");
    let set = portico(
        &[
            "connections",
            "set",
            "--org",
            "lhota",
            "--module",
            "courier",
            "peer",
            "--url",
            &base,
            "--credential",
            "bearer",
            "--secret-file",
            secret.to_str().unwrap(),
            // A delivery under way holds its line for this and a few
            // seconds more: how long the restarted host waits for it.
            "--timeout",
            "2",
            // The outside system lives on this machine.
            "--connections-may-reach",
            "127.0.0.0/8",
        ],
        dir,
    );
    assert!(set.contains("courier/peer is set up in lhota"), "{set}");
    let listed = portico(&["connections", "list", "--org", "lhota"], dir);
    assert!(listed.contains("courier/peer (http): bearer"), "{listed}");
    assert!(
        listed.contains("courier/elsewhere (http): not set up"),
        "{listed}"
    );
    assert!(!listed.contains("token-of-the-rescue-system"), "{listed}");

    let local = ["--connections-may-reach", "127.0.0.0/8"];
    let server = serve(dir, &local);
    let queued = reqwest::Client::new()
        .post(format!("{}/o/lhota/m/courier/api/deliver", server.url))
        .header("content-type", "application/json")
        .body(r#"{"path": "/alerts", "body": "{}", "key": "alert", "count": 500}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 200, "{}", queued.text().await.unwrap());
    // Killed (SIGKILL) while it sends.
    let before = outside
        .wait_for_accepted(40, Duration::from_secs(60))
        .await
        .len();
    drop(server);
    assert!(
        before < 500,
        "the host was killed before it had sent them all"
    );
    let server = serve(dir, &local);
    let all = outside
        .wait_for_accepted(500, Duration::from_secs(120))
        .await;
    drop(server);
    let mut seen = std::collections::BTreeSet::new();
    let mut first_seen = Vec::new();
    let mut again = 0;
    for r in &all {
        let key = r.header("idempotency-key").unwrap().to_owned();
        assert_eq!(
            r.header("authorization"),
            Some("Bearer token-of-the-rescue-system")
        );
        if seen.insert(key.clone()) {
            first_seen.push(key);
        } else {
            again += 1;
        }
    }
    let expected: Vec<String> = (1..=500).map(|n| format!("alert-{n}")).collect();
    assert_eq!(first_seen, expected, "every delivery, in order");
    // Only the one under way when the host was killed can arrive twice,
    // under the same key, so that the system takes it once.
    assert!(again <= 1, "{again} deliveries arrived twice");
    let deliveries = portico(
        &[
            "connections",
            "deliveries",
            "--org",
            "lhota",
            "--module",
            "courier",
            "peer",
            "--limit",
            "3",
        ],
        dir,
    );
    assert!(
        deliveries.contains("alert-500") && deliveries.contains("delivered"),
        "{deliveries}"
    );
}
