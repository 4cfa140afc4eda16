//! Diagnostics: what the connector found wrong, or worth knowing, about a connection.
//!
//! Each has a stable code, a severity, a subject, a message and a hint that says what to
//! change (docs/diagnostics.md lists every code).

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a diagnostic is about, as a stable code: its snake_case form (serde and
/// `Display`) is part of the contract with the platform and never changes meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// A field of the connection form is wrong; the hint shows the corrected value.
    InvalidConfig,
    /// S3 says the bucket does not exist.
    BucketNotFound,
    /// The bucket is in another region than the connection says.
    RegionMismatch,
    /// Listing the schema prefix fails: denied to the platform's role (s3:ListBucket), or
    /// another S3 error no other code covers.
    ListAccessDenied,
    /// Listing works but reading objects is denied (s3:GetObject).
    ReadAccessDenied,
    /// Nothing exists under the schema prefix.
    PrefixNotFound,
    /// The schema prefix holds files but no table directory.
    NoTables,
    /// A data file directly under the schema prefix, outside any table directory.
    FileOutsideTable,
    /// A table directory with no data file.
    EmptyTable,
    /// Hidden or bookkeeping keys (`_SUCCESS`, `.crc`, `_temporary/`, folder markers), ignored.
    HiddenFile,
    /// Files that are not CSV, gzipped CSV or Parquet, ignored.
    UnsupportedFile,
    /// A table's files are not in the connection's data format.
    FormatMismatch,
    /// CSV and Parquet side by side, in one table or across the schema.
    MixedFormats,
    /// A table without partition directories while the connection says all are partitioned.
    TableNotPartitioned,
    /// Hive-style directories read as plain ones, since the connection says none are partitioned.
    PartitionsIgnored,
    /// A table's partition directories disagree (columns, order, depth, files beside them).
    PartitionMismatch,
    /// A `k=v` directory that cannot be a partition, or whose escapes are not UTF-8.
    InvalidPartition,
    /// Sampled files of one table have different columns or types.
    SchemaMismatch,
    /// A file whose schema cannot be read (empty, corrupt, misnamed), or a table with none.
    UnreadableFile,
    /// A key with `//`, `.` or `..` segments or control characters: skipped on its own.
    InvalidKey,
    /// A table directory named `k=v`: the schema prefix is probably one level too high.
    TableLooksLikePartition,
    /// A partition column that is also a column in the files: the path's value wins.
    PartitionColumnInFile,
    /// S3 kept answering with retryable errors (503 SlowDown, 500) after retries.
    S3Unavailable,
    /// Plain directories below a table's last partition level (`date=1/bucket_00001/p.csv`):
    /// their files belong to that partition (info).
    NestedDirectories,
    /// One partition column holds values that are probably the same but spelled differently
    /// (`01` and `1`, `2025-1-5` and `2025-01-05`): kept distinct, so queries split the
    /// partition (warning).
    EquivalentPartitionValues,
    /// A row of a data file that cannot be imported: a field count other than the table's,
    /// or a value that does not parse as its column's type (found when reading rows).
    BadRow,
    /// A data file whose columns differ from the table's (an extra or missing column, a
    /// Parquet column of another type): the file is never cast to fit.
    SchemaDrift,
    /// A data file that cannot be decoded past some point (a gzip member cut short, a
    /// corrupt Parquet page, a body that ended early).
    CorruptFile,
    /// No bytes of a table's sampled files can be read (a captured scenario without
    /// samples, or objects in an archive storage class): the table is kept with its
    /// partition columns and its schema is not inferred (info).
    SchemaUnknown,
    /// Tables were discovered from an S3 Inventory report instead of by listing: which
    /// report, of when, and what that means for objects written since (info).
    InventoryUsed,
    /// The S3 Inventory report the connector was told to discover from cannot be used:
    /// none found, denied, missing, of another bucket, corrupt or in ORC format.
    InventoryUnreadable,
    /// The S3 Inventory report is older than a weekly report would be (warning).
    InventoryStale,
}

