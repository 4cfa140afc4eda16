//! The connection form: the values a user types when connecting a bucket.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The data format every table under one schema prefix must use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    /// Apache Parquet files (`.parquet`, `.parq`, `.snappy.parquet`).
    Parquet,
    /// CSV, plain (`.csv`) or gzipped (`.gz`, `.csv.gz`).
    Csv,
}

/// Whether the tables under the schema prefix are Hive-partitioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Partitioning {
    /// "All tables are partitioned": non-partitioned tables are ignored.
    All,
    /// "No tables are partitioned": partition directories are plain directories.
    None,
}

/// A value that is not one of an enum's spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {what}; expected one of: {expected}")]
pub struct ParseEnumError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl FromStr for DataFormat {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "parquet" => Ok(Self::Parquet),
            "csv" => Ok(Self::Csv),
            _ => Err(ParseEnumError {
                what: "data format",
                value: s.to_owned(),
                expected: "parquet, csv",
            }),
        }
    }
}

impl FromStr for Partitioning {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(Self::All),
            "none" => Ok(Self::None),
            _ => Err(ParseEnumError {
                what: "partitioning",
                value: s.to_owned(),
                expected: "all, none",
            }),
        }
    }
}

impl fmt::Display for DataFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Parquet => "parquet",
            Self::Csv => "csv",
        })
    }
}

impl fmt::Display for Partitioning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::All => "all",
            Self::None => "none",
        })
    }
}
