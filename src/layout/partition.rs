//! Hive partition directories: parsing `key=value` segments, Hive's escaping, partition
//! typing, and whether one table's partition directories agree. Pure: no I/O.
//!
//! Every edge case follows `PARTITIONS.md` ("Parsing one segment", "One table's partition
//! directories"); where it is silent, the decision is documented on the item that takes it.
//!
//! ```
//! use s3_connector::layout::partition::{PartitionValue, SegmentParse, format_segment, parse_segment};
//!
//! let segment = format_segment("city", Some("São Paulo/SP"));
//! assert_eq!(segment, "city=São Paulo%2FSP");
//! let SegmentParse::Partition(p) = parse_segment(&segment) else { panic!() };
//! assert_eq!((p.key.as_str(), p.value), ("city", PartitionValue::Value("São Paulo/SP".into())));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::schema::DataType;
use crate::schema::data_type::parse_iso_date;

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

impl PartitionValue {
    /// The text of a non-null value (decoded, or raw for [`PartitionValue::Raw`]).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PartitionValue::Null => None,
            PartitionValue::Value(s) | PartitionValue::Raw(s) => Some(s),
        }
    }
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
    pub fn warning(&self) -> Option<InvalidSegment> {
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
    pub fn is_warning(self) -> bool {
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
    /// A `key=value` partition segment (possibly with a warning: [`PartitionSegment::warning`]).
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

/// Percent-decodes a partition key or value as `PARTITIONS.md` says.
///
/// - `%XX` with two hex digits (either case) is one **byte**; the bytes are then read as UTF-8,
///   so `caf%C3%A9` is `café` (Spark decodes one character per escape and gets `cafÃ©`).
/// - A `%` not followed by two hex digits (`100%`, `%zz`, `%4`) is kept literally. Hive
///   parses the two characters with `Integer.parseInt(_, 16)`, which also accepts `%+1`; we
///   accept hex digits only.
/// - `+` stays `+` (this is not form encoding).
/// - It decodes once: `%252F` is `%2F`, not `/`.
///
/// Returns `Err` with the decoded bytes when they are not UTF-8.
pub fn unescape(s: &str) -> Result<String, Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex_digit),
                bytes.get(i + 2).copied().and_then(hex_digit),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|e| e.into_bytes())
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
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

/// The partition structure of one data file's directory path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathPartitions {
    /// The partition segments, in path order (including those with a warning).
    pub columns: Vec<PartitionSegment>,
    /// Plain directories (no `=`), with their position among the segments.
    pub plain: Vec<(usize, String)>,
    /// Every segment that deserves an `invalid_partition` diagnostic, with its position:
    /// errors (not partitions, so absent from `columns`) and warnings (also in `columns`);
    /// [`InvalidReason::is_warning`] tells them apart.
    pub invalid: Vec<(usize, InvalidSegment)>,
}

impl PathPartitions {
    /// The column names, in path order.
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.key.as_str())
    }

    /// The outermost level that is not a partition: a plain directory or an invalid segment.
    fn first_non_partition_level(&self) -> Option<&str> {
        let plain = self.plain.iter().map(|(pos, d)| (*pos, d.as_str()));
        let invalid = self
            .invalid
            .iter()
            .filter(|(_, s)| !s.reason.is_warning())
            .map(|(pos, s)| (*pos, s.raw.as_str()));
        plain.chain(invalid).min().map(|(_, level)| level)
    }
}

/// Parses the directory segments between the table directory and a data file's name.
///
/// The caller passes only segments *below* the table directory, so a `k=v` in the schema
/// prefix or the table directory's own name is never a partition column (DuckDB and Polars
/// leak them).
pub fn partition_path(segments: &[&str]) -> PathPartitions {
    let mut out = PathPartitions::default();
    for (position, segment) in segments.iter().enumerate() {
        match parse_segment(segment) {
            SegmentParse::Partition(p) => {
                if let Some(w) = p.warning() {
                    out.invalid.push((position, w));
                }
                out.columns.push(p);
            }
            SegmentParse::NotPartition => out.plain.push((position, (*segment).to_owned())),
            SegmentParse::Invalid(i) => out.invalid.push((position, i)),
        }
    }
    out
}

