//! Module packages at the command line: a vendor makes a key and packs a
//! built module into one signed file; an administrator trusts the vendor's
//! key, verifies a package, and installs it. Nothing is installed unless
//! every check passes, and the module loads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Subcommand;
use portico_host::lifecycle::{Binding, Installer, LifecycleError, VendorApproval, describe};
use portico_host::notify::Senders;
use portico_package::{Package, PublicKey, TrustStore, VendorKey};
use portico_runtime::{CallLimits, ModuleOptions};

use super::DataArgs;

/// A vendor's key for signing packages.
#[derive(Subcommand)]
pub(crate) enum VendorCommand {
    /// Make a new signing key: `<name>.key` (secret: keep it safe and out
    /// of repositories) and `<name>.pub` (give it to the portals that
    /// install your modules).
    Keygen {
        /// The folder the two files are written to.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// The files' name.
        #[arg(long, default_value = "vendor")]
        name: String,
    },
}

/// The vendors' keys this portal trusts.
#[derive(Subcommand)]
pub(crate) enum TrustCommand {
    /// Trust a vendor's public key (a `.pub` file from `portico vendor keygen`).
    Add {
        /// The public key file.
        key: PathBuf,
        /// The vendor's name, shown with every package it signed.
        #[arg(long)]
        vendor: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the trusted keys.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

fn trust_dir(data: &DataArgs) -> PathBuf {
    data.data_dir.join("trust")
}

fn is_vendor_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
        && !name.starts_with('.')
}

pub(crate) fn vendor(command: VendorCommand) -> anyhow::Result<()> {
    let VendorCommand::Keygen { out, name } = command;
    let key = VendorKey::generate()?;
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let secret = out.join(format!("{name}.key"));
    if secret.exists() {
        anyhow::bail!(
            "{} exists already; a new key would make the old one's packages unverifiable",
            secret.display()
        );
    }
    write_secret(&secret, &key.secret_hex())?;
    let public = out.join(format!("{name}.pub"));
    std::fs::write(&public, format!("{}\n", key.public().to_hex()))
        .with_context(|| format!("cannot write {}", public.display()))?;
    println!(
        "secret key: {} (keep it safe)\npublic key: {} (fingerprint {})",
        secret.display(),
        public.display(),
        key.public().fingerprint()
    );
    Ok(())
}

/// Writes a secret readable by its owner only.
fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    writeln!(file, "{text}").with_context(|| format!("cannot write {}", path.display()))
}

pub(crate) fn trust(command: TrustCommand) -> anyhow::Result<()> {
    match command {
        TrustCommand::Add { key, vendor, data } => {
            if !is_vendor_name(&vendor) {
                anyhow::bail!(
                    "`--vendor {vendor}`: use letters, digits, spaces, `-`, `_` and `.` (at most 64)"
                );
            }
            let text = std::fs::read_to_string(&key)
                .with_context(|| format!("cannot read {}", key.display()))?;
            let public = PublicKey::parse(&text).with_context(|| {
                format!(
                    "{} is not a public key (64 hexadecimal digits, as `portico vendor keygen` writes)",
                    key.display()
                )
            })?;
            let dir = trust_dir(&data);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let file = dir.join(format!("{vendor}.pub"));
            std::fs::write(&file, format!("{}\n", public.to_hex()))
                .with_context(|| format!("cannot write {}", file.display()))?;
            println!("trusted key {} as {vendor}", public.fingerprint());
            Ok(())
        }
        TrustCommand::List { data } => {
            let store = TrustStore::load(&trust_dir(&data))?;
            for (vendor, key) in store.keys() {
                println!("{}\t{vendor}", key.fingerprint());
            }
            Ok(())
        }
    }
}

/// `portico plugin pack DIR`: a built module folder as one package file.
pub(crate) fn pack(
    dir: &Path,
    key: Option<&Path>,
    unsigned: bool,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let key = match (key, unsigned) {
        (Some(k), false) => Some(VendorKey::read(k)?),
        (None, true) => None,
        (Some(_), true) => anyhow::bail!("give either `--key` or `--unsigned`, not both"),
        (None, false) => anyhow::bail!(
            "sign the package with `--key FILE` (from `portico vendor keygen`), or pass `--unsigned` for a host in development mode"
        ),
    };
    let bytes = build_package(dir, key.as_ref())?;
    let package = Package::read(&bytes)?;
    let mut trust = TrustStore::default();
    if let Some(k) = &key {
        trust.add("this vendor", k.public());
    }
    let named = package.verify_or_accept_unsigned(&trust)?;
    let out = out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}-{}.{}",
            named.id,
            named.version,
            portico_package::EXTENSION
        ))
    });
    std::fs::write(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "{} ({} {}, {} bytes{})",
        out.display(),
        named.id,
        named.version,
        bytes.len(),
        named
            .fingerprint
            .map(|f| format!(", signed by key {f}"))
            .unwrap_or_else(|| ", unsigned".into())
    );
    Ok(())
}

