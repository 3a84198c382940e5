//! The circuit breaker: a module whose calls fault (trap, deadline, memory)
//! several times in a row is switched off until an administrator switches
//! it on again. The state is a file in the host's state folder, so that
//! `portico plugin list` and `portico plugin enable` in another process see
//! and change what the serving host does.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Why and when a module was switched off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchedOff {
    /// The module's version at the time.
    pub version: String,
    /// Seconds since the Unix epoch.
    pub at_unix: u64,
    /// The last fault.
    pub reason: String,
    /// How many calls in a row had faulted.
    pub faults_in_a_row: u32,
}

/// A module's breaker state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakerState {
    /// Serving; `faults_in_a_row` counts faults since the last good call.
    Closed {
        /// Faults since the last good call.
        faults_in_a_row: u32,
    },
    /// Switched off.
    Open(SwitchedOff),
}

/// The breaker of one module.
pub struct Breaker {
    module: String,
    threshold: u32,
    faults: AtomicU32,
    open: Mutex<Option<SwitchedOff>>,
    file: Option<PathBuf>,
}

/// The file that marks `module` as switched off in `state_dir`.
pub fn switched_off_file(state_dir: &Path, module: &str) -> PathBuf {
    state_dir.join(format!("{module}.switched-off.json"))
}

/// Reads whether `module` is switched off in `state_dir`.
pub fn read_switched_off(state_dir: &Path, module: &str) -> Option<SwitchedOff> {
    let text = std::fs::read_to_string(switched_off_file(state_dir, module)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Switches `module` on again in `state_dir`. Returns whether it was off.
pub fn switch_on(state_dir: &Path, module: &str) -> std::io::Result<bool> {
    match std::fs::remove_file(switched_off_file(state_dir, module)) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

impl Breaker {
    /// A breaker that opens after `threshold` faults in a row, persisted in
    /// `state_dir` when given.
    pub(crate) fn new(module: &str, threshold: u32, state_dir: Option<&Path>) -> Breaker {
        let file = state_dir.map(|d| switched_off_file(d, module));
        let open = state_dir.and_then(|d| read_switched_off(d, module));
        Breaker {
            module: module.to_owned(),
            threshold: threshold.max(1),
            faults: AtomicU32::new(0),
            open: Mutex::new(open),
            file,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<SwitchedOff>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err` with the reason while the module is switched off.
    pub(crate) fn admit(&self) -> Result<(), SwitchedOff> {
        let mut open = self.lock();
        let Some(off) = open.as_ref() else {
            return Ok(());
        };
        // Switched on again from outside (`portico plugin enable`)?
        if let Some(file) = &self.file
            && !file.exists()
        {
            tracing::info!(module = %self.module, "module switched on again");
            *open = None;
            self.faults.store(0, Ordering::Relaxed);
            return Ok(());
        }
        Err(off.clone())
    }

    pub(crate) fn record_success(&self) {
        self.faults.store(0, Ordering::Relaxed);
    }

    pub(crate) fn record_fault(&self, version: &str, reason: &str) {
        let faults = self.faults.fetch_add(1, Ordering::Relaxed) + 1;
        if faults < self.threshold {
            return;
        }
        let mut open = self.lock();
        if open.is_some() {
            return;
        }
        let off = SwitchedOff {
            version: version.to_owned(),
            at_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            reason: reason.to_owned(),
            faults_in_a_row: faults,
        };
        tracing::error!(
            module = %self.module,
            version,
            faults_in_a_row = faults,
            reason,
            "module switched off by its circuit breaker; \
             switch it on with `portico plugin enable {}` once fixed",
            self.module
        );
        if let Some(file) = &self.file {
            let written = serde_json::to_vec_pretty(&off)
                .map_err(std::io::Error::other)
                .and_then(|json| std::fs::write(file, json));
            if let Err(e) = written {
                tracing::error!(module = %self.module, file = %file.display(), error = %e,
                    "cannot record that the module is switched off");
            }
        }
        *open = Some(off);
    }

    /// Switches the module on again.
    pub fn reset(&self) -> std::io::Result<()> {
        let mut open = self.lock();
        if let Some(file) = &self.file {
            switch_on(file.parent().unwrap_or(Path::new(".")), &self.module)?;
        }
        *open = None;
        self.faults.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        match self.lock().as_ref() {
            Some(off) => BreakerState::Open(off.clone()),
            None => BreakerState::Closed {
                faults_in_a_row: self.faults.load(Ordering::Relaxed),
            },
        }
    }
}
