//! The portal's search through a collection: the words a person types,
//! folded (`portico_types::folding`), looked for as word prefixes among the
//! folded words of each document's searched fields. The words are kept in
//! `record_search`, each engine's own word index (SQLite's FTS5, a
//! PostgreSQL `tsvector` under GIN), written in the same transaction as the
//! document; every replica on one database searches the same index. Kept
//! apart from `queries`, which answers a module's exact questions; this
//! answers a person's loose one.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};

use super::schema::{CollectionSchema, field_words, search_words};
use super::store::the_collection;
use super::{Record, Scope, collection, record};
use crate::PlatformError;

/// The longest search term, in characters.
pub const MAX_SEARCH_TERM: usize = 100;

/// The most words of a term that are looked for; the rest are ignored.
pub const MAX_SEARCH_WORDS: usize = 8;

/// How many matching documents, newest first, are ranked by relevance.
pub const SEARCH_CANDIDATES: u64 = 200;

/// Documents re-indexed per statement.
const REINDEX_BATCH: u64 = 1_000;

/// What the collection's words were taken from: the fields, and the
/// version of the folding (a change to either takes them again); `None`
/// for a collection nobody searches.
pub(super) fn search_signature(schema: &CollectionSchema) -> Option<String> {
    (!schema.searched.is_empty()).then(|| format!("1:{}", schema.searched.join(",")))
}

/// The words of `text` a search looks for: folded, at most
/// [`MAX_SEARCH_WORDS`]; a lone letter (Czech `a`, `v`, `k`) is dropped,
/// a lone digit (a house number) kept.
pub fn query_words(text: &str) -> Vec<String> {
    portico_types::folding::words(text)
        .filter(|w| w.chars().count() > 1 || w.chars().all(|c| c.is_ascii_digit()))
        .take(MAX_SEARCH_WORDS)
        .collect()
}

/// Czech endings a word of six letters or more is looked for without, so
/// that a word finds its other cases (`Žabovřesky` finds `Žabovřeskách`,
/// `silnice` finds `silnici`): what is left is a prefix of each. Longest
/// first; at least five letters stay.
const ENDINGS: [&str; 20] = [
    "ach", "ami", "ech", "emi", "ich", "ove", "ovi", "ych", "ymi", "ou", "em", "om", "um", "ym",
    "a", "e", "i", "o", "u", "y",
];

/// The part of a folded query word a document's word must begin with.
pub fn stem(word: &str) -> &str {
    if word.chars().count() < 6 || !word.chars().all(char::is_alphabetic) {
        return word;
    }
    ENDINGS
        .iter()
        .find_map(|e| {
            word.strip_suffix(e)
                .filter(|rest| rest.chars().count() >= 5)
        })
        .unwrap_or(word)
}

/// A `tsvector` literal of folded words: each quoted (they are letters and
/// digits only), so PostgreSQL's parser takes them as they are.
fn tsvector(words: &str) -> String {
    words
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes the words of documents `(key, words)` of collection `cid`, where
/// `key` is the document's sequence (`by_id` false) or its id (`by_id`
/// true, for an import that has not read its sequences back). Documents
/// without words take no row.
pub(super) async fn put_words<C: ConnectionTrait>(
    conn: &C,
    cid: i64,
    rows: &[(serde_json::Value, String)],
    by_id: bool,
) -> Result<(), PlatformError> {
    let postgres = conn.get_database_backend() == DbBackend::Postgres;
    let json: Vec<serde_json::Value> = rows
        .iter()
        .filter(|(_, w)| !w.is_empty())
        .map(|(k, w)| {
            let w = if postgres { tsvector(w) } else { w.clone() };
            serde_json::json!({ "k": k, "w": w })
        })
        .collect();
    if json.is_empty() {
        return Ok(());
    }
    let json = serde_json::Value::Array(json).to_string();
    let stmt = match (postgres, by_id) {
        (true, false) => Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO record_search (seq, collection_id, words) \
             SELECT j.k, $1, CAST(j.w AS tsvector) \
             FROM json_to_recordset(CAST($2 AS json)) AS j(k bigint, w text)",
            [cid.into(), json.into()],
        ),
        (true, true) => Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO record_search (seq, collection_id, words) \
             SELECT r.seq, $1, CAST(j.w AS tsvector) \
             FROM json_to_recordset(CAST($2 AS json)) AS j(k text, w text) \
             JOIN records r ON r.collection_id = $1 AND r.id = j.k",
            [cid.into(), json.into()],
        ),
        (false, false) => Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO record_search (rowid, coll, words) \
             SELECT json_extract(j.value, '$.k'), ?, json_extract(j.value, '$.w') \
             FROM json_each(?) AS j",
            [format!("c{cid}").into(), json.into()],
        ),
        (false, true) => Statement::from_sql_and_values(
            DbBackend::Sqlite,
            // CROSS JOIN keeps SQLite's order: each line of the batch,
            // then its row through the index on (collection, id).
            "INSERT INTO record_search (rowid, coll, words) \
             SELECT r.seq, ?, json_extract(j.value, '$.w') \
             FROM json_each(?) AS j CROSS JOIN records r \
             WHERE r.collection_id = ? AND r.id = json_extract(j.value, '$.k')",
            [format!("c{cid}").into(), json.into(), cid.into()],
        ),
    };
    conn.execute_raw(stmt).await?;
    Ok(())
}

