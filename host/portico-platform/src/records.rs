//! The record store: modules keep JSON documents in collections their
//! manifest declares, each collection with a few indexed fields. Every
//! operation is scoped to one organization and one module, which the caller
//! (the host) fixes; a module never names either. Documents carry a version
//! for optimistic concurrency; deleting only marks them deleted.
//!
//! Indexed fields are copied from the document into slot columns of the
//! `records` table (`s0`…`s3` for text, `n0`…`n3` for numbers), each slot
//! indexed together with its collection, so a filter on one indexed field
//! and keyset pagination walk one index.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Order, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TryIntoModel,
};
use serde::Serialize;

use crate::{PlatformError, audit, now_micros};

pub use portico_migrations::SLOTS;

pub(crate) mod collection {
    use sea_orm::entity::prelude::*;

    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "record_collections")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_id: String,
        pub module_id: String,
        pub name: String,
        /// Moves on with every transaction that writes to the collection.
        #[serde(default)]
        pub generation: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod record {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
    #[sea_orm(table_name = "records")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        pub collection_id: i64,
        pub id: String,
        pub version: i64,
        pub deleted: bool,
        pub doc: String,
        pub created_at_micros: i64,
        pub updated_at_micros: i64,
        pub s0: Option<String>,
        pub s1: Option<String>,
        pub s2: Option<String>,
        pub s3: Option<String>,
        pub n0: Option<f64>,
        pub n1: Option<f64>,
        pub n2: Option<f64>,
        pub n3: Option<f64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The largest text value an indexed field may hold, in characters.
pub const MAX_INDEXED_TEXT: usize = 200;

/// The most records one query returns.
pub const MAX_PAGE: u32 = 500;

/// The type of an indexed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldType {
    /// Text: equality, ranges (by code point) and prefix.
    String,
    /// A number: equality and ranges; can be summed.
    Number,
}

impl FieldType {
    fn name(self) -> &'static str {
        match self {
            FieldType::String => "text",
            FieldType::Number => "a number",
        }
    }
}

/// One indexed field of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedField {
    /// The top-level field of the document.
    pub name: String,
    /// Its type.
    pub kind: FieldType,
}

/// A collection as the module's manifest declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSchema {
    /// The collection's name.
    pub name: String,
    /// Its indexed fields, in declared order: the n-th text field takes
    /// slot `s<n>`, the n-th number field slot `n<n>`.
    pub fields: Vec<IndexedField>,
    /// The largest document, in bytes of JSON.
    pub max_bytes: usize,
}

/// Where an indexed field's value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    kind: FieldType,
    index: usize,
}

impl Slot {
    fn name(self) -> String {
        let prefix = match self.kind {
            FieldType::String => 's',
            FieldType::Number => 'n',
        };
        format!("{prefix}{}", self.index)
    }

    fn column(self) -> Alias {
        Alias::new(self.name())
    }
}

impl CollectionSchema {
    fn slot(&self, field: &str) -> Option<Slot> {
        let f = self.fields.iter().find(|f| f.name == field)?;
        let index = self
            .fields
            .iter()
            .filter(|g| g.kind == f.kind)
            .position(|g| g.name == field)?;
        Some(Slot {
            kind: f.kind,
            index,
        })
    }
}

/// Who acts and where: fixed by the host from the call, never by a module.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The organization whose data this is.
    pub org_id: String,
    /// The module whose collections these are.
    pub module_id: String,
    /// Who acts, for the audit chain: a user id or `module:<id>`.
    pub actor: String,
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Its identifier, assigned by the host.
    pub id: String,
    /// Its version: 1 when inserted, one more at every update.
    pub version: i64,
    /// The document as JSON text, as stored (checked when it was written):
    /// a module gets it as it is, without parsing and writing it again.
    pub doc: String,
    /// When it was inserted, microseconds since the Unix epoch.
    pub created_at_micros: i64,
    /// When it was last changed.
    pub updated_at_micros: i64,
}

impl Record {
    /// The document, parsed.
    pub fn data(&self) -> Result<serde_json::Value, PlatformError> {
        serde_json::from_str(&self.doc).map_err(|e| {
            PlatformError::Corrupt(format!("record {} holds unreadable JSON: {e}", self.id))
        })
    }
}

impl From<record::Model> for Record {
    fn from(m: record::Model) -> Self {
        Record {
            id: m.id,
            version: m.version,
            doc: m.doc,
            created_at_micros: m.created_at_micros,
            updated_at_micros: m.updated_at_micros,
        }
    }
}

/// How a filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal.
    Eq,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Text starting with the value.
    Prefix,
}

/// A condition on one indexed field.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The indexed field.
    pub field: String,
    /// The comparison.
    pub op: Op,
    /// The value, as text; a number field's value must parse as a number.
    pub value: String,
}

/// The order of a query's results.
#[derive(Debug, Clone)]
pub struct Sort {
    /// An indexed field; records without a value for it are left out.
    pub field: String,
    /// Largest first.
    pub descending: bool,
}

/// A query on one collection.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// All must hold.
    pub filters: Vec<Filter>,
    /// By an indexed field; `None` is the order of insertion.
    pub sort: Option<Sort>,
    /// Newest first when there is no sort field.
    pub newest_first: bool,
    /// The most records to return (1–[`MAX_PAGE`]).
    pub limit: u32,
    /// Where the previous page ended.
    pub cursor: Option<String>,
}

/// One page of a query's results.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The records, in order.
    pub records: Vec<Record>,
    /// Pass this as the next query's cursor for the next page; `None` at the end.
    pub next_cursor: Option<String>,
}

