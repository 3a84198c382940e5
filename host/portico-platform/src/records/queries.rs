//! Finding documents by their indexed fields: filters, sort, keyset
//! pagination with cursors, and aggregates (counts and sums by group), each
//! answered from the `ReadCache` when a reading unit of work asks again;
//! and, on SQLite, the choice to walk the sort field's index.

use sea_orm::sea_query::{Expr, ExprTrait, Func, Order, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::cache::{Known, ReadCache, find_collection, groups_key, page_key};
use super::schema::{CollectionSchema, FieldType, Slot, slot_json, slot_of, slot_value};
use super::{Filter, FilterOp, Group, MAX_PAGE, Page, Query, Record, Scope, record};
use crate::PlatformError;

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
        let unindexed = matches!(only_index, Some(keep) if keep != slot);
        let col = if unindexed {
            Expr::cust(format!("+\"{}\"", slot.name()))
        } else {
            Expr::col(slot.column())
        };
        let at = || format!("filters[{i}].value");
        // Equality and prefix on text compare folded text: the slot where
        // folding leaves it as it is, its folded copy where it does not.
        let folded =
            slot.kind == FieldType::String && matches!(f.op, FilterOp::Eq | FilterOp::Prefix);
        let (value, fcol) = if folded {
            let fcol = if unindexed {
                Expr::cust(format!("+\"{}\"", slot.folded_name()))
            } else {
                Expr::col(slot.folded_column())
            };
            (portico_types::folding::fold(&f.value), Some(fcol))
        } else {
            (f.value.clone(), None)
        };
        let expr: SimpleExpr = match f.op {
            FilterOp::Prefix => {
                if slot.kind != FieldType::String {
                    return Err(PlatformError::invalid(
                        format!("filters[{i}].op"),
                        format!("`prefix` works on text fields; `{}` is a number", f.field),
                    ));
                }
                // A range, not LIKE: it uses the index on both engines and
                // needs no escaping of `%` and `_`.
                let upper = format!("{value}\u{10FFFF}");
                let range = |c: Expr| c.clone().gte(value.clone()).and(c.lt(upper.clone()));
                let on_slot = range(col);
                match fcol {
                    Some(fcol) => on_slot.or(range(fcol)),
                    None => on_slot,
                }
            }
            FilterOp::Eq => match fcol {
                Some(fcol) => col.eq(value.clone()).or(fcol.eq(value)),
                None => col.eq(slot_value(slot, &value, at)?),
            },
            FilterOp::Lt => col.lt(slot_value(slot, &value, at)?),
            FilterOp::Le => col.lte(slot_value(slot, &value, at)?),
            FilterOp::Gt => col.gt(slot_value(slot, &value, at)?),
            FilterOp::Ge => col.gte(slot_value(slot, &value, at)?),
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
    // The filters on each other field, together: `until >= today` and
    // `until < next year` count as one; each written as the query writes it.
    let mut by_slot: Vec<(Slot, Vec<Filter>)> = Vec::new();
    for f in filters {
        let slot = slot_of(schema, &f.field, String::new)?;
        if slot == sort {
            continue;
        }
        match by_slot.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, same)) => same.push(f.clone()),
            None => by_slot.push((slot, vec![f.clone()])),
        }
    }
    for (_, same) in &by_slot {
        let matching = sea_orm::sea_query::Query::select()
            .expr(Expr::val(1))
            .from(record::Entity)
            .and_where(Expr::col(record::Column::CollectionId).eq(cid))
            .cond_where(filter_condition(schema, same, None)?)
            .limit(UNSELECTIVE as u64)
            .to_owned();
        let count = sea_orm::sea_query::Query::select()
            .expr_as(Expr::cust("COUNT(*)"), sea_orm::sea_query::Alias::new("n"))
            .from_subquery(matching, sea_orm::sea_query::Alias::new("m"))
            .to_owned();
        let n: i64 = conn
            .query_one(&count)
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
