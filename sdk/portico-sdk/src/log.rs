//! Writing to the host's log. Lines are tagged by the host with the module,
//! organization and request; never log personal data or secrets.
//!
//! ```no_run
//! portico_sdk::log::info("notices rendered");
//! ```

use crate::wit::portico::plugin0_1_0::log::{Level, write};

/// Logs very detailed tracing.
pub fn trace(message: impl AsRef<str>) {
    write(Level::Trace, message.as_ref());
}

/// Logs detail for finding faults.
pub fn debug(message: impl AsRef<str>) {
    write(Level::Debug, message.as_ref());
}

/// Logs normal operation.
pub fn info(message: impl AsRef<str>) {
    write(Level::Info, message.as_ref());
}

/// Logs something unexpected that the module handled.
pub fn warn(message: impl AsRef<str>) {
    write(Level::Warn, message.as_ref());
}

/// Logs a failure.
pub fn error(message: impl AsRef<str>) {
    write(Level::Error, message.as_ref());
}
