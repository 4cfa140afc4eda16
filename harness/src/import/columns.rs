//! Row groups encoded by several threads, each encoding its own share of the columns.
//!
//! Snappy-compressing and encoding pages dominates an import once reading is fast, and
//! columns encode independently, so a row group's columns are split between a few worker
//! threads. Row groups end where `ArrowWriter` would end them: at the properties' row
//! limit, and after a batch once the group's estimated encoded size reaches the budget.

use std::io::Write;
use std::num::NonZeroUsize;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::SchemaDescriptor;
use s3_connector::read::CopiedRowGroup;

/// At most this many encoding threads, however many cores: the reader needs some too.
const MAX_THREADS: usize = 8;

enum Job {
    /// The column writers of a new row group, for this worker's columns in order.
    Start(Vec<ArrowColumnWriter>),
    /// Rows to append to the row group.
    Write(RecordBatch),
    /// End the row group: its column chunks back.
    Close,
}

enum Reply {
    /// The estimated encoded size of this worker's share of the row group.
    Written(usize),
    Closed(Vec<ArrowColumnChunk>),
}

/// One worker's end of the conversation.
struct Worker {
    jobs: SyncSender<Job>,
    replies: Receiver<Result<Reply>>,
}

impl Worker {
    fn ask(&self, job: Job) -> Result<Reply> {
        self.jobs.send(job).map_err(|_| stopped())?;
        self.replies.recv().map_err(|_| stopped())?
    }
}

/// What the encoder is given.
pub(super) enum Piece<B> {
    /// Rows to encode (`rows_of` them).
    Rows(B),
    /// A Parquet row group whose file columns are copied as they are stored: a row group of
    /// its own in the output, its partition columns encoded.
    Copy(CopiedRowGroup),
}

/// Writes every one of `pieces` to `out`: rows (`rows_of`) into a row group ended whenever
/// the one being encoded reaches `row_group_budget` estimated bytes, copied row groups as
/// they are. Each piece is dropped once written. Closes the file once `pieces` ends.
pub(super) fn encode<W: Write + Send, B>(
    out: W,
    schema: SchemaRef,
    props: WriterProperties,
    pieces: impl Iterator<Item = Piece<B>>,
    rows_of: impl Fn(&B) -> &RecordBatch,
    row_group_budget: usize,
) -> Result<()> {
    let max_rows = props.max_row_group_row_count().unwrap_or(usize::MAX).max(1);
    // `ArrowWriter` sets up the file as it would write it itself (with the Arrow schema
    // in its metadata); its row groups are then written here.
    let (file_writer, factory) = ArrowWriter::try_new(out, schema.clone(), Some(props))?.into_serialized_writer()?;
    let plan = Plan::new(&schema, file_writer.schema_descr());
    std::thread::scope(|scope| {
        let workers: Vec<Worker> = (0..plan.threads)
            .map(|w| {
                let (jobs, job_rx) = sync_channel(1);
                let (reply_tx, replies) = sync_channel(1);
                let fields = plan.fields_of(w);
                let schema = schema.clone();
                scope.spawn(move || work(&schema, &fields, job_rx, reply_tx));
                Worker { jobs, replies }
            })
            .collect();
        let mut writer = Writer {
            file: file_writer,
            factory,
            plan: &plan,
            workers,
            open: false,
            rows: 0,
        };
        for piece in pieces {
            let batch = match piece {
                Piece::Rows(batch) => batch,
                Piece::Copy(group) => {
                    writer.copy(&schema, &group)?;
                    continue;
                }
            };
            // The estimated encoded size of the open row group (none: nothing).
            let mut size = 0;
            let mut rest = rows_of(&batch).clone();
            while rest.num_rows() > 0 {
                let now = rest.slice(0, (max_rows - writer.rows).min(rest.num_rows()));
                rest = rest.slice(now.num_rows(), rest.num_rows() - now.num_rows());
                size = writer.write(now)?;
                if writer.rows >= max_rows {
                    writer.flush()?;
                    size = 0;
                }
            }
            drop(batch);
            // Checked once per batch, as `ArrowWriter::in_progress_size` was before.
            if size >= row_group_budget {
                writer.flush()?;
            }
        }
        writer.flush()?;
        drop(writer.workers);
        writer.file.close().map(|_| ())
    })
}

