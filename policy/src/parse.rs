//! Reading a policy document and validating it as PutBucketPolicy or IAM does; writing it back as JSON.
//!
//! The checks and their messages follow S3's
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html>); the
//! messages themselves are in [`crate::error`].

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use crate::actions::{self, ResourceType};
use crate::condition::{conditions_to_json, parse_conditions};
use crate::context::Version;
use crate::error::{
    BAD_ACTION, BAD_PRINCIPAL, BAD_RESOURCE, BAD_VERSION, NO_APPLICABLE_RESOURCE, NOT_JSON, PolicyError, err,
};
use crate::model::{
    ActionElement, Effect, Policy, PrincipalElement, PrincipalType, Principals, ResourceElement, Statement,
};
use crate::principal;

/// Which kind of policy a document is, and so which rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind<'a> {
    /// A bucket policy for the named bucket: Principal required, S3 actions only, every
    /// resource in this bucket.
    Bucket(&'a str),
    /// An IAM identity policy: no Principal; any service's actions and resources.
    Identity,
}

/// Parses and validates a policy document given as text, refusing what S3 (for a bucket
/// policy) or IAM (for an identity policy) refuses, with S3's message.
pub fn parse_policy(text: &str, kind: PolicyKind<'_>) -> Result<Policy, PolicyError> {
    if !text.trim_start().starts_with('{') {
        return Err(err(NOT_JSON));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| err(NOT_JSON).because(e.to_string()))?;
    parse_policy_value(&value, kind)
}

/// [`parse_policy`] for a document already read as JSON.
pub fn parse_policy_value(value: &Value, kind: PolicyKind<'_>) -> Result<Policy, PolicyError> {
    let Value::Object(doc) = value else {
        return Err(err(NOT_JSON));
    };
    for key in doc.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            return Err(err(&format!("Unknown field {key}")));
        }
    }
    let version = match doc.get("Version") {
        None => None,
        Some(Value::String(v)) if v == "2012-10-17" => Some(Version::V2012_10_17),
        Some(Value::String(v)) if v == "2008-10-17" => Some(Version::V2008_10_17),
        Some(other) => return Err(err(BAD_VERSION).because(format!("got {other}; use \"2012-10-17\""))),
    };
    let id = match doc.get("Id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(err("Id must be a string")),
    };
    let raw_statements: Vec<&Value> = match doc.get("Statement") {
        None => return Err(err("Missing required field Statement")),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        Some(_) => return Err(err("Statement must be an object or an array of objects")),
    };
    // An empty list is a policy that grants nothing (`policy eval`'s documented example uses one).
    let mut statements = Vec::with_capacity(raw_statements.len());
    let mut sids = HashSet::new();
    for (i, raw) in raw_statements.into_iter().enumerate() {
        let statement = parse_statement(raw, i, kind)?;
        if let Some(sid) = statement.sid.as_deref().filter(|s| !s.is_empty())
            && !sids.insert(sid.to_owned())
        {
            return Err(err("Statement IDs (SID) in a single policy must be unique").at(&statement.label(i), "Sid"));
        }
        statements.push(statement);
    }
    Ok(Policy {
        version,
        id,
        statements,
    })
}

/// A string or a non-empty list of strings.
fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) if !a.is_empty() => a.iter().map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

