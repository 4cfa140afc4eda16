//! `s3-harness policy eval | generate | check`: decide one request as AWS does, print
//! the generated bucket policy, check a pasted one.

use std::collections::BTreeMap;

use anyhow::Context as _;
use s3_connector::bucket_policy::check::{ConnectionNeeds, Outcome, check_connection_policy};
use s3_policy::iam::Caller;
use s3_policy::{
    Context, EvalRequest, ObjectFacts, Policy, PolicyError, PolicyKind, PolicySet, evaluate, parse_policy_value,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// The input of `policy eval`; fields not listed are ignored.
#[derive(Debug, Deserialize)]
pub struct EvalInput {
    #[serde(default)]
    pub bucket_policy: Option<Value>,
    #[serde(default)]
    pub identity_policy: Option<Value>,
    pub caller: Caller,
    pub bucket_owner_account: String,
    pub action: String,
    #[serde(default)]
    pub api: Option<String>,
    pub resource: String,
    #[serde(default)]
    pub context: BTreeMap<String, Value>,
    /// `exists` defaults to true.
    #[serde(default)]
    pub object: Option<ObjectFacts>,
}

/// Why `policy eval` could not decide.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("the input is not valid JSON for policy eval: {0}")]
    Input(#[from] serde_json::Error),
    #[error("{0}")]
    Field(String),
    /// The bucket policy is one S3 would refuse to save.
    #[error("MalformedPolicy: {0}")]
    MalformedPolicy(PolicyError),
}

impl EvalError {
    /// The JSON printed for this error: S3's code and message.
    pub fn to_json(&self) -> Value {
        match self {
            Self::MalformedPolicy(e) => json!({"error": {"code": e.code, "message": e.to_string()}}),
            other => json!({"error": {"code": "InvalidInput", "message": other.to_string()}}),
        }
    }
}

fn context_value(key: &str, v: &Value) -> Result<Vec<String>, EvalError> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(EvalError::Field(format!(
            "context key {key}: {other} is not a string, number or boolean"
        ))),
    };
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        single => Ok(vec![one(single)?]),
    }
}

/// Decides one request; the JSON printed is documented in docs/cli.md.
pub fn eval(input_text: &str) -> Result<Value, EvalError> {
    let input: EvalInput = serde_json::from_str(input_text)?;
    let bucket = input
        .resource
        .strip_prefix("arn:aws:s3:::")
        .map(|r| r.split('/').next().unwrap_or_default().to_owned())
        .ok_or_else(|| EvalError::Field(format!("resource `{}` is not an S3 ARN", input.resource)))?;
    let bucket_policy: Option<Policy> = match &input.bucket_policy {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_policy_value(v, PolicyKind::Bucket(&bucket)).map_err(EvalError::MalformedPolicy)?),
    };
    let identity: Option<Vec<Policy>> = match &input.identity_policy {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .map(|v| parse_policy_value(v, PolicyKind::Identity))
                .collect::<Result<_, _>>()
                .map_err(|e| EvalError::Field(format!("identity_policy: {e}")))?,
        ),
        Some(v) => Some(vec![
            parse_policy_value(v, PolicyKind::Identity)
                .map_err(|e| EvalError::Field(format!("identity_policy: {e}")))?,
        ]),
    };
    let mut ctx = Context::new();
    for (k, v) in &input.context {
        ctx.insert_all(k.clone(), context_value(k, v)?);
    }
    let object = input.object;
    let req = EvalRequest {
        caller: &input.caller,
        action: &input.action,
        api: input.api.as_deref(),
        resource: &input.resource,
        context: &ctx,
        bucket_owner: &input.bucket_owner_account,
        object: object.as_ref(),
    };
    let e = evaluate(
        &req,
        PolicySet {
            bucket: bucket_policy.as_ref(),
            identity: identity.as_deref(),
        },
    );
    Ok(serde_json::to_value(&e).unwrap_or(Value::Null))
}

/// The findings of `policy check` as lines for people, and whether all needs are met.
pub fn check(policy_text: &str, needs: &ConnectionNeeds<'_>) -> (String, bool) {
    let findings = check_connection_policy(policy_text, needs);
    let ok = findings.iter().all(|f| f.outcome == Outcome::Met);
    let mut out = String::new();
    for f in &findings {
        let mark = if f.outcome == Outcome::Met { "ok   " } else { "error" };
        out.push_str(&format!("{mark} {}: {}\n", f.need, f.message));
    }
    (out, ok)
}

pub(super) fn run(cmd: super::PolicyCommand) -> anyhow::Result<()> {
    match cmd {
        super::PolicyCommand::Eval { file } => {
            let file = match file {
                Some(f) => f,
                None if std::io::IsTerminal::is_terminal(&std::io::stdin()) => anyhow::bail!(
                    "policy eval reads a request as JSON: give a FILE, or `-` and pipe it in (the format is in docs/cli.md)"
                ),
                None => "-".to_owned(),
            };
            let input = read_input(&file)?;
            match eval(&input) {
                Ok(v) => {
                    println!("{v}");
                    Ok(())
                }
                Err(e) => {
                    println!("{}", e.to_json());
                    anyhow::bail!("{e}")
                }
            }
        }
        super::PolicyCommand::Generate {
            who: super::Grant { bucket, account, role },
            prefix,
        } => {
            s3_connector::names::validate_bucket_name(&bucket).map_err(|e| anyhow::anyhow!("--bucket: {e}"))?;
            s3_connector::names::validate_account_id(&account).map_err(|e| anyhow::anyhow!("--account: {e}"))?;
            s3_harness::scenario::names::validate_role_name(&role).map_err(|e| anyhow::anyhow!("--role: {e}"))?;
            let p = match prefix.as_deref().map(|p| p.trim_start_matches('/')) {
                None | Some("") => s3_connector::bucket_policy::generated_policy(&bucket, &account, &role),
                // A schema prefix names a folder: `data` must not also grant `database/`.
                Some(prefix) => {
                    let folder = if prefix.ends_with('/') {
                        prefix.to_owned()
                    } else {
                        format!("{prefix}/")
                    };
                    s3_connector::bucket_policy::generated_policy_for_prefix(&bucket, &account, &role, &folder)
                }
            };
            println!("{}", serde_json::to_string_pretty(&p)?);
            Ok(())
        }
        super::PolicyCommand::Check {
            who: super::Grant { bucket, account, role },
            prefix,
            policy,
        } => {
            let text = read_input(&policy)?;
            let needs = s3_connector::bucket_policy::check::ConnectionNeeds {
                bucket: &bucket,
                account: &account,
                role: &role,
                prefix: &prefix,
            };
            let (report, ok) = check(&text, &needs);
            print!("{report}");
            if ok {
                Ok(())
            } else {
                anyhow::bail!("the policy does not give the connection what it needs")
            }
        }
    }
}

fn read_input(file: &str) -> anyhow::Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading standard input")?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {file}"))
    }
}
