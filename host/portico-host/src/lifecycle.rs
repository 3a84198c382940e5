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

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use portico_package::{Package, PublicKey, TrustStore};
use portico_platform::modules::Signer;
use portico_platform::records::{Scope, Snapshot};
use portico_platform::{audit, modules, organizations, records};
use portico_runtime::api::{CallContext, ModuleError};
use portico_runtime::manifest::{MANIFEST_FILE, Manifest};
use portico_runtime::{CallErrorKind, LoadedModule, ModuleEngine, ModuleOptions, load_module};
use serde::{Deserialize, Serialize};

use crate::services::{Migration, PlatformServices};

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

/// A package of an installed module, signed by another key than the one
/// the module is bound to.
#[derive(Debug, Clone)]
pub struct VendorChange {
    /// The module's id.
    pub module_id: String,
    /// Who signed the installed version.
    pub installed: Signer,
    /// Who signed the package.
    pub offered: Signer,
}

impl VendorChange {
    /// What the refusal says, in `lang`.
    pub fn message(&self, lang: &str) -> String {
        let id = &self.module_id;
        let cs = lang == "cs";
        let installed = match (&self.installed.key, cs) {
            (Some(_), false) => format!(
                "{id} was installed from a package signed by {}",
                describe(&self.installed, lang)
            ),
            (Some(_), true) => format!(
                "Modul {id} byl nainstalován z balíčku podepsaného dodavatelem {}",
                describe(&self.installed, lang)
            ),
            (None, false) => format!("{id} was installed from an unsigned package"),
            (None, true) => format!("Modul {id} byl nainstalován z nepodepsaného balíčku"),
        };
        let offered = match (&self.offered.key, cs) {
            (Some(_), false) => format!(
                "this package is signed by {}",
                describe(&self.offered, lang)
            ),
            (Some(_), true) => format!(
                "tento balíček podepsal dodavatel {}",
                describe(&self.offered, lang)
            ),
            (None, false) => "this package is not signed".to_owned(),
            (None, true) => "tento balíček není podepsán".to_owned(),
        };
        let rule = if cs {
            "Modul povyšuje jen ten, kdo jej nainstaloval (tentýž klíč), pokud změnu dodavatele \
             výslovně neschválí správce platformy."
        } else {
            "A module is upgraded only with packages signed by the key that installed it, \
             unless a platform administrator approves the change of vendor explicitly."
        };
        format!("{installed}; {offered}. {rule}")
    }

    /// What an administrator approves, in `lang`.
    pub fn approval(&self, lang: &str) -> String {
        let (id, from, to) = (
            &self.module_id,
            describe(&self.installed, lang),
            describe(&self.offered, lang),
        );
        if lang == "cs" {
            format!("Schvaluji změnu dodavatele modulu {id} z {from} na {to}")
        } else {
            format!("Approve the change of vendor of {id} from {from} to {to}")
        }
    }
}

impl std::fmt::Display for VendorChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message("en"))
    }
}

/// A signer as people read it: the vendor and the key's fingerprint.
pub fn describe(signer: &Signer, lang: &str) -> String {
    match &signer.key {
        Some(key) => format!(
            "{} ({} {})",
            signer.vendor,
            if lang == "cs" { "klíč" } else { "key" },
            fingerprint(key)
        ),
        None if lang == "cs" => "nepodepsaný balíček".to_owned(),
        None => "an unsigned package".to_owned(),
    }
}

/// The fingerprint of a key kept in hex (the hex itself, were it damaged).
fn fingerprint(key_hex: &str) -> String {
    PublicKey::parse(key_hex).map_or_else(|| key_hex.to_owned(), |k| k.fingerprint())
}

/// How an approval names the signer it approves: its key in hex, or
/// `unsigned`.
pub fn signer_id(signer: &Signer) -> String {
    signer
        .key
        .clone()
        .unwrap_or_else(|| portico_package::UNSIGNED.to_owned())
}

/// Whether a platform administrator approved that a package's signer
/// replaces the one an installed module is bound to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum VendorApproval {
    /// Not approved: a package signed by another key is refused.
    #[default]
    Refused,
    /// Approved for whoever signed the package at hand (the command line,
    /// whose operator names the file).
    ThisPackage,
    /// Approved for this signer only (see [`signer_id`]): the console's
    /// form names the signer its administrator was asked about.
    Signer(String),
}

