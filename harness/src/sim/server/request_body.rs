//! Request bodies on their way to s3s.
//!
//! The 20 MiB S3 reads of a request body it parses (every operation's but an object
//! upload's): a longer body is 400 MaxMessageLengthExceeded
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>). s3s has the
//! same limit but, for a body that streams in rather than arriving whole, answers it
//! with a 500 InternalError that SDKs retry; reading such bodies here, under the limit,
//! hands s3s a body it accepts as is.
//!
//! An object upload streams on, except a small one whose SigV4 header signature covers
//! its SHA-256: that one is read whole, so the header-signature check ahead of s3s can
//! hash it and stand in for s3s's check (which would hash it as it streams in).

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request};
use s3s::path::S3Path;

use crate::sim::auth::header_sigv4::is_lower_hex;
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

/// The largest object upload read whole ahead of s3s when its signature covers its
/// SHA-256. s3s keeps every upload it receives in memory anyway, so this adds no more
/// than its own size per request, and it is the size of the uploads whose signature
/// check is a noticeable share of their cost.
const SMALL_UPLOAD: u64 = 1024 * 1024;

/// The request with its body for s3s: streamed on for an object upload (PutObject,
/// UploadPart, a browser POST), read whole under [`XML_BODY_LIMIT`] otherwise. `path`
/// is what the request addresses, from its path or (virtual-hosted-style) its host.
/// With `hash_small_uploads` (the header-signature check is on), a small upload whose
/// signature covers its SHA-256 is read whole too (see [`SMALL_UPLOAD`]).
pub(super) async fn limited(
    req: Request<Incoming>,
    path: Option<&S3Path>,
    hash_small_uploads: bool,
) -> Result<Request<s3s::Body>, Refusal> {
    if streams(&req, path) {
        if !(hash_small_uploads && small_hashed_upload(req.headers())) {
            return Ok(req.map(s3s::Body::from));
        }
        // hyper ends the body at its Content-Length, which is at most SMALL_UPLOAD.
        let (parts, body) = req.into_parts();
        return match whole(body).await {
            Ok(bytes) => Ok(Request::from_parts(parts, s3s::Body::from(bytes))),
            Err(e) => Err(Refusal::Read(e)),
        };
    }
    // A request without a body (every GET, HEAD and DELETE an SDK sends) hands on the
    // same empty body collecting it would, without polling it first.
    if hyper::body::Body::is_end_stream(req.body()) {
        return Ok(req.map(|_| s3s::Body::from(bytes::Bytes::new())));
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

/// The body's bytes: the one data frame a small body usually arrives in is taken as
/// it is (`collect` would queue it in a list of its own first); more are joined.
/// Trailers are dropped, as `collect().to_bytes()` drops them.
async fn whole<B>(mut body: B) -> Result<bytes::Bytes, B::Error>
where
    B: hyper::body::Body<Data = bytes::Bytes> + Unpin,
{
    let mut first = bytes::Bytes::new();
    let mut joined: Option<bytes::BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        match &mut joined {
            Some(all) => all.extend_from_slice(&data),
            None if first.is_empty() => first = data,
            None => {
                let mut all = bytes::BytesMut::with_capacity(first.len() + data.len());
                all.extend_from_slice(&first);
                all.extend_from_slice(&data);
                joined = Some(all);
            }
        }
    }
    Ok(joined.map_or(first, bytes::BytesMut::freeze))
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
    !names_a_configuration(req.uri())
}

/// The subresources a PUT of a key configures rather than uploads.
const CONFIGURATIONS: [&str; 5] = ["tagging", "acl", "retention", "legal-hold", "restore"];

/// Whether the query names one of [`CONFIGURATIONS`] (decoded, as s3s reads it).
fn names_a_configuration(uri: &hyper::Uri) -> bool {
    match uri.query() {
        None => false,
        // Without an escape or a `+`, each name is its own decoding (as in the
        // `x-id=PutObject` SDKs send), read without decoding the query.
        Some(q) if !q.contains(['%', '+']) => q
            .split('&')
            .any(|pair| CONFIGURATIONS.contains(&pair.split_once('=').map_or(pair, |(k, _)| k))),
        Some(_) => query_pairs(uri)
            .iter()
            .any(|(k, _)| CONFIGURATIONS.contains(&k.as_str())),
    }
}

/// An upload of at most [`SMALL_UPLOAD`] declared bytes, signed with SigV4 in its
/// `Authorization` header over the SHA-256 of its body (not `UNSIGNED-PAYLOAD` nor an
/// aws-chunked stream), and not waiting on `Expect: 100-continue`: a client that asks
/// first gets its answer (a 403, say) before sending the body, as S3 gives it.
fn small_hashed_upload(headers: &hyper::HeaderMap) -> bool {
    use hyper::header::{AUTHORIZATION, CONTENT_LENGTH};
    let text = |name: &hyper::header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    // The prefix alone decides; the rest of the header is the signature check's.
    let sigv4 = headers
        .get(AUTHORIZATION)
        .is_some_and(|a| a.as_bytes().starts_with(b"AWS4-HMAC-SHA256 "));
    let hashed = text(&s3s::header::X_AMZ_CONTENT_SHA256).is_some_and(|h| is_lower_hex(h, 64));
    let small = text(&CONTENT_LENGTH)
        .and_then(|n| n.parse::<u64>().ok())
        .is_some_and(|n| n <= SMALL_UPLOAD);
    sigv4 && hashed && small && !headers.contains_key(hyper::header::EXPECT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> hyper::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    hyper::header::HeaderName::from_static(k),
                    v.parse().expect("a header value"),
                )
            })
            .collect()
    }

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const AUTH: &str =
        "AWS4-HMAC-SHA256 Credential=AKID/20261205/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";

    proptest::proptest! {
        /// Read without decoding or decoded, a query names a configuration exactly
        /// when its decoded names do.
        #[test]
        fn configuration_queries_are_found_however_written(
            pairs in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["x-id", "acl", "tagging", "t%61gging", "a+b", "restore", "versionId", ""]),
                    proptest::option::of("[a-z%+=]{0,4}"),
                ),
                0..4,
            ),
        ) {
            let query: Vec<String> = pairs
                .iter()
                .map(|(k, v)| v.as_ref().map_or_else(|| (*k).to_owned(), |v| format!("{k}={v}")))
                .collect();
            let uri: hyper::Uri = format!("/b/k?{}", query.join("&")).parse().expect("a target");
            let decoded = query_pairs(&uri).iter().any(|(k, _)| CONFIGURATIONS.contains(&k.as_str()));
            proptest::prop_assert_eq!(names_a_configuration(&uri), decoded, "{}", uri);
        }
    }

    #[test]
    fn only_small_uploads_signed_over_their_hash_are_read_ahead() {
        let base = [
            ("authorization", AUTH),
            ("x-amz-content-sha256", SHA),
            ("content-length", "1024"),
        ];
        assert!(small_hashed_upload(&headers(&base)));
        assert!(small_hashed_upload(&headers(&[
            base[0],
            base[1],
            ("content-length", "1048576")
        ])));
        assert!(!small_hashed_upload(&headers(&[
            base[0],
            base[1],
            ("content-length", "1048577")
        ])));
        assert!(
            !small_hashed_upload(&headers(&[base[0], base[1]])),
            "no declared length"
        );
        assert!(!small_hashed_upload(&headers(&[
            base[0],
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            base[2]
        ])));
        assert!(!small_hashed_upload(&headers(&[
            base[0],
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            base[2]
        ])));
        assert!(!small_hashed_upload(&headers(&[
            base[0],
            ("x-amz-content-sha256", &SHA.to_uppercase()),
            base[2]
        ])));
        assert!(!small_hashed_upload(&headers(&[
            ("authorization", "AWS AKID:sig"),
            base[1],
            base[2]
        ])));
        assert!(!small_hashed_upload(&headers(&[base[1], base[2]])), "anonymous");
        let mut expect = headers(&base);
        expect.insert(hyper::header::EXPECT, "100-continue".parse().expect("a header value"));
        assert!(!small_hashed_upload(&expect));
    }

    /// A body of the given frames (`None`: a trailers frame).
    fn framed(
        frames: &[Option<&'static str>],
    ) -> impl hyper::body::Body<Data = bytes::Bytes, Error = std::convert::Infallible> + Unpin {
        let frames: Vec<Result<hyper::body::Frame<bytes::Bytes>, std::convert::Infallible>> = frames
            .iter()
            .map(|f| {
                Ok(match f {
                    Some(text) => hyper::body::Frame::data(bytes::Bytes::from_static(text.as_bytes())),
                    None => hyper::body::Frame::trailers(headers(&[("x-amz-checksum-crc32", "AAAAAA==")])),
                })
            })
            .collect();
        http_body_util::StreamBody::new(futures::stream::iter(frames))
    }

    #[tokio::test]
    async fn a_whole_body_is_its_frames_joined_without_trailers() {
        let cases: [(&[Option<&'static str>], &str); 5] = [
            (&[], ""),
            (&[Some("one frame")], "one frame"),
            (&[Some("a"), Some("b"), Some("c")], "abc"),
            (&[Some(""), Some("after an empty frame")], "after an empty frame"),
            (&[Some("data"), None], "data"),
        ];
        for (frames, expected) in cases {
            let got = whole(framed(frames)).await.expect("an infallible body");
            assert_eq!(got, bytes::Bytes::from_static(expected.as_bytes()), "{frames:?}");
        }
    }
}