/// One group of an aggregate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The grouping field's value; `None` for records without one.
    pub key: Option<String>,
    /// How many records.
    pub count: u64,
    /// The sum of the summed field over the group.
    pub sum: Option<f64>,
}

/// The collection's row id, created on first write. `None` when it was
/// never written to (reads then find nothing).
/// The collection `name` of the scope's organization and module.
fn the_collection(scope: &Scope, name: &str) -> sea_orm::Select<collection::Entity> {
    collection::Entity::find()
        .filter(collection::Column::OrgId.eq(&scope.org_id))
        .filter(collection::Column::ModuleId.eq(&scope.module_id))
        .filter(collection::Column::Name.eq(name))
}

async fn collection_id<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    name: &str,
    create: bool,
) -> Result<Option<i64>, PlatformError> {
    let find = || the_collection(scope, name);
    if let Some(c) = find().one(conn).await? {
        return Ok(Some(c.id));
    }
    if !create {
        return Ok(None);
    }
    // Two first writes racing: one inserts, the other waits for it and
    // then finds its row.
    collection::Entity::insert(collection::ActiveModel {
        org_id: Set(scope.org_id.clone()),
        module_id: Set(scope.module_id.clone()),
        name: Set(name.to_owned()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            collection::Column::OrgId,
            collection::Column::ModuleId,
            collection::Column::Name,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(find().one(conn).await?.map(|c| c.id))
}

/// Moves the generation of the collections `ids` on (see
/// [`ReadCache`]); called once per transaction that wrote to them.
pub(crate) async fn next_generation<C: ConnectionTrait>(
    conn: &C,
    ids: &std::collections::BTreeSet<i64>,
) -> Result<(), PlatformError> {
    if ids.is_empty() {
        return Ok(());
    }
    collection::Entity::update_many()
        .col_expr(
            collection::Column::Generation,
            Expr::col(collection::Column::Generation).add(1),
        )
        .filter(collection::Column::Id.is_in(ids.iter().copied()))
        .exec(conn)
        .await?;
    Ok(())
}

/// Aggregates and pages read before, by collection, generation and
/// question. A collection's generation moves on with every transaction
/// that writes to it (in any process over the database), so an entry is
/// only found while what it read is unchanged: a dashboard over 200,000
/// documents counts once per change instead of once per visitor, and a
/// list that many read costs one look-up of its collection.
#[derive(Clone)]
pub struct ReadCache {
    aggregates: moka::sync::Cache<String, std::sync::Arc<Vec<Group>>>,
    /// Pages with their weight (see [`CACHED_PAGE_BYTES`]).
    pages: moka::sync::Cache<String, (std::sync::Arc<Page>, u32)>,
}

/// The memory cached pages may take together, reckoned as the text of
/// their documents.
const CACHED_PAGE_BYTES: u64 = 64 << 20;

impl ReadCache {
    /// The page `q` asks of `schema`, if it was read before from the
    /// collection as it is `known`. Costs no statement: a reading unit of
    /// work answered from here need not begin its transaction.
    pub fn page(&self, known: &Known, schema: &CollectionSchema, q: &Query) -> Option<Page> {
        let (cid, generation) = known.0.get(&schema.name).copied()?;
        let (page, _) = self.pages.get(&page_key(cid, generation, schema, q))?;
        Some(page.as_ref().clone())
    }

    /// What [`aggregate`] counted before, like [`ReadCache::page`].
    pub fn groups(
        &self,
        known: &Known,
        schema: &CollectionSchema,
        filters: &[Filter],
        group_by: &str,
        sum: Option<&str>,
    ) -> Option<Vec<Group>> {
        let (cid, generation) = known.0.get(&schema.name).copied()?;
        let key = groups_key(cid, generation, filters, group_by, sum);
        self.aggregates.get(&key).map(|g| g.as_ref().clone())
    }
}

fn page_key(cid: i64, generation: i64, schema: &CollectionSchema, q: &Query) -> String {
    format!("{cid}/{generation}/{:?}/{q:?}", schema.fields)
}

fn groups_key(
    cid: i64,
    generation: i64,
    filters: &[Filter],
    group_by: &str,
    sum: Option<&str>,
) -> String {
    format!("{cid}/{generation}/{group_by}/{sum:?}/{filters:?}")
}

/// The collections of one organization's module as a reading unit of work
/// found them, read in one statement: row id and generation by name.
#[derive(Debug, Clone, Default)]
pub struct Known(std::collections::HashMap<String, (i64, i64)>);

impl Known {
    /// The collections of the scope's organization and module now.
    pub async fn read<C: ConnectionTrait>(conn: &C, scope: &Scope) -> Result<Known, PlatformError> {
        let found = collection::Entity::find()
            .filter(collection::Column::OrgId.eq(&scope.org_id))
            .filter(collection::Column::ModuleId.eq(&scope.module_id))
            .all(conn)
            .await?;
        Ok(Known(
            found
                .into_iter()
                .map(|c| (c.name, (c.id, c.generation)))
                .collect(),
        ))
    }
}

/// The collection's row id and generation: from what is `known` when
/// reading through the cache, else looked up.
async fn find_collection<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    cache: Option<(&ReadCache, &Known)>,
) -> Result<Option<(i64, i64)>, PlatformError> {
    Ok(match cache {
        Some((_, known)) => known.0.get(&schema.name).copied(),
        None => the_collection(scope, &schema.name)
            .one(conn)
            .await?
            .map(|c| (c.id, c.generation)),
    })
}

impl Default for ReadCache {
    fn default() -> Self {
        ReadCache {
            aggregates: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_idle(std::time::Duration::from_secs(600))
                .build(),
            pages: moka::sync::Cache::builder()
                .weigher(|_, (_, bytes): &(std::sync::Arc<Page>, u32)| *bytes)
                .max_capacity(CACHED_PAGE_BYTES)
                .time_to_idle(std::time::Duration::from_secs(600))
                .build(),
        }
    }
}

/// The document checked against the collection: a JSON object within the
/// size limit whose indexed fields have the declared types.
fn check_document(
    schema: &CollectionSchema,
    json: &str,
) -> Result<(serde_json::Value, Vec<(Slot, serde_json::Value)>), PlatformError> {
    if json.len() > schema.max_bytes {
        return Err(PlatformError::invalid(
            "data",
            format!(
                "the document is {} bytes; the collection `{}` takes at most {}",
                json.len(),
                schema.name,
                schema.max_bytes
            ),
        ));
    }
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| PlatformError::invalid("data", format!("is not valid JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(PlatformError::invalid("data", "must be a JSON object"));
    };
    let mut slots = Vec::new();
    for field in &schema.fields {
        let v = object.get(&field.name).unwrap_or(&serde_json::Value::Null);
        let ok = match (field.kind, v) {
            (_, serde_json::Value::Null) => true,
            (FieldType::String, serde_json::Value::String(s)) => {
                if s.chars().count() > MAX_INDEXED_TEXT {
                    return Err(PlatformError::invalid(
                        field.name.clone(),
                        format!(
                            "is an indexed field and may hold at most {MAX_INDEXED_TEXT} characters"
                        ),
                    ));
                }
                true
            }
            (FieldType::Number, serde_json::Value::Number(n)) => n.as_f64().is_some(),
            _ => false,
        };
        if !ok {
            return Err(PlatformError::invalid(
                field.name.clone(),
                format!("must be {} (or absent), not {v}", field.kind.name()),
            ));
        }
        let slot = schema
            .slot(&field.name)
            .ok_or_else(|| PlatformError::invalid(field.name.clone(), "has no index slot"))?;
        slots.push((slot, v.clone()));
    }
    Ok((value, slots))
}

fn set_slots(model: &mut record::ActiveModel, slots: &[(Slot, serde_json::Value)]) {
    for (slot, value) in slots {
        match slot.kind {
            FieldType::String => {
                let v = value.as_str().map(str::to_owned);
                match slot.index {
                    0 => model.s0 = Set(v),
                    1 => model.s1 = Set(v),
                    2 => model.s2 = Set(v),
                    _ => model.s3 = Set(v),
                }
            }
            FieldType::Number => {
                let v = value.as_f64();
                match slot.index {
                    0 => model.n0 = Set(v),
                    1 => model.n1 = Set(v),
                    2 => model.n2 = Set(v),
                    _ => model.n3 = Set(v),
                }
            }
        }
    }
}

fn audit_write(
    scope: &Scope,
    action: &str,
    collection: &str,
    id: &str,
    version: i64,
) -> audit::Event {
    audit::Event {
        actor: scope.actor.clone(),
        module: scope.module_id.clone(),
        action: action.to_owned(),
        subject: format!("{collection}/{id}"),
        detail: serde_json::json!({ "version": version }),
    }
}

async fn find_live<C: ConnectionTrait>(
    conn: &C,
    collection_id: i64,
    id: &str,
) -> Result<Option<record::Model>, PlatformError> {
    Ok(record::Entity::find()
        .filter(record::Column::CollectionId.eq(collection_id))
        .filter(record::Column::Id.eq(id))
        .filter(record::Column::Deleted.eq(false))
        .one(conn)
        .await?)
}

fn not_found(collection: &str, id: &str) -> PlatformError {
    PlatformError::NotFound(format!("no record `{id}` in `{collection}`"))
}

/// The record `id` of the collection.
pub async fn get<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    id: &str,
) -> Result<Record, PlatformError> {
    let Some(cid) = collection_id(conn, scope, &schema.name, false).await? else {
        return Err(not_found(&schema.name, id));
    };
    find_live(conn, cid, id)
        .await?
        .map(Record::from)
        .ok_or_else(|| not_found(&schema.name, id))
}

/// Stores a new document; the host assigns its id. Audited.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    json: &str,
) -> Result<Record, PlatformError> {
    let mut chain = audit::Chain::open(conn, &scope.org_id).await?;
    let record = insert_chained(conn, scope, schema, json, &mut chain).await?;
    chain.close(conn).await?;
    Ok(record)
}

/// [`insert`], audited on a chain the caller holds open.
pub async fn insert_chained<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    json: &str,
    chain: &mut audit::Chain,
) -> Result<Record, PlatformError> {
    let (data, slots) = check_document(schema, json)?;
    let cid = collection_id(conn, scope, &schema.name, true)
        .await?
        .unwrap_or_default();
    let now = now_micros();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let doc = data.to_string();
    new_model(cid, &id, doc.clone(), &slots, now)
        .insert(conn)
        .await?;
    chain.touch(cid);
    chain.push(audit_write(scope, "record.insert", &schema.name, &id, 1));
    chain.write_if_full(conn).await?;
    Ok(Record {
        id,
        version: 1,
        doc,
        created_at_micros: now,
        updated_at_micros: now,
    })
}

