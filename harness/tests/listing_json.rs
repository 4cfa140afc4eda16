//! `aws s3api list-objects-v2` JSON read by `s3_harness::listing::read_listing`.

mod listing_support;

use std::path::PathBuf;

use listing_support::{JsonPages, list_objects_v2, normalized, object};
use proptest::prelude::*;
use s3_harness::listing::{Listing, ListingError, ListingFormat, Position, read_listing};

fn read_text(text: &str, bucket: &str, prefix: &str) -> Result<Listing, ListingError> {
    let dir = tempfile::tempdir().expect("tempdir");
    // The name says text on purpose: the format comes from the content.
    let path: PathBuf = dir.path().join("listing.txt");
    std::fs::write(&path, text).expect("write the listing");
    read_listing(&path, bucket, prefix)
}

fn keys(listing: &Listing) -> Vec<&str> {
    listing.objects.iter().map(|o| o.key.as_str()).collect()
}

fn invalid_at(err: ListingError) -> (Position, String) {
    match err {
        ListingError::Invalid { at, what, .. } => (at, what),
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn fields_are_kept() {
    let text = r#"{"Contents": [{"Key": "t/a.csv", "LastModified": "2025-01-01T00:00:00+00:00",
        "ETag": "\"abc\"", "Size": 12, "StorageClass": "GLACIER",
        "Owner": {"ID": "x"}, "ChecksumAlgorithm": ["CRC32"]}]}"#;
    let listing = read_text(text, "b", "").expect("reads");
    assert_eq!(listing.format, ListingFormat::ListObjectsV2Json);
    let o = &listing.objects[0];
    assert_eq!((o.key.as_str(), o.size), ("t/a.csv", 12));
    assert_eq!(o.last_modified.as_deref(), Some("2025-01-01T00:00:00+00:00"));
    assert_eq!(o.etag.as_deref(), Some("\"abc\""));
    assert_eq!(o.storage_class.as_deref(), Some("GLACIER"));
}

#[test]
fn an_empty_prefix_lists_no_contents() {
    // What the CLI prints for a prefix with no objects.
    let listing = read_text(
        "{\n    \"RequestCharged\": null,\n    \"Prefix\": \"t/\"\n}\n",
        "b",
        "t/",
    )
    .expect("reads");
    assert!(listing.objects.is_empty());
}

#[test]
fn query_contents_is_a_bare_list() {
    let text = r#"[{"Key": "t/b", "Size": 2}, {"Key": "t/a", "Size": 1}]"#;
    assert_eq!(keys(&read_text(text, "b", "").expect("reads")), ["t/a", "t/b"]);
}

#[test]
fn keys_with_newlines_survive_json() {
    let text = r#"{"Contents": [{"Key": "t/line\nbreak", "Size": 2}]}"#;
    assert_eq!(keys(&read_text(text, "b", "").expect("reads")), ["t/line\nbreak"]);
}

#[test]
fn raw_pages_of_another_bucket_are_refused() {
    let text = list_objects_v2(&[object("t/a", 1)], "other", 1, JsonPages::Raw, false);
    let (at, what) = invalid_at(read_text(&text, "b", "").expect_err("other bucket"));
    assert_eq!(at, Position::Page(1));
    assert!(what.contains("`other`, not `b`"), "{what}");
}

#[test]
fn a_last_page_that_says_more_follow_is_refused() {
    let objects = [object("t/a", 1), object("t/b", 2), object("t/c", 3)];
    for style in [JsonPages::MaxItems, JsonPages::Raw] {
        let full = list_objects_v2(&objects, "b", 2, style, false);
        assert_eq!(read_text(&full, "b", "").expect("reads").objects.len(), 3);
        let first_page = list_objects_v2(&objects[..2], "b", 2, style, false);
        // Only the first of the two pages: it says more follow.
        let first_of_two: String = {
            let both = list_objects_v2(&objects, "b", 2, style, false);
            let second = both.rfind("\n{").expect("two pages");
            both[..second + 1].to_owned()
        };
        assert_ne!(first_page, first_of_two);
        let (at, what) = invalid_at(read_text(&first_of_two, "b", "").expect_err("truncated"));
        assert_eq!(at, Position::Page(1));
        assert!(what.contains("incomplete"), "{what}");
    }
}

#[test]
fn list_object_versions_output_is_refused() {
    let text = r#"{"Versions": [{"Key": "t/a", "Size": 1, "IsLatest": true}]}"#;
    let (_, what) = invalid_at(read_text(text, "b", "").expect_err("versions"));
    assert!(what.contains("list-objects-v2"), "{what}");
}

#[test]
fn garbage_between_pages_is_reported_at_its_line() {
    let text = "{\"Contents\": [{\"Key\": \"t/a\", \"Size\": 1}]}\n$ aws s3api list-objects-v2\n";
    let (at, _) = invalid_at(read_text(text, "b", "").expect_err("prompt"));
    assert_eq!(at, Position::Line(2));
}

