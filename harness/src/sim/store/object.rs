//! An object as S3 keeps it: its bytes (or where they come from), size, ETag and the
//! metadata returned with it.

use std::collections::BTreeMap;

use bytes::Bytes;
use time::OffsetDateTime;

use super::body::Body;
use super::etag;

/// S3's default Content-Type for objects stored without one
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>).
pub const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// An object's bytes and the metadata S3 keeps with them.
#[derive(Debug, Clone)]
pub struct Object {
    /// Where the bytes come from.
    pub body: Body,
    /// Length in bytes.
    pub size: u64,
    /// Unquoted ETag (`hex` or `hex-N`).
    pub etag: String,
    /// Second precision, as S3 keeps it.
    pub last_modified: OffsetDateTime,
    /// Served as Content-Type.
    pub content_type: String,
    /// Served as Content-Encoding when set.
    pub content_encoding: Option<String>,
    /// `x-amz-meta-*` user metadata, names lower-cased as S3 stores them.
    pub metadata: BTreeMap<String, String>,
    /// The account that wrote the object (matters when ACLs are enabled).
    pub owner: String,
    /// Parts count for a multipart object.
    pub parts: Option<u32>,
}

impl Object {
    /// An object written now by `owner`, with S3's default metadata.
    pub fn new(body: Body, size: u64, etag: String, owner: &str) -> Self {
        Self {
            body,
            size,
            etag,
            last_modified: now(),
            content_type: DEFAULT_CONTENT_TYPE.to_owned(),
            content_encoding: None,
            metadata: BTreeMap::new(),
            owner: owner.to_owned(),
            parts: None,
        }
    }

    /// A single-part object from bytes in memory.
    pub fn from_bytes(bytes: Bytes, owner: &str) -> Self {
        let etag = etag::md5_hex(&bytes);
        let size = bytes.len() as u64;
        Self::new(Body::Inline(bytes), size, etag, owner)
    }

    /// An object of `size` zero bytes that are never stored.
    pub fn sized(size: u64, owner: &str) -> Self {
        Self::new(Body::Zeros, size, etag::sized_etag(size), owner)
    }
}

/// The current time at S3's second precision for Last-Modified.
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}