fn new_model(
    cid: i64,
    id: &str,
    doc: String,
    slots: &[(Slot, serde_json::Value)],
    now: i64,
) -> record::ActiveModel {
    let mut model = record::ActiveModel {
        collection_id: Set(cid),
        id: Set(id.to_owned()),
        version: Set(1),
        deleted: Set(false),
        doc: Set(doc),
        created_at_micros: Set(now),
        updated_at_micros: Set(now),
        // Every slot is stated: an import on PostgreSQL takes the whole row.
        s0: Set(None),
        s1: Set(None),
        s2: Set(None),
        s3: Set(None),
        n0: Set(None),
        n1: Set(None),
        n2: Set(None),
        n3: Set(None),
        ..Default::default()
    };
    set_slots(&mut model, slots);
    model
}

/// A document checked against its collection's schema, ready to be stored.
#[derive(Debug, Clone)]
pub struct Checked {
    data: serde_json::Value,
    slots: Vec<(Slot, serde_json::Value)>,
}

/// Checks a document as [`insert`] would, without storing it: an import
/// checks every line before it writes any.
pub fn check(schema: &CollectionSchema, json: &str) -> Result<Checked, PlatformError> {
    let (data, slots) = check_document(schema, json)?;
    Ok(Checked { data, slots })
}

