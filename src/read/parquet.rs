//! Parquet files through ranged GETs: the footer once per file, then the projected column
//! chunks of each row group. A file whose columns differ in name or type from the table's
//! (the first file's) is reported as a whole, never cast.

use std::ops::Range;
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_schema::Field;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::arrow::async_reader::{AsyncFileReader, ParquetRecordBatchStream, ParquetRecordBatchStreamBuilder};
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader, RowGroupMetaData};

use super::copy::{CopiedRowGroup, HeldChunks, HeldReader};
use super::{Context, Event, Location, Problem, ReadError};
use crate::diagnostic::Code;
use crate::layout::tables::DataFile;
use crate::s3::S3Client;
use crate::schema::Column;
use crate::schema::parquet::from_arrow;

/// Footer bytes asked for in the first ranged GET: most footers fit, so one request reads
/// the length and the metadata.
const FOOTER_PREFETCH: usize = 64 * 1024;

/// Ranges at most this far apart are read by one GET: the column chunks of a row group lie
/// side by side, and one request costs more than reading a few bytes too many.
const COALESCE_GAP: u64 = 1024 * 1024;

/// The ranges of `ranges` merged into runs no more than [`COALESCE_GAP`] apart, in order.
fn coalesce(ranges: &[Range<u64>]) -> Vec<Range<u64>> {
    let mut sorted: Vec<Range<u64>> = ranges.iter().filter(|r| r.start < r.end).cloned().collect();
    sorted.sort_by_key(|r| r.start);
    let mut runs: Vec<Range<u64>> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match runs.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(COALESCE_GAP) => last.end = last.end.max(r.end),
            _ => runs.push(r),
        }
    }
    runs
}

/// Rows decoded at a time when a row group is only checked (its rows are copied): more
/// than a read's batches, as nothing waits for them (an import of 4.3M rows, all copied,
/// took 0.39-0.43 s checked in batches of 65,536 against 0.44-0.54 s in batches of 8,192,
/// `rows_vs_clients -- --serve`, runs interleaved)...
const CHECK_BATCH_ROWS: usize = 65_536;

/// ...but no more than about this many bytes decoded at once, for wide rows.
const CHECK_BATCH_BYTES: u64 = 8 * 1024 * 1024;

/// The rows a check of `group` decodes at a time: [`CHECK_BATCH_ROWS`], fewer when its
/// rows are wide, never fewer than a read's `batch_rows`.
fn check_batch_rows(group: &RowGroupMetaData, batch_rows: usize) -> usize {
    let rows = u64::try_from(group.num_rows()).unwrap_or(0).max(1);
    let row_bytes = (u64::try_from(group.total_byte_size()).unwrap_or(0) / rows).max(1);
    let fit = usize::try_from(CHECK_BATCH_BYTES / row_bytes).unwrap_or(usize::MAX);
    fit.min(CHECK_BATCH_ROWS).max(batch_rows)
}

/// One object read by ranged GETs on the connector's client.
pub(crate) struct S3FileReader {
    s3: S3Client,
    bucket: String,
    key: String,
    size: u64,
}

impl AsyncFileReader for S3FileReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        Box::pin(async move {
            if range.start >= range.end {
                return Ok(Bytes::new());
            }
            let header = format!("bytes={}-{}", range.start, range.end - 1);
            self.s3
                .get_range(&self.bucket, &self.key, &header)
                .await
                .map_err(|e| ParquetError::External(Box::new(e)))
        })
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        Box::pin(async move {
            let runs = coalesce(&ranges);
            let this = &*self;
            let fetched = futures::future::try_join_all(runs.iter().map(|run| {
                let header = format!("bytes={}-{}", run.start, run.end - 1);
                async move {
                    this.s3
                        .get_range(&this.bucket, &this.key, &header)
                        .await
                        .map_err(|e| ParquetError::External(Box::new(e)))
                }
            }))
            .await?;
            ranges
                .iter()
                .map(|r| {
                    if r.start >= r.end {
                        return Ok(Bytes::new());
                    }
                    let (run, bytes) = runs
                        .iter()
                        .zip(&fetched)
                        .find(|(run, _)| run.start <= r.start && r.end <= run.end)
                        .ok_or_else(|| ParquetError::General(format!("range {r:?} was not fetched")))?;
                    let (start, end) = ((r.start - run.start) as usize, (r.end - run.start) as usize);
                    if end > bytes.len() {
                        return Err(ParquetError::EOF(format!(
                            "`{}`: {} bytes asked at {}, the object ends first",
                            this.key,
                            r.end - r.start,
                            r.start
                        )));
                    }
                    Ok(bytes.slice(start..end))
                })
                .collect()
        })
    }

    fn get_metadata<'a>(
        &'a mut self,
        _options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        Box::pin(async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new()
                .with_prefetch_hint(Some(FOOTER_PREFETCH))
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        })
    }
}