/// Packs `dir`: a built module folder holding the component its manifest
/// names, or a module crate (its `Cargo.toml` and `module.toml`) built
/// with `cargo build --release --target wasm32-wasip2`, whose component is
/// in its target folder (`CARGO_TARGET_DIR` when set).
fn build_package(dir: &Path, key: Option<&VendorKey>) -> anyhow::Result<Vec<u8>> {
    let component = Package::component_name(dir)?;
    if dir.join(&component).exists() || !dir.join("Cargo.toml").exists() {
        return Ok(Package::build(dir, key)?);
    }
    let built = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("target"))
        .join("wasm32-wasip2/release")
        .join(&component);
    if !built.exists() {
        anyhow::bail!(
            "{} is a module crate without a built component: run `cargo build --release --target wasm32-wasip2` in it first (no {})",
            dir.display(),
            built.display()
        );
    }
    Ok(Package::build_crate(dir, &built, key)?)
}

/// Reads and checks a package file against the portal's trust store.
fn checked(file: &Path, data: &DataArgs, dev: bool) -> anyhow::Result<portico_package::Verified> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let trust = TrustStore::load(&trust_dir(data))?;
    let package = Package::read(&bytes)
        .and_then(|p| {
            if dev {
                p.verify_or_accept_unsigned(&trust)
            } else {
                p.verify(&trust)
            }
        })
        .with_context(|| format!("{} is refused", file.display()))?;
    Ok(package)
}

/// `portico plugin verify FILE`.
pub(crate) fn verify(file: &Path, data: &DataArgs) -> anyhow::Result<()> {
    let v = checked(file, data, false)?;
    println!(
        "{}: {} {}, signed by {} (key {}); every file matches the signature",
        file.display(),
        v.id,
        v.version,
        v.vendor,
        v.fingerprint.unwrap_or_default()
    );
    Ok(())
}

/// The installer of the portal in `data`, over its database.
async fn installer(
    data: &DataArgs,
    dev: bool,
) -> anyhow::Result<(Installer, Arc<portico_host::services::PlatformServices>)> {
    let (services, _) = super::platform(data, Senders::default()).await?;
    let engine = super::engine(data, CallLimits::default().memory_bytes >> 20)?;
    let options = ModuleOptions {
        state_dir: Some(data.state_dir()),
        services: services.clone(),
        ..ModuleOptions::default()
    };
    let installer = Installer::new(
        Arc::new(engine),
        options,
        data.modules_dir(),
        data.data_dir.clone(),
        dev,
    );
    Ok((installer, services))
}

/// `portico plugin install FILE`: checks the package and installs it, or
/// upgrades the installed version through the new one's `migrate`. A
/// package signed by another vendor than the installed module's is refused
/// unless `approve_vendor_change`. A running portal over the same data
/// serves it within seconds.
pub(crate) async fn install(
    file: &Path,
    data: &DataArgs,
    dev: bool,
    approve_vendor_change: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (installer, services) = installer(data, dev).await?;
    let approval = if approve_vendor_change {
        VendorApproval::ThisPackage
    } else {
        VendorApproval::Refused
    };
    let done = installer
        .install(&services, &bytes, &super::cli_actor(), &approval)
        .await
        .map_err(|e| match e {
            LifecycleError::VendorChange(change) => anyhow::anyhow!(
                "{change} To approve it, install again with `--approve-vendor-change`."
            ),
            other => anyhow::Error::new(other),
        })
        .with_context(|| format!("{} is refused", file.display()))?;
    let signer = describe(&done.signer, "en");
    match &done.upgraded_from {
        None => println!(
            "installed {} {} by {signer}; enable it with `portico plugin enable {} --org ORG`",
            done.id, done.version, done.id
        ),
        Some(from) => println!(
            "upgraded {} from {from} to {} by {}; migrated the records of {} organization(s); \
             `portico plugin rollback {}` returns to {from}",
            done.id,
            done.version,
            done.signer.vendor,
            done.migrated.len(),
            done.id
        ),
    }
    match (&done.binding, &done.upgraded_from) {
        (Binding::Changed(from), _) => println!(
            "the change of vendor of {} from {} to {signer} is approved and recorded in the audit trail",
            done.id,
            describe(from, "en")
        ),
        (Binding::New, Some(_)) => println!(
            "{} had no recorded signer; it is bound to {signer} now, and a package signed by \
             another key needs `--approve-vendor-change`",
            done.id
        ),
        _ => {}
    }
    Ok(())
}

/// `portico plugin rollback ID`: the version before the last upgrade, with
/// the records as they were then.
pub(crate) async fn rollback(
    id: &str,
    discard_changes: bool,
    data: &DataArgs,
) -> anyhow::Result<()> {
    let (installer, services) = installer(data, false).await?;
    let done = installer
        .rollback(&services, id, discard_changes, &super::cli_actor())
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "{e}{}",
                if e.to_string().contains("Confirm") {
                    " (pass `--discard-changes`)"
                } else {
                    ""
                }
            )
        })?;
    println!(
        "rolled {} back from {} to {}{}",
        done.id,
        done.from,
        done.to,
        if done.discarded > 0 {
            format!(
                "; discarded {} record(s) written since the upgrade",
                done.discarded
            )
        } else {
            String::new()
        }
    );
    Ok(())
}
