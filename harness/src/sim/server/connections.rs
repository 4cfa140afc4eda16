//! The connections a server has open, for a graceful shutdown: each connection has a
//! stop signal of its own, and shutdown signals every one and waits until all have
//! ended.
//!
//! Why not hyper-util's `GracefulShutdown`: it has every connection wait on one shared
//! watch channel, whose wait takes a lock all connections share each time a
//! connection is polled (several times per request). Here a connection polls only its
//! own one-shot signal, which is atomics on memory no other connection touches; the
//! shared registry is locked twice per connection (when it opens and when it ends),
//! not per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use hyper_util::server::graceful::GracefulConnection;
use tokio::sync::{mpsc, oneshot};

/// The open connections' stop signals, by connection number.
#[derive(Default)]
struct Registry {
    next: u64,
    stops: HashMap<u64, oneshot::Sender<()>>,
}

/// The connections a server has open.
pub(super) struct Connections {
    registry: Arc<Mutex<Registry>>,
    /// Each open connection holds a clone ([`Open`]); the receiver sees the channel
    /// close once the last one has ended.
    live: mpsc::Sender<()>,
    ended: mpsc::Receiver<()>,
}

/// One open connection's place in the registry, given up when it is dropped (when the
/// connection's task ends, however it ends).
pub(super) struct Open {
    id: u64,
    registry: Arc<Mutex<Registry>>,
    _live: mpsc::Sender<()>,
}

impl Drop for Open {
    fn drop(&mut self) {
        self.registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stops
            .remove(&self.id);
    }
}

impl Connections {
    pub(super) fn new() -> Self {
        let (live, ended) = mpsc::channel(1);
        Self {
            registry: Arc::default(),
            live,
            ended,
        }
    }

    /// Registers a connection: its place, and the signal that asks it to stop.
    pub(super) fn open(&self) -> (Open, oneshot::Receiver<()>) {
        let (stop, stopped) = oneshot::channel();
        let mut registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        let id = registry.next;
        registry.next += 1;
        registry.stops.insert(id, stop);
        let open = Open {
            id,
            registry: Arc::clone(&self.registry),
            _live: self.live.clone(),
        };
        (open, stopped)
    }

    /// Asks every open connection to stop (each finishes the request it is answering,
    /// then closes) and waits until all have ended.
    pub(super) async fn shutdown(self) {
        let Self {
            registry,
            live,
            mut ended,
        } = self;
        let stops: Vec<_> = registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stops
            .drain()
            .map(|(_, stop)| stop)
            .collect();
        for stop in stops {
            // A connection that ended meanwhile no longer listens.
            let _ = stop.send(());
        }
        drop(live);
        // Nothing is ever sent: `None` once every connection's sender is dropped.
        while ended.recv().await.is_some() {}
    }
}

/// Serves `conn` until it ends; once `stop` fires (or its sender is dropped), asks it
/// to finish gracefully and waits for that.
pub(super) async fn until_stopped<C: GracefulConnection>(conn: C, stop: oneshot::Receiver<()>) -> C::Output {
    tokio::pin!(conn);
    tokio::select! {
        // The connection first: a woken connection is almost never a stop.
        biased;
        out = conn.as_mut() => return out,
        _ = stop => {}
    }
    conn.as_mut().graceful_shutdown();
    conn.await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_waits_for_every_open_connection() {
        let connections = Connections::new();
        let (open, stopped) = connections.open();
        let (closed_open, _) = connections.open();
        drop(closed_open);
        let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&finished);
        tokio::spawn(async move {
            // A connection that needs a while to finish after it is asked to stop.
            let _ = stopped.await;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            drop(open);
        });
        connections.shutdown().await;
        assert!(
            finished.load(std::sync::atomic::Ordering::SeqCst),
            "shutdown returned before the open connection ended"
        );
    }

    #[tokio::test]
    async fn a_closed_connection_leaves_the_registry() {
        let connections = Connections::new();
        let (open, _stopped) = connections.open();
        assert_eq!(connections.registry.lock().map(|r| r.stops.len()).ok(), Some(1));
        drop(open);
        assert_eq!(connections.registry.lock().map(|r| r.stops.len()).ok(), Some(0));
        connections.shutdown().await;
    }
}
