//! The accept loop: one hyper connection per client over the front service, stopped
//! by a signal with a grace period for requests in flight.

use std::convert::Infallible;
use std::time::Duration;

use futures::future::BoxFuture;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::front::{Front, error_response};

pub(super) async fn accept_loop(listener: TcpListener, front: Front, mut stop: oneshot::Receiver<()>, grace: Duration) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let builder = ConnBuilder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
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
        () = tokio::time::sleep(grace) => tracing::warn!("shutdown grace period ended with requests in flight"),
    }
}
