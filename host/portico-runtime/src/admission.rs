//! Admission to the instance slots: how many calls run at once, and what
//! happens to the rest.
//!
//! A call that finds every slot taken waits in one first-come-first-served
//! queue instead of failing at once. It is refused only when the queue is
//! full, when its organization already holds half the queue, or when its
//! wait would eat more than half of its deadline (the wait counts against
//! the deadline: the module gets what is left). A call whose caller went
//! away (the HTTP client closed the connection, so the request's future was
//! dropped) leaves the queue without ever starting.
//!
//! Refusals are counted, and logged as one summary line per interval, never
//! one line per refusal: under overload, logging must not eat the CPU that
//! serving needs.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

/// How often, at most, a summary of refused calls is logged.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Why a call was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The queue of waiting calls is full.
    QueueFull,
    /// The organization already has its share of the queue waiting.
    OrganizationShare,
    /// No slot came free within the time the call could wait.
    WaitedTooLong,
}

impl Refusal {
    /// A label for metrics.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::QueueFull => "queue_full",
            Refusal::OrganizationShare => "organization_share",
            Refusal::WaitedTooLong => "waited_too_long",
        }
    }
}

/// What admission looks like now, for metrics and the console.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdmissionFigures {
    /// Instance slots.
    pub slots: usize,
    /// Slots in use by running calls.
    pub running: usize,
    /// Calls waiting for a slot.
    pub waiting: usize,
    /// Calls admitted since the host started.
    pub admitted: u64,
    /// Calls that had to wait before they were admitted.
    pub queued: u64,
    /// Calls refused because the queue was full.
    pub refused_queue_full: u64,
    /// Calls refused because their organization held its share of the queue.
    pub refused_organization_share: u64,
    /// Calls refused after waiting as long as they could.
    pub refused_waited_too_long: u64,
}

/// The gate in front of the instance slots, shared by every module of an engine.
pub struct Admission {
    slots: Semaphore,
    capacity: usize,
    queue_bound: usize,
    waiting: AtomicUsize,
    waiting_by_org: Mutex<HashMap<String, usize>>,
    admitted: AtomicU64,
    queued: AtomicU64,
    refused: [AtomicU64; 3],
    log: Mutex<RefusalLog>,
}

#[derive(Default)]
struct RefusalLog {
    last_line: Option<Instant>,
    counts: [u64; 3],
}

/// A slot held by a running call; dropping it frees the slot for the next in the queue.
pub struct Slot<'a> {
    _permit: SemaphorePermit<'a>,
}

impl Admission {
    /// A gate for `slots` calls at once and at most `queue_bound` waiting.
    pub fn new(slots: usize, queue_bound: usize) -> Admission {
        Admission {
            slots: Semaphore::new(slots),
            capacity: slots,
            queue_bound,
            waiting: AtomicUsize::new(0),
            waiting_by_org: Mutex::default(),
            admitted: AtomicU64::new(0),
            queued: AtomicU64::new(0),
            refused: Default::default(),
            log: Mutex::default(),
        }
    }

    /// Takes a slot for a call of organization `org`, waiting at most until
    /// `wait_until` (an instant the caller derives from the call's deadline).
    pub async fn enter(&self, org: &str, wait_until: Instant) -> Result<Slot<'_>, Refusal> {
        if let Ok(permit) = self.slots.try_acquire() {
            self.admitted.fetch_add(1, Ordering::Relaxed);
            return Ok(Slot { _permit: permit });
        }
        let result = self.wait(org, wait_until).await;
        match &result {
            Ok(_) => {
                self.admitted.fetch_add(1, Ordering::Relaxed);
                self.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(refusal) => self.refused(*refusal),
        }
        result
    }

    async fn wait(&self, org: &str, wait_until: Instant) -> Result<Slot<'_>, Refusal> {
        // One organization may fill at most half the queue, so a flood from
        // one tenant still leaves room for everyone else's calls.
        let share = (self.queue_bound / 2).max(1);
        let _place = {
            let mut by_org = self
                .waiting_by_org
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if self.waiting.load(Ordering::Relaxed) >= self.queue_bound {
                return Err(Refusal::QueueFull);
            }
            let mine = by_org.entry(org.to_owned()).or_default();
            if *mine >= share {
                return Err(Refusal::OrganizationShare);
            }
            *mine += 1;
            self.waiting.fetch_add(1, Ordering::Relaxed);
            Place { gate: self, org }
        };
        let wait = wait_until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(wait, self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(Slot { _permit: permit }),
            // The semaphore is never closed; a timeout is the only refusal.
            Ok(Err(_)) | Err(_) => Err(Refusal::WaitedTooLong),
        }
    }

    fn refused(&self, refusal: Refusal) {
        let i = refusal as usize;
        self.refused[i].fetch_add(1, Ordering::Relaxed);
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.counts[i] += 1;
        let now = Instant::now();
        // The first refusal is told at once; later ones wait for the interval.
        if log
            .last_line
            .is_some_and(|at| now.duration_since(at) < REFUSAL_LOG_INTERVAL)
        {
            return;
        }
        let [full, share, waited] = log.counts;
        tracing::warn!(
            queue_full = full,
            organization_share = share,
            waited_too_long = waited,
            slots = self.capacity,
            waiting = self.waiting.load(Ordering::Relaxed),
            "calls refused since the last such line: every instance slot was busy and \
             the queue could take no more; at most one such line every ten seconds"
        );
        log.counts = [0; 3];
        log.last_line = Some(now);
    }

    /// The figures now.
    pub fn figures(&self) -> AdmissionFigures {
        let [full, share, waited] = [0, 1, 2].map(|i| self.refused[i].load(Ordering::Relaxed));
        AdmissionFigures {
            slots: self.capacity,
            running: self.capacity - self.slots.available_permits().min(self.capacity),
            waiting: self.waiting.load(Ordering::Relaxed),
            admitted: self.admitted.load(Ordering::Relaxed),
            queued: self.queued.load(Ordering::Relaxed),
            refused_queue_full: full,
            refused_organization_share: share,
            refused_waited_too_long: waited,
        }
    }
}

