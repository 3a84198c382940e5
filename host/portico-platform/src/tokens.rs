//! API tokens for machine clients (another agenda system, a mobile app's
//! back end): each is scoped to one organization and a set of module
//! permissions, shown once when created, stored only as its SHA-256, and
//! revocable. Creation and revocation are audited in the organization's chain.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use crate::{PlatformError, audit, now_micros, organizations, random_token, sha256_hex};

pub(crate) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub token_hash: String,
        pub name: String,
        pub org_id: String,
        pub permissions: String,
        pub created_by: String,
        pub created_at_micros: i64,
        pub expires_at_micros: Option<i64>,
        pub revoked_at_micros: Option<i64>,
        pub last_used_micros: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What every token starts with, so that a leaked one is easy to recognize.
pub const PREFIX: &str = "pt_";

/// The host's own permission of an identity system's provisioning token:
/// SCIM may create, change and delete staff accounts and groups with it.
/// Only a platform administrator may issue a token that carries it.
pub const PROVISION: &str = "portico.provision";

/// The permissions the host itself defines (modules define the others).
pub const HOST_PERMISSIONS: &[&str] = &[PROVISION];

/// An API token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Stable identifier (to revoke it by).
    pub id: String,
    /// What it is for, e.g. `spisová služba`.
    pub name: String,
    /// The only organization it works in.
    pub org_id: String,
    /// The module permissions it carries, e.g. `notice-board.post`.
    pub permissions: Vec<String>,
    /// Who created it.
    pub created_by: String,
    /// When (µs since the epoch).
    pub created_at_micros: i64,
    /// When it stops working, if ever.
    pub expires_at_micros: Option<i64>,
    /// When it was revoked.
    pub revoked_at_micros: Option<i64>,
    /// When it was last used.
    pub last_used_micros: Option<i64>,
}

impl From<entity::Model> for ApiToken {
    fn from(m: entity::Model) -> Self {
        ApiToken {
            permissions: serde_json::from_str(&m.permissions).unwrap_or_default(),
            id: m.id,
            name: m.name,
            org_id: m.org_id,
            created_by: m.created_by,
            created_at_micros: m.created_at_micros,
            expires_at_micros: m.expires_at_micros,
            revoked_at_micros: m.revoked_at_micros,
            last_used_micros: m.last_used_micros,
        }
    }
}

/// The longest a token may live, in days (ten years).
pub const MAX_DAYS: u32 = 3650;

/// When a token that lives `days` from now expires (µs since the epoch);
/// refused outside 1 to [`MAX_DAYS`], never wrapped around.
pub fn expiry_after_days(days: u32) -> Result<i64, PlatformError> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(PlatformError::invalid(
            "days",
            format!(
                "must be from 1 to {MAX_DAYS} (ten years); leave it out for a token that does not expire"
            ),
        ));
    }
    Ok(crate::now_micros() + i64::from(days) * 86_400_000_000)
}

/// Creates a token; returns its secret (to show once) and the token.
/// Which permissions exist is the caller's check (the platform does not
/// read manifests); the shape `<module>.<permission>` is checked here.
pub async fn create(
    db: &DatabaseConnection,
    actor: &str,
    org_id: &str,
    name: &str,
    permissions: &[String],
    expires_at_micros: Option<i64>,
) -> Result<(String, ApiToken), PlatformError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(PlatformError::invalid(
            "name",
            "must be 1 to 200 characters",
        ));
    }
    for p in permissions {
        if !p
            .split_once('.')
            .is_some_and(|(m, q)| !m.is_empty() && !q.is_empty())
        {
            return Err(PlatformError::invalid(
                "permissions",
                format!("`{p}` is not a permission: use `<module>.<permission>`"),
            ));
        }
    }
    if expires_at_micros.is_some_and(|t| t <= now_micros()) {
        return Err(PlatformError::invalid("expires", "must be in the future"));
    }
    if organizations::get(db, org_id).await?.is_none() {
        return Err(PlatformError::invalid(
            "org",
            format!("no organization `{org_id}`"),
        ));
    }
    let secret = format!("{PREFIX}{}", random_token());
    let txn = crate::begin_write(db).await?;
    let model = entity::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        token_hash: Set(sha256_hex(&secret)),
        name: Set(name.to_owned()),
        org_id: Set(org_id.to_owned()),
        permissions: Set(serde_json::to_string(permissions).unwrap_or_else(|_| "[]".into())),
        created_by: Set(actor.to_owned()),
        created_at_micros: Set(now_micros()),
        expires_at_micros: Set(expires_at_micros),
        revoked_at_micros: Set(None),
        last_used_micros: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        org_id,
        audit::Event {
            actor: actor.to_owned(),
            module: audit::HOST.to_owned(),
            action: "token.create".into(),
            subject: model.id.clone(),
            detail: serde_json::json!({ "name": name, "permissions": permissions }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((secret, model.into()))
}

/// The live token whose secret this is (marks it used).
pub async fn resolve(
    db: &DatabaseConnection,
    secret: &str,
) -> Result<Option<ApiToken>, PlatformError> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let now = now_micros();
    let Some(model) = entity::Entity::find()
        .filter(entity::Column::TokenHash.eq(sha256_hex(secret)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if model.revoked_at_micros.is_some() || model.expires_at_micros.is_some_and(|t| t <= now) {
        return Ok(None);
    }
    if model.last_used_micros.is_none_or(|t| now - t > 60_000_000) {
        entity::Entity::update_many()
            .col_expr(entity::Column::LastUsedMicros, Expr::value(now))
            .filter(entity::Column::Id.eq(&model.id))
            .exec(db)
            .await?;
    }
    Ok(Some(model.into()))
}

/// Revokes a token of an organization (audited as `token.revoke`).
pub async fn revoke(
    db: &DatabaseConnection,
    actor: &str,
    org_id: &str,
    id: &str,
) -> Result<(), PlatformError> {
    let txn = crate::begin_write(db).await?;
    let done = entity::Entity::update_many()
        .col_expr(entity::Column::RevokedAtMicros, Expr::value(now_micros()))
        .filter(entity::Column::Id.eq(id))
        .filter(entity::Column::OrgId.eq(org_id))
        .filter(entity::Column::RevokedAtMicros.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(PlatformError::NotFound(format!(
            "no live token `{id}` in `{org_id}`"
        )));
    }
    audit::append(
        &txn,
        org_id,
        audit::Event {
            actor: actor.to_owned(),
            module: audit::HOST.to_owned(),
            action: "token.revoke".into(),
            subject: id.to_owned(),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An organization's tokens, newest first.
pub async fn list(db: &DatabaseConnection, org_id: &str) -> Result<Vec<ApiToken>, PlatformError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::OrgId.eq(org_id))
        .order_by_desc(entity::Column::CreatedAtMicros)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}
