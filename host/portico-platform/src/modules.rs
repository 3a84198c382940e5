//! Module installations and their enablement per organization. A module
//! version is installed once for the whole deployment; each organization
//! enables it on its own, with its own settings. Disabling keeps the
//! module's data in that organization; enabling again brings it back.
//! Every change is written to the organization's audit chain in the same
//! transaction.
//!
//! An installation records who signed its package: the vendor's key it is
//! bound to, so that another vendor's package does not replace it unless a
//! platform administrator approves the change.

use std::collections::BTreeMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    NotSet, QueryFilter, QueryOrder, Set, Statement,
};
use serde::{Deserialize, Serialize};

use crate::{PlatformError, audit, now_micros, organizations};

pub(crate) mod installation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "module_installations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub module_id: String,
        pub version: String,
        pub installed_at_micros: i64,
        pub signer_key: Option<String>,
        pub signer_vendor: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod enablement {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "module_enablements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub module_id: String,
        pub enabled: bool,
        pub settings: String,
        pub updated_at_micros: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An installed module version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installation {
    /// The module's id.
    pub module_id: String,
    /// The version installed.
    pub version: String,
    /// When this version was installed, microseconds since the Unix epoch.
    pub installed_at_micros: i64,
    /// Who signed the package it was installed from; `None` when that was
    /// not recorded (installed before signers were, or put in the modules
    /// folder by hand): its next upgrade binds it.
    pub signer: Option<Signer>,
}

/// Who signed an installed module's package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    /// The vendor's public key (64 hex digits) the module is bound to;
    /// `None` for an unsigned package, installed in development mode.
    pub key: Option<String>,
    /// The vendor the portal trusted the key as when it installed.
    pub vendor: String,
}

impl From<installation::Model> for Installation {
    fn from(m: installation::Model) -> Self {
        Installation {
            signer: m.signer_vendor.map(|vendor| Signer {
                key: m.signer_key,
                vendor,
            }),
            module_id: m.module_id,
            version: m.version,
            installed_at_micros: m.installed_at_micros,
        }
    }
}

/// A module's state in one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enablement {
    /// The organization.
    pub org_id: String,
    /// The module.
    pub module_id: String,
    /// Whether it serves the organization now.
    pub enabled: bool,
    /// The settings the organization's administrator set, by key.
    pub settings: BTreeMap<String, String>,
}

impl From<enablement::Model> for Enablement {
    fn from(m: enablement::Model) -> Self {
        Enablement {
            settings: serde_json::from_str(&m.settings).unwrap_or_default(),
            org_id: m.org_id,
            module_id: m.module_id,
            enabled: m.enabled,
        }
    }
}

/// Records that `version` of `module_id` is the installed one, as found in
/// the modules folder; the signer recorded before stays. Installing the
/// same version again changes nothing.
pub async fn install<C: ConnectionTrait>(
    db: &C,
    module_id: &str,
    version: &str,
) -> Result<Installation, PlatformError> {
    if let Some(existing) = installation::Entity::find_by_id(module_id.to_owned())
        .one(db)
        .await?
        && existing.version == version
    {
        return Ok(existing.into());
    }
    upsert(db, module_id, version, None).await
}

/// Records that `version` of `module_id`, from a package `signer` signed,
/// is the installed one, bound to `signer` (to none when `None`: a
/// rollback to a version installed before signers were recorded).
pub async fn install_signed<C: ConnectionTrait>(
    db: &C,
    module_id: &str,
    version: &str,
    signer: Option<&Signer>,
) -> Result<Installation, PlatformError> {
    upsert(db, module_id, version, Some(signer)).await
}

