//! Bucket policies: the one the connection form generates.

mod generate;

pub use generate::{generated_policy, platform_role_arn};
