//! S3 Inventory reports, read from their bytes: the manifest, and the CSV (gzipped) or
//! Parquet data files it names. Used by discovery when a connection is configured to
//! discover from a report instead of listing (see `ConnectorOptions::inventory`), and
//! by tools that read a report a customer downloaded.
//!
//! As AWS documents them:
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html>
//! (the manifest) and
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html#storage-inventory-contents>
//! (the fields).
//!
//! - `manifest.json` names the source bucket (`sourceBucket`), the data format
//!   (`fileFormat`: `CSV`, `ORC` or `Parquet`), the columns (`fileSchema`), when the
//!   report was made (`creationTimestamp`, epoch milliseconds) and the data files
//!   (`files`: keys in the destination bucket with their size and MD5).
//! - CSV data files are gzipped, have no header, follow `fileSchema` (`Bucket, Key,
//!   VersionId, IsLatest, ...`) and URL-encode keys (`+` for a space). Parquet files
//!   carry their own schema (`bucket`, `key`, `size`, `last_modified_date`, ...) and
//!   plain keys.
//! - A report that includes all versions lists every version and delete marker: only
//!   the current version of each key is kept, and keys whose current version is a
//!   delete marker are gone from the bucket.

use std::io::Read;
use std::sync::Arc;

use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use md5::{Digest, Md5};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use time::OffsetDateTime;

/// Where a connection's S3 Inventory reports are: `s3://BUCKET/KEY`.
///
/// - A key ending in `manifest.json` is that report.
/// - Any other key is the folder AWS writes one inventory configuration's reports to
///   (`DESTINATION-PREFIX/SOURCE-BUCKET/CONFIGURATION-ID/`): each report is a dated
///   folder in it (`2026-12-01T01-00Z/manifest.json`), and the newest one is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryLocation {
    /// The destination bucket.
    pub bucket: String,
    /// The manifest's key, or the configuration's folder (ending in `/`).
    pub key: String,
}

impl InventoryLocation {
    /// Reads `s3://BUCKET/KEY`; a folder gets its trailing `/`.
    pub fn parse(uri: &str) -> Result<Self, String> {
        let rest = uri.strip_prefix("s3://").ok_or_else(|| {
            format!("`{uri}` is not an S3 URI; expected s3://BUCKET/PATH/manifest.json or s3://BUCKET/PATH/")
        })?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("`{uri}` names no bucket"));
        }
        let key = if key.is_empty() || key.ends_with('/') || Self::names_manifest(key) {
            key.to_owned()
        } else {
            format!("{key}/")
        };
        Ok(Self {
            bucket: bucket.to_owned(),
            key,
        })
    }

    fn names_manifest(key: &str) -> bool {
        key.rsplit('/').next() == Some("manifest.json")
    }

    /// Whether this is one report's manifest (not a folder of reports).
    pub fn is_manifest(&self) -> bool {
        Self::names_manifest(&self.key)
    }

    /// Of the folders directly in the configuration's folder, the newest report's:
    /// AWS names them by the time the report was made (`YYYY-MM-DDTHH-MMZ/`), so the
    /// newest is the greatest; other folders (`hive/`, `data/`) are not reports.
    pub fn newest_report<'a>(folders: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        folders
            .into_iter()
            .filter(|f| {
                f.trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .is_some_and(is_report_folder_name)
            })
            .max()
    }
}

/// `2026-12-01T01-00Z`.
fn is_report_folder_name(name: &str) -> bool {
    let b = name.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    b.len() == 17
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b'-'
        && digits(14..16)
        && b[16] == b'Z'
}

impl std::fmt::Display for InventoryLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// One object of a listing: a current object of a report here, and in the harness
/// any listing a customer pasted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InventoryEntry {
    /// The full key in the bucket, exactly as S3 stores it (decoded when the listing
    /// carried it URL-encoded).
    pub key: String,
    /// The object's size in bytes.
    pub size: u64,
    /// The last-modified time as the listing printed it. `aws s3 ls` prints the
    /// listing machine's local time without a zone (`2025-01-01 12:00:00`); the JSON
    /// and Inventory formats carry an instant (RFC 3339 text, or epoch milliseconds
    /// rendered as RFC 3339 for Parquet Inventory).
    pub last_modified: Option<String>,
    /// The ETag as listed, quotes included when the listing kept them.
    pub etag: Option<String>,
    /// The storage class (`STANDARD`, `GLACIER`, ...), when the listing has one.
    pub storage_class: Option<String>,
}

