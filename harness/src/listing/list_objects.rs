//! `aws s3api list-objects-v2 --bucket BUCKET [--prefix P]` JSON (also the older
//! `list-objects`, whose pages have the same `Contents`).
//!
//! The CLI paginates on its own and prints one merged document; `--max-items` (or
//! `--no-paginate`) prints one page with `NextToken` (or `IsTruncated` and
//! `NextContinuationToken`), and a customer who followed the tokens pastes the pages
//! back to back. A bare array of objects (`--query Contents`) is read too.
//!
//! URL-encoded keys: S3 percent-encodes keys when the request says `encoding-type=url`
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>; the
//! `EncodingType` section there shows `test_file(3).png` as `test_file%283%29.png`).
//! The aws CLI always asks for it and decodes the keys itself, unless the user passed
//! `--encoding-type url`: then the keys stay encoded. Neither case can be told from the
//! fields: a single page (`--no-paginate`) says `"EncodingType": "url"` in both cases,
//! and the CLI's merged or `--max-items` output drops the field in both. So the keys
//! decide, over the whole file: they are decoded when every key is made only of what
//! S3's encoding produces (ASCII letters, digits, `-_.*~/+` and valid `%XX` escapes) and
//! at least one has a `%XX` escape. A key with a space, a non-ASCII character, `=`,
//! brackets or a stray `%` proves the listing was decoded already. Two cases stay
//! ambiguous: a listing whose only mark of encoding would be `+` (a space) is read as
//! not encoded, and one whose keys are all plain ASCII with a literal `%XX` in some is
//! read as encoded.

use std::path::Path;

use serde_json::{Map, Value};

use super::{ListedObject, ListingError, Position};

pub(super) fn parse(path: &Path, text: &str, bucket: &str) -> Result<Vec<ListedObject>, ListingError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut objects = Vec::new();
    let mut pages = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut page_no = 0usize;
    let mut last_truncated: Option<(usize, String)> = None;
    let mut end = 0usize;
    while let Some(next) = pages.next() {
        let before = &text[end..];
        let start = end + (before.len() - before.trim_start().len());
        end = pages.byte_offset();
        let value = next.map_err(|e| {
            let what = if e.is_syntax() || e.is_eof() {
                format!(
                    "not JSON as `aws s3api list-objects-v2` prints it (column {}): {e}; \
                     several pages may follow each other, but nothing else may come between \
                     them",
                    e.column()
                )
            } else {
                e.to_string()
            };
            ListingError::invalid(path, Position::Line(e.line()), what)
        })?;
        page_no += 1;
        let first_line = text[..start].matches('\n').count() + 1;
        match value {
            Value::Object(page) => {
                check_bucket(path, page_no, &page, bucket)?;
                last_truncated = truncation(&page).map(|t| (page_no, t));
                let items = match page.get("Contents") {
                    None | Some(Value::Null) => &[][..],
                    Some(Value::Array(items)) => items.as_slice(),
                    Some(_) => {
                        return Err(ListingError::invalid(
                            path,
                            Position::Line(first_line),
                            format!("page {page_no}: `Contents` is not a list"),
                        ));
                    }
                };
                if items.is_empty() && page.contains_key("Versions") {
                    return Err(ListingError::invalid(
                        path,
                        Position::Line(first_line),
                        "this is `aws s3api list-object-versions` output; list the current \
                         objects with `aws s3api list-objects-v2`",
                    ));
                }
                read_items(path, page_no, items, &mut objects)?;
            }
            Value::Array(items) => {
                last_truncated = None;
                read_items(path, page_no, &items, &mut objects)?;
            }
            _ => {
                return Err(ListingError::invalid(
                    path,
                    Position::Line(first_line),
                    format!(
                        "page {page_no} is neither a list-objects-v2 page (a JSON object with \
                         `Contents`) nor a list of objects"
                    ),
                ));
            }
        }
    }
    if let Some((page, token)) = last_truncated {
        return Err(ListingError::invalid(
            path,
            Position::Page(page),
            format!(
                "the last page says more keys follow ({token}): the listing is incomplete; \
                 paste the following pages too (`--starting-token`) or list without \
                 --max-items / --no-paginate, which lets the CLI fetch every page"
            ),
        ));
    }
    let keys: Vec<&str> = objects.iter().map(|o| o.key.as_str()).collect();
    if still_encoded(&keys) {
        for o in &mut objects {
            o.key = super::url_decode(&o.key).ok_or_else(|| {
                ListingError::invalid(
                    path,
                    Position::File,
                    format!("key `{}` is not valid URL encoding of UTF-8 text", o.key),
                )
            })?;
        }
    }
    Ok(objects)
}

/// What a page says about pages after it, if anything.
fn truncation(page: &Map<String, Value>) -> Option<String> {
    if let Some(token) = page.get("NextToken").and_then(Value::as_str) {
        return Some(format!("NextToken {token}"));
    }
    if page.get("IsTruncated").and_then(Value::as_bool) == Some(true) {
        return Some("IsTruncated true".to_owned());
    }
    None
}

fn check_bucket(path: &Path, page: usize, doc: &Map<String, Value>, bucket: &str) -> Result<(), ListingError> {
    match doc.get("Name").and_then(Value::as_str) {
        Some(name) if name != bucket => Err(ListingError::invalid(
            path,
            Position::Page(page),
            format!("page {page} lists bucket `{name}`, not `{bucket}`"),
        )),
        _ => Ok(()),
    }
}

fn read_items(path: &Path, page: usize, items: &[Value], out: &mut Vec<ListedObject>) -> Result<(), ListingError> {
    for (i, item) in items.iter().enumerate() {
        let at = Position::Item { page, index: i + 1 };
        let bad = |what: String| ListingError::invalid(path, at, what);
        let Value::Object(fields) = item else {
            return Err(bad("an object entry is not a JSON object".to_owned()));
        };
        let key = match fields.get("Key") {
            Some(Value::String(k)) if !k.is_empty() => k.as_str(),
            _ => return Err(bad("the object has no `Key`".to_owned())),
        };
        let key = key.to_owned();
        let size = match fields.get("Size") {
            Some(Value::Number(n)) => n.as_u64(),
            // Some tools print sizes as strings; a digit string is still exact.
            Some(Value::String(s)) => s.parse::<u64>().ok(),
            _ => None,
        }
        .ok_or_else(|| bad(format!("object `{key}` has no byte count in `Size`")))?;
        let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
        out.push(ListedObject {
            key,
            size,
            last_modified: text("LastModified"),
            etag: text("ETag"),
            storage_class: text("StorageClass"),
        });
    }
    Ok(())
}

/// See the module documentation: keys S3 encoded hold nothing its encoding leaves out,
/// and a page without any `%XX` escape reads the same either way except for `+`.
fn still_encoded(keys: &[&str]) -> bool {
    let mut escapes = false;
    for key in keys {
        let b = key.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => {
                    if i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() {
                        escapes = true;
                        i += 3;
                        continue;
                    }
                    return false;
                }
                c if c.is_ascii_alphanumeric() || b"-_.*~/+".contains(&c) => {}
                _ => return false,
            }
            i += 1;
        }
    }
    escapes
}
