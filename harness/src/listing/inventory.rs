//! S3 Inventory reports, as AWS documents them:
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html>
//! (the manifest) and
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html#storage-inventory-contents>
//! (the fields).
//!
//! `manifest.json` names the bucket (`sourceBucket`), the data format (`fileFormat`:
//! `CSV`, `ORC` or `Parquet`), the columns (`fileSchema`) and the data files (`files`,
//! keys in the destination bucket with their size and MD5). A customer downloads the
//! manifest and the data files; they are looked for next to the manifest, under their
//! full key, by name, or in `data/` beside or one level above it (AWS writes data
//! files to `.../data/` and each manifest to a dated folder beside it).
//!
//! CSV data files are gzipped, have no header, follow `fileSchema` (`Bucket, Key,
//! VersionId, IsLatest, ...`) and URL-encode keys (`+` for a space). Parquet files carry
//! their own schema (`bucket`, `key`, `size`, `last_modified_date`, ...) and plain keys.
//! A report that includes all versions lists every version and delete marker: only the
//! current version of each key is kept, and keys whose current version is a delete
//! marker are gone from the bucket.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use md5::{Digest, Md5};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use super::{ListedObject, ListingError, Position};

/// A manifest is a JSON object with `fileFormat` and `files` at its top level.
pub(super) fn looks_like_manifest(text: &str) -> bool {
    if !(text.contains("\"fileFormat\"") && text.contains("\"files\"")) {
        return false;
    }
    matches!(
        serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')),
        Ok(Value::Object(m)) if m.contains_key("fileFormat") && m.contains_key("files")
    )
}

struct DataFile {
    key: String,
    size: Option<u64>,
    md5: Option<String>,
}

pub(super) fn read(manifest_path: &Path, text: &str, bucket: &str) -> Result<Vec<ListedObject>, ListingError> {
    let bad = |what: String| ListingError::invalid(manifest_path, Position::File, what);
    let manifest: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        ListingError::invalid(
            manifest_path,
            Position::Line(e.line()),
            format!("the Inventory manifest is not JSON: {e}"),
        )
    })?;
    let field = |name: &str| manifest.get(name).and_then(Value::as_str);
    if let Some(source) = field("sourceBucket")
        && source != bucket
    {
        return Err(bad(format!(
            "the Inventory report is of bucket `{source}`, not `{bucket}`"
        )));
    }
    let format = field("fileFormat").ok_or_else(|| bad("the manifest has no `fileFormat`".to_owned()))?;
    let files = data_files(&manifest).map_err(bad)?;
    let dir = match manifest_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut objects = Vec::new();
    match format.to_ascii_uppercase().as_str() {
        "CSV" => {
            let schema = field("fileSchema")
                .ok_or_else(|| bad("a CSV Inventory manifest needs `fileSchema` to name the columns".to_owned()))?;
            let columns = CsvColumns::from_schema(schema).map_err(bad)?;
            for file in &files {
                let path = locate(dir, file).map_err(bad)?;
                let bytes = read_checked(&path, file)?;
                read_csv(&path, &bytes, &columns, &mut objects)?;
            }
        }
        "PARQUET" => {
            for file in &files {
                let path = locate(dir, file).map_err(bad)?;
                let bytes = read_checked(&path, file)?;
                read_parquet(&path, bytes, &mut objects)?;
            }
        }
        "ORC" => {
            return Err(bad(
                "ORC Inventory reports are not supported: configure the inventory with the \
                 CSV or Parquet format, or convert the ORC files to Parquet"
                    .to_owned(),
            ));
        }
        other => return Err(bad(format!("unknown Inventory `fileFormat` `{other}`"))),
    }
    Ok(objects)
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

