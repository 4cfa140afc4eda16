//! `import`: a table's rows written to one Parquet file, whole or not at all.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use s3_connector::read::{ReadBatch, TableItem};

use super::columns::{self, Piece};
use super::{ImportOptions, ImportSummary, open_table};
use crate::Error;
use crate::scenario::Scenario;

/// A column chunk's dictionary stops growing at this size and the rest of the chunk is
/// written plain: columns of few values (names, codes, partition values) keep their
/// dictionary; columns of many (ids, amounts, clocks) stop hashing every value early.
///
/// The parquet crate's default (1 MiB, as pyarrow's) let 8-byte columns of up to 131,072
/// distinct values hash every row of a row group: on 4.3M rows of 7 columns that was
/// 30% of an import's CPU (`perf`), for a file 18% smaller (67 vs 82 MB). Measured with
/// `cargo bench -p s3-harness --bench rows_vs_clients -- --serve` and one import.
const DICTIONARY_PAGE_LIMIT: usize = 256 * 1024;

/// Bytes gathered before each write to the output file. The parquet writer buffers only
/// 8 KiB and a copied column chunk passes through it 8 KiB at a time: without this, a
/// 600 MB import made about 75,000 `write` calls.
const OUT_BUFFER: usize = 1024 * 1024;

/// The file being written beside `out`, removed unless the import completes.
struct Partial {
    path: PathBuf,
    done: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Reads `table` and writes its rows to `out` (a temporary file beside it, renamed once
/// every file has been read): a failed import leaves no file behind and an existing
/// `out` untouched.
pub async fn import(
    path: &str,
    scenario: &Scenario,
    table: &str,
    out: &Path,
    options: &ImportOptions,
) -> Result<ImportSummary, Error> {
    let mut open = open_table(path, scenario, table, options.read_options()).await?;
    let result = write_parquet(&mut open.rows, out, options).await;
    let stats = open.rows.stats();
    open.close().await;
    result?;
    let mut problems = stats.problems;
    problems.sort_by(|a, b| (&a.file, position(a)).cmp(&(&b.file, position(b))));
    Ok(ImportSummary {
        rows: stats.rows,
        bad_rows: stats.bad_rows,
        problems,
        unlisted_problems: stats.unlisted_problems,
    })
}

fn position(p: &s3_connector::read::Problem) -> (u64, u64) {
    match p.location {
        s3_connector::read::Location::File => (0, 0),
        s3_connector::read::Location::Line { line } => (line, 0),
        s3_connector::read::Location::Row { row_group, row } => (row_group as u64, row),
    }
}

/// Writes every batch of `rows` to `out` as `import` does (beside it first, renamed at the
/// end), holding at most a quarter of `options.memory_limit` in the row group being
/// encoded. For callers with their own connector, such as a benchmark against `serve`.
pub async fn write_parquet(
    rows: &mut s3_connector::read::TableRows,
    out: &Path,
    options: &ImportOptions,
) -> Result<(), Error> {
    let write_error = |e: &dyn std::fmt::Display| Error::Write {
        path: out.to_owned(),
        message: e.to_string(),
    };
    let mut partial_name = out.file_name().unwrap_or_default().to_os_string();
    partial_name.push(".partial");
    let mut partial = Partial {
        path: out.with_file_name(partial_name),
        done: false,
    };
    let file = BufWriter::with_capacity(OUT_BUFFER, File::create(&partial.path).map_err(|e| write_error(&e))?);
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_page_size_limit(DICTIONARY_PAGE_LIMIT)
        .build();
    // The row group being encoded is the writer's share of the memory limit.
    let row_group_budget = usize::try_from(options.memory_limit / 4).unwrap_or(usize::MAX).max(1);
    // Encoding runs on its own threads, so the files are read while earlier rows are
    // encoded; a batch keeps its share of the read budget until it is written.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Piece<ReadBatch>>(2);
    let schema = rows.schema();
    let encoder = tokio::task::spawn_blocking(move || {
        let pieces = std::iter::from_fn(move || rx.blocking_recv());
        columns::encode(file, schema, props, pieces, rows_of, row_group_budget)
    });
    let mut failed = None;
    while let Some(item) = rows.next_item().await {
        match item {
            Ok(item) => {
                let piece = match item {
                    TableItem::Batch(b) => Piece::Rows(b),
                    TableItem::RowGroup(g) => Piece::Copy(g),
                };
                if tx.send(piece).await.is_err() {
                    // The encoder stopped; its error is below.
                    break;
                }
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let encoded = encoder.await.map_err(|e| write_error(&e))?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    encoded.map_err(|e| write_error(&e))?;
    std::fs::rename(&partial.path, out).map_err(|e| write_error(&e))?;
    partial.done = true;
    Ok(())
}

fn rows_of(batch: &ReadBatch) -> &arrow_array::RecordBatch {
    &batch.batch
}
