//! The S3 operations the simulator answers, over the in-memory store.
//!
//! Each method follows the S3 API reference page of its operation for status codes,
//! error codes and response fields. Authorization has already run in
//! [`crate::sim::auth::gate::AccessGate`] except where an operation touches more than one
//! resource (`DeleteObjects` per key, `CopyObject`'s source), which is decided here
//! through the same gate.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use bytes::Bytes;
use futures::TryStreamExt;
use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};

use crate::sim::auth::gate::AccessGate;
use crate::sim::store::listing::{self, Entry, ListQuery};
use crate::sim::store::{Bucket, DEFAULT_CONTENT_TYPE, ObjKey, Object, Part, State, Upload, etag, now};

/// The S3 implementation s3s dispatches to.
pub struct SimS3 {
    pub gate: Arc<AccessGate>,
}

impl SimS3 {
    fn store(&self) -> &crate::sim::store::Store {
        &self.gate.world.store
    }

    /// The object a GET or HEAD reads, after its preconditions, and the bytes it serves.
    fn read_target(
        &self,
        bucket_name: &str,
        key: &str,
        c: Conditions<'_>,
        range: Option<&Range>,
    ) -> S3Result<ReadTarget> {
        let object = {
            let state = self.store().read();
            let b = bucket(&state, bucket_name)?;
            b.objects.get(key.as_bytes()).cloned().ok_or_else(no_such_key)?
        };
        check_preconditions(
            &object,
            c.if_match,
            c.if_none_match,
            c.if_modified_since,
            c.if_unmodified_since,
        )?;
        let (start, end, content_range) = resolve_range(range, object.size)?;
        Ok(ReadTarget {
            object,
            start,
            end,
            content_range,
        })
    }
}

/// [`SimS3::read_target`] for a GetObject or HeadObject input (same field names).
macro_rules! read_target {
    ($sim:expr, $input:expr) => {
        $sim.read_target(
            &$input.bucket,
            &$input.key,
            Conditions {
                if_match: $input.if_match.as_ref(),
                if_none_match: $input.if_none_match.as_ref(),
                if_modified_since: $input.if_modified_since.as_ref(),
                if_unmodified_since: $input.if_unmodified_since.as_ref(),
            },
            $input.range.as_ref(),
        )
    };
}

/// The conditional headers of a GET or HEAD.
struct Conditions<'a> {
    if_match: Option<&'a ETagCondition>,
    if_none_match: Option<&'a ETagCondition>,
    if_modified_since: Option<&'a Timestamp>,
    if_unmodified_since: Option<&'a Timestamp>,
}

/// What a GET or HEAD serves: the object and the byte range `start..end`.
struct ReadTarget {
    object: Object,
    start: u64,
    end: u64,
    content_range: Option<String>,
}

const LIST_MAX_KEYS: i32 = 1000;
/// S3's minimum part size for all but the last part
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>).
const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

fn bucket<'a>(state: &'a State, name: &str) -> S3Result<&'a Bucket> {
    state
        .buckets
        .get(name)
        .ok_or_else(|| crate::sim::auth::gate::no_such_bucket(name))
}

fn bucket_mut<'a>(state: &'a mut State, name: &str) -> S3Result<&'a mut Bucket> {
    state
        .buckets
        .get_mut(name)
        .ok_or_else(|| crate::sim::auth::gate::no_such_bucket(name))
}

