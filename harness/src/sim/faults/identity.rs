//! What makes two requests "the same request" for the fault layer: a retry of a request
//! is the same request again, two different requests are not, however they interleave.

use md5::{Digest, Md5};

/// Query parameters that say how a request is signed, not what it asks: a retry is
/// signed again (another date, another signature) and is still the same request.
const SIGNING_QUERY: [&str; 8] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "x-id",
];

/// Headers that select what is answered (a byte range, a part, a copy source).
const SELECTING_HEADERS: [&str; 5] = [
    "range",
    "x-amz-copy-source",
    "x-amz-copy-source-range",
    "if-match",
    "if-none-match",
];

/// One request as the fault layer keys it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestIdentity {
    /// The S3 operation, or `-` when the request could not be routed.
    pub operation: String,
    method: String,
    /// The bucket of the path-style URL.
    pub bucket: Option<String>,
    /// The object key of the path-style URL.
    pub key: Option<String>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
}

impl RequestIdentity {
    /// An identity from its parts; signing query parameters are dropped and the rest
    /// sorted, so parameter order and signatures do not matter.
    pub fn new(
        operation: &str,
        method: &str,
        bucket: Option<&str>,
        key: Option<&str>,
        mut query: Vec<(String, String)>,
        mut headers: Vec<(String, String)>,
    ) -> Self {
        query.retain(|(k, _)| !SIGNING_QUERY.contains(&k.as_str()));
        query.sort();
        headers.retain(|(k, _)| SELECTING_HEADERS.contains(&k.as_str()));
        headers.sort();
        Self {
            operation: operation.to_owned(),
            method: method.to_owned(),
            bucket: bucket.map(str::to_owned),
            key: key.map(str::to_owned),
            query,
            headers,
        }
    }

    /// The identity of a request as it arrived; `operation` is what its method, path
    /// and query say it is.
    pub fn of<B>(req: &hyper::Request<B>, operation: Option<&str>) -> Self {
        // The path as sent is percent-encoded (`date%3D2025-01-01`); rules name keys
        // as they are stored.
        let decoded = percent_encoding::percent_decode_str(req.uri().path()).decode_utf8_lossy();
        let path = s3s::path::parse_path_style(&decoded).ok();
        let headers = req
            .headers()
            .iter()
            .filter(|(name, _)| SELECTING_HEADERS.contains(&name.as_str()))
            .map(|(name, v)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        Self::new(
            operation.unwrap_or("-"),
            req.method().as_str(),
            path.as_ref().and_then(|p| p.get_bucket_name()),
            path.as_ref().and_then(|p| p.get_object_key()),
            crate::sim::auth::sigv4::query_pairs(req.uri()),
            headers,
        )
    }

    /// Whether S3 counts the request against a prefix's read rate (GET and HEAD) rather
    /// than its write rate (PUT, POST, DELETE, COPY).
    pub fn is_read(&self) -> bool {
        matches!(self.method.as_str(), "GET" | "HEAD")
    }

    /// The `prefix` parameter of a listing.
    pub fn listing_prefix(&self) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == "prefix").map(|(_, v)| v.as_str())
    }

    /// A stable 128-bit digest of the identity (MD5 of a length-prefixed encoding:
    /// stable across runs, platforms and compiler versions, unlike `std`'s hashers).
    pub fn digest(&self) -> u128 {
        let mut h = Md5::new();
        let mut field = |s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        field(&self.operation);
        field(&self.method);
        field(self.bucket.as_deref().unwrap_or("\0"));
        field(self.key.as_deref().unwrap_or("\0"));
        for (k, v) in self.query.iter().chain(&self.headers) {
            field(k);
            field(v);
        }
        u128::from_le_bytes(h.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn signatures_and_order_do_not_matter_but_what_is_asked_does() {
        let a = RequestIdentity::new(
            "ListObjectsV2",
            "GET",
            Some("b"),
            None,
            pairs(&[("prefix", "data/"), ("list-type", "2"), ("X-Amz-Signature", "aa")]),
            vec![],
        );
        let b = RequestIdentity::new(
            "ListObjectsV2",
            "GET",
            Some("b"),
            None,
            pairs(&[("list-type", "2"), ("prefix", "data/"), ("X-Amz-Signature", "bb")]),
            vec![],
        );
        assert_eq!(a.digest(), b.digest());
        let c = RequestIdentity::new(
            "ListObjectsV2",
            "GET",
            Some("b"),
            None,
            pairs(&[("list-type", "2"), ("prefix", "data/"), ("continuation-token", "t")]),
            vec![],
        );
        assert_ne!(a.digest(), c.digest());
        let r1 = RequestIdentity::new(
            "GetObject",
            "GET",
            Some("b"),
            Some("k"),
            vec![],
            pairs(&[("range", "bytes=0-0")]),
        );
        let r2 = RequestIdentity::new(
            "GetObject",
            "GET",
            Some("b"),
            Some("k"),
            vec![],
            pairs(&[("range", "bytes=0-9")]),
        );
        let r3 = RequestIdentity::new(
            "GetObject",
            "GET",
            Some("b"),
            Some("k"),
            vec![],
            pairs(&[("range", "bytes=0-0"), ("authorization", "x")]),
        );
        assert_ne!(r1.digest(), r2.digest());
        assert_eq!(r1.digest(), r3.digest());
    }
}
