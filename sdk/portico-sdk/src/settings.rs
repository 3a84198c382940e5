//! The module's settings for the organization of the call.
//!
//! Needs `settings` in the manifest's `capabilities`; without it every call
//! answers [`Error::Forbidden`](crate::Error::Forbidden).
//!
//! ```no_run
//! # fn page() -> portico_sdk::Result<()> {
//! let title = portico_sdk::settings::get("title")?.unwrap_or_else(|| "Notices".into());
//! # Ok(()) }
//! ```

use crate::Result;
use crate::wit::portico::plugin0_1_0::settings;

/// The value of a setting declared in the manifest, or its default.
/// `Ok(None)` when it has neither.
pub fn get(key: &str) -> Result<Option<String>> {
    settings::get(key).map_err(Into::into)
}

/// A setting that holds JSON, parsed into `T`.
pub fn get_json<T: serde::de::DeserializeOwned>(key: &str) -> Result<Option<T>> {
    match get(key)? {
        None => Ok(None),
        Some(raw) => serde_json::from_str(&raw).map(Some).map_err(|e| {
            crate::Error::internal(format!("setting `{key}` is not the JSON expected: {e}"))
        }),
    }
}
