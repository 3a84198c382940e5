//! Connections to systems outside the portal: how an administrator set up
//! each connection a module declares, per organization (where the system
//! is, the credential, the limits) with its health; the outbox of
//! deliveries a module hands to the host (retried until the system
//! acknowledges, in order per connection, one row per idempotency key);
//! and the ids of the webhook messages a module has received, so that
//! each is handed over once.

use sea_orm_migration::prelude::*;

use crate::columns::{id_col, index, micros, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Connections {
    Table,
    OrgId,
    ModuleId,
    Name,
    BaseUrl,
    Auth,
    Username,
    Secret,
    ClientCert,
    ExtraCa,
    TimeoutMs,
    MaxResponseBytes,
    RatePerMinute,
    UpdatedAtMicros,
    UpdatedBy,
    LastSuccessMicros,
    LastFailureMicros,
    FailuresInRow,
    LastError,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    OrgId,
    ModuleId,
    Connection,
    IdemKey,
    Method,
    Path,
    Query,
    Headers,
    Body,
    QueuedAtMicros,
    Status,
    Attempts,
    NextAttemptMicros,
    LastError,
    LastStatus,
    DeliveredAtMicros,
}

#[derive(DeriveIden)]
enum WebhookReceipts {
    Table,
    OrgId,
    ModuleId,
    Connection,
    WebhookId,
    ReceivedAtMicros,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Connections::Table)
                    .col(text(Connections::OrgId, 64))
                    .col(text(Connections::ModuleId, 64))
                    .col(text(Connections::Name, 64))
                    .col(ColumnDef::new(Connections::BaseUrl).text())
                    .col(text(Connections::Auth, 16))
                    .col(ColumnDef::new(Connections::Username).string_len(200))
                    .col(ColumnDef::new(Connections::Secret).text())
                    .col(ColumnDef::new(Connections::ClientCert).text())
                    .col(ColumnDef::new(Connections::ExtraCa).text())
                    .col(ColumnDef::new(Connections::TimeoutMs).integer().not_null())
                    .col(
                        ColumnDef::new(Connections::MaxResponseBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Connections::RatePerMinute)
                            .integer()
                            .not_null(),
                    )
                    .col(micros(Connections::UpdatedAtMicros))
                    .col(text(Connections::UpdatedBy, 128))
                    .col(ColumnDef::new(Connections::LastSuccessMicros).big_integer())
                    .col(ColumnDef::new(Connections::LastFailureMicros).big_integer())
                    .col(
                        ColumnDef::new(Connections::FailuresInRow)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Connections::LastError).text())
                    .primary_key(
                        Index::create()
                            .col(Connections::OrgId)
                            .col(Connections::ModuleId)
                            .col(Connections::Name),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(id_col(Deliveries::Id))
                    .col(text(Deliveries::OrgId, 64))
                    .col(text(Deliveries::ModuleId, 64))
                    .col(text(Deliveries::Connection, 64))
                    .col(text(Deliveries::IdemKey, 200))
                    .col(text(Deliveries::Method, 8))
                    .col(ColumnDef::new(Deliveries::Path).text().not_null())
                    .col(ColumnDef::new(Deliveries::Query).text().not_null())
                    .col(ColumnDef::new(Deliveries::Headers).text().not_null())
                    .col(ColumnDef::new(Deliveries::Body).blob().not_null())
                    .col(micros(Deliveries::QueuedAtMicros))
                    .col(text(Deliveries::Status, 16))
                    .col(ColumnDef::new(Deliveries::Attempts).integer().not_null())
                    .col(micros(Deliveries::NextAttemptMicros))
                    .col(ColumnDef::new(Deliveries::LastError).text())
                    .col(ColumnDef::new(Deliveries::LastStatus).integer())
                    .col(ColumnDef::new(Deliveries::DeliveredAtMicros).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "deliveries_key",
                    Deliveries::Table,
                    [
                        Deliveries::OrgId,
                        Deliveries::ModuleId,
                        Deliveries::Connection,
                        Deliveries::IdemKey,
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        // The head of each connection's line: the oldest waiting delivery.
        manager
            .create_index(
                index(
                    "deliveries_line",
                    Deliveries::Table,
                    [
                        Deliveries::Status,
                        Deliveries::OrgId,
                        Deliveries::ModuleId,
                        Deliveries::Connection,
                        Deliveries::Id,
                    ],
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookReceipts::Table)
                    .col(text(WebhookReceipts::OrgId, 64))
                    .col(text(WebhookReceipts::ModuleId, 64))
                    .col(text(WebhookReceipts::Connection, 64))
                    .col(text(WebhookReceipts::WebhookId, 200))
                    .col(micros(WebhookReceipts::ReceivedAtMicros))
                    .primary_key(
                        Index::create()
                            .col(WebhookReceipts::OrgId)
                            .col(WebhookReceipts::ModuleId)
                            .col(WebhookReceipts::Connection)
                            .col(WebhookReceipts::WebhookId),
                    )
                    .to_owned(),
            )
            .await?;
        // Receipts older than the timestamp window are let go.
        manager
            .create_index(
                index(
                    "webhook_receipts_age",
                    WebhookReceipts::Table,
                    [WebhookReceipts::ReceivedAtMicros],
                )
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookReceipts::Table.into_iden(),
            Deliveries::Table.into_iden(),
            Connections::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