/// Documents stored per statement by [`insert_batch`].
const RECORDS_PER_INSERT: usize = 500;

/// The columns of a stored document's row that a write sets, in this
/// order (the sequence is the database's).
pub const RECORD_COLUMNS: &[&str] = &[
    "collection_id",
    "id",
    "version",
    "deleted",
    "doc",
    "created_at_micros",
    "updated_at_micros",
    "s0",
    "s1",
    "s2",
    "s3",
    "n0",
    "n1",
    "n2",
    "n3",
];

/// Stores checked documents as [`insert`] does, many rows per statement,
/// each audited on `chain`. Returns how many were stored.
pub async fn insert_batch<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    docs: &[Checked],
    chain: &mut audit::Chain,
) -> Result<usize, PlatformError> {
    let cid = collection_id(conn, scope, &schema.name, true)
        .await?
        .unwrap_or_default();
    let postgres = conn.get_database_backend() == DbBackend::Postgres;
    for batch in docs.chunks(RECORDS_PER_INSERT) {
        let now = now_micros();
        let mut models = Vec::with_capacity(batch.len());
        for doc in batch {
            let id = uuid::Uuid::now_v7().simple().to_string();
            models.push(new_model(cid, &id, doc.data.to_string(), &doc.slots, now));
            chain.push(audit_write(scope, "record.insert", &schema.name, &id, 1));
        }
        if postgres {
            let rows = models
                .into_iter()
                .map(|mut m| {
                    m.seq = Set(0);
                    m.try_into_model()
                })
                .collect::<Result<Vec<_>, _>>()?;
            crate::insert_json_rows(conn, "records", RECORD_COLUMNS, &rows).await?;
        } else {
            record::Entity::insert_many(models).exec(conn).await?;
        }
        chain.write_if_full(conn).await?;
    }
    chain.touch(cid);
    Ok(docs.len())
}

/// Replaces a document, if it still has `expected_version`. Audited.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    id: &str,
    expected_version: i64,
    json: &str,
) -> Result<Record, PlatformError> {
    let mut chain = audit::Chain::open(conn, &scope.org_id).await?;
    let record =
        update_chained(conn, scope, schema, id, expected_version, json, &mut chain).await?;
    chain.close(conn).await?;
    Ok(record)
}

/// [`update`], audited on a chain the caller holds open.
pub async fn update_chained<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    id: &str,
    expected_version: i64,
    json: &str,
    chain: &mut audit::Chain,
) -> Result<Record, PlatformError> {
    let (data, slots) = check_document(schema, json)?;
    let (current, version) = current_at(conn, scope, schema, id, expected_version).await?;
    let doc = data.to_string();
    let now = now_micros();
    let mut model = record::ActiveModel {
        seq: sea_orm::ActiveValue::Unchanged(current.seq),
        version: Set(version),
        doc: Set(doc.clone()),
        updated_at_micros: Set(now),
        ..Default::default()
    };
    set_slots(&mut model, &slots);
    guarded_update(conn, model, &current, &schema.name).await?;
    chain.touch(current.collection_id);
    chain.push(audit_write(
        scope,
        "record.update",
        &schema.name,
        id,
        version,
    ));
    chain.write_if_full(conn).await?;
    Ok(Record {
        id: id.to_owned(),
        version,
        doc,
        created_at_micros: current.created_at_micros,
        updated_at_micros: now,
    })
}

/// Marks a document deleted, if it still has `expected_version`. The row
/// stays (for the audit trail and for reports); reads no longer see it.
pub async fn delete<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    id: &str,
    expected_version: i64,
) -> Result<(), PlatformError> {
    let mut chain = audit::Chain::open(conn, &scope.org_id).await?;
    delete_chained(conn, scope, schema, id, expected_version, &mut chain).await?;
    chain.close(conn).await
}

/// [`delete`], audited on a chain the caller holds open.
pub async fn delete_chained<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    id: &str,
    expected_version: i64,
    chain: &mut audit::Chain,
) -> Result<(), PlatformError> {
    let (current, version) = current_at(conn, scope, schema, id, expected_version).await?;
    let model = record::ActiveModel {
        seq: sea_orm::ActiveValue::Unchanged(current.seq),
        version: Set(version),
        deleted: Set(true),
        updated_at_micros: Set(now_micros()),
        ..Default::default()
    };
    guarded_update(conn, model, &current, &schema.name).await?;
    chain.touch(current.collection_id);
    chain.push(audit_write(
        scope,
        "record.delete",
        &schema.name,
        id,
        version,
    ));
    chain.write_if_full(conn).await
}

