//! The simulator's in-memory S3 store: buckets with a region, an owner and a policy,
//! holding objects under S3's key semantics.
//!
//! State sits in one `BTreeMap` per bucket behind an `Arc<RwLock<_>>` (the shape of
//! object_store's `InMemory`), private to this module: operations go through the
//! methods of [`Store`], which say what S3 does and fail with a [`StoreError`] named
//! after S3's error code. Listings come back sorted, a page is a range scan, and
//! [`Store::fork`] copies the whole state for per-test setup.

mod body;
mod bucket_keys;
pub mod checksum;
mod chunks;
pub mod etag;
mod header_pool;
mod key;
pub mod keyspace;
pub mod listing;
mod multipart;
mod object;
mod policy;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use s3_policy::ObjectOwnership;
use time::OffsetDateTime;

pub use body::{Body, BodyError, ByteStream, Captured, Ranged};
pub use bucket_keys::VirtualKeys;
pub use chunks::{Chunks, ChunksBuilder, SEGMENT, Slices};
pub use etag::ETag;
pub use key::{KeyError, MAX_KEY_BYTES, ObjKey, prefix_successor};
pub use listing::{Entry, ListQuery, Page};
pub use multipart::{ClaimedChecksum, MIN_PART_SIZE, Part, RequestedPart, Upload};
pub use object::{DEFAULT_CONTENT_TYPE, Headers, Object, PartLayout, now};
pub use policy::StoredPolicy;

/// What a store operation refuses, named after the S3 error code it becomes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// 404 NoSuchBucket.
    #[error("The specified bucket does not exist: {0}")]
    NoSuchBucket(String),
    /// 404 NoSuchKey.
    #[error("The specified key does not exist.")]
    NoSuchKey,
    /// 404 NoSuchUpload.
    #[error(
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
    )]
    NoSuchUpload,
    /// 409 BucketNotEmpty.
    #[error("The bucket you tried to delete is not empty")]
    BucketNotEmpty,
    /// 409 BucketAlreadyExists: the name belongs to another account.
    #[error(
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."
    )]
    BucketAlreadyExists,
    /// 409 BucketAlreadyOwnedByYou.
    #[error("Your previous request to create the named bucket succeeded and you already own it.")]
    BucketAlreadyOwnedByYou,
    /// 400 MalformedXML (a completion naming no part).
    #[error("The XML you provided was not well-formed or did not validate against our published schema")]
    MalformedXml,
    /// 400 InvalidPartOrder.
    #[error("The list of parts was not in ascending order. Parts must be ordered by part number.")]
    InvalidPartOrder,
    /// 400 InvalidPart.
    #[error(
        "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."
    )]
    InvalidPart,
    /// 400 EntityTooSmall.
    #[error("Your proposed upload is smaller than the minimum allowed object size.")]
    EntityTooSmall,
    /// 400 InvalidRequest: a composite upload's completion left out a part's checksum.
    #[error(
        "The upload was created using a {algorithm} checksum. The complete request must include the checksum for each part. It was missing for part {part} in the request."
    )]
    MissingPartChecksum {
        /// The upload's algorithm, lower-case as S3 writes it here.
        algorithm: String,
        /// The part number.
        part: i32,
    },
    /// 400 InvalidRequest: a completion names another checksum type than the upload's.
    #[error(
        "The upload was created using the {created} checksum mode. The complete request must use the same checksum mode."
    )]
    ChecksumTypeMismatch {
        /// The upload's type.
        created: String,
    },
    /// 400 InvalidRequest: a checksum of another algorithm than the upload's.
    #[error("Checksum Type mismatch occurred, expected checksum Type: {expected}, actual checksum Type: {actual}")]
    ChecksumAlgorithmMismatch {
        /// The upload's algorithm (`null` for none), lower-case.
        expected: String,
        /// The request's algorithm (`null` for none), lower-case.
        actual: String,
    },
    /// 400 BadDigest: a whole-object checksum that is not the object's.
    #[error("The {0} you specified did not match the calculated checksum.")]
    BadDigest(&'static str),
}

