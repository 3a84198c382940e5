//! What Portico's integration tests and benchmarks share: the built module
//! folders, one engine per test process, a portal assembled from chosen
//! modules, and a server on a loopback port.

pub mod browser;
pub mod catalog;
pub mod chromium;
pub mod logs;
pub mod oidc;
pub mod outside;
pub mod peers;
pub mod toolchains;
pub mod winter;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use portico_host::lifecycle::Installer;
use portico_host::notify::{EmailSender, Senders, SmsGateway};
use portico_host::services::PlatformServices;
use portico_host::workers::WorkerConfig;
use portico_platform::Platform;
use portico_platform::files::FileStore;
use portico_platform::identity::roles;
use portico_platform::identity::users::{self, NewUser, User, UserKind};
use portico_platform::modules::{self, Change};
use portico_platform::organizations::{self, Kind, NewOrganization};
use portico_runtime::{
    CallLimits, EngineConfig, LoadedModule, ModuleEngine, ModuleOptions, ModuleRegistry,
    load_module,
};
use portico_web::{AppState, WebConfig};

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The Python of a third-party peer the tests check against: the one
/// `env` names (CI's), else the venv `cargo xtask test` installs under
/// target/; `what` names the peer when neither is there.
pub fn peer_python(env: &str, venv: &str, what: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return p.into();
    }
    let python = repo_root().join("target").join(venv).join("bin/python");
    assert!(
        python.exists(),
        "{what} is not installed: run `cargo xtask test`, which installs it"
    );
    python
}

/// Today in Europe/Prague, the day the portal's modules count in.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Prague)
        .date_naive()
}

/// The folder of a built module: `target/modules/<id>` (Rust, built by
/// `cargo xtask build-plugins`), or `target/lang-modules/<id>` (another
/// language, built by [`toolchains`]).
///
/// # Panics
/// When the modules were not built: run `cargo xtask build-plugins` (or
/// `cargo xtask test`, which builds them first).
pub fn module_dir(id: &str) -> PathBuf {
    let root = repo_root();
    let lang = root.join("target/lang-modules").join(id);
    if lang.join("module.toml").exists() {
        return lang;
    }
    let dir = root.join("target/modules").join(id);
    assert!(
        dir.join("module.toml").exists(),
        "module `{id}` is not built at {}; run `cargo xtask build-plugins` first",
        dir.display()
    );
    dir
}

/// Copies the built module `id` into the folder `to` (created if missing).
pub fn copy_module(id: &str, to: &Path) {
    std::fs::create_dir_all(to).expect("create the module folder");
    for entry in std::fs::read_dir(module_dir(id)).expect("read the built module") {
        let entry = entry.expect("a folder entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy a module file");
    }
}

/// The `portico` binary the tests run (built by `cargo xtask test`).
///
/// # Panics
/// When it is not there.
pub fn portico_bin() -> PathBuf {
    let bin = std::env::var_os("PORTICO_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/debug/portico"));
    assert!(
        bin.exists(),
        "the portico binary is not at {}; run `cargo build -p portico` or `cargo xtask test`",
        bin.display()
    );
    bin
}

/// Runs the `portico` binary with `args` (warnings logged to stderr) and
/// returns whether it succeeded, its stdout and its stderr.
pub fn run_portico(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(portico_bin())
        .args(args)
        .env("RUST_LOG", "warn")
        .env("XDG_CACHE_HOME", cache_home())
        .output()
        .expect("portico runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Where the tests keep caches, as `XDG_CACHE_HOME` would: the `portico`
/// processes they start and the vendor's test kit are given it, so that
/// every engine of a test run shares [`code_cache`].
pub fn cache_home() -> PathBuf {
    repo_root().join("target/cache")
}

/// The compiled-code cache of the tests: the folder the test kit uses
/// under [`cache_home`], so each component is compiled once per run, by
/// whichever process loads it first.
pub fn code_cache() -> PathBuf {
    cache_home().join("portico/modules")
}

/// The engine of this test process: one per process, as in the host, with
/// the compiled-code cache in [`code_cache`].
pub fn engine() -> &'static ModuleEngine {
    shared_engine_ref()
}

fn shared_engine_ref() -> &'static Arc<ModuleEngine> {
    static ENGINE: OnceLock<Arc<ModuleEngine>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Arc::new(
            ModuleEngine::new(&EngineConfig {
                cache_dir: Some(code_cache()),
                ..EngineConfig::default()
            })
            .expect("the engine starts"),
        )
    })
}

