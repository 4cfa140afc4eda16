//! Table schemas: columns and their types, inferred from CSV samples and Parquet footers.
//!
//! Both inferences are pure: the caller fetches the bytes (the first bytes of a CSV object,
//! the last bytes of a Parquet file) and hands them over.

pub mod csv;
pub(crate) mod data_type;
pub mod parquet;

use serde::{Deserialize, Serialize};

pub use self::csv::{CsvSample, CsvSchema, LineEnding, infer_csv};
pub use self::data_type::DataType;
pub use self::parquet::{ParquetSchema, footer_len, parse_footer};

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Column {
    /// The column name: a CSV header cell (trimmed), `column_N`, a Parquet field name or a
    /// partition key.
    pub name: String,
    /// The column's type; serialized as `type`, by name (`"int64"`).
    #[serde(rename = "type")]
    pub data_type: DataType,
}

impl Column {
    /// A column named `name`; `data_type` may be a [`DataType`] or its name.
    pub fn new(name: impl Into<String>, data_type: impl Into<DataType>) -> Self {
        Self {
            name: name.into(),
            data_type: data_type.into(),
        }
    }
}

/// The 4-byte magic that opens and closes every Parquet file
/// (<https://parquet.apache.org/docs/file-format/>).
pub(crate) const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

/// The two ID bytes that open every gzip member (RFC 1952, section 2.3.1).
const GZIP_MAGIC: &[u8; 2] = &[0x1f, 0x8b];

/// Whether `head` (the first bytes of an object) starts with the Parquet magic `PAR1`.
///
/// Lets the caller spot a Parquet file whatever its name (`.csv`, `.gz`, no extension)
/// from the first ranged GET, before choosing an inference path.
pub fn is_parquet_magic(head: &[u8]) -> bool {
    head.starts_with(PARQUET_MAGIC)
}

/// Whether `head` starts with the gzip magic `1f 8b`, whatever the object is named.
pub fn is_gzip_magic(head: &[u8]) -> bool {
    head.starts_with(GZIP_MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magics() {
        assert!(is_parquet_magic(b"PAR1\x15\x04"));
        assert!(!is_parquet_magic(b"PAR"));
        assert!(!is_parquet_magic(b"par1"));
        assert!(is_gzip_magic(&[0x1f, 0x8b, 0x08]));
        assert!(!is_gzip_magic(&[0x1f]));
        assert!(!is_gzip_magic(b""));
    }
}
