//! A file's partition values, from the `key=value` directories of its path.

use crate::layout::partition::{PartitionValue, SegmentParse, parse_segment};
use crate::layout::tables::DataFile;
use crate::schema::Column;

/// Each partition column with the text of its value in `file`'s path (`None`: null, as
/// `__HIVE_DEFAULT_PARTITION__` and `k=` are).
pub(crate) fn values<'a>(file: &DataFile, columns: &'a [Column]) -> Vec<(&'a Column, Option<String>)> {
    columns
        .iter()
        .map(|column| {
            let value = file.dirs.iter().find_map(|dir| match parse_segment(dir) {
                SegmentParse::Partition(p) if p.key == column.name => Some(match p.value {
                    PartitionValue::Null => None,
                    PartitionValue::Value(v) if v.is_empty() => None,
                    PartitionValue::Value(v) | PartitionValue::Raw(v) => Some(v),
                }),
                _ => None,
            });
            (column, value.flatten())
        })
        .collect()
}