fn reader(s3: &S3Client, bucket: &str, file: &DataFile) -> S3FileReader {
    S3FileReader {
        s3: s3.clone(),
        bucket: bucket.to_owned(),
        key: file.key.clone(),
        size: file.size,
    }
}

fn open_failed(key: &str, e: &ParquetError) -> ReadError {
    match e {
        ParquetError::External(inner) => ReadError::S3 {
            key: key.to_owned(),
            message: inner.to_string(),
        },
        other => ReadError::Problem(Box::new(Problem {
            code: Code::CorruptFile,
            file: key.to_owned(),
            location: Location::File,
            column: None,
            value: None,
            reason: format!("the Parquet footer cannot be read: {other}"),
            rows: 0,
        })),
    }
}

/// The table's file fields, with the Arrow types of the first file (whose footer is kept
/// for its own read).
pub(super) async fn reference_fields(
    s3: &S3Client,
    bucket: &str,
    first: &DataFile,
    columns: &[Column],
) -> Result<(Vec<Field>, ArrowReaderMetadata), ReadError> {
    let mut r = reader(s3, bucket, first);
    let metadata = ArrowReaderMetadata::load_async(&mut r, ArrowReaderOptions::new())
        .await
        .map_err(|e| open_failed(&first.key, &e))?;
    let schema = metadata.schema();
    let fields = columns
        .iter()
        .map(|c| match schema.field_with_name(&c.name) {
            Ok(f) => Field::new(&c.name, f.data_type().clone(), true),
            Err(_) => Field::new(&c.name, super::values::arrow_type(&c.data_type), true),
        })
        .collect();
    Ok((fields, metadata))
}

/// The events of one Parquet file; `metadata` when its footer was already read.
pub(super) fn events(
    ctx: Arc<Context>,
    file: DataFile,
    metadata: Option<ArrowReaderMetadata>,
) -> BoxStream<'static, Event> {
    stream::once(async move {
        let mut r = reader(&ctx.s3, &ctx.bucket, &file);
        let metadata = match metadata {
            Some(m) => m,
            None => match ArrowReaderMetadata::load_async(&mut r, ArrowReaderOptions::new()).await {
                Ok(m) => m,
                Err(e) => return stream::iter([Event::Failed(open_failed(&file.key, &e))]).boxed(),
            },
        };
        let total_rows = u64::try_from(metadata.metadata().file_metadata().num_rows()).unwrap_or(0);
        let indices = match projection(&ctx, &metadata) {
            Ok(indices) => indices,
            Err((column, reason)) => {
                return stream::iter([Event::Problem(Problem {
                    code: Code::SchemaDrift,
                    file: file.key.clone(),
                    location: Location::File,
                    column,
                    value: None,
                    reason,
                    rows: total_rows,
                })])
                .boxed();
            }
        };
        if let Some(leaves) = copy_leaves(&ctx, &metadata, &indices) {
            return copy_events(ctx, file, metadata, indices, leaves, total_rows);
        }
        // Row group boundaries, to say where a decoding error happened.
        let group_rows = group_rows(&metadata);
        let mask = ProjectionMask::roots(metadata.parquet_schema(), indices.iter().copied());
        let batches = match ParquetRecordBatchStreamBuilder::new_with_metadata(r, metadata)
            .with_projection(mask)
            .with_batch_size(ctx.batch_rows)
            .build()
        {
            Ok(s) => s,
            Err(e) => return stream::iter([Event::Failed(open_failed(&file.key, &e))]).boxed(),
        };
        batch_events(ctx, file, batches, &indices, group_rows, total_rows, 0)
    })
    .flatten()
    .boxed()
}

