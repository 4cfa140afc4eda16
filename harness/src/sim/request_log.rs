//! The log of every request the simulator answered: what was asked, by whom, what
//! authorization decided, and what was answered.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

pub use s3_policy::Decision;

/// One answered request.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RequestRecord {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// The HTTP method (`GET`, `PUT`, ...).
    pub method: String,
    /// The S3 operation (`ListObjectsV2`, `GetObject`, ...); `None` when the request
    /// failed before it was routed (a bad signature, an unknown access key).
    pub operation: Option<String>,
    /// The bucket in the request's path-style URL; `None` for a request on the
    /// service itself, such as ListBuckets.
    pub bucket: Option<String>,
    /// The object key in the request's path-style URL; `None` for a bucket or service
    /// request.
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
    /// Whether the fault layer answered instead of the store.
    pub injected_fault: bool,
    /// The bucket's region when the answer is a wrong-region error: S3 names it in the
    /// error body, which s3s cannot write, so the front service adds it.
    #[serde(skip)]
    pub(crate) region_hint: Option<String>,
}

/// The shared, append-only log.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    records: Arc<Mutex<Vec<RequestRecord>>>,
}

impl RequestLog {
    /// Appends a finished record, numbering it.
    pub fn push(&self, mut record: RequestRecord) {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        record.seq = records.len() as u64 + 1;
        records.push(record);
    }

    /// A copy of every record so far.
    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// How many requests were answered.
    pub fn len(&self) -> usize {
        self.records.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no request was answered yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Requests per operation (`"-"` for unrouted ones), in name order.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for r in self.records.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            *counts
                .entry(r.operation.clone().unwrap_or_else(|| "-".to_owned()))
                .or_insert(0) += 1;
        }
        counts
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
