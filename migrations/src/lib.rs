//! The migrations of Portico's own tables, in order. They run on SQLite and
//! PostgreSQL alike; `portico migrate` applies them, and so does `portico
//! serve` at start.
// sea-orm-migration's trait elides SchemaManager's lifetime under
// async_trait; the impls must match it.
#![allow(elided_lifetimes_in_paths)]

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m20261121_000001_organizations;
mod m20261121_000002_audit;
mod m20261121_000003_data_platform;
mod m20261121_000004_notifications_files;
mod m20261121_000005_identity;
mod m20261121_000006_user_emails;
mod m20261202_000001_module_signers;
mod m20261202_000002_record_imports;
mod m20261202_000003_collection_generations;
mod m20261203_000001_messages;
mod m20261203_000002_admin_from_above;
mod m20261204_000001_user_language;
mod m20261204_000002_org_pages;
mod m20261204_000003_record_search;
mod m20261204_000004_self_service;
mod m20261204_000005_addresses;
mod m20261204_000006_account_changes;
mod m20261204_000007_phones;
mod m20261205_000001_connections;

pub use m20261121_000003_data_platform::SLOTS;

/// Every migration of the host's tables.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_organizations::Migration),
            Box::new(m20261121_000002_audit::Migration),
            Box::new(m20261121_000003_data_platform::Migration),
            Box::new(m20261121_000004_notifications_files::Migration),
            Box::new(m20261121_000005_identity::Migration),
            Box::new(m20261121_000006_user_emails::Migration),
            Box::new(m20261202_000001_module_signers::Migration),
            Box::new(m20261202_000002_record_imports::Migration),
            Box::new(m20261202_000003_collection_generations::Migration),
            Box::new(m20261203_000001_messages::Migration),
            Box::new(m20261203_000002_admin_from_above::Migration),
            Box::new(m20261204_000001_user_language::Migration),
            Box::new(m20261204_000002_org_pages::Migration),
            Box::new(m20261204_000003_record_search::Migration),
            Box::new(m20261204_000004_self_service::Migration),
            Box::new(m20261204_000005_addresses::Migration),
            Box::new(m20261204_000006_account_changes::Migration),
            Box::new(m20261204_000007_phones::Migration),
            Box::new(m20261205_000001_connections::Migration),
        ]
    }
}

/// Column shapes the migrations share.
pub(crate) mod columns {
    use sea_orm_migration::prelude::*;

    /// An auto-incremented 64-bit primary key.
    pub(crate) fn id_col<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name)
            .big_integer()
            .not_null()
            .auto_increment()
            .primary_key()
            .to_owned()
    }

    /// Required text of at most `len` characters.
    pub(crate) fn text<T: IntoIden>(name: T, len: u32) -> ColumnDef {
        ColumnDef::new(name).string_len(len).not_null().to_owned()
    }

    /// An index named `name` over `cols` of `table`.
    pub(crate) fn index<T: IntoIden, C: IntoIden>(
        name: &str,
        table: T,
        cols: impl IntoIterator<Item = C>,
    ) -> IndexCreateStatement {
        let mut index = Index::create();
        index.name(name).table(table);
        for col in cols {
            index.col(col);
        }
        index
    }

    /// A required time, in microseconds since the Unix epoch.
    pub(crate) fn micros<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).big_integer().not_null().to_owned()
    }
}