/// The events of `batches`, a decoding of `file` that starts `read` rows into it: each
/// batch in table order with its partition columns, and where a decoding error happened.
fn batch_events<R: AsyncFileReader + Unpin + Send + 'static>(
    ctx: Arc<Context>,
    file: DataFile,
    batches: ParquetRecordBatchStream<R>,
    indices: &[usize],
    group_rows: Vec<u64>,
    total_rows: u64,
    read: u64,
) -> BoxStream<'static, Event> {
    // The projection keeps file order; the table's order is by `indices`' ranks.
    let mut order: Vec<usize> = (0..indices.len()).collect();
    order.sort_by_key(|&i| indices[i]);
    let mut rank = vec![0; indices.len()];
    for (sorted_pos, &table_pos) in order.iter().enumerate() {
        rank[table_pos] = sorted_pos;
    }
    stream::unfold(Some((batches, read)), move |state| {
        let ctx = ctx.clone();
        let file = file.clone();
        let rank = rank.clone();
        let group_rows = group_rows.clone();
        async move {
            let (mut batches, read) = state?;
            match batches.next().await? {
                Ok(batch) => {
                    let rows = batch.num_rows();
                    let columns: Vec<ArrayRef> = rank.iter().map(|&r| batch.column(r).clone()).collect();
                    match ctx.finish_batch(&file, columns, rows) {
                        Ok(b) => Some((Event::Batch(ctx.hold(b).await), Some((batches, read + rows as u64)))),
                        Err(e) => Some((Event::Failed(e), None)),
                    }
                }
                Err(ParquetError::External(inner)) => Some((
                    Event::Failed(ReadError::S3 {
                        key: file.key.clone(),
                        message: inner.to_string(),
                    }),
                    None,
                )),
                Err(e) => Some((undecodable(&file, &group_rows, read, total_rows, &e), None)),
            }
        }
    })
    .boxed()
}

/// A file that cannot be decoded past its `read`th row: the rest of its rows are lost.
fn undecodable(file: &DataFile, group_rows: &[u64], read: u64, total_rows: u64, e: &ParquetError) -> Event {
    let (row_group, row) = locate(group_rows, read);
    Event::Problem(Problem {
        code: Code::CorruptFile,
        file: file.key.clone(),
        location: Location::Row { row_group, row },
        column: None,
        value: None,
        reason: format!("cannot be decoded further: {e}"),
        rows: total_rows.saturating_sub(read),
    })
}

/// With [`super::ReadOptions::copy_row_groups`]: for each of the table's file columns (at
/// `indices` in the file), the file's leaf column holding it, when every one is stored as
/// the table's writer would store it; otherwise the file is read as rows.
fn copy_leaves(ctx: &Context, metadata: &ArrowReaderMetadata, indices: &[usize]) -> Option<Vec<usize>> {
    let want = ctx.copy_as.as_ref()?;
    let descr = metadata.parquet_schema();
    if want.num_columns() != indices.len() {
        return None;
    }
    indices
        .iter()
        .enumerate()
        .map(|(i, &root)| {
            let mut leaves = (0..descr.num_columns()).filter(|&l| descr.get_column_root_idx(l) == root);
            let leaf = leaves.next()?;
            let single = leaves.next().is_none();
            (single && descr.column(leaf).as_ref() == want.column(i).as_ref()).then_some(leaf)
        })
        .collect()
}

