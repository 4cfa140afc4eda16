//! The `Condition` element through the public API: the examples of the AWS pages
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>) and
//! properties: JSON round trip, negated = not positive, no panics.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use s3_policy::condition::{
    BaseOperator, Category, Condition, Operator, SetQualifier, conditions_to_json, evaluate, evaluate_all,
    parse_conditions,
};
use s3_policy::{Context, Version};
use serde_json::{Value, json};

const V12: Version = Version::V2012_10_17;

fn holds(condition: Value, ctx: &Context) -> bool {
    let conds = parse_conditions(&condition).expect("valid condition");
    evaluate_all(&conds, ctx, V12).matched
}

// --- Examples from the operators page ---------------------------------------------------

#[test]
fn condition_operators_string_principal_tag_example() {
    let cond = json!({"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}});
    assert!(holds(
        cond.clone(),
        &Context::new().with("aws:PrincipalTag/job-category", "iamuser-admin")
    ));
    // "If a user without the tag attempts to view or edit an access key, the condition returns false".
    assert!(!holds(cond, &Context::new()));
}

#[test]
fn condition_operators_stringlike_home_directory_example() {
    let cond = json!({"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}});
    let ctx = |prefix: &str| Context::new().with("aws:username", "David").with("s3:prefix", prefix);
    assert!(holds(cond.clone(), &ctx("")));
    assert!(holds(cond.clone(), &ctx("home/")));
    assert!(holds(cond.clone(), &ctx("home/David/")));
    assert!(!holds(cond.clone(), &ctx("home/Adele/")));
    assert!(!holds(cond, &ctx("home/David/private/")));
}

#[test]
fn condition_operators_numeric_max_keys_example() {
    let cond = json!({"NumericLessThanEquals": {"s3:max-keys": "10"}});
    assert!(holds(cond.clone(), &Context::new().with("s3:max-keys", "10")));
    assert!(holds(cond.clone(), &Context::new().with("s3:max-keys", "1")));
    assert!(!holds(cond.clone(), &Context::new().with("s3:max-keys", "11")));
    assert!(!holds(cond, &Context::new()));
}

#[test]
fn condition_operators_date_token_issue_time_example() {
    let cond = json!({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}});
    assert!(holds(
        cond.clone(),
        &Context::new().with("aws:TokenIssueTime", "2020-06-01T00:00:00Z")
    ));
    assert!(holds(
        cond.clone(),
        &Context::new().with("aws:TokenIssueTime", "1590969600")
    )); // 2020-06-01, epoch
    assert!(!holds(
        cond.clone(),
        &Context::new().with("aws:TokenIssueTime", "2020-01-01T00:00:01Z")
    ));
    // Long-term credentials: the key is absent and the condition is false.
    assert!(!holds(cond, &Context::new()));
}

#[test]
fn condition_operators_bool_secure_transport_example() {
    let cond = json!({"Bool": {"aws:SecureTransport": "false"}});
    assert!(holds(
        cond.clone(),
        &Context::new().with("aws:SecureTransport", "false")
    ));
    assert!(!holds(cond, &Context::new().with("aws:SecureTransport", "true")));
}

#[test]
fn condition_operators_binary_equals_example() {
    let cond = json!({"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}});
    assert!(holds(
        cond.clone(),
        &Context::new().with("key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==")
    ));
    assert!(!holds(cond.clone(), &Context::new().with("key", "QmluYXJ5")));
    assert!(!holds(cond, &Context::new()));
}

#[test]
fn condition_operators_ip_address_examples() {
    let cond = json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}});
    assert!(holds(cond.clone(), &Context::new().with("aws:SourceIp", "203.0.113.0")));
    assert!(holds(
        cond.clone(),
        &Context::new().with("aws:SourceIp", "203.0.113.255")
    ));
    assert!(!holds(
        cond.clone(),
        &Context::new().with("aws:SourceIp", "203.0.114.0")
    ));
    // Through a VPC endpoint the key is absent: "the condition returns false".
    assert!(!holds(cond, &Context::new()));

    let mixed = json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}});
    assert!(holds(
        mixed.clone(),
        &Context::new().with("aws:SourceIp", "2001:db8:1234:5678:abcd::9")
    ));
    assert!(!holds(
        mixed,
        &Context::new().with("aws:SourceIp", "2001:db8:1234:5679::9")
    ));
}

