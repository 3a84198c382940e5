//! Rolling a module back to the version before its last upgrade, with
//! its records as they were then, and putting back, at start, an upgrade
//! the process was stopped in before it committed.

use std::path::Path;
use std::sync::Arc;

use portico_platform::records::{Scope, Snapshot};
use portico_platform::{modules, records};
use portico_runtime::manifest::{MANIFEST_FILE, Manifest};

use super::{
    Installer, LifecycleError, PREVIOUS_DIR, Previous, RolledBack, SNAPSHOT_FILE, UPGRADE_FILE,
    Upgrading, failed, io, organizations_of, read_json,
};
use crate::services::PlatformServices;

impl Installer {
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
