//! `portico plugin`: the installed modules, enabling, disabling and
//! configuring them per organization, switching them on after their circuit
//! breaker, and their packages (packed, verified, installed, rolled back).

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::Context as _;
use clap::Subcommand;
use portico_host::notify::Senders;
use portico_platform::modules::{self, Change};
use portico_platform::organizations;
use portico_runtime::CallLimits;
use portico_runtime::breaker::{self, BreakerState};

use super::{DataArgs, OrgTarget, cli_actor, load, packages, platform};

#[derive(Subcommand)]
pub(crate) enum PluginCommand {
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

pub(crate) async fn plugin(command: PluginCommand) -> anyhow::Result<()> {
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
        let spec = manifest.setting_of(key).with_context(|| {
            format!("`--set {pair}`: the module `{id}` declares no setting `{key}`")
        })?;
        spec.check(key, value)
            .map_err(|e| anyhow::anyhow!("`--set {pair}`: {e}"))?;
        change.set.insert(key.to_owned(), value.to_owned());
    }
    for key in unset {
        if manifest.setting_of(key).is_none() {
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

pub(crate) fn switch_on(id: &str, org: Option<&str>, data: &DataArgs) -> anyhow::Result<()> {
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
