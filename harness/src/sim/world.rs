//! The simulated AWS world: accounts' principals with their keys and identity
//! policies, and the store of buckets, built from a scenario or by hand. What a
//! scenario says beyond the world (the connection form, the platform, faults) stays in
//! the [`Scenario`].

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use md5::{Digest, Md5};
use s3_connector::bucket_policy::generated_policy;
use s3_policy::iam::Caller;
use s3_policy::{Policy, PolicyKind, parse_policy};
use serde::Serialize;

use crate::scenario::{BucketPolicySpec, ObjectSource, PlatformSpec, Scenario};
use crate::sim::store::{Body, Captured, ETag, ObjKey, Object, Store, StoreError, StoredPolicy, VirtualKeys};

/// The session name the platform reader's role session carries.
pub const PLATFORM_SESSION_NAME: &str = "s3-connector";

/// Who an identity is in the story of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    /// The importing platform's reader (a session of its role).
    Platform,
    /// The root user of an account that owns a bucket, created for every such account.
    AccountRoot,
    /// A principal the scenario declares under `[[identities]]`.
    Declared,
}

/// A principal that can sign requests.
#[derive(Clone)]
pub struct Identity {
    /// The name clients and reports use (`platform`, `root-ACCOUNT`, or the
    /// scenario's).
    pub name: String,
    /// Its role in the scenario.
    pub kind: IdentityKind,
    /// The principal as IAM sees it.
    pub caller: Caller,
    /// The SigV4 access key id.
    pub access_key: String,
    secret_key: String,
    /// The principal's identity-based policy JSON, if any.
    pub policy: Option<String>,
    /// `policy`, parsed when the identity joins a world.
    parsed: Option<Arc<Policy>>,
}

impl Identity {
    /// A principal with no identity policy.
    pub fn new(name: &str, kind: IdentityKind, caller: Caller, access_key: &str, secret_key: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            caller,
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            policy: None,
            parsed: None,
        }
    }

    /// The same principal with an identity-based policy (checked when it joins a world).
    pub fn with_policy(mut self, policy: Option<String>) -> Self {
        self.policy = policy;
        self.parsed = None;
        self
    }

    /// The SigV4 secret.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The identity policy as parsed when the identity joined its world.
    pub fn parsed_policy(&self) -> Option<&Arc<Policy>> {
        self.parsed.as_ref()
    }

    /// The deterministic keys of an account's root identity: `AKIAROOT` + account id.
    pub fn account_root(account: &str) -> Self {
        let caller = Caller::Account {
            account: account.to_owned(),
            principal_arn: format!("arn:aws:iam::{account}:root"),
        };
        Self::new(
            &format!("root-{account}"),
            IdentityKind::AccountRoot,
            caller,
            &format!("AKIAROOT{account}"),
            &format!("root-secret-{account}"),
        )
    }
}

/// Secrets never reach logs or debug output.
impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("caller", &self.caller)
            .field("access_key", &self.access_key)
            .field("secret_key", &"******")
            .finish_non_exhaustive()
    }
}

/// Why a scenario's world cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorldError {
    /// An identity's ARN is not one IAM would issue.
    #[error("identity `{name}`: {source}")]
    BadArn {
        /// The identity.
        name: String,
        /// What is wrong with its ARN.
        #[source]
        source: s3_policy::iam::ArnError,
    },
    /// Two identities share an access key.
    #[error("access key {access_key} is used by both `{first}` and `{second}`")]
    DuplicateAccessKey {
        /// The shared key.
        access_key: String,
        /// The identity that had it first.
        first: String,
        /// The identity that claimed it again.
        second: String,
    },
    /// A bucket name S3's CreateBucket refuses
    /// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>).
    #[error("bucket `{name}`: {reason}")]
    InvalidBucketName {
        /// The name as given.
        name: String,
        /// Which naming rule it breaks.
        reason: String,
    },
    /// Two buckets share a name.
    #[error("bucket `{0}` is declared twice")]
    DuplicateBucket(String),
    /// A bucket named by an object or a policy does not exist.
    #[error("bucket `{0}` is not declared")]
    UnknownBucket(String),
    /// A key S3 would refuse.
    #[error("bucket `{bucket}`: key `{key}`: {source}")]
    BadKey {
        /// The bucket.
        bucket: String,
        /// The key as given.
        key: String,
        /// Why S3 refuses it.
        #[source]
        source: crate::sim::store::KeyError,
    },
    /// An identity policy IAM would refuse.
    #[error("identity `{name}`: IAM refuses its policy: {source}")]
    IdentityPolicy {
        /// The identity.
        name: String,
        /// IAM's complaint.
        #[source]
        source: Box<s3_policy::PolicyError>,
    },
    /// A fixture file that cannot be read.
    #[error("fixture {path} cannot be read: {source}")]
    Fixture {
        /// The file.
        path: PathBuf,
        /// The read error.
        #[source]
        source: std::io::Error,
    },
}

