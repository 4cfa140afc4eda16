//! `Error`: why one of the crate's fallible public functions failed.

use crate::diagnostic::Diagnostic;
use crate::schema::parquet::MAX_FOOTER_LEN;

/// Why one of the crate's fallible public functions failed, by what went wrong rather than by
/// which module noticed. The messages are the ones the connector's diagnostics quote.
///
/// What the connector finds about a bucket (access denied, a table not imported, ...) is not
/// an `Error` but a [`Diagnostic`] in its report: connecting always produces a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection form has problems, one diagnostic each (field, message, and the
    /// corrected value in the hint), in field order.
    #[error("the connection form is invalid: {}", summarize(diagnostics))]
    InvalidConfig {
        /// One `invalid_config` diagnostic per problem.
        diagnostics: Vec<Diagnostic>,
    },
    /// A bucket name that breaks S3's naming rules.
    #[error("bucket name `{name}` {reason}")]
    InvalidBucketName {
        /// The name as given.
        name: String,
        /// The rule it breaks, as the end of a sentence (`must not contain two adjacent dots`).
        reason: String,
    },
    /// Not an AWS account id.
    #[error("`{account}` is not an AWS account id; expected exactly 12 digits, like \"111122223333\"")]
    InvalidAccountId {
        /// The value as given.
        account: String,
    },
    /// A value that is not one of an enumeration's spellings (a data format, a partitioning).
    #[error("`{value}` is not a valid {what}; expected one of: {expected}")]
    UnknownValue {
        /// What the value should have named (`data format`).
        what: &'static str,
        /// The value as given.
        value: String,
        /// The accepted spellings, comma-separated.
        expected: &'static str,
    },
    /// Percent-decoding a partition key or value gave bytes that are not UTF-8 (`%FF`).
    #[error("percent-decoding gives bytes that are not UTF-8")]
    NotUtf8 {
        /// The decoded bytes.
        bytes: Vec<u8>,
    },
    /// The CSV sample holds nothing but whitespace.
    #[error("object is empty")]
    EmptyObject,
    /// The CSV sample is not text: a known binary format, NUL bytes, or too many control bytes.
    #[error("object is not CSV text: {what}")]
    NotText {
        /// What it looks like instead (`Parquet data (PAR1 magic)`).
        what: String,
    },
    /// The sample is said to be gzip-compressed but does not start with gzip's magic bytes.
    #[error("object is flagged as gzip but does not start with the gzip magic 1f 8b")]
    NotGzip,
    /// The gzip stream decodes to nothing at all.
    #[error("gzip data is corrupt: {message}")]
    CorruptGzip {
        /// The decoder's message.
        message: String,
    },
    /// The sample is a prefix of the object and its first record does not end within it.
    #[error("the sample ({sample_len} bytes) ends before the first record does")]
    NoCompleteRow {
        /// The sample's length after decompression and BOM removal.
        sample_len: usize,
    },
    /// The file does not end with Parquet's `PAR1` magic (or is too small to be Parquet).
    #[error("not a Parquet file (no PAR1 magic at the end)")]
    NotParquet,
    /// The Parquet footer is encrypted (`PARE` magic).
    #[error("Parquet file has an encrypted footer (PARE magic); its schema cannot be read without the key")]
    EncryptedParquet,
    /// The Parquet footer claims more bytes than the connector agrees to read.
    #[error("Parquet footer is {len} bytes, more than the {MAX_FOOTER_LEN}-byte limit")]
    ParquetFooterTooLarge {
        /// The footer length the file claims.
        len: u32,
    },
    /// The bytes given end before the Parquet footer starts: read the last `needed` bytes of
    /// the file and try again.
    #[error("the last {needed} bytes of the file are needed to read the Parquet footer")]
    NeedMoreBytes {
        /// Bytes from the end of the file that hold the whole footer.
        needed: u64,
    },
    /// The Parquet footer cannot be decoded, or contradicts the file's size.
    #[error("Parquet footer is corrupt: {message}")]
    CorruptParquet {
        /// What is wrong with it.
        message: String,
    },
}

/// Each problem as `field: message`, for one line.
fn summarize(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.subject, d.message))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

    #[test]
    fn messages_read_as_sentences() {
        let e = crate::names::validate_bucket_name("ac..me").unwrap_err();
        assert_eq!(e.to_string(), "bucket name `ac..me` must not contain two adjacent dots");
        let e = crate::names::validate_account_id("1234").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`1234` is not an AWS account id; expected exactly 12 digits, like \"111122223333\""
        );
        assert_eq!(
            Error::ParquetFooterTooLarge { len: u32::MAX }.to_string(),
            "Parquet footer is 4294967295 bytes, more than the 16777216-byte limit"
        );
        let e = "xml".parse::<crate::config::DataFormat>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "`xml` is not a valid data format; expected one of: parquet, csv"
        );
        let e = Error::InvalidConfig {
            diagnostics: vec![
                Diagnostic::error(Code::InvalidConfig, "name", "the connection name is empty"),
                Diagnostic::error(Code::InvalidConfig, "region", "`mars-1` is not a supported AWS region"),
            ],
        };
        assert_eq!(
            e.to_string(),
            "the connection form is invalid: name: the connection name is empty; region: `mars-1` is not a supported AWS region"
        );
    }
}
