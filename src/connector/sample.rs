//! Table schemas from sampled files: which to read, what their bytes say, whether they agree.
//!
//! Which files to read, their columns (or why a file is unreadable), whether the sampled
//! files agree, and the partition columns appended. Pure: the reads themselves are
//! `probe`'s.

use crate::config::ConnectionConfig;
use crate::diagnostic::{Code, Diagnostic};
use crate::layout::classify::FileFormat;
use crate::layout::tables::TableLayout;
use crate::s3::S3Failure;
use crate::schema::{Column, DataType, csv as csv_schema, parquet as parquet_schema};

/// One sampled file's columns, or the diagnostic that says why it could not be read.
#[derive(Debug)]
pub(super) struct FileColumns {
    pub(super) key: String,
    pub(super) columns: Result<Vec<Column>, Diagnostic>,
    /// A CSV file's dialect (delimiter, quote, header), which the table's reader needs.
    pub(super) csv: Option<csv_schema::CsvSchema>,
}

/// The indices of the files to sample out of `n`: `want` of them (at least one), first and
/// last included, evenly spread between.
pub(super) fn picks(n: usize, want: usize) -> Vec<usize> {
    let want = want.max(1).min(n);
    let mut picks: Vec<usize> = (0..want)
        .map(|i| if want == 1 { 0 } else { i * (n - 1) / (want - 1) })
        .collect();
    picks.dedup();
    picks
}

/// `unreadable_file` for one file: a warning, the other files of the table may still do.
fn unreadable(key: &str, why: String) -> Diagnostic {
    Diagnostic::warning(Code::UnreadableFile, key.to_owned(), why)
        .hint("replace the file with a valid one, or remove it")
}

/// A ranged read of `key` that failed.
pub(super) fn read_failed(config: &ConnectionConfig, key: &str, failure: S3Failure) -> Diagnostic {
    match failure {
        S3Failure::AccessDenied { .. } => Diagnostic::error(
            Code::ReadAccessDenied,
            key.to_owned(),
            format!("reading `{key}` is denied"),
        )
        .hint(format!(
            "the bucket policy's s3:GetObject must cover arn:aws:s3:::{}/{key}",
            config.bucket
        )),
        // A throttled, reset or timed-out read says nothing about the file: it is
        // S3 (or the network) that failed, after the retries.
        failure @ S3Failure::Unavailable { .. } => super::diagnose::unavailable(&failure),
        S3Failure::BytesUnavailable { .. } => bytes_unknown(key),
        other => unreadable(key, format!("cannot be read: {other}")),
    }
}

/// A sampled file whose bytes cannot be had (not a fault of the file): on its own it
/// says nothing about the schema; `table_columns` reports the table's schema unknown
/// when no sampled file could be read for this reason.
fn bytes_unknown(key: &str) -> Diagnostic {
    Diagnostic::info(
        Code::SchemaUnknown,
        key.to_owned(),
        "the file's bytes are not available (not captured, or in an archive storage class)",
    )
}

/// Files whose listed size alone says they hold no schema; nothing is read from them.
pub(super) fn check_size(key: &str, size: u64, format: FileFormat) -> Result<(), Diagnostic> {
    if size == 0 {
        return Err(unreadable(key, "the file is empty (0 bytes)".to_owned()));
    }
    if format == FileFormat::Parquet && size < 12 {
        return Err(unreadable(key, format!("{size} bytes is too small for a Parquet file")));
    }
    Ok(())
}

/// From a Parquet file's last 8 bytes: how many bytes from its end hold the footer.
pub(super) fn parquet_tail_len(key: &str, size: u64, tail8: &[u8]) -> Result<u64, Diagnostic> {
    let footer = parquet_schema::footer_len(tail8).map_err(|e| unreadable(key, format!("not a Parquet file: {e}")))?;
    let need = u64::from(footer) + 8;
    if need > size {
        return Err(unreadable(
            key,
            format!("the Parquet footer claims {footer} bytes, more than the file's {size}"),
        ));
    }
    Ok(need)
}

/// A Parquet file's columns from its tail (footer included).
pub(super) fn parquet_columns(key: &str, tail: &[u8], size: u64) -> Result<Vec<Column>, Diagnostic> {
    parquet_schema::parse_footer(tail, size)
        .map(|s| s.columns)
        .map_err(|e| unreadable(key, e.to_string()))
}

/// How many bytes to read from the start of a CSV file of `size` bytes (at least one).
pub(super) fn csv_sample_len(size: u64, sample_bytes: u64) -> u64 {
    size.min(sample_bytes.max(1))
}

