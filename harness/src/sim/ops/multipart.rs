//! Multipart uploads: CreateMultipartUpload, UploadPart, CompleteMultipartUpload and
//! AbortMultipartUpload.

use std::collections::BTreeMap;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::integrity::{self, set_checksum};
use super::list::{check_encoding, encoded};
use super::{SimS3, caller_account, check_content_md5, incoming, key_of, metadata_map, owner, ts};
use crate::sim::store::checksum::{self, ObjectChecksum};
use crate::sim::store::{ClaimedChecksum, Part, RequestedPart, Upload, now};

pub(super) async fn create_multipart_upload(
    sim: &SimS3,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let account = caller_account(sim, &req);
    let input = req.input;
    key_of(&input.key)?;
    let upload_checksum = integrity::upload_checksum(
        input.checksum_algorithm.as_ref().map(ChecksumAlgorithm::as_str),
        input.checksum_type.as_ref().map(ChecksumType::as_str),
    )?;
    let upload = Upload {
        key: input.key.clone(),
        initiator_account: account,
        initiated: now(),
        content_type: input.content_type,
        metadata: metadata_map(input.metadata),
        parts: BTreeMap::new(),
        checksum: upload_checksum,
    };
    let id = sim.store().create_upload(&input.bucket, upload)?;
    Ok(S3Response::new(CreateMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(id),
        checksum_algorithm: upload_checksum.map(|(a, _)| ChecksumAlgorithm::from(a.name().to_owned())),
        checksum_type: upload_checksum.map(|(_, k)| ChecksumType::from(k.name().to_owned())),
        ..Default::default()
    }))
}

pub(super) async fn upload_part(
    sim: &SimS3,
    req: S3Request<UploadPartInput>,
) -> S3Result<S3Response<UploadPartOutput>> {
    let claim = integrity::Claim::of(&req.headers)?;
    let input = req.input;
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
    if !(1..=10_000).contains(&input.part_number) {
        return Err(s3_error!(
            InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive"
        ));
    }
    let upload_checksum = sim
        .store()
        .upload_checksum(&input.bucket, &input.upload_id, &input.key)?;
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html: a part is at
    // most 5 GiB, refused before its body is read.
    let mut hasher = claim.part_hasher(upload_checksum);
    let received = incoming::receive(input.body, input.content_length, &mut hasher).await?;
    check_content_md5(input.content_md5.as_deref(), &received.md5)?;
    let part_checksum = claim.part(
        upload_checksum,
        received.chunks.len(),
        &hasher.finish(),
        req.trailing_headers.as_ref(),
    )?;
    let digest = received.md5;
    let mut out = UploadPartOutput {
        e_tag: Some(ETag::Strong(hex::encode(digest))),
        ..Default::default()
    };
    // The part's checksum is answered for an upload with an algorithm, not for S3's
    // default one.
    if upload_checksum.is_some() {
        let shown = ObjectChecksum::full(part_checksum.0, part_checksum.1.clone());
        set_checksum!(out, Some(&shown));
    }
    let part = Part {
        body: received.chunks,
        digest,
        last_modified: now(),
        checksum: Some(part_checksum),
    };
    sim.store()
        .put_part(&input.bucket, &input.upload_id, &input.key, input.part_number, part)?;
    Ok(S3Response::new(out))
}

pub(super) async fn complete_multipart_upload(
    sim: &SimS3,
    req: S3Request<CompleteMultipartUploadInput>,
) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
    let input = req.input;
    let key = key_of(&input.key)?;
    let requested: Vec<RequestedPart> = input
        .multipart_upload
        .and_then(|m| m.parts)
        .unwrap_or_default()
        .into_iter()
        .map(|p| RequestedPart {
            number: p.part_number.unwrap_or(0),
            checksums: integrity::completed_part_checksums(&p),
            etag: p.e_tag.map(|e| e.value().trim_matches('"').to_owned()),
        })
        .collect();
    let claimed = ClaimedChecksum {
        kind: input
            .checksum_type
            .as_ref()
            .map(|k| {
                checksum::ChecksumKind::parse(k.as_str())
                    .ok_or_else(|| s3_error!(InvalidRequest, "Value for x-amz-checksum-type header is invalid."))
            })
            .transpose()?,
        value: [
            (checksum::Algorithm::Crc32, &input.checksum_crc32),
            (checksum::Algorithm::Crc32c, &input.checksum_crc32c),
            (checksum::Algorithm::Crc64Nvme, &input.checksum_crc64nvme),
            (checksum::Algorithm::Sha1, &input.checksum_sha1),
            (checksum::Algorithm::Sha256, &input.checksum_sha256),
        ]
        .into_iter()
        .find_map(|(a, v)| Some((a, v.clone()?))),
    };
    let o = sim
        .store()
        .complete_upload(&input.bucket, &input.upload_id, &key, &requested, &claimed)?;
    let mut out = CompleteMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        e_tag: Some(ETag::Strong(o.etag.to_string())),
        ..Default::default()
    };
    out.checksum_type = set_checksum!(out, o.checksum());
    Ok(S3Response::new(out))
}