/// The live record `id` if it still has `expected` as its version, and the
/// version a write makes of it; `not-found` or `conflict` otherwise.
async fn current_at<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    id: &str,
    expected: i64,
) -> Result<(record::Model, i64), PlatformError> {
    let collection = &schema.name;
    let cid = collection_id(conn, scope, collection, false)
        .await?
        .ok_or_else(|| not_found(collection, id))?;
    let current = find_live(conn, cid, id)
        .await?
        .ok_or_else(|| not_found(collection, id))?;
    if current.version != expected {
        return Err(PlatformError::Conflict(format!(
            "record `{}` in `{collection}` is at version {}, not {expected}: it changed since it was read",
            current.id, current.version
        )));
    }
    let next = current.version + 1;
    Ok((current, next))
}

/// Writes `model` only if the row still has the version read, so two
/// writers racing on one record cannot both win.
async fn guarded_update<C: ConnectionTrait>(
    conn: &C,
    model: record::ActiveModel,
    current: &record::Model,
    collection: &str,
) -> Result<(), PlatformError> {
    let result = record::Entity::update_many()
        .set(model)
        .filter(record::Column::Seq.eq(current.seq))
        .filter(record::Column::Version.eq(current.version))
        .exec(conn)
        .await?;
    if result.rows_affected != 1 {
        return Err(PlatformError::Conflict(format!(
            "record `{}` in `{collection}` changed while it was being written",
            current.id
        )));
    }
    Ok(())
}

/// A filter or sort field resolved to its slot.
fn slot_of(
    schema: &CollectionSchema,
    field: &str,
    at: impl Fn() -> String,
) -> Result<Slot, PlatformError> {
    schema.slot(field).ok_or_else(|| {
        let indexed: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
        PlatformError::invalid(
            at(),
            format!(
                "`{field}` is not an indexed field of `{}` (indexed: {})",
                schema.name,
                if indexed.is_empty() {
                    "none".to_owned()
                } else {
                    indexed.join(", ")
                }
            ),
        )
    })
}

/// A filter's or cursor's value as the slot's SQL value.
fn slot_value(
    slot: Slot,
    value: &str,
    at: impl Fn() -> String,
) -> Result<sea_orm::Value, PlatformError> {
    match slot.kind {
        FieldType::String => Ok(value.to_owned().into()),
        FieldType::Number => value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Into::into)
            .ok_or_else(|| PlatformError::invalid(at(), format!("`{value}` is not a number"))),
    }
}

/// The filters as one condition. With `only_index`, a filter on any other
/// slot is written so that SQLite cannot use that slot's index for it
/// (`+col`), which leaves it the index of `only_index`.
fn filter_condition(
    schema: &CollectionSchema,
    filters: &[Filter],
    only_index: Option<Slot>,
) -> Result<Condition, PlatformError> {
    let mut cond = Condition::all();
    for (i, f) in filters.iter().enumerate() {
        let slot = slot_of(schema, &f.field, || format!("filters[{i}].field"))?;
        let col = match only_index {
            Some(keep) if keep != slot => Expr::cust(format!("+\"{}\"", slot.name())),
            _ => Expr::col(slot.column()),
        };
        let at = || format!("filters[{i}].value");
        let expr: SimpleExpr = match f.op {
            Op::Prefix => {
                if slot.kind != FieldType::String {
                    return Err(PlatformError::invalid(
                        format!("filters[{i}].op"),
                        format!("`prefix` works on text fields; `{}` is a number", f.field),
                    ));
                }
                // A range, not LIKE: it uses the index on both engines and
                // needs no escaping of `%` and `_`.
                let upper = format!("{}\u{10FFFF}", f.value);
                col.clone().gte(f.value.clone()).and(col.lt(upper))
            }
            Op::Eq => col.eq(slot_value(slot, &f.value, at)?),
            Op::Lt => col.lt(slot_value(slot, &f.value, at)?),
            Op::Le => col.lte(slot_value(slot, &f.value, at)?),
            Op::Gt => col.gt(slot_value(slot, &f.value, at)?),
            Op::Ge => col.gte(slot_value(slot, &f.value, at)?),
        };
        cond = cond.add(expr);
    }
    Ok(cond)
}

/// What a cursor holds: the sort value and the sequence of the last record.
#[derive(serde::Serialize, serde::Deserialize)]
struct Cursor {
    v: Option<serde_json::Value>,
    s: i64,
}

fn encode_cursor(c: &Cursor) -> String {
    hex::encode(serde_json::to_vec(c).unwrap_or_default())
}

fn decode_cursor(text: &str) -> Result<Cursor, PlatformError> {
    hex::decode(text)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| PlatformError::invalid("cursor", "is not a cursor this collection returned"))
}

/// Finds records by indexed fields, one page at a time.
pub async fn query<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    q: &Query,
) -> Result<Page, PlatformError> {
    query_cached(conn, scope, schema, q, None).await
}