/// Module loading (compilation on a cold cache) holds this shared; a test
/// that measures time or memory holds it exclusively, so that it measures
/// the host and not other tests compiling components beside it.
static LOADING: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Waits until no test is loading modules and keeps others from starting
/// to, while the guard lives.
pub async fn quiet() -> tokio::sync::RwLockWriteGuard<'static, ()> {
    LOADING.write().await
}

/// The notice board's demo notices (the ones `cargo xtask run` imports),
/// one JSON document per line.
pub fn demo_notices() -> String {
    std::fs::read_to_string(repo_root().join("xtask/src/demo/notices.jsonl"))
        .expect("the demo notices")
}

/// The organization a [`TestPortal`] serves at `/` and `/m/…`.
pub const TEST_CITY: &str = "test-city";

/// A portal assembled from chosen built modules, over a real database.
pub struct TestPortal {
    /// What the web layer serves; `state.registry()` holds the modules.
    pub state: AppState,
    /// The database (a fresh SQLite file unless another was given).
    pub database: TestDatabase,
    /// Where file content is kept.
    pub files_dir: PathBuf,
    _files_tmp: Option<tempfile::TempDir>,
    clock: portico_runtime::Clock,
}

/// Builds a [`TestPortal`].
pub struct PortalBuilder {
    modules: Vec<String>,
    options: ModuleOptions,
    settings: Vec<(String, String, String)>,
    orgs: Vec<String>,
    create_orgs: bool,
    tree: Vec<NewOrganization>,
    disabled_in: Vec<String>,
    database: Option<TestDatabase>,
    files_dir: Option<PathBuf>,
    smtp: Option<String>,
    sms: Option<(String, Option<String>)>,
    web: WebConfig,
    installing: Option<PathBuf>,
    engine: Option<Arc<ModuleEngine>>,
}

impl Default for PortalBuilder {
    fn default() -> Self {
        PortalBuilder {
            modules: Vec::new(),
            options: ModuleOptions::default(),
            settings: Vec::new(),
            orgs: vec![TEST_CITY.to_owned()],
            create_orgs: true,
            tree: Vec::new(),
            disabled_in: Vec::new(),
            database: None,
            files_dir: None,
            smtp: None,
            sms: None,
            web: WebConfig {
                default_org: Some(TEST_CITY.to_owned()),
                // The outside systems of the tests live on loopback.
                connections_may_reach: vec!["127.0.0.0/8".parse().expect("a range")],
                ..WebConfig::default()
            },
            installing: None,
            engine: None,
        }
    }
}

impl PortalBuilder {
    /// Runs the modules on `engine` instead of the process's shared one
    /// (e.g. with fewer instance slots).
    pub fn engine(mut self, engine: Arc<ModuleEngine>) -> Self {
        self.engine = Some(engine);
        self
    }

    /// Adds a built module, enabled in every organization of the portal.
    pub fn module(mut self, id: &str) -> Self {
        self.modules.push(id.to_owned());
        self
    }

    /// Adds another organization (a city) with the same modules enabled.
    pub fn org(mut self, id: &str) -> Self {
        self.orgs.push(id.to_owned());
        self
    }

    /// Adds an organization of `kind` below `parent` (a root when `None`),
    /// doing `category`, with the same modules enabled: the test city
    /// stays, and the tree grows beside it. Parents come before children.
    pub fn tree_org(
        mut self,
        id: &str,
        kind: Kind,
        parent: Option<&str>,
        category: Option<&str>,
    ) -> Self {
        self.tree.push(NewOrganization {
            id: id.to_owned(),
            name: match kind {
                Kind::Region => format!("Region {id}"),
                Kind::City => format!("City {id}"),
                Kind::Organization => format!("Organization {id}"),
                Kind::Unit => format!("Unit {id}"),
            },
            ico: None,
            kind,
            parent_id: parent.map(str::to_owned),
            category: category.map(str::to_owned),
            address: Some(format!("Street {id} 1, Brno")),
        });
        self
    }

