//! One module call's unit of work: everything the call writes (records,
//! audit entries, events, notifications, files) commits together when the call succeeds, and
//! nothing of it when the call fails or traps.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, TransactionTrait};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::files::{self, FileInfo, FileStore, NewFile};
use crate::notifications::{self, Notification, Outgoing};
use crate::records::{self, CollectionSchema, Filter, Group, Page, Query, Record, Scope, Snapshot};
use crate::{PlatformError, audit, events, modules};

/// The platform services over one database, shared by every call.
#[derive(Clone)]
pub struct Platform {
    db: DatabaseConnection,
    /// SQLite has one writer: calls that write take turns here instead of
    /// failing with "database is locked" halfway through.
    writer: Option<Arc<Mutex<()>>>,
    subscriptions: Arc<RwLock<HashMap<String, Vec<String>>>>,
    files: FileStore,
}

impl Platform {
    /// The services over `db`, keeping file content in `files`.
    pub fn new(db: DatabaseConnection, files: FileStore) -> Platform {
        let writer = (db.get_database_backend() == DbBackend::Sqlite).then(Default::default);
        Platform {
            db,
            writer,
            subscriptions: Arc::default(),
            files,
        }
    }

    /// The database.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Where file content is kept.
    pub fn files(&self) -> &FileStore {
        &self.files
    }

    /// Which modules subscribe to which topics (from their manifests).
    pub fn set_subscriptions(&self, by_topic: HashMap<String, Vec<String>>) {
        if let Ok(mut s) = self.subscriptions.write() {
            *s = by_topic;
        }
    }

    fn subscribers(&self, topic: &str) -> Vec<String> {
        self.subscriptions
            .read()
            .ok()
            .and_then(|s| s.get(topic).cloned())
            .unwrap_or_default()
    }

    /// Starts a unit of work for `scope`. A read-only one refuses writes.
    pub async fn begin(&self, scope: Scope, writable: bool) -> Result<Work, PlatformError> {
        let lock = writable.then_some(ModuleLock::Shared);
        self.begin_locked(scope, writable, lock).await
    }

    /// Starts the unit of work of a module's upgrade or rollback: it waits
    /// for the module's writing calls in flight, and holds off new ones
    /// until it ends, in every process over the database. (On SQLite, one
    /// writer at a time holds anyway.)
    pub async fn begin_upgrade(&self, scope: Scope) -> Result<Work, PlatformError> {
        self.begin_locked(scope, true, Some(ModuleLock::Exclusive))
            .await
    }

    async fn begin_locked(
        &self,
        scope: Scope,
        writable: bool,
        lock: Option<ModuleLock>,
    ) -> Result<Work, PlatformError> {
        let guard = match (&self.writer, writable) {
            (Some(w), true) => Some(w.clone().lock_owned().await),
            _ => None,
        };
        let txn = if writable {
            crate::begin_write(&self.db).await?
        } else {
            self.db.begin().await?
        };
        if let Some(lock) = lock
            && !scope.module_id.is_empty()
            && self.db.get_database_backend() == DbBackend::Postgres
        {
            lock.take(&txn, &scope.module_id).await?;
        }
        Ok(Work {
            txn,
            scope,
            writable,
            platform: self.clone(),
            _writer: guard,
        })
    }
}

/// A transaction-scoped PostgreSQL advisory lock on one module: writing
/// calls share it, an upgrade or rollback holds it alone.
#[derive(Debug, Clone, Copy)]
enum ModuleLock {
    Shared,
    Exclusive,
}

/// The advisory lock space of module locks (`PORT` in ASCII).
const MODULE_LOCKS: i32 = 0x504F_5254;

impl ModuleLock {
    async fn take(self, txn: &DatabaseTransaction, module_id: &str) -> Result<(), PlatformError> {
        use sea_orm::{ConnectionTrait, Statement};
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(module_id.as_bytes());
        let key = i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        let function = match self {
            ModuleLock::Shared => "pg_advisory_xact_lock_shared",
            ModuleLock::Exclusive => "pg_advisory_xact_lock",
        };
        txn.query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT {function}($1, $2)"),
            [MODULE_LOCKS.into(), key.into()],
        ))
        .await?;
        Ok(())
    }
}

