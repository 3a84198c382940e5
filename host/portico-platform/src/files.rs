//! Files modules keep: the content once per SHA-256 in the data folder
//! (`files/sha256/ab/abcdef…`), and one row per stored file with its name,
//! media type, owner (organization and module) and retention: the mark of
//! the Czech records schedule (A: hand to the archive, S: destroy, V: the
//! archivist decides) and the period in years during which it must be kept.
//! Content is checked against its hash on every read and by
//! [`verify`]; a mismatch is reported, never served.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::records::Scope;
use crate::{PlatformError, now_micros};

pub(crate) mod file {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "files")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub org_id: String,
        pub module_id: String,
        pub sha256: String,
        pub name: String,
        pub media_type: String,
        pub size: i64,
        pub retention: String,
        pub keep_until_micros: i64,
        pub created_at_micros: i64,
        pub deleted_at_micros: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use file::{ActiveModel, Column, Entity};

/// The largest file a module may store, in bytes.
pub const MAX_FILE: usize = 10 * 1024 * 1024;

/// The longest retention period, in years.
pub const MAX_YEARS: u32 = 100;

/// The retention mark of the records schedule, shared with the runtime.
pub use portico_types::RetentionMark;

/// A stored file, without its content.
#[derive(Debug, Clone, Serialize)]
pub struct FileInfo {
    /// Its id.
    pub id: String,
    /// The organization it belongs to.
    pub org_id: String,
    /// The module that stored it.
    pub module_id: String,
    /// The file name given when it was stored.
    pub name: String,
    /// Its media type, e.g. `application/pdf`.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its content, hex.
    pub sha256: String,
    /// The retention mark.
    pub mark: RetentionMark,
    /// Until when it must be kept (µs since the Unix epoch).
    pub keep_until_micros: i64,
    /// When it was stored.
    pub created_at_micros: i64,
}

impl From<file::Model> for FileInfo {
    fn from(m: file::Model) -> Self {
        FileInfo {
            id: m.id,
            org_id: m.org_id,
            module_id: m.module_id,
            name: m.name,
            media_type: m.media_type,
            size: u64::try_from(m.size).unwrap_or_default(),
            sha256: m.sha256,
            // Stored by this code, so a letter; `V` (the archivist decides)
            // is what an unreadable one is kept as.
            mark: RetentionMark::from_letter(&m.retention).unwrap_or(RetentionMark::V),
            keep_until_micros: m.keep_until_micros,
            created_at_micros: m.created_at_micros,
        }
    }
}

/// A file to store.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its media type.
    pub media_type: &'a str,
    /// Its content.
    pub content: &'a [u8],
    /// Its retention mark.
    pub mark: RetentionMark,
    /// How many years it must be kept.
    pub years: u32,
}

/// Where file content lives: one file per distinct content.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    /// The store below `data_dir/files`.
    pub fn in_data_dir(data_dir: &Path) -> FileStore {
        FileStore {
            root: data_dir.join("files"),
        }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.root
            .join("sha256")
            .join(&sha256[..2.min(sha256.len())])
            .join(sha256)
    }

    /// Writes `content` under its hash, durably, unless it is there already
    /// intact (damaged content is replaced by the good copy).
    fn write(&self, sha256: &str, content: &[u8]) -> std::io::Result<()> {
        let path = self.path(sha256);
        if self.read(sha256).is_ok() {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir)?;
        // Written beside its place and renamed: a reader never sees half a file.
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(content)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&path).map_err(|e| e.error)?;
        std::fs::File::open(dir)?.sync_all()
    }

    /// The content stored under `sha256`, checked against it.
    fn read(&self, sha256: &str) -> Result<Vec<u8>, Problem> {
        let content = std::fs::read(self.path(sha256)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Problem::Missing,
            _ => Problem::Unreadable(e.to_string()),
        })?;
        if hex::encode(Sha256::digest(&content)) != sha256 {
            return Err(Problem::Altered);
        }
        Ok(content)
    }
}

/// What is wrong with a stored file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Problem {
    /// The content is gone.
    Missing,
    /// The content no longer matches its SHA-256.
    Altered,
    /// The content cannot be read.
    Unreadable(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing => f.write_str("its content is missing"),
            Problem::Altered => f.write_str("its content no longer matches its SHA-256"),
            Problem::Unreadable(e) => write!(f, "its content cannot be read: {e}"),
        }
    }
}

fn check(f: &NewFile<'_>) -> Result<(), PlatformError> {
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 255 || name.contains(['/', '\\', '\0']) {
        return Err(PlatformError::invalid(
            "name",
            "must be 1 to 255 characters without `/`, `\\` or NUL",
        ));
    }
    let media = f.media_type;
    let well_formed = media.len() <= 255
        && media.split_once('/').is_some_and(|(t, s)| {
            !t.is_empty()
                && !s.is_empty()
                && media.is_ascii()
                && !media.contains(char::is_whitespace)
        });
    if !well_formed {
        return Err(PlatformError::invalid(
            "media-type",
            format!("`{media}` is not a media type such as `application/pdf`"),
        ));
    }
    if f.content.len() > MAX_FILE {
        return Err(PlatformError::invalid(
            "content",
            format!(
                "is {} bytes; a file may have at most {MAX_FILE}",
                f.content.len()
            ),
        ));
    }
    if f.years > MAX_YEARS {
        return Err(PlatformError::invalid(
            "retention.years",
            format!("is {}; at most {MAX_YEARS}", f.years),
        ));
    }
    Ok(())
}