/// Infers one partition column's type from **all** its values in the table (not a sample).
///
/// The rule behind every case: a type is chosen only if each value is the exact text that
/// type would print back, so typing never changes what the directory said.
///
/// - `int64`: a canonical decimal `i64`: `0`, `42`, `-5`. Not `007` (zip codes), `+5`, `-0`,
///   ` 5`, or anything out of range.
/// - `date`: strict ISO `YYYY-MM-DD`, a real Gregorian calendar date, year 0001-9999
///   (`2024-02-29` yes; `2023-02-29`, `2024-1-5`, `2024-01-05T00:00` no).
/// - `string`: anything else, any mix of the two (`2024` and `2024-01-01`), or no typed
///   value at all.
///
/// Nulls are ignored, and so are empty values (`k=`), which become null once typed.
/// Raw values (not UTF-8) are strings. Booleans and floats are not inferred: `PARTITIONS.md`
/// names neither, and float text rarely survives a round trip (`1.10`).
pub fn infer_partition_type<'a>(values: impl IntoIterator<Item = &'a PartitionValue>) -> DataType {
    let mut seen: Option<DataType> = None;
    for value in values {
        let ty = match value {
            PartitionValue::Null => continue,
            PartitionValue::Value(s) if s.is_empty() => continue,
            PartitionValue::Value(s) if is_canonical_i64(s) => DataType::Int64,
            PartitionValue::Value(s) if parse_iso_date(s).is_some() => DataType::Date,
            PartitionValue::Value(_) | PartitionValue::Raw(_) => return DataType::String,
        };
        match &seen {
            Some(prev) if *prev != ty => return DataType::String,
            _ => seen = Some(ty),
        }
    }
    seen.unwrap_or(DataType::String)
}

fn is_canonical_i64(s: &str) -> bool {
    // `i64::from_str` accepts `+5` and `-0`; printing back rejects them and leading zeros.
    s.parse::<i64>().is_ok_and(|n| n.to_string() == s)
}

/// What kind of disagreement made a table's partitioning a mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MismatchKind {
    /// The same column at two levels of one path (`k=1/k=2`).
    DuplicateKey,
    /// Two column names that differ only by case (`Region` / `region`), in one path or across
    /// the table.
    CaseConflict,
    /// A plain (or invalid) directory among, above or below partition levels (`a=1/x/b=2`,
    /// `a=1/x`), or beside partition directories (`x/` next to `a=1/`).
    PlainDirectory,
    /// Data files in the table root next to partition directories.
    RootFiles,
    /// Different column sets, depths or orders across directories.
    DifferentColumns,
}

/// The partitioning of one table, decided over all its data files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TablePartitioning {
    /// No data file sits under a partition directory (files in the root or in plain
    /// directories only).
    Unpartitioned,
    /// Every data file sits under the same partition columns, in this order.
    Partitioned {
        /// The column names (decoded), outermost first.
        columns: Vec<String>,
    },
    /// The directories disagree: `partition_mismatch`, the table is not imported.
    Mismatch {
        /// Which disagreement (the first found, in the order of [`MismatchKind`]'s checks).
        kind: MismatchKind,
        /// A message naming the disagreement.
        message: String,
        /// One or two example files (the names the caller passed), sorted; one when a
        /// single path is inconsistent by itself.
        examples: Vec<String>,
    },
}

