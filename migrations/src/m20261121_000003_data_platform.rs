//! What modules stand on: which module version is installed and where it is
//! enabled (with its settings per organization), the record store, the
//! event outbox with its deliveries, and the leases of scheduled job runs.

use sea_orm_migration::prelude::*;

use crate::columns::{id_col, micros, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ModuleInstallations {
    Table,
    ModuleId,
    Version,
    InstalledAtMicros,
}

#[derive(DeriveIden)]
enum ModuleEnablements {
    Table,
    OrgId,
    ModuleId,
    Enabled,
    Settings,
    UpdatedAtMicros,
}

#[derive(DeriveIden)]
enum RecordCollections {
    Table,
    Id,
    OrgId,
    ModuleId,
    Name,
}

/// The record store's slot columns: each indexed field a manifest declares
/// takes one text slot (`s0`…`s3`) or one number slot (`n0`…`n3`).
pub const SLOTS: usize = 4;

#[derive(DeriveIden)]
enum Records {
    Table,
    Seq,
    CollectionId,
    Id,
    Version,
    Deleted,
    Doc,
    CreatedAtMicros,
    UpdatedAtMicros,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    OrgId,
    ModuleId,
    Topic,
    Payload,
    CreatedAtMicros,
}

#[derive(DeriveIden)]
enum EventDeliveries {
    Table,
    Id,
    EventId,
    OrgId,
    ModuleId,
    Status,
    Attempts,
    NextAttemptMicros,
    LastError,
    DeliveredAtMicros,
}

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    ModuleId,
    Job,
    OrgId,
    SlotMicros,
    Holder,
    StartedAtMicros,
    FinishedAtMicros,
    Outcome,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ModuleInstallations::Table)
                    .col(text(ModuleInstallations::ModuleId, 64).primary_key())
                    .col(text(ModuleInstallations::Version, 64))
                    .col(micros(ModuleInstallations::InstalledAtMicros))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ModuleEnablements::Table)
                    .col(text(ModuleEnablements::OrgId, 64))
                    .col(text(ModuleEnablements::ModuleId, 64))
                    .col(
                        ColumnDef::new(ModuleEnablements::Enabled)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ModuleEnablements::Settings)
                            .text()
                            .not_null(),
                    )
                    .col(micros(ModuleEnablements::UpdatedAtMicros))
                    .primary_key(
                        Index::create()
                            .col(ModuleEnablements::OrgId)
                            .col(ModuleEnablements::ModuleId),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecordCollections::Table)
                    .col(id_col(RecordCollections::Id))
                    .col(text(RecordCollections::OrgId, 64))
                    .col(text(RecordCollections::ModuleId, 64))
                    .col(text(RecordCollections::Name, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("record_collections_scope")
                    .table(RecordCollections::Table)
                    .col(RecordCollections::OrgId)
                    .col(RecordCollections::ModuleId)
                    .col(RecordCollections::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        let mut records = Table::create()
            .table(Records::Table)
            .col(id_col(Records::Seq))
            .col(
                ColumnDef::new(Records::CollectionId)
                    .big_integer()
                    .not_null(),
            )
            .col(text(Records::Id, 64))
            .col(ColumnDef::new(Records::Version).big_integer().not_null())
            .col(ColumnDef::new(Records::Deleted).boolean().not_null())
            .col(ColumnDef::new(Records::Doc).text().not_null())
            .col(micros(Records::CreatedAtMicros))
            .col(micros(Records::UpdatedAtMicros))
            .to_owned();
        for i in 0..SLOTS {
            records.col(ColumnDef::new(Alias::new(format!("s{i}"))).string_len(200));
            records.col(ColumnDef::new(Alias::new(format!("n{i}"))).double());
        }
        manager.create_table(records).await?;
        manager
            .create_index(
                Index::create()
                    .name("records_id")
                    .table(Records::Table)
                    .col(Records::CollectionId)
                    .col(Records::Id)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // One index per slot, led by the collection, ending in the sequence:
        // a filter on one indexed field walks its index in order, and the
        // cursor (value, seq) continues exactly where a page ended.
        for slot in (0..SLOTS).flat_map(|i| [format!("s{i}"), format!("n{i}")]) {
            manager
                .create_index(
                    Index::create()
                        .name(format!("records_{slot}"))
                        .table(Records::Table)
                        .col(Records::CollectionId)
                        .col(Alias::new(slot))
                        .col(Records::Seq)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("records_seq")
                    .table(Records::Table)
                    .col(Records::CollectionId)
                    .col(Records::Seq)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(id_col(Events::Id))
                    .col(text(Events::OrgId, 64))
                    .col(text(Events::ModuleId, 64))
                    .col(text(Events::Topic, 100))
                    .col(ColumnDef::new(Events::Payload).text().not_null())
                    .col(micros(Events::CreatedAtMicros))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventDeliveries::Table)
                    .col(id_col(EventDeliveries::Id))
                    .col(
                        ColumnDef::new(EventDeliveries::EventId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(EventDeliveries::OrgId, 64))
                    .col(text(EventDeliveries::ModuleId, 64))
                    .col(text(EventDeliveries::Status, 16))
                    .col(
                        ColumnDef::new(EventDeliveries::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(micros(EventDeliveries::NextAttemptMicros))
                    .col(ColumnDef::new(EventDeliveries::LastError).text())
                    .col(ColumnDef::new(EventDeliveries::DeliveredAtMicros).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_deliveries_due")
                    .table(EventDeliveries::Table)
                    .col(EventDeliveries::Status)
                    .col(EventDeliveries::NextAttemptMicros)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JobRuns::Table)
                    .col(text(JobRuns::ModuleId, 64))
                    .col(text(JobRuns::Job, 64))
                    .col(text(JobRuns::OrgId, 64))
                    .col(micros(JobRuns::SlotMicros))
                    .col(text(JobRuns::Holder, 100))
                    .col(micros(JobRuns::StartedAtMicros))
                    .col(ColumnDef::new(JobRuns::FinishedAtMicros).big_integer())
                    .col(ColumnDef::new(JobRuns::Outcome).text())
                    .primary_key(
                        Index::create()
                            .col(JobRuns::ModuleId)
                            .col(JobRuns::Job)
                            .col(JobRuns::OrgId)
                            .col(JobRuns::SlotMicros),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            JobRuns::Table.into_iden(),
            EventDeliveries::Table.into_iden(),
            Events::Table.into_iden(),
            Records::Table.into_iden(),
            RecordCollections::Table.into_iden(),
            ModuleEnablements::Table.into_iden(),
            ModuleInstallations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
