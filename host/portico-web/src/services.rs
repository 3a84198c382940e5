//! The platform behind the modules' host interfaces, and which modules each
//! organization has enabled. Enablement and settings are read per request,
//! so they are cached for a few seconds per organization; a change made
//! through this process is seen at once, one made by another replica within
//! [`ENABLEMENT_TTL`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use portico_platform::modules::{self, Change, Enablement};
use portico_platform::records::{self, CollectionSchema, FieldType, IndexedField, Scope};
use portico_platform::{Platform, PlatformError, Work, organizations};
use portico_runtime::api::{FieldError, ModuleError};
use portico_runtime::manifest::IndexType;
use portico_runtime::services::{
    CallScope, CollectionRef, DataSession, Document, DocumentGroup, DocumentPage, Filter, FilterOp,
    RecordQuery,
};
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
    /// Enabled modules by id.
    pub enabled: BTreeMap<String, Enablement>,
}

/// The platform services, shared by the web layer and every module call.
pub struct PlatformServices {
    platform: Platform,
    orgs: moka::future::Cache<String, Arc<OrgModules>>,
}

impl PlatformServices {
    /// The services over `platform`.
    pub fn new(platform: Platform) -> Arc<PlatformServices> {
        Arc::new(PlatformServices {
            platform,
            orgs: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ENABLEMENT_TTL)
                .build(),
        })
    }

    /// The platform.
    pub fn platform(&self) -> &Platform {
        &self.platform
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
                Ok(Arc::new(OrgModules {
                    exists: true,
                    name: org.name,
                    enabled,
                }))
            })
            .await
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

    async fn begin(&self, scope: CallScope) -> Result<Box<dyn DataSession>, ModuleError> {
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
        Ok(Box::new(Session(work)))
    }
}

/// A module call's unit of work over the platform.
struct Session(Work);

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
    }
}

/// A stored time (microseconds since the Unix epoch) as modules see times.
pub(crate) fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn document(r: records::Record) -> Document {
    Document {
        id: r.id,
        version: u64::try_from(r.version).unwrap_or_default(),
        data: r.data.to_string(),
        created_at: rfc3339(r.created_at_micros),
        updated_at: rfc3339(r.updated_at_micros),
    }
}

fn filters(fs: Vec<Filter>) -> Vec<records::Filter> {
    fs.into_iter()
        .map(|f| records::Filter {
            field: f.field,
            op: match f.op {
                FilterOp::Eq => records::Op::Eq,
                FilterOp::Lt => records::Op::Lt,
                FilterOp::Le => records::Op::Le,
                FilterOp::Gt => records::Op::Gt,
                FilterOp::Ge => records::Op::Ge,
                FilterOp::Prefix => records::Op::Prefix,
            },
            value: f.value,
        })
        .collect()
}

fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl DataSession for Session {
    async fn get(&mut self, c: CollectionRef<'_>, id: &str) -> Result<Document, ModuleError> {
        self.0
            .get(&schema(c), id)
            .await
            .map(document)
            .map_err(module_error)
    }

    async fn insert(&mut self, c: CollectionRef<'_>, data: &str) -> Result<Document, ModuleError> {
        self.0
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
        self.0
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
        self.0
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
            .0
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
            .0
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

    async fn audit(
        &mut self,
        action: &str,
        subject: &str,
        detail: serde_json::Value,
    ) -> Result<(), ModuleError> {
        self.0
            .audit(action, subject, detail)
            .await
            .map(drop)
            .map_err(module_error)
    }

    async fn publish(&mut self, topic: &str, payload: &str) -> Result<(), ModuleError> {
        self.0
            .publish(topic, payload)
            .await
            .map(drop)
            .map_err(module_error)
    }

    async fn commit(self: Box<Self>) -> Result<(), ModuleError> {
        self.0.commit().await.map_err(module_error)
    }
}