/// A bucket's own facts, without its objects.
#[derive(Debug, Clone)]
pub struct BucketInfo {
    /// The bucket name.
    pub name: String,
    /// The region it lives in.
    pub region: String,
    /// The owning account id.
    pub owner: String,
    /// When it was created.
    pub created: OffsetDateTime,
    /// The bucket policy, as saved and parsed.
    pub policy: Option<StoredPolicy>,
    /// Object Ownership: with ACLs enabled, objects other accounts write are theirs.
    pub object_ownership: ObjectOwnership,
}

/// What authorizing one request needs from the store ([`Store::access_facts`]).
#[derive(Debug, Clone)]
pub struct AccessFacts {
    /// The bucket's facts (region, owner, policy, object ownership), shared with the
    /// store rather than copied for every request.
    pub bucket: Arc<BucketInfo>,
    /// For an object request: `Some(owner)` when the object exists, `Some(None)` when it
    /// does not; `None` for a bucket request.
    pub object_owner: Option<Option<String>>,
}

#[derive(Debug, Clone)]
struct Bucket {
    info: Arc<BucketInfo>,
    objects: bucket_keys::Keys,
    uploads: HashMap<String, Upload>,
}

#[derive(Debug, Clone, Default)]
struct State {
    buckets: BTreeMap<String, Bucket>,
    headers: header_pool::HeaderPool,
}

impl State {
    fn bucket(&self, name: &str) -> Result<&Bucket, StoreError> {
        self.buckets
            .get(name)
            .ok_or_else(|| StoreError::NoSuchBucket(name.to_owned()))
    }

    fn bucket_mut(&mut self, name: &str) -> Result<&mut Bucket, StoreError> {
        self.buckets
            .get_mut(name)
            .ok_or_else(|| StoreError::NoSuchBucket(name.to_owned()))
    }
}

/// Shared handle to the store; clones share state.
#[derive(Debug, Clone, Default)]
pub struct Store {
    state: Arc<RwLock<State>>,
}

impl Store {
    /// A lock poisoned by a panicking request handler still holds consistent data
    /// (every mutation is a single map operation), so reads and writes go on.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An independent copy of the whole state.
    pub fn fork(&self) -> Self {
        Self {
            state: Arc::new(RwLock::new(self.read().clone())),
        }
    }

    /// Adds an empty bucket to the world; any existing bucket of that name is an
    /// error (a world is declared, not re-created).
    pub fn add_bucket(&self, name: &str, region: &str, owner: &str) -> Result<(), StoreError> {
        let mut state = self.write();
        if state.buckets.contains_key(name) {
            return Err(StoreError::BucketAlreadyExists);
        }
        state.buckets.insert(name.to_owned(), new_bucket(name, region, owner));
        Ok(())
    }

    /// CreateBucket as S3 answers it for `account`: a name another account holds is
    /// `BucketAlreadyExists`; your own bucket is `BucketAlreadyOwnedByYou`, except in
    /// us-east-1 where S3 keeps its legacy 200
    /// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html>).
    pub fn create_bucket(&self, name: &str, region: &str, account: &str) -> Result<(), StoreError> {
        let mut state = self.write();
        if let Some(existing) = state.buckets.get(name) {
            return if existing.info.owner != account {
                Err(StoreError::BucketAlreadyExists)
            } else if existing.info.region == "us-east-1" && region == "us-east-1" {
                Ok(())
            } else {
                Err(StoreError::BucketAlreadyOwnedByYou)
            };
        }
        state.buckets.insert(name.to_owned(), new_bucket(name, region, account));
        Ok(())
    }

    /// DeleteBucket: only an empty bucket goes.
    pub fn delete_bucket(&self, name: &str) -> Result<(), StoreError> {
        let mut state = self.write();
        if !state.bucket(name)?.objects.is_empty() {
            return Err(StoreError::BucketNotEmpty);
        }
        state.buckets.remove(name);
        Ok(())
    }