impl WorldError {
    fn from_store(e: StoreError, bucket: &str) -> Self {
        match e {
            StoreError::BucketAlreadyExists | StoreError::BucketAlreadyOwnedByYou => {
                Self::DuplicateBucket(bucket.to_owned())
            }
            _ => Self::UnknownBucket(bucket.to_owned()),
        }
    }
}

/// Everything the simulator serves: principals and the store of buckets.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// The buckets and their objects.
    pub store: Store,
    identities: Vec<Identity>,
    /// foldhash rather than SipHash: every request looks its access key up, and the
    /// keys are the scenario's own.
    by_access_key: HashMap<String, usize, foldhash::fast::RandomState>,
}

/// A bucket policy a scenario gives and S3's PutBucketPolicy refuses: the bucket is
/// left without a policy, as it would be after the console's save failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedPolicy {
    /// The bucket.
    pub bucket: String,
    /// S3's error code (`MalformedPolicy`).
    pub code: &'static str,
    /// S3's message, naming the statement and field at fault.
    pub message: String,
}

impl World {
    /// An empty world: no buckets, no identities.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a principal; its access key must be new, its identity policy one IAM accepts.
    pub fn add_identity(&mut self, mut identity: Identity) -> Result<(), WorldError> {
        if let Some(policy) = &identity.policy {
            let parsed = parse_policy(policy, PolicyKind::Identity).map_err(|source| WorldError::IdentityPolicy {
                name: identity.name.clone(),
                source: Box::new(source),
            })?;
            identity.parsed = Some(Arc::new(parsed));
        }
        if let Some(&i) = self.by_access_key.get(&identity.access_key) {
            return Err(WorldError::DuplicateAccessKey {
                access_key: identity.access_key,
                first: self.identities[i].name.clone(),
                second: identity.name,
            });
        }
        self.by_access_key
            .insert(identity.access_key.clone(), self.identities.len());
        self.identities.push(identity);
        Ok(())
    }

    /// Adds an empty bucket, and the root identity of its owner if the world has none.
    pub fn add_bucket(&mut self, name: &str, region: &str, owner: &str) -> Result<(), WorldError> {
        s3_connector::names::validate_bucket_name(name).map_err(|reason| WorldError::InvalidBucketName {
            name: name.to_owned(),
            reason: reason.to_string(),
        })?;
        self.store
            .add_bucket(name, region, owner)
            .map_err(|e| WorldError::from_store(e, name))?;
        let root = Identity::account_root(owner);
        if !self.by_access_key.contains_key(&root.access_key) {
            self.add_identity(root)?;
        }
        Ok(())
    }

    /// Every principal, in the order added.
    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    /// The principal signing with `access_key`.
    pub fn identity_by_access_key(&self, access_key: &str) -> Option<&Identity> {
        self.by_access_key.get(access_key).map(|&i| &self.identities[i])
    }

    /// Finds an identity by name or access key.
    pub fn identity(&self, name_or_key: &str) -> Option<&Identity> {
        self.identity_by_access_key(name_or_key)
            .or_else(|| self.identities.iter().find(|i| i.name == name_or_key))
    }

