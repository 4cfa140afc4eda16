//! Fault and latency injection, applied in front of the store to every request.
//!
//! Deterministic by design (like object_store's `ThrottledStore`): the n-th request of
//! a simulator with a given seed always gets the same fate, so a failing scenario
//! replays exactly.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::scenario::FaultsSpec;

/// What the fault layer does.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Added before every request is handled.
    pub latency: Duration,
    /// Share of requests answered with a retryable error instead of being handled.
    pub error_rate: f64,
    /// Decides which requests fail: with the same seed and error rate, the n-th request
    /// of every run gets the same fate, so a failing scenario replays exactly.
    pub seed: u64,
}

impl From<&FaultsSpec> for FaultConfig {
    fn from(s: &FaultsSpec) -> Self {
        Self {
            latency: Duration::from_millis(s.latency_ms),
            error_rate: s.error_rate,
            seed: s.seed,
        }
    }
}

/// A retryable error S3 answers under load: 503 SlowDown or 500 InternalError
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedError {
    /// 503 SlowDown: the caller should reduce its request rate.
    SlowDown,
    /// 500 InternalError: a transient failure inside S3.
    InternalError,
}

impl InjectedError {
    /// The HTTP status code of the answer.
    pub fn status(self) -> u16 {
        match self {
            Self::SlowDown => 503,
            Self::InternalError => 500,
        }
    }

    /// The S3 error code in the answer's body and the request log.
    pub fn code(self) -> &'static str {
        match self {
            Self::SlowDown => "SlowDown",
            Self::InternalError => "InternalError",
        }
    }

    /// The error message in the answer's body, as S3 words it.
    pub fn message(self) -> &'static str {
        match self {
            Self::SlowDown => "Please reduce your request rate.",
            Self::InternalError => "We encountered an internal error. Please try again.",
        }
    }
}

/// The fault layer's state: the config and a request counter.
#[derive(Debug)]
pub struct Faults {
    /// What to inject, fixed for the simulator's lifetime.
    pub config: FaultConfig,
    counter: AtomicU64,
}

impl Faults {
    /// A fault layer that has seen no request yet: the next request is the first of
    /// the seed's sequence.
    pub fn new(config: FaultConfig) -> Self {
        Self {
            config,
            counter: AtomicU64::new(0),
        }
    }

    /// The fate of the next request.
    pub fn next(&self) -> Option<InjectedError> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        if self.config.error_rate <= 0.0 {
            return None;
        }
        let r = splitmix64(self.config.seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
        if unit >= self.config.error_rate {
            return None;
        }
        Some(if r & 1 == 0 {
            InjectedError::SlowDown
        } else {
            InjectedError::InternalError
        })
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(rate: f64, seed: u64) -> Faults {
        Faults::new(FaultConfig {
            latency: Duration::ZERO,
            error_rate: rate,
            seed,
        })
    }

    #[test]
    fn rate_zero_and_one() {
        let never = faults(0.0, 1);
        assert!((0..1000).all(|_| never.next().is_none()));
        let always = faults(1.0, 1);
        assert!((0..1000).all(|_| always.next().is_some()));
    }

    #[test]
    fn same_seed_same_fates_and_rate_is_respected() {
        let a = faults(0.3, 7);
        let b = faults(0.3, 7);
        let fa: Vec<_> = (0..10_000).map(|_| a.next()).collect();
        let fb: Vec<_> = (0..10_000).map(|_| b.next()).collect();
        assert_eq!(fa, fb);
        let hits = fa.iter().filter(|f| f.is_some()).count();
        assert!((2700..3300).contains(&hits), "{hits} of 10000 at rate 0.3");
        assert!(fa.contains(&Some(InjectedError::SlowDown)) && fa.contains(&Some(InjectedError::InternalError)));
    }
}
