//! The connector's probing I/O: listings, the one-byte read check, ranged schema reads.
//!
//! Listing the schema prefix and its tables, reading one byte of one data file, and the
//! ranged reads schemas are inferred from. What the outcomes mean is decided elsewhere
//! (`diagnose`, `sample`), without I/O.
//!
//! Which requests are made depends only on what S3 answers, not on their timing, so a
//! simulator injecting faults by request identity fails the same requests on every run.

use futures::stream::{self, StreamExt};

use crate::config::ConnectionConfig;
use crate::diagnostic::Diagnostic;
use crate::layout::ListedObject;
use crate::layout::classify::FileFormat;
use crate::layout::tables::{DataFile, TableLayout};
use crate::s3::S3Failure;
use crate::schema::{Column, CsvSchema};

use super::Connector;
use super::sample::{self, FileColumns};

/// What listing the schema prefix found, before any judgement.
#[derive(Debug)]
pub(super) enum ListingProbe {
    /// The delimiter listing of the schema prefix failed.
    PrefixFailed(S3Failure),
    /// Nothing exists under the schema prefix. `siblings` are the directories beside it
    /// (in its parent), when that listing worked.
    Empty { siblings: Option<Vec<String>> },
    /// Listing one table directory failed (the first failure seen).
    TableFailed { table_prefix: String, failure: S3Failure },
    /// Everything under the schema prefix.
    Listed {
        /// Objects directly under the prefix, then every table directory's.
        objects: Vec<ListedObject>,
        /// Whether the prefix holds any directory (a table candidate).
        has_table_dirs: bool,
        /// Directories S3 kept failing to list, in name order; they are left out.
        unavailable: Vec<S3Failure>,
    },
}

/// The data file whose first byte the read check asks for: the first file of the first
/// table, else any non-empty file with a data extension.
pub(super) fn read_check_key(tables: &[TableLayout], objects: &[ListedObject]) -> Option<String> {
    tables
        .iter()
        .flat_map(|t| t.files.first())
        .next()
        .map(|f| f.key.clone())
        .or_else(|| {
            objects
                .iter()
                .find(|o| FileFormat::from_name(&o.key).is_some() && !o.key.ends_with('/') && o.size > 0)
                .map(|o| o.key.clone())
        })
}

impl Connector {
    /// A delimiter listing of the schema prefix, then every table directory under it,
    /// concurrently (`S3Client::list_tree`). When the prefix is empty, the directories
    /// beside it, for a "did you mean".
    pub(super) async fn probe_listing(&self, config: &ConnectionConfig) -> ListingProbe {
        let root = match self.s3.list_all(&config.bucket, &config.schema_prefix, Some("/")).await {
            Ok(page) => page,
            Err(failure) => return ListingProbe::PrefixFailed(failure),
        };
        if root.objects.is_empty() && root.common_prefixes.is_empty() {
            let (parent, _) = super::diagnose::parent_and_leaf(&config.schema_prefix);
            let siblings = self
                .s3
                .list_page(&config.bucket, parent, Some("/"), None)
                .await
                .ok()
                .map(|page| page.common_prefixes);
            return ListingProbe::Empty { siblings };
        }
        let has_table_dirs = !root.common_prefixes.is_empty();
        let listings: Vec<(String, Result<Vec<ListedObject>, S3Failure>)> = stream::iter(root.common_prefixes)
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
        let mut objects = root.objects;
        let mut unavailable = Vec::new();
        // In the order the listings finished, as the first failure is the one reported.
        for (table_prefix, listing) in listings {
            match listing {
                Ok(list) => objects.extend(list),
                // S3 kept failing on this directory only: the others are still discovered.
                Err(failure @ S3Failure::Unavailable { .. }) => unavailable.push((table_prefix, failure)),
                Err(failure) => return ListingProbe::TableFailed { table_prefix, failure },
            }
        }
        unavailable.sort_by(|a, b| a.0.cmp(&b.0));
        ListingProbe::Listed {
            objects,
            has_table_dirs,
            unavailable: unavailable.into_iter().map(|(_, f)| f).collect(),
        }
    }

    /// The read check: the first byte of `key`.
    pub(super) async fn probe_read(&self, config: &ConnectionConfig, key: &str) -> Result<(), S3Failure> {
        self.s3.get_range(&config.bucket, key, "bytes=0-0").await.map(drop)
    }

    /// The columns of a sample of the table's files (first, last and evenly between), read
    /// one after the other, in file order.
    pub(super) async fn probe_table(&self, config: &ConnectionConfig, table: &TableLayout) -> Vec<FileColumns> {
        let mut sampled = Vec::new();
        let picks = sample::picks(table.files.len(), self.options.schema_files_per_table);
        for file in picks.into_iter().filter_map(|i| table.files.get(i)) {
            let (columns, csv) = match self.file_columns(config, file).await {
                Ok((columns, csv)) => (Ok(columns), csv),
                Err(d) => (Err(d), None),
            };
            sampled.push(FileColumns {
                key: file.key.clone(),
                columns,
                csv,
            });
        }
        sampled
    }

    /// One file's columns from as few ranged reads as its format allows, or the diagnostic
    /// that says why they cannot be had. Each read is decided by what the last one said.
    async fn file_columns(
        &self,
        config: &ConnectionConfig,
        file: &DataFile,
    ) -> Result<(Vec<Column>, Option<CsvSchema>), Diagnostic> {
        let (key, size) = (file.key.as_str(), file.size);
        let read = |range: String| async move {
            self.s3
                .get_range(&config.bucket, key, &range)
                .await
                .map_err(|e| sample::read_failed(config, key, e))
        };
        sample::check_size(key, size, file.format)?;
        match file.format {
            FileFormat::Parquet => {
                let tail = read("bytes=-8".to_owned()).await?;
                let need = sample::parquet_tail_len(key, size, &tail)?;
                let tail = read(format!("bytes=-{need}")).await?;
                sample::parquet_columns(key, &tail, size).map(|c| (c, None))
            }
            FileFormat::Csv | FileFormat::CsvGzip => {
                let len = sample::csv_sample_len(size, self.options.csv_sample_bytes);
                // `check_size` let no empty file through, so `len` is at least 1.
                let bytes = read(format!("bytes=0-{}", len.saturating_sub(1))).await?;
                sample::csv_columns(key, file.format, &bytes, len == size).map(|s| (s.columns.clone(), Some(s)))
            }
        }
    }
}
