//! What one key under the schema prefix is: a table's data file, a file outside any table, or ignored.
//!
//! Ignored keys come with a code and a reason (`docs/partitions.md`, "Files"). Pure: no I/O.

use serde::{Deserialize, Serialize};

use crate::config::DataFormat;
use crate::diagnostic::Code;

/// A data file's format, from its name (confirmed later by magic bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// `.csv`
    Csv,
    /// `.gz` or `.csv.gz`: gzip-compressed CSV.
    CsvGzip,
    /// `.parquet` or `.parq`.
    Parquet,
}

impl FileFormat {
    /// The connection format this file counts as.
    pub(crate) fn data_format(self) -> DataFormat {
        match self {
            Self::Csv | Self::CsvGzip => DataFormat::Csv,
            Self::Parquet => DataFormat::Parquet,
        }
    }

    /// By extension, case-insensitively: `.csv`; `.gz` and `.csv.gz`; `.parquet`,
    /// `.parq` (and so Spark's `part-*.snappy.parquet`).
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(Self::Csv)
        } else if lower.ends_with(".gz") {
            Some(Self::CsvGzip)
        } else if lower.ends_with(".parquet") || lower.ends_with(".parq") {
            Some(Self::Parquet)
        } else {
            None
        }
    }
}

/// What one key is to discovery: a table's data file, a file outside any table, or not data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClass {
    /// A data file inside table `table`, below directories `dirs`.
    DataFile {
        /// The table directory's name.
        table: String,
        /// The directories between the table directory and the file (partitions or not).
        dirs: Vec<String>,
        /// The file's name.
        file: String,
        /// Its format, from its name.
        format: FileFormat,
    },
    /// A data file directly under the schema prefix.
    OutsideTable {
        /// Its format, from its name.
        format: FileFormat,
    },
    /// Not data: hidden or bookkeeping files, folder markers, odd keys, other formats.
    Ignored {
        /// The table directory the key sits in, if any.
        table: Option<String>,
        /// The kind of key (`hidden_file`, `unsupported_file`, `invalid_key`).
        code: Code,
        /// Why this key is not data.
        reason: String,
    },
}

/// A directory name that is a Hive partition (`k=v`, also `_k=v`), not a hidden one.
fn partition_like(segment: &str) -> bool {
    segment.find('=').is_some_and(|i| i > 0)
}

/// Why a directory is hidden, if it is: `_temporary/`, `_delta_log/`, `.spark-staging/`,
/// any `_x` or `.x` that is not a `_k=v` partition.
fn hidden_dir(segment: &str) -> Option<String> {
    if partition_like(segment) {
        return None;
    }
    match segment {
        "_temporary" => Some("`_temporary/` holds the uncommitted output of a running or failed job".to_owned()),
        "_delta_log" => Some("`_delta_log/` is a Delta Lake transaction log, not data".to_owned()),
        s if s.starts_with('_') || s.starts_with('.') => {
            Some(format!("`{s}/` is a hidden directory (names starting with `_` or `.`)"))
        }
        _ => None,
    }
}

/// Why a file name is hidden or bookkeeping, if it is.
fn hidden_file(name: &str) -> Option<String> {
    let reason = if name == "_SUCCESS" {
        "`_SUCCESS` marks a finished Spark/Hadoop job".to_owned()
    } else if name.starts_with("_committed_") || name.starts_with("_started_") {
        format!("`{name}` is a Databricks commit marker")
    } else if name == "_metadata" || name == "_common_metadata" {
        format!("`{name}` is a Parquet summary file, not data")
    } else if name.ends_with("_$folder$") {
        format!("`{name}` is a folder marker left by Hadoop's S3 clients")
    } else if name.to_ascii_lowercase().ends_with(".crc") {
        format!("`{name}` is a Hadoop checksum file")
    } else if name.ends_with("._COPYING_") {
        format!("`{name}` is a partial copy still being written")
    } else if name.starts_with('_') || name.starts_with('.') {
        format!("`{name}` is hidden (names starting with `_` or `.`)")
    } else {
        return None;
    };
    Some(reason)
}

