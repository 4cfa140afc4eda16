//! Property tests of the IAM engine: invariants of evaluation
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>)
//! over random policies and requests, the parser's round trip, and that no input panics.

use proptest::prelude::*;
use s3_policy::iam::Caller;
use s3_policy::{
    Context, Decision, EvalRequest, Policy, PolicyKind, PolicySet, evaluate, parse_policy, parse_policy_value, to_json,
};
use serde_json::{Value, json};

const BUCKET: &str = "b";

fn principal() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("*")),
        Just(json!({"AWS": "*"})),
        Just(json!({"AWS": "222222222222"})),
        Just(json!({"AWS": "arn:aws:iam::222222222222:root"})),
        Just(json!({"AWS": "arn:aws:iam::111111111111:root"})),
        Just(json!({"AWS": "arn:aws:iam::222222222222:role/R"})),
        Just(json!({"AWS": ["arn:aws:sts::222222222222:assumed-role/R/s", "333333333333"]})),
        Just(json!({"AWS": "arn:aws:iam::111111111111:user/u"})),
    ]
}

fn action() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("s3:GetObject")),
        Just(json!("s3:ListBucket")),
        Just(json!("s3:*")),
        Just(json!("s3:Get*")),
        Just(json!(["s3:GetObject", "s3:ListBucket"])),
        Just(json!("s3:PutObject")),
    ]
}

fn resource() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"])),
        Just(json!("arn:aws:s3:::b/*")),
        Just(json!("arn:aws:s3:::b/data/*")),
        Just(json!("arn:aws:s3:::b*")),
        Just(json!(["arn:aws:s3:::b", "arn:aws:s3:::b/x/${aws:username}/*"])),
    ]
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!({"Bool": {"aws:SecureTransport": "false"}}))),
        Just(Some(
            json!({"StringEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/R"}})
        )),
        Just(Some(json!({"StringLike": {"s3:prefix": ["data/*", ""]}}))),
        Just(Some(
            json!({"StringNotEquals": {"aws:PrincipalAccount": "222222222222"}})
        )),
        Just(Some(json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))),
        Just(Some(json!({"NullIfExists": {"x": "true"}}))),
    ]
}

fn statement(effect: &'static str) -> impl Strategy<Value = Value> {
    (
        principal(),
        action(),
        resource(),
        condition(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(p, a, r, c, not_principal, not_action)| {
            let mut s = json!({"Effect": effect, "Resource": r});
            s[if not_principal { "NotPrincipal" } else { "Principal" }] = p;
            s[if not_action { "NotAction" } else { "Action" }] = a;
            if let Some(c) = c {
                s["Condition"] = c;
            }
            s
        })
}

fn any_statement() -> impl Strategy<Value = Value> {
    prop_oneof![statement("Allow"), statement("Deny")]
}

fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Parses what S3 would accept; random documents AWS would refuse are skipped.
fn bucket_policy(v: &Value) -> Option<Policy> {
    parse_policy_value(v, PolicyKind::Bucket(BUCKET)).ok()
}

fn caller() -> impl Strategy<Value = Caller> {
    prop_oneof![
        Just(Caller::from_arn("arn:aws:iam::222222222222:role/R", "s").unwrap()),
        Just(Caller::from_arn("arn:aws:iam::222222222222:role/Other", "s").unwrap()),
        Just(Caller::from_arn("arn:aws:iam::111111111111:user/u", "u").unwrap()),
        Just(Caller::from_arn("arn:aws:iam::111111111111:root", "x").unwrap()),
        Just(Caller::from_arn("arn:aws:iam::222222222222:root", "x").unwrap()),
        Just(Caller::Anonymous),
    ]
}

#[derive(Debug, Clone)]
struct Req {
    caller: Caller,
    action: &'static str,
    resource: &'static str,
    ctx: Context,
    identity: bool,
}

fn request() -> impl Strategy<Value = Req> {
    (
        caller(),
        prop_oneof![
            Just(("s3:GetObject", "arn:aws:s3:::b/data/x.csv")),
            Just(("s3:GetObject", "arn:aws:s3:::b/other/y")),
            Just(("s3:ListBucket", "arn:aws:s3:::b")),
            Just(("s3:PutObject", "arn:aws:s3:::b/data/z")),
            Just(("s3:PutBucketPolicy", "arn:aws:s3:::b")),
        ],
        any::<bool>(),
        prop::option::of(prop_oneof![Just("data/"), Just("other/"), Just("")]),
        any::<bool>(),
    )
        .prop_map(|(caller, (action, resource), tls, prefix, identity)| {
            let mut ctx = Context::new()
                .with("aws:SecureTransport", tls.to_string())
                .with("aws:SourceIp", "10.1.1.1");
            if let Some(p) = prefix {
                ctx.insert("s3:prefix", p);
            }
            Req {
                caller,
                action,
                resource,
                ctx,
                identity,
            }
        })
}

fn identity_policy() -> Policy {
    parse_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        PolicyKind::Identity,
    )
    .unwrap()
}

