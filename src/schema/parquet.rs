//! Parquet schemas from the footer alone.
//!
//! A Parquet file ends with its metadata (a Thrift compact-encoded `FileMetaData`), the
//! metadata's length as a 4-byte little-endian integer, and the magic `PAR1`; it also starts
//! with `PAR1` (<https://parquet.apache.org/docs/file-format/>):
//!
//! ```text
//! PAR1 | column chunks ... | FileMetaData (len bytes) | len (u32 LE) | PAR1
//! ```
//!
//! So the schema, row count and row groups can be read from the end of the file without
//! touching the data. Two fetch strategies work with these functions:
//!
//! * two ranged GETs: the last 8 bytes, [`footer_len`], then the last `footer_len + 8` bytes
//!   (see [`tail_fetch_len`]) for [`parse_footer`];
//! * one speculative GET of the last [`SPECULATIVE_TAIL_LEN`] bytes (or the whole file when
//!   smaller), handed straight to [`parse_footer`], which answers
//!   [`Error::NeedMoreBytes`] in the rare case the footer is longer; then one more GET.
//!   This is what parquet-rs itself does with a prefetch hint, and it saves a round trip
//!   for almost every file.
//!
//! Decoding is done by parquet-rs (`ParquetMetaDataReader::decode_metadata`, then
//! `parquet_to_arrow_schema`, which also honours an embedded `ARROW:schema` hint, falling back
//! to the plain Parquet schema when that hint is unusable); this module
//! only frames the bytes, bounds what it will accept, and maps types to the connector's
//! vocabulary.

use ::parquet::arrow::parquet_to_arrow_schema;
use ::parquet::file::metadata::ParquetMetaDataReader;
use arrow_schema::DataType as ArrowType;
use serde::{Deserialize, Serialize};

use super::{Column, DataType, PARQUET_MAGIC};
use crate::error::Error;

/// Length of the fixed tail: metadata length (4 bytes) + magic (4 bytes).
const FOOTER_TAIL_LEN: usize = 8;

/// Magic of a file whose footer is encrypted (Parquet modular encryption).
const ENCRYPTED_MAGIC: &[u8; 4] = b"PARE";

/// The largest metadata we agree to fetch and decode. Footers grow with columns × row
/// groups; 16 MiB covers thousands of columns over thousands of row groups, and anything
/// larger is more likely a damaged length than a real footer.
pub(crate) const MAX_FOOTER_LEN: u32 = 16 * 1024 * 1024;

/// A tail size that holds the whole footer of most files in one GET.
pub const SPECULATIVE_TAIL_LEN: u64 = 64 * 1024;

/// What the footer says about the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParquetSchema {
    /// Top-level columns; nested types keep Arrow's lower-cased name (`struct<...>`, `list<...>`).
    pub columns: Vec<Column>,
    /// Rows in the file, as the footer counts them.
    pub num_rows: i64,
    /// Row groups in the file.
    pub row_groups: usize,
}

/// A footer that cannot be decoded or contradicts the file.
fn corrupt(message: String) -> Error {
    Error::CorruptParquet { message }
}

/// The metadata length stored in the last 8 bytes of a Parquet file.
///
/// `tail8` is normally exactly the last 8 bytes; a longer slice is accepted and its last 8
/// bytes are used. Fewer than 8 bytes, or a wrong magic, is [`Error::NotParquet`].
pub fn footer_len(tail8: &[u8]) -> Result<u32, Error> {
    let Some(start) = tail8.len().checked_sub(FOOTER_TAIL_LEN) else {
        return Err(Error::NotParquet);
    };
    let (len, magic) = tail8[start..].split_at(4);
    if magic == ENCRYPTED_MAGIC {
        return Err(Error::EncryptedParquet);
    }
    if magic != PARQUET_MAGIC {
        return Err(Error::NotParquet);
    }
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]);
    if len > MAX_FOOTER_LEN {
        return Err(Error::ParquetFooterTooLarge { len });
    }
    Ok(len)
}

/// How many bytes from the end of the file [`parse_footer`] needs, given [`footer_len`].
pub fn tail_fetch_len(footer_len: u32) -> u64 {
    u64::from(footer_len) + FOOTER_TAIL_LEN as u64
}