/// Where in a manifest or data file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportPosition {
    /// The file as a whole.
    File,
    /// A line of the manifest's JSON.
    Line(usize),
    /// A row of a data file, from 1.
    Row(usize),
}

/// Why a manifest or data file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ReportError {
    /// Where.
    pub position: ReportPosition,
    /// What, in the user's terms.
    pub message: String,
}

impl ReportError {
    fn file(message: impl Into<String>) -> Self {
        Self {
            position: ReportPosition::File,
            message: message.into(),
        }
    }

    fn row(row: usize, message: String) -> Self {
        Self {
            position: ReportPosition::Row(row),
            message,
        }
    }
}

/// A data file the manifest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// Its key in the destination bucket.
    pub key: String,
    /// Its size, when the manifest gives one.
    pub size: Option<u64>,
    /// Its MD5 in lower-case hex, when the manifest gives one.
    pub md5: Option<String>,
}

/// A parsed `manifest.json`.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The bucket the report lists.
    pub source_bucket: Option<String>,
    /// When the report was made.
    pub created: Option<OffsetDateTime>,
    /// The data files, in the manifest's order.
    pub files: Vec<DataFile>,
    format: Format,
}

#[derive(Debug, Clone)]
enum Format {
    Csv(Arc<CsvColumns>),
    Parquet,
}

/// A manifest is a JSON object with `fileFormat` and `files` at its top level.
pub fn looks_like_manifest(text: &str) -> bool {
    if !(text.contains("\"fileFormat\"") && text.contains("\"files\"")) {
        return false;
    }
    matches!(
        serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')),
        Ok(Value::Object(m)) if m.contains_key("fileFormat") && m.contains_key("files")
    )
}

impl Manifest {
    /// Reads `manifest.json`. ORC reports are refused with what to do instead.
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        let manifest: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| ReportError {
            position: ReportPosition::Line(e.line()),
            message: format!("the Inventory manifest is not JSON: {e}"),
        })?;
        let field = |name: &str| manifest.get(name).and_then(Value::as_str);
        let format = field("fileFormat").ok_or_else(|| ReportError::file("the manifest has no `fileFormat`"))?;
        let format = match format.to_ascii_uppercase().as_str() {
            "CSV" => {
                let schema = field("fileSchema").ok_or_else(|| {
                    ReportError::file("a CSV Inventory manifest needs `fileSchema` to name the columns")
                })?;
                Format::Csv(Arc::new(CsvColumns::from_schema(schema).map_err(ReportError::file)?))
            }
            "PARQUET" => Format::Parquet,
            "ORC" => {
                return Err(ReportError::file(
                    "ORC Inventory reports are not supported: configure the inventory with the \
                     CSV or Parquet format, or convert the ORC files to Parquet",
                ));
            }
            other => return Err(ReportError::file(format!("unknown Inventory `fileFormat` `{other}`"))),
        };
        // AWS writes it as a string of epoch milliseconds.
        let created = manifest
            .get("creationTimestamp")
            .and_then(|v| v.as_str().and_then(|s| s.parse::<i64>().ok()).or_else(|| v.as_i64()))
            .and_then(|ms| OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok());
        Ok(Self {
            source_bucket: field("sourceBucket").map(str::to_owned),
            created,
            files: data_files(&manifest).map_err(ReportError::file)?,
            format,
        })
    }

    /// Checks a data file's bytes against the manifest's size and MD5, which tell a
    /// complete file from a truncated or wrong one.
    pub fn check(file: &DataFile, bytes: &[u8]) -> Result<(), ReportError> {
        if let Some(size) = file.size
            && size != bytes.len() as u64
        {
            return Err(ReportError::file(format!(
                "{} bytes, but the manifest says {size}: the download is incomplete or is another file",
                bytes.len()
            )));
        }
        if let Some(md5) = &file.md5 {
            let got = hex::encode(Md5::digest(bytes));
            if &got != md5 {
                return Err(ReportError::file(format!(
                    "MD5 {got}, but the manifest says {md5}: this is not the listed file"
                )));
            }
        }
        Ok(())
    }

    /// The current objects a data file lists, appended to `out` in its order.
    pub fn read_data_file(&self, bytes: bytes::Bytes, out: &mut Vec<InventoryEntry>) -> Result<(), ReportError> {
        match &self.format {
            Format::Csv(columns) => read_csv(&bytes, columns, out),
            Format::Parquet => read_parquet(bytes, out),
        }
    }
}