fn decide(r: &Req, bucket: Option<&Policy>) -> Decision {
    let identity = identity_policy();
    let identity = r.identity.then(|| std::slice::from_ref(&identity));
    let req = EvalRequest {
        caller: &r.caller,
        action: r.action,
        api: None,
        resource: r.resource,
        context: &r.ctx,
        bucket_owner: "111111111111",
        object: None,
    };
    evaluate(&req, PolicySet { bucket, identity }).decision
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Adding a Deny statement never turns a deny into an allow.
    #[test]
    fn adding_a_deny_never_grants(statements in prop::collection::vec(any_statement(), 1..4), deny in statement("Deny"), r in request()) {
        let before = doc(statements.clone());
        let mut with_deny = statements;
        with_deny.push(deny);
        let after = doc(with_deny);
        if let (Some(b), Some(a)) = (bucket_policy(&before), bucket_policy(&after))
            && decide(&r, Some(&b)) == Decision::Deny
        {
            prop_assert_eq!(decide(&r, Some(&a)), Decision::Deny);
        }
    }

    /// Removing an Allow statement never turns a deny into an allow.
    #[test]
    fn removing_an_allow_never_grants(statements in prop::collection::vec(any_statement(), 1..5), pick in any::<prop::sample::Index>(), r in request()) {
        let allows: Vec<usize> = statements.iter().enumerate().filter(|(_, s)| s["Effect"] == "Allow").map(|(i, _)| i).collect();
        prop_assume!(!allows.is_empty() && statements.len() > 1);
        let gone = allows[pick.index(allows.len())];
        let mut fewer = statements.clone();
        fewer.remove(gone);
        if let (Some(b), Some(a)) = (bucket_policy(&doc(statements)), bucket_policy(&doc(fewer)))
            && decide(&r, Some(&b)) == Decision::Deny
        {
            prop_assert_eq!(decide(&r, Some(&a)), Decision::Deny);
        }
    }

    /// An Allow whose condition fails grants nothing: the decision is as without it.
    #[test]
    fn an_allow_whose_condition_fails_grants_nothing(statements in prop::collection::vec(any_statement(), 0..4), extra in statement("Allow"), r in request()) {
        let mut extra = extra;
        extra["Condition"] = json!({"StringEquals": {"aws:PrincipalType": "NoSuchType"}});
        let mut with_extra = statements.clone();
        with_extra.push(extra);
        let base = if statements.is_empty() { None } else { bucket_policy(&doc(statements)) };
        if let Some(a) = bucket_policy(&doc(with_extra)) {
            prop_assert_eq!(decide(&r, Some(&a)), decide(&r, base.as_ref()));
        }
    }

    /// A policy that reads no request keys (no Condition, no policy variable in a
    /// resource) is evaluated exactly alike, trace and all, whatever the request's
    /// context holds: what lets the simulator skip building the keys for it.
    #[test]
    fn a_policy_reading_no_keys_ignores_the_context(statements in prop::collection::vec(any_statement(), 1..4), r in request()) {
        if let Some(b) = bucket_policy(&doc(statements))
            && !b.reads_request_keys()
        {
            let identity = identity_policy();
            let identity = r.identity.then(|| std::slice::from_ref(&identity));
            let empty = Context::new();
            let eval = |context: &Context| {
                let req = EvalRequest {
                    caller: &r.caller,
                    action: r.action,
                    api: None,
                    resource: r.resource,
                    context,
                    bucket_owner: "111111111111",
                    object: None,
                };
                evaluate(&req, PolicySet { bucket: Some(&b), identity })
            };
            prop_assert_eq!(eval(&r.ctx), eval(&empty));
        }
    }

    /// parse -> to_json -> parse is the identity.
    #[test]
    fn parse_serialize_parse_is_identity(statements in prop::collection::vec(any_statement(), 1..5), sid in prop::option::of("[A-Za-z0-9]{1,8}")) {
        let mut statements = statements;
        if let Some(sid) = sid {
            statements[0]["Sid"] = json!(sid);
        }
        if let Some(p) = bucket_policy(&doc(statements)) {
            let again = parse_policy_value(&to_json(&p), PolicyKind::Bucket(BUCKET));
            prop_assert_eq!(again.as_ref(), Ok(&p));
            prop_assert_eq!(to_json(again.as_ref().unwrap()), to_json(&p));
        }
    }

    /// No text panics the parser.
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = parse_policy(&text, PolicyKind::Bucket(BUCKET));
        let _ = parse_policy(&text, PolicyKind::Identity);
    }

    /// No JSON document panics the parser or the evaluator.
    #[test]
    fn arbitrary_json_never_panics(v in arb_json(), r in request()) {
        for kind in [PolicyKind::Bucket(BUCKET), PolicyKind::Identity] {
            if let Ok(p) = parse_policy_value(&v, kind) {
                let _ = decide(&r, Some(&p));
            }
        }
        let wrapped = json!({"Version": "2012-10-17", "Statement": [v]});
        if let Ok(p) = parse_policy_value(&wrapped, PolicyKind::Bucket(BUCKET)) {
            let _ = decide(&r, Some(&p));
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("*".to_owned()),
            Just("Allow".to_owned()),
            Just("s3:GetObject".to_owned()),
            Just("arn:aws:s3:::b/*".to_owned()),
            Just("${aws:username}".to_owned()),
            ".{0,12}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("Effect".to_owned()),
                        Just("Principal".to_owned()),
                        Just("Action".to_owned()),
                        Just("Resource".to_owned()),
                        Just("Condition".to_owned()),
                        Just("NotPrincipal".to_owned()),
                        Just("StringLike".to_owned()),
                        Just("AWS".to_owned()),
                        "[a-zA-Z:]{1,8}"
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// The properties above skip documents S3 would refuse; this keeps them from being
/// vacuous by checking that most generated documents are ones S3 accepts.
#[test]
fn most_generated_policies_are_valid() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec(any_statement(), 1..4);
    let mut valid = 0;
    for _ in 0..500 {
        let statements = strategy.new_tree(&mut runner).expect("a value").current();
        if bucket_policy(&doc(statements)).is_some() {
            valid += 1;
        }
    }
    eprintln!("{valid} of 500 generated policies parse");
    assert!(valid >= 150, "only {valid} of 500 generated policies parse");
}

/// Which policies read request keys: conditions and resource variables do, nothing
/// else does; and the random policies above include both kinds, so the property that
/// relies on it is not vacuous.
#[test]
fn conditions_and_resource_variables_read_request_keys() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let parsed = |statement: Value| bucket_policy(&doc(vec![statement])).expect("a valid policy");
    let plain = json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"});
    assert!(!parsed(plain.clone()).reads_request_keys());
    let mut conditioned = plain.clone();
    conditioned["Condition"] = json!({"Bool": {"aws:SecureTransport": "false"}});
    assert!(parsed(conditioned).reads_request_keys());
    let mut variable = plain.clone();
    variable["Resource"] = json!("arn:aws:s3:::b/${aws:username}/*");
    assert!(parsed(variable).reads_request_keys());
    let mut not_resource = plain;
    not_resource.as_object_mut().expect("an object").remove("Resource");
    not_resource["NotResource"] = json!("arn:aws:s3:::b/${s3:prefix}");
    assert!(parsed(not_resource).reads_request_keys());

    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec(any_statement(), 1..4);
    let (mut reading, mut not_reading) = (0, 0);
    for _ in 0..400 {
        let tree = strategy.new_tree(&mut runner).expect("a value");
        if let Some(p) = bucket_policy(&doc(tree.current())) {
            if p.reads_request_keys() {
                reading += 1;
            } else {
                not_reading += 1;
            }
        }
    }
    assert!(
        reading > 20 && not_reading > 20,
        "reading {reading}, not reading {not_reading}"
    );
}
