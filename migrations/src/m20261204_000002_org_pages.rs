//! An organization's own pages, which its administrator writes for the
//! public: its contacts and office hours (in every page's footer), its
//! accessibility statement (zákon 99/2019 Sb.) and how it handles
//! personal data. One row per organization and page, the page's fields as
//! JSON.

use sea_orm_migration::prelude::*;

use crate::columns::{micros, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrgPages {
    Table,
    OrgId,
    Page,
    Body,
    UpdatedAtMicros,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrgPages::Table)
                    .col(text(OrgPages::OrgId, 64))
                    .col(text(OrgPages::Page, 32))
                    .col(ColumnDef::new(OrgPages::Body).text().not_null())
                    .col(micros(OrgPages::UpdatedAtMicros))
                    .col(text(OrgPages::UpdatedBy, 100))
                    .primary_key(Index::create().col(OrgPages::OrgId).col(OrgPages::Page))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrgPages::Table).to_owned())
            .await
    }
}
