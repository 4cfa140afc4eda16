//! Hive partition directories: `key=value` segments, their types, and a table's consistency.
//!
//! Parsing one segment and Hive's escaping (`segment`), typing a partition column over all
//! its values and spotting values that are probably the same (`typing`), and whether one
//! table's partition directories agree (`consistency`). Pure: no I/O.
//!
//! Every edge case is decided explicitly; `docs/partitions.md` lists the decisions ("Parsing
//! one segment", "One table's partition directories") with what other engines do, and the
//! item that takes each decision documents it.
//!
//! ```
//! use s3_connector::layout::partition::{PartitionValue, SegmentParse, format_segment, parse_segment};
//!
//! let segment = format_segment("city", Some("São Paulo/SP"));
//! assert_eq!(segment, "city=São Paulo%2FSP");
//! let SegmentParse::Partition(p) = parse_segment(&segment) else { panic!() };
//! assert_eq!((p.key.as_str(), p.value), ("city", PartitionValue::Value("São Paulo/SP".into())));
//! ```

mod consistency;
mod segment;
mod typing;

pub use consistency::{MismatchKind, NestedFiles, PathPartitions, TablePartitioning, partition_path, table_partitions};
pub use segment::{
    HIVE_DEFAULT_PARTITION, InvalidReason, InvalidSegment, PartitionSegment, PartitionValue, SegmentParse, escape,
    format_segment, parse_segment, unescape,
};
pub use typing::{equivalent_values, infer_partition_type};
