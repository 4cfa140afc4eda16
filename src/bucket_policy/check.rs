//! `policy check`: whether a bucket policy a user pasted gives the connection what it needs.
//!
//! The connection needs s3:ListBucket on the bucket and s3:GetObject on its objects, for
//! the platform's role; when a need is not met, the check says which statement is wrong
//! and how, in plain words.

use s3_policy::model::ActionElement;
use s3_policy::pattern::wildcard_match;
use s3_policy::{Caller, Context, EvalRequest, PolicyKind, PolicySet, evaluate, parse_policy};
use serde::Serialize;

use super::generate::platform_role_arn;

/// Who must read what: the connection a pasted policy is checked against.
#[derive(Debug, Clone)]
pub struct ConnectionNeeds<'a> {
    /// The bucket the policy is attached to.
    pub bucket: &'a str,
    /// The platform's account.
    pub account: &'a str,
    /// The platform's role name.
    pub role: &'a str,
    /// The schema prefix the connection reads (for `s3:prefix` and sample keys).
    pub prefix: &'a str,
}

/// Whether a need is met: a pass/fail answer, serialized as `ok` / `error`. Not a
/// severity (a finding is never a warning or mere information), so not the
/// diagnostics' [`crate::diagnostic::Severity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// The policy grants what the need asks for.
    #[serde(rename = "ok")]
    Met,
    /// It does not, or AWS would refuse the policy altogether.
    #[serde(rename = "error")]
    Unmet,
}

/// One need checked against the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Met or not.
    pub outcome: Outcome,
    /// `s3:ListBucket`, `s3:GetObject`, or `policy` for a policy AWS refuses.
    pub need: String,
    /// Why: what allows the need, or which statement fails it and how.
    pub message: String,
}

/// The session the connector signs as.
fn platform_caller(account: &str, role: &str) -> Option<Caller> {
    Caller::from_arn(&platform_role_arn(account, role), "s3-connector").ok()
}

/// The request keys a connector's call carries on AWS: over TLS, with the prefix it
/// lists.
fn connector_context(prefix: &str, listing: bool) -> Context {
    let mut ctx = Context::new().with("aws:SecureTransport", "true");
    if listing {
        ctx.insert("s3:prefix", prefix);
        ctx.insert("s3:delimiter", "/");
    }
    ctx
}

/// Checks `policy_text` against what the connection needs: one finding per need (and per
/// statement that fails it), or a single `policy` finding when AWS would refuse the policy.
pub fn check_connection_policy(policy_text: &str, needs: &ConnectionNeeds<'_>) -> Vec<Finding> {
    let policy = match parse_policy(policy_text, PolicyKind::Bucket(needs.bucket)) {
        Ok(p) => p,
        Err(e) => {
            return vec![Finding {
                outcome: Outcome::Unmet,
                need: "policy".to_owned(),
                message: format!("AWS refuses to save this policy: MalformedPolicy: {e}"),
            }];
        }
    };
    let Some(caller) = platform_caller(needs.account, needs.role) else {
        return vec![Finding {
            outcome: Outcome::Unmet,
            need: "policy".to_owned(),
            message: format!("`{}` / `{}` do not form a role ARN", needs.account, needs.role),
        }];
    };
    // The platform's own account grants its role these actions; the bucket policy is
    // what is being checked.
    let identity = parse_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject","s3:GetBucketLocation"],"Resource":"*"}]}"#,
        PolicyKind::Identity,
    )
    .ok();
    let identity_slice = identity.as_ref().map(std::slice::from_ref);
    let sample_key = format!("{}example-table/part-00000.parquet", needs.prefix);
    let bucket_arn = format!("arn:aws:s3:::{}", needs.bucket);
    let object_arn = format!("{bucket_arn}/{sample_key}");
    let checks = [
        (
            "s3:ListBucket",
            bucket_arn.as_str(),
            connector_context(needs.prefix, true),
            "list the schema prefix",
        ),
        (
            "s3:GetObject",
            object_arn.as_str(),
            connector_context(needs.prefix, false),
            "read data files",
        ),
    ];
    let mut findings = Vec::new();
    for (action, resource, ctx, purpose) in checks {
        let req = EvalRequest {
            caller: &caller,
            action,
            api: None,
            resource,
            context: &ctx,
            bucket_owner: "000000000000",
            object: None,
        };
        let e = evaluate(
            &req,
            PolicySet {
                bucket: Some(&policy),
                identity: identity_slice,
            },
        );
        if e.allowed() {
            findings.push(Finding {
                outcome: Outcome::Met,
                need: action.to_owned(),
                message: format!(
                    "{action} on {resource} is allowed for {}: the connector can {purpose}",
                    caller.arn()
                ),
            });
            continue;
        }
        let mut explained = false;
        for (i, t) in e.trace.iter().enumerate() {
            let Some(statement) = policy.statements.get(i) else {
                break;
            };
            if t.policy != "bucket policy" {
                continue;
            }
            let names_action = match &statement.action {
                ActionElement::Action(a) => a.iter().any(|p| wildcard_match(p, action, true)),
                ActionElement::NotAction(_) => true,
            };
            if t.effect == "Deny" && t.matched {
                findings.push(Finding {
                    outcome: Outcome::Unmet,
                    need: action.to_owned(),
                    message: format!(
                        "statement {} denies {action} to the connector: {}",
                        t.statement, t.reason
                    ),
                });
                explained = true;
            } else if names_action && !t.matched {
                findings.push(Finding {
                    outcome: Outcome::Unmet,
                    need: action.to_owned(),
                    message: explain_miss(&t.statement, action, resource, &t.reason),
                });
                explained = true;
            }
        }
        if !explained {
            findings.push(Finding {
                outcome: Outcome::Unmet,
                need: action.to_owned(),
                message: format!("no statement grants {action} on {resource}; the connector cannot {purpose}"),
            });
        }
    }
    findings
}

/// A statement that names the action but did not match, said plainly.
fn explain_miss(statement: &str, action: &str, resource: &str, reason: &str) -> String {
    let short = action.trim_start_matches("s3:");
    if let Some(rest) = reason.strip_prefix("Resource ") {
        let granted = rest.split(" does not include").next().unwrap_or(rest);
        let granted = match granted.strip_prefix('`').and_then(|g| g.strip_suffix('`')) {
            Some(single) if !single.contains('`') => single,
            _ => granted,
        };
        return format!("statement {statement} grants {action} on {granted} but {short} is checked against {resource}");
    }
    format!("statement {statement} names {action} but does not apply to the connector: {reason}")
}
