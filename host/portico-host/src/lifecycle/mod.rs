//! Installing, upgrading and rolling back modules, from a package file.
//!
//! An upgrade loads the new version beside the serving one, snapshots the
//! module's records, and calls the new version's `migrate` for every
//! organization with the module's data, all in one transaction. Only when
//! every organization migrated does the transaction commit, the new version
//! move into the modules folder and take the traffic; the older version's
//! folder and the snapshot are kept for a rollback. A failure anywhere
//! leaves the older version serving over its untouched data.
//!
//! Rolling back puts the older version back and returns the records to the
//! snapshot. Records written since the upgrade are lost by that, so the
//! rollback refuses unless the administrator agrees to discard them.
//!
//! An installed module is bound to the vendor's key that signed it: a
//! package of the same module signed by another key (another vendor, a
//! vendor's new key, or no key in development mode) is refused before any
//! of its code runs, unless a platform administrator approves the change
//! of vendor, which the platform's audit chain records. A module whose
//! signer was never recorded (installed before signers were, or put in the
//! modules folder by hand) is bound at its next upgrade.
//!
//! Folders, under the data folder: `staging/` (a package being checked),
//! `modules-previous/<id>/module/` (the version before the last upgrade)
//! with `snapshot.json` (its records) and `upgrade.json` (when and from
//! what).
//!
//! This file has the `Installer` and what its parts share: the errors,
//! what an install or a rollback did, the kept previous version, the mark
//! of a module being upgraded, the JSON files. `install` installs and
//! upgrades (with the migration of every organization), `rollback` rolls
//! back and puts back an upgrade cut off before it committed, and
//! `vendors` holds the binding of a module to the key that signed it.
//! Everything public is re-exported here, so callers name `lifecycle::X`
//! whichever file holds it.

mod install;
mod rollback;
mod vendors;

pub use rollback::recover_interrupted_upgrades;
pub use vendors::{Binding, VendorApproval, VendorChange, describe, signer_id};

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use portico_platform::modules::Signer;
use portico_platform::{modules, records};
use portico_runtime::{LoadedModule, ModuleEngine, ModuleOptions, load_module};
use serde::{Deserialize, Serialize};

/// Why an install, upgrade or rollback did not happen. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// The package is signed by another key than the one the installed
    /// module is bound to, and no platform administrator approved that.
    #[error("{0}")]
    VendorChange(VendorChange),
    /// Any other reason, said in full.
    #[error("{0}")]
    Refused(String),
}

fn io(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> LifecycleError {
    let at = format!("{what} {}", path.display());
    move |e| LifecycleError::Refused(format!("cannot {at}: {e}"))
}

/// What an install or upgrade did.
pub struct Installed {
    /// The module's id.
    pub id: String,
    /// The version now serving.
    pub version: String,
    /// Who signed it; the installation is bound to it now.
    pub signer: Signer,
    /// What the installation was bound to before.
    pub binding: Binding,
    /// The version it replaced, for an upgrade.
    pub upgraded_from: Option<String>,
    /// The organizations whose records were migrated.
    pub migrated: Vec<String>,
    /// The module, loaded from the modules folder, ready to serve.
    pub module: LoadedModule,
}

/// What a rollback did.
pub struct RolledBack {
    /// The module's id.
    pub id: String,
    /// The version that served until now.
    pub from: String,
    /// The version serving again.
    pub to: String,
    /// How many records written since the upgrade were discarded.
    pub discarded: u64,
    /// The module, loaded from the modules folder, ready to serve.
    pub module: LoadedModule,
}

/// The version a rollback would return to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Previous {
    /// The version before the upgrade.
    pub version: String,
    /// The version the upgrade installed.
    pub upgraded_to: String,
    /// When the upgrade committed, microseconds since the Unix epoch.
    pub upgraded_at_micros: i64,
    /// Who signed the version before the upgrade (`None`: not recorded),
    /// to bind the module to again when it returns.
    #[serde(default)]
    pub signer: Option<Signer>,
}

const PREVIOUS_DIR: &str = "modules-previous";
const SNAPSHOT_FILE: &str = "snapshot.json";
const UPGRADE_FILE: &str = "upgrade.json";

