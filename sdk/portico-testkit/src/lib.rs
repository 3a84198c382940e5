//! Test a Portico module with ordinary `cargo test`.
//!
//! The test kit builds the module crate for `wasm32-wasip2`, loads the
//! component into the same runtime a portal uses, over the same platform
//! services (records, audit chain, events, notifications, files) in a
//! SQLite database of its own, and calls it as the portal would: pages,
//! forms, API requests, jobs and events, for anonymous visitors, citizens
//! or staff holding roles. No web server runs; the host's checks still
//! hold (a route's access, the capabilities and collections the manifest
//! declares, the call's deadline and memory).
//!
//! ```no_run
//! use portico_testkit::TestHost;
//!
//! #[tokio::test]
//! async fn the_front_page_greets() {
//!     let host = TestHost::builder()
//!         .setting("greeting", "Hello")
//!         .build(env!("CARGO_MANIFEST_DIR"))
//!         .await
//!         .unwrap();
//!     let view = host.anonymous().page("/").await.unwrap();
//!     assert_eq!(view.title, "Hello");
//! }
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use portico_host::notify::{EmailSender, Senders, SmsGateway};
use portico_host::services::{PlatformServices, schema};
use portico_host::workers::{self, Background, WorkerConfig};
use portico_platform::files::FileStore;
use portico_platform::modules::{self, Change};
use portico_platform::organizations::{self, Kind, NewOrganization};
use portico_platform::records::{Query, Scope};
use portico_platform::{Platform, messages, notifications};
use portico_runtime::api::{Assurance, CallContext, Method, Principal, RouteMatch};
use portico_runtime::manifest::{Access, MANIFEST_FILE, Manifest, RouteKind};
use portico_runtime::{
    CallError, EngineConfig, LoadedModule, ModuleEngine, ModuleOptions, ModuleRegistry, load_module,
};

pub use portico_platform::audit::Entry as AuditEntry;
pub use portico_platform::notifications::Notification;
pub use portico_runtime::CallErrorKind;
pub use portico_runtime::api::{self, Block, FieldError, ModuleError, Outcome, Response, View};

/// The organization a [`TestHost`] calls unless told otherwise.
pub const TEST_ORG: &str = "test-city";

/// Why the test kit could not set up or make a call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Building or loading the module failed.
    #[error("{0}")]
    Setup(String),
    /// No route of the manifest serves the path (the portal answers 404).
    #[error("no route of the manifest serves `{0}`")]
    NoRoute(String),
    /// The route is of the other kind: a page asked as API or the reverse.
    #[error("`{path}` is {kind} route")]
    WrongKind {
        /// The path asked for.
        path: String,
        /// `a page` or `an API`.
        kind: &'static str,
    },
    /// The caller may not use the route (the portal answers 401 or 403
    /// before the module is called).
    #[error("`{path}` is not for this caller: {why}")]
    Forbidden {
        /// The path asked for.
        path: String,
        /// What the route requires.
        why: String,
    },
    /// The module answered with an error, or faulted.
    #[error(transparent)]
    Call(#[from] CallError),
}

impl Error {
    /// The module's own error, when it answered with one.
    pub fn module_error(&self) -> Option<&ModuleError> {
        match self {
            Error::Call(CallError {
                kind: CallErrorKind::Module(e),
                ..
            }) => Some(e),
            _ => None,
        }
    }

    /// The messages at each field, when the module refused input.
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self.module_error() {
            Some(ModuleError::Invalid(fields)) => fields.clone(),
            _ => Vec::new(),
        }
    }
}

fn setup(message: impl std::fmt::Display) -> Error {
    Error::Setup(message.to_string())
}

/// Builds a [`TestHost`].
#[derive(Default)]
pub struct Builder {
    orgs: Vec<TreeOrg>,
    settings: Vec<(Option<String>, String, String)>,
    disabled_in: Vec<String>,
}

/// An organization of the test tree.
struct TreeOrg {
    id: String,
    kind: Kind,
    parent: Option<String>,
    category: Option<String>,
}

