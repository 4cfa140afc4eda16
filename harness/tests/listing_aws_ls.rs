//! `aws s3 ls --recursive` output read by `s3_harness::listing::read_listing`.

mod listing_support;

use std::path::PathBuf;

use listing_support::{aws_ls, normalized, object};
use proptest::prelude::*;
use s3_harness::listing::{ListedObject, ListingError, ListingFormat, Position, read_listing};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write the listing");
    path
}

fn read_text(text: &str, prefix: &str) -> Result<s3_harness::listing::Listing, ListingError> {
    let dir = tempfile::tempdir().expect("tempdir");
    // The name says JSON on purpose: the format comes from the content.
    let path = write(&dir, "listing.json", text);
    read_listing(&path, "b", prefix)
}

fn invalid_at(err: ListingError) -> (Position, String) {
    match err {
        ListingError::Invalid { at, what, .. } => (at, what),
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn keys_with_spaces_and_wide_sizes_are_exact() {
    let text = "2025-01-02 03:04:05          7 data/a b.csv\n\
                2025-01-02 03:04:05 12345678901 data/big.parquet\n\
                2025-01-02 03:04:05          0  leading space\n\
                2025-01-02 03:04:05          3 data/trailing \n";
    let listing = read_text(text, "").expect("reads");
    assert_eq!(listing.format, ListingFormat::AwsS3Ls);
    let got: Vec<(&str, u64)> = listing.objects.iter().map(|o| (o.key.as_str(), o.size)).collect();
    assert_eq!(
        got,
        vec![
            (" leading space", 0),
            ("data/a b.csv", 7),
            ("data/big.parquet", 12_345_678_901),
            ("data/trailing ", 3),
        ]
    );
    assert_eq!(listing.objects[0].last_modified.as_deref(), Some("2025-01-02 03:04:05"));
}

#[test]
fn keys_outside_the_prefix_are_dropped_and_counted() {
    let text = aws_ls(
        &[object("data/t/a.csv", 1), object("other/x", 2), object("data2", 3)],
        false,
    );
    let listing = read_text(&text, "data/").expect("reads");
    assert_eq!(listing.objects, vec![object("data/t/a.csv", 1)]);
    assert_eq!(listing.outside_prefix, 2);
}

#[test]
fn relative_names_under_a_prefix_are_refused() {
    // `aws s3 ls s3://b/data/` (no --recursive) prints `a.csv`, not `data/a.csv`.
    let text = aws_ls(&[object("a.csv", 1), object("b.csv", 2)], false);
    let (at, what) = invalid_at(read_text(&text, "data/").expect_err("relative names"));
    assert_eq!(at, Position::File);
    assert!(what.contains("--recursive"), "{what}");
}

#[test]
fn summary_is_checked_against_the_lines() {
    let objects = [object("k/a", 10), object("k/b", 20)];
    let full = aws_ls(&objects, true);
    assert_eq!(read_text(&full, "").expect("reads").objects.len(), 2);

    // A paste that lost a line no longer adds up.
    let cut: String = full
        .lines()
        .filter(|l| !l.ends_with("k/b"))
        .map(|l| format!("{l}\n"))
        .collect();
    let (at, what) = invalid_at(read_text(&cut, "").expect_err("incomplete"));
    assert_eq!(at, Position::Line(3));
    assert!(what.contains("incomplete"), "{what}");
}

#[test]
fn summary_size_is_checked() {
    let text = "2025-01-01 00:00:00         10 k/a\n\nTotal Objects: 1\n   Total Size: 11\n";
    let (at, what) = invalid_at(read_text(text, "").expect_err("sizes disagree"));
    assert_eq!(at, Position::Line(4));
    assert!(what.contains("11 bytes"), "{what}");
}

#[test]
fn folder_lines_mean_not_recursive() {
    let text = "                           PRE date=2025-01-01/\n\
                2025-01-01 00:00:00         10 _SUCCESS\n";
    let (at, what) = invalid_at(read_text(text, "").expect_err("PRE"));
    assert_eq!(at, Position::Line(1));
    assert!(what.contains("--recursive"), "{what}");
}

#[test]
fn human_readable_sizes_are_refused() {
    let text = "2025-01-01 00:00:00    1.5 KiB t/a.csv\n2025-01-01 00:00:00   10 Bytes t/b.csv\n";
    let (at, what) = invalid_at(read_text(text, "").expect_err("human readable"));
    assert_eq!(at, Position::File);
    assert!(what.contains("--human-readable"), "{what}");

    // All objects under 1 KiB: every size is `N Bytes` (or `1 Byte`).
    let small = "2025-01-01 00:00:00    1 Byte t/a.csv\n2025-01-01 00:00:00   10 Bytes t/b.csv\n";
    let (_, what) = invalid_at(read_text(small, "").expect_err("human readable"));
    assert!(what.contains("--human-readable"), "{what}");

    // Only the summary shows it.
    let summary = "2025-01-01 00:00:00   10 Bytes t/b.csv\n\nTotal Objects: 1\n   Total Size: 10 Bytes\n";
    let (_, what) = invalid_at(read_text(summary, "").expect_err("human readable"));
    assert!(what.contains("--human-readable"), "{what}");
}

#[test]
fn one_key_named_bytes_is_not_human_readable() {
    let text = "2025-01-01 00:00:00         10 Bytes of a file\n2025-01-01 00:00:00         10 t/b.csv\n";
    let listing = read_text(text, "").expect("reads");
    assert_eq!(listing.objects[0].key, "Bytes of a file");
}

#[test]
fn a_key_broken_by_a_newline_is_reported_at_its_line() {
    let text = "2025-01-01 00:00:00         10 t/a\n2025-01-01 00:00:00         10 t/first\nsecond half\n";
    let (at, what) = invalid_at(read_text(text, "").expect_err("broken key"));
    assert_eq!(at, Position::Line(3));
    assert!(what.contains("list-objects-v2"), "{what}");
}

#[test]
fn bucket_list_is_refused() {
    let text = "2025-01-01 00:00:00 acme-data\n2025-01-01 00:00:00 acme-logs\n";
    let (at, what) = invalid_at(read_text(text, "").expect_err("bucket list"));
    assert_eq!(at, Position::Line(1));
    assert!(what.contains("bucket list"), "{what}");
}

#[test]
fn text_output_of_s3api_is_refused() {
    let text = "CONTENTS\t\"etag\"\tt/a.csv\t2025-01-01T00:00:00+00:00\t10\tSTANDARD\n";
    let (at, _) = invalid_at(read_text(text, "").expect_err("text output"));
    assert_eq!(at, Position::Line(1));
    let (_, what) = invalid_at(read_text(text, "").expect_err("text output"));
    assert!(what.contains("--output json"), "{what}");
}

#[test]
fn yaml_and_table_output_of_s3api_are_refused() {
    for text in [
        "Contents:\n- ETag: '\"abc\"'\n  Key: t/a.csv\n",
        "-------------------\n|  ListObjectsV2  |\n+-----------------+\n",
    ] {
        let (at, what) = invalid_at(read_text(text, "").expect_err("not exact"));
        assert_eq!(at, Position::Line(1));
        assert!(what.contains("--output json"), "{what}");
    }
}

#[test]
fn gzipped_and_utf16_listings_are_read() {
    use std::io::Write;
    let objects = [object("t/a é.csv", 10), object("t/b.csv", 20)];
    let text = aws_ls(&objects, true);
    let dir = tempfile::tempdir().expect("tempdir");

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).expect("gzip");
    let gz_path = dir.path().join("listing");
    std::fs::write(&gz_path, gz.finish().expect("gzip")).expect("write");
    assert_eq!(read_listing(&gz_path, "b", "t/").expect("reads").objects, objects);

    // PowerShell's `>`: UTF-16LE with a byte order mark, CRLF line ends.
    let mut utf16 = vec![0xff, 0xfe];
    for unit in text.replace('\n', "\r\n").encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let ps_path = dir.path().join("listing.txt");
    std::fs::write(&ps_path, utf16).expect("write");
    assert_eq!(read_listing(&ps_path, "b", "t/").expect("reads").objects, objects);
}

#[test]
fn windows_line_endings_are_not_part_of_keys() {
    let text = "2025-01-01 00:00:00         10 t/a.csv\r\n2025-01-01 00:00:00         20 t/b c.csv\r\n";
    let listing = read_text(text, "t/").expect("reads");
    assert_eq!(listing.objects, vec![object("t/a.csv", 10), object("t/b c.csv", 20)]);
}

#[test]
fn duplicates_agree_or_are_refused() {
    let twice = aws_ls(&[object("t/a", 1), object("t/a", 1)], false);
    assert_eq!(read_text(&twice, "").expect("reads").objects, vec![object("t/a", 1)]);

    let conflicting = aws_ls(&[object("t/a", 1), object("t/a", 2)], false);
    let (_, what) = invalid_at(read_text(&conflicting, "").expect_err("conflict"));
    assert!(what.contains("different sizes"), "{what}");
}

#[test]
fn empty_listing_is_empty() {
    let listing = read_text("", "t/").expect("reads");
    assert_eq!(listing.objects, Vec::<ListedObject>::new());
    assert_eq!(listing.outside_prefix, 0);
}

#[test]
fn not_utf8_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("l.txt");
    std::fs::write(&path, b"2025-01-01 00:00:00         10 t/a\n\xff\xfe").expect("write");
    let (at, what) = invalid_at(read_listing(&path, "b", "").expect_err("not utf-8"));
    assert_eq!(at, Position::Line(2));
    assert!(what.contains("UTF-8"), "{what}");
}

proptest! {
    #[test]
    fn aws_ls_round_trips(
        entries in proptest::collection::vec((listing_support::key(&['\t', '日'], 1..24), 0u64..=u64::MAX / 1024), 0..40),
        summarize: bool,
        under_prefix: bool,
    ) {
        let prefix = if under_prefix { "p q/" } else { "" };
        let objects: Vec<ListedObject> = entries
            .iter()
            .map(|(k, s)| object(&format!("{prefix}{k}"), *s))
            .collect();
        let objects = normalized(objects);
        // A key starting with `Bytes ` in every line would read as --human-readable.
        prop_assume!(objects.is_empty() || !objects.iter().all(|o| o.key.starts_with("Bytes ")));
        let listing = read_text(&aws_ls(&objects, summarize), prefix).expect("reads");
        prop_assert_eq!(listing.format, ListingFormat::AwsS3Ls);
        prop_assert_eq!(listing.outside_prefix, 0);
        prop_assert_eq!(listing.objects, objects);
    }
}