fn no_such_key() -> S3Error {
    s3_error!(NoSuchKey, "The specified key does not exist.")
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

/// Percent-encodes a key for `encoding-type=url` as S3 does: unreserved characters
/// and `/` stay, a space becomes `+`, everything else is `%XX` of its UTF-8 bytes
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>,
/// `EncodingType`; a space as `+` and `+` as `%2B` as S3 answers).
pub fn url_encode_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn max_keys(requested: Option<i32>) -> S3Result<usize> {
    match requested {
        None => Ok(LIST_MAX_KEYS as usize),
        Some(n) if n < 0 => Err(s3_error!(InvalidArgument, "max-keys cannot be negative")),
        Some(n) => Ok(n.min(LIST_MAX_KEYS) as usize),
    }
}

fn check_encoding(e: Option<&EncodingType>) -> S3Result<bool> {
    match e {
        None => Ok(false),
        Some(e) if e.as_str() == EncodingType::URL => Ok(true),
        Some(_) => Err(s3_error!(
            InvalidArgument,
            "Invalid Encoding Method specified in Request"
        )),
    }
}

/// Continuation tokens are opaque to clients; ours carry where the next page starts.
fn encode_token(from: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(from)
}

fn decode_token(token: &str) -> S3Result<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| s3_error!(InvalidArgument, "The continuation token provided is incorrect"))
}

fn list_object(k: &ObjKey, o: &Object, encode: bool, with_owner: bool) -> s3s::dto::Object {
    s3s::dto::Object {
        key: Some(if encode {
            url_encode_key(k.as_str())
        } else {
            k.to_string()
        }),
        size: Some(o.size as i64),
        e_tag: Some(ETag::Strong(o.etag.clone())),
        last_modified: Some(ts(o.last_modified)),
        storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
        owner: with_owner.then(|| owner(&o.owner)),
        ..Default::default()
    }
}

fn split_page(
    page: &listing::Page<'_, Object>,
    encode: bool,
    with_owner: bool,
) -> (Vec<s3s::dto::Object>, Vec<CommonPrefix>) {
    let mut contents = Vec::new();
    let mut prefixes = Vec::new();
    for e in &page.entries {
        match e {
            Entry::Object(k, o) => contents.push(list_object(k, o, encode, with_owner)),
            Entry::CommonPrefix(p) => prefixes.push(CommonPrefix {
                prefix: Some(if encode { url_encode_key(p) } else { p.clone() }),
            }),
        }
    }
    (contents, prefixes)
}

fn enc(encode: bool, s: Option<String>) -> Option<String> {
    s.map(|s| if encode { url_encode_key(&s) } else { s })
}

/// Applies If-Match / If-None-Match / If-(Un)Modified-Since as S3 does for GET and
/// HEAD (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>): a
/// failed If-Match or If-Unmodified-Since is 412; a matching If-None-Match or an
/// unmodified If-Modified-Since is 304; If-Match wins over If-Unmodified-Since and
/// If-None-Match over If-Modified-Since.
fn check_preconditions(
    o: &Object,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let current = ETag::Strong(o.etag.clone());
    let last_modified = o.last_modified;
    let matches = |c: &ETagCondition| match c {
        ETagCondition::Any => true,
        ETagCondition::ETag(e) => current.weak_cmp(e),
    };
    match (if_match, if_unmodified_since) {
        (Some(c), _) if !matches(c) => {
            return Err(s3_error!(
                PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold"
            ));
        }
        (None, Some(t)) if last_modified > time::OffsetDateTime::from(t.clone()) => {
            return Err(s3_error!(
                PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold"
            ));
        }
        _ => {}
    }
    let not_modified = || {
        let mut e = S3Error::new(S3ErrorCode::NotModified);
        e.set_status_code(hyper::StatusCode::NOT_MODIFIED);
        e
    };
    match (if_none_match, if_modified_since) {
        (Some(c), _) if matches(c) => return Err(not_modified()),
        (None, Some(t)) if last_modified <= time::OffsetDateTime::from(t.clone()) => return Err(not_modified()),
        _ => {}
    }
    Ok(())
}

/// The byte range to serve, and the Content-Range header for a partial answer.
fn resolve_range(range: Option<&Range>, size: u64) -> S3Result<(u64, u64, Option<String>)> {
    match range {
        None => Ok((0, size, None)),
        Some(r) => {
            let r = r.check(size)?;
            let header = format!("bytes {}-{}/{size}", r.start, r.end - 1);
            Ok((r.start, r.end, Some(header)))
        }
    }
}