/// A file whose row groups are copied: each is fetched (its columns' chunks, held in the
/// budget), decoded in full from memory, and then handed over as a [`CopiedRowGroup`]. A
/// row group that does not decode to its end is read again as rows, as a read without
/// copying reads it: its rows up to the fault, then the fault; the file's later row groups
/// are lost with it, as they are in a read of rows.
fn copy_events(
    ctx: Arc<Context>,
    file: DataFile,
    metadata: ArrowReaderMetadata,
    indices: Vec<usize>,
    leaves: Vec<usize>,
    total_rows: u64,
) -> BoxStream<'static, Event> {
    let groups = metadata.metadata().num_row_groups();
    stream::unfold(Some((0usize, 0u64)), move |state| {
        let (ctx, file, metadata, indices, leaves) = (
            ctx.clone(),
            file.clone(),
            metadata.clone(),
            indices.clone(),
            leaves.clone(),
        );
        async move {
            let (group, read) = state?;
            if group == groups {
                return None;
            }
            let copied = copy_group(&ctx, &file, &metadata, &indices, leaves, group).await;
            match copied {
                Ok(g) => {
                    let rows = g.rows;
                    Some((
                        stream::iter([Event::RowGroup(g)]).boxed(),
                        Some((group + 1, read + rows)),
                    ))
                }
                Err(GroupFailed::Event(e)) => Some((stream::iter([e]).boxed(), None)),
                Err(GroupFailed::Undecodable(chunks)) => {
                    // Read again as rows, as a read without copying reads it: the same
                    // batches up to the same fault, reported at the same place.
                    let group_rows = group_rows(&metadata);
                    let reader = HeldReader {
                        chunks,
                        metadata: metadata.metadata().clone(),
                    };
                    let mask = ProjectionMask::roots(metadata.parquet_schema(), indices.iter().copied());
                    let rows = match ParquetRecordBatchStreamBuilder::new_with_metadata(reader, metadata)
                        .with_projection(mask)
                        .with_row_groups(vec![group])
                        .with_batch_size(ctx.batch_rows)
                        .build()
                    {
                        Ok(batches) => batch_events(ctx, file, batches, &indices, group_rows, total_rows, read),
                        Err(e) => stream::iter([Event::Failed(open_failed(&file.key, &e))]).boxed(),
                    };
                    Some((rows, None))
                }
            }
        }
    })
    .flatten()
    .boxed()
}

/// Why a row group was not copied.
enum GroupFailed {
    /// The read stops with this.
    Event(Event),
    /// It did not decode to its end (its chunks, fetched).
    Undecodable(HeldChunks),
}

/// Row group `group` of `file`, fetched, decoded in full and ready to copy.
async fn copy_group(
    ctx: &Context,
    file: &DataFile,
    metadata: &ArrowReaderMetadata,
    indices: &[usize],
    leaves: Vec<usize>,
    group: usize,
) -> Result<CopiedRowGroup, GroupFailed> {
    let row_group = metadata.metadata().row_group(group);
    let ranges: Vec<Range<u64>> = leaves
        .iter()
        .map(|&leaf| {
            let (start, length) = row_group.column(leaf).byte_range();
            start..start.saturating_add(length)
        })
        .collect();
    let runs = coalesce(&ranges);
    let held: u64 = runs.iter().map(|r| r.end - r.start).sum();
    let budget = ctx.budget.hold_bytes(usize::try_from(held).unwrap_or(usize::MAX)).await;
    let fetched = futures::future::try_join_all(runs.iter().map(|run| async move {
        let header = format!("bytes={}-{}", run.start, run.end - 1);
        let bytes = ctx.s3.get_range(&ctx.bucket, &file.key, &header).await?;
        Ok::<_, crate::s3::S3Failure>((run.start, bytes))
    }))
    .await
    .map_err(|e| GroupFailed::Event(Event::Failed(Context::s3_error(&file.key, &e))))?;
    let chunks = HeldChunks::new(fetched, file.size);
    let reader = HeldReader {
        chunks: chunks.clone(),
        metadata: metadata.metadata().clone(),
    };
    let mask = ProjectionMask::roots(metadata.parquet_schema(), indices.iter().copied());
    let mut batches = ParquetRecordBatchStreamBuilder::new_with_metadata(reader, metadata.clone())
        .with_projection(mask)
        .with_row_groups(vec![group])
        .with_batch_size(check_batch_rows(row_group, ctx.batch_rows))
        .build()
        .map_err(|e| GroupFailed::Event(Event::Failed(open_failed(&file.key, &e))))?;
    // Decoded to find what does not decode; the rows themselves are the chunks.
    let mut decoded = 0u64;
    while let Some(batch) = batches.next().await {
        match batch {
            Ok(b) => decoded += b.num_rows() as u64,
            Err(_) => return Err(GroupFailed::Undecodable(chunks)),
        }
    }
    let rows = u64::try_from(row_group.num_rows()).unwrap_or(0);
    if decoded != rows {
        return Err(GroupFailed::Undecodable(chunks));
    }
    let partition = ctx
        .partition_batch(file, usize::try_from(rows).unwrap_or(usize::MAX))
        .map_err(|e| GroupFailed::Event(Event::Failed(e)))?;
    Ok(CopiedRowGroup {
        file: file.key.clone(),
        rows,
        partition,
        metadata: metadata.metadata().clone(),
        group,
        columns: leaves,
        chunks,
        _budget: budget,
    })
}

