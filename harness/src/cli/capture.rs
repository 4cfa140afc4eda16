//! `s3-harness capture`: a live bucket or a pasted listing into a scenario folder.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use s3_connector::config::{DataFormat, Partitioning};
use s3_harness::capture::{CaptureOptions, CaptureSummary, capture_listing, capture_live};

/// `capture`'s arguments.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["url", "from_listing"])))]
pub struct CaptureArgs {
    /// The bucket and schema prefix to capture, as `s3://BUCKET/PREFIX`.
    #[arg(value_name = "s3://BUCKET/PREFIX")]
    url: Option<String>,
    /// The scenario folder to write (`DIR/scenario.toml`, `DIR/samples/`).
    #[arg(long)]
    out: PathBuf,
    /// Any S3-compatible endpoint instead of AWS (`http://127.0.0.1:9000`).
    #[arg(long, value_name = "URL", conflicts_with = "from_listing")]
    endpoint_url: Option<String>,
    /// The region to sign requests for and the connection's region (default: the
    /// profile's or environment's region, else the bucket's).
    #[arg(long)]
    region: Option<String>,
    /// The AWS profile to take credentials and region from.
    #[arg(long, conflicts_with = "from_listing")]
    profile: Option<String>,
    /// Also store the bytes schema inference reads: at most 64 KiB of each sampled CSV
    /// file, the footer of each sampled Parquet file.
    #[arg(long, conflicts_with = "from_listing")]
    samples: bool,
    /// Replace sampled values with synthetic ones of the same type and shape, and drop
    /// Parquet statistics and key-value metadata.
    #[arg(long, requires = "samples")]
    redact: bool,
    /// Assume this IAM role (its ARN) for the capture, through STS.
    #[arg(long, value_name = "ARN", conflicts_with = "from_listing")]
    role: Option<String>,
    /// A pasted listing instead of a live bucket: `aws s3 ls --recursive` output,
    /// `aws s3api list-objects-v2` JSON, or an S3 Inventory manifest.json.
    #[arg(long, value_name = "FILE", requires_all = ["bucket", "prefix"])]
    from_listing: Option<PathBuf>,
    /// The bucket the listing was taken from (with --from-listing).
    #[arg(long, requires = "from_listing")]
    bucket: Option<String>,
    /// The schema prefix to capture (with --from-listing).
    #[arg(long, requires = "from_listing")]
    prefix: Option<String>,
    /// Stop after this many S3 requests; run the command again to resume the listing.
    #[arg(long, value_name = "N")]
    max_requests: Option<u64>,
    /// The connection's format (default: guessed from the keys).
    #[arg(long, value_parser = ["parquet", "csv"])]
    format: Option<String>,
    /// The connection's partitioning (default: `all` when keys have `column=value`
    /// directories).
    #[arg(long, value_parser = ["all", "none"])]
    partitioning: Option<String>,
    /// The importing platform's account, written as `[platform] account`.
    #[arg(long, value_name = "ACCOUNT", requires = "platform_role")]
    platform_account: Option<String>,
    /// The platform's reader role name, written as `[platform] role`.
    #[arg(long, value_name = "ROLE", requires = "platform_account")]
    platform_role: Option<String>,
    /// The platform role's identity policy (a JSON file), written as `[platform] policy`.
    #[arg(long, value_name = "FILE", requires = "platform_account")]
    platform_policy: Option<PathBuf>,
    /// How the captured scenario's connector reaches S3: `https` (as S3 is reached) or
    /// `http` (a platform client configured with an http:// endpoint).
    #[arg(long, value_parser = ["https", "http"], default_value = "https")]
    transport: String,
    /// The bucket policy (a JSON file), as the customer pasted it: used instead of
    /// the one read from the bucket (by default a pasted listing assumes the policy
    /// the connection form generates).
    #[arg(long, value_name = "FILE")]
    bucket_policy: Option<PathBuf>,
    /// The bucket owner's account id written into the scenario.
    #[arg(long, value_name = "ACCOUNT")]
    owner_account: Option<String>,
    /// Do not run the captured scenario to write its `[expect]` block.
    #[arg(long)]
    no_expect: bool,
}

