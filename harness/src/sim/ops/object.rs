//! Object operations: HeadObject, GetObject, PutObject, DeleteObject, DeleteObjects
//! and CopyObject.

use s3s::dto::*;
use s3s::{S3Error, S3Request, S3Response, S3Result, s3_error};

use super::conditional::{ReadTarget, read_target_of};
use super::integrity::{self, set_checksum};
use super::{
    SimS3, caller_account, check_content_md5, incoming, key_of, metadata_map, metadata_out, principal, request_keys, ts,
};
use crate::sim::store::checksum::Hasher;
use crate::sim::store::{BodyError, ByteStream, DEFAULT_CONTENT_TYPE, Headers, ObjKey, Object, Ranged, now};

pub(super) async fn head_object(
    sim: &SimS3,
    req: S3Request<HeadObjectInput>,
) -> S3Result<S3Response<HeadObjectOutput>> {
    let input = req.input;
    let ReadTarget {
        object: o,
        start,
        end,
        content_range,
        parts_count,
    } = read_target_of!(sim, input)?;
    let mut out = HeadObjectOutput {
        parts_count,
        accept_ranges: Some("bytes".to_owned()),
        content_length: Some(content_length(start, end)),
        content_range,
        content_type: Some(o.headers().content_type.clone()),
        content_encoding: o.headers().content_encoding.clone(),
        e_tag: Some(ETag::Strong(o.etag.to_string())),
        last_modified: Some(ts(o.last_modified())),
        metadata: metadata_out(&o.headers().metadata),
        ..Default::default()
    };
    let checksum = integrity::served(
        &o,
        input.checksum_mode.as_ref(),
        input.range.is_some(),
        input.part_number,
    );
    out.checksum_type = set_checksum!(out, checksum.as_ref());
    Ok(S3Response::new(out))
}

pub(super) async fn get_object(sim: &SimS3, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
    let input = req.input;
    let target = read_target_of!(sim, input)?;
    let o = &target.object;
    let stream = o
        .body
        .stream_range(o.size, target.start, target.end)
        .await
        .map_err(body_error)?;
    Ok(served(input, target, stream))
}

/// [`get_object`] with no future, when the object's bytes stream without waiting
/// (all but a fixture file's): what the direct GetObject route ahead of s3s calls.
/// `Err` hands the request back for [`get_object`] (boxed: the rare way).
pub(super) fn get_object_now(
    sim: &SimS3,
    req: S3Request<GetObjectInput>,
) -> Result<S3Result<S3Response<GetObjectOutput>>, Box<S3Request<GetObjectInput>>> {
    let target = match read_target_of!(sim, req.input) {
        Ok(target) => target,
        Err(e) => return Ok(Err(e)),
    };
    let o = &target.object;
    match o.body.range_now(o.size, target.start, target.end) {
        Ranged::Now(Ok(stream)) => Ok(Ok(served(req.input, target, stream))),
        Ranged::Now(Err(e)) => Ok(Err(body_error(e))),
        Ranged::File(_) => Err(Box::new(req)),
    }
}

/// As S3 answers a read of an archived object's bytes
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>); any other
/// failure to read is the simulator's.
fn body_error(e: BodyError) -> S3Error {
    match e {
        e @ BodyError::Unknown { .. } => s3_error!(InvalidObjectState, "{e}"),
        e => s3_error!(InternalError, "{e}"),
    }
}

/// GetObject's answer: the bytes `stream` serves of the object `target` read.
fn served(input: GetObjectInput, target: ReadTarget, stream: ByteStream) -> S3Response<GetObjectOutput> {
    let ReadTarget {
        object: o,
        start,
        end,
        content_range,
        parts_count,
    } = target;
    let checksum = integrity::served(
        &o,
        input.checksum_mode.as_ref(),
        input.range.is_some(),
        input.part_number,
    );
    let mut out = GetObjectOutput {
        parts_count,
        accept_ranges: Some("bytes".to_owned()),
        body: Some(StreamingBlob::wrap(stream)),
        content_length: Some(content_length(start, end)),
        content_range,
        content_type: Some(
            input
                .response_content_type
                .unwrap_or_else(|| o.headers().content_type.clone()),
        ),
        content_encoding: o.headers().content_encoding.clone(),
        e_tag: Some(ETag::Strong(o.etag.to_string())),
        last_modified: Some(ts(o.last_modified())),
        metadata: metadata_out(&o.headers().metadata),
        ..Default::default()
    };
    out.checksum_type = set_checksum!(out, checksum.as_ref());
    S3Response::new(out)
}

fn content_length(start: u64, end: u64) -> i64 {
    i64::try_from(end.saturating_sub(start)).unwrap_or(i64::MAX)
}

pub(super) async fn put_object(sim: &SimS3, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
    let mut put = Put::begin(sim, &req)?;
    let mut input = req.input;
    let received = incoming::receive(input.body.take(), input.content_length, &mut put.hasher).await?;
    put.store(sim, input, received, req.trailing_headers.as_ref())
}

/// [`put_object`] of a body already read whole (`body`; the input's own is ignored),
/// with no await: what the direct PutObject route ahead of s3s calls.
pub(super) fn put_object_whole(
    sim: &SimS3,
    req: S3Request<PutObjectInput>,
    body: &[u8],
) -> S3Result<S3Response<PutObjectOutput>> {
    let mut put = Put::begin(sim, &req)?;
    let received = incoming::receive_whole(body, req.input.content_length, &mut put.hasher)?;
    put.store(sim, req.input, received, req.trailing_headers.as_ref())
}

