//! Multipart uploads in progress, and the rules CompleteMultipartUpload checks before
//! the parts become one object
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html>).

use std::collections::BTreeMap;

use bytes::Bytes;
use time::OffsetDateTime;

use super::StoreError;

/// S3's minimum part size for all but the last part
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>).
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// A multipart upload in progress.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The key the upload will write.
    pub key: String,
    /// The account that started it (it owns the object it completes).
    pub initiator_account: String,
    /// When CreateMultipartUpload ran.
    pub initiated: OffsetDateTime,
    /// Content-Type given at creation.
    pub content_type: Option<String>,
    /// User metadata given at creation.
    pub metadata: BTreeMap<String, String>,
    /// Parts uploaded so far, by part number.
    pub parts: BTreeMap<i32, Part>,
}

/// One uploaded part.
#[derive(Debug, Clone)]
pub struct Part {
    /// The part's bytes.
    pub bytes: Bytes,
    /// MD5 of the bytes (the part's ETag).
    pub digest: [u8; 16],
    /// When it was uploaded.
    pub last_modified: OffsetDateTime,
}

/// One entry of a CompleteMultipartUpload request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedPart {
    /// The part number the client names.
    pub number: i32,
    /// The ETag the client names, if any, unquoted.
    pub etag: Option<String>,
}

impl Upload {
    /// The parts a completion names, in order, after S3's checks: part numbers
    /// ascending, each part uploaded with the named ETag, every part but the last at
    /// least [`MIN_PART_SIZE`].
    pub(super) fn chosen_parts(&self, requested: &[RequestedPart]) -> Result<Vec<&Part>, StoreError> {
        if requested.is_empty() {
            return Err(StoreError::MalformedXml);
        }
        if requested.windows(2).any(|w| w[0].number >= w[1].number) {
            return Err(StoreError::InvalidPartOrder);
        }
        let mut chosen = Vec::with_capacity(requested.len());
        for (i, p) in requested.iter().enumerate() {
            let part = self.parts.get(&p.number).ok_or(StoreError::InvalidPart)?;
            if p.etag.as_ref().is_some_and(|e| *e != hex::encode(part.digest)) {
                return Err(StoreError::InvalidPart);
            }
            if i + 1 < requested.len() && part.bytes.len() < MIN_PART_SIZE {
                return Err(StoreError::EntityTooSmall);
            }
            chosen.push(part);
        }
        Ok(chosen)
    }
}
