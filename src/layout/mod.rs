//! Layouts under a schema prefix: Hive partition segments and key classification.

pub mod classify;
pub mod partition;
pub mod tables;
