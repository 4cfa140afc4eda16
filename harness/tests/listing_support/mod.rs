//! Renderers that print objects the way each listing tool does, for the round-trip
//! properties of `s3_harness::listing`.
#![allow(dead_code)]

use s3_harness::listing::ListedObject;

/// `aws s3 ls --recursive` prints `DATE TIME SIZE KEY`, the size right-aligned in ten
/// columns (awscli's `ListCommand._display_page`).
pub fn aws_ls(objects: &[ListedObject], summarize: bool) -> String {
    let mut out = String::new();
    for o in objects {
        let when = o.last_modified.as_deref().unwrap_or("2025-01-01 00:00:00");
        out.push_str(&format!("{when} {:>10} {}\n", o.size, o.key));
    }
    if summarize {
        let total: u64 = objects.iter().map(|o| o.size).sum();
        out.push_str(&format!("\nTotal Objects: {}\n   Total Size: {total}\n", objects.len()));
    }
    out
}

pub fn object(key: &str, size: u64) -> ListedObject {
    ListedObject {
        key: key.to_owned(),
        size,
        last_modified: Some("2025-01-01 00:00:00".to_owned()),
        etag: None,
        storage_class: None,
    }
}

/// Sorted by key bytes, one per key: what `read_listing` promises.
pub fn normalized(mut objects: Vec<ListedObject>) -> Vec<ListedObject> {
    objects.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
    objects.dedup_by(|a, b| a.key == b.key);
    objects
}

/// S3's `encoding-type=url` form of a key: letters, digits, `-_.~/` kept, a space as
/// `+`, every other byte as `%XX` (what the simulator and S3 answer).
pub fn url_encode(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// How the aws CLI prints list-objects-v2 pages.
#[derive(Debug, Clone, Copy)]
pub enum JsonPages {
    /// The CLI fetched every page and merged them: one document, no tokens.
    Merged,
    /// `--max-items N` followed by `--starting-token`: pages with `NextToken` but the last.
    MaxItems,
    /// `--no-paginate` with `--continuation-token`: raw pages, `IsTruncated` and
    /// `NextContinuationToken`, `Name` and `EncodingType`.
    Raw,
}

/// list-objects-v2 JSON of `objects` in pages of `per_page`, keys URL-encoded when
/// `encoded` (the user passed `--encoding-type url`).
pub fn list_objects_v2(
    objects: &[ListedObject],
    bucket: &str,
    per_page: usize,
    style: JsonPages,
    encoded: bool,
) -> String {
    use serde_json::{Value, json};
    let item = |o: &ListedObject| {
        json!({
            "Key": if encoded { url_encode(&o.key) } else { o.key.clone() },
            "LastModified": "2025-01-01T00:00:00.000Z",
            "ETag": "\"d41d8cd98f00b204e9800998ecf8427e\"",
            "Size": o.size,
            "StorageClass": "STANDARD",
        })
    };
    let chunks: Vec<&[ListedObject]> = match style {
        JsonPages::Merged => vec![objects],
        _ if objects.is_empty() => vec![objects],
        _ => objects.chunks(per_page.max(1)).collect(),
    };
    let mut out = String::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        let mut page = serde_json::Map::new();
        if matches!(style, JsonPages::Raw) {
            page.insert("IsTruncated".into(), Value::Bool(!last));
        }
        if !chunk.is_empty() {
            page.insert("Contents".into(), Value::Array(chunk.iter().map(item).collect()));
        }
        page.insert("RequestCharged".into(), Value::Null);
        page.insert("Prefix".into(), json!(""));
        match style {
            JsonPages::Raw => {
                page.insert("Name".into(), json!(bucket));
                page.insert("EncodingType".into(), json!("url"));
                if !last {
                    page.insert("NextContinuationToken".into(), json!(format!("tok{i}")));
                }
            }
            JsonPages::MaxItems if !last => {
                page.insert("NextToken".into(), json!(format!("eyJ{i}")));
            }
            _ => {}
        }
        out.push_str(&serde_json::to_string_pretty(&Value::Object(page)).expect("json"));
        out.push('\n');
    }
    out
}

/// Keys for the round-trip properties: lower-case letters, digits and the characters every
/// format must keep exactly (space, `+`, `%`, `/`, `=`, non-ASCII), plus the `extra`
/// ones a format can carry (a tab in `aws s3 ls`, line breaks and quotes in JSON or an
/// Inventory report).
pub fn key(extra: &[char], len: std::ops::Range<usize>) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let mut special = vec![' ', '+', '%', '/', '=', 'é', '😀'];
    special.extend_from_slice(extra);
    proptest::collection::vec(
        prop_oneof![
            proptest::sample::select(special),
            proptest::char::range('a', 'z'),
            proptest::char::range('0', '9'),
        ],
        len,
    )
    .prop_map(|c| c.into_iter().collect())
}