/// [`query`], keeping the page in `cache` under the collection's generation
/// as it was [`Known`], where [`ReadCache::page`] finds it while the
/// collection is unchanged (ask it first: this reads the store). Only for a
/// reading unit of work: one that writes would not see its writes.
pub async fn query_cached<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    q: &Query,
    cache: Option<(&ReadCache, &Known)>,
) -> Result<Page, PlatformError> {
    if q.limit == 0 || q.limit > MAX_PAGE {
        return Err(PlatformError::invalid(
            "limit",
            format!("must be between 1 and {MAX_PAGE}, not {}", q.limit),
        ));
    }
    // Bad filters are refused even where the collection is still empty.
    let mut cond = filter_condition(schema, &q.filters, None)?;
    let sort = match &q.sort {
        Some(s) => Some((
            slot_of(schema, &s.field, || "sort.field".into())?,
            s.descending,
        )),
        None => None,
    };
    let cursor = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let Some((cid, generation)) = find_collection(conn, scope, schema, cache).await? else {
        return Ok(Page {
            records: Vec::new(),
            next_cursor: None,
        });
    };
    let key = cache.map(|_| page_key(cid, generation, schema, q));
    if let Some((slot, _)) = sort
        && walk_sort_index(conn, cid, schema, &q.filters, slot).await?
    {
        cond = filter_condition(schema, &q.filters, Some(slot))?;
    }
    let mut select = record::Entity::find()
        .filter(record::Column::CollectionId.eq(cid))
        .filter(record::Column::Deleted.eq(false))
        .filter(cond);
    let descending = sort.map_or(q.newest_first, |(_, d)| d);
    let order = if descending { Order::Desc } else { Order::Asc };
    let seq = Expr::col(record::Column::Seq);
    if let Some((slot, _)) = sort {
        let col = Expr::col(slot.column());
        select = select.filter(col.clone().is_not_null());
        if let Some(c) = &cursor {
            let v =
                c.v.as_ref()
                    .map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .ok_or_else(|| PlatformError::invalid("cursor", "does not fit this sort"))?;
            let v = slot_value(slot, &v, || "cursor".into())?;
            let after = if descending {
                col.clone()
                    .lt(v.clone())
                    .or(col.clone().eq(v).and(seq.clone().lt(c.s)))
            } else {
                col.clone()
                    .gt(v.clone())
                    .or(col.clone().eq(v).and(seq.clone().gt(c.s)))
            };
            select = select.filter(after);
        }
        select = select.order_by(col, order.clone());
    } else if let Some(c) = &cursor {
        select = select.filter(if descending {
            seq.clone().lt(c.s)
        } else {
            seq.clone().gt(c.s)
        });
    }
    let rows = select
        .order_by(record::Column::Seq, order)
        .limit(u64::from(q.limit) + 1)
        .all(conn)
        .await?;
    let more = rows.len() > q.limit as usize;
    let rows: Vec<record::Model> = rows.into_iter().take(q.limit as usize).collect();
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Some(encode_cursor(&Cursor {
            v: sort.map(|(slot, _)| slot_json(last, slot)),
            s: last.seq,
        })),
        _ => None,
    };
    let records: Vec<Record> = rows.into_iter().map(Record::from).collect();
    let page = Page {
        records,
        next_cursor,
    };
    if let (Some((cache, _)), Some(key)) = (cache, key) {
        let text: usize = page.records.iter().map(|r| r.doc.len() + r.id.len()).sum();
        let weight = u32::try_from(text + key.len()).unwrap_or(u32::MAX);
        cache
            .pages
            .insert(key, (std::sync::Arc::new(page.clone()), weight));
    }
    Ok(page)
}

/// The longest search term, in characters.
pub const MAX_SEARCH_TERM: usize = 100;

/// The newest documents of a collection a search looks through: a term
/// nobody used would otherwise read every document of a large collection
/// (200,000 notices: 473 ms).
pub const SEARCH_WINDOW: u64 = 20_000;

/// Documents of a collection whose indexed text `fields` contain `term`
/// (ignoring case), newest first, at most `limit`, among the newest
/// [`SEARCH_WINDOW`]; `true` beside them when the collection holds older
/// documents that were not searched. For the portal's search: it reads the
/// slots only, so it finds what the collection indexes. On SQLite, case is
/// ignored for ASCII letters only.
pub async fn search<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    fields: &[String],
    term: &str,
    limit: u64,
) -> Result<(Vec<Record>, bool), PlatformError> {
    let term = term.trim();
    if term.is_empty() || term.chars().count() > MAX_SEARCH_TERM {
        return Err(PlatformError::invalid(
            "q",
            format!("must be 1 to {MAX_SEARCH_TERM} characters"),
        ));
    }
    let mut any = Condition::any();
    for (i, field) in fields.iter().enumerate() {
        let slot = slot_of(schema, field, || format!("fields[{i}]"))?;
        if slot.kind != FieldType::String {
            return Err(PlatformError::invalid(
                format!("fields[{i}]"),
                format!("`{field}` is not a text field"),
            ));
        }
        // `%`, `_` and the escape itself are the term's own characters.
        let escaped: String = term
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let like = sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\');
        any = any.add(Expr::expr(Func::lower(Expr::col(slot.column()))).like(like));
    }
    let Some(cid) = collection_id(conn, scope, &schema.name, false).await? else {
        return Ok((Vec::new(), false));
    };
    // The oldest sequence in the window, found by walking the sequence index.
    let oldest: Option<i64> = record::Entity::find()
        .select_only()
        .column(record::Column::Seq)
        .filter(record::Column::CollectionId.eq(cid))
        .order_by_desc(record::Column::Seq)
        .offset(SEARCH_WINDOW)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    let mut find = record::Entity::find()
        .filter(record::Column::CollectionId.eq(cid))
        .filter(record::Column::Deleted.eq(false))
        .filter(any);
    if let Some(oldest) = oldest {
        find = find.filter(record::Column::Seq.gt(oldest));
    }
    let found = find
        .order_by_desc(record::Column::Seq)
        .limit(limit.clamp(1, u64::from(MAX_PAGE)))
        .all(conn)
        .await?
        .into_iter()
        .map(Record::from)
        .collect();
    Ok((found, oldest.is_some()))
}

