//! Portico's platform services over the database (sea-orm): SQLite in the
//! data folder by default, PostgreSQL in production. This crate owns the
//! host's tables (their migrations are in `portico-migrations`) and the
//! rules that keep them consistent; it knows nothing of HTTP or wasm.

pub mod addresses;
pub mod audit;
pub mod connections;
pub mod events;
pub mod files;
pub mod identity;
pub mod imports;
pub mod jobs;
pub mod messages;
pub mod modules;
pub mod nodelay;
pub mod notifications;
pub mod organizations;
mod outbox;
pub mod pages;
pub mod records;
pub mod signing;
pub mod tokens;
mod work;

pub use work::{Platform, PoolFigures, Work};

use portico_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

/// Why a platform operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The input is wrong; `field` names what.
    #[error("`{field}` {message}")]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It exists already, or clashes with something that does.
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this here (e.g. write while rendering a page).
    #[error("{0}")]
    Forbidden(String),
    /// Stored data cannot be read back (altered outside Portico).
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

impl PlatformError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        PlatformError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Now, in microseconds since the Unix epoch: how every table stores time.
pub(crate) fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// A fresh secret: 32 random bytes from the operating system, base64url.
pub fn random_token() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    // Without the OS's random numbers no secret can be made; that is not
    // a state to go on in.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system gives random bytes");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a secret, in hex: what is stored in place of a token.
pub fn sha256_hex(secret: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// What becomes of a delivery (of an event or a notification) that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Tried again after this long.
    After(std::time::Duration),
    /// Parked as dead: no more attempts until an administrator re-drives it.
    Dead,
}

impl Retry {
    /// After `attempts` failed attempts: dead at `max_attempts`, otherwise
    /// again after `base` doubled per earlier failure, at most an hour.
    pub fn after(attempts: i32, max_attempts: i32, base: std::time::Duration) -> Retry {
        if attempts >= max_attempts {
            return Retry::Dead;
        }
        let exp = u32::try_from(attempts - 1).unwrap_or(0).min(20);
        Retry::After(
            base.saturating_mul(1 << exp)
                .min(std::time::Duration::from_secs(3600)),
        )
    }

    /// When the next attempt is due (now, for a dead one).
    pub(crate) fn next_attempt_micros(self) -> i64 {
        match self {
            Retry::After(w) => now_micros() + i64::try_from(w.as_micros()).unwrap_or(i64::MAX),
            Retry::Dead => now_micros(),
        }
    }
}

/// Starts a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`): a transaction that first reads and later
/// writes could otherwise fail when another writer committed in between.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, PlatformError> {
    Ok(db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?)
}

/// Inserts `rows` into `table` in one statement whose one parameter is the
/// rows as a JSON array (`json_populate_recordset`): PostgreSQL parses and
/// plans one short statement instead of a `VALUES` list of thousands of
/// parameters (a quarter to a third less server time for an import's
/// rows, measured with 200,000 of them). Each row
/// serializes to an object whose keys are the table's column names; the
/// columns not in `columns` take their defaults.
pub(crate) async fn insert_json_rows<C: sea_orm::ConnectionTrait, T: serde::Serialize>(
    conn: &C,
    table: &str,
    columns: &[&str],
    rows: &[T],
) -> Result<(), PlatformError> {
    let json = serde_json::to_string(rows)
        .map_err(|e| PlatformError::Corrupt(format!("rows of `{table}`: {e}")))?;
    let columns = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO \"{table}\" ({columns}) SELECT {columns} \
         FROM json_populate_recordset(NULL::\"{table}\", $1::json)"
    );
    conn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        sql,
        [json.into()],
    ))
    .await?;
    Ok(())
}

/// The SQLite database in `data_dir`, created when missing.
pub fn sqlite_url(data_dir: &std::path::Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("portico.db").display()
    )
}

/// Connections the pool of a process opens at most. The runtime's instance
/// slots are sized with it: a running call that reads holds one until it ends.
pub const POOL_CONNECTIONS: u32 = 16;

/// Connects to the database at `url` (`sqlite://…` or `postgres://…`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, PlatformError> {
    let mut options = ConnectOptions::new(url.to_owned());
    // Statements are logged by tracing at debug level, never with values at info.
    options
        .sqlx_logging(false)
        .max_connections(POOL_CONNECTIONS);
    // Each new PostgreSQL connection sends without waiting (see `nodelay`).
    // sqlx keeps one `after_connect` hook: were a schema search path ever
    // set in `options`, sea-orm's hook for it would be replaced by this one.
    if let Some(port) = postgres_port(url) {
        options.map_sqlx_postgres_pool_opts(move |pool| {
            pool.after_connect(move |_, _| {
                Box::pin(async move {
                    nodelay::towards_port(port);
                    Ok(())
                })
            })
        });
    }
    // Readers do not block the writer and a crashed process loses nothing
    // committed; a writer waits for another instead of failing at once.
    options.map_sqlx_sqlite_opts(|o| {
        o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(10))
    });
    Ok(sea_orm::Database::connect(options).await?)
}

/// The TCP port of a `postgres://` URL (5432 unless it names one); `None`
/// for other databases and for a Unix socket.
fn postgres_port(url: &str) -> Option<u16> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return None;
    }
    let options: sea_orm::sqlx::postgres::PgConnectOptions = url.parse().ok()?;
    let socket = options.get_socket().is_some() || options.get_host().starts_with('/');
    (!socket).then(|| options.get_port())
}

/// Applies every migration not yet applied. Safe to run at every start.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), PlatformError> {
    Migrator::up(db, None).await?;
    Ok(())
}