#[test]
fn an_object_without_size_is_reported_with_its_place() {
    let text = r#"{"Contents": [{"Key": "t/a", "Size": 1}]}
{"Contents": [{"Key": "t/b", "Size": 1}, {"Key": "t/c"}]}"#;
    let (at, what) = invalid_at(read_text(text, "b", "").expect_err("no size"));
    assert_eq!(at, Position::Item { page: 2, index: 2 });
    assert!(what.contains("`t/c`"), "{what}");
}

#[test]
fn negative_or_fractional_sizes_are_refused() {
    for size in ["-1", "1.5"] {
        let text = format!(r#"{{"Contents": [{{"Key": "t/a", "Size": {size}}}]}}"#);
        let (_, what) = invalid_at(read_text(&text, "b", "").expect_err("bad size"));
        assert!(what.contains("byte count"), "{what}");
    }
}

/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html (EncodingType):
/// `test_file(3).png` is listed as `test_file%283%29.png` under encoding-type=url.
#[test]
fn url_encoded_keys_are_decoded() {
    let text = r#"{"Contents": [{"Key": "t/test_file%283%29.png", "Size": 1},
        {"Key": "t/a+b/%C3%A9t%C3%A9%2B.csv", "Size": 2}]}"#;
    assert_eq!(
        keys(&read_text(text, "b", "").expect("reads")),
        ["t/a b/été+.csv", "t/test_file(3).png"]
    );
}

#[test]
fn decoded_keys_that_look_encoded_are_kept_when_the_listing_proves_it() {
    // The CLI decoded these (EncodingType still says url): `%41` is a literal key, as
    // the space and the `=` of the other keys show.
    let text = r#"{"Contents": [{"Key": "t/%41.csv", "Size": 1}, {"Key": "t/a b.csv", "Size": 2},
        {"Key": "t/x=1/y.csv", "Size": 3}], "EncodingType": "url"}"#;
    assert_eq!(
        keys(&read_text(text, "b", "").expect("reads")),
        ["t/%41.csv", "t/a b.csv", "t/x=1/y.csv"]
    );
    // A stray `%` is not an escape.
    let stray = r#"{"Contents": [{"Key": "t/100%.csv", "Size": 1}, {"Key": "t/%41", "Size": 1}]}"#;
    assert_eq!(
        keys(&read_text(stray, "b", "").expect("reads")),
        ["t/%41", "t/100%.csv"]
    );
}

#[test]
fn the_two_ambiguous_cases_are_read_as_documented() {
    // Only `+`: read as not encoded (the CLI's default output, where `+` is literal).
    let plus = r#"{"Contents": [{"Key": "t/a+b.csv", "Size": 1}]}"#;
    assert_eq!(keys(&read_text(plus, "b", "").expect("reads")), ["t/a+b.csv"]);
    // Plain ASCII with a `%XX`: read as encoded.
    let escape = r#"{"Contents": [{"Key": "t/%41.csv", "Size": 1}]}"#;
    assert_eq!(keys(&read_text(escape, "b", "").expect("reads")), ["t/A.csv"]);
}

#[test]
fn encoded_keys_that_are_not_utf8_are_refused() {
    let text = r#"{"Contents": [{"Key": "t/%FF.csv", "Size": 1}]}"#;
    let (_, what) = invalid_at(read_text(text, "b", "").expect_err("not utf-8"));
    assert!(what.contains("URL encoding"), "{what}");
}

proptest! {
    #[test]
    fn list_objects_v2_round_trips(
        entries in proptest::collection::vec((listing_support::key(&['\n', '"', '\\'], 1..24), any::<u64>()), 0..30),
        per_page in 1usize..8,
        style in prop_oneof![Just(JsonPages::Merged), Just(JsonPages::MaxItems), Just(JsonPages::Raw)],
        encoded: bool,
    ) {
        // An object whose key shows which form the listing is in (module docs: the
        // keys decide): a space and `é` when decoded, `é` (as %C3%A9) when encoded.
        let anchor = if encoded { "anchor/é" } else { "anchor/a é" };
        let mut objects: Vec<_> = entries.iter().map(|(k, s)| object(&format!("p/{k}"), *s)).collect();
        objects.push(object(anchor, 0));
        let objects: Vec<_> = normalized(objects)
            .into_iter()
            .map(|mut o| { o.last_modified = Some("2025-01-01T00:00:00.000Z".into()); o.etag = Some("\"d41d8cd98f00b204e9800998ecf8427e\"".into()); o.storage_class = Some("STANDARD".into()); o })
            .collect();
        let text = list_objects_v2(&objects, "b", per_page, style, encoded);
        let listing = read_text(&text, "b", "").expect("reads");
        prop_assert_eq!(listing.format, ListingFormat::ListObjectsV2Json);
        prop_assert_eq!(&listing.objects, &objects);

        let under = read_text(&text, "b", "p/").expect("reads");
        prop_assert_eq!(under.outside_prefix, 1);
        prop_assert_eq!(under.objects.len(), objects.len() - 1);
    }
}
