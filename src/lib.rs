//! Connection validation and table discovery for S3 data imports.
//!
//! The connector is what a data platform runs against a customer's bucket: it checks
//! the connection form, generates the bucket policy the customer pastes, and (as it
//! grows) validates access and discovers tables. It does its I/O through aws-sdk-s3 and
//! never depends on the simulator in `harness/`.

pub mod bucket_policy;
pub mod config;
pub mod connector;
pub mod diagnostic;
mod error;
pub mod layout;
pub mod names;
pub mod resync;
pub mod s3;
pub mod schema;

pub use error::Error;