    /// Leaves the modules installed but not enabled in `id`.
    pub fn without_modules_in(mut self, id: &str) -> Self {
        self.disabled_in.push(id.to_owned());
        self
    }

    /// Another host over a database a first one set up: its organizations
    /// exist already (the test city and `other-city`).
    pub fn existing_orgs(mut self) -> Self {
        self.create_orgs = false;
        self.orgs = vec![TEST_CITY.to_owned(), "other-city".to_owned()];
        self
    }

    /// Uses this database instead of a fresh SQLite file.
    pub fn database(mut self, database: TestDatabase) -> Self {
        self.database = Some(database);
        self
    }

    /// Keeps file content in `dir` (a fresh temporary folder otherwise).
    pub fn files_dir(mut self, dir: &Path) -> Self {
        self.files_dir = Some(dir.to_owned());
        self
    }

    /// Sends e-mail through the SMTP server at `url`.
    pub fn smtp(mut self, url: &str) -> Self {
        self.smtp = Some(url.to_owned());
        self
    }

    /// Sends text messages through the gateway at `url`.
    pub fn sms(mut self, url: &str, token: Option<&str>) -> Self {
        self.sms = Some((url.to_owned(), token.map(str::to_owned)));
        self
    }

    /// Changes the web layer's settings (identity providers, public URL…).
    pub fn web(mut self, change: impl FnOnce(&mut WebConfig)) -> Self {
        change(&mut self.web);
        self
    }

    /// Installs, upgrades and rolls back packages signed by keys in
    /// `data_dir/trust`: the modules are copied into `data_dir/modules`,
    /// where the installer keeps them.
    pub fn installing(mut self, data_dir: &Path) -> Self {
        self.installing = Some(data_dir.to_owned());
        self
    }

    /// Sets the call limits.
    pub fn limits(mut self, limits: CallLimits) -> Self {
        self.options.limits = limits;
        self
    }

    /// Sets the breaker threshold.
    pub fn breaker_threshold(mut self, n: u32) -> Self {
        self.options.breaker_threshold = n;
        self
    }

    /// Keeps breaker state in `dir`.
    pub fn state_dir(mut self, dir: &Path) -> Self {
        self.options.state_dir = Some(dir.to_owned());
        self
    }

    /// Sets a setting of a module in every organization.
    /// Gives `id`, an organization of the tree added before, its IČO.
    pub fn ico(mut self, id: &str, ico: &str) -> Self {
        if let Some(org) = self.tree.iter_mut().find(|o| o.id == id) {
            org.ico = Some(ico.to_owned());
        }
        self
    }

    pub fn setting(mut self, module: &str, key: &str, value: &str) -> Self {
        self.settings
            .push((module.to_owned(), key.to_owned(), value.to_owned()));
        self
    }