    /// A bucket's facts.
    pub fn bucket(&self, name: &str) -> Result<BucketInfo, StoreError> {
        Ok(BucketInfo::clone(&self.read().bucket(name)?.info))
    }

    /// Every bucket, by name.
    pub fn buckets(&self) -> Vec<BucketInfo> {
        self.read()
            .buckets
            .values()
            .map(|b| BucketInfo::clone(&b.info))
            .collect()
    }

    /// How many objects a bucket holds (saturating), virtual keys included; keys two
    /// virtual key spaces share are counted once per space.
    pub fn object_count(&self, bucket: &str) -> Result<u64, StoreError> {
        let (count, _) = self.read().bucket(bucket)?.objects.totals();
        Ok(u64::try_from(count).unwrap_or(u64::MAX))
    }

    /// How many bytes a bucket's objects hold in all (saturating), counted as
    /// [`Store::object_count`] counts objects.
    pub fn total_size(&self, bucket: &str) -> Result<u64, StoreError> {
        let (_, bytes) = self.read().bucket(bucket)?.objects.totals();
        Ok(u64::try_from(bytes).unwrap_or(u64::MAX))
    }

    /// Adds a virtual key space to a bucket: every key of `keys.space` holds
    /// `keys.object`, without being stored one by one; it replaces stored keys it holds.
    pub fn add_key_space(&self, bucket: &str, keys: VirtualKeys) -> Result<(), StoreError> {
        self.write().bucket_mut(bucket)?.objects.add_space(keys);
        Ok(())
    }

    /// Saves (or, with `None`, deletes) a bucket's policy.
    pub fn set_policy(&self, bucket: &str, policy: Option<StoredPolicy>) -> Result<(), StoreError> {
        Arc::make_mut(&mut self.write().bucket_mut(bucket)?.info).policy = policy;
        Ok(())
    }

    /// Stores `object` under `key`, replacing what was there.
    pub fn put(&self, bucket: &str, key: ObjKey, mut object: Object) -> Result<(), StoreError> {
        let mut state = self.write();
        state.headers.share(&mut object);
        let replaced = state.bucket_mut(bucket)?.objects.insert(key, Arc::new(object));
        drop(state);
        // Freed once the lock is released: freeing gigabytes takes a while.
        drop(replaced);
        Ok(())
    }

    /// Stores many objects under one lock (loading a world). Objects given as one
    /// `Arc` are held once, however many keys hold them.
    pub fn put_all<O: Into<Arc<Object>>>(
        &self,
        bucket: &str,
        objects: impl IntoIterator<Item = (ObjKey, O)>,
    ) -> Result<(), StoreError> {
        let mut state = self.write();
        let State { buckets, headers } = &mut *state;
        let b = buckets
            .get_mut(bucket)
            .ok_or_else(|| StoreError::NoSuchBucket(bucket.to_owned()))?;
        b.objects.extend(objects.into_iter().map(|(k, o)| {
            let mut o = o.into();
            headers.share_arc(&mut o);
            (k, o)
        }));
        Ok(())
    }

    /// The object under `key` (shared, not copied).
    pub fn get(&self, bucket: &str, key: &str) -> Result<Arc<Object>, StoreError> {
        let state = self.read();
        let keys = &state.bucket(bucket)?.objects;
        match keys.get_stored(key.as_bytes()) {
            Some(stored) => Ok(Arc::clone(stored)),
            // A virtual key's object is its space's, copied out of the lock.
            None => keys
                .get(key.as_bytes())
                .cloned()
                .map(Arc::new)
                .ok_or(StoreError::NoSuchKey),
        }
    }

