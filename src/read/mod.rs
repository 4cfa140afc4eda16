//! A discovered table's rows as Arrow record batches.
//!
//! [`Connector::read_table`] streams every data file of a [`Table`]: CSV with the dialect
//! and column types discovery found (gzip decoded as a stream, however many members),
//! Parquet through ranged GETs (footer once per file, then each row group's column
//! chunks), each batch ending with the partition columns typed as discovery typed them.
//! Every file in flight decodes on a blocking thread of its own, so a read uses every
//! core while the consumer's task only takes batches.
//!
//! Rows that cannot be imported are never dropped silently nor coerced: each is a
//! [`Problem`] naming the file, the physical line (CSV) or row group and row (Parquet), the
//! column, the value and the reason. [`BadRowPolicy::Fail`] stops at the first one;
//! [`BadRowPolicy::Skip`] counts and lists them (up to a cap) and reads on. A file whose
//! columns differ from the table's is reported as a whole and never cast to fit.
//!
//! A writer of Parquet can ask for row groups instead of rows
//! ([`ReadOptions::copy_row_groups`]): a Parquet row group whose file columns are stored
//! as the writer would store them comes whole, once it has decoded without a problem, for
//! its column chunks to be spliced unchanged ([`CopiedRowGroup`]).
//!
//! Memory: a few files are read at once ([`ReadOptions::files_in_flight`]), and every batch
//! holds a share of [`ReadOptions::memory_limit`] until the consumer drops it, so decoding
//! waits for the consumer rather than buffering ahead of it.

mod budget;
mod copy;
mod csv;
mod parquet;
mod partition;
pub(crate) mod values;

use std::sync::{Arc, Mutex, PoisonError};

use arrow_array::RecordBatch;
use arrow_schema::{Field, Schema, SchemaRef};
use futures::stream::{self, BoxStream, StreamExt};
use serde::Serialize;
use tokio::sync::OwnedSemaphorePermit;

pub use copy::{CopiedRowGroup, HeldChunks};

use crate::config::{ConnectionConfig, DataFormat};
use crate::connector::{Connector, Table};
use crate::diagnostic::Code;
use crate::layout::tables::DataFile;
use crate::s3::{S3Client, S3Failure};
use crate::schema::Column;

/// What to do with a row that cannot be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BadRowPolicy {
    /// The first bad row stops the read with its [`Problem`].
    #[default]
    Fail,
    /// Bad rows are counted, listed up to [`ReadOptions::max_listed_problems`], and skipped.
    Skip,
}

/// How a table is read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Files decoded at once.
    pub files_in_flight: usize,
    /// Bytes of decoded batches held at once, between the decoders and the consumer.
    pub memory_limit: u64,
    /// Rows per batch at most.
    pub batch_rows: usize,
    /// What a bad row does.
    pub on_bad_row: BadRowPolicy,
    /// Problems kept in [`ReadStats::problems`] with [`BadRowPolicy::Skip`]; the rest are
    /// only counted.
    pub max_listed_problems: usize,
    /// For a writer of Parquet: a Parquet row group whose file columns are stored as the
    /// table's schema declares them comes as [`TableItem::RowGroup`] (its column chunks, to
    /// splice unchanged) once all of it has decoded, instead of as batches. Read with
    /// [`TableRows::next_item`].
    pub copy_row_groups: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            files_in_flight: 4,
            memory_limit: 256 * 1024 * 1024,
            batch_rows: 8192,
            on_bad_row: BadRowPolicy::Fail,
            max_listed_problems: 100,
            copy_row_groups: false,
        }
    }
}

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Location {
    /// The whole file.
    File,
    /// A CSV record, by the physical line it starts on (1-based; a quoted line break
    /// counts as a line).
    Line {
        /// The line number.
        line: u64,
    },
    /// A Parquet row, by row group and row within it (both 0-based).
    Row {
        /// The row group.
        row_group: usize,
        /// The row within the row group.
        row: u64,
    },
}

/// A row, or a whole file, that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `bad_row`, `schema_drift` or `corrupt_file`.
    pub code: Code,
    /// The object key.
    pub file: String,
    /// Where in the file.
    pub location: Location,
    /// The column concerned, when one is.
    pub column: Option<String>,
    /// The offending value, when there is one.
    pub value: Option<String>,
    /// Why it cannot be imported.
    pub reason: String,
    /// Rows it keeps out of the import (a drifting file's rows; one for a bad row).
    pub rows: u64,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.file)?;
        match &self.location {
            Location::File => {}
            Location::Line { line } => write!(f, ":{line}")?,
            Location::Row { row_group, row } => write!(f, " row group {row_group} row {row}")?,
        }
        if let Some(column) = &self.column {
            write!(f, ": column `{column}`")?;
        }
        if let Some(value) = &self.value {
            write!(f, ": value {value:?}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Why a read stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A bad row (or file) with [`BadRowPolicy::Fail`].
    #[error("{0}")]
    Problem(Box<Problem>),
    /// S3 refused or failed a read.
    #[error("reading `{key}`: {message}")]
    S3 {
        /// The object key.
        key: String,
        /// What S3 said.
        message: String,
    },
    /// The table is not one this reader can read.
    #[error("{0}")]
    Unsupported(String),
}

/// What a read has come to so far.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReadStats {
    /// Rows read into batches.
    pub rows: u64,
    /// Rows kept out: bad rows, and the rows of files reported as a whole.
    pub bad_rows: u64,
    /// The problems found, up to the cap.
    pub problems: Vec<Problem>,
    /// Problems found beyond the cap.
    pub unlisted_problems: u64,
}

