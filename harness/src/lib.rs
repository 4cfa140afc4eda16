//! `s3-harness`: a local S3 simulator and scenario runner for S3 data connectors.
//!
//! [`Simulator`] serves a [`World`] (accounts' principals and a store of buckets) over
//! HTTP on loopback through s3s, checking SigV4 signatures, authorizing every request,
//! injecting faults and logging requests. Worlds come from scenario files
//! ([`scenario`]).

mod error;
pub mod run;
pub mod scenario;
pub mod sim;

pub use aws_sdk_s3;
pub use error::Error;
pub use run::{ScenarioRun, run_scenario_file};
pub use sim::server::{ServerOptions, Simulator, SimulatorBuilder, Who};
pub use sim::world::World;
