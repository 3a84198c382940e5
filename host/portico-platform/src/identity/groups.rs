//! Groups, as the identity management system provisions them over SCIM.
//! A group may stand for one role in one organization: its members hold
//! that role there for as long as they are members. Every change is
//! audited (in the organization's chain when the group maps to one).
//!
//! Below `roles`, which reads the roles groups give; this file checks a
//! mapping's role by `role_names` alone, so it never imports `roles`.

use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;

use super::role_names::{PLATFORM_ADMIN, check_role_name};
use super::users;
use crate::audit::{self, PLATFORM_CHAIN};
use crate::{PlatformError, now_micros, organizations};

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "groups")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub display_name: String,
        pub external_id: Option<String>,
        pub org_id: Option<String>,
        pub role: Option<String>,
        pub version: i64,
        pub created_at_micros: i64,
        pub updated_at_micros: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod member {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "group_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub group_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A group with its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Stable identifier.
    pub id: String,
    /// Its name (unique).
    pub display_name: String,
    /// The provisioning system's identifier.
    pub external_id: Option<String>,
    /// The organization whose role it stands for.
    pub org_id: Option<String>,
    /// The role its members hold there.
    pub role: Option<String>,
    /// Its members' user ids.
    pub members: Vec<String>,
    /// Raised by every change.
    pub version: i64,
    /// When created (µs since the epoch).
    pub created_at_micros: i64,
    /// When last changed (µs since the epoch).
    pub updated_at_micros: i64,
}

/// What a group is set to.
#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    /// Its name.
    pub display_name: String,
    /// The provisioning system's identifier.
    pub external_id: Option<String>,
    /// The organization and role it stands for (both or neither).
    pub role: Option<(String, String)>,
    /// Its members' user ids.
    pub members: Vec<String>,
}

