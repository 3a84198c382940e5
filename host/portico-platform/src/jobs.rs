//! Leases of scheduled job runs. A run is one (module, job, organization,
//! scheduled time); the host that inserts its row first runs it, every
//! other host sees the row and skips it, so replicas sharing one database
//! never run a job twice for the same time.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::{PlatformError, now_micros};

pub(crate) mod run {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_runs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub module_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub job: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub slot_micros: i64,
        pub holder: String,
        pub started_at_micros: i64,
        pub finished_at_micros: Option<i64>,
        pub outcome: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One scheduled run of a job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RunKey {
    /// The module.
    pub module_id: String,
    /// The job, as the manifest names it.
    pub job: String,
    /// The organization it runs for.
    pub org_id: String,
    /// The scheduled time, microseconds since the Unix epoch.
    pub slot_micros: i64,
}

/// A run as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Which run.
    pub key: RunKey,
    /// The host that ran it.
    pub holder: String,
    /// When it started.
    pub started_at_micros: i64,
    /// When it finished; `None` while it runs (or if its host died).
    pub finished_at_micros: Option<i64>,
    /// `ok`, or why it failed.
    pub outcome: Option<String>,
}

/// Takes the run for `holder`; `false` when another host took it first.
pub async fn claim(
    db: &DatabaseConnection,
    key: &RunKey,
    holder: &str,
) -> Result<bool, PlatformError> {
    let row = run::ActiveModel {
        module_id: Set(key.module_id.clone()),
        job: Set(key.job.clone()),
        org_id: Set(key.org_id.clone()),
        slot_micros: Set(key.slot_micros),
        holder: Set(holder.to_owned()),
        started_at_micros: Set(now_micros()),
        finished_at_micros: Set(None),
        outcome: Set(None),
    };
    let inserted = run::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                run::Column::ModuleId,
                run::Column::Job,
                run::Column::OrgId,
                run::Column::SlotMicros,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Records how a run ended.
pub async fn finish(
    db: &DatabaseConnection,
    key: &RunKey,
    outcome: &str,
) -> Result<(), PlatformError> {
    run::Entity::update_many()
        .col_expr(run::Column::FinishedAtMicros, Expr::value(now_micros()))
        .col_expr(
            run::Column::Outcome,
            Expr::value(outcome.chars().take(2000).collect::<String>()),
        )
        .filter(run::Column::ModuleId.eq(&key.module_id))
        .filter(run::Column::Job.eq(&key.job))
        .filter(run::Column::OrgId.eq(&key.org_id))
        .filter(run::Column::SlotMicros.eq(key.slot_micros))
        .exec(db)
        .await?;
    Ok(())
}

/// The latest runs, newest first, of one organization or all.
pub async fn runs(
    db: &DatabaseConnection,
    org_id: Option<&str>,
    limit: u64,
) -> Result<Vec<Run>, PlatformError> {
    let mut q = run::Entity::find();
    if let Some(org) = org_id {
        q = q.filter(run::Column::OrgId.eq(org));
    }
    Ok(q.order_by_desc(run::Column::SlotMicros)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Run {
            key: RunKey {
                module_id: m.module_id,
                job: m.job,
                org_id: m.org_id,
                slot_micros: m.slot_micros,
            },
            holder: m.holder,
            started_at_micros: m.started_at_micros,
            finished_at_micros: m.finished_at_micros,
            outcome: m.outcome,
        })
        .collect())
}