    /// The platform reader, when the world has one.
    pub fn platform_identity(&self) -> Option<&Identity> {
        self.identities.iter().find(|i| i.kind == IdentityKind::Platform)
    }

    /// Builds the world a scenario describes, and the bucket policies in it that
    /// PutBucketPolicy would refuse (those buckets are left without a policy).
    pub fn from_scenario(scenario: &Scenario) -> Result<(Self, Vec<RejectedPolicy>), WorldError> {
        let mut world = Self::new();
        let mut rejected = Vec::new();
        let platform = &scenario.platform;
        let role_arn = s3_connector::bucket_policy::platform_role_arn(&platform.account, &platform.role);
        let caller = Caller::from_arn(&role_arn, PLATFORM_SESSION_NAME).map_err(|source| WorldError::BadArn {
            name: "platform".to_owned(),
            source,
        })?;
        let policy = platform
            .policy
            .clone()
            .unwrap_or_else(|| PlatformSpec::DEFAULT_POLICY.to_owned());
        world.add_identity(
            Identity::new(
                "platform",
                IdentityKind::Platform,
                caller,
                &platform.access_key,
                &platform.secret_key,
            )
            .with_policy(Some(policy)),
        )?;
        // Owners' root identities first, so that a declared identity reusing a root's
        // access key is refused rather than silently taking its place.
        for spec in &scenario.buckets {
            let root = Identity::account_root(&spec.owner);
            if !world.by_access_key.contains_key(&root.access_key) {
                world.add_identity(root)?;
            }
        }
        for spec in &scenario.identities {
            let caller = Caller::from_arn(&spec.arn, &spec.name).map_err(|source| WorldError::BadArn {
                name: spec.name.clone(),
                source,
            })?;
            world.add_identity(
                Identity::new(
                    &spec.name,
                    IdentityKind::Declared,
                    caller,
                    &spec.access_key,
                    &spec.secret_key,
                )
                .with_policy(spec.policy.clone()),
            )?;
        }
        let mut files = FileDigests::default();
        for spec in &scenario.buckets {
            world.add_bucket(&spec.name, &spec.region, &spec.owner)?;
            let policy = match &spec.policy {
                BucketPolicySpec::None => None,
                BucketPolicySpec::Json(json) => Some(json.clone()),
                BucketPolicySpec::Generated => {
                    // The form generates the policy for the bucket the user typed, which
                    // is not always the bucket that exists: that mistake is a scenario.
                    let bucket = scenario
                        .connection
                        .as_ref()
                        .map_or(spec.name.as_str(), |c| c.bucket.as_str());
                    Some(generated_policy(bucket, &platform.account, &platform.role).to_string())
                }
            };
            let mut objects = Vec::with_capacity(spec.objects.len());
            // The keys of one pattern come one after another with one source: they share
            // one object record.
            let mut last: Option<(&ObjectSource, Option<&str>, Arc<Object>)> = None;
            for o in &spec.objects {
                let key = ObjKey::parse(&o.key).map_err(|source| WorldError::BadKey {
                    bucket: spec.name.clone(),
                    key: o.key.clone(),
                    source,
                })?;
                let content_type = o.content_type.as_deref();
                let object = match &last {
                    Some((source, ct, object)) if same_source(source, &o.source) && *ct == content_type => {
                        Arc::clone(object)
                    }
                    _ => Arc::new(object_of(&o.source, content_type, &spec.owner, &mut files)?),
                };
                last = Some((&o.source, content_type, Arc::clone(&object)));
                objects.push((key, object));
            }
            let mut key_spaces = Vec::with_capacity(spec.key_spaces.len());
            for s in &spec.key_spaces {
                let object = object_of(&s.source, s.content_type.as_deref(), &spec.owner, &mut files)?;
                key_spaces.push((
                    s.after,
                    VirtualKeys {
                        space: Arc::clone(&s.keys),
                        object,
                    },
                ));
            }
            let policy = policy.and_then(|text| match StoredPolicy::parse(&text, &spec.name) {
                Ok(p) => Some(p),
                Err(error) => {
                    rejected.push(RejectedPolicy {
                        bucket: spec.name.clone(),
                        code: error.code,
                        message: error.to_string(),
                    });
                    None
                }
            });
            let store_err = |e| WorldError::from_store(e, &spec.name);
            world.store.set_policy(&spec.name, policy).map_err(store_err)?;
            // In file order: each key space after the objects above it, before those below.
            let mut objects = objects.into_iter();
            let mut placed = 0;
            for (after, keys) in key_spaces {
                world
                    .store
                    .put_all(&spec.name, objects.by_ref().take(after - placed))
                    .map_err(store_err)?;
                placed = after;
                world.store.add_key_space(&spec.name, keys).map_err(store_err)?;
            }
            world.store.put_all(&spec.name, objects).map_err(store_err)?;
        }
        Ok((world, rejected))
    }

