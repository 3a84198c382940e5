//! Server-side sessions. The browser holds only a random token; the
//! database holds its SHA-256, the user, the CSRF token of the session,
//! and what the log-in verified. A session ends at log-out, after an idle
//! hour, after a working day at most, when the user logs out everywhere,
//! and when the account is deactivated or deleted (`accounts` ends them
//! there, through `end_all_in` and `end_others_in`, in the account's
//! transaction). Above `users` only.

use std::collections::BTreeMap;
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

use super::users::{self, Assurance, User};
use crate::{PlatformError, now_micros, random_token, sha256_hex};

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub user_id: String,
        pub csrf: String,
        pub assurance: String,
        pub claims: String,
        pub created_at_micros: i64,
        pub expires_at_micros: i64,
        pub last_seen_micros: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The longest a session lives, however busy.
pub const LIFETIME: Duration = Duration::from_secs(10 * 3600);

/// A session unused this long has ended.
pub const IDLE: Duration = Duration::from_secs(3600);

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Whose it is.
    pub user: User,
    /// The token forms of this session must carry.
    pub csrf: String,
    /// How strongly this log-in verified the user.
    pub assurance: Assurance,
    /// What the identity provider verified at this log-in.
    pub claims: BTreeMap<String, String>,
    /// When it ends at the latest (µs since the epoch).
    pub expires_at_micros: i64,
}

/// Starts a session for `user`; returns the token for the cookie (shown
/// nowhere else) and the session.
pub async fn start(
    db: &DatabaseConnection,
    user: &User,
    assurance: Assurance,
    claims: &BTreeMap<String, String>,
) -> Result<(String, Session), PlatformError> {
    let token = random_token();
    let csrf = random_token();
    let now = now_micros();
    let expires = now + micros(LIFETIME);
    entity::ActiveModel {
        token_hash: Set(sha256_hex(&token)),
        user_id: Set(user.id.clone()),
        csrf: Set(csrf.clone()),
        assurance: Set(assurance.name().to_owned()),
        claims: Set(serde_json::to_string(claims).unwrap_or_else(|_| "{}".into())),
        created_at_micros: Set(now),
        expires_at_micros: Set(expires),
        last_seen_micros: Set(now),
    }
    .insert(db)
    .await?;
    Ok((
        token,
        Session {
            user: user.clone(),
            csrf,
            assurance,
            claims: claims.clone(),
            expires_at_micros: expires,
        },
    ))
}

/// The live session of `token`, if there is one and its user may still
/// log in. Marks it used (at most once a minute, to spare the database).
pub async fn resolve(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<Session>, PlatformError> {
    let hash = sha256_hex(token);
    let Some(row) = entity::Entity::find_by_id(hash.clone()).one(db).await? else {
        return Ok(None);
    };
    let now = now_micros();
    if row.expires_at_micros <= now || row.last_seen_micros + micros(IDLE) <= now {
        entity::Entity::delete_by_id(hash).exec(db).await?;
        return Ok(None);
    }
    let Some(user) = users::get(db, &row.user_id).await?.filter(|u| u.active) else {
        return Ok(None);
    };
    if now - row.last_seen_micros > 60_000_000 {
        entity::Entity::update_many()
            .col_expr(entity::Column::LastSeenMicros, Expr::value(now))
            .filter(entity::Column::TokenHash.eq(&hash))
            .exec(db)
            .await?;
    }
    Ok(Some(Session {
        user,
        csrf: row.csrf,
        assurance: Assurance::parse(&row.assurance).unwrap_or(Assurance::Registered),
        claims: serde_json::from_str(&row.claims).unwrap_or_default(),
        expires_at_micros: row.expires_at_micros,
    }))
}

/// Ends the session of `token`.
pub async fn end(db: &DatabaseConnection, token: &str) -> Result<(), PlatformError> {
    entity::Entity::delete_by_id(sha256_hex(token))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user (log-out everywhere); returns how many.
pub async fn end_all(
    db: &DatabaseConnection,
    actor: &str,
    user_id: &str,
) -> Result<u64, PlatformError> {
    let txn = crate::begin_write(db).await?;
    let n = end_all_in(&txn, user_id).await?;
    users::platform_audit(
        &txn,
        actor,
        "user.logout-everywhere",
        user_id,
        serde_json::json!({ "sessions": n }),
    )
    .await?;
    txn.commit().await?;
    Ok(n)
}

/// Ends every session of a user in the caller's transaction; returns how many.
pub(crate) async fn end_all_in<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> Result<u64, PlatformError> {
    Ok(entity::Entity::delete_many()
        .filter(entity::Column::UserId.eq(user_id))
        .exec(conn)
        .await?
        .rows_affected)
}

/// Ends every session of a user but the one of `keep` (a token).
pub(crate) async fn end_others_in<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    keep: &str,
) -> Result<u64, PlatformError> {
    Ok(entity::Entity::delete_many()
        .filter(entity::Column::UserId.eq(user_id))
        .filter(entity::Column::TokenHash.ne(sha256_hex(keep)))
        .exec(conn)
        .await?
        .rows_affected)
}

/// How many live sessions a user has.
pub async fn count(db: &DatabaseConnection, user_id: &str) -> Result<u64, PlatformError> {
    use sea_orm::PaginatorTrait;
    let now = now_micros();
    Ok(entity::Entity::find()
        .filter(entity::Column::UserId.eq(user_id))
        .filter(entity::Column::ExpiresAtMicros.gt(now))
        .count(db)
        .await?)
}