async fn collect_body(body: Option<StreamingBlob>) -> S3Result<Bytes> {
    let Some(body) = body else { return Ok(Bytes::new()) };
    let chunks: Vec<Bytes> = body
        .try_collect()
        .await
        .map_err(|e| s3_error!(IncompleteBody, "the request body could not be read: {e}"))?;
    if chunks.len() == 1 {
        return Ok(chunks.into_iter().next().unwrap_or_default());
    }
    let mut out = Vec::with_capacity(chunks.iter().map(Bytes::len).sum());
    for c in chunks {
        out.extend_from_slice(&c);
    }
    Ok(Bytes::from(out))
}

/// Checks a `Content-MD5` header against the received bytes.
fn check_content_md5(content_md5: Option<&str>, bytes: &[u8]) -> S3Result<()> {
    let Some(expected) = content_md5 else { return Ok(()) };
    let expected = base64::engine::general_purpose::STANDARD
        .decode(expected)
        .ok()
        .filter(|d| d.len() == 16)
        .ok_or_else(|| s3_error!(InvalidDigest, "The Content-MD5 you specified was invalid."))?;
    if Md5::digest(bytes).as_slice() != expected.as_slice() {
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

fn caller_account(gate: &AccessGate, credentials: Option<&s3s::auth::Credentials>) -> String {
    gate.caller(credentials.map(|c| c.access_key.as_str()))
        .account()
        .unwrap_or_default()
        .to_owned()
}

fn upload_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let seed = format!("{n}-{}", time::OffsetDateTime::now_utc().unix_timestamp_nanos());
    etag::md5_hex(seed.as_bytes())
}

#[async_trait::async_trait]
impl S3 for SimS3 {
    #[tracing::instrument(skip_all)]
    async fn list_buckets(&self, req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
        // Only the caller's own buckets (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html).
        let account = caller_account(&self.gate, req.credentials.as_ref());
        let state = self.store().read();
        let buckets = state
            .buckets
            .values()
            .filter(|b| b.owner == account)
            .filter(|b| req.input.prefix.as_deref().is_none_or(|p| b.name.starts_with(p)))
            .filter(|b| req.input.bucket_region.as_deref().is_none_or(|r| b.region == r))
            .map(|b| s3s::dto::Bucket {
                name: Some(b.name.clone()),
                creation_date: Some(ts(b.created)),
                bucket_region: Some(b.region.clone()),
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(owner(&account)),
            prefix: req.input.prefix,
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket))]
    async fn create_bucket(&self, req: S3Request<CreateBucketInput>) -> S3Result<S3Response<CreateBucketOutput>> {
        let name = req.input.bucket.clone();
        crate::scenario::validate_bucket_name(&name)
            .map_err(|why| s3_error!(InvalidBucketName, "The specified bucket is not valid: {why}"))?;
        let constraint = req
            .input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|c| c.as_str().to_owned());
        let signed = req
            .region
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_else(|| "us-east-1".to_owned());
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html: no
        // constraint means us-east-1, which may not be named explicitly; another
        // region's endpoint only creates buckets in its own region.
        let region = match constraint.as_deref() {
            Some("us-east-1") => {
                return Err(s3_error!(
                    InvalidLocationConstraint,
                    "The specified location-constraint is not valid"
                ));
            }
            Some(c) if signed != "us-east-1" && signed != c => {
                return Err(s3_error!(
                    IllegalLocationConstraintException,
                    "The {c} location constraint is incompatible for the region specific endpoint this request was sent to."
                ));
            }
            Some(c) => c.to_owned(),
            None if signed != "us-east-1" => {
                return Err(s3_error!(
                    IllegalLocationConstraintException,
                    "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."
                ));
            }
            None => "us-east-1".to_owned(),
        };
        let account = caller_account(&self.gate, req.credentials.as_ref());
        let mut state = self.store().write();
        if let Some(existing) = state.buckets.get(&name) {
            if existing.owner != account {
                return Err(s3_error!(
                    BucketAlreadyExists,
                    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."
                ));
            }
            // us-east-1 keeps its legacy answer: 200 OK for your own bucket.
            if existing.region == "us-east-1" && region == "us-east-1" {
                return Ok(S3Response::new(CreateBucketOutput {
                    location: Some(format!("/{name}")),
                    ..Default::default()
                }));
            }
            return Err(s3_error!(
                BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it."
            ));
        }
        state
            .buckets
            .insert(name.clone(), Bucket::new(&name, &region, &account));
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{name}")),
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket))]
    async fn delete_bucket(&self, req: S3Request<DeleteBucketInput>) -> S3Result<S3Response<DeleteBucketOutput>> {
        let mut state = self.store().write();
        let b = bucket(&state, &req.input.bucket)?;
        if !b.objects.is_empty() {
            return Err(s3_error!(BucketNotEmpty, "The bucket you tried to delete is not empty"));
        }
        state.buckets.remove(&req.input.bucket);
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket))]
    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        let state = self.store().read();
        let b = bucket(&state, &req.input.bucket)?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(b.region.clone()),
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket))]
    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let state = self.store().read();
        let b = bucket(&state, &req.input.bucket)?;
        // us-east-1 is answered with an empty (null) LocationConstraint
        // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html).
        let location_constraint = (b.region != "us-east-1").then(|| BucketLocationConstraint::from(b.region.clone()));
        Ok(S3Response::new(GetBucketLocationOutput { location_constraint }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket))]
    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let encode = check_encoding(input.encoding_type.as_ref())?;
        let max = max_keys(input.max_keys)?;
        let from = match (&input.continuation_token, &input.start_after) {
            (Some(t), _) => Some(decode_token(t)?),
            (None, Some(sa)) if !sa.is_empty() => Some(listing::after(sa)),
            _ => None,
        };
        let prefix = input.prefix.clone().unwrap_or_default();
        let state = self.store().read();
        let b = bucket(&state, &input.bucket)?;
        let page = listing::list(
            &b.objects,
            ListQuery {
                prefix: &prefix,
                delimiter: input.delimiter.as_deref(),
                from: from.as_deref(),
                max_keys: max,
            },
        );
        let (contents, prefixes) = split_page(&page, encode, input.fetch_owner == Some(true));
        let key_count = (contents.len() + prefixes.len()) as i32;
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(if encode { url_encode_key(&prefix) } else { prefix }),
            max_keys: Some(input.max_keys.unwrap_or(LIST_MAX_KEYS)),
            key_count: Some(key_count),
            continuation_token: input.continuation_token,
            is_truncated: Some(page.truncated),
            next_continuation_token: page.resume_from.as_deref().map(encode_token),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            delimiter: enc(encode, input.delimiter),
            encoding_type: input.encoding_type,
            start_after: enc(encode, input.start_after),
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket))]
    async fn list_objects(&self, req: S3Request<ListObjectsInput>) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let encode = check_encoding(input.encoding_type.as_ref())?;
        let max = max_keys(input.max_keys)?;
        let from = input.marker.as_deref().filter(|m| !m.is_empty()).map(listing::after);
        let prefix = input.prefix.clone().unwrap_or_default();
        let state = self.store().read();
        let b = bucket(&state, &input.bucket)?;
        let page = listing::list(
            &b.objects,
            ListQuery {
                prefix: &prefix,
                delimiter: input.delimiter.as_deref(),
                from: from.as_deref(),
                max_keys: max,
            },
        );
        let (contents, prefixes) = split_page(&page, encode, true);
        // NextMarker is returned only with a delimiter; without one, clients continue
        // from the last key (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html).
        let next_marker = (page.truncated && input.delimiter.as_deref().is_some_and(|d| !d.is_empty()))
            .then(|| page.last_entry_name().map(str::to_owned))
            .flatten();
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(if encode { url_encode_key(&prefix) } else { prefix }),
            marker: Some(enc(encode, input.marker).unwrap_or_default()),
            max_keys: Some(input.max_keys.unwrap_or(LIST_MAX_KEYS)),
            is_truncated: Some(page.truncated),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            delimiter: enc(encode, input.delimiter),
            next_marker: enc(encode, next_marker),
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket, key = %req.input.key))]
    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        let ReadTarget {
            object: o,
            start,
            end,
            content_range,
        } = read_target!(self, input)?;
        Ok(S3Response::new(HeadObjectOutput {
            accept_ranges: Some("bytes".to_owned()),
            content_length: Some((end - start) as i64),
            content_range,
            content_type: Some(o.content_type.clone()),
            content_encoding: o.content_encoding.clone(),
            e_tag: Some(ETag::Strong(o.etag.clone())),
            last_modified: Some(ts(o.last_modified)),
            metadata: metadata_out(&o.metadata),
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket, key = %req.input.key))]
    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let ReadTarget {
            object: o,
            start,
            end,
            content_range,
        } = read_target!(self, input)?;
        let stream = o
            .body
            .stream_range(o.size, start, end)
            .await
            .map_err(|e| s3_error!(InternalError, "{e}"))?;
        Ok(S3Response::new(GetObjectOutput {
            accept_ranges: Some("bytes".to_owned()),
            body: Some(StreamingBlob::wrap(stream)),
            content_length: Some((end - start) as i64),
            content_range,
            content_type: Some(input.response_content_type.unwrap_or_else(|| o.content_type.clone())),
            content_encoding: o.content_encoding.clone(),
            e_tag: Some(ETag::Strong(o.etag.clone())),
            last_modified: Some(ts(o.last_modified)),
            metadata: metadata_out(&o.metadata),
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket, key = %req.input.key))]
    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        let account = caller_account(&self.gate, req.credentials.as_ref());
        let input = req.input;
        let key = key_of(&input.key)?;
        let bytes = collect_body(input.body).await?;
        check_content_md5(input.content_md5.as_deref(), &bytes)?;
        let mut o = Object::from_bytes(bytes, &account);
        o.content_type = input.content_type.unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
        o.content_encoding = input.content_encoding;
        o.metadata = metadata_map(input.metadata);
        let e_tag = ETag::Strong(o.etag.clone());
        let mut state = self.store().write();
        bucket_mut(&mut state, &input.bucket)?.objects.insert(key, o);
        Ok(S3Response::new(PutObjectOutput {
            e_tag: Some(e_tag),
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket, key = %req.input.key))]
    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
        // Deleting a key that does not exist succeeds (204) on an unversioned bucket.
        let mut state = self.store().write();
        bucket_mut(&mut state, &req.input.bucket)?
            .objects
            .remove(req.input.key.as_bytes());
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket))]
    async fn delete_objects(&self, req: S3Request<DeleteObjectsInput>) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html: at
        // most 1000 keys; each key is authorized and reported on its own.
        if input.delete.objects.len() > 1000 || input.delete.objects.is_empty() {
            return Err(s3_error!(
                MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema"
            ));
        }
        let caller = self
            .gate
            .caller(req.credentials.as_ref().map(|c| c.access_key.as_str()));
        let keys = req
            .extensions
            .get::<crate::sim::auth::gate::RequestKeys>()
            .cloned()
            .unwrap_or_default()
            .0;
        let quiet = input.delete.quiet == Some(true);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for id in input.delete.objects {
            let verdict = self.gate.decide(
                &caller,
                "s3:DeleteObject",
                "DeleteObjects",
                &input.bucket,
                Some(&id.key),
                keys.clone(),
            );
            if !verdict.proceeds() {
                errors.push(s3s::dto::Error {
                    code: Some("AccessDenied".to_owned()),
                    key: Some(id.key),
                    message: Some("Access Denied".to_owned()),
                    version_id: None,
                });
                continue;
            }
            let mut state = self.store().write();
            bucket_mut(&mut state, &input.bucket)?.objects.remove(id.key.as_bytes());
            if !quiet {
                deleted.push(DeletedObject {
                    key: Some(id.key),
                    ..Default::default()
                });
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: (!deleted.is_empty()).then_some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket, key = %req.input.key))]
    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        let caller = self
            .gate
            .caller(req.credentials.as_ref().map(|c| c.access_key.as_str()));
        let keys = req
            .extensions
            .get::<crate::sim::auth::gate::RequestKeys>()
            .cloned()
            .unwrap_or_default()
            .0;
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
        let src = {
            let state = self.store().read();
            let b = bucket(&state, src_bucket)?;
            b.objects.get(src_key.as_bytes()).cloned()
        };
        let verdict = self
            .gate
            .decide(&caller, "s3:GetObject", "CopyObject", src_bucket, Some(src_key), keys);
        if !verdict.proceeds() {
            return Err(crate::sim::auth::gate::refusal(&verdict));
        }
        let src = src.ok_or_else(no_such_key)?;
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
        let mut o = src.clone();
        o.owner = caller.account().unwrap_or_default().to_owned();
        o.last_modified = now();
        if replace {
            o.content_type = input.content_type.unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
            o.content_encoding = input.content_encoding;
            o.metadata = metadata_map(input.metadata);
        }
        let result = CopyObjectResult {
            e_tag: Some(ETag::Strong(o.etag.clone())),
            last_modified: Some(ts(o.last_modified)),
            ..Default::default()
        };
        let key = key_of(&input.key)?;
        let mut state = self.store().write();
        bucket_mut(&mut state, &input.bucket)?.objects.insert(key, o);
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(result),
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket, key = %req.input.key))]
    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let account = caller_account(&self.gate, req.credentials.as_ref());
        let input = req.input;
        key_of(&input.key)?;
        let id = upload_id();
        let upload = Upload {
            key: input.key.clone(),
            initiator_account: account,
            initiated: now(),
            content_type: input.content_type,
            metadata: metadata_map(input.metadata),
            parts: BTreeMap::new(),
        };
        let mut state = self.store().write();
        bucket_mut(&mut state, &input.bucket)?
            .uploads
            .insert(id.clone(), upload);
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(id),
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket, key = %req.input.key))]
    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        let input = req.input;
        if !(1..=10_000).contains(&input.part_number) {
            return Err(s3_error!(
                InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive"
            ));
        }
        let bytes = collect_body(input.body).await?;
        check_content_md5(input.content_md5.as_deref(), &bytes)?;
        let digest: [u8; 16] = Md5::digest(&bytes).into();
        let mut state = self.store().write();
        let b = bucket_mut(&mut state, &input.bucket)?;
        let upload = b
            .uploads
            .get_mut(&input.upload_id)
            .filter(|u| u.key == input.key)
            .ok_or_else(no_such_upload)?;
        upload.parts.insert(
            input.part_number,
            Part {
                bytes,
                digest,
                last_modified: now(),
            },
        );
        Ok(S3Response::new(UploadPartOutput {
            e_tag: Some(ETag::Strong(hex::encode(digest))),
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket, key = %req.input.key))]
    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        let key = key_of(&input.key)?;
        let requested = input.multipart_upload.and_then(|m| m.parts).unwrap_or_default();
        if requested.is_empty() {
            return Err(s3_error!(
                MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema"
            ));
        }
        let mut state = self.store().write();
        let b = bucket_mut(&mut state, &input.bucket)?;
        let upload = b
            .uploads
            .get(&input.upload_id)
            .filter(|u| u.key == input.key)
            .ok_or_else(no_such_upload)?;
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
        let numbers: Vec<i32> = requested.iter().map(|p| p.part_number.unwrap_or(0)).collect();
        if numbers.windows(2).any(|w| w[0] >= w[1]) {
            return Err(s3_error!(
                InvalidPartOrder,
                "The list of parts was not in ascending order. Parts must be ordered by part number."
            ));
        }
        let mut digests = Vec::with_capacity(requested.len());
        let mut chosen = Vec::with_capacity(requested.len());
        for (i, p) in requested.iter().enumerate() {
            let invalid = || {
                s3_error!(
                    InvalidPart,
                    "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."
                )
            };
            let part = upload.parts.get(&numbers[i]).ok_or_else(invalid)?;
            if p.e_tag
                .as_ref()
                .is_some_and(|e| e.value().trim_matches('"') != hex::encode(part.digest))
            {
                return Err(invalid());
            }
            if i + 1 < requested.len() && part.bytes.len() < MIN_PART_SIZE {
                return Err(s3_error!(
                    EntityTooSmall,
                    "Your proposed upload is smaller than the minimum allowed object size."
                ));
            }
            digests.push(part.digest);
            chosen.push(part.bytes.clone());
        }
        let mut all = Vec::with_capacity(chosen.iter().map(Bytes::len).sum());
        for c in &chosen {
            all.extend_from_slice(c);
        }
        let mut o = Object::from_bytes(Bytes::from(all), &upload.initiator_account);
        o.etag = etag::multipart_etag(&digests);
        o.parts = Some(digests.len() as u32);
        o.content_type = upload
            .content_type
            .clone()
            .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
        o.metadata = upload.metadata.clone();
        let e_tag = ETag::Strong(o.etag.clone());
        b.uploads.remove(&input.upload_id);
        b.objects.insert(key, o);
        Ok(S3Response::new(CompleteMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(e_tag),
            ..Default::default()
        }))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket, key = %req.input.key))]
    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let mut state = self.store().write();
        let b = bucket_mut(&mut state, &req.input.bucket)?;
        match b.uploads.get(&req.input.upload_id) {
            Some(u) if u.key == req.input.key => {
                b.uploads.remove(&req.input.upload_id);
                Ok(S3Response::new(AbortMultipartUploadOutput::default()))
            }
            _ => Err(no_such_upload()),
        }
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket))]
    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        let state = self.store().read();
        let b = bucket(&state, &req.input.bucket)?;
        match &b.policy {
            Some(p) => Ok(S3Response::new(GetBucketPolicyOutput {
                policy: Some(p.clone()),
            })),
            None => Err(s3_error!(NoSuchBucketPolicy, "The bucket policy does not exist")),
        }
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket))]
    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        let policy = req.input.policy;
        s3_policy::parse_policy(&policy, s3_policy::PolicyKind::Bucket(&req.input.bucket))
            .map_err(|e| s3_error!(MalformedPolicy, "{e}"))?;
        let mut state = self.store().write();
        bucket_mut(&mut state, &req.input.bucket)?.policy = Some(policy);
        Ok(S3Response::new(PutBucketPolicyOutput::default()))
    }

    #[tracing::instrument(skip_all, fields(bucket = %req.input.bucket))]
    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        let mut state = self.store().write();
        bucket_mut(&mut state, &req.input.bucket)?.policy = None;
        Ok(S3Response::new(DeleteBucketPolicyOutput::default()))
    }
}

fn no_such_upload() -> S3Error {
    s3_error!(
        NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_matches_s3() {
        assert_eq!(url_encode_key("a b.txt"), "a+b.txt");
        assert_eq!(url_encode_key("a+b.txt"), "a%2Bb.txt");
        assert_eq!(url_encode_key("100%.csv"), "100%25.csv");
        assert_eq!(url_encode_key("한글/x.txt"), "%ED%95%9C%EA%B8%80/x.txt");
        assert_eq!(url_encode_key("date=2025-01-01/"), "date%3D2025-01-01/");
    }

    #[test]
    fn tokens_round_trip() {
        let from = b"a/\xe2\x82";
        assert_eq!(decode_token(&encode_token(from)).unwrap(), from);
        assert!(decode_token("not a token!").is_err());
    }
}
