//! How the connector retries S3 calls: which failures are transient, how long to back
//! off, and a retry budget shared by every call of a connection.
//!
//! Modelled on the AWS SDKs' standard retry mode
//! (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>):
//! exponential backoff with full jitter, `rand[0,1) * min(base * 2^(retry-1), cap)`,
//! with a base of 50 ms (1 s after a throttling error), and a token bucket of 500
//! tokens from which each retry takes 5 (throttling) or 14 (other transient errors),
//! given back when the retried call succeeds. Two choices differ from the SDKs'
//! defaults, because a connection is validated once while its user waits: more
//! attempts (10, not 3), since a transient failure the SDK would surface becomes a
//! failed connection; and a lower cap on one backoff (5 s, not 20 s), so that ten
//! attempts end in seconds rather than minutes.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How the connector retries and times out S3 calls.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryOptions {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// The backoff base after a non-throttling transient error.
    pub base_delay: Duration,
    /// The backoff base after a throttling error (503 SlowDown).
    pub throttling_base_delay: Duration,
    /// No backoff is longer.
    pub max_backoff: Duration,
    /// Tokens in the retry budget for each `concurrency` calls in flight (the connector
    /// scales it with `max_concurrency`: 500 at 16 calls, 4,000 at 128).
    pub budget: u32,
    /// How long one attempt may wait for its answer (a listing: its whole page; a
    /// read: its headers).
    pub attempt_timeout: Duration,
    /// How long a body may go without a byte before the read is given up and retried.
    pub read_timeout: Duration,
    /// Seeds the jitter; `None` seeds it from the clock. Tests seed it (or set the
    /// bases to zero) so that backoffs are reproducible.
    pub jitter_seed: Option<u64>,
}

impl Default for RetryOptions {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base_delay: Duration::from_millis(50),
            throttling_base_delay: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
            budget: 500,
            // S3 answers small requests in tens of milliseconds; a request that has
            // not answered in seconds is better retried than waited for
            // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance-design-patterns.html,
            // "Timeouts and retries for latency-sensitive applications").
            attempt_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(5),
            jitter_seed: None,
        }
    }
}

impl RetryOptions {
    /// Retries with no backoff at all: for tests, which must not sleep.
    pub fn without_backoff() -> Self {
        Self {
            base_delay: Duration::ZERO,
            throttling_base_delay: Duration::ZERO,
            jitter_seed: Some(0),
            ..Self::default()
        }
    }
}

/// Why an attempt failed in a way another attempt may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transient {
    /// S3 asked to slow down (503 SlowDown, 429).
    Throttling,
    /// Any other transient failure: 500/502/503/504, 400 RequestTimeout, a reset or
    /// closed connection, a body cut short, a timeout.
    Other,
}

impl Transient {
    /// Tokens a retry after this failure takes from the budget.
    fn cost(self) -> u32 {
        match self {
            Self::Throttling => 5,
            Self::Other => 14,
        }
    }
}

/// The retry state shared by every call of one connection.
#[derive(Debug)]
pub(crate) struct Retrier {
    pub(crate) options: RetryOptions,
    tokens: Mutex<u32>,
    jitter: AtomicU64,
}

/// Leave to retry: the tokens it took, given back if the call then succeeds.
#[derive(Debug, Default)]
pub(crate) struct Held(u32);

impl Retrier {
    pub(crate) fn new(options: RetryOptions) -> Self {
        let seed = options.jitter_seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
        Self {
            tokens: Mutex::new(options.budget),
            options,
            jitter: AtomicU64::new(seed),
        }
    }

    /// Whether attempt `attempt` (from 1) failing with `why` may be retried; if so,
    /// the tokens are taken and the backoff to wait is returned.
    pub(crate) fn retry(&self, attempt: u32, why: Transient, held: &mut Held) -> Option<Duration> {
        if attempt >= self.options.max_attempts {
            return None;
        }
        {
            let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
            let cost = why.cost();
            if *tokens < cost {
                return None;
            }
            *tokens -= cost;
            held.0 += cost;
        }
        Some(self.backoff(attempt, why))
    }

    /// The call succeeded: its tokens go back to the budget.
    pub(crate) fn succeeded(&self, held: Held) {
        if held.0 > 0 {
            let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
            *tokens = (*tokens + held.0).min(self.options.budget);
        }
    }

    /// Full jitter: uniform in [0, min(base * 2^(attempt-1), max_backoff)).
    fn backoff(&self, attempt: u32, why: Transient) -> Duration {
        let base = match why {
            Transient::Throttling => self.options.throttling_base_delay,
            Transient::Other => self.options.base_delay,
        };
        let ceiling = base
            .checked_mul(1u32 << attempt.saturating_sub(1).min(20))
            .unwrap_or(self.options.max_backoff)
            .min(self.options.max_backoff);
        ceiling.mul_f64(self.unit())
    }

    fn unit(&self) -> f64 {
        let n = self.jitter.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded() -> RetryOptions {
        RetryOptions {
            jitter_seed: Some(42),
            ..RetryOptions::default()
        }
    }

    #[test]
    fn backoff_is_capped_exponential_with_full_jitter() {
        let r = Retrier::new(seeded());
        for attempt in 1..=9 {
            let ceiling = (Duration::from_millis(50) * (1 << (attempt - 1))).min(Duration::from_secs(5));
            let d = r.retry(attempt, Transient::Other, &mut Held::default()).unwrap();
            assert!(d < ceiling, "attempt {attempt}: {d:?} >= {ceiling:?}");
        }
        let throttled: Vec<Duration> = (0..200).map(|_| r.backoff(8, Transient::Throttling)).collect();
        assert!(throttled.iter().all(|d| *d < Duration::from_secs(5)));
        assert!(
            throttled.iter().any(|d| *d > Duration::from_secs(4)),
            "jitter spans the range"
        );
        assert!(
            throttled.iter().any(|d| *d < Duration::from_secs(1)),
            "jitter spans the range"
        );
        // The same seed gives the same backoffs.
        let (a, b) = (Retrier::new(seeded()), Retrier::new(seeded()));
        let da: Vec<Duration> = (1..5).map(|i| a.backoff(i, Transient::Other)).collect();
        let db: Vec<Duration> = (1..5).map(|i| b.backoff(i, Transient::Other)).collect();
        assert_eq!(da, db);
    }

    #[test]
    fn attempts_and_budget_bound_retries_and_success_gives_tokens_back() {
        let r = Retrier::new(RetryOptions::without_backoff());
        assert_eq!(r.retry(9, Transient::Other, &mut Held::default()), Some(Duration::ZERO));
        assert_eq!(r.retry(10, Transient::Other, &mut Held::default()), None);

        let r = Retrier::new(RetryOptions {
            budget: 30,
            ..RetryOptions::without_backoff()
        });
        let mut held = Held::default();
        assert!(r.retry(1, Transient::Other, &mut held).is_some());
        assert!(r.retry(2, Transient::Other, &mut held).is_some());
        // 2 tokens left: not even a throttling retry (5).
        assert!(r.retry(1, Transient::Throttling, &mut Held::default()).is_none());
        r.succeeded(held);
        assert!(r.retry(1, Transient::Throttling, &mut Held::default()).is_some());
    }
}
