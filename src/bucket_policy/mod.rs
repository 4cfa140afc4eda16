//! The bucket policy of a connection: the one generated for the user, and the check of one pasted.
//!
//! The connection form generates a policy for the user to paste (the guide's Step 2);
//! `check` says what a policy the user pasted instead lacks. Both are built on the
//! `s3-policy` engine.

pub mod check;
mod generate;

pub use generate::{generated_policy, generated_policy_for_prefix, platform_role_arn};
