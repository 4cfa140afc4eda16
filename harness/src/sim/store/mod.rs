//! The simulator's in-memory S3 store: buckets with a region, an owner and a policy,
//! holding objects under S3's key semantics.
//!
//! State sits in one `BTreeMap` per bucket behind an `Arc<RwLock<_>>` (the shape of
//! object_store's `InMemory`): listings come back sorted, a page is a range scan, and
//! [`Store::fork`] copies the whole state for per-test setup.

mod body;
pub mod etag;
mod key;
pub mod listing;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use time::OffsetDateTime;

pub use body::{Body, BodyError};
pub use key::{KeyError, MAX_KEY_BYTES, ObjKey, prefix_successor};

/// An object's bytes and the metadata S3 keeps with them.
#[derive(Debug, Clone)]
pub struct Object {
    pub body: Body,
    pub size: u64,
    /// Unquoted ETag (`hex` or `hex-N`).
    pub etag: String,
    pub last_modified: OffsetDateTime,
    pub content_type: String,
    pub content_encoding: Option<String>,
    /// `x-amz-meta-*` user metadata, names lower-cased as S3 stores them.
    pub metadata: BTreeMap<String, String>,
    /// The account that wrote the object (matters when ACLs are enabled).
    pub owner: String,
    /// Parts count for a multipart object.
    pub parts: Option<u32>,
}

/// S3's default Content-Type for objects stored without one
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>).
pub const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

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
        }
    }

    /// A single-part object from bytes in memory.
    pub fn from_bytes(bytes: Bytes, owner: &str) -> Self {
        let etag = etag::md5_hex(&bytes);
        Self::new(Body::Inline(bytes.clone()), bytes.len() as u64, etag, owner)
    }

    /// An object of `size` zero bytes that are never stored.
    pub fn sized(size: u64, owner: &str) -> Self {
        Self::new(Body::Zeros, size, etag::sized_etag(size), owner)
    }
}

/// S3 keeps second precision for Last-Modified.
pub fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

/// A multipart upload in progress.
#[derive(Debug, Clone)]
pub struct Upload {
    pub key: String,
    pub initiator_account: String,
    pub initiated: OffsetDateTime,
    pub content_type: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub parts: BTreeMap<i32, Part>,
}

#[derive(Debug, Clone)]
pub struct Part {
    pub bytes: Bytes,
    pub digest: [u8; 16],
    pub last_modified: OffsetDateTime,
}

/// A bucket and everything in it.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub name: String,
    pub region: String,
    /// The owning account id.
    pub owner: String,
    pub created: OffsetDateTime,
    /// The bucket policy as it was saved.
    pub policy: Option<String>,
    pub objects: BTreeMap<ObjKey, Object>,
    pub uploads: HashMap<String, Upload>,
    /// Object Ownership: with ACLs enabled, objects other accounts write are theirs.
    pub object_ownership: s3_policy::ObjectOwnership,
}

impl Bucket {
    pub fn new(name: &str, region: &str, owner: &str) -> Self {
        Self {
            name: name.to_owned(),
            region: region.to_owned(),
            owner: owner.to_owned(),
            created: now(),
            policy: None,
            objects: BTreeMap::new(),
            uploads: HashMap::new(),
            object_ownership: s3_policy::ObjectOwnership::default(),
        }
    }
}

/// All buckets, by name.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub buckets: BTreeMap<String, Bucket>,
}

/// Shared handle to the store's state.
#[derive(Debug, Clone, Default)]
pub struct Store {
    state: Arc<RwLock<State>>,
}

impl Store {
    pub fn new(state: State) -> Self {
        Self {
            state: Arc::new(RwLock::new(state)),
        }
    }

    /// A lock poisoned by a panicking request handler still holds consistent data
    /// (every mutation is a single map operation), so reads and writes go on.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An independent copy of the whole state.
    pub fn fork(&self) -> Self {
        Self::new(self.read().clone())
    }
}