#[test]
fn condition_operators_ip_address_invalid_cidr_is_a_parse_error() {
    assert!(parse_conditions(&json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/40"}})).is_err());
    assert!(parse_conditions(&json!({"NotIpAddress": {"aws:SourceIp": "203.0.113"}})).is_err());
}

#[test]
fn condition_operators_arn_like_versus_string_like_example() {
    let pattern = "arn:aws:someservice:*:111122223333:finance/*";
    let value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
    let ctx = Context::new().with("aws:SourceArn", value);
    assert!(holds(json!({"StringLike": {"aws:SourceArn": pattern}}), &ctx));
    assert!(!holds(json!({"ArnLike": {"aws:SourceArn": pattern}}), &ctx));
    assert!(!holds(json!({"ArnEquals": {"aws:SourceArn": pattern}}), &ctx));
}

#[test]
fn condition_operators_arn_equals_sns_example() {
    let cond = json!({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:REGION:123456789012:TOPIC-ID"}});
    assert!(holds(
        cond.clone(),
        &Context::new().with("aws:SourceArn", "arn:aws:sns:REGION:123456789012:TOPIC-ID")
    ));
    // "If an IAM user attempts to perform this operation directly, the condition returns false".
    assert!(!holds(cond, &Context::new()));
}

#[test]
fn condition_operators_if_exists_instance_type_example() {
    let cond = json!({"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}});
    assert!(holds(
        cond.clone(),
        &Context::new().with("ec2:InstanceType", "t2.micro")
    ));
    assert!(!holds(
        cond.clone(),
        &Context::new().with("ec2:InstanceType", "c5.large")
    ));
    // Resources without the key (images, key pairs...) pass.
    assert!(holds(cond, &Context::new()));
    // The plain operator fails on them: "THISPOLICYDOESNOTWORK".
    assert!(!holds(
        json!({"StringLike": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}),
        &Context::new()
    ));
}

#[test]
fn condition_operators_null_token_issue_time_example() {
    let cond = json!({"Null": {"aws:TokenIssueTime": "true"}});
    assert!(holds(cond.clone(), &Context::new()));
    assert!(!holds(
        cond,
        &Context::new().with("aws:TokenIssueTime", "2020-01-01T00:00:00Z")
    ));
    assert!(parse_conditions(&json!({"NullIfExists": {"aws:TokenIssueTime": "true"}})).is_err());
    assert!(parse_conditions(&json!({"Null": {"aws:TokenIssueTime": "maybe"}})).is_err());
}

#[test]
fn condition_operators_negated_operator_true_when_key_absent() {
    // "If the policy condition requires that the key is not matched, such as StringNotLike or
    // ArnNotLike, and the right key is not present, the condition is true."
    assert!(holds(
        json!({"StringNotLike": {"s3:prefix": "secret/*"}}),
        &Context::new()
    ));
    assert!(holds(
        json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}),
        &Context::new()
    ));
}

#[test]
fn condition_operator_names_are_case_sensitive() {
    let err = parse_conditions(&json!({"stringequals": {"k": "v"}})).unwrap_err();
    assert!(err.message.contains("StringEquals"), "{err}");
}

#[test]
fn condition_key_names_are_case_insensitive() {
    assert!(holds(
        json!({"StringEquals": {"AWS:USERNAME": "alice"}}),
        &Context::new().with("aws:username", "alice")
    ));
}

// --- Examples from the multi-value page -------------------------------------------------

#[test]
fn multi_value_conditions_negated_operator_is_nor() {
    let cond = json!({"StringNotEquals": {"aws:PrincipalTag/role": ["audit", "security"]}});
    assert!(!holds(
        cond.clone(),
        &Context::new().with("aws:PrincipalTag/role", "audit")
    ));
    assert!(!holds(
        cond.clone(),
        &Context::new().with("aws:PrincipalTag/role", "security")
    ));
    assert!(holds(cond, &Context::new().with("aws:PrincipalTag/role", "dev")));
}

#[test]
fn multi_value_conditions_and_across_operators_and_keys() {
    let cond = json!({
        "StringEquals": {"aws:PrincipalTag/team": "blue", "aws:username": "alice"},
        "Bool": {"aws:SecureTransport": "true"},
    });
    let full = Context::new()
        .with("aws:PrincipalTag/team", "blue")
        .with("aws:username", "alice")
        .with("aws:SecureTransport", "true");
    assert!(holds(cond.clone(), &full));
    let mut partial = full.clone();
    partial.insert("aws:username", "bob");
    assert!(!holds(cond.clone(), &partial));
    let mut insecure = full;
    insecure.insert("aws:SecureTransport", "false");
    let out = evaluate_all(&parse_conditions(&cond).unwrap(), &insecure, V12);
    assert!(!out.matched);
    assert!(
        out.explanation
            .contains("aws:SecureTransport = false did not match Bool [true]"),
        "{}",
        out.explanation
    );
}

fn attributes(values: &[&str]) -> Context {
    let mut c = Context::new();
    c.insert_all(
        "dynamodb:requestedAttributes",
        values.iter().map(|s| s.to_string()).collect(),
    );
    c
}

#[test]
fn multi_value_conditions_for_all_values_example() {
    let cond =
        json!({"ForAllValues:StringLike": {"dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"]}});
    assert!(holds(cond.clone(), &attributes(&["PostDateTime", "Message"])));
    assert!(!holds(cond.clone(), &attributes(&["PostDateTime", "UserName"])));
    assert!(!holds(cond.clone(), &attributes(&["ID"])));
    // "If the key values in the request resolve to an empty data set ... ForAllValues returns true".
    assert!(holds(cond.clone(), &attributes(&[])));
    assert!(holds(cond, &Context::new()));
}

#[test]
fn multi_value_conditions_for_any_value_example() {
    let cond = json!({"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}});
    assert!(holds(
        cond.clone(),
        &attributes(&["UserName", "Message", "PostDateTime"])
    ));
    assert!(!holds(cond.clone(), &attributes(&["UserName"])));
    // "... and a condition operator modified by ForAnyValue returns false".
    assert!(!holds(cond.clone(), &attributes(&[])));
    assert!(!holds(cond, &Context::new()));
}

#[test]
fn multi_value_conditions_negated_base_inside_set_qualifiers() {
    let forbidden = ["ID", "UserName"];
    let all = json!({"ForAllValues:StringNotEquals": {"dynamodb:requestedAttributes": forbidden}});
    assert!(holds(all.clone(), &attributes(&["Message", "Tags"])));
    assert!(!holds(all.clone(), &attributes(&["Message", "ID"])));
    assert!(holds(all, &Context::new()));
    let any = json!({"ForAnyValue:StringNotEquals": {"dynamodb:requestedAttributes": forbidden}});
    assert!(holds(any.clone(), &attributes(&["Message", "ID"])));
    assert!(!holds(any.clone(), &attributes(&["ID", "UserName"])));
    assert!(!holds(any.clone(), &Context::new()));
    let any_if_exists = json!({"ForAnyValue:StringNotEqualsIfExists": {"dynamodb:requestedAttributes": forbidden}});
    assert!(holds(any_if_exists, &Context::new()));
}

// --- Examples from the variables page ---------------------------------------------------

#[test]
fn policy_variables_sns_endpoint_example() {
    let cond = json!({
        "StringLike": {"sns:endpoint": "https://example.com/${aws:username}/"},
        "StringEquals": {"sns:Protocol": "https"},
    });
    let ctx = |user: &str, endpoint: &str| {
        Context::new()
            .with("aws:username", user)
            .with("sns:endpoint", endpoint)
            .with("sns:Protocol", "https")
    };
    assert!(holds(cond.clone(), &ctx("David", "https://example.com/David/")));
    assert!(!holds(cond.clone(), &ctx("David", "https://example.com/Adele/")));
    // No aws:username (e.g. a role session): the variable has no value and matches nothing.
    let mut anonymous = ctx("x", "https://example.com/x/");
    anonymous.remove("aws:username");
    assert!(!holds(cond, &anonymous));
}

#[test]
fn policy_variables_default_value_example() {
    let cond = json!({"StringEquals": {"aws:Resource": "arn:aws:s3:::/bucket/${aws:userid, 'anonymous'}"}});
    assert!(holds(
        cond.clone(),
        &Context::new().with("aws:Resource", "arn:aws:s3:::/bucket/anonymous")
    ));
    let known = Context::new()
        .with("aws:userid", "AIDAEXAMPLE")
        .with("aws:Resource", "arn:aws:s3:::/bucket/AIDAEXAMPLE");
    assert!(holds(cond, &known));
}

#[test]
fn policy_variables_special_characters() {
    let cond = json!({"StringLike": {"s3:prefix": "literal${*}star/*"}});
    assert!(holds(cond.clone(), &Context::new().with("s3:prefix", "literal*star/x")));
    assert!(!holds(cond, &Context::new().with("s3:prefix", "literalXstar/x")));
}

#[test]
fn policy_variables_are_text_before_version_2012() {
    let conds = parse_conditions(&json!({"StringEquals": {"s3:prefix": "${aws:username}"}})).unwrap();
    let ctx = Context::new().with("aws:username", "alice").with("s3:prefix", "alice");
    assert!(evaluate_all(&conds, &ctx, V12).matched);
    assert!(!evaluate_all(&conds, &ctx, Version::V2008_10_17).matched);
    let literal = Context::new().with("s3:prefix", "${aws:username}");
    assert!(evaluate_all(&conds, &literal, Version::V2008_10_17).matched);
}

// --- Properties -------------------------------------------------------------------------

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn operator() -> impl Strategy<Value = Operator> {
    (
        prop::option::of(prop::sample::select(vec![
            SetQualifier::ForAnyValue,
            SetQualifier::ForAllValues,
        ])),
        prop::sample::select(BaseOperator::ALL.to_vec()),
        any::<bool>(),
    )
        .prop_map(|(qualifier, base, if_exists)| Operator {
            qualifier,
            base,
            if_exists: if_exists && base != BaseOperator::Null,
        })
}

/// A value of the operator's type (what `parse_conditions` accepts), sometimes with a variable.
fn typed_value(category: Category) -> BoxedStrategy<String> {
    match category {
        Category::String => prop_oneof![
            "[a-cA-C*?/:]{0,6}",
            Just("${aws:username}".to_owned()),
            Just("home/${aws:username, 'x'}/*".to_owned()),
            Just("${*}${?}".to_owned()),
        ]
        .boxed(),
        Category::Arn => prop_oneof![
            Just("arn:aws:s3:::bucket/*".to_owned()),
            Just("arn:aws:iam::*:role/${aws:username}".to_owned()),
            "arn:aws:[a-c*?]{0,3}:[a-c*]{0,2}:[0-9*]{0,3}:[a-c*:/]{0,5}",
            "[a-c*:]{0,8}",
        ]
        .boxed(),
        Category::Numeric => prop_oneof![
            any::<i32>().prop_map(|n| n.to_string()),
            (-1000.0f64..1000.0).prop_map(|n| format!("{n:.3}")),
        ]
        .boxed(),
        Category::Date => prop_oneof![
            (0i64..4_000_000_000).prop_map(|n| n.to_string()),
            (1990u32..2100, 1u32..13, 1u32..29, 0u32..24, 0u32..60, 0u32..60)
                .prop_map(|(y, mo, d, h, mi, s)| format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")),
            (1990u32..2100, 1u32..13, 1u32..29).prop_map(|(y, mo, d)| format!("{y:04}-{mo:02}-{d:02}")),
        ]
        .boxed(),
        Category::Boolean => prop::sample::select(vec!["true", "false", "TRUE", "False"])
            .prop_map(String::from)
            .boxed(),
        Category::Binary => prop::collection::vec(any::<u8>(), 0..6)
            .prop_map(|b| base64(&b))
            .boxed(),
        Category::IpAddress => prop_oneof![
            (any::<u32>(), 0u8..=32).prop_map(|(a, p)| format!("{}/{p}", Ipv4Addr::from(a))),
            any::<u32>().prop_map(|a| Ipv4Addr::from(a).to_string()),
            (any::<u128>(), 0u8..=128).prop_map(|(a, p)| format!("{}/{p}", Ipv6Addr::from(a))),
        ]
        .boxed(),
        Category::Null => prop::sample::select(vec!["true", "false"])
            .prop_map(String::from)
            .boxed(),
    }
}

/// A request value: usually of the operator's type, sometimes anything.
fn request_value(category: Category) -> BoxedStrategy<String> {
    let typed = match category {
        Category::IpAddress => prop_oneof![
            any::<u32>().prop_map(|a| Ipv4Addr::from(a).to_string()),
            any::<u128>().prop_map(|a| Ipv6Addr::from(a).to_string()),
            Just("10.0.0.1".to_owned()),
        ]
        .boxed(),
        Category::Arn => prop_oneof![
            Just("arn:aws:s3:::bucket/key".to_owned()),
            Just("arn:aws:iam::123:role/alice".to_owned()),
            "arn:aws:[a-c]{0,3}:[a-c]{0,2}:[0-9]{0,3}:[a-c:/]{0,5}",
        ]
        .boxed(),
        other => typed_value(other),
    };
    prop_oneof![4 => typed, 1 => ".{0,8}"].boxed()
}

fn condition() -> impl Strategy<Value = Condition> {
    let keys = vec![
        "aws:username",
        "s3:prefix",
        "aws:SourceIp",
        "aws:TagKeys",
        "AWS:UserName",
        "aws:PrincipalTag/a b",
    ];
    (operator(), prop::sample::select(keys)).prop_flat_map(|(op, key)| {
        prop::collection::vec(typed_value(op.base.category()), 1..4)
            .prop_map(move |values| Condition::new(op, key, values))
    })
}

fn sorted(mut conds: Vec<Condition>) -> Vec<Condition> {
    conds.sort_by_key(|c| (c.operator.to_string(), c.key.clone()));
    conds
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// parse -> to_json -> parse is the identity, and to_json is canonical.
    #[test]
    fn json_round_trip(conds in prop::collection::vec(condition(), 0..6)) {
        // A JSON object cannot hold one key twice under an operator: keep the last.
        let unique: BTreeMap<(String, String), Condition> =
            conds.into_iter().map(|c| ((c.operator.to_string(), c.key.clone()), c)).collect();
        let conds: Vec<Condition> = unique.into_values().collect();
        for c in &conds {
            prop_assert!(c.validate().is_ok(), "generated {:?} is invalid", c);
        }
        let json = conditions_to_json(&conds);
        let parsed = parse_conditions(&json).map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert_eq!(sorted(parsed.clone()), sorted(conds));
        let again = conditions_to_json(&parsed);
        prop_assert_eq!(&again, &json);
        prop_assert_eq!(parse_conditions(&again).map_err(|e| TestCaseError::fail(e.message))?, parsed);
    }

    /// With the key present and single-valued, a negated operator is exactly `not` its positive.
    #[test]
    fn negated_is_not_positive_for_a_single_value(
        (positive, negated, values, request) in negation_case(),
        qualifier in prop::option::of(prop::sample::select(vec![SetQualifier::ForAnyValue, SetQualifier::ForAllValues])),
        if_exists in any::<bool>(),
        v2012 in any::<bool>(),
        username in prop::option::of("[a-c*?]{0,3}"),
    ) {
        let mut ctx = Context::new().with("the:key", request);
        if let Some(u) = username {
            ctx.insert("aws:username", u);
        }
        let version = if v2012 { Version::V2012_10_17 } else { Version::V2008_10_17 };
        let op = |base| Operator { qualifier, base, if_exists };
        let pos = evaluate(&Condition::new(op(positive), "THE:KEY", values.clone()), &ctx, version);
        let neg = evaluate(&Condition::new(op(negated), "the:key", values), &ctx, version);
        prop_assert_eq!(neg.matched, !pos.matched, "{} / {}", pos.explanation, neg.explanation);
    }

    /// Evaluation never panics, whatever the strings (including conditions `validate` refuses).
    #[test]
    fn evaluate_never_panics(
        op in (
            prop::option::of(prop::sample::select(vec![SetQualifier::ForAnyValue, SetQualifier::ForAllValues])),
            prop::sample::select(BaseOperator::ALL.to_vec()),
            any::<bool>(),
        ),
        key in ".{0,10}",
        values in prop::collection::vec(".{0,16}", 0..4),
        request in prop::option::of(prop::collection::vec(".{0,16}", 0..3)),
        others in prop::collection::vec((".{0,8}", ".{0,8}"), 0..3),
        v2012 in any::<bool>(),
    ) {
        let (qualifier, base, if_exists) = op;
        let cond = Condition::new(Operator { qualifier, base, if_exists }, key.clone(), values);
        let mut ctx = Context::new();
        for (k, v) in others {
            ctx.insert(k, v);
        }
        if let Some(vals) = request {
            ctx.insert_all(key.to_uppercase(), vals);
        }
        let version = if v2012 { Version::V2012_10_17 } else { Version::V2008_10_17 };
        let out = evaluate(&cond, &ctx, version);
        prop_assert!(!out.explanation.is_empty());
        let _ = evaluate_all(std::slice::from_ref(&cond), &ctx, version);
        let _ = cond.validate();
    }

    /// Parsing never panics on arbitrary JSON.
    #[test]
    fn parse_never_panics(value in arbitrary_json()) {
        let _ = parse_conditions(&value);
        if let Ok(conds) = parse_conditions(&value) {
            let again = parse_conditions(&conditions_to_json(&conds)).map_err(|e| TestCaseError::fail(e.message))?;
            prop_assert_eq!(sorted(again), sorted(conds));
        }
    }
}

/// A positive operator, its negation, policy values (mostly of the operator's type) and one
/// request value.
fn negation_case() -> impl Strategy<Value = (BaseOperator, BaseOperator, Vec<String>, String)> {
    let pairs: Vec<(BaseOperator, BaseOperator)> = BaseOperator::ALL
        .into_iter()
        .filter_map(|b| b.negated().map(|n| (b, n)))
        .collect();
    prop::sample::select(pairs).prop_flat_map(|(positive, negated)| {
        let category = positive.category();
        (
            Just(positive),
            Just(negated),
            prop::collection::vec(prop_oneof![4 => typed_value(category), 1 => ".{0,6}"], 1..4),
            request_value(category),
        )
    })
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let names = prop_oneof![
        prop::sample::select(vec![
            "StringEquals",
            "ForAnyValue:StringLike",
            "Null",
            "IpAddress",
            "NumericEquals",
            "Bool"
        ])
        .prop_map(String::from),
        ".{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,10}".prop_map(Value::String),
        Just(Value::String("true".into())),
        Just(Value::String("10.0.0.0/8".into())),
    ];
    leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(names.clone(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
