//! Installing a module from a package, and upgrading an installed one:
//! the package checked against the trust store and the module's signer,
//! unpacked and loaded in a staging folder; for an upgrade, the records'
//! snapshot and every organization's `migrate` in one transaction, the
//! older version kept for a rollback, and the folders put back should the
//! commit fail.

use std::path::PathBuf;
use std::sync::Arc;

use portico_package::{Package, TrustStore};
use portico_platform::modules::Signer;
use portico_platform::records::{Scope, Snapshot};
use portico_platform::{audit, modules, organizations};
use portico_runtime::api::{CallContext, ModuleError};
use portico_runtime::manifest::{MANIFEST_FILE, Manifest};
use portico_runtime::{CallErrorKind, LoadedModule};

use super::vendors::{audit_vendor_change, fingerprint};
use super::{
    Binding, Installed, Installer, LifecycleError, Previous, SNAPSHOT_FILE, UPGRADE_FILE,
    Upgrading, VendorApproval, VendorChange, failed, io, organizations_of, write_json,
};
use crate::services::{Migration, PlatformServices};

impl Installer {
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
