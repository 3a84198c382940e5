//! What the outboxes share: the event deliveries, the messages between
//! organizations, and the e-mails and text messages. A row is due when it
//! waits and its next attempt has come. A sender claims due rows by moving
//! their next attempt past a lease, compare-and-set on the time it read,
//! so that of two senders (on one host or two) racing for a row exactly
//! one gets it, and the rows of a sender that died wait only for the
//! lease. A failed attempt is retried with a doubling backoff, or the row
//! is parked after too many.

use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::{PlatformError, Retry, now_micros};

/// An outbox table: the columns every outbox has, and its two statuses.
pub(crate) trait Outbox: EntityTrait {
    /// The status of a row waiting to go.
    const WAITING: &'static str;
    /// The status of a row given up on after too many attempts.
    const PARKED: &'static str;
    /// The row's key.
    const ID: Self::Column;
    /// Its status.
    const STATUS: Self::Column;
    /// When it may be attempted (again), microseconds since the epoch.
    const NEXT_ATTEMPT: Self::Column;
    /// Failed attempts so far.
    const ATTEMPTS: Self::Column;
    /// Why the last attempt failed.
    const LAST_ERROR: Self::Column;
    /// The status of a row that went.
    const DONE: &'static str;
    /// When it went, microseconds since the epoch.
    const DONE_AT: Self::Column;

    /// A row's key and the next attempt it was read with.
    fn lease_key(row: &Self::Model) -> (sea_orm::Value, i64);
}

/// How many rows wait (retries included), for metrics.
pub(crate) async fn backlog<E: Outbox>(db: &DatabaseConnection) -> Result<u64, PlatformError>
where
    E::Model: Sync,
{
    Ok(E::find().filter(E::STATUS.eq(E::WAITING)).count(db).await?)
}

/// Marks row `id` gone, now.
pub(crate) async fn done<E: Outbox>(
    db: &DatabaseConnection,
    id: impl Into<sea_orm::Value>,
) -> Result<(), PlatformError> {
    E::update_many()
        .col_expr(E::STATUS, Expr::value(E::DONE))
        .col_expr(E::DONE_AT, Expr::value(now_micros()))
        .filter(E::ID.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims up to `limit` due rows, the first by `order`, for `lease`.
pub(crate) async fn claim_due<E: Outbox>(
    db: &DatabaseConnection,
    limit: u64,
    lease: Duration,
    order: E::Column,
) -> Result<Vec<E::Model>, PlatformError> {
    let now = now_micros();
    let due = E::find()
        .filter(E::STATUS.eq(E::WAITING))
        .filter(E::NEXT_ATTEMPT.lte(now))
        .order_by_asc(order)
        .limit(limit)
        .all(db)
        .await?;
    let until = now + i64::try_from(lease.as_micros()).unwrap_or(i64::MAX);
    let mut claimed = Vec::new();
    for row in due {
        let (id, read_at) = E::lease_key(&row);
        let r = E::update_many()
            .col_expr(E::NEXT_ATTEMPT, Expr::value(until))
            .filter(E::ID.eq(id))
            .filter(E::STATUS.eq(E::WAITING))
            .filter(E::NEXT_ATTEMPT.eq(read_at))
            .exec(db)
            .await?;
        if r.rows_affected == 1 {
            claimed.push(row);
        }
    }
    Ok(claimed)
}

/// Records a failed attempt of row `id`, which had failed `attempts`
/// times before: retried with exponential backoff from `base` (capped at
/// an hour), or parked after `max_attempts`.
pub(crate) async fn failed<E: Outbox>(
    db: &DatabaseConnection,
    id: impl Into<sea_orm::Value>,
    attempts: i32,
    error: &str,
    max_attempts: i32,
    base: Duration,
) -> Result<Retry, PlatformError> {
    let attempts = attempts + 1;
    let retry = Retry::after(attempts, max_attempts, base);
    let status = match retry {
        Retry::After(_) => E::WAITING,
        Retry::Dead => E::PARKED,
    };
    E::update_many()
        .col_expr(E::STATUS, Expr::value(status))
        .col_expr(E::ATTEMPTS, Expr::value(attempts))
        .col_expr(
            E::LAST_ERROR,
            Expr::value(error.chars().take(2000).collect::<String>()),
        )
        .col_expr(E::NEXT_ATTEMPT, Expr::value(retry.next_attempt_micros()))
        .filter(E::ID.eq(id))
        .exec(db)
        .await?;
    Ok(retry)
}

/// Puts the parked rows of `org` (by `org_column`) back in line, all or
/// only `one`, with their attempts counted from zero; returns how many.
/// `one` that is not parked there is `NotFound`, named as `what` (e.g.
/// `dead message 12`).
pub(crate) async fn redrive<E: Outbox>(
    db: &DatabaseConnection,
    org_column: E::Column,
    org: &str,
    one: Option<(sea_orm::Value, String)>,
) -> Result<u64, PlatformError> {
    let mut q = E::update_many()
        .col_expr(E::STATUS, Expr::value(E::WAITING))
        .col_expr(E::ATTEMPTS, Expr::value(0))
        .col_expr(E::NEXT_ATTEMPT, Expr::value(now_micros()))
        .filter(E::STATUS.eq(E::PARKED))
        .filter(org_column.eq(org));
    let missing = one.as_ref().map(|(_, what)| what.clone());
    if let Some((id, _)) = one {
        q = q.filter(E::ID.eq(id));
    }
    let n = q.exec(db).await?.rows_affected;
    match missing {
        Some(what) if n == 0 => Err(PlatformError::NotFound(format!(
            "no {what} in organization `{org}`"
        ))),
        _ => Ok(n),
    }
}