/// How many documents an equality filter must match before walking the
/// sort field's index beats sorting the filter's matches.
const UNSELECTIVE: i64 = 2_000;

/// Whether a sorted query should walk the sort field's index (and test the
/// other filters on each document it passes) rather than use a filter's
/// index and sort what matches. SQLite's planner, which knows nothing of
/// the page size, sorts every match of an equality filter even when the
/// filter matches half the collection; PostgreSQL's statistics decide
/// well on their own. So on SQLite, when the filters on every other field
/// (equality, prefix or range, those on one field together) match many
/// documents (counted in its index, up to [`UNSELECTIVE`]), the sort index
/// is walked: a page is then found after a few hundred documents instead
/// of a sort of many thousands (a board of 180,000 posted notices sorted
/// by title: 234 ms).
async fn walk_sort_index<C: ConnectionTrait>(
    conn: &C,
    cid: i64,
    schema: &CollectionSchema,
    filters: &[Filter],
    sort: Slot,
) -> Result<bool, PlatformError> {
    if conn.get_database_backend() != DbBackend::Sqlite {
        return Ok(false);
    }
    // The conditions on each other field, together: `until >= today` and
    // `until < next year` count as one.
    let mut by_slot: Vec<(Slot, Vec<String>, Vec<sea_orm::Value>)> = Vec::new();
    for f in filters {
        let slot = slot_of(schema, &f.field, String::new)?;
        if slot == sort {
            continue;
        }
        let value = slot_value(slot, &f.value, String::new)?;
        let col = slot.name();
        let (tests, values) = match f.op {
            Op::Prefix => (
                vec![format!("{col} >= ?"), format!("{col} < ?")],
                vec![value, format!("{}\u{10FFFF}", f.value).into()],
            ),
            Op::Eq => (vec![format!("{col} = ?")], vec![value]),
            Op::Lt => (vec![format!("{col} < ?")], vec![value]),
            Op::Le => (vec![format!("{col} <= ?")], vec![value]),
            Op::Gt => (vec![format!("{col} > ?")], vec![value]),
            Op::Ge => (vec![format!("{col} >= ?")], vec![value]),
        };
        match by_slot.iter_mut().find(|(s, _, _)| *s == slot) {
            Some((_, t, v)) => {
                t.extend(tests);
                v.extend(values);
            }
            None => by_slot.push((slot, tests, values)),
        }
    }
    for (_, tests, values) in &by_slot {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM records WHERE collection_id = ? AND {} LIMIT {UNSELECTIVE})",
            tests.join(" AND ")
        );
        let mut all = vec![cid.into()];
        all.extend(values.iter().cloned());
        let n: i64 = conn
            .query_one_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, all))
            .await?
            .map(|r| r.try_get("", "n"))
            .transpose()?
            .unwrap_or(0);
        if n < UNSELECTIVE {
            return Ok(false);
        }
    }
    Ok(!by_slot.is_empty())
}

fn slot_json(m: &record::Model, slot: Slot) -> serde_json::Value {
    match slot.kind {
        FieldType::String => {
            let s = [&m.s0, &m.s1, &m.s2, &m.s3][slot.index.min(SLOTS - 1)];
            s.clone().map_or(serde_json::Value::Null, Into::into)
        }
        FieldType::Number => {
            let n = [m.n0, m.n1, m.n2, m.n3][slot.index.min(SLOTS - 1)];
            n.map_or(serde_json::Value::Null, Into::into)
        }
    }
}

/// A typed NULL: PostgreSQL would otherwise call an untyped one text.
fn null_number() -> SimpleExpr {
    Expr::cust("CAST(NULL AS DOUBLE PRECISION)")
}

#[derive(Debug, FromQueryResult)]
struct GroupRow {
    s: Option<String>,
    f: Option<f64>,
    count: i64,
    total: Option<f64>,
}