/// One call's reads and writes, in one transaction.
pub struct Work {
    txn: DatabaseTransaction,
    scope: Scope,
    writable: bool,
    platform: Platform,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl Work {
    fn writing(&self) -> Result<(), PlatformError> {
        if self.writable {
            Ok(())
        } else {
            Err(PlatformError::Forbidden(
                "this call only reads: pages and GET requests cannot change data; \
                 write in a form submission or a POST request"
                    .into(),
            ))
        }
    }

    /// See [`records::get`].
    pub async fn get(&self, c: &CollectionSchema, id: &str) -> Result<Record, PlatformError> {
        records::get(&self.txn, &self.scope, c, id).await
    }

    /// See [`records::insert`].
    pub async fn insert(&self, c: &CollectionSchema, json: &str) -> Result<Record, PlatformError> {
        self.writing()?;
        records::insert(&self.txn, &self.scope, c, json).await
    }

    /// See [`records::update`].
    pub async fn update(
        &self,
        c: &CollectionSchema,
        id: &str,
        expected_version: i64,
        json: &str,
    ) -> Result<Record, PlatformError> {
        self.writing()?;
        records::update(&self.txn, &self.scope, c, id, expected_version, json).await
    }

    /// See [`records::delete`].
    pub async fn delete(
        &self,
        c: &CollectionSchema,
        id: &str,
        expected_version: i64,
    ) -> Result<(), PlatformError> {
        self.writing()?;
        records::delete(&self.txn, &self.scope, c, id, expected_version).await
    }

    /// See [`records::query`].
    pub async fn query(&self, c: &CollectionSchema, q: &Query) -> Result<Page, PlatformError> {
        records::query(&self.txn, &self.scope, c, q).await
    }

    /// See [`records::aggregate`].
    pub async fn aggregate(
        &self,
        c: &CollectionSchema,
        filters: &[Filter],
        group_by: &str,
        sum: Option<&str>,
    ) -> Result<Vec<Group>, PlatformError> {
        records::aggregate(&self.txn, &self.scope, c, filters, group_by, sum).await
    }

    /// Appends an entry to the organization's audit chain.
    pub async fn audit(
        &self,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<audit::Entry, PlatformError> {
        self.writing()?;
        audit::append(
            &self.txn,
            &self.scope.org_id,
            audit::Event {
                actor: self.scope.actor.clone(),
                module: self.scope.module_id.clone(),
                action: action.to_owned(),
                subject: subject.to_owned(),
                detail,
            },
        )
        .await
    }

    /// Puts an event in the outbox, for every module enabled in the
    /// organization that subscribes to `topic`.
    pub async fn publish(&self, topic: &str, payload: &str) -> Result<i64, PlatformError> {
        self.writing()?;
        let subscribers = self.platform.subscribers(topic);
        events::publish(&self.txn, &self.scope, topic, payload, &subscribers).await
    }

    /// Queues a rendered notification; it goes out once the work commits.
    pub async fn notify(&self, out: Outgoing) -> Result<String, PlatformError> {
        self.writing()?;
        notifications::enqueue(&self.txn, &self.scope, out).await
    }

    /// A notification the module sent earlier, with its delivery status.
    pub async fn notification(&self, id: &str) -> Result<Notification, PlatformError> {
        notifications::get(&self.txn, &self.scope, id).await
    }

    /// Stores a file (audited as `file.store`).
    pub async fn put_file(&self, f: NewFile<'_>) -> Result<FileInfo, PlatformError> {
        self.writing()?;
        let info = files::put(&self.txn, &self.platform.files, &self.scope, f).await?;
        self.file_audit("file.store", &info).await?;
        Ok(info)
    }

    /// What is known of a file.
    pub async fn file_info(&self, id: &str) -> Result<FileInfo, PlatformError> {
        files::info(&self.txn, &self.scope, id).await
    }

    /// A file's content, checked against its hash.
    pub async fn read_file(&self, id: &str) -> Result<(FileInfo, Vec<u8>), PlatformError> {
        files::read(&self.txn, &self.platform.files, &self.scope, id).await
    }

    /// Deletes a file past its retention period (audited as `file.delete`).
    pub async fn delete_file(&self, id: &str) -> Result<(), PlatformError> {
        self.writing()?;
        let info = files::delete(&self.txn, &self.scope, id).await?;
        self.file_audit("file.delete", &info).await
    }

    async fn file_audit(&self, action: &str, info: &FileInfo) -> Result<(), PlatformError> {
        let detail = serde_json::json!({
            "name": info.name,
            "sha256": info.sha256,
            "size": info.size,
            "retention": info.mark.letter(),
        });
        self.audit(action, &info.id, detail).await.map(drop)
    }

    /// Moves the work on to another organization's (or module's) data. An
    /// upgrade migrates every organization in one work, so that a failure
    /// in any of them undoes them all.
    pub fn enter(&mut self, scope: Scope) {
        self.scope = scope;
    }

    /// See [`records::snapshot`].
    pub async fn snapshot_records(&self, module_id: &str) -> Result<Snapshot, PlatformError> {
        records::snapshot(&self.txn, module_id).await
    }

    /// See [`records::restore`].
    pub async fn restore_records(&self, snapshot: &Snapshot) -> Result<(), PlatformError> {
        self.writing()?;
        records::restore(&self.txn, snapshot).await
    }

    /// Records `version` of `module_id`, signed by `signer`, as the
    /// installed one, with the rest of the work (see
    /// [`modules::install_signed`]).
    pub async fn record_installation(
        &self,
        module_id: &str,
        version: &str,
        signer: Option<&modules::Signer>,
    ) -> Result<modules::Installation, PlatformError> {
        self.writing()?;
        modules::install_signed(&self.txn, module_id, version, signer).await
    }

    /// Makes every write of the work durable.
    pub async fn commit(self) -> Result<(), PlatformError> {
        Ok(self.txn.commit().await?)
    }
}
