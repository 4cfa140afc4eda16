//! The bucket policy of a connection: the one the connection form generates for the
//! user to paste (the guide's Step 2), and the check of a policy a user pasted
//! instead, both built on the `s3-policy` engine.

pub mod check;
mod generate;

pub use generate::{generated_policy, generated_policy_for_prefix, platform_role_arn};
