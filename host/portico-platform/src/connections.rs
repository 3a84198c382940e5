//! Connections to systems outside the portal, as the administrators set
//! them up: per organization, for each connection a module's manifest
//! declares, where the system is, the credential the host adds (the
//! module never reads it) and the limits, with the connection's health.
//! The outbox of deliveries a module hands to the host: written in the
//! module's transaction, one row per idempotency key, claimed one at a
//! time per connection (the oldest waiting first, so they arrive in
//! order) under a lease, retried with backoff, parked as dead after too
//! many failures and re-drivable. And the receipts of webhook messages,
//! written in the receiving call's transaction, so each is handed over
//! once.
//!
//! What a connection's fields mean for HTTP (a base address, a PEM
//! certificate) is checked by the host that uses them (`portico-host`),
//! before they are stored here.

use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::{PlatformError, Retry, audit, now_micros};

pub(crate) mod connection {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "connections")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub module_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub base_url: Option<String>,
        pub auth: String,
        pub username: Option<String>,
        pub secret: Option<String>,
        pub client_cert: Option<String>,
        pub extra_ca: Option<String>,
        pub timeout_ms: i32,
        pub max_response_bytes: i64,
        pub rate_per_minute: i32,
        pub updated_at_micros: i64,
        pub updated_by: String,
        pub last_success_micros: Option<i64>,
        pub last_failure_micros: Option<i64>,
        pub failures_in_row: i32,
        pub last_error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deliveries")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_id: String,
        pub module_id: String,
        pub connection: String,
        pub idem_key: String,
        pub method: String,
        pub path: String,
        pub query: String,
        pub headers: String,
        pub body: Vec<u8>,
        pub queued_at_micros: i64,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_micros: i64,
        pub last_error: Option<String>,
        pub last_status: Option<i32>,
        pub delivered_at_micros: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod webhook_receipt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_receipts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub module_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub connection: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub webhook_id: String,
        pub received_at_micros: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The credential the host adds to what goes through a connection, or
/// checks what comes in by.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// Nothing.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: String,
    },
    /// `Authorization: Basic …`.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// A shared secret: requests out are signed with it, webhooks in are
    /// checked by it (Standard Webhooks' HMAC-SHA256 signature).
    Hmac {
        /// The secret, `whsec_` and base64.
        secret: String,
    },
    /// A client certificate for mutual TLS.
    ClientCertificate {
        /// The certificate (chain), PEM.
        certificate: String,
        /// Its private key, PEM.
        key: String,
    },
}

impl Credential {
    /// Its kind as stored and shown: `none`, `bearer`, `basic`, `hmac`,
    /// `client-certificate`.
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::None => "none",
            Credential::Bearer { .. } => "bearer",
            Credential::Basic { .. } => "basic",
            Credential::Hmac { .. } => "hmac",
            Credential::ClientCertificate { .. } => "client-certificate",
        }
    }
}

/// The credential is never written out, not even to a debug log.
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential::{}(…)", self.kind())
    }
}

/// How an administrator set a connection up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// Where the system is (an outbound connection): every request goes
    /// to a path below it.
    pub base_url: Option<String>,
    /// The credential.
    pub credential: Credential,
    /// Certificate authorities trusted besides the platform's, PEM.
    pub extra_ca: Option<String>,
    /// How long a request may take.
    pub timeout: Duration,
    /// The largest answer taken, in bytes.
    pub max_response_bytes: u64,
    /// The most requests a minute (calls and delivery attempts).
    pub rate_per_minute: u32,
}

impl Setup {
    /// The usual limits: 10 s, 1 MiB, 600 a minute.
    pub fn with(base_url: Option<String>, credential: Credential) -> Setup {
        Setup {
            base_url,
            credential,
            extra_ca: None,
            timeout: Duration::from_secs(10),
            max_response_bytes: 1024 * 1024,
            rate_per_minute: 600,
        }
    }
}

