//! Bucket and identity policies enforced end to end through aws-sdk-s3, and refused
//! by PutBucketPolicy as S3 refuses them.

use std::path::Path;

use s3_harness::scenario::parse_scenario;
use s3_harness::{Simulator, Who, World};

use crate::support::code;

const PLATFORM: &str = "999988887777";

/// A world whose bucket `acme-data` (eu-west-1, owner 111122223333) has `policy`.
fn world(policy: &str) -> World {
    scenario_world(&scenario_text(policy)).0
}

fn scenario_text(policy: &str) -> String {
    format!(
        r#"
description = "policy test"
[connection]
name = "t"
region = "eu-west-1"
bucket = "acme-data"
schema_prefix = "data/"
format = "csv"
partitioning = "none"
[platform]
account = "{PLATFORM}"
role = "connector-acme"
[[buckets]]
name = "acme-data"
region = "eu-west-1"
owner = "111122223333"
policy = '''{policy}'''
[[buckets.objects]]
key = "data/t/a.csv"
body = "a,b\n1,2\n"
[[buckets.objects]]
key = "other/t/a.csv"
body = "a,b\n1,2\n"
"#
    )
}

fn scenario_world(text: &str) -> (World, Vec<s3_harness::sim::world::RejectedPolicy>) {
    World::from_scenario(&parse_scenario(Path::new("inline.toml"), text).unwrap()).unwrap()
}

fn generated_for(role: &str) -> String {
    s3_connector::bucket_policy::generated_policy("acme-data", PLATFORM, role).to_string()
}

async fn reader_outcomes(policy: &str) -> (Result<(), String>, Result<(), String>) {
    let sim = Simulator::start(world(policy)).await.unwrap();
    let c = sim.client(Who::Platform).unwrap();
    let list = c
        .list_objects_v2()
        .bucket("acme-data")
        .prefix("data/")
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code(&e));
    let get = c
        .get_object()
        .bucket("acme-data")
        .key("data/t/a.csv")
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code(&e));
    (list, get)
}

#[tokio::test]
async fn the_generated_policy_for_another_role_denies_the_reader() {
    let (list, get) = reader_outcomes(&generated_for("connector-other")).await;
    assert_eq!(list, Err("AccessDenied".to_owned()));
    assert_eq!(get, Err("AccessDenied".to_owned()));
}

#[tokio::test]
async fn get_object_scoped_to_another_folder_denies_reads_but_not_listing() {
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
{{"Sid":"List","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{PLATFORM}:root"}},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::acme-data"}},
{{"Sid":"Read","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{PLATFORM}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data/exports/*"}}]}}"#
    );
    let (list, get) = reader_outcomes(&policy).await;
    assert_eq!(list, Ok(()));
    assert_eq!(get, Err("AccessDenied".to_owned()));
}

/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html:
/// the simulator serves plain HTTP, so aws:SecureTransport is false and the Deny applies.
#[tokio::test]
async fn a_deny_for_non_tls_requests_denies_everything_over_http() {
    let mut policy: serde_json::Value = serde_json::from_str(&generated_for("connector-acme")).unwrap();
    policy["Statement"].as_array_mut().unwrap().push(serde_json::json!({
        "Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::acme-data", "arn:aws:s3:::acme-data/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }));
    let (list, get) = reader_outcomes(&policy.to_string()).await;
    assert_eq!(list, Err("AccessDenied".to_owned()));
    assert_eq!(get, Err("AccessDenied".to_owned()));
}

#[tokio::test]
async fn list_bucket_limited_by_prefix_allows_only_that_prefix() {
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
{{"Sid":"List","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{PLATFORM}:root"}},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::acme-data","Condition":{{"StringLike":{{"s3:prefix":"other/*"}}}}}}]}}"#
    );
    let sim = Simulator::start(world(&policy)).await.unwrap();
    let c = sim.client(Who::Platform).unwrap();
    let err = c
        .list_objects_v2()
        .bucket("acme-data")
        .prefix("data/")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    // No prefix sent: s3:prefix is absent, and StringLike on an absent key is false.
    let err = c.list_objects_v2().bucket("acme-data").send().await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    c.list_objects_v2()
        .bucket("acme-data")
        .prefix("other/t/")
        .send()
        .await
        .unwrap();
}

async fn put_policy(policy: &str) -> Result<(), (String, String)> {
    let sim = Simulator::start(world(&generated_for("connector-acme"))).await.unwrap();
    let owner = sim.client(Who::BucketOwner("acme-data")).unwrap();
    owner
        .put_bucket_policy()
        .bucket("acme-data")
        .policy(policy)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let message = e
                .as_service_error()
                .and_then(aws_sdk_s3::error::ProvideErrorMetadata::message)
                .unwrap_or_default()
                .to_owned();
            (code(&e), message)
        })
}

#[tokio::test]
async fn put_bucket_policy_refuses_list_bucket_on_objects_only() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::acme-data/*"}]}"#;
    let (code, message) = put_policy(policy).await.unwrap_err();
    assert_eq!(code, "MalformedPolicy");
    assert!(
        message.starts_with("Action does not apply to any resource(s) in statement"),
        "{message}"
    );
    assert!(message.contains("statement `List`"), "{message}");
}

#[tokio::test]
async fn put_bucket_policy_refuses_get_object_on_the_bucket_arn_only() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"999988887777"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-data"}]}"#;
    let (code, message) = put_policy(policy).await.unwrap_err();
    assert_eq!(code, "MalformedPolicy");
    assert!(message.contains("statement `Read`"), "{message}");
}

#[tokio::test]
async fn put_bucket_policy_refuses_a_resource_in_another_bucket() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"999988887777"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-dta/*"}]}"#;
    let (code, message) = put_policy(policy).await.unwrap_err();
    assert_eq!(code, "MalformedPolicy");
    assert!(message.starts_with("Policy has invalid resource"), "{message}");
    assert!(message.contains("statement #1"), "{message}");
}

#[tokio::test]
async fn put_bucket_policy_accepts_the_generated_policy() {
    put_policy(&generated_for("connector-acme")).await.unwrap();
}

#[test]
fn the_scenario_loader_refuses_such_a_policy_and_says_why() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Principal":{"AWS":"999988887777"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::acme-data/*"}]}"#;
    let text = scenario_text(policy);
    let (w, rejected) = scenario_world(&text);
    assert_eq!(rejected.len(), 1);
    let rejected = &rejected[0];
    assert_eq!(rejected.bucket, "acme-data");
    assert_eq!(rejected.code, "MalformedPolicy");
    assert!(rejected.message.contains("statement `List`"));
    // As after a failed save in the console, the bucket has no policy.
    assert!(w.store.bucket("acme-data").unwrap().policy.is_none());
}
