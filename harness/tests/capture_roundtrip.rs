//! Every bundled scenario is its own test: its world is served in process, captured
//! over HTTP with `--samples` and without, and each capture is run:
//!
//! - with samples, `run` finds what it finds on the original: the same status, tables
//!   (partitions, files, bytes, columns), skipped tables, ignored keys and diagnostics
//!   (request counts aside);
//! - without samples, the same tables, partitions and files, each table's schema
//!   reported `schema_unknown` (its columns are its partition columns only).
//!
//! A few scenarios are excluded; `EXCLUDED` says why for each.

use std::collections::BTreeSet;
use std::path::Path;

use s3_connector::connector::ConnectionReport;
use s3_connector::diagnostic::Code;
use s3_harness::capture::{CaptureOptions, capture_live};
use s3_harness::run::run_scenario;
use s3_harness::scenario::{BucketPolicySpec, Scenario, load_scenario};
use s3_harness::sim::server::ServerOptions;
use s3_harness::{Simulator, Who, World};

/// Scenarios whose outcome depends on something a capture of the bucket cannot see,
/// with the reason.
const EXCLUDED: &[(&str, &str)] = &[
    (
        "faults/s3_unavailable.toml",
        "its outcome is S3 failing (injected 503s outlasting the retries): simulator behaviour, not \
         bucket content; a capture of the same bucket reproduces the bucket, not the outage",
    ),
    (
        "misstructured/bucket_url_pasted.toml",
        "the connection's bucket field holds a pasted s3:// URL, which names no bucket to capture; \
         the form is refused before any request, with or without a capture",
    ),
    (
        "valid/discovered_from_inventory.toml",
        "discovery reads an S3 Inventory report in another bucket (`[platform] inventory`); a capture \
         is of the connection's bucket, listed, which is what the report stands in for",
    ),
    (
        "policy/inventory_folder_not_listable.toml",
        "its outcome is the policy of the S3 Inventory reports' bucket, which a capture of the \
         connection's bucket does not include",
    ),
];

fn excluded(path: &Path) -> Option<&'static str> {
    let shown = path.to_string_lossy();
    EXCLUDED
        .iter()
        .find(|(name, _)| shown.ends_with(name))
        .map(|(_, why)| *why)
}

fn roundtrip(path: &Path) -> datatest_stable::Result<()> {
    if let Some(why) = excluded(path) {
        eprintln!("{}: excluded: {why}", path.display());
        return Ok(());
    }
    let original = load_scenario(path)?;
    let Some(connection) = original.connection.clone() else {
        // A world for `serve` alone: nothing to run.
        return Ok(());
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let want = run_scenario("original", &original).await?.report;
        let dir = tempfile::tempdir()?;
        let with = dir.path().join("with-samples");
        let without = dir.path().join("without-samples");
        capture(&original, &connection, &with, true).await?;
        capture(&original, &connection, &without, false).await?;

        let got = run_captured(&with).await?;
        assert_eq!(summary(&got), summary(&want), "with samples: {}", path.display());

        let got = run_captured(&without).await?;
        assert_eq!(got.status, want.status, "without samples: status of {}", path.display());
        for table in &want.tables {
            let found = got
                .tables
                .iter()
                .find(|t| t.name == table.name)
                .unwrap_or_else(|| panic!("without samples: table {} missing in {}", table.name, path.display()));
            assert_eq!(
                (&found.prefix, &found.partition_columns, found.files, found.bytes),
                (&table.prefix, &table.partition_columns, table.files, table.bytes),
                "without samples: {} in {}",
                table.name,
                path.display()
            );
            let partitions: Vec<&str> = table.partition_columns.iter().map(String::as_str).collect();
            let columns: Vec<&str> = found.columns.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(columns, partitions, "without samples: only partition columns are known");
            assert!(
                got.diagnostics
                    .iter()
                    .any(|d| d.code == Code::SchemaUnknown && d.subject == table.prefix),
                "without samples: schema_unknown for {} in {}",
                table.prefix,
                path.display()
            );
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    Ok(())
}

/// Serves the scenario's world (no faults, plain HTTP) and captures the connection's
/// bucket as its owner.
async fn capture(
    original: &Scenario,
    connection: &s3_connector::config::ConnectionForm,
    out: &Path,
    samples: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let (world, _) = World::from_scenario(original)?;
    let bucket = original.buckets.iter().find(|b| b.name == connection.bucket);
    // Over plain HTTP, unless the bucket policy refuses requests without TLS: then it
    // would refuse the capture too, and a capture goes over HTTPS as S3 is reached.
    let tls =
        bucket.is_some_and(|b| matches!(&b.policy, BucketPolicySpec::Json(p) if p.contains("aws:SecureTransport")));
    let sim = Simulator::start_with(
        world,
        ServerOptions {
            tls,
            ..ServerOptions::default()
        },
    )
    .await?;
    let client = match bucket {
        Some(b) => sim.client(Who::BucketOwner(&b.name))?,
        None => sim.client(Who::Platform)?,
    };
    let mut options = CaptureOptions::new(&connection.bucket, &connection.schema_prefix, out);
    options.region = Some(connection.region.clone());
    options.samples = samples;
    options.format = Some(connection.format);
    options.partitioning = Some(connection.partitioning);
    options.platform = Some((original.platform.account.clone(), original.platform.role.clone()));
    options.platform_policy = original.platform.policy.clone();
    options.transport = original.simulator.transport;
    options.owner = bucket.map(|b| b.owner.clone());
    Box::pin(capture_live(&client, &options)).await?;
    sim.shutdown().await;
    Ok(())
}

async fn run_captured(dir: &Path) -> Result<ConnectionReport, Box<dyn std::error::Error>> {
    let scenario = load_scenario(&dir.join("scenario.toml"))?;
    let run = run_scenario("captured", &scenario).await?;
    if let Some(e) = &run.expectations {
        assert!(e.met(), "the captured [expect] is met: {:?}", e.unmet);
    }
    Ok(run.report)
}

/// Everything `run` reports but request counts and free-text messages.
fn summary(r: &ConnectionReport) -> serde_json::Value {
    let diagnostics: BTreeSet<String> = r
        .diagnostics
        .iter()
        .map(|d| format!("{} {:?} {}", d.code, d.severity, d.subject))
        .collect();
    serde_json::json!({
        "status": r.status,
        "tables": r.tables,
        "skipped": r.skipped_tables.iter().map(|t| (t.name.clone(), t.code, t.files.len())).collect::<Vec<_>>(),
        "ignored": r.ignored.iter().map(|i| (i.key.clone(), i.code)).collect::<Vec<_>>(),
        "diagnostics": diagnostics,
    })
}

datatest_stable::harness! {
    { test = roundtrip, root = "../scenarios", pattern = r".*\.toml$" },
}
