//! The circuit breaker: a module whose calls fault (trap, deadline, memory)
//! several times in a row is switched off until an administrator switches
//! it on again.
//!
//! Faults are counted per organization, and a module is switched off
//! where they happen: what one organization's input provokes (a form its
//! designer wrote, records its staff imported) never switches the module
//! off for another. Only when the module has been switched off in several
//! organizations ([`PORTAL_WIDE_AFTER`]) is it switched off everywhere,
//! since then the fault is the module's own.
//!
//! The state is a file per switch in the host's state folder, so that
//! `portico plugin list` and `portico plugin switch-on` in another
//! process see and change what the serving host does:
//! `<module>.switched-off.json` everywhere, `<module>@<org>.switched-off.json`
//! in one organization.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Organizations a module must be switched off in before it is switched
/// off everywhere.
pub const PORTAL_WIDE_AFTER: usize = 3;

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

/// A module's breaker state, everywhere or in one organization.
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
    state_dir: Option<PathBuf>,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Faults in a row, per organization.
    faults: HashMap<String, u32>,
    /// Switched off everywhere.
    everywhere: Option<SwitchedOff>,
    /// Switched off in these organizations.
    orgs: BTreeMap<String, SwitchedOff>,
}

/// The file that marks `module` as switched off everywhere in `state_dir`.
pub fn switched_off_file(state_dir: &Path, module: &str) -> PathBuf {
    state_dir.join(format!("{module}.switched-off.json"))
}

/// The file that marks `module` as switched off in organization `org`.
pub fn switched_off_in_file(state_dir: &Path, module: &str, org: &str) -> PathBuf {
    state_dir.join(format!("{module}@{org}.switched-off.json"))
}

fn read(file: &Path) -> Option<SwitchedOff> {
    let text = std::fs::read_to_string(file).ok()?;
    serde_json::from_str(&text).ok()
}

/// Reads whether `module` is switched off everywhere in `state_dir`.
pub fn read_switched_off(state_dir: &Path, module: &str) -> Option<SwitchedOff> {
    read(&switched_off_file(state_dir, module))
}

/// The organizations `module` is switched off in, by `state_dir`.
pub fn read_switched_off_in(state_dir: &Path, module: &str) -> BTreeMap<String, SwitchedOff> {
    let prefix = format!("{module}@");
    let Ok(entries) = std::fs::read_dir(state_dir) else {
        return BTreeMap::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let org = name
                .strip_prefix(&prefix)?
                .strip_suffix(".switched-off.json")?
                .to_owned();
            Some((org, read(&e.path())?))
        })
        .collect()
}

