//! S3 Inventory reports read by `s3_harness::listing::read_listing`: a manifest and its
//! data files, written here in the layout and formats AWS documents
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html).

mod listing_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use listing_support::{normalized, url_encode};
use md5::{Digest, Md5};
use proptest::prelude::*;
use s3_harness::listing::{ListedObject, ListingError, ListingFormat, Position, read_listing};

/// One inventory row: an object version.
#[derive(Clone, Debug)]
struct Row {
    key: String,
    size: Option<u64>,
    latest: bool,
    delete_marker: bool,
}

fn current(key: &str, size: u64) -> Row {
    Row {
        key: key.to_owned(),
        size: Some(size),
        latest: true,
        delete_marker: false,
    }
}

const CSV_SCHEMA: &str = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass";

fn csv_gz(bucket: &str, rows: &[Row]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    for r in rows {
        let size = r.size.map(|s| s.to_string()).unwrap_or_default();
        w.write_record([
            bucket,
            &url_encode(&r.key),
            "v1",
            if r.latest { "true" } else { "false" },
            if r.delete_marker { "true" } else { "false" },
            &size,
            "2025-01-01T00:00:00.000Z",
            "d41d8cd98f00b204e9800998ecf8427e",
            "STANDARD",
        ])
        .expect("csv row");
    }
    let text = w.into_inner().expect("csv");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text).expect("gzip");
    gz.finish().expect("gzip")
}

fn parquet(bucket: &str, rows: &[Row]) -> Vec<u8> {
    let col = |v: Vec<Option<String>>| Arc::new(StringArray::from(v)) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        ("bucket", col(rows.iter().map(|_| Some(bucket.to_owned())).collect())),
        ("key", col(rows.iter().map(|r| Some(r.key.clone())).collect())),
        ("version_id", col(rows.iter().map(|_| Some("v1".to_owned())).collect())),
        (
            "is_latest",
            Arc::new(BooleanArray::from(
                rows.iter().map(|r| Some(r.latest)).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "is_delete_marker",
            Arc::new(BooleanArray::from(
                rows.iter().map(|r| Some(r.delete_marker)).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "size",
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.size.map(|s| s as i64)).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "last_modified_date",
            Arc::new(TimestampMillisecondArray::from(vec![
                Some(1_735_689_600_000i64);
                rows.len()
            ])) as ArrayRef,
        ),
        (
            "e_tag",
            col(rows
                .iter()
                .map(|_| Some("d41d8cd98f00b204e9800998ecf8427e".to_owned()))
                .collect()),
        ),
        (
            "storage_class",
            col(rows.iter().map(|_| Some("STANDARD".to_owned())).collect()),
        ),
    ])
    .expect("batch");
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    out
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Csv,
    Parquet,
}

/// Writes a report of `parts` (one data file each) the way AWS lays it out and returns
/// the manifest's path: `DIR/BUCKET/cfg/2025-01-02T01-00Z/manifest.json`, data in
/// `DIR/BUCKET/cfg/data/`.
fn write_report(dir: &Path, bucket: &str, kind: Kind, parts: &[Vec<Row>]) -> PathBuf {
    let base = dir.join(bucket).join("cfg");
    std::fs::create_dir_all(base.join("data")).expect("mkdir");
    std::fs::create_dir_all(base.join("2025-01-02T01-00Z")).expect("mkdir");
    let mut files = Vec::new();
    for (i, rows) in parts.iter().enumerate() {
        let (name, bytes) = match kind {
            Kind::Csv => (format!("part-{i}.csv.gz"), csv_gz(bucket, rows)),
            Kind::Parquet => (format!("part-{i}.parquet"), parquet(bucket, rows)),
        };
        std::fs::write(base.join("data").join(&name), &bytes).expect("write");
        files.push(serde_json::json!({
            "key": format!("inv/{bucket}/cfg/data/{name}"),
            "size": bytes.len(),
            "MD5checksum": hex::encode(Md5::digest(&bytes)),
        }));
    }
    let manifest = serde_json::json!({
        "sourceBucket": bucket,
        "destinationBucket": "arn:aws:s3:::inventory-dest",
        "version": "2016-11-30",
        "creationTimestamp": "1735779600000",
        "fileFormat": match kind { Kind::Csv => "CSV", Kind::Parquet => "Parquet" },
        "fileSchema": match kind {
            Kind::Csv => CSV_SCHEMA.to_owned(),
            Kind::Parquet => "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional int64 size; }".to_owned(),
        },
        "files": files,
    });
    let path = base.join("2025-01-02T01-00Z/manifest.json");
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).expect("json")).expect("write");
    path
}

