//! How many S3 calls the connector keeps in flight: a limit that grows while S3 keeps
//! up and halves when S3 throttles, as TCP's congestion control does.
//!
//! A fixed limit is wrong both ways. Against a bucket far away each call spends most
//! of its time waiting on the network, and 16 calls leave S3's capacity unused
//! (S3 serves at least 5,500 reads a second per prefix and asks clients to scale out
//! with concurrent connections:
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html>);
//! against a prefix already at its rate, more calls only earn 503 SlowDown. The
//! AWS SDKs' adaptive retry mode slows a client on throttling errors for the same
//! reason (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>).
//!
//! The limit starts at the configured concurrency and doubles each time as many calls
//! as the limit have succeeded, up to the maximum ("slow start"). A throttling answer
//! halves it (never below one) and ends slow start; from then on it grows by one per
//! limit's worth of successes. Throttles that arrive together, from calls sent under
//! the old limit, halve it once. Other transient failures (500s, resets, timeouts)
//! halve it too, but never below the starting concurrency: they are not S3 asking for
//! less, yet every one of them in flight holds retry budget, and a wide limit under a
//! high error rate would spend the budget faster than successes give it back.

use std::sync::{Mutex, PoisonError};

use tokio::sync::{Semaphore, SemaphorePermit};

/// The adaptive limit on calls in flight.
#[derive(Debug)]
pub(crate) struct InFlight {
    permits: Semaphore,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Calls allowed at once now.
    limit: usize,
    /// The starting limit: the floor for failures other than throttling.
    initial: usize,
    max: usize,
    slow_start: bool,
    /// Successes since the limit last grew.
    successes: usize,
    /// Calls completed since the limit last shrank: a throttle counts only after a
    /// limit's worth, so that one burst halves the limit once.
    since_shrink: usize,
    /// Permits to drop as they come back, after a shrink.
    debt: usize,
}

/// A call's place in flight, given back when dropped.
#[derive(Debug)]
pub(crate) struct Place<'a> {
    permit: Option<SemaphorePermit<'a>>,
    owner: &'a InFlight,
}

