//! Deciding one request as AWS does, with a trace a person can read.
//!
//! The logic follows
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html> and
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html>:
//!
//! 1. An explicit Deny in any applicable policy wins.
//! 2. Same account as the bucket owner: an Allow in the caller's identity policy or in
//!    the bucket policy suffices, except that a bucket-policy Allow naming only the
//!    account (its root ARN or bare id) delegates to IAM and grants nothing by itself.
//!    The account's root user needs no identity policy.
//! 3. Another account: the bucket policy must allow the caller *and* the caller's own
//!    account must (its identity policy, or being its root user).
//! 4. Anonymous callers: only a bucket-policy Allow for `*` grants.
//!
//! S3's answer can differ from the decision: a missing key is 404 only to callers who
//! may list the bucket; bucket-policy operations are for the owner's account only.

use serde::Serialize;

use crate::condition::evaluate_all;
use crate::context::{Context, Keys, WithPrincipal};
use crate::iam::Caller;
use crate::model::{ActionElement, Effect, Policy, PrincipalElement, ResourceElement, Statement};
use crate::pattern::wildcard_match;
use crate::principal::{self, PrincipalMatch};
use crate::variables::resolve_pattern;

/// How a bucket decides object ownership
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub enum ObjectOwnership {
    /// ACLs disabled: the bucket owner owns every object.
    #[default]
    BucketOwnerEnforced,
    /// ACLs enabled: the writer owns the object.
    ObjectWriter,
    /// ACLs enabled: the bucket owner owns objects written with
    /// `bucket-owner-full-control`, the writer owns the others.
    BucketOwnerPreferred,
}

/// What S3 knows about the object a request names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ObjectFacts {
    /// Whether the key exists (in JSON input, true unless said otherwise).
    #[serde(default = "yes")]
    pub exists: bool,
    /// The account that owns the object (defaults to the bucket owner).
    #[serde(default)]
    pub owner_account: Option<String>,
    /// The bucket's ownership setting, which decides whether the owner above matters.
    #[serde(default)]
    pub object_ownership: ObjectOwnership,
    /// `aws:kms` for SSE-KMS objects.
    #[serde(default)]
    pub sse: Option<String>,
    /// The KMS key of an SSE-KMS object, named in the denial.
    #[serde(default)]
    pub kms_key_arn: Option<String>,
    /// Whether the caller may `kms:Decrypt` with that key: reading an SSE-KMS object needs it.
    #[serde(default)]
    pub caller_has_kms_decrypt: bool,
}

fn yes() -> bool {
    true
}

/// One authorization question.
#[derive(Debug, Clone)]
pub struct EvalRequest<'a> {
    /// Who signed the request.
    pub caller: &'a Caller,
    /// The IAM action asked for, such as `s3:GetObject`.
    pub action: &'a str,
    /// The API operation (`GetObject`, `HeadObject`), which shapes S3's answer.
    pub api: Option<&'a str>,
    /// The ARN the action is checked against, such as `arn:aws:s3:::bucket/key`.
    pub resource: &'a str,
    /// The request's own keys; the principal keys are derived here from `caller`.
    pub context: &'a Context,
    /// The account that owns the bucket, which decides same- or cross-account rules.
    pub bucket_owner: &'a str,
    /// What S3 knows about the object named, for object requests.
    pub object: Option<&'a ObjectFacts>,
}

/// The policies that apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// The bucket's policy; `None` when it has none.
    pub bucket: Option<&'a Policy>,
    /// The caller's identity policies; `None` when it has none.
    pub identity: Option<&'a [Policy]>,
}

/// The authorization decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Some policy allows and none denies.
    Allow,
    /// An explicit Deny, or no Allow that counts (implicit deny).
    Deny,
}

/// The HTTP answer S3 gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpAnswer {
    /// `200`, `403`, `404` or `405`.
    pub status: u16,
    /// S3's error code (`AccessDenied`, `NoSuchKey`, ...); `None` on success.
    pub code: Option<&'static str>,
}

/// One statement's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementTrace {
    /// The policy the statement is in: `bucket policy` or `identity policy N`.
    pub policy: String,
    /// The statement's Sid in backquotes, or `#N`.
    pub statement: String,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
    /// Whether the statement applies to the request.
    pub matched: bool,
    /// Why it matched, or the first thing that did not.
    pub reason: String,
}

/// `bucket policy `List` (Allow): why`, the line reports print per statement.
impl std::fmt::Display for StatementTrace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} ({}): {}",
            self.policy, self.statement, self.effect, self.reason
        )
    }
}