/// Installs, upgrades and rolls back the modules of one host.
pub struct Installer {
    engine: Arc<ModuleEngine>,
    options: ModuleOptions,
    modules_dir: PathBuf,
    data_dir: PathBuf,
    development: bool,
    /// One change at a time.
    busy: tokio::sync::Mutex<()>,
    /// Modules being upgraded: their writes wait (503) until it is done.
    upgrading: Mutex<HashSet<String>>,
}

impl Installer {
    /// An installer for the modules in `modules_dir`, loading them with
    /// `engine` and `options`, keeping its folders (trust store, staging,
    /// previous versions) under `data_dir`. In `development` mode unsigned
    /// packages are accepted.
    pub fn new(
        engine: Arc<ModuleEngine>,
        options: ModuleOptions,
        modules_dir: PathBuf,
        data_dir: PathBuf,
        development: bool,
    ) -> Installer {
        Installer {
            engine,
            options,
            modules_dir,
            data_dir,
            development,
            busy: tokio::sync::Mutex::new(()),
            upgrading: Mutex::default(),
        }
    }

    /// The engine modules are loaded with.
    pub fn engine(&self) -> &ModuleEngine {
        &self.engine
    }

    /// The folder of the installed modules.
    pub fn modules_dir(&self) -> &Path {
        &self.modules_dir
    }

    /// Whether `module_id` is being upgraded now (its writes must wait).
    pub fn is_upgrading(&self, module_id: &str) -> bool {
        self.upgrading
            .lock()
            .map(|u| u.contains(module_id))
            .unwrap_or(false)
    }

    fn previous_dir(&self, module_id: &str) -> PathBuf {
        self.data_dir.join(PREVIOUS_DIR).join(module_id)
    }

    /// The version a rollback of `module_id` would return to, if any.
    pub fn previous(&self, module_id: &str) -> Option<Previous> {
        read_json(&self.previous_dir(module_id).join(UPGRADE_FILE)).ok()
    }

    /// Loads the module in `dir` with this host's options.
    pub async fn load(&self, dir: &Path) -> Result<LoadedModule, LifecycleError> {
        load_module(&self.engine, dir, &self.options)
            .await
            .map_err(|e| {
                LifecycleError::Refused(format!("the module does not load: {}", e.message))
            })
    }
}

fn failed(e: portico_platform::PlatformError) -> LifecycleError {
    LifecycleError::Refused(e.to_string())
}

/// The organizations a migration or rollback goes through: those with the
/// module's data or enablement (enabled or not).
async fn organizations_of(
    db: &sea_orm::DatabaseConnection,
    module_id: &str,
) -> Result<Vec<String>, portico_platform::PlatformError> {
    let mut orgs = records::organizations_with_data(db, module_id).await?;
    orgs.extend(
        modules::enablements(db, None, Some(module_id))
            .await?
            .into_iter()
            .map(|e| e.org_id),
    );
    orgs.sort();
    orgs.dedup();
    Ok(orgs)
}

/// Marks a module as being upgraded for as long as it lives.
struct Upgrading<'a> {
    installer: &'a Installer,
    id: String,
}

impl<'a> Upgrading<'a> {
    fn start(installer: &'a Installer, id: &str) -> Upgrading<'a> {
        if let Ok(mut u) = installer.upgrading.lock() {
            u.insert(id.to_owned());
        }
        Upgrading {
            installer,
            id: id.to_owned(),
        }
    }
}

impl Drop for Upgrading<'_> {
    fn drop(&mut self) {
        if let Ok(mut u) = self.installer.upgrading.lock() {
            u.remove(&self.id);
        }
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), LifecycleError> {
    let text = serde_json::to_vec(value)
        .map_err(|e| LifecycleError::Refused(format!("cannot write {}: {e}", path.display())))?;
    std::fs::write(path, text).map_err(io("write", path))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, LifecycleError> {
    let text = std::fs::read(path).map_err(io("read", path))?;
    serde_json::from_slice(&text)
        .map_err(|e| LifecycleError::Refused(format!("{} is damaged: {e}", path.display())))
}
