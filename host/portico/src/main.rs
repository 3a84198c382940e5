//! `portico`: the portal host. `portico serve` runs the portal; the other
//! commands manage organizations, modules per organization, the outbox,
//! notifications, files, jobs and the audit chains.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

mod packages;
mod people;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use portico_platform::files::FileStore;
use portico_platform::modules::{self, Change};
use portico_platform::{Platform, organizations};
use portico_runtime::breaker::{self, BreakerState};
use portico_runtime::manifest::{MANIFEST_FILE, Manifest};
use portico_runtime::{CallLimits, EngineConfig, ModuleEngine, ModuleOptions, ModuleRegistry};
use portico_host::lifecycle::Installer;
use portico_host::notify::{EmailSender, Senders, SmsGateway};
use portico_web::workers::WorkerConfig;
use portico_host::services::PlatformServices;
use portico_web::{AppState, WebConfig};

// A multi-threaded server allocates a lot per request; glibc's allocator
// contends across threads where mimalloc does not (measured by the bench).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "portico",
    version,
    about = "Portico: a modular portal for regions and cities"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    /// Check and export the audit chains.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// See and re-drive event deliveries.
    #[command(subcommand)]
    Events(EventsCommand),
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
}

#[derive(Subcommand)]
enum NotificationsCommand {
    /// The latest messages, newest first, with their delivery status.
    List {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        /// Only this status: queued, sent, delivered or failed.
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Queue an organization's failed messages (or one) again.
    Retry {
        /// The organization.
        #[arg(long)]
        org: String,
        /// Only this message (as `notifications list` shows it).
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum FilesCommand {
    /// Read every stored file (of one organization, or all) and check its
    /// content against its SHA-256. Exits with 1 when a file is damaged.
    Verify {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum EventsCommand {
    /// List the deliveries parked after too many failures.
    Dead {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Put dead deliveries of an organization back in line.
    Redrive {
        /// The organization.
        #[arg(long)]
        org: String,
        /// Only this delivery (as `events dead` lists it).
        #[arg(long)]
        id: Option<i64>,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// The latest runs, newest first.
    List {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum RecordsCommand {
    /// Insert the JSON documents of a file (one per line) into a module's
    /// collection, each audited. Every line is checked first: one bad line
    /// and nothing is imported. Large files go in batches; an import that
    /// was stopped resumes where it stopped when run again on the same file.
    Import {
        /// The file: one JSON object per line.
        file: PathBuf,
        /// Import the file again although it was imported whole before.
        #[arg(long)]
        again: bool,
        /// The organization.
        #[arg(long)]
        org: String,
        /// The module whose collection it is.
        #[arg(long)]
        module: String,
        /// The collection.
        #[arg(long)]
        collection: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the audit chain of one organization (or of all) and name the
    /// first entry that does not match. Exits with 1 when a chain is broken.
    Verify {
        /// Only this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Write an organization's entries and chain head as JSON lines, for an outside witness.
    Export {
        /// The organization.
        #[arg(long)]
        org: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organization to the tree.
    Create {
        /// Its identifier: lower-case letters, digits and dashes, e.g. `nemocnice-znojmo`.
        id: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// Its IČO (8 digits).
        #[arg(long)]
        ico: Option<String>,
        /// region, city, organization or unit.
        #[arg(long, default_value = "organization")]
        kind: String,
        /// The organization above it (required for organizations and units).
        #[arg(long)]
        parent: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Show the organization tree.
    List(DataArgs),
}

#[derive(Subcommand)]
enum PluginCommand {
    /// List the modules, their versions, capabilities and state (in one
    /// organization with `--org`).
    List {
        /// Show whether each module is enabled in this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Enable a module for an organization (and, with `--children`, for
    /// every organization below it).
    Enable {
        /// The module's id.
        id: String,
        #[command(flatten)]
        target: OrgTarget,
        /// Settings to set, `key=value`, checked against the manifest.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Disable a module for an organization. Its data stays; enabling it
    /// again brings it back.
    Disable {
        /// The module's id.
        id: String,
        #[command(flatten)]
        target: OrgTarget,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Change a module's settings in an organization.
    Configure {
        /// The module's id.
        id: String,
        #[command(flatten)]
        target: OrgTarget,
        /// Settings to set, `key=value`, checked against the manifest.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Settings to return to their defaults.
        #[arg(long = "unset", value_name = "KEY")]
        unset: Vec<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Switch a module on again after its circuit breaker switched it off:
    /// in one organization, or (without `--org`) everywhere.
    SwitchOn {
        /// The module's id.
        id: String,
        /// Only in this organization.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Pack a built module folder (its module.toml, component and
    /// manuals), or a module crate built for wasm32-wasip2, into one
    /// package file signed with the vendor's key.
    Pack {
        /// The built module folder (e.g. target/modules/notice-board) or the
        /// module crate.
        dir: PathBuf,
        /// The vendor's secret key (from `portico vendor keygen`).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Make an unsigned package, which only a host in development mode installs.
        #[arg(long)]
        unsigned: bool,
        /// The package file (default: `<id>-<version>.portico`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a package: signed by a trusted vendor, every file as signed.
    Verify {
        /// The package file.
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Install a package after checking it; the module is then listed and
    /// can be enabled for organizations. A newer version of an installed
    /// module replaces it: its `migrate` brings every organization's
    /// records over first, and if that fails nothing changes.
    Install {
        /// The package file.
        file: PathBuf,
        /// Development mode: accept an unsigned package.
        #[arg(long)]
        dev: bool,
        /// Approve that this package's signer replaces the vendor that
        /// installed the module (recorded in the platform's audit trail).
        #[arg(long)]
        approve_vendor_change: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Return a module to the version before its last upgrade, and its
    /// records to what they were then.
    Rollback {
        /// The module's id.
        id: String,
        /// Roll back even though records were written since the upgrade
        /// (they are discarded).
        #[arg(long)]
        discard_changes: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Args, Clone)]
struct OrgTarget {
    /// The organization.
    #[arg(long)]
    org: String,
    /// Also every organization below it.
    #[arg(long)]
    children: bool,
}

#[derive(Args, Clone)]
struct DataArgs {
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
    async fn database(&self) -> anyhow::Result<sea_orm::DatabaseConnection> {
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

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address to listen on.
    #[arg(long, env = "PORTICO_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The portal's name.
    #[arg(long, env = "PORTICO_NAME", default_value = "Portico")]
    name: String,
    /// Time one module call may take, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    call_deadline_ms: u64,
    /// Development mode: the console installs unsigned packages too.
    #[arg(long)]
    dev: bool,
    /// Memory one module call may use, in MiB.
    #[arg(long, default_value_t = 64)]
    call_memory_mib: usize,
    /// Faults in a row after which a module is switched off.
    #[arg(long, default_value_t = 5)]
    breaker_threshold: u32,
    /// The organization whose portal `/` is (a city's citizen portal);
    /// without it `/` lists the organizations.
    #[arg(long, env = "PORTICO_DEFAULT_ORG")]
    default_org: Option<String>,
    /// Plain cookies (no `Secure`, no `__Host-` names), for a portal
    /// served over plain HTTP on another host than localhost. Never in production.
    #[arg(long, env = "PORTICO_INSECURE_COOKIES")]
    insecure_cookies: bool,
    /// A proxy in front of the portal (e.g. the TLS terminator), as an
    /// address or a range like `10.0.0.0/24`, whose `Forwarded` and
    /// `X-Forwarded-For` headers say who the client is. Repeatable.
    /// Without it the client is whoever connected.
    #[arg(
        long = "trusted-proxy",
        env = "PORTICO_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_proxy
    )]
    trusted_proxies: Vec<ipnet::IpNet>,
    #[command(flatten)]
    senders: SenderArgs,
    #[command(flatten)]
    identity: IdentityArgs,
}

/// A trusted proxy: one address, or a range in CIDR notation.
fn parse_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("`{s}` is neither an address nor a range like 10.0.0.0/24"))
}

/// Where people log in besides local accounts.
#[derive(Args)]
struct IdentityArgs {
    /// The portal's address as browsers reach it, e.g. `https://portal.brno.cz`.
    #[arg(long, env = "PORTICO_PUBLIC_URL")]
    public_url: Option<String>,
    /// The issuer URL of the staff identity management system (OpenID Connect).
    #[arg(long, env = "PORTICO_OIDC_STAFF_ISSUER")]
    oidc_staff_issuer: Option<String>,
    /// Portico's client id at the staff identity provider.
    #[arg(long, env = "PORTICO_OIDC_STAFF_CLIENT_ID", default_value = "portico")]
    oidc_staff_client_id: String,
    /// Portico's client secret at the staff identity provider.
    #[arg(long, env = "PORTICO_OIDC_STAFF_CLIENT_SECRET", hide_env_values = true)]
    oidc_staff_client_secret: Option<String>,
    /// The issuer URL of the national eID (citizens' log-in, OpenID Connect).
    #[arg(long, env = "PORTICO_OIDC_EID_ISSUER")]
    oidc_eid_issuer: Option<String>,
    /// Portico's client id at the national eID.
    #[arg(long, env = "PORTICO_OIDC_EID_CLIENT_ID", default_value = "portico")]
    oidc_eid_client_id: String,
    /// Portico's client secret at the national eID.
    #[arg(long, env = "PORTICO_OIDC_EID_CLIENT_SECRET", hide_env_values = true)]
    oidc_eid_client_secret: Option<String>,
    /// An `acr` value the identity providers assert and the level it
    /// stands for, as `LEVEL=VALUE` (LEVEL: low, substantial, high), matched
    /// exactly. Repeatable; replaces the default, the eIDAS levels
    /// `http://eidas.europa.eu/LoA/low|substantial|high`. A log-in with no
    /// `acr` or an unlisted one is at the lowest level.
    #[arg(long = "oidc-acr", env = "PORTICO_OIDC_ACR", value_delimiter = ',')]
    oidc_acr: Vec<String>,
    /// An outside system Portico issues tokens for (OAuth 2.0 token
    /// exchange, `/auth/token`): `AUDIENCE` or `AUDIENCE=LOGIN_URL`, where
    /// `/auth/sso?audience=AUDIENCE` sends logged-in users with `?jwt=…`.
    /// Repeatable; needs `--public-url` (the tokens' issuer).
    #[arg(
        long = "token-audience",
        env = "PORTICO_TOKEN_AUDIENCES",
        value_delimiter = ','
    )]
    token_audiences: Vec<portico_web::exchange::TokenAudience>,
    /// How long an issued token lives, in seconds (at most an hour).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=3600))]
    token_lifetime_secs: u64,
}

impl IdentityArgs {
    fn audiences(&self) -> anyhow::Result<Vec<portico_web::exchange::TokenAudience>> {
        anyhow::ensure!(
            self.token_audiences.is_empty() || self.public_url.is_some(),
            "issuing tokens for outside systems needs `--public-url`, the tokens' issuer"
        );
        Ok(self.token_audiences.clone())
    }

    /// `--oidc-acr LEVEL=VALUE` pairs, or the eIDAS levels.
    fn acr_levels(&self) -> anyhow::Result<Vec<(String, portico_platform::users::Assurance)>> {
        use portico_platform::users::Assurance;
        if self.oidc_acr.is_empty() {
            return Ok(portico_web::oidc::OidcProvider::eidas_levels());
        }
        self.oidc_acr
            .iter()
            .map(|pair| {
                let (level, value) = pair
                    .split_once('=')
                    .filter(|(_, v)| !v.is_empty())
                    .with_context(|| format!("`--oidc-acr {pair}`: write LEVEL=VALUE"))?;
                let level = match level {
                    "low" => Assurance::Registered,
                    "substantial" => Assurance::Substantial,
                    "high" => Assurance::High,
                    other => anyhow::bail!(
                        "`--oidc-acr {pair}`: `{other}` is not a level (low, substantial or high)"
                    ),
                };
                Ok((value.to_owned(), level))
            })
            .collect()
    }

    fn providers(&self) -> anyhow::Result<Vec<portico_web::oidc::OidcProvider>> {
        use portico_platform::users::UserKind;
        let mut out = Vec::new();
        let configured = [
            (
                "staff",
                "Staff log-in",
                &self.oidc_staff_issuer,
                &self.oidc_staff_client_id,
                &self.oidc_staff_client_secret,
                UserKind::Staff,
            ),
            (
                "eid",
                "Citizen log-in (national eID)",
                &self.oidc_eid_issuer,
                &self.oidc_eid_client_id,
                &self.oidc_eid_client_secret,
                UserKind::Citizen,
            ),
        ];
        for (id, label, issuer, client_id, secret, users) in configured {
            if let Some(issuer) = issuer {
                anyhow::ensure!(
                    self.public_url.is_some(),
                    "an identity provider needs `--public-url`, the address it sends people back to"
                );
                out.push(portico_web::oidc::OidcProvider {
                    id: id.into(),
                    label: label.into(),
                    issuer: issuer.clone(),
                    client_id: client_id.clone(),
                    client_secret: secret.clone(),
                    users,
                    acr_levels: self.acr_levels()?,
                });
            }
        }
        Ok(out)
    }
}

/// How notifications leave the portal.
#[derive(Args)]
struct SenderArgs {
    /// The SMTP server for e-mail: `smtp://host:port` (a relay without
    /// TLS), `smtps://user:password@host` or `smtp://…?tls=required`.
    /// Without one, modules cannot send e-mail.
    #[arg(long, env = "PORTICO_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of e-mail, e.g. `Portál města <portal@mesto.cz>`.
    #[arg(
        long,
        env = "PORTICO_MAIL_FROM",
        default_value = "Portico <portico@localhost>"
    )]
    mail_from: String,
    /// The HTTP SMS gateway that takes `POST {"to","text","reference"}`.
    /// Without one, modules cannot send text messages.
    #[arg(long, env = "PORTICO_SMS_GATEWAY_URL")]
    sms_gateway_url: Option<String>,
    /// The gateway's bearer token.
    #[arg(long, env = "PORTICO_SMS_GATEWAY_TOKEN", hide_env_values = true)]
    sms_gateway_token: Option<String>,
}

impl SenderArgs {
    fn senders(&self) -> anyhow::Result<Senders> {
        let email = match &self.smtp_url {
            Some(url) => Some(EmailSender::new(url, &self.mail_from).map_err(anyhow::Error::msg)?),
            None => None,
        };
        let sms = match &self.sms_gateway_url {
            Some(url) => Some(
                SmsGateway::new(url, self.sms_gateway_token.clone()).map_err(anyhow::Error::msg)?,
            ),
            None => None,
        };
        if let Some(e) = &email {
            tracing::info!(
                server = e.server(),
                "e-mail goes out through this SMTP server"
            );
        }
        Ok(Senders { email, sms })
    }
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // What went wrong and where, in one line, without a backtrace.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    // Logs go to stderr; stdout carries only what a command prints for people and scripts.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                "info,wasmtime=warn,cranelift=warn,sea_orm_migration=warn".into()
            }),
        )
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match cli.command {
        Command::Serve(args) => rt.block_on(serve(*args)),
        Command::Plugin(PluginCommand::SwitchOn { id, org, data }) => {
            switch_on(&id, org.as_deref(), &data)
        }
        Command::Trust(command) => packages::trust(command),
        Command::Vendor(command) => packages::vendor(command),
        Command::Plugin(command) => rt.block_on(plugin(command)),
        Command::Events(command) => rt.block_on(events(command)),
        Command::Jobs(command) => rt.block_on(jobs(command)),
        Command::Records(command) => rt.block_on(records(command)),
        Command::Notifications(command) => rt.block_on(notifications(command)),
        Command::Files(command) => rt.block_on(files(command)),
        Command::User(command) => rt.block_on(people::user(command)),
        Command::Role(command) => rt.block_on(people::role(command)),
        Command::Group(command) => rt.block_on(people::group(command)),
        Command::Token(command) => rt.block_on(people::token(command)),
        Command::Migrate(data) => rt.block_on(async {
            data.database().await?;
            println!("The database is up to date.");
            Ok(())
        }),
        Command::Org(command) => rt.block_on(org(command)),
        Command::Audit(command) => rt.block_on(audit(command)),
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

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let limits = CallLimits {
        deadline: Duration::from_millis(args.call_deadline_ms),
        memory_bytes: args.call_memory_mib << 20,
    };
    let (services, _) = platform(&args.data, args.senders.senders()?).await?;
    services.follow_changes();
    if let Some(org) = &args.default_org
        && organizations::get(services.platform().db(), org)
            .await?
            .is_none()
    {
        anyhow::bail!("`--default-org {org}`: there is no such organization");
    }
    let (engine, options, registry, refused) =
        load(&args.data, services.clone(), limits, args.breaker_threshold).await?;
    tracing::info!(
        allocator = ?engine.allocator(),
        modules = registry.len(),
        refused = refused.len(),
        "modules loaded from {}",
        args.data.modules_dir().display()
    );
    let state = AppState::new(
        registry,
        services,
        WebConfig {
            portal_name: args.name,
            default_org: args.default_org,
            secure_cookies: !args.insecure_cookies,
            public_url: args.identity.public_url.clone(),
            identity_providers: args.identity.providers()?,
            token_audiences: args.identity.audiences()?,
            token_lifetime: std::time::Duration::from_secs(args.identity.token_lifetime_secs),
            trusted_proxies: args.trusted_proxies,
        },
    )
    .with_installer(Installer::new(
        Arc::new(engine),
        options,
        args.data.modules_dir(),
        args.data.data_dir.clone(),
        args.dev,
    ));
    state.follow_installations(INSTALLATIONS_POLL);
    portico_web::workers::spawn(&state, WorkerConfig::for_deadline(limits.deadline));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // Printed for people and for scripts that wait for the portal.
    println!("Portico is serving on http://{addr}/");
    axum::serve(
        listener,
        portico_web::app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
    .await
    .context("the server failed")?;
    Ok(())
}

async fn plugin(command: PluginCommand) -> anyhow::Result<()> {
    match command {
        PluginCommand::List { org, data } => list(data, org).await,
        PluginCommand::Enable {
            id,
            target,
            set,
            data,
        } => {
            let change = Change {
                enabled: Some(true),
                ..Change::default()
            };
            apply(&data, &id, &target, change, &set, &[]).await
        }
        PluginCommand::Disable { id, target, data } => {
            let change = Change {
                enabled: Some(false),
                ..Change::default()
            };
            apply(&data, &id, &target, change, &[], &[]).await
        }
        PluginCommand::Configure {
            id,
            target,
            set,
            unset,
            data,
        } => apply(&data, &id, &target, Change::default(), &set, &unset).await,
        PluginCommand::SwitchOn { id, org, data } => switch_on(&id, org.as_deref(), &data),
        PluginCommand::Install {
            file,
            dev,
            approve_vendor_change,
            data,
        } => packages::install(&file, &data, dev, approve_vendor_change).await,
        PluginCommand::Rollback {
            id,
            discard_changes,
            data,
        } => packages::rollback(&id, discard_changes, &data).await,
        PluginCommand::Pack {
            dir,
            key,
            unsigned,
            out,
        } => packages::pack(&dir, key.as_deref(), unsigned, out),
        PluginCommand::Verify { file, data } => packages::verify(&file, &data),
    }
}

/// Applies an enable/disable/configure, with settings checked against the manifest.
async fn apply(
    data: &DataArgs,
    id: &str,
    target: &OrgTarget,
    mut change: Change,
    set: &[String],
    unset: &[String],
) -> anyhow::Result<()> {
    let (services, manifests) = platform(data, Senders::default()).await?;
    let manifest = manifests.iter().find(|m| m.id == id).with_context(|| {
        format!(
            "the module `{id}` is not installed in {}",
            data.modules_dir().display()
        )
    })?;
    for pair in set {
        let (key, value) = pair
            .split_once('=')
            .with_context(|| format!("`--set {pair}` must be KEY=VALUE"))?;
        let spec = manifest.settings.get(key).with_context(|| {
            format!("`--set {pair}`: the module `{id}` declares no setting `{key}`")
        })?;
        spec.check(key, value)
            .map_err(|e| anyhow::anyhow!("`--set {pair}`: {e}"))?;
        change.set.insert(key.to_owned(), value.to_owned());
    }
    for key in unset {
        if !manifest.settings.contains_key(key) {
            anyhow::bail!("`--unset {key}`: the module `{id}` declares no setting `{key}`");
        }
        change.unset.push(key.clone());
    }
    change.include_children = target.children;
    let states = services
        .change(&target.org, id, &change, &cli_actor())
        .await?;
    for e in states {
        let keys: Vec<&str> = e.settings.keys().map(String::as_str).collect();
        println!(
            "{id} in {}: {}{}",
            e.org_id,
            if e.enabled { "enabled" } else { "disabled" },
            if keys.is_empty() {
                String::new()
            } else {
                format!(" (settings: {})", keys.join(", "))
            }
        );
    }
    Ok(())
}

async fn list(data: DataArgs, org: Option<String>) -> anyhow::Result<()> {
    let (services, _) = platform(&data, Senders::default()).await?;
    let (_engine, _, registry, refused) =
        load(&data, services.clone(), CallLimits::default(), 5).await?;
    let db = services.platform().db();
    let enabled = match &org {
        Some(org) => {
            if organizations::get(db, org).await?.is_none() {
                anyhow::bail!("`--org {org}`: there is no such organization");
            }
            Some(modules::enabled_modules(db, org).await?)
        }
        None => None,
    };
    // Who signed each module, as verified at its install: the manifest's
    // `vendor` is the package's own claim.
    let signers: std::collections::BTreeMap<String, Option<modules::Signer>> =
        modules::installations(db)
            .await?
            .into_iter()
            .map(|i| (i.module_id, i.signer))
            .collect();
    println!(
        "{:<20} {:<10} {:<6} {:<34} {:<28} {:<36} STATE",
        "ID", "VERSION", "API", "NAME", "CAPABILITIES", "SIGNED BY"
    );
    for m in registry.iter() {
        let manifest = m.manifest();
        let caps: Vec<&str> = manifest.capabilities.iter().map(|c| c.name()).collect();
        let mut state = match m.breaker_state() {
            BreakerState::Closed { .. } => "serving".to_owned(),
            BreakerState::Open(off) => format!(
                "switched off since {} after {} faults in a row: {}",
                humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(off.at_unix)),
                off.faults_in_a_row,
                off.reason
            ),
        };
        if matches!(m.breaker_state(), BreakerState::Closed { .. }) {
            for (org, off) in m.switched_off_in() {
                state.push_str(&format!(
                    ", switched off in {org} since {} after {} faults in a row: {}",
                    humantime::format_rfc3339_seconds(
                        UNIX_EPOCH + Duration::from_secs(off.at_unix)
                    ),
                    off.faults_in_a_row,
                    off.reason
                ));
            }
        }
        match &enabled {
            Some(list) if list.iter().any(|e| e == m.id()) => state.push_str(", enabled here"),
            Some(_) => state.push_str(", not enabled here"),
            None => {
                let n = modules::enablements(db, None, Some(m.id()))
                    .await?
                    .iter()
                    .filter(|e| e.enabled)
                    .count();
                state.push_str(&format!(", enabled in {n} organization(s)"));
            }
        }
        let signed_by = match signers.get(m.id()) {
            Some(Some(s)) if s.key.is_some() => portico_host::lifecycle::describe(s, "en"),
            Some(Some(_)) => "unsigned".to_owned(),
            _ => "not recorded".to_owned(),
        };
        println!(
            "{:<20} {:<10} {:<6} {:<34} {:<28} {signed_by:<36} {state}",
            manifest.id,
            manifest.version.to_string(),
            m.api_version().as_str(),
            manifest.name,
            if caps.is_empty() {
                "-".to_owned()
            } else {
                caps.join(",")
            },
        );
    }
    for e in &refused {
        println!("refused: {e}");
    }
    Ok(())
}

fn switch_on(id: &str, org: Option<&str>, data: &DataArgs) -> anyhow::Result<()> {
    let was_off = breaker::switch_on(&data.state_dir(), id, org)
        .with_context(|| format!("cannot switch {id} on"))?;
    let where_ = org.map_or_else(|| "everywhere".to_owned(), |org| format!("in {org}"));
    if was_off {
        println!(
            "{id} is switched on again {where_}; a running portal serves it from its next request."
        );
    } else {
        println!("{id} was not switched off {where_}.");
    }
    Ok(())
}

async fn events(command: EventsCommand) -> anyhow::Result<()> {
    use portico_platform::events;
    match command {
        EventsCommand::Dead { org, data } => {
            let db = data.database().await?;
            let dead = events::dead_letters(&db, org.as_deref()).await?;
            if dead.is_empty() {
                println!("No dead deliveries.");
            }
            for d in dead {
                println!(
                    "{} {} event {} `{}` from {} to {}: {} attempts, last error: {}",
                    d.id,
                    d.org_id,
                    d.event_id,
                    d.topic,
                    d.source_module,
                    d.module_id,
                    d.attempts,
                    d.last_error.unwrap_or_default()
                );
            }
        }
        EventsCommand::Redrive { org, id, data } => {
            let db = data.database().await?;
            let n = events::redrive(&db, &org, id).await?;
            println!("{n} delivery(ies) of {org} put back in line.");
        }
    }
    Ok(())
}

fn time(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn notifications(command: NotificationsCommand) -> anyhow::Result<()> {
    use portico_platform::notifications::{self, ListFilter};
    match command {
        NotificationsCommand::List {
            org,
            status,
            limit,
            data,
        } => {
            let db = data.database().await?;
            let filter = ListFilter {
                org_id: org,
                status,
                limit,
            };
            let list = notifications::list(&db, &filter).await?;
            if list.is_empty() {
                println!("No notifications.");
            }
            for n in list {
                let error = n
                    .last_error
                    .map(|e| format!(" ({} attempts, last error: {e})", n.attempts))
                    .unwrap_or_default();
                println!(
                    "{} {} {} {} {} to {} `{}`: {}{error}",
                    n.id,
                    time(n.created_at_micros),
                    n.org_id,
                    n.module_id,
                    n.channel.name(),
                    n.recipient,
                    n.subject,
                    n.status,
                );
            }
        }
        NotificationsCommand::Retry { org, id, data } => {
            let db = data.database().await?;
            let n = notifications::retry(&db, &org, id.as_deref()).await?;
            println!("{n} message(s) of {org} queued again.");
        }
    }
    Ok(())
}

async fn files(command: FilesCommand) -> anyhow::Result<()> {
    let FilesCommand::Verify { org, data } = command;
    let db = data.database().await?;
    let report = portico_platform::files::verify(&db, &data.files(), org.as_deref()).await?;
    for d in &report.damaged {
        println!(
            "damaged: file {} `{}` of {} ({}), sha256 {}: {}",
            d.file.id, d.file.name, d.file.org_id, d.file.module_id, d.file.sha256, d.problem
        );
    }
    if report.damaged.is_empty() {
        println!(
            "{} file(s) verified ({} distinct contents): every content matches its SHA-256.",
            report.files, report.contents
        );
        Ok(())
    } else {
        anyhow::bail!(
            "{} of {} file(s) are damaged",
            report.damaged.len(),
            report.files
        )
    }
}

async fn jobs(command: JobsCommand) -> anyhow::Result<()> {
    let JobsCommand::List { org, data } = command;
    let db = data.database().await?;
    let runs = portico_platform::jobs::runs(&db, org.as_deref(), 100).await?;
    if runs.is_empty() {
        println!("No job has run yet.");
    }
    for r in runs {
        println!(
            "{} {}/{} in {} on {}: {}",
            time(r.key.slot_micros),
            r.key.module_id,
            r.key.job,
            r.key.org_id,
            r.holder,
            r.outcome.as_deref().unwrap_or("running")
        );
    }
    Ok(())
}

async fn records(command: RecordsCommand) -> anyhow::Result<()> {
    use portico_platform::imports;
    use portico_platform::records::Scope;
    let RecordsCommand::Import {
        file,
        again,
        org,
        module,
        collection,
        data,
    } = command;
    let (services, manifests) = platform(&data, Senders::default()).await?;
    let manifest = manifests
        .iter()
        .find(|m| m.id == module)
        .with_context(|| format!("`--module {module}`: no such module is installed"))?;
    let spec = manifest.collections.get(&collection).with_context(|| {
        format!("`--collection {collection}`: the module `{module}` declares no such collection")
    })?;
    let schema = portico_host::services::schema(portico_runtime::services::CollectionRef {
        name: &collection,
        spec,
    });
    if organizations::get(services.platform().db(), &org)
        .await?
        .is_none()
    {
        anyhow::bail!("`--org {org}`: there is no such organization");
    }
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let scope = Scope {
        org_id: org.clone(),
        module_id: module.clone(),
        actor: cli_actor(),
    };
    let what = imports::Import {
        scope: &scope,
        schema: &schema,
        text: &text,
        again,
    };
    let mut shown = Progress::new();
    let imported = imports::import(services.platform().db(), what, |p| shown.show(p))
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    shown.finish();
    match imported {
        imports::Imported::Done {
            documents,
            resumed_at_line,
        } => {
            if let Some(line) = resumed_at_line {
                println!("Resumed an import that had stopped after line {line}.");
            }
            println!("Imported {documents} document(s) into {module}/{collection} of {org}.");
        }
        imports::Imported::AlreadyDone {
            documents,
            finished_at_micros,
        } => println!(
            "This file was imported whole before ({documents} document(s), finished {}); \
             nothing was imported. Add --again to import it once more.",
            portico_host::services::rfc3339(finished_at_micros)
        ),
    }
    Ok(())
}

/// How far an import is, on the terminal: one line rewritten in place when
/// stderr is a terminal, a line per tenth of the file otherwise.
struct Progress {
    terminal: bool,
    last_tenth: u64,
    shown: bool,
}

impl Progress {
    fn new() -> Progress {
        use std::io::IsTerminal;
        Progress {
            terminal: std::io::stderr().is_terminal(),
            last_tenth: 0,
            shown: false,
        }
    }

    fn show(&mut self, p: portico_platform::imports::Progress) {
        let percent = p.lines_done * 100 / p.lines.max(1);
        if self.terminal {
            eprint!("\r{} of {} lines ({percent} %)", p.lines_done, p.lines);
            self.shown = true;
        } else if percent / 10 > self.last_tenth {
            self.last_tenth = percent / 10;
            eprintln!("{} of {} lines ({percent} %)", p.lines_done, p.lines);
        }
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}

async fn org(command: OrgCommand) -> anyhow::Result<()> {
    use portico_platform::organizations::{Kind, NewOrganization};
    match command {
        OrgCommand::Create {
            id,
            name,
            ico,
            kind,
            parent,
            data,
        } => {
            let kind = Kind::parse(&kind).with_context(|| {
                format!("`--kind {kind}` must be region, city, organization or unit")
            })?;
            let db = data.database().await?;
            let org = organizations::create(
                &db,
                &cli_actor(),
                NewOrganization {
                    id,
                    name,
                    ico,
                    kind,
                    parent_id: parent,
                },
            )
            .await?;
            println!("Created {} `{}`: {}", org.kind.name(), org.id, org.name);
        }
        OrgCommand::List(data) => {
            let db = data.database().await?;
            let tree = organizations::tree(&db).await?;
            if tree.is_empty() {
                println!("No organizations yet; add one with `portico org create`.");
            }
            for (depth, org) in tree {
                println!(
                    "{:indent$}{} ({}, {}){}",
                    "",
                    org.name,
                    org.id,
                    org.kind.name(),
                    org.ico.map(|i| format!(", IČO {i}")).unwrap_or_default(),
                    indent = depth * 2
                );
            }
        }
    }
    Ok(())
}

/// Who runs a command, for the audit chain.
/// How often a serving portal looks for modules installed, upgraded or
/// rolled back by `portico plugin …` in another process.
const INSTALLATIONS_POLL: Duration = Duration::from_secs(2);

fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

async fn audit(command: AuditCommand) -> anyhow::Result<()> {
    use portico_platform::audit::{self, Verdict};
    match command {
        AuditCommand::Verify { org, data } => {
            let db = data.database().await?;
            let orgs = match org {
                Some(id) => vec![id],
                None => std::iter::once(audit::PLATFORM_CHAIN.to_owned())
                    .chain(organizations::list(&db).await?.into_iter().map(|o| o.id))
                    .collect(),
            };
            let mut broken = 0;
            for id in orgs {
                match audit::verify(&db, &id).await? {
                    Verdict::Intact { entries, head } => {
                        println!("{id}: intact, {entries} entries, head {head}");
                    }
                    Verdict::Broken { seq, problem } => {
                        broken += 1;
                        println!("{id}: BROKEN at entry {seq}: {problem}");
                    }
                }
            }
            if broken > 0 {
                anyhow::bail!("{broken} audit chain(s) broken");
            }
        }
        AuditCommand::Export { org, data } => {
            let db = data.database().await?;
            let verdict = audit::verify(&db, &org).await?;
            for entry in audit::entries(&db, &org).await? {
                println!("{}", serde_json::to_string(&entry)?);
            }
            println!(
                "{}",
                serde_json::json!({ "org_id": org, "verdict": verdict })
            );
        }
    }
    Ok(())
}
