//! `[faults]`: latency, `error_rate`, `[[faults.inject]]` rules, `[[faults.burst]]`
//! and `[faults.request_rate]`, every value bounded.

use std::time::Duration;

use super::error::ScenarioError;
use super::load::MAX_LATENCY_MS;
use super::model::FaultsSpec;
use super::raw::{RawBurst, RawFaults, RawRequestRate};
use crate::sim::faults::{Burst, FaultKind, FaultRule, RequestRate};

/// The longest a stalled body may stop: a minute, like `latency_ms`; past that the
/// client's own timeouts decide, and nothing in a scenario may hang a run.
pub const MAX_STALL_MS: u64 = 60_000;

/// How long a `stalled_body` stops when its rule gives no `stall_ms`.
pub const DEFAULT_STALL_MS: u64 = 2_000;

/// The longest a burst may last. A client retrying throttling as the AWS SDKs' standard
/// mode does waits about a second, then two, then four...: a burst much longer than
/// ten seconds outlasts the retries of most clients and is an outage, not a burst.
pub const MAX_BURST_MS: u64 = 10_000;

/// The longest window a burst is drawn in: an hour.
pub const MAX_BURST_EVERY_MS: u64 = 3_600_000;

/// The highest request rate per prefix a scenario may set. S3 documents its rates as
/// minimums that grow as it partitions a busy prefix; a million a second is beyond what
/// any client of the simulator makes, so no limit at all.
pub const MAX_REQUEST_RATE: u64 = 1_000_000;

/// The operations a rule may name: those the simulator routes.
const OPERATIONS: [&str; 24] = [
    "ListBuckets",
    "ListObjectsV2",
    "ListObjects",
    "GetBucketLocation",
    "GetBucketPolicy",
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "ListMultipartUploads",
    "HeadBucket",
    "CreateBucket",
    "DeleteBucket",
    "DeleteObjects",
    "ListParts",
    "GetObject",
    "HeadObject",
    "UploadPart",
    "UploadPartCopy",
    "CopyObject",
    "PutObject",
    "AbortMultipartUpload",
    "DeleteObject",
    "CreateMultipartUpload",
    "CompleteMultipartUpload",
    "GetObjectAttributes",
];

/// A rule's `operations`, each one the simulator routes.
fn operations(
    raw: Option<Vec<toml::Spanned<String>>>,
    err: &impl Fn(usize, String) -> ScenarioError,
) -> Result<Vec<String>, ScenarioError> {
    let mut operations = Vec::new();
    for op in raw.unwrap_or_default() {
        if !OPERATIONS.contains(&op.get_ref().as_str()) {
            return Err(err(
                op.span().start,
                format!(
                    "unknown operation `{}`; expected an S3 operation name such as GetObject or ListObjectsV2",
                    op.get_ref()
                ),
            ));
        }
        operations.push(op.into_inner());
    }
    Ok(operations)
}

/// One `[[faults.burst]]`: `length_ms` from 1 to [`MAX_BURST_MS`], in windows of
/// `every_ms`, at least twice as long (bursts cover at most half of the time) and at
/// most [`MAX_BURST_EVERY_MS`].
fn burst(raw: RawBurst, err: &impl Fn(usize, String) -> ScenarioError) -> Result<Burst, ScenarioError> {
    let length = *raw.length_ms.get_ref();
    if !(1..=MAX_BURST_MS).contains(&length) {
        return Err(err(
            raw.length_ms.span().start,
            format!(
                "`length_ms` must be from 1 to {MAX_BURST_MS} ms, found {length}: a longer burst outlasts a client's retries"
            ),
        ));
    }
    let every = *raw.every_ms.get_ref();
    if every > MAX_BURST_EVERY_MS {
        return Err(err(
            raw.every_ms.span().start,
            format!("`every_ms` must be at most {MAX_BURST_EVERY_MS} ms (an hour), found {every}"),
        ));
    }
    if every < 2 * length {
        return Err(err(
            raw.every_ms.span().start,
            format!(
                "`every_ms` must be at least twice `length_ms` ({}), found {every}: bursts cover at most half of the time",
                2 * length
            ),
        ));
    }
    Ok(Burst {
        every: Duration::from_millis(every),
        length: Duration::from_millis(length),
        operations: operations(raw.operations, err)?,
        prefix: raw.prefix,
    })
}

/// `[faults.request_rate]`: each rate from 1 to [`MAX_REQUEST_RATE`], S3's documented
/// rates by default.
fn request_rate(
    raw: RawRequestRate,
    err: &impl Fn(usize, String) -> ScenarioError,
) -> Result<RequestRate, ScenarioError> {
    let one = |v: Option<toml::Spanned<u64>>, name: &str, default: u32| match v {
        None => Ok(default),
        Some(v) => {
            let n = *v.get_ref();
            match u32::try_from(n) {
                Ok(n) if (1..=MAX_REQUEST_RATE).contains(&u64::from(n)) => Ok(n),
                _ => Err(err(
                    v.span().start,
                    format!("`{name}` must be from 1 to {MAX_REQUEST_RATE} requests per second, found {n}"),
                )),
            }
        }
    };
    Ok(RequestRate {
        reads_per_second: one(
            raw.reads_per_second,
            "reads_per_second",
            RequestRate::S3.reads_per_second,
        )?,
        writes_per_second: one(
            raw.writes_per_second,
            "writes_per_second",
            RequestRate::S3.writes_per_second,
        )?,
    })
}

