//! The loaded form of a scenario: what the simulator builds its world from.

use std::path::PathBuf;

use bytes::Bytes;

/// A scenario file, parsed, validated, with keys brace-expanded and fixtures resolved.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from, as given.
    pub path: PathBuf,
    pub description: String,
    /// The connection form; optional so that a world for `serve` needs none.
    pub connection: Option<ConnectionSpec>,
    pub platform: PlatformSpec,
    pub buckets: Vec<BucketSpec>,
    pub identities: Vec<IdentitySpec>,
    pub faults: Option<FaultsSpec>,
}

/// `[connection]`: the values exactly as typed in the connection form; the connector
/// validates them.
pub type ConnectionSpec = s3_connector::config::ConnectionForm;

/// `[platform]`: the importing platform's reader role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSpec {
    pub account: String,
    pub role: String,
    /// The role's identity policy JSON; `None` = the default read policy.
    pub policy: Option<String>,
    pub access_key: String,
    pub secret_key: String,
}

impl Default for PlatformSpec {
    fn default() -> Self {
        Self {
            account: Self::DEFAULT_ACCOUNT.to_owned(),
            role: Self::DEFAULT_ROLE.to_owned(),
            policy: None,
            access_key: Self::DEFAULT_ACCESS_KEY.to_owned(),
            secret_key: Self::DEFAULT_SECRET_KEY.to_owned(),
        }
    }
}

impl PlatformSpec {
    pub const DEFAULT_ACCOUNT: &str = "999988887777";
    pub const DEFAULT_ROLE: &str = "platform-reader";
    pub const DEFAULT_ACCESS_KEY: &str = "AKIAPLATFORMREADER01";
    pub const DEFAULT_SECRET_KEY: &str = "platform-reader-secret";
    /// The identity policy a platform role has unless the scenario sets one.
    pub const DEFAULT_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject","s3:GetBucketLocation"],"Resource":"*"}]}"#;
}

/// `[[buckets]]`.
#[derive(Debug, Clone)]
pub struct BucketSpec {
    pub name: String,
    pub region: String,
    /// The owning account id (12 digits).
    pub owner: String,
    pub policy: BucketPolicySpec,
    /// Objects in file order after brace expansion; a later duplicate key overwrites.
    pub objects: Vec<ObjectSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketPolicySpec {
    /// The policy the connector generates for this scenario's connection.
    Generated,
    None,
    /// Policy JSON, inline or read from `{ file = ... }` (not validated here).
    Json(String),
}

/// One object to create.
#[derive(Debug, Clone)]
pub struct ObjectSpec {
    pub key: String,
    pub source: ObjectSource,
    pub content_type: Option<String>,
}

/// Where an object's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectSource {
    /// Bytes in memory: an inline body, or a gzipped fixture or body. Many keys of one
    /// brace expansion share one `Bytes` (cheap clones).
    Inline(Bytes),
    /// A fixture file, read when served, not copied at load.
    File(PathBuf),
    /// A size with no stored bytes (reads return zeros).
    Sized(u64),
}

/// `[faults]`: simulator behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultsSpec {
    pub latency_ms: u64,
    /// Share of requests answered with a retryable error (503 SlowDown / 500).
    pub error_rate: f64,
    pub seed: u64,
}

/// `[[identities]]`: an extra principal that can sign requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySpec {
    pub name: String,
    pub arn: String,
    pub access_key: String,
    pub secret_key: String,
    pub policy: Option<String>,
}