/// Stores a file for the scope's organization and module. The content is
/// written to the store at once (content-addressed, so a rolled-back call
/// leaves at most unreferenced content); the row commits with the call.
pub async fn put<C: ConnectionTrait>(
    conn: &C,
    store: &FileStore,
    scope: &Scope,
    f: NewFile<'_>,
) -> Result<FileInfo, PlatformError> {
    check(&f)?;
    let sha256 = hex::encode(Sha256::digest(f.content));
    let (s, content) = (store.clone(), f.content.to_vec());
    let hash = sha256.clone();
    tokio::task::spawn_blocking(move || s.write(&hash, &content))
        .await
        .map_err(|e| PlatformError::Corrupt(format!("cannot write file content: {e}")))?
        .map_err(|e| {
            tracing::error!(error = %e, "cannot write file content to the data folder");
            PlatformError::Corrupt(format!("cannot write file content: {e}"))
        })?;
    let now = now_micros();
    let keep_until = chrono::DateTime::from_timestamp_micros(now)
        .and_then(|t| t.checked_add_months(chrono::Months::new(f.years * 12)))
        .map_or(i64::MAX, |t| t.timestamp_micros());
    let row = ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        org_id: Set(scope.org_id.clone()),
        module_id: Set(scope.module_id.clone()),
        sha256: Set(sha256),
        name: Set(f.name.trim().to_owned()),
        media_type: Set(f.media_type.to_ascii_lowercase()),
        size: Set(i64::try_from(f.content.len()).unwrap_or(i64::MAX)),
        retention: Set(f.mark.letter().into()),
        keep_until_micros: Set(keep_until),
        created_at_micros: Set(now),
        deleted_at_micros: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(row.into())
}

async fn row<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    id: &str,
) -> Result<file::Model, PlatformError> {
    Entity::find_by_id(id.to_owned())
        .filter(Column::OrgId.eq(&scope.org_id))
        .filter(Column::ModuleId.eq(&scope.module_id))
        .filter(Column::DeletedAtMicros.is_null())
        .one(conn)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no file `{id}`")))
}

/// What is known of a file of the scope's module and organization.
pub async fn info<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    id: &str,
) -> Result<FileInfo, PlatformError> {
    row(conn, scope, id).await.map(FileInfo::from)
}

/// A file's content, checked against its SHA-256: damaged content is
/// `corrupt`, never returned.
pub async fn read<C: ConnectionTrait>(
    conn: &C,
    store: &FileStore,
    scope: &Scope,
    id: &str,
) -> Result<(FileInfo, Vec<u8>), PlatformError> {
    let info = FileInfo::from(row(conn, scope, id).await?);
    let (s, hash) = (store.clone(), info.sha256.clone());
    let content = tokio::task::spawn_blocking(move || s.read(&hash))
        .await
        .map_err(|e| PlatformError::Corrupt(e.to_string()))?
        .map_err(|problem| {
            tracing::error!(file = %info.id, org = %info.org_id, sha256 = %info.sha256, %problem, "a stored file failed its integrity check");
            PlatformError::Corrupt(format!("file `{}`: {problem}", info.id))
        })?;
    Ok((info, content))
}

/// Deletes a file whose retention period is over; before that it is
/// `forbidden`. The row stays for the audit trail.
pub async fn delete<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    id: &str,
) -> Result<FileInfo, PlatformError> {
    let info = FileInfo::from(row(conn, scope, id).await?);
    let now = now_micros();
    if info.keep_until_micros > now {
        let until = chrono::DateTime::from_timestamp_micros(info.keep_until_micros)
            .map_or_else(|| "the end of time".into(), |t| t.date_naive().to_string());
        return Err(PlatformError::Forbidden(format!(
            "file `{id}` has retention {} and must be kept until {until}",
            info.mark.letter()
        )));
    }
    Entity::update_many()
        .col_expr(Column::DeletedAtMicros, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(info)
}

/// A stored file that failed the check.
#[derive(Debug, Clone, Serialize)]
pub struct Damaged {
    /// The file.
    pub file: FileInfo,
    /// What is wrong.
    pub problem: Problem,
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Files checked.
    pub files: u64,
    /// Distinct contents read and hashed.
    pub contents: u64,
    /// Files whose content is missing or altered.
    pub damaged: Vec<Damaged>,
}

/// Reads and hashes the content of every stored file (of one organization,
/// or all), each distinct content once.
pub async fn verify(
    db: &DatabaseConnection,
    store: &FileStore,
    org_id: Option<&str>,
) -> Result<Report, PlatformError> {
    let mut report = Report::default();
    let mut checked: std::collections::HashMap<String, Option<Problem>> = Default::default();
    let mut after = String::new();
    loop {
        let mut q = Entity::find()
            .filter(Column::DeletedAtMicros.is_null())
            .filter(Column::Id.gt(after.clone()));
        if let Some(org) = org_id {
            q = q.filter(Column::OrgId.eq(org));
        }
        let rows = q.order_by_asc(Column::Id).limit(1000).all(db).await?;
        let Some(last) = rows.last() else { break };
        after = last.id.clone();
        report.files += rows.len() as u64;
        let mut by_hash: BTreeMap<String, Vec<FileInfo>> = BTreeMap::new();
        for r in rows {
            by_hash.entry(r.sha256.clone()).or_default().push(r.into());
        }
        for (hash, files) in by_hash {
            let outcome = match checked.get(&hash) {
                Some(known) => known.clone(),
                None => {
                    let s = store.clone();
                    let h = hash.clone();
                    let outcome = tokio::task::spawn_blocking(move || s.read(&h).err())
                        .await
                        .map_err(|e| PlatformError::Corrupt(e.to_string()))?;
                    checked.insert(hash, outcome.clone());
                    report.contents += 1;
                    outcome
                }
            };
            if let Some(problem) = outcome {
                for file in files {
                    report.damaged.push(Damaged {
                        file,
                        problem: problem.clone(),
                    });
                }
            }
        }
    }
    Ok(report)
}
