//! `s3-harness`: a local, S3-faithful simulator and scenario runner for teams that own an
//! S3 data connector.
//!
//! A [`Simulator`] serves a simulated AWS world over HTTP, or HTTPS with a CA made for
//! it ([`SimulatorBuilder::tls`], [`Simulator::ca_pem`]), on 127.0.0.1: accounts with
//! their principals (SigV4 keys, identity policies), buckets with a region, an owner, a
//! bucket policy and objects. Every request is signature-checked, authorized by the IAM
//! engine (`s3-policy`) as AWS would authorize it, optionally delayed or failed by the
//! fault layer, and logged with its decision. Worlds come from scenario files (TOML, see
//! [`scenario`]) or are built in code with [`Simulator::builder`]; clients are plain
//! `aws_sdk_s3::Client`s (re-exported as [`aws_sdk_s3`], so one dependency is enough)
//! that trust the simulator's CA over HTTPS. Every answer carries S3's
//! `x-amz-request-id`, which the request log records ([`RequestRecord::request_id`]);
//! buckets are addressed path-style or virtual-hosted-style (`BUCKET.localhost`).
//!
//! # A world built in code
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), s3_harness::Error> {
//! use s3_harness::{Decision, Simulator, Who};
//!
//! let sim = Simulator::builder()
//!     .bucket("acme-data", "eu-west-1", "111122223333")
//!     .object("acme-data", "events/date=2025-01-01/part-0.csv", "id,name\n1,a\n")
//!     .platform("999988887777", "connector-acme")
//!     .start()
//!     .await?;
//!
//! // The bucket owner lists its own bucket.
//! let owner = sim.client(Who::BucketOwner("acme-data"))?;
//! let listed = owner.list_objects_v2().bucket("acme-data").send().await.expect("owner may list");
//! assert_eq!(listed.key_count(), Some(1));
//!
//! // Another account's reader is refused: the bucket has no policy granting it.
//! let reader = sim.client(Who::Platform)?;
//! assert!(reader.list_objects_v2().bucket("acme-data").send().await.is_err());
//! let last = sim.requests().snapshot().pop().expect("two requests were logged");
//! assert_eq!(last.decision, Some(Decision::Deny));
//! # Ok(())
//! # }
//! ```
//!
//! # A scenario file, and the connector end to end
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), s3_harness::Error> {
//! use s3_harness::{Simulator, Who};
//!
//! // Fixtures resolve next to the file, then in the nearest fixtures/ above it, then
//! // in roots given with Simulator::builder().fixtures_dir(..), then among the
//! // fixtures this repository bundles.
//! let sim = Simulator::from_scenario_file("../scenarios/valid/daily_csv.toml").await?;
//! let s3 = sim.client(Who::Platform)?; // signs as the platform reader, in the connection's region
//! let page = s3.list_objects_v2().bucket("acme-data").prefix("data/audiences/").send().await;
//! assert!(page.is_ok());
//!
//! // What `s3-harness run --json` prints for the same file:
//! let report = s3_harness::run_scenario_file("../scenarios/valid/daily_csv.toml").await?;
//! let json = serde_json::to_value(&report).expect("the report serializes");
//! assert_eq!(json["connection"]["status"], "active");
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod capture;
mod error;
pub mod import;
pub mod listing;
pub mod run;
pub mod scenario;
pub mod sim;

pub use aws_sdk_s3;
pub use error::Error;
pub use run::{RunOptions, ScenarioRun, run_scenario, run_scenario_file, run_scenario_with};
pub use sim::request_log::{Decision, RequestLog, RequestRecord};
pub use sim::server::{ServerOptions, Simulator, SimulatorBuilder, Who};
pub use sim::world::World;