/// A CSV file's columns from its first bytes (`complete`: they are the whole file), once
/// its magic bytes agree with its name.
pub(super) fn csv_columns(
    key: &str,
    format: FileFormat,
    bytes: &[u8],
    complete: bool,
) -> Result<csv_schema::CsvSchema, Diagnostic> {
    if crate::schema::is_parquet_magic(bytes) {
        return Err(unreadable(
            key,
            "named as CSV but it is a Parquet file (starts with PAR1)".to_owned(),
        ));
    }
    let gz = crate::schema::is_gzip_magic(bytes);
    if format == FileFormat::Csv && gz {
        return Err(unreadable(
            key,
            "named .csv but it is gzipped (starts with 1f 8b); name it .csv.gz".to_owned(),
        ));
    }
    if format == FileFormat::CsvGzip && !gz {
        return Err(unreadable(
            key,
            "named .gz but it is not gzip (no 1f 8b magic)".to_owned(),
        ));
    }
    let sample = csv_schema::CsvSample {
        bytes,
        complete,
        gzipped: gz,
    };
    csv_schema::infer_csv(sample)
        .map(|(schema, _)| schema)
        .map_err(|e| unreadable(key, format!("the CSV cannot be parsed: {e}")))
}

/// A table's columns from its sampled files, in the order they were sampled: the first
/// readable file's columns (later ones are compared with them), then the partition
/// columns. `None` when no sampled file could be read, or when S3 kept failing on one
/// of them (its schema cannot be judged from part of the sample): the table is not
/// imported.
pub(super) fn table_columns(table: &TableLayout, sampled: Vec<FileColumns>) -> (Option<Vec<Column>>, Vec<Diagnostic>) {
    let unavailable: Vec<Diagnostic> = sampled
        .iter()
        .filter_map(|f| f.columns.as_ref().err())
        .filter(|d| d.code == Code::S3Unavailable)
        .cloned()
        .collect();
    if !unavailable.is_empty() {
        return (None, unavailable);
    }
    let mut diags = Vec::new();
    let mut reference: Option<(String, Vec<Column>)> = None;
    for FileColumns { key, columns, .. } in sampled {
        match columns {
            Ok(columns) => match &reference {
                None => reference = Some((key, columns)),
                Some((ref_key, ref_cols)) => {
                    if let Some(d) = compare_schemas(&table.prefix, ref_key, ref_cols, &key, &columns) {
                        diags.push(d);
                    }
                }
            },
            Err(d) => diags.push(d),
        }
    }
    let unknown = diags.iter().filter(|d| d.code == Code::SchemaUnknown).count();
    diags.retain(|d| d.code != Code::SchemaUnknown);
    if reference.is_none() && unknown > 0 && diags.is_empty() {
        // Nothing readable and nothing wrong: keep the table with what its paths say.
        let d = Diagnostic::info(
            Code::SchemaUnknown,
            table.prefix.clone(),
            format!("no bytes of the table's {unknown} sampled files are available, so its schema is not inferred"),
        )
        .hint("capture the scenario with --samples to record the bytes schema inference reads");
        return (Some(table.partition_columns.clone()), vec![d]);
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
        return (None, diags);
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
    (Some(columns), diags)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DataFormat;
    use crate::diagnostic::Severity;

    fn table(partition_columns: Vec<Column>) -> TableLayout {
        TableLayout {
            name: "t".into(),
            prefix: "data/t/".into(),
            format: DataFormat::Csv,
            partition_columns,
            files: Vec::new(),
        }
    }

    fn read(key: &str, columns: Result<Vec<Column>, Diagnostic>) -> FileColumns {
        FileColumns {
            key: key.into(),
            columns,
            csv: None,
        }
    }

    #[test]
    fn picks_first_last_and_between() {
        assert_eq!(picks(10, 3), [0, 4, 9]);
        assert_eq!(picks(2, 3), [0, 1]);
        assert_eq!(picks(1, 3), [0]);
        assert_eq!(picks(5, 0), [0]);
        assert!(picks(0, 3).is_empty());
    }

    #[test]
    fn schema_comparison_names_file_and_column() {
        let a = vec![Column::new("id", DataType::Int64)];
        let b = vec![Column::new("id", DataType::String)];
        let d = compare_schemas("t/", "t/a", &a, "t/b", &b).unwrap();
        assert_eq!(d.message, "column `id` is int64 in `t/a` but string in `t/b`");
        let c = vec![
            Column::new("id", DataType::Int64),
            Column::new("country", DataType::String),
        ];
        assert!(
            compare_schemas("t/", "t/a", &a, "t/c", &c)
                .unwrap()
                .message
                .contains("`country`")
        );
        assert!(compare_schemas("t/", "t/a", &a, "t/a2", &a).is_none());
    }

    #[test]
    fn the_first_readable_file_sets_the_schema() {
        let id = || vec![Column::new("id", DataType::Int64)];
        let bad = unreadable("data/t/a.csv", "the file is empty (0 bytes)".into());
        let (columns, diags) = table_columns(
            &table(Vec::new()),
            vec![
                read("data/t/a.csv", Err(bad)),
                read("data/t/b.csv", Ok(id())),
                read("data/t/c.csv", Ok(vec![Column::new("id", DataType::String)])),
            ],
        );
        assert_eq!(columns, Some(id()));
        let codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::UnreadableFile, Code::SchemaMismatch]);
    }

    #[test]
    fn files_whose_bytes_are_unavailable_leave_the_schema_unknown() {
        let date = || vec![Column::new("date", DataType::Date)];
        let gone = |key: &str| read(key, Err(bytes_unknown(key)));
        // Nothing readable, nothing wrong: the table stays, with its partition columns.
        let (columns, diags) = table_columns(&table(date()), vec![gone("data/t/a.csv"), gone("data/t/b.csv")]);
        assert_eq!(columns, Some(date()));
        let found: Vec<(Code, Severity, &str)> =
            diags.iter().map(|d| (d.code, d.severity, d.subject.as_str())).collect();
        assert_eq!(found, [(Code::SchemaUnknown, Severity::Info, "data/t/")]);
        // One readable file decides the schema; the unavailable one says nothing.
        let id = || vec![Column::new("id", DataType::Int64)];
        let (columns, diags) = table_columns(
            &table(Vec::new()),
            vec![gone("data/t/a.csv"), read("data/t/b.csv", Ok(id()))],
        );
        assert_eq!(columns, Some(id()));
        assert!(diags.is_empty(), "{diags:?}");
        // An unreadable file is still reported, and with nothing readable the table is skipped.
        let bad = unreadable("data/t/b.csv", "x".into());
        let (columns, diags) = table_columns(
            &table(Vec::new()),
            vec![gone("data/t/a.csv"), read("data/t/b.csv", Err(bad))],
        );
        assert_eq!(columns, None);
        assert!(diags.iter().all(|d| d.code == Code::UnreadableFile), "{diags:?}");
    }

    #[test]
    fn no_readable_file_skips_the_table() {
        let bad = unreadable("data/t/a.csv", "x".into());
        let (columns, diags) = table_columns(&table(Vec::new()), vec![read("data/t/a.csv", Err(bad))]);
        assert_eq!(columns, None);
        assert_eq!(
            diags.last().map(|d| (d.code, d.subject.as_str())),
            Some((Code::UnreadableFile, "data/t/"))
        );
    }

    #[test]
    fn partition_columns_are_appended_and_win() {
        let partitions = vec![
            Column::new("date", DataType::Date),
            Column::new("region", DataType::String),
        ];
        let files = vec![
            Column::new("date", DataType::Timestamp),
            Column::new("id", DataType::Int64),
        ];
        let (columns, diags) = table_columns(&table(partitions), vec![read("data/t/a.csv", Ok(files))]);
        assert_eq!(
            columns,
            Some(vec![
                Column::new("id", DataType::Int64),
                Column::new("date", DataType::String),
                Column::new("region", DataType::String),
            ])
        );
        assert_eq!(diags.len(), 1);
        assert_eq!(
            diags[0].message,
            "`date` is both a partition column (date) and a column in the files (timestamp); the path's value wins, as string"
        );
    }

    #[test]
    fn names_and_magic_bytes_must_agree() {
        let gz = [0x1f, 0x8b, 0x08];
        let d = csv_columns("a.csv", FileFormat::Csv, &gz, true).unwrap_err();
        assert!(d.message.contains("name it .csv.gz"), "{}", d.message);
        let d = csv_columns("a.gz", FileFormat::CsvGzip, b"id\n1\n", true).unwrap_err();
        assert!(d.message.contains("not gzip"), "{}", d.message);
        let d = csv_columns("a.csv", FileFormat::Csv, b"PAR1\x15", true).unwrap_err();
        assert!(d.message.contains("Parquet"), "{}", d.message);
        let columns = csv_columns("a.csv", FileFormat::Csv, b"id,name\n1,Ada\n", true)
            .unwrap()
            .columns;
        assert_eq!(
            columns,
            [
                Column::new("id", DataType::Int64),
                Column::new("name", DataType::String)
            ]
        );
    }

    #[test]
    fn parquet_framing_from_the_last_bytes() {
        assert!(check_size("a.parquet", 0, FileFormat::Parquet).is_err());
        assert!(check_size("a.parquet", 11, FileFormat::Parquet).is_err());
        assert!(check_size("a.csv", 11, FileFormat::Csv).is_ok());
        assert_eq!(parquet_tail_len("a.parquet", 100, b"\x10\x00\x00\x00PAR1").unwrap(), 24);
        let d = parquet_tail_len("a.parquet", 20, b"\x10\x00\x00\x00PAR1").unwrap_err();
        assert_eq!(d.message, "the Parquet footer claims 16 bytes, more than the file's 20");
        let d = parquet_tail_len("a.parquet", 100, b"not parq").unwrap_err();
        assert!(d.message.starts_with("not a Parquet file: "), "{}", d.message);
        assert_eq!(csv_sample_len(10, 65536), 10);
        assert_eq!(csv_sample_len(1 << 20, 65536), 65536);
        assert_eq!(csv_sample_len(10, 0), 1);
    }
}
