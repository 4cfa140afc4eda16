//! The IAM policy engine for S3: parse, validate, evaluate and explain bucket and
//! identity policies as AWS does. It does no I/O.
//!
//! Also the bucket policy the connection form generates.

pub mod actions;
pub mod check;
pub mod condition;
pub mod context;
pub mod eval;
mod generate;
pub mod model;
pub mod parse;
pub mod pattern;
pub mod principal;
pub mod variables;

pub use context::{Context, Version};
pub use eval::{Decision, EvalRequest, Evaluation, HttpAnswer, ObjectFacts, ObjectOwnership, PolicySet, evaluate};
pub use generate::{generated_policy, platform_role_arn};
pub use model::Policy;
pub use parse::{PolicyError, PolicyKind, parse_policy, parse_policy_value, to_json};
