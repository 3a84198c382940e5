//! The notification outbox and the in-portal inbox. A module's `notify`
//! call renders its message and queues it here in the call's transaction,
//! so a message goes out only if the call succeeded. E-mail and SMS wait as
//! `queued` until a sender claims them (with a lease, like event
//! deliveries), then become `sent`, or are retried with backoff and end as
//! `failed` after too many attempts. A message to a user lands in their
//! inbox at once (`delivered`) and is marked read when they open it.

use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::outbox::{self, Outbox};
use crate::records::Scope;
use crate::{PlatformError, Retry, now_micros};

pub(crate) mod notification {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub org_id: String,
        pub module_id: String,
        pub channel: String,
        pub recipient: String,
        pub template: String,
        pub subject: String,
        pub body: String,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_micros: i64,
        pub last_error: Option<String>,
        pub created_at_micros: i64,
        pub sent_at_micros: Option<i64>,
        pub read_at_micros: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use notification::{ActiveModel, Column, Entity};

impl Outbox for Entity {
    const WAITING: &'static str = QUEUED;
    const PARKED: &'static str = FAILED;
    const ID: Column = Column::Id;
    const STATUS: Column = Column::Status;
    const NEXT_ATTEMPT: Column = Column::NextAttemptMicros;
    const ATTEMPTS: Column = Column::Attempts;
    const LAST_ERROR: Column = Column::LastError;
    const DONE: &'static str = SENT;
    const DONE_AT: Column = Column::SentAtMicros;

    fn lease_key(n: &notification::Model) -> (sea_orm::Value, i64) {
        (n.id.clone().into(), n.next_attempt_micros)
    }
}

/// How a notification reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// E-mail, over SMTP.
    Email,
    /// A text message, through the SMS gateway.
    Sms,
    /// The user's in-portal inbox.
    Inbox,
}

impl Channel {
    /// The channel's name as stored.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Inbox => "inbox",
        }
    }

    fn parse(s: &str) -> Channel {
        match s {
            "email" => Channel::Email,
            "sms" => Channel::Sms,
            _ => Channel::Inbox,
        }
    }
}

/// Waiting for a sender.
pub const QUEUED: &str = "queued";
/// Handed to the mail server or the SMS gateway.
pub const SENT: &str = "sent";
/// Failed too often; no more attempts.
pub const FAILED: &str = "failed";
/// In the user's inbox.
pub const DELIVERED: &str = "delivered";

/// A rendered message for one recipient.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The channel.
    pub channel: Channel,
    /// An e-mail address, a phone number, or a user id.
    pub recipient: String,
    /// The manifest's template it was rendered from.
    pub template: String,
    /// The subject (e-mail and inbox).
    pub subject: String,
    /// The text.
    pub body: String,
}

/// A notification as the outbox keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// Its id.
    pub id: String,
    /// The organization it was sent for.
    pub org_id: String,
    /// The module that sent it.
    pub module_id: String,
    /// How it goes out.
    pub channel: Channel,
    /// To whom.
    pub recipient: String,
    /// The template it was rendered from.
    pub template: String,
    /// The subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// `queued`, `sent`, `failed` or `delivered`.
    pub status: String,
    /// Failed attempts so far.
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was queued (µs since the Unix epoch).
    pub created_at_micros: i64,
    /// When it was sent or delivered.
    pub sent_at_micros: Option<i64>,
    /// When the user read it (inbox only).
    pub read_at_micros: Option<i64>,
}

impl From<notification::Model> for Notification {
    fn from(m: notification::Model) -> Self {
        Notification {
            id: m.id,
            org_id: m.org_id,
            module_id: m.module_id,
            channel: Channel::parse(&m.channel),
            recipient: m.recipient,
            template: m.template,
            subject: m.subject,
            body: m.body,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at_micros: m.created_at_micros,
            sent_at_micros: m.sent_at_micros,
            read_at_micros: m.read_at_micros,
        }
    }
}

/// The longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;
/// The longest text, in bytes.
pub const MAX_BODY: usize = 32 * 1024;

