//! The command line: the `portico` commands and their arguments, the data
//! folder and database every command works on, and what the commands share
//! (the module engine, the platform over the database, the modules loaded).

pub(crate) mod addresses;
pub(crate) mod connections;
pub(crate) mod dev;
pub(crate) mod ops;
pub(crate) mod org;
pub(crate) mod packages;
pub(crate) mod people;
pub(crate) mod plugin;
pub(crate) mod serve;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use portico_host::notify::Senders;
use portico_host::services::PlatformServices;
use portico_platform::Platform;
use portico_platform::files::FileStore;
use portico_platform::modules;
use portico_runtime::manifest::{MANIFEST_FILE, Manifest};
use portico_runtime::{CallLimits, EngineConfig, ModuleEngine, ModuleOptions, ModuleRegistry};

use ops::{
    AuditCommand, EventsCommand, FilesCommand, JobsCommand, MessagesCommand, NotificationsCommand,
    RecordsCommand,
};
use org::OrgCommand;
use plugin::PluginCommand;
use serve::ServeArgs;

#[derive(Parser)]
#[command(
    name = "portico",
    version,
    about = "Portico: a modular portal for regions and cities"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run the portal.
    Serve(Box<ServeArgs>),
    /// Show and manage the installed modules.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Bring the database's tables up to date (serve does this at start too).
    Migrate(DataArgs),
    /// Manage the organization tree.
    #[command(subcommand)]
    Org(OrgCommand),
    /// The address register: import RÚIAN address points, look addresses up.
    #[command(subcommand)]
    Addresses(addresses::AddressesCommand),
    /// Connections to systems outside the portal: set them up, see their
    /// health and what went through them, send dead deliveries again.
    #[command(subcommand)]
    Connections(connections::ConnectionsCommand),
    /// Check and export the audit chains.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// See and re-drive event deliveries.
    #[command(subcommand)]
    Events(EventsCommand),
    /// See and re-drive the messages modules send between organizations.
    #[command(subcommand)]
    Messages(MessagesCommand),
    /// See the runs of scheduled jobs.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Bring documents into a module's collection.
    #[command(subcommand)]
    Records(RecordsCommand),
    /// See the notification outbox and send failed messages again.
    #[command(subcommand)]
    Notifications(NotificationsCommand),
    /// Check stored files.
    #[command(subcommand)]
    Files(FilesCommand),
    /// Manage accounts.
    #[command(subcommand)]
    User(people::UserCommand),
    /// Grant and revoke roles in organizations.
    #[command(subcommand)]
    Role(people::RoleCommand),
    /// Groups provisioned by the IDM, and the roles they give.
    #[command(subcommand)]
    Group(people::GroupCommand),
    /// Create and revoke API tokens for machine clients.
    #[command(subcommand)]
    Token(people::TokenCommand),
    /// The vendors' keys this portal trusts to sign module packages.
    #[command(subcommand)]
    Trust(packages::TrustCommand),
    /// A vendor's signing key for module packages.
    #[command(subcommand)]
    Vendor(packages::VendorCommand),
    /// For module vendors: run a module in a throw-away portal.
    #[command(subcommand)]
    Dev(dev::DevCommand),
}

#[derive(Args, Clone)]
pub(crate) struct OrgTarget {
    /// The organization.
    #[arg(long)]
    org: String,
    /// Also every organization below it.
    #[arg(long)]
    children: bool,
}

#[derive(Args, Clone)]
pub(crate) struct DataArgs {
    /// The data folder: modules, settings, state and the compiled-code cache.
    #[arg(long, env = "PORTICO_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// The modules folder (default: <data-dir>/modules).
    #[arg(long, env = "PORTICO_MODULES_DIR")]
    modules_dir: Option<PathBuf>,
    /// The database: `postgres://…` in production (default: SQLite in the data folder).
    #[arg(long, env = "PORTICO_DATABASE_URL")]
    database_url: Option<String>,
}

impl DataArgs {
    fn modules_dir(&self) -> PathBuf {
        self.modules_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("modules"))
    }
    fn state_dir(&self) -> PathBuf {
        self.data_dir.join("state")
    }
    fn files(&self) -> FileStore {
        FileStore::in_data_dir(&self.data_dir)
    }

    /// Connects to the database and brings its tables up to date.
    pub(crate) async fn database(&self) -> anyhow::Result<sea_orm::DatabaseConnection> {
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => {
                std::fs::create_dir_all(&self.data_dir)
                    .with_context(|| format!("cannot create {}", self.data_dir.display()))?;
                portico_platform::sqlite_url(&self.data_dir)
            }
        };
        let db = portico_platform::connect(&url)
            .await
            .context("cannot connect to the database")?;
        portico_platform::migrate(&db)
            .await
            .context("cannot bring the database up to date")?;
        Ok(db)
    }
}

fn engine(data: &DataArgs, memory_mib: usize) -> anyhow::Result<ModuleEngine> {
    let config = EngineConfig {
        cache_dir: Some(data.data_dir.join("cache")),
        max_memory_bytes: EngineConfig::default()
            .max_memory_bytes
            .max(memory_mib << 20),
        ..EngineConfig::default()
    };
    Ok(ModuleEngine::new(&config)?)
}

fn manifests(modules_dir: &Path) -> Vec<Manifest> {
    let Ok(entries) = std::fs::read_dir(modules_dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| Manifest::from_file(&e.path().join(MANIFEST_FILE)).ok())
        .collect()
}

/// The platform over the database, its modules recorded as installed.
async fn platform(
    data: &DataArgs,
    senders: Senders,
) -> anyhow::Result<(Arc<PlatformServices>, Vec<Manifest>)> {
    let db = data.database().await?;
    portico_host::lifecycle::recover_interrupted_upgrades(&db, &data.modules_dir(), &data.data_dir)
        .await?;
    let manifests = manifests(&data.modules_dir());
    for m in &manifests {
        modules::install(&db, &m.id, &m.version.to_string()).await?;
    }
    Ok((
        PlatformServices::new(Platform::new(db, data.files()), senders),
        manifests,
    ))
}

async fn load(
    data: &DataArgs,
    services: Arc<PlatformServices>,
    limits: CallLimits,
    breaker_threshold: u32,
) -> anyhow::Result<(
    ModuleEngine,
    ModuleOptions,
    ModuleRegistry,
    Vec<portico_runtime::LoadError>,
)> {
    let modules_dir = data.modules_dir();
    let state_dir = data.state_dir();
    std::fs::create_dir_all(&state_dir)
        .with_context(|| format!("cannot create {}", state_dir.display()))?;
    let engine = engine(data, limits.memory_bytes >> 20)?;
    let options = ModuleOptions {
        limits,
        breaker_threshold,
        state_dir: Some(state_dir),
        services,
        ..ModuleOptions::default()
    };
    let (registry, refused) = ModuleRegistry::load_dir(&engine, &modules_dir, &options).await;
    Ok((engine, options, registry, refused))
}

/// Who runs a command, for the audit chain.
fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}
