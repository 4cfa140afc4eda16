//! Faults that depend on when requests arrive: SlowDown bursts, and S3's request rate
//! per prefix.
//!
//! The other faults are drawn per request and replay exactly whatever the timing.
//! These cannot: a burst's schedule is seeded, but which requests land in it depends on
//! when they arrive; a prefix past its request rate throttles whichever requests come
//! next. What stays reproducible is everything else: they are decided before the drawn
//! faults and take no attempt number from them, so a request they throttle meets, once
//! retried, the drawn fate it would have met unthrottled. A client that retries
//! throttling reports the same as without them; only how many requests were throttled
//! varies.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::identity::RequestIdentity;
use super::rules::{FaultKind, selects};

/// Windows of time in which every request selected is answered 503 SlowDown: one burst
/// of `length` in each window of `every`, at an offset within the window drawn from the
/// seed and the window's number.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    /// The length of each window (one burst each).
    pub every: Duration,
    /// How long each burst lasts; shorter than `every`.
    pub length: Duration,
    /// Operations it applies to; empty: all.
    pub operations: Vec<String>,
    /// Object keys (or listing prefixes) it applies to; `None`: every request.
    pub prefix: Option<String>,
}

impl Burst {
    /// Whether `at` (time since the simulator started) falls in one of the bursts of
    /// this schedule (the `index`-th of the scenario, under `seed`).
    pub fn active(&self, seed: u64, index: u64, at: Duration) -> bool {
        let every = self.every.as_nanos().max(1);
        let length = self.length.as_nanos().min(every);
        let window = at.as_nanos() / every;
        let into = at.as_nanos() % every;
        let word = super::splitmix64(seed ^ super::splitmix64(index ^ (window as u64).rotate_left(32)));
        let unit = (word >> 11) as f64 / (1u64 << 53) as f64;
        let offset = (unit * (every - length) as f64) as u128;
        into >= offset && into < offset + length
    }
}

/// S3's request rate per prefix: past it, S3 answers 503 SlowDown until the rate drops
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html>:
/// at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per
/// partitioned prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRate {
    /// GET and HEAD requests per second per prefix.
    pub reads_per_second: u32,
    /// PUT, POST, DELETE (and so COPY) requests per second per prefix.
    pub writes_per_second: u32,
}

impl RequestRate {
    /// The rates S3 documents.
    pub const S3: Self = Self {
        reads_per_second: 5_500,
        writes_per_second: 3_500,
    };
}

/// The prefix a request counts against: its bucket, and the key up to its last `/`
/// (for a listing, its `prefix` parameter's). S3 partitions a bucket by key prefix as
/// load requires; a key's directory is the simplest stand-in that keeps the tables and
/// partitions of a layout apart.
fn rate_prefix(request: &RequestIdentity) -> String {
    let bucket = request.bucket.as_deref().unwrap_or_default();
    let path = request
        .key
        .as_deref()
        .or_else(|| request.listing_prefix())
        .unwrap_or_default();
    let dir = path.rfind('/').map_or("", |i| &path[..=i]);
    format!("{bucket}/{dir}")
}

/// Prefixes remembered; past this, the memory starts over (every prefix full again).
const MAX_PREFIXES: usize = 1 << 16;

/// A token bucket per prefix and direction: `rate` tokens a second, holding at most one
/// second's worth, so that a prefix at rest takes a second's requests at once.
#[derive(Debug)]
struct Limiter {
    rate: RequestRate,
    buckets: Mutex<HashMap<(String, bool), (f64, Instant)>>,
}

