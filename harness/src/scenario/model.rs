//! The loaded form of a scenario: what the simulator builds its world from.

use std::path::PathBuf;

use bytes::Bytes;

/// A scenario file, parsed, validated, with keys brace-expanded and fixtures resolved.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from, as given.
    pub path: PathBuf,
    /// `description` (required): what the scenario shows, printed under its name by
    /// `run` and in `run --json`.
    pub description: String,
    /// The connection form; optional so that a world for `serve` needs none.
    pub connection: Option<ConnectionSpec>,
    /// `[platform]`, with defaults for what it (or the whole table) leaves out.
    pub platform: PlatformSpec,
    /// `[[buckets]]`, in file order; names are unique.
    pub buckets: Vec<BucketSpec>,
    /// `[[identities]]`, in file order; names and access keys are unique.
    pub identities: Vec<IdentitySpec>,
    /// `[faults]`; `None` when the table is absent, and then nothing is injected.
    pub faults: Option<FaultsSpec>,
    /// `[simulator]`: how `run` reaches the simulator.
    pub simulator: SimulatorSpec,
    /// `[expect]`: what `run` must find, checked after the run.
    pub expect: Option<ExpectSpec>,
}

/// `[connection]`: the values exactly as typed in the connection form; the connector
/// validates them.
pub type ConnectionSpec = s3_connector::config::ConnectionForm;

/// `[platform]`: the importing platform's reader role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSpec {
    /// `account`: the platform's 12-digit AWS account id, in the reader role's ARN.
    pub account: String,
    /// `role`: the reader role's name (not its ARN); the connector signs as a session
    /// of it, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/s3-connector`.
    pub role: String,
    /// The role's identity policy JSON; `None` = the default read policy.
    pub policy: Option<String>,
    /// `access_key`: the SigV4 access key id the platform reader signs with.
    pub access_key: String,
    /// `secret_key`: the SigV4 secret that goes with `access_key`.
    pub secret_key: String,
    /// `inventory`: `s3://BUCKET/PATH/manifest.json` or a folder of S3 Inventory
    /// reports; the connector discovers from the (newest) report instead of listing.
    pub inventory: Option<s3_connector::inventory::InventoryLocation>,
}

impl Default for PlatformSpec {
    fn default() -> Self {
        Self {
            account: Self::DEFAULT_ACCOUNT.to_owned(),
            role: Self::DEFAULT_ROLE.to_owned(),
            policy: None,
            inventory: None,
            access_key: Self::DEFAULT_ACCESS_KEY.to_owned(),
            secret_key: Self::DEFAULT_SECRET_KEY.to_owned(),
        }
    }
}

impl PlatformSpec {
    /// The platform's account id when `[platform]` sets no `account`.
    pub const DEFAULT_ACCOUNT: &str = "999988887777";
    /// The reader role's name when `[platform]` sets no `role`.
    pub const DEFAULT_ROLE: &str = "platform-reader";
    /// The platform reader's access key id when `[platform]` sets no `access_key`.
    pub const DEFAULT_ACCESS_KEY: &str = "AKIAPLATFORMREADER01";
    /// The platform reader's secret when `[platform]` sets no `secret_key`.
    pub const DEFAULT_SECRET_KEY: &str = "platform-reader-secret";
    /// The identity policy a platform role has unless the scenario sets one.
    pub const DEFAULT_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject","s3:GetBucketLocation"],"Resource":"*"}]}"#;
}

/// `[[buckets]]`.
#[derive(Debug, Clone)]
pub struct BucketSpec {
    /// `name`: the bucket name, checked against S3's bucket naming rules.
    pub name: String,
    /// `region`: the AWS region code the bucket is in, like `eu-west-1`.
    pub region: String,
    /// The owning account id (12 digits).
    pub owner: String,
    /// `policy`: the bucket policy the bucket starts with; no `policy` key means none.
    pub policy: BucketPolicySpec,
    /// Objects in file order after brace expansion; a later duplicate key overwrites.
    pub objects: Vec<ObjectSpec>,
    /// Entries kept as virtual key spaces instead of being expanded (patterns of at least
    /// [`VIRTUAL_FROM`](crate::scenario::VIRTUAL_FROM) keys that share one source), in
    /// file order.
    pub key_spaces: Vec<KeySpaceSpec>,
}

/// One `[[buckets.objects]]` entry whose keys are kept as a generator, never expanded.
#[derive(Debug, Clone)]
pub struct KeySpaceSpec {
    /// The keys its pattern stands for.
    pub keys: std::sync::Arc<crate::sim::store::keyspace::KeySpace>,
    /// What every one of its keys holds.
    pub source: ObjectSource,
    /// As [`ObjectSpec::content_type`].
    pub content_type: Option<String>,
    /// How many of the bucket's `objects` come before it in the file: it replaces those
    /// of them it holds, and those after it replace its keys.
    pub after: usize,
}

