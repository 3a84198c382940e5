//! A module's records taken whole and put back: what an upgrade keeps so
//! that a rollback returns the data to what the older version wrote, and
//! what a rollback asks before it discards newer writes.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

use super::schema::folded_slot;
use super::{collection, record};
use crate::{PlatformError, now_micros};

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
    super::text_search::drop_collections_words(conn, &ids).await?;
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
            // Its words are taken again from the documents put back.
            search_fields: Set(None),
        }))
        .exec_without_returning(conn)
        .await?;
    }
    for batch in snapshot.records.chunks(500) {
        // The folded slots as this host folds (a snapshot may predate them).
        let rows = batch.iter().cloned().map(|mut m| {
            m.f0 = folded_slot(m.s0.as_deref());
            m.f1 = folded_slot(m.s1.as_deref());
            m.f2 = folded_slot(m.s2.as_deref());
            m.f3 = folded_slot(m.s3.as_deref());
            record::ActiveModel::from(m)
        });
        record::Entity::insert_many(rows)
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
