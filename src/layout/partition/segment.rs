//! One `key=value` directory segment: parsing, Hive's escaping and unescaping, null values.

use std::fmt;

use crate::error::Error;

/// The directory name Hive, Spark and most writers use for a null partition value.
pub const HIVE_DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// The value of one partition segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartitionValue {
    /// `__HIVE_DEFAULT_PARTITION__` (compared after decoding, so `__HIVE_DEFAULT_PARTITION%5F_`
    /// is null too).
    Null,
    /// The percent-decoded value; may be empty (`k=`), which becomes null once typed.
    Value(String),
    /// The value decoded to bytes that are not UTF-8 (`%FF`): the raw, still-escaped text is
    /// kept so no data is lost, and the segment deserves an `invalid_partition` warning.
    Raw(String),
}

/// A parsed `key=value` directory segment.
///
/// Invariants: `raw` is the segment as listed; `raw` contains `=`; the text before its first
/// `=` is non-empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartitionSegment {
    /// The column name, percent-decoded; when decoding gives bytes that are not UTF-8, the
    /// raw text before the first `=` (and `key_is_raw` is set).
    pub key: String,
    /// The key could not be decoded as UTF-8 and is kept raw: an `invalid_partition` warning.
    pub key_is_raw: bool,
    /// The decoded value.
    pub value: PartitionValue,
    /// The segment exactly as it appeared in the path.
    pub raw: String,
}

impl PartitionSegment {
    /// The `invalid_partition` warning this segment deserves, if any. The segment stays a
    /// partition either way; a warning only says part of it was kept as raw text.
    pub(crate) fn warning(&self) -> Option<InvalidSegment> {
        let in_value = matches!(self.value, PartitionValue::Raw(_));
        (self.key_is_raw || in_value).then(|| InvalidSegment {
            raw: self.raw.clone(),
            reason: InvalidReason::InvalidUtf8 {
                in_key: self.key_is_raw,
                in_value,
            },
        })
    }
}

/// Why a segment earns an `invalid_partition` diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidReason {
    /// `=1`: nothing before the `=`. Not a partition segment (an error for the segment).
    EmptyKey,
    /// `k%FF=1` or `k=%FF`: percent-decoding gave bytes that are not UTF-8. The segment is still
    /// a partition whose key or value keeps its raw text (a warning).
    InvalidUtf8 {
        /// The key kept its raw text.
        in_key: bool,
        /// The value kept its raw text.
        in_value: bool,
    },
}

impl InvalidReason {
    /// Whether the segment is still read as a partition (the diagnostic is a warning).
    pub(crate) fn is_warning(self) -> bool {
        matches!(self, InvalidReason::InvalidUtf8 { .. })
    }
}

/// A segment that earns an `invalid_partition` diagnostic, with the text to show.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InvalidSegment {
    /// The segment exactly as it appeared in the path.
    pub raw: String,
    /// What is wrong with it.
    pub reason: InvalidReason,
}

impl fmt::Display for InvalidSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = &self.raw;
        match self.reason {
            InvalidReason::EmptyKey => {
                write!(
                    f,
                    "`{raw}` has no column name before `=`; it is not read as a partition"
                )
            }
            InvalidReason::InvalidUtf8 { in_key, in_value } => {
                let part = match (in_key, in_value) {
                    (true, true) => "column name and value",
                    (true, false) => "column name",
                    _ => "value",
                };
                write!(
                    f,
                    "the {part} of `{raw}` does not percent-decode to UTF-8; its raw text is kept"
                )
            }
        }
    }
}

/// What one directory segment is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SegmentParse {
    /// A `key=value` partition segment (possibly with a warning: a key or value kept raw).
    Partition(PartitionSegment),
    /// No `=`: a plain directory.
    NotPartition,
    /// Has `=` but cannot be a partition (`=1`).
    Invalid(InvalidSegment),
}

