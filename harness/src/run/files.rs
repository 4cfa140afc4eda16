//! `run --json --files`: every table's and skipped table's data files, each with its
//! size and its partition values decoded as discovery decoded them.

use std::collections::BTreeMap;

use s3_connector::layout::partition::{PartitionValue, SegmentParse, parse_segment};
use s3_connector::layout::tables::DataFile;
use serde_json::{Value, json};

use super::ScenarioRun;

/// The partition values of a file: each directory segment between the table and the
/// file that is one of `columns` (every `k=v` segment when `columns` is `None`),
/// percent-decoded, null for the Hive default partition.
fn partition_values(file: &DataFile, columns: Option<&[String]>) -> BTreeMap<String, Value> {
    let mut values = BTreeMap::new();
    for dir in &file.dirs {
        let SegmentParse::Partition(seg) = parse_segment(dir) else {
            continue;
        };
        if columns.is_some_and(|c| !c.contains(&seg.key)) {
            continue;
        }
        let value = match &seg.value {
            PartitionValue::Null => Value::Null,
            PartitionValue::Value(s) | PartitionValue::Raw(s) => Value::String(s.clone()),
        };
        values.entry(seg.key.clone()).or_insert(value);
    }
    values
}

fn file_list(files: &[DataFile], columns: Option<&[String]>) -> Value {
    Value::Array(
        files
            .iter()
            .map(|f| json!({"key": f.key, "size": f.size, "partition": partition_values(f, columns)}))
            .collect(),
    )
}

/// `json` (a run's [`ScenarioRun::to_json`]) with a `file_list` on every table and
/// every skipped table.
pub fn with_file_lists(mut json: Value, run: &ScenarioRun) -> Value {
    if let Some(Value::Array(tables)) = json.get_mut("tables") {
        for (v, t) in tables.iter_mut().zip(&run.report.tables) {
            v["file_list"] = file_list(&t.layout.files, Some(&t.partition_columns));
        }
    }
    if let Some(Value::Array(skipped)) = json.get_mut("skipped") {
        for (v, t) in skipped.iter_mut().zip(&run.report.skipped_tables) {
            v["file_list"] = file_list(&t.files, None);
        }
    }
    json
}