impl Limiter {
    fn admit(&self, request: &RequestIdentity, now: Instant) -> bool {
        let read = request.is_read();
        let per_second = f64::from(if read {
            self.rate.reads_per_second
        } else {
            self.rate.writes_per_second
        });
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (rate_prefix(request), read);
        if buckets.len() >= MAX_PREFIXES && !buckets.contains_key(&key) {
            buckets.clear();
        }
        let (tokens, last) = buckets.entry(key).or_insert((per_second, now));
        let refill = now.saturating_duration_since(*last).as_secs_f64() * per_second;
        *tokens = (*tokens + refill).min(per_second);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The time-dependent faults of one simulator.
#[derive(Debug)]
pub(super) struct Timed {
    seed: u64,
    started: Instant,
    bursts: Vec<Burst>,
    limiter: Option<Limiter>,
}

impl Timed {
    pub(super) fn new(seed: u64, bursts: Vec<Burst>, rate: Option<RequestRate>) -> Self {
        Self {
            seed,
            started: Instant::now(),
            bursts,
            limiter: rate.map(|rate| Limiter {
                rate,
                buckets: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Whether there is anything to decide.
    pub(super) fn is_empty(&self) -> bool {
        self.bursts.is_empty() && self.limiter.is_none()
    }

    /// The timed fault of `request` arriving at `now`, if any: a burst first (a
    /// throttled request takes none of its prefix's rate), then the request rate.
    pub(super) fn decide(&self, request: &RequestIdentity, now: Instant) -> Option<FaultKind> {
        let at = now.saturating_duration_since(self.started);
        let in_burst =
            self.bursts.iter().enumerate().any(|(i, b)| {
                selects(&b.operations, b.prefix.as_deref(), request) && b.active(self.seed, i as u64, at)
            });
        if in_burst {
            return Some(FaultKind::SlowDownBurst);
        }
        match &self.limiter {
            Some(limiter) if !limiter.admit(request, now) => Some(FaultKind::RateLimited),
            _ => None,
        }
    }

    #[cfg(test)]
    pub(super) fn started(&self) -> Instant {
        self.started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(key: &str) -> RequestIdentity {
        RequestIdentity::new("GetObject", "GET", Some("b"), Some(key), Vec::new(), Vec::new())
    }

    fn put(key: &str) -> RequestIdentity {
        RequestIdentity::new("PutObject", "PUT", Some("b"), Some(key), Vec::new(), Vec::new())
    }

    fn burst(every_ms: u64, length_ms: u64) -> Burst {
        Burst {
            every: Duration::from_millis(every_ms),
            length: Duration::from_millis(length_ms),
            operations: Vec::new(),
            prefix: None,
        }
    }

    #[test]
    fn one_seeded_burst_of_its_length_per_window() {
        let b = burst(1000, 100);
        for window in 0..20u64 {
            let active: Vec<bool> = (0..1000)
                .map(|ms| b.active(7, 0, Duration::from_millis(window * 1000 + ms)))
                .collect();
            assert_eq!(active.iter().filter(|a| **a).count(), 100, "window {window}");
            // One contiguous run.
            let starts = active.windows(2).filter(|w| !w[0] && w[1]).count() + usize::from(active[0]);
            assert_eq!(starts, 1, "window {window}");
        }
        // The seed (and the burst's place in the scenario) moves the bursts.
        let at = |seed, index| {
            (0..1000)
                .find(|ms| b.active(seed, index, Duration::from_millis(*ms)))
                .expect("a burst in the first window")
        };
        assert_eq!(at(7, 0), at(7, 0));
        assert!((1..20).any(|s| at(s, 0) != at(7, 0)));
        assert!((1..20).any(|i| at(7, i) != at(7, 0)));
    }

    #[test]
    fn a_prefix_past_its_rate_is_throttled_and_others_are_not() {
        let timed = Timed::new(
            1,
            Vec::new(),
            Some(RequestRate {
                reads_per_second: 10,
                writes_per_second: 2,
            }),
        );
        let t0 = timed.started();
        // A second's worth at once, then throttled.
        let hot: Vec<Option<FaultKind>> = (0..12).map(|i| timed.decide(&get(&format!("t/a/{i}")), t0)).collect();
        assert!(hot[..10].iter().all(Option::is_none), "{hot:?}");
        assert_eq!(hot[10..], [Some(FaultKind::RateLimited); 2]);
        // Another directory, and writes, have their own rates.
        assert_eq!(timed.decide(&get("t/b/0"), t0), None);
        assert_eq!(timed.decide(&put("t/a/x"), t0), None);
        assert_eq!(timed.decide(&put("t/a/y"), t0), None);
        assert_eq!(timed.decide(&put("t/a/z"), t0), Some(FaultKind::RateLimited));
        // A listing of the directory counts against it too.
        let list = RequestIdentity::new(
            "ListObjectsV2",
            "GET",
            Some("b"),
            None,
            vec![("prefix".into(), "t/a/".into())],
            Vec::new(),
        );
        assert_eq!(timed.decide(&list, t0), Some(FaultKind::RateLimited));
        // Tokens come back at the rate: 10 a second is one per 100 ms.
        let later = t0 + Duration::from_millis(250);
        assert_eq!(timed.decide(&get("t/a/0"), later), None);
        assert_eq!(timed.decide(&get("t/a/1"), later), None);
        assert_eq!(timed.decide(&get("t/a/2"), later), Some(FaultKind::RateLimited));
    }

    #[test]
    fn bursts_select_by_operation_and_prefix() {
        let timed = Timed::new(
            3,
            vec![Burst {
                operations: vec!["GetObject".to_owned()],
                prefix: Some("hot/".to_owned()),
                // Every instant is in the burst but the last nanosecond of a window.
                ..burst(1000, 999)
            }],
            None,
        );
        let t0 = timed.started();
        let in_burst = (0..10)
            .map(|ms| t0 + Duration::from_millis(ms * 97))
            .find(|t| timed.decide(&get("hot/a"), *t).is_some())
            .expect("the burst covers nearly all of the time");
        assert_eq!(timed.decide(&get("hot/a"), in_burst), Some(FaultKind::SlowDownBurst));
        assert_eq!(timed.decide(&get("cold/a"), in_burst), None);
        assert_eq!(timed.decide(&put("hot/a"), in_burst), None);
    }
}
