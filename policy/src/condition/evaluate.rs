//! Evaluating conditions against a request [`Context`], with an explanation of each outcome.
//!
//! "Operators page" below is
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>,
//! "multi-value page"
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html>.

use std::net::IpAddr;

use ipnet::IpNet;

use super::value::{
    arn_pattern_segments, arn_segments, decode_base64, in_range, parse_bool, parse_cidr, parse_date, parse_ip,
    parse_number,
};
use super::{BaseOperator, Category, Condition, SetQualifier};
#[cfg(test)]
use crate::context::Context;
use crate::context::{Keys, Version};
use crate::pattern::{Pattern, str_eq};
use crate::variables::{resolve_literal, resolve_pattern};

/// Whether a condition (or a statement's conditions) holds, and why, in words that name
/// the key, the request values, the operator and the policy values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionOutcome {
    /// Whether the condition holds.
    pub matched: bool,
    /// Why, for a person.
    pub explanation: String,
}

/// All conditions of a statement: they must all hold (AND across operators and keys:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html>).
/// The explanation is the first failing condition's; when all hold, all explanations
/// joined by `; ` (or "no conditions").
pub fn evaluate_all(conds: &[Condition], ctx: &(impl Keys + ?Sized), version: Version) -> ConditionOutcome {
    let mut passed = Vec::with_capacity(conds.len());
    for c in conds {
        let outcome = evaluate(c, ctx, version);
        if !outcome.matched {
            return outcome;
        }
        passed.push(outcome.explanation);
    }
    ConditionOutcome {
        matched: true,
        explanation: if passed.is_empty() {
            "no conditions".to_owned()
        } else {
            passed.join("; ")
        },
    }
}

/// Evaluates one condition against the request.
///
/// When the key is absent from the request, or present with no values (both count as
/// "absent" below; an empty value set is what the multi-value page calls "an empty data
/// set"):
/// - `...IfExists` is true (operators page, "...IfExists condition operators");
/// - without a set qualifier, a positive operator is false and a negated one true ("If the
///   key that you specify in a policy condition is not present in the request context, the
///   values do not match ... If the policy condition requires that the key is not matched,
///   such as StringNotLike or ArnNotLike, and the right key is not present, the condition is
///   true", operators page);
/// - `ForAllValues` is true and `ForAnyValue` false (multi-value page: "If the key values in
///   the request resolve to an empty data set ... ForAllValues returns true, and ...
///   ForAnyValue returns false");
/// - `Null` with `true` holds, with `false` does not (operators page, "Condition operator to
///   check existence of condition keys").
///
/// With values, each request value is tested against the policy values: it satisfies a
/// positive operator if it matches at least one of them (OR), a negated operator if it
/// matches none (NOR) — so `ForAllValues:StringNotEquals` holds iff no request value is in
/// the list. `ForAnyValue` needs one satisfying request value, `ForAllValues` all of them.
/// Without a qualifier, several request values are treated like `ForAnyValue` (decided: AWS
/// says multivalued keys need a set operator and documents nothing else; "true if any
/// request value satisfies" keeps a single-valued key's behaviour and keeps a negated
/// operator the exact complement of its positive one whenever the key has one value).
///
/// Per type: a request value that cannot be read as the operator's type (not a number, a
/// date, base64, an IP address, an ARN) matches no policy value, so it fails a positive
/// operator and satisfies a negated one (decided, so that `XNotY` is always `not XY` for a
/// present single-valued key; the docs are silent). A policy value whose variable has no
/// value matches nothing.
pub fn evaluate(cond: &Condition, ctx: &(impl Keys + ?Sized), version: Version) -> ConditionOutcome {
    let op = cond.operator;
    let key = cond.key.as_str();
    let raw = ctx.values(key);
    let present = raw.filter(|v| !v.is_empty());
    let absent_words = if raw.is_some() { "has no values" } else { "is absent" };

    if op.base == BaseOperator::Null {
        return evaluate_null(cond, present.is_some(), absent_words);
    }

    let policy = prepare(cond, ctx, version);
    let shown = show_policy_values(&policy);

    let Some(values) = present else {
        let (matched, why) = match op.qualifier {
            _ if op.if_exists => (true, "IfExists holds when the key is absent"),
            None if op.is_negated() => (true, "a negated operator holds when the key is absent"),
            None => (false, "a positive operator needs the key"),
            Some(SetQualifier::ForAllValues) => (true, "ForAllValues holds for an absent or empty key"),
            Some(SetQualifier::ForAnyValue) => (false, "ForAnyValue needs at least one value"),
        };
        return ConditionOutcome {
            matched,
            explanation: format!("{key} {absent_words}: {op} {shown} is {matched} ({why})"),
        };
    };

    let tests: Vec<ValueTest> = values.iter().map(|v| test_value(op.base, &policy, v)).collect();
    let all_mode = op.qualifier == Some(SetQualifier::ForAllValues);
    let matched = if all_mode {
        tests.iter().all(|t| t.satisfied)
    } else {
        tests.iter().any(|t| t.satisfied)
    };

    let subject = match values {
        [one] => format!("{key} = {one}"),
        many => format!("{key} = [{}]", many.join(", ")),
    };
    let verb = if matched { "matched" } else { "did not match" };
    // Say which request value decided the outcome.
    let why = match (all_mode, matched) {
        (false, true) => tests.iter().find(|t| t.satisfied).map(|t| t.detail.clone()),
        (true, false) => tests.iter().find(|t| !t.satisfied).map(|t| t.detail.clone()),
        (true, true) if tests.len() > 1 => Some("every value satisfies it".to_owned()),
        _ => Some(tests.iter().map(|t| t.detail.as_str()).collect::<Vec<_>>().join("; ")),
    };
    let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
    ConditionOutcome {
        matched,
        explanation: format!("{subject} {verb} {op} {shown}{why}"),
    }
}