/// The outcome of [`evaluate`]: the decision, S3's answer, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// Allow or deny.
    pub decision: Decision,
    /// What S3 answers, which can differ from the decision (a 404 for a missing key).
    pub http: HttpAnswer,
    /// The rule that decided, in words.
    pub rule: String,
    /// Every statement of every applicable policy, bucket policy first.
    pub trace: Vec<StatementTrace>,
}

impl Evaluation {
    /// Whether the decision is [`Decision::Allow`].
    pub fn allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// The principal condition keys IAM sets from `caller`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>,
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable>),
/// which [`WithPrincipal`] lays over the request's keys when a policy first reads one.
pub(crate) fn principal_keys(caller: &Caller) -> Context {
    let mut ctx = Context::with_capacity(5);
    match caller {
        Caller::AssumedRole {
            account,
            principal_arn,
            role_id,
            session_name,
            ..
        } => {
            ctx.insert("aws:PrincipalArn", principal_arn.clone());
            ctx.insert("aws:PrincipalAccount", account.clone());
            ctx.insert("aws:PrincipalType", "AssumedRole");
            ctx.insert("aws:userid", format!("{role_id}:{session_name}"));
        }
        Caller::User {
            account,
            principal_arn,
            user_name,
            user_id,
        } => {
            ctx.insert("aws:PrincipalArn", principal_arn.clone());
            ctx.insert("aws:PrincipalAccount", account.clone());
            ctx.insert("aws:PrincipalType", "User");
            ctx.insert("aws:userid", user_id.clone());
            ctx.insert("aws:username", user_name.clone());
        }
        Caller::Account { account, principal_arn } => {
            ctx.insert("aws:PrincipalArn", principal_arn.clone());
            ctx.insert("aws:PrincipalAccount", account.clone());
            ctx.insert("aws:PrincipalType", "Account");
            ctx.insert("aws:userid", account.clone());
        }
        Caller::Anonymous => {
            ctx.insert("aws:PrincipalType", "Anonymous");
            ctx.insert("aws:userid", "anonymous");
        }
    }
    ctx
}

/// A statement that matched, and how its principal matched (bucket policies only).
struct Hit {
    effect: Effect,
    via: Option<PrincipalMatch>,
}

/// Whether one statement applies to the request: `Ok` with how its principal matched, or
/// `Err` with the first element that did not.
fn check_statement(
    s: &Statement,
    policy: &Policy,
    in_bucket_policy: bool,
    req: &EvalRequest<'_>,
    ctx: &impl Keys,
) -> Result<Option<PrincipalMatch>, String> {
    let version = policy.effective_version();
    let via = match (&s.principal, in_bucket_policy) {
        (Some(PrincipalElement::Principal(p)), _) => match principal::matches(p, req.caller) {
            Some(m) => Some(m),
            None => return Err(format!("Principal does not name the caller {}", req.caller.arn())),
        },
        (Some(PrincipalElement::NotPrincipal(p)), _) => match principal::not_principal_applies(p, req.caller) {
            Some(unlisted) => Some(PrincipalMatch::Specific(format!("not in NotPrincipal: {unlisted}"))),
            None => return Err(format!("NotPrincipal lists the caller {}", req.caller.arn())),
        },
        (None, true) => return Err("a bucket-policy statement without Principal names no one".to_owned()),
        (None, false) => None,
    };
    match &s.action {
        ActionElement::Action(a) if !a.iter().any(|p| wildcard_match(p, req.action, true)) => {
            return Err(format!("Action {} does not include {}", list(a), req.action));
        }
        ActionElement::NotAction(a) => {
            if let Some(p) = a.iter().find(|p| wildcard_match(p, req.action, true)) {
                return Err(format!("NotAction `{p}` excludes {}", req.action));
            }
        }
        ActionElement::Action(_) => {}
    }
    let resource_matches =
        |r: &String| resolve_pattern(r, ctx, version).is_some_and(|p| p.matches(req.resource, false));
    match &s.resource {
        Some(ResourceElement::Resource(r)) if !r.iter().any(resource_matches) => {
            return Err(format!("Resource {} does not include {}", list(r), req.resource));
        }
        Some(ResourceElement::NotResource(r)) => {
            if let Some(p) = r.iter().find(|r| resource_matches(r)) {
                return Err(format!("NotResource `{p}` excludes {}", req.resource));
            }
        }
        _ => {}
    }
    let outcome = evaluate_all(&s.conditions, ctx, version);
    if !outcome.matched {
        return Err(format!("Condition: {}", outcome.explanation));
    }
    Ok(via)
}

