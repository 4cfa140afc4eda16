//! The library front door, used as a connector team uses it from its own crate: a
//! scenario file served in process, clients that sign as the scenario's principals, a
//! world built in code, and the connector run end to end. Nothing here reaches past
//! the public API.

use std::path::{Path, PathBuf};

use s3_harness::aws_sdk_s3;
use s3_harness::aws_sdk_s3::error::ProvideErrorMetadata as _;
use s3_harness::{Decision, Error, Simulator, Who, run_scenario_file};

fn here(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The scenario and its policy file copied to a fresh folder outside the repository,
/// where no `fixtures/` folder is found above it: its `users.csv` can only come from
/// the fixtures the library bundles.
fn scenario_outside_the_repository() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("s3-harness-consumer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["shared_bucket.toml", "policy.json"] {
        std::fs::copy(here(&format!("scenarios/{name}")), dir.join(name)).unwrap();
    }
    assert!(
        dir.ancestors().all(|d| !d.join("fixtures").join("users.csv").is_file()),
        "the test needs a folder with no fixtures/ above it"
    );
    dir.join("shared_bucket.toml")
}

async fn body(c: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    let out = c
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| e.code().unwrap_or("no code").to_owned())?;
    Ok(out.body.collect().await.unwrap().into_bytes().to_vec())
}

#[tokio::test]
async fn a_scenario_file_copied_anywhere_serves_its_world_to_each_principal() {
    let path = scenario_outside_the_repository();
    let sim = Simulator::from_scenario_file(&path).await.unwrap();
    assert!(sim.endpoint().starts_with("http://127.0.0.1:"));

    // The platform reader lists and reads under the bucket policy from policy.json.
    let platform = sim.client(Who::Platform).unwrap();
    let listed = platform
        .list_objects_v2()
        .bucket("acme-data")
        .prefix("data/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(3));
    let users = body(&platform, "acme-data", "data/users/date=2025-01-02/part-0.csv")
        .await
        .unwrap();
    assert!(users.starts_with(b"user_id,"), "{}", String::from_utf8_lossy(&users));

    // The owner's root writes; the analyst reads reports/ but nothing else.
    let owner = sim.client(Who::BucketOwner("acme-data")).unwrap();
    owner
        .put_object()
        .bucket("acme-data")
        .key("reports/new.txt")
        .body(b"fresh".to_vec().into())
        .send()
        .await
        .unwrap();
    let analyst = sim.client(Who::Identity("analyst")).unwrap();
    assert_eq!(body(&analyst, "acme-data", "reports/new.txt").await.unwrap(), b"fresh");
    assert_eq!(
        body(&analyst, "acme-data", "data/users/date=2025-01-01/part-0.csv").await,
        Err("AccessDenied".to_owned())
    );

    // The request log says who was refused, and why.
    let denied: Vec<_> = sim
        .requests()
        .snapshot()
        .into_iter()
        .filter(|r| r.decision == Some(Decision::Deny))
        .collect();
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(denied[0].operation.as_deref(), Some("GetObject"));
    assert_eq!(
        denied[0].principal.as_deref(),
        Some("arn:aws:iam::444455556666:user/analyst")
    );
    assert!(matches!(
        sim.client(Who::Identity("nobody")),
        Err(Error::UnknownIdentity(_))
    ));
}

#[tokio::test]
async fn a_world_built_in_code_enforces_its_policy() {
    let sim = Simulator::builder()
        .bucket("acme-test", "eu-west-1", "111122223333")
        .object("acme-test", "t/date=2025-01-01/p.csv", "a,b\n1,2\n")
        .platform("999988887777", "reader")
        .start()
        .await
        .unwrap();
    let reader = sim.client(Who::Platform).unwrap();
    // Another account's bucket with no bucket policy: the reader's own policy is not
    // enough across accounts.
    assert_eq!(
        body(&reader, "acme-test", "t/date=2025-01-01/p.csv").await,
        Err("AccessDenied".to_owned())
    );
    let owner = sim.client(Who::BucketOwner("acme-test")).unwrap();
    assert_eq!(
        body(&owner, "acme-test", "t/date=2025-01-01/p.csv").await.unwrap(),
        b"a,b\n1,2\n"
    );

    let allowed = Simulator::builder()
        .bucket("acme-test", "eu-west-1", "111122223333")
        .object("acme-test", "t/date=2025-01-01/p.csv", "a,b\n1,2\n")
        .platform("999988887777", "reader")
        .policy(
            "acme-test",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
                "Principal":{"AWS":"arn:aws:iam::999988887777:role/reader"},
                "Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-test/*"}]}"#,
        )
        .start()
        .await
        .unwrap();
    let reader = allowed.client(Who::Platform).unwrap();
    assert_eq!(
        body(&reader, "acme-test", "t/date=2025-01-01/p.csv").await.unwrap(),
        b"a,b\n1,2\n"
    );
}