    /// Creates the organizations, loads the modules and enables them.
    pub async fn build(mut self) -> TestPortal {
        let database = self.database.take().unwrap_or_else(TestDatabase::sqlite);
        let db = database.connect().await;
        for org in self.orgs.iter().filter(|_| self.create_orgs) {
            organizations::create(
                &db,
                "test",
                NewOrganization {
                    id: org.clone(),
                    name: format!("City {org}"),
                    ico: None,
                    kind: Kind::City,
                    parent_id: None,
                    category: None,
                    address: None,
                },
            )
            .await
            .expect("create a test organization");
        }
        for org in &self.tree {
            organizations::create(&db, "test", org.clone())
                .await
                .expect("create an organization of the test tree");
            self.orgs.push(org.id.clone());
        }
        let (files_dir, files_tmp) = match self.files_dir.take() {
            Some(dir) => (dir, None),
            None => {
                let tmp = tempfile::tempdir().expect("a temporary folder");
                (tmp.path().to_owned(), Some(tmp))
            }
        };
        let senders = Senders {
            email: self.smtp.as_deref().map(|url| {
                EmailSender::new(url, "Portico tests <portal@test-city.example>")
                    .expect("an SMTP sender")
            }),
            sms: self
                .sms
                .take()
                .map(|(url, token)| SmsGateway::new(&url, token).expect("an SMS gateway")),
        };
        let platform = Platform::new(db.clone(), FileStore::in_data_dir(&files_dir));
        let services = PlatformServices::new(platform, senders);
        services.follow_changes();
        self.options.services = services.clone();
        let mut registry = ModuleRegistry::default();
        let engine = self
            .engine
            .clone()
            .unwrap_or_else(|| shared_engine_ref().clone());
        {
            let _loading = LOADING.read().await;
            for id in &self.modules {
                let module = load_module(&engine, &module_dir(id), &self.options)
                    .await
                    .unwrap_or_else(|e| panic!("module {id} loads: {e}"));
                registry.insert(module);
            }
        }
        for module in registry.iter() {
            let m = module.manifest();
            modules::install(&db, &m.id, &m.version.to_string())
                .await
                .expect("install");
            let change = Change {
                enabled: Some(true),
                set: self
                    .settings
                    .iter()
                    .filter(|(module, _, _)| *module == m.id)
                    .map(|(_, k, v)| (k.clone(), v.clone()))
                    .collect(),
                ..Change::default()
            };
            for org in self.orgs.iter().filter(|o| !self.disabled_in.contains(o)) {
                services
                    .change(org, &m.id, &change, "test")
                    .await
                    .expect("enable");
            }
        }
        let mut state = AppState::new(registry, services, self.web);
        if let Some(data_dir) = &self.installing {
            let modules_dir = data_dir.join("modules");
            for name in &self.modules {
                let id = portico_runtime::manifest::Manifest::from_file(
                    &module_dir(name).join("module.toml"),
                )
                .expect("a built manifest")
                .id;
                copy_module(name, &modules_dir.join(id));
            }
            state = state.with_installer(Installer::new(
                engine,
                self.options.clone(),
                modules_dir,
                data_dir.clone(),
                false,
            ));
        }
        TestPortal {
            state,
            database,
            files_dir,
            _files_tmp: files_tmp,
            clock: self.options.clock.clone(),
        }
    }
}

impl TestPortal {
    /// A builder.
    pub fn builder() -> PortalBuilder {
        PortalBuilder::default()
    }

    /// The application router.
    pub fn app(&self) -> axum::Router {
        portico_web::app(self.state.clone())
    }

    /// A loaded module.
    pub fn module(&self, id: &str) -> Arc<LoadedModule> {
        self.state
            .registry()
            .get(id)
            .cloned()
            .expect("module is loaded")
    }

    /// The wall clock the portal's modules read; tests move it forward.
    pub fn clock(&self) -> &portico_runtime::Clock {
        &self.clock
    }