/// Decides a table's partition columns from every data file's directory segments below the
/// table directory (`name` is the file key or relative path used in messages).
///
/// Checks, in this order, and reports the first that fails:
/// 1. each path alone: a column at two levels ([`MismatchKind::DuplicateKey`]), two columns
///    differing only by case ([`MismatchKind::CaseConflict`]), a plain or invalid directory
///    anywhere in a path that has partition levels ([`MismatchKind::PlainDirectory`]);
/// 2. column names across the table that differ only by case ([`MismatchKind::CaseConflict`]);
/// 3. data files directly in the table root beside partitioned files ([`MismatchKind::RootFiles`]);
/// 4. files in plain directories beside partitioned files ([`MismatchKind::PlainDirectory`]);
/// 5. different column lists ([`MismatchKind::DifferentColumns`]).
///
/// Keys compare after decoding (`%41=1` and `A=2` are the same column), as exact strings (no
/// Unicode normalisation); case conflicts compare Unicode lowercase. Files are grouped by
/// directory in sorted maps and every example is the least name of its kind, so the result
/// never depends on listing order.
pub fn table_partitions(files: &[(String, Vec<String>)]) -> TablePartitioning {
    // Group the files by directory and parse each directory once: a table holds far more
    // files than directories. BTreeMaps and sorted name lists make every "first" below
    // independent of the input order.
    let mut by_dir: BTreeMap<&[String], BTreeSet<&str>> = BTreeMap::new();
    for (name, segments) in files {
        by_dir.entry(segments.as_slice()).or_default().insert(name.as_str());
    }
    let dirs: Vec<Dir<'_>> = by_dir
        .into_iter()
        .map(|(segments, names)| {
            let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
            let names: Vec<&str> = names.into_iter().collect();
            let is_root = segments.is_empty();
            Dir {
                names,
                is_root,
                path: partition_path(&segments),
            }
        })
        .collect();

    // 1. Each path by itself.
    for dir in &dirs {
        if let Some((kind, message)) = path_problem(&dir.path) {
            return mismatch(kind, message, [dir.example(), dir.example()]);
        }
    }

    // 2. Case conflicts across the table: lowercase name -> spelling -> first file using it.
    let mut spellings: BTreeMap<String, BTreeMap<&str, &str>> = BTreeMap::new();
    for dir in &dirs {
        for key in dir.path.column_names() {
            let first = spellings
                .entry(key.to_lowercase())
                .or_default()
                .entry(key)
                .or_insert(dir.example());
            *first = (*first).min(dir.example());
        }
    }
    if let Some(variants) = spellings.values().find(|v| v.len() > 1) {
        let mut it = variants.iter();
        if let (Some((a, fa)), Some((b, fb))) = (it.next(), it.next()) {
            let message = format!("partition columns `{a}` and `{b}` differ only by case");
            return mismatch(MismatchKind::CaseConflict, message, [fa, fb]);
        }
    }

    let Some(partitioned) = dirs
        .iter()
        .filter(|d| !d.path.columns.is_empty())
        .map(Dir::example)
        .min()
    else {
        return TablePartitioning::Unpartitioned;
    };

    // 3. Files in the root beside partition directories: name them (up to a few).
    if let Some(root) = dirs.iter().find(|d| d.is_root) {
        let message = format!(
            "{} data file(s) in the table root beside partition directories: {}",
            root.names.len(),
            list_some(&root.names)
        );
        return mismatch(MismatchKind::RootFiles, message, [root.example(), partitioned]);
    }

    // 4. Files in plain directories beside partition directories (step 1 covered plain
    // directories inside partitioned paths, so these paths have no partition level).
    if let Some(dir) = dirs.iter().find(|d| d.path.columns.is_empty()) {
        let plain = dir.path.first_non_partition_level().unwrap_or_default();
        let message =
            format!("directory `{plain}` is not a `column=value` partition but sits beside partition directories");
        return mismatch(MismatchKind::PlainDirectory, message, [dir.example(), partitioned]);
    }

    // 5. The column lists, grouped; the most common layout first.
    let mut layouts: BTreeMap<Vec<&str>, (usize, &str)> = BTreeMap::new();
    for dir in &dirs {
        let (count, example) = layouts
            .entry(dir.path.column_names().collect())
            .or_insert((0, dir.example()));
        *count += dir.names.len();
        *example = (*example).min(dir.example());
    }
    let mut layouts: Vec<(Vec<&str>, (usize, &str))> = layouts.into_iter().collect();
    // Stable sort: equal counts keep the layouts' own order.
    layouts.sort_by_key(|(_, (count, _))| std::cmp::Reverse(*count));
    match layouts.as_slice() {
        [] => TablePartitioning::Unpartitioned,
        [(columns, _)] => TablePartitioning::Partitioned {
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        },
        [(_, (_, a)), (_, (_, b)), ..] => {
            let described: Vec<String> = layouts
                .iter()
                .take(MAX_LISTED)
                .map(|(cols, (count, example))| format!("[{}] in {count} file(s), e.g. {example}", cols.join(", ")))
                .collect();
            let more = match layouts.len().saturating_sub(MAX_LISTED) {
                0 => String::new(),
                more => format!("; and {more} more"),
            };
            let message = format!(
                "partition columns differ across directories: {}{more}",
                described.join("; ")
            );
            mismatch(MismatchKind::DifferentColumns, message, [a, b])
        }
    }
}

/// The data files of one directory below the table, and what its path says.
struct Dir<'a> {
    /// File names, sorted, deduplicated, never empty.
    names: Vec<&'a str>,
    /// The files sit directly in the table directory.
    is_root: bool,
    path: PathPartitions,
}