fn remove(file: &Path) -> std::io::Result<bool> {
    match std::fs::remove_file(file) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Switches `module` on again in `state_dir`: in organization `org`, or
/// everywhere and in every organization. Returns whether it was off.
pub fn switch_on(state_dir: &Path, module: &str, org: Option<&str>) -> std::io::Result<bool> {
    if let Some(org) = org {
        return remove(&switched_off_in_file(state_dir, module, org));
    }
    let mut was_off = remove(&switched_off_file(state_dir, module))?;
    for org in read_switched_off_in(state_dir, module).keys() {
        was_off |= remove(&switched_off_in_file(state_dir, module, org))?;
    }
    Ok(was_off)
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Breaker {
    /// A breaker that opens after `threshold` faults in a row in one
    /// organization, persisted in `state_dir` when given.
    pub(crate) fn new(module: &str, threshold: u32, state_dir: Option<&Path>) -> Breaker {
        let inner = Inner {
            faults: HashMap::new(),
            everywhere: state_dir.and_then(|d| read_switched_off(d, module)),
            orgs: state_dir
                .map(|d| read_switched_off_in(d, module))
                .unwrap_or_default(),
        };
        Breaker {
            module: module.to_owned(),
            threshold: threshold.max(1),
            state_dir: state_dir.map(Path::to_path_buf),
            inner: Mutex::new(inner),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err` with the reason while the module is switched off for `org`.
    pub(crate) fn admit(&self, org: &str) -> Result<(), SwitchedOff> {
        let mut inner = self.lock();
        if inner.everywhere.is_none() && inner.orgs.is_empty() {
            return Ok(());
        }
        // Switched on again from outside (`portico plugin switch-on`)?
        if let Some(dir) = &self.state_dir {
            if inner.everywhere.is_some() && !switched_off_file(dir, &self.module).exists() {
                tracing::info!(module = %self.module, "module switched on again");
                inner.everywhere = None;
                inner.faults.clear();
            }
            if inner.orgs.contains_key(org)
                && !switched_off_in_file(dir, &self.module, org).exists()
            {
                tracing::info!(module = %self.module, org, "module switched on again in the organization");
                inner.orgs.remove(org);
                inner.faults.remove(org);
            }
        }
        match inner.everywhere.as_ref().or_else(|| inner.orgs.get(org)) {
            Some(off) => Err(off.clone()),
            None => Ok(()),
        }
    }

    pub(crate) fn record_success(&self, org: &str) {
        let mut inner = self.lock();
        if let Some(f) = inner.faults.get_mut(org) {
            *f = 0;
        }
    }

    pub(crate) fn record_fault(&self, org: &str, version: &str, reason: &str) {
        let mut inner = self.lock();
        let faults = {
            let f = inner.faults.entry(org.to_owned()).or_insert(0);
            *f += 1;
            *f
        };
        if faults < self.threshold || inner.everywhere.is_some() || inner.orgs.contains_key(org) {
            return;
        }
        let off = SwitchedOff {
            version: version.to_owned(),
            at_unix: now_unix(),
            reason: reason.to_owned(),
            faults_in_a_row: faults,
        };
        tracing::error!(
            module = %self.module,
            org,
            version,
            faults_in_a_row = faults,
            reason,
            "module switched off in the organization by its circuit breaker; \
             switch it on with `portico plugin switch-on {} --org {org}` once fixed",
            self.module
        );
        self.persist(Some(org), &off);
        inner.orgs.insert(org.to_owned(), off.clone());
        if inner.orgs.len() >= PORTAL_WIDE_AFTER {
            tracing::error!(
                module = %self.module,
                version,
                organizations = inner.orgs.len(),
                reason,
                "module switched off everywhere by its circuit breaker: it faulted in {} \
                 organizations; switch it on with `portico plugin switch-on {}` once fixed",
                inner.orgs.len(),
                self.module
            );
            self.persist(None, &off);
            inner.everywhere = Some(off);
        }
    }

    fn persist(&self, org: Option<&str>, off: &SwitchedOff) {
        let Some(dir) = &self.state_dir else {
            return;
        };
        let file = match org {
            Some(org) => switched_off_in_file(dir, &self.module, org),
            None => switched_off_file(dir, &self.module),
        };
        let written = serde_json::to_vec_pretty(off)
            .map_err(std::io::Error::other)
            .and_then(|json| std::fs::write(&file, json));
        if let Err(e) = written {
            tracing::error!(module = %self.module, file = %file.display(), error = %e,
                "cannot record that the module is switched off");
        }
    }

    /// Switches the module on again in `org`, or everywhere and in every
    /// organization.
    pub fn reset(&self, org: Option<&str>) -> std::io::Result<()> {
        let mut inner = self.lock();
        if let Some(dir) = &self.state_dir {
            switch_on(dir, &self.module, org)?;
        }
        match org {
            Some(org) => {
                inner.orgs.remove(org);
                inner.faults.remove(org);
            }
            None => *inner = Inner::default(),
        }
        Ok(())
    }

    /// The state everywhere: open only when switched off everywhere;
    /// closed with the most faults in a row of any organization otherwise.
    pub fn state(&self) -> BreakerState {
        let inner = self.lock();
        match &inner.everywhere {
            Some(off) => BreakerState::Open(off.clone()),
            None => BreakerState::Closed {
                faults_in_a_row: inner.faults.values().copied().max().unwrap_or(0),
            },
        }
    }

    /// The state in one organization.
    pub fn state_in(&self, org: &str) -> BreakerState {
        let inner = self.lock();
        match inner.everywhere.as_ref().or_else(|| inner.orgs.get(org)) {
            Some(off) => BreakerState::Open(off.clone()),
            None => BreakerState::Closed {
                faults_in_a_row: inner.faults.get(org).copied().unwrap_or(0),
            },
        }
    }

    /// The organizations the module is switched off in (besides, or
    /// before, everywhere).
    pub fn switched_off_in(&self) -> BTreeMap<String, SwitchedOff> {
        self.lock().orgs.clone()
    }
}
