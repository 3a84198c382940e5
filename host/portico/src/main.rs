//! `portico`: the portal host. `portico serve` runs the portal; `portico
//! plugin list|enable` shows and manages the installed modules.

mod settings;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use portico_runtime::breaker::{self, BreakerState};
use portico_runtime::manifest::{MANIFEST_FILE, Manifest};
use portico_runtime::{CallLimits, EngineConfig, ModuleEngine, ModuleOptions, ModuleRegistry};
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
    Serve(ServeArgs),
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
    /// List the modules, their versions, capabilities and state.
    List(DataArgs),
    /// Switch a module on again after its circuit breaker switched it off.
    Enable {
        /// The module's id.
        id: String,
        #[command(flatten)]
        data: DataArgs,
    },
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
    /// Memory one module call may use, in MiB.
    #[arg(long, default_value_t = 64)]
    call_memory_mib: usize,
    /// Faults in a row after which a module is switched off.
    #[arg(long, default_value_t = 5)]
    breaker_threshold: u32,
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
        Command::Serve(args) => rt.block_on(serve(args)),
        Command::Plugin(PluginCommand::List(data)) => rt.block_on(list(data)),
        Command::Plugin(PluginCommand::Enable { id, data }) => enable(&id, &data),
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

async fn load(
    data: &DataArgs,
    limits: CallLimits,
    breaker_threshold: u32,
) -> anyhow::Result<(
    ModuleEngine,
    ModuleRegistry,
    Vec<portico_runtime::LoadError>,
)> {
    let modules_dir = data.modules_dir();
    let state_dir = data.state_dir();
    std::fs::create_dir_all(&state_dir)
        .with_context(|| format!("cannot create {}", state_dir.display()))?;
    let engine = engine(data, limits.memory_bytes >> 20)?;
    let settings =
        settings::SettingsFiles::load(&data.data_dir.join("settings"), &manifests(&modules_dir));
    let options = ModuleOptions {
        limits,
        breaker_threshold,
        state_dir: Some(state_dir),
        services: Arc::new(settings),
    };
    let (registry, refused) = ModuleRegistry::load_dir(&engine, &modules_dir, &options).await;
    Ok((engine, registry, refused))
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let limits = CallLimits {
        deadline: Duration::from_millis(args.call_deadline_ms),
        memory_bytes: args.call_memory_mib << 20,
    };
    let _db = args.data.database().await?;
    let (engine, registry, refused) = load(&args.data, limits, args.breaker_threshold).await?;
    tracing::info!(
        allocator = ?engine.allocator(),
        modules = registry.len(),
        refused = refused.len(),
        "modules loaded from {}",
        args.data.modules_dir().display()
    );
    let state = AppState::new(
        registry,
        WebConfig {
            portal_name: args.name,
            ..WebConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // Printed for people and for scripts that wait for the portal.
    println!("Portico is serving on http://{addr}/");
    axum::serve(listener, portico_web::app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        })
        .await
        .context("the server failed")?;
    drop(engine);
    Ok(())
}

async fn list(data: DataArgs) -> anyhow::Result<()> {
    let (_engine, registry, refused) = load(&data, CallLimits::default(), 5).await?;
    println!(
        "{:<20} {:<10} {:<34} {:<16} STATE",
        "ID", "VERSION", "NAME", "CAPABILITIES"
    );
    for m in registry.iter() {
        let manifest = m.manifest();
        let caps: Vec<&str> = manifest.capabilities.iter().map(|c| c.name()).collect();
        let state = match m.breaker_state() {
            BreakerState::Closed { .. } => "serving".to_owned(),
            BreakerState::Open(off) => format!(
                "switched off since {} after {} faults in a row: {}",
                humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(off.at_unix)),
                off.faults_in_a_row,
                off.reason
            ),
        };
        println!(
            "{:<20} {:<10} {:<34} {:<16} {state}",
            manifest.id,
            manifest.version.to_string(),
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

fn enable(id: &str, data: &DataArgs) -> anyhow::Result<()> {
    let was_off = breaker::switch_on(&data.state_dir(), id)
        .with_context(|| format!("cannot switch {id} on"))?;
    if was_off {
        println!("{id} is switched on again; a running portal serves it from its next request.");
    } else {
        println!("{id} was not switched off.");
    }
    Ok(())
}

async fn org(command: OrgCommand) -> anyhow::Result<()> {
    use portico_platform::organizations::{self, Kind, NewOrganization};
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
fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

async fn audit(command: AuditCommand) -> anyhow::Result<()> {
    use portico_platform::audit::{self, Verdict};
    use portico_platform::organizations;
    match command {
        AuditCommand::Verify { org, data } => {
            let db = data.database().await?;
            let orgs = match org {
                Some(id) => vec![id],
                None => organizations::list(&db)
                    .await?
                    .into_iter()
                    .map(|o| o.id)
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
