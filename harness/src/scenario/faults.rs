//! `[faults]`: latency, `error_rate` and `[[faults.inject]]` rules, every value bounded.

use std::time::Duration;

use super::error::ScenarioError;
use super::load::MAX_LATENCY_MS;
use super::model::FaultsSpec;
use super::raw::RawFaults;
use crate::sim::faults::{FaultKind, FaultRule};

/// The longest a stalled body may stop: a minute, like `latency_ms`; past that the
/// client's own timeouts decide, and nothing in a scenario may hang a run.
pub const MAX_STALL_MS: u64 = 60_000;

/// How long a `stalled_body` stops when its rule gives no `stall_ms`.
pub const DEFAULT_STALL_MS: u64 = 2_000;

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
        let mut operations = Vec::new();
        for op in r.operations.unwrap_or_default() {
            if !OPERATIONS.contains(&op.get_ref().as_str()) {
                return Err(err(
                    op.span().start,
                    format!(
                        "unknown operation `{}`; expected an S3 operation name such as GetObject or ListObjectsV2",
                        op.get_ref()
                    ),
                ));
            }
            if kind == FaultKind::ErrorIn200
                && !matches!(op.get_ref().as_str(), "CompleteMultipartUpload" | "CopyObject")
            {
                return Err(err(
                    op.span().start,
                    format!(
                        "`error_in_200` applies to CompleteMultipartUpload and CopyObject only (S3 answers 200 with an error body to no other operation), found `{}`",
                        op.get_ref()
                    ),
                ));
            }
            operations.push(op.into_inner());
        }
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
    Ok(FaultsSpec {
        latency_ms,
        latency_p99_ms,
        error_rate,
        seed: raw.seed.unwrap_or(1),
        rules,
    })
}
