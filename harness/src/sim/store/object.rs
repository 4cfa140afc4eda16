//! An object as S3 keeps it: its bytes (or where they come from), size, ETag and the
//! metadata returned with it.

use std::collections::BTreeMap;

use bytes::Bytes;
use time::OffsetDateTime;

use super::body::Body;
use super::checksum::ObjectChecksum;
use super::chunks::Chunks;
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
    /// How a multipart object's bytes divide into parts (`None`: a single-part object).
    pub parts: Option<PartLayout>,
    /// The additional checksum S3 keeps with the object: the one its upload sent, or
    /// the CRC-64/NVME S3 adds to uploads without one. Objects a scenario declares
    /// (sized objects, fixtures) have none, as objects stored before S3 added default
    /// checksums have none.
    pub checksum: Option<ObjectChecksum>,
}

/// The parts of a multipart object, for GET and HEAD with `partNumber`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartLayout {
    /// Parts of one size but the last (a sized object, uploaded as the aws CLI does).
    Uniform {
        /// Every part's size but the last's.
        part_size: u64,
        /// How many parts.
        count: u32,
    },
    /// Each part's size, in order (a completed multipart upload).
    Sizes(std::sync::Arc<[u64]>),
}

impl PartLayout {
    /// How many parts.
    pub fn count(&self) -> u32 {
        match self {
            Self::Uniform { count, .. } => *count,
            Self::Sizes(sizes) => u32::try_from(sizes.len()).unwrap_or(u32::MAX),
        }
    }

    /// The bytes `start..end` of part `number` (from 1) of an object of `size` bytes,
    /// or `None` past the last part.
    pub fn range(&self, number: u32, size: u64) -> Option<(u64, u64)> {
        if number == 0 || number > self.count() {
            return None;
        }
        match self {
            Self::Uniform { part_size, .. } => {
                let start = u64::from(number - 1) * part_size;
                Some((start, (start + part_size).min(size)))
            }
            Self::Sizes(sizes) => {
                let i = usize::try_from(number - 1).ok()?;
                let start: u64 = sizes.get(..i)?.iter().sum();
                Some((start, start + sizes.get(i)?))
            }
        }
    }
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
            checksum: None,
        }
    }

    /// A single-part object from bytes in memory.
    pub fn from_bytes(bytes: Bytes, owner: &str) -> Self {
        let etag = etag::md5_hex(&bytes);
        let size = bytes.len() as u64;
        Self::new(Body::Inline(bytes), size, etag, owner)
    }

    /// A single-part object from a received body and its MD5.
    pub fn received(chunks: Chunks, md5: &[u8; 16], owner: &str) -> Self {
        let size = chunks.len();
        Self::new(Body::from_chunks(chunks), size, hex::encode(md5), owner)
    }

    /// An object of `size` zero bytes that are never stored; above 8 MiB it has the
    /// parts the aws CLI would have uploaded it in (see [`etag::sized_etag`]).
    pub fn sized(size: u64, owner: &str) -> Self {
        let mut o = Self::new(Body::Zeros, size, etag::sized_etag(size), owner);
        if size > etag::CLI_PART_SIZE {
            let part_size = etag::cli_part_size(size);
            o.parts = Some(PartLayout::Uniform {
                part_size,
                count: u32::try_from(size.div_ceil(part_size)).unwrap_or(u32::MAX),
            });
        }
        o
    }
}

/// The current time at S3's second precision for Last-Modified.
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}
