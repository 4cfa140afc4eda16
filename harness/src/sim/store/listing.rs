//! S3's listing semantics over an ordered map: prefix, delimiter grouping into common
//! prefixes, a start position, and pages of at most max-keys entries.
//!
//! Behaviour follows
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html> and
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-prefixes.html>: keys
//! come back in UTF-8 byte order; with a delimiter, every key whose remainder after
//! the prefix contains it is rolled up into one common prefix (up to and including the
//! first delimiter), and a common prefix counts once against max-keys.
//!
//! A page is a range scan: it starts at its lower bound and, after a common prefix,
//! jumps past every key that shares it. Its cost grows with the page, not the bucket.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Bound;

use super::key::{ObjKey, prefix_successor};

/// One listing request, already decoded.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    /// Only keys that start with it are listed; empty lists the whole bucket.
    pub prefix: &'a str,
    /// `None` or empty: no grouping.
    pub delimiter: Option<&'a str>,
    /// Inclusive lower bound in key bytes (from start-after, a marker or a token).
    pub from: Option<&'a [u8]>,
    /// Entries (keys plus common prefixes) at most; 0 gives an empty, untruncated page.
    pub max_keys: usize,
}

/// One entry of a page, in listing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry<'a, V> {
    /// A key and what the store holds under it (a key of a virtual key space is made
    /// for the page; a stored one is borrowed).
    Object(Cow<'a, ObjKey>, &'a V),
    /// Keys rolled up by the delimiter: the prefix plus the rest of a key up to and
    /// including the first delimiter after the prefix.
    CommonPrefix(String),
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<'a, V> {
    /// Keys and common prefixes, in listing order: at most the query's max-keys.
    pub entries: Vec<Entry<'a, V>>,
    /// More entries follow this page.
    pub truncated: bool,
    /// Where the next page starts (inclusive), when truncated.
    pub resume_from: Option<Vec<u8>>,
}

impl<V> Page<'_, V> {
    /// The last key or common prefix of the page (ListObjects v1's NextMarker).
    pub fn last_entry_name(&self) -> Option<&str> {
        self.entries.last().map(|e| match e {
            Entry::Object(k, _) => k.as_str(),
            Entry::CommonPrefix(p) => p.as_str(),
        })
    }
}

/// The inclusive lower bound equivalent to "strictly after `key`".
pub fn after(key: &str) -> Vec<u8> {
    let mut v = key.as_bytes().to_vec();
    v.push(0);
    v
}

/// What a listing walks: keys in byte order from a position on, each with its value.
pub trait Source<V> {
    /// Every key at or after `from` (bytes), in order, with its value.
    fn walk(&self, from: &[u8]) -> Box<dyn Iterator<Item = (Cow<'_, ObjKey>, &V)> + '_>;
}

impl<V> Source<V> for BTreeMap<ObjKey, V> {
    fn walk(&self, from: &[u8]) -> Box<dyn Iterator<Item = (Cow<'_, ObjKey>, &V)> + '_> {
        Box::new(
            self.range::<[u8], _>((Bound::Included(from), Bound::Unbounded))
                .map(|(k, v)| (Cow::Borrowed(k), v)),
        )
    }
}

/// Lists one page of `map` as S3 would.
pub fn list<'a, V, S: Source<V> + ?Sized>(map: &'a S, q: ListQuery<'_>) -> Page<'a, V> {
    let prefix = q.prefix.as_bytes();
    let delimiter = q.delimiter.filter(|d| !d.is_empty());
    let mut entries = Vec::new();
    if q.max_keys == 0 {
        return Page {
            entries,
            truncated: false,
            resume_from: None,
        };
    }
    let mut lower: Vec<u8> = match q.from {
        Some(from) if from > prefix => from.to_vec(),
        _ => prefix.to_vec(),
    };
    // One walk through the map from `lower`, seeking again only past a common
    // prefix's group; `previous` is the last key listed since the seek, the page's
    // resume point being just after it.
    'seek: loop {
        // The last key listed since the seek, as its index in `entries`.
        let mut previous: Option<usize> = None;
        for (key, value) in map.walk(&lower) {
            let bytes = key.as_str().as_bytes();
            if !bytes.starts_with(prefix) {
                break;
            }
            if entries.len() == q.max_keys {
                let resume = match previous.and_then(|i| entries.get(i)) {
                    Some(Entry::Object(k, _)) => after(k.as_str()),
                    _ => lower,
                };
                return Page {
                    entries,
                    truncated: true,
                    resume_from: Some(resume),
                };
            }
            let rest = &key.as_str()[prefix.len()..];
            let group = delimiter.and_then(|d| rest.find(d).map(|i| prefix.len() + i + d.len()));
            match group {
                Some(end) => {
                    let common = &key.as_str()[..end];
                    let next = prefix_successor(common.as_bytes());
                    // A common prefix is an entry like a key: it is listed only when it
                    // sorts after the marker. A marker inside a group (or equal to the
                    // group, as ListObjects' NextMarker is) skips the group.
                    if q.from.is_none_or(|from| common.as_bytes() >= from) {
                        entries.push(Entry::CommonPrefix(common.to_owned()));
                    }
                    match next {
                        Some(next) => {
                            lower = next;
                            continue 'seek;
                        }
                        None => break,
                    }
                }
                None => {
                    previous = Some(entries.len());
                    entries.push(Entry::Object(key, value));
                }
            }
        }
        return Page {
            entries,
            truncated: false,
            resume_from: None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn map(keys: &[&str]) -> BTreeMap<ObjKey, ()> {
        keys.iter().map(|k| (ObjKey::parse(k).unwrap(), ())).collect()
    }

    fn names<V>(p: &Page<'_, V>) -> Vec<String> {
        p.entries
            .iter()
            .map(|e| match e {
                Entry::Object(k, _) => k.to_string(),
                Entry::CommonPrefix(c) => format!("{c}*"),
            })
            .collect()
    }

    fn q<'a>(prefix: &'a str, delimiter: Option<&'a str>, from: Option<&'a [u8]>, max_keys: usize) -> ListQuery<'a> {
        ListQuery {
            prefix,
            delimiter,
            from,
            max_keys,
        }
    }