pub(super) async fn abort_multipart_upload(
    sim: &SimS3,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    sim.store()
        .abort_upload(&req.input.bucket, &req.input.upload_id, &req.input.key)?;
    Ok(S3Response::new(AbortMultipartUploadOutput::default()))
}

/// One entry of a ListMultipartUploads page.
#[derive(Debug)]
enum UploadEntry<'a> {
    Upload(&'a str, &'a Upload),
    CommonPrefix(String),
}

/// A page of uploads (already in key, then start, order) as ListMultipartUploads pages
/// them: under `prefix`, after (`key_marker`, `upload_id_marker`), keys rolled up to
/// their first `delimiter` past the prefix, at most `max` entries
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html>).
/// Returns the entries and whether more follow.
fn page_uploads<'a>(
    uploads: &'a [(String, Upload)],
    prefix: &str,
    delimiter: Option<&str>,
    key_marker: Option<&str>,
    upload_id_marker: Option<&str>,
    max: usize,
) -> (Vec<UploadEntry<'a>>, bool) {
    let after_marker = |key: &str, id: &str| match key_marker {
        None => true,
        Some(km) => match key.as_bytes().cmp(km.as_bytes()) {
            std::cmp::Ordering::Greater => true,
            // Uploads of the marker key itself only with an id marker, and only after it.
            std::cmp::Ordering::Equal => upload_id_marker.is_some_and(|m| id > m),
            std::cmp::Ordering::Less => false,
        },
    };
    let mut entries = Vec::new();
    for (id, u) in uploads {
        if !u.key.starts_with(prefix) || !after_marker(&u.key, id) {
            continue;
        }
        let rolled = delimiter.filter(|d| !d.is_empty()).and_then(|d| {
            let rest = &u.key[prefix.len()..];
            rest.find(d).map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
        });
        match rolled {
            Some(p) => {
                if key_marker.is_some_and(|km| km.starts_with(&p)) {
                    continue;
                }
                if !matches!(entries.last(), Some(UploadEntry::CommonPrefix(last)) if *last == p) {
                    if entries.len() == max {
                        return (entries, true);
                    }
                    entries.push(UploadEntry::CommonPrefix(p));
                }
            }
            None => {
                if entries.len() == max {
                    return (entries, true);
                }
                entries.push(UploadEntry::Upload(id, u));
            }
        }
    }
    (entries, false)
}

/// An upload's `ChecksumAlgorithm` as listings show it (none for S3's default).
fn algorithm_field(u: &Upload) -> Option<ChecksumAlgorithm> {
    u.checksum.map(|(a, _)| ChecksumAlgorithm::from(a.name().to_owned()))
}

/// An upload's `ChecksumType` as listings show it (none for S3's default).
fn type_field(u: &Upload) -> Option<ChecksumType> {
    u.checksum.map(|(_, k)| ChecksumType::from(k.name().to_owned()))
}

fn initiator(account: &str) -> Initiator {
    Initiator {
        display_name: Some(account.to_owned()),
        id: Some(super::canonical_id(account)),
    }
}

pub(super) async fn list_multipart_uploads(
    sim: &SimS3,
    req: S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let input = req.input;
    let encode = check_encoding(input.encoding_type.as_ref())?;
    let max = match input.max_uploads {
        None => 1000,
        Some(n) => {
            usize::try_from(n.min(1000)).map_err(|_| s3_error!(InvalidArgument, "max-uploads cannot be negative"))?
        }
    };
    let uploads = sim.store().uploads(&input.bucket)?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let (entries, truncated) = page_uploads(
        &uploads,
        &prefix,
        input.delimiter.as_deref(),
        input.key_marker.as_deref().filter(|k| !k.is_empty()),
        input.upload_id_marker.as_deref().filter(|k| !k.is_empty()),
        max,
    );
    let mut listed = Vec::new();
    let mut prefixes = Vec::new();
    let mut next = None;
    for e in &entries {
        match e {
            UploadEntry::Upload(id, u) => {
                next = Some((u.key.clone(), (*id).to_owned()));
                listed.push(MultipartUpload {
                    key: Some(encoded(encode, &u.key)),
                    upload_id: Some((*id).to_owned()),
                    initiated: Some(ts(u.initiated)),
                    initiator: Some(initiator(&u.initiator_account)),
                    owner: Some(owner(&u.initiator_account)),
                    storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                    checksum_algorithm: algorithm_field(u),
                    checksum_type: type_field(u),
                });
            }
            UploadEntry::CommonPrefix(p) => {
                next = Some((p.clone(), String::new()));
                prefixes.push(CommonPrefix {
                    prefix: Some(encoded(encode, p)),
                });
            }
        }
    }
    let (next_key, next_id) = match next.filter(|_| truncated) {
        Some((k, id)) => (Some(encoded(encode, &k)), Some(id)),
        None => (None, None),
    };
    Ok(S3Response::new(ListMultipartUploadsOutput {
        bucket: Some(input.bucket),
        prefix: Some(encoded(encode, &prefix)),
        delimiter: input.delimiter.map(|d| encoded(encode, &d)),
        key_marker: Some(input.key_marker.map(|k| encoded(encode, &k)).unwrap_or_default()),
        upload_id_marker: Some(input.upload_id_marker.unwrap_or_default()),
        next_key_marker: next_key,
        next_upload_id_marker: next_id,
        max_uploads: Some(input.max_uploads.unwrap_or(1000)),
        is_truncated: Some(truncated),
        uploads: (!listed.is_empty()).then_some(listed),
        common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
        encoding_type: input.encoding_type,
        ..Default::default()
    }))
}