impl Builder {
    /// Adds an organization (a city, a root of the tree) with the module
    /// enabled. The first organization added is the one calls go to;
    /// without any, there is [`TEST_ORG`].
    pub fn org(self, id: &str) -> Self {
        self.root(id, Kind::City)
    }

    /// Adds a region (a root of the tree) with the module enabled.
    pub fn region(self, id: &str) -> Self {
        self.root(id, Kind::Region)
    }

    fn root(mut self, id: &str, kind: Kind) -> Self {
        self.orgs.push(TreeOrg {
            id: id.to_owned(),
            kind,
            parent: None,
            category: None,
        });
        self
    }

    /// Adds an organization below `parent` (added before it), doing
    /// `category` (`school`, `hospital`…; empty for none), with the module
    /// enabled: a tree for a module that reads `orgs` and sends messages
    /// (see [`TestHost::deliver_messages`]).
    pub fn org_below(mut self, parent: &str, id: &str, category: &str) -> Self {
        self.orgs.push(TreeOrg {
            id: id.to_owned(),
            kind: Kind::Organization,
            parent: Some(parent.to_owned()),
            category: Some(category.to_owned()).filter(|c| !c.is_empty()),
        });
        self
    }

    /// Adds an organization (a city) where the module is installed but not
    /// enabled.
    pub fn org_without_module(self, id: &str) -> Self {
        self.org(id).without_module(id)
    }

    /// Leaves the module installed but not enabled in `id`, one of the
    /// organizations added.
    pub fn without_module(mut self, id: &str) -> Self {
        self.disabled_in.push(id.to_owned());
        self
    }

    /// Sets one of the module's settings in every organization, checked
    /// against the manifest's settings schema as the console checks it.
    pub fn setting(mut self, key: &str, value: &str) -> Self {
        self.settings.push((None, key.to_owned(), value.to_owned()));
        self
    }

    /// Sets one of the module's settings in one organization.
    pub fn setting_in(mut self, org: &str, key: &str, value: &str) -> Self {
        self.settings
            .push((Some(org.to_owned()), key.to_owned(), value.to_owned()));
        self
    }

    /// Builds the module crate in `crate_dir` for `wasm32-wasip2` (pass
    /// `env!("CARGO_MANIFEST_DIR")`), then starts the host with it.
    pub async fn build(self, crate_dir: impl AsRef<Path>) -> Result<TestHost, Error> {
        let crate_dir = crate_dir.as_ref();
        let dir = tempfile::tempdir().map_err(setup)?;
        let module_dir = dir.path().join("module");
        build_module(crate_dir, &module_dir)?;
        self.start(dir, &module_dir).await
    }

    /// Starts the host with a module folder built already (its
    /// `module.toml`, component and manuals).
    pub async fn build_from(self, module_dir: impl AsRef<Path>) -> Result<TestHost, Error> {
        let dir = tempfile::tempdir().map_err(setup)?;
        self.start(dir, module_dir.as_ref()).await
    }

