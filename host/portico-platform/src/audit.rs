//! The audit chain: every operation that changes something is an entry in
//! an append-only log per organization, written in the same transaction as
//! the change. Each entry's hash covers the previous entry's hash, so an
//! entry altered, removed or inserted afterwards breaks the chain at that
//! entry; [`verify`] finds the first break.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::PlatformError;

pub(crate) mod entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_entries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub at_micros: i64,
        pub actor: String,
        pub module: String,
        pub action: String,
        pub subject: String,
        pub detail: String,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod head {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_heads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: String,
        pub seq: i64,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The hash before the first entry of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain of events that belong to no organization (log-ins,
/// lock-outs, accounts, platform-wide roles). Organization ids start with
/// a letter, so it cannot clash with one.
pub const PLATFORM_CHAIN: &str = "_platform";

/// The module name of entries the host itself writes.
pub const HOST: &str = "portico";

/// What happened, as the caller describes it.
#[derive(Debug, Clone)]
pub struct Event {
    /// Who did it: a user id, `cli:<name>`, or `module:<id>`.
    pub actor: String,
    /// The module it happened in, or [`HOST`].
    pub module: String,
    /// What was done, e.g. `organization.create`.
    pub action: String,
    /// What it was done to, e.g. an organization or record id.
    pub subject: String,
    /// Details as JSON. Never secrets: passwords and tokens do not go here.
    pub detail: serde_json::Value,
}

/// An entry of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The organization whose chain it is in.
    pub org_id: String,
    /// Its place in the chain, from 1.
    pub seq: i64,
    /// When, in microseconds since the Unix epoch.
    pub at_micros: i64,
    /// Who.
    pub actor: String,
    /// In which module.
    pub module: String,
    /// What.
    pub action: String,
    /// To what.
    pub subject: String,
    /// Details (JSON).
    pub detail: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl From<entry::Model> for Entry {
    fn from(m: entry::Model) -> Self {
        Entry {
            org_id: m.org_id,
            seq: m.seq,
            at_micros: m.at_micros,
            actor: m.actor,
            module: m.module,
            action: m.action,
            subject: m.subject,
            detail: m.detail,
            prev_hash: m.prev_hash,
            hash: m.hash,
        }
    }
}

/// The hash of an entry: SHA-256 over its fields, each prefixed by its
/// length so that no two different entries encode alike.
pub fn hash_of(e: &Entry) -> String {
    let mut h = Sha256::new();
    let seq = e.seq.to_string();
    let at = e.at_micros.to_string();
    for part in [
        e.prev_hash.as_str(),
        e.org_id.as_str(),
        seq.as_str(),
        at.as_str(),
        e.actor.as_str(),
        e.module.as_str(),
        e.action.as_str(),
        e.subject.as_str(),
        e.detail.as_str(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Starts the chain of a new organization (in the transaction that creates it).
pub(crate) async fn start_chain<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
) -> Result<(), PlatformError> {
    head::ActiveModel {
        org_id: Set(org_id.to_owned()),
        seq: Set(0),
        hash: Set(GENESIS.to_owned()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Appends `event` to the chain of `org_id`. Call it inside the transaction
/// of the change it records: both are stored, or neither.
pub async fn append<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    event: Event,
) -> Result<Entry, PlatformError> {
    let mut chain = Chain::open(conn, org_id).await?;
    let entry = chain.push(event);
    chain.close(conn).await?;
    Ok(entry)
}

/// Appends `event` to the chain of `org_id` in a transaction of its own:
/// for what is on record whatever becomes of the change it is about (a
/// refusal, what became of a delivery).
pub async fn append_alone(
    db: &sea_orm::DatabaseConnection,
    org_id: &str,
    event: Event,
) -> Result<Entry, PlatformError> {
    let txn = crate::begin_write(db).await?;
    let entry = append(&txn, org_id, event).await?;
    txn.commit().await?;
    Ok(entry)
}

/// Entries written per statement.
const ENTRIES_PER_INSERT: usize = 500;

/// The columns of an entry, as [`Entry`] names its fields.
const ENTRY_COLUMNS: &[&str] = &[
    "org_id",
    "seq",
    "at_micros",
    "actor",
    "module",
    "action",
    "subject",
    "detail",
    "prev_hash",
    "hash",
];

/// A chain open for appending inside one transaction: its head is read
/// and locked once, entries are chained in memory and written in batches,
/// and the head is written once, at [`Chain::close`]. Updating the head
/// row for every entry made a long transaction quadratic on PostgreSQL,
/// which keeps every version of the row until commit.
///
/// While a chain is open, every append to that organization in the same
/// transaction must go through it.
#[derive(Debug)]
pub struct Chain {
    org_id: String,
    seq: i64,
    hash: String,
    pending: Vec<Entry>,
    moved: bool,
    /// The record collections the transaction wrote to: their generation
    /// moves on once, when the chain closes.
    touched: std::collections::BTreeSet<i64>,
}

impl Chain {
    /// Opens the chain of `org_id`. The head row stays locked until the
    /// transaction ends, so appends to one chain follow one another (FOR
    /// UPDATE on PostgreSQL; SQLite has one writer).
    pub async fn open<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<Chain, PlatformError> {
        let head = head::Entity::find_by_id(org_id.to_owned())
            .lock_exclusive()
            .one(conn)
            .await?
            .ok_or_else(|| {
                PlatformError::NotFound(format!("no audit chain for organization `{org_id}`"))
            })?;
        Ok(Chain {
            org_id: head.org_id,
            seq: head.seq,
            hash: head.hash,
            pending: Vec::new(),
            moved: false,
            touched: std::collections::BTreeSet::new(),
        })
    }

    /// The organization whose chain this is.
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// Chains `event` after the last entry; it is written with the next
    /// batch, or at [`Chain::close`].
    pub fn push(&mut self, event: Event) -> Entry {
        let mut e = Entry {
            org_id: self.org_id.clone(),
            seq: self.seq + 1,
            at_micros: crate::now_micros(),
            actor: event.actor,
            module: event.module,
            action: event.action,
            subject: event.subject,
            detail: event.detail.to_string(),
            prev_hash: std::mem::take(&mut self.hash),
            hash: String::new(),
        };
        e.hash = hash_of(&e);
        self.seq = e.seq;
        self.hash.clone_from(&e.hash);
        self.moved = true;
        self.pending.push(e.clone());
        e
    }

    /// Notes that the transaction wrote to record collection `id`.
    pub(crate) fn touch(&mut self, collection_id: i64) {
        self.touched.insert(collection_id);
    }

    /// Writes the entries chained so far once a batch is full.
    pub async fn write_if_full<C: ConnectionTrait>(
        &mut self,
        conn: &C,
    ) -> Result<(), PlatformError> {
        if self.pending.len() >= ENTRIES_PER_INSERT {
            self.write_entries(conn).await?;
        }
        Ok(())
    }

    async fn write_entries<C: ConnectionTrait>(&mut self, conn: &C) -> Result<(), PlatformError> {
        let postgres = conn.get_database_backend() == DbBackend::Postgres;
        for batch in self.pending.chunks(ENTRIES_PER_INSERT) {
            if postgres {
                // An entry serializes with the table's column names.
                crate::insert_json_rows(conn, "audit_entries", ENTRY_COLUMNS, batch).await?;
                continue;
            }
            let models = batch.iter().map(|e| entry::ActiveModel {
                org_id: Set(e.org_id.clone()),
                seq: Set(e.seq),
                at_micros: Set(e.at_micros),
                actor: Set(e.actor.clone()),
                module: Set(e.module.clone()),
                action: Set(e.action.clone()),
                subject: Set(e.subject.clone()),
                detail: Set(e.detail.clone()),
                prev_hash: Set(e.prev_hash.clone()),
                hash: Set(e.hash.clone()),
            });
            entry::Entity::insert_many(models).exec(conn).await?;
        }
        self.pending.clear();
        Ok(())
    }

    /// Writes the entries not yet written and the new head.
    pub async fn close<C: ConnectionTrait>(mut self, conn: &C) -> Result<(), PlatformError> {
        self.write_entries(conn).await?;
        if self.moved {
            head::Entity::update(head::ActiveModel {
                org_id: sea_orm::ActiveValue::Unchanged(self.org_id.clone()),
                seq: Set(self.seq),
                hash: Set(self.hash.clone()),
            })
            .exec(conn)
            .await?;
        }
        crate::records::next_generation(conn, &self.touched).await
    }
}

/// The result of walking one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Every entry matches; the chain ends at this head.
    Intact {
        /// How many entries.
        entries: i64,
        /// The last entry's hash (to hand to an outside witness).
        head: String,
    },
    /// The first entry that does not match.
    Broken {
        /// Its place in the chain.
        seq: i64,
        /// What does not match.
        problem: String,
    },
}

/// Entries read per query while walking a chain.
const PAGE: u64 = 10_000;

/// Walks the chain of `org_id` from the start and names the first entry that
/// does not match (altered, missing, inserted, or not the recorded head).
pub async fn verify(db: &DatabaseConnection, org_id: &str) -> Result<Verdict, PlatformError> {
    // The head first: entries appended while the walk runs come after it
    // and are left for the next verification, so a busy chain verifies too.
    let head = head::Entity::find_by_id(org_id.to_owned()).one(db).await?;
    let last = head.as_ref().map_or(i64::MAX, |h| h.seq);
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    loop {
        let page = entry::Entity::find()
            .filter(entry::Column::OrgId.eq(org_id))
            .filter(entry::Column::Seq.gte(expected_seq))
            .filter(entry::Column::Seq.lte(last))
            .order_by_asc(entry::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        let last_page = (page.len() as u64) < PAGE;
        for m in page {
            let e: Entry = m.into();
            if e.seq != expected_seq {
                return Ok(Verdict::Broken {
                    seq: expected_seq,
                    problem: format!("entry {expected_seq} is missing (the next is {})", e.seq),
                });
            }
            if e.prev_hash != prev {
                return Ok(Verdict::Broken {
                    seq: e.seq,
                    problem: "its link to the previous entry does not match".into(),
                });
            }
            if hash_of(&e) != e.hash {
                return Ok(Verdict::Broken {
                    seq: e.seq,
                    problem: format!(
                        "its content was altered ({} {} by {})",
                        e.action, e.subject, e.actor
                    ),
                });
            }
            prev = e.hash;
            expected_seq += 1;
        }
        if last_page {
            break;
        }
    }
    let entries = expected_seq - 1;
    match head {
        Some(h) if h.seq == entries && h.hash == prev => Ok(Verdict::Intact {
            entries,
            head: prev,
        }),
        Some(h) => Ok(Verdict::Broken {
            seq: h.seq.max(entries),
            problem: format!(
                "the recorded head is entry {} but the chain ends at entry {entries}: entries were removed from its end",
                h.seq
            ),
        }),
        None if entries == 0 => Ok(Verdict::Intact {
            entries,
            head: prev,
        }),
        None => Err(PlatformError::NotFound(format!(
            "no audit chain for organization `{org_id}`"
        ))),
    }
}

/// Every entry of `org_id`'s chain, in order (for export to an outside witness).
pub async fn entries(db: &DatabaseConnection, org_id: &str) -> Result<Vec<Entry>, PlatformError> {
    Ok(entry::Entity::find()
        .filter(entry::Column::OrgId.eq(org_id))
        .order_by_asc(entry::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}
