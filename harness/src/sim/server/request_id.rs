//! The ids S3 stamps on every answer: `x-amz-request-id` (16 upper-case hex digits)
//! and `x-amz-id-2` (the extended request id, base64), repeated as `<RequestId>` and
//! `<HostId>` in error bodies
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/RESTCommonResponseHeaders.html>).
//! SDKs surface them with every error so that a user can quote them; the request log
//! records them so that the quote leads to the request.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use bytes::Bytes;

/// One request's ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestIds {
    /// `x-amz-request-id`.
    pub request_id: String,
    /// `x-amz-id-2`.
    pub host_id: String,
}

/// Hands out ids unique within the process: a counter through a bijective mix, from a
/// start drawn per simulator, so ids look like S3's and never repeat.
#[derive(Debug, Clone)]
pub(crate) struct RequestIdSource {
    next: Arc<AtomicU64>,
    salt: u64,
}

impl Default for RequestIdSource {
    fn default() -> Self {
        let random = RandomState::new();
        Self {
            next: Arc::new(AtomicU64::new(random.hash_one(1_u8))),
            salt: random.hash_one(2_u8),
        }
    }
}

impl RequestIdSource {
    /// The next request's ids.
    pub(crate) fn next(&self) -> RequestIds {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let request_id = upper_hex(mix(n));
        let mut host = [0_u8; 48];
        for (i, chunk) in host.chunks_mut(8).enumerate() {
            chunk.copy_from_slice(&mix(n ^ self.salt.rotate_left(u32::try_from(i).unwrap_or(0) * 8)).to_be_bytes());
        }
        RequestIds {
            request_id,
            host_id: base64::engine::general_purpose::STANDARD.encode(host),
        }
    }
}

/// `v` as 16 upper-case hex digits (`{:016X}`), written digit by digit: `format!`
/// would run the formatting machinery for every request.
fn upper_hex(v: u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(16);
    for b in v.to_be_bytes() {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xF)]));
    }
    out
}

/// SplitMix64's finalizer: a bijection on u64, so distinct counters give distinct ids.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An S3 error body with `<RequestId>` and `<HostId>` added where missing, before
/// `</Error>` as S3 orders them; anything that is not an error document is left as is.
pub(crate) fn with_ids(body: Bytes, ids: &RequestIds) -> Bytes {
    let Ok(text) = std::str::from_utf8(&body) else {
        return body;
    };
    let Some(end) = text.rfind("</Error>") else {
        return body;
    };
    let mut extra = String::new();
    if !text.contains("<RequestId>") {
        extra.push_str(&format!("<RequestId>{}</RequestId>", ids.request_id));
    }
    if !text.contains("<HostId>") {
        extra.push_str(&format!("<HostId>{}</HostId>", ids.host_id));
    }
    if extra.is_empty() {
        return body;
    }
    Bytes::from(format!("{}{extra}{}", &text[..end], &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_hex_is_sixteen_digit_upper_case_hex() {
        for v in [0, 1, 0xAB, 0x0123_4567_89AB_CDEF, u64::MAX, mix(7)] {
            assert_eq!(upper_hex(v), format!("{v:016X}"));
        }
    }

    #[test]
    fn request_ids_are_sixteen_upper_hex_digits_and_unique() {
        let source = RequestIdSource::default();
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| source.next().request_id).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(50) {
            assert_eq!(id.len(), 16);
            assert!(
                id.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
                "{id}"
            );
        }
        let host = source.next().host_id;
        assert!(
            base64::engine::general_purpose::STANDARD.decode(&host).is_ok(),
            "{host}"
        );
    }

    #[test]
    fn error_bodies_get_request_and_host_ids_once() {
        let ids = RequestIds {
            request_id: "0123456789ABCDEF".to_owned(),
            host_id: "aG9zdA==".to_owned(),
        };
        let body = Bytes::from_static(b"<Error><Code>NoSuchKey</Code><Message>m</Message></Error>");
        let done = with_ids(body, &ids);
        assert_eq!(
            &done[..],
            b"<Error><Code>NoSuchKey</Code><Message>m</Message><RequestId>0123456789ABCDEF</RequestId><HostId>aG9zdA==</HostId></Error>"
        );
        assert_eq!(with_ids(done.clone(), &ids), done);
        assert_eq!(&with_ids(Bytes::from_static(b"data"), &ids)[..], b"data");
    }
}
