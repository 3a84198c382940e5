//! Where each `portico records import` got to: an import is written in
//! bounded transactions, each of which also moves its position here, so an
//! import that was stopped (a crash, `kill -9`, a lost connection) resumes
//! where it stopped when it is run again on the same file.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecordImports {
    Table,
    /// The SHA-256 of the file and of where it goes: one row per import.
    Id,
    OrgId,
    ModuleId,
    Collection,
    FileSha256,
    /// Lines of the file done (blank lines included).
    LinesDone,
    /// Documents stored so far.
    Documents,
    StartedAtMicros,
    FinishedAtMicros,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RecordImports::Table)
                    .col(
                        ColumnDef::new(RecordImports::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RecordImports::OrgId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RecordImports::ModuleId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RecordImports::Collection)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RecordImports::FileSha256)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RecordImports::LinesDone)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RecordImports::Documents)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RecordImports::StartedAtMicros)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RecordImports::FinishedAtMicros)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RecordImports::Table).to_owned())
            .await
    }
}