/// Runs the statement that removes words, in each engine's SQL, for `key`.
async fn delete_words<C: ConnectionTrait>(
    conn: &C,
    (postgres, sqlite): (&str, &str),
    key: i64,
) -> Result<(), PlatformError> {
    let stmt = match conn.get_database_backend() {
        DbBackend::Postgres => {
            Statement::from_sql_and_values(DbBackend::Postgres, postgres, [key.into()])
        }
        _ => Statement::from_sql_and_values(DbBackend::Sqlite, sqlite, [key.into()]),
    };
    conn.execute_raw(stmt).await?;
    Ok(())
}

/// Removes the words of the document `seq`.
pub(super) async fn drop_words<C: ConnectionTrait>(
    conn: &C,
    seq: i64,
) -> Result<(), PlatformError> {
    let sql = (
        "DELETE FROM record_search WHERE seq = $1",
        "DELETE FROM record_search WHERE rowid = ?",
    );
    delete_words(conn, sql, seq).await
}

/// The words of the document `seq` replaced by those of `data`.
pub(super) async fn replace_words<C: ConnectionTrait>(
    conn: &C,
    schema: &CollectionSchema,
    cid: i64,
    seq: i64,
    data: &serde_json::Value,
) -> Result<(), PlatformError> {
    if schema.searched.is_empty() {
        return Ok(());
    }
    drop_words(conn, seq).await?;
    put_words(
        conn,
        cid,
        &[(seq.into(), search_words(schema, data))],
        false,
    )
    .await
}

/// Removes every word of the collections `ids` (a rollback puts their
/// documents back; their words are taken again).
pub(super) async fn drop_collections_words<C: ConnectionTrait>(
    conn: &C,
    ids: &[i64],
) -> Result<(), PlatformError> {
    let sql = (
        "DELETE FROM record_search WHERE collection_id = $1",
        "DELETE FROM record_search WHERE rowid IN \
         (SELECT seq FROM records WHERE collection_id = ?)",
    );
    for &cid in ids {
        delete_words(conn, sql, cid).await?;
    }
    Ok(())
}

