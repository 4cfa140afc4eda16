//! `s3-harness policy eval | generate | check` as docs/cli.md describes them.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_s3-harness"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

const CONTRACT_EXAMPLE: &str = r#"{
  "bucket_policy": { "Version": "2012-10-17", "Statement": [] },
  "identity_policy": null,
  "caller": { "type": "AssumedRole", "account": "222222222222",
              "principal_arn": "arn:aws:iam::222222222222:role/ReaderRole",
              "session_arn": "arn:aws:sts::222222222222:assumed-role/ReaderRole/sess1",
              "role_id": "AROAEXAMPLEREADER0001", "session_name": "sess1" },
  "bucket_owner_account": "111111111111",
  "action": "s3:GetObject",
  "api": "GetObject",
  "resource": "arn:aws:s3:::shared-bucket/data/x.csv",
  "context": { "aws:SecureTransport": "true", "s3:prefix": "data/" },
  "object": { "exists": true }
}"#;

#[test]
fn eval_of_the_contract_example_is_a_deny_with_a_trace() {
    let out = run(&["policy", "eval"], CONTRACT_EXAMPLE);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["decision"], "deny");
    assert_eq!(v["http"]["status"], 403);
    assert_eq!(v["http"]["code"], "AccessDenied");
    assert!(v["trace"].is_array());
}

#[test]
fn eval_allows_with_a_matching_bucket_policy_and_identity_policy() {
    let mut input: serde_json::Value = serde_json::from_str(CONTRACT_EXAMPLE).unwrap();
    input["bucket_policy"]["Statement"] = serde_json::json!([{
        "Sid": "Read", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:role/ReaderRole"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared-bucket/*"
    }]);
    input["identity_policy"] = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
    let out = run(&["policy", "eval", "-"], &input.to_string());
    let v = json(&out);
    assert_eq!(v["decision"], "allow", "{v}");
    assert_eq!(v["http"]["status"], 200);
    assert!(v["http"]["code"].is_null());
    assert_eq!(v["trace"][0]["statement"], "`Read`");
    assert_eq!(v["trace"][0]["matched"], true);
    // The object is missing and the caller may not list: S3 answers 403, not 404.
    input["object"]["exists"] = serde_json::json!(false);
    let v = json(&run(&["policy", "eval"], &input.to_string()));
    assert_eq!(
        (v["decision"].as_str(), v["http"]["status"].as_u64()),
        (Some("allow"), Some(403))
    );
}

#[test]
fn eval_of_a_malformed_bucket_policy_fails_with_s3s_error() {
    let mut input: serde_json::Value = serde_json::from_str(CONTRACT_EXAMPLE).unwrap();
    input["bucket_policy"]["Statement"] = serde_json::json!([{
        "Sid": "List", "Effect": "Allow", "Principal": {"AWS": "222222222222"},
        "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::shared-bucket/*"
    }]);
    let out = run(&["policy", "eval"], &input.to_string());
    assert!(!out.status.success());
    let v = json(&out);
    assert_eq!(v["error"]["code"], "MalformedPolicy");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Action does not apply to any resource(s) in statement"),
        "{message}"
    );
    assert!(message.contains("`List`"), "{message}");
}

#[test]
fn generate_prints_the_guides_policy() {
    let out = run(
        &[
            "policy",
            "generate",
            "--bucket",
            "acme-data",
            "--account",
            "999988887777",
            "--role",
            "connector-acme",
        ],
        "",
    );
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(
        v,
        s3_connector::bucket_policy::generated_policy("acme-data", "999988887777", "connector-acme")
    );
}

#[test]
fn check_passes_the_generated_policy_and_explains_a_wrong_resource() {
    let args = [
        "policy",
        "check",
        "--bucket",
        "b",
        "--account",
        "999988887777",
        "--role",
        "r",
        "--prefix",
        "data/",
        "-",
    ];
    let good = s3_connector::bucket_policy::generated_policy("b", "999988887777", "r").to_string();
    let out = run(&args, &good);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("ok")).count(), 2, "{text}");

    let wrong = r#"{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#;
    let out = run(&args, wrong);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        text.contains(
            "statement `List` grants s3:ListBucket on arn:aws:s3:::b/* but ListBucket is checked against arn:aws:s3:::b"
        ),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("ok    s3:GetObject")), "{text}");
}

#[test]
fn check_reports_a_policy_aws_refuses_and_a_role_typo() {
    let args = [
        "policy",
        "check",
        "--bucket",
        "b",
        "--account",
        "999988887777",
        "--role",
        "r",
        "-",
    ];
    let refused = r#"{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Principal":{"AWS":"999988887777"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/*"}]}"#;
    let text = String::from_utf8_lossy(&run(&args, refused).stdout).into_owned();
    assert!(
        text.contains("AWS refuses to save this policy: MalformedPolicy: Action does not apply"),
        "{text}"
    );
    let typo = s3_connector::bucket_policy::generated_policy("b", "999988887777", "rr").to_string();
    let text = String::from_utf8_lossy(&run(&args, &typo).stdout).into_owned();
    assert!(text.contains("aws:PrincipalArn"), "{text}");
    assert!(text.contains("arn:aws:iam::999988887777:role/rr"), "{text}");
}
