//! A local S3 simulator.
pub mod scenario;
