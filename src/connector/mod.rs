//! The connector end to end: from a connection form to a report of tables and diagnostics.
//!
//! Validate the form, list the schema prefix, discover tables, check that data can be
//! read, infer schemas. What the platform runs when a user saves a connection
//! ("Processing" -> "Active" or failed) and on every resync.
//!
//! The I/O is in `probe` (listings, the one-byte read check, ranged schema reads); what
//! its outcomes mean is decided without I/O, in `diagnose` (access, listing, status) and
//! `sample` (schemas from the bytes read), so both are unit-tested on plain values.

mod diagnose;
mod from_inventory;
mod judging;
mod probe;
mod sample;

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::config::{ConnectionConfig, ConnectionForm, DataFormat};
use crate::diagnostic::{Code, Diagnostic};
use crate::layout::tables::{IgnoredKey, Layout, SkippedTable, TableLayout, discover_tables};
use crate::retry::RetryOptions;
use crate::s3::S3Client;
use crate::schema::{Column, CsvSchema};

use self::diagnose::ReadCheck;
use self::judging::{Arrivals, Discovery};

/// How the connector behaves.
#[derive(Debug, Clone)]
pub struct ConnectorOptions {
    /// Listings and reads in flight at once, at first.
    pub concurrency: usize,
    /// Listings and reads in flight at most: the limit doubles from `concurrency` while
    /// S3 keeps up, halves on each burst of throttling (503 SlowDown), and halves on
    /// other transient failures down to `concurrency`. Equal to `concurrency`, the
    /// limit is fixed.
    pub max_concurrency: usize,
    /// Files per table whose schema is read (first, last and evenly between).
    pub schema_files_per_table: usize,
    /// Bytes read from the start of a CSV file to infer its schema.
    pub csv_sample_bytes: u64,
    /// The platform's account and role, named in hints.
    pub platform: Option<(String, String)>,
    /// How S3 calls are retried and timed out.
    pub retry: RetryOptions,
    /// Discover from this S3 Inventory report (or the newest in this folder of
    /// reports) instead of listing the schema prefix: for tables too large to list.
    /// Objects written after the report are not seen; diagnostics say which report
    /// was used and when it was made.
    pub inventory: Option<crate::inventory::InventoryLocation>,
}

impl ConnectorOptions {
    /// Tables or prefixes worked on at once: as many as calls may come to be in flight
    /// (the client bounds the calls themselves).
    pub(crate) fn width(&self) -> usize {
        self.max_concurrency.max(self.concurrency).max(1)
    }
}

impl Default for ConnectorOptions {
    fn default() -> Self {
        Self {
            concurrency: 16,
            max_concurrency: 128,
            schema_files_per_table: 3,
            csv_sample_bytes: 64 * 1024,
            platform: None,
            retry: RetryOptions::default(),
            inventory: None,
        }
    }
}

/// Whether the connection works: what the platform shows once "Processing" ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionStatus {
    /// The connection is saved and its tables are imported.
    Active,
    /// A fatal diagnostic (bad form, no access, nothing to import) stops the connection.
    Failed,
}

/// A table the platform can import.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// The table directory's name, directly under the schema prefix.
    pub name: String,
    /// `schema_prefix + name + "/"`.
    pub prefix: String,
    /// The format all its files share.
    pub format: DataFormat,
    /// Hive partition column names, outermost first.
    pub partition_columns: Vec<String>,
    /// File columns, then partition columns.
    pub columns: Vec<Column>,
    /// Data files in the table.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
    /// What discovery found: the files and partition columns behind this table.
    #[serde(skip)]
    pub layout: TableLayout,
    /// For a CSV table, the dialect (delimiter, quote, header) of the first sampled file
    /// that could be read, which every file of the table is read with.
    #[serde(skip)]
    pub csv: Option<CsvSchema>,
}

