//! PutObject answered ahead of s3s for plain uploads: what [`plain_object`] asks of
//! any direct request, a body the front has read whole (a small upload signed over
//! its SHA-256, already checked), and only headers an SDK's plain PutObject sends:
//! content headers, the additional checksums and their algorithm, and user metadata
//! in plain ASCII. Such a request would pass s3s's preparation untouched, so the
//! route asks the access gate as s3s's access hook does, runs the simulator's own
//! PutObject over the same input s3s would decode, and writes the answer as s3s
//! writes it. Anything else (a copy, a streamed or chunked body, ACLs, encryption,
//! preconditions, tagging, any header not listed) goes to s3s as before.

use hyper::header::HeaderValue;
use hyper::{HeaderMap, Method, Request, Response};
use s3s::dto::{ChecksumAlgorithm, PutObjectInput, PutObjectOutput, StreamingBlob};
use s3s::{S3, S3Error, S3Request};

use super::get_route::{error, plain_object, text, unique};
use crate::sim::auth::gate::{Ask, Carried};
use crate::sim::ops::SimS3;

/// A PutObject request the route takes, its input decoded once.
pub(super) struct PlainPut {
    bucket: String,
    key: String,
    body: bytes::Bytes,
}

/// The headers a plain upload may carry besides `x-amz-meta-*`: those s3s reads into
/// PutObject's input as text, and those no operation reads.
const PLAIN_HEADERS: [&str; 20] = [
    "host",
    "content-length",
    "content-type",
    "content-md5",
    "content-encoding",
    "expect",
    "accept",
    "accept-encoding",
    "user-agent",
    "x-amz-user-agent",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
    "x-amz-sdk-checksum-algorithm",
];

/// The request as the route takes it, or `None` for s3s.
pub(super) fn plain_put(req: &Request<s3s::Body>) -> Option<PlainPut> {
    if req.method() != Method::PUT {
        return None;
    }
    let body = req.body().bytes()?;
    for name in req.headers().keys() {
        let meta = name.as_str().strip_prefix("x-amz-meta-");
        if meta.is_none_or(str::is_empty) && !PLAIN_HEADERS.contains(&name.as_str()) {
            return None;
        }
        // Once, not empty (s3s reads an empty value as none), printable ASCII, and
        // for metadata nothing that could be an RFC 2047 encoded word.
        let value = unique(req.headers(), name)?;
        let text = value.to_str().ok()?;
        if text.is_empty() || (meta.is_some() && text.contains("=?")) {
            return None;
        }
    }
    let (bucket, key) = plain_object(req)?;
    Some(PlainPut { bucket, key, body })
}