/// A batch, holding its share of the memory budget until dropped.
#[derive(Debug)]
pub struct ReadBatch {
    /// The rows: the file's columns, then the partition columns.
    pub batch: RecordBatch,
    _budget: Option<OwnedSemaphorePermit>,
}

/// What a read yields: rows, or (with [`ReadOptions::copy_row_groups`]) a row group to copy.
#[derive(Debug)]
pub enum TableItem {
    /// Decoded rows.
    Batch(ReadBatch),
    /// A Parquet row group, decoded without a problem, to copy as it is stored.
    RowGroup(CopiedRowGroup),
}

/// The rows of a table, as a stream of batches in no particular file order.
pub struct TableRows {
    schema: SchemaRef,
    stats: Arc<Mutex<ReadStats>>,
    stream: BoxStream<'static, Result<TableItem, ReadError>>,
}

impl TableRows {
    /// The schema every batch has.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Counts and problems so far (final once the stream has ended).
    pub fn stats(&self) -> ReadStats {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The next batch; `None` at the end, and after an error. A read with
    /// [`ReadOptions::copy_row_groups`] is read with [`Self::next_item`]: here its row
    /// groups are an error.
    pub async fn next_batch(&mut self) -> Option<Result<ReadBatch, ReadError>> {
        Some(match self.stream.next().await? {
            Ok(TableItem::Batch(b)) => Ok(b),
            Ok(TableItem::RowGroup(g)) => Err(ReadError::Unsupported(format!(
                "a row group of `{}` to copy, read as batches (use next_item)",
                g.file
            ))),
            Err(e) => Err(e),
        })
    }

    /// The next batch or row group to copy; `None` at the end, and after an error.
    pub async fn next_item(&mut self) -> Option<Result<TableItem, ReadError>> {
        self.stream.next().await
    }
}

/// What a file reader sends on.
pub(crate) enum Event {
    Batch(ReadBatch),
    RowGroup(CopiedRowGroup),
    Problem(Problem),
    Failed(ReadError),
}

/// Everything a file reader needs, shared by all of them.
pub(crate) struct Context {
    pub(crate) s3: S3Client,
    pub(crate) bucket: String,
    pub(crate) schema: SchemaRef,
    /// The table's columns read from the files, in table order.
    pub(crate) file_columns: Vec<Column>,
    /// The partition columns, appended to every batch.
    pub(crate) partition_columns: Vec<Column>,
    pub(crate) csv: Option<crate::schema::CsvSchema>,
    pub(crate) batch_rows: usize,
    /// With [`ReadOptions::copy_row_groups`]: the table's file columns as a Parquet writer
    /// of the table's schema declares them, in table order.
    pub(crate) copy_as: Option<::parquet::schema::types::SchemaDescriptor>,
    pub(crate) budget: budget::Budget,
}

impl Context {
    /// `batch` once its share of the memory budget is free.
    pub(crate) async fn hold(&self, batch: RecordBatch) -> ReadBatch {
        let permit = self.budget.hold(&batch).await;
        ReadBatch { batch, _budget: permit }
    }

    /// `columns` (the file's, in table order) with the partition columns of `file` appended.
    pub(crate) fn finish_batch(
        &self,
        file: &DataFile,
        columns: Vec<arrow_array::ArrayRef>,
        rows: usize,
    ) -> Result<RecordBatch, ReadError> {
        let mut columns = columns;
        columns.extend(self.partition_arrays(file, rows)?);
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)
            .map_err(|e| ReadError::Unsupported(format!("`{}`: {e}", file.key)))
    }

    /// The partition columns of `file`, `rows` long, as a batch of their own.
    pub(crate) fn partition_batch(&self, file: &DataFile, rows: usize) -> Result<RecordBatch, ReadError> {
        let fields = &self.schema.fields()[self.file_columns.len()..];
        let schema = Arc::new(Schema::new(fields.to_vec()));
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(schema, self.partition_arrays(file, rows)?, &options)
            .map_err(|e| ReadError::Unsupported(format!("`{}`: {e}", file.key)))
    }

    /// The values of `file`'s partition columns, `rows` long, typed as discovery typed them.
    fn partition_arrays(&self, file: &DataFile, rows: usize) -> Result<Vec<arrow_array::ArrayRef>, ReadError> {
        let mut columns = Vec::with_capacity(self.partition_columns.len());
        for (column, value) in partition::values(file, &self.partition_columns) {
            let array = values::constant(&column.data_type, value.as_deref(), rows).map_err(|reason| {
                ReadError::Problem(Box::new(Problem {
                    code: Code::CorruptFile,
                    file: file.key.clone(),
                    location: Location::File,
                    column: Some(column.name.clone()),
                    value: value.clone(),
                    reason: format!("the partition value is {reason}"),
                    rows: 0,
                }))
            })?;
            columns.push(array);
        }
        Ok(columns)
    }

