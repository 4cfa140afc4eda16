//! The IAM policy language for S3: parse, validate, evaluate and explain policies as AWS does.
//!
//! Bucket and identity policies are parsed and validated as `PutBucketPolicy` and IAM do,
//! a request is evaluated against them as AWS does, and the decision is explained
//! statement by statement.
//!
//! The crate does no I/O and depends on no runtime: the simulator enforces with it,
//! and the connector checks the policies users paste with it.
//!
//! # Overview
//!
//! - [`parse_policy`] reads a policy document and refuses what S3 (for a
//!   [`PolicyKind::Bucket`] policy) or IAM (for a [`PolicyKind::Identity`] policy) would
//!   refuse, with S3's messages ([`PolicyError`]); [`to_json`] writes the parsed [`Policy`]
//!   back in a canonical form.
//! - [`evaluate`] decides one request ([`EvalRequest`]: a [`Caller`], an action, a resource
//!   and the request's condition keys in a [`Context`]) against the policies that apply
//!   ([`PolicySet`]). The [`Evaluation`] holds the decision, the HTTP answer S3 would give,
//!   the rule that decided and a trace of every statement.
//! - [`model`] is the parsed document, [`condition`] the `Condition` element (operators,
//!   parsing, evaluation with explanations), [`iam`] the callers, and [`pattern`] IAM's
//!   `*`/`?` wildcard matching.
//!
//! # Example
//!
//! ```
//! use s3_policy::{Caller, Context, Decision, EvalRequest, PolicyKind, PolicySet, evaluate, parse_policy};
//!
//! let text = r#"{
//!     "Version": "2012-10-17",
//!     "Statement": [{
//!         "Sid": "ReadExports",
//!         "Effect": "Allow",
//!         "Principal": {"AWS": "arn:aws:iam::222222222222:role/Reader"},
//!         "Action": "s3:GetObject",
//!         "Resource": "arn:aws:s3:::bucket/exports/*",
//!         "Condition": {"Bool": {"aws:SecureTransport": "true"}}
//!     }]
//! }"#;
//! let policy = parse_policy(text, PolicyKind::Bucket("bucket"))?;
//!
//! // A session of the role the statement names, in the bucket owner's account.
//! let caller = Caller::from_arn("arn:aws:iam::222222222222:role/Reader", "nightly-export")?;
//! let https = Context::new().with("aws:SecureTransport", "true");
//! let request = EvalRequest {
//!     caller: &caller,
//!     action: "s3:GetObject",
//!     api: Some("GetObject"),
//!     resource: "arn:aws:s3:::bucket/exports/2025-06.csv",
//!     context: &https,
//!     bucket_owner: "222222222222",
//!     object: None,
//! };
//! let policies = PolicySet { bucket: Some(&policy), identity: None };
//!
//! let evaluation = evaluate(&request, policies);
//! assert_eq!(evaluation.decision, Decision::Allow);
//! assert_eq!(evaluation.http.status, 200);
//!
//! // Over plain HTTP the condition fails and nothing else allows: S3 answers 403.
//! let http = Context::new().with("aws:SecureTransport", "false");
//! let evaluation = evaluate(&EvalRequest { context: &http, ..request }, policies);
//! assert_eq!(evaluation.decision, Decision::Deny);
//! assert_eq!(evaluation.http.code, Some("AccessDenied"));
//! assert!(evaluation.trace[0].reason.starts_with("Condition: aws:SecureTransport = false did not match Bool"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

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

pub use context::{Context, Keys, Version};
pub use error::PolicyError;
pub use eval::{
    Decision, EvalRequest, Evaluation, HttpAnswer, ObjectFacts, ObjectOwnership, PolicySet, StatementTrace, evaluate,
};
pub use iam::{ArnError, Caller};
pub use model::Policy;
pub use parse::{PolicyKind, parse_policy, parse_policy_value, to_json};
