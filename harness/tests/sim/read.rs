//! A table's rows read back through the simulator equal the rows written: generated CSV
//! tables (column types, nulls, quoted fields with delimiters, quotes and line breaks,
//! typed partition values), several files per partition, read in any file order.

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType as ArrowType;
use proptest::prelude::*;
use s3_connector::config::DataFormat;
use s3_harness::Simulator;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    Float,
    Bool,
    Date,
    Text,
}

/// One cell as written and as expected back (`None`: an empty field, a null).
fn cell(kind: Kind) -> BoxedStrategy<Option<String>> {
    let value: BoxedStrategy<String> = match kind {
        Kind::Int => (-5000i64..5000).prop_map(|v| v.to_string()).boxed(),
        Kind::Float => (-400i64..400).prop_map(|v| format!("{:.2}", v as f64 / 4.0)).boxed(),
        Kind::Bool => any::<bool>().prop_map(|b| b.to_string()).boxed(),
        Kind::Date => (1u32..=28).prop_map(|d| format!("2025-02-{d:02}")).boxed(),
        // A letter first, so that no text looks typed; then delimiters, quotes and line
        // breaks, which must be quoted.
        Kind::Text => "s[a-z ,\"\n]{0,6}".boxed(),
    };
    prop_oneof![4 => value.prop_map(Some), 1 => Just(None)].boxed()
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// A file's rows, each a list of cells.
type File = Vec<Vec<Option<String>>>;

#[derive(Debug, Clone)]
struct Generated {
    kinds: Vec<Kind>,
    /// Partition value (int64) -> files -> rows -> cells.
    partitions: Vec<(i64, Vec<File>)>,
}

fn table() -> impl Strategy<Value = Generated> {
    let kind = prop_oneof![
        Just(Kind::Int),
        Just(Kind::Float),
        Just(Kind::Bool),
        Just(Kind::Date),
        Just(Kind::Text)
    ];
    prop::collection::vec(kind, 2..5).prop_flat_map(|kinds| {
        let row = kinds.iter().map(|k| cell(*k)).collect::<Vec<_>>();
        // Every file's first row is whole, so that each sampled file types every column.
        let first = kinds
            .iter()
            .map(|k| cell(*k).prop_filter("non-null", Option::is_some))
            .collect::<Vec<_>>();
        let file = (first, prop::collection::vec(row, 0..5)).prop_map(|(first, mut rest)| {
            rest.insert(0, first);
            rest
        });
        let partition = prop::collection::vec(file, 1..4);
        let partitions =
            prop::collection::btree_map(0i64..50, partition, 1..4).prop_map(|m| m.into_iter().collect::<Vec<_>>());
        (Just(kinds), partitions).prop_map(|(kinds, partitions)| Generated { kinds, partitions })
    })
}

/// A row of a batch as text, in the form the generator wrote it.
fn row_text(batch: &RecordBatch, row: usize) -> Vec<Option<String>> {
    batch
        .columns()
        .iter()
        .map(|c| {
            if c.is_null(row) {
                return None;
            }
            Some(match c.data_type() {
                ArrowType::Int64 => c.as_primitive::<Int64Type>().value(row).to_string(),
                ArrowType::Float64 => format!("{:.2}", c.as_primitive::<Float64Type>().value(row)),
                ArrowType::Boolean => c.as_boolean().value(row).to_string(),
                ArrowType::Date32 => {
                    let days = c.as_primitive::<Date32Type>().value(row);
                    time::Date::from_julian_day(days + 2_440_588).map_or_else(|e| e.to_string(), |d| d.to_string())
                }
                ArrowType::Utf8 => c.as_string::<i32>().value(row).to_owned(),
                other => format!("<{other}>"),
            })
        })
        .collect()
}

fn round_trip(g: &Generated) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    runtime.block_on(async {
        let header: Vec<String> = (0..g.kinds.len()).map(|i| format!("c{i}")).collect();
        let mut builder = Simulator::builder().bucket("rows", "eu-west-1", "111122223333");
        let mut expected = Vec::new();
        for (p, files) in &g.partitions {
            for (f, rows) in files.iter().enumerate() {
                let mut body = header.join(",") + "\n";
                for row in rows {
                    let fields: Vec<String> = row.iter().map(|c| quote(c.as_deref().unwrap_or(""))).collect();
                    body.push_str(&fields.join(","));
                    body.push('\n');
                    let mut want = row.clone();
                    want.push(Some(p.to_string()));
                    expected.push(want);
                }
                builder = builder.object("rows", &format!("data/t/p={p}/part-{f}.csv"), body);
            }
        }
        let mut got = super::support::read_first_table(builder, DataFormat::Csv, 2, row_text, None).await?;
        expected.sort();
        got.sort();
        prop_assert_eq!(got, expected);
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn rows_read_back_equal_rows_written(g in table()) {
        round_trip(&g)?;
    }
}

/// A row read that S3 answers with 500 or 503 is retried like any other request
/// (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>): the
/// preview of a table under injected errors on GetObject shows the same rows and the same
/// problems as without them.
#[tokio::test]
async fn a_preview_under_transient_get_errors_reads_the_same_rows() {
    let path = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/rows/csv_bad_values.toml"
    ));
    let text = std::fs::read_to_string(path).expect("bundled scenario");
    let faulted = format!(
        "{text}\n[faults]\nseed = 7\n\n[[faults.inject]]\nkind = \"internal_error\"\nrate = 0.5\noperations = [\"GetObject\"]\n"
    );
    let clean = s3_harness::scenario::parse_scenario(path, &text).expect("parses");
    let faulted = s3_harness::scenario::parse_scenario(path, &faulted).expect("parses");
    let shown = path.to_string_lossy();
    let want = s3_harness::import::preview(&shown, &clean, "users", 50)
        .await
        .expect("previews");
    let got = s3_harness::import::preview(&shown, &faulted, "users", 50)
        .await
        .expect("previews under faults");
    assert_eq!(got.rows, want.rows);
    assert_eq!(got.bad_rows, want.bad_rows);
    assert_eq!(
        serde_json::to_value(&got.problems).expect("json"),
        serde_json::to_value(&want.problems).expect("json")
    );
}
