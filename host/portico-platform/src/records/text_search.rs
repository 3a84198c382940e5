//! The portal's search through a collection: a term looked for in the
//! indexed text fields of its newest documents. Kept apart from
//! `queries`, which answers a module's exact questions; this answers a
//! person's loose one.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::schema::{CollectionSchema, FieldType, slot_of};
use super::store::collection_id;
use super::{MAX_PAGE, Record, Scope, record};
use crate::PlatformError;

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
