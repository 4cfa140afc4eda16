//! Table discovery: a listing of the schema prefix grouped into tables, skipped tables and ignored keys.
//!
//! Every key under the schema prefix ends up in exactly one table or in `ignored` with a
//! reason; tables get their format and partition columns, or a diagnostic saying why they
//! are not imported. Pure: no I/O, and the result does not depend on the listing's order.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::config::{ConnectionConfig, DataFormat, Partitioning};
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::Column;

use super::ListedObject;
use super::classify::{FileFormat, KeyClass, classify};
use super::parallel::{self, Width};
use super::partition::{
    PartitionValue, SegmentParse, TablePartitioning, equivalent_values, infer_partition_type, parse_segment,
    table_partitions,
};

/// One data file of a table, with the directories it sits in below the table directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataFile {
    /// The object key.
    pub key: String,
    /// Its size in bytes, as listed.
    pub size: u64,
    /// Its format, from its name.
    pub format: FileFormat,
    /// Directories between the table and the file.
    #[serde(skip)]
    pub dirs: Vec<String>,
}

/// A key that is not data, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct IgnoredKey {
    /// The object key.
    pub key: String,
    /// The kind of key (`hidden_file`, `unsupported_file`, `invalid_key`, ...).
    pub code: Code,
    /// Why it is not data, for this key.
    pub reason: String,
}

/// A table directory that holds importable data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableLayout {
    /// The table directory's name, directly under the schema prefix.
    pub name: String,
    /// `schema_prefix + name + "/"`.
    pub prefix: String,
    /// The format all its data files share.
    pub format: DataFormat,
    /// Hive partition columns in path order, typed over all their values.
    pub partition_columns: Vec<Column>,
    /// Data files, sorted by key.
    pub files: Vec<DataFile>,
}

impl TableLayout {
    /// The data files' total size.
    pub(crate) fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// A table directory that is not imported, with its data files and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedTable {
    /// The table directory's name.
    pub name: String,
    /// `schema_prefix + name + "/"`.
    pub prefix: String,
    /// The diagnostic code that says why.
    pub code: Code,
    /// The data files it holds, which are not imported.
    pub files: Vec<DataFile>,
}

/// Everything discovery found in a listing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Layout {
    /// Importable tables, by name.
    pub tables: Vec<TableLayout>,
    /// Table directories that are not imported (their diagnostics say why).
    pub skipped: Vec<SkippedTable>,
    /// Keys that are not data, sorted.
    pub ignored: Vec<IgnoredKey>,
    /// What discovery found worth saying, for the connection report.
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Default)]
struct TableAcc {
    files: Vec<DataFile>,
    ignored_by_code: BTreeMap<Code, Vec<(String, String)>>,
}

/// Groups a listing of the schema prefix into tables: each directory directly under the
/// prefix is a table candidate, imported when its data files share the connection's format
/// and (with [`Partitioning::All`]) one list of partition columns.
///
/// ```
/// use s3_connector::config::{ConnectionConfig, DataFormat, Partitioning};
/// use s3_connector::layout::ListedObject;
/// use s3_connector::layout::tables::discover_tables;
///
/// let config = ConnectionConfig {
///     name: "audiences".into(),
///     region: "eu-west-1".into(),
///     bucket: "acme-data".into(),
///     schema_prefix: "data/".into(),
///     format: DataFormat::Csv,
///     partitioning: Partitioning::None,
/// };
/// let object = |key: &str| ListedObject { key: key.into(), size: 10 };
/// let layout = discover_tables(&config, &[object("data/users/a.csv"), object("data/users/_SUCCESS")]);
/// assert_eq!(layout.tables[0].name, "users");
/// assert_eq!(layout.ignored[0].key, "data/users/_SUCCESS");
/// ```
pub fn discover_tables(config: &ConnectionConfig, objects: &[ListedObject]) -> Layout {
    discover_tables_split(config, objects, KEYS_PER_CORE, TABLES_PER_CORE, &|_| {})
}