    /// The database.
    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        self.state.services.platform().db()
    }

    /// The actions of `org`'s audit chain about `subject`, oldest first.
    pub async fn audited(&self, org: &str, subject: &str) -> Vec<String> {
        portico_platform::audit::entries(self.db(), org)
            .await
            .expect("the audit chain")
            .into_iter()
            .filter(|e| e.subject == subject)
            .map(|e| e.action)
            .collect()
    }

    /// Every document of a module's collection in `org`, in the order of
    /// insertion.
    pub async fn documents(
        &self,
        org: &str,
        module: &str,
        collection: &str,
    ) -> Vec<serde_json::Value> {
        self.records(org, module, collection)
            .await
            .into_iter()
            .map(|(_, data)| data)
            .collect()
    }

    /// Every document of a module's collection in `org` with its id, in the
    /// order of insertion.
    pub async fn records(
        &self,
        org: &str,
        module: &str,
        collection: &str,
    ) -> Vec<(String, serde_json::Value)> {
        let loaded = self.module(module);
        let schema = portico_host::services::schema(portico_runtime::backend::CollectionRef {
            name: collection,
            spec: &loaded.manifest().collections[collection],
        });
        let scope = portico_platform::records::Scope {
            org_id: org.into(),
            module_id: module.into(),
            actor: "test".into(),
        };
        let work = self
            .state
            .services
            .platform()
            .begin(scope, false)
            .await
            .expect("a unit of work begins");
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let query = portico_platform::records::Query {
                limit: 500,
                cursor,
                ..Default::default()
            };
            let found = work.query(&schema, &query).await.expect("the query runs");
            out.extend(
                found
                    .records
                    .iter()
                    .map(|r| (r.id.clone(), r.data().expect("stored JSON"))),
            );
            match found.next_cursor {
                Some(next) => cursor = Some(next),
                None => return out,
            }
        }
    }

    /// Inserts JSON documents (one per line) into a module's collection in `org`.
    pub async fn import(&self, org: &str, module: &str, collection: &str, lines: &str) {
        let loaded = self.module(module);
        let manifest = loaded.manifest();
        let spec = &manifest.collections[collection];
        let schema = portico_host::services::schema(portico_runtime::backend::CollectionRef {
            name: collection,
            spec,
        });
        let scope = portico_platform::records::Scope {
            org_id: org.to_owned(),
            module_id: module.to_owned(),
            actor: "test".into(),
        };
        // One transaction: tens of thousands of documents in seconds.
        let txn = sea_orm::TransactionTrait::begin(self.db())
            .await
            .expect("begin the import");
        for line in lines.lines().filter(|l| !l.trim().is_empty()) {
            portico_platform::records::insert(&txn, &scope, &schema, line)
                .await
                .expect("import a document");
        }
        txn.commit().await.expect("commit the import");
    }

    /// Delivers every event that is due, as the dispatcher does.
    pub async fn dispatch(&self, config: &WorkerConfig) -> usize {
        portico_host::workers::dispatch_once(&self.state, config)
            .await
            .expect("dispatch")
    }

    /// Delivers every message that is due, as the courier does; returns how
    /// many it tried.
    pub async fn carry_messages(&self, config: &WorkerConfig) -> usize {
        portico_host::workers::courier_once(&self.state, config)
            .await
            .expect("carry messages")
    }

    /// Sends the due e-mails and text messages once; returns how many it tried.
    pub async fn send_notifications(&self, config: &WorkerConfig) -> usize {
        portico_host::workers::send_once(&self.state, config)
            .await
            .expect("send notifications")
    }

    /// Sends the head of each connection's line that is due, as the
    /// connection courier does; returns how many it tried.
    pub async fn send_deliveries(&self, config: &WorkerConfig) -> usize {
        portico_host::workers::deliveries_once(&self.state, config)
            .await
            .expect("send deliveries")
    }

    /// Carries every message due and sends every notification due, at
    /// once and without backoff: what the host's workers would do next.
    pub async fn settle(&self) {
        let at_once = WorkerConfig {
            backoff: std::time::Duration::ZERO,
            max_attempts: 3,
            ..WorkerConfig::default()
        };
        self.carry_messages(&at_once).await;
        self.send_notifications(&at_once).await;
    }

    /// Staff accounts, each granted its roles (organization, role) and
    /// logged in through the form in a browser of its own against the
    /// portal at `addr`; by user name, with the account's id.
    pub async fn staff(
        &self,
        addr: SocketAddr,
        password: &str,
        people: &[(&'static str, &[(&str, &str)])],
    ) -> std::collections::HashMap<&'static str, (String, browser::Browser)> {
        let mut out = std::collections::HashMap::new();
        for (name, grants) in people {
            let user = self.user(name, UserKind::Staff, password).await;
            for (org, role) in *grants {
                self.grant(&user, org, role).await;
            }
            let b = browser::Browser::new(addr);
            assert_eq!(b.log_in(name, password).await.status, 303, "{name} logs in");
            out.insert(*name, (user.id, b));
        }
        out
    }

    /// Creates a local account with a password.
    pub async fn user(&self, username: &str, kind: UserKind, password: &str) -> User {
        users::create(
            self.db(),
            "test",
            NewUser::local(username, &format!("User {username}"), kind, password),
        )
        .await
        .expect("create a user")
    }

    /// Grants `role` in `org` to a user.
    pub async fn grant(&self, user: &User, org: &str, role: &str) {
        roles::grant(self.db(), "test", &user.id, org, role)
            .await
            .expect("grant a role");
    }

    /// Puts a message from the notice board into `user`'s inbox in the
    /// test city, as the board's `notify` would.
    pub async fn inbox_message(&self, user: &User, subject: &str, body: &str) {
        let scope = portico_platform::records::Scope {
            org_id: TEST_CITY.into(),
            module_id: "notice-board".into(),
            actor: "module:notice-board".into(),
        };
        let message = portico_platform::notifications::Outgoing {
            channel: portico_platform::notifications::Channel::Inbox,
            recipient: user.id.clone(),
            template: "notice-posted".into(),
            subject: subject.into(),
            body: body.into(),
        };
        portico_platform::notifications::enqueue(self.db(), &scope, message)
            .await
            .expect("queue an inbox message");
    }

    /// Serves the portal on a loopback port until the test ends.
    pub async fn serve(&self) -> SocketAddr {
        serve(self.app()).await
    }
}

