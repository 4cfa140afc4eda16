//! Resync: what changed between the catalog of the last sync and discovery run again.
//!
//! Tables added or removed, columns added, removed or retyped, partition columns or format
//! changed.

use serde::{Deserialize, Serialize};

use crate::config::DataFormat;
use crate::connector::Table;
use crate::schema::{Column, DataType};

/// What the platform keeps of a table between syncs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogTable {
    /// The table directory's name, which identifies the table across syncs.
    pub name: String,
    /// Its data format.
    pub format: DataFormat,
    /// Partition column names, outermost first.
    pub partition_columns: Vec<String>,
    /// File columns, then partition columns, with their types.
    pub columns: Vec<Column>,
}

/// The tables of one sync, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Sorted by name.
    pub tables: Vec<CatalogTable>,
}

impl Catalog {
    /// The catalog a connection report's tables make.
    pub fn from_tables(tables: &[Table]) -> Self {
        let mut tables: Vec<CatalogTable> = tables
            .iter()
            .map(|t| CatalogTable {
                name: t.name.clone(),
                format: t.format,
                partition_columns: t.partition_columns.clone(),
                columns: t.columns.clone(),
            })
            .collect();
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        Self { tables }
    }
}

/// One difference between two catalogs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// A table directory that now holds an importable table.
    TableAdded {
        /// The table's name.
        table: String,
    },
    /// A table that is gone, or no longer importable.
    TableRemoved {
        /// The table's name.
        table: String,
    },
    /// A column the table's files now have.
    ColumnAdded {
        /// The table's name.
        table: String,
        /// The new column.
        column: String,
        /// Its type.
        data_type: DataType,
    },
    /// A column the table's files no longer have.
    ColumnRemoved {
        /// The table's name.
        table: String,
        /// The column that is gone.
        column: String,
    },
    /// A column whose type changed.
    ColumnRetyped {
        /// The table's name.
        table: String,
        /// The column.
        column: String,
        /// Its type at the last sync.
        from: DataType,
        /// Its type now.
        to: DataType,
    },
    /// The table's partition columns (names or order) changed.
    PartitionColumnsChanged {
        /// The table's name.
        table: String,
        /// The partition columns at the last sync.
        from: Vec<String>,
        /// The partition columns now.
        to: Vec<String>,
    },
    /// The table's data format changed.
    FormatChanged {
        /// The table's name.
        table: String,
        /// The format at the last sync.
        from: DataFormat,
        /// The format now.
        to: DataFormat,
    },
}

/// The changes from `old` to `new`, table by table in name order.
pub fn diff(old: &Catalog, new: &Catalog) -> Vec<Change> {
    let mut changes = Vec::new();
    let find = |c: &Catalog, name: &str| c.tables.iter().find(|t| t.name == name).cloned();
    let mut names: Vec<&str> = old.tables.iter().chain(&new.tables).map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        match (find(old, name), find(new, name)) {
            (None, Some(_)) => changes.push(Change::TableAdded { table: name.to_owned() }),
            (Some(_), None) => changes.push(Change::TableRemoved { table: name.to_owned() }),
            (Some(o), Some(n)) => {
                let table = name.to_owned();
                if o.format != n.format {
                    changes.push(Change::FormatChanged {
                        table: table.clone(),
                        from: o.format,
                        to: n.format,
                    });
                }
                if o.partition_columns != n.partition_columns {
                    changes.push(Change::PartitionColumnsChanged {
                        table: table.clone(),
                        from: o.partition_columns.clone(),
                        to: n.partition_columns.clone(),
                    });
                }
                for c in &n.columns {
                    match o.columns.iter().find(|x| x.name == c.name) {
                        None => changes.push(Change::ColumnAdded {
                            table: table.clone(),
                            column: c.name.clone(),
                            data_type: c.data_type.clone(),
                        }),
                        Some(x) if x.data_type != c.data_type => changes.push(Change::ColumnRetyped {
                            table: table.clone(),
                            column: c.name.clone(),
                            from: x.data_type.clone(),
                            to: c.data_type.clone(),
                        }),
                        Some(_) => {}
                    }
                }
                for c in &o.columns {
                    if !n.columns.iter().any(|x| x.name == c.name) {
                        changes.push(Change::ColumnRemoved {
                            table: table.clone(),
                            column: c.name.clone(),
                        });
                    }
                }
            }
            (None, None) => {}
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, cols: &[(&str, &str)], parts: &[&str]) -> CatalogTable {
        CatalogTable {
            name: name.into(),
            format: DataFormat::Csv,
            partition_columns: parts.iter().map(|s| s.to_string()).collect(),
            columns: cols.iter().map(|(n, t)| Column::new(*n, *t)).collect(),
        }
    }

    #[test]
    fn every_kind_of_change() {
        let old = Catalog {
            tables: vec![
                table("a", &[("id", "int64"), ("x", "string")], &["date"]),
                table("gone", &[("id", "int64")], &[]),
            ],
        };
        let new = Catalog {
            tables: vec![
                table("a", &[("id", "string"), ("y", "float64")], &["date", "region"]),
                table("new", &[("id", "int64")], &[]),
            ],
        };
        let changes = diff(&old, &new);
        assert_eq!(
            changes,
            vec![
                Change::PartitionColumnsChanged {
                    table: "a".into(),
                    from: vec!["date".into()],
                    to: vec!["date".into(), "region".into()]
                },
                Change::ColumnRetyped {
                    table: "a".into(),
                    column: "id".into(),
                    from: "int64".into(),
                    to: "string".into()
                },
                Change::ColumnAdded {
                    table: "a".into(),
                    column: "y".into(),
                    data_type: "float64".into()
                },
                Change::ColumnRemoved {
                    table: "a".into(),
                    column: "x".into()
                },
                Change::TableRemoved { table: "gone".into() },
                Change::TableAdded { table: "new".into() },
            ]
        );
        assert!(diff(&new, &new).is_empty());
    }
}