fn data_files(manifest: &Value) -> Result<Vec<DataFile>, String> {
    let Some(Value::Array(files)) = manifest.get("files") else {
        return Err("the manifest's `files` is not a list".to_owned());
    };
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let key = f
                .get("key")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("`files[{i}]` has no `key`"))?;
            Ok(DataFile {
                key: key.to_owned(),
                size: f.get("size").and_then(Value::as_u64),
                md5: f
                    .get("MD5checksum")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase),
            })
        })
        .collect()
}

/// Column positions in a CSV report, from `fileSchema`.
#[derive(Debug)]
struct CsvColumns {
    count: usize,
    key: usize,
    size: usize,
    last_modified: Option<usize>,
    etag: Option<usize>,
    storage_class: Option<usize>,
    is_latest: Option<usize>,
    is_delete_marker: Option<usize>,
}

impl CsvColumns {
    fn from_schema(schema: &str) -> Result<Self, String> {
        let names: Vec<&str> = schema.split(',').map(str::trim).collect();
        let find = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
        Ok(Self {
            count: names.len(),
            key: find("Key").ok_or("the manifest's `fileSchema` has no `Key` column")?,
            size: find("Size").ok_or(
                "the manifest's `fileSchema` has no `Size` column: add the Size field to the \
                 inventory configuration",
            )?,
            last_modified: find("LastModifiedDate"),
            etag: find("ETag"),
            storage_class: find("StorageClass"),
            is_latest: find("IsLatest"),
            is_delete_marker: find("IsDeleteMarker"),
        })
    }
}

/// Decodes a key S3 URL-encoded (`+` for a space, `%XX` for a byte), as in CSV
/// Inventory reports and list-objects-v2 pages with `EncodingType` `url`. `None` when
/// the bytes are not UTF-8.
pub fn url_decode(encoded: &str) -> Option<String> {
    let spaced = encoded.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|k| k.into_owned())
}

fn read_csv(gz: &[u8], columns: &CsvColumns, out: &mut Vec<InventoryEntry>) -> Result<(), ReportError> {
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(gz)
        .read_to_end(&mut text)
        .map_err(|e| {
            ReportError::file(format!(
                "a CSV Inventory data file is gzipped; this one does not decompress: {e}"
            ))
        })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_slice());
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let record = record.map_err(|e| ReportError::row(row, format!("not CSV: {e}")))?;
        if record.len() != columns.count {
            return Err(ReportError::row(
                row,
                format!(
                    "{} fields, but the manifest's `fileSchema` names {}",
                    record.len(),
                    columns.count
                ),
            ));
        }
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).filter(|v| !v.is_empty());
        if get(columns.is_latest) == Some("false") || get(columns.is_delete_marker) == Some("true") {
            continue;
        }
        let encoded = record.get(columns.key).unwrap_or("");
        let key = url_decode(encoded)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ReportError::row(row, format!("key `{encoded}` is not URL-encoded UTF-8")))?;
        let size_text = record.get(columns.size).unwrap_or("");
        let size = size_text
            .parse::<u64>()
            .map_err(|_| ReportError::row(row, format!("size `{size_text}` of `{key}` is not a byte count")))?;
        out.push(InventoryEntry {
            key,
            size,
            last_modified: get(columns.last_modified).map(str::to_owned),
            etag: get(columns.etag).map(str::to_owned),
            storage_class: get(columns.storage_class).map(str::to_owned),
        });
    }
    Ok(())
}