/// A call's place in the queue; leaving it (admitted, refused or dropped
/// because the caller went away) gives the place back.
struct Place<'a> {
    gate: &'a Admission,
    org: &'a str,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let mut by_org = self
            .gate
            .waiting_by_org
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = by_org.get_mut(self.org) {
            *n -= 1;
            if *n == 0 {
                by_org.remove(self.org);
            }
        }
        self.gate.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soon(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[tokio::test]
    async fn a_call_waits_for_a_slot_and_gets_it_when_one_comes_free() {
        let gate = Admission::new(1, 4);
        let first = gate.enter("a", soon(10)).await.expect("a free slot");
        let second = gate.enter("a", soon(2_000));
        tokio::pin!(second);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), &mut second)
                .await
                .is_err(),
            "the second call waits while the slot is taken"
        );
        assert_eq!(gate.figures().waiting, 1);
        drop(first);
        second.await.expect("admitted once the slot came free");
        let f = gate.figures();
        assert_eq!((f.admitted, f.queued, f.waiting), (2, 1, 0));
    }

    #[tokio::test]
    async fn a_call_is_refused_when_it_cannot_wait_longer_or_the_queue_is_full() {
        let gate = Admission::new(1, 2);
        let _held = gate.enter("a", soon(10)).await.expect("a free slot");
        assert_eq!(
            gate.enter("a", soon(5)).await.err(),
            Some(Refusal::WaitedTooLong)
        );
        // Two waiting calls of two organizations fill a queue of two.
        let one = gate.enter("a", soon(1_000));
        let two = gate.enter("b", soon(1_000));
        tokio::pin!(one, two);
        let _ = tokio::time::timeout(Duration::from_millis(5), &mut one).await;
        let _ = tokio::time::timeout(Duration::from_millis(5), &mut two).await;
        assert_eq!(gate.figures().waiting, 2);
        assert_eq!(
            gate.enter("c", soon(1_000)).await.err(),
            Some(Refusal::QueueFull)
        );
        assert_eq!(gate.figures().refused_queue_full, 1);
    }

    #[tokio::test]
    async fn one_organization_cannot_take_more_than_half_the_queue() {
        let gate = Admission::new(1, 4);
        let _held = gate.enter("a", soon(10)).await.expect("a free slot");
        let one = gate.enter("flood", soon(1_000));
        let two = gate.enter("flood", soon(1_000));
        tokio::pin!(one, two);
        let _ = tokio::time::timeout(Duration::from_millis(5), &mut one).await;
        let _ = tokio::time::timeout(Duration::from_millis(5), &mut two).await;
        assert_eq!(
            gate.enter("flood", soon(1_000)).await.err(),
            Some(Refusal::OrganizationShare)
        );
        let other = gate.enter("city", soon(1_000));
        tokio::pin!(other);
        assert!(
            tokio::time::timeout(Duration::from_millis(5), &mut other)
                .await
                .is_err(),
            "another organization still finds a place in the queue"
        );
        assert_eq!(gate.figures().waiting, 3);
    }

    #[tokio::test]
    async fn a_call_whose_caller_went_away_leaves_the_queue_without_running() {
        let gate = Admission::new(1, 4);
        let held = gate.enter("a", soon(10)).await.expect("a free slot");
        {
            let gone = gate.enter("a", soon(1_000));
            tokio::pin!(gone);
            let _ = tokio::time::timeout(Duration::from_millis(5), &mut gone).await;
            assert_eq!(gate.figures().waiting, 1);
        }
        assert_eq!(gate.figures().waiting, 0, "the dropped call left the queue");
        drop(held);
        let next = gate.enter("a", soon(10)).await;
        assert!(next.is_ok(), "the freed slot went to the next caller");
        assert_eq!(
            gate.figures().admitted,
            2,
            "the call that went away never ran"
        );
    }
}
