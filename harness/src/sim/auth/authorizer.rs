//! The authorization seam: every request is reduced to (caller, IAM action, resource
//! ARN, request context) and decided here, whichever client sent it.
//!
//! [`PolicyAuthorizer`] decides with the IAM engine of `s3_policy`: the bucket policy
//! and the caller's identity policies, evaluated as AWS does, with S3's answers for
//! missing keys and bucket-policy operations. Policies arrive parsed: the store parses
//! a bucket policy once when it is saved, the world an identity policy once when the
//! identity is added.

use s3_policy::iam::Caller;
use s3_policy::{Context, Decision, EvalRequest, ObjectFacts, Policy, PolicySet, StatementTrace, evaluate};

/// One authorization question. It borrows what the request already holds: the gate
/// asks it on every request, and DeleteObjects once per key.
#[derive(Debug, Clone)]
pub struct AccessRequest<'a> {
    /// Who asks.
    pub caller: &'a Caller,
    /// `s3:GetObject`, `s3:ListBucket`, ...
    pub action: &'static str,
    /// The S3 operation (`GetObject`, `HeadObject`, ...).
    pub api: &'a str,
    /// `arn:aws:s3:::bucket`, `arn:aws:s3:::bucket/key`, or `*`.
    pub resource: String,
    /// Request condition keys (`s3:prefix`, `aws:SourceIp`, ...) as sent; a key absent
    /// from the request is absent here.
    pub context: &'a Context,
}

/// What the policy engine needs to know about the bucket a request targets.
#[derive(Debug, Clone)]
pub struct BucketFacts<'a> {
    /// The bucket name.
    pub name: &'a str,
    /// The owning account.
    pub owner: &'a str,
    /// The bucket policy.
    pub policy: Option<&'a Policy>,
    /// For object requests: the object as the store holds it.
    pub object: Option<ObjectFacts>,
}

/// An answer with the reason a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Allow or deny.
    pub decision: Decision,
    /// The rule that decided.
    pub reason: String,
    /// What S3 answers: 200 to go ahead (or 404 for a missing key the caller may see
    /// missing), 403, 405.
    pub status: u16,
    /// S3's error code when the answer is an error.
    pub code: Option<String>,
    /// Each statement evaluated and its verdict.
    pub trace: Vec<StatementTrace>,
}

impl Verdict {
    /// Whether the operation may run.
    pub fn proceeds(&self) -> bool {
        self.decision == Decision::Allow && (self.status == 200 || self.status == 404)
    }
}

/// Decides every request; tests swap in their own to isolate the gate.
pub trait Authorizer: Send + Sync + 'static {
    /// Decides `req`; `bucket` is `None` for requests on no existing bucket
    /// (ListBuckets, CreateBucket). `identity_policy` is the caller's.
    fn authorize(
        &self,
        req: &AccessRequest<'_>,
        bucket: Option<&BucketFacts<'_>>,
        identity_policy: Option<&Policy>,
    ) -> Verdict;

    /// Whether [`Authorizer::authorize`] may read the request's condition keys
    /// (`AccessRequest::context`) when it decides with these policies. The gate builds
    /// the keys only when it may; an authorizer that does not say reads them always.
    fn reads_request_keys(&self, bucket_policy: Option<&Policy>, identity_policy: Option<&Policy>) -> bool {
        let _ = (bucket_policy, identity_policy);
        true
    }
}

/// Bucket and identity policies evaluated by the IAM engine.
#[derive(Debug, Default)]
pub struct PolicyAuthorizer;

impl Authorizer for PolicyAuthorizer {
    // IAM reads condition keys only for conditions and policy variables.
    fn reads_request_keys(&self, bucket_policy: Option<&Policy>, identity_policy: Option<&Policy>) -> bool {
        bucket_policy.is_some_and(Policy::reads_request_keys) || identity_policy.is_some_and(Policy::reads_request_keys)
    }

    fn authorize(
        &self,
        req: &AccessRequest<'_>,
        bucket: Option<&BucketFacts<'_>>,
        identity_policy: Option<&Policy>,
    ) -> Verdict {
        let identity = identity_policy.map(std::slice::from_ref);
        // Requests on no bucket are the caller's own account's business.
        let owner = bucket.map_or_else(|| req.caller.account().unwrap_or_default(), |b| b.owner);
        let eval_req = EvalRequest {
            caller: req.caller,
            action: req.action,
            api: Some(req.api),
            resource: &req.resource,
            context: req.context,
            bucket_owner: owner,
            object: bucket.and_then(|b| b.object.as_ref()),
        };
        let e = evaluate(
            &eval_req,
            PolicySet {
                bucket: bucket.and_then(|b| b.policy),
                identity,
            },
        );
        Verdict {
            decision: e.decision,
            reason: e.rule,
            status: e.http.status,
            code: e.http.code.map(str::to_owned),
            trace: e.trace,
        }
    }
}