/// Inserts or updates the installation; its signer too when `signer` is given.
async fn upsert<C: ConnectionTrait>(
    db: &C,
    module_id: &str,
    version: &str,
    signer: Option<Option<&Signer>>,
) -> Result<Installation, PlatformError> {
    let now = now_micros();
    let mut columns = vec![
        installation::Column::Version,
        installation::Column::InstalledAtMicros,
    ];
    let (key, vendor) = match signer {
        Some(s) => {
            columns.extend([
                installation::Column::SignerKey,
                installation::Column::SignerVendor,
            ]);
            (
                Set(s.and_then(|s| s.key.clone())),
                Set(s.map(|s| s.vendor.clone())),
            )
        }
        None => (NotSet, NotSet),
    };
    installation::Entity::insert(installation::ActiveModel {
        module_id: Set(module_id.to_owned()),
        version: Set(version.to_owned()),
        installed_at_micros: Set(now),
        signer_key: key,
        signer_vendor: vendor,
    })
    .on_conflict(
        OnConflict::column(installation::Column::ModuleId)
            .update_columns(columns)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    installation(db, module_id).await?.ok_or_else(|| {
        PlatformError::NotFound(format!("the installation of `{module_id}` is gone"))
    })
}

/// The installed version of `module_id`, if it is installed.
pub async fn installation<C: ConnectionTrait>(
    conn: &C,
    module_id: &str,
) -> Result<Option<Installation>, PlatformError> {
    Ok(installation::Entity::find_by_id(module_id.to_owned())
        .one(conn)
        .await?
        .map(Into::into))
}

/// Every installed module, by id.
pub async fn installations<C: ConnectionTrait>(
    conn: &C,
) -> Result<Vec<Installation>, PlatformError> {
    Ok(installation::Entity::find()
        .order_by_asc(installation::Column::ModuleId)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The ids of the modules enabled in `org_id`.
pub async fn enabled_modules<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
) -> Result<Vec<String>, PlatformError> {
    Ok(enablement::Entity::find()
        .filter(enablement::Column::OrgId.eq(org_id))
        .filter(enablement::Column::Enabled.eq(true))
        .order_by_asc(enablement::Column::ModuleId)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.module_id)
        .collect())
}

/// The organizations where `module_id` is enabled.
pub async fn enabled_in<C: ConnectionTrait>(
    conn: &C,
    module_id: &str,
) -> Result<std::collections::HashSet<String>, PlatformError> {
    Ok(enablement::Entity::find()
        .filter(enablement::Column::ModuleId.eq(module_id))
        .filter(enablement::Column::Enabled.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.org_id)
        .collect())
}

/// The module's state in every organization that ever enabled it, or
/// every module's state in one organization.
pub async fn enablements(
    db: &DatabaseConnection,
    org_id: Option<&str>,
    module_id: Option<&str>,
) -> Result<Vec<Enablement>, PlatformError> {
    let mut q = enablement::Entity::find();
    if let Some(org) = org_id {
        q = q.filter(enablement::Column::OrgId.eq(org));
    }
    if let Some(m) = module_id {
        q = q.filter(enablement::Column::ModuleId.eq(m));
    }
    Ok(q.order_by_asc(enablement::Column::OrgId)
        .order_by_asc(enablement::Column::ModuleId)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// What an administrator changes about a module in an organization.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// Enable (`Some(true)`), disable (`Some(false)`) or leave as it is.
    pub enabled: Option<bool>,
    /// Settings to set, already checked against the manifest's schema.
    pub set: BTreeMap<String, String>,
    /// Settings to return to their defaults.
    pub unset: Vec<String>,
    /// Apply to every organization below as well.
    pub include_children: bool,
}

/// Applies `change` to `module_id` in `org_id` (and, when asked, in every
/// organization below it), all or nothing, audited in each organization's
/// chain. Returns the resulting states.
pub async fn change(
    db: &DatabaseConnection,
    org_id: &str,
    module_id: &str,
    change: &Change,
    actor: &str,
) -> Result<Vec<Enablement>, PlatformError> {
    if organizations::get(db, org_id).await?.is_none() {
        return Err(PlatformError::NotFound(format!(
            "there is no organization `{org_id}`"
        )));
    }
    if installation::Entity::find_by_id(module_id.to_owned())
        .one(db)
        .await?
        .is_none()
    {
        return Err(PlatformError::NotFound(format!(
            "the module `{module_id}` is not installed"
        )));
    }
    let mut orgs = vec![org_id.to_owned()];
    if change.include_children {
        // Not into an organization closed to administration from above,
        // nor below it: a change there is made there.
        orgs.extend(
            organizations::administered_below(db, org_id)
                .await?
                .into_iter()
                .map(|o| o.id),
        );
    }
    let txn = crate::begin_write(db).await?;
    let mut out = Vec::new();
    for org in orgs {
        let current = enablement::Entity::find_by_id((org.clone(), module_id.to_owned()))
            .one(&txn)
            .await?;
        let was_enabled = current.as_ref().is_some_and(|c| c.enabled);
        let mut settings: BTreeMap<String, String> = current
            .as_ref()
            .and_then(|c| serde_json::from_str(&c.settings).ok())
            .unwrap_or_default();
        for key in &change.unset {
            settings.remove(key);
        }
        settings.extend(change.set.clone());
        let enabled = change.enabled.unwrap_or(was_enabled);
        let row = enablement::ActiveModel {
            org_id: Set(org.clone()),
            module_id: Set(module_id.to_owned()),
            enabled: Set(enabled),
            settings: Set(serde_json::to_string(&settings).unwrap_or_else(|_| "{}".into())),
            updated_at_micros: Set(now_micros()),
        };
        if current.is_some() {
            row.update(&txn).await?;
        } else {
            row.insert(&txn).await?;
        }
        if enabled != was_enabled {
            let action = if enabled {
                "module.enable"
            } else {
                "module.disable"
            };
            append(&txn, &org, actor, action, module_id, serde_json::json!({})).await?;
        }
        if !change.set.is_empty() || !change.unset.is_empty() {
            // Keys only: a setting may hold a credential.
            let keys: Vec<&String> = change.set.keys().chain(change.unset.iter()).collect();
            append(
                &txn,
                &org,
                actor,
                "module.configure",
                module_id,
                serde_json::json!({ "keys": keys }),
            )
            .await?;
        }
        out.push(Enablement {
            org_id: org,
            module_id: module_id.to_owned(),
            enabled,
            settings,
        });
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        // Delivered when the change commits, to every host listening.
        for e in &out {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANGES_CHANNEL.into(), e.org_id.clone().into()],
            ))
            .await?;
        }
    }
    txn.commit().await?;
    Ok(out)
}

/// The PostgreSQL channel on which every committed enablement or settings
/// change is announced, with the organization's id as the payload, so that
/// hosts caching them can forget that organization at once.
pub const CHANGES_CHANNEL: &str = "portico_enablement";

async fn append<C: ConnectionTrait>(
    conn: &C,
    org: &str,
    actor: &str,
    action: &str,
    module_id: &str,
    detail: serde_json::Value,
) -> Result<(), PlatformError> {
    audit::append(
        conn,
        org,
        audit::Event {
            actor: actor.to_owned(),
            module: audit::HOST.to_owned(),
            action: action.to_owned(),
            subject: module_id.to_owned(),
            detail,
        },
    )
    .await
    .map(drop)
}
