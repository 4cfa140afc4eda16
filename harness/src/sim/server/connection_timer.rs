//! The timer hyper arms a connection's header read timeout with: one tokio timer per
//! connection, moved to each request's deadline, instead of a new one per request.
//!
//! Why: hyper arms the header read timeout anew for every request (and drops it once
//! the headers are read). A new tokio timer that is due before everything else the
//! time driver waits for (and on an idle driver it always is) wakes the driver, which
//! is usually parked in another worker thread: one cross-thread wake-up, with its
//! system calls, per request. A timer a connection keeps is only ever moved later (each
//! request's deadline is after the previous one's), and moving a timer later never
//! wakes the driver.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// One connection's timer (see the module comment); hyper holds it for the connection
/// and asks it for each request's deadline.
#[derive(Clone)]
pub(super) struct ConnectionTimer {
    sleep: Arc<Mutex<Pin<Box<tokio::time::Sleep>>>>,
}

impl ConnectionTimer {
    /// A timer for a new connection; it is registered with tokio's time driver only
    /// once hyper first waits on a deadline.
    pub(super) fn new() -> Self {
        Self {
            sleep: Arc::new(Mutex::new(Box::pin(tokio::time::sleep(Duration::ZERO)))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pin<Box<tokio::time::Sleep>>> {
        self.sleep.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl hyper::rt::Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(Deadline {
            timer: self.clone(),
            deadline: deadline.into(),
        })
    }
}

/// A deadline hyper waits on: the connection's timer, moved to it when it is polled.
/// hyper waits on one deadline of a connection at a time (the header read timeout of
/// the request it is reading); should two ever be polled in turn, each moves the timer
/// back to its own deadline before it waits, so neither fires early.
struct Deadline {
    timer: ConnectionTimer,
    deadline: tokio::time::Instant,
}

impl Future for Deadline {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut sleep = self.timer.lock();
        if sleep.deadline() != self.deadline {
            sleep.as_mut().reset(self.deadline);
        }
        sleep.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for Deadline {}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Timer as _;

    /// Waits on a `ms` deadline of `timer`, and checks it was not reached early (a
    /// lower bound only: on a busy machine a deadline may be reached late).
    async fn waits_in_full(timer: &ConnectionTimer, ms: u64) {
        let start = Instant::now();
        timer.sleep(Duration::from_millis(ms)).await;
        assert!(start.elapsed() >= Duration::from_millis(ms), "{:?}", start.elapsed());
    }

    /// A deadline of `timer`, polled once (so it holds the timer) and not reached.
    async fn polled_once(timer: &ConnectionTimer, after: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let mut deadline = timer.sleep(after);
        assert!(futures::poll!(deadline.as_mut()).is_pending());
        deadline
    }

    #[tokio::test]
    async fn each_deadline_is_waited_for_in_full() {
        let timer = ConnectionTimer::new();
        waits_in_full(&timer, 50).await;
        // A later request's deadline moves the same timer on.
        waits_in_full(&timer, 80).await;
    }

    #[tokio::test]
    async fn a_deadline_dropped_unreached_does_not_cut_the_next_short() {
        let timer = ConnectionTimer::new();
        drop(polled_once(&timer, Duration::from_millis(10)).await);
        waits_in_full(&timer, 200).await;
    }

    #[tokio::test]
    async fn an_earlier_deadline_polled_after_a_later_one_still_fires_on_time() {
        let timer = ConnectionTimer::new();
        let _later = polled_once(&timer, Duration::from_secs(600)).await;
        waits_in_full(&timer, 30).await;
    }
}
