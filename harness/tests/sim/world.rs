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
        assert_eq!(plain.etag.to_string(), s3_harness::sim::store::etag::md5_hex(&fixture));
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
        assert!(
            huge.etag.to_string().ends_with("-597"),
            "5 GB in 8 MiB parts: {}",
            huge.etag
        );
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

/// A pattern of two billion keys is served as stored keys are: listed from any position,
/// read, written over and deleted one key at a time, its neighbours untouched.
#[tokio::test]
async fn virtual_keys_are_listed_read_written_and_deleted_like_stored_ones() {
    let scenario = load_scenario(&repo().join("scenarios/scale/billion_key_bucket.toml")).unwrap();
    assert_eq!(scenario.buckets[0].key_spaces.len(), 2, "both patterns are key spaces");
    let (world, _) = World::from_scenario(&scenario).unwrap();
    assert_eq!(world.store.object_count("acme-lake"), Ok(2_016_048_384));
    let sim = Simulator::start(world).await.unwrap();
    let c = sim.client(Who::BucketOwner("acme-lake")).unwrap();
    let keys = |out: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output| -> Vec<String> {
        out.contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect()
    };
    // The middle of the logs, by start-after.
    let page = c
        .list_objects_v2()
        .bucket("acme-lake")
        .start_after("logs/service-500/2012/06/15/23/part-9.json.gz")
        .max_keys(3)
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys(&page),
        [
            "logs/service-500/2012/06/16/00/part-0.json.gz",
            "logs/service-500/2012/06/16/00/part-1.json.gz",
            "logs/service-500/2012/06/16/00/part-2.json.gz",
        ]
    );
    assert_eq!(page.is_truncated(), Some(true));
    assert_eq!(page.contents()[0].size(), Some(65536));
    // A delimiter listing jumps over each group without reading it.
    let dirs = c
        .list_objects_v2()
        .bucket("acme-lake")
        .prefix("logs/")
        .delimiter("/")
        .max_keys(2)
        .send()
        .await
        .unwrap();
    let prefixes: Vec<&str> = dirs.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["logs/service-000/", "logs/service-001/"]);
    // Read, ranged.
    let key = "warehouse/orders/dt=2024-02-03/hour=07/part-0.csv";
    let got = c
        .get_object()
        .bucket("acme-lake")
        .key(key)
        .range("bytes=0-7")
        .send()
        .await
        .unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"click_id");
    let missing = c
        .head_object()
        .bucket("acme-lake")
        .key("warehouse/orders/dt=2024-02-29/hour=07/part-0.csv")
        .send()
        .await;
    assert!(missing.is_err(), "day 29 is not in the pattern");
    // Written over: that key only.
    c.put_object()
        .bucket("acme-lake")
        .key(key)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let head = c.head_object().bucket("acme-lake").key(key).send().await.unwrap();
    assert_eq!(head.content_length(), Some(1));
    let neighbour = "warehouse/orders/dt=2024-02-03/hour=08/part-0.csv";
    let head = c.head_object().bucket("acme-lake").key(neighbour).send().await.unwrap();
    assert!(head.content_length() > Some(1));
    // Deleted: gone from reads and listings, the neighbours stay.
    c.delete_object()
        .bucket("acme-lake")
        .key(neighbour)
        .send()
        .await
        .unwrap();
    let err = c
        .get_object()
        .bucket("acme-lake")
        .key(neighbour)
        .send()
        .await
        .unwrap_err();
    assert_eq!(crate::support::code(&err), "NoSuchKey");
    let around = c
        .list_objects_v2()
        .bucket("acme-lake")
        .start_after("warehouse/orders/dt=2024-02-03/hour=06/part-0.csv")
        .max_keys(3)
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys(&around),
        [
            "warehouse/orders/dt=2024-02-03/hour=07/part-0.csv",
            "warehouse/orders/dt=2024-02-03/hour=09/part-0.csv",
            "warehouse/orders/dt=2024-02-03/hour=10/part-0.csv",
        ]
    );
    assert_eq!(
        around.contents()[0].size(),
        Some(1),
        "the stored key, not the pattern's"
    );
    sim.shutdown().await;
}