pub(super) async fn list_parts(sim: &SimS3, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
    let input = req.input;
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html: parts after
    // part-number-marker, at most max-parts (1000 by default and at most).
    let max = match input.max_parts {
        None => 1000,
        Some(n) => {
            usize::try_from(n.min(1000)).map_err(|_| s3_error!(InvalidArgument, "max-parts cannot be negative"))?
        }
    };
    let marker = input.part_number_marker.unwrap_or(0);
    let upload = sim.store().upload(&input.bucket, &input.upload_id, &input.key)?;
    let mut after = upload.parts.range(marker.saturating_add(1)..);
    let parts: Vec<s3s::dto::Part> = after
        .by_ref()
        .take(max)
        .map(|(n, p)| {
            let mut part = s3s::dto::Part {
                part_number: Some(*n),
                e_tag: Some(ETag::Strong(hex::encode(p.digest))),
                size: Some(i64::try_from(p.body.len()).unwrap_or(i64::MAX)),
                last_modified: Some(ts(p.last_modified)),
                ..Default::default()
            };
            // Parts show the upload's algorithm, not S3's default.
            if upload.checksum.is_some()
                && let Some((a, d)) = &p.checksum
            {
                set_checksum!(part, Some(&ObjectChecksum::full(*a, d.clone())));
            }
            part
        })
        .collect();
    let truncated = after.next().is_some();
    let next = parts.last().and_then(|p| p.part_number).filter(|_| truncated);
    Ok(S3Response::new(ListPartsOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(input.upload_id),
        initiator: Some(initiator(&upload.initiator_account)),
        owner: Some(owner(&upload.initiator_account)),
        storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
        part_number_marker: input.part_number_marker,
        next_part_number_marker: next,
        max_parts: Some(input.max_parts.unwrap_or(1000)),
        is_truncated: Some(truncated),
        parts: (!parts.is_empty()).then_some(parts),
        checksum_algorithm: upload
            .checksum
            .map(|(a, _)| ChecksumAlgorithm::from(a.name().to_owned())),
        checksum_type: upload.checksum.map(|(_, k)| ChecksumType::from(k.name().to_owned())),
        ..Default::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(key: &str) -> Upload {
        Upload {
            key: key.to_owned(),
            initiator_account: "111122223333".to_owned(),
            initiated: now(),
            content_type: None,
            metadata: BTreeMap::new(),
            parts: BTreeMap::new(),
            checksum: None,
        }
    }

    fn names(entries: &[UploadEntry<'_>]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e {
                UploadEntry::Upload(id, u) => format!("{}#{id}", u.key),
                UploadEntry::CommonPrefix(p) => p.clone(),
            })
            .collect()
    }

    #[test]
    fn uploads_page_by_key_then_id_and_roll_up_prefixes() {
        let uploads: Vec<(String, Upload)> = [("a/1", "01"), ("a/2", "02"), ("b", "03"), ("b", "04"), ("c", "05")]
            .iter()
            .map(|(k, id)| ((*id).to_owned(), upload(k)))
            .collect();
        let (page, more) = page_uploads(&uploads, "", None, None, None, 3);
        assert_eq!(names(&page), ["a/1#01", "a/2#02", "b#03"]);
        assert!(more);
        let (page, more) = page_uploads(&uploads, "", None, Some("b"), Some("03"), 3);
        assert_eq!(names(&page), ["b#04", "c#05"]);
        assert!(!more);
        // A key marker alone skips every upload of that key.
        let (page, _) = page_uploads(&uploads, "", None, Some("b"), None, 10);
        assert_eq!(names(&page), ["c#05"]);
        let (page, _) = page_uploads(&uploads, "", Some("/"), None, None, 10);
        assert_eq!(names(&page), ["a/", "b#03", "b#04", "c#05"]);
        let (page, _) = page_uploads(&uploads, "a/", Some("/"), None, None, 10);
        assert_eq!(names(&page), ["a/1#01", "a/2#02"]);
        let (page, more) = page_uploads(&uploads, "", None, None, None, 0);
        assert!(page.is_empty() && more);
    }
}