    /// A copy of every object of a bucket in key order (bodies shared, not copied),
    /// virtual keys made one by one: for tests and tools that inspect a small world,
    /// not for serving requests.
    pub fn objects(&self, bucket: &str) -> Result<Vec<(ObjKey, Object)>, StoreError> {
        use listing::Source as _;
        Ok(self
            .read()
            .bucket(bucket)?
            .objects
            .walk(b"")
            .map(|(k, o)| (k.into_owned(), o.clone()))
            .collect())
    }

    /// What authorizing a request on `bucket` (and `key`) needs, read under one lock:
    /// the bucket's facts and, for an object request, who owns the object if it exists.
    pub fn access_facts(&self, bucket: &str, key: Option<&str>) -> Result<AccessFacts, StoreError> {
        let state = self.read();
        let b = state.bucket(bucket)?;
        Ok(AccessFacts {
            bucket: Arc::clone(&b.info),
            object_owner: key.map(|k| b.objects.get(k.as_bytes()).map(|o| o.headers().owner.clone())),
        })
    }

    /// Removes `key`; a missing key is no error on an unversioned bucket
    /// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html>).
    pub fn delete(&self, bucket: &str, key: &str) -> Result<(), StoreError> {
        let removed = self.write().bucket_mut(bucket)?.objects.remove(key);
        drop(removed);
        Ok(())
    }