/// A PutObject before its body is received: who stores it, what the request claims
/// of its checksums, the key, and the hasher the body goes through.
struct Put {
    account: String,
    claim: integrity::Claim,
    key: ObjKey,
    hasher: Hasher,
}

impl Put {
    fn begin(sim: &SimS3, req: &S3Request<PutObjectInput>) -> S3Result<Self> {
        let account = caller_account(sim, req);
        let claim = integrity::Claim::of(&req.headers)?;
        let key = key_of(&req.input.key)?;
        let hasher = claim.object_hasher();
        Ok(Self {
            account,
            claim,
            key,
            hasher,
        })
    }

    /// Stores the received body under the input's bucket and key.
    fn store(
        self,
        sim: &SimS3,
        input: PutObjectInput,
        received: incoming::Received,
        trailing: Option<&s3s::TrailingHeaders>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        check_content_md5(input.content_md5.as_deref(), &received.md5)?;
        let checksum = self
            .claim
            .object(received.chunks.len(), &self.hasher.finish(), trailing)?;
        let headers = Headers {
            content_type: input.content_type.unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned()),
            content_encoding: integrity::stored_content_encoding(input.content_encoding),
            metadata: metadata_map(input.metadata),
            owner: self.account,
        };
        let mut o = Object::received_with(received.chunks, &received.md5, headers);
        let mut out = PutObjectOutput {
            e_tag: Some(ETag::Strong(o.etag.to_string())),
            ..Default::default()
        };
        out.checksum_type = set_checksum!(out, Some(&checksum));
        o.set_checksum(Some(checksum));
        sim.store().put(&input.bucket, self.key, o)?;
        Ok(S3Response::new(out))
    }
}

pub(super) async fn delete_object(
    sim: &SimS3,
    req: S3Request<DeleteObjectInput>,
) -> S3Result<S3Response<DeleteObjectOutput>> {
    sim.store().delete(&req.input.bucket, &req.input.key)?;
    Ok(S3Response::new(DeleteObjectOutput::default()))
}

pub(super) async fn delete_objects(
    sim: &SimS3,
    req: S3Request<DeleteObjectsInput>,
) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let who = principal(sim, &req);
    let keys = request_keys(&req, "DeleteObjects");
    let input = req.input;
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html: at
    // most 1000 keys; each key is authorized and reported on its own.
    if input.delete.objects.len() > 1000 || input.delete.objects.is_empty() {
        return Err(s3_error!(
            MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema"
        ));
    }
    let quiet = input.delete.quiet == Some(true);
    let mut allowed = Vec::new();
    let mut errors = Vec::new();
    for id in input.delete.objects {
        let verdict = sim.gate.decide(
            &who,
            "s3:DeleteObject",
            "DeleteObjects",
            &input.bucket,
            Some(&id.key),
            &keys,
        );
        if verdict.proceeds() {
            allowed.push(id.key);
        } else {
            errors.push(s3s::dto::Error {
                code: Some("AccessDenied".to_owned()),
                key: Some(id.key),
                message: Some("Access Denied".to_owned()),
                version_id: None,
            });
        }
    }
    sim.store()
        .delete_all(&input.bucket, allowed.iter().map(String::as_str))?;
    let deleted: Vec<DeletedObject> = if quiet {
        Vec::new()
    } else {
        allowed
            .into_iter()
            .map(|key| DeletedObject {
                key: Some(key),
                ..Default::default()
            })
            .collect()
    };
    Ok(S3Response::new(DeleteObjectsOutput {
        deleted: (!deleted.is_empty()).then_some(deleted),
        errors: (!errors.is_empty()).then_some(errors),
        ..Default::default()
    }))
}

pub(super) async fn copy_object(
    sim: &SimS3,
    req: S3Request<CopyObjectInput>,
) -> S3Result<S3Response<CopyObjectOutput>> {
    let who = principal(sim, &req);
    let keys = request_keys(&req, "CopyObject");
    let input = req.input;
    let CopySource::Bucket {
        bucket: src_bucket,
        key: src_key,
        ..
    } = &input.copy_source
    else {
        return Err(s3_error!(
            NotImplemented,
            "copying from an access point is not simulated"
        ));
    };
    // The source bucket must exist before its policy is asked about the read.
    sim.store().bucket(src_bucket)?;
    let verdict = sim
        .gate
        .decide(&who, "s3:GetObject", "CopyObject", src_bucket, Some(src_key), &keys);
    if !verdict.proceeds() {
        return Err(crate::sim::auth::gate::refusal(&verdict));
    }
    let src = sim.store().get(src_bucket, src_key)?;
    let replace = input
        .metadata_directive
        .as_ref()
        .is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
    if **src_bucket == *input.bucket && **src_key == *input.key && !replace {
        return Err(s3_error!(
            InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."
        ));
    }
    let mut o = Object::clone(&src);
    o.headers_mut().owner = who.caller.account().unwrap_or_default().to_owned();
    o.set_last_modified(now());
    if replace {
        o.headers_mut().content_type = input.content_type.unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
        o.headers_mut().content_encoding = input.content_encoding;
        o.headers_mut().metadata = metadata_map(input.metadata);
    }
    let result = CopyObjectResult {
        e_tag: Some(ETag::Strong(o.etag.to_string())),
        last_modified: Some(ts(o.last_modified())),
        ..Default::default()
    };
    let key = key_of(&input.key)?;
    sim.store().put(&input.bucket, key, o)?;
    Ok(S3Response::new(CopyObjectOutput {
        copy_object_result: Some(result),
        ..Default::default()
    }))
}
