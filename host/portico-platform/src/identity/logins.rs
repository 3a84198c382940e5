//! Log-in with a password: the check, the count of failures and the
//! lock-out they lead to, for accounts and (so that a guesser learns
//! nothing) for names that belong to nobody. A failure and a lock-out are
//! audited in the platform's chain with the client's address, never the
//! password. Above the account store, whose rows it counts in.

use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::passwords::{hash_password, verify_password};
use super::users::{User, entity, platform_audit};
use crate::{PlatformError, now_micros};

/// Failed log-ins in a row after which an account is locked.
pub const MAX_FAILED_LOGINS: i32 = 5;

/// How long a locked account stays locked.
pub const LOCK_FOR: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// What a log-in with a password came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The password matches.
    Accepted(Box<User>),
    /// Unknown user or wrong password (the caller says which to nobody).
    Refused,
    /// Too many failed log-ins; locked until this time (µs since the epoch).
    Locked(i64),
    /// The account is deactivated.
    Inactive,
}

/// A hash to verify against when the user does not exist, so that an
/// unknown name takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that matches nothing").unwrap_or_default())
}

/// Failed log-ins under names that belong to nobody, counted like an
/// account's so that the answers to a guesser are the same for both: the
/// lock-out shows for an unknown name exactly as for a real one. Per name:
/// failures in a row, when the last was, and until when it is "locked".
type UnknownNames = std::collections::HashMap<String, (i32, i64, Option<i64>)>;

fn unknown_names() -> &'static std::sync::Mutex<UnknownNames> {
    static UNKNOWN: std::sync::OnceLock<std::sync::Mutex<UnknownNames>> =
        std::sync::OnceLock::new();
    UNKNOWN.get_or_init(Default::default)
}

fn lock_micros() -> i64 {
    i64::try_from(LOCK_FOR.as_micros()).unwrap_or(i64::MAX)
}

/// Counts a failure under an unknown name; `Some(until)` once it locks.
fn unknown_name_failed(username: &str, now: i64) -> Option<i64> {
    let mut names = unknown_names().lock().unwrap_or_else(|p| p.into_inner());
    if names.len() > 100_000 {
        // Forget what has expired; under a flood of names, forget all.
        names.retain(|_, (_, last, _)| now - *last < lock_micros());
        if names.len() > 100_000 {
            names.clear();
        }
    }
    let entry = names
        .entry(username.to_lowercase())
        .or_insert((0, now, None));
    entry.0 += 1;
    entry.1 = now;
    if entry.0 >= MAX_FAILED_LOGINS {
        entry.2 = Some(now + lock_micros());
    }
    entry.2
}

fn unknown_name_locked(username: &str, now: i64) -> Option<i64> {
    let names = unknown_names().lock().unwrap_or_else(|p| p.into_inner());
    names
        .get(&username.to_lowercase())
        .and_then(|(_, _, until)| *until)
        .filter(|until| *until > now)
}