fn rate(
    v: f64,
    name: &str,
    offset: usize,
    err: &impl Fn(usize, String) -> ScenarioError,
) -> Result<f64, ScenarioError> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(err(offset, format!("`{name}` must be between 0.0 and 1.0, found {v}")))
    }
}

/// Validates `[faults]`; `err` positions a message in the scenario file.
pub(super) fn load(raw: RawFaults, err: impl Fn(usize, String) -> ScenarioError) -> Result<FaultsSpec, ScenarioError> {
    let error_rate = match &raw.error_rate {
        Some(r) => rate(*r.get_ref(), "error_rate", r.span().start, &err)?,
        None => 0.0,
    };
    let latency_ms = match &raw.latency_ms {
        Some(l) if *l.get_ref() > MAX_LATENCY_MS => {
            return Err(err(
                l.span().start,
                format!(
                    "`latency_ms` {} is more than {MAX_LATENCY_MS} ms: clients time out long before that",
                    l.get_ref()
                ),
            ));
        }
        Some(l) => *l.get_ref(),
        None => 0,
    };
    let latency_p99_ms = match &raw.latency_p99_ms {
        None => None,
        Some(p) => {
            let v = *p.get_ref();
            if v > MAX_LATENCY_MS {
                return Err(err(
                    p.span().start,
                    format!("`latency_p99_ms` {v} is more than {MAX_LATENCY_MS} ms: clients time out long before that"),
                ));
            }
            if latency_ms == 0 || v < latency_ms {
                return Err(err(
                    p.span().start,
                    format!(
                        "`latency_p99_ms` {v} needs a `latency_ms` (the median) of at least 1 and at most {v}, found {latency_ms}"
                    ),
                ));
            }
            Some(v)
        }
    };
    let mut total = error_rate;
    let mut rules = Vec::new();
    for r in raw.inject {
        let kind = FaultKind::from_name(r.kind.get_ref()).ok_or_else(|| {
            let names: Vec<&str> = FaultKind::ALL.iter().map(|k| k.name()).collect();
            err(
                r.kind.span().start,
                format!(
                    "unknown fault kind `{}`; expected one of: {}",
                    r.kind.get_ref(),
                    names.join(", ")
                ),
            )
        })?;
        let rule_rate = rate(*r.rate.get_ref(), "rate", r.rate.span().start, &err)?;
        total += rule_rate;
        if total > 1.0 + 1e-9 {
            return Err(err(
                r.rate.span().start,
                format!("the rates of `error_rate` and every `[[faults.inject]]` add up to {total}, more than 1.0"),
            ));
        }
        if kind == FaultKind::ErrorIn200
            && let Some(op) = r
                .operations
                .iter()
                .flatten()
                .find(|op| !matches!(op.get_ref().as_str(), "CompleteMultipartUpload" | "CopyObject"))
            && OPERATIONS.contains(&op.get_ref().as_str())
        {
            return Err(err(
                op.span().start,
                format!(
                    "`error_in_200` applies to CompleteMultipartUpload and CopyObject only (S3 answers 200 with an error body to no other operation), found `{}`",
                    op.get_ref()
                ),
            ));
        }
        let operations = operations(r.operations, &err)?;
        let stall = match (&r.stall_ms, kind) {
            (Some(s), FaultKind::StalledBody) if *s.get_ref() > MAX_STALL_MS => {
                return Err(err(
                    s.span().start,
                    format!(
                        "`stall_ms` {} is more than {MAX_STALL_MS} ms: a stall that long is a request that never answers (kind `no_answer`)",
                        s.get_ref()
                    ),
                ));
            }
            (Some(s), FaultKind::StalledBody) => *s.get_ref(),
            (Some(s), _) => {
                return Err(err(
                    s.span().start,
                    format!("`stall_ms` applies to kind `stalled_body` only, not `{}`", kind.name()),
                ));
            }
            (None, FaultKind::StalledBody) => DEFAULT_STALL_MS,
            (None, _) => 0,
        };
        rules.push(FaultRule {
            kind,
            rate: rule_rate,
            operations,
            prefix: r.prefix,
            stall: Duration::from_millis(stall),
        });
    }
    let bursts = raw
        .burst
        .into_iter()
        .map(|b| burst(b, &err))
        .collect::<Result<Vec<_>, _>>()?;
    let request_rate = raw
        .request_rate
        .map(|r| request_rate(r.into_inner(), &err))
        .transpose()?;
    Ok(FaultsSpec {
        latency_ms,
        latency_p99_ms,
        error_rate,
        seed: raw.seed.unwrap_or(1),
        rules,
        bursts,
        request_rate,
    })
}
