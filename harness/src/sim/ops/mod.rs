//! The S3 operations the simulator answers, over the in-memory store: one file per
//! family ([`bucket`], [`object`], [`list`], [`multipart`]) plus the preconditions and
//! ranges of reads ([`conditional`]).
//!
//! Each operation follows the S3 API reference page of its operation for status codes,
//! error codes and response fields. Authorization has already run in
//! [`crate::sim::auth::gate::AccessGate`] except where an operation touches more than
//! one resource (`DeleteObjects` per key, `CopyObject`'s source), which is decided
//! here through the same gate. Every error an operation returns is written into the
//! request's log record as it leaves, so the log never reads codes back out of XML.

mod bucket;
mod conditional;
mod incoming;
mod integrity;
pub mod list;
mod list_xml;
mod multipart;
mod object;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;

use base64::Engine as _;
use futures::FutureExt as _;
use s3s::dto::*;
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};

use crate::sim::auth::gate::{AccessGate, Principal, RequestKeys};
use crate::sim::auth::header_sigv4::VerifiedSigV4;
use crate::sim::request_log::RecordSlot;
use crate::sim::store::{ObjKey, Store, StoreError, etag};

pub use list::url_encode_key;

/// The S3 implementation s3s dispatches to.
#[derive(Clone)]
pub struct SimS3 {
    /// The access gate, shared with s3s's access hook; it holds the world.
    pub gate: Arc<AccessGate>,
}

impl SimS3 {
    fn store(&self) -> &Store {
        &self.gate.world.store
    }
}

/// One conversion from the store's refusals to S3's errors.
impl From<StoreError> for S3Error {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::NoSuchBucket(_) => S3ErrorCode::NoSuchBucket,
            StoreError::NoSuchKey => S3ErrorCode::NoSuchKey,
            StoreError::NoSuchUpload => S3ErrorCode::NoSuchUpload,
            StoreError::BucketNotEmpty => S3ErrorCode::BucketNotEmpty,
            StoreError::BucketAlreadyExists => S3ErrorCode::BucketAlreadyExists,
            StoreError::BucketAlreadyOwnedByYou => S3ErrorCode::BucketAlreadyOwnedByYou,
            StoreError::MalformedXml => S3ErrorCode::MalformedXML,
            StoreError::InvalidPartOrder => S3ErrorCode::InvalidPartOrder,
            StoreError::InvalidPart => S3ErrorCode::InvalidPart,
            StoreError::EntityTooSmall => S3ErrorCode::EntityTooSmall,
            StoreError::MissingPartChecksum { .. }
            | StoreError::ChecksumTypeMismatch { .. }
            | StoreError::ChecksumAlgorithmMismatch { .. } => S3ErrorCode::InvalidRequest,
            StoreError::BadDigest(_) => S3ErrorCode::BadDigest,
        };
        S3Error::with_message(code, e.to_string())
    }
}

impl SimS3 {
    /// GetObject as the `S3` trait answers it (its error recorded as [`recorded`]
    /// records it), but with no future when the object's bytes stream without
    /// waiting: what the direct GetObject route ahead of s3s calls, sparing a boxed
    /// future per request. `Err` hands the request back, for the trait's method.
    pub(crate) fn get_object_now(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> Result<S3Result<S3Response<GetObjectOutput>>, Box<S3Request<GetObjectInput>>> {
        let slot = req.extensions.get::<RecordSlot>().cloned();
        let result = object::get_object_now(self, req)?;
        record_error(slot, &result);
        Ok(result)
    }

    /// PutObject of a body already read whole, as the `S3` trait answers it (its
    /// error recorded as [`recorded`] records it), but with no future: what the direct
    /// PutObject route ahead of s3s calls, sparing a boxed future per request (the
    /// trait's methods are `async_trait`s).
    pub(crate) fn put_object_whole(
        &self,
        req: S3Request<PutObjectInput>,
        body: &[u8],
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let slot = req.extensions.get::<RecordSlot>().cloned();
        let result = object::put_object_whole(self, req, body);
        record_error(slot, &result);
        result
    }
}

/// Writes an operation's error code, if it failed, into the request's record.
fn record_error<O>(slot: Option<RecordSlot>, result: &S3Result<O>) {
    if let (Err(e), Some(slot)) = (result, slot) {
        slot.record_error(e.code());
    }
}

/// Runs an operation and writes its error code, if any, into the request's record.
///
/// A combinator rather than an `async fn`: an `async fn` would hold the request and
/// the operation's future side by side in its own state, making the future (which
/// `async_trait` boxes, so copies, for every request) nearly half as large again.
fn recorded<I, O, F, Fut>(req: S3Request<I>, op: F) -> impl Future<Output = S3Result<S3Response<O>>>
where
    F: FnOnce(S3Request<I>) -> Fut,
    Fut: Future<Output = S3Result<S3Response<O>>>,
{
    let slot = req.extensions.get::<RecordSlot>().cloned();
    op(req).map(move |result| {
        record_error(slot, &result);
        result
    })
}

fn key_of(key: &str) -> S3Result<ObjKey> {
    ObjKey::parse(key).map_err(|e| s3_error!(KeyTooLongError, "{e}"))
}

fn ts(t: time::OffsetDateTime) -> Timestamp {
    Timestamp::from(t)
}

/// A canonical user id (64 hex characters) for an account, stable across runs.
pub fn canonical_id(account: &str) -> String {
    let a = etag::md5_hex(account.as_bytes());
    let b = etag::md5_hex(a.as_bytes());
    format!("{a}{b}")
}

fn owner(account: &str) -> Owner {
    Owner {
        display_name: Some(account.to_owned()),
        id: Some(canonical_id(account)),
    }
}

/// Checks a `Content-MD5` header against the received bytes' MD5.
fn check_content_md5(content_md5: Option<&str>, md5: &[u8; 16]) -> S3Result<()> {
    let Some(expected) = content_md5 else { return Ok(()) };
    let expected = base64::engine::general_purpose::STANDARD
        .decode(expected)
        .ok()
        .filter(|d| d.len() == 16)
        .ok_or_else(|| s3_error!(InvalidDigest, "The Content-MD5 you specified was invalid."))?;
    if md5.as_slice() != expected.as_slice() {
        return Err(s3_error!(
            BadDigest,
            "The Content-MD5 you specified did not match what we received."
        ));
    }
    Ok(())
}

fn metadata_map(m: Option<Metadata>) -> BTreeMap<String, String> {
    m.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect()
}

fn metadata_out(m: &BTreeMap<String, String>) -> Option<Metadata> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<HashMap<_, _>>())
}

