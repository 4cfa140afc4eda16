//! Diagnostics: what the connector found wrong, or worth knowing, about a connection.
//!
//! Each has a stable code, a severity, a subject, a message and a hint that says what to
//! change (CONTRACTS section 3).

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
        }
    }
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
