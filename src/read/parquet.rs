//! Parquet files through ranged GETs: the footer once per file, then the projected column
//! chunks of each row group. A file whose columns differ in name or type from the table's
//! (the first file's) is reported as a whole, never cast.

use std::ops::Range;
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_schema::{ArrowError, DataType, Field, Schema};
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader, RowGroupMetaData};
use tokio::sync::mpsc;

use super::copy::{CopiedRowGroup, HeldChunks};
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
        row_events(
            ctx,
            file,
            metadata,
            indices,
            total_rows,
            RowsFrom {
                group: 0,
                read: 0,
                chunks: None,
            },
        )
    })
    .flatten()
    .boxed()
}

/// Where a read of a file's rows starts: a row group, the rows of the file before it, and
/// its column chunks when they are already fetched.
struct RowsFrom {
    group: usize,
    read: u64,
    chunks: Option<HeldChunks>,
}

/// What a read of a file's rows needs at each row group.
struct RowsPlan {
    ctx: Arc<Context>,
    file: DataFile,
    metadata: ArrowReaderMetadata,
    mask: ProjectionMask,
    /// The file's leaf columns under the projected roots (the chunks to fetch).
    leaves: Vec<usize>,
    /// For each table column, its position among the projected ones (which keep file
    /// order).
    rank: Vec<usize>,
    /// Row group boundaries, to say where a decoding error happened.
    group_rows: Vec<u64>,
    total_rows: u64,
}

/// How the decoding of one row group ended.
struct Decoded {
    /// Rows handed on.
    rows: u64,
    /// Nothing more of the file is read: a fault, a failure, or the read stopped.
    stopped: bool,
}

/// Where a read of a file's rows is.
enum RowsState {
    /// Next, this row group is fetched.
    Group(RowsFrom),
    /// Row group `group` is decoding; its events come through `events`.
    Decoding {
        events: mpsc::Receiver<Event>,
        decoder: tokio::task::JoinHandle<Decoded>,
        group: usize,
        read: u64,
    },
}

/// The events of `file` read as rows (from `from` on). Each row group's column chunks are
/// fetched by coalesced ranged GETs on the reading task (dropping the stream drops the
/// fetch), then decoded on a blocking thread, as a CSV file is, so that the files in
/// flight decode on every core; its batches, in table order with their partition columns,
/// are handed on as the consumer takes them.
fn row_events(
    ctx: Arc<Context>,
    file: DataFile,
    metadata: ArrowReaderMetadata,
    indices: Vec<usize>,
    total_rows: u64,
    from: RowsFrom,
) -> BoxStream<'static, Event> {
    let mut order: Vec<usize> = (0..indices.len()).collect();
    order.sort_by_key(|&i| indices[i]);
    let mut rank = vec![0; indices.len()];
    for (sorted_pos, &table_pos) in order.iter().enumerate() {
        rank[table_pos] = sorted_pos;
    }
    let descr = metadata.parquet_schema();
    let plan = Arc::new(RowsPlan {
        mask: ProjectionMask::roots(descr, indices.iter().copied()),
        leaves: (0..descr.num_columns())
            .filter(|&l| indices.contains(&descr.get_column_root_idx(l)))
            .collect(),
        rank,
        group_rows: group_rows(&metadata),
        total_rows,
        ctx,
        file,
        metadata,
    });
    stream::unfold(Some(RowsState::Group(from)), move |state| {
        let plan = plan.clone();
        async move {
            let mut state = state?;
            loop {
                state = match state {
                    RowsState::Group(from) => {
                        if from.group >= plan.metadata.metadata().num_row_groups() {
                            return None;
                        }
                        let chunks = match from.chunks {
                            Some(chunks) => chunks,
                            None => {
                                let runs = chunk_runs(&plan.metadata, &plan.leaves, from.group);
                                match fetch(&plan.ctx, &plan.file, &runs).await {
                                    Ok(chunks) => chunks,
                                    Err(e) => return Some((Event::Failed(e), None)),
                                }
                            }
                        };
                        // One event in the channel at most: the decoder waits for the consumer.
                        let (tx, events) = mpsc::channel(1);
                        let handle = tokio::runtime::Handle::current();
                        let (group, read) = (from.group, from.read);
                        let p = plan.clone();
                        let decoder = tokio::task::spawn_blocking(move || p.decode(chunks, group, read, &tx, &handle));
                        RowsState::Decoding {
                            events,
                            decoder,
                            group,
                            read,
                        }
                    }
                    RowsState::Decoding {
                        mut events,
                        decoder,
                        group,
                        read,
                    } => {
                        if let Some(event) = events.recv().await {
                            let state = RowsState::Decoding {
                                events,
                                decoder,
                                group,
                                read,
                            };
                            return Some((event, Some(state)));
                        }
                        match decoder.await {
                            Ok(Decoded { rows, stopped: false }) => RowsState::Group(RowsFrom {
                                group: group + 1,
                                read: read + rows,
                                chunks: None,
                            }),
                            // What stopped it was sent (or the read itself stopped); a
                            // decoder that did not return has sent its fault too.
                            _ => return None,
                        }
                    }
                };
            }
        }
    })
    .boxed()
}

