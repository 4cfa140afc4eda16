//! The connector end to end: validate the form, list the schema prefix, discover tables,
//! check that data can be read, infer schemas. What the platform runs when a user saves
//! a connection ("Processing" -> "Active" or failed) and on every resync.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::config::{ConnectionConfig, ConnectionForm, DataFormat};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::layout::ListedObject;
use crate::layout::classify::FileFormat;
use crate::layout::tables::{IgnoredKey, Layout, SkippedTable, TableLayout, discover_tables};
use crate::s3::{S3Client, S3Failure};
use crate::schema::{Column, DataType};
use crate::schema::{csv as csv_schema, parquet as parquet_schema};

/// How the connector behaves.
#[derive(Debug, Clone)]
pub struct ConnectorOptions {
    /// Listings and reads in flight at once.
    pub concurrency: usize,
    /// Files per table whose schema is read (first, last and evenly between).
    pub schema_files_per_table: usize,
    /// Bytes read from the start of a CSV file to infer its schema.
    pub csv_sample_bytes: u64,
    /// The platform's account and role, named in hints.
    pub platform: Option<(String, String)>,
}

impl Default for ConnectorOptions {
    fn default() -> Self {
        Self {
            concurrency: 16,
            schema_files_per_table: 3,
            csv_sample_bytes: 64 * 1024,
            platform: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionStatus {
    Active,
    Failed,
}

/// A table the platform can import.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    pub prefix: String,
    pub format: DataFormat,
    pub partition_columns: Vec<String>,
    /// File columns, then partition columns.
    pub columns: Vec<Column>,
    pub files: usize,
    pub bytes: u64,
    #[serde(skip)]
    pub layout: TableLayout,
}

/// The outcome of connecting (or resyncing).
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionReport {
    pub status: ConnectionStatus,
    #[serde(skip)]
    pub config: Option<ConnectionConfig>,
    pub tables: Vec<Table>,
    /// Table directories not imported; their diagnostics say why.
    #[serde(skip)]
    pub skipped_tables: Vec<SkippedTable>,
    pub ignored: Vec<IgnoredKey>,
    pub diagnostics: Vec<Diagnostic>,
    /// S3 calls the connector made, by operation.
    pub requests: BTreeMap<String, u64>,
}

/// Failures that end the connection attempt.
const FATAL: [Code; 8] = [
    Code::InvalidConfig,
    Code::BucketNotFound,
    Code::RegionMismatch,
    Code::ListAccessDenied,
    Code::ReadAccessDenied,
    Code::PrefixNotFound,
    Code::NoTables,
    Code::S3Unavailable,
];

/// One table's schema inference.
struct SchemaOutcome {
    layout: TableLayout,
    columns: Option<Vec<Column>>,
    diagnostics: Vec<Diagnostic>,
}

pub struct Connector {
    s3: S3Client,
    options: ConnectorOptions,
}

impl Connector {
    pub fn new(client: aws_sdk_s3::Client, options: ConnectorOptions) -> Self {
        Self {
            s3: S3Client::new(client, options.concurrency),
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
        let failed = diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error && FATAL.contains(&d.code));
        diagnostics.sort_by_key(|d| d.severity);
        ConnectionReport {
            status: if failed {
                ConnectionStatus::Failed
            } else {
                ConnectionStatus::Active
            },
            config,
            tables: Vec::new(),
            skipped_tables: Vec::new(),
            ignored: Vec::new(),
            diagnostics,
            requests: self.s3.counts(),
        }
    }

    /// A listing failure as the diagnostic the guide's troubleshooting calls for.
    fn list_failure(&self, config: &ConnectionConfig, e: &S3Failure) -> Diagnostic {
        let bucket = &config.bucket;
        match e {
            S3Failure::NoSuchBucket => Diagnostic::error(Code::BucketNotFound, bucket.clone(), format!("bucket `{bucket}` does not exist"))
                .hint("check the bucket name: it must match the S3 console exactly"),
            S3Failure::WrongRegion { expected, .. } => {
                let actual = expected.as_deref().unwrap_or("another region");
                Diagnostic::error(
                    Code::RegionMismatch,
                    bucket.clone(),
                    format!("bucket `{bucket}` is in {actual}, but the connection says {}", config.region),
                )
                .hint(match expected {
                    Some(r) => format!("set AWS Bucket Region to `{r}`"),
                    None => "set AWS Bucket Region to the region shown in the S3 console".to_owned(),
                })
            }
            S3Failure::AccessDenied { .. } => Diagnostic::error(
                Code::ListAccessDenied,
                format!("arn:aws:s3:::{bucket}"),
                format!("listing `{}` in bucket `{bucket}` is denied to {}", config.schema_prefix, self.role_arn()),
            )
            .hint(format!(
                "the bucket policy needs a statement allowing s3:ListBucket on arn:aws:s3:::{bucket} (the bucket ARN, not `{bucket}/*`) for {}, with no s3:prefix condition excluding `{}`: paste the generated policy",
                self.role_arn(),
                config.schema_prefix
            )),
            S3Failure::Unavailable { code, .. } => Diagnostic::error(
                Code::S3Unavailable,
                bucket.clone(),
                format!("S3 kept answering {code} after retries"),
            )
            .hint("retry later; the connection is re-validated on the next sync"),
            other => Diagnostic::error(Code::ListAccessDenied, bucket.clone(), format!("listing failed: {other}"))
                .hint("check the bucket policy and the bucket name"),
        }
    }

    /// Validates the form, then discovers tables as the connection would.
    pub async fn connect(&self, form: &ConnectionForm) -> ConnectionReport {
        let config = match form.validate() {
            Ok(c) => c,
            Err(problems) => return self.report(None, problems),
        };
        let mut diagnostics = Vec::new();
        let root = match self.s3.list_all(&config.bucket, &config.schema_prefix, Some("/")).await {
            Ok(page) => page,
            Err(e) => {
                diagnostics.push(self.list_failure(&config, &e));
                return self.report(Some(config), diagnostics);
            }
        };
        if root.objects.is_empty() && root.common_prefixes.is_empty() {
            diagnostics.push(self.prefix_not_found(&config).await);
            return self.report(Some(config), diagnostics);
        }
        // Every table directory listed flat, concurrently.
        let listings: Vec<(String, Result<Vec<ListedObject>, S3Failure>)> = stream::iter(root.common_prefixes.clone())
            .map(|p| {
                let bucket = &config.bucket;
                async move {
                    let r = self.s3.list_tree(bucket, &p).await;
                    (p, r)
                }
            })
            .buffer_unordered(self.options.concurrency.max(1))
            .collect()
            .await;
        let mut objects = root.objects.clone();
        for (p, r) in listings {
            match r {
                Ok(list) => objects.extend(list),
                Err(e) => {
                    let mut d = self.list_failure(&config, &e);
                    d.subject = p;
                    diagnostics.push(d);
                    return self.report(Some(config), diagnostics);
                }
            }
        }
        let layout = discover_tables(&config, &objects);
        if root.common_prefixes.is_empty() {
            diagnostics.push(
                Diagnostic::error(
                    Code::NoTables,
                    config.schema_prefix.clone(),
                    format!("`{}` holds files but no table directory", config.schema_prefix),
                )
                .hint(format!(
                    "put each table in its own directory: `{}<table>/...`",
                    config.schema_prefix
                )),
            );
        }
        let Layout {
            tables: table_layouts,
            skipped,
            ignored,
            diagnostics: layout_diags,
        } = layout;
        diagnostics.extend(layout_diags);

        // The read check: one byte of one data file.
        let probe = table_layouts
            .iter()
            .flat_map(|t| t.files.first())
            .next()
            .map(|f| f.key.clone())
            .or_else(|| {
                objects
                    .iter()
                    .find(|o| FileFormat::from_name(&o.key).is_some() && !o.key.ends_with('/') && o.size > 0)
                    .map(|o| o.key.clone())
            });
        if let Some(key) = probe {
            match self.s3.get_range(&config.bucket, &key, "bytes=0-0").await {
                Ok(_) | Err(S3Failure::InvalidRange) => {}
                Err(S3Failure::AccessDenied { .. }) => {
                    diagnostics.push(
                        Diagnostic::error(
                            Code::ReadAccessDenied,
                            key.clone(),
                            format!("listing works but reading `{key}` is denied to {}", self.role_arn()),
                        )
                        .hint(format!(
                            "the bucket policy needs s3:GetObject on arn:aws:s3:::{}/* (objects, not the bucket ARN) for {}, covering `{}`",
                            config.bucket,
                            self.role_arn(),
                            config.schema_prefix
                        )),
                    );
                    let mut report = self.report(Some(config), diagnostics);
                    report.ignored = ignored;
                    report.skipped_tables = skipped;
                    return report;
                }
                Err(e) => diagnostics.push(self.list_failure(&config, &e)),
            }
        }

        let schemas: Vec<SchemaOutcome> = stream::iter(table_layouts)
            .map(|t| {
                let config = &config;
                async move {
                    let mut diagnostics = Vec::new();
                    let columns = self.table_schema(config, &t, &mut diagnostics).await;
                    SchemaOutcome {
                        layout: t,
                        columns,
                        diagnostics,
                    }
                }
            })
            .buffer_unordered(self.options.concurrency.max(1))
            .collect()
            .await;
        let mut schemas = schemas;
        schemas.sort_by(|a, b| a.layout.name.cmp(&b.layout.name));
        let mut tables = Vec::new();
        let mut skipped = skipped;
        for SchemaOutcome {
            layout,
            columns,
            diagnostics: diags,
        } in schemas
        {
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
                }),
                None => skipped.push(SkippedTable {
                    name: layout.name.clone(),
                    prefix: layout.prefix.clone(),
                    code: Code::UnreadableFile,
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

    /// `prefix_not_found`, with the near names that do exist beside it.
    async fn prefix_not_found(&self, config: &ConnectionConfig) -> Diagnostic {
        let prefix = &config.schema_prefix;
        let trimmed = prefix.trim_end_matches('/');
        let (parent, leaf) = match trimmed.rfind('/') {
            Some(i) => (&prefix[..=i], &trimmed[i + 1..]),
            None => ("", trimmed),
        };
        let mut hint = format!(
            "check the schema prefix: nothing exists under `{prefix}` in bucket `{}`",
            config.bucket
        );
        if let Ok(page) = self.s3.list_page(&config.bucket, parent, Some("/"), None).await {
            let near: Vec<&String> = page
                .common_prefixes
                .iter()
                .filter(|p| {
                    let name = p[parent.len()..].trim_end_matches('/');
                    similar(name, leaf)
                })
                .take(3)
                .collect();
            if !near.is_empty() {
                let list = near.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
                hint = format!("nothing exists under `{prefix}`; did you mean {list}?");
            }
        }
        Diagnostic::error(
            Code::PrefixNotFound,
            prefix.clone(),
            format!("nothing exists under `{prefix}`"),
        )
        .hint(hint)
    }

    /// The schema of a table from a sample of its files; `None` when none can be read.
    async fn table_schema(
        &self,
        config: &ConnectionConfig,
        table: &TableLayout,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Vec<Column>> {
        let n = table.files.len();
        let want = self.options.schema_files_per_table.max(1).min(n);
        let mut picks: Vec<usize> = (0..want)
            .map(|i| if want == 1 { 0 } else { i * (n - 1) / (want - 1) })
            .collect();
        picks.dedup();
        let mut reference: Option<(String, Vec<Column>)> = None;
        for i in picks {
            let file = &table.files[i];
            match self.file_schema(config, &file.key, file.size, file.format).await {
                Ok(columns) => match &reference {
                    None => reference = Some((file.key.clone(), columns)),
                    Some((ref_key, ref_cols)) => {
                        if let Some(d) = compare_schemas(&table.prefix, ref_key, ref_cols, &file.key, &columns) {
                            diags.push(d);
                        }
                    }
                },
                Err(d) => diags.push(d),
            }
        }
        let Some((_, mut columns)) = reference else {
            diags.push(
                Diagnostic::error(
                    Code::UnreadableFile,
                    table.prefix.clone(),
                    "no sampled file of the table could be read; it is not imported",
                )
                .hint("fix or remove the unreadable files listed above"),
            );
            return None;
        };
        for p in &table.partition_columns {
            if let Some(pos) = columns.iter().position(|c| c.name == p.name) {
                let file_col = columns.remove(pos);
                let data_type = if file_col.data_type == p.data_type {
                    p.data_type.clone()
                } else {
                    DataType::String
                };
                diags.push(
                    Diagnostic::warning(
                        Code::PartitionColumnInFile,
                        table.prefix.clone(),
                        format!(
                            "`{}` is both a partition column ({}) and a column in the files ({}); the path's value wins, as {data_type}",
                            p.name, p.data_type, file_col.data_type
                        ),
                    )
                    .hint("drop the column from the files or rename the partition directories"),
                );
                columns.push(Column::new(p.name.clone(), data_type));
            } else {
                columns.push(p.clone());
            }
        }
        Some(columns)
    }

    /// One file's columns, or the diagnostic that says why it cannot be read.
    async fn file_schema(
        &self,
        config: &ConnectionConfig,
        key: &str,
        size: u64,
        format: FileFormat,
    ) -> Result<Vec<Column>, Diagnostic> {
        let unreadable = |why: String| {
            Diagnostic::warning(Code::UnreadableFile, key.to_owned(), why)
                .hint("replace the file with a valid one, or remove it")
        };
        let read_failed = |e: S3Failure| match e {
            S3Failure::AccessDenied { .. } => Diagnostic::error(
                Code::ReadAccessDenied,
                key.to_owned(),
                format!("reading `{key}` is denied"),
            )
            .hint(format!(
                "the bucket policy's s3:GetObject must cover arn:aws:s3:::{}/{key}",
                config.bucket
            )),
            other => unreadable(format!("cannot be read: {other}")),
        };
        if size == 0 {
            return Err(unreadable("the file is empty (0 bytes)".to_owned()));
        }
        match format {
            FileFormat::Parquet => {
                if size < 12 {
                    return Err(unreadable(format!("{size} bytes is too small for a Parquet file")));
                }
                let tail = self
                    .s3
                    .get_range(&config.bucket, key, "bytes=-8")
                    .await
                    .map_err(read_failed)?;
                let footer =
                    parquet_schema::footer_len(&tail).map_err(|e| unreadable(format!("not a Parquet file: {e}")))?;
                let need = u64::from(footer) + 8;
                if need > size {
                    return Err(unreadable(format!(
                        "the Parquet footer claims {footer} bytes, more than the file's {size}"
                    )));
                }
                let tail = self
                    .s3
                    .get_range(&config.bucket, key, &format!("bytes=-{need}"))
                    .await
                    .map_err(read_failed)?;
                parquet_schema::parse_footer(&tail, size)
                    .map(|s| s.columns)
                    .map_err(|e| unreadable(e.to_string()))
            }
            FileFormat::Csv | FileFormat::CsvGzip => {
                let len = size.min(self.options.csv_sample_bytes);
                let bytes = self
                    .s3
                    .get_range(&config.bucket, key, &format!("bytes=0-{}", len - 1))
                    .await
                    .map_err(read_failed)?;
                if crate::schema::is_parquet_magic(&bytes) {
                    return Err(unreadable(
                        "named as CSV but it is a Parquet file (starts with PAR1)".to_owned(),
                    ));
                }
                let gz = crate::schema::is_gzip_magic(&bytes);
                if format == FileFormat::Csv && gz {
                    return Err(unreadable(
                        "named .csv but it is gzipped (starts with 1f 8b); name it .csv.gz".to_owned(),
                    ));
                }
                if format == FileFormat::CsvGzip && !gz {
                    return Err(unreadable("named .gz but it is not gzip (no 1f 8b magic)".to_owned()));
                }
                let sample = csv_schema::CsvSample {
                    bytes: &bytes,
                    complete: len == size,
                    gzipped: gz,
                };
                csv_schema::infer_csv(sample)
                    .map(|(schema, _)| schema.columns)
                    .map_err(|e| unreadable(format!("the CSV cannot be parsed: {e}")))
            }
        }
    }
}

/// Two files' columns compared; `None` when they agree.
fn compare_schemas(table: &str, a_key: &str, a: &[Column], b_key: &str, b: &[Column]) -> Option<Diagnostic> {
    let find = |cols: &[Column], name: &str| cols.iter().find(|c| c.name == name).cloned();
    let message = if let Some(extra) = b.iter().find(|c| find(a, &c.name).is_none()) {
        format!("`{b_key}` has column `{}` that `{a_key}` lacks", extra.name)
    } else if let Some(missing) = a.iter().find(|c| find(b, &c.name).is_none()) {
        format!("`{b_key}` lacks column `{}` that `{a_key}` has", missing.name)
    } else if let Some((x, y)) = a
        .iter()
        .filter_map(|c| find(b, &c.name).map(|d| (c.clone(), d)))
        .find(|(c, d)| c.data_type != d.data_type)
    {
        format!(
            "column `{}` is {} in `{a_key}` but {} in `{b_key}`",
            x.name, x.data_type, y.data_type
        )
    } else if a.iter().map(|c| &c.name).ne(b.iter().map(|c| &c.name)) {
        format!("`{a_key}` and `{b_key}` have the same columns in a different order")
    } else {
        return None;
    };
    Some(
        Diagnostic::warning(Code::SchemaMismatch, table.to_owned(), message)
            .hint("the table's schema is taken from its first file; make every file of a table share one schema"),
    )
}

/// Names a user may have meant: equal ignoring case, `-`/`_`, or one edit apart.
fn similar(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '_', ' '], "");
    if norm(a) == norm(b) {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    // Levenshtein distance, small strings only.
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()] <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_names() {
        assert!(similar("audiences", "audience"));
        assert!(similar("Audiences", "audiences"));
        assert!(similar("data-lake", "data_lake"));
        assert!(!similar("exports", "audiences"));
    }

    #[test]
    fn schema_comparison_names_file_and_column() {
        let a = vec![Column::new("id", "int64")];
        let b = vec![Column::new("id", "string")];
        let d = compare_schemas("t/", "t/a", &a, "t/b", &b).unwrap();
        assert_eq!(d.message, "column `id` is int64 in `t/a` but string in `t/b`");
        let c = vec![Column::new("id", "int64"), Column::new("country", "string")];
        assert!(
            compare_schemas("t/", "t/a", &a, "t/c", &c)
                .unwrap()
                .message
                .contains("`country`")
        );
        assert!(compare_schemas("t/", "t/a", &a, "t/a2", &a).is_none());
    }
}
