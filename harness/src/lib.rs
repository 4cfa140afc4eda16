//! `s3-harness`: a local S3 simulator and scenario runner for S3 data connectors.
//!
//! [`server::Simulator`] serves a [`world::World`] (accounts' principals and a store
//! of buckets) over HTTP on loopback through s3s, checking SigV4 signatures,
//! authorizing every request, injecting faults and logging requests. Worlds come from
//! scenario files ([`scenario`]).

pub mod access;
pub mod actions;
pub mod authz;
pub mod faults;
pub mod ops;
pub mod policy_cli;
pub mod request_log;
pub mod run;
pub mod scenario;
pub mod serve_banner;
pub mod server;
pub mod store;
pub mod world;

pub use server::{ServerOptions, Simulator};
pub use world::World;