/// Which worker encodes which column, and how many Parquet leaf columns each has.
struct Plan {
    threads: usize,
    /// Per Arrow field, its number of Parquet leaf columns (more than one when nested).
    leaves: Vec<usize>,
}

impl Plan {
    fn new(schema: &SchemaRef, descr: &SchemaDescriptor) -> Self {
        let fields = schema.fields().len();
        let mut leaves = vec![0; fields];
        for leaf in 0..descr.num_columns() {
            leaves[descr.get_column_root_idx(leaf)] += 1;
        }
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let threads = cores.min(MAX_THREADS).min(fields).max(1);
        Plan { threads, leaves }
    }

    /// Field `f` goes to worker `f % threads`.
    fn worker_of(&self, field: usize) -> usize {
        field % self.threads
    }

    fn fields_of(&self, worker: usize) -> Vec<usize> {
        (0..self.leaves.len())
            .filter(|&f| self.worker_of(f) == worker)
            .collect()
    }
}

/// A worker: encodes its `fields` of every batch into the current row group's writers.
fn work(schema: &SchemaRef, fields: &[usize], jobs: Receiver<Job>, replies: SyncSender<Result<Reply>>) {
    let mut writers: Vec<ArrowColumnWriter> = Vec::new();
    while let Ok(job) = jobs.recv() {
        let reply = match job {
            Job::Start(new) => {
                writers = new;
                continue;
            }
            Job::Write(batch) => {
                let written = write_fields(schema, fields, &batch, &mut writers);
                drop(batch);
                written.map(|()| Reply::Written(writers.iter().map(|w| w.get_estimated_total_bytes()).sum()))
            }
            Job::Close => std::mem::take(&mut writers)
                .into_iter()
                .map(ArrowColumnWriter::close)
                .collect::<Result<_>>()
                .map(Reply::Closed),
        };
        if replies.send(reply).is_err() {
            return;
        }
    }
}

fn write_fields(
    schema: &SchemaRef,
    fields: &[usize],
    batch: &RecordBatch,
    writers: &mut [ArrowColumnWriter],
) -> Result<()> {
    let mut writers = writers.iter_mut();
    for &f in fields {
        for leaf in compute_leaves(schema.field(f), batch.column(f))? {
            let writer = writers
                .next()
                .ok_or_else(|| ParquetError::General("more leaf columns than writers".into()))?;
            writer.write(&leaf)?;
        }
    }
    Ok(())
}

/// The file and the row group being encoded by the workers.
struct Writer<'a, W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    plan: &'a Plan,
    workers: Vec<Worker>,
    /// Whether a row group has been started (none is, before the first rows or after a flush).
    open: bool,
    rows: usize,
}

