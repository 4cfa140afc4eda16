//! GetObject answered ahead of s3s for plain requests: the signature already verified
//! by the front's header check, path-style addressing on an IP host, no query but the
//! `x-id` SDKs add, and no header the operation reads besides `Range` and
//! `x-amz-checksum-mode`. Such a request would pass s3s's preparation untouched, so
//! the route asks the access gate as s3s's access hook does, runs the simulator's own
//! GetObject, and writes its answer as s3s's serialiser writes it: the same headers
//! in the same order, the same error documents. Anything else goes to s3s as before.

use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request, Response};
use s3s::S3Error;
use s3s::dto::{ChecksumMode, GetObjectInput, GetObjectOutput, Range, Timestamp, TimestampFormat};
use s3s::path::S3Path;

use super::direct::{
    Unwritten, answer_with, ascii, checksum_headers, etag, gate, object_names, plain_object, respond, s3_request, text,
};
use crate::sim::ops::SimS3;

/// A GetObject request the route takes: its input, decoded once.
pub(super) struct PlainGet(GetObjectInput);

/// Headers GetObject's input reads that the route leaves to s3s (any of them, even
/// empty, sends the request there).
const LEFT_TO_S3S_NAMES: [&str; 10] = [
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "x-amz-expected-bucket-owner",
    "x-amz-request-payer",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
    "x-amz-decoded-content-length",
];

/// The request as the route takes it, or `None` for s3s; `path` is the front's
/// reading of it (see [`plain_object`]), whose bucket and key move into the input
/// when the route takes the request ([`object_names`]) and stay otherwise.
pub(super) fn plain_get<B>(req: &Request<B>, path: &mut Option<S3Path>) -> Option<PlainGet> {
    if req.method() != Method::GET || !plain_object(req, path.as_ref()) {
        return None;
    }
    // One pass over the headers: none the route leaves to s3s, and `Range` and
    // `x-amz-checksum-mode` each at most once.
    let (mut range, mut checksum_mode) = (None, None);
    for (name, value) in req.headers() {
        let slot = if *name == hyper::header::RANGE {
            &mut range
        } else if *name == s3s::header::X_AMZ_CHECKSUM_MODE {
            &mut checksum_mode
        } else if left_to_s3s(name.as_str()) {
            return None;
        } else {
            continue;
        };
        if slot.replace(value).is_some() {
            return None;
        }
    }
    let range = match range {
        Some(v) => Some(Range::parse(ascii(v)?).ok()?),
        None => None,
    };
    let checksum_mode = match checksum_mode {
        Some(v) => Some(ChecksumMode::from(ascii(v)?.to_owned())),
        None => None,
    };
    let (bucket, key) = object_names(path)?;
    Some(PlainGet(GetObjectInput {
        bucket,
        key,
        range,
        checksum_mode,
        ..Default::default()
    }))
}

/// Whether a header (name lower-case, as hyper holds it) is one the route leaves to s3s.
fn left_to_s3s(name: &str) -> bool {
    (name.starts_with("if-") || name.starts_with("x-amz-")) && LEFT_TO_S3S_NAMES.contains(&name)
}

/// Answers a request [`plain_get`] took: the gate decides and records, the
/// simulator's GetObject reads, and the answer is written as s3s writes it.
pub(super) async fn answer(sim: &SimS3, req: Request<s3s::Body>, PlainGet(input): PlainGet) -> Response<s3s::Body> {
    let parts = match gate(sim, "GetObject", &input.bucket, &input.key, req) {
        Ok(parts) => parts,
        Err(refused) => return *refused,
    };
    let result = match sim.get_object_now(s3_request(input, parts)) {
        Ok(now) => now,
        // A fixture file's bytes are read as the trait reads them.
        Err(req) => s3s::S3::get_object(sim, *req).await,
    };
    respond(result, output_response)
}