    async fn start(self, dir: tempfile::TempDir, module_dir: &Path) -> Result<TestHost, Error> {
        let db = portico_platform::connect(&portico_platform::sqlite_url(dir.path()))
            .await
            .map_err(setup)?;
        portico_platform::migrate(&db).await.map_err(setup)?;
        let mut tree = self.orgs;
        if tree.is_empty() {
            tree.push(TreeOrg {
                id: TEST_ORG.to_owned(),
                kind: Kind::City,
                parent: None,
                category: None,
            });
        }
        for org in &tree {
            let name = match org.kind {
                Kind::Region => format!("Region {}", org.id),
                Kind::City => format!("City {}", org.id),
                _ => format!("Organization {}", org.id),
            };
            organizations::create(
                &db,
                "testkit",
                NewOrganization {
                    id: org.id.clone(),
                    name,
                    ico: None,
                    kind: org.kind,
                    parent_id: org.parent.clone(),
                    category: org.category.clone(),
                    address: None,
                },
            )
            .await
            .map_err(setup)?;
        }
        let orgs: Vec<String> = tree.into_iter().map(|o| o.id).collect();
        let platform = Platform::new(db.clone(), FileStore::in_data_dir(dir.path()));
        // E-mail and text messages are accepted and stay queued: no sender
        // runs here, so these addresses are never contacted.
        let senders = Senders {
            email: Some(
                EmailSender::new("smtp://127.0.0.1:9", "Portico test kit <testkit@localhost>")
                    .map_err(setup)?,
            ),
            sms: Some(SmsGateway::new("http://127.0.0.1:9/sms", None).map_err(setup)?),
        };
        let services = PlatformServices::new(platform, senders);
        let engine = ModuleEngine::new(&EngineConfig {
            cache_dir: Some(code_cache().unwrap_or_else(|| dir.path().join("cache"))),
            ..EngineConfig::default()
        })
        .map_err(setup)?;
        let options = ModuleOptions {
            services: services.clone(),
            ..ModuleOptions::default()
        };
        let module = load_module(&engine, module_dir, &options)
            .await
            .map_err(setup)?;
        let manifest = module.manifest().clone();
        modules::install(&db, &manifest.id, &manifest.version.to_string())
            .await
            .map_err(setup)?;
        for org in &orgs {
            let mut set = std::collections::BTreeMap::new();
            for (only, key, value) in &self.settings {
                if only.as_ref().is_none_or(|o| o == org) {
                    let spec = manifest.settings.get(key).ok_or_else(|| {
                        setup(format!("the manifest declares no setting `{key}`"))
                    })?;
                    spec.check(key, value)
                        .map_err(|e| setup(format!("setting `{key}`: {e}")))?;
                    set.insert(key.clone(), value.clone());
                }
            }
            let change = Change {
                enabled: Some(!self.disabled_in.contains(org)),
                set,
                ..Change::default()
            };
            services
                .change(org, &manifest.id, &change, "testkit")
                .await
                .map_err(setup)?;
        }
        let module = Arc::new(module);
        let mut registry = portico_runtime::ModuleRegistry::default();
        registry.insert_shared(module.clone());
        services.subscribe(&registry);
        Ok(TestHost {
            module,
            registry: Arc::new(registry),
            services,
            org: orgs[0].clone(),
            _engine: engine,
            _dir: dir,
        })
    }
}

/// Where compiled components are kept between test runs, so that a
/// module is compiled once per change and not once per test (a Python or
/// JavaScript one takes seconds): the user's own cache folder
/// (`$XDG_CACHE_HOME/portico/modules`, else `~/.cache/portico/modules`),
/// never a folder other users can write to.
fn code_cache() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("portico/modules"))
}

/// Shows the module's log lines (and the host's) in the output of the
/// test that fails, at `info` and up (`RUST_LOG` chooses otherwise). Call
/// it at the start of a test; it does nothing when the test process logs
/// elsewhere already.
pub fn show_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,wasmtime=warn,cranelift=warn")
            }),
        )
        .with_test_writer()
        .try_init();
}

/// Builds the crate in `crate_dir` for `wasm32-wasip2` (release) and lays
/// it out as a module folder in `out`: `module.toml`, the component the
/// manifest names, and the manuals.
pub fn build_module(crate_dir: &Path, out: &Path) -> Result<(), Error> {
    let manifest_path = crate_dir.join(MANIFEST_FILE);
    let manifest = Manifest::from_file(&manifest_path).map_err(setup)?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir.join("target"))
        .join("wasm");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .status()
        .map_err(|e| setup(format!("cannot run cargo: {e}")))?;
    if !status.success() {
        return Err(setup(format!(
            "building {} for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`)",
            crate_dir.display()
        )));
    }
    let component = target_dir
        .join("wasm32-wasip2/release")
        .join(&manifest.component);
    std::fs::create_dir_all(out).map_err(setup)?;
    std::fs::copy(&component, out.join(&manifest.component)).map_err(|e| {
        setup(format!(
            "the build made no {} (does `component` in {MANIFEST_FILE} name the crate's `.wasm`?): {e}",
            component.display()
        ))
    })?;
    std::fs::copy(&manifest_path, out.join(MANIFEST_FILE)).map_err(setup)?;
    for entry in std::fs::read_dir(crate_dir).map_err(setup)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("manual") && name.ends_with(".md") {
            std::fs::copy(entry.path(), out.join(&name)).map_err(setup)?;
        }
    }
    Ok(())
}

