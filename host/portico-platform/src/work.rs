//! One module call's unit of work: everything the call writes (records,
//! audit entries, events, notifications, files) commits together when the call succeeds, and
//! nothing of it when the call fails or traps.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, TransactionTrait};
use tokio::sync::{Mutex, OnceCell, OwnedMutexGuard};

use crate::files::{self, FileInfo, FileStore, NewFile};
use crate::notifications::{self, Notification, Outgoing};
use crate::records::{self, CollectionSchema, Filter, Group, Page, Query, Record, Scope, Snapshot};
use crate::{PlatformError, audit, connections, events, messages, modules, organizations};

/// The platform services over one database, shared by every call.
#[derive(Clone)]
pub struct Platform {
    db: DatabaseConnection,
    /// SQLite has one writer: calls that write take turns here instead of
    /// failing with "database is locked" halfway through.
    writer: Option<Arc<Mutex<()>>>,
    subscriptions: Arc<RwLock<HashMap<String, Vec<String>>>>,
    files: FileStore,
    waits: Arc<Waits>,
    reads: records::ReadCache,
}

/// What units of work waited for, counted for metrics.
#[derive(Default)]
struct Waits {
    /// Units of work waiting for the SQLite writer now.
    writer_queue: AtomicUsize,
    /// Units of work begun.
    begun: AtomicU64,
    /// Time spent waiting to begin them (a connection, the writer), in µs.
    waited_micros: AtomicU64,
}