/// Classifies `key` (which starts with `prefix`) of `size` bytes; the size tells a
/// zero-byte folder marker from a key ending in `/` that holds data.
pub fn classify(prefix: &str, key: &str, size: u64) -> KeyClass {
    let ignored = |table: Option<&str>, code, reason: String| KeyClass::Ignored {
        table: table.map(str::to_owned),
        code,
        reason,
    };
    let Some(rest) = key.strip_prefix(prefix) else {
        return ignored(
            None,
            Code::InvalidKey,
            format!("`{key}` is not under the schema prefix `{prefix}`"),
        );
    };
    if rest.is_empty() {
        return ignored(
            None,
            Code::HiddenFile,
            "the schema prefix's own folder marker".to_owned(),
        );
    }
    let segments: Vec<&str> = rest.split('/').collect();
    let table = (segments.len() > 1).then_some(segments[0]);
    if let Some(c) = key.chars().find(|c| c.is_control()) {
        return ignored(
            table,
            Code::InvalidKey,
            format!("the key holds a control character (U+{:04X})", c as u32),
        );
    }
    let inner = &segments[..segments.len() - 1];
    if inner.iter().any(|s| s.is_empty()) || (rest.starts_with('/')) {
        return ignored(
            table,
            Code::InvalidKey,
            "the key has an empty segment (`//`)".to_owned(),
        );
    }
    if let Some(s) = segments.iter().find(|s| **s == "." || **s == "..") {
        return ignored(
            table,
            Code::InvalidKey,
            format!("the key has a `{s}` segment; S3 keys are not paths"),
        );
    }
    if rest.ends_with('/') {
        return if size == 0 {
            ignored(
                table,
                Code::HiddenFile,
                "a zero-byte folder marker (created by the S3 console or a tool)".to_owned(),
            )
        } else {
            ignored(
                table,
                Code::UnsupportedFile,
                format!("a key ending in `/` that holds {size} bytes"),
            )
        };
    }
    let file = segments[segments.len() - 1];
    if let Some(dir) = inner.iter().find_map(|s| hidden_dir(s)) {
        return ignored(table, Code::HiddenFile, dir);
    }
    if let Some(reason) = hidden_file(file) {
        return ignored(table, Code::HiddenFile, reason);
    }
    let Some(format) = FileFormat::from_name(file) else {
        let ext = file
            .rsplit_once('.')
            .map(|(_, e)| format!("`.{e}`"))
            .unwrap_or_else(|| "no extension".to_owned());
        return ignored(
            table,
            Code::UnsupportedFile,
            format!("{ext}: not CSV, gzipped CSV or Parquet"),
        );
    };
    match table {
        None => KeyClass::OutsideTable { format },
        Some(table) => KeyClass::DataFile {
            table: table.to_owned(),
            dirs: segments[1..segments.len() - 1]
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            file: file.to_owned(),
            format,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "data/audiences/";

    fn code(key: &str, size: u64) -> Option<Code> {
        match classify(P, key, size) {
            KeyClass::Ignored { code, .. } => Some(code),
            _ => None,
        }
    }

    #[test]
    fn data_files_by_extension_case_insensitive() {
        for (name, f) in [
            ("a.csv", FileFormat::Csv),
            ("A.CSV", FileFormat::Csv),
            ("a.gz", FileFormat::CsvGzip),
            ("a.csv.gz", FileFormat::CsvGzip),
            ("part-00000-abc.snappy.parquet", FileFormat::Parquet),
            ("x.PARQ", FileFormat::Parquet),
        ] {
            let c = classify(P, &format!("{P}users/date=2025-01-01/{name}"), 10);
            assert_eq!(
                c,
                KeyClass::DataFile {
                    table: "users".into(),
                    dirs: vec!["date=2025-01-01".into()],
                    file: name.into(),
                    format: f
                }
            );
        }
    }

    #[test]
    fn hidden_and_bookkeeping_files() {
        for name in [
            "_SUCCESS",
            "_committed_123",
            "_started_9",
            ".part-0.csv.crc",
            "part-0.csv.crc",
            "x.csv._COPYING_",
            "_metadata",
            "_common_metadata",
            ".hidden.csv",
        ] {
            assert_eq!(code(&format!("{P}t/{name}"), 1), Some(Code::HiddenFile), "{name}");
        }
        assert_eq!(
            code(&format!("{P}t/_temporary/0/part-0.csv"), 1),
            Some(Code::HiddenFile)
        );
        assert_eq!(code(&format!("{P}t/_delta_log/0.json"), 1), Some(Code::HiddenFile));
        assert_eq!(code(&format!("{P}t_$folder$"), 0), Some(Code::HiddenFile));
        assert_eq!(code(&format!("{P}_tmp/x.csv"), 1), Some(Code::HiddenFile));
        // `_x=1` is a partition directory, not a hidden one.
        assert!(matches!(
            classify(P, &format!("{P}t/_x=1/a.csv"), 1),
            KeyClass::DataFile { .. }
        ));
    }

    #[test]
    fn folder_markers_and_odd_keys() {
        assert_eq!(code(P, 0), Some(Code::HiddenFile));
        assert_eq!(code(&format!("{P}t/"), 0), Some(Code::HiddenFile));
        assert_eq!(code(&format!("{P}t/date=1/"), 0), Some(Code::HiddenFile));
        assert_eq!(code(&format!("{P}t/"), 5), Some(Code::UnsupportedFile));
        assert_eq!(code(&format!("{P}t//a.csv"), 1), Some(Code::InvalidKey));
        assert_eq!(code(&format!("{P}t/../a.csv"), 1), Some(Code::InvalidKey));
        assert_eq!(code(&format!("{P}t/./a.csv"), 1), Some(Code::InvalidKey));
        assert_eq!(code(&format!("{P}t/a\u{7}.csv"), 1), Some(Code::InvalidKey));
        assert_eq!(code(&format!("{P}/t/a.csv"), 1), Some(Code::InvalidKey));
    }

    #[test]
    fn unsupported_and_outside_table() {
        assert_eq!(code(&format!("{P}t/a.json"), 1), Some(Code::UnsupportedFile));
        assert_eq!(code(&format!("{P}t/part-00000"), 1), Some(Code::UnsupportedFile));
        assert_eq!(
            classify(P, &format!("{P}loose.csv"), 1),
            KeyClass::OutsideTable {
                format: FileFormat::Csv
            }
        );
        assert_eq!(code(&format!("{P}README.md"), 1), Some(Code::UnsupportedFile));
    }

    #[test]
    fn unicode_and_spaces_are_ordinary() {
        assert!(matches!(
            classify(P, &format!("{P}café tables/ville=Zürich/données 1.csv"), 1),
            KeyClass::DataFile { .. }
        ));
    }
}