/// One table candidate as soon as it is judged, before the whole listing is: what lets
/// the connector start reading a table's files while the others are still being judged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Judged<'a> {
    /// Its place among the table candidates, in name order (from 0, each once).
    pub(crate) index: usize,
    /// The table directory's name.
    pub(crate) name: &'a str,
    /// Its data files, sorted by key, when it is imported (it is one of [`Layout::tables`]).
    pub(crate) files: Option<&'a [DataFile]>,
}

/// [`discover_tables`], telling `judged` of every table candidate as soon as it is judged,
/// from whichever thread judged it and in no particular order. The layout returned is
/// the same.
pub(crate) fn discover_tables_judging(
    config: &ConnectionConfig,
    objects: &[ListedObject],
    judged: &(dyn Fn(Judged<'_>) + Sync),
) -> Layout {
    discover_tables_split(config, objects, KEYS_PER_CORE, TABLES_PER_CORE, judged)
}

/// Keys below which classification stays on one thread: a thread costs more than it saves.
const KEYS_PER_CORE: Width = Width::PerCore { min_chunk: 16_384 };
/// Tables below which they are judged on one thread.
const TABLES_PER_CORE: Width = Width::PerCore { min_chunk: 32 };

/// [`discover_tables`] with the work split as given.
fn discover_tables_split(
    config: &ConnectionConfig,
    objects: &[ListedObject],
    key_width: Width,
    table_width: Width,
    judged: &(dyn Fn(Judged<'_>) + Sync),
) -> Layout {
    let prefix = &config.schema_prefix;
    let mut objects: Vec<&ListedObject> = objects.iter().collect();
    // A listing put together in key order (as the connector does) is checked, not sorted.
    if !objects.is_sorted_by(|a, b| a.key <= b.key) {
        objects.sort_by(|a, b| a.key.cmp(&b.key));
    }
    objects.dedup_by(|a, b| a.key == b.key);

    // Keys are classified in runs, each run on its own thread when the listing is large,
    // and the runs folded in key order: the result is the sequential one.
    let mut layout = Layout::default();
    let mut tables: BTreeMap<String, TableAcc> = BTreeMap::new();
    let mut outside = Vec::new();
    let mut odd_keys = Vec::new();
    for run in parallel::map_chunks(&objects, key_width, |run| classify_run(prefix, run)) {
        layout.ignored.extend(run.ignored);
        outside.extend(run.outside);
        odd_keys.extend(run.odd_keys);
        for (name, acc) in run.tables {
            // Only a table that straddles two runs is put together; the others move whole.
            match tables.entry(name) {
                Entry::Vacant(entry) => {
                    entry.insert(acc);
                }
                Entry::Occupied(mut entry) => {
                    let into = entry.get_mut();
                    into.files.extend(acc.files);
                    for (code, keys) in acc.ignored_by_code {
                        into.ignored_by_code.entry(code).or_default().extend(keys);
                    }
                }
            }
        }
    }

    for key in &outside {
        layout.diagnostics.push(
            Diagnostic::warning(
                Code::FileOutsideTable,
                key.clone(),
                "a data file sits directly under the schema prefix, outside any table directory",
            )
            .hint(format!(
                "move it into a table directory such as `{prefix}<table>/`, or it is not imported"
            )),
        );
    }
    for (key, reason) in &odd_keys {
        layout.diagnostics.push(
            Diagnostic::warning(Code::InvalidKey, key.clone(), format!("skipped: {reason}"))
                .hint("rename the object; tools that treat keys as paths mishandle it"),
        );
    }

    // Each table is judged by itself (on its own thread when there are many), then the
    // verdicts are taken in table order.
    let tables: Vec<(String, TableAcc)> = tables.into_iter().collect();
    let indexed: Vec<(usize, &(String, TableAcc))> = tables.iter().enumerate().collect();
    let verdicts = parallel::map_chunks(&indexed, table_width, |chunk| {
        chunk
            .iter()
            .map(|&(index, (name, acc))| {
                let verdict = judge_table(config, name, acc);
                judged(Judged {
                    index,
                    name,
                    files: verdict.importable.is_ok().then_some(acc.files.as_slice()),
                });
                verdict
            })
            .collect::<Vec<_>>()
    });
    drop(indexed);
    let mut formats_seen: BTreeMap<DataFormat, Vec<String>> = BTreeMap::new();
    for ((name, acc), verdict) in tables.into_iter().zip(verdicts.into_iter().flatten()) {
        let TableVerdict {
            table_prefix,
            diagnostics,
            single_format,
            importable,
        } = verdict;
        layout.diagnostics.extend(diagnostics);
        if let Some(format) = single_format {
            formats_seen.entry(format).or_default().push(name.clone());
        }
        match importable {
            Ok((format, partition_columns)) => layout.tables.push(TableLayout {
                name,
                prefix: table_prefix,
                format,
                partition_columns,
                files: acc.files,
            }),
            Err(code) => layout.skipped.push(SkippedTable {
                name,
                prefix: table_prefix,
                code,
                files: acc.files,
            }),
        }
    }
    if formats_seen.len() > 1 {
        let list = formats_seen
            .iter()
            .map(|(f, tables)| format!("{f}: {}", tables.join(", ")))
            .collect::<Vec<_>>()
            .join("; ");
        layout.diagnostics.push(
            Diagnostic::warning(
                Code::MixedFormats,
                prefix.clone(),
                format!("tables under one schema use different formats ({list})"),
            )
            .hint(format!(
                "all tables under a schema share one format; this connection reads {}",
                config.format
            )),
        );
    }
    layout.ignored.sort();
    layout
}

/// What one run of consecutive keys holds, in key order.
#[derive(Default)]
struct ClassifiedRun {
    tables: BTreeMap<String, TableAcc>,
    ignored: Vec<IgnoredKey>,
    outside: Vec<String>,
    odd_keys: Vec<(String, String)>,
}

fn classify_run(prefix: &str, objects: &[&ListedObject]) -> ClassifiedRun {
    let mut run = ClassifiedRun::default();
    for o in objects {
        match classify(prefix, &o.key, o.size) {
            KeyClass::DataFile {
                table, dirs, format, ..
            } => run.tables.entry(table).or_default().files.push(DataFile {
                key: o.key.clone(),
                size: o.size,
                format,
                dirs,
            }),
            KeyClass::OutsideTable { .. } => {
                run.ignored.push(IgnoredKey {
                    key: o.key.clone(),
                    code: Code::FileOutsideTable,
                    reason: "a data file directly under the schema prefix belongs to no table".to_owned(),
                });
                run.outside.push(o.key.clone());
            }
            KeyClass::Ignored { table, code, reason } => {
                run.ignored.push(IgnoredKey {
                    key: o.key.clone(),
                    code,
                    reason: reason.clone(),
                });
                if code == Code::InvalidKey {
                    run.odd_keys.push((o.key.clone(), reason.clone()));
                }
                let acc = match table {
                    Some(t) => run.tables.entry(t).or_default(),
                    None => continue,
                };
                acc.ignored_by_code
                    .entry(code)
                    .or_default()
                    .push((o.key.clone(), reason));
            }
        }
    }
    run
}

/// One table judged by itself: its diagnostics, its format when it has only one, and
/// whether it is imported.
struct TableVerdict {
    table_prefix: String,
    diagnostics: Vec<Diagnostic>,
    single_format: Option<DataFormat>,
    importable: Result<(DataFormat, Vec<Column>), Code>,
}

fn judge_table(config: &ConnectionConfig, name: &str, acc: &TableAcc) -> TableVerdict {
    let prefix = &config.schema_prefix;
    let table_prefix = format!("{prefix}{name}/");
    let mut diagnostics = Vec::new();
    summarize_ignored(&mut diagnostics, &table_prefix, &acc.ignored_by_code);
    if let Some((k, v)) = name.split_once('=').filter(|(k, _)| !k.is_empty()) {
        diagnostics.push(
            Diagnostic::warning(
                Code::TableLooksLikePartition,
                table_prefix.clone(),
                format!("the table directory `{name}` looks like a Hive partition ({k} = {v})"),
            )
            .hint(format!("the schema prefix `{prefix}` is probably one level too high: point it at the directory that holds the tables")),
        );
    }
    // The schema-level `mixed_formats` lists each table once, under its own format; a
    // table that mixes formats has its own table-level diagnostic and is left out.
    let formats: BTreeSet<DataFormat> = acc.files.iter().map(|f| f.format.data_format()).collect();
    let single_format = match formats.iter().collect::<Vec<_>>().as_slice() {
        [format] => Some(**format),
        _ => None,
    };
    let importable = importable(config, &table_prefix, acc, &mut diagnostics);
    TableVerdict {
        table_prefix,
        diagnostics,
        single_format,
        importable,
    }
}

/// Whether a table directory's files make an importable table: its format and partition
/// columns, or the code of the diagnostic (pushed) that says why not.
fn importable(
    config: &ConnectionConfig,
    table_prefix: &str,
    acc: &TableAcc,
    diags: &mut Vec<Diagnostic>,
) -> Result<(DataFormat, Vec<Column>), Code> {
    if acc.files.is_empty() {
        let hidden: usize = acc.ignored_by_code.values().map(Vec::len).sum();
        diags.push(
            Diagnostic::warning(
                Code::EmptyTable,
                table_prefix,
                format!("the table directory holds no data file ({hidden} key(s) ignored)"),
            )
            .hint(format!(
                "put {} files under `{table_prefix}`, or remove the directory",
                config.format
            )),
        );
        return Err(Code::EmptyTable);
    }
    let formats: BTreeSet<DataFormat> = acc.files.iter().map(|f| f.format.data_format()).collect();
    if formats.len() > 1 {
        let example = |fmt: DataFormat| {
            acc.files
                .iter()
                .find(|f| f.format.data_format() == fmt)
                .map(|f| f.key.clone())
                .unwrap_or_default()
        };
        diags.push(
            Diagnostic::error(
                Code::MixedFormats,
                table_prefix,
                format!(
                    "the table mixes CSV and Parquet files (e.g. `{}` and `{}`); it is not imported",
                    example(DataFormat::Csv),
                    example(DataFormat::Parquet)
                ),
            )
            .hint("keep one format per table (and per schema)"),
        );
        return Err(Code::MixedFormats);
    }
    let format = *formats.iter().next().unwrap_or(&config.format);
    if format != config.format {
        diags.push(
            Diagnostic::error(
                Code::FormatMismatch,
                table_prefix,
                format!(
                    "the table's files are {format} but the connection's data format is {}; it is not imported",
                    config.format
                ),
            )
            .hint(format!(
                "set the connection's data format to {format}, or convert the files"
            )),
        );
        return Err(Code::FormatMismatch);
    }

    let partition_columns = partitions_of(config, table_prefix, &acc.files, diags)?;
    Ok((format, partition_columns))
}

/// One info or warning diagnostic per kind of ignored key in a table, with a count and
/// an example, rather than one per key.
fn summarize_ignored(diags: &mut Vec<Diagnostic>, table_prefix: &str, by_code: &BTreeMap<Code, Vec<(String, String)>>) {
    for (code, keys) in by_code {
        let Some((example, reason)) = keys.first() else {
            continue;
        };
        let (diag, hint) = match code {
            Code::HiddenFile => (
                Diagnostic::info(
                    *code,
                    table_prefix,
                    format!(
                        "{} hidden or bookkeeping key(s) ignored, e.g. `{example}`: {reason}",
                        keys.len()
                    ),
                ),
                "nothing to do: these are not data",
            ),
            Code::UnsupportedFile => (
                Diagnostic::warning(
                    *code,
                    table_prefix,
                    format!(
                        "{} file(s) that are not CSV, gzipped CSV or Parquet ignored, e.g. `{example}`: {reason}",
                        keys.len()
                    ),
                ),
                "only .csv, .gz/.csv.gz and .parquet files are imported",
            ),
            Code::InvalidKey => continue,
            other => (
                Diagnostic::warning(
                    *other,
                    table_prefix,
                    format!("{} key(s) ignored, e.g. `{example}`: {reason}", keys.len()),
                ),
                "",
            ),
        };
        diags.push(diag.hint(hint));
    }
}

/// The table's partition columns, or the code of the diagnostic (pushed) that keeps the
/// table from being imported.
fn partitions_of(
    config: &ConnectionConfig,
    table_prefix: &str,
    files: &[DataFile],
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<Column>, Code> {
    // Malformed `k=v` segments (errors) and undecodable escapes (warnings), once each.
    let mut invalid: BTreeMap<String, String> = BTreeMap::new();
    // Files come sorted by key, so the files of one directory are neighbours: a directory
    // is parsed once, not once per file (the result is per segment either way).
    let mut previous: Option<&[String]> = None;
    for f in files {
        if previous == Some(f.dirs.as_slice()) {
            continue;
        }
        previous = Some(&f.dirs);
        for d in &f.dirs {
            let bad = match parse_segment(d) {
                SegmentParse::Invalid(bad) => Some(bad),
                SegmentParse::Partition(p) => p.warning(),
                SegmentParse::NotPartition => None,
            };
            if let Some(bad) = bad {
                invalid.entry(d.clone()).or_insert_with(|| bad.to_string());
            }
        }
    }
    for (segment, reason) in &invalid {
        diags.push(
            Diagnostic::warning(
                Code::InvalidPartition,
                format!("{table_prefix}{segment}/"),
                reason.clone(),
            )
            .hint(format!("partition directories are `column=value`, with a column name and escapes that decode to UTF-8 (`{segment}`)")),
        );
    }
    match config.partitioning {
        Partitioning::None => {
            let hive = files
                .iter()
                .flat_map(|f| &f.dirs)
                .find(|d| matches!(parse_segment(d), SegmentParse::Partition(_)));
            if let Some(example) = hive {
                diags.push(
                    Diagnostic::info(
                        Code::PartitionsIgnored,
                        table_prefix,
                        format!("Hive-style directories such as `{example}` are read as plain directories (partitioning = none)"),
                    )
                    .hint("set Data Partitioning to \"All tables are partitioned\" to get them as columns"),
                );
            }
            Ok(Vec::new())
        }
        Partitioning::All => {
            let input: Vec<(&str, &[String])> = files.iter().map(|f| (f.key.as_str(), f.dirs.as_slice())).collect();
            match table_partitions(&input) {
                TablePartitioning::Unpartitioned => {
                    diags.push(
                        Diagnostic::warning(
                            Code::TableNotPartitioned,
                            table_prefix,
                            "the table has no Hive partition directories; with \"All tables are partitioned\" it is ignored",
                        )
                        .hint("partition it as `column=value/` directories, or set Data Partitioning to \"No tables are partitioned\""),
                    );
                    Err(Code::TableNotPartitioned)
                }
                TablePartitioning::Mismatch { message, .. } => {
                    diags.push(
                        Diagnostic::error(
                            Code::PartitionMismatch,
                            table_prefix,
                            format!("{message}; the table is not imported"),
                        )
                        .hint(
                            "every data file of a table must sit under the same partition columns, in the same order",
                        ),
                    );
                    Err(Code::PartitionMismatch)
                }
                TablePartitioning::Partitioned { columns, nested } => {
                    if let Some(nested) = nested {
                        diags.push(
                            Diagnostic::info(
                                Code::NestedDirectories,
                                table_prefix,
                                format!(
                                    "{} data file(s) sit in plain directories below the last partition level, e.g. `{}` (in `{}/`); they belong to the partition above them",
                                    nested.count, nested.example, nested.directory
                                ),
                            )
                            .hint("nothing to do: directories below the last partition level add no column (Spark and pyarrow read them the same way)"),
                        );
                    }
                    Ok(type_partitions(table_prefix, &columns, files, diags))
                }
            }
        }
    }
}

/// Types each partition column over all of its values in the table, and warns
/// (`equivalent_partition_values`, once for the table) about columns holding two spellings
/// of probably the same value.
fn type_partitions(
    table_prefix: &str,
    columns: &[String],
    files: &[DataFile],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Column> {
    let mut equivalent = Vec::new();
    let typed = columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            // Partition levels come first in every path (plain directories only below them).
            // Typing and equivalence depend on the set of values only, so each distinct
            // directory is parsed once (a table has far more files than partitions).
            let mut segments: BTreeSet<&str> = BTreeSet::new();
            let mut last: Option<&str> = None;
            for d in files.iter().filter_map(|f| f.dirs.get(i)) {
                if last != Some(d.as_str()) {
                    segments.insert(d);
                    last = Some(d);
                }
            }
            let values: Vec<PartitionValue> = segments
                .into_iter()
                .filter_map(|d| match parse_segment(d) {
                    SegmentParse::Partition(p) => Some(p.value),
                    _ => None,
                })
                .collect();
            if let Some((a, b)) = equivalent_values(&values) {
                equivalent.push(format!("{name}: {a:?} and {b:?}"));
            }
            Column::new(name.clone(), infer_partition_type(values.iter()))
        })
        .collect();
    if !equivalent.is_empty() {
        diags.push(
            Diagnostic::warning(
                Code::EquivalentPartitionValues,
                table_prefix,
                format!(
                    "partition values that are probably the same are spelled differently ({}); they stay distinct values, so queries will split the partition",
                    equivalent.join("; ")
                ),
            )
            .hint("two writers disagree on the spelling (zero padding): rewrite the partition directories with one spelling"),
        );
    }
    typed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::schema::DataType;

    fn config(format: DataFormat, partitioning: Partitioning) -> ConnectionConfig {
        ConnectionConfig {
            name: "acme".into(),
            region: "eu-west-1".into(),
            bucket: "acme-data".into(),
            schema_prefix: "data/".into(),
            format,
            partitioning,
        }
    }

    fn discover(format: DataFormat, partitioning: Partitioning, keys: &[&str]) -> Layout {
        let objects: Vec<ListedObject> = keys
            .iter()
            .map(|k| ListedObject {
                key: (*k).to_owned(),
                size: 10,
            })
            .collect();
        discover_tables(&config(format, partitioning), &objects)
    }

    fn with_code(layout: &Layout, code: Code) -> Vec<&Diagnostic> {
        layout.diagnostics.iter().filter(|d| d.code == code).collect()
    }

    // | a plain directory below the last partition level (`date=1/bucket_00001/p.csv`) | the
    // files belong to that partition; `nested_directories` (info) names an example |
    #[test]
    fn nested_below_partitions() {
        let layout = discover(
            DataFormat::Csv,
            Partitioning::All,
            &[
                "data/events/date=2025-01-01/bucket_00001/part-0.csv",
                "data/events/date=2025-01-01/bucket_00000/part-0.csv",
                "data/events/date=2025-01-02/part-0.csv",
            ],
        );
        assert_eq!(layout.skipped, []);
        let [table] = layout.tables.as_slice() else {
            panic!("{layout:?}")
        };
        assert_eq!(table.files.len(), 3);
        assert_eq!(table.partition_columns, [Column::new("date", DataType::Date)]);
        let nested = with_code(&layout, Code::NestedDirectories);
        let [d] = nested.as_slice() else {
            panic!("{:?}", layout.diagnostics)
        };
        assert_eq!(d.severity, Severity::Info);
        assert_eq!(d.subject, "data/events/");
        assert!(
            d.message.contains("2 data file(s)")
                && d.message
                    .contains("`data/events/date=2025-01-01/bucket_00000/part-0.csv`"),
            "{}",
            d.message
        );
        assert!(with_code(&layout, Code::PartitionMismatch).is_empty());
        // With partitioning = none, directories are plain anyway: nothing to say.
        let none = discover(
            DataFormat::Csv,
            Partitioning::None,
            &["data/events/date=2025-01-01/bucket_00001/part-0.csv"],
        );
        assert!(with_code(&none, Code::NestedDirectories).is_empty());
    }

    // | a plain directory above the first partition level (`t/v1/date=1/p.csv`) |
    // `partition_mismatch` naming it, saying partition directories are direct children of the
    // table directory |
    #[test]
    fn plain_dir_above_partitions() {
        let layout = discover(
            DataFormat::Csv,
            Partitioning::All,
            &["data/events/v1/date=2025-01-01/p.csv"],
        );
        assert!(layout.tables.is_empty());
        assert_eq!(layout.skipped[0].code, Code::PartitionMismatch);
        let mismatch = with_code(&layout, Code::PartitionMismatch);
        let [d] = mismatch.as_slice() else { panic!() };
        assert!(
            d.message.contains("`v1`")
                && d.message.contains("above the partition levels")
                && d.message.contains("direct children of the table directory"),
            "{}",
            d.message
        );
        assert!(with_code(&layout, Code::NestedDirectories).is_empty());
    }

    // | every value of a partition column is null | a string column of nulls |
    #[test]
    fn all_null_partition() {
        let layout = discover(
            DataFormat::Csv,
            Partitioning::All,
            &[
                "data/events/region=__HIVE_DEFAULT_PARTITION__/date=2025-01-01/p.csv",
                "data/events/region=__HIVE_DEFAULT_PARTITION__/date=2025-01-02/p.csv",
            ],
        );
        let [table] = layout.tables.as_slice() else {
            panic!("{layout:?}")
        };
        assert_eq!(
            table.partition_columns,
            [
                Column::new("region", DataType::String),
                Column::new("date", DataType::Date)
            ]
        );
    }

    // | values of one column that are probably the same | distinct values, usual typing, an
    // `equivalent_partition_values` warning naming the column and one pair |
    #[test]
    fn equivalent_partition_values() {
        let layout = discover(
            DataFormat::Csv,
            Partitioning::All,
            &[
                "data/events/month=01/day=2025-1-5/p.csv",
                "data/events/month=1/day=2025-01-05/p.csv",
                "data/events/month=2/day=2025-01-06/p.csv",
            ],
        );
        let [table] = layout.tables.as_slice() else {
            panic!("{layout:?}")
        };
        assert_eq!(
            table.partition_columns,
            [
                Column::new("month", DataType::String),
                Column::new("day", DataType::String)
            ]
        );
        let warnings = with_code(&layout, Code::EquivalentPartitionValues);
        let [d] = warnings.as_slice() else {
            panic!("{:?}", layout.diagnostics)
        };
        assert_eq!(d.severity, Severity::Warning);
        assert!(
            d.message.contains(r#"month: "01" and "1""#) && d.message.contains(r#"day: "2025-01-05" and "2025-1-5""#),
            "{}",
            d.message
        );
        // Values that merely differ: no warning.
        let layout = discover(
            DataFormat::Csv,
            Partitioning::All,
            &["data/events/month=1/p.csv", "data/events/month=2/p.csv"],
        );
        assert!(with_code(&layout, Code::EquivalentPartitionValues).is_empty());
    }

    // | mixed formats across the schema | one `mixed_formats` warning listing each table once,
    // under its own format; a table that mixes formats has its own diagnostic |
    #[test]
    fn mixed_formats_lists_each_table_once() {
        let layout = discover(
            DataFormat::Csv,
            Partitioning::None,
            &[
                "data/events/a.csv",
                "data/events/b.parquet",
                "data/users/a.csv",
                "data/clicks/a.parquet",
            ],
        );
        let mixed = with_code(&layout, Code::MixedFormats);
        let schema: Vec<_> = mixed.iter().filter(|d| d.subject == "data/").collect();
        let [schema] = schema.as_slice() else {
            panic!("{mixed:?}")
        };
        assert!(
            schema.message.contains("(parquet: clicks; csv: users)"),
            "{}",
            schema.message
        );
        assert!(mixed.iter().any(|d| d.subject == "data/events/"));
        // Only one table mixes and the others share a format: no schema-level warning.
        let layout = discover(
            DataFormat::Csv,
            Partitioning::None,
            &["data/events/a.csv", "data/events/b.parquet", "data/users/a.csv"],
        );
        let mixed = with_code(&layout, Code::MixedFormats);
        assert_eq!(
            mixed.iter().map(|d| d.subject.as_str()).collect::<Vec<_>>(),
            ["data/events/"]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// However the keys and the tables are split across threads, discovery says the
        /// same as on one thread (the split listing is large only in production).
        #[test]
        fn discovery_split_across_threads_is_discovery_on_one(
            keys in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["", "t1/", "t2/", "k=1/", "T1/"]),
                    proptest::sample::select(vec!["", "dt=2024-01-01/", "dt=2024-1-1/", "DT=1/", "plain/", "_tmp/", "/", "k=%ZZ/"]),
                    proptest::sample::select(vec!["", "h=01/", "h=1/"]),
                    proptest::sample::select(vec!["a.csv", "b.parquet", "_SUCCESS", "c.txt", "d.csv.gz", ".x", "", "e\u{7}.csv"]),
                    0u64..3,
                ),
                0..60,
            ),
            chunks in 2usize..9,
            partitioned in proptest::bool::ANY,
        ) {
            let objects: Vec<ListedObject> = keys
                .iter()
                .map(|(t, d, h, f, size)| ListedObject { key: format!("data/{t}{d}{h}{f}"), size: *size })
                .collect();
            let partitioning = if partitioned { Partitioning::All } else { Partitioning::None };
            let config = config(DataFormat::Csv, partitioning);
            let one = discover_tables_split(&config, &objects, Width::Chunks(1), Width::Chunks(1), &|_| {});
            // Every candidate is told once, importable ones with the files the layout holds.
            let told = std::sync::Mutex::new(Vec::new());
            let split = discover_tables_split(&config, &objects, Width::Chunks(chunks), Width::Chunks(chunks), &|j| {
                if let Ok(mut told) = told.lock() {
                    told.push((j.index, j.name.to_owned(), j.files.map(<[DataFile]>::to_vec)));
                }
            });
            proptest::prop_assert_eq!(&one, &split);
            let mut told = told.into_inner().unwrap_or_default();
            told.sort_by_key(|(index, _, _)| *index);
            proptest::prop_assert_eq!(told.len(), one.tables.len() + one.skipped.len());
            proptest::prop_assert!(told.iter().enumerate().all(|(i, (index, _, _))| i == *index));
            proptest::prop_assert!(told.windows(2).all(|w| w[0].1 < w[1].1), "in name order");
            let imported: Vec<(String, Vec<DataFile>)> =
                told.into_iter().filter_map(|(_, name, files)| Some((name, files?))).collect();
            let tables: Vec<(String, Vec<DataFile>)> = one.tables.iter().map(|t| (t.name.clone(), t.files.clone())).collect();
            proptest::prop_assert_eq!(imported, tables);
        }
    }
}