/// Who signed the request (anonymous without credentials).
fn principal<'s, I>(sim: &'s SimS3, req: &S3Request<I>) -> Principal<'s> {
    let access_key = match &req.credentials {
        Some(c) => Some(c.access_key.as_str()),
        // Verified by the front ahead of s3s, which then saw no signature.
        None => req.extensions.get::<VerifiedSigV4>().map(|v| v.access_key.as_str()),
    };
    sim.gate.principal(access_key)
}

/// The region the request was signed for: s3s's, or the scope of a signature the
/// front verified ahead of s3s (s3s then knows only a virtual host's region).
fn signed_region<I>(req: &S3Request<I>) -> Option<&str> {
    match req.extensions.get::<VerifiedSigV4>() {
        Some(v) => Some(v.region.as_str()),
        None => req.region.as_ref().map(|r| r.as_str()),
    }
}

fn caller_account<I>(sim: &SimS3, req: &S3Request<I>) -> String {
    principal(sim, req).caller.account().unwrap_or_default().to_owned()
}

/// The condition keys the gate computed for this request, for `operation`'s own
/// decisions: the gate builds them only for the operations it knows decide again.
fn request_keys<I>(req: &S3Request<I>, operation: &str) -> Arc<s3_policy::Context> {
    debug_assert!(
        crate::sim::auth::gate::DECIDES_AGAIN.contains(&operation),
        "{operation} decides again but the gate does not build its keys"
    );
    req.extensions.get::<RequestKeys>().cloned().unwrap_or_default().0
}

#[async_trait::async_trait]
impl S3 for SimS3 {
    async fn list_buckets(&self, req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
        recorded(req, |req| bucket::list_buckets(self, req)).await
    }

    async fn create_bucket(&self, req: S3Request<CreateBucketInput>) -> S3Result<S3Response<CreateBucketOutput>> {
        recorded(req, |req| bucket::create_bucket(self, req)).await
    }

    async fn delete_bucket(&self, req: S3Request<DeleteBucketInput>) -> S3Result<S3Response<DeleteBucketOutput>> {
        recorded(req, |req| bucket::delete_bucket(self, req)).await
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        recorded(req, |req| bucket::head_bucket(self, req)).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        recorded(req, |req| bucket::get_bucket_location(self, req)).await
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        recorded(req, |req| bucket::get_bucket_policy(self, req)).await
    }

    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        recorded(req, |req| bucket::put_bucket_policy(self, req)).await
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        recorded(req, |req| bucket::delete_bucket_policy(self, req)).await
    }

    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        recorded(req, |req| list::list_objects_v2(self, req)).await
    }

    async fn list_objects(&self, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
        recorded(req, |req| list::list_objects(self, req)).await
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        recorded(req, |req| object::head_object(self, req)).await
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        recorded(req, |req| object::get_object(self, req)).await
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        recorded(req, |req| object::put_object(self, req)).await
    }

    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
        recorded(req, |req| object::delete_object(self, req)).await
    }

    async fn delete_objects(&self, req: S3Request<DeleteObjectsInput>) -> S3Result<S3Response<DeleteObjectsOutput>> {
        recorded(req, |req| object::delete_objects(self, req)).await
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        recorded(req, |req| object::copy_object(self, req)).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        recorded(req, |req| multipart::create_multipart_upload(self, req)).await
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        recorded(req, |req| multipart::upload_part(self, req)).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        recorded(req, |req| multipart::complete_multipart_upload(self, req)).await
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        recorded(req, |req| multipart::list_multipart_uploads(self, req)).await
    }

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        recorded(req, |req| multipart::list_parts(self, req)).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        recorded(req, |req| multipart::abort_multipart_upload(self, req)).await
    }
}