/// One module in a Portico runtime over its own SQLite database.
pub struct TestHost {
    module: Arc<LoadedModule>,
    registry: Arc<ModuleRegistry>,
    services: Arc<PlatformServices>,
    org: String,
    _engine: ModuleEngine,
    _dir: tempfile::TempDir,
}

/// Who calls, and in which organization.
#[derive(Clone)]
pub struct Caller<'a> {
    host: &'a TestHost,
    org: String,
    principal: Option<Principal>,
    staff: bool,
    locale: String,
}

impl TestHost {
    /// A builder: organizations and settings.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The organization calls go to unless told otherwise: the first given
    /// to the builder, or [`TEST_ORG`].
    pub fn default_org(&self) -> &str {
        &self.org
    }

    /// The loaded module (its manifest, its limits, the WIT version it was
    /// built against).
    pub fn module(&self) -> &LoadedModule {
        &self.module
    }

    /// Somebody who is not logged in.
    pub fn anonymous(&self) -> Caller<'_> {
        Caller {
            host: self,
            org: self.org.clone(),
            principal: None,
            staff: false,
            locale: "en".into(),
        }
    }

    /// A logged-in citizen, verified at eIDAS "substantial" (as through a
    /// national identity provider), without roles.
    pub fn citizen(&self, user_id: &str) -> Caller<'_> {
        self.person(user_id, &[], false)
    }

    /// A member of staff of the organization holding `roles`: the
    /// module's roles as the manifest names them (`clerk`), or `org-admin`.
    pub fn staff(&self, user_id: &str, roles: &[&str]) -> Caller<'_> {
        self.person(user_id, roles, true)
    }

    fn person(&self, user_id: &str, roles: &[&str], staff: bool) -> Caller<'_> {
        let id = &self.module.manifest().id;
        let roles: Vec<String> = roles
            .iter()
            .map(|r| {
                if r.contains('.') || *r == "org-admin" {
                    (*r).to_owned()
                } else {
                    format!("{id}.{r}")
                }
            })
            .collect();
        let permissions = self
            .module
            .manifest()
            .permissions_of(roles.iter().map(String::as_str));
        Caller {
            host: self,
            org: self.org.clone(),
            principal: Some(Principal {
                user_id: user_id.to_owned(),
                name: format!("User {user_id}"),
                org_id: self.org.clone(),
                roles,
                permissions,
                assurance: if staff {
                    Assurance::Registered
                } else {
                    Assurance::Substantial
                },
                claims: Vec::new(),
            }),
            staff,
            locale: "en".into(),
        }
    }

    fn ctx(&self, org: &str, principal: Option<Principal>, locale: &str) -> CallContext {
        CallContext {
            org_id: org.to_owned(),
            principal,
            request_id: "testkit".into(),
            locale: locale.to_owned(),
        }
    }

    /// Runs one of the manifest's jobs in the default organization.
    pub async fn run_job(&self, job: &str) -> Result<(), Error> {
        self.run_job_in(&self.org, job).await
    }

    /// Runs one of the manifest's jobs in `org`.
    pub async fn run_job_in(&self, org: &str, job: &str) -> Result<(), Error> {
        Ok(self.module.run_job(&self.ctx(org, None, "en"), job).await?)
    }

    /// Delivers an event of a topic the manifest subscribes to, in the
    /// default organization, as the dispatcher would.
    pub async fn deliver(&self, topic: &str, payload: &serde_json::Value) -> Result<(), Error> {
        let event = api::Event {
            id: 1,
            topic: topic.to_owned(),
            payload: payload.to_string(),
            source: "testkit".into(),
            published_at: "2026-01-01T00:00:00Z".into(),
        };
        Ok(self
            .module
            .on_event(&self.ctx(&self.org, None, "en"), event)
            .await?)
    }

    /// Delivers every message the module sent (along the tree built with
    /// [`Builder::org_below`]) to the module in the receiving organization,
    /// as the portal's courier does, and those the receivers send in turn,
    /// until none is left; returns how many were delivered. A receiver
    /// that fails is the error (its message stays undelivered).
    pub async fn deliver_messages(&self) -> Result<usize, Error> {
        let config = WorkerConfig {
            // A failed message is not tried again within this call.
            backoff: std::time::Duration::from_secs(3600),
            ..WorkerConfig::default()
        };
        let courier = Courier {
            services: self.services.clone(),
            registry: self.registry.clone(),
        };
        let db = self.services.platform().db();
        // What failed before this call is not this call's failure.
        let failing = || async {
            messages::failing(db).await.map_err(setup).map(|f| {
                f.into_iter()
                    .map(|m| ((m.id, m.attempts), m))
                    .collect::<Vec<_>>()
            })
        };
        let before: Vec<(i64, i32)> = failing().await?.into_iter().map(|(k, _)| k).collect();
        let mut delivered = 0;
        loop {
            let tried = workers::courier_once(&courier, &config)
                .await
                .map_err(setup)?;
            if tried == 0 {
                return Ok(delivered);
            }
            let now = failing().await?;
            if let Some((_, m)) = now.iter().find(|(k, _)| !before.contains(k)) {
                return Err(setup(format!(
                    "message {} `{}` from `{}` to `{}` failed: {}",
                    m.id,
                    m.kind,
                    m.from_org,
                    m.to_org,
                    m.last_error.as_deref().unwrap_or_default()
                )));
            }
            delivered += tried;
        }
    }

    /// The audit chain of `org`, oldest first.
    pub async fn audit_in(&self, org: &str) -> Vec<AuditEntry> {
        portico_platform::audit::entries(self.services.platform().db(), org)
            .await
            .unwrap_or_default()
    }

    /// The documents of one of the module's collections in the default
    /// organization, in the order they were written.
    pub async fn records(&self, collection: &str) -> Vec<serde_json::Value> {
        self.records_in(&self.org, collection).await
    }

    /// The documents of one of the module's collections in `org`.
    ///
    /// # Panics
    /// When the manifest declares no such collection.
    pub async fn records_in(&self, org: &str, collection: &str) -> Vec<serde_json::Value> {
        let manifest = self.module.manifest();
        let spec = manifest
            .collections
            .get(collection)
            .unwrap_or_else(|| panic!("the manifest declares no collection `{collection}`"));
        let schema = schema(portico_runtime::backend::CollectionRef {
            name: collection,
            spec,
        });
        let scope = Scope {
            org_id: org.to_owned(),
            module_id: manifest.id.clone(),
            actor: "testkit".into(),
        };
        let mut docs = Vec::new();
        let mut cursor = None;
        loop {
            let page = portico_platform::records::query(
                self.services.platform().db(),
                &scope,
                &schema,
                &Query {
                    limit: portico_platform::records::MAX_PAGE,
                    cursor,
                    ..Query::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("reading `{collection}`: {e}"));
            for r in &page.records {
                docs.push(
                    r.data()
                        .unwrap_or_else(|e| panic!("reading `{collection}`: {e}")),
                );
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return docs,
            }
        }
    }

    /// The default organization's audit chain, oldest first.
    pub async fn audit(&self) -> Vec<AuditEntry> {
        portico_platform::audit::entries(self.services.platform().db(), &self.org)
            .await
            .unwrap_or_default()
    }

    /// The e-mails, text messages and in-portal messages the module sent
    /// in the default organization, oldest first. Nothing leaves: they
    /// stay queued.
    pub async fn notifications(&self) -> Vec<Notification> {
        let mut sent = notifications::list(
            self.services.platform().db(),
            &notifications::ListFilter {
                org_id: Some(self.org.clone()),
                status: None,
                limit: 10_000,
            },
        )
        .await
        .unwrap_or_default();
        sent.reverse();
        sent
    }
}

