//! Connection validation and table discovery for S3 data imports.
//!
//! This is what a data platform runs against a customer's bucket when the customer saves
//! an S3 connection, and again on every resync:
//!
//! 1. [`config`]: the connection form as typed ([`config::ConnectionForm`]) and its
//!    validation, which shows the corrected value of every wrong field.
//! 2. [`bucket_policy`]: the bucket policy the customer pastes, and what a policy they
//!    pasted instead lacks.
//! 3. [`connector`]: [`connector::Connector::connect`] lists the schema prefix through
//!    aws-sdk-s3, checks that a data file can be read, discovers the tables and infers
//!    their schemas, and returns a [`connector::ConnectionReport`]: active or failed,
//!    tables, ignored keys and [`diagnostic::Diagnostic`]s with stable codes and hints.
//! 4. [`resync`]: what changed since the last sync.
//! 5. [`read`]: a discovered table's rows as Arrow record batches, with every bad row
//!    reported by file, line and column.
//!
//! The decisions are pure and usable on their own: [`layout`] turns a listing into tables
//! (key classification, Hive partitions and their types), [`schema`] infers CSV and Parquet
//! schemas from bytes already fetched, [`names`] checks AWS names. All I/O stays inside
//! the connector. The crate never depends on the simulator in `harness/`.
//!
//! Fallible functions return [`Error`]; what the connector finds about a bucket is never an
//! error but a diagnostic in its report.
//!
//! # Example
//!
//! Validate a form, then discover the tables of a listing of its schema prefix:
//!
//! ```
//! use s3_connector::config::{ConnectionForm, DataFormat, Partitioning};
//! use s3_connector::layout::ListedObject;
//! use s3_connector::layout::tables::discover_tables;
//! use s3_connector::schema::DataType;
//!
//! let form = ConnectionForm {
//!     name: "audiences".into(),
//!     region: "eu-west-1".into(),
//!     bucket: "acme-data".into(),
//!     schema_prefix: "data/audiences/".into(),
//!     format: DataFormat::Csv,
//!     partitioning: Partitioning::All,
//! };
//! let config = form.validate()?;
//!
//! let listing: Vec<ListedObject> = [
//!     ("data/audiences/clicks/date=2025-01-01/part-0.csv", 120),
//!     ("data/audiences/clicks/date=2025-01-02/part-0.csv", 98),
//!     ("data/audiences/clicks/_SUCCESS", 0),
//!     ("data/audiences/users/country=FR/users.csv", 40),
//!     ("data/audiences/users/users.csv", 35),
//! ]
//! .into_iter()
//! .map(|(key, size)| ListedObject { key: key.into(), size })
//! .collect();
//! let layout = discover_tables(&config, &listing);
//!
//! // `clicks` is partitioned by date, typed over every value of the column.
//! let clicks = &layout.tables[0];
//! assert_eq!((clicks.name.as_str(), clicks.files.len()), ("clicks", 2));
//! assert_eq!(clicks.partition_columns[0].name, "date");
//! assert_eq!(clicks.partition_columns[0].data_type, DataType::Date);
//! assert_eq!(layout.ignored[0].key, "data/audiences/clicks/_SUCCESS");
//!
//! // `users` has a file beside its partition directories: it is not imported, and a
//! // diagnostic says why.
//! assert_eq!(layout.tables.len(), 1);
//! assert_eq!(layout.skipped[0].name, "users");
//! let why = layout.diagnostics.iter().find(|d| d.subject == "data/audiences/users/").unwrap();
//! assert_eq!(why.code.as_str(), "partition_mismatch");
//! # Ok::<(), s3_connector::Error>(())
//! ```

#![warn(missing_docs)]

pub mod bucket_policy;
pub mod config;
pub mod connector;
pub mod diagnostic;
mod error;
mod in_flight;
pub mod inventory;
pub mod layout;
pub mod names;
pub mod read;
pub mod resync;
pub mod retry;
mod s3;
pub mod schema;

pub use error::Error;
