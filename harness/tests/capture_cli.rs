//! `s3-harness capture` end to end: the command line against `serve` over HTTP, the
//! request budget and resuming, redaction, and pasted listings.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use s3_harness::capture::{CaptureError, CaptureOptions, capture_listing, capture_live, live};
use s3_harness::run::run_scenario;
use s3_harness::scenario::load_scenario;
use s3_harness::{Simulator, Who};

const BIN: &str = env!("CARGO_BIN_EXE_s3-harness");

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// `s3-harness serve`, killed on drop.
struct Serve {
    child: Child,
    endpoint: String,
}

impl Serve {
    fn start(scenario: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", &scenario.to_string_lossy(), "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("piped");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("serve prints its endpoint");
        let endpoint = first
            .trim()
            .strip_prefix("endpoint: ")
            .unwrap_or_else(|| panic!("first line is the endpoint: {first:?}"))
            .to_owned();
        Self { child, endpoint }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The capture command with the owner's root keys and no other AWS configuration.
fn capture_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("capture")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", "AKIAROOT111122223333")
        .env("AWS_SECRET_ACCESS_KEY", "root-secret-111122223333")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

fn every_file(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(every_file(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_command_captures_a_served_bucket_over_http_into_a_scenario_run_reproduces() {
    let serve = Serve::start(&repo("scenarios/valid/daily_csv.toml"));
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("capture");
    let output = capture_command(&[
        "s3://acme-data/data/audiences/",
        "--out",
        &out.to_string_lossy(),
        "--endpoint-url",
        &serve.endpoint,
        "--region",
        "eu-west-1",
        "--samples",
        "--platform-account",
        "999988887777",
        "--platform-role",
        "connector-acme",
    ])
    .output()
    .expect("capture runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("keys: 132"), "{stdout}");
    assert!(stdout.contains("expect: status active"), "{stdout}");
    let scenario = std::fs::read_to_string(out.join("scenario.toml")).expect("written");
    assert!(
        scenario.contains("date=2025-01-{01..31}/part-{0..3}.csv.gz"),
        "{scenario}"
    );
    assert!(scenario.contains("tables = [\"clicks\", \"users\"]"), "{scenario}");
    assert!(
        !out.join(live::STATE_FILE).exists(),
        "the resume state is removed at the end"
    );
    // Credentials never reach the folder.
    for f in every_file(&out) {
        let bytes = std::fs::read(&f).expect("readable");
        for secret in [&b"root-secret-111122223333"[..], b"AKIAROOT111122223333"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "{} holds a credential",
                f.display()
            );
        }
    }
    let run = Command::new(BIN)
        .args(["run", &out.join("scenario.toml").to_string_lossy()])
        .output()
        .expect("run runs");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stdout));
}

/// `--profile` takes the keys and the region from the shared AWS files, as the SDKs'
/// standard chain does (https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html):
/// with no keys in the environment and a default profile that holds wrong ones, only the
/// named profile can sign for the served bucket.
#[test]
fn the_profile_flag_takes_credentials_and_region_from_the_shared_files() {
    let serve = Serve::start(&repo("scenarios/valid/daily_csv.toml"));
    let dir = tempfile::tempdir().expect("temp dir");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        "[default]\naws_access_key_id = AKIANOBODY0000000000\naws_secret_access_key = wrong\n\n\
         [customer]\naws_access_key_id = AKIAROOT111122223333\naws_secret_access_key = root-secret-111122223333\n",
    )
    .expect("written");
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        "[default]\nregion = us-east-1\n\n[profile customer]\nregion = eu-west-1\n",
    )
    .expect("written");
    let out = dir.path().join("capture");
    let capture = |profile: Option<&str>| {
        let mut cmd = capture_command(&[
            "s3://acme-data/data/audiences/",
            "--out",
            &out.to_string_lossy(),
            "--endpoint-url",
            &serve.endpoint,
            "--no-expect",
        ]);
        cmd.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env("AWS_CONFIG_FILE", &config);
        if let Some(p) = profile {
            cmd.args(["--profile", p]);
        }
        cmd.output().expect("capture runs")
    };
    let refused = capture(None);
    assert!(
        !refused.status.success(),
        "the default profile's keys are not the bucket's"
    );
    let output = capture(Some("customer"));
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let scenario = std::fs::read_to_string(out.join("scenario.toml")).expect("written");
    assert!(scenario.contains("region = \"eu-west-1\""), "{scenario}");
    for f in every_file(&out) {
        let bytes = std::fs::read(&f).expect("readable");
        let secret = b"root-secret-111122223333";
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "{} holds a credential",
            f.display()
        );
    }
}

