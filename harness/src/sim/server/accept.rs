//! The accept loop: one hyper connection per client over the front service, stopped
//! by a signal with a grace period for requests in flight.

use std::convert::Infallible;
use std::time::Duration;

use futures::future::BoxFuture;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::front::{Front, error_response};

/// Timeouts of one connection.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// How long a client may take to send a request's headers, and how long an idle
    /// keep-alive connection waits for the next request, before the connection is
    /// closed.
    pub header_read_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub grace: Duration,
}

/// Accept failures (no file descriptor left, the kernel's connection queue) back off
/// from this delay, doubling up to [`MAX_ACCEPT_BACKOFF`], instead of spinning.
const FIRST_ACCEPT_BACKOFF: Duration = Duration::from_millis(5);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

pub(super) async fn accept_loop(listener: TcpListener, front: Front, mut stop: oneshot::Receiver<()>, limits: Limits) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = ConnBuilder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut backoff = FIRST_ACCEPT_BACKOFF;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => {
                        backoff = FIRST_ACCEPT_BACKOFF;
                        accepted
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, ?backoff, "accept failed; backing off");
                        tokio::select! {
                            () = tokio::time::sleep(backoff) => {}
                            _ = &mut stop => break,
                        }
                        backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
                        continue;
                    }
                };
                let front = Front { peer, ..front.clone() };
                let service = hyper::service::service_fn(move |req| -> BoxFuture<'static, Result<_, Infallible>> {
                    let front = front.clone();
                    Box::pin(async move {
                        Ok(match front.handle(req).await {
                            Ok(resp) => resp,
                            Err(e) => {
                                tracing::error!(error = ?e, "request failed inside s3s");
                                error_response(500, "InternalError", "We encountered an internal error. Please try again.")
                            }
                        })
                    })
                });
                let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.grace) => tracing::warn!("shutdown grace period ended with requests in flight"),
    }
}