/// Parses one directory segment (the caller has already split the key on `/`).
///
/// Splits on the **first** `=` (`a=b=c` is key `a`, value `b=c`), then percent-decodes key and
/// value separately with [`unescape`]. A leading `_` changes nothing (`_x=1` is a partition;
/// hidden files are the caller's business). Nothing is trimmed or case-folded: a column name
/// is exactly the decoded key.
pub fn parse_segment(segment: &str) -> SegmentParse {
    let Some((raw_key, raw_value)) = segment.split_once('=') else {
        return SegmentParse::NotPartition;
    };
    if raw_key.is_empty() {
        return SegmentParse::Invalid(InvalidSegment {
            raw: segment.to_owned(),
            reason: InvalidReason::EmptyKey,
        });
    }
    // A key never decodes to "" (every escape yields a byte), so the check above suffices.
    let (key, key_is_raw) = match unescape(raw_key) {
        Ok(key) => (key, false),
        Err(_) => (raw_key.to_owned(), true),
    };
    let value = match unescape(raw_value) {
        Ok(v) if v == HIVE_DEFAULT_PARTITION => PartitionValue::Null,
        Ok(v) => PartitionValue::Value(v),
        Err(_) => PartitionValue::Raw(raw_value.to_owned()),
    };
    SegmentParse::Partition(PartitionSegment {
        key,
        key_is_raw,
        value,
        raw: segment.to_owned(),
    })
}

/// Whether Hive escapes this character in a partition key or value.
///
/// The set is Hive's `FileUtils.charToEscape` (apache/hive
/// `common/src/java/org/apache/hadoop/hive/common/FileUtils.java`), which Spark copies into
/// `ExternalCatalogUtils.charToEscape`: the control characters below U+0020, then
/// `"` `#` `%` `'` `*` `/` `:` `=` `?` `\` U+007F `{` `[` `]` `^`. Hive's loop includes U+0000;
/// Spark's list starts at U+0001; we escape U+0000 too, which both decode. Spark adds space,
/// `<`, `>` and `|` only when running on Windows; we follow the non-Windows writers, which is
/// what lands in S3. Non-ASCII characters are never escaped (Hive's bit set has 128 entries).
fn hive_escapes(c: char) -> bool {
    c <= '\u{1F}'
        || matches!(
            c,
            '"' | '#' | '%' | '\'' | '*' | '/' | ':' | '=' | '?' | '\\' | '\u{7F}' | '{' | '[' | ']' | '^'
        )
}