    /// An independent copy: same identities, forked store.
    pub fn fork(&self) -> Self {
        let mut w = self.clone();
        w.store = self.store.fork();
        w
    }
}

/// Whether two sources are one, without comparing their bytes (the keys of one
/// pattern share one buffer).
fn same_source(a: &ObjectSource, b: &ObjectSource) -> bool {
    let same_bytes = |x: &bytes::Bytes, y: &bytes::Bytes| x.as_ptr() == y.as_ptr() && x.len() == y.len();
    match (a, b) {
        (ObjectSource::Inline(x), ObjectSource::Inline(y)) => same_bytes(x, y),
        (ObjectSource::File(x), ObjectSource::File(y)) => x == y,
        (ObjectSource::Sized(x), ObjectSource::Sized(y)) => x == y,
        (
            ObjectSource::Partial { size, head, tail },
            ObjectSource::Partial {
                size: size2,
                head: head2,
                tail: tail2,
            },
        ) => size == size2 && same_bytes(head, head2) && same_bytes(tail, tail2),
        _ => false,
    }
}

/// The object a scenario's source stands for, written by `owner`.
fn object_of(
    source: &ObjectSource,
    content_type: Option<&str>,
    owner: &str,
    files: &mut FileDigests,
) -> Result<Object, WorldError> {
    let mut object = match source {
        ObjectSource::Inline(bytes) => Object::from_bytes(bytes.clone(), owner),
        ObjectSource::Sized(size) => Object::sized(*size, owner),
        ObjectSource::Partial { size, head, tail } => Object::new(
            Body::Partial(Arc::new(Captured {
                head: head.clone(),
                tail: tail.clone(),
            })),
            *size,
            captured_etag(*size),
            owner,
        ),
        ObjectSource::File(path) => {
            let (size, etag) = files.digest(path)?;
            Object::new(Body::File(Arc::new(path.clone())), size, etag, owner)
        }
    };
    if let Some(ct) = content_type {
        object.headers_mut().content_type = ct.to_owned();
    }
    Ok(object)
}

/// Size and MD5 of fixture files, each file read once per load however many keys
/// point at it.
#[derive(Default)]
struct FileDigests(HashMap<PathBuf, (u64, ETag)>);

impl FileDigests {
    fn digest(&mut self, path: &Path) -> Result<(u64, ETag), WorldError> {
        if let Some(d) = self.0.get(path) {
            return Ok(*d);
        }
        let err = |source| WorldError::Fixture {
            path: path.to_owned(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(err)?;
        let mut hasher = Md5::new();
        let size = std::io::copy(&mut file, &mut hasher).map_err(err)?;
        let d = (size, ETag::single(hasher.finalize().into()));
        self.0.insert(path.to_owned(), d);
        Ok(d)
    }
}

/// The ETag of a captured object whose bytes are not all known: a digest of its size,
/// not of its bytes (hashing a size's worth of zeros, as sized objects do, would cost
/// the object's size per distinct size, and would describe bytes no one captured).
fn captured_etag(size: u64) -> ETag {
    ETag::of_bytes(format!("s3-harness captured object of {size} bytes").as_bytes())
}