impl<'a> Dir<'a> {
    /// The directory's first file by name, used as its example.
    fn example(&self) -> &'a str {
        self.names.first().copied().unwrap_or_default()
    }
}

/// How many items a message lists before saying "and N more".
const MAX_LISTED: usize = 5;

fn list_some(names: &[&str]) -> String {
    let shown: Vec<&str> = names.iter().take(MAX_LISTED).copied().collect();
    match names.len().saturating_sub(MAX_LISTED) {
        0 => shown.join(", "),
        more => format!("{}, and {more} more", shown.join(", ")),
    }
}

fn mismatch(kind: MismatchKind, message: String, examples: [&str; 2]) -> TablePartitioning {
    let mut examples: Vec<String> = examples.iter().map(|e| (*e).to_owned()).collect();
    examples.sort();
    examples.dedup();
    TablePartitioning::Mismatch {
        kind,
        message,
        examples,
    }
}

/// The first inconsistency of one path by itself, scanning its levels outermost first.
fn path_problem(path: &PathPartitions) -> Option<(MismatchKind, String)> {
    let mut seen: Vec<&str> = Vec::new();
    for key in path.column_names() {
        if seen.contains(&key) {
            return Some((
                MismatchKind::DuplicateKey,
                format!("partition column `{key}` appears at two levels"),
            ));
        }
        if let Some(other) = seen.iter().find(|s| s.to_lowercase() == key.to_lowercase()) {
            return Some((
                MismatchKind::CaseConflict,
                format!("partition columns `{other}` and `{key}` differ only by case"),
            ));
        }
        seen.push(key);
    }
    if !path.columns.is_empty()
        && let Some(dir) = path.first_non_partition_level()
    {
        return Some((
            MismatchKind::PlainDirectory,
            format!("directory `{dir}` is not a `column=value` partition but sits among partition directories"),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(segment: &str) -> PartitionSegment {
        match parse_segment(segment) {
            SegmentParse::Partition(p) => p,
            other => panic!("{segment}: expected a partition, got {other:?}"),
        }
    }

    fn value(s: &str) -> PartitionValue {
        PartitionValue::Value(s.to_owned())
    }

    /// Files as `"dir/dir/file"` paths relative to the table directory.
    fn table(paths: &[&str]) -> TablePartitioning {
        let files: Vec<(String, Vec<String>)> = paths
            .iter()
            .map(|p| {
                let mut segs: Vec<String> = p.split('/').map(str::to_owned).collect();
                segs.pop();
                ((*p).to_owned(), segs)
            })
            .collect();
        table_partitions(&files)
    }

    fn kind(t: &TablePartitioning) -> Option<MismatchKind> {
        match t {
            TablePartitioning::Mismatch { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    fn types(values: &[Option<&str>]) -> String {
        let values: Vec<PartitionValue> = values.iter().map(|v| v.map_or(PartitionValue::Null, value)).collect();
        infer_partition_type(&values).to_string()
    }

    // ---- Parsing one segment ----

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
        assert_eq!(types(&[Some(""), Some("5")]), "int64");
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
        assert_eq!(unescape("a%FF"), Err(vec![b'a', 0xFF]));
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
        // The path keeps it as a column and reports it.
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

    // ---- One table's partition directories ----

    // | the same key at two levels (`k=1/k=2`) | table invalid: `partition_mismatch` |
    #[test]
    fn same_key_at_two_levels() {
        let t = table(&["k=1/k=2/f.csv", "k=1/k=3/g.csv"]);
        assert_eq!(kind(&t), Some(MismatchKind::DuplicateKey));
        // Decoded: `%6B` is `k`.
        assert_eq!(kind(&table(&["k=1/%6B=2/f.csv"])), Some(MismatchKind::DuplicateKey));
        let TablePartitioning::Mismatch { examples, .. } = t else {
            panic!()
        };
        assert_eq!(examples, ["k=1/k=2/f.csv"]);
    }

    // | keys differing only by case (`Region` / `region`) | conflict: `partition_mismatch` |
    #[test]
    fn keys_differing_only_by_case() {
        let t = table(&["Region=eu/f.csv", "region=us/g.csv"]);
        assert_eq!(kind(&t), Some(MismatchKind::CaseConflict));
        let TablePartitioning::Mismatch { message, examples, .. } = t else {
            panic!()
        };
        assert!(
            message.contains("`Region`") && message.contains("`region`"),
            "{message}"
        );
        assert_eq!(examples, ["Region=eu/f.csv", "region=us/g.csv"]);
        // Within one path, and beyond ASCII.
        assert_eq!(kind(&table(&["a=1/A=2/f.csv"])), Some(MismatchKind::CaseConflict));
        assert_eq!(kind(&table(&["Ä=1/f", "ä=1/g"])), Some(MismatchKind::CaseConflict));
    }

    // | different key sets, depths or orders across directories | `partition_mismatch` naming two
    // example paths; the table is not imported (partitioning = all) |
    #[test]
    fn different_key_sets_depths_or_orders() {
        let sets = table(&["date=2024-01-01/f.csv", "dt=2024-01-02/g.csv"]);
        assert_eq!(kind(&sets), Some(MismatchKind::DifferentColumns));
        let depths = table(&["a=1/b=1/f.csv", "a=1/g.csv"]);
        assert_eq!(kind(&depths), Some(MismatchKind::DifferentColumns));
        let orders = table(&["a=1/b=1/f.csv", "b=1/a=1/g.csv"]);
        assert_eq!(kind(&orders), Some(MismatchKind::DifferentColumns));
        // Examples: one file of the most common layout, one of the next.
        let t = table(&["a=2/f", "a=1/f", "b=1/f", "a=3/f"]);
        let TablePartitioning::Mismatch { message, examples, .. } = t else {
            panic!()
        };
        assert_eq!(examples, ["a=1/f", "b=1/f"]);
        assert!(message.contains("[a] in 3 file(s)"), "{message}");
        assert!(message.contains("[b] in 1 file(s)"), "{message}");
    }

    // | data files in the table root next to partition directories | `partition_mismatch` naming
    // the files; never silently dropped (Spark drops them) |
    #[test]
    fn data_files_in_the_table_root() {
        let t = table(&["a=1/f.csv", "root1.csv", "root2.csv"]);
        assert_eq!(kind(&t), Some(MismatchKind::RootFiles));
        let TablePartitioning::Mismatch { message, examples, .. } = t else {
            panic!()
        };
        assert!(message.contains("root1.csv, root2.csv"), "{message}");
        assert_eq!(examples, ["a=1/f.csv", "root1.csv"]);
        // Only root files: not partitioned, no mismatch.
        assert_eq!(table(&["f.csv", "g.csv"]), TablePartitioning::Unpartitioned);
    }

    // | a plain directory among partition levels (`a=1/x/b=2`) or beside them | in "all" mode the
    // table is inconsistent: `partition_mismatch` |
    #[test]
    fn plain_directory_among_or_beside_partition_levels() {
        // Among.
        assert_eq!(kind(&table(&["a=1/x/b=2/f"])), Some(MismatchKind::PlainDirectory));
        // Below the partition levels (Spark would silently use the levels above `x`; Hive
        // UNION ALL writes such `HIVE_UNION_SUBDIR_1` directories).
        assert_eq!(kind(&table(&["a=1/x/f"])), Some(MismatchKind::PlainDirectory));
        // Above.
        assert_eq!(kind(&table(&["x/a=1/f"])), Some(MismatchKind::PlainDirectory));
        // Beside: `x/` next to `a=1/`.
        let t = table(&["a=1/f", "x/g"]);
        assert_eq!(kind(&t), Some(MismatchKind::PlainDirectory));
        let TablePartitioning::Mismatch { message, .. } = t else {
            panic!()
        };
        assert!(message.contains("`x`"), "{message}");
        // An invalid segment (`=1`) is not a partition level either.
        assert_eq!(kind(&table(&["a=1/=1/f"])), Some(MismatchKind::PlainDirectory));
        // Plain directories alone: not partitioned (the caller reports table_not_partitioned).
        assert_eq!(
            table(&["2024/01/f", "2024/02/g", "h"]),
            TablePartitioning::Unpartitioned
        );
    }

    // | `k=v` above the table directory (in the schema prefix itself) | never a partition column |
    // The caller passes only the segments below the table directory.
    #[test]
    fn k_v_above_the_table_directory() {
        let files = vec![("year=2024/t/f.csv".to_owned(), Vec::new())];
        assert_eq!(table_partitions(&files), TablePartitioning::Unpartitioned);
    }

    // | a table directory directly under the schema prefix named `k=v` | a warning: the schema
    // prefix is probably one level too high |
    // The caller warns; what it needs from here is that the name parses as a partition.
    #[test]
    fn table_directory_named_k_v() {
        assert!(matches!(parse_segment("year=2024"), SegmentParse::Partition(_)));
        assert_eq!(parse_segment("sales"), SegmentParse::NotPartition);
    }

    // | listing order | results never depend on it (property test: shuffle the files) |
    #[test]
    fn listing_order() {
        let mut paths = vec!["b=1/f", "a=1/f", "a=2/f", "b=2/f", "c/f"];
        let first = table(&paths);
        paths.reverse();
        assert_eq!(table(&paths), first);
    }

    #[test]
    fn consistent_table_is_partitioned() {
        let t = table(&[
            "year=2024/month=1/f.parquet",
            "year=2024/month=2/f.parquet",
            "year=__HIVE_DEFAULT_PARTITION__/month=1/f.parquet",
            "year=2023/month=%31%32/f.parquet",
        ]);
        assert_eq!(
            t,
            TablePartitioning::Partitioned {
                columns: vec!["year".into(), "month".into()]
            }
        );
        // Decoded keys: `%41` and `A` are one column.
        assert_eq!(
            table(&["%41=1/f", "A=2/f"]),
            TablePartitioning::Partitioned {
                columns: vec!["A".into()]
            }
        );
        assert_eq!(table(&[]), TablePartitioning::Unpartitioned);
    }

    // Files table: | Unicode | no normalisation; keys compare as bytes |
    #[test]
    fn unicode_keys_are_not_normalised() {
        let nfc = "caf\u{e9}=1/f";
        let nfd = "cafe\u{301}=1/g";
        assert_eq!(kind(&table(&[nfc, nfd])), Some(MismatchKind::DifferentColumns));
    }

    // | typing | infer over all partition values of the table, not a sample: int64 only without
    // leading zeros (`007` stays a string: zip codes), date only for strict ISO `YYYY-MM-DD`,
    // any conflict -> string |
    #[test]
    fn typing() {
        assert_eq!(types(&[Some("0"), Some("-5"), Some("42")]), "int64");
        assert_eq!(types(&[Some("1"), Some("007")]), "string");
        assert_eq!(types(&[Some("+5")]), "string");
        assert_eq!(types(&[Some("-0")]), "string");
        assert_eq!(
            types(&[Some("9223372036854775807"), Some("-9223372036854775808")]),
            "int64"
        );
        assert_eq!(types(&[Some("9223372036854775808")]), "string");
        assert_eq!(types(&[Some(" 5")]), "string");
        assert_eq!(
            types(&[Some("2024-01-31"), Some("2024-02-29"), Some("2000-02-29")]),
            "date"
        );
        assert_eq!(types(&[Some("2023-02-29")]), "string");
        assert_eq!(types(&[Some("1900-02-29")]), "string");
        assert_eq!(types(&[Some("2024-04-31")]), "string");
        assert_eq!(types(&[Some("2024-13-01")]), "string");
        assert_eq!(types(&[Some("0000-01-01")]), "string");
        assert_eq!(types(&[Some("2024-1-05")]), "string");
        assert_eq!(types(&[Some("2024/01/05")]), "string");
        assert_eq!(types(&[Some("2024-01-05T00:00")]), "string");
        assert_eq!(types(&[Some("２０２４-01-05")]), "string");
        // Any conflict, anywhere in the values (not a sample).
        let mut many: Vec<Option<&str>> = vec![Some("1"); 10_000];
        many.push(Some("x"));
        assert_eq!(types(&many), "string");
        assert_eq!(types(&[Some("2024"), Some("2024-01-01")]), "string");
        // Nulls and empty values are ignored; nothing typed -> string.
        assert_eq!(types(&[None, Some("3"), Some("")]), "int64");
        assert_eq!(types(&[None, None]), "string");
        assert_eq!(types(&[]), "string");
        assert_eq!(types(&[Some("")]), "string");
        // Not inferred: booleans, floats.
        assert_eq!(types(&[Some("true"), Some("false")]), "string");
        assert_eq!(types(&[Some("1.5")]), "string");
        let raw = [PartitionValue::Value("1".into()), PartitionValue::Raw("%FF".into())];
        assert_eq!(infer_partition_type(&raw), DataType::String);
    }
}
