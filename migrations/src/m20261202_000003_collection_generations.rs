//! A generation per record collection, moved on by every transaction that
//! writes to the collection: what a reader computed from a collection
//! (counts and sums for a dashboard) stays true while its generation does.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecordCollections {
    Table,
    Generation,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RecordCollections::Table)
                    .add_column(
                        ColumnDef::new(RecordCollections::Generation)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RecordCollections::Table)
                    .drop_column(RecordCollections::Generation)
                    .to_owned(),
            )
            .await
    }
}