impl VendorApproval {
    fn approves(&self, signer: &Signer) -> bool {
        match self {
            VendorApproval::Refused => false,
            VendorApproval::ThisPackage => true,
            VendorApproval::Signer(id) => *id == signer_id(signer),
        }
    }
}

/// What an installation was bound to before this install or upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// Nothing: a new module, or one whose signer was never recorded.
    New,
    /// The same key that signed the package.
    Same,
    /// Another signer; a platform administrator approved the change.
    Changed(Signer),
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

    /// Checks the package in `bytes` against the trust store, and installs
    /// it: a new module, or an upgrade of an installed one through its
    /// `migrate`. A package signed by another key than the one the module
    /// is bound to is refused unless `approval` approves its signer.
    /// Nothing changes unless every step succeeds.
    pub async fn install(
        &self,
        services: &Arc<PlatformServices>,
        bytes: &[u8],
        actor: &str,
        approval: &VendorApproval,
    ) -> Result<Installed, LifecycleError> {
        let _busy = self.busy.lock().await;
        let trust = TrustStore::load(&self.data_dir.join("trust"))
            .map_err(|e| LifecycleError::Refused(e.to_string()))?;
        let package = Package::read(bytes)
            .and_then(|p| {
                if self.development {
                    p.verify_or_accept_unsigned(&trust)
                } else {
                    p.verify(&trust)
                }
            })
            .map_err(|e| LifecycleError::Refused(e.to_string()))?;
        if !portico_runtime::manifest::is_module_id(&package.id) {
            return Err(LifecycleError::Refused(format!(
                "the package's module id `{}` is not a module id",
                package.id
            )));
        }
        let id = package.id.clone();
        let target = self.modules_dir.join(&id);
        let installed = Manifest::from_file(&target.join(MANIFEST_FILE)).ok();
        let new_version = semver::Version::parse(&package.version).map_err(|e| {
            LifecycleError::Refused(format!(
                "the package's version `{}` is not a version: {e}",
                package.version
            ))
        })?;
        if let Some(old) = &installed
            && old.version >= new_version
        {
            return Err(LifecycleError::Refused(format!(
                "{id} {} is installed; this package is version {new_version}, which is not newer \
                 (to return to the version before an upgrade, roll back)",
                old.version
            )));
        }
        let signer = Signer {
            key: package.key.map(|k| k.to_hex()),
            vendor: package.vendor.clone(),
        };
        let db = services.platform().db();
        // Checked before any of the package's code runs: its `migrate`
        // would read every organization's records.
        let bound_to = modules::installation(db, &id)
            .await
            .map_err(failed)?
            .and_then(|i| i.signer);
        let binding = match bound_to {
            None => Binding::New,
            Some(s) if s.key == signer.key => Binding::Same,
            Some(s) => {
                if !approval.approves(&signer) {
                    return Err(LifecycleError::VendorChange(VendorChange {
                        module_id: id,
                        installed: s,
                        offered: signer,
                    }));
                }
                Binding::Changed(s)
            }
        };

        let staging = self.data_dir.join("staging").join(format!(
            "{id}-{new_version}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let staged = Staged(staging.clone());
        package
            .unpack(&staging)
            .map_err(|e| LifecycleError::Refused(e.to_string()))?;
        let module = self.load(&staging).await?;

        let Some(old) = installed else {
            std::fs::create_dir_all(&self.modules_dir).map_err(io("create", &self.modules_dir))?;
            drop(module);
            std::fs::rename(&staging, &target).map_err(io("move the module into", &target))?;
            staged.keep();
            let recorded = async {
                let mut work = services
                    .platform()
                    .begin_upgrade(Scope {
                        org_id: audit::PLATFORM_CHAIN.to_owned(),
                        module_id: id.clone(),
                        actor: actor.to_owned(),
                    })
                    .await?;
                if let Binding::Changed(from) = &binding {
                    audit_vendor_change(
                        &mut work,
                        actor,
                        &id,
                        from,
                        &signer,
                        None,
                        &package.version,
                    )
                    .await?;
                }
                work.record_installation(&id, &package.version, Some(&signer))
                    .await?;
                work.commit().await
            };
            recorded.await.map_err(|e| {
                let _ = std::fs::remove_dir_all(&target);
                LifecycleError::Refused(format!("cannot record the installation: {e}"))
            })?;
            let module = self.load(&target).await?;
            tracing::info!(module = %id, version = %new_version, vendor = %signer.vendor, key = signer.key.as_deref().map(fingerprint), actor, "module installed");
            return Ok(Installed {
                id,
                version: package.version,
                signer,
                binding,
                upgraded_from: None,
                migrated: Vec::new(),
                module,
            });
        };

        let from = old.version.to_string();
        let _gate = Upgrading::start(self, &id);
        let (migration, snapshot, migrated) = self
            .migrate(
                services,
                &module,
                (&from, &package.version),
                (&signer, &binding),
                actor,
            )
            .await?;
        drop(module);

        // Every organization migrated: the new code goes in, the older code
        // and the snapshot are kept for a rollback; then the data commits.
        // Should the commit fail, the folders are put back.
        let previous = self.previous_dir(&id);
        let _ = std::fs::remove_dir_all(&previous);
        std::fs::create_dir_all(&previous).map_err(io("create", &previous))?;
        write_json(&previous.join(SNAPSHOT_FILE), &snapshot)?;
        write_json(
            &previous.join(UPGRADE_FILE),
            &Previous {
                version: from.clone(),
                upgraded_to: package.version.clone(),
                upgraded_at_micros: chrono::Utc::now().timestamp_micros(),
                signer: match &binding {
                    Binding::New => None,
                    Binding::Same => Some(signer.clone()),
                    Binding::Changed(from) => Some(from.clone()),
                },
            },
        )?;
        let kept = previous.join("module");
        std::fs::rename(&target, &kept).map_err(io("keep the older version in", &previous))?;
        if let Err(e) = std::fs::rename(&staging, &target) {
            let _ = std::fs::rename(&kept, &target);
            return Err(io("move the module into", &target)(e));
        }
        if let Err(e) = migration.commit().await {
            let _ = std::fs::rename(&target, &staging);
            let _ = std::fs::rename(&kept, &target);
            let _ = std::fs::remove_dir_all(&previous);
            return Err(LifecycleError::Refused(format!(
                "the upgrade of {id} could not be saved: {e}; {from} keeps serving"
            )));
        }
        staged.keep();
        // A migration may have rewritten every record of the module: the
        // planner's statistics follow (PostgreSQL; nothing to do on SQLite).
        if let Err(e) = portico_platform::imports::analyze(services.platform().db()).await {
            tracing::warn!(error = %e, "cannot update the planner's statistics after the upgrade");
        }
        let module = self.load(&target).await?;
        tracing::info!(module = %id, from = %from, version = %new_version, vendor = %signer.vendor, key = signer.key.as_deref().map(fingerprint), organizations = migrated.len(), actor, "module upgraded");
        Ok(Installed {
            id,
            version: package.version,
            signer,
            binding,
            upgraded_from: Some(from),
            migrated,
            module,
        })
    }

    /// Snapshots the module's records, then migrates every organization
    /// with its data and records the new version and its signer (and an
    /// approved change of vendor in the platform's chain), in one
    /// transaction, returned uncommitted.
    async fn migrate(
        &self,
        services: &Arc<PlatformServices>,
        module: &LoadedModule,
        (from, to): (&str, &str),
        (signer, binding): (&Signer, &Binding),
        actor: &str,
    ) -> Result<(Arc<Migration>, Snapshot, Vec<String>), LifecycleError> {
        let id = module.id().to_owned();
        let db = services.platform().db();
        let orgs = organizations_of(db, &id).await.map_err(failed)?;
        let scope = |org: &str| Scope {
            org_id: org.to_owned(),
            module_id: id.clone(),
            actor: actor.to_owned(),
        };
        let migration = Arc::new(services.begin_migration(scope("")).await.map_err(failed)?);
        let work = migration.take().map_err(failed)?;
        let snapshot = work.snapshot_records(&id).await.map_err(failed)?;
        migration.put(work);
        for org in &orgs {
            let ctx = CallContext {
                org_id: org.clone(),
                principal: None,
                request_id: format!("upgrade-{id}-{to}"),
                locale: "en".into(),
            };
            if let Err(e) = module.migrate(&ctx, from, migration.clone()).await {
                let name = organizations::get(db, org)
                    .await
                    .ok()
                    .flatten()
                    .map_or_else(|| org.clone(), |o| format!("{} ({org})", o.name));
                tracing::warn!(module = %id, from, to, org = %org, error = %e.kind, "migration failed; the older version keeps serving");
                return Err(LifecycleError::Refused(format!(
                    "the migration of {id} from {from} to {to} failed in {name}: {}; \
                     nothing was changed and {from} keeps serving",
                    why(&e.kind)
                )));
            }
            let mut work = migration.take().map_err(failed)?;
            work.enter(scope(org));
            let detail = serde_json::json!({ "from": from, "to": to });
            work.audit("module.upgrade", &id, detail)
                .await
                .map_err(failed)?;
            migration.put(work);
        }
        let mut work = migration.take().map_err(failed)?;
        if let Binding::Changed(previous) = binding {
            audit_vendor_change(&mut work, actor, &id, previous, signer, Some(from), to)
                .await
                .map_err(failed)?;
        }
        work.record_installation(&id, to, Some(signer))
            .await
            .map_err(failed)?;
        migration.put(work);
        Ok((migration, snapshot, orgs))
    }

    /// Returns `module_id` to the version before its last upgrade, and its
    /// records to what they were then. Refuses when records were written
    /// since, unless `discard_changes`.
    pub async fn rollback(
        &self,
        services: &Arc<PlatformServices>,
        module_id: &str,
        discard_changes: bool,
        actor: &str,
    ) -> Result<RolledBack, LifecycleError> {
        let _busy = self.busy.lock().await;
        let previous_dir = self.previous_dir(module_id);
        let Some(previous) = self.previous(module_id) else {
            return Err(LifecycleError::Refused(format!(
                "{module_id} has no earlier version to return to: it was not upgraded on this host, \
                 or it was rolled back already"
            )));
        };
        let target = self.modules_dir.join(module_id);
        let current = Manifest::from_file(&target.join(MANIFEST_FILE))
            .map_err(|e| LifecycleError::Refused(format!("{module_id} is not installed: {e}")))?;
        let snapshot: Snapshot = read_json(&previous_dir.join(SNAPSHOT_FILE))?;
        let older = self.load(&previous_dir.join("module")).await?;
        let db = services.platform().db();
        let discarded = records::changed_since(db, module_id, previous.upgraded_at_micros)
            .await
            .map_err(failed)?;
        if discarded > 0 && !discard_changes {
            return Err(LifecycleError::Refused(format!(
                "{discarded} record(s) of {module_id} were written since the upgrade to {}; rolling back \
                 returns every record to its state before the upgrade and discards them. \
                 Confirm that you want this to roll back.",
                previous.upgraded_to
            )));
        }
        drop(older);

        let _gate = Upgrading::start(self, module_id);
        let orgs = organizations_of(db, module_id).await.map_err(failed)?;
        let from = current.version.to_string();
        let mut work = services
            .platform()
            .begin_upgrade(Scope {
                org_id: String::new(),
                module_id: module_id.to_owned(),
                actor: actor.to_owned(),
            })
            .await
            .map_err(failed)?;
        work.restore_records(&snapshot).await.map_err(failed)?;
        for org in &orgs {
            work.enter(Scope {
                org_id: org.clone(),
                module_id: module_id.to_owned(),
                actor: actor.to_owned(),
            });
            let detail = serde_json::json!({
                "from": from, "to": previous.version, "discarded": discarded,
            });
            work.audit("module.rollback", module_id, detail)
                .await
                .map_err(failed)?;
        }
        work.record_installation(module_id, &previous.version, previous.signer.as_ref())
            .await
            .map_err(failed)?;
        work.commit().await.map_err(failed)?;

        // The newer version is dropped; the older one serves again.
        let discard = self.data_dir.join("staging").join(format!(
            "{module_id}-{from}-rolled-back-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(self.data_dir.join("staging"))
            .map_err(io("create", &self.data_dir.join("staging")))?;
        std::fs::rename(&target, &discard).map_err(io("move aside", &target))?;
        std::fs::rename(previous_dir.join("module"), &target)
            .map_err(io("move the older version into", &target))?;
        let _ = std::fs::remove_dir_all(&discard);
        let _ = std::fs::remove_dir_all(&previous_dir);
        let module = self.load(&target).await?;
        tracing::info!(module = %module_id, from = %from, to = %previous.version, discarded, actor, "module rolled back");
        Ok(RolledBack {
            id: module_id.to_owned(),
            from,
            to: previous.version,
            discarded,
            module,
        })
    }
}

/// Puts back the older version of every module whose upgrade was cut off
/// (the process stopped) after its folders moved but before its
/// transaction committed: the database still records the older version
/// and holds its records, so the older code must serve them. Run before
/// the modules folder is read. Returns the modules put back.
pub async fn recover_interrupted_upgrades(
    db: &sea_orm::DatabaseConnection,
    modules_dir: &Path,
    data_dir: &Path,
) -> Result<Vec<String>, LifecycleError> {
    let mut recovered = Vec::new();
    let Ok(entries) = std::fs::read_dir(data_dir.join(PREVIOUS_DIR)) else {
        return Ok(recovered);
    };
    for entry in entries.flatten() {
        let id = entry.file_name().to_string_lossy().into_owned();
        let Ok(previous) = read_json::<Previous>(&entry.path().join(UPGRADE_FILE)) else {
            continue;
        };
        let recorded = modules::installation(db, &id).await.map_err(failed)?;
        let on_disk = Manifest::from_file(&modules_dir.join(&id).join(MANIFEST_FILE))
            .ok()
            .map(|m| m.version.to_string());
        let cut_off = recorded.is_some_and(|r| r.version == previous.version)
            && on_disk.as_deref() == Some(previous.upgraded_to.as_str())
            && entry.path().join("module").exists();
        if !cut_off {
            continue;
        }
        let target = modules_dir.join(&id);
        let aside = data_dir.join("staging").join(format!(
            "{id}-{}-interrupted-{}",
            previous.upgraded_to,
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(data_dir.join("staging"))
            .map_err(io("create", &data_dir.join("staging")))?;
        std::fs::rename(&target, &aside).map_err(io("move aside", &target))?;
        std::fs::rename(entry.path().join("module"), &target)
            .map_err(io("put back the older version into", &target))?;
        let _ = std::fs::remove_dir_all(&aside);
        let _ = std::fs::remove_dir_all(entry.path());
        tracing::warn!(module = %id, version = %previous.version, cut_off = %previous.upgraded_to, "an upgrade was cut off before it committed; the older version serves again");
        recovered.push(id);
    }
    Ok(recovered)
}

/// What went wrong in a call, in full: a refusal's field messages too.
fn why(kind: &CallErrorKind) -> String {
    match kind {
        CallErrorKind::Module(ModuleError::Invalid(fields)) => fields
            .iter()
            .map(|f| format!("`{}`: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn failed(e: portico_platform::PlatformError) -> LifecycleError {
    LifecycleError::Refused(e.to_string())
}

/// Writes an approved change of `module_id`'s vendor into the platform's
/// chain, as the host's entry, with the work that makes it.
async fn audit_vendor_change(
    work: &mut portico_platform::Work,
    actor: &str,
    module_id: &str,
    from: &Signer,
    to: &Signer,
    from_version: Option<&str>,
    version: &str,
) -> Result<(), portico_platform::PlatformError> {
    let signer = |s: &Signer| {
        serde_json::json!({
            "vendor": s.vendor,
            "key": s.key,
            "fingerprint": s.key.as_deref().map(fingerprint),
        })
    };
    let detail = serde_json::json!({
        "from": signer(from),
        "to": signer(to),
        "from_version": from_version,
        "version": version,
    });
    work.enter(Scope {
        org_id: audit::PLATFORM_CHAIN.to_owned(),
        module_id: audit::HOST.to_owned(),
        actor: actor.to_owned(),
    });
    work.audit("module.vendor-change", module_id, detail)
        .await
        .map(drop)
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

/// A staging folder, removed unless kept.
struct Staged(PathBuf);

impl Staged {
    fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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
