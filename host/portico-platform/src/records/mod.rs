//! The record store: modules keep JSON documents in collections their
//! manifest declares, each collection with a few indexed fields. Every
//! operation is scoped to one organization and one module, which the caller
//! (the host) fixes; a module never names either. Documents carry a version
//! for optimistic concurrency; deleting only marks them deleted.
//!
//! Indexed fields are copied from the document into slot columns of the
//! `records` table (`s0`…`s3` for text, `n0`…`n3` for numbers), each slot
//! indexed together with its collection, so a filter on one indexed field
//! and keyset pagination walk one index. A text slot's value folded
//! (`portico_types::folding`) is kept beside it in `f0`…`f3` where folding
//! changes it: equality and prefix compare folded text.
//!
//! The store is laid out by concern: `schema` (what a collection is, its
//! slots, the check of a document), `store` (one document: get, insert,
//! update, delete), `queries` (filters, sort, cursors, aggregates),
//! `cache` (the `ReadCache` and the collections' generations),
//! `text_search` (the portal's search: each collection's searched words
//! in the engine's own word index, `record_search`) and `snapshots` (an upgrade's copy
//! of a module's records). The tables and the types every part shares are
//! here; everything public is re-exported here, so callers name
//! `records::X` whichever file `X` lives in.

mod cache;
mod queries;
mod schema;
mod snapshots;
mod store;
mod text_search;

pub use cache::{Known, ReadCache};
pub use portico_migrations::SLOTS;
pub use queries::{aggregate, query, query_cached};
pub use schema::{
    Checked, CollectionSchema, FieldType, IndexedField, MAX_INDEXED_TEXT, check, folded_slot,
};
pub use snapshots::{Snapshot, changed_since, organizations_with_data, restore, snapshot};
pub use store::{
    RECORD_COLUMNS, delete, delete_chained, get, insert, insert_batch, insert_chained, update,
    update_chained,
};
pub use text_search::{
    Found, MAX_SEARCH_TERM, MAX_SEARCH_WORDS, SEARCH_CANDIDATES, ensure_search_indexes,
    query_words, search,
};

pub(crate) use cache::next_generation;

use serde::Serialize;

use crate::PlatformError;

pub(crate) mod collection {
    use sea_orm::entity::prelude::*;

    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize,
    )]
    #[sea_orm(table_name = "record_collections")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub org_id: String,
        pub module_id: String,
        pub name: String,
        /// Moves on with every transaction that writes to the collection.
        #[serde(default)]
        pub generation: i64,
        /// The fields its search words were taken from (`None`: not yet).
        #[serde(default)]
        pub search_fields: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod record {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
    #[sea_orm(table_name = "records")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        pub collection_id: i64,
        pub id: String,
        pub version: i64,
        pub deleted: bool,
        pub doc: String,
        pub created_at_micros: i64,
        pub updated_at_micros: i64,
        pub s0: Option<String>,
        pub s1: Option<String>,
        pub s2: Option<String>,
        pub s3: Option<String>,
        pub n0: Option<f64>,
        pub n1: Option<f64>,
        pub n2: Option<f64>,
        pub n3: Option<f64>,
        /// `s0`…`s3` folded, where folding changes them.
        pub f0: Option<String>,
        pub f1: Option<String>,
        pub f2: Option<String>,
        pub f3: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Who acts and where: fixed by the host from the call, never by a module.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The organization whose data this is.
    pub org_id: String,
    /// The module whose collections these are.
    pub module_id: String,
    /// Who acts, for the audit chain: a user id or `module:<id>`.
    pub actor: String,
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Its identifier, assigned by the host.
    pub id: String,
    /// Its version: 1 when inserted, one more at every update.
    pub version: i64,
    /// The document as JSON text, as stored (checked when it was written):
    /// a module gets it as it is, without parsing and writing it again.
    pub doc: String,
    /// When it was inserted, microseconds since the Unix epoch.
    pub created_at_micros: i64,
    /// When it was last changed.
    pub updated_at_micros: i64,
}

impl Record {
    /// The document, parsed.
    pub fn data(&self) -> Result<serde_json::Value, PlatformError> {
        serde_json::from_str(&self.doc).map_err(|e| {
            PlatformError::Corrupt(format!("record {} holds unreadable JSON: {e}", self.id))
        })
    }
}

impl From<record::Model> for Record {
    fn from(m: record::Model) -> Self {
        Record {
            id: m.id,
            version: m.version,
            doc: m.doc,
            created_at_micros: m.created_at_micros,
            updated_at_micros: m.updated_at_micros,
        }
    }
}

/// The most records one query returns.
pub const MAX_PAGE: u32 = 500;

/// How a filter compares, shared with the runtime.
pub use portico_types::FilterOp;

/// A condition on one indexed field.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The indexed field.
    pub field: String,
    /// The comparison.
    pub op: FilterOp,
    /// The value, as text; a number field's value must parse as a number.
    pub value: String,
}

/// The order of a query's results.
#[derive(Debug, Clone)]
pub struct Sort {
    /// An indexed field; records without a value for it are left out.
    pub field: String,
    /// Largest first.
    pub descending: bool,
}

/// A query on one collection.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// All must hold.
    pub filters: Vec<Filter>,
    /// By an indexed field; `None` is the order of insertion.
    pub sort: Option<Sort>,
    /// Newest first when there is no sort field.
    pub newest_first: bool,
    /// The most records to return (1–[`MAX_PAGE`]).
    pub limit: u32,
    /// Where the previous page ended.
    pub cursor: Option<String>,
}

/// One page of a query's results.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The records, in order.
    pub records: Vec<Record>,
    /// Pass this as the next query's cursor for the next page; `None` at the end.
    pub next_cursor: Option<String>,
}

/// One group of an aggregate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The grouping field's value; `None` for records without one.
    pub key: Option<String>,
    /// How many records.
    pub count: u64,
    /// The sum of the summed field over the group.
    pub sum: Option<f64>,
}
