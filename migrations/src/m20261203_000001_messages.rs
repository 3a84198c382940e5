//! Organizations working together along the tree: what each organization
//! does (its category, e.g. `school`) and its address, which modules read
//! through `orgs`; the outbox of messages a module sends to itself in an
//! organization above or below (one delivery each, with lease, retries and
//! dead letters, as events have); and the receipts that let a receiver
//! handle each message once.

use sea_orm_migration::prelude::*;

use crate::columns::{id_col, index, micros, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Category,
    Address,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ModuleId,
    FromOrg,
    ToOrg,
    Kind,
    Payload,
    PayloadSha256,
    SentAtMicros,
    Status,
    Attempts,
    NextAttemptMicros,
    LastError,
    DeliveredAtMicros,
}

#[derive(DeriveIden)]
enum MessageReceipts {
    Table,
    OrgId,
    ModuleId,
    MessageId,
    ReceivedAtMicros,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            ColumnDef::new(Organizations::Category)
                .string_len(64)
                .to_owned(),
            ColumnDef::new(Organizations::Address)
                .string_len(300)
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organizations::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(id_col(Messages::Id))
                    .col(text(Messages::ModuleId, 64))
                    .col(text(Messages::FromOrg, 64))
                    .col(text(Messages::ToOrg, 64))
                    .col(text(Messages::Kind, 100))
                    .col(ColumnDef::new(Messages::Payload).text().not_null())
                    .col(text(Messages::PayloadSha256, 64))
                    .col(micros(Messages::SentAtMicros))
                    .col(text(Messages::Status, 16))
                    .col(ColumnDef::new(Messages::Attempts).integer().not_null())
                    .col(micros(Messages::NextAttemptMicros))
                    .col(ColumnDef::new(Messages::LastError).text())
                    .col(ColumnDef::new(Messages::DeliveredAtMicros).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "messages_due",
                    Messages::Table,
                    [Messages::Status, Messages::NextAttemptMicros],
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "messages_to_org",
                    Messages::Table,
                    [Messages::ToOrg, Messages::Status],
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageReceipts::Table)
                    .col(text(MessageReceipts::OrgId, 64))
                    .col(text(MessageReceipts::ModuleId, 64))
                    .col(
                        ColumnDef::new(MessageReceipts::MessageId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(micros(MessageReceipts::ReceivedAtMicros))
                    .primary_key(
                        Index::create()
                            .col(MessageReceipts::OrgId)
                            .col(MessageReceipts::ModuleId)
                            .col(MessageReceipts::MessageId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MessageReceipts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Messages::Table).to_owned())
            .await?;
        for column in [Organizations::Address, Organizations::Category] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organizations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