    pub(crate) fn s3_error(key: &str, failure: &S3Failure) -> ReadError {
        ReadError::S3 {
            key: key.to_owned(),
            message: failure.to_string(),
        }
    }
}

impl Connector {
    /// The rows of `table` (found by [`Connector::connect`] with `config`), read as
    /// `options` say.
    pub async fn read_table(
        &self,
        config: &ConnectionConfig,
        table: &Table,
        options: ReadOptions,
    ) -> Result<TableRows, ReadError> {
        let partition_names: Vec<&str> = table.layout.partition_columns.iter().map(|c| c.name.as_str()).collect();
        let file_columns: Vec<Column> = table
            .columns
            .iter()
            .filter(|c| !partition_names.contains(&c.name.as_str()))
            .cloned()
            .collect();
        let partition_columns: Vec<Column> = table
            .columns
            .iter()
            .filter(|c| partition_names.contains(&c.name.as_str()))
            .cloned()
            .collect();
        let s3 = self.s3.clone();
        let format = table.format;
        let (file_fields, first_parquet) = match table.format {
            DataFormat::Csv => (
                file_columns
                    .iter()
                    .map(|c| Field::new(&c.name, values::arrow_type(&c.data_type), true))
                    .collect::<Vec<_>>(),
                None,
            ),
            DataFormat::Parquet => {
                let first = table
                    .layout
                    .files
                    .first()
                    .ok_or_else(|| ReadError::Unsupported(format!("table `{}` has no data file", table.name)))?;
                let (fields, metadata) = parquet::reference_fields(&s3, &config.bucket, first, &file_columns).await?;
                (fields, Some(metadata))
            }
        };
        let copy_as = if options.copy_row_groups && format == DataFormat::Parquet {
            // As `ArrowWriter` declares the columns (the file columns lead the schema).
            let file_schema = Schema::new(file_fields.clone());
            ::parquet::arrow::ArrowSchemaConverter::new().convert(&file_schema).ok()
        } else {
            None
        };
        let mut fields = file_fields;
        fields.extend(
            partition_columns
                .iter()
                .map(|c| Field::new(&c.name, values::arrow_type(&c.data_type), true)),
        );
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let ctx = Arc::new(Context {
            s3,
            bucket: config.bucket.clone(),
            schema: schema.clone(),
            file_columns,
            partition_columns,
            csv: table.csv.clone(),
            batch_rows: options.batch_rows.max(1),
            copy_as,
            budget: budget::Budget::new(options.memory_limit),
        });
        let mut first_parquet = first_parquet;
        let files: Vec<(DataFile, Option<_>)> = table
            .layout
            .files
            .iter()
            .map(|f| (f.clone(), first_parquet.take()))
            .collect();
        let events = stream::iter(files)
            .map(move |(file, metadata)| {
                let ctx = ctx.clone();
                match format {
                    DataFormat::Csv => csv::events(ctx, file),
                    DataFormat::Parquet => parquet::events(ctx, file, metadata),
                }
            })
            .flatten_unordered(options.files_in_flight.max(1));
        let stats = Arc::new(Mutex::new(ReadStats::default()));
        let stream = apply_policy(
            events.boxed(),
            stats.clone(),
            options.on_bad_row,
            options.max_listed_problems,
        );
        Ok(TableRows { schema, stats, stream })
    }
}

/// Turns file events into the batches a consumer sees, applying the bad-row policy.
fn apply_policy(
    events: BoxStream<'static, Event>,
    stats: Arc<Mutex<ReadStats>>,
    policy: BadRowPolicy,
    cap: usize,
) -> BoxStream<'static, Result<TableItem, ReadError>> {
    stream::unfold(Some(events), move |events| {
        let stats = stats.clone();
        async move {
            let mut events = events?;
            loop {
                let event = events.next().await?;
                let mut stats = stats.lock().unwrap_or_else(PoisonError::into_inner);
                match event {
                    Event::Batch(b) => {
                        stats.rows += b.batch.num_rows() as u64;
                        return Some((Ok(TableItem::Batch(b)), Some(events)));
                    }
                    Event::RowGroup(g) => {
                        stats.rows += g.rows;
                        return Some((Ok(TableItem::RowGroup(g)), Some(events)));
                    }
                    Event::Failed(e) => return Some((Err(e), None)),
                    Event::Problem(p) => {
                        stats.bad_rows += p.rows;
                        if policy == BadRowPolicy::Fail {
                            return Some((Err(ReadError::Problem(Box::new(p))), None));
                        }
                        if stats.problems.len() < cap {
                            stats.problems.push(p);
                        } else {
                            stats.unlisted_problems += 1;
                        }
                    }
                }
            }
        }
    })
    .boxed()
}
