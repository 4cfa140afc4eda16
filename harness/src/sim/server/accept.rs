//! The accept loop: one hyper connection per client over the front service, plain or
//! TLS, stopped by a signal with a grace period for requests in flight.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt as _;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use super::connection_timer::ConnectionTimer;
use super::connections::{Connections, until_stopped};
use super::front::Front;

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

pub(super) async fn accept_loop(
    listener: TcpListener,
    front: Front,
    tls: Option<TlsAcceptor>,
    mut stop: oneshot::Receiver<()>,
    limits: Limits,
) {
    let connections = Connections::new();
    let mut builder = ConnBuilder::new(TokioExecutor::new());
    builder.http1().header_read_timeout(limits.header_read_timeout);
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
                // An answer goes out as soon as it is written, as S3's do: Nagle's
                // algorithm would hold the tail of a multi-write answer for the
                // client's delayed ACK.
                let _ = stream.set_nodelay(true);
                // The connection's own front, shared by its requests: each request
                // takes one reference to it rather than a copy of every shared part,
                // whose reference counts all connections would otherwise contend on.
                let front = Arc::new(Front { peer, secure: tls.is_some(), ..front.clone() });
                // The answer's future is handed to hyper as it is, not boxed: hyper
                // keeps a connection's request in flight inside the connection's
                // task, so no request allocates (and copies into) a box of its own.
                let service =
                    hyper::service::service_fn(move |req| Arc::clone(&front).handle(req).map(Ok::<_, Infallible>));
                let (open, stop) = connections.open();
                // Each connection's header read timeout runs on a timer of its own.
                let mut builder = builder.clone();
                builder.http1().timer(ConnectionTimer::new());
                let tls = tls.clone();
                // The handshake runs in the connection's own task, so a client that
                // stalls it holds up only itself; the header read timeout bounds it
                // as it bounds a stalled request.
                tokio::spawn(async move {
                    let _open = open;
                    let result = match tls {
                        None => until_stopped(builder.serve_connection(TokioIo::new(stream), service).into_owned(), stop).await,
                        Some(acceptor) => {
                            let stream = match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream)).await {
                                Ok(Ok(stream)) => stream,
                                Ok(Err(e)) => {
                                    tracing::debug!(error = %e, %peer, "TLS handshake failed");
                                    return;
                                }
                                Err(_) => {
                                    tracing::debug!(%peer, "TLS handshake timed out");
                                    return;
                                }
                            };
                            until_stopped(builder.serve_connection(TokioIo::new(stream), service).into_owned(), stop).await
                        }
                    };
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = connections.shutdown() => {}
        () = tokio::time::sleep(limits.grace) => tracing::warn!("shutdown grace period ended with requests in flight"),
    }
}