fn evaluate_null(cond: &Condition, present: bool, absent_words: &str) -> ConditionOutcome {
    // "true (the key doesn't exist — it is null) or false (the key exists and its value is not null)".
    let matched = cond.values.iter().any(|v| parse_bool(v) == Some(!present));
    let state = if present { "is present" } else { absent_words };
    ConditionOutcome {
        matched,
        explanation: format!(
            "{} {state}: {} [{}] is {matched}",
            cond.key,
            cond.operator,
            cond.values.join(", ")
        ),
    }
}

/// A policy value ready for comparison.
struct PolicyValue<'a> {
    raw: &'a str,
    /// The value after variable substitution, when that changed it.
    resolved: Option<String>,
    kind: Prepared,
}

enum Prepared {
    /// A variable in it has no value: matches nothing.
    NoValue,
    /// Not usable for this operator (only for conditions built without `validate`): matches nothing.
    Invalid(&'static str),
    Text(String),
    Like(Pattern),
    Number(f64),
    Instant(i128),
    Bytes(Vec<u8>),
    Cidr(IpNet),
    /// The six segment patterns of an ARN.
    Arn(Vec<Pattern>),
}

fn prepare<'a>(cond: &'a Condition, ctx: &(impl Keys + ?Sized), version: Version) -> Vec<PolicyValue<'a>> {
    let base = cond.operator.base.positive();
    cond.values
        .iter()
        .map(|raw| {
            let raw = raw.as_str();
            let mut resolved = None;
            // Variables are substituted for the String, ARN and Boolean operators only: the
            // operators page allows them there and forbids them with Numeric, Date, Binary, IP
            // address and Null
            // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>).
            // The variables page lists Boolean among the forbidden ones
            // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>);
            // we follow the operators page, the more specific one. A `Bool` value without `${`
            // is unaffected either way.
            let kind = match base.category() {
                Category::String | Category::Boolean if base != BaseOperator::StringLike => {
                    match resolve_literal(raw, ctx, version) {
                        Some(s) => {
                            if s != raw {
                                resolved = Some(s.clone());
                            }
                            Prepared::Text(s)
                        }
                        None => Prepared::NoValue,
                    }
                }
                Category::String | Category::Arn => match resolve_pattern(raw, ctx, version) {
                    Some(p) => {
                        let shown = p.to_string();
                        if shown != raw {
                            resolved = Some(shown);
                        }
                        if base.category() == Category::Arn {
                            // ARN operators compare segment by segment; a value with fewer
                            // than six segments is not an ARN and matches nothing.
                            arn_pattern_segments(&p).map_or(Prepared::Invalid("not an ARN"), Prepared::Arn)
                        } else {
                            Prepared::Like(p)
                        }
                    }
                    None => Prepared::NoValue,
                },
                Category::Numeric => parse_number(raw).map_or(Prepared::Invalid("not a number"), Prepared::Number),
                Category::Date => parse_date(raw).map_or(Prepared::Invalid("not a date"), Prepared::Instant),
                Category::Binary => decode_base64(raw).map_or(Prepared::Invalid("not base64"), Prepared::Bytes),
                Category::IpAddress => parse_cidr(raw).map_or(Prepared::Invalid("not a CIDR range"), Prepared::Cidr),
                Category::Boolean | Category::Null => Prepared::Invalid("not comparable"),
            };
            PolicyValue { raw, resolved, kind }
        })
        .collect()
}

