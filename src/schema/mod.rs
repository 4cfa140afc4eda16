//! Table schemas: columns and their types, inferred from CSV samples and Parquet
//! footers.

use serde::{Deserialize, Serialize};

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// A type name in the connector's vocabulary: `int64`, `float64`, `boolean`,
    /// `date`, `timestamp`, `string` for what CSV inference can tell; Arrow's own
    /// names, lower-cased, for other Parquet types (`int32`, `decimal128(10, 2)`, ...).
    #[serde(rename = "type")]
    pub data_type: String,
}

impl Column {
    pub fn new(name: impl Into<String>, data_type: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            data_type: data_type.into(),
        }
    }
}
