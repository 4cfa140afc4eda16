//! Bucket operations: create, list, head, location, delete, policy.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use crate::support::*;

#[tokio::test]
async fn head_bucket_names_the_region_and_location_is_null_for_us_east_1() {
    let sim = sim().await;
    let c = owner(&sim);
    let head = c.head_bucket().bucket(BUCKET).send().await.unwrap();
    assert_eq!(head.bucket_region(), Some(REGION));
    let loc = c.get_bucket_location().bucket(BUCKET).send().await.unwrap();
    assert_eq!(loc.location_constraint().map(|l| l.as_str()), Some("eu-west-1"));

    let us = sim
        .client_in(s3_harness::Who::Identity(OWNER_ROOT), "us-east-1")
        .unwrap();
    us.create_bucket().bucket("us-bucket").send().await.unwrap();
    let loc = us.get_bucket_location().bucket("us-bucket").send().await.unwrap();
    // On the wire an empty <LocationConstraint/>, which the SDK reads as "" or None.
    assert_eq!(loc.location_constraint().map_or("", |l| l.as_str()), "");
}

#[tokio::test]
async fn create_list_delete_buckets() {
    let sim = sim().await;
    let c = owner(&sim);
    c.create_bucket()
        .bucket("second-bucket")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let names: Vec<String> = c
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    assert_eq!(names, ["second-bucket", BUCKET]);
    // Creating it again in another region than us-east-1: BucketAlreadyOwnedByYou.
    let err = c
        .create_bucket()
        .bucket("second-bucket")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "BucketAlreadyOwnedByYou");
    put(&c, "k", b"v").await;
    let err = c.delete_bucket().bucket(BUCKET).send().await.unwrap_err();
    assert_eq!(code(&err), "BucketNotEmpty");
    c.delete_bucket().bucket("second-bucket").send().await.unwrap();
    let err = c.head_bucket().bucket("second-bucket").send().await.unwrap_err();
    assert_eq!(status(&err), 404);
}

#[tokio::test]
async fn create_bucket_region_rules() {
    let sim = sim().await;
    let eu = owner(&sim);
    // A eu-west-1 endpoint with no constraint cannot create a us-east-1 bucket.
    let err = eu.create_bucket().bucket("no-constraint").send().await.unwrap_err();
    assert_eq!(code(&err), "IllegalLocationConstraintException");
    let err = eu.create_bucket().bucket("Bad_Name").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidBucketName");
}

#[tokio::test]
async fn bucket_policy_put_get_delete() {
    let sim = sim().await;
    let c = owner(&sim);
    let err = c.get_bucket_policy().bucket(BUCKET).send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucketPolicy");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::sim-bucket/*"}]}"#;
    c.put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy)
        .send()
        .await
        .unwrap();
    let got = c.get_bucket_policy().bucket(BUCKET).send().await.unwrap();
    assert_eq!(got.policy(), Some(policy));
    let err = c
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy("not json")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "MalformedPolicy");
    c.delete_bucket_policy().bucket(BUCKET).send().await.unwrap();
    assert_eq!(
        code(&c.get_bucket_policy().bucket(BUCKET).send().await.unwrap_err()),
        "NoSuchBucketPolicy"
    );
}

#[tokio::test]
async fn missing_bucket_is_no_such_bucket() {
    let sim = sim().await;
    let c = owner(&sim);
    let err = c.list_objects_v2().bucket("nope-bucket").send().await.unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
    assert_eq!(status(&err), 404);
}
