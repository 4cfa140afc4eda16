//! Listings produced by the real tools, read back exactly: the aws CLI's `s3 ls
//! --recursive` and `s3api list-objects-v2` output of worlds served by `s3-harness serve`,
//! and S3 Inventory reports (CSV and Parquet) written in AWS's layout by an independent
//! generator. `fixtures/listings/regenerate.sh` rewrites them all.
//!
//! Each is compared with the same world listed directly through the simulator with
//! aws-sdk-s3, so a fixture that drifts from its scenario fails here too.

use std::path::{Path, PathBuf};

use s3_harness::listing::{ListingError, ListingFormat, Position, read_listing};
use s3_harness::{Simulator, Who};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/listings")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The world's first bucket, listed by its owner: (bucket, [(key, size)]).
async fn served(scenario: &Path) -> (String, Vec<(String, u64)>) {
    let world = s3_harness::scenario::load_scenario(scenario).expect("scenario loads");
    let bucket = world.buckets[0].name.clone();
    let sim = Simulator::from_scenario_file(scenario).await.expect("serves");
    let s3 = sim.client(Who::BucketOwner(&bucket)).expect("owner client");
    let mut pages = s3.list_objects_v2().bucket(&bucket).into_paginator().send();
    let mut objects = Vec::new();
    while let Some(page) = pages.next().await {
        for o in page.expect("lists").contents() {
            let size = u64::try_from(o.size().expect("size")).expect("non-negative");
            objects.push((o.key().expect("key").to_owned(), size));
        }
    }
    assert!(!objects.is_empty(), "{} serves no objects", scenario.display());
    (bucket, objects)
}

fn read(file: &str, bucket: &str, prefix: &str) -> s3_harness::listing::Listing {
    let path = fixtures().join(file);
    read_listing(&path, bucket, prefix).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn pairs(listing: &s3_harness::listing::Listing) -> Vec<(String, u64)> {
    listing.objects.iter().map(|o| (o.key.clone(), o.size)).collect()
}

/// Every pasted form of one world reads back as exactly the objects served, whole and
/// under the connection's prefix.
async fn check_world(scenario: PathBuf, stem: &str, prefix: &str, files: &[(&str, ListingFormat)]) {
    let (bucket, all) = served(&scenario).await;
    let under: Vec<(String, u64)> = all.iter().filter(|(k, _)| k.starts_with(prefix)).cloned().collect();
    assert!(!under.is_empty());
    for (suffix, format) in files {
        let file = format!("{stem}.{suffix}");
        let whole = read(&file, &bucket, "");
        assert_eq!(whole.format, *format, "{file}");
        assert_eq!(pairs(&whole), all, "{file}");
        assert_eq!(whole.outside_prefix, 0, "{file}");

        let captured = read(&file, &bucket, prefix);
        assert_eq!(pairs(&captured), under, "{file} under {prefix}");
        assert_eq!(captured.outside_prefix, all.len() - under.len(), "{file}");
    }
}

const CLI_FORMS: [(&str, ListingFormat); 3] = [
    ("s3-ls.txt", ListingFormat::AwsS3Ls),
    ("list-objects-v2.json", ListingFormat::ListObjectsV2Json),
    ("list-objects-v2.max-items.json", ListingFormat::ListObjectsV2Json),
];

#[tokio::test]
async fn unicode_and_spaces_cli_output() {
    let mut forms = CLI_FORMS.to_vec();
    forms.push(("list-objects-v2.page-size.json", ListingFormat::ListObjectsV2Json));
    check_world(
        repo().join("scenarios/valid/unicode_and_spaces.toml"),
        "unicode_and_spaces",
        "données/",
        &forms,
    )
    .await;
}

#[tokio::test]
async fn large_daily_table_cli_output() {
    check_world(
        repo().join("scenarios/valid/large_daily_table.toml"),
        "large_daily_table",
        "data/",
        &CLI_FORMS,
    )
    .await;
}

#[tokio::test]
async fn awkward_keys_cli_output() {
    let mut forms = CLI_FORMS.to_vec();
    forms.push(("list-objects-v2.page-size.json", ListingFormat::ListObjectsV2Json));
    // `--encoding-type url`: the CLI leaves the keys encoded (`t/x%3D1/y+%281%29.csv`).
    forms.push(("list-objects-v2.encoded.json", ListingFormat::ListObjectsV2Json));
    check_world(fixtures().join("awkward_keys.toml"), "awkward_keys", "t/", &forms).await;
}

#[tokio::test]
async fn awkward_keys_inventory_reports() {
    let (bucket, all) = served(&fixtures().join("awkward_keys.toml")).await;
    for kind in ["csv", "parquet"] {
        let dir = fixtures().join(format!("inventory-{kind}/{bucket}/all-versions/2025-01-02T01-00Z"));
        // The manifest itself, or the folder holding it.
        for path in [dir.join("manifest.json"), dir.clone()] {
            let listing = read_listing(&path, &bucket, "").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(listing.format, ListingFormat::Inventory);
            // Neither the older version nor the key deleted since (a delete marker).
            assert_eq!(pairs(&listing), all, "{}", path.display());
        }
        let under = read_listing(&dir, &bucket, "t/").expect("reads");
        assert_eq!(under.outside_prefix, 1, "{kind}");
        assert!(under.objects.iter().all(|o| o.key.starts_with("t/")));
        let first = &under.objects[0];
        assert!(first.etag.as_deref().is_some_and(|e| e.len() == 32), "{first:?}");
        assert_eq!(first.storage_class.as_deref(), Some("STANDARD"));
        assert!(
            first
                .last_modified
                .as_deref()
                .is_some_and(|t| t.ends_with(".000Z") && t.len() == 24),
            "{first:?}"
        );
    }
}

#[tokio::test]
async fn inventory_of_another_bucket_is_refused() {
    let dir = fixtures().join("inventory-csv/awkward-keys/all-versions/2025-01-02T01-00Z");
    let err = read_listing(&dir, "acme-data", "").expect_err("other bucket");
    assert!(err.to_string().contains("`awkward-keys`, not `acme-data`"), "{err}");
}

#[test]
fn ls_without_recursive_is_refused_at_its_first_folder_line() {
    let path = fixtures().join("awkward_keys.s3-ls.not-recursive.txt");
    match read_listing(&path, "awkward-keys", "t/") {
        Err(ListingError::Invalid { at, what, .. }) => {
            assert_eq!(at, Position::Line(1));
            assert!(what.contains("--recursive"), "{what}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_truncated_paste_of_real_pages_is_refused() {
    // The first two pages of a --max-items listing, without the third.
    let text =
        std::fs::read_to_string(fixtures().join("awkward_keys.list-objects-v2.max-items.json")).expect("fixture");
    let cut = text.rfind("{\n    \"Contents\"").expect("three pages");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pages.json");
    std::fs::write(&path, &text[..cut]).expect("write");
    match read_listing(&path, "awkward-keys", "") {
        Err(ListingError::Invalid { at, what, .. }) => {
            assert_eq!(at, Position::Page(2));
            assert!(what.contains("NextToken"), "{what}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