fn invalid(err: ListingError) -> (PathBuf, Position, String) {
    match err {
        ListingError::Invalid { path, at, what } => (path, at, what),
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

fn edit_manifest(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    edit(&mut m);
    std::fs::write(path, m.to_string()).expect("write");
}

#[test]
fn only_current_versions_are_listed() {
    for kind in [Kind::Csv, Kind::Parquet] {
        let dir = tempfile::tempdir().expect("tempdir");
        let rows = vec![
            current("t/a b.csv", 5),
            Row {
                latest: false,
                ..current("t/a b.csv", 99)
            },
            Row {
                size: None,
                delete_marker: true,
                ..current("t/gone.csv", 0)
            },
            Row {
                latest: false,
                ..current("t/gone.csv", 7)
            },
        ];
        let manifest = write_report(dir.path(), "b", kind, &[rows]);
        let listing = read_listing(&manifest, "b", "").expect("reads");
        assert_eq!(listing.format, ListingFormat::Inventory);
        let got: Vec<(&str, u64)> = listing.objects.iter().map(|o| (o.key.as_str(), o.size)).collect();
        assert_eq!(got, [("t/a b.csv", 5)], "{kind:?}");
        assert_eq!(
            listing.objects[0].last_modified.as_deref(),
            Some("2025-01-01T00:00:00.000Z")
        );
    }
}

#[test]
fn data_files_are_found_next_to_the_manifest_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = write_report(dir.path(), "b", Kind::Csv, &[vec![current("t/a", 1)]]);
    // A customer who downloaded everything into one folder.
    let flat = dir.path().join("flat");
    std::fs::create_dir(&flat).expect("mkdir");
    std::fs::copy(&manifest, flat.join("manifest.json")).expect("copy");
    std::fs::copy(dir.path().join("b/cfg/data/part-0.csv.gz"), flat.join("part-0.csv.gz")).expect("copy");
    assert_eq!(read_listing(&flat, "b", "").expect("reads").objects.len(), 1);
}

#[test]
fn a_missing_data_file_names_where_it_was_looked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = write_report(dir.path(), "b", Kind::Csv, &[vec![current("t/a", 1)]]);
    std::fs::remove_file(dir.path().join("b/cfg/data/part-0.csv.gz")).expect("rm");
    let (path, _, what) = invalid(read_listing(&manifest, "b", "").expect_err("missing"));
    assert_eq!(path, manifest);
    assert!(what.contains("part-0.csv.gz") && what.contains("looked for"), "{what}");
}

#[test]
fn a_data_file_that_is_not_the_listed_one_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = write_report(dir.path(), "b", Kind::Parquet, &[vec![current("t/a", 1)]]);
    let data = dir.path().join("b/cfg/data/part-0.parquet");
    let mut bytes = std::fs::read(&data).expect("read");
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    std::fs::write(&data, &bytes).expect("write");
    let (path, _, what) = invalid(read_listing(&manifest, "b", "").expect_err("md5"));
    assert_eq!(path, data);
    assert!(what.contains("MD5"), "{what}");

    bytes.truncate(100);
    std::fs::write(&data, &bytes).expect("write");
    let (_, _, what) = invalid(read_listing(&manifest, "b", "").expect_err("size"));
    assert!(what.contains("incomplete"), "{what}");
}

#[test]
fn orc_reports_are_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = write_report(dir.path(), "b", Kind::Csv, &[vec![current("t/a", 1)]]);
    edit_manifest(&manifest, |m| m["fileFormat"] = "ORC".into());
    let (_, at, what) = invalid(read_listing(&manifest, "b", "").expect_err("orc"));
    assert_eq!(at, Position::File);
    assert!(what.contains("ORC") && what.contains("Parquet"), "{what}");
}

#[test]
fn a_csv_schema_without_size_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = write_report(dir.path(), "b", Kind::Csv, &[vec![current("t/a", 1)]]);
    edit_manifest(&manifest, |m| m["fileSchema"] = "Bucket, Key".into());
    let (_, _, what) = invalid(read_listing(&manifest, "b", "").expect_err("no size"));
    assert!(what.contains("Size"), "{what}");
}

#[test]
fn a_row_that_does_not_fit_the_schema_is_reported_with_its_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = write_report(dir.path(), "b", Kind::Csv, &[vec![current("t/a", 1)]]);
    // The schema names one column more than the rows carry.
    edit_manifest(&manifest, |m| {
        m["fileSchema"] = format!("{CSV_SCHEMA}, IsMultipartUploaded").into()
    });
    let (path, at, what) = invalid(read_listing(&manifest, "b", "").expect_err("fields"));
    assert!(path.ends_with("part-0.csv.gz"), "{}", path.display());
    assert_eq!(at, Position::Row(1));
    assert!(what.contains("9 fields") && what.contains("10"), "{what}");
}

#[test]
fn a_csv_file_that_is_not_gzipped_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = write_report(dir.path(), "b", Kind::Csv, &[vec![current("t/a", 1)]]);
    let data = dir.path().join("b/cfg/data/part-0.csv.gz");
    std::fs::write(&data, "\"b\",\"t/a\"\n").expect("write");
    edit_manifest(&manifest, |m| {
        m["files"][0]["size"] = 10.into();
        m["files"][0].as_object_mut().expect("file").remove("MD5checksum");
    });
    let (_, _, what) = invalid(read_listing(&manifest, "b", "").expect_err("not gz"));
    assert!(what.contains("gzip"), "{what}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn inventory_round_trips(
        entries in proptest::collection::vec((listing_support::key(&['\n', '"', ',', '日'], 1..20), 0u64..=i64::MAX as u64), 0..30),
        parts in 1usize..4,
        parquet_format: bool,
    ) {
        let objects: Vec<ListedObject> = normalized(
            entries.iter().map(|(k, s)| listing_support::object(&format!("p/{k}"), *s)).collect(),
        );
        let mut rows: Vec<Row> = objects.iter().map(|o| current(&o.key, o.size)).collect();
        rows.push(current("elsewhere/x", 1));
        let per = rows.len().div_ceil(parts);
        let split: Vec<Vec<Row>> = rows.chunks(per).map(<[Row]>::to_vec).collect();
        let kind = if parquet_format { Kind::Parquet } else { Kind::Csv };
        let dir = tempfile::tempdir().expect("tempdir");
        let manifest = write_report(dir.path(), "b", kind, &split);
        let listing = read_listing(&manifest, "b", "p/").expect("reads");
        let got: Vec<(String, u64)> = listing.objects.iter().map(|o| (o.key.clone(), o.size)).collect();
        let want: Vec<(String, u64)> = objects.iter().map(|o| (o.key.clone(), o.size)).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(listing.outside_prefix, 1);
    }
}
