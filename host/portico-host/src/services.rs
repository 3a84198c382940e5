//! The platform behind the modules' host interfaces, and which modules each
//! organization has enabled. Enablement and settings are read per request,
//! so they are cached for a few seconds per organization. A change made
//! through this process is seen at once; on PostgreSQL one made by another
//! replica or the CLI is too (LISTEN/NOTIFY), and on SQLite within
//! [`ENABLEMENT_TTL`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use portico_platform::files;
use portico_platform::modules::{self, Change, Enablement};
use portico_platform::notifications::{self, Channel, Outgoing};
use portico_platform::records::{self, CollectionSchema, FieldType, IndexedField, Scope};
use portico_platform::{Platform, PlatformError, Work, organizations, pages};
use portico_runtime::api::{FieldError, ModuleError};
use portico_runtime::backend::{
    self, CallScope, CollectionRef, Delivery, DeliveryStatus, Document, DocumentGroup,
    DocumentPage, FileInfo, Filter, Message, NewFile, Recipient, RecordQuery,
};
use portico_runtime::manifest::IndexType;

use crate::connections::{ConnectionError, ConnectionKey, Connectors};
use crate::notify::{self, Senders};
use portico_runtime::{HostServices, ModuleRegistry};

/// How long a replica may serve a stale enablement made by another one.
pub const ENABLEMENT_TTL: Duration = Duration::from_secs(5);

/// What one organization has: the modules it enabled, with their settings.
#[derive(Debug, Default)]
pub struct OrgModules {
    /// Whether the organization exists.
    pub exists: bool,
    /// Its name.
    pub name: String,
    /// Its postal address, on one line.
    pub address: Option<String>,
    /// Its contacts and office hours, as its administrator wrote them.
    pub contacts: pages::Written,
    /// Its emblem (`emblem`, a file id) and colour (`colour`).
    pub brand: pages::Written,
    /// Enabled modules by id.
    pub enabled: BTreeMap<String, Enablement>,
}

/// The platform services, shared by the web layer and every module call.
pub struct PlatformServices {
    platform: Platform,
    senders: Arc<Senders>,
    connectors: Connectors,
    orgs: moka::future::Cache<String, Arc<OrgModules>>,
    /// The portal's public address, for links in messages; set by the web
    /// layer's configuration.
    public_url: arc_swap::ArcSwapOption<String>,
}

