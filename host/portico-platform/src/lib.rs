//! Portico's platform services over the database (sea-orm): SQLite in the
//! data folder by default, PostgreSQL in production. This crate owns the
//! host's tables (their migrations are in `portico-migrations`) and the
//! rules that keep them consistent; it knows nothing of HTTP or wasm.

pub mod audit;
pub mod organizations;

use portico_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, DatabaseConnection, DbErr};

/// Why a platform operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The input is wrong; `field` names what.
    #[error("`{field}` {message}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It exists already, or clashes with something that does.
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl PlatformError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        PlatformError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// The SQLite database in `data_dir`, created when missing.
pub fn sqlite_url(data_dir: &std::path::Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("portico.db").display()
    )
}

/// Connects to the database at `url` (`sqlite://…` or `postgres://…`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, PlatformError> {
    let mut options = ConnectOptions::new(url.to_owned());
    // Statements are logged by tracing at debug level, never with values at info.
    options.sqlx_logging(false).max_connections(16);
    Ok(sea_orm::Database::connect(options).await?)
}

/// Applies every migration not yet applied. Safe to run at every start.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), PlatformError> {
    Migrator::up(db, None).await?;
    Ok(())
}