impl<W: Write + Send> Writer<'_, W> {
    /// Appends `batch` to the row group (started if none is open); returns the row
    /// group's estimated encoded size once every worker has written its columns.
    fn write(&mut self, batch: RecordBatch) -> Result<usize> {
        if !self.open {
            self.start()?;
        }
        self.rows += batch.num_rows();
        // Every worker is sent the rows before any reply is awaited: they encode together.
        for worker in &self.workers {
            worker.jobs.send(Job::Write(batch.clone())).map_err(|_| stopped())?;
        }
        drop(batch);
        let mut size = 0;
        for worker in &self.workers {
            match worker.replies.recv().map_err(|_| stopped())?? {
                Reply::Written(s) => size += s,
                Reply::Closed(_) => return Err(out_of_step()),
            }
        }
        Ok(size)
    }

    fn start(&mut self) -> Result<()> {
        let writers = self
            .factory
            .create_column_writers(self.file.flushed_row_groups().len())?;
        let mut shares: Vec<Vec<ArrowColumnWriter>> = (0..self.workers.len()).map(|_| Vec::new()).collect();
        let mut writers = writers.into_iter();
        for (f, &leaves) in self.plan.leaves.iter().enumerate() {
            shares[self.plan.worker_of(f)].extend(writers.by_ref().take(leaves));
        }
        for (worker, share) in self.workers.iter().zip(shares) {
            worker.jobs.send(Job::Start(share)).map_err(|_| stopped())?;
        }
        self.open = true;
        Ok(())
    }

    /// Writes `group` as a row group of its own (after the open one): its file columns'
    /// chunks spliced as they are stored, its partition columns encoded here.
    fn copy(&mut self, schema: &SchemaRef, group: &CopiedRowGroup) -> Result<()> {
        self.flush()?;
        let writers = self
            .factory
            .create_column_writers(self.file.flushed_row_groups().len())?;
        let file_columns = group.columns().len();
        let source = group.metadata();
        let mut row_group = self.file.next_row_group()?;
        for &leaf in group.columns() {
            let chunk = source.column(leaf).clone();
            let close = ColumnCloseResult {
                bytes_written: u64::try_from(chunk.compressed_size()).unwrap_or(0),
                rows_written: group.rows,
                metadata: chunk,
                bloom_filter: None,
                column_index: None,
                offset_index: None,
            };
            row_group.append_column(group.chunks(), close)?;
        }
        // The partition columns follow the file columns, one leaf each.
        for ((mut writer, field), column) in writers
            .into_iter()
            .skip(file_columns)
            .zip(&schema.fields()[file_columns..])
            .zip(group.partition.columns())
        {
            for leaf in compute_leaves(field, column)? {
                writer.write(&leaf)?;
            }
            writer.close()?.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        Ok(())
    }

    /// Ends the row group, if one is open: its column chunks appended in schema order.
    fn flush(&mut self) -> Result<()> {
        if !self.open {
            return Ok(());
        }
        let mut chunks = Vec::with_capacity(self.workers.len());
        for worker in &self.workers {
            match worker.ask(Job::Close)? {
                Reply::Closed(c) => chunks.push(c.into_iter()),
                Reply::Written(_) => return Err(out_of_step()),
            }
        }
        let mut group = self.file.next_row_group()?;
        for (f, &leaves) in self.plan.leaves.iter().enumerate() {
            for chunk in chunks[self.plan.worker_of(f)].by_ref().take(leaves) {
                chunk.append_to_row_group(&mut group)?;
            }
        }
        group.close()?;
        self.open = false;
        self.rows = 0;
        Ok(())
    }
}

fn stopped() -> ParquetError {
    ParquetError::General("a column encoding thread stopped".into())
}