/// How a connection has fared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Health {
    /// The last request the system answered 2xx, microseconds since the epoch.
    pub last_success_micros: Option<i64>,
    /// The last request that failed.
    pub last_failure_micros: Option<i64>,
    /// Failures since the last success.
    pub failures_in_row: i32,
    /// Why the last one failed.
    pub last_error: Option<String>,
}

/// A connection of a module in an organization, as set up.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The organization.
    pub org_id: String,
    /// The module.
    pub module_id: String,
    /// Its name in the module's manifest.
    pub name: String,
    /// How it is set up.
    pub setup: Setup,
    /// When it was last set up, and by whom.
    pub updated_at_micros: i64,
    /// Who set it up last.
    pub updated_by: String,
    /// How it has fared.
    pub health: Health,
}

impl TryFrom<connection::Model> for Connection {
    type Error = PlatformError;

    fn try_from(m: connection::Model) -> Result<Self, PlatformError> {
        let damaged = || {
            PlatformError::Corrupt(format!(
                "connection `{}` of `{}` in `{}` has credential `{}` without its parts",
                m.name, m.module_id, m.org_id, m.auth
            ))
        };
        let credential = match m.auth.as_str() {
            "none" => Credential::None,
            "bearer" => Credential::Bearer {
                token: m.secret.clone().ok_or_else(damaged)?,
            },
            "basic" => Credential::Basic {
                username: m.username.clone().ok_or_else(damaged)?,
                password: m.secret.clone().ok_or_else(damaged)?,
            },
            "hmac" => Credential::Hmac {
                secret: m.secret.clone().ok_or_else(damaged)?,
            },
            "client-certificate" => Credential::ClientCertificate {
                certificate: m.client_cert.clone().ok_or_else(damaged)?,
                key: m.secret.clone().ok_or_else(damaged)?,
            },
            _ => return Err(damaged()),
        };
        Ok(Connection {
            setup: Setup {
                base_url: m.base_url,
                credential,
                extra_ca: m.extra_ca,
                timeout: Duration::from_millis(u64::try_from(m.timeout_ms).unwrap_or(10_000)),
                max_response_bytes: u64::try_from(m.max_response_bytes).unwrap_or(0),
                rate_per_minute: u32::try_from(m.rate_per_minute).unwrap_or(0),
            },
            health: Health {
                last_success_micros: m.last_success_micros,
                last_failure_micros: m.last_failure_micros,
                failures_in_row: m.failures_in_row,
                last_error: m.last_error,
            },
            org_id: m.org_id,
            module_id: m.module_id,
            name: m.name,
            updated_at_micros: m.updated_at_micros,
            updated_by: m.updated_by,
        })
    }
}

/// The host's audit entry of an administrator's change to a connection.
fn entry(actor: &str, action: &str, subject: String, detail: serde_json::Value) -> audit::Event {
    audit::Event {
        actor: actor.to_owned(),
        module: audit::HOST.to_owned(),
        action: action.to_owned(),
        subject,
        detail,
    }
}

