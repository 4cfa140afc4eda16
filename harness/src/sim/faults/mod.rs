//! Fault and latency injection, applied in front of the store to every request.
//!
//! Deterministic by design, whatever the arrival order or the client's concurrency: a
//! request's fate is a pure function of the seed, the request's identity (operation,
//! bucket, key, the query parameters and headers that select what is answered) and how
//! many times that same identity was asked before. A retry of a request gets a fresh
//! draw (its attempt number differs), which is again the same on every run, so a
//! faulted scenario replays exactly while the client runs many requests at once.
//!
//! Two kinds depend on time instead and are decided first (`timed`): SlowDown bursts
//! and S3's request rate per prefix. They do not disturb the drawn faults.

mod answer;
mod identity;
mod rules;
mod timed;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::time::Duration;

pub(crate) use answer::before;
pub use answer::{Early, NO_ANSWER_HOLD, apply};
pub use identity::RequestIdentity;
pub use rules::{FaultKind, FaultRule, InjectedError};
pub use timed::{Burst, RequestRate};

use crate::scenario::FaultsSpec;

/// What the fault layer does.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultConfig {
    /// The median delay added before a request is handled.
    pub latency: Duration,
    /// The 99th percentile of that delay. `None` (or equal to `latency`): every
    /// request waits exactly `latency`. Above it, delays are log-normal around
    /// `latency` with this tail.
    pub latency_p99: Option<Duration>,
    /// Share of requests answered with 503 SlowDown or 500 InternalError (half each),
    /// on top of `rules`.
    pub error_rate: f64,
    /// Decides which requests fail: with the same seed, the same request (and the
    /// same retry of it) gets the same fate on every run.
    pub seed: u64,
    /// Faults by kind, operation and key prefix, each at its own rate.
    pub rules: Vec<FaultRule>,
    /// Windows of time in which the requests they select are answered 503 SlowDown.
    pub bursts: Vec<Burst>,
    /// Requests per second per prefix past which S3 answers 503 SlowDown; `None`:
    /// no limit.
    pub request_rate: Option<RequestRate>,
}

impl From<&FaultsSpec> for FaultConfig {
    fn from(s: &FaultsSpec) -> Self {
        Self {
            latency: Duration::from_millis(s.latency_ms),
            latency_p99: s.latency_p99_ms.map(Duration::from_millis),
            error_rate: s.error_rate,
            seed: s.seed,
            rules: s.rules.clone(),
            bursts: s.bursts.clone(),
            request_rate: s.request_rate,
        }
    }
}

impl FaultConfig {
    /// The rules in force: `rules`, then `error_rate` as two rules of half its rate
    /// each (503 SlowDown and 500 InternalError) on every operation.
    fn effective_rules(&self) -> Vec<FaultRule> {
        let mut rules = self.rules.clone();
        if self.error_rate > 0.0 {
            for kind in [FaultKind::SlowDown, FaultKind::InternalError] {
                rules.push(FaultRule::everywhere(kind, self.error_rate / 2.0));
            }
        }
        rules
    }
}

/// Identities remembered for attempt numbers; past this, the memory starts over (a
/// `serve` session of millions of requests keeps its memory flat, and a retry of a
/// request then draws as a first attempt again, still reproducibly).
const MAX_REMEMBERED: usize = 1 << 20;

/// The fault layer's state: the config and how often each request identity was seen.
#[derive(Debug)]
pub struct Faults {
    /// What to inject, fixed for the simulator's lifetime.
    pub config: FaultConfig,
    rules: Vec<FaultRule>,
    timed: timed::Timed,
    attempts: Mutex<HashMap<u128, u32>>,
    /// Cancelled when the simulator stops: requests held unanswered are let go then,
    /// so that shutdown does not wait for them.
    released: tokio_util::sync::CancellationToken,
}

/// What happens to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Fate {
    /// Waited before anything else.
    pub delay: Duration,
    /// The fault injected, if any.
    pub fault: Option<FaultKind>,
    /// How long a stalled body stops, from the rule that picked the fault.
    pub stall: Duration,
}

