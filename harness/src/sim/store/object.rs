//! An object as S3 keeps it: its bytes (or where they come from), size, ETag and the
//! metadata returned with it.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use time::OffsetDateTime;

use super::body::Body;
use super::checksum::ObjectChecksum;
use super::chunks::Chunks;
use super::etag::{self, ETag};

/// S3's default Content-Type for objects stored without one
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>).
pub const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// An object's bytes and the metadata S3 keeps with them.
///
/// Compact, because a bucket holds millions of them: the ETag is its digest, the time
/// is whole seconds, the headers that many objects share (content type, encoding, user
/// metadata, owner) are one shared [`Headers`], and what few objects have (parts, an
/// additional checksum) is boxed apart. 88 bytes, where the same fields as plain
/// strings and options took 280 and three more allocations.
#[derive(Debug, Clone)]
pub struct Object {
    /// Where the bytes come from.
    pub body: Body,
    /// Length in bytes.
    pub size: u64,
    /// The ETag (`hex` or `hex-N`).
    pub etag: ETag,
    /// Last-Modified in seconds since the Unix epoch: S3 keeps second precision, and
    /// 32 bits (to 2106) fit beside the ETag where 64 would take another 8 bytes.
    modified: u32,
    /// The headers served with the object, shared by the objects that have the same.
    headers: Arc<Headers>,
    extra: Option<Box<Extra>>,
}

/// The headers S3 serves with an object, and its owner.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Headers {
    /// Served as Content-Type.
    pub content_type: String,
    /// Served as Content-Encoding when set.
    pub content_encoding: Option<String>,
    /// `x-amz-meta-*` user metadata, names lower-cased as S3 stores them.
    pub metadata: BTreeMap<String, String>,
    /// The account that wrote the object (matters when ACLs are enabled).
    pub owner: String,
}

impl Headers {
    /// S3's defaults for an object `owner` writes without headers.
    pub fn of(owner: &str) -> Self {
        Self {
            content_type: DEFAULT_CONTENT_TYPE.to_owned(),
            content_encoding: None,
            metadata: BTreeMap::new(),
            owner: owner.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Extra {
    parts: Option<PartLayout>,
    checksum: Option<ObjectChecksum>,
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
    pub fn new(body: Body, size: u64, etag: ETag, owner: &str) -> Self {
        Self::with_headers(body, size, etag, Headers::of(owner))
    }

    /// An object with the headers it is served with, written now.
    fn with_headers(body: Body, size: u64, etag: ETag, headers: Headers) -> Self {
        Self {
            body,
            size,
            etag,
            modified: unix_seconds(now()),
            headers: Arc::new(headers),
            extra: None,
        }
    }

    /// A single-part object from bytes in memory.
    pub fn from_bytes(bytes: Bytes, owner: &str) -> Self {
        let etag = ETag::of_bytes(&bytes);
        let size = bytes.len() as u64;
        Self::new(Body::Inline(bytes), size, etag, owner)
    }

    /// A single-part object from a received body and its MD5.
    pub fn received(chunks: Chunks, md5: &[u8; 16], owner: &str) -> Self {
        Self::received_with(chunks, md5, Headers::of(owner))
    }

    /// [`Object::received`] with the headers the upload asked for (built whole rather
    /// than from S3's defaults and then changed).
    pub fn received_with(chunks: Chunks, md5: &[u8; 16], headers: Headers) -> Self {
        let size = chunks.len();
        Self::with_headers(Body::from_chunks(chunks), size, ETag::single(*md5), headers)
    }

    /// Last-Modified, at S3's second precision.
    pub fn last_modified(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(i64::from(self.modified)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Sets Last-Modified (to the second; held between 1970 and 2106).
    pub fn set_last_modified(&mut self, at: OffsetDateTime) {
        self.modified = unix_seconds(at);
    }

    /// The headers served with the object, and its owner.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The headers to change (copied first when other objects share them).
    pub fn headers_mut(&mut self) -> &mut Headers {
        Arc::make_mut(&mut self.headers)
    }

    /// The headers as shared, to share them with objects that have equal ones.
    pub(super) fn shared_headers(&mut self) -> &mut Arc<Headers> {
        &mut self.headers
    }

    /// How a multipart object's bytes divide into parts (`None`: a single-part object).
    pub fn parts(&self) -> Option<&PartLayout> {
        self.extra.as_ref()?.parts.as_ref()
    }

    /// Sets the parts layout.
    pub fn set_parts(&mut self, parts: Option<PartLayout>) {
        self.extra_mut().parts = parts;
        self.drop_empty_extra();
    }

    /// The additional checksum S3 keeps with the object: the one its upload sent, or
    /// the CRC-64/NVME S3 adds to uploads without one. Objects a scenario declares
    /// (sized objects, fixtures) have none, as objects stored before S3 added default
    /// checksums have none.
    pub fn checksum(&self) -> Option<&ObjectChecksum> {
        self.extra.as_ref()?.checksum.as_ref()
    }

    /// Sets the additional checksum.
    pub fn set_checksum(&mut self, checksum: Option<ObjectChecksum>) {
        self.extra_mut().checksum = checksum;
        self.drop_empty_extra();
    }

    fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    fn drop_empty_extra(&mut self) {
        if self
            .extra
            .as_ref()
            .is_some_and(|e| e.parts.is_none() && e.checksum.is_none())
        {
            self.extra = None;
        }
    }

    /// An object of `size` zero bytes that are never stored; above 8 MiB it has the
    /// parts the aws CLI would have uploaded it in (see [`etag::sized_etag`]).
    pub fn sized(size: u64, owner: &str) -> Self {
        let mut o = Self::new(Body::Zeros, size, etag::sized_etag(size), owner);
        if size > etag::CLI_PART_SIZE {
            let part_size = etag::cli_part_size(size);
            o.set_parts(Some(PartLayout::Uniform {
                part_size,
                count: u32::try_from(size.div_ceil(part_size)).unwrap_or(u32::MAX),
            }));
        }
        o
    }
}

fn unix_seconds(at: OffsetDateTime) -> u32 {
    u32::try_from(at.unix_timestamp().max(0)).unwrap_or(u32::MAX)
}

/// The current time at S3's second precision for Last-Modified.
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_record_stays_small() {
        // A million stored objects each pay this, plus their key and the map's node.
        assert!(std::mem::size_of::<Object>() <= 88, "{}", std::mem::size_of::<Object>());
    }

    #[test]
    fn parts_and_checksum_are_kept_apart_only_while_set() {
        let mut o = Object::sized(10, "111122223333");
        assert!(o.extra.is_none());
        o.set_parts(Some(PartLayout::Uniform { part_size: 5, count: 2 }));
        assert_eq!(o.parts().map(PartLayout::count), Some(2));
        o.set_parts(None);
        assert!(o.extra.is_none() && o.parts().is_none());
    }

    #[test]
    fn last_modified_keeps_whole_seconds() {
        let mut o = Object::sized(1, "111122223333");
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("a valid time");
        o.set_last_modified(at);
        assert_eq!(o.last_modified(), at);
    }

    #[test]
    fn changing_shared_headers_changes_one_object() {
        let a = Object::sized(1, "111122223333");
        let mut b = a.clone();
        b.headers_mut().content_type = "text/csv".to_owned();
        assert_eq!(a.headers().content_type, DEFAULT_CONTENT_TYPE);
        assert_eq!(b.headers().content_type, "text/csv");
    }
}
