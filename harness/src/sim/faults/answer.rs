//! How a fate changes the answer: an injected error in S3's error body shape, a
//! connection closed before or during the answer, a body that stalls, no answer at all.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Response;
use hyper::body::Frame;

use super::{Fate, FaultKind};
use crate::sim::server::{RequestIds, error_response_with_ids};

/// How long a request that gets no answer is held before its connection is closed:
/// longer than any client waits, bounded so that nothing is held forever.
pub const NO_ANSWER_HOLD: Duration = Duration::from_secs(15 * 60);

/// What the fault layer answers instead of the store.
pub struct Early {
    /// The status logged: the HTTP status, or 0 when no answer is sent.
    pub status: u16,
    /// The S3 error code logged.
    pub code: Option<&'static str>,
    hold: Duration,
    response: Response<s3s::Body>,
}

impl Early {
    /// The answer, once its hold (for a request never answered) is over: after
    /// [`NO_ANSWER_HOLD`] or when the simulator stops, whichever comes first.
    pub async fn into_response(self, faults: &super::Faults) -> Response<s3s::Body> {
        if !self.hold.is_zero() {
            faults.held(self.hold).await;
        }
        self.response
    }
}

/// Waits the fate's delay; then, when its fault replaces the store's answer, that
/// answer. Faults on the body ([`FaultKind::TruncatedBody`], [`FaultKind::StalledBody`])
/// are applied afterwards, by [`apply`].
pub(crate) async fn before(fate: &Fate, ids: &RequestIds) -> Option<Early> {
    if !fate.delay.is_zero() {
        tokio::time::sleep(fate.delay).await;
    }
    let kind = fate.fault?;
    match kind {
        FaultKind::SlowDown
        | FaultKind::SlowDownBurst
        | FaultKind::RateLimited
        | FaultKind::InternalError
        | FaultKind::RequestTimeout => {
            let err = kind.error()?;
            Some(Early {
                status: err.status(),
                code: Some(err.code()),
                hold: Duration::ZERO,
                response: error_answer(err.status(), err.code(), err.message(), ids),
            })
        }
        // S3 documents that these two may fail after the 200 is sent, with the error in
        // the body (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html,
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
        FaultKind::ErrorIn200 => {
            let err = kind.error()?;
            Some(Early {
                status: 200,
                code: Some(err.code()),
                hold: Duration::ZERO,
                response: error_answer(200, err.code(), err.message(), ids),
            })
        }
        FaultKind::Reset => Some(Early {
            status: 0,
            code: None,
            hold: Duration::ZERO,
            response: reset(),
        }),
        FaultKind::NoAnswer => Some(Early {
            status: 0,
            code: None,
            hold: NO_ANSWER_HOLD,
            response: reset(),
        }),
        FaultKind::TruncatedBody | FaultKind::StalledBody => None,
    }
}

/// The store's answer with the fate's body fault applied, and whether it was: a body
/// fault needs a successful answer with a body (an error or a HEAD is sent unchanged).
pub fn apply(fate: &Fate, resp: Response<s3s::Body>) -> (Response<s3s::Body>, bool) {
    let after = match fate.fault {
        Some(FaultKind::TruncatedBody) => After::Close,
        Some(FaultKind::StalledBody) => After::Stall(fate.stall),
        _ => return (resp, false),
    };
    let len = resp
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    if !resp.status().is_success() || len == 0 {
        return (resp, false);
    }
    let (parts, body) = resp.into_parts();
    let body = FaultedBody {
        inner: body,
        sent: 0,
        keep: len / 2,
        after,
        state: BodyState::Before,
        flushed: false,
    };
    (Response::from_parts(parts, body.into_s3s()), true)
}

/// An S3 error answer with the request's ids in its body as in its headers
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>).
fn error_answer(status: u16, code: &str, message: &str, ids: &RequestIds) -> Response<s3s::Body> {
    error_response_with_ids(status, code, message, Some(ids))
}

/// An answer whose body fails before its first byte: hyper drops the connection
/// without sending the head it had not flushed yet, so the client sees the connection
/// close with no answer.
fn reset() -> Response<s3s::Body> {
    let body = FaultedBody {
        inner: s3s::Body::empty(),
        sent: 0,
        keep: 0,
        after: After::Close,
        state: BodyState::Failed,
        // Nothing is to reach the client: no pause to let the head out.
        flushed: true,
    };
    let mut resp = Response::new(body.into_s3s());
    resp.headers_mut().insert(
        hyper::header::CONTENT_LENGTH,
        hyper::header::HeaderValue::from_static("1"),
    );
    resp
}

#[derive(Debug, Clone, Copy)]
enum After {
    /// The connection closes.
    Close,
    /// Nothing is sent for this long, then the rest is.
    Stall(Duration),
}

enum BodyState {
    Before,
    /// The part after the cut, held back while stalled.
    Stalled(Bytes),
    After,
    Failed,
}

/// A body that sends its first `keep` bytes, then closes the connection or stalls.
struct FaultedBody {
    inner: s3s::Body,
    sent: u64,
    keep: u64,
    after: After,
    state: BodyState,
    flushed: bool,
}

impl FaultedBody {
    fn into_s3s(self) -> s3s::Body {
        let stream = futures::stream::unfold(self, |mut b| async move {
            let item = b.next_frame().await?;
            Some((item, b))
        });
        s3s::Body::http_body_unsync(http_body_util::StreamBody::new(stream))
    }

    async fn next_frame(&mut self) -> Option<Result<Frame<Bytes>, std::io::Error>> {
        loop {
            match std::mem::replace(&mut self.state, BodyState::After) {
                BodyState::Failed => {
                    self.state = BodyState::Failed;
                    if !self.flushed {
                        // Pending once, so that hyper sends the head and the bytes so far
                        // before the connection closes: the body is cut short, not absent.
                        self.flushed = true;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    return Some(Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "connection closed by an injected fault",
                    )));
                }
                BodyState::Stalled(rest) => {
                    if let After::Stall(d) = self.after {
                        tokio::time::sleep(d).await;
                    }
                    if rest.is_empty() {
                        continue;
                    }
                    return Some(Ok(Frame::data(rest)));
                }
                BodyState::After => return self.inner.frame().await.map(|r| r.map_err(std::io::Error::other)),
                BodyState::Before => {
                    self.state = BodyState::Before;
                    let frame = match self.inner.frame().await? {
                        Ok(f) => f,
                        Err(e) => return Some(Err(std::io::Error::other(e))),
                    };
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    let len = data.len() as u64;
                    if self.sent + len <= self.keep {
                        self.sent += len;
                        return Some(Ok(Frame::data(data)));
                    }
                    let cut = usize::try_from(self.keep - self.sent)
                        .unwrap_or(data.len())
                        .min(data.len());
                    self.sent = self.keep;
                    self.state = match self.after {
                        After::Close => BodyState::Failed,
                        After::Stall(_) => BodyState::Stalled(data.slice(cut..)),
                    };
                    if cut == 0 {
                        continue;
                    }
                    return Some(Ok(Frame::data(data.slice(..cut))));
                }
            }
        }
    }
}
