//! The event outbox. Publishing writes the event and one delivery per
//! subscribed module in the publisher's transaction; a dispatcher then
//! claims due deliveries, calls the module, and marks each delivered, or
//! schedules a retry with backoff, or parks it as dead after too many
//! failures. Delivery is at least once: a subscriber may see an event twice
//! (after a crash between its handling and the mark), never zero times.

use std::time::Duration;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

use crate::outbox::{self, Outbox};
use crate::records::Scope;
use crate::{PlatformError, Retry, modules, now_micros};

pub(crate) mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_id: String,
        pub module_id: String,
        pub topic: String,
        pub payload: String,
        pub created_at_micros: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub event_id: i64,
        pub org_id: String,
        pub module_id: String,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_micros: i64,
        pub last_error: Option<String>,
        pub delivered_at_micros: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

const PENDING: &str = "pending";
const DELIVERED: &str = "delivered";
const DEAD: &str = "dead";

impl Outbox for delivery::Entity {
    const WAITING: &'static str = PENDING;
    const PARKED: &'static str = DEAD;
    const ID: delivery::Column = delivery::Column::Id;
    const STATUS: delivery::Column = delivery::Column::Status;
    const NEXT_ATTEMPT: delivery::Column = delivery::Column::NextAttemptMicros;
    const ATTEMPTS: delivery::Column = delivery::Column::Attempts;
    const LAST_ERROR: delivery::Column = delivery::Column::LastError;
    const DONE: &'static str = DELIVERED;
    const DONE_AT: delivery::Column = delivery::Column::DeliveredAtMicros;

    fn lease_key(d: &delivery::Model) -> (sea_orm::Value, i64) {
        (d.id.into(), d.next_attempt_micros)
    }
}

/// The largest event payload, in bytes of JSON.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// Writes an event and a delivery for each of `subscribers` enabled in the
/// scope's organization. Returns the event's id. The topic was checked by
/// the runtime against the same rule manifests follow.
pub async fn publish<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    topic: &str,
    payload: &str,
    subscribers: &[String],
) -> Result<i64, PlatformError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(PlatformError::invalid(
            "payload",
            format!(
                "is {} bytes; an event takes at most {MAX_PAYLOAD}",
                payload.len()
            ),
        ));
    }
    let value: serde_json::Value = serde_json::from_str(payload)
        .map_err(|e| PlatformError::invalid("payload", format!("is not valid JSON: {e}")))?;
    let now = now_micros();
    let ev = event::ActiveModel {
        org_id: Set(scope.org_id.clone()),
        module_id: Set(scope.module_id.clone()),
        topic: Set(topic.to_owned()),
        payload: Set(value.to_string()),
        created_at_micros: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    if subscribers.is_empty() {
        return Ok(ev.id);
    }
    let enabled = modules::enabled_modules(conn, &scope.org_id).await?;
    for module in subscribers.iter().filter(|m| enabled.contains(m)) {
        delivery::ActiveModel {
            event_id: Set(ev.id),
            org_id: Set(scope.org_id.clone()),
            module_id: Set(module.clone()),
            status: Set(PENDING.into()),
            attempts: Set(0),
            next_attempt_micros: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(ev.id)
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// The delivery's id.
    pub id: i64,
    /// The event's id.
    pub event_id: i64,
    /// The organization the event belongs to.
    pub org_id: String,
    /// The module to deliver to.
    pub module_id: String,
    /// The module that published it.
    pub source_module: String,
    /// Its topic.
    pub topic: String,
    /// Its payload (JSON).
    pub payload: String,
    /// When it was published, microseconds since the Unix epoch.
    pub published_at_micros: i64,
    /// Attempts made before this one.
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
}

async fn with_events(
    db: &DatabaseConnection,
    rows: Vec<delivery::Model>,
) -> Result<Vec<Delivery>, PlatformError> {
    let ids: Vec<i64> = rows.iter().map(|d| d.event_id).collect();
    let events: std::collections::HashMap<i64, event::Model> = event::Entity::find()
        .filter(event::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|d| {
            let e = events.get(&d.event_id)?;
            Some(Delivery {
                id: d.id,
                event_id: d.event_id,
                org_id: d.org_id,
                module_id: d.module_id,
                source_module: e.module_id.clone(),
                topic: e.topic.clone(),
                payload: e.payload.clone(),
                published_at_micros: e.created_at_micros,
                attempts: d.attempts,
                last_error: d.last_error,
                status: d.status,
            })
        })
        .collect())
}

/// Deliveries waiting to be delivered (retries included), for metrics.
pub async fn backlog(db: &DatabaseConnection) -> Result<u64, PlatformError> {
    outbox::backlog::<delivery::Entity>(db).await
}

/// Claims up to `limit` due deliveries for `lease`: another dispatcher (on
/// this host or another) will not take them until the lease runs out, so a
/// dispatcher that dies mid-delivery only delays them.
pub async fn claim_due(
    db: &DatabaseConnection,
    limit: u64,
    lease: Duration,
) -> Result<Vec<Delivery>, PlatformError> {
    let claimed =
        outbox::claim_due::<delivery::Entity>(db, limit, lease, delivery::Column::Id).await?;
    with_events(db, claimed).await
}

/// Marks a delivery done.
pub async fn delivered(db: &DatabaseConnection, id: i64) -> Result<(), PlatformError> {
    outbox::done::<delivery::Entity>(db, id).await
}

/// Records a failed attempt: retried with exponential backoff (from
/// `base`, capped at an hour), or dead after `max_attempts`.
pub async fn failed(
    db: &DatabaseConnection,
    d: &Delivery,
    error: &str,
    max_attempts: i32,
    base: Duration,
) -> Result<Retry, PlatformError> {
    outbox::failed::<delivery::Entity>(db, d.id, d.attempts, error, max_attempts, base).await
}

/// The deliveries parked after too many failures, oldest first.
pub async fn dead_letters(
    db: &DatabaseConnection,
    org_id: Option<&str>,
) -> Result<Vec<Delivery>, PlatformError> {
    let mut q = delivery::Entity::find().filter(delivery::Column::Status.eq(DEAD));
    if let Some(org) = org_id {
        q = q.filter(delivery::Column::OrgId.eq(org));
    }
    let rows = q.order_by_asc(delivery::Column::Id).all(db).await?;
    with_events(db, rows).await
}

/// Puts dead deliveries back in line (all of the organization's, or one),
/// with their attempts counted from zero. Returns how many.
pub async fn redrive(
    db: &DatabaseConnection,
    org_id: &str,
    delivery_id: Option<i64>,
) -> Result<u64, PlatformError> {
    outbox::redrive::<delivery::Entity>(
        db,
        delivery::Column::OrgId,
        org_id,
        delivery_id.map(|id| (id.into(), format!("dead delivery {id}"))),
    )
    .await
}
