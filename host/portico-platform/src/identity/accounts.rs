//! Changes to an account that reach beyond its row: deactivating it or
//! giving it a new password ends its sessions; deleting it ends them and
//! forgets its roles and group memberships; an identity provider's log-in
//! is linked to a provisioned staff account only if it holds no
//! platform-wide role. Each is one transaction over the parts below it
//! (`users`, `logins`, `sessions`, `roles`), which do not import one
//! another for this; nothing in identity imports this file.

use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

use super::logins::{self, PasswordCheck};
use super::passwords::{check_password_strength, hash_off_thread};
use super::users::{self, NewUser, User, UserKind, emails_column, entity, platform_audit};
use super::{roles, sessions};
use crate::{PlatformError, now_micros};

/// Changes a user's profile (everything [`NewUser`] holds but the
/// password, which is kept unless one is given). Deactivating ends the
/// user's sessions. Audited as `user.update`.
pub async fn update(
    db: &DatabaseConnection,
    actor: &str,
    id: &str,
    mut new: NewUser,
) -> Result<User, PlatformError> {
    new.check()?;
    let hash = match new.password.take() {
        Some(p) => Some(hash_off_thread(p).await?),
        None => None,
    };
    let txn = crate::begin_write(db).await?;
    let current = entity::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no user `{id}`")))?;
    if current.username != new.username && users::by_username(&txn, &new.username).await?.is_some()
    {
        return Err(PlatformError::Conflict(format!(
            "a user `{}` exists already",
            new.username
        )));
    }
    let deactivated = current.active && !new.active;
    let password_changed = hash.is_some();
    let version = current.version + 1;
    let mut m: entity::ActiveModel = current.into();
    m.username = Set(new.username.clone());
    m.display_name = Set(new.display_name);
    m.given_name = Set(new.given_name);
    m.family_name = Set(new.family_name);
    m.email = Set(new.email);
    m.emails = Set(emails_column(&new.emails));
    m.active = Set(new.active);
    m.external_id = Set(new.external_id);
    if let Some(hash) = hash {
        m.password_hash = Set(Some(hash));
    }
    m.version = Set(version);
    m.updated_at_micros = Set(now_micros());
    let model = m.update(&txn).await?;
    // Whoever knew the old password may hold a session: a new password
    // ends them all, as deactivating does.
    if deactivated || password_changed {
        sessions::end_all_in(&txn, id).await?;
    }
    platform_audit(
        &txn,
        actor,
        "user.update",
        id,
        serde_json::json!({
            "username": model.username,
            "active": model.active,
            "password_changed": password_changed,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(model.into())
}

/// Deletes a user with their sessions, roles and group memberships.
/// Audited as `user.delete`.
pub async fn delete(db: &DatabaseConnection, actor: &str, id: &str) -> Result<(), PlatformError> {
    let txn = crate::begin_write(db).await?;
    let user = entity::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no user `{id}`")))?;
    sessions::end_all_in(&txn, id).await?;
    roles::forget_user(&txn, id).await?;
    entity::Entity::delete_by_id(id.to_owned())
        .exec(&txn)
        .await?;
    platform_audit(
        &txn,
        actor,
        "user.delete",
        id,
        serde_json::json!({ "username": user.username }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A person changes their own password in the session of `session_token`:
/// the current password is checked as a log-in is (a wrong one counts
/// towards the lock-out), then every other session of theirs ends and this
/// one stays. Audited as `user.password-change`.
pub async fn change_own_password(
    db: &DatabaseConnection,
    id: &str,
    current: &str,
    new_password: &str,
    session_token: &str,
    from: &str,
) -> Result<PasswordCheck, PlatformError> {
    let user = users::get(db, id)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no user `{id}`")))?;
    check_password_strength(new_password)?;
    let check = logins::check_password(db, &user.username, current, from).await?;
    if !matches!(check, PasswordCheck::Accepted(_)) {
        return Ok(check);
    }
    let hash = hash_off_thread(new_password.to_owned()).await?;
    let txn = crate::begin_write(db).await?;
    set_password_in(&txn, id, hash).await?;
    let ended = sessions::end_others_in(&txn, id, session_token).await?;
    platform_audit(
        &txn,
        id,
        "user.password-change",
        id,
        serde_json::json!({ "username": user.username, "from": from, "sessions_ended": ended }),
    )
    .await?;
    txn.commit().await?;
    Ok(check)
}

/// Sets the (already hashed) password of `id` and clears its failed
/// log-ins and lock-out, in the caller's transaction.
pub(crate) async fn set_password_in<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    hash: String,
) -> Result<(), PlatformError> {
    entity::Entity::update_many()
        .col_expr(entity::Column::PasswordHash, Expr::value(hash))
        .col_expr(entity::Column::FailedLogins, Expr::value(0))
        .col_expr(
            entity::Column::LockedUntilMicros,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            entity::Column::Version,
            Expr::col(entity::Column::Version).add(1),
        )
        .col_expr(entity::Column::UpdatedAtMicros, Expr::value(now_micros()))
        .filter(entity::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The account of a person an identity provider (`provider`, known by its
/// `issuer`) verified as `subject`.
///
/// An outside identity is keyed by issuer and subject only: names the
/// provider asserts (`preferred_username`) are not unique and are never
/// used to find an account. The account linked to the identity is found
/// first. For staff, an account the IDM provisioned for exactly this
/// person (its `externalId` is the subject) is linked at the first log-in,
/// but never one that has a local password or a platform-wide role, nor
/// one linked to another identity. Anyone else gets a new account named
/// `<provider>:<subject>`, in the provider's own name space.
pub async fn account_for_identity(
    db: &DatabaseConnection,
    provider: &str,
    issuer: &str,
    subject: &str,
    mut profile: NewUser,
) -> Result<User, PlatformError> {
    if let Some(u) = users::by_identity(db, issuer, subject).await? {
        return users::record_identity(db, &u.id, (issuer, subject), &profile).await;
    }
    if profile.kind == UserKind::Staff
        && let Some(u) = users::by_external_id(db, subject).await?
        && u.kind == UserKind::Staff
        && u.issuer.is_none()
        && !u.has_password
        && roles::roles_in(db, &u.id, roles::EVERY_ORG)
            .await?
            .is_empty()
    {
        return users::record_identity(db, &u.id, (issuer, subject), &profile).await;
    }
    profile.username = format!("{provider}:{subject}");
    profile.external_id = None;
    profile.password = None;
    let mut suffix = 1;
    while users::by_username(db, &profile.username).await?.is_some() {
        // A local account took the name first; the identity still gets an
        // account of its own.
        suffix += 1;
        profile.username = format!("{provider}:{subject}:{suffix}");
    }
    users::create(db, &format!("oidc:{provider}"), profile).await
}

/// Links the eID identity (`issuer`, `subject`) to the local account
/// `user_id`, whose holder proved both: logged in to the account, and
/// logged in by the eID. From then on the eID logs in to this account,
/// and its verified name and claims are the account's. Refused when the
/// eID is linked to another account already, or the account is not a
/// citizen's own (staff, or linked to an identity already).
pub async fn link_identity(
    db: &DatabaseConnection,
    user_id: &str,
    issuer: &str,
    subject: &str,
    verified: &NewUser,
) -> Result<User, PlatformError> {
    let account = users::get(db, user_id)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no user `{user_id}`")))?;
    if account.kind != UserKind::Citizen || account.issuer.is_some() {
        return Err(PlatformError::Forbidden(
            "only a citizen's own account is linked to an eID".into(),
        ));
    }
    if users::by_identity(db, issuer, subject)
        .await?
        .is_some_and(|u| u.id != user_id)
    {
        return Err(PlatformError::Conflict(
            "this eID logs in to another account".into(),
        ));
    }
    let linked = users::record_identity(db, user_id, (issuer, subject), verified).await?;
    let txn = crate::begin_write(db).await?;
    platform_audit(
        &txn,
        user_id,
        "user.identity-linked",
        user_id,
        serde_json::json!({ "issuer": issuer }),
    )
    .await?;
    txn.commit().await?;
    Ok(linked)
}