impl RowsPlan {
    /// Decodes row group `group` from `chunks` (the file's `read`th row on), on the
    /// calling (blocking) thread, sending its batches or what stops it.
    fn decode(
        &self,
        chunks: HeldChunks,
        group: usize,
        read: u64,
        tx: &mpsc::Sender<Event>,
        handle: &tokio::runtime::Handle,
    ) -> Decoded {
        let mut sent = 0u64;
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.decode_group(chunks, group, read, &mut sent, tx, handle)
        }));
        match decoded {
            Ok(stopped) => Decoded { rows: sent, stopped },
            Err(_) => {
                // A fault the decoder did not expect: the rest of the file is lost, as
                // with any other fault, rather than the file ending short without a word.
                let e = "the Parquet decoder failed";
                let _ = tx.blocking_send(undecodable(
                    &self.file,
                    &self.group_rows,
                    read + sent,
                    self.total_rows,
                    &e,
                ));
                Decoded {
                    rows: sent,
                    stopped: true,
                }
            }
        }
    }

    /// [`Self::decode`]'s work: true when the file's read stops here.
    fn decode_group(
        &self,
        chunks: HeldChunks,
        group: usize,
        read: u64,
        sent: &mut u64,
        tx: &mpsc::Sender<Event>,
        handle: &tokio::runtime::Handle,
    ) -> bool {
        let send = |event: Event| tx.blocking_send(event).is_ok();
        let batches = match group_reader(
            chunks,
            self.metadata.clone(),
            self.mask.clone(),
            group,
            self.ctx.batch_rows,
        ) {
            Ok(batches) => batches,
            Err(e) => {
                send(Event::Failed(open_failed(&self.file.key, &e)));
                return true;
            }
        };
        for batch in batches {
            let batch = match batch {
                Ok(batch) => batch,
                Err(e) => {
                    let at = read + *sent;
                    send(undecodable(
                        &self.file,
                        &self.group_rows,
                        at,
                        self.total_rows,
                        &decode_error(&e),
                    ));
                    return true;
                }
            };
            let rows = batch.num_rows();
            let columns: Vec<ArrayRef> = self.rank.iter().map(|&r| batch.column(r).clone()).collect();
            match self.ctx.finish_batch(&self.file, columns, rows) {
                Ok(b) => {
                    if !send(Event::Batch(handle.block_on(self.ctx.hold(b)))) {
                        return true;
                    }
                    *sent += rows as u64;
                }
                Err(e) => {
                    send(Event::Failed(e));
                    return true;
                }
            }
        }
        false
    }
}

/// A decoder of row group `group`'s `mask`ed columns, from its held `chunks`.
fn group_reader(
    chunks: HeldChunks,
    metadata: ArrowReaderMetadata,
    mask: ProjectionMask,
    group: usize,
    batch_rows: usize,
) -> Result<ParquetRecordBatchReader, ParquetError> {
    ParquetRecordBatchReaderBuilder::new_with_metadata(chunks, metadata)
        .with_projection(mask)
        .with_row_groups(vec![group])
        .with_batch_size(batch_rows)
        .build()
}

/// What a decoding error says: the parquet crate's own words, which its batch iterator
/// wraps in an Arrow error.
fn decode_error(e: &ArrowError) -> String {
    match e {
        ArrowError::ParquetError(inner) => inner.clone(),
        other => other.to_string(),
    }
}

/// The coalesced byte runs of `leaves`' column chunks in row group `group`.
fn chunk_runs(metadata: &ArrowReaderMetadata, leaves: &[usize], group: usize) -> Vec<Range<u64>> {
    let row_group = metadata.metadata().row_group(group);
    let ranges: Vec<Range<u64>> = leaves
        .iter()
        .map(|&leaf| {
            let (start, length) = row_group.column(leaf).byte_range();
            start..start.saturating_add(length)
        })
        .collect();
    coalesce(&ranges)
}