impl PlatformServices {
    /// The services over `platform`, sending notifications with `senders`.
    pub fn new(platform: Platform, senders: Senders) -> Arc<PlatformServices> {
        Arc::new(PlatformServices {
            connectors: Connectors::new(platform.db().clone()),
            platform,
            senders: Arc::new(senders),
            orgs: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ENABLEMENT_TTL)
                .build(),
            public_url: arc_swap::ArcSwapOption::empty(),
        })
    }

    /// Makes the links in messages absolute below `url`, the portal's
    /// address as browsers reach it (none: they stay paths).
    pub fn set_public_url(&self, url: Option<&str>) {
        self.public_url.store(
            url.map(|u| u.trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty())
                .map(Arc::new),
        );
    }

    /// The platform.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// The connections to systems outside the portal.
    pub fn connectors(&self) -> &Connectors {
        &self.connectors
    }

    /// Sets the connection `key` up (organization, module, name), checked
    /// by the caller, and uses the new set-up at once on this host.
    pub async fn set_connection(
        &self,
        key: &ConnectionKey,
        setup: &portico_platform::connections::Setup,
        actor: &str,
    ) -> Result<(), PlatformError> {
        let (org, module, name) = key;
        portico_platform::connections::set(self.platform.db(), org, module, name, setup, actor)
            .await?;
        self.connectors.forget(key);
        Ok(())
    }

    /// Removes the set-up of the connection `key`.
    pub async fn remove_connection(
        &self,
        key: &ConnectionKey,
        actor: &str,
    ) -> Result<(), PlatformError> {
        let (org, module, name) = key;
        portico_platform::connections::remove(self.platform.db(), org, module, name, actor).await?;
        self.connectors.forget(key);
        Ok(())
    }

    /// The ways notifications leave the portal.
    pub fn senders(&self) -> &Senders {
        &self.senders
    }

    /// Tells the outbox which module subscribes to which topic.
    pub fn subscribe(&self, registry: &ModuleRegistry) {
        let mut by_topic: HashMap<String, Vec<String>> = HashMap::new();
        for m in registry.iter() {
            for topic in &m.manifest().subscribes {
                by_topic
                    .entry(topic.clone())
                    .or_default()
                    .push(m.id().to_owned());
            }
        }
        self.platform.set_subscriptions(by_topic);
    }

    /// What `org_id` has enabled (cached).
    pub async fn org(&self, org_id: &str) -> Result<Arc<OrgModules>, Arc<PlatformError>> {
        let db = self.platform.db().clone();
        let id = org_id.to_owned();
        self.orgs
            .try_get_with(org_id.to_owned(), async move {
                let Some(org) = organizations::get(&db, &id).await? else {
                    return Ok(Arc::new(OrgModules::default()));
                };
                let enabled = modules::enablements(&db, Some(&id), None)
                    .await?
                    .into_iter()
                    .filter(|e| e.enabled)
                    .map(|e| (e.module_id.clone(), e))
                    .collect();
                let contacts = pages::get(&db, &id, pages::OrgPage::Contacts)
                    .await?
                    .unwrap_or_default();
                let brand = pages::get(&db, &id, pages::OrgPage::Brand)
                    .await?
                    .unwrap_or_default();
                Ok(Arc::new(OrgModules {
                    exists: true,
                    name: org.name,
                    address: org.address,
                    contacts,
                    brand,
                    enabled,
                }))
            })
            .await
    }

    /// On PostgreSQL, forgets an organization's cached state as soon as any
    /// host or `portico plugin …` changes it (LISTEN/NOTIFY), instead of
    /// after [`ENABLEMENT_TTL`]. When the listening connection drops, every
    /// cached organization is forgotten, since changes meanwhile are unknown.
    /// Does nothing on SQLite, whose changes come from this host or the CLI
    /// on the same machine and are picked up within the TTL.
    pub fn follow_changes(self: &Arc<Self>) {
        use sea_orm::sqlx::postgres::PgListener;

        let db = self.platform.db();
        if db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return;
        }
        let pool = db.get_postgres_connection_pool().clone();
        let services = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut listener = loop {
                let listening = async {
                    let mut l = PgListener::connect_with(&pool).await?;
                    l.listen(modules::CHANGES_CHANNEL).await?;
                    Ok::<_, sea_orm::sqlx::Error>(l)
                };
                match listening.await {
                    Ok(l) => break l,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for enablement changes; trying again");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            };
            loop {
                let next = listener.try_recv().await;
                let Some(services) = services.upgrade() else {
                    return;
                };
                match next {
                    Ok(Some(n)) => services.orgs.invalidate(n.payload()).await,
                    Ok(None) => services.orgs.invalidate_all(),
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the enablement change listener; forgetting the cache");
                        services.orgs.invalidate_all();
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
    }

    /// Begins the one transaction of an upgrade's migration (see [`Migration`]).
    pub async fn begin_migration(
        self: &Arc<Self>,
        scope: Scope,
    ) -> Result<Migration, PlatformError> {
        let work = self.platform.begin_upgrade(scope).await?;
        Ok(Migration {
            work: Arc::new(std::sync::Mutex::new(Some(work))),
            services: self.clone(),
        })
    }

    /// Writes one of an organization's own pages (see [`pages::put`]) and
    /// forgets its cached state, whose contacts every page's footer shows.
    pub async fn write_page(
        &self,
        actor: &str,
        org_id: &str,
        page: pages::OrgPage,
        fields: BTreeMap<String, String>,
    ) -> Result<(), PlatformError> {
        pages::put(self.platform.db(), actor, org_id, page, fields).await?;
        self.orgs.invalidate(org_id).await;
        Ok(())
    }

    /// Applies an administrator's change and forgets the cached state of
    /// every organization it touched.
    pub async fn change(
        &self,
        org_id: &str,
        module_id: &str,
        change: &Change,
        actor: &str,
    ) -> Result<Vec<Enablement>, PlatformError> {
        let out = modules::change(self.platform.db(), org_id, module_id, change, actor).await?;
        for e in &out {
            self.orgs.invalidate(&e.org_id).await;
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl HostServices for PlatformServices {
    async fn setting(&self, org_id: &str, module: &str, key: &str) -> Option<String> {
        let org = self.org(org_id).await.ok()?;
        org.enabled.get(module)?.settings.get(key).cloned()
    }

    async fn begin(&self, scope: CallScope) -> Result<Box<dyn backend::Work>, ModuleError> {
        let work = self
            .platform
            .begin(
                Scope {
                    org_id: scope.org_id,
                    module_id: scope.module_id,
                    actor: scope.actor,
                },
                scope.writable,
            )
            .await
            .map_err(module_error)?;
        Ok(Box::new(CallWork {
            work,
            senders: self.senders.clone(),
            hand_back: None,
        }))
    }

    async fn audit_refusals(&self, scope: &CallScope, refusals: Vec<backend::Refusal>) {
        let scope = Scope {
            org_id: scope.org_id.clone(),
            module_id: scope.module_id.clone(),
            actor: scope.actor.clone(),
        };
        let written = async {
            let work = self.platform.begin(scope.clone(), true).await?;
            for r in refusals {
                work.audit(&r.action, &r.subject, r.detail).await?;
            }
            work.commit().await
        };
        if let Err(e) = written.await {
            tracing::error!(
                org = %scope.org_id,
                module = %scope.module_id,
                error = %e,
                "a refusal could not be written to the audit chain"
            );
        }
    }

    async fn call_connection(
        &self,
        scope: &CallScope,
        connection: &str,
        request: &backend::Outgoing,
    ) -> Result<backend::Incoming, ModuleError> {
        let key = (
            scope.org_id.clone(),
            scope.module_id.clone(),
            connection.to_owned(),
        );
        match self.connectors.send(&key, request, None).await {
            Ok(a) => Ok(backend::Incoming {
                status: a.status,
                headers: a.headers,
                body: a.body,
            }),
            Err(ConnectionError::Forbidden(m)) => Err(ModuleError::Forbidden(m)),
            Err(ConnectionError::Unavailable(m) | ConnectionError::Limited(m, _)) => {
                Err(ModuleError::Unavailable(m))
            }
            Err(ConnectionError::Internal(m)) => {
                tracing::error!(connection, error = %m, "a connection failed in the host");
                Err(ModuleError::Unavailable(
                    "the connection is not available; try again shortly".into(),
                ))
            }
        }
    }

    fn module_url(&self, org_id: &str, module: &str) -> String {
        let path = format!("/o/{org_id}/m/{module}");
        match self.public_url.load().as_deref() {
            Some(base) => format!("{base}{path}"),
            None => path,
        }
    }
}

/// A module call's unit of work over the platform.
struct CallWork {
    work: Work,
    senders: Arc<Senders>,
    /// In a migration, where the work goes back to instead of committing.
    hand_back: Option<WorkSlot>,
}

/// One transaction for an upgrade: every organization's `migrate` call
/// gets it in turn, moved to that organization's data, and hands it back
/// instead of committing. Only the installer commits it, once every
/// organization migrated; dropped, it rolls everything back.
pub struct Migration {
    work: WorkSlot,
    services: Arc<PlatformServices>,
}

type WorkSlot = Arc<std::sync::Mutex<Option<Work>>>;

impl Migration {
    /// Takes the work out, to use it between calls.
    pub fn take(&self) -> Result<Work, PlatformError> {
        self.work
            .lock()
            .ok()
            .and_then(|mut w| w.take())
            .ok_or_else(|| {
                PlatformError::Conflict(
                    "the migration's transaction ended: an earlier step failed".into(),
                )
            })
    }

    /// Puts the work back.
    pub fn put(&self, work: Work) {
        if let Ok(mut w) = self.work.lock() {
            *w = Some(work);
        }
    }

    /// Commits everything the migration wrote.
    pub async fn commit(&self) -> Result<(), PlatformError> {
        self.take()?.commit().await
    }
}

#[async_trait::async_trait]
impl HostServices for Migration {
    async fn setting(&self, org_id: &str, module: &str, key: &str) -> Option<String> {
        self.services.setting(org_id, module, key).await
    }

    async fn begin(&self, scope: CallScope) -> Result<Box<dyn backend::Work>, ModuleError> {
        let mut work = self.take().map_err(module_error)?;
        work.enter(Scope {
            org_id: scope.org_id,
            module_id: scope.module_id,
            actor: scope.actor,
        });
        Ok(Box::new(CallWork {
            work,
            senders: self.services.senders.clone(),
            hand_back: Some(self.work.clone()),
        }))
    }

    fn module_url(&self, org_id: &str, module: &str) -> String {
        self.services.module_url(org_id, module)
    }
}

impl CallWork {
    /// The channel and the checked recipient of a message, or why it
    /// cannot be sent from this portal.
    fn route(&self, to: Recipient) -> Result<(Channel, String), ModuleError> {
        let bad = |message: String| {
            ModuleError::Invalid(vec![FieldError {
                field: "to".into(),
                message,
            }])
        };
        match to {
            Recipient::User(user) => {
                let user = user.trim();
                if user.is_empty() || user.len() > 128 || user.contains(char::is_control) {
                    return Err(bad("a user id is 1 to 128 characters".into()));
                }
                Ok((Channel::Inbox, user.to_owned()))
            }
            Recipient::Email(address) => {
                let address = notify::check_email(&address).map_err(bad)?;
                if self.senders.email.is_none() {
                    return Err(ModuleError::Unavailable(
                        "this portal sends no e-mail: no SMTP server is configured".into(),
                    ));
                }
                Ok((Channel::Email, address))
            }
            Recipient::Phone(phone) => {
                let phone = notify::normalize_phone(&phone).ok_or_else(|| {
                    bad(format!(
                        "`{phone}` is not a phone number in international form, e.g. `+420601234567`"
                    ))
                })?;
                if self.senders.sms.is_none() {
                    return Err(ModuleError::Unavailable(
                        "this portal sends no text messages: no SMS gateway is configured".into(),
                    ));
                }
                Ok((Channel::Sms, phone))
            }
        }
    }
}

fn file_info(f: files::FileInfo) -> FileInfo {
    FileInfo {
        id: f.id,
        name: f.name,
        media_type: f.media_type,
        size: f.size,
        sha256: f.sha256,
        mark: f.mark,
        keep_until: rfc3339(f.keep_until_micros),
        created_at: rfc3339(f.created_at_micros),
    }
}

fn module_error(e: PlatformError) -> ModuleError {
    match e {
        PlatformError::Invalid { field, message } => {
            ModuleError::Invalid(vec![FieldError { field, message }])
        }
        PlatformError::NotFound(m) => ModuleError::NotFound(m),
        PlatformError::Conflict(m) => ModuleError::Conflict(m),
        PlatformError::Forbidden(m) => ModuleError::Forbidden(m),
        PlatformError::Corrupt(m) => ModuleError::Internal(m),
        PlatformError::Database(e) => {
            tracing::error!(error = %e, "the data store failed during a module call");
            ModuleError::Unavailable("the data store is not available; try again shortly".into())
        }
    }
}

/// Takes the search words of every searched collection of the registry's
/// modules whose manifest changed them since they were taken (or that
/// were never taken). Run as the host starts; a search finds them in the
/// meantime as it is first asked.
pub async fn take_search_words(platform: &Platform, registry: &ModuleRegistry) {
    for module in registry.iter() {
        let manifest = module.manifest();
        for (name, spec) in &manifest.collections {
            let schema = schema(CollectionRef { name, spec });
            if let Err(e) =
                records::ensure_search_indexes(platform.db(), &manifest.id, &schema).await
            {
                tracing::error!(error = %e, module = %manifest.id, collection = %name,
                    "the search words could not be taken");
            }
        }
    }
}

/// A manifest's collection as the record store takes it.
pub fn schema(c: CollectionRef<'_>) -> CollectionSchema {
    CollectionSchema {
        name: c.name.to_owned(),
        fields: c
            .spec
            .indexes
            .iter()
            .map(|i| IndexedField {
                name: i.field.clone(),
                kind: match i.kind {
                    IndexType::String => FieldType::String,
                    IndexType::Number => FieldType::Number,
                },
            })
            .collect(),
        max_bytes: c.spec.max_bytes,
        searched: c.spec.searched.clone(),
    }
}

/// A stored time (microseconds since the Unix epoch) as modules see times.
pub fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn document(r: records::Record) -> Document {
    Document {
        id: r.id,
        version: u64::try_from(r.version).unwrap_or_default(),
        data: r.doc,
        created_at: rfc3339(r.created_at_micros),
        updated_at: rfc3339(r.updated_at_micros),
    }
}

fn filters(fs: Vec<Filter>) -> Vec<records::Filter> {
    fs.into_iter()
        .map(|f| records::Filter {
            field: f.field,
            op: f.op,
            value: f.value,
        })
        .collect()
}

fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl backend::Records for CallWork {
    async fn get(&mut self, c: CollectionRef<'_>, id: &str) -> Result<Document, ModuleError> {
        self.work
            .get(&schema(c), id)
            .await
            .map(document)
            .map_err(module_error)
    }

    async fn insert(&mut self, c: CollectionRef<'_>, data: &str) -> Result<Document, ModuleError> {
        self.work
            .insert(&schema(c), data)
            .await
            .map(document)
            .map_err(module_error)
    }

    async fn update(
        &mut self,
        c: CollectionRef<'_>,
        id: &str,
        expected_version: u64,
        data: &str,
    ) -> Result<Document, ModuleError> {
        self.work
            .update(&schema(c), id, version(expected_version), data)
            .await
            .map(document)
            .map_err(module_error)
    }

    async fn delete(
        &mut self,
        c: CollectionRef<'_>,
        id: &str,
        expected_version: u64,
    ) -> Result<(), ModuleError> {
        self.work
            .delete(&schema(c), id, version(expected_version))
            .await
            .map_err(module_error)
    }

    async fn query(
        &mut self,
        c: CollectionRef<'_>,
        q: RecordQuery,
    ) -> Result<DocumentPage, ModuleError> {
        let query = records::Query {
            filters: filters(q.filters),
            sort: q
                .sort
                .map(|(field, descending)| records::Sort { field, descending }),
            newest_first: q.newest_first,
            limit: q.limit,
            cursor: q.cursor,
        };
        let page = self
            .work
            .query(&schema(c), &query)
            .await
            .map_err(module_error)?;
        Ok(DocumentPage {
            documents: page.records.into_iter().map(document).collect(),
            next_cursor: page.next_cursor,
        })
    }

    async fn aggregate(
        &mut self,
        c: CollectionRef<'_>,
        fs: Vec<Filter>,
        group_by: &str,
        sum: Option<&str>,
    ) -> Result<Vec<DocumentGroup>, ModuleError> {
        let groups = self
            .work
            .aggregate(&schema(c), &filters(fs), group_by, sum)
            .await
            .map_err(module_error)?;
        Ok(groups
            .into_iter()
            .map(|g| DocumentGroup {
                key: g.key,
                count: g.count,
                sum: g.sum,
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl backend::Audit for CallWork {
    async fn audit(
        &mut self,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<(), ModuleError> {
        self.work
            .audit(action, subject, detail)
            .await
            .map(drop)
            .map_err(module_error)
    }
}

#[async_trait::async_trait]
impl backend::Events for CallWork {
    async fn publish(&mut self, topic: &str, payload: &str) -> Result<(), ModuleError> {
        self.work
            .publish(topic, payload)
            .await
            .map(drop)
            .map_err(module_error)
    }
}

#[async_trait::async_trait]
impl backend::Notify for CallWork {
    async fn notify(&mut self, message: Message) -> Result<String, ModuleError> {
        let (channel, recipient) = self.route(message.to)?;
        // A person who asked for it gets a message to their inbox by
        // e-mail and by text message too, where this portal sends them;
        // the inbox's copy is the one the module follows.
        let sends = self.senders.email.is_some() || self.senders.sms.is_some();
        let copies = match channel {
            Channel::Inbox if sends => self
                .work
                .notice_copies_of(&recipient)
                .await
                .map_err(module_error)?,
            _ => Default::default(),
        };
        let copy = copies.email.filter(|_| self.senders.email.is_some());
        let text = copies.phone.filter(|_| self.senders.sms.is_some());
        for (channel, to) in [(Channel::Email, copy), (Channel::Sms, text)] {
            let Some(to) = to else { continue };
            self.work
                .notify(Outgoing {
                    channel,
                    recipient: to,
                    template: message.template.clone(),
                    subject: message.subject.clone(),
                    body: message.body.clone(),
                })
                .await
                .map_err(module_error)?;
        }
        self.work
            .notify(Outgoing {
                channel,
                recipient,
                template: message.template,
                subject: message.subject,
                body: message.body,
            })
            .await
            .map_err(module_error)
    }

    async fn language_of(&mut self, user_id: &str) -> Result<Option<String>, ModuleError> {
        self.work.language_of(user_id).await.map_err(module_error)
    }

    async fn notification(&mut self, id: &str) -> Result<Delivery, ModuleError> {
        let n = self.work.notification(id).await.map_err(module_error)?;
        Ok(Delivery {
            status: match n.status.as_str() {
                notifications::SENT => DeliveryStatus::Sent,
                notifications::DELIVERED => DeliveryStatus::Delivered,
                notifications::FAILED => DeliveryStatus::Failed,
                _ => DeliveryStatus::Queued,
            },
            attempts: u32::try_from(n.attempts).unwrap_or_default(),
            last_error: n.last_error,
            sent_at: n.sent_at_micros.map(rfc3339),
            read_at: n.read_at_micros.map(rfc3339),
        })
    }
}

#[async_trait::async_trait]
impl backend::Files for CallWork {
    async fn store_file(&mut self, file: NewFile) -> Result<FileInfo, ModuleError> {
        self.work
            .put_file(files::NewFile {
                name: &file.name,
                media_type: &file.media_type,
                content: &file.content,
                mark: file.mark,
                years: file.years,
            })
            .await
            .map(file_info)
            .map_err(module_error)
    }

    async fn file_info(&mut self, id: &str) -> Result<FileInfo, ModuleError> {
        self.work
            .file_info(id)
            .await
            .map(file_info)
            .map_err(module_error)
    }

    async fn read_file(&mut self, id: &str) -> Result<Vec<u8>, ModuleError> {
        self.work
            .read_file(id)
            .await
            .map(|(_, content)| content)
            .map_err(module_error)
    }

    async fn delete_file(&mut self, id: &str) -> Result<(), ModuleError> {
        self.work.delete_file(id).await.map_err(module_error)
    }
}

#[async_trait::async_trait]
impl backend::Orgs for CallWork {
    async fn org_line(&mut self) -> Result<backend::OrgLine, ModuleError> {
        let (line, enabled) = self.work.line().await.map_err(module_error)?;
        let org = |o: organizations::Organization| backend::Organization {
            module_enabled: enabled.contains(&o.id),
            id: o.id,
            name: o.name,
            kind: match o.kind {
                organizations::Kind::Region => backend::OrgKind::Region,
                organizations::Kind::City => backend::OrgKind::City,
                organizations::Kind::Organization => backend::OrgKind::Organization,
                organizations::Kind::Unit => backend::OrgKind::Unit,
            },
            category: o.category,
            ico: o.ico,
            address: o.address,
            parent: o.parent_id,
        };
        Ok(backend::OrgLine {
            current: org(line.current),
            ancestors: line.ancestors.into_iter().map(org).collect(),
            descendants: line.descendants.into_iter().map(org).collect(),
        })
    }
}

#[async_trait::async_trait]
impl backend::People for CallWork {
    async fn holders(&mut self, roles: &[String]) -> Result<Vec<backend::Person>, ModuleError> {
        Ok(self
            .work
            .holders(roles)
            .await
            .map_err(module_error)?
            .into_iter()
            .map(|(user_id, name)| backend::Person { user_id, name })
            .collect())
    }
}

#[async_trait::async_trait]
impl backend::Addresses for CallWork {
    async fn search_addresses(
        &mut self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<backend::Address>, ModuleError> {
        self.work
            .search_addresses(query, limit)
            .await
            .map_err(module_error)
    }

    async fn nearest_address(
        &mut self,
        latitude: f64,
        longitude: f64,
    ) -> Result<Option<(backend::Address, f64)>, ModuleError> {
        self.work
            .nearest_address(latitude, longitude)
            .await
            .map_err(module_error)
    }

    async fn address(&mut self, code: i64) -> Result<Option<backend::Address>, ModuleError> {
        self.work.address(code).await.map_err(module_error)
    }
}

#[async_trait::async_trait]
impl backend::Messages for CallWork {
    async fn send_message(
        &mut self,
        to_org: &str,
        kind: &str,
        payload: &str,
    ) -> Result<u64, ModuleError> {
        let m = self
            .work
            .send_message(to_org, kind, payload)
            .await
            .map_err(module_error)?;
        Ok(u64::try_from(m.id).unwrap_or_default())
    }

    async fn receive_message(
        &mut self,
        message: &portico_runtime::api::Message,
    ) -> Result<bool, ModuleError> {
        let id = i64::try_from(message.id)
            .map_err(|_| ModuleError::NotFound(format!("no message {}", message.id)))?;
        self.work
            .receive_message(id, &message.from_org, &message.kind, &message.payload)
            .await
            .map_err(module_error)
    }
}

#[async_trait::async_trait]
impl backend::Connections for CallWork {
    async fn queue_delivery(
        &mut self,
        connection: &str,
        key: Option<&str>,
        request: &backend::Outgoing,
    ) -> Result<u64, ModuleError> {
        let d = self
            .work
            .queue_delivery(connection, key, request)
            .await
            .map_err(module_error)?;
        Ok(u64::try_from(d.id).unwrap_or_default())
    }

    async fn delivery(
        &mut self,
        id: u64,
    ) -> Result<Option<backend::ConnectionDelivery>, ModuleError> {
        let Ok(id) = i64::try_from(id) else {
            return Ok(None);
        };
        let d = self.work.delivery(id).await.map_err(module_error)?;
        Ok(d.map(|d| backend::ConnectionDelivery {
            id: u64::try_from(d.id).unwrap_or_default(),
            connection: d.connection,
            key: d.key,
            status: match d.status.as_str() {
                "delivered" => backend::ConnectionDeliveryStatus::Delivered,
                "dead" => backend::ConnectionDeliveryStatus::Dead,
                _ => backend::ConnectionDeliveryStatus::Waiting,
            },
            attempts: u32::try_from(d.attempts).unwrap_or_default(),
            last_error: d.last_error,
            queued_at: rfc3339(d.queued_at_micros),
            delivered_at: d.delivered_at_micros.map(rfc3339),
        }))
    }

    async fn receive_webhook(
        &mut self,
        hook: &portico_runtime::api::Webhook,
    ) -> Result<bool, ModuleError> {
        self.work
            .receive_webhook(&hook.connection, &hook.id, &hook.body)
            .await
            .map_err(module_error)
    }
}

#[async_trait::async_trait]
impl backend::Work for CallWork {
    async fn commit(self: Box<Self>) -> Result<(), ModuleError> {
        match self.hand_back {
            Some(slot) => {
                if let Ok(mut w) = slot.lock() {
                    *w = Some(self.work);
                }
                Ok(())
            }
            None => self.work.commit().await.map_err(module_error),
        }
    }
}
