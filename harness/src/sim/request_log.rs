//! The log of every request the simulator answered: what was asked, by whom, what
//! authorization decided, and what was answered.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

pub use s3_policy::Decision;

use crate::sim::faults::FaultKind;

/// One answered request.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RequestRecord {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// The `x-amz-request-id` the answer carried (and its error body's `<RequestId>`):
    /// what an SDK error reports as the request id.
    pub request_id: String,
    /// The HTTP method (`GET`, `PUT`, ...).
    pub method: String,
    /// The S3 operation (`ListObjectsV2`, `GetObject`, ...); `None` when the request
    /// failed before it was routed (a bad signature, an unknown access key).
    pub operation: Option<String>,
    /// The bucket the request addresses, in its path or (virtual-hosted-style) its
    /// host; `None` for a request on the service itself, such as ListBuckets.
    pub bucket: Option<String>,
    /// The object key the request addresses; `None` for a bucket or service request.
    pub key: Option<String>,
    /// The caller's ARN, `anonymous`, or the unverified access key it claimed.
    pub principal: Option<String>,
    /// What authorization decided; `None` when the request was answered before it was
    /// authorized (a bad signature, an unknown access key, an injected fault).
    pub decision: Option<Decision>,
    /// Why authorization decided as it did.
    pub reason: Option<String>,
    /// Each policy statement evaluated and its verdict.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<s3_policy::StatementTrace>,
    /// The HTTP status code answered.
    pub status: u16,
    /// The S3 error code of an error answer.
    pub error_code: Option<String>,
    /// Whether the fault layer answered instead of the store, or changed its answer.
    pub injected_fault: bool,
    /// Which fault it injected (`slow_down`, `reset`, `truncated_body`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultKind>,
    /// The bucket's region when the answer is a wrong-region error: S3 names it in the
    /// error body, which s3s cannot write, so the front service adds it.
    #[serde(skip)]
    pub(crate) region_hint: Option<String>,
}

impl RequestRecord {
    /// Records the fault injected into this request, if one was.
    pub fn mark_fault(&mut self, fault: Option<FaultKind>) {
        if fault.is_some() {
            self.injected_fault = true;
            self.fault = fault;
        }
    }
}

/// The shared log: the most recent records, at most `capacity` of them, and exact
/// counts of everything ever answered, so a long-running `serve` holds its memory flat
/// while its totals stay true.
#[derive(Debug, Clone)]
pub struct RequestLog {
    inner: Arc<Mutex<LogState>>,
}

#[derive(Debug)]
struct LogState {
    records: VecDeque<RequestRecord>,
    capacity: usize,
    total: u64,
    by_operation: BTreeMap<String, u64>,
    injected_faults: u64,
    faults_by_kind: BTreeMap<&'static str, u64>,
    /// Requests answered by a fault that depends on time, by operation.
    timed_by_operation: BTreeMap<String, u64>,
}

/// Records a default log keeps: enough to read back a test's or a session's requests,
/// small enough (a few MB) to hold flat under any load.
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

impl Default for RequestLog {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_LOG_CAPACITY)
    }
}

impl RequestLog {
    /// A log keeping the last `capacity` records (counts are always exact).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(LogState {
                records: VecDeque::new(),
                capacity,
                total: 0,
                by_operation: BTreeMap::new(),
                injected_faults: 0,
                faults_by_kind: BTreeMap::new(),
                timed_by_operation: BTreeMap::new(),
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends a finished record, numbering it; the oldest record goes when the log is
    /// full.
    pub fn push(&self, mut record: RequestRecord) {
        let evicted = {
            let mut state = self.state();
            state.total += 1;
            record.seq = state.total;
            let operation = record.operation.as_deref().unwrap_or("-");
            if record.fault.is_some_and(FaultKind::is_timed) {
                count(&mut state.timed_by_operation, operation);
            } else if record.injected_fault {
                state.injected_faults += 1;
            }
            count(&mut state.by_operation, operation);
            if let Some(kind) = record.fault {
                *state.faults_by_kind.entry(kind.name()).or_insert(0) += 1;
            }
            if state.capacity == 0 {
                return;
            }
            let evicted = (state.records.len() == state.capacity)
                .then(|| state.records.pop_front())
                .flatten();
            state.records.push_back(record);
            evicted
        };
        // The oldest record is freed after the lock is let go.
        drop(evicted);
    }