#[tokio::test]
async fn mistakes_in_a_built_world_are_errors_at_start() {
    let malformed = Simulator::builder()
        .bucket("acme-test", "eu-west-1", "111122223333")
        .policy(
            "acme-test",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}"#,
        )
        .start()
        .await;
    assert!(matches!(malformed, Err(Error::MalformedPolicy { code, .. }) if code == "MalformedPolicy"));
    let unknown = Simulator::builder().object("nope", "k", "v").start().await;
    assert!(matches!(unknown, Err(Error::UnknownBucket(ref b)) if b == "nope"));
    let badly_named = Simulator::builder()
        .bucket("B", "eu-west-1", "111122223333")
        .start()
        .await;
    assert!(
        matches!(badly_named, Err(Error::World { .. })),
        "{:?}",
        badly_named.err()
    );
}

#[tokio::test]
async fn the_connector_runs_end_to_end_and_reports_as_run_json_does() {
    let report = run_scenario_file(here("scenarios/shared_bucket.toml")).await.unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["connection"]["status"], "active");
    assert_eq!(json["tables"][0]["name"], "users");
    assert_eq!(json["tables"][0]["files"], 3);
    assert_eq!(json["tables"][0]["partition_columns"][0], "date");
}

#[tokio::test]
async fn a_bad_scenario_names_its_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("s3-harness-consumer-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "description = \"x\"\n\n[[buckets]]\nname = \"Bad_Name\"\nregion = \"eu-west-1\"\nowner = \"111122223333\"\n",
    )
    .unwrap();
    let err = Simulator::from_scenario_file(&path).await.err().unwrap();
    let (file, line, _column) = err.position().unwrap();
    assert_eq!(file, path.as_path());
    assert_eq!(line, 4, "{err}");
    assert!(err.to_string().starts_with(&format!("{}:4:", path.display())), "{err}");
}

/// HTTPS as S3 is reached: the endpoint is `https://`, the CA's PEM is there for other
/// clients, and the simulator's own clients trust it; request ids come back with
/// every answer.
#[tokio::test]
async fn a_tls_simulator_hands_out_its_ca_and_clients_that_trust_it() {
    use s3_harness::aws_sdk_s3::operation::RequestId as _;
    let sim = Simulator::builder()
        .bucket("acme-data", "eu-west-1", "111122223333")
        .object("acme-data", "a.csv", "id\n1\n")
        .tls(true)
        .start()
        .await
        .unwrap();
    assert!(sim.endpoint().starts_with("https://127.0.0.1:"), "{}", sim.endpoint());
    assert!(sim.ca_pem().unwrap().contains("BEGIN CERTIFICATE"));
    let owner = sim.client(Who::BucketOwner("acme-data")).unwrap();
    assert_eq!(body(&owner, "acme-data", "a.csv").await.unwrap(), b"id\n1\n");
    let err = owner
        .get_object()
        .bucket("acme-data")
        .key("nope")
        .send()
        .await
        .unwrap_err();
    let id = err.request_id().unwrap().to_owned();
    let logged = sim.requests().snapshot();
    assert!(
        logged.iter().any(|r| r.request_id == id && r.status == 404),
        "{logged:?}"
    );
}
