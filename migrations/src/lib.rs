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
        ]
    }
}
