//! The authorization seam: every request is reduced to (caller, IAM action, resource
//! ARN, request context) and decided here, whichever client sent it.
//!
//! [`PolicyAuthorizer`] decides with the IAM engine of `s3_policy`: the
//! bucket policy and the caller's identity policies, evaluated as AWS does, with S3's
//! answers for missing keys and bucket-policy operations.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use s3_policy::iam::Caller;
use s3_policy::{
    Context, EvalRequest, ObjectFacts, Policy, PolicyError, PolicyKind, PolicySet, evaluate, parse_policy,
};

use crate::sim::request_log::Decision;

/// One authorization question.
#[derive(Debug, Clone)]
pub struct AccessRequest {
    pub caller: Caller,
    /// `s3:GetObject`, `s3:ListBucket`, ...
    pub action: &'static str,
    /// The S3 operation (`GetObject`, `HeadObject`, ...).
    pub api: String,
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
    /// For object requests: the object as the store holds it.
    pub object: Option<ObjectFacts>,
}

/// An answer with the reason a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    /// The rule that decided.
    pub reason: String,
    /// What S3 answers: 200 to go ahead (or 404 for a missing key the caller may see
    /// missing), 403, 405.
    pub status: u16,
    pub code: Option<String>,
    /// One line per statement evaluated.
    pub trace: Vec<String>,
}

impl Verdict {
    /// Whether the operation may run.
    pub fn proceeds(&self) -> bool {
        self.decision == Decision::Allow && (self.status == 200 || self.status == 404)
    }
}

pub trait Authorizer: Send + Sync + 'static {
    /// Decides `req`; `bucket` is `None` for requests on no existing bucket
    /// (ListBuckets, CreateBucket). `identity_policy` is the caller's.
    fn authorize(
        &self,
        req: &AccessRequest,
        bucket: Option<&BucketFacts<'_>>,
        identity_policy: Option<&str>,
    ) -> Verdict;
}

/// Bucket and identity policies evaluated by the IAM engine. Parsed documents are
/// cached by their text.
#[derive(Debug, Default)]
pub struct PolicyAuthorizer {
    bucket_policies: Mutex<HashMap<(String, String), Result<Arc<Policy>, PolicyError>>>,
    identity_policies: Mutex<HashMap<String, Result<Arc<Policy>, PolicyError>>>,
}

impl PolicyAuthorizer {
    fn bucket_policy(&self, bucket: &str, text: &str) -> Result<Arc<Policy>, PolicyError> {
        let mut cache = self.bucket_policies.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .entry((bucket.to_owned(), text.to_owned()))
            .or_insert_with(|| parse_policy(text, PolicyKind::Bucket(bucket)).map(Arc::new))
            .clone()
    }

    fn identity_policy(&self, text: &str) -> Result<Arc<Policy>, PolicyError> {
        let mut cache = self.identity_policies.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .entry(text.to_owned())
            .or_insert_with(|| parse_policy(text, PolicyKind::Identity).map(Arc::new))
            .clone()
    }
}

impl Authorizer for PolicyAuthorizer {
    fn authorize(
        &self,
        req: &AccessRequest,
        bucket: Option<&BucketFacts<'_>>,
        identity_policy: Option<&str>,
    ) -> Verdict {
        let mut notes = Vec::new();
        // A stored policy is valid (PutBucketPolicy and the scenario loader check it);
        // should one not be, it is treated as absent, and the trace says so.
        let bucket_policy = bucket
            .and_then(|b| b.policy.map(|text| (b.name, text)))
            .and_then(|(name, text)| {
                self.bucket_policy(name, text)
                    .map_err(|e| notes.push(format!("bucket policy ignored: MalformedPolicy: {e}")))
                    .ok()
            });
        let identity = identity_policy.and_then(|text| {
            self.identity_policy(text)
                .map_err(|e| notes.push(format!("identity policy ignored: {e}")))
                .ok()
        });
        let identity_slice = identity.as_deref().map(std::slice::from_ref);
        let mut ctx = Context::new();
        for (k, v) in &req.context {
            ctx.insert(k.clone(), v.clone());
        }
        // Requests on no bucket are the caller's own account's business.
        let owner = bucket.map_or_else(|| req.caller.account().unwrap_or_default(), |b| b.owner);
        let eval_req = EvalRequest {
            caller: &req.caller,
            action: req.action,
            api: Some(&req.api),
            resource: &req.resource,
            context: &ctx,
            bucket_owner: owner,
            object: bucket.and_then(|b| b.object.as_ref()),
        };
        let e = evaluate(
            &eval_req,
            PolicySet {
                bucket: bucket_policy.as_deref(),
                identity: identity_slice,
            },
        );
        let mut trace = notes;
        trace.extend(
            e.trace
                .iter()
                .map(|t| format!("{} {} ({}): {}", t.policy, t.statement, t.effect, t.reason)),
        );
        Verdict {
            decision: if e.allowed() { Decision::Allow } else { Decision::Deny },
            reason: e.rule,
            status: e.http.status,
            code: e.http.code.map(str::to_owned),
            trace,
        }
    }
}
