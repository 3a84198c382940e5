//! Who may do what where: roles granted to users per organization, directly
//! or through a group the identity management system provisions. Three
//! kinds of role: `platform-admin` (granted in every organization at once),
//! `org-admin` (one organization), and the roles each module declares in
//! its manifest, named `<module>.<role>` (e.g. `complaints.handler`).
//! Every grant and revocation is audited in the organization's chain.
//!
//! Above `groups` (a user's roles include those their groups give) and
//! `users`; the names of roles are in `role_names`, below both, so that
//! `groups` can check a mapping's role without importing this file.

use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

use super::groups;
use super::users::{self, UserKind};
use crate::audit::{self, PLATFORM_CHAIN};
use crate::{PlatformError, now_micros, organizations};

// Defined below `groups`, which checks a mapping's role by them too.
pub use super::role_names::{EVERY_ORG, ORG_ADMIN, PLATFORM_ADMIN, check_role_name};

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "role_grants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub role: String,
        pub granted_by: String,
        pub granted_at_micros: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One role of one user in one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The user.
    pub user_id: String,
    /// The organization (`*` for a platform-wide role).
    pub org_id: String,
    /// The role.
    pub role: String,
    /// Who granted it.
    pub granted_by: String,
    /// When (µs since the epoch).
    pub granted_at_micros: i64,
}

impl From<entity::Model> for Grant {
    fn from(m: entity::Model) -> Self {
        Grant {
            user_id: m.user_id,
            org_id: m.org_id,
            role: m.role,
            granted_by: m.granted_by,
            granted_at_micros: m.granted_at_micros,
        }
    }
}

/// Where a grant of `role` in `org_id` is recorded and audited.
async fn place(
    db: &DatabaseConnection,
    org_id: &str,
    role: &str,
) -> Result<(String, String), PlatformError> {
    check_role_name(role)?;
    if role == PLATFORM_ADMIN {
        return Ok((EVERY_ORG.to_owned(), PLATFORM_CHAIN.to_owned()));
    }
    if organizations::get(db, org_id).await?.is_none() {
        return Err(PlatformError::invalid(
            "org",
            format!("no organization `{org_id}`"),
        ));
    }
    Ok((org_id.to_owned(), org_id.to_owned()))
}

/// Grants `role` in `org_id` to a staff user (audited as `role.grant`).
/// Granting a role the user holds already changes nothing.
pub async fn grant(
    db: &DatabaseConnection,
    actor: &str,
    user_id: &str,
    org_id: &str,
    role: &str,
) -> Result<Grant, PlatformError> {
    let (org, chain) = place(db, org_id, role).await?;
    let user = users::get(db, user_id)
        .await?
        .ok_or_else(|| PlatformError::invalid("user", format!("no user `{user_id}`")))?;
    if user.kind == UserKind::Citizen {
        return Err(PlatformError::invalid(
            "user",
            format!(
                "`{}` is a citizen's account; only staff hold roles",
                user.username
            ),
        ));
    }
    let txn = crate::begin_write(db).await?;
    let key = (user_id.to_owned(), org.clone(), role.to_owned());
    if let Some(existing) = entity::Entity::find_by_id(key).one(&txn).await? {
        return Ok(existing.into());
    }
    let model = entity::ActiveModel {
        user_id: Set(user_id.to_owned()),
        org_id: Set(org.clone()),
        role: Set(role.to_owned()),
        granted_by: Set(actor.to_owned()),
        granted_at_micros: Set(now_micros()),
    }
    .insert(&txn)
    .await?;
    append(&txn, &chain, actor, "role.grant", user_id, &org, role).await?;
    txn.commit().await?;
    Ok(model.into())
}

/// Revokes `role` in `org_id` from a user (audited as `role.revoke`).
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &str,
    user_id: &str,
    org_id: &str,
    role: &str,
) -> Result<(), PlatformError> {
    let (org, chain) = place(db, org_id, role).await?;
    let txn = crate::begin_write(db).await?;
    let done = entity::Entity::delete_by_id((user_id.to_owned(), org.clone(), role.to_owned()))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(PlatformError::NotFound(format!(
            "user `{user_id}` does not hold `{role}` in `{org}`"
        )));
    }
    append(&txn, &chain, actor, "role.revoke", user_id, &org, role).await?;
    txn.commit().await?;
    Ok(())
}

async fn append<C: ConnectionTrait>(
    conn: &C,
    chain: &str,
    actor: &str,
    action: &str,
    user_id: &str,
    org: &str,
    role: &str,
) -> Result<(), PlatformError> {
    audit::append(
        conn,
        chain,
        audit::Event {
            actor: actor.to_owned(),
            module: audit::HOST.to_owned(),
            action: action.to_owned(),
            subject: user_id.to_owned(),
            detail: serde_json::json!({ "role": role, "org": org }),
        },
    )
    .await?;
    Ok(())
}