/// Decodes the footer at the end of `tail`, the last `tail.len()` bytes of a file of
/// `file_size` bytes.
///
/// `tail` must hold at least the last `footer_len + 8` bytes; with less, the answer is
/// [`Error::NeedMoreBytes`] naming how many to fetch. Extra leading bytes are ignored.
pub fn parse_footer(tail: &[u8], file_size: u64) -> Result<ParquetSchema, Error> {
    // The smallest conceivable file: leading magic + empty metadata + length + magic.
    if file_size < (PARQUET_MAGIC.len() + FOOTER_TAIL_LEN) as u64 {
        return Err(Error::NotParquet);
    }
    if tail.len() as u64 > file_size {
        return Err(corrupt(format!(
            "{} tail bytes given for a {file_size}-byte file",
            tail.len()
        )));
    }
    if tail.len() < FOOTER_TAIL_LEN {
        return Err(Error::NeedMoreBytes {
            needed: FOOTER_TAIL_LEN as u64,
        });
    }
    let len = footer_len(tail)?;
    let needed = tail_fetch_len(len);
    // The metadata must also leave room for the leading magic.
    if needed + PARQUET_MAGIC.len() as u64 > file_size {
        return Err(corrupt(format!(
            "footer length {len} does not fit in a {file_size}-byte file"
        )));
    }
    let Ok(needed_usize) = usize::try_from(needed) else {
        return Err(Error::ParquetFooterTooLarge { len });
    };
    let Some(start) = tail.len().checked_sub(needed_usize) else {
        return Err(Error::NeedMoreBytes { needed });
    };
    let metadata_bytes = &tail[start..tail.len() - FOOTER_TAIL_LEN];

    let metadata =
        ParquetMetaDataReader::decode_metadata(metadata_bytes).map_err(|e| corrupt(format!("metadata: {e}")))?;
    let file_metadata = metadata.file_metadata();
    let num_rows = file_metadata.num_rows();
    if num_rows < 0 {
        return Err(corrupt(format!("negative row count {num_rows}")));
    }
    // The Parquet schema is authoritative; an embedded `ARROW:schema` (written by Arrow-based
    // writers) only refines it (e.g. `LargeUtf8`, time zones). A damaged or incompatible hint
    // should not make an otherwise readable file unreadable, so retry without it.
    let arrow = parquet_to_arrow_schema(file_metadata.schema_descr(), file_metadata.key_value_metadata())
        .or_else(|_| parquet_to_arrow_schema(file_metadata.schema_descr(), None))
        .map_err(|e| corrupt(format!("schema: {e}")))?;
    let columns = arrow
        .fields()
        .iter()
        .map(|f| Column::new(f.name().clone(), from_arrow(f.data_type())))
        .collect();
    Ok(ParquetSchema {
        columns,
        num_rows,
        row_groups: metadata.num_row_groups(),
    })
}

/// An Arrow type in the connector's vocabulary.
pub(crate) fn from_arrow(arrow: &ArrowType) -> DataType {
    match arrow {
        ArrowType::Int64 => DataType::Int64,
        ArrowType::Float64 => DataType::Float64,
        ArrowType::Boolean => DataType::Boolean,
        // Date64 is milliseconds since the epoch but still a calendar date.
        ArrowType::Date32 | ArrowType::Date64 => DataType::Date,
        // Unit and time zone are lost here on purpose: the vocabulary has one timestamp type.
        ArrowType::Timestamp(..) => DataType::Timestamp,
        ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View => DataType::String,
        other => DataType::from(other.to_string().to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::{Field, TimeUnit};
    use std::sync::Arc;

    #[test]
    fn footer_len_reads_little_endian_length() {
        assert_eq!(footer_len(b"\x1c\x00\x00\x00PAR1"), Ok(28));
        assert_eq!(footer_len(b"junk\x00\x01\x00\x00PAR1"), Ok(256));
        assert_eq!(footer_len(b"\x1c\x00\x00\x00PAR2"), Err(Error::NotParquet));
        assert_eq!(footer_len(b"PAR1"), Err(Error::NotParquet));
        assert_eq!(footer_len(b"\x1c\x00\x00\x00PARE"), Err(Error::EncryptedParquet));
        assert_eq!(
            footer_len(b"\xff\xff\xff\xffPAR1"),
            Err(Error::ParquetFooterTooLarge { len: u32::MAX })
        );
    }

    #[test]
    fn parse_footer_framing() {
        // Too small to be Parquet at all.
        assert_eq!(parse_footer(b"PAR1PAR1", 8), Err(Error::NotParquet));
        // Length says 100 bytes but only 8 were given.
        assert_eq!(
            parse_footer(b"\x64\x00\x00\x00PAR1", 1000),
            Err(Error::NeedMoreBytes { needed: 108 })
        );
        // Length larger than the file.
        assert!(matches!(
            parse_footer(b"\x64\x00\x00\x00PAR1", 50),
            Err(Error::CorruptParquet { .. })
        ));
        // Tail longer than the file.
        assert!(matches!(parse_footer(&[0; 20], 12), Err(Error::CorruptParquet { .. })));
        // Garbage metadata.
        let mut tail = vec![0xff; 16];
        tail.extend_from_slice(b"\x10\x00\x00\x00PAR1");
        assert!(matches!(parse_footer(&tail, 1000), Err(Error::CorruptParquet { .. })));
    }

    #[test]
    fn arrow_types() {
        assert_eq!(from_arrow(&ArrowType::Int64), DataType::Int64);
        assert_eq!(from_arrow(&ArrowType::Date64), DataType::Date);
        assert_eq!(
            from_arrow(&ArrowType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))),
            DataType::Timestamp
        );
        assert_eq!(from_arrow(&ArrowType::LargeUtf8), DataType::String);
        assert_eq!(from_arrow(&ArrowType::Int32), DataType::Other("int32".into()));
        assert_eq!(from_arrow(&ArrowType::Decimal128(10, 2)).as_str(), "decimal128(10, 2)");
        let list = ArrowType::List(Arc::new(Field::new("item", ArrowType::Int64, true)));
        assert!(from_arrow(&list).as_str().starts_with("list("), "{}", from_arrow(&list));
    }
}
