//! `portico`: the portal host. `portico serve` runs the portal; the other
//! commands manage organizations, modules per organization, the address
//! register, the outbox, notifications, files, jobs and the audit chains.

mod cli;

use anyhow::Context as _;
use clap::Parser;
use cli::plugin::{self, PluginCommand};
use cli::{Cli, Command, addresses, connections, dev, ops, org, packages, people, serve};

// A multi-threaded server allocates a lot per request; glibc's allocator
// contends across threads where mimalloc does not (measured by the bench).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Command::Serve(args) => rt.block_on(serve::serve(*args)),
        Command::Plugin(PluginCommand::SwitchOn { id, org, data }) => {
            plugin::switch_on(&id, org.as_deref(), &data)
        }
        Command::Trust(command) => packages::trust(command),
        Command::Vendor(command) => packages::vendor(command),
        Command::Dev(command) => rt.block_on(dev::run(command)),
        Command::Plugin(command) => rt.block_on(plugin::plugin(command)),
        Command::Events(command) => rt.block_on(ops::events(command)),
        Command::Messages(command) => rt.block_on(ops::messages(command)),
        Command::Jobs(command) => rt.block_on(ops::jobs(command)),
        Command::Records(command) => rt.block_on(ops::records(command)),
        Command::Notifications(command) => rt.block_on(ops::notifications(command)),
        Command::Files(command) => rt.block_on(ops::files(command)),
        Command::User(command) => rt.block_on(people::user(command)),
        Command::Role(command) => rt.block_on(people::role(command)),
        Command::Group(command) => rt.block_on(people::group(command)),
        Command::Token(command) => rt.block_on(people::token(command)),
        Command::Migrate(data) => rt.block_on(async {
            data.database().await?;
            println!("The database is up to date.");
            Ok(())
        }),
        Command::Org(command) => rt.block_on(org::org(command)),
        Command::Addresses(command) => rt.block_on(addresses::addresses(command)),
        Command::Connections(command) => rt.block_on(connections::connections(command)),
        Command::Audit(command) => rt.block_on(ops::audit(command)),
    }
}