/// GetObject's output as s3s serialises it: 206 with a `Content-Range`, then each
/// header in s3s's order. Fields the simulator's GetObject never sets make this an
/// internal error rather than a silent difference from s3s's answer.
fn output_response(out: GetObjectOutput) -> Result<Response<s3s::Body>, S3Error> {
    let GetObjectOutput {
        accept_ranges,
        body,
        bucket_key_enabled,
        cache_control,
        checksum_crc32,
        checksum_crc32c,
        checksum_crc64nvme,
        checksum_sha1,
        checksum_sha256,
        checksum_type,
        content_disposition,
        content_encoding,
        content_language,
        content_length,
        content_range,
        content_type,
        delete_marker,
        e_tag,
        expiration,
        expires,
        last_modified,
        metadata,
        missing_meta,
        object_lock_legal_hold_status,
        object_lock_mode,
        object_lock_retain_until_date,
        parts_count,
        replication_status,
        request_charged,
        restore,
        sse_customer_algorithm,
        sse_customer_key_md5,
        ssekms_key_id,
        server_side_encryption,
        storage_class,
        tag_count,
        version_id,
        website_redirect_location,
    } = out;
    let unwritten = [
        bucket_key_enabled.is_some(),
        delete_marker.is_some(),
        expires.is_some(),
        missing_meta.is_some(),
        object_lock_retain_until_date.is_some(),
        tag_count.is_some(),
        object_lock_legal_hold_status.is_some(),
        object_lock_mode.is_some(),
        replication_status.is_some(),
        request_charged.is_some(),
        server_side_encryption.is_some(),
        storage_class.is_some(),
    ];
    if unwritten.into_iter().any(|set| set) {
        return Err(S3Error::internal_error(Unwritten("GetObject")));
    }
    let mut resp = answer_with(body.map_or_else(s3s::Body::empty, s3s::Body::from));
    if content_range.is_some() {
        *resp.status_mut() = hyper::StatusCode::PARTIAL_CONTENT;
    }
    let h = resp.headers_mut();
    text(h, hyper::header::ACCEPT_RANGES, accept_ranges)?;
    text(h, hyper::header::CACHE_CONTROL, cache_control)?;
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
    text(h, hyper::header::CONTENT_DISPOSITION, content_disposition)?;
    text(h, hyper::header::CONTENT_ENCODING, content_encoding)?;
    text(h, hyper::header::CONTENT_LANGUAGE, content_language)?;
    if let Some(len) = content_length {
        h.insert(hyper::header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    text(h, hyper::header::CONTENT_RANGE, content_range)?;
    text(h, hyper::header::CONTENT_TYPE, content_type)?;
    etag(h, e_tag)?;
    text(h, s3s::header::X_AMZ_EXPIRATION, expiration)?;
    if let Some(t) = last_modified {
        h.insert(hyper::header::LAST_MODIFIED, http_date(&t)?);
    }
    if let Some(map) = metadata {
        for (key, value) in map {
            let name =
                HeaderName::from_bytes(format!("x-amz-meta-{key}").as_bytes()).map_err(S3Error::internal_error)?;
            let value = HeaderValue::try_from(rfc2047_encode(&value).as_str()).map_err(S3Error::internal_error)?;
            h.insert(name, value);
        }
    }
    if let Some(n) = parts_count {
        h.insert(s3s::header::X_AMZ_MP_PARTS_COUNT, HeaderValue::from(n));
    }
    text(h, s3s::header::X_AMZ_RESTORE, restore)?;
    text(
        h,
        "x-amz-server-side-encryption-customer-algorithm",
        sse_customer_algorithm,
    )?;
    text(h, "x-amz-server-side-encryption-customer-key-md5", sse_customer_key_md5)?;
    text(h, "x-amz-server-side-encryption-aws-kms-key-id", ssekms_key_id)?;
    text(h, s3s::header::X_AMZ_VERSION_ID, version_id)?;
    text(
        h,
        s3s::header::X_AMZ_WEBSITE_REDIRECT_LOCATION,
        website_redirect_location,
    )?;
    Ok(resp)
}

/// `Last-Modified` as s3s formats it (RFC 1123); the last one formatted on this thread
/// is kept, as reads of one object follow one another.
fn http_date(t: &Timestamp) -> Result<HeaderValue, S3Error> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(Timestamp, HeaderValue)>> = const { std::cell::RefCell::new(None) };
    }
    if let Some(v) = LAST.with_borrow(|last| last.as_ref().filter(|(at, _)| at == t).map(|(_, v)| v.clone())) {
        return Ok(v);
    }
    let mut buf = Vec::with_capacity(32);
    t.format(TimestampFormat::HttpDate, &mut buf)
        .map_err(S3Error::internal_error)?;
    let value = HeaderValue::from_bytes(&buf).map_err(S3Error::internal_error)?;
    LAST.set(Some((t.clone(), value.clone())));
    Ok(value)
}

