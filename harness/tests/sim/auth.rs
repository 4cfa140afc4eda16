//! Signatures and the interim authorization rule.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use s3_harness::sim::world::{Identity, IdentityKind};
use s3_policy::iam::Caller;

use crate::regions::reqwest_get;
use crate::support::*;

fn impostor(access_key: &str, secret: &str) -> Identity {
    let caller = Caller::from_arn("arn:aws:iam::111122223333:user/x", "x").unwrap();
    Identity::new("impostor", IdentityKind::Declared, caller, access_key, secret)
}

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match() {
    let sim = sim().await;
    let c = sim.client_for(&impostor("AKIAROOT111122223333", "wrong"), REGION);
    let err = c.list_objects_v2().bucket(BUCKET).send().await.unwrap_err();
    assert_eq!(code(&err), "SignatureDoesNotMatch");
    assert_eq!(status(&err), 403);
}

#[tokio::test]
async fn unknown_key_is_invalid_access_key_id() {
    let sim = sim().await;
    let c = sim.client_for(&impostor("AKIANOBODY0000000000", "x"), REGION);
    let err = c.list_objects_v2().bucket(BUCKET).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidAccessKeyId");
    assert_eq!(status(&err), 403);
}

#[tokio::test]
async fn presigned_urls_work_until_they_expire() {
    let sim = sim().await;
    let c = owner(&sim);
    put(&c, "p/k.csv", b"presigned").await;
    let ok = c
        .get_object()
        .bucket(BUCKET)
        .key("p/k.csv")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(60)).unwrap())
        .await
        .unwrap();
    assert_eq!(reqwest_get(ok.uri()).await, (200, "presigned".to_owned()));
    let expired = c
        .get_object()
        .bucket(BUCKET)
        .key("p/k.csv")
        .presigned(
            PresigningConfig::builder()
                .start_time(std::time::SystemTime::now() - Duration::from_secs(3600))
                .expires_in(Duration::from_secs(60))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let (status, body) = reqwest_get(expired.uri()).await;
    assert_eq!(status, 403);
    assert!(body.contains("AccessDenied") && body.contains("expired"), "{body}");
}

/// No bucket policy: anonymous callers are denied
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html).
#[tokio::test]
async fn anonymous_is_denied_without_a_public_bucket_policy() {
    let sim = sim().await;
    put(&owner(&sim), "k", b"v").await;
    let url = format!("{}/{BUCKET}/k", sim.endpoint());
    let (status, body) = reqwest_get(&url).await;
    assert_eq!(status, 403);
    assert!(body.contains("AccessDenied"), "{body}");
    let records = sim.requests().snapshot();
    let last = records.last().unwrap();
    assert_eq!(last.principal.as_deref(), Some("anonymous"));
    assert_eq!(last.decision, Some(s3_harness::sim::request_log::Decision::Deny));
    assert_eq!(last.error_code.as_deref(), Some("AccessDenied"));
}

#[tokio::test]
async fn request_log_records_operation_principal_decision_and_status() {
    let sim = sim().await;
    let c = owner(&sim);
    put(&c, "k", b"v").await;
    let _ = c.get_object().bucket(BUCKET).key("missing").send().await;
    let records = sim.requests().snapshot();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].operation.as_deref(), Some("PutObject"));
    assert_eq!(records[0].principal.as_deref(), Some("arn:aws:iam::111122223333:root"));
    assert_eq!(records[0].status, 200);
    assert_eq!(records[1].operation.as_deref(), Some("GetObject"));
    assert_eq!(records[1].key.as_deref(), Some("missing"));
    assert_eq!(records[1].status, 404);
    assert_eq!(records[1].error_code.as_deref(), Some("NoSuchKey"));
}

/// A presigned URL lasts at most seven days, and a request carries one signature
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>): S3
/// refuses a longer `X-Amz-Expires` with 400 AuthorizationQueryParametersError and a
/// request signed in both its header and its query with 400 InvalidArgument.
#[tokio::test]
async fn presigned_urls_past_a_week_and_two_signatures_are_refused() {
    let sim = sim().await;
    let c = owner(&sim);
    put(&c, "p/k.csv", b"presigned").await;
    let week = c
        .get_object()
        .bucket(BUCKET)
        .key("p/k.csv")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(604_800)).unwrap())
        .await
        .unwrap();
    assert_eq!(reqwest_get(week.uri()).await, (200, "presigned".to_owned()));
    let longer = week.uri().replace("X-Amz-Expires=604800", "X-Amz-Expires=604801");
    assert_ne!(longer, week.uri());
    let (status, body) = reqwest_get(&longer).await;
    assert_eq!(status, 400);
    assert!(
        body.contains("AuthorizationQueryParametersError") && body.contains("less than a week"),
        "{body}"
    );
    let (status, body) = crate::regions::raw(
        "GET",
        week.uri(),
        &[("authorization", "AWS4-HMAC-SHA256 Credential=AKIAROOT111122223333/20250101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=00")],
        b"",
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("InvalidArgument") && body.contains("Only one auth mechanism"),
        "{body}"
    );
    let last = sim.requests().snapshot().pop().unwrap();
    assert_eq!(last.error_code.as_deref(), Some("InvalidArgument"));
}

/// S3 refuses Signature Version 2 for buckets created after June 24, 2020
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingAWSSDK.html#UsingAWSSDK-sig2-deprecation>):
/// an `Authorization: AWS AKID:signature` header and a presigned
/// `AWSAccessKeyId`/`Signature`/`Expires` query are 400 InvalidRequest before the
/// signature is looked at.
#[tokio::test]
async fn signature_version_2_is_refused_in_the_header_and_in_the_query() {
    let sim = sim().await;
    put(&owner(&sim), "v2/k", b"v2").await;
    let url = format!("{}/{BUCKET}/v2/k", sim.endpoint());
    let date = "Thu, 01 Jan 2026 00:00:00 GMT";
    let header = [
        ("authorization", "AWS AKIAROOT111122223333:bm90LWEtc2lnbmF0dXJl"),
        ("date", date),
    ];
    let presigned =
        format!("{url}?AWSAccessKeyId=AKIAROOT111122223333&Signature=bm90LWEtc2lnbmF0dXJl&Expires=4102444800");
    for (what, (status, body)) in [
        ("header", crate::regions::raw("GET", &url, &header, b"").await),
        ("query", crate::regions::reqwest_get(&presigned).await),
    ] {
        assert_eq!(status, 400, "{what}: {body}");
        assert!(
            body.contains("<Code>InvalidRequest</Code>")
                && body.contains(
                    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
                ),
            "{what}: {body}"
        );
        let last = sim.requests().snapshot().pop().unwrap();
        assert_eq!(last.error_code.as_deref(), Some("InvalidRequest"), "{what}");
        assert_eq!(last.operation.as_deref(), Some("GetObject"), "{what}");
    }
}
