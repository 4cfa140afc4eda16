//! Multipart uploads in progress, and the rules CompleteMultipartUpload checks before
//! the parts become one object
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html>).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::StoreError;
use super::checksum::{self, Algorithm, ChecksumKind, Digest, ObjectChecksum};
use super::chunks::Chunks;

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
    /// The checksum algorithm and type CreateMultipartUpload named; `None`: S3's
    /// default, a full-object CRC-64/NVME that ListParts does not show.
    pub checksum: Option<(Algorithm, ChecksumKind)>,
}

/// One uploaded part.
#[derive(Debug, Clone)]
pub struct Part {
    /// The part's bytes, which the completed object shares.
    pub body: Chunks,
    /// MD5 of the bytes (the part's ETag).
    pub digest: [u8; 16],
    /// When it was uploaded.
    pub last_modified: OffsetDateTime,
    /// The part's digest of its upload's checksum algorithm (CRC-64/NVME for an
    /// upload that named none), computed by the simulator at UploadPart.
    pub checksum: Option<(Algorithm, Digest)>,
}

/// One entry of a CompleteMultipartUpload request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedPart {
    /// The part number the client names.
    pub number: i32,
    /// The ETag the client names, if any, unquoted.
    pub etag: Option<String>,
    /// The part checksums the client names (`<ChecksumCRC32>` ...), as sent.
    pub checksums: Vec<(Algorithm, String)>,
}

/// What a CompleteMultipartUpload request says about the whole object's checksum:
/// `x-amz-checksum-type` and an `x-amz-checksum-*` value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimedChecksum {
    /// The checksum type the request names.
    pub kind: Option<ChecksumKind>,
    /// The whole object's checksum the request names, as sent.
    pub value: Option<(Algorithm, String)>,
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
            self.check_part_checksum(p, part)?;
            if i + 1 < requested.len() && part.body.len() < MIN_PART_SIZE as u64 {
                return Err(StoreError::EntityTooSmall);
            }
            chosen.push(part);
        }
        Ok(chosen)
    }

    /// A completion names each part's checksum of a composite upload, and a named one
    /// must be the part's
    /// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>,
    /// "Using part-level checksums for multipart uploads"). Checksums of another
    /// algorithm than the upload's are not the upload's business and are ignored.
    fn check_part_checksum(&self, requested: &RequestedPart, part: &Part) -> Result<(), StoreError> {
        let Some((algorithm, kind)) = self.checksum else {
            return Ok(());
        };
        let named = requested.checksums.iter().find(|(a, _)| *a == algorithm);
        match (named, &part.checksum) {
            (None, _) if kind == ChecksumKind::Composite => Err(StoreError::MissingPartChecksum {
                algorithm: algorithm.name().to_ascii_lowercase(),
                part: requested.number,
            }),
            (Some((_, value)), Some((a, d))) if *a == algorithm => {
                if checksum::decode(algorithm, value).as_ref() == Some(d) {
                    Ok(())
                } else {
                    Err(StoreError::InvalidPart)
                }
            }
            _ => Ok(()),
        }
    }

    /// The completed object's checksum from its chosen parts, after the whole-object
    /// claims of the request are checked against it: the type must be the upload's, and
    /// a value must be the computed one.
    pub(super) fn object_checksum(
        &self,
        chosen: &[&Part],
        claimed: &ClaimedChecksum,
    ) -> Result<Option<ObjectChecksum>, StoreError> {
        let (algorithm, kind) = self
            .checksum
            .unwrap_or((Algorithm::Crc64Nvme, ChecksumKind::FullObject));
        if let Some(asked) = claimed.kind
            && asked != kind
        {
            return Err(StoreError::ChecksumTypeMismatch {
                created: kind.name().to_owned(),
            });
        }
        let parts: Option<Vec<(Digest, u64)>> = chosen
            .iter()
            .map(|p| match &p.checksum {
                Some((a, d)) if *a == algorithm => Some((d.clone(), p.body.len())),
                _ => None,
            })
            .collect();
        let computed = parts.and_then(|parts| checksum::of_parts(algorithm, kind, &parts));
        if let Some((a, value)) = &claimed.value {
            if *a != algorithm {
                return Err(StoreError::ChecksumAlgorithmMismatch {
                    expected: algorithm.name().to_ascii_lowercase(),
                    actual: a.name().to_ascii_lowercase(),
                });
            }
            // A composite value may be named with or without its `-N`.
            let given = value.trim().split_once('-').map_or(value.trim(), |(v, _)| v);
            if let Some(c) = &computed
                && checksum::decode(algorithm, given).as_ref() != Some(&c.digest)
            {
                return Err(StoreError::BadDigest(algorithm.name()));
            }
        }
        Ok(computed.map(|mut c| {
            // The default checksum keeps no parts: S3 does not show them.
            if self.checksum.is_none() {
                c.parts = None;
            }
            c
        }))
    }
}
