//! The IAM policy language for S3: parse and validate bucket and identity policies as
//! `PutBucketPolicy` and IAM do, evaluate a request against them as AWS does, and
//! explain the decision statement by statement.
//!
//! The crate does no I/O and depends on no runtime: the simulator enforces with it,
//! and the connector checks the policies users paste with it.

#![warn(missing_docs)]

mod actions;
pub mod condition;
mod context;
mod error;
mod eval;
pub mod iam;
pub mod model;
mod parse;
pub mod pattern;
mod principal;
mod variables;

pub use context::{Context, Version};
pub use error::PolicyError;
pub use eval::{
    Decision, EvalRequest, Evaluation, HttpAnswer, ObjectFacts, ObjectOwnership, PolicySet, StatementTrace, evaluate,
};
pub use iam::{ArnError, Caller};
pub use model::Policy;
pub use parse::{PolicyKind, parse_policy, parse_policy_value, to_json};
