//! Files kept for the organization: stored once per content, checked
//! against their SHA-256 on every read, kept at least for their retention
//! period. Needs `files` in the manifest's `capabilities`.
//!
//! ```no_run
//! use portico_sdk::files::{self, Mark};
//! # fn f() -> portico_sdk::Result<()> {
//! let pdf = b"%PDF-1.7 ...".to_vec();
//! let stored = files::store("decision.pdf", "application/pdf", &pdf, Mark::A, 10)?;
//! let same = files::read(&stored.id)?;
//! # Ok(()) }
//! ```

use crate::Result;
use crate::wit::portico::plugin0_1_0::files as wit;

/// The retention mark of the records schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Of lasting value: handed to the archive after the period.
    A,
    /// Destroyed after the period.
    S,
    /// The archivist decides after the period.
    V,
}

/// A stored file, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Its id.
    pub id: String,
    /// The file name it was stored with.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its content, hex.
    pub sha256: String,
    /// Its retention mark.
    pub mark: Mark,
    /// Until when it must be kept (RFC 3339).
    pub keep_until: String,
    /// When it was stored (RFC 3339).
    pub created_at: String,
}

impl From<wit::FileInfo> for FileInfo {
    fn from(f: wit::FileInfo) -> Self {
        FileInfo {
            id: f.id,
            name: f.name,
            media_type: f.media_type,
            size: f.size,
            sha256: f.sha256,
            mark: match f.mark {
                wit::RetentionMark::A => Mark::A,
                wit::RetentionMark::S => Mark::S,
                wit::RetentionMark::V => Mark::V,
            },
            keep_until: f.keep_until,
            created_at: f.created_at,
        }
    }
}

/// Stores a file (at most 10 MiB) to be kept at least `years` years; kept
/// only if this call succeeds.
pub fn store(
    name: &str,
    media_type: &str,
    content: &[u8],
    mark: Mark,
    years: u32,
) -> Result<FileInfo> {
    let retention = wit::Retention {
        mark: match mark {
            Mark::A => wit::RetentionMark::A,
            Mark::S => wit::RetentionMark::S,
            Mark::V => wit::RetentionMark::V,
        },
        years,
    };
    Ok(wit::store(name, media_type, content, retention)?.into())
}

/// What is known of a file.
pub fn info(id: &str) -> Result<FileInfo> {
    Ok(wit::info(id)?.into())
}

/// A file's content; an error, never damaged content, when it no longer
/// matches its hash.
pub fn read(id: &str) -> Result<Vec<u8>> {
    Ok(wit::read(id)?)
}

/// Deletes a file whose retention period is over.
pub fn delete(id: &str) -> Result<()> {
    Ok(wit::delete(id)?)
}

/// The media type a file's first bytes say it is (`%PDF-` is
/// `application/pdf`, `\x89PNG` is `image/png`, …), by the `infer` crate's
/// signatures; `None` when they say nothing it knows. A browser's word
/// for an upload is only a guess from the file's name: store and serve
/// what the content says.
pub fn media_type_of(content: &[u8]) -> Option<&'static str> {
    infer::get(content).map(|kind| kind.mime_type())
}

#[cfg(test)]
mod tests {
    use super::media_type_of;

    #[test]
    fn a_files_first_bytes_tell_its_type_not_its_name() {
        assert_eq!(media_type_of(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(
            media_type_of(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]),
            Some("image/png")
        );
        assert_eq!(
            media_type_of(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some("image/jpeg")
        );
        assert_eq!(
            media_type_of(b"RIFF\x10\x00\x00\x00WEBPVP8 "),
            Some("image/webp")
        );
        assert_eq!(media_type_of(b"plain words"), None);
    }
}