/// A free loopback port, bound (to learn a portal's address before it is built).
pub async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port")
}

/// Serves `app` on a free loopback port in the background.
pub async fn serve(app: axum::Router) -> SocketAddr {
    serve_on(listener().await, app)
}

/// Serves `app` on `listener` in the background.
pub fn serve_on(listener: tokio::net::TcpListener, app: axum::Router) -> SocketAddr {
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    addr
}

/// Resident memory of this process in bytes (Linux).
pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// A database for one test: a fresh SQLite file, or a fresh schema in the
/// PostgreSQL on this machine (`PORTICO_TEST_POSTGRES`, default
/// `postgres://postgres@127.0.0.1:5432/test`), so tests never see each other.
pub struct TestDatabase {
    /// `sqlite` or `postgres`.
    pub engine: &'static str,
    /// The URL to connect with.
    pub url: String,
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

fn postgres_base() -> String {
    std::env::var("PORTICO_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl TestDatabase {
    /// A new SQLite database in a temporary folder.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("a temporary folder");
        TestDatabase {
            engine: "sqlite",
            url: portico_platform::sqlite_url(dir.path()),
            schema: None,
            _dir: Some(dir),
        }
    }

    /// A new schema in the test PostgreSQL.
    ///
    /// # Panics
    /// When PostgreSQL cannot be reached: the data layer is tested on it for real.
    pub async fn postgres() -> TestDatabase {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let schema = format!("t_{}_{n}_{nanos}", std::process::id());
        let base = postgres_base();
        let admin = portico_platform::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {base} must be running for the tests: {e}"));
        sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create a test schema");
        admin.close().await.ok();
        let sep = if base.contains('?') { '&' } else { '?' };
        TestDatabase {
            engine: "postgres",
            url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
            schema: Some(schema),
            _dir: None,
        }
    }

    /// A database another test database already set up (not cleaned up by this one).
    pub fn existing(url: &str) -> TestDatabase {
        TestDatabase {
            engine: if url.starts_with("postgres") {
                "postgres"
            } else {
                "sqlite"
            },
            url: url.to_owned(),
            schema: None,
            _dir: None,
        }
    }

    /// Both engines, SQLite first.
    pub async fn both() -> Vec<TestDatabase> {
        vec![TestDatabase::sqlite(), TestDatabase::postgres().await]
    }

    /// Connects and migrates.
    pub async fn connect(&self) -> sea_orm::DatabaseConnection {
        let db = portico_platform::connect(&self.url).await.expect("connect");
        portico_platform::migrate(&db).await.expect("migrate");
        db
    }

    /// Drops the PostgreSQL schema (a SQLite folder goes by itself).
    pub async fn cleanup(self) {
        if let Some(schema) = &self.schema
            && let Ok(admin) = portico_platform::connect(&postgres_base()).await
        {
            let _ = sea_orm::ConnectionTrait::execute_unprepared(
                &admin,
                &format!("DROP SCHEMA {schema} CASCADE"),
            )
            .await;
        }
    }
}