/// `runs` of `file`, fetched at once, one ranged GET each.
async fn fetch(ctx: &Context, file: &DataFile, runs: &[Range<u64>]) -> Result<HeldChunks, ReadError> {
    let fetched = futures::future::try_join_all(runs.iter().map(|run| async move {
        let header = format!("bytes={}-{}", run.start, run.end - 1);
        let bytes = ctx.s3.get_range(&ctx.bucket, &file.key, &header).await?;
        Ok::<_, crate::s3::S3Failure>((run.start, bytes))
    }))
    .await
    .map_err(|e| Context::s3_error(&file.key, &e))?;
    Ok(HeldChunks::new(fetched, file.size))
}

/// A file that cannot be decoded past its `read`th row: the rest of its rows are lost.
fn undecodable(file: &DataFile, group_rows: &[u64], read: u64, total_rows: u64, e: &dyn std::fmt::Display) -> Event {
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
/// budget), decoded in full from memory, and then handed over as a [`CopiedRowGroup`]. From
/// a row group that does not decode to its end, the rest of the file is read as rows, as a
/// read without copying reads it: its rows up to the fault, then the fault.
fn copy_events(
    ctx: Arc<Context>,
    file: DataFile,
    metadata: ArrowReaderMetadata,
    indices: Vec<usize>,
    leaves: Vec<usize>,
    total_rows: u64,
) -> BoxStream<'static, Event> {
    let groups = metadata.metadata().num_row_groups();
    let checked_as = check_metadata(&metadata);
    let mask = ProjectionMask::roots(metadata.parquet_schema(), indices.iter().copied());
    stream::unfold(Some((0usize, 0u64)), move |state| {
        let (ctx, file, metadata, checked_as, mask, indices, leaves) = (
            ctx.clone(),
            file.clone(),
            metadata.clone(),
            checked_as.clone(),
            mask.clone(),
            indices.clone(),
            leaves.clone(),
        );
        async move {
            let (group, read) = state?;
            if group == groups {
                return None;
            }
            let copied = copy_group(&ctx, &file, &metadata, &checked_as, &mask, leaves, group).await;
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
                    // The rest of the file is read as rows, as a read without copying
                    // reads it: the same batches up to the same fault, reported at the
                    // same place (and every later row, should the rows decode after all).
                    let from = RowsFrom {
                        group,
                        read,
                        chunks: Some(chunks),
                    };
                    Some((row_events(ctx, file, metadata, indices, total_rows, from), None))
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

/// Row group `group` of `file`, fetched, decoded in full (as `checked_as` reads it) and
/// ready to copy.
async fn copy_group(
    ctx: &Context,
    file: &DataFile,
    metadata: &ArrowReaderMetadata,
    checked_as: &ArrowReaderMetadata,
    mask: &ProjectionMask,
    leaves: Vec<usize>,
    group: usize,
) -> Result<CopiedRowGroup, GroupFailed> {
    let row_group = metadata.metadata().row_group(group);
    let runs = chunk_runs(metadata, &leaves, group);
    let held: u64 = runs.iter().map(|r| r.end - r.start).sum();
    let budget = ctx.budget.hold_bytes(usize::try_from(held).unwrap_or(usize::MAX)).await;
    let chunks = fetch(ctx, file, &runs)
        .await
        .map_err(|e| GroupFailed::Event(Event::Failed(e)))?;
    let decoded = check(
        &chunks,
        checked_as,
        mask,
        group,
        check_batch_rows(row_group, ctx.batch_rows),
    )
    .await
    .map_err(|e| match e {
        Some(e) => GroupFailed::Event(Event::Failed(open_failed(&file.key, &e))),
        None => GroupFailed::Undecodable(chunks.clone()),
    })?;
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

/// How a copied file's row groups are decoded to check them: as `metadata` reads them,
/// but with text and binary columns as Arrow dictionaries, so that a dictionary-encoded
/// page is checked (its dictionary decoded and its UTF-8 validated, every index bounded by
/// it) without its values being copied out once per row.
///
/// A page that decodes this way decodes as text too: the text reader checks the same
/// dictionary and the same indices. One that does not is read again as rows, which says
/// what is wrong with it.
fn check_metadata(metadata: &ArrowReaderMetadata) -> ArrowReaderMetadata {
    let schema = metadata.schema();
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary => {
                f.as_ref().clone().with_data_type(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(f.data_type().clone()),
                ))
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    let options =
        ArrowReaderOptions::new().with_schema(Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())));
    ArrowReaderMetadata::try_new(metadata.metadata().clone(), options).unwrap_or_else(|_| metadata.clone())
}

/// Row group `group` of held `chunks`, decoded `batch_rows` at a time to find what does
/// not decode (the rows themselves are the chunks): the rows it decoded, or `None` when
/// a page failed, or the error that kept the decoder from starting.
///
/// The decoding runs on a blocking thread, as a CSV file's does: it is all CPU, and on
/// the reading task it would leave the other files in flight, and every core but one,
/// waiting.
async fn check(
    chunks: &HeldChunks,
    metadata: &ArrowReaderMetadata,
    mask: &ProjectionMask,
    group: usize,
    batch_rows: usize,
) -> Result<u64, Option<ParquetError>> {
    let (chunks, metadata, mask) = (chunks.clone(), metadata.clone(), mask.clone());
    let decode = move || check_decode(chunks, metadata, mask, group, batch_rows);
    match tokio::task::spawn_blocking(decode).await {
        Ok(result) => result,
        // The decoder panicked (a fault in the file it did not expect): it did not decode.
        Err(_) => Err(None),
    }
}

/// [`check`]'s decoding, on the calling thread.
fn check_decode(
    chunks: HeldChunks,
    metadata: ArrowReaderMetadata,
    mask: ProjectionMask,
    group: usize,
    batch_rows: usize,
) -> Result<u64, Option<ParquetError>> {
    let batches = group_reader(chunks, metadata, mask, group, batch_rows).map_err(Some)?;
    let mut decoded = 0u64;
    for batch in batches {
        decoded += batch.map_err(|_| None)?.num_rows() as u64;
    }
    Ok(decoded)
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

    /// 300 rows in one uncompressed row group: `name`, dictionary-encoded text (three
    /// values, some null), and `id`.
    fn dictionary_file() -> Bytes {
        use arrow_array::{Int64Array, RecordBatch, StringArray};
        use parquet::arrow::ArrowWriter;
        use parquet::file::properties::WriterProperties;
        let names = StringArray::from_iter((0..300).map(|i| (i % 7 != 0).then(|| ["ada", "grace", "alan"][i % 3])));
        let batch = RecordBatch::try_from_iter([
            ("name", Arc::new(names) as ArrayRef),
            ("id", Arc::new(Int64Array::from_iter_values(0..300)) as ArrayRef),
        ])
        .expect("a batch");
        let mut out = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(WriterProperties::builder().build()))
            .expect("a writer");
        writer.write(&batch).expect("written");
        writer.close().expect("closed");
        Bytes::from(out)
    }

    #[test]
    fn a_check_reads_text_as_dictionaries_and_every_row() {
        let file = dictionary_file();
        let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).expect("a footer");
        let checked = check_metadata(&metadata);
        assert_eq!(
            checked.schema().field(0).data_type(),
            &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        );
        assert_eq!(checked.schema().field(1).data_type(), &DataType::Int64);
        let chunks = HeldChunks::new(vec![(0, file.clone())], file.len() as u64);
        let mask = ProjectionMask::all();
        assert_eq!(check_decode(chunks, checked, mask, 0, 64).ok(), Some(300));
    }

    proptest::proptest! {
        /// The check reads text as dictionaries, a read of rows as text: whatever a
        /// damaged `name` chunk holds, a row group the check passes in full also reads in
        /// full as text (a page the check lets through is never one the copy would carry
        /// and a read would refuse).
        #[test]
        fn a_row_group_the_check_passes_reads_as_text(at in 0usize..4096, byte in proptest::prelude::any::<u8>()) {
            let file = dictionary_file();
            let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).expect("a footer");
            let (start, length) = metadata.metadata().row_group(0).column(0).byte_range();
            let mut damaged = file.to_vec();
            let at = usize::try_from(start).expect("small") + at % usize::try_from(length).expect("small");
            damaged[at] = byte;
            let damaged = Bytes::from(damaged);
            let chunks = HeldChunks::new(vec![(0, damaged.clone())], damaged.len() as u64);
            let checked = check_metadata(&metadata);
            let passed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                check_decode(chunks, checked, ProjectionMask::all(), 0, 64)
            }));
            if let Ok(Ok(300)) = passed {
                let rows: Result<usize, _> = ParquetRecordBatchReaderBuilder::new_with_metadata(damaged, metadata)
                    .with_batch_size(64)
                    .build()
                    .expect("a reader")
                    .map(|b| b.map(|b| b.num_rows()))
                    .sum();
                proptest::prop_assert_eq!(rows.map_err(|e| e.to_string()), Ok(300));
            }
        }
    }

    #[test]
    fn rows_are_located_by_row_group() {
        assert_eq!(locate(&[10, 5], 0), (0, 0));
        assert_eq!(locate(&[10, 5], 12), (1, 2));
        assert_eq!(locate(&[10, 5], 15), (1, 5));
    }
}
