//! `s3-harness capture`: a customer's bucket (or a pasted listing of it) turned into a
//! scenario folder that `run` and `serve` reproduce.
//!
//! The folder holds `scenario.toml` (keys folded into exact brace patterns with their
//! sizes, the bucket's region and policy when readable, the connection block, and an
//! `[expect]` block recording what `run` found at capture time), `bucket-policy.json`,
//! and with `--samples` the bytes schema inference reads under `samples/`. Objects
//! whose bytes were not captured are `unknown_bytes`: they list with their true size
//! and reading them answers `InvalidObjectState`, which the connector reports as
//! `schema_unknown` rather than inferring a schema from bytes it never saw.
//! Credentials are never written: only what S3 answered.

pub mod fold;
pub mod live;
mod progress;
pub mod redact;
pub mod samples;
pub mod write;

use std::path::{Path, PathBuf};

use s3_connector::config::{ConnectionForm, DataFormat, Partitioning};
use s3_connector::connector::{ConnectorOptions, schema_reads};
use s3_connector::layout::ListedObject;
use s3_connector::layout::classify::FileFormat;

pub use progress::Progress;

use self::live::Budget;
use self::write::{CapturedBucket, ScenarioText, Written, write_scenario};

/// Why a capture stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// A file of the output folder cannot be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// S3 refused or failed a request the capture needs.
    #[error("{operation} failed: {code} {message}")]
    S3 {
        /// The S3 operation.
        operation: &'static str,
        /// S3's error code (empty when the request got no S3 answer).
        code: String,
        /// S3's message, or what went wrong on the way.
        message: String,
    },
    /// `--max-requests` is spent; the listing's state is kept to resume.
    #[error(
        "the request budget is spent after {used} requests; run the same command again (with a larger \
         --max-requests if needed) to go on where the listing stopped"
    )]
    Budget {
        /// Requests made.
        used: u64,
    },
    /// The resume state in the output folder cannot be read.
    #[error("resume state {}: {message}; delete it to start the listing over", path.display())]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A pasted listing cannot be read.
    #[error(transparent)]
    Listing(#[from] crate::listing::ListingError),
    /// Running the captured scenario (for `[expect]`) failed.
    #[error("the captured scenario does not run: {0}")]
    Run(#[from] Box<crate::Error>),
    /// The arguments do not describe a capture.
    #[error("{0}")]
    Usage(String),
}

impl CaptureError {
    /// S3's error code, for S3 errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::S3 { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// What to capture and how.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// The bucket.
    pub bucket: String,
    /// The schema prefix (`data/audiences/`), possibly empty.
    pub prefix: String,
    /// The output folder.
    pub out: PathBuf,
    /// The connection's region; by default the bucket's.
    pub region: Option<String>,
    /// Capture the bytes schema inference reads.
    pub samples: bool,
    /// Replace sampled values with synthetic ones of the same shape.
    pub redact: bool,
    /// Most S3 requests to make (`None`: no limit).
    pub max_requests: Option<u64>,
    /// The connection's format; by default guessed from the keys.
    pub format: Option<DataFormat>,
    /// The connection's partitioning; by default guessed from the keys.
    pub partitioning: Option<Partitioning>,
    /// The importing platform's account and reader role, written as `[platform]`.
    pub platform: Option<(String, String)>,
    /// The platform reader role's identity policy JSON, written as `[platform] policy`.
    pub platform_policy: Option<String>,
    /// How the captured scenario's connector reaches S3 (`[simulator] transport`):
    /// a setting of the platform's client that no bucket listing shows.
    pub transport: crate::scenario::Transport,
    /// The bucket policy JSON as the customer pasted it; replaces the one read from
    /// the bucket. Without either, the scenario assumes the generated policy.
    pub bucket_policy: Option<String>,
    /// The bucket owner's account written into the scenario.
    pub owner: Option<String>,
    /// Show progress on a terminal.
    pub progress: bool,
    /// Run the captured scenario and write `[expect]` from what it finds.
    pub expect: bool,
}

impl CaptureOptions {
    /// Options for `bucket`/`prefix` into `out`, everything else by default.
    pub fn new(bucket: impl Into<String>, prefix: impl Into<String>, out: impl Into<PathBuf>) -> Self {
        Self {
            bucket: bucket.into(),
            prefix: prefix.into(),
            out: out.into(),
            region: None,
            samples: false,
            redact: false,
            max_requests: None,
            format: None,
            partitioning: None,
            platform: None,
            platform_policy: None,
            transport: crate::scenario::Transport::Https,
            bucket_policy: None,
            owner: None,
            progress: false,
            expect: true,
        }
    }
}

/// What a capture wrote.
#[derive(Debug, Clone)]
pub struct CaptureSummary {
    /// `DIR/scenario.toml`.
    pub scenario: PathBuf,
    /// Keys captured.
    pub keys: usize,
    /// What was written.
    pub written: Written,
    /// Bytes of samples stored.
    pub sample_bytes: u64,
    /// S3 requests made.
    pub requests: u64,
    /// What could not be captured (policy not readable, a file not sampled, ...).
    pub notes: Vec<String>,
    /// The `[expect]` status recorded, when `expect` ran.
    pub status: Option<String>,
}

/// The owner account written when none is given: the scenario needs one, and S3 does
/// not tell a bucket's account to a reader.
pub const DEFAULT_OWNER: &str = "111122223333";

/// Captures a live bucket through `client` (any credentials that may list it).
pub async fn capture_live(
    client: &aws_sdk_s3::Client,
    options: &CaptureOptions,
) -> Result<CaptureSummary, CaptureError> {
    create_out(&options.out)?;
    let progress = Progress::new(options.progress);
    let mut budget = Budget::new(options.max_requests);
    let mut notes = Vec::new();
    progress.step("reading the bucket's region");
    let region = match live::bucket_region(client, &options.bucket, &mut budget).await {
        Ok(r) => r,
        Err(e) if e.code() == Some("NoSuchBucket") => {
            notes.push(format!(
                "bucket `{}` does not exist; the scenario has no bucket",
                options.bucket
            ));
            let summary = finish(options, None, notes, budget.used(), &progress).await;
            return summary;
        }
        Err(e) => return Err(e),
    };
    if region.is_none() {
        notes.push("the bucket's region could not be read (GetBucketLocation); the connection's is used".to_owned());
    }
    progress.step("reading the bucket policy");
    let (policy, readable) = live::bucket_policy(client, &options.bucket, &mut budget).await?;
    let policy = options.bucket_policy.clone().or(policy);
    let policy_unknown = !readable && options.bucket_policy.is_none();
    if policy_unknown {
        notes.push(
            "the bucket policy could not be read (GetBucketPolicy); the scenario assumes the generated one".to_owned(),
        );
    }
    let objects = live::list_keys(
        client,
        &options.bucket,
        &options.prefix,
        &options.out,
        &mut budget,
        &progress,
    )
    .await?;
    let bucket_region = region
        .or_else(|| options.region.clone())
        .unwrap_or_else(|| "us-east-1".to_owned());
    let form = connection(options, &bucket_region, &objects);
    let mut sampled = Vec::new();
    if options.samples {
        let reads = match form.validate() {
            Ok(config) => {
                let listed: Vec<ListedObject> = objects
                    .iter()
                    .map(|(key, size)| ListedObject {
                        key: key.clone(),
                        size: *size,
                    })
                    .collect();
                schema_reads(&config, &listed, &ConnectorOptions::default())
            }
            Err(_) => Vec::new(),
        };
        let (got, why) = samples::fetch(client, &options.bucket, &reads, &mut budget, &progress).await?;
        sampled = got;
        notes.extend(why);
    }
    if options.redact {
        let (redacted, why) = redact::redact_all(sampled);
        sampled = redacted;
        notes.extend(why);
    }
    let bucket = CapturedBucket {
        name: options.bucket.clone(),
        region: bucket_region,
        owner: owner(options),
        policy,
        policy_unknown,
        objects,
        samples: sampled,
    };
    finish(options, Some(bucket), notes, budget.used(), &progress).await
}

/// Captures from a pasted listing: keys and sizes only, so every table's schema is
/// unknown.
pub async fn capture_listing(listing: &Path, options: &CaptureOptions) -> Result<CaptureSummary, CaptureError> {
    create_out(&options.out)?;
    let progress = Progress::new(options.progress);
    let read = crate::listing::read_listing(listing, &options.bucket, &options.prefix)?;
    let mut notes = vec![format!("read {} object(s) from {}", read.objects.len(), read.format)];
    if read.outside_prefix > 0 {
        notes.push(format!(
            "{} listed object(s) outside the prefix were left out",
            read.outside_prefix
        ));
    }
    let objects: Vec<(String, u64)> = read.objects.into_iter().map(|o| (o.key, o.size)).collect();
    let region = options.region.clone().unwrap_or_else(|| "us-east-1".to_owned());
    let bucket = CapturedBucket {
        name: options.bucket.clone(),
        region,
        owner: owner(options),
        policy: options.bucket_policy.clone(),
        policy_unknown: options.bucket_policy.is_none(),
        objects,
        samples: Vec::new(),
    };
    finish(options, Some(bucket), notes, 0, &progress).await
}

fn owner(options: &CaptureOptions) -> String {
    options.owner.clone().unwrap_or_else(|| {
        // The owner must differ from the platform's account, or the platform would be
        // the owner's own principal and bucket policies would matter less than they do.
        match &options.platform {
            Some((account, _)) if account == DEFAULT_OWNER => "444455556666".to_owned(),
            _ => DEFAULT_OWNER.to_owned(),
        }
    })
}

fn create_out(out: &Path) -> Result<(), CaptureError> {
    std::fs::create_dir_all(out).map_err(|source| CaptureError::Io {
        path: out.to_path_buf(),
        source,
    })
}

/// The connection block: bucket, prefix and region from the arguments, format and
/// partitioning as given or guessed from the keys.
fn connection(options: &CaptureOptions, bucket_region: &str, objects: &[(String, u64)]) -> ConnectionForm {
    let (format, partitioning) = guess(&options.prefix, objects);
    ConnectionForm {
        name: format!("captured {}", options.bucket),
        region: options.region.clone().unwrap_or_else(|| bucket_region.to_owned()),
        bucket: options.bucket.clone(),
        schema_prefix: options.prefix.clone(),
        format: options.format.unwrap_or(format),
        partitioning: options.partitioning.unwrap_or(partitioning),
    }
}

/// The format most data files have (Parquet on a tie), and `all` when any data file
/// sits below a `column=value` directory.
pub fn guess(prefix: &str, objects: &[(String, u64)]) -> (DataFormat, Partitioning) {
    let (mut parquet, mut csv, mut hive) = (0usize, 0usize, false);
    for (key, _) in objects {
        let Some(format) = FileFormat::from_name(key) else {
            continue;
        };
        match format {
            FileFormat::Parquet => parquet += 1,
            FileFormat::Csv | FileFormat::CsvGzip => csv += 1,
        }
        let rest = key.strip_prefix(prefix).unwrap_or(key);
        let mut dirs: Vec<&str> = rest.split('/').collect();
        dirs.pop();
        hive |= dirs.iter().any(|d| d.contains('='));
    }
    let format = if csv > parquet {
        DataFormat::Csv
    } else {
        DataFormat::Parquet
    };
    let partitioning = if hive { Partitioning::All } else { Partitioning::None };
    (format, partitioning)
}

/// Writes the folder, runs it once for `[expect]`, removes the resume state.
async fn finish(
    options: &CaptureOptions,
    bucket: Option<CapturedBucket>,
    notes: Vec<String>,
    requests: u64,
    progress: &Progress,
) -> Result<CaptureSummary, CaptureError> {
    progress.step("writing the scenario");
    let objects: &[(String, u64)] = bucket.as_ref().map_or(&[], |b| b.objects.as_slice());
    let region = bucket.as_ref().map_or("us-east-1", |b| b.region.as_str());
    let form = connection(options, region, objects);
    let keys = objects.len();
    let sample_bytes = bucket.as_ref().map_or(0, |b| {
        b.samples
            .iter()
            .map(|s| match &s.sample {
                samples::Sample::Whole(x) | samples::Sample::Head(x) | samples::Sample::Tail(x) => x.len() as u64,
            })
            .sum()
    });
    let description = format!(
        "Captured from s3://{}/{}: {keys} keys{}",
        options.bucket,
        options.prefix,
        if sample_bytes > 0 {
            ", with samples"
        } else {
            ", without bytes"
        }
    );
    let platform = options.platform.as_ref().map(|(a, r)| (a.as_str(), r.as_str()));
    let platform_policy = options.platform_policy.as_deref();
    let written = write_scenario(
        &options.out,
        &ScenarioText {
            description: &description,
            connection: &form,
            platform,
            platform_policy,
            transport: options.transport,
            bucket: bucket.as_ref(),
        },
    )?;
    let scenario = options.out.join("scenario.toml");
    let mut status = None;
    if options.expect {
        progress.step("running the captured scenario");
        status = Some(Box::pin(write_expect(&scenario)).await?);
    }
    live::clear_state(&options.out);
    progress.finish();
    Ok(CaptureSummary {
        scenario,
        keys,
        written,
        sample_bytes,
        requests,
        notes,
        status,
    })
}

/// Runs the scenario once and appends what it found as `[expect]`.
async fn write_expect(scenario: &Path) -> Result<String, CaptureError> {
    let run = Box::pin(crate::run::run_scenario_file(scenario))
        .await
        .map_err(Box::new)?;
    let report = &run.report;
    let status = match report.status {
        s3_connector::connector::ConnectionStatus::Active => "active",
        s3_connector::connector::ConnectionStatus::Failed => "failed",
    };
    let mut tables: Vec<&str> = report.tables.iter().map(|t| t.name.as_str()).collect();
    tables.sort_unstable();
    let mut codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let list = |v: &[&str]| v.iter().map(|s| write::toml_str(s)).collect::<Vec<_>>().join(", ");
    let block = format!(
        "\n# What `run` found when this scenario was captured.\n[expect]\nstatus = \"{status}\"\ntables = [{}]\ndiagnostics = [{}]\n",
        list(&tables),
        list(&codes)
    );
    let mut text = std::fs::read_to_string(scenario).map_err(|source| CaptureError::Io {
        path: scenario.to_path_buf(),
        source,
    })?;
    text.push_str(&block);
    std::fs::write(scenario, text).map_err(|source| CaptureError::Io {
        path: scenario.to_path_buf(),
        source,
    })?;
    Ok(status.to_owned())
}
