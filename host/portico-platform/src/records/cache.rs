//! What was read before, kept while it is still true: the `ReadCache` of
//! pages and aggregates, keyed by each collection's generation, the
//! generations a reading unit of work found (`Known`), and the moving on
//! of a generation when a transaction wrote to its collection.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::schema::CollectionSchema;
use super::store::the_collection;
use super::{Filter, Group, Page, Query, Scope, collection};
use crate::PlatformError;

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
    pub(super) aggregates: moka::sync::Cache<String, std::sync::Arc<Vec<Group>>>,
    /// Pages with their weight (see [`CACHED_PAGE_BYTES`]).
    pub(super) pages: moka::sync::Cache<String, (std::sync::Arc<Page>, u32)>,
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

    /// What [`aggregate`](super::aggregate) counted before, like [`ReadCache::page`].
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

pub(super) fn page_key(cid: i64, generation: i64, schema: &CollectionSchema, q: &Query) -> String {
    format!("{cid}/{generation}/{:?}/{q:?}", schema.fields)
}

pub(super) fn groups_key(
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
pub(super) async fn find_collection<C: ConnectionTrait>(
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