#[test]
fn the_command_refuses_a_source_that_is_not_an_s3_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = capture_command(&["acme-data/data/", "--out", &dir.path().to_string_lossy()])
        .output()
        .expect("capture runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("s3://BUCKET/PREFIX"));
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn a_listing_stopped_by_the_request_budget_resumes_where_it_stopped() {
    runtime().block_on(async {
        let mut builder = Simulator::builder().bucket("big", "eu-west-1", "111122223333");
        for i in 0..2500 {
            builder = builder.object("big", &format!("t/d={:02}/part-{i:05}.csv", i % 7), "a\n1\n");
        }
        let sim = builder.start().await.expect("starts");
        let client = sim.client(Who::BucketOwner("big")).expect("owner");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut options = CaptureOptions::new("big", "t/", dir.path());
        // GetBucketLocation, GetBucketPolicy, then one page of 1,000 keys.
        options.max_requests = Some(3);
        let stopped = capture_live(&client, &options).await;
        assert!(matches!(stopped, Err(CaptureError::Budget { used: 3 })), "{stopped:?}");
        assert!(dir.path().join(live::STATE_FILE).exists());
        assert!(!dir.path().join("scenario.toml").exists());

        options.max_requests = None;
        let done = capture_live(&client, &options).await.expect("resumes");
        // Region, policy, and the two pages left: the first page is not listed again.
        assert_eq!(done.requests, 4);
        assert_eq!(done.keys, 2500);
        assert!(!dir.path().join(live::STATE_FILE).exists());
        let scenario = load_scenario(&dir.path().join("scenario.toml")).expect("loads");
        let mut keys: Vec<String> = scenario.buckets[0].objects.iter().map(|o| o.key.clone()).collect();
        keys.sort();
        let mut want: Vec<String> = (0..2500).map(|i| format!("t/d={:02}/part-{i:05}.csv", i % 7)).collect();
        want.sort();
        assert_eq!(keys, want);
        sim.shutdown().await;
    });
}

/// Captures `scenario` with samples (redacted or not) as its bucket's owner.
async fn capture_scenario(scenario: &Path, out: &Path, redact: bool) -> s3_harness::scenario::Scenario {
    let original = load_scenario(scenario).expect("loads");
    let connection = original.connection.clone().expect("has a connection");
    let sim = Simulator::from_scenario_file(scenario).await.expect("serves");
    let client = sim.client(Who::BucketOwner(&connection.bucket)).expect("owner");
    let mut options = CaptureOptions::new(&connection.bucket, &connection.schema_prefix, out);
    options.samples = true;
    options.redact = redact;
    options.region = Some(connection.region.clone());
    options.format = Some(connection.format);
    options.partitioning = Some(connection.partitioning);
    options.platform = Some((original.platform.account.clone(), original.platform.role.clone()));
    options.owner = original.buckets.first().map(|b| b.owner.clone());
    Box::pin(capture_live(&client, &options)).await.expect("captures");
    sim.shutdown().await;
    original
}

#[test]
fn redacted_samples_keep_every_schema_and_lose_the_values() {
    runtime().block_on(async {
        for (name, secret) in [
            ("scenarios/valid/daily_csv.toml", &b"grace"[..]),
            ("scenarios/valid/parquet_daily.toml", &b"radia"[..]),
            ("scenarios/valid/csv_dialects.toml", &b"smith"[..]),
        ] {
            let path = repo(name);
            let dir = tempfile::tempdir().expect("temp dir");
            let original = capture_scenario(&path, dir.path(), true).await;
            let want = run_scenario("original", &original).await.expect("runs").report;
            let captured = load_scenario(&dir.path().join("scenario.toml")).expect("loads");
            let got = run_scenario("captured", &captured).await.expect("runs").report;
            let columns = |r: &s3_connector::connector::ConnectionReport| {
                r.tables
                    .iter()
                    .map(|t| (t.name.clone(), t.columns.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(columns(&got), columns(&want), "{name}");
            assert!(!columns(&want).is_empty(), "{name} has tables");
            let samples = dir.path().join("samples");
            for f in every_file(&samples) {
                let bytes = std::fs::read(&f).expect("readable");
                let lower = bytes.to_ascii_lowercase();
                assert!(
                    !lower.windows(secret.len()).any(|w| w == secret),
                    "{} keeps a value",
                    f.display()
                );
            }
        }
    });
}

#[test]
fn a_pasted_list_objects_v2_listing_becomes_a_scenario_with_schemas_unknown() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        // The shape `aws s3api list-objects-v2 --output json` prints (one page).
        let mut contents = Vec::new();
        for d in 1..=31 {
            for p in 0..2 {
                contents.push(serde_json::json!({
                    "Key": format!("data/events/date=2025-01-{d:02}/part-{p}.parquet"),
                    "LastModified": "2025-02-01T00:00:00+00:00",
                    "ETag": "\"0123456789abcdef0123456789abcdef\"",
                    "Size": 1000 + d * 10 + p,
                    "StorageClass": "STANDARD",
                }));
            }
        }
        let listing = dir.path().join("listing.json");
        let page = serde_json::json!({ "Contents": contents, "RequestCharged": null, "Prefix": "data/" });
        std::fs::write(&listing, serde_json::to_string_pretty(&page).expect("json")).expect("written");
        let out = dir.path().join("capture");
        let mut options = CaptureOptions::new("acme-data", "data/", &out);
        options.region = Some("eu-west-1".to_owned());
        let summary = Box::pin(capture_listing(&listing, &options)).await.expect("captures");
        assert_eq!(summary.keys, 62);
        assert_eq!(summary.written.folded, 1, "one line with a size list");
        assert_eq!(summary.status.as_deref(), Some("active"));
        let text = std::fs::read_to_string(out.join("scenario.toml")).expect("written");
        assert!(
            text.contains("format = \"parquet\"") && text.contains("partitioning = \"all\""),
            "{text}"
        );
        let scenario = load_scenario(&out.join("scenario.toml")).expect("loads");
        let run = run_scenario("captured", &scenario).await.expect("runs");
        let table = &run.report.tables[0];
        assert_eq!((table.name.as_str(), table.files), ("events", 62));
        assert_eq!(table.bytes, (1..=31u64).map(|d| 2 * (1000 + d * 10) + 1).sum::<u64>());
        assert!(
            run.report
                .diagnostics
                .iter()
                .any(|d| d.code.as_str() == "schema_unknown")
        );
    });
}

#[test]
fn a_captured_object_serves_its_known_bytes_and_refuses_the_rest_as_s3_refuses_archived_ones() {
    runtime().block_on(async {
        let text = r#"description = "d"
[[buckets]]
name = "acme-data"
region = "eu-west-1"
owner = "111122223333"
[[buckets.objects]]
key = "t/a.csv"
size = 100000
head = "users.csv"
[[buckets.objects]]
key = "t/b.parquet"
size = 5000
tail = "users.parquet"
"#;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text).expect("written");
        let sim = Simulator::from_scenario_file(&path).await.expect("serves");
        let s3 = sim.client(Who::BucketOwner("acme-data")).expect("owner");
        let head = s3
            .head_object()
            .bucket("acme-data")
            .key("t/a.csv")
            .send()
            .await
            .expect("head");
        assert_eq!(
            head.content_length(),
            Some(100_000),
            "listed and headed with its true size"
        );
        let get = |key: &'static str, range: &'static str| {
            let s3 = s3.clone();
            async move { s3.get_object().bucket("acme-data").key(key).range(range).send().await }
        };
        let first = get("t/a.csv", "bytes=0-6").await.expect("known bytes");
        let first = first.body.collect().await.expect("body").into_bytes();
        assert_eq!(&first[..], b"user_id");
        let tail = get("t/b.parquet", "bytes=-4").await.expect("known tail");
        assert_eq!(&tail.body.collect().await.expect("body").into_bytes()[..], b"PAR1");
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html: an object
        // whose bytes cannot be served answers 403 InvalidObjectState.
        for (key, range) in [("t/a.csv", "bytes=50000-50010"), ("t/b.parquet", "bytes=0-0")] {
            let err = get(key, range).await.expect_err("unknown bytes");
            let raw = err.raw_response().expect("an HTTP answer");
            assert_eq!(raw.status().as_u16(), 403);
            assert_eq!(
                aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
                Some("InvalidObjectState")
            );
        }
        sim.shutdown().await;
    });
}
