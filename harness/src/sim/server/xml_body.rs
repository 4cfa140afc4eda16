//! The 20 MiB S3 reads of a request body it parses (every operation's but an object
//! upload's): a longer body is 400 MaxMessageLengthExceeded
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>). s3s has the
//! same limit but, for a body that streams in rather than arriving whole, answers it
//! with a 500 InternalError that SDKs retry; reading such bodies here, under the limit,
//! hands s3s a body it accepts as is.

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request};
use s3s::path::S3Path;

use crate::sim::auth::sigv4::query_pairs;

/// S3's (and s3s's default) limit on a parsed request body.
pub(super) const XML_BODY_LIMIT: usize = 20 * 1024 * 1024;

/// Why a body was not handed on.
pub(super) enum Refusal {
    /// Longer than [`XML_BODY_LIMIT`].
    TooLong,
    /// The connection failed while the body was read.
    Read(hyper::Error),
}

/// The request with its body for s3s: streamed on for an object upload (PutObject,
/// UploadPart, a browser POST), read whole under [`XML_BODY_LIMIT`] otherwise. `path`
/// is what the request addresses, from its path or (virtual-hosted-style) its host.
pub(super) async fn limited(req: Request<Incoming>, path: Option<&S3Path>) -> Result<Request<s3s::Body>, Refusal> {
    if streams(&req, path) {
        return Ok(req.map(s3s::Body::from));
    }
    let (parts, body) = req.into_parts();
    match http_body_util::Limited::new(body, XML_BODY_LIMIT).collect().await {
        Ok(collected) => Ok(Request::from_parts(parts, s3s::Body::from(collected.to_bytes()))),
        Err(e) => match e.downcast::<hyper::Error>() {
            Ok(e) => Err(Refusal::Read(*e)),
            Err(_) => Err(Refusal::TooLong),
        },
    }
}

/// An object upload: a PUT of a key without a configuration subresource (PutObject,
/// UploadPart, CopyObject) or a multipart/form-data POST (PostObject).
fn streams(req: &Request<Incoming>, path: Option<&S3Path>) -> bool {
    if req.method() == Method::POST {
        return req
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    }
    if req.method() != Method::PUT {
        return false;
    }
    let Some(S3Path::Object { .. }) = path else {
        return false;
    };
    const CONFIGURATIONS: [&str; 5] = ["tagging", "acl", "retention", "legal-hold", "restore"];
    !query_pairs(req.uri())
        .iter()
        .any(|(k, _)| CONFIGURATIONS.contains(&k.as_str()))
}