/// `s3://BUCKET/PREFIX` split; the prefix may be empty.
fn parse_url(url: &str) -> anyhow::Result<(String, String)> {
    let rest = url
        .strip_prefix("s3://")
        .with_context(|| format!("`{url}` is not an s3://BUCKET/PREFIX address"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        anyhow::bail!("`{url}` names no bucket");
    }
    Ok((bucket.to_owned(), prefix.to_owned()))
}

/// Runs `capture` and prints what was written.
pub async fn capture(args: CaptureArgs) -> anyhow::Result<ExitCode> {
    let (bucket, prefix) = match (&args.url, &args.bucket, &args.prefix) {
        (Some(url), _, _) => parse_url(url)?,
        (None, Some(b), Some(p)) => (b.clone(), p.clone()),
        _ => anyhow::bail!("give s3://BUCKET/PREFIX, or --from-listing FILE --bucket B --prefix P"),
    };
    let mut options = CaptureOptions::new(bucket, prefix, &args.out);
    options.region = args.region.clone();
    options.samples = args.samples;
    options.redact = args.redact;
    options.max_requests = args.max_requests;
    options.format = args.format.as_deref().map(|f| {
        if f == "csv" {
            DataFormat::Csv
        } else {
            DataFormat::Parquet
        }
    });
    options.partitioning = args.partitioning.as_deref().map(|p| {
        if p == "none" {
            Partitioning::None
        } else {
            Partitioning::All
        }
    });
    options.platform = args.platform_account.clone().zip(args.platform_role.clone());
    options.owner = args.owner_account.clone();
    if let Some(file) = &args.bucket_policy {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        options.bucket_policy = Some(text);
    }
    if let Some(file) = &args.platform_policy {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        options.platform_policy = Some(text);
    }
    if args.transport == "http" {
        options.transport = s3_harness::scenario::Transport::Http;
    }
    options.progress = true;
    options.expect = !args.no_expect;
    let summary = match &args.from_listing {
        Some(file) => Box::pin(capture_listing(file, &options)).await?,
        None => {
            let client = client(&args).await;
            Box::pin(capture_live(&client, &options)).await?
        }
    };
    print_summary(&summary);
    Ok(ExitCode::SUCCESS)
}

/// An S3 client from the standard credential chain (environment, profile, SSO,
/// instance role), optionally through an assumed role and another endpoint.
async fn client(args: &CaptureArgs) -> aws_sdk_s3::Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(p) = &args.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &args.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    let mut base = loader.load().await;
    if let Some(arn) = &args.role {
        let provider = aws_config::sts::AssumeRoleProvider::builder(arn)
            .session_name("s3-harness-capture")
            .configure(&base)
            .build()
            .await;
        base = base
            .into_builder()
            .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(provider))
            .build();
    }
    let mut conf = aws_sdk_s3::config::Builder::from(&base);
    if base.region().is_none() {
        // The bucket's own region is read with GetBucketLocation, which any region answers.
        conf = conf.region(aws_sdk_s3::config::Region::new("us-east-1"));
    }
    if let Some(url) = &args.endpoint_url {
        conf = conf.endpoint_url(url).force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(conf.build())
}

fn print_summary(s: &CaptureSummary) {
    println!("scenario: {}", s.scenario.display());
    println!("keys: {}", s.keys);
    println!(
        "entries: {} ({} folded, {} sample files, {} sample bytes)",
        s.written.entries, s.written.folded, s.written.sample_files, s.sample_bytes
    );
    println!("requests: {}", s.requests);
    if let Some(status) = &s.status {
        println!("expect: status {status}");
    }
    for n in &s.notes {
        println!("note: {n}");
    }
}