/// A metadata value as s3s writes it into a header: as is when every byte is printable
/// ASCII, otherwise as RFC 2047 encoded words (`=?UTF-8?B?...?=`, base64), each at
/// most 75 characters, split on character boundaries and joined by spaces.
fn rfc2047_encode(s: &str) -> String {
    use base64::Engine as _;
    const PREFIX: &str = "=?UTF-8?B?";
    const SUFFIX: &str = "?=";
    const MAX_WORD: usize = 75;
    if s.bytes().all(|b| b.is_ascii() && b >= 0x20 && b != 0x7f) {
        return s.to_owned();
    }
    let b64 = &base64::engine::general_purpose::STANDARD;
    let overhead = PREFIX.len() + SUFFIX.len();
    if (s.len() * 4).div_ceil(3) + overhead <= MAX_WORD {
        return format!("{PREFIX}{}{SUFFIX}", b64.encode(s));
    }
    let max_input = (MAX_WORD - overhead) / 4 * 3;
    let mut out = String::with_capacity(s.len() * 2);
    let mut i = 0;
    while i < s.len() {
        let mut end = usize::min(i + max_input, s.len());
        while end > i && !s.is_char_boundary(end) {
            end -= 1;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(PREFIX);
        out.push_str(&b64.encode(&s[i..end]));
        out.push_str(SUFFIX);
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::auth::header_sigv4::VerifiedSigV4;

    /// The route as the front asks it, with the path read as the front reads it for
    /// the address host these requests carry.
    fn plain_get<B>(req: &Request<B>) -> Option<PlainGet> {
        let read = || super::super::hosts::path_style(req.uri().path());
        let mut path = read();
        let taken = super::plain_get(req, &mut path);
        // The path moves into a request the route takes; one it declines keeps its
        // path for s3s and the record.
        match &taken {
            Some(_) => assert_eq!(path, None, "a taken request's path moved"),
            None => assert_eq!(path, read(), "a declined request keeps its path"),
        }
        taken
    }

    fn request(uri: &str, headers: &[(&str, &str)], verified: bool) -> Request<()> {
        let mut b = Request::get(uri).header("host", "127.0.0.1:9000");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = b.body(()).expect("a valid request");
        if verified {
            req.extensions_mut().insert(VerifiedSigV4 {
                access_key: "AKID".to_owned(),
                region: "eu-west-1".to_owned(),
            });
        }
        req
    }

    #[test]
    fn plain_reads_are_taken() {
        let PlainGet(get) = plain_get(&request("/bkt/some%20key/x", &[], true)).expect("plain");
        assert_eq!((get.bucket.as_str(), get.key.as_str()), ("bkt", "some key/x"));
        let PlainGet(get) = plain_get(&request(
            "/bkt/k?x-id=GetObject",
            &[("range", "bytes=0-9"), ("x-amz-checksum-mode", "ENABLED")],
            true,
        ))
        .expect("plain");
        assert!(get.range.is_some());
        assert_eq!(get.checksum_mode.as_ref().map(ChecksumMode::as_str), Some("ENABLED"));
    }

    #[test]
    fn anything_else_goes_to_s3s() {
        assert!(plain_get(&request("/bkt/k", &[], false)).is_none(), "unverified");
        assert!(plain_get(&request("/bkt", &[], true)).is_none(), "a bucket");
        assert!(plain_get(&request("/bkt/k?acl", &[], true)).is_none(), "a sub-resource");
        assert!(plain_get(&request("/bkt/k?versionId=1", &[], true)).is_none());
        assert!(plain_get(&request("/bkt/k?partNumber=1", &[], true)).is_none());
        assert!(plain_get(&request("/bkt/k?response-content-type=a", &[], true)).is_none());
        assert!(plain_get(&request("/bkt/k?x-id=GetObject&acl", &[], true)).is_none());
        assert!(
            plain_get(&request("/bkt/k?x%2Did=GetObject", &[], true)).is_none(),
            "left to s3s to decode"
        );
        assert!(
            plain_get(&request("/Bad_Bucket/k", &[], true)).is_none(),
            "an invalid bucket"
        );
        for header in LEFT_TO_S3S_NAMES {
            assert!(
                plain_get(&request("/bkt/k", &[(header, "x")], true)).is_none(),
                "{header}"
            );
        }
        assert!(plain_get(&request("/bkt/k", &[("range", "bytes=a-b")], true)).is_none());
        assert!(plain_get(&request("/bkt/k", &[("range", "")], true)).is_none());
        assert!(
            plain_get(&request(
                "/bkt/k",
                &[("range", "bytes=0-1"), ("range", "bytes=2-3")],
                true
            ))
            .is_none()
        );
        let mut vhost = request("/k", &[], true);
        vhost
            .headers_mut()
            .insert("host", HeaderValue::from_static("b.s3.example.com"));
        assert!(plain_get(&vhost).is_none(), "a named host");
    }

    #[test]
    fn metadata_values_are_encoded_as_s3s_encodes_them() {
        assert_eq!(rfc2047_encode("plain value"), "plain value");
        assert_eq!(rfc2047_encode("café"), "=?UTF-8?B?Y2Fmw6k=?=");
        let long = "é".repeat(40);
        let encoded = rfc2047_encode(&long);
        assert!(encoded.split(' ').all(|w| w.len() <= 75 && w.starts_with("=?UTF-8?B?")));
        let decoded: String = encoded
            .split(' ')
            .map(|w| {
                use base64::Engine as _;
                let inner = &w["=?UTF-8?B?".len()..w.len() - 2];
                String::from_utf8(base64::engine::general_purpose::STANDARD.decode(inner).expect("base64"))
                    .expect("whole characters per word")
            })
            .collect();
        assert_eq!(decoded, long);
    }
}
