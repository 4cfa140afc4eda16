//! Worlds built from scenario files, served end to end.

use std::path::Path;

use s3_harness::scenario::{load_scenario, parse_scenario};
use s3_harness::sim::request_log::Decision;
use s3_harness::sim::store::Body;
use s3_harness::{Simulator, Who, World};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("harness/ sits in the repository")
}

#[tokio::test]
async fn bundled_scenario_builds_its_world() {
    let scenario = load_scenario(&repo().join("scenarios/valid/daily_csv.toml")).unwrap();
    let (world, rejected) = World::from_scenario(&scenario).unwrap();
    assert!(rejected.is_empty());
    {
        let b = world.store.bucket("acme-data").unwrap();
        let objects = world.store.objects("acme-data").unwrap();
        assert_eq!(b.region, "eu-west-1");
        assert_eq!(b.owner, "111122223333");
        // 31 days x 4 parts + _SUCCESS + 7 plain CSVs.
        assert_eq!(objects.len(), 31 * 4 + 1 + 7);
        let policy = b.policy.as_ref().unwrap().text();
        assert!(
            policy.contains("arn:aws:iam::999988887777:role/connector-acme"),
            "{policy}"
        );
        // Every gzipped copy of the fixture shares one buffer.
        let gz: Vec<_> = objects
            .iter()
            .filter(|(k, _)| k.as_str().ends_with(".csv.gz"))
            .map(|(_, o)| match &o.body {
                Body::Inline(bytes) => bytes.as_ptr(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(gz.len(), 124);
        assert!(gz.windows(2).all(|w| w[0] == w[1]));
        let plain = objects
            .iter()
            .find(|(k, _)| k.as_str().ends_with("part-0.csv"))
            .map(|(_, o)| o)
            .unwrap();
        assert!(matches!(plain.body, Body::File(_)));
        let fixture = std::fs::read(repo().join("fixtures/clicks.csv")).unwrap();
        assert_eq!(plain.size, fixture.len() as u64);
        assert_eq!(plain.etag, s3_harness::sim::store::etag::md5_hex(&fixture));
    }
    let platform = world.identity("platform").unwrap();
    assert_eq!(platform.access_key, "AKIAPLATFORMREADER01");
    assert_eq!(
        platform.caller.arn(),
        "arn:aws:sts::999988887777:assumed-role/connector-acme/s3-connector"
    );
}

#[tokio::test]
async fn fixture_bytes_are_served_and_sized_objects_read_as_zeros() {
    let scenario = load_scenario(&repo().join("scenarios/valid/daily_csv.toml")).unwrap();
    let sim = Simulator::builder().scenario(scenario.clone()).start().await.unwrap();
    let c = sim.client(Who::BucketOwner("acme-data")).unwrap();
    let body = c
        .get_object()
        .bucket("acme-data")
        .key("data/audiences/clicks/date=2025-01-03/part-0.csv")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(
        body.as_ref(),
        std::fs::read(repo().join("fixtures/clicks.csv")).unwrap()
    );
    let sized = load_scenario(&repo().join("scenarios/mixed_format/sized_objects_at_scale.toml")).unwrap();
    let (world, _) = World::from_scenario(&sized).unwrap();
    {
        let (_, huge) = world.store.objects("acme-data").unwrap().into_iter().next().unwrap();
        assert_eq!(huge.size, 5_000_000_000);
        assert!(huge.etag.ends_with("-597"), "5 GB in 8 MiB parts: {}", huge.etag);
    }
    let sim = Simulator::start(world).await.unwrap();
    let c = sim.client(Who::Identity("root-111122223333")).unwrap();
    let tail = c
        .get_object()
        .bucket("acme-data")
        .key("data/huge/date=2025-01-01/part-0.parquet")
        .range("bytes=-8")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.content_range(), Some("bytes 4999999992-4999999999/5000000000"));
    assert_eq!(tail.body.collect().await.unwrap().into_bytes().as_ref(), [0u8; 8]);
}

/// The generated policy (the guide's Step 2) lets the platform reader list and read,
/// and nothing else; a denied request's log entry carries the trace.
#[tokio::test]
async fn the_generated_policy_lets_the_platform_list_and_read_and_nothing_else() {
    let scenario = load_scenario(&repo().join("scenarios/valid/daily_csv.toml")).unwrap();
    let sim = Simulator::builder().scenario(scenario).start().await.unwrap();
    let c = sim.client(Who::Platform).unwrap();
    let listed = c
        .list_objects_v2()
        .bucket("acme-data")
        .prefix("data/audiences/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.common_prefixes().len(), 2);
    let got = c
        .get_object()
        .bucket("acme-data")
        .key("data/audiences/clicks/date=2025-01-01/part-0.csv")
        .range("bytes=0-0")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_length(), Some(1));
    // The reader may list, so a missing key is 404 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
    let err = c
        .get_object()
        .bucket("acme-data")
        .key("data/nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(crate::support::code(&err), "NoSuchKey");
    let err = c
        .put_object()
        .bucket("acme-data")
        .key("data/x")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(crate::support::code(&err), "AccessDenied");
    let record = sim.requests().snapshot().pop().unwrap();
    assert_eq!(record.decision, Some(Decision::Deny));
    assert_eq!(
        record.principal.as_deref(),
        Some("arn:aws:sts::999988887777:assumed-role/connector-acme/s3-connector")
    );
    assert!(
        record.reason.as_deref().unwrap_or_default().contains("cross account"),
        "{record:?}"
    );
    assert!(
        record
            .trace
            .iter()
            .any(|t| t.reason.contains("does not include s3:PutObject")),
        "{:?}",
        record.trace
    );
}

#[tokio::test]
async fn injected_faults_answer_retryable_errors_and_are_logged() {
    let text = r#"
description = "every request fails"
[[buckets]]
name = "b-faults"
region = "us-east-1"
owner = "111122223333"
[faults]
error_rate = 1.0
seed = 3
"#;
    let scenario = parse_scenario(Path::new("inline.toml"), text).unwrap();
    let sim = Simulator::builder().scenario(scenario).start().await.unwrap();
    let c = sim.client_in(Who::Identity("root-111122223333"), "us-east-1").unwrap();
    let err = c.list_objects_v2().bucket("b-faults").send().await.unwrap_err();
    let code = crate::support::code(&err);
    assert!(code == "SlowDown" || code == "InternalError", "{code}");
    let records = sim.requests().snapshot();
    // The SDK's standard retry mode makes 3 attempts; every one was answered by the fault layer.
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r.injected_fault && r.status >= 500));
}