/// Patterns as messages quote them: one in backquotes, several in brackets.
fn list(items: &[String]) -> String {
    match items {
        [one] => format!("`{one}`"),
        many => format!(
            "[{}]",
            many.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn describe_match(via: &Option<PrincipalMatch>) -> String {
    match via {
        None => "matched".to_owned(),
        Some(PrincipalMatch::Everyone) => "matched (Principal \"*\")".to_owned(),
        Some(PrincipalMatch::Account(a)) => format!("matched (Principal names account {a})"),
        Some(PrincipalMatch::Specific(p)) => format!("matched (Principal {p})"),
    }
}

/// Runs every statement of every applicable policy.
fn collect(
    req: &EvalRequest<'_>,
    policies: PolicySet<'_>,
    ctx: &impl Keys,
) -> (Vec<StatementTrace>, Vec<Hit>, Vec<Hit>) {
    let mut trace = Vec::new();
    let mut bucket_hits = Vec::new();
    let mut identity_hits = Vec::new();
    if let Some(p) = policies.bucket {
        for (i, s) in p.statements.iter().enumerate() {
            let result = check_statement(s, p, true, req, ctx);
            trace.push(StatementTrace {
                policy: "bucket policy".to_owned(),
                statement: s.label(i),
                effect: if s.effect == Effect::Allow { "Allow" } else { "Deny" },
                matched: result.is_ok(),
                reason: match &result {
                    Ok(via) => describe_match(via),
                    Err(why) => why.clone(),
                },
            });
            if let Ok(via) = result {
                bucket_hits.push(Hit { effect: s.effect, via });
            }
        }
    }
    // Anonymous callers have no identity policies.
    if !matches!(req.caller, Caller::Anonymous) {
        for (n, p) in policies.identity.unwrap_or_default().iter().enumerate() {
            for (i, s) in p.statements.iter().enumerate() {
                let result = check_statement(s, p, false, req, ctx);
                trace.push(StatementTrace {
                    policy: format!("identity policy {}", n + 1),
                    statement: s.label(i),
                    effect: if s.effect == Effect::Allow { "Allow" } else { "Deny" },
                    matched: result.is_ok(),
                    reason: match &result {
                        Ok(_) => "matched".to_owned(),
                        Err(why) => why.clone(),
                    },
                });
                if result.is_ok() {
                    identity_hits.push(Hit {
                        effect: s.effect,
                        via: None,
                    });
                }
            }
        }
    }
    (trace, bucket_hits, identity_hits)
}

fn answer(decision: Decision, rule: String, trace: Vec<StatementTrace>) -> Evaluation {
    let http = match decision {
        Decision::Allow => HttpAnswer {
            status: 200,
            code: None,
        },
        Decision::Deny => HttpAnswer {
            status: 403,
            code: Some("AccessDenied"),
        },
    };
    Evaluation {
        decision,
        http,
        rule,
        trace,
    }
}

/// The authorization decision alone, without S3's object and bucket-policy answers.
fn authorize(req: &EvalRequest<'_>, policies: PolicySet<'_>, ignore_bucket_allows: bool) -> Evaluation {
    let ctx = WithPrincipal::new(req.caller, req.context);
    let (trace, bucket_hits, identity_hits) = collect(req, policies, &ctx);
    if bucket_hits
        .iter()
        .chain(&identity_hits)
        .any(|h| h.effect == Effect::Deny)
    {
        return answer(Decision::Deny, "an explicit Deny matched".to_owned(), trace);
    }
    let bucket_allows: Vec<&Option<PrincipalMatch>> = if ignore_bucket_allows {
        Vec::new()
    } else {
        bucket_hits
            .iter()
            .filter(|h| h.effect == Effect::Allow)
            .map(|h| &h.via)
            .collect()
    };
    let caller_account = req.caller.account();
    let is_root = matches!(req.caller, Caller::Account { .. });
    let identity_allows = is_root || identity_hits.iter().any(|h| h.effect == Effect::Allow);
    let direct = bucket_allows
        .iter()
        .any(|v| matches!(v, Some(PrincipalMatch::Everyone | PrincipalMatch::Specific(_))));
    let by_account = bucket_allows
        .iter()
        .any(|v| matches!(v, Some(PrincipalMatch::Account(_))));
    let (decision, rule) = match caller_account {
        None => {
            if direct {
                (
                    Decision::Allow,
                    "the bucket policy allows everyone (Principal \"*\")".to_owned(),
                )
            } else {
                (
                    Decision::Deny,
                    "anonymous callers need a bucket-policy Allow for Principal \"*\"".to_owned(),
                )
            }
        }
        Some(account) if account == req.bucket_owner => {
            if identity_allows {
                let why = if is_root {
                    "the caller is the bucket owner's root user".to_owned()
                } else {
                    "same account: the caller's identity policy allows".to_owned()
                };
                (Decision::Allow, why)
            } else if direct {
                (
                    Decision::Allow,
                    "same account: the bucket policy allows the caller".to_owned(),
                )
            } else if by_account {
                (
                    Decision::Deny,
                    "same account: the bucket policy names only the account, which delegates to IAM, and no identity policy allows"
                        .to_owned(),
                )
            } else {
                (
                    Decision::Deny,
                    "same account: no identity or bucket policy allows (implicit deny)".to_owned(),
                )
            }
        }
        Some(account) => match (direct || by_account, identity_allows) {
            (true, true) => (
                Decision::Allow,
                format!(
                    "cross account: the bucket policy allows the caller and account {account}'s identity policy allows"
                ),
            ),
            (false, _) => (
                Decision::Deny,
                format!("cross account: no bucket-policy statement allows the caller from account {account}"),
            ),
            (true, false) => (
                Decision::Deny,
                format!("cross account: the bucket policy allows, but no identity policy of account {account} does"),
            ),
        },
    };
    answer(decision, rule, trace)
}

/// The actions PutBucketPolicy's ownership rules cover.
const BUCKET_POLICY_ACTIONS: [&str; 3] = ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"];

/// Decides a request and the HTTP answer S3 would give.
pub fn evaluate(req: &EvalRequest<'_>, policies: PolicySet<'_>) -> Evaluation {
    let action_is = |a: &str| req.action.eq_ignore_ascii_case(a);
    let owner_root = matches!(req.caller, Caller::Account { account, .. } if account == req.bucket_owner);

    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
    if BUCKET_POLICY_ACTIONS.iter().any(|a| action_is(a)) {
        if owner_root {
            let mut e = authorize(req, policies, false);
            e.decision = Decision::Allow;
            e.http = HttpAnswer {
                status: 200,
                code: None,
            };
            e.rule = "the bucket owner's root user may always manage the bucket policy (lockout protection)".to_owned();
            return e;
        }
        let mut e = authorize(req, policies, false);
        if e.allowed() && req.caller.account() != Some(req.bucket_owner) {
            e.http = HttpAnswer {
                status: 405,
                code: Some("MethodNotAllowed"),
            };
            e.rule = format!(
                "{}: only identities of the bucket owner's account may manage its policy",
                e.rule
            );
        }
        return e;
    }

    let foreign_object = req.object.and_then(|o| {
        let writer_owned = o.object_ownership != ObjectOwnership::BucketOwnerEnforced;
        o.owner_account
            .as_deref()
            .filter(|owner| writer_owned && o.exists && *owner != req.bucket_owner)
    });
    let mut e = match foreign_object {
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html:
        // with ACLs enabled the object's owner, not the bucket policy, governs it.
        Some(owner) => {
            let mut e = authorize(req, policies, true);
            if e.allowed() && req.caller.account() != Some(owner) {
                e.decision = Decision::Deny;
                e.http = HttpAnswer {
                    status: 403,
                    code: Some("AccessDenied"),
                };
                e.rule = format!(
                    "the object is owned by account {owner} (ACLs enabled), so the bucket policy does not cover it"
                );
            }
            e
        }
        None => authorize(req, policies, false),
    };
    if !e.allowed() {
        return e;
    }
    if let Some(o) = req.object {
        if o.exists && o.sse.as_deref() == Some("aws:kms") && !o.caller_has_kms_decrypt {
            e.decision = Decision::Deny;
            e.http = HttpAnswer {
                status: 403,
                code: Some("AccessDenied"),
            };
            e.rule = format!(
                "the object is encrypted with SSE-KMS{} and the caller may not kms:Decrypt",
                o.kms_key_arn.as_deref().map(|k| format!(" ({k})")).unwrap_or_default()
            );
            return e;
        }
        if !o.exists && (action_is("s3:GetObject") || action_is("s3:GetObjectVersion")) {
            // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html: without
            // s3:ListBucket, a missing key is 403, so callers cannot probe for keys.
            let bucket = req
                .resource
                .strip_prefix("arn:aws:s3:::")
                .and_then(|r| r.split('/').next())
                .unwrap_or_default();
            let bucket_arn = format!("arn:aws:s3:::{bucket}");
            let list = EvalRequest {
                action: "s3:ListBucket",
                api: Some("ListObjectsV2"),
                resource: &bucket_arn,
                object: None,
                ..req.clone()
            };
            let can_list = authorize(&list, policies, false).allowed();
            e.http = if can_list {
                let code = if req.api == Some("HeadObject") {
                    "NotFound"
                } else {
                    "NoSuchKey"
                };
                HttpAnswer {
                    status: 404,
                    code: Some(code),
                }
            } else {
                HttpAnswer {
                    status: 403,
                    code: Some("AccessDenied"),
                }
            };
            e.rule = format!(
                "{}; the key does not exist and the caller {} s3:ListBucket on {bucket_arn}",
                e.rule,
                if can_list { "has" } else { "lacks" }
            );
        }
    }
    e
}