impl Faults {
    /// A fault layer that has seen no request yet.
    pub fn new(config: FaultConfig) -> Self {
        Self {
            rules: config.effective_rules(),
            timed: timed::Timed::new(config.seed, config.bursts.clone(), config.request_rate),
            config,
            attempts: Mutex::new(HashMap::new()),
            released: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// Lets go of every request held unanswered, now and from now on.
    pub fn release_held(&self) {
        self.released.cancel();
    }

    /// Waits until the simulator stops: how a request that never answers waits.
    pub(crate) async fn held(&self, at_most: Duration) {
        tokio::select! {
            () = self.released.cancelled() => {}
            () = tokio::time::sleep(at_most) => {}
        }
    }

    /// The fate of a request arriving now: 503 SlowDown when a burst or its prefix's
    /// request rate throttles it (after the median latency), else its drawn fate
    /// ([`Self::decide`]). A throttled request takes no attempt number, so the drawn
    /// fates of every request stay what they are without throttling.
    pub fn decide_now(&self, request: &RequestIdentity) -> Fate {
        if !self.timed.is_empty()
            && let Some(kind) = self.timed.decide(request, std::time::Instant::now())
        {
            return Fate {
                delay: self.config.latency,
                fault: Some(kind),
                stall: Duration::ZERO,
            };
        }
        self.decide(request)
    }

    /// Whether some faults depend on when requests arrive (bursts, a request rate).
    pub fn has_timed(&self) -> bool {
        !self.timed.is_empty()
    }

    /// The fate of a request, drawn from the seed, its identity and its attempt
    /// number (how many times this identity came before, from 0).
    pub fn decide(&self, request: &RequestIdentity) -> Fate {
        let id = request.digest();
        let attempt = {
            let mut seen = self.attempts.lock().unwrap_or_else(PoisonError::into_inner);
            if seen.len() >= MAX_REMEMBERED && !seen.contains_key(&id) {
                seen.clear();
            }
            let n = seen.entry(id).or_insert(0);
            let attempt = *n;
            *n = n.saturating_add(1);
            attempt
        };
        self.fate(request, id, attempt)
    }

    fn fate(&self, request: &RequestIdentity, id: u128, attempt: u32) -> Fate {
        let draw = Draw::new(self.config.seed, id, attempt);
        let delay = self.delay(&draw);
        let u = draw.unit(0);
        let mut acc = 0.0;
        let mut fault = None;
        let mut stall = Duration::ZERO;
        for rule in &self.rules {
            if !rule.matches(request) {
                continue;
            }
            acc += rule.rate;
            if u < acc {
                fault = Some(rule.kind);
                stall = rule.stall;
                break;
            }
        }
        Fate { delay, fault, stall }
    }

    fn delay(&self, draw: &Draw) -> Duration {
        let median = self.config.latency;
        let Some(p99) = self.config.latency_p99.filter(|p| *p > median && !median.is_zero()) else {
            return median;
        };
        // Log-normal: median e^mu, p99 e^(mu + z99 sigma), so sigma = ln(p99/p50)/z99.
        const Z99: f64 = 2.326_347_874;
        let sigma = (p99.as_secs_f64() / median.as_secs_f64()).ln() / Z99;
        let z = draw.normal();
        let secs = median.as_secs_f64() * (sigma * z).exp();
        // A draw far in the tail is bounded so that no request waits unboundedly.
        Duration::from_secs_f64(secs.min(p99.as_secs_f64() * 10.0))
    }
}

/// The pseudo-random words of one request's fate.
struct Draw {
    base: u64,
}

impl Draw {
    fn new(seed: u64, id: u128, attempt: u32) -> Self {
        let folded = (id as u64) ^ ((id >> 64) as u64).rotate_left(17);
        Self {
            base: splitmix64(seed ^ splitmix64(folded ^ u64::from(attempt).wrapping_mul(0xa076_1d64_78bd_642f))),
        }
    }

    fn word(&self, i: u64) -> u64 {
        splitmix64(self.base ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// Uniform in [0, 1).
    fn unit(&self, i: u64) -> f64 {
        (self.word(i) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    fn normal(&self) -> f64 {
        let u1 = self.unit(1).max(f64::MIN_POSITIVE);
        let u2 = self.unit(2);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
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
            error_rate: rate,
            seed,
            ..FaultConfig::default()
        })
    }

    fn get(key: &str) -> RequestIdentity {
        RequestIdentity::new("GetObject", "GET", Some("b"), Some(key), Vec::new(), Vec::new())
    }

    #[test]
    fn rate_zero_and_one() {
        let never = faults(0.0, 1);
        assert!((0..1000).all(|i| never.decide(&get(&format!("k{i}"))).fault.is_none()));
        let always = faults(1.0, 1);
        assert!((0..1000).all(|i| always.decide(&get(&format!("k{i}"))).fault.is_some()));
    }

    #[test]
    fn a_fate_depends_on_the_request_not_on_arrival_order() {
        let keys: Vec<String> = (0..2000).map(|i| format!("data/t/{i}.csv")).collect();
        let a = faults(0.3, 7);
        let b = faults(0.3, 7);
        let forward: HashMap<&str, Option<FaultKind>> =
            keys.iter().map(|k| (k.as_str(), a.decide(&get(k)).fault)).collect();
        let backward: HashMap<&str, Option<FaultKind>> = keys
            .iter()
            .rev()
            .map(|k| (k.as_str(), b.decide(&get(k)).fault))
            .collect();
        assert_eq!(forward, backward);
        let hits = forward.values().filter(|f| f.is_some()).count();
        assert!((500..700).contains(&hits), "{hits} of 2000 at rate 0.3");
        assert!(forward.values().any(|f| *f == Some(FaultKind::SlowDown)));
        assert!(forward.values().any(|f| *f == Some(FaultKind::InternalError)));
        // Another seed fails other requests.
        let c = faults(0.3, 8);
        let other: HashMap<&str, Option<FaultKind>> =
            keys.iter().map(|k| (k.as_str(), c.decide(&get(k)).fault)).collect();
        assert_ne!(forward, other);
    }

    #[test]
    fn a_retry_draws_again_and_replays() {
        let a = faults(0.5, 3);
        let b = faults(0.5, 3);
        let fates = |f: &Faults| (0..64).map(|_| f.decide(&get("k")).fault).collect::<Vec<_>>();
        let (fa, fb) = (fates(&a), fates(&b));
        assert_eq!(fa, fb);
        assert!(
            fa.iter().any(Option::is_some) && fa.iter().any(Option::is_none),
            "{fa:?}"
        );
    }

    #[test]
    fn rules_select_by_operation_and_prefix() {
        let f = Faults::new(FaultConfig {
            rules: vec![FaultRule {
                kind: FaultKind::Reset,
                rate: 1.0,
                operations: vec!["GetObject".to_owned()],
                prefix: Some("data/bad/".to_owned()),
                stall: Duration::ZERO,
            }],
            ..FaultConfig::default()
        });
        assert_eq!(f.decide(&get("data/bad/a.csv")).fault, Some(FaultKind::Reset));
        assert_eq!(f.decide(&get("data/good/a.csv")).fault, None);
        let head = RequestIdentity::new("HeadObject", "HEAD", Some("b"), Some("data/bad/a.csv"), vec![], vec![]);
        assert_eq!(f.decide(&head).fault, None);
    }

    #[test]
    fn throttled_requests_leave_the_drawn_fates_alone() {
        let config = |request_rate| FaultConfig {
            error_rate: 0.5,
            seed: 5,
            request_rate,
            ..FaultConfig::default()
        };
        let plain = Faults::new(config(None));
        let throttled = Faults::new(config(Some(RequestRate {
            reads_per_second: 50,
            writes_per_second: 50,
        })));
        // 60 requests on one prefix: past the first 50, each is throttled until a token
        // comes back (every 20 ms) and retried, as a client would.
        let drawn = |f: &Faults| {
            let mut fates = Vec::new();
            let mut throttles = 0;
            for i in 0..60 {
                let fate = loop {
                    let fate = f.decide_now(&get(&format!("d/k{}", i % 7)));
                    match fate.fault {
                        Some(kind) if kind.is_timed() => {
                            throttles += 1;
                            std::thread::sleep(Duration::from_millis(2));
                        }
                        other => break other,
                    }
                };
                fates.push(fate);
            }
            (fates, throttles)
        };
        let ((a, none), (b, some)) = (drawn(&plain), drawn(&throttled));
        assert_eq!(a, b);
        assert!(a.iter().any(Option::is_some) && a.iter().any(Option::is_none));
        assert_eq!(none, 0);
        assert!(some > 0);
        assert!(throttled.has_timed() && !plain.has_timed());
    }

    #[test]
    fn latency_has_a_median_and_a_tail() {
        let f = Faults::new(FaultConfig {
            latency: Duration::from_millis(10),
            latency_p99: Some(Duration::from_millis(100)),
            ..FaultConfig::default()
        });
        let mut delays: Vec<Duration> = (0..4000).map(|i| f.decide(&get(&format!("k{i}"))).delay).collect();
        delays.sort();
        let (p50, p99) = (delays[2000], delays[3960]);
        assert!(
            p50 > Duration::from_millis(8) && p50 < Duration::from_millis(12),
            "{p50:?}"
        );
        assert!(
            p99 > Duration::from_millis(70) && p99 < Duration::from_millis(140),
            "{p99:?}"
        );
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(1000)));
    }
}
