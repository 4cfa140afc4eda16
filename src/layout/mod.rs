//! Layouts under a schema prefix: Hive partition segments and key classification.

pub mod partition;