/// Makes the words of collection `c` those of its searched fields: when
/// the manifest changed them (or they were never taken, or a rollback put
/// documents back), they are taken again from every live document, in
/// one transaction. Replicas doing it together do it once: the first to
/// mark the collection does the work, the others find it done.
async fn take_words_if_stale(
    db: &DatabaseConnection,
    c: &collection::Model,
    schema: &CollectionSchema,
) -> Result<(), PlatformError> {
    let wanted = search_signature(schema);
    if c.search_fields == wanted {
        return Ok(());
    }
    let txn = db.begin().await?;
    let marked = collection::Entity::update_many()
        .col_expr(
            collection::Column::SearchFields,
            sea_orm::sea_query::Expr::value(wanted.clone()),
        )
        .filter(collection::Column::Id.eq(c.id))
        .filter(match &c.search_fields {
            Some(old) => collection::Column::SearchFields.eq(old.clone()),
            None => collection::Column::SearchFields.is_null(),
        })
        .exec(&txn)
        .await?;
    if marked.rows_affected == 0 {
        return Ok(());
    }
    drop_collections_words(&txn, &[c.id]).await?;
    if wanted.is_some() {
        let mut after = 0_i64;
        loop {
            let batch: Vec<(i64, String)> = record::Entity::find()
                .select_only()
                .column(record::Column::Seq)
                .column(record::Column::Doc)
                .filter(record::Column::CollectionId.eq(c.id))
                .filter(record::Column::Deleted.eq(false))
                .filter(record::Column::Seq.gt(after))
                .order_by_asc(record::Column::Seq)
                .limit(REINDEX_BATCH)
                .into_tuple()
                .all(&txn)
                .await?;
            let Some(&(last, _)) = batch.last() else {
                break;
            };
            after = last;
            let rows: Vec<(serde_json::Value, String)> = batch
                .into_iter()
                .map(|(seq, doc)| {
                    let data = serde_json::from_str(&doc).unwrap_or_default();
                    (seq.into(), search_words(schema, &data))
                })
                .collect();
            put_words(&txn, c.id, &rows, false).await?;
        }
    }
    txn.commit().await?;
    tracing::info!(
        org = %c.org_id,
        module = %c.module_id,
        collection = %c.name,
        "search words taken again"
    );
    Ok(())
}

/// Takes the words again in every organization whose copy of the module's
/// collection has words of other fields (or none yet): the host's start
/// does it for what a manifest changed; one query finds nothing to do
/// when nothing changed.
pub async fn ensure_search_indexes(
    db: &DatabaseConnection,
    module_id: &str,
    schema: &CollectionSchema,
) -> Result<(), PlatformError> {
    let stale = match search_signature(schema) {
        Some(wanted) => Condition::any()
            .add(collection::Column::SearchFields.is_null())
            .add(collection::Column::SearchFields.ne(wanted)),
        None => Condition::all().add(collection::Column::SearchFields.is_not_null()),
    };
    let stale = collection::Entity::find()
        .filter(collection::Column::ModuleId.eq(module_id))
        .filter(collection::Column::Name.eq(&schema.name))
        .filter(stale)
        .all(db)
        .await?;
    for c in &stale {
        take_words_if_stale(db, c, schema).await?;
    }
    Ok(())
}

/// What a search of one collection found.
#[derive(Debug, Default)]
pub struct Found {
    /// The documents, most relevant first.
    pub records: Vec<Record>,
    /// More documents matched than were ranked ([`SEARCH_CANDIDATES`]):
    /// another word would narrow the search.
    pub more: bool,
}