/// The outcome of connecting (or resyncing).
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionReport {
    /// Active, or failed on a fatal diagnostic.
    pub status: ConnectionStatus,
    /// The validated connection; `None` when the form itself is invalid.
    #[serde(skip)]
    pub config: Option<ConnectionConfig>,
    /// Tables to import, by name.
    pub tables: Vec<Table>,
    /// Table directories not imported; their diagnostics say why.
    #[serde(skip)]
    pub skipped_tables: Vec<SkippedTable>,
    /// Keys that are not data (hidden files, other formats, odd keys), with the reason.
    pub ignored: Vec<IgnoredKey>,
    /// Everything found, errors first.
    pub diagnostics: Vec<Diagnostic>,
    /// S3 calls the connector made, by operation.
    pub requests: BTreeMap<String, u64>,
}

/// Runs connections against S3 through aws-sdk-s3, counting its calls.
pub struct Connector {
    pub(crate) s3: S3Client,
    options: ConnectorOptions,
}

impl Connector {
    /// A connector calling S3 through `client` (whose credentials are the platform's role).
    pub fn new(client: aws_sdk_s3::Client, options: ConnectorOptions) -> Self {
        Self {
            s3: S3Client::new(
                client,
                options.concurrency,
                options.max_concurrency,
                options.retry.clone(),
            ),
            options,
        }
    }

    fn role_arn(&self) -> String {
        match &self.options.platform {
            Some((account, role)) => crate::bucket_policy::platform_role_arn(account, role),
            None => "the platform's role".to_owned(),
        }
    }

    fn report(&self, config: Option<ConnectionConfig>, mut diagnostics: Vec<Diagnostic>) -> ConnectionReport {
        // The read check and a schema read of the same file can both outlast the
        // retries: the first diagnostic says it.
        let mut seen = std::collections::BTreeSet::new();
        diagnostics.retain(|d| d.code != Code::S3Unavailable || seen.insert(d.subject.clone()));
        let status = diagnose::status(&diagnostics);
        diagnostics.sort_by_key(|d| d.severity);
        ConnectionReport {
            status,
            config,
            tables: Vec::new(),
            skipped_tables: Vec::new(),
            ignored: Vec::new(),
            diagnostics,
            requests: self.s3.counts(),
        }
    }

