//! The evaluation table: each case is one request decided by the IAM engine, named for
//! what it shows, citing the AWS page its expected answer comes from.

use s3_policy::iam::Caller;
use s3_policy::{
    Context, Decision, EvalRequest, Evaluation, ObjectFacts, ObjectOwnership, Policy, PolicyKind, PolicySet, evaluate,
    parse_policy,
};

const EVAL: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html";
const CROSS: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html";
const PRINCIPAL: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html";
const NOTPRINCIPAL: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html";
const ACTION: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html";
const NOTACTION: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html";
const RESOURCE: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html";
const NOTRESOURCE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html";
const OPS: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html";
const MULTI: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html";
const CONDITION: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html";
const VARS: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html";
const KEYS: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html";
const S3_ACTIONS: &str = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html";
const S3_KEYS: &str = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html";
const GET_OBJECT: &str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html";
const PUT_POLICY: &str = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html";
const OWNERSHIP: &str = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html";
const KMS: &str = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html";
const TLS: &str = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html";

const OWNER: &str = "111111111111";
const OTHER: &str = "222222222222";
const B: &str = "arn:aws:s3:::shared-bucket";
const OBJ: &str = "arn:aws:s3:::shared-bucket/data/x.csv";

fn role(account: &str, role: &str, session: &str) -> Caller {
    Caller::from_arn(&format!("arn:aws:iam::{account}:role/{role}"), session).unwrap()
}
fn user(account: &str, name: &str) -> Caller {
    Caller::from_arn(&format!("arn:aws:iam::{account}:user/{name}"), "x").unwrap()
}
fn root(account: &str) -> Caller {
    Caller::from_arn(&format!("arn:aws:iam::{account}:root"), "x").unwrap()
}
fn reader() -> Caller {
    role(OTHER, "ReaderRole", "sess1")
}

/// One request; the defaults are a cross-account reader calling GetObject.
#[derive(Clone)]
struct Case {
    bucket: Option<String>,
    identity: Option<String>,
    caller: Caller,
    owner: &'static str,
    action: &'static str,
    api: Option<&'static str>,
    resource: &'static str,
    ctx: Vec<(&'static str, &'static str)>,
    object: Option<ObjectFacts>,
}

fn case() -> Case {
    Case {
        bucket: None,
        identity: Some(allow_all_s3()),
        caller: reader(),
        owner: OWNER,
        action: "s3:GetObject",
        api: None,
        resource: OBJ,
        ctx: vec![("aws:SecureTransport", "true")],
        object: None,
    }
}

fn allow_all_s3() -> String {
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#.to_owned()
}