/// A place in a counted queue, given back however the wait ends (a
/// caller that went away included).
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn join(queue: &'a AtomicUsize) -> Queued<'a> {
        queue.fetch_add(1, Ordering::Relaxed);
        Queued(queue)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The database pool and its queues now, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolFigures {
    /// Connections the pool may open.
    pub max_connections: u32,
    /// Connections open.
    pub open: u32,
    /// Open connections in use.
    pub in_use: u32,
    /// Writing units of work waiting for SQLite's one writer.
    pub writer_queue: usize,
    /// Units of work begun since the host started.
    pub begun: u64,
    /// Microseconds they waited, in total, for a connection or the writer.
    pub waited_micros: u64,
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
            waits: Arc::default(),
            reads: records::ReadCache::default(),
        }
    }

    /// The pool and its queues now.
    pub fn pool_figures(&self) -> PoolFigures {
        let (open, idle) = match self.db.get_database_backend() {
            DbBackend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            DbBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => (0, 0),
        };
        PoolFigures {
            max_connections: crate::POOL_CONNECTIONS,
            open,
            in_use: open.saturating_sub(u32::try_from(idle).unwrap_or(u32::MAX)),
            writer_queue: self.waits.writer_queue.load(Ordering::Relaxed),
            begun: self.waits.begun.load(Ordering::Relaxed),
            waited_micros: self.waits.waited_micros.load(Ordering::Relaxed),
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
        let asked = Instant::now();
        let guard = match (&self.writer, writable) {
            (Some(w), true) => {
                let _queued = Queued::join(&self.waits.writer_queue);
                Some(w.clone().lock_owned().await)
            }
            _ => None,
        };
        self.waits.begun.fetch_add(1, Ordering::Relaxed);
        // A reading work begins its transaction at its first statement
        // that the read cache does not answer, if any.
        let txn = OnceCell::new();
        if writable {
            let begun = crate::begin_write(&self.db).await?;
            if let Some(lock) = lock
                && !scope.module_id.is_empty()
                && self.db.get_database_backend() == DbBackend::Postgres
            {
                lock.take(&begun, &scope.module_id).await?;
            }
            txn.set(begun).ok();
        }
        self.waited(asked);
        Ok(Work {
            txn,
            scope,
            writable,
            platform: self.clone(),
            chains: Mutex::default(),
            known: OnceCell::new(),
            _writer: guard,
        })
    }

    fn waited(&self, since: Instant) {
        self.waits.waited_micros.fetch_add(
            u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
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
    txn: OnceCell<DatabaseTransaction>,
    scope: Scope,
    writable: bool,
    platform: Platform,
    /// The audit chains this work appended to, open until it commits: a
    /// head is read once and written once however many writes the work
    /// makes (a migration may make hundreds of thousands).
    chains: Mutex<HashMap<String, audit::Chain>>,
    /// A reading work's collections, read once in one statement: with
    /// them, a page or figure read before costs no further statement.
    known: OnceCell<records::Known>,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl Work {
    /// The work's transaction, begun now if it was not yet.
    async fn txn(&self) -> Result<&DatabaseTransaction, PlatformError> {
        self.txn
            .get_or_try_init(|| async {
                let asked = Instant::now();
                let txn = self.platform.db.begin().await?;
                self.platform.waited(asked);
                Ok(txn)
            })
            .await
    }

    /// The read cache with what this reading work knows of its
    /// collections; `None` for a work that writes, which would not see its
    /// own writes in the cache.
    async fn cache(&self) -> Result<Option<(&records::ReadCache, &records::Known)>, PlatformError> {
        if self.writable {
            return Ok(None);
        }
        // Read before the transaction begins, if it has not: a page read
        // later in it is at least as new as the generation it is kept
        // under, never older. Once it has begun, read in it, so that a
        // work never holds one connection while it waits for another.
        let known = self
            .known
            .get_or_try_init(|| async {
                match self.txn.get() {
                    Some(txn) => records::Known::read(txn, &self.scope).await,
                    None => records::Known::read(&self.platform.db, &self.scope).await,
                }
            })
            .await?;
        Ok(Some((&self.platform.reads, known)))
    }

    /// The open chain of the work's organization, opened on first use.
    async fn chain(
        &self,
    ) -> Result<tokio::sync::MappedMutexGuard<'_, audit::Chain>, PlatformError> {
        let mut chains = self.chains.lock().await;
        if !chains.contains_key(&self.scope.org_id) {
            let chain = audit::Chain::open(self.txn().await?, &self.scope.org_id).await?;
            chains.insert(self.scope.org_id.clone(), chain);
        }
        let org = self.scope.org_id.clone();
        Ok(tokio::sync::MutexGuard::map(chains, move |c| {
            c.get_mut(&org).expect("opened above")
        }))
    }

    /// Writes the open chains' entries and heads, so that a write outside
    /// them in this transaction continues from where they are.
    async fn close_chains(&self) -> Result<(), PlatformError> {
        let chains = std::mem::take(&mut *self.chains.lock().await);
        for chain in chains.into_values() {
            chain.close(self.txn().await?).await?;
        }
        Ok(())
    }

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
        records::get(self.txn().await?, &self.scope, c, id).await
    }

    /// See [`records::insert`].
    pub async fn insert(&self, c: &CollectionSchema, json: &str) -> Result<Record, PlatformError> {
        self.writing()?;
        let mut chain = self.chain().await?;
        records::insert_chained(self.txn().await?, &self.scope, c, json, &mut chain).await
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
        let mut chain = self.chain().await?;
        records::update_chained(
            self.txn().await?,
            &self.scope,
            c,
            id,
            expected_version,
            json,
            &mut chain,
        )
        .await
    }

    /// See [`records::delete`].
    pub async fn delete(
        &self,
        c: &CollectionSchema,
        id: &str,
        expected_version: i64,
    ) -> Result<(), PlatformError> {
        self.writing()?;
        let mut chain = self.chain().await?;
        records::delete_chained(
            self.txn().await?,
            &self.scope,
            c,
            id,
            expected_version,
            &mut chain,
        )
        .await
    }

    /// See [`records::query`].
    pub async fn query(&self, c: &CollectionSchema, q: &Query) -> Result<Page, PlatformError> {
        let cache = self.cache().await?;
        if let Some(page) = cache.and_then(|(reads, known)| reads.page(known, c, q)) {
            return Ok(page);
        }
        records::query_cached(self.txn().await?, &self.scope, c, q, cache).await
    }

    /// See [`records::aggregate`].
    pub async fn aggregate(
        &self,
        c: &CollectionSchema,
        filters: &[Filter],
        group_by: &str,
        sum: Option<&str>,
    ) -> Result<Vec<Group>, PlatformError> {
        let cache = self.cache().await?;
        if let Some(groups) =
            cache.and_then(|(reads, known)| reads.groups(known, c, filters, group_by, sum))
        {
            return Ok(groups);
        }
        let txn = self.txn().await?;
        records::aggregate(txn, &self.scope, c, filters, group_by, sum, cache).await
    }

    /// Appends an entry to the organization's audit chain.
    pub async fn audit(
        &self,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<audit::Entry, PlatformError> {
        self.writing()?;
        let mut chain = self.chain().await?;
        let entry = chain.push(audit::Event {
            actor: self.scope.actor.clone(),
            module: self.scope.module_id.clone(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            detail,
        });
        chain.write_if_full(self.txn().await?).await?;
        Ok(entry)
    }

    /// Puts an event in the outbox, for every module enabled in the
    /// organization that subscribes to `topic`.
    pub async fn publish(&self, topic: &str, payload: &str) -> Result<i64, PlatformError> {
        self.writing()?;
        let subscribers = self.platform.subscribers(topic);
        events::publish(self.txn().await?, &self.scope, topic, payload, &subscribers).await
    }

    /// The line of the work's organization in the tree, and the
    /// organizations of it where the work's module is enabled.
    pub async fn line(
        &self,
    ) -> Result<(organizations::Line, std::collections::HashSet<String>), PlatformError> {
        let txn = self.txn().await?;
        let line = organizations::line(txn, &self.scope.org_id)
            .await?
            .ok_or_else(|| {
                PlatformError::NotFound(format!("no organization `{}`", self.scope.org_id))
            })?;
        let enabled = modules::enabled_in(txn, &self.scope.module_id).await?;
        Ok((line, enabled))
    }

    /// The active users of the work's organization who hold one of `roles`
    /// (roles of the work's module, qualified), as (id, name) by name.
    pub async fn holders(&self, roles: &[String]) -> Result<Vec<(String, String)>, PlatformError> {
        crate::identity::roles::holders(self.txn().await?, &self.scope.org_id, roles).await
    }

    /// The current addresses matching `query` (see [`crate::addresses::search`]).
    pub async fn search_addresses(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<crate::addresses::Address>, PlatformError> {
        crate::addresses::search(self.txn().await?, query, limit).await
    }

    /// The current address nearest to a position, and how far it is.
    pub async fn nearest_address(
        &self,
        latitude: f64,
        longitude: f64,
    ) -> Result<Option<(crate::addresses::Address, f64)>, PlatformError> {
        crate::addresses::nearest(self.txn().await?, latitude, longitude).await
    }

    /// The address with `code`, retired or not.
    pub async fn address(
        &self,
        code: i64,
    ) -> Result<Option<crate::addresses::Address>, PlatformError> {
        crate::addresses::by_code(self.txn().await?, code).await
    }

    /// Sends a message of the work's module to `to_org`, which the caller
    /// checked is in the line and has the module enabled, and records it
    /// in the sender's audit chain with the payload's hash.
    pub async fn send_message(
        &self,
        to_org: &str,
        kind: &str,
        payload: &str,
    ) -> Result<messages::Message, PlatformError> {
        self.writing()?;
        let m = messages::send(
            self.txn().await?,
            &self.scope.module_id,
            &self.scope.org_id,
            to_org,
            kind,
            payload,
        )
        .await?;
        self.audit(
            "message.sent",
            &m.id.to_string(),
            serde_json::json!({
                "to": to_org,
                "kind": kind,
                "payload_sha256": m.payload_sha256,
            }),
        )
        .await?;
        Ok(m)
    }

    /// Hands `request` over for delivery through the work's module's
    /// `connection`, which must be set up in the organization, under
    /// `key` (or a fresh one); a key handed over before gives that
    /// delivery back. A new one is recorded in the audit chain with the
    /// body's hash.
    pub async fn queue_delivery(
        &self,
        connection: &str,
        key: Option<&str>,
        request: &connections::Outgoing,
    ) -> Result<connections::Delivery, PlatformError> {
        self.writing()?;
        let (org, module) = (&self.scope.org_id, &self.scope.module_id);
        if connections::get(self.txn().await?, org, module, connection)
            .await?
            .is_none()
        {
            return Err(PlatformError::Forbidden(format!(
                "the connection `{connection}` is not set up in this organization: its \
                 administrator sets it up in the console"
            )));
        }
        let key = key.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
        let (d, new) =
            connections::queue(self.txn().await?, org, module, connection, &key, request).await?;
        if new {
            self.audit(
                "delivery.queued",
                connection,
                serde_json::json!({
                    "delivery": d.id,
                    "key": key,
                    "method": request.method,
                    "path": request.path,
                    "body_sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&request.body)),
                }),
            )
            .await?;
        }
        Ok(d)
    }

    /// The delivery `id` of the work's module in its organization.
    pub async fn delivery(&self, id: i64) -> Result<Option<connections::Delivery>, PlatformError> {
        connections::get_delivery(
            self.txn().await?,
            &self.scope.org_id,
            &self.scope.module_id,
            id,
        )
        .await
    }

    /// Notes that the work's module received the webhook message `id`
    /// through `connection` and records it in the audit chain with the
    /// body's hash; `false` when it had been received before.
    pub async fn receive_webhook(
        &self,
        connection: &str,
        id: &str,
        body: &[u8],
    ) -> Result<bool, PlatformError> {
        self.writing()?;
        let first = connections::receive_webhook(
            self.txn().await?,
            &self.scope.org_id,
            &self.scope.module_id,
            connection,
            id,
        )
        .await?;
        if first {
            self.audit(
                "webhook.received",
                connection,
                serde_json::json!({
                    "webhook_id": id,
                    "body_sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body)),
                }),
            )
            .await?;
        }
        Ok(first)
    }

    /// Notes that the work's module received message `id` in the work's
    /// organization and records it in the receiver's audit chain; `false`
    /// when it had been received before.
    pub async fn receive_message(
        &self,
        id: i64,
        from_org: &str,
        kind: &str,
        payload: &str,
    ) -> Result<bool, PlatformError> {
        self.writing()?;
        let first = messages::receive(
            self.txn().await?,
            &self.scope.org_id,
            &self.scope.module_id,
            id,
        )
        .await?;
        if first {
            self.audit(
                "message.received",
                &id.to_string(),
                serde_json::json!({
                    "from": from_org,
                    "kind": kind,
                    "payload_sha256": messages::payload_hash(payload),
                }),
            )
            .await?;
        }
        Ok(first)
    }

    /// Queues a rendered notification; it goes out once the work commits.
    pub async fn notify(&self, out: Outgoing) -> Result<String, PlatformError> {
        self.writing()?;
        notifications::enqueue(self.txn().await?, &self.scope, out).await
    }

    /// The language `user_id` reads the portal in, if they chose one.
    pub async fn language_of(&self, user_id: &str) -> Result<Option<String>, PlatformError> {
        crate::identity::users::language(self.txn().await?, user_id).await
    }

    /// Where a message to `user_id` goes besides their inbox: their e-mail
    /// and their phone, each when they asked for it.
    pub async fn notice_copies_of(
        &self,
        user_id: &str,
    ) -> Result<crate::identity::users::NoticeCopies, PlatformError> {
        crate::identity::users::notice_copies(self.txn().await?, user_id).await
    }

    /// A notification the module sent earlier, with its delivery status.
    pub async fn notification(&self, id: &str) -> Result<Notification, PlatformError> {
        notifications::get(self.txn().await?, &self.scope, id).await
    }

    /// Stores a file (audited as `file.store`).
    pub async fn put_file(&self, f: NewFile<'_>) -> Result<FileInfo, PlatformError> {
        self.writing()?;
        let info = files::put(self.txn().await?, &self.platform.files, &self.scope, f).await?;
        self.file_audit("file.store", &info).await?;
        Ok(info)
    }

    /// What is known of a file.
    pub async fn file_info(&self, id: &str) -> Result<FileInfo, PlatformError> {
        files::info(self.txn().await?, &self.scope, id).await
    }

    /// A file's content, checked against its hash.
    pub async fn read_file(&self, id: &str) -> Result<(FileInfo, Vec<u8>), PlatformError> {
        files::read(self.txn().await?, &self.platform.files, &self.scope, id).await
    }

    /// Deletes a file past its retention period (audited as `file.delete`).
    pub async fn delete_file(&self, id: &str) -> Result<(), PlatformError> {
        self.writing()?;
        let info = files::delete(self.txn().await?, &self.scope, id).await?;
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
        self.known = OnceCell::new();
    }

    /// See [`records::snapshot`].
    pub async fn snapshot_records(&self, module_id: &str) -> Result<Snapshot, PlatformError> {
        records::snapshot(self.txn().await?, module_id).await
    }

    /// See [`records::restore`].
    pub async fn restore_records(&self, snapshot: &Snapshot) -> Result<(), PlatformError> {
        self.writing()?;
        self.close_chains().await?;
        records::restore(self.txn().await?, snapshot).await
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
        self.close_chains().await?;
        modules::install_signed(self.txn().await?, module_id, version, signer).await
    }

    /// Makes every write of the work durable.
    pub async fn commit(self) -> Result<(), PlatformError> {
        self.close_chains().await?;
        match self.txn.into_inner() {
            Some(txn) => Ok(txn.commit().await?),
            None => Ok(()),
        }
    }
}