/// The rows of each row group of a file.
fn group_rows(metadata: &ArrowReaderMetadata) -> Vec<u64> {
    metadata
        .metadata()
        .row_groups()
        .iter()
        .map(|g| u64::try_from(g.num_rows()).unwrap_or(0))
        .collect()
}

/// The row group and row of the `n`th row of a file.
fn locate(group_rows: &[u64], n: u64) -> (usize, u64) {
    let mut start = 0;
    for (g, &rows) in group_rows.iter().enumerate() {
        if n < start + rows || g + 1 == group_rows.len() {
            return (g, n - start);
        }
        start += rows;
    }
    (0, n)
}

/// For each of the table's file columns, its root index in this file; or the column and
/// why the file's columns are not the table's.
fn projection(ctx: &Context, metadata: &ArrowReaderMetadata) -> Result<Vec<usize>, (Option<String>, String)> {
    let schema = metadata.schema();
    let partition = |name: &str| ctx.partition_columns.iter().any(|p| p.name == name);
    if let Some(extra) = schema
        .fields()
        .iter()
        .find(|f| !partition(f.name()) && !ctx.file_columns.iter().any(|c| &c.name == f.name()))
    {
        return Err((
            Some(extra.name().clone()),
            format!("the file has column `{}`, which the table lacks", extra.name()),
        ));
    }
    ctx.file_columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let Ok(index) = schema.index_of(&column.name) else {
                return Err((
                    Some(column.name.clone()),
                    format!("the file lacks the table's column `{}`", column.name),
                ));
            };
            let found = schema.field(index).data_type();
            let want = ctx.schema.field(i).data_type();
            if found != want {
                return Err((
                    Some(column.name.clone()),
                    format!(
                        "the column is {} in this file but {} in the table; it is not cast",
                        from_arrow(found),
                        from_arrow(want)
                    ),
                ));
            }
            Ok(index)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearby_ranges_are_read_by_one_request() {
        assert_eq!(coalesce(&[10..20, 0..5, 30..40]), vec![Range { start: 0, end: 40 }]);
        assert_eq!(coalesce(&[0..5, 5..5]), vec![Range { start: 0, end: 5 }]);
        let far = 2 * COALESCE_GAP;
        assert_eq!(coalesce(&[far..far + 1, 0..1]), [0..1, far..far + 1]);
        assert_eq!(coalesce(&[0..10, 2..4]), vec![Range { start: 0, end: 10 }]);
    }

    #[test]
    fn a_check_decodes_fewer_rows_at_a_time_when_they_are_wide() {
        use parquet::schema::types::{SchemaDescriptor, Type};
        let schema = Arc::new(SchemaDescriptor::new(Arc::new(
            Type::group_type_builder("schema").build().expect("a group"),
        )));
        let group = |rows: i64, bytes: i64| {
            RowGroupMetaData::builder(schema.clone())
                .set_num_rows(rows)
                .set_total_byte_size(bytes)
                .build()
                .expect("a row group")
        };
        // Narrow rows: the most a check takes at once.
        assert_eq!(check_batch_rows(&group(1_000_000, 50_000_000), 8192), CHECK_BATCH_ROWS);
        // 1 KiB rows: 8 MiB of them.
        assert_eq!(check_batch_rows(&group(100_000, 102_400_000), 1024), 8192);
        // Wider still: never fewer than a read's batch.
        assert_eq!(check_batch_rows(&group(1_000, 1_000_000_000), 8192), 8192);
        assert_eq!(check_batch_rows(&group(0, 0), 8192), CHECK_BATCH_ROWS);
    }

    #[test]
    fn rows_are_located_by_row_group() {
        assert_eq!(locate(&[10, 5], 0), (0, 0));
        assert_eq!(locate(&[10, 5], 12), (1, 2));
        assert_eq!(locate(&[10, 5], 15), (1, 5));
    }
}
