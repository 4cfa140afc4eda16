//! The connector's probing I/O: listings, the read check, ranged schema reads.
//!
//! Listing the schema prefix and its tables, the read check on one data file, and the
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

/// What the read check reads.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ReadCheckTarget {
    /// The first file of the first table, which its schema sample reads anyway: the
    /// check is that file's first schema read, and the sample reuses its bytes.
    Sampled(DataFile),
    /// No table has a file: the first byte of any non-empty file with a data extension.
    FirstByte(String),
}

impl ReadCheckTarget {
    /// The key the check reads, which its diagnostic names.
    pub(super) fn key(&self) -> &str {
        match self {
            Self::Sampled(file) => &file.key,
            Self::FirstByte(key) => key,
        }
    }
}

/// What the read check reads: the first file of the first table, else any non-empty
/// file with a data extension.
pub(super) fn read_check_target(tables: &[TableLayout], objects: &[ListedObject]) -> Option<ReadCheckTarget> {
    tables
        .iter()
        .flat_map(|t| t.files.first())
        .next()
        .map(|f| ReadCheckTarget::Sampled(f.clone()))
        .or_else(|| {
            objects
                .iter()
                .find(|o| FileFormat::from_name(&o.key).is_some() && !o.key.ends_with('/') && o.size > 0)
                .map(|o| ReadCheckTarget::FirstByte(o.key.clone()))
        })
}

/// A ranged read already made (by the read check), kept for the schema sample that
/// would make the same read again.
#[derive(Debug, Clone)]
pub(super) struct Prefetched {
    key: String,
    range: String,
    result: Result<bytes::Bytes, S3Failure>,
}

/// How many bytes from a Parquet file's end its first read asks for: its footer in one
/// read when the footer fits (as Arrow's Parquet reader does by default, 64 KiB), the
/// exact footer in a second read otherwise.
const PARQUET_TAIL_GUESS: u64 = crate::schema::parquet::SPECULATIVE_TAIL_LEN;

/// The range of a file's first schema read, or why its size alone rules it out.
fn first_schema_range(file: &DataFile, csv_sample_bytes: u64) -> Result<String, Diagnostic> {
    sample::check_size(&file.key, file.size, file.format)?;
    Ok(match file.format {
        FileFormat::Parquet => format!("bytes=-{}", file.size.min(PARQUET_TAIL_GUESS)),
        FileFormat::Csv | FileFormat::CsvGzip => {
            // `check_size` let no empty file through, so the length is at least 1.
            let len = sample::csv_sample_len(file.size, csv_sample_bytes);
            format!("bytes=0-{}", len.saturating_sub(1))
        }
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
        let mut listings: Vec<(usize, String, Result<Vec<ListedObject>, S3Failure>)> =
            stream::iter(root.common_prefixes.into_iter().enumerate())
                .map(|(i, p)| {
                    let bucket = &config.bucket;
                    async move {
                        let r = self.s3.list_tree(bucket, &p).await;
                        (i, p, r)
                    }
                })
                .buffer_unordered(self.options.width())
                .collect()
                .await;
        // In the root listing's order, whatever order they finished in: the failure
        // reported is the first table's, and the keys come out sorted (discovery then
        // has nothing to sort).
        listings.sort_unstable_by_key(|(i, _, _)| *i);
        let mut objects = root.objects;
        let mut unavailable = Vec::new();
        for (_, table_prefix, listing) in listings {
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

    /// The read check: the first schema read of the file it targets (kept for the
    /// sample), or the first byte of a file no table samples, or of a file too small to
    /// hold a schema (a zero-byte object answers InvalidRange, which proves access too).
    pub(super) async fn probe_read(
        &self,
        config: &ConnectionConfig,
        target: &ReadCheckTarget,
    ) -> (Result<(), S3Failure>, Option<Prefetched>) {
        let range = match target {
            ReadCheckTarget::Sampled(file) => first_schema_range(file, self.options.csv_sample_bytes).ok(),
            ReadCheckTarget::FirstByte(_) => None,
        };
        let key = target.key();
        match range {
            Some(range) => {
                let result = self.s3.get_range(&config.bucket, key, &range).await;
                let outcome = result.as_ref().map(drop).map_err(Clone::clone);
                let prefetched = Prefetched {
                    key: key.to_owned(),
                    range,
                    result,
                };
                (outcome, Some(prefetched))
            }
            None => (
                self.s3.get_range(&config.bucket, key, "bytes=0-0").await.map(drop),
                None,
            ),
        }
    }

    /// The columns of a table's sampled files (first, last and evenly between), read
    /// concurrently (within the client's bound on calls in flight) and returned in file
    /// order, so that the first readable file sets the schema whatever the timing.
    pub(super) async fn probe_files(
        &self,
        config: &ConnectionConfig,
        files: &[DataFile],
        prefetched: Option<&Prefetched>,
    ) -> Vec<FileColumns> {
        let reads = files.iter().map(|file| async move {
            let (columns, csv) = match self.file_columns(config, file, prefetched).await {
                Ok((columns, csv)) => (Ok(columns), csv),
                Err(d) => (Err(d), None),
            };
            FileColumns {
                key: file.key.clone(),
                columns,
                csv,
            }
        });
        futures::future::join_all(reads).await
    }

    /// One file's columns from as few ranged reads as its format allows, or the diagnostic
    /// that says why they cannot be had. Each read is decided by what the last one said;
    /// a read the read check already made is not made again.
    async fn file_columns(
        &self,
        config: &ConnectionConfig,
        file: &DataFile,
        prefetched: Option<&Prefetched>,
    ) -> Result<(Vec<Column>, Option<CsvSchema>), Diagnostic> {
        let (key, size) = (file.key.as_str(), file.size);
        let read = |range: String| async move {
            let result = match prefetched.filter(|p| p.key == key && p.range == range) {
                Some(p) => p.result.clone(),
                None => self.s3.get_range(&config.bucket, key, &range).await,
            };
            result.map_err(|e| sample::read_failed(config, key, e))
        };
        let bytes = read(first_schema_range(file, self.options.csv_sample_bytes)?).await?;
        match file.format {
            FileFormat::Parquet => {
                let need = sample::parquet_tail_len(key, size, &bytes)?;
                let tail = if need <= bytes.len() as u64 {
                    bytes
                } else {
                    read(format!("bytes=-{need}")).await?
                };
                sample::parquet_columns(key, &tail, size).map(|c| (c, None))
            }
            FileFormat::Csv | FileFormat::CsvGzip => {
                let complete = sample::csv_sample_len(size, self.options.csv_sample_bytes) == size;
                sample::csv_columns(key, file.format, &bytes, complete).map(|s| (s.columns.clone(), Some(s)))
            }
        }
    }
}
