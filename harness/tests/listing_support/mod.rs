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