    /// Removes every key of `keys` under one lock.
    pub fn delete_all<'k>(&self, bucket: &str, keys: impl IntoIterator<Item = &'k str>) -> Result<(), StoreError> {
        let mut state = self.write();
        let b = state.bucket_mut(bucket)?;
        let removed: Vec<Arc<Object>> = keys.into_iter().filter_map(|k| b.objects.remove(k)).collect();
        drop(state);
        drop(removed);
        Ok(())
    }

    /// One listing page of `bucket`, handed to `f` while the bucket is read-locked so
    /// that the page borrows the store instead of copying it.
    pub fn list<R>(
        &self,
        bucket: &str,
        query: ListQuery<'_>,
        f: impl FnOnce(&Page<'_, Object>) -> R,
    ) -> Result<R, StoreError> {
        let state = self.read();
        let keys = &state.bucket(bucket)?.objects;
        let page = listing::list(keys, query);
        Ok(f(&page))
    }

    /// Starts a multipart upload and returns its id.
    pub fn create_upload(&self, bucket: &str, upload: Upload) -> Result<String, StoreError> {
        let id = upload_id();
        self.write().bucket_mut(bucket)?.uploads.insert(id.clone(), upload);
        Ok(id)
    }

    /// The checksum algorithm and type of upload `upload_id` for `key`.
    pub fn upload_checksum(
        &self,
        bucket: &str,
        upload_id: &str,
        key: &str,
    ) -> Result<Option<(checksum::Algorithm, checksum::ChecksumKind)>, StoreError> {
        self.read()
            .bucket(bucket)?
            .uploads
            .get(upload_id)
            .filter(|u| u.key == key)
            .map(|u| u.checksum)
            .ok_or(StoreError::NoSuchUpload)
    }

    /// Stores part `number` of upload `upload_id` for `key`.
    pub fn put_part(
        &self,
        bucket: &str,
        upload_id: &str,
        key: &str,
        number: i32,
        part: Part,
    ) -> Result<(), StoreError> {
        let mut state = self.write();
        let upload = state
            .bucket_mut(bucket)?
            .uploads
            .get_mut(upload_id)
            .filter(|u| u.key == key)
            .ok_or(StoreError::NoSuchUpload)?;
        let replaced = upload.parts.insert(number, part);
        drop(state);
        drop(replaced);
        Ok(())
    }

    /// Completes an upload into one object. The parts are checked and shared (not
    /// copied) under a read lock, the object is assembled from their segments without
    /// any lock, and the store is write-locked only to swap the upload for the object,
    /// so a large completion does not stall other requests.
    pub fn complete_upload(
        &self,
        bucket: &str,
        upload_id: &str,
        key: &ObjKey,
        requested: &[RequestedPart],
        claimed: &ClaimedChecksum,
    ) -> Result<Object, StoreError> {
        self.complete_upload_with(bucket, upload_id, key, requested, claimed, || {})
    }

    /// [`Store::complete_upload`], running `assembling` while the object is assembled
    /// (tests use it to look at the store at that moment).
    fn complete_upload_with(
        &self,
        bucket: &str,
        upload_id: &str,
        key: &ObjKey,
        requested: &[RequestedPart],
        claimed: &ClaimedChecksum,
        assembling: impl FnOnce(),
    ) -> Result<Object, StoreError> {
        let (bodies, digests, upload_meta, checksum) = {
            let state = self.read();
            let upload = state
                .bucket(bucket)?
                .uploads
                .get(upload_id)
                .filter(|u| u.key == key.as_str())
                .ok_or(StoreError::NoSuchUpload)?;
            let chosen = upload.chosen_parts(requested)?;
            let checksum = upload.object_checksum(&chosen, claimed)?;
            let bodies: Vec<Chunks> = chosen.iter().map(|p| p.body.clone()).collect();
            let digests: Vec<[u8; 16]> = chosen.iter().map(|p| p.digest).collect();
            let meta = (
                upload.initiator_account.clone(),
                upload.content_type.clone(),
                upload.metadata.clone(),
            );
            (bodies, digests, meta, checksum)
        };
        assembling();
        let part_sizes: Vec<u64> = bodies.iter().map(Chunks::len).collect();
        let all = Chunks::concat(&bodies);
        drop(bodies);
        let (initiator, content_type, metadata) = upload_meta;
        let size = all.len();
        let mut o = Object::new(Body::from_chunks(all), size, etag::multipart_etag(&digests), &initiator);
        o.set_parts(Some(PartLayout::Sizes(part_sizes.into())));
        o.headers_mut().content_type = content_type.unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
        o.headers_mut().metadata = metadata;
        o.set_checksum(checksum);
        let mut state = self.write();
        state.headers.share(&mut o);
        let b = state.bucket_mut(bucket)?;
        // Completed or aborted by another request while the object was assembled.
        let Some(upload) = b.uploads.remove(upload_id) else {
            return Err(StoreError::NoSuchUpload);
        };
        let replaced = b.objects.insert(key.clone(), Arc::new(o.clone()));
        drop(state);
        // Freed outside the lock: parts left out of the object, and the object replaced.
        drop((upload, replaced));
        Ok(o)
    }

    /// Every upload in progress in a bucket as `(upload id, upload)`, parts left out,
    /// ordered by key, then by start (ListMultipartUploads' order).
    pub fn uploads(&self, bucket: &str) -> Result<Vec<(String, Upload)>, StoreError> {
        let state = self.read();
        let mut out: Vec<(String, Upload)> = state
            .bucket(bucket)?
            .uploads
            .iter()
            .map(|(id, u)| {
                let mut u = u.clone();
                u.parts = BTreeMap::new();
                (id.clone(), u)
            })
            .collect();
        out.sort_by(|(ia, a), (ib, b)| a.key.as_bytes().cmp(b.key.as_bytes()).then_with(|| ia.cmp(ib)));
        Ok(out)
    }

    /// One upload of `key` with its parts (bytes shared, not copied).
    pub fn upload(&self, bucket: &str, upload_id: &str, key: &str) -> Result<Upload, StoreError> {
        self.read()
            .bucket(bucket)?
            .uploads
            .get(upload_id)
            .filter(|u| u.key == key)
            .cloned()
            .ok_or(StoreError::NoSuchUpload)
    }

    /// Abandons an upload and its parts.
    pub fn abort_upload(&self, bucket: &str, upload_id: &str, key: &str) -> Result<(), StoreError> {
        let mut state = self.write();
        let b = state.bucket_mut(bucket)?;
        match b.uploads.get(upload_id) {
            Some(u) if u.key == key => {
                let aborted = b.uploads.remove(upload_id);
                drop(state);
                drop(aborted);
                Ok(())
            }
            _ => Err(StoreError::NoSuchUpload),
        }
    }
}

