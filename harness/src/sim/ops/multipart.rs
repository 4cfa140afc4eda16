//! Multipart uploads: CreateMultipartUpload, UploadPart, CompleteMultipartUpload and
//! AbortMultipartUpload.

use std::collections::BTreeMap;

use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::{SimS3, caller_account, check_content_md5, collect_body, key_of, metadata_map};
use crate::sim::store::{Part, RequestedPart, Upload, now};

pub(super) async fn create_multipart_upload(
    sim: &SimS3,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let account = caller_account(sim, &req);
    let input = req.input;
    key_of(&input.key)?;
    let upload = Upload {
        key: input.key.clone(),
        initiator_account: account,
        initiated: now(),
        content_type: input.content_type,
        metadata: metadata_map(input.metadata),
        parts: BTreeMap::new(),
    };
    let id = sim.store().create_upload(&input.bucket, upload)?;
    Ok(S3Response::new(CreateMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        upload_id: Some(id),
        ..Default::default()
    }))
}

pub(super) async fn upload_part(
    sim: &SimS3,
    req: S3Request<UploadPartInput>,
) -> S3Result<S3Response<UploadPartOutput>> {
    let input = req.input;
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
    if !(1..=10_000).contains(&input.part_number) {
        return Err(s3_error!(
            InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive"
        ));
    }
    let bytes = collect_body(input.body).await?;
    check_content_md5(input.content_md5.as_deref(), &bytes)?;
    let digest: [u8; 16] = Md5::digest(&bytes).into();
    let part = Part {
        bytes,
        digest,
        last_modified: now(),
    };
    sim.store()
        .put_part(&input.bucket, &input.upload_id, &input.key, input.part_number, part)?;
    Ok(S3Response::new(UploadPartOutput {
        e_tag: Some(ETag::Strong(hex::encode(digest))),
        ..Default::default()
    }))
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
            etag: p.e_tag.map(|e| e.value().trim_matches('"').to_owned()),
        })
        .collect();
    let o = sim
        .store()
        .complete_upload(&input.bucket, &input.upload_id, &key, &requested)?;
    Ok(S3Response::new(CompleteMultipartUploadOutput {
        bucket: Some(input.bucket),
        key: Some(input.key),
        e_tag: Some(ETag::Strong(o.etag)),
        ..Default::default()
    }))
}

pub(super) async fn abort_multipart_upload(
    sim: &SimS3,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    sim.store()
        .abort_upload(&req.input.bucket, &req.input.upload_id, &req.input.key)?;
    Ok(S3Response::new(AbortMultipartUploadOutput::default()))
}
