//! The notification outbox (e-mail and SMS waiting for delivery, and the
//! in-portal inbox), and the index of stored files (their content lives in
//! the data folder, addressed by its SHA-256).

use sea_orm_migration::prelude::*;

use crate::columns::{micros, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    OrgId,
    ModuleId,
    Channel,
    Recipient,
    Template,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptMicros,
    LastError,
    CreatedAtMicros,
    SentAtMicros,
    ReadAtMicros,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    OrgId,
    ModuleId,
    Sha256,
    Name,
    MediaType,
    Size,
    Retention,
    KeepUntilMicros,
    CreatedAtMicros,
    DeletedAtMicros,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(text(Notifications::Id, 36).primary_key())
                    .col(text(Notifications::OrgId, 64))
                    .col(text(Notifications::ModuleId, 64))
                    .col(text(Notifications::Channel, 16))
                    .col(text(Notifications::Recipient, 320))
                    .col(text(Notifications::Template, 64))
                    .col(ColumnDef::new(Notifications::Subject).text().not_null())
                    .col(ColumnDef::new(Notifications::Body).text().not_null())
                    .col(text(Notifications::Status, 16))
                    .col(ColumnDef::new(Notifications::Attempts).integer().not_null())
                    .col(micros(Notifications::NextAttemptMicros))
                    .col(ColumnDef::new(Notifications::LastError).text())
                    .col(micros(Notifications::CreatedAtMicros))
                    .col(ColumnDef::new(Notifications::SentAtMicros).big_integer())
                    .col(ColumnDef::new(Notifications::ReadAtMicros).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_due")
                    .table(Notifications::Table)
                    .col(Notifications::Status)
                    .col(Notifications::NextAttemptMicros)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_inbox")
                    .table(Notifications::Table)
                    .col(Notifications::OrgId)
                    .col(Notifications::Channel)
                    .col(Notifications::Recipient)
                    .col(Notifications::CreatedAtMicros)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(text(Files::Id, 36).primary_key())
                    .col(text(Files::OrgId, 64))
                    .col(text(Files::ModuleId, 64))
                    .col(text(Files::Sha256, 64))
                    .col(text(Files::Name, 255))
                    .col(text(Files::MediaType, 255))
                    .col(ColumnDef::new(Files::Size).big_integer().not_null())
                    .col(text(Files::Retention, 1))
                    .col(micros(Files::KeepUntilMicros))
                    .col(micros(Files::CreatedAtMicros))
                    .col(ColumnDef::new(Files::DeletedAtMicros).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("files_owner")
                    .table(Files::Table)
                    .col(Files::OrgId)
                    .col(Files::ModuleId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("files_content")
                    .table(Files::Table)
                    .col(Files::Sha256)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Files::Table.into_iden(), Notifications::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