/// The test kit's courier: the portal's, over the test host's services.
#[derive(Clone)]
struct Courier {
    services: Arc<PlatformServices>,
    registry: Arc<ModuleRegistry>,
}

impl Background for Courier {
    fn services(&self) -> &Arc<PlatformServices> {
        &self.services
    }

    fn registry(&self) -> Arc<ModuleRegistry> {
        self.registry.clone()
    }

    fn record_call(
        &self,
        _module: &str,
        _export: portico_runtime::Export,
        _result: Result<(), &CallErrorKind>,
        _took: std::time::Duration,
    ) {
    }
}

impl Caller<'_> {
    /// The same caller in another organization (staff roles are theirs
    /// there too).
    pub fn in_org(mut self, org: &str) -> Self {
        self.org = org.to_owned();
        if let Some(p) = &mut self.principal {
            p.org_id = org.to_owned();
        }
        self
    }

    /// The same caller reading in `locale` (`en`, `cs`).
    pub fn in_language(mut self, locale: &str) -> Self {
        self.locale = locale.to_owned();
        self
    }

    /// The route serving `path` (`/notices?page=2`), checked as the portal
    /// checks it before calling the module.
    fn route(&self, path: &str, kind: RouteKind) -> Result<RouteMatch, Error> {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let manifest = self.host.module.manifest();
        let (route, mut matched) = self
            .host
            .module
            .route(path)
            .ok_or_else(|| Error::NoRoute(path.to_owned()))?;
        if route.kind != kind {
            return Err(Error::WrongKind {
                path: path.to_owned(),
                kind: match route.kind {
                    RouteKind::Page => "a page",
                    RouteKind::Api => "an API",
                },
            });
        }
        let forbidden = |why: String| Error::Forbidden {
            path: path.to_owned(),
            why,
        };
        match route.access {
            Access::Public => {}
            Access::User if self.principal.is_none() => {
                return Err(forbidden("it is for logged-in users".into()));
            }
            Access::User => {}
            Access::Staff => {
                let Some(p) = self.principal.as_ref().filter(|_| self.staff) else {
                    return Err(forbidden("it is for the organization's staff".into()));
                };
                if let Some(permission) = &route.permission {
                    let needed = format!("{}.{permission}", manifest.id);
                    if !p.permissions.contains(&needed) {
                        return Err(forbidden(format!("it needs the permission `{needed}`")));
                    }
                }
            }
        }
        matched.query = form_pairs(query);
        Ok(matched)
    }

    fn ctx(&self) -> CallContext {
        self.host
            .ctx(&self.org, self.principal.clone(), &self.locale)
    }

    /// Renders the page at `path` (below the module, query included).
    pub async fn page(&self, path: &str) -> Result<View, Error> {
        let route = self.route(path, RouteKind::Page)?;
        Ok(self.host.module.render(&self.ctx(), route).await?)
    }

    /// Posts a form with `fields` to the page at `path`.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Result<Outcome, Error> {
        self.submit_with_files(path, fields, &[]).await
    }

    /// Posts a form with `fields` and files — (field, file name, media
    /// type, content) — to the page at `path`.
    pub async fn submit_with_files(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> Result<Outcome, Error> {
        let route = self.route(path, RouteKind::Page)?;
        let form = api::FormPost {
            route,
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            files: files
                .iter()
                .map(|(field, filename, media_type, content)| api::UploadedFile {
                    field: (*field).to_owned(),
                    filename: (*filename).to_owned(),
                    media_type: (*media_type).to_owned(),
                    content: content.to_vec(),
                })
                .collect(),
        };
        Ok(self.host.module.submit(&self.ctx(), form).await?)
    }

    /// Sends an API request: `method` to `path` with a JSON `body`.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, Error> {
        let route = self.route(path, RouteKind::Api)?;
        let (headers, body) = match body {
            Some(b) => (
                vec![("content-type".to_owned(), "application/json".to_owned())],
                b.to_string().into_bytes(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let request = api::Request {
            method,
            route,
            headers,
            body,
        };
        Ok(self.host.module.handle(&self.ctx(), request).await?)
    }

    /// `GET path` on one of the module's API routes.
    pub async fn get(&self, path: &str) -> Result<Response, Error> {
        self.request(Method::Get, path, None).await
    }

    /// `POST path` with a JSON body on one of the module's API routes.
    pub async fn post(&self, path: &str, body: &serde_json::Value) -> Result<Response, Error> {
        self.request(Method::Post, path, Some(body)).await
    }
}

/// `a=1&b=x%20y` as decoded pairs.
fn form_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query).unwrap_or_default()
}