fn read_parquet(bytes: bytes::Bytes, out: &mut Vec<InventoryEntry>) -> Result<(), ReportError> {
    let bad_file = |what: String| ReportError::file(what);
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .and_then(|b| b.build())
        .map_err(|e| bad_file(parquet_problem(&e.to_string())))?;
    let mut row = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| bad_file(parquet_problem(&e.to_string())))?;
        let cols = ParquetColumns::of(&batch).map_err(&bad_file)?;
        for i in 0..batch.num_rows() {
            row += 1;
            if cols.is_latest.and_then(|c| bool_at(c, i)) == Some(false)
                || cols.is_delete_marker.and_then(|c| bool_at(c, i)) == Some(true)
            {
                continue;
            }
            let key = string_at(cols.key, i)
                .filter(|k| !k.is_empty())
                .ok_or_else(|| ReportError::row(row, "no key".to_owned()))?;
            let size = u64_at(cols.size, i).ok_or_else(|| ReportError::row(row, format!("`{key}` has no size")))?;
            out.push(InventoryEntry {
                key,
                size,
                last_modified: cols.last_modified.and_then(|c| timestamp_at(c, i)),
                etag: cols.etag.and_then(|c| string_at(c, i)),
                storage_class: cols.storage_class.and_then(|c| string_at(c, i)),
            });
        }
    }
    Ok(())
}

/// The parquet crate names a codec left out of this build as a "disabled feature":
/// say so in the user's terms.
fn parquet_problem(error: &str) -> String {
    match error.split("Disabled feature at compile time: ").nth(1) {
        Some(codec) => format!(
            "the Parquet Inventory file is compressed with a codec this build cannot \
             decompress ({codec}); convert it to Snappy or uncompressed Parquet, or use a \
             CSV inventory"
        ),
        None => format!("not a readable Parquet Inventory file: {error}"),
    }
}

struct ParquetColumns<'a> {
    key: &'a dyn Array,
    size: &'a dyn Array,
    last_modified: Option<&'a dyn Array>,
    etag: Option<&'a dyn Array>,
    storage_class: Option<&'a dyn Array>,
    is_latest: Option<&'a dyn Array>,
    is_delete_marker: Option<&'a dyn Array>,
}

impl<'a> ParquetColumns<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self, String> {
        let find = |name: &str| batch.column_by_name(name).map(|c: &Arc<dyn Array>| c.as_ref());
        Ok(Self {
            key: find("key").ok_or("the Parquet Inventory file has no `key` column")?,
            size: find("size").ok_or(
                "the Parquet Inventory file has no `size` column: add the Size field to the \
                 inventory configuration",
            )?,
            last_modified: find("last_modified_date"),
            etag: find("e_tag"),
            storage_class: find("storage_class"),
            is_latest: find("is_latest"),
            is_delete_marker: find("is_delete_marker"),
        })
    }
}

fn string_at(col: &dyn Array, i: usize) -> Option<String> {
    use arrow_array::cast::AsArray;
    if col.is_null(i) {
        return None;
    }
    match col.data_type() {
        DataType::Utf8 => Some(col.as_string::<i32>().value(i).to_owned()),
        DataType::LargeUtf8 => Some(col.as_string::<i64>().value(i).to_owned()),
        DataType::Utf8View => Some(col.as_string_view().value(i).to_owned()),
        DataType::Binary => String::from_utf8(col.as_binary::<i32>().value(i).to_vec()).ok(),
        DataType::LargeBinary => String::from_utf8(col.as_binary::<i64>().value(i).to_vec()).ok(),
        _ => None,
    }
}

fn u64_at(col: &dyn Array, i: usize) -> Option<u64> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int32Type, Int64Type, UInt64Type};
    if col.is_null(i) {
        return None;
    }
    match col.data_type() {
        DataType::Int64 => u64::try_from(col.as_primitive::<Int64Type>().value(i)).ok(),
        DataType::UInt64 => Some(col.as_primitive::<UInt64Type>().value(i)),
        DataType::Int32 => u64::try_from(col.as_primitive::<Int32Type>().value(i)).ok(),
        _ => None,
    }
}

fn bool_at(col: &dyn Array, i: usize) -> Option<bool> {
    use arrow_array::cast::AsArray;
    (col.data_type() == &DataType::Boolean && !col.is_null(i)).then(|| col.as_boolean().value(i))
}