/// A bucket policy with one statement (Version 2012-10-17).
fn bp(statement: &str) -> Option<String> {
    Some(format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#))
}

/// A bucket-policy Allow for `principal` on `action` and `resource` with `extra` JSON.
fn allow(principal: &str, action: &str, resource: &str, extra: &str) -> Option<String> {
    bp(&format!(
        r#"{{"Effect":"Allow","Principal":{principal},"Action":"{action}","Resource":"{resource}"{extra}}}"#
    ))
}

impl Case {
    fn bucket(mut self, p: Option<String>) -> Self {
        self.bucket = p;
        self
    }
    fn identity(mut self, p: Option<&str>) -> Self {
        self.identity = p.map(str::to_owned);
        self
    }
    fn caller(mut self, c: Caller) -> Self {
        self.caller = c;
        self
    }
    fn action(mut self, a: &'static str, resource: &'static str) -> Self {
        self.action = a;
        self.resource = resource;
        self
    }
    fn api(mut self, api: &'static str) -> Self {
        self.api = Some(api);
        self
    }
    fn ctx(mut self, k: &'static str, v: &'static str) -> Self {
        self.ctx.retain(|(key, _)| *key != k);
        self.ctx.push((k, v));
        self
    }
    fn without(mut self, k: &'static str) -> Self {
        self.ctx.retain(|(key, _)| *key != k);
        self
    }
    fn object(mut self, o: ObjectFacts) -> Self {
        self.object = Some(o);
        self
    }
    fn owner(mut self, o: &'static str) -> Self {
        self.owner = o;
        self
    }

    fn run(&self) -> Evaluation {
        let bucket: Option<Policy> = self
            .bucket
            .as_deref()
            .map(|p| parse_policy(p, PolicyKind::Bucket("shared-bucket")).unwrap_or_else(|e| panic!("{e}: {p}")));
        let identity: Option<Vec<Policy>> = self
            .identity
            .as_deref()
            .map(|p| vec![parse_policy(p, PolicyKind::Identity).unwrap_or_else(|e| panic!("{e}: {p}"))]);
        let mut ctx = Context::new();
        for (k, v) in &self.ctx {
            ctx.insert(*k, *v);
        }
        let req = EvalRequest {
            caller: &self.caller,
            action: self.action,
            api: self.api,
            resource: self.resource,
            context: &ctx,
            bucket_owner: self.owner,
            object: self.object.as_ref(),
        };
        evaluate(
            &req,
            PolicySet {
                bucket: bucket.as_ref(),
                identity: identity.as_deref(),
            },
        )
    }
}

/// `check(case, doc, decision, status)`: the decision and S3's HTTP status.
fn check(c: Case, doc: &str, decision: Decision, status: u16) {
    let e = c.run();
    assert_eq!(
        (e.decision, e.http.status),
        (decision, status),
        "\nexpected per {doc}\nrule: {}\ntrace: {:#?}",
        e.rule,
        e.trace
    );
}

macro_rules! cases {
    ($($name:ident: $case:expr, $doc:expr => $decision:ident $status:literal;)*) => {
        $(
            #[test]
            fn $name() {
                check($case, $doc, Decision::$decision, $status);
            }
        )*
    };
}

const ACCT_PRINCIPAL: &str = r#"{"AWS":"arn:aws:iam::222222222222:root"}"#;
const ROLE_PRINCIPAL: &str = r#"{"AWS":"arn:aws:iam::222222222222:role/ReaderRole"}"#;
const SESSION_PRINCIPAL: &str = r#"{"AWS":"arn:aws:sts::222222222222:assumed-role/ReaderRole/sess1"}"#;
const OBJECTS: &str = "arn:aws:s3:::shared-bucket/*";
const BUCKET_ARN: &str = "arn:aws:s3:::shared-bucket";

/// The shape of policy a connector asks its customers to paste: the platform account's
/// root as principal (any principal of that account), narrowed by `aws:PrincipalArn` to
/// one role
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn>).
fn role_narrowed_read(role: &str) -> Option<String> {
    let role_arn = format!("arn:aws:iam::{OTHER}:role/{role}");
    Some(format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER}:root"}},"Action":"s3:ListBucket",
              "Resource":"arn:aws:s3:::shared-bucket","Condition":{{"StringEquals":{{"aws:PrincipalArn":"{role_arn}"}}}}}},
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER}:root"}},"Action":"s3:GetObject",
              "Resource":["arn:aws:s3:::shared-bucket","arn:aws:s3:::shared-bucket/*"],
              "Condition":{{"StringEquals":{{"aws:PrincipalArn":"{role_arn}"}}}}}}]}}"#
    ))
}

fn generated() -> Option<String> {
    role_narrowed_read("ReaderRole")
}