/// Documents of a collection whose searched fields hold a word starting
/// with each word of `term`, case and diacritics aside: of the newest
/// [`SEARCH_CANDIDATES`] that match, at most `limit`, most relevant first
/// (a word of the `title` field over one of another field, a whole word
/// over a prefix), newest first among equals. Words the manifest changed
/// are taken first.
pub async fn search(
    conn: &DatabaseConnection,
    scope: &Scope,
    schema: &CollectionSchema,
    title: &str,
    term: &str,
    limit: u64,
) -> Result<Found, PlatformError> {
    let term = term.trim();
    if term.is_empty() || term.chars().count() > MAX_SEARCH_TERM {
        return Err(PlatformError::invalid(
            "q",
            format!("must be 1 to {MAX_SEARCH_TERM} characters"),
        ));
    }
    let words = query_words(term);
    if words.is_empty() || schema.searched.is_empty() {
        return Ok(Found::default());
    }
    let Some(c) = the_collection(scope, &schema.name).one(conn).await? else {
        return Ok(Found::default());
    };
    // Words a manifest changed are taken before they are searched.
    take_words_if_stale(conn, &c, schema).await?;
    let stmt = match conn.get_database_backend() {
        DbBackend::Postgres => {
            let query = words
                .iter()
                .map(|w| format!("'{}':*", stem(w)))
                .collect::<Vec<_>>()
                .join(" & ");
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT seq FROM record_search \
                 WHERE collection_id = $1 AND words @@ CAST($2 AS tsquery) \
                 ORDER BY seq DESC LIMIT $3",
                [
                    c.id.into(),
                    query.into(),
                    (SEARCH_CANDIDATES as i64 + 1).into(),
                ],
            )
        }
        _ => {
            let query = format!(
                "coll : \"c{}\" AND words : ({})",
                c.id,
                words
                    .iter()
                    .map(|w| format!("\"{}\"*", stem(w)))
                    .collect::<Vec<_>>()
                    .join(" AND ")
            );
            Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT rowid AS seq FROM record_search WHERE record_search MATCH ? \
                 ORDER BY rowid DESC LIMIT ?",
                [query.into(), (SEARCH_CANDIDATES as i64 + 1).into()],
            )
        }
    };
    let mut seqs: Vec<i64> = conn
        .query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| row.try_get::<i64>("", "seq"))
        .collect::<Result<_, _>>()?;
    let more = seqs.len() as u64 > SEARCH_CANDIDATES;
    seqs.truncate(SEARCH_CANDIDATES as usize);
    if seqs.is_empty() {
        return Ok(Found::default());
    }
    let found = record::Entity::find()
        .filter(record::Column::CollectionId.eq(c.id))
        .filter(record::Column::Deleted.eq(false))
        .filter(record::Column::Seq.is_in(seqs))
        .all(conn)
        .await?;
    let mut ranked: Vec<(u32, i64, Record)> = found
        .into_iter()
        .map(|m| {
            let data: serde_json::Value = serde_json::from_str(&m.doc).unwrap_or_default();
            let score = relevance(schema, title, &data, &words);
            (score, m.seq, Record::from(m))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    Ok(Found {
        records: ranked
            .into_iter()
            .take(limit.clamp(1, SEARCH_CANDIDATES) as usize)
            .map(|(_, _, r)| r)
            .collect(),
        more,
    })
}

/// How well a document answers the words: for each, 3 for a whole word of
/// the title, 2 for one there that begins with its stem or a whole word
/// elsewhere, 1 for one elsewhere that begins with its stem.
fn relevance(
    schema: &CollectionSchema,
    title: &str,
    data: &serde_json::Value,
    words: &[String],
) -> u32 {
    let in_title = field_words(data, title);
    let elsewhere: Vec<String> = schema
        .searched
        .iter()
        .filter(|f| f.as_str() != title)
        .flat_map(|f| field_words(data, f))
        .collect();
    let best = |text: &[String], whole: u32, prefix: u32, w: &str| {
        text.iter()
            .map(|t| {
                if t == w {
                    whole
                } else if t.starts_with(stem(w)) {
                    prefix
                } else {
                    0
                }
            })
            .max()
            .unwrap_or(0)
    };
    words
        .iter()
        .map(|w| best(&in_title, 3, 2, w).max(best(&elsewhere, 2, 1, w)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_is_folded_words_without_lone_letters() {
        assert_eq!(query_words("Údolní a 5"), ["udolni", "5"]);
        assert_eq!(query_words("RPT-2026-000123"), ["rpt", "2026", "000123"]);
        assert!(query_words("– v –").is_empty());
    }

    #[test]
    fn a_long_word_is_looked_for_without_its_ending() {
        assert_eq!(stem("zabovresky"), "zabovresk");
        assert_eq!(stem("silnice"), "silnic");
        assert_eq!(stem("udolni"), "udoln");
        assert_eq!(stem("lisni"), "lisni");
        assert_eq!(stem("000123"), "000123");
        assert_eq!(stem("rozhodnuti"), "rozhodnut");
    }

    #[test]
    fn words_are_quoted_for_postgresql() {
        assert_eq!(tsvector("udolni 12"), "'udolni' '12'");
    }

    #[test]
    fn a_whole_word_of_the_title_ranks_first() {
        let schema = CollectionSchema {
            name: "notices".into(),
            fields: Vec::new(),
            max_bytes: 1024,
            searched: vec!["title".into(), "department".into()],
        };
        let words = query_words("údolní");
        let title = serde_json::json!({"title": "Uzavírka ulice Údolní", "department": "x"});
        let prefix = serde_json::json!({"title": "Údolnímu výboru", "department": "x"});
        let other = serde_json::json!({"title": "Uzavírka", "department": "Údolní"});
        let t = relevance(&schema, "title", &title, &words);
        let p = relevance(&schema, "title", &prefix, &words);
        let o = relevance(&schema, "title", &other, &words);
        assert!(t > p && p == o && o > 0, "{t} {p} {o}");
    }
}