fn new_bucket(name: &str, region: &str, owner: &str) -> Bucket {
    Bucket {
        info: Arc::new(BucketInfo {
            name: name.to_owned(),
            region: region.to_owned(),
            owner: owner.to_owned(),
            created: now(),
            policy: None,
            object_ownership: ObjectOwnership::default(),
        }),
        objects: bucket_keys::Keys::default(),
        uploads: HashMap::new(),
    }
}

/// Upload ids are opaque to clients and unique within a process run. They sort in the
/// order the uploads were started, so that ListMultipartUploads' `upload-id-marker`
/// ("ids after this one") and its order (by initiation, for one key) agree.
fn upload_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let seed = format!("{n}-{}", OffsetDateTime::now_utc().unix_timestamp_nanos());
    format!("{n:016x}{}", etag::md5_hex(seed.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use md5::Digest;

    const OWNER: &str = "111122223333";

    fn part(byte: u8, len: usize) -> Part {
        let bytes = vec![byte; len];
        let mut b = ChunksBuilder::new(Some(len as u64));
        b.push(&bytes);
        let body = b.finish();
        let digest = md5::Md5::digest(&bytes).into();
        Part {
            body,
            digest,
            last_modified: now(),
            checksum: None,
        }
    }

    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html>:
    /// while a completion assembles the object, the store is not locked, so a GET of
    /// another key and a listing proceed; the object shares the parts' bytes.
    #[test]
    fn completion_assembles_the_object_without_holding_the_store_lock() {
        let store = Store::default();
        store.add_bucket("b", "eu-west-1", OWNER).unwrap();
        store
            .put(
                "b",
                ObjKey::parse("other").unwrap(),
                Object::from_bytes(Bytes::from_static(b"x"), OWNER),
            )
            .unwrap();
        let upload = Upload {
            key: "big".to_owned(),
            initiator_account: OWNER.to_owned(),
            initiated: now(),
            content_type: None,
            metadata: BTreeMap::new(),
            parts: BTreeMap::new(),
            checksum: None,
        };
        let id = store.create_upload("b", upload).unwrap();
        let (p1, p2) = (part(1, MIN_PART_SIZE), part(2, 10));
        let first_segment = p1.body.segments()[0].as_ptr();
        store.put_part("b", &id, "big", 1, p1).unwrap();
        store.put_part("b", &id, "big", 2, p2).unwrap();
        let requested = [
            RequestedPart {
                number: 1,
                etag: None,
                checksums: Vec::new(),
            },
            RequestedPart {
                number: 2,
                etag: None,
                checksums: Vec::new(),
            },
        ];
        let mut seen = None;
        let o = store
            .complete_upload_with(
                "b",
                &id,
                &ObjKey::parse("big").unwrap(),
                &requested,
                &ClaimedChecksum::default(),
                || {
                    let writable = store.state.try_write().is_ok();
                    let other = store.get("b", "other").map(|o| o.size);
                    let listed = store.list(
                        "b",
                        ListQuery {
                            prefix: "",
                            delimiter: None,
                            from: None,
                            max_keys: 1000,
                        },
                        |p| p.entries.len(),
                    );
                    seen = Some((writable, other, listed));
                },
            )
            .unwrap();
        assert_eq!(seen, Some((true, Ok(1), Ok(1))));
        assert_eq!(o.size, MIN_PART_SIZE as u64 + 10);
        let Body::Chunks(all) = &o.body else {
            panic!("a two-part object is kept as segments: {:?}", o.parts());
        };
        assert_eq!(
            all.segments()[0].as_ptr(),
            first_segment,
            "the object shares the part's bytes"
        );
        assert!(store.upload("b", &id, "big").is_err());
    }
}