fn out_of_step() -> ParquetError {
    ParquetError::General("a column encoding thread answered out of turn".into())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::builder::{Int32Builder, ListBuilder};
    use arrow_array::{ArrayRef, Int64Array, StringArray, StructArray};
    use arrow_schema::{DataType, Field, Fields, Schema};
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::Compression;
    use proptest::prelude::*;

    use super::*;

    fn schema() -> SchemaRef {
        let inner = Fields::from(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("b", DataType::Utf8, true),
        ]);
        let item = Field::new_list_field(DataType::Int32, true);
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
            Field::new("pair", DataType::Struct(inner), true),
            Field::new("list", DataType::List(Arc::new(item)), true),
            Field::new("last", DataType::Utf8, false),
        ]))
    }

    /// `rows` rows numbered from `first`, with nulls, repeats and a nested column.
    fn batch(first: i64, rows: usize) -> RecordBatch {
        let ids: Vec<i64> = (first..).take(rows).collect();
        let name = |i: &i64| (i % 3 != 0).then(|| format!("name {}", i % 11));
        let pair = StructArray::from(vec![
            (
                Arc::new(Field::new("a", DataType::Int64, false)),
                Arc::new(Int64Array::from_iter_values(ids.iter().map(|i| i * 7))) as ArrayRef,
            ),
            (
                Arc::new(Field::new("b", DataType::Utf8, true)),
                Arc::new(ids.iter().map(name).collect::<StringArray>()) as ArrayRef,
            ),
        ]);
        let mut list = ListBuilder::new(Int32Builder::new());
        for i in &ids {
            for j in 0..(i % 4) {
                list.values().append_option((j != 1).then_some(j as i32));
            }
            list.append(i % 5 != 0);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ids.clone())),
            Arc::new(ids.iter().map(name).collect::<StringArray>()),
            Arc::new(pair),
            Arc::new(list.finish()),
            Arc::new(StringArray::from_iter_values(ids.iter().map(|i| format!("{i:x}")))),
        ];
        RecordBatch::try_new(schema(), columns).expect("columns match the schema")
    }

    fn props(max_rows: usize) -> WriterProperties {
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(max_rows))
            .build()
    }

    fn batches(sizes: &[usize]) -> Vec<RecordBatch> {
        let mut first = 0;
        sizes
            .iter()
            .map(|&n| {
                let b = batch(first, n);
                first += n as i64;
                b
            })
            .collect()
    }

    /// What `import` wrote before its columns were encoded in parallel.
    fn with_arrow_writer(sizes: &[usize], max_rows: usize, budget: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut out, schema(), Some(props(max_rows))).unwrap();
        for b in batches(sizes) {
            writer.write(&b).unwrap();
            if writer.in_progress_size() >= budget {
                writer.flush().unwrap();
            }
        }
        writer.close().unwrap();
        out
    }

    fn in_parallel(sizes: &[usize], max_rows: usize, budget: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let all = batches(sizes).into_iter().map(Piece::Rows);
        encode(&mut out, schema(), props(max_rows), all, |b| b, budget).unwrap();
        out
    }

    /// Row-group sizes and every row, read back.
    fn read(file: Vec<u8>) -> (Vec<i64>, Vec<RecordBatch>) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(file)).unwrap();
        let groups = reader.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
        (groups, reader.build().unwrap().map(Result::unwrap).collect())
    }

    #[test]
    fn no_rows_is_a_file_without_row_groups() {
        let (groups, rows) = read(in_parallel(&[0, 0], 10, 1));
        assert!(groups.is_empty());
        assert!(rows.is_empty());
    }

    #[test]
    fn row_groups_end_at_the_row_limit_and_at_the_budget() {
        // 25 rows against a 10-row limit: 10, 10, 5 with no budget to speak of.
        let (groups, _) = read(in_parallel(&[7, 8, 10], 10, usize::MAX));
        assert_eq!(groups, [10, 10, 5]);
        // A one-byte budget ends a row group after every batch, the row limit within one.
        let (groups, _) = read(in_parallel(&[7, 15, 3], 10, 1));
        assert_eq!(groups, [7, 10, 5, 3]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// The same bytes as `ArrowWriter` flushed at the same budget: schema, rows,
        /// row groups, pages and metadata alike.
        #[test]
        fn the_file_is_the_one_arrow_writer_writes(
            sizes in proptest::collection::vec(0usize..300, 0..8),
            max_rows in 1usize..400,
            budget in prop_oneof![1usize..20_000, Just(usize::MAX)],
        ) {
            let expected = with_arrow_writer(&sizes, max_rows, budget);
            let got = in_parallel(&sizes, max_rows, budget);
            prop_assert_eq!(read(got.clone()), read(expected.clone()));
            prop_assert!(got == expected, "same rows, different bytes");
        }
    }
}
