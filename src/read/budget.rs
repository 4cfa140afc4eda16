//! The memory budget: bytes of decoded batches held at once, between the decoders and
//! the consumer. A decoder waits for its batch's share before handing it on, and the share
//! comes back when the consumer drops the batch: back-pressure, not buffering.

use std::sync::Arc;

use arrow_array::RecordBatch;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes of batches that may be held at once.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    permits: Arc<Semaphore>,
    total: u32,
}

impl Budget {
    /// A budget of `bytes` (at most `u32::MAX`, at least one).
    pub(crate) fn new(bytes: u64) -> Self {
        let total = u32::try_from(bytes.max(1)).unwrap_or(u32::MAX);
        Self {
            permits: Arc::new(Semaphore::new(total as usize)),
            total,
        }
    }

    /// Waits until `batch`'s size is free in the budget, and holds it until the permit is
    /// dropped. A batch larger than the whole budget takes all of it, so it goes through
    /// alone rather than never.
    pub(crate) async fn hold(&self, batch: &RecordBatch) -> Option<OwnedSemaphorePermit> {
        self.hold_bytes(batch.get_array_memory_size()).await
    }

    /// As [`Self::hold`], for `bytes` bytes held otherwise than in a batch.
    pub(crate) async fn hold_bytes(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
        self.permits
            .clone()
            .acquire_many_owned(bytes.clamp(1, self.total))
            .await
            .ok()
    }

    /// Bytes not held right now.
    #[cfg(test)]
    pub(crate) fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Int64Array};
    use std::time::Duration;

    fn batch(rows: i64) -> RecordBatch {
        let column: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows));
        RecordBatch::try_from_iter([("v", column)]).unwrap()
    }

    #[tokio::test]
    async fn a_batch_waits_until_an_earlier_one_is_dropped() {
        let one = batch(1000);
        let size = one.get_array_memory_size() as u64;
        let budget = Budget::new(size + size / 2);
        let first = budget.hold(&one).await;
        assert!(budget.available() < size as usize);
        let second = tokio::time::timeout(Duration::from_millis(50), budget.hold(&one)).await;
        assert!(second.is_err(), "a second batch must wait while the first is held");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), budget.hold(&one)).await;
        assert!(second.is_ok_and(|p| p.is_some()));
    }

    #[tokio::test]
    async fn a_batch_larger_than_the_budget_still_goes_through_alone() {
        let budget = Budget::new(16);
        let permit = budget.hold(&batch(1000)).await;
        assert!(permit.is_some());
        assert_eq!(budget.available(), 0);
        drop(permit);
        assert_eq!(budget.available(), 16);
    }
}