impl Code {
    /// The code as the contract spells it (`list_access_denied`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidConfig => "invalid_config",
            Self::BucketNotFound => "bucket_not_found",
            Self::RegionMismatch => "region_mismatch",
            Self::ListAccessDenied => "list_access_denied",
            Self::ReadAccessDenied => "read_access_denied",
            Self::PrefixNotFound => "prefix_not_found",
            Self::NoTables => "no_tables",
            Self::FileOutsideTable => "file_outside_table",
            Self::EmptyTable => "empty_table",
            Self::HiddenFile => "hidden_file",
            Self::UnsupportedFile => "unsupported_file",
            Self::FormatMismatch => "format_mismatch",
            Self::MixedFormats => "mixed_formats",
            Self::TableNotPartitioned => "table_not_partitioned",
            Self::PartitionsIgnored => "partitions_ignored",
            Self::PartitionMismatch => "partition_mismatch",
            Self::InvalidPartition => "invalid_partition",
            Self::SchemaMismatch => "schema_mismatch",
            Self::UnreadableFile => "unreadable_file",
            Self::InvalidKey => "invalid_key",
            Self::TableLooksLikePartition => "table_looks_like_partition",
            Self::PartitionColumnInFile => "partition_column_in_file",
            Self::S3Unavailable => "s3_unavailable",
            Self::NestedDirectories => "nested_directories",
            Self::EquivalentPartitionValues => "equivalent_partition_values",
            Self::BadRow => "bad_row",
            Self::SchemaDrift => "schema_drift",
            Self::CorruptFile => "corrupt_file",
            Self::SchemaUnknown => "schema_unknown",
            Self::InventoryUsed => "inventory_used",
            Self::InventoryUnreadable => "inventory_unreadable",
            Self::InventoryStale => "inventory_stale",
        }
    }

    /// Every code, in declaration order (for validating code names elsewhere).
    pub const ALL: &[Code] = &[
        Self::InvalidConfig,
        Self::BucketNotFound,
        Self::RegionMismatch,
        Self::ListAccessDenied,
        Self::ReadAccessDenied,
        Self::PrefixNotFound,
        Self::NoTables,
        Self::FileOutsideTable,
        Self::EmptyTable,
        Self::HiddenFile,
        Self::UnsupportedFile,
        Self::FormatMismatch,
        Self::MixedFormats,
        Self::TableNotPartitioned,
        Self::PartitionsIgnored,
        Self::PartitionMismatch,
        Self::InvalidPartition,
        Self::SchemaMismatch,
        Self::UnreadableFile,
        Self::InvalidKey,
        Self::TableLooksLikePartition,
        Self::PartitionColumnInFile,
        Self::S3Unavailable,
        Self::NestedDirectories,
        Self::EquivalentPartitionValues,
        Self::BadRow,
        Self::SchemaDrift,
        Self::CorruptFile,
        Self::SchemaUnknown,
        Self::InventoryUsed,
        Self::InventoryUnreadable,
        Self::InventoryStale,
    ];
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a diagnostic matters, most severe first (reports list errors first); serialized
/// as `error`, `warning`, `info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The connection fails, or a table is not imported.
    Error,
    /// Something is skipped or guessed; the rest goes on.
    Warning,
    /// Worth knowing; nothing is lost.
    Info,
}

/// One finding about a connection, for the person setting it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// What kind of finding, stable across releases.
    pub code: Code,
    /// Whether it fails the connection, skips something, or is only worth knowing.
    pub severity: Severity,
    /// What it is about: a field, a key, a table prefix.
    pub subject: String,
    /// What was found, in a sentence naming the objects involved.
    pub message: String,
    /// What to change; empty when there is nothing to do.
    pub hint: String,
}

impl Diagnostic {
    /// A diagnostic without a hint yet.
    pub(crate) fn new(code: Code, severity: Severity, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            severity,
            subject: subject.into(),
            message: message.into(),
            hint: String::new(),
        }
    }

    /// An [`Severity::Error`] diagnostic.
    pub(crate) fn error(code: Code, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, subject, message)
    }

    /// A [`Severity::Warning`] diagnostic.
    pub(crate) fn warning(code: Code, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, subject, message)
    }

    /// A [`Severity::Info`] diagnostic.
    pub(crate) fn info(code: Code, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, subject, message)
    }

    /// The same diagnostic with `hint` as what to change.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The position of `code` in [`Code::ALL`]; an exhaustive match, so a new variant does
    /// not compile until it is listed here (and, by the test below, in `ALL`).
    fn index(code: Code) -> usize {
        match code {
            Code::InvalidConfig => 0,
            Code::BucketNotFound => 1,
            Code::RegionMismatch => 2,
            Code::ListAccessDenied => 3,
            Code::ReadAccessDenied => 4,
            Code::PrefixNotFound => 5,
            Code::NoTables => 6,
            Code::FileOutsideTable => 7,
            Code::EmptyTable => 8,
            Code::HiddenFile => 9,
            Code::UnsupportedFile => 10,
            Code::FormatMismatch => 11,
            Code::MixedFormats => 12,
            Code::TableNotPartitioned => 13,
            Code::PartitionsIgnored => 14,
            Code::PartitionMismatch => 15,
            Code::InvalidPartition => 16,
            Code::SchemaMismatch => 17,
            Code::UnreadableFile => 18,
            Code::InvalidKey => 19,
            Code::TableLooksLikePartition => 20,
            Code::PartitionColumnInFile => 21,
            Code::S3Unavailable => 22,
            Code::NestedDirectories => 23,
            Code::EquivalentPartitionValues => 24,
            Code::BadRow => 25,
            Code::SchemaDrift => 26,
            Code::CorruptFile => 27,
            Code::SchemaUnknown => 28,
            Code::InventoryUsed => 29,
            Code::InventoryUnreadable => 30,
            Code::InventoryStale => 31,
        }
    }

    #[test]
    fn all_lists_every_code_once_and_as_str_is_the_serde_name() {
        for (i, code) in Code::ALL.iter().enumerate() {
            assert_eq!(index(*code), i, "{code:?}");
            let json = serde_json::to_string(code).expect("serializes");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: Code = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, *code);
        }
        // `index` maps the variants onto 0..=31, so ALL holds each of them exactly once.
        assert_eq!(Code::ALL.len(), index(Code::InventoryStale) + 1);
        assert_eq!(Code::SchemaUnknown.as_str(), "schema_unknown");
        assert_eq!(Code::BadRow.as_str(), "bad_row");
        let names: std::collections::BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len());
        assert_eq!(Code::NestedDirectories.as_str(), "nested_directories");
        assert_eq!(
            Code::EquivalentPartitionValues.to_string(),
            "equivalent_partition_values"
        );
    }
}