/// The header's text (checked by [`plain_put`]).
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Answers a request [`plain_put`] took: the gate decides and records, the
/// simulator's PutObject stores, and the answer is written as s3s writes it.
pub(super) async fn answer(sim: &SimS3, req: Request<s3s::Body>, put: PlainPut) -> Response<s3s::Body> {
    let (parts, _) = req.into_parts();
    let mut extensions = parts.extensions;
    let asked = sim.gate.ask(Ask {
        operation: "PutObject",
        bucket: Some(&put.bucket),
        key: Some(&put.key),
        access_key: None,
        uri: &parts.uri,
        headers: &parts.headers,
        carried: Carried::of(&extensions),
    });
    let keys = match asked {
        Ok(keys) => keys,
        Err(e) => return error(e),
    };
    extensions.insert(keys);
    let h = &parts.headers;
    let Some(content_length) = h
        .get(hyper::header::CONTENT_LENGTH)
        .map(|v| v.to_str().ok().and_then(|s| s.parse::<i64>().ok()))
        .map_or(Some(None), |n| n.map(Some))
    else {
        return error(S3Error::internal_error(Unreadable));
    };
    let metadata: s3s::dto::Metadata = h
        .iter()
        .filter_map(|(name, value)| {
            let key = name.as_str().strip_prefix("x-amz-meta-")?;
            Some((key.to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let input = PutObjectInput {
        bucket: put.bucket,
        key: put.key,
        body: Some(StreamingBlob::from(s3s::Body::from(put.body))),
        checksum_algorithm: header(h, "x-amz-sdk-checksum-algorithm").map(ChecksumAlgorithm::from),
        checksum_crc32: header(h, "x-amz-checksum-crc32"),
        checksum_crc32c: header(h, "x-amz-checksum-crc32c"),
        checksum_crc64nvme: header(h, "x-amz-checksum-crc64nvme"),
        checksum_sha1: header(h, "x-amz-checksum-sha1"),
        checksum_sha256: header(h, "x-amz-checksum-sha256"),
        content_encoding: header(h, "content-encoding"),
        content_length,
        content_md5: header(h, "content-md5"),
        content_type: header(h, "content-type"),
        metadata: (!metadata.is_empty()).then_some(metadata),
        ..Default::default()
    };
    let s3_req = S3Request {
        input,
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        extensions,
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    };
    match sim.put_object(s3_req).await {
        Ok(resp) => {
            let mut answer = match output_response(resp.output) {
                Ok(answer) => answer,
                Err(e) => return error(e),
            };
            answer.headers_mut().extend(resp.headers);
            answer.extensions_mut().extend(resp.extensions);
            answer
        }
        Err(e) => error(e),
    }
}

/// A header [`plain_put`] checked could not be read again.
#[derive(Debug, thiserror::Error)]
#[error("a plain upload's Content-Length could not be read")]
struct Unreadable;

/// A field of PutObject's output the route has no writer for.
#[derive(Debug, thiserror::Error)]
#[error("the direct PutObject route does not write a field the operation set")]
struct Unwritten;

/// PutObject's output as s3s serialises it: each header in s3s's order. Fields the
/// simulator's PutObject never sets make this an internal error rather than a silent
/// difference from s3s's answer.
fn output_response(out: PutObjectOutput) -> Result<Response<s3s::Body>, S3Error> {
    let PutObjectOutput {
        bucket_key_enabled,
        checksum_crc32,
        checksum_crc32c,
        checksum_crc64nvme,
        checksum_sha1,
        checksum_sha256,
        checksum_type,
        e_tag,
        expiration,
        request_charged,
        sse_customer_algorithm,
        sse_customer_key_md5,
        ssekms_encryption_context,
        ssekms_key_id,
        server_side_encryption,
        size,
        version_id,
    } = out;
    if bucket_key_enabled.is_some() || request_charged.is_some() || server_side_encryption.is_some() {
        return Err(S3Error::internal_error(Unwritten));
    }
    let mut resp = Response::new(s3s::Body::empty());
    let h = resp.headers_mut();
    text(h, "x-amz-checksum-crc32", checksum_crc32)?;
    text(h, "x-amz-checksum-crc32c", checksum_crc32c)?;
    text(h, "x-amz-checksum-crc64nvme", checksum_crc64nvme)?;
    text(h, "x-amz-checksum-sha1", checksum_sha1)?;
    text(h, "x-amz-checksum-sha256", checksum_sha256)?;
    text(h, "x-amz-checksum-type", checksum_type.map(|t| t.as_str().to_owned()))?;
    if let Some(etag) = e_tag {
        h.insert(
            hyper::header::ETAG,
            etag.to_http_header().map_err(S3Error::internal_error)?,
        );
    }
    text(h, "x-amz-expiration", expiration)?;
    text(
        h,
        "x-amz-server-side-encryption-customer-algorithm",
        sse_customer_algorithm,
    )?;
    text(h, "x-amz-server-side-encryption-customer-key-md5", sse_customer_key_md5)?;
    text(h, "x-amz-server-side-encryption-context", ssekms_encryption_context)?;
    text(h, "x-amz-server-side-encryption-aws-kms-key-id", ssekms_key_id)?;
    if let Some(n) = size {
        h.insert("x-amz-object-size", HeaderValue::from(n));
    }
    text(h, "x-amz-version-id", version_id)?;
    Ok(resp)
}
