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

use super::direct::{
    Unwritten, answer_with, ascii, checksum_headers, etag, gate, object_names, plain_object, respond, s3_request, text,
};
use crate::sim::ops::SimS3;
use crate::sim::store::checksum::Algorithm;

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
/// reading of it (see [`plain_object`]), whose bucket and key move into the input
/// when the route takes the request ([`object_names`]) and stay otherwise.
pub(super) fn plain_put(req: &Request<s3s::Body>, path: &mut Option<S3Path>) -> Option<PlainPut> {
    if req.method() != Method::PUT || !plain_object(req, path.as_ref()) {
        return None;
    }
    let body = req.body().bytes()?;
    // Every header once (s3s refuses a repeated input header).
    if req.headers().len() != req.headers().keys_len() {
        return None;
    }
    let mut input = PutObjectInput::default();
    let mut metadata = s3s::dto::Metadata::default();
    for (name, value) in req.headers() {
        let name = name.as_str();
        // A header s3s does not read for PutObject is passed over unread: checking a
        // user agent's hundred bytes would decide nothing.
        if PASSED_OVER.contains(&name) {
            continue;
        }
        // Copied only for a header the input takes.
        let value = ascii(value)?;
        let text = || value.to_owned();
        match name {
            "x-amz-sdk-checksum-algorithm" => input.checksum_algorithm = Some(algorithm(value)),
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
                Some(_) | None => return None,
            },
        }
    }
    if !metadata.is_empty() {
        input.metadata = Some(metadata);
    }
    (input.bucket, input.key) = object_names(path)?;
    Some(PlainPut(input, body))
}

/// `x-amz-sdk-checksum-algorithm` as s3s decodes it; one of S3's names (what SDKs
/// send, written exactly) without a copy of its own.
fn algorithm(value: &str) -> ChecksumAlgorithm {
    match Algorithm::ALL
        .into_iter()
        .map(Algorithm::name)
        .find(|name| *name == value)
    {
        Some(name) => ChecksumAlgorithm::from_static(name),
        None => ChecksumAlgorithm::from(value.to_owned()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::auth::header_sigv4::VerifiedSigV4;

    fn request(uri: &str, headers: &[(&str, &str)]) -> Request<s3s::Body> {
        let mut b = Request::put(uri).header("host", "127.0.0.1:9000");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = b
            .body(s3s::Body::from(Bytes::from_static(b"hello")))
            .expect("a valid request");
        req.extensions_mut().insert(VerifiedSigV4 {
            access_key: "AKID".to_owned(),
            region: "eu-west-1".to_owned(),
        });
        req
    }

    /// The route as the front asks it, and the path left behind.
    fn taken(req: &Request<s3s::Body>) -> (Option<PlainPut>, Option<S3Path>) {
        let mut path = super::super::hosts::path_style(req.uri().path());
        let taken = plain_put(req, &mut path);
        (taken, path)
    }

    #[test]
    fn a_plain_upload_is_taken_with_the_paths_names() {
        let req = request(
            "/bkt/some%20key/x?x-id=PutObject",
            &[
                ("content-length", "5"),
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
                ("x-amz-checksum-crc32", "NhCmhg=="),
                ("x-amz-meta-colour", "blue"),
            ],
        );
        let (Some(PlainPut(input, body)), path) = taken(&req) else {
            panic!("a plain upload is taken");
        };
        assert_eq!(path, None, "the names moved into the input");
        assert_eq!((input.bucket.as_str(), input.key.as_str()), ("bkt", "some key/x"));
        assert_eq!(input.content_length, Some(5));
        assert_eq!(input.checksum_crc32.as_deref(), Some("NhCmhg=="));
        assert_eq!(
            input.checksum_algorithm.as_ref().map(ChecksumAlgorithm::as_str),
            Some("CRC32")
        );
        assert_eq!(
            input
                .metadata
                .as_ref()
                .and_then(|m| m.get("colour"))
                .map(String::as_str),
            Some("blue")
        );
        assert_eq!(&body[..], b"hello");
    }

    #[test]
    fn a_declined_upload_keeps_its_path_for_s3s() {
        for (uri, headers) in [
            ("/bkt/k", &[("x-amz-acl", "private")][..]),
            ("/bkt/k?tagging", &[][..]),
            ("/bkt", &[][..]),
        ] {
            let req = request(uri, headers);
            let (put, path) = taken(&req);
            assert!(put.is_none(), "{uri} {headers:?} goes to s3s");
            assert_eq!(
                path,
                super::super::hosts::path_style(req.uri().path()),
                "{uri} keeps its path"
            );
        }
    }

    #[test]
    fn checksum_algorithms_read_as_s3s_reads_them() {
        for name in ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "crc32", "MD5"] {
            assert_eq!(algorithm(name), ChecksumAlgorithm::from(name.to_owned()), "{name}");
        }
    }
}