async fn check<C: ConnectionTrait>(db: &C, new: &mut NewGroup) -> Result<(), PlatformError> {
    new.display_name = new.display_name.trim().to_owned();
    if new.display_name.is_empty() || new.display_name.chars().count() > 200 {
        return Err(PlatformError::invalid(
            "displayName",
            "must be 1 to 200 characters",
        ));
    }
    if let Some((org, role)) = &new.role {
        check_role_name(role)?;
        if role == PLATFORM_ADMIN {
            return Err(PlatformError::invalid(
                "role",
                "a group cannot make its members platform administrators",
            ));
        }
        if organizations::entity::Entity::find_by_id(org.clone())
            .one(db)
            .await?
            .is_none()
        {
            return Err(PlatformError::invalid(
                "organization",
                format!("no organization `{org}`"),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    new.members.retain(|m| seen.insert(m.clone()));
    for m in &new.members {
        if users::get(db, m).await?.is_none() {
            return Err(PlatformError::invalid("members", format!("no user `{m}`")));
        }
    }
    Ok(())
}

async fn taken<C: ConnectionTrait>(
    db: &C,
    name: &str,
    except: Option<&str>,
) -> Result<bool, PlatformError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::DisplayName.eq(name))
        .one(db)
        .await?
        .is_some_and(|g| Some(g.id.as_str()) != except))
}

/// Creates a group (audited as `group.create`).
pub async fn create(
    db: &DatabaseConnection,
    actor: &str,
    mut new: NewGroup,
) -> Result<Group, PlatformError> {
    let txn = crate::begin_write(db).await?;
    check(&txn, &mut new).await?;
    if taken(&txn, &new.display_name, None).await? {
        return Err(PlatformError::Conflict(format!(
            "a group `{}` exists already",
            new.display_name
        )));
    }
    let now = now_micros();
    let id = uuid::Uuid::now_v7().to_string();
    entity::ActiveModel {
        id: Set(id.clone()),
        display_name: Set(new.display_name.clone()),
        external_id: Set(new.external_id.clone()),
        org_id: Set(new.role.as_ref().map(|r| r.0.clone())),
        role: Set(new.role.as_ref().map(|r| r.1.clone())),
        version: Set(1),
        created_at_micros: Set(now),
        updated_at_micros: Set(now),
    }
    .insert(&txn)
    .await?;
    set_members(&txn, &id, &new.members).await?;
    log(&txn, actor, "group.create", &id, &new).await?;
    let group = get(&txn, &id)
        .await?
        .ok_or_else(|| PlatformError::NotFound(id.clone()))?;
    txn.commit().await?;
    Ok(group)
}

/// Replaces a group's name, mapping and members (audited as `group.update`).
pub async fn replace(
    db: &DatabaseConnection,
    actor: &str,
    id: &str,
    mut new: NewGroup,
) -> Result<Group, PlatformError> {
    let txn = crate::begin_write(db).await?;
    let current = entity::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no group `{id}`")))?;
    check(&txn, &mut new).await?;
    if taken(&txn, &new.display_name, Some(id)).await? {
        return Err(PlatformError::Conflict(format!(
            "a group `{}` exists already",
            new.display_name
        )));
    }
    let version = current.version + 1;
    let mut m: entity::ActiveModel = current.into();
    m.display_name = Set(new.display_name.clone());
    m.external_id = Set(new.external_id.clone());
    m.org_id = Set(new.role.as_ref().map(|r| r.0.clone()));
    m.role = Set(new.role.as_ref().map(|r| r.1.clone()));
    m.version = Set(version);
    m.updated_at_micros = Set(now_micros());
    m.update(&txn).await?;
    set_members(&txn, id, &new.members).await?;
    log(&txn, actor, "group.update", id, &new).await?;
    let group = get(&txn, id)
        .await?
        .ok_or_else(|| PlatformError::NotFound(id.to_owned()))?;
    txn.commit().await?;
    Ok(group)
}

/// Maps a group to a role in an organization, or (with `None`) removes
/// its mapping; members hold the role through the group from now on
/// (audited as `group.update`). Naming a group by its id or its name.
pub async fn map(
    db: &DatabaseConnection,
    actor: &str,
    group: &str,
    role: Option<(String, String)>,
) -> Result<Group, PlatformError> {
    let current = match get(db, group).await? {
        Some(g) => g,
        None => {
            let by_name = entity::Entity::find()
                .filter(entity::Column::DisplayName.eq(group))
                .one(db)
                .await?
                .ok_or_else(|| PlatformError::NotFound(format!("no group `{group}`")))?;
            get(db, &by_name.id)
                .await?
                .ok_or_else(|| PlatformError::NotFound(format!("no group `{group}`")))?
        }
    };
    let new = NewGroup {
        display_name: current.display_name,
        external_id: current.external_id,
        role,
        members: current.members,
    };
    replace(db, actor, &current.id, new).await
}

/// Deletes a group; its members lose the role it gave (audited as `group.delete`).
pub async fn delete(db: &DatabaseConnection, actor: &str, id: &str) -> Result<(), PlatformError> {
    let txn = crate::begin_write(db).await?;
    let Some(current) = get(&txn, id).await? else {
        return Err(PlatformError::NotFound(format!("no group `{id}`")));
    };
    set_members(&txn, id, &[]).await?;
    entity::Entity::delete_by_id(id.to_owned())
        .exec(&txn)
        .await?;
    let gone = NewGroup {
        display_name: current.display_name,
        external_id: current.external_id,
        role: current.org_id.zip(current.role),
        members: Vec::new(),
    };
    log(&txn, actor, "group.delete", id, &gone).await?;
    txn.commit().await?;
    Ok(())
}

async fn set_members<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    members: &[String],
) -> Result<(), PlatformError> {
    member::Entity::delete_many()
        .filter(member::Column::GroupId.eq(id))
        .exec(conn)
        .await?;
    if !members.is_empty() {
        member::Entity::insert_many(members.iter().map(|u| member::ActiveModel {
            group_id: Set(id.to_owned()),
            user_id: Set(u.clone()),
        }))
        .exec(conn)
        .await?;
    }
    Ok(())
}

