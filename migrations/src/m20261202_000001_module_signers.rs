//! Who signed each installed module's package: the vendor's key an
//! installation is bound to, and the name the portal trusted it as. Both
//! empty for installations made before, which their next upgrade binds.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ModuleInstallations {
    Table,
    SignerKey,
    SignerVendor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            ColumnDef::new(ModuleInstallations::SignerKey)
                .string_len(64)
                .null()
                .to_owned(),
            ColumnDef::new(ModuleInstallations::SignerVendor)
                .string_len(255)
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ModuleInstallations::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ModuleInstallations::SignerVendor,
            ModuleInstallations::SignerKey,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ModuleInstallations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