    /// A copy of the records kept, oldest first.
    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.state().records.iter().cloned().collect()
    }

    /// How many requests were answered, kept or not.
    pub fn len(&self) -> usize {
        usize::try_from(self.state().total).unwrap_or(usize::MAX)
    }

    /// Whether no request was answered yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Requests per operation (`"-"` for unrouted ones), in name order, kept or not.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.state().by_operation.clone()
    }

    /// Requests the fault layer answered or changed by a fault drawn per request, kept
    /// or not (time-dependent ones aside: [`Self::timed_faults`]).
    pub fn injected_faults(&self) -> u64 {
        self.state().injected_faults
    }

    /// Requests answered 503 SlowDown by a fault that depends on time (a burst, a
    /// prefix's request rate), kept or not. How many varies from run to run.
    pub fn timed_faults(&self) -> u64 {
        self.state().timed_by_operation.values().sum()
    }

    /// [`Self::counts`] without the requests [`Self::timed_faults`] counts: with a
    /// client that retries throttling, the same on every run.
    pub fn counts_without_timed_faults(&self) -> BTreeMap<String, u64> {
        let state = self.state();
        state
            .by_operation
            .iter()
            .map(|(op, n)| (op.clone(), n - state.timed_by_operation.get(op).copied().unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Injected faults by kind (`slow_down`, `reset`, ...), kept or not.
    pub fn injected_faults_by_kind(&self) -> BTreeMap<String, u64> {
        self.state()
            .faults_by_kind
            .iter()
            .map(|(k, n)| ((*k).to_owned(), *n))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_log_keeps_the_latest_records_and_exact_counts() {
        let log = RequestLog::with_capacity(3);
        for i in 0..10 {
            log.push(RequestRecord {
                operation: Some(if i % 2 == 0 { "GetObject" } else { "HeadObject" }.to_owned()),
                injected_fault: i == 0,
                fault: (i == 0).then_some(FaultKind::Reset),
                ..RequestRecord::default()
            });
        }
        let kept: Vec<u64> = log.snapshot().iter().map(|r| r.seq).collect();
        assert_eq!(kept, [8, 9, 10]);
        assert_eq!(log.len(), 10);
        assert_eq!(
            log.counts(),
            BTreeMap::from([("GetObject".to_owned(), 5), ("HeadObject".to_owned(), 5)])
        );
        assert_eq!(log.injected_faults(), 1);
        assert_eq!(log.injected_faults_by_kind(), BTreeMap::from([("reset".to_owned(), 1)]));
        let none = RequestLog::with_capacity(0);
        none.push(RequestRecord::default());
        assert!(none.snapshot().is_empty());
        assert_eq!(none.counts().get("-"), Some(&1));
    }

    #[test]
    fn throttling_that_depends_on_time_is_counted_apart() {
        let log = RequestLog::default();
        let record = |op: &str, fault: Option<FaultKind>| {
            let mut r = RequestRecord {
                operation: Some(op.to_owned()),
                ..RequestRecord::default()
            };
            r.mark_fault(fault);
            r
        };
        log.push(record("GetObject", Some(FaultKind::RateLimited)));
        log.push(record("GetObject", Some(FaultKind::SlowDown)));
        log.push(record("GetObject", None));
        log.push(record("ListObjectsV2", Some(FaultKind::SlowDownBurst)));
        assert_eq!(log.timed_faults(), 2);
        assert_eq!(log.injected_faults(), 1);
        assert_eq!(log.len(), 4);
        assert_eq!(
            log.counts_without_timed_faults(),
            BTreeMap::from([("GetObject".to_owned(), 2)])
        );
        assert_eq!(log.injected_faults_by_kind().get("rate_limited"), Some(&1));
    }
}

/// One more request of `operation`, its name copied only the first time.
fn count(counts: &mut BTreeMap<String, u64>, operation: &str) {
    match counts.get_mut(operation) {
        Some(n) => *n += 1,
        None => {
            counts.insert(operation.to_owned(), 1);
        }
    }
}

/// The record under construction for the request in flight; the front service puts
/// it in the request's extensions and the access check and handlers fill it in.
#[derive(Debug, Clone, Default)]
pub struct RecordSlot(Arc<Mutex<RequestRecord>>);

impl RecordSlot {
    /// Fills in part of the record.
    pub fn update(&self, f: impl FnOnce(&mut RequestRecord)) {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Writes the S3 error code of an error answer.
    pub fn record_error(&self, code: &s3s::S3ErrorCode) {
        self.update(|r| r.error_code = Some(code.as_str().to_owned()));
    }

    /// The finished record, leaving an empty one behind.
    pub fn take(&self) -> RequestRecord {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}