fn locate(dir: &Path, file: &DataFile) -> Result<PathBuf, String> {
    let name = file.key.rsplit('/').next().unwrap_or(&file.key);
    let mut candidates = vec![dir.join(&file.key), dir.join(name), dir.join("data").join(name)];
    let above = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => dir.join(".."),
    };
    candidates.push(above.join("data").join(name));
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        format!(
            "data file `{}` of the manifest is missing; looked for {}",
            file.key,
            tried.join(", ")
        )
    })
}

/// The manifest's size and MD5 tell a complete download from a truncated or wrong one.
fn read_checked(path: &Path, file: &DataFile) -> Result<Vec<u8>, ListingError> {
    let bytes = std::fs::read(path).map_err(|source| ListingError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(size) = file.size
        && size != bytes.len() as u64
    {
        return Err(ListingError::invalid(
            path,
            Position::File,
            format!(
                "{} bytes, but the manifest says {size}: the download is incomplete or is \
                 another file",
                bytes.len()
            ),
        ));
    }
    if let Some(md5) = &file.md5 {
        let got = hex::encode(Md5::digest(&bytes));
        if &got != md5 {
            return Err(ListingError::invalid(
                path,
                Position::File,
                format!("MD5 {got}, but the manifest says {md5}: this is not the listed file"),
            ));
        }
    }
    Ok(bytes)
}

/// Column positions in a CSV report, from `fileSchema`.
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

fn read_csv(path: &Path, gz: &[u8], columns: &CsvColumns, out: &mut Vec<ListedObject>) -> Result<(), ListingError> {
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(gz)
        .read_to_end(&mut text)
        .map_err(|e| {
            ListingError::invalid(
                path,
                Position::File,
                format!("a CSV Inventory data file is gzipped; this one does not decompress: {e}"),
            )
        })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_slice());
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let bad = |what: String| ListingError::invalid(path, Position::Row(row), what);
        let record = record.map_err(|e| bad(format!("not CSV: {e}")))?;
        if record.len() != columns.count {
            return Err(bad(format!(
                "{} fields, but the manifest's `fileSchema` names {}",
                record.len(),
                columns.count
            )));
        }
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).filter(|v| !v.is_empty());
        if get(columns.is_latest) == Some("false") || get(columns.is_delete_marker) == Some("true") {
            continue;
        }
        let encoded = record.get(columns.key).unwrap_or("");
        let key = super::url_decode(encoded)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| bad(format!("key `{encoded}` is not URL-encoded UTF-8")))?;
        let size_text = record.get(columns.size).unwrap_or("");
        let size = size_text
            .parse::<u64>()
            .map_err(|_| bad(format!("size `{size_text}` of `{key}` is not a byte count")))?;
        out.push(ListedObject {
            key,
            size,
            last_modified: get(columns.last_modified).map(str::to_owned),
            etag: get(columns.etag).map(str::to_owned),
            storage_class: get(columns.storage_class).map(str::to_owned),
        });
    }
    Ok(())
}

fn read_parquet(path: &Path, bytes: Vec<u8>, out: &mut Vec<ListedObject>) -> Result<(), ListingError> {
    let bad_file = |what: String| ListingError::invalid(path, Position::File, what);
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .and_then(|b| b.build())
        .map_err(|e| bad_file(parquet_problem(&e.to_string())))?;
    let mut row = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| bad_file(parquet_problem(&e.to_string())))?;
        let cols = ParquetColumns::of(&batch).map_err(&bad_file)?;
        for i in 0..batch.num_rows() {
            row += 1;
            let bad = |what: String| ListingError::invalid(path, Position::Row(row), what);
            if cols.is_latest.and_then(|c| bool_at(c, i)) == Some(false)
                || cols.is_delete_marker.and_then(|c| bool_at(c, i)) == Some(true)
            {
                continue;
            }
            let key = string_at(cols.key, i)
                .filter(|k| !k.is_empty())
                .ok_or_else(|| bad("no key".to_owned()))?;
            let size = u64_at(cols.size, i).ok_or_else(|| bad(format!("`{key}` has no size")))?;
            out.push(ListedObject {
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