    #[test]
    fn groups_by_delimiter_after_the_prefix() {
        let m = map(&["a", "a/", "a/b", "a//b", "a/c/d", "b/x", "c"]);
        let p = list(&m, q("", Some("/"), None, 1000));
        assert_eq!(names(&p), ["a", "a/*", "b/*", "c"]);
        let p = list(&m, q("a/", Some("/"), None, 1000));
        // `a/` itself is a key under the prefix `a/`; `a//b` rolls up into `a//`.
        assert_eq!(names(&p), ["a/", "a//*", "a/b", "a/c/*"]);
    }

    #[test]
    fn common_prefixes_count_against_max_keys_and_resume() {
        let m = map(&["a/1", "a/2", "b/1", "c", "d/1"]);
        let p1 = list(&m, q("", Some("/"), None, 2));
        assert_eq!(names(&p1), ["a/*", "b/*"]);
        assert!(p1.truncated);
        let p2 = list(&m, q("", Some("/"), p1.resume_from.as_deref(), 2));
        assert_eq!(names(&p2), ["c", "d/*"]);
        assert!(!p2.truncated, "nothing follows the last entry");
    }

    #[test]
    fn exact_page_boundary_is_not_truncated() {
        let m = map(&["a", "b"]);
        let p = list(&m, q("", None, None, 2));
        assert!(!p.truncated);
        assert_eq!(p.resume_from, None);
    }

    #[test]
    fn max_keys_zero_is_empty_and_not_truncated() {
        let m = map(&["a"]);
        let p = list(&m, q("", None, None, 0));
        assert!(p.entries.is_empty() && !p.truncated);
    }

    #[test]
    fn a_marker_inside_or_at_a_common_prefix_skips_it() {
        let m = map(&["a/b", "a/c", "b"]);
        let from = after("a/b");
        assert_eq!(names(&list(&m, q("", Some("/"), Some(&from), 1000))), ["b"]);
        let from = after("a/");
        assert_eq!(names(&list(&m, q("", Some("/"), Some(&from), 1000))), ["b"]);
        let from = after("a");
        assert_eq!(names(&list(&m, q("", Some("/"), Some(&from), 1000))), ["a/*", "b"]);
    }

    #[test]
    fn multi_character_and_unicode_delimiters() {
        let m = map(&["x--y--z", "x--w", "xé1", "xé2é3"]);
        assert_eq!(
            names(&list(&m, q("x", Some("--"), None, 100))),
            ["x--*"].into_iter().chain(["xé1", "xé2é3"]).collect::<Vec<_>>()
        );
        assert_eq!(
            names(&list(&m, q("x", Some("é"), None, 100))),
            ["x--w", "x--y--z", "xé*"]
        );
    }

    /// The reference: filter, group, dedupe, in order, no cleverness.
    fn reference(keys: &[String], prefix: &str, delimiter: Option<&str>) -> Vec<String> {
        let mut sorted: Vec<&String> = keys.iter().collect();
        sorted.sort();
        sorted.dedup();
        let mut out: Vec<String> = Vec::new();
        for k in sorted {
            let Some(rest) = k.strip_prefix(prefix) else { continue };
            let name = match delimiter.and_then(|d| rest.find(d).map(|i| (i, d))) {
                Some((i, d)) => format!("{}*", &k[..prefix.len() + i + d.len()]),
                None => k.clone(),
            };
            if out.last() != Some(&name) {
                out.push(name);
            }
        }
        out
    }

    proptest! {
        /// Paging through with any page size yields exactly the reference listing.
        #[test]
        fn paging_agrees_with_the_reference(
            keys in proptest::collection::vec("[ab/é]{1,6}", 0..40),
            prefix in "[ab/]{0,2}",
            delimiter in proptest::option::of(prop_oneof!["/", "b", "//", "é"]),
            page in 1usize..5,
        ) {
            let m: BTreeMap<ObjKey, ()> = keys.iter().map(|k| (ObjKey::parse(k).unwrap(), ())).collect();
            let mut got = Vec::new();
            let mut from: Option<Vec<u8>> = None;
            for _ in 0..100 {
                let p = list(&m, q(&prefix, delimiter.as_deref(), from.as_deref(), page));
                prop_assert!(p.entries.len() <= page);
                got.extend(names(&p));
                if !p.truncated { break; }
                from = p.resume_from.clone();
            }
            prop_assert_eq!(got, reference(&keys, &prefix, delimiter.as_deref()));
        }
    }
}
