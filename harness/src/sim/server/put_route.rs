//! PutObject answered ahead of s3s for plain uploads: what [`plain_object`] asks of
//! any direct request, a body the front has read whole (a small upload signed over
//! its SHA-256, already checked), and only headers an SDK's plain PutObject sends:
//! content headers, the additional checksums and their algorithm, and user metadata
//! in plain ASCII. Such a request would pass s3s's preparation untouched, so the
//! route asks the access gate as s3s's access hook does, runs the simulator's own
//! PutObject over the same input s3s would decode, and writes the answer as s3s
//! writes it. Anything else (a copy, a streamed or chunked body, ACLs, encryption,
//! preconditions, tagging, any header not listed) goes to s3s as before.

use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response};
use s3s::S3Error;
use s3s::dto::{ChecksumAlgorithm, PutObjectInput, PutObjectOutput};
use s3s::path::S3Path;

use super::direct::{Unwritten, answer_with, checksum_headers, etag, gate, plain_object, respond, s3_request, text};
use crate::sim::ops::SimS3;

/// A PutObject request the route takes: its input, decoded once, and its body.
pub(super) struct PlainPut(PutObjectInput, Bytes);

/// Headers a plain upload may carry that PutObject's input does not take (those it
/// takes are decoded in [`plain_put`]; any other header sends the request to s3s).
const PASSED_OVER: [&str; 10] = [
    "host",
    "expect",
    "accept",
    "accept-encoding",
    "user-agent",
    "x-amz-user-agent",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "x-amz-date",
    "x-amz-content-sha256",
];

/// The request as the route takes it, or `None` for s3s; `path` is the front's
/// reading of it (see [`plain_object`]).
pub(super) fn plain_put(req: &Request<s3s::Body>, path: Option<&S3Path>) -> Option<PlainPut> {
    if req.method() != Method::PUT {
        return None;
    }
    let body = req.body().bytes()?;
    // Every header once (s3s refuses a repeated input header).
    if req.headers().len() != req.headers().keys_len() {
        return None;
    }
    let (bucket, key) = plain_object(req, path)?;
    let mut input = PutObjectInput {
        bucket,
        key,
        ..Default::default()
    };
    let mut metadata = s3s::dto::Metadata::default();
    for (name, value) in req.headers() {
        // Not empty (s3s reads an empty value as none) and visible ASCII; copied only
        // for a header the input takes.
        let value = value.to_str().ok().filter(|t| !t.is_empty())?;
        let text = || value.to_owned();
        match name.as_str() {
            "x-amz-sdk-checksum-algorithm" => input.checksum_algorithm = Some(ChecksumAlgorithm::from(text())),
            "x-amz-checksum-crc32" => input.checksum_crc32 = Some(text()),
            "x-amz-checksum-crc32c" => input.checksum_crc32c = Some(text()),
            "x-amz-checksum-crc64nvme" => input.checksum_crc64nvme = Some(text()),
            "x-amz-checksum-sha1" => input.checksum_sha1 = Some(text()),
            "x-amz-checksum-sha256" => input.checksum_sha256 = Some(text()),
            "content-encoding" => input.content_encoding = Some(text()),
            "content-md5" => input.content_md5 = Some(text()),
            "content-type" => input.content_type = Some(text()),
            "content-length" => input.content_length = Some(value.parse().ok()?),
            other => match other.strip_prefix("x-amz-meta-") {
                // Nothing that could be an RFC 2047 encoded word, which s3s decodes.
                Some(key) if !key.is_empty() && !value.contains("=?") => {
                    metadata.insert(key.to_owned(), text());
                }
                Some(_) => return None,
                None if PASSED_OVER.contains(&other) => {}
                None => return None,
            },
        }
    }
    if !metadata.is_empty() {
        input.metadata = Some(metadata);
    }
    Some(PlainPut(input, body))
}

/// Answers a request [`plain_put`] took: the gate decides and records, the
/// simulator's PutObject stores, and the answer is written as s3s writes it.
pub(super) fn answer(sim: &SimS3, req: Request<s3s::Body>, PlainPut(input, body): PlainPut) -> Response<s3s::Body> {
    let parts = match gate(sim, "PutObject", &input.bucket, &input.key, req) {
        Ok(parts) => parts,
        Err(refused) => return *refused,
    };
    respond(sim.put_object_whole(s3_request(input, parts), &body), output_response)
}

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
        return Err(S3Error::internal_error(Unwritten("PutObject")));
    }
    let mut resp = answer_with(s3s::Body::empty());
    let h = resp.headers_mut();
    checksum_headers(
        h,
        [
            checksum_crc32,
            checksum_crc32c,
            checksum_crc64nvme,
            checksum_sha1,
            checksum_sha256,
        ],
        checksum_type,
    )?;
    etag(h, e_tag)?;
    text(h, s3s::header::X_AMZ_EXPIRATION, expiration)?;
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
    text(h, s3s::header::X_AMZ_VERSION_ID, version_id)?;
    Ok(resp)
}
