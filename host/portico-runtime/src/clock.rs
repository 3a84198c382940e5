//! The wall clock modules read.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The time modules see through WASI's `wall-clock`: the system's, moved
/// forward by what [`Clock::advance`] added. Deadlines, reminders and
/// expiry in modules are tested by moving this clock, not by waiting.
/// Clones share the offset. The host's own records (audit, record times)
/// keep the system's time.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// Moves the clock forward by `by` (whole seconds), for every module
    /// loaded with it, from their next call on.
    pub fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }

    /// What modules read as now.
    pub fn now(&self) -> SystemTime {
        let offset = self.offset_secs.load(Ordering::Relaxed);
        let now = SystemTime::now();
        if offset >= 0 {
            now + Duration::from_secs(offset.unsigned_abs())
        } else {
            now - Duration::from_secs(offset.unsigned_abs())
        }
    }
}

impl wasmtime_wasi::clocks::HostWallClock for Clock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        Clock::now(self)
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advanced_clock_is_ahead_of_the_system_in_every_clone() {
        let clock = Clock::default();
        let seen = clock.clone();
        clock.advance(Duration::from_secs(31 * 86_400));
        let ahead = seen
            .now()
            .duration_since(SystemTime::now())
            .expect("ahead of the system clock");
        assert!(ahead > Duration::from_secs(30 * 86_400), "{ahead:?}");
        assert!(ahead <= Duration::from_secs(31 * 86_400), "{ahead:?}");
    }
}