/// The roles a user holds in an organization: granted there, through a
/// group, and `platform-admin` wherever it holds.
pub async fn roles_in<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    org_id: &str,
) -> Result<BTreeSet<String>, PlatformError> {
    let mut roles: BTreeSet<String> = entity::Entity::find()
        .filter(entity::Column::UserId.eq(user_id))
        .filter(entity::Column::OrgId.is_in([org_id, EVERY_ORG]))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.role)
        .collect();
    roles.extend(groups::roles_in(db, user_id, org_id).await?);
    Ok(roles)
}

/// The active users who hold one of `roles` (module roles, qualified) in
/// `org_id`, granted there or through a group, as (id, display name) by
/// name. The platform-wide roles are not among them: an administrator
/// holds every permission without doing the organization's work.
pub async fn holders<C: ConnectionTrait>(
    db: &C,
    org_id: &str,
    roles: &[String],
) -> Result<Vec<(String, String)>, PlatformError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: BTreeSet<String> = entity::Entity::find()
        .filter(entity::Column::OrgId.eq(org_id))
        .filter(entity::Column::Role.is_in(roles.iter().map(String::as_str)))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.user_id)
        .collect();
    ids.extend(groups::holders_in(db, org_id, roles).await?);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::entity::Entity::find()
        .filter(users::entity::Column::Id.is_in(ids))
        .filter(users::entity::Column::Active.eq(true))
        .order_by_asc(users::entity::Column::DisplayName)
        .order_by_asc(users::entity::Column::Username)
        .all(db)
        .await?
        .into_iter()
        .map(users::User::from)
        .map(|u| {
            let name = u.shown_name().to_owned();
            (u.id, name)
        })
        .collect())
}

/// Why a user administers an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "as", rename_all = "kebab-case")]
pub enum AdminRight {
    /// As a platform administrator, everywhere.
    Platform,
    /// As the organization's own administrator.
    Own,
    /// As the administrator of `from`, an organization above it.
    Above {
        /// The organization whose `org-admin` the user is.
        from: String,
    },
}

/// Whether, and why, `user_id` administers `org_id`: as a platform
/// administrator, as its `org-admin`, or as the `org-admin` of an
/// organization above it, unless it, or one between, is closed to
/// administration from above.
pub async fn admin_right<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    org_id: &str,
) -> Result<Option<AdminRight>, PlatformError> {
    let held = roles_in(db, user_id, org_id).await?;
    if held.contains(PLATFORM_ADMIN) {
        return Ok(Some(AdminRight::Platform));
    }
    if held.contains(ORG_ADMIN) {
        return Ok(Some(AdminRight::Own));
    }
    let Some(line) = organizations::line(db, org_id).await? else {
        return Ok(None);
    };
    if line.current.closed_to_above {
        return Ok(None);
    }
    for above in &line.ancestors {
        if roles_in(db, user_id, &above.id).await?.contains(ORG_ADMIN) {
            return Ok(Some(AdminRight::Above {
                from: above.id.clone(),
            }));
        }
        if above.closed_to_above {
            break;
        }
    }
    Ok(None)
}

/// The organizations `user_id` administers: `None` for every one (a
/// platform administrator); otherwise those where they are `org-admin`
/// and those below them that are not closed to administration from above.
pub async fn administered(
    db: &DatabaseConnection,
    user_id: &str,
) -> Result<Option<BTreeSet<String>>, PlatformError> {
    if roles_in(db, user_id, EVERY_ORG)
        .await?
        .contains(PLATFORM_ADMIN)
    {
        return Ok(None);
    }
    let mut out = BTreeSet::new();
    for org in orgs_of(db, user_id).await? {
        if org != EVERY_ORG && roles_in(db, user_id, &org).await?.contains(ORG_ADMIN) {
            out.extend(
                organizations::administered_below(db, &org)
                    .await?
                    .into_iter()
                    .map(|o| o.id),
            );
            out.insert(org);
        }
    }
    Ok(Some(out))
}

/// The organizations where a user holds any role (`*` for a platform admin).
pub async fn orgs_of(
    db: &DatabaseConnection,
    user_id: &str,
) -> Result<BTreeSet<String>, PlatformError> {
    let mut orgs: BTreeSet<String> = entity::Entity::find()
        .filter(entity::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.org_id)
        .collect();
    orgs.extend(groups::orgs_of(db, user_id).await?);
    Ok(orgs)
}

/// Every direct grant in an organization (with `org_id`) or of a user.
pub async fn grants(
    db: &DatabaseConnection,
    org_id: Option<&str>,
    user_id: Option<&str>,
) -> Result<Vec<Grant>, PlatformError> {
    let mut q = entity::Entity::find();
    if let Some(org) = org_id {
        q = q.filter(entity::Column::OrgId.eq(org));
    }
    if let Some(user) = user_id {
        q = q.filter(entity::Column::UserId.eq(user));
    }
    Ok(q.order_by_asc(entity::Column::OrgId)
        .order_by_asc(entity::Column::UserId)
        .order_by_asc(entity::Column::Role)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Forgets a deleted user's grants and group memberships.
pub(crate) async fn forget_user<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> Result<(), PlatformError> {
    entity::Entity::delete_many()
        .filter(entity::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    groups::forget_user(conn, user_id).await
}
