//! Row groups encoded by several threads, each encoding its own share of the columns.
//!
//! Snappy-compressing and encoding pages dominates an import once reading is fast, and
//! columns encode independently, so a row group's columns are split between a few worker
//! threads. Row groups end where `ArrowWriter` would end them: at the properties' row
//! limit, and after a batch once the group's estimated encoded size reaches the budget.

use std::fs::File;
use std::num::NonZeroUsize;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::errors::{ParquetError, Result};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use s3_connector::read::ReadBatch;

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

/// Writes every batch `rx` receives to `file`, a row group whenever the one being
/// encoded reaches `row_group_budget` estimated bytes; closes the file once `rx` ends.
pub(super) fn encode(
    file: File,
    schema: SchemaRef,
    props: WriterProperties,
    mut rx: tokio::sync::mpsc::Receiver<ReadBatch>,
    row_group_budget: usize,
) -> Result<()> {
    let max_rows = props.max_row_group_row_count().unwrap_or(usize::MAX).max(1);
    // `ArrowWriter` sets up the file as it would write it itself (with the Arrow schema
    // in its metadata); its row groups are then written here.
    let (file_writer, factory) = ArrowWriter::try_new(file, schema.clone(), Some(props))?.into_serialized_writer()?;
    let plan = Plan::new(&schema, &file_writer);
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
        while let Some(batch) = rx.blocking_recv() {
            // The estimated encoded size of the open row group (none: nothing).
            let mut size = 0;
            let mut rest = batch.batch.clone();
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
    fn new(schema: &SchemaRef, file: &SerializedFileWriter<File>) -> Self {
        let fields = schema.fields().len();
        let descr = file.schema_descr();
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
struct Writer<'a> {
    file: SerializedFileWriter<File>,
    factory: ArrowRowGroupWriterFactory,
    plan: &'a Plan,
    workers: Vec<Worker>,
    /// Whether a row group has been started (none is, before the first rows or after a flush).
    open: bool,
    rows: usize,
}

impl Writer<'_> {
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