/// Counts records (and sums a number field) grouped by an indexed field,
/// for reports. At most 1,000 groups, largest count first. With a `cache`
/// (only where the transaction has not written: its own writes are not yet
/// in the generation), the groups are kept for [`ReadCache::groups`], so an
/// unchanged collection is not counted again.
pub async fn aggregate<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    schema: &CollectionSchema,
    filters: &[Filter],
    group_by: &str,
    sum: Option<&str>,
    cache: Option<(&ReadCache, &Known)>,
) -> Result<Vec<Group>, PlatformError> {
    let cond = filter_condition(schema, filters, None)?;
    let group = slot_of(schema, group_by, || "group-by".into())?;
    let summed = match sum {
        Some(f) => {
            let slot = slot_of(schema, f, || "sum".into())?;
            if slot.kind != FieldType::Number {
                return Err(PlatformError::invalid(
                    "sum",
                    format!("`{f}` is text; only number fields can be summed"),
                ));
            }
            Some(slot)
        }
        None => None,
    };
    let Some((cid, generation)) = find_collection(conn, scope, schema, cache).await? else {
        return Ok(Vec::new());
    };
    let key = cache.map(|_| groups_key(cid, generation, filters, group_by, sum));
    let (s_expr, f_expr): (SimpleExpr, SimpleExpr) = match group.kind {
        FieldType::String => (Expr::col(group.column()), null_number()),
        FieldType::Number => (Expr::cust("CAST(NULL AS TEXT)"), Expr::col(group.column())),
    };
    let total: SimpleExpr = match summed {
        Some(slot) => Func::sum(Expr::col(slot.column())).into(),
        None => null_number(),
    };
    let rows = record::Entity::find()
        .select_only()
        .expr_as(s_expr, "s")
        .expr_as(f_expr, "f")
        .expr_as(Func::count(Expr::col(record::Column::Seq)), "count")
        .expr_as(total, "total")
        .filter(record::Column::CollectionId.eq(cid))
        .filter(record::Column::Deleted.eq(false))
        .filter(cond)
        .group_by(Expr::col(group.column()))
        .order_by(Expr::cust("count"), Order::Desc)
        .limit(1000)
        .into_model::<GroupRow>()
        .all(conn)
        .await?;
    let groups: Vec<Group> = rows
        .into_iter()
        .map(|r| Group {
            key: r.s.or_else(|| r.f.map(|f| f.to_string())),
            count: u64::try_from(r.count).unwrap_or_default(),
            sum: sum.map(|_| r.total.unwrap_or(0.0)),
        })
        .collect();
    if let (Some((cache, _)), Some(key)) = (cache, key) {
        cache
            .aggregates
            .insert(key, std::sync::Arc::new(groups.clone()));
    }
    Ok(groups)
}

/// A module's records in every organization, exactly as stored: what an
/// upgrade keeps so that rolling back returns the data to what the older
/// version wrote.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// The module whose records these are.
    pub module_id: String,
    /// When it was taken, microseconds since the Unix epoch.
    pub taken_at_micros: i64,
    collections: Vec<collection::Model>,
    records: Vec<record::Model>,
}

impl Snapshot {
    /// How many documents it holds (deleted ones included).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds no document.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

async fn collection_ids<C: ConnectionTrait>(
    conn: &C,
    module_id: &str,
) -> Result<Vec<i64>, PlatformError> {
    Ok(collection::Entity::find()
        .filter(collection::Column::ModuleId.eq(module_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect())
}

/// Every collection and document of `module_id`, in every organization.
pub async fn snapshot<C: ConnectionTrait>(
    conn: &C,
    module_id: &str,
) -> Result<Snapshot, PlatformError> {
    let collections = collection::Entity::find()
        .filter(collection::Column::ModuleId.eq(module_id))
        .order_by_asc(collection::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<i64> = collections.iter().map(|c| c.id).collect();
    let records = record::Entity::find()
        .filter(record::Column::CollectionId.is_in(ids))
        .order_by_asc(record::Column::Seq)
        .all(conn)
        .await?;
    Ok(Snapshot {
        module_id: module_id.to_owned(),
        taken_at_micros: now_micros(),
        collections,
        records,
    })
}

/// Puts `module_id`'s records back as `snapshot` holds them: what was
/// written since is replaced, collections made since are removed.
pub async fn restore<C: ConnectionTrait>(
    conn: &C,
    snapshot: &Snapshot,
) -> Result<(), PlatformError> {
    let module_id = &snapshot.module_id;
    if snapshot
        .collections
        .iter()
        .any(|c| &c.module_id != module_id)
    {
        return Err(PlatformError::Corrupt(format!(
            "the snapshot of `{module_id}` holds another module's collections"
        )));
    }
    let ids = collection_ids(conn, module_id).await?;
    // Generations only move on: past what is stored now and past what the
    // snapshot had, so nothing computed from either is taken for the other.
    let now_at: std::collections::HashMap<i64, i64> = collection::Entity::find()
        .filter(collection::Column::Id.is_in(ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.generation))
        .collect();
    record::Entity::delete_many()
        .filter(record::Column::CollectionId.is_in(ids.clone()))
        .exec(conn)
        .await?;
    collection::Entity::delete_many()
        .filter(collection::Column::Id.is_in(ids))
        .exec(conn)
        .await?;
    // Inserted in batches: SQLite takes at most 32,766 bound values a statement.
    for batch in snapshot.collections.chunks(500) {
        collection::Entity::insert_many(batch.iter().cloned().map(|c| collection::ActiveModel {
            id: Set(c.id),
            org_id: Set(c.org_id),
            module_id: Set(c.module_id),
            name: Set(c.name),
            generation: Set(Ord::max(c.generation, now_at.get(&c.id).copied().unwrap_or(0)) + 1),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    for batch in snapshot.records.chunks(500) {
        record::Entity::insert_many(batch.iter().cloned().map(record::ActiveModel::from))
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// How many of `module_id`'s documents were written after `micros`.
pub async fn changed_since<C: ConnectionTrait>(
    conn: &C,
    module_id: &str,
    micros: i64,
) -> Result<u64, PlatformError> {
    use sea_orm::PaginatorTrait;
    let ids = collection_ids(conn, module_id).await?;
    Ok(record::Entity::find()
        .filter(record::Column::CollectionId.is_in(ids))
        .filter(record::Column::UpdatedAtMicros.gt(micros))
        .count(conn)
        .await?)
}

/// The organizations in which `module_id` has collections.
pub async fn organizations_with_data<C: ConnectionTrait>(
    conn: &C,
    module_id: &str,
) -> Result<Vec<String>, PlatformError> {
    let mut orgs: Vec<String> = collection::Entity::find()
        .filter(collection::Column::ModuleId.eq(module_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.org_id)
        .collect();
    orgs.sort();
    orgs.dedup();
    Ok(orgs)
}
