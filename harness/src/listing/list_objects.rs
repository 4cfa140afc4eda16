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

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{ListedObject, ListingError, Position};

/// One JSON document of the file: a page, or a bare list of objects. Typed rather than
/// a `serde_json::Value` so a pasted listing of millions of keys holds only the fields
/// read.
enum Doc {
    Page(Page),
    List(Vec<Item>),
    Other,
}

#[derive(Deserialize)]
struct Page {
    #[serde(rename = "Contents", default)]
    contents: Option<Vec<Item>>,
    #[serde(rename = "Name", default)]
    name: Option<String>,
    #[serde(rename = "NextToken", default)]
    next_token: Option<String>,
    #[serde(rename = "IsTruncated", default)]
    is_truncated: Option<bool>,
    #[serde(rename = "Versions", default)]
    versions: Option<IgnoredAny>,
}

/// Every field optional, so a missing one is reported with the object's place rather
/// than as a JSON error.
#[derive(Deserialize)]
struct Item {
    #[serde(rename = "Key", default)]
    key: Option<String>,
    #[serde(rename = "Size", default)]
    size: Option<Size>,
    #[serde(rename = "LastModified", default)]
    last_modified: Option<String>,
    #[serde(rename = "ETag", default)]
    etag: Option<String>,
    #[serde(rename = "StorageClass", default)]
    storage_class: Option<String>,
}

/// Some tools print sizes as strings; a digit string is still exact.
#[derive(Deserialize)]
#[serde(untagged)]
enum Size {
    Number(serde_json::Number),
    Text(String),
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DocVisitor;
        impl<'de> Visitor<'de> for DocVisitor {
            type Value = Doc;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list-objects-v2 page or a list of objects")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Doc, A::Error> {
                Page::deserialize(de::value::MapAccessDeserializer::new(map)).map(Doc::Page)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Doc, A::Error> {
                Vec::<Item>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Doc::List)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Doc, E> {
                Ok(Doc::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Doc, E> {
                Ok(Doc::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Doc, E> {
                Ok(Doc::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Doc, E> {
                Ok(Doc::Other)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Doc, E> {
                Ok(Doc::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Doc, E> {
                Ok(Doc::Other)
            }
        }
        d.deserialize_any(DocVisitor)
    }
}

pub(super) fn parse(path: &Path, text: &str, bucket: &str) -> Result<Vec<ListedObject>, ListingError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut objects = Vec::new();
    let mut docs = serde_json::Deserializer::from_str(text).into_iter::<Doc>();
    let mut page_no = 0usize;
    let mut last_truncated: Option<(usize, String)> = None;
    let mut end = 0usize;
    while let Some(next) = docs.next() {
        let before = &text[end..];
        let start = end + (before.len() - before.trim_start().len());
        end = docs.byte_offset();
        let doc = next.map_err(|e| {
            let what = if e.is_syntax() || e.is_eof() {
                format!(
                    "not JSON as `aws s3api list-objects-v2` prints it (column {}): {e}; \
                     several pages may follow each other, but nothing else may come between \
                     them",
                    e.column()
                )
            } else {
                format!("not a list-objects-v2 page (column {}): {e}", e.column())
            };
            ListingError::invalid(path, Position::Line(e.line()), what)
        })?;
        page_no += 1;
        let first_line = text[..start].matches('\n').count() + 1;
        match doc {
            Doc::Page(page) => {
                if let Some(name) = &page.name
                    && name != bucket
                {
                    return Err(ListingError::invalid(
                        path,
                        Position::Page(page_no),
                        format!("page {page_no} lists bucket `{name}`, not `{bucket}`"),
                    ));
                }
                last_truncated = truncation(&page).map(|t| (page_no, t));
                let items = page.contents.unwrap_or_default();
                if items.is_empty() && page.versions.is_some() {
                    return Err(ListingError::invalid(
                        path,
                        Position::Line(first_line),
                        "this is `aws s3api list-object-versions` output; list the current \
                         objects with `aws s3api list-objects-v2`",
                    ));
                }
                read_items(path, page_no, items, &mut objects)?;
            }
            Doc::List(items) => {
                last_truncated = None;
                read_items(path, page_no, items, &mut objects)?;
            }
            Doc::Other => {
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
fn truncation(page: &Page) -> Option<String> {
    if let Some(token) = &page.next_token {
        return Some(format!("NextToken {token}"));
    }
    (page.is_truncated == Some(true)).then(|| "IsTruncated true".to_owned())
}

fn read_items(path: &Path, page: usize, items: Vec<Item>, out: &mut Vec<ListedObject>) -> Result<(), ListingError> {
    out.reserve(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let at = Position::Item { page, index: i + 1 };
        let key = match item.key {
            Some(k) if !k.is_empty() => k,
            _ => return Err(ListingError::invalid(path, at, "the object has no `Key`")),
        };
        let size = match &item.size {
            Some(Size::Number(n)) => n.as_u64(),
            Some(Size::Text(s)) => s.parse::<u64>().ok(),
            None => None,
        }
        .ok_or_else(|| ListingError::invalid(path, at, format!("object `{key}` has no byte count in `Size`")))?;
        out.push(ListedObject {
            key,
            size,
            last_modified: item.last_modified,
            etag: item.etag,
            storage_class: item.storage_class,
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