cases! {
    // --- Deny wins, Allow needed ---
    no_policies_at_all_is_an_implicit_deny: case().identity(None), EVAL => Deny 403;
    cross_account_with_no_bucket_policy_is_denied: case(), CROSS => Deny 403;
    explicit_deny_in_bucket_policy_beats_allow: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"{OBJECTS}"}}"#
    ))), EVAL => Deny 403;
    explicit_deny_in_identity_policy_beats_bucket_allow: case()
        .bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS, ""))
        .identity(Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#)),
        EVAL => Deny 403;
    deny_for_another_action_does_not_apply: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"{OBJECTS}"}}"#
    ))), EVAL => Allow 200;

    // --- Cross account: both sides must allow ---
    cross_account_bucket_allow_and_identity_allow: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS, "")), CROSS => Allow 200;
    cross_account_bucket_allow_without_identity_policy_is_denied: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS, "")).identity(None), CROSS => Deny 403;
    cross_account_identity_allow_without_bucket_policy_is_denied: case().bucket(None), CROSS => Deny 403;
    cross_account_identity_allows_only_listing_is_denied_for_get: case()
        .bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS, ""))
        .identity(Some(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#)),
        CROSS => Deny 403;
    cross_account_root_needs_no_identity_policy: case().caller(root(OTHER)).identity(None).bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS, "")), CROSS => Allow 200;
    cross_account_bucket_policy_for_a_third_account_is_denied: case().bucket(allow(r#"{"AWS":"333333333333"}"#, "s3:GetObject", OBJECTS, "")), CROSS => Deny 403;

    // --- Same account ---
    same_account_identity_allow_alone_suffices: case().caller(role(OWNER, "App", "s")).bucket(None), EVAL => Allow 200;
    same_account_bucket_policy_naming_the_role_suffices: case().caller(role(OWNER, "App", "s")).identity(None)
        .bucket(allow(r#"{"AWS":"arn:aws:iam::111111111111:role/App"}"#, "s3:GetObject", OBJECTS, "")), EVAL => Allow 200;
    same_account_bucket_policy_naming_the_user_suffices: case().caller(user(OWNER, "alice")).identity(None)
        .bucket(allow(r#"{"AWS":"arn:aws:iam::111111111111:user/alice"}"#, "s3:GetObject", OBJECTS, "")), EVAL => Allow 200;
    same_account_bucket_policy_naming_only_the_account_delegates_to_iam: case().caller(role(OWNER, "App", "s")).identity(None)
        .bucket(allow(r#"{"AWS":"arn:aws:iam::111111111111:root"}"#, "s3:GetObject", OBJECTS, "")), CROSS => Deny 403;
    same_account_bare_account_id_also_delegates: case().caller(user(OWNER, "alice")).identity(None)
        .bucket(allow(r#"{"AWS":"111111111111"}"#, "s3:GetObject", OBJECTS, "")), CROSS => Deny 403;
    same_account_account_principal_plus_identity_allow_is_allowed: case().caller(user(OWNER, "alice"))
        .bucket(allow(r#"{"AWS":"111111111111"}"#, "s3:GetObject", OBJECTS, "")), EVAL => Allow 200;
    owner_root_needs_no_policy: case().caller(root(OWNER)).identity(None), EVAL => Allow 200;
    owner_root_is_still_denied_by_an_explicit_deny: case().caller(root(OWNER)).identity(None)
        .bucket(bp(r#"{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-bucket/*"}"#)), EVAL => Deny 403;
    same_account_without_any_allow_is_denied: case().caller(user(OWNER, "bob")).identity(None), EVAL => Deny 403;

    // --- Principals ---
    principal_star_matches_anonymous: case().caller(Caller::Anonymous).bucket(allow(r#""*""#, "s3:GetObject", OBJECTS, "")), PRINCIPAL => Allow 200;
    principal_aws_star_matches_anonymous: case().caller(Caller::Anonymous).bucket(allow(r#"{"AWS":"*"}"#, "s3:GetObject", OBJECTS, "")), PRINCIPAL => Allow 200;
    anonymous_without_public_policy_is_denied: case().caller(Caller::Anonymous).bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS, "")), PRINCIPAL => Deny 403;
    account_principal_does_not_match_anonymous: case().caller(Caller::Anonymous).bucket(allow(r#"{"AWS":"111111111111"}"#, "s3:GetObject", OBJECTS, "")), PRINCIPAL => Deny 403;
    role_arn_matches_its_sessions: case().bucket(allow(ROLE_PRINCIPAL, "s3:GetObject", OBJECTS, "")), PRINCIPAL => Allow 200;
    session_arn_matches_that_session: case().bucket(allow(SESSION_PRINCIPAL, "s3:GetObject", OBJECTS, "")), PRINCIPAL => Allow 200;
    session_arn_does_not_match_another_session: case().caller(role(OTHER, "ReaderRole", "sess2")).bucket(allow(SESSION_PRINCIPAL, "s3:GetObject", OBJECTS, "")), PRINCIPAL => Deny 403;
    role_arn_does_not_match_another_role: case().caller(role(OTHER, "WriterRole", "s")).bucket(allow(ROLE_PRINCIPAL, "s3:GetObject", OBJECTS, "")), PRINCIPAL => Deny 403;
    bare_account_id_matches_every_principal_of_it: case().caller(user(OTHER, "carol")).bucket(allow(r#"{"AWS":"222222222222"}"#, "s3:GetObject", OBJECTS, "")), PRINCIPAL => Allow 200;
    service_principal_does_not_match_a_role: case().bucket(allow(r#"{"Service":"cloudtrail.amazonaws.com"}"#, "s3:GetObject", OBJECTS, "")), PRINCIPAL => Deny 403;
    principal_list_any_entry_matches: case().bucket(allow(r#"{"AWS":["333333333333","arn:aws:iam::222222222222:role/ReaderRole"]}"#, "s3:GetObject", OBJECTS, "")), PRINCIPAL => Allow 200;

    // --- NotPrincipal ---
    not_principal_deny_exempts_a_fully_listed_session: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","NotPrincipal":{{"AWS":["arn:aws:iam::222222222222:root","arn:aws:iam::222222222222:role/ReaderRole","arn:aws:sts::222222222222:assumed-role/ReaderRole/sess1"]}},"Action":"s3:*","Resource":"{OBJECTS}"}}"#
    ))), NOTPRINCIPAL => Allow 200;
    not_principal_deny_naming_only_the_role_still_denies: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","NotPrincipal":{ROLE_PRINCIPAL},"Action":"s3:*","Resource":"{OBJECTS}"}}"#
    ))), NOTPRINCIPAL => Deny 403;
    not_principal_deny_applies_to_other_sessions: case().caller(role(OTHER, "ReaderRole", "sess2")).bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","NotPrincipal":{{"AWS":["arn:aws:iam::222222222222:root","arn:aws:iam::222222222222:role/ReaderRole","arn:aws:sts::222222222222:assumed-role/ReaderRole/sess1"]}},"Action":"s3:*","Resource":"{OBJECTS}"}}"#
    ))), NOTPRINCIPAL => Deny 403;
    not_principal_allow_grants_everyone_else: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","NotPrincipal":{{"AWS":"333333333333"}},"Action":"s3:GetObject","Resource":"{OBJECTS}"}}"#
    ))), NOTPRINCIPAL => Allow 200;
    not_principal_user_and_account_listed_is_exempt: case().caller(user(OTHER, "bob")).bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","NotPrincipal":{{"AWS":["arn:aws:iam::222222222222:user/bob","222222222222"]}},"Action":"s3:*","Resource":"{OBJECTS}"}}"#
    ))), NOTPRINCIPAL => Allow 200;

    // --- Action and NotAction ---
    action_names_are_case_insensitive: case().bucket(allow(ACCT_PRINCIPAL, "S3:getobject", OBJECTS, "")), ACTION => Allow 200;
    action_star_wildcard: case().bucket(allow(ACCT_PRINCIPAL, "s3:Get*", OBJECTS, "")), ACTION => Allow 200;
    action_question_mark_wildcard: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObjec?", OBJECTS, "")), ACTION => Allow 200;
    action_wildcard_that_misses: case().bucket(allow(ACCT_PRINCIPAL, "s3:Put*", OBJECTS, "")), ACTION => Deny 403;
    not_action_allows_everything_else: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"NotAction":"s3:PutObject","Resource":"{OBJECTS}"}}"#
    ))), NOTACTION => Allow 200;
    not_action_excludes_the_named_action: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"NotAction":"s3:GetObject","Resource":"{OBJECTS}"}}"#
    ))), NOTACTION => Deny 403;
    deny_with_not_action_denies_other_actions: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:*","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","NotAction":"s3:PutObject","Resource":"{OBJECTS}"}}"#
    ))), NOTACTION => Deny 403;

    // --- Resource and NotResource ---
    resource_wildcard_spans_slashes: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", "arn:aws:s3:::shared-bucket/*", "")), RESOURCE => Allow 200;
    resource_scoped_to_another_folder_is_denied: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", "arn:aws:s3:::shared-bucket/other/*", "")), RESOURCE => Deny 403;
    resource_is_case_sensitive: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", "arn:aws:s3:::shared-bucket/DATA/*", "")), RESOURCE => Deny 403;
    list_bucket_is_checked_against_the_bucket_arn: case().action("s3:ListBucket", B).bucket(allow(ACCT_PRINCIPAL, "s3:ListBucket", BUCKET_ARN, "")), S3_ACTIONS => Allow 200;
    // `s3:Get*` is valid on the bucket ARN (GetBucketLocation applies) but grants no object reads.
    get_star_on_bucket_arn_does_not_cover_objects: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:Get*","Resource":"{BUCKET_ARN}"}}"#
    ))), S3_ACTIONS => Deny 403;
    not_resource_excludes_a_folder: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::shared-bucket/public/*"}}"#
    ))), NOTRESOURCE => Deny 403;
    not_resource_deny_spares_the_named_resource: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::shared-bucket/data/*"}}"#
    ))), NOTRESOURCE => Allow 200;

    // --- The generated policy (the guide's Step 2) ---
    generated_policy_lets_the_platform_role_list: case().action("s3:ListBucket", B).bucket(generated()), PRINCIPAL => Allow 200;
    generated_policy_lets_the_platform_role_read: case().bucket(generated()), PRINCIPAL => Allow 200;
    generated_policy_denies_another_role_of_the_platform_account: case().caller(role(OTHER, "Intruder", "s")).bucket(generated()), KEYS => Deny 403;
    generated_policy_does_not_allow_writes: case().action("s3:PutObject", OBJ).bucket(generated()), ACTION => Deny 403;
    generated_policy_with_a_typo_in_the_role_denies: case().bucket(role_narrowed_read("ReaderRol")), KEYS => Deny 403;

    // --- Conditions ---
    string_equals_on_principal_arn: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/ReaderRole"}}"#)), KEYS => Allow 200;
    condition_key_names_are_case_insensitive: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringEquals":{"AWS:PRINCIPALARN":"arn:aws:iam::222222222222:role/ReaderRole"}}"#)), CONDITION => Allow 200;
    string_equals_is_case_sensitive_on_values: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/readerrole"}}"#)), OPS => Deny 403;
    string_equals_ignore_case: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringEqualsIgnoreCase":{"aws:PrincipalArn":"ARN:AWS:IAM::222222222222:ROLE/READERROLE"}}"#)), OPS => Allow 200;
    several_values_are_ored: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringEquals":{"aws:PrincipalAccount":["333333333333","222222222222"]}}"#)), CONDITION => Allow 200;
    several_keys_are_anded: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringEquals":{"aws:PrincipalAccount":"222222222222","aws:PrincipalType":"User"}}"#)), CONDITION => Deny 403;
    negated_operator_with_several_values_is_a_nor: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"{OBJECTS}","Condition":{{"StringNotEquals":{{"aws:PrincipalAccount":["333333333333","222222222222"]}}}}}}"#
    ))), CONDITION => Allow 200;
    missing_key_is_false_for_a_plain_operator: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}"#)), CONDITION => Deny 403;
    missing_key_is_true_for_a_negated_operator: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"{OBJECTS}","Condition":{{"StringNotEquals":{{"aws:SourceVpce":"vpce-1"}}}}}}"#
    ))), CONDITION => Deny 403;
    if_exists_with_missing_key_is_true: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}"#)), OPS => Allow 200;
    if_exists_with_present_key_is_evaluated: case().ctx("aws:SourceVpce", "vpce-2").bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}"#)), OPS => Deny 403;
    null_true_means_absent: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"Null":{"aws:SourceVpce":"true"}}"#)), OPS => Allow 200;
    null_false_means_present: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"Null":{"aws:SourceVpce":"false"}}"#)), OPS => Deny 403;
    string_like_with_wildcards: case().ctx("s3:prefix", "data/audiences/").action("s3:ListBucket", B).bucket(allow(ACCT_PRINCIPAL, "s3:ListBucket", BUCKET_ARN,
        r#","Condition":{"StringLike":{"s3:prefix":"data/*"}}"#)), S3_KEYS => Allow 200;
    list_bucket_limited_by_prefix_to_another_folder_is_denied: case().ctx("s3:prefix", "data/audiences/").action("s3:ListBucket", B).bucket(allow(ACCT_PRINCIPAL, "s3:ListBucket", BUCKET_ARN,
        r#","Condition":{"StringLike":{"s3:prefix":"exports/*"}}"#)), S3_KEYS => Deny 403;
    list_bucket_with_prefix_condition_and_no_prefix_sent_is_denied: case().action("s3:ListBucket", B).bucket(allow(ACCT_PRINCIPAL, "s3:ListBucket", BUCKET_ARN,
        r#","Condition":{"StringLike":{"s3:prefix":"data/*"}}"#)), S3_KEYS => Deny 403;
    numeric_less_than_equals_on_max_keys: case().ctx("s3:max-keys", "100").action("s3:ListBucket", B).bucket(allow(ACCT_PRINCIPAL, "s3:ListBucket", BUCKET_ARN,
        r#","Condition":{"NumericLessThanEquals":{"s3:max-keys":"1000"}}"#)), S3_KEYS => Allow 200;
    numeric_greater_than_fails: case().ctx("s3:max-keys", "100").action("s3:ListBucket", B).bucket(allow(ACCT_PRINCIPAL, "s3:ListBucket", BUCKET_ARN,
        r#","Condition":{"NumericGreaterThan":{"s3:max-keys":"500"}}"#)), OPS => Deny 403;
    date_less_than_iso: case().ctx("aws:CurrentTime", "2025-06-01T00:00:00Z").bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}"#)), OPS => Allow 200;
    date_greater_than_with_epoch_policy_value: case().ctx("aws:CurrentTime", "2025-06-01T00:00:00Z").bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"DateGreaterThan":{"aws:CurrentTime":"1767225600"}}"#)), OPS => Deny 403;
    date_epoch_context_value: case().ctx("aws:EpochTime", "1748736000").bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"DateLessThan":{"aws:EpochTime":"2026-01-01T00:00:00Z"}}"#)), OPS => Allow 200;
    bool_secure_transport_false_deny_applies_over_http: case().ctx("aws:SecureTransport", "false").bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["{BUCKET_ARN}","{OBJECTS}"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}"#
    ))), TLS => Deny 403;
    bool_secure_transport_false_deny_spares_tls: case().bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["{BUCKET_ARN}","{OBJECTS}"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}"#
    ))), TLS => Allow 200;
    ip_address_cidr_matches: case().ctx("aws:SourceIp", "10.1.2.3").bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#)), OPS => Allow 200;
    ip_address_bare_address_is_a_slash_32: case().ctx("aws:SourceIp", "10.1.2.4").bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"IpAddress":{"aws:SourceIp":"10.1.2.3"}}"#)), OPS => Deny 403;
    not_ip_address_deny: case().ctx("aws:SourceIp", "127.0.0.1").bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"{OBJECTS}","Condition":{{"NotIpAddress":{{"aws:SourceIp":["192.168.0.0/16","10.0.0.0/8"]}}}}}}"#
    ))), OPS => Deny 403;
    ipv6_cidr: case().ctx("aws:SourceIp", "2001:db8::1").bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#)), OPS => Allow 200;
    arn_like_on_principal_arn_by_segment: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/Reader*"}}"#)), OPS => Allow 200;
    arn_like_does_not_cross_segments: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*Reader*"}}"#)), OPS => Deny 403;
    arn_not_equals_deny_for_other_roles: case().caller(role(OTHER, "Other", "s")).bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"{OBJECTS}","Condition":{{"ArnNotEquals":{{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/ReaderRole"}}}}}}"#
    ))), OPS => Deny 403;
    for_any_value_matches_one_of_many: case().ctx("aws:PrincipalOrgPaths", "o-1/r-1/ou-1/").bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":["o-1/*","o-2/*"]}}"#)), MULTI => Allow 200;
    for_any_value_with_missing_key_is_false: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}"#)), MULTI => Deny 403;
    for_all_values_with_missing_key_is_true: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}"#)), MULTI => Allow 200;

    // --- Policy variables ---
    variable_in_resource_under_2012: case().caller(user(OTHER, "alice")).action("s3:GetObject", "arn:aws:s3:::shared-bucket/home/alice/x").bucket(allow(
        r#"{"AWS":"222222222222"}"#, "s3:GetObject", "arn:aws:s3:::shared-bucket/home/${aws:username}/*", "")), VARS => Allow 200;
    variable_for_another_user_does_not_match: case().caller(user(OTHER, "bob")).action("s3:GetObject", "arn:aws:s3:::shared-bucket/home/alice/x").bucket(allow(
        r#"{"AWS":"222222222222"}"#, "s3:GetObject", "arn:aws:s3:::shared-bucket/home/${aws:username}/*", "")), VARS => Deny 403;
    variable_with_no_value_matches_nothing: case().action("s3:GetObject", "arn:aws:s3:::shared-bucket/home//x").bucket(allow(
        r#"{"AWS":"222222222222"}"#, "s3:GetObject", "arn:aws:s3:::shared-bucket/home/${aws:username}/*", "")), VARS => Deny 403;
    variables_are_literal_under_2008: case().caller(user(OTHER, "alice")).action("s3:GetObject", "arn:aws:s3:::shared-bucket/home/alice/x").bucket(Some(
        r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-bucket/home/${aws:username}/*"}]}"#.to_owned())), VARS => Deny 403;
    userid_variable_for_a_role_session: case().action("s3:GetObject", "arn:aws:s3:::shared-bucket/x").bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringLike":{"aws:userid":"AROA*:sess1"}}"#)), VARS => Allow 200;
    username_is_absent_for_role_sessions: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringLike":{"aws:username":"*"}}"#)), VARS => Deny 403;
    principal_type_of_an_assumed_role: case().bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringEquals":{"aws:PrincipalType":"AssumedRole"}}"#)), KEYS => Allow 200;
    principal_keys_cannot_be_spoofed_by_the_request: case().ctx("aws:PrincipalArn", "arn:aws:iam::222222222222:role/Admin").bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS,
        r#","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/Admin"}}"#)), KEYS => Deny 403;

    // --- S3's answers beyond allow/deny ---
    missing_key_with_list_bucket_is_404: case().api("GetObject").object(ObjectFacts { exists: false, ..ObjectFacts::default() }).bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["{BUCKET_ARN}","{OBJECTS}"]}}"#
    ))), GET_OBJECT => Allow 404;
    missing_key_without_list_bucket_is_403: case().api("GetObject").object(ObjectFacts { exists: false, ..ObjectFacts::default() })
        .bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS, "")), GET_OBJECT => Allow 403;
    object_owned_by_another_account_with_acls_enabled: case().object(ObjectFacts {
        exists: true, owner_account: Some("333333333333".into()), object_ownership: ObjectOwnership::ObjectWriter, ..ObjectFacts::default()
    }).bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS, "")), OWNERSHIP => Deny 403;
    bucket_owner_enforced_ignores_the_writer: case().object(ObjectFacts {
        exists: true, owner_account: Some("333333333333".into()), object_ownership: ObjectOwnership::BucketOwnerEnforced, ..ObjectFacts::default()
    }).bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS, "")), OWNERSHIP => Allow 200;
    sse_kms_object_needs_kms_decrypt: case().object(ObjectFacts {
        exists: true, sse: Some("aws:kms".into()), kms_key_arn: Some("arn:aws:kms:eu-west-1:111111111111:key/k".into()), caller_has_kms_decrypt: false, ..ObjectFacts::default()
    }).bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS, "")), KMS => Deny 403;
    sse_kms_object_with_kms_decrypt_is_readable: case().object(ObjectFacts {
        exists: true, sse: Some("aws:kms".into()), caller_has_kms_decrypt: true, ..ObjectFacts::default()
    }).bucket(allow(ACCT_PRINCIPAL, "s3:GetObject", OBJECTS, "")), KMS => Allow 200;
    cross_account_put_bucket_policy_is_405: case().action("s3:PutBucketPolicy", B).bucket(allow(ACCT_PRINCIPAL, "s3:PutBucketPolicy", BUCKET_ARN, "")), PUT_POLICY => Allow 405;
    owner_root_may_always_put_the_bucket_policy: case().caller(root(OWNER)).identity(None).action("s3:PutBucketPolicy", B)
        .bucket(bp(r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::shared-bucket"}"#)), PUT_POLICY => Allow 200;
    same_account_user_denied_put_bucket_policy_without_permission: case().caller(user(OWNER, "dev")).identity(None).action("s3:PutBucketPolicy", B), PUT_POLICY => Deny 403;
    owner_mismatch_matters_for_the_owner_field: case().owner(OTHER).bucket(None), EVAL => Allow 200;
    no_tls_context_key_means_the_bool_deny_does_not_match: case().without("aws:SecureTransport").bucket(bp(&format!(
        r#"{{"Effect":"Allow","Principal":{ACCT_PRINCIPAL},"Action":"s3:GetObject","Resource":"{OBJECTS}"}},{{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"{OBJECTS}","Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}"#
    ))), OPS => Allow 200;
}

#[test]
fn there_are_at_least_80_cases() {
    let source = include_str!("policy_eval.rs");
    let count = source.matches(" => Allow ").count() + source.matches(" => Deny ").count();
    assert!(count >= 80, "{count} cases");
}

#[test]
fn a_trace_names_each_statement_and_why() {
    let e = case()
        .bucket(allow(
            ACCT_PRINCIPAL,
            "s3:GetObject",
            "arn:aws:s3:::shared-bucket/other/*",
            "",
        ))
        .run();
    assert_eq!(e.trace[0].policy, "bucket policy");
    assert_eq!(e.trace[0].statement, "#1");
    assert!(!e.trace[0].matched);
    assert!(
        e.trace[0]
            .reason
            .contains("Resource `arn:aws:s3:::shared-bucket/other/*` does not include"),
        "{:?}",
        e.trace
    );
    assert!(e.rule.contains("cross account"), "{}", e.rule);
}
