//! A Parquet table's rows read back through the simulator equal the rows written:
//! generated tables (column types, nulls, any text), each file written with its own
//! codec (none, snappy, gzip, lz4, zstd) and row group size, under two levels of typed
//! partitions (int64 and date), read with several files in flight, so in any file order;
//! and the same table imported (its row groups copied as they are stored) reads back to
//! the same rows.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{DataType as ArrowType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use proptest::prelude::*;
use s3_connector::config::DataFormat;
use s3_harness::Simulator;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Float,
    Bool,
    Date,
    Timestamp,
    Text,
}

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Cell {
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(i32),
    Timestamp(i64),
    Text(String),
}

fn cell(kind: Kind) -> BoxedStrategy<Option<Cell>> {
    let value: BoxedStrategy<Cell> = match kind {
        Kind::Int => any::<i64>().prop_map(Cell::Int).boxed(),
        Kind::Float => (-1.0e9f64..1.0e9).prop_map(Cell::Float).boxed(),
        Kind::Bool => any::<bool>().prop_map(Cell::Bool).boxed(),
        Kind::Date => (-50_000i32..50_000).prop_map(Cell::Date).boxed(),
        Kind::Timestamp => (-4_000_000_000_000_000i64..4_000_000_000_000_000)
            .prop_map(Cell::Timestamp)
            .boxed(),
        Kind::Text => "\\PC{0,8}".prop_map(Cell::Text).boxed(),
    };
    prop_oneof![4 => value.prop_map(Some), 1 => Just(None)].boxed()
}

fn codec() -> impl Strategy<Value = Compression> {
    prop_oneof![
        Just(Compression::UNCOMPRESSED),
        Just(Compression::SNAPPY),
        Just(Compression::GZIP(GzipLevel::default())),
        Just(Compression::LZ4_RAW),
        Just(Compression::ZSTD(ZstdLevel::default())),
    ]
}

type Row = Vec<Option<Cell>>;

#[derive(Debug, Clone)]
struct ParquetFile {
    rows: Vec<Row>,
    codec: Compression,
    row_group_rows: usize,
}

#[derive(Debug, Clone)]
struct Generated {
    kinds: Vec<Kind>,
    /// (p, d) partition values -> files.
    partitions: Vec<((i64, u8), Vec<ParquetFile>)>,
}

fn table() -> impl Strategy<Value = Generated> {
    let kind = prop_oneof![
        Just(Kind::Int),
        Just(Kind::Float),
        Just(Kind::Bool),
        Just(Kind::Date),
        Just(Kind::Timestamp),
        Just(Kind::Text)
    ];
    prop::collection::vec(kind, 1..6).prop_flat_map(|kinds| {
        let row = kinds.iter().map(|k| cell(*k)).collect::<Vec<_>>();
        let file =
            (prop::collection::vec(row, 1..40), codec(), 1usize..16).prop_map(|(rows, codec, row_group_rows)| {
                ParquetFile {
                    rows,
                    codec,
                    row_group_rows,
                }
            });
        let partitions = prop::collection::btree_map((-20i64..20, 1u8..=28), prop::collection::vec(file, 1..3), 1..5)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>());
        (Just(kinds), partitions).prop_map(|(kinds, partitions)| Generated { kinds, partitions })
    })
}

fn arrow_type(kind: Kind) -> ArrowType {
    match kind {
        Kind::Int => ArrowType::Int64,
        Kind::Float => ArrowType::Float64,
        Kind::Bool => ArrowType::Boolean,
        Kind::Date => ArrowType::Date32,
        Kind::Timestamp => ArrowType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        Kind::Text => ArrowType::Utf8,
    }
}

fn column(kind: Kind, rows: &[Row], i: usize) -> ArrayRef {
    let cells = rows.iter().map(|r| r[i].clone());
    match kind {
        Kind::Int => Arc::new(Int64Array::from_iter(cells.map(|c| match c {
            Some(Cell::Int(v)) => Some(v),
            _ => None,
        }))),
        Kind::Float => Arc::new(Float64Array::from_iter(cells.map(|c| match c {
            Some(Cell::Float(v)) => Some(v),
            _ => None,
        }))),
        Kind::Bool => Arc::new(BooleanArray::from_iter(cells.map(|c| match c {
            Some(Cell::Bool(v)) => Some(v),
            _ => None,
        }))),
        Kind::Date => Arc::new(Date32Array::from_iter(cells.map(|c| match c {
            Some(Cell::Date(v)) => Some(v),
            _ => None,
        }))),
        Kind::Timestamp => Arc::new(
            TimestampMicrosecondArray::from_iter(cells.map(|c| match c {
                Some(Cell::Timestamp(v)) => Some(v),
                _ => None,
            }))
            .with_timezone("UTC"),
        ),
        Kind::Text => Arc::new(StringArray::from_iter(cells.map(|c| match c {
            Some(Cell::Text(v)) => Some(v),
            _ => None,
        }))),
    }
}

