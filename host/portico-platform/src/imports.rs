//! Imports of many documents into a module's collection (`portico records
//! import`).
//!
//! Every line is checked before anything is written: a bad line stops the
//! import with its line number and nothing is stored. Then the documents go
//! in bounded transactions, each storing its documents, their audit entries
//! (chained in memory, the head written once) and the import's position
//! together. An import stopped halfway (a crash, `kill -9`, a lost
//! connection) leaves whole batches and its position; run again on the
//! same file, it resumes there. Nothing is ever half a batch.

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QuerySelect,
    Set, Statement,
};
use sha2::{Digest, Sha256};

use crate::records::{self, CollectionSchema, Scope};
use crate::{PlatformError, audit, now_micros};

pub(crate) mod import {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "record_imports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub org_id: String,
        pub module_id: String,
        pub collection: String,
        pub file_sha256: String,
        pub lines_done: i64,
        pub documents: i64,
        pub started_at_micros: i64,
        pub finished_at_micros: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Lines written per transaction.
pub const LINES_PER_BATCH: usize = 5_000;

/// How an import went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// Every document is stored.
    Done {
        /// Documents this run stored.
        documents: u64,
        /// The line an earlier, stopped run had reached, when this run resumed it.
        resumed_at_line: Option<u64>,
    },
    /// The same file went into the same collection before, whole.
    AlreadyDone {
        /// Documents it stored.
        documents: u64,
        /// When it finished, microseconds since the Unix epoch.
        finished_at_micros: i64,
    },
}

/// How far an import is, after each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Lines done.
    pub lines_done: u64,
    /// Lines in the file.
    pub lines: u64,
}

/// What to import, and where.
pub struct Import<'a> {
    /// The organization, module and actor.
    pub scope: &'a Scope,
    /// The collection.
    pub schema: &'a CollectionSchema,
    /// The file: one JSON document per line.
    pub text: &'a str,
    /// Import the file again even if it was imported whole before.
    pub again: bool,
}

/// A line that is not a document of the collection.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {error}")]
pub struct BadLine {
    /// Its number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub error: PlatformError,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Lines that are not documents of the collection (the first few);
    /// nothing was stored.
    #[error("nothing was imported: {}", first_lines(.0))]
    BadLines(Vec<BadLine>),
    /// The database failed; whole batches before it are kept, and running
    /// the import again resumes after them.
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(e: sea_orm::DbErr) -> Self {
        ImportError::Platform(e.into())
    }
}

fn first_lines(bad: &[BadLine]) -> String {
    bad.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The most bad lines named in one error.
const BAD_LINES_NAMED: usize = 10;

/// Imports `what`, calling `progress` after each batch.
pub async fn import(
    db: &DatabaseConnection,
    what: Import<'_>,
    mut progress: impl FnMut(Progress),
) -> Result<Imported, ImportError> {
    let lines: Vec<&str> = what.text.lines().collect();
    check_all(what.schema, &lines)?;
    let file_sha256 = hex::encode(Sha256::digest(what.text.as_bytes()));
    let id = import_id(what.scope, &what.schema.name, &file_sha256);

    let mut row = match import::Entity::find_by_id(id.clone()).one(db).await? {
        Some(row) if row.finished_at_micros.is_none() => row,
        Some(row) if !what.again => {
            return Ok(Imported::AlreadyDone {
                documents: u64::try_from(row.documents).unwrap_or_default(),
                finished_at_micros: row.finished_at_micros.unwrap_or_default(),
            });
        }
        _ => {
            let fresh = import::Model {
                id: id.clone(),
                org_id: what.scope.org_id.clone(),
                module_id: what.scope.module_id.clone(),
                collection: what.schema.name.clone(),
                file_sha256,
                lines_done: 0,
                documents: 0,
                started_at_micros: now_micros(),
                finished_at_micros: None,
            };
            let txn = crate::begin_write(db).await?;
            import::Entity::delete_by_id(id.clone()).exec(&txn).await?;
            import::ActiveModel::from(fresh.clone())
                .insert(&txn)
                .await?;
            txn.commit().await?;
            fresh
        }
    };
    let resumed_at_line = (row.lines_done > 0).then(|| u64::try_from(row.lines_done).unwrap_or(0));
    let documents_before = row.documents;
    let total = lines.len() as u64;
    loop {
        let txn = crate::begin_write(db).await?;
        // Another run of the same import may have moved on: take its row
        // (locked until this batch commits) and go on from there.
        let current = import::Entity::find_by_id(id.clone())
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| PlatformError::Conflict("the import was removed meanwhile".into()))?;
        row = current;
        let from = usize::try_from(row.lines_done).unwrap_or(usize::MAX);
        if from >= lines.len() {
            break;
        }
        let to = (from + LINES_PER_BATCH).min(lines.len());
        let docs = lines[from..to]
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| records::check(what.schema, l))
            .collect::<Result<Vec<_>, _>>()?;
        let mut chain = audit::Chain::open(&txn, &what.scope.org_id).await?;
        let stored =
            records::insert_batch(&txn, what.scope, what.schema, &docs, &mut chain).await?;
        chain.close(&txn).await?;
        let done = to == lines.len();
        let mut update: import::ActiveModel = row.clone().into();
        update.lines_done = Set(i64::try_from(to).unwrap_or(i64::MAX));
        update.documents = Set(row.documents + i64::try_from(stored).unwrap_or(0));
        update.finished_at_micros = Set(done.then(now_micros));
        row = update.update(&txn).await?;
        txn.commit().await?;
        progress(Progress {
            lines_done: to as u64,
            lines: total,
        });
        if done {
            break;
        }
    }
    analyze(db).await?;
    Ok(Imported::Done {
        documents: u64::try_from(row.documents - documents_before).unwrap_or(0),
        resumed_at_line,
    })
}

fn check_all(schema: &CollectionSchema, lines: &[&str]) -> Result<(), ImportError> {
    let mut bad = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Err(error) = records::check(schema, line) {
            bad.push(BadLine { line: i + 1, error });
            if bad.len() == BAD_LINES_NAMED {
                break;
            }
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(ImportError::BadLines(bad))
    }
}

fn import_id(scope: &Scope, collection: &str, file_sha256: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        scope.org_id.as_str(),
        scope.module_id.as_str(),
        collection,
        file_sha256,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Brings the planner's statistics of the tables that grow with data up
/// to date, after a large import or migration. PostgreSQL with autovacuum
/// off (or not yet run) otherwise plans over 200,000 new rows as if the
/// tables were empty. SQLite plans without statistics here.
pub async fn analyze(db: &DatabaseConnection) -> Result<(), PlatformError> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "ANALYZE records, record_collections, audit_entries",
        ))
        .await?;
    }
    Ok(())
}