fn show_policy_values(policy: &[PolicyValue<'_>]) -> String {
    let shown: Vec<String> = policy
        .iter()
        .map(|p| match (&p.kind, &p.resolved) {
            (Prepared::NoValue, _) => format!("{} (variable has no value)", p.raw),
            (Prepared::Invalid(why), _) => format!("{} ({why})", p.raw),
            (_, Some(r)) => format!("{} (= {r})", p.raw),
            (_, None) => p.raw.to_owned(),
        })
        .collect();
    format!("[{}]", shown.join(", "))
}

struct ValueTest {
    satisfied: bool,
    detail: String,
}

/// Whether one request value satisfies the operator (OR over policy values for a
/// positive operator, NOR for a negated one), with a few words on why.
fn test_value(base: BaseOperator, policy: &[PolicyValue<'_>], value: &str) -> ValueTest {
    let found = find_match(base.positive(), policy, value);
    let negated = base.is_negated();
    match found {
        Ok(Some(i)) => ValueTest {
            satisfied: !negated,
            detail: format!("{value} matches {}", policy[i].raw),
        },
        Ok(None) => ValueTest {
            satisfied: negated,
            detail: format!("{value} matches none of the values"),
        },
        Err(why) => ValueTest {
            satisfied: negated,
            detail: format!("{value} is {why}, so it matches none of the values"),
        },
    }
}

/// The index of the first policy value the request value matches under a positive
/// operator; `Err` when the request value is not of the operator's type.
fn find_match(base: BaseOperator, policy: &[PolicyValue<'_>], value: &str) -> Result<Option<usize>, &'static str> {
    use BaseOperator::*;
    use std::cmp::Ordering;

    // Read the request value once, as the operator's type.
    enum Req<'v> {
        Text(&'v str),
        Number(f64),
        Instant(i128),
        Bytes(Vec<u8>),
        Ip(IpAddr),
        Arn(Vec<&'v str>),
    }
    let req = match base.category() {
        Category::String | Category::Boolean | Category::Null => Req::Text(value),
        Category::Numeric => Req::Number(parse_number(value).ok_or("not a number")?),
        Category::Date => Req::Instant(parse_date(value).ok_or("not a date")?),
        Category::Binary => Req::Bytes(decode_base64(value).ok_or("not base64")?),
        Category::IpAddress => Req::Ip(parse_ip(value).ok_or("not an IP address")?),
        Category::Arn => Req::Arn(arn_segments(value).ok_or("not an ARN")?),
    };
    let ordering_ok = |ord: Option<Ordering>| {
        let Some(ord) = ord else { return false };
        match base {
            NumericEquals | DateEquals => ord == Ordering::Equal,
            NumericLessThan | DateLessThan => ord == Ordering::Less,
            NumericLessThanEquals | DateLessThanEquals => ord != Ordering::Greater,
            NumericGreaterThan | DateGreaterThan => ord == Ordering::Greater,
            NumericGreaterThanEquals | DateGreaterThanEquals => ord != Ordering::Less,
            _ => false,
        }
    };
    Ok(policy.iter().position(|p| match (&req, &p.kind) {
        (Req::Text(v), Prepared::Text(s)) => match base {
            StringEquals => v == s,
            // "true"/"false" compare without regard to case, as IgnoreCase does.
            StringEqualsIgnoreCase | Bool => str_eq(v, s, true),
            _ => false,
        },
        (Req::Text(v), Prepared::Like(pattern)) => pattern.matches(v, false),
        // The request value is compared to the policy value: `NumericLessThan 10` holds for 5.
        (Req::Number(v), Prepared::Number(n)) => ordering_ok(v.partial_cmp(n)),
        (Req::Instant(v), Prepared::Instant(t)) => ordering_ok(Some(v.cmp(t))),
        (Req::Bytes(v), Prepared::Bytes(b)) => v == b,
        (Req::Ip(ip), Prepared::Cidr(range)) => in_range(range, *ip),
        // Each of the six segments separately, wildcards within a segment only, case-sensitive;
        // ArnEquals and ArnLike "behave identically" (operators page, ARN section).
        (Req::Arn(segments), Prepared::Arn(patterns)) => patterns
            .iter()
            .zip(segments)
            .all(|(pattern, segment)| pattern.matches(segment, false)),
        _ => false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::parse_conditions;
    use crate::condition::test_support::*;
    use serde_json::json;

    #[test]
    fn string_operators() {
        let c = one("aws:PrincipalTag/team", "Blue");
        assert!(eval("StringEquals", "aws:principaltag/TEAM", &["Blue"], &c));
        assert!(!eval("StringEquals", "aws:PrincipalTag/team", &["blue"], &c));
        assert!(eval("StringEqualsIgnoreCase", "aws:PrincipalTag/team", &["blue"], &c));
        assert!(!eval(
            "StringNotEqualsIgnoreCase",
            "aws:PrincipalTag/team",
            &["BLUE"],
            &c
        ));
        assert!(eval("StringNotEquals", "aws:PrincipalTag/team", &["blue"], &c));
        assert!(eval("StringLike", "aws:PrincipalTag/team", &["B*"], &c));
        assert!(!eval("StringLike", "aws:PrincipalTag/team", &["b*"], &c)); // StringLike is case-sensitive
        assert!(eval("StringLike", "aws:PrincipalTag/team", &["Bl?e"], &c));
        assert!(!eval("StringNotLike", "aws:PrincipalTag/team", &["x", "*u*"], &c));
        assert!(eval("StringNotLike", "aws:PrincipalTag/team", &["x", "y"], &c));
    }

    #[test]
    fn stringlike_empty_prefix_from_the_docs() {
        // Operators page, String section: the home-directory example.
        let values = ["", "home/", "home/${aws:username}/"];
        let c = Context::new()
            .with("aws:username", "alice")
            .with("s3:prefix", "home/alice/");
        assert!(eval("StringLike", "s3:prefix", &values, &c));
        let c = Context::new().with("aws:username", "alice").with("s3:prefix", "");
        assert!(eval("StringLike", "s3:prefix", &values, &c));
        let c = Context::new()
            .with("aws:username", "alice")
            .with("s3:prefix", "home/bob/");
        assert!(!eval("StringLike", "s3:prefix", &values, &c));
    }

    #[test]
    fn numeric_operators() {
        let c = one("s3:max-keys", "10");
        assert!(eval("NumericEquals", "s3:max-keys", &["10.0"], &c));
        assert!(eval("NumericLessThanEquals", "s3:max-keys", &["10"], &c));
        assert!(!eval("NumericLessThan", "s3:max-keys", &["10"], &c));
        assert!(eval("NumericLessThan", "s3:max-keys", &["10.5"], &c));
        assert!(eval("NumericGreaterThan", "s3:max-keys", &["-3"], &c));
        assert!(eval("NumericGreaterThanEquals", "s3:max-keys", &["10"], &c));
        assert!(!eval("NumericGreaterThan", "s3:max-keys", &["10"], &c));
        assert!(eval("NumericNotEquals", "s3:max-keys", &["9", "11"], &c));
        assert!(!eval("NumericNotEquals", "s3:max-keys", &["9", "10"], &c));
        // An unreadable request value matches nothing: positive false, negated true.
        let bad = one("s3:max-keys", "ten");
        assert!(!eval("NumericEquals", "s3:max-keys", &["10"], &bad));
        assert!(eval("NumericNotEquals", "s3:max-keys", &["10"], &bad));
        assert!(!eval("NumericLessThan", "s3:max-keys", &["10"], &bad));
    }

    #[test]
    fn date_operators_in_both_formats() {
        let iso = one("aws:CurrentTime", "2025-06-01T12:00:00Z");
        let epoch = one("aws:EpochTime", "1748779200"); // the same instant
        for (key, c) in [("aws:CurrentTime", &iso), ("aws:EpochTime", &epoch)] {
            assert!(eval("DateEquals", key, &["2025-06-01T14:00:00+02:00"], c));
            assert!(eval("DateEquals", key, &["1748779200"], c));
            assert!(eval("DateGreaterThan", key, &["2025-01-01"], c));
            assert!(eval("DateGreaterThan", key, &["1735689600"], c));
            assert!(!eval("DateLessThan", key, &["2025-01-01T00:00:00Z"], c));
            assert!(eval("DateLessThanEquals", key, &["2025-06-01T12:00:00Z"], c));
            assert!(eval("DateGreaterThanEquals", key, &["2025-06-01T12:00:00.000Z"], c));
            assert!(!eval("DateLessThan", key, &["1748779200"], c));
            assert!(eval("DateNotEquals", key, &["2025-06-01"], c));
            assert!(!eval("DateNotEquals", key, &["2025-06-01", "1748779200"], c));
        }
        assert!(!eval(
            "DateEquals",
            "aws:CurrentTime",
            &["2025-06-01"],
            &one("aws:CurrentTime", "soon")
        ));
    }

    #[test]
    fn bool_operator() {
        let c = one("aws:SecureTransport", "TRUE");
        assert!(eval("Bool", "aws:SecureTransport", &["true"], &c));
        assert!(!eval("Bool", "aws:SecureTransport", &["false"], &c));
        let c = one("aws:SecureTransport", "false");
        assert!(eval("Bool", "aws:SecureTransport", &["False"], &c));
        assert!(!eval("Bool", "aws:SecureTransport", &["true"], &Context::new()));
        assert!(eval("BoolIfExists", "aws:SecureTransport", &["true"], &Context::new()));
    }

    #[test]
    fn binary_equals() {
        let c = one("k", "QmluYXJ5VmFsdWVJbkJhc2U2NA==");
        assert!(eval("BinaryEquals", "k", &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="], &c));
        assert!(eval("BinaryEquals", "k", &["QmluYXJ5VmFsdWVJbkJhc2U2NA"], &c)); // same bytes, no padding
        assert!(!eval("BinaryEquals", "k", &["QQ=="], &c));
        assert!(!eval("BinaryEquals", "k", &["QQ=="], &one("k", "not base64!")));
        assert_eq!(
            decode_base64("QmluYXJ5VmFsdWVJbkJhc2U2NA==").unwrap(),
            b"BinaryValueInBase64"
        );
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("QUI=").unwrap(), b"AB");
        assert_eq!(decode_base64("QUJD").unwrap(), b"ABC");
        assert_eq!(decode_base64("+/+/").unwrap(), [0xfb, 0xff, 0xbf]);
        assert_eq!(decode_base64("Q"), None);
        assert_eq!(decode_base64("QQ="), None);
        assert_eq!(decode_base64("Q==="), None);
        assert_eq!(decode_base64("QQ==QQ=="), None);
    }

    #[test]
    fn ip_operators_v4_and_v6() {
        let v4 = one("aws:SourceIp", "203.0.113.7");
        assert!(eval("IpAddress", "aws:SourceIp", &["203.0.113.0/24"], &v4));
        assert!(eval("IpAddress", "aws:SourceIp", &["203.0.113.7"], &v4)); // bare address = /32
        assert!(!eval("IpAddress", "aws:SourceIp", &["203.0.113.8"], &v4));
        assert!(eval("IpAddress", "aws:SourceIp", &["0.0.0.0/0"], &v4));
        assert!(eval("IpAddress", "aws:SourceIp", &["203.0.113.200/24"], &v4)); // host bits ignored
        assert!(!eval(
            "NotIpAddress",
            "aws:SourceIp",
            &["10.0.0.0/8", "203.0.0.0/16"],
            &v4
        ));
        assert!(eval(
            "NotIpAddress",
            "aws:SourceIp",
            &["10.0.0.0/8", "192.168.0.0/16"],
            &v4
        ));

        let v6 = one("aws:SourceIp", "2001:db8:1234:5678::1");
        // Operators page, IP section: mixed IPv4 and IPv6 list, upper-case hex.
        let mixed = ["203.0.113.0/24", "2001:DB8:1234:5678::/64"];
        assert!(eval("IpAddress", "aws:SourceIp", &mixed, &v6));
        assert!(eval("IpAddress", "aws:SourceIp", &mixed, &v4));
        assert!(!eval("IpAddress", "aws:SourceIp", &["2001:db8:1234:5679::/64"], &v6));
        assert!(eval("IpAddress", "aws:SourceIp", &["2001:db8:1234:5678::1"], &v6)); // /128
        assert!(eval("IpAddress", "aws:SourceIp", &["::/0"], &v6));
        assert!(!eval("IpAddress", "aws:SourceIp", &["::/0"], &v4)); // families don't mix
        // An IPv4-mapped IPv6 request address counts as IPv4.
        assert!(eval(
            "IpAddress",
            "aws:SourceIp",
            &["203.0.113.0/24"],
            &one("aws:SourceIp", "::ffff:203.0.113.7")
        ));
        // Not an address: no match.
        assert!(!eval(
            "IpAddress",
            "aws:SourceIp",
            &["0.0.0.0/0"],
            &one("aws:SourceIp", "localhost")
        ));
        assert!(eval(
            "NotIpAddress",
            "aws:SourceIp",
            &["0.0.0.0/0"],
            &one("aws:SourceIp", "localhost")
        ));
    }

    #[test]
    fn arn_segment_matching() {
        // Operators page, ARN section: StringLike matches, ArnLike does not.
        let pattern = ["arn:aws:someservice:*:111122223333:finance/*"];
        let tricky = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        let c = one("aws:SourceArn", tricky);
        assert!(eval("StringLike", "aws:SourceArn", &pattern, &c));
        assert!(!eval("ArnLike", "aws:SourceArn", &pattern, &c));
        assert!(!eval("ArnEquals", "aws:SourceArn", &pattern, &c));
        assert!(eval("ArnNotLike", "aws:SourceArn", &pattern, &c));

        let c = one(
            "aws:SourceArn",
            "arn:aws:someservice:us-east-2:111122223333:finance/a:b",
        );
        assert!(eval("ArnLike", "aws:SourceArn", &pattern, &c));
        // ArnEquals behaves like ArnLike, wildcards included.
        assert!(eval("ArnEquals", "aws:SourceArn", &pattern, &c));
        assert!(!eval("ArnNotEquals", "aws:SourceArn", &pattern, &c));
        assert!(eval(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:someservice:us-east-?:*:*"],
            &c
        ));
        // Case-sensitive.
        assert!(!eval("ArnLike", "aws:SourceArn", &["arn:aws:SomeService:*:*:*"], &c));
        // A request value that is not an ARN matches nothing; so does a policy value that isn't one.
        assert!(!eval("ArnLike", "aws:SourceArn", &["*"], &c));
        assert!(!eval(
            "ArnLike",
            "aws:SourceArn",
            &["*:*:*:*:*:*"],
            &one("aws:SourceArn", "a:b:c:d:e:f")
        ));
        assert!(!eval(
            "ArnLike",
            "aws:SourceArn",
            &["arn:*:*:*:*:*"],
            &one("aws:SourceArn", "arn:aws:s3")
        ));
        assert!(eval(
            "ArnLike",
            "aws:SourceArn",
            &["arn:*:*:*:*:*"],
            &one("aws:SourceArn", "arn:aws:s3:::")
        ));
    }

    #[test]
    fn arn_with_variables() {
        let c = Context::new()
            .with("aws:PrincipalAccount", "111122223333")
            .with("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic");
        assert!(eval(
            "ArnEquals",
            "aws:SourceArn",
            &["arn:aws:sns:*:${aws:PrincipalAccount}:*"],
            &c
        ));
        // A variable whose value has colons still splits into segments after substitution.
        let c = c.with("aws:PrincipalArn", "arn:aws:sns:us-east-1:111122223333:topic");
        assert!(eval("ArnLike", "aws:SourceArn", &["${aws:PrincipalArn}"], &c));
        assert!(!eval("ArnLike", "aws:SourceArn", &["${aws:Missing}"], &c));
        assert!(eval("ArnNotLike", "aws:SourceArn", &["${aws:Missing}"], &c));
    }

    #[test]
    fn null_operator() {
        let present = one("aws:TokenIssueTime", "2025-01-01T00:00:00Z");
        let absent = Context::new();
        assert!(eval("Null", "aws:TokenIssueTime", &["true"], &absent));
        assert!(!eval("Null", "aws:TokenIssueTime", &["true"], &present));
        assert!(eval("Null", "aws:TokenIssueTime", &["false"], &present));
        assert!(!eval("Null", "aws:TokenIssueTime", &["false"], &absent));
        assert!(eval("Null", "aws:TokenIssueTime", &["TRUE"], &absent));
        let mut empty = Context::new();
        empty.insert_all("aws:TagKeys", vec![]);
        assert!(eval("Null", "aws:TagKeys", &["true"], &empty));
        assert!(eval("ForAllValues:Null", "aws:TagKeys", &["true"], &empty));
    }

    #[test]
    fn missing_keys() {
        let c = Context::new();
        for op in [
            "StringEquals",
            "StringLike",
            "NumericEquals",
            "DateEquals",
            "Bool",
            "BinaryEquals",
            "IpAddress",
        ] {
            assert!(!eval(op, "k", &["1"], &c), "{op}");
            assert!(eval(&format!("{op}IfExists"), "k", &["1"], &c), "{op}IfExists");
        }
        assert!(!eval("ArnLike", "k", &["arn:*:*:*:*:*"], &c));
        for op in [
            "StringNotEquals",
            "StringNotEqualsIgnoreCase",
            "StringNotLike",
            "NumericNotEquals",
            "DateNotEquals",
            "NotIpAddress",
            "ArnNotEquals",
            "ArnNotLike",
        ] {
            assert!(eval(op, "k", &["1"], &c), "{op}");
            assert!(eval(&format!("{op}IfExists"), "k", &["1"], &c), "{op}IfExists");
        }
        // IfExists does not change anything when the key is there.
        let present = one("k", "2");
        assert!(!eval("StringEqualsIfExists", "k", &["1"], &present));
        assert!(eval("StringEqualsIfExists", "k", &["2"], &present));
    }

    #[test]
    fn negated_operators_are_nor_over_values() {
        let c = one("aws:PrincipalTag/role", "audit");
        assert!(!eval(
            "StringNotEquals",
            "aws:PrincipalTag/role",
            &["audit", "security"],
            &c
        ));
        assert!(!eval(
            "StringNotEquals",
            "aws:PrincipalTag/role",
            &["security", "audit"],
            &c
        ));
        assert!(eval(
            "StringNotEquals",
            "aws:PrincipalTag/role",
            &["dev", "security"],
            &c
        ));
        assert!(eval("StringEquals", "aws:PrincipalTag/role", &["dev", "audit"], &c));
    }

    #[test]
    fn set_qualifiers() {
        let mut c = Context::new();
        c.insert_all("aws:TagKeys", vec!["PostDateTime".into(), "UserName".into()]);
        let allowed = ["PostDateTime", "Message", "Tags"];
        // Multi-value page, evaluation-logic table: UserName matches nothing.
        assert!(!eval("ForAllValues:StringLike", "aws:TagKeys", &allowed, &c));
        assert!(eval("ForAnyValue:StringLike", "aws:TagKeys", &allowed, &c));
        assert!(eval(
            "ForAllValues:StringLike",
            "aws:TagKeys",
            &["PostDateTime", "User*"],
            &c
        ));
        // Negation per value.
        assert!(eval(
            "ForAllValues:StringNotEquals",
            "aws:TagKeys",
            &["ID", "Owner"],
            &c
        ));
        assert!(!eval(
            "ForAllValues:StringNotEquals",
            "aws:TagKeys",
            &["ID", "UserName"],
            &c
        ));
        assert!(eval("ForAnyValue:StringNotEquals", "aws:TagKeys", &["UserName"], &c));
        assert!(!eval(
            "ForAnyValue:StringNotEquals",
            "aws:TagKeys",
            &["UserName", "PostDateTime"],
            &c
        ));

        // Absent and empty keys.
        let absent = Context::new();
        let mut empty = Context::new();
        empty.insert_all("aws:TagKeys", vec![]);
        for ctx in [&absent, &empty] {
            assert!(eval("ForAllValues:StringEquals", "aws:TagKeys", &["a"], ctx));
            assert!(eval("ForAllValues:StringNotEquals", "aws:TagKeys", &["a"], ctx));
            assert!(!eval("ForAnyValue:StringEquals", "aws:TagKeys", &["a"], ctx));
            assert!(!eval("ForAnyValue:StringNotEquals", "aws:TagKeys", &["a"], ctx));
            assert!(eval("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", &["a"], ctx));
            // Without a qualifier an empty key is as good as absent.
            assert!(!eval("StringEquals", "aws:TagKeys", &["a"], ctx));
            assert!(eval("StringNotEquals", "aws:TagKeys", &["a"], ctx));
        }
        // Without a qualifier, several request values: true if one satisfies.
        assert!(eval("StringEquals", "aws:TagKeys", &["UserName"], &c));
        assert!(!eval("StringEquals", "aws:TagKeys", &["ID"], &c));
        assert!(eval("StringNotEquals", "aws:TagKeys", &["UserName"], &c));
        assert!(!eval(
            "StringNotEquals",
            "aws:TagKeys",
            &["UserName", "PostDateTime"],
            &c
        ));
    }

    #[test]
    fn variables_in_values() {
        let c = Context::new()
            .with("aws:username", "alice")
            .with("s3:prefix", "home/alice/docs");
        assert!(eval("StringLike", "s3:prefix", &["home/${aws:username}/*"], &c));
        assert!(eval("StringEquals", "s3:prefix", &["home/${aws:username}/docs"], &c));
        assert!(!eval("StringEquals", "s3:prefix", &["home/${aws:username}/*"], &c));
        // No value for the variable: that policy value matches nothing.
        assert!(!eval("StringLike", "s3:prefix", &["home/${aws:userid}/*"], &c));
        assert!(eval("StringNotLike", "s3:prefix", &["home/${aws:userid}/*"], &c));
        assert!(eval("StringLike", "s3:prefix", &["home/${aws:userid}/*", "home/*"], &c));
        // Default value.
        assert!(eval("StringLike", "s3:prefix", &["home/${aws:userid, 'alice'}/*"], &c));
        // Version 2008-10-17: literal text.
        let literal = one("s3:prefix", "home/${aws:username}/x");
        let v08 = |op: &str, v: &str, ctx: &Context| {
            evaluate(&cond(op, "s3:prefix", &[v]), ctx, Version::V2008_10_17).matched
        };
        assert!(v08("StringLike", "home/${aws:username}/*", &literal));
        assert!(!v08("StringLike", "home/${aws:username}/*", &c));
        // Numeric values take no variables.
        let n = Context::new().with("s3:max-keys", "5").with("limit", "10");
        assert!(!eval("NumericLessThan", "s3:max-keys", &["${limit}"], &n));
    }

    #[test]
    fn explanations_name_key_values_and_operator() {
        let c = one("aws:SourceIp", "10.0.0.1");
        let out = evaluate(&cond("IpAddress", "aws:SourceIp", &["192.168.0.0/16"]), &c, V12);
        assert_eq!(
            out.explanation,
            "aws:SourceIp = 10.0.0.1 did not match IpAddress [192.168.0.0/16] (10.0.0.1 matches none of the values)"
        );
        let out = evaluate(&cond("StringLike", "s3:prefix", &["home/*"]), &Context::new(), V12);
        assert_eq!(
            out.explanation,
            "s3:prefix is absent: StringLike [home/*] is false (a positive operator needs the key)"
        );
        let c = Context::new()
            .with("aws:username", "bob")
            .with("s3:prefix", "home/bob/");
        let out = evaluate(
            &cond("StringLike", "s3:prefix", &["home/${aws:username}/*", "${aws:userid}"]),
            &c,
            V12,
        );
        assert!(out.matched);
        assert_eq!(
            out.explanation,
            "s3:prefix = home/bob/ matched StringLike [home/${aws:username}/* (= home/bob/*), ${aws:userid} (variable has no value)] (home/bob/ matches home/${aws:username}/*)"
        );
        let out = evaluate(&cond("StringNotEquals", "aws:username", &["alice", "bob"]), &c, V12);
        assert_eq!(
            out.explanation,
            "aws:username = bob did not match StringNotEquals [alice, bob] (bob matches bob)"
        );
        let out = evaluate(&cond("Null", "aws:TokenIssueTime", &["true"]), &c, V12);
        assert_eq!(out.explanation, "aws:TokenIssueTime is absent: Null [true] is true");
        let out = evaluate(
            &cond("NumericLessThan", "s3:max-keys", &["10"]),
            &one("s3:max-keys", "x"),
            V12,
        );
        assert!(out.explanation.contains("x is not a number"), "{}", out.explanation);
    }

    #[test]
    fn evaluate_all_is_and_and_reports_first_failure() {
        let c = Context::new()
            .with("aws:SecureTransport", "true")
            .with("s3:prefix", "a");
        let conds = parse_conditions(&json!({
            "Bool": {"aws:SecureTransport": "true"},
            "StringEquals": {"s3:prefix": "b"},
        }))
        .unwrap();
        let out = evaluate_all(&conds, &c, V12);
        assert!(!out.matched);
        assert!(
            out.explanation
                .starts_with("s3:prefix = a did not match StringEquals [b]"),
            "{}",
            out.explanation
        );
        let ok = evaluate_all(&conds[..1], &c, V12);
        assert!(ok.matched);
        assert!(
            ok.explanation
                .contains("aws:SecureTransport = true matched Bool [true]")
        );
        assert_eq!(evaluate_all(&[], &c, V12).explanation, "no conditions");
    }
}