    /// Validates the form, then lists, checks read access, discovers tables and infers their
    /// schemas as saving the connection would. Never fails: every problem, from a bad field
    /// to S3 being unavailable, is a diagnostic of the report, and fatal ones make it
    /// [`ConnectionStatus::Failed`].
    pub async fn connect(&self, form: &ConnectionForm) -> ConnectionReport {
        let config = match form.problems_or_config() {
            Ok(c) => c,
            Err(problems) => return self.report(None, problems),
        };
        let role = self.role_arn();
        let (listed, from_report) = match &self.options.inventory {
            Some(at) => match self.probe_inventory(&config, &role, at).await {
                Ok(found) => (found.listed, found.diagnostics),
                Err(problem) => return self.report(Some(config), vec![problem]),
            },
            None => match diagnose::listing(&config, &role, self.probe_listing(&config).await) {
                Ok(listed) => (listed, Vec::new()),
                Err(problem) => return self.report(Some(config), vec![problem]),
            },
        };
        let diagnose::Listed {
            objects,
            has_table_dirs,
            unavailable,
        } = listed;

        // Tables are judged on blocking threads while the first judged are already read.
        let mut discovery = Discovery::start(&config, objects, self.options.schema_files_per_table);
        let mut arrivals = Arrivals::default();
        let mut first_file = None;
        while first_file.is_none() {
            match discovery.judged.next().await {
                Some(job) => first_file = arrivals.add(job),
                None => break,
            }
        }
        let target = match first_file {
            Some(file) => Some(probe::ReadCheckTarget::Sampled(file)),
            None => probe::read_check_target(&[], discovery.objects()),
        };
        let mut read_problem = None;
        let mut prefetched = None;
        let mut denied = false;
        if let Some(target) = target {
            let (outcome, read) = self.probe_read(&config, &target).await;
            prefetched = read;
            match diagnose::read_check(&config, &role, target.key(), outcome) {
                ReadCheck::Readable => {}
                ReadCheck::Failed(problem) => read_problem = Some(problem),
                ReadCheck::Denied(problem) => {
                    read_problem = Some(problem);
                    denied = true;
                }
            }
        }

        let mut sampled: BTreeMap<String, Vec<sample::FileColumns>> = if denied {
            BTreeMap::new()
        } else {
            let (config, prefetched) = (&config, prefetched.as_ref());
            stream::iter(std::mem::take(&mut arrivals.imported))
                .chain(&mut discovery.judged)
                .filter(|job| std::future::ready(job.imported))
                .map(|job| async move { (job.name, self.probe_files(config, &job.files, prefetched).await) })
                .buffer_unordered(self.options.width())
                .collect()
                .await
        };

        let Layout {
            tables: table_layouts,
            skipped,
            ignored,
            diagnostics: layout_diags,
        } = discovery.layout().await;
        let mut diagnostics = from_report;
        if !has_table_dirs {
            diagnostics.push(diagnose::no_tables(&config));
        }
        diagnostics.extend(unavailable);
        diagnostics.extend(layout_diags);
        diagnostics.extend(read_problem);
        if denied {
            let mut report = self.report(Some(config), diagnostics);
            report.ignored = ignored;
            report.skipped_tables = skipped;
            return report;
        }
        let mut tables = Vec::new();
        let mut skipped = skipped;
        for layout in table_layouts {
            // Every imported table was sampled (none is missing unless discovery told of
            // fewer tables than it returned, which its tests rule out).
            let files = sampled.remove(&layout.name).unwrap_or_default();
            let csv = files.iter().find(|f| f.columns.is_ok()).and_then(|f| f.csv.clone());
            let (columns, diags) = sample::table_columns(&layout, files);
            let code = if diags.iter().any(|d| d.code == Code::S3Unavailable) {
                Code::S3Unavailable
            } else {
                Code::UnreadableFile
            };
            diagnostics.extend(diags);
            match columns {
                Some(columns) => tables.push(Table {
                    name: layout.name.clone(),
                    prefix: layout.prefix.clone(),
                    format: layout.format,
                    partition_columns: layout.partition_columns.iter().map(|c| c.name.clone()).collect(),
                    columns,
                    files: layout.files.len(),
                    bytes: layout.bytes(),
                    layout,
                    csv,
                }),
                None => skipped.push(SkippedTable {
                    name: layout.name.clone(),
                    prefix: layout.prefix.clone(),
                    code,
                    files: layout.files.clone(),
                }),
            }
        }
        skipped.sort_by(|a, b| a.name.cmp(&b.name));
        let mut report = self.report(Some(config), diagnostics);
        report.tables = tables;
        report.skipped_tables = skipped;
        report.ignored = ignored;
        report
    }
}

/// Which bytes of a file schema inference reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleBytes {
    /// The first this many bytes (a CSV or gzipped CSV file).
    Head(u64),
    /// A Parquet tail: the last 64 KiB (or the whole file), then the whole footer when longer.
    ParquetFooter,
}

/// A file whose bytes [`Connector::connect`] reads to infer a schema, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRead {
    /// The object key.
    pub key: String,
    /// Its listed size.
    pub size: u64,
    /// The bytes read.
    pub bytes: SampleBytes,
}

/// The reads schema inference makes for a connection over `objects` (everything listed
/// under its schema prefix), in no particular order: the same files and byte ranges
/// `connect` samples, so a tool can record exactly what inference needs. Files whose
/// size alone rules them out (empty, too small for Parquet) are not read and not listed.
pub fn schema_reads(
    config: &ConnectionConfig,
    objects: &[crate::layout::ListedObject],
    options: &ConnectorOptions,
) -> Vec<SampleRead> {
    let layout = discover_tables(config, objects);
    let mut reads = Vec::new();
    for table in &layout.tables {
        for file in sample::picks(table.files.len(), options.schema_files_per_table)
            .into_iter()
            .filter_map(|i| table.files.get(i))
        {
            if sample::check_size(&file.key, file.size, file.format).is_err() {
                continue;
            }
            let bytes = match file.format {
                crate::layout::classify::FileFormat::Parquet => SampleBytes::ParquetFooter,
                _ => SampleBytes::Head(sample::csv_sample_len(file.size, options.csv_sample_bytes)),
            };
            reads.push(SampleRead {
                key: file.key.clone(),
                size: file.size,
                bytes,
            });
        }
    }
    reads
}