/// Escapes a partition key or value the way Hive and Spark write it: each character of Hive's
/// `FileUtils.escapePathName` list becomes `%XX` (uppercase hex); everything else, including
/// non-ASCII, is kept as is.
///
/// Unlike Hive, an empty string stays empty (Hive writes `__HIVE_DEFAULT_PARTITION__` for it):
/// [`format_segment`] takes the null case explicitly, and `k=` reads back as the empty string.
///
/// ```
/// use s3_connector::layout::partition::escape;
/// assert_eq!(escape("2024-01-01 10:00:00"), "2024-01-01 10%3A00%3A00");
/// assert_eq!(escape("100% a/b"), "100%25 a%2Fb");
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if hive_escapes(c) {
            // Every escaped character is ASCII, so one byte, two hex digits.
            out.push_str(&format!("%{:02X}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Percent-decodes a partition key or value (`docs/partitions.md`, "Parsing one segment").
///
/// - `%XX` with two hex digits (either case) is one **byte**; the bytes are then read as UTF-8,
///   so `caf%C3%A9` is `café` (Spark decodes one character per escape and gets `cafÃ©`).
/// - A `%` not followed by two hex digits (`100%`, `%zz`, `%4`) is kept literally. Hive
///   parses the two characters with `Integer.parseInt(_, 16)`, which also accepts `%+1`; we
///   accept hex digits only.
/// - `+` stays `+` (this is not form encoding).
/// - It decodes once: `%252F` is `%2F`, not `/`.
///
/// Fails with [`Error::NotUtf8`], holding the decoded bytes, when they are not UTF-8.
pub fn unescape(s: &str) -> Result<String, Error> {
    // percent-encoding's decoder has exactly these rules: two hex digits of either case make
    // a byte, any other `%` stays, nothing else changes, and it runs once.
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(s).collect();
    String::from_utf8(bytes).map_err(|e| Error::NotUtf8 { bytes: e.into_bytes() })
}

/// Formats one partition segment: `escape(key)=escape(value)`, or
/// `escape(key)=__HIVE_DEFAULT_PARTITION__` for a null value.
///
/// [`parse_segment`] reads it back exactly for any non-empty key and any value, with one
/// exception shared with Hive: the value `"__HIVE_DEFAULT_PARTITION__"` itself reads back as
/// null, since the name is compared after decoding and no escaping can tell them apart.
pub fn format_segment(key: &str, value: Option<&str>) -> String {
    let value = value.map_or_else(|| HIVE_DEFAULT_PARTITION.to_owned(), escape);
    format!("{}={value}", escape(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::partition::{infer_partition_type, partition_path};
    use crate::schema::DataType;

    fn part(segment: &str) -> PartitionSegment {
        match parse_segment(segment) {
            SegmentParse::Partition(p) => p,
            other => panic!("{segment}: expected a partition, got {other:?}"),
        }
    }

    fn value(s: &str) -> PartitionValue {
        PartitionValue::Value(s.to_owned())
    }

    // | split | on the first `=`; `a=b=c` is key `a`, value `b=c` |
    // DuckDB: not a partition; Polars: hive silently off.
    #[test]
    fn split() {
        let p = part("a=b=c");
        assert_eq!((p.key.as_str(), p.value), ("a", value("b=c")));
        assert_eq!(part("a==").value, value("="));
        assert_eq!(parse_segment("plain"), SegmentParse::NotPartition);
    }

    // | empty key `=1` | not a partition segment: `invalid_partition` |
    // Spark errors; Arrow/Polars make a column named "".
    #[test]
    fn empty_key() {
        let SegmentParse::Invalid(i) = parse_segment("=1") else {
            panic!()
        };
        assert_eq!(i.reason, InvalidReason::EmptyKey);
        assert!(!i.reason.is_warning());
        assert_eq!(i.raw, "=1");
        assert!(matches!(parse_segment("="), SegmentParse::Invalid(_)));
    }

    // | empty value `k=` | empty string (null once typed) |
    // Spark errors.
    #[test]
    fn empty_value() {
        assert_eq!(part("k=").value, value(""));
        assert_eq!(infer_partition_type(&[value(""), value("5")]), DataType::Int64);
    }

    // | escapes | split the key on `/` first, then percent-decode key and value as UTF-8
    // bytes (`%2F` -> `/`, `caf%C3%A9` -> `café`) |
    // Spark decodes one char per escape (`cafÃ©`); DuckDB does not decode keys.
    #[test]
    fn escapes() {
        assert_eq!(part("path=a%2Fb").value, value("a/b"));
        assert_eq!(part("name=caf%C3%A9").value, value("café"));
        assert_eq!(part("name=caf%c3%a9").value, value("café"));
        // Keys are decoded too.
        let p = part("my%20col=1");
        assert_eq!(p.key, "my col");
        // Decision: keys compare after decoding; an escaped `=` belongs to the key.
        let p = part("k%3Dx=1");
        assert_eq!((p.key.as_str(), p.value), ("k=x", value("1")));
        // What Spark writes for a timestamp partition.
        assert_eq!(part("ts=2024-01-01 10%3A00%3A00").value, value("2024-01-01 10:00:00"));
    }

    // | `+` | stays `+` | all agree
    #[test]
    fn plus() {
        assert_eq!(part("q=a+b").value, value("a+b"));
        assert_eq!(unescape("+"), Ok("+".to_owned()));
        assert_eq!(escape("a+b"), "a+b");
    }

    // | malformed `%` (`100%`, `%zz`) | kept literally | all agree
    #[test]
    fn malformed_percent() {
        assert_eq!(part("p=100%").value, value("100%"));
        assert_eq!(part("p=%zz").value, value("%zz"));
        assert_eq!(unescape("%4"), Ok("%4".to_owned()));
        assert_eq!(unescape("%%41"), Ok("%A".to_owned()));
        // Hive's Integer.parseInt would take `%+1` as U+0001; only hex digits decode here.
        assert_eq!(unescape("%+1"), Ok("%+1".to_owned()));
        assert_eq!(unescape("%é1"), Ok("%é1".to_owned()));
    }

    // | invalid UTF-8 after decoding (`%FF`) | keep the raw text, `invalid_partition` warning |
    // Arrow/DuckDB error, Polars turns hive off.
    #[test]
    fn invalid_utf8_after_decoding() {
        assert_eq!(
            unescape("a%FF"),
            Err(Error::NotUtf8 {
                bytes: vec![b'a', 0xFF]
            })
        );
        let p = part("k=a%FF");
        assert_eq!(p.value, PartitionValue::Raw("a%FF".to_owned()));
        let w = p.warning().expect("a warning");
        assert_eq!(
            w.reason,
            InvalidReason::InvalidUtf8 {
                in_key: false,
                in_value: true
            }
        );
        assert!(w.reason.is_warning());
        let p = part("k%C3=1");
        assert_eq!((p.key.as_str(), p.key_is_raw), ("k%C3", true));
        assert!(part("k=1").warning().is_none());
        // The path keeps it as a column and reports it (see also `consistency`).
        let path = partition_path(&["k%FF=%FF", "b=2"]);
        assert_eq!(path.column_names().collect::<Vec<_>>(), ["k%FF", "b"]);
        assert_eq!(path.invalid.len(), 1);
        assert!(path.invalid[0].1.to_string().contains("column name and value"));
    }

    // | `__HIVE_DEFAULT_PARTITION__` | null (compared after decoding) | all agree
    #[test]
    fn hive_default_partition() {
        assert_eq!(part("k=__HIVE_DEFAULT_PARTITION__").value, PartitionValue::Null);
        assert_eq!(part("k=__HIVE_DEFAULT_PARTITION%5F_").value, PartitionValue::Null);
        // Exact spelling only, as Hive compares it.
        assert_eq!(
            part("k=__hive_default_partition__").value,
            value("__hive_default_partition__")
        );
        assert_eq!(format_segment("k", None), "k=__HIVE_DEFAULT_PARTITION__");
        // The one value format_segment cannot round-trip (Hive cannot either).
        assert_eq!(
            part(&format_segment("k", Some(HIVE_DEFAULT_PARTITION))).value,
            PartitionValue::Null
        );
    }

    // | literal `NULL` | the string "NULL" | DuckDB makes it null
    #[test]
    fn literal_null() {
        assert_eq!(part("k=NULL").value, value("NULL"));
        assert_eq!(part("k=null").value, value("null"));
    }

    // | URL-encoded listing (`encoding-type=url`) | decode the S3 key once when listing; the
    // Hive decode is a separate second step | object_store double-encodes
    // This module is the second step only: it decodes exactly once.
    #[test]
    fn url_encoded_listing() {
        assert_eq!(part("p=a%252Fb").value, value("a%2Fb"));
    }

    // Files table: "a `_x=1` partition directory is a partition".
    #[test]
    fn underscore_partition_is_a_partition() {
        let p = part("_x=1");
        assert_eq!((p.key.as_str(), p.value), ("_x", value("1")));
    }

    #[test]
    fn escape_follows_hive_list() {
        for c in "\"#%'*/:=?\\{[]^\u{7f}\u{1}\u{1f}\u{0}\n".chars() {
            let e = escape(&c.to_string());
            assert_eq!(e, format!("%{:02X}", u32::from(c)), "{c:?}");
            assert_eq!(unescape(&e), Ok(c.to_string()));
        }
        // Not escaped: space and Windows-only characters, `+`, `-`, `_`, non-ASCII.
        assert_eq!(escape(" <>|+-_.,;&@!$()é😀"), " <>|+-_.,;&@!$()é😀");
        assert_eq!(format_segment("a/b", Some("x=y")), "a%2Fb=x%3Dy");
        assert_eq!(format_segment("k", Some("")), "k=");
    }
}
