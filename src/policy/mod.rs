//! The IAM policy engine for S3: parse, validate, evaluate and explain bucket and
//! identity policies as AWS does. It does no I/O.
//!
//! Also the bucket policy the connection form generates.

pub mod condition;
pub mod context;
mod generate;
pub mod pattern;
pub mod variables;

pub use context::{Context, Version};
pub use generate::{generated_policy, platform_role_arn};
