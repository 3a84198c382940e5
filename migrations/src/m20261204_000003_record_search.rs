//! Search that finds Czech words on both engines.
//!
//! - `records.f0`…`f3`: a text slot's value folded (lower case, no
//!   diacritics) where folding changes it, so a filter's equality and
//!   prefix compare folded text through an index. Empty where the value
//!   is already folded (codes, dates, numbers as text): such rows are
//!   found through the slot's own index, and the folded indexes stay small.
//! - `record_search`: the folded words of each live document's searched
//!   fields, by its sequence. On SQLite an FTS5 table, on PostgreSQL a
//!   `tsvector` under a GIN index: each engine's own word index, shared
//!   by every replica that shares the database.
//! - `record_collections.search_fields`: the fields the collection's words
//!   were taken from; the host takes them again when a manifest changes
//!   them.
//!
//! The folded slots of stored documents are filled here; the words of each
//! collection the host takes when it starts or first searches it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Value};

use crate::SLOTS;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecordCollections {
    Table,
    SearchFields,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite alters one thing at a time.
        for i in 0..SLOTS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("records"))
                        .add_column(ColumnDef::new(Alias::new(format!("f{i}"))).string_len(800))
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        fill_folded(manager).await?;
        for i in 0..SLOTS {
            db.execute_unprepared(&format!(
                "CREATE INDEX records_f{i} ON records (collection_id, f{i}, seq) \
                 WHERE f{i} IS NOT NULL"
            ))
            .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(RecordCollections::Table)
                    .add_column(ColumnDef::new(RecordCollections::SearchFields).string_len(2000))
                    .to_owned(),
            )
            .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE TABLE record_search (\
                       seq BIGINT PRIMARY KEY, \
                       collection_id BIGINT NOT NULL, \
                       words TSVECTOR NOT NULL)",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE INDEX record_search_words ON record_search USING GIN (words)",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE INDEX record_search_collection ON record_search (collection_id, seq)",
                )
                .await?;
            }
            _ => {
                // `coll` is the collection as one word (`c<id>`), matched
                // with the words: FTS5 intersects the two lists itself.
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE record_search USING fts5(\
                       coll, words, \
                       tokenize = 'unicode61 remove_diacritics 0', \
                       prefix = '2 3')",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE record_search").await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RecordCollections::Table)
                    .drop_column(RecordCollections::SearchFields)
                    .to_owned(),
            )
            .await?;
        for i in 0..SLOTS {
            db.execute_unprepared(&format!("DROP INDEX records_f{i}"))
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("records"))
                        .drop_column(Alias::new(format!("f{i}")))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Fills `f0`…`f3` of every stored document whose text slots folding
/// changes, a batch of sequences at a time.
async fn fill_folded(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let slots: Vec<Alias> = (0..SLOTS).map(|i| Alias::new(format!("s{i}"))).collect();
    let mut after = 0_i64;
    loop {
        let select = Query::select()
            .column(Alias::new("seq"))
            .columns(slots.clone())
            .from(Alias::new("records"))
            .and_where(Expr::col(Alias::new("seq")).gt(after))
            .order_by(Alias::new("seq"), Order::Asc)
            .limit(5_000)
            .to_owned();
        let rows = db.query_all(&select).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get("", "seq")?;
        for row in &rows {
            let mut update = Query::update();
            update.table(Alias::new("records"));
            let mut changed = false;
            for i in 0..SLOTS {
                let value: Option<String> = row.try_get("", &format!("s{i}"))?;
                let folded = value
                    .map(|v| (portico_types::folding::fold(&v), v))
                    .filter(|(f, v)| f != v)
                    .map(|(f, _)| f);
                if folded.is_some() {
                    changed = true;
                }
                update.value(Alias::new(format!("f{i}")), Value::from(folded));
            }
            if changed {
                let seq: i64 = row.try_get("", "seq")?;
                update.and_where(Expr::col(Alias::new("seq")).eq(seq));
                db.execute(&update).await?;
            }
        }
    }
}