/// The connection `name` of `module_id` in `org_id`, if it is set up.
pub async fn get<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    module_id: &str,
    name: &str,
) -> Result<Option<Connection>, PlatformError> {
    connection::Entity::find_by_id((org_id.to_owned(), module_id.to_owned(), name.to_owned()))
        .one(conn)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// The connections of `module_id` set up in `org_id`, by name.
pub async fn of_module(
    db: &DatabaseConnection,
    org_id: &str,
    module_id: &str,
) -> Result<Vec<Connection>, PlatformError> {
    connection::Entity::find()
        .filter(connection::Column::OrgId.eq(org_id))
        .filter(connection::Column::ModuleId.eq(module_id))
        .order_by_asc(connection::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

/// Sets up (or again) the connection `name` of `module_id` in `org_id`,
/// audited in the organization's chain with the credential's kind and
/// never the credential. Its health is kept. The caller checked `setup`.
pub async fn set(
    db: &DatabaseConnection,
    org_id: &str,
    module_id: &str,
    name: &str,
    setup: &Setup,
    actor: &str,
) -> Result<(), PlatformError> {
    let (username, secret, client_cert) = match &setup.credential {
        Credential::None => (None, None, None),
        Credential::Bearer { token } => (None, Some(token.clone()), None),
        Credential::Basic { username, password } => {
            (Some(username.clone()), Some(password.clone()), None)
        }
        Credential::Hmac { secret } => (None, Some(secret.clone()), None),
        Credential::ClientCertificate { certificate, key } => {
            (None, Some(key.clone()), Some(certificate.clone()))
        }
    };
    let row = connection::ActiveModel {
        org_id: Set(org_id.to_owned()),
        module_id: Set(module_id.to_owned()),
        name: Set(name.to_owned()),
        base_url: Set(setup.base_url.clone()),
        auth: Set(setup.credential.kind().to_owned()),
        username: Set(username),
        secret: Set(secret),
        client_cert: Set(client_cert),
        extra_ca: Set(setup.extra_ca.clone()),
        timeout_ms: Set(i32::try_from(setup.timeout.as_millis()).unwrap_or(i32::MAX)),
        max_response_bytes: Set(i64::try_from(setup.max_response_bytes).unwrap_or(i64::MAX)),
        rate_per_minute: Set(i32::try_from(setup.rate_per_minute).unwrap_or(i32::MAX)),
        updated_at_micros: Set(now_micros()),
        updated_by: Set(actor.to_owned()),
        last_success_micros: Set(None),
        last_failure_micros: Set(None),
        failures_in_row: Set(0),
        last_error: Set(None),
    };
    let txn = crate::begin_write(db).await?;
    connection::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                connection::Column::OrgId,
                connection::Column::ModuleId,
                connection::Column::Name,
            ])
            .update_columns([
                connection::Column::BaseUrl,
                connection::Column::Auth,
                connection::Column::Username,
                connection::Column::Secret,
                connection::Column::ClientCert,
                connection::Column::ExtraCa,
                connection::Column::TimeoutMs,
                connection::Column::MaxResponseBytes,
                connection::Column::RatePerMinute,
                connection::Column::UpdatedAtMicros,
                connection::Column::UpdatedBy,
            ])
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    audit::append(
        &txn,
        org_id,
        entry(
            actor,
            "connection.set",
            format!("{module_id}/{name}"),
            serde_json::json!({
                "base_url": setup.base_url,
                "credential": setup.credential.kind(),
                "extra_ca": setup.extra_ca.is_some(),
                "timeout_ms": setup.timeout.as_millis(),
                "max_response_bytes": setup.max_response_bytes,
                "rate_per_minute": setup.rate_per_minute,
            }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Removes the set-up of a connection (its deliveries stay on record);
/// `NotFound` when it was not set up.
pub async fn remove(
    db: &DatabaseConnection,
    org_id: &str,
    module_id: &str,
    name: &str,
    actor: &str,
) -> Result<(), PlatformError> {
    let txn = crate::begin_write(db).await?;
    let gone = connection::Entity::delete_by_id((
        org_id.to_owned(),
        module_id.to_owned(),
        name.to_owned(),
    ))
    .exec(&txn)
    .await?
    .rows_affected;
    if gone == 0 {
        return Err(PlatformError::NotFound(format!(
            "the connection `{name}` of `{module_id}` is not set up in `{org_id}`"
        )));
    }
    audit::append(
        &txn,
        org_id,
        entry(
            actor,
            "connection.remove",
            format!("{module_id}/{name}"),
            serde_json::json!({}),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Notes how a request through a connection fared: `Ok` for a 2xx
/// answer, the reason otherwise.
pub async fn record_outcome(
    db: &DatabaseConnection,
    org_id: &str,
    module_id: &str,
    name: &str,
    outcome: Result<(), &str>,
) -> Result<(), PlatformError> {
    let now = now_micros();
    let mut q = connection::Entity::update_many()
        .filter(connection::Column::OrgId.eq(org_id))
        .filter(connection::Column::ModuleId.eq(module_id))
        .filter(connection::Column::Name.eq(name));
    q = match outcome {
        Ok(()) => q
            .col_expr(connection::Column::LastSuccessMicros, Expr::value(now))
            .col_expr(connection::Column::FailuresInRow, Expr::value(0)),
        Err(why) => q
            .col_expr(connection::Column::LastFailureMicros, Expr::value(now))
            .col_expr(
                connection::Column::FailuresInRow,
                Expr::col(connection::Column::FailuresInRow).add(1),
            )
            .col_expr(
                connection::Column::LastError,
                Expr::value(why.chars().take(500).collect::<String>()),
            ),
    };
    q.exec(db).await?;
    Ok(())
}

const WAITING: &str = "waiting";
const DELIVERED: &str = "delivered";
const DEAD: &str = "dead";

pub use portico_types::Outgoing;

/// A delivery: a request a module handed to the host to send until the
/// system acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: i64,
    /// The organization whose module handed it over.
    pub org_id: String,
    /// The module.
    pub module_id: String,
    /// The connection it goes through.
    pub connection: String,
    /// Its idempotency key.
    pub key: String,
    /// The request.
    pub request: Outgoing,
    /// When it was handed over, microseconds since the epoch.
    pub queued_at_micros: i64,
    /// `waiting`, `delivered` or `dead`.
    pub status: String,
    /// Failed attempts so far.
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The status the system last answered with.
    pub last_status: Option<i32>,
    /// When the system acknowledged it.
    pub delivered_at_micros: Option<i64>,
    /// Until when the courier that claimed it holds it (its next attempt
    /// as read, for one not claimed).
    pub leased_until: i64,
}

impl From<delivery::Model> for Delivery {
    fn from(m: delivery::Model) -> Self {
        Delivery {
            request: Outgoing {
                method: m.method,
                path: m.path,
                query: serde_json::from_str(&m.query).unwrap_or_default(),
                headers: serde_json::from_str(&m.headers).unwrap_or_default(),
                body: m.body,
            },
            id: m.id,
            org_id: m.org_id,
            module_id: m.module_id,
            connection: m.connection,
            key: m.idem_key,
            queued_at_micros: m.queued_at_micros,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            last_status: m.last_status,
            delivered_at_micros: m.delivered_at_micros,
            leased_until: m.next_attempt_micros,
        }
    }
}

/// Hands `request` over for delivery through `connection` of `module_id`
/// in `org_id`, in the caller's transaction. A `key` handed over before
/// through the same connection gives that delivery back and writes
/// nothing. Returns the delivery and whether it is new.
pub async fn queue<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    module_id: &str,
    connection: &str,
    key: &str,
    request: &Outgoing,
) -> Result<(Delivery, bool), PlatformError> {
    let find = || {
        delivery::Entity::find()
            .filter(delivery::Column::OrgId.eq(org_id))
            .filter(delivery::Column::ModuleId.eq(module_id))
            .filter(delivery::Column::Connection.eq(connection))
            .filter(delivery::Column::IdemKey.eq(key))
    };
    if let Some(earlier) = find().one(conn).await? {
        return Ok((earlier.into(), false));
    }
    let json = |v| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    let now = now_micros();
    let inserted = delivery::Entity::insert(delivery::ActiveModel {
        org_id: Set(org_id.to_owned()),
        module_id: Set(module_id.to_owned()),
        connection: Set(connection.to_owned()),
        idem_key: Set(key.to_owned()),
        method: Set(request.method.clone()),
        path: Set(request.path.clone()),
        query: Set(json(&request.query)),
        headers: Set(json(&request.headers)),
        body: Set(request.body.clone()),
        queued_at_micros: Set(now),
        status: Set(WAITING.into()),
        attempts: Set(0),
        next_attempt_micros: Set(now),
        ..Default::default()
    })
    .on_conflict(
        // Two calls racing with one key: the second finds the first's.
        OnConflict::columns([
            delivery::Column::OrgId,
            delivery::Column::ModuleId,
            delivery::Column::Connection,
            delivery::Column::IdemKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    let row = find().one(conn).await?.ok_or_else(|| {
        PlatformError::Corrupt(format!(
            "delivery `{key}` of `{connection}` is not there after its insert"
        ))
    })?;
    Ok((row.into(), inserted == 1))
}

/// The delivery `id` of `module_id` in `org_id`.
pub async fn get_delivery<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    module_id: &str,
    id: i64,
) -> Result<Option<Delivery>, PlatformError> {
    Ok(delivery::Entity::find_by_id(id)
        .filter(delivery::Column::OrgId.eq(org_id))
        .filter(delivery::Column::ModuleId.eq(module_id))
        .one(conn)
        .await?
        .map(Into::into))
}

/// Claims the head of each connection's line that is due: its oldest
/// waiting delivery, whose next attempt has come. A later delivery of a
/// connection never goes before an earlier one is delivered or dead.
/// Each is claimed, compare-and-set on the time read, for its
/// connection's timeout and `margin`: another courier (on this host or
/// another) does not take it while a request may still be under way, and
/// takes it soon after a courier that died.
pub async fn claim_due(
    db: &DatabaseConnection,
    limit: u64,
    margin: Duration,
) -> Result<Vec<Delivery>, PlatformError> {
    let heads: Vec<i64> = delivery::Entity::find()
        .select_only()
        .column_as(delivery::Column::Id.min(), "head")
        .filter(delivery::Column::Status.eq(WAITING))
        .group_by(delivery::Column::OrgId)
        .group_by(delivery::Column::ModuleId)
        .group_by(delivery::Column::Connection)
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    if heads.is_empty() {
        return Ok(Vec::new());
    }
    let now = now_micros();
    let due = delivery::Entity::find()
        .filter(delivery::Column::Id.is_in(heads))
        .filter(delivery::Column::Status.eq(WAITING))
        .filter(delivery::Column::NextAttemptMicros.lte(now))
        .order_by_asc(delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut timeouts = std::collections::HashMap::new();
    let mut claimed = Vec::new();
    for row in due {
        let key = (
            row.org_id.clone(),
            row.module_id.clone(),
            row.connection.clone(),
        );
        if !timeouts.contains_key(&key) {
            // A set-up that cannot be read (or is gone) holds its line
            // for the usual timeout; the attempt then says why it failed.
            let timeout = match get(db, &key.0, &key.1, &key.2).await {
                Ok(Some(c)) => c.setup.timeout,
                Ok(None) => Duration::from_secs(10),
                Err(e) => {
                    tracing::warn!(org = %key.0, module = %key.1, connection = %key.2, error = %e,
                        "a connection's set-up cannot be read");
                    Duration::from_secs(10)
                }
            };
            timeouts.insert(key.clone(), timeout);
        }
        let lease = timeouts[&key] + margin;
        let until = now + i64::try_from(lease.as_micros()).unwrap_or(i64::MAX);
        let taken = delivery::Entity::update_many()
            .col_expr(delivery::Column::NextAttemptMicros, Expr::value(until))
            .filter(delivery::Column::Id.eq(row.id))
            .filter(delivery::Column::Status.eq(WAITING))
            .filter(delivery::Column::NextAttemptMicros.eq(row.next_attempt_micros))
            .exec(db)
            .await?
            .rows_affected;
        if taken == 1 {
            let mut d: Delivery = row.into();
            d.leased_until = until;
            claimed.push(d);
        }
    }
    Ok(claimed)
}

/// Whether the courier that claimed `d` still holds it: another one
/// takes it only once its lease ran out.
fn held(d: &Delivery) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(delivery::Column::Id.eq(d.id))
        .add(delivery::Column::Status.eq(WAITING))
        .add(delivery::Column::NextAttemptMicros.eq(d.leased_until))
}

/// Marks `d` acknowledged with `status`; `false` when the courier's lease
/// had run out and another one holds it now (nothing is written).
pub async fn delivered(
    db: &DatabaseConnection,
    d: &Delivery,
    status: u16,
) -> Result<bool, PlatformError> {
    let n = delivery::Entity::update_many()
        .col_expr(delivery::Column::LastStatus, Expr::value(i32::from(status)))
        .col_expr(delivery::Column::Status, Expr::value(DELIVERED))
        .col_expr(
            delivery::Column::DeliveredAtMicros,
            Expr::value(now_micros()),
        )
        .filter(held(d))
        .exec(db)
        .await?
        .rows_affected;
    Ok(n == 1)
}

/// Records a failed attempt of `d` (`status`, when the system answered):
/// retried with exponential backoff (from `base`, capped at an hour), or
/// dead after `max_attempts`. `None` when the courier's lease had run out
/// (nothing is written).
pub async fn failed(
    db: &DatabaseConnection,
    d: &Delivery,
    error: &str,
    status: Option<u16>,
    max_attempts: i32,
    base: Duration,
) -> Result<Option<Retry>, PlatformError> {
    let attempts = d.attempts + 1;
    let retry = Retry::after(attempts, max_attempts, base);
    let n = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::LastStatus,
            Expr::value(status.map(i32::from)),
        )
        .col_expr(
            delivery::Column::Status,
            Expr::value(match retry {
                Retry::After(_) => WAITING,
                Retry::Dead => DEAD,
            }),
        )
        .col_expr(delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(
            delivery::Column::LastError,
            Expr::value(error.chars().take(2000).collect::<String>()),
        )
        .col_expr(
            delivery::Column::NextAttemptMicros,
            Expr::value(retry.next_attempt_micros()),
        )
        .filter(held(d))
        .exec(db)
        .await?
        .rows_affected;
    Ok((n == 1).then_some(retry))
}

/// Puts a delivery the courier holds back to the time it is due in `by`,
/// without counting an attempt: what the courier does with one it
/// claimed but may not send yet (the connection's rate limit).
pub async fn postpone(
    db: &DatabaseConnection,
    d: &Delivery,
    by: Duration,
) -> Result<(), PlatformError> {
    let at = now_micros() + i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
    delivery::Entity::update_many()
        .col_expr(delivery::Column::NextAttemptMicros, Expr::value(at))
        .filter(held(d))
        .exec(db)
        .await?;
    Ok(())
}

/// Deliveries waiting (retries included), for metrics.
pub async fn backlog(db: &DatabaseConnection) -> Result<u64, PlatformError> {
    Ok(delivery::Entity::find()
        .filter(delivery::Column::Status.eq(WAITING))
        .count(db)
        .await?)
}

/// How many deliveries of a connection are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Waiting for a first or next attempt.
    pub waiting: u64,
    /// Acknowledged.
    pub delivered: u64,
    /// Given up on.
    pub dead: u64,
}

/// How many deliveries of `connection` of `module_id` in `org_id` are in
/// each state.
pub async fn counts(
    db: &DatabaseConnection,
    org_id: &str,
    module_id: &str,
    connection: &str,
) -> Result<Counts, PlatformError> {
    let mut counts = Counts::default();
    for (status, slot) in [
        (WAITING, &mut counts.waiting),
        (DELIVERED, &mut counts.delivered),
        (DEAD, &mut counts.dead),
    ] {
        *slot = delivery::Entity::find()
            .filter(delivery::Column::OrgId.eq(org_id))
            .filter(delivery::Column::ModuleId.eq(module_id))
            .filter(delivery::Column::Connection.eq(connection))
            .filter(delivery::Column::Status.eq(status))
            .count(db)
            .await?;
    }
    Ok(counts)
}

/// The deliveries of `connection` of `module_id` in `org_id`, newest
/// first, at most `limit`, those before `before` (an id) when given.
pub async fn deliveries(
    db: &DatabaseConnection,
    org_id: &str,
    module_id: &str,
    connection: &str,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Delivery>, PlatformError> {
    let mut q = delivery::Entity::find()
        .filter(delivery::Column::OrgId.eq(org_id))
        .filter(delivery::Column::ModuleId.eq(module_id))
        .filter(delivery::Column::Connection.eq(connection));
    if let Some(before) = before {
        q = q.filter(delivery::Column::Id.lt(before));
    }
    Ok(q.order_by_desc(delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Puts the dead deliveries of `connection` of `module_id` in `org_id`
/// back in line (all, or one), their attempts counted from zero, audited.
/// Returns how many.
pub async fn redrive(
    db: &DatabaseConnection,
    org_id: &str,
    module_id: &str,
    connection: &str,
    id: Option<i64>,
    actor: &str,
) -> Result<u64, PlatformError> {
    let mut q = delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(WAITING))
        .col_expr(delivery::Column::Attempts, Expr::value(0))
        .col_expr(
            delivery::Column::NextAttemptMicros,
            Expr::value(now_micros()),
        )
        .filter(delivery::Column::Status.eq(DEAD))
        .filter(delivery::Column::OrgId.eq(org_id))
        .filter(delivery::Column::ModuleId.eq(module_id))
        .filter(delivery::Column::Connection.eq(connection));
    if let Some(id) = id {
        q = q.filter(delivery::Column::Id.eq(id));
    }
    let txn = crate::begin_write(db).await?;
    let n = q.exec(&txn).await?.rows_affected;
    if n == 0 {
        return Err(PlatformError::NotFound(match id {
            Some(id) => format!("delivery {id} of `{connection}` is not dead in `{org_id}`"),
            None => format!("`{connection}` has no dead deliveries in `{org_id}`"),
        }));
    }
    audit::append(
        &txn,
        org_id,
        entry(
            actor,
            "delivery.redrive",
            format!("{module_id}/{connection}"),
            serde_json::json!({ "delivery": id, "count": n }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}

/// Notes, in the receiving call's transaction, that `module_id` in
/// `org_id` received the webhook message `id` through `connection`:
/// `false` when it had received it before (the caller then keeps nothing
/// of its transaction). Of two transactions racing, the second waits for
/// the first and, once it committed, gets `false`.
pub async fn receive_webhook<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    module_id: &str,
    connection: &str,
    id: &str,
) -> Result<bool, PlatformError> {
    let inserted = webhook_receipt::Entity::insert(webhook_receipt::ActiveModel {
        org_id: Set(org_id.to_owned()),
        module_id: Set(module_id.to_owned()),
        connection: Set(connection.to_owned()),
        webhook_id: Set(id.to_owned()),
        received_at_micros: Set(now_micros()),
    })
    .on_conflict(
        OnConflict::columns([
            webhook_receipt::Column::OrgId,
            webhook_receipt::Column::ModuleId,
            webhook_receipt::Column::Connection,
            webhook_receipt::Column::WebhookId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted == 1)
}

/// Lets go of the webhook receipts older than `age`: a message that old
/// fails the check of its timestamp anyway.
pub async fn forget_webhooks_older_than(
    db: &DatabaseConnection,
    age: Duration,
) -> Result<u64, PlatformError> {
    let before = now_micros() - i64::try_from(age.as_micros()).unwrap_or(i64::MAX);
    Ok(webhook_receipt::Entity::delete_many()
        .filter(webhook_receipt::Column::ReceivedAtMicros.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
