//! `capture --from-listing` over real listings: `aws s3 ls --recursive` output and
//! `aws s3api list-objects-v2` JSON that the aws CLI printed against `serve` for these
//! scenarios, and S3 Inventory reports written in the format AWS documents
//! (`tests/fixtures/listings/`). Running each capture finds the same tables, partitions
//! and files as running the scenario the listing was taken from, every schema unknown.

use std::path::{Path, PathBuf};

use s3_connector::diagnostic::Code;
use s3_harness::capture::{CaptureOptions, capture_listing};
use s3_harness::run::run_scenario;
use s3_harness::scenario::load_scenario;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn listings(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/listings")
        .join(rel)
}

async fn check(scenario: &Path, listing: &Path) {
    let original = load_scenario(scenario).expect("loads");
    let connection = original.connection.clone().expect("has a connection");
    let want = run_scenario("original", &original).await.expect("runs").report;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut options = CaptureOptions::new(&connection.bucket, &connection.schema_prefix, dir.path());
    options.region = Some(connection.region.clone());
    options.format = Some(connection.format);
    options.partitioning = Some(connection.partitioning);
    options.platform = Some((original.platform.account.clone(), original.platform.role.clone()));
    let summary = Box::pin(capture_listing(listing, &options)).await.expect("captures");
    let prefix = connection.schema_prefix.as_bytes();
    let bucket = &original.buckets[0];
    // Large patterns are kept as key spaces, not expanded into `objects`.
    let listed: usize = bucket
        .objects
        .iter()
        .filter(|o| o.key.starts_with(&connection.schema_prefix))
        .count()
        + bucket
            .key_spaces
            .iter()
            .map(|s| s.keys.keys_from(prefix).take_while(|k| k.starts_with(prefix)).count())
            .sum::<usize>();
    assert_eq!(summary.keys, listed, "{}", listing.display());
    let captured = load_scenario(&dir.path().join("scenario.toml")).expect("the capture loads");
    let run = run_scenario("captured", &captured).await.expect("runs");
    assert!(run.expectations.as_ref().is_some_and(|e| e.met()), "its [expect] holds");
    let got = run.report;
    assert_eq!(got.status, want.status, "{}", listing.display());
    let ignored = |r: &s3_connector::connector::ConnectionReport| {
        r.ignored.iter().map(|i| (i.key.clone(), i.code)).collect::<Vec<_>>()
    };
    assert_eq!(ignored(&got), ignored(&want), "{}", listing.display());
    for table in &want.tables {
        let found = got
            .tables
            .iter()
            .find(|t| t.name == table.name)
            .unwrap_or_else(|| panic!("{} missing from the capture of {}", table.name, listing.display()));
        assert_eq!(
            (&found.prefix, &found.partition_columns, found.files, found.bytes),
            (&table.prefix, &table.partition_columns, table.files, table.bytes),
            "{}",
            listing.display()
        );
        assert!(
            got.diagnostics
                .iter()
                .any(|d| d.code == Code::SchemaUnknown && d.subject == table.prefix)
        );
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn aws_s3_ls_recursive_output() {
    runtime().block_on(async {
        check(
            &repo("scenarios/valid/large_daily_table.toml"),
            &listings("large_daily_table.s3-ls.txt"),
        )
        .await;
        check(
            &repo("scenarios/valid/unicode_and_spaces.toml"),
            &listings("unicode_and_spaces.s3-ls.txt"),
        )
        .await;
        check(&listings("awkward_keys.toml"), &listings("awkward_keys.s3-ls.txt")).await;
    });
}

#[test]
fn aws_s3api_list_objects_v2_json() {
    runtime().block_on(async {
        for file in [
            "large_daily_table.list-objects-v2.json",
            "large_daily_table.list-objects-v2.max-items.json",
        ] {
            check(&repo("scenarios/valid/large_daily_table.toml"), &listings(file)).await;
        }
        for file in [
            "unicode_and_spaces.list-objects-v2.json",
            "unicode_and_spaces.list-objects-v2.page-size.json",
        ] {
            check(&repo("scenarios/valid/unicode_and_spaces.toml"), &listings(file)).await;
        }
        for file in [
            "awkward_keys.list-objects-v2.json",
            "awkward_keys.list-objects-v2.encoded.json",
            "awkward_keys.list-objects-v2.max-items.json",
        ] {
            check(&listings("awkward_keys.toml"), &listings(file)).await;
        }
    });
}

#[test]
fn s3_inventory_reports_in_csv_and_parquet() {
    runtime().block_on(async {
        for kind in ["csv", "parquet"] {
            let manifest = listings(&format!(
                "inventory-{kind}/awkward-keys/all-versions/2025-01-02T01-00Z/manifest.json"
            ));
            check(&listings("awkward_keys.toml"), &manifest).await;
        }
    });
}
