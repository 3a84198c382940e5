//! Messages along the organization tree: a module sends a message to
//! itself in an organization above or below the sender. Sending writes the
//! message in the sender's transaction (a call that fails sends nothing);
//! a dispatcher claims due messages with a lease, has the receiving
//! organization's module handle each, and marks it delivered, or retries
//! with backoff, or parks it as dead after too many failures, as events
//! are. Delivery is at least once; a receipt, the first write of the
//! receiver's transaction and kept only with what the module wrote, makes
//! handling once: a message already received is marked delivered without
//! a call, and of two calls racing for one message the second waits for
//! the first and is then not called.

use std::time::Duration;

use sea_orm::sea_query::{ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::outbox::{self, Outbox};
use crate::{PlatformError, Retry, now_micros};

pub(crate) mod message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub module_id: String,
        pub from_org: String,
        pub to_org: String,
        pub kind: String,
        pub payload: String,
        pub payload_sha256: String,
        pub sent_at_micros: i64,
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

pub(crate) mod receipt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "message_receipts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub module_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub message_id: i64,
        pub received_at_micros: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

const PENDING: &str = "pending";
const DELIVERED: &str = "delivered";
const DEAD: &str = "dead";

impl Outbox for message::Entity {
    const WAITING: &'static str = PENDING;
    const PARKED: &'static str = DEAD;
    const ID: message::Column = message::Column::Id;
    const STATUS: message::Column = message::Column::Status;
    const NEXT_ATTEMPT: message::Column = message::Column::NextAttemptMicros;
    const ATTEMPTS: message::Column = message::Column::Attempts;
    const LAST_ERROR: message::Column = message::Column::LastError;
    const DONE: &'static str = DELIVERED;
    const DONE_AT: message::Column = message::Column::DeliveredAtMicros;

    fn lease_key(m: &message::Model) -> (sea_orm::Value, i64) {
        (m.id.into(), m.next_attempt_micros)
    }
}

/// A message, as the dispatcher, the console and the CLI see it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// Its id.
    pub id: i64,
    /// The module that sent it, and receives it.
    pub module_id: String,
    /// The organization that sent it.
    pub from_org: String,
    /// The organization it goes to.
    pub to_org: String,
    /// What it is, e.g. `task.assigned`.
    pub kind: String,
    /// Its payload (JSON).
    pub payload: String,
    /// The payload's SHA-256, hex, as both audit chains record it.
    pub payload_sha256: String,
    /// When it was sent, microseconds since the Unix epoch.
    pub sent_at_micros: i64,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// Failed attempts so far.
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl From<message::Model> for Message {
    fn from(m: message::Model) -> Self {
        Message {
            id: m.id,
            module_id: m.module_id,
            from_org: m.from_org,
            to_org: m.to_org,
            kind: m.kind,
            payload: m.payload,
            payload_sha256: m.payload_sha256,
            sent_at_micros: m.sent_at_micros,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
        }
    }
}

/// The SHA-256 of a payload, hex: what the audit chains record of it.
pub fn payload_hash(payload: &str) -> String {
    hex::encode(Sha256::digest(payload.as_bytes()))
}

/// Writes a message of `module_id` from `from_org` to `to_org`, due now.
/// The caller checked that `to_org` is in the sender's line and the module
/// enabled there; the payload is JSON. Returns it as stored.
pub async fn send<C: ConnectionTrait>(
    conn: &C,
    module_id: &str,
    from_org: &str,
    to_org: &str,
    kind: &str,
    payload: &str,
) -> Result<Message, PlatformError> {
    let now = now_micros();
    let m = message::ActiveModel {
        module_id: Set(module_id.to_owned()),
        from_org: Set(from_org.to_owned()),
        to_org: Set(to_org.to_owned()),
        kind: Set(kind.to_owned()),
        payload: Set(payload.to_owned()),
        payload_sha256: Set(payload_hash(payload)),
        sent_at_micros: Set(now),
        status: Set(PENDING.into()),
        attempts: Set(0),
        next_attempt_micros: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(m.into())
}

/// Notes that `module_id` in `org_id` received message `id`: `false` when
/// it had been received already (the caller then keeps nothing of its
/// transaction). Of two transactions racing, the second waits for the
/// first and, once it committed, gets `false`.
pub async fn receive<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    module_id: &str,
    id: i64,
) -> Result<bool, PlatformError> {
    let inserted = receipt::Entity::insert(receipt::ActiveModel {
        org_id: Set(org_id.to_owned()),
        module_id: Set(module_id.to_owned()),
        message_id: Set(id),
        received_at_micros: Set(now_micros()),
    })
    .on_conflict(
        OnConflict::columns([
            receipt::Column::OrgId,
            receipt::Column::ModuleId,
            receipt::Column::MessageId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted == 1)
}

/// Whether the message's receiver has received it (its receipt committed).
pub async fn was_received(db: &DatabaseConnection, m: &Message) -> Result<bool, PlatformError> {
    Ok(
        receipt::Entity::find_by_id((m.to_org.clone(), m.module_id.clone(), m.id))
            .one(db)
            .await?
            .is_some(),
    )
}

/// Messages waiting to be delivered (retries included), for metrics.
pub async fn backlog(db: &DatabaseConnection) -> Result<u64, PlatformError> {
    outbox::backlog::<message::Entity>(db).await
}

/// Claims up to `limit` due messages for `lease`: another courier (on
/// this host or another) does not take them until the lease runs out.
pub async fn claim_due(
    db: &DatabaseConnection,
    limit: u64,
    lease: Duration,
) -> Result<Vec<Message>, PlatformError> {
    let claimed =
        outbox::claim_due::<message::Entity>(db, limit, lease, message::Column::Id).await?;
    Ok(claimed.into_iter().map(Into::into).collect())
}

/// Marks a message delivered.
pub async fn delivered(db: &DatabaseConnection, id: i64) -> Result<(), PlatformError> {
    outbox::done::<message::Entity>(db, id).await
}

/// Records a failed attempt: retried with exponential backoff (from
/// `base`, capped at an hour), or dead after `max_attempts`.
pub async fn failed(
    db: &DatabaseConnection,
    m: &Message,
    error: &str,
    max_attempts: i32,
    base: Duration,
) -> Result<Retry, PlatformError> {
    outbox::failed::<message::Entity>(db, m.id, m.attempts, error, max_attempts, base).await
}

/// The messages not delivered after a failed attempt (waiting for the
/// next, or dead), oldest first.
pub async fn failing(db: &DatabaseConnection) -> Result<Vec<Message>, PlatformError> {
    Ok(message::Entity::find()
        .filter(message::Column::Status.ne(DELIVERED))
        .filter(message::Column::Attempts.gt(0))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The messages to `org_id` (or to any organization) parked after too many
/// failures, oldest first.
pub async fn dead_letters(
    db: &DatabaseConnection,
    org_id: Option<&str>,
) -> Result<Vec<Message>, PlatformError> {
    let mut q = message::Entity::find().filter(message::Column::Status.eq(DEAD));
    if let Some(org) = org_id {
        q = q.filter(message::Column::ToOrg.eq(org));
    }
    Ok(q.order_by_asc(message::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Every message to or from `org_id` of `module_id`, newest first, at most
/// `limit`: what the organization's administrator reads.
pub async fn of_org(
    db: &DatabaseConnection,
    org_id: &str,
    module_id: &str,
    limit: u64,
) -> Result<Vec<Message>, PlatformError> {
    Ok(message::Entity::find()
        .filter(message::Column::ModuleId.eq(module_id))
        .filter(
            message::Column::ToOrg
                .eq(org_id)
                .or(message::Column::FromOrg.eq(org_id)),
        )
        .order_by_desc(message::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Puts dead messages to `org_id` back in line (all, or one), with their
/// attempts counted from zero. Returns how many.
pub async fn redrive(
    db: &DatabaseConnection,
    org_id: &str,
    message_id: Option<i64>,
) -> Result<u64, PlatformError> {
    outbox::redrive::<message::Entity>(
        db,
        message::Column::ToOrg,
        org_id,
        message_id.map(|id| (id.into(), format!("dead message {id}"))),
    )
    .await
}
