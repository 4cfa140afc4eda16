//! Diagnostics: what is wrong (or worth knowing) about a connection or a layout, with
//! a stable code, a subject, a message and a hint that says what to change
//! (CONTRACTS section 3).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Stable snake_case codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    InvalidConfig,
    BucketNotFound,
    RegionMismatch,
    ListAccessDenied,
    ReadAccessDenied,
    PrefixNotFound,
    NoTables,
    FileOutsideTable,
    EmptyTable,
    HiddenFile,
    UnsupportedFile,
    FormatMismatch,
    MixedFormats,
    TableNotPartitioned,
    PartitionsIgnored,
    PartitionMismatch,
    InvalidPartition,
    SchemaMismatch,
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

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// What it is about: a field, a key, a table prefix.
    pub subject: String,
    pub message: String,
    /// What to change.
    pub hint: String,
}

impl Diagnostic {
    pub fn new(code: Code, severity: Severity, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            severity,
            subject: subject.into(),
            message: message.into(),
            hint: String::new(),
        }
    }

    pub fn error(code: Code, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, subject, message)
    }

    pub fn warning(code: Code, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, subject, message)
    }

    pub fn info(code: Code, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, subject, message)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }
}
