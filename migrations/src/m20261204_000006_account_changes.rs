//! A person changes their own account: an e-mailed link that confirms a
//! new address carries the address it confirms (`account_links.detail`),
//! so that nothing changes until the person proves the new address is
//! theirs.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountLinks {
    Table,
    Detail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccountLinks::Table)
                    .add_column(ColumnDef::new(AccountLinks::Detail).string_len(320))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccountLinks::Table)
                    .drop_column(AccountLinks::Detail)
                    .to_owned(),
            )
            .await
    }
}