impl InFlight {
    /// Starts at `initial` calls at once, grows to at most `max` (at least `initial`).
    pub(crate) fn new(initial: usize, max: usize) -> Self {
        let initial = initial.max(1);
        Self {
            permits: Semaphore::new(initial),
            state: Mutex::new(State {
                limit: initial,
                initial,
                max: max.max(initial),
                slow_start: true,
                successes: 0,
                since_shrink: initial,
                debt: 0,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a place.
    pub(crate) async fn enter(&self) -> Place<'_> {
        Place {
            // The semaphore is never closed; `None` would only mean no bound.
            permit: self.permits.acquire().await.ok(),
            owner: self,
        }
    }

    /// Calls allowed at once now.
    pub(crate) fn limit(&self) -> usize {
        self.state().limit
    }

    /// A call succeeded: the limit may grow.
    pub(crate) fn succeeded(&self) {
        let mut s = self.state();
        s.since_shrink += 1;
        s.successes += 1;
        if s.successes < s.limit || s.limit >= s.max {
            return;
        }
        s.successes = 0;
        let grown = if s.slow_start { s.limit * 2 } else { s.limit + 1 }.min(s.max);
        let mut added = grown - s.limit;
        s.limit = grown;
        // Permits still owed from a shrink are forgiven before new ones are made.
        let forgiven = added.min(s.debt);
        s.debt -= forgiven;
        added -= forgiven;
        drop(s);
        self.permits.add_permits(added);
    }

    /// A call was throttled (503 SlowDown, 429): the limit halves.
    pub(crate) fn throttled(&self) {
        self.shrink(false);
    }

    /// A call failed in a way worth retrying, other than throttling: the limit halves,
    /// down to the starting concurrency at least.
    pub(crate) fn failed_transiently(&self) {
        self.shrink(true);
    }

    /// A call failed for good (denied, not found): it counts as completed.
    pub(crate) fn failed(&self) {
        self.state().since_shrink += 1;
    }

    /// Halves the limit, down to 1, or to the starting limit when `keep_start`.
    fn shrink(&self, keep_start: bool) {
        let mut s = self.state();
        let floor = if keep_start { s.initial } else { 1 };
        s.since_shrink += 1;
        if s.since_shrink <= s.limit {
            return;
        }
        let halved = (s.limit / 2).max(floor).max(1);
        s.slow_start = false;
        s.successes = 0;
        s.since_shrink = 0;
        if halved >= s.limit {
            return;
        }
        // Idle places go at once; places in use are owed and go as they come back.
        let owed = s.limit - halved;
        s.debt += owed - self.permits.forget_permits(owed);
        s.limit = halved;
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else { return };
        let mut s = self.owner.state();
        if s.debt > 0 {
            s.debt -= 1;
            permit.forget();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Places in flight at most, entering `n` at once without leaving.
    async fn fill(f: &InFlight) -> usize {
        let mut held = Vec::new();
        while let Ok(Some(p)) =
            tokio::time::timeout(std::time::Duration::from_millis(5), async { Some(f.enter().await) }).await
        {
            held.push(p);
        }
        held.len()
    }

    #[tokio::test]
    async fn slow_start_doubles_up_to_the_maximum() {
        let f = InFlight::new(4, 20);
        assert_eq!(fill(&f).await, 4);
        for _ in 0..4 {
            f.succeeded();
        }
        assert_eq!(f.limit(), 8);
        for _ in 0..8 {
            f.succeeded();
        }
        assert_eq!(f.limit(), 16);
        for _ in 0..16 {
            f.succeeded();
        }
        assert_eq!(f.limit(), 20, "capped at the maximum");
        assert_eq!(fill(&f).await, 20);
    }

    #[tokio::test]
    async fn a_throttle_halves_once_per_burst_then_growth_is_additive() {
        let f = InFlight::new(16, 64);
        for _ in 0..16 {
            f.succeeded();
        }
        assert_eq!(f.limit(), 32);
        // A burst of throttles from calls sent under the old limit halves it once.
        for _ in 0..10 {
            f.throttled();
        }
        assert_eq!(f.limit(), 16);
        assert_eq!(fill(&f).await, 16, "the places owed are taken back");
        for _ in 0..16 {
            f.succeeded();
        }
        assert_eq!(f.limit(), 17, "no more doubling after a throttle");
        // Throttles count again once a limit's worth of calls has completed since
        // (the 9 throttles ignored and the 16 successes).
        f.throttled();
        assert_eq!(f.limit(), 8);
        for _ in 0..8 {
            f.failed();
        }
        f.throttled();
        assert_eq!(f.limit(), 4);
        assert_eq!(fill(&f).await, 4);
    }

    #[tokio::test]
    async fn other_transient_failures_halve_down_to_the_start_only() {
        let f = InFlight::new(16, 128);
        for n in [16, 32, 64] {
            for _ in 0..n {
                f.succeeded();
            }
        }
        assert_eq!(f.limit(), 128);
        f.failed_transiently();
        assert_eq!(f.limit(), 64);
        for _ in 0..64 {
            f.failed();
        }
        f.failed_transiently();
        assert_eq!(f.limit(), 32);
        for _ in 0..1000 {
            f.failed_transiently();
        }
        assert_eq!(f.limit(), 16, "never below the start");
        for _ in 0..16 {
            f.succeeded();
        }
        assert_eq!(f.limit(), 17, "growth is additive after a failure");
        f.throttled();
        assert_eq!(f.limit(), 8, "throttling goes below the start");
    }

    #[tokio::test]
    async fn the_limit_never_drops_below_one_and_a_fixed_limit_stays() {
        let f = InFlight::new(2, 2);
        for _ in 0..10 {
            f.succeeded();
        }
        assert_eq!(f.limit(), 2, "the maximum equals the start: fixed");
        for _ in 0..10 {
            f.throttled();
            for _ in 0..2 {
                f.failed();
            }
        }
        assert_eq!(f.limit(), 1);
        assert_eq!(fill(&f).await, 1);
    }
}
