//! Reading and writing one document: get, insert (one, or an import's
//! batches), update and delete, each guarded by the document's version and
//! audited in its organization's chain, and the collection's row, created
//! at its first write.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
    TryIntoModel,
};

use super::schema::{Checked, CollectionSchema, Slot, check_document, search_words, set_slots};
use super::text_search::{drop_words, put_words, replace_words, search_signature};
use super::{Record, Scope, collection, record};
use crate::{PlatformError, audit, now_micros};

/// The collection `name` of the scope's organization and module.
pub(super) fn the_collection(scope: &Scope, name: &str) -> sea_orm::Select<collection::Entity> {
    collection::Entity::find()
        .filter(collection::Column::OrgId.eq(&scope.org_id))
        .filter(collection::Column::ModuleId.eq(&scope.module_id))
        .filter(collection::Column::Name.eq(name))
}

/// The collection's row id, created on first write (`create`, with the
/// schema it is written by). `None` when it was never written to (reads
/// then find nothing).
pub(super) async fn collection_id<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    name: &str,
    create: Option<&CollectionSchema>,
) -> Result<Option<i64>, PlatformError> {
    let find = || the_collection(scope, name);
    if let Some(c) = find().one(conn).await? {
        return Ok(Some(c.id));
    }
    let Some(schema) = create else {
        return Ok(None);
    };
    // Two first writes racing: one inserts, the other waits for it and
    // then finds its row.
    collection::Entity::insert(collection::ActiveModel {
        org_id: Set(scope.org_id.clone()),
        module_id: Set(scope.module_id.clone()),
        name: Set(name.to_owned()),
        // Every write keeps its words from the start.
        search_fields: Set(search_signature(schema)),
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
    let Some(cid) = collection_id(conn, scope, &schema.name, None).await? else {
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
    let cid = collection_id(conn, scope, &schema.name, Some(schema))
        .await?
        .unwrap_or_default();
    let now = now_micros();
    let id = uuid::Uuid::now_v7().simple().to_string();
    let doc = data.to_string();
    let stored = new_model(cid, &id, doc.clone(), &slots, now)
        .insert(conn)
        .await?;
    if !schema.searched.is_empty() {
        let words = search_words(schema, &data);
        put_words(conn, cid, &[(stored.seq.into(), words)], false).await?;
    }
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
        f0: Set(None),
        f1: Set(None),
        f2: Set(None),
        f3: Set(None),
        ..Default::default()
    };
    set_slots(&mut model, slots);
    model
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
    "f0",
    "f1",
    "f2",
    "f3",
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
    let cid = collection_id(conn, scope, &schema.name, Some(schema))
        .await?
        .unwrap_or_default();
    let postgres = conn.get_database_backend() == DbBackend::Postgres;
    for batch in docs.chunks(RECORDS_PER_INSERT) {
        let now = now_micros();
        let mut models = Vec::with_capacity(batch.len());
        let mut words = Vec::new();
        for doc in batch {
            let id = uuid::Uuid::now_v7().simple().to_string();
            models.push(new_model(cid, &id, doc.data.to_string(), &doc.slots, now));
            if !schema.searched.is_empty() {
                words.push((id.clone().into(), search_words(schema, &doc.data)));
            }
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
        put_words(conn, cid, &words, true).await?;
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
    replace_words(conn, schema, current.collection_id, current.seq, &data).await?;
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
    if !schema.searched.is_empty() {
        drop_words(conn, current.seq).await?;
    }
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
    let cid = collection_id(conn, scope, collection, None)
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
