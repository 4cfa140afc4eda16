//! AWS name rules, shared with the connector (`s3_connector::names`).

pub use s3_connector::names::*;