/// A bucket's `policy` key: which bucket policy the bucket is created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketPolicySpec {
    /// The policy the connector generates for this scenario's connection.
    Generated,
    /// `"none"`, or no `policy` key: the bucket has no bucket policy.
    None,
    /// Policy JSON, inline or read from `{ file = ... }` (not validated here).
    Json(String),
}

/// One object to create.
#[derive(Debug, Clone)]
pub struct ObjectSpec {
    /// One of the keys the entry's `key` pattern expands to.
    pub key: String,
    /// Where its bytes come from: the entry's `fixture`, `body` or `size`, gzipped when
    /// `gzip = true`.
    pub source: ObjectSource,
    /// `content_type`: the Content-Type the object is served with; `None` leaves the
    /// store's default, `binary/octet-stream`.
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
    /// A captured object of `size` bytes of which only the first (`head`) and last
    /// (`tail`) bytes are known (either may be empty): `unknown_bytes = true`, `head`,
    /// `tail`. Reads of the known bytes return them; any other read is answered 403
    /// `InvalidObjectState`, as S3 answers for an archived object.
    Partial {
        /// The object's size.
        size: u64,
        /// Its first bytes, as captured.
        head: Bytes,
        /// Its last bytes, as captured.
        tail: Bytes,
    },
}

/// `[faults]`: simulator behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultsSpec {
    /// `latency_ms`: milliseconds of delay before every request is handled; 0 (the
    /// default) adds none.
    pub latency_ms: u64,
    /// Share of requests answered with a retryable error (503 SlowDown / 500).
    pub error_rate: f64,
    /// `latency_p99_ms`: the 99th percentile of the delay; `latency_ms` is then the
    /// median of a log-normal delay rather than a fixed one.
    pub latency_p99_ms: Option<u64>,
    /// `seed` (default 1): picks which requests are faulted, so that runs with the
    /// same seed fault the same requests (and the same retries of them).
    pub seed: u64,
    /// `[[faults.inject]]`: faults by kind, operation and key prefix, each at a rate.
    pub rules: Vec<crate::sim::faults::FaultRule>,
    /// `[[faults.burst]]`: windows of time in which the requests selected are answered
    /// 503 SlowDown.
    pub bursts: Vec<crate::sim::faults::Burst>,
    /// `[faults.request_rate]`: requests per second per prefix past which S3 answers
    /// 503 SlowDown.
    pub request_rate: Option<crate::sim::faults::RequestRate>,
}

impl FaultsSpec {
    /// Whether some faults depend on when requests arrive (bursts, a request rate):
    /// how many requests they throttle then varies from run to run.
    pub fn has_timed(&self) -> bool {
        !self.bursts.is_empty() || self.request_rate.is_some()
    }
}

/// `[simulator]`: how `run`'s connector reaches the simulated S3.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimulatorSpec {
    /// `transport`: `"https"` (the default) or `"http"`.
    pub transport: Transport,
}

/// How a client reaches the simulator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Transport {
    /// TLS, as S3 is reached: the connector's client gets an `https://` endpoint and
    /// trusts the run's CA; `aws:SecureTransport` is `true`.
    #[default]
    Https,
    /// Plain HTTP, as a client configured with an `http://` endpoint sends;
    /// `aws:SecureTransport` is `false`.
    Http,
}

/// `[[identities]]`: an extra principal that can sign requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySpec {
    /// `name`: how clients (`Who::Identity`) and reports refer to it; also the session
    /// name when `arn` is a role.
    pub name: String,
    /// `arn`: the principal it signs as, like `arn:aws:iam::111122223333:user/name`.
    pub arn: String,
    /// `access_key`: its SigV4 access key id, unique among all principals.
    pub access_key: String,
    /// `secret_key`: the SigV4 secret that goes with `access_key`.
    pub secret_key: String,
    /// `policy`: its identity policy JSON, inline or read from `{ file = ... }`;
    /// `None` = no identity policy.
    pub policy: Option<String>,
}

/// `[expect]`: what running the scenario must show. `run` checks it and reports every
/// unmet line (exit status 3), so a scenario file is a regression test on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectSpec {
    /// `status`: the connection's status.
    pub status: Option<s3_connector::connector::ConnectionStatus>,
    /// `tables`: exactly the imported tables' names, in any order.
    pub tables: Option<Vec<String>>,
    /// `diagnostics`: codes that must appear (others may too).
    pub diagnostics: Vec<s3_connector::diagnostic::Code>,
    /// `absent_diagnostics`: codes that must not appear.
    pub absent_diagnostics: Vec<s3_connector::diagnostic::Code>,
    /// `rows`: rows read from all imported tables together, bad rows skipped.
    pub rows: Option<u64>,
    /// `bad_rows`: rows kept out of all imported tables together (bad rows, and the rows
    /// of files reported whole).
    pub bad_rows: Option<u64>,
}

impl ExpectSpec {
    /// Whether checking it needs the tables' rows read.
    pub fn reads_rows(&self) -> bool {
        self.rows.is_some() || self.bad_rows.is_some()
    }
}