fn parse_statement(raw: &Value, index: usize, kind: PolicyKind<'_>) -> Result<Statement, PolicyError> {
    let Value::Object(s) = raw else {
        return Err(err("Statement must be an object or an array of objects"));
    };
    let sid = match s.get("Sid") {
        None => None,
        Some(Value::String(sid)) => Some(sid.clone()),
        Some(_) => return Err(err("Sid must be a string")),
    };
    let label = match &sid {
        Some(sid) if !sid.is_empty() => format!("`{sid}`"),
        _ => format!("#{}", index + 1),
    };
    for key in s.keys() {
        let known = matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        );
        if !known {
            return Err(err(&format!("Unknown field {key}")).at(&label, "Statement"));
        }
    }
    let effect = match s.get("Effect") {
        None => return Err(err("Missing required field Effect").at(&label, "Effect")),
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(other) => {
            let shown = other.as_str().map_or_else(|| other.to_string(), str::to_owned);
            return Err(err(&format!("Invalid effect: {shown}")).at(&label, "Effect"));
        }
    };

    let principal = parse_principal_element(s, &label, kind)?;
    let action = match (s.get("Action"), s.get("NotAction")) {
        (Some(_), Some(_)) => return Err(err("Statement cannot have both Action and NotAction").at(&label, "Action")),
        (Some(v), None) => ActionElement::Action(strings(v).ok_or_else(|| {
            err(BAD_ACTION)
                .at(&label, "Action")
                .because("expected a string or a list")
        })?),
        (None, Some(v)) => ActionElement::NotAction(strings(v).ok_or_else(|| {
            err(BAD_ACTION)
                .at(&label, "NotAction")
                .because("expected a string or a list")
        })?),
        (None, None) => return Err(err("Missing required field Action").at(&label, "Action")),
    };
    let resource = match (s.get("Resource"), s.get("NotResource")) {
        (Some(_), Some(_)) => {
            return Err(err("Statement cannot have both Resource and NotResource").at(&label, "Resource"));
        }
        (Some(v), None) => Some(ResourceElement::Resource(strings(v).ok_or_else(|| {
            err(BAD_RESOURCE)
                .at(&label, "Resource")
                .because("expected a string or a list")
        })?)),
        (None, Some(v)) => Some(ResourceElement::NotResource(strings(v).ok_or_else(|| {
            err(BAD_RESOURCE)
                .at(&label, "NotResource")
                .because("expected a string or a list")
        })?)),
        (None, None) => None,
    };
    let conditions = match s.get("Condition") {
        None => Vec::new(),
        Some(v) => parse_conditions(v).map_err(|e| err(&e.message).at(&label, "Condition"))?,
    };
    let statement = Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    };
    match kind {
        PolicyKind::Bucket(bucket) => validate_for_bucket(&statement, &label, bucket)?,
        PolicyKind::Identity if statement.resource.is_none() => {
            return Err(err("Missing required field Resource").at(&label, "Resource"));
        }
        PolicyKind::Identity => {}
    }
    Ok(statement)
}

fn parse_principal_element(
    s: &Map<String, Value>,
    label: &str,
    kind: PolicyKind<'_>,
) -> Result<Option<PrincipalElement>, PolicyError> {
    let (field, value) = match (s.get("Principal"), s.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(err(BAD_PRINCIPAL)
                .at(label, "Principal")
                .because("both Principal and NotPrincipal"));
        }
        (Some(v), None) => ("Principal", v),
        (None, Some(v)) => ("NotPrincipal", v),
        (None, None) => {
            return match kind {
                PolicyKind::Bucket(_) => Err(err("Missing required field Principal").at(label, "Principal")),
                PolicyKind::Identity => Ok(None),
            };
        }
    };
    if kind == PolicyKind::Identity {
        return Err(err("Policy document should not specify a principal.").at(label, field));
    }
    let principals = match value {
        Value::String(s) if s == "*" => Principals::Everyone,
        Value::Object(map) if !map.is_empty() => {
            let mut out = BTreeMap::new();
            for (k, v) in map {
                let kind = PrincipalType::parse(k).ok_or_else(|| {
                    err(BAD_PRINCIPAL)
                        .at(label, field)
                        .because(format!("unknown principal type `{k}`"))
                })?;
                let values = strings(v).ok_or_else(|| {
                    err(BAD_PRINCIPAL)
                        .at(label, field)
                        .because("expected a string or a list")
                })?;
                for value in &values {
                    principal::validate_value(kind, value)
                        .map_err(|why| err(BAD_PRINCIPAL).at(label, field).because(format!("`{value}`: {why}")))?;
                }
                out.insert(kind, values);
            }
            Principals::Typed(out)
        }
        other => {
            return Err(err(BAD_PRINCIPAL)
                .at(label, field)
                .because(format!("expected \"*\" or {{\"AWS\": ...}}, got {other}")));
        }
    };
    Ok(Some(if field == "Principal" {
        PrincipalElement::Principal(principals)
    } else {
        PrincipalElement::NotPrincipal(principals)
    }))
}

/// The resource types an S3 resource pattern can name in `bucket`: the bucket ARN,
/// object ARNs, or both (`arn:aws:s3:::b*`); empty when it names nothing in the bucket.
fn resource_types(pattern: &str, bucket: &str) -> Vec<ResourceType> {
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let mut types = Vec::new();
    if crate::pattern::wildcard_match(pattern, &bucket_arn, false) {
        types.push(ResourceType::Bucket);
    }
    if prefix_can_match(pattern, &format!("{bucket_arn}/")) {
        types.push(ResourceType::Object);
    }
    types
}

