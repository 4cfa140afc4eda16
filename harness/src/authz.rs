//! The authorization seam: every request is reduced to (caller, IAM action, resource
//! ARN, request context) and decided here, whichever client sent it.
//!
//! The full IAM engine (bucket and identity policies evaluated as AWS does) plugs in
//! behind [`Authorizer`]. Until it does, [`OwnerOnly`] stands in and does not pretend
//! to evaluate policies: it allows the principals of the account that owns the bucket
//! and denies everyone else.

use std::collections::BTreeMap;

use s3_connector::iam::Caller;

use crate::request_log::Decision;

/// One authorization question.
#[derive(Debug, Clone)]
pub struct AccessRequest {
    pub caller: Caller,
    /// `s3:GetObject`, `s3:ListBucket`, ...
    pub action: &'static str,
    /// `arn:aws:s3:::bucket`, `arn:aws:s3:::bucket/key`, or `*`.
    pub resource: String,
    /// Request condition keys (`s3:prefix`, `aws:SourceIp`, ...) as sent; a key absent
    /// from the request is absent here.
    pub context: BTreeMap<String, String>,
}

/// What the policy engine needs to know about the bucket a request targets.
#[derive(Debug, Clone)]
pub struct BucketFacts<'a> {
    pub name: &'a str,
    pub owner: &'a str,
    pub policy: Option<&'a str>,
}

/// An answer with the reason a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    pub reason: String,
}

pub trait Authorizer: Send + Sync + 'static {
    /// Decides `req`; `bucket` is `None` for requests on no bucket (ListBuckets) and
    /// for a bucket being created. `identity_policy` is the caller's.
    fn authorize(
        &self,
        req: &AccessRequest,
        bucket: Option<&BucketFacts<'_>>,
        identity_policy: Option<&str>,
    ) -> Verdict;
}

/// The stand-in until the IAM engine lands: the bucket owner's principals may do
/// anything to its buckets; everyone else, including callers a bucket policy would
/// admit, is denied. Requests on no bucket are allowed to any signed caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct OwnerOnly;

impl Authorizer for OwnerOnly {
    fn authorize(&self, req: &AccessRequest, bucket: Option<&BucketFacts<'_>>, _: Option<&str>) -> Verdict {
        let caller_account = req.caller.account();
        match (bucket, caller_account) {
            (_, None) => Verdict {
                decision: Decision::Deny,
                reason: "anonymous callers are denied (policy evaluation not implemented yet)".to_owned(),
            },
            (None, Some(_)) => Verdict {
                decision: Decision::Allow,
                reason: "a signed caller acting on no existing bucket".to_owned(),
            },
            (Some(b), Some(account)) if b.owner == account => Verdict {
                decision: Decision::Allow,
                reason: format!("caller belongs to account {account}, which owns bucket {}", b.name),
            },
            (Some(b), Some(account)) => Verdict {
                decision: Decision::Deny,
                reason: format!(
                    "caller's account {account} does not own bucket {} (owner {}); bucket policies are not evaluated yet",
                    b.name, b.owner
                ),
            },
        }
    }
}