/// AWS writes `last_modified_date` as INT64 TIMESTAMP_MILLIS; shown as RFC 3339 like
/// the CSV report's `2016-10-30T11:40:21.000Z`.
fn timestamp_at(col: &dyn Array, i: usize) -> Option<String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int64Type, TimestampMillisecondType};
    if col.is_null(i) {
        return None;
    }
    let millis = match col.data_type() {
        DataType::Timestamp(TimeUnit::Millisecond, _) => col.as_primitive::<TimestampMillisecondType>().value(i),
        DataType::Int64 => col.as_primitive::<Int64Type>().value(i),
        _ => return None,
    };
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()?;
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.format(&format).ok()
}

#[cfg(test)]
mod location_tests {
    use super::*;

    #[test]
    fn a_location_is_a_manifest_or_a_folder_of_reports() {
        let m = InventoryLocation::parse("s3://inv/a/src/cfg/2026-12-01T01-00Z/manifest.json").expect("parses");
        assert!(m.is_manifest());
        assert_eq!(m.bucket, "inv");
        let f = InventoryLocation::parse("s3://inv/a/src/cfg").expect("parses");
        assert!(!f.is_manifest());
        assert_eq!(f.key, "a/src/cfg/");
        assert_eq!(f.to_string(), "s3://inv/a/src/cfg/");
        assert!(InventoryLocation::parse("inv/a").is_err());
        assert!(InventoryLocation::parse("s3:///a").is_err());
    }

    #[test]
    fn the_newest_report_is_the_latest_dated_folder() {
        let folders = [
            "a/cfg/2026-11-30T01-00Z/",
            "a/cfg/2026-12-01T01-00Z/",
            "a/cfg/hive/",
            "a/cfg/data/",
            "a/cfg/2026-12-01T1-00Z/",
        ];
        assert_eq!(
            InventoryLocation::newest_report(folders),
            Some("a/cfg/2026-12-01T01-00Z/")
        );
        assert_eq!(InventoryLocation::newest_report(["a/cfg/hive/"]), None);
    }

    #[test]
    fn the_manifest_gives_its_date_and_files() {
        let m = Manifest::parse(
            r#"{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::inv","fileFormat":"CSV",
                "fileSchema":"Bucket, Key, Size","creationTimestamp":"1764550800000",
                "files":[{"key":"a/data/1.csv.gz","size":10,"MD5checksum":"ABC"}]}"#,
        )
        .expect("parses");
        assert_eq!(m.source_bucket.as_deref(), Some("src"));
        assert_eq!(m.created.map(OffsetDateTime::unix_timestamp), Some(1_764_550_800));
        assert_eq!(m.files[0].md5.as_deref(), Some("abc"));
        let orc = Manifest::parse(r#"{"fileFormat":"ORC","files":[]}"#).expect_err("refused");
        assert!(orc.message.contains("ORC"), "{orc}");
    }

    #[test]
    fn csv_reports_keep_current_versions_and_decode_keys() {
        use std::io::Write as _;
        let m = Manifest::parse(
            r#"{"fileFormat":"CSV","fileSchema":"Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size","files":[]}"#,
        )
        .expect("parses");
        let rows = "\"src\",\"data/a+b/x%3D1.csv\",\"v2\",\"true\",\"false\",\"5\"\n\
                    \"src\",\"data/a+b/x%3D1.csv\",\"v1\",\"false\",\"false\",\"4\"\n\
                    \"src\",\"data/gone.csv\",\"v3\",\"true\",\"true\",\"\"\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(rows.as_bytes()).expect("in memory");
        let gz = gz.finish().expect("in memory");
        let mut out = Vec::new();
        m.read_data_file(gz.into(), &mut out).expect("reads");
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].key.as_str(), out[0].size), ("data/a b/x=1.csv", 5));
    }
}

#[cfg(test)]
mod tests {
    use super::parquet_problem;

    /// What the parquet crate says for a GZIP-compressed file (pyarrow's
    /// `compression="gzip"`) when its flate2 feature is off.
    #[test]
    fn a_codec_left_out_of_the_build_is_named() {
        let said = parquet_problem("Parquet argument error: Parquet error: Disabled feature at compile time: flate2");
        assert!(said.contains("codec this build cannot decompress (flate2)"), "{said}");
        let other = parquet_problem("Parquet error: Invalid Parquet file. Corrupt footer");
        assert!(other.starts_with("not a readable Parquet Inventory file: "), "{other}");
    }
}