fn parquet_bytes(kinds: &[Kind], file: &ParquetFile) -> Result<Vec<u8>, TestCaseError> {
    let fail = |e: &dyn std::fmt::Display| TestCaseError::fail(e.to_string());
    let fields: Vec<Field> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| Field::new(format!("c{i}"), arrow_type(*k), true))
        .collect();
    let columns: Vec<ArrayRef> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| column(*k, &file.rows, i))
        .collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| fail(&e))?;
    let props = WriterProperties::builder()
        .set_compression(file.codec)
        .set_max_row_group_row_count(Some(file.row_group_rows))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).map_err(|e| fail(&e))?;
    writer.write(&batch).map_err(|e| fail(&e))?;
    writer.close().map_err(|e| fail(&e))?;
    Ok(out)
}

/// A row of a batch: the file's cells, then the partition values (p, d).
fn row_of(batch: &RecordBatch, row: usize) -> Row {
    batch
        .columns()
        .iter()
        .map(|c| {
            if c.is_null(row) {
                return None;
            }
            Some(match c.data_type() {
                ArrowType::Int64 => Cell::Int(c.as_primitive::<Int64Type>().value(row)),
                ArrowType::Float64 => Cell::Float(c.as_primitive::<Float64Type>().value(row)),
                ArrowType::Boolean => Cell::Bool(c.as_boolean().value(row)),
                ArrowType::Date32 => Cell::Date(c.as_primitive::<Date32Type>().value(row)),
                ArrowType::Timestamp(TimeUnit::Microsecond, _) => {
                    Cell::Timestamp(c.as_primitive::<TimestampMicrosecondType>().value(row))
                }
                ArrowType::Utf8 => Cell::Text(c.as_string::<i32>().value(row).to_owned()),
                other => Cell::Text(format!("<{other}>")),
            })
        })
        .collect()
}

/// 2025-03-DD as days since 1970-01-01.
fn march_day(d: u8) -> i32 {
    20_148 + i32::from(d) - 1
}

fn sort(rows: &mut [Row]) {
    rows.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
}

fn round_trip(g: &Generated) -> Result<(), TestCaseError> {
    let fail = |e: &dyn std::fmt::Display| TestCaseError::fail(e.to_string());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| fail(&e))?;
    runtime.block_on(async {
        let mut builder = Simulator::builder().bucket("rows", "eu-west-1", "111122223333");
        let mut expected = Vec::new();
        for ((p, d), files) in &g.partitions {
            for (f, file) in files.iter().enumerate() {
                let key = format!("data/t/p={p}/d=2025-03-{d:02}/part-{f}.parquet");
                builder = builder.object("rows", &key, parquet_bytes(&g.kinds, file)?);
                for row in &file.rows {
                    let mut want = row.clone();
                    want.push(Some(Cell::Int(*p)));
                    want.push(Some(Cell::Date(march_day(*d))));
                    expected.push(want);
                }
            }
        }
        let out = tempfile::NamedTempFile::new().map_err(|e| fail(&e))?;
        let mut got =
            super::support::read_first_table(builder, DataFormat::Parquet, 7, row_of, Some(out.path())).await?;
        sort(&mut expected);
        sort(&mut got);
        prop_assert_eq!(&got, &expected);
        // The import copied every row group (all files are stored as the output declares
        // its columns): one output row group each, each file column in its file's codec.
        let file = std::fs::File::open(out.path()).map_err(|e| fail(&e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| fail(&e))?;
        // The codec without its level (a file's footer does not keep the level).
        let name = |c: Compression| format!("{c:?}").split('(').next().unwrap_or_default().to_owned();
        let mut codecs: Vec<String> = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|group| name(group.column(0).compression()))
            .collect();
        let mut written: Vec<String> = g
            .partitions
            .iter()
            .flat_map(|(_, files)| files)
            .flat_map(|f| std::iter::repeat_n(name(f.codec), f.rows.len().div_ceil(f.row_group_rows)))
            .collect();
        codecs.sort();
        written.sort();
        prop_assert_eq!(codecs, written);
        let mut imported = Vec::new();
        for batch in reader.build().map_err(|e| fail(&e))? {
            let batch = batch.map_err(|e| fail(&e))?;
            imported.extend((0..batch.num_rows()).map(|r| row_of(&batch, r)));
        }
        sort(&mut imported);
        prop_assert_eq!(imported, expected);
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn parquet_rows_read_back_equal_rows_written(g in table()) {
        round_trip(&g)?;
    }
}
