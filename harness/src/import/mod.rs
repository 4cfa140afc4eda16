//! `s3-harness preview` and `import`: a discovered table's rows read through the
//! simulator as the platform reader, as an import would read them.
//!
//! The scenario's world is served in process, the connector connects as `run` does, and
//! the named table's rows are read with [`s3_connector::read`]: shown (`preview`) or
//! written to one Parquet file (`import`).

mod allocator;
mod cells;
mod columns;
mod write;

use s3_connector::config::ConnectionForm;
use s3_connector::connector::Table;
use s3_connector::read::{BadRowPolicy, Problem, ReadOptions, TableRows};
use serde::Serialize;
use serde_json::Value;

pub use allocator::tune_allocator;
pub use write::{import, write_parquet};

use crate::run::{Platform, RunOptions, start_platform};
use crate::scenario::Scenario;
use crate::{Error, Simulator};

/// A table being read, with the simulator serving it (dropped together).
pub struct OpenTable {
    /// The table as discovered.
    pub table: Table,
    /// Its rows.
    pub rows: TableRows,
    sim: Simulator,
}

impl OpenTable {
    /// Stops the simulator.
    pub async fn close(self) {
        self.sim.shutdown().await;
    }
}

/// Serves `scenario`, connects as the platform reader and opens `table`'s rows.
pub async fn open_table(
    path: &str,
    scenario: &Scenario,
    table: &str,
    options: ReadOptions,
) -> Result<OpenTable, Error> {
    // A preview or an import keeps only the latest request records: it reports rows,
    // not requests.
    let Platform {
        sim, connector, spec, ..
    } = start_platform(
        path,
        scenario,
        &RunOptions::default(),
        crate::sim::request_log::DEFAULT_LOG_CAPACITY,
    )
    .await?;
    let form: ConnectionForm = spec;
    let report = connector.connect(&form).await;
    let found = report.tables.iter().find(|t| t.name == table).cloned();
    let (Some(found), Some(config)) = (found, report.config.as_ref()) else {
        sim.shutdown().await;
        return Err(Error::NoSuchTable {
            path: path.into(),
            table: table.to_owned(),
            available: report.tables.iter().map(|t| t.name.clone()).collect(),
        });
    };
    let rows = match connector.read_table(config, &found, options).await {
        Ok(rows) => rows,
        Err(e) => {
            sim.shutdown().await;
            return Err(e.into());
        }
    };
    Ok(OpenTable {
        table: found,
        rows,
        sim,
    })
}

/// A column of a preview.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewColumn {
    /// Its name.
    pub name: String,
    /// Its type, as discovery named it.
    #[serde(rename = "type")]
    pub data_type: String,
}

/// The first rows of a table, and the problems met on the way to them.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    /// The table.
    pub table: String,
    /// File columns, then partition columns.
    pub columns: Vec<PreviewColumn>,
    /// The rows, one JSON value per column (dates and timestamps as ISO 8601 text).
    pub rows: Vec<Vec<Value>>,
    /// Rows kept out while reading these (bad rows are skipped in a preview).
    pub bad_rows: u64,
    /// What kept them out.
    pub problems: Vec<Problem>,
}

/// Up to `limit` rows of `table`, read one file at a time in key order, bad rows skipped
/// and listed.
pub async fn preview(path: &str, scenario: &Scenario, table: &str, limit: usize) -> Result<Preview, Error> {
    let options = ReadOptions {
        files_in_flight: 1,
        batch_rows: limit.clamp(1, 8192),
        on_bad_row: BadRowPolicy::Skip,
        ..ReadOptions::default()
    };
    let mut open = open_table(path, scenario, table, options).await?;
    let mut rows = Vec::new();
    let mut failure = None;
    while rows.len() < limit {
        match open.rows.next_batch().await {
            None => break,
            Some(Err(e)) => {
                failure = Some(e);
                break;
            }
            Some(Ok(b)) => {
                for r in 0..b.batch.num_rows() {
                    if rows.len() == limit {
                        break;
                    }
                    rows.push(b.batch.columns().iter().map(|c| cells::cell(c.as_ref(), r)).collect());
                }
            }
        }
    }
    let stats = open.rows.stats();
    let columns = open
        .table
        .columns
        .iter()
        .map(|c| PreviewColumn {
            name: c.name.clone(),
            data_type: c.data_type.to_string(),
        })
        .collect();
    open.close().await;
    if let Some(e) = failure {
        return Err(e.into());
    }
    Ok(Preview {
        table: table.to_owned(),
        columns,
        rows,
        bad_rows: stats.bad_rows,
        problems: stats.problems,
    })
}

/// What an import came to.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    /// Rows written.
    pub rows: u64,
    /// Rows kept out (with `skip`).
    pub bad_rows: u64,
    /// What kept them out, sorted by file and position, up to the cap.
    pub problems: Vec<Problem>,
    /// Problems beyond the cap, counted only.
    pub unlisted_problems: u64,
}

/// Rows per batch an import reads: larger than a preview's, as each batch costs the
/// encoder a round trip with its threads.
const IMPORT_BATCH_ROWS: usize = 65_536;

/// How `import` reads and writes.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Bytes the import may hold at once: half for decoded batches, a quarter for the
    /// row group being written.
    pub memory_limit: u64,
    /// What a bad row does.
    pub on_bad_row: BadRowPolicy,
}

impl ImportOptions {
    /// How the table is read: half the memory limit for decoded batches and held row
    /// groups; Parquet row groups stored as the output stores them are copied unchanged.
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            memory_limit: (self.memory_limit / 2).max(1),
            on_bad_row: self.on_bad_row,
            copy_row_groups: true,
            batch_rows: IMPORT_BATCH_ROWS,
            ..ReadOptions::default()
        }
    }
}