async fn log<C: ConnectionTrait>(
    conn: &C,
    actor: &str,
    action: &str,
    id: &str,
    g: &NewGroup,
) -> Result<(), PlatformError> {
    let chain = g.role.as_ref().map_or(PLATFORM_CHAIN, |r| r.0.as_str());
    audit::append(
        conn,
        chain,
        audit::Event {
            actor: actor.to_owned(),
            module: audit::HOST.to_owned(),
            action: action.to_owned(),
            subject: id.to_owned(),
            detail: serde_json::json!({
                "displayName": g.display_name,
                "role": g.role.as_ref().map(|r| &r.1),
                "org": g.role.as_ref().map(|r| &r.0),
                "members": g.members,
            }),
        },
    )
    .await?;
    Ok(())
}

/// A group by id.
pub async fn get<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<Group>, PlatformError> {
    let Some(g) = entity::Entity::find_by_id(id.to_owned()).one(db).await? else {
        return Ok(None);
    };
    let members = member::Entity::find()
        .filter(member::Column::GroupId.eq(id))
        .order_by_asc(member::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    Ok(Some(Group {
        id: g.id,
        display_name: g.display_name,
        external_id: g.external_id,
        org_id: g.org_id,
        role: g.role,
        members,
        version: g.version,
        created_at_micros: g.created_at_micros,
        updated_at_micros: g.updated_at_micros,
    }))
}

/// Every group, by name, with its members.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<Group>, PlatformError> {
    let ids: Vec<String> = entity::Entity::find()
        .order_by_asc(entity::Column::DisplayName)
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(g) = get(db, &id).await? {
            out.push(g);
        }
    }
    Ok(out)
}

/// The ids of the groups a user is a member of.
async fn ids_of<C: ConnectionTrait>(db: &C, user_id: &str) -> Result<Vec<String>, PlatformError> {
    Ok(member::Entity::find()
        .filter(member::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.group_id)
        .collect())
}

/// The groups a user is a member of: (id, name).
pub async fn of_user(
    db: &DatabaseConnection,
    user_id: &str,
) -> Result<Vec<(String, String)>, PlatformError> {
    let ids = ids_of(db, user_id).await?;
    Ok(entity::Entity::find()
        .filter(entity::Column::Id.is_in(ids))
        .order_by_asc(entity::Column::DisplayName)
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.display_name))
        .collect())
}

async fn mapped_groups<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
) -> Result<Vec<entity::Model>, PlatformError> {
    let ids = ids_of(db, user_id).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(entity::Entity::find()
        .filter(entity::Column::Id.is_in(ids))
        .filter(entity::Column::Role.is_not_null())
        .all(db)
        .await?)
}

/// The roles a user holds in an organization through groups.
pub(crate) async fn roles_in<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
    org_id: &str,
) -> Result<Vec<String>, PlatformError> {
    Ok(mapped_groups(db, user_id)
        .await?
        .into_iter()
        .filter(|g| g.org_id.as_deref() == Some(org_id))
        .filter_map(|g| g.role)
        .collect())
}

/// The users who hold one of `roles` in `org_id` through a group.
pub(crate) async fn holders_in<C: ConnectionTrait>(
    db: &C,
    org_id: &str,
    roles: &[String],
) -> Result<Vec<String>, PlatformError> {
    let groups: Vec<String> = entity::Entity::find()
        .filter(entity::Column::OrgId.eq(org_id))
        .filter(entity::Column::Role.is_in(roles.iter().map(String::as_str)))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    Ok(member::Entity::find()
        .filter(member::Column::GroupId.is_in(groups))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

/// The organizations where a user holds a role through groups.
pub(crate) async fn orgs_of<C: ConnectionTrait>(
    db: &C,
    user_id: &str,
) -> Result<Vec<String>, PlatformError> {
    Ok(mapped_groups(db, user_id)
        .await?
        .into_iter()
        .filter_map(|g| g.org_id)
        .collect())
}

pub(crate) async fn forget_user<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> Result<(), PlatformError> {
    member::Entity::delete_many()
        .filter(member::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