/// Queues `out` for the scope's organization and module; returns its id.
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    out: Outgoing,
) -> Result<String, PlatformError> {
    if out.subject.chars().count() > MAX_SUBJECT {
        return Err(PlatformError::invalid(
            "subject",
            format!("is longer than {MAX_SUBJECT} characters once rendered"),
        ));
    }
    if out.body.len() > MAX_BODY {
        return Err(PlatformError::invalid(
            "body",
            format!("is larger than {MAX_BODY} bytes once rendered"),
        ));
    }
    let now = now_micros();
    let id = uuid::Uuid::now_v7().to_string();
    let inbox = out.channel == Channel::Inbox;
    ActiveModel {
        id: Set(id.clone()),
        org_id: Set(scope.org_id.clone()),
        module_id: Set(scope.module_id.clone()),
        channel: Set(out.channel.name().into()),
        recipient: Set(out.recipient),
        template: Set(out.template),
        subject: Set(out.subject),
        body: Set(out.body),
        status: Set(if inbox { DELIVERED } else { QUEUED }.into()),
        attempts: Set(0),
        next_attempt_micros: Set(now),
        last_error: Set(None),
        created_at_micros: Set(now),
        sent_at_micros: Set(inbox.then_some(now)),
        read_at_micros: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// One notification the scope's module sent in the scope's organization;
/// `not-found` for any other.
pub async fn get<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    id: &str,
) -> Result<Notification, PlatformError> {
    Entity::find_by_id(id.to_owned())
        .filter(Column::OrgId.eq(&scope.org_id))
        .filter(Column::ModuleId.eq(&scope.module_id))
        .one(conn)
        .await?
        .map(Notification::from)
        .ok_or_else(|| PlatformError::NotFound(format!("no notification `{id}`")))
}

/// E-mails and text messages waiting to be sent (retries included), for metrics.
pub async fn backlog(db: &DatabaseConnection) -> Result<u64, PlatformError> {
    outbox::backlog::<Entity>(db).await
}

/// Claims up to `limit` due e-mails and text messages for `lease`, so that
/// no other sender takes them meanwhile.
pub async fn claim_due(
    db: &DatabaseConnection,
    limit: u64,
    lease: Duration,
) -> Result<Vec<Notification>, PlatformError> {
    let claimed = outbox::claim_due::<Entity>(db, limit, lease, Column::CreatedAtMicros).await?;
    Ok(claimed.into_iter().map(Into::into).collect())
}

/// Marks a notification sent.
pub async fn sent(db: &DatabaseConnection, id: &str) -> Result<(), PlatformError> {
    outbox::done::<Entity>(db, id).await
}

/// Records a failed attempt: retried later, or `failed` for good after
/// `max_attempts`.
pub async fn failed(
    db: &DatabaseConnection,
    n: &Notification,
    error: &str,
    max_attempts: i32,
    base: Duration,
) -> Result<Retry, PlatformError> {
    outbox::failed::<Entity>(db, n.id.clone(), n.attempts, error, max_attempts, base).await
}

/// What an administrator filters the outbox by.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this organization's.
    pub org_id: Option<String>,
    /// Only those with this status.
    pub status: Option<String>,
    /// At most this many, newest first.
    pub limit: u64,
}

/// The outbox, newest first.
pub async fn list(
    db: &DatabaseConnection,
    f: &ListFilter,
) -> Result<Vec<Notification>, PlatformError> {
    let mut q = Entity::find();
    if let Some(org) = &f.org_id {
        q = q.filter(Column::OrgId.eq(org));
    }
    if let Some(status) = &f.status {
        q = q.filter(Column::Status.eq(status));
    }
    Ok(q.order_by_desc(Column::CreatedAtMicros)
        .order_by_desc(Column::Id)
        .limit(f.limit.max(1))
        .all(db)
        .await?
        .into_iter()
        .map(Notification::from)
        .collect())
}

/// Deletes every message of the user's inboxes (their account is being
/// deleted).
pub(crate) async fn forget_inbox_of<C: ConnectionTrait>(
    conn: &C,
    user: &str,
) -> Result<u64, PlatformError> {
    Ok(Entity::delete_many()
        .filter(Column::Channel.eq(Channel::Inbox.name()))
        .filter(Column::Recipient.eq(user))
        .exec(conn)
        .await?
        .rows_affected)
}

/// The user's inbox in an organization, newest first.
pub async fn inbox(
    db: &DatabaseConnection,
    org_id: &str,
    user: &str,
    limit: u64,
) -> Result<Vec<Notification>, PlatformError> {
    Ok(Entity::find()
        .filter(Column::OrgId.eq(org_id))
        .filter(Column::Channel.eq(Channel::Inbox.name()))
        .filter(Column::Recipient.eq(user))
        .order_by_desc(Column::CreatedAtMicros)
        .order_by_desc(Column::Id)
        .limit(limit.max(1))
        .all(db)
        .await?
        .into_iter()
        .map(Notification::from)
        .collect())
}

/// How many messages of the user's inbox in an organization are unread.
pub async fn unread_count(
    db: &DatabaseConnection,
    org_id: &str,
    user: &str,
) -> Result<u64, PlatformError> {
    Ok(Entity::find()
        .filter(Column::OrgId.eq(org_id))
        .filter(Column::Channel.eq(Channel::Inbox.name()))
        .filter(Column::Recipient.eq(user))
        .filter(Column::ReadAtMicros.is_null())
        .count(db)
        .await?)
}

/// Marks one message of the user's inbox read; `not-found` when it is not
/// theirs.
pub async fn mark_read(
    db: &DatabaseConnection,
    org_id: &str,
    user: &str,
    id: &str,
) -> Result<(), PlatformError> {
    let r = Entity::update_many()
        .col_expr(Column::ReadAtMicros, Expr::value(now_micros()))
        .filter(Column::Id.eq(id))
        .filter(Column::OrgId.eq(org_id))
        .filter(Column::Channel.eq(Channel::Inbox.name()))
        .filter(Column::Recipient.eq(user))
        .filter(Column::ReadAtMicros.is_null())
        .exec(db)
        .await?;
    if r.rows_affected == 0 {
        let exists = Entity::find_by_id(id.to_owned())
            .filter(Column::OrgId.eq(org_id))
            .filter(Column::Recipient.eq(user))
            .one(db)
            .await?
            .is_some();
        if !exists {
            return Err(PlatformError::NotFound(format!(
                "no message `{id}` in this inbox"
            )));
        }
    }
    Ok(())
}

/// Puts failed notifications of an organization back in the queue (one, or
/// all), with their attempts counted from zero. Returns how many.
pub async fn retry(
    db: &DatabaseConnection,
    org_id: &str,
    id: Option<&str>,
) -> Result<u64, PlatformError> {
    outbox::redrive::<Entity>(
        db,
        Column::OrgId,
        org_id,
        id.map(|id| (id.into(), format!("failed notification `{id}`"))),
    )
    .await
}
