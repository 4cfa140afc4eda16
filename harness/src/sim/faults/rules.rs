//! The kinds of fault S3 and the network between produce, and the rules that pick the
//! requests they hit.

use std::time::Duration;

use super::identity::RequestIdentity;

/// A fault the simulator can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 503 SlowDown: S3 asks the caller to reduce its request rate.
    SlowDown,
    /// 500 InternalError: a transient failure inside S3.
    InternalError,
    /// 400 RequestTimeout: S3 gave up waiting for the request; retryable.
    RequestTimeout,
    /// The connection is closed before any answer.
    Reset,
    /// The answer promises its Content-Length and the connection closes halfway
    /// through the body.
    TruncatedBody,
    /// The body stops (no byte) for the rule's `stall` halfway through, then goes on.
    StalledBody,
    /// No answer at all: the request is held until the client gives up (or the
    /// simulator stops).
    NoAnswer,
    /// 200 OK whose body is an InternalError: what S3 may answer to
    /// CompleteMultipartUpload and CopyObject once it has started answering.
    ErrorIn200,
    /// 503 SlowDown because the request arrived during a burst (`[[faults.burst]]`).
    /// Depends on when the request arrives, not only on what it is.
    SlowDownBurst,
    /// 503 SlowDown because its prefix was past its request rate
    /// (`[faults.request_rate]`). Depends on when the request arrives.
    RateLimited,
}

impl FaultKind {
    /// Every kind a `[[faults.inject]]` rule may name, in the order the scenario format
    /// documents them. The kinds that depend on time ([`Self::is_timed`]) come from
    /// their own tables instead.
    pub const ALL: [FaultKind; 8] = [
        Self::SlowDown,
        Self::InternalError,
        Self::RequestTimeout,
        Self::Reset,
        Self::TruncatedBody,
        Self::StalledBody,
        Self::NoAnswer,
        Self::ErrorIn200,
    ];

    /// The name scenario files, the request log and reports use.
    pub fn name(self) -> &'static str {
        match self {
            Self::SlowDown => "slow_down",
            Self::InternalError => "internal_error",
            Self::RequestTimeout => "request_timeout",
            Self::Reset => "reset",
            Self::TruncatedBody => "truncated_body",
            Self::StalledBody => "stalled_body",
            Self::NoAnswer => "no_answer",
            Self::ErrorIn200 => "error_in_200",
            Self::SlowDownBurst => "slow_down_burst",
            Self::RateLimited => "rate_limited",
        }
    }

    /// Whether the kind depends on when requests arrive: which requests it hits then
    /// varies from run to run, though its schedule is seeded.
    pub fn is_timed(self) -> bool {
        matches!(self, Self::SlowDownBurst | Self::RateLimited)
    }

    /// The kind a scenario names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The S3 error this kind answers with, when it answers with one.
    pub fn error(self) -> Option<InjectedError> {
        match self {
            Self::SlowDown | Self::SlowDownBurst | Self::RateLimited => Some(InjectedError::SlowDown),
            Self::InternalError | Self::ErrorIn200 => Some(InjectedError::InternalError),
            Self::RequestTimeout => Some(InjectedError::RequestTimeout),
            _ => None,
        }
    }
}

/// A retryable error S3 answers, with the status, code and message S3 gives it
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedError {
    /// 503 SlowDown: the caller should reduce its request rate.
    SlowDown,
    /// 500 InternalError: a transient failure inside S3.
    InternalError,
    /// 400 RequestTimeout: the connection was idle too long.
    RequestTimeout,
}

impl InjectedError {
    /// The HTTP status code of the answer.
    pub fn status(self) -> u16 {
        match self {
            Self::SlowDown => 503,
            Self::InternalError => 500,
            Self::RequestTimeout => 400,
        }
    }

    /// The S3 error code in the answer's body and the request log.
    pub fn code(self) -> &'static str {
        match self {
            Self::SlowDown => "SlowDown",
            Self::InternalError => "InternalError",
            Self::RequestTimeout => "RequestTimeout",
        }
    }

    /// The error message in the answer's body, as S3 words it.
    pub fn message(self) -> &'static str {
        match self {
            Self::SlowDown => "Please reduce your request rate.",
            Self::InternalError => "We encountered an internal error. Please try again.",
            Self::RequestTimeout => {
                "Your socket connection to the server was not read from or written to within the timeout period. \
                 Idle connections will be closed."
            }
        }
    }
}

/// One kind of fault at a rate, on the requests it selects.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// What is injected.
    pub kind: FaultKind,
    /// The share of the selected requests it hits, 0.0 to 1.0.
    pub rate: f64,
    /// Operations it applies to (`GetObject`, `ListObjectsV2`, ...); empty: all.
    pub operations: Vec<String>,
    /// Object keys (or, for listings, the `prefix` parameter) it applies to; `None`:
    /// every request.
    pub prefix: Option<String>,
    /// How long a [`FaultKind::StalledBody`] stops sending.
    pub stall: Duration,
}

impl FaultRule {
    /// `kind` at `rate` on every request.
    pub fn everywhere(kind: FaultKind, rate: f64) -> Self {
        Self {
            kind,
            rate,
            operations: Vec::new(),
            prefix: None,
            stall: Duration::ZERO,
        }
    }

    /// Whether the rule selects `request`.
    pub fn matches(&self, request: &RequestIdentity) -> bool {
        if self.kind == FaultKind::ErrorIn200
            && !matches!(request.operation.as_str(), "CompleteMultipartUpload" | "CopyObject")
        {
            return false;
        }
        selects(&self.operations, self.prefix.as_deref(), request)
    }
}

/// Whether `request` is one of `operations` (all when empty) on a key (or, for a
/// listing, a `prefix` parameter) starting with `prefix` (any when `None`).
pub(super) fn selects(operations: &[String], prefix: Option<&str>, request: &RequestIdentity) -> bool {
    if !operations.is_empty() && !operations.contains(&request.operation) {
        return false;
    }
    match prefix {
        None => true,
        Some(p) => request
            .key
            .as_deref()
            .or_else(|| request.listing_prefix())
            .is_some_and(|k| k.starts_with(p)),
    }
}
