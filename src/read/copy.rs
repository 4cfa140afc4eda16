//! Parquet row groups handed to a Parquet writer as they are stored, instead of as rows.
//!
//! A writer of Parquet (an import) spends most of its time encoding and compressing rows
//! that a Parquet source already holds encoded and compressed. When a file's columns are
//! stored exactly as the writer would declare them (the same Parquet column descriptors:
//! physical and logical type, repetition, levels), its column chunks can be spliced into
//! the output unchanged. Every row group is still decoded in full first, so a page that
//! does not decode is reported where it is, exactly as a read of rows reports it, and a
//! row group is handed over only once all of it has decoded.

use std::ops::Range;
use std::sync::Arc;

use arrow_array::RecordBatch;
use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, RowGroupMetaData};
use parquet::file::reader::{ChunkReader, Length};
use tokio::sync::OwnedSemaphorePermit;

/// Byte runs of one object, fetched once and read from memory after.
#[derive(Debug, Clone)]
pub struct HeldChunks {
    /// (offset in the object, bytes), by offset.
    runs: Arc<Vec<(u64, Bytes)>>,
    /// The object's size.
    size: u64,
}

impl HeldChunks {
    pub(crate) fn new(mut runs: Vec<(u64, Bytes)>, size: u64) -> Self {
        runs.sort_by_key(|(start, _)| *start);
        Self {
            runs: Arc::new(runs),
            size,
        }
    }

    /// `range` of the object, when one run holds all of it.
    fn slice(&self, range: Range<u64>) -> Result<Bytes, ParquetError> {
        if range.start >= range.end {
            return Ok(Bytes::new());
        }
        self.runs
            .iter()
            .find(|(start, bytes)| *start <= range.start && range.end <= *start + bytes.len() as u64)
            .map(|(start, bytes)| bytes.slice((range.start - start) as usize..(range.end - start) as usize))
            .ok_or_else(|| {
                if range.end > self.size {
                    ParquetError::EOF(format!(
                        "{} bytes asked at {}, the object ends at {}",
                        range.end - range.start,
                        range.start,
                        self.size
                    ))
                } else {
                    ParquetError::General(format!("bytes {range:?} were not fetched"))
                }
            })
    }
}

impl Length for HeldChunks {
    fn len(&self) -> u64 {
        self.size
    }
}

impl ChunkReader for HeldChunks {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        use bytes::Buf;
        let (run_start, bytes) = self
            .runs
            .iter()
            .find(|(s, b)| *s <= start && start < *s + b.len() as u64)
            .ok_or_else(|| ParquetError::General(format!("no fetched bytes at {start}")))?;
        Ok(bytes.slice((start - run_start) as usize..).reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.slice(start..start + length as u64)
    }
}

/// A row group of a Parquet file, decoded in full without a problem, whose file columns
/// a Parquet writer of the table's schema can splice unchanged.
///
/// Holds its share of the read's memory budget until dropped.
#[derive(Debug)]
pub struct CopiedRowGroup {
    /// The object key.
    pub file: String,
    /// Its rows.
    pub rows: u64,
    /// The partition columns of the table, for [`Self::rows`] rows (the file columns are
    /// the chunks).
    pub partition: RecordBatch,
    pub(crate) metadata: Arc<ParquetMetaData>,
    pub(crate) group: usize,
    /// The file's leaf column holding each of the table's file columns, in table order.
    pub(crate) columns: Vec<usize>,
    pub(crate) chunks: HeldChunks,
    pub(crate) _budget: Option<OwnedSemaphorePermit>,
}

impl CopiedRowGroup {
    /// The row group's metadata in its file.
    pub fn metadata(&self) -> &RowGroupMetaData {
        self.metadata.row_group(self.group)
    }

    /// For each of the table's file columns, in table order, the index of the column chunk
    /// in [`Self::metadata`] holding it.
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// The bytes of the column chunks, at their offsets in the file.
    pub fn chunks(&self) -> &HeldChunks {
        &self.chunks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_bytes_are_sliced_and_a_range_past_the_object_says_where_it_ends() {
        let chunks = HeldChunks::new(vec![(100, Bytes::from_static(b"0123456789"))], 110);
        assert_eq!(chunks.get_bytes(102, 3).ok(), Some(Bytes::from_static(b"234")));
        let past = chunks.get_bytes(105, 10).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(
            past,
            Err("EOF: 10 bytes asked at 105, the object ends at 110".to_owned())
        );
        let elsewhere = chunks.get_bytes(0, 10).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(elsewhere, Err("Parquet error: bytes 0..10 were not fetched".to_owned()));
    }
}