/// Whether `pattern` (`*` any run, `?` one character) can match some string that
/// starts with `prefix`: it can consume all of `prefix`, whatever remains of it.
fn prefix_can_match(pattern: &str, prefix: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = prefix.chars().collect();
    // reach[j]: the pattern position i can stand at after consuming t[..j].
    let mut states = vec![0usize];
    for &c in &t {
        let mut next = Vec::new();
        for &i in &states {
            let mut i = i;
            // A star can absorb c and stay; skipping it is handled by the closure below.
            loop {
                match p.get(i) {
                    Some('*') => {
                        next.push(i);
                        i += 1;
                    }
                    Some('?') => {
                        next.push(i + 1);
                        break;
                    }
                    Some(&pc) if pc == c => {
                        next.push(i + 1);
                        break;
                    }
                    _ => break,
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        if next.is_empty() {
            return false;
        }
        states = next;
    }
    true
}

fn validate_for_bucket(s: &Statement, label: &str, bucket: &str) -> Result<(), PolicyError> {
    let resources = match &s.resource {
        None => return Err(err("Missing required field Resource").at(label, "Resource")),
        Some(ResourceElement::Resource(r) | ResourceElement::NotResource(r)) => r,
    };
    let mut covered: HashSet<ResourceType> = HashSet::new();
    for r in resources {
        if !r.starts_with("arn:aws:s3:::") {
            return Err(err(BAD_RESOURCE)
                .at(label, "Resource")
                .because(format!("`{r}` is not an S3 ARN (arn:aws:s3:::{bucket}/...)")));
        }
        let types = resource_types(r, bucket);
        if types.is_empty() {
            return Err(err(BAD_RESOURCE)
                .at(label, "Resource")
                .because(format!("`{r}` is not in bucket {bucket}")));
        }
        covered.extend(types);
    }
    let actions = match &s.action {
        ActionElement::Action(a) => a,
        // NotAction names what is excluded; any resource can be right for the rest.
        ActionElement::NotAction(a) => {
            for action in a {
                if actions::expand(action).is_empty() {
                    return Err(err(BAD_ACTION)
                        .at(label, "NotAction")
                        .because(format!("`{action}` is not an S3 action")));
                }
            }
            return Ok(());
        }
    };
    for action in actions {
        let expanded = actions::expand(action);
        if expanded.is_empty() {
            return Err(err(BAD_ACTION)
                .at(label, "Action")
                .because(format!("`{action}` is not an S3 action")));
        }
        let applies = matches!(s.resource, Some(ResourceElement::NotResource(_)))
            || expanded.iter().any(|(_, t)| covered.contains(t));
        if !applies {
            let needs = match expanded[0].1 {
                ResourceType::Bucket => format!("arn:aws:s3:::{bucket}"),
                ResourceType::Object => format!("arn:aws:s3:::{bucket}/*"),
                ResourceType::Account => "no bucket resource (an account-level action)".to_owned(),
            };
            return Err(err(NO_APPLICABLE_RESOURCE).at(label, "Action").because(format!(
                "`{action}` is checked against {needs}, which the statement's Resource does not include"
            )));
        }
    }
    Ok(())
}

/// The policy as JSON, in a canonical form: `parse(to_json(p)) == p`.
pub fn to_json(policy: &Policy) -> Value {
    let mut doc = Map::new();
    match policy.version {
        Some(Version::V2012_10_17) => {
            doc.insert("Version".into(), "2012-10-17".into());
        }
        Some(Version::V2008_10_17) => {
            doc.insert("Version".into(), "2008-10-17".into());
        }
        None => {}
    }
    if let Some(id) = &policy.id {
        doc.insert("Id".into(), id.clone().into());
    }
    let statements: Vec<Value> = policy.statements.iter().map(statement_json).collect();
    doc.insert("Statement".into(), Value::Array(statements));
    Value::Object(doc)
}

fn one_or_many(v: &[String]) -> Value {
    match v {
        [one] => Value::String(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::String).collect()),
    }
}

fn statement_json(s: &Statement) -> Value {
    let mut m = Map::new();
    if let Some(sid) = &s.sid {
        m.insert("Sid".into(), sid.clone().into());
    }
    m.insert("Effect".into(), s.effect.to_string().into());
    if let Some(p) = &s.principal {
        let (key, principals) = match p {
            PrincipalElement::Principal(p) => ("Principal", p),
            PrincipalElement::NotPrincipal(p) => ("NotPrincipal", p),
        };
        let value = match principals {
            Principals::Everyone => Value::String("*".into()),
            Principals::Typed(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.as_str().to_owned(), one_or_many(v)))
                    .collect(),
            ),
        };
        m.insert(key.into(), value);
    }
    match &s.action {
        ActionElement::Action(a) => m.insert("Action".into(), one_or_many(a)),
        ActionElement::NotAction(a) => m.insert("NotAction".into(), one_or_many(a)),
    };
    match &s.resource {
        Some(ResourceElement::Resource(r)) => {
            m.insert("Resource".into(), one_or_many(r));
        }
        Some(ResourceElement::NotResource(r)) => {
            m.insert("NotResource".into(), one_or_many(r));
        }
        None => {}
    }
    if !s.conditions.is_empty() {
        m.insert("Condition".into(), conditions_to_json(&s.conditions));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket_policy(statement: &str) -> Result<Policy, PolicyError> {
        parse_policy(
            &format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#),
            PolicyKind::Bucket("b"),
        )
    }

    #[test]
    fn prefix_matching() {
        assert!(prefix_can_match("arn:aws:s3:::b/*", "arn:aws:s3:::b/"));
        assert!(prefix_can_match("arn:aws:s3:::b*", "arn:aws:s3:::b/"));
        assert!(prefix_can_match("arn:aws:s3:::?/x", "arn:aws:s3:::b/"));
        assert!(!prefix_can_match("arn:aws:s3:::b", "arn:aws:s3:::b/"));
        assert!(!prefix_can_match("arn:aws:s3:::c/*", "arn:aws:s3:::b/"));
        assert!(prefix_can_match("*", "anything"));
    }

    #[test]
    fn list_bucket_on_objects_only_is_refused() {
        let e = bucket_policy(
            r#"{"Sid":"List","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/*"}"#,
        )
        .unwrap_err();
        assert_eq!(e.message, NO_APPLICABLE_RESOURCE);
        assert_eq!(e.statement.as_deref(), Some("`List`"));
        assert!(e.to_string().contains("arn:aws:s3:::b"), "{e}");
    }

    #[test]
    fn get_object_on_the_bucket_only_is_refused_but_with_objects_is_fine() {
        let e =
            bucket_policy(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}"#)
                .unwrap_err();
        assert_eq!(e.message, NO_APPLICABLE_RESOURCE);
        assert_eq!(e.statement.as_deref(), Some("#1"));
        bucket_policy(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}"#,
        )
        .unwrap();
    }

    #[test]
    fn other_bucket_and_non_s3_resources_are_invalid() {
        for r in [
            r#""arn:aws:s3:::other/*""#,
            r#""*""#,
            r#""arn:aws:iam::111122223333:root""#,
        ] {
            let e = bucket_policy(&format!(
                r#"{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":{r}}}"#
            ))
            .unwrap_err();
            assert_eq!(e.message, BAD_RESOURCE, "{r}");
        }
    }

    #[test]
    fn principal_rules() {
        let e =
            bucket_policy(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#).unwrap_err();
        assert_eq!(e.message, "Missing required field Principal");
        for p in [
            r#""arn:aws:iam::111122223333:root""#,
            r#"{"AWS":"arn:aws:iam::111122223333:role/*"}"#,
            r#"{"Bogus":"x"}"#,
        ] {
            let e = bucket_policy(&format!(
                r#"{{"Effect":"Allow","Principal":{p},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#
            ))
            .unwrap_err();
            assert_eq!(e.message, BAD_PRINCIPAL, "{p}");
        }
    }

    #[test]
    fn action_effect_and_version_messages() {
        let e = bucket_policy(
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObjects","Resource":"arn:aws:s3:::b/*"}"#,
        )
        .unwrap_err();
        assert_eq!(e.message, BAD_ACTION);
        let e = bucket_policy(
            r#"{"Effect":"Allows","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
        )
        .unwrap_err();
        assert_eq!(e.message, "Invalid effect: Allows");
        let e = parse_policy(r#"{"Version":"2012-10-18","Statement":[]}"#, PolicyKind::Bucket("b")).unwrap_err();
        assert_eq!(e.message, BAD_VERSION);
        assert_eq!(
            parse_policy("not json", PolicyKind::Bucket("b")).unwrap_err().message,
            NOT_JSON
        );
    }

    #[test]
    fn identity_policies_take_no_principal_and_any_service() {
        let p = parse_policy(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject","kms:Decrypt"],"Resource":"*"}}"#,
            PolicyKind::Identity,
        )
        .unwrap();
        assert_eq!(p.statements.len(), 1);
        let e = parse_policy(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
            PolicyKind::Identity,
        )
        .unwrap_err();
        assert_eq!(e.message, "Policy document should not specify a principal.");
    }
}