/// Checks a log-in with a password. Failures count towards a lock-out;
/// a failure and a lock-out are audited in the platform chain with the
/// client's address (`from`), never the password.
///
/// The attempt is counted before the password is checked, in one atomic
/// update that also refuses a locked account, so simultaneous guesses
/// cannot all be checked: at most [`MAX_FAILED_LOGINS`] are, then the
/// account is locked. A right password clears the count.
pub async fn check_password(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
    from: &str,
) -> Result<PasswordCheck, PlatformError> {
    let username = username.trim();
    let user = entity::Entity::find()
        .filter(entity::Column::Username.eq(username))
        .one(db)
        .await?;
    let now = now_micros();
    let Some(user) = user else {
        if let Some(until) = unknown_name_locked(username, now) {
            return Ok(PasswordCheck::Locked(until));
        }
        // As long as a wrong password takes.
        let password = password.to_owned();
        let _ = tokio::task::spawn_blocking(move || verify_password(decoy_hash(), &password)).await;
        let txn = crate::begin_write(db).await?;
        platform_audit(
            &txn,
            "anonymous",
            "user.login-failed",
            "",
            serde_json::json!({ "username": truncate(username, 200), "from": from, "reason": "unknown user" }),
        )
        .await?;
        txn.commit().await?;
        return Ok(match unknown_name_failed(username, now) {
            Some(until) => PasswordCheck::Locked(until),
            None => PasswordCheck::Refused,
        });
    };
    // Count this attempt, and lock at the last one allowed, unless the
    // account is locked already: one statement, so concurrent attempts
    // see each other's counts.
    let failures = Expr::col(entity::Column::FailedLogins).add(1);
    let counted = entity::Entity::update_many()
        .col_expr(entity::Column::FailedLogins, failures.clone())
        .col_expr(
            entity::Column::LockedUntilMicros,
            Expr::case(
                failures.gte(MAX_FAILED_LOGINS),
                Expr::value(now + lock_micros()),
            )
            .finally(Expr::value(Option::<i64>::None))
            .into(),
        )
        .filter(entity::Column::Id.eq(&user.id))
        .filter(
            entity::Column::LockedUntilMicros
                .is_null()
                .or(entity::Column::LockedUntilMicros.lte(now)),
        )
        .exec(db)
        .await?;
    if counted.rows_affected == 0 {
        let until = entity::Entity::find_by_id(user.id.clone())
            .one(db)
            .await?
            .and_then(|u| u.locked_until_micros)
            .unwrap_or(now + lock_micros());
        return Ok(PasswordCheck::Locked(until));
    }
    let hash = user
        .password_hash
        .clone()
        .unwrap_or_else(|| decoy_hash().to_owned());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .unwrap_or(false);
    if matches && user.password_hash.is_some() {
        entity::Entity::update_many()
            .col_expr(entity::Column::FailedLogins, Expr::value(0))
            .col_expr(
                entity::Column::LockedUntilMicros,
                Expr::value(Option::<i64>::None),
            )
            .filter(entity::Column::Id.eq(&user.id))
            .exec(db)
            .await?;
        if !user.active {
            return Ok(PasswordCheck::Inactive);
        }
        return Ok(PasswordCheck::Accepted(Box::new(user.into())));
    }
    let now_row = entity::Entity::find_by_id(user.id.clone()).one(db).await?;
    let failed = now_row.as_ref().map_or(1, |u| u.failed_logins);
    let locked_until = now_row
        .and_then(|u| u.locked_until_micros)
        .filter(|t| *t > now);
    let txn = crate::begin_write(db).await?;
    platform_audit(
        &txn,
        "anonymous",
        "user.login-failed",
        &user.id,
        serde_json::json!({ "username": user.username, "from": from, "failures": failed }),
    )
    .await?;
    if let Some(until) = locked_until
        && failed == MAX_FAILED_LOGINS
    {
        platform_audit(
            &txn,
            "portico",
            "user.locked",
            &user.id,
            serde_json::json!({ "username": user.username, "from": from, "until_micros": until }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(match locked_until {
        Some(until) => PasswordCheck::Locked(until),
        None => PasswordCheck::Refused,
    })
}

/// Lifts a lock-out (audited as `user.unlock`).
pub async fn unlock(db: &DatabaseConnection, actor: &str, id: &str) -> Result<(), PlatformError> {
    let txn = crate::begin_write(db).await?;
    let done = entity::Entity::update_many()
        .col_expr(entity::Column::FailedLogins, Expr::value(0))
        .col_expr(
            entity::Column::LockedUntilMicros,
            Expr::value(Option::<i64>::None),
        )
        .filter(entity::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(PlatformError::NotFound(format!("no user `{id}`")));
    }
    platform_audit(&txn, actor, "user.unlock", id, serde_json::json!({})).await?;
    txn.commit().await?;
    Ok(())
}

fn truncate(s: &str, chars: usize) -> String {
    s.chars().take(chars).collect()
}
